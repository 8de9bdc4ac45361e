//! A configurable in-process provider for tests, after Terraform's
//! `internal/providers/testing/provider_mock.go`.
//!
//! [`MockProvider`] implements [`Provider`] and [`ProviderInstance`] for resource and data source
//! types a test declares ([`MockType`]: attributes required/optional/computed/force_new/
//! sensitive, a service and per-service limits). Behind it is an in-memory *world*: the objects
//! that exist "in the cloud". Create puts an object there, delete removes it, read and import
//! look it up, `find_by_token` finds one by the idempotency token of the create that made it.
//! A test can change the world behind sakk's back ([`MockProvider::delete_object`],
//! [`MockProvider::edit_object`], [`MockProvider::insert_object`]) to make drift or objects to
//! import.
//!
//! Every call is logged ([`MockProvider::calls`]) with its operation, type, address, token, the
//! values it was given and what it returned, so tests assert on what the engine asked for.
//! Faults are injected per operation and address or type ([`MockProvider::inject`]): fail
//! (always or a number of times), delay (tokio time, for parallelism and cancellation), do the
//! work and then lose the response (the object exists but the call fails), or answer late.
//! The mock counts operations in flight (overall and per service) and remembers the most seen
//! at once.
//!
//! Planning follows the schema as the Terraform SDK does: configured values are taken as they
//! are, optional attributes left null get their default, computed attributes keep their prior
//! value (unknown when there is none or the object is replaced), a "mirror" attribute
//! ([`MockType::mirror`]) is planned as the value of its source, and a change (or unknown) of a
//! force-new attribute requires replacement. Apply checks that what it is given is complete
//! (no unknown outside computed attributes, required attributes set, no in-place change of a
//! force-new attribute), as a real API would refuse it.
//!
//! No call panics, whatever the sequence or the values: problems are [`ProviderError`]s.

use crate::evaluate::resource::mark_sensitive;
use crate::lang::types::Type;
use crate::lang::value::{Kind, Value};
use crate::provider::{
    ApplyContext, Attribute, Block, BoxFuture, OpContext, PlanRequest, PlanResponse, Provider,
    ProviderError, ProviderInstance, ProviderResult, Registry, ResourceType, Schema,
};
use indexmap::IndexMap;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// An operation of the provider contract, as the call log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Configure,
    Plan,
    Read,
    Create,
    Update,
    Delete,
    Import,
    FindByToken,
    ReadData,
    FinishApply,
}

/// Which calls a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Every call of the operation.
    Any,
    /// Calls about this instance address (`mock_thing.a`, `module.m.mock_thing.b[0]`). Plan and
    /// find_by_token are not told the address: they match only `Any` and `Type`.
    Address(String),
    /// Calls about this resource or data source type.
    Type(String),
}

impl From<&str> for Match {
    /// `*` is any call, a name with a dot an address, anything else a type.
    fn from(s: &str) -> Match {
        if s == "*" {
            Match::Any
        } else if s.contains('.') {
            Match::Address(s.to_string())
        } else {
            Match::Type(s.to_string())
        }
    }
}

impl From<String> for Match {
    fn from(s: String) -> Match {
        Match::from(s.as_str())
    }
}

/// What an injected fault does to a call.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// The call fails with this error before doing anything.
    Fail(ProviderError),
    /// The call waits this long (tokio time) before doing anything. Synchronous calls (plan)
    /// ignore delays.
    Delay(Duration),
    /// The call does its work, then waits this long before answering: a response still in
    /// flight (when the apply is abandoned, the work is done and the answer is lost).
    DelayAfter(Duration),
    /// The call does its work, then fails: the response was lost (a timeout, a crash).
    LoseResponse,
}

/// An injected fault (see [`MockProvider::inject`]).
#[derive(Debug, Clone)]
pub struct Fault {
    pub op: Op,
    pub on: Match,
    pub kind: FaultKind,
    /// How many more calls it applies to (None: every call).
    pub remaining: Option<usize>,
}

/// One call the mock received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Position in the log (chronological by the start of the call).
    pub seq: usize,
    pub op: Op,
    /// The configured instance that received it (configure: the instance it makes).
    pub instance: usize,
    /// The resource or data source type ("" for configure and finish_apply).
    pub type_: String,
    /// The instance address, for calls that are told it (not plan, find_by_token).
    pub address: Option<String>,
    /// The idempotency token (create with a token, find_by_token).
    pub token: Option<String>,
    /// The object id the call is about (import: the id asked for; read/update/delete: the
    /// prior id).
    pub id: Option<String>,
    /// The prior (read: current) state.
    pub prior: Option<Value>,
    /// The configuration (plan, read_data, configure).
    pub config: Option<Value>,
    /// The planned state (create, update, find_by_token).
    pub planned: Option<Value>,
    /// What the call returned (None while in flight, or when abandoned). Plan: the planned
    /// state; read/find_by_token: the object or None; delete, configure, finish_apply: None.
    pub result: Option<Result<Option<Value>, ProviderError>>,
}

impl Call {
    fn new(op: Op, instance: usize, type_: &str) -> Call {
        Call {
            seq: 0,
            op,
            instance,
            type_: type_.to_string(),
            address: None,
            token: None,
            id: None,
            prior: None,
            config: None,
            planned: None,
            result: None,
        }
    }

    /// Whether the call finished successfully.
    pub fn succeeded(&self) -> bool {
        matches!(self.result, Some(Ok(_)))
    }

