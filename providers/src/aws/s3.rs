//! S3: `aws_s3_bucket`, `aws_s3_bucket_versioning`,
//! `aws_s3_bucket_server_side_encryption_configuration`, `aws_s3_bucket_public_access_block`.

use super::error::{code_of, invalid, is_code};
use super::intent::system_time;
use super::resource::{Ctx, Plan, Recovery, Resource, SdkResult};
use super::value::{opt_s, s, Obj};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, MfaDelete,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    Attribute, Block, BoxFuture, Nesting, ProviderError, ProviderResult, ResourceType, Schema,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(Bucket),
        Arc::new(BucketVersioning),
        Arc::new(BucketEncryption),
        Arc::new(PublicAccessBlock),
    ]
}

fn def(schema: Schema) -> ResourceType {
    ResourceType {
        schema,
        service: "s3",
        create_timeout: Some(Duration::from_secs(20 * 60)),
        delete_timeout: Some(Duration::from_secs(60 * 60)),
    }
}

fn tags_attrs(schema: Schema) -> Schema {
    schema
        .attr(
            "tags",
            Attribute::optional(Type::map(Type::String)).describe("Tags of the resource"),
        )
        .attr(
            "tags_all",
            Attribute::computed(Type::map(Type::String))
                .describe("tags plus the provider's default_tags"),
        )
}

fn build_err(cx: &Ctx<'_>, what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(format!("{}: cannot build the {what} request", cx.address()))
        .detail(e.to_string())
        .hint("check the values of the configuration")
}

fn bucket_of(cx: &Ctx<'_>, v: &Value) -> ProviderResult<String> {
    let o = Obj(v);
    o.str("bucket").or_else(|| o.str("id")).ok_or_else(|| {
        invalid(
            cx.address(),
            "bucket",
            "the bucket name is not set",
            "set `bucket` to the name of the bucket",
        )
    })
}

fn tag_set(cx: &Ctx<'_>, tags: &BTreeMap<String, String>) -> ProviderResult<Tagging> {
    let mut set = Vec::new();
    for (k, v) in tags {
        set.push(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| build_err(cx, "tag", e))?,
        );
    }
    Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(|e| build_err(cx, "tagging", e))
}

// ---------------------------------------------------------------------------------------------
// aws_s3_bucket

pub struct Bucket;

/// The bucket's name: `bucket`, else `bucket_prefix` or `terraform-` and characters of the
/// operation's token (the same on every attempt of one create).
fn bucket_name(cx: &Ctx<'_>, planned: &Value) -> String {
    let o = Obj(planned);
    let token: String = cx.token().replace('-', "");
    match (o.str("bucket"), o.str("bucket_prefix")) {
        (Some(b), _) => b,
        (None, Some(p)) => format!("{p}{}", token.chars().take(26).collect::<String>()),
        (None, None) => format!("terraform-{}", token.chars().take(24).collect::<String>()),
    }
}

