//! Signatures-as-data for the encoding, filesystem, date/time, hash/crypto and IP network
//! functions, their errors, and the call context the filesystem functions need.
//!
//! Each of those modules exposes `functions() -> Vec<FuncDef>`. A [`FuncDef`] says what cty's
//! `function.Spec` says (parameters with their types and `AllowNull`/`AllowUnknown`/
//! `AllowMarked`, the variadic parameter, the return type) and holds the implementation, which
//! only ever sees arguments already converted to the parameter types, known and unmarked unless
//! the parameter allows otherwise. [`call`] does that generic part the way cty's
//! `Function.Call` does; the registry can use it as is or map the data onto its own types.

use crate::lang::ast::Expr;
use crate::lang::number::Number;
use crate::lang::types::Type;
use crate::lang::value::{Attrs, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::FuncError;

impl FuncError {
    /// A failure of the call as a whole ("Call to function "NAME" failed: MSG").
    pub fn general(msg: impl Into<String>) -> FuncError {
        FuncError::new(msg)
    }
}

/// Renders a parsed template with `vars` as its only variables and every function but
/// `templatefile` (which must fail with "cannot recursively call templatefile from inside
/// templatefile call"). Implemented by the evaluator.
pub trait TemplateRenderer {
    fn render(&self, tmpl: &Expr, vars: &Attrs) -> Result<Value, FuncError>;
}

/// What the functions that touch the filesystem need to know about the calling module.
#[derive(Clone)]
pub struct FuncCtx {
    /// The module's directory (`path.module`), as Terraform has it: relative paths given to
    /// `file`, `fileset`, ... are joined to it (and then used relative to the process's working
    /// directory, like Go's `os.Open`).
    pub base_dir: PathBuf,
    /// Renders `templatefile` templates; `None` makes `templatefile` fail.
    pub templates: Option<Arc<dyn TemplateRenderer + Send + Sync>>,
}

impl FuncCtx {
    pub fn new(base_dir: impl Into<PathBuf>) -> FuncCtx {
        FuncCtx {
            base_dir: base_dir.into(),
            templates: None,
        }
    }
}

impl std::fmt::Debug for FuncCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuncCtx")
            .field("base_dir", &self.base_dir)
            .field("templates", &self.templates.is_some())
            .finish()
    }
}

/// A parameter, as cty's `function.Parameter`.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    pub allow_null: bool,
    pub allow_unknown: bool,
    pub allow_marked: bool,
}

impl Param {
    pub fn new(name: &'static str, ty: Type) -> Param {
        Param {
            name,
            ty,
            allow_null: false,
            allow_unknown: false,
            allow_marked: false,
        }
    }
    pub fn allow_null(mut self) -> Param {
        self.allow_null = true;
        self
    }
    pub fn allow_unknown(mut self) -> Param {
        self.allow_unknown = true;
        self
    }
    pub fn allow_marked(mut self) -> Param {
        self.allow_marked = true;
        self
    }
}

/// The return type: fixed, or worked out from the (converted) arguments, which may be unknown;
/// an error here is reported like an implementation error.
#[derive(Clone, Copy)]
pub enum Ret {
    Static(fn() -> Type),
    Dynamic(fn(&FuncCtx, &[Value]) -> Result<Type, FuncError>),
}

/// The implementation.
#[derive(Clone, Copy)]
pub enum Impl {
    Pure(fn(&[Value]) -> Result<Value, FuncError>),
    /// Needs the module directory (and, for `templatefile`, the renderer).
    Ctx(fn(&FuncCtx, &[Value]) -> Result<Value, FuncError>),
}

#[derive(Clone)]
pub struct FuncDef {
    pub name: &'static str,
    pub params: Vec<Param>,
    pub var_param: Option<Param>,
    pub ret: Ret,
    pub imp: Impl,
    /// `uuid`, `bcrypt`, `timestamp`: a different result each call; Terraform makes them
    /// return unknown values while validating.
    pub impure: bool,
}

impl std::fmt::Debug for FuncDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuncDef")
            .field("name", &self.name)
            .field("params", &self.params)
            .field("var_param", &self.var_param)
            .finish()
    }
}

impl FuncDef {
    pub fn new(
        name: &'static str,
        params: Vec<Param>,
        ret: fn() -> Type,
        imp: fn(&[Value]) -> Result<Value, FuncError>,
    ) -> FuncDef {
        FuncDef {
            name,
            params,
            var_param: None,
            ret: Ret::Static(ret),
            imp: Impl::Pure(imp),
            impure: false,
        }
    }
    pub fn with_ctx(
        name: &'static str,
        params: Vec<Param>,
        ret: fn() -> Type,
        imp: fn(&FuncCtx, &[Value]) -> Result<Value, FuncError>,
    ) -> FuncDef {
        FuncDef {
            name,
            params,
            var_param: None,
            ret: Ret::Static(ret),
            imp: Impl::Ctx(imp),
            impure: false,
        }
    }
    pub fn var_param(mut self, p: Param) -> FuncDef {
        self.var_param = Some(p);
        self
    }
    pub fn dynamic_ret(mut self, f: fn(&FuncCtx, &[Value]) -> Result<Type, FuncError>) -> FuncDef {
        self.ret = Ret::Dynamic(f);
        self
    }
    pub fn impure(mut self) -> FuncDef {
        self.impure = true;
        self
    }

    /// The parameter for argument `i`.
    pub fn param(&self, i: usize) -> Option<&Param> {
        self.params.get(i).or(self.var_param.as_ref())
    }

