//! aws_dynamodb_table against moto, checked with boto3.
mod common;
use common::*;
use engine::lang::value::Value;

fn attrs(t: &str, items: &[(&str, &str)]) -> Value {
    Value::set(
        block_type(t, "attribute"),
        items
            .iter()
            .map(|(n, ty)| {
                block(
                    t,
                    "attribute",
                    &[("name", Value::string(*n)), ("type", Value::string(*ty))],
                )
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_table_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance_with(&ep, &[("owner", "sakk")], None).await;
    let t = "aws_dynamodb_table";
    let (a, b) = (format!("sakk-a-{}", uniq()), format!("sakk-b-{}", uniq()));
    let base = |name: &str, bm: &str, extra: Vec<(&str, Value)>| {
        let mut v: Vec<(&str, Value)> = vec![
            ("name", Value::string(name)),
            ("billing_mode", Value::string(bm)),
            ("hash_key", Value::string("LockID")),
            ("attribute", attrs(t, &[("LockID", "S")])),
            ("tags", tags(&[("team", "ml")])),
        ];
        v.extend(extra);
        cfg(t, &v)
    };
    let ttl = block(
        t,
        "ttl",
        &[
            ("attribute_name", Value::string("expires")),
            ("enabled", Value::bool(true)),
        ],
    );
    let pitr = block(
        t,
        "point_in_time_recovery",
        &[("enabled", Value::bool(true))],
    );
    lifecycle(&ep, inst.as_ref(), Case {
        type_: t,
        create: base(&a, "PAY_PER_REQUEST", vec![]),
        update: base(&a, "PROVISIONED", vec![("read_capacity", Value::int(5)), ("write_capacity", Value::int(5)), ("ttl", ttl.clone()), ("point_in_time_recovery", pitr.clone())]),
        replace: base(&b, "PROVISIONED", vec![("read_capacity", Value::int(5)), ("write_capacity", Value::int(5)), ("ttl", ttl), ("point_in_time_recovery", pitr)]),
        count_py: "print(sum(1 for n in c('dynamodb').list_tables()['TableNames'] if n=='{id}'))",
        check_update_py: "d=c('dynamodb')\nt=d.describe_table(TableName='{id}')['Table']\nttl=d.describe_time_to_live(TableName='{id}')['TimeToLiveDescription']['TimeToLiveStatus']\npitr=d.describe_continuous_backups(TableName='{id}')['ContinuousBackupsDescription']['PointInTimeRecoveryDescription']['PointInTimeRecoveryStatus']\nprint(t['ProvisionedThroughput']['ReadCapacityUnits'], ttl, pitr)",
        expect_update: "5 ENABLED ENABLED",
        drift_py: "c('dynamodb').update_table(TableName='{id}', ProvisionedThroughput={'ReadCapacityUnits':9,'WriteCapacityUnits':5})",
        delete_py: "c('dynamodb').delete_table(TableName='{id}')",
        import_id: |s| attr(s, "id"),
        import_ignore: &[],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_plan_rejects_key_without_attribute() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let t = "aws_dynamodb_table";
    let c = cfg(
        t,
        &[
            ("name", Value::string("x")),
            ("hash_key", Value::string("id")),
            ("attribute", attrs(t, &[("other", "S")])),
        ],
    );
    let err = inst
        .plan(engine::provider::PlanRequest {
            type_: t,
            prior: None,
            config: &c,
        })
        .expect_err("invalid");
    assert_eq!(err.attribute.as_deref(), Some("hash_key"));
    assert!(err.hint.unwrap_or_default().contains("attribute"));
}
