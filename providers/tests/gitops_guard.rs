//! The GitOps secrets guard through the whole engine (in-process plan/apply with the engine's
//! test harness, the built-in, mock, AWS and GitOps providers): a sensitive value sent to a
//! manifest through functions, `for` expressions, templates, nesting, locals, modules, other
//! resources' attributes (AWS `tags_all` included), in one apply or in a second one, is refused,
//! and `git log -p --all` of the remote and of the provider's cache never shows it.
//! `nonsensitive()` passes, visibly. A value that lost its mark on the way is caught by the scan
//! before the commit.

mod common;
mod gitops_common;
#[path = "../../engine/tests/harness/mod.rs"]
mod harness;

use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::provider::{
    ApplyContext, Attribute, BoxFuture, OpContext, PlanRequest, PlanResponse, Provider,
    ProviderInstance, ProviderResult, ResourceType, Schema,
};
use engine::provider_mock::MockProvider;
use gitops_common::{config, git, json, op, provider_config, Remote};
use harness::Harness;
use indexmap::IndexMap;
use std::sync::Arc;

const SECRET: &str = "hunter2-Sup3rS3cret";

/// A provider whose computed `tags_all` is rebuilt from `tags` without the marks, as the AWS
/// provider's `tags_all` (default tags merged with the resource's own) is today.
struct Lossy {
    types: IndexMap<String, ResourceType>,
    data: IndexMap<String, ResourceType>,
    config: Schema,
}

impl Lossy {
    fn new() -> Lossy {
        let mut types = IndexMap::new();
        types.insert(
            "lossy_role".to_string(),
            ResourceType {
                schema: Schema::new()
                    .attr("id", Attribute::computed(Type::String))
                    .attr("tags", Attribute::optional(Type::map(Type::String)))
                    .attr("tags_all", Attribute::computed(Type::map(Type::String))),
                service: "lossy",
                create_timeout: None,
                delete_timeout: None,
            },
        );
        Lossy {
            types,
            data: IndexMap::new(),
            config: Schema::new(),
        }
    }
}

struct LossyInstance;

fn lossy_value(v: &Value, id: Option<&str>) -> Value {
    let tags = v
        .get_attr("tags")
        .cloned()
        .unwrap_or_else(|| Value::null(Type::map(Type::String)));
    let (plain, _) = tags.clone().unmark_deep();
    Value::object(vec![
        (
            "id".into(),
            id.map_or_else(|| Value::unknown(Type::String), Value::string),
        ),
        ("tags".into(), tags),
        ("tags_all".into(), plain),
    ])
}

impl Provider for Lossy {
    fn name(&self) -> &'static str {
        "lossy"
    }
    fn resource_types(&self) -> &IndexMap<String, ResourceType> {
        &self.types
    }
    fn data_types(&self) -> &IndexMap<String, ResourceType> {
        &self.data
    }
    fn config_schema(&self) -> &Schema {
        &self.config
    }
    fn configure<'a>(
        &'a self,
        _config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Arc<dyn ProviderInstance>>> {
        Box::pin(async { Ok(Arc::new(LossyInstance) as Arc<dyn ProviderInstance>) })
    }
}

impl ProviderInstance for LossyInstance {
    fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let id = req
            .prior
            .and_then(|p| p.get_attr("id"))
            .and_then(Value::as_str);
        Ok(PlanResponse {
            planned: lossy_value(req.config, id),
            requires_replace: Vec::new(),
        })
    }
    fn read<'a>(
        &'a self,
        _t: &'a str,
        current: &'a Value,
        _c: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move { Ok(Some(current.clone())) })
    }
    fn create<'a>(
        &'a self,
        _t: &'a str,
        planned: &'a Value,
        _c: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move { Ok(lossy_value(planned, Some("role-1"))) })
    }
    fn update<'a>(
        &'a self,
        _t: &'a str,
        _prior: &'a Value,
        planned: &'a Value,
        _c: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move { Ok(lossy_value(planned, Some("role-1"))) })
    }
    fn delete<'a>(
        &'a self,
        _t: &'a str,
        _prior: &'a Value,
        _c: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async { Ok(()) })
    }
    fn import<'a>(
        &'a self,
        _t: &'a str,
        _id: &'a str,
        _c: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async { Err(engine::provider::ProviderError::new("not importable")) })
    }
    fn read_data<'a>(
        &'a self,
        _t: &'a str,
        _config: &'a Value,
        _c: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async { Err(engine::provider::ProviderError::new("no data sources")) })
    }
}

