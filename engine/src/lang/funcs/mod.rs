//! The function registry: Terraform's built-in functions, declared like cty's `function.Spec`.
//!
//! Every function is a [`Function`] (parameters, optional variadic parameter, return type,
//! implementation) in a [`Registry`]. Each group has its file, with a `register` function:
//! `string`, `collection`, `numeric` and `typeconv` make up [`Registry::builtins`];
//! `encoding`, `filesystem`, `datetime`, `crypto` and `ipnet` are added by
//! [`Registry::register_module_functions`], the file functions working relative to the module
//! directory in [`FuncCtx`]. [`Registry::for_module`] is what the evaluation walk uses.
//! Conversion and unification are [`crate::lang::convert`]'s; the helpers implementations share
//! (`str_arg`, `num_arg`, `int_arg`, `to_int`, `to_whole_int`) are below.
//!
//! # Adding a function
//!
//! Register it in its group's `register`:
//!
//! ```text
//! r.register("upper", Function::simple(
//!     vec![Param::new("str", Type::String)],
//!     Type::String,                           // the return type
//!     |args| Ok(Value::string(str_arg(args, 0)?.to_uppercase())),
//! ));
//! ```
//!
//! [`Function::computed`] takes a function from the (type-checked) arguments to the return
//! type instead, and [`Function::new`] an implementation that also receives the return type.
//!
//! The evaluator converts each argument to its parameter's type before the call (so `upper(1)`
//! receives `"1"`), and [`Function::call`] then does what cty's `Function.Call` does, so an
//! implementation only ever sees what it declared it can handle:
//!
//! - a null argument is an error ("argument must not be null") unless `allow_null`;
//! - if any argument is unknown and its parameter lacks `allow_unknown`, the result is an
//!   unknown value of the return type, without calling the implementation;
//! - marks (sensitive) are removed from arguments whose parameter lacks `allow_marked`, and
//!   added back to the result; with `allow_marked` the implementation must propagate them;
//! - an argument of dynamic type (`unknown` of `Type::Dynamic`) gives an unknown dynamic result
//!   unless `allow_dynamic_type`.
//!
//! Return a [`FuncError`] with [`FuncError::arg`] to blame one argument (reported as
//! `Invalid value for "<param>" parameter: ...`) or [`FuncError::new`] for the call as a whole
//! (`Call to function "f" failed: ...`). Never panic on user data.

pub mod collection;
pub mod crypto;
pub mod datetime;
pub mod encoding;
pub mod filesystem;
pub mod ipnet;
pub mod numeric;
pub mod string;
pub mod typeconv;

pub use filesystem::{FuncCtx, TemplateRenderer};

use super::number::Number;
use super::types::Type;
use super::value::{Marks, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A declared function parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    pub allow_null: bool,
    pub allow_unknown: bool,
    pub allow_dynamic_type: bool,
    pub allow_marked: bool,
}

