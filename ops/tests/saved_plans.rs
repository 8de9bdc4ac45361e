//! Saved plans through the operations layer, in process, on the mock provider and the local
//! backend: `make_plan` -> `planfile::save` -> (files edited, state moved on, world changed) ->
//! `planfile::load` -> `into_planned` -> `apply`. The mock's call log is the witness: an apply
//! of a saved plan makes exactly the calls the plan lists, with the values the plan showed.
//!
//! Also here, because they need a world where objects vanish or exist outside the state and a
//! real state file: drift and refresh-only, intents left in the state by failed or cut-off
//! creates, and `sakk import` (`ops::import`). These replace the binary tests of the root
//! package that used the built-in provider's former test hooks (`tests/engine_plan.rs`,
//! `tests/engine_apply.rs` name them).

mod common;

use common::*;
use engine::evaluate::resources::PlanMode;
use engine::lang::value::Value;
use engine::plan::{Action, Adoption, Reason};
use engine::provider_mock::Op;
use ops::planfile::{decode, encode, SavedPlan};
use ops::planning::PlanOptions;

fn main_tf(extra: &str) -> String {
    format!(
        r#"
variable "dir" {{
  type = string
}}
variable "greeting" {{
  type = string
}}
resource "mock_thing" "policy" {{
  input = {{
    doc = file("${{var.dir}}/policy.json")
  }}
}}
resource "mock_thing" "hello" {{
  input = var.greeting
}}
resource "mock_other" "dep" {{
  input = mock_thing.hello.output
}}
output "greeting" {{
  value = mock_thing.hello.output
}}
{extra}
"#
    )
}

