//! The plan model: what will change, per resource instance, and why.
//!
//! A plan serialises (serde; JSON in saved plan files) completely: addresses as their strings
//! (`module.a["x"].aws_s3_bucket.b[0]`), values in the lossless encoding of `lang::wire` (types,
//! unknowns, sensitive marks, exact numbers), enums in snake case (`"delete_then_create"`,
//! `{"forces_replacement": ["name"]}`). Reading rejects unknown fields.

use crate::addrs::ResourceInstance;
use crate::lang::value::Value;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// What happens to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// Data source read (deferred to apply because its configuration is not known yet).
    Read,
    Update,
    /// Replace: delete the old object first, then create the new one.
    DeleteThenCreate,
    /// Replace with `create_before_destroy`: create first, then delete the old object.
    CreateThenDelete,
    Delete,
}

impl Action {
    /// The symbol Terraform prints before the address.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
        }
    }

    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// Terraform's JSON plan spelling.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
        }
    }
}

/// Why an instance is replaced or deleted, when it is not the obvious reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// An attribute that forces replacement changed (paths).
    ForcesReplacement(Vec<String>),
    /// `--replace ADDR` or a tainted instance.
    Requested,
    Tainted,
    /// The instance's resource or module is no longer in the configuration.
    NoLongerInConfig,
    /// Its count/for_each no longer includes this key.
    KeyNotInConfig,
    /// `--destroy` / `sakk destroy`.
    Destroy,
    /// Refresh found it gone: it will be created again.
    GoneOutOfBand,
}

/// The planned change of one resource instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceChange {
    pub addr: ResourceInstance,
    /// The provider configuration key (`aws`, `aws.east`) within the instance's module.
    pub provider: String,
    pub action: Action,
    /// State before (refreshed), None for create.
    pub before: Option<Value>,
    /// Planned state after (with unknowns), None for delete.
    pub after: Option<Value>,
    pub reason: Option<Reason>,
    /// Direct dependencies (resource addresses, no instance keys), for the state.
    pub dependencies: Vec<String>,
    /// A destroy of a deposed object of `addr` (the old object a create_before_destroy kept),
    /// by its key in the state; None for the current object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// A create that follows an unresolved intent (a create cut off before its object was
    /// found): the intent's idempotency token, reused by the create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Something refresh found changed outside sakk (shown separately from planned changes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    pub addr: ResourceInstance,
    pub before: Value,
    /// None: deleted outside sakk.
    pub after: Option<Value>,
    /// The key of a deposed object (None: the current object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
}

/// The change of one root output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputChange {
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// Why an object is written to the state without a provider operation of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adoption {
    /// An `import` block or `sakk import ADDR ID`: the existing object `id`.
    Import(String),
    /// A create cut off by a crash left an intent with this token, and the provider found the
    /// object it made: it is adopted instead of creating a twin.
    Token(String),
}

/// An existing object the plan takes into the state (before its planned change, if any).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adopted {
    pub addr: ResourceInstance,
    pub provider: String,
    pub value: Value,
    pub dependencies: Vec<String>,
    pub how: Adoption,
}

/// A `moved` block that renamed objects in the state before planning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    pub from: String,
    pub to: String,
}

/// A whole plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    pub outputs: IndexMap<String, OutputChange>,
    /// Objects imported or adopted: written to the state by apply.
    pub adopted: Vec<Adopted>,
    /// State renames from `moved` blocks (already applied to the state the plan was made from).
    pub moved: Vec<Moved>,
}

