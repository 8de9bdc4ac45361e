//! Type-conversion functions (`tobool`, `tolist`, `tomap`, `tonumber`, `toset`, `tostring`,
//! `sensitive`, `nonsensitive`, and the lazily-evaluated `try` and `can`), plus the small
//! function-definition vocabulary shared by the string, collection, numeric and type-conversion
//! groups: [`FuncDef`], [`Param`], [`FuncError`], a cty-like [`call`] used by the tests, and
//! the value conversion and type unification helpers those functions need.

use crate::lang::types::Type;
use crate::lang::value::{Kind, Marks, Value};

// ---------------------------------------------------------------------------------------------
// Function definitions, described as data.
// ---------------------------------------------------------------------------------------------

/// An error from a function: `arg` is the index of the offending argument (cty's `ArgError`),
/// rendered by Terraform as `Invalid value for "<param>" parameter: <msg>.`; without an index
/// the message is rendered as `Call to function "<name>" failed: <msg>.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError {
    pub arg: Option<usize>,
    pub msg: String,
}

impl FuncError {
    pub fn new(msg: impl Into<String>) -> FuncError {
        FuncError {
            arg: None,
            msg: msg.into(),
        }
    }
    pub fn arg(i: usize, msg: impl Into<String>) -> FuncError {
        FuncError {
            arg: Some(i),
            msg: msg.into(),
        }
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.arg {
            Some(i) => write!(f, "argument {i}: {}", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

/// A parameter, as cty's `function.Parameter`.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    pub allow_null: bool,
    pub allow_unknown: bool,
    pub allow_dynamic: bool,
    pub allow_marked: bool,
}

impl Param {
    pub fn new(name: &'static str, ty: Type) -> Param {
        Param {
            name,
            ty,
            allow_null: false,
            allow_unknown: false,
            allow_dynamic: false,
            allow_marked: false,
        }
    }
    pub fn null(mut self) -> Param {
        self.allow_null = true;
        self
    }
    pub fn unknown(mut self) -> Param {
        self.allow_unknown = true;
        self
    }
    pub fn dynamic(mut self) -> Param {
        self.allow_dynamic = true;
        self
    }
    pub fn marked(mut self) -> Param {
        self.allow_marked = true;
        self
    }
}

/// The return type of a function: fixed, or computed from the (converted) arguments, which
/// may be unknown or null where the parameters allow it.
#[derive(Clone, Copy)]
pub enum Ret {
    Static(fn() -> Type),
    Dyn(fn(&[Value]) -> Result<Type, FuncError>),
}

/// The implementation: called with the arguments converted to the parameter types, known
/// unless the parameter allows unknowns, unmarked unless it allows marks.
pub type ImplFn = fn(&[Value]) -> Result<Value, FuncError>;

/// A function, described as data (cty's `function.Spec`).
#[derive(Clone)]
pub struct FuncDef {
    pub name: &'static str,
    pub params: Vec<Param>,
    pub variadic: Option<Param>,
    pub ret: Ret,
    pub imp: ImplFn,
}

impl FuncDef {
    pub fn new(name: &'static str, params: Vec<Param>, ret: Ret, imp: ImplFn) -> FuncDef {
        FuncDef {
            name,
            params,
            variadic: None,
            ret,
            imp,
        }
    }
    pub fn variadic(mut self, p: Param) -> FuncDef {
        self.variadic = Some(p);
        self
    }
    pub fn param(&self, i: usize) -> Option<&Param> {
        self.params.get(i).or(self.variadic.as_ref())
    }
    /// The return type for these arguments, as cty's `ReturnTypeForValues`.
    pub fn return_type(&self, args: &[Value]) -> Result<Type, FuncError> {
        let mut args = args.to_vec();
        for (i, a) in args.iter_mut().enumerate() {
            let Some(p) = self.param(i) else {
                return Err(FuncError::new("too many arguments"));
            };
            if !p.allow_marked && a.has_marks_deep() {
                *a = a.clone().unmark_deep().0;
            }
            if a.is_null() && !p.allow_null {
                return Err(FuncError::arg(i, "argument must not be null"));
            }
            if a.ty().is_dynamic() && !p.allow_dynamic {
                return Ok(Type::Dynamic);
            }
        }
        match self.ret {
            Ret::Static(t) => Ok(t()),
            Ret::Dyn(f) => f(&args),
        }
    }
}

/// Calls a function the way HCL and cty do: converts each argument to its parameter type,
/// checks nulls, short-circuits unknowns to an unknown result, removes marks from arguments
/// whose parameter does not accept them and puts them on the result.
pub fn call(def: &FuncDef, args: &[Value]) -> Result<Value, FuncError> {
    if args.len() < def.params.len() {
        return Err(FuncError::new(format!(
            "Not enough function arguments: function {:?} expects at least {} argument(s)",
            def.name,
            def.params.len()
        )));
    }
    if def.variadic.is_none() && args.len() > def.params.len() {
        return Err(FuncError::new(format!(
            "Too many function arguments: function {:?} expects only {} argument(s)",
            def.name,
            def.params.len()
        )));
    }
    let mut conv = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let Some(p) = def.param(i) else {
            return Err(FuncError::new("too many arguments"));
        };
        conv.push(convert(a, &p.ty).map_err(|m| FuncError::arg(i, m))?);
    }
    let ret = def.return_type(&conv)?;
    let mut marks = Marks::NONE;
    for (i, a) in conv.iter_mut().enumerate() {
        let Some(p) = def.param(i) else { continue };
        if !a.is_known() && !p.allow_unknown {
            return Ok(Value::unknown(ret));
        }
        if !p.allow_marked {
            let (u, m) = a.clone().unmark_deep();
            marks |= m;
            *a = u;
        }
    }
    Ok((def.imp)(&conv)?.mark(marks))
}

// ---------------------------------------------------------------------------------------------
// Conversion and unification (cty's convert package, as far as these functions need it).
// ---------------------------------------------------------------------------------------------

/// cty's `MismatchMessage` for the simple cases.
pub fn mismatch_message(have: &Type, want: &Type) -> String {
    match (have, want) {
        (Type::Object(h), Type::Object(w)) => {
            for k in w.keys() {
                if !h.contains_key(k) {
                    return format!("attribute {k:?} is required");
                }
            }
            "object required".into()
        }
        (Type::Tuple(h), Type::Tuple(w)) if h.len() != w.len() => {
            format!("tuple required with exactly {} elements", w.len())
        }
        _ => format!("{} required", want.friendly_name_for_constraint()),
    }
}

/// The type a value of type `have` becomes when converted to `want` (which may contain
/// `Dynamic` placeholders), or `None` when there is no conversion. `unsafe_ok` allows the
/// conversions that can fail for some values (string to number or bool).
pub fn conversion_type(have: &Type, want: &Type, unsafe_ok: bool) -> Option<Type> {
    if want.is_dynamic() {
        return Some(have.clone());
    }
    if have.is_dynamic() {
        return Some(want.clone());
    }
    if have == want {
        return Some(want.clone());
    }
    match (have, want) {
        (Type::Number | Type::Bool, Type::String) => Some(Type::String),
        (Type::String, Type::Number | Type::Bool) if unsafe_ok => Some(want.clone()),
        (Type::List(h) | Type::Set(h), Type::List(w)) => {
            conversion_type(h, w, unsafe_ok).map(Type::list)
        }
        (Type::List(h) | Type::Set(h), Type::Set(w)) => {
            conversion_type(h, w, unsafe_ok).map(Type::set)
        }
        (Type::Map(h), Type::Map(w)) => conversion_type(h, w, unsafe_ok).map(Type::map),
        (Type::Tuple(ts), Type::List(w) | Type::Set(w)) => {
            let e = elems_type(ts, w, unsafe_ok)?;
            Some(if want.is_list() {
                Type::list(e)
            } else {
                Type::set(e)
            })
        }
        (Type::Object(attrs), Type::Map(w)) => {
            let ts: Vec<Type> = attrs.values().cloned().collect();
            elems_type(&ts, w, unsafe_ok).map(Type::map)
        }
        (Type::Tuple(h), Type::Tuple(w)) if h.len() == w.len() => {
            let mut out = Vec::with_capacity(h.len());
            for (x, y) in h.iter().zip(w.iter()) {
                out.push(conversion_type(x, y, unsafe_ok)?);
            }
            Some(Type::tuple(out))
        }
        (Type::Object(h), Type::Object(w)) => {
            let mut out = Vec::with_capacity(w.len());
            for (k, y) in w.iter() {
                out.push((k.clone(), conversion_type(h.get(k)?, y, unsafe_ok)?));
            }
            Some(Type::object(out))
        }
        (Type::Map(h), Type::Object(w)) => {
            let mut out = Vec::with_capacity(w.len());
            for (k, y) in w.iter() {
                out.push((k.clone(), conversion_type(h, y, unsafe_ok)?));
            }
            Some(Type::object(out))
        }
        _ => None,
    }
}

/// The element type when a sequence of element types `ts` is converted to a collection whose
/// element type is `w`.
fn elems_type(ts: &[Type], w: &Type, unsafe_ok: bool) -> Option<Type> {
    if w.has_dynamic_types() {
        if ts.is_empty() {
            return Some(w.clone());
        }
        let u = unify(ts)?;
        conversion_type(&u, w, unsafe_ok)
    } else {
        for t in ts {
            conversion_type(t, w, unsafe_ok)?;
        }
        Some(w.clone())
    }
}

/// cty's `Unify` (safe conversions only): the single type all of `ts` convert to.
pub fn unify(ts: &[Type]) -> Option<Type> {
    crate::lang::convert::unify_safe(ts)
}

/// cty's `UnifyUnsafe`: like [`unify`], but allowing conversions that may fail (string to
/// number or bool).
pub fn unify_unsafe(ts: &[Type]) -> Option<Type> {
    crate::lang::convert::unify(ts)
}

/// Converts `v` to `want` (cty's `convert.Convert`), keeping marks. Errors carry cty's
/// messages ("a number is required", "string required", ...).
pub fn convert(v: &Value, want: &Type) -> Result<Value, String> {
    if want.is_dynamic() || v.ty() == *want {
        return Ok(v.clone());
    }
    let (u, marks) = v.clone().unmark();
    Ok(convert_inner(&u, want)?.mark(marks))
}

fn convert_inner(v: &Value, want: &Type) -> Result<Value, String> {
    let have = v.ty();
    if want.is_dynamic() || have == *want {
        return Ok(v.clone());
    }
    let Some(target) = conversion_type(&have, want, true) else {
        return Err(mismatch_message(&have, want));
    };
    if !v.is_known() {
        return Ok(Value::unknown(target));
    }
    if v.is_null() {
        return Ok(Value::null(target));
    }
    match (v.kind(), &target) {
        (Kind::Number(n), Type::String) => Ok(Value::string(n.text_f())),
        (Kind::Bool(b), Type::String) => Ok(Value::string(if b { "true" } else { "false" })),
        (Kind::String(s), Type::Number) => crate::lang::number::Number::parse(s)
            .map(Value::number)
            .ok_or_else(|| "a number is required".to_string()),
        (Kind::String(s), Type::Bool) => match s {
            "true" => Ok(Value::bool(true)),
            "false" => Ok(Value::bool(false)),
            _ => Err("a bool is required".to_string()),
        },
        (Kind::List(xs) | Kind::Set(xs) | Kind::Tuple(xs), Type::List(e) | Type::Set(e)) => {
            let mut out = Vec::with_capacity(xs.len());
            for (i, x) in xs.iter().enumerate() {
                out.push(convert(x, e).map_err(|m| elem_err(i, m))?);
            }
            Ok(if target.is_list() {
                Value::list((**e).clone(), out)
            } else {
                Value::set((**e).clone(), out)
            })
        }
        (Kind::Map(xs) | Kind::Object(xs), Type::Map(e)) => {
            let mut out = Vec::with_capacity(xs.len());
            for (k, x) in xs.iter() {
                out.push((k.clone(), convert(x, e).map_err(|m| attr_err(k, m))?));
            }
            Ok(Value::map((**e).clone(), out))
        }
        (Kind::Tuple(xs), Type::Tuple(ts)) => {
            let mut out = Vec::with_capacity(xs.len());
            for (i, (x, t)) in xs.iter().zip(ts.iter()).enumerate() {
                out.push(convert(x, t).map_err(|m| elem_err(i, m))?);
            }
            Ok(Value::tuple(out))
        }
        (Kind::Object(xs) | Kind::Map(xs), Type::Object(ts)) => {
            let mut out = Vec::with_capacity(ts.len());
            for (k, t) in ts.iter() {
                let x = xs
                    .get(k)
                    .ok_or_else(|| format!("attribute {k:?} is required"))?;
                out.push((k.clone(), convert(x, t).map_err(|m| attr_err(k, m))?));
            }
            Ok(Value::object(out))
        }
        _ => Err(mismatch_message(&have, want)),
    }
}

fn elem_err(i: usize, m: String) -> String {
    if m.starts_with("element ") || m.starts_with("attribute ") {
        m
    } else {
        format!("element {i}: {m}")
    }
}

fn attr_err(k: &str, m: String) -> String {
    if m.starts_with("element ") || m.starts_with("attribute ") {
        m
    } else {
        format!("attribute {k:?}: {m}")
    }
}

/// Converts each value to their unified type (cty's `UnifyUnsafe` + convert).
pub fn unify_values(vals: &[Value], unsafe_ok: bool) -> Option<(Type, Vec<Value>)> {
    let ts: Vec<Type> = vals.iter().map(Value::ty).collect();
    let t = if unsafe_ok {
        unify_unsafe(&ts)?
    } else {
        unify(&ts)?
    };
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        out.push(convert(v, &t).ok()?);
    }
    Some((t, out))
}

// ---------------------------------------------------------------------------------------------
// to* functions
// ---------------------------------------------------------------------------------------------

fn want_of(name: &str) -> Type {
    match name {
        "tostring" => Type::String,
        "tonumber" => Type::Number,
        "tobool" => Type::Bool,
        "toset" => Type::set(Type::Dynamic),
        "tolist" => Type::list(Type::Dynamic),
        _ => Type::map(Type::Dynamic),
    }
}

/// cty's `FriendlyNameForConstraint`, where a collection of `any` reads "of any single type".
fn constraint_name(t: &Type) -> String {
    match t {
        Type::List(e) if e.is_dynamic() => "list of any single type".into(),
        Type::Set(e) if e.is_dynamic() => "set of any single type".into(),
        Type::Map(e) if e.is_dynamic() => "map of any single type".into(),
        _ => t.friendly_name_for_constraint(),
    }
}

fn to_ret(want: Type, args: &[Value]) -> Result<Type, FuncError> {
    let have = args.first().map(Value::ty).unwrap_or(Type::Dynamic);
    if have == want {
        return Ok(want);
    }
    if conversion_type(&have, &want, true).is_none() {
        let msg = match (&have, &want) {
            (Type::Tuple(_), Type::Tuple(_)) => format!(
                "incompatible tuple type for conversion: {}",
                mismatch_message(&have, &want)
            ),
            (Type::Object(_), Type::Object(_)) => format!(
                "incompatible object type for conversion: {}",
                mismatch_message(&have, &want)
            ),
            _ => format!(
                "cannot convert {} to {}",
                have.friendly_name(),
                constraint_name(&want)
            ),
        };
        return Err(FuncError::arg(0, msg));
    }
    Ok(want)
}

fn to_impl(want: Type, args: &[Value]) -> Result<Value, FuncError> {
    let Some(a) = args.first() else {
        return Err(FuncError::new("missing argument"));
    };
    match convert(a, &want) {
        Ok(v) => Ok(v),
        Err(_) => {
            let have = a.ty();
            let quoted = || match a.as_str() {
                Some(s) => crate::lang::value::go_quote(s),
                None => "string".into(),
            };
            let msg = if a.has_marks_deep() {
                format!(
                    "cannot convert this sensitive {} to {}",
                    have.friendly_name(),
                    constraint_name(&want)
                )
            } else if have == Type::String && want == Type::Bool {
                format!(
                    "cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed",
                    quoted()
                )
            } else if have == Type::String && want == Type::Number {
                format!(
                    "cannot convert {} to number; given string must be a decimal representation of a number",
                    quoted()
                )
            } else {
                format!(
                    "cannot convert {} to {}",
                    have.friendly_name(),
                    constraint_name(&want)
                )
            };
            Err(FuncError::arg(0, msg))
        }
    }
}

macro_rules! to_func {
    ($ret:ident, $imp:ident, $name:literal) => {
        fn $ret(args: &[Value]) -> Result<Type, FuncError> {
            to_ret(want_of($name), args)
        }
        fn $imp(args: &[Value]) -> Result<Value, FuncError> {
            to_impl(want_of($name), args)
        }
    };
}

to_func!(tostring_ret, tostring_impl, "tostring");
to_func!(tonumber_ret, tonumber_impl, "tonumber");
to_func!(tobool_ret, tobool_impl, "tobool");
to_func!(tolist_ret, tolist_impl, "tolist");
to_func!(toset_ret, toset_impl, "toset");
to_func!(tomap_ret, tomap_impl, "tomap");

// ---------------------------------------------------------------------------------------------
// sensitive / nonsensitive
// ---------------------------------------------------------------------------------------------

fn same_type_ret(args: &[Value]) -> Result<Type, FuncError> {
    Ok(args.first().map(Value::ty).unwrap_or(Type::Dynamic))
}

fn sensitive_impl(args: &[Value]) -> Result<Value, FuncError> {
    let a = args.first().cloned().unwrap_or_else(Value::null_dynamic);
    Ok(a.mark_sensitive())
}

fn nonsensitive_impl(args: &[Value]) -> Result<Value, FuncError> {
    let a = args.first().cloned().unwrap_or_else(Value::null_dynamic);
    if a.is_known() && !a.is_sensitive() {
        return Err(FuncError::arg(
            0,
            "the given value is not sensitive, so this call is redundant",
        ));
    }
    Ok(a.unmark().0)
}

// ---------------------------------------------------------------------------------------------
// try / can: evaluator special forms
// ---------------------------------------------------------------------------------------------

/// The outcome of evaluating one argument expression of `try`/`can`, as the evaluator reports
/// it to [`try_can`].
pub enum LazyArg {
    /// The expression evaluated to this value without error diagnostics.
    Value(Value),
    /// Evaluating the expression produced error diagnostics.
    Error,
}

/// The result of [`try_can`].
#[derive(Debug)]
pub enum TryCanOutcome {
    /// The call's value.
    Value(Value),
    /// An error, to be reported as `Call to function "<name>" failed: <msg>.` (or, for the
    /// errors carrying an index, `Invalid value for "expressions" parameter`).
    Error(FuncError),
}

/// `try` and `can` as HCL's `tryfunc` evaluates them. Their arguments must be evaluated lazily,
/// so the evaluator handles a call named `try` or `can` itself: it evaluates the argument
/// expressions one at a time, in order, and hands each outcome to `next`'s caller through the
/// `eval` callback, which receives the argument index and returns [`LazyArg`].
///
/// * `try`: the first argument that evaluates without errors to a *wholly known* value is the
///   result; an argument whose value is not wholly known makes the result unknown (of the
///   dynamic type) without looking further; if all fail, the error is
///   "no expression succeeded" (with the first failure's diagnostics in Terraform's detail).
///   At least one argument is required.
/// * `can`: exactly one argument; `true` if it evaluates without errors, unknown bool if its
///   value is not wholly known, else `false`.
///
/// Reference errors (to undeclared objects) are not caught by Terraform either; the evaluator
/// reports them at validation before calling this.
pub fn try_can(name: &str, nargs: usize, mut eval: impl FnMut(usize) -> LazyArg) -> TryCanOutcome {
    if name == "can" {
        if nargs != 1 {
            return TryCanOutcome::Error(FuncError::new(format!(
                "Function \"can\" expects 1 argument(s), {nargs} given"
            )));
        }
        return match eval(0) {
            LazyArg::Value(v) if !v.is_wholly_known() => {
                TryCanOutcome::Value(Value::unknown(Type::Bool))
            }
            LazyArg::Value(_) => TryCanOutcome::Value(Value::bool(true)),
            LazyArg::Error => TryCanOutcome::Value(Value::bool(false)),
        };
    }
    if nargs == 0 {
        return TryCanOutcome::Error(FuncError::new("at least one argument is required"));
    }
    for i in 0..nargs {
        match eval(i) {
            LazyArg::Value(v) if !v.is_wholly_known() => {
                return TryCanOutcome::Value(Value::unknown(Type::Dynamic))
            }
            LazyArg::Value(v) => return TryCanOutcome::Value(v),
            LazyArg::Error => {}
        }
    }
    TryCanOutcome::Error(FuncError::new("no expression succeeded"))
}

/// Adds `defs` to the evaluator's registry. A name the registry already has is kept (the
/// registry's own definition wins), so the group files can be wired in without conflicts.
pub fn register_defs(r: &mut super::Registry, defs: Vec<FuncDef>) {
    for d in defs {
        if r.get(d.name).is_some() {
            continue;
        }
        let conv_param = |p: &Param| super::Param {
            name: p.name,
            ty: p.ty.clone(),
            allow_null: p.allow_null,
            allow_unknown: p.allow_unknown,
            allow_dynamic_type: p.allow_dynamic,
            allow_marked: p.allow_marked,
        };
        let conv_err = |e: FuncError| super::FuncError {
            arg: e.arg,
            message: e.msg,
        };
        let params = d.params.iter().map(conv_param).collect();
        let ret = d.ret;
        let imp = d.imp;
        let mut f = super::Function::new(
            params,
            move |a| match ret {
                Ret::Static(t) => Ok(t()),
                Ret::Dyn(f) => f(a).map_err(conv_err),
            },
            move |a, _| imp(a).map_err(conv_err),
        );
        if let Some(v) = &d.variadic {
            f = f.variadic(conv_param(v));
        }
        r.register(d.name, f);
    }
}

/// Registers this group's functions (`try`/`can` are evaluator special forms, see [`try_can`]).
pub fn register(r: &mut super::Registry) {
    register_defs(r, defs());
}

/// The functions of this group (except `try` and `can`, which are evaluator special forms).
pub fn defs() -> Vec<FuncDef> {
    let v = || Param::new("v", Type::Dynamic).null().marked();
    let any = || {
        Param::new("value", Type::Dynamic)
            .null()
            .unknown()
            .marked()
            .dynamic()
    };
    vec![
        FuncDef::new("tostring", vec![v()], Ret::Dyn(tostring_ret), tostring_impl),
        FuncDef::new("tonumber", vec![v()], Ret::Dyn(tonumber_ret), tonumber_impl),
        FuncDef::new("tobool", vec![v()], Ret::Dyn(tobool_ret), tobool_impl),
        FuncDef::new("tolist", vec![v()], Ret::Dyn(tolist_ret), tolist_impl),
        FuncDef::new("toset", vec![v()], Ret::Dyn(toset_ret), toset_impl),
        FuncDef::new("tomap", vec![v()], Ret::Dyn(tomap_ret), tomap_impl),
        FuncDef::new(
            "sensitive",
            vec![any()],
            Ret::Dyn(same_type_ret),
            sensitive_impl,
        ),
        FuncDef::new(
            "nonsensitive",
            vec![any()],
            Ret::Dyn(same_type_ret),
            nonsensitive_impl,
        ),
    ]
}

/// Test helpers shared by this group's tests.
#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use crate::lang::number::Number;