/// The reviewed plan is what is applied: files read by the configuration (`file()`), the
/// variables (a tfvars file) and the configuration itself edited after the plan do not leak
/// into the apply; the next plan sees the edits.
#[test]
fn a_saved_plan_applies_what_was_reviewed_not_the_files_edited_since() {
    let mut fx = Fx::new(&[
        (
            "main.tf",
            &main_tf("resource \"mock_thing\" \"lit\" {\n  input = \"literal\"\n}\n"),
        ),
        ("terraform.tfvars", "greeting = \"one\"\n"),
        ("policy.json", r#"{"v": 1}"#),
    ]);
    let dir = fx.dir_str();
    fx.var("dir", &dir);
    fx.apply_all();
    assert_eq!(
        fx.addrs(),
        vec![
            "mock_other.dep",
            "mock_thing.hello",
            "mock_thing.lit",
            "mock_thing.policy"
        ]
    );

    // The reviewed change.
    let new = "resource \"mock_thing\" \"new\" {\n  input = file(\"${var.dir}/new.txt\")\n}\n";
    fx.write("main.tf", &main_tf(new));
    fx.write("terraform.tfvars", "greeting = \"two\"\n");
    fx.write("policy.json", r#"{"v": 2}"#);
    fx.write("new.txt", "new-reviewed");
    let p = fx.plan(normal());
    assert_eq!(
        actions(&p.plan),
        acts(&[
            ("mock_other.dep", Action::Update),
            ("mock_thing.hello", Action::Update),
            ("mock_thing.lit", Action::Delete),
            ("mock_thing.new", Action::Create),
            ("mock_thing.policy", Action::Update),
        ])
    );
    let file = fx.save(&p, "plan.bin");

    // Edited after the review, before the apply: every input of the plan.
    fx.write(
        "main.tf",
        &main_tf("resource \"mock_thing\" \"new\" {\n  input = \"edited literal\"\n}\nresource \"mock_thing\" \"lit\" {\n  input = \"literal\"\n}\n"),
    );
    fx.write("terraform.tfvars", "greeting = \"three\"\n");
    fx.write("policy.json", r#"{"v": 3}"#);
    fx.write("new.txt", "new-edited");
    fx.vars.clear();

    let loaded = fx.load(&file).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(
        serde_json::to_string(&loaded.plan).expect("json"),
        serde_json::to_string(&p.plan).expect("json"),
        "the loaded plan is the saved one"
    );
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (1, 3, 1));

    // What the provider was given is what the plan showed.
    let calls = fx.mock.calls();
    let given = |op: Op, a: &str, path: &[&str]| {
        let c = the_call(&calls, op, a);
        str_at(c.planned.as_ref().expect("planned"), path)
    };
    assert_eq!(
        given(Op::Create, "mock_thing.new", &["input"]).as_deref(),
        Some("new-reviewed")
    );
    assert_eq!(
        given(Op::Update, "mock_thing.policy", &["input", "doc"]).as_deref(),
        Some(r#"{"v": 2}"#)
    );
    assert_eq!(
        given(Op::Update, "mock_thing.hello", &["input"]).as_deref(),
        Some("two")
    );
    assert_eq!(
        given(Op::Update, "mock_other.dep", &["input"]).as_deref(),
        Some("two")
    );
    // And what the world and the state hold.
    let policy_id = fx.id("mock_thing.policy").expect("policy");
    let obj = fx.mock.object("mock_thing", &policy_id).expect("object");
    assert_eq!(
        str_at(&obj.value, &["input", "doc"]).as_deref(),
        Some(r#"{"v": 2}"#)
    );
    assert_eq!(
        str_at(&fx.value("mock_thing.new").expect("new"), &["output"]).as_deref(),
        Some("new-reviewed")
    );
    let st = fx.state().expect("state");
    assert_eq!(st.outputs["greeting"].value, serde_json::json!("two"));
    fx.assert_world_is_state();

    // The next plan (the files on disk, the variables given now) sees the edits.
    fx.var("dir", &dir);
    let next = fx.plan(normal());
    assert_eq!(
        actions(&next.plan),
        acts(&[
            ("mock_other.dep", Action::Update),
            ("mock_thing.hello", Action::Update),
            ("mock_thing.lit", Action::Create),
            ("mock_thing.new", Action::Update),
            ("mock_thing.policy", Action::Update),
        ])
    );
    let after = |a: &str, path: &[&str]| {
        next.plan
            .changes
            .iter()
            .find(|c| c.addr.to_string() == a)
            .and_then(|c| c.after.as_ref())
            .and_then(|v| str_at(v, path))
    };
    assert_eq!(
        after("mock_thing.policy", &["input", "doc"]).as_deref(),
        Some(r#"{"v": 3}"#)
    );
    assert_eq!(
        after("mock_thing.hello", &["input"]).as_deref(),
        Some("three")
    );
}

/// Drift shown in a saved plan is applied as shown: an object deleted outside sakk before the
/// plan is planned as a create (reason GoneOutOfBand), and applying the file creates it once.
#[test]
fn drift_in_a_saved_plan_is_applied_as_shown() {
    let fx = Fx::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {\n  input = \"b\"\n}\n",
    )]);
    fx.apply_all();
    let b = fx.id("mock_thing.b").expect("b");
    assert!(fx.mock.delete_object("mock_thing", &b));
    let p = fx.plan(normal());
    let file = fx.save(&p, "plan.bin");
    let loaded = fx.load(&file).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(loaded.plan.drift.len(), 1, "{:?}", loaded.plan.drift);
    assert_eq!(loaded.plan.drift[0].addr, addr("mock_thing.b"));
    assert!(loaded.plan.drift[0].after.is_none());
    assert_eq!(
        actions(&loaded.plan),
        acts(&[("mock_thing.b", Action::Create)])
    );
    let change = loaded
        .plan
        .changes
        .iter()
        .find(|c| c.addr == addr("mock_thing.b"))
        .expect("b");
    assert_eq!(change.reason, Some(Reason::GoneOutOfBand));
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (1, 0, 0));
    assert_eq!(fx.mock.count(Op::Create), 1);
    assert_eq!(
        str_at(
            &fx.mock.calls_of(Op::Create)[0]
                .planned
                .clone()
                .expect("planned"),
            &["input"]
        )
        .as_deref(),
        Some("b")
    );
    assert_ne!(fx.id("mock_thing.b"), Some(b));
    fx.assert_world_is_state();
    assert!(!fx.plan(normal()).has_changes());
}

/// What `tests/engine_plan.rs` checked with the ledger: `--refresh=false` trusts the state, and
/// a refresh-only apply (`sakk refresh`) writes what refresh found (the deleted object leaves
/// the state) without calling the provider to change anything.
#[test]
fn refresh_false_trusts_the_state_and_refresh_only_forgets_a_deleted_object() {
    let fx = Fx::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {}\n",
    )]);
    fx.apply_all();
    let b = fx.id("mock_thing.b").expect("b");
    assert!(fx.mock.delete_object("mock_thing", &b));
    fx.mock.clear_calls();
    let trusted = fx.plan(PlanOptions {
        refresh: false,
        ..PlanOptions::default()
    });
    assert!(!trusted.has_changes(), "{:?}", actions(&trusted.plan));
    assert!(trusted.plan.drift.is_empty());
    assert_eq!(fx.mock.count(Op::Read), 0, "no refresh");

    let r = fx.plan(PlanOptions {
        mode: PlanMode::RefreshOnly,
        refresh: true,
        ..PlanOptions::default()
    });
    assert!(r.has_changes());
    assert_eq!(r.plan.drift.len(), 1);
    let file = fx.save(&r, "refresh.bin");
    let loaded = fx.load(&file).unwrap_or_else(|e| panic!("load: {e}"));
    let serial = fx.state().expect("state").serial;
    fx.mock.clear_calls();
    let a = fx.apply_ok(&loaded);
    assert_eq!(a.refreshed, Some(1));
    assert_eq!(
        world_calls(&fx.mock.calls()),
        vec![],
        "refresh-only changes nothing"
    );
    assert_eq!(fx.addrs(), vec!["mock_thing.a"]);
    assert_eq!(fx.state().expect("state").serial, serial + 1);
    // Then b is a plain create.
    let p = fx.plan(normal());
    assert_eq!(actions(&p.plan), acts(&[("mock_thing.b", Action::Create)]));
    assert_eq!(
        p.plan
            .changes
            .iter()
            .find(|c| c.action == Action::Create)
            .and_then(|c| c.reason.clone()),
        None
    );
    fx.apply_exactly(&p);
    fx.assert_world_is_state();
}