    /// The error the call returned, if it failed.
    pub fn error(&self) -> Option<&ProviderError> {
        match &self.result {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }
}

/// An object in the mock's world.
#[derive(Debug, Clone)]
pub struct Object {
    pub type_: String,
    pub id: String,
    /// Its attributes (no marks: the world does not know what sakk considers sensitive).
    pub value: Value,
    /// The idempotency token of the create that made it.
    pub token: Option<String>,
    /// The address of the create that made it (None: inserted by the test).
    pub address: Option<String>,
}

/// A resource or data source type of a [`MockProvider`].
#[derive(Debug, Clone)]
pub struct MockType {
    name: String,
    schema: Schema,
    service: &'static str,
    create_timeout: Option<Duration>,
    delete_timeout: Option<Duration>,
    /// (computed attribute, attribute whose value it takes).
    mirrors: Vec<(String, String)>,
    adopts_by_token: bool,
    importable: bool,
    id_from: Option<String>,
}

impl MockType {
    /// A type with a computed string attribute `id` (what the world knows objects by), in the
    /// service "mock", importable, not adopting by token.
    pub fn new(name: &str) -> MockType {
        MockType {
            name: name.to_string(),
            schema: Schema::new().attr("id", Attribute::computed(Type::String)),
            service: "mock",
            create_timeout: None,
            delete_timeout: None,
            mirrors: Vec::new(),
            adopts_by_token: false,
            importable: true,
            id_from: None,
        }
    }
    pub fn attr(mut self, name: &str, a: Attribute) -> MockType {
        self.schema = self.schema.attr(name, a);
        self
    }
    pub fn required(self, name: &str, ty: Type) -> MockType {
        self.attr(name, Attribute::required(ty))
    }
    pub fn optional(self, name: &str, ty: Type) -> MockType {
        self.attr(name, Attribute::optional(ty))
    }
    pub fn computed(self, name: &str, ty: Type) -> MockType {
        self.attr(name, Attribute::computed(ty))
    }
    pub fn optional_computed(self, name: &str, ty: Type) -> MockType {
        self.attr(name, Attribute::optional_computed(ty))
    }
    /// An optional attribute whose change replaces the object.
    pub fn force_new(self, name: &str, ty: Type) -> MockType {
        self.attr(name, Attribute::optional(ty).force_new())
    }
    /// An optional sensitive attribute.
    pub fn sensitive(self, name: &str, ty: Type) -> MockType {
        self.attr(name, Attribute::optional(ty).sensitive())
    }
    /// A computed attribute `name` that takes the value of attribute `from` (as
    /// `terraform_data`'s `output` takes `input`): planned as `from`'s planned value.
    pub fn mirror(mut self, name: &str, from: &str) -> MockType {
        let ty = self
            .schema
            .attributes
            .get(from)
            .map(|a| a.ty.clone())
            .unwrap_or(Type::Dynamic);
        self.schema = self.schema.attr(name, Attribute::computed(ty));
        self.mirrors.push((name.to_string(), from.to_string()));
        self
    }
    pub fn block(mut self, name: &str, b: Block) -> MockType {
        self.schema = self.schema.block(name, b);
        self
    }
    /// The service whose concurrency limit operations of this type share.
    pub fn service(mut self, service: &'static str) -> MockType {
        self.service = service;
        self
    }
    pub fn timeouts(mut self, create: Option<Duration>, delete: Option<Duration>) -> MockType {
        self.create_timeout = create;
        self.delete_timeout = delete;
        self
    }
    /// Whether `find_by_token` finds objects of this type by their create's token (then the
    /// executor records an intent before each create).
    pub fn adopts_by_token(mut self, yes: bool) -> MockType {
        self.adopts_by_token = yes;
        self
    }
    pub fn importable(mut self, yes: bool) -> MockType {
        self.importable = yes;
        self
    }
    /// The object id is the value of this (string) attribute, not generated: a second create of
    /// the same value fails with "already exists", as bucket names do.
    pub fn id_from(mut self, attr: &str) -> MockType {
        self.id_from = Some(attr.to_string());
        self
    }

    fn resource_type(&self) -> ResourceType {
        ResourceType {
            schema: self.schema.clone(),
            service: self.service,
            create_timeout: self.create_timeout,
            delete_timeout: self.delete_timeout,
        }
    }
}

/// Builds a [`MockProvider`].
pub struct MockProviderBuilder {
    name: &'static str,
    resources: Vec<MockType>,
    data: Vec<MockType>,
    config: Schema,
    limits: HashMap<String, usize>,
    default_limit: usize,
}

impl MockProviderBuilder {
    pub fn resource(mut self, t: MockType) -> Self {
        self.resources.push(t);
        self
    }
    pub fn data_source(mut self, t: MockType) -> Self {
        self.data.push(t);
        self
    }
    /// An attribute of the `provider "<name>" { ... }` block.
    pub fn config_attr(mut self, name: &str, a: Attribute) -> Self {
        self.config = self.config.clone().attr(name, a);
        self
    }
    /// At most `n` operations of `service` at once (per configured instance).
    pub fn service_limit(mut self, service: &str, n: usize) -> Self {
        self.limits.insert(service.to_string(), n);
        self
    }
    /// The limit of services without one of their own (default 10, as the trait's).
    pub fn default_service_limit(mut self, n: usize) -> Self {
        self.default_limit = n;
        self
    }
    pub fn build(self) -> Arc<MockProvider> {
        let mut types = Types::default();
        for t in self.resources {
            types.resources.insert(t.name.clone(), t.resource_type());
            types.managed.insert(t.name.clone(), t);
        }
        for t in self.data {
            types.data.insert(t.name.clone(), t.resource_type());
            types.data_defs.insert(t.name.clone(), t);
        }
        Arc::new(MockProvider {
            name: self.name,
            types: Arc::new(types),
            config: self.config,
            limits: Mutex::new(self.limits),
            default_limit: Mutex::new(self.default_limit),
            shared: Arc::new(Shared::default()),
        })
    }
}

#[derive(Default)]
struct Types {
    resources: IndexMap<String, ResourceType>,
    data: IndexMap<String, ResourceType>,
    managed: HashMap<String, MockType>,
    data_defs: HashMap<String, MockType>,
}

type Hook = Arc<dyn Fn(&Call) + Send + Sync>;

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    world: IndexMap<(String, String), Object>,
    faults: Vec<Fault>,
    hooks: Vec<Hook>,
    /// Objects created so far (for generated ids).
    created: u64,
    instances: usize,
    in_flight: usize,
    max_in_flight: usize,
    service_in_flight: HashMap<String, usize>,
    service_max: HashMap<String, usize>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the faults of one call amount to.
#[derive(Default)]
struct Effects {
    fail: Option<ProviderError>,
    delay: Duration,
    delay_after: Duration,
    lose: bool,
}

fn matches(m: &Match, type_: &str, address: Option<&str>) -> bool {
    match m {
        Match::Any => true,
        Match::Type(t) => t == type_,
        Match::Address(a) => address == Some(a.as_str()),
    }
}

/// A mock provider (see the module documentation). Cheap to share: hold the `Arc` in the test
/// and put a clone in the [`Registry`] ([`MockProvider::registry`]).
pub struct MockProvider {
    name: &'static str,
    types: Arc<Types>,
    config: Schema,
    limits: Mutex<HashMap<String, usize>>,
    default_limit: Mutex<usize>,
    shared: Arc<Shared>,
}

impl MockProvider {
    /// A provider named `name` (types named `<name>_...` are found by their prefix).
    pub fn builder(name: &'static str) -> MockProviderBuilder {
        MockProviderBuilder {
            name,
            resources: Vec::new(),
            data: Vec::new(),
            config: Schema::new(),
            limits: HashMap::new(),
            default_limit: 10,
        }
    }

    /// The provider `mock` most tests need:
    /// - `mock_thing` (service "things", adopts by token): `input` (optional, any type),
    ///   `output` (mirrors `input`), `triggers_replace` (optional, force-new), `secret`
    ///   (optional sensitive string);
    /// - `mock_other`: the same attributes in service "others", not adopting by token;
    /// - data source `mock_lookup`: `input` (optional), `output` (mirrors `input`);
    /// - provider block: optional `region` (string).
    pub fn standard() -> Arc<MockProvider> {
        let thing = |name: &str, service: &'static str| {
            MockType::new(name)
                .optional("input", Type::Dynamic)
                .mirror("output", "input")
                .force_new("triggers_replace", Type::Dynamic)
                .sensitive("secret", Type::String)
                .service(service)
        };
        MockProvider::builder("mock")
            .resource(thing("mock_thing", "things").adopts_by_token(true))
            .resource(thing("mock_other", "others"))
            .data_source(
                MockType::new("mock_lookup")
                    .optional("input", Type::Dynamic)
                    .mirror("output", "input")
                    .service("lookups"),
            )
            .config_attr("region", Attribute::optional(Type::String))
            .build()
    }

    /// A registry with this provider.
    pub fn registry(self: &Arc<Self>) -> Registry {
        let mut r = Registry::new();
        r.add(self.clone());
        r
    }

    // ---- faults and hooks ----

