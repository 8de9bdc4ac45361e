//! `sakk plan --changed-since REF` on a real Git repository: two root modules share a local
//! module (outside the searched directory), a third uses its own; each kind of change (shared
//! module, own file, uncommitted, untracked, deleted, none) lists the right roots.

mod common;
use common::*;
use std::path::Path;
use std::process::Output;

/// A repository on `main` with one commit:
/// - `stacks/dev`, `stacks/prod`: root modules calling `../../modules/shared`
///   (which calls `../leaf`);
/// - `stacks/solo`: a root module calling its own `./net`;
/// - `README.md`, `stacks/README.md`: not in any module.
fn fleet_repo() -> tempfile::TempDir {
    let root = |name: &str| {
        format!(
            "module \"shared\" {{\n  source = \"../../modules/shared\"\n  name   = \"{name}\"\n}}\n"
        )
    };
    let dir = project(&[
        ("README.md", "# infra\n"),
        (".gitignore", "*.tfstate\n.sakk/\n"),
        ("stacks/README.md", "stacks\n"),
        ("stacks/dev/main.tf", &root("dev")),
        ("stacks/prod/main.tf", &root("prod")),
        ("stacks/prod/variables.tf", "variable \"size\" { default = 3 }\n"),
        (
            "stacks/solo/main.tf",
            "module \"net\" {\n  source = \"./net\"\n}\nmodule \"remote\" {\n  source = \"git::https://example.com/x.git?ref=v1\"\n}\n",
        ),
        ("stacks/solo/net/main.tf", "output \"cidr\" { value = \"10.0.0.0/16\" }\n"),
        (
            "modules/shared/main.tf",
            "variable \"name\" {}\nmodule \"leaf\" {\n  source = \"../leaf\"\n}\n",
        ),
        ("modules/leaf/main.tf", "output \"x\" { value = 1 }\n"),
    ]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "initial"]);
    dir
}

fn changed(repo: &Path, args: &[&str]) -> Output {
    let mut all = vec!["plan", "--changed-since"];
    all.extend_from_slice(args);
    run_in(repo, &all)
}