/// A saved plan is refused when the state moved on since it was made (someone applied in
/// between, or there was no state and now there is one), before any provider call.
#[test]
fn a_saved_plan_is_refused_once_the_state_moved_on() {
    let fx = Fx::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  input = \"1\"\n}\n",
    )]);
    // Made when there was no state yet.
    let first = fx.plan(normal());
    let first = fx.save(&first, "first.bin");
    let second = fx.plan(normal());
    let second = fx.save(&second, "second.bin");
    fx.apply_exactly(&fx.load(&second).unwrap_or_else(|e| panic!("load: {e}")));
    assert_eq!(fx.mock.count(Op::Create), 1);

    // A plan made when there was no state, applied to the state there is now.
    fx.mock.clear_calls();
    for f in [&first, &second] {
        let e = match fx.load(f) {
            Ok(_) => panic!("{} was applied to a state that moved on", f.display()),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("Saved plan is stale"), "{e}");
        assert!(e.contains("lineage differs"), "{e}");
    }
    // Another apply in between, after a plan of a change.
    fx.write(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  input = \"2\"\n}\n",
    );
    let p = fx.plan(normal());
    let f = fx.save(&p, "third.bin");
    fx.write(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  input = \"3\"\n}\n",
    );
    fx.apply_all();
    fx.mock.clear_calls();
    let e = match fx.load(&f) {
        Ok(_) => panic!("applied a stale plan"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("Saved plan is stale") && e.contains("someone applied in between"),
        "{e}"
    );
    assert_eq!(world_calls(&fx.mock.calls()), vec![]);
    assert_eq!(
        str_at(&fx.value("mock_thing.a").expect("a"), &["input"]).as_deref(),
        Some("3")
    );
    // A plan applied once is stale for a second apply.
    fx.write(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  input = \"4\"\n}\n",
    );
    let p = fx.plan(normal());
    assert!(p.has_changes());
    let then = fx.state().expect("state").serial;
    let f = fx.save(&p, "fourth.bin");
    fx.apply_exactly(&fx.load(&f).unwrap_or_else(|e| panic!("load: {e}")));
    let now = fx.state().expect("state").serial;
    fx.mock.clear_calls();
    let e = match fx.load(&f) {
        Ok(_) => panic!("applied a plan twice"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(&format!("serial {then} then, {now} now")), "{e}");
    assert_eq!(world_calls(&fx.mock.calls()), vec![]);
    assert_eq!(
        str_at(&fx.value("mock_thing.a").expect("a"), &["input"]).as_deref(),
        Some("4")
    );
}

/// The executor's contract check: when what apply evaluates differs from a known value the
/// saved plan showed, the resource is refused with an error that names it and the path of the
/// value, and the provider is asked for nothing about it. Two ways to get there: a plan file
/// whose snapshot was edited and re-hashed (unsigned plans only check the digest), and a plan
/// whose planned value was changed in memory.
#[test]
fn a_planned_value_that_apply_would_compute_differently_is_refused() {
    let mut fx = Fx::new(&[
        (
            "main.tf",
            r#"
variable "dir" {
  type = string
}
resource "mock_thing" "pol" {
  input = {
    doc = file("${var.dir}/policy.json")
  }
}
resource "mock_thing" "bystander" {
  input = "b"
}
"#,
        ),
        ("policy.json", "v1"),
    ]);
    let dir = fx.dir_str();
    fx.var("dir", &dir);
    fx.apply_all();
    let pol_id = fx.id("mock_thing.pol").expect("pol");
    fx.write("policy.json", "v2");
    let p = fx.plan(normal());
    assert_eq!(
        actions(&p.plan),
        acts(&[("mock_thing.pol", Action::Update)])
    );

    // The snapshot's policy.json replaced by other bytes, the digest recomputed.
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::write(other.path().join("policy.json"), "v3-tampered").expect("write");
    let rec = engine::vfs::RecordingFs::new(other.path().to_path_buf());
    engine::vfs::FileSystem::read(&rec, &other.path().join("policy.json")).expect("read");
    let tampered_file =
        serde_json::to_value(rec.snapshot()).expect("json")["files"]["policy.json"].clone();
    let mut body = serde_json::to_value(SavedPlan::of(&p)).expect("json");
    assert!(
        body["snapshot"]["files"].get("policy.json").is_some(),
        "{}",
        body["snapshot"]
    );
    body["snapshot"]["files"]["policy.json"] = tampered_file;
    let saved: SavedPlan = serde_json::from_value(body).expect("saved plan");
    let file = fx.path().join("tampered.bin");
    std::fs::write(&file, encode(&saved, None).expect("encode")).expect("write");
    let loaded = fx.load(&file).unwrap_or_else(|e| panic!("load: {e}"));
    fx.mock.clear_calls();
    let a = fx.apply(&loaded);
    assert!(!a.ok());
    let err = fx.rendered(&loaded, &a);
    assert!(
        err.contains("Provider produced inconsistent final plan for mock_thing.pol"),
        "{err}"
    );
    assert!(err.contains("the value of input.doc differs"), "{err}");
    assert_eq!(fx.mock.count(Op::Update), 0, "{:?}", fx.mock.calls());
    assert_eq!(fx.mock.count(Op::Create), 0);
    assert_eq!(
        str_at(&fx.value("mock_thing.pol").expect("pol"), &["input", "doc"]).as_deref(),
        Some("v1"),
        "the state keeps the old object"
    );
    assert_eq!(
        str_at(
            &fx.mock.object("mock_thing", &pol_id).expect("object").value,
            &["input", "doc"]
        )
        .as_deref(),
        Some("v1")
    );

    // The planned values edited in memory: an update and a create; what does not contradict
    // its plan is applied.
    fx.write(
        "main.tf",
        r#"
variable "dir" {
  type = string
}
resource "mock_thing" "pol" {
  input = {
    doc = file("${var.dir}/policy.json")
  }
}
resource "mock_thing" "bystander" {
  input = "b"
}
resource "mock_thing" "fresh" {
  input = "real"
}
resource "mock_other" "fine" {
  input = "fine"
}
"#,
    );
    let p = fx.plan(normal());
    let file = fx.save(&p, "plan.bin");
    let mut loaded = fx.load(&file).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(
        actions(&loaded.plan),
        acts(&[
            ("mock_other.fine", Action::Create),
            ("mock_thing.fresh", Action::Create),
            ("mock_thing.pol", Action::Update),
        ])
    );
    for c in loaded.plan.changes.iter_mut() {
        let after = c.after.as_ref().expect("after");
        match c.addr.to_string().as_str() {
            "mock_thing.fresh" => c.after = Some(with_attr(after, "input", s("promised"))),
            "mock_thing.pol" => {
                let input = Value::object(vec![("doc".into(), s("promised"))]);
                c.after = Some(with_attr(after, "input", input));
            }
            _ => {}
        }
    }
    fx.mock.clear_calls();
    let a = fx.apply(&loaded);
    assert!(!a.ok());
    let err = fx.rendered(&loaded, &a);
    for (addr, path) in [
        ("mock_thing.fresh", "input"),
        ("mock_thing.pol", "input.doc"),
    ] {
        let d = a
            .diags
            .errors()
            .find(|d| d.summary == format!("Provider produced inconsistent final plan for {addr}"))
            .unwrap_or_else(|| panic!("no error for {addr}: {err}"));
        assert!(
            d.detail.contains(&format!("the value of {path} differs")),
            "{}",
            d.detail
        );
        assert!(d.range.is_some(), "points at the resource block");
        assert_eq!(fx.mock.count_at(Op::Create, addr), 0);
        assert_eq!(fx.mock.count_at(Op::Update, addr), 0);
    }
    assert_eq!(fx.mock.addresses(Op::Create), vec!["mock_other.fine"]);
    assert_eq!(fx.mock.count(Op::Update), 0);
    assert_eq!(
        fx.addrs(),
        vec!["mock_other.fine", "mock_thing.bystander", "mock_thing.pol"]
    );
    fx.assert_world_is_state();
}

/// Impure functions are unknown in the plan (Terraform's rule), so a saved plan that uses them
/// applies: the value computed at apply contradicts nothing the plan showed.
#[test]
fn impure_functions_in_a_saved_plan_are_computed_at_apply() {
    let fx = Fx::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"t\" {\n  input = { at = timestamp(), id = uuid() }\n}\n",
    )]);
    let p = fx.plan(normal());
    let after = p.plan.changes[0].after.clone().expect("after");
    assert!(!after.get_attr("input").expect("input").is_wholly_known());
    let f = fx.save(&p, "plan.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    fx.apply_exactly(&loaded);
    let v = fx.value("mock_thing.t").expect("t");
    let at = str_at(&v, &["input", "at"]).expect("at");
    assert!(at.ends_with('Z') && at.len() == 20, "{at}");
    assert_eq!(str_at(&v, &["input", "id"]).expect("id").len(), 36);
}

