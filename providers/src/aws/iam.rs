//! IAM: `aws_iam_role`, `aws_iam_policy`, `aws_iam_role_policy_attachment`,
//! `aws_iam_openid_connect_provider`; data sources `aws_iam_policy_document` (rendered locally,
//! as the Terraform AWS provider does) and, in [`super::sts`], `aws_caller_identity`.
//!
//! Policy documents are JSON strings; a document AWS returns (URL-encoded, re-serialised) that is
//! the same policy as the configured one keeps the configured spelling, so layout is not drift.

use super::error::{invalid, is_code};
use super::intent::system_time;
use super::resource::{Ctx, DataSource, Plan, Recovery, Resource, SdkResult};
use super::value::{
    json_equivalent, keep_equivalent_json, opt_s, s, set_of_strings, tag_diff, tags_schema,
    url_decode, Obj, State,
};
use aws_sdk_iam::types::{PolicyScopeType, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    Attribute, Block, BoxFuture, Nesting, ProviderError, ProviderResult, ResourceType, Schema,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(Role),
        Arc::new(Policy),
        Arc::new(RolePolicyAttachment),
        Arc::new(OpenIdConnectProvider),
    ]
}

pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(PolicyDocument)]
}

fn def(schema: Schema) -> ResourceType {
    ResourceType {
        schema,
        service: "iam",
        create_timeout: None,
        delete_timeout: None,
    }
}

fn iam_tags(cx: &Ctx<'_>, tags: &BTreeMap<String, String>) -> ProviderResult<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| {
                invalid(
                    cx.address(),
                    "tags",
                    e.to_string(),
                    "tag keys and values must be non-empty strings",
                )
            })
        })
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Validates a JSON policy attribute during plan and keeps the prior spelling when equivalent.
fn plan_json(plan: &mut Plan<'_>, name: &str) -> ProviderResult<()> {
    if let Some(doc) = Obj(plan.config).str(name) {
        if serde_json::from_str::<serde_json::Value>(&doc).is_err() {
            return Err(ProviderError::new(format!("Invalid {name}"))
                .detail("the policy is not valid JSON")
                .attribute(name)
                .hint("use jsonencode({...}) or data.aws_iam_policy_document.x.json"));
        }
    }
    plan.keep_prior_if(name, |a, b| match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => json_equivalent(a, b),
        _ => false,
    });
    Ok(())
}

/// Whether IAM says the object does not exist.
fn no_such_entity<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    is_code(e, &["NoSuchEntity"])
}

// ---------------------------------------------------------------------------------------------
// aws_iam_role

pub struct Role;

impl Role {
    async fn fetch(&self, cx: &Ctx<'_>, name: &str, base: &Value) -> ProviderResult<Option<Value>> {
        let r = cx.clients.iam().get_role().role_name(name).send().await;
        let Some(out) = r.found(cx, "GetRole", no_such_entity)? else {
            return Ok(None);
        };
        let Some(r) = out.role() else { return Ok(None) };
        let b = Obj(base);
        let doc = r
            .assume_role_policy_document()
            .map(url_decode)
            .unwrap_or_default();
        let doc = keep_equivalent_json(b.str("assume_role_policy").as_deref(), &doc);
        let mut st = cx.state_from(base);
        st.set("id", s(r.role_name()))
            .set("name", s(r.role_name()))
            .set("arn", s(r.arn()))
            .set("unique_id", s(r.role_id()))
            .set("path", s(r.path()))
            .set("create_date", s(r.create_date().to_string()))
            .set("assume_role_policy", s(doc))
            .set(
                "description",
                opt_s(r.description().filter(|d| !d.is_empty())),
            )
            .set(
                "max_session_duration",
                Value::int(i64::from(r.max_session_duration().unwrap_or(3600))),
            )
            .set(
                "permissions_boundary",
                opt_s(
                    r.permissions_boundary()
                        .and_then(|p| p.permissions_boundary_arn()),
                ),
            )
            .set(
                "force_detach_policies",
                Value::bool(b.bool("force_detach_policies").unwrap_or(false)),
            );
        cx.put_tags(&mut st, &tag_map(r.tags()), base);
        Ok(Some(st.build()))
    }

