//! `sakk apply [PLAN_FILE]`, `sakk destroy`, `sakk refresh`

use super::outputs;
use super::render_plan;
use crate::cli::ApplyArgs;
use crate::ui::Ui;
use engine::evaluate::apply::ApplyEvent;
use engine::evaluate::resources::PlanMode;
use engine::plan::Action;
use ops::planning::Planned;
use ops::project::Project;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub fn run(args: &ApplyArgs, ui: &Ui) -> u8 {
    let r = (|| {
        let rt = ops::runtime()?;
        let p = super::project()?;
        let lock = args.lock.options()?;
        p.with_lock(&lock, "OperationTypeApply", || {
            Ok(apply_locked(args, ui, &rt, &p))
        })
    })();
    match r {
        Ok(code) => code,
        Err(e) => super::fail(ui, &e),
    }
}

/// The plan to apply: the saved one (as it is), or a new one.
fn planned(args: &ApplyArgs, rt: &tokio::runtime::Runtime, p: &Project) -> ops::Result<Planned> {
    let state = p.read_state()?;
    match &args.plan_file {
        Some(path) => {
            let saved = ops::planfile::load(path, super::plan::plan_key().as_deref())?;
            saved.into_planned(p, state)
        }
        None => {
            ops::planning::make_plan(p, &args.vars.inputs(), &args.planning.options(), state, rt)
        }
    }
}

fn apply_locked(args: &ApplyArgs, ui: &Ui, rt: &tokio::runtime::Runtime, p: &Project) -> u8 {
    let progress_interval = match state::lock::parse_duration(&args.progress_interval) {
        Ok(d) => d,
        Err(e) => {
            ui.error(&format!("--progress-interval: {e}"));
            return 1;
        }
    };
    let planned = match planned(args, rt, p) {
        Ok(pl) => pl,
        Err(e) => return super::fail(ui, &e),
    };
    ui.diagnostics(&planned.loaded.diags, &planned.loaded.sources);
    let from_file = args.plan_file.is_some();
    let oc = planned.output_changes();
    if !args.json {
        print!("{}", render_plan::render(&planned.plan, &oc, ui.color));
    }
    if planned.has_changes() && !args.auto_approve && !from_file && !confirm(ui, planned.mode()) {
        eprintln!("\nApply cancelled.");
        return 1;
    }
    // Ctrl-C: start nothing new and let operations in flight finish; a second one abandons them.
    let cancel = Arc::new(AtomicBool::new(false));
    let abandon = Arc::new(AtomicBool::new(false));
    {
        let (cancel, abandon) = (cancel.clone(), abandon.clone());
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::SeqCst);
                eprintln!("\nInterrupt received: starting nothing new, waiting for operations in flight (press Ctrl-C again to stop waiting)...");
                if tokio::signal::ctrl_c().await.is_ok() {
                    abandon.store(true, Ordering::SeqCst);
                    eprintln!("\nSecond interrupt: no longer waiting; saving the state.");
                }
            }
        });
    }
    let json = args.json;
    let events = move |e: &ApplyEvent| print_event(e, json);
    let o = ops::apply::ApplyOptions {
        parallelism: args.parallelism,
        progress_interval,
        cancel,
        abandon,
        events: &events,
        plan_source: args
            .plan_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "interactive apply".into()),
    };
    let done = match ops::apply::apply(p.backend.clone(), &p.workspace, &planned, &o, rt) {
        Ok(d) => d,
        Err(e) => return super::fail(ui, &e),
    };
    if let Some(n) = done.refreshed {
        println!(
            "\n{}",
            ui.green(&ui.bold(&format!(
                "Refresh complete! {n} object(s) changed outside sakk."
            )))
        );
        return 0;
    }
    ui.diagnostics(&done.diags, &planned.loaded.sources);
    for e in &done.errors {
        ui.error(e);
    }
    let verb = if planned.mode() == PlanMode::Destroy {
        "Destroy"
    } else {
        "Apply"
    };
    if done.ok() {
        println!(
            "\n{}",
            ui.green(&ui.bold(&format!(
                "{verb} complete! Resources: {} added, {} changed, {} destroyed.",
                done.added, done.changed, done.destroyed
            )))
        );
        print_outputs(&done.state, ui);
        0
    } else {
        eprintln!(
            "\n{verb} incomplete: {} added, {} changed, {} destroyed, {} failed, {} skipped{}. The state records everything that finished; fix the errors and run `sakk apply` again to complete the rest.",
            done.added,
            done.changed,
            done.destroyed,
            done.failed,
            done.skipped,
            if done.interrupted { ", interrupted" } else { "" }
        );
        1
    }
}

