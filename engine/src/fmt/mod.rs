//! `sakk fmt`: Terraform's canonical formatting.
//!
//! The output is byte for byte what `terraform fmt` (Terraform 1.0) writes. Like Terraform,
//! formatting is a pass over tokens, not a pretty-printer over a syntax tree: comments,
//! strings, heredocs and templates are kept verbatim and only the whitespace between tokens
//! changes, plus a few rewrites Terraform makes (see [`rewrite`]).
//!
//! - [`format_source`] formats one file's text.
//! - [`format_paths`] formats files and directories, optionally checking, diffing or writing.

// `Diagnostic` is the project's error type throughout; keep it unboxed like `lang::parse`.
#![allow(clippy::result_large_err)]

mod diff;
mod layout;
mod lexer;
mod rewrite;

pub use diff::unified_diff;

use crate::diag::{Diagnostic, LineIndex};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Formats the text of one file. Returns a syntax error (with its position) if `src` is not
/// valid HCL native syntax; such a file must be left as it is.
pub fn format_source(filename: &str, src: &str) -> Result<String, Diagnostic> {
    // Terraform drops a byte order mark.
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    // (The parser also rejects an argument set twice in one body, as Terraform's does.)
    crate::lang::parse::parse_body(filename.into(), src.into())?;
    Ok(format_unchecked(src))
}

/// Formats without validating the syntax first. On invalid input the result is unspecified
/// (but this never panics).
pub fn format_unchecked(src: &str) -> String {
    let mut tokens = rewrite::rewrite(lexer::lex(src));
    layout::format(&mut tokens);
    layout::render(&tokens)
}

/// What [`format_paths`] should do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FmtOptions {
    /// Only report which files would change; never write (like `terraform fmt -check`).
    pub check: bool,
    /// Include a unified diff for each changed file.
    pub diff: bool,
    /// Descend into subdirectories of the directories given.
    pub recursive: bool,
    /// Write changed files back (ignored when `check` is set, and for standard input).
    pub write: bool,
}

/// The outcome for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// The file (`-` for standard input), as given or joined under the directory given.
    pub path: PathBuf,
    /// The formatted text differs from the file's.
    pub changed: bool,
    /// Whether the formatted text was written back to the file.
    pub written: bool,
    /// The unified diff, when [`FmtOptions::diff`] is set and the file changed.
    pub diff: Option<String>,
    /// The formatted text, when the caller should print it (neither `check`, `diff` nor
    /// `write`, as `terraform fmt -write=false` prints it; and always for standard input
    /// unless `check` or `diff`).
    pub formatted: Option<String>,
    /// A syntax or I/O error; the file was left untouched.
    pub error: Option<Diagnostic>,
}

impl FileOutcome {
    fn new(path: PathBuf) -> Self {
        FileOutcome {
            path,
            changed: false,
            written: false,
            diff: None,
            formatted: None,
            error: None,
        }
    }
}

/// The outcome of [`format_paths`], one entry per file looked at, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FmtReport {
    pub files: Vec<FileOutcome>,
}

impl FmtReport {
    /// The files whose formatting differs.
    pub fn changed(&self) -> impl Iterator<Item = &FileOutcome> {
        self.files.iter().filter(|f| f.changed)
    }

    /// The errors, in order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().filter_map(|f| f.error.as_ref())
    }

    /// 1 if any file could not be read, parsed or written; else 3 if `check` found a file
    /// that would change; else 0.
    pub fn exit_code(&self, opts: &FmtOptions) -> i32 {
        if self.errors().next().is_some() {
            1
        } else if opts.check && self.changed().next().is_some() {
            3
        } else {
            0
        }
    }
}

/// Formats the given files and directories (`-` is standard input). A directory's `*.tf`
/// and `*.tfvars` files are formatted in name order, skipping hidden and editor backup
/// files; its subdirectories only with [`FmtOptions::recursive`]. A file given explicitly
/// must be a `.tf` or `.tfvars` file. No paths means the current directory.
pub fn format_paths(paths: &[PathBuf], opts: &FmtOptions) -> FmtReport {
    let mut report = FmtReport::default();
    let cwd = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &cwd[..] } else { paths };
    for path in paths {
        if path.as_os_str() == "-" {
            report.files.push(format_stdin(opts));
            continue;
        }
        match std::fs::metadata(path) {
            Err(_) => {
                let mut out = FileOutcome::new(path.clone());
                out.error = Some(Diagnostic::error(format!(
                    "No file or directory at {}",
                    path.display()
                )));
                report.files.push(out);
            }
            Ok(md) if md.is_dir() => format_dir(path, opts, &mut report),
            Ok(_) if is_config_file(path) => report.files.push(format_file(path, opts)),
            Ok(_) => {
                let mut out = FileOutcome::new(path.clone());
                out.error = Some(
                    Diagnostic::error("Only .tf and .tfvars files can be processed with fmt")
                        .detail(format!("{} is neither.", path.display())),
                );
                report.files.push(out);
            }
        }
    }
    report
}

fn is_config_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("tf" | "tfvars")
    )
}

/// Hidden files and editor temporaries, which Terraform never loads.
fn is_ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