    async fn detach_all(&self, cx: &Ctx<'_>, name: &str) -> ProviderResult<()> {
        let c = cx.clients.iam();
        let mut marker = None;
        loop {
            let out = c
                .list_attached_role_policies()
                .role_name(name)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| cx.err("ListAttachedRolePolicies", &e))?;
            for p in out.attached_policies() {
                if let Some(arn) = p.policy_arn() {
                    c.detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await
                        .gone_ok(cx, "DetachRolePolicy", no_such_entity)?;
                }
            }
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                break;
            }
        }
        let out = c
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .map_err(|e| cx.err("ListRolePolicies", &e))?;
        for p in out.policy_names() {
            c.delete_role_policy()
                .role_name(name)
                .policy_name(p)
                .send()
                .await
                .gone_ok(cx, "DeleteRolePolicy", no_such_entity)?;
        }
        Ok(())
    }
}

impl Resource for Role {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("unique_id", Attribute::computed(Type::String))
                .attr("create_date", Attribute::computed(Type::String))
                .attr(
                    "name",
                    Attribute::optional_computed(Type::String).force_new(),
                )
                .attr(
                    "path",
                    Attribute::optional(Type::String)
                        .default(s("/"))
                        .force_new(),
                )
                .attr(
                    "assume_role_policy",
                    Attribute::required(Type::String).describe("Trust policy (JSON)"),
                )
                .attr("description", Attribute::optional(Type::String))
                .attr(
                    "max_session_duration",
                    Attribute::optional(Type::Number).default(Value::int(3600)),
                )
                .attr("permissions_boundary", Attribute::optional(Type::String))
                .attr(
                    "force_detach_policies",
                    Attribute::optional(Type::Bool).default(Value::bool(false)),
                ),
        ))
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan_json(plan, "assume_role_policy")
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let name = Obj(current)
                .str("name")
                .or_else(|| Obj(current).str("id"))
                .unwrap_or_default();
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
            let name = Obj(planned)
                .str("name")
                .unwrap_or_else(|| cx.generated_name());
            let r = cx.clients.iam().get_role().role_name(&name).send().await;
            let Some(role) = r.found(cx, "GetRole", no_such_entity)?.and_then(|o| o.role) else {
                return Ok(None);
            };
            match cx.ours(&tag_map(role.tags()), system_time(role.create_date())) {
                true => Ok(Some(name)),
                false => Err(cx.not_ours("IAM role", &name, &name)),
            }
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let o = Obj(planned);
            let name = o.str("name").unwrap_or_else(|| cx.generated_name());
            let tags = cx.create_tags(planned);
            let req = cx
                .clients
                .iam()
                .create_role()
                .role_name(&name)
                .path(o.str("path").unwrap_or_else(|| "/".into()))
                .assume_role_policy_document(o.str("assume_role_policy").unwrap_or_default())
                .set_description(o.str("description"))
                .set_max_session_duration(o.i64("max_session_duration").map(|n| n as i32))
                .set_permissions_boundary(o.str("permissions_boundary"))
                .set_tags(if tags.is_empty() {
                    None
                } else {
                    Some(iam_tags(cx, &tags)?)
                });
            if let Err(e) = req.send().await {
                // A lost response (the SDK's retry found the name taken) or a cut-off earlier
                // attempt: adopted when the role is ours.
                let ours = is_code(&e, &["EntityAlreadyExists"])
                    && matches!(self.find_id(cx, planned).await, Ok(Some(_)));
                if !ours {
                    return Err(cx.err("CreateRole", &e));
                }
            }
            let base = cx.state_from(planned).with("name", s(&name)).build();
            // IAM is eventually consistent: GetRole may miss a role just created.
            for i in 0..10u64 {
                if let Some(v) = self.fetch(cx, &name, &base).await? {
                    return Ok(v);
                }
                tokio::time::sleep(Duration::from_millis(200 * (i + 1))).await;
            }
            Err(ProviderError::new(format!(
                "{}: role {name} not readable after CreateRole",
                cx.address()
            ))
            .hint("IAM propagation is slow: apply again to adopt it"))
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
            let name = p.str("name").unwrap_or_default();
            let c = cx.clients.iam();
            if p.str("assume_role_policy") != n.str("assume_role_policy") {
                c.update_assume_role_policy()
                    .role_name(&name)
                    .policy_document(n.str("assume_role_policy").unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateAssumeRolePolicy", &e))?;
            }
            if p.str("description") != n.str("description")
                || p.i64("max_session_duration") != n.i64("max_session_duration")
            {
                c.update_role()
                    .role_name(&name)
                    .description(n.str("description").unwrap_or_default())
                    .set_max_session_duration(n.i64("max_session_duration").map(|x| x as i32))
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateRole", &e))?;
            }
            if p.str("permissions_boundary") != n.str("permissions_boundary") {
                match n.str("permissions_boundary") {
                    Some(pb) => c
                        .put_role_permissions_boundary()
                        .role_name(&name)
                        .permissions_boundary(pb)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| cx.err("PutRolePermissionsBoundary", &e))?,
                    None => c
                        .delete_role_permissions_boundary()
                        .role_name(&name)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| cx.err("DeleteRolePermissionsBoundary", &e))?,
                }
            }
            let (removed, set) = tag_diff(&p.str_map("tags_all"), &cx.tags_all(planned));
            if !removed.is_empty() {
                c.untag_role()
                    .role_name(&name)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| cx.err("UntagRole", &e))?;
            }
            if !set.is_empty() {
                c.tag_role()
                    .role_name(&name)
                    .set_tags(Some(iam_tags(cx, &set)?))
                    .send()
                    .await
                    .map_err(|e| cx.err("TagRole", &e))?;
            }
            self.fetch(cx, &name, planned).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: role {name} disappeared during update",
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
            let name = Obj(prior).str("name").unwrap_or_default();
            let c = cx.clients.iam();
            // Instance profiles hold roles too; Terraform removes the role from them first.
            if let Ok(out) = c
                .list_instance_profiles_for_role()
                .role_name(&name)
                .send()
                .await
            {
                for ip in out.instance_profiles() {
                    let _ = c
                        .remove_role_from_instance_profile()
                        .instance_profile_name(ip.instance_profile_name())
                        .role_name(&name)
                        .send()
                        .await;
                }
            }
            if Obj(prior).bool("force_detach_policies") == Some(true) {
                match self.detach_all(cx, &name).await {
                    Err(e) if e.detail.starts_with("NoSuchEntity") => return Ok(()),
                    r => r?,
                }
            }
            match c.delete_role().role_name(&name).send().await {
                Ok(_) => Ok(()),
                Err(e) if is_code(&e, &["NoSuchEntity"]) => Ok(()),
                Err(e) if is_code(&e, &["DeleteConflict"]) => Err(cx.err("DeleteRole", &e).hint(
                    "policies are still attached to the role: destroy the aws_iam_role_policy_attachment resources first, or set force_detach_policies = true",
                )),
                Err(e) => Err(cx.err("DeleteRole", &e)),
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_policy

pub struct Policy;

impl Policy {
    async fn fetch(&self, cx: &Ctx<'_>, arn: &str, base: &Value) -> ProviderResult<Option<Value>> {
        let c = cx.clients.iam();
        let r = c.get_policy().policy_arn(arn).send().await;
        let Some(out) = r.found(cx, "GetPolicy", no_such_entity)? else {
            return Ok(None);
        };
        let Some(p) = out.policy() else {
            return Ok(None);
        };
        let version = p.default_version_id().unwrap_or("v1");
        let doc = match c
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
        {
            Ok(o) => o
                .policy_version()
                .and_then(|v| v.document())
                .map(url_decode)
                .unwrap_or_default(),
            Err(e) if is_code(&e, &["NoSuchEntity"]) => return Ok(None),
            Err(e) => return Err(cx.err("GetPolicyVersion", &e)),
        };
        let b = Obj(base);
        let doc = keep_equivalent_json(b.str("policy").as_deref(), &doc);
        let mut st = cx.state_from(base);
        st.set("id", s(arn))
            .set("arn", s(arn))
            .set("name", opt_s(p.policy_name()))
            .set("path", opt_s(p.path()))
            .set(
                "description",
                opt_s(p.description().filter(|d| !d.is_empty())),
            )
            .set("policy", s(doc))
            .set("policy_id", opt_s(p.policy_id()))
            .set(
                "attachment_count",
                Value::int(i64::from(p.attachment_count().unwrap_or(0))),
            );
        cx.put_tags(&mut st, &tag_map(p.tags()), base);
        Ok(Some(st.build()))
    }

    async fn find_arn(
        &self,
        cx: &Ctx<'_>,
        name: &str,
        path: &str,
    ) -> ProviderResult<Option<String>> {
        let c = cx.clients.iam();
        let mut marker = None;
        loop {
            let out = c
                .list_policies()
                .scope(PolicyScopeType::Local)
                .path_prefix(path)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| cx.err("ListPolicies", &e))?;
            if let Some(p) = out
                .policies()
                .iter()
                .find(|p| p.policy_name() == Some(name))
            {
                return Ok(p.arn().map(str::to_string));
            }
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                return Ok(None);
            }
        }
    }
}