impl Bucket {
    async fn put_tags(
        &self,
        cx: &Ctx<'_>,
        bucket: &str,
        tags: &BTreeMap<String, String>,
    ) -> ProviderResult<()> {
        let c = cx.clients.s3();
        if tags.is_empty() {
            c.delete_bucket_tagging()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| cx.err("DeleteBucketTagging", &e))?;
        } else {
            c.put_bucket_tagging()
                .bucket(bucket)
                .tagging(tag_set(cx, tags)?)
                .send()
                .await
                .map_err(|e| cx.err("PutBucketTagging", &e))?;
        }
        Ok(())
    }

    /// The bucket's state, starting from `base` (config-only attributes kept).
    async fn fetch(
        &self,
        cx: &Ctx<'_>,
        bucket: &str,
        base: &Value,
    ) -> ProviderResult<Option<Value>> {
        let c = cx.clients.s3();
        match c.head_bucket().bucket(bucket).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error().is_some_and(|x| x.is_not_found())
                    || is_code(&e, &["NoSuchBucket", "NotFound"]) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(cx.err("HeadBucket", &e)),
        }
        let region = match c.get_bucket_location().bucket(bucket).send().await {
            Ok(o) => match o.location_constraint().map(|l| l.as_str().to_string()) {
                Some(r) if !r.is_empty() && r != "EU" => r,
                Some(r) if r == "EU" => "eu-west-1".to_string(),
                _ => "us-east-1".to_string(),
            },
            Err(e) if is_code(&e, &["NoSuchBucket"]) => return Ok(None),
            Err(e) => return Err(cx.err("GetBucketLocation", &e)),
        };
        let aws_tags: BTreeMap<String, String> =
            match c.get_bucket_tagging().bucket(bucket).send().await {
                Ok(o) => o
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
                Err(e) if is_code(&e, &["NoSuchTagSet", "NoSuchTagSetError"]) => BTreeMap::new(),
                Err(e) if is_code(&e, &["NoSuchBucket"]) => return Ok(None),
                Err(e) => return Err(cx.err("GetBucketTagging", &e)),
            };
        let force_destroy = Obj(base).bool("force_destroy").unwrap_or(false);
        let mut st = cx.state_from(base);
        st.set("id", s(bucket))
            .set("bucket", s(bucket))
            .set("arn", s(format!("arn:aws:s3:::{bucket}")))
            .set(
                "bucket_domain_name",
                s(format!("{bucket}.s3.amazonaws.com")),
            )
            .set(
                "bucket_regional_domain_name",
                s(format!("{bucket}.s3.{region}.amazonaws.com")),
            )
            .set("region", s(&region))
            .set("force_destroy", Value::bool(force_destroy));
        cx.put_tags(&mut st, &aws_tags, base);
        Ok(Some(st.build()))
    }

    /// Removes every object version and delete marker (force_destroy).
    async fn empty(&self, cx: &Ctx<'_>, bucket: &str) -> ProviderResult<()> {
        let c = cx.clients.s3();
        loop {
            let page = match c
                .list_object_versions()
                .bucket(bucket)
                .max_keys(1000)
                .send()
                .await
            {
                Ok(p) => p,
                Err(e) if is_code(&e, &["NoSuchBucket"]) => return Ok(()),
                Err(e) => return Err(cx.err("ListObjectVersions", &e)),
            };
            let mut ids = Vec::new();
            for v in page.versions() {
                if let Some(k) = v.key() {
                    ids.push(
                        ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(v.version_id().map(str::to_string))
                            .build()
                            .map_err(|e| build_err(cx, "DeleteObjects", e))?,
                    );
                }
            }
            for m in page.delete_markers() {
                if let Some(k) = m.key() {
                    ids.push(
                        ObjectIdentifier::builder()
                            .key(k)
                            .set_version_id(m.version_id().map(str::to_string))
                            .build()
                            .map_err(|e| build_err(cx, "DeleteObjects", e))?,
                    );
                }
            }
            if ids.is_empty() {
                return Ok(());
            }
            cx.progress(&format!("force_destroy: deleting {} objects", ids.len()));
            let del = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| build_err(cx, "DeleteObjects", e))?;
            let out = c
                .delete_objects()
                .bucket(bucket)
                .delete(del)
                .send()
                .await
                .map_err(|e| cx.err("DeleteObjects", &e))?;
            if let Some(first) = out.errors().first() {
                return Err(ProviderError::new(format!(
                    "{}: AWS DeleteObjects failed",
                    cx.address()
                ))
                .detail(format!(
                    "{}: {} (key {})",
                    first.code().unwrap_or("Error"),
                    first.message().unwrap_or(""),
                    first.key().unwrap_or("")
                ))
                .hint("check that the credentials may s3:DeleteObject and s3:DeleteObjectVersion, and that no object lock retains the objects"));
            }
        }
    }
}