/// A project in the engine's harness (built-in, mock, lossy, AWS and GitOps providers) whose
/// GitOps provider writes to a fresh bare remote: the sensitive variable, resources that hold it
/// (`terraform_data.secret`, `mock_thing.secret`, `lossy_role.r`), and what a test adds.
struct Project {
    remote: Remote,
    h: Harness,
}

impl Project {
    fn new() -> Project {
        let remote = Remote::new();
        let mut h = Harness::with_mock(MockProvider::standard(), &[]);
        h.registry.add(Arc::new(providers::builtin::Builtin::new()));
        for p in providers::gitops::providers() {
            h.registry.add(p);
        }
        h.registry.add(Arc::new(Lossy::new()));
        for p in providers::aws::providers() {
            h.registry.add(p);
        }
        Project { remote, h }
    }

    fn cache(&self) -> std::path::PathBuf {
        self.remote.dir.path().join("cache")
    }

    /// Writes main.tf: `provider_extra` goes into the provider block, `resources` after it.
    fn write(&self, provider_extra: &str, resources: &str) {
        let text = format!(
            r#"
variable "db_password" {{
  type      = string
  sensitive = true
  default   = "{SECRET}"
}}
provider "gitops" {{
  repository  = "file://{remote}"
  branch      = "main"
  cache_dir   = "{cache}"
  {prefix}
  {provider_extra}
}}
resource "terraform_data" "secret" {{
  input = {{ pw = var.db_password }}
}}
resource "mock_thing" "secret" {{
  input = {{ pw = var.db_password }}
}}
resource "lossy_role" "r" {{
  tags = {{ pw = var.db_password, team = "data" }}
}}
{resources}
"#,
            remote = self.remote.bare.display(),
            cache = self.cache().display(),
            prefix = if provider_extra.contains("path_prefix") {
                ""
            } else {
                "path_prefix = \"gitops\""
            },
        );
        self.h.write("main.tf", &text);
    }

    /// The Application `db` with this `helm` object and these extra attributes.
    fn app(helm: &str, extra: &str) -> String {
        format!(
            r#"
resource "argocd_application" "db" {{
  metadata = {{ name = "db" }}
  spec = {{
    project = "default"
    source = {{
      repoURL        = "https://charts.example.com"
      chart          = "db"
      targetRevision = "1.0.0"
      helm           = {helm}
    }}
    destination = {{ server = "https://kubernetes.default.svc", namespace = "db" }}
  }}
  {extra}
}}
"#
        )
    }

    /// Everything Git holds, in the remote and in the provider's cache: every commit's patch,
    /// commit messages, ref names.
    fn git_text(&self) -> String {
        git_text(&self.remote, &self.cache())
    }

    fn assert_no_secret_in_git(&self, what: &str) {
        let t = self.git_text();
        assert!(!t.contains(SECRET), "{what}: the secret is in Git:\n{t}");
    }
}

/// `git log -p --all` (with authors and messages) and the refs of the remote and of the cache.
fn git_text(remote: &Remote, cache: &std::path::Path) -> String {
    let log = ["log", "-p", "--all", "--format=%H %an <%ae> %s%n%b"];
    let mut out = git(&remote.bare, &log);
    out.push_str(&git(&remote.bare, &["for-each-ref"]));
    if cache.exists() {
        out.push_str(&git(cache, &log));
        out.push_str(&git(cache, &["for-each-ref"]));
    }
    out
}

#[derive(Debug)]
enum Outcome {
    /// Refused at plan (the error text).
    Plan(String),
    /// Refused at apply (the error text).
    Apply(String),
    /// Applied.
    Applied,
}