/// The listed roots (exit 0 checked).
fn roots(repo: &Path, args: &[&str]) -> Vec<String> {
    let o = changed(repo, args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

fn json(repo: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let o = changed(repo, &all);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad json ({e}): {}", stdout(&o)))
}

#[test]
fn nothing_changed_lists_nothing() {
    let repo = fleet_repo();
    let r = repo.path();
    let o = changed(r, &["main", "-C", "stacks"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let v = json(r, &["HEAD", "-C", "stacks"]);
    assert_eq!(v["root_modules"], serde_json::json!([]));
    assert_eq!(v["changed_since"], git(r, &["rev-parse", "HEAD"]));
    // Files outside every module change nothing either.
    std::fs::write(r.join("README.md"), "# infra, edited\n").expect("write");
    std::fs::write(r.join("stacks/README.md"), "edited\n").expect("write");
    assert!(roots(r, &["main", "-C", "stacks"]).is_empty());
}

#[test]
fn a_shared_module_change_lists_both_callers() {
    let repo = fleet_repo();
    let r = repo.path();
    git(r, &["checkout", "-q", "-b", "pr"]);
    std::fs::write(
        r.join("modules/leaf/main.tf"),
        "output \"x\" { value = 2 }\n",
    )
    .expect("write");
    git(r, &["commit", "-qam", "leaf"]);
    assert_eq!(
        roots(r, &["main", "-C", "stacks"]),
        vec!["dev", "prod"],
        "a module two calls deep, outside -C"
    );
    // Terraform's spelling, and the repository's top as the directory: the modules are then
    // searched too, but called ones are not roots.
    assert_eq!(roots(r, &["main", "-chdir=stacks"]), vec!["dev", "prod"]);
    assert_eq!(roots(r, &["main"]), vec!["stacks/dev", "stacks/prod"]);
    let v = json(r, &["main", "-C", "stacks"]);
    assert_eq!(
        v,
        serde_json::json!({
            "changed_since": git(r, &["rev-parse", "main"]),
            "root_modules": [
                {"path": "dev", "reasons": ["modules/leaf/main.tf"]},
                {"path": "prod", "reasons": ["modules/leaf/main.tf"]},
            ]
        })
    );
    // Revspecs: HEAD~1 is main here.
    assert_eq!(roots(r, &["HEAD~1", "-C", "stacks"]), vec!["dev", "prod"]);
}

#[test]
fn a_root_s_own_file_lists_only_that_root() {
    let repo = fleet_repo();
    let r = repo.path();
    git(r, &["tag", "v1"]);
    std::fs::write(
        r.join("stacks/prod/variables.tf"),
        "variable \"size\" { default = 5 }\n",
    )
    .expect("write");
    git(r, &["commit", "-qam", "prod size"]);
    assert_eq!(roots(r, &["v1", "-C", "stacks"]), vec!["prod"]);
    // The module of its own: only solo.
    std::fs::write(
        r.join("stacks/solo/net/main.tf"),
        "output \"cidr\" { value = \"10.1.0.0/16\" }\n",
    )
    .expect("write");
    let v = json(r, &["v1", "-C", "stacks"]);
    assert_eq!(
        v["root_modules"],
        serde_json::json!([
            {"path": "prod", "reasons": ["stacks/prod/variables.tf"]},
            {"path": "solo", "reasons": ["stacks/solo/net/main.tf"]},
        ])
    );
    // A commit id works as REF.
    let sha = git(r, &["rev-parse", "v1"]);
    assert_eq!(roots(r, &[&sha, "-C", "stacks"]), vec!["prod", "solo"]);
}

#[test]
fn uncommitted_untracked_and_staged_changes_are_seen() {
    let repo = fleet_repo();
    let r = repo.path();
    // Unstaged edit.
    std::fs::write(r.join("stacks/dev/main.tf"), "# edited\n").expect("write");
    assert_eq!(roots(r, &["main", "-C", "stacks"]), vec!["dev"]);
    git(r, &["checkout", "-q", "--", "."]);
    // An untracked new file in a new subdirectory of a module (a template it reads).
    std::fs::create_dir_all(r.join("modules/shared/templates")).expect("mkdir");
    std::fs::write(r.join("modules/shared/templates/user.tpl"), "x\n").expect("write");
    let v = json(r, &["main", "-C", "stacks"]);
    assert_eq!(
        v["root_modules"],
        serde_json::json!([
            {"path": "dev", "reasons": ["modules/shared/templates/user.tpl"]},
            {"path": "prod", "reasons": ["modules/shared/templates/user.tpl"]},
        ])
    );
    std::fs::remove_dir_all(r.join("modules/shared/templates")).expect("rm");
    // A staged new file.
    std::fs::write(
        r.join("stacks/solo/outputs.tf"),
        "output \"y\" { value = 1 }\n",
    )
    .expect("write");
    git(r, &["add", "stacks/solo/outputs.tf"]);
    assert_eq!(roots(r, &["main", "-C", "stacks"]), vec!["solo"]);
    // Ignored files are not changes.
    git(r, &["rm", "-q", "--cached", "stacks/solo/outputs.tf"]);
    std::fs::remove_file(r.join("stacks/solo/outputs.tf")).expect("rm");
    std::fs::write(r.join("stacks/dev/terraform.tfstate"), "{}").expect("write");
    std::fs::create_dir_all(r.join("stacks/dev/.sakk/modules")).expect("mkdir");
    std::fs::write(r.join("stacks/dev/.sakk/modules/modules.json"), "{}").expect("write");
    assert!(roots(r, &["main", "-C", "stacks"]).is_empty());
    // A new root module, untracked.
    std::fs::create_dir_all(r.join("stacks/qa")).expect("mkdir");
    std::fs::write(
        r.join("stacks/qa/main.tf"),
        "module \"shared\" {\n  source = \"../../modules/shared\"\n  name = \"qa\"\n}\n",
    )
    .expect("write");
    assert_eq!(roots(r, &["main", "-C", "stacks"]), vec!["qa"]);
}

#[test]
fn deleted_and_renamed_files_are_seen() {
    let repo = fleet_repo();
    let r = repo.path();
    git(r, &["checkout", "-q", "-b", "pr"]);
    git(r, &["rm", "-q", "stacks/prod/variables.tf"]);
    git(r, &["commit", "-qm", "drop variables"]);
    let v = json(r, &["main", "-C", "stacks"]);
    assert_eq!(
        v["root_modules"],
        serde_json::json!([{"path": "prod", "reasons": ["stacks/prod/variables.tf"]}])
    );
    // A deletion in the working tree only, not committed.
    git(r, &["checkout", "-q", "main"]);
    std::fs::remove_file(r.join("stacks/solo/net/main.tf")).expect("rm");
    assert_eq!(roots(r, &["main", "-C", "stacks"]), vec!["solo"]);
    git(r, &["checkout", "-q", "--", "."]);
    // A rename: both paths count (the old one's root and the new one's).
    git(
        r,
        &["mv", "stacks/prod/variables.tf", "stacks/solo/variables.tf"],
    );
    let v = json(r, &["main", "-C", "stacks"]);
    assert_eq!(
        v["root_modules"],
        serde_json::json!([
            {"path": "prod", "reasons": ["stacks/prod/variables.tf"]},
            {"path": "solo", "reasons": ["stacks/solo/variables.tf"]},
        ])
    );
}

#[test]
fn a_broken_root_is_listed_with_a_warning() {
    let repo = fleet_repo();
    let r = repo.path();
    std::fs::write(r.join("stacks/dev/main.tf"), "module \"shared\" {\n").expect("write");
    let o = changed(r, &["main", "-C", "stacks"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "dev\n");
    assert!(
        stderr(&o).contains("Warning:") && stderr(&o).contains("stacks/dev"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_ref_fails_with_a_hint() {
    let repo = fleet_repo();
    let o = changed(repo.path(), &["origin/main", "-C", "stacks"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(e.contains("\"origin/main\""), "{e}");
    assert!(
        e.contains("git fetch") && e.contains("fetch-depth: 0"),
        "{e}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn outside_a_repository_fails() {
    let dir = project(&[("main.tf", "output \"x\" { value = 1 }\n")]);
    // GIT_CEILING_DIRECTORIES keeps discovery from finding a repository above the temp dir.
    let parent = dir.path().parent().expect("parent").to_path_buf();
    let o = sakk()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", &parent)
        .args(["plan", "--changed-since", "main"])
        .output()
        .expect("run sakk");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("not inside a Git repository"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn planning_flags_are_refused_with_changed_since() {
    let repo = fleet_repo();
    for flag in [
        &["--out", "plan.bin"][..],
        &["--destroy"],
        &["--target", "module.shared"],
        &["-var", "a=b"],
    ] {
        let mut args = vec!["plan", "--changed-since", "main"];
        args.extend_from_slice(flag);
        let o = run_in(repo.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{flag:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("cannot be used with"),
            "{flag:?}: {}",
            stderr(&o)
        );
    }
}
