//! `aws_eks_node_group`: managed node groups (GPU AMI types, SPOT / ON_DEMAND, labels, taints).

use super::{
    client, def, gone, hash_tags, ids, issues, plan_single_block, put_tags, read_back, single,
    tags_schema, timeout, timeouts_block, update_tags, wait_deleted, Phase,
};
use super::{created, ours};
use crate::aws::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use crate::aws::value::{list_of_strings, map_value, opt_s, opt_str, s, same, set_of_strings, Obj};
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, NodegroupScalingConfig, NodegroupStatus, Taint, TaintEffect,
    UpdateLabelsPayload, UpdateTaintsPayload,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    Attribute, Block, BoxFuture, Nesting, ProviderResult, ResourceType, Schema,
};
use std::collections::BTreeMap;
use std::time::Duration;

const CREATE: Duration = Duration::from_secs(60 * 60);
const UPDATE: Duration = Duration::from_secs(60 * 60);
const DELETE: Duration = Duration::from_secs(60 * 60);

fn scaling_schema() -> Schema {
    Schema::new()
        .attr("desired_size", Attribute::required(Type::Number))
        .attr("max_size", Attribute::required(Type::Number))
        .attr("min_size", Attribute::required(Type::Number))
}

fn taint_schema() -> Schema {
    Schema::new()
        .attr("key", Attribute::required(Type::String))
        .attr("value", Attribute::optional(Type::String))
        .attr(
            "effect",
            Attribute::required(Type::String)
                .describe("NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE"),
        )
}

fn schema() -> Schema {
    tags_schema(
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("cluster_name", Attribute::required(Type::String).force_new())
            .attr("node_group_name", Attribute::optional_computed(Type::String).force_new())
            .attr("node_role_arn", Attribute::required(Type::String).force_new())
            .attr("subnet_ids", Attribute::required(Type::set(Type::String)).force_new())
            .attr(
                "instance_types",
                Attribute::optional_computed(Type::list(Type::String)).force_new(),
            )
            .attr(
                "ami_type",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("AL2_x86_64, AL2_x86_64_GPU, AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA, ..."),
            )
            .attr(
                "capacity_type",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("ON_DEMAND or SPOT"),
            )
            .attr("disk_size", Attribute::optional_computed(Type::Number).force_new())
            .attr("labels", Attribute::optional(Type::map(Type::String)))
            .attr("version", Attribute::optional_computed(Type::String))
            .attr("release_version", Attribute::optional_computed(Type::String))
            .attr("status", Attribute::computed(Type::String))
            .block("scaling_config", single(scaling_schema(), 1, false))
            .block(
                "taint",
                Block {
                    nesting: Nesting::Set,
                    schema: taint_schema(),
                    min_items: 0,
                    max_items: 50,
                    force_new: false,
                },
            )
            .block("timeouts", timeouts_block()),
    )
}

async fn describe(
    cx: &Ctx<'_>,
    cluster: &str,
    name: &str,
) -> ProviderResult<Option<aws_sdk_eks::types::Nodegroup>> {
    if cluster.is_empty() || name.is_empty() {
        return Ok(None);
    }
    let out = client(cx)
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .found(cx, "DescribeNodegroup", gone)?;
    Ok(out.and_then(|o| o.nodegroup().cloned()))
}

fn taint_value(key: &str, value: Option<&str>, effect: &str) -> Value {
    Value::object(vec![
        ("key".into(), s(key)),
        ("value".into(), opt_s(value)),
        ("effect".into(), s(effect)),
    ])
}

async fn read_ng(cx: &Ctx<'_>, current: &Value) -> ProviderResult<Option<Value>> {
    let (cluster, name) = ids(current, "node_group_name");
    let Some(g) = describe(cx, &cluster, &name).await? else {
        return Ok(None);
    };
    if g.status() == Some(&NodegroupStatus::Deleting) {
        return Ok(None);
    }
    let cur = Obj(current);
    let mut st = cx.state();
    st.set("id", s(format!("{cluster}:{name}")));
    st.set("arn", opt_s(g.nodegroup_arn()));
    st.set("cluster_name", s(&cluster));
    st.set("node_group_name", s(&name));
    st.set("node_role_arn", opt_s(g.node_role()));
    st.set("subnet_ids", set_of_strings(g.subnets().to_vec()));
    st.set(
        "instance_types",
        list_of_strings(g.instance_types().to_vec()),
    );
    st.set("ami_type", opt_s(g.ami_type().map(|x| x.as_str())));
    st.set(
        "capacity_type",
        opt_s(g.capacity_type().map(|x| x.as_str())),
    );
    st.set(
        "disk_size",
        g.disk_size()
            .map(|d| Value::int(i64::from(d)))
            .unwrap_or_else(|| Value::null(Type::Number)),
    );
    let labels: BTreeMap<String, String> = g
        .labels()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    st.set(
        "labels",
        if labels.is_empty() && cur.get("labels").is_none() {
            Value::null(Type::map(Type::String))
        } else {
            map_value(&labels)
        },
    );
    st.set("version", opt_s(g.version()));
    st.set("release_version", opt_s(g.release_version()));
    st.set("status", opt_s(g.status().map(|x| x.as_str())));
    if let Some(sc) = g.scaling_config() {
        let n = |x: Option<i32>| {
            x.map(|v| Value::int(i64::from(v)))
                .unwrap_or_else(|| Value::null(Type::Number))
        };
        st.set(
            "scaling_config",
            Value::object(vec![
                ("desired_size".into(), n(sc.desired_size())),
                ("max_size".into(), n(sc.max_size())),
                ("min_size".into(), n(sc.min_size())),
            ]),
        );
    }
    st.set(
        "taint",
        Value::set(
            taint_schema().object_type(),
            g.taints()
                .iter()
                .map(|t| {
                    taint_value(
                        t.key().unwrap_or_default(),
                        t.value(),
                        t.effect().map(|e| e.as_str()).unwrap_or_default(),
                    )
                })
                .collect(),
        ),
    );
    st.set("timeouts", cur.raw("timeouts"));
    put_tags(cx, &mut st, g.tags(), current);
    Ok(Some(st.build()))
}