/// Plans and applies the project as it is; reports where it was refused.
fn run(p: &mut Project) -> Outcome {
    let planned = p.h.plan();
    if planned.diags.has_errors() {
        return Outcome::Plan(planned.errors());
    }
    let applied = p.h.apply(&planned, harness::ApplyOpts::default());
    if !applied.complete() {
        let mut e = applied.errors();
        for (a, x) in applied.failed() {
            e.push_str(&format!("\n{a}: {x}"));
        }
        return Outcome::Apply(e);
    }
    Outcome::Applied
}

/// Runs the project and checks it was applied.
fn assert_applied(p: &mut Project, what: &str) {
    match run(p) {
        Outcome::Applied => {}
        Outcome::Plan(e) | Outcome::Apply(e) => panic!("{what}: not applied: {e}"),
    }
}

/// Runs the project and checks it was refused at plan for a secret at `attribute`, with the
/// hint, without the secret in the message or in Git.
fn assert_refused(p: &mut Project, what: &str, attribute: &str) {
    match run(p) {
        Outcome::Plan(e) => {
            assert!(e.contains("would commit a secret to Git"), "{what}: {e}");
            assert!(
                e.contains(&format!("(attribute {attribute})")) || e.contains(attribute),
                "{what}: names {attribute}: {e}"
            );
            assert!(e.contains("nonsensitive()"), "{what}: the hint: {e}");
            assert!(
                !e.contains(SECRET),
                "{what}: the message shows the secret: {e}"
            );
        }
        o => panic!("{what}: not refused at plan: {o:?}"),
    }
    p.assert_no_secret_in_git(what);
    assert_eq!(
        p.remote.log("main"),
        vec!["initial"],
        "{what}: nothing committed"
    );
}

/// Every way of writing a sensitive value into an Application's Helm values (or elsewhere in a
/// manifest) is refused at plan, naming the attribute.
#[test]
fn sensitive_values_are_refused_wherever_they_come_from() {
    let app = |helm: &str| Project::app(helm, "");
    let cases: Vec<(&str, String, &str)> = vec![
        ("direct", app("{ values = var.db_password }"), "spec.source.helm.values"),
        (
            "jsonencode",
            app("{ values = jsonencode({ db = { password = var.db_password } }) }"),
            "spec.source.helm.values",
        ),
        (
            "yamlencode",
            app("{ values = yamlencode({ db = { password = var.db_password } }) }"),
            "spec.source.helm.values",
        ),
        (
            "format",
            app("{ values = format(\"password: %s\", var.db_password) }"),
            "spec.source.helm.values",
        ),
        (
            "template",
            app("{ values = \"db:\\n  password: ${var.db_password}\\n\" }"),
            "spec.source.helm.values",
        ),
        (
            "for expression (list)",
            app("{ values = join(\"\\n\", [for k, v in { password = var.db_password } : \"${k}: ${v}\"]) }"),
            "spec.source.helm.values",
        ),
        (
            "for expression (object)",
            app("{ valuesObject = { for k in [\"password\"] : k => var.db_password } }"),
            "spec.source.helm.valuesObject",
        ),
        (
            "nested deep",
            app("{ valuesObject = { a = { b = [{ c = \"x\" }, { c = var.db_password }] } } }"),
            "spec.source.helm.valuesObject.a.b[1].c",
        ),
        (
            "helm parameters",
            app("{ parameters = [{ name = \"auth.password\", value = var.db_password }] }"),
            "spec.source.helm.parameters[0].value",
        ),
        (
            "local",
            format!("locals {{ pw = upper(var.db_password) }}\n{}", app("{ values = local.pw }")),
            "spec.source.helm.values",
        ),
        (
            "lookup",
            app("{ values = lookup({ a = var.db_password }, \"a\") }"),
            "spec.source.helm.values",
        ),
        (
            "base64encode",
            app("{ values = base64encode(var.db_password) }"),
            "spec.source.helm.values",
        ),
        (
            "a map key",
            app("{ values = keys({ (var.db_password) = 1 })[0] }"),
            "spec.source.helm.values",
        ),
        ("try", app("{ values = try(var.db_password, \"\") }"), "spec.source.helm.values"),
        (
            "a resource's attribute (terraform_data output)",
            app("{ values = terraform_data.secret.output[\"pw\"] }"),
            "spec.source.helm.values",
        ),
        (
            "a resource's computed attribute (mock_thing output)",
            app("{ values = jsonencode(mock_thing.secret.output) }"),
            "spec.source.helm.values",
        ),
        (
            "an ARN with something after it",
            app("{ values = \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db\\npassword: ${var.db_password}\" }"),
            "spec.source.helm.values",
        ),
        (
            "the file's path",
            Project::app("{ values = \"x: 1\" }", "path = \"gitops/apps/${var.db_password}.yaml\""),
            "path",
        ),
        (
            "a ConfigMap's data",
            r#"
resource "gitops_manifest" "cm" {
  manifest = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "db", namespace = "db" }
    data       = { "config.yaml" = yamlencode({ users = [{ name = "app", password = var.db_password }] }) }
  }
}
"#
            .to_string(),
            "manifest.data[\"config.yaml\"]",
        ),
        (
            "an app-of-apps attribute",
            "resource \"gitops_app_of_apps\" \"root\" {\n  name = \"root\"\n  target_revision = var.db_password\n}\n".to_string(),
            "target_revision",
        ),
        (
            "a module output",
            format!(
                "module \"m\" {{\n  source = \"./m\"\n  pw     = var.db_password\n}}\n{}",
                app("{ values = module.m.values }")
            ),
            "spec.source.helm.values",
        ),
    ];
    for (what, resources, attribute) in cases {
        let mut p = Project::new();
        p.h.write(
            "m/main.tf",
            "variable \"pw\" { type = string }\noutput \"values\" { value = \"password: ${var.pw}\" }\n",
        );
        p.write("", &resources);
        assert_refused(&mut p, what, attribute);
    }
}

