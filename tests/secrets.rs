//! Secrets never leak, against moto: a `sensitive = true` variable in tags (and so in the
//! provider-computed `tags_all`) and a sensitive output go through plan (human, `--json`,
//! `--markdown`), apply, a second plan, `state show`, `output` and a saved plan's `show`, and
//! through the error messages that quote an argument; every channel is searched for the secret.

mod common;
use common::*;
use std::path::Path;

const SECRET: &str = "Hunter2-Secret-42";

fn config(role: &str, bucket: &str, extra: &str) -> String {
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
  default_tags {{
    tags = {{ ManagedBy = "sakk" }}
  }}
}}
variable "db_password" {{
  default   = "{SECRET}"
  sensitive = true
}}
resource "aws_iam_role" "r" {{
  name               = "{role}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
  tags               = {{ pw = var.db_password, team = "x" }}
}}
resource "aws_s3_bucket" "b" {{
  bucket        = "{bucket}"
  force_destroy = true
  tags          = {{ pw = var.db_password }}
}}
output "pw" {{
  value     = var.db_password
  sensitive = true
}}
output "role_tags" {{
  value     = aws_iam_role.r.tags_all
  sensitive = true
}}
{extra}"#
    )
}

/// Runs sakk and returns everything it printed (stdout and stderr) and its exit code.
fn run_all(dir: &Path, args: &[&str]) -> (String, Option<i32>) {
    let o = sakk_aws(dir, args);
    (format!("{}{}", stdout(&o), stderr(&o)), o.status.code())
}

#[test]
fn a_sensitive_variable_never_prints_through_any_channel() {
    let (role, bucket) = (unique("sakk-leak-role"), unique("sakk-leak"));
    let p = project(&[("main.tf", &config(&role, &bucket, ""))]);
    let d = p.path();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut step = |what: &str, args: &[&str], want: Option<i32>| -> String {
        let (out, code) = run_all(d, args);
        assert_eq!(code, want, "{what}: {out}");
        seen.push((what.to_string(), out.clone()));
        out
    };
    step("init", &["init"], Some(0));
    let plan = step("plan", &["plan"], Some(0));
    assert!(
        plan.contains("pw        = (sensitive value)"),
        "tags_all is masked: {plan}"
    );
    step("plan --json", &["plan", "--json"], Some(0));
    step("plan --markdown", &["plan", "--markdown"], Some(0));
    step("plan --out", &["plan", "--out", "p.bin"], Some(0));
    step("show", &["show", "p.bin"], Some(0));
    step("show --json", &["show", "--json", "p.bin"], Some(0));
    step("apply", &["apply", "p.bin"], Some(0));
    // The marks are in the state (Terraform's sensitive_attributes, at depth): the re-plan is
    // clean and shows nothing.
    let again = step("second plan", &["plan", "--detailed-exitcode"], Some(0));
    assert!(again.contains("No changes."), "{again}");
    step(
        "state show role",
        &["state", "show", "aws_iam_role.r"],
        Some(0),
    );
    step(
        "state show bucket",
        &["state", "show", "aws_s3_bucket.b"],
        Some(0),
    );
    step("output", &["output"], Some(0));
    step("output pw", &["output", "pw"], Some(0));
    let st: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("terraform.tfstate")).unwrap())
            .unwrap();
    let role_paths = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "aws_iam_role")
        .map(|r| r["instances"][0]["sensitive_attributes"].to_string())
        .unwrap();
    assert!(
        role_paths.contains("tags_all") && role_paths.contains("\"pw\""),
        "{role_paths}"
    );
    // AWS has the real value (sakk did not replace it; it only hides it).
    let tag = boto3(&format!(
        "iam = boto3.client('iam')\nprint({{t['Key']: t['Value'] for t in iam.list_role_tags(RoleName='{role}')['Tags']}}['pw'])"
    ));
    assert_eq!(tag.trim(), SECRET);
    step("destroy", &["destroy", "--auto-approve"], Some(0));
    for (what, out) in &seen {
        assert!(!out.contains(SECRET), "{what} printed the secret:\n{out}");
    }
}

