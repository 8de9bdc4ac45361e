//! The plan engine end to end with the built-in provider: every action kind, lifecycle rules,
//! --target/--replace, taint, moved and import blocks, saved plans (stale refusal, show), and
//! snapshots of the rendered plan (tests/fixtures/plan; UPDATE_SNAPSHOTS=1 rewrites them); drift
//! and `sakk refresh` against moto.
//!
//! The built-in provider's former test hook that kept its objects outside the state too (a
//! "ledger" directory) is gone; what needed it is checked in process on the mock provider:
//! - the world holds exactly what the state holds after every action kind and a destroy (was
//!   counted in the ledger by `every_action_kind_and_its_rendering`):
//!   `engine/tests/plan_apply.rs` `every_action_kind_then_no_changes_then_destroy`,
//!   `ops/tests/saved_plans.rs` `every_action_kind_through_saved_plans`;
//! - importing an object that exists outside the state creates nothing, and an id the provider
//!   does not know is an error naming the import block (was in `import_blocks_and_import_command`):
//!   `plan_apply.rs` `import_blocks_and_imports_by_option`, `saved_plans.rs`
//!   `the_import_command_records_existing_objects`, `moved_and_import_blocks_through_a_saved_plan`;
//! - an object deleted outside sakk (was `drift_is_shown_separately` on the ledger):
//!   `plan_apply.rs` `an_object_deleted_out_of_band_is_created_again`, `saved_plans.rs`
//!   `refresh_false_trusts_the_state_and_refresh_only_forgets_a_deleted_object` and
//!   `drift_in_a_saved_plan_is_applied_as_shown`; its rendering: `drift_is_shown_separately`
//!   below, on moto.

mod common;

use common::{project, sakk, stderr, stdout};
use std::path::Path;
use std::process::Output;

fn run(dir: &Path, args: &[&str]) -> Output {
    sakk()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run sakk")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(
        o.status.success(),
        "sakk {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn write(dir: &Path, main_tf: &str) {
    std::fs::write(dir.join("main.tf"), main_tf).expect("write main.tf");
}

/// Whether `s` is a generated object id: a UUID (terraform_data) or an RFC 3339 UTC time
/// (time_sleep).
fn is_generated_id(s: &str) -> bool {
    let b = s.as_bytes();
    let uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    let time = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    uuid || time
}

/// Object ids differ per run: replace every quoted one by "<id>".
fn normalize(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let parts: Vec<&str> = line.split('"').collect();
        let l = parts
            .iter()
            .enumerate()
            .map(
                |(i, p)| match i % 2 == 1 && i + 1 < parts.len() && is_generated_id(p) {
                    true => "<id>",
                    false => p,
                },
            )
            .collect::<Vec<_>>()
            .join("\"");
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, actual: &str) {
    let path = common::repo_root()
        .join("tests/fixtures/plan")
        .join(format!("{name}.txt"));
    let actual = normalize(actual);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("read snapshot");
    assert_eq!(
        actual,
        expected,
        "plan rendering differs from {}",
        path.display()
    );
}

fn state_addrs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = ok(dir, &["state", "list"])
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