const BASE: &str = r#"
resource "mock_thing" "keep" {
  input = "same"
}
resource "mock_thing" "upd" {
  input = "one"
}
resource "mock_thing" "rep" {
  input            = "r"
  triggers_replace = "v1"
}
resource "mock_thing" "cbd" {
  triggers_replace = "v1"
  lifecycle {
    create_before_destroy = true
  }
}
resource "mock_thing" "gone" {
  input = "bye"
}
resource "mock_thing" "many" {
  count = 3
  input = count.index
}
resource "mock_other" "wait" {
  triggers_replace = {
    upd = mock_thing.upd.output
  }
}
"#;

const CHANGED: &str = r#"
variable "pw" {
  type      = string
  sensitive = true
  default   = "s3cr3t"
}
resource "mock_thing" "keep" {
  input = "same"
}
resource "mock_thing" "upd" {
  input = "two"
}
resource "mock_thing" "rep" {
  input            = "r"
  triggers_replace = "v2"
}
resource "mock_thing" "cbd" {
  triggers_replace = "v2"
  lifecycle {
    create_before_destroy = true
  }
}
resource "mock_thing" "many" {
  count = 2
  input = count.index
}
resource "mock_thing" "secret" {
  input  = "visible"
  secret = "hunter2"
}
resource "mock_other" "wait" {
  triggers_replace = {
    upd = mock_thing.upd.output
  }
}
output "pw" {
  value     = var.pw
  sensitive = true
}
output "rep_id" {
  value = mock_thing.rep.id
}
"#;

