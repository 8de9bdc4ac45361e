//! `sakk show FILE [--json]`: a saved plan exactly as `sakk apply FILE` would execute it. Only
//! the file is read: neither the state nor any provider is touched. Sensitive values print as
//! `(sensitive value)`.

use super::render_plan;
use crate::cli::ShowArgs;
use crate::ui::Ui;

pub fn run(args: &ShowArgs, ui: &Ui) -> u8 {
    let saved = match ops::planfile::load(&args.plan_file, super::plan::plan_key().as_deref()) {
        Ok(s) => s,
        Err(e) => return super::fail(ui, &e),
    };
    let oc = saved.output_changes();
    if args.json {
        let doc = render_plan::to_json(&saved.plan, &oc);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", render_plan::render(&saved.plan, &oc, ui.color));
    }
    0
}