    /// Injects a fault into calls of `op` that `on` matches, for `times` calls (None: all).
    pub fn inject(&self, op: Op, on: impl Into<Match>, kind: FaultKind, times: Option<usize>) {
        self.shared.lock().faults.push(Fault {
            op,
            on: on.into(),
            kind,
            remaining: times,
        });
    }
    /// Every call of `op` that `on` matches fails.
    pub fn fail(&self, op: Op, on: impl Into<Match>) {
        let on = on.into();
        let e = injected(op, &on);
        self.inject(op, on, FaultKind::Fail(e), None);
    }
    /// The next call of `op` that `on` matches fails.
    pub fn fail_once(&self, op: Op, on: impl Into<Match>) {
        let on = on.into();
        let e = injected(op, &on);
        self.inject(op, on, FaultKind::Fail(e), Some(1));
    }
    /// Calls of `op` that `on` matches fail with `e`, `times` times (None: always).
    pub fn fail_with(&self, op: Op, on: impl Into<Match>, e: ProviderError, times: Option<usize>) {
        self.inject(op, on, FaultKind::Fail(e), times);
    }
    /// Calls of `op` that `on` matches wait `d` first.
    pub fn delay(&self, op: Op, on: impl Into<Match>, d: Duration) {
        self.inject(op, on, FaultKind::Delay(d), None);
    }
    /// Calls of `op` that `on` matches do their work, then wait `d` before answering.
    pub fn delay_after(&self, op: Op, on: impl Into<Match>, d: Duration) {
        self.inject(op, on, FaultKind::DelayAfter(d), None);
    }
    /// The next call of `op` that `on` matches does its work and then fails.
    pub fn lose_response(&self, op: Op, on: impl Into<Match>) {
        self.inject(op, on, FaultKind::LoseResponse, Some(1));
    }
    /// The next create of `address` makes its object, and then fails.
    pub fn lose_create_response(&self, address: &str) {
        self.lose_response(Op::Create, Match::Address(address.to_string()));
    }
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }
    /// The faults still active.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.lock().faults.clone()
    }
    /// Runs `hook` at the start of every call (after it is logged, before faults delay it), on
    /// the calling thread, with no lock held: it may use this mock, or set a cancel flag.
    pub fn on_call(&self, hook: impl Fn(&Call) + Send + Sync + 'static) {
        self.shared.lock().hooks.push(Arc::new(hook));
    }
    pub fn clear_hooks(&self) {
        self.shared.lock().hooks.clear();
    }
    /// Sets the concurrency limit of a service (see [`Provider::service_limit`]).
    pub fn set_service_limit(&self, service: &str, n: usize) {
        self.limits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(service.to_string(), n);
    }
    pub fn set_default_service_limit(&self, n: usize) {
        *self
            .default_limit
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = n;
    }

    // ---- the call log ----

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }
    /// The calls of one operation.
    pub fn calls_of(&self, op: Op) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.op == op)
            .cloned()
            .collect()
    }
    /// How many calls of `op` there were.
    pub fn count(&self, op: Op) -> usize {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.op == op)
            .count()
    }
    /// How many calls of `op` were about `address`.
    pub fn count_at(&self, op: Op, address: &str) -> usize {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.op == op && c.address.as_deref() == Some(address))
            .count()
    }
    /// The addresses of the calls of `op`, sorted, with repeats.
    pub fn addresses(&self, op: Op) -> Vec<String> {
        let mut v: Vec<String> = self
            .shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.op == op)
            .filter_map(|c| c.address.clone())
            .collect();
        v.sort();
        v
    }
    /// Forgets the calls so far (and the in-flight maxima).
    pub fn clear_calls(&self) {
        let mut g = self.shared.lock();
        g.calls.clear();
        g.max_in_flight = g.in_flight;
        g.service_max.clear();
    }

    // ---- concurrency ----

    /// Asynchronous calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.shared.lock().in_flight
    }
    /// The most asynchronous calls in flight at once (since the last [`Self::clear_calls`] or
    /// [`Self::reset_max_in_flight`]).
    pub fn max_in_flight(&self) -> usize {
        self.shared.lock().max_in_flight
    }
    /// The most calls of types of `service` in flight at once.
    pub fn max_in_flight_of(&self, service: &str) -> usize {
        self.shared
            .lock()
            .service_max
            .get(service)
            .copied()
            .unwrap_or(0)
    }
    pub fn reset_max_in_flight(&self) {
        let mut g = self.shared.lock();
        g.max_in_flight = g.in_flight;
        g.service_max.clear();
    }

    // ---- the world ----

    /// Every object in the world.
    pub fn objects(&self) -> Vec<Object> {
        self.shared.lock().world.values().cloned().collect()
    }
    /// The objects of one type.
    pub fn objects_of(&self, type_: &str) -> Vec<Object> {
        self.shared
            .lock()
            .world
            .values()
            .filter(|o| o.type_ == type_)
            .cloned()
            .collect()
    }
    /// The ids of every object in the world.
    pub fn ids(&self) -> BTreeSet<String> {
        self.shared
            .lock()
            .world
            .values()
            .map(|o| o.id.clone())
            .collect()
    }
    pub fn object(&self, type_: &str, id: &str) -> Option<Object> {
        self.shared
            .lock()
            .world
            .get(&(type_.to_string(), id.to_string()))
            .cloned()
    }
    /// The objects that creates of `address` made (still in the world).
    pub fn objects_made_at(&self, address: &str) -> Vec<Object> {
        self.shared
            .lock()
            .world
            .values()
            .filter(|o| o.address.as_deref() == Some(address))
            .cloned()
            .collect()
    }
    /// Puts an object into the world, as if made outside sakk: the given attributes, the rest
    /// of the schema's null (computed ones of a fresh object: generated).
    pub fn insert_object(
        &self,
        type_: &str,
        id: &str,
        attrs: Vec<(&str, Value)>,
    ) -> ProviderResult<()> {
        let t = self
            .types
            .managed
            .get(type_)
            .ok_or_else(|| unsupported(type_))?;
        let mut v: Vec<(String, Value)> = Vec::new();
        for (name, a) in &t.schema.attributes {
            let given = attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, x)| x.clone());
            v.push((
                name.clone(),
                match given {
                    Some(x) => x,
                    None if name == "id" => Value::string(id),
                    None => Value::null(a.ty.clone()),
                },
            ));
        }
        for (name, b) in &t.schema.blocks {
            v.push((name.clone(), empty_block(b)));
        }
        if let Some((n, _)) = attrs.iter().find(|(n, _)| {
            !t.schema.attributes.contains_key(*n) && !t.schema.blocks.contains_key(*n)
        }) {
            return Err(ProviderError::new(format!("{type_} has no attribute {n}")));
        }
        let value = Value::object(v).unmark_deep().0;
        self.shared.lock().world.insert(
            (type_.to_string(), id.to_string()),
            Object {
                type_: type_.to_string(),
                id: id.to_string(),
                value,
                token: None,
                address: None,
            },
        );
        Ok(())
    }
    /// Records `token` as the idempotency token of the create that made an object (what a
    /// create cut off by a crash leaves behind).
    pub fn set_object_token(&self, type_: &str, id: &str, token: &str) -> ProviderResult<()> {
        let mut g = self.shared.lock();
        let o = g
            .world
            .get_mut(&(type_.to_string(), id.to_string()))
            .ok_or_else(|| not_found(type_, id))?;
        o.token = Some(token.to_string());
        Ok(())
    }
    /// Changes one attribute of an object behind sakk's back.
    pub fn edit_object(
        &self,
        type_: &str,
        id: &str,
        attr: &str,
        value: Value,
    ) -> ProviderResult<()> {
        let mut g = self.shared.lock();
        let o = g
            .world
            .get_mut(&(type_.to_string(), id.to_string()))
            .ok_or_else(|| not_found(type_, id))?;
        if o.value.get_attr(attr).is_none() {
            return Err(ProviderError::new(format!(
                "{type_} has no attribute {attr}"
            )));
        }
        o.value = with_attr(&o.value, attr, value.unmark_deep().0);
        Ok(())
    }
    /// Deletes an object behind sakk's back; whether it existed.
    pub fn delete_object(&self, type_: &str, id: &str) -> bool {
        self.shared
            .lock()
            .world
            .shift_remove(&(type_.to_string(), id.to_string()))
            .is_some()
    }
}

