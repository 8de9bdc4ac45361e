//! The manifest tree: a Kubernetes object as plain data (maps in a chosen order, sequences,
//! scalars), made from a configuration [`Value`], checked and coerced against a CRD schema, and
//! written as YAML. Unknown values ("known after apply") stay as [`Node::Unknown`] during plan.

use engine::lang::value::{Kind, Value};
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Unknown,
    Bool(bool),
    /// A number as exact decimal text (`3`, `0.5`).
    Num(String),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in output order.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Node::Unknown => false,
            Node::Seq(xs) => xs.iter().all(Node::is_wholly_known),
            Node::Map(m) => m.iter().all(|(_, v)| v.is_wholly_known()),
            _ => true,
        }
    }
    /// Moves the given keys to the front (in that order); the rest keep their order.
    pub fn reorder_front(self, first: &[&str]) -> Node {
        match self {
            Node::Map(mut m) => {
                let mut out = Vec::with_capacity(m.len());
                for k in first {
                    if let Some(i) = m.iter().position(|(x, _)| x == k) {
                        out.push(m.remove(i));
                    }
                }
                out.extend(m);
                Node::Map(out)
            }
            other => other,
        }
    }
}

/// A path inside a manifest, printed as `spec.source.helm.parameters[0].value` (map keys that
/// are not identifiers as `["argocd.argoproj.io/sync-wave"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Seg>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Path {
    pub fn root(name: &str) -> Path {
        Path(vec![Seg::Key(name.to_string())])
    }
    pub fn key(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
    }
    /// The key before the last key.
    pub fn parent_key(&self) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .nth(1)
    }
}

