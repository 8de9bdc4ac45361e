//! The built-in provider: `terraform_data` (as in Terraform 1.4+) and `time_sleep` (as in the
//! hashicorp/time provider), for tests, demos and benchmarks. No network; `time_sleep` really
//! sleeps.
//!
//! Nothing exists outside the state: refresh returns the state's object as it is, and any id
//! can be imported (as `terraform_data`). Failure, drift and crash tests use the mock provider
//! (`engine::provider_mock`) in process instead.

use engine::lang::types::Type;
use engine::lang::value::{Kind, Value};
use engine::provider::{
    Attribute, BoxFuture, OpContext, PlanRequest, PlanResponse, Provider, ProviderError,
    ProviderInstance, ProviderResult, ResourceType, Schema,
};
use indexmap::IndexMap;
use std::sync::Arc;
use std::time::Duration;

pub struct Builtin {
    resources: IndexMap<String, ResourceType>,
    data: IndexMap<String, ResourceType>,
    config: Schema,
}

impl Default for Builtin {
    fn default() -> Self {
        Self::new()
    }
}

impl Builtin {
    pub fn new() -> Builtin {
        let mut resources = IndexMap::new();
        resources.insert(
            "terraform_data".to_string(),
            ResourceType {
                schema: Schema::new()
                    .attr("id", Attribute::computed(Type::String))
                    .attr(
                        "input",
                        Attribute::optional(Type::Dynamic)
                            .describe("A value to store; reflected in output"),
                    )
                    .attr(
                        "output",
                        Attribute::computed(Type::Dynamic)
                            .describe("The stored input, after apply"),
                    )
                    .attr(
                        "triggers_replace",
                        Attribute::optional(Type::Dynamic)
                            .force_new()
                            .describe("A change of this value replaces the resource"),
                    ),
                service: "builtin",
                create_timeout: None,
                delete_timeout: None,
            },
        );
        resources.insert(
            "time_sleep".to_string(),
            ResourceType {
                schema: Schema::new()
                    .attr("id", Attribute::computed(Type::String))
                    .attr(
                        "create_duration",
                        Attribute::optional(Type::String)
                            .force_new()
                            .describe("How long to sleep on create (Go duration: 30s, 1m)"),
                    )
                    .attr(
                        "destroy_duration",
                        Attribute::optional(Type::String)
                            .force_new()
                            .describe("How long to sleep on destroy"),
                    )
                    .attr(
                        "triggers",
                        Attribute::optional(Type::map(Type::String))
                            .force_new()
                            .describe("Arbitrary values whose change replaces the resource"),
                    ),
                service: "builtin",
                create_timeout: None,
                delete_timeout: None,
            },
        );
        Builtin {
            resources,
            data: IndexMap::new(),
            config: Schema::new(),
        }
    }
}

impl Provider for Builtin {
    fn name(&self) -> &'static str {
        "terraform"
    }
    fn resource_types(&self) -> &IndexMap<String, ResourceType> {
        &self.resources
    }
    fn data_types(&self) -> &IndexMap<String, ResourceType> {
        &self.data
    }
    fn config_schema(&self) -> &Schema {
        &self.config
    }
    fn service_limit(&self, _service: &str) -> usize {
        // No API behind it: only --parallelism bounds the operations in flight.
        usize::MAX
    }
    fn configure<'a>(
        &'a self,
        _config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Arc<dyn ProviderInstance>>> {
        Box::pin(async { Ok(Arc::new(BuiltinInstance) as Arc<dyn ProviderInstance>) })
    }
}

struct BuiltinInstance;

impl BuiltinInstance {
    fn new_id(type_: &str) -> String {
        match type_ {
            "time_sleep" => now_rfc3339(),
            _ => uuid::Uuid::new_v4().to_string(),
        }
    }
}

fn attr(v: &Value, name: &str) -> Value {
    v.get_attr(name)
        .cloned()
        .unwrap_or_else(Value::null_dynamic)
}

/// Replaces attribute `name` of object `v`.
fn with_attr(v: &Value, name: &str, new: Value) -> Value {
    let mut attrs: Vec<(String, Value)> = match v.kind() {
        Kind::Object(a) => a.iter().map(|(k, x)| (k.clone(), x.clone())).collect(),
        _ => Vec::new(),
    };
    match attrs.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = new,
        None => attrs.push((name.to_string(), new)),
    }
    Value::object(attrs)
}