#[test]
fn error_messages_that_quote_an_argument_redact_the_secret() {
    let cases = [
        (
            "resource \"aws_s3_bucket\" \"bad\" {\n  bucket = \"Bad_${var.db_password}\"\n}\n",
            "is not a valid S3 bucket name",
        ),
        (
            "resource \"terraform_data\" \"c\" {\n  input = cidrsubnet(var.db_password, 8, 1)\n}\n",
            "invalid CIDR address",
        ),
        (
            "resource \"terraform_data\" \"f\" {\n  input = file(var.db_password)\n}\n",
            "no file exists at",
        ),
    ];
    for (extra, expect) in cases {
        let (role, bucket) = (unique("sakk-leak-role"), unique("sakk-leak"));
        let p = project(&[("main.tf", &config(&role, &bucket, extra))]);
        let d = p.path();
        assert_eq!(run_all(d, &["init"]).1, Some(0));
        let (out, code) = run_all(d, &["plan"]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains(expect), "{out}");
        assert!(out.contains("(sensitive value)"), "{out}");
        assert!(
            !out.contains(SECRET),
            "the error printed the secret:\n{out}"
        );
    }
}

/// The reported bypass through the binary: a manifest value taken from another resource's
/// provider-computed `tags_all["pw"]` is refused, in the first apply and in a second one, and
/// the Git history (`git log -p --all` of the remote) never holds the secret.
#[test]
fn the_gitops_guard_refuses_a_secret_through_a_computed_attribute() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let seed = tmp.path().join("seed");
    std::fs::create_dir_all(&seed).expect("mkdir");
    git(&seed, &["init", "-q", "-b", "main"]);
    std::fs::write(seed.join("README.md"), "# fleet\n").expect("write");
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-qm", "initial"]);
    let remote = tmp.path().join("remote.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            seed.to_str().unwrap(),
            remote.to_str().unwrap(),
        ],
    );
    let gitops = |values: &str| {
        format!(
            r#"
provider "gitops" {{
  repository = "file://{}"
  branch     = "main"
}}
resource "argocd_application" "db" {{
  metadata = {{ name = "db" }}
  spec = {{
    project = "default"
    source = {{
      repoURL        = "https://charts.example.com"
      chart          = "db"
      targetRevision = "1.0.0"
      helm           = {{ values = {values} }}
    }}
    destination = {{ server = "https://kubernetes.default.svc", namespace = "db" }}
  }}
}}
"#,
            remote.display()
        )
    };
    let (role, bucket) = (unique("sakk-leak-role"), unique("sakk-leak"));
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let write = |values: &str| {
        std::fs::write(
            work.join("main.tf"),
            config(&role, &bucket, &gitops(values)),
        )
        .unwrap()
    };
    let mut printed = String::new();
    // First apply: the role exists with its tags; the manifest with a public value commits.
    write("\"replicas: 1\"");
    for args in [&["init"][..], &["apply", "--auto-approve"]] {
        let (out, code) = run_all(&work, args);
        assert_eq!(code, Some(0), "{out}");
        printed.push_str(&out);
    }
    // Second apply: the manifest now takes the password through tags_all (read back from the
    // state of the first apply): refused, nothing committed.
    write("aws_iam_role.r.tags_all[\"pw\"]");
    let (out, code) = run_all(&work, &["apply", "--auto-approve"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("secret"), "{out}");
    printed.push_str(&out);
    // In one apply from scratch too.
    let (out, code) = run_all(&work, &["destroy", "--auto-approve"]);
    printed.push_str(&out);
    assert_eq!(code, Some(0), "{out}");
    let (out, code) = run_all(&work, &["apply", "--auto-approve"]);
    printed.push_str(&out);
    assert_eq!(code, Some(1), "{out}");
    let history = git(&remote, &["log", "-p", "--all"]);
    assert!(
        history.contains("replicas: 1"),
        "the public manifest was committed: {history}"
    );
    assert!(
        !history.contains(SECRET),
        "the secret reached Git:\n{history}"
    );
    assert!(
        !printed.contains(SECRET),
        "a command printed the secret:\n{printed}"
    );
    let (out, _) = run_all(&work, &["destroy", "--auto-approve"]);
    assert!(!out.contains(SECRET), "{out}");
}

