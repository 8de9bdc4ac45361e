//! Backend configuration: the `terraform { backend "..." { ... } }` block merged with
//! `--backend-config=FILE` (a `backend.hcl`) and `--backend-config=key=value`, in that order, the
//! later winning; and the record of the chosen backend under `.sakk/`, so that later commands
//! need no flags.

use crate::backend::local::{write_atomic, LocalBackend};
use crate::backend::s3::{S3Backend, S3Config};
use crate::backend::Backend;
use crate::error::{Error, Result};
use engine::diag::{suggest, Diagnostic, Diagnostics, Range, Sources};
use engine::lang::ast::{Body, Expr, ExprKind, TemplatePart};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The backend a working directory uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum BackendConfig {
    Local {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workspace_dir: Option<String>,
    },
    S3(S3Config),
}

impl BackendConfig {
    pub fn default_local() -> BackendConfig {
        BackendConfig::Local {
            path: None,
            workspace_dir: None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            BackendConfig::Local { .. } => "local",
            BackendConfig::S3(_) => "s3",
        }
    }

    /// Opens the backend; `dir` is the configuration directory (for local paths).
    pub fn open(&self, dir: &Path) -> Result<Box<dyn Backend>> {
        Ok(match self {
            BackendConfig::Local {
                path,
                workspace_dir,
            } => Box::new(LocalBackend::new(
                dir,
                path.as_deref(),
                workspace_dir.as_deref(),
            )),
            BackendConfig::S3(c) => Box::new(S3Backend::new(c.clone())?),
        })
    }

    /// One line for messages: `local (terraform.tfstate)`, `s3 (s3://bucket/key)`.
    pub fn describe(&self) -> String {
        match self {
            BackendConfig::Local { path, .. } => {
                format!("local ({})", path.as_deref().unwrap_or("terraform.tfstate"))
            }
            BackendConfig::S3(c) => format!("s3 (s3://{}/{})", c.bucket, c.key),
        }
    }
}

const S3_KEYS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "dynamodb_table",
    "encrypt",
    "kms_key_id",
    "use_lockfile",
    "profile",
    "workspace_key_prefix",
    "endpoint",
    "dynamodb_endpoint",
    "endpoints",
    "use_path_style",
    "force_path_style",
    "acl",
    "skip_credentials_validation",
    "skip_region_validation",
    "skip_metadata_api_check",
    "skip_requesting_account_id",
    "skip_s3_checksum",
];
const CREDENTIAL_KEYS: &[&str] = &["access_key", "secret_key", "token", "session_token"];
const LOCAL_KEYS: &[&str] = &["path", "workspace_dir"];

/// One setting and where it came from.
#[derive(Debug, Clone)]
struct Setting {
    name: String,
    value: Value,
    /// The attribute in a file, or `None` for `--backend-config key=value`.
    range: Option<Range>,
}

/// Resolves the backend: `kind` and `body` from the configuration's backend block (none: local),
/// then each `--backend-config` argument. File texts are added to `sources` for diagnostics.
pub fn resolve(
    block: Option<(&str, &Body)>,
    extra: &[String],
    dir: &Path,
    sources: &mut Sources,
) -> Result<BackendConfig, Diagnostics> {
    let mut diags = Diagnostics::new();
    let kind = block.map(|(k, _)| k).unwrap_or("local");
    let mut settings: Vec<Setting> = Vec::new();
    if let Some((_, body)) = block {
        settings_of_body(body, &mut settings, &mut diags);
    }
    if block.is_none() && !extra.is_empty() {
        diags.push(
            Diagnostic::error("--backend-config given, but the configuration has no backend block")
                .detail("Backend settings are only read for a backend declared in a terraform block.")
                .hint("add `terraform { backend \"s3\" {} }` to the configuration, or drop --backend-config"),
        );
        return Err(diags);
    }
    for arg in extra {
        let as_path = dir.join(arg);
        if as_path.is_file() {
            match std::fs::read_to_string(&as_path) {
                Ok(text) => {
                    let name: Arc<str> = arg.as_str().into();
                    let text: Arc<str> = text.into();
                    sources.add(name.clone(), text.clone());
                    match engine::lang::parse::parse_body(name, text) {
                        Ok(b) => {
                            for blk in &b.blocks {
                                diags.push(
                                    Diagnostic::error("Unexpected block in backend configuration file")
                                        .at(&blk.def_range)
                                        .detail("A backend configuration file holds only `name = value` settings.")
                                        .hint("move the settings out of the block"),
                                );
                            }
                            settings_of_body(&b, &mut settings, &mut diags)
                        }
                        Err(d) => diags.push(d),
                    }
                }
                Err(e) => diags.push(Diagnostic::error(format!(
                    "cannot read backend configuration file {}: {e}",
                    as_path.display()
                ))),
            }
        } else if let Some((k, v)) = arg.split_once('=') {
            let value = match v {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(v.to_string()),
            };
            settings.push(Setting {
                name: k.trim().to_string(),
                value,
                range: None,
            });
        } else {
            diags.push(
                Diagnostic::error(format!("backend configuration file \"{arg}\" does not exist"))
                    .hint("pass --backend-config=FILE with an existing file (relative to the configuration directory) or --backend-config=KEY=VALUE"),
            );
        }
    }
    let cfg = match kind {
        "local" => decode_local(&settings, &mut diags),
        "s3" => decode_s3(&settings, &mut diags),
        other => {
            let mut d = Diagnostic::error(format!("Unsupported backend type \"{other}\""))
                .detail("sakk supports the \"local\" and \"s3\" backends.");
            if let Some((_, body)) = block {
                d = d.at(&body.range);
            }
            diags.push(d.hint("use backend \"s3\" (or remove the backend block for local state)"));
            None
        }
    };
    match cfg {
        Some(c) if !diags.has_errors() => Ok(c),
        _ => Err(diags),
    }
}

