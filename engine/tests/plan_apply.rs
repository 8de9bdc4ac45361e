//! Plan and apply in process, on the mock provider (`engine::provider_mock`): every action kind,
//! data sources, drift, imports, --target/--replace/taint, lifecycle rules, failures, the
//! parallelism bound and per-service limits, interruption (once and twice), lost create
//! responses and crashes mid-apply (intents adopted by token), progress events, provider
//! configurations and `finish_apply`. Each apply is checked against the call log: it issues
//! exactly the provider calls its plan lists.
//!
//! These replace what `tests/engine_apply.rs` and `tests/engine_plan.rs` of the root package
//! checked through the binary with the built-in provider's former test hooks (injected
//! failures, a "ledger" of objects outside the state, a per-service limit); those files list
//! which test here (or in `ops/tests/saved_plans.rs`) covers each.

mod harness;

use engine::evaluate::apply::ApplyEvent;
use engine::lang::value::Value;
use engine::plan::{Action, Adoption, Plan, Reason};
use engine::provider::ProviderError;
use engine::provider_mock::{Call, Match, Op};
use harness::{addr, Applied, ApplyOpts, Harness, PlanOpts, Planned};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---- helpers ----

/// The provider calls an apply of `plan` must make, as (operation, address): one create per
/// create (after a find_by_token, which is not told the address, when the create retries an
/// intent's token), one update per update, one
/// delete per delete, both for a replace, one read_data per deferred data read; nothing else.
fn expected_calls(plan: &Plan) -> Vec<(Op, String)> {
    let mut v = Vec::new();
    for c in &plan.changes {
        let a = c.addr.to_string();
        match c.action {
            Action::NoOp => {}
            Action::Create => {
                if c.token.is_some() {
                    v.push((Op::FindByToken, String::new()));
                }
                v.push((Op::Create, a));
            }
            Action::Update => v.push((Op::Update, a)),
            Action::Delete => v.push((Op::Delete, a)),
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                v.push((Op::Delete, a.clone()));
                if c.token.is_some() {
                    v.push((Op::FindByToken, String::new()));
                }
                v.push((Op::Create, a));
            }
            Action::Read => v.push((Op::ReadData, a)),
        }
    }
    v.sort();
    v
}

/// The calls of the log that change or read the world, as (operation, address), sorted.
fn world_calls(calls: &[Call]) -> Vec<(Op, String)> {
    let mut v: Vec<(Op, String)> = calls
        .iter()
        .filter(|c| {
            matches!(
                c.op,
                Op::Create
                    | Op::Update
                    | Op::Delete
                    | Op::Read
                    | Op::Import
                    | Op::ReadData
                    | Op::FindByToken
            )
        })
        .map(|c| (c.op, c.address.clone().unwrap_or_default()))
        .collect();
    v.sort();
    v
}

/// Applies `p` and checks that the apply made exactly the calls the plan lists (plus the reads
/// of `data_reads`, data sources read again at apply), all successful; returns the result.
fn apply_exactly(h: &mut Harness, p: &Planned, data_reads: &[&str]) -> Applied {
    h.mock.clear_calls();
    let a = h.apply(p, ApplyOpts::default());
    assert!(a.complete(), "{}\n{:?}", a.errors(), a.failed());
    let mut want = expected_calls(&p.plan);
    want.extend(data_reads.iter().map(|d| (Op::ReadData, d.to_string())));
    want.sort();
    let calls = h.mock.calls();
    assert_eq!(
        world_calls(&calls),
        want,
        "the apply's calls differ from the plan"
    );
    assert!(
        calls.iter().all(|c| c.succeeded()),
        "{:?}",
        calls.iter().filter(|c| !c.succeeded()).collect::<Vec<_>>()
    );
    a
}

/// Plans with no errors.
fn plan_ok(h: &Harness, o: PlanOpts) -> Planned {
    let p = h.plan_with(o);
    assert!(!p.diags.has_errors(), "{}", p.errors());
    p
}

fn acts(v: &[(&str, Action)]) -> Vec<(String, Action)> {
    let mut v: Vec<(String, Action)> = v.iter().map(|(a, x)| (a.to_string(), *x)).collect();
    v.sort();
    v
}

/// The log position of the first call of `op` about `address`.
fn seq_of(calls: &[Call], op: Op, address: &str) -> usize {
    calls
        .iter()
        .find(|c| c.op == op && c.address.as_deref() == Some(address))
        .map(|c| c.seq)
        .unwrap_or_else(|| panic!("no {op:?} of {address} in {calls:#?}"))
}

/// The world and the state agree: the same objects, each once.
fn assert_world_is_state(h: &Harness) {
    let state = h.state_ids();
    let world = h.mock.ids();
    assert_eq!(state, world, "state {:?} vs world", h.addrs());
    let placeholders: Vec<String> = h
        .addrs()
        .into_iter()
        .filter(|a| h.id(a).is_none())
        .collect();
    assert!(
        placeholders.is_empty(),
        "placeholders left: {placeholders:?}"
    );
}

fn s(v: &str) -> Value {
    Value::string(v)
}

// ---- every action kind ----

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
"#;

#[test]
fn every_action_kind_then_no_changes_then_destroy() {
    let mut h = Harness::new(&[("main.tf", BASE)]);
    let first = plan_ok(&h, PlanOpts::default());
    assert_eq!(first.plan.counts(), (9, 0, 0));
    assert!(first
        .plan
        .changes
        .iter()
        .all(|c| c.action == Action::Create && c.reason.is_none()));
    // Ids are known after apply only.
    let keep = first.change("mock_thing.keep").expect("keep");
    let after = keep.after.as_ref().expect("after");
    assert!(!after.get_attr("id").expect("id").is_known());
    assert_eq!(
        after.get_attr("output").and_then(|v| v.as_str()),
        Some("same")
    );
    let a = apply_exactly(&mut h, &first, &[]);
    assert_eq!(a.counts(), (9, 0, 0));
    assert_eq!(h.addrs().len(), 9);
    assert_world_is_state(&h);
    assert_eq!(h.attr("mock_thing.many[1]", "output").as_deref(), Some("1"));
    // No-op.
    let noop = plan_ok(&h, PlanOpts::default());
    assert!(noop.no_changes(), "{:?}", noop.actions());
    assert!(noop.plan.drift.is_empty(), "{:?}", noop.plan.drift);

    h.write("main.tf", CHANGED);
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        p.actions(),
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
    assert_eq!(p.action("mock_thing.keep"), Some(Action::NoOp));
    assert_eq!(p.action("mock_thing.many[0]"), Some(Action::NoOp));
    let reason = |a: &str| p.change(a).and_then(|c| c.reason.clone());
    assert_eq!(
        reason("mock_thing.rep"),
        Some(Reason::ForcesReplacement(vec!["triggers_replace".into()]))
    );
    assert_eq!(
        reason("mock_other.wait"),
        Some(Reason::ForcesReplacement(vec!["triggers_replace".into()]))
    );
    assert_eq!(reason("mock_thing.gone"), Some(Reason::NoLongerInConfig));
    assert_eq!(reason("mock_thing.many[2]"), Some(Reason::KeyNotInConfig));
    assert_eq!(p.plan.counts(), (4, 1, 5));
    // The schema's sensitive attribute is marked (never shown), the others are not.
    let secret = p.change("mock_thing.secret").and_then(|c| c.after.clone());
    let secret = secret.expect("after");
    assert!(secret.get_attr("secret").expect("secret").is_sensitive());
    assert!(!secret.get_attr("input").expect("input").is_sensitive());
    // The update keeps the id; the replacement's is known after apply.
    let upd = p.change("mock_thing.upd").expect("upd");
    assert_eq!(
        upd.after
            .as_ref()
            .and_then(|v| v.get_attr("id"))
            .and_then(|v| v.as_str()),
        h.id("mock_thing.upd").as_deref()
    );

    let old_rep = h.id("mock_thing.rep").expect("rep id");
    let old_cbd = h.id("mock_thing.cbd").expect("cbd id");
    let a = apply_exactly(&mut h, &p, &[]);
    assert_eq!(a.counts(), (4, 1, 5));
    let calls = h.mock.calls();
    // Replace: delete first; create_before_destroy: create first.
    assert!(
        seq_of(&calls, Op::Delete, "mock_thing.rep") < seq_of(&calls, Op::Create, "mock_thing.rep")
    );
    assert!(
        seq_of(&calls, Op::Create, "mock_thing.cbd") < seq_of(&calls, Op::Delete, "mock_thing.cbd")
    );
    // What depends on the update is created after it (its old object is destroyed before
    // the walk creates anything: Terraform's destroy edges).
    assert!(
        seq_of(&calls, Op::Update, "mock_thing.upd")
            < seq_of(&calls, Op::Create, "mock_other.wait")
    );
    assert!(
        seq_of(&calls, Op::Delete, "mock_other.wait")
            < seq_of(&calls, Op::Create, "mock_thing.secret")
    );
    assert_ne!(h.id("mock_thing.rep"), Some(old_rep.clone()));
    assert_ne!(h.id("mock_thing.cbd"), Some(old_cbd.clone()));
    assert!(h.mock.object("mock_thing", &old_rep).is_none());
    assert!(h.mock.object("mock_thing", &old_cbd).is_none());
    assert_eq!(h.attr("mock_thing.upd", "output").as_deref(), Some("two"));
    assert_eq!(
        h.attr("mock_other.wait", "triggers_replace").as_deref(),
        Some("{\"upd\":\"two\"}")
    );
    // The state remembers what was sensitive; the world holds plain values.
    let st = h.value("mock_thing.secret").expect("secret");
    assert!(st.get_attr("secret").expect("secret").is_sensitive());
    assert_eq!(
        h.state.instances[&addr("mock_thing.secret")].sensitive,
        vec!["secret"]
    );
    let secret_id = h.id("mock_thing.secret").expect("id");
    let obj = h.mock.object("mock_thing", &secret_id).expect("object");
    assert_eq!(
        obj.value.get_attr("secret").and_then(|v| v.as_str()),
        Some("hunter2")
    );
    assert_eq!(h.addrs().len(), 8);
    assert_world_is_state(&h);
    let again = plan_ok(&h, PlanOpts::default());
    assert!(again.no_changes(), "{:?}", again.actions());

    let d = plan_ok(&h, PlanOpts::destroy());
    assert_eq!(d.plan.counts(), (0, 0, 8));
    assert!(d
        .plan
        .changes
        .iter()
        .all(|c| c.action == Action::Delete && c.reason == Some(Reason::Destroy)));
    let a = apply_exactly(&mut h, &d, &[]);
    assert_eq!(a.counts(), (0, 0, 8));
    assert!(h.addrs().is_empty());
    assert!(h.mock.objects().is_empty());
}

