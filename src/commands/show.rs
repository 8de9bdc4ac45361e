//! `sakk show FILE [--json]`: a saved plan, as it would be applied now. The plan is made again
//! from the inputs the file recorded; a file the state or the configuration has moved past is
//! reported as stale (exit 1), as `sakk apply FILE` would refuse it.

use super::planfile;
use super::planning::{make_plan, runtime};
use super::render_plan;
use crate::cli::ShowArgs;
use crate::ui::Ui;

pub fn run(args: &ShowArgs, ui: &Ui) -> u8 {
    let pf = match planfile::load(&args.plan_file) {
        Ok(p) => p,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
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
    let state = match opened.backend.get(&opened.workspace) {
        Ok(s) => s,
        Err(e) => {
            ui.error(&e.to_string());
            return 1;
        }
    };
    let stale = |why: &str| {
        ui.error(&format!(
            "Saved plan is stale: {why}.\nHint: run `sakk plan --out {}` again",
            args.plan_file.display()
        ));
        1
    };
    if pf.workspace != opened.workspace {
        return stale(&format!("it was made for workspace \"{}\"", pf.workspace));
    }
    if let Some(why) = pf.stale_against(state.as_ref()) {
        return stale(&why);
    }
    pf.restore_env();
    let planned = match make_plan(&pf.vars(), &pf.planning(), state, &rt, ui) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let (changes, output_changes) = planfile::summary(&planned);
    if planfile::config_digest(&planned, &pf.var_files) != pf.config_digest
        || changes != pf.changes
        || output_changes != pf.output_changes
    {
        return stale("the configuration or the variables changed since the plan was made");
    }
    let oc = planned.output_changes();
    if args.json {
        let doc = render_plan::to_json(&planned.plan, &oc);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", render_plan::render(&planned.plan, &oc, ui.color));
    }
    0
}