fn format_dir(dir: &Path, opts: &FmtOptions, report: &mut FmtReport) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).collect::<Vec<_>>(),
        Err(e) => {
            let mut out = FileOutcome::new(dir.to_path_buf());
            out.error = Some(Diagnostic::error(format!(
                "Cannot read directory {}: {e}",
                dir.display()
            )));
            report.files.push(out);
            return;
        }
    };
    let mut entries: Vec<(String, bool)> = entries
        .into_iter()
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (e.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    entries.sort();
    for (name, is_dir) in entries {
        if is_ignored(&name) {
            continue;
        }
        let path = dir.join(&name);
        if is_dir {
            if opts.recursive {
                format_dir(&path, opts, report);
            }
        } else if is_config_file(&path) {
            report.files.push(format_file(&path, opts));
        }
    }
}

fn format_stdin(opts: &FmtOptions) -> FileOutcome {
    use std::io::Read as _;
    let mut out = FileOutcome::new(PathBuf::from("-"));
    let mut src = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut src) {
        out.error = Some(Diagnostic::error(format!(
            "Cannot read standard input: {e}"
        )));
        return out;
    }
    format_text(&mut out, "-", &src, opts);
    if out.error.is_none() && !opts.check && !opts.diff && out.formatted.is_none() {
        out.formatted = Some(format_unchecked(&src));
    }
    out
}

fn format_file(path: &Path, opts: &FmtOptions) -> FileOutcome {
    let mut out = FileOutcome::new(path.to_path_buf());
    let name = path.to_string_lossy().into_owned();
    let src = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                out.error = Some(
                    Diagnostic::error("Invalid UTF-8")
                        .at(&LineIndex::new(name.as_str().into(), Arc::from("")).file_start())
                        .detail(format!("{name} is not valid UTF-8 text.")),
                );
                return out;
            }
        },
        Err(e) => {
            out.error = Some(Diagnostic::error(format!("Cannot read {name}: {e}")));
            return out;
        }
    };
    let Some(formatted) = format_text(&mut out, &name, &src, opts) else {
        return out;
    };
    if out.changed && opts.write && !opts.check {
        match write_atomically(path, &formatted) {
            Ok(()) => out.written = true,
            Err(e) => out.error = Some(Diagnostic::error(format!("Cannot write {name}: {e}"))),
        }
    }
    out
}

/// Formats `src` into `out`; returns the formatted text unless there was an error.
fn format_text(out: &mut FileOutcome, name: &str, src: &str, opts: &FmtOptions) -> Option<String> {
    let formatted = match format_source(name, src) {
        Ok(f) => f,
        Err(d) => {
            out.error = Some(d);
            return None;
        }
    };
    out.changed = formatted != src;
    if opts.diff && out.changed {
        out.diff = Some(unified_diff(&name.replace('\\', "/"), src, &formatted));
    }
    if !opts.check && !opts.diff && !opts.write {
        out.formatted = Some(formatted.clone());
    }
    Some(formatted)
}

/// Replaces `path`'s content by writing a temporary file next to it and renaming it over,
/// keeping the original's permissions.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let perms = std::fs::metadata(path)?.permissions();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.sakk-fmt-{}-{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::set_permissions(&tmp, perms)?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_spaces() {
        let src = "resource aws_instance web {\nami=\"x\"\n  instance_type   =   \"t2\" # c\n}\n";
        assert_eq!(
            format_source("a.tf", src).unwrap(),
            "resource \"aws_instance\" \"web\" {\n  ami           = \"x\"\n  instance_type = \"t2\" # c\n}\n"
        );
    }

    #[test]
    fn unwraps_interpolation_and_types() {
        let src = "variable \"v\" {\n  type = \"map\"\n}\nx = \"${var.v}\"\ny = \"a${b}\"\n";
        assert_eq!(
            format_source("a.tf", src).unwrap(),
            "variable \"v\" {\n  type = map(string)\n}\nx = var.v\ny = \"a${b}\"\n"
        );
    }

    #[test]
    fn nested_interpolation_unwraps_one_level_per_run() {
        // Like terraform fmt, which is not idempotent here: a second run unwraps again.
        let once = format_source("a.tf", "x = \"${ \"${a}\" }\"\n").unwrap();
        assert_eq!(once, "x = \"${a}\"\n");
        assert_eq!(format_source("a.tf", &once).unwrap(), "x = a\n");
    }

    #[test]
    fn multi_line_interpolation_is_parenthesised() {
        let src = "x = \"${a ?\nb : c}\"\ny = \"${(a +\nb)}\"\n";
        assert_eq!(
            format_source("a.tf", src).unwrap(),
            "x = (a ?\nb : c)\ny = (a +\nb)\n"
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = format_source("bad.tf", "a = 1\nb = {\n").unwrap_err();
        assert!(err.is_error());
        assert!(err.range.is_some());
        let dup = format_source("d.tf", "a = 1\na = 2\n").unwrap_err();
        assert_eq!(dup.range.unwrap().start.line, 2);
    }

    #[test]
    fn ignored_names() {
        assert!(is_ignored(".terraform"));
        assert!(is_ignored("main.tf~"));
        assert!(is_ignored("#main.tf#"));
        assert!(!is_ignored("main.tf"));
    }
}
