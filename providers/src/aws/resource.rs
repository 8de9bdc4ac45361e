//! How one AWS resource or data source type is implemented.
//!
//! A resource type is a unit struct implementing [`Resource`]: its schema
//! ([`Resource::definition`]), an optional plan hook ([`Resource::customize_plan`]) on top of the
//! standard planning in [`standard_plan`], and the async CRUD calls. The provider instance
//! ([`super::AwsInstance`]) dispatches by type name, wraps each call in the retry observer, and
//! gives it a [`Ctx`] with the clients, default tags and the operation's address and token.
//!
//! Planning rules (shared by every type, from Terraform's SDK):
//! - set in config -> the config value; unset and computed -> the prior value (unknown on create
//!   or replacement); unset with a default -> the default;
//! - a force_new attribute or block whose planned value differs from the prior one replaces;
//! - `tags_all` = default_tags + tags, when the schema has both.

use super::config::Clients;
use super::error::aws_error;
pub use super::intent::Recovery;
use super::value::{map_value, merge_tags, same, split_tags, str_map, Obj, State};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    BoxFuture, OpContext, PlanResponse, ProviderError, ProviderResult, ResourceType, Schema,
};
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What an operation needs: clients, provider settings, and the operation's context.
pub struct Ctx<'a> {
    pub clients: &'a Clients,
    pub default_tags: &'a BTreeMap<String, String>,
    pub op: &'a OpContext,
    pub schema: &'a Schema,
}

impl Ctx<'_> {
    pub fn address(&self) -> &str {
        &self.op.address
    }
    /// The name Terraform generates when none is configured: `terraform-` and 26 characters
    /// derived from this operation's idempotency token (stable across retries of the call).
    pub fn generated_name(&self) -> String {
        let suffix: String = self
            .op
            .idempotency_token
            .replace('-', "")
            .chars()
            .take(26)
            .collect();
        format!("terraform-{suffix}")
    }
    pub fn region(&self) -> &str {
        &self.clients.region
    }
    /// An AWS error of operation `op` on this resource.
    pub fn err<E>(&self, op: &str, e: &SdkError<E, HttpResponse>) -> ProviderError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        aws_error(op, &self.op.address, e)
    }
    /// A new state value of this type's schema.
    pub fn state(&self) -> State<'_> {
        State::new(self.schema)
    }
    /// A state value starting from `v`.
    pub fn state_from(&self, v: &Value) -> State<'_> {
        State::from(self.schema, v)
    }
    pub fn progress(&self, msg: &str) {
        (self.op.progress)(msg)
    }
    /// Tags to send to AWS: default_tags + the resource's tags.
    pub fn tags_all(&self, v: &Value) -> BTreeMap<String, String> {
        merge_tags(self.default_tags, &Obj(v).str_map("tags"))
    }
    /// Sets `tags` and `tags_all` of a read state from the tags AWS reports, split against
    /// the default tags and the `tags` of `prior` (see [`split_tags`]).
    pub fn put_tags(&self, st: &mut State<'_>, aws: &BTreeMap<String, String>, prior: &Value) {
        let (tags, all) = split_tags(aws, self.default_tags, &Obj(prior).raw("tags"));
        st.set("tags", tags);
        st.set("tags_all", all);
    }
}

/// How a wait polls: limit `limit` counted from `start`; the first pause `delay`, doubled after
/// each poll up to `max_delay`.
pub struct Poll {
    pub start: Instant,
    pub limit: Duration,
    pub delay: Duration,
    pub max_delay: Duration,
}

impl Poll {
    /// A wait starting now.
    pub fn new(limit: Duration, delay: Duration, max_delay: Duration) -> Poll {
        Poll {
            start: Instant::now(),
            limit,
            delay,
            max_delay,
        }
    }
}

impl Ctx<'_> {
    /// Polls `check` until it answers `Some`. After each `None`: past the limit, the error
    /// `timed_out(elapsed)`; else `progress(elapsed)` is reported and the poll pauses.
    pub async fn poll<T, F, Fut>(
        &self,
        p: Poll,
        progress: impl Fn(Duration) -> String,
        timed_out: impl Fn(Duration) -> ProviderError,
        mut check: F,
    ) -> ProviderResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ProviderResult<Option<T>>>,
    {
        let mut delay = p.delay;
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            let elapsed = p.start.elapsed();
            if elapsed >= p.limit {
                return Err(timed_out(elapsed));
            }
            self.progress(&progress(elapsed));
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(p.max_delay);
        }
    }
}

