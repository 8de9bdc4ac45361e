//! Route53 zones and records against moto, checked with boto3.
mod common;
use common::*;
use engine::lang::types::Type;
use engine::lang::value::Value;

#[tokio::test(flavor = "multi_thread")]
async fn route53_zone_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let t = "aws_route53_zone";
    let (a, b) = (
        format!("a{}.sakk.test", uniq()),
        format!("b{}.sakk.test", uniq()),
    );
    lifecycle(&ep, inst.as_ref(), Case {
        type_: t,
        create: cfg(t, &[("name", Value::string(a.as_str()))]),
        update: cfg(t, &[("name", Value::string(a.as_str())), ("comment", Value::string("kubeflow")), ("tags", tags(&[("team", "ml")])), ("force_destroy", Value::bool(true))]),
        replace: cfg(t, &[("name", Value::string(b.as_str())), ("comment", Value::string("kubeflow")), ("tags", tags(&[("team", "ml")])), ("force_destroy", Value::bool(true))]),
        count_py: "print(sum(1 for z in c('route53').list_hosted_zones()['HostedZones'] if z['Id'].split('/')[-1]=='{id}'))",
        check_update_py: "print(c('route53').get_hosted_zone(Id='{id}')['HostedZone']['Config']['Comment'])",
        expect_update: "kubeflow",
        drift_py: "c('route53').update_hosted_zone_comment(Id='{id}', Comment='by hand')",
        delete_py: "c('route53').delete_hosted_zone(Id='{id}')",
        import_id: |s| attr(s, "id"),
        import_ignore: &["force_destroy"],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn route53_zone_force_destroy_removes_records_and_name_with_dot_is_not_drift() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let t = "aws_route53_zone";
    let name = format!("fd{}.sakk.test", uniq());
    let (st, _) = apply(
        inst.as_ref(),
        t,
        None,
        &cfg(
            t,
            &[
                ("name", Value::string(name.as_str())),
                ("force_destroy", Value::bool(false)),
            ],
        ),
    )
    .await;
    let id = attr(&st, "id");
    // A trailing dot and upper case are the same zone.
    let st = assert_noop(
        inst.as_ref(),
        t,
        &st,
        &cfg(
            t,
            &[
                ("name", Value::string(format!("{}.", name.to_uppercase()))),
                ("force_destroy", Value::bool(false)),
            ],
        ),
    )
    .await;
    // Records made outside sakk (external-dns, cert-manager).
    boto(&ep, &format!("c('route53').change_resource_record_sets(HostedZoneId='{id}', ChangeBatch={{'Changes':[{{'Action':'CREATE','ResourceRecordSet':{{'Name':'x%d.{name}' % i,'Type':'A','TTL':60,'ResourceRecords':[{{'Value':'10.0.0.%d' % i}}]}}}} for i in range(3)]}})"));
    // Without force_destroy: a clear error.
    let err = inst
        .delete(t, &st, &op("aws_route53_zone.main"))
        .await
        .expect_err("not empty");
    assert!(err.detail.contains("HostedZoneNotEmpty"), "{err:?}");
    assert!(
        err.hint.as_deref().unwrap_or("").contains("force_destroy"),
        "{err:?}"
    );
    // With force_destroy (applied first, as Terraform requires): records go, then the zone.
    let c2 = cfg(
        t,
        &[
            ("name", Value::string(name.as_str())),
            ("force_destroy", Value::bool(true)),
        ],
    );
    let (st, replaced) = apply(inst.as_ref(), t, Some(&st), &c2).await;
    assert!(!replaced);
    inst.delete(t, &st, &op("aws_route53_zone.main"))
        .await
        .expect("force_destroy");
    assert_eq!(boto(&ep, &format!("print(sum(1 for z in c('route53').list_hosted_zones()['HostedZones'] if z['Id'].split('/')[-1]=='{id}'))")), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn route53_zone_create_is_idempotent_by_caller_reference() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let t = "aws_route53_zone";
    let name = format!("idem{}.sakk.test", uniq());
    let c = cfg(t, &[("name", Value::string(name.as_str()))]);
    let planned = inst
        .plan(engine::provider::PlanRequest {
            type_: t,
            prior: None,
            config: &c,
        })
        .expect("plan")
        .planned;
    let o = op("aws_route53_zone.main");
    let first = inst.create(t, &planned, &o).await.expect("create");
    // A crashed run re-applies with the same token: adopt, never a twin.
    let found = inst
        .find_by_token(t, &planned, &o.idempotency_token)
        .await
        .expect("find")
        .expect("adopted");
    assert_eq!(attr(&found, "id"), attr(&first, "id"));
    let again = inst
        .create(t, &planned, &o)
        .await
        .expect("re-create with the same token");
    assert_eq!(attr(&again, "id"), attr(&first, "id"));
    assert_eq!(boto(&ep, &format!("print(sum(1 for z in c('route53').list_hosted_zones()['HostedZones'] if z['Name'].rstrip('.')=='{name}'))")), "1");
    inst.delete(t, &first, &o).await.expect("delete");
}

async fn zone(ep: &str) -> (String, String) {
    let name = format!("r{}.sakk.test", uniq());
    let id = boto(ep, &format!("print(c('route53').create_hosted_zone(Name='{name}', CallerReference='{}')['HostedZone']['Id'].split('/')[-1])", uniq()));
    (id, name)
}

#[tokio::test(flavor = "multi_thread")]
async fn route53_record_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let t = "aws_route53_record";
    let (zid, zname) = zone(&ep).await;
    let rec = |name: &str, ttl: i64, ips: &[&str]| {
        cfg(
            t,
            &[
                ("zone_id", Value::string(zid.as_str())),
                ("name", Value::string(name)),
                ("type", Value::string("A")),
                ("ttl", Value::int(ttl)),
                ("records", Value::set(Type::String, strs(ips))),
            ],
        )
    };
    let count = "z,n,ty='{id}'.split('_')\nprint(sum(1 for r in c('route53').list_resource_record_sets(HostedZoneId=z)['ResourceRecordSets'] if r['Name'].rstrip('.')==(n if n.endswith('ZONE') else n+'.ZONE') and r['Type']==ty))".replace("ZONE", &zname);
    let check = "z,n,ty='{id}'.split('_')\nr=[r for r in c('route53').list_resource_record_sets(HostedZoneId=z)['ResourceRecordSets'] if r['Name'].rstrip('.')==n+'.ZONE' and r['Type']==ty][0]\nprint(r['TTL'], ' '.join(sorted(x['Value'] for x in r['ResourceRecords'])))".replace("ZONE", &zname);
    let drift = "z,n,ty='{id}'.split('_')\nc('route53').change_resource_record_sets(HostedZoneId=z, ChangeBatch={'Changes':[{'Action':'UPSERT','ResourceRecordSet':{'Name':n+'.ZONE','Type':ty,'TTL':60,'ResourceRecords':[{'Value':'192.0.2.66'}]}}]})".replace("ZONE", &zname);
    let delete = "z,n,ty='{id}'.split('_')\nr=[r for r in c('route53').list_resource_record_sets(HostedZoneId=z)['ResourceRecordSets'] if r['Name'].rstrip('.')==n+'.ZONE' and r['Type']==ty][0]\nc('route53').change_resource_record_sets(HostedZoneId=z, ChangeBatch={'Changes':[{'Action':'DELETE','ResourceRecordSet':r}]})".replace("ZONE", &zname);
    lifecycle(
        &ep,
        inst.as_ref(),
        Case {
            type_: t,
            create: rec("www", 300, &["10.0.0.1"]),
            update: rec("www", 60, &["10.0.0.1", "10.0.0.2"]),
            replace: rec("api", 60, &["10.0.0.1", "10.0.0.2"]),
            count_py: &count,
            check_update_py: &check,
            expect_update: "60 10.0.0.1 10.0.0.2",
            drift_py: &drift,
            delete_py: &delete,
            import_id: |s| attr(s, "id"),
            import_ignore: &[],
        },
    )
    .await;
    boto(&ep, &format!("c('route53').delete_hosted_zone(Id='{zid}')"));
}

#[tokio::test(flavor = "multi_thread")]
async fn route53_alias_record_and_batched_changes() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let t = "aws_route53_record";
    let (zid, zname) = zone(&ep).await;
    let alias = block(
        t,
        "alias",
        &[
            ("name", Value::string(format!("lb.{zname}"))),
            ("zone_id", Value::string(zid.as_str())),
            ("evaluate_target_health", Value::bool(false)),
        ],
    );
    // The alias target first, then the alias.
    let target = cfg(
        t,
        &[
            ("zone_id", Value::string(zid.as_str())),
            ("name", Value::string("lb")),
            ("type", Value::string("A")),
            ("ttl", Value::int(60)),
            ("records", Value::set(Type::String, strs(&["10.1.0.1"]))),
        ],
    );
    let (tgt, _) = apply(inst.as_ref(), t, None, &target).await;
    let ac = cfg(
        t,
        &[
            ("zone_id", Value::string(zid.as_str())),
            ("name", Value::string("kubeflow")),
            ("type", Value::string("A")),
            ("alias", Value::set(block_type(t, "alias"), vec![alias])),
        ],
    );
    let (al, _) = apply(inst.as_ref(), t, None, &ac).await;
    assert_eq!(boto(&ep, &format!("print([r['AliasTarget']['DNSName'].rstrip('.') for r in c('route53').list_resource_record_sets(HostedZoneId='{zid}')['ResourceRecordSets'] if r['Name'].startswith('kubeflow.')][0])")), format!("lb.{zname}"));
    let al = assert_noop(inst.as_ref(), t, &al, &ac).await;
    // Ten records created concurrently go out in few ChangeResourceRecordSets batches.
    let mut futs = Vec::new();
    let inst2 = inst.clone();
    for i in 0..10 {
        let c = cfg(
            t,
            &[
                ("zone_id", Value::string(zid.as_str())),
                ("name", Value::string(format!("tenant{i}"))),
                ("type", Value::string("CNAME")),
                ("ttl", Value::int(60)),
                (
                    "records",
                    Value::set(Type::String, strs(&["lb.example.com"])),
                ),
            ],
        );
        let inst = inst2.clone();
        futs.push(tokio::spawn(async move {
            apply(inst.as_ref(), "aws_route53_record", None, &c).await.0
        }));
    }
    let mut made = Vec::new();
    for f in futs {
        made.push(f.await.expect("join"));
    }
    assert_eq!(boto(&ep, &format!("print(sum(1 for r in c('route53').list_resource_record_sets(HostedZoneId='{zid}')['ResourceRecordSets'] if r['Name'].startswith('tenant')))")), "10");
    for m in made.iter().chain([&al, &tgt]) {
        inst.delete(t, m, &op("d")).await.expect("delete");
    }
    assert_eq!(boto(&ep, &format!("print(len(c('route53').list_resource_record_sets(HostedZoneId='{zid}')['ResourceRecordSets']))")), "2", "only SOA and NS left");
    boto(&ep, &format!("c('route53').delete_hosted_zone(Id='{zid}')"));
}

