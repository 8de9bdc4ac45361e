//! Root module input variables, gathered from every source in Terraform's precedence order:
//! defaults < `TF_VAR_x` / `SAKK_VAR_x` < `terraform.tfvars` < `terraform.tfvars.json` <
//! `*.auto.tfvars(.json)` in name order < `--var-file` / `--var` in command-line order.
//! A later source overrides an earlier one.

use crate::diag::{display_path, Diagnostic, Diagnostics, Range, Sources};
use crate::lang::ast::Expr;
use crate::lang::{json, parse};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a value came from, for messages.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSource {
    Env(String),
    File(PathBuf),
    Cli,
    /// A value recorded in a saved plan.
    Plan,
}

/// A value as given, before conversion to the variable's type.
#[derive(Debug, Clone)]
pub enum RawValue {
    /// From a .tfvars file, or from `--var`/env when the variable wants HCL syntax.
    Expr(Expr),
    /// From `--var`/env: parsed as HCL only if the declared type is not a primitive
    /// (Terraform's rule), so the decision is made when the declaration is known.
    Text(String, Range),
    /// A final value (converted and validated when it was recorded): a saved plan's.
    Value(crate::lang::value::Value),
}

impl PartialEq for RawValue {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (RawValue::Expr(a), RawValue::Expr(b)) => a == b,
            (RawValue::Text(a, r), RawValue::Text(b, q)) => a == b && r == q,
            (RawValue::Value(a), RawValue::Value(b)) => a.raw_equal(b),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawInput {
    pub name: String,
    pub value: RawValue,
    pub source: InputSource,
    /// Where the name was given (file attribute or a synthetic `<value for var.x>` range).
    pub range: Range,
}

/// A `--var NAME=VALUE` or `--var-file FILE` argument, in command-line order.
#[derive(Debug, Clone, PartialEq)]
pub enum CliInput {
    Var(String),
    VarFile(PathBuf),
}

/// Collects every input in precedence order (lowest first). `env` is the process environment.
pub fn gather(
    root_dir: &Path,
    env: &[(String, String)],
    cli: &[CliInput],
    sources: &mut Sources,
) -> (Vec<RawInput>, Diagnostics) {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();

    // Environment: TF_VAR_x, then SAKK_VAR_x (sakk's own spelling wins over Terraform's).
    for prefix in ["TF_VAR_", "SAKK_VAR_"] {
        let mut vars: Vec<&(String, String)> =
            env.iter().filter(|(k, _)| k.starts_with(prefix)).collect();
        vars.sort();
        for (k, v) in vars {
            let name = &k[prefix.len()..];
            if name.is_empty() {
                continue;
            }
            let range = synthetic(&format!("<value for var.{name}>"), v, sources);
            out.push(RawInput {
                name: name.to_string(),
                value: RawValue::Text(v.clone(), range.clone()),
                source: InputSource::Env(k.clone()),
                range,
            });
        }
    }

    // Files found next to the configuration.
    let mut files = Vec::new();
    for f in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = root_dir.join(f);
        if p.is_file() {
            files.push(p);
        }
    }
    if let Ok(rd) = std::fs::read_dir(root_dir) {
        let mut autos: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                (n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")) && p.is_file()
            })
            .collect();
        autos.sort();
        files.extend(autos);
    }
    for f in files {
        read_file(&f, &mut out, &mut diags, sources);
    }

    // Command line, in order.
    for c in cli {
        match c {
            CliInput::VarFile(f) => {
                if !f.is_file() {
                    diags.push(
                        Diagnostic::error(format!("Failed to read variables file {}", display_path(f)))
                            .detail("The file given with --var-file does not exist or is not a file.")
                            .hint("check the path; it is relative to the working directory (after -C/--chdir)"),
                    );
                    continue;
                }
                read_file(f, &mut out, &mut diags, sources);
            }
            CliInput::Var(s) => match s.split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => {
                    let name = name.trim();
                    let range = synthetic(&format!("<value for var.{name}>"), value, sources);
                    out.push(RawInput {
                        name: name.to_string(),
                        value: RawValue::Text(value.to_string(), range.clone()),
                        source: InputSource::Cli,
                        range,
                    });
                }
                _ => diags.push(
                    Diagnostic::error("Invalid --var option")
                        .detail(format!("The given --var option \"{s}\" is not correctly specified. It must be a variable name and value separated by an equals sign, like --var key=value."))
                        .hint("write it as --var name=value (quote the whole argument in the shell if the value has spaces)"),
                ),
            },
        }
    }
    (out, diags)
}

