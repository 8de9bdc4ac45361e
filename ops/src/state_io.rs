//! Between the engine and the state: prior instances from the state, new instances into it
//! (through the state writer), and the provider registry of this build.

use engine::addrs::ResourceInstance;
use engine::evaluate::apply::{ApplyEvent, ApplyObserver, Intent};
use engine::evaluate::resources::PriorInstance;
use engine::lang::marks::{Path, PathStep as MarkStep};
use engine::lang::types::Type;
use engine::lang::value::Kind;
use engine::lang::value::Value;
use engine::provider::Registry;
use indexmap::IndexMap;
use state::model::{Instance, InstanceStatus, PathStep};
use state::writer::{Update, WriterHandle};
use state::State;
use std::sync::Mutex;

/// The providers compiled into sakk.
pub fn providers() -> Registry {
    providers::registry()
}

/// The state's provider address of a provider configuration as the engine records it (see
/// `engine::config::tree::provider_ref`): `aws.east` ->
/// `provider["registry.terraform.io/hashicorp/aws"].east`, `module.p.aws` ->
/// `module.p.provider["registry.terraform.io/hashicorp/aws"]`, as Terraform writes them.
pub fn provider_addr(provider: &str) -> String {
    let (module, key) = engine::config::tree::split_provider_ref(provider);
    let (name, alias) = match key.split_once('.') {
        Some((n, a)) => (n, Some(a)),
        None => (key, None),
    };
    let source = match name {
        "terraform" => "terraform.io/builtin/terraform".to_string(),
        "time" => "registry.terraform.io/hashicorp/time".to_string(),
        "gitops" | "argocd" | "kubeflow" => format!("registry.sakk.dev/sakk/{name}"),
        other => format!("registry.terraform.io/hashicorp/{other}"),
    };
    let prefix = match module.is_empty() {
        true => String::new(),
        false => format!("{}.", engine::config::tree::module_path_string(&module)),
    };
    match alias {
        Some(a) => format!("{prefix}provider[\"{source}\"].{a}"),
        None => format!("{prefix}provider[\"{source}\"]"),
    }
}

/// The provider's source address (`registry.terraform.io/hashicorp/aws`), as the JSON plan's
/// `provider_name` gives it.
pub fn provider_source(provider: &str) -> String {
    let addr = provider_addr(provider);
    addr.split_once("provider[\"")
        .and_then(|(_, rest)| rest.split_once("\"]"))
        .map_or(addr.clone(), |(source, _)| source.to_string())
}

/// The inverse of [`provider_addr`]: the engine's provider reference of a state provider
/// address (`module.p.aws`, `aws.east`).
pub fn provider_key(addr: &str) -> String {
    let (module, inner) = match addr.split_once("provider[\"") {
        Some((m, rest)) => (m.strip_suffix('.').unwrap_or(m), rest),
        None => ("", addr),
    };
    let (source, alias) = match inner.split_once("\"]") {
        Some((s, rest)) => (s, rest.strip_prefix('.')),
        None => (inner, None),
    };
    let name = source.rsplit('/').next().unwrap_or(source);
    let key = match alias {
        Some(a) if !a.is_empty() => format!("{name}.{a}"),
        _ => name.to_string(),
    };
    match module.is_empty() {
        true => key,
        false => format!("{module}.{key}"),
    }
}

/// Every managed instance of the state, decoded with its type's schema.
pub fn prior_from_state(
    st: &State,
    providers: &Registry,
) -> Result<IndexMap<ResourceInstance, PriorInstance>, String> {
    let mut out = IndexMap::new();
    for (addr, res, inst) in st.instances() {
        if addr.mode == engine::config::Mode::Data || inst.deposed.is_some() {
            continue;
        }
        let p = prior_instance(&addr, res, inst, providers)?;
        out.insert(addr, p);
    }
    Ok(out)
}

/// The state's deposed objects (old objects a create_before_destroy kept), by address and
/// deposed key.
pub fn deposed_from_state(
    st: &State,
    providers: &Registry,
) -> Result<IndexMap<(ResourceInstance, String), PriorInstance>, String> {
    let mut out = IndexMap::new();
    for (addr, res, inst) in st.instances() {
        let Some(key) = inst.deposed.clone() else {
            continue;
        };
        if addr.mode == engine::config::Mode::Data {
            continue;
        }
        let p = prior_instance(&addr, res, inst, providers)?;
        out.insert((addr, key), p);
    }
    Ok(out)
}

