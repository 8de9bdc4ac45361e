//! `sakk plan`

use super::planning::{make_plan, read_state, runtime};
use super::render_plan;
use crate::cli::PlanArgs;
use crate::ui::Ui;

pub fn run(args: &PlanArgs, ui: &Ui) -> u8 {
    if let Some(rev) = &args.changed_since {
        return super::changed::run(rev, args.json, ui);
    }
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
    // The lock is held while reading the state and planning, as Terraform does.
    let planned = super::backend::with_lock(
        opened.backend.as_ref(),
        &opened.workspace,
        &args.lock,
        "OperationTypePlan",
        || {
            let st = read_state(&opened, ui).map_err(|_| String::new())?;
            make_plan(&args.vars, &args.planning, st, &rt, ui).map_err(|_| String::new())
        },
    );
    let planned = match planned {
        Ok(p) => p,
        Err(e) => {
            if !e.is_empty() {
                ui.error(&e);
            }
            return 1;
        }
    };
    let oc = planned.output_changes();
    if args.json {
        let doc = render_plan::to_json(&planned.plan, &oc);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if args.markdown {
        print!("{}", render_plan::to_markdown(&planned.plan, &oc));
    } else {
        print!("{}", render_plan::render(&planned.plan, &oc, ui.color));
    }
    if let Some(out) = &args.out {
        if let Err(e) = super::planfile::save(out, &planned, &args.vars, &args.planning) {
            ui.error(&format!("saving the plan to {} failed: {e}", out.display()));
            return 1;
        }
        if !args.json && !args.markdown {
            println!("\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    sakk apply {}", out.display(), out.display());
        }
    }
    if args.detailed_exitcode && planned.has_changes() {
        2
    } else {
        0
    }
}
