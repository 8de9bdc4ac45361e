//! `sakk validate`

use crate::cli::ValidateArgs;
use crate::ui::Ui;
use engine::diag::Severity;
use serde_json::json;

pub fn run(args: &ValidateArgs, ui: &Ui) -> u8 {
    let loaded = ops::load::load(std::path::Path::new("."));
    let valid = !loaded.diags.has_errors();
    if args.json {
        let errors = loaded.diags.errors().count();
        let warnings = loaded.diags.len() - errors;
        let diags: Vec<_> = loaded
            .diags
            .iter()
            .map(|d| {
                let mut v = json!({
                    "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                    "summary": d.summary,
                    "detail": d.detail,
                });
                if let Some(h) = &d.hint {
                    v["hint"] = json!(h);
                }
                if let Some(r) = &d.range {
                    v["range"] = json!({
                        "filename": &*r.filename,
                        "start": {"line": r.start.line, "column": r.start.column, "byte": r.start.byte},
                        "end": {"line": r.end.line, "column": r.end.column, "byte": r.end.byte},
                    });
                    if let Some(src) = loaded.sources.get(&r.filename) {
                        if let Some(line) = src.lines().nth(r.start.line.saturating_sub(1)) {
                            v["snippet"] = json!({"code": line, "start_line": r.start.line});
                        }
                    }
                }
                v
            })
            .collect();
        let out = json!({
            "format_version": "1.0",
            "valid": valid,
            "error_count": errors,
            "warning_count": warnings,
            "diagnostics": diags,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        ui.diagnostics(&loaded.diags, &loaded.sources);
        if valid {
            println!(
                "{} The configuration is valid.",
                ui.green(&ui.bold("Success!"))
            );
        }
    }
    u8::from(!valid)
}