/// A value marked sensitive in the configuration (`sensitive("...")`) of an attribute the schema
/// does not mark: the state remembers the mark, but a provider's read returns the world's plain
/// value (as the AWS provider does; only the built-in provider hands back `current` with its
/// marks), and the engine compares the refreshed value with the prior and the plan with its
/// marks. Terraform re-applies the prior's marks to what a read returns
/// (`node_resource_abstract_instance.go`, refresh); sakk does not yet, so this reports drift and
/// a perpetual update.
#[test]
fn a_value_marked_sensitive_in_the_configuration_is_not_a_perpetual_change() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"s\" {\n  input = sensitive(\"hunter2\")\n}\n",
    )]);
    let p = plan_ok(&h, PlanOpts::default());
    let after = p
        .change("mock_thing.s")
        .and_then(|c| c.after.clone())
        .expect("after");
    assert!(after.get_attr("input").expect("input").is_sensitive());
    assert!(after.get_attr("output").expect("output").is_sensitive());
    apply_exactly(&mut h, &p, &[]);
    let remembered = &h.state.instances[&addr("mock_thing.s")].sensitive;
    assert!(remembered.contains(&"input".to_string()), "{remembered:?}");
    let again = plan_ok(&h, PlanOpts::default());
    assert!(
        again.plan.drift.is_empty(),
        "drift of marks only: {:?}",
        again.plan.drift
    );
    assert!(again.no_changes(), "{:?}", again.actions());
}

/// `nonsensitive()` is the explicit opt-out: the planned value carries the declassified mark (not
/// the sensitive one), a root output built from it needs no `sensitive = true`, the state keeps
/// no mark for it (as Terraform keeps nothing), and the re-plan after apply is clean.
#[test]
fn a_value_declassified_with_nonsensitive_is_annotated_and_not_a_perpetual_change() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
variable "pw" {
  default   = "hunter2"
  sensitive = true
}
resource "mock_thing" "d" {
  input = "public-${nonsensitive(var.pw)}"
}
output "shown" {
  value = { v = nonsensitive(var.pw) }
}
"#,
    )]);
    let p = plan_ok(&h, PlanOpts::default());
    let after = p
        .change("mock_thing.d")
        .and_then(|c| c.after.clone())
        .expect("after");
    let input = after.get_attr("input").expect("input");
    assert!(
        input.is_declassified() && !input.is_sensitive(),
        "{input:?}"
    );
    assert_eq!(input.as_str(), Some("public-hunter2"));
    // The mock's own `output` is computed from `input`: no secret in it either.
    assert!(!after
        .get_attr("output")
        .is_some_and(Value::is_sensitive_deep));
    // No "Output refers to sensitive values" (plan_ok), and the value is not sensitive.
    let out = p.evaluated.outputs.get("shown").expect("output");
    assert!(!out.sensitive && !out.value.is_sensitive_deep());
    assert!(out.value.get_attr("v").is_some_and(Value::is_declassified));
    apply_exactly(&mut h, &p, &[]);
    let st = &h.state.instances[&addr("mock_thing.d")];
    // (`secret` is the mock schema's own sensitive attribute.)
    assert!(
        !st.sensitive.contains(&"input".to_string()),
        "{:?}",
        st.sensitive
    );
    assert!(h
        .mock
        .objects()
        .iter()
        .any(|o| o.value.get_attr("input").and_then(Value::as_str) == Some("public-hunter2")));
    let again = plan_ok(&h, PlanOpts::default());
    assert!(again.plan.drift.is_empty(), "{:?}", again.plan.drift);
    assert!(again.no_changes(), "{:?}", again.actions());
}

// ---- data sources ----

#[test]
fn data_sources_are_read_at_plan_or_deferred_to_apply() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
data "mock_lookup" "static" {
  input = "s"
}
resource "mock_thing" "a" {
  input = data.mock_lookup.static.output
}
resource "mock_thing" "b" {
  input = "b"
}
data "mock_lookup" "later" {
  input = mock_thing.b.id
}
resource "mock_thing" "c" {
  input = data.mock_lookup.later.output
}
"#,
    )]);
    let p = plan_ok(&h, PlanOpts::default());
    // The one whose configuration is known is read now; the other at apply.
    let reads = h.mock.calls_of(Op::ReadData);
    assert_eq!(reads.len(), 1, "{reads:#?}");
    assert_eq!(reads[0].address.as_deref(), Some("data.mock_lookup.static"));
    assert_eq!(p.action("data.mock_lookup.later"), Some(Action::Read));
    assert_eq!(p.change("data.mock_lookup.static").map(|c| c.action), None);
    let a_after = p
        .change("mock_thing.a")
        .and_then(|c| c.after.clone())
        .expect("a");
    assert_eq!(
        a_after.get_attr("input").and_then(|v| v.as_str()),
        Some("s")
    );
    let c_after = p
        .change("mock_thing.c")
        .and_then(|c| c.after.clone())
        .expect("c");
    assert!(!c_after.get_attr("input").expect("input").is_known());

    apply_exactly(&mut h, &p, &["data.mock_lookup.static"]);
    let b_id = h.id("mock_thing.b").expect("b");
    // The deferred read was given the id the create returned.
    let read = h
        .mock
        .calls_of(Op::ReadData)
        .into_iter()
        .find(|c| c.address.as_deref() == Some("data.mock_lookup.later"))
        .expect("later read");
    let input = read
        .config
        .as_ref()
        .and_then(|c| c.get_attr("input").cloned());
    assert_eq!(input.as_ref().and_then(|v| v.as_str()), Some(b_id.as_str()));
    assert_eq!(h.attr("mock_thing.c", "input"), Some(b_id));
    // Data sources are not objects: the world has the three resources only.
    assert_eq!(h.mock.objects().len(), 3);
    let again = plan_ok(&h, PlanOpts::default());
    assert!(again.no_changes(), "{:?}", again.actions());
    assert_eq!(
        h.mock.count(Op::ReadData),
        2 + 2,
        "both read at the second plan"
    );
}

// ---- drift ----

#[test]
fn an_object_deleted_out_of_band_is_created_again() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {}\n",
    )]);
    h.apply_all();
    let b = h.id("mock_thing.b").expect("b");
    assert!(h.mock.delete_object("mock_thing", &b));
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.drift.len(), 1, "{:?}", p.plan.drift);
    assert_eq!(p.plan.drift[0].addr, addr("mock_thing.b"));
    assert!(p.plan.drift[0].after.is_none());
    assert_eq!(p.actions(), acts(&[("mock_thing.b", Action::Create)]));
    assert_eq!(
        p.change("mock_thing.b").and_then(|c| c.reason.clone()),
        Some(Reason::GoneOutOfBand)
    );
    // Without refresh the state is trusted.
    let trusted = plan_ok(
        &h,
        PlanOpts {
            refresh: false,
            ..Default::default()
        },
    );
    assert!(trusted.no_changes());
    assert!(trusted.plan.drift.is_empty());
    // Refresh-only updates the state from the world.
    let r = plan_ok(
        &h,
        PlanOpts {
            mode: engine::evaluate::resources::PlanMode::RefreshOnly,
            ..Default::default()
        },
    );
    assert!(r.actions().is_empty(), "{:?}", r.actions());
    assert_eq!(r.plan.drift.len(), 1);
    h.mock.clear_calls();
    h.apply(&r, ApplyOpts::default());
    assert_eq!(
        world_calls(&h.mock.calls()),
        vec![],
        "refresh-only calls nothing"
    );
    assert_eq!(h.addrs(), vec!["mock_thing.a"]);
    // Then b is created as new.
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.actions(), acts(&[("mock_thing.b", Action::Create)]));
    assert_eq!(
        p.change("mock_thing.b").and_then(|c| c.reason.clone()),
        None
    );
    apply_exactly(&mut h, &p, &[]);
    assert_world_is_state(&h);
    assert_ne!(h.id("mock_thing.b"), Some(b));
}

#[test]
fn an_attribute_edited_out_of_band_is_updated_back() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  input = \"x\"\n}\n",
    )]);
    h.apply_all();
    let id = h.id("mock_thing.a").expect("a");
    h.mock
        .edit_object("mock_thing", &id, "input", s("edited"))
        .expect("edit");
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.drift.len(), 1);
    let now = p.plan.drift[0].after.clone().expect("still exists");
    assert_eq!(
        now.get_attr("input").and_then(|v| v.as_str()),
        Some("edited")
    );
    assert_eq!(p.actions(), acts(&[("mock_thing.a", Action::Update)]));
    let c = p.change("mock_thing.a").expect("a");
    assert_eq!(
        c.before
            .as_ref()
            .and_then(|v| v.get_attr("input"))
            .and_then(|v| v.as_str()),
        Some("edited")
    );
    apply_exactly(&mut h, &p, &[]);
    let obj = h.mock.object("mock_thing", &id).expect("same object");
    assert_eq!(
        obj.value.get_attr("input").and_then(|v| v.as_str()),
        Some("x")
    );
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
}

