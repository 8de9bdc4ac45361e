//! STS: data source `aws_caller_identity`.

use super::resource::{Ctx, DataSource};
use super::value::{s, State};
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{Attribute, BoxFuture, ProviderResult, ResourceType, Schema};
use std::sync::Arc;

pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(CallerIdentity)]
}

pub struct CallerIdentity;

impl DataSource for CallerIdentity {
    fn type_name(&self) -> &'static str {
        "aws_caller_identity"
    }
    fn definition(&self) -> ResourceType {
        ResourceType {
            schema: Schema::new()
                .attr("id", Attribute::computed(Type::String))
                .attr("account_id", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("user_id", Attribute::computed(Type::String)),
            service: "sts",
            create_timeout: None,
            delete_timeout: None,
        }
    }
    fn read<'a>(
        &'a self,
        cx: &'a Ctx<'a>,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let out = cx
                .clients
                .sts()
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| cx.err("GetCallerIdentity", &e))?;
            let account = out.account().unwrap_or_default();
            Ok(State::from(cx.schema, config)
                .with("id", s(account))
                .with("account_id", s(account))
                .with("arn", s(out.arn().unwrap_or_default()))
                .with("user_id", s(out.user_id().unwrap_or_default()))
                .build())
        })
    }
}