/// The position in the log of the one call of `op` about `a`.
fn seq(calls: &[engine::provider_mock::Call], op: Op, a: &str) -> usize {
    the_call(calls, op, a).seq
}

/// Every action kind through saved plans: creates, then update, replace, create_before_destroy,
/// deletes (orphan and count shrink) and no-ops, then a plan with no changes, then a destroy.
#[test]
fn every_action_kind_through_saved_plans() {
    let fx = Fx::new(&[("main.tf", BASE)]);
    let p = fx.plan(normal());
    let f = fx.save(&p, "create.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    assert!(loaded
        .plan
        .changes
        .iter()
        .all(|c| c.action == Action::Create));
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (9, 0, 0));
    fx.assert_world_is_state();

    fx.write("main.tf", CHANGED);
    let p = fx.plan(normal());
    let f = fx.save(&p, "changes.bin");
    let old_rep = fx.id("mock_thing.rep").expect("rep");
    let old_cbd = fx.id("mock_thing.cbd").expect("cbd");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(
        actions(&loaded.plan),
        acts(&[
            ("mock_other.wait", Action::DeleteThenCreate),
            ("mock_thing.cbd", Action::CreateThenDelete),
            ("mock_thing.gone", Action::Delete),
            ("mock_thing.many[2]", Action::Delete),
            ("mock_thing.rep", Action::DeleteThenCreate),
            ("mock_thing.secret", Action::Create),
            ("mock_thing.upd", Action::Update),
        ])
    );
    let mut noops: Vec<String> = loaded
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::NoOp)
        .map(|c| c.addr.to_string())
        .collect();
    noops.sort();
    assert_eq!(
        noops,
        vec![
            "mock_thing.keep",
            "mock_thing.many[0]",
            "mock_thing.many[1]"
        ]
    );
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (4, 1, 5));
    let calls = fx.mock.calls();
    assert!(seq(&calls, Op::Delete, "mock_thing.rep") < seq(&calls, Op::Create, "mock_thing.rep"));
    assert!(seq(&calls, Op::Create, "mock_thing.cbd") < seq(&calls, Op::Delete, "mock_thing.cbd"));
    // The dependent's replacement is created after the update (its old object was destroyed
    // before the walk: Terraform's destroy edges).
    assert!(seq(&calls, Op::Update, "mock_thing.upd") < seq(&calls, Op::Create, "mock_other.wait"));
    // The replaced objects are gone, their replacements recorded.
    assert!(fx.mock.object("mock_thing", &old_rep).is_none());
    assert!(fx.mock.object("mock_thing", &old_cbd).is_none());
    assert_ne!(fx.id("mock_thing.rep"), Some(old_rep));
    // The sensitive attribute is recorded as such in the state file.
    let st = fx.state().expect("state");
    let (_, _, inst) = st
        .instances()
        .find(|(a, _, _)| a.to_string() == "mock_thing.secret")
        .expect("secret");
    assert_eq!(inst.sensitive_attributes.len(), 1, "{inst:?}");
    assert!(st.outputs["pw"].sensitive);
    assert_eq!(
        st.outputs["rep_id"].value.as_str(),
        fx.id("mock_thing.rep").as_deref(),
        "an output known after apply is stored with the applied value"
    );
    assert_eq!(fx.addrs().len(), 8);
    fx.assert_world_is_state();

    // No changes: the saved plan applies nothing.
    let p = fx.plan(normal());
    assert!(!p.has_changes(), "{:?}", actions(&p.plan));
    let f = fx.save(&p, "noop.bin");
    let serial = fx.state().expect("state").serial;
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (0, 0, 0));
    assert_eq!(fx.state().expect("state").serial, serial, "nothing written");

    // Destroy.
    let p = fx.plan(PlanOptions {
        mode: PlanMode::Destroy,
        ..normal()
    });
    let f = fx.save(&p, "destroy.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    assert!(loaded
        .plan
        .changes
        .iter()
        .all(|c| c.action == Action::Delete && c.reason == Some(Reason::Destroy)));
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (0, 0, 8));
    assert!(fx.addrs().is_empty());
    assert!(fx.mock.objects().is_empty());
    assert!(fx.state().expect("state").outputs.is_empty());
}

