//! The GitOps provider: Argo CD Applications, AppProjects, ApplicationSets, Kubeflow Profiles
//! and any Kubernetes manifest, rendered as YAML files (one document per file, deterministic)
//! and committed to a Git repository — one commit per apply, pushed to the configured branch
//! (or to a pull-request branch with `--gitops-branch`). Argo CD syncs them from there.
//!
//! - Planning renders and checks each manifest (CRD schemas in `providers/schemas/`, metadata
//!   rules, no sensitive values) and reads the local clone; the planned value carries the file
//!   `path` and its YAML `content`, so a plan shows file-level changes ([`diff`] renders them).
//! - `create`/`update`/`delete` check and render again and stage file changes;
//!   [`ProviderInstance::finish_apply`] makes the single commit and pushes it ([`git::publish`]).
//! - Secrets never reach Git: a value that carries a sensitive mark anywhere in a manifest (or
//!   in its `path`, or in the provider settings that are committed: branch, path_prefix,
//!   author) is refused at plan and again at apply, unless it is a reference to a secret
//!   (`secret_references`, an AWS Secrets Manager ARN, a Secret's name). `nonsensitive()` is the
//!   explicit opt-out. As a last line ([`guard`]), the sensitive strings the instance was shown
//!   are looked for in every file before the commit, so a value whose mark got lost on the way
//!   is still not committed.
//! - Files sakk writes start with a header naming the resource address; files without it are
//!   never overwritten or deleted.
//!
//! Modules: [`tree`] (manifest data, YAML), [`schema`] (CRD checks), [`render`] (per type),
//! [`git`] (cache, commit, push), [`diff`] (plan diffs).

pub mod diff;
pub mod git;
pub mod guard;
pub mod render;
pub mod schema;
pub mod tree;

pub use diff::{file_diff, markdown_diff, planned_file};

use engine::lang::types::Type;
use engine::lang::value::{Kind, Value};
use engine::provider::{
    ApplyContext, Attribute, BoxFuture, OpContext, PlanRequest, PlanResponse, Provider,
    ProviderError, ProviderInstance, ProviderResult, ResourceType, Schema,
};
use indexmap::IndexMap;
use render::{Layout, APPLICATION, APPLICATION_SET, APP_OF_APPS, MANIFEST, PROFILE, PROJECT};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The GitOps provider.
pub fn providers() -> Vec<Arc<dyn Provider>> {
    vec![Arc::new(GitOps::new())]
}

pub struct GitOps {
    resources: IndexMap<String, ResourceType>,
    data: IndexMap<String, ResourceType>,
    config: Schema,
}

impl Default for GitOps {
    fn default() -> Self {
        Self::new()
    }
}

fn common(s: Schema) -> Schema {
    s.attr(
        "id",
        Attribute::computed(Type::String).describe("The file's path in the repository"),
    )
    .attr(
        "path",
        Attribute::optional_computed(Type::String)
            .describe("The file's path in the repository (default: from kind and name)"),
    )
    .attr(
        "content",
        Attribute::computed(Type::String)
            .describe("The YAML document written (after sakk's header comment)"),
    )
    .attr(
        "secret_references",
        Attribute::optional(Type::list(Type::String)).describe(
            "Paths (spec.x.y[0].z) of sensitive values that are references to secrets, not \
             secrets, and may be committed",
        ),
    )
}

fn resource(schema: Schema) -> ResourceType {
    ResourceType {
        schema: common(schema),
        service: "git",
        create_timeout: None,
        delete_timeout: None,
    }
}