impl Param {
    pub fn new(name: &'static str, ty: Type) -> Param {
        Param {
            name,
            ty,
            allow_null: false,
            allow_unknown: false,
            allow_dynamic_type: false,
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
    pub fn allow_dynamic_type(mut self) -> Param {
        self.allow_dynamic_type = true;
        self
    }
    pub fn allow_marked(mut self) -> Param {
        self.allow_marked = true;
        self
    }
}

/// A function failure, optionally blaming one argument (by index into the call's arguments,
/// counting expanded variadic arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError {
    pub arg: Option<usize>,
    pub message: String,
}

impl FuncError {
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError {
            arg: None,
            message: message.into(),
        }
    }
    pub fn arg(index: usize, message: impl Into<String>) -> FuncError {
        FuncError {
            arg: Some(index),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An implementation that needs neither the return type nor anything but the arguments.
pub type Impl = fn(&[Value]) -> Result<Value, FuncError>;

pub type ReturnTypeFn = Arc<dyn Fn(&[Value]) -> Result<Type, FuncError> + Send + Sync>;
pub type ImplFn = Arc<dyn Fn(&[Value], &Type) -> Result<Value, FuncError> + Send + Sync>;

/// A function: parameters, optional variadic parameter, return type and implementation.
#[derive(Clone)]
pub struct Function {
    pub params: Vec<Param>,
    pub var_param: Option<Param>,
    pub return_type: ReturnTypeFn,
    pub imp: ImplFn,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("params", &self.params)
            .field("var_param", &self.var_param)
            .finish()
    }
}

impl Function {
    pub fn new(
        params: Vec<Param>,
        return_type: impl Fn(&[Value]) -> Result<Type, FuncError> + Send + Sync + 'static,
        imp: impl Fn(&[Value], &Type) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Function {
        Function {
            params,
            var_param: None,
            return_type: Arc::new(return_type),
            imp: Arc::new(imp),
        }
    }

    /// A function whose return type does not depend on its arguments, and whose
    /// implementation does not need it.
    pub fn simple(
        params: Vec<Param>,
        ret: Type,
        imp: impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Function {
        Function::new(params, move |_| Ok(ret.clone()), move |a, _| imp(a))
    }

    /// A function whose return type `ret` works out from its arguments, and whose
    /// implementation works it out again where it needs it.
    pub fn computed(
        params: Vec<Param>,
        ret: impl Fn(&[Value]) -> Result<Type, FuncError> + Send + Sync + 'static,
        imp: impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Function {
        Function::new(params, ret, move |a, _| imp(a))
    }

    pub fn variadic(mut self, p: Param) -> Function {
        self.var_param = Some(p);
        self
    }

    /// The parameter that argument `i` binds to.
    pub fn param_for(&self, i: usize) -> Option<&Param> {
        self.params.get(i).or(self.var_param.as_ref())
    }

    /// cty's `ReturnTypeForValues`: checks nulls and type conformance, then asks the function.
    pub fn return_type_for(&self, args: &[Value]) -> Result<Type, FuncError> {
        if args.len() < self.params.len()
            || (self.var_param.is_none() && args.len() > self.params.len())
        {
            return Err(FuncError::new(format!(
                "wrong number of arguments ({} required; {} given)",
                self.params.len(),
                args.len()
            )));
        }
        let mut unmarked: Vec<Value> = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let Some(p) = self.param_for(i) else {
                return Err(FuncError::new("too many arguments"));
            };
            let a2 = if !p.allow_marked {
                a.clone().unmark_deep().0
            } else {
                a.clone()
            };
            if a2.is_null() && !p.allow_null {
                return Err(FuncError::arg(i, "argument must not be null"));
            }
            let t = a2.ty();
            if t.is_dynamic() {
                if !p.allow_dynamic_type {
                    return Ok(Type::Dynamic);
                }
            } else if !conforms(&t, &p.ty) {
                return Err(FuncError::arg(
                    i,
                    format!("{} required", p.ty.friendly_name_for_constraint()),
                ));
            }
            unmarked.push(a2);
        }
        (self.return_type)(&unmarked)
    }

    /// cty's `Function.Call`: the generic handling of nulls, unknowns and marks around the
    /// implementation. Arguments must already be converted to the parameter types.
    pub fn call(&self, args: Vec<Value>) -> Result<Value, FuncError> {
        // An error message may quote an argument: a sensitive one is redacted.
        let secrets: Vec<String> = args
            .iter()
            .filter(|a| a.marks_deep().is_sensitive())
            .flat_map(crate::lang::marks::sensitive_strings)
            .collect();
        self.call_inner(args).map_err(|mut e| {
            e.message = crate::lang::marks::redact(&e.message, &secrets);
            e
        })
    }

    fn call_inner(&self, args: Vec<Value>) -> Result<Value, FuncError> {
        let ret = self.return_type_for(&args)?;
        let mut marks = Marks::NONE;
        let mut args = args;
        for (i, arg) in args.iter_mut().enumerate() {
            let Some(p) = self.param_for(i) else { break };
            if !p.allow_marked && arg.has_marks_deep() {
                let (v, m) = arg.clone().unmark_deep();
                marks |= m;
                *arg = v;
            }
            if !arg.is_known() && !p.allow_unknown {
                return Ok(Value::unknown(ret).mark(marks));
            }
        }
        if ret.is_dynamic() && args.iter().any(|a| a.ty().is_dynamic() && !a.is_known()) {
            return Ok(Value::unknown_dynamic().mark(marks));
        }
        let v = (self.imp)(&args, &ret)?;
        Ok(v.mark(marks))
    }
}

/// cty's `TestConformance`: whether a value of type `got` is acceptable where `want` is wanted
/// without conversion (`Dynamic` in `want` accepts anything).
pub fn conforms(got: &Type, want: &Type) -> bool {
    match (got, want) {
        (_, Type::Dynamic) => true,
        (Type::List(a), Type::List(b))
        | (Type::Set(a), Type::Set(b))
        | (Type::Map(a), Type::Map(b)) => conforms(a, b),
        (Type::Tuple(a), Type::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| conforms(x, y))
        }
        (Type::Object(a), Type::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, x), (kb, y))| ka == kb && conforms(x, y))
        }
        _ => got == want,
    }
}

