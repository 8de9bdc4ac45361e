//! The GitOps provider against real repositories (a bare remote on disk, and the same served by
//! `git daemon` on 127.0.0.1), checked with the `git` CLI.

mod gitops_common;

use engine::lang::value::Value;
use engine::provider::{PlanRequest, Provider, ProviderInstance};
use gitops_common::*;
use providers::gitops::GitOps;
use std::sync::Arc;

async fn configure(
    p: &GitOps,
    url: &str,
    cache: &std::path::Path,
    extra: &str,
) -> Arc<dyn ProviderInstance> {
    let cfg = provider_config(
        p,
        json(&format!(
            r#"{{"repository": {url:?}, "branch": "main", "path_prefix": "gitops",
                 "author_name": "sakk-bot", "author_email": "bot@example.com",
                 "cache_dir": {:?} {extra}}}"#,
            cache.display().to_string()
        )),
    );
    match p.configure(&cfg).await {
        Ok(i) => i,
        Err(e) => panic!("configure: {e} {:?}", e.hint),
    }
}

const PLATFORM_FILES: [&str; 11] = [
    "gitops/apps/application-a-apps.yaml",
    "gitops/apps/application-b-apps.yaml",
    "gitops/apps/application-cert-manager.yaml",
    "gitops/apps/applicationset-monitoring.yaml",
    "gitops/apps/appproject-a.yaml",
    "gitops/apps/appproject-b.yaml",
    "gitops/manifests/configmap-kube-system-platform-info.yaml",
    "gitops/profiles/profile-a.yaml",
    "gitops/profiles/profile-b.yaml",
    "gitops/root/application-root.yaml",
    // the foreign file, below
    "gitops/apps/keep.yaml",
];

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The whole life of a platform on one remote: create (one commit), no-op (no commit), change
/// (one commit), a concurrent commit by someone else between plan and apply (rebased over),
/// destroy (files removed); foreign files untouched throughout.
async fn lifecycle(r: &Remote, url: &str) {
    let p = GitOps::new();
    let cache = r.dir.path().join("cache");
    let inst = configure(&p, url, &cache, "").await;
    let mut state = State::new();
    let desired = platform(&p, &["a", "b"], "v1");

    // 1. create: one commit with every file
    let o = apply(&inst, &mut state, &as_desired(&desired), 1, &[])
        .await
        .expect("apply 1");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert_eq!(o.added, 10);
    let log = r.log("main");
    assert_eq!(log, vec!["sakk: 10 added, 0 changed, 0 removed", "initial"]);
    let mut want: Vec<String> = PLATFORM_FILES.iter().map(|s| s.to_string()).collect();
    want.push("README.md".into());
    assert_eq!(sorted(r.files("main")), sorted(want.clone()));
    let msg = git(&r.bare, &["log", "-1", "--format=%B%n--%an <%ae>", "main"]);
    assert!(
        msg.contains("+ argocd_project.tenant[\"a\"] (gitops/apps/appproject-a.yaml)"),
        "{msg}"
    );
    assert!(
        msg.contains("+ gitops_app_of_apps.root (gitops/root/application-root.yaml)"),
        "{msg}"
    );
    assert!(msg.contains("State serial: 1"), "{msg}");
    assert!(msg.contains("--sakk-bot <bot@example.com>"), "{msg}");
    let stat = git(&r.bare, &["show", "--stat", "--format=", "main"]);
    assert!(stat.contains("10 files changed"), "{stat}");
    let root = r.show("main:gitops/root/application-root.yaml");
    assert!(
        root.starts_with("# Managed by sakk: gitops_app_of_apps.root\n"),
        "{root}"
    );
    assert!(root.contains("    path: gitops/apps\n"), "{root}");
    assert!(
        root.contains(&format!("    repoURL: {url}\n"))
            || root.contains(&format!("    repoURL: \"{url}\"\n")),
        "{root}"
    );
    let app = r.show("main:gitops/apps/application-a-apps.yaml");
    assert!(
        app.contains("    argocd.argoproj.io/sync-wave: \"5\"\n"),
        "{app}"
    );
    assert_eq!(r.show("main:gitops/apps/keep.yaml"), "kind: ConfigMap\n");
    r.fsck();

    // 2. no-op: no commit
    let o = apply(&inst, &mut state, &as_desired(&desired), 2, &[])
        .await
        .expect("apply 2");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert_eq!((o.added, o.changed, o.removed), (0, 0, 0));
    assert_eq!(r.log("main").len(), 2, "a no-op apply must not commit");

    // 3. a change, with someone else's commit landing between plan and apply
    let desired = platform(&p, &["a", "b"], "v2");
    let planned = inst
        .plan(PlanRequest {
            type_: "argocd_application",
            prior: state
                .get("argocd_application.tenant[\"a\"]")
                .map(|(_, v)| v),
            config: &desired
                .iter()
                .find(|d| d.0 == "argocd_application.tenant[\"a\"]")
                .expect("a")
                .2,
        })
        .expect("plan");
    let prior = &state["argocd_application.tenant[\"a\"]"].1;
    let d = providers::gitops::file_diff(
        "argocd_application.tenant[\"a\"]",
        Some(prior),
        Some(&planned.planned),
    )
    .expect("a diff");
    assert!(
        d.contains("-    targetRevision: v1\n+    targetRevision: v2\n"),
        "{d}"
    );
    r.push_other("README.md", "edited by a person\n");
    r.push_other("other/notes.yaml", "note: 1\n");
    let o = apply(&inst, &mut state, &as_desired(&desired), 3, &[])
        .await
        .expect("apply 3");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert_eq!(o.changed, 2);
    let log = r.log("main");
    assert_eq!(log[0], "sakk: 0 added, 2 changed, 0 removed");
    assert_eq!(log[1], "someone else: other/notes.yaml");
    assert_eq!(log.len(), 5);
    assert_eq!(
        r.show("main:README.md"),
        "edited by a person\n",
        "not clobbered"
    );
    assert_eq!(r.show("main:other/notes.yaml"), "note: 1\n");
    let stat = git(&r.bare, &["show", "--stat", "--format=", "main"]);
    assert!(stat.contains("2 files changed"), "{stat}");
    r.fsck();

    // 4. destroy: one commit removing sakk's files only
    let o = apply(&inst, &mut state, &[], 4, &[])
        .await
        .expect("destroy");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert_eq!(o.removed, 10);
    assert_eq!(r.log("main")[0], "sakk: 0 added, 0 changed, 10 removed");
    assert_eq!(
        sorted(r.files("main")),
        vec!["README.md", "gitops/apps/keep.yaml", "other/notes.yaml"]
    );
    r.fsck();
}

