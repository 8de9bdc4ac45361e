//! `aws_eks_access_entry`. moto does not serve the access-entry APIs: tests use recorded HTTP
//! exchanges.

use super::ours;
use super::{
    client, created, datetime, def, gone, hash_tags, ids, put_tags, read_back, tags_schema,
    update_tags,
};
use crate::aws::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use crate::aws::value::{opt_s, opt_str, s, set_of_strings, Obj};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderResult, ResourceType, Schema};

fn schema() -> Schema {
    tags_schema(
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("access_entry_arn", Attribute::computed(Type::String))
            .attr(
                "cluster_name",
                Attribute::required(Type::String).force_new(),
            )
            .attr(
                "principal_arn",
                Attribute::required(Type::String).force_new(),
            )
            .attr(
                "kubernetes_groups",
                Attribute::optional_computed(Type::set(Type::String)),
            )
            .attr(
                "type",
                Attribute::optional(Type::String)
                    .force_new()
                    .default(s("STANDARD"))
                    .describe("STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX"),
            )
            .attr("user_name", Attribute::optional_computed(Type::String))
            .attr("created_at", Attribute::computed(Type::String))
            .attr("modified_at", Attribute::computed(Type::String)),
    )
}

async fn read_entry(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let (cluster, principal) = ids(current, "principal_arn");
    if cluster.is_empty() || principal.is_empty() {
        return Ok(None);
    }
    let Some(out) = client(cx)
        .describe_access_entry()
        .cluster_name(&cluster)
        .principal_arn(&principal)
        .send()
        .await
        .found(cx, "DescribeAccessEntry", gone)?
    else {
        return Ok(None);
    };
    let Some(a) = out.access_entry() else {
        return Ok(None);
    };
    let mut st = cx.state();
    st.set("id", s(format!("{cluster}:{principal}")));
    st.set("access_entry_arn", opt_s(a.access_entry_arn()));
    st.set("cluster_name", s(&cluster));
    st.set("principal_arn", s(&principal));
    st.set(
        "kubernetes_groups",
        set_of_strings(a.kubernetes_groups().to_vec()),
    );
    st.set("type", opt_s(a.r#type()));
    st.set("user_name", opt_s(a.username()));
    st.set("created_at", datetime(a.created_at()));
    st.set("modified_at", datetime(a.modified_at()));
    put_tags(cx, &mut st, a.tags(), current);
    Ok(Some(st.build()))
}

pub struct AccessEntry;

impl Resource for AccessEntry {
    fn type_name(&self) -> &'static str {
        "aws_eks_access_entry"
    }
    fn definition(&self) -> ResourceType {
        def(schema(), 300, 300)
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        if let (Some(c), Some(p)) = (
            opt_str(Some(&plan.get("cluster_name"))),
            opt_str(Some(&plan.get("principal_arn"))),
        ) {
            plan.set("id", s(format!("{c}:{p}")));
        }
        Ok(())
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(read_entry(cx, current))
    }
    fn recovery(&self) -> Recovery {
        Recovery::Token
    }
    /// The entry of the planned principal in the planned cluster, when this create made it.
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let (cluster, principal) = ids(planned, "principal_arn");
            if cluster.is_empty() || principal.is_empty() {
                return Ok(None);
            }
            let r = client(cx)
                .describe_access_entry()
                .cluster_name(&cluster)
                .principal_arn(&principal)
                .send()
                .await;
            let Some(a) = r
                .found(cx, "DescribeAccessEntry", gone)?
                .and_then(|o| o.access_entry)
            else {
                return Ok(None);
            };
            if !ours(cx, None, a.tags(), a.created_at()) {
                return Err(cx.not_ours(
                    "access entry",
                    &principal,
                    &format!("{cluster}:{principal}"),
                ));
            }
            read_entry(cx, planned).await
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let (cluster, principal) = ids(planned, "principal_arn");
            let groups = p.str_list("kubernetes_groups");
            let res = client(cx)
                .create_access_entry()
                .cluster_name(&cluster)
                .principal_arn(&principal)
                .set_kubernetes_groups((!groups.is_empty()).then_some(groups))
                .set_username(p.str("user_name"))
                .set_type(p.str("type"))
                .client_request_token(cx.token())
                .set_tags(hash_tags(&cx.create_tags(planned)))
                .send()
                .await;
            let ours = self.find_by_token(cx, planned, cx.token());
            created(cx, res, "CreateAccessEntry", ours).await?;
            let v = read_entry(cx, planned).await?;
            read_back(cx, v, "access entry", "after create")
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
            let (cluster, principal) = ids(prior, "principal_arn");
            let groups_changed = o.str_list("kubernetes_groups") != n.str_list("kubernetes_groups");
            if groups_changed || o.str("user_name") != n.str("user_name") {
                client(cx)
                    .update_access_entry()
                    .cluster_name(&cluster)
                    .principal_arn(&principal)
                    .set_kubernetes_groups(Some(n.str_list("kubernetes_groups")))
                    .set_username(n.str("user_name"))
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateAccessEntry", &e))?;
            }
            update_tags(
                cx,
                &o.str("access_entry_arn").unwrap_or_default(),
                prior,
                planned,
            )
            .await?;
            let v = read_entry(cx, planned).await?;
            read_back(cx, v, "access entry", "during update")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let (cluster, principal) = ids(prior, "principal_arn");
            client(cx)
                .delete_access_entry()
                .cluster_name(&cluster)
                .principal_arn(&principal)
                .send()
                .await
                .gone_ok(cx, "DeleteAccessEntry", gone)
        })
    }
}