#[test]
fn an_orphan_already_gone_needs_no_delete() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {}\nresource \"mock_thing\" \"c\" {}\n",
    )]);
    h.apply_all();
    let b = h.id("mock_thing.b").expect("b");
    h.mock.delete_object("mock_thing", &b);
    h.write("main.tf", "resource \"mock_thing\" \"a\" {}\n");
    let p = plan_ok(&h, PlanOpts::default());
    // c is deleted; b is not (it is gone already): it was read, not deleted.
    assert_eq!(p.actions(), acts(&[("mock_thing.c", Action::Delete)]));
    assert!(h.mock.count_at(Op::Read, "mock_thing.b") >= 1);
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.mock.count(Op::Delete), 1);
    assert_eq!(
        h.mock.ids(),
        BTreeSet::from([h.id("mock_thing.a").expect("a")])
    );
}

/// An orphan whose object was deleted outside sakk is read as gone and needs no delete, but
/// it then stays in the state for good: the plan reports no drift for it and neither an apply
/// nor a refresh-only apply removes it. (Terraform's refresh drops it from the state and
/// reports it deleted outside Terraform.)
#[test]
fn an_orphan_gone_out_of_band_leaves_the_state() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {}\n",
    )]);
    h.apply_all();
    let b = h.id("mock_thing.b").expect("b");
    h.mock.delete_object("mock_thing", &b);
    h.write("main.tf", "resource \"mock_thing\" \"a\" {}\n");
    let r = plan_ok(
        &h,
        PlanOpts {
            mode: engine::evaluate::resources::PlanMode::RefreshOnly,
            ..Default::default()
        },
    );
    let drifted: Vec<String> = r.plan.drift.iter().map(|d| d.addr.to_string()).collect();
    assert_eq!(drifted, vec!["mock_thing.b"]);
    assert!(r.plan.drift[0].after.is_none());
    assert!(r.plan.changes.iter().all(|c| c.action == Action::NoOp));
    h.apply(&r, ApplyOpts::default());
    assert_eq!(h.addrs(), vec!["mock_thing.a"]);

    // A normal plan reports it too, deletes nothing, and its apply drops it from the state.
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {}\n",
    )]);
    h.apply_all();
    let b = h.id("mock_thing.b").expect("b");
    h.mock.delete_object("mock_thing", &b);
    h.write("main.tf", "resource \"mock_thing\" \"a\" {}\n");
    let p = plan_ok(&h, PlanOpts::default());
    assert!(p.actions().is_empty(), "{:?}", p.actions());
    assert_eq!(p.plan.gone().count(), 1);
    assert!(!p.no_changes(), "the state has an entry to drop");
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.addrs(), vec!["mock_thing.a"]);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
}

const CHAIN: &str = r#"
resource "mock_thing" "base" {
  for_each = toset(["x", "y", "z"])
  input    = each.key
}
resource "mock_thing" "mid" {
  for_each = toset(["x", "y", "z"])
  input    = mock_thing.base[each.key].id
}
resource "mock_thing" "top" {
  for_each = toset(["x", "y", "z"])
  input    = mock_thing.mid[each.key].id
}
data "mock_lookup" "l" {
  input = mock_thing.mid["y"].id
}
"#;

/// A destroy cut off after some deletes made their change but before the state recorded them
/// (a crash: the responses were lost): the re-run finds those objects gone, removes them from
/// the state and deletes the rest; a third run has nothing left ("No changes", empty state).
/// Neither refresh nor the destroy trips over instance keys whose objects are gone.
#[test]
fn a_destroy_cut_off_midway_finishes_on_rerun_with_an_empty_state() {
    let mut h = Harness::new(&[("main.tf", CHAIN)]);
    let a = h.apply_all();
    assert!(a.complete(), "{}", a.errors());
    assert_eq!(h.addrs().len(), 10, "9 objects and the data source");
    // The deletes of the top row act and lose their answers; the rest are skipped.
    for k in ["x", "y", "z"] {
        h.mock
            .lose_response(Op::Delete, format!("mock_thing.top[\"{k}\"]").as_str());
    }
    let d = plan_ok(&h, PlanOpts::destroy());
    assert_eq!(d.plan.counts(), (0, 0, 9), "{:?}", d.actions());
    let a = h.apply(&d, ApplyOpts::default());
    assert!(!a.complete());
    assert_eq!(a.failed().len(), 3, "{:?}", a.failed());
    // The world lost the top row, the state still lists it.
    assert_eq!(h.mock.ids().len(), 6);
    assert_eq!(h.addrs().len(), 9, "the data source left with the destroy");
    // Simulate the rest of the crash: mid["y"] was deleted too, and its state entry survived.
    let mid_y = h.id("mock_thing.mid[\"y\"]").expect("mid y");
    assert!(h.mock.delete_object("mock_thing", &mid_y));
    h.mock.clear_faults();
    // Refresh reports the ghosts and does not trip over the keys they leave.
    let r = plan_ok(
        &h,
        PlanOpts {
            mode: engine::evaluate::resources::PlanMode::RefreshOnly,
            ..Default::default()
        },
    );
    let mut gone: Vec<String> = r.plan.gone().map(|d| d.addr.to_string()).collect();
    gone.sort();
    assert_eq!(
        gone,
        vec![
            "mock_thing.mid[\"y\"]",
            "mock_thing.top[\"x\"]",
            "mock_thing.top[\"y\"]",
            "mock_thing.top[\"z\"]"
        ]
    );
    // The re-run of the destroy: only what exists is deleted, the ghosts leave the state.
    let d = plan_ok(&h, PlanOpts::destroy());
    assert_eq!(d.plan.counts(), (0, 0, 5), "{:?}", d.actions());
    assert_eq!(d.plan.gone().count(), 4);
    apply_exactly(&mut h, &d, &[]);
    assert!(h.addrs().is_empty(), "{:?}", h.addrs());
    assert!(h.mock.objects().is_empty());
    // Nothing left.
    assert!(plan_ok(&h, PlanOpts::destroy()).no_changes());
}

/// A destroy whose only remaining state entries are ghosts still runs: the state ends empty
/// instead of "No changes" with entries left.
#[test]
fn a_destroy_of_ghosts_only_empties_the_state() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  count = 2\n}\n",
    )]);
    h.apply_all();
    for o in h.mock.objects() {
        h.mock.delete_object(&o.type_, &o.id);
    }
    let d = plan_ok(&h, PlanOpts::destroy());
    assert_eq!(d.plan.counts(), (0, 0, 0));
    assert!(!d.no_changes());
    let a = apply_exactly(&mut h, &d, &[]);
    assert!(a.ran);
    assert!(h.addrs().is_empty());
    assert!(plan_ok(&h, PlanOpts::destroy()).no_changes());
}

// ---- modules, lifecycle ----

#[test]
fn whole_module_removed_is_destroyed() {
    let mut h = Harness::new(&[
        (
            "main.tf",
            "module \"m\" {\n  source = \"./m\"\n}\nresource \"mock_thing\" \"root\" {}\n",
        ),
        (
            "m/main.tf",
            "resource \"mock_thing\" \"x\" {\n  count = 2\n}\n",
        ),
    ]);
    h.apply_all();
    assert_eq!(h.addrs().len(), 3);
    h.write("main.tf", "resource \"mock_thing\" \"root\" {}\n");
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        p.actions(),
        acts(&[
            ("module.m.mock_thing.x[0]", Action::Delete),
            ("module.m.mock_thing.x[1]", Action::Delete),
        ])
    );
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.addrs(), vec!["mock_thing.root"]);
    assert_world_is_state(&h);
}

#[test]
fn lifecycle_ignore_changes_and_prevent_destroy() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
resource "mock_thing" "ign" {
  input = "a"
  lifecycle {
    ignore_changes = [input]
  }
}
resource "mock_thing" "guarded" {
  triggers_replace = "1"
  lifecycle {
    prevent_destroy = true
  }
}
"#,
    )]);
    h.apply_all();
    h.write(
        "main.tf",
        r#"
resource "mock_thing" "ign" {
  input = "b"
  lifecycle {
    ignore_changes = [input]
  }
}
resource "mock_thing" "guarded" {
  triggers_replace = "2"
  lifecycle {
    prevent_destroy = true
  }
}
"#,
    );
    let p = h.plan();
    let err = p.errors();
    assert!(err.contains("Instance cannot be destroyed"), "{err}");
    assert!(err.contains("mock_thing.guarded"), "{err}");
    assert!(err.contains("main.tf:"), "names the file: {err}");
    let t = plan_ok(&h, PlanOpts::target("mock_thing.ign"));
    assert!(t.no_changes(), "{:?}", t.actions());
    let d = h.plan_with(PlanOpts::destroy());
    assert!(d.errors().contains("mock_thing.guarded"), "{}", d.errors());
}

// ---- imports ----

#[test]
fn import_blocks_and_imports_by_option() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
resource "mock_thing" "blk" {
  input = "x"
}
import {
  to = mock_thing.blk
  id = "existing-1"
}
resource "mock_thing" "cmd" {}
"#,
    )]);
    h.mock
        .insert_object("mock_thing", "existing-1", vec![("input", s("outside"))])
        .expect("insert");
    h.mock
        .insert_object("mock_thing", "existing-2", vec![])
        .expect("insert");
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.imports(), 1);
    let adopted = p
        .plan
        .adoption_of(&addr("mock_thing.blk"))
        .expect("imported");
    assert_eq!(adopted.how, Adoption::Import("existing-1".into()));
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.blk", Action::Update),
            ("mock_thing.cmd", Action::Create)
        ])
    );
    assert_eq!(p.plan.counts(), (1, 1, 0));
    assert_eq!(h.mock.addresses(Op::Import), vec!["mock_thing.blk"]);

    // `sakk import mock_thing.cmd existing-2`, then apply.
    let p = plan_ok(
        &h,
        PlanOpts {
            imports: vec![("mock_thing.cmd".into(), "existing-2".into())],
            ..Default::default()
        },
    );
    assert_eq!(p.plan.imports(), 2);
    assert_eq!(p.actions(), acts(&[("mock_thing.blk", Action::Update)]));
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.id("mock_thing.blk").as_deref(), Some("existing-1"));
    assert_eq!(h.id("mock_thing.cmd").as_deref(), Some("existing-2"));
    assert_eq!(h.attr("mock_thing.blk", "input").as_deref(), Some("x"));
    // Nothing was created: the world holds just the two outside objects.
    assert_eq!(h.mock.ids().len(), 2);
    assert_world_is_state(&h);
    let again = plan_ok(&h, PlanOpts::default());
    assert!(again.no_changes(), "{:?}", again.actions());
    assert!(
        again.plan.adopted.is_empty(),
        "in the state already: no second import"
    );

    // An id the world does not have is an error naming the import block.
    h.write(
        "main.tf",
        "resource \"mock_thing\" \"z\" {}\nimport {\n  to = mock_thing.z\n  id = \"nope\"\n}\n",
    );
    let p = h.plan();
    let err = p.errors();
    assert!(err.contains("Cannot import mock_thing.z"), "{err}");
    assert!(err.contains("main.tf:3"), "{err}");
}