impl Plan {
    /// (add, change, destroy) as Terraform counts them: a replace is one add and one destroy.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (mut add, mut change, mut destroy) = (0, 0, 0);
        for c in &self.changes {
            match c.action {
                Action::Create => add += 1,
                Action::Update => change += 1,
                Action::Delete => destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    add += 1;
                    destroy += 1
                }
                Action::NoOp | Action::Read => {}
            }
        }
        (add, change, destroy)
    }

    pub fn has_resource_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
            || !self.adopted.is_empty()
            || !self.moved.is_empty()
            || self.gone().next().is_some()
    }

    /// Objects refresh found gone (deleted outside sakk, or placeholders of creates that made
    /// nothing): apply removes them from the state, whatever else it does.
    pub fn gone(&self) -> impl Iterator<Item = &Drift> {
        self.drift.iter().filter(|d| d.after.is_none())
    }

    /// How many objects this plan imports.
    pub fn imports(&self) -> usize {
        self.adopted
            .iter()
            .filter(|a| matches!(a.how, Adoption::Import(_)))
            .count()
    }

    /// The import or adoption of `addr`, if the plan has one.
    pub fn adoption_of(&self, addr: &ResourceInstance) -> Option<&Adopted> {
        self.adopted.iter().find(|a| &a.addr == addr)
    }

    pub fn has_changes(&self) -> bool {
        self.has_resource_changes() || !self.outputs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::types::Type;

    fn addr(s: &str) -> ResourceInstance {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn bucket(name: Value) -> Value {
        Value::object(vec![
            ("bucket".into(), name),
            (
                "tags".into(),
                Value::map(
                    Type::String,
                    vec![("pw".into(), Value::string("s3cr3t").mark_sensitive())],
                ),
            ),
            ("size".into(), Value::int(3)),
        ])
    }

    fn sample() -> Plan {
        let actions = [
            Action::NoOp,
            Action::Create,
            Action::Read,
            Action::Update,
            Action::DeleteThenCreate,
            Action::CreateThenDelete,
            Action::Delete,
        ];
        let reasons = [
            None,
            Some(Reason::ForcesReplacement(vec![
                "bucket".into(),
                "tags[\"a\"]".into(),
            ])),
            Some(Reason::Requested),
            Some(Reason::Tainted),
            Some(Reason::NoLongerInConfig),
            Some(Reason::KeyNotInConfig),
            Some(Reason::Destroy),
            Some(Reason::GoneOutOfBand),
        ];
        let mut changes = Vec::new();
        for (i, action) in actions.into_iter().enumerate() {
            for (j, reason) in reasons.iter().enumerate() {
                let before = (action != Action::Create).then(|| bucket(Value::string("old")));
                let after = (action != Action::Delete)
                    .then(|| bucket(Value::unknown(Type::String)).mark_sensitive());
                changes.push(ResourceChange {
                    addr: addr(&format!(
                        "module.m[\"k.{i}\"].aws_s3_bucket.b[\"{j} \\\"x\\\"\"]"
                    )),
                    provider: "aws.east".into(),
                    action,
                    before,
                    after,
                    reason: reason.clone(),
                    dependencies: vec!["aws_vpc.v".into(), "module.n.aws_iam_role.r".into()],
                    deposed: None,
                    token: None,
                });
            }
        }
        let mut outputs = IndexMap::new();
        outputs.insert(
            "z_first".into(),
            OutputChange {
                before: None,
                after: Some(Value::unknown_dynamic()),
                sensitive: true,
            },
        );
        outputs.insert(
            "a_second".into(),
            OutputChange {
                before: Some(Value::tuple(vec![Value::int(1)])),
                after: None,
                sensitive: false,
            },
        );
        Plan {
            changes,
            drift: vec![
                Drift {
                    addr: addr("data.aws_caller_identity.me"),
                    before: bucket(Value::string("a")),
                    after: Some(bucket(Value::string("b"))),
                    deposed: None,
                },
                Drift {
                    addr: addr("aws_vpc.v[0]"),
                    before: Value::null(Type::empty_object()),
                    after: None,
                    deposed: None,
                },
            ],
            outputs,
            adopted: vec![
                Adopted {
                    addr: addr("aws_s3_bucket.imported"),
                    provider: "aws".into(),
                    value: bucket(Value::string("i")),
                    dependencies: Vec::new(),
                    how: Adoption::Import("bucket-name".into()),
                },
                Adopted {
                    addr: addr("aws_s3_bucket.adopted"),
                    provider: "aws".into(),
                    value: bucket(Value::string("t")),
                    dependencies: vec!["aws_vpc.v".into()],
                    how: Adoption::Token("tok-123".into()),
                },
            ],
            moved: vec![Moved {
                from: "aws_s3_bucket.a".into(),
                to: "module.x.aws_s3_bucket.a".into(),
            }],
        }
    }

    fn same(a: &Option<Value>, b: &Option<Value>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => a.raw_equal(b) && a.ty() == b.ty(),
            _ => false,
        }
    }

    #[test]
    fn a_plan_round_trips() {
        let plan = sample();
        let json = serde_json::to_string(&plan).expect("writes");
        let back: Plan = serde_json::from_str(&json).expect("reads");
        assert_eq!(serde_json::to_string(&back).expect("writes again"), json);
        assert_eq!(back.changes.len(), plan.changes.len());
        for (a, b) in plan.changes.iter().zip(&back.changes) {
            assert_eq!(a.addr, b.addr);
            assert_eq!(a.provider, b.provider);
            assert_eq!(a.action, b.action);
            assert_eq!(a.reason, b.reason);
            assert_eq!(a.dependencies, b.dependencies);
            assert!(
                same(&a.before, &b.before) && same(&a.after, &b.after),
                "{}",
                a.addr
            );
        }
        for (a, b) in plan.drift.iter().zip(&back.drift) {
            assert_eq!(a.addr, b.addr);
            assert!(same(&Some(a.before.clone()), &Some(b.before.clone())));
            assert!(same(&a.after, &b.after));
        }
        let keys: Vec<_> = back.outputs.keys().collect();
        assert_eq!(keys, ["z_first", "a_second"]);
        for (a, b) in plan.outputs.values().zip(back.outputs.values()) {
            assert_eq!(a.sensitive, b.sensitive);
            assert!(same(&a.before, &b.before) && same(&a.after, &b.after));
        }
        for (a, b) in plan.adopted.iter().zip(&back.adopted) {
            assert_eq!(
                (&a.addr, &a.provider, &a.how),
                (&b.addr, &b.provider, &b.how)
            );
            assert_eq!(a.dependencies, b.dependencies);
            assert!(a.value.raw_equal(&b.value));
        }
        assert_eq!(back.moved, plan.moved);
        assert_eq!(back.counts(), plan.counts());
        // The spelling.
        assert!(json.contains(r#""action":"delete_then_create""#), "{json}");
        assert!(json.contains(r#""reason":{"forces_replacement":["bucket","tags[\"a\"]"]}"#));
        assert!(json.contains(r#""reason":"gone_out_of_band""#));
        assert!(json.contains(r#""how":{"token":"tok-123"}"#));
        assert!(json.contains(r#""addr":"module.m[\"k.0\"].aws_s3_bucket.b[\"0 \\\"x\\\"\"]""#));
        assert_eq!(
            serde_json::to_string(&Plan::default()).expect("writes"),
            r#"{"changes":[],"drift":[],"outputs":{},"adopted":[],"moved":[]}"#
        );
    }

    #[test]
    fn broken_plans_are_errors() {
        let json = serde_json::to_string(&sample()).expect("writes");
        // Truncations (a few hundred: all of them take a while in a debug build).
        for i in (0..json.len()).step_by(json.len() / 300 + 1) {
            if json.is_char_boundary(i) {
                assert!(serde_json::from_str::<Plan>(&json[..i]).is_err(), "{i}");
            }
        }
        let bad = [
            r#"{"changes":[],"drift":[],"outputs":{},"adopted":[],"moved":[],"extra":1}"#,
            r#"{"changes":[],"drift":[],"outputs":{},"adopted":[]}"#,
            r#"{"changes":[{"addr":"module.m","provider":"aws","action":"create","before":null,"after":null,"reason":null,"dependencies":[]}],"drift":[],"outputs":{},"adopted":[],"moved":[]}"#,
            r#"{"changes":[{"addr":"a.b","provider":"aws","action":"explode","before":null,"after":null,"reason":null,"dependencies":[]}],"drift":[],"outputs":{},"adopted":[],"moved":[]}"#,
            r#"{"changes":[{"addr":"a.b","provider":"aws","action":"create","before":null,"after":{"type":"string","value":1},"reason":null,"dependencies":[]}],"drift":[],"outputs":{},"adopted":[],"moved":[]}"#,
            r#"{"changes":[{"addr":"a.b","provider":"aws","action":"create","before":null,"after":null,"reason":{"forces_replacement":"x"},"dependencies":[]}],"drift":[],"outputs":{},"adopted":[],"moved":[]}"#,
            r#"[]"#,
        ];
        for b in bad {
            assert!(serde_json::from_str::<Plan>(b).is_err(), "{b}");
        }
        // Deep nesting inside a value.
        let deep = format!(
            r#"{{"changes":[],"drift":[],"outputs":{{"o":{{"before":null,"after":{{"type":["list","dynamic"],"value":{}{}}},"sensitive":false}}}},"adopted":[],"moved":[]}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(serde_json::from_str::<Plan>(&deep).is_err());
    }
}
