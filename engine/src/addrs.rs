//! Typed addresses of instances: `module.a["x"].aws_s3_bucket.b[0]`. They print in Terraform's
//! syntax and parse back (`--target`, `--replace`, `state mv`).

use crate::config::{resource_key, Mode};
use crate::lang::ast::{ExprKind, TraversalOp};
use crate::lang::parse::parse_expr;
use std::fmt::{self, Write as _};

/// The key of one instance of a counted (`[0]`) or for_each'd (`["k"]`) object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => {
                f.write_char('[')?;
                write_hcl_quoted(s, f)?;
                f.write_char(']')
            }
        }
    }
}

/// A string as an HCL quoted string literal that parses back to it: `"`, `\`, newlines, tabs
/// and control characters escaped, and `${` / `%{` doubled so they do not start a template.
fn write_hcl_quoted(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_char('"')?;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '$' | '%' if chars.peek() == Some(&'{') => {
                f.write_char(c)?;
                f.write_char(c)?;
            }
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// One step of a module instance path: a call name and, when the call repeats, the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

/// A module instance: `module.a["x"].module.b` (empty = root).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ModuleInstance(pub Vec<ModuleStep>);

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{}", s.name)?;
            if let Some(k) = &s.key {
                write!(f, "{k}")?;
            }
        }
        Ok(())
    }
}

impl ModuleInstance {
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// The static module path (call names only).
    pub fn path(&self) -> Vec<String> {
        self.0.iter().map(|s| s.name.clone()).collect()
    }
    pub fn child(&self, name: &str, key: Option<InstanceKey>) -> ModuleInstance {
        let mut v = self.0.clone();
        v.push(ModuleStep {
            name: name.to_string(),
            key,
        });
        ModuleInstance(v)
    }
}

/// A resource (all instances) or one resource instance, in a module instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceInstance {
    pub module: ModuleInstance,
    pub mode: Mode,
    pub type_: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

impl fmt::Display for ResourceInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        f.write_str(&resource_key(self.mode, &self.type_, &self.name))?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

/// What `--target` and friends accept: a module instance, or a resource (instance) in one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Module(ModuleInstance),
    Resource(ResourceInstance),
}

impl Target {
    /// Whether a resource instance is one this target names: in the module instance (a module
    /// step without a key names every instance of the call, as Terraform reads `module.m`),
    /// and for a resource target the resource (and its key, when given).
    pub fn covers(&self, a: &ResourceInstance) -> bool {
        let module_covers = |m: &ModuleInstance, exact: bool| {
            let (t, s) = (&m.0, &a.module.0);
            (if exact {
                t.len() == s.len()
            } else {
                t.len() <= s.len()
            }) && t
                .iter()
                .zip(s)
                .all(|(t, s)| t.name == s.name && (t.key.is_none() || t.key == s.key))
        };
        match self {
            Target::Module(m) => module_covers(m, false),
            Target::Resource(r) => {
                module_covers(&r.module, true)
                    && r.mode == a.mode
                    && r.type_ == a.type_
                    && r.name == a.name
                    && (r.key.is_none() || r.key == a.key)
            }
        }
    }
}

impl Target {
    /// Whether objects of module instance `m` may depend on what this target names, as far as
    /// module instances tell: not when both sit in the same module called with count/for_each
    /// and the target names another instance of it (`module.m["b"]` cannot reach into
    /// `module.m["a"]`).
    pub fn may_reach(&self, m: &ModuleInstance) -> bool {
        let t = match self {
            Target::Module(t) => t,
            Target::Resource(r) => &r.module,
        };
        for (t, s) in t.0.iter().zip(&m.0) {
            if t.name != s.name {
                return true;
            }
            if t.key.is_some() && t.key != s.key {
                return false;
            }
        }
        true
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => m.fmt(f),
            Target::Resource(r) => r.fmt(f),
        }
    }
}

