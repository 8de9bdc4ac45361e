//! `sakk plan`

use super::{fail, project, render_plan};
use crate::cli::PlanArgs;
use crate::ui::Ui;

/// The key that signs saved plans (`SAKK_PLAN_KEY`), if set.
pub fn plan_key() -> Option<Vec<u8>> {
    std::env::var("SAKK_PLAN_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .map(String::into_bytes)
}

pub fn run(args: &PlanArgs, ui: &Ui) -> u8 {
    if let Some(rev) = &args.changed_since {
        return super::changed::run(rev, args.json, ui);
    }
    let r = (|| {
        let rt = ops::runtime()?;
        let p = project()?;
        let lock = args.lock.options()?;
        // The lock is held while reading the state and planning, as Terraform does.
        let planned = p.with_lock(&lock, "OperationTypePlan", || {
            let st = p.read_state()?;
            ops::planning::make_plan(&p, &args.vars.inputs(), &args.planning.options(), st, &rt)
        })?;
        if let Some(out) = &args.out {
            ops::planfile::save(out, &planned, plan_key().as_deref())?;
        }
        Ok::<_, ops::Error>(planned)
    })();
    let planned = match r {
        Ok(p) => p,
        Err(e) => return fail(ui, &e),
    };
    ui.diagnostics(&planned.loaded.diags, &planned.loaded.sources);
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
