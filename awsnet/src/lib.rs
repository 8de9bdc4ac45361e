//! How sakk's AWS SDK clients use the network: the provider's service clients and the S3
//! backend's S3/DynamoDB clients all go through this crate.
//!
//! - [`timeout_config`]: a connect timeout and a read timeout (time to the first byte of the
//!   answer) on every attempt, so a blackholed address or a server that accepts and never answers
//!   ends an attempt instead of hanging it. Long AWS operations (EKS clusters, NAT gateways) are
//!   polling loops of short calls, so per-attempt timeouts do not cut them.
//! - [`NetGuard`], an interceptor installed on every client: the SDK's standard retry policy
//!   stays in force for throttling, 5xx and dropped connections (up to `max_retries`), but a call
//!   whose endpoint cannot be reached at all (connection refused, connect or read timeout, DNS,
//!   no route) stops retrying after [`UNREACHABLE_ATTEMPTS`] attempts or [`UNREACHABLE_BUDGET`],
//!   whichever comes first (an endpoint that answered before in this process gets
//!   [`WENT_AWAY_BUDGET`]; one found unreachable by another call less than [`DEAD_HOLD`] ago
//!   fails at once, later it gets a single attempt). So an unreachable endpoint fails a call
//!   within ~25 s instead of ~10 minutes of backoff.
//! - [`NetError`]: what the guard puts in place of such a failure (and of a credentials
//!   failure): one short paragraph naming the endpoint, the reason, the region and the credential
//!   source, with a hint; [`find`] gets it back out of an `SdkError`. No `Debug` dump.
//! - [`Net::wrap_credentials`] records which credential source the chain used (environment,
//!   profile, SSO, IMDS, ...), for those messages.

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, Error as OpError, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::SdkConfig;
use std::collections::{HashMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Time to establish a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time from sending a request to the first byte of its answer.
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);
/// Time for one whole attempt (credentials, signing, sending, reading the answer).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);
/// Attempts of a call whose endpoint never answered in this process.
pub const UNREACHABLE_ATTEMPTS: u32 = 3;
/// No new attempt of such a call once this much time has passed since its first attempt.
pub const UNREACHABLE_BUDGET: Duration = Duration::from_secs(8);
/// The same for an endpoint that answered earlier in this process (a blip is likelier).
pub const WENT_AWAY_BUDGET: Duration = Duration::from_secs(30);
/// For this long after a call found an endpoint unreachable, other calls to it fail at once
/// without being sent (a plan refreshing 200 objects does not wait 15 s for each); after it, a
/// call gets one attempt.
pub const DEAD_HOLD: Duration = Duration::from_secs(30);

/// The timeouts of every client: [`CONNECT_TIMEOUT`], [`READ_TIMEOUT`], [`ATTEMPT_TIMEOUT`].
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

/// The timeouts for a call that uploads `bytes` (the read timeout includes the upload): the
/// read timeout grows by one second per 64 KiB.
pub fn timeout_config_for_upload(bytes: usize) -> TimeoutConfig {
    let extra = Duration::from_secs((bytes / (64 * 1024)) as u64);
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT + extra)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT + extra)
        .build()
}

/// Timeouts and retries for a credentials provider's own calls (STS for `assume_role`): they run
/// inside the first attempt of a service call, so they get less time: 2 attempts, 10 s to the
/// first byte of an answer.
pub fn credentials_call_config() -> (TimeoutConfig, RetryConfig) {
    (
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(20))
            .build(),
        retry_config(2),
    )
}

/// The SDK's standard retry mode with `max_attempts` (throttling, 5xx, dropped connections),
/// exponential backoff with jitter from 200 ms to 20 s.
pub fn retry_config(max_attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(20))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Default)]
struct Shared {
    /// The profile named in the configuration, if any.
    profile: Option<String>,
    /// `assume_role`'s role ARN, if the credentials are an assumed role.
    role: Mutex<Option<String>>,
    /// The provider name of the last credentials the chain produced.
    source: Mutex<Option<String>>,
    /// Endpoints that answered (anything) in this process.
    reached: Mutex<HashSet<String>>,
    /// Endpoints whose last call failed because they could not be reached: when, and why.
    dead: Mutex<HashMap<String, (Instant, Reason)>>,
}

