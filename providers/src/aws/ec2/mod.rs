//! EC2 networking: VPCs, subnets, gateways, Elastic IPs, route tables and routes, security
//! groups, and the `aws_availability_zones` data source.
//!
//! Every type keeps Terraform's attribute names. Reads rebuild the state from AWS (tags split
//! into `tags` and `tags_all` against the provider's default tags), so an out-of-band change
//! shows as drift and a deleted object reads as gone (a re-create in the next plan).

mod gateways;
mod routes;
mod security_group;
mod vpc;
mod zones;

use super::config::Clients;
use super::intent::INTENT_TAG;
use super::resource::{Ctx, DataSource, Poll, Resource};
use super::value::{tag_diff, Obj, State};
use aws_sdk_ec2::types::{Filter, ResourceType as Ec2Type, Tag, TagSpecification};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::lang::value::Value;
use engine::provider::{ProviderResult, ResourceType, Schema};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use gateways::timeouts_block;
pub use gateways::{Eip, InternetGateway, NatGateway};
pub use routes::{Route, RouteTable, RouteTableAssociation};
pub use security_group::SecurityGroup;
pub use vpc::{Subnet, Vpc};
pub use zones::AvailabilityZones;

/// The EC2 resource types.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(Vpc),
        Arc::new(Subnet),
        Arc::new(InternetGateway),
        Arc::new(Eip),
        Arc::new(NatGateway),
        Arc::new(RouteTable),
        Arc::new(Route),
        Arc::new(RouteTableAssociation),
        Arc::new(SecurityGroup),
    ]
}

/// The EC2 data sources.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(AvailabilityZones)]
}

impl Clients {
    pub fn ec2(&self) -> &aws_sdk_ec2::Client {
        crate::aws_client!(self, ec2, aws_sdk_ec2, "ec2")
    }
}

pub(crate) fn client<'a>(cx: &'a Ctx<'a>) -> &'a aws_sdk_ec2::Client {
    cx.clients.ec2()
}

pub(crate) fn def(schema: Schema) -> ResourceType {
    ResourceType {
        schema,
        service: "ec2",
        create_timeout: None,
        delete_timeout: None,
    }
}

pub(crate) use super::value::tags_schema;

/// Whether an EC2 error says the object does not exist.
pub(crate) fn gone<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    super::error::code_of(e).is_some_and(|c| {
        c.ends_with(".NotFound")
            || c.ends_with("NotFound")
            || c == "InvalidAllocationID.NotFound"
            || c == "InvalidAssociationID.NotFound"
    })
}

pub(crate) fn sdk_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn tag_spec(rt: Ec2Type, m: &BTreeMap<String, String>) -> Option<TagSpecification> {
    if m.is_empty() {
        return None;
    }
    Some(
        TagSpecification::builder()
            .resource_type(rt)
            .set_tags(Some(sdk_tags(m)))
            .build(),
    )
}

pub(crate) fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// Sets `tags` and `tags_all` of a read state from AWS's tags.
pub(crate) fn put_tags(cx: &Ctx<'_>, st: &mut State<'_>, aws: &[Tag], prior: &Value) {
    cx.put_tags(st, &tags_of(aws), prior);
}

/// Brings the tags of `id` from `prior`'s `tags_all` to `planned`'s (default tags included).
pub(crate) async fn update_tags(
    cx: &Ctx<'_>,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> ProviderResult<()> {
    let old = cx.tags_all(prior);
    let new = cx.tags_all(planned);
    if old == new {
        return Ok(());
    }
    let (removed, changed) = tag_diff(&old, &new);
    let removed: Vec<Tag> = removed
        .iter()
        .map(|k| Tag::builder().key(k).build())
        .collect();
    if !removed.is_empty() {
        client(cx)
            .delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| cx.err("DeleteTags", &e))?;
    }
    if !changed.is_empty() {
        client(cx)
            .create_tags()
            .resources(id)
            .set_tags(Some(sdk_tags(&changed)))
            .send()
            .await
            .map_err(|e| cx.err("CreateTags", &e))?;
    }
    Ok(())
}