fn settings_of_body(body: &Body, out: &mut Vec<Setting>, diags: &mut Diagnostics) {
    for a in &body.attributes {
        match literal(&a.expr) {
            Ok(v) => out.push(Setting {
                name: a.name.clone(),
                value: v,
                range: Some(a.name_range.clone()),
            }),
            Err(r) => diags.push(
                Diagnostic::error("Variables not allowed")
                    .at(&r)
                    .detail("Backend settings are read before anything is evaluated, so they must be literal values.")
                    .hint("write the value literally, or pass it with --backend-config=KEY=VALUE"),
            ),
        }
    }
}

/// The value of a literal expression, or the range of the first non-literal part.
fn literal(e: &Expr) -> Result<Value, Range> {
    match &e.kind {
        ExprKind::Null => Ok(Value::Null),
        ExprKind::Bool(b) => Ok(Value::Bool(*b)),
        ExprKind::Number(n) => Ok(n
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(n.clone()))),
        ExprKind::String(s) => Ok(Value::String(s.clone())),
        ExprKind::Template(parts) => {
            let mut s = String::new();
            for p in parts {
                match p {
                    TemplatePart::Literal(l) => s.push_str(l),
                    _ => return Err(e.range.clone()),
                }
            }
            Ok(Value::String(s))
        }
        ExprKind::Object(items) => {
            let mut m = serde_json::Map::new();
            for it in items {
                let k = it.key.as_static().ok_or_else(|| it.key.range().clone())?;
                m.insert(k.to_string(), literal(&it.value)?);
            }
            Ok(Value::Object(m))
        }
        ExprKind::Tuple(items) => items
            .iter()
            .map(literal)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        ExprKind::Parens(inner) => literal(inner),
        _ => Err(e.range.clone()),
    }
}

fn err_at(s: &Setting, summary: String, hint: &str) -> Diagnostic {
    let mut d = Diagnostic::error(summary).hint(hint.to_string());
    match &s.range {
        Some(r) => d = d.at(r),
        None => d = d.detail(format!("(from --backend-config {}=...)", s.name)),
    }
    d
}

fn check_keys(settings: &[Setting], allowed: &[&str], backend: &str, diags: &mut Diagnostics) {
    for s in settings {
        if CREDENTIAL_KEYS.contains(&s.name.as_str()) {
            diags.push(err_at(
                s,
                format!("\"{}\" is not accepted in the backend configuration", s.name),
                "keep credentials out of configuration files: use AWS_PROFILE (or `profile`), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or SSO",
            ));
        } else if !allowed.contains(&s.name.as_str()) {
            let hint = match suggest(&s.name, allowed.iter().copied()) {
                Some(c) => format!("did you mean \"{c}\"?"),
                None => format!("the {backend} backend accepts: {}", allowed.join(", ")),
            };
            diags.push(err_at(
                s,
                format!(
                    "Unsupported argument \"{}\" for the {backend} backend",
                    s.name
                ),
                &hint,
            ));
        }
    }
}