/// The network state of one set of clients (one provider configuration, one backend): which
/// credential source is in use, which endpoints answered or could not be reached.
#[derive(Debug, Clone, Default)]
pub struct Net {
    shared: Arc<Shared>,
}

impl Net {
    /// `profile`: the profile named in the configuration (else `AWS_PROFILE`, else "default").
    pub fn new(profile: Option<&str>) -> Net {
        Net {
            shared: Arc::new(Shared {
                profile: profile.map(str::to_string),
                ..Shared::default()
            }),
        }
    }

    /// The interceptor to install on every client of this set.
    pub fn guard(&self) -> NetGuard {
        NetGuard {
            shared: self.shared.clone(),
        }
    }

    /// `sdk` with its credentials provider wrapped so that the source of the credentials is
    /// recorded (for [`NetError`]s).
    pub fn wrap_credentials(&self, sdk: SdkConfig) -> SdkConfig {
        match sdk.credentials_provider() {
            Some(inner) => sdk
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(Recorder {
                    inner,
                    shared: self.shared.clone(),
                }))
                .build(),
            None => sdk,
        }
    }

    /// The credentials are `role_arn` assumed (the provider's `assume_role`).
    pub fn set_assumed_role(&self, role_arn: &str) {
        *lock(&self.shared.role) = Some(role_arn.to_string());
    }

    /// Where the credentials in use come from, for people.
    pub fn credential_source(&self) -> String {
        self.shared.credential_source()
    }
}

impl Shared {
    fn profile(&self) -> String {
        self.profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
            .unwrap_or_else(|| "default".to_string())
    }

    fn credential_source(&self) -> String {
        let name = lock(&self.source).clone();
        let role = lock(&self.role).clone();
        match (name.as_deref(), role) {
            (Some("AssumeRoleProvider"), Some(arn)) | (None, Some(arn)) => {
                format!("the assumed role {arn}")
            }
            (Some(n), _) => describe_provider(n, &self.profile()),
            (None, None) => "the default credential chain (not resolved yet)".to_string(),
        }
    }
}

/// A credentials provider's name (as `Credentials` carry it) described for people.
fn describe_provider(name: &str, profile: &str) -> String {
    match name {
        "EnvironmentVariable" => "environment variables (AWS_ACCESS_KEY_ID)".into(),
        "ProfileFile" => format!("profile \"{profile}\" of the shared config/credentials files"),
        "SSO" => format!("SSO (profile \"{profile}\")"),
        "CredentialProcess" => format!("credential_process (profile \"{profile}\")"),
        "AssumeRoleProvider" => format!("a role assumed by profile \"{profile}\""),
        "WebIdentityToken" => "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)".into(),
        "EcsContainer" => "ECS container credentials".into(),
        "IMDSv2" | "IMDS" => "EC2 instance metadata (IMDS)".into(),
        "Static" => "static credentials".into(),
        "Login" => format!("aws login (profile \"{profile}\")"),
        other if other.len() <= 40 && other.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("the {other} credentials provider")
        }
        _ => "the default credential chain".into(),
    }
}

/// The provider name of `creds`. `Credentials` has no getter for it, only its `Debug` form
/// (`Credentials { provider_name: "EnvironmentVariable", access_key_id: ..., secret_access_key:
/// "** redacted **", ... }`); only the name is taken from it, nothing else is kept.
fn provider_name(creds: &Credentials) -> Option<String> {
    let dbg = format!("{creds:?}");
    let rest = dbg.split_once("provider_name: \"")?.1;
    let name = rest.split('"').next()?;
    (!name.is_empty() && name.len() <= 40 && name.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| name.to_string())
}

#[derive(Debug)]
struct Recorder {
    inner: SharedCredentialsProvider,
    shared: Arc<Shared>,
}

impl ProvideCredentials for Recorder {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let r = self.inner.provide_credentials().await;
            if let Ok(c) = &r {
                if let Some(n) = provider_name(c) {
                    *lock(&self.shared.source) = Some(n);
                }
            }
            r
        })
    }

    fn fallback_on_interrupt(&self) -> Option<Credentials> {
        self.inner.fallback_on_interrupt()
    }
}

