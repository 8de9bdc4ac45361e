//! DynamoDB: `aws_dynamodb_table`.
//!
//! Supported: name, billing_mode (PROVISIONED with read/write_capacity, or PAY_PER_REQUEST),
//! hash_key, range_key, attribute blocks (the key attributes), ttl, point_in_time_recovery,
//! deletion_protection_enabled, tags. Secondary indexes and streams are not supported yet, so
//! the attribute set only describes keys and a change of it replaces the table.

use super::error::{invalid, is_code};
use super::intent::system_time;
use super::resource::{Ctx, Plan, Poll, Recovery, Resource, SdkResult};
use super::value::{s, tag_diff, Obj, State};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    PointInTimeRecoveryStatus, ProvisionedThroughput, ScalarAttributeType, TableStatus, Tag,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    Attribute, Block, BoxFuture, Nesting, ProviderError, ProviderResult, ResourceType, Schema,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(Table)]
}

pub struct Table;

fn attribute_schema() -> Schema {
    Schema::new()
        .attr("name", Attribute::required(Type::String))
        .attr(
            "type",
            Attribute::required(Type::String).describe("S, N or B"),
        )
}
fn ttl_schema() -> Schema {
    Schema::new()
        .attr("attribute_name", Attribute::optional(Type::String))
        .attr("enabled", Attribute::optional(Type::Bool))
}
fn pitr_schema() -> Schema {
    Schema::new().attr("enabled", Attribute::required(Type::Bool))
}

fn build_err(cx: &Ctx<'_>, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(format!("{}: invalid DynamoDB request", cx.address()))
        .detail(e.to_string())
        .hint("check name, hash_key, range_key and the attribute blocks")
}

fn table_name(cx: &Ctx<'_>, v: &Value) -> ProviderResult<String> {
    let o = Obj(v);
    o.str("name").or_else(|| o.str("id")).ok_or_else(|| {
        invalid(
            cx.address(),
            "name",
            "the table name is not set",
            "set `name`",
        )
    })
}

struct Desc {
    arn: String,
    status: Option<TableStatus>,
    billing_mode: String,
    read: i64,
    write: i64,
    hash_key: Option<String>,
    range_key: Option<String>,
    attributes: Vec<(String, String)>,
    deletion_protection: bool,
}

impl Table {
    async fn describe(&self, cx: &Ctx<'_>, name: &str) -> ProviderResult<Option<Desc>> {
        let Some(out) = cx
            .clients
            .dynamodb()
            .describe_table()
            .table_name(name)
            .send()
            .await
            .found(cx, "DescribeTable", |e| {
                is_code(e, &["ResourceNotFoundException"])
            })?
        else {
            return Ok(None);
        };
        let Some(t) = out.table() else {
            return Ok(None);
        };
        if t.table_status() == Some(&TableStatus::Deleting) {
            return Ok(None);
        }
        let billing_mode = t
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|b| b.as_str().to_string())
            .unwrap_or_else(|| "PROVISIONED".into());
        let (read, write) = t
            .provisioned_throughput()
            .map(|p| {
                (
                    p.read_capacity_units().unwrap_or(0),
                    p.write_capacity_units().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0));
        let key = |kt: KeyType| {
            t.key_schema()
                .iter()
                .find(|k| *k.key_type() == kt)
                .map(|k| k.attribute_name().to_string())
        };
        Ok(Some(Desc {
            arn: t.table_arn().unwrap_or_default().to_string(),
            status: t.table_status().cloned(),
            billing_mode,
            read,
            write,
            hash_key: key(KeyType::Hash),
            range_key: key(KeyType::Range),
            attributes: t
                .attribute_definitions()
                .iter()
                .map(|a| {
                    (
                        a.attribute_name().to_string(),
                        a.attribute_type().as_str().to_string(),
                    )
                })
                .collect(),
            deletion_protection: t.deletion_protection_enabled().unwrap_or(false),
        }))
    }

    /// Waits until the table is ACTIVE (create, update) — DynamoDB's "TableExists" waiter.
    async fn wait_active(&self, cx: &Ctx<'_>, name: &str) -> ProviderResult<Desc> {
        let (ms, secs) = (Duration::from_millis, Duration::from_secs);
        cx.poll(
            Poll::new(secs(30 * 60), ms(200), secs(10)),
            |t| {
                format!(
                    "waiting for table {name} to become ACTIVE ({}s)",
                    t.as_secs()
                )
            },
            |_| {
                ProviderError::new(format!(
                    "{}: table {name} did not become ACTIVE in 30 minutes",
                    cx.address()
                ))
                .hint("check the table in the DynamoDB console; apply again to resume waiting")
            },
            || async {
                let d = self.describe(cx, name).await?;
                Ok(d.filter(|d| d.status == Some(TableStatus::Active)))
            },
        )
        .await
    }

