//! Terminal output: colour decisions and diagnostics rendering.

use engine::diag::{render_all, Diagnostics, Sources, Style};
use std::io::IsTerminal;

pub struct Ui {
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub color_err: bool,
}

impl Ui {
    pub fn new(no_color: bool) -> Self {
        let allowed = !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Ui {
            color: allowed && std::io::stdout().is_terminal(),
            color_err: allowed && std::io::stderr().is_terminal(),
        }
    }

    pub fn error(&self, msg: &str) {
        if self.color_err {
            eprintln!("\x1b[1;31mError:\x1b[0m {msg}");
        } else {
            eprintln!("Error: {msg}");
        }
    }

    /// A warning on stderr: something was skipped or assumed, and the command goes on.
    pub fn warning(&self, msg: &str) {
        if self.color_err {
            eprintln!("\x1b[1;33mWarning:\x1b[0m {msg}");
        } else {
            eprintln!("Warning: {msg}");
        }
    }

    /// Prints diagnostics to stderr (errors and warnings alike).
    pub fn diagnostics(&self, diags: &Diagnostics, sources: &Sources) {
        if diags.is_empty() {
            return;
        }
        eprintln!(
            "{}",
            render_all(
                diags,
                sources,
                Style {
                    color: self.color_err
                }
            )
        );
    }

    pub fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn green(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[32m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}
