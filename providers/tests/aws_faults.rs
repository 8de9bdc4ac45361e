//! Fault injection: a loopback proxy in front of moto answers a share of requests with HTTP 500,
//! with throttling errors, or drops the connection (before the request reaches moto, or after
//! moto acted and before the answer arrives). Creates, re-plans and destroys must still
//! converge, with no duplicate resources (counted with boto3 directly against moto).
mod common;
use common::faulty_proxy::{self, Faults};
use common::*;
use engine::lang::value::Value;
use engine::provider::ProviderInstance;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread")]
async fn operations_converge_through_faults_without_duplicates() {
    let Some(ep) = moto() else { return };
    let proxy = faulty_proxy::start(
        &ep,
        Faults {
            http_500: 8,
            throttle: 8,
            drop_before: 5,
            drop_after: 5,
        },
        42,
    )
    .await;
    let inst: Arc<dyn ProviderInstance> = instance_with(&proxy.url, &[], Some(30)).await;
    let run = uniq();
    let zone_name = format!("faults{run}.sakk.test");

    let mut configs: Vec<(&str, Value)> = Vec::new();
    for i in 0..3 {
        configs.push((
            "aws_s3_bucket",
            cfg(
                "aws_s3_bucket",
                &[
                    ("bucket", Value::string(format!("sakk-f{i}-{run}"))),
                    ("tags", tags(&[("run", &run)])),
                ],
            ),
        ));
        configs.push(("aws_iam_role", cfg("aws_iam_role", &[("name", Value::string(format!("sakk-f{i}-{run}"))), ("assume_role_policy", Value::string(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#))])));
        configs.push((
            "aws_dynamodb_table",
            cfg(
                "aws_dynamodb_table",
                &[
                    ("name", Value::string(format!("sakk-f{i}-{run}"))),
                    ("billing_mode", Value::string("PAY_PER_REQUEST")),
                    ("hash_key", Value::string("id")),
                    (
                        "attribute",
                        Value::set(
                            block_type("aws_dynamodb_table", "attribute"),
                            vec![block(
                                "aws_dynamodb_table",
                                "attribute",
                                &[("name", Value::string("id")), ("type", Value::string("S"))],
                            )],
                        ),
                    ),
                ],
            ),
        ));
        configs.push(("aws_iam_policy", cfg("aws_iam_policy", &[("name", Value::string(format!("sakk-f{i}-{run}"))), ("policy", Value::string(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#))])));
    }
    configs.push((
        "aws_route53_zone",
        cfg(
            "aws_route53_zone",
            &[
                ("name", Value::string(zone_name.as_str())),
                ("force_destroy", Value::bool(true)),
            ],
        ),
    ));

    // Create everything concurrently, as the executor would.
    let mut handles = Vec::new();
    for (t, c) in configs.clone() {
        let inst = inst.clone();
        handles.push(tokio::spawn(async move {
            (t, apply(inst.as_ref(), t, None, &c).await.0)
        }));
    }
    let mut states = Vec::new();
    for h in handles {
        states.push(h.await.expect("create task"));
    }
    // Records in the zone, through the same faults.
    let zid = states
        .iter()
        .find(|(t, _)| *t == "aws_route53_zone")
        .map(|(_, s)| attr(s, "id"))
        .expect("zone");
    for i in 0..3 {
        let c = cfg(
            "aws_route53_record",
            &[
                ("zone_id", Value::string(zid.as_str())),
                ("name", Value::string(format!("r{i}"))),
                ("type", Value::string("A")),
                ("ttl", Value::int(60)),
                (
                    "records",
                    Value::set(engine::lang::types::Type::String, strs(&["10.0.0.1"])),
                ),
            ],
        );
        let s = apply(inst.as_ref(), "aws_route53_record", None, &c).await.0;
        states.push(("aws_route53_record", s));
    }
    let after_create = proxy.stats.summary();

    // Exactly one of each, seen by boto3 straight against moto.
    let counts = boto(&ep, &format!(
        "run='{run}'\n\
         s3=sum(1 for b in c('s3').list_buckets()['Buckets'] if b['Name'].endswith(run))\n\
         iam=sum(1 for r in c('iam').list_roles()['Roles'] if r['RoleName'].endswith(run))\n\
         ddb=sum(1 for t in c('dynamodb').list_tables()['TableNames'] if t.endswith(run))\n\
         pol=sum(1 for p in c('iam').list_policies(Scope='Local')['Policies'] if p['PolicyName'].endswith(run))\n\
         zones=[z for z in c('route53').list_hosted_zones()['HostedZones'] if z['Name'].rstrip('.')=='{zone_name}']\n\
         recs=sum(1 for r in c('route53').list_resource_record_sets(HostedZoneId=zones[0]['Id'])['ResourceRecordSets'] if r['Type']=='A')\n\
         print(s3, iam, ddb, pol, len(zones), recs)"
    ));
    assert_eq!(
        counts, "3 3 3 3 1 3",
        "duplicates or missing objects after create ({after_create})"
    );

    // Re-plans through the faults are no-ops.
    for ((t, s), (_, c)) in states.iter().zip(configs.iter()) {
        assert_noop(inst.as_ref(), t, s, c).await;
    }

    // Destroy everything through the faults (records first, as the graph orders them).
    for (t, s) in states.iter().rev() {
        inst.delete(t, s, &op(&format!("{t}.destroy")))
            .await
            .unwrap_or_else(|e| panic!("destroy {t}: {e}"));
    }
    let counts = boto(&ep, &format!(
        "run='{run}'\n\
         s3=sum(1 for b in c('s3').list_buckets()['Buckets'] if b['Name'].endswith(run))\n\
         iam=sum(1 for r in c('iam').list_roles()['Roles'] if r['RoleName'].endswith(run))\n\
         ddb=sum(1 for t in c('dynamodb').list_tables()['TableNames'] if t.endswith(run))\n\
         pol=sum(1 for p in c('iam').list_policies(Scope='Local')['Policies'] if p['PolicyName'].endswith(run))\n\
         zones=sum(1 for z in c('route53').list_hosted_zones()['HostedZones'] if z['Name'].rstrip('.')=='{zone_name}')\n\
         print(s3, iam, ddb, pol, zones)"
    ));
    assert_eq!(counts, "0 0 0 0 0", "objects left after destroy");
    let total = proxy.stats.summary();
    eprintln!("fault injection: after create: {after_create}; total: {total}");
    assert!(
        proxy.stats.faults() > 10,
        "too few faults injected: {total}"
    );
}

/// Creates that AWS does not make idempotent (CreateVpc, CreateSubnet, CreateSecurityGroup,
/// CreateRouteTable, CreateUserPool, CreateUserPoolClient, CreateGroup) through the same faults,
/// responses dropped after moto acted included: each is sent once per attempt and looked up by
/// its intent after a failure, so every configuration object is exactly one AWS object.
#[tokio::test(flavor = "multi_thread")]
async fn non_idempotent_creates_through_faults_make_no_twins() {
    let Some(ep) = moto() else { return };
    let proxy = faulty_proxy::start(
        &ep,
        Faults {
            http_500: 6,
            throttle: 6,
            drop_before: 5,
            drop_after: 15,
        },
        7,
    )
    .await;
    let inst: Arc<dyn ProviderInstance> = instance_with(&proxy.url, &[], Some(30)).await;
    let run = uniq();
    let s = |x: &str| Value::string(x);
    let mut tasks = Vec::new();
    for i in 0..3 {
        let inst = inst.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let vpc = cfg(
                "aws_vpc",
                &[
                    ("cidr_block", s(&format!("10.{}.0.0/16", 60 + i))),
                    ("tags", tags(&[("run", &run)])),
                ],
            );
            let vpc = apply(inst.as_ref(), "aws_vpc", None, &vpc).await.0;
            let vpc_id = attr(&vpc, "id");
            let mut out = vec![("aws_vpc", vpc)];
            let deps = [
                (
                    "aws_subnet",
                    cfg(
                        "aws_subnet",
                        &[
                            ("vpc_id", s(&vpc_id)),
                            ("cidr_block", s(&format!("10.{}.1.0/24", 60 + i))),
                            ("tags", tags(&[("run", &run)])),
                        ],
                    ),
                ),
                (
                    "aws_security_group",
                    cfg(
                        "aws_security_group",
                        &[
                            ("vpc_id", s(&vpc_id)),
                            ("name", s(&format!("sg-{i}-{run}"))),
                            ("tags", tags(&[("run", &run)])),
                        ],
                    ),
                ),
                (
                    "aws_route_table",
                    cfg(
                        "aws_route_table",
                        &[("vpc_id", s(&vpc_id)), ("tags", tags(&[("run", &run)]))],
                    ),
                ),
            ];
            for (t, c) in deps {
                out.push((t, apply(inst.as_ref(), t, None, &c).await.0));
            }
            out
        }));
    }
    let pool = cfg(
        "aws_cognito_user_pool",
        &[("name", s(&format!("pool-{run}")))],
    );
    let pool = apply(inst.as_ref(), "aws_cognito_user_pool", None, &pool)
        .await
        .0;
    let pool_id = attr(&pool, "id");
    let mut states = vec![("aws_cognito_user_pool", pool)];
    for i in 0..3 {
        for (t, name) in [
            ("aws_cognito_user_pool_client", format!("client-{i}")),
            ("aws_cognito_user_group", format!("group-{i}")),
        ] {
            let c = cfg(t, &[("user_pool_id", s(&pool_id)), ("name", s(&name))]);
            states.push((t, apply(inst.as_ref(), t, None, &c).await.0));
        }
    }
    for t in tasks {
        states.extend(t.await.expect("create task"));
    }
    let stats = proxy.stats.summary();
    let counts = boto(&ep, &format!(
        "e=c('ec2'); f=[{{'Name':'tag:run','Values':['{run}']}}]\n\
         vpcs=len(e.describe_vpcs(Filters=f)['Vpcs'])\n\
         subnets=len(e.describe_subnets(Filters=f)['Subnets'])\n\
         sgs=len([g for g in e.describe_security_groups()['SecurityGroups'] if g['GroupName'].endswith('{run}')])\n\
         rts=len(e.describe_route_tables(Filters=f)['RouteTables'])\n\
         cg=c('cognito-idp')\n\
         pools=len([p for p in cg.list_user_pools(MaxResults=60)['UserPools'] if p['Name']=='pool-{run}'])\n\
         clients=len(cg.list_user_pool_clients(UserPoolId='{pool_id}', MaxResults=60)['UserPoolClients'])\n\
         groups=len(cg.list_groups(UserPoolId='{pool_id}')['Groups'])\n\
         print(vpcs, subnets, sgs, rts, pools, clients, groups)"
    ));
    assert_eq!(
        counts, "3 3 3 3 1 3 3",
        "twins or missing objects ({stats})"
    );
    assert!(
        proxy
            .stats
            .dropped_after
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0,
        "no response was dropped after moto acted: {stats}"
    );
    for (t, st) in states.iter().rev() {
        inst.delete(t, st, &op(&format!("{t}.destroy")))
            .await
            .unwrap_or_else(|e| panic!("destroy {t}: {e}"));
    }
    eprintln!(
        "fault injection (non-idempotent creates): {}",
        proxy.stats.summary()
    );
}
