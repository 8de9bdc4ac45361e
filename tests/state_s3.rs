//! End-to-end: the S3 backend with DynamoDB and S3-object locks, against a moto server on
//! 127.0.0.1 (see `common::moto`). What sakk reports is checked with boto3, an independent client.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LINEAGE: &str = "11111111-2222-4333-8444-555555555555";

/// A project with an s3 backend (settings in backend.hcl), initialised with --bootstrap.
fn s3_project(extra_hcl: &str) -> (tempfile::TempDir, String, String) {
    s3_project_with(extra_hcl, "")
}

/// An S3-backed project whose configuration has `extra_tf` besides a variable.
fn s3_project_with(extra_hcl: &str, extra_tf: &str) -> (tempfile::TempDir, String, String) {
    let bucket = unique("sakk-b");
    let table = unique("sakk-locks");
    let hcl = format!(
        "bucket = \"{bucket}\"\nkey = \"fleet/terraform.tfstate\"\nregion = \"us-east-1\"\ndynamodb_table = \"{table}\"\nencrypt = true\n{extra_hcl}"
    );
    let p = project(&[
        (
            "main.tf",
            &format!("terraform {{\n  backend \"s3\" {{}}\n}}\nvariable \"x\" {{ default = 1 }}\n{extra_tf}"),
        ),
        ("backend.hcl", &hcl),
        ("s.json", &state_doc(LINEAGE, 1, &["a", "b"])),
        ("d.json", &data_state_doc(LINEAGE, 1, &["a", "b"])),
    ]);
    let o = sakk_aws(
        p.path(),
        &["init", "--bootstrap", "--backend-config=backend.hcl"],
    );
    assert!(o.status.success(), "init: {}", stderr(&o));
    (p, bucket, table)
}

fn serial_in_s3(bucket: &str, key: &str) -> u64 {
    boto3(&format!(
        "print(json.loads(s3.get_object(Bucket='{bucket}', Key='{key}')['Body'].read())['serial'])"
    ))
    .trim()
    .parse()
    .expect("serial")
}