impl GitOps {
    pub fn new() -> GitOps {
        let mut resources = IndexMap::new();
        let k8s = |what: &'static str| {
            resource(
                Schema::new()
                    .attr(
                        "metadata",
                        Attribute::required(Type::Dynamic)
                            .describe("metadata: name, namespace, labels, annotations, finalizers"),
                    )
                    .attr("spec", Attribute::required(Type::Dynamic).describe(what)),
            )
        };
        resources.insert(
            APPLICATION.to_string(),
            k8s("The Application's spec, with Argo CD's field names"),
        );
        resources.insert(
            PROJECT.to_string(),
            k8s("The AppProject's spec, with Argo CD's field names"),
        );
        resources.insert(
            APPLICATION_SET.to_string(),
            k8s("The ApplicationSet's spec, with Argo CD's field names"),
        );
        resources.insert(
            PROFILE.to_string(),
            k8s("The Profile's spec: owner, resourceQuotaSpec, plugins"),
        );
        resources.insert(
            MANIFEST.to_string(),
            resource(
                Schema::new().attr(
                    "manifest",
                    Attribute::required(Type::Dynamic)
                        .describe("Any Kubernetes object: apiVersion, kind, metadata, ..."),
                ),
            ),
        );
        let s = |d: &'static str| Attribute::optional(Type::String).describe(d);
        resources.insert(
            APP_OF_APPS.to_string(),
            resource(
                Schema::new()
                    .attr(
                        "name",
                        Attribute::required(Type::String).describe("The root Application's name"),
                    )
                    .attr("namespace", s("Its namespace (default argocd)"))
                    .attr("project", s("Its AppProject (default default)"))
                    .attr(
                        "source_path",
                        s("The directory of the child Applications (default <path_prefix>apps)"),
                    )
                    .attr(
                        "repo_url",
                        s("The repository Argo CD reads (default: the provider's repository)"),
                    )
                    .attr(
                        "target_revision",
                        s("The revision Argo CD tracks (default: the provider's branch)"),
                    )
                    .attr(
                        "destination_server",
                        s("default https://kubernetes.default.svc"),
                    )
                    .attr("destination_namespace", s("default argocd"))
                    .attr(
                        "automated",
                        Attribute::optional(Type::Bool)
                            .describe("Automated sync with prune and selfHeal (default true)"),
                    )
                    .attr(
                        "recurse",
                        Attribute::optional(Type::Bool)
                            .describe("Read source_path recursively (default false)"),
                    ),
            ),
        );
        let config = Schema::new()
            .attr(
                "repository",
                Attribute::required(Type::String).describe(
                    "The Git repository: https://, ssh://, git@host:path, file:// or a local path",
                ),
            )
            .attr(
                "branch",
                Attribute::optional(Type::String).describe("The tracked branch (default main)"),
            )
            .attr(
                "path_prefix",
                Attribute::optional(Type::String).describe("The directory of the generated files"),
            )
            .attr(
                "author_name",
                Attribute::optional(Type::String).describe("default sakk"),
            )
            .attr(
                "author_email",
                Attribute::optional(Type::String).describe("default sakk@localhost"),
            )
            .attr(
                "gitops_branch",
                Attribute::optional(Type::String).describe(
                    "Commit to this branch (made from the tracked one) instead: pull-request mode",
                ),
            )
            .attr(
                "cache_dir",
                Attribute::optional(Type::String)
                    .describe("Where the clone is kept (default .sakk/gitops/<repository>)"),
            )
            .attr(
                "token_env",
                Attribute::optional(Type::String).describe(
                    "The environment variable holding an https token (default SAKK_GIT_TOKEN)",
                ),
            )
            .attr(
                "ssh_key_file",
                Attribute::optional(Type::String).describe("An ssh private key"),
            )
            .attr(
                "push_attempts",
                Attribute::optional(Type::Number)
                    .describe("How often a rejected push is retried after a fetch (default 5)"),
            );
        GitOps {
            resources,
            data: IndexMap::new(),
            config,
        }
    }
}

/// A provider setting that is written to Git (a branch name, the path prefix of the files, the
/// commit author): refused when sensitive.
fn committed_str(v: &Value, name: &str) -> ProviderResult<Option<String>> {
    if v.get_attr(name).is_some_and(Value::is_sensitive_deep) {
        return Err(ProviderError::new(format!(
            "provider \"gitops\": {name} is sensitive, and would be committed to Git"
        ))
        .detail(format!(
            "{name} is written to the repository (in file paths, branch names or commits)"
        ))
        .attribute(name)
        .hint("use a value that is not secret; if it is meant to be public, wrap it in nonsensitive()"));
    }
    cfg_str(v, name)
}