/// Why an endpoint could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Refused,
    ConnectTimeout(Option<Duration>),
    /// Connected (or sent), but no answer within the read timeout.
    NoResponse(Option<Duration>),
    AttemptTimeout(Option<Duration>),
    Dns(String),
    Unroutable(String),
    /// Another failure to connect (TLS handshake, proxy, ...).
    Connect(String),
}

fn secs(d: Option<Duration>) -> String {
    d.map(|d| format!(" after {}s", d.as_secs()))
        .unwrap_or_default()
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Refused => f.write_str("connection refused"),
            Reason::ConnectTimeout(d) => write!(f, "connect timed out{}", secs(*d)),
            Reason::NoResponse(d) => write!(f, "no response{}", secs(*d)),
            Reason::AttemptTimeout(d) => write!(f, "no complete response{}", secs(*d)),
            Reason::Dns(m) => write!(f, "DNS lookup failed: {m}"),
            Reason::Unroutable(m) => write!(f, "{m}"),
            Reason::Connect(m) => write!(f, "cannot connect: {m}"),
        }
    }
}

/// A credentials failure, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsProblem {
    /// No source of the chain had credentials (as opposed to one failing).
    pub none_found: bool,
    pub summary: String,
    pub detail: String,
    pub hint: String,
}

const NO_CREDENTIALS_HINT: &str = "set AWS_PROFILE (or `profile` in the configuration), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`";

/// Describes a credentials error: for "none found", the sources the chain tried; otherwise the
/// short reason (no `Debug`).
pub fn describe_credentials(e: &CredentialsError) -> CredentialsProblem {
    use aws_config::meta::ProviderChainError;
    let chain = chain(e)
        .find_map(|x| x.downcast_ref::<ProviderChainError<CredentialsError>>())
        .map(|c| {
            c.attempts()
                .iter()
                .map(|a| describe_attempt(a.name(), &short_chain(a.error(), 200)))
                .collect::<Vec<_>>()
        });
    match (e, chain) {
        // Also when a provider wrapping the chain (assume_role) failed because the chain had none.
        (CredentialsError::CredentialsNotLoaded(_), tried) | (_, tried @ Some(_)) => {
            let tried = tried.unwrap_or_else(|| {
                ["Environment", "Profile", "WebIdentityToken", "EcsContainer", "Ec2InstanceMetadata"]
                    .iter()
                    .map(|n| describe_attempt(n, ""))
                    .collect()
            });
            CredentialsProblem {
                none_found: true,
                summary: "no AWS credentials found".into(),
                detail: format!("tried {}", join_words(&tried)),
                hint: NO_CREDENTIALS_HINT.into(),
            }
        }
        (CredentialsError::ProviderTimedOut(_), _) => CredentialsProblem {
            none_found: false,
            summary: "loading AWS credentials timed out".into(),
            detail: short_chain(e, 300),
            hint: "check the network path to the credential source (SSO, STS, instance metadata), or set AWS_EC2_METADATA_DISABLED=true when not on EC2".into(),
        },
        _ => {
            let detail = short_chain(e, 300);
            let hint = if detail.contains("IMDS") {
                "not on EC2? set AWS_EC2_METADATA_DISABLED=true and give credentials another way (AWS_PROFILE, AWS_ACCESS_KEY_ID); on EC2, check the instance profile and the IMDS hop limit"
            } else {
                "check the profile's configuration (`aws configure list`), refresh the login (`aws sso login`) or pick another profile"
            };
            CredentialsProblem {
                none_found: false,
                summary: "cannot load AWS credentials".into(),
                detail,
                hint: hint.into(),
            }
        }
    }
}

fn describe_attempt(name: &str, why: &str) -> String {
    let why = why.to_ascii_lowercase();
    match name {
        "Environment" => "environment variables".into(),
        "Profile" => "shared config/credentials files (incl. SSO)".into(),
        "WebIdentityToken" => "web identity token".into(),
        "EcsContainer" => "ECS task credentials".into(),
        "Ec2InstanceMetadata" if why.contains("disabled") => {
            "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)".into()
        }
        "Ec2InstanceMetadata" => "EC2 instance metadata".into(),
        other => other.to_string(),
    }
}

fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `e` and its sources.
fn chain<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> + 'a {
    std::iter::successors(Some(e), |&x| x.source())
}

/// The messages of `e`'s chain joined with ": ", repeats and generic wrapper texts dropped,
/// cut to about `max` characters. `Display` only: no `Debug`.
pub fn short_chain(e: &(dyn StdError + 'static), max: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    for x in chain(e) {
        let s = x.to_string().replace('\n', " ");
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let s = s.as_str();
        if s.is_empty()
            || matches!(
                s,
                "dispatch failure" | "io error" | "other" | "timeout" | "user error"
            )
            || parts.last().is_some_and(|p| p == s || p.ends_with(s))
        {
            continue;
        }
        parts.push(s.to_string());
    }
    let mut out = parts.join(": ");
    if out.chars().count() > max {
        out = out.chars().take(max).collect::<String>() + "…";
    }
    out
}

/// What failed, as the guard classifies an attempt's error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    Unreachable(Reason),
    Credentials(CredentialsProblem),
}

/// Classifies an error chain: `None` when it is neither "cannot reach the endpoint" nor a
/// credentials failure (service errors, dropped connections, bad responses keep the SDK's
/// handling and messages).
fn classify(
    e: &(dyn StdError + 'static),
    attempt_timeout: bool,
    timeouts: Option<&TimeoutConfig>,
) -> Option<Failure> {
    let mut texts = Vec::new();
    let mut io_kind = None;
    let mut io_text = None;
    let mut dns = None;
    for x in chain(e) {
        if x.downcast_ref::<NetError>().is_some() {
            return None;
        }
        if let Some(c) = x.downcast_ref::<CredentialsError>() {
            return Some(Failure::Credentials(describe_credentials(c)));
        }
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
            io_text.get_or_insert(io.to_string());
        }
        if x.downcast_ref::<aws_smithy_runtime_api::client::dns::ResolveDnsError>()
            .is_some()
        {
            dns.get_or_insert(x.to_string());
        }
        texts.push(x.to_string());
    }
    let all = texts.join(": ");
    let last = texts.last().cloned().unwrap_or_default();
    if all.contains("identity resolver timed out") {
        return Some(Failure::Credentials(CredentialsProblem {
            none_found: false,
            summary: "loading AWS credentials timed out".into(),
            detail: last,
            hint: "check the network path to the credential source (SSO, STS, instance metadata), or set AWS_EC2_METADATA_DISABLED=true when not on EC2".into(),
        }));
    }
    use std::io::ErrorKind as K;
    let reason = match io_kind {
        Some(K::ConnectionRefused) => Reason::Refused,
        Some(K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable) => {
            Reason::Unroutable(io_text.unwrap_or(last))
        }
        _ if dns.is_some() || all.contains("dns error") || all.contains("lookup address") => {
            Reason::Dns(dns.unwrap_or(last))
        }
        _ if all.contains("connect timeout") => {
            Reason::ConnectTimeout(timeouts.and_then(|t| t.connect_timeout()))
        }
        _ if all.contains("read timeout") => {
            Reason::NoResponse(timeouts.and_then(|t| t.read_timeout()))
        }
        _ if all.contains("client error (Connect)") => Reason::Connect(last),
        _ if attempt_timeout => {
            Reason::AttemptTimeout(timeouts.and_then(|t| t.operation_attempt_timeout()))
        }
        _ => return None,
    };
    Some(Failure::Unreachable(reason))
}

/// A call not sent: its endpoint failed another call moments ago.
#[derive(Debug)]
struct KnownUnreachable {
    reason: Reason,
    ago: Duration,
}

impl fmt::Display for KnownUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not sent: the endpoint failed another call {:.0}s ago ({})",
            self.ago.as_secs_f64(),
            self.reason
        )
    }
}

impl StdError for KnownUnreachable {}

fn known_unreachable<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a KnownUnreachable> {
    chain(e).find_map(|x| x.downcast_ref::<KnownUnreachable>())
}