/// The last value of each name (later settings override earlier ones).
fn last<'a>(settings: &'a [Setting], name: &str) -> Option<&'a Setting> {
    settings.iter().rev().find(|s| s.name == name)
}

fn string(settings: &[Setting], name: &str, diags: &mut Diagnostics) -> Option<String> {
    let s = last(settings, name)?;
    match &s.value {
        Value::String(v) => Some(v.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => None,
        _ => {
            diags.push(err_at(
                s,
                format!("\"{name}\" must be a string"),
                "quote the value",
            ));
            None
        }
    }
}

fn boolean(settings: &[Setting], name: &str, diags: &mut Diagnostics) -> Option<bool> {
    let s = last(settings, name)?;
    match &s.value {
        Value::Bool(b) => Some(*b),
        Value::String(v) if v == "true" => Some(true),
        Value::String(v) if v == "false" => Some(false),
        Value::Null => None,
        _ => {
            diags.push(err_at(
                s,
                format!("\"{name}\" must be true or false"),
                "write true or false",
            ));
            None
        }
    }
}

fn decode_local(settings: &[Setting], diags: &mut Diagnostics) -> Option<BackendConfig> {
    check_keys(settings, LOCAL_KEYS, "local", diags);
    Some(BackendConfig::Local {
        path: string(settings, "path", diags),
        workspace_dir: string(settings, "workspace_dir", diags),
    })
}

fn decode_s3(settings: &[Setting], diags: &mut Diagnostics) -> Option<BackendConfig> {
    check_keys(settings, S3_KEYS, "s3", diags);
    let mut missing = Vec::new();
    let bucket = string(settings, "bucket", diags).unwrap_or_else(|| {
        missing.push("bucket");
        String::new()
    });
    let key = string(settings, "key", diags).unwrap_or_else(|| {
        missing.push("key");
        String::new()
    });
    let region = string(settings, "region", diags)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| {
            missing.push("region");
            String::new()
        });
    if !missing.is_empty() {
        diags.push(
            Diagnostic::error(format!(
                "The s3 backend needs {}",
                missing.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", ")
            ))
            .hint("set them in the backend block, in a backend.hcl passed with --backend-config=backend.hcl, or with --backend-config=KEY=VALUE (region may also come from AWS_REGION)"),
        );
    }
    if key.starts_with('/') || key.ends_with('/') {
        if let Some(s) = last(settings, "key") {
            diags.push(err_at(
                s,
                "\"key\" must not start or end with \"/\"".into(),
                "write the object key like path/to/terraform.tfstate",
            ));
        }
    }
    let mut s3_endpoint = string(settings, "endpoint", diags);
    let mut dynamodb_endpoint = string(settings, "dynamodb_endpoint", diags);
    if let Some(s) = last(settings, "endpoints") {
        match &s.value {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("s3", Value::String(u)) => s3_endpoint = Some(u.clone()),
                        ("dynamodb", Value::String(u)) => dynamodb_endpoint = Some(u.clone()),
                        ("iam" | "sts" | "sso", _) => {}
                        _ => diags.push(err_at(
                            s,
                            format!("unsupported endpoint \"{k}\""),
                            "endpoints may set s3 and dynamodb (strings)",
                        )),
                    }
                }
            }
            _ => diags.push(err_at(
                s,
                "\"endpoints\" must be an object".into(),
                "write endpoints = { s3 = \"...\", dynamodb = \"...\" }",
            )),
        }
    }
    let cfg = S3Config {
        bucket,
        key,
        region,
        dynamodb_table: string(settings, "dynamodb_table", diags).filter(|s| !s.is_empty()),
        encrypt: boolean(settings, "encrypt", diags).unwrap_or(false),
        kms_key_id: string(settings, "kms_key_id", diags).filter(|s| !s.is_empty()),
        use_lockfile: boolean(settings, "use_lockfile", diags).unwrap_or(false),
        profile: string(settings, "profile", diags).filter(|s| !s.is_empty()),
        workspace_key_prefix: string(settings, "workspace_key_prefix", diags)
            .unwrap_or_else(|| "env:".into()),
        s3_endpoint,
        dynamodb_endpoint,
        use_path_style: boolean(settings, "use_path_style", diags)
            .or_else(|| boolean(settings, "force_path_style", diags))
            .unwrap_or(false),
    };
    Some(BackendConfig::S3(cfg))
}