// ---- --target, --replace, taint ----

#[test]
fn target_takes_its_dependencies_along_and_replace_and_taint() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
resource "mock_thing" "base" {
  input = "b"
}
resource "mock_thing" "after" {
  depends_on = [mock_thing.base]
}
resource "mock_thing" "other" {
  input = "o"
}
"#,
    )]);
    let t = plan_ok(&h, PlanOpts::target("mock_thing.after"));
    assert_eq!(
        t.actions(),
        acts(&[
            ("mock_thing.after", Action::Create),
            ("mock_thing.base", Action::Create)
        ])
    );
    apply_exactly(&mut h, &t, &[]);
    assert_eq!(h.addrs(), vec!["mock_thing.after", "mock_thing.base"]);
    let deps = &h.state.instances[&addr("mock_thing.after")].dependencies;
    assert_eq!(deps, &vec!["mock_thing.base".to_string()]);
    let rest = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        rest.actions(),
        acts(&[("mock_thing.other", Action::Create)])
    );
    apply_exactly(&mut h, &rest, &[]);

    let r = plan_ok(
        &h,
        PlanOpts {
            replace: vec!["mock_thing.other".into()],
            ..Default::default()
        },
    );
    assert_eq!(
        r.actions(),
        acts(&[("mock_thing.other", Action::DeleteThenCreate)])
    );
    assert_eq!(
        r.change("mock_thing.other").and_then(|c| c.reason.clone()),
        Some(Reason::Requested)
    );
    assert_eq!(r.plan.counts(), (1, 0, 1));

    h.taint("mock_thing.base", true);
    let t = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        t.actions(),
        acts(&[("mock_thing.base", Action::DeleteThenCreate)])
    );
    assert_eq!(
        t.change("mock_thing.base").and_then(|c| c.reason.clone()),
        Some(Reason::Tainted)
    );
    h.taint("mock_thing.base", false);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
    // Applying the replacement of a tainted object.
    h.taint("mock_thing.base", true);
    let old = h.id("mock_thing.base");
    let t = plan_ok(&h, PlanOpts::default());
    apply_exactly(&mut h, &t, &[]);
    assert_ne!(h.id("mock_thing.base"), old);
    assert!(!h.state.instances[&addr("mock_thing.base")].tainted);
    assert_world_is_state(&h);
}

#[test]
fn targets_name_instances() {
    let mut h = Harness::new(&[
        (
            "main.tf",
            r#"
resource "mock_thing" "x" {
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
resource "mock_thing" "base" {
  input = var.name
}
resource "mock_thing" "top" {
  input = mock_thing.base.output
}
"#,
        ),
    ]);
    let t = plan_ok(&h, PlanOpts::target("mock_thing.x[\"b\"]"));
    assert_eq!(
        t.actions(),
        acts(&[("mock_thing.x[\"b\"]", Action::Create)])
    );
    // What a target depends on is planned in every instance (as a whole node).
    let t = plan_ok(&h, PlanOpts::target("module.m[\"a\"].mock_thing.top"));
    assert_eq!(
        t.actions(),
        acts(&[
            ("module.m[\"a\"].mock_thing.base", Action::Create),
            ("module.m[\"a\"].mock_thing.top", Action::Create),
            ("module.m[\"b\"].mock_thing.base", Action::Create),
        ])
    );
    h.apply_all();
    assert_eq!(h.addrs().len(), 6);
    let t = plan_ok(
        &h,
        PlanOpts {
            targets: vec!["module.m[\"b\"]".into()],
            ..PlanOpts::destroy()
        },
    );
    assert_eq!(
        t.actions(),
        acts(&[
            ("module.m[\"b\"].mock_thing.base", Action::Delete),
            ("module.m[\"b\"].mock_thing.top", Action::Delete),
        ])
    );
    let t = plan_ok(
        &h,
        PlanOpts {
            targets: vec!["mock_thing.x[\"a\"]".into()],
            ..PlanOpts::destroy()
        },
    );
    apply_exactly(&mut h, &t, &[]);
    let t = plan_ok(
        &h,
        PlanOpts {
            targets: vec!["module.m[\"b\"]".into()],
            ..PlanOpts::destroy()
        },
    );
    apply_exactly(&mut h, &t, &[]);
    let calls = h.mock.calls();
    // A destroy deletes dependents first.
    assert!(
        seq_of(&calls, Op::Delete, "module.m[\"b\"].mock_thing.top")
            < seq_of(&calls, Op::Delete, "module.m[\"b\"].mock_thing.base")
    );
    assert_eq!(
        h.addrs(),
        vec![
            "mock_thing.x[\"b\"]",
            "module.m[\"a\"].mock_thing.base",
            "module.m[\"a\"].mock_thing.top",
        ]
    );
    assert_world_is_state(&h);
}

// ---- failures ----

const FAILING: &str = r#"
resource "mock_thing" "independent" {
  input = "i"
}
resource "mock_other" "slow_sibling" {
  input = "s"
}
resource "mock_thing" "bad" {
  input = "b"
}
resource "mock_thing" "dependent" {
  input = mock_thing.bad.output
}
locals {
  via_local = mock_thing.dependent.output
}
resource "mock_thing" "transitive" {
  input = local.via_local
}
"#;

#[test]
fn a_failure_keeps_independent_work_skips_dependents_and_a_rerun_completes() {
    let mut h = Harness::new(&[("main.tf", FAILING)]);
    h.mock.fail(Op::Create, "mock_thing.bad");
    h.mock.delay(
        Op::Create,
        "mock_other.slow_sibling",
        Duration::from_millis(60),
    );
    let a = h.apply_all();
    assert!(!a.complete());
    assert_eq!(a.outcome.failed, 1);
    assert_eq!(a.outcome.skipped, 2);
    assert_eq!(a.outcome.added, 2);
    let failed = a.failed();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "mock_thing.bad");
    assert!(failed[0].1.contains("failed (injected)"), "{failed:?}");
    assert_eq!(
        a.skipped(),
        vec![
            (
                "mock_thing.dependent".to_string(),
                "it depends on mock_thing.bad, which failed".to_string()
            ),
            (
                "mock_thing.transitive".to_string(),
                "it depends on mock_thing.bad, which failed".to_string()
            ),
        ]
    );
    // Nothing was asked of the provider for what was skipped.
    assert_eq!(h.mock.count_at(Op::Create, "mock_thing.dependent"), 0);
    assert_eq!(h.mock.count_at(Op::Create, "mock_thing.transitive"), 0);
    // The siblings finished (the slow one too) and are recorded; the failed create left only
    // its intent placeholder (no id), which the next plan resolves by token.
    let made: Vec<String> = h
        .addrs()
        .into_iter()
        .filter(|a| h.id(a).is_some())
        .collect();
    assert_eq!(
        made,
        vec!["mock_other.slow_sibling", "mock_thing.independent"]
    );
    let bad = &h.state.instances[&addr("mock_thing.bad")];
    assert!(bad.intent.is_some() && bad.tainted, "{bad:?}");
    assert_eq!(h.mock.ids().len(), 2);

    h.mock.clear_faults();
    h.mock.clear_calls();
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.bad", Action::Create),
            ("mock_thing.dependent", Action::Create),
            ("mock_thing.transitive", Action::Create),
        ])
    );
    // The placeholder was looked up by its token, not refreshed.
    let looked_up = h.mock.calls_of(Op::FindByToken);
    assert_eq!(looked_up.len(), 1);
    assert_eq!(looked_up[0].token, bad.intent.clone());
    let a = apply_exactly(&mut h, &p, &[]);
    assert_eq!(a.counts(), (3, 0, 0));
    assert_eq!(h.addrs().len(), 5);
    assert_world_is_state(&h);
    assert_eq!(
        h.attr("mock_thing.transitive", "input").as_deref(),
        Some("b")
    );
}

#[test]
fn every_failure_is_reported() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
resource "mock_thing" "a" {
  count = 3
  input = count.index
}
resource "mock_other" "b" {}
resource "mock_other" "after_b" {
  input = mock_other.b.id
}
"#,
    )]);
    h.mock.fail(Op::Create, "mock_thing.a[0]");
    h.mock.fail(Op::Create, "mock_thing.a[2]");
    h.mock.fail_with(
        Op::Create,
        "mock_other.b",
        ProviderError::new("quota exceeded").detail("no more others"),
        Some(1),
    );
    let a = h.apply_all();
    let failed: Vec<String> = a.failed().into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        failed,
        vec!["mock_other.b", "mock_thing.a[0]", "mock_thing.a[2]"]
    );
    assert!(a
        .failed()
        .iter()
        .any(|(_, e)| e == "quota exceeded: no more others"));
    assert_eq!(a.outcome.failed, 3);
    assert_eq!(a.outcome.added, 1);
    assert_eq!(a.skipped().len(), 1, "{:?}", a.skipped());
    assert_eq!(a.skipped()[0].0, "mock_other.after_b");
    // The rerun makes the rest (the fault on b was for one call; a[0], a[2] fail still).
    let a = h.apply_all();
    assert_eq!(a.outcome.failed, 2);
    assert_eq!(a.outcome.added, 2);
    h.mock.clear_faults();
    let a = h.apply_all();
    assert!(a.complete());
    assert_eq!(h.addrs().len(), 5);
    assert_world_is_state(&h);
}

