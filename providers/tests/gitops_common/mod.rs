//! Shared by the gitops_* tests: a small driver that plays the engine's part (refresh, plan,
//! create/update/delete, finish_apply) against the provider, and helpers around the `git` CLI.
#![allow(dead_code)]

use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    ApplyContext, OpContext, PlanRequest, Provider, ProviderError, ProviderInstance,
};
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Someone Else")
        .env("GIT_AUTHOR_EMAIL", "else@example.com")
        .env("GIT_COMMITTER_NAME", "Someone Else")
        .env("GIT_COMMITTER_EMAIL", "else@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A bare remote `remote.git` with one commit on main (README.md and docs/keep.yaml, files sakk
/// did not write), and a work clone for "someone else".
pub struct Remote {
    pub dir: tempfile::TempDir,
    pub bare: PathBuf,
    pub work: PathBuf,
}

impl Remote {
    pub fn new() -> Remote {
        let dir = tempfile::tempdir().expect("tempdir");
        let bare = dir.path().join("remote.git");
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        let work = dir.path().join("work");
        git(dir.path(), &["clone", "-q", "remote.git", "work"]);
        git(&work, &["checkout", "-q", "-b", "main"]);
        std::fs::write(work.join("README.md"), "hand-written\n").expect("write");
        std::fs::create_dir_all(work.join("gitops/apps")).expect("mkdir");
        std::fs::write(work.join("gitops/apps/keep.yaml"), "kind: ConfigMap\n").expect("write");
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "initial"]);
        git(&work, &["push", "-q", "origin", "main"]);
        Remote { dir, bare, work }
    }
    /// Commit subjects on a branch of the bare remote, newest first.
    pub fn log(&self, branch: &str) -> Vec<String> {
        git(&self.bare, &["log", "--format=%s", branch])
            .lines()
            .map(str::to_string)
            .collect()
    }
    pub fn files(&self, branch: &str) -> Vec<String> {
        git(&self.bare, &["ls-tree", "-r", "--name-only", branch])
            .lines()
            .map(str::to_string)
            .collect()
    }
    pub fn show(&self, rev_path: &str) -> String {
        git(&self.bare, &["show", rev_path])
    }
    pub fn fsck(&self) {
        git(&self.bare, &["fsck", "--strict", "--no-progress"]);
    }
    /// Someone else commits `path` with `text` and pushes.
    pub fn push_other(&self, path: &str, text: &str) {
        git(&self.work, &["pull", "-q", "--rebase", "origin", "main"]);
        let p = self.work.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        git(&self.work, &["add", "."]);
        git(
            &self.work,
            &["commit", "-q", "-m", &format!("someone else: {path}")],
        );
        git(&self.work, &["push", "-q", "origin", "main"]);
    }
}

/// A value from JSON (objects become objects, arrays tuples).
pub fn json(src: &str) -> Value {
    Value::from_json_with_type(src, &Type::Dynamic).expect("test JSON")
}

/// A resource configuration: the given attributes, every other attribute of the type null.
pub fn config(p: &dyn Provider, type_: &str, given: Value) -> Value {
    let schema = &p.resource_types()[type_].schema;
    Value::object(
        schema
            .attributes
            .iter()
            .map(|(n, a)| {
                let v = given
                    .get_attr(n)
                    .cloned()
                    .unwrap_or_else(|| Value::null(a.ty.clone()));
                (n.clone(), v)
            })
            .collect(),
    )
}

pub fn provider_config(p: &dyn Provider, given: Value) -> Value {
    Value::object(
        p.config_schema()
            .attributes
            .iter()
            .map(|(n, a)| {
                let v = given
                    .get_attr(n)
                    .cloned()
                    .unwrap_or_else(|| Value::null(a.ty.clone()));
                (n.clone(), v)
            })
            .collect(),
    )
}

pub fn op(address: &str) -> OpContext {
    OpContext {
        address: address.to_string(),
        idempotency_token: format!("tok-{address}"),
        progress: Arc::new(|_| {}),
    }
}

/// What the engine would keep: address -> (type, state).
pub type State = BTreeMap<String, (String, Value)>;

#[derive(Debug, Default)]
pub struct Outcome {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub finish: Option<Vec<(String, ProviderError)>>,
}