    /// The return type for these arguments (`Dynamic` when it can't be known yet).
    pub fn return_type(&self, ctx: &FuncCtx, args: &[Value]) -> Result<Type, FuncError> {
        match self.ret {
            Ret::Static(f) => Ok(f()),
            Ret::Dynamic(f) => f(ctx, args),
        }
    }
}

pub fn string() -> Type {
    Type::String
}
pub fn number() -> Type {
    Type::Number
}
pub fn boolean() -> Type {
    Type::Bool
}
pub fn dynamic() -> Type {
    Type::Dynamic
}
pub fn list_of_string() -> Type {
    Type::list(Type::String)
}
pub fn set_of_string() -> Type {
    Type::set(Type::String)
}

fn to_registry_param(p: &Param) -> super::Param {
    let mut q = super::Param::new(p.name, p.ty.clone());
    q.allow_null = p.allow_null;
    q.allow_unknown = p.allow_unknown;
    q.allow_marked = p.allow_marked;
    // jsonencode/yamlencode take values of any type, `null` included (cty's AllowDynamicType).
    q.allow_dynamic_type = p.ty.is_dynamic() && p.allow_null;
    q
}

/// The registry's [`super::Function`] for `def`, with `ctx` for the filesystem functions.
pub fn to_function(def: &FuncDef, ctx: Arc<FuncCtx>) -> super::Function {
    let params = def.params.iter().map(to_registry_param).collect();
    let ret = def.ret;
    let imp = def.imp;
    let c1 = ctx.clone();
    let f = super::Function::new(
        params,
        move |a| match ret {
            Ret::Static(t) => Ok(t()),
            Ret::Dynamic(g) => g(&c1, a),
        },
        move |a, _| match imp {
            Impl::Pure(i) => i(a),
            Impl::Ctx(i) => i(&ctx, a),
        },
    );
    match &def.var_param {
        Some(p) => f.variadic(to_registry_param(p)),
        None => f,
    }
}

/// Registers every function of these groups, the filesystem ones working relative to
/// `ctx.base_dir` (one registry per module directory).
pub fn register_b(r: &mut super::Registry, ctx: FuncCtx) {
    let ctx = Arc::new(ctx);
    for d in super::functions_b() {
        r.register(d.name, to_function(&d, ctx.clone()));
    }
}

/// Calls `f` through the registry's call wrapper (cty's `Function.Call` rules for nulls,
/// unknowns and marks), for arguments already converted to the parameter types.
pub fn call(f: &FuncDef, ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    to_function(f, Arc::new(ctx.clone())).call(args.to_vec())
}

// ---- helpers for implementations ----

/// The string in argument `i` (the registry converted it already; anything else is a bug in
/// the caller, reported rather than panicking).
pub fn arg_str(args: &[Value], i: usize) -> Result<&str, FuncError> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| FuncError::arg(i, "a string is required"))
}

pub fn arg_num(args: &[Value], i: usize) -> Result<&Number, FuncError> {
    args.get(i)
        .and_then(Value::as_number)
        .ok_or_else(|| FuncError::arg(i, "a number is required"))
}

/// gocty's conversion of a number to a Go `int`.
pub fn num_to_int(n: &Number) -> Result<i64, String> {
    if !n.is_integer() || n.is_inf() {
        return Err("value must be a whole number".into());
    }
    n.to_i64().ok_or_else(|| {
        "value must be a whole number, between -9223372036854775808 and 9223372036854775807".into()
    })
}

/// Go's `filepath.Clean` (Unix).
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `filepath.Join` (Unix): joins the non-empty elements and cleans the result.
pub fn join_path(parts: &[&str]) -> String {
    let nonempty: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    if nonempty.is_empty() {
        return String::new();
    }
    clean_path(&nonempty.join("/"))
}

/// A path as a string (paths we build are UTF-8 since they come from strings).
pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

pub fn to_path(s: &str) -> PathBuf {
    PathBuf::from(s)
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    pub fn s(x: &str) -> Value {
        Value::string(x)
    }
    pub fn n(x: &str) -> Value {
        Value::number(Number::parse(x).expect("number"))
    }
    pub fn i(x: i64) -> Value {
        Value::int(x)
    }

    /// Calls the function named `name` from `defs` in directory `dir`.
    pub fn call_in(
        defs: &[FuncDef],
        dir: &Path,
        name: &str,
        args: &[Value],
    ) -> Result<Value, FuncError> {
        let f = defs
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no function {name}"));
        call(f, &FuncCtx::new(dir), args)
    }

    /// Calls and expects a string result.
    pub fn call_str(defs: &[FuncDef], name: &str, args: &[Value]) -> String {
        let v = call_in(defs, Path::new("."), name, args)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        v.as_str()
            .unwrap_or_else(|| panic!("{name}: not a string: {v:?}"))
            .to_string()
    }

    /// Calls and expects an error, returning its message.
    pub fn call_err(defs: &[FuncDef], name: &str, args: &[Value]) -> FuncError {
        match call_in(defs, Path::new("."), name, args) {
            Ok(v) => panic!("{name}: expected an error, got {v:?}"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_paths() {
        assert_eq!(clean_path("a/../../b/./c/"), "../b/c");
        assert_eq!(clean_path("/../x"), "/x");
        assert_eq!(clean_path(""), ".");
        assert_eq!(join_path(&[".", "./missing.txt"]), "missing.txt");
        assert_eq!(join_path(&["", ""]), "");
        assert_eq!(join_path(&["/a", "b/../c"]), "/a/c");
    }
}
