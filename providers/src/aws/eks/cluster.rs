//! `aws_eks_cluster` and the `aws_eks_cluster` data source.

use super::{
    client, datetime, def, gone, hash_tags, issues, plan_single_block, put_tags, read_back, single,
    tags_schema, timeout, timeouts_block, update_tags, wait_deleted, Phase,
};
use super::{created, ours};
use crate::aws::resource::{Ctx, DataSource, Plan, Recovery, Resource};
use crate::aws::value::{opt_s, s, same, set_of_strings, Obj};
use aws_sdk_eks::types::{
    AuthenticationMode, ClusterStatus, CreateAccessConfigRequest, LogSetup, LogType, Logging,
    UpdateAccessConfigRequest, VpcConfigRequest,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderError, ProviderResult, ResourceType, Schema};
use std::time::Duration;

const CREATE: Duration = Duration::from_secs(30 * 60);
const UPDATE: Duration = Duration::from_secs(60 * 60);
const DELETE: Duration = Duration::from_secs(15 * 60);

pub const LOG_TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

fn vpc_config_schema() -> Schema {
    Schema::new()
        .attr("subnet_ids", Attribute::required(Type::set(Type::String)))
        .attr(
            "security_group_ids",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr(
            "endpoint_private_access",
            Attribute::optional(Type::Bool).default(Value::bool(false)),
        )
        .attr(
            "endpoint_public_access",
            Attribute::optional(Type::Bool).default(Value::bool(true)),
        )
        .attr(
            "public_access_cidrs",
            Attribute::optional_computed(Type::set(Type::String)),
        )
        .attr(
            "cluster_security_group_id",
            Attribute::computed(Type::String),
        )
        .attr("vpc_id", Attribute::computed(Type::String))
}

fn access_config_schema() -> Schema {
    Schema::new()
        .attr(
            "authentication_mode",
            Attribute::optional_computed(Type::String)
                .describe("CONFIG_MAP, API or API_AND_CONFIG_MAP"),
        )
        .attr(
            "bootstrap_cluster_creator_admin_permissions",
            Attribute::optional(Type::Bool).default(Value::bool(true)),
        )
}

fn ca_type() -> Type {
    Type::list(Type::object(vec![("data".to_string(), Type::String)]))
}

fn identity_type() -> Type {
    Type::list(Type::object(vec![(
        "oidc".to_string(),
        Type::list(Type::object(vec![("issuer".to_string(), Type::String)])),
    )]))
}

fn cluster_schema() -> Schema {
    tags_schema(
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("role_arn", Attribute::required(Type::String).force_new())
            .attr(
                "version",
                Attribute::optional_computed(Type::String)
                    .describe("Kubernetes minor version (1.31); an upgrade happens in place"),
            )
            .attr(
                "enabled_cluster_log_types",
                Attribute::optional(Type::set(Type::String)),
            )
            .attr("endpoint", Attribute::computed(Type::String))
            .attr("platform_version", Attribute::computed(Type::String))
            .attr("status", Attribute::computed(Type::String))
            .attr("created_at", Attribute::computed(Type::String))
            .attr("certificate_authority", Attribute::computed(ca_type()))
            .attr("identity", Attribute::computed(identity_type()))
            .block("vpc_config", single(vpc_config_schema(), 1, false))
            .block("access_config", single(access_config_schema(), 0, false))
            .block("timeouts", timeouts_block()),
    )
}

async fn describe(cx: &Ctx<'_>, name: &str) -> ProviderResult<Option<aws_sdk_eks::types::Cluster>> {
    match client(cx).describe_cluster().name(name).send().await {
        Ok(o) => Ok(o.cluster().cloned()),
        Err(e) if gone(&e) => Ok(None),
        Err(e) => Err(cx.err("DescribeCluster", &e)),
    }
}

fn status_of(c: &aws_sdk_eks::types::Cluster) -> &str {
    c.status().map(|s| s.as_str()).unwrap_or("")
}

/// The state of a described cluster; `current` supplies what AWS does not report
/// (bootstrap_cluster_creator_admin_permissions, timeouts).
fn cluster_state(cx: &Ctx<'_>, c: &aws_sdk_eks::types::Cluster, current: &Value) -> Value {
    let cur = Obj(current);
    let name = c.name().unwrap_or_default();
    let mut st = cx.state();
    st.set("id", s(name));
    st.set("name", s(name));
    st.set("arn", opt_s(c.arn()));
    st.set("role_arn", opt_s(c.role_arn()));
    st.set("version", opt_s(c.version()));
    st.set("endpoint", opt_s(c.endpoint()));
    st.set("platform_version", opt_s(c.platform_version()));
    st.set("status", s(status_of(c)));
    st.set("created_at", datetime(c.created_at()));
    let ca = c.certificate_authority().and_then(|x| x.data());
    st.set(
        "certificate_authority",
        Value::list(
            Type::object(vec![("data".to_string(), Type::String)]),
            vec![Value::object(vec![("data".into(), opt_s(ca))])],
        ),
    );
    let issuer = c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer());
    let oidc_t = Type::object(vec![("issuer".to_string(), Type::String)]);
    st.set(
        "identity",
        Value::list(
            Type::object(vec![("oidc".to_string(), Type::list(oidc_t.clone()))]),
            vec![Value::object(vec![(
                "oidc".into(),
                Value::list(
                    oidc_t,
                    vec![Value::object(vec![("issuer".into(), opt_s(issuer))])],
                ),
            )])],
        ),
    );
    let enabled: Vec<String> = c
        .logging()
        .map(|l| {
            l.cluster_logging()
                .iter()
                .filter(|x| x.enabled() == Some(true))
                .flat_map(|x| x.types().iter().map(|t| t.as_str().to_string()))
                .collect()
        })
        .unwrap_or_default();
    st.set(
        "enabled_cluster_log_types",
        if enabled.is_empty() && cur.get("enabled_cluster_log_types").is_none() {
            Value::null(Type::set(Type::String))
        } else {
            set_of_strings(enabled)
        },
    );
    if let Some(v) = c.resources_vpc_config() {
        let prior_vc = cur.block("vpc_config");
        let sgs: Vec<String> = v.security_group_ids().to_vec();
        let sg_val = if sgs.is_empty()
            && prior_vc.is_none_or(|p| Obj(p).get("security_group_ids").is_none())
        {
            Value::null(Type::set(Type::String))
        } else {
            set_of_strings(sgs)
        };
        let cidrs: Vec<String> = v.public_access_cidrs().to_vec();
        st.set(
            "vpc_config",
            Value::object(vec![
                ("subnet_ids".into(), set_of_strings(v.subnet_ids().to_vec())),
                ("security_group_ids".into(), sg_val),
                (
                    "endpoint_private_access".into(),
                    Value::bool(v.endpoint_private_access()),
                ),
                (
                    "endpoint_public_access".into(),
                    Value::bool(v.endpoint_public_access()),
                ),
                (
                    "public_access_cidrs".into(),
                    if cidrs.is_empty() {
                        // moto does not report the default; AWS does (0.0.0.0/0).
                        prior_vc
                            .and_then(|p| Obj(p).get("public_access_cidrs").cloned())
                            .unwrap_or_else(|| set_of_strings(vec!["0.0.0.0/0".to_string()]))
                    } else {
                        set_of_strings(cidrs)
                    },
                ),
                (
                    "cluster_security_group_id".into(),
                    opt_s(v.cluster_security_group_id()),
                ),
                ("vpc_id".into(), opt_s(v.vpc_id())),
            ]),
        );
    }
    let prior_ac = cur.block("access_config");
    let access = match c.access_config() {
        Some(a) => Value::object(vec![
            (
                "authentication_mode".into(),
                opt_s(a.authentication_mode().map(|m| m.as_str())),
            ),
            (
                "bootstrap_cluster_creator_admin_permissions".into(),
                Value::bool(
                    a.bootstrap_cluster_creator_admin_permissions()
                        .or_else(|| {
                            prior_ac.and_then(|p| {
                                Obj(p).bool("bootstrap_cluster_creator_admin_permissions")
                            })
                        })
                        .unwrap_or(true),
                ),
            ),
        ]),
        // An endpoint that does not report access configuration (moto): keep what we know.
        None => cur.raw("access_config"),
    };
    if !access.is_null() && access.is_known() {
        st.set("access_config", access);
    }
    st.set("timeouts", cur.raw("timeouts"));
    put_tags(cx, &mut st, c.tags(), current);
    st.build()
}

