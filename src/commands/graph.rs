//! `sakk graph`

use crate::cli::GraphArgs;
use crate::ui::Ui;

pub fn run(_args: &GraphArgs, ui: &Ui) -> u8 {
    let loaded = ops::load::load(std::path::Path::new("."));
    ui.diagnostics(&loaded.diags, &loaded.sources);
    if loaded.diags.has_errors() {
        return 1;
    }
    print!("{}", engine::graph::to_dot(&loaded.graph));
    0
}