fn injected(op: Op, on: &Match) -> ProviderError {
    let what = match on {
        Match::Any => "any call".to_string(),
        Match::Address(a) => a.clone(),
        Match::Type(t) => t.clone(),
    };
    ProviderError::new(format!("{what}: {op:?} failed (injected)"))
        .detail("the mock provider was told to fail this call")
        .hint("clear the fault and try again")
}

fn unsupported(type_: &str) -> ProviderError {
    ProviderError::new(format!("Unsupported type \"{type_}\""))
        .detail("the mock provider declares no such type")
}

fn not_found(type_: &str, id: &str) -> ProviderError {
    ProviderError::new(format!("{type_} \"{id}\" not found"))
        .detail("no such object in the mock's world")
        .hint("it may have been deleted outside sakk; refresh")
}

fn attr(v: &Value, name: &str) -> Value {
    v.get_attr(name)
        .cloned()
        .unwrap_or_else(Value::null_dynamic)
}

fn with_attr(v: &Value, name: &str, new: Value) -> Value {
    let mut attrs: Vec<(String, Value)> = match v.kind() {
        Kind::Object(a) => a.iter().map(|(k, x)| (k.clone(), x.clone())).collect(),
        _ => Vec::new(),
    };
    match attrs.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = new,
        None => attrs.push((name.to_string(), new)),
    }
    Value::object(attrs)
}

fn plain(v: &Value) -> Value {
    v.clone().unmark_deep().0
}

fn same(a: &Value, b: &Value) -> bool {
    plain(a).raw_equal(&plain(b))
}

fn id_of(v: &Value) -> Option<String> {
    let id = v.get_attr("id")?;
    let (id, _) = id.clone().unmark();
    id.as_str().map(str::to_string)
}

fn empty_block(b: &Block) -> Value {
    let ty = b.schema.object_type();
    match b.nesting {
        crate::provider::Nesting::Single => Value::null(ty),
        crate::provider::Nesting::List => Value::empty_list(ty),
        crate::provider::Nesting::Set => Value::set(ty, Vec::new()),
    }
}

/// A value for a computed attribute the provider decides at apply.
fn generated(ty: &Type, attr: &str, id: &str, n: u64) -> Value {
    match ty {
        Type::String | Type::Dynamic => Value::string(format!("{id}/{attr}")),
        Type::Number => Value::int(n as i64),
        Type::Bool => Value::bool(false),
        Type::List(e) => Value::empty_list((**e).clone()),
        Type::Set(e) => Value::set((**e).clone(), Vec::new()),
        Type::Map(e) => Value::map((**e).clone(), Vec::new()),
        Type::Tuple(ts) => Value::tuple(
            ts.iter()
                .enumerate()
                .map(|(i, t)| generated(t, &format!("{attr}.{i}"), id, n))
                .collect(),
        ),
        Type::Object(attrs) => Value::object(
            attrs
                .iter()
                .map(|(k, t)| (k.clone(), generated(t, &format!("{attr}.{k}"), id, n)))
                .collect(),
        ),
    }
}

/// A stable hex digest of a value (data source ids).
fn digest(v: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match plain(v).to_json() {
        Ok(s) => s.hash(&mut h),
        Err(_) => v.to_string().hash(&mut h),
    }
    format!("{:016x}", h.finish())
}

/// Decrements the in-flight counters when a call ends (or its future is dropped).
struct InFlight {
    shared: Arc<Shared>,
    service: String,
}