async fn read_cluster(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let o = Obj(current);
    let Some(name) = o.str("name").or_else(|| o.str("id")) else {
        return Ok(None);
    };
    match describe(cx, &name).await? {
        Some(c) if status_of(&c) != "DELETING" => Ok(Some(cluster_state(cx, &c, current))),
        _ => Ok(None),
    }
}

async fn wait_active(cx: &Ctx<'_>, name: &str, limit: Duration) -> ProviderResult<()> {
    super::wait_active(
        cx,
        &format!("EKS cluster {name}"),
        limit,
        "check the cluster role's trust policy and permissions, and that the subnets are in at least two availability zones",
        || describe(cx, name),
        |c| match c.status() {
            Some(ClusterStatus::Active) => Phase::Active,
            Some(ClusterStatus::Failed) => Phase::Failed(
                "FAILED".to_string(),
                issues(c.health().map(|h| h.issues()).unwrap_or_default(), |i| {
                    (i.code().map(|c| c.as_str()), i.message())
                }),
            ),
            _ => Phase::Pending,
        },
    )
    .await
}

fn logging(types: &[String]) -> Logging {
    let (on, off): (Vec<&str>, Vec<&str>) = LOG_TYPES
        .iter()
        .partition(|t| types.iter().any(|x| x == *t));
    let mut b = Logging::builder();
    if !on.is_empty() {
        b = b.cluster_logging(
            LogSetup::builder()
                .set_types(Some(on.iter().map(|t| LogType::from(*t)).collect()))
                .enabled(true)
                .build(),
        );
    }
    if !off.is_empty() {
        b = b.cluster_logging(
            LogSetup::builder()
                .set_types(Some(off.iter().map(|t| LogType::from(*t)).collect()))
                .enabled(false)
                .build(),
        );
    }
    b.build()
}