/// The provider settings that are committed (author, branch, path prefix) must not be
/// sensitive.
#[test]
fn sensitive_provider_settings_are_refused() {
    for (what, setting) in [
        ("author_name", "author_name = var.db_password"),
        (
            "author_email",
            "author_email = \"${var.db_password}@example.com\"",
        ),
        ("gitops_branch", "gitops_branch = var.db_password"),
        ("path_prefix", "path_prefix = \"gitops/${var.db_password}\""),
    ] {
        let mut p = Project::new();
        p.write(
            setting,
            &Project::app("{ values = \"replicaCount: 2\" }", ""),
        );
        match run(&mut p) {
            Outcome::Plan(e) => {
                assert!(
                    e.contains("is sensitive, and would be committed to Git"),
                    "{what}: {e}"
                );
                assert!(!e.contains(SECRET), "{what}: {e}");
            }
            o => panic!("{what}: not refused: {o:?}"),
        }
        p.assert_no_secret_in_git(what);
    }
}

/// A provider setting declassified with `nonsensitive()` is not sensitive: it is committed.
#[test]
fn declassified_provider_settings_are_committed() {
    let mut p = Project::new();
    p.write(
        "author_name = nonsensitive(sensitive(\"Deploy Bot\"))",
        &Project::app("{ values = \"replicaCount: 2\" }", ""),
    );
    assert_applied(&mut p, "declassified author_name");
    let t = p.git_text();
    assert!(t.contains("Deploy Bot <"), "the commit's author: {t}");
}

/// The resource exists first (apply 1); apply 2 puts its attribute into a manifest: refused.
#[test]
fn a_second_apply_is_refused_too() {
    for (what, expr) in [
        (
            "terraform_data output",
            "terraform_data.secret.output[\"pw\"]",
        ),
        ("mock_thing output", "mock_thing.secret.output[\"pw\"]"),
        ("lossy_role tags", "lossy_role.r.tags[\"pw\"]"),
    ] {
        let mut p = Project::new();
        p.write("", "");
        assert_applied(&mut p, &format!("{what}: apply 1"));
        p.write("", &Project::app(&format!("{{ values = {expr} }}"), ""));
        assert_refused(&mut p, what, "spec.source.helm.values");
        // And a third time, the state written by apply 1 read back again.
        assert_refused(&mut p, what, "spec.source.helm.values");
    }
}

