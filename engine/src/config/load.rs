//! Reading one module directory: every `*.tf` and `*.tf.json` file, in name order.

use super::decode::decode_file;
use super::Module;
use crate::diag::{display_path, Diagnostic, Diagnostics, Sources};
use crate::lang::{json, parse};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration files of `dir`, sorted by name. Editor backups and hidden files are skipped,
/// as Terraform does.
pub fn config_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || name.starts_with('#') || name.ends_with('~') {
            continue;
        }
        if (name.ends_with(".tf") || name.ends_with(".tf.json")) && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Loads the module in `dir`. Returns the module (possibly partial) and every problem found;
/// file texts are added to `sources` so diagnostics can show them.
pub fn load_module(dir: &Path, sources: &mut Sources) -> (Module, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut m = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    let files = match config_files(dir) {
        Ok(f) => f,
        Err(e) => {
            diags.push(
                Diagnostic::error(format!(
                    "Cannot read module directory {}",
                    display_path(dir)
                ))
                .detail(e.to_string())
                .hint("check that the directory exists and is readable"),
            );
            return (m, diags);
        }
    };
    for path in files {
        let name: Arc<str> = display_path(&path).into();
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    diags.push(
                        Diagnostic::error(format!("{name} is not valid UTF-8"))
                            .hint("save the file with UTF-8 encoding"),
                    );
                    continue;
                }
            },
            Err(e) => {
                diags.push(Diagnostic::error(format!("Cannot read {name}")).detail(e.to_string()));
                continue;
            }
        };
        let src: Arc<str> = text.into();
        sources.add(name.clone(), src.clone());
        let parsed = if path.to_string_lossy().ends_with(".json") {
            json::parse_body(name, src)
        } else {
            parse::parse_body(name, src)
        };
        match parsed {
            Ok(body) => decode_file(&mut m, &body, &mut diags),
            Err(d) => diags.push(d),
        }
        m.files.push(path);
    }
    if m.files.is_empty() {
        diags.push(
            Diagnostic::error(format!("No configuration files in {}", display_path(dir)))
                .detail("A module is a directory of .tf or .tf.json files; this one has none.")
                .hint("check the path, or create a main.tf"),
        );
    }
    (m, diags)
}
