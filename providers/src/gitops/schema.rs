//! Checks manifests against the structural copy of the CRD schemas in `providers/schemas/`
//! (made by `scripts/gen-gitops-schemas`, see PROVENANCE.md there), coercing scalars the way
//! HCL would for a typed attribute (`3` for a string field becomes `"3"`, `"true"` for a boolean
//! becomes `true`).

use super::tree::{Issue, Node, Path};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Default)]
pub struct Schema {
    ty: Option<String>,
    properties: BTreeMap<String, Schema>,
    items: Option<Box<Schema>>,
    required: Vec<String>,
    enum_: Option<Vec<serde_json::Value>>,
    /// None: not given; Some(None): `false`; Some(Some(s)): a schema for every other key.
    additional: Option<Option<Box<Schema>>>,
    additional_true: bool,
    pattern: Option<Regex>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    int_or_string: bool,
    preserve_unknown: bool,
}

impl Schema {
    pub fn from_json(j: &serde_json::Value) -> Result<Schema, String> {
        let o = j.as_object().ok_or("a schema must be an object")?;
        let mut s = Schema::default();
        for (k, v) in o {
            match k.as_str() {
                "type" => s.ty = v.as_str().map(str::to_string),
                "properties" => {
                    for (name, p) in v.as_object().ok_or("properties must be an object")? {
                        s.properties.insert(name.clone(), Schema::from_json(p)?);
                    }
                }
                "items" => s.items = Some(Box::new(Schema::from_json(v)?)),
                "required" => {
                    s.required = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                }
                "enum" => s.enum_ = v.as_array().cloned(),
                "additionalProperties" => match v {
                    serde_json::Value::Bool(false) => s.additional = Some(None),
                    serde_json::Value::Bool(true) => s.additional_true = true,
                    other => s.additional = Some(Some(Box::new(Schema::from_json(other)?))),
                },
                "pattern" => {
                    let p = v.as_str().ok_or("pattern must be a string")?;
                    s.pattern = Some(Regex::new(p).map_err(|e| e.to_string())?);
                }
                "minLength" => s.min_length = v.as_u64().map(|n| n as usize),
                "maxLength" => s.max_length = v.as_u64().map(|n| n as usize),
                "x-kubernetes-int-or-string" => s.int_or_string = v.as_bool() == Some(true),
                "x-kubernetes-preserve-unknown-fields" => {
                    s.preserve_unknown = v.as_bool() == Some(true)
                }
                _ => {}
            }
        }
        Ok(s)
    }

    pub fn property(&self, name: &str) -> Option<&Schema> {
        self.properties.get(name)
    }

    /// Checks `n` at `path`, returning it with scalars coerced to the schema's types. Unknown
    /// values are accepted as they are (checked again at apply time).
    pub fn check(&self, n: Node, path: &Path, issues: &mut Vec<Issue>) -> Node {
        if matches!(n, Node::Unknown) {
            return n;
        }
        if matches!(n, Node::Null) {
            // Kubernetes drops null fields; an explicit null in a list is an error.
            issues.push(Issue::new(path, "must not be null"));
            return n;
        }
        let n = if self.int_or_string {
            match n {
                Node::Num(t) if is_integer(&t) => Node::Num(t),
                Node::Str(s) => Node::Str(s),
                _ => {
                    issues.push(Issue::new(path, "must be an integer or a string"));
                    return Node::Null;
                }
            }
        } else {
            match self.ty.as_deref() {
                Some("string") => match n {
                    Node::Str(s) => Node::Str(s),
                    Node::Num(t) => Node::Str(t),
                    Node::Bool(b) => Node::Str(b.to_string()),
                    other => return mismatch(other, "a string", path, issues),
                },
                Some("boolean") => match n {
                    Node::Bool(b) => Node::Bool(b),
                    Node::Str(s) if s == "true" || s == "false" => Node::Bool(s == "true"),
                    other => return mismatch(other, "a bool (true or false)", path, issues),
                },
                Some("integer") => match n {
                    Node::Num(t) if is_integer(&t) => Node::Num(t),
                    Node::Str(s) if is_integer(&s) => Node::Num(s),
                    other => return mismatch(other, "a whole number", path, issues),
                },
                Some("number") => match n {
                    Node::Num(t) => Node::Num(t),
                    Node::Str(s) if engine::lang::number::Number::parse(&s).is_some() => {
                        Node::Num(s)
                    }
                    other => return mismatch(other, "a number", path, issues),
                },
                Some("array") => match n {
                    Node::Seq(xs) => Node::Seq(
                        xs.into_iter()
                            .enumerate()
                            .map(|(i, x)| match &self.items {
                                Some(it) => it.check(x, &path.index(i), issues),
                                None => x,
                            })
                            .collect(),
                    ),
                    other => return mismatch(other, "a list", path, issues),
                },
                Some("object") => match n {
                    Node::Map(m) => self.check_object(m, path, issues),
                    other => return mismatch(other, "an object", path, issues),
                },
                _ => n,
            }
        };
        if let Node::Str(s) = &n {
            if let Some(min) = self.min_length {
                if s.chars().count() < min {
                    issues.push(Issue::new(
                        path,
                        format!("must be at least {min} characters long"),
                    ));
                }
            }
            if let Some(max) = self.max_length {
                if s.chars().count() > max {
                    issues.push(Issue::new(
                        path,
                        format!("must be at most {max} characters long"),
                    ));
                }
            }
            if let Some(p) = &self.pattern {
                if !p.is_match(s) {
                    issues.push(Issue::new(
                        path,
                        format!(
                            "{} does not match the pattern {}",
                            engine::lang::value::go_quote(s),
                            p.as_str()
                        ),
                    ));
                }
            }
        }
        if let Some(allowed) = &self.enum_ {
            let ok = match &n {
                Node::Str(s) => allowed.iter().any(|a| a.as_str() == Some(s)),
                Node::Bool(b) => allowed.iter().any(|a| a.as_bool() == Some(*b)),
                Node::Num(t) => allowed
                    .iter()
                    .any(|a| a.as_number().is_some_and(|x| x.as_str() == t)),
                _ => true,
            };
            if !ok {
                let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
                issues.push(Issue::new(
                    path,
                    format!("must be one of {}", list.join(", ")),
                ));
            }
        }
        n
    }

