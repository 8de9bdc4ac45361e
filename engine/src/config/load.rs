//! Reading one module directory: every `*.tf` and `*.tf.json` file, in name order, then the
//! override files (`override.tf`, `*_override.tf`, and `.tf.json`), in name order, merged into
//! the others (see [`super::merge`]).

use super::decode::decode_file;
use super::merge::{is_override_file, merge_file, merge_terraform};
use super::Module;
use crate::diag::{display_path, Diagnostic, Diagnostics, Sources};
use crate::lang::ast::Body;
use crate::lang::{json, parse};
use crate::vfs::{FileSystem, OsFs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration files of `dir`, sorted by name. Editor backups and hidden files are skipped,
/// as Terraform does.
pub fn config_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    config_files_with(&OsFs, dir)
}

/// [`config_files`] read through `fs`.
pub fn config_files_with(fs: &dyn FileSystem, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for name in fs.read_dir(dir)? {
        if name.starts_with('.') || name.starts_with('#') || name.ends_with('~') {
            continue;
        }
        if !(name.ends_with(".tf") || name.ends_with(".tf.json")) {
            continue;
        }
        let path = dir.join(&name);
        if fs.metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Loads the module in `dir`. Returns the module (possibly partial) and every problem found;
/// file texts are added to `sources` so diagnostics can show them.
pub fn load_module(dir: &Path, sources: &mut Sources) -> (Module, Diagnostics) {
    load_module_with(&OsFs, dir, sources)
}

/// [`load_module`] read through `fs`.
pub fn load_module_with(
    fs: &dyn FileSystem,
    dir: &Path,
    sources: &mut Sources,
) -> (Module, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut m = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    let files = match config_files_with(fs, dir) {
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
    let (overrides, primaries): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_override_file)
    });
    let mut bodies = Vec::with_capacity(primaries.len());
    for path in &primaries {
        if let Some(body) = read_file(fs, path, sources, &mut diags) {
            bodies.push(body);
        }
        m.files.push(path.clone());
    }
    let mut extra = Body::default();
    let mut terraform_overrides = Vec::new();
    for path in &overrides {
        if let Some(over) = read_file(fs, path, sources, &mut diags) {
            terraform_overrides.push(merge_file(&mut bodies, &mut extra, &over, &mut diags));
        }
        m.files.push(path.clone());
    }
    for body in bodies.iter().chain([&extra]) {
        decode_file(&mut m, body, &mut diags);
    }
    for blocks in &terraform_overrides {
        merge_terraform(&mut m, blocks, &mut diags);
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

/// Reads and parses one configuration file; None (with a diagnostic) when it cannot.
fn read_file(
    fs: &dyn FileSystem,
    path: &Path,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Body> {
    let name: Arc<str> = display_path(path).into();
    let text = match fs.read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                diags.push(
                    Diagnostic::error(format!("{name} is not valid UTF-8"))
                        .hint("save the file with UTF-8 encoding"),
                );
                return None;
            }
        },
        Err(e) => {
            diags.push(Diagnostic::error(format!("Cannot read {name}")).detail(e.to_string()));
            return None;
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
        Ok(body) => Some(body),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}