#[test]
fn a_failed_orphan_delete_keeps_what_it_depends_on() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
resource "mock_thing" "base" {}
resource "mock_thing" "top" {
  input = mock_thing.base.id
}
resource "mock_thing" "loner" {}
"#,
    )]);
    h.apply_all();
    h.write("main.tf", "");
    h.mock.fail_once(Op::Delete, "mock_thing.top");
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.counts(), (0, 0, 3));
    let a = h.apply(&p, ApplyOpts::default());
    assert_eq!(a.failed().len(), 1);
    assert_eq!(a.failed()[0].0, "mock_thing.top");
    assert_eq!(
        a.skipped(),
        vec![(
            "mock_thing.base".to_string(),
            "a resource that depends on it could not be destroyed".to_string()
        )]
    );
    assert_eq!(h.mock.count_at(Op::Delete, "mock_thing.base"), 0);
    assert_eq!(h.addrs(), vec!["mock_thing.base", "mock_thing.top"]);
    assert_world_is_state(&h);
    let p = plan_ok(&h, PlanOpts::default());
    apply_exactly(&mut h, &p, &[]);
    let calls = h.mock.calls();
    assert!(
        seq_of(&calls, Op::Delete, "mock_thing.top")
            < seq_of(&calls, Op::Delete, "mock_thing.base")
    );
    assert!(h.addrs().is_empty());
    assert!(h.mock.objects().is_empty());
}

fn cbd_config(v: &str) -> String {
    format!(
        "resource \"mock_thing\" \"x\" {{\n  triggers_replace = \"{v}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n"
    )
}

/// create_before_destroy (Terraform's deposed objects): the create first deposes the current
/// object, in the same durable write as the new object's intent; the old object is destroyed
/// after the walk. A destroy that fails leaves it deposed in the state (beside the new current
/// object); the next plan shows its destroy, and the apply carries it out.
#[test]
fn a_failed_destroy_in_create_before_destroy_leaves_the_old_object_deposed() {
    let mut h = Harness::new(&[("main.tf", &cbd_config("one"))]);
    h.apply_all();
    let old = h.id("mock_thing.x").expect("x");
    h.write("main.tf", &cbd_config("two"));
    h.mock.fail_once(Op::Delete, "mock_thing.x");
    let a = h.apply_all();
    assert!(!a.complete());
    let failed = a.failed();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(a.counts(), (1, 0, 0));
    // The intent of the new object deposed the old one in the same write.
    assert_eq!(a.intents.len(), 1);
    let key = a.intents[0].deposes.clone().expect("deposes");
    assert_eq!(key.len(), 8);
    assert!(a.intents[0].placeholder);
    // Create (the first apply), create of the new object, the failed destroy of the old.
    let ops: Vec<Op> = h
        .mock
        .calls()
        .iter()
        .filter(|c| matches!(c.op, Op::Create | Op::Delete))
        .map(|c| c.op)
        .collect();
    assert_eq!(ops, vec![Op::Create, Op::Create, Op::Delete]);
    // The world has both; the state has the new one as current and the old one deposed.
    let new = h.id("mock_thing.x").expect("new current");
    assert_ne!(new, old);
    assert_eq!(
        h.deposed_ids(),
        std::collections::BTreeMap::from([(format!("mock_thing.x (deposed {key})"), old.clone())])
    );
    assert_eq!(h.state_ids(), h.mock.ids());

    // The next plan destroys the deposed object, nothing else.
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.actions(), acts(&[("mock_thing.x", Action::Delete)]));
    let c = p
        .plan
        .changes
        .iter()
        .find(|c| c.action == Action::Delete)
        .expect("delete");
    assert_eq!(c.deposed.as_deref(), Some(key.as_str()));
    assert_eq!(
        c.before
            .as_ref()
            .and_then(|v| v.get_attr("id"))
            .and_then(|v| v.as_str()),
        Some(old.as_str())
    );
    assert_eq!(p.plan.counts(), (0, 0, 1));
    // A saved plan carries it.
    let json = serde_json::to_string(&p.plan).expect("writes");
    let back: Plan = serde_json::from_str(&json).expect("reads");
    assert_eq!(
        back.changes.iter().filter(|c| c.deposed.is_some()).count(),
        1
    );
    let a = apply_exactly(&mut h, &p, &[]);
    assert_eq!(a.counts(), (0, 0, 1));
    assert!(h.deposed_ids().is_empty());
    assert_eq!(h.id("mock_thing.x"), Some(new.clone()));
    assert_world_is_state(&h);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());

    // A deposed object deleted outside sakk leaves the state without a destroy.
    h.write("main.tf", &cbd_config("three"));
    h.mock.fail_once(Op::Delete, "mock_thing.x");
    h.apply_all();
    let (_, dep) = h.deposed_ids().into_iter().next().expect("deposed");
    assert_eq!(dep, new);
    assert!(h.mock.delete_object("mock_thing", &dep));
    let p = plan_ok(&h, PlanOpts::default());
    assert!(p.actions().is_empty(), "{:?}", p.actions());
    assert_eq!(p.plan.gone().count(), 1);
    assert!(p.plan.gone().all(|d| d.deposed.is_some()));
    apply_exactly(&mut h, &p, &[]);
    assert!(h.deposed_ids().is_empty());
    assert_world_is_state(&h);

    // A destroy destroys deposed objects too.
    h.write("main.tf", &cbd_config("four"));
    h.mock.fail_once(Op::Delete, "mock_thing.x");
    h.apply_all();
    assert_eq!(h.deposed_ids().len(), 1);
    let d = plan_ok(&h, PlanOpts::destroy());
    assert_eq!(d.plan.counts(), (0, 0, 2));
    apply_exactly(&mut h, &d, &[]);
    assert!(h.addrs().is_empty() && h.deposed_ids().is_empty());
    assert!(h.mock.objects().is_empty());
}

/// A create_before_destroy whose create fails keeps the old object (deposed) and the new
/// object's intent; the next apply resolves the intent (creating with the same token) and
/// destroys the deposed object.
#[test]
fn a_failed_create_in_create_before_destroy_keeps_its_intent_and_the_old_object() {
    let mut h = Harness::new(&[("main.tf", &cbd_config("one"))]);
    h.apply_all();
    let old = h.id("mock_thing.x").expect("x");
    h.write("main.tf", &cbd_config("two"));
    h.mock.fail_once(Op::Create, "mock_thing.x");
    let a = h.apply_all();
    assert_eq!(a.failed().len(), 1);
    let token = a.intents[0].token.clone();
    // The placeholder is the current object; the old one is deposed, not destroyed.
    assert_eq!(
        h.state.instances[&addr("mock_thing.x")].intent.as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        h.deposed_ids().into_values().collect::<Vec<_>>(),
        vec![old.clone()]
    );
    assert_eq!(h.mock.ids(), BTreeSet::from([old.clone()]));
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.x", Action::Create),
            ("mock_thing.x", Action::Delete)
        ])
    );
    let create = p
        .plan
        .changes
        .iter()
        .find(|c| c.action == Action::Create)
        .expect("create");
    assert_eq!(
        create.token.as_deref(),
        Some(token.as_str()),
        "the intent's token is reused"
    );
    apply_exactly(&mut h, &p, &[]);
    let made = h.mock.objects_made_at("mock_thing.x");
    assert_eq!(made.last().and_then(|o| o.token.clone()), Some(token));
    assert!(h.deposed_ids().is_empty());
    assert_world_is_state(&h);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
}

// ---- replacement order (Terraform's destroy edges) ----

/// The create and delete calls of the log, as "op address" in order.
fn change_calls(h: &Harness) -> Vec<String> {
    h.mock
        .calls()
        .iter()
        .filter(|c| matches!(c.op, Op::Create | Op::Delete | Op::Update))
        .map(|c| format!("{:?} {}", c.op, c.address.clone().unwrap_or_default()))
        .collect()
}

fn chain(v: &str, a_cbd: bool, b_cbd: bool) -> String {
    let lc = |on: bool| match on {
        true => "\n  lifecycle {\n    create_before_destroy = true\n  }",
        false => "",
    };
    format!(
        "resource \"mock_thing\" \"b\" {{\n  triggers_replace = \"{v}\"{}\n}}\nresource \"mock_thing\" \"a\" {{\n  triggers_replace = mock_thing.b.id{}\n}}\n",
        lc(b_cbd),
        lc(a_cbd)
    )
}

/// Applies `chain(v2)` over `chain(v1)` (A depends on B, both replaced) one operation at a
/// time and returns the create/delete calls in order.
fn replace_chain(a_cbd: bool, b_cbd: bool) -> (Harness, Planned, Vec<String>) {
    let mut h = Harness::new(&[("main.tf", &chain("one", a_cbd, b_cbd))]);
    h.apply_all();
    h.write("main.tf", &chain("two", a_cbd, b_cbd));
    let p = plan_ok(&h, PlanOpts::default());
    h.mock.clear_calls();
    let a = h.apply(
        &p,
        ApplyOpts {
            parallelism: 1,
            ..Default::default()
        },
    );
    assert!(a.complete(), "{}\n{:?}", a.errors(), a.failed());
    assert_world_is_state(&h);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
    let calls = change_calls(&h);
    (h, p, calls)
}

#[test]
fn destroy_then_create_chain_destroys_dependents_first_then_creates() {
    let (_, p, calls) = replace_chain(false, false);
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.a", Action::DeleteThenCreate),
            ("mock_thing.b", Action::DeleteThenCreate)
        ])
    );
    assert_eq!(
        calls,
        vec![
            "Delete mock_thing.a",
            "Delete mock_thing.b",
            "Create mock_thing.b",
            "Create mock_thing.a"
        ]
    );
}

