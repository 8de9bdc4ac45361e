//! Helpers for end-to-end tests: they run the real `sakk` binary in temporary directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn sakk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sakk"));
    c.env("NO_COLOR", "1");
    c
}

/// Writes `files` (relative path, content) under a new temporary directory.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
    }
    dir
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    sakk()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run sakk")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The diagnostics of `sakk validate --json` in `dir`.
pub fn validate_json(dir: &Path) -> serde_json::Value {
    let o = run_in(dir, &["validate", "--json"]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad json ({e}): {}", stdout(&o)))
}

/// (summary, filename, line, column) of every diagnostic.
pub fn diag_locations(v: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["summary"].as_str().unwrap_or_default().to_string(),
                        d["range"]["filename"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        d["range"]["start"]["line"].as_u64().unwrap_or(0),
                        d["range"]["start"]["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The endpoint of a moto server (fake AWS) on 127.0.0.1: `AWS_ENDPOINT_URL` when set (CI and
/// `scripts/test` start one); otherwise, outside CI, one started with `scripts/moto ensure`.
/// In CI (`CI=true`) a missing `AWS_ENDPOINT_URL` fails the test: it must not be skipped.
pub fn moto() -> String {
    if let Ok(e) = std::env::var("AWS_ENDPOINT_URL") {
        if !e.is_empty() {
            return e;
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "AWS_ENDPOINT_URL is not set: CI must start moto (scripts/moto start) before the tests"
        );
    }
    static ENDPOINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ENDPOINT
        .get_or_init(|| {
            let o = Command::new(repo_root().join("scripts/moto"))
                .arg("ensure")
                .output()
                .expect("run scripts/moto");
            assert!(
                o.status.success(),
                "scripts/moto ensure failed: {}",
                stderr(&o)
            );
            stdout(&o)
                .lines()
                .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL="))
                .expect("endpoint in scripts/moto output")
                .to_string()
        })
        .clone()
}

/// The environment of a process talking to moto: dummy credentials, no real AWS config.
pub fn aws_env(c: &mut Command) -> &mut Command {
    c.env("AWS_ENDPOINT_URL", moto())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/sakk-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sakk-test")
        .env("SAKK_S3_CONSISTENCY_TIMEOUT", "1s")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
}

/// `sakk ARGS` in `dir`, against moto.
pub fn sakk_aws(dir: &Path, args: &[&str]) -> Output {
    let mut c = sakk();
    aws_env(&mut c)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run sakk")
}

/// Runs a Python snippet with boto3 against moto (an independent client); returns its stdout.
pub fn boto3(script: &str) -> String {
    let mut c = Command::new(repo_root().join("scripts/moto"));
    c.args([
        "python",
        "-c",
        &format!(
            "import boto3, json\ns3 = boto3.client('s3')\nddb = boto3.client('dynamodb')\n{script}"
        ),
    ]);
    let o = aws_env(&mut c).output().expect("run python");
    assert!(
        o.status.success(),
        "boto3 script failed:\n{script}\n{}",
        stderr(&o)
    );
    stdout(&o)
}

/// A bucket/table name no other test uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 1_000_000_000)
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{t}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A state document with the given lineage, serial and resources (aws_s3_bucket.NAME), each
/// with a sensitive `password`.
pub fn state_doc(lineage: &str, serial: u64, names: &[&str]) -> String {
    let resources: Vec<serde_json::Value> = names
        .iter()
        .map(|n| {
            serde_json::json!({
                "mode": "managed", "type": "aws_s3_bucket", "name": n,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{"schema_version": 0, "attributes": {"id": n, "password": format!("pw-{n}")},
                               "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]]}]
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "version": 4, "terraform_version": "1.5.7", "serial": serial, "lineage": lineage,
        "outputs": {}, "resources": resources
    }))
    .expect("json")
}

/// A state document with terraform_data.NAME resources (the builtin provider's, so a plan can
/// read it without AWS).
pub fn data_state_doc(lineage: &str, serial: u64, names: &[&str]) -> String {
    let resources: Vec<serde_json::Value> = names
        .iter()
        .map(|n| {
            serde_json::json!({
                "mode": "managed", "type": "terraform_data", "name": n,
                "provider": "provider[\"terraform.io/builtin/terraform\"]",
                "instances": [{"schema_version": 0, "attributes": {"id": n}}]
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "version": 4, "terraform_version": "1.5.7", "serial": serial, "lineage": lineage,
        "outputs": {}, "resources": resources
    }))
    .expect("json")
}

// ---- examples: Git remotes, copies of examples/ and modules/, manifest checks ----

/// `git ARGS` in `dir` with a fixed identity; fails the test on error; stdout trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Copies a directory tree (without `.sakk/`).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let name = e.file_name();
        if name == ".sakk" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).expect("copy");
        }
    }
}

/// A bare repository with one commit (README.md) on main.
pub fn bare_remote(tmp: &Path) -> PathBuf {
    let seed = tmp.join("seed");
    std::fs::create_dir_all(&seed).expect("mkdir");
    git(&seed, &["init", "-q", "-b", "main"]);
    std::fs::write(seed.join("README.md"), "# gitops\n").expect("write");
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-qm", "initial"]);
    let remote = tmp.join("gitops.git");
    git(
        tmp,
        &[
            "clone",
            "-q",
            "--bare",
            seed.to_str().expect("utf8"),
            remote.to_str().expect("utf8"),
        ],
    );
    remote
}

/// Asserts that a command succeeded, showing its output otherwise.
pub fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}\n{}", stdout(o), stderr(o));
}

/// The plan summary line (`Plan: ...` or `No changes.`) of a `sakk plan` run.
pub fn plan_line(o: &std::process::Output) -> String {
    stdout(o)
        .lines()
        .find(|l| l.starts_with("Plan: ") || l.starts_with("No changes."))
        .unwrap_or_else(|| panic!("no plan summary in:\n{}\n{}", stdout(o), stderr(o)))
        .to_string()
}

/// Every file sakk wrote in `remote`'s main, validated against ../shared/schemas by kind; the
/// Kubeflow Applications' paths must be listed in ../shared/data. Returns the file count.
pub fn check_manifests(remote: &Path) -> usize {
    let files = git(remote, &["ls-tree", "-r", "--name-only", "main"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for f in files.lines().filter(|f| f.ends_with(".yaml")) {
        let text = git(remote, &["show", &format!("main:{f}")]);
        assert!(text.starts_with("# Managed by sakk"), "{f}: {text}");
        std::fs::write(dir.path().join(format!("{n}.yaml")), text).expect("write");
        n += 1;
    }
    // The shared schemas and component list when this checkout sits beside them; otherwise the
    // project's own copies (providers/schemas, modules/kubeflow; provenance noted there).
    let shared = repo_root().join("../shared");
    let (schemas, tsv) = if shared.join("schemas").is_dir() {
        eprintln!("validating against {}", shared.display());
        (
            format!(
                "{{'Application': '{s}/schemas/argocd/application.v1alpha1.schema.json', 'AppProject': '{s}/schemas/argocd/appproject.v1alpha1.schema.json', 'ApplicationSet': '{s}/schemas/argocd/applicationset.v1alpha1.schema.json', 'Profile': '{s}/schemas/kubeflow/profile.v1.schema.json'}}",
                s = shared.display()
            ),
            shared.join("data/kubeflow-components-26.03.tsv"),
        )
    } else {
        let p = repo_root().join("providers/schemas");
        eprintln!(
            "../shared is not beside this checkout: validating against the in-tree copies in {}",
            p.display()
        );
        (
            format!(
                "{{'Application': '{s}/argocd/application.json', 'AppProject': '{s}/argocd/appproject.json', 'ApplicationSet': '{s}/argocd/applicationset.json', 'Profile': '{s}/kubeflow/profile.json'}}",
                s = p.display()
            ),
            repo_root().join("modules/kubeflow/components-26.03.tsv"),
        )
    };
    let script = format!(
        r##"
import glob, yaml, jsonschema, re
schemas = {schemas}
paths = set(l.split("\t")[1] for l in open({tsv:?}) if l.strip() and not l.startswith("#"))
seen = {{}}
for f in sorted(glob.glob({dir:?} + "/*.yaml")):
    doc = yaml.safe_load(open(f))
    kind = doc["kind"]
    seen[kind] = seen.get(kind, 0) + 1
    name = doc["metadata"]["name"]
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 63, name
    if kind in schemas:
        jsonschema.validate(doc, json.load(open(schemas[kind])))
    if kind == "Application" and doc["spec"]["source"].get("repoURL") == "https://github.com/kubeflow/manifests":
        assert doc["spec"]["source"]["path"] in paths, doc["spec"]["source"]["path"]
        assert doc["spec"]["source"]["targetRevision"] == "26.03"
print(json.dumps(seen, sort_keys=True))
"##,
        tsv = tsv.display().to_string(),
        dir = dir.path().display().to_string()
    );
    let out = boto3(&script);
    eprintln!("manifest kinds: {out}");
    n
}

/// A name for this run of an example test (cluster names, DNS zones, buckets).
pub fn run_name(prefix: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 100_000_000)
        .unwrap_or(0);
    format!("{prefix}{ms}")
}

/// A copy of `examples/NAME` and `modules/` in `tmp` (the example calls `../../modules`);
/// returns the example's directory.
pub fn copy_example(tmp: &Path, name: &str) -> PathBuf {
    let work = tmp.join("examples").join(name);
    copy_dir(&repo_root().join("examples").join(name), &work);
    copy_dir(&repo_root().join("modules"), &tmp.join("modules"));
    work
}

/// Made with boto3 for an example: the parent Route53 zone `<run>.local` and customer-managed
/// stand-ins for the AWS managed policies (moto does not load those by default). Returns the
/// zone id and the policies as a JSON object (cluster, worker, cni, registry -> ARN).
pub fn parent_zone_and_policies(run: &str) -> (String, serde_json::Value) {
    let made = boto3(&format!(
        r#"
import time
iam = boto3.client("iam")
z = boto3.client("route53").create_hosted_zone(Name="{run}.local", CallerReference=str(time.time()))
doc = json.dumps({{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}}]}})
arns = {{k: iam.create_policy(PolicyName="{run}-" + k, PolicyDocument=doc)["Policy"]["Arn"] for k in ["cluster", "worker", "cni", "registry"]}}
print(json.dumps({{"zone": z["HostedZone"]["Id"].split("/")[-1], "arns": arns}}))
"#
    ));
    let made: serde_json::Value = serde_json::from_str(made.trim()).expect("json");
    (
        made["zone"].as_str().expect("zone").to_string(),
        made["arns"].clone(),
    )
}

/// An S3 backend configuration in moto for an example run.
pub fn write_backend(dir: &Path, run: &str, key: &str) {
    std::fs::write(
        dir.join("backend.hcl"),
        format!("bucket = \"{run}-state\"\nkey = \"{key}\"\nregion = \"us-east-1\"\ndynamodb_table = \"{run}-locks\"\nencrypt = true\n"),
    )
    .expect("write backend.hcl");
}
