//! `sakk init` installs a Git module source from a local bare repository at a tag; later
//! commands use it offline.

mod common;
use common::*;

#[test]
fn git_module_at_a_tag_is_installed_and_used_offline() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(work.join("modules/net")).expect("mkdir");
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(
        work.join("modules/net/main.tf"),
        "variable \"cidr\" {}\noutput \"cidr\" {\n  value = var.cidr\n}\n",
    )
    .expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "v1"]);
    git(&work, &["tag", "v1"]);
    // v2 renames the input: the configuration below only fits v1.
    std::fs::write(
        work.join("modules/net/main.tf"),
        "variable \"cidr_block\" {}\n",
    )
    .expect("write");
    git(&work, &["commit", "-qam", "v2"]);
    git(&work, &["tag", "v2"]);
    let bare = tmp.path().join("net.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().expect("utf8"),
            bare.to_str().expect("utf8"),
        ],
    );
    let v1 = git(&bare, &["rev-parse", "v1^{commit}"]);

    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(
        root.join("main.tf"),
        format!(
            "module \"net\" {{\n  source = \"git::file://{}//modules/net?ref=v1\"\n  cidr   = \"10.0.0.0/16\"\n}}\n",
            bare.display()
        ),
    )
    .expect("write");

    // Before init: a clear error that says to run init.
    let o = run_in(&root, &["validate"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("run `sakk init`"), "{}", stderr(&o));

    let o = run_in(&root, &["init"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "downloaded git::file://{}//modules/net?ref=v1 at {}",
            bare.display(),
            &v1[..12]
        )),
        "{}",
        stdout(&o)
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".sakk/modules/modules.json")).expect("manifest"),
    )
    .expect("json");
    let entry = manifest["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .find(|m| m["key"] == "net")
        .expect("net entry")
        .clone();
    assert_eq!(entry["commit"], v1.as_str());

    // Offline: the remote is gone, the installed copy is used.
    std::fs::remove_dir_all(&bare).expect("rm");
    let o = run_in(&root, &["validate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(&root, &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("already installed"), "{}", stdout(&o));
}