/// One `sakk apply` of `desired` (address -> (type, config)) over `state`: refresh, plan, apply
/// the differences, finish_apply.
pub async fn apply(
    inst: &Arc<dyn ProviderInstance>,
    state: &mut State,
    desired: &[(&str, &str, Value)],
    serial: u64,
    options: &[(&str, &str)],
) -> Result<Outcome, ProviderError> {
    let mut out = Outcome::default();
    // Refresh.
    let addrs: Vec<String> = state.keys().cloned().collect();
    for a in addrs {
        let (t, v) = state[&a].clone();
        match inst.read(&t, &v, &op(&a)).await? {
            Some(n) => {
                state.insert(a, (t, n));
            }
            None => {
                state.remove(&a);
            }
        }
    }
    // Plan everything first (as the engine does), then apply.
    let mut planned = Vec::new();
    for (a, t, cfg) in desired {
        let prior = state.get(*a).map(|(_, v)| v.clone());
        let r = inst.plan(PlanRequest {
            type_: t,
            prior: prior.as_ref(),
            config: cfg,
        })?;
        planned.push((a.to_string(), t.to_string(), prior, r.planned));
    }
    for (a, t, prior, p) in planned {
        match prior {
            None => {
                let s = inst.create(&t, &p, &op(&a)).await?;
                state.insert(a, (t, s));
                out.added += 1;
            }
            Some(prior) if !prior.raw_equal(&p) => {
                let s = inst.update(&t, &prior, &p, &op(&a)).await?;
                state.insert(a, (t, s));
                out.changed += 1;
            }
            Some(_) => {}
        }
    }
    let gone: Vec<String> = state
        .keys()
        .filter(|a| !desired.iter().any(|(d, _, _)| d == a))
        .cloned()
        .collect();
    for a in gone {
        let (t, v) = state[&a].clone();
        inst.delete(&t, &v, &op(&a)).await?;
        state.remove(&a);
        out.removed += 1;
    }
    let mut options_map = IndexMap::new();
    for (k, v) in options {
        options_map.insert(k.to_string(), v.to_string());
    }
    let ctx = ApplyContext {
        state_serial: serial,
        plan_source: "interactive apply".into(),
        options: options_map,
    };
    if let Err(e) = inst.finish_apply(&ctx).await {
        out.finish = Some(e);
    }
    Ok(out)
}