impl InFlight {
    fn start(shared: &Arc<Shared>, service: &str) -> InFlight {
        let mut g = shared.lock();
        g.in_flight += 1;
        g.max_in_flight = g.max_in_flight.max(g.in_flight);
        let now = {
            let c = g.service_in_flight.entry(service.to_string()).or_insert(0);
            *c += 1;
            *c
        };
        let m = g.service_max.entry(service.to_string()).or_insert(0);
        *m = (*m).max(now);
        drop(g);
        InFlight {
            shared: shared.clone(),
            service: service.to_string(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut g = self.shared.lock();
        g.in_flight = g.in_flight.saturating_sub(1);
        if let Some(c) = g.service_in_flight.get_mut(&self.service) {
            *c = c.saturating_sub(1);
        }
    }
}

impl Shared {
    /// Logs a call, works out its faults and runs the hooks; returns its log position.
    fn begin(&self, mut call: Call) -> (usize, Effects) {
        let (seq, fx, hooks, logged) = {
            let mut g = self.lock();
            let seq = g.calls.len();
            call.seq = seq;
            let mut fx = Effects::default();
            for f in g.faults.iter_mut() {
                if f.op != call.op
                    || f.remaining == Some(0)
                    || !matches(&f.on, &call.type_, call.address.as_deref())
                {
                    continue;
                }
                if let Some(r) = f.remaining.as_mut() {
                    *r -= 1;
                }
                match &f.kind {
                    FaultKind::Fail(e) => {
                        if fx.fail.is_none() {
                            fx.fail = Some(e.clone());
                        }
                    }
                    FaultKind::Delay(d) => fx.delay += *d,
                    FaultKind::DelayAfter(d) => fx.delay_after += *d,
                    FaultKind::LoseResponse => fx.lose = true,
                }
            }
            g.faults.retain(|f| f.remaining != Some(0));
            g.calls.push(call.clone());
            (seq, fx, g.hooks.clone(), call)
        };
        for h in hooks {
            h(&logged);
        }
        (seq, fx)
    }

    fn finish(&self, seq: usize, result: Result<Option<Value>, ProviderError>) {
        if let Some(c) = self.lock().calls.get_mut(seq) {
            c.result = Some(result);
        }
    }
}

fn lost(op: Op, call_address: Option<&str>) -> ProviderError {
    ProviderError::new(format!(
        "{}: {op:?} timed out waiting for the response (injected)",
        call_address.unwrap_or("a call")
    ))
    .detail("the mock did the work, then lost the response")
}

/// A configured instance of a [`MockProvider`].
struct MockInstance {
    number: usize,
    types: Arc<Types>,
    shared: Arc<Shared>,
}

impl MockInstance {
    fn call(&self, op: Op, type_: &str) -> Call {
        Call::new(op, self.number, type_)
    }

    /// Runs an asynchronous call: logs it, applies its faults, counts it in flight, runs `work`
    /// on the world, records the result.
    async fn run<T>(
        &self,
        call: Call,
        ctx: Option<&OpContext>,
        service: Option<&str>,
        work: impl FnOnce(&mut Inner) -> ProviderResult<T>,
        logged: impl Fn(&T) -> Option<Value>,
    ) -> ProviderResult<T> {
        let op = call.op;
        let address = call.address.clone();
        let (seq, fx) = self.shared.begin(call);
        let _guard = service.map(|s| InFlight::start(&self.shared, s));
        if !fx.delay.is_zero() {
            if let Some(c) = ctx {
                (c.progress)(&format!("waiting {:?} (injected delay)", fx.delay));
            }
            tokio::time::sleep(fx.delay).await;
        }
        if let Some(e) = fx.fail {
            self.shared.finish(seq, Err(e.clone()));
            return Err(e);
        }
        let r = {
            let mut g = self.shared.lock();
            work(&mut g)
        };
        if !fx.delay_after.is_zero() {
            tokio::time::sleep(fx.delay_after).await;
        }
        let r = match r {
            Ok(_) if fx.lose => Err(lost(op, address.as_deref())),
            r => r,
        };
        self.shared.finish(
            seq,
            match &r {
                Ok(v) => Ok(logged(v)),
                Err(e) => Err(e.clone()),
            },
        );
        r
    }

    fn plan_change(&self, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let t = self.managed(req.type_)?;
        check_object(t, req.config, "the configuration")?;
        if let Some(p) = req.prior {
            check_object(t, p, "the prior state")?;
        }
        check_complete(t, req.config, false)?;
        let mut planned = plan_value(t, req.config, req.prior);
        let mut requires_replace = Vec::new();
        if let Some(p) = req.prior {
            requires_replace = replace_paths(t, &planned, p);
            if !requires_replace.is_empty() {
                planned = plan_value(t, req.config, None);
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace,
        })
    }

    fn managed(&self, type_: &str) -> ProviderResult<&MockType> {
        self.types
            .managed
            .get(type_)
            .ok_or_else(|| unsupported(type_))
    }

    fn service_of(&self, type_: &str) -> Option<&'static str> {
        self.types
            .managed
            .get(type_)
            .or_else(|| self.types.data_defs.get(type_))
            .map(|t| t.service)
    }
}

/// Checks that `v` is an object with the attributes of `t`'s schema only.
fn check_object(t: &MockType, v: &Value, what: &str) -> ProviderResult<()> {
    let Some(entries) = v.entries().filter(|_| v.ty().is_object()) else {
        return Err(
            ProviderError::new(format!("{what} of {} is not an object", t.name))
                .detail(format!("got a value of type {}", v.ty().friendly_name())),
        );
    };
    for k in entries.keys() {
        if !t.schema.attributes.contains_key(k) && !t.schema.blocks.contains_key(k) {
            return Err(ProviderError::new(format!(
                "Unsupported argument \"{k}\" in {what} of {}",
                t.name
            ))
            .attribute(k.clone()));
        }
    }
    Ok(())
}

/// The required attributes set, and (at apply) every non-computed attribute known.
fn check_complete(t: &MockType, v: &Value, at_apply: bool) -> ProviderResult<()> {
    for (name, a) in &t.schema.attributes {
        let x = attr(v, name);
        if a.required && x.is_known() && x.is_null() {
            return Err(
                ProviderError::new(format!("Missing required argument \"{name}\""))
                    .detail(format!("{} requires {name}", t.name))
                    .attribute(name.clone())
                    .hint(format!("set {name}")),
            );
        }
        if at_apply && !a.computed && !x.is_wholly_known() {
            return Err(
                ProviderError::new(format!("Value of \"{name}\" is not known at apply"))
                    .detail("a provider must be given known values for what is not computed")
                    .attribute(name.clone()),
            );
        }
    }
    for (name, b) in &t.schema.blocks {
        let x = attr(v, name);
        if at_apply && !x.is_wholly_known() {
            return Err(
                ProviderError::new(format!("Block \"{name}\" is not known at apply"))
                    .attribute(name.clone()),
            );
        }
        if let Some(n) = x.length() {
            if n < b.min_items || (b.max_items > 0 && n > b.max_items) {
                return Err(ProviderError::new(format!(
                    "Block \"{name}\" has {n} items, not between {} and {}",
                    b.min_items, b.max_items
                ))
                .attribute(name.clone()));
            }
        }
    }
    Ok(())
}

/// The planned value of every attribute of `t` from `config` and (unless replacing) `prior`.
fn plan_value(t: &MockType, config: &Value, prior: Option<&Value>) -> Value {
    let mut out: Vec<(String, Value)> = Vec::new();
    for (name, a) in &t.schema.attributes {
        if t.mirrors.iter().any(|(m, _)| m == name) {
            continue;
        }
        let c = config
            .get_attr(name)
            .cloned()
            .unwrap_or_else(|| Value::null(a.ty.clone()));
        let from_prior = || {
            prior
                .and_then(|p| p.get_attr(name).cloned())
                .unwrap_or_else(|| Value::unknown(a.ty.clone()))
        };
        let v = if a.computed && !a.optional {
            from_prior()
        } else if c.is_known() && c.is_null() {
            match (&a.default, a.computed) {
                (Some(d), _) => d.clone(),
                (None, true) => from_prior(),
                (None, false) => c,
            }
        } else {
            c
        };
        out.push((name.clone(), v));
    }
    for (name, b) in &t.schema.blocks {
        let v = config
            .get_attr(name)
            .cloned()
            .unwrap_or_else(|| empty_block(b));
        out.push((name.clone(), v));
    }
    let planned = Value::object(out);
    let mirrored: Vec<(String, Value)> = t
        .mirrors
        .iter()
        .map(|(m, from)| {
            let v = planned.get_attr(from).cloned().unwrap_or_else(|| {
                let ty = t
                    .schema
                    .attributes
                    .get(m)
                    .map(|a| a.ty.clone())
                    .unwrap_or(Type::Dynamic);
                Value::null(ty)
            });
            (m.clone(), v)
        })
        .collect();
    let mut v = planned;
    for (m, x) in mirrored {
        v = with_attr(&v, &m, x);
    }
    v
}

/// The force-new attributes (and blocks) whose planned value differs from the prior's or is
/// not known yet.
fn replace_paths(t: &MockType, planned: &Value, prior: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let differs = |name: &str| {
        let new = attr(planned, name);
        !new.is_wholly_known() || !same(&new, &attr(prior, name))
    };
    for (name, a) in &t.schema.attributes {
        if a.force_new && (a.optional || !a.computed) && differs(name) {
            out.push(name.clone());
        }
    }
    for (name, b) in &t.schema.blocks {
        if b.force_new && differs(name) {
            out.push(name.clone());
        }
    }
    out
}

/// The planned state with what the provider decides at apply filled in: the id, computed
/// attributes still unknown, mirrors.
fn resolve(t: &MockType, planned: &Value, id: &str, n: u64) -> Value {
    let mut v = with_attr(planned, "id", Value::string(id));
    for (name, a) in &t.schema.attributes {
        if name == "id" || !a.computed || t.mirrors.iter().any(|(m, _)| m == name) {
            continue;
        }
        let x = attr(&v, name);
        if !x.is_wholly_known() {
            v = with_attr(&v, name, generated(&a.ty, name, id, n));
        }
    }
    for (m, from) in &t.mirrors {
        let x = attr(&v, from);
        v = with_attr(&v, m, x);
    }
    v
}

impl Provider for MockProvider {
    fn name(&self) -> &'static str {
        self.name
    }
    fn resource_types(&self) -> &IndexMap<String, ResourceType> {
        &self.types.resources
    }
    fn data_types(&self) -> &IndexMap<String, ResourceType> {
        &self.types.data
    }
    fn config_schema(&self) -> &Schema {
        &self.config
    }
    fn service_limit(&self, service: &str) -> usize {
        let limits = self.limits.lock().unwrap_or_else(PoisonError::into_inner);
        match limits.get(service) {
            Some(n) => *n,
            None => *self
                .default_limit
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        }
    }
    fn configure<'a>(
        &'a self,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Arc<dyn ProviderInstance>>> {
        Box::pin(async move {
            let shared = self.shared.clone();
            let number = {
                let mut g = shared.lock();
                g.instances += 1;
                g.instances
            };
            let inst = MockInstance {
                number,
                types: self.types.clone(),
                shared: shared.clone(),
            };
            let mut call = inst.call(Op::Configure, "");
            call.config = Some(config.clone());
            let cfg_ok = match config.entries().filter(|_| config.ty().is_object()) {
                Some(e) => match e.keys().find(|k| !self.config.attributes.contains_key(*k)) {
                    Some(k) => Err(ProviderError::new(format!(
                        "Unsupported argument \"{k}\" in the provider block"
                    ))
                    .attribute(k.clone())),
                    None => Ok(()),
                },
                None if config.is_null() => Ok(()),
                None => Err(ProviderError::new(
                    "The provider configuration is not an object",
                )),
            };
            inst.run(call, None, None, move |_| cfg_ok, |_| None)
                .await?;
            Ok(Arc::new(inst) as Arc<dyn ProviderInstance>)
        })
    }
}