/// `nonsensitive()` is the explicit opt-out: the plan shows the value (in the resource's
/// attributes and in the file's content), and the apply commits it.
#[test]
fn nonsensitive_passes_and_the_plan_shows_it() {
    let mut p = Project::new();
    p.write(
        "",
        &Project::app(
            "{ values = \"password: ${nonsensitive(var.db_password)}\" }",
            "",
        ),
    );
    let planned = p.h.plan();
    assert!(!planned.diags.has_errors(), "{}", planned.errors());
    let after = planned
        .change("argocd_application.db")
        .and_then(|c| c.after.clone())
        .expect("planned");
    let values = after
        .get_attr("spec")
        .and_then(|s| s.get_key("source"))
        .and_then(|s| s.get_key("helm"))
        .and_then(|h| h.get_key("values"))
        .expect("spec.source.helm.values");
    assert!(!values.is_sensitive_deep(), "not sensitive any more");
    assert!(
        values.is_declassified(),
        "and the plan knows it was declassified"
    );
    assert_eq!(
        values.as_str(),
        Some(format!("password: {SECRET}").as_str())
    );
    let content = after
        .get_attr("content")
        .and_then(Value::as_str)
        .expect("content known at plan");
    assert!(content.contains(SECRET), "{content}");
    // The plan's file diff (as `sakk plan` and the pull-request comment show it).
    let diff = providers::gitops::file_diff("argocd_application.db", None, Some(&after))
        .expect("a new file");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("values:") && l.contains(SECRET)),
        "{diff}"
    );
    let applied = p.h.apply(&planned, harness::ApplyOpts::default());
    assert!(applied.complete(), "{}", applied.errors());
    assert!(p
        .remote
        .show("main:gitops/apps/application-db.yaml")
        .contains(SECRET));
}

/// Declassifying part of a value does not declassify the rest: a manifest that holds a
/// `nonsensitive()` value next to (or mixed with) the secret itself is refused, naming where.
#[test]
fn a_partly_declassified_value_is_still_refused() {
    for (what, helm, attribute) in [
        (
            "the secret beside its declassified copy",
            "{ values = nonsensitive(var.db_password), parameters = [{ name = \"pw\", value = var.db_password }] }",
            "spec.source.helm.parameters",
        ),
        (
            "jsonencode of both",
            "{ values = jsonencode({ a = nonsensitive(var.db_password), b = var.db_password }) }",
            "spec.source.helm.values",
        ),
        (
            "a template of both",
            "{ values = \"${nonsensitive(var.db_password)}-${var.db_password}\" }",
            "spec.source.helm.values",
        ),
        (
            "sensitive() again",
            "{ values = yamlencode({ pw = sensitive(nonsensitive(var.db_password)) }) }",
            "spec.source.helm.values",
        ),
    ] {
        let mut p = Project::new();
        p.write("", &Project::app(helm, ""));
        assert_refused(&mut p, what, attribute);
    }
}