const BASE: &str = r#"
resource "terraform_data" "keep" {
  input = "same"
}
resource "terraform_data" "upd" {
  input = "one"
}
resource "terraform_data" "rep" {
  input            = "r"
  triggers_replace = "v1"
}
resource "terraform_data" "cbd" {
  triggers_replace = "v1"
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "gone" {
  input = "bye"
}
resource "terraform_data" "many" {
  count = 3
  input = count.index
}
resource "time_sleep" "wait" {
  create_duration = "10ms"
  triggers = {
    upd = terraform_data.upd.output
  }
}
"#;

const CHANGED: &str = r#"
resource "terraform_data" "keep" {
  input = "same"
}
resource "terraform_data" "upd" {
  input = "two"
}
resource "terraform_data" "rep" {
  input            = "r"
  triggers_replace = "v2"
}
resource "terraform_data" "cbd" {
  triggers_replace = "v2"
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "many" {
  count = 2
  input = count.index
}
resource "terraform_data" "secret" {
  input = sensitive("hunter2")
}
resource "time_sleep" "wait" {
  create_duration = "10ms"
  triggers = {
    upd = terraform_data.upd.output
  }
}
"#;

#[test]
fn every_action_kind_and_its_rendering() {
    let d = project(&[("main.tf", BASE)]);
    let p = d.path();
    let first = ok(p, &["plan"]);
    snapshot("create", &first);
    assert!(first.contains("Plan: 9 to add, 0 to change, 0 to destroy."));
    ok(p, &["apply", "--auto-approve"]);
    assert_eq!(state_addrs(p).len(), 9);
    // No-op.
    let noop = run(p, &["plan", "--detailed-exitcode"]);
    assert_eq!(noop.status.code(), Some(0), "{}", stdout(&noop));
    assert!(stdout(&noop).contains("No changes."));

    write(p, CHANGED);
    let plan = run(p, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let text = stdout(&plan);
    snapshot("changes", &text);
    for needle in [
        "# terraform_data.upd will be updated in-place",
        "~ input  = \"one\" -> \"two\"",
        "# terraform_data.rep must be replaced",
        "-/+ resource \"terraform_data\" \"rep\"",
        "# forces replacement",
        "+/- resource \"terraform_data\" \"cbd\"",
        "# terraform_data.gone will be destroyed",
        "(because its resource or module is no longer in the configuration)",
        "# terraform_data.many[2] will be destroyed",
        "(known after apply)",
        "(sensitive value)",
        "# time_sleep.wait must be replaced",
        "Plan: 4 to add, 1 to change, 5 to destroy.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains("hunter2"));
    assert!(!text.contains("terraform_data.keep"), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(&ok(p, &["plan", "--json"])).expect("plan json");
    let actions: Vec<(String, String)> = json["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap_or_default().to_string(),
                c["change"]["actions"].to_string(),
            )
        })
        .collect();
    for (a, want) in [
        ("terraform_data.keep", "[\"no-op\"]"),
        ("terraform_data.upd", "[\"update\"]"),
        ("terraform_data.rep", "[\"delete\",\"create\"]"),
        ("terraform_data.cbd", "[\"create\",\"delete\"]"),
        ("terraform_data.gone", "[\"delete\"]"),
        ("terraform_data.secret", "[\"create\"]"),
    ] {
        assert!(
            actions.iter().any(|(x, y)| x == a && y == want),
            "{a}: {want} not in {actions:?}"
        );
    }
    let md = ok(p, &["plan", "--markdown"]);
    assert!(
        md.contains("**Plan: 4 to add, 1 to change, 5 to destroy.**"),
        "{md}"
    );

    let applied = ok(p, &["apply", "--auto-approve"]);
    assert!(
        applied.contains("Apply complete! Resources: 4 added, 1 changed, 5 destroyed."),
        "{applied}"
    );
    assert!(ok(p, &["plan"]).contains("No changes."));
    assert_eq!(state_addrs(p).len(), 8);

    let destroyed = ok(p, &["destroy", "--auto-approve"]);
    assert!(
        destroyed.contains("Destroy complete! Resources: 0 added, 0 changed, 8 destroyed."),
        "{destroyed}"
    );
    assert!(state_addrs(p).is_empty());
}

#[test]
fn whole_module_removed_is_destroyed() {
    let d = project(&[
        (
            "main.tf",
            "module \"m\" {\n  source = \"./m\"\n}\nresource \"terraform_data\" \"root\" {}\n",
        ),
        (
            "m/main.tf",
            "resource \"terraform_data\" \"x\" {\n  count = 2\n}\n",
        ),
    ]);
    let p = d.path();
    ok(p, &["apply", "--auto-approve"]);
    write(p, "resource \"terraform_data\" \"root\" {}\n");
    let text = ok(p, &["plan"]);
    assert!(
        text.contains("# module.m.terraform_data.x[0] will be destroyed"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 2 to destroy."),
        "{text}"
    );
    ok(p, &["apply", "--auto-approve"]);
    assert_eq!(state_addrs(p), vec!["terraform_data.root"]);
}

#[test]
fn lifecycle_rules() {
    let d = project(&[(
        "main.tf",
        r#"
resource "terraform_data" "ign" {
  input = "a"
  lifecycle {
    ignore_changes = [input]
  }
}
resource "terraform_data" "guarded" {
  triggers_replace = "1"
  lifecycle {
    prevent_destroy = true
  }
}
"#,
    )]);
    let p = d.path();
    ok(p, &["apply", "--auto-approve"]);
    write(
        p,
        r#"
resource "terraform_data" "ign" {
  input = "b"
  lifecycle {
    ignore_changes = [input]
  }
}
resource "terraform_data" "guarded" {
  triggers_replace = "2"
  lifecycle {
    prevent_destroy = true
  }
}
"#,
    );
    let o = run(p, &["plan"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("Instance cannot be destroyed"), "{err}");
    assert!(err.contains("terraform_data.guarded"), "{err}");
    assert!(err.contains("main.tf:"), "names the file: {err}");
    // ignore_changes: input changed, no update planned.
    let t = ok(p, &["plan", "--target", "terraform_data.ign"]);
    assert!(t.contains("No changes."), "{t}");
    // prevent_destroy also stops sakk destroy.
    let o = run(p, &["destroy", "--auto-approve"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("terraform_data.guarded"));
}

#[test]
fn depends_on_target_and_replace_and_taint() {
    let d = project(&[(
        "main.tf",
        r#"
resource "terraform_data" "base" {
  input = "b"
}
resource "terraform_data" "after" {
  depends_on = [terraform_data.base]
}
resource "terraform_data" "other" {
  input = "o"
}
"#,
    )]);
    let p = d.path();
    // --target includes what the target depends on (depends_on too), nothing else.
    let t = ok(p, &["plan", "--target", "terraform_data.after"]);
    assert!(t.contains("terraform_data.base will be created"), "{t}");
    assert!(t.contains("terraform_data.after will be created"), "{t}");
    assert!(!t.contains("terraform_data.other"), "{t}");
    ok(
        p,
        &[
            "apply",
            "--auto-approve",
            "--target",
            "terraform_data.after",
        ],
    );
    assert_eq!(
        state_addrs(p),
        vec!["terraform_data.after", "terraform_data.base"]
    );
    let state = ok(p, &["state", "pull"]);
    assert!(
        state.contains("\"terraform_data.base\""),
        "dependencies recorded: {state}"
    );
    ok(p, &["apply", "--auto-approve"]);

    let r = ok(p, &["plan", "--replace", "terraform_data.other"]);
    assert!(
        r.contains("# terraform_data.other will be replaced, as requested"),
        "{r}"
    );
    assert!(
        r.contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{r}"
    );

    ok(p, &["taint", "terraform_data.base"]);
    let t = ok(p, &["plan"]);
    assert!(
        t.contains("# terraform_data.base is tainted, so must be replaced"),
        "{t}"
    );
    ok(p, &["untaint", "terraform_data.base"]);
    assert!(ok(p, &["plan"]).contains("No changes."));
    let o = run(p, &["taint", "terraform_data.nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no resource instance \"terraform_data.nope\""));
}

/// A target naming instances plans those instances only: one key of a for_each resource, one
/// instance of a module called with for_each (also for a destroy); what a target depends on is
/// planned wholly.
#[test]
fn targets_name_instances() {
    let d = project(&[
        (
            "main.tf",
            r#"
resource "terraform_data" "x" {
  for_each = toset(["a", "b"])
  input    = each.key
}
module "m" {
  source   = "./m"
  for_each = toset(["a", "b"])
  name     = each.key
}
"#,
        ),
        (
            "m/main.tf",
            r#"
variable "name" { type = string }
resource "terraform_data" "base" {
  input = var.name
}
resource "terraform_data" "top" {
  input = terraform_data.base.output
}
"#,
        ),
    ]);
    let p = d.path();
    let t = ok(p, &["plan", "--target", "terraform_data.x[\"b\"]"]);
    assert!(t.contains("terraform_data.x[\"b\"] will be created"), "{t}");
    assert!(!t.contains("terraform_data.x[\"a\"]"), "{t}");
    assert!(
        t.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{t}"
    );
    // What a target depends on is planned in every instance (as a whole node).
    let t = ok(
        p,
        &["plan", "--target", "module.m[\"a\"].terraform_data.top"],
    );
    assert!(
        t.contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{t}"
    );
    assert!(
        t.contains("module.m[\"a\"].terraform_data.base will be created"),
        "{t}"
    );
    assert!(!t.contains("module.m[\"b\"].terraform_data.top"), "{t}");
    ok(p, &["apply", "--auto-approve"]);
    let t = ok(p, &["plan", "--destroy", "--target", "module.m[\"b\"]"]);
    assert!(
        t.contains("Plan: 0 to add, 0 to change, 2 to destroy."),
        "{t}"
    );
    assert!(!t.contains("module.m[\"a\"]"), "{t}");
    ok(
        p,
        &[
            "destroy",
            "--auto-approve",
            "--target",
            "terraform_data.x[\"a\"]",
        ],
    );
    ok(
        p,
        &["destroy", "--auto-approve", "--target", "module.m[\"b\"]"],
    );
    assert_eq!(
        state_addrs(p),
        vec![
            "module.m[\"a\"].terraform_data.base",
            "module.m[\"a\"].terraform_data.top",
            "terraform_data.x[\"b\"]"
        ]
    );
}

#[test]
fn moved_blocks_rename_resources_chains_and_modules() {
    let d = project(&[
        (
            "main.tf",
            "resource \"terraform_data\" \"a\" {\n  input = 1\n}\nmodule \"old\" {\n  source = \"./m\"\n}\n",
        ),
        ("m/main.tf", "resource \"terraform_data\" \"x\" {}\n"),
    ]);
    let p = d.path();
    ok(p, &["apply", "--auto-approve"]);
    let before = ok(p, &["state", "pull"]);
    write(
        p,
        r#"
resource "terraform_data" "c" {
  input = 1
}
moved {
  from = terraform_data.b
  to   = terraform_data.c
}
moved {
  from = terraform_data.a
  to   = terraform_data.b
}
module "new" {
  source = "./m"
}
moved {
  from = module.old
  to   = module.new
}
"#,
    );
    let plan = ok(p, &["plan"]);
    snapshot("moved", &plan);
    assert!(
        plan.contains("# terraform_data.a has moved to terraform_data.b"),
        "{plan}"
    );
    assert!(
        plan.contains("# terraform_data.b has moved to terraform_data.c"),
        "{plan}"
    );
    assert!(
        plan.contains("# module.old has moved to module.new"),
        "{plan}"
    );
    assert!(
        !plan.contains("will be created") && !plan.contains("destroyed"),
        "{plan}"
    );
    ok(p, &["apply", "--auto-approve"]);
    assert_eq!(
        state_addrs(p),
        vec!["module.new.terraform_data.x", "terraform_data.c"]
    );
    assert!(ok(p, &["plan"]).contains("No changes."));
    // Same objects (ids kept).
    let after = ok(p, &["state", "pull"]);
    let ids = |s: &str| {
        let mut v: Vec<String> = s
            .split("\"id\": \"")
            .skip(1)
            .filter_map(|x| x.split('"').next().map(str::to_string))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&before), ids(&after));
}

#[test]
fn import_blocks_and_import_command() {
    let d = project(&[(
        "main.tf",
        r#"
resource "terraform_data" "blk" {
  input = "x"
}
import {
  to = terraform_data.blk
  id = "existing-1"
}
resource "terraform_data" "cmd" {}
"#,
    )]);
    let p = d.path();
    let plan = ok(p, &["plan"]);
    snapshot("import", &plan);
    assert!(
        plan.contains("# terraform_data.blk will be updated in-place"),
        "{plan}"
    );
    assert!(plan.contains("# (imported from \"existing-1\")"), "{plan}");
    assert!(
        plan.contains("Plan: 1 to import, 1 to add, 1 to change, 0 to destroy."),
        "{plan}"
    );

    let o = run(p, &["import", "terraform_data.cmd", "existing-2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Import successful!"));
    let o = run(p, &["import", "terraform_data.cmd", "existing-2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already in the state"));
    let o = run(p, &["import", "terraform_data.missing", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no resource instance terraform_data.missing"),
        "{}",
        stderr(&o)
    );

    ok(p, &["apply", "--auto-approve"]);
    let pulled = ok(p, &["state", "pull"]);
    assert!(
        pulled.contains("\"existing-1\"") && pulled.contains("\"existing-2\""),
        "{pulled}"
    );
    assert!(ok(p, &["plan"]).contains("No changes."));
    assert_eq!(
        state_addrs(p),
        vec!["terraform_data.blk", "terraform_data.cmd"]
    );
}

#[test]
fn saved_plans_apply_exactly_or_refuse_when_stale() {
    let d = project(&[(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
    )]);
    let p = d.path();
    let shown = ok(p, &["plan", "--out", "p.plan"]);
    assert!(shown.contains("sakk apply p.plan"));
    let show = ok(p, &["show", "p.plan"]);
    assert!(
        show.contains("# terraform_data.a will be created"),
        "{show}"
    );
    let js: serde_json::Value =
        serde_json::from_str(&ok(p, &["show", "--json", "p.plan"])).unwrap();
    assert_eq!(js["resource_changes"][0]["change"]["actions"][0], "create");
    ok(p, &["apply", "p.plan"]);
    // The state moved on: the plan is stale.
    let o = run(p, &["apply", "p.plan"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Saved plan is stale"), "{}", stderr(&o));
    // `show` renders the file alone (no state, no providers), stale or not.
    assert!(ok(p, &["show", "p.plan"]).contains("# terraform_data.a will be created"));

    // The configuration changed after the plan: the saved plan applies what it showed (its
    // snapshot of main.tf), not the edited file.
    write(p, "resource \"terraform_data\" \"a\" {\n  input = 2\n}\n");
    let shown = ok(p, &["plan", "--out", "q.plan"]);
    assert!(shown.contains("input") && shown.contains("2"), "{shown}");
    write(p, "resource \"terraform_data\" \"a\" {\n  input = 3\n}\n");
    ok(p, &["apply", "q.plan"]);
    let pulled = ok(p, &["state", "pull"]);
    // `input` is of dynamic type: stored with its type, as Terraform does.
    let st: serde_json::Value = serde_json::from_str(&pulled).expect("state json");
    assert_eq!(
        st["resources"][0]["instances"][0]["attributes"]["input"],
        serde_json::json!({"value": 2, "type": "number"}),
        "the reviewed value: {pulled}"
    );
    // The edited file is a new change for the next plan.
    assert!(ok(p, &["plan"]).contains("1 to change"));
}

/// Drift as the CLI shows it, on moto (a world where objects can vanish): an object deleted
/// outside sakk is reported apart from the planned changes and planned as a create,
/// `--refresh=false` trusts the state, and `sakk refresh` forgets the object.
#[test]
fn drift_is_shown_separately() {
    let (a, b) = (
        common::unique("sakk-drift-a"),
        common::unique("sakk-drift-b"),
    );
    let d = project(&[(
        "main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\nresource \"aws_s3_bucket\" \"a\" {{\n  bucket        = \"{a}\"\n  force_destroy = true\n}}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket        = \"{b}\"\n  force_destroy = true\n}}\n"
        ),
    )]);
    let p = d.path();
    let aws = |args: &[&str]| {
        let o = common::sakk_aws(p, args);
        assert!(
            o.status.success(),
            "sakk {args:?} failed\nstdout:\n{}\nstderr:\n{}",
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    };
    aws(&["init"]);
    aws(&["apply", "--auto-approve"]);
    common::boto3(&format!("s3.delete_bucket(Bucket='{b}')"));
    let plan = aws(&["plan"]);
    let (drift, changes) = plan
        .split_once("sakk will perform the following actions:")
        .expect("both sections");
    assert!(
        drift.contains("Objects have changed outside of sakk"),
        "{plan}"
    );
    assert!(drift.contains("aws_s3_bucket.b has been deleted"), "{plan}");
    assert!(!drift.contains("aws_s3_bucket.a"), "{plan}");
    assert!(
        changes.contains("aws_s3_bucket.b will be created (it was deleted outside sakk)"),
        "{plan}"
    );
    // --refresh=false trusts the state.
    assert!(aws(&["plan", "--refresh=false"]).contains("No changes."));
    let r = aws(&["refresh", "--auto-approve"]);
    assert!(
        r.contains("Refresh complete! 1 object(s) changed outside sakk."),
        "{r}"
    );
    assert_eq!(
        aws(&["state", "list"]).lines().collect::<Vec<_>>(),
        vec!["aws_s3_bucket.a"]
    );
    aws(&["destroy", "--auto-approve"]);
}