/// Not-found handling of an SDK call's result, as `.map_err(|e| cx.err(op, &e))` is for errors.
pub trait SdkResult<T, E> {
    /// The output, `None` when `gone` says the object does not exist; any other error is
    /// [`Ctx::err`] of `op`.
    fn found(
        self,
        cx: &Ctx<'_>,
        op: &str,
        gone: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    ) -> ProviderResult<Option<T>>;
    /// Success when the call succeeded or `gone` says the object is already gone (deletes,
    /// detaches); any other error is [`Ctx::err`] of `op`.
    fn gone_ok(
        self,
        cx: &Ctx<'_>,
        op: &str,
        gone: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    ) -> ProviderResult<()>;
}

impl<T, E> SdkResult<T, E> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn found(
        self,
        cx: &Ctx<'_>,
        op: &str,
        gone: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    ) -> ProviderResult<Option<T>> {
        match self {
            Ok(o) => Ok(Some(o)),
            Err(e) if gone(&e) => Ok(None),
            Err(e) => Err(cx.err(op, &e)),
        }
    }
    fn gone_ok(
        self,
        cx: &Ctx<'_>,
        op: &str,
        gone: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    ) -> ProviderResult<()> {
        self.found(cx, op, gone).map(|_| ())
    }
}

/// The plan of one instance under construction.
pub struct Plan<'a> {
    pub schema: &'a Schema,
    pub prior: Option<&'a Value>,
    pub config: &'a Value,
    pub default_tags: &'a BTreeMap<String, String>,
    pub attrs: IndexMap<String, Value>,
    pub requires_replace: Vec<String>,
}

impl Plan<'_> {
    pub fn get(&self, name: &str) -> Value {
        self.attrs
            .get(name)
            .cloned()
            .unwrap_or_else(Value::null_dynamic)
    }
    pub fn set(&mut self, name: &str, v: Value) {
        self.attrs.insert(name.to_string(), v);
    }
    pub fn prior_attr(&self, name: &str) -> Option<&Value> {
        self.prior.and_then(|p| p.get_attr(name))
    }
    pub fn replacing(&self) -> bool {
        !self.requires_replace.is_empty()
    }
    /// Marks a replacement caused by `path` (once).
    pub fn replace(&mut self, path: &str) {
        if self.prior.is_some() && !self.requires_replace.iter().any(|p| p == path) {
            self.requires_replace.push(path.to_string());
        }
    }
    /// Keeps the prior value of `name` when `equivalent(prior, planned)` holds (normalisation:
    /// the same JSON policy in another layout is no change).
    pub fn keep_prior_if(&mut self, name: &str, equivalent: impl Fn(&Value, &Value) -> bool) {
        if let Some(p) = self.prior_attr(name).cloned() {
            let planned = self.get(name);
            if planned.is_known() && !planned.is_null() && equivalent(&p, &planned) {
                self.set(name, p);
            }
        }
    }
    /// Whether the planned value of `name` differs from the prior one (true on create).
    pub fn changed(&self, name: &str) -> bool {
        match self.prior_attr(name) {
            Some(p) => !same(p, &self.get(name)),
            None => true,
        }
    }
}

/// Terraform's standard planning for a schema (see the module documentation). Returns the plan
/// before the type's hook runs; [`finish_plan`] completes it.
pub fn standard_plan<'a>(
    schema: &'a Schema,
    prior: Option<&'a Value>,
    config: &'a Value,
    default_tags: &'a BTreeMap<String, String>,
) -> Plan<'a> {
    let mut plan = Plan {
        schema,
        prior,
        config,
        default_tags,
        attrs: IndexMap::new(),
        requires_replace: Vec::new(),
    };
    for (name, a) in &schema.attributes {
        let c = config
            .get_attr(name)
            .cloned()
            .unwrap_or_else(|| Value::null(a.ty.clone()));
        let v = if !c.is_null() {
            c
        } else if a.computed {
            match prior.and_then(|p| p.get_attr(name)) {
                Some(p) => p.clone(),
                None => Value::unknown(a.ty.clone()),
            }
        } else if let Some(d) = &a.default {
            d.clone()
        } else {
            c
        };
        plan.attrs.insert(name.clone(), v);
    }
    for (name, b) in &schema.blocks {
        let c = config
            .get_attr(name)
            .cloned()
            .unwrap_or_else(|| super::value::empty_of_block(b.nesting, &b.schema));
        plan.attrs.insert(name.clone(), c);
    }
    if let Some(p) = prior {
        for (name, a) in &schema.attributes {
            if a.force_new && p.get_attr(name).is_some_and(|x| !same(x, &plan.get(name))) {
                plan.replace(name);
            }
        }
        for (name, b) in &schema.blocks {
            if b.force_new && p.get_attr(name).is_some_and(|x| !same(x, &plan.get(name))) {
                plan.replace(name);
            }
        }
    }
    plan
}