/// Classifies an attempt's or operation's error (see [`classify`]).
fn classify_orchestrator(e: &OrchestratorError<OpError>, cfg: &ConfigBag) -> Option<Failure> {
    if e.is_interceptor_error() {
        return known_unreachable(e).map(|k| Failure::Unreachable(k.reason.clone()));
    }
    if e.is_operation_error() || e.is_response_error() {
        return None;
    }
    classify(e, e.is_timeout_error(), cfg.load::<TimeoutConfig>())
}

/// A call that could not reach its endpoint, or could not get credentials: what the guard puts
/// in place of the SDK's error (which stays as the source). Its `Display` is one line with the
/// endpoint, the reason, the region and the credential source.
#[derive(Debug)]
pub struct NetError {
    failure: Failure,
    /// "S3 CreateBucket".
    operation: String,
    endpoint: Option<String>,
    region: Option<String>,
    credentials: String,
    attempts: u32,
    elapsed: Duration,
    /// Not sent: another call found the endpoint unreachable this long ago.
    skipped: Option<Duration>,
    source: BoxError,
}

impl NetError {
    /// True when credentials were the problem (not the network).
    pub fn is_credentials(&self) -> bool {
        matches!(self.failure, Failure::Credentials(_))
    }

    /// A code in the style of AWS's: `ConnectionError`, `Timeout`, `NoCredentials`,
    /// `CredentialsError`.
    pub fn code(&self) -> &'static str {
        match &self.failure {
            Failure::Unreachable(
                Reason::ConnectTimeout(_) | Reason::NoResponse(_) | Reason::AttemptTimeout(_),
            ) => "Timeout",
            Failure::Unreachable(_) => "ConnectionError",
            Failure::Credentials(c) if c.none_found => "NoCredentials",
            Failure::Credentials(_) => "CredentialsError",
        }
    }

    /// Whether the request cannot have reached AWS: credentials were missing, or no connection
    /// was made (refused, no such host, unroutable, TLS/proxy failure). A timeout after
    /// connecting is not: AWS may have acted.
    pub fn never_sent(&self) -> bool {
        match &self.failure {
            Failure::Credentials(_) => true,
            Failure::Unreachable(r) => matches!(
                r,
                Reason::Refused | Reason::Dns(_) | Reason::Unroutable(_) | Reason::Connect(_)
            ),
        }
    }

    /// The endpoint the call went to (`https://s3.us-east-1.amazonaws.com`), when it got that far.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The SDK operation ("S3 CreateBucket"), when known.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// "cannot reach the AWS endpoint http://127.0.0.1:1 (connection refused)", "no AWS
    /// credentials found".
    pub fn summary(&self) -> String {
        match &self.failure {
            Failure::Unreachable(r) => match &self.endpoint {
                Some(ep) => format!("cannot reach the AWS endpoint {ep} ({r})"),
                None => format!("cannot reach AWS ({r})"),
            },
            Failure::Credentials(c) => c.summary.clone(),
        }
    }

    /// Region, credential source and attempts; for credentials, what was tried or what failed.
    pub fn detail(&self) -> String {
        let region = self.region.as_deref().unwrap_or("(none)");
        match &self.failure {
            Failure::Unreachable(_) if self.skipped.is_some() => format!(
                "region {region}, credentials from {}; not sent: another call found this endpoint unreachable {:.0}s ago",
                self.credentials,
                self.skipped.unwrap_or_default().as_secs_f64()
            ),
            Failure::Unreachable(_) => format!(
                "region {region}, credentials from {}; gave up after {} attempt{} in {:.1}s",
                self.credentials,
                self.attempts,
                if self.attempts == 1 { "" } else { "s" },
                self.elapsed.as_secs_f64()
            ),
            Failure::Credentials(c) => c.detail.clone(),
        }
    }

    /// What to check.
    pub fn hint(&self) -> String {
        match &self.failure {
            Failure::Unreachable(_) => "check AWS_ENDPOINT_URL and any endpoint override in the configuration, the network (DNS, proxy, firewall) and the region".into(),
            Failure::Credentials(c) => c.hint.clone(),
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operation.is_empty() {
            write!(f, "{}; {}", self.summary(), self.detail())
        } else {
            write!(
                f,
                "{} during {}; {}",
                self.summary(),
                self.operation,
                self.detail()
            )
        }
    }
}