#[tokio::test]
async fn bare_remote_on_disk() {
    let r = Remote::new();
    let url = format!("file://{}", r.bare.display());
    lifecycle(&r, &url).await;
}

#[tokio::test]
async fn local_path_remote() {
    let r = Remote::new();
    let url = r.bare.display().to_string();
    lifecycle(&r, &url).await;
}

#[tokio::test]
async fn git_daemon_remote() {
    let r = Remote::new();
    let d = Daemon::start(r.dir.path());
    let url = format!("git://127.0.0.1:{}/remote.git", d.port);
    lifecycle(&r, &url).await;
}

/// A push rejected because someone else's push landed between sakk's fetch and its push (a
/// pre-receive hook pushes a competing commit first): sakk fetches, re-applies its files on top
/// and pushes again.
#[tokio::test]
async fn rejected_push_is_retried_over_the_new_tip() {
    let r = Remote::new();
    let d = Daemon::start(r.dir.path());
    let url = format!("git://127.0.0.1:{}/remote.git", d.port);
    let marker = r.dir.path().join("raced");
    let hook = r.bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >/dev/null\nif [ ! -e {m} ]; then\n  touch {m}\n  (unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES; \
             cd {w} && git pull -q --rebase origin main && echo racing > race.txt && git add race.txt && \
             git -c user.name=Racer -c user.email=r@example.com commit -q -m 'racer' && git push -q origin main) >/dev/null 2>&1\nfi\nexit 0\n",
            m = marker.display(),
            w = r.work.display()
        ),
    )
    .expect("hook");
    std::process::Command::new("chmod")
        .args(["+x", &hook.display().to_string()])
        .status()
        .expect("chmod");
    let p = GitOps::new();
    let inst = configure(&p, &url, &r.dir.path().join("cache"), "").await;
    let mut state = State::new();
    let desired = platform(&p, &["a"], "v1");
    let o = apply(&inst, &mut state, &as_desired(&desired), 1, &[])
        .await
        .expect("apply");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert!(marker.exists(), "the hook raced");
    let log = r.log("main");
    assert_eq!(
        log,
        vec!["sakk: 7 added, 0 changed, 0 removed", "racer", "initial"]
    );
    assert_eq!(r.show("main:race.txt"), "racing\n");
    r.fsck();
}

