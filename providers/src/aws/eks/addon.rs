//! `aws_eks_addon`. moto does not serve the add-on APIs: tests use recorded HTTP exchanges.

use super::ours;
use super::{
    client, created, datetime, def, gone, hash_tags, ids, issues, put_tags, read_back, tags_schema,
    timeout, timeouts_block, update_tags, wait_deleted, Phase,
};
use crate::aws::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use crate::aws::value::{json_equivalent, opt_s, opt_str, s, Obj};
use aws_sdk_eks::types::{AddonStatus, ResolveConflicts};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderResult, ResourceType, Schema};
use std::time::Duration;

const CREATE: Duration = Duration::from_secs(20 * 60);
const DELETE: Duration = Duration::from_secs(40 * 60);

fn schema() -> Schema {
    tags_schema(
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr(
                "cluster_name",
                Attribute::required(Type::String).force_new(),
            )
            .attr("addon_name", Attribute::required(Type::String).force_new())
            .attr("addon_version", Attribute::optional_computed(Type::String))
            .attr(
                "service_account_role_arn",
                Attribute::optional(Type::String),
            )
            .attr(
                "configuration_values",
                Attribute::optional_computed(Type::String),
            )
            .attr(
                "resolve_conflicts_on_create",
                Attribute::optional(Type::String),
            )
            .attr(
                "resolve_conflicts_on_update",
                Attribute::optional(Type::String),
            )
            .attr("created_at", Attribute::computed(Type::String))
            .attr("modified_at", Attribute::computed(Type::String))
            .block("timeouts", timeouts_block()),
    )
}

async fn describe(
    cx: &Ctx<'_>,
    cluster: &str,
    name: &str,
) -> ProviderResult<Option<aws_sdk_eks::types::Addon>> {
    if cluster.is_empty() || name.is_empty() {
        return Ok(None);
    }
    let out = client(cx)
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
        .found(cx, "DescribeAddon", gone)?;
    Ok(out.and_then(|o| o.addon().cloned()))
}

async fn read_addon(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let (cluster, name) = ids(current, "addon_name");
    let Some(a) = describe(cx, &cluster, &name).await? else {
        return Ok(None);
    };
    if a.status() == Some(&AddonStatus::Deleting) {
        return Ok(None);
    }
    let cur = Obj(current);
    let mut st = cx.state();
    st.set("id", s(format!("{cluster}:{name}")));
    st.set("arn", opt_s(a.addon_arn()));
    st.set("cluster_name", s(&cluster));
    st.set("addon_name", s(&name));
    st.set("addon_version", opt_s(a.addon_version()));
    st.set(
        "service_account_role_arn",
        opt_s(a.service_account_role_arn()),
    );
    // The same JSON in another layout is no change.
    let cv = a
        .configuration_values()
        .map(|v| match cur.str("configuration_values") {
            Some(p) if json_equivalent(&p, v) => p,
            _ => v.to_string(),
        });
    st.set("configuration_values", opt_s(cv));
    st.set(
        "resolve_conflicts_on_create",
        cur.raw("resolve_conflicts_on_create"),
    );
    st.set(
        "resolve_conflicts_on_update",
        cur.raw("resolve_conflicts_on_update"),
    );
    st.set("created_at", datetime(a.created_at()));
    st.set("modified_at", datetime(a.modified_at()));
    st.set("timeouts", cur.raw("timeouts"));
    put_tags(cx, &mut st, a.tags(), current);
    Ok(Some(st.build()))
}

async fn wait_active(
    cx: &Ctx<'_>,
    cluster: &str,
    name: &str,
    limit: Duration,
) -> ProviderResult<()> {
    super::wait_active(
        cx,
        &format!("add-on {name}"),
        limit,
        "check that the cluster has nodes to run the add-on, the service account role, and resolve_conflicts_on_create/update (OVERWRITE replaces self-managed settings)",
        || describe(cx, cluster, name),
        |a| match a.status() {
            Some(AddonStatus::Active) => Phase::Active,
            Some(
                s @ (AddonStatus::CreateFailed | AddonStatus::UpdateFailed | AddonStatus::Degraded),
            ) => Phase::Failed(
                s.as_str().to_string(),
                issues(a.health().map(|h| h.issues()).unwrap_or_default(), |i| {
                    (i.code().map(|c| c.as_str()), i.message())
                }),
            ),
            _ => Phase::Pending,
        },
    )
    .await
}

