//! `sakk console`: evaluates expressions against the configuration, printing values as
//! `terraform console` does. Reads stdin line by line (a prompt on a terminal).

use crate::cli::ConsoleArgs;
use crate::ui::Ui;
use engine::diag::Sources;
use std::io::{BufRead, IsTerminal, Write};

pub fn run(args: &ConsoleArgs, ui: &Ui) -> u8 {
    let interactive = std::io::stdin().is_terminal();
    let mut code = 0;
    let result = ops::load::evaluate_with(
        std::path::Path::new("."),
        &args.vars.inputs(),
        &mut |eval| {
            let stdin = std::io::stdin();
            let mut n = 0;
            loop {
                if interactive {
                    print!("> ");
                    let _ = std::io::stdout().flush();
                }
                let mut line = String::new();
                match stdin.lock().read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                if line == "exit" {
                    break;
                }
                n += 1;
                let name = format!("<console-input {n}>");
                let mut sources = Sources::new();
                sources.add(name.clone().into(), line.into());
                let expr = match engine::lang::parse::parse_expr(name.into(), line) {
                    Ok(e) => e,
                    Err(d) => {
                        ui.diagnostics(&d.into(), &sources);
                        code = 1;
                        continue;
                    }
                };
                match eval(&expr) {
                    Ok(v) => {
                        if v.is_sensitive() || v.has_marks_deep() && v.is_sensitive() {
                            println!("(sensitive value)");
                        } else {
                            println!("{v}");
                        }
                    }
                    Err(ds) => {
                        ui.diagnostics(&ds, &sources);
                        code = 1;
                    }
                }
            }
        },
    );
    match result {
        Ok((warnings, sources)) => {
            ui.diagnostics(&warnings, &sources);
            code
        }
        Err(e) => super::fail(ui, &e),
    }
}
