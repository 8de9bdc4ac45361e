//! Override files (`override.tf`, `*_override.tf`, and their `.tf.json` forms), merged into the
//! primary configuration as Terraform 1.0 does (`configs/module_merge.go`).
//!
//! Every top-level block of an override file must match a block of the primary files (same type
//! and labels; a provider by name and alias), else it is an error ("Missing base ... to
//! override"). The exception is a default (unaliased) provider configuration, which is added when
//! there is none: an absent provider block means an empty one. Merging happens on the syntax tree
//! before decoding, so every argument keeps its own source range:
//!
//! - arguments replace arguments of the same name (a local value: its whole definition);
//! - in resource, data and provider bodies, a nested block type present in the override (static
//!   or `dynamic`) replaces every block of that type in the base; `lifecycle` settings merge one
//!   by one;
//! - `depends_on` cannot be overridden; a variable's `validation` blocks are not overridden;
//! - a variable whose type or default is overridden must still have a default of its type;
//! - `terraform` blocks: `required_version` and `backend` replace the base's,
//!   `required_providers` entries replace entries of the same name (see [`merge_terraform`]);
//! - `moved` and `import` blocks cannot be in override files.

use super::decode::{decode_terraform, override_header_ok};
use super::Module;
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::ast::{Attribute, Block, Body, ExprKind};
use crate::lang::convert::convert;
use crate::lang::eval::{eval, EmptyScope, EvalContext};
use crate::lang::funcs::Registry;
use crate::lang::types::parse_type_constraint;

/// Whether `name` (a file name) is an override file: `override.tf`, `x_override.tf`, and the
/// same with `.tf.json`.
pub fn is_override_file(name: &str) -> bool {
    let stem = name
        .strip_suffix(".tf.json")
        .or_else(|| name.strip_suffix(".tf"));
    stem.is_some_and(|s| s == "override" || s.ends_with("_override"))
}

/// Merges the top-level blocks of one override file into the primary files' bodies. Default
/// provider configurations without a base go to `extra`; `terraform` blocks are returned, to be
/// merged after decoding with [`merge_terraform`].
pub fn merge_file(
    primary: &mut [Body],
    extra: &mut Body,
    over: &Body,
    diags: &mut Diagnostics,
) -> Vec<Block> {
    let mut terraform = Vec::new();
    for a in &over.attributes {
        // Reported with the decoder's wording.
        let body = Body {
            attributes: vec![a.clone()],
            ..Body::default()
        };
        super::decode::decode_file(&mut Module::default(), &body, diags);
    }
    for b in &over.blocks {
        if !override_header_ok(b, diags) {
            continue;
        }
        match b.kind.as_str() {
            "terraform" => terraform.push(b.clone()),
            "locals" => merge_locals(primary, b, diags),
            "variable" | "output" | "module" | "resource" | "data" => {
                match find_base(primary, b) {
                    Some(base) => merge_block(base, b, diags),
                    None => diags.push(missing_base(b)),
                }
            }
            "provider" => match find_base(primary, b) {
                Some(base) => merge_block(base, b, diags),
                None if provider_alias(b).is_none() => extra.blocks.push(b.clone()),
                None => diags.push(missing_base(b)),
            },
            "moved" | "import" => diags.push(
                Diagnostic::error(format!("Cannot override '{}' blocks", b.kind))
                    .at(&b.def_range)
                    .detail(if b.kind == "moved" {
                        "Records of moved objects can appear only in normal files, not in override files."
                    } else {
                        "Import blocks can appear only in normal files, not in override files."
                    })
                    .hint("move the block to a file whose name does not end in override.tf"),
            ),
            // Accepted, not interpreted (as in primary files).
            _ => {}
        }
    }
    terraform
}

