//! `sakk apply`

use super::outputs;
use super::prepare::prepare;
use crate::cli::ApplyArgs;
use crate::ui::Ui;
use std::io::{BufRead, IsTerminal, Write};

pub fn run(args: &ApplyArgs, ui: &Ui) -> u8 {
    if args.plan_file.is_some() {
        ui.error("applying a saved plan file comes with the plan engine (issue 5)");
        return 1;
    }
    let prepared = match prepare(&args.vars, ui) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let opened = match super::backend::open() {
        Ok(o) => o,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let (backend, ws) = (opened.backend.as_ref(), opened.workspace.as_str());
    let r = super::backend::with_lock(backend, ws, &args.lock, "OperationTypeApply", || {
        Ok(apply_locked(args, ui, &prepared, backend, ws))
    });
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
    prepared: &super::prepare::Prepared,
    backend: &dyn state::Backend,
    ws: &str,
) -> u8 {
    let prior = match backend.get(ws) {
        Ok(s) => s,
        Err(e) => {
            ui.error(&e.to_string());
            return 1;
        }
    };
    let mut st = prior.clone().unwrap_or_else(state::State::new);
    let new = match outputs::to_state(&prepared.evaluated) {
        Ok(o) => o,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let changes = outputs::diff(&st.outputs, &new);
    super::plan::print_changes(&changes, ui);
    if !changes.is_empty() && !args.auto_approve && !confirm(ui) {
        eprintln!("\nApply cancelled.");
        return 1;
    }
    if !changes.is_empty() || prior.is_none() {
        st.outputs = new;
        st.serial += 1;
        if let Err(e) = backend.put(ws, &st) {
            ui.error(&format!("saving the state failed: {e}"));
            return 1;
        }
    }
    println!(
        "\n{}",
        ui.green(&ui.bold("Apply complete! Resources: 0 added, 0 changed, 0 destroyed."))
    );
    if !st.outputs.is_empty() {
        println!("\n{}", ui.green("Outputs:"));
        println!();
        for (name, o) in &st.outputs {
            let shown = if o.sensitive {
                "<sensitive>".to_string()
            } else {
                outputs::render_raw(o)
            };
            println!("{name} = {shown}");
        }
    }
    0
}

/// Terraform's confirmation: only "yes" proceeds. Without a terminal there is nobody to ask.
fn confirm(ui: &Ui) -> bool {
    if !std::io::stdin().is_terminal() {
        ui.error("no terminal to confirm the apply on; run with --auto-approve to apply without confirmation");
        return false;
    }
    print!("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim() == "yes"
}