/// `moved` blocks (a chain and a module) and an `import` block through a saved plan: loading
/// renames the state again as at plan time, the apply records the renames and the import and
/// asks the provider only for the planned update; nothing is created or destroyed.
#[test]
fn moved_and_import_blocks_through_a_saved_plan() {
    let fx = Fx::new(&[
        (
            "main.tf",
            "resource \"mock_thing\" \"a\" {\n  input = 1\n}\nmodule \"old\" {\n  source = \"./m\"\n}\n",
        ),
        ("m/main.tf", "resource \"mock_thing\" \"x\" {}\n"),
    ]);
    fx.apply_all();
    let (a_id, x_id) = (
        fx.id("mock_thing.a").expect("a"),
        fx.id("module.old.mock_thing.x").expect("x"),
    );
    fx.mock
        .insert_object("mock_thing", "ext-1", vec![("input", s("outside"))])
        .expect("insert");
    fx.write(
        "main.tf",
        r#"
resource "mock_thing" "c" {
  input = 1
}
moved {
  from = mock_thing.b
  to   = mock_thing.c
}
moved {
  from = mock_thing.a
  to   = mock_thing.b
}
module "new" {
  source = "./m"
}
moved {
  from = module.old
  to   = module.new
}
resource "mock_thing" "imp" {
  input = "x"
}
import {
  to = mock_thing.imp
  id = "ext-1"
}
"#,
    );
    let p = fx.plan(normal());
    let f = fx.save(&p, "plan.bin");
    fx.mock.clear_calls();
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(fx.mock.calls().len(), 0, "loading a plan calls no provider");
    let moved: Vec<(String, String)> = loaded
        .plan
        .moved
        .iter()
        .map(|m| (m.from.clone(), m.to.clone()))
        .collect();
    assert_eq!(moved.len(), 3, "{moved:?}");
    for m in [
        ("mock_thing.a", "mock_thing.b"),
        ("mock_thing.b", "mock_thing.c"),
        ("module.old", "module.new"),
    ] {
        assert!(moved.contains(&(m.0.into(), m.1.into())), "{moved:?}");
    }
    assert_eq!(loaded.plan.imports(), 1);
    assert_eq!(
        loaded
            .plan
            .adoption_of(&addr("mock_thing.imp"))
            .map(|a| a.how.clone()),
        Some(Adoption::Import("ext-1".into()))
    );
    assert_eq!(
        actions(&loaded.plan),
        acts(&[("mock_thing.imp", Action::Update)])
    );
    let a = fx.apply_exactly(&loaded);
    assert_eq!((a.added, a.changed, a.destroyed), (0, 1, 0));
    assert_eq!(
        fx.addrs(),
        vec!["mock_thing.c", "mock_thing.imp", "module.new.mock_thing.x"]
    );
    assert_eq!(fx.id("mock_thing.c"), Some(a_id));
    assert_eq!(fx.id("module.new.mock_thing.x"), Some(x_id));
    assert_eq!(fx.id("mock_thing.imp").as_deref(), Some("ext-1"));
    assert_eq!(
        str_at(
            &fx.mock.object("mock_thing", "ext-1").expect("ext-1").value,
            &["input"]
        )
        .as_deref(),
        Some("x")
    );
    assert_eq!(fx.mock.ids().len(), 3, "nothing created");
    fx.assert_world_is_state();
    let again = fx.plan(normal());
    assert!(!again.has_changes(), "{:?}", actions(&again.plan));
}