/// The root variable values a saved plan recorded, as inputs (they take the place of every
/// other source).
pub fn from_values(
    values: &indexmap::IndexMap<String, crate::lang::value::Value>,
    sources: &mut Sources,
) -> Vec<RawInput> {
    values
        .iter()
        .map(|(name, v)| {
            let range = synthetic(&format!("<saved plan value for var.{name}>"), "", sources);
            RawInput {
                name: name.clone(),
                value: RawValue::Value(v.clone()),
                source: InputSource::Plan,
                range,
            }
        })
        .collect()
}

/// A pseudo-file holding a command-line or environment value, so its parse errors show it.
fn synthetic(name: &str, text: &str, sources: &mut Sources) -> Range {
    let fname: Arc<str> = name.into();
    sources.add(fname.clone(), text.into());
    let idx = crate::diag::LineIndex::new(fname, text.into());
    idx.range(0..text.len())
}

fn read_file(path: &Path, out: &mut Vec<RawInput>, diags: &mut Diagnostics, sources: &mut Sources) {
    let name: Arc<str> = display_path(path).into();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(
                Diagnostic::error(format!("Failed to read variables file {name}"))
                    .detail(e.to_string())
                    .hint("check that the file exists, is readable and is UTF-8"),
            );
            return;
        }
    };
    let src: Arc<str> = text.into();
    sources.add(name.clone(), src.clone());
    let is_json = name.ends_with(".json");
    let body = if is_json {
        json::parse_values_object(name.clone(), src)
    } else {
        parse::parse_body(name.clone(), src)
    };
    let body = match body {
        Ok(b) => b,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    for b in &body.blocks {
        diags.push(
            Diagnostic::error("Unexpected block in variables file")
                .at(&b.kind_range)
                .detail("A variables file holds only assignments like name = value.")
                .hint("remove the block"),
        );
    }
    for a in body.attributes {
        out.push(RawInput {
            name: a.name.clone(),
            range: a.name_range.clone(),
            value: RawValue::Expr(a.expr),
            source: InputSource::File(path.to_path_buf()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_order_is_terraforms() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        std::fs::write(p.join("terraform.tfvars"), "a = \"tfvars\"\n").expect("write");
        std::fs::write(p.join("terraform.tfvars.json"), "{\"a\": \"tfvars.json\"}").expect("write");
        std::fs::write(p.join("b.auto.tfvars"), "a = \"b.auto\"\n").expect("write");
        std::fs::write(p.join("a.auto.tfvars.json"), "{\"a\": \"a.auto.json\"}").expect("write");
        std::fs::write(p.join("x.tfvars"), "a = \"x\"\n").expect("write");
        let env = vec![("TF_VAR_a".to_string(), "env".to_string())];
        let cli = vec![
            CliInput::Var("a=cli".into()),
            CliInput::VarFile(p.join("x.tfvars")),
        ];
        let mut s = Sources::new();
        let (inputs, diags) = gather(p, &env, &cli, &mut s);
        assert!(diags.is_empty(), "{diags:?}");
        let order: Vec<String> = inputs
            .iter()
            .map(|i| match &i.value {
                RawValue::Text(t, _) => t.clone(),
                RawValue::Expr(e) => match &e.kind {
                    crate::lang::ast::ExprKind::String(s) => s.clone(),
                    other => format!("{other:?}"),
                },
                RawValue::Value(v) => v.to_string(),
            })
            .collect();
        assert_eq!(
            order,
            vec![
                "env",
                "tfvars",
                "tfvars.json",
                "a.auto.json",
                "b.auto",
                "cli",
                "x"
            ]
        );
    }

    #[test]
    fn bad_var_option_is_explained() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Sources::new();
        let (_, diags) = gather(dir.path(), &[], &[CliInput::Var("novalue".into())], &mut s);
        assert_eq!(diags.len(), 1);
        assert!(diags.0[0].detail.contains("--var key=value"));
    }
}
