//! End-to-end: `sakk apply`/`plan` when AWS cannot be reached or there are no credentials. The
//! run must end (exit 1) well within 30 s with a short message naming the endpoint (or the
//! credential sources tried), and leave no lock behind: the next command is not blocked.
//! The unreachable endpoints are sockets of this test; only the S3-backend case uses moto.

mod common;
use common::*;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(30);

/// A TCP server on 127.0.0.1 that accepts connections and never answers (nor closes them).
fn blackhole() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    format!("http://{addr}")
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}

/// Dummy credentials, no shared config, no instance metadata, every service at `endpoint`.
fn offline<'a>(c: &'a mut Command, endpoint: &str) -> &'a mut Command {
    c.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/sakk-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sakk-test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
}

fn run(dir: &Path, endpoint: &str, args: &[&str]) -> (Output, Duration) {
    let mut c = sakk();
    offline(&mut c, endpoint).current_dir(dir).args(args);
    let t = Instant::now();
    let o = c.output().expect("run sakk");
    (o, t.elapsed())
}

/// The lines of the first error, from "Error:" through its "Hint:" line.
fn error_block(stderr: &str) -> String {
    let mut out = Vec::new();
    for l in stderr.lines().skip_while(|l| !l.starts_with("Error")) {
        out.push(l);
        if l.starts_with("Hint:") {
            break;
        }
    }
    out.join("\n")
}

fn assert_no_debug(text: &str) {
    for noise in [
        "DispatchFailure(",
        "ConnectorError {",
        "CredentialsNotLoaded(",
        "Some(",
        "source:",
    ] {
        assert!(!text.contains(noise), "Debug noise {noise:?} in:\n{text}");
    }
}

const BUCKET_TF: &str = "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"sakk-unreachable-e2e\"\n}\n";