/// One instance of the state, decoded with its type's schema.
fn prior_instance(
    addr: &ResourceInstance,
    res: &state::model::Resource,
    inst: &Instance,
    providers: &Registry,
) -> Result<PriorInstance, String> {
    {
        let Some(p) = providers.for_type(&addr.type_) else {
            return Err(format!(
                "the state has {addr}, but no provider of this build serves \"{}\"",
                addr.type_
            ));
        };
        let Some(rt) = p.resource_types().get(&addr.type_) else {
            return Err(format!(
                "the state has {addr}, whose type \"{}\" is unknown",
                addr.type_
            ));
        };
        let ty = rt.schema.object_type();
        let value = Value::from_json_typed(&inst.attributes.to_string(), &ty)
            .map_err(|e| format!("the state's attributes of {addr} do not fit its schema: {e}"))?;
        // The marks the state recorded (top-level attributes), so a sensitive value stays
        // sensitive: never shown, and no false "changed" for a mark.
        let value = mark_paths(value, &inst.sensitive_attributes);
        let intent = inst
            .private
            .as_deref()
            .and_then(|p| p.strip_prefix(INTENT_PREFIX))
            .map(str::to_string);
        Ok(PriorInstance {
            value,
            provider: provider_key(&res.provider),
            tainted: inst.status == Some(InstanceStatus::Tainted) && intent.is_none(),
            dependencies: inst.dependencies.clone(),
            intent,
        })
    }
}

/// The marks the state recorded (Terraform's `sensitive_attributes` paths, at any depth) put
/// back on a value read from it.
fn mark_paths(v: Value, paths: &[Vec<PathStep>]) -> Value {
    let paths: Vec<Path> = paths
        .iter()
        .map(|p| {
            p.iter()
                .map_while(|step| match step {
                    PathStep::GetAttr(a) => Some(MarkStep::Key(a.clone())),
                    PathStep::Index(i) => match i.get("value") {
                        Some(serde_json::Value::String(k)) => Some(MarkStep::Key(k.clone())),
                        Some(n) => n
                            .as_u64()
                            .and_then(|n| usize::try_from(n).ok())
                            .map(MarkStep::Index),
                        None => None,
                    },
                })
                .collect()
        })
        .collect();
    engine::lang::marks::mark_paths(v, &paths)
}

/// The state's `sensitive_attributes` of a value of type `ty`: every sensitive position as a
/// path (object attributes as `get_attr`, map keys and list indexes as `index`). A path into an
/// attribute of dynamic type (stored with its type) stops at the attribute.
fn state_paths(v: &Value, ty: &Type) -> Vec<Vec<PathStep>> {
    let mut out: Vec<Vec<PathStep>> = Vec::new();
    for path in engine::lang::marks::sensitive_paths(v) {
        let mut steps = Vec::new();
        let (mut cur, mut t) = (v, Some(ty));
        for step in &path {
            if t.is_some_and(Type::is_dynamic) && !steps.is_empty() {
                break;
            }
            let object = matches!(cur.kind(), Kind::Object(_));
            let next = match step {
                MarkStep::Key(k) => {
                    steps.push(match object {
                        true => PathStep::GetAttr(k.clone()),
                        false => PathStep::Index(serde_json::json!({"value": k, "type": "string"})),
                    });
                    t = t.and_then(|t| match object {
                        true => t.attribute_types().and_then(|a| a.get(k)),
                        false => t.element_type(),
                    });
                    cur.get_key(k)
                }
                MarkStep::Index(i) => {
                    steps.push(PathStep::Index(
                        serde_json::json!({"value": i, "type": "number"}),
                    ));
                    t = t.and_then(Type::element_type);
                    cur.elements().and_then(|e| e.get(*i))
                }
            };
            match next {
                Some(n) => cur = n,
                None => break,
            }
        }
        if !out.contains(&steps) {
            out.push(steps);
        }
    }
    out
}

/// `private` of a placeholder instance recorded before a create: this prefix and the token.
pub const INTENT_PREFIX: &str = "sakk-intent:";

/// The type of a resource type's attributes in the state (its schema's object type); for a type
/// no provider knows, the value's own type.
pub fn state_type(providers: &Registry, type_: &str, v: &Value) -> Type {
    providers
        .for_type(type_)
        .and_then(|p| {
            p.resource_types()
                .get(type_)
                .map(|rt| rt.schema.object_type())
        })
        .unwrap_or_else(|| v.ty())
}

/// A state instance from an engine value of an object of resource type `type_`: attributes of
/// dynamic type are stored with their type, as Terraform does.
pub fn to_instance(
    providers: &Registry,
    type_: &str,
    v: &Value,
    deps: &[String],
) -> Result<Instance, String> {
    let (plain, _) = v.clone().unmark_deep();
    let json = plain
        .to_json_typed(&state_type(providers, type_, v))
        .map_err(|e| format!("cannot store the state: {e}"))?;
    let attributes: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let sensitive_attributes = state_paths(v, &state_type(providers, type_, v));
    let mut deps = deps.to_vec();
    deps.sort();
    deps.dedup();
    Ok(Instance {
        index_key: None,
        status: None,
        deposed: None,
        schema_version: 0,
        attributes,
        sensitive_attributes,
        private: None,
        dependencies: deps,
        create_before_destroy: false,
    })
}

