//! The state model: Terraform's state file format version 4, so that a state written by sakk can
//! be read by Terraform and the other way round.
//!
//! A state is a secret: sensitive attributes are stored in clear, but every instance lists the
//! paths of its sensitive attributes ([`Instance::sensitive_attributes`]) and every output says
//! whether it is sensitive, so that renderers can hide them ([`Instance::redacted_attributes`]).

use engine::addrs::{InstanceKey, ModuleInstance, ResourceInstance, Target};
use engine::config::Mode;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The state file format version written by this version of sakk.
pub const FORMAT_VERSION: u64 = 4;

/// The `terraform_version` written into new states. Terraform refuses a state whose
/// `terraform_version` is newer than itself, so this is the oldest Terraform release whose state
/// format (version 4, with `check_results`) sakk writes.
pub const TERRAFORM_COMPAT_VERSION: &str = "1.5.0";

/// What a renderer prints instead of a sensitive value.
pub const SENSITIVE: &str = "(sensitive value)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u64,
    #[serde(default = "default_tf_version")]
    pub terraform_version: String,
    /// Incremented on every write that changes the state.
    pub serial: u64,
    /// Fixed when the state is first created; never changes afterwards (a different lineage means
    /// a different state, see `state push`).
    pub lineage: String,
    #[serde(default)]
    pub outputs: IndexMap<String, OutputValue>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_results: Option<Value>,
}

fn default_tf_version() -> String {
    TERRAFORM_COMPAT_VERSION.to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputValue {
    pub value: Value,
    #[serde(rename = "type", default, skip_serializing_if = "Value::is_null")]
    pub type_: Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceMode {
    Managed,
    Data,
}

impl From<Mode> for ResourceMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Managed => ResourceMode::Managed,
            Mode::Data => ResourceMode::Data,
        }
    }
}

impl From<ResourceMode> for Mode {
    fn from(m: ResourceMode) -> Self {
        match m {
            ResourceMode::Managed => Mode::Managed,
            ResourceMode::Data => Mode::Data,
        }
    }
}

/// All instances of one resource (`module.a.aws_s3_bucket.b`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// The module instance address (`module.a["x"]`), absent for the root module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub mode: ResourceMode,
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    /// `provider["registry.terraform.io/hashicorp/aws"]` or an alias of it.
    pub provider: String,
    /// `list` (count) or `map` (for_each); absent for a single instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<String>,
    #[serde(default)]
    pub instances: Vec<Instance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The count index (number) or for_each key (string); absent for a single instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_key: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InstanceStatus>,
    /// For create_before_destroy: the deposed object's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    #[serde(default)]
    pub schema_version: u64,
    #[serde(default)]
    pub attributes: Value,
    /// Paths into `attributes` that hold sensitive values, in Terraform's path step format:
    /// `[{"type":"get_attr","value":"password"}]`, `[{"type":"index","value":{"value":0,"type":"number"}}]`.
    #[serde(default)]
    pub sensitive_attributes: Vec<Vec<PathStep>>,
    /// Provider-private data (base64), passed back to the provider unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<String>,
    /// Direct dependencies only (resource addresses), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceStatus {
    Tainted,
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum PathStep {
    GetAttr(String),
    /// `{"value": 0, "type": "number"}` or `{"value": "k", "type": "string"}`.
    Index(Value),
}