/// Applies the `terraform` blocks of one override file to the decoded module: a required_version
/// or backend replaces the base's, required_providers entries replace those of the same name.
pub fn merge_terraform(m: &mut Module, blocks: &[Block], diags: &mut Diagnostics) {
    if blocks.is_empty() {
        return;
    }
    let mut o = Module::default();
    let mut backends = Vec::new();
    for b in blocks {
        backends.extend(b.body.blocks_of("backend").map(|nb| nb.def_range.clone()));
    }
    if let [first, second, ..] = backends.as_slice() {
        diags.push(
            Diagnostic::error("Duplicate backend configuration")
                .at(second)
                .detail(format!("Each override file may have only one backend configuration. A backend was previously configured at {first}."))
                .related("previous backend", first)
                .hint("remove one of the backend blocks"),
        );
    }
    let mut ignored = Diagnostics::new();
    for b in blocks {
        // Duplicate backends are reported above, with the override wording.
        let d = if backends.len() > 1 {
            &mut ignored
        } else {
            &mut *diags
        };
        decode_terraform(&mut o, b, d);
    }
    diags.0.extend(
        ignored
            .0
            .into_iter()
            .filter(|d| d.summary != "Duplicate backend configuration"),
    );
    let t = o.terraform;
    if t.required_version.is_some() {
        m.terraform.required_version = t.required_version;
    }
    if t.backend.is_some() {
        m.terraform.backend = t.backend;
    }
    for (name, req) in t.required_providers {
        m.terraform.required_providers.insert(name, req);
    }
    m.terraform.ranges.extend(t.ranges);
}

/// The alias of a provider block, when written as a literal.
fn provider_alias(b: &Block) -> Option<&str> {
    match &b.body.attribute("alias")?.expr.kind {
        ExprKind::String(s) => Some(s),
        _ => None,
    }
}

/// The primary block `over` overrides: the first of the same type and labels (and alias).
fn find_base<'a>(primary: &'a mut [Body], over: &Block) -> Option<&'a mut Block> {
    primary
        .iter_mut()
        .flat_map(|body| body.blocks.iter_mut())
        .find(|b| {
            b.kind == over.kind
                && b.labels == over.labels
                && (b.kind != "provider" || provider_alias(b) == provider_alias(over))
        })
}

fn missing_base(b: &Block) -> Diagnostic {
    let label = |i: usize| b.labels.get(i).map(String::as_str).unwrap_or_default();
    let (summary, detail) = match b.kind.as_str() {
        "variable" => (
            "Missing base variable declaration to override".to_string(),
            format!("There is no variable named \"{}\". An override file can only override a variable that was already declared in a primary configuration file.", label(0)),
        ),
        "output" => (
            "Missing base output definition to override".to_string(),
            format!("There is no output named \"{}\". An override file can only override an output that was already defined in a primary configuration file.", label(0)),
        ),
        "module" => (
            "Missing module call to override".to_string(),
            format!("There is no module call named \"{}\". An override file can only override a module call that was defined in a primary configuration file.", label(0)),
        ),
        "resource" => (
            "Missing resource to override".to_string(),
            format!("There is no {} resource named \"{}\". An override file can only override a resource block defined in a primary configuration file.", label(0), label(1)),
        ),
        "data" => (
            "Missing data resource to override".to_string(),
            format!("There is no {} data resource named \"{}\". An override file can only override a data block defined in a primary configuration file.", label(0), label(1)),
        ),
        _ => (
            "Missing base provider configuration for override".to_string(),
            format!("There is no {} provider configuration with the alias \"{}\". An override file can only override an aliased provider configuration that was already defined in a primary configuration file.", label(0), provider_alias(b).unwrap_or_default()),
        ),
    };
    Diagnostic::error(summary)
        .at(&b.def_range)
        .detail(detail)
        .hint("check the name against the primary files, or move the block to a file whose name does not end in override.tf")
}

/// `locals { name = ... }` in an override file: each definition replaces the one of that name.
fn merge_locals(primary: &mut [Body], over: &Block, diags: &mut Diagnostics) {
    for nb in &over.body.blocks {
        diags.push(
            Diagnostic::error("Unsupported block type")
                .at(&nb.kind_range)
                .detail(format!(
                    "Blocks of type \"{}\" are not expected in a locals block.",
                    nb.kind
                ))
                .hint("remove it"),
        );
    }
    for a in &over.body.attributes {
        let base = primary
            .iter_mut()
            .flat_map(|body| body.blocks.iter_mut())
            .filter(|b| b.kind == "locals")
            .flat_map(|b| b.body.attributes.iter_mut())
            .find(|b| b.name == a.name);
        match base {
            Some(b) => *b = a.clone(),
            None => diags.push(
                Diagnostic::error("Missing base local value definition to override")
                    .at(&a.range)
                    .detail(format!("There is no local value named \"{}\". An override file can only override a local value that was already defined in a primary configuration file.", a.name))
                    .hint("check the name against the primary files' locals blocks"),
            ),
        }
    }
}

