//! Route53: `aws_route53_zone`, `aws_route53_record`, data source `aws_route53_zone`.
//!
//! Zones are created with `CallerReference` = the operation's idempotency token, so a re-run of
//! a crashed apply finds the zone it made ([`Resource::find_by_token`]) instead of making a twin.
//! `force_destroy` deletes every record but the apex SOA/NS before the zone. Record changes
//! that arrive for the same zone within a short window go to AWS in one `ChangeResourceRecordSets`
//! batch ([`Batcher`]); every change waits for `INSYNC`.

use super::config::Clients;
use super::error::{aws_error, invalid, is_code};
use super::resource::{Ctx, DataSource, Plan, Poll, Recovery, Resource, SdkResult};
use super::value::{opt_s, s, set_of_strings, tag_diff, Obj, State};
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, RrType, Tag, TagResourceType, Vpc, VpcRegion,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    Attribute, Block, BoxFuture, Nesting, ProviderError, ProviderResult, ResourceType, Schema,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(Zone),
        Arc::new(Record {
            batcher: Batcher::default(),
        }),
    ]
}

pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(ZoneData)]
}

fn def(schema: Schema) -> ResourceType {
    ResourceType {
        schema,
        service: "route53",
        create_timeout: Some(Duration::from_secs(30 * 60)),
        delete_timeout: Some(Duration::from_secs(30 * 60)),
    }
}

fn build_err(cx: &Ctx<'_>, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(format!("{}: invalid Route53 request", cx.address()))
        .detail(e.to_string())
        .hint("check the record's name, type, ttl, records and alias")
}

