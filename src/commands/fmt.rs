//! `sakk fmt`: rewrites files in Terraform's canonical style. Exit codes: 0 ok, 3 when
//! `--check` finds a file that would change, 1 on a parse error.

use crate::cli::FmtArgs;
use crate::ui::Ui;
use engine::diag::{display_path, Diagnostics, Sources};
use engine::fmt::{format_paths, FmtOptions};
use std::io::Write;

pub fn run(args: &FmtArgs, ui: &Ui) -> u8 {
    let opts = FmtOptions {
        check: args.check,
        diff: args.diff,
        recursive: args.recursive,
        write: !args.check,
    };
    let report = format_paths(&args.paths, &opts);
    let mut stdout = std::io::stdout().lock();
    for f in &report.files {
        if let Some(text) = &f.formatted {
            // stdin: print the result
            let _ = stdout.write_all(text.as_bytes());
            continue;
        }
        if f.changed && args.list {
            let _ = writeln!(stdout, "{}", display_path(&f.path));
        }
        if let Some(d) = &f.diff {
            let _ = stdout.write_all(d.as_bytes());
        }
    }
    // Show file names as the other commands do (relative, without "./").
    let mut sources = Sources::new();
    let mut errors = Diagnostics::new();
    for f in &report.files {
        let Some(d) = &f.error else { continue };
        let mut d = d.clone();
        let name: std::sync::Arc<str> = display_path(&f.path).into();
        if let Some(r) = &mut d.range {
            r.filename = name.clone();
        }
        if let Ok(text) = std::fs::read_to_string(&f.path) {
            sources.add(name, text.into());
        }
        errors.push(d);
    }
    ui.diagnostics(&errors, &sources);
    report.exit_code(&opts).clamp(0, 255) as u8
}