#[tokio::test(flavor = "multi_thread")]
async fn route53_zone_data_source_by_name_and_id() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let (zid, zname) = zone(&ep).await;
    let d = "aws_route53_zone";
    let by_name = inst
        .read_data(
            d,
            &cfg(d, &[("name", Value::string(format!("{zname}.")))]),
            &op("data.aws_route53_zone.main"),
        )
        .await
        .expect("by name");
    assert_eq!(attr(&by_name, "zone_id"), zid);
    let by_id = inst
        .read_data(
            d,
            &cfg(d, &[("zone_id", Value::string(zid.as_str()))]),
            &op("data.aws_route53_zone.main"),
        )
        .await
        .expect("by id");
    assert_eq!(attr(&by_id, "name"), zname);
    assert_eq!(by_id.get_attr("name_servers").and_then(Value::length), boto(&ep, &format!("print(len(c('route53').get_hosted_zone(Id='{zid}')['DelegationSet']['NameServers']))")).parse::<usize>().ok());
    let err = inst
        .read_data(
            d,
            &cfg(d, &[("name", Value::string("nope.sakk.test"))]),
            &op("data.aws_route53_zone.main"),
        )
        .await
        .expect_err("missing");
    assert!(
        err.summary.contains("data.aws_route53_zone.main"),
        "{err:?}"
    );
    boto(&ep, &format!("c('route53').delete_hosted_zone(Id='{zid}')"));
}