/// A platform like SAKK's: one AppProject, one Application and one Profile per tenant, a Helm
/// Application, an ApplicationSet, a ConfigMap, and the app-of-apps root.
pub fn platform(
    p: &dyn Provider,
    tenants: &[&str],
    app_revision: &str,
) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for t in tenants {
        out.push((
            format!("argocd_project.tenant[\"{t}\"]"),
            "argocd_project".to_string(),
            config(p, "argocd_project", json(&format!(r#"{{
                "metadata": {{"name": "{t}", "labels": {{"sakk.dev/tenant": "{t}"}}}},
                "spec": {{
                    "description": "Tenant {t}",
                    "sourceRepos": ["https://github.com/example/{t}-apps.git"],
                    "destinations": [{{"server": "https://kubernetes.default.svc", "namespace": "{t}"}}],
                    "clusterResourceWhitelist": [],
                    "namespaceResourceBlacklist": [{{"group": "", "kind": "ResourceQuota"}}],
                    "roles": [{{"name": "admin", "groups": ["{t}-admins"], "policies": ["p, proj:{t}:admin, applications, *, {t}/*, allow"]}}]
                }}
            }}"#))),
        ));
        out.push((
            format!("kubeflow_profile.tenant[\"{t}\"]"),
            "kubeflow_profile".to_string(),
            config(p, "kubeflow_profile", json(&format!(r#"{{
                "metadata": {{"name": "{t}"}},
                "spec": {{
                    "owner": {{"kind": "User", "name": "{t}@example.com"}},
                    "resourceQuotaSpec": {{"hard": {{"cpu": "8", "memory": "32Gi", "requests.nvidia.com/gpu": 1}}}},
                    "plugins": [{{"kind": "AwsIamForServiceAccount", "spec": {{"awsIamRole": "arn:aws:iam::123456789012:role/{t}-kubeflow"}}}}]
                }}
            }}"#))),
        ));
        out.push((
            format!("argocd_application.tenant[\"{t}\"]"),
            "argocd_application".to_string(),
            config(p, "argocd_application", json(&format!(r#"{{
                "metadata": {{"name": "{t}-apps", "annotations": {{"argocd.argoproj.io/sync-wave": 5}},
                              "finalizers": ["resources-finalizer.argocd.argoproj.io"]}},
                "spec": {{
                    "project": "{t}",
                    "source": {{"repoURL": "https://github.com/example/{t}-apps.git", "targetRevision": "{app_revision}", "path": "overlays/prod",
                               "kustomize": {{"namePrefix": "{t}-"}}}},
                    "destination": {{"server": "https://kubernetes.default.svc", "namespace": "{t}"}},
                    "syncPolicy": {{"automated": {{"prune": true, "selfHeal": true}}, "syncOptions": ["CreateNamespace=true"],
                                   "retry": {{"limit": 5, "backoff": {{"duration": "5s", "factor": 2, "maxDuration": "3m"}}}}}}
                }}
            }}"#))),
        ));
    }
    out.push((
        "argocd_application.cert_manager".to_string(),
        "argocd_application".to_string(),
        config(p, "argocd_application", json(r#"{
            "metadata": {"name": "cert-manager", "annotations": {"argocd.argoproj.io/sync-wave": "-1"}},
            "spec": {
                "project": "default",
                "sources": [
                    {"repoURL": "https://charts.jetstack.io", "chart": "cert-manager", "targetRevision": "v1.14.4",
                     "helm": {"releaseName": "cert-manager", "valueFiles": ["$values/cert-manager/values.yaml"],
                              "values": "installCRDs: true\nprometheus:\n  enabled: false\n",
                              "parameters": [{"name": "replicaCount", "value": 2}, {"name": "global.leaderElection.namespace", "value": "cert-manager", "forceString": true}]}},
                    {"repoURL": "https://github.com/example/values.git", "targetRevision": "main", "ref": "values"}
                ],
                "destination": {"name": "in-cluster", "namespace": "cert-manager"},
                "ignoreDifferences": [{"group": "admissionregistration.k8s.io", "kind": "ValidatingWebhookConfiguration", "jsonPointers": ["/webhooks/0/clientConfig/caBundle"]}],
                "syncPolicy": {"syncOptions": ["CreateNamespace=true", "ServerSideApply=true"]}
            }
        }"#)),
    ));
    out.push((
        "argocd_application_set.clusters".to_string(),
        "argocd_application_set".to_string(),
        config(p, "argocd_application_set", json(r#"{
            "metadata": {"name": "monitoring"},
            "spec": {
                "generators": [
                    {"list": {"elements": [{"cluster": "eu-1", "url": "https://eu-1.example.com"}]}},
                    {"clusters": {"selector": {"matchLabels": {"env": "prod"}}}},
                    {"git": {"repoURL": "https://github.com/example/fleet.git", "revision": "main", "directories": [{"path": "clusters/*"}]}}
                ],
                "template": {
                    "metadata": {"name": "{{name}}-monitoring"},
                    "spec": {"project": "default",
                             "source": {"repoURL": "https://github.com/example/monitoring.git", "targetRevision": "main", "path": "base"},
                             "destination": {"server": "{{server}}", "namespace": "monitoring"}}
                }
            }
        }"#)),
    ));
    out.push((
        "gitops_manifest.limits".to_string(),
        "gitops_manifest".to_string(),
        config(
            p,
            "gitops_manifest",
            json(
                r#"{
            "manifest": {"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "platform-info", "namespace": "kube-system"},
                         "data": {"cluster": "demo", "tenants": "2"}}
        }"#,
            ),
        ),
    ));
    out.push((
        "gitops_app_of_apps.root".to_string(),
        "gitops_app_of_apps".to_string(),
        config(p, "gitops_app_of_apps", json(r#"{"name": "root"}"#)),
    ));
    out
}

pub fn as_desired(v: &[(String, String, Value)]) -> Vec<(&str, &str, Value)> {
    v.iter()
        .map(|(a, t, c)| (a.as_str(), t.as_str(), c.clone()))
        .collect()
}

/// `git daemon` serving `base` on 127.0.0.1 with push enabled; killed on drop.
pub struct Daemon {
    child: std::process::Child,
    pub port: u16,
}

impl Daemon {
    pub fn start(base: &Path) -> Daemon {
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("free port");
            let child = Command::new("git")
                .args([
                    "daemon",
                    "--reuseaddr",
                    &format!("--base-path={}", base.display()),
                    "--export-all",
                    "--enable=receive-pack",
                    "--listen=127.0.0.1",
                    &format!("--port={port}"),
                    &base.display().to_string(),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("git daemon starts");
            let mut d = Daemon { child, port };
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return d;
                }
                if let Ok(Some(_)) = d.child.try_wait() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = d.child.kill();
            let _ = d.child.wait();
            d.port = 0;
        }
        panic!("git daemon did not start");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
