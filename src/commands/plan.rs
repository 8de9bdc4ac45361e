//! `sakk plan`

use super::outputs::{self, Change};
use super::prepare::prepare;
use crate::cli::PlanArgs;
use crate::ui::Ui;

pub fn run(args: &PlanArgs, ui: &Ui) -> u8 {
    let prepared = match prepare(&args.vars, ui) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let prior = super::backend::open().and_then(|o| {
        super::backend::with_lock(
            o.backend.as_ref(),
            &o.workspace,
            &args.lock,
            "OperationTypePlan",
            || o.backend.get(&o.workspace).map_err(|e| e.to_string()),
        )
    });
    let prior = match prior {
        Ok(s) => s.map(|s| s.outputs).unwrap_or_default(),
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let new = match outputs::to_state(&prepared.evaluated) {
        Ok(o) => o,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let changes = outputs::diff(&prior, &new);
    if args.json {
        let list: Vec<serde_json::Value> = changes
            .iter()
            .map(|(name, c)| {
                let (action, before, after) = match c {
                    Change::Create(b) => ("create", None, Some(*b)),
                    Change::Update(a, b) => ("update", Some(*a), Some(*b)),
                    Change::Delete(a) => ("delete", Some(*a), None),
                };
                let shown = |o: Option<&state::model::OutputValue>| match o {
                    Some(o) if o.sensitive => serde_json::Value::Null,
                    Some(o) => o.value.clone(),
                    None => serde_json::Value::Null,
                };
                serde_json::json!({
                    "name": name,
                    "actions": [action],
                    "before": shown(before),
                    "after": shown(after),
                    "before_sensitive": before.is_some_and(|o| o.sensitive),
                    "after_sensitive": after.is_some_and(|o| o.sensitive),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "format_version": "1.0",
            "resource_changes": [],
            "output_changes": list,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_changes(&changes, ui);
    }
    if args.out.is_some() {
        ui.error("saving plans with --out comes with the plan engine (issue 5); nothing was saved");
        return 1;
    }
    if args.detailed_exitcode && !changes.is_empty() {
        2
    } else {
        0
    }
}

/// Terraform's "Changes to Outputs" block, or "No changes."
pub fn print_changes(changes: &[(&str, Change)], ui: &Ui) {
    if changes.is_empty() {
        println!(
            "\n{} Your infrastructure matches the configuration.\n\nsakk has compared your real infrastructure against your configuration and found no\ndifferences, so no changes are needed.",
            ui.bold("No changes.")
        );
        return;
    }
    println!("\nChanges to Outputs:");
    // Names are padded so the `=` line up, as Terraform prints them.
    let width = changes
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    for (name, c) in changes {
        let name = format!("{name:<width$}");
        match c {
            Change::Create(b) => {
                println!("  + {name} = {}", outputs::indent(&outputs::render(b), 4))
            }
            Change::Update(a, b) => println!(
                "  ~ {name} = {} -> {}",
                outputs::indent(&outputs::render(a), 4),
                outputs::indent(&outputs::render(b), 4)
            ),
            Change::Delete(a) => println!(
                "  - {name} = {} -> null",
                outputs::indent(&outputs::render(a), 4)
            ),
        }
    }
    println!("\nYou can apply this plan to save these new output values to the state, without\nchanging any real infrastructure.");
}
