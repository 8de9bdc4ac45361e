//! The platform sequence at the provider level (the engine's executor is not wired to the AWS
//! provider yet): VPC -> subnets -> internet gateway, route table, route, associations, NAT ->
//! security group -> IAM roles (+ policy attachments) -> EKS cluster -> GPU node group; a Route53
//! zone with records pointing at the cluster; a Cognito pool with a client, domain, groups, users
//! and memberships. Apply in dependency order (each configuration built from the states it
//! depends on, as the engine would), refresh and re-plan everything clean, destroy in reverse,
//! and check with boto3 that nothing is left.

use crate::support::*;
use engine::lang::value::Value;
use engine::provider::{PlanRequest, Provider, ProviderInstance};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Applied {
    address: String,
    type_: String,
    config: Value,
    planned: Value,
    token: String,
    state: Value,
}

struct Run {
    inst: Arc<dyn ProviderInstance>,
    applied: Vec<Applied>,
    schemas: BTreeMap<String, engine::provider::Schema>,
}

impl Run {
    fn schema(&self, t: &str) -> &engine::provider::Schema {
        self.schemas.get(t).unwrap_or_else(|| panic!("no type {t}"))
    }
    fn cfg(&self, t: &str, attrs: Vec<(&str, Value)>) -> Value {
        obj(self.schema(t), attrs)
    }
    fn block(&self, t: &str, b: &str, attrs: Vec<(&str, Value)>) -> Value {
        obj(&self.schema(t).blocks[b].schema, attrs)
    }
    async fn apply(&mut self, address: &str, config: Value) -> Value {
        let t = address.split('.').next().unwrap_or_default().to_string();
        let p = self
            .inst
            .plan(PlanRequest {
                type_: &t,
                prior: None,
                config: &config,
            })
            .unwrap_or_else(|e| panic!("plan {address}: {e}"));
        let (op, _) = op(address);
        let state = self
            .inst
            .create(&t, &p.planned, &op)
            .await
            .unwrap_or_else(|e| panic!("create {address}: {e} ({:?})", e.hint));
        self.applied.push(Applied {
            address: address.into(),
            type_: t,
            config,
            planned: p.planned.clone(),
            token: op.idempotency_token.clone(),
            state: state.clone(),
        });
        state
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn platform_sequence_applies_replans_clean_and_destroys_clean() {
    if moto().is_none() {
        return;
    }
    let inst = instance(&[("platform", "sakk")]).await;
    let p = aws();
    let schemas = p
        .resource_types()
        .iter()
        .map(|(k, v)| (k.clone(), v.schema.clone()))
        .collect();
    let mut r = Run {
        inst,
        applied: vec![],
        schemas,
    };
    let n = unique("seq");

    // Network.
    let vpc = r
        .apply(
            "aws_vpc.main",
            r.cfg(
                "aws_vpc",
                vec![
                    ("cidr_block", s("10.90.0.0/16")),
                    ("enable_dns_hostnames", Value::bool(true)),
                    ("tags", map(&[("Name", &n)])),
                ],
            ),
        )
        .await;
    let vpc_id = attr(&vpc, "id");
    let mut subnets = vec![];
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let sn = r
            .apply(
                &format!("aws_subnet.private[{i}]"),
                r.cfg(
                    "aws_subnet",
                    vec![
                        ("vpc_id", s(&vpc_id)),
                        ("cidr_block", s(&format!("10.90.{i}.0/24"))),
                        ("availability_zone", s(az)),
                        ("tags", map(&[("kubernetes.io/role/internal-elb", "1")])),
                    ],
                ),
            )
            .await;
        subnets.push(attr(&sn, "id"));
    }
    let public = r
        .apply(
            "aws_subnet.public",
            r.cfg(
                "aws_subnet",
                vec![
                    ("vpc_id", s(&vpc_id)),
                    ("cidr_block", s("10.90.100.0/24")),
                    ("availability_zone", s("us-east-1a")),
                    ("map_public_ip_on_launch", Value::bool(true)),
                ],
            ),
        )
        .await;
    let igw = r
        .apply(
            "aws_internet_gateway.main",
            r.cfg("aws_internet_gateway", vec![("vpc_id", s(&vpc_id))]),
        )
        .await;
    let eip = r.apply("aws_eip.nat", r.cfg("aws_eip", vec![])).await;
    let nat = r
        .apply(
            "aws_nat_gateway.main",
            r.cfg(
                "aws_nat_gateway",
                vec![
                    ("subnet_id", s(&attr(&public, "id"))),
                    ("allocation_id", s(&attr(&eip, "id"))),
                ],
            ),
        )
        .await;
    let rt_public = r
        .apply(
            "aws_route_table.public",
            r.cfg("aws_route_table", vec![("vpc_id", s(&vpc_id))]),
        )
        .await;
    let rt_private = r
        .apply(
            "aws_route_table.private",
            r.cfg("aws_route_table", vec![("vpc_id", s(&vpc_id))]),
        )
        .await;
    r.apply(
        "aws_route.internet",
        r.cfg(
            "aws_route",
            vec![
                ("route_table_id", s(&attr(&rt_public, "id"))),
                ("destination_cidr_block", s("0.0.0.0/0")),
                ("gateway_id", s(&attr(&igw, "id"))),
            ],
        ),
    )
    .await;
    r.apply(
        "aws_route.nat",
        r.cfg(
            "aws_route",
            vec![
                ("route_table_id", s(&attr(&rt_private, "id"))),
                ("destination_cidr_block", s("0.0.0.0/0")),
                ("nat_gateway_id", s(&attr(&nat, "id"))),
            ],
        ),
    )
    .await;
    r.apply(
        "aws_route_table_association.public",
        r.cfg(
            "aws_route_table_association",
            vec![
                ("subnet_id", s(&attr(&public, "id"))),
                ("route_table_id", s(&attr(&rt_public, "id"))),
            ],
        ),
    )
    .await;
    for (i, sn) in subnets.clone().iter().enumerate() {
        r.apply(
            &format!("aws_route_table_association.private[{i}]"),
            r.cfg(
                "aws_route_table_association",
                vec![
                    ("subnet_id", s(sn)),
                    ("route_table_id", s(&attr(&rt_private, "id"))),
                ],
            ),
        )
        .await;
    }
    let ing_ty = r.schema("aws_security_group").blocks["ingress"]
        .schema
        .object_type();
    let https = r.block(
        "aws_security_group",
        "ingress",
        vec![
            ("protocol", s("tcp")),
            ("from_port", Value::int(443)),
            ("to_port", Value::int(443)),
            ("cidr_blocks", list(&["10.90.0.0/16"])),
        ],
    );
    let sg = r
        .apply(
            "aws_security_group.cluster",
            r.cfg(
                "aws_security_group",
                vec![
                    ("name", s(&format!("{n}-cluster"))),
                    ("vpc_id", s(&vpc_id)),
                    ("ingress", Value::set(ing_ty, vec![https])),
                ],
            ),
        )
        .await;

    // IAM roles.
    let trust = |svc: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{svc}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    };
    let cluster_role = r
        .apply(
            "aws_iam_role.cluster",
            r.cfg(
                "aws_iam_role",
                vec![
                    ("name", s(&format!("{n}-cluster"))),
                    ("assume_role_policy", s(&trust("eks.amazonaws.com"))),
                ],
            ),
        )
        .await;
    let node_role = r
        .apply(
            "aws_iam_role.nodes",
            r.cfg(
                "aws_iam_role",
                vec![
                    ("name", s(&format!("{n}-nodes"))),
                    ("assume_role_policy", s(&trust("ec2.amazonaws.com"))),
                ],
            ),
        )
        .await;
    // moto does not load AWS-managed policies by default: customer-managed stand-ins.
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:Describe*","ec2:Describe*"],"Resource":"*"}]}"#;
    for (i, (role, pol)) in [
        (&cluster_role, "EKSClusterPolicy"),
        (&node_role, "EKSWorkerNodePolicy"),
    ]
    .iter()
    .enumerate()
    {
        let policy = r
            .apply(
                &format!("aws_iam_policy.p[{i}]"),
                r.cfg(
                    "aws_iam_policy",
                    vec![("name", s(&format!("{n}-{pol}"))), ("policy", s(doc))],
                ),
            )
            .await;
        let role_name = attr(role, "name");
        r.apply(
            &format!("aws_iam_role_policy_attachment.a[{i}]"),
            r.cfg(
                "aws_iam_role_policy_attachment",
                vec![
                    ("role", s(&role_name)),
                    ("policy_arn", s(&attr(&policy, "arn"))),
                ],
            ),
        )
        .await;
    }