/// A zone ID without the `/hostedzone/` prefix.
pub fn clean_zone_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// A DNS name as Route53 compares it: lower case, no trailing dot, `\052` as `*`.
pub fn norm_name(n: &str) -> String {
    n.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

/// Waits until a change is INSYNC.
async fn wait_insync(cx: &Ctx<'_>, change_id: &str) -> ProviderResult<()> {
    let (ms, secs) = (Duration::from_millis, Duration::from_secs);
    cx.poll(
        Poll::new(secs(30 * 60), ms(500), secs(15)),
        |t| {
            format!(
                "waiting for Route53 change {change_id} to be INSYNC ({}s)",
                t.as_secs()
            )
        },
        |_| {
            ProviderError::new(format!(
                "{}: change {change_id} not INSYNC after 30 minutes",
                cx.address()
            ))
            .hint("Route53 propagation is stuck: check the AWS Health Dashboard, then apply again")
        },
        || async {
            let out = cx
                .clients
                .route53()
                .get_change()
                .id(change_id)
                .send()
                .await
                .map_err(|e| cx.err("GetChange", &e))?;
            let insync = out.change_info().map(|c| c.status()) == Some(&ChangeStatus::Insync);
            Ok(insync.then_some(()))
        },
    )
    .await
}

async fn zone_tags(
    cx: &Ctx<'_>,
    zone_id: &str,
) -> ProviderResult<Option<BTreeMap<String, String>>> {
    match cx
        .clients
        .route53()
        .list_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(zone_id)
        .send()
        .await
    {
        Ok(o) => Ok(Some(
            o.resource_tag_set()
                .map(|s| s.tags())
                .unwrap_or_default()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
        )),
        Err(e) if is_code(&e, &["NoSuchHostedZone"]) => Ok(None),
        Err(e) => Err(cx.err("ListTagsForResource", &e)),
    }
}

async fn change_zone_tags(
    cx: &Ctx<'_>,
    zone_id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> ProviderResult<()> {
    let (removed, set) = tag_diff(old, new);
    let set: Vec<Tag> = set
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if removed.is_empty() && set.is_empty() {
        return Ok(());
    }
    cx.clients
        .route53()
        .change_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(zone_id)
        .set_add_tags(if set.is_empty() { None } else { Some(set) })
        .set_remove_tag_keys(if removed.is_empty() {
            None
        } else {
            Some(removed)
        })
        .send()
        .await
        .map_err(|e| cx.err("ChangeTagsForResource", &e))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// aws_route53_zone

pub struct Zone;

fn vpc_schema() -> Schema {
    Schema::new()
        .attr("vpc_id", Attribute::required(Type::String))
        .attr("vpc_region", Attribute::optional_computed(Type::String))
}

impl Zone {
    async fn fetch(
        &self,
        cx: &Ctx<'_>,
        zone_id: &str,
        base: &Value,
    ) -> ProviderResult<Option<Value>> {
        let Some(out) = cx
            .clients
            .route53()
            .get_hosted_zone()
            .id(zone_id)
            .send()
            .await
            .found(cx, "GetHostedZone", |e| is_code(e, &["NoSuchHostedZone"]))?
        else {
            return Ok(None);
        };
        let Some(z) = out.hosted_zone() else {
            return Ok(None);
        };
        let Some(tags) = zone_tags(cx, zone_id).await? else {
            return Ok(None);
        };
        let b = Obj(base);
        let name = match b.str("name") {
            Some(n) if norm_name(&n) == norm_name(z.name()) => n,
            _ => z.name().trim_end_matches('.').to_string(),
        };
        let ns: Vec<String> = out
            .delegation_set()
            .map(|d| d.name_servers().to_vec())
            .unwrap_or_default();
        let vs = vpc_schema();
        let vpcs: Vec<Value> = out
            .vpcs()
            .iter()
            .map(|v| {
                State::new(&vs)
                    .with("vpc_id", opt_s(v.vpc_id()))
                    .with("vpc_region", opt_s(v.vpc_region().map(|r| r.as_str())))
                    .build()
            })
            .collect();
        let comment = z.config().and_then(|c| c.comment()).unwrap_or_default();
        let id = clean_zone_id(z.id());
        let mut st = cx.state_from(base);
        st.set("id", s(&id))
            .set("zone_id", s(&id))
            .set("arn", s(format!("arn:aws:route53:::hostedzone/{id}")))
            .set("name", s(name))
            .set("comment", s(comment))
            .set(
                "name_servers",
                super::value::list_of_strings(ns.iter().cloned()),
            )
            .set("primary_name_server", opt_s(ns.first()))
            .set("vpc", Value::set(vs.object_type(), vpcs))
            .set(
                "force_destroy",
                Value::bool(b.bool("force_destroy").unwrap_or(false)),
            );
        cx.put_tags(&mut st, &tags, base);
        Ok(Some(st.build()))
    }

    /// Deletes every record set but the apex SOA and NS (force_destroy), in batches.
    async fn empty(&self, cx: &Ctx<'_>, zone_id: &str) -> ProviderResult<()> {
        let c = cx.clients.route53();
        let zone = match c.get_hosted_zone().id(zone_id).send().await {
            Ok(o) => o
                .hosted_zone()
                .map(|z| norm_name(z.name()))
                .unwrap_or_default(),
            Err(e) if is_code(&e, &["NoSuchHostedZone"]) => return Ok(()),
            Err(e) => return Err(cx.err("GetHostedZone", &e)),
        };
        loop {
            let out = match c
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .send()
                .await
            {
                Ok(o) => o,
                Err(e) if is_code(&e, &["NoSuchHostedZone"]) => return Ok(()),
                Err(e) => return Err(cx.err("ListResourceRecordSets", &e)),
            };
            let doomed: Vec<Change> = out
                .resource_record_sets()
                .iter()
                .filter(|r| {
                    !(norm_name(r.name()) == zone && matches!(r.r#type(), RrType::Soa | RrType::Ns))
                })
                .filter_map(|r| {
                    Change::builder()
                        .action(ChangeAction::Delete)
                        .resource_record_set(r.clone())
                        .build()
                        .ok()
                })
                .collect();
            if doomed.is_empty() {
                return Ok(());
            }
            cx.progress(&format!("force_destroy: deleting {} records", doomed.len()));
            let batch = ChangeBatch::builder()
                .set_changes(Some(doomed))
                .comment("sakk force_destroy")
                .build()
                .map_err(|e| build_err(cx, e))?;
            let out = c
                .change_resource_record_sets()
                .hosted_zone_id(zone_id)
                .change_batch(batch)
                .send()
                .await
                .map_err(|e| cx.err("ChangeResourceRecordSets", &e))?;
            if let Some(ci) = out.change_info() {
                wait_insync(cx, ci.id()).await?;
            }
        }
    }
}

impl Resource for Zone {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("zone_id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("name", Attribute::required(Type::String).force_new())
            .attr(
                "comment",
                Attribute::optional(Type::String).default(s("Managed by Terraform")),
            )
            .attr(
                "force_destroy",
                Attribute::optional(Type::Bool).default(Value::bool(false)),
            )
            .attr(
                "name_servers",
                Attribute::computed(Type::list(Type::String)),
            )
            .attr("primary_name_server", Attribute::computed(Type::String))
            .attr("tags", Attribute::optional(Type::map(Type::String)))
            .attr("tags_all", Attribute::computed(Type::map(Type::String)))
            .block(
                "vpc",
                Block {
                    nesting: Nesting::Set,
                    schema: vpc_schema(),
                    min_items: 0,
                    max_items: 0,
                    force_new: false,
                },
            ))
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan.keep_prior_if("name", |a, b| match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => norm_name(a) == norm_name(b),
            _ => false,
        });
        if !plan.changed("name") {
            plan.requires_replace.retain(|r| r != "name");
        }
        // vpc_region defaults to the provider's region: keep the prior one when unset.
        let cfg_vpcs = Obj(plan.config).blocks("vpc");
        let prior_vpcs: Vec<Value> = plan
            .prior_attr("vpc")
            .and_then(Value::elements)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        if !cfg_vpcs.is_empty()
            && plan
                .config
                .get_attr("vpc")
                .is_none_or(Value::is_wholly_known)
        {
            let vs = vpc_schema();
            let planned: Vec<Value> = cfg_vpcs
                .iter()
                .map(|v| {
                    let id = Obj(v).raw("vpc_id");
                    let region = match Obj(v).str("vpc_region") {
                        Some(r) => s(r),
                        None => prior_vpcs
                            .iter()
                            .find(|p| super::value::same(&Obj(p).raw("vpc_id"), &id))
                            .map(|p| Obj(p).raw("vpc_region"))
                            .unwrap_or_else(|| Value::unknown(Type::String)),
                    };
                    State::new(&vs)
                        .with("vpc_id", id)
                        .with("vpc_region", region)
                        .build()
                })
                .collect();
            plan.set("vpc", Value::set(vs.object_type(), planned));
        }
        // A public zone cannot become private (or the reverse) in place.
        if let Some(prior) = plan.prior {
            let was_private = !Obj(prior).blocks("vpc").is_empty();
            let is_private = !cfg_vpcs.is_empty();
            if was_private != is_private {
                plan.replace("vpc");
            }
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let id = Obj(current)
                .str("zone_id")
                .or_else(|| Obj(current).str("id"))
                .unwrap_or_default();
            self.fetch(cx, &clean_zone_id(&id), current).await
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Token
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let o = Obj(planned);
            let name = o.str("name").unwrap_or_default();
            let vpcs = o.blocks("vpc");
            let token = cx.token();
            let c = cx.clients.route53();
            // A re-run of a crashed apply: the zone with this CallerReference is ours.
            if let Some(id) = find_zone_by_token(cx, token).await? {
                if let Some(v) = self.fetch(cx, &id, planned).await? {
                    return Ok(v);
                }
            }
            let mut req = c
                .create_hosted_zone()
                .name(&name)
                .caller_reference(token)
                .hosted_zone_config(
                    HostedZoneConfig::builder()
                        .set_comment(o.str("comment"))
                        .private_zone(!vpcs.is_empty())
                        .build(),
                );
            if let Some(v) = vpcs.first() {
                let region = Obj(v)
                    .str("vpc_region")
                    .unwrap_or_else(|| cx.region().to_string());
                req = req.vpc(
                    Vpc::builder()
                        .set_vpc_id(Obj(v).str("vpc_id"))
                        .vpc_region(VpcRegion::from(region.as_str()))
                        .build(),
                );
            }
            let (zone_id, change) = match req.send().await {
                Ok(out) => (
                    out.hosted_zone()
                        .map(|z| clean_zone_id(z.id()))
                        .unwrap_or_default(),
                    out.change_info().map(|c| c.id().to_string()),
                ),
                Err(e) if is_code(&e, &["HostedZoneAlreadyExists"]) => {
                    // Same CallerReference: our own earlier attempt made it.
                    match find_zone_by_token(cx, token).await? {
                        Some(id) => (id, None),
                        None => return Err(cx.err("CreateHostedZone", &e)),
                    }
                }
                Err(e) => return Err(cx.err("CreateHostedZone", &e)),
            };
            if let Some(ch) = change {
                wait_insync(cx, &ch).await?;
            }
            if super::retry::was_retried() {
                // AWS rejects a second zone with the same CallerReference; an emulator may not.
                // Twins made by our own retried attempts are empty: remove them.
                for twin in zones_by_token(cx, token)
                    .await?
                    .into_iter()
                    .filter(|z| *z != zone_id)
                {
                    c.delete_hosted_zone().id(&twin).send().await.gone_ok(
                        cx,
                        "DeleteHostedZone",
                        |e| is_code(e, &["NoSuchHostedZone"]),
                    )?;
                }
            }
            for v in vpcs.iter().skip(1) {
                let region = Obj(v)
                    .str("vpc_region")
                    .unwrap_or_else(|| cx.region().to_string());
                match c
                    .associate_vpc_with_hosted_zone()
                    .hosted_zone_id(&zone_id)
                    .vpc(
                        Vpc::builder()
                            .set_vpc_id(Obj(v).str("vpc_id"))
                            .vpc_region(VpcRegion::from(region.as_str()))
                            .build(),
                    )
                    .send()
                    .await
                {
                    Ok(out) => {
                        wait_insync(cx, out.change_info().map(|c| c.id()).unwrap_or_default())
                            .await?
                    }
                    Err(e) if is_code(&e, &["ConflictingDomainExists"]) => {}
                    Err(e) => return Err(cx.err("AssociateVPCWithHostedZone", &e)),
                }
            }
            change_zone_tags(cx, &zone_id, &BTreeMap::new(), &cx.tags_all(planned)).await?;
            self.fetch(cx, &zone_id, planned).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: zone {zone_id} not readable after create",
                    cx.address()
                ))
            })
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (p, n) = (Obj(prior), Obj(planned));
            let zone_id = p.str("zone_id").unwrap_or_default();
            let c = cx.clients.route53();
            if p.str("comment") != n.str("comment") {
                c.update_hosted_zone_comment()
                    .id(&zone_id)
                    .comment(n.str("comment").unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateHostedZoneComment", &e))?;
            }
            let ids = |o: Obj<'_>| -> Vec<(String, String)> {
                o.blocks("vpc")
                    .iter()
                    .map(|v| {
                        (
                            Obj(v).str("vpc_id").unwrap_or_default(),
                            Obj(v)
                                .str("vpc_region")
                                .unwrap_or_else(|| cx.region().to_string()),
                        )
                    })
                    .collect()
            };
            let (old, new) = (ids(p), ids(n));
            for (id, region) in new.iter().filter(|x| !old.iter().any(|o| o.0 == x.0)) {
                let out = c
                    .associate_vpc_with_hosted_zone()
                    .hosted_zone_id(&zone_id)
                    .vpc(
                        Vpc::builder()
                            .vpc_id(id)
                            .vpc_region(VpcRegion::from(region.as_str()))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| cx.err("AssociateVPCWithHostedZone", &e))?;
                if let Some(ci) = out.change_info() {
                    wait_insync(cx, ci.id()).await?;
                }
            }
            for (id, region) in old.iter().filter(|x| !new.iter().any(|o| o.0 == x.0)) {
                let out = c
                    .disassociate_vpc_from_hosted_zone()
                    .hosted_zone_id(&zone_id)
                    .vpc(
                        Vpc::builder()
                            .vpc_id(id)
                            .vpc_region(VpcRegion::from(region.as_str()))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| cx.err("DisassociateVPCFromHostedZone", &e))?;
                if let Some(ci) = out.change_info() {
                    wait_insync(cx, ci.id()).await?;
                }
            }
            change_zone_tags(cx, &zone_id, &p.str_map("tags_all"), &cx.tags_all(planned)).await?;
            self.fetch(cx, &zone_id, planned).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: zone {zone_id} disappeared during update",
                    cx.address()
                ))
                .hint("it was deleted outside sakk: run plan again to re-create it")
            })
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let zone_id = clean_zone_id(
                &Obj(prior)
                    .str("zone_id")
                    .or_else(|| Obj(prior).str("id"))
                    .unwrap_or_default(),
            );
            let force = Obj(prior).bool("force_destroy").unwrap_or(false);
            for _ in 0..5 {
                if force {
                    self.empty(cx, &zone_id).await?;
                }
                match cx.clients.route53().delete_hosted_zone().id(&zone_id).send().await {
                    Ok(_) => return Ok(()),
                    Err(e) if is_code(&e, &["NoSuchHostedZone"]) => return Ok(()),
                    Err(e) if is_code(&e, &["HostedZoneNotEmpty"]) && force => continue,
                    Err(e) if is_code(&e, &["HostedZoneNotEmpty"]) => {
                        return Err(cx.err("DeleteHostedZone", &e).hint(
                            "the zone still holds records (made outside sakk, e.g. by external-dns or cert-manager): set force_destroy = true and apply, or delete them",
                        ))
                    }
                    Err(e) => return Err(cx.err("DeleteHostedZone", &e)),
                }
            }
            Err(ProviderError::new(format!(
                "{}: zone {zone_id} kept receiving records while being emptied",
                cx.address()
            ))
            .hint("stop external-dns (or whatever writes records) and destroy again"))
        })
    }
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let base = cx.state().with("force_destroy", Value::bool(false)).build();
            let id = clean_zone_id(id);
            self.fetch(cx, &id, &base).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: cannot import zone {id}: it does not exist",
                    cx.address()
                ))
                .hint(
                    "import a zone by its ID (Z...), as listed by `aws route53 list-hosted-zones`",
                )
            })
        })
    }
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            match find_zone_by_token(cx, token).await? {
                Some(id) => self.fetch(cx, &id, planned).await,
                None => Ok(None),
            }
        })
    }
}