    async fn fetch(&self, cx: &Ctx<'_>, name: &str, base: &Value) -> ProviderResult<Option<Value>> {
        let Some(d) = self.describe(cx, name).await? else {
            return Ok(None);
        };
        let c = cx.clients.dynamodb();
        let b = Obj(base);
        // ttl
        let ttl = match c.describe_time_to_live().table_name(name).send().await {
            Ok(o) => o.time_to_live_description().and_then(|t| {
                let on = matches!(
                    t.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                );
                let prior = b.block("ttl");
                if on {
                    Some((t.attribute_name().unwrap_or_default().to_string(), true))
                } else {
                    prior.map(|p| (Obj(p).str("attribute_name").unwrap_or_default(), false))
                }
            }),
            Err(e) if is_code(&e, &["ResourceNotFoundException"]) => return Ok(None),
            Err(e) => return Err(cx.err("DescribeTimeToLive", &e)),
        };
        let ttl_schema = ttl_schema();
        let ttl = match ttl {
            Some((attr, enabled)) => {
                let prior_attr_null = b
                    .block("ttl")
                    .is_some_and(|p| Obj(p).raw("attribute_name").is_null());
                let attr_v = if attr.is_empty() && prior_attr_null {
                    Value::null(Type::String)
                } else {
                    s(attr)
                };
                State::new(&ttl_schema)
                    .with("attribute_name", attr_v)
                    .with("enabled", Value::bool(enabled))
                    .build()
            }
            None => Value::null(ttl_schema.object_type()),
        };
        // point in time recovery
        let pitr_on = match c
            .describe_continuous_backups()
            .table_name(name)
            .send()
            .await
        {
            Ok(o) => {
                o.continuous_backups_description()
                    .and_then(|c| c.point_in_time_recovery_description())
                    .and_then(|p| p.point_in_time_recovery_status())
                    == Some(&PointInTimeRecoveryStatus::Enabled)
            }
            Err(e) if is_code(&e, &["TableNotFoundException", "ResourceNotFoundException"]) => {
                return Ok(None)
            }
            Err(e) => return Err(cx.err("DescribeContinuousBackups", &e)),
        };
        let pitr_schema = pitr_schema();
        let pitr = if pitr_on || b.block("point_in_time_recovery").is_some() {
            State::new(&pitr_schema)
                .with("enabled", Value::bool(pitr_on))
                .build()
        } else {
            Value::null(pitr_schema.object_type())
        };
        // tags
        let mut aws_tags = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let Some(out) = c
                .list_tags_of_resource()
                .resource_arn(&d.arn)
                .set_next_token(token.clone())
                .send()
                .await
                .found(cx, "ListTagsOfResource", |e| {
                    is_code(e, &["ResourceNotFoundException"])
                })?
            else {
                return Ok(None);
            };
            for t in out.tags() {
                aws_tags.insert(t.key().to_string(), t.value().to_string());
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let attr_schema = attribute_schema();
        let attributes = Value::set(
            attr_schema.object_type(),
            d.attributes
                .iter()
                .map(|(n, t)| {
                    State::new(&attr_schema)
                        .with("name", s(n))
                        .with("type", s(t))
                        .build()
                })
                .collect(),
        );
        let mut st = cx.state_from(base);
        st.set("id", s(name))
            .set("name", s(name))
            .set("arn", s(&d.arn))
            .set("billing_mode", s(&d.billing_mode))
            .set("read_capacity", Value::int(d.read))
            .set("write_capacity", Value::int(d.write))
            .set("hash_key", super::value::opt_s(d.hash_key.as_deref()))
            .set("range_key", super::value::opt_s(d.range_key.as_deref()))
            .set("attribute", attributes)
            .set("ttl", ttl)
            .set("point_in_time_recovery", pitr)
            .set(
                "deletion_protection_enabled",
                Value::bool(d.deletion_protection),
            );
        cx.put_tags(&mut st, &aws_tags, base);
        Ok(Some(st.build()))
    }

    async fn set_ttl(
        &self,
        cx: &Ctx<'_>,
        name: &str,
        planned: &Value,
        prior: Option<&Value>,
    ) -> ProviderResult<()> {
        let want = Obj(planned).block("ttl").map(|t| {
            (
                Obj(t).str("attribute_name"),
                Obj(t).bool("enabled").unwrap_or(false),
            )
        });
        let had = prior.and_then(|p| Obj(p).block("ttl")).map(|t| {
            (
                Obj(t).str("attribute_name"),
                Obj(t).bool("enabled").unwrap_or(false),
            )
        });
        let had_on = had.as_ref().is_some_and(|h| h.1);
        let (attr, enabled) = match (want, had) {
            (Some((Some(a), true)), _) => (a, true),
            (Some((_, true)), _) => {
                return Err(invalid(
                    cx.address(),
                    "ttl.attribute_name",
                    "ttl is enabled without an attribute_name",
                    "set ttl { attribute_name = \"expires_at\" }",
                ))
            }
            (_, Some((Some(a), true))) => (a, false),
            _ => return Ok(()),
        };
        if enabled == had_on
            && prior.is_some_and(|p| {
                Obj(p)
                    .block("ttl")
                    .and_then(|t| Obj(t).str("attribute_name"))
                    == Some(attr.clone())
            })
        {
            return Ok(());
        }
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(&attr)
            .enabled(enabled)
            .build()
            .map_err(|e| build_err(cx, e))?;
        cx.clients
            .dynamodb()
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| cx.err("UpdateTimeToLive", &e))?;
        Ok(())
    }

