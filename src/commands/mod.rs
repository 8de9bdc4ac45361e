//! One module per subcommand.

mod apply;
pub mod changed;
mod console;
mod fmt;
mod force_unlock;
mod graph;
mod import;
mod init;
mod output;
mod outputs;
mod plan;
mod render_plan;
mod show;
mod state;
mod taint;
mod validate;
mod version;
mod workspace;

use crate::cli::Command;
use crate::ui::Ui;
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

/// Prints an operation's error (diagnostics with their source lines, or a message); exit code 1.
pub fn fail(ui: &Ui, e: &ops::Error) -> u8 {
    match e {
        ops::Error::Diagnostics(d, s) => ui.diagnostics(d, s),
        ops::Error::Message(m) => ui.error(m),
    }
    1
}

/// Prints a command's message, or its error; the exit code.
pub fn print_result(ui: &Ui, r: Result<String, ops::Error>) -> u8 {
    match r {
        Ok(msg) => {
            println!("{msg}");
            0
        }
        Err(e) => fail(ui, &e),
    }
}

/// Opens the working directory's project (its backend and workspace).
pub fn project() -> Result<ops::project::Project, ops::Error> {
    ops::project::Project::open(Path::new("."))
}