/// `nonsensitive()` is the explicit opt-out, and visibly so: a manifest value declassified
/// with it plans with the annotation (human, markdown, `--json`'s `after_declassified`), the
/// saved plan shows the same, the apply commits it, the re-plan is clean; the sensitive
/// variable itself in the same place is still refused and never reaches Git. GitOps only
/// (no AWS).
#[test]
fn nonsensitive_is_shown_in_the_plan_and_committed_while_the_secret_is_refused() {
    const NOTE: &str = "# declassified with nonsensitive()";
    let tmp = tempfile::tempdir().expect("tempdir");
    let remote = bare_remote(tmp.path());
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let write = |values: &str| {
        let text = format!(
            r#"
variable "db_password" {{
  default   = "{SECRET}"
  sensitive = true
}}
provider "gitops" {{
  repository = "file://{}"
  branch     = "main"
}}
resource "argocd_application" "db" {{
  metadata = {{ name = "db" }}
  spec = {{
    project = "default"
    source = {{
      repoURL        = "https://charts.example.com"
      chart          = "db"
      targetRevision = "1.0.0"
      helm           = {{ values = {values} }}
    }}
    destination = {{ server = "https://kubernetes.default.svc", namespace = "db" }}
  }}
}}
"#,
            remote.display()
        );
        std::fs::write(work.join("main.tf"), text).expect("write");
    };
    let run = |args: &[&str]| {
        let o = run_in(&work, args);
        (format!("{}{}", stdout(&o), stderr(&o)), o.status.code())
    };
    write("\"password: ${nonsensitive(var.db_password)}\"");
    let (out, code) = run(&["init"]);
    assert_eq!(code, Some(0), "{out}");
    let annotated = format!("values = \"password: {SECRET}\" {NOTE}");
    let (plan, code) = run(&["plan"]);
    assert_eq!(code, Some(0), "{plan}");
    assert!(plan.contains(&annotated), "{plan}");
    let (md, code) = run(&["plan", "--markdown"]);
    assert_eq!(code, Some(0), "{md}");
    assert!(md.contains(&annotated), "{md}");
    let declassified = |json: &str| -> serde_json::Value {
        let doc: serde_json::Value = serde_json::from_str(json).expect("plan JSON");
        let c = doc["resource_changes"]
            .as_array()
            .expect("resource_changes")
            .iter()
            .find(|c| c["address"] == "argocd_application.db")
            .expect("the application")["change"]
            .clone();
        // Terraform's own fields are as they were: nothing is sensitive any more.
        assert!(!c["after_sensitive"].to_string().contains("true"), "{c}");
        assert_eq!(
            c["after_declassified"]["spec"]["source"]["helm"]["values"], true,
            "{c}"
        );
        assert_eq!(
            c["after"]["spec"]["source"]["helm"]["values"],
            format!("password: {SECRET}")
        );
        c["after_declassified"].clone()
    };
    let (json, code) = run(&["plan", "--json"]);
    assert_eq!(code, Some(0), "{json}");
    let want = declassified(&json);
    // Nothing else of the manifest is declassified.
    assert_eq!(want.to_string().matches("true").count(), 1, "{want}");
    // The saved plan keeps the mark: `show` prints the same, and apply executes it.
    let (out, code) = run(&["plan", "--out", "p.bin"]);
    assert_eq!(code, Some(0), "{out}");
    let (shown, code) = run(&["show", "p.bin"]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains(&annotated), "{shown}");
    let (json, code) = run(&["show", "--json", "p.bin"]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(declassified(&json), want);
    let (out, code) = run(&["apply", "p.bin"]);
    assert_eq!(code, Some(0), "{out}");
    let files = git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    let path = files
        .lines()
        .find(|f| f.ends_with("application-db.yaml"))
        .unwrap_or_else(|| panic!("the manifest was committed: {files}"))
        .to_string();
    let file = git(&remote, &["show", &format!("main:{path}")]);
    assert!(file.contains(&format!("password: {SECRET}")), "{file}");
    // Nothing of the mark is in the state; the re-plan is clean.
    let (again, code) = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{again}");
    assert!(again.contains("No changes."), "{again}");
    let commits = git(&remote, &["rev-list", "--count", "main"]);
    // The sensitive variable itself: refused at plan and at apply, nothing committed, not
    // printed.
    write("var.db_password");
    for args in [&["plan"][..], &["apply", "--auto-approve"]] {
        let (out, code) = run(args);
        assert_eq!(code, Some(1), "{args:?}: {out}");
        assert!(out.contains("would commit a secret to Git"), "{out}");
        assert!(out.contains("nonsensitive()"), "the hint: {out}");
        assert!(!out.contains(SECRET), "{args:?} printed the secret:\n{out}");
    }
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), commits);
    let now = git(&remote, &["show", &format!("main:{path}")]);
    assert_eq!(now, file, "unchanged");
}