fn opt_list(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

/// The cluster of the planned name when this create made it (waited for until active).
async fn find_cluster(cx: &Ctx<'_>, planned: &Value) -> ProviderResult<Option<Value>> {
    let Some(name) = Obj(planned).str("name") else {
        return Ok(None);
    };
    let Some(c) = describe(cx, &name).await? else {
        return Ok(None);
    };
    if !ours(cx, c.client_request_token(), c.tags(), c.created_at()) {
        return Err(cx.not_ours("EKS cluster", &name, &name));
    }
    wait_active(cx, &name, timeout(planned, "create", CREATE)).await?;
    read_cluster(cx, planned).await
}

async fn create_cluster(cx: &Ctx<'_>, planned: &Value) -> ProviderResult<Value> {
    let p = Obj(planned);
    let name = p.str("name").unwrap_or_default();
    let vc = p.block("vpc_config").map(Obj);
    let mut req = client(cx)
        .create_cluster()
        .name(&name)
        .set_role_arn(p.str("role_arn"))
        .set_version(p.str("version"))
        .client_request_token(cx.token())
        .set_tags(hash_tags(&cx.create_tags(planned)))
        .resources_vpc_config(
            VpcConfigRequest::builder()
                .set_subnet_ids(vc.map(|v| v.str_list("subnet_ids")))
                .set_security_group_ids(vc.and_then(|v| opt_list(v.str_list("security_group_ids"))))
                .set_endpoint_private_access(vc.and_then(|v| v.bool("endpoint_private_access")))
                .set_endpoint_public_access(vc.and_then(|v| v.bool("endpoint_public_access")))
                .set_public_access_cidrs(
                    vc.and_then(|v| opt_list(v.str_list("public_access_cidrs"))),
                )
                .build(),
        );
    let logs = p.str_list("enabled_cluster_log_types");
    if !logs.is_empty() {
        req = req.logging(logging(&logs));
    }
    if let Some(ac) = p.block("access_config").map(Obj) {
        req = req.access_config(
            CreateAccessConfigRequest::builder()
                .set_authentication_mode(
                    ac.str("authentication_mode")
                        .map(|m| AuthenticationMode::from(m.as_str())),
                )
                .set_bootstrap_cluster_creator_admin_permissions(
                    ac.bool("bootstrap_cluster_creator_admin_permissions"),
                )
                .build(),
        );
    }
    let res = req.send().await;
    created(cx, res, "CreateCluster", find_cluster(cx, planned)).await?;
    cx.progress(&format!("EKS cluster {name} creating"));
    wait_active(cx, &name, timeout(planned, "create", CREATE)).await?;
    let v = read_cluster(cx, planned).await?;
    read_back(cx, v, &format!("EKS cluster {name}"), "after create")
}

async fn update_cluster(cx: &Ctx<'_>, prior: &Value, planned: &Value) -> ProviderResult<Value> {
    let (o, n) = (Obj(prior), Obj(planned));
    let name = o.str("name").unwrap_or_default();
    let limit = timeout(planned, "update", UPDATE);
    if let Some(v) = n.str("version") {
        if o.str("version").as_deref() != Some(v.as_str()) {
            client(cx)
                .update_cluster_version()
                .name(&name)
                .version(&v)
                .send()
                .await
                .map_err(|e| cx.err("UpdateClusterVersion", &e))?;
            cx.progress(&format!("EKS cluster {name} upgrading to {v}"));
            wait_active(cx, &name, limit).await?;
        }
    }
    let (ov, nv) = (o.block("vpc_config"), n.block("vpc_config"));
    let field_changed = |f: &str| match (ov, nv) {
        (Some(a), Some(b)) => !same(&Obj(a).raw(f), &Obj(b).raw(f)),
        _ => false,
    };
    if field_changed("endpoint_private_access")
        || field_changed("endpoint_public_access")
        || field_changed("public_access_cidrs")
    {
        let v = nv.map(Obj);
        client(cx)
            .update_cluster_config()
            .name(&name)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_endpoint_private_access(v.and_then(|v| v.bool("endpoint_private_access")))
                    .set_endpoint_public_access(v.and_then(|v| v.bool("endpoint_public_access")))
                    .set_public_access_cidrs(
                        v.and_then(|v| opt_list(v.str_list("public_access_cidrs"))),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| cx.err("UpdateClusterConfig", &e))?;
        wait_active(cx, &name, limit).await?;
    }
    if field_changed("subnet_ids") || field_changed("security_group_ids") {
        let v = nv.map(Obj);
        client(cx)
            .update_cluster_config()
            .name(&name)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(v.map(|v| v.str_list("subnet_ids")))
                    .set_security_group_ids(v.map(|v| v.str_list("security_group_ids")))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| cx.err("UpdateClusterConfig", &e))?;
        wait_active(cx, &name, limit).await?;
    }
    if !same(
        &o.raw("enabled_cluster_log_types"),
        &n.raw("enabled_cluster_log_types"),
    ) {
        client(cx)
            .update_cluster_config()
            .name(&name)
            .logging(logging(&n.str_list("enabled_cluster_log_types")))
            .send()
            .await
            .map_err(|e| cx.err("UpdateClusterConfig", &e))?;
        wait_active(cx, &name, limit).await?;
    }
    let mode = |v: &Obj<'_>| {
        v.block("access_config")
            .and_then(|a| Obj(a).str("authentication_mode"))
    };
    if let Some(m) = mode(&n) {
        if mode(&o).as_deref() != Some(m.as_str()) {
            client(cx)
                .update_cluster_config()
                .name(&name)
                .access_config(
                    UpdateAccessConfigRequest::builder()
                        .authentication_mode(AuthenticationMode::from(m.as_str()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| cx.err("UpdateClusterConfig", &e))?;
            wait_active(cx, &name, limit).await?;
        }
    }
    update_tags(cx, &o.str("arn").unwrap_or_default(), prior, planned).await?;
    let v = read_cluster(cx, planned).await?;
    read_back(cx, v, &format!("EKS cluster {name}"), "during update")
}

async fn delete_cluster(cx: &Ctx<'_>, prior: &Value) -> ProviderResult<()> {
    let o = Obj(prior);
    let Some(name) = o.str("name").or_else(|| o.str("id")) else {
        return Ok(());
    };
    match client(cx).delete_cluster().name(&name).send().await {
        Ok(_) => {}
        Err(e) if gone(&e) => return Ok(()),
        Err(e) => {
            return Err(cx.err("DeleteCluster", &e).hint(
                "an EKS cluster can only be deleted once its node groups, Fargate profiles and add-ons are gone",
            ))
        }
    }
    cx.progress(&format!("EKS cluster {name} deleting"));
    wait_deleted(
        cx,
        &format!("EKS cluster {name}"),
        timeout(prior, "delete", DELETE),
        || describe(cx, &name),
    )
    .await
}

pub struct Cluster;

impl Resource for Cluster {
    fn type_name(&self) -> &'static str {
        "aws_eks_cluster"
    }
    fn definition(&self) -> ResourceType {
        def(cluster_schema(), CREATE.as_secs(), DELETE.as_secs())
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        if let (Some(p), Some(c)) = (
            plan.prior_attr("access_config").cloned(),
            plan.config.get_attr("access_config").cloned(),
        ) {
            let b = |v: &Value| {
                Obj(v)
                    .bool("bootstrap_cluster_creator_admin_permissions")
                    .unwrap_or(true)
            };
            if !p.is_null() && !c.is_null() && c.is_wholly_known() && b(&p) != b(&c) {
                plan.replace("access_config.bootstrap_cluster_creator_admin_permissions");
            }
        }
        plan_single_block(plan, "vpc_config", false);
        plan_single_block(plan, "access_config", true);
        // A version written as "1.31" matches AWS's "1.31"; nothing to normalise. A downgrade is
        // impossible in place.
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_cluster(cx, current))
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(create_cluster(cx, planned))
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(update_cluster(cx, prior, planned))
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(delete_cluster(cx, prior))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Token
    }
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(find_cluster(cx, planned))
    }
}