    // EKS.
    let vc = r.block(
        "aws_eks_cluster",
        "vpc_config",
        vec![
            ("subnet_ids", strs(&[&subnets[0], &subnets[1]])),
            ("security_group_ids", strs(&[&attr(&sg, "id")])),
        ],
    );
    let cluster = r
        .apply(
            "aws_eks_cluster.main",
            r.cfg(
                "aws_eks_cluster",
                vec![
                    ("name", s(&n)),
                    ("role_arn", s(&attr(&cluster_role, "arn"))),
                    ("version", s("1.31")),
                    ("vpc_config", vc),
                ],
            ),
        )
        .await;
    let scaling = r.block(
        "aws_eks_node_group",
        "scaling_config",
        vec![
            ("desired_size", Value::int(1)),
            ("max_size", Value::int(2)),
            ("min_size", Value::int(0)),
        ],
    );
    r.apply(
        "aws_eks_node_group.gpu",
        r.cfg(
            "aws_eks_node_group",
            vec![
                ("cluster_name", s(&attr(&cluster, "name"))),
                ("node_group_name", s("gpu")),
                ("node_role_arn", s(&attr(&node_role, "arn"))),
                ("subnet_ids", strs(&[&subnets[0], &subnets[1]])),
                ("ami_type", s("AL2_x86_64_GPU")),
                ("capacity_type", s("SPOT")),
                ("instance_types", list(&["g5.xlarge"])),
                ("scaling_config", scaling),
            ],
        ),
    )
    .await;