fn key_of(op: &TraversalOp) -> Option<InstanceKey> {
    match op {
        TraversalOp::Index(e) => match &e.kind {
            ExprKind::Number(n) => n.parse().ok().map(InstanceKey::Int),
            ExprKind::String(s) => Some(InstanceKey::Str(s.clone())),
            _ => None,
        },
        TraversalOp::LegacyIndex(i, _) => i64::try_from(*i).ok().map(InstanceKey::Int),
        TraversalOp::GetAttr(..) => None,
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("invalid address \"{s}\": {why}; addresses look like aws_s3_bucket.b, aws_s3_bucket.b[0], module.net[\"eu\"].aws_vpc.main or data.aws_caller_identity.me")
        };
        let e = parse_expr("<address>".into(), s).map_err(|_| bad("not a valid address"))?;
        let (root, ops): (String, Vec<TraversalOp>) = match e.kind {
            ExprKind::Variable(v) => (v, Vec::new()),
            ExprKind::Traversal { base, ops } => match base.kind {
                ExprKind::Variable(v) => (v, ops),
                _ => return Err(bad("must start with a name")),
            },
            _ => return Err(bad("must be a reference")),
        };
        // Flatten into a sequence of names and keys.
        let mut names: Vec<(String, Option<InstanceKey>)> = vec![(root, None)];
        for op in &ops {
            match op {
                TraversalOp::GetAttr(n, _) => names.push((n.clone(), None)),
                _ => {
                    let k = key_of(op)
                        .ok_or_else(|| bad("instance keys must be numbers or quoted strings"))?;
                    let last = names.last_mut().ok_or_else(|| bad("misplaced index"))?;
                    if last.1.is_some() {
                        return Err(bad("only one index per step"));
                    }
                    last.1 = Some(k);
                }
            }
        }
        let mut module = ModuleInstance::default();
        let mut i = 0;
        while i < names.len() && names[i].0 == "module" && names[i].1.is_none() {
            let (name, key) = names
                .get(i + 1)
                .cloned()
                .ok_or_else(|| bad("module needs a name"))?;
            module = module.child(&name, key);
            i += 2;
        }
        let rest = &names[i..];
        let (mode, type_, name, key) = match rest {
            [] => return Ok(Target::Module(module)),
            [(d, None), (t, None), (n, k)] if d == "data" => (Mode::Data, t, n, k),
            [(t, None), (n, k)] => (Mode::Managed, t, n, k),
            _ => return Err(bad("expected TYPE.NAME after the module path")),
        };
        Ok(Target::Resource(ResourceInstance {
            module,
            mode,
            type_: type_.clone(),
            name: name.clone(),
            key: key.clone(),
        }))
    }
}

impl std::str::FromStr for ResourceInstance {
    type Err = String;

    /// Parses what [`ResourceInstance`]'s `Display` prints (`module.a["x"].aws_vpc.v[0]`).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<Target>()? {
            Target::Resource(r) => Ok(r),
            Target::Module(_) => Err(format!(
                "invalid resource address \"{s}\": it names a module, not a resource"
            )),
        }
    }
}

