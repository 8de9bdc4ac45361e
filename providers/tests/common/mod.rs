//! Shared harness for the AWS provider tests against moto: provider instances pointed at a
//! moto server (or the fault-injection proxy in front of it), config builders, the lifecycle
//! driver, and boto3 as the independent check.
#![allow(dead_code)]

pub mod faulty_proxy;

use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{OpContext, PlanRequest, Provider, ProviderInstance, Schema};
use providers::aws::value::State;
use providers::aws::Aws;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The moto endpoint: AWS_ENDPOINT_URL, or a moto started by `scripts/moto ensure`. With
/// CI=true a missing moto fails the test; otherwise the test is skipped (None).
pub fn moto() -> Option<String> {
    static EP: OnceLock<Option<String>> = OnceLock::new();
    EP.get_or_init(|| {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        let ep = match std::env::var("AWS_ENDPOINT_URL") {
            Ok(e) if !e.is_empty() => Some(e),
            _ if ci => panic!("CI=true but AWS_ENDPOINT_URL is unset: start moto (eval \"$(scripts/moto ensure)\")"),
            _ => Command::new(repo_root().join("scripts/moto"))
                .arg("ensure")
                .output()
                .ok()
                .and_then(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL=").map(str::to_string))
                }),
        };
        if ep.is_none() {
            eprintln!("moto is not available: skipping (set AWS_ENDPOINT_URL or run scripts/moto ensure)");
        }
        // Dummy credentials for the SDK's default chain (same values in every test).
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::remove_var("AWS_PROFILE");
        ep
    })
    .clone()
}

pub fn provider() -> Aws {
    Aws::new()
}

/// The provider block pointing every service at `endpoint`.
pub fn provider_config(
    p: &Aws,
    endpoint: &str,
    default_tags: &[(&str, &str)],
    max_retries: Option<i64>,
) -> Value {
    let schema = p.config_schema();
    let mut eps = State::new(&schema.blocks["endpoints"].schema);
    for svc in providers::aws::config::ENDPOINT_SERVICES {
        eps.set(svc, Value::string(endpoint));
    }
    let mut st = State::new(schema);
    st.set("region", Value::string("us-east-1"))
        .set("endpoints", eps.build());
    if let Some(n) = max_retries {
        st.set("max_retries", Value::int(n));
    }
    if !default_tags.is_empty() {
        st.set(
            "default_tags",
            State::new(&schema.blocks["default_tags"].schema)
                .with("tags", tags(default_tags))
                .build(),
        );
    }
    st.build()
}

pub async fn instance(endpoint: &str) -> Arc<dyn ProviderInstance> {
    instance_with(endpoint, &[], None).await
}

pub async fn instance_with(
    endpoint: &str,
    default_tags: &[(&str, &str)],
    max_retries: Option<i64>,
) -> Arc<dyn ProviderInstance> {
    let p = provider();
    let cfg = provider_config(&p, endpoint, default_tags, max_retries);
    match p.configure(&cfg).await {
        Ok(i) => i,
        Err(e) => panic!("configure: {e} ({:?})", e.hint),
    }
}

