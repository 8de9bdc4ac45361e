//! Shared helpers of the aws2_* tests (EC2 networking, EKS, Cognito) against moto.
//!
//! A module of the aws2_acceptance test binary (one binary: the AWS SDKs make each test binary
//! hundreds of megabytes).
//!
//! moto: `eval "$(scripts/moto ensure)"` exports AWS_ENDPOINT_URL and dummy credentials. Without
//! it the moto tests skip, except under `CI=true`, where they fail. Independent checks run boto3
//! through `scripts/moto python` against the same server.
#![allow(dead_code)]

use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    Nesting, OpContext, PlanRequest, PlanResponse, Provider, ProviderInstance, Schema,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The moto endpoint, or None (skip) outside CI. Under CI=true a missing endpoint fails.
pub fn moto() -> Option<String> {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but AWS_ENDPOINT_URL is unset: start moto with `eval \"$(scripts/moto ensure)\"`");
            }
            eprintln!("skipped: AWS_ENDPOINT_URL is unset (eval \"$(scripts/moto ensure)\")");
            None
        }
    }
}

pub fn s(x: &str) -> Value {
    Value::string(x)
}

pub fn strs(items: &[&str]) -> Value {
    Value::set(
        Type::String,
        items.iter().map(|x| Value::string(*x)).collect(),
    )
}

pub fn list(items: &[&str]) -> Value {
    Value::list(
        Type::String,
        items.iter().map(|x| Value::string(*x)).collect(),
    )
}

pub fn map(items: &[(&str, &str)]) -> Value {
    Value::map(
        Type::String,
        items
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

/// An object of `schema`'s type: the given attributes, every other one null (repeated blocks
/// empty), as the engine hands configuration to a provider.
pub fn obj(schema: &Schema, attrs: Vec<(&str, Value)>) -> Value {
    let mut given: BTreeMap<String, Value> =
        attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut out = Vec::new();
    for (n, a) in &schema.attributes {
        out.push((
            n.clone(),
            given.remove(n).unwrap_or_else(|| Value::null(a.ty.clone())),
        ));
    }
    for (n, b) in &schema.blocks {
        let empty = match b.nesting {
            Nesting::Single => Value::null(b.schema.object_type()),
            Nesting::List => Value::empty_list(b.schema.object_type()),
            Nesting::Set => Value::set(b.schema.object_type(), vec![]),
        };
        out.push((n.clone(), given.remove(n).unwrap_or(empty)));
    }
    assert!(
        given.is_empty(),
        "not in the schema: {:?}",
        given.keys().collect::<Vec<_>>()
    );
    Value::object(out)
}

pub fn aws() -> providers::aws::Aws {
    providers::aws::Aws::new()
}

pub async fn instance(default_tags: &[(&str, &str)]) -> Arc<dyn ProviderInstance> {
    let p = aws();
    let cs = p.config_schema().clone();
    let dt = cs
        .blocks
        .get("default_tags")
        .map(|b| b.schema.clone())
        .unwrap_or_default();
    let mut attrs = vec![("region", s("us-east-1"))];
    if !default_tags.is_empty() {
        attrs.push(("default_tags", obj(&dt, vec![("tags", map(default_tags))])));
    }
    let cfg = obj(&cs, attrs);
    match p.configure(&cfg).await {
        Ok(i) => i,
        Err(e) => panic!("configure: {e}"),
    }
}

/// Progress messages reported to the op context.
pub type Progress = Arc<Mutex<Vec<String>>>;

pub fn op(address: &str) -> (OpContext, Progress) {
    let log: Progress = Arc::new(Mutex::new(Vec::new()));
    let l2 = log.clone();
    (
        OpContext {
            address: address.to_string(),
            idempotency_token: uuid_like(address),
            progress: Arc::new(move |m: &str| {
                if let Ok(mut g) = l2.lock() {
                    g.push(m.to_string());
                }
            }),
        },
        log,
    )
}

/// A token of the engine's form: `sakk-`, the second it was drawn (hex), `-`, a unique part.
fn uuid_like(seed: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "sakk-{:x}-{:x}{}",
        d.as_secs(),
        d.subsec_nanos(),
        seed.len()
    )
}

/// Unique-ish names per run, so reruns against one moto do not clash.
pub fn unique(prefix: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{prefix}{}", n % 100_000_000)
}

/// One resource type under test.
pub struct Rt {
    pub inst: Arc<dyn ProviderInstance>,
    pub type_: String,
    pub schema: Schema,
    pub op: OpContext,
    pub progress: Progress,
}

/// Attribute names whose values differ between two objects.
pub fn diff(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(x), Some(y)) = (a.entries(), b.entries()) {
        for (k, v) in x {
            let w = y.get(k).cloned().unwrap_or_else(Value::null_dynamic);
            let (v1, _) = v.clone().unmark_deep();
            let (w1, _) = w.unmark_deep();
            if !v1.raw_equal(&w1) {
                out.push(format!("{k}: {} -> {}", v1, w1));
            }
        }
    } else if !a.raw_equal(b) {
        out.push(format!("{a} -> {b}"));
    }
    out
}

