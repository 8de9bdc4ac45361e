//! Between the engine and the state: prior instances from the state, new instances into it
//! (through the state writer), and the provider registry of this build.

use engine::addrs::ResourceInstance;
use engine::evaluate::apply::{ApplyEvent, ApplyObserver};
use engine::evaluate::resources::PriorInstance;
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

/// `provider["registry.terraform.io/hashicorp/aws"].east` for key `aws.east`.
pub fn provider_addr(key: &str) -> String {
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
    match alias {
        Some(a) => format!("provider[\"{source}\"].{a}"),
        None => format!("provider[\"{source}\"]"),
    }
}

/// The provider key (`aws`, `aws.east`) of a state provider address.
pub fn provider_key(addr: &str) -> String {
    let inner = addr
        .split_once("provider[\"")
        .map(|(_, rest)| rest)
        .unwrap_or(addr);
    let (source, alias) = match inner.split_once("\"]") {
        Some((s, rest)) => (s, rest.strip_prefix('.')),
        None => (inner, None),
    };
    let name = source.rsplit('/').next().unwrap_or(source);
    match alias {
        Some(a) if !a.is_empty() => format!("{name}.{a}"),
        _ => name.to_string(),
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
        let value = Value::from_json_with_type(&inst.attributes.to_string(), &ty)
            .map_err(|e| format!("the state's attributes of {addr} do not fit its schema: {e}"))?;
        out.insert(
            addr,
            PriorInstance {
                value,
                provider: provider_key(&res.provider),
                tainted: inst.status == Some(InstanceStatus::Tainted),
                dependencies: inst.dependencies.clone(),
            },
        );
    }
    Ok(out)
}

/// A state instance from an engine value.
pub fn to_instance(v: &Value, deps: &[String]) -> Result<Instance, String> {
    let (plain, _) = v.clone().unmark_deep();
    let json = plain
        .to_json()
        .map_err(|e| format!("cannot store the state: {e}"))?;
    let attributes: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let sensitive_attributes = match v.entries() {
        Some(attrs) => attrs
            .iter()
            .filter(|(_, x)| x.is_sensitive())
            .map(|(k, _)| vec![PathStep::GetAttr(k.clone())])
            .collect(),
        None => Vec::new(),
    };
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
    pub writer: WriterHandle,
    pub progress: &'a (dyn Fn(&ApplyEvent) + Sync),
    pub errors: Mutex<Vec<String>>,
}

impl ApplyObserver for Recorder<'_> {
    fn event(&self, e: &ApplyEvent) {
        (self.progress)(e);
    }

    fn record(
        &self,
        addr: &ResourceInstance,
        provider: &str,
        state: Option<&Value>,
        dependencies: &[String],
    ) {
        let update = match state {
            Some(v) => match to_instance(v, dependencies) {
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
        for k in ["aws", "aws.east", "terraform", "gitops.fleet"] {
            assert_eq!(provider_key(&provider_addr(k)), k);
        }
        assert_eq!(
            provider_key("provider[\"registry.terraform.io/hashicorp/aws\"]"),
            "aws"
        );
    }
}