fn to_i32(v: Option<i64>) -> Option<i32> {
    v.and_then(|x| i32::try_from(x).ok())
}

fn scaling(p: &Value) -> Option<NodegroupScalingConfig> {
    let sc = Obj(p).block("scaling_config").map(Obj)?;
    Some(
        NodegroupScalingConfig::builder()
            .set_desired_size(to_i32(sc.i64("desired_size")))
            .set_max_size(to_i32(sc.i64("max_size")))
            .set_min_size(to_i32(sc.i64("min_size")))
            .build(),
    )
}

fn taints(v: &Value) -> Vec<Taint> {
    Obj(v)
        .blocks("taint")
        .into_iter()
        .map(|t| {
            let t = Obj(t);
            Taint::builder()
                .set_key(t.str("key"))
                .set_value(t.str("value"))
                .set_effect(t.str("effect").map(|e| TaintEffect::from(e.as_str())))
                .build()
        })
        .collect()
}

async fn wait_active(
    cx: &Ctx<'_>,
    cluster: &str,
    name: &str,
    limit: Duration,
) -> ProviderResult<()> {
    super::wait_active(
        cx,
        &format!("node group {name}"),
        limit,
        "check the node role's policies (AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryReadOnly, AmazonEKS_CNI_Policy), the instance type's availability in the subnets' zones, and the EC2 quota for the instance family (GPU quotas start at 0)",
        || describe(cx, cluster, name),
        |g| match g.status() {
            Some(NodegroupStatus::Active) => Phase::Active,
            Some(s @ (NodegroupStatus::CreateFailed | NodegroupStatus::Degraded)) => Phase::Failed(
                s.as_str().to_string(),
                issues(g.health().map(|h| h.issues()).unwrap_or_default(), |i| {
                    (i.code().map(|c| c.as_str()), i.message())
                }),
            ),
            _ => Phase::Pending,
        },
    )
    .await
}

pub struct NodeGroup;

