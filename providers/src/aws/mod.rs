//! The AWS provider: `provider "aws"`, through the official AWS SDK for Rust.
//!
//! Layout: [`config`] (the provider block, credentials, clients), [`error`] (AWS errors as
//! provider errors with what to check), [`retry`] (was a call retried?), [`value`] (reading and
//! building schema values, tags, JSON normalisation), [`resource`] (the [`Resource`] and
//! [`DataSource`] traits every type implements, and the standard planning), then one module per
//! service: [`s3`], [`dynamodb`], [`iam`], [`route53`], [`sts`].
//!
//! Adding a resource type: write a unit struct implementing [`Resource`] in its service module
//! and list it in that module's `resources()`; add the module's list to [`all_resources`].

pub mod cognito;
pub mod config;
pub mod dynamodb;
pub mod ec2;
pub mod eks;
pub mod error;
pub mod iam;
pub mod intent;
pub mod resource;
pub mod retry;
pub mod route53;
pub mod s3;
pub mod sts;
pub mod value;

use config::{AwsConfig, Clients};
use engine::lang::value::Value;
use engine::provider::{
    BoxFuture, OpContext, PlanRequest, PlanResponse, Provider, ProviderError, ProviderInstance,
    ProviderResult, ResourceType, Schema,
};
use indexmap::IndexMap;
pub use resource::{Ctx, DataSource, Plan, Resource};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every AWS resource type of this build.
pub fn all_resources() -> Vec<Arc<dyn Resource>> {
    let mut v: Vec<Arc<dyn Resource>> = Vec::new();
    v.extend(service_resources());
    v
}

/// Every AWS data source type of this build.
pub fn all_data_sources() -> Vec<Arc<dyn DataSource>> {
    let mut v: Vec<Arc<dyn DataSource>> = Vec::new();
    v.extend(service_data_sources());
    v
}

fn service_resources() -> Vec<Arc<dyn Resource>> {
    let mut v = Vec::new();
    v.extend(s3::resources());
    v.extend(dynamodb::resources());
    v.extend(iam::resources());
    v.extend(route53::resources());
    v.extend(ec2::resources());
    v.extend(eks::resources());
    v.extend(cognito::resources());
    v
}

fn service_data_sources() -> Vec<Arc<dyn DataSource>> {
    let mut v = Vec::new();
    v.extend(iam::data_sources());
    v.extend(sts::data_sources());
    v.extend(route53::data_sources());
    v.extend(ec2::data_sources());
    v.extend(eks::data_sources());
    v
}

/// The AWS provider.
pub fn providers() -> Vec<Arc<dyn Provider>> {
    vec![Arc::new(Aws::new())]
}

pub struct Aws {
    resources: Arc<IndexMap<String, Arc<dyn Resource>>>,
    data: Arc<IndexMap<String, Arc<dyn DataSource>>>,
    resource_types: IndexMap<String, ResourceType>,
    data_types: IndexMap<String, ResourceType>,
    config: Schema,
}

impl Default for Aws {
    fn default() -> Self {
        Self::new()
    }
}

impl Aws {
    pub fn new() -> Aws {
        let mut resources = IndexMap::new();
        let mut resource_types = IndexMap::new();
        for r in all_resources() {
            resource_types.insert(r.type_name().to_string(), r.definition());
            resources.insert(r.type_name().to_string(), r);
        }
        let mut data = IndexMap::new();
        let mut data_types = IndexMap::new();
        for d in all_data_sources() {
            data_types.insert(d.type_name().to_string(), d.definition());
            data.insert(d.type_name().to_string(), d);
        }
        Aws {
            resources: Arc::new(resources),
            data: Arc::new(data),
            resource_types,
            data_types,
            config: config::config_schema(),
        }
    }

    /// An instance from already-built clients (tests).
    pub fn instance(&self, cfg: AwsConfig, clients: Clients) -> AwsInstance {
        AwsInstance {
            clients: Arc::new(clients),
            default_tags: cfg.default_tags.clone(),
            resources: self.resources.clone(),
            data: self.data.clone(),
            resource_types: self.resource_types.clone(),
            data_types: self.data_types.clone(),
            config: cfg,
        }
    }
}

/// Per-service concurrency limits (per configured provider instance). IAM and Route53 have low
/// account-wide API rate limits (Route53: 5 requests/second), S3 and DynamoDB are generous.
const SERVICE_LIMITS: &[(&str, usize)] = &[
    ("s3", 20),
    ("dynamodb", 10),
    ("iam", 5),
    ("route53", 3),
    ("sts", 5),
    ("ec2", 10),
    ("eks", 4),
    ("cognito-idp", 5),
];

pub fn service_limit(service: &str) -> usize {
    SERVICE_LIMITS
        .iter()
        .find(|(s, _)| *s == service)
        .map_or(5, |(_, n)| *n)
}