pub fn attr(v: &Value, name: &str) -> String {
    v.get_attr(name)
        .map(|x| x.clone().unmark_deep().0)
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Rt {
    pub async fn new(type_: &str, default_tags: &[(&str, &str)]) -> Rt {
        let inst = instance(default_tags).await;
        let p = aws();
        let schema = p
            .resource_types()
            .get(type_)
            .or_else(|| p.data_types().get(type_))
            .map(|t| t.schema.clone())
            .unwrap_or_else(|| panic!("no type {type_}"));
        let (op, progress) = op(&format!("{type_}.test"));
        Rt {
            inst,
            type_: type_.to_string(),
            schema,
            op,
            progress,
        }
    }
    pub fn cfg(&self, attrs: Vec<(&str, Value)>) -> Value {
        obj(&self.schema, attrs)
    }
    pub fn block(&self, name: &str, attrs: Vec<(&str, Value)>) -> Value {
        let b = self
            .schema
            .blocks
            .get(name)
            .unwrap_or_else(|| panic!("no block {name}"));
        obj(&b.schema, attrs)
    }
    pub fn plan(&self, prior: Option<&Value>, config: &Value) -> PlanResponse {
        match self.inst.plan(PlanRequest {
            type_: &self.type_,
            prior,
            config,
        }) {
            Ok(p) => p,
            Err(e) => panic!("plan {}: {e} ({:?})", self.type_, e.hint),
        }
    }
    /// Plan + create; returns the state.
    pub async fn create(&self, config: &Value) -> Value {
        let p = self.plan(None, config);
        match self.inst.create(&self.type_, &p.planned, &self.op).await {
            Ok(v) => {
                assert!(
                    v.is_wholly_known(),
                    "{}: state after create has unknowns: {v}",
                    self.type_
                );
                v
            }
            Err(e) => panic!("create {}: {e} ({:?})", self.type_, e.hint),
        }
    }
    pub async fn read(&self, state: &Value) -> Option<Value> {
        match self.inst.read(&self.type_, state, &self.op).await {
            Ok(v) => v,
            Err(e) => panic!("read {}: {e} ({:?})", self.type_, e.hint),
        }
    }
    /// Refresh, then plan against the same configuration: no change at all.
    pub async fn assert_noop(&self, state: &Value, config: &Value) -> Value {
        let now = self
            .read(state)
            .await
            .unwrap_or_else(|| panic!("{} gone on refresh", self.type_));
        let p = self.plan(Some(&now), config);
        let d = diff(&now, &p.planned);
        assert!(
            d.is_empty() && p.requires_replace.is_empty(),
            "{}: re-plan is not clean: {d:?} replace={:?}",
            self.type_,
            p.requires_replace
        );
        now
    }
    /// Refresh + plan differ (drift, or a configuration change) without replacement.
    pub async fn plan_change(&self, state: &Value, config: &Value) -> PlanResponse {
        let now = self
            .read(state)
            .await
            .unwrap_or_else(|| panic!("{} gone on refresh", self.type_));
        let p = self.plan(Some(&now), config);
        assert!(
            !diff(&now, &p.planned).is_empty(),
            "{}: expected a change, plan is clean",
            self.type_
        );
        p
    }
    /// An in-place update to `config`; returns the new state (asserting a clean re-plan).
    pub async fn update(&self, state: &Value, config: &Value) -> Value {
        let now = self
            .read(state)
            .await
            .unwrap_or_else(|| panic!("{} gone on refresh", self.type_));
        let p = self.plan(Some(&now), config);
        assert!(
            p.requires_replace.is_empty(),
            "{}: expected in-place update, got replace {:?}",
            self.type_,
            p.requires_replace
        );
        assert!(
            !diff(&now, &p.planned).is_empty(),
            "{}: update planned no change",
            self.type_
        );
        let v = match self
            .inst
            .update(&self.type_, &now, &p.planned, &self.op)
            .await
        {
            Ok(v) => v,
            Err(e) => panic!("update {}: {e} ({:?})", self.type_, e.hint),
        };
        self.assert_noop(&v, config).await
    }
    /// A change that forces replacement: delete + create; returns the new state.
    pub async fn replace(&self, state: &Value, config: &Value, attr_path: &str) -> Value {
        let now = self
            .read(state)
            .await
            .unwrap_or_else(|| panic!("{} gone on refresh", self.type_));
        let p = self.plan(Some(&now), config);
        assert!(
            p.requires_replace.iter().any(|a| a == attr_path),
            "{}: expected replacement by {attr_path}, got {:?}",
            self.type_,
            p.requires_replace
        );
        self.delete(&now).await;
        let v = self.create(config).await;
        self.assert_noop(&v, config).await
    }
    pub async fn delete(&self, state: &Value) {
        if let Err(e) = self.inst.delete(&self.type_, state, &self.op).await {
            panic!("delete {}: {e} ({:?})", self.type_, e.hint);
        }
        assert!(
            self.read(state).await.is_none(),
            "{}: still there after delete",
            self.type_
        );
        // Deleting again is success.
        if let Err(e) = self.inst.delete(&self.type_, state, &self.op).await {
            panic!("second delete {}: {e}", self.type_);
        }
    }
    /// Out-of-band deletion: refresh reads it as gone, and the plan is a create.
    pub async fn assert_gone_plans_create(&self, state: &Value, config: &Value) {
        assert!(
            self.read(state).await.is_none(),
            "{}: out-of-band deletion not detected",
            self.type_
        );
        let p = self.plan(None, config);
        assert!(p.requires_replace.is_empty());
    }
    /// Import by ID: the same object, and a plan against the config without replacement.
    pub async fn import(&self, id: &str, config: &Value, expect: &Value) -> Value {
        let v = match self.inst.import(&self.type_, id, &self.op).await {
            Ok(v) => v,
            Err(e) => panic!("import {} {id}: {e} ({:?})", self.type_, e.hint),
        };
        assert_eq!(
            attr(&v, "id"),
            attr(expect, "id"),
            "{}: import read another object",
            self.type_
        );
        let p = self.plan(Some(&v), config);
        assert!(
            p.requires_replace.is_empty(),
            "{}: imported object would be replaced: {:?}",
            self.type_,
            p.requires_replace
        );
        v
    }
}

/// Runs Python (boto3, against the same moto) and returns its stdout, trimmed. The code gets a
/// ready `c(service)` client factory.
pub fn py(code: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let prelude = "import boto3, json, os\nc = lambda svc: boto3.client(svc, region_name='us-east-1', endpoint_url=os.environ['AWS_ENDPOINT_URL'])\n";
    let out = std::process::Command::new(format!("{root}/scripts/moto"))
        .arg("python")
        .arg("-c")
        .arg(format!("{prelude}{code}"))
        .output()
        .unwrap_or_else(|e| panic!("scripts/moto python: {e}"));
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        code
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
