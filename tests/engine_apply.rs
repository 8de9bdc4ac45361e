//! The apply executor end to end with the built-in provider in "ledger" mode (objects also
//! exist outside the state, as files): failures mid-apply, SIGKILL at several points of a
//! 200-instance apply (no twin, no loss after force-unlock and a re-apply), Ctrl-C (once: the
//! operations in flight finish and are saved; twice: stop waiting), and progress.

mod common;

use common::{project, sakk, stderr, stdout};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn cmd(dir: &Path) -> std::process::Command {
    let mut c = sakk();
    c.current_dir(dir)
        .env("SAKK_BUILTIN_LEDGER", dir.join("ledger"));
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

/// (address, id) of every instance in the state.
fn state_objects(dir: &Path) -> Vec<(String, String)> {
    let st = state_json(dir);
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

fn ledger(dir: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(dir.join("ledger")) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".tmp"))
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

const FAILING: &str = r#"
resource "terraform_data" "independent" {
  input = "i"
}
resource "time_sleep" "slow_sibling" {
  create_duration = "300ms"
}
resource "terraform_data" "bad" {
  input = "b"
}
resource "terraform_data" "dependent" {
  input = terraform_data.bad.output
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
    let o = cmd(p)
        .env("SAKK_BUILTIN_FAIL", "terraform_data.bad")
        .args(["apply", "--auto-approve"])
        .output()
        .expect("run");
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("terraform_data.bad failed (injected)"),
        "{err}"
    );
    assert!(
        err.contains("terraform_data.dependent: skipped, because it depends on terraform_data.bad, which failed"),
        "{err}"
    );
    assert!(
        err.contains("terraform_data.transitive: skipped, because it depends on terraform_data.bad, which failed"),
        "{err}"
    );
    assert!(err.contains("1 failed, 2 skipped"), "{err}");
    // The siblings finished (the slow one too) and are recorded; the failed create left only
    // its intent placeholder (no id), which the next plan resolves by token.
    let objs = state_objects(p);
    let made: Vec<&str> = objs
        .iter()
        .filter(|(_, id)| !id.is_empty())
        .map(|(a, _)| a.as_str())
        .collect();
    assert_eq!(
        made,
        vec!["terraform_data.independent", "time_sleep.slow_sibling"]
    );
    let pulled = ok(p, &["state", "pull"]);
    assert!(pulled.contains("sakk-intent:"), "{pulled}");
    assert_eq!(ledger(p).len(), 2);
    // The lock was released; a re-run (the failure fixed) completes the rest only.
    let out = ok(p, &["apply", "--auto-approve"]);
    assert!(
        out.contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    assert_eq!(state_objects(p).len(), 5);
    assert_eq!(ledger(p).len(), 5);
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
        let partial = ledger(p).len();
        unlock_if_needed(p);
        // Re-apply (twice if the first re-apply is itself interrupted by nothing: once suffices).
        let out = ok(p, &["apply", "--auto-approve"]);
        assert!(out.contains("Apply complete!"), "{out}");
        let objs = state_objects(p);
        assert_eq!(objs.len(), 200, "round {round}: lost instances: {objs:?}");
        let ids: BTreeSet<String> = objs.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(ids.len(), 200, "round {round}: duplicate ids in the state");
        // Every object in the world is in the state and vice versa: no twin, no orphan.
        assert_eq!(ids, ledger(p), "round {round} (killed after {kill_after_ms}ms, {partial} objects made before the kill)");
        assert!(ok(p, &["plan"]).contains("No changes."), "round {round}");
        eprintln!(
            "round {round}: killed after {killed_after:?} (finished already: {finished_first}), {partial} objects existed; converged"
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
        .env("SAKK_PROGRESS_INTERVAL_MS", "400")
        .args(["apply", "--auto-approve"])
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
        .env("SAKK_PROGRESS_INTERVAL_MS", "300")
        .args(["apply", "--auto-approve", "--json"])
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

/// The crash window itself: the create made its object, the process died before recording
/// it. The state holds only the intent placeholder (token in `private`); the re-apply finds
/// the object by the token and adopts it instead of creating a twin.
#[test]
fn an_intent_whose_object_exists_is_adopted_not_created_again() {
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
                "status": "tainted", "schema_version": 0, "private": "sakk-intent:sakk-00c0ffee",
                "attributes": {"id": null, "input": "b", "output": null, "triggers_replace": null},
                "sensitive_attributes": []
            }]
        }));
    std::fs::write(p.join("crashed.tfstate"), serde_json::to_vec(&st).unwrap()).unwrap();
    ok(p, &["state", "push", "crashed.tfstate"]);
    std::fs::write(p.join("ledger/obj-00c0ffee"), "terraform_data.b\n").unwrap();
    let plan = ok(p, &["plan"]);
    assert!(
        plan.contains("# terraform_data.b was created by an interrupted apply and will be adopted"),
        "{plan}"
    );
    assert!(!plan.contains("will be created"), "{plan}");
    ok(p, &["apply", "--auto-approve"]);
    let objs = state_objects(p);
    assert!(
        objs.contains(&("terraform_data.b".into(), "obj-00c0ffee".into())),
        "{objs:?}"
    );
    assert_eq!(ledger(p).len(), 2, "no twin");
    assert!(!ok(p, &["state", "pull"]).contains("sakk-intent:"));
    assert!(ok(p, &["plan"]).contains("No changes."));

    // A placeholder whose create made nothing is simply created again.
    let mut st = state_json(p);
    st["serial"] = serde_json::json!(st["serial"].as_u64().unwrap_or(0) + 1);
    for r in st["resources"].as_array_mut().expect("resources") {
        if r["name"] == "b" {
            r["instances"][0]["private"] = serde_json::json!("sakk-intent:sakk-0000dead");
            r["instances"][0]["status"] = serde_json::json!("tainted");
        }
    }
    std::fs::remove_file(p.join("ledger/obj-00c0ffee")).unwrap();
    std::fs::write(p.join("crashed.tfstate"), serde_json::to_vec(&st).unwrap()).unwrap();
    ok(p, &["state", "push", "crashed.tfstate"]);
    let plan = ok(p, &["plan"]);
    assert!(
        plan.contains("# terraform_data.b will be created"),
        "{plan}"
    );
    ok(p, &["apply", "--auto-approve"]);
    assert_eq!(ledger(p).len(), 2);
    assert_eq!(state_objects(p).len(), 2);
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
/// re-apply converges to exactly the objects the world has (no twin, no loss).
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
        let ids: BTreeSet<String> = objs.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(ids, ledger(p), "twice: {twice}");
    }
}