/// Merges the override block `over` into `base` (same type and labels).
fn merge_block(base: &mut Block, over: &Block, diags: &mut Diagnostics) {
    let kind = over.kind.as_str();
    for a in &over.body.attributes {
        if a.name == "depends_on" && kind != "variable" && kind != "provider" {
            unsupported_depends_on(a, diags);
            continue;
        }
        if matches!(kind, "module" | "resource" | "data") {
            let other = match a.name.as_str() {
                "count" => "for_each",
                "for_each" => "count",
                _ => "",
            };
            if let Some(b) = base.body.attribute(other).filter(|_| !other.is_empty()) {
                diags.push(
                    Diagnostic::error("Invalid combination of \"count\" and \"for_each\"")
                        .at(&a.name_range)
                        .detail(format!(
                            "The override sets {}, but the block it overrides sets {other} at {}; the \"count\" and \"for_each\" meta-arguments are mutually exclusive. (Terraform 1.0 keeps both and silently uses count.)",
                            a.name, b.name_range
                        ))
                        .related(format!("{other} in the base block"), &b.name_range)
                        .hint(format!("replace {other} with {} in the primary file instead", a.name)),
                );
                continue;
            }
        }
        set_attribute(&mut base.body, a);
    }
    match kind {
        "resource" | "data" | "provider" => {
            merge_nested_blocks(&mut base.body, &over.body);
        }
        // A variable's validations are not overridden (as in Terraform); any other nested block
        // is kept for the decoder to report.
        "variable" => base.body.blocks.extend(
            over.body
                .blocks
                .iter()
                .filter(|b| b.kind != "validation")
                .cloned(),
        ),
        _ => base.body.blocks.extend(over.body.blocks.iter().cloned()),
    }
    if kind == "variable" {
        check_variable_default(base, over, diags);
    }
}

fn set_attribute(body: &mut Body, a: &Attribute) {
    match body.attributes.iter_mut().find(|b| b.name == a.name) {
        Some(b) => *b = a.clone(),
        None => body.attributes.push(a.clone()),
    }
}

fn unsupported_depends_on(a: &Attribute, diags: &mut Diagnostics) {
    let at = match &a.expr.kind {
        ExprKind::Tuple(items) => match items.first() {
            Some(first) => &first.range,
            // An empty list overrides nothing.
            None => return,
        },
        _ => &a.expr.range,
    };
    diags.push(
        Diagnostic::error("Unsupported override")
            .at(at)
            .detail("The depends_on argument may not be overridden.")
            .hint("change depends_on in the primary file instead"),
    );
}

/// Nested blocks of a resource, data or provider body: a type present in the override replaces
/// all blocks of that type (static or dynamic) in the base; lifecycle settings merge one by one.
fn merge_nested_blocks(base: &mut Body, over: &Body) {
    let block_type = |b: &Block| -> String {
        if b.kind == "dynamic" {
            b.labels.first().cloned().unwrap_or_default()
        } else {
            b.kind.clone()
        }
    };
    let overridden: Vec<String> = over
        .blocks
        .iter()
        .filter(|b| b.kind != "lifecycle")
        .map(block_type)
        .collect();
    base.blocks
        .retain(|b| b.kind == "lifecycle" || !overridden.contains(&block_type(b)));
    for ob in &over.blocks {
        if ob.kind != "lifecycle" {
            base.blocks.push(ob.clone());
            continue;
        }
        match base.blocks.iter_mut().find(|b| b.kind == "lifecycle") {
            Some(bl) => {
                for a in &ob.body.attributes {
                    set_attribute(&mut bl.body, a);
                }
                bl.body.blocks.extend(ob.body.blocks.iter().cloned());
            }
            None => base.blocks.push(ob.clone()),
        }
    }
}

