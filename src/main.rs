//! `sakk`: the command-line shell over the engine. Parsing, rendering and exit codes only.

mod cli;
mod commands;
mod ui;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args());
    let cli = match cli::parse(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let ui = ui::Ui::new(cli.no_color);
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            ui.error(&format!(
                "cannot change to directory {}: {e}\nHint: check the path given to -C/--chdir",
                dir.display()
            ));
            return ExitCode::from(1);
        }
    }
    let code = commands::run(cli.command, &ui);
    ExitCode::from(code)
}