/// create_before_destroy: when deleting the replaced object fails, its replacement is deleted
/// again, so the state (still the old object) and the world agree; the next apply replaces it.
#[test]
fn a_failed_delete_in_create_before_destroy_rolls_the_replacement_back() {
    let config = |input: &str| {
        format!(
            "resource \"terraform_data\" \"x\" {{\n  triggers_replace = \"{input}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n"
        )
    };
    let d = project(&[("main.tf", &config("one"))]);
    let p = d.path();
    ok(p, &["apply", "--auto-approve"]);
    let before = ledger(p);
    assert_eq!(before.len(), 1);
    std::fs::write(p.join("main.tf"), config("two")).expect("write");
    let o = cmd(p)
        .env("SAKK_BUILTIN_FAIL", "delete-once:terraform_data.x")
        .args(["apply", "--auto-approve"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("was deleted again; the state keeps the old object"),
        "{}",
        stderr(&o)
    );
    // The world has the old object only, and so has the state.
    assert_eq!(ledger(p), before);
    let ids: BTreeSet<String> = state_objects(p).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, before);
    // The next apply replaces it.
    let out = ok(p, &["apply", "--auto-approve"]);
    assert!(out.contains("1 added, 0 changed, 1 destroyed"), "{out}");
    let after = ledger(p);
    assert_eq!(after.len(), 1);
    assert_ne!(after, before);
    let ids: BTreeSet<String> = state_objects(p).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, after);
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

/// Concurrency is bounded by --parallelism and by the provider's per-service limit, whichever
/// is lower, and reaches that bound.
#[test]
fn parallelism_and_per_service_limits_bound_operations_in_flight() {
    let config = "resource \"time_sleep\" \"s\" {\n  count           = 12\n  create_duration = \"150ms\"\n}\n";
    for (limit, want) in [(None, 10), (Some("3"), 3)] {
        let d = project(&[("main.tf", config)]);
        let p = d.path();
        let mut c = cmd(p);
        if let Some(l) = limit {
            c.env("SAKK_BUILTIN_SERVICE_LIMIT", l);
        }
        let started = Instant::now();
        let o = c
            .args(["apply", "--auto-approve", "--json", "--parallelism", "10"])
            .output()
            .expect("run");
        let wall = started.elapsed();
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        assert_eq!(max_in_flight(&stdout(&o)), want, "limit {limit:?}");
        // 12 sleeps of 150 ms, `want` at a time: at least ceil(12 / want) rounds.
        let rounds = 12usize.div_ceil(want) as u32;
        assert!(
            wall >= Duration::from_millis(150) * rounds,
            "limit {limit:?}: {wall:?}"
        );
    }
}