    fn check_object(&self, m: Vec<(String, Node)>, path: &Path, issues: &mut Vec<Issue>) -> Node {
        let mut out = Vec::with_capacity(m.len());
        for (k, v) in m {
            let p = path.key(&k);
            let v = if let Some(ps) = self.properties.get(&k) {
                ps.check(v, &p, issues)
            } else if let Some(Some(ad)) = &self.additional {
                ad.check(v, &p, issues)
            } else if self.preserve_unknown || self.additional_true {
                v
            } else if self.properties.is_empty() && self.additional.is_none() {
                // `type: object` alone: anything goes.
                v
            } else {
                let hint = engine::diag::suggest(&k, self.properties.keys().map(String::as_str))
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                issues.push(Issue::new(&p, format!("unknown field{hint}")));
                v
            };
            out.push((k, v));
        }
        for r in &self.required {
            if !out.iter().any(|(k, _)| k == r) {
                issues.push(Issue::new(&path.key(r), "required"));
            }
        }
        Node::Map(out)
    }
}

fn is_integer(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

fn describe(n: &Node) -> &'static str {
    match n {
        Node::Null => "null",
        Node::Unknown => "unknown",
        Node::Bool(_) => "a bool",
        Node::Num(_) => "a number",
        Node::Str(_) => "a string",
        Node::Seq(_) => "a list",
        Node::Map(_) => "an object",
    }
}

fn mismatch(n: Node, want: &str, path: &Path, issues: &mut Vec<Issue>) -> Node {
    issues.push(Issue::new(
        path,
        format!("must be {want}, not {}", describe(&n)),
    ));
    n
}

/// The kinds sakk checks against a CRD schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crd {
    Application,
    AppProject,
    ApplicationSet,
    Profile,
}

impl Crd {
    pub fn api_version(self) -> &'static str {
        match self {
            Crd::Profile => "kubeflow.org/v1",
            _ => "argoproj.io/v1alpha1",
        }
    }
    pub fn kind(self) -> &'static str {
        match self {
            Crd::Application => "Application",
            Crd::AppProject => "AppProject",
            Crd::ApplicationSet => "ApplicationSet",
            Crd::Profile => "Profile",
        }
    }
    /// The CRD for an apiVersion/kind pair, if sakk has its schema.
    pub fn of(api_version: &str, kind: &str) -> Option<Crd> {
        [
            Crd::Application,
            Crd::AppProject,
            Crd::ApplicationSet,
            Crd::Profile,
        ]
        .into_iter()
        .find(|c| c.api_version() == api_version && c.kind() == kind)
    }
    fn source(self) -> &'static str {
        match self {
            Crd::Application => include_str!("../../schemas/argocd/application.json"),
            Crd::AppProject => include_str!("../../schemas/argocd/appproject.json"),
            Crd::ApplicationSet => include_str!("../../schemas/argocd/applicationset.json"),
            Crd::Profile => include_str!("../../schemas/kubeflow/profile.json"),
        }
    }
    /// The parsed schema (parsed once per process).
    pub fn schema(self) -> &'static Schema {
        static CELLS: [OnceLock<Schema>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let i = self as usize;
        CELLS[i].get_or_init(|| {
            // The embedded files are generated and tested; a broken one is a build defect.
            serde_json::from_str(self.source())
                .map_err(|e| e.to_string())
                .and_then(|j| Schema::from_json(&j))
                .unwrap_or_else(|e| panic!("embedded schema for {} is broken: {e}", self.kind()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_parse() {
        for c in [
            Crd::Application,
            Crd::AppProject,
            Crd::ApplicationSet,
            Crd::Profile,
        ] {
            let s = c.schema();
            assert!(s.property("spec").is_some(), "{c:?}");
        }
    }

    #[test]
    fn coercion_and_errors() {
        let spec = Crd::Application.schema().property("spec").expect("spec");
        let n = Node::Map(vec![
            ("project".into(), Node::Str("default".into())),
            (
                "destination".into(),
                Node::Map(vec![("namespce".into(), Node::Str("x".into()))]),
            ),
            (
                "syncPolicy".into(),
                Node::Map(vec![(
                    "retry".into(),
                    Node::Map(vec![("limit".into(), Node::Str("5".into()))]),
                )]),
            ),
        ]);
        let mut issues = Vec::new();
        let out = spec.check(n, &Path::root("spec"), &mut issues);
        let msgs: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            msgs,
            vec!["spec.destination.namespce: unknown field (did you mean namespace?)"]
        );
        assert_eq!(
            out.get("syncPolicy")
                .and_then(|s| s.get("retry"))
                .and_then(|r| r.get("limit")),
            Some(&Node::Num("5".into()))
        );
        let mut issues = Vec::new();
        spec.check(Node::Map(vec![]), &Path::root("spec"), &mut issues);
        let msgs: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            msgs,
            vec!["spec.destination: required", "spec.project: required"]
        );
    }
}