/// Records finished operations into the state writer and prints progress.
pub struct Recorder<'a> {
    pub providers: &'a Registry,
    pub writer: WriterHandle,
    pub progress: &'a (dyn Fn(&ApplyEvent) + Sync),
    pub errors: Mutex<Vec<String>>,
}

impl ApplyObserver for Recorder<'_> {
    fn event(&self, e: &ApplyEvent) {
        (self.progress)(e);
    }

    /// A placeholder per create (tainted, with the token in `private`; attributes known so far,
    /// the rest null), persisted before the creates start.
    fn intents(&self, batch: &[Intent]) -> Result<(), String> {
        for i in batch {
            if let Some(key) = &i.deposes {
                // create_before_destroy: the current object is deposed in the same write.
                self.writer
                    .send(Update::Depose {
                        addr: i.addr.clone(),
                        key: key.clone(),
                    })
                    .map_err(|e| e.to_string())?;
            }
            if !i.placeholder {
                continue;
            }
            let ty = state_type(self.providers, &i.addr.type_, &i.planned);
            let attributes = match i.planned.entries() {
                Some(attrs) => {
                    let mut m = serde_json::Map::new();
                    for (k, x) in attrs.iter() {
                        let j = if x.is_wholly_known() {
                            let (plain, _) = x.clone().unmark_deep();
                            let attr_ty = ty
                                .attribute_types()
                                .and_then(|a| a.get(k).cloned())
                                .unwrap_or_else(|| x.ty());
                            plain
                                .to_json_typed(&attr_ty)
                                .ok()
                                .and_then(|t| serde_json::from_str(&t).ok())
                                .unwrap_or(serde_json::Value::Null)
                        } else {
                            serde_json::Value::Null
                        };
                        m.insert(k.clone(), j);
                    }
                    serde_json::Value::Object(m)
                }
                None => serde_json::Value::Object(Default::default()),
            };
            let mut deps = i.dependencies.clone();
            deps.sort();
            deps.dedup();
            let inst = Instance {
                index_key: None,
                status: Some(InstanceStatus::Tainted),
                deposed: None,
                schema_version: 0,
                attributes,
                sensitive_attributes: state_paths(&i.planned, &ty),
                private: Some(format!("{INTENT_PREFIX}{}", i.token)),
                dependencies: deps,
                create_before_destroy: false,
            };
            self.writer
                .send(Update::SetInstance {
                    addr: i.addr.clone(),
                    provider: provider_addr(&i.provider),
                    instance: Box::new(inst),
                })
                .map_err(|e| e.to_string())?;
        }
        self.writer.flush().map_err(|e| e.to_string())
    }

    fn forget_deposed(&self, addr: &ResourceInstance, key: &str) {
        let update = Update::RemoveDeposed {
            addr: addr.clone(),
            key: key.to_string(),
        };
        if let Err(e) = self.writer.send(update) {
            if let Ok(mut errs) = self.errors.lock() {
                errs.push(format!(
                    "{addr} (deposed object {key}): recording it in the state failed: {e}"
                ));
            }
        }
    }

    fn record(
        &self,
        addr: &ResourceInstance,
        provider: &str,
        state: Option<&Value>,
        dependencies: &[String],
    ) {
        let update = match state {
            Some(v) => match to_instance(self.providers, &addr.type_, v, dependencies) {
                Ok(inst) => Update::SetInstance {
                    addr: addr.clone(),
                    provider: provider_addr(provider),
                    instance: Box::new(inst),
                },
                Err(e) => {
                    if let Ok(mut errs) = self.errors.lock() {
                        errs.push(format!("{addr}: {e}"));
                    }
                    return;
                }
            },
            None => Update::RemoveInstance(addr.clone()),
        };
        if let Err(e) = self.writer.send(update) {
            if let Ok(mut errs) = self.errors.lock() {
                errs.push(format!("{addr}: recording it in the state failed: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_addresses_round_trip() {
        for k in [
            "aws",
            "aws.east",
            "terraform",
            "gitops.fleet",
            "module.p.aws",
            "module.a.module.b.aws.east",
        ] {
            assert_eq!(provider_key(&provider_addr(k)), k);
        }
        assert_eq!(
            provider_source("module.p.aws.east"),
            "registry.terraform.io/hashicorp/aws"
        );
        assert_eq!(
            provider_addr("module.p.aws"),
            "module.p.provider[\"registry.terraform.io/hashicorp/aws\"]"
        );
        assert_eq!(
            provider_key("provider[\"registry.terraform.io/hashicorp/aws\"]"),
            "aws"
        );
    }
}