/// Completes a plan: `tags_all`, and unknown computed attributes when replacing.
pub fn finish_plan(mut plan: Plan<'_>) -> PlanResponse {
    if plan.schema.attributes.contains_key("tags_all") {
        let tags = plan.get("tags");
        let all = if tags.is_null() || tags.is_wholly_known() {
            map_value(&merge_tags(plan.default_tags, &str_map(Some(&tags))))
        } else {
            Value::unknown(Type::map(Type::String))
        };
        plan.set("tags_all", all);
    }
    if plan.replacing() {
        for (name, a) in &plan.schema.attributes {
            let unset = plan.config.get_attr(name).is_none_or(|c| c.is_null());
            if a.computed && unset && name != "tags_all" {
                plan.attrs
                    .insert(name.clone(), Value::unknown(a.ty.clone()));
            }
        }
    }
    let attrs: Vec<(String, Value)> = plan.attrs.into_iter().collect();
    PlanResponse {
        planned: Value::object(attrs),
        requires_replace: plan.requires_replace,
    }
}

/// One AWS resource type.
pub trait Resource: Send + Sync + 'static {
    /// `aws_s3_bucket`, ...
    fn type_name(&self) -> &'static str;

    /// Schema, service (for concurrency limits) and timeouts.
    fn definition(&self) -> ResourceType;

    /// Adjusts the standard plan: normalisation, validation, replacement rules. Pure.
    fn customize_plan(&self, _plan: &mut Plan<'_>) -> ProviderResult<()> {
        Ok(())
    }

    /// The current state of the object `current` describes (by its `id`), None when gone.
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>>;

    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>>;

    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>>;

    /// Deletes; an object already gone is success.
    fn delete<'a>(&'a self, cx: &'a Ctx<'a>, prior: &'a Value)
        -> BoxFuture<'a, ProviderResult<()>>;

    /// The state of an existing object by its import ID. Default: `read` from a state holding
    /// only `id`.
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let stub = cx.state().with("id", Value::string(id)).build();
            match self.read(cx, &stub).await? {
                Some(v) => Ok(v),
                None => Err(ProviderError::new(format!(
                    "{}: cannot import {id}: no such {}",
                    cx.address(),
                    self.type_name()
                ))
                .hint("check the ID, the region and the account of the provider configuration")),
            }
        })
    }

    /// How the object of a cut-off create is found again (see [`super::intent`]).
    fn recovery(&self) -> Recovery;

    /// The ID of the object a cut-off create of `planned` made, found by this operation's token
    /// (`cx.token()`) as [`Resource::recovery`] says; None when there is none (the create is
    /// made again). An object that holds the name but is not ours is an error
    /// ([`Ctx::not_ours`]). Default (idempotent creates): None.
    fn find_id<'a>(
        &'a self,
        _cx: &'a Ctx<'a>,
        _planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async { Ok(None) })
    }

    /// The state of what a cut-off create with this token made: [`Resource::find_id`], read.
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            match self.find_id(cx, planned).await? {
                Some(id) => {
                    let stub = cx.state_from(planned).with("id", Value::string(id)).build();
                    self.read(cx, &stub).await
                }
                None => Ok(None),
            }
        })
    }
}

/// One AWS data source type.
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn definition(&self) -> ResourceType;
    /// Reads the data source; the result has the schema's type (config attributes echoed).
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>>;
    /// Whether the data source can be read during plan from a wholly known config without
    /// network I/O (aws_iam_policy_document).
    fn is_local(&self) -> bool {
        false
    }
}
