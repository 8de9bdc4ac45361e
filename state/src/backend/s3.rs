//! The S3 backend, laid out exactly as Terraform's: the state object at `key` (other workspaces at
//! `<workspace_key_prefix>/<ws>/<key>`), locked by a DynamoDB item `LockID = "<bucket>/<path>"`
//! and/or a lock object `<path>.tflock`, with the MD5 of the last written state in the item
//! `LockID = "<bucket>/<path>-md5"` (`Digest`).

use super::{Backend, DEFAULT_WORKSPACE};
use crate::error::{Error, Result};
use crate::lock::LockInfo;
use crate::model::State;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

/// The settings of `backend "s3"`, after merging `--backend-config`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct S3Config {
    pub bucket: String,
    pub key: String,
    pub region: String,
    pub dynamodb_table: Option<String>,
    pub encrypt: bool,
    pub kms_key_id: Option<String>,
    pub use_lockfile: bool,
    pub profile: Option<String>,
    pub workspace_key_prefix: String,
    pub s3_endpoint: Option<String>,
    pub dynamodb_endpoint: Option<String>,
    pub use_path_style: bool,
}

pub struct S3Backend {
    cfg: S3Config,
    rt: Option<tokio::runtime::Runtime>,
    sdk: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    ddb: aws_sdk_dynamodb::Client,
    consistency_timeout: Duration,
}