/// A Go duration ("1m30s", "500ms", "2h"), as time_sleep takes it.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad =
        || format!("invalid duration {s:?}: use a number with a unit, like 30s, 1m30s or 500ms");
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

fn duration_attr(v: &Value, name: &str) -> ProviderResult<Duration> {
    match attr(v, name).as_str() {
        None => Ok(Duration::ZERO),
        Some(s) => parse_go_duration(s).map_err(|e| {
            ProviderError::new(format!("Invalid {name}"))
                .detail(e)
                .attribute(name)
                .hint("write the duration like 30s or 1m")
        }),
    }
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

impl ProviderInstance for BuiltinInstance {
    /// terraform_data and time_sleep live only in the state.
    fn leaves_objects(&self, _type: &str) -> bool {
        false
    }

    fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let cfg = req.config;
        match req.type_ {
            "terraform_data" => {
                let input = attr(cfg, "input");
                let mut planned = cfg.clone();
                let replace = match req.prior {
                    Some(p) => {
                        !attr(p, "triggers_replace").raw_equal(&attr(cfg, "triggers_replace"))
                    }
                    None => false,
                };
                let id = match req.prior {
                    Some(p) if !replace => attr(p, "id"),
                    _ => Value::unknown(Type::String),
                };
                planned = with_attr(&planned, "id", id);
                planned = with_attr(&planned, "output", input);
                Ok(PlanResponse {
                    planned,
                    requires_replace: if replace {
                        vec!["triggers_replace".into()]
                    } else {
                        Vec::new()
                    },
                })
            }
            "time_sleep" => {
                for d in ["create_duration", "destroy_duration"] {
                    if attr(cfg, d).is_known() {
                        duration_attr(cfg, d)?;
                    }
                }
                let mut requires_replace = Vec::new();
                if let Some(p) = req.prior {
                    for a in ["create_duration", "destroy_duration", "triggers"] {
                        if !attr(p, a).raw_equal(&attr(cfg, a)) {
                            requires_replace.push(a.to_string());
                        }
                    }
                }
                let id = match req.prior {
                    Some(p) if requires_replace.is_empty() => attr(p, "id"),
                    _ => Value::unknown(Type::String),
                };
                Ok(PlanResponse {
                    planned: with_attr(cfg, "id", id),
                    requires_replace,
                })
            }
            other => Err(ProviderError::new(format!(
                "Unsupported resource type {other}"
            ))),
        }
    }

    fn read<'a>(
        &'a self,
        _type: &'a str,
        current: &'a Value,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        // Nothing outside sakk holds these objects: the state is the truth.
        Box::pin(async move { Ok(Some(current.clone())) })
    }

    fn create<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            match type_ {
                "terraform_data" => {
                    let v = with_attr(planned, "id", Value::string(Self::new_id(type_)));
                    Ok(with_attr(&v, "output", attr(planned, "input")))
                }
                "time_sleep" => {
                    tokio::time::sleep(duration_attr(planned, "create_duration")?).await;
                    Ok(with_attr(planned, "id", Value::string(Self::new_id(type_))))
                }
                other => Err(ProviderError::new(format!(
                    "Unsupported resource type {other}"
                ))),
            }
        })
    }

    fn update<'a>(
        &'a self,
        _type: &'a str,
        _prior: &'a Value,
        planned: &'a Value,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move { Ok(with_attr(planned, "output", attr(planned, "input"))) })
    }

    fn delete<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            if type_ == "time_sleep" {
                tokio::time::sleep(duration_attr(prior, "destroy_duration")?).await;
            }
            Ok(())
        })
    }

    fn import<'a>(
        &'a self,
        type_: &'a str,
        id: &'a str,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            match type_ {
                "terraform_data" => Ok(Value::object(vec![
                    ("id".into(), Value::string(id)),
                    ("input".into(), Value::null_dynamic()),
                    ("output".into(), Value::null_dynamic()),
                    ("triggers_replace".into(), Value::null_dynamic()),
                ])),
                other => Err(ProviderError::new(format!("{other} cannot be imported"))
                    .hint("only terraform_data supports import among the built-in types")),
            }
        })
    }

    fn read_data<'a>(
        &'a self,
        type_: &'a str,
        _config: &'a Value,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            Err(ProviderError::new(format!(
                "Unsupported data source {type_}"
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert!(parse_go_duration("5").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("1x").is_err());
    }

    #[test]
    fn rfc3339_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z'));
    }
}
