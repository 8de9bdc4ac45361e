//! The Provider / Resource contract and the schema model.
//!
//! A provider (aws, gitops, the built-in `terraform` provider) runs in-process. It declares a
//! [`Schema`] per resource and data source type, is configured once per `provider` block (alias
//! included) into a [`ProviderInstance`], and then plans and applies changes to instances.
//!
//! Values exchanged with a provider are objects that conform to the type's schema
//! ([`Schema::object_type`]): every attribute present, null when unset. During planning,
//! attributes known only after apply are unknown values; sensitive attributes are marked by the
//! schema, not by the provider.
//!
//! Planning ([`ProviderInstance::plan`]) is synchronous and must not do network I/O: it computes
//! the proposed new state from the prior state and the configuration. Everything that talks to
//! the outside world is async: `read` (refresh), `create`, `update`, `delete`, `import`, and
//! `read_data` for data sources.

use crate::lang::types::Type;
use crate::lang::value::Value;
use indexmap::IndexMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One attribute of a resource schema.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub ty: Type,
    /// Must be set in the configuration.
    pub required: bool,
    /// May be set in the configuration.
    pub optional: bool,
    /// Set by the provider (when not set in config, for optional+computed).
    pub computed: bool,
    /// A change to this attribute replaces the resource.
    pub force_new: bool,
    /// Never shown in plans, logs or errors; marked sensitive in every value.
    pub sensitive: bool,
    /// The value used when the configuration leaves an optional attribute unset.
    pub default: Option<Value>,
    pub description: &'static str,
}

impl Attribute {
    fn new(ty: Type) -> Attribute {
        Attribute {
            ty,
            required: false,
            optional: false,
            computed: false,
            force_new: false,
            sensitive: false,
            default: None,
            description: "",
        }
    }
    pub fn required(ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(ty)
        }
    }
    pub fn optional(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(ty)
        }
    }
    pub fn computed(ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(ty)
        }
    }
    /// Optional in config; computed by the provider when unset.
    pub fn optional_computed(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(ty)
        }
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn default(mut self, v: Value) -> Attribute {
        self.default = Some(v);
        self
    }
    pub fn describe(mut self, d: &'static str) -> Attribute {
        self.description = d;
        self
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; the value is an object (null when absent).
    Single,
    /// A list of objects.
    List,
    /// A set of objects.
    Set,
}

/// A nested block type (`vpc_config { ... }`, `attribute { ... }` repeated).
#[derive(Debug, Clone)]
pub struct Block {
    pub nesting: Nesting,
    pub schema: Schema,
    pub min_items: usize,
    /// 0 = unlimited.
    pub max_items: usize,
    /// A change inside the block replaces the resource.
    pub force_new: bool,
}

/// The schema of a resource or data source type, or of a nested block.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub attributes: IndexMap<String, Attribute>,
    pub blocks: IndexMap<String, Block>,
    pub description: &'static str,
}

impl Schema {
    pub fn new() -> Schema {
        Schema::default()
    }
    pub fn attr(mut self, name: &str, a: Attribute) -> Schema {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: Block) -> Schema {
        self.blocks.insert(name.to_string(), b);
        self
    }

    /// The object type every value of this schema has.
    pub fn object_type(&self) -> Type {
        let mut attrs: Vec<(String, Type)> = self
            .attributes
            .iter()
            .map(|(n, a)| (n.clone(), a.ty.clone()))
            .collect();
        for (n, b) in &self.blocks {
            let t = b.schema.object_type();
            attrs.push((
                n.clone(),
                match b.nesting {
                    Nesting::Single => t,
                    Nesting::List => Type::list(t),
                    Nesting::Set => Type::set(t),
                },
            ));
        }
        Type::object(attrs)
    }
}

/// Everything a provider declares about one resource or data source type.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub schema: Schema,
    /// Operations of this type share a concurrency limit with the same `service` (e.g. "ec2",
    /// "eks", "git"): the executor runs at most `Provider::service_limit` at once.
    pub service: &'static str,
    /// Default timeouts for long operations (EKS clusters take 10+ minutes).
    pub create_timeout: Option<Duration>,
    pub delete_timeout: Option<Duration>,
}

