//! The configuration: one [`Module`] per directory of `*.tf` / `*.tf.json` files, and the
//! [`tree::Config`] of modules that calls form.
//!
//! Loading decodes the top-level blocks into typed declarations (variables, locals, outputs,
//! module calls, resources, data sources, providers, the terraform block), keeping the expressions
//! unevaluated and every declaration's source range for diagnostics.

pub mod decode;
pub mod load;
pub mod manifest;
pub mod merge;
pub mod source;
pub mod tree;

use crate::diag::Range;
use crate::lang::ast::{Attribute, Body, Expr};
pub use crate::lang::refs::Mode;
use indexmap::IndexMap;
use std::path::PathBuf;

/// One module: the declarations of all configuration files in one directory.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub terraform: TerraformSettings,
    pub variables: IndexMap<String, Variable>,
    pub locals: IndexMap<String, Local>,
    pub outputs: IndexMap<String, Output>,
    pub module_calls: IndexMap<String, ModuleCall>,
    /// Managed resources and data sources, keyed by `TYPE.NAME` / `data.TYPE.NAME`.
    pub resources: IndexMap<String, Resource>,
    /// Provider configurations, keyed by `NAME` or `NAME.ALIAS`.
    pub providers: IndexMap<String, ProviderConfig>,
    /// `moved { from = ..., to = ... }` blocks, in declaration order.
    pub moved: Vec<Moved>,
    /// `import { to = ..., id = ... }` blocks (Terraform 1.5 syntax; root module only).
    pub imports: Vec<ImportBlock>,
}

/// A `moved` block: the state object at `from` is now called `to` (addresses relative to the
/// module that declares the block).
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    pub to: String,
    pub from_range: Range,
    pub to_range: Range,
    pub decl_range: Range,
}

/// An `import` block: adopt the existing object `id` as the resource instance `to`.
#[derive(Debug, Clone)]
pub struct ImportBlock {
    pub to: String,
    pub to_range: Range,
    pub id: Expr,
    pub decl_range: Range,
}

impl Module {
    /// A range to point at when a problem concerns the module as a whole.
    pub fn decl_range_hint(&self) -> Range {
        self.variables
            .values()
            .map(|v| v.decl_range.clone())
            .chain(self.resources.values().map(|r| r.decl_range.clone()))
            .chain(self.outputs.values().map(|o| o.decl_range.clone()))
            .next()
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
pub struct TerraformSettings {
    pub required_version: Option<Expr>,
    pub required_providers: IndexMap<String, ProviderRequirement>,
    pub backend: Option<Backend>,
    /// Where the terraform block(s) are.
    pub ranges: Vec<Range>,
}

#[derive(Debug, Clone)]
pub struct ProviderRequirement {
    pub name: String,
    pub source: Option<String>,
    pub version: Option<String>,
    pub range: Range,
}

#[derive(Debug, Clone)]
pub struct Backend {
    /// `s3`, `local`, ...
    pub kind: String,
    pub body: Body,
    pub range: Range,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub type_expr: Option<Expr>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub validations: Vec<Validation>,
    pub decl_range: Range,
}

impl Variable {
    /// A variable without a default must be set by the caller.
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    pub range: Range,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub decl_range: Range,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    pub decl_range: Range,
}

#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub source_range: Range,
    pub version: Option<String>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `providers = { aws = aws.east }`: child provider name -> parent provider address.
    pub providers: Vec<(String, String, Range)>,
    /// Every other argument: the child module's input variables.
    pub inputs: IndexMap<String, Attribute>,
    pub decl_range: Range,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub mode: Mode,
    pub type_: String,
    pub name: String,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `provider = aws.east`
    pub provider: Option<ProviderRef>,
    pub lifecycle: Lifecycle,
    /// The remaining arguments and nested blocks, checked against the provider's schema.
    pub body: Body,
    pub decl_range: Range,
}

impl Resource {
    /// `aws_s3_bucket.b` or `data.aws_caller_identity.me`.
    pub fn key(&self) -> String {
        resource_key(self.mode, &self.type_, &self.name)
    }

    /// The provider configuration this resource uses: explicit, or the one named by the type's
    /// prefix (`aws_s3_bucket` -> `aws`).
    pub fn provider_key(&self) -> String {
        match &self.provider {
            Some(p) => p.key(),
            None => crate::provider::implied_provider(&self.type_).to_string(),
        }
    }
}

pub fn resource_key(mode: Mode, type_: &str, name: &str) -> String {
    match mode {
        Mode::Managed => format!("{type_}.{name}"),
        Mode::Data => format!("data.{type_}.{name}"),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub range: Option<Range>,
}

#[derive(Debug, Clone, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    /// `ignore_changes = all`
    All,
    /// Attribute paths, as written (`tags["Name"]`, `tags`).
    Paths(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
    pub range: Range,
}

impl ProviderRef {
    pub fn key(&self) -> String {
        match &self.alias {
            Some(a) => format!("{}.{a}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub decl_range: Range,
}

impl ProviderConfig {
    pub fn key(&self) -> String {
        match &self.alias {
            Some(a) => format!("{}.{a}", self.name),
            None => self.name.clone(),
        }
    }
}