/// A resource instance serialises as its address string (as in saved plans).
impl serde::Serialize for ResourceInstance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ResourceInstance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for s in [
            "aws_s3_bucket.b",
            "aws_s3_bucket.b[0]",
            "data.aws_caller_identity.me",
            "module.net",
            "module.net[\"eu-west-1\"].aws_vpc.main",
            "module.a[2].module.b.aws_iam_role.r[\"x\\\"y\"]",
        ] {
            let t: Target = s.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.to_string(), s);
        }
    }

    #[test]
    fn resource_instances_round_trip_through_their_address() {
        let keys = [
            "plain",
            "",
            "a.b",
            "x[0]",
            "]\"[",
            "say \"hi\"",
            "back\\slash\\",
            "new\nline\ttab\r",
            "ctl\u{1}\u{8}\u{c}\u{7f}\u{85}",
            "${var.x}",
            "%{ if true }",
            "$${x}",
            "$$",
            "$",
            "%",
            "{}",
            "ünï-çødé 🚀 \u{2028}",
            "0",
            "-1",
        ];
        let step = |name: &str, key| ModuleStep {
            name: name.into(),
            key,
        };
        let mut cases = Vec::new();
        for k in keys {
            let key = Some(InstanceKey::Str(k.to_string()));
            cases.push(ResourceInstance {
                module: ModuleInstance(vec![
                    step("a", key.clone()),
                    step("b", None),
                    step("c", Some(InstanceKey::Int(3))),
                ]),
                mode: Mode::Managed,
                type_: "aws_s3_bucket".into(),
                name: "b".into(),
                key: key.clone(),
            });
            cases.push(ResourceInstance {
                module: ModuleInstance::default(),
                mode: Mode::Data,
                type_: "aws_iam_policy_document".into(),
                name: "d".into(),
                key,
            });
        }
        for key in [
            None,
            Some(InstanceKey::Int(0)),
            Some(InstanceKey::Int(i64::MAX)),
        ] {
            cases.push(ResourceInstance {
                module: ModuleInstance(vec![step("net", None)]),
                mode: Mode::Managed,
                type_: "aws_vpc".into(),
                name: "main".into(),
                key,
            });
        }
        for r in cases {
            let s = r.to_string();
            let back: ResourceInstance = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(back, r, "{s}");
            let json = serde_json::to_string(&r).expect("serialises");
            assert_eq!(json, serde_json::Value::String(s.clone()).to_string());
            let back: ResourceInstance = serde_json::from_str(&json).expect("deserialises");
            assert_eq!(back, r, "{s}");
        }
        assert_eq!(
            r("module.a[\"x\"].aws_s3_bucket.b[0]").to_string(),
            "module.a[\"x\"].aws_s3_bucket.b[0]"
        );
        assert_eq!(r("data.x.y").mode, Mode::Data);
        assert!("module.net".parse::<ResourceInstance>().is_err());
        assert!(serde_json::from_str::<ResourceInstance>("\"aws_vpc\"").is_err());
        assert!(serde_json::from_str::<ResourceInstance>("3").is_err());
    }

    fn t(s: &str) -> Target {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn r(s: &str) -> ResourceInstance {
        match t(s) {
            Target::Resource(r) => r,
            Target::Module(_) => panic!("{s} is a module"),
        }
    }

    #[test]
    fn targets_cover_instances() {
        let a = r("module.m[\"a\"].module.n.aws_vpc.v[1]");
        assert!(t("module.m").covers(&a));
        assert!(t("module.m[\"a\"]").covers(&a));
        assert!(t("module.m[\"a\"].module.n").covers(&a));
        assert!(t("module.m.module.n.aws_vpc.v").covers(&a));
        assert!(t("module.m[\"a\"].module.n.aws_vpc.v[1]").covers(&a));
        assert!(!t("module.m[\"b\"]").covers(&a));
        assert!(!t("module.m[\"a\"].module.n.aws_vpc.v[0]").covers(&a));
        assert!(!t("module.m[\"a\"].aws_vpc.v").covers(&a));
        assert!(!t("module.n").covers(&a));
        assert!(!t("aws_vpc.v").covers(&a));
    }

    #[test]
    fn targets_reach_other_module_instances_only_across_calls() {
        let m = |s: &str| r(&format!("{s}.x.y")).module;
        let b = t("module.m[\"b\"]");
        assert!(!b.may_reach(&m("module.m[\"a\"]")));
        assert!(b.may_reach(&m("module.m[\"b\"].module.k")));
        assert!(b.may_reach(&m("module.other")));
        assert!(b.may_reach(&ModuleInstance::default()));
        assert!(t("module.m").may_reach(&m("module.m[\"a\"]")));
        assert!(t("aws_vpc.v[\"b\"]").may_reach(&m("module.m[\"a\"]")));
    }

    #[test]
    fn bad_addresses_explain() {
        for s in [
            "",
            "aws_s3_bucket",
            "module",
            "a.b.c",
            "x[var.y].z",
            "module.a.b",
        ] {
            let e = s.parse::<Target>().unwrap_err();
            assert!(e.contains("addresses look like"), "{s}: {e}");
        }
    }
}