    async fn set_pitr(
        &self,
        cx: &Ctx<'_>,
        name: &str,
        planned: &Value,
        prior: Option<&Value>,
    ) -> ProviderResult<()> {
        let want = Obj(planned)
            .block("point_in_time_recovery")
            .and_then(|p| Obj(p).bool("enabled"))
            .unwrap_or(false);
        let had = prior
            .and_then(|p| Obj(p).block("point_in_time_recovery"))
            .and_then(|p| Obj(p).bool("enabled"))
            .unwrap_or(false);
        if want == had {
            return Ok(());
        }
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(want)
            .build()
            .map_err(|e| build_err(cx, e))?;
        cx.clients
            .dynamodb()
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(|e| cx.err("UpdateContinuousBackups", &e))?;
        Ok(())
    }

    fn throughput(cx: &Ctx<'_>, v: &Value) -> ProviderResult<Option<ProvisionedThroughput>> {
        let o = Obj(v);
        if o.str("billing_mode").as_deref() == Some("PAY_PER_REQUEST") {
            return Ok(None);
        }
        let (r, w) = (o.i64("read_capacity"), o.i64("write_capacity"));
        match (r, w) {
            (Some(r), Some(w)) if r > 0 && w > 0 => Ok(Some(
                ProvisionedThroughput::builder()
                    .read_capacity_units(r)
                    .write_capacity_units(w)
                    .build()
                    .map_err(|e| build_err(cx, e))?,
            )),
            _ => Err(invalid(
                cx.address(),
                "read_capacity",
                "billing_mode PROVISIONED needs read_capacity and write_capacity above 0",
                "set read_capacity and write_capacity, or billing_mode = \"PAY_PER_REQUEST\"",
            )),
        }
    }
}