/// An AWS role's `tags_all` (default tags merged with the role's own, rebuilt by the provider)
/// keeps the marks of the tags: the reported bypass, in one apply and in two. Against moto.
#[test]
fn aws_tags_all_is_refused_in_one_apply_and_in_two() {
    let Some(ep) = common::moto() else { return };
    let name = format!("sakk-guard-{}", common::uniq());
    let aws = format!(
        r#"
provider "aws" {{
  region = "us-east-1"
  endpoints {{
    iam = "{ep}"
    sts = "{ep}"
  }}
  default_tags {{
    tags = {{ env = "test" }}
  }}
}}
resource "aws_iam_role" "r" {{
  name               = "{name}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
  tags               = {{ pw = var.db_password, team = "data" }}
}}
"#
    );
    let manifest = Project::app("{ values = aws_iam_role.r.tags_all[\"pw\"] }", "");
    // One apply: the role and the manifest together.
    let mut p = Project::new();
    p.write("", &format!("{aws}{manifest}"));
    let planned = p.h.plan();
    let all = planned
        .change("aws_iam_role.r")
        .and_then(|c| c.after.clone())
        .and_then(|a| a.get_attr("tags_all").cloned());
    assert!(
        all.as_ref()
            .and_then(|m| m.get_key("pw"))
            .is_some_and(Value::is_sensitive),
        "tags_all.pw is sensitive in the plan: {all:?}"
    );
    assert_refused(&mut p, "tags_all, one apply", "spec.source.helm.values");
    // Two applies: the role first, then the manifest.
    let mut p = Project::new();
    p.write("", &aws.replace(&name, &format!("{name}-2")));
    assert_applied(&mut p, "the role alone");
    p.write(
        "",
        &format!("{}{manifest}", aws.replace(&name, &format!("{name}-2"))),
    );
    assert_refused(&mut p, "tags_all, second apply", "spec.source.helm.values");
    // Clean up the role.
    p.write("", "");
    let _ = run(&mut p);
}

/// A provider that rebuilds a computed attribute from a sensitive input without its marks (the
/// lossy_role here; any provider could) hands the secret on unmarked: the GitOps provider,
/// which never sees the input, cannot tell. The engine has to mark such attributes (or hand
/// providers the run's sensitive strings): see the report of branch h-gitguard.
#[test]
fn a_provider_that_drops_marks_is_refused() {
    let mut p = Project::new();
    p.write(
        "",
        &Project::app("{ values = lossy_role.r.tags_all[\"pw\"] }", ""),
    );
    assert_refused(
        &mut p,
        "lossy tags_all, one apply",
        "spec.source.helm.values",
    );
    let mut p = Project::new();
    p.write("", "");
    assert_applied(&mut p, "lossy_role alone");
    p.write(
        "",
        &Project::app("{ values = lossy_role.r.tags_all[\"pw\"] }", ""),
    );
    assert_refused(
        &mut p,
        "lossy tags_all, second apply",
        "spec.source.helm.values",
    );
}

// ---- the scan before the commit (the provider driven directly) ----

async fn instance(r: &Remote, p: &providers::gitops::GitOps) -> Arc<dyn ProviderInstance> {
    let cfg = provider_config(
        p,
        json(&format!(
            r#"{{"repository": "file://{}", "branch": "main", "path_prefix": "gitops",
                 "cache_dir": {:?}}}"#,
            r.bare.display(),
            r.dir.path().join("cache").display().to_string()
        )),
    );
    match p.configure(&cfg).await {
        Ok(i) => i,
        Err(e) => panic!("configure: {e}"),
    }
}

fn app_config(p: &providers::gitops::GitOps, name: &str, values: Value) -> Value {
    config(
        p,
        "argocd_application",
        Value::object(vec![
            ("metadata".into(), json(&format!(r#"{{"name": "{name}"}}"#))),
            (
                "spec".into(),
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
                            (
                                "helm".into(),
                                Value::object(vec![("values".into(), values)]),
                            ),
                        ]),
                    ),
                    (
                        "destination".into(),
                        json(r#"{"server": "https://kubernetes.default.svc", "namespace": "db"}"#),
                    ),
                ]),
            ),
        ]),
    )
}