fn cfg_str(v: &Value, name: &str) -> ProviderResult<Option<String>> {
    match v.get_attr(name) {
        None => Ok(None),
        Some(x) if x.is_null() => Ok(None),
        Some(x) if !x.is_known() => Err(ProviderError::new(format!(
            "provider \"gitops\": {name} must be known before apply"
        ))
        .attribute(name)
        .hint("use a value that does not depend on a resource created by this apply")),
        Some(x) => match x.as_str() {
            Some(s) => Ok(Some(s.to_string())),
            None => Err(ProviderError::new(format!(
                "provider \"gitops\": {name} must be a string"
            ))
            .attribute(name)),
        },
    }
}

fn check_branch(name: &str, attribute: &str) -> ProviderResult<()> {
    if git2::Reference::is_valid_name(&format!("refs/heads/{name}")) {
        Ok(())
    } else {
        Err(
            ProviderError::new(format!("{name:?} is not a valid branch name"))
                .attribute(attribute)
                .hint("use a name like main or sakk/plan-42"),
        )
    }
}

/// A stable, short name for the cache directory of a repository.
fn cache_name(url: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let last = url
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("repo")
        .trim_end_matches(".git");
    let slug: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("{slug}-{:016x}", h)
}

#[derive(Debug, Clone)]
struct Settings {
    remote: git::RemoteSpec,
    branch: String,
    gitops_branch: Option<String>,
    layout: Layout,
    author_name: String,
    author_email: String,
    cache: PathBuf,
    attempts: u32,
}

impl Provider for GitOps {
    fn name(&self) -> &'static str {
        "gitops"
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
        // Operations only stage file changes; the commit is made once, in finish_apply.
        64
    }
    fn configure<'a>(
        &'a self,
        config: &'a Value,
    ) -> BoxFuture<'a, ProviderResult<Arc<dyn ProviderInstance>>> {
        Box::pin(async move {
            let settings = settings(config)?;
            let s = settings.clone();
            let (view, tip) = tokio::task::spawn_blocking(move || -> ProviderResult<_> {
                let repo = git::open_cache(&s.cache)?;
                let tips = git::fetch(&repo, &s.remote, &[s.branch.as_str()])?;
                let remote_tip = tips.get(&s.branch).copied().flatten();
                let tip =
                    git::view_tip(&repo, &publish_settings(&s, &s.branch, 0, ""), remote_tip)?;
                Ok((repo, tip))
            })
            .await
            .map_err(|e| ProviderError::new("the Git task failed").detail(e.to_string()))??;
            let secrets = config_secrets(config);
            Ok(Arc::new(GitOpsInstance {
                settings,
                view: Mutex::new(View { repo: view, tip }),
                staged: Mutex::new(git::Staged::default()),
                secrets: Mutex::new(secrets.clone()),
                config_secrets: secrets,
            }) as Arc<dyn ProviderInstance>)
        })
    }
}

/// The sensitive parts of the provider configuration that must never reach a file: the
/// credentials of a sensitive repository URL.
fn config_secrets(config: &Value) -> guard::Secrets {
    let mut out = guard::Secrets::default();
    if let Some(r) = config
        .get_attr("repository")
        .filter(|r| r.is_sensitive_deep())
    {
        let (plain, _) = r.clone().unmark_deep();
        if let Some(url) = plain.as_str() {
            for c in guard::url_credentials(url) {
                out.add(&c, "the credentials of the provider's repository");
            }
        }
    }
    out
}