    // DNS.
    let zone_name = format!("{n}.example.com");
    let zone = r
        .apply(
            "aws_route53_zone.main",
            r.cfg("aws_route53_zone", vec![("name", s(&zone_name))]),
        )
        .await;
    let zone_id = attr(&zone, "zone_id");
    r.apply(
        "aws_route53_record.kubeflow",
        r.cfg(
            "aws_route53_record",
            vec![
                ("zone_id", s(&zone_id)),
                ("name", s(&format!("kubeflow.{zone_name}"))),
                ("type", s("CNAME")),
                ("ttl", Value::int(300)),
                (
                    "records",
                    strs(&[&attr(&cluster, "endpoint").replace("https://", "")]),
                ),
            ],
        ),
    )
    .await;
    r.apply(
        "aws_route53_record.argocd",
        r.cfg(
            "aws_route53_record",
            vec![
                ("zone_id", s(&zone_id)),
                ("name", s(&format!("argocd.{zone_name}"))),
                ("type", s("A")),
                ("ttl", Value::int(60)),
                ("records", strs(&["10.90.0.10"])),
            ],
        ),
    )
    .await;

    // Cognito.
    let pool = r
        .apply(
            "aws_cognito_user_pool.main",
            r.cfg(
                "aws_cognito_user_pool",
                vec![
                    ("name", s(&n)),
                    ("username_attributes", strs(&["email"])),
                    ("auto_verified_attributes", strs(&["email"])),
                ],
            ),
        )
        .await;
    let pool_id = attr(&pool, "id");
    r.apply(
        "aws_cognito_user_pool_client.kubeflow",
        r.cfg(
            "aws_cognito_user_pool_client",
            vec![
                ("user_pool_id", s(&pool_id)),
                ("name", s("kubeflow")),
                ("generate_secret", Value::bool(true)),
                (
                    "callback_urls",
                    strs(&[&format!("https://kubeflow.{zone_name}/oauth2/idpresponse")]),
                ),
                ("allowed_oauth_flows", strs(&["code"])),
                ("allowed_oauth_scopes", strs(&["openid", "email"])),
                ("allowed_oauth_flows_user_pool_client", Value::bool(true)),
                ("supported_identity_providers", strs(&["COGNITO"])),
            ],
        ),
    )
    .await;
    r.apply(
        "aws_cognito_user_pool_client.argocd",
        r.cfg(
            "aws_cognito_user_pool_client",
            vec![
                ("user_pool_id", s(&pool_id)),
                ("name", s("argocd")),
                ("generate_secret", Value::bool(true)),
                (
                    "callback_urls",
                    strs(&[&format!("https://argocd.{zone_name}/auth/callback")]),
                ),
                ("allowed_oauth_flows", strs(&["code"])),
                ("allowed_oauth_scopes", strs(&["openid"])),
                ("allowed_oauth_flows_user_pool_client", Value::bool(true)),
                ("supported_identity_providers", strs(&["COGNITO"])),
            ],
        ),
    )
    .await;
    r.apply(
        "aws_cognito_user_pool_domain.main",
        r.cfg(
            "aws_cognito_user_pool_domain",
            vec![
                ("domain", s(&format!("auth-{n}"))),
                ("user_pool_id", s(&pool_id)),
            ],
        ),
    )
    .await;
    for g in ["admins", "users"] {
        r.apply(
            &format!("aws_cognito_user_group.{g}"),
            r.cfg(
                "aws_cognito_user_group",
                vec![("user_pool_id", s(&pool_id)), ("name", s(g))],
            ),
        )
        .await;
    }
    for (u, g) in [
        ("alice@example.com", "admins"),
        ("bob@example.com", "users"),
    ] {
        let user = r
            .apply(
                &format!("aws_cognito_user.{g}"),
                r.cfg(
                    "aws_cognito_user",
                    vec![
                        ("user_pool_id", s(&pool_id)),
                        ("username", s(u)),
                        ("attributes", map(&[("email", u)])),
                        ("temporary_password", s("Tmp-Passw0rd!x")),
                        ("message_action", s("SUPPRESS")),
                    ],
                ),
            )
            .await;
        r.apply(
            &format!("aws_cognito_user_in_group.{g}"),
            r.cfg(
                "aws_cognito_user_in_group",
                vec![
                    ("user_pool_id", s(&pool_id)),
                    ("group_name", s(g)),
                    ("username", s(&attr(&user, "username"))),
                ],
            ),
        )
        .await;
    }