impl StdError for NetError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

/// The [`NetError`] in `e`'s chain, if the guard put one there.
pub fn find<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a NetError> {
    chain(e).find_map(|x| x.downcast_ref::<NetError>())
}

/// Per-operation record kept in the operation's config bag.
#[derive(Debug, Clone)]
struct OpState {
    started: Instant,
    endpoint: Option<String>,
}

impl Storable for OpState {
    type Storer = StoreReplace<Self>;
}

/// `scheme://host[:port]` of a request URI (no user info, path or query).
fn endpoint_of(uri: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("", uri));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() {
        authority.to_string()
    } else {
        format!("{scheme}://{authority}")
    }
}

/// The interceptor of [`Net`]: bounds the retries of calls that cannot reach their endpoint
/// and replaces their error (and credentials errors) with a [`NetError`].
#[derive(Debug, Clone)]
pub struct NetGuard {
    shared: Arc<Shared>,
}

impl NetGuard {
    fn op_state(cfg: &ConfigBag) -> Option<OpState> {
        cfg.load::<OpState>().cloned()
    }
}

impl Intercept for NetGuard {
    fn name(&self) -> &'static str {
        "sakk.NetGuard"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(OpState {
            started: Instant::now(),
            endpoint: None,
        });
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut st = Self::op_state(cfg).unwrap_or(OpState {
            started: Instant::now(),
            endpoint: None,
        });
        let ep = endpoint_of(context.request().uri());
        st.endpoint = Some(ep.clone());
        cfg.interceptor_state().store_put(st);
        if let Some((when, reason)) = lock(&self.shared.dead).get(&ep) {
            let ago = when.elapsed();
            if ago < DEAD_HOLD {
                return Err(Box::new(KnownUnreachable {
                    reason: reason.clone(),
                    ago,
                }));
            }
        }
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // An answer came: the endpoint is reachable.
        if let Some(ep) = Self::op_state(cfg).and_then(|s| s.endpoint) {
            lock(&self.shared.dead).remove(&ep);
            lock(&self.shared.reached).insert(ep);
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(err)) = context.output_or_error() else {
            return Ok(());
        };
        let Some(Failure::Unreachable(_)) = classify_orchestrator(err, cfg) else {
            return Ok(());
        };
        let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let st = Self::op_state(cfg);
        let elapsed = st.as_ref().map_or(Duration::ZERO, |s| s.started.elapsed());
        let ep = st.and_then(|s| s.endpoint).unwrap_or_default();
        let stop = if lock(&self.shared.dead).contains_key(&ep) {
            true
        } else if lock(&self.shared.reached).contains(&ep) {
            elapsed >= WENT_AWAY_BUDGET
        } else {
            attempts >= UNREACHABLE_ATTEMPTS || elapsed >= UNREACHABLE_BUDGET
        };
        if stop {
            // The standard retry strategy reads the retry config from the bag on every decision:
            // capping this operation's max attempts at the attempts made ends its retries.
            if let Some(rc) = cfg.load::<RetryConfig>().cloned() {
                cfg.interceptor_state()
                    .store_put(rc.with_max_attempts(attempts));
            }
        }
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let failure = match context.output_or_error() {
            Some(Err(err)) => classify_orchestrator(err, cfg),
            _ => None,
        };
        let Some(failure) = failure else {
            return Ok(());
        };
        let st = Self::op_state(cfg);
        let endpoint = st.as_ref().and_then(|s| s.endpoint.clone());
        let skipped = match context.output_or_error() {
            Some(Err(err)) => known_unreachable(err).map(|k| k.ago),
            _ => None,
        };
        if let (Failure::Unreachable(r), Some(ep), None) = (&failure, &endpoint, skipped) {
            lock(&self.shared.reached).remove(ep);
            lock(&self.shared.dead).insert(ep.clone(), (Instant::now(), r.clone()));
        }
        let operation = cfg
            .load::<Metadata>()
            .map(|m| format!("{} {}", m.service(), m.name()))
            .unwrap_or_default();
        let region = cfg.load::<Region>().map(|r| r.to_string());
        let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let elapsed = st.map_or(Duration::ZERO, |s| s.started.elapsed());
        let credentials = self.shared.credential_source();
        let Some(slot) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Err(err) = slot else {
            return Ok(());
        };
        let old = std::mem::replace(err, OrchestratorError::other("(replaced by sakk.NetGuard)"));
        // Keep the kind of error (timeout, I/O, ...) for anyone who looks at it.
        enum Kind {
            Timeout,
            Connector(fn(BoxError) -> ConnectorError),
            ConnectorOther(Option<aws_smithy_types::retry::ErrorKind>),
            Other,
        }
        let kind = if old.is_timeout_error() {
            Kind::Timeout
        } else if let Some(c) = old.as_connector_error() {
            if c.is_timeout() {
                Kind::Connector(ConnectorError::timeout)
            } else if c.is_io() {
                Kind::Connector(ConnectorError::io)
            } else if c.is_user() {
                Kind::Connector(ConnectorError::user)
            } else {
                Kind::ConnectorOther(c.as_other())
            }
        } else {
            Kind::Other
        };
        let net: BoxError = Box::new(NetError {
            failure,
            operation,
            endpoint,
            region,
            credentials,
            attempts,
            elapsed,
            skipped,
            source: Box::new(old),
        });
        *err = match kind {
            Kind::Timeout => OrchestratorError::timeout(net),
            Kind::Connector(f) => OrchestratorError::connector(f(net)),
            Kind::ConnectorOther(k) => OrchestratorError::connector(ConnectorError::other(net, k)),
            Kind::Other => OrchestratorError::other(net),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_scheme_host_and_port_only() {
        assert_eq!(
            endpoint_of("http://127.0.0.1:9/bucket?x-id=CreateBucket"),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            endpoint_of("https://user:pw@s3.us-east-1.amazonaws.com/"),
            "https://s3.us-east-1.amazonaws.com"
        );
        assert_eq!(endpoint_of("localhost:4566"), "localhost:4566");
    }

    #[test]
    fn provider_name_comes_from_debug_without_secrets() {
        let c = Credentials::new("AKIDEXAMPLE", "s3cr3t", None, None, "EnvironmentVariable");
        assert_eq!(provider_name(&c).as_deref(), Some("EnvironmentVariable"));
        assert!(describe_provider("EnvironmentVariable", "default").contains("environment"));
        assert!(describe_provider("SSO", "dev").contains("\"dev\""));
    }

    #[test]
    fn refused_and_timeouts_are_unreachable() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            classify(&refused, false, None),
            Some(Failure::Unreachable(Reason::Refused))
        );
        #[derive(Debug)]
        struct T(&'static str);
        impl fmt::Display for T {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl StdError for T {}
        let t = timeout_config();
        assert_eq!(
            classify(&T("HTTP read timeout occurred after 15s"), false, Some(&t)),
            Some(Failure::Unreachable(Reason::NoResponse(Some(READ_TIMEOUT))))
        );
        assert_eq!(
            classify(
                &T("HTTP connect timeout occurred after 5s"),
                false,
                Some(&t)
            ),
            Some(Failure::Unreachable(Reason::ConnectTimeout(Some(
                CONNECT_TIMEOUT
            ))))
        );
        // A dropped connection is the SDK's business (retried as usual).
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(classify(&reset, false, None), None);
        assert_eq!(
            classify(
                &T("connection closed before message completed"),
                false,
                None
            ),
            None
        );
    }

    #[test]
    fn missing_credentials_name_the_sources() {
        let e = CredentialsError::not_loaded("no credentials");
        let p = describe_credentials(&e);
        assert!(p.none_found);
        for s in [
            "environment",
            "config/credentials files",
            "SSO",
            "instance metadata",
        ] {
            assert!(p.detail.contains(s), "{s}: {}", p.detail);
        }
    }

    #[test]
    fn short_chain_drops_wrappers_and_cuts() {
        let io = std::io::Error::other("x".repeat(500));
        let s = short_chain(&io, 100);
        assert!(s.chars().count() <= 101, "{s}");
    }
}
