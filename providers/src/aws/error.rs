//! AWS errors as [`ProviderError`]s: the operation, the resource address, the AWS error code and
//! message, and what to check. Credentials never appear: messages come from the service's error
//! body or the SDK's error chain (its `Display` only, never `Debug`), neither of which carries
//! secrets. A call that could not reach its endpoint or get credentials carries an
//! [`awsnet::NetError`] (endpoint, reason, region, credential source), shown as it is.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::provider::ProviderError;

/// The code and message of an SDK error, with a code made up from the failure kind when AWS
/// sent none (HEAD requests, connection failures).
pub fn code_and_message<E>(e: &SdkError<E, HttpResponse>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = http_status(e);
    if let Some(c) = e.code() {
        let msg = e
            .message()
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {}", status.unwrap_or(0)));
        return (c.to_string(), msg);
    }
    if let Some(n) = awsnet::find(e) {
        return (n.code().to_string(), n.to_string());
    }
    let full = scrub(&awsnet::short_chain(e, 400));
    let code = match e {
        SdkError::ServiceError(_) => match status {
            Some(400) => "BadRequest",
            Some(403) => "AccessDenied",
            Some(404) => "NotFound",
            Some(s) if s >= 500 => "InternalError",
            _ => "ServiceError",
        },
        SdkError::TimeoutError(_) => "Timeout",
        _ if full.contains("credentials") || full.contains("Credentials") => "NoCredentials",
        SdkError::DispatchFailure(_) => "ConnectionError",
        _ => "RequestError",
    };
    let msg = match e {
        SdkError::ServiceError(_) => format!("HTTP {}", status.unwrap_or(0)),
        _ => full,
    };
    (code.to_string(), msg)
}

fn http_status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    match e {
        SdkError::ServiceError(se) => Some(se.raw().status().as_u16()),
        SdkError::ResponseError(re) => Some(re.raw().status().as_u16()),
        _ => None,
    }
}

/// Drops anything that looks like a header dump from an error chain (defence in depth: the
/// SDK's Display does not include headers, but a signature or token must never print).
fn scrub(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split(": ") {
        let lower = part.to_ascii_lowercase();
        if lower.contains("authorization")
            || lower.contains("x-amz-security-token")
            || lower.contains("secret")
        {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(part);
    }
    out
}

/// The error code of an SDK error, when AWS sent one.
pub fn code_of<E, R>(e: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match e {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

/// Whether an SDK error is one of the given AWS codes.
pub fn is_code<E, R>(e: &SdkError<E, R>, codes: &[&str]) -> bool
where
    E: ProvideErrorMetadata,
{
    code_of(e).is_some_and(|c| codes.contains(&c))
}

/// An AWS error in a resource operation: "`op` failed for `address`: Code: message", with a hint.
pub fn aws_error<E>(op: &str, address: &str, e: &SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(n) = awsnet::find(e) {
        // The engine puts the address in front of the summary already.
        return ProviderError::new(format!("{} during {op}", n.summary()))
            .detail(n.detail())
            .hint(n.hint())
            .not_sent(n.never_sent());
    }
    let (code, message) = code_and_message(e);
    ProviderError::new(format!("{address}: AWS {op} failed"))
        .detail(format!("{code}: {message}"))
        .hint(hint_for(&code, op))
}

/// What to check for an AWS error code.
pub fn hint_for(code: &str, op: &str) -> String {
    let c = code.to_ascii_lowercase();
    if c.contains("accessdenied")
        || c == "unauthorizedoperation"
        || c == "forbidden"
        || c == "authorizationerror"
    {
        return format!(
            "the credentials in use are not allowed to call {op}: check the IAM policy of the role or user (see `aws sts get-caller-identity`), any permission boundary and SCP"
        );
    }
    if matches!(
        code,
        "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
    ) {
        return "the AWS credentials are invalid or expired: refresh them (aws sso login, new keys) or pick another profile".into();
    }
    if code == "NoCredentials" {
        return "no AWS credentials were found: set AWS_PROFILE (or `profile` in the provider block), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`".into();
    }
    if c.contains("limitexceeded")
        || c.contains("quota")
        || c == "toomanybuckets"
        || c.contains("toomany")
    {
        return "an account quota is reached: check the service quotas for this region (Service Quotas console) or remove unused resources".into();
    }
    if c.contains("throttl")
        || c == "slowdown"
        || c == "requestlimitexceeded"
        || c == "priorrequestnotcomplete"
    {
        return "AWS kept throttling after every retry: lower --parallelism or raise max_retries in the provider block".into();
    }
    if matches!(code, "ConnectionError" | "Timeout") {
        return "AWS could not be reached: check the network, the region and any endpoint override (AWS_ENDPOINT_URL, endpoints { } in the provider block)".into();
    }
    if c.contains("redirect")
        || c.contains("authorizationheadermalformed")
        || c.contains("illegallocationconstraint")
    {
        return "the resource is in another region: set `region` in the provider block to its region".into();
    }
    if c.contains("alreadyexists")
        || c.contains("alreadyowned")
        || c.contains("inuse")
        || c == "entityalreadyexists"
    {
        return "an object with this name already exists: pick another name, or adopt it with `sakk import`".into();
    }
    if c.contains("notfound") || c.starts_with("nosuch") {
        return "the object does not exist (or is in another region/account): check the ID, the region and the account".into();
    }
    if c.contains("validation") || c.contains("invalid") || c.contains("malformed") {
        return "AWS rejected an argument: check the values in the configuration against the AWS documentation of this resource".into();
    }
    if c == "internalerror" || c.contains("serviceunavailable") || c.contains("internalfailure") {
        return "AWS kept failing after every retry: try again later, or check the AWS Health Dashboard for this region".into();
    }
    "check the configuration, the region and the permissions of the credentials in use".into()
}

/// An error about the configuration of one attribute, not from AWS.
pub fn invalid(
    address: &str,
    attribute: &str,
    detail: impl Into<String>,
    hint: &str,
) -> ProviderError {
    ProviderError::new(format!("{address}: invalid {attribute}"))
        .detail(detail)
        .attribute(attribute)
        .hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_what_to_check() {
        assert!(hint_for("AccessDenied", "CreateBucket").contains("IAM policy"));
        assert!(hint_for("LimitExceeded", "CreateRole").contains("quota"));
        assert!(hint_for("Throttling", "CreateRole").contains("parallelism"));
        assert!(hint_for("PermanentRedirect", "HeadBucket").contains("region"));
        assert!(hint_for("EntityAlreadyExists", "CreateRole").contains("import"));
    }

    #[test]
    fn scrub_drops_header_like_parts() {
        assert_eq!(scrub("a: authorization=AWS4 xyz: b"), "a: b");
    }
}
