//! End-to-end: the local backend and the state commands, running the real binary.

mod common;
use common::*;

const LINEAGE: &str = "11111111-2222-4333-8444-555555555555";

fn serial_of(dir: &std::path::Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("terraform.tfstate")).expect("state"))
            .expect("json");
    v["serial"].as_u64().expect("serial")
}

#[test]
fn state_commands_on_the_local_backend() {
    let p = project(&[
        ("main.tf", "variable \"x\" { default = 1 }\n"),
        ("s.json", &state_doc(LINEAGE, 3, &["a", "b", "c"])),
        (
            "foreign.json",
            &state_doc("99999999-2222-4333-8444-555555555555", 50, &["z"]),
        ),
    ]);
    let d = p.path();
    let o = run_in(d, &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(d, &["state", "push", "s.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(serial_of(d), 3);

    let o = run_in(d, &["state", "list"]);
    assert_eq!(
        stdout(&o),
        "aws_s3_bucket.a\naws_s3_bucket.b\naws_s3_bucket.c\n"
    );
    let o = run_in(d, &["state", "list", "aws_s3_bucket.b"]);
    assert_eq!(stdout(&o), "aws_s3_bucket.b\n");

    // Sensitive values are hidden.
    let o = run_in(d, &["state", "show", "aws_s3_bucket.a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("password = (sensitive value)"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("pw-a"));

    // Each change takes the lock and bumps the serial.
    let o = run_in(
        d,
        &[
            "state",
            "mv",
            "aws_s3_bucket.a",
            "module.m.aws_s3_bucket.a2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(serial_of(d), 4);
    let o = run_in(
        d,
        &["state", "mv", "aws_s3_bucket.b", "aws_s3_bucket.b2[\"k\"]"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(d, &["state", "rm", "aws_s3_bucket.c"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(serial_of(d), 6);
    let o = run_in(d, &["state", "list"]);
    assert_eq!(
        stdout(&o),
        "module.m.aws_s3_bucket.a2\naws_s3_bucket.b2[\"k\"]\n"
    );
    let o = run_in(d, &["state", "rm", "aws_s3_bucket.nope"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("aws_s3_bucket.nope"));

    // The previous version is kept as .backup; the file is private.
    assert!(d.join("terraform.tfstate.backup").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(d.join("terraform.tfstate")).expect("meta");
        assert_eq!(m.permissions().mode() & 0o777, 0o600);
    }

    // pull prints the state.
    let o = run_in(d, &["state", "pull"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("pull json");
    assert_eq!(v["lineage"], LINEAGE);

    // push: an older serial or a foreign lineage is refused; --force accepts it.
    let o = run_in(d, &["state", "push", "s.json"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("serial 3 is lower than the serial 6"),
        "{}",
        stderr(&o)
    );
    let o = run_in(d, &["state", "push", "foreign.json"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("lineage"), "{}", stderr(&o));
    assert_eq!(serial_of(d), 6);
    let o = run_in(d, &["state", "push", "--force", "foreign.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(d, &["state", "list"]);
    assert_eq!(stdout(&o), "aws_s3_bucket.z\n");
}

#[test]
fn workspaces_have_their_own_state() {
    let p = project(&[
        ("main.tf", "variable \"x\" { default = 1 }\n"),
        ("s.json", &state_doc(LINEAGE, 1, &["a"])),
    ]);
    let d = p.path();
    assert!(run_in(d, &["workspace", "new", "dev"]).status.success());
    assert!(d.join("terraform.tfstate.d/dev/terraform.tfstate").exists());
    let o = run_in(d, &["workspace", "list"]);
    assert_eq!(stdout(&o), "  default\n* dev\n");
    assert!(run_in(d, &["state", "push", "--force", "s.json"])
        .status
        .success());
    assert!(!run_in(d, &["workspace", "delete", "dev"]).status.success());
    assert!(run_in(d, &["workspace", "select", "default"])
        .status
        .success());
    assert_eq!(stdout(&run_in(d, &["state", "list"])), "");
    let o = run_in(d, &["workspace", "delete", "dev"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(run_in(d, &["workspace", "delete", "--force", "dev"])
        .status
        .success());
    let o = run_in(d, &["workspace", "select", "nope"]);
    assert!(stderr(&o).contains("workspace new nope"), "{}", stderr(&o));
}

#[test]
fn corrupt_or_truncated_local_state_is_refused_and_kept() {
    let full = state_doc(LINEAGE, 3, &["a", "b"]);
    for bad in [
        &full[..full.len() / 2],
        "",
        "{\"version\": 4, \"serial\": \"x\"}",
    ] {
        let p = project(&[
            ("main.tf", "variable \"x\" { default = 1 }\n"),
            ("terraform.tfstate", bad),
            ("s.json", &full),
        ]);
        let d = p.path();
        for args in [
            &["state", "list"][..],
            &["state", "rm", "aws_s3_bucket.a"],
            &["state", "push", "--force", "s.json"],
        ] {
            let o = run_in(d, args);
            assert!(!o.status.success(), "{args:?} succeeded on {bad:?}");
            assert!(
                stderr(&o).contains("terraform.tfstate")
                    && stderr(&o).contains("cannot read the state file"),
                "{args:?}: {}",
                stderr(&o)
            );
        }
        assert_eq!(
            std::fs::read_to_string(d.join("terraform.tfstate")).expect("read"),
            bad
        );
        assert!(!d.join("terraform.tfstate.backup").exists());
    }
}

#[test]
fn local_lock_conflict_names_the_holder() {
    // The holder is a real apply that waits 4 s (time_sleep), with the lock held throughout.
    let p = project(&[
        (
            "main.tf",
            "resource \"time_sleep\" \"w\" {\n  create_duration = \"4s\"\n}\n",
        ),
        ("s.json", &data_state_doc(LINEAGE, 1, &["a", "b"])),
    ]);
    let d = p.path();
    assert!(run_in(d, &["state", "push", "s.json"]).status.success());
    let mut holder = sakk()
        .current_dir(d)
        .args([
            "apply",
            "--auto-approve",
            "--refresh=false",
            "--target",
            "time_sleep.w",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let o = run_in(d, &["state", "rm", "terraform_data.b"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("the state is locked")
            && e.contains("Operation: OperationTypeApply")
            && e.contains("sakk force-unlock"),
        "{e}"
    );
    let o = run_in(
        d,
        &["state", "rm", "--lock-timeout=20s", "terraform_data.b"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(holder.wait().expect("wait").success());
    // No update lost: the apply's object and the removal are both in the state.
    assert_eq!(
        stdout(&run_in(d, &["state", "list"])),
        "terraform_data.a\ntime_sleep.w\n"
    );
}

#[test]
fn bad_backend_config_points_at_the_setting() {
    let p = project(&[
        (
            "main.tf",
            "terraform {\n  backend \"s3\" {\n    bucket = var.b\n  }\n}\n",
        ),
        ("backend.hcl", "key = \"k\"\nregoin = \"eu-west-1\"\n"),
    ]);
    let o = run_in(p.path(), &["init", "--backend-config=backend.hcl"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("Variables not allowed") && e.contains("main.tf:3:14"),
        "{e}"
    );
    assert!(
        e.contains("backend.hcl:2:1") && e.contains("did you mean \"region\""),
        "{e}"
    );
    // Commands other than init ask for init.
    let o = run_in(p.path(), &["state", "list"]);
    assert!(stderr(&o).contains("run `sakk init`"), "{}", stderr(&o));
}
