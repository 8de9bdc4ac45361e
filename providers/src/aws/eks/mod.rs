//! EKS: clusters (waiting for ACTIVE / deleted with progress, `timeouts` configurable, created
//! with a clientRequestToken so a crashed apply adopts its cluster instead of making a twin),
//! managed node groups, add-ons, access entries, and the `aws_eks_cluster` data source.

mod access;
mod addon;
mod cluster;
mod nodegroup;

use super::config::Clients;
use super::resource::{Ctx, DataSource, Plan, Resource};
use super::value::{tag_diff, Obj, State};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Block, Nesting, ProviderError, ProviderResult, ResourceType, Schema};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

pub use access::AccessEntry;
pub use addon::Addon;
pub use cluster::{Cluster, ClusterData};
pub use nodegroup::NodeGroup;

pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(Cluster),
        Arc::new(NodeGroup),
        Arc::new(Addon),
        Arc::new(AccessEntry),
    ]
}

pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(ClusterData)]
}

impl Clients {
    /// Clients over an explicit SDK configuration: tests that replay recorded HTTP exchanges
    /// (an SdkConfig with a replay HTTP client) use this.
    pub fn from_sdk(sdk: aws_config::SdkConfig) -> Clients {
        let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
        let net = awsnet::Net::default();
        Clients {
            sdk: net.wrap_credentials(sdk),
            region,
            endpoints: BTreeMap::new(),
            net,
            s3: Default::default(),
            dynamodb: Default::default(),
            iam: Default::default(),
            route53: Default::default(),
            sts: Default::default(),
            ec2: Default::default(),
            eks: Default::default(),
            cognitoidp: Default::default(),
        }
    }

    pub fn eks(&self) -> &aws_sdk_eks::Client {
        crate::aws_client!(self, eks, aws_sdk_eks, "eks")
    }
}

pub(crate) fn client<'a>(cx: &'a Ctx<'a>) -> &'a aws_sdk_eks::Client {
    cx.clients.eks()
}

pub(crate) fn def(schema: Schema, create: u64, delete: u64) -> ResourceType {
    ResourceType {
        schema,
        service: "eks",
        create_timeout: Some(Duration::from_secs(create)),
        delete_timeout: Some(Duration::from_secs(delete)),
    }
}

pub(crate) use super::value::tags_schema;

pub(crate) fn timeouts_block() -> Block {
    crate::aws::ec2::timeouts_block()
}

pub(crate) use crate::aws::ec2::timeout;
use crate::aws::ec2::wait_for;

pub(crate) fn gone<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    crate::aws::error::is_code(e, &["ResourceNotFoundException", "NotFoundException"])
}

/// The (cluster, `attr`) of a state, from its attributes or its `cluster:name` ID (split at the
/// first colon: an access entry's ID is `cluster:principal_arn`, the ARN keeps its colons).
pub(crate) fn ids(v: &Value, attr: &str) -> (String, String) {
    let o = Obj(v);
    match (o.str("cluster_name"), o.str(attr)) {
        (Some(c), Some(n)) => (c, n),
        _ => {
            let id = o.str("id").unwrap_or_default();
            match id.split_once(':') {
                Some((c, n)) => (c.to_string(), n.to_string()),
                None => (String::new(), id),
            }
        }
    }
}

/// The state read right after a write (`when`: "after create", "during update"); gone is an
/// error.
pub(crate) fn read_back(
    cx: &Ctx<'_>,
    v: Option<Value>,
    what: &str,
    when: &str,
) -> ProviderResult<Value> {
    v.ok_or_else(|| ProviderError::new(format!("{}: {what} vanished {when}", cx.address())))
}

/// A create's result: `ResourceInUseException` is success when `ours` finds the object this
/// create made (a lost response; a cut-off earlier attempt with the same token).
pub(crate) async fn created<T, E, F>(
    cx: &Ctx<'_>,
    res: Result<T, SdkError<E, HttpResponse>>,
    op: &str,
    ours: F,
) -> ProviderResult<()>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: std::future::Future<Output = ProviderResult<Option<Value>>>,
{
    let Err(e) = res else {
        return Ok(());
    };
    if crate::aws::error::is_code(&e, &["ResourceInUseException"])
        && matches!(ours.await, Ok(Some(_)))
    {
        return Ok(());
    }
    Err(cx.err(op, &e))
}

/// Whether an EKS object is the one this operation's create made: it reports our
/// `clientRequestToken`, or its intent tag or creation time says so.
pub(crate) fn ours(
    cx: &Ctx<'_>,
    token: Option<&str>,
    tags: Option<&HashMap<String, String>>,
    created: Option<&aws_smithy_types::DateTime>,
) -> bool {
    if token.is_some_and(|t| !t.is_empty() && t == cx.token()) {
        return true;
    }
    let tags: BTreeMap<String, String> = tags
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    cx.ours(&tags, created.and_then(crate::aws::intent::system_time))
}

/// What an object's status means while waiting for ACTIVE.
pub(crate) enum Phase {
    Active,
    /// The status and the health issues.
    Failed(String, String),
    Pending,
}

