//! Rendering resources into manifest files: the Kubernetes object of each resource type, its
//! checks (CRD schema, metadata, secrets), its default file name, and the header that marks a
//! file as written by sakk.

use super::guard::Secrets;
use super::schema::Crd;
use super::tree::{self, Issue, Node, Path, SecretPolicy};
use engine::lang::value::{Kind, Value};
use engine::provider::ProviderError;
use regex::Regex;
use std::sync::OnceLock;

pub const APPLICATION: &str = "argocd_application";
pub const PROJECT: &str = "argocd_project";
pub const APPLICATION_SET: &str = "argocd_application_set";
pub const PROFILE: &str = "kubeflow_profile";
pub const MANIFEST: &str = "gitops_manifest";
pub const APP_OF_APPS: &str = "gitops_app_of_apps";

/// Every resource type of the provider.
pub const TYPES: [&str; 6] = [
    APPLICATION,
    PROJECT,
    APPLICATION_SET,
    PROFILE,
    MANIFEST,
    APP_OF_APPS,
];

/// What rendering needs from the provider configuration.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Normalised: empty, or ending with `/`.
    pub path_prefix: String,
    /// The repository URL without credentials (the app-of-apps root's default repoURL).
    pub repo_url: String,
    /// The tracked branch (the root's default targetRevision).
    pub branch: String,
}

impl Layout {
    /// The directory of the generated child Applications (the app-of-apps root syncs it).
    pub fn apps_dir(&self) -> String {
        format!("{}apps", self.path_prefix)
    }
}

/// A rendered resource. `None` parts depend on values known only after apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub path: Option<String>,
    /// The YAML document, without the header.
    pub content: Option<String>,
}

const HEADER_FIRST: &str = "# Managed by sakk: ";
const HEADER_SECOND: &str =
    "# Do not edit by hand: the next `sakk apply` overwrites it. Change the sakk configuration instead.";

/// The file as committed: the header naming the resource address, then the document.
pub fn file_text(address: &str, content: &str) -> String {
    let addr: String = address
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{HEADER_FIRST}{addr}\n{HEADER_SECOND}\n{content}")
}

/// The address in a file's sakk header, or None for a file sakk did not write.
pub fn header_address(text: &str) -> Option<&str> {
    let first = text.lines().next()?;
    first.strip_prefix(HEADER_FIRST).map(str::trim_end)
}

/// The document of a file without sakk's header (the whole text if it has none).
pub fn strip_header(text: &str) -> &str {
    if header_address(text).is_none() {
        return text;
    }
    let mut rest = text;
    while rest.starts_with('#') {
        match rest.find('\n') {
            Some(i) => rest = &rest[i + 1..],
            None => return "",
        }
    }
    rest
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get_attr(name).filter(|x| !x.is_null())
}

/// Sensitive values allowed in a manifest: explicit `secret_references` paths, and values that
/// are references by their nature (a Secrets Manager / SSM ARN, a Secret's name or key).
pub(crate) struct Policy {
    explicit: Vec<String>,
}

impl Policy {
    /// The policy of a resource: its `secret_references`.
    pub(crate) fn of(cfg: &Value) -> Policy {
        let explicit = match attr(cfg, "secret_references").and_then(Value::elements) {
            Some(xs) => xs
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            None => Vec::new(),
        };
        Policy { explicit }
    }
}

fn secret_arn() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        // The whole value is the ARN (nothing after it: no document with an ARN in front).
        Regex::new(
            r"^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:[0-9]{12}:(secret:[A-Za-z0-9/_+=.@-]+|parameter/[A-Za-z0-9/_.-]+)$",
        )
        .unwrap_or_else(|e| panic!("static regex: {e}"))
    })
}

/// A value that can be a reference (a Secret's name or key, a secret store's key, property or
/// kind): one short line of name characters, not a document.
fn reference_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/:@+=".contains(c))
}

impl SecretPolicy for Policy {
    fn allows(&self, path: &Path, v: &Value) -> bool {
        let p = path.to_string();
        if self.explicit.iter().any(|e| {
            p == *e
                || p.strip_prefix(e.as_str())
                    .is_some_and(|r| r.starts_with(['.', '[']))
        }) {
            return true;
        }
        let (plain, _) = v.clone().unmark_deep();
        let Some(s) = plain.as_str() else {
            return false;
        };
        if secret_arn().is_match(s) {
            return true;
        }
        let last = path.last_key().unwrap_or("");
        if matches!(last, "secretName" | "existingSecret" | "existingSecretName") {
            return reference_like(s);
        }
        let parent = path.parent_key().unwrap_or("");
        matches!(
            parent,
            "secretKeyRef" | "secretRef" | "secretStoreRef" | "remoteRef" | "existingSecretRef"
        ) && matches!(last, "name" | "key" | "property" | "kind" | "version")
            && reference_like(s)
    }
}

