//! Diagnostics: errors and warnings a user can act on.
//!
//! Every diagnostic a user can cause carries the source range it is about (file, line, column),
//! and renders with the source line underlined and a hint saying what to do. Diagnostics are
//! plain data: the CLI renders them as text or as JSON (`sakk validate --json`).

use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a source file: 1-based line and column (in characters), 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// A range in a named source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Range {
    pub filename: Arc<str>,
    pub start: Pos,
    pub end: Pos,
}

impl Range {
    /// A range that spans from the start of `self` to the end of `other` (same file).
    pub fn to(&self, other: &Range) -> Range {
        Range {
            filename: self.filename.clone(),
            start: self.start,
            end: other.end,
        }
    }

    /// HCL's `Range.String()`: `file:line,col-endcol`, or `file:line,col-endline,endcol` for a
    /// range over several lines.
    pub fn hcl_string(&self) -> String {
        if self.start.line == self.end.line {
            format!(
                "{}:{},{}-{}",
                self.filename, self.start.line, self.start.column, self.end.column
            )
        } else {
            format!(
                "{}:{},{}-{},{}",
                self.filename, self.start.line, self.start.column, self.end.line, self.end.column
            )
        }
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.filename, self.start.line, self.start.column
        )
    }
}

/// Converts byte offsets of one file into line/column positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    filename: Arc<str>,
    src: Arc<str>,
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(filename: Arc<str>, src: Arc<str>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            filename,
            src,
            line_starts,
        }
    }

    pub fn filename(&self) -> &Arc<str> {
        &self.filename
    }

    pub fn pos(&self, byte: usize) -> Pos {
        let byte = byte.min(self.src.len());
        let line = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self
            .src
            .get(start..byte)
            .map(|s| s.chars().count())
            .unwrap_or(byte - start)
            + 1;
        Pos {
            line: line + 1,
            column,
            byte,
        }
    }

    pub fn range(&self, span: std::ops::Range<usize>) -> Range {
        Range {
            filename: self.filename.clone(),
            start: self.pos(span.start),
            end: self.pos(span.end),
        }
    }

    /// The range of the whole file's first byte (used when nothing better is known).
    pub fn file_start(&self) -> Range {
        self.range(0..0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the user's configuration or input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// More detail, may span several lines.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// What the user can do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    /// Further places that help explain it (e.g. the previous definition, members of a cycle).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<(String, Range)>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: String::new(),
            hint: None,
            range: None,
            related: Vec::new(),
        }
    }

    pub fn warning(summary: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary)
        }
    }

    pub fn at(mut self, range: &Range) -> Self {
        self.range = Some(range.clone());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn related(mut self, what: impl Into<String>, range: &Range) -> Self {
        self.related.push((what.into(), range.clone()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A list of diagnostics, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The text of every source file read, so diagnostics can show the offending line.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: HashMap<Arc<str>, Arc<str>>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, filename: Arc<str>, src: Arc<str>) {
        self.files.insert(filename, src);
    }
    pub fn get(&self, filename: &str) -> Option<&str> {
        self.files.get(filename).map(|s| &**s)
    }
    pub fn merge(&mut self, other: Sources) {
        self.files.extend(other.files);
    }
    fn line(&self, filename: &str, line: usize) -> Option<&str> {
        self.get(filename)?.lines().nth(line.checked_sub(1)?)
    }
}

/// How to show file names: relative to the working directory when possible.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let rel = path.strip_prefix(&cwd).unwrap_or(path);
    // Drop `.` components so `./mod/../x/main.tf` style joins stay readable.
    let clean: PathBuf = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let s = clean.to_string_lossy();
    if s.is_empty() {
        ".".into()
    } else {
        s.into_owned()
    }
}

/// Styling for rendered diagnostics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Renders one diagnostic as text, Terraform-style:
///
/// ```text
/// Error: Reference to undeclared input variable
///
///   on main.tf line 3, column 11 (main.tf:3:11):
///    3:   name = var.nope
///                ^^^^^^^^
///
/// An input variable with the name "nope" has not been declared.
/// Hint: did you mean "name"?
/// ```
pub fn render(d: &Diagnostic, sources: &Sources, style: Style) -> String {
    let mut out = String::new();
    let (label, code) = match d.severity {
        Severity::Error => ("Error", "1;31"),
        Severity::Warning => ("Warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(code, label),
        style.paint("1", &d.summary)
    );
    if let Some(r) = &d.range {
        out.push('\n');
        let _ = writeln!(out, "  on {r}:");
        snippet(&mut out, r, sources, style);
    }
    if !d.detail.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", d.detail);
    }
    for (what, r) in &d.related {
        let _ = writeln!(out, "  - {what} ({r})");
        snippet(&mut out, r, sources, style);
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "{} {h}", style.paint("1;36", "Hint:"));
    }
    out
}

fn snippet(out: &mut String, r: &Range, sources: &Sources, style: Style) {
    let Some(line) = sources.line(&r.filename, r.start.line) else {
        return;
    };
    let num = r.start.line.to_string();
    let _ = writeln!(out, "  {num} | {line}");
    let width = line.chars().count();
    let start = r.start.column.saturating_sub(1).min(width);
    let end = if r.end.line == r.start.line {
        r.end
            .column
            .saturating_sub(1)
            .clamp(start + 1, width.max(start + 1))
    } else {
        width.max(start + 1)
    };
    let pad: String = line
        .chars()
        .take(start)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(
        out,
        "  {} | {}{}",
        " ".repeat(num.len()),
        pad,
        style.paint("1;31", &"^".repeat(end - start))
    );
}

/// Renders all diagnostics separated by blank lines.
pub fn render_all(ds: &Diagnostics, sources: &Sources, style: Style) -> String {
    ds.iter()
        .map(|d| render(d, sources, style))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Suggests the closest of `candidates` to `name`, if one is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_chars() {
        let idx = LineIndex::new("a.tf".into(), "ab\ncä d\n".into());
        assert_eq!(
            idx.pos(0),
            Pos {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        assert_eq!(
            idx.pos(3),
            Pos {
                line: 2,
                column: 1,
                byte: 3
            }
        );
        // 'ä' is two bytes but one column
        assert_eq!(idx.pos(6).column, 3);
    }

    #[test]
    fn render_underlines_the_range() {
        let mut s = Sources::new();
        s.add("main.tf".into(), "x = 1\n  y = var.nope\n".into());
        let idx = LineIndex::new("main.tf".into(), s.get("main.tf").unwrap().into());
        let d = Diagnostic::error("Reference to undeclared input variable")
            .at(&idx.range(12..20))
            .hint("did you mean \"name\"?");
        let text = render(&d, &s, Style::default());
        assert!(text.contains("  on main.tf:2:7:"), "{text}");
        assert!(
            text.contains("  2 |   y = var.nope\n    |       ^^^^^^^^\n"),
            "{text}"
        );
        assert!(text.contains("Hint: did you mean \"name\"?"));
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(suggest("nmae", ["name", "region"]), Some("name"));
        assert_eq!(suggest("zzz", ["name", "region"]), None);
    }
}