#[test]
fn apply_against_a_blackhole_fails_within_30s_and_releases_the_lock() {
    let ep = blackhole();
    let p = project(&[("main.tf", BUCKET_TF)]);
    let (o, took) = run(p.path(), &ep, &["apply", "--auto-approve"]);
    let e = stderr(&o);
    eprintln!("apply against {ep}: {took:?}\n{e}");
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(took < BOUND, "took {took:?}");
    let block = error_block(&e);
    assert!(
        block.contains(&format!(
            "aws_s3_bucket.b: cannot reach the AWS endpoint {ep} (no response"
        )),
        "{block}"
    );
    assert!(block.contains("region us-east-1"), "{block}");
    assert!(
        block.contains("credentials from environment variables"),
        "{block}"
    );
    assert!(block.contains("Hint: check AWS_ENDPOINT_URL"), "{block}");
    assert_no_debug(&e);
    // The request was sent and never answered: AWS may have made the bucket, so the state
    // keeps the create's intent, which the next plan must resolve (here it cannot reach AWS
    // either). The lock was released: a locking command does not wait for it.
    let (o, _) = run(p.path(), &ep, &["state", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "aws_s3_bucket.b");
    let (o, took) = run(p.path(), &ep, &["plan", "--lock-timeout=0s"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(!e.contains("lock"), "{e}");
    assert!(e.contains("cannot reach the AWS endpoint"), "{e}");
    assert!(took < BOUND, "plan took {took:?}");
}

#[test]
fn plan_reading_a_data_source_from_a_closed_port_fails_at_once() {
    let ep = closed_port();
    let p = project(&[(
        "main.tf",
        "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\ndata \"aws_caller_identity\" \"me\" {}\n\noutput \"account\" {\n  value = data.aws_caller_identity.me.account_id\n}\n",
    )]);
    let (o, took) = run(p.path(), &ep, &["plan"]);
    let e = stderr(&o);
    eprintln!("plan against {ep}: {took:?}\n{e}");
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        e.contains(&format!(
            "cannot reach the AWS endpoint {ep} (connection refused)"
        )),
        "{e}"
    );
    assert_no_debug(&e);
    let (o, _) = run(p.path(), &ep, &["plan", "--lock-timeout=0s"]);
    assert!(
        !stderr(&o).contains("locked"),
        "left locked: {}",
        stderr(&o)
    );
}

#[test]
fn missing_credentials_fail_fast_with_a_short_message() {
    let ep = closed_port();
    let p = project(&[("main.tf", BUCKET_TF)]);
    let mut c = sakk();
    offline(&mut c, &ep)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .current_dir(p.path())
        .args(["apply", "--auto-approve"]);
    let t = Instant::now();
    let o = c.output().expect("run sakk");
    let took = t.elapsed();
    let e = stderr(&o);
    eprintln!("no credentials: {took:?}\n{e}");
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let block = error_block(&e);
    assert!(block.contains("no AWS credentials found"), "{block}");
    for source in [
        "environment variables",
        "shared config/credentials files",
        "SSO",
        "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)",
    ] {
        assert!(block.contains(source), "{source}: {block}");
    }
    assert!(block.contains("Hint: set AWS_PROFILE"), "{block}");
    assert!(
        block.len() < 400,
        "error is {} chars:\n{block}",
        block.len()
    );
    assert_no_debug(&e);
    // The request never left: the create cannot have made anything, so no intent is kept.
    let (o, _) = run(p.path(), &ep, &["state", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "",
        "no intent left for a create never sent"
    );
    let (o, _) = run(p.path(), &ep, &["plan", "--lock-timeout=0s"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// With the S3 backend (DynamoDB lock and S3 lock object, on moto) and the provider's S3
/// endpoint at a blackhole: apply fails within the bound and both remote locks are released.
#[test]
fn s3_backend_locks_are_released_when_the_provider_cannot_reach_aws() {
    let hole = blackhole();
    let bucket = unique("sakk-ub");
    let table = unique("sakk-ul");
    let tf = format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket = \"{bucket}\"\n    key = \"u/terraform.tfstate\"\n    region = \"us-east-1\"\n    dynamodb_table = \"{table}\"\n    use_lockfile = true\n  }}\n}}\n\nprovider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    s3 = \"{hole}\"\n  }}\n}}\n\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"sakk-unreachable-e2e\"\n}}\n"
    );
    let p = project(&[("main.tf", &tf)]);
    let o = sakk_aws(p.path(), &["init", "--bootstrap"]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    let t = Instant::now();
    let o = sakk_aws(p.path(), &["apply", "--auto-approve"]);
    let took = t.elapsed();
    let e = stderr(&o);
    eprintln!("apply, S3 backend, provider at {hole}: {took:?}\n{e}");
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(took < BOUND, "took {took:?}");
    assert!(
        e.contains(&format!("cannot reach the AWS endpoint {hole}")),
        "{e}"
    );
    assert_no_debug(&e);
    // No lock item (only the digest item may be there) and no lock object.
    let items = boto3(&format!(
        "print(sorted(i['LockID']['S'] for i in ddb.scan(TableName='{table}')['Items']))"
    ));
    assert!(
        !items.contains(&format!("'{bucket}/u/terraform.tfstate'")),
        "DynamoDB lock left: {items}"
    );
    let objs = boto3(&format!(
        "print(s3.list_objects_v2(Bucket='{bucket}', Prefix='u/terraform.tfstate.tflock').get('KeyCount', 0))"
    ));
    assert_eq!(objs.trim(), "0", "S3 lock object left");
    // A locking command is not held up by a lock; it fails only on the intent the unanswered
    // create left, which it cannot resolve while AWS stays unreachable.
    let o = sakk_aws(p.path(), &["plan", "--lock-timeout=0s"]);
    let e = stderr(&o);
    assert!(!e.contains("lock"), "{e}");
    assert!(e.contains("cannot reach the AWS endpoint"), "{e}");
}

/// The S3 backend itself unreachable (`sakk init` checks the bucket): the same bound and message.
#[test]
fn s3_backend_at_a_blackhole_fails_init_within_30s() {
    let hole = blackhole();
    let p = project(&[(
        "main.tf",
        &format!(
            "terraform {{\n  backend \"s3\" {{\n    bucket = \"sakk-unreachable\"\n    key = \"k\"\n    region = \"us-east-1\"\n    dynamodb_table = \"locks\"\n    endpoints = {{ s3 = \"{hole}\", dynamodb = \"{hole}\" }}\n  }}\n}}\n"
        ),
    )]);
    let (o, took) = run(p.path(), &hole, &["init"]);
    let e = stderr(&o);
    eprintln!("init, backend at {hole}: {took:?}\n{e}");
    assert!(!o.status.success(), "{e}");
    assert!(took < BOUND, "took {took:?}");
    assert!(
        e.contains(&format!(
            "cannot reach the AWS endpoint {hole} (no response"
        )),
        "{e}"
    );
    assert!(e.contains("region us-east-1"), "{e}");
    assert_no_debug(&e);
}

/// A plan refreshing many objects from a blackhole: one read timeout for all of them, not one
/// each (the engine also reads failed refreshes again, one by one: those fail at once).
#[test]
fn plan_refreshing_twenty_buckets_from_a_blackhole_fails_within_30s() {
    let ep = blackhole();
    let names: Vec<String> = (0..20).map(|i| format!("b{i}")).collect();
    let mut tf = String::from("provider \"aws\" {\n  region = \"us-east-1\"\n}\n");
    let mut resources = Vec::new();
    for n in &names {
        tf.push_str(&format!(
            "resource \"aws_s3_bucket\" \"{n}\" {{\n  bucket = \"sakk-{n}\"\n}}\n"
        ));
        resources.push(serde_json::json!({
            "mode": "managed", "type": "aws_s3_bucket", "name": n,
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{"schema_version": 0, "attributes": {
                "id": format!("sakk-{n}"), "bucket": format!("sakk-{n}"), "force_destroy": false}}]
        }));
    }
    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.5.7", "serial": 1,
        "lineage": "11111111-2222-4333-8444-555555555555", "outputs": {}, "resources": resources
    });
    let p = project(&[("main.tf", &tf), ("s.json", &state.to_string())]);
    let (o, _) = run(p.path(), &ep, &["state", "push", "s.json"]);
    assert!(o.status.success(), "push: {}", stderr(&o));
    let (o, took) = run(p.path(), &ep, &["plan"]);
    let e = stderr(&o);
    eprintln!(
        "plan of 20 buckets against {ep}: {took:?}\n{}",
        e.lines().take(12).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(took < BOUND, "took {took:?}");
    assert!(
        e.matches("cannot reach the AWS endpoint").count() >= 20,
        "{e}"
    );
    assert_no_debug(&e);
    // Not left locked: a locking command without refresh (no AWS call) goes through.
    let (o, _) = run(
        p.path(),
        &ep,
        &["plan", "--refresh=false", "--lock-timeout=0s"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}
