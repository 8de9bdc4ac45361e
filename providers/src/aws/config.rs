//! The `provider "aws"` block and the SDK clients built from it.
//!
//! Credentials come from the standard chain of `aws-config` (environment, shared profile, SSO,
//! web identity, container and instance metadata), optionally wrapped in an `assume_role`.
//! `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) are honoured by
//! `aws-config`; the `endpoints { }` block overrides them per service. Every client uses the SDK's
//! standard retry strategy (exponential backoff with jitter for throttling, 5xx and transient
//! connection errors), the timeouts and the unreachable-endpoint bound of [`awsnet`] (connect
//! 5 s, first byte 15 s; an endpoint that cannot be reached fails the call in well under 30 s,
//! with an error naming the endpoint, region and credential source), and a
//! [`RetryObserver`](super::retry::RetryObserver) that lets creates tell "already exists because
//! our own earlier attempt went through" from a real conflict.

use super::retry::RetryObserver;
use super::value::{opt_str, str_map, Obj};
use aws_config::BehaviorVersion;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, Block, Nesting, ProviderError, ProviderResult, Schema};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The services whose endpoint can be overridden in `endpoints { }`.
pub const ENDPOINT_SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "iam",
    "ec2",
    "eks",
    "route53",
    "cognitoidp",
    "sts",
];

/// The schema of the `provider "aws" { }` block (as in the Terraform AWS provider).
pub fn config_schema() -> Schema {
    let mut endpoints = Schema::new();
    for s in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(
            s,
            Attribute::optional(Type::String).describe("Endpoint URL override for this service"),
        );
    }
    Schema::new()
        .attr(
            "region",
            Attribute::optional(Type::String)
                .describe("AWS region; defaults to AWS_REGION / the profile's region"),
        )
        .attr(
            "profile",
            Attribute::optional(Type::String).describe("Shared config/credentials profile"),
        )
        .attr(
            "alias",
            Attribute::optional(Type::String).describe("Name of this provider configuration"),
        )
        .attr(
            "max_retries",
            Attribute::optional(Type::Number)
                .describe("Maximum attempts per API call (throttling, 5xx, dropped connections); default 25. An endpoint that cannot be reached at all gets at most 3 attempts"),
        )
        .block(
            "assume_role",
            Block {
                nesting: Nesting::Single,
                schema: Schema::new()
                    .attr("role_arn", Attribute::required(Type::String))
                    .attr("session_name", Attribute::optional(Type::String))
                    .attr("external_id", Attribute::optional(Type::String).sensitive()),
                min_items: 0,
                max_items: 1,
                force_new: false,
            },
        )
        .block(
            "default_tags",
            Block {
                nesting: Nesting::Single,
                schema: Schema::new().attr(
                    "tags",
                    Attribute::optional(Type::map(Type::String))
                        .describe("Tags added to every taggable resource"),
                ),
                min_items: 0,
                max_items: 1,
                force_new: false,
            },
        )
        .block(
            "endpoints",
            Block {
                nesting: Nesting::Single,
                schema: endpoints,
                min_items: 0,
                max_items: 1,
                force_new: false,
            },
        )
}

/// The provider block, decoded.
#[derive(Debug, Clone, Default)]
pub struct AwsConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub alias: Option<String>,
    pub max_attempts: u32,
    pub assume_role: Option<AssumeRole>,
    pub default_tags: BTreeMap<String, String>,
    /// service name (see [`ENDPOINT_SERVICES`]) -> URL
    pub endpoints: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

impl std::fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "(sensitive)"),
            )
            .finish()
    }
}

impl AwsConfig {
    /// Decodes the provider block's value (an object of [`config_schema`]'s type; a null or
    /// empty object is the implicit `provider "aws" {}`).
    pub fn from_value(v: &Value) -> ProviderResult<AwsConfig> {
        let o = Obj(v);
        let max_attempts = match o.i64("max_retries") {
            None => 25,
            Some(n) if (1..=100).contains(&n) => n as u32,
            Some(n) => {
                return Err(ProviderError::new("Invalid provider configuration")
                    .detail(format!("max_retries is {n}"))
                    .attribute("max_retries")
                    .hint("use a number between 1 and 100"))
            }
        };
        let assume_role = match o.block("assume_role") {
            Some(b) => {
                let b = Obj(b);
                let role_arn = b.str("role_arn").ok_or_else(|| {
                    ProviderError::new("Invalid provider configuration")
                        .detail("assume_role needs role_arn")
                        .attribute("assume_role.role_arn")
                        .hint("set role_arn to the ARN of the role to assume")
                })?;
                Some(AssumeRole {
                    role_arn,
                    session_name: b.str("session_name"),
                    external_id: b.str("external_id"),
                })
            }
            None => None,
        };
        let default_tags = o
            .block("default_tags")
            .map(|b| str_map(b.get_attr("tags")))
            .unwrap_or_default();
        let mut endpoints = BTreeMap::new();
        if let Some(b) = o.block("endpoints") {
            for s in ENDPOINT_SERVICES {
                if let Some(url) = opt_str(b.get_attr(s)) {
                    endpoints.insert(s.to_string(), url);
                }
            }
        }
        Ok(AwsConfig {
            region: o.str("region"),
            profile: o.str("profile"),
            alias: o.str("alias"),
            max_attempts,
            assume_role,
            default_tags,
            endpoints,
        })
    }
}