fn dns_label() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
            .unwrap_or_else(|e| panic!("static regex: {e}"))
    })
}

fn dns_subdomain_ok(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| dns_label().is_match(l))
}

fn label_value_ok(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| {
        Regex::new(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
            .unwrap_or_else(|e| panic!("static regex: {e}"))
    });
    s.len() <= 63 && r.is_match(s)
}

fn qualified_name_ok(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    prefix.is_none_or(|p| !p.is_empty() && dns_subdomain_ok(p))
        && !name.is_empty()
        && label_value_ok(name)
}

fn string_map(n: Node, path: &Path, check_value: bool, issues: &mut Vec<Issue>) -> Node {
    match n {
        Node::Map(m) => Node::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let p = path.key(&k);
                    if !qualified_name_ok(&k) {
                        issues.push(Issue::new(
                            &p,
                            "is not a valid key: use an optional DNS prefix and a slash, then \
                             at most 63 letters, digits, '-', '_' or '.'",
                        ));
                    }
                    let v = match v {
                        Node::Str(s) => Node::Str(s),
                        Node::Num(t) => Node::Str(t),
                        Node::Bool(b) => Node::Str(b.to_string()),
                        Node::Unknown => Node::Unknown,
                        other => {
                            issues.push(Issue::new(&p, "must be a string"));
                            other
                        }
                    };
                    if let (true, Node::Str(s)) = (check_value, &v) {
                        if !label_value_ok(s) {
                            issues.push(Issue::new(
                                &p,
                                "is not a valid label value: at most 63 letters, digits, '-', '_' \
                                 or '.', starting and ending with a letter or digit",
                            ));
                        }
                    }
                    (k, v)
                })
                .collect(),
        ),
        Node::Unknown => Node::Unknown,
        other => {
            issues.push(Issue::new(path, "must be an object of strings"));
            other
        }
    }
}

const METADATA_FIELDS: [&str; 5] = ["name", "namespace", "labels", "annotations", "finalizers"];

/// Checks `metadata`: the fields a manifest may set, valid names, string labels and annotations
/// (numbers and bools are converted, as for a `map(string)`). Namespaced kinds get
/// `default_namespace` when they set none.
fn check_metadata(
    n: Node,
    path: &Path,
    cluster_scoped: bool,
    default_namespace: Option<&str>,
    issues: &mut Vec<Issue>,
) -> Node {
    let m = match n {
        Node::Map(m) => m,
        Node::Unknown => return Node::Unknown,
        other => {
            issues.push(Issue::new(path, "must be an object"));
            return other;
        }
    };
    let mut out = Vec::new();
    for (k, v) in m {
        let p = path.key(&k);
        let v = match k.as_str() {
            "name" => {
                match &v {
                    Node::Str(s) if cluster_scoped && !(s.len() <= 63 && dns_label().is_match(s)) => {
                        issues.push(Issue::new(&p, format!(
                            "{} is not a valid name: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit",
                            engine::lang::value::go_quote(s))))
                    }
                    Node::Str(s) if !dns_subdomain_ok(s) => issues.push(Issue::new(&p, format!(
                        "{} is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
                        engine::lang::value::go_quote(s)))),
                    Node::Str(_) | Node::Unknown => {}
                    _ => issues.push(Issue::new(&p, "must be a string")),
                }
                v
            }
            "namespace" => {
                if cluster_scoped {
                    issues.push(Issue::new(
                        &p,
                        "must not be set: this kind is cluster-scoped",
                    ));
                }
                match &v {
                    Node::Str(s) if !(s.len() <= 63 && dns_label().is_match(s)) => {
                        issues.push(Issue::new(&p, format!(
                            "{} is not a valid namespace: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit",
                            engine::lang::value::go_quote(s))))
                    }
                    Node::Str(_) | Node::Unknown => {}
                    _ => issues.push(Issue::new(&p, "must be a string")),
                }
                v
            }
            "labels" => string_map(v, &p, true, issues),
            "annotations" => string_map(v, &p, false, issues),
            "finalizers" => match v {
                Node::Seq(xs) => Node::Seq(
                    xs.into_iter()
                        .enumerate()
                        .map(|(i, x)| match x {
                            Node::Str(_) | Node::Unknown => x,
                            other => {
                                issues.push(Issue::new(&p.index(i), "must be a string"));
                                other
                            }
                        })
                        .collect(),
                ),
                Node::Unknown => Node::Unknown,
                other => {
                    issues.push(Issue::new(&p, "must be a list of strings"));
                    other
                }
            },
            _ => {
                let hint = engine::diag::suggest(&k, METADATA_FIELDS)
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                issues.push(Issue::new(
                    &p,
                    format!(
                        "unknown field{hint}: a manifest's metadata may set {}",
                        METADATA_FIELDS.join(", ")
                    ),
                ));
                v
            }
        };
        out.push((k, v));
    }
    if !out.iter().any(|(k, _)| k == "name") {
        issues.push(Issue::new(&path.key("name"), "required"));
    }
    if let (false, Some(ns)) = (cluster_scoped, default_namespace) {
        if !out.iter().any(|(k, _)| k == "namespace") {
            out.push(("namespace".into(), Node::Str(ns.to_string())));
        }
    }
    Node::Map(out).reorder_front(&["name", "namespace"])
}

