//! The pull-request flow on local repositories (GitOps only, shared local state): a branch adds a
//! tenant, its plan is saved, the branch is merged and the saved plan applies; when main moved
//! in between (another apply), the saved plan is refused as stale and a fresh plan applies.

mod common;
use common::*;
use std::path::Path;

fn config(remote: &Path, state: &Path, tenants: &[&str]) -> String {
    format!(
        r#"terraform {{
  backend "local" {{ path = "{state}" }}
}}
provider "gitops" {{
  repository  = "file://{remote}"
  branch      = "main"
  path_prefix = "clusters/dev/"
}}
resource "kubeflow_profile" "tenant" {{
  for_each = toset({tenants:?})
  metadata = {{ name = each.key }}
  spec     = {{ owner = {{ kind = "User", name = "${{each.key}}@example.com" }} }}
}}
"#,
        remote = remote.display(),
        state = state.display()
    )
}

#[test]
fn saved_plan_applies_after_merge_and_is_refused_when_main_moved() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    // The GitOps remote.
    let remote = bare_remote(t);
    // The configuration repository, applied on main.
    let state = t.join("shared.tfstate");
    let infra = t.join("infra");
    std::fs::create_dir_all(&infra).expect("mkdir");
    git(&infra, &["init", "-q", "-b", "main"]);
    std::fs::write(infra.join("main.tf"), config(&remote, &state, &["alice"])).expect("write");
    git(&infra, &["add", "main.tf"]);
    git(&infra, &["commit", "-qm", "alice"]);
    ok(&run_in(&infra, &["init"]));
    ok(&run_in(&infra, &["apply", "--auto-approve"]));

    // A pull request adds bob: its plan is saved.
    git(&infra, &["checkout", "-q", "-b", "add-bob"]);
    std::fs::write(
        infra.join("main.tf"),
        config(&remote, &state, &["alice", "bob"]),
    )
    .expect("write");
    git(&infra, &["commit", "-qam", "bob"]);
    // The workflow's first step: which root modules the pull request affects (here the one).
    let o = run_in(&infra, &["plan", "--changed-since", "main"]);
    ok(&o);
    assert_eq!(stdout(&o), ".\n");
    let o = run_in(&infra, &["plan", "--out", "plan.bin", "--markdown"]);
    ok(&o);
    assert!(stdout(&o).contains("profile-bob.yaml"), "{}", stdout(&o));
    // Merged: the saved plan applies on main.
    git(&infra, &["checkout", "-q", "main"]);
    git(
        &infra,
        &["merge", "-q", "--no-ff", "-m", "merge add-bob", "add-bob"],
    );
    ok(&run_in(&infra, &["apply", "plan.bin"]));
    assert!(git(&remote, &["ls-tree", "-r", "--name-only", "main"]).contains("profile-bob.yaml"));

    // A second pull request adds carol; before it merges, main moves (another apply: dave).
    git(&infra, &["checkout", "-q", "-b", "add-carol"]);
    std::fs::write(
        infra.join("main.tf"),
        config(&remote, &state, &["alice", "bob", "carol"]),
    )
    .expect("write");
    git(&infra, &["commit", "-qam", "carol"]);
    ok(&run_in(&infra, &["plan", "--out", "carol.bin"]));
    let other = t.join("other");
    git(
        t,
        &[
            "clone",
            "-q",
            infra.to_str().expect("utf8"),
            other.to_str().expect("utf8"),
            "-b",
            "main",
        ],
    );
    std::fs::write(
        other.join("main.tf"),
        config(&remote, &state, &["alice", "bob", "dave"]),
    )
    .expect("write");
    ok(&run_in(&other, &["init"]));
    ok(&run_in(&other, &["apply", "--auto-approve"]));
    // The stale plan is refused; a fresh plan is required and applies.
    let o = run_in(&infra, &["apply", "carol.bin"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Saved plan is stale"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    ok(&run_in(&infra, &["plan", "--out", "fresh.bin"]));
    ok(&run_in(&infra, &["apply", "fresh.bin"]));
    let files = git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(
        files.contains("profile-carol.yaml") && !files.contains("profile-dave.yaml"),
        "{files}"
    );
}
