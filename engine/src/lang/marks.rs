//! Sensitive marks by path and by content: what the state records (Terraform's
//! `sensitive_attributes`), putting them back on values read from the state or from a provider,
//! and keeping secrets out of values and texts that a provider derived from them (`tags_all`
//! built from `tags`, an error message that quotes an argument). The declassified positions
//! (values that went through `nonsensitive()`) by path too: the state does not keep them
//! (Terraform keeps nothing for them), but the planned value a provider returns gets them back
//! from the configuration, so the plan can say what was declassified.

use super::value::{Kind, Marks, Step, Value};

/// A step of a [`Path`]: an attribute or map key, or an element index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

pub type Path = Vec<PathStep>;

/// The paths of the outermost sensitive positions in `v` (nothing below a marked value). A
/// marked element of a set is reported as the set itself (set elements have no stable index).
pub fn sensitive_paths(v: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    collect(v, &mut Vec::new(), &mut out);
    out
}

fn collect(v: &Value, path: &mut Path, out: &mut Vec<Path>) {
    if v.is_sensitive() {
        out.push(path.clone());
        return;
    }
    match v.kind() {
        Kind::Set(items) if items.iter().any(|x| x.marks_deep().is_sensitive()) => {
            out.push(path.clone());
        }
        Kind::List(items) | Kind::Tuple(items) => {
            for (i, x) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                collect(x, path, out);
                path.pop();
            }
        }
        Kind::Map(m) | Kind::Object(m) => {
            for (k, x) in m {
                path.push(PathStep::Key(k.clone()));
                collect(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The paths of the outermost declassified positions in `v` that are not sensitive (nothing
/// below a declassified value, nothing at or below a sensitive one: that is sensitive whatever
/// went into it). A declassified element of a set is reported as the set itself.
pub fn declassified_paths(v: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    if v.marks_deep().is_declassified() {
        collect_declassified(v, &mut Vec::new(), &mut out);
    }
    out
}

fn collect_declassified(v: &Value, path: &mut Path, out: &mut Vec<Path>) {
    if v.is_sensitive() {
        return;
    }
    if v.is_declassified() {
        out.push(path.clone());
        return;
    }
    match v.kind() {
        Kind::Set(items)
            if items
                .iter()
                .any(|x| !x.is_sensitive() && x.marks_deep().is_declassified()) =>
        {
            out.push(path.clone());
        }
        Kind::List(items) | Kind::Tuple(items) => {
            for (i, x) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                collect_declassified(x, path, out);
                path.pop();
            }
        }
        Kind::Map(m) | Kind::Object(m) => {
            for (k, x) in m {
                path.push(PathStep::Key(k.clone()));
                collect_declassified(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `v` marked sensitive at each of `paths` (paths that name nothing are ignored).
pub fn mark_paths(v: Value, paths: &[Path]) -> Value {
    mark_paths_with(v, paths, Marks::SENSITIVE)
}

/// `v` with `marks` added at each of `paths` (paths that name nothing are ignored).
pub fn mark_paths_with(v: Value, paths: &[Path], marks: Marks) -> Value {
    if paths.is_empty() {
        return v;
    }
    if paths.iter().any(|p| p.is_empty()) {
        return v.mark(marks);
    }
    v.map_children(|step, x| {
        let rest: Vec<Path> = paths
            .iter()
            .filter(|p| match (&p[0], step) {
                (PathStep::Key(a), Step::Key(b)) => a == b,
                (PathStep::Index(a), Step::Index(b)) => *a == b,
                _ => false,
            })
            .map(|p| p[1..].to_vec())
            .collect();
        if rest.is_empty() {
            x.clone()
        } else {
            mark_paths_with(x.clone(), &rest, marks)
        }
    })
}

/// The shortest text worth looking for: shorter sensitive strings ("", "a", "no") would mark
/// unrelated values.
const MIN_SECRET_LEN: usize = 3;

/// The strings inside `v` under a sensitive mark (at least [`MIN_SECRET_LEN`] characters).
pub fn sensitive_strings(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    strings(v, false, &mut out);
    out.sort();
    out.dedup();
    out
}

fn strings(v: &Value, under: bool, out: &mut Vec<String>) {
    let under = under || v.is_sensitive();
    match v.kind() {
        Kind::String(s) if under && s.chars().count() >= MIN_SECRET_LEN => out.push(s.to_string()),
        Kind::List(items) | Kind::Set(items) | Kind::Tuple(items) => {
            items.iter().for_each(|x| strings(x, under, out))
        }
        Kind::Map(m) | Kind::Object(m) => m.values().for_each(|x| strings(x, under, out)),
        _ => {}
    }
}

/// `v` with every string that contains one of `secrets` marked sensitive: a value a provider
/// computed from a sensitive input (`tags_all` from `tags`) stays sensitive.
pub fn mark_containing(v: Value, secrets: &[String]) -> Value {
    if secrets.is_empty() || v.is_sensitive() {
        return v;
    }
    match v.kind() {
        Kind::String(s) if secrets.iter().any(|x| s.contains(x.as_str())) => v.mark_sensitive(),
        Kind::List(_) | Kind::Set(_) | Kind::Tuple(_) | Kind::Map(_) | Kind::Object(_) => {
            v.map_children(|_, x| mark_containing(x.clone(), secrets))
        }
        _ => v,
    }
}

/// `text` with every occurrence of a secret replaced by `(sensitive value)`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    // Longest first, so a secret containing another is replaced whole.
    let mut by_len: Vec<&String> = secrets.iter().collect();
    by_len.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in by_len {
        if !s.is_empty() {
            out = out.replace(s.as_str(), "(sensitive value)");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::types::Type;

    fn obj(v: Vec<(&str, Value)>) -> Value {
        Value::object(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect())
    }

    #[test]
    fn paths_round_trip_at_any_depth() {
        let v = obj(vec![
            ("id", Value::string("i-1")),
            (
                "tags",
                Value::map(
                    Type::String,
                    vec![
                        ("pw".into(), Value::string("hunter2").mark_sensitive()),
                        ("team".into(), Value::string("a")),
                    ],
                ),
            ),
            (
                "rules",
                Value::list(
                    Type::String,
                    vec![Value::string("x"), Value::string("y").mark_sensitive()],
                ),
            ),
            (
                "set",
                Value::set(Type::String, vec![Value::string("s3cret").mark_sensitive()]),
            ),
        ]);
        let paths = sensitive_paths(&v);
        assert_eq!(
            paths,
            vec![
                vec![PathStep::Key("rules".into()), PathStep::Index(1)],
                vec![PathStep::Key("set".into())],
                vec![PathStep::Key("tags".into()), PathStep::Key("pw".into())],
            ]
        );
        let (plain, _) = v.clone().unmark_deep();
        let back = mark_paths(plain, &paths);
        assert_eq!(sensitive_paths(&back), paths);
        assert!(!back.get_attr("id").is_some_and(Value::is_sensitive));
        assert!(mark_paths(Value::string("x"), &[vec![]]).is_sensitive());
    }

    #[test]
    fn derived_values_and_texts_keep_secrets() {
        let config = obj(vec![(
            "tags",
            Value::map(
                Type::String,
                vec![("pw".into(), Value::string("hunter2").mark_sensitive())],
            ),
        )]);
        let secrets = sensitive_strings(&config);
        assert_eq!(secrets, vec!["hunter2".to_string()]);
        let planned = obj(vec![
            (
                "tags_all",
                Value::map(Type::String, vec![("pw".into(), Value::string("hunter2"))]),
            ),
            ("name", Value::string("Bad_hunter2_x")),
            ("other", Value::string("fine")),
        ]);
        let marked = mark_containing(planned, &secrets);
        let paths = sensitive_paths(&marked);
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert_eq!(
            redact("invalid bucket name \"Bad_hunter2\"", &secrets),
            "invalid bucket name \"Bad_(sensitive value)\""
        );
        // Short strings are not secrets worth matching.
        assert!(sensitive_strings(&Value::string("no").mark_sensitive()).is_empty());
    }

    #[test]
    fn declassified_paths_round_trip_and_never_count_as_secrets() {
        let d = |s: &str| Value::string(s).mark_declassified();
        let v = obj(vec![
            ("values", d("password: hunter2")),
            (
                "spec",
                obj(vec![
                    ("public", d("hunter2")),
                    // Declassified, then mixed with a secret: sensitive, not declassified.
                    ("mixed", d("hunter2").mark_sensitive()),
                    (
                        "set",
                        Value::set(Type::String, vec![d("a1"), Value::string("b")]),
                    ),
                ]),
            ),
            // Below a sensitive value nothing is declassified.
            ("secret", obj(vec![("inner", d("x"))]).mark_sensitive()),
        ]);
        let key = |k: &str| PathStep::Key(k.into());
        let paths = declassified_paths(&v);
        assert_eq!(
            paths,
            vec![
                vec![key("spec"), key("public")],
                vec![key("spec"), key("set")],
                vec![key("values")],
            ]
        );
        // Only the sensitive marks are secrets, state paths and message redactions.
        assert_eq!(
            sensitive_paths(&v),
            vec![vec![key("secret")], vec![key("spec"), key("mixed")]]
        );
        assert_eq!(sensitive_strings(&v), vec!["hunter2".to_string()]);
        let (plain, _) = v.clone().unmark_deep();
        let back = mark_paths_with(plain, &paths, Marks::DECLASSIFIED);
        assert_eq!(declassified_paths(&back), paths);
        assert!(sensitive_paths(&back).is_empty());
        assert!(declassified_paths(&Value::string("x")).is_empty());
    }
}
