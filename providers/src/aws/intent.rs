//! Crash safety of creates: how every AWS type finds the object of a create that was cut off
//! (sakk killed between the call and the state write, or a response lost after AWS acted).
//!
//! The engine records an intent (the address and the operation's idempotency token) in the state
//! before each create, and reuses the token when the create is tried again. Each type says how
//! its objects are found by that token ([`Recovery`]) and implements
//! [`super::resource::Resource::find_id`]; the plan adopts what it finds instead of creating a
//! twin. Within one run, [`create_once`] sends a create that AWS does not make idempotent once
//! per attempt (an SDK retry of a lost `CreateVpc` would make a second VPC) and looks the object
//! up by its token after every failure before trying again.

use super::error::{aws_error, code_of};
use super::resource::Ctx;
use super::retry;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::provider::{token_time, ProviderError, ProviderResult};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// The tag a create writes with its token where the API tags on create (never shown in `tags`
/// or `tags_all`, never removed by an update).
pub const INTENT_TAG: &str = "sakk:intent";

/// How a type finds the object of a cut-off create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The create sends the operation's token as the API's idempotency token (`ClientToken`,
    /// `CallerReference`, `clientRequestToken`): a repeated call returns the same object, and
    /// the object is found by the token.
    Token,
    /// The create tags the object with [`INTENT_TAG`] = token; a filtered list call finds it.
    Tag,
    /// The object has a unique name or natural key: an existing one is adopted when its intent
    /// tag, its creation time or its settings say this create made it; otherwise the plan stops
    /// with an error naming it and the import command.
    Name,
    /// Repeating the create is harmless (a PUT of settings, an attachment): nothing to find.
    Idempotent,
}

/// Attempts of one create in one run (each followed, on failure, by a lookup by token).
const CREATE_ATTEMPTS: u32 = 4;

impl Ctx<'_> {
    /// This operation's idempotency token ("" outside an apply).
    pub fn token(&self) -> &str {
        &self.op.idempotency_token
    }

    /// Tags to send with a create: default tags, the resource's tags and [`INTENT_TAG`].
    pub fn create_tags(&self, planned: &engine::lang::value::Value) -> BTreeMap<String, String> {
        let mut tags = self.tags_all(planned);
        if !self.token().is_empty() {
            tags.insert(INTENT_TAG.to_string(), self.token().to_string());
        }
        tags
    }

    /// Whether AWS's tags of an object say this operation's create made it: Some(true) for our
    /// token, Some(false) for another create's, None when the object has no intent tag.
    pub fn tagged_ours(&self, tags: &BTreeMap<String, String>) -> Option<bool> {
        tags.get(INTENT_TAG).map(|t| t == self.token())
    }

    /// Whether an object created at `created` can be the one this operation's create made: not
    /// older than the token (a minute of clock skew allowed).
    pub fn created_since_token(&self, created: SystemTime) -> bool {
        match token_time(self.token()) {
            Some(t) => created + Duration::from_secs(60) >= t,
            None => false,
        }
    }

    /// Whether a named object is the one this operation's create made: its intent tag says so,
    /// or (no intent tag: killed before tagging, or an API that cannot tag) it was created
    /// after the token was drawn.
    pub fn ours(&self, tags: &BTreeMap<String, String>, created: Option<SystemTime>) -> bool {
        match self.tagged_ours(tags) {
            Some(ours) => ours,
            None => created.is_some_and(|c| self.created_since_token(c)),
        }
    }

    /// The error for an object that holds the name a cut-off create would have used, but that
    /// nothing says the create made.
    pub fn not_ours(&self, what: &str, name: &str, import_id: &str) -> ProviderError {
        ProviderError::new(format!(
            "{}: a {what} named {name:?} already exists, and nothing says the interrupted create made it",
            self.address()
        ))
        .detail(format!(
            "a previous apply was cut off while creating this object; the {what} found under its name carries no {INTENT_TAG} tag of that create and was created before it"
        ))
        .hint(format!(
            "if it is the object this configuration describes, adopt it with `sakk import {} {import_id}` (then run sakk apply again); otherwise give the resource another name",
            if self.address().contains('.') { self.address() } else { "ADDRESS" }
        ))
    }

    /// A create AWS does not make idempotent: `send` is tried up to [`CREATE_ATTEMPTS`] times
    /// with the SDK's own retries off (a retried lost create would make a twin); after each
    /// failure `find` looks for what a lost attempt made (by this operation's token), which is
    /// adopted. A failure that is not transient (validation, conflict) ends the attempts.
    pub async fn create_once<T, E, S, SF, F, FF>(
        &self,
        op: &str,
        mut send: S,
        mut find: F,
    ) -> ProviderResult<T>
    where
        S: FnMut() -> SF,
        SF: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        F: FnMut() -> FF,
        FF: Future<Output = ProviderResult<Option<T>>>,
    {
        let mut delay = Duration::from_millis(400);
        let mut attempt = 1;
        loop {
            let e = match retry::once(send()).await {
                Ok(t) => return Ok(t),
                Err(e) => e,
            };
            // The call may have acted with its response lost: what it made carries our token.
            // (A lookup that fails or finds another object leaves the create's own error.)
            if let Ok(Some(t)) = find().await {
                return Ok(t);
            }
            if attempt >= CREATE_ATTEMPTS || !transient(&e) {
                return Err(aws_error(op, self.address(), &e));
            }
            self.progress(&format!(
                "{op} failed ({}), nothing was created: trying again",
                code_of(&e).unwrap_or("connection error")
            ));
            tokio::time::sleep(delay).await;
            delay *= 2;
            attempt += 1;
        }
    }
}