/// The set of functions available to expressions.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    funcs: HashMap<String, Function>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The core functions, which the evaluator's own tests use: the string, collection, numeric
    /// and type-conversion groups, and `jsonencode`. [`Registry::for_module`] has them all.
    pub fn builtins() -> Registry {
        let mut r = Registry::new();
        string::register(&mut r);
        collection::register(&mut r);
        numeric::register(&mut r);
        typeconv::register(&mut r);
        // The rest of the encoding group comes with `register_module_functions`.
        encoding::register_jsonencode(&mut r);
        r
    }

    /// Every built-in function, with filesystem functions resolving relative paths against
    /// `base_dir` (Terraform uses the root module's directory) and `templatefile` rendering.
    pub fn for_module(base_dir: &std::path::Path) -> Registry {
        Registry::for_module_with(base_dir, crate::vfs::os())
    }

    /// [`Registry::for_module`] with the file functions reading through `fs`.
    pub fn for_module_with(
        base_dir: &std::path::Path,
        fs: Arc<dyn crate::vfs::FileSystem>,
    ) -> Registry {
        let mut inner = Registry::builtins();
        inner.register_module_functions(FuncCtx::new(base_dir).with_fs(Arc::clone(&fs)));
        let mut r = Registry::builtins();
        r.register_module_functions(FuncCtx {
            base_dir: base_dir.to_path_buf(),
            templates: Some(Arc::new(TemplateEval { funcs: inner })),
            fs,
        });
        r
    }

    /// Adds the encoding, filesystem, date/time, hash/crypto and IP network functions, the ones
    /// that read files working relative to `ctx.base_dir`.
    pub fn register_module_functions(&mut self, ctx: FuncCtx) {
        let ctx = Arc::new(ctx);
        encoding::register(self);
        filesystem::register(self, &ctx);
        datetime::register(self);
        crypto::register(self, &ctx);
        ipnet::register(self);
    }

    /// Terraform's pure-only scope, used while planning: the impure functions (`timestamp`,
    /// `uuid`, `bcrypt`) return an unknown value, known after apply, so a plan never shows a
    /// value that the apply would compute differently.
    pub fn pure_only(&mut self) {
        for name in ["timestamp", "uuid", "bcrypt"] {
            if let Some(f) = self.funcs.get_mut(name) {
                f.imp = Arc::new(|_, ret| Ok(Value::unknown(ret.clone())));
            }
        }
    }

    pub fn register(&mut self, name: &str, f: Function) {
        self.funcs.insert(name.to_string(), f);
    }

    pub fn get(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }

    /// All function names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.funcs.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

// ---- limits ----

/// The most values a function builds in one result (`setproduct` counts every element of every
/// tuple it makes): more is an error, not an allocation sized by the arguments.
pub const MAX_ELEMENTS: usize = 1_000_000;

/// The most bytes of string a function (`format`, `formatlist`, `indent`, `replace`) or a string
/// template builds: 100 MiB.
pub const MAX_STRING_BYTES: usize = 100 << 20;