/// A push that keeps failing: the apply reports every changed address as failed and the commit
/// stays in the cache; the next run pushes it (no new commit when nothing else changed).
#[tokio::test]
async fn failed_push_keeps_the_commit_for_the_next_run() {
    let r = Remote::new();
    let d = Daemon::start(r.dir.path());
    let url = format!("git://127.0.0.1:{}/remote.git", d.port);
    let hook = r.bare.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'branch is frozen' >&2\nexit 1\n").expect("hook");
    std::process::Command::new("chmod")
        .args(["+x", &hook.display().to_string()])
        .status()
        .expect("chmod");
    let p = GitOps::new();
    let cache = r.dir.path().join("cache");
    let inst = configure(&p, &url, &cache, r#", "push_attempts": 2"#).await;
    let mut state = State::new();
    let desired = platform(&p, &["a"], "v1");
    let o = apply(&inst, &mut state, &as_desired(&desired), 1, &[])
        .await
        .expect("apply");
    let errs = o.finish.expect("the push fails");
    assert_eq!(errs.len(), 7, "{errs:?}");
    assert!(errs.iter().any(|(a, _)| a == "gitops_app_of_apps.root"));
    assert!(
        errs[0].1.to_string().contains("refused 2 times"),
        "{}",
        errs[0].1
    );
    assert_eq!(r.log("main"), vec!["initial"]);
    let kept = git(&cache, &["log", "--format=%s", "refs/sakk/pending/main"]);
    assert!(
        kept.starts_with("sakk: 7 added, 0 changed, 0 removed\n"),
        "{kept}"
    );

    std::fs::remove_file(&hook).expect("unfreeze");
    let inst = configure(&p, &url, &cache, "").await;
    // The kept commit is what plans see: nothing to re-create.
    let o = apply(&inst, &mut state, &as_desired(&desired), 2, &[])
        .await
        .expect("apply 2");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert_eq!((o.added, o.changed), (0, 0));
    assert_eq!(
        r.log("main"),
        vec!["sakk: 7 added, 0 changed, 0 removed", "initial"]
    );
    assert_eq!(r.files("main").len(), 9);
    r.fsck();
}

/// Pull-request mode: the commit goes to a new branch made from the tracked one; the tracked
/// branch does not move; the markdown diff shows the manifest.
#[tokio::test]
async fn pull_request_branch() {
    let r = Remote::new();
    let url = format!("file://{}", r.bare.display());
    let p = GitOps::new();
    let inst = configure(&p, &url, &r.dir.path().join("cache"), "").await;
    let mut state = State::new();
    let desired = platform(&p, &["a"], "v1");
    let app = &desired
        .iter()
        .find(|d| d.1 == "argocd_application")
        .expect("app")
        .2;
    let planned = inst
        .plan(PlanRequest {
            type_: "argocd_application",
            prior: None,
            config: app,
        })
        .expect("plan");
    let md = providers::gitops::markdown_diff(&[(
        "argocd_application.tenant[\"a\"]",
        None,
        Some(&planned.planned),
    )]);
    assert!(
        md.contains("```diff\n--- /dev/null\n+++ b/gitops/apps/application-a-apps.yaml\n"),
        "{md}"
    );
    assert!(md.contains("\n+    targetRevision: v1\n"), "{md}");
    let o = apply(
        &inst,
        &mut state,
        &as_desired(&desired),
        1,
        &[("gitops_branch", "sakk/pr-1")],
    )
    .await
    .expect("apply");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    assert_eq!(r.log("main"), vec!["initial"]);
    assert_eq!(
        r.log("sakk/pr-1"),
        vec!["sakk: 7 added, 0 changed, 0 removed", "initial"]
    );
    // A second PR-mode apply with a change stacks on the PR branch.
    let desired = platform(&p, &["a"], "v2");
    let o = apply(
        &inst,
        &mut state,
        &as_desired(&desired),
        2,
        &[("gitops_branch", "sakk/pr-1")],
    )
    .await
    .expect("apply");
    assert!(o.finish.is_none(), "{:?}", o.finish);
    let log = r.log("sakk/pr-1");
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(r
        .show("sakk/pr-1:gitops/apps/application-a-apps.yaml")
        .contains("targetRevision: v2"));
    r.fsck();
}

/// A sensitive value in a manifest is refused at plan time and at apply time; nothing is
/// committed. References (an AWS Secrets Manager ARN, a path in secret_references) pass.
#[tokio::test]
async fn secrets_are_refused_and_nothing_is_committed() {
    let r = Remote::new();
    let url = format!("file://{}", r.bare.display());
    let p = GitOps::new();
    let inst = configure(&p, &url, &r.dir.path().join("cache"), "").await;
    let secret = Value::string("hunter2").mark_sensitive();
    let helm = Value::object(vec![(
        "parameters".into(),
        Value::tuple(vec![Value::object(vec![
            ("name".into(), Value::string("db.password")),
            ("value".into(), secret.clone()),
        ])]),
    )]);
    let spec = |helm: Value| {
        Value::object(vec![
            ("project".into(), Value::string("default")),
            (
                "source".into(),
                Value::object(vec![
                    (
                        "repoURL".into(),
                        Value::string("https://charts.example.com"),
                    ),
                    ("chart".into(), Value::string("db")),
                    ("targetRevision".into(), Value::string("1.0.0")),
                    ("helm".into(), helm),
                ]),
            ),
            (
                "destination".into(),
                Value::object(vec![
                    (
                        "server".into(),
                        Value::string("https://kubernetes.default.svc"),
                    ),
                    ("namespace".into(), Value::string("db")),
                ]),
            ),
        ])
    };
    let cfg = config(
        &p,
        "argocd_application",
        Value::object(vec![
            ("metadata".into(), json(r#"{"name": "db"}"#)),
            ("spec".into(), spec(helm)),
        ]),
    );
    let err = inst
        .plan(PlanRequest {
            type_: "argocd_application",
            prior: None,
            config: &cfg,
        })
        .expect_err("a secret is refused");
    assert!(
        err.summary.contains("would commit a secret to Git"),
        "{err:?}"
    );
    assert_eq!(
        err.attribute.as_deref(),
        Some("spec.source.helm.parameters[0].value")
    );
    assert!(!format!("{err:?}").contains("hunter2"));
    // Apply time too (a value known only after apply).
    let e = inst
        .create("argocd_application", &cfg, &op("argocd_application.db"))
        .await
        .expect_err("refused");
    assert!(e.summary.contains("would commit a secret to Git"), "{e:?}");
    let mut state = State::new();
    let o = apply(&inst, &mut state, &[], 1, &[]).await.expect("finish");
    assert!(o.finish.is_none());
    assert_eq!(r.log("main"), vec!["initial"], "nothing committed");

    // References are fine.
    let arn = Value::string("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf")
        .mark_sensitive();
    let es = config(
        &p,
        "gitops_manifest",
        Value::object(vec![(
            "manifest".into(),
            Value::object(vec![
                (
                    "apiVersion".into(),
                    Value::string("external-secrets.io/v1beta1"),
                ),
                ("kind".into(), Value::string("ExternalSecret")),
                (
                    "metadata".into(),
                    json(r#"{"name": "db", "namespace": "db"}"#),
                ),
                (
                    "spec".into(),
                    Value::object(vec![
                        (
                            "secretStoreRef".into(),
                            json(r#"{"name": "aws", "kind": "ClusterSecretStore"}"#),
                        ),
                        (
                            "data".into(),
                            Value::tuple(vec![Value::object(vec![
                                ("secretKey".into(), Value::string("password")),
                                ("remoteRef".into(), Value::object(vec![("key".into(), arn)])),
                            ])]),
                        ),
                    ]),
                ),
            ]),
        )]),
    );
    inst.plan(PlanRequest {
        type_: "gitops_manifest",
        prior: None,
        config: &es,
    })
    .expect("an ARN is a reference");
    let helm_ref = Value::object(vec![(
        "parameters".into(),
        Value::tuple(vec![Value::object(vec![
            ("name".into(), Value::string("db.existingSecret")),
            (
                "value".into(),
                Value::string("db-credentials").mark_sensitive(),
            ),
        ])]),
    )]);
    let mut with_ref = config(
        &p,
        "argocd_application",
        Value::object(vec![
            ("metadata".into(), json(r#"{"name": "db"}"#)),
            ("spec".into(), spec(helm_ref)),
            (
                "secret_references".into(),
                json(r#"["spec.source.helm.parameters[0].value"]"#),
            ),
        ]),
    );
    let planned = inst
        .plan(PlanRequest {
            type_: "argocd_application",
            prior: None,
            config: &with_ref,
        })
        .expect("an explicit reference");
    assert!(planned
        .planned
        .get_attr("content")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("value: db-credentials")));
    with_ref = config(
        &p,
        "gitops_manifest",
        json(
            r#"{"manifest": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "y"}, "stringData": {"a": "b"}}}"#,
        ),
    );
    let e = inst
        .plan(PlanRequest {
            type_: "gitops_manifest",
            prior: None,
            config: &with_ref,
        })
        .expect_err("a Secret with data");
    assert_eq!(e.attribute.as_deref(), Some("manifest.stringData"));
}

/// A file sakk did not write at a resource's path stops the plan; schema errors name the field.
#[tokio::test]
async fn foreign_files_and_field_errors() {
    let r = Remote::new();
    let url = format!("file://{}", r.bare.display());
    let p = GitOps::new();
    let inst = configure(&p, &url, &r.dir.path().join("cache"), "").await;
    let cfg = config(
        &p,
        "gitops_manifest",
        json(
            r#"{"path": "gitops/apps/keep.yaml", "manifest": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "y"}}}"#,
        ),
    );
    let e = inst
        .plan(PlanRequest {
            type_: "gitops_manifest",
            prior: None,
            config: &cfg,
        })
        .expect_err("foreign");
    assert!(
        e.summary
            .contains("gitops/apps/keep.yaml already holds a file sakk did not write"),
        "{e:?}"
    );

    let cfg = config(
        &p,
        "argocd_application",
        json(
            r#"{"metadata": {"name": "Bad_Name", "lables": {}}, "spec": {"project": "default",
                 "source": {"repoURL": "x", "targetRevision": "main", "path": "."},
                 "destination": {"namespce": "x"}, "syncPolicy": {"automated": {"prune": "yes"}}}}"#,
        ),
    );
    let e = inst
        .plan(PlanRequest {
            type_: "argocd_application",
            prior: None,
            config: &cfg,
        })
        .expect_err("invalid");
    let lines: Vec<&str> = e.detail.lines().collect();
    assert_eq!(
        lines,
        vec![
            "metadata.lables: unknown field (did you mean labels?): a manifest's metadata may set name, namespace, labels, annotations, finalizers",
            "metadata.name: \"Bad_Name\" is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
            "spec.destination.namespce: unknown field (did you mean namespace?)",
            "spec.syncPolicy.automated.prune: must be a bool (true or false), not a string",
            "spec.destination.server: required (or name)",
        ]
    );
    assert_eq!(e.attribute.as_deref(), Some("metadata.lables"));
    assert!(e
        .summary
        .starts_with("argocd_application \"Bad_Name\": invalid manifest"));
    let cfg = config(
        &p,
        "kubeflow_profile",
        json(
            r#"{"metadata": {"name": "t", "namespace": "x"}, "spec": {"resourceQuotaSpec": {"hard": {"cpu": "lots"}}}}"#,
        ),
    );
    let e = inst
        .plan(PlanRequest {
            type_: "kubeflow_profile",
            prior: None,
            config: &cfg,
        })
        .expect_err("invalid");
    assert!(
        e.detail
            .contains("metadata.namespace: must not be set: this kind is cluster-scoped"),
        "{}",
        e.detail
    );
    assert!(
        e.detail
            .contains("spec.resourceQuotaSpec.hard.cpu: \"lots\" does not match the pattern"),
        "{}",
        e.detail
    );
    assert!(e.detail.contains("spec.owner: required"), "{}", e.detail);
}

/// Unknown values (known after apply) plan as unknown path/content, and apply renders them.
#[tokio::test]
async fn unknown_values_plan_and_apply() {
    let r = Remote::new();
    let url = format!("file://{}", r.bare.display());
    let p = GitOps::new();
    let inst = configure(&p, &url, &r.dir.path().join("cache"), "").await;
    let unknown_cfg = config(
        &p,
        "kubeflow_profile",
        Value::object(vec![
            ("metadata".into(), json(r#"{"name": "t"}"#)),
            (
                "spec".into(),
                Value::object(vec![
                    (
                        "owner".into(),
                        json(r#"{"kind": "User", "name": "t@example.com"}"#),
                    ),
                    ("plugins".into(), Value::unknown_dynamic()),
                ]),
            ),
        ]),
    );
    let planned = inst
        .plan(PlanRequest {
            type_: "kubeflow_profile",
            prior: None,
            config: &unknown_cfg,
        })
        .expect("plan");
    assert_eq!(
        planned.planned.get_attr("path").and_then(Value::as_str),
        Some("gitops/profiles/profile-t.yaml")
    );
    assert!(!planned
        .planned
        .get_attr("content")
        .expect("content")
        .is_known());
    let d = providers::gitops::file_diff("kubeflow_profile.t", None, Some(&planned.planned))
        .expect("diff");
    assert!(d.contains("(content known after apply)"), "{d}");
}