#[test]
fn create_before_destroy_chain_creates_both_then_destroys_the_old_dependents_first() {
    let (h, p, calls) = replace_chain(true, true);
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.a", Action::CreateThenDelete),
            ("mock_thing.b", Action::CreateThenDelete)
        ])
    );
    assert_eq!(
        calls,
        vec![
            "Create mock_thing.b",
            "Create mock_thing.a",
            "Delete mock_thing.a",
            "Delete mock_thing.b"
        ]
    );
    assert!(h.deposed_ids().is_empty());
}

/// create_before_destroy on the dependent propagates to its dependency (Terraform's rule), so
/// the old B outlives the old A and the new A is made from the new B.
#[test]
fn create_before_destroy_propagates_to_dependencies() {
    let (_, p, calls) = replace_chain(true, false);
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.a", Action::CreateThenDelete),
            ("mock_thing.b", Action::CreateThenDelete)
        ])
    );
    assert_eq!(
        calls,
        vec![
            "Create mock_thing.b",
            "Create mock_thing.a",
            "Delete mock_thing.a",
            "Delete mock_thing.b"
        ]
    );
}

/// A dependency with create_before_destroy under a destroy-then-create dependent: the old A
/// goes first, the new B is made, then the new A, and the old B last (after A was replaced).
#[test]
fn mixed_chain_destroys_the_old_dependency_after_the_dependent_was_replaced() {
    let (_, p, calls) = replace_chain(false, true);
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.a", Action::DeleteThenCreate),
            ("mock_thing.b", Action::CreateThenDelete)
        ])
    );
    assert_eq!(
        calls,
        vec![
            "Delete mock_thing.a",
            "Create mock_thing.b",
            "Create mock_thing.a",
            "Delete mock_thing.b"
        ]
    );
}

/// The old object of a create_before_destroy replacement is destroyed only after what
/// depends on it was updated (seen: a Route53 zone deleted before its records were replaced).
#[test]
fn create_before_destroy_destroys_the_old_object_after_its_dependents_are_updated() {
    let config = |v: &str| {
        format!(
            "resource \"mock_thing\" \"zone\" {{\n  triggers_replace = \"{v}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\nresource \"mock_thing\" \"record\" {{\n  count = 3\n  input = mock_thing.zone.id\n}}\n"
        )
    };
    let mut h = Harness::new(&[("main.tf", &config("one"))]);
    h.apply_all();
    h.write("main.tf", &config("two"));
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.counts(), (1, 3, 1));
    h.mock.clear_calls();
    apply_exactly(&mut h, &p, &[]);
    let calls = h.mock.calls();
    let old_delete = seq_of(&calls, Op::Delete, "mock_thing.zone");
    for i in 0..3 {
        let r = format!("mock_thing.record[{i}]");
        assert!(seq_of(&calls, Op::Update, &r) < old_delete, "{r}");
        assert!(seq_of(&calls, Op::Create, "mock_thing.zone") < seq_of(&calls, Op::Update, &r));
    }
    // When an update of a dependent fails, the old object stays (deposed) for the next run.
    h.write("main.tf", &config("three"));
    h.mock.fail_once(Op::Update, "mock_thing.record[1]");
    let a = h.apply_all();
    assert_eq!(a.failed().len(), 1);
    assert!(a
        .skipped()
        .iter()
        .any(|(x, why)| x == "mock_thing.zone" && why.contains("stays deposed")));
    assert_eq!(h.deposed_ids().len(), 1);
    assert_eq!(h.state_ids(), h.mock.ids());
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        p.actions(),
        acts(&[
            ("mock_thing.record[1]", Action::Update),
            ("mock_thing.zone", Action::Delete)
        ])
    );
    apply_exactly(&mut h, &p, &[]);
    let calls = h.mock.calls();
    assert!(
        seq_of(&calls, Op::Update, "mock_thing.record[1]")
            < seq_of(&calls, Op::Delete, "mock_thing.zone")
    );
    assert!(h.deposed_ids().is_empty());
    assert_world_is_state(&h);
}

/// An orphan that depended on an object being replaced is deleted before that object's old
/// instance is: before the destroy of a destroy-then-create, and before the deposed destroy
/// of a create_before_destroy.
#[test]
fn an_orphan_depending_on_a_replaced_object_is_deleted_first() {
    for cbd in [false, true] {
        let lc = match cbd {
            true => "\n  lifecycle {\n    create_before_destroy = true\n  }",
            false => "",
        };
        let b = |v: &str| {
            format!("resource \"mock_thing\" \"b\" {{\n  triggers_replace = \"{v}\"{lc}\n}}\n")
        };
        let mut h = Harness::new(&[(
            "main.tf",
            &format!("{}resource \"mock_thing\" \"o\" {{\n  input = mock_thing.b.id\n}}\nresource \"mock_thing\" \"x\" {{}}\n", b("one")),
        )]);
        h.apply_all();
        h.write(
            "main.tf",
            &format!("{}resource \"mock_thing\" \"x\" {{}}\n", b("two")),
        );
        let p = plan_ok(&h, PlanOpts::default());
        let want = match cbd {
            true => Action::CreateThenDelete,
            false => Action::DeleteThenCreate,
        };
        assert_eq!(
            p.actions(),
            acts(&[("mock_thing.b", want), ("mock_thing.o", Action::Delete)])
        );
        h.mock.clear_calls();
        let a = h.apply(
            &p,
            ApplyOpts {
                parallelism: 1,
                ..Default::default()
            },
        );
        assert!(a.complete(), "{}", a.errors());
        let calls = change_calls(&h);
        let order = match cbd {
            false => vec![
                "Delete mock_thing.o",
                "Delete mock_thing.b",
                "Create mock_thing.b",
            ],
            true => vec![
                "Create mock_thing.b",
                "Delete mock_thing.o",
                "Delete mock_thing.b",
            ],
        };
        assert_eq!(calls, order, "cbd {cbd}");
        assert_world_is_state(&h);
    }
}

/// When the destroy of a dependent fails, the destroy of what it depends on is skipped (the
/// dependent still uses it), and so is its create; nothing depending on it runs either.
#[test]
fn a_failed_destroy_of_a_dependent_keeps_the_replaced_dependency() {
    let mut h = Harness::new(&[("main.tf", &chain("one", false, false))]);
    h.apply_all();
    let before = h.mock.ids();
    h.write("main.tf", &chain("two", false, false));
    h.mock.clear_calls();
    h.mock.fail_once(Op::Delete, "mock_thing.a");
    let a = h.apply_all();
    assert_eq!(a.failed().len(), 1);
    assert_eq!(h.mock.count(Op::Create), 0);
    assert_eq!(h.mock.ids(), before);
    assert_eq!(h.state_ids(), before);
    let skipped = a.skipped();
    assert!(
        skipped
            .iter()
            .any(|(x, why)| x == "mock_thing.b"
                && why.contains("depends on it could not be destroyed")),
        "{skipped:?}"
    );
    let p = plan_ok(&h, PlanOpts::default());
    apply_exactly(&mut h, &p, &[]);
    assert_world_is_state(&h);
}

// ---- intents ----

/// A create that fails with a provider error (AWS may have acted before the response was
/// lost) keeps its placeholder; the next plan resolves it by token and the create it plans
/// reuses the intent's token. A create that succeeds replaces the placeholder. The create half
/// of a destroy-then-create is covered by an intent too.
#[test]
fn a_failed_create_keeps_its_intent_and_the_retry_reuses_the_token() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  triggers_replace = \"one\"\n}\n",
    )]);
    h.mock.fail_once(Op::Create, "mock_thing.a");
    let a = h.apply_all();
    assert_eq!(a.failed().len(), 1);
    let token = h.state.instances[&addr("mock_thing.a")]
        .intent
        .clone()
        .expect("placeholder stays");
    assert_eq!(a.intents[0].token, token);
    h.mock.clear_calls();
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(
        h.mock.calls_of(Op::FindByToken)[0].token.as_deref(),
        Some(token.as_str())
    );
    let c = p.change("mock_thing.a").expect("a");
    assert_eq!(
        (c.action, c.token.as_deref()),
        (Action::Create, Some(token.as_str()))
    );
    let a = apply_exactly(&mut h, &p, &[]);
    assert_eq!(a.intents[0].token, token, "the same token, not a new one");
    let creates = h.mock.calls_of(Op::Create);
    assert_eq!(creates[0].token.as_deref(), Some(token.as_str()));
    assert!(h.state.instances[&addr("mock_thing.a")].intent.is_none());
    assert_world_is_state(&h);

    // Destroy-then-create: the create half records an intent (no deposing).
    h.write(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  triggers_replace = \"two\"\n}\n",
    );
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.action("mock_thing.a"), Some(Action::DeleteThenCreate));
    let a = apply_exactly(&mut h, &p, &[]);
    assert_eq!(a.intents.len(), 1);
    assert!(a.intents[0].placeholder && a.intents[0].deposes.is_none());
    assert_world_is_state(&h);
}

/// Creates of types whose provider cannot find objects by token carry a warning, one per type,
/// naming it; types that can are not warned about.
#[test]
fn creates_of_types_not_found_by_token_are_warned_about() {
    let h = Harness::new(&[(
        "main.tf",
        "resource \"mock_other\" \"a\" {\n  count = 2\n}\nresource \"mock_other\" \"b\" {}\nresource \"mock_thing\" \"c\" {}\n",
    )]);
    let p = plan_ok(&h, PlanOpts::default());
    let warnings: Vec<String> = p
        .diags
        .0
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("mock_other"), "{warnings:?}");
    assert!(
        warnings[0].contains("mock_other.a[0], mock_other.a[1], mock_other.b"),
        "{warnings:?}"
    );
    assert!(!warnings[0].contains("mock_thing"), "{warnings:?}");
}

// ---- parallelism and per-service limits ----