/// Argo CD's own rules that the CRD schema does not spell: one of source / sources, and a
/// destination by server or by name.
fn check_application_spec(spec: &Node, path: &Path, issues: &mut Vec<Issue>) {
    let Node::Map(_) = spec else { return };
    let has = |k: &str| spec.get(k).is_some();
    if has("source") && has("sources") {
        issues.push(Issue::new(
            &path.key("sources"),
            "conflicts with source: set one of them",
        ));
    } else if !has("source") && !has("sources") && !has("sourceHydrator") {
        issues.push(Issue::new(&path.key("source"), "required (or sources)"));
    }
    if let Some(d @ Node::Map(_)) = spec.get("destination") {
        let dp = path.key("destination");
        match (d.get("server").is_some(), d.get("name").is_some()) {
            (true, true) => issues.push(Issue::new(
                &dp.key("name"),
                "conflicts with server: set one of them",
            )),
            (false, false) => issues.push(Issue::new(&dp.key("server"), "required (or name)")),
            _ => {}
        }
    }
}

fn crd_of_type(type_: &str) -> Option<Crd> {
    match type_ {
        APPLICATION | APP_OF_APPS => Some(Crd::Application),
        PROJECT => Some(Crd::AppProject),
        APPLICATION_SET => Some(Crd::ApplicationSet),
        PROFILE => Some(Crd::Profile),
        _ => None,
    }
}

/// Checks and completes a Kubernetes object (`apiVersion`, `kind`, `metadata`, ...), returning it
/// in output order.
fn check_object(obj: Node, root: &Path, issues: &mut Vec<Issue>) -> Node {
    let api = obj
        .get("apiVersion")
        .and_then(Node::as_str)
        .map(str::to_string);
    let kind = obj.get("kind").and_then(Node::as_str).map(str::to_string);
    for k in ["apiVersion", "kind", "metadata"] {
        if obj.get(k).is_none() {
            issues.push(Issue::new(&root.key(k), "required"));
        }
    }
    let crd = match (&api, &kind) {
        (Some(a), Some(k)) => Crd::of(a, k),
        _ => None,
    };
    let cluster_scoped = matches!(crd, Some(Crd::Profile))
        || matches!(
            kind.as_deref(),
            Some("Namespace" | "ClusterRole" | "ClusterRoleBinding" | "CustomResourceDefinition")
        );
    let default_ns = match crd {
        Some(Crd::Application | Crd::AppProject | Crd::ApplicationSet) => Some("argocd"),
        _ => None,
    };
    let Node::Map(m) = obj else {
        if !matches!(obj, Node::Unknown) {
            issues.push(Issue::new(root, "must be an object"));
        }
        return obj;
    };
    let mut out = Vec::new();
    for (k, v) in m {
        let v = if k == "metadata" {
            check_metadata(v, &root.key("metadata"), cluster_scoped, default_ns, issues)
        } else {
            v
        };
        out.push((k, v));
    }
    let mut obj = Node::Map(out);
    if let Some(c) = crd {
        // The CRD schema checks (and coerces) everything but metadata, which it leaves open.
        obj = c.schema().check(obj, root, issues);
        if c == Crd::Application {
            if let Some(spec) = obj.get("spec") {
                check_application_spec(spec, &root.key("spec"), issues);
            }
        }
        if c == Crd::Profile {
            match obj.get("spec") {
                Some(spec @ Node::Map(_)) if spec.get("owner").is_none() => {
                    issues.push(Issue::new(&root.key("spec").key("owner"), "required"))
                }
                None => issues.push(Issue::new(&root.key("spec"), "required")),
                _ => {}
            }
        }
    }
    if kind.as_deref() == Some("Secret") && api.as_deref() == Some("v1") {
        for k in ["data", "stringData"] {
            if obj.get(k).is_some() {
                issues.push(Issue::new(
                    &root.key(k),
                    "would commit a secret to Git: a Secret's data does not belong in the \
                     repository; commit an ExternalSecret (or a SealedSecret) that refers to it",
                ));
            }
        }
    }
    obj.reorder_front(&["apiVersion", "kind", "metadata", "spec"])
}

