//! The apply executor end to end through the binary with the built-in provider: a failure
//! mid-apply (exit code, the skipped dependents, a re-run), SIGKILL at several points of a
//! 200-instance apply (no loss after force-unlock and a re-apply), Ctrl-C (once: the operations
//! in flight finish and are saved; twice: stop waiting), an intent placeholder in a pushed
//! state, progress, and --parallelism.
//!
//! The built-in provider has no world outside the state and no fault injection any more (its
//! environment-variable test hooks were removed: injected failures, a "ledger" directory of
//! objects outside the state, a per-service limit). What needed them is checked in process on the mock provider, where the world and
//! the call log are visible:
//! - injected create failures, every failure reported, a failed orphan delete:
//!   `engine/tests/plan_apply.rs` `a_failure_keeps_independent_work_skips_dependents_and_a_rerun_completes`,
//!   `every_failure_is_reported`, `a_failed_orphan_delete_keeps_what_it_depends_on`;
//! - no twin and no orphan after a crash or an abandoned apply (objects made but not
//!   recorded are adopted by token): `plan_apply.rs`
//!   `an_apply_abandoned_mid_flight_converges_without_twins_or_losses`,
//!   `a_lost_create_response_is_adopted_by_token_on_the_next_plan`,
//!   `a_second_interrupt_stops_waiting_and_a_reapply_converges`;
//! - an intent whose object exists is adopted (was `an_intent_whose_object_exists_is_adopted_not_created_again`):
//!   `ops/tests/saved_plans.rs` `intents_in_the_state_are_adopted_or_created_again` (the state
//!   file, through a saved plan) and `plan_apply.rs`
//!   `an_intent_whose_object_exists_is_adopted_and_one_without_is_created_again`;
//! - a failed delete in create_before_destroy rolls the replacement back (was
//!   `a_failed_delete_in_create_before_destroy_rolls_the_replacement_back`, `delete-once:`):
//!   `plan_apply.rs` `a_failed_delete_in_create_before_destroy_rolls_the_replacement_back`;
//! - per-service limits (was the service-limit half of
//!   `parallelism_and_per_service_limits_bound_operations_in_flight`): `plan_apply.rs`
//!   `parallelism_and_per_service_limits_bound_operations_in_flight`,
//!   `service_limits_are_per_service`.

mod common;

use common::{project, sakk, stderr, stdout};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn cmd(dir: &Path) -> std::process::Command {
    let mut c = sakk();
    c.current_dir(dir);
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir).args(args).output().expect("run sakk")
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

fn state_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["state", "pull"])).expect("state json")
}