pub fn tags(kv: &[(&str, &str)]) -> Value {
    Value::map(
        Type::String,
        kv.iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

pub fn strs(items: &[&str]) -> Vec<Value> {
    items.iter().map(|s| Value::string(*s)).collect()
}

pub fn schema(type_: &str) -> Schema {
    let p = provider();
    p.resource_types()
        .get(type_)
        .or_else(|| p.data_types().get(type_))
        .map(|t| t.schema.clone())
        .unwrap_or_else(|| panic!("no type {type_}"))
}

/// A configuration object of `type_` with the given attributes, all others null.
pub fn cfg(type_: &str, attrs: &[(&str, Value)]) -> Value {
    let s = schema(type_);
    let mut st = State::new(&s);
    for (k, v) in attrs {
        st.set(k, v.clone());
    }
    st.build()
}

/// A nested block object of `type_`'s block `block` (a path like "rule.apply_server_side_encryption_by_default").
pub fn block(type_: &str, path: &str, attrs: &[(&str, Value)]) -> Value {
    let mut s = schema(type_);
    for part in path.split('.') {
        s = s.blocks[part].schema.clone();
    }
    let mut st = State::new(&s);
    for (k, v) in attrs {
        st.set(k, v.clone());
    }
    st.build()
}

pub fn block_type(type_: &str, path: &str) -> Type {
    let mut s = schema(type_);
    for part in path.split('.') {
        s = s.blocks[part].schema.clone();
    }
    s.object_type()
}

pub fn op(address: &str) -> OpContext {
    OpContext {
        address: address.to_string(),
        idempotency_token: token(),
        progress: Arc::new(|_: &str| {}),
    }
}

/// A token of the engine's form: `sakk-`, the second it was drawn (hex), `-`, a unique part.
pub fn token() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "sakk-{secs:x}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

/// A short random suffix for unique names.
pub fn uniq() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

/// Runs Python (boto3) against `endpoint`; returns stdout, trimmed.
pub fn boto(endpoint: &str, code: &str) -> String {
    let py = repo_root().join(".venv/bin/python");
    let prelude = "import boto3, json, sys\n\
        def c(s): return boto3.client(s, region_name='us-east-1')\n";
    let out = Command::new(&py)
        .arg("-c")
        .arg(format!("{prelude}{code}"))
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
    assert!(
        out.status.success(),
        "boto3 check failed:\n{code}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn attr(v: &Value, name: &str) -> String {
    v.get_attr(name)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Plans `config` against `prior` and applies the result as the engine would: create,
/// update in place, or replace (delete then create). Returns the new state and whether the
/// plan replaced.
pub async fn apply(
    inst: &dyn ProviderInstance,
    type_: &str,
    prior: Option<&Value>,
    config: &Value,
) -> (Value, bool) {
    let addr = format!("{type_}.test");
    let plan = inst
        .plan(PlanRequest {
            type_,
            prior,
            config,
        })
        .unwrap_or_else(|e| panic!("plan {type_}: {e} ({:?})", e.hint));
    let o = op(&addr);
    match prior {
        None => (
            inst.create(type_, &plan.planned, &o)
                .await
                .unwrap_or_else(|e| panic!("create {type_}: {e} ({:?})", e.hint)),
            false,
        ),
        Some(p) if !plan.requires_replace.is_empty() => {
            inst.delete(type_, p, &o)
                .await
                .unwrap_or_else(|e| panic!("delete {type_}: {e} ({:?})", e.hint));
            let fresh = inst
                .plan(PlanRequest {
                    type_,
                    prior: None,
                    config,
                })
                .unwrap_or_else(|e| panic!("plan {type_}: {e}"));
            (
                inst.create(type_, &fresh.planned, &o)
                    .await
                    .unwrap_or_else(|e| panic!("create {type_}: {e} ({:?})", e.hint)),
                true,
            )
        }
        Some(p) => (
            inst.update(type_, p, &plan.planned, &o)
                .await
                .unwrap_or_else(|e| panic!("update {type_}: {e} ({:?})", e.hint)),
            false,
        ),
    }
}

/// Refreshes `state` and asserts that planning `config` against it changes nothing.
pub async fn assert_noop(
    inst: &dyn ProviderInstance,
    type_: &str,
    state: &Value,
    config: &Value,
) -> Value {
    let o = op(&format!("{type_}.test"));
    let fresh = inst
        .read(type_, state, &o)
        .await
        .unwrap_or_else(|e| panic!("read {type_}: {e}"))
        .unwrap_or_else(|| panic!("read {type_}: gone"));
    let plan = inst
        .plan(PlanRequest {
            type_,
            prior: Some(&fresh),
            config,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert!(
        plan.requires_replace.is_empty(),
        "{type_}: unexpected replacement {:?}",
        plan.requires_replace
    );
    assert!(
        plan.planned.raw_equal(&fresh),
        "{type_}: re-plan is not a no-op\n refreshed: {fresh}\n planned:   {}",
        plan.planned
    );
    fresh
}

/// Refreshes `state` and asserts the plan proposes a change (drift detected).
pub async fn assert_drift(
    inst: &dyn ProviderInstance,
    type_: &str,
    state: &Value,
    config: &Value,
) -> Value {
    let o = op(&format!("{type_}.test"));
    let fresh = inst
        .read(type_, state, &o)
        .await
        .unwrap_or_else(|e| panic!("read: {e}"))
        .unwrap_or_else(|| panic!("{type_} gone"));
    let plan = inst
        .plan(PlanRequest {
            type_,
            prior: Some(&fresh),
            config,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert!(
        !plan.planned.raw_equal(&fresh),
        "{type_}: out-of-band change not detected\n{fresh}"
    );
    fresh
}

/// The lifecycle every resource type goes through, with boto3 snippets for the independent
/// checks. In snippets, `{id}` is replaced by the current state's id.
pub struct Case<'a> {
    pub type_: &'a str,
    pub create: Value,
    /// An in-place change of `create`.
    pub update: Value,
    /// A change that forces replacement.
    pub replace: Value,
    /// Prints the number of objects with this id (0 or 1).
    pub count_py: &'a str,
    /// Prints a fingerprint of the attribute the update changes.
    pub check_update_py: &'a str,
    pub expect_update: &'a str,
    /// Changes the object outside sakk.
    pub drift_py: &'a str,
    /// Deletes the object outside sakk.
    pub delete_py: &'a str,
    /// The import ID from a state.
    pub import_id: fn(&Value) -> String,
    /// Attributes import cannot know (config-only, like force_destroy): ignored after import.
    pub import_ignore: &'a [&'a str],
}

pub async fn lifecycle(ep: &str, inst: &dyn ProviderInstance, c: Case<'_>) {
    let t = c.type_;
    let py = |code: &str, st: &Value| boto(ep, &code.replace("{id}", &attr(st, "id")));
    // create
    let planned = inst
        .plan(PlanRequest {
            type_: t,
            prior: None,
            config: &c.create,
        })
        .unwrap_or_else(|e| panic!("plan {t}: {e}"))
        .planned;
    let o = op(&format!("{t}.test"));
    let s1 = inst
        .create(t, &planned, &o)
        .await
        .unwrap_or_else(|e| panic!("create {t}: {e} ({:?})", e.hint));
    assert_eq!(
        py(c.count_py, &s1),
        "1",
        "{t}: created object not found by boto3"
    );
    // The same create cut off after AWS acted (its response lost, sakk killed): the re-apply
    // finds the object by the intent's token, or (idempotent creates) makes it again
    // harmlessly, as the executor does. No twin.
    assert!(inst.adopts_by_token(t), "{t}: no intent recovery");
    let again = match inst
        .find_by_token(t, &planned, &o.idempotency_token)
        .await
        .unwrap_or_else(|e| panic!("find_by_token {t}: {e} ({:?})", e.hint))
    {
        Some(found) => found,
        None => inst
            .create(t, &planned, &o)
            .await
            .unwrap_or_else(|e| panic!("create {t} again: {e} ({:?})", e.hint)),
    };
    assert_eq!(attr(&again, "id"), attr(&s1, "id"), "{t}: a twin");
    assert_eq!(py(c.count_py, &s1), "1", "{t}: a twin after the re-apply");
    // no-op re-plan
    let s1 = assert_noop(inst, t, &s1, &c.create).await;
    // in-place update
    let (s2, replaced) = apply(inst, t, Some(&s1), &c.update).await;
    assert!(!replaced, "{t}: update replaced");
    assert_eq!(
        py(c.check_update_py, &s2),
        c.expect_update,
        "{t}: update not visible to boto3"
    );
    let s2 = assert_noop(inst, t, &s2, &c.update).await;
    // out-of-band change -> drift, converged by an update
    py(c.drift_py, &s2);
    let drifted = assert_drift(inst, t, &s2, &c.update).await;
    let (s2, _) = apply(inst, t, Some(&drifted), &c.update).await;
    assert_eq!(
        py(c.check_update_py, &s2),
        c.expect_update,
        "{t}: drift not repaired"
    );
    let s2 = assert_noop(inst, t, &s2, &c.update).await;
    // forced replacement
    let (s3, replaced) = apply(inst, t, Some(&s2), &c.replace).await;
    assert!(replaced, "{t}: replacement not planned");
    assert_eq!(
        py(c.count_py, &s2),
        "0",
        "{t}: replaced object still exists"
    );
    assert_eq!(
        py(c.count_py, &s3),
        "1",
        "{t}: replacement not found by boto3"
    );
    let s3 = assert_noop(inst, t, &s3, &c.replace).await;
    // import by ID
    let imported = inst
        .import(t, &(c.import_id)(&s3), &op("import"))
        .await
        .unwrap_or_else(|e| panic!("import {t}: {e}"));
    let plan = inst
        .plan(PlanRequest {
            type_: t,
            prior: Some(&imported),
            config: &c.replace,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert!(
        plan.requires_replace.is_empty(),
        "{t}: import then plan replaces: {:?}",
        plan.requires_replace
    );
    if let Some(attrs) = imported.entries() {
        for (k, v) in attrs {
            if !c.import_ignore.contains(&k.as_str()) {
                let p = plan
                    .planned
                    .get_attr(k)
                    .cloned()
                    .unwrap_or_else(Value::null_dynamic);
                assert!(
                    p.raw_equal(v),
                    "{t}: after import, {k} differs: imported {v}, planned {p}"
                );
            }
        }
    }
    // out-of-band deletion -> read None -> planned as a create
    py(c.delete_py, &s3);
    assert_eq!(py(c.count_py, &s3), "0");
    let gone = inst
        .read(t, &s3, &op("read"))
        .await
        .unwrap_or_else(|e| panic!("read: {e}"));
    assert!(
        gone.is_none(),
        "{t}: read of a deleted object returned {gone:?}"
    );
    let (s4, _) = apply(inst, t, None, &c.replace).await;
    assert_eq!(py(c.count_py, &s4), "1", "{t}: re-create not found");
    // destroy leaves nothing; deleting again is fine
    inst.delete(t, &s4, &op("destroy"))
        .await
        .unwrap_or_else(|e| panic!("delete {t}: {e}"));
    assert_eq!(
        py(c.count_py, &s4),
        "0",
        "{t}: destroy left the object behind"
    );
    inst.delete(t, &s4, &op("destroy"))
        .await
        .unwrap_or_else(|e| panic!("second delete {t}: {e}"));
}