/// The zone whose CallerReference is `token`.
async fn find_zone_by_token(cx: &Ctx<'_>, token: &str) -> ProviderResult<Option<String>> {
    Ok(zones_by_token(cx, token).await?.into_iter().next())
}

/// Every zone whose CallerReference is `token` (AWS allows one; emulators may hold more).
async fn zones_by_token(cx: &Ctx<'_>, token: &str) -> ProviderResult<Vec<String>> {
    let c = cx.clients.route53();
    let mut marker: Option<String> = None;
    let mut found = Vec::new();
    loop {
        let out = c
            .list_hosted_zones()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| cx.err("ListHostedZones", &e))?;
        found.extend(
            out.hosted_zones()
                .iter()
                .filter(|z| z.caller_reference() == token)
                .map(|z| clean_zone_id(z.id())),
        );
        marker = out.next_marker().map(str::to_string);
        if !out.is_truncated() || marker.is_none() {
            return Ok(found);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// aws_route53_record

/// Collects record changes per zone for a short window and submits them as one batch.
#[derive(Default)]
pub struct Batcher {
    pending: Mutex<HashMap<(usize, String), Vec<Pending>>>,
}

struct Pending {
    change: Change,
    done: oneshot::Sender<Result<String, ProviderError>>,
}

/// How long the first change of a batch waits for others to join.
const BATCH_WINDOW: Duration = Duration::from_millis(150);
/// Route53 accepts at most 1000 changes per batch.
const BATCH_MAX: usize = 500;

impl Batcher {
    /// Submits `change` to `zone_id` (with others arriving meanwhile); returns the change ID.
    async fn submit(&self, cx: &Ctx<'_>, zone_id: &str, change: Change) -> ProviderResult<String> {
        let key = (cx.clients as *const Clients as usize, zone_id.to_string());
        let (tx, rx) = oneshot::channel();
        let leader = {
            let mut p = self
                .pending
                .lock()
                .map_err(|_| ProviderError::new("internal error: Route53 batch lock poisoned"))?;
            let q = p.entry(key.clone()).or_default();
            q.push(Pending {
                change: change.clone(),
                done: tx,
            });
            q.len() == 1
        };
        if !leader {
            // The leader submits; if it was cancelled, submit alone.
            return match rx.await {
                Ok(r) => r,
                Err(_) => submit_changes(cx, zone_id, vec![change]).await,
            };
        }
        tokio::time::sleep(BATCH_WINDOW).await;
        let batch: Vec<Pending> = {
            let mut p = self
                .pending
                .lock()
                .map_err(|_| ProviderError::new("internal error: Route53 batch lock poisoned"))?;
            p.remove(&key).unwrap_or_default()
        };
        let mut batch = batch;
        while !batch.is_empty() {
            let rest = if batch.len() > BATCH_MAX {
                batch.split_off(BATCH_MAX)
            } else {
                Vec::new()
            };
            let changes: Vec<Change> = batch.iter().map(|p| p.change.clone()).collect();
            if changes.len() > 1 {
                cx.progress(&format!(
                    "submitting {} record changes to zone {zone_id} in one batch",
                    changes.len()
                ));
            }
            match submit_changes(cx, zone_id, changes).await {
                Ok(id) => {
                    for p in batch {
                        let _ = p.done.send(Ok(id.clone()));
                    }
                }
                Err(_) if batch.len() > 1 => {
                    // A batch is atomic: one bad change fails all. Submit each alone so every
                    // record gets its own result.
                    for p in batch {
                        let r = submit_changes(cx, zone_id, vec![p.change]).await;
                        let _ = p.done.send(r);
                    }
                }
                Err(e) => {
                    for p in batch {
                        let _ = p.done.send(Err(e.clone()));
                    }
                }
            }
            batch = rest;
        }
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::new(
                "internal error: Route53 batch result lost",
            )),
        }
    }
}