#[test]
fn parallelism_and_per_service_limits_bound_operations_in_flight() {
    let config = "resource \"mock_thing\" \"s\" {\n  count = 12\n  input = count.index\n}\n";
    // (parallelism, the service's limit, the most in flight): the lower bound wins; without a
    // limit of its own a service has the default of 10.
    for (parallelism, limit, want) in [
        (10, None, 10),
        (10, Some(3), 3),
        (2, None, 2),
        (20, None, 10),
        (20, Some(20), 12),
    ] {
        let mut h = Harness::new(&[("main.tf", config)]);
        if let Some(l) = limit {
            h.mock.set_service_limit("things", l);
        }
        h.mock
            .delay(Op::Create, "mock_thing", Duration::from_millis(30));
        let p = plan_ok(&h, PlanOpts::default());
        h.mock.reset_max_in_flight();
        let started = Instant::now();
        let a = h.apply(
            &p,
            ApplyOpts {
                parallelism,
                ..Default::default()
            },
        );
        let wall = started.elapsed();
        assert!(a.complete(), "{}", a.errors());
        assert_eq!(
            h.mock.max_in_flight_of("things"),
            want,
            "parallelism {parallelism}, limit {limit:?}"
        );
        let rounds = 12usize.div_ceil(want) as u32;
        assert!(wall >= Duration::from_millis(30) * rounds, "{wall:?}");
        assert_eq!(h.addrs().len(), 12);
    }
}

#[test]
fn service_limits_are_per_service() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"t\" {\n  count = 6\n}\nresource \"mock_other\" \"o\" {\n  count = 6\n}\n",
    )]);
    h.mock.set_service_limit("things", 2);
    h.mock.set_service_limit("others", 3);
    h.mock.delay(Op::Create, "*", Duration::from_millis(30));
    let p = plan_ok(&h, PlanOpts::default());
    h.mock.reset_max_in_flight();
    let a = h.apply(&p, ApplyOpts::default());
    assert!(a.complete(), "{}", a.errors());
    assert_eq!(h.mock.max_in_flight_of("things"), 2);
    assert_eq!(h.mock.max_in_flight_of("others"), 3);
    assert_eq!(h.mock.max_in_flight(), 5);
}

// ---- interruption ----

const SLOW_THEN_DEPENDENTS: &str = r#"
resource "mock_thing" "slow" {
  count = 3
  input = count.index
}
resource "mock_thing" "after" {
  count = 3
  input = mock_thing.slow[count.index].id
}
"#;

/// Sets the flags once `n` operations have started (what Ctrl-C does after the "Creating..."
/// lines of the operations in flight).
fn interrupt_after(n: usize, flags: Vec<Arc<AtomicBool>>) -> impl Fn(&ApplyEvent) + Sync {
    let started = AtomicUsize::new(0);
    move |e| {
        if matches!(e, ApplyEvent::Started { .. })
            && started.fetch_add(1, Ordering::SeqCst) + 1 == n
        {
            for f in &flags {
                f.store(true, Ordering::SeqCst);
            }
        }
    }
}

#[test]
fn an_interrupt_finishes_operations_in_flight_and_starts_nothing_new() {
    let mut h = Harness::new(&[("main.tf", SLOW_THEN_DEPENDENTS)]);
    h.mock
        .delay(Op::Create, "mock_thing", Duration::from_millis(80));
    let p = plan_ok(&h, PlanOpts::default());
    let cancel = Arc::new(AtomicBool::new(false));
    let on_event = interrupt_after(3, vec![cancel.clone()]);
    let started = Instant::now();
    let a = h.apply(
        &p,
        ApplyOpts {
            cancel: cancel.clone(),
            on_event: Some(&on_event),
            ..Default::default()
        },
    );
    let waited = started.elapsed();
    assert!(a.outcome.interrupted);
    assert!(waited >= Duration::from_millis(80), "{waited:?}");
    // The creates in flight were waited for and saved; their dependents never started.
    assert_eq!(
        h.addrs(),
        vec![
            "mock_thing.slow[0]",
            "mock_thing.slow[1]",
            "mock_thing.slow[2]"
        ]
    );
    assert_eq!(a.outcome.added, 3);
    assert_eq!(h.mock.addresses(Op::Create).len(), 3);
    assert!(h.mock.calls_of(Op::Create).iter().all(Call::succeeded));
    let skipped = a.skipped();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped
        .iter()
        .all(|(a, b)| a.starts_with("mock_thing.after[") && b == "the apply was interrupted"));
    assert_world_is_state(&h);
    // A plain re-apply completes the rest.
    h.mock.clear_faults();
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.counts(), (3, 0, 0));
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.addrs().len(), 6);
    assert_world_is_state(&h);
}

#[test]
fn a_second_interrupt_stops_waiting_and_a_reapply_converges() {
    let mut h = Harness::new(&[("main.tf", SLOW_THEN_DEPENDENTS)]);
    // Creates that would take long: abandoned before they do anything.
    h.mock
        .delay(Op::Create, "mock_thing", Duration::from_secs(3));
    let p = plan_ok(&h, PlanOpts::default());
    let cancel = Arc::new(AtomicBool::new(false));
    let abandon = Arc::new(AtomicBool::new(false));
    let on_event = interrupt_after(3, vec![cancel.clone(), abandon.clone()]);
    let started = Instant::now();
    let a = h.apply(
        &p,
        ApplyOpts {
            cancel,
            abandon,
            on_event: Some(&on_event),
            progress_interval: Duration::from_millis(10),
            ..Default::default()
        },
    );
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_millis(1500),
        "stops waiting: {waited:?}"
    );
    assert!(a.outcome.interrupted);
    assert_eq!(a.outcome.added, 0);
    // The abandoned creates never answered; the world has nothing; the state has their
    // intents (placeholders with tokens).
    assert!(h
        .mock
        .calls_of(Op::Create)
        .iter()
        .all(|c| c.result.is_none()));
    assert!(h.mock.objects().is_empty());
    assert_eq!(a.intents.len(), 3);
    assert!(h.addrs().iter().all(|x| h.id(x).is_none()));
    assert_eq!(h.addrs().len(), 3);
    assert_eq!(h.mock.in_flight(), 0, "dropped calls are not in flight");
    h.mock.clear_faults();
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.plan.counts(), (6, 0, 0));
    assert!(p.plan.adopted.is_empty());
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.addrs().len(), 6);
    assert_world_is_state(&h);
}

// ---- lost responses, crashes, intents ----

#[test]
fn a_lost_create_response_is_adopted_by_token_on_the_next_plan() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {\n  input = \"a\"\n}\nresource \"mock_thing\" \"b\" {\n  input = mock_thing.a.id\n}\n",
    )]);
    h.mock.lose_create_response("mock_thing.a");
    let a = h.apply_all();
    assert_eq!(a.failed().len(), 1);
    assert!(a.failed()[0].1.contains("timed out"), "{:?}", a.failed());
    assert_eq!(a.skipped().len(), 1);
    // The object exists; the state has the intent with the token the create was given.
    let made = h.mock.objects_made_at("mock_thing.a");
    assert_eq!(made.len(), 1);
    let intent = h.state.instances[&addr("mock_thing.a")].intent.clone();
    assert!(intent.is_some());
    assert_eq!(made[0].token, intent);
    let create = &h.mock.calls_of(Op::Create)[0];
    assert_eq!(create.token, intent);

    let p = plan_ok(&h, PlanOpts::default());
    let adopted = p.plan.adoption_of(&addr("mock_thing.a")).expect("adopted");
    assert_eq!(adopted.how, Adoption::Token(intent.clone().expect("token")));
    assert_eq!(p.action("mock_thing.a"), Some(Action::NoOp));
    assert_eq!(p.actions(), acts(&[("mock_thing.b", Action::Create)]));
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.id("mock_thing.a"), Some(made[0].id.clone()));
    assert_eq!(h.attr("mock_thing.b", "input"), Some(made[0].id.clone()));
    assert_eq!(h.mock.objects_made_at("mock_thing.a").len(), 1, "no twin");
    assert!(h.state.instances.values().all(|i| i.intent.is_none()));
    assert_world_is_state(&h);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
}

#[test]
fn without_adoption_by_token_a_lost_create_response_leaves_a_twin() {
    let mut h = Harness::new(&[("main.tf", "resource \"mock_other\" \"a\" {}\n")]);
    h.mock.lose_create_response("mock_other.a");
    let a = h.apply_all();
    assert_eq!(a.failed().len(), 1);
    assert!(
        a.intents.is_empty(),
        "no intent for a type that cannot be found by token"
    );
    assert!(h.addrs().is_empty());
    let a = h.apply_all();
    assert!(a.complete());
    // What sakk cannot find again it makes again: the first object is outside the state.
    let made = h.mock.objects_made_at("mock_other.a");
    assert_eq!(made.len(), 2);
    assert_eq!(h.state_ids().len(), 1);
    assert!(h.state_ids().is_subset(&h.mock.ids()));
}

const CRASH: &str = r#"
resource "mock_thing" "d" {
  count = 20
  input = "d${count.index}"
}
resource "mock_thing" "s" {
  count = 20
  triggers_replace = {
    d = mock_thing.d[count.index].id
  }
}
"#;