fn settings(config: &Value) -> ProviderResult<Settings> {
    let repository = cfg_str(config, "repository")?.ok_or_else(|| {
        ProviderError::new("provider \"gitops\": repository is required")
            .attribute("repository")
            .hint("set repository to the URL (or path) of the Git repository Argo CD reads")
    })?;
    let url = match repository.split_once("://") {
        Some(_) => repository.clone(),
        None if repository.contains('@') && repository.contains(':') => repository.clone(),
        None => {
            // A local path: absolute, so the cache and libgit2 agree on it.
            let p = PathBuf::from(&repository);
            let abs = if p.is_absolute() {
                p
            } else {
                std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
            };
            abs.to_string_lossy().into_owned()
        }
    };
    let display = git::redact(&url);
    let branch = committed_str(config, "branch")?.unwrap_or_else(|| "main".to_string());
    check_branch(&branch, "branch")?;
    let gitops_branch = committed_str(config, "gitops_branch")?;
    if let Some(b) = &gitops_branch {
        check_branch(b, "gitops_branch")?;
    }
    let prefix = committed_str(config, "path_prefix")?.unwrap_or_default();
    let prefix = prefix.trim_matches('/').to_string();
    if !prefix.is_empty() {
        render::check_repo_path(&format!("{prefix}/x.yaml")).map_err(|e| {
            ProviderError::new("provider \"gitops\": invalid path_prefix")
                .detail(format!("path_prefix: {e}"))
                .attribute("path_prefix")
        })?;
    }
    let attempts = match config.get_attr("push_attempts").filter(|v| !v.is_null()) {
        None => 5,
        Some(v) => v
            .as_number()
            .and_then(|n| n.to_i64())
            .filter(|n| (1..=100).contains(n))
            .map(|n| n as u32)
            .ok_or_else(|| {
                ProviderError::new(
                    "provider \"gitops\": push_attempts must be a whole number from 1 to 100",
                )
                .attribute("push_attempts")
            })?,
    };
    let cache = match cfg_str(config, "cache_dir")? {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(".sakk")
            .join("gitops")
            .join(cache_name(&display)),
    };
    Ok(Settings {
        remote: git::RemoteSpec {
            url,
            display: display.clone(),
            token_env: cfg_str(config, "token_env")?,
            ssh_key_file: cfg_str(config, "ssh_key_file")?.map(PathBuf::from),
        },
        layout: Layout {
            path_prefix: if prefix.is_empty() {
                prefix
            } else {
                format!("{prefix}/")
            },
            repo_url: display,
            branch: branch.clone(),
        },
        branch,
        gitops_branch,
        author_name: committed_str(config, "author_name")?.unwrap_or_else(|| "sakk".to_string()),
        author_email: committed_str(config, "author_email")?
            .unwrap_or_else(|| "sakk@localhost".to_string()),
        cache,
        attempts,
    })
}

fn publish_settings(
    s: &Settings,
    target: &str,
    serial: u64,
    plan_source: &str,
) -> git::PublishSettings {
    git::PublishSettings {
        remote: s.remote.clone(),
        tracked: s.branch.clone(),
        target: target.to_string(),
        author_name: s.author_name.clone(),
        author_email: s.author_email.clone(),
        attempts: s.attempts,
        state_serial: serial,
        plan_source: plan_source.to_string(),
    }
}

/// The local clone as plans see it: the tracked branch (plus kept, unpushed commits).
struct View {
    repo: git2::Repository,
    tip: Option<git2::Oid>,
}

struct GitOpsInstance {
    settings: Settings,
    view: Mutex<View>,
    staged: Mutex<git::Staged>,
    /// The sensitive strings seen since the last commit, looked for in the files before the
    /// next one ([`guard`]).
    secrets: Mutex<guard::Secrets>,
    /// Those of the provider configuration (kept across applies).
    config_secrets: guard::Secrets,
}