async fn submit_changes(
    cx: &Ctx<'_>,
    zone_id: &str,
    changes: Vec<Change>,
) -> ProviderResult<String> {
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .build()
        .map_err(|e| build_err(cx, e))?;
    let out = cx
        .clients
        .route53()
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| aws_error("ChangeResourceRecordSets", cx.address(), &e))?;
    Ok(out
        .change_info()
        .map(|c| c.id().to_string())
        .unwrap_or_default())
}

pub struct Record {
    batcher: Batcher,
}

fn alias_schema() -> Schema {
    Schema::new()
        .attr("name", Attribute::required(Type::String))
        .attr("zone_id", Attribute::required(Type::String))
        .attr("evaluate_target_health", Attribute::required(Type::Bool))
}

/// The record's fully qualified name: `name`, with the zone's name appended when it is not
/// already inside the zone (as the Terraform AWS provider does).
async fn fqdn(cx: &Ctx<'_>, zone_id: &str, name: &str) -> ProviderResult<Option<String>> {
    let zone = match cx
        .clients
        .route53()
        .get_hosted_zone()
        .id(zone_id)
        .send()
        .await
    {
        Ok(o) => o
            .hosted_zone()
            .map(|z| norm_name(z.name()))
            .unwrap_or_default(),
        Err(e) if is_code(&e, &["NoSuchHostedZone"]) => return Ok(None),
        Err(e) => return Err(cx.err("GetHostedZone", &e)),
    };
    let n = norm_name(name);
    Ok(Some(
        if n == zone || n.ends_with(&format!(".{zone}")) || zone.is_empty() {
            n
        } else if n.is_empty() {
            zone
        } else {
            format!("{n}.{zone}")
        },
    ))
}