fn is_ident(k: &str) -> bool {
    let mut cs = k.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if is_ident(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[{}]", engine::lang::value::go_quote(k))?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One problem found in a manifest, at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub path: String,
    pub message: String,
}

impl Issue {
    pub fn new(path: &Path, message: impl Into<String>) -> Issue {
        Issue {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Decides whether a sensitive value at a path may be written (it is a reference to a secret,
/// not the secret).
pub trait SecretPolicy {
    fn allows(&self, path: &Path, v: &Value) -> bool;
}

/// The problem of a sensitive value the policy does not allow.
pub const SENSITIVE_VALUE: &str =
    "would commit a secret to Git: the value is sensitive, or derived from a sensitive value";

/// Converts a configuration value to a tree. Nulls inside objects and maps are dropped (an unset
/// optional field); a sensitive value is an issue unless `policy` allows it.
pub fn from_value(
    v: &Value,
    path: &Path,
    policy: &dyn SecretPolicy,
    issues: &mut Vec<Issue>,
) -> Node {
    if v.is_sensitive() {
        if !policy.allows(path, v) {
            issues.push(Issue::new(path, SENSITIVE_VALUE));
            return Node::Unknown;
        }
        let (plain, _) = v.clone().unmark_deep();
        return from_value(&plain, path, policy, issues);
    }
    match v.kind() {
        Kind::Null => Node::Null,
        Kind::Unknown => Node::Unknown,
        Kind::Bool(b) => Node::Bool(b),
        Kind::Number(n) => {
            if n.is_inf() {
                issues.push(Issue::new(path, "must be a finite number"));
                Node::Null
            } else {
                Node::Num(n.text_f())
            }
        }
        Kind::String(s) => Node::Str(s.to_string()),
        Kind::List(xs) | Kind::Set(xs) | Kind::Tuple(xs) => Node::Seq(
            xs.iter()
                .enumerate()
                .map(|(i, x)| from_value(x, &path.index(i), policy, issues))
                .collect(),
        ),
        Kind::Map(m) | Kind::Object(m) => Node::Map(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), from_value(x, &path.key(k), policy, issues)))
                .collect(),
        ),
    }
}

/// Converts a tree back to a value (objects for maps, tuples for sequences), for import.
pub fn to_value(n: &Node) -> Value {
    match n {
        Node::Null => Value::null_dynamic(),
        Node::Unknown => Value::unknown_dynamic(),
        Node::Bool(b) => Value::bool(*b),
        Node::Num(t) => engine::lang::number::Number::parse(t)
            .map(Value::number)
            .unwrap_or_else(|| Value::string(t.as_str())),
        Node::Str(s) => Value::string(s.as_str()),
        Node::Seq(xs) => Value::tuple(xs.iter().map(to_value).collect()),
        Node::Map(m) => Value::object(m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    }
}

/// Parses one YAML document into a tree (for import and for reading files back).
pub fn parse_yaml(src: &str) -> Result<Node, String> {
    use yaml_rust2::{Yaml, YamlLoader};
    fn conv(y: &Yaml) -> Result<Node, String> {
        Ok(match y {
            Yaml::Null => Node::Null,
            Yaml::Boolean(b) => Node::Bool(*b),
            Yaml::Integer(i) => Node::Num(i.to_string()),
            Yaml::Real(r) => Node::Num(r.clone()),
            Yaml::String(s) => Node::Str(s.clone()),
            Yaml::Array(xs) => Node::Seq(xs.iter().map(conv).collect::<Result<_, _>>()?),
            Yaml::Hash(h) => {
                let mut m = Vec::with_capacity(h.len());
                for (k, v) in h {
                    let k = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        Yaml::Real(r) => r.clone(),
                        _ => return Err("a map key is not a scalar".into()),
                    };
                    m.push((k, conv(v)?));
                }
                Node::Map(m)
            }
            Yaml::Alias(_) => return Err("YAML aliases are not supported".into()),
            Yaml::BadValue => return Err("invalid YAML value".into()),
        })
    }
    let docs = YamlLoader::load_from_str(src).map_err(|e| e.to_string())?;
    match docs.as_slice() {
        [one] => conv(one),
        [] => Err("the file holds no YAML document".into()),
        _ => Err("the file holds more than one YAML document".into()),
    }
}

// ---- YAML output ----

/// Writes a tree as a YAML document (block style, two-space indentation, sequences indented
/// under their key). Deterministic: the same tree gives the same bytes.
pub fn to_yaml(n: &Node) -> String {
    let mut out = String::new();
    match n {
        Node::Map(m) if !m.is_empty() => write_map(m, 0, &mut out),
        Node::Seq(xs) if !xs.is_empty() => write_seq(xs, 0, &mut out),
        other => {
            write_scalar(other, 0, &mut out);
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn is_block(n: &Node) -> bool {
    matches!(n, Node::Map(m) if !m.is_empty()) || matches!(n, Node::Seq(xs) if !xs.is_empty())
}

fn write_map(m: &[(String, Node)], indent: usize, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str(&key_text(k));
        out.push(':');
        write_value_after_key(v, indent, out);
    }
}

fn write_value_after_key(v: &Node, indent: usize, out: &mut String) {
    match v {
        Node::Map(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_map(m, indent + 2, out);
        }
        Node::Seq(xs) if !xs.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_seq(xs, indent + 2, out);
        }
        other => {
            out.push(' ');
            write_scalar(other, indent + 2, out);
            out.push('\n');
        }
    }
}

fn write_seq(xs: &[Node], indent: usize, out: &mut String) {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str("- ");
        match x {
            Node::Map(m) if !m.is_empty() => write_map(m, indent + 2, out),
            Node::Seq(ys) if !ys.is_empty() => write_seq(ys, indent + 2, out),
            other => {
                write_scalar(other, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

/// Writes a scalar (or an empty collection). `indent` is the indentation of a block literal's
/// lines.
fn write_scalar(n: &Node, indent: usize, out: &mut String) {
    debug_assert!(!is_block(n));
    match n {
        Node::Null | Node::Unknown => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Num(t) => out.push_str(t),
        Node::Str(s) => write_string(s, indent, out),
        Node::Seq(_) => out.push_str("[]"),
        Node::Map(_) => out.push_str("{}"),
    }
}

fn key_text(k: &str) -> String {
    if plain_ok(k) {
        k.to_string()
    } else {
        double_quoted(k)
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() || "-+.?:,[]{}#&*!|>'\"%@`~ \t".contains(first) {
        return false;
    }
    if s.ends_with([' ', ':', '\t']) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{feff}' | '\u{2028}' | '\u{2029}'))
    {
        return false;
    }
    // Words that YAML 1.1 or 1.2 read as something other than a string.
    let lower = s.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | ".inf" | ".nan"
    )
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{85}' | '\u{feff}' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line string as a literal block (`|`), when that keeps it exactly.
fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n', '\t'])
        && !s.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{85}' | '\u{feff}' | '\u{2028}' | '\u{2029}')
        })
        && s.trim_end_matches('\n')
            .split('\n')
            .all(|l| l.is_empty() || !l.chars().all(|c| c == ' ' || c == '\t'))
}

fn write_string(s: &str, indent: usize, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
    } else if literal_ok(s) {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        out.push_str(match trailing {
            0 => "|-",
            1 => "|",
            _ => "|+",
        });
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                pad(out, indent);
                out.push_str(line);
            }
        }
        for _ in 1..trailing {
            out.push('\n');
        }
    } else {
        out.push_str(&double_quoted(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Node {
        Node::Str(x.to_string())
    }

    #[test]
    fn yaml_shapes() {
        let n = Node::Map(vec![
            ("apiVersion".into(), s("argoproj.io/v1alpha1")),
            (
                "metadata".into(),
                Node::Map(vec![
                    (
                        "annotations".into(),
                        Node::Map(vec![("argocd.argoproj.io/sync-wave".into(), s("1"))]),
                    ),
                    ("finalizers".into(), Node::Seq(vec![s("a"), s("b")])),
                    ("labels".into(), Node::Map(vec![])),
                ]),
            ),
            (
                "list".into(),
                Node::Seq(vec![
                    Node::Map(vec![("name".into(), s("x")), ("value".into(), s("true"))]),
                    Node::Seq(vec![Node::Num("1".into())]),
                ]),
            ),
            ("values".into(), s("a: 1\nb:\n  c: 2\n")),
        ]);
        let y = to_yaml(&n);
        assert_eq!(
            y,
            "apiVersion: argoproj.io/v1alpha1\nmetadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n  finalizers:\n    - a\n    - b\n  labels: {}\nlist:\n  - name: x\n    value: \"true\"\n  - - 1\nvalues: |\n  a: 1\n  b:\n    c: 2\n"
        );
        assert_eq!(parse_yaml(&y).ok(), Some(n));
    }

    #[test]
    fn strings_round_trip() {
        for x in [
            "",
            " lead",
            "trail ",
            "a: b",
            "#x",
            "x #y",
            "yes",
            "NULL",
            "0755",
            "1e3",
            "-",
            "- x",
            "tab\there",
            "multi\nline",
            "multi\nline\n\n",
            "  indented\nfirst",
            "ws\n   \nx",
            "quote\"s",
            "back\\slash",
            "ünïcode",
            "\u{1}ctl",
            "cr\r\nlf",
            "{a}",
            "[b]",
            "*star",
            "&amp",
            "!tag",
            "%p",
            "@at",
            "`bt",
            "x:",
            "~",
            "a\n",
            "é\n",
        ] {
            let n = Node::Map(vec![("k".into(), s(x)), (x.to_string(), s("v"))]);
            let y = to_yaml(&n);
            assert_eq!(parse_yaml(&y).ok(), Some(n), "{x:?} as\n{y}");
        }
    }

    #[test]
    fn paths_print() {
        let p = Path::root("metadata")
            .key("annotations")
            .key("argocd.argoproj.io/sync-wave");
        assert_eq!(
            p.to_string(),
            "metadata.annotations[\"argocd.argoproj.io/sync-wave\"]"
        );
        assert_eq!(
            Path::root("spec")
                .key("sources")
                .index(2)
                .key("helm")
                .to_string(),
            "spec.sources[2].helm"
        );
    }
}