impl Resource for Table {
    fn type_name(&self) -> &'static str {
        "aws_dynamodb_table"
    }
    fn definition(&self) -> ResourceType {
        let single = |schema: Schema| Block {
            nesting: Nesting::Single,
            schema,
            min_items: 0,
            max_items: 1,
            force_new: false,
        };
        ResourceType {
            schema: Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("name", Attribute::required(Type::String).force_new())
                .attr(
                    "billing_mode",
                    Attribute::optional(Type::String)
                        .default(s("PROVISIONED"))
                        .describe("PROVISIONED or PAY_PER_REQUEST"),
                )
                .attr("read_capacity", Attribute::optional_computed(Type::Number))
                .attr("write_capacity", Attribute::optional_computed(Type::Number))
                .attr("hash_key", Attribute::required(Type::String).force_new())
                .attr("range_key", Attribute::optional(Type::String).force_new())
                .attr(
                    "deletion_protection_enabled",
                    Attribute::optional_computed(Type::Bool),
                )
                .attr("tags", Attribute::optional(Type::map(Type::String)))
                .attr("tags_all", Attribute::computed(Type::map(Type::String)))
                .block(
                    "attribute",
                    Block {
                        nesting: Nesting::Set,
                        schema: attribute_schema(),
                        min_items: 1,
                        max_items: 0,
                        force_new: true,
                    },
                )
                .block("ttl", single(ttl_schema()))
                .block("point_in_time_recovery", single(pitr_schema())),
            service: "dynamodb",
            create_timeout: Some(Duration::from_secs(30 * 60)),
            delete_timeout: Some(Duration::from_secs(10 * 60)),
        }
    }

    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        let cfg = Obj(plan.config);
        if let Some(bm) = cfg.str("billing_mode") {
            if bm != "PROVISIONED" && bm != "PAY_PER_REQUEST" {
                return Err(ProviderError::new("Invalid billing_mode")
                    .detail(format!("{bm:?}"))
                    .attribute("billing_mode")
                    .hint("use PROVISIONED or PAY_PER_REQUEST"));
            }
            if bm == "PAY_PER_REQUEST" {
                // Capacity does not apply: AWS reports 0.
                for a in ["read_capacity", "write_capacity"] {
                    if cfg.get(a).is_none() {
                        plan.set(a, Value::int(0));
                    }
                }
            }
        }
        let names: Vec<String> = cfg
            .blocks("attribute")
            .iter()
            .filter_map(|a| Obj(a).str("name"))
            .collect();
        for key in ["hash_key", "range_key"] {
            if let Some(k) = cfg.str(key) {
                if !cfg.is_unknown("attribute") && !names.contains(&k) {
                    return Err(ProviderError::new(format!("Invalid {key}"))
                        .detail(format!("{key} {k:?} has no attribute block"))
                        .attribute(key)
                        .hint(format!("add attribute {{ name = \"{k}\" type = \"S\" }}")));
                }
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
            let name = table_name(cx, current)?;
            self.fetch(cx, &name, current).await
        })
    }

    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            let name = table_name(cx, planned)?;
            let c = cx.clients.dynamodb();
            let r = c.describe_table().table_name(&name).send().await;
            let Some(t) = r
                .found(cx, "DescribeTable", |e| {
                    is_code(e, &["ResourceNotFoundException"])
                })?
                .and_then(|o| o.table)
            else {
                return Ok(None);
            };
            let Some(arn) = t.table_arn() else {
                return Ok(None);
            };
            let r = c.list_tags_of_resource().resource_arn(arn).send().await;
            let Some(out) = r.found(cx, "ListTagsOfResource", |e| {
                is_code(e, &["ResourceNotFoundException"])
            })?
            else {
                return Ok(None);
            };
            let tags = out
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            match cx.ours(&tags, t.creation_date_time().and_then(system_time)) {
                true => Ok(Some(name)),
                false => Err(cx.not_ours("DynamoDB table", &name, &name)),
            }
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let name = table_name(cx, planned)?;
            let o = Obj(planned);
            let mut defs = Vec::new();
            for a in o.blocks("attribute") {
                let a = Obj(a);
                defs.push(
                    AttributeDefinition::builder()
                        .set_attribute_name(a.str("name"))
                        .set_attribute_type(
                            a.str("type").map(|t| ScalarAttributeType::from(t.as_str())),
                        )
                        .build()
                        .map_err(|e| build_err(cx, e))?,
                );
            }
            let mut keys = vec![KeySchemaElement::builder()
                .set_attribute_name(o.str("hash_key"))
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| build_err(cx, e))?];
            if let Some(r) = o.str("range_key") {
                keys.push(
                    KeySchemaElement::builder()
                        .attribute_name(r)
                        .key_type(KeyType::Range)
                        .build()
                        .map_err(|e| build_err(cx, e))?,
                );
            }
            let mut tags = Vec::new();
            for (k, v) in cx.create_tags(planned) {
                tags.push(
                    Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| build_err(cx, e))?,
                );
            }
            let bm = o
                .str("billing_mode")
                .unwrap_or_else(|| "PROVISIONED".into());
            let req = cx
                .clients
                .dynamodb()
                .create_table()
                .table_name(&name)
                .set_attribute_definitions(Some(defs))
                .set_key_schema(Some(keys))
                .billing_mode(BillingMode::from(bm.as_str()))
                .set_provisioned_throughput(Self::throughput(cx, planned)?)
                .set_deletion_protection_enabled(o.bool("deletion_protection_enabled"))
                .set_tags(if tags.is_empty() { None } else { Some(tags) });
            if let Err(e) = req.send().await {
                // A lost response (the SDK's retry found the name taken) or a cut-off earlier
                // attempt: adopted when the table is ours.
                let ours = is_code(&e, &["ResourceInUseException"])
                    && matches!(self.find_id(cx, planned).await, Ok(Some(_)));
                if !ours {
                    return Err(cx.err("CreateTable", &e));
                }
            }
            self.wait_active(cx, &name).await?;
            self.set_ttl(cx, &name, planned, None).await?;
            self.set_pitr(cx, &name, planned, None).await?;
            self.fetch(cx, &name, planned).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: table {name} disappeared right after create",
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
            let name = table_name(cx, prior)?;
            let (p, n) = (Obj(prior), Obj(planned));
            let c = cx.clients.dynamodb();
            let bm_changed = p.str("billing_mode") != n.str("billing_mode");
            let cap_changed = p.i64("read_capacity") != n.i64("read_capacity")
                || p.i64("write_capacity") != n.i64("write_capacity");
            let dp_changed = n.bool("deletion_protection_enabled").is_some()
                && p.bool("deletion_protection_enabled") != n.bool("deletion_protection_enabled");
            if bm_changed || cap_changed || dp_changed {
                let mut req = c.update_table().table_name(&name);
                if bm_changed || cap_changed {
                    let bm = n
                        .str("billing_mode")
                        .unwrap_or_else(|| "PROVISIONED".into());
                    req = req
                        .billing_mode(BillingMode::from(bm.as_str()))
                        .set_provisioned_throughput(Self::throughput(cx, planned)?);
                }
                if dp_changed {
                    req =
                        req.set_deletion_protection_enabled(n.bool("deletion_protection_enabled"));
                }
                req.send().await.map_err(|e| cx.err("UpdateTable", &e))?;
                self.wait_active(cx, &name).await?;
            }
            self.set_ttl(cx, &name, planned, Some(prior)).await?;
            self.set_pitr(cx, &name, planned, Some(prior)).await?;
            let old = p.str_map("tags_all");
            let new = cx.tags_all(planned);
            if old != new {
                let arn = p.str("arn").unwrap_or_default();
                let (removed, set) = tag_diff(&old, &new);
                if !removed.is_empty() {
                    c.untag_resource()
                        .resource_arn(&arn)
                        .set_tag_keys(Some(removed))
                        .send()
                        .await
                        .map_err(|e| cx.err("UntagResource", &e))?;
                }
                let mut tags = Vec::new();
                for (k, v) in &set {
                    tags.push(
                        Tag::builder()
                            .key(k)
                            .value(v)
                            .build()
                            .map_err(|e| build_err(cx, e))?,
                    );
                }
                if !tags.is_empty() {
                    c.tag_resource()
                        .resource_arn(&arn)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .map_err(|e| cx.err("TagResource", &e))?;
                }
            }
            self.fetch(cx, &name, planned).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: table {name} disappeared during update",
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
            let name = table_name(cx, prior)?;
            let c = cx.clients.dynamodb();
            let start = Instant::now();
            loop {
                match c.delete_table().table_name(&name).send().await {
                    Ok(_) => break,
                    Err(e) if is_code(&e, &["ResourceNotFoundException"]) => return Ok(()),
                    // Still being created or updated: wait and try again.
                    Err(e)
                        if is_code(&e, &["ResourceInUseException"])
                            && start.elapsed() < Duration::from_secs(600) =>
                    {
                        if self.describe(cx, &name).await?.is_none() {
                            return Ok(());
                        }
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                    Err(e) => {
                        let mut err = cx.err("DeleteTable", &e);
                        if prior
                            .get_attr("deletion_protection_enabled")
                            .and_then(Value::as_bool)
                            == Some(true)
                        {
                            err = err.hint("deletion protection is on: set deletion_protection_enabled = false and apply first");
                        }
                        return Err(err);
                    }
                }
            }
            // Wait until it is gone (DynamoDB's "TableNotExists" waiter).
            let (ms, secs) = (Duration::from_millis, Duration::from_secs);
            cx.poll(
                // From the first DeleteTable: one limit for both loops.
                Poll {
                    start,
                    ..Poll::new(secs(600), ms(200), secs(5))
                },
                |_| format!("waiting for table {name} to be deleted"),
                |_| {
                    ProviderError::new(format!(
                        "{}: table {name} still exists 10 minutes after DeleteTable",
                        cx.address()
                    ))
                },
                || async { Ok(self.describe(cx, &name).await?.is_none().then_some(())) },
            )
            .await
        })
    }
}