/// A provider error: what failed and what to check. Never contains credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub summary: String,
    pub detail: String,
    /// What the user can do about it.
    pub hint: Option<String>,
    /// The attribute this is about, if any (`vpc_config.subnet_ids`).
    pub attribute: Option<String>,
    /// The request never left (no credentials, connection refused, no such host): the provider
    /// cannot have acted, so a failed create leaves no intent to resolve.
    pub not_sent: bool,
}

impl ProviderError {
    /// The error with every occurrence of a secret replaced by `(sensitive value)` (a provider
    /// or AWS message may quote an argument).
    pub fn redact(self, secrets: &[String]) -> ProviderError {
        if secrets.is_empty() {
            return self;
        }
        let r = |t: &str| crate::lang::marks::redact(t, secrets);
        ProviderError {
            summary: r(&self.summary),
            detail: r(&self.detail),
            hint: self.hint.as_deref().map(r),
            attribute: self.attribute,
            not_sent: self.not_sent,
        }
    }

    pub fn new(summary: impl Into<String>) -> ProviderError {
        ProviderError {
            summary: summary.into(),
            detail: String::new(),
            hint: None,
            attribute: None,
            not_sent: false,
        }
    }
    /// Marks the error as one whose request never left (see [`ProviderError::not_sent`]).
    pub fn not_sent(mut self, yes: bool) -> ProviderError {
        self.not_sent = yes;
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> ProviderError {
        self.detail = d.into();
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> ProviderError {
        self.hint = Some(h.into());
        self
    }
    pub fn attribute(mut self, a: impl Into<String>) -> ProviderError {
        self.attribute = Some(a.into());
        self
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// What planning one instance needs.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    pub type_: &'a str,
    /// The current (refreshed) state, or None when the instance does not exist yet.
    pub prior: Option<&'a Value>,
    /// The configuration, as an object of the schema's type: unset attributes are null,
    /// values may be unknown (known after apply).
    pub config: &'a Value,
}

/// A provider's answer to a plan request.
#[derive(Debug, Clone)]
pub struct PlanResponse {
    /// The state the instance will have after apply: config values, defaults, prior values of
    /// computed attributes that do not change, unknowns for what is known only after apply.
    pub planned: Value,
    /// Attribute paths (`name`, `vpc_config.subnet_ids`) whose change forces replacement.
    pub requires_replace: Vec<String>,
}

/// Context for one apply operation.
#[derive(Clone)]
pub struct OpContext {
    /// The instance address (`module.net.aws_vpc.main`), for messages and idempotency.
    pub address: String,
    /// A token unique to this create, stable across a crashed run's re-apply (recorded as an
    /// intent before the call): use it where the API has idempotency tokens.
    pub idempotency_token: String,
    /// Reports progress ("waiting for ACTIVE") for long operations.
    pub progress: Arc<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for OpContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpContext")
            .field("address", &self.address)
            .field("idempotency_token", &self.idempotency_token)
            .finish()
    }
}

/// What a provider learns about the apply as a whole (for [`ProviderInstance::finish_apply`]).
#[derive(Debug, Clone, Default)]
pub struct ApplyContext {
    /// The state serial this apply writes.
    pub state_serial: u64,
    /// Where the plan came from (a plan file name, or "interactive apply").
    pub plan_source: String,
    /// Options given on the command line for providers, e.g. `gitops_branch` from
    /// `--gitops-branch NAME` (pull-request mode).
    pub options: IndexMap<String, String>,
}

/// A configured provider (one `provider` block, or the implicit empty one).
pub trait ProviderInstance: Send + Sync {
    /// Computes the planned new state of one instance. Pure: no I/O.
    fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse>;

    /// Refreshes an instance: its current state, or None when it no longer exists.
    fn read<'a>(
        &'a self,
        type_: &'a str,
        current: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>>;

    /// Creates an instance from its planned state (unknowns resolved by the config evaluation of
    /// this apply); returns the new state (wholly known).
    fn create<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>>;

    /// Updates an instance in place.
    fn update<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>>;

    /// Deletes an instance. Deleting something already gone is success.
    fn delete<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<()>>;

    /// Imports an existing object by its ID: its state, as `read` would return it.
    fn import<'a>(
        &'a self,
        type_: &'a str,
        id: &'a str,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>>;

    /// Reads a data source from its configuration.
    fn read_data<'a>(
        &'a self,
        type_: &'a str,
        config: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>>;

    /// Called once after every operation of an apply has finished (also when some failed), for
    /// providers that batch their side effects: the GitOps provider makes its one commit per
    /// apply and pushes it here. Returns the errors of the addresses whose changes could not be
    /// completed (their operations are then reported as failed).
    fn finish_apply<'a>(
        &'a self,
        _ctx: &'a ApplyContext,
    ) -> BoxFuture<'a, Result<(), Vec<(String, ProviderError)>>> {
        Box::pin(async { Ok(()) })
    }