impl Ctx<'_> {
    /// [`Ctx::create_once`] of a create whose answer is the new object's ID, looked up after a
    /// failure by `find` (the type's `find_id`); an answer without an ID is an error.
    pub async fn create_id<E, S, SF, F, FF>(
        &self,
        op: &str,
        send: S,
        mut find: F,
    ) -> ProviderResult<String>
    where
        S: FnMut() -> SF,
        SF: Future<Output = Result<Option<String>, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        F: FnMut() -> FF,
        FF: Future<Output = ProviderResult<Option<String>>>,
    {
        let lookup = || {
            let found = find();
            async move { Ok(found.await?.map(Some)) }
        };
        self.create_once(op, send, lookup)
            .await?
            .ok_or_else(|| ProviderError::new(format!("{}: {op} returned no ID", self.address())))
    }
}

/// AWS error codes that mean "try again later".
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "ServiceUnavailable",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
];

/// Whether a failed call may succeed when sent again: throttling, 5xx, timeouts, connections
/// that failed or were cut.
pub fn transient<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(se) => {
            se.raw().status().as_u16() >= 500 || code_of(e).is_some_and(|c| THROTTLING.contains(&c))
        }
        _ => false,
    }
}

/// An AWS timestamp as a `SystemTime` (None when out of range).
pub fn system_time(t: &aws_smithy_types::DateTime) -> Option<SystemTime> {
    SystemTime::try_from(*t).ok()
}

/// The one object a cut-off create made, from the IDs the intent filter found. Several can
/// only come from an emulator or a tag copied by hand: an error naming them.
pub fn one_found(cx: &Ctx<'_>, what: &str, ids: Vec<String>) -> ProviderResult<Option<String>> {
    match ids.len() {
        0 | 1 => Ok(ids.into_iter().next()),
        _ => Err(ProviderError::new(format!(
            "{}: {} {what}s carry the intent tag of one create",
            cx.address(),
            ids.len()
        ))
        .detail(format!("{INTENT_TAG} = {}: {}", cx.token(), ids.join(", ")))
        .hint("keep the one this configuration describes (`sakk import`), delete the others")),
    }
}