/// A value seen sensitive during the apply (refused at plan) that arrives at create without its
/// mark, verbatim or inside a multi-line document, in this resource or in another one: the
/// scan refuses the commit, every address of the apply fails, and Git never sees it.
#[tokio::test]
async fn a_value_that_lost_its_mark_is_not_committed() {
    for (what, unmarked) in [
        ("verbatim", Value::string(SECRET)),
        (
            "in a multi-line document",
            Value::string(format!("db:\n  user: app\n  password: {SECRET}\n")),
        ),
        ("escaped", Value::string(format!(" {SECRET}\twith a tab"))),
    ] {
        let r = Remote::new();
        let p = providers::gitops::GitOps::new();
        let inst = instance(&r, &p).await;
        let marked = app_config(&p, "db", Value::string(SECRET).mark_sensitive());
        let e = inst
            .plan(PlanRequest {
                type_: "argocd_application",
                prior: None,
                config: &marked,
            })
            .expect_err("a secret");
        assert!(
            e.summary
                .contains("argocd_application \"db\": would commit a secret to Git"),
            "{e:?}"
        );
        assert_eq!(e.attribute.as_deref(), Some("spec.source.helm.values"));
        assert!(e
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("nonsensitive()")));
        // The same value without its mark, in this resource and in a harmless other one.
        let lost = app_config(&p, "db", unmarked.clone());
        let planned = inst
            .plan(PlanRequest {
                type_: "argocd_application",
                prior: None,
                config: &lost,
            })
            .expect("unmarked: the mark check cannot see it")
            .planned;
        let other = app_config(&p, "web", Value::string("replicaCount: 2"));
        let other_planned = inst
            .plan(PlanRequest {
                type_: "argocd_application",
                prior: None,
                config: &other,
            })
            .expect("plan")
            .planned;
        inst.create("argocd_application", &planned, &op("argocd_application.db"))
            .await
            .expect("staged");
        inst.create(
            "argocd_application",
            &other_planned,
            &op("argocd_application.web"),
        )
        .await
        .expect("staged");
        let errs = inst
            .finish_apply(&ApplyContext::default())
            .await
            .expect_err("the commit is refused");
        let db = errs
            .iter()
            .find(|(a, _)| a == "argocd_application.db")
            .map(|(_, e)| e)
            .expect("the address of the file");
        assert!(
            db.summary
                .contains("gitops/apps/application-db.yaml would contain a secret"),
            "{what}: {db:?}"
        );
        assert!(
            db.detail
                .contains("spec.source.helm.values of argocd_application \"db\""),
            "{what}: {db:?}"
        );
        assert!(
            errs.iter()
                .any(|(a, e)| a == "argocd_application.web" && e.summary.contains("not committed")),
            "{what}: {errs:?}"
        );
        assert!(!format!("{errs:?}").contains(SECRET), "{what}: {errs:?}");
        let t = git_text(&r, &r.dir.path().join("cache"));
        assert!(!t.contains(SECRET), "{what}: in Git:\n{t}");
        assert_eq!(r.log("main"), vec!["initial"], "{what}");
        // The next apply (the secret no longer shown) commits the harmless file.
        inst.create(
            "argocd_application",
            &other_planned,
            &op("argocd_application.web"),
        )
        .await
        .expect("staged");
        inst.finish_apply(&ApplyContext::default())
            .await
            .expect("committed");
        assert_eq!(r.log("main").len(), 2, "{what}");
    }
}

/// A reference to a secret (allowed sensitive value) is committed, and not taken for a secret
/// by the scan.
#[tokio::test]
async fn references_pass_the_scan() {
    let r = Remote::new();
    let p = providers::gitops::GitOps::new();
    let inst = instance(&r, &p).await;
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
    let cfg = config(
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
                    Value::object(vec![(
                        "data".into(),
                        Value::tuple(vec![Value::object(vec![
                            ("secretKey".into(), Value::string("password")),
                            (
                                "remoteRef".into(),
                                Value::object(vec![(
                                    "key".into(),
                                    Value::string(arn).mark_sensitive(),
                                )]),
                            ),
                        ])]),
                    )]),
                ),
            ]),
        )]),
    );
    let planned = inst
        .plan(PlanRequest {
            type_: "gitops_manifest",
            prior: None,
            config: &cfg,
        })
        .expect("a reference")
        .planned;
    inst.create("gitops_manifest", &planned, &op("gitops_manifest.db"))
        .await
        .expect("staged");
    inst.finish_apply(&ApplyContext::default())
        .await
        .expect("committed");
    assert!(r
        .show("main:gitops/manifests/externalsecret-db-db.yaml")
        .contains(arn));
}