impl Record {
    async fn find(
        &self,
        cx: &Ctx<'_>,
        zone_id: &str,
        fqdn: &str,
        rtype: &str,
    ) -> ProviderResult<Option<ResourceRecordSet>> {
        let Some(out) = cx
            .clients
            .route53()
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(fqdn)
            .start_record_type(RrType::from(rtype))
            .max_items(10)
            .send()
            .await
            .found(cx, "ListResourceRecordSets", |e| {
                is_code(e, &["NoSuchHostedZone"])
            })?
        else {
            return Ok(None);
        };
        Ok(out
            .resource_record_sets()
            .iter()
            .find(|r| norm_name(r.name()) == norm_name(fqdn) && r.r#type().as_str() == rtype)
            .cloned())
    }

    fn state_of(
        &self,
        cx: &Ctx<'_>,
        base: &Value,
        zone_id: &str,
        fqdn: &str,
        r: &ResourceRecordSet,
    ) -> Value {
        let b = Obj(base);
        let rtype = r.r#type().as_str().to_string();
        let name = match b.str("name") {
            Some(n)
                if norm_name(&n) == norm_name(fqdn)
                    || fqdn.starts_with(&format!("{}.", norm_name(&n))) =>
            {
                n
            }
            _ => norm_name(fqdn),
        };
        let records: Vec<String> = r
            .resource_records()
            .iter()
            .map(|x| x.value().to_string())
            .collect();
        let als = alias_schema();
        let alias: Vec<Value> = r
            .alias_target()
            .map(|a| {
                let prior_name = b.blocks("alias").first().and_then(|p| Obj(p).str("name"));
                let aname = match prior_name {
                    Some(p) if norm_name(&p) == norm_name(a.dns_name()) => p,
                    _ => norm_name(a.dns_name()),
                };
                State::new(&als)
                    .with("name", s(aname))
                    .with("zone_id", s(a.hosted_zone_id()))
                    .with(
                        "evaluate_target_health",
                        Value::bool(a.evaluate_target_health()),
                    )
                    .build()
            })
            .into_iter()
            .collect();
        cx.state_from(base)
            .with("id", s(format!("{zone_id}_{name}_{rtype}")))
            .with("zone_id", s(zone_id))
            .with("name", s(name))
            .with("type", s(&rtype))
            .with("fqdn", s(norm_name(fqdn)))
            .with(
                "ttl",
                r.ttl()
                    .map(Value::int)
                    .unwrap_or_else(|| Value::null(Type::Number)),
            )
            .with(
                "records",
                if records.is_empty() {
                    Value::null(Type::set(Type::String))
                } else {
                    set_of_strings(records)
                },
            )
            .with("alias", Value::set(als.object_type(), alias))
            .with(
                "allow_overwrite",
                Value::bool(b.bool("allow_overwrite").unwrap_or(false)),
            )
            .build()
    }

    fn record_set(&self, cx: &Ctx<'_>, v: &Value, fqdn: &str) -> ProviderResult<ResourceRecordSet> {
        let o = Obj(v);
        let rtype = o.str("type").unwrap_or_default();
        let mut b = ResourceRecordSet::builder()
            .name(fqdn)
            .r#type(RrType::from(rtype.as_str()));
        if let Some(a) = o.blocks("alias").first() {
            let a = Obj(a);
            b = b.alias_target(
                AliasTarget::builder()
                    .set_dns_name(a.str("name"))
                    .set_hosted_zone_id(a.str("zone_id"))
                    .evaluate_target_health(a.bool("evaluate_target_health").unwrap_or(false))
                    .build()
                    .map_err(|e| build_err(cx, e))?,
            );
        } else {
            let records = o.str_list("records");
            if records.is_empty() {
                return Err(invalid(
                    cx.address(),
                    "records",
                    "a record needs records or an alias block",
                    "set records = [...] and ttl, or an alias { } block",
                ));
            }
            b = b.set_ttl(Some(o.i64("ttl").unwrap_or(300)));
            for r in records {
                b = b.resource_records(
                    ResourceRecord::builder()
                        .value(r)
                        .build()
                        .map_err(|e| build_err(cx, e))?,
                );
            }
        }
        b.build().map_err(|e| build_err(cx, e))
    }

    async fn change(
        &self,
        cx: &Ctx<'_>,
        zone_id: &str,
        action: ChangeAction,
        set: ResourceRecordSet,
    ) -> ProviderResult<()> {
        let change = Change::builder()
            .action(action)
            .resource_record_set(set)
            .build()
            .map_err(|e| build_err(cx, e))?;
        let id = self.batcher.submit(cx, zone_id, change).await?;
        if !id.is_empty() {
            wait_insync(cx, &id).await?;
        }
        Ok(())
    }

    async fn apply(
        &self,
        cx: &Ctx<'_>,
        planned: &Value,
        action: ChangeAction,
    ) -> ProviderResult<Value> {
        let o = Obj(planned);
        let zone_id = clean_zone_id(&o.str("zone_id").unwrap_or_default());
        let name = o.str("name").unwrap_or_default();
        let rtype = o.str("type").unwrap_or_default();
        let Some(fq) = fqdn(cx, &zone_id, &name).await? else {
            return Err(ProviderError::new(format!(
                "{}: hosted zone {zone_id} does not exist",
                cx.address()
            ))
            .hint("check zone_id (create the aws_route53_zone first and reference its zone_id)"));
        };
        let set = self.record_set(cx, planned, &fq)?;
        if let Err(e) = self.change(cx, &zone_id, action.clone(), set.clone()).await {
            // CREATE of a record that exists: with allow_overwrite it would be UPSERT; a lost
            // response to our own attempt (or a cut-off earlier one) leaves exactly our record.
            let same = match self.find(cx, &zone_id, &fq, &rtype).await? {
                Some(r) => same_record(&r, &set),
                None => false,
            };
            if !(action == ChangeAction::Create && same) {
                let mut e = e;
                if e.detail.contains("already exists") {
                    e = e.hint("a record with this name and type already exists: set allow_overwrite = true, or import it (ZONEID_NAME_TYPE)");
                }
                return Err(e);
            }
        }
        match self.find(cx, &zone_id, &fq, &rtype).await? {
            Some(r) => Ok(self.state_of(cx, planned, &zone_id, &fq, &r)),
            None => Err(ProviderError::new(format!(
                "{}: record {fq} {rtype} not found after the change",
                cx.address()
            ))),
        }
    }
}

/// Whether the record AWS has is the set a create would write (records have no tags or dates:
/// the same content is how a cut-off create's record is recognised).
fn same_record(r: &ResourceRecordSet, set: &ResourceRecordSet) -> bool {
    r == set
        || (r.ttl() == set.ttl()
            && r.resource_records() == set.resource_records()
            && r.alias_target() == set.alias_target())
}

impl Resource for Record {
    fn type_name(&self) -> &'static str {
        "aws_route53_record"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("zone_id", Attribute::required(Type::String).force_new())
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("type", Attribute::required(Type::String).force_new())
            .attr("ttl", Attribute::optional(Type::Number))
            .attr("records", Attribute::optional(Type::set(Type::String)))
            .attr(
                "allow_overwrite",
                Attribute::optional(Type::Bool).default(Value::bool(false)),
            )
            .attr("fqdn", Attribute::computed(Type::String))
            .block(
                "alias",
                Block {
                    nesting: Nesting::Set,
                    schema: alias_schema(),
                    min_items: 0,
                    max_items: 1,
                    force_new: false,
                },
            ))
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        let cfg = Obj(plan.config);
        let has_alias = !cfg.blocks("alias").is_empty();
        if has_alias && (cfg.get("ttl").is_some() || cfg.get("records").is_some()) {
            return Err(ProviderError::new("Invalid aws_route53_record")
                .detail("alias conflicts with ttl and records")
                .attribute("alias")
                .hint("an alias record has no ttl or records: remove them"));
        }
        plan.keep_prior_if("name", |a, b| match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => norm_name(a) == norm_name(b),
            _ => false,
        });
        if !plan.changed("name") {
            plan.requires_replace.retain(|r| r != "name");
        }
        plan.keep_prior_if("alias", |a, b| {
            let key = |v: &Value| -> Vec<(String, String, Option<bool>)> {
                Obj(v)
                    .blocks("alias")
                    .iter()
                    .map(|x| {
                        (
                            norm_name(&Obj(x).str("name").unwrap_or_default()),
                            Obj(x).str("zone_id").unwrap_or_default(),
                            Obj(x).bool("evaluate_target_health"),
                        )
                    })
                    .collect()
            };
            let wrap = |v: &Value| Value::object(vec![("alias".to_string(), v.clone())]);
            key(&wrap(a)) == key(&wrap(b))
        });
        if !has_alias && cfg.get("ttl").is_none() && cfg.get("records").is_some() {
            return Err(ProviderError::new("Invalid aws_route53_record")
                .detail("records without ttl")
                .attribute("ttl")
                .hint("set ttl (seconds) for a record with records"));
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let o = Obj(current);
            let zone_id = clean_zone_id(&o.str("zone_id").unwrap_or_default());
            let (name, rtype) = (
                o.str("name").unwrap_or_default(),
                o.str("type").unwrap_or_default(),
            );
            let Some(fq) = fqdn(cx, &zone_id, &name).await? else {
                return Ok(None);
            };
            Ok(self
                .find(cx, &zone_id, &fq, &rtype)
                .await?
                .map(|r| self.state_of(cx, current, &zone_id, &fq, &r)))
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The record of the planned name and type, when its content is what the create writes
    /// (another content: not ours, an error naming it and its import ID).
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let o = Obj(planned);
            let zone_id = clean_zone_id(&o.str("zone_id").unwrap_or_default());
            let name = o.str("name").unwrap_or_default();
            let rtype = o.str("type").unwrap_or_default();
            let Some(fq) = fqdn(cx, &zone_id, &name).await? else {
                return Ok(None);
            };
            let Some(r) = self.find(cx, &zone_id, &fq, &rtype).await? else {
                return Ok(None);
            };
            if same_record(&r, &self.record_set(cx, planned, &fq)?) {
                return Ok(Some(self.state_of(cx, planned, &zone_id, &fq, &r)));
            }
            let id = format!("{zone_id}_{}_{rtype}", fq.trim_end_matches('.'));
            Err(cx.not_ours("Route 53 record", &fq, &id))
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let action = if Obj(planned).bool("allow_overwrite") == Some(true) {
                ChangeAction::Upsert
            } else {
                ChangeAction::Create
            };
            self.apply(cx, planned, action).await
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.apply(cx, planned, ChangeAction::Upsert))
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let o = Obj(prior);
            let zone_id = clean_zone_id(&o.str("zone_id").unwrap_or_default());
            let (name, rtype) = (
                o.str("name").unwrap_or_default(),
                o.str("type").unwrap_or_default(),
            );
            let Some(fq) = fqdn(cx, &zone_id, &name).await? else {
                return Ok(());
            };
            // Delete what is there now (it may have changed outside sakk).
            let Some(current) = self.find(cx, &zone_id, &fq, &rtype).await? else {
                return Ok(());
            };
            match self
                .change(cx, &zone_id, ChangeAction::Delete, current)
                .await
            {
                Ok(()) => Ok(()),
                Err(_) if self.find(cx, &zone_id, &fq, &rtype).await?.is_none() => Ok(()),
                Err(e) => Err(e),
            }
        })
    }
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let parts: Vec<&str> = id.splitn(3, '_').collect();
            let (zone_id, rest) = match parts.as_slice() {
                [z, n, t] => (z.to_string(), (n.to_string(), t.to_string())),
                _ => {
                    return Err(invalid(
                        cx.address(),
                        "id",
                        format!("{id:?}"),
                        "import a record as ZONEID_NAME_TYPE, e.g. Z123_www.example.com_A",
                    ))
                }
            };
            // A name may hold underscores: the type is after the last one.
            let joined = format!("{}_{}", rest.0, rest.1);
            let (name, rtype) = joined
                .rsplit_once('_')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .unwrap_or(rest);
            let stub = cx
                .state()
                .with("zone_id", s(&zone_id))
                .with("name", s(&name))
                .with("type", s(&rtype))
                .with("allow_overwrite", Value::bool(false))
                .build();
            self.read(cx, &stub).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: no record {name} {rtype} in zone {zone_id}",
                    cx.address()
                ))
                .hint("check the zone ID, the record name and its type")
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// data "aws_route53_zone"