/// `sakk import ADDR ID` (`ops::import::import`): the object is read and recorded; a second
/// import of the same address and an address the configuration lacks are refused; an id the
/// world does not have is an error naming the import block. What `tests/engine_plan.rs`
/// checked with ledger files.
#[test]
fn the_import_command_records_existing_objects() {
    let fx = Fx::new(&[("main.tf", "resource \"mock_thing\" \"cmd\" {}\n")]);
    fx.mock
        .insert_object("mock_thing", "existing-2", vec![])
        .expect("insert");
    let import = |a: &str, id: &str| {
        ops::import::import(
            &fx.project,
            &ops::load::InputOptions::default(),
            a,
            id,
            &ops::project::LockOptions::default(),
            &fx.rt,
        )
        .map_err(|e| e.to_string())
    };
    import("mock_thing.cmd", "existing-2").expect("import");
    assert_eq!(fx.id("mock_thing.cmd").as_deref(), Some("existing-2"));
    assert_eq!(fx.mock.addresses(Op::Import), vec!["mock_thing.cmd"]);
    let e = import("mock_thing.cmd", "existing-2").expect_err("twice");
    assert!(e.contains("already in the state"), "{e}");
    let e = import("mock_thing.missing", "x").expect_err("missing");
    assert!(e.contains("no resource instance mock_thing.missing"), "{e}");
    assert!(!fx.plan(normal()).has_changes());
    assert_eq!(fx.mock.count(Op::Create), 0);

    fx.write(
        "main.tf",
        "resource \"mock_thing\" \"cmd\" {}\nresource \"mock_thing\" \"z\" {}\nimport {\n  to = mock_thing.z\n  id = \"nope\"\n}\n",
    );
    let e = match fx.try_plan(normal()) {
        Ok(_) => panic!("imported an object that does not exist"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("Cannot import mock_thing.z"), "{e}");
    assert!(e.contains("main.tf:4"), "{e}");
}

/// A plan file round-trips: decoding and encoding again gives the same bytes, for a realistic
/// plan (unknown values, sensitive attributes, a sensitive variable and output, drift, a
/// replacement), and so does a plan loaded for apply.
#[test]
fn plan_files_round_trip_with_unknowns_and_sensitive_values() {
    let fx = Fx::new(&[("main.tf", BASE)]);
    fx.apply_all();
    let keep = fx.id("mock_thing.keep").expect("keep");
    assert!(fx.mock.delete_object("mock_thing", &keep));
    fx.write("main.tf", CHANGED);
    let p = fx.plan(normal());
    assert_eq!(p.plan.drift.len(), 1);
    let secret = p
        .plan
        .changes
        .iter()
        .find(|c| c.addr.to_string() == "mock_thing.secret")
        .and_then(|c| c.after.clone())
        .expect("secret");
    assert!(!secret.get_attr("id").expect("id").is_known());
    assert!(secret.get_attr("secret").expect("secret").is_sensitive());
    assert!(p.variables["pw"].is_sensitive());

    for key in [None, Some(b"k3y".as_slice())] {
        let bytes = encode(&SavedPlan::of(&p), key).expect("encode");
        let decoded = decode(&bytes, key).expect("decode");
        assert_eq!(encode(&decoded, key).expect("encode"), bytes);
        // What the decoded plan holds: unknowns stay unknown, marks stay marks.
        let after = decoded
            .plan
            .changes
            .iter()
            .find(|c| c.addr.to_string() == "mock_thing.secret")
            .and_then(|c| c.after.clone())
            .expect("secret");
        assert!(!after.get_attr("id").expect("id").is_known());
        assert!(after.get_attr("secret").expect("secret").is_sensitive());
        assert!(!after.get_attr("input").expect("input").is_sensitive());
        assert!(decoded.variables["pw"].is_sensitive());
        assert!(decoded.new_outputs["pw"].sensitive);
        assert_eq!(decoded.plan.drift.len(), 1);
        assert_eq!(
            decoded.new_outputs["rep_id"].type_,
            serde_json::json!(ops::outputs::UNKNOWN)
        );
    }
    // Loaded for apply and saved again: the same file.
    let f = fx.save(&p, "plan.bin");
    let bytes = std::fs::read(&f).expect("read");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(
        encode(&SavedPlan::of(&loaded), None).expect("encode"),
        bytes
    );
}

/// Intents in the state file: a create that fails leaves a placeholder with its token, which
/// the next plan looks up; a placeholder whose object exists (a create cut off by a crash) is
/// adopted through a saved plan instead of created again; one whose object does not exist is
/// created. What `tests/engine_apply.rs` checked with ledger files and a hand-made state.
#[test]
fn intents_in_the_state_are_adopted_or_created_again() {
    let fx = Fx::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {\n  input = \"b\"\n}\n",
    )]);
    fx.mock.fail(Op::Create, "mock_thing.b");
    let p = fx.plan(normal());
    let a = fx.apply(&p);
    assert_eq!((a.added, a.failed), (1, 1));
    let failures = fx.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "mock_thing.b");
    assert!(failures[0].1.contains("failed (injected)"), "{failures:?}");
    let intent = fx.prior()[&addr("mock_thing.b")]
        .intent
        .clone()
        .expect("intent");
    let bytes = fx.state().expect("state").to_bytes();
    assert!(String::from_utf8_lossy(&bytes).contains(&format!("sakk-intent:{intent}")));
    fx.mock.clear_faults();

    // The crash window: the object was made, the process died before recording it.
    fx.mock
        .insert_object(
            "mock_thing",
            "obj-b",
            vec![("input", s("b")), ("output", s("b"))],
        )
        .expect("insert");
    fx.mock
        .set_object_token("mock_thing", "obj-b", &intent)
        .expect("token");
    fx.mock.clear_calls();
    let p = fx.plan(normal());
    let looked_up = fx.mock.calls_of(Op::FindByToken);
    assert_eq!(looked_up.len(), 1);
    assert_eq!(looked_up[0].token.as_deref(), Some(intent.as_str()));
    let f = fx.save(&p, "plan.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(
        loaded
            .plan
            .adoption_of(&addr("mock_thing.b"))
            .map(|a| a.how.clone()),
        Some(Adoption::Token(intent.clone()))
    );
    assert!(
        actions(&loaded.plan).is_empty(),
        "{:?}",
        actions(&loaded.plan)
    );
    fx.apply_exactly(&loaded);
    assert_eq!(fx.id("mock_thing.b").as_deref(), Some("obj-b"));
    assert_eq!(fx.mock.ids().len(), 2, "no twin");
    assert!(
        !String::from_utf8_lossy(&fx.state().expect("state").to_bytes()).contains("sakk-intent:")
    );
    fx.assert_world_is_state();
    assert!(!fx.plan(normal()).has_changes());

    // A placeholder (hand-made, as `sakk state push` would store it) whose create made nothing.
    let mut st = fx.state().expect("state");
    let mut doc: serde_json::Value = serde_json::from_slice(&st.to_bytes()).expect("json");
    for r in doc["resources"].as_array_mut().expect("resources") {
        if r["name"] == "b" {
            r["instances"][0]["status"] = serde_json::json!("tainted");
            r["instances"][0]["private"] = serde_json::json!("sakk-intent:sakk-0000dead");
            r["instances"][0]["attributes"]["id"] = serde_json::Value::Null;
        }
    }
    st = state::State::from_slice(&serde_json::to_vec(&doc).expect("json")).expect("state");
    st.serial += 1;
    fx.project
        .backend
        .put(&fx.project.workspace, &st)
        .expect("put");
    assert!(fx.mock.delete_object("mock_thing", "obj-b"));
    let p = fx.plan(normal());
    assert_eq!(actions(&p.plan), acts(&[("mock_thing.b", Action::Create)]));
    let f = fx.save(&p, "again.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    fx.apply_exactly(&loaded);
    assert_eq!(fx.mock.ids().len(), 2);
    fx.assert_world_is_state();
}

