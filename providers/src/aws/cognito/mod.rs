//! Cognito user pools: pools, app clients (generated secret as a sensitive computed attribute),
//! hosted-UI domains, groups, users (passwords sensitive, never in plain output) and group
//! memberships. These replace SAKK's aws-cli `local-exec` provisioners.

mod app_client;
mod pool;
mod users;

use super::config::Clients;
use super::resource::{Ctx, Resource};
use super::value::s;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{ProviderError, ProviderResult, ResourceType, Schema};
use std::sync::Arc;

pub use app_client::UserPoolClient;
pub use pool::{UserPool, UserPoolDomain};
pub use users::{User, UserGroup, UserInGroup};

pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(UserPool),
        Arc::new(UserPoolClient),
        Arc::new(UserPoolDomain),
        Arc::new(UserGroup),
        Arc::new(User),
        Arc::new(UserInGroup),
    ]
}

impl Clients {
    pub fn cognitoidp(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        crate::aws_client!(
            self,
            cognitoidp,
            aws_sdk_cognitoidentityprovider,
            "cognitoidp"
        )
    }
}

pub(crate) fn client<'a>(cx: &'a Ctx<'a>) -> &'a aws_sdk_cognitoidentityprovider::Client {
    cx.clients.cognitoidp()
}

pub(crate) fn def(schema: Schema) -> ResourceType {
    ResourceType {
        schema,
        service: "cognito-idp",
        create_timeout: None,
        delete_timeout: None,
    }
}

pub(crate) fn gone<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    crate::aws::error::is_code(
        e,
        &[
            "ResourceNotFoundException",
            "UserNotFoundException",
            "GroupNotFoundException",
        ],
    )
}

/// A list/set attribute read back from AWS: null when AWS reports nothing and the prior state
/// (configuration) left it null, so an unset list is no drift.
pub(crate) fn str_set_or_null(items: Vec<String>, prior: &Value, name: &str) -> Value {
    let prior_null = prior
        .get_attr(name)
        .is_none_or(|v| v.is_null() || !v.is_known());
    if items.is_empty() && prior_null {
        Value::null(Type::set(Type::String))
    } else {
        crate::aws::value::set_of_strings(items)
    }
}

/// `a/b` import IDs.
pub(crate) fn split2(id: &str) -> Option<(String, String)> {
    let (a, b) = id.split_once('/')?;
    (!a.is_empty() && !b.is_empty()).then(|| (a.to_string(), b.to_string()))
}

/// The state read back right after a write; `None` (gone meanwhile) is an error.
pub(crate) fn must(cx: &Ctx<'_>, v: Option<Value>, what: &str) -> ProviderResult<Value> {
    v.ok_or_else(|| {
        ProviderError::new(format!(
            "{}: the {what} vanished right after it was written",
            cx.address()
        ))
    })
}

/// Imports by `r`'s read of a state holding only `id`; unknown IDs name the `form` they take.
pub(crate) async fn import_by(
    r: &dyn Resource,
    cx: &Ctx<'_>,
    id: &str,
    what: &str,
    form: &str,
) -> ProviderResult<Value> {
    let stub = cx.state().with("id", s(id)).build();
    r.read(cx, &stub).await?.ok_or_else(|| {
        ProviderError::new(format!(
            "{}: cannot import {id}: no such {what}",
            cx.address()
        ))
        .hint(format!("the import ID is {form}"))
    })
}