/// The message for a string result that would be `n` bytes long (over [`MAX_STRING_BYTES`]),
/// or longer than the limit when `n` is not worked out.
pub fn string_too_long(n: Option<usize>) -> String {
    let mib = MAX_STRING_BYTES >> 20;
    match n {
        Some(n) => format!(
            "the result would be {n} bytes long, more than the {mib} MiB sakk builds for one string"
        ),
        None => format!("the result would be longer than the {mib} MiB sakk builds for one string"),
    }
}

// ---- helpers for implementations ----

/// The string in argument `i`. [`Function::call`] hands an implementation its arguments
/// converted to the parameter types, known and not null unless the parameter allows otherwise,
/// so for a `string` parameter this does not fail; a wrong definition is reported rather than
/// panicking.
pub(crate) fn str_arg(args: &[Value], i: usize) -> Result<&str, FuncError> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| FuncError::arg(i, "a string is required"))
}

/// The number in argument `i` (see [`str_arg`]).
pub(crate) fn num_arg(args: &[Value], i: usize) -> Result<&Number, FuncError> {
    args.get(i)
        .and_then(Value::as_number)
        .ok_or_else(|| FuncError::arg(i, "a number is required"))
}

/// gocty's message for a number that is not a Go `int`.
const INT_RANGE_MSG: &str =
    "value must be a whole number, between -9223372036854775808 and 9223372036854775807";

/// A number as gocty converts it to a Go `int`: a fraction, an infinity or a number out of
/// range fails with [`INT_RANGE_MSG`].
pub(crate) fn to_int(n: &Number) -> Result<i64, String> {
    n.to_i64().ok_or_else(|| INT_RANGE_MSG.to_string())
}

/// The number in argument `i` as a Go `int` (see [`to_int`]).
pub(crate) fn int_arg(args: &[Value], i: usize) -> Result<i64, String> {
    match args.get(i).and_then(Value::as_number) {
        Some(n) => to_int(n),
        None => Err(INT_RANGE_MSG.to_string()),
    }
}

/// Like [`to_int`], but a fraction or an infinity fails with "value must be a whole number"
/// (the encoding, crypto and IP network functions report it so).
pub(crate) fn to_whole_int(n: &Number) -> Result<i64, String> {
    if !n.is_integer() {
        return Err("value must be a whole number".into());
    }
    to_int(n)
}

/// Renders `templatefile` templates: the template's variables are its only names, and every
/// function is available except `templatefile` itself.
struct TemplateEval {
    funcs: Registry,
}

impl TemplateRenderer for TemplateEval {
    fn render(
        &self,
        tmpl: &crate::lang::ast::Expr,
        vars: &crate::lang::value::Attrs,
    ) -> Result<Value, FuncError> {
        let scope = crate::lang::eval::EmptyScope;
        let ctx = crate::lang::eval::EvalContext::with_vars(&scope, &self.funcs, vars);
        crate::lang::eval::eval(tmpl, &ctx).map_err(|ds| {
            let msg = ds
                .iter()
                .map(|d| match &d.range {
                    Some(r) => format!("{}: {}; {}", r.hcl_string(), d.summary, d.detail),
                    None => format!("{}; {}", d.summary, d.detail),
                })
                .collect::<Vec<_>>()
                .join("\n");
            FuncError::new(msg)
        })
    }
}