/// Checks a repository path given in configuration.
pub fn check_repo_path(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("must not be empty".into());
    }
    if p.starts_with('/') || p.contains('\\') || p.chars().any(char::is_control) {
        return Err("must be a relative path inside the repository, with '/' separators".into());
    }
    for seg in p.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." || seg.eq_ignore_ascii_case(".git") {
            return Err(format!("must not contain the segment {:?}", seg));
        }
    }
    if !(p.ends_with(".yaml") || p.ends_with(".yml")) {
        return Err("must name a .yaml or .yml file".into());
    }
    Ok(())
}

fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The file name a resource gets when it sets no `path`.
fn default_path(type_: &str, obj: &Node, layout: &Layout) -> Option<String> {
    let meta = obj.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let kind = obj.get("kind")?.as_str()?;
    let p = &layout.path_prefix;
    let stem = file_stem(name);
    Some(match type_ {
        APPLICATION | PROJECT | APPLICATION_SET => {
            format!("{p}apps/{}-{stem}.yaml", kind.to_ascii_lowercase())
        }
        PROFILE => format!("{p}profiles/profile-{stem}.yaml"),
        APP_OF_APPS => format!("{p}root/application-{stem}.yaml"),
        _ => match meta.get("namespace") {
            Some(Node::Str(ns)) => format!(
                "{p}manifests/{}-{}-{stem}.yaml",
                file_stem(kind),
                file_stem(ns)
            ),
            Some(_) => return None,
            None => format!("{p}manifests/{}-{stem}.yaml", file_stem(kind)),
        },
    })
}

/// The root Application of the app-of-apps pattern, from `gitops_app_of_apps`'s attributes.
fn app_of_apps_object(
    cfg: &Value,
    layout: &Layout,
    policy: &Policy,
    issues: &mut Vec<Issue>,
) -> Node {
    let mut get = |name: &str, default: Node| -> Node {
        match attr(cfg, name) {
            Some(v) => tree::from_value(v, &Path::root(name), policy, issues),
            None => default,
        }
    };
    let st = |s: &str| Node::Str(s.to_string());
    let name = get("name", st(""));
    let namespace = get("namespace", st("argocd"));
    let project = get("project", st("default"));
    let repo = get("repo_url", st(&layout.repo_url));
    let rev = get("target_revision", st(&layout.branch));
    let src_path = get("source_path", st(&layout.apps_dir()));
    let server = get("destination_server", st("https://kubernetes.default.svc"));
    let dest_ns = get("destination_namespace", st("argocd"));
    let automated = get("automated", Node::Bool(true));
    let recurse = get("recurse", Node::Bool(false));
    let mut source = vec![
        ("path".to_string(), src_path),
        ("repoURL".to_string(), repo),
        ("targetRevision".to_string(), rev),
    ];
    if recurse != Node::Bool(false) {
        source.push((
            "directory".into(),
            Node::Map(vec![("recurse".into(), recurse)]),
        ));
    }
    let mut spec = vec![
        (
            "destination".to_string(),
            Node::Map(vec![
                ("namespace".into(), dest_ns),
                ("server".into(), server),
            ]),
        ),
        ("project".to_string(), project),
        ("source".to_string(), Node::Map(source)),
    ];
    let sync = match automated {
        Node::Bool(false) => None,
        Node::Bool(true) => Some(Node::Map(vec![(
            "automated".into(),
            Node::Map(vec![
                ("prune".into(), Node::Bool(true)),
                ("selfHeal".into(), Node::Bool(true)),
            ]),
        )])),
        _ => Some(Node::Unknown),
    };
    if let Some(sp) = sync {
        spec.push(("syncPolicy".into(), sp));
    }
    Node::Map(vec![
        (
            "apiVersion".into(),
            Node::Str(Crd::Application.api_version().into()),
        ),
        ("kind".into(), Node::Str("Application".into())),
        (
            "metadata".into(),
            Node::Map(vec![("name".into(), name), ("namespace".into(), namespace)]),
        ),
        ("spec".into(), Node::Map(spec)),
    ])
}

