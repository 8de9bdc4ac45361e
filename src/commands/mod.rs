//! One module per subcommand.

mod apply;
pub mod backend;
mod changed;
mod console;
mod engine_io;
mod fmt;
mod force_unlock;
mod graph;
mod import;
mod init;
mod moves;
mod output;
mod outputs;
mod plan;
mod planfile;
mod planning;
mod prepare;
mod render_plan;
mod show;
mod state;
mod taint;
mod validate;
mod version;
mod workspace;

use crate::cli::Command;
use crate::ui::Ui;
use engine::config::tree::{load_config, Config, ManifestResolver};
use engine::diag::{Diagnostics, Sources};
use engine::graph::Graph;
use std::path::Path;

pub fn run(cmd: Command, ui: &Ui) -> u8 {
    match cmd {
        Command::Validate(a) => validate::run(&a, ui),
        Command::Graph(a) => graph::run(&a, ui),
        Command::Version(a) => version::run(&a),
        Command::Init(a) => init::run(&a, ui),
        Command::Fmt(a) => fmt::run(&a, ui),
        Command::Plan(a) => plan::run(&a, ui),
        Command::Apply(a) => apply::run(&a, ui),
        Command::Destroy(mut a) => {
            a.planning.destroy = true;
            apply::run(&a, ui)
        }
        Command::Refresh(mut a) => {
            a.planning.refresh_only = true;
            apply::run(&a, ui)
        }
        Command::Output(a) => output::run(&a, ui),
        Command::Console(a) => console::run(&a, ui),
        Command::State(c) => state::run(c, ui),
        Command::Workspace(c) => workspace::run(c, ui),
        Command::ForceUnlock(a) => force_unlock::run(&a, ui),
        Command::Import(a) => import::run(&a, ui),
        Command::Taint(a) => taint::run(&a, true, ui),
        Command::Untaint(a) => taint::run(&a, false, ui),
        Command::Show(a) => show::run(&a, ui),
    }
}

/// The loaded configuration and its graph, with every diagnostic found on the way.
pub struct Loaded {
    pub config: Config,
    pub graph: Graph,
    pub diags: Diagnostics,
    pub sources: Sources,
}

/// Loads the configuration in the current directory and builds its graph.
pub fn load(dir: &Path) -> Loaded {
    let mut sources = Sources::new();
    let (config, mut diags) = load_config(dir, &ManifestResolver::new(dir), &mut sources);
    let (graph, gd) = engine::graph::build(&config);
    diags.extend(gd);
    Loaded {
        config,
        graph,
        diags,
        sources,
    }
}