impl Drop for S3Backend {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// What an AWS error means for the user: code, message and what to check.
fn aws_error<E, R>(op: String, e: &SdkError<E, R>, what: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus + 'static,
{
    // Unreachable endpoint or no credentials: the network guard's short message (endpoint,
    // reason, region, credential source).
    if let Some(n) = awsnet::find(e) {
        return Error::Aws {
            op,
            code: n.code().into(),
            message: format!("{}; {}", n.summary(), n.detail()),
            hint: n.hint(),
        };
    }
    let status = match e {
        SdkError::ServiceError(se) => se.raw().status_code(),
        _ => 0,
    };
    let (code, message) = match (e.code(), e.message()) {
        (Some(c), m) => (
            c.to_string(),
            m.filter(|m| !m.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP {status}")),
        ),
        (None, _) => {
            let full = awsnet::short_chain(e, 400);
            let code = match e {
                SdkError::ServiceError(_) => match status {
                    301 => "PermanentRedirect",
                    400 => "BadRequest",
                    403 => "AccessDenied",
                    404 => "NotFound",
                    _ => "ServiceError",
                },
                SdkError::TimeoutError(_) => "Timeout",
                SdkError::DispatchFailure(_) if full.contains("credentials") => "NoCredentials",
                SdkError::DispatchFailure(_) => "ConnectionError",
                _ if full.contains("credentials") => "NoCredentials",
                _ => "RequestError",
            };
            let msg = if matches!(e, SdkError::ServiceError(_)) {
                format!("HTTP {status}")
            } else {
                full
            };
            (code.to_string(), msg)
        }
    };
    let hint = hint_for(&code, what);
    Error::Aws {
        op,
        code,
        message,
        hint,
    }
}

fn hint_for(code: &str, what: &str) -> String {
    match code {
        "NoSuchBucket" | "NotFound" => format!("{what} does not exist: create it, or run `sakk init --bootstrap` to create it"),
        "ResourceNotFoundException" => format!("{what} does not exist (or is in another region): create it, or run `sakk init --bootstrap`"),
        "AccessDenied" | "Forbidden" | "AccessDeniedException" | "AllAccessDisabled" => format!(
            "the credentials in use are not allowed to use {what}: check the IAM policy of the role or user (see `aws sts get-caller-identity`)"
        ),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" | "301" => format!(
            "{what} is in another region: set `region` in the backend configuration to the bucket's region"
        ),
        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "UnrecognizedClientException" | "ExpiredToken"
        | "ExpiredTokenException" | "InvalidClientTokenId" | "InvalidSignatureException" => {
            "the AWS credentials are invalid or expired: refresh them (aws sso login, new keys) or pick another profile".into()
        }
        "NoCredentials" => "no AWS credentials were found: set AWS_PROFILE (or `profile` in the backend configuration), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`".into(),
        "ConnectionError" | "Timeout" => "AWS could not be reached: check the network, the region and any endpoint override (AWS_ENDPOINT_URL, endpoints in the backend configuration)".into(),
        _ => format!("check the backend configuration and that {what} is reachable with the current credentials"),
    }
}

/// The HTTP status of a raw response, for errors without a code (HEAD requests have no body).
pub trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// The digest item of a state object (see `stored_digest`).
struct StoredDigest {
    digest: String,
    /// Lineage and serial of the state the digest is of (None: written by Terraform).
    version: Option<(String, u64)>,
}

/// Whether the state object is a later write of the same lineage than the one the digest item
/// describes: a writer cut off (killed) between the object's PUT and the digest's update. A
/// stale read (eventual consistency) is of an earlier serial and still waits.
fn newer_than_digest(stored: &StoredDigest, bytes: Option<&[u8]>) -> bool {
    #[derive(serde::Deserialize)]
    struct Version {
        lineage: String,
        serial: u64,
    }
    let (Some((lineage, serial)), Some(bytes)) = (&stored.version, bytes) else {
        return false;
    };
    match serde_json::from_slice::<Version>(bytes) {
        Ok(v) => v.lineage == *lineage && v.serial > *serial,
        Err(_) => false,
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn is_precondition_failed<E: ProvideErrorMetadata, R: HttpStatus>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::ServiceError(se) => {
            matches!(se.raw().status_code(), 412 | 409)
                || matches!(
                    se.err().code(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict")
                )
        }
        _ => false,
    }
}

impl S3Backend {
    pub fn new(cfg: S3Config) -> Result<S3Backend> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sakk-s3")
            .enable_all()
            .build()
            .map_err(|e| Error::Other(format!("cannot start the AWS client runtime: {e}")))?;
        let c = cfg.clone();
        let sdk = run_on(&rt, async move {
            // Timeouts and the unreachable-endpoint bound as for the provider's clients: a
            // backend that cannot be reached fails in well under 30 s.
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new(c.region.clone()))
                .retry_config(awsnet::retry_config(5))
                .timeout_config(awsnet::timeout_config());
            if let Some(p) = &c.profile {
                loader = loader.profile_name(p);
            }
            loader.load().await
        });
        let net = awsnet::Net::new(cfg.profile.as_deref());
        let sdk = net.wrap_credentials(sdk);
        let mut s3b = aws_sdk_s3::config::Builder::from(&sdk).interceptor(net.guard());
        let env_endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        if let Some(ep) = &cfg.s3_endpoint {
            s3b = s3b.endpoint_url(ep);
        }
        if cfg.use_path_style || cfg.s3_endpoint.is_some() || env_endpoint {
            s3b = s3b.force_path_style(true);
        }
        let mut db = aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(net.guard());
        if let Some(ep) = &cfg.dynamodb_endpoint {
            db = db.endpoint_url(ep);
        }
        let consistency_timeout = std::env::var("SAKK_S3_CONSISTENCY_TIMEOUT")
            .ok()
            .and_then(|s| crate::lock::parse_duration(&s).ok())
            .unwrap_or(Duration::from_secs(5));
        Ok(S3Backend {
            cfg,
            s3: aws_sdk_s3::Client::from_conf(s3b.build()),
            ddb: aws_sdk_dynamodb::Client::from_conf(db.build()),
            sdk,
            rt: Some(rt),
            consistency_timeout,
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    fn run<F: Future + Send>(&self, f: F) -> F::Output
    where
        F::Output: Send,
    {
        match &self.rt {
            Some(rt) => run_on(rt, f),
            None => unreachable_runtime(),
        }
    }

    /// The object key of a workspace's state.
    pub fn object_key(&self, workspace: &str) -> String {
        if workspace == DEFAULT_WORKSPACE {
            self.cfg.key.clone()
        } else {
            format!(
                "{}/{workspace}/{}",
                self.cfg.workspace_key_prefix, self.cfg.key
            )
        }
    }

    fn lock_id(&self, workspace: &str) -> String {
        format!("{}/{}", self.cfg.bucket, self.object_key(workspace))
    }

    fn bucket_what(&self) -> String {
        format!("the S3 bucket \"{}\"", self.cfg.bucket)
    }

    fn table_what(&self) -> String {
        format!(
            "the DynamoDB table \"{}\"",
            self.cfg.dynamodb_table.as_deref().unwrap_or_default()
        )
    }

    async fn get_object(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self
            .s3
            .get_object()
            .bucket(&self.cfg.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => {
                let b = o.body.collect().await.map_err(|e| {
                    Error::Other(format!(
                        "reading s3://{}/{key} failed: {e}",
                        self.cfg.bucket
                    ))
                })?;
                Ok(Some(b.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(aws_error(
                format!("S3 GetObject s3://{}/{key}", self.cfg.bucket),
                &e,
                &self.bucket_what(),
            )),
        }
    }

    async fn get_item(
        &self,
        table: &str,
        lock_id: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>> {
        let r = self
            .ddb
            .get_item()
            .table_name(table)
            .key("LockID", AttributeValue::S(lock_id.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("DynamoDB GetItem {lock_id} in table {table}"),
                    &e,
                    &self.table_what(),
                )
            })?;
        Ok(r.item)
    }

    /// The digest item: the checksum of the last state written, and (written by sakk, not by
    /// Terraform) that state's lineage and serial.
    async fn stored_digest(&self, workspace: &str) -> Result<Option<StoredDigest>> {
        let Some(table) = &self.cfg.dynamodb_table else {
            return Ok(None);
        };
        let item = self
            .get_item(table, &format!("{}-md5", self.lock_id(workspace)))
            .await?;
        let Some(item) = item else { return Ok(None) };
        let Some(digest) = item
            .get("Digest")
            .and_then(|d| d.as_s().ok().cloned())
            .filter(|d| !d.is_empty())
        else {
            return Ok(None);
        };
        let lineage = item.get("Lineage").and_then(|d| d.as_s().ok().cloned());
        let serial = item
            .get("Serial")
            .and_then(|d| d.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok());
        Ok(Some(StoredDigest {
            digest,
            version: lineage.zip(serial),
        }))
    }

    async fn get_async(&self, workspace: &str) -> Result<Option<State>> {
        let key = self.object_key(workspace);
        let start = Instant::now();
        loop {
            let bytes = self.get_object(&key).await?;
            let stored = self.stored_digest(workspace).await?;
            let actual = bytes.as_deref().map(md5_hex);
            let ok = match (&stored, &actual) {
                (None, _) => true,
                (Some(e), Some(a)) => e.digest == *a || newer_than_digest(e, bytes.as_deref()),
                (Some(_), None) => false,
            };
            let expected = stored.map(|s| s.digest);
            if ok {
                let Some(bytes) = bytes else { return Ok(None) };
                if bytes.is_empty() {
                    return Ok(None);
                }
                return State::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| Error::Parse {
                        path: format!("s3://{}/{key}", self.cfg.bucket),
                        msg: e.0,
                    });
            }
            if start.elapsed() >= self.consistency_timeout {
                let expected = expected.unwrap_or_default();
                let actual = actual.unwrap_or_else(|| "(no state object)".into());
                return Err(Error::Digest(format!(
                    "the state data in S3 does not have the expected content.\n\n\
                     The checksum calculated for the state stored in S3 does not match the checksum stored in DynamoDB.\n\n\
                     Bucket: {}\nKey: {key}\nCalculated checksum: {actual}\nStored checksum: {expected}\n\n\
                     This may be caused by unusually long delays in S3 processing a previous state update; wait a minute and try again.\n\
                     If it persists, someone changed the object outside sakk: verify the state (`aws s3 cp s3://{}/{key} -`), restore a good version \
                     from the bucket's version history if needed, then update the Digest value stored in the DynamoDB table \"{}\" \
                     (item LockID = \"{}-md5\") to the checksum of the object, e.g.:\n  \
                     aws dynamodb put-item --table-name {} --item '{{\"LockID\":{{\"S\":\"{}-md5\"}},\"Digest\":{{\"S\":\"{actual}\"}}}}'",
                    self.cfg.bucket,
                    self.cfg.bucket,
                    self.cfg.dynamodb_table.as_deref().unwrap_or_default(),
                    self.lock_id(workspace),
                    self.cfg.dynamodb_table.as_deref().unwrap_or_default(),
                    self.lock_id(workspace),
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn put_async(
        &self,
        workspace: &str,
        bytes: Vec<u8>,
        version: Option<(String, u64)>,
    ) -> Result<()> {
        let key = self.object_key(workspace);
        let digest = md5_hex(&bytes);
        // The read timeout covers the upload: a large state gets more time.
        let timeouts = awsnet::timeout_config_for_upload(bytes.len());
        let mut req = self
            .s3
            .put_object()
            .bucket(&self.cfg.bucket)
            .key(&key)
            .content_type("application/json")
            .body(bytes.into());
        if self.cfg.encrypt {
            match &self.cfg.kms_key_id {
                Some(k) => {
                    req = req
                        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
                        .ssekms_key_id(k)
                }
                None => {
                    req =
                        req.server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
                }
            }
        }
        req.customize()
            .config_override(aws_sdk_s3::config::Builder::default().timeout_config(timeouts))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("S3 PutObject s3://{}/{key}", self.cfg.bucket),
                    &e,
                    &self.bucket_what(),
                )
            })?;
        if let Some(table) = &self.cfg.dynamodb_table {
            let id = format!("{}-md5", self.lock_id(workspace));
            let mut req = self
                .ddb
                .put_item()
                .table_name(table)
                .item("LockID", AttributeValue::S(id.clone()))
                .item("Digest", AttributeValue::S(digest));
            if let Some((lineage, serial)) = version {
                req = req
                    .item("Lineage", AttributeValue::S(lineage))
                    .item("Serial", AttributeValue::N(serial.to_string()));
            }
            req.send().await.map_err(|e| {
                aws_error(
                    format!("DynamoDB PutItem {id} in table {table}"),
                    &e,
                    &self.table_what(),
                )
            })?;
        }
        Ok(())
    }

    async fn lockfile_holder(&self, workspace: &str) -> Result<Option<LockInfo>> {
        let key = format!("{}.tflock", self.object_key(workspace));
        Ok(self
            .get_object(&key)
            .await?
            .map(|b| serde_json::from_slice(&b).unwrap_or_else(|_| unknown_holder(&key))))
    }

    async fn dynamo_holder(&self, workspace: &str) -> Result<Option<LockInfo>> {
        let Some(table) = &self.cfg.dynamodb_table else {
            return Ok(None);
        };
        let id = self.lock_id(workspace);
        let item = self.get_item(table, &id).await?;
        Ok(item.map(|i| {
            i.get("Info")
                .and_then(|v| v.as_s().ok())
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_else(|| unknown_holder(&id))
        }))
    }

    async fn lock_async(&self, workspace: &str, info: &LockInfo) -> Result<String> {
        let mut info = info.clone();
        info.path = self.lock_id(workspace);
        let json = info.to_json();
        let mut took_lockfile = false;
        if self.cfg.use_lockfile {
            let key = format!("{}.tflock", self.object_key(workspace));
            let r = self
                .s3
                .put_object()
                .bucket(&self.cfg.bucket)
                .key(&key)
                .if_none_match("*")
                .content_type("application/json")
                .body(json.clone().into_bytes().into())
                .send()
                .await;
            match r {
                Ok(_) => took_lockfile = true,
                Err(e) if is_precondition_failed(&e) => {
                    let holder = self
                        .lockfile_holder(workspace)
                        .await?
                        .unwrap_or_else(|| unknown_holder(&key));
                    return Err(Error::Locked(Box::new(holder)));
                }
                Err(e) => {
                    return Err(aws_error(
                        format!("S3 PutObject (lock) s3://{}/{key}", self.cfg.bucket),
                        &e,
                        &self.bucket_what(),
                    ))
                }
            }
        }
        if let Some(table) = &self.cfg.dynamodb_table {
            let id = self.lock_id(workspace);
            let r = self
                .ddb
                .put_item()
                .table_name(table)
                .item("LockID", AttributeValue::S(id.clone()))
                .item("Info", AttributeValue::S(json))
                .condition_expression("attribute_not_exists(LockID)")
                .send()
                .await;
            if let Err(e) = r {
                let conflict = e
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception());
                let err = if conflict {
                    let holder = self
                        .dynamo_holder(workspace)
                        .await?
                        .unwrap_or_else(|| unknown_holder(&id));
                    Error::Locked(Box::new(holder))
                } else {
                    aws_error(
                        format!("DynamoDB PutItem (lock) {id} in table {table}"),
                        &e,
                        &self.table_what(),
                    )
                };
                if took_lockfile {
                    let key = format!("{}.tflock", self.object_key(workspace));
                    let _ = self
                        .s3
                        .delete_object()
                        .bucket(&self.cfg.bucket)
                        .key(&key)
                        .send()
                        .await;
                }
                return Err(err);
            }
        }
        Ok(info.id)
    }

    async fn unlock_async(&self, workspace: &str, id: &str) -> Result<()> {
        let path = self.lock_id(workspace);
        let ddb = self.dynamo_holder(workspace).await?;
        let file = if self.cfg.use_lockfile {
            self.lockfile_holder(workspace).await?
        } else {
            None
        };
        if ddb.is_none() && file.is_none() {
            return Err(Error::NotLocked { path });
        }
        for h in ddb.iter().chain(file.iter()) {
            if h.id != id {
                return Err(Error::LockIdMismatch {
                    path,
                    given: id.into(),
                    held: h.id.clone(),
                });
            }
        }
        if let (Some(_), Some(table)) = (&ddb, &self.cfg.dynamodb_table) {
            self.ddb
                .delete_item()
                .table_name(table)
                .key("LockID", AttributeValue::S(path.clone()))
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("DynamoDB DeleteItem {path} in table {table}"),
                        &e,
                        &self.table_what(),
                    )
                })?;
        }
        if file.is_some() {
            let key = format!("{}.tflock", self.object_key(workspace));
            self.s3
                .delete_object()
                .bucket(&self.cfg.bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("S3 DeleteObject s3://{}/{key}", self.cfg.bucket),
                        &e,
                        &self.bucket_what(),
                    )
                })?;
        }
        Ok(())
    }

    async fn workspaces_async(&self) -> Result<Vec<String>> {
        let prefix = format!("{}/", self.cfg.workspace_key_prefix);
        let suffix = format!("/{}", self.cfg.key);
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let r = self
                .s3
                .list_objects_v2()
                .bucket(&self.cfg.bucket)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("S3 ListObjectsV2 s3://{}/{prefix}", self.cfg.bucket),
                        &e,
                        &self.bucket_what(),
                    )
                })?;
            for o in r.contents() {
                if let Some(ws) = o
                    .key()
                    .and_then(|k| k.strip_prefix(&prefix))
                    .and_then(|k| k.strip_suffix(&suffix))
                {
                    if !ws.is_empty() && !ws.contains('/') {
                        out.push(ws.to_string());
                    }
                }
            }
            match r.next_continuation_token() {
                Some(t) if r.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        out.sort();
        out.dedup();
        out.retain(|w| w != DEFAULT_WORKSPACE);
        out.insert(0, DEFAULT_WORKSPACE.to_string());
        Ok(out)
    }

    /// What `sakk init` checks: credentials, the bucket and the lock table. With `bootstrap`,
    /// a missing bucket is created (versioning on, encryption on, public access blocked) and a
    /// missing table too (key `LockID` S, on-demand billing). Returns what was done, one line each.
    pub fn check(&self, bootstrap: bool) -> Result<Vec<String>> {
        self.run(self.check_async(bootstrap))
    }

    async fn check_async(&self, bootstrap: bool) -> Result<Vec<String>> {
        use aws_sdk_s3::types as st;
        let mut done = Vec::new();
        // Credentials.
        let Some(provider) = self.sdk.credentials_provider() else {
            return Err(no_credentials(
                "no credentials provider is configured".into(),
            ));
        };
        use aws_credential_types::provider::ProvideCredentials;
        if let Err(e) = provider.provide_credentials().await {
            let p = awsnet::describe_credentials(&e);
            return Err(Error::Aws {
                op: "loading AWS credentials".into(),
                code: if p.none_found {
                    "NoCredentials"
                } else {
                    "CredentialsError"
                }
                .into(),
                message: format!("{}: {}", p.summary, p.detail),
                hint: p.hint,
            });
        }
        // The bucket.
        let b = &self.cfg.bucket;
        match self.s3.head_bucket().bucket(b).send().await {
            Ok(r) => {
                if let Some(region) = r.bucket_region() {
                    if region != self.cfg.region {
                        return Err(Error::Aws {
                            op: format!("S3 HeadBucket {b}"),
                            code: "WrongRegion".into(),
                            message: format!(
                                "the bucket is in {region}, the backend configuration says {}",
                                self.cfg.region
                            ),
                            hint: format!("set region = \"{region}\" in the backend configuration"),
                        });
                    }
                }
                done.push(format!("S3 bucket \"{b}\" is reachable"));
            }
            Err(e) => {
                let err = aws_error(format!("S3 HeadBucket {b}"), &e, &self.bucket_what());
                let missing = matches!(&err, Error::Aws { code, .. } if code == "NotFound" || code == "NoSuchBucket");
                if !(missing && bootstrap) {
                    return Err(err);
                }
                let mut req = self.s3.create_bucket().bucket(b);
                if self.cfg.region != "us-east-1" {
                    req = req.create_bucket_configuration(
                        st::CreateBucketConfiguration::builder()
                            .location_constraint(st::BucketLocationConstraint::from(
                                self.cfg.region.as_str(),
                            ))
                            .build(),
                    );
                }
                req.send().await.map_err(|e| {
                    aws_error(format!("S3 CreateBucket {b}"), &e, &self.bucket_what())
                })?;
                self.s3
                    .put_bucket_versioning()
                    .bucket(b)
                    .versioning_configuration(
                        st::VersioningConfiguration::builder()
                            .status(st::BucketVersioningStatus::Enabled)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            format!("S3 PutBucketVersioning {b}"),
                            &e,
                            &self.bucket_what(),
                        )
                    })?;
                let by_default = match &self.cfg.kms_key_id {
                    Some(k) => st::ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(st::ServerSideEncryption::AwsKms)
                        .kms_master_key_id(k),
                    None => st::ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(st::ServerSideEncryption::Aes256),
                }
                .build()
                .map_err(|e| Error::Other(e.to_string()))?;
                let sse = st::ServerSideEncryptionConfiguration::builder()
                    .rules(
                        st::ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(by_default)
                            .build(),
                    )
                    .build()
                    .map_err(|e| Error::Other(e.to_string()))?;
                self.s3
                    .put_bucket_encryption()
                    .bucket(b)
                    .server_side_encryption_configuration(sse)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            format!("S3 PutBucketEncryption {b}"),
                            &e,
                            &self.bucket_what(),
                        )
                    })?;
                self.s3
                    .put_public_access_block()
                    .bucket(b)
                    .public_access_block_configuration(
                        st::PublicAccessBlockConfiguration::builder()
                            .block_public_acls(true)
                            .ignore_public_acls(true)
                            .block_public_policy(true)
                            .restrict_public_buckets(true)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            format!("S3 PutPublicAccessBlock {b}"),
                            &e,
                            &self.bucket_what(),
                        )
                    })?;
                done.push(format!(
                    "created S3 bucket \"{b}\" (versioning on, encryption on, public access blocked)"
                ));
            }
        }
        // The lock table.
        if let Some(t) = &self.cfg.dynamodb_table {
            use aws_sdk_dynamodb::types as dt;
            match self.ddb.describe_table().table_name(t).send().await {
                Ok(r) => {
                    let key_ok = r.table().is_some_and(|tb| {
                        tb.key_schema().iter().any(|k| {
                            k.attribute_name() == "LockID" && *k.key_type() == dt::KeyType::Hash
                        })
                    });
                    if !key_ok {
                        return Err(Error::Config(format!(
                            "the DynamoDB table \"{t}\" exists but its partition key is not \"LockID\" (type S); a lock table needs exactly that key"
                        )));
                    }
                    done.push(format!("DynamoDB table \"{t}\" is reachable"));
                }
                Err(e) => {
                    let missing = e
                        .as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception());
                    if !(missing && bootstrap) {
                        return Err(aws_error(
                            format!("DynamoDB DescribeTable {t}"),
                            &e,
                            &self.table_what(),
                        ));
                    }
                    let build =
                        |e: aws_sdk_dynamodb::error::BuildError| Error::Other(e.to_string());
                    self.ddb
                        .create_table()
                        .table_name(t)
                        .attribute_definitions(
                            dt::AttributeDefinition::builder()
                                .attribute_name("LockID")
                                .attribute_type(dt::ScalarAttributeType::S)
                                .build()
                                .map_err(build)?,
                        )
                        .key_schema(
                            dt::KeySchemaElement::builder()
                                .attribute_name("LockID")
                                .key_type(dt::KeyType::Hash)
                                .build()
                                .map_err(build)?,
                        )
                        .billing_mode(dt::BillingMode::PayPerRequest)
                        .send()
                        .await
                        .map_err(|e| {
                            aws_error(format!("DynamoDB CreateTable {t}"), &e, &self.table_what())
                        })?;
                    // Wait until the table is usable.
                    let start = Instant::now();
                    loop {
                        let st = self.ddb.describe_table().table_name(t).send().await.ok();
                        let active = st
                            .and_then(|r| r.table().and_then(|t| t.table_status().cloned()))
                            .is_some_and(|s| s == dt::TableStatus::Active);
                        if active || start.elapsed() > Duration::from_secs(120) {
                            break;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    done.push(format!(
                        "created DynamoDB table \"{t}\" (key LockID, on-demand billing)"
                    ));
                }
            }
        }
        Ok(done)
    }
}

