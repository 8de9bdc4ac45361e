//! GitOps through the whole engine: `sakk apply` writes Kubeflow Profiles and an app-of-apps
//! root to a real bare repository, one commit per changing apply, none for a no-op, files
//! removed on destroy; checked with the `git` CLI.

mod common;
use common::*;
use std::path::Path;

fn config(remote: &Path, tenants: &[&str]) -> String {
    format!(
        r#"
variable "tenants" {{ default = {tenants:?} }}
provider "gitops" {{
  repository  = "file://{remote}"
  branch      = "main"
  path_prefix = "clusters/dev/"
}}
resource "terraform_data" "role" {{
  for_each = toset(var.tenants)
  input    = "arn:aws:iam::123456789012:role/${{each.key}}"
}}
resource "kubeflow_profile" "tenant" {{
  for_each = toset(var.tenants)
  metadata = {{ name = each.key }}
  spec = {{
    owner   = {{ kind = "User", name = "${{each.key}}@example.com" }}
    plugins = [{{ kind = "AwsIamForServiceAccount", spec = {{ awsIamRole = terraform_data.role[each.key].output }} }}]
  }}
}}
resource "gitops_app_of_apps" "root" {{
  name = "root"
}}
"#,
        remote = remote.display()
    )
}

#[test]
fn apply_commits_once_per_change_and_destroy_removes_files() {
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
            seed.to_str().expect("utf8"),
            remote.to_str().expect("utf8"),
        ],
    );
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::write(work.join("main.tf"), config(&remote, &["alice", "bob"])).expect("write");

    assert!(run_in(&work, &["init"]).status.success());
    let o = run_in(&work, &["apply", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "2");
    let files = git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        vec![
            "README.md",
            "clusters/dev/profiles/profile-alice.yaml",
            "clusters/dev/profiles/profile-bob.yaml",
            "clusters/dev/root/application-root.yaml"
        ]
    );
    let profile = git(
        &remote,
        &["show", "main:clusters/dev/profiles/profile-alice.yaml"],
    );
    assert!(
        profile.contains("awsIamRole: arn:aws:iam::123456789012:role/alice"),
        "{profile}"
    );
    assert!(
        profile.starts_with("# Managed by sakk: kubeflow_profile.tenant[\"alice\"]"),
        "{profile}"
    );

    // No-op: exit 0 with --detailed-exitcode, and no commit.
    let o = run_in(&work, &["plan", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(run_in(&work, &["apply", "--auto-approve"]).status.success());
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "2");

    // Add a tenant: exactly one more commit, with exactly its file.
    std::fs::write(
        work.join("main.tf"),
        config(&remote, &["alice", "bob", "carol"]),
    )
    .expect("write");
    let o = run_in(&work, &["plan"]);
    assert!(
        stdout(&o).contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{}",
        stdout(&o)
    );
    assert!(run_in(&work, &["apply", "--auto-approve"]).status.success());
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]), "3");
    let stat = git(&remote, &["show", "--stat", "--format=%s", "main"]);
    assert!(
        stat.starts_with("sakk: 1 added, 0 changed, 0 removed"),
        "{stat}"
    );
    assert!(
        stat.contains("clusters/dev/profiles/profile-carol.yaml"),
        "{stat}"
    );

    // Destroy: sakk's files are gone, README stays, the repository is sound.
    let o = run_in(&work, &["destroy", "--auto-approve"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        git(&remote, &["ls-tree", "-r", "--name-only", "main"]),
        "README.md"
    );
    git(&remote, &["fsck", "--no-progress"]);
}