impl Resource for Bucket {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket"
    }
    fn definition(&self) -> ResourceType {
        def(tags_attrs(
            Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr(
                    "bucket",
                    Attribute::optional_computed(Type::String)
                        .force_new()
                        .describe("Bucket name; generated from bucket_prefix when unset"),
                )
                .attr(
                    "bucket_prefix",
                    Attribute::optional(Type::String).force_new(),
                )
                .attr("bucket_domain_name", Attribute::computed(Type::String))
                .attr(
                    "bucket_regional_domain_name",
                    Attribute::computed(Type::String),
                )
                .attr("region", Attribute::computed(Type::String))
                .attr(
                    "force_destroy",
                    Attribute::optional(Type::Bool)
                        .default(Value::bool(false))
                        .describe("Delete every object (and version) when destroying the bucket"),
                ),
        ))
    }

    fn customize_plan(&self, plan: &mut Plan<'_>) -> ProviderResult<()> {
        if let Some(b) = Obj(plan.config).str("bucket") {
            let ok = (3..=63).contains(&b.len())
                && b.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !ok {
                return Err(ProviderError::new("Invalid bucket name")
                    .detail(format!("{b:?} is not a valid S3 bucket name"))
                    .attribute("bucket")
                    .hint("use 3-63 lowercase letters, digits, dots and hyphens"));
            }
        }
        Ok(())
    }

    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, current)?;
            self.fetch(cx, &bucket, current).await
        })
    }

    fn recovery(&self) -> Recovery {
        Recovery::Name
    }
    /// The bucket of the planned name, when it is in this account and its intent tag (written
    /// right after CreateBucket) or its creation date says this create made it.
    fn find_id<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<String>>> {
        Box::pin(async move {
            let bucket = bucket_name(cx, planned);
            let c = cx.clients.s3();
            let out = c
                .list_buckets()
                .prefix(&bucket)
                .send()
                .await
                .map_err(|e| cx.err("ListBuckets", &e))?;
            let Some(b) = out
                .buckets()
                .iter()
                .find(|b| b.name() == Some(bucket.as_str()))
            else {
                return Ok(None);
            };
            let tags = match c.get_bucket_tagging().bucket(&bucket).send().await {
                Ok(t) => t
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
                Err(e) if is_code(&e, &["NoSuchTagSet", "NoSuchTagSetError"]) => BTreeMap::new(),
                Err(e) => return Err(cx.err("GetBucketTagging", &e)),
            };
            match cx.ours(&tags, b.creation_date().and_then(system_time)) {
                true => Ok(Some(bucket)),
                false => Err(cx.not_ours("S3 bucket", &bucket, &bucket)),
            }
        })
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let bucket = bucket_name(cx, planned);
            let c = cx.clients.s3();
            let mut req = c.create_bucket().bucket(&bucket);
            if cx.region() != "us-east-1" {
                req = req.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(cx.region()))
                        .build(),
                );
            }
            if let Err(e) = req.send().await {
                // A lost response (the SDK's retry found the name taken) or a cut-off earlier
                // attempt: adopted when the bucket is ours.
                let ours = is_code(&e, &["BucketAlreadyOwnedByYou", "BucketAlreadyExists"])
                    && matches!(self.find_id(cx, planned).await, Ok(Some(_)));
                if !ours {
                    let mut err = cx.err("CreateBucket", &e);
                    if code_of(&e) == Some("BucketAlreadyExists") {
                        err = err.hint(
                            "bucket names are global across all AWS accounts: pick another name",
                        );
                    }
                    return Err(err);
                }
            }
            let tags = cx.create_tags(planned);
            if !tags.is_empty() {
                self.put_tags(cx, &bucket, &tags).await?;
            }
            let base = cx.state_from(planned).with("bucket", s(&bucket)).build();
            // S3 is eventually consistent right after create: wait until the bucket answers.
            for i in 0..20 {
                if let Some(v) = self.fetch(cx, &bucket, &base).await? {
                    return Ok(v);
                }
                tokio::time::sleep(Duration::from_millis(250 * (i + 1))).await;
            }
            Err(ProviderError::new(format!(
                "{}: bucket {bucket} did not appear after create",
                cx.address()
            ))
            .hint("S3 may be slow to propagate: run apply again to adopt it"))
        })
    }

    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, prior)?;
            let old = Obj(prior).str_map("tags_all");
            let new = cx.tags_all(planned);
            if old != new {
                self.put_tags(cx, &bucket, &new).await?;
            }
            let base = cx.state_from(planned).with("bucket", s(&bucket)).build();
            self.fetch(cx, &bucket, &base).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: bucket {bucket} disappeared during update",
                    cx.address()
                ))
                .hint("it was deleted outside sakk: run plan again to re-create it")
            })
        })
    }

    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, prior)?;
            let force = Obj(prior).bool("force_destroy").unwrap_or(false);
            let c = cx.clients.s3();
            for _ in 0..5 {
                if force {
                    self.empty(cx, &bucket).await?;
                }
                match c.delete_bucket().bucket(&bucket).send().await {
                    Ok(_) => return Ok(()),
                    Err(e) if is_code(&e, &["NoSuchBucket"]) => return Ok(()),
                    Err(e) if is_code(&e, &["BucketNotEmpty"]) && force => continue,
                    Err(e) if is_code(&e, &["BucketNotEmpty"]) => {
                        return Err(cx.err("DeleteBucket", &e).hint(
                            "the bucket still holds objects: delete them, or set force_destroy = true and apply before destroying",
                        ))
                    }
                    Err(e) => return Err(cx.err("DeleteBucket", &e)),
                }
            }
            Err(ProviderError::new(format!(
                "{}: bucket {bucket} kept receiving objects while being emptied",
                cx.address()
            ))
            .hint("stop writers to the bucket and destroy again"))
        })
    }

    fn import<'a>(&'a self, cx: &'a Ctx<'a>, id: &'a str) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let base = cx.state().with("force_destroy", Value::bool(false)).build();
            self.fetch(cx, id, &base).await?.ok_or_else(|| {
                ProviderError::new(format!(
                    "{}: cannot import bucket {id}: it does not exist",
                    cx.address()
                ))
                .hint("check the bucket name and the account of the provider configuration")
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// aws_s3_bucket_versioning

/// GetBucketVersioning: `None` when the bucket is gone, else (status, mfa_delete). A bucket
/// that never had versioning has no status. (S3 answers `<VersioningConfiguration>`; moto
/// answers 200 with a `<GetBucketVersioningResponse>` root the SDK refuses to parse: then the
/// Status and MfaDelete elements are read from the body directly.)
async fn versioning_of(
    cx: &Ctx<'_>,
    bucket: &str,
) -> ProviderResult<Option<(Option<String>, Option<String>)>> {
    match cx
        .clients
        .s3()
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => Ok(Some((
            o.status().map(|x| x.as_str().to_string()),
            o.mfa_delete().map(|x| x.as_str().to_string()),
        ))),
        Err(e) if is_code(&e, &["NoSuchBucket"]) => Ok(None),
        Err(aws_sdk_s3::error::SdkError::ServiceError(se)) if se.raw().status().as_u16() == 200 => {
            let body = se
                .raw()
                .body()
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let tag = |name: &str| {
                let open = format!("<{name}>");
                let start = body.find(&open)? + open.len();
                let end = body[start..].find('<')? + start;
                Some(body[start..end].to_string())
            };
            Ok(Some((tag("Status"), tag("MfaDelete"))))
        }
        Err(e) => Err(cx.err("GetBucketVersioning", &e)),
    }
}

pub struct BucketVersioning;

fn single_block(schema: Schema) -> Block {
    Block {
        nesting: Nesting::Single,
        schema,
        min_items: 1,
        max_items: 1,
        force_new: false,
    }
}

impl BucketVersioning {
    async fn fetch(
        &self,
        cx: &Ctx<'_>,
        bucket: &str,
        base: &Value,
    ) -> ProviderResult<Option<Value>> {
        let Some((status, aws_mfa)) = versioning_of(cx, bucket).await? else {
            return Ok(None);
        };
        let status = status.unwrap_or_else(|| "Disabled".to_string());
        let schema = &cx.schema.blocks["versioning_configuration"].schema;
        let prior_mfa = Obj(base)
            .block("versioning_configuration")
            .and_then(|b| Obj(b).str("mfa_delete"));
        // mfa_delete: AWS reports it only once versioning was configured; keep the prior
        // (configured) value unless AWS says it is enabled.
        let mfa = match aws_mfa {
            Some(m) if m == "Enabled" => Some(m),
            Some(m) if prior_mfa.is_some() => Some(m),
            _ => prior_mfa,
        };
        let vc = super::value::State::new(schema)
            .with("status", s(status))
            .with("mfa_delete", opt_s(mfa))
            .build();
        Ok(Some(
            cx.state_from(base)
                .with("id", s(bucket))
                .with("bucket", s(bucket))
                .with("versioning_configuration", vc)
                .build(),
        ))
    }

    async fn put(&self, cx: &Ctx<'_>, planned: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cx, planned)?;
        let vc = Obj(planned).block("versioning_configuration").map(Obj);
        let status = vc
            .and_then(|b| b.str("status"))
            .unwrap_or_else(|| "Enabled".into());
        if !matches!(status.as_str(), "Enabled" | "Suspended" | "Disabled") {
            return Err(invalid(
                cx.address(),
                "versioning_configuration.status",
                format!("{status:?}"),
                "use Enabled, Suspended or Disabled",
            ));
        }
        let c = cx.clients.s3();
        let current = versioning_of(cx, &bucket).await?.ok_or_else(|| {
            ProviderError::new(format!("{}: bucket {bucket} does not exist", cx.address()))
                .hint("create the aws_s3_bucket first (reference it: bucket = aws_s3_bucket.x.id)")
        })?;
        // "Disabled" can only be set on a bucket that never had versioning.
        let skip = status == "Disabled" && current.0.is_none();
        if !skip {
            let wire = if status == "Disabled" {
                "Suspended"
            } else {
                status.as_str()
            };
            let mut conf =
                VersioningConfiguration::builder().status(BucketVersioningStatus::from(wire));
            if let Some(m) = vc.and_then(|b| b.str("mfa_delete")) {
                conf = conf.mfa_delete(MfaDelete::from(m.as_str()));
            }
            c.put_bucket_versioning()
                .bucket(&bucket)
                .versioning_configuration(conf.build())
                .send()
                .await
                .map_err(|e| cx.err("PutBucketVersioning", &e))?;
        }
        let got = self.fetch(cx, &bucket, planned).await?.ok_or_else(|| {
            ProviderError::new(format!("{}: bucket {bucket} does not exist", cx.address()))
                .hint("create the aws_s3_bucket first (reference it: bucket = aws_s3_bucket.x.id)")
        })?;
        // Keep the configured status when AWS reports the equivalent (Disabled on a never-versioned bucket).
        Ok(cx
            .state_from(&got)
            .with(
                "versioning_configuration",
                Obj(planned).raw("versioning_configuration"),
            )
            .build())
    }
}

impl Resource for BucketVersioning {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_versioning"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("bucket", Attribute::required(Type::String).force_new())
            .attr(
                "expected_bucket_owner",
                Attribute::optional(Type::String).force_new(),
            )
            .block(
                "versioning_configuration",
                single_block(
                    Schema::new()
                        .attr(
                            "status",
                            Attribute::required(Type::String)
                                .describe("Enabled, Suspended or Disabled"),
                        )
                        .attr("mfa_delete", Attribute::optional(Type::String)),
                ),
            ))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, current)?;
            let Some((status, _)) = versioning_of(cx, &bucket).await? else {
                return Ok(None);
            };
            // Versioning once Enabled/Suspended never returns to "never configured" unless the
            // bucket was deleted and made again: the configuration is gone.
            let tracked = Obj(current)
                .block("versioning_configuration")
                .and_then(|b| Obj(b).str("status"));
            if status.is_none() && tracked.as_deref().is_some_and(|t| t != "Disabled") {
                return Ok(None);
            }
            self.fetch(cx, &bucket, current).await
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Idempotent
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.put(cx, planned))
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.put(cx, planned))
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            // Versioning cannot be turned off, only suspended (as the Terraform provider does).
            let bucket = bucket_of(cx, prior)?;
            let c = cx.clients.s3();
            let Some(current) = versioning_of(cx, &bucket).await? else {
                return Ok(());
            };
            if current.0.as_deref() == Some("Enabled") {
                c.put_bucket_versioning()
                    .bucket(&bucket)
                    .versioning_configuration(
                        VersioningConfiguration::builder()
                            .status(BucketVersioningStatus::Suspended)
                            .build(),
                    )
                    .send()
                    .await
                    .gone_ok(cx, "PutBucketVersioning", |e| is_code(e, &["NoSuchBucket"]))?;
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// aws_s3_bucket_server_side_encryption_configuration

pub struct BucketEncryption;

fn sse_default_schema() -> Schema {
    Schema::new()
        .attr(
            "sse_algorithm",
            Attribute::required(Type::String).describe("AES256, aws:kms or aws:kms:dsse"),
        )
        .attr("kms_master_key_id", Attribute::optional(Type::String))
}

fn sse_rule_schema() -> Schema {
    Schema::new()
        .attr("bucket_key_enabled", Attribute::optional(Type::Bool))
        .block(
            "apply_server_side_encryption_by_default",
            Block {
                nesting: Nesting::List,
                schema: sse_default_schema(),
                min_items: 0,
                max_items: 1,
                force_new: false,
            },
        )
}

impl BucketEncryption {
    async fn fetch(
        &self,
        cx: &Ctx<'_>,
        bucket: &str,
        base: &Value,
    ) -> ProviderResult<Option<Value>> {
        let c = cx.clients.s3();
        let out = match c.get_bucket_encryption().bucket(bucket).send().await {
            Ok(o) => o,
            Err(e)
                if is_code(
                    &e,
                    &[
                        "NoSuchBucket",
                        "ServerSideEncryptionConfigurationNotFoundError",
                    ],
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(cx.err("GetBucketEncryption", &e)),
        };
        let rule_schema = sse_rule_schema();
        let def_schema = sse_default_schema();
        let mut rules = Vec::new();
        let prior_rules = Obj(base).blocks("rule");
        for r in out
            .server_side_encryption_configuration()
            .map(|c| c.rules())
            .unwrap_or_default()
        {
            let defaults: Vec<Value> = r
                .apply_server_side_encryption_by_default()
                .map(|d| {
                    super::value::State::new(&def_schema)
                        .with("sse_algorithm", s(d.sse_algorithm().as_str()))
                        .with("kms_master_key_id", opt_s(d.kms_master_key_id()))
                        .build()
                })
                .into_iter()
                .collect();
            // AWS reports bucket_key_enabled=false when unset: keep null if the config had null.
            let prior_bke_null = prior_rules
                .iter()
                .all(|p| Obj(p).raw("bucket_key_enabled").is_null());
            let bke = match r.bucket_key_enabled() {
                Some(false) | None if prior_bke_null => Value::null(Type::Bool),
                Some(b) => Value::bool(b),
                None => Value::null(Type::Bool),
            };
            rules.push(
                super::value::State::new(&rule_schema)
                    .with("bucket_key_enabled", bke)
                    .with(
                        "apply_server_side_encryption_by_default",
                        Value::list(def_schema.object_type(), defaults),
                    )
                    .build(),
            );
        }
        Ok(Some(
            cx.state_from(base)
                .with("id", s(bucket))
                .with("bucket", s(bucket))
                .with("rule", Value::set(rule_schema.object_type(), rules))
                .build(),
        ))
    }

    async fn put(&self, cx: &Ctx<'_>, planned: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cx, planned)?;
        let mut rules = Vec::new();
        for r in Obj(planned).blocks("rule") {
            let r = Obj(r);
            let mut b = ServerSideEncryptionRule::builder()
                .set_bucket_key_enabled(r.bool("bucket_key_enabled"));
            if let Some(d) = r.block("apply_server_side_encryption_by_default") {
                let d = Obj(d);
                let alg = d.str("sse_algorithm").unwrap_or_else(|| "AES256".into());
                b = b.apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::from(alg.as_str()))
                        .set_kms_master_key_id(d.str("kms_master_key_id"))
                        .build()
                        .map_err(|e| build_err(cx, "PutBucketEncryption", e))?,
                );
            }
            rules.push(b.build());
        }
        if rules.is_empty() {
            return Err(invalid(cx.address(), "rule", "no rule block", "add a rule { apply_server_side_encryption_by_default { sse_algorithm = \"AES256\" } } block"));
        }
        let conf = ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| build_err(cx, "PutBucketEncryption", e))?;
        cx.clients
            .s3()
            .put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration(conf)
            .send()
            .await
            .map_err(|e| cx.err("PutBucketEncryption", &e))?;
        let got = self.fetch(cx, &bucket, planned).await?.ok_or_else(|| {
            ProviderError::new(format!("{}: the encryption configuration of {bucket} is not readable after PutBucketEncryption", cx.address()))
                .hint("check that the credentials may s3:GetEncryptionConfiguration")
        })?;
        // What was configured is what AWS holds; keep the configured spelling.
        Ok(cx
            .state_from(&got)
            .with("rule", Obj(planned).raw("rule"))
            .build())
    }
}