pub struct Addon;

impl Resource for Addon {
    fn type_name(&self) -> &'static str {
        "aws_eks_addon"
    }
    fn definition(&self) -> ResourceType {
        def(schema(), CREATE.as_secs(), DELETE.as_secs())
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan.keep_prior_if("configuration_values", |a, b| {
            match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => json_equivalent(x, y),
                _ => false,
            }
        });
        if let (Some(c), Some(n)) = (
            opt_str(Some(&plan.get("cluster_name"))),
            opt_str(Some(&plan.get("addon_name"))),
        ) {
            plan.set("id", s(format!("{c}:{n}")));
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_addon(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Token
    }
    /// The add-on of the planned name in the planned cluster, when this create made it.
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let (cluster, name) = ids(planned, "addon_name");
            let Some(a) = describe(cx, &cluster, &name).await? else {
                return Ok(None);
            };
            if !ours(cx, None, a.tags(), a.created_at()) {
                return Err(cx.not_ours("add-on", &name, &format!("{cluster}:{name}")));
            }
            wait_active(cx, &cluster, &name, timeout(planned, "create", CREATE)).await?;
            read_addon(cx, planned).await
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let (cluster, name) = ids(planned, "addon_name");
            let res = client(cx)
                .create_addon()
                .cluster_name(&cluster)
                .addon_name(&name)
                .set_addon_version(p.str("addon_version"))
                .set_service_account_role_arn(p.str("service_account_role_arn"))
                .set_configuration_values(p.str("configuration_values"))
                .set_resolve_conflicts(
                    p.str("resolve_conflicts_on_create")
                        .map(|r| ResolveConflicts::from(r.as_str())),
                )
                .client_request_token(cx.token())
                .set_tags(hash_tags(&cx.create_tags(planned)))
                .send()
                .await;
            created(
                cx,
                res,
                "CreateAddon",
                self.find_by_token(cx, planned, cx.token()),
            )
            .await?;
            cx.progress(&format!("add-on {name} creating"));
            wait_active(cx, &cluster, &name, timeout(planned, "create", CREATE)).await?;
            let v = read_addon(cx, planned).await?;
            read_back(cx, v, &format!("add-on {name}"), "after create")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (o, n) = (Obj(prior), Obj(planned));
            let (cluster, name) = ids(prior, "addon_name");
            let changed = |a: &str| o.str(a) != n.str(a);
            if changed("addon_version")
                || changed("service_account_role_arn")
                || changed("configuration_values")
            {
                client(cx)
                    .update_addon()
                    .cluster_name(&cluster)
                    .addon_name(&name)
                    .set_addon_version(n.str("addon_version"))
                    .service_account_role_arn(n.str("service_account_role_arn").unwrap_or_default())
                    .set_configuration_values(n.str("configuration_values"))
                    .set_resolve_conflicts(
                        n.str("resolve_conflicts_on_update")
                            .map(|r| ResolveConflicts::from(r.as_str())),
                    )
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateAddon", &e))?;
                cx.progress(&format!("add-on {name} updating"));
                wait_active(cx, &cluster, &name, timeout(planned, "update", CREATE)).await?;
            }
            update_tags(cx, &o.str("arn").unwrap_or_default(), prior, planned).await?;
            let v = read_addon(cx, planned).await?;
            read_back(cx, v, &format!("add-on {name}"), "during update")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let (cluster, name) = ids(prior, "addon_name");
            if client(cx)
                .delete_addon()
                .cluster_name(&cluster)
                .addon_name(&name)
                .send()
                .await
                .found(cx, "DeleteAddon", gone)?
                .is_none()
            {
                return Ok(());
            }
            wait_deleted(
                cx,
                &format!("add-on {name}"),
                timeout(prior, "delete", DELETE),
                || describe(cx, &cluster, &name),
            )
            .await
        })
    }
}