/// Helpers for the function groups' tests: values, and calls made the way the evaluator makes
/// them.
#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use std::path::Path;

    pub fn s(x: &str) -> Value {
        Value::string(x)
    }
    pub fn n(x: &str) -> Value {
        Value::number(Number::parse(x).expect("number"))
    }
    pub fn i(x: i64) -> Value {
        Value::int(x)
    }
    pub fn b(x: bool) -> Value {
        Value::bool(x)
    }
    pub fn tup(xs: Vec<Value>) -> Value {
        Value::tuple(xs)
    }
    pub fn lst(xs: Vec<Value>) -> Value {
        let t = xs.first().map(Value::ty).unwrap_or(Type::Dynamic);
        Value::list(t, xs)
    }
    pub fn strs(xs: &[&str]) -> Value {
        Value::list(Type::String, xs.iter().map(|x| s(x)).collect())
    }
    pub fn obj(xs: Vec<(&str, Value)>) -> Value {
        Value::object(xs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    pub fn smap(xs: Vec<(&str, Value)>) -> Value {
        let t = xs.first().map(|x| x.1.ty()).unwrap_or(Type::Dynamic);
        Value::map(t, xs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    /// Calls `name` from `r` as the evaluator does: each argument converted to its parameter's
    /// type, then [`Function::call`].
    pub fn call_with(r: &Registry, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let f = r.get(name).unwrap_or_else(|| panic!("no function {name}"));
        let mut conv = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let Some(p) = f.param_for(i) else {
                return Err(FuncError::new("too many arguments"));
            };
            conv.push(
                crate::lang::convert::convert(a, &p.ty)
                    .map_err(|e| FuncError::arg(i, e.message))?,
            );
        }
        f.call(conv)
    }

    /// Calls `name` with the filesystem functions working in `dir`.
    pub fn call_in(dir: &Path, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        call_with(&Registry::for_module(dir), name, args)
    }

    /// Calls `name` in the current directory.
    pub fn call(name: &str, args: &[Value]) -> Result<Value, FuncError> {
        call_in(Path::new("."), name, args)
    }

    /// Calls and expects a string result.
    pub fn call_str(name: &str, args: &[Value]) -> String {
        let v = call(name, args).unwrap_or_else(|e| panic!("{name}: {}", e.message));
        v.as_str()
            .unwrap_or_else(|| panic!("{name}: not a string: {v:?}"))
            .to_string()
    }

    /// Calls and expects an error.
    pub fn call_err(name: &str, args: &[Value]) -> FuncError {
        match call(name, args) {
            Ok(v) => panic!("{name}: expected an error, got {v:?}"),
            Err(e) => e,
        }
    }

    /// Calls `name` and renders the result as the console does (or the error as
    /// `ERR[i]: msg` when it blames argument `i`, else `ERR: msg`).
    pub fn run(name: &str, args: Vec<Value>) -> String {
        match call(name, &args) {
            Ok(v) => v.to_string(),
            Err(FuncError {
                arg: Some(i),
                message,
            }) => format!("ERR[{i}]: {message}"),
            Err(e) => format!("ERR: {}", e.message),
        }
    }

    /// Like [`run`], with the result's type (or `ERR: msg` and an empty type).
    pub fn run_ty(name: &str, args: Vec<Value>) -> (String, String) {
        match call(name, &args) {
            Ok(v) => (v.to_string(), v.ty().to_string()),
            Err(e) => (format!("ERR: {}", e.message), String::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_needs_an_experiment() {
        let r = Registry::builtins();
        let f = r.get("defaults").expect("defaults");
        let e = f
            .call(vec![Value::null(Type::Dynamic), Value::string("d")])
            .unwrap_err();
        assert!(
            e.message.starts_with("this function is experimental"),
            "{e:?}"
        );
    }

    #[test]
    fn template_errors_name_hcl_ranges() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(d.path().join("t.tftpl"), "${true ? [1] :\n\"x\"}").expect("write");
        let e = testutil::call_in(
            d.path(),
            "templatefile",
            &[Value::string("t.tftpl"), Value::empty_object()],
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("t.tftpl:1,10-2,4: Inconsistent conditional result types;"),
            "{e:?}"
        );
    }

    #[test]
    fn wrapper_handles_unknown_and_marks() {
        let r = Registry::builtins();
        let up = r.get("upper").expect("upper");
        let v = up.call(vec![Value::string("a").mark_sensitive()]).unwrap();
        assert_eq!(v.as_str(), Some("A"));
        assert!(v.is_sensitive());
        let v = up.call(vec![Value::unknown(Type::String)]).unwrap();
        assert!(!v.is_known());
        assert_eq!(v.ty(), Type::String);
        let e = up.call(vec![Value::null(Type::String)]).unwrap_err();
        assert_eq!(e, FuncError::arg(0, "argument must not be null"));
    }
}