#[test]
fn init_bootstrap_creates_a_versioned_encrypted_bucket_and_the_lock_table() {
    let (p, bucket, table) = s3_project("");
    let out = boto3(&format!(
        "v = s3.get_bucket_versioning(Bucket='{bucket}')\n\
         e = s3.get_bucket_encryption(Bucket='{bucket}')['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']['SSEAlgorithm']\n\
         pab = s3.get_public_access_block(Bucket='{bucket}')['PublicAccessBlockConfiguration']\n\
         t = ddb.describe_table(TableName='{table}')['Table']\n\
         print(v['Status'], e, all(pab.values()), t['KeySchema'][0]['AttributeName'], t['AttributeDefinitions'][0]['AttributeType'], t['BillingModeSummary']['BillingMode'])"
    ));
    assert_eq!(out.trim(), "Enabled AES256 True LockID S PAY_PER_REQUEST");
    // Recorded: later commands need no flags.
    let rec = std::fs::read_to_string(p.path().join(".sakk/backend.json")).expect("record");
    assert!(rec.contains(&bucket));
    let o = sakk_aws(p.path(), &["state", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Second init without --bootstrap just checks.
    let o = sakk_aws(p.path(), &["init", "--backend-config=backend.hcl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("is reachable"), "{}", stdout(&o));
}

#[test]
fn init_without_bootstrap_names_the_missing_bucket() {
    let p = project(&[(
        "main.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"sakk-does-not-exist-1\"\n    key = \"k\"\n    region = \"us-east-1\"\n  }\n}\n",
    )]);
    let o = sakk_aws(p.path(), &["init"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("S3 HeadBucket sakk-does-not-exist-1") && e.contains("--bootstrap"),
        "{e}"
    );
    assert!(!e.contains("AWS_SECRET_ACCESS_KEY=") && !e.contains("test:test"));
}

#[test]
fn migrating_local_state_to_s3_keeps_lineage_and_serial() {
    let bucket = unique("sakk-mig");
    let table = unique("sakk-mig-locks");
    let p = project(&[
        ("main.tf", "variable \"x\" { default = 1 }\n"),
        ("s.json", &state_doc(LINEAGE, 7, &["a"])),
    ]);
    let d = p.path();
    assert!(sakk_aws(d, &["init"]).status.success());
    assert!(sakk_aws(d, &["state", "push", "s.json"]).status.success());
    std::fs::write(
        d.join("main.tf"),
        "terraform {\n  backend \"s3\" {}\n}\nvariable \"x\" { default = 1 }\n",
    )
    .expect("write");
    let cfg = [
        format!("--backend-config=bucket={bucket}"),
        "--backend-config=key=app/terraform.tfstate".to_string(),
        "--backend-config=region=us-east-1".to_string(),
        format!("--backend-config=dynamodb_table={table}"),
    ];
    let mut args: Vec<&str> = vec!["init", "--bootstrap"];
    args.extend(cfg.iter().map(|s| s.as_str()));
    // The backend changed and the old one holds state: init refuses to drop it silently.
    let o = sakk_aws(d, &args);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--migrate-state"), "{}", stderr(&o));
    args.push("--force-copy");
    let o = sakk_aws(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = boto3(&format!(
        "s = json.loads(s3.get_object(Bucket='{bucket}', Key='app/terraform.tfstate')['Body'].read())\nprint(s['lineage'], s['serial'])"
    ));
    assert_eq!(out.trim(), format!("{LINEAGE} 7"));
    let o = sakk_aws(d, &["state", "list"]);
    assert_eq!(stdout(&o), "aws_s3_bucket.a\n");
}

/// Two processes race for the same S3 state (both DynamoDB and S3 lock object configured).
#[test]
fn two_processes_racing_for_the_lock() {
    let (p, bucket, _) = s3_project_with("use_lockfile = true\n", SLEEP_6S);
    let d = p.path();
    assert!(sakk_aws(d, &["state", "push", "d.json"]).status.success());
    let key = "fleet/terraform.tfstate";
    let s0 = serial_in_s3(&bucket, key);

    // A holds the lock for 6 s: a real apply waiting on a time_sleep.
    let mut a = Command::new(env!("CARGO_BIN_EXE_sakk"));
    aws_env(&mut a)
        .current_dir(d)
        .args(HOLD_APPLY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let a = a.spawn().expect("spawn a");
    wait_for_lock(&bucket, key);
    let lock_obj = boto3(&format!(
        "print(json.loads(s3.get_object(Bucket='{bucket}', Key='{key}.tflock')['Body'].read())['Operation'])"
    ));
    assert_eq!(lock_obj.trim(), "OperationTypeApply");

    // B with a short timeout fails within it, naming the holder.
    let t = Instant::now();
    let o = sakk_aws(d, &["state", "rm", "--lock-timeout=1s", "terraform_data.b"]);
    let took = t.elapsed();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("the state is locked")
            && e.contains("Operation: OperationTypeApply")
            && e.contains("Who:"),
        "{e}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");

    // B with a longer timeout waits, then succeeds.
    let o = sakk_aws(
        d,
        &["state", "rm", "--lock-timeout=30s", "terraform_data.b"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let a = a.wait_with_output().expect("wait a");
    assert!(a.status.success(), "{}", stderr(&a));

    // No update lost: both changes, serials strictly increased.
    assert_eq!(
        stdout(&sakk_aws(d, &["state", "list"])),
        "terraform_data.a\ntime_sleep.w\n"
    );
    assert!(serial_in_s3(&bucket, key) >= s0 + 2);
    // Both locks released.
    let o = sakk_aws(d, &["state", "rm", "--lock-timeout=0s", "terraform_data.a"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A lock holder: an apply of only the time_sleep (no refresh of the state's other objects).
const HOLD_APPLY: [&str; 5] = [
    "apply",
    "--auto-approve",
    "--refresh=false",
    "--target=time_sleep.w",
    "--parallelism=1",
];
const SLEEP_6S: &str = "resource \"time_sleep\" \"w\" {\n  create_duration = \"6s\"\n}\n";
const SLEEP_60S: &str = "resource \"time_sleep\" \"w\" {\n  create_duration = \"60s\"\n}\n";

fn wait_for_lock(bucket: &str, key: &str) {
    let start = Instant::now();
    loop {
        let n = boto3(&format!(
            "r = s3.list_objects_v2(Bucket='{bucket}', Prefix='{key}.tflock')\nprint(r.get('KeyCount', 0))"
        ));
        if n.trim() != "0" {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "lock never taken"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn lock_id_from(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("ID:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no lock ID in: {stderr}"))
}

#[test]
fn sigkill_leaves_a_lock_that_force_unlock_clears_with_the_right_id_only() {
    let (p, bucket, table) = s3_project_with("", SLEEP_60S);
    let d = p.path();
    assert!(sakk_aws(d, &["state", "push", "d.json"]).status.success());
    let mut c = Command::new(env!("CARGO_BIN_EXE_sakk"));
    aws_env(&mut c)
        .current_dir(d)
        .args(HOLD_APPLY)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    let lock_id = format!("{bucket}/fleet/terraform.tfstate");
    let start = Instant::now();
    loop {
        let n = boto3(&format!(
            "print(len(ddb.get_item(TableName='{table}', Key={{'LockID': {{'S': '{lock_id}'}}}}).get('Item', {{}})))"
        ));
        if n.trim() != "0" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "lock never taken"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let o = sakk_aws(d, &["state", "rm", "terraform_data.b"]);
    assert!(!o.status.success());
    let id = lock_id_from(&stderr(&o));
    assert!(stderr(&o).contains(&format!("sakk force-unlock {id}")));

    let o = sakk_aws(
        d,
        &[
            "force-unlock",
            "--force",
            "00000000-0000-4000-8000-000000000000",
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("does not match"), "{}", stderr(&o));
    assert!(!sakk_aws(d, &["state", "rm", "terraform_data.b"])
        .status
        .success());

    let o = sakk_aws(d, &["force-unlock", "--force", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sakk_aws(d, &["state", "rm", "terraform_data.b"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The killed process changed nothing.
    assert_eq!(
        stdout(&sakk_aws(d, &["state", "list"])),
        "terraform_data.a\n"
    );
}

/// A writer killed between the state object's PUT and the digest's update leaves a newer
/// object (same lineage, a later serial) than the digest describes: it is the state, read as
/// such, and the next write brings the digest up to date. An older object (a stale read or a
/// rollback by hand) is still refused.
#[test]
fn a_write_cut_off_before_its_digest_update_is_read_and_an_older_object_is_refused() {
    let (p, bucket, _table) = s3_project("");
    let d = p.path();
    assert!(sakk_aws(d, &["state", "push", "s.json"]).status.success());
    let serial = serial_in_s3(&bucket, "fleet/terraform.tfstate");
    let rewrite = |to: u64| {
        boto3(&format!(
            "o = json.loads(s3.get_object(Bucket='{bucket}', Key='fleet/terraform.tfstate')['Body'].read())\n\
             o['serial'] = {to}\n\
             o['resources'] = [r for r in o['resources'] if r['name'] != 'b']\n\
             s3.put_object(Bucket='{bucket}', Key='fleet/terraform.tfstate', Body=json.dumps(o).encode())"
        ));
    };
    rewrite(serial + 1);
    let o = sakk_aws(d, &["state", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "aws_s3_bucket.a",
        "the newer object is the state"
    );
    // The next write records its digest: an unchanged read works on.
    assert!(sakk_aws(d, &["state", "rm", "aws_s3_bucket.a"])
        .status
        .success());
    assert_eq!(serial_in_s3(&bucket, "fleet/terraform.tfstate"), serial + 2);
    assert!(sakk_aws(d, &["state", "list"]).status.success());
    // An object older than the digest's is refused.
    rewrite(serial);
    let o = sakk_aws(d, &["state", "list"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("does not match the checksum stored in DynamoDB"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn state_object_not_matching_its_digest_is_refused_with_the_repair_message() {
    let (p, bucket, table) = s3_project("");
    let d = p.path();
    assert!(sakk_aws(d, &["state", "push", "s.json"]).status.success());
    boto3(&format!(
        "s3.put_object(Bucket='{bucket}', Key='fleet/terraform.tfstate', Body=b'{{\"version\": 4, \"serial\": 99, \"lineage\": \"x\"}}')"
    ));
    let o = sakk_aws(d, &["state", "list"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("does not match the checksum stored in DynamoDB")
            && e.contains(&format!("aws dynamodb put-item --table-name {table}"))
            && e.contains(&format!("{bucket}/fleet/terraform.tfstate-md5")),
        "{e}"
    );
    let o = sakk_aws(d, &["state", "rm", "aws_s3_bucket.a"]);
    assert!(!o.status.success());
    // The object was not overwritten.
    assert_eq!(serial_in_s3(&bucket, "fleet/terraform.tfstate"), 99);
}

#[test]
fn s3_workspaces_live_under_env_prefix() {
    let (p, bucket, _) = s3_project("");
    let d = p.path();
    let o = sakk_aws(d, &["workspace", "new", "staging"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(sakk_aws(d, &["state", "push", "--force", "s.json"])
        .status
        .success());
    assert_eq!(
        serial_in_s3(&bucket, "env:/staging/fleet/terraform.tfstate"),
        2
    );
    let o = sakk_aws(d, &["workspace", "list"]);
    assert_eq!(stdout(&o), "  default\n* staging\n");
    let enc = boto3(&format!(
        "print(s3.head_object(Bucket='{bucket}', Key='env:/staging/fleet/terraform.tfstate').get('ServerSideEncryption'))"
    ));
    assert_eq!(enc.trim(), "AES256");
}