/// The checked Kubernetes object of a resource (unknown parts as [`Node::Unknown`]), or the
/// problems found, each naming its field.
pub fn object(type_: &str, cfg: &Value, layout: &Layout) -> Result<Node, Vec<Issue>> {
    let policy = Policy::of(cfg);
    let mut issues = Vec::new();
    let root = Path::default();
    let obj = match type_ {
        MANIFEST => {
            let root = Path::root("manifest");
            let m = match attr(cfg, "manifest") {
                Some(v) => tree::from_value(v, &root, &policy, &mut issues),
                None => {
                    issues.push(Issue::new(&root, "required"));
                    Node::Unknown
                }
            };
            check_object(m, &root, &mut issues)
        }
        APP_OF_APPS => {
            let o = app_of_apps_object(cfg, layout, &policy, &mut issues);
            check_object(o, &root, &mut issues)
        }
        _ => {
            let Some(crd) = crd_of_type(type_) else {
                return Err(vec![Issue {
                    path: String::new(),
                    message: format!("unsupported resource type {type_}"),
                }]);
            };
            let mut m = vec![
                (
                    "apiVersion".to_string(),
                    Node::Str(crd.api_version().into()),
                ),
                ("kind".to_string(), Node::Str(crd.kind().into())),
            ];
            for k in ["metadata", "spec"] {
                match attr(cfg, k) {
                    Some(v) => m.push((
                        k.to_string(),
                        tree::from_value(v, &root.key(k), &policy, &mut issues),
                    )),
                    None if k == "metadata" => issues.push(Issue::new(&root.key(k), "required")),
                    None => {}
                }
            }
            check_object(Node::Map(m), &root, &mut issues)
        }
    };
    if issues.is_empty() {
        Ok(obj)
    } else {
        Err(issues)
    }
}

/// How errors name a manifest: its type, and its name when it is known and not sensitive
/// (`argocd_application "db"`).
pub fn label(type_: &str, cfg: &Value) -> String {
    fn plain(v: Option<&Value>) -> Option<&Value> {
        v.filter(|x| !x.is_sensitive() && !x.is_null())
    }
    let name = match type_ {
        MANIFEST => plain(attr(cfg, "manifest"))
            .and_then(|m| plain(m.get_key("metadata")))
            .and_then(|m| plain(m.get_key("name"))),
        APP_OF_APPS => plain(attr(cfg, "name")),
        _ => plain(attr(cfg, "metadata")).and_then(|m| plain(m.get_key("name"))),
    };
    match name.and_then(Value::as_str) {
        Some(n) => format!("{type_} {}", engine::lang::value::go_quote(n)),
        None => type_.to_string(),
    }
}

/// The hint of every refusal of a sensitive value.
pub const SECRET_HINT: &str = "if this value is meant to be public, wrap it in nonsensitive() \
     where the configuration sets it; otherwise keep the secret out of Git and commit a reference \
     to it: a Kubernetes Secret's name (secretKeyRef, a chart's existingSecret) or an external \
     secret store (an ExternalSecret whose remoteRef is an AWS Secrets Manager ARN); if this \
     sensitive value already is such a reference, list its path in secret_references";