/// The end of an update: the tags of `id` brought to `planned`'s, then the object read back
/// through `r` (`what` names it when it vanished).
pub(crate) async fn retag_and_read(
    r: &dyn Resource,
    cx: &Ctx<'_>,
    id: &str,
    prior: &Value,
    planned: &Value,
    what: &str,
) -> ProviderResult<Value> {
    update_tags(cx, id, prior, planned).await?;
    let stub = cx.state_from(planned).with("id", Value::string(id)).build();
    vpc::must_read(cx, r.read(cx, &stub).await?, what)
}

pub(crate) fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The describe filter for objects tagged with this operation's intent (None outside an apply:
/// no token, nothing to find).
pub(crate) fn intent_filter(cx: &Ctx<'_>) -> Option<Filter> {
    (!cx.token().is_empty()).then(|| filter(&format!("tag:{}", INTENT_TAG), cx.token()))
}

/// Whether EC2 tags carry this operation's intent.
pub(crate) fn has_intent(cx: &Ctx<'_>, tags: &[Tag]) -> bool {
    tags.iter()
        .any(|t| t.key() == Some(INTENT_TAG) && t.value() == Some(cx.token()))
}

/// `Resource::find_id` of an EC2 type whose create tags: the one object tagged with this
/// operation's intent, listed by `$call` (output list `$list`, ID field `$id`).
macro_rules! find_tagged {
    ($cx:expr, $call:ident, $op:literal, $list:ident, $id:ident, $what:literal) => {{
        let cx: &Ctx<'_> = $cx;
        match super::intent_filter(cx) {
            None => Ok(None),
            Some(f) => {
                let out = super::client(cx)
                    .$call()
                    .filters(f)
                    .send()
                    .await
                    .map_err(|e| cx.err($op, &e))?;
                // The tag checked again here: not every endpoint applies every filter.
                let ids = out
                    .$list()
                    .iter()
                    .filter(|v| super::has_intent(cx, v.tags()))
                    .filter_map(|v| v.$id());
                super::one_found(cx, $what, ids.map(str::to_string).collect())
            }
        }
    }};
}
pub(crate) use find_tagged;

pub(crate) use crate::aws::intent::one_found;

/// The partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

pub(crate) fn ec2_arn(cx: &Ctx<'_>, owner: &str, kind: &str, id: &str) -> Value {
    Value::string(format!(
        "arn:{}:ec2:{}:{}:{}/{}",
        partition(cx.region()),
        cx.region(),
        owner,
        kind,
        id
    ))
}

/// Polls `check` until it answers `Some`, reporting progress, for at most `timeout`.
pub(crate) async fn wait_for<T, F, Fut>(
    cx: &Ctx<'_>,
    what: &str,
    timeout: Duration,
    check: F,
) -> ProviderResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ProviderResult<Option<T>>>,
{
    let poll = Poll::new(timeout, Duration::from_millis(200), Duration::from_secs(15));
    cx.poll(
        poll,
        |t| format!("waiting for {what} ({}s elapsed)", t.as_secs()),
        |t| {
            engine::provider::ProviderError::new(format!(
                "{}: timed out after {}s waiting for {what}",
                cx.address(),
                t.as_secs()
            ))
            .hint("the operation may still finish in AWS: check the console, then run apply again or raise the timeout in a `timeouts` block")
        },
        check,
    )
    .await
}

/// The timeout of `op` ("create", "update", "delete") from the `timeouts` block, else `default`.
pub(crate) fn timeout(v: &Value, op: &str, default: Duration) -> Duration {
    Obj(v)
        .block("timeouts")
        .and_then(|t| Obj(t).str(op))
        .and_then(|d| parse_duration(&d))
        .unwrap_or(default)
}

/// A Go-style duration ("30m", "1h30m", "90s") as Terraform's `timeouts` blocks write them.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            chars.next();
            unit = "ms".into();
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("5x"), None);
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
    }
}
