//! EKS clusters and node groups against moto (boto3 checks each step), and the
//! `aws_eks_cluster` data source. Add-ons and access entries, which moto does not serve, are in
//! aws2_eks_replay.rs (recorded HTTP exchanges).

use crate::support::*;
use engine::lang::types::Type;
use engine::lang::value::Value;

const ROLE: &str = "arn:aws:iam::123456789012:role/eks-cluster";
const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/eks-nodes";

fn subnets() -> (String, String, String) {
    let out = py("e=c('ec2')\nv=e.create_vpc(CidrBlock='10.70.0.0/16')['Vpc']['VpcId']\na=e.create_subnet(VpcId=v, CidrBlock='10.70.1.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']\nb=e.create_subnet(VpcId=v, CidrBlock='10.70.2.0/24', AvailabilityZone='us-east-1b')['Subnet']['SubnetId']\nprint(v, a, b)");
    let parts: Vec<String> = out.split_whitespace().map(str::to_string).collect();
    assert_eq!(parts.len(), 3, "{out}");
    (parts[0].clone(), parts[1].clone(), parts[2].clone())
}

fn cluster_cfg(rt: &Rt, name: &str, a: &str, b: &str, extra: Vec<(&str, Value)>) -> Value {
    let vc = rt.block("vpc_config", vec![("subnet_ids", strs(&[a, b]))]);
    let mut attrs = vec![
        ("name", s(name)),
        ("role_arn", s(ROLE)),
        ("version", s("1.31")),
        ("vpc_config", vc),
    ];
    attrs.extend(extra);
    rt.cfg(attrs)
}