/// Health issues as `CODE: message; ...`.
pub(crate) fn issues<I>(list: &[I], f: impl Fn(&I) -> (Option<&str>, Option<&str>)) -> String {
    list.iter()
        .map(|i| {
            let (code, msg) = f(i);
            format!("{}: {}", code.unwrap_or("?"), msg.unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Waits until `describe` finds `what` ACTIVE; a failed status or a vanished object is an error
/// (with `hint`).
pub(crate) async fn wait_active<T, F, Fut>(
    cx: &Ctx<'_>,
    what: &str,
    limit: Duration,
    hint: &str,
    describe: F,
    phase: impl Fn(&T) -> Phase,
) -> ProviderResult<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ProviderResult<Option<T>>>,
{
    wait_for(cx, &format!("{what} to become ACTIVE"), limit, || async {
        match describe().await? {
            Some(x) => match phase(&x) {
                Phase::Active => Ok(Some(())),
                Phase::Failed(status, issues) => Err(ProviderError::new(format!(
                    "{}: {what} is {status}",
                    cx.address()
                ))
                .detail(issues)
                .hint(hint)),
                Phase::Pending => Ok(None),
            },
            None => Err(ProviderError::new(format!(
                "{}: {what} disappeared while waiting for ACTIVE",
                cx.address()
            ))),
        }
    })
    .await
}

/// Waits until `describe` no longer finds `what`.
pub(crate) async fn wait_deleted<T, F, Fut>(
    cx: &Ctx<'_>,
    what: &str,
    limit: Duration,
    describe: F,
) -> ProviderResult<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ProviderResult<Option<T>>>,
{
    wait_for(cx, &format!("{what} to be deleted"), limit, || async {
        Ok(describe().await?.is_none().then_some(()))
    })
    .await
}

pub(crate) fn hash_tags(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

pub(crate) fn put_tags(
    cx: &Ctx<'_>,
    st: &mut State<'_>,
    aws: Option<&HashMap<String, String>>,
    prior: &Value,
) {
    let aws: BTreeMap<String, String> = aws
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    cx.put_tags(st, &aws, prior);
}

/// Brings the tags of an EKS ARN from `prior`'s tags_all to `planned`'s.
pub(crate) async fn update_tags(
    cx: &Ctx<'_>,
    arn: &str,
    prior: &Value,
    planned: &Value,
) -> engine::provider::ProviderResult<()> {
    let old = cx.tags_all(prior);
    let new = cx.tags_all(planned);
    if old == new || arn.is_empty() {
        return Ok(());
    }
    let (removed, changed) = tag_diff(&old, &new);
    if !removed.is_empty() {
        client(cx)
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| cx.err("UntagResource", &e))?;
    }
    if let Some(t) = hash_tags(&changed) {
        client(cx)
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(t))
            .send()
            .await
            .map_err(|e| cx.err("TagResource", &e))?;
    }
    Ok(())
}

pub(crate) fn datetime(d: Option<&aws_smithy_types::DateTime>) -> Value {
    match d.and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()) {
        Some(s) => Value::string(s),
        None => Value::null(Type::String),
    }
}

/// Plans a single nested block: unset nested attributes take their default, or (computed) the
/// prior value; an absent block that is `computed_when_unset` keeps the prior block. When the
/// resource is replaced, nested computed attributes become unknown.
pub(crate) fn plan_single_block(plan: &mut Plan<'_>, name: &str, computed_when_unset: bool) {
    let Some(b) = plan.schema.blocks.get(name) else {
        return;
    };
    let b = b.clone();
    let cfg = plan.get(name);
    let prior = plan
        .prior_attr(name)
        .cloned()
        .filter(|p| !p.is_null() && p.is_known());
    let replacing = plan.replacing();
    let exists = plan.prior.is_some() && !replacing;
    if cfg.is_null() {
        if computed_when_unset {
            let v = match prior {
                Some(p) if !replacing => p,
                // The object exists and AWS reports no such block: nothing will change.
                None if exists => Value::null(b.schema.object_type()),
                _ => Value::unknown(b.schema.object_type()),
            };
            plan.set(name, v);
        }
        return;
    }
    if !cfg.is_known() {
        return;
    }
    let mut attrs = Vec::new();
    for (n, a) in &b.schema.attributes {
        let c = cfg
            .get_attr(n)
            .cloned()
            .unwrap_or_else(|| Value::null(a.ty.clone()));
        let v = if !c.is_null() {
            c
        } else if a.computed {
            match prior.as_ref().and_then(|p| p.get_attr(n)) {
                Some(p) if exists => p.clone(),
                _ if !a.optional || a.default.is_none() => Value::unknown(a.ty.clone()),
                _ => a
                    .default
                    .clone()
                    .unwrap_or_else(|| Value::null(a.ty.clone())),
            }
        } else if let Some(d) = &a.default {
            d.clone()
        } else {
            c
        };
        attrs.push((n.clone(), v));
    }
    for (n, _) in &b.schema.blocks {
        if let Some(v) = cfg.get_attr(n) {
            attrs.push((n.clone(), v.clone()));
        }
    }
    plan.set(name, Value::object(attrs));
}

/// A nested block (Single) for `block()`.
pub(crate) fn single(schema: Schema, min: usize, force_new: bool) -> Block {
    Block {
        nesting: Nesting::Single,
        schema,
        min_items: min,
        max_items: 1,
        force_new,
    }
}