    pub fn s(x: &str) -> Value {
        Value::string(x)
    }
    pub fn n(x: &str) -> Value {
        Value::number(Number::parse(x).expect("number"))
    }
    pub fn b(x: bool) -> Value {
        Value::bool(x)
    }
    pub fn tup(xs: Vec<Value>) -> Value {
        Value::tuple(xs)
    }
    pub fn strs(xs: &[&str]) -> Value {
        Value::list(Type::String, xs.iter().map(|x| s(x)).collect())
    }
    pub fn obj(xs: Vec<(&str, Value)>) -> Value {
        Value::object(xs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    /// Calls a function of this group by name and renders the result as the console does
    /// (or the error as `ERR[i]: msg`).
    pub fn run(defs: &[FuncDef], name: &str, args: Vec<Value>) -> String {
        let Some(d) = defs.iter().find(|d| d.name == name) else {
            return format!("no function {name}");
        };
        match call(d, &args) {
            Ok(v) => v.to_string(),
            Err(e) => match e.arg {
                Some(i) => format!("ERR[{i}]: {}", e.msg),
                None => format!("ERR: {}", e.msg),
            },
        }
    }
    pub fn run_ty(defs: &[FuncDef], name: &str, args: Vec<Value>) -> (String, String) {
        let Some(d) = defs.iter().find(|d| d.name == name) else {
            return (format!("no function {name}"), String::new());
        };
        match call(d, &args) {
            Ok(v) => (v.to_string(), v.ty().to_string()),
            Err(e) => (format!("ERR: {}", e.msg), String::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    fn r(name: &str, args: Vec<Value>) -> String {
        run(&defs(), name, args)
    }

    #[test]
    fn to_primitives() {
        assert_eq!(r("tostring", vec![n("1.50")]), "\"1.5\"");
        assert_eq!(r("tostring", vec![b(true)]), "\"true\"");
        assert_eq!(r("tonumber", vec![s("12")]), "12");
        assert_eq!(
            r("tonumber", vec![s("no")]),
            "ERR[0]: cannot convert \"no\" to number; given string must be a decimal representation of a number"
        );
        assert_eq!(
            r("tobool", vec![s("yes")]),
            "ERR[0]: cannot convert \"yes\" to bool; only the strings \"true\" or \"false\" are allowed"
        );
        assert_eq!(r("tobool", vec![s("true")]), "true");
        assert_eq!(
            r("tostring", vec![strs(&["a"])]),
            "ERR[0]: cannot convert list of string to string"
        );
        assert_eq!(
            r("tonumber", vec![b(true)]),
            "ERR[0]: cannot convert bool to number"
        );
        assert_eq!(r("tonumber", vec![Value::null_dynamic()]), "tonumber(null)");
        assert_eq!(
            r("tostring", vec![Value::unknown(Type::Number)]),
            "(known after apply)"
        );
        assert_eq!(
            r("tonumber", vec![s("x").mark_sensitive()]),
            "ERR[0]: cannot convert this sensitive string to number"
        );
        assert_eq!(r("tonumber", vec![s("5").mark_sensitive()]), "(sensitive)");
    }

    #[test]
    fn to_collections() {
        let (v, t) = run_ty(&defs(), "tolist", vec![tup(vec![s("a"), n("1")])]);
        assert_eq!(v, "tolist([\n  \"a\",\n  \"1\",\n])");
        assert_eq!(t, "list(string)");
        let (v, _) = run_ty(&defs(), "toset", vec![tup(vec![s("b"), s("a"), s("b")])]);
        assert_eq!(v, "toset([\n  \"a\",\n  \"b\",\n])");
        let (v, t) = run_ty(
            &defs(),
            "tomap",
            vec![obj(vec![("a", n("1")), ("b", b(true))])],
        );
        assert_eq!(v, "ERR: cannot convert object to map of any single type");
        assert_eq!(t, "");
        let (_, t) = run_ty(
            &defs(),
            "tomap",
            vec![obj(vec![("a", n("1")), ("b", s("x"))])],
        );
        assert_eq!(t, "map(string)");
        assert_eq!(
            r("tolist", vec![tup(vec![s("a"), tup(vec![])])]),
            "ERR[0]: cannot convert tuple to list of any single type"
        );
        let (_, t) = run_ty(&defs(), "tolist", vec![tup(vec![])]);
        assert_eq!(t, "list(any)");
    }

    #[test]
    fn sensitive_marks() {
        assert_eq!(r("sensitive", vec![s("x")]), "(sensitive)");
        assert_eq!(r("nonsensitive", vec![s("x").mark_sensitive()]), "\"x\"");
        assert_eq!(
            r("nonsensitive", vec![s("x")]),
            "ERR[0]: the given value is not sensitive, so this call is redundant"
        );
        assert_eq!(
            r("nonsensitive", vec![Value::unknown(Type::String)]),
            "(known after apply)"
        );
    }

    #[test]
    fn try_and_can() {
        let vals = [LazyArg::Error, LazyArg::Value(s("ok"))];
        let mut it = vals.into_iter();
        match try_can("try", 2, |_| it.next().unwrap_or(LazyArg::Error)) {
            TryCanOutcome::Value(v) => assert_eq!(v.to_string(), "\"ok\""),
            TryCanOutcome::Error(e) => panic!("{e}"),
        }
        match try_can("try", 1, |_| LazyArg::Error) {
            TryCanOutcome::Error(e) => assert_eq!(e.msg, "no expression succeeded"),
            TryCanOutcome::Value(v) => panic!("{v}"),
        }
        match try_can("can", 1, |_| LazyArg::Value(Value::unknown(Type::String))) {
            TryCanOutcome::Value(v) => assert!(!v.is_known()),
            TryCanOutcome::Error(e) => panic!("{e}"),
        }
        match try_can("can", 1, |_| LazyArg::Error) {
            TryCanOutcome::Value(v) => assert_eq!(v.as_bool(), Some(false)),
            TryCanOutcome::Error(e) => panic!("{e}"),
        }
    }
}