impl Resource for Policy {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("policy_id", Attribute::computed(Type::String))
                .attr("attachment_count", Attribute::computed(Type::Number))
                .attr(
                    "name",
                    Attribute::optional_computed(Type::String).force_new(),
                )
                .attr(
                    "path",
                    Attribute::optional(Type::String)
                        .default(s("/"))
                        .force_new(),
                )
                .attr("description", Attribute::optional(Type::String).force_new())
                .attr(
                    "policy",
                    Attribute::required(Type::String).describe("Policy document (JSON)"),
                ),
        ))
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan_json(plan, "policy")?;
        // attachment_count changes as attachments come and go: not this resource's diff.
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let arn = Obj(current)
                .str("arn")
                .or_else(|| Obj(current).str("id"))
                .unwrap_or_default();
            self.fetch(cx, &arn, current).await
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
            let o = Obj(planned);
            let name = o.str("name").unwrap_or_else(|| cx.generated_name());
            let path = o.str("path").unwrap_or_else(|| "/".into());
            let Some(arn) = self.find_arn(cx, &name, &path).await? else {
                return Ok(None);
            };
            let r = cx.clients.iam().get_policy().policy_arn(&arn).send().await;
            let Some(p) = r
                .found(cx, "GetPolicy", no_such_entity)?
                .and_then(|o| o.policy)
            else {
                return Ok(None);
            };
            let created = p.create_date().and_then(system_time);
            match cx.ours(&tag_map(p.tags()), created) {
                true => Ok(Some(arn)),
                false => Err(cx.not_ours("IAM policy", &name, &arn)),
            }
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let o = Obj(planned);
            let name = o.str("name").unwrap_or_else(|| cx.generated_name());
            let path = o.str("path").unwrap_or_else(|| "/".into());
            let tags = cx.create_tags(planned);
            let res = cx
                .clients
                .iam()
                .create_policy()
                .policy_name(&name)
                .path(&path)
                .policy_document(o.str("policy").unwrap_or_default())
                .set_description(o.str("description"))
                .set_tags(if tags.is_empty() {
                    None
                } else {
                    Some(iam_tags(cx, &tags)?)
                })
                .send()
                .await;
            let arn = match res {
                Ok(out) => out.policy().and_then(|p| p.arn()).map(str::to_string),
                Err(e) if is_code(&e, &["EntityAlreadyExists"]) => {
                    match self.find_id(cx, planned).await {
                        Ok(Some(arn)) => Some(arn),
                        _ => return Err(cx.err("CreatePolicy", &e)),
                    }
                }
                Err(e) => return Err(cx.err("CreatePolicy", &e)),
            };
            let Some(arn) = arn else {
                return Err(ProviderError::new(format!(
                    "{}: CreatePolicy returned no ARN",
                    cx.address()
                )));
            };
            let base = cx.state_from(planned).with("name", s(&name)).build();
            for i in 0..10u64 {
                if let Some(v) = self.fetch(cx, &arn, &base).await? {
                    return Ok(v);
                }
                tokio::time::sleep(Duration::from_millis(200 * (i + 1))).await;
            }
            Err(ProviderError::new(format!(
                "{}: policy {arn} not readable after CreatePolicy",
                cx.address()
            )))
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
            let arn = p.str("arn").unwrap_or_default();
            let c = cx.clients.iam();
            if p.str("policy") != n.str("policy") {
                // At most 5 versions: delete the oldest non-default one first.
                let versions = c
                    .list_policy_versions()
                    .policy_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| cx.err("ListPolicyVersions", &e))?;
                let mut old: Vec<_> = versions
                    .versions()
                    .iter()
                    .filter(|v| !v.is_default_version())
                    .collect();
                if versions.versions().len() >= 5 {
                    old.sort_by_key(|v| v.create_date().map(|d| d.secs()).unwrap_or(0));
                    if let Some(id) = old.first().and_then(|v| v.version_id()) {
                        c.delete_policy_version()
                            .policy_arn(&arn)
                            .version_id(id)
                            .send()
                            .await
                            .map_err(|e| cx.err("DeletePolicyVersion", &e))?;
                    }
                }
                c.create_policy_version()
                    .policy_arn(&arn)
                    .policy_document(n.str("policy").unwrap_or_default())
                    .set_as_default(true)
                    .send()
                    .await
                    .map_err(|e| cx.err("CreatePolicyVersion", &e))?;
            }
            let (removed, set) = tag_diff(&p.str_map("tags_all"), &cx.tags_all(planned));
            if !removed.is_empty() {
                c.untag_policy()
                    .policy_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| cx.err("UntagPolicy", &e))?;
            }
            if !set.is_empty() {
                c.tag_policy()
                    .policy_arn(&arn)
                    .set_tags(Some(iam_tags(cx, &set)?))
                    .send()
                    .await
                    .map_err(|e| cx.err("TagPolicy", &e))?;
            }
            self.fetch(cx, &arn, planned).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: policy {arn} disappeared during update",
                    cx.address()
                ))
            })
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let arn = Obj(prior).str("arn").unwrap_or_default();
            let c = cx.clients.iam();
            match c.list_policy_versions().policy_arn(&arn).send().await {
                Ok(out) => {
                    for v in out.versions().iter().filter(|v| !v.is_default_version()) {
                        if let Some(id) = v.version_id() {
                            c.delete_policy_version()
                                .policy_arn(&arn)
                                .version_id(id)
                                .send()
                                .await
                                .gone_ok(cx, "DeletePolicyVersion", no_such_entity)?;
                        }
                    }
                }
                Err(e) if is_code(&e, &["NoSuchEntity"]) => return Ok(()),
                Err(e) => return Err(cx.err("ListPolicyVersions", &e)),
            }
            match c.delete_policy().policy_arn(&arn).send().await {
                Ok(_) => Ok(()),
                Err(e) if is_code(&e, &["NoSuchEntity"]) => Ok(()),
                Err(e) if is_code(&e, &["DeleteConflict"]) => Err(cx.err("DeletePolicy", &e).hint(
                    "the policy is still attached to roles, users or groups: detach it first (destroy the attachments)",
                )),
                Err(e) => Err(cx.err("DeletePolicy", &e)),
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_role_policy_attachment

pub struct RolePolicyAttachment;

impl RolePolicyAttachment {
    async fn attached(&self, cx: &Ctx<'_>, role: &str, arn: &str) -> ProviderResult<Option<bool>> {
        let c = cx.clients.iam();
        let mut marker = None;
        loop {
            let Some(out) = c
                .list_attached_role_policies()
                .role_name(role)
                .set_marker(marker)
                .send()
                .await
                .found(cx, "ListAttachedRolePolicies", no_such_entity)?
            else {
                return Ok(None);
            };
            if out
                .attached_policies()
                .iter()
                .any(|p| p.policy_arn() == Some(arn))
            {
                return Ok(Some(true));
            }
            marker = out.marker().map(str::to_string);
            if !out.is_truncated() || marker.is_none() {
                return Ok(Some(false));
            }
        }
    }
    fn state(&self, cx: &Ctx<'_>, role: &str, arn: &str) -> Value {
        cx.state()
            .with("id", s(format!("{role}/{arn}")))
            .with("role", s(role))
            .with("policy_arn", s(arn))
            .build()
    }
}

impl Resource for RolePolicyAttachment {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("role", Attribute::required(Type::String).force_new())
            .attr("policy_arn", Attribute::required(Type::String).force_new()))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let o = Obj(current);
            let (role, arn) = (
                o.str("role").unwrap_or_default(),
                o.str("policy_arn").unwrap_or_default(),
            );
            Ok(match self.attached(cx, &role, &arn).await? {
                Some(true) => Some(self.state(cx, &role, &arn)),
                _ => None,
            })
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Idempotent
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let o = Obj(planned);
            let (role, arn) = (
                o.str("role").unwrap_or_default(),
                o.str("policy_arn").unwrap_or_default(),
            );
            cx.clients
                .iam()
                .attach_role_policy()
                .role_name(&role)
                .policy_arn(&arn)
                .send()
                .await
                .map_err(|e| cx.err("AttachRolePolicy", &e))?;
            Ok(self.state(cx, &role, &arn))
        })
    }
    fn update<'a>(
        &'a self,
        _cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        // Every attribute forces replacement.
        Box::pin(async move { Ok(planned.clone()) })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let o = Obj(prior);
            cx.clients
                .iam()
                .detach_role_policy()
                .role_name(o.str("role").unwrap_or_default())
                .policy_arn(o.str("policy_arn").unwrap_or_default())
                .send()
                .await
                .gone_ok(cx, "DetachRolePolicy", no_such_entity)
        })
    }
    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let Some((role, arn)) = id.split_once('/') else {
                return Err(invalid(
                    cx.address(),
                    "id",
                    format!("{id:?}"),
                    "import an attachment as ROLE_NAME/POLICY_ARN",
                ));
            };
            match self.attached(cx, role, arn).await? {
                Some(true) => Ok(self.state(cx, role, arn)),
                _ => Err(ProviderError::new(format!(
                    "{}: policy {arn} is not attached to role {role}",
                    cx.address()
                ))
                .hint("check the role name and the policy ARN")),
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// aws_iam_openid_connect_provider

pub struct OpenIdConnectProvider;

fn strip_scheme(u: &str) -> &str {
    u.strip_prefix("https://").unwrap_or(u)
}

impl OpenIdConnectProvider {
    async fn fetch(&self, cx: &Ctx<'_>, arn: &str, base: &Value) -> ProviderResult<Option<Value>> {
        let Some(out) = cx
            .clients
            .iam()
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .found(cx, "GetOpenIDConnectProvider", no_such_entity)?
        else {
            return Ok(None);
        };
        let b = Obj(base);
        let url = out.url().unwrap_or_default();
        let url = match b.str("url") {
            Some(p) if strip_scheme(&p) == strip_scheme(url) => p,
            _ => format!("https://{}", strip_scheme(url)),
        };
        let mut st = cx.state_from(base);
        st.set("id", s(arn))
            .set("arn", s(arn))
            .set("url", s(url))
            .set(
                "client_id_list",
                set_of_strings(out.client_id_list().iter().cloned()),
            )
            .set(
                "thumbprint_list",
                super::value::list_of_strings(out.thumbprint_list().iter().cloned()),
            );
        cx.put_tags(&mut st, &tag_map(out.tags()), base);
        Ok(Some(st.build()))
    }

    async fn find(&self, cx: &Ctx<'_>, url: &str) -> ProviderResult<Option<String>> {
        let out = cx
            .clients
            .iam()
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(|e| cx.err("ListOpenIDConnectProviders", &e))?;
        let suffix = format!(":oidc-provider/{}", strip_scheme(url));
        Ok(out
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .find(|a| a.ends_with(&suffix))
            .map(str::to_string))
    }
}

impl Resource for OpenIdConnectProvider {
    fn type_name(&self) -> &'static str {
        "aws_iam_openid_connect_provider"
    }
    fn definition(&self) -> ResourceType {
        def(tags_schema(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr(
                    "url",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("Issuer URL (https://...)"),
                )
                .attr(
                    "client_id_list",
                    Attribute::required(Type::set(Type::String)),
                )
                .attr(
                    "thumbprint_list",
                    Attribute::optional_computed(Type::list(Type::String)),
                ),
        ))
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan.keep_prior_if("url", |a, b| match (a.as_str(), b.as_str()) {
            (Some(a), Some(b)) => strip_scheme(a) == strip_scheme(b),
            _ => false,
        });
        // The URL's spelling with or without https:// is the same provider.
        if plan.requires_replace.iter().any(|r| r == "url") && !plan.changed("url") {
            plan.requires_replace.retain(|r| r != "url");
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let arn = Obj(current)
                .str("arn")
                .or_else(|| Obj(current).str("id"))
                .unwrap_or_default();
            self.fetch(cx, &arn, current).await
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The provider of the planned URL (one per URL and account).
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            let url = Obj(planned).str("url").unwrap_or_default();
            let Some(arn) = self.find(cx, &url).await? else {
                return Ok(None);
            };
            let r = cx
                .clients
                .iam()
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .send()
                .await;
            let Some(out) = r.found(cx, "GetOpenIDConnectProvider", no_such_entity)? else {
                return Ok(None);
            };
            let created = out.create_date().and_then(system_time);
            match cx.ours(&tag_map(out.tags()), created) {
                true => Ok(Some(arn)),
                false => Err(cx.not_ours("OpenID Connect provider", &url, &arn)),
            }
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let o = Obj(planned);
            let url = o.str("url").unwrap_or_default();
            let tags = cx.create_tags(planned);
            let thumbs = o.str_list("thumbprint_list");
            let res = cx
                .clients
                .iam()
                .create_open_id_connect_provider()
                .url(&url)
                .set_client_id_list(Some(o.str_list("client_id_list")))
                .set_thumbprint_list(if thumbs.is_empty() {
                    None
                } else {
                    Some(thumbs)
                })
                .set_tags(if tags.is_empty() {
                    None
                } else {
                    Some(iam_tags(cx, &tags)?)
                })
                .send()
                .await;
            let arn = match res {
                Ok(out) => out.open_id_connect_provider_arn().map(str::to_string),
                Err(e) if is_code(&e, &["EntityAlreadyExists"]) => {
                    match self.find_id(cx, planned).await {
                        Ok(Some(arn)) => Some(arn),
                        _ => return Err(cx.err("CreateOpenIDConnectProvider", &e)),
                    }
                }
                Err(e) => return Err(cx.err("CreateOpenIDConnectProvider", &e)),
            };
            let Some(arn) = arn else {
                return Err(ProviderError::new(format!(
                    "{}: CreateOpenIDConnectProvider returned no ARN",
                    cx.address()
                )));
            };
            self.fetch(cx, &arn, planned).await?.ok_or_else(|| {
                ProviderError::new(format!("{}: {arn} not readable after create", cx.address()))
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
            let arn = p.str("arn").unwrap_or_default();
            let c = cx.clients.iam();
            let (old_ids, new_ids) = (p.str_list("client_id_list"), n.str_list("client_id_list"));
            for id in new_ids.iter().filter(|i| !old_ids.contains(i)) {
                c.add_client_id_to_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(|e| cx.err("AddClientIDToOpenIDConnectProvider", &e))?;
            }
            for id in old_ids.iter().filter(|i| !new_ids.contains(i)) {
                c.remove_client_id_from_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(|e| cx.err("RemoveClientIDFromOpenIDConnectProvider", &e))?;
            }
            let thumbs = n.str_list("thumbprint_list");
            if p.str_list("thumbprint_list") != thumbs && !thumbs.is_empty() {
                c.update_open_id_connect_provider_thumbprint()
                    .open_id_connect_provider_arn(&arn)
                    .set_thumbprint_list(Some(thumbs))
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateOpenIDConnectProviderThumbprint", &e))?;
            }
            let (removed, set) = tag_diff(&p.str_map("tags_all"), &cx.tags_all(planned));
            if !removed.is_empty() {
                c.untag_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| cx.err("UntagOpenIDConnectProvider", &e))?;
            }
            if !set.is_empty() {
                c.tag_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .set_tags(Some(iam_tags(cx, &set)?))
                    .send()
                    .await
                    .map_err(|e| cx.err("TagOpenIDConnectProvider", &e))?;
            }
            self.fetch(cx, &arn, planned).await?.ok_or_else(|| {
                ProviderError::new(format!("{}: {arn} disappeared during update", cx.address()))
            })
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let arn = Obj(prior).str("arn").unwrap_or_default();
            cx.clients
                .iam()
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .send()
                .await
                .gone_ok(cx, "DeleteOpenIDConnectProvider", no_such_entity)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// data "aws_iam_policy_document"

pub struct PolicyDocument;

fn principal_schema() -> Schema {
    Schema::new()
        .attr("type", Attribute::required(Type::String))
        .attr("identifiers", Attribute::required(Type::set(Type::String)))
}
fn condition_schema() -> Schema {
    Schema::new()
        .attr("test", Attribute::required(Type::String))
        .attr("variable", Attribute::required(Type::String))
        .attr("values", Attribute::required(Type::list(Type::String)))
}
fn statement_schema() -> Schema {
    let set_block = |schema: Schema| Block {
        nesting: Nesting::Set,
        schema,
        min_items: 0,
        max_items: 0,
        force_new: false,
    };
    Schema::new()
        .attr("sid", Attribute::optional(Type::String))
        .attr(
            "effect",
            Attribute::optional(Type::String).default(s("Allow")),
        )
        .attr("actions", Attribute::optional(Type::set(Type::String)))
        .attr("not_actions", Attribute::optional(Type::set(Type::String)))
        .attr("resources", Attribute::optional(Type::set(Type::String)))
        .attr(
            "not_resources",
            Attribute::optional(Type::set(Type::String)),
        )
        .block("principals", set_block(principal_schema()))
        .block("not_principals", set_block(principal_schema()))
        .block("condition", set_block(condition_schema()))
}

/// A string set as IAM JSON: one value as a string, several as an array (reverse-sorted, as
/// the Terraform AWS provider renders them).
fn string_or_list(mut items: Vec<String>) -> serde_json::Value {
    items.sort();
    items.dedup();
    items.reverse();
    if items.len() == 1 {
        serde_json::Value::String(items.remove(0))
    } else {
        serde_json::Value::Array(items.into_iter().map(serde_json::Value::String).collect())
    }
}

fn render_principals(blocks: &[&Value]) -> Option<serde_json::Value> {
    if blocks.is_empty() {
        return None;
    }
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in blocks {
        let o = Obj(b);
        let t = o.str("type").unwrap_or_default();
        by_type
            .entry(t)
            .or_default()
            .extend(o.str_list("identifiers"));
    }
    if by_type.len() == 1
        && by_type
            .get("*")
            .is_some_and(|ids| ids.iter().all(|i| i == "*"))
    {
        return Some(serde_json::Value::String("*".into()));
    }
    let mut m = serde_json::Map::new();
    for (t, ids) in by_type {
        m.insert(t, string_or_list(ids));
    }
    Some(serde_json::Value::Object(m))
}

/// Renders a policy document from the data source's configuration.
pub fn render_policy_document(config: &Value) -> Result<String, String> {
    let o = Obj(config);
    let mut doc = serde_json::Map::new();
    doc.insert(
        "Version".into(),
        serde_json::Value::String(o.str("version").unwrap_or_else(|| "2012-10-17".into())),
    );
    if let Some(id) = o.str("policy_id") {
        doc.insert("Id".into(), serde_json::Value::String(id));
    }
    let mut statements = Vec::new();
    for st in o.blocks("statement") {
        let so = Obj(st);
        let mut m = serde_json::Map::new();
        if let Some(sid) = so.str("sid") {
            m.insert("Sid".into(), serde_json::Value::String(sid));
        }
        let effect = so.str("effect").unwrap_or_else(|| "Allow".into());
        if effect != "Allow" && effect != "Deny" {
            return Err(format!("statement effect {effect:?} must be Allow or Deny"));
        }
        m.insert("Effect".into(), serde_json::Value::String(effect));
        for (attr, key) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            let items = so.str_list(attr);
            if !items.is_empty() {
                m.insert(key.into(), string_or_list(items));
            }
        }
        if let Some(p) = render_principals(&so.blocks("principals")) {
            m.insert("Principal".into(), p);
        }
        if let Some(p) = render_principals(&so.blocks("not_principals")) {
            m.insert("NotPrincipal".into(), p);
        }
        let conds = so.blocks("condition");
        if !conds.is_empty() {
            let mut tests: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
            for c in conds {
                let co = Obj(c);
                tests
                    .entry(co.str("test").unwrap_or_default())
                    .or_default()
                    .entry(co.str("variable").unwrap_or_default())
                    .or_default()
                    .extend(co.str_list("values"));
            }
            let mut cm = serde_json::Map::new();
            for (t, vars) in tests {
                let mut vm = serde_json::Map::new();
                for (var, vals) in vars {
                    let v = if vals.len() == 1 {
                        serde_json::Value::String(vals[0].clone())
                    } else {
                        serde_json::Value::Array(
                            vals.into_iter().map(serde_json::Value::String).collect(),
                        )
                    };
                    vm.insert(var, v);
                }
                cm.insert(t, serde_json::Value::Object(vm));
            }
            m.insert("Condition".into(), serde_json::Value::Object(cm));
        }
        statements.push(serde_json::Value::Object(m));
    }
    doc.insert("Statement".into(), serde_json::Value::Array(statements));
    serde_json::to_string_pretty(&serde_json::Value::Object(doc)).map_err(|e| e.to_string())
}

impl DataSource for PolicyDocument {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy_document"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("json", Attribute::computed(Type::String))
            .attr("minified_json", Attribute::computed(Type::String))
            .attr("version", Attribute::optional(Type::String))
            .attr("policy_id", Attribute::optional(Type::String))
            .block(
                "statement",
                Block {
                    nesting: Nesting::List,
                    schema: statement_schema(),
                    min_items: 0,
                    max_items: 0,
                    force_new: false,
                },
            ))
    }
    fn is_local(&self) -> bool {
        true
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let json = render_policy_document(config).map_err(|e| {
                invalid(
                    cx.address(),
                    "statement",
                    e,
                    "fix the statement blocks of the policy document",
                )
            })?;
            let minified = serde_json::from_str::<serde_json::Value>(&json)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| json.clone());
            let id = format!("{}", crc32(minified.as_bytes()));
            Ok(State::from(cx.schema, config)
                .with("id", s(id))
                .with("json", s(json))
                .with("minified_json", s(minified))
                .build())
        })
    }
}

/// CRC-32 (IEEE), as the Terraform AWS provider uses for this data source's id.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