/// The `aws_eks_cluster` data source: a cluster by name.
pub struct ClusterData;

impl DataSource for ClusterData {
    fn type_name(&self) -> &'static str {
        "aws_eks_cluster"
    }
    fn definition(&self) -> ResourceType {
        let vc = Type::list(vpc_config_schema().object_type());
        let ac = Type::list(access_config_schema().object_type());
        def(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("name", Attribute::required(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("role_arn", Attribute::computed(Type::String))
                .attr("version", Attribute::computed(Type::String))
                .attr("endpoint", Attribute::computed(Type::String))
                .attr("platform_version", Attribute::computed(Type::String))
                .attr("status", Attribute::computed(Type::String))
                .attr("created_at", Attribute::computed(Type::String))
                .attr(
                    "enabled_cluster_log_types",
                    Attribute::computed(Type::set(Type::String)),
                )
                .attr("certificate_authority", Attribute::computed(ca_type()))
                .attr("identity", Attribute::computed(identity_type()))
                .attr("vpc_config", Attribute::computed(vc))
                .attr("access_config", Attribute::computed(ac))
                .attr("tags", Attribute::computed(Type::map(Type::String))),
            60,
            60,
        )
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let name = Obj(config).str("name").unwrap_or_default();
            let Some(c) = describe(cx, &name).await? else {
                return Err(ProviderError::new(format!(
                    "{}: no EKS cluster named {name:?}",
                    cx.address()
                ))
                .detail("DescribeCluster: ResourceNotFoundException")
                .attribute("name")
                .hint("check the name and the region of the provider configuration"));
            };
            // Build the resource's state, then reshape its blocks as lists.
            let rschema = cluster_schema();
            let rcx = Ctx {
                schema: &rschema,
                ..*cx
            };
            let full = cluster_state(&rcx, &c, &Value::null_dynamic());
            let f = Obj(&full);
            let as_list = |name: &str, t: Type| match f.get(name) {
                Some(v) => Value::list(t, vec![v.clone()]),
                None => Value::empty_list(t),
            };
            let mut st = cx.state_from(config);
            for a in [
                "id",
                "arn",
                "role_arn",
                "version",
                "endpoint",
                "platform_version",
                "status",
                "created_at",
                "certificate_authority",
                "identity",
            ] {
                st.set(a, f.raw(a));
            }
            st.set(
                "enabled_cluster_log_types",
                f.get("enabled_cluster_log_types")
                    .cloned()
                    .unwrap_or_else(|| Value::set(Type::String, vec![])),
            );
            st.set(
                "vpc_config",
                as_list("vpc_config", vpc_config_schema().object_type()),
            );
            st.set(
                "access_config",
                as_list("access_config", access_config_schema().object_type()),
            );
            st.set(
                "tags",
                f.get("tags_all")
                    .cloned()
                    .unwrap_or_else(|| Value::map(Type::String, vec![])),
            );
            Ok(st.build())
        })
    }
}