fn lock_error() -> ProviderError {
    ProviderError::new("internal error: a lock of the GitOps provider was poisoned")
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

fn str_or_unknown(s: Option<&String>) -> Value {
    s.map_or_else(
        || Value::unknown(Type::String),
        |s| Value::string(s.as_str()),
    )
}

fn value_path(v: &Value) -> Option<String> {
    v.get_attr("path")
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl GitOpsInstance {
    /// Remembers the sensitive values of a resource's configuration (or planned value) that
    /// the manifest check refuses, for the scan before the commit.
    fn remember_secrets(&self, type_: &str, value: &Value) -> ProviderResult<()> {
        if !value.is_sensitive_deep() {
            return Ok(());
        }
        let mut s = self.secrets.lock().map_err(|_| lock_error())?;
        render::collect_secrets(type_, value, &mut s);
        Ok(())
    }

    fn read_view(&self, path: &str) -> ProviderResult<Option<String>> {
        let v = self.view.lock().map_err(|_| lock_error())?;
        Ok(git::read_file(&v.repo, v.tip, path))
    }

    /// Renders a value whose every part is known (apply time) into (path, file text, state).
    fn render_known(
        &self,
        type_: &str,
        value: &Value,
        address: &str,
    ) -> ProviderResult<(String, String, Value)> {
        let r = render::render(type_, value, &self.settings.layout)?;
        let (Some(path), Some(content)) = (r.path, r.content) else {
            return Err(ProviderError::new(format!(
                "{address}: the manifest is not fully known at apply time"
            ))
            .hint("this is a bug in sakk's apply: report it with the plan"));
        };
        let text = render::file_text(address, &content);
        let mut state = with_attr(value, "id", Value::string(path.as_str()));
        state = with_attr(&state, "path", Value::string(path.as_str()));
        state = with_attr(&state, "content", Value::string(content.as_str()));
        Ok((path, text, state))
    }

    /// May `address` write `path`? Not over a file sakk did not write, nor over another
    /// resource's file.
    fn check_owner(&self, path: &str, address: &str) -> ProviderResult<()> {
        if let Some((other, Some(_))) = self
            .staged
            .lock()
            .map_err(|_| lock_error())?
            .files
            .get(path)
            .cloned()
        {
            if other != address {
                return Err(ProviderError::new(format!(
                    "{address}: {path} is also written by {other}"
                ))
                .attribute("path")
                .hint("give one of them another path"));
            }
        }
        if let Some(text) = self.read_view(path)? {
            match render::header_address(&text) {
                None => return Err(foreign_file(path)),
                Some(a) if a != address => {
                    return Err(ProviderError::new(format!("{path} belongs to {a}"))
                        .detail(format!(
                            "{address} would overwrite the file sakk wrote for {a}"
                        ))
                        .attribute("path")
                        .hint("give one of them another path, or remove the other resource first"))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

fn foreign_file(path: &str) -> ProviderError {
    ProviderError::new(format!("{path} already holds a file sakk did not write"))
        .detail("sakk never overwrites or deletes files it did not write")
        .attribute("path")
        .hint("move that file away, or set path to another file")
}

impl ProviderInstance for GitOpsInstance {
    /// Manifests are committed in `finish_apply`, after the state recorded them: a crash before
    /// leaves nothing in Git, one after is a file the next refresh reads.
    fn leaves_objects(&self, _type: &str) -> bool {
        false
    }

    fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        self.remember_secrets(req.type_, req.config)?;
        let r = render::render(req.type_, req.config, &self.settings.layout)?;
        let mut planned = with_attr(req.config, "path", str_or_unknown(r.path.as_ref()));
        planned = with_attr(&planned, "id", str_or_unknown(r.path.as_ref()));
        planned = with_attr(&planned, "content", str_or_unknown(r.content.as_ref()));
        if let Some(p) = &r.path {
            let moved = req.prior.and_then(value_path).as_deref() != Some(p.as_str());
            if moved {
                if let Some(text) = self.read_view(p)? {
                    if render::header_address(&text).is_none() {
                        return Err(foreign_file(p));
                    }
                }
            }
        }
        Ok(PlanResponse {
            planned,
            requires_replace: Vec::new(),
        })
    }

    fn read<'a>(
        &'a self,
        _type: &'a str,
        current: &'a Value,
        _ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Option<Value>>> {
        Box::pin(async move {
            let Some(path) = value_path(current) else {
                return Ok(Some(current.clone()));
            };
            Ok(self.read_view(&path)?.map(|text| {
                with_attr(
                    current,
                    "content",
                    Value::string(render::strip_header(&text)),
                )
            }))
        })
    }

    fn create<'a>(
        &'a self,
        type_: &'a str,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            self.remember_secrets(type_, planned)?;
            let (path, text, state) = self.render_known(type_, planned, &ctx.address)?;
            self.check_owner(&path, &ctx.address)?;
            let mut st = self.staged.lock().map_err(|_| lock_error())?;
            st.write(&ctx.address, &path, text);
            st.record(&ctx.address, git::ChangeKind::Added);
            Ok(state)
        })
    }

    fn update<'a>(
        &'a self,
        type_: &'a str,
        prior: &'a Value,
        planned: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<Value>> {
        Box::pin(async move {
            self.remember_secrets(type_, planned)?;
            let (path, text, state) = self.render_known(type_, planned, &ctx.address)?;
            self.check_owner(&path, &ctx.address)?;
            let mut st = self.staged.lock().map_err(|_| lock_error())?;
            if let Some(old) = value_path(prior).filter(|o| *o != path) {
                st.remove(&ctx.address, &old);
            }
            st.write(&ctx.address, &path, text);
            st.record(&ctx.address, git::ChangeKind::Changed);
            Ok(state)
        })
    }

    fn delete<'a>(
        &'a self,
        _type: &'a str,
        prior: &'a Value,
        ctx: &'a OpContext,
    ) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            if let Some(path) = value_path(prior) {
                // Removed at commit time only when the file carries sakk's header.
                let mut st = self.staged.lock().map_err(|_| lock_error())?;
                st.remove(&ctx.address, &path);
                st.record(&ctx.address, git::ChangeKind::Removed);
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
            let text = self.read_view(id)?.ok_or_else(|| {
                ProviderError::new(format!("{id} is not in the repository")).hint(
                    "the import ID is the file's path in the repository, as on the tracked branch",
                )
            })?;
            let body = render::strip_header(&text);
            let doc = tree::parse_yaml(body).map_err(|e| {
                ProviderError::new(format!("{id} is not a YAML document")).detail(e)
            })?;
            let mut attrs: Vec<(String, Value)> = vec![
                ("id".into(), Value::string(id)),
                ("path".into(), Value::string(id)),
                ("content".into(), Value::string(body)),
                (
                    "secret_references".into(),
                    Value::null(Type::list(Type::String)),
                ),
            ];
            match type_ {
                MANIFEST => attrs.push(("manifest".into(), tree::to_value(&doc))),
                APPLICATION | PROJECT | APPLICATION_SET | PROFILE => {
                    for k in ["metadata", "spec"] {
                        attrs.push((
                            k.into(),
                            doc.get(k).map_or_else(Value::null_dynamic, tree::to_value),
                        ));
                    }
                }
                other => {
                    return Err(ProviderError::new(format!("{other} cannot be imported"))
                        .hint("import it as a gitops_manifest, or let sakk write it anew"))
                }
            }
            Ok(Value::object(attrs))
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

    fn finish_apply<'a>(
        &'a self,
        ctx: &'a ApplyContext,
    ) -> BoxFuture<'a, Result<(), Vec<(String, ProviderError)>>> {
        Box::pin(async move {
            let staged = match self.staged.lock() {
                Ok(mut g) => std::mem::take(&mut *g),
                Err(_) => return Err(vec![(String::new(), lock_error())]),
            };
            // What this apply was shown (and the configuration's own), then a fresh start.
            let secrets = match self.secrets.lock() {
                Ok(mut g) => std::mem::replace(&mut *g, self.config_secrets.clone()),
                Err(_) => return Err(vec![(String::new(), lock_error())]),
            };
            let addresses: Vec<String> = staged.changes.keys().cloned().collect();
            let fail_all = |e: ProviderError| -> Vec<(String, ProviderError)> {
                if addresses.is_empty() {
                    vec![(String::new(), e)]
                } else {
                    addresses.iter().map(|a| (a.clone(), e.clone())).collect()
                }
            };
            let target = ctx
                .options
                .get("gitops_branch")
                .filter(|b| !b.is_empty())
                .cloned()
                .or_else(|| self.settings.gitops_branch.clone())
                .unwrap_or_else(|| self.settings.branch.clone());
            check_branch(&target, "gitops_branch").map_err(fail_all)?;
            let ps = publish_settings(&self.settings, &target, ctx.state_serial, &ctx.plan_source);
            let cache = self.settings.cache.clone();
            let result =
                tokio::task::spawn_blocking(move || git::publish(&cache, &ps, staged, &secrets))
                    .await
                    .map_err(|e| ProviderError::new("the Git task failed").detail(e.to_string()));
            match result.and_then(|r| r) {
                Ok(published) => {
                    if target == self.settings.branch {
                        if let (Some(tip), Ok(mut v)) = (published.pushed, self.view.lock()) {
                            v.tip = Some(tip);
                        }
                    }
                    if published.refused.is_empty() {
                        Ok(())
                    } else {
                        Err(published.refused)
                    }
                }
                Err(e) => Err(fail_all(e)),
            }
        })
    }
}