    // Re-plan clean: refresh every instance, plan it against its configuration.
    let (op0, _) = op("replan");
    for a in &r.applied {
        let now = r
            .inst
            .read(&a.type_, &a.state, &op0)
            .await
            .unwrap_or_else(|e| panic!("refresh {}: {e}", a.address))
            .unwrap_or_else(|| panic!("{} gone", a.address));
        let p = r
            .inst
            .plan(PlanRequest {
                type_: &a.type_,
                prior: Some(&now),
                config: &a.config,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let d = diff(&now, &p.planned);
        assert!(
            d.is_empty() && p.requires_replace.is_empty(),
            "{}: re-plan not clean: {d:?}",
            a.address
        );
    }
    assert_eq!(
        py(&format!(
            "print(c('eks').describe_cluster(name='{n}')['cluster']['status'])"
        )),
        "ACTIVE"
    );
    assert_eq!(py(&format!("print(c('eks').describe_nodegroup(clusterName='{n}', nodegroupName='gpu')['nodegroup']['amiType'])")), "AL2_x86_64_GPU");

    // A create cut off after AWS acted (sakk killed, the response lost) is found again by its
    // token, for every type: the state it finds is the object the create made. A later create
    // (another token, drawn an hour on) finds nothing, or is told the object is not its own.
    let mut checked = 0;
    for a in &r.applied {
        assert!(
            r.inst.adopts_by_token(&a.type_),
            "{}: no intent recovery",
            a.type_
        );
        let found = r
            .inst
            .find_by_token(&a.type_, &a.planned, &a.token)
            .await
            .unwrap_or_else(|e| panic!("find_by_token {}: {e} ({:?})", a.address, e.hint));
        let idempotent = matches!(
            a.type_.as_str(),
            "aws_iam_role_policy_attachment" | "aws_cognito_user_in_group"
        );
        match found {
            Some(v) => assert_eq!(attr(&v, "id"), attr(&a.state, "id"), "{}", a.address),
            None => assert!(idempotent, "{}: the cut-off create is not found", a.address),
        }
        let later = later_token(&a.token);
        match r.inst.find_by_token(&a.type_, &a.planned, &later).await {
            Ok(None) => {}
            Err(e) => assert!(
                e.summary
                    .contains("nothing says the interrupted create made it"),
                "{}: {e}",
                a.address
            ),
            Ok(Some(v)) => {
                // Only what identifies itself by its settings alone (a route to the planned
                // target, a record of the planned content, a subnet's one association, a
                // domain of the planned pool; a pool client where the endpoint reports no
                // creation date, as moto) is the same object whoever asks.
                assert!(
                    matches!(
                        a.type_.as_str(),
                        "aws_route"
                            | "aws_route53_record"
                            | "aws_cognito_user_pool_client"
                            | "aws_route_table_association"
                            | "aws_cognito_user_pool_domain"
                    ),
                    "{}: adopted by another create's token: {}",
                    a.address,
                    attr(&v, "id")
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, r.applied.len());

    // Destroy in reverse order; nothing is left.
    for a in r.applied.iter().rev() {
        let (op, _) = op(&a.address);
        r.inst
            .delete(&a.type_, &a.state, &op)
            .await
            .unwrap_or_else(|e| panic!("delete {}: {e} ({:?})", a.address, e.hint));
        assert!(
            r.inst
                .read(&a.type_, &a.state, &op)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none(),
            "{} still there",
            a.address
        );
    }
    let left = py(&format!(
        "e=c('ec2')\nleft=[]\nleft+=e.describe_vpcs(Filters=[{{'Name':'vpc-id','Values':['{vpc_id}']}}])['Vpcs']\nleft+=e.describe_subnets(Filters=[{{'Name':'vpc-id','Values':['{vpc_id}']}}])['Subnets']\nleft+=['eks' for x in c('eks').list_clusters()['clusters'] if x=='{n}']\nleft+=[r for r in c('iam').list_roles()['Roles'] if r['RoleName'].startswith('{n}')]\nleft+=[z for z in c('route53').list_hosted_zones()['HostedZones'] if z['Name'].startswith('{zone_name}')]\nleft+=[p for p in c('cognito-idp').list_user_pools(MaxResults=60)['UserPools'] if p['Id']=='{pool_id}']\nprint(len(left))"
    ));
    assert_eq!(left, "0", "objects left behind after destroy");
}

/// A token of the engine's form (`sakk-<secs>-<hash>`) drawn an hour after `token`.
fn later_token(token: &str) -> String {
    let secs = engine::provider::token_time(token)
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("sakk-{:x}-later", secs + 3600)
}
