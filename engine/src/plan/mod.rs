//! The plan model: what will change, per resource instance, and why.

use crate::addrs::ResourceInstance;
use crate::lang::value::Value;
use indexmap::IndexMap;

/// What happens to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone)]
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
}

/// Something refresh found changed outside sakk (shown separately from planned changes).
#[derive(Debug, Clone)]
pub struct Drift {
    pub addr: ResourceInstance,
    pub before: Value,
    /// None: deleted outside sakk.
    pub after: Option<Value>,
}

/// The change of one root output.
#[derive(Debug, Clone)]
pub struct OutputChange {
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// Why an object is written to the state without a provider operation of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption {
    /// An `import` block or `sakk import ADDR ID`: the existing object `id`.
    Import(String),
    /// A create cut off by a crash left an intent with this token, and the provider found the
    /// object it made: it is adopted instead of creating a twin.
    Token(String),
}

/// An existing object the plan takes into the state (before its planned change, if any).
#[derive(Debug, Clone)]
pub struct Adopted {
    pub addr: ResourceInstance,
    pub provider: String,
    pub value: Value,
    pub dependencies: Vec<String>,
    pub how: Adoption,
}

/// A `moved` block that renamed objects in the state before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: String,
    pub to: String,
}

/// A whole plan.
#[derive(Debug, Clone, Default)]
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