    /// Whether a create of this type makes an object outside sakk's state that a crash between
    /// the call and the state write could leave behind (a cloud object). False for objects
    /// that live only in the state (`terraform_data`) or are written at the end of the apply,
    /// after the state (GitOps manifests): no intent, no warning needed.
    fn leaves_objects(&self, _type: &str) -> bool {
        true
    }

    /// Whether [`ProviderInstance::find_by_token`] can find objects of this type: only then does
    /// the executor record a durable intent before each create (one state write per batch).
    fn adopts_by_token(&self, _type: &str) -> bool {
        false
    }

    /// Looks up a created object by the idempotency token of a create that may have been cut off
    /// (a crashed run): Some(state) adopts it instead of creating a twin. Default: not supported.
    fn find_by_token<'a>(
        &'a self,
        _type: &'a str,
        _planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async { Ok(None) })
    }
}

/// The wall-clock time an idempotency token was drawn (`sakk-<unix seconds, hex>-<hash>`), None
/// for tokens of another form.
pub fn token_time(token: &str) -> Option<std::time::SystemTime> {
    let secs = token.strip_prefix("sakk-")?.split('-').next()?;
    let secs = u64::from_str_radix(secs, 16).ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// A provider: its types, and how to configure it.
pub trait Provider: Send + Sync {
    /// The local name used in configuration (`aws`, `gitops`, `terraform`).
    fn name(&self) -> &'static str;

    /// Every resource type (`aws_s3_bucket`, ...) with its schema.
    fn resource_types(&self) -> &IndexMap<String, ResourceType>;

    /// Every data source type with its schema.
    fn data_types(&self) -> &IndexMap<String, ResourceType>;

    /// The schema of the `provider "x" { ... }` block.
    fn config_schema(&self) -> &Schema;

    /// How many operations of one service may run at once (per configured instance).
    fn service_limit(&self, _service: &str) -> usize {
        10
    }

    /// Configures an instance from the provider block's value (an object of `config_schema`'s
    /// type). May do I/O (credentials, a clone of a Git repository).
    fn configure<'a>(
        &'a self,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Arc<dyn ProviderInstance>>>;
}

/// The provider a resource type belongs to when no `provider = ...` says otherwise: the type's
/// prefix (`aws_s3_bucket` -> `aws`), except for the types sakk's own providers serve under other
/// prefixes (Argo CD and Kubeflow manifests are written by the `gitops` provider; `time_sleep`
/// by the built-in `terraform` provider).
pub fn implied_provider(type_: &str) -> &str {
    let prefix = type_.split('_').next().unwrap_or(type_);
    match prefix {
        "argocd" | "kubeflow" => "gitops",
        "time" => "terraform",
        p => p,
    }
}

/// The providers compiled into this binary, by name.
#[derive(Default, Clone)]
pub struct Registry {
    providers: IndexMap<String, Arc<dyn Provider>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }
    pub fn add(&mut self, p: Arc<dyn Provider>) {
        self.providers.insert(p.name().to_string(), p);
    }
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }
    /// The provider that serves a resource type: the one whose name is the type's prefix
    /// (`aws_s3_bucket` -> `aws`), or that declares the type.
    pub fn for_type(&self, type_: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(implied_provider(type_)).or_else(|| {
            self.providers.values().find(|p| {
                p.resource_types().contains_key(type_) || p.data_types().contains_key(type_)
            })
        })
    }
}

#[cfg(test)]
mod token_tests {
    use super::token_time;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn token_time_reads_the_seconds_back() {
        let t = token_time("sakk-6751a2f0-0123456789abcdef").expect("time");
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(0x6751a2f0));
        assert_eq!(token_time("terraform-x"), None);
        assert_eq!(token_time("sakk-zz-1"), None);
    }
}