/// The in-process stand-in for SIGKILL mid-apply: the creates do their work and are slow to
/// answer; the apply is abandoned after `n` operations finished, with creates in flight whose
/// objects exist but whose answers never come. The re-apply adopts them by token: no twin,
/// no loss.
#[test]
fn an_apply_abandoned_mid_flight_converges_without_twins_or_losses() {
    // Abandoned: before anything ran, and in the middle of three batches of 10.
    for n in [0usize, 5, 15, 27] {
        let mut h = Harness::new(&[("main.tf", CRASH)]);
        h.mock
            .delay_after(Op::Create, "mock_thing", Duration::from_millis(20));
        let p = plan_ok(&h, PlanOpts::default());
        let cancel = Arc::new(AtomicBool::new(false));
        let abandon = Arc::new(AtomicBool::new(false));
        let finished = AtomicUsize::new(0);
        let flags = (cancel.clone(), abandon.clone());
        let on_event = move |e: &ApplyEvent| {
            let hit = match e {
                ApplyEvent::Started { .. } => n == 0,
                ApplyEvent::Finished { .. } => finished.fetch_add(1, Ordering::SeqCst) + 1 == n,
                _ => false,
            };
            if hit {
                flags.0.store(true, Ordering::SeqCst);
                flags.1.store(true, Ordering::SeqCst);
            }
        };
        let a = h.apply(
            &p,
            ApplyOpts {
                cancel,
                abandon,
                on_event: Some(&on_event),
                progress_interval: Duration::from_millis(10),
                ..Default::default()
            },
        );
        assert!(a.outcome.interrupted, "round {n}");
        let partial = h.mock.ids().len();
        let recorded = h.state_ids().len();
        assert_eq!(recorded, a.outcome.added, "round {n}");
        h.mock.clear_faults();
        let p = plan_ok(&h, PlanOpts::default());
        // Every object the world has and the state does not is adopted.
        let adopted = p.plan.adopted.len();
        assert_eq!(adopted, partial - recorded, "round {n}");
        if n == 5 {
            // The first ten creates all made their objects; five had not answered yet.
            assert!(adopted >= 5, "round {n}: {adopted}");
        }
        let a = h.apply(&p, ApplyOpts::default());
        assert!(a.complete(), "round {n}: {}", a.errors());
        assert_eq!(h.addrs().len(), 40, "round {n}: lost instances");
        assert_eq!(h.state_ids().len(), 40, "round {n}: duplicate ids");
        assert_world_is_state(&h);
        assert!(plan_ok(&h, PlanOpts::default()).no_changes(), "round {n}");
        eprintln!("round {n}: {partial} objects existed when abandoned, {adopted} adopted");
    }
}

#[test]
fn an_intent_whose_object_exists_is_adopted_and_one_without_is_created_again() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_thing\" \"b\" {\n  input = \"b\"\n}\n",
    )]);
    h.apply_with(PlanOpts::target("mock_thing.a"), ApplyOpts::default());
    // The crash window: the create made its object, the process died before recording it.
    h.state.instances.insert(
        addr("mock_thing.b"),
        harness::MemInstance {
            attributes: r#"{"id":null,"input":{"value":"b","type":"string"},"output":null,"secret":null,"triggers_replace":null}"#.into(),
            sensitive: Vec::new(),
            provider: "mock".into(),
            tainted: true,
            intent: Some("sakk-00c0ffee".into()),
            dependencies: Vec::new(),
        },
    );
    h.mock
        .insert_object(
            "mock_thing",
            "obj-00c0ffee",
            vec![("input", s("b")), ("output", s("b"))],
        )
        .expect("insert");
    h.mock
        .set_object_token("mock_thing", "obj-00c0ffee", "sakk-00c0ffee")
        .expect("token");
    let p = plan_ok(&h, PlanOpts::default());
    let adopted = p.plan.adoption_of(&addr("mock_thing.b")).expect("adopted");
    assert_eq!(adopted.how, Adoption::Token("sakk-00c0ffee".into()));
    assert!(p.actions().is_empty(), "{:?}", p.actions());
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.id("mock_thing.b").as_deref(), Some("obj-00c0ffee"));
    assert_eq!(h.mock.ids().len(), 2, "no twin");
    assert_world_is_state(&h);
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());

    // A placeholder whose create made nothing is simply created again.
    h.mock.delete_object("mock_thing", "obj-00c0ffee");
    if let Some(i) = h.state.instances.get_mut(&addr("mock_thing.b")) {
        i.intent = Some("sakk-0000dead".into());
        i.tainted = true;
    }
    let p = plan_ok(&h, PlanOpts::default());
    assert_eq!(p.actions(), acts(&[("mock_thing.b", Action::Create)]));
    assert_eq!(
        p.change("mock_thing.b").and_then(|c| c.reason.clone()),
        None
    );
    apply_exactly(&mut h, &p, &[]);
    assert_eq!(h.mock.ids().len(), 2);
    assert_world_is_state(&h);
}

#[test]
fn intents_that_cannot_be_recorded_fail_their_creates() {
    let mut h = Harness::new(&[(
        "main.tf",
        "resource \"mock_thing\" \"a\" {}\nresource \"mock_other\" \"b\" {}\n",
    )]);
    let a = h.apply_with(
        PlanOpts::default(),
        ApplyOpts {
            fail_intents: true,
            ..Default::default()
        },
    );
    let failed = a.failed();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "mock_thing.a");
    assert!(
        failed[0].1.contains("Cannot record the intent to create"),
        "{failed:?}"
    );
    // The create was not attempted; the type without adoption was created.
    assert_eq!(h.mock.count(Op::Create), 1);
    assert_eq!(h.addrs(), vec!["mock_other.b"]);
    assert_world_is_state(&h);
}

// ---- progress ----

#[test]
fn long_operations_report_progress() {
    let mut h = Harness::new(&[("main.tf", "resource \"mock_thing\" \"w\" {}\n")]);
    h.mock
        .delay(Op::Create, "mock_thing.w", Duration::from_millis(80));
    let a = h.apply_with(
        PlanOpts::default(),
        ApplyOpts {
            progress_interval: Duration::from_millis(20),
            ..Default::default()
        },
    );
    assert!(a.complete());
    let kinds: Vec<&str> = a
        .events
        .iter()
        .map(|e| match e {
            ApplyEvent::Started { .. } => "started",
            ApplyEvent::StillRunning { .. } => "still",
            ApplyEvent::Finished { .. } => "finished",
            ApplyEvent::Failed { .. } => "failed",
            ApplyEvent::Skipped { .. } => "skipped",
        })
        .collect();
    assert_eq!(kinds.first(), Some(&"started"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"finished"), "{kinds:?}");
    assert!(kinds.contains(&"still"), "{kinds:?}");
    let elapsed = a.events.iter().find_map(|e| match e {
        ApplyEvent::Finished { elapsed, .. } => Some(*elapsed),
        _ => None,
    });
    assert!(elapsed.expect("finished") >= Duration::from_millis(80));
}

// ---- provider configurations ----

#[test]
fn provider_configurations_and_finish_apply() {
    let mut h = Harness::new(&[(
        "main.tf",
        r#"
provider "mock" {
  region = "east"
}
provider "mock" {
  alias  = "west"
  region = "west"
}
resource "mock_thing" "e" {}
resource "mock_thing" "w" {
  provider = mock.west
}
"#,
    )]);
    let p = plan_ok(&h, PlanOpts::default());
    let regions = |calls: Vec<Call>| {
        let mut v: Vec<String> = calls
            .iter()
            .filter_map(|c| {
                c.config
                    .as_ref()?
                    .get_attr("region")?
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        regions(h.mock.calls_of(Op::Configure)),
        vec!["east", "west"]
    );
    assert_eq!(
        p.change("mock_thing.w").map(|c| c.provider.as_str()),
        Some("mock.west")
    );
    h.mock.clear_calls();
    let a = h.apply(&p, ApplyOpts::default());
    assert!(a.complete(), "{}", a.errors());
    let calls = h.mock.calls();
    // Each create went to the instance configured for it; each instance finished once.
    let instance_of = |region: &str| {
        calls
            .iter()
            .find(|c| {
                c.op == Op::Configure
                    && c.config
                        .as_ref()
                        .and_then(|v| v.get_attr("region"))
                        .and_then(|v| v.as_str())
                        == Some(region)
            })
            .map(|c| c.instance)
            .expect("configured")
    };
    let create_of = |a: &str| {
        calls
            .iter()
            .find(|c| c.op == Op::Create && c.address.as_deref() == Some(a))
            .map(|c| c.instance)
    };
    assert_eq!(create_of("mock_thing.e"), Some(instance_of("east")));
    assert_eq!(create_of("mock_thing.w"), Some(instance_of("west")));
    let finished: BTreeSet<usize> = h
        .mock
        .calls_of(Op::FinishApply)
        .iter()
        .map(|c| c.instance)
        .collect();
    assert_eq!(
        finished,
        BTreeSet::from([instance_of("east"), instance_of("west")])
    );
    assert_eq!(h.mock.count(Op::FinishApply), 2);
    assert_eq!(
        h.state.instances[&addr("mock_thing.w")].provider,
        "mock.west"
    );

    // A provider that cannot complete a change at the end of the apply.
    h.write(
        "main.tf",
        "provider \"mock\" {\n  region = \"east\"\n}\nresource \"mock_thing\" \"e\" {\n  input = 1\n}\n",
    );
    h.mock.fail_with(
        Op::FinishApply,
        Match::Address("mock_thing.e".into()),
        ProviderError::new("push rejected").detail("the branch moved"),
        Some(1),
    );
    let a = h.apply_all();
    assert_eq!(a.outcome.failed, 1);
    assert!(
        a.errors()
            .contains("Error finishing mock_thing.e: push rejected"),
        "{}",
        a.errors()
    );
}

#[test]
fn provider_errors_in_planning_are_reported() {
    let mut h = Harness::new(&[("main.tf", "resource \"mock_thing\" \"a\" {}\n")]);
    h.mock.fail_once(Op::Configure, "*");
    let p = h.plan();
    assert!(
        p.errors().contains("Failed to configure provider \"mock\""),
        "{}",
        p.errors()
    );
    h.mock.fail_once(Op::Plan, "mock_thing");
    let p = h.plan();
    assert!(
        p.errors()
            .contains("Invalid configuration for mock_thing.a"),
        "{}",
        p.errors()
    );
    assert!(p.errors().contains("main.tf:1"), "{}", p.errors());
    h.apply_all();
    h.mock.fail_once(Op::Read, "mock_thing.a");
    let p = h.plan();
    assert!(
        p.errors().contains("Error refreshing mock_thing.a"),
        "{}",
        p.errors()
    );
    assert!(plan_ok(&h, PlanOpts::default()).no_changes());
    // An unknown resource type is the engine's error, not the provider's.
    h.write("main.tf", "resource \"mock_nope\" \"a\" {}\n");
    let p = h.plan();
    assert!(
        p.errors()
            .contains("Unsupported resource type \"mock_nope\""),
        "{}",
        p.errors()
    );
}