/// Turns problems into one provider error naming the manifest (`label`) and every field.
pub fn issues_error(label: &str, issues: &[Issue]) -> ProviderError {
    let secret = issues
        .iter()
        .any(|i| i.message.starts_with("would commit a secret"));
    let detail = issues
        .iter()
        .map(Issue::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let mut e = if secret {
        ProviderError::new(format!("{label}: would commit a secret to Git"))
            .detail(detail)
            .hint(SECRET_HINT)
    } else {
        ProviderError::new(format!("{label}: invalid manifest"))
            .detail(detail)
            .hint("field names are Kubernetes' own (camelCase, as in the YAML): see the CRD of the kind")
    };
    let first = issues
        .iter()
        .find(|i| !secret || i.message.starts_with("would commit a secret"));
    if let Some(first) = first {
        if !first.path.is_empty() {
            e = e.attribute(first.path.clone());
        }
    }
    e
}

/// Renders a resource: its checked object, file path and YAML document.
pub fn render(type_: &str, cfg: &Value, layout: &Layout) -> Result<Rendered, ProviderError> {
    let label = label(type_, cfg);
    let (obj, mut issues) = match object(type_, cfg, layout) {
        Ok(o) => (Some(o), Vec::new()),
        Err(i) => (None, i),
    };
    let given_path = attr(cfg, "path");
    if given_path.is_some_and(Value::is_sensitive_deep) {
        // The file's name is committed too.
        issues.push(Issue::new(&Path::root("path"), tree::SENSITIVE_VALUE));
    }
    let obj = match obj {
        Some(o) if issues.is_empty() => o,
        _ => return Err(issues_error(&label, &issues)),
    };
    let path = match given_path {
        Some(p) => match p.as_str() {
            Some(s) => {
                check_repo_path(s).map_err(|e| {
                    ProviderError::new(format!("{label}: invalid path"))
                        .detail(format!("path: {e}"))
                        .attribute("path")
                })?;
                Some(s.to_string())
            }
            None => None,
        },
        None => default_path(type_, &obj, layout),
    };
    let content = obj.is_wholly_known().then(|| tree::to_yaml(&obj));
    Ok(Rendered { path, content })
}

/// The attributes of `gitops_app_of_apps` that reach Git (the manifest and its file name).
const APP_OF_APPS_COMMITTED: [&str; 11] = [
    "name",
    "namespace",
    "project",
    "source_path",
    "repo_url",
    "target_revision",
    "destination_server",
    "destination_namespace",
    "automated",
    "recurse",
    "path",
];

/// Remembers (in `out`) the sensitive values of a resource's configuration that the manifest
/// check refuses, wherever they are nested, for the scan of the files before the commit
/// ([`Secrets::find`]). References the policy allows are written to the files, so they are not
/// remembered.
pub fn collect_secrets(type_: &str, cfg: &Value, out: &mut Secrets) {
    let policy = Policy::of(cfg);
    let label = label(type_, cfg);
    let roots: &[&str] = match type_ {
        MANIFEST => &["manifest", "path"],
        APP_OF_APPS => &APP_OF_APPS_COMMITTED,
        _ => &["metadata", "spec", "path"],
    };
    for name in roots {
        if let Some(v) = attr(cfg, name) {
            collect(v, &Path::root(name), &policy, &label, out);
        }
    }
}

fn collect(v: &Value, path: &Path, policy: &Policy, label: &str, out: &mut Secrets) {
    if v.is_sensitive() {
        if !policy.allows(path, v) {
            out.add_value(v, &format!("{path} of {label}"));
        }
        return;
    }
    match v.kind() {
        Kind::List(xs) | Kind::Set(xs) | Kind::Tuple(xs) => {
            for (i, x) in xs.iter().enumerate() {
                collect(x, &path.index(i), policy, label, out);
            }
        }
        Kind::Map(m) | Kind::Object(m) => {
            for (k, x) in m {
                collect(x, &path.key(k), policy, label, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let t = file_text("module.t[\"a\"].argocd_project.p", "kind: AppProject\n");
        assert_eq!(header_address(&t), Some("module.t[\"a\"].argocd_project.p"));
        assert_eq!(strip_header(&t), "kind: AppProject\n");
        assert_eq!(header_address("kind: X\n"), None);
        assert_eq!(strip_header("# mine\nkind: X\n"), "# mine\nkind: X\n");
    }

    #[test]
    fn repo_paths() {
        assert!(check_repo_path("a/b.yaml").is_ok());
        for bad in [
            "",
            "/a.yaml",
            "a/../b.yaml",
            "a//b.yaml",
            ".git/x.yaml",
            "a.json",
            "a\\b.yaml",
        ] {
            assert!(check_repo_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_arns() {
        assert!(
            secret_arn().is_match("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC")
        );
        assert!(secret_arn().is_match("arn:aws:ssm:us-east-1:123456789012:parameter/x"));
        assert!(!secret_arn().is_match("hunter2"));
    }
}