fn print_outputs(st: &state::State, ui: &Ui) {
    if st.outputs.is_empty() {
        return;
    }
    println!("\n{}\n", ui.green("Outputs:"));
    for (name, o) in &st.outputs {
        let shown = if o.sensitive {
            "<sensitive>".to_string()
        } else {
            outputs::render_raw(o)
        };
        println!("{name} = {shown}");
    }
}

fn verb(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("Creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Modifications complete"),
        Action::Delete => ("Destroying...", "Destruction complete"),
        Action::DeleteThenCreate | Action::CreateThenDelete => {
            ("Replacing...", "Replacement complete")
        }
        Action::Read => ("Reading...", "Read complete"),
        Action::NoOp => ("...", "done"),
    }
}

fn fmt_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

fn print_event(e: &ApplyEvent, json: bool) {
    if json {
        let v = match e {
            ApplyEvent::Started { addr, action } => {
                serde_json::json!({"type": "apply_start", "address": addr.to_string(), "action": action.json_actions()})
            }
            ApplyEvent::StillRunning {
                addr,
                action,
                elapsed,
            } => {
                serde_json::json!({"type": "apply_progress", "address": addr.to_string(), "action": action.json_actions(), "elapsed_seconds": elapsed.as_secs()})
            }
            ApplyEvent::Finished {
                addr,
                action,
                elapsed,
            } => {
                serde_json::json!({"type": "apply_complete", "address": addr.to_string(), "action": action.json_actions(), "elapsed_seconds": elapsed.as_secs_f64()})
            }
            ApplyEvent::Failed {
                addr,
                action,
                error,
            } => {
                serde_json::json!({"type": "apply_errored", "address": addr.to_string(), "action": action.json_actions(), "error": error.to_string()})
            }
            ApplyEvent::Skipped {
                addr,
                action,
                because,
            } => {
                serde_json::json!({"type": "apply_skipped", "address": addr.to_string(), "action": action.json_actions(), "because": because})
            }
        };
        let mut v = v;
        if let Some(o) = v.as_object_mut() {
            o.insert("@timestamp".into(), serde_json::Value::String(timestamp()));
        }
        println!("{v}");
        return;
    }
    match e {
        ApplyEvent::Started { addr, action } => println!("{addr}: {}", verb(*action).0),
        ApplyEvent::StillRunning {
            addr,
            action,
            elapsed,
        } => {
            let what = verb(*action).0.trim_end_matches("...").to_lowercase();
            println!(
                "{addr}: Still {what}... [{} elapsed]",
                fmt_elapsed(*elapsed)
            );
        }
        ApplyEvent::Finished {
            addr,
            action,
            elapsed,
        } => println!(
            "{addr}: {} after {}",
            verb(*action).1,
            fmt_elapsed(*elapsed)
        ),
        ApplyEvent::Failed { addr, error, .. } => {
            eprintln!("Error: {addr}: {}", error.summary);
            if !error.detail.is_empty() {
                eprintln!("  {}", error.detail);
            }
            if let Some(h) = &error.hint {
                eprintln!("Hint: {h}");
            }
        }
        ApplyEvent::Skipped { addr, because, .. } => {
            eprintln!("{addr}: skipped, because {because}")
        }
    }
}

/// Terraform's confirmation: only "yes" proceeds. Without a terminal there is nobody to ask.
fn confirm(ui: &Ui, mode: PlanMode) -> bool {
    if !std::io::stdin().is_terminal() {
        ui.error(
            "no terminal to confirm on; run with --auto-approve to apply without confirmation",
        );
        return false;
    }
    let q = if mode == PlanMode::Destroy {
        "Do you really want to destroy all resources?"
    } else {
        "Do you want to perform these actions?"
    };
    print!("\n{q}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim() == "yes"
}

/// Now, as RFC 3339 with microseconds in UTC (`2026-11-22T07:30:00.123456+00:00`), like the
/// `@timestamp` of Terraform's JSON events.
fn timestamp() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}
