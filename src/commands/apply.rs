//! `sakk apply [PLAN_FILE]`, `sakk destroy`, `sakk refresh`

use super::engine_io::Recorder;
use super::outputs;
use super::planfile;
use super::planning::{make_plan, runtime, Planned};
use super::render_plan;
use crate::cli::ApplyArgs;
use crate::ui::Ui;
use engine::evaluate::apply::{apply, ApplyEvent, ApplyOptions};
use engine::evaluate::resources::{PlanMode, ResourceOptions};
use engine::plan::Action;
use state::writer::{StateWriter, Update};
use state::Backend;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(args: &ApplyArgs, ui: &Ui) -> u8 {
    let rt = match runtime(ui) {
        Ok(rt) => rt,
        Err(c) => return c,
    };
    let opened = match super::backend::open() {
        Ok(o) => o,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let ws = opened.workspace.clone();
    let backend: Arc<dyn Backend> = Arc::from(opened.backend);
    let r = super::backend::with_lock(
        backend.as_ref(),
        &ws,
        &args.lock,
        "OperationTypeApply",
        || Ok(apply_locked(args, ui, &rt, backend.clone(), &ws)),
    );
    match r {
        Ok(code) => code,
        Err(e) => {
            ui.error(&e);
            1
        }
    }
}

fn apply_locked(
    args: &ApplyArgs,
    ui: &Ui,
    rt: &tokio::runtime::Runtime,
    backend: Arc<dyn Backend>,
    ws: &str,
) -> u8 {
    let state = match backend.get(ws) {
        Ok(s) => s,
        Err(e) => {
            ui.error(&e.to_string());
            return 1;
        }
    };
    let from_file = args.plan_file.is_some();
    let (vars, planning) = match &args.plan_file {
        Some(path) => {
            let pf = match planfile::load(path) {
                Ok(p) => p,
                Err(e) => {
                    ui.error(&e);
                    return 1;
                }
            };
            if pf.workspace != ws {
                ui.error(&format!("the plan was made for workspace \"{}\", but \"{ws}\" is selected\nHint: select it with `sakk workspace select {}`", pf.workspace, pf.workspace));
                return 1;
            }
            if let Some(why) = pf.stale_against(state.as_ref()) {
                ui.error(&format!("Saved plan is stale: {why}.\nThe plan can no longer be applied as it was shown.\nHint: run `sakk plan --out {}` again, review it, and apply the new plan", path.display()));
                return 1;
            }
            pf.restore_env();
            let planned = match make_plan(&pf.vars(), &pf.planning(), state.clone(), rt, ui) {
                Ok(p) => p,
                Err(c) => return c,
            };
            let digest = planfile::config_digest(&planned, &pf.var_files);
            let (changes, output_changes) = planfile::summary(&planned);
            if digest != pf.config_digest
                || changes != pf.changes
                || output_changes != pf.output_changes
            {
                ui.error(&format!("Saved plan is stale: the configuration or the variables changed since the plan was made, so it would no longer do exactly what it showed.\nHint: run `sakk plan --out {}` again, review it, and apply the new plan", path.display()));
                return 1;
            }
            return execute(args, ui, rt, backend, ws, planned, from_file);
        }
        None => (args.vars.clone(), args.planning.clone()),
    };
    let planned = match make_plan(&vars, &planning, state, rt, ui) {
        Ok(p) => p,
        Err(c) => return c,
    };
    execute(args, ui, rt, backend, ws, planned, from_file)
}

fn execute(
    args: &ApplyArgs,
    ui: &Ui,
    rt: &tokio::runtime::Runtime,
    backend: Arc<dyn Backend>,
    ws: &str,
    planned: Planned,
    from_file: bool,
) -> u8 {
    let oc = planned.output_changes();
    if !args.json {
        print!("{}", render_plan::render(&planned.plan, &oc, ui.color));
    }
    let has_changes = planned.has_changes();
    if has_changes && !args.auto_approve && !from_file && !confirm(ui, planned.mode) {
        eprintln!("\nApply cancelled.");
        return 1;
    }
    let mut st = planned.state.clone().unwrap_or_default();
    if planned.mode == PlanMode::RefreshOnly {
        // Only the state changes: write what refresh found.
        for d in &planned.plan.drift {
            match &d.after {
                Some(v) => match super::engine_io::to_instance(
                    &planned.providers,
                    &d.addr.type_,
                    v,
                    &planned
                        .prior
                        .get(&d.addr)
                        .map(|p| p.dependencies.clone())
                        .unwrap_or_default(),
                ) {
                    Ok(inst) => {
                        let provider = planned
                            .prior
                            .get(&d.addr)
                            .map(|p| p.provider.clone())
                            .unwrap_or_default();
                        let template = state::model::Resource {
                            module: None,
                            mode: d.addr.mode.into(),
                            type_: d.addr.type_.clone(),
                            name: d.addr.name.clone(),
                            provider: super::engine_io::provider_addr(&provider),
                            each: None,
                            instances: Vec::new(),
                        };
                        st.set_instance(&d.addr, &template, inst);
                    }
                    Err(e) => {
                        ui.error(&e);
                        return 1;
                    }
                },
                None => {
                    st.remove_instance(&d.addr);
                }
            }
        }
        st.serial += 1;
        if let Err(e) = backend.put(ws, &st) {
            ui.error(&e.to_string());
            return 1;
        }
        println!(
            "\n{}",
            ui.green(&ui.bold(&format!(
                "Refresh complete! {} object(s) changed outside sakk.",
                planned.plan.drift.len()
            )))
        );
        return 0;
    }
    if !has_changes && planned.state.is_some() {
        println!(
            "\n{}",
            ui.green(&ui.bold("Apply complete! Resources: 0 added, 0 changed, 0 destroyed."))
        );
        print_outputs(&st, ui);
        return 0;
    }

    // Imported and adopted objects, and the renames of `moved` blocks (already in `st`), are
    // saved before any operation starts.
    if !planned.plan.adopted.is_empty() || !planned.plan.moved.is_empty() {
        for a in &planned.plan.adopted {
            match super::engine_io::to_instance(
                &planned.providers,
                &a.addr.type_,
                &a.value,
                &a.dependencies,
            ) {
                Ok(inst) => {
                    let template = state::model::Resource {
                        module: None,
                        mode: a.addr.mode.into(),
                        type_: a.addr.type_.clone(),
                        name: a.addr.name.clone(),
                        provider: super::engine_io::provider_addr(&a.provider),
                        each: None,
                        instances: Vec::new(),
                    };
                    st.set_instance(&a.addr, &template, inst);
                }
                Err(e) => {
                    ui.error(&e);
                    return 1;
                }
            }
        }
        st.serial += 1;
        if let Err(e) = backend.put(ws, &st) {
            ui.error(&e.to_string());
            return 1;
        }
    }
    // Every object the configuration keeps is recorded with the provider configuration in use
    // now (written with the first state save of this apply).
    for c in planned
        .plan
        .changes
        .iter()
        .filter(|c| c.action != engine::plan::Action::Delete)
    {
        if let Some(ri) = st.resource_index(&c.addr) {
            st.resources[ri].provider = super::engine_io::provider_addr(&c.provider);
        }
    }
    let writer = StateWriter::spawn(backend.clone(), ws, st.clone(), None);
    let serial = st.serial + 1;
    let json = args.json;
    let progress = move |e: &ApplyEvent| print_event(e, json);
    let recorder = Recorder {
        providers: &planned.providers,
        writer: writer.handle(),
        progress: &progress,
        errors: Mutex::new(Vec::new()),
    };
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
    let mut context = engine::provider::ApplyContext {
        state_serial: serial,
        plan_source: args
            .plan_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "interactive apply".into()),
        options: Default::default(),
    };
    if let Some(b) = &planned_branch(args) {
        context.options.insert("gitops_branch".into(), b.clone());
    }
    let resources = ResourceOptions {
        providers: &planned.providers,
        prior: &planned.prior,
        mode: planned.mode,
        refresh: false,
        replace: planned.replace.clone(),
        targets: planned.targets.clone(),
        imports: Vec::new(),
        runtime: rt.handle().clone(),
    };
    let ao = ApplyOptions {
        plan: &planned.plan,
        parallelism: args.parallelism,
        cancel: cancel.clone(),
        abandon,
        observer: &recorder,
        context,
        progress_interval: std::env::var("SAKK_PROGRESS_INTERVAL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(10)),
    };
    let (outcome, diags) = apply(
        &planned.loaded.config,
        &planned.loaded.graph,
        &planned.inputs,
        &planned.opts,
        resources,
        ao,
    );
    // Outputs: whatever the configuration now says (nothing after a destroy).
    let new_outputs = if planned.mode == PlanMode::Destroy {
        Default::default()
    } else {
        match outputs::to_state(&outcome.outputs) {
            Ok(o) => o,
            Err(e) => {
                ui.error(&e);
                Default::default()
            }
        }
    };
    let h = writer.handle();
    if outcome.failed == 0 && !outcome.interrupted {
        for name in st.outputs.keys() {
            if !new_outputs.contains_key(name) {
                let _ = h.send(Update::RemoveOutput(name.clone()));
            }
        }
        for (name, value) in &new_outputs {
            let _ = h.send(Update::SetOutput {
                name: name.clone(),
                value: value.clone(),
            });
        }
    }
    drop(h);
    let record_errors = recorder
        .errors
        .lock()
        .map(|e| e.clone())
        .unwrap_or_default();
    drop(recorder);
    let (final_state, written) = writer.finish();
    ui.diagnostics(&diags, &planned.loaded.sources);
    let mut code = 0;
    if let Err(e) = written {
        ui.error(&format!("saving the state failed: {e}\nHint: the state of the operations that finished is in memory only; run `sakk apply` again to converge"));
        code = 1;
    }
    for e in record_errors {
        ui.error(&e);
        code = 1;
    }
    if diags.has_errors() || outcome.failed > 0 || outcome.interrupted {
        code = 1;
    }
    let verb = if planned.mode == PlanMode::Destroy {
        "Destroy"
    } else {
        "Apply"
    };
    if code == 0 {
        println!(
            "\n{}",
            ui.green(&ui.bold(&format!(
                "{verb} complete! Resources: {} added, {} changed, {} destroyed.",
                outcome.added, outcome.changed, outcome.destroyed
            )))
        );
        print_outputs(&final_state, ui);
    } else {
        eprintln!(
            "\n{verb} incomplete: {} added, {} changed, {} destroyed, {} failed, {} skipped{}. The state records everything that finished; fix the errors and run `sakk apply` again to complete the rest.",
            outcome.added,
            outcome.changed,
            outcome.destroyed,
            outcome.failed,
            outcome.skipped,
            if outcome.interrupted { ", interrupted" } else { "" }
        );
    }
    code
}

fn planned_branch(args: &ApplyArgs) -> Option<String> {
    args.planning.gitops_branch.clone()
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