fn no_credentials(detail: String) -> Error {
    Error::Aws {
        op: "loading AWS credentials".into(),
        code: "NoCredentials".into(),
        message: detail,
        hint: hint_for("NoCredentials", ""),
    }
}

fn unknown_holder(path: &str) -> LockInfo {
    LockInfo {
        path: path.to_string(),
        ..LockInfo::new("(unknown: the lock's info could not be read)")
    }
}

fn unreachable_runtime<T>() -> T {
    // The runtime is only taken in Drop.
    std::process::abort()
}

/// Runs `f` on `rt`, from any thread: from inside another Tokio runtime, on a scoped helper
/// thread (a runtime cannot be blocked on from within one).
fn run_on<F: Future + Send>(rt: &tokio::runtime::Runtime, f: F) -> F::Output
where
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| match s.spawn(|| rt.block_on(f)).join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        })
    } else {
        rt.block_on(f)
    }
}

impl Backend for S3Backend {
    fn kind(&self) -> &'static str {
        "s3"
    }

    fn location(&self, workspace: &str) -> String {
        format!("s3://{}/{}", self.cfg.bucket, self.object_key(workspace))
    }

    fn get(&self, workspace: &str) -> Result<Option<State>> {
        self.run(self.get_async(workspace))
    }

    fn put(&self, workspace: &str, state: &State) -> Result<()> {
        let version = (state.lineage.clone(), state.serial);
        self.run(self.put_async(workspace, state.to_bytes(), Some(version)))
    }

    fn lock(&self, workspace: &str, info: &LockInfo) -> Result<String> {
        self.run(self.lock_async(workspace, info))
    }

    fn unlock(&self, workspace: &str, id: &str) -> Result<()> {
        self.run(self.unlock_async(workspace, id))
    }

    fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>> {
        self.run(async {
            match self.dynamo_holder(workspace).await? {
                Some(h) => Ok(Some(h)),
                None if self.cfg.use_lockfile => self.lockfile_holder(workspace).await,
                None => Ok(None),
            }
        })
    }

    fn workspaces(&self) -> Result<Vec<String>> {
        self.run(self.workspaces_async())
    }

    fn delete_workspace(&self, workspace: &str) -> Result<()> {
        if workspace == DEFAULT_WORKSPACE {
            return Err(Error::Other(
                "the default workspace cannot be deleted".into(),
            ));
        }
        self.run(async {
            let key = self.object_key(workspace);
            self.s3
                .delete_object()
                .bucket(&self.cfg.bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("S3 DeleteObject s3://{}/{key}", self.cfg.bucket),
                        &e,
                        &self.bucket_what(),
                    )
                })?;
            if let Some(table) = &self.cfg.dynamodb_table {
                let id = format!("{}-md5", self.lock_id(workspace));
                self.ddb
                    .delete_item()
                    .table_name(table)
                    .key("LockID", AttributeValue::S(id.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(format!("DynamoDB DeleteItem {id}"), &e, &self.table_what())
                    })?;
            }
            Ok(())
        })
    }

    fn persist_interval(&self) -> Duration {
        Duration::from_secs(5)
    }
}
