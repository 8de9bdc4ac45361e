//! Every Application, AppProject, ApplicationSet and Profile that the platform example produces
//! validates against the CRD JSON Schemas: the full ones in `../shared/schemas/` (when this tree
//! sits next to them, as in the project's workspace) and the structural copy in
//! `providers/schemas/` (always). The files are read back from the remote with the `git` CLI,
//! parsed by yaml-rust2 and checked by a draft-07 validator written here, independent of the
//! provider's own checker.

mod gitops_common;

use engine::provider::Provider;
use gitops_common::*;
use providers::gitops::GitOps;
use regex::Regex;
use serde_json::Value as J;
use std::path::{Path, PathBuf};

fn yaml_to_json(y: &yaml_rust2::Yaml) -> J {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Null => J::Null,
        Yaml::Boolean(b) => J::Bool(*b),
        Yaml::Integer(i) => J::from(*i),
        Yaml::Real(r) => serde_json::from_str(r).expect("a YAML real is a JSON number"),
        Yaml::String(s) => J::String(s.clone()),
        Yaml::Array(xs) => J::Array(xs.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => J::Object(
            h.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().expect("string keys").to_string(),
                        yaml_to_json(v),
                    )
                })
                .collect(),
        ),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

fn type_ok(t: &str, v: &J) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// JSON Schema draft-07, the keywords these schemas use.
fn validate(s: &J, v: &J, path: &str, errs: &mut Vec<String>) {
    if let Some(any) = s.get("anyOf").and_then(J::as_array) {
        if !any.iter().any(|a| {
            let mut e = Vec::new();
            validate(a, v, path, &mut e);
            e.is_empty()
        }) {
            errs.push(format!("{path}: matches no anyOf branch"));
        }
    }
    if s.get("x-kubernetes-int-or-string") == Some(&J::Bool(true))
        && !(v.is_i64() || v.is_u64() || v.is_string())
    {
        errs.push(format!("{path}: not int-or-string"));
    }
    if let Some(t) = s.get("type").and_then(J::as_str) {
        if !type_ok(t, v) {
            errs.push(format!("{path}: not {t}: {v}"));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(J::as_array) {
        if !e.contains(v) {
            errs.push(format!("{path}: {v} not in enum"));
        }
    }
    if let (Some(p), Some(st)) = (s.get("pattern").and_then(J::as_str), v.as_str()) {
        if !Regex::new(p).expect("pattern").is_match(st) {
            errs.push(format!("{path}: {st:?} does not match {p}"));
        }
    }
    if let (Some(n), Some(st)) = (s.get("minLength").and_then(J::as_u64), v.as_str()) {
        if (st.chars().count() as u64) < n {
            errs.push(format!("{path}: shorter than {n}"));
        }
    }
    if let (Some(n), Some(st)) = (s.get("maxLength").and_then(J::as_u64), v.as_str()) {
        if (st.chars().count() as u64) > n {
            errs.push(format!("{path}: longer than {n}"));
        }
    }
    if let Some(o) = v.as_object() {
        if let Some(req) = s.get("required").and_then(J::as_array) {
            for r in req.iter().filter_map(J::as_str) {
                if !o.contains_key(r) {
                    errs.push(format!("{path}.{r}: required"));
                }
            }
        }
        let props = s.get("properties").and_then(J::as_object);
        for (k, x) in o {
            let p = format!("{path}.{k}");
            match (
                props.and_then(|ps| ps.get(k)),
                s.get("additionalProperties"),
            ) {
                (Some(ps), _) => validate(ps, x, &p, errs),
                (None, Some(J::Bool(false))) => errs.push(format!("{p}: not allowed")),
                (None, Some(ad)) if ad.is_object() => validate(ad, x, &p, errs),
                _ => {}
            }
        }
    }
    if let (Some(items), Some(xs)) = (s.get("items"), v.as_array()) {
        for (i, x) in xs.iter().enumerate() {
            validate(items, x, &format!("{path}[{i}]"), errs);
        }
    }
}

fn load(p: &Path) -> J {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .expect("schema JSON")
}

fn shared_schemas() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var_os("SAKK_SHARED_SCHEMAS").map(PathBuf::from),
        Some(here.join("../../shared/schemas")),
        Some(PathBuf::from("/work/shared/schemas")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.join("argocd/application.v1alpha1.schema.json").is_file())
}

fn dns_label(s: &str) -> bool {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        .expect("re")
        .is_match(s)
        && s.len() <= 63
}

#[tokio::test]
async fn every_generated_manifest_validates_against_the_crd_schemas() {
    let r = Remote::new();
    let p = GitOps::new();
    let cfg = provider_config(
        &p,
        json(&format!(
            r#"{{"repository": "file://{}", "path_prefix": "gitops", "cache_dir": {:?}}}"#,
            r.bare.display(),
            r.dir.path().join("cache").display().to_string()
        )),
    );
    let inst = p.configure(&cfg).await.expect("configure");
    let mut state = State::new();
    let desired = platform(&p, &["team-a", "team-b", "research"], "v1.2.3");
    let o = apply(&inst, &mut state, &as_desired(&desired), 1, &[])
        .await
        .expect("apply");
    assert!(o.finish.is_none(), "{:?}", o.finish);

    let in_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut schema_sets: Vec<(String, [J; 4])> = vec![(
        "providers/schemas".into(),
        [
            load(&in_tree.join("argocd/application.json")),
            load(&in_tree.join("argocd/appproject.json")),
            load(&in_tree.join("argocd/applicationset.json")),
            load(&in_tree.join("kubeflow/profile.json")),
        ],
    )];
    match shared_schemas() {
        Some(s) => schema_sets.push((
            s.display().to_string(),
            [
                load(&s.join("argocd/application.v1alpha1.schema.json")),
                load(&s.join("argocd/appproject.v1alpha1.schema.json")),
                load(&s.join("argocd/applicationset.v1alpha1.schema.json")),
                load(&s.join("kubeflow/profile.v1.schema.json")),
            ],
        )),
        None => {
            eprintln!("../shared/schemas not found: validated against the structural copy only")
        }
    }

    let mut counts = [0usize; 4];
    let files = r.files("main");
    for f in files
        .iter()
        .filter(|f| f.starts_with("gitops/") && f.ends_with(".yaml"))
    {
        let text = r.show(&format!("main:{f}"));
        if !text.starts_with("# Managed by sakk: ") {
            continue; // the foreign file of the fixture
        }
        let docs =
            yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(docs.len(), 1, "{f}: one document per file");
        let doc = yaml_to_json(&docs[0]);
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let i = match kind.as_str() {
            "Application" => 0,
            "AppProject" => 1,
            "ApplicationSet" => 2,
            "Profile" => 3,
            _ => continue,
        };
        counts[i] += 1;
        for (name, set) in &schema_sets {
            let mut errs = Vec::new();
            validate(&set[i], &doc, "", &mut errs);
            assert!(errs.is_empty(), "{f} against {name}: {errs:#?}\n{text}");
        }
        let name = doc["metadata"]["name"].as_str().expect("metadata.name");
        assert!(dns_label(name), "{f}: name {name}");
        if let Some(ns) = doc["metadata"]["namespace"].as_str() {
            assert!(dns_label(ns), "{f}: namespace {ns}");
        }
        // Deterministic: rendering the same configuration again gives the same bytes.
        let (addr, _) = state
            .iter()
            .find(|(_, (_, v))| {
                v.get_attr("path")
                    .and_then(engine::lang::value::Value::as_str)
                    == Some(f.as_str())
            })
            .expect("a resource wrote it");
        let (_, text2) = providers::gitops::planned_file(addr, &state[addr].1).expect("file");
        assert_eq!(text, text2, "{f}");
    }
    // The validator is not vacuous: a broken Application fails against every schema set.
    for (name, set) in &schema_sets {
        let bad = serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "x"}, "spec": {"project": 1, "destination": {}, "syncPolicy": {"retry": {"limit": "many"}}}});
        let mut errs = Vec::new();
        validate(&set[0], &bad, "", &mut errs);
        assert_eq!(
            errs,
            vec![
                ".spec.project: not string: 1",
                ".spec.syncPolicy.retry.limit: not integer: \"many\""
            ],
            "{name}"
        );
    }
    // 3 tenants x (Application, AppProject, Profile) + cert-manager + root; one ApplicationSet.
    assert_eq!(
        counts,
        [5, 3, 1, 3],
        "Application, AppProject, ApplicationSet, Profile files"
    );
}
