//! Typed addresses of instances: `module.a["x"].aws_s3_bucket.b[0]`. They print in Terraform's
//! syntax and parse back (`--target`, `--replace`, `state mv`).

use crate::config::{resource_key, Mode};
use crate::lang::ast::{ExprKind, TraversalOp};
use crate::lang::parse::parse_expr;
use std::fmt;

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
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
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