/// The shared SDK configuration and lazily built per-service clients.
///
/// Other service modules add their client the same way, in their own file:
///
/// ```text
/// impl Clients {
///     pub fn ec2(&self) -> &aws_sdk_ec2::Client {
///         crate::aws_client!(self, ec2, aws_sdk_ec2, "ec2")
///     }
/// }
/// ```
/// (with a `pub ec2: OnceLock<aws_sdk_ec2::Client>` field added to [`Clients`]).
#[derive(Debug)]
pub struct Clients {
    pub sdk: aws_config::SdkConfig,
    pub region: String,
    pub endpoints: BTreeMap<String, String>,
    /// Timeouts' and errors' state: credential source, endpoints reached or not.
    pub net: awsnet::Net,
    pub s3: OnceLock<aws_sdk_s3::Client>,
    pub dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    pub iam: OnceLock<aws_sdk_iam::Client>,
    pub route53: OnceLock<aws_sdk_route53::Client>,
    pub sts: OnceLock<aws_sdk_sts::Client>,
    pub ec2: OnceLock<aws_sdk_ec2::Client>,
    pub eks: OnceLock<aws_sdk_eks::Client>,
    pub cognitoidp: OnceLock<aws_sdk_cognitoidentityprovider::Client>,
}

/// Builds (once) and returns the client of one service: `aws_client!(clients, field, crate, "svc")`.
/// Applies the endpoint override of `endpoints { svc = ... }`, the retry observer and the
/// network guard ([`awsnet::NetGuard`]).
#[macro_export]
macro_rules! aws_client {
    ($clients:expr, $field:ident, $krate:ident, $svc:expr) => {{
        let c: &$crate::aws::config::Clients = $clients;
        c.$field.get_or_init(|| {
            let mut b = $krate::config::Builder::from(&c.sdk)
                .interceptor($crate::aws::retry::RetryObserver)
                .interceptor(c.net.guard());
            if let Some(url) = c.endpoint($svc) {
                b = b.endpoint_url(url);
            }
            $krate::Client::from_conf(b.build())
        })
    }};
}

impl Clients {
    /// Loads credentials and region through the standard chain.
    pub async fn load(cfg: &AwsConfig) -> ProviderResult<Clients> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(awsnet::retry_config(cfg.max_attempts))
            .timeout_config(awsnet::timeout_config());
        if let Some(r) = &cfg.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &cfg.profile {
            loader = loader.profile_name(p);
        }
        let mut sdk = loader.load().await;
        let region = match sdk.region() {
            Some(r) => r.to_string(),
            None => {
                return Err(ProviderError::new("No AWS region")
                    .detail("the provider block sets no region and none was found in the environment or profile")
                    .attribute("region")
                    .hint("set `region` in the provider \"aws\" block, or AWS_REGION"))
            }
        };
        let net = awsnet::Net::new(cfg.profile.as_deref());
        if let Some(ar) = &cfg.assume_role {
            // STS is called while a service call waits for credentials: bounded tighter.
            let (timeouts, retries) = awsnet::credentials_call_config();
            let sts = sdk
                .clone()
                .into_builder()
                .timeout_config(timeouts)
                .retry_config(retries)
                .build();
            let mut b = aws_config::sts::AssumeRoleProvider::builder(ar.role_arn.clone())
                .configure(&sts)
                .session_name(
                    ar.session_name
                        .clone()
                        .unwrap_or_else(|| "sakk".to_string()),
                );
            if let Some(x) = &ar.external_id {
                b = b.external_id(x.clone());
            }
            let provider = b.build().await;
            sdk = sdk
                .into_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                )
                .build();
            net.set_assumed_role(&ar.role_arn);
        }
        let sdk = net.wrap_credentials(sdk);
        Ok(Clients {
            sdk,
            region,
            endpoints: cfg.endpoints.clone(),
            net,
            s3: OnceLock::new(),
            dynamodb: OnceLock::new(),
            iam: OnceLock::new(),
            route53: OnceLock::new(),
            sts: OnceLock::new(),
            ec2: OnceLock::new(),
            eks: OnceLock::new(),
            cognitoidp: OnceLock::new(),
        })
    }

    /// The endpoint override for a service from `endpoints { }`, if any.
    pub fn endpoint(&self, service: &str) -> Option<String> {
        self.endpoints.get(service).cloned()
    }

    /// True when any endpoint override is in force (moto, LocalStack): S3 then uses path-style
    /// addressing.
    pub fn custom_endpoint(&self, service: &str) -> bool {
        self.endpoints.contains_key(service)
            || self.sdk.endpoint_url().is_some()
            || std::env::var_os(format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase()))
                .is_some()
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            let mut b = aws_sdk_s3::config::Builder::from(&self.sdk)
                .interceptor(RetryObserver)
                .interceptor(self.net.guard());
            if let Some(url) = self.endpoint("s3") {
                b = b.endpoint_url(url);
            }
            if self.custom_endpoint("s3") {
                b = b.force_path_style(true);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        })
    }
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        crate::aws_client!(self, dynamodb, aws_sdk_dynamodb, "dynamodb")
    }
    pub fn iam(&self) -> &aws_sdk_iam::Client {
        crate::aws_client!(self, iam, aws_sdk_iam, "iam")
    }
    pub fn route53(&self) -> &aws_sdk_route53::Client {
        crate::aws_client!(self, route53, aws_sdk_route53, "route53")
    }
    pub fn sts(&self) -> &aws_sdk_sts::Client {
        crate::aws_client!(self, sts, aws_sdk_sts, "sts")
    }
}