pub struct ZoneData;

impl DataSource for ZoneData {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("zone_id", Attribute::optional_computed(Type::String))
            .attr("name", Attribute::optional_computed(Type::String))
            .attr(
                "private_zone",
                Attribute::optional(Type::Bool).default(Value::bool(false)),
            )
            .attr("arn", Attribute::computed(Type::String))
            .attr("comment", Attribute::computed(Type::String))
            .attr("caller_reference", Attribute::computed(Type::String))
            .attr(
                "name_servers",
                Attribute::computed(Type::list(Type::String)),
            )
            .attr("primary_name_server", Attribute::computed(Type::String))
            .attr(
                "resource_record_set_count",
                Attribute::computed(Type::Number),
            )
            .attr(
                "tags",
                Attribute::optional_computed(Type::map(Type::String)),
            ))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let o = Obj(config);
            let c = cx.clients.route53();
            let private = o.bool("private_zone").unwrap_or(false);
            let zone_id = match (o.str("zone_id"), o.str("name")) {
                (Some(id), _) => clean_zone_id(&id),
                (None, Some(name)) => {
                    let want = norm_name(&name);
                    let mut found = Vec::new();
                    let mut marker: Option<String> = None;
                    loop {
                        let out = c
                            .list_hosted_zones()
                            .set_marker(marker.clone())
                            .send()
                            .await
                            .map_err(|e| cx.err("ListHostedZones", &e))?;
                        for z in out.hosted_zones() {
                            let zp = z.config().map(|c| c.private_zone()).unwrap_or(false);
                            if norm_name(z.name()) == want && zp == private {
                                found.push(clean_zone_id(z.id()));
                            }
                        }
                        marker = out.next_marker().map(str::to_string);
                        if !out.is_truncated() || marker.is_none() {
                            break;
                        }
                    }
                    match found.len() {
                        1 => found.remove(0),
                        0 => return Err(ProviderError::new(format!("{}: no {} hosted zone named {name}", cx.address(), if private { "private" } else { "public" }))
                            .hint("check the name, private_zone and the account of the provider configuration")),
                        n => return Err(ProviderError::new(format!("{}: {n} hosted zones are named {name}", cx.address()))
                            .hint("select the zone by zone_id instead")),
                    }
                }
                (None, None) => {
                    return Err(invalid(
                        cx.address(),
                        "name",
                        "neither zone_id nor name is set",
                        "set zone_id or name",
                    ))
                }
            };
            let out = c
                .get_hosted_zone()
                .id(&zone_id)
                .send()
                .await
                .map_err(|e| cx.err("GetHostedZone", &e))?;
            let Some(z) = out.hosted_zone() else {
                return Err(ProviderError::new(format!(
                    "{}: GetHostedZone returned no zone",
                    cx.address()
                )));
            };
            let ns: Vec<String> = out
                .delegation_set()
                .map(|d| d.name_servers().to_vec())
                .unwrap_or_default();
            let tags = zone_tags(cx, &zone_id).await?.unwrap_or_default();
            Ok(State::from(cx.schema, config)
                .with("id", s(&zone_id))
                .with("zone_id", s(&zone_id))
                .with("name", s(z.name().trim_end_matches('.')))
                .with(
                    "private_zone",
                    Value::bool(z.config().map(|c| c.private_zone()).unwrap_or(false)),
                )
                .with("arn", s(format!("arn:aws:route53:::hostedzone/{zone_id}")))
                .with(
                    "comment",
                    s(z.config().and_then(|c| c.comment()).unwrap_or_default()),
                )
                .with("caller_reference", s(z.caller_reference()))
                .with(
                    "name_servers",
                    super::value::list_of_strings(ns.iter().cloned()),
                )
                .with("primary_name_server", opt_s(ns.first()))
                .with(
                    "resource_record_set_count",
                    Value::int(z.resource_record_set_count().unwrap_or(0)),
                )
                .with("tags", super::value::map_value(&tags))
                .build())
        })
    }
}