/// Why a state document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl State {
    /// A new, empty state with a fresh lineage.
    pub fn new() -> State {
        State {
            version: FORMAT_VERSION,
            terraform_version: default_tf_version(),
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            outputs: IndexMap::new(),
            resources: Vec::new(),
            check_results: None,
        }
    }

    /// Reads a state document of any supported format version, upgrading it to the current one.
    pub fn from_slice(bytes: &[u8]) -> Result<State, DecodeError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| {
            DecodeError(format!(
                "not valid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        upgrade(v)
    }

    /// The document as written to a backend (pretty JSON, trailing newline, like Terraform).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// True when the state holds nothing worth keeping (no resources, no outputs).
    pub fn is_empty(&self) -> bool {
        self.resources.iter().all(|r| r.instances.is_empty()) && self.outputs.is_empty()
    }

    /// Every instance with its address, in state order.
    pub fn instances(&self) -> impl Iterator<Item = (ResourceInstance, &Resource, &Instance)> {
        self.resources.iter().flat_map(|r| {
            r.instances
                .iter()
                .map(move |i| (r.instance_addr(i.index_key.as_ref()), r, i))
        })
    }

    /// The resource with this module/mode/type/name, if any.
    pub fn resource_index(&self, addr: &ResourceInstance) -> Option<usize> {
        self.resources.iter().position(|r| r.matches_resource(addr))
    }

    /// Instance addresses that `target` selects: a module selects everything in it and its
    /// children, a resource without key all its instances, an instance itself.
    pub fn select(&self, target: &Target) -> Vec<ResourceInstance> {
        self.instances()
            .map(|(a, _, _)| a)
            .filter(|a| target_contains(target, a))
            .collect()
    }

    /// Removes one instance; drops its resource when no instance is left. Returns whether it was
    /// there.
    pub fn remove_instance(&mut self, addr: &ResourceInstance) -> Option<(Resource, Instance)> {
        let ri = self.resource_index(addr)?;
        let r = &mut self.resources[ri];
        let ii = r
            .instances
            .iter()
            .position(|i| key_from_json(i.index_key.as_ref()) == addr.key && i.deposed.is_none())?;
        let inst = r.instances.remove(ii);
        let mut shell = r.clone();
        shell.instances.clear();
        if r.instances.is_empty() {
            self.resources.remove(ri);
        }
        Some((shell, inst))
    }

    /// Removes the deposed object `key` of `addr`; drops its resource when no instance is
    /// left. Returns whether it was there.
    pub fn remove_deposed(&mut self, addr: &ResourceInstance, key: &str) -> bool {
        let Some(ri) = self.resource_index(addr) else {
            return false;
        };
        let r = &mut self.resources[ri];
        let before = r.instances.len();
        r.instances.retain(|i| {
            key_from_json(i.index_key.as_ref()) != addr.key || i.deposed.as_deref() != Some(key)
        });
        let removed = r.instances.len() < before;
        if r.instances.is_empty() {
            self.resources.remove(ri);
        }
        removed
    }

    /// Inserts or replaces one instance. `template` gives the provider and `each` of a resource
    /// that does not exist yet.
    pub fn set_instance(
        &mut self,
        addr: &ResourceInstance,
        template: &Resource,
        mut inst: Instance,
    ) {
        inst.index_key = addr.key.as_ref().map(key_to_json);
        let ri = match self.resource_index(addr) {
            Some(i) => i,
            None => {
                self.resources.push(Resource {
                    module: module_string(&addr.module),
                    mode: addr.mode.into(),
                    type_: addr.type_.clone(),
                    name: addr.name.clone(),
                    provider: template.provider.clone(),
                    each: template.each.clone(),
                    instances: Vec::new(),
                });
                self.resources.len() - 1
            }
        };
        let r = &mut self.resources[ri];
        // The newest write knows the provider configuration in use.
        r.provider = template.provider.clone();
        match &addr.key {
            Some(InstanceKey::Int(_)) => r.each = Some("list".into()),
            Some(InstanceKey::Str(_)) => r.each = Some("map".into()),
            None => {}
        }
        match r
            .instances
            .iter()
            .position(|i| key_from_json(i.index_key.as_ref()) == addr.key && i.deposed.is_none())
        {
            Some(ii) => r.instances[ii] = inst,
            None => r.instances.push(inst),
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl Resource {
    pub fn module_instance(&self) -> ModuleInstance {
        parse_module(self.module.as_deref())
    }

    pub fn instance_addr(&self, key: Option<&Value>) -> ResourceInstance {
        ResourceInstance {
            module: self.module_instance(),
            mode: self.mode.into(),
            type_: self.type_.clone(),
            name: self.name.clone(),
            key: key_from_json(key),
        }
    }

    /// Same module, mode, type and name (the key is ignored).
    pub fn matches_resource(&self, addr: &ResourceInstance) -> bool {
        self.type_ == addr.type_
            && self.name == addr.name
            && Mode::from(self.mode) == addr.mode
            && self.module_instance() == addr.module
    }
}

impl Instance {
    /// The attributes with every sensitive value replaced by `(sensitive value)`.
    pub fn redacted_attributes(&self) -> Value {
        let mut v = self.attributes.clone();
        for path in &self.sensitive_attributes {
            redact(&mut v, path);
        }
        v
    }
}

fn redact(v: &mut Value, path: &[PathStep]) {
    let Some((first, rest)) = path.split_first() else {
        *v = Value::String(SENSITIVE.into());
        return;
    };
    let next = match (first, v) {
        (PathStep::GetAttr(name), Value::Object(m)) => m.get_mut(name),
        (PathStep::Index(idx), Value::Array(a)) => {
            let i = idx.get("value").and_then(Value::as_u64).unwrap_or(u64::MAX);
            usize::try_from(i).ok().and_then(|i| a.get_mut(i))
        }
        (PathStep::Index(idx), Value::Object(m)) => match idx.get("value") {
            Some(Value::String(k)) => m.get_mut(k),
            _ => None,
        },
        _ => None,
    };
    if let Some(n) = next {
        redact(n, rest);
    }
}

/// Does `target` select the instance `a`?
pub fn target_contains(target: &Target, a: &ResourceInstance) -> bool {
    match target {
        Target::Module(m) => module_prefix(m, &a.module),
        Target::Resource(r) => {
            r.module.0.len() == a.module.0.len()
                && module_prefix(&r.module, &a.module)
                && r.mode == a.mode
                && r.type_ == a.type_
                && r.name == a.name
                && (r.key.is_none() || r.key == a.key)
        }
    }
}

/// Is `m` a prefix of `of`? A step without a key (`module.net`) matches every instance of the
/// call (`module.net["eu"]`), as Terraform's `state list module.net` does.
fn module_prefix(m: &ModuleInstance, of: &ModuleInstance) -> bool {
    of.0.len() >= m.0.len()
        && m.0
            .iter()
            .zip(&of.0)
            .all(|(a, b)| a.name == b.name && (a.key.is_none() || a.key == b.key))
}

pub fn module_string(m: &ModuleInstance) -> Option<String> {
    (!m.is_root()).then(|| m.to_string())
}

fn parse_module(s: Option<&str>) -> ModuleInstance {
    match s {
        None | Some("") => ModuleInstance::default(),
        Some(s) => match s.parse::<Target>() {
            Ok(Target::Module(m)) => m,
            _ => ModuleInstance::default(),
        },
    }
}

pub fn key_from_json(v: Option<&Value>) -> Option<InstanceKey> {
    match v? {
        Value::Number(n) => n.as_i64().map(InstanceKey::Int),
        Value::String(s) => Some(InstanceKey::Str(s.clone())),
        _ => None,
    }
}

pub fn key_to_json(k: &InstanceKey) -> Value {
    match k {
        InstanceKey::Int(i) => Value::from(*i),
        InstanceKey::Str(s) => Value::String(s.clone()),
    }
}

/// Brings a state document of an older format version to the current one.
///
/// Version 4 is Terraform's format since 0.12 and the one sakk writes. Versions 1-3 (Terraform
/// 0.11 and older) keep resources per module path with flat attributes; converting them needs the
/// provider schemas, as in Terraform, so they are refused with the way to upgrade them.
pub fn upgrade(v: Value) -> Result<State, DecodeError> {
    let version = v.get("version").and_then(Value::as_u64).ok_or_else(|| {
        DecodeError("the document has no \"version\" number: it is not a state file".into())
    })?;
    match version {
        0..=3 => Err(DecodeError(format!(
            "state format version {version} was written by Terraform 0.11 or older; run `terraform apply` once with Terraform 0.12 to upgrade it to format 4"
        ))),
        4 => {
            let mut s: State = serde_json::from_value(v)
                .map_err(|e| DecodeError(format!("not a valid version 4 state: {e}")))?;
            if s.lineage.is_empty() {
                // Terraform 0.12 could leave the lineage empty; fix it once, as Terraform does.
                s.lineage = uuid::Uuid::new_v4().to_string();
            }
            Ok(s)
        }
        v => Err(DecodeError(format!(
            "state format version {v} is newer than this sakk understands (up to {FORMAT_VERSION}); upgrade sakk"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> State {
        let doc = json!({
            "version": 4, "terraform_version": "1.5.7", "serial": 7,
            "lineage": "2d1c0a1e-0000-4000-8000-000000000000",
            "outputs": {"pw": {"value": "hunter2", "type": "string", "sensitive": true}},
            "resources": [{
                "module": "module.net[\"eu\"]", "mode": "managed", "type": "aws_db_instance", "name": "db",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "each": "list",
                "instances": [{"index_key": 0, "schema_version": 2, "status": "tainted",
                    "attributes": {"id": "db-1", "password": "s3cret", "tags": ["a", "b"]},
                    "sensitive_attributes": [[{"type": "get_attr", "value": "password"}],
                                             [{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": 1, "type": "number"}}]],
                    "dependencies": ["module.net[\"eu\"].aws_vpc.main"]}]
            }],
            "check_results": null
        });
        upgrade(doc).unwrap()
    }

    #[test]
    fn terraform_v4_round_trips() {
        let s = sample();
        let back = State::from_slice(&s.to_bytes()).unwrap();
        assert_eq!(s, back);
        assert_eq!(
            s.resources[0].instances[0].status,
            Some(InstanceStatus::Tainted)
        );
        let (addr, _, _) = s.instances().next().unwrap();
        assert_eq!(addr.to_string(), "module.net[\"eu\"].aws_db_instance.db[0]");
    }

    #[test]
    fn sensitive_values_are_redacted() {
        let s = sample();
        let r = s.resources[0].instances[0].redacted_attributes();
        assert_eq!(r["password"], SENSITIVE);
        assert_eq!(r["tags"], json!(["a", SENSITIVE]));
        assert_eq!(r["id"], "db-1");
    }

    #[test]
    fn old_and_new_versions_are_explained() {
        assert!(State::from_slice(b"{\"version\":3}")
            .unwrap_err()
            .0
            .contains("0.12"));
        assert!(State::from_slice(b"{\"version\":9}")
            .unwrap_err()
            .0
            .contains("newer"));
        assert!(State::from_slice(b"{\"version\":4,")
            .unwrap_err()
            .0
            .contains("line 1"));
        assert!(State::from_slice(b"[]")
            .unwrap_err()
            .0
            .contains("not a state"));
    }

    #[test]
    fn select_set_remove() {
        let mut s = sample();
        let t: Target = "module.net".parse().unwrap();
        assert_eq!(s.select(&t).len(), 1);
        let Target::Resource(a) = "aws_s3_bucket.b[\"x\"]".parse::<Target>().unwrap() else {
            panic!()
        };
        let tmpl = s.resources[0].clone();
        s.set_instance(
            &a,
            &tmpl,
            Instance {
                index_key: None,
                status: None,
                deposed: None,
                schema_version: 0,
                attributes: json!({"id": "b"}),
                sensitive_attributes: vec![],
                private: None,
                dependencies: vec![],
                create_before_destroy: false,
            },
        );
        assert_eq!(s.resources.len(), 2);
        assert_eq!(s.resources[1].each.as_deref(), Some("map"));
        assert!(s.remove_instance(&a).is_some());
        assert_eq!(s.resources.len(), 1);
        assert!(s.remove_instance(&a).is_none());
    }
}
