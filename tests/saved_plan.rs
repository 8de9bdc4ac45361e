//! The saved plan is the contract, against moto: `sakk apply plan.bin` applies exactly what the
//! reviewed plan showed (files edited after the plan do not leak in; drift shown in the plan is
//! applied as shown), a damaged or edited plan file is refused (digest), an edited and re-hashed
//! one too when plans are signed (HMAC with SAKK_PLAN_KEY), and `sakk show plan.bin` renders the
//! saved plan without the state or AWS. boto3 checks what is really in AWS.

mod common;
use common::*;
use sha2::{Digest, Sha256};
use std::path::Path;

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = sakk_aws(dir, args);
    assert!(
        o.status.success(),
        "sakk {args:?} failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn with_key(dir: &Path, key: &str, args: &[&str]) -> std::process::Output {
    let mut c = sakk();
    aws_env(&mut c)
        .current_dir(dir)
        .env("SAKK_PLAN_KEY", key)
        .args(args)
        .output()
        .expect("run sakk")
}

const POLICY_REVIEWED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::reviewed/*"}]}"#;
const POLICY_EDITED: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

#[test]
fn files_edited_after_the_plan_do_not_change_what_is_applied() {
    let name = unique("sakk-sp-policy");
    let p = project(&[
        (
            "main.tf",
            &format!(
                "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\nresource \"aws_iam_policy\" \"p\" {{\n  name   = \"{name}\"\n  policy = file(\"policy.json\")\n  tags   = jsondecode(file(\"tags.json\"))\n}}\n"
            ),
        ),
        ("policy.json", POLICY_REVIEWED),
        ("tags.json", r#"{"team": "reviewed"}"#),
    ]);
    let d = p.path();
    ok(d, &["init"]);
    let shown = ok(d, &["plan", "--out", "p.bin"]);
    assert!(shown.contains("s3:PutObject"), "{shown}");
    // Someone edits the files after the review, before the apply.
    std::fs::write(d.join("policy.json"), POLICY_EDITED).unwrap();
    std::fs::write(d.join("tags.json"), r#"{"team": "edited"}"#).unwrap();
    ok(d, &["apply", "p.bin"]);
    let got = boto3(&format!(
        "iam = boto3.client('iam')\n\
         arn = [p['Arn'] for p in iam.list_policies(Scope='Local')['Policies'] if p['PolicyName'] == '{name}'][0]\n\
         pol = iam.get_policy(PolicyArn=arn)['Policy']\n\
         doc = iam.get_policy_version(PolicyArn=arn, VersionId=pol['DefaultVersionId'])['PolicyVersion']['Document']\n\
         tags = {{t['Key']: t['Value'] for t in iam.list_policy_tags(PolicyArn=arn)['Tags']}}\n\
         print(json.dumps(doc, sort_keys=True)); print(tags.get('team'))"
    ));
    let mut lines = got.lines();
    let doc = lines.next().unwrap_or_default();
    assert!(
        doc.contains("s3:PutObject") && !doc.contains("\"s3:*\""),
        "AWS got: {doc}"
    );
    assert_eq!(lines.next(), Some("reviewed"));
    // A new plan sees the edited files: the reviewed content is what AWS has.
    let replan = ok(d, &["plan"]);
    assert!(
        replan.contains("will be updated in-place") && replan.contains("s3:*"),
        "{replan}"
    );
    ok(d, &["destroy", "--auto-approve"]);
}

#[test]
fn drift_in_a_saved_plan_is_applied_as_shown() {
    let bucket = unique("sakk-sp-drift");
    let p = project(&[(
        "main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket        = \"{bucket}\"\n  force_destroy = true\n}}\n"
        ),
    )]);
    let d = p.path();
    ok(d, &["init"]);
    ok(d, &["apply", "--auto-approve"]);
    // Deleted out of band: the plan shows the re-create.
    boto3(&format!("s3.delete_bucket(Bucket='{bucket}')"));
    let shown = ok(d, &["plan", "--out", "p.bin"]);
    assert!(
        shown.contains("has been deleted")
            && shown.contains("will be created (it was deleted outside sakk)")
            && shown.contains("1 to add, 0 to change, 0 to destroy"),
        "{shown}"
    );
    let applied = ok(d, &["apply", "p.bin"]);
    assert!(
        applied.contains("1 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    let n = boto3(&format!(
        "print(len([b for b in s3.list_buckets()['Buckets'] if b['Name'] == '{bucket}']))"
    ));
    assert_eq!(n.trim(), "1");
    assert!(ok(d, &["plan"]).contains("No changes."));
    ok(d, &["destroy", "--auto-approve"]);
}

/// The body of a plan file (after its three header lines).
fn split(bytes: &[u8]) -> (Vec<String>, Vec<u8>) {
    let mut head = Vec::new();
    let mut rest = bytes;
    for _ in 0..3 {
        let i = rest.iter().position(|b| *b == b'\n').expect("header line");
        head.push(String::from_utf8_lossy(&rest[..i]).into_owned());
        rest = &rest[i + 1..];
    }
    (head, rest.to_vec())
}

fn rehash(head: &[String], body: &[u8]) -> Vec<u8> {
    let digest: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut out = format!("{}\nsha256 {digest}\n{}\n", head[0], head[2]).into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn edited_plan_files_are_refused() {
    let bucket = unique("sakk-sp-edit");
    let p = project(&[(
        "main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\nvariable \"name\" {{\n  default = \"{bucket}\"\n}}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket        = var.name\n  force_destroy = true\n}}\n"
        ),
    )]);
    let d = p.path();
    ok(d, &["init"]);
    ok(d, &["plan", "--out", "p.bin"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("p.bin"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "plan files hold secrets");
    }
    let bytes = std::fs::read(d.join("p.bin")).unwrap();
    let (head, body) = split(&bytes);
    // The variable recorded in the file is edited: the digest refuses it.
    let other = format!("{bucket}-x");
    let edited_body = String::from_utf8(body.clone())
        .unwrap()
        .replace(&bucket, &other);
    assert_ne!(
        edited_body.as_bytes(),
        &body[..],
        "the body names the bucket"
    );
    let mut edited = format!("{}\n{}\n{}\n", head[0], head[1], head[2]).into_bytes();
    edited.extend_from_slice(edited_body.as_bytes());
    std::fs::write(d.join("edited.bin"), &edited).unwrap();
    let o = sakk_aws(d, &["apply", "edited.bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("damaged or was edited after it was written"),
        "{}",
        stderr(&o)
    );
    // Truncated: refused too.
    std::fs::write(d.join("cut.bin"), &bytes[..bytes.len() / 2]).unwrap();
    let o = sakk_aws(d, &["apply", "cut.bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("digest"), "{}", stderr(&o));
    // Without a key an edited-and-rehashed file passes the digest; signed plans catch it.
    let o = with_key(d, "k1", &["plan", "--out", "signed.bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shead, sbody) = split(&std::fs::read(d.join("signed.bin")).unwrap());
    assert!(shead[2].starts_with("hmac-sha256 "), "{shead:?}");
    let forged_body = String::from_utf8(sbody).unwrap().replace(&bucket, &other);
    std::fs::write(d.join("forged.bin"), rehash(&shead, forged_body.as_bytes())).unwrap();
    let o = with_key(d, "k1", &["apply", "forged.bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("signature does not match SAKK_PLAN_KEY"),
        "{}",
        stderr(&o)
    );
    // With a key set, an unsigned plan is refused.
    let o = with_key(d, "k1", &["apply", "p.bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not signed"), "{}", stderr(&o));
    // Nothing reached AWS; the signed plan itself applies.
    let count = |name: &str| {
        boto3(&format!(
            "print(len([b for b in s3.list_buckets()['Buckets'] if b['Name'] == '{name}']))"
        ))
        .trim()
        .to_string()
    };
    assert_eq!(count(&bucket), "0");
    assert_eq!(count(&other), "0");
    let o = with_key(d, "k1", &["apply", "signed.bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(count(&bucket), "1");
    ok(d, &["destroy", "--auto-approve"]);
}

#[test]
fn show_renders_the_saved_plan_without_state_or_aws() {
    let bucket = unique("sakk-sp-show");
    let p = project(&[(
        "main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\nvariable \"pw\" {{\n  default   = \"hunter2-secret\"\n  sensitive = true\n}}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket        = \"{bucket}\"\n  force_destroy = true\n}}\noutput \"arn\" {{\n  value = aws_s3_bucket.b.arn\n}}\noutput \"pw\" {{\n  value     = var.pw\n  sensitive = true\n}}\n"
        ),
    )]);
    let d = p.path();
    ok(d, &["init"]);
    let plan_json = ok(d, &["plan", "--out", "p.bin", "--json"]);
    // No AWS (a closed port) and no state: show reads only the file.
    std::fs::remove_dir_all(d.join(".sakk")).ok();
    let mut c = sakk();
    let o = c
        .current_dir(d)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args(["show", "--json", "p.bin"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let a: serde_json::Value = serde_json::from_str(&plan_json).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(a, b, "show --json is the plan --json of the same plan");
    let human = stdout(
        &sakk()
            .current_dir(d)
            .args(["show", "p.bin"])
            .output()
            .unwrap(),
    );
    assert!(human.contains("will be created"), "{human}");
    for out in [&human, &stdout(&o)] {
        assert!(!out.contains("hunter2-secret"), "a secret printed: {out}");
    }
}