/// What `sakk init` records in `.sakk/backend.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub version: u32,
    pub backend: BackendConfig,
    /// The configuration's backend block kind when init ran (`None`: no block), to notice a
    /// changed configuration.
    #[serde(default)]
    pub block_kind: Option<String>,
}

pub fn record_path(dir: &Path) -> PathBuf {
    dir.join(".sakk").join("backend.json")
}

pub fn read_record(dir: &Path) -> Result<Option<Recorded>> {
    let p = record_path(dir);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            Error::Config(format!(
                "{} is damaged ({e}); run `sakk init` again",
                p.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", &p, e)),
    }
}

pub fn write_record(dir: &Path, rec: &Recorded) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(rec).unwrap_or_default();
    write_atomic(&record_path(dir), &bytes)
}

/// The current workspace: `SAKK_WORKSPACE` (or Terraform's `TF_WORKSPACE`), else the one
/// selected with `sakk workspace select`, else `default`.
pub fn current_workspace(dir: &Path) -> String {
    for var in ["SAKK_WORKSPACE", "TF_WORKSPACE"] {
        if let Ok(w) = std::env::var(var) {
            if !w.is_empty() {
                return w;
            }
        }
    }
    std::fs::read_to_string(dir.join(".sakk").join("environment"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| crate::backend::DEFAULT_WORKSPACE.to_string())
}

pub fn select_workspace(dir: &Path, name: &str) -> Result<()> {
    write_atomic(&dir.join(".sakk").join("environment"), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(src: &str) -> Body {
        engine::lang::parse::parse_body("main.tf".into(), src.into()).unwrap()
    }

    #[test]
    fn block_file_and_key_values_merge() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("backend.hcl"),
            "bucket = \"b\"\nkey = \"k/terraform.tfstate\"\nregion = \"eu-west-1\"\ndynamodb_table = \"locks\"\nencrypt = true\n",
        )
        .unwrap();
        let b = body("use_lockfile = true\nendpoints = { s3 = \"http://127.0.0.1:1\" }\n");
        let mut src = Sources::new();
        let cfg = resolve(
            Some(("s3", &b)),
            &["backend.hcl".into(), "key=other/terraform.tfstate".into()],
            dir.path(),
            &mut src,
        )
        .unwrap();
        let BackendConfig::S3(c) = cfg else { panic!() };
        assert_eq!(c.bucket, "b");
        assert_eq!(c.key, "other/terraform.tfstate");
        assert_eq!(c.dynamodb_table.as_deref(), Some("locks"));
        assert!(c.encrypt && c.use_lockfile);
        assert_eq!(c.s3_endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(c.workspace_key_prefix, "env:");
    }

    #[test]
    fn errors_point_at_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("backend.hcl"),
            "bucket = \"b\"\nkey = \"k\"\nregion = \"r\"\ndynamo_table = \"x\"\n",
        )
        .unwrap();
        let mut src = Sources::new();
        let d = resolve(
            Some(("s3", &body(""))),
            &["backend.hcl".into()],
            dir.path(),
            &mut src,
        )
        .unwrap_err();
        let e = &d.0[0];
        assert!(e.summary.contains("dynamo_table"), "{e:?}");
        assert_eq!(e.hint.as_deref(), Some("did you mean \"dynamodb_table\"?"));
        assert_eq!(e.range.as_ref().unwrap().start.line, 4);

        let d = resolve(
            Some(("s3", &body("bucket = var.b\n"))),
            &[],
            dir.path(),
            &mut src,
        )
        .unwrap_err();
        assert_eq!(d.0[0].summary, "Variables not allowed");
        assert_eq!(d.0[0].range.as_ref().unwrap().start.column, 10);

        let d = resolve(
            Some(("s3", &body("secret_key = \"x\"\n"))),
            &[],
            dir.path(),
            &mut src,
        )
        .unwrap_err();
        assert!(d.0[0].summary.contains("secret_key"));
        assert!(!format!("{:?}", d.0).contains("\"x\""));

        let d = resolve(
            Some(("s3", &body(""))),
            &["nope.hcl".into()],
            dir.path(),
            &mut src,
        )
        .unwrap_err();
        assert!(d.0[0].summary.contains("nope.hcl"));
    }
}