/// After a variable's type or default was overridden, the default must still convert to the
/// type (Terraform checks this when loading, with the override block as the location).
fn check_variable_default(merged: &Block, over: &Block, diags: &mut Diagnostics) {
    let over_type = over.body.attribute("type").is_some();
    let over_default = over.body.attribute("default").is_some();
    if !over_type && !over_default {
        return;
    }
    let (Some(ty), Some(default)) = (
        merged.body.attribute("type"),
        merged.body.attribute("default"),
    ) else {
        return;
    };
    // Invalid types and non-constant defaults are reported by the decoder and the evaluator.
    let Ok(ty) = parse_type_constraint(&ty.expr) else {
        return;
    };
    let funcs = Registry::new();
    let Ok(value) = eval(&default.expr, &EvalContext::new(&EmptyScope, &funcs)) else {
        return;
    };
    let Err(e) = convert(&value, &ty) else {
        return;
    };
    let detail = match (over_type, over_default) {
        (true, false) => format!("Overriding this variable's type constraint has made its default value invalid: {e}."),
        (false, true) => format!("The overridden default value for this variable is not compatible with the variable's type constraint: {e}."),
        _ => format!("This variable's default value is not compatible with its type constraint: {e}."),
    };
    diags.push(
        Diagnostic::error("Invalid default value for variable")
            .at(&over.def_range)
            .detail(detail)
            .related("default", &default.range)
            .hint(format!(
                "give var.{} a default of type {}",
                over.labels.first().map(String::as_str).unwrap_or_default(),
                ty.friendly_name_for_constraint()
            )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load::load_module;
    use crate::diag::Sources;
    use crate::lang::ast::Expr;

    #[test]
    fn override_file_names() {
        for n in [
            "override.tf",
            "override.tf.json",
            "a_override.tf",
            "x_override.tf.json",
        ] {
            assert!(is_override_file(n), "{n}");
        }
        for n in [
            "main.tf",
            "overrides.tf",
            "aoverride.tf",
            "override.json",
            "_override.txt",
        ] {
            assert!(!is_override_file(n), "{n}");
        }
    }

    /// Loads a module from `files`; returns it with its diagnostics as "file:line:col summary".
    fn load(files: &[(&str, &str)]) -> (Module, Vec<String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let (m, diags) = load_module(dir.path(), &mut Sources::new());
        let diags = diags
            .0
            .iter()
            .map(|d| {
                let at = d
                    .range
                    .as_ref()
                    .map(|r| {
                        let file = r.filename.rsplit('/').next().unwrap_or_default();
                        format!("{file}:{}:{}", r.start.line, r.start.column)
                    })
                    .unwrap_or_default();
                format!("{at} {}", d.summary)
            })
            .collect();
        (m, diags)
    }

    /// A literal string expression's text, or where the expression is.
    fn text(e: &Expr) -> String {
        match &e.kind {
            ExprKind::String(s) => s.clone(),
            _ => e
                .range
                .to_string()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }

    const MAIN: &str = r#"
variable "v" {
  type        = string
  default     = "base"
  description = "base description"
  validation {
    condition     = length(var.v) > 0
    error_message = "Must not be empty."
  }
}
locals {
  a = "base-a"
  b = "base-b"
}
output "o" {
  value     = local.a
  sensitive = true
}
module "m" {
  source = "./m"
  x      = "base-x"
  y      = "base-y"
}
provider "aws" {
  region = "eu-west-1"
  alias  = "eu"
}
resource "aws_security_group" "sg" {
  name = "base"
  ingress {
    from_port = 1
  }
  dynamic "ingress" {
    for_each = [2]
    content {
      from_port = ingress.value
    }
  }
  egress {
    from_port = 3
  }
  lifecycle {
    prevent_destroy = true
  }
}
data "aws_vpc" "d" {
  id = "base"
}
"#;

    #[test]
    fn arguments_merge_by_name_in_lexical_file_order() {
        let (m, diags) = load(&[
            ("main.tf", MAIN),
            (
                "override.tf",
                r#"
variable "v" { default = "over" }
locals { a = "over-a" }
output "o" { value = "over-o" }
module "m" {
  source = "./other"
  y      = "over-y"
  z      = "over-z"
}
provider "aws" {
  alias  = "eu"
  region = "eu-central-1"
}
data "aws_vpc" "d" { id = "over" }
"#,
            ),
            // Before override.tf in name order: override.tf wins.
            (
                "a_override.tf",
                "locals { a = \"a-over-a\" }\nvariable \"v\" { description = \"a\" }\n",
            ),
            // After it: wins over override.tf.
            ("z_override.tf.json", r#"{"locals": {"b": "json-b"}}"#),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        let v = &m.variables["v"];
        assert_eq!(v.default.as_ref().map(text).as_deref(), Some("over"));
        assert_eq!(v.description.as_deref(), Some("a"));
        assert_eq!(
            v.type_expr.as_ref().map(text).as_deref(),
            Some("main.tf:3:17")
        );
        assert_eq!(v.validations.len(), 1);
        assert_eq!(text(&m.locals["a"].expr), "over-a");
        assert_eq!(text(&m.locals["b"].expr), "json-b");
        assert!(m.locals["a"].decl_range.filename.ends_with("/override.tf"));
        let o = &m.outputs["o"];
        assert_eq!(text(&o.value), "over-o");
        assert!(o.sensitive);
        let c = &m.module_calls["m"];
        assert_eq!(c.source, "./other");
        let inputs: Vec<(String, String)> = c
            .inputs
            .iter()
            .map(|(k, a)| (k.clone(), text(&a.expr)))
            .collect();
        assert_eq!(
            inputs,
            [("x", "base-x"), ("y", "over-y"), ("z", "over-z")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let p = &m.providers["aws.eu"];
        assert_eq!(
            text(&p.body.attribute("region").expect("region").expr),
            "eu-central-1"
        );
        let d = &m.resources["data.aws_vpc.d"];
        assert_eq!(text(&d.body.attribute("id").expect("id").expr), "over");
        assert_eq!(m.files.len(), 4);
    }

    #[test]
    fn nested_block_types_in_the_override_replace_the_base_blocks_of_that_type() {
        let (m, diags) = load(&[
            ("main.tf", MAIN),
            (
                "sg_override.tf",
                r#"
resource "aws_security_group" "sg" {
  name = "over"
  ingress {
    from_port = 10
  }
  lifecycle {
    create_before_destroy = true
  }
}
"#,
            ),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        let r = &m.resources["aws_security_group.sg"];
        assert_eq!(text(&r.body.attribute("name").expect("name").expr), "over");
        let kinds: Vec<String> = r
            .body
            .blocks
            .iter()
            .map(|b| format!("{}{:?}", b.kind, b.labels))
            .collect();
        assert_eq!(kinds, ["egress[]", "ingress[]"]);
        let port = &r.body.blocks[1]
            .body
            .attribute("from_port")
            .expect("port")
            .expr;
        assert!(matches!(&port.kind, ExprKind::Number(n) if n == "10"));
        // Lifecycle settings merge one by one.
        assert!(r.lifecycle.prevent_destroy);
        assert!(r.lifecycle.create_before_destroy);

        // A dynamic block in the override replaces the static and dynamic blocks of its type.
        let (m, diags) = load(&[
            ("main.tf", MAIN),
            (
                "override.tf",
                "resource \"aws_security_group\" \"sg\" {\n  dynamic \"egress\" {\n    for_each = []\n    content {}\n  }\n}\n",
            ),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        let kinds: Vec<String> = m.resources["aws_security_group.sg"]
            .body
            .blocks
            .iter()
            .map(|b| format!("{}{:?}", b.kind, b.labels))
            .collect();
        assert_eq!(
            kinds,
            ["ingress[]", "dynamic[\"ingress\"]", "dynamic[\"egress\"]"]
        );
    }

    #[test]
    fn overrides_without_a_base_are_errors_at_the_override_block() {
        let (m, diags) = load(&[
            ("main.tf", MAIN),
            (
                "override.tf",
                r#"variable "nope" { default = 1 }
locals {
  a    = "ok"
  nope = 2
}
output "nope" { value = 3 }
module "nope" { source = "./m" }
resource "aws_s3_bucket" "nope" {}
data "aws_vpc" "nope" {}
provider "aws" { alias = "us" }
provider "google" {}
moved {
  from = a.b
  to   = a.c
}
"#,
            ),
        ]);
        assert_eq!(
            diags,
            [
                "override.tf:1:1 Missing base variable declaration to override",
                "override.tf:4:3 Missing base local value definition to override",
                "override.tf:6:1 Missing base output definition to override",
                "override.tf:7:1 Missing module call to override",
                "override.tf:8:1 Missing resource to override",
                "override.tf:9:1 Missing data resource to override",
                "override.tf:10:1 Missing base provider configuration for override",
                "override.tf:12:1 Cannot override 'moved' blocks",
            ]
        );
        // A default provider configuration needs no base: an absent one is an empty one.
        assert!(m.providers.contains_key("google"));
        assert_eq!(text(&m.locals["a"].expr), "ok");
    }

    #[test]
    fn override_only_module_has_nothing_to_override() {
        let (_, diags) = load(&[("override.tf", "output \"x\" { value = 1 }\n")]);
        assert_eq!(
            diags,
            ["override.tf:1:1 Missing base output definition to override"]
        );
    }

    #[test]
    fn count_and_for_each_cannot_be_swapped_by_an_override() {
        let (m, diags) = load(&[
            (
                "main.tf",
                "module \"m\" {\n  source = \"./m\"\n  count  = 2\n}\n",
            ),
            ("override.tf", "module \"m\" {\n  for_each = {}\n}\n"),
        ]);
        assert_eq!(
            diags,
            ["override.tf:2:3 Invalid combination of \"count\" and \"for_each\""]
        );
        assert!(m.module_calls["m"].for_each.is_none());
    }

    #[test]
    fn depends_on_cannot_be_overridden() {
        let (m, diags) = load(&[
            ("main.tf", MAIN),
            (
                "override.tf",
                "output \"o\" {\n  depends_on = [module.m]\n}\nmodule \"m\" {\n  depends_on = []\n}\n",
            ),
        ]);
        assert_eq!(diags, ["override.tf:2:17 Unsupported override"]);
        assert!(m.outputs["o"].depends_on.is_empty());
    }

    #[test]
    fn overridden_variable_type_or_default_must_agree() {
        let cases = [
            (
                "variable \"v\" {\n  type = number\n}\n",
                "Overriding this variable's type constraint has made its default value invalid: a number is required.",
            ),
            (
                "variable \"v\" {\n  default = [1]\n}\n",
                "The overridden default value for this variable is not compatible with the variable's type constraint: string required.",
            ),
            (
                "variable \"v\" {\n  type    = bool\n  default = \"x\"\n}\n",
                "This variable's default value is not compatible with its type constraint: a bool is required.",
            ),
        ];
        for (over, detail) in cases {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("main.tf"), MAIN).expect("write");
            std::fs::write(dir.path().join("override.tf"), over).expect("write");
            let (_, diags) = load_module(dir.path(), &mut Sources::new());
            assert_eq!(diags.len(), 1, "{diags:#?}");
            let d = &diags.0[0];
            assert_eq!(d.summary, "Invalid default value for variable");
            assert_eq!(d.detail, detail);
            assert_eq!(d.range.as_ref().map(|r| r.start.line), Some(1));
        }
        // Compatible: fine.
        let (m, diags) = load(&[
            ("main.tf", MAIN),
            (
                "override.tf",
                "variable \"v\" {\n  type = number\n  default = 5\n}\n",
            ),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(m.variables["v"].default.is_some());
    }

    #[test]
    fn terraform_settings_override() {
        let main = r#"
terraform {
  required_version = ">= 0.14"
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 4.0" }
    gitops = { source = "sakk/gitops" }
  }
  backend "s3" {
    bucket = "base"
  }
}
"#;
        let (m, diags) = load(&[
            ("main.tf", main),
            (
                "override.tf",
                r#"
terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
  backend "local" {
    path = "x.tfstate"
  }
}
"#,
            ),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        let t = &m.terraform;
        assert_eq!(
            t.required_version.as_ref().map(text).as_deref(),
            Some(">= 1.0")
        );
        assert_eq!(
            t.required_providers["aws"].version.as_deref(),
            Some("~> 5.0")
        );
        assert_eq!(
            t.required_providers["gitops"].source.as_deref(),
            Some("sakk/gitops")
        );
        assert_eq!(t.backend.as_ref().map(|b| b.kind.as_str()), Some("local"));

        let (_, diags) = load(&[
            ("main.tf", main),
            (
                "override.tf",
                "terraform {\n  backend \"local\" {}\n}\nterraform {\n  backend \"s3\" {}\n}\n",
            ),
        ]);
        assert_eq!(diags, ["override.tf:5:3 Duplicate backend configuration"]);
    }

    #[test]
    fn malformed_override_blocks_are_reported_as_in_primary_files() {
        let (_, diags) = load(&[
            ("main.tf", MAIN),
            (
                "override.tf",
                "variable {}\nresourse \"a\" \"b\" {}\nx = 1\nresource \"aws_security_group\" \"sg\" {\n  nmae = 1\n}\n",
            ),
        ]);
        assert_eq!(
            diags,
            [
                "override.tf:3:1 Unsupported argument",
                "override.tf:1:1 Missing name for variable block",
                "override.tf:2:1 Unsupported block type",
            ]
        );
    }
}