impl Resource for NodeGroup {
    fn type_name(&self) -> &'static str {
        "aws_eks_node_group"
    }
    fn definition(&self) -> ResourceType {
        def(schema(), CREATE.as_secs(), DELETE.as_secs())
    }
    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        plan_single_block(plan, "scaling_config", false);
        // id = cluster:name once both are known.
        if let (Some(c), Some(n)) = (
            opt_str(Some(&plan.get("cluster_name"))),
            opt_str(Some(&plan.get("node_group_name"))),
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
        Box::pin(read_ng(cx, current))
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let p = Obj(planned);
            let cluster = p.str("cluster_name").unwrap_or_default();
            let name = p.str("node_group_name").unwrap_or_else(|| {
                format!(
                    "terraform-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..20]
                )
            });
            let labels = p.str_map("labels");
            let t = taints(planned);
            let types = p.str_list("instance_types");
            let res = client(cx)
                .create_nodegroup()
                .cluster_name(&cluster)
                .nodegroup_name(&name)
                .set_node_role(p.str("node_role_arn"))
                .set_subnets(Some(p.str_list("subnet_ids")))
                .set_scaling_config(scaling(planned))
                .set_instance_types((!types.is_empty()).then_some(types))
                .set_ami_type(p.str("ami_type").map(|x| AmiTypes::from(x.as_str())))
                .set_capacity_type(
                    p.str("capacity_type")
                        .map(|x| CapacityTypes::from(x.as_str())),
                )
                .set_disk_size(to_i32(p.i64("disk_size")))
                .set_labels(hash_tags(&labels))
                .set_taints((!t.is_empty()).then_some(t))
                .set_version(p.str("version"))
                .set_release_version(p.str("release_version"))
                .set_tags(hash_tags(&cx.create_tags(planned)))
                .client_request_token(cx.token())
                .send()
                .await;
            created(
                cx,
                res,
                "CreateNodegroup",
                self.find_by_token(cx, planned, cx.token()),
            )
            .await?;
            cx.progress(&format!("node group {name} creating"));
            wait_active(cx, &cluster, &name, timeout(planned, "create", CREATE)).await?;
            let stub = cx
                .state_from(planned)
                .with("node_group_name", s(&name))
                .build();
            let v = read_ng(cx, &stub).await?;
            read_back(cx, v, &format!("node group {name}"), "after create")
        })
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (cluster, name) = ids(prior, "node_group_name");
            let (o, n) = (Obj(prior), Obj(planned));
            let limit = timeout(planned, "update", UPDATE);
            let (ol, nl) = (o.str_map("labels"), n.str_map("labels"));
            let (ot, nt) = (o.raw("taint"), n.raw("taint"));
            let sc_changed = !same(&o.raw("scaling_config"), &n.raw("scaling_config"));
            if ol != nl || !same(&ot, &nt) || sc_changed {
                let mut req = client(cx)
                    .update_nodegroup_config()
                    .cluster_name(&cluster)
                    .nodegroup_name(&name);
                if sc_changed {
                    req = req.set_scaling_config(scaling(planned));
                }
                if ol != nl {
                    let add: std::collections::HashMap<String, String> = nl
                        .iter()
                        .filter(|(k, v)| ol.get(*k) != Some(*v))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    let remove: Vec<String> = ol
                        .keys()
                        .filter(|k| !nl.contains_key(*k))
                        .cloned()
                        .collect();
                    req = req.labels(
                        UpdateLabelsPayload::builder()
                            .set_add_or_update_labels((!add.is_empty()).then_some(add))
                            .set_remove_labels((!remove.is_empty()).then_some(remove))
                            .build(),
                    );
                }
                if !same(&ot, &nt) {
                    let old = taints(prior);
                    let new = taints(planned);
                    let add: Vec<Taint> =
                        new.iter().filter(|t| !old.contains(t)).cloned().collect();
                    let remove: Vec<Taint> = old
                        .iter()
                        .filter(|t| {
                            !new.iter()
                                .any(|x| x.key() == t.key() && x.effect() == t.effect())
                        })
                        .cloned()
                        .collect();
                    req = req.taints(
                        UpdateTaintsPayload::builder()
                            .set_add_or_update_taints((!add.is_empty()).then_some(add))
                            .set_remove_taints((!remove.is_empty()).then_some(remove))
                            .build(),
                    );
                }
                req.send()
                    .await
                    .map_err(|e| cx.err("UpdateNodegroupConfig", &e))?;
                wait_active(cx, &cluster, &name, limit).await?;
            }
            let version_changed = |a: &str| n.str(a).is_some() && n.str(a) != o.str(a);
            if version_changed("version") || version_changed("release_version") {
                client(cx)
                    .update_nodegroup_version()
                    .cluster_name(&cluster)
                    .nodegroup_name(&name)
                    .set_version(n.str("version"))
                    .set_release_version(
                        n.str("release_version")
                            .filter(|_| version_changed("release_version")),
                    )
                    .send()
                    .await
                    .map_err(|e| cx.err("UpdateNodegroupVersion", &e))?;
                cx.progress(&format!("node group {name} rolling to the new version"));
                wait_active(cx, &cluster, &name, limit).await?;
            }
            update_tags(cx, &o.str("arn").unwrap_or_default(), prior, planned).await?;
            let v = read_ng(cx, planned).await?;
            read_back(cx, v, &format!("node group {name}"), "during update")
        })
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let (cluster, name) = ids(prior, "node_group_name");
            if client(cx)
                .delete_nodegroup()
                .cluster_name(&cluster)
                .nodegroup_name(&name)
                .send()
                .await
                .found(cx, "DeleteNodegroup", gone)?
                .is_none()
            {
                return Ok(());
            }
            cx.progress(&format!("node group {name} deleting"));
            wait_deleted(
                cx,
                &format!("node group {name}"),
                timeout(prior, "delete", DELETE),
                || describe(cx, &cluster, &name),
            )
            .await
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Token
    }
    /// The node group of the planned name in the planned cluster, when this create made it.
    fn find_by_token<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
        _token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let p = Obj(planned);
            let (Some(cluster), Some(name)) = (p.str("cluster_name"), p.str("node_group_name"))
            else {
                return Ok(None);
            };
            let Some(ng) = describe(cx, &cluster, &name).await? else {
                return Ok(None);
            };
            if !ours(cx, None, ng.tags(), ng.created_at()) {
                return Err(cx.not_ours("node group", &name, &format!("{cluster}:{name}")));
            }
            wait_active(cx, &cluster, &name, timeout(planned, "create", CREATE)).await?;
            read_ng(cx, planned).await
        })
    }
}