impl Resource for BucketEncryption {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_server_side_encryption_configuration"
    }
    fn definition(&self) -> ResourceType {
        def(Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("bucket", Attribute::required(Type::String).force_new())
            .attr(
                "expected_bucket_owner",
                Attribute::optional(Type::String).force_new(),
            )
            .block(
                "rule",
                Block {
                    nesting: Nesting::Set,
                    schema: sse_rule_schema(),
                    min_items: 1,
                    max_items: 0,
                    force_new: false,
                },
            ))
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, current)?;
            self.fetch(cx, &bucket, current).await
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Idempotent
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.put(cx, planned))
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.put(cx, planned))
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, prior)?;
            cx.clients
                .s3()
                .delete_bucket_encryption()
                .bucket(&bucket)
                .send()
                .await
                .gone_ok(cx, "DeleteBucketEncryption", |e| {
                    is_code(
                        e,
                        &[
                            "NoSuchBucket",
                            "ServerSideEncryptionConfigurationNotFoundError",
                        ],
                    )
                })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// aws_s3_bucket_public_access_block

pub struct PublicAccessBlock;

const PAB_FLAGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

impl PublicAccessBlock {
    async fn fetch(
        &self,
        cx: &Ctx<'_>,
        bucket: &str,
        base: &Value,
    ) -> ProviderResult<Option<Value>> {
        let out = match cx
            .clients
            .s3()
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e)
                if is_code(
                    &e,
                    &["NoSuchBucket", "NoSuchPublicAccessBlockConfiguration"],
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(cx.err("GetPublicAccessBlock", &e)),
        };
        let Some(conf) = out.public_access_block_configuration() else {
            return Ok(None);
        };
        let flags = [
            conf.block_public_acls(),
            conf.block_public_policy(),
            conf.ignore_public_acls(),
            conf.restrict_public_buckets(),
        ];
        let mut st = cx.state_from(base);
        st.set("id", s(bucket)).set("bucket", s(bucket));
        for (name, v) in PAB_FLAGS.iter().zip(flags) {
            st.set(name, Value::bool(v.unwrap_or(false)));
        }
        Ok(Some(st.build()))
    }

    async fn put(&self, cx: &Ctx<'_>, planned: &Value) -> ProviderResult<Value> {
        let bucket = bucket_of(cx, planned)?;
        let o = Obj(planned);
        let conf = PublicAccessBlockConfiguration::builder()
            .block_public_acls(o.bool("block_public_acls").unwrap_or(false))
            .block_public_policy(o.bool("block_public_policy").unwrap_or(false))
            .ignore_public_acls(o.bool("ignore_public_acls").unwrap_or(false))
            .restrict_public_buckets(o.bool("restrict_public_buckets").unwrap_or(false))
            .build();
        cx.clients
            .s3()
            .put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration(conf)
            .send()
            .await
            .map_err(|e| cx.err("PutPublicAccessBlock", &e))?;
        self.fetch(cx, &bucket, planned).await?.ok_or_else(|| {
            ProviderError::new(format!("{}: the public access block of {bucket} is not readable after PutPublicAccessBlock", cx.address()))
                .hint("check that the bucket exists and the credentials may s3:GetBucketPublicAccessBlock")
        })
    }
}

impl Resource for PublicAccessBlock {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_public_access_block"
    }
    fn definition(&self) -> ResourceType {
        let mut schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("bucket", Attribute::required(Type::String).force_new());
        for f in PAB_FLAGS {
            schema = schema.attr(
                f,
                Attribute::optional(Type::Bool).default(Value::bool(false)),
            );
        }
        def(schema)
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        current: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, current)?;
            self.fetch(cx, &bucket, current).await
        })
    }
    fn recovery(&self) -> Recovery {
        Recovery::Idempotent
    }
    fn create<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.put(cx, planned))
    }
    fn update<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        _prior: &'a Value,
        planned: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(self.put(cx, planned))
    }
    fn delete<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        prior: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let bucket = bucket_of(cx, prior)?;
            cx.clients
                .s3()
                .delete_public_access_block()
                .bucket(&bucket)
                .send()
                .await
                .gone_ok(cx, "DeletePublicAccessBlock", |e| {
                    is_code(e, &["NoSuchBucket", "NoSuchPublicAccessBlockConfiguration"])
                })
        })
    }
}