impl Provider for Aws {
    fn name(&self) -> &'static str {
        "aws"
    }
    fn resource_types(&self) -> &IndexMap<String, ResourceType> {
        &self.resource_types
    }
    fn data_types(&self) -> &IndexMap<String, ResourceType> {
        &self.data_types
    }
    fn config_schema(&self) -> &Schema {
        &self.config
    }
    fn service_limit(&self, service: &str) -> usize {
        service_limit(service)
    }
    fn configure<'a>(
        &'a self,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Arc<dyn ProviderInstance>>> {
        Box::pin(async move {
            let cfg = AwsConfig::from_value(config)?;
            let clients = Clients::load(&cfg).await?;
            Ok(Arc::new(self.instance(cfg, clients)) as Arc<dyn ProviderInstance>)
        })
    }
}

/// A configured AWS provider (one `provider "aws"` block).
pub struct AwsInstance {
    pub clients: Arc<Clients>,
    pub default_tags: BTreeMap<String, String>,
    pub config: AwsConfig,
    resources: Arc<IndexMap<String, Arc<dyn Resource>>>,
    data: Arc<IndexMap<String, Arc<dyn DataSource>>>,
    resource_types: IndexMap<String, ResourceType>,
    data_types: IndexMap<String, ResourceType>,
}

fn unsupported(kind: &str, type_: &str) -> ProviderError {
    ProviderError::new(format!("Unsupported {kind} {type_}")).hint(
        "check the type name against the AWS provider's list of types (`sakk providers schema`)",
    )
}

impl AwsInstance {
    fn resource(&self, type_: &str) -> ProviderResult<(&Arc<dyn Resource>, &Schema)> {
        match (self.resources.get(type_), self.resource_types.get(type_)) {
            (Some(r), Some(t)) => Ok((r, &t.schema)),
            _ => Err(unsupported("resource type", type_)),
        }
    }
    fn data_source(&self, type_: &str) -> ProviderResult<(&Arc<dyn DataSource>, &Schema)> {
        match (self.data.get(type_), self.data_types.get(type_)) {
            (Some(r), Some(t)) => Ok((r, &t.schema)),
            _ => Err(unsupported("data source", type_)),
        }
    }
    fn ctx<'a>(&'a self, schema: &'a Schema, op: &'a OpContext) -> Ctx<'a> {
        Ctx {
            clients: &self.clients,
            default_tags: &self.default_tags,
            op,
            schema,
        }
    }
}

impl ProviderInstance for AwsInstance {
    fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let (r, schema) = self.resource(req.type_)?;
        let mut plan = resource::standard_plan(schema, req.prior, req.config, &self.default_tags);
        r.customize_plan(&mut plan)?;
        let mut resp = resource::finish_plan(plan);
        resp.planned = value::carry_tag_marks(resp.planned, req.config);
        Ok(resp)
    }

    fn read<'a>(
        &'a self,
        type_: &'a str,
        current: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let (r, schema) = self.resource(type_)?;
            let cx = self.ctx(schema, ctx);
            retry::observe(r.read(&cx, current)).await
        })
    }

    fn create<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (r, schema) = self.resource(type_)?;
            let cx = self.ctx(schema, ctx);
            let v = retry::observe(r.create(&cx, planned)).await?;
            Ok(value::carry_tag_marks(v, planned))
        })
    }

    fn update<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (r, schema) = self.resource(type_)?;
            let cx = self.ctx(schema, ctx);
            let v = retry::observe(r.update(&cx, prior, planned)).await?;
            Ok(value::carry_tag_marks(v, planned))
        })
    }

    fn delete<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let (r, schema) = self.resource(type_)?;
            let cx = self.ctx(schema, ctx);
            retry::observe(r.delete(&cx, prior)).await
        })
    }

    fn import<'a>(
        &'a self,
        type_: &'a str,
        id: &'a str,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (r, schema) = self.resource(type_)?;
            let cx = self.ctx(schema, ctx);
            retry::observe(r.import(&cx, id)).await
        })
    }

    fn read_data<'a>(
        &'a self,
        type_: &'a str,
        config: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            let (d, schema) = self.data_source(type_)?;
            let cx = self.ctx(schema, ctx);
            retry::observe(d.read(&cx, config)).await
        })
    }

    /// Every AWS type finds a cut-off create's object again (or repeating it is harmless).
    fn adopts_by_token(&self, type_: &str) -> bool {
        self.resources.contains_key(type_)
    }

    fn find_by_token<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        token: &'a str,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let (r, schema) = self.resource(type_)?;
            let op = OpContext {
                address: type_.to_string(),
                idempotency_token: token.to_string(),
                progress: Arc::new(|_: &str| {}),
            };
            let cx = self.ctx(schema, &op);
            retry::observe(r.find_by_token(&cx, planned, token)).await
        })
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    /// Every resource and data source type names a service that has its own limit (a typo
    /// would silently fall back to the default).
    #[test]
    fn every_service_has_its_own_limit() {
        let aws = Aws::new();
        for (name, rt) in aws.resource_types().iter().chain(aws.data_types()) {
            assert!(
                SERVICE_LIMITS.iter().any(|(s, _)| *s == rt.service),
                "{name}: service {:?} has no limit",
                rt.service
            );
        }
    }
}