/// create_before_destroy through the real state file: a failed destroy of the old object
/// leaves it in the state as Terraform's deposed instance (`"deposed": "<8 hex>"` beside the
/// new current object); a saved plan carries its destroy, and applying it removes it.
#[test]
fn a_deposed_object_is_kept_in_the_state_file_and_destroyed_through_a_saved_plan() {
    let cbd = |v: &str| {
        format!("resource \"mock_thing\" \"x\" {{\n  triggers_replace = \"{v}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n")
    };
    let fx = Fx::new(&[("main.tf", &cbd("one"))]);
    let p = fx.plan(normal());
    fx.apply(&p);
    let old = fx.id("mock_thing.x").expect("x");
    fx.write("main.tf", &cbd("two"));
    fx.mock.fail_once(Op::Delete, "mock_thing.x");
    let p = fx.plan(normal());
    let a = fx.apply(&p);
    assert_eq!((a.added, a.destroyed, a.failed), (1, 0, 1));
    let st = fx.state().expect("state");
    let insts: Vec<_> = st.instances().map(|(_, _, i)| i.clone()).collect();
    assert_eq!(insts.len(), 2, "{insts:?}");
    let deposed: Vec<_> = insts.iter().filter(|i| i.deposed.is_some()).collect();
    assert_eq!(deposed.len(), 1);
    let key = deposed[0].deposed.clone().expect("key");
    assert_eq!(key.len(), 8);
    assert_eq!(deposed[0].attributes["id"].as_str(), Some(old.as_str()));
    let doc = String::from_utf8_lossy(&st.to_bytes()).to_string();
    assert!(doc.contains(&format!("\"deposed\": \"{key}\"")), "{doc}");
    assert_ne!(fx.id("mock_thing.x"), Some(old.clone()));
    assert_eq!(fx.state_ids(), fx.mock.ids());

    let p = fx.plan(normal());
    let f = fx.save(&p, "plan.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    let c: Vec<_> = loaded
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].action, c[0].deposed.as_deref()),
        (Action::Delete, Some(key.as_str()))
    );
    fx.apply_exactly(&loaded);
    let st = fx.state().expect("state");
    assert!(st.instances().all(|(_, _, i)| i.deposed.is_none()));
    assert!(fx.mock.object("mock_thing", &old).is_none());
    fx.assert_world_is_state();
    assert!(!fx.plan(normal()).has_changes());
}

const REPLAN_FAILS: &str = r#"
resource "mock_thing" "ok" {
  input = "fine"
}
resource "mock_other" "bad" {
  input = "b"
}
resource "mock_thing" "after" {
  input = mock_other.bad.output
}
"#;

/// Applies a saved plan whose provider refuses, at apply, the configuration of `mock_other.bad`
/// (the executor plans each change again before making it); returns the apply and its
/// rendered errors.
fn apply_with_a_failing_replan(fx: &Fx) -> (ops::apply::Applied, String) {
    let p = fx.plan(normal());
    let f = fx.save(&p, "plan.bin");
    let loaded = fx.load(&f).unwrap_or_else(|e| panic!("load: {e}"));
    fx.mock.fail(Op::Plan, "mock_other");
    fx.mock.clear_calls();
    let a = fx.apply(&loaded);
    let err = fx.rendered(&loaded, &a);
    (a, err)
}

/// A change whose configuration the provider refuses at apply is not made, what depends on it
/// is skipped, and the rest is applied.
#[test]
fn a_change_the_provider_refuses_at_apply_is_reported_and_its_dependents_skipped() {
    let fx = Fx::new(&[("main.tf", REPLAN_FAILS)]);
    let (a, err) = apply_with_a_failing_replan(&fx);
    assert!(!a.ok());
    assert!(
        err.contains("Invalid configuration for mock_other.bad"),
        "{err}"
    );
    assert_eq!(fx.mock.addresses(Op::Create), vec!["mock_thing.ok"]);
    assert_eq!((a.added, a.skipped), (1, 1));
    let skipped: Vec<String> = fx
        .events
        .lock()
        .expect("events")
        .iter()
        .filter_map(|e| match e {
            engine::evaluate::apply::ApplyEvent::Skipped { addr, because, .. } => {
                Some(format!("{addr}: {because}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        vec!["mock_thing.after: it depends on mock_other.bad, which failed"]
    );
    assert_eq!(fx.addrs(), vec!["mock_thing.ok"]);
}

/// The same apply counts the refused change as failed: the CLI's summary says "0 failed, 1
/// skipped" while the skipped one "depends on mock_other.bad, which failed"
/// (`tests/engine_apply.rs` `failure_keeps_independent_work_skips_dependents_and_rerun_completes`
/// shows it through the binary).
#[test]
fn a_change_the_provider_refuses_at_apply_counts_as_failed() {
    let fx = Fx::new(&[("main.tf", REPLAN_FAILS)]);
    let (a, _) = apply_with_a_failing_replan(&fx);
    assert_eq!(a.failed, 1);
}