/// (address, id) of every instance in the state (none when there is no state yet: `state pull`
/// prints nothing).
fn state_objects(dir: &Path) -> Vec<(String, String)> {
    let pulled = ok(dir, &["state", "pull"]);
    if pulled.trim().is_empty() {
        return Vec::new();
    }
    let st: serde_json::Value = serde_json::from_str(&pulled).expect("state json");
    let mut out = Vec::new();
    for r in st["resources"].as_array().cloned().unwrap_or_default() {
        for i in r["instances"].as_array().cloned().unwrap_or_default() {
            let key = match &i["index_key"] {
                serde_json::Value::Null => String::new(),
                k => format!("[{k}]"),
            };
            out.push((
                format!(
                    "{}.{}{key}",
                    r["type"].as_str().unwrap_or(""),
                    r["name"].as_str().unwrap_or("")
                ),
                i["attributes"]["id"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// `time_sleep.bad`'s duration is known at apply only (it is made of an id) and is invalid
/// then: a failure mid-apply, without any fault injection.
const FAILING: &str = r#"
resource "terraform_data" "independent" {
  input = "i"
}
resource "time_sleep" "slow_sibling" {
  create_duration = "300ms"
}
resource "terraform_data" "seed" {}
resource "time_sleep" "bad" {
  create_duration = "${terraform_data.seed.id}s"
}
resource "terraform_data" "dependent" {
  input = time_sleep.bad.id
}
locals {
  via_local = terraform_data.dependent.output
}
resource "terraform_data" "transitive" {
  input = local.via_local
}
"#;

#[test]
fn failure_keeps_independent_work_skips_dependents_and_rerun_completes() {
    let d = project(&[("main.tf", FAILING)]);
    let p = d.path();
    let o = run(p, &["apply", "--auto-approve"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("Error: Invalid configuration for time_sleep.bad: Invalid create_duration"),
        "{err}"
    );
    assert!(err.contains("on main.tf:9:1:"), "names the block: {err}");
    assert!(
        err.contains(
            "terraform_data.dependent: skipped, because it depends on time_sleep.bad, which failed"
        ),
        "{err}"
    );
    assert!(
        err.contains("terraform_data.transitive: skipped, because it depends on time_sleep.bad, which failed"),
        "{err}"
    );
    assert!(err.contains("Apply incomplete: 3 added,"), "{err}");
    assert!(err.contains(", 2 skipped."), "{err}");
    // The siblings finished (the slow one too) and are recorded.
    let made: Vec<String> = state_objects(p).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        made,
        vec![
            "terraform_data.independent",
            "terraform_data.seed",
            "time_sleep.slow_sibling"
        ]
    );
    // The lock was released; a re-run (the failure fixed) completes the rest only.
    std::fs::write(
        p.join("main.tf"),
        FAILING.replace("\"${terraform_data.seed.id}s\"", "\"10ms\""),
    )
    .expect("write");
    let out = ok(p, &["apply", "--auto-approve"]);
    assert!(
        out.contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    assert_eq!(state_objects(p).len(), 6);
    assert!(ok(p, &["plan"]).contains("No changes."));
}

const TWO_HUNDRED: &str = r#"
resource "terraform_data" "d" {
  count = 100
  input = "d${count.index}"
}
resource "time_sleep" "s" {
  count           = 100
  create_duration = "40ms"
  triggers = {
    d = terraform_data.d[count.index].id
  }
}
"#;

fn unlock_if_needed(dir: &Path) {
    let info = dir.join(".terraform.tfstate.lock.info");
    if let Ok(text) = std::fs::read_to_string(&info) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(id) = v["ID"].as_str() {
                let o = run(dir, &["force-unlock", "--force", id]);
                assert!(
                    o.status.success() || stderr(&o).contains("not locked"),
                    "{}",
                    stderr(&o)
                );
            }
        }
    }
}

#[test]
fn sigkill_during_apply_then_reapply_converges_without_twins_or_losses() {
    for (round, kill_after_ms) in [150u64, 500, 1000, 1600].into_iter().enumerate() {
        let d = project(&[("main.tf", TWO_HUNDRED)]);
        let p = d.path();
        let mut child = cmd(p)
            .args(["apply", "--auto-approve", "--parallelism", "10"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        let finished_first = child.try_wait().expect("try_wait").is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let killed_after = started.elapsed();
        let partial = state_objects(p).len();
        unlock_if_needed(p);
        // Re-apply (twice if the first re-apply is itself interrupted by nothing: once suffices).
        let out = ok(p, &["apply", "--auto-approve"]);
        assert!(out.contains("Apply complete!"), "{out}");
        let objs = state_objects(p);
        assert_eq!(objs.len(), 200, "round {round}: lost instances: {objs:?}");
        // Every instance is a recorded object (no placeholder), each terraform_data its own
        // (time_sleep ids are creation times, to the second).
        assert!(
            objs.iter().all(|(_, id)| !id.is_empty()),
            "round {round}: placeholders left: {objs:?}"
        );
        let data_ids: BTreeSet<&str> = objs
            .iter()
            .filter(|(a, _)| a.starts_with("terraform_data."))
            .map(|(_, id)| id.as_str())
            .collect();
        assert_eq!(
            data_ids.len(),
            100,
            "round {round}: duplicate ids in the state"
        );
        assert!(ok(p, &["plan"]).contains("No changes."), "round {round}");
        eprintln!(
            "round {round}: killed after {killed_after:?} (finished already: {finished_first}), {partial} objects recorded; converged"
        );
    }
}

#[test]
fn progress_lines_and_json_events() {
    let d = project(&[(
        "main.tf",
        "resource \"time_sleep\" \"w\" {\n  create_duration = \"1200ms\"\n}\n",
    )]);
    let p = d.path();
    let o = cmd(p)
        .args(["apply", "--auto-approve", "--progress-interval=400ms"])
        .output()
        .expect("run");
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains("time_sleep.w: Creating..."), "{out}");
    assert!(out.contains("time_sleep.w: Still creating... ["), "{out}");
    assert!(
        out.contains("time_sleep.w: Creation complete after 1s"),
        "{out}"
    );

    std::fs::write(
        p.join("main.tf"),
        "resource \"time_sleep\" \"w\" {\n  create_duration = \"900ms\"\n}\n",
    )
    .unwrap();
    let o = cmd(p)
        .args([
            "apply",
            "--auto-approve",
            "--json",
            "--progress-interval=300ms",
        ])
        .output()
        .expect("run");
    assert!(o.status.success());
    let events: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(kinds.contains(&"apply_start"), "{kinds:?}");
    assert!(kinds.contains(&"apply_progress"), "{kinds:?}");
    assert!(kinds.contains(&"apply_complete"), "{kinds:?}");
}

/// The crash window itself: a create started, the process died before recording its object,
/// the state holds only the intent placeholder (token in `private`, as `sakk state push`
/// stores it). The built-in provider cannot find objects by token (nothing of its exists
/// outside the state), so the placeholder is created again; the intent leaves the state.
/// (Adoption by token: `ops/tests/saved_plans.rs`
/// `intents_in_the_state_are_adopted_or_created_again`.)
#[test]
fn an_intent_placeholder_in_a_pushed_state_is_created_again() {
    let d = project(&[(
        "main.tf",
        "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {\n  input = \"b\"\n}\n",
    )]);
    let p = d.path();
    ok(
        p,
        &["apply", "--auto-approve", "--target", "terraform_data.a"],
    );
    let mut st = state_json(p);
    st["serial"] = serde_json::json!(st["serial"].as_u64().unwrap_or(0) + 1);
    st["resources"]
        .as_array_mut()
        .expect("resources")
        .push(serde_json::json!({
            "mode": "managed", "type": "terraform_data", "name": "b",
            "provider": "provider[\"terraform.io/builtin/terraform\"]",
            "instances": [{
                "status": "tainted", "schema_version": 0, "private": "sakk-intent:sakk-0000dead",
                "attributes": {"id": null, "input": "b", "output": null, "triggers_replace": null},
                "sensitive_attributes": []
            }]
        }));
    std::fs::write(p.join("crashed.tfstate"), serde_json::to_vec(&st).unwrap()).unwrap();
    ok(p, &["state", "push", "crashed.tfstate"]);
    let plan = ok(p, &["plan"]);
    assert!(
        plan.contains("# terraform_data.b will be created"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    ok(p, &["apply", "--auto-approve"]);
    let objs = state_objects(p);
    assert_eq!(objs.len(), 2, "{objs:?}");
    assert!(objs.iter().all(|(_, id)| !id.is_empty()), "{objs:?}");
    assert!(!ok(p, &["state", "pull"]).contains("sakk-intent:"));
    assert!(ok(p, &["plan"]).contains("No changes."));
}

const SLOW_THEN_DEPENDENTS: &str = r#"
resource "time_sleep" "slow" {
  count           = 3
  create_duration = "1500ms"
}
resource "terraform_data" "after" {
  count = 3
  input = time_sleep.slow[count.index].id
}
"#;

/// Sends SIGINT (what Ctrl-C sends) to a child.
fn interrupt(child: &std::process::Child) {
    let s = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(s.success());
}

/// Ctrl-C during an apply: nothing new starts, the operations in flight finish and are saved,
/// the lock is released, exit 1 with "interrupted"; a second Ctrl-C stops waiting. Either way a
/// re-apply converges (no loss; no twin: `engine/tests/plan_apply.rs`
/// `an_interrupt_finishes_operations_in_flight_and_starts_nothing_new`,
/// `a_second_interrupt_stops_waiting_and_a_reapply_converges`).
#[test]
fn ctrl_c_finishes_operations_in_flight_and_a_second_stops_waiting() {
    for twice in [false, true] {
        let d = project(&[("main.tf", SLOW_THEN_DEPENDENTS)]);
        let p = d.path();
        let mut child = cmd(p)
            .args(["apply", "--auto-approve"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // Interrupt once the three sleeps are in flight (their "Creating..." lines are out).
        let lines = std::io::BufRead::lines(std::io::BufReader::new(
            child.stdout.take().expect("stdout"),
        ));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            let mut creating = 0;
            for l in lines.map_while(Result::ok) {
                if l.contains("time_sleep.slow[") && l.contains("Creating...") {
                    creating += 1;
                    if creating == 3 {
                        let _ = tx.send(());
                    }
                }
                out.push_str(&l);
                out.push('\n');
            }
            out
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the sleeps start");
        let started = Instant::now();
        interrupt(&child);
        if twice {
            std::thread::sleep(Duration::from_millis(100));
            interrupt(&child);
        }
        let o = child.wait_with_output().expect("wait");
        let waited = started.elapsed();
        let out = reader.join().expect("reader");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{out}{err}");
        assert!(err.contains("Interrupt received"), "{err}");
        assert!(err.contains(", interrupted."), "{err}");
        let done: Vec<String> = state_objects(p)
            .into_iter()
            .filter(|(_, id)| !id.is_empty())
            .map(|(a, _)| a)
            .collect();
        if twice {
            assert!(err.contains("Second interrupt"), "{err}");
            assert!(
                waited < Duration::from_millis(1200),
                "the second interrupt stops waiting: {waited:?}"
            );
        } else {
            // The sleeps in flight were waited for and saved; their dependents never started.
            assert!(waited >= Duration::from_millis(1000), "{waited:?}");
            assert_eq!(
                done,
                [
                    "time_sleep.slow[0]",
                    "time_sleep.slow[1]",
                    "time_sleep.slow[2]"
                ],
                "{err}"
            );
        }
        assert!(
            !done.iter().any(|a| a.starts_with("terraform_data")),
            "{done:?}"
        );
        // The lock was released: a plain re-apply (no force-unlock) completes the rest.
        let out = ok(p, &["apply", "--auto-approve"]);
        assert!(out.contains("Apply complete!"), "{out}");
        let objs = state_objects(p);
        assert_eq!(objs.len(), 6, "{objs:?}");
        assert!(
            objs.iter().all(|(_, id)| !id.is_empty()),
            "twice: {twice}: {objs:?}"
        );
        assert!(ok(p, &["plan"]).contains("No changes."), "twice: {twice}");
    }
}

/// The most operations in flight at once, from the order of the --json events.
fn max_in_flight(json_lines: &str) -> usize {
    let (mut now, mut max) = (0usize, 0usize);
    for e in json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        match e["type"].as_str() {
            Some("apply_start") => {
                now += 1;
                max = max.max(now);
            }
            Some("apply_complete" | "apply_errored") => now = now.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Concurrency is bounded by --parallelism and reaches that bound (the built-in provider has
/// no per-service limit; those are checked on the mock provider, see the top of this file).
#[test]
fn parallelism_bounds_operations_in_flight() {
    let config = "resource \"time_sleep\" \"s\" {\n  count           = 12\n  create_duration = \"150ms\"\n}\n";
    for (parallelism, want) in [("10", 10), ("3", 3)] {
        let d = project(&[("main.tf", config)]);
        let p = d.path();
        let started = Instant::now();
        let o = run(
            p,
            &[
                "apply",
                "--auto-approve",
                "--json",
                "--parallelism",
                parallelism,
            ],
        );
        let wall = started.elapsed();
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        assert_eq!(
            max_in_flight(&stdout(&o)),
            want,
            "--parallelism {parallelism}"
        );
        // 12 sleeps of 150 ms, `want` at a time: at least ceil(12 / want) rounds.
        let rounds = 12usize.div_ceil(want) as u32;
        assert!(
            wall >= Duration::from_millis(150) * rounds,
            "--parallelism {parallelism}: {wall:?}"
        );
    }
}