fn cluster_exists(name: &str) -> bool {
    py(&format!(
        "print('{name}' in c('eks').list_clusters()['clusters'])"
    )) == "True"
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_cluster_lifecycle() {
    if moto().is_none() {
        return;
    }
    let (_vpc, a, b) = subnets();
    let rt = Rt::new("aws_eks_cluster", &[("owner", "platform")]).await;
    let name = unique("cl");
    let timeouts = rt.block("timeouts", vec![("create", s("20m")), ("delete", s("10m"))]);
    let cfg = cluster_cfg(
        &rt,
        &name,
        &a,
        &b,
        vec![
            ("tags", map(&[("team", "ml")])),
            ("timeouts", timeouts.clone()),
        ],
    );
    let v = rt.create(&cfg).await;
    assert_eq!(attr(&v, "id"), name);
    assert_eq!(attr(&v, "status"), "ACTIVE");
    assert!(!attr(&v, "endpoint").is_empty());
    let progress = rt.progress.lock().map(|g| g.clone()).unwrap_or_default();
    assert!(
        progress.iter().any(|m| m.contains("creating")),
        "progress reported: {progress:?}"
    );
    let token = py(&format!(
        "print(c('eks').describe_cluster(name='{name}')['cluster'].get('clientRequestToken'))"
    ));
    assert_eq!(
        token, rt.op.idempotency_token,
        "clientRequestToken is the apply's idempotency token"
    );
    assert_eq!(
        py(&format!(
            "print(c('eks').describe_cluster(name='{name}')['cluster']['tags'].get('owner'))"
        )),
        "platform"
    );
    let v = rt.assert_noop(&v, &cfg).await;

    // In place: tags and control-plane logging.
    let cfg2 = cluster_cfg(
        &rt,
        &name,
        &a,
        &b,
        vec![
            ("tags", map(&[("team", "ml-platform")])),
            ("enabled_cluster_log_types", strs(&["api", "audit"])),
            ("timeouts", timeouts.clone()),
        ],
    );
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(
        py(&format!(
            "print(c('eks').describe_cluster(name='{name}')['cluster']['tags'].get('team'))"
        )),
        "ml-platform"
    );
    assert_eq!(
        py(&format!("l=c('eks').describe_cluster(name='{name}')['cluster']['logging']['clusterLogging']\nprint(sorted(t for x in l if x.get('enabled') for t in x['types']))")),
        "['api', 'audit']"
    );

    // Drift: a tag changed out of band.
    let arn = attr(&v, "arn");
    py(&format!(
        "c('eks').tag_resource(resourceArn='{arn}', tags={{'team': 'hand'}})"
    ));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;

    // Import by name.
    rt.import(&name, &cfg2, &v).await;

    // Replacement: a new cluster role.
    let mut cfg3 = cluster_cfg(
        &rt,
        &name,
        &a,
        &b,
        vec![
            ("tags", map(&[("team", "ml-platform")])),
            ("enabled_cluster_log_types", strs(&["api", "audit"])),
            ("timeouts", timeouts.clone()),
        ],
    );
    cfg3 = replace_attr(
        &cfg3,
        "role_arn",
        s("arn:aws:iam::123456789012:role/eks-cluster-2"),
    );
    let v2 = rt.replace(&v, &cfg3, "role_arn").await;
    assert_eq!(
        py(&format!(
            "print(c('eks').describe_cluster(name='{name}')['cluster']['roleArn'])"
        )),
        "arn:aws:iam::123456789012:role/eks-cluster-2"
    );

    // Out-of-band deletion.
    py(&format!("c('eks').delete_cluster(name='{name}')"));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    // A create cut off after AWS accepted it is adopted by its token, not created twice.
    let token = "tok-adopt-1";
    py(&format!(
        "c('eks').create_cluster(name='{name}', roleArn='{ROLE}', resourcesVpcConfig={{'subnetIds':['{a}','{b}']}}, clientRequestToken='{token}')"
    ));
    let planned = rt.plan(None, &cfg).planned;
    let adopted = match rt
        .inst
        .find_by_token("aws_eks_cluster", &planned, token)
        .await
    {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    assert!(adopted.is_some_and(|v| attr(&v, "name") == name));
    let other = rt
        .inst
        .find_by_token("aws_eks_cluster", &planned, "another-token")
        .await;
    // Not adopted: the name is taken by a cluster that create did not make (the plan stops
    // with the import command instead of creating a clash).
    assert!(
        matches!(&other, Err(e) if e.summary.contains("nothing says the interrupted create made it")
            && e.hint.as_deref().is_some_and(|h| h.contains("sakk import"))),
        "a cluster made by another token is not adopted: {other:?}"
    );

    // Destroy: waits for the deletion, leaves nothing.
    let state = match rt
        .read(&rt.cfg(vec![("name", s(&name)), ("id", s(&name))]))
        .await
    {
        Some(v) => v,
        None => panic!("adopted cluster not readable"),
    };
    rt.delete(&state).await;
    assert!(!cluster_exists(&name));
}

fn replace_attr(v: &Value, name: &str, new: Value) -> Value {
    let attrs: Vec<(String, Value)> = v
        .entries()
        .map(|m| {
            m.iter()
                .map(|(k, x)| (k.clone(), if k == name { new.clone() } else { x.clone() }))
                .collect()
        })
        .unwrap_or_default();
    Value::object(attrs)
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_cluster_errors_name_code_address_and_hint() {
    if moto().is_none() {
        return;
    }
    let rt = Rt::new("aws_eks_node_group", &[]).await;
    let cfg = rt.cfg(vec![
        ("cluster_name", s("no-such-cluster")),
        ("node_group_name", s("ng")),
        ("node_role_arn", s(NODE_ROLE)),
        ("subnet_ids", strs(&["subnet-1"])),
        (
            "scaling_config",
            rt.block(
                "scaling_config",
                vec![
                    ("desired_size", Value::int(1)),
                    ("max_size", Value::int(1)),
                    ("min_size", Value::int(1)),
                ],
            ),
        ),
    ]);
    let planned = rt.plan(None, &cfg).planned;
    let err = match rt.inst.create("aws_eks_node_group", &planned, &rt.op).await {
        Ok(_) => panic!("created a node group in a missing cluster"),
        Err(e) => e,
    };
    let text = format!("{} {} {:?}", err.summary, err.detail, err.hint);
    assert!(text.contains("ResourceNotFoundException"), "{text}");
    assert!(text.contains("aws_eks_node_group.test"), "{text}");
    assert!(err.hint.is_some());
    assert!(
        !text.contains("AWS_SECRET") && !text.contains("test:test"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_node_group_lifecycle() {
    if moto().is_none() {
        return;
    }
    let (_vpc, a, b) = subnets();
    let crt = Rt::new("aws_eks_cluster", &[]).await;
    let cname = unique("ngc");
    let cl = crt.create(&cluster_cfg(&crt, &cname, &a, &b, vec![])).await;

    let rt = Rt::new("aws_eks_node_group", &[]).await;
    let taint_ty = rt.schema.blocks["taint"].schema.object_type();
    let sc = |d: i64, mx: i64, mn: i64| {
        rt.block(
            "scaling_config",
            vec![
                ("desired_size", Value::int(d)),
                ("max_size", Value::int(mx)),
                ("min_size", Value::int(mn)),
            ],
        )
    };
    let taint = |k: &str, v: &str, e: &str| {
        rt.block(
            "taint",
            vec![("key", s(k)), ("value", s(v)), ("effect", s(e))],
        )
    };
    let cfg_with = |scale: Value, labels: Value, taints: Vec<Value>, types: &[&str]| {
        rt.cfg(vec![
            ("cluster_name", s(&cname)),
            ("node_group_name", s("gpu")),
            ("node_role_arn", s(NODE_ROLE)),
            ("subnet_ids", strs(&[&a, &b])),
            ("instance_types", list(types)),
            ("ami_type", s("AL2_x86_64_GPU")),
            ("capacity_type", s("SPOT")),
            ("scaling_config", scale),
            ("labels", labels),
            ("taint", Value::set(taint_ty.clone(), taints)),
            ("tags", map(&[("team", "ml")])),
        ])
    };
    let cfg = cfg_with(
        sc(1, 3, 0),
        map(&[("accelerator", "nvidia")]),
        vec![taint("nvidia.com/gpu", "true", "NO_SCHEDULE")],
        &["g5.xlarge"],
    );
    let v = rt.create(&cfg).await;
    assert_eq!(attr(&v, "id"), format!("{cname}:gpu"));
    let ng = |q: &str| {
        py(&format!("n=c('eks').describe_nodegroup(clusterName='{cname}', nodegroupName='gpu')['nodegroup']\nprint({q})"))
    };
    assert_eq!(
        ng("n['amiType'], n['capacityType'], n['instanceTypes']"),
        "AL2_x86_64_GPU SPOT ['g5.xlarge']"
    );
    assert_eq!(
        ng("n['labels'], [(t['key'], t['effect']) for t in n['taints']]"),
        "{'accelerator': 'nvidia'} [('nvidia.com/gpu', 'NO_SCHEDULE')]"
    );
    let v = rt.assert_noop(&v, &cfg).await;

    // In place: scaling, labels, taints, tags.
    let cfg2 = cfg_with(
        sc(2, 4, 1),
        map(&[("accelerator", "nvidia"), ("pool", "training")]),
        vec![taint("dedicated", "ml", "NO_EXECUTE")],
        &["g5.xlarge"],
    );
    let v = rt.update(&v, &cfg2).await;
    assert_eq!(ng("n['scalingConfig']['desiredSize'], n['scalingConfig']['maxSize'], n['scalingConfig']['minSize']"), "2 4 1");
    assert_eq!(
        ng("sorted(n['labels'].items()), [(t['key'], t['effect']) for t in n['taints']]"),
        "[('accelerator', 'nvidia'), ('pool', 'training')] [('dedicated', 'NO_EXECUTE')]"
    );

    // Drift: labels changed out of band.
    py(&format!("c('eks').update_nodegroup_config(clusterName='{cname}', nodegroupName='gpu', labels={{'removeLabels':['pool']}})"));
    rt.plan_change(&v, &cfg2).await;
    let v = rt.update(&v, &cfg2).await;

    rt.import(&format!("{cname}:gpu"), &cfg2, &v).await;

    // Replacement: another instance type.
    let cfg3 = cfg_with(
        sc(2, 4, 1),
        map(&[("accelerator", "nvidia"), ("pool", "training")]),
        vec![taint("dedicated", "ml", "NO_EXECUTE")],
        &["p4d.24xlarge"],
    );
    let v2 = rt.replace(&v, &cfg3, "instance_types").await;
    assert_eq!(ng("n['instanceTypes']"), "['p4d.24xlarge']");

    py(&format!(
        "c('eks').delete_nodegroup(clusterName='{cname}', nodegroupName='gpu')"
    ));
    rt.assert_gone_plans_create(&v2, &cfg3).await;

    let v3 = rt.create(&cfg3).await;
    rt.delete(&v3).await;
    assert_eq!(
        py(&format!(
            "print(c('eks').list_nodegroups(clusterName='{cname}')['nodegroups'])"
        )),
        "[]"
    );

    // The data source reads the cluster.
    let drt = Rt::new("aws_eks_cluster", &[]).await;
    let dschema = match aws_data_schema("aws_eks_cluster") {
        Some(s) => s,
        None => panic!("no data source aws_eks_cluster"),
    };
    let dcfg = obj(&dschema, vec![("name", s(&cname))]);
    let d = match drt.inst.read_data("aws_eks_cluster", &dcfg, &drt.op).await {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(attr(&d, "arn"), attr(&cl, "arn"));
    assert_eq!(
        attr(&d, "endpoint"),
        py(&format!(
            "print(c('eks').describe_cluster(name='{cname}')['cluster']['endpoint'])"
        ))
    );
    assert!(d
        .get_attr("vpc_config")
        .and_then(Value::elements)
        .is_some_and(|e| e.len() == 1));
    assert_eq!(d.ty(), dschema.object_type());
    let _ = Type::String;

    crt.delete(&cl).await;
    assert!(!cluster_exists(&cname));
}

fn aws_data_schema(t: &str) -> Option<engine::provider::Schema> {
    use engine::provider::Provider;
    aws().data_types().get(t).map(|x| x.schema.clone())
}
