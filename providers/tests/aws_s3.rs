//! aws_s3_bucket and its companion resources against moto, checked with boto3.
mod common;
use common::*;
use engine::lang::types::Type;
use engine::lang::value::Value;

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let (a, b) = (format!("sakk-a-{}", uniq()), format!("sakk-b-{}", uniq()));
    let t = "aws_s3_bucket";
    lifecycle(&ep, inst.as_ref(), Case {
        type_: t,
        create: cfg(t, &[("bucket", Value::string(a.as_str())), ("tags", tags(&[("team", "ml")]))]),
        update: cfg(t, &[("bucket", Value::string(a.as_str())), ("tags", tags(&[("team", "platform")])), ("force_destroy", Value::bool(true))]),
        replace: cfg(t, &[("bucket", Value::string(b.as_str())), ("tags", tags(&[("team", "platform")])), ("force_destroy", Value::bool(true))]),
        count_py: "print(sum(1 for x in c('s3').list_buckets()['Buckets'] if x['Name']=='{id}'))",
        check_update_py: "print(c('s3').get_bucket_tagging(Bucket='{id}')['TagSet'][0]['Value'])",
        expect_update: "platform",
        drift_py: "c('s3').put_bucket_tagging(Bucket='{id}', Tagging={'TagSet':[{'Key':'team','Value':'rogue'}]})",
        delete_py: "s3=c('s3')\nfor o in s3.list_objects_v2(Bucket='{id}').get('Contents',[]): s3.delete_object(Bucket='{id}',Key=o['Key'])\ns3.delete_bucket(Bucket='{id}')",
        import_id: |s| attr(s, "id"),
        import_ignore: &["force_destroy"],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_force_destroy_removes_versions_and_default_tags_are_not_drift() {
    let Some(ep) = moto() else { return };
    let inst = instance_with(&ep, &[("owner", "sakk")], None).await;
    let name = format!("sakk-fd-{}", uniq());
    let t = "aws_s3_bucket";
    let c = cfg(
        t,
        &[
            ("bucket", Value::string(name.as_str())),
            ("force_destroy", Value::bool(true)),
            ("tags", tags(&[("team", "ml")])),
        ],
    );
    let (st, _) = apply(inst.as_ref(), t, None, &c).await;
    assert_eq!(
        st.get_attr("tags_all")
            .and_then(|m| m.get_key("owner"))
            .and_then(Value::as_str),
        Some("sakk")
    );
    let st = assert_noop(inst.as_ref(), t, &st, &c).await;
    boto(&ep, &format!("s3=c('s3')\ns3.put_bucket_versioning(Bucket='{name}', VersioningConfiguration={{'Status':'Enabled'}})\nfor i in range(3): s3.put_object(Bucket='{name}', Key='k', Body=b'x')"));
    inst.delete(t, &st, &op("destroy"))
        .await
        .expect("force_destroy delete");
    assert_eq!(
        boto(
            &ep,
            &format!(
                "print(sum(1 for x in c('s3').list_buckets()['Buckets'] if x['Name']=='{name}'))"
            )
        ),
        "0"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_not_empty_error_names_code_and_fix() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let name = format!("sakk-ne-{}", uniq());
    let t = "aws_s3_bucket";
    let (st, _) = apply(
        inst.as_ref(),
        t,
        None,
        &cfg(t, &[("bucket", Value::string(name.as_str()))]),
    )
    .await;
    boto(
        &ep,
        &format!("c('s3').put_object(Bucket='{name}', Key='k', Body=b'x')"),
    );
    let err = inst
        .delete(t, &st, &op("aws_s3_bucket.logs"))
        .await
        .expect_err("must fail");
    assert!(err.summary.contains("aws_s3_bucket.logs"), "{err:?}");
    assert!(err.detail.contains("BucketNotEmpty"), "{err:?}");
    assert!(
        err.hint.as_deref().unwrap_or("").contains("force_destroy"),
        "{err:?}"
    );
    assert!(
        !format!("{err:?}").contains("test"),
        "credentials leaked? {err:?}"
    );
    boto(&ep, &format!("s3=c('s3')\ns3.delete_object(Bucket='{name}', Key='k')\ns3.delete_bucket(Bucket='{name}')"));
}

async fn with_bucket(ep: &str) -> String {
    let name = format!("sakk-sub-{}", uniq());
    boto(ep, &format!("c('s3').create_bucket(Bucket='{name}')"));
    name
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_versioning_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let (a, b) = (with_bucket(&ep).await, with_bucket(&ep).await);
    let t = "aws_s3_bucket_versioning";
    let vc = |st: &str| {
        block(
            t,
            "versioning_configuration",
            &[("status", Value::string(st))],
        )
    };
    lifecycle(&ep, inst.as_ref(), Case {
        type_: t,
        create: cfg(t, &[("bucket", Value::string(a.as_str())), ("versioning_configuration", vc("Enabled"))]),
        update: cfg(t, &[("bucket", Value::string(a.as_str())), ("versioning_configuration", vc("Suspended"))]),
        replace: cfg(t, &[("bucket", Value::string(b.as_str())), ("versioning_configuration", vc("Enabled"))]),
        count_py: "import botocore\ntry:\n  print(1 if c('s3').get_bucket_versioning(Bucket='{id}').get('Status')=='Enabled' else 0)\nexcept botocore.exceptions.ClientError: print(0)",
        check_update_py: "print(c('s3').get_bucket_versioning(Bucket='{id}').get('Status'))",
        expect_update: "Suspended",
        drift_py: "c('s3').put_bucket_versioning(Bucket='{id}', VersioningConfiguration={'Status':'Enabled'})",
        delete_py: "s3=c('s3')\ns3.delete_bucket(Bucket='{id}')\ns3.create_bucket(Bucket='{id}')",
        import_id: |s| attr(s, "id"),
        import_ignore: &[],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_encryption_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let (a, b) = (with_bucket(&ep).await, with_bucket(&ep).await);
    let t = "aws_s3_bucket_server_side_encryption_configuration";
    let rule = |alg: &str, key: Option<&str>| {
        let d = block(
            t,
            "rule.apply_server_side_encryption_by_default",
            &[
                ("sse_algorithm", Value::string(alg)),
                (
                    "kms_master_key_id",
                    key.map(Value::string)
                        .unwrap_or_else(|| Value::null(Type::String)),
                ),
            ],
        );
        let r = block(
            t,
            "rule",
            &[(
                "apply_server_side_encryption_by_default",
                Value::list(
                    block_type(t, "rule.apply_server_side_encryption_by_default"),
                    vec![d],
                ),
            )],
        );
        Value::set(block_type(t, "rule"), vec![r])
    };
    lifecycle(&ep, inst.as_ref(), Case {
        type_: t,
        create: cfg(t, &[("bucket", Value::string(a.as_str())), ("rule", rule("AES256", None))]),
        update: cfg(t, &[("bucket", Value::string(a.as_str())), ("rule", rule("aws:kms", Some("alias/sakk")))]),
        replace: cfg(t, &[("bucket", Value::string(b.as_str())), ("rule", rule("aws:kms", Some("alias/sakk")))]),
        count_py: "import botocore\ntry:\n  c('s3').get_bucket_encryption(Bucket='{id}'); print(1)\nexcept botocore.exceptions.ClientError: print(0)",
        check_update_py: "print(c('s3').get_bucket_encryption(Bucket='{id}')['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']['SSEAlgorithm'])",
        expect_update: "aws:kms",
        drift_py: "c('s3').put_bucket_encryption(Bucket='{id}', ServerSideEncryptionConfiguration={'Rules':[{'ApplyServerSideEncryptionByDefault':{'SSEAlgorithm':'AES256'}}]})",
        delete_py: "c('s3').delete_bucket_encryption(Bucket='{id}')",
        import_id: |s| attr(s, "id"),
        import_ignore: &[],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_public_access_block_lifecycle() {
    let Some(ep) = moto() else { return };
    let inst = instance(&ep).await;
    let (a, b) = (with_bucket(&ep).await, with_bucket(&ep).await);
    let t = "aws_s3_bucket_public_access_block";
    let on = |bucket: &str, policy: bool| {
        cfg(
            t,
            &[
                ("bucket", Value::string(bucket)),
                ("block_public_acls", Value::bool(true)),
                ("block_public_policy", Value::bool(policy)),
                ("ignore_public_acls", Value::bool(true)),
                ("restrict_public_buckets", Value::bool(true)),
            ],
        )
    };
    lifecycle(&ep, inst.as_ref(), Case {
        type_: t,
        create: on(&a, true),
        update: on(&a, false),
        replace: on(&b, true),
        count_py: "import botocore\ntry:\n  c('s3').get_public_access_block(Bucket='{id}'); print(1)\nexcept botocore.exceptions.ClientError: print(0)",
        check_update_py: "print(c('s3').get_public_access_block(Bucket='{id}')['PublicAccessBlockConfiguration']['BlockPublicPolicy'])",
        expect_update: "False",
        drift_py: "c('s3').put_public_access_block(Bucket='{id}', PublicAccessBlockConfiguration={'BlockPublicAcls':False,'BlockPublicPolicy':True,'IgnorePublicAcls':True,'RestrictPublicBuckets':True})",
        delete_py: "c('s3').delete_public_access_block(Bucket='{id}')",
        import_id: |s| attr(s, "id"),
        import_ignore: &[],
    })
    .await;
}