impl ProviderInstance for MockInstance {
    fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let mut call = self.call(Op::Plan, req.type_);
        call.prior = req.prior.cloned();
        call.config = Some(req.config.clone());
        call.id = req.prior.and_then(id_of);
        let (seq, fx) = self.shared.begin(call);
        let r = match fx.fail {
            Some(e) => Err(e),
            None => self.plan_change(&req),
        };
        let r = match r {
            Ok(_) if fx.lose => Err(lost(Op::Plan, None)),
            r => r,
        };
        self.shared.finish(
            seq,
            match &r {
                Ok(p) => Ok(Some(p.planned.clone())),
                Err(e) => Err(e.clone()),
            },
        );
        r
    }

    fn read<'a>(
        &'a self,
        type_: &'a str,
        current: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let mut call = self.call(Op::Read, type_);
            call.address = Some(ctx.address.clone());
            call.prior = Some(current.clone());
            call.id = id_of(current);
            let t = self.managed(type_).cloned();
            self.run(
                call,
                Some(ctx),
                self.service_of(type_),
                |w| {
                    let t = t?;
                    let Some(id) = id_of(current) else {
                        return Ok(None);
                    };
                    Ok(w.world
                        .get(&(type_.to_string(), id))
                        .map(|o| mark_sensitive(o.value.clone(), &t.schema)))
                },
                Clone::clone,
            )
            .await
        })
    }

    fn create<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let mut call = self.call(Op::Create, type_);
            call.address = Some(ctx.address.clone());
            call.planned = Some(planned.clone());
            call.token = Some(ctx.idempotency_token.clone()).filter(|t| !t.is_empty());
            let t = self.managed(type_).cloned();
            self.run(
                call,
                Some(ctx),
                self.service_of(type_),
                |w| {
                    let t = t?;
                    check_object(&t, planned, "the planned state")?;
                    check_complete(&t, planned, true)?;
                    w.created += 1;
                    let n = w.created;
                    let id = match &t.id_from {
                        Some(a) => match attr(planned, a).unmark_deep().0.as_str() {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(ProviderError::new(format!(
                                    "\"{a}\" must be a string: it names the object"
                                ))
                                .attribute(a.clone()))
                            }
                        },
                        None => format!("{type_}-{n}"),
                    };
                    let key = (type_.to_string(), id.clone());
                    if w.world.contains_key(&key) {
                        return Err(
                            ProviderError::new(format!("{type_} \"{id}\" already exists"))
                                .detail("an object with this name exists in the mock's world")
                                .hint("import it, or choose another name"),
                        );
                    }
                    let value = resolve(&t, planned, &id, n);
                    w.world.insert(
                        key,
                        Object {
                            type_: type_.to_string(),
                            id,
                            value: plain(&value),
                            token: Some(ctx.idempotency_token.clone()).filter(|t| !t.is_empty()),
                            address: Some(ctx.address.clone()),
                        },
                    );
                    Ok(mark_sensitive(value, &t.schema))
                },
                |v| Some(v.clone()),
            )
            .await
        })
    }

    fn update<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let mut call = self.call(Op::Update, type_);
            call.address = Some(ctx.address.clone());
            call.prior = Some(prior.clone());
            call.planned = Some(planned.clone());
            call.id = id_of(prior);
            let t = self.managed(type_).cloned();
            self.run(
                call,
                Some(ctx),
                self.service_of(type_),
                |w| {
                    let t = t?;
                    check_object(&t, planned, "the planned state")?;
                    check_complete(&t, planned, true)?;
                    let id = id_of(prior).ok_or_else(|| {
                        ProviderError::new("The prior state has no id").detail(format!(
                            "{} cannot be updated without the id of its object",
                            ctx.address
                        ))
                    })?;
                    if let Some(new) = id_of(planned).filter(|n| n != &id) {
                        return Err(ProviderError::new(format!(
                            "Cannot change the id of {type_} \"{id}\" to \"{new}\" in place"
                        )));
                    }
                    let key = (type_.to_string(), id.clone());
                    if !w.world.contains_key(&key) {
                        return Err(not_found(type_, &id));
                    }
                    if let Some(name) = replace_paths(&t, planned, prior).into_iter().next() {
                        return Err(ProviderError::new(format!(
                            "\"{name}\" of {type_} \"{id}\" cannot be changed in place"
                        ))
                        .detail("it forces replacement; the plan should have replaced it")
                        .attribute(name));
                    }
                    let value = resolve(&t, planned, &id, w.created);
                    if let Some(o) = w.world.get_mut(&key) {
                        o.value = plain(&value);
                    }
                    Ok(mark_sensitive(value, &t.schema))
                },
                |v| Some(v.clone()),
            )
            .await
        })
    }

    fn delete<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let mut call = self.call(Op::Delete, type_);
            call.address = Some(ctx.address.clone());
            call.prior = Some(prior.clone());
            call.id = id_of(prior);
            let t = self.managed(type_).map(|_| ());
            self.run(
                call,
                Some(ctx),
                self.service_of(type_),
                |w| {
                    t?;
                    // Already gone (or never made): success.
                    if let Some(id) = id_of(prior) {
                        w.world.shift_remove(&(type_.to_string(), id));
                    }
                    Ok(())
                },
                |_| None,
            )
            .await
        })
    }

    fn import<'a>(
        &'a self,
        type_: &'a str,
        id: &'a str,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let mut call = self.call(Op::Import, type_);
            call.address = Some(ctx.address.clone());
            call.id = Some(id.to_string());
            let t = self.managed(type_).cloned();
            self.run(
                call,
                Some(ctx),
                self.service_of(type_),
                |w| {
                    let t = t?;
                    if !t.importable {
                        return Err(ProviderError::new(format!("{type_} cannot be imported"))
                            .hint("the mock type was declared not importable"));
                    }
                    match w.world.get(&(type_.to_string(), id.to_string())) {
                        Some(o) => Ok(mark_sensitive(o.value.clone(), &t.schema)),
                        None => Err(ProviderError::new(format!("No object with id \"{id}\""))
                            .detail(format!("the mock's world has no {type_} \"{id}\""))
                            .hint("check the id")),
                    }
                },
                |v| Some(v.clone()),
            )
            .await
        })
    }

    fn read_data<'a>(
        &'a self,
        type_: &'a str,
        config: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let mut call = self.call(Op::ReadData, type_);
            call.address = Some(ctx.address.clone());
            call.config = Some(config.clone());
            let t = self
                .types
                .data_defs
                .get(type_)
                .cloned()
                .ok_or_else(|| unsupported(type_));
            self.run(
                call,
                Some(ctx),
                self.service_of(type_),
                |_| {
                    let t = t?;
                    check_object(&t, config, "the configuration")?;
                    check_complete(&t, config, true)?;
                    let planned = plan_value(&t, config, None);
                    let id = format!("{type_}-{}", digest(config));
                    Ok(mark_sensitive(resolve(&t, &planned, &id, 0), &t.schema))
                },
                |v| Some(v.clone()),
            )
            .await
        })
    }

    fn finish_apply<'a>(
        &'a self,
        ctx: &'a ApplyContext,
    ) -> BoxFuture<'a, Result<(), Vec<(String, ProviderError)>>> {
        Box::pin(async move {
            let mut call = self.call(Op::FinishApply, "");
            call.config = Some(Value::object(vec![
                (
                    "state_serial".into(),
                    Value::int(i64::try_from(ctx.state_serial).unwrap_or(i64::MAX)),
                ),
                (
                    "plan_source".into(),
                    Value::string(ctx.plan_source.as_str()),
                ),
                (
                    "options".into(),
                    Value::map(
                        Type::String,
                        ctx.options
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                            .collect(),
                    ),
                ),
            ]));
            // Faults on addresses name the changes that could not be completed; others fail
            // the whole call.
            let mut failed: Vec<(String, ProviderError)> = Vec::new();
            let r = self
                .run(
                    call,
                    None,
                    None,
                    |w| {
                        for f in w.faults.iter_mut() {
                            if f.op != Op::FinishApply || f.remaining == Some(0) {
                                continue;
                            }
                            if let (Match::Address(a), FaultKind::Fail(e)) = (&f.on, &f.kind) {
                                failed.push((a.clone(), e.clone()));
                                if let Some(r) = f.remaining.as_mut() {
                                    *r -= 1;
                                }
                            }
                        }
                        w.faults.retain(|f| f.remaining != Some(0));
                        match failed.first() {
                            Some((a, e)) => Err(ProviderError::new(format!(
                                "{} change(s) could not be completed, {a} first: {}",
                                failed.len(),
                                e.summary
                            ))),
                            None => Ok(()),
                        }
                    },
                    |_| None,
                )
                .await;
            match r {
                Ok(()) => Ok(()),
                Err(_) if !failed.is_empty() => Err(failed),
                Err(e) => Err(vec![(
                    format!("all changes (provider instance {})", self.number),
                    e,
                )]),
            }
        })
    }

    fn adopts_by_token(&self, type_: &str) -> bool {
        self.types
            .managed
            .get(type_)
            .is_some_and(|t| t.adopts_by_token)
    }

    fn find_by_token<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let mut call = self.call(Op::FindByToken, type_);
            call.token = Some(token.to_string());
            call.planned = Some(planned.clone());
            let t = self.managed(type_).cloned();
            self.run(
                call,
                None,
                self.service_of(type_),
                |w| {
                    let t = t?;
                    if !t.adopts_by_token || token.is_empty() {
                        return Ok(None);
                    }
                    Ok(w.world
                        .values()
                        .find(|o| o.type_ == type_ && o.token.as_deref() == Some(token))
                        .map(|o| mark_sensitive(o.value.clone(), &t.schema)))
                },
                Clone::clone,
            )
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    fn ctx(addr: &str, token: &str) -> OpContext {
        OpContext {
            address: addr.to_string(),
            idempotency_token: token.to_string(),
            progress: Arc::new(|_| {}),
        }
    }

    fn config(input: Value) -> Value {
        Value::object(vec![
            ("id".into(), Value::null(Type::String)),
            ("input".into(), input),
            ("output".into(), Value::null_dynamic()),
            ("triggers_replace".into(), Value::null_dynamic()),
            ("secret".into(), Value::null(Type::String)),
        ])
    }

    #[test]
    fn plan_create_read_update_delete_round_trip() {
        let m = MockProvider::standard();
        let rt = rt();
        rt.block_on(async {
            let pi = m
                .configure(&Value::null_dynamic())
                .await
                .expect("configure");
            let cfg = config(Value::string("a"));
            let p = pi
                .plan(PlanRequest {
                    type_: "mock_thing",
                    prior: None,
                    config: &cfg,
                })
                .expect("plan");
            assert!(!p.planned.get_attr("id").expect("id").is_known());
            assert_eq!(
                p.planned.get_attr("output").and_then(|v| v.as_str()),
                Some("a")
            );
            let made = pi
                .create("mock_thing", &p.planned, &ctx("mock_thing.a", "sakk-1"))
                .await
                .expect("create");
            let id = id_of(&made).expect("id");
            assert_eq!(m.ids().len(), 1);
            let read = pi
                .read("mock_thing", &made, &ctx("mock_thing.a", ""))
                .await
                .expect("read");
            assert!(read.expect("exists").raw_equal(&made));
            let found = pi
                .find_by_token("mock_thing", &p.planned, "sakk-1")
                .await
                .expect("find");
            assert_eq!(found.as_ref().and_then(id_of), Some(id.clone()));
            // An update keeps the id; a force-new change asks for replacement.
            let cfg2 = config(Value::string("b"));
            let p2 = pi
                .plan(PlanRequest {
                    type_: "mock_thing",
                    prior: Some(&made),
                    config: &cfg2,
                })
                .expect("plan");
            assert!(p2.requires_replace.is_empty());
            assert_eq!(id_of(&p2.planned), Some(id.clone()));
            let upd = pi
                .update("mock_thing", &made, &p2.planned, &ctx("mock_thing.a", ""))
                .await
                .expect("update");
            assert_eq!(upd.get_attr("output").and_then(|v| v.as_str()), Some("b"));
            let cfg3 = with_attr(&cfg2, "triggers_replace", Value::int(1));
            let p3 = pi
                .plan(PlanRequest {
                    type_: "mock_thing",
                    prior: Some(&upd),
                    config: &cfg3,
                })
                .expect("plan");
            assert_eq!(p3.requires_replace, vec!["triggers_replace".to_string()]);
            assert!(!p3.planned.get_attr("id").expect("id").is_known());
            // The update of a force-new attribute in place is refused.
            let bad = with_attr(&p3.planned, "id", Value::string(id.as_str()));
            assert!(pi
                .update("mock_thing", &upd, &bad, &ctx("mock_thing.a", ""))
                .await
                .is_err());
            pi.delete("mock_thing", &upd, &ctx("mock_thing.a", ""))
                .await
                .expect("delete");
            assert!(m.ids().is_empty());
            // Deleting it again is success; reading it finds nothing; updating it fails.
            pi.delete("mock_thing", &upd, &ctx("mock_thing.a", ""))
                .await
                .expect("delete again");
            assert!(pi
                .read("mock_thing", &upd, &ctx("mock_thing.a", ""))
                .await
                .expect("read")
                .is_none());
            assert!(pi
                .update("mock_thing", &made, &p2.planned, &ctx("mock_thing.a", ""))
                .await
                .is_err());
        });
        let ops: Vec<Op> = m.calls().iter().map(|c| c.op).collect();
        assert_eq!(ops.first(), Some(&Op::Configure));
        assert_eq!(m.count(Op::Create), 1);
        assert_eq!(m.count(Op::Delete), 2);
        assert_eq!(m.count_at(Op::Update, "mock_thing.a"), 3);
        assert!(m.calls().iter().all(|c| c.result.is_some()));
    }

    #[test]
    fn faults_fail_once_lose_responses_and_delay() {
        let m = MockProvider::standard();
        m.fail_once(Op::Create, "mock_thing.a");
        m.lose_create_response("mock_thing.b");
        m.delay(Op::Create, "mock_thing", Duration::from_millis(5));
        let rt = rt();
        rt.block_on(async {
            let pi = m
                .configure(&Value::null_dynamic())
                .await
                .expect("configure");
            let cfg = config(Value::string("x"));
            let p = pi
                .plan(PlanRequest {
                    type_: "mock_thing",
                    prior: None,
                    config: &cfg,
                })
                .expect("plan");
            let a = ctx("mock_thing.a", "t-a");
            assert!(pi.create("mock_thing", &p.planned, &a).await.is_err());
            assert!(m.ids().is_empty(), "a failed create makes nothing");
            assert!(pi.create("mock_thing", &p.planned, &a).await.is_ok());
            let b = ctx("mock_thing.b", "t-b");
            let e = pi
                .create("mock_thing", &p.planned, &b)
                .await
                .expect_err("lost");
            assert!(e.summary.contains("timed out"), "{e}");
            assert_eq!(m.objects_made_at("mock_thing.b").len(), 1);
            assert!(pi
                .find_by_token("mock_thing", &p.planned, "t-b")
                .await
                .expect("find")
                .is_some());
        });
        // Only the delay is left.
        assert_eq!(m.faults().len(), 1);
        assert_eq!(m.max_in_flight_of("things"), 1);
    }

    #[test]
    fn no_panics_on_odd_calls() {
        let m = MockProvider::standard();
        let rt = rt();
        let odd = [
            Value::null_dynamic(),
            Value::unknown_dynamic(),
            Value::string("x"),
            Value::empty_object(),
            Value::object(vec![("nope".into(), Value::int(1))]),
            Value::object(vec![("id".into(), Value::int(1))]),
            Value::object(vec![("id".into(), Value::unknown(Type::String))]),
            config(Value::unknown_dynamic()),
        ];
        rt.block_on(async {
            assert!(m.configure(&Value::string("x")).await.is_err());
            let pi = m
                .configure(&Value::empty_object())
                .await
                .expect("configure");
            let c = ctx("mock_thing.a", "");
            for ty in ["mock_thing", "mock_lookup", "nope", ""] {
                for v in &odd {
                    let _ = pi.plan(PlanRequest {
                        type_: ty,
                        prior: Some(v),
                        config: v,
                    });
                    let _ = pi.plan(PlanRequest {
                        type_: ty,
                        prior: None,
                        config: v,
                    });
                    let _ = pi.read(ty, v, &c).await;
                    let _ = pi.create(ty, v, &c).await;
                    let _ = pi.update(ty, v, v, &c).await;
                    let _ = pi.delete(ty, v, &c).await;
                    let _ = pi.import(ty, "x", &c).await;
                    let _ = pi.read_data(ty, v, &c).await;
                    let _ = pi.find_by_token(ty, v, "").await;
                    let _ = pi.find_by_token(ty, v, "t").await;
                }
            }
            let _ = pi.finish_apply(&ApplyContext::default()).await;
        });
        assert!(m.calls().iter().all(|c| c.result.is_some()));
        assert_eq!(m.in_flight(), 0);
    }

    #[test]
    fn ids_from_names_refuse_a_second_create() {
        let m = MockProvider::builder("named")
            .resource(
                MockType::new("named_bucket")
                    .required("name", Type::String)
                    .id_from("name"),
            )
            .build();
        let rt = rt();
        rt.block_on(async {
            let pi = m
                .configure(&Value::null_dynamic())
                .await
                .expect("configure");
            let cfg = Value::object(vec![
                ("id".into(), Value::null(Type::String)),
                ("name".into(), Value::string("b1")),
            ]);
            let missing = with_attr(&cfg, "name", Value::null(Type::String));
            let e = pi
                .plan(PlanRequest {
                    type_: "named_bucket",
                    prior: None,
                    config: &missing,
                })
                .expect_err("required");
            assert_eq!(e.attribute.as_deref(), Some("name"));
            let p = pi
                .plan(PlanRequest {
                    type_: "named_bucket",
                    prior: None,
                    config: &cfg,
                })
                .expect("plan");
            let c = ctx("named_bucket.b", "");
            let made = pi
                .create("named_bucket", &p.planned, &c)
                .await
                .expect("create");
            assert_eq!(id_of(&made).as_deref(), Some("b1"));
            let e = pi
                .create("named_bucket", &p.planned, &c)
                .await
                .expect_err("twin");
            assert!(e.summary.contains("already exists"), "{e}");
        });
        assert_eq!(m.ids().len(), 1);
    }

    #[test]
    fn data_sources_are_stable_and_world_edits_show() {
        let m = MockProvider::standard();
        let rt = rt();
        rt.block_on(async {
            let pi = m
                .configure(&Value::null_dynamic())
                .await
                .expect("configure");
            let cfg = Value::object(vec![
                ("id".into(), Value::null(Type::String)),
                ("input".into(), Value::string("q")),
                ("output".into(), Value::null_dynamic()),
            ]);
            let c = ctx("data.mock_lookup.x", "");
            let a = pi.read_data("mock_lookup", &cfg, &c).await.expect("read");
            let b = pi.read_data("mock_lookup", &cfg, &c).await.expect("read");
            assert!(a.raw_equal(&b));
            assert_eq!(a.get_attr("output").and_then(|v| v.as_str()), Some("q"));
            m.insert_object("mock_thing", "ext-1", vec![("input", Value::string("i"))])
                .expect("insert");
            let got = pi.import("mock_thing", "ext-1", &c).await.expect("import");
            assert_eq!(id_of(&got).as_deref(), Some("ext-1"));
            m.edit_object("mock_thing", "ext-1", "input", Value::string("j"))
                .expect("edit");
            let now = pi
                .read("mock_thing", &got, &c)
                .await
                .expect("read")
                .expect("exists");
            assert_eq!(now.get_attr("input").and_then(|v| v.as_str()), Some("j"));
            assert!(m.delete_object("mock_thing", "ext-1"));
            assert!(pi.import("mock_thing", "ext-1", &c).await.is_err());
        });
    }
}
