//! The expression evaluator, with hclsyntax's (HCL 2, as in Terraform 1.0) semantics.
//!
//! [`eval`] evaluates an expression against an [`EvalContext`]: a [`Scope`] that resolves
//! references (`var.x`, `module.m`, `aws_vpc.main`, `count.index`, ...), the function
//! [`Registry`], and the iteration variables of enclosing for-expressions (a linked list on the
//! stack, so iterating never copies the context).
//!
//! Unknown values propagate (an unknown operand gives an unknown result of the right type);
//! sensitive marks propagate through operators, templates, for-expressions, indexing and
//! function calls. Independent errors are all reported (e.g. in both operands of `a + b`, or
//! in several tuple elements), each with the range of the offending sub-expression and a hint.

// Diagnostics are the project-wide error type.
#![allow(clippy::result_large_err)]

use super::ast::{
    BinaryOp, Expr, ExprKind, ForExpr, ObjectKey, TemplatePart, TraversalOp, UnaryOp,
};
use super::convert::{self, ConvertError};
use super::funcs::{FuncError, Registry};
use super::number::{Number, NumberError};
use super::refs::{reference_at, unknown_name, Subject};
use super::types::Type;
use super::value::{Kind, Marks, Value};
use crate::diag::{suggest, Diagnostic, Diagnostics, Range};

/// Resolves references. Implemented by the configuration-level evaluator.
pub trait Scope {
    /// The value `subject` names. `range` is the range of the reference, for diagnostics.
    fn get(&self, subject: &Subject, range: &Range) -> Result<Value, Diagnostic>;
    /// Whether `count.index` is available here (the block has `count`).
    fn has_count(&self) -> bool {
        false
    }
    /// Whether `each.key` / `each.value` are available here (the block has `for_each`).
    fn has_each(&self) -> bool {
        false
    }
}

/// A scope with no references at all (for constant expressions and tests).
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn get(&self, subject: &Subject, range: &Range) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Reference not available here")
            .at(range)
            .detail(format!(
                "The reference {subject} cannot be used in this context."
            ))
            .hint("use a literal value here"))
    }
}

/// A for-expression variable binding, linked to the enclosing ones.
struct Binding<'a> {
    name: &'a str,
    value: Value,
    parent: Option<&'a Binding<'a>>,
}

/// What an expression is evaluated against.
pub struct EvalContext<'a> {
    pub scope: &'a dyn Scope,
    pub funcs: &'a Registry,
    locals: Option<&'a Binding<'a>>,
    /// Bare names bound for the whole expression (a `templatefile` template's variables).
    vars: Option<&'a super::value::Attrs>,
}

impl<'a> EvalContext<'a> {
    pub fn new(scope: &'a dyn Scope, funcs: &'a Registry) -> EvalContext<'a> {
        EvalContext {
            scope,
            funcs,
            locals: None,
            vars: None,
        }
    }

    /// A context where the names in `vars` can be used directly (`${name}`), as in a template
    /// rendered by `templatefile`.
    pub fn with_vars(
        scope: &'a dyn Scope,
        funcs: &'a Registry,
        vars: &'a super::value::Attrs,
    ) -> EvalContext<'a> {
        EvalContext {
            vars: Some(vars),
            ..EvalContext::new(scope, funcs)
        }
    }

    fn local(&self, name: &str) -> Option<&Value> {
        let mut b = self.locals;
        while let Some(x) = b {
            if x.name == name {
                return Some(&x.value);
            }
            b = x.parent;
        }
        self.vars.and_then(|v| v.get(name))
    }
}

type R = Result<Value, Diagnostics>;

/// Evaluates `expr`. On error, returns every independent error found.
pub fn eval(expr: &Expr, ctx: &EvalContext) -> R {
    ev(expr, ctx)
}

/// Evaluates `expr` and converts the result to `ty` (as Terraform does for typed arguments).
pub fn eval_as(expr: &Expr, ty: &Type, ctx: &EvalContext) -> R {
    let v = ev(expr, ctx)?;
    convert::convert(&v, ty).map_err(|e| {
        Diagnostic::error("Incorrect value type")
            .at(&expr.range)
            .detail(format!("Invalid expression value: {e}."))
            .hint(format!(
                "this argument must be a {}",
                ty.friendly_name_for_constraint()
            ))
            .into()
    })
}

fn d1(d: Diagnostic) -> Diagnostics {
    d.into()
}

/// Evaluates several sub-expressions, collecting all errors.
fn ev_all<'e>(
    exprs: impl Iterator<Item = &'e Expr>,
    ctx: &EvalContext,
) -> Result<Vec<Value>, Diagnostics> {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    for e in exprs {
        match ev(e, ctx) {
            Ok(v) => out.push(v),
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}

fn ev(e: &Expr, ctx: &EvalContext) -> R {
    match &e.kind {
        ExprKind::Null => Ok(Value::null_dynamic()),
        ExprKind::Bool(b) => Ok(Value::bool(*b)),
        ExprKind::Number(s) => Number::parse(s).map(Value::number).ok_or_else(|| {
            d1(Diagnostic::error("Invalid number literal")
                .at(&e.range)
                .detail(format!(
                    "Failed to recognize the value of this number literal: {s:?}."
                ))
                .hint("write a decimal number such as 1, 1.5 or 1e3"))
        }),
        ExprKind::String(s) => Ok(Value::string(s.as_str())),
        ExprKind::Template(parts) => template(parts, ctx),
        ExprKind::Tuple(items) => Ok(Value::tuple(ev_all(items.iter(), ctx)?)),
        ExprKind::Object(items) => object_cons(items, ctx),
        ExprKind::Variable(name) => variable(name, &e.range, &[], ctx),
        ExprKind::Traversal { base, ops } => {
            if let ExprKind::Variable(name) = &base.kind {
                return variable(name, &base.range, ops, ctx);
            }
            let v = ev(base, ctx)?;
            apply_ops(v, ops, ctx)
        }
        ExprKind::Splat { source, each } => splat(source, each, ctx),
        ExprKind::FuncCall {
            name,
            name_range,
            args,
            expand_final,
        } => call(e, name, name_range, args, *expand_final, ctx),
        ExprKind::Conditional { cond, then, other } => conditional(e, cond, then, other, ctx),
        ExprKind::Unary { op, expr } => unary(*op, expr, e, ctx),
        ExprKind::Binary { op, lhs, rhs } => binary(*op, lhs, rhs, e, ctx),
        ExprKind::For(fe) => for_expr(fe, e, ctx),
        ExprKind::Parens(inner) => ev(inner, ctx),
    }
}

// ---- references and traversals ----

fn variable(name: &str, range: &Range, ops: &[TraversalOp], ctx: &EvalContext) -> R {
    if let Some(v) = ctx.local(name) {
        return apply_ops(v.clone(), ops, ctx);
    }
    let r = match reference_at(name, range, ops) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(d1(unknown_name(name, range))),
        Err(d) => return Err(d1(d)),
    };
    match r.subject {
        Subject::CountIndex if !ctx.scope.has_count() => {
            return Err(d1(Diagnostic::error("Reference to \"count\" in non-counted context")
                .at(&r.range)
                .detail("The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set.")
                .hint("set \"count\" on this block, or remove the reference")));
        }
        Subject::EachKey | Subject::EachValue if !ctx.scope.has_each() => {
            return Err(d1(Diagnostic::error("Reference to \"each\" in context without for_each")
                .at(&r.range)
                .detail("The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.")
                .hint("set \"for_each\" on this block, or remove the reference")));
        }
        _ => {}
    }
    let v = ctx.scope.get(&r.subject, &r.range).map_err(d1)?;
    apply_ops(v, r.rest, ctx)
}

fn apply_ops(mut v: Value, ops: &[TraversalOp], ctx: &EvalContext) -> R {
    for op in ops {
        v = match op {
            TraversalOp::GetAttr(name, r) => get_attr(v, name, r)?,
            TraversalOp::Index(k) => {
                let key = ev(k, ctx)?;
                index(v, key, &k.range)?
            }
            TraversalOp::LegacyIndex(i, r) => index(v, Value::int(*i as i64), r)?,
        };
    }
    Ok(v)
}

/// `v.name`, as hcl's `GetAttr`.
pub fn get_attr(v: Value, name: &str, range: &Range) -> R {
    let (v, marks) = v.unmark();
    if v.is_null() {
        return Err(d1(Diagnostic::error(
            "Attempt to get attribute from null value",
        )
        .at(range)
        .detail("This value is null, so it does not have any attributes.")
        .hint("check for null first, e.g. x == null ? default : x.attr")));
    }
    let ty = v.ty();
    let out = match &ty {
        Type::Dynamic => Value::unknown_dynamic(),
        Type::Object(attrs) => {
            let Some(aty) = attrs.get(name) else {
                let mut d = Diagnostic::error("Unsupported attribute")
                    .at(range)
                    .detail(format!(
                        "This object does not have an attribute named {name:?}."
                    ));
                d = match suggest(name, attrs.keys().map(String::as_str)) {
                    Some(s) => d.hint(format!("did you mean {s:?}?")),
                    None => d.hint(format!(
                        "the available attributes are: {}",
                        attrs
                            .keys()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                return Err(d1(d));
            };
            match v.get_attr(name) {
                Some(x) => x.clone(),
                None => Value::unknown(aty.clone()),
            }
        }
        Type::Map(ety) => {
            if !v.is_known() {
                Value::unknown(Type::clone(ety))
            } else {
                match v.get_key(name) {
                    Some(x) => x.clone(),
                    None => {
                        let mut d =
                            Diagnostic::error("Missing map element")
                                .at(range)
                                .detail(format!(
                                    "This map does not have an element with the key {name:?}."
                                ));
                        if let Some(s) = v
                            .entries()
                            .and_then(|m| suggest(name, m.keys().map(String::as_str)))
                        {
                            d = d.hint(format!("did you mean {s:?}?"));
                        } else {
                            d = d
                                .hint("use lookup(map, key, default) for keys that may be missing");
                        }
                        return Err(d1(d));
                    }
                }
            }
        }
        t if t.is_primitive() => {
            return Err(d1(Diagnostic::error("Unsupported attribute")
                .at(range)
                .detail(format!(
                    "Can't access attributes on a primitive-typed value ({}).",
                    t.friendly_name()
                ))
                .hint("remove the attribute access")))
        }
        _ => {
            return Err(d1(Diagnostic::error("Unsupported attribute")
                .at(range)
                .detail("This value does not have any attributes.")
                .hint(
                    "to get an attribute of every element, use a splat: x[*].attr",
                )))
        }
    };
    Ok(out.mark(marks))
}

fn invalid_index(range: &Range, detail: impl Into<String>) -> Diagnostics {
    d1(Diagnostic::error("Invalid index")
        .at(range)
        .detail(detail)
        .hint("check the key or index against the value's contents"))
}

/// `v[key]`, as hcl's `Index`. `range` is the key's range.
pub fn index(v: Value, key: Value, range: &Range) -> R {
    let (v, mut marks) = v.unmark();
    let (key, km) = key.unmark_deep();
    marks |= km;
    if v.is_null() {
        return Err(d1(Diagnostic::error("Attempt to index null value")
            .at(range)
            .detail("This value is null, so it does not have any indices.")
            .hint("check for null first")));
    }
    if key.is_null() {
        return Err(invalid_index(
            range,
            "Can't use a null value as an indexing key.",
        ));
    }
    const NOT_ELEM: &str = "The given key does not identify an element in this collection value";
    let ty = v.ty();
    let out = match &ty {
        Type::Dynamic => Value::unknown_dynamic(),
        Type::List(_) | Type::Tuple(_) => {
            let k = convert::convert(&key, &Type::Number)
                .map_err(|e| invalid_index(range, format!("{NOT_ELEM}: {e}.")))?;
            let elem_ty = match &ty {
                Type::List(e) => Some(Type::clone(e)),
                _ => None,
            };
            if !k.is_known() || !v.is_known() {
                match (&ty, k.as_number().and_then(Number::to_i64)) {
                    (Type::Tuple(ts), Some(i)) if i >= 0 && (i as usize) < ts.len() => {
                        Value::unknown(ts[i as usize].clone())
                    }
                    _ => Value::unknown(elem_ty.unwrap_or(Type::Dynamic)),
                }
            } else {
                let n = k.as_number().cloned().unwrap_or_else(Number::zero);
                if !n.is_integer() {
                    return Err(invalid_index(range, format!("{NOT_ELEM}: indexing a sequence requires a whole number, but the given index has a fractional part.")));
                }
                let items = v.elements().unwrap_or(&[]);
                match n.to_i64() {
                    Some(i) if i >= 0 && (i as usize) < items.len() => items[i as usize].clone(),
                    Some(i) if i < 0 => {
                        return Err(invalid_index(range, format!("{NOT_ELEM}: a negative number is not a valid index for a sequence.")))
                    }
                    _ => {
                        if ty.is_tuple() {
                            return Err(invalid_index(range, format!("{NOT_ELEM}: the given index is greater than or equal to the length of the collection.")));
                        }
                        return Err(invalid_index(range, format!("{NOT_ELEM}.")));
                    }
                }
            }
        }
        Type::Map(_) | Type::Object(_) => {
            let k = convert::convert(&key, &Type::String)
                .map_err(|e| invalid_index(range, format!("{NOT_ELEM}: {e}.")))?;
            if !k.is_known() || !v.is_known() {
                match (&ty, k.as_str()) {
                    (Type::Map(e), _) => Value::unknown(Type::clone(e)),
                    (Type::Object(a), Some(s)) => match a.get(s) {
                        Some(t) => Value::unknown(t.clone()),
                        None => return Err(invalid_index(range, format!("{NOT_ELEM}."))),
                    },
                    _ => Value::unknown_dynamic(),
                }
            } else {
                let s = k.as_str().unwrap_or_default();
                match v.get_key(s) {
                    Some(x) => x.clone(),
                    None => {
                        let mut detail = format!("{NOT_ELEM}.");
                        if ty.is_object() && key.ty() == Type::Number {
                            detail.push_str(" An object only supports looking up attributes by name, not by numeric index.");
                        }
                        let mut d = Diagnostic::error("Invalid index").at(range).detail(detail);
                        d = match v.entries().and_then(|m| suggest(s, m.keys().map(String::as_str))) {
                            Some(h) => d.hint(format!("did you mean {h:?}?")),
                            None => d.hint("use lookup(map, key, default) for keys that may be missing"),
                        };
                        return Err(d1(d));
                    }
                }
            }
        }
        Type::Set(_) => {
            return Err(d1(Diagnostic::error("Invalid index")
                .at(range)
                .detail("Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.")
                .hint("convert it with tolist(...) first, or iterate with a for expression")))
        }
        _ => {
            return Err(d1(Diagnostic::error("Invalid index")
                .at(range)
                .detail("This value does not have any indices.")
                .hint("only lists, tuples, maps and objects can be indexed")))
        }
    };
    Ok(out.mark(marks))
}

fn splat(source: &Expr, each: &[TraversalOp], ctx: &EvalContext) -> R {
    let sv = ev(source, ctx)?;
    let sty = sv.ty();
    let auto = !(sty.is_tuple() || sty.is_list() || sty.is_set());
    if sv.is_null() {
        if auto {
            return Ok(Value::empty_tuple());
        }
        return Err(d1(Diagnostic::error("Splat of null value")
            .at(&source.range)
            .detail("Splat expressions (with the * symbol) cannot be applied to null sequences.")
            .hint("check for null first, e.g. x == null ? [] : x[*].attr")));
    }
    if !sv.is_known() {
        return Ok(Value::unknown_dynamic().mark(sv.marks()));
    }
    let (sv, marks) = sv.unmark();
    let items: Vec<Value> = if auto {
        vec![sv.clone()]
    } else {
        sv.elements().map(<[Value]>::to_vec).unwrap_or_default()
    };
    let mut out = Vec::with_capacity(items.len());
    let mut diags = Diagnostics::new();
    for it in items {
        match apply_ops(it, each, ctx) {
            Ok(v) => out.push(v),
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let v = if sty.is_list() || sty.is_set() {
        if out.is_empty() {
            Value::empty_list(Type::Dynamic)
        } else {
            match convert::unify_values(&out) {
                Some((t, vals)) => Value::list(t, vals),
                None => Value::tuple(out),
            }
        }
    } else {
        Value::tuple(out)
    };
    Ok(v.mark(marks))
}

// ---- constructors and templates ----

fn object_cons(items: &[super::ast::ObjectItem], ctx: &EvalContext) -> R {
    let mut diags = Diagnostics::new();
    let mut attrs: Vec<(String, Value)> = Vec::with_capacity(items.len());
    let mut marks = Marks::NONE;
    let mut known = true;
    for it in items {
        // A bare keyword as a key is its name, as hcl's `AsTraversal` on literals gives.
        let key = match &it.key {
            ObjectKey::Ident(s, _) => Ok(Value::string(s.as_str())),
            ObjectKey::Expr(Expr {
                kind: ExprKind::Null,
                ..
            }) => Ok(Value::string("null")),
            ObjectKey::Expr(k) => ev(k, ctx),
        };
        let val = ev(&it.value, ctx);
        let (key, val) = match (key, val) {
            (Ok(k), Ok(v)) => (k, v),
            (k, v) => {
                if let Err(d) = k {
                    diags.extend(d);
                }
                if let Err(d) = v {
                    diags.extend(d);
                }
                continue;
            }
        };
        let krange = it.key.range();
        if key.is_null() {
            diags.push(
                Diagnostic::error("Null value as key")
                    .at(krange)
                    .detail("Can't use a null value as a key.")
                    .hint("use a string key"),
            );
            continue;
        }
        let key = match convert::convert(&key, &Type::String) {
            Ok(k) => k,
            Err(e) => {
                diags.push(
                    Diagnostic::error("Incorrect key type")
                        .at(krange)
                        .detail(format!("Can't use this value as a key: {e}."))
                        .hint("object keys must be strings (numbers and bools are converted)"),
                );
                continue;
            }
        };
        if !key.is_known() {
            known = false;
            continue;
        }
        let (key, km) = key.unmark();
        marks |= km;
        let k = key.as_str().unwrap_or_default().to_string();
        attrs.push((k, val));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if !known {
        return Ok(Value::unknown_dynamic().mark(marks));
    }
    Ok(Value::object(attrs).mark(marks))
}

fn null_in_template(range: &Range, detail: &str) -> Diagnostic {
    Diagnostic::error("Invalid template interpolation value")
        .at(range)
        .detail(detail.to_string())
        .hint("use coalesce(x, \"\") or a conditional to give a default for null")
}

fn template(parts: &[TemplatePart], ctx: &EvalContext) -> R {
    let mut buf = String::new();
    let mut diags = Diagnostics::new();
    let mut known = true;
    let mut marks = Marks::NONE;
    for p in parts {
        let (val, range) = match p {
            TemplatePart::Literal(s) => {
                buf.push_str(s);
                continue;
            }
            TemplatePart::Interp(e) => (ev(e, ctx), &e.range),
            TemplatePart::If {
                cond,
                then,
                other,
                range,
            } => (template_if(cond, then, other, ctx), range),
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                range,
            } => (
                template_for(key_var.as_deref(), value_var, collection, body, range, ctx),
                range,
            ),
        };
        let val = match val {
            Ok(v) => v,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        if val.is_null() {
            diags.push(null_in_template(
                range,
                "The expression result is null. Cannot include a null value in a string template.",
            ));
            continue;
        }
        if !val.is_known() {
            known = false;
            marks |= val.marks();
            continue;
        }
        let s = match convert::convert(&val, &Type::String) {
            Ok(s) => s,
            Err(e) => {
                diags.push(Diagnostic::error("Invalid template interpolation value")
                    .at(range)
                    .detail(format!("Cannot include the given value in a string template: {e}."))
                    .hint("convert it to a string first, e.g. with jsonencode(...) or join(\",\", ...)"));
                continue;
            }
        };
        let (s, m) = s.unmark();
        marks |= m;
        buf.push_str(s.as_str().unwrap_or_default());
        if buf.len() > super::funcs::MAX_STRING_BYTES {
            return Err(template_too_long(range).into());
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let v = if known {
        Value::string(buf)
    } else {
        Value::unknown(Type::String)
    };
    Ok(v.mark(marks))
}

/// A template (or a `%{ for }` in one) whose result would be over
/// [`super::funcs::MAX_STRING_BYTES`].
fn template_too_long(range: &Range) -> Diagnostic {
    Diagnostic::error("Template result too long")
        .at(range)
        .detail(format!(
            "This template would produce more than the {} MiB sakk builds for one string.",
            super::funcs::MAX_STRING_BYTES >> 20
        ))
        .hint("make it produce less text: check what it repeats, and the collections its for directives go over")
}

fn template_if(cond: &Expr, then: &[TemplatePart], other: &[TemplatePart], ctx: &EvalContext) -> R {
    let t = template(then, ctx);
    let f = template(other, ctx);
    let c = ev(cond, ctx)?;
    let (c, _) = c.unmark_deep();
    if c.is_null() {
        return Err(null_condition(&cond.range));
    }
    if !c.is_known() {
        return Ok(Value::unknown(Type::String));
    }
    let c = convert::convert(&c, &Type::Bool).map_err(|_| bad_condition(&cond.range))?;
    if !c.is_known() {
        return Ok(Value::unknown(Type::String));
    }
    if c.as_bool() == Some(true) {
        t
    } else {
        f
    }
}

fn template_for(
    key_var: Option<&str>,
    value_var: &str,
    collection: &Expr,
    body: &[TemplatePart],
    range: &Range,
    ctx: &EvalContext,
) -> R {
    let coll = ev(collection, ctx)?;
    let (items, marks) = match iterate(&coll, &collection.range)? {
        Iter::Unknown => return Ok(Value::unknown(Type::String)),
        Iter::Items(items, m) => (items, m),
    };
    let mut buf = String::new();
    let mut diags = Diagnostics::new();
    let mut known = true;
    let mut marks = marks;
    for (k, v) in items {
        let kb;
        let vb;
        let child = if let Some(kv) = key_var {
            kb = Binding {
                name: kv,
                value: k,
                parent: ctx.locals,
            };
            vb = Binding {
                name: value_var,
                value: v,
                parent: Some(&kb),
            };
            EvalContext {
                scope: ctx.scope,
                funcs: ctx.funcs,
                locals: Some(&vb),
                vars: ctx.vars,
            }
        } else {
            vb = Binding {
                name: value_var,
                value: v,
                parent: ctx.locals,
            };
            EvalContext {
                scope: ctx.scope,
                funcs: ctx.funcs,
                locals: Some(&vb),
                vars: ctx.vars,
            }
        };
        match template(body, &child) {
            Ok(s) => {
                if s.is_null() {
                    diags.push(null_in_template(range, "An iteration result is null. Cannot include a null value in a string template."));
                } else if !s.is_known() {
                    known = false;
                } else {
                    let (s, m) = s.unmark();
                    marks |= m;
                    buf.push_str(s.as_str().unwrap_or_default());
                    if buf.len() > super::funcs::MAX_STRING_BYTES {
                        return Err(template_too_long(range).into());
                    }
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(if known {
        Value::string(buf)
    } else {
        Value::unknown(Type::String)
    }
    .mark(marks))
}

// ---- conditionals ----

fn null_condition(range: &Range) -> Diagnostics {
    d1(Diagnostic::error("Null condition")
        .at(range)
        .detail("The condition value is null. Conditions must either be true or false.")
        .hint("compare explicitly, e.g. x != null"))
}

fn bad_condition(range: &Range) -> Diagnostics {
    d1(Diagnostic::error("Incorrect condition type")
        .at(range)
        .detail("The condition expression must be of type bool.")
        .hint("use a comparison such as x == \"value\" or x != null"))
}

fn conditional(e: &Expr, cond: &Expr, then: &Expr, other: &Expr, ctx: &EvalContext) -> R {
    let t = ev(then, ctx);
    let f = ev(other, ctx);
    // hclsyntax decides the result type from both results; an erroring branch counts as
    // an unknown of dynamic type.
    let tv = t
        .as_ref()
        .ok()
        .cloned()
        .unwrap_or_else(Value::unknown_dynamic);
    let fv = f
        .as_ref()
        .ok()
        .cloned()
        .unwrap_or_else(Value::unknown_dynamic);
    let (tt, ft) = (tv.ty(), fv.ty());
    let is_null_dyn = |v: &Value| v.is_null() && v.ty().is_dynamic() && !v.is_marked();
    let result_ty = if is_null_dyn(&tv) {
        Some(ft.clone())
    } else if is_null_dyn(&fv) {
        Some(tt.clone())
    } else if tt.is_dynamic() || ft.is_dynamic() {
        Some(Type::Dynamic)
    } else {
        convert::unify(&[tt.clone(), ft.clone()])
    };
    let Some(result_ty) = result_ty else {
        return Err(d1(Diagnostic::error("Inconsistent conditional result types")
            .at(&then.range.to(&other.range))
            .detail(format!(
                "The true and false result expressions must have consistent types. The given expressions are {} and {}, respectively.",
                tt.friendly_name(),
                ft.friendly_name()
            ))
            .hint("convert both results to the same type, e.g. with tostring(...) or tolist(...)")));
    };
    let c = ev(cond, ctx)?;
    if c.is_null() {
        return Err(null_condition(&cond.range));
    }
    if !c.is_known() {
        return Ok(Value::unknown(result_ty));
    }
    let c = convert::convert(&c, &Type::Bool).map_err(|_| bad_condition(&cond.range))?;
    let (c, _) = c.unmark_deep();
    let (chosen, chosen_expr, label) = if c.as_bool() == Some(true) {
        (t, then, "true")
    } else {
        (f, other, "false")
    };
    let v = chosen?;
    let _ = e;
    if result_ty.is_dynamic() || v.ty() == result_ty {
        return Ok(v);
    }
    convert::convert(&v, &result_ty).map_err(|err| {
        d1(Diagnostic::error("Inconsistent conditional result types")
            .at(&chosen_expr.range)
            .detail(format!(
                "The {label} result value has the wrong type: {err}."
            ))
            .hint("convert both results to the same type"))
    })
}

// ---- operators ----

fn operand_error(which: &str, range: &Range, err: &ConvertError, want: &Type) -> Diagnostic {
    Diagnostic::error("Invalid operand")
        .at(range)
        .detail(format!("Unsuitable value for {which} operand: {err}."))
        .hint(format!(
            "this operator needs a {} value",
            want.friendly_name()
        ))
}

fn op_failed(e: &Expr, msg: &str) -> Diagnostics {
    d1(Diagnostic::error("Operation failed")
        .at(&e.range)
        .detail(format!("Error during operation: {msg}."))
        .hint("check the operands for null values"))
}

fn unary(op: UnaryOp, operand: &Expr, e: &Expr, ctx: &EvalContext) -> R {
    let v = ev(operand, ctx)?;
    let want = match op {
        UnaryOp::Neg => Type::Number,
        UnaryOp::Not => Type::Bool,
    };
    let v = convert::convert(&v, &want)
        .map_err(|err| d1(operand_error("unary", &operand.range, &err, &want)))?;
    if v.is_null() {
        return Err(op_failed(e, "argument must not be null"));
    }
    let (v, marks) = v.unmark_deep();
    if !v.is_known() {
        return Ok(Value::unknown(want).mark(marks));
    }
    let out = match op {
        UnaryOp::Neg => Value::number(v.as_number().cloned().unwrap_or_else(Number::zero).neg()),
        UnaryOp::Not => Value::bool(!v.as_bool().unwrap_or(false)),
    };
    Ok(out.mark(marks))
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, e: &Expr, ctx: &EvalContext) -> R {
    let l = ev(lhs, ctx);
    let r = ev(rhs, ctx);
    let (l, r) = match (l, r) {
        (Ok(l), Ok(r)) => (l, r),
        (l, r) => {
            let mut d = Diagnostics::new();
            if let Err(x) = l {
                d.extend(x);
            }
            if let Err(x) = r {
                d.extend(x);
            }
            return Err(d);
        }
    };
    let (param, result) = match op {
        BinaryOp::Or | BinaryOp::And => (Type::Bool, Type::Bool),
        BinaryOp::Eq | BinaryOp::NotEq => (Type::Dynamic, Type::Bool),
        BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => (Type::Number, Type::Bool),
        _ => (Type::Number, Type::Number),
    };
    let mut diags = Diagnostics::new();
    let lc =
        convert::convert(&l, &param).map_err(|err| operand_error("left", &lhs.range, &err, &param));
    let rc = convert::convert(&r, &param)
        .map_err(|err| operand_error("right", &rhs.range, &err, &param));
    let (l, r) = match (lc, rc) {
        (Ok(l), Ok(r)) => (l, r),
        (l, r) => {
            if let Err(x) = l {
                diags.push(x);
            }
            if let Err(x) = r {
                diags.push(x);
            }
            return Err(diags);
        }
    };
    if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) {
        let eq = l.equals(&r);
        if op == BinaryOp::NotEq {
            let (eq, m) = eq.unmark();
            return Ok(match eq.as_bool() {
                Some(b) => Value::bool(!b),
                None => Value::unknown(Type::Bool),
            }
            .mark(m));
        }
        return Ok(eq);
    }
    if l.is_null() || r.is_null() {
        return Err(op_failed(e, "argument must not be null"));
    }
    let (l, lm) = l.unmark_deep();
    let (r, rm) = r.unmark_deep();
    let marks = lm | rm;
    if !l.is_known() || !r.is_known() {
        return Ok(Value::unknown(result).mark(marks));
    }
    let out = match op {
        BinaryOp::Or | BinaryOp::And => {
            let (a, b) = (l.as_bool().unwrap_or(false), r.as_bool().unwrap_or(false));
            Value::bool(if op == BinaryOp::Or { a || b } else { a && b })
        }
        _ => {
            let zero = Number::zero();
            let a = l.as_number().unwrap_or(&zero);
            let b = r.as_number().unwrap_or(&zero);
            let num = |x: Result<Number, NumberError>| -> R {
                x.map(Value::number)
                    .map_err(|err| op_failed(e, &err.to_string()))
            };
            match op {
                BinaryOp::Lt => Value::bool(a.cmp_num(b).is_lt()),
                BinaryOp::LtEq => Value::bool(a.cmp_num(b).is_le()),
                BinaryOp::Gt => Value::bool(a.cmp_num(b).is_gt()),
                BinaryOp::GtEq => Value::bool(a.cmp_num(b).is_ge()),
                BinaryOp::Add => num(a.add(b))?,
                BinaryOp::Sub => num(a.sub(b))?,
                BinaryOp::Mul => num(a.mul(b))?,
                BinaryOp::Div => num(a.div(b))?,
                _ => num(a.rem(b))?,
            }
        }
    };
    Ok(out.mark(marks))
}

// ---- for expressions ----

enum Iter {
    Unknown,
    Items(Vec<(Value, Value)>, Marks),
}

fn iterate(coll: &Value, range: &Range) -> Result<Iter, Diagnostics> {
    if coll.is_null() {
        return Err(d1(Diagnostic::error("Iteration over null value")
            .at(range)
            .detail("A null value cannot be used as the collection in a 'for' expression.")
            .hint(
                "use coalesce(x, []) or a conditional to give a default for null",
            )));
    }
    let ty = coll.ty();
    if ty.is_dynamic() {
        return Ok(Iter::Unknown);
    }
    if !(ty.is_collection() || ty.is_structural()) {
        return Err(d1(Diagnostic::error("Iteration over non-iterable value")
            .at(range)
            .detail(format!(
                "A value of type {} cannot be used as the collection in a 'for' expression.",
                ty.friendly_name()
            ))
            .hint("iterate over a list, set, tuple, map or object")));
    }
    if !coll.is_known() {
        return Ok(Iter::Unknown);
    }
    let (coll, marks) = coll.clone().unmark();
    let items = match coll.kind() {
        Kind::List(xs) | Kind::Tuple(xs) => xs
            .iter()
            .enumerate()
            .map(|(i, v)| (Value::int(i as i64), v.clone()))
            .collect(),
        Kind::Set(xs) => xs.iter().map(|v| (v.clone(), v.clone())).collect(),
        Kind::Map(m) | Kind::Object(m) => m
            .iter()
            .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Iter::Items(items, marks))
}

fn for_expr(fe: &ForExpr, e: &Expr, ctx: &EvalContext) -> R {
    let coll = ev(&fe.collection, ctx)?;
    let (items, mut marks) = match iterate(&coll, &fe.collection.range)? {
        Iter::Unknown => return Ok(Value::unknown_dynamic()),
        Iter::Items(i, m) => (i, m),
    };
    let mut diags = Diagnostics::new();
    let mut known = true;
    let mut tuple_vals = Vec::new();
    let mut obj_vals: indexmap::IndexMap<String, Value> = indexmap::IndexMap::new();
    let mut groups: indexmap::IndexMap<String, Vec<Value>> = indexmap::IndexMap::new();
    for (k, v) in items {
        let kb;
        let vb;
        let child = if let Some(kv) = &fe.key_var {
            kb = Binding {
                name: kv,
                value: k,
                parent: ctx.locals,
            };
            vb = Binding {
                name: &fe.value_var,
                value: v,
                parent: Some(&kb),
            };
            EvalContext {
                scope: ctx.scope,
                funcs: ctx.funcs,
                locals: Some(&vb),
                vars: ctx.vars,
            }
        } else {
            vb = Binding {
                name: &fe.value_var,
                value: v,
                parent: ctx.locals,
            };
            EvalContext {
                scope: ctx.scope,
                funcs: ctx.funcs,
                locals: Some(&vb),
                vars: ctx.vars,
            }
        };
        if let Some(c) = &fe.cond {
            let inc = match ev(c, &child) {
                Ok(v) => v,
                Err(d) => {
                    diags.extend(d);
                    known = false;
                    continue;
                }
            };
            if inc.is_null() {
                if known {
                    diags.push(
                        Diagnostic::error("Condition is null")
                            .at(&c.range)
                            .detail("The value of the 'if' clause must not be null.")
                            .hint("compare explicitly, e.g. x != null"),
                    );
                }
                known = false;
                continue;
            }
            let inc = match convert::convert(&inc, &Type::Bool) {
                Ok(v) => v,
                Err(err) => {
                    if known {
                        diags.push(
                            Diagnostic::error("Invalid 'for' condition")
                                .at(&c.range)
                                .detail(format!("The 'if' clause value is invalid: {err}."))
                                .hint("the 'if' clause must be a bool, e.g. x != \"\""),
                        );
                    }
                    known = false;
                    continue;
                }
            };
            if !inc.is_known() {
                known = false;
                continue;
            }
            let (inc, m) = inc.unmark();
            marks |= m;
            if inc.as_bool() == Some(false) {
                continue;
            }
        }
        match &fe.key_expr {
            None => match ev(&fe.value_expr, &child) {
                Ok(v) => tuple_vals.push(v),
                Err(d) => diags.extend(d),
            },
            Some(ke) => {
                let key = match ev(ke, &child) {
                    Ok(k) => k,
                    Err(d) => {
                        diags.extend(d);
                        known = false;
                        continue;
                    }
                };
                if key.is_null() {
                    if known {
                        diags.push(Diagnostic::error("Invalid object key")
                            .at(&ke.range)
                            .detail("Key expression in 'for' expression must not produce a null value.")
                            .hint("give a default, e.g. coalesce(k, \"default\")"));
                    }
                    known = false;
                    continue;
                }
                if !key.is_known() {
                    known = false;
                    continue;
                }
                let key = match convert::convert(&key, &Type::String) {
                    Ok(k) => k,
                    Err(err) => {
                        if known {
                            diags.push(
                                Diagnostic::error("Invalid object key")
                                    .at(&ke.range)
                                    .detail(format!(
                                        "The key expression produced an invalid result: {err}."
                                    ))
                                    .hint("object keys must be strings"),
                            );
                        }
                        known = false;
                        continue;
                    }
                };
                let (key, km) = key.unmark();
                marks |= km;
                let ks = key.as_str().unwrap_or_default().to_string();
                let val = match ev(&fe.value_expr, &child) {
                    Ok(v) => v,
                    Err(d) => {
                        diags.extend(d);
                        continue;
                    }
                };
                if fe.grouping {
                    groups.entry(ks).or_default().push(val);
                } else if obj_vals.contains_key(&ks) {
                    diags.push(Diagnostic::error("Duplicate object key")
                        .at(&ke.range)
                        .detail(format!("Two different items produced the key {ks:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."))
                        .hint("add ... after the value expression to group values by key"));
                } else {
                    obj_vals.insert(ks, val);
                }
            }
        }
    }
    let _ = e;
    if diags.has_errors() {
        return Err(diags);
    }
    if !known {
        return Ok(Value::unknown_dynamic());
    }
    let v = if fe.key_expr.is_none() {
        Value::tuple(tuple_vals)
    } else if fe.grouping {
        Value::object(
            groups
                .into_iter()
                .map(|(k, vs)| (k, Value::tuple(vs)))
                .collect(),
        )
    } else {
        Value::object(obj_vals.into_iter().collect())
    };
    Ok(v.mark(marks))
}

// ---- function calls ----

fn call(
    e: &Expr,
    name: &str,
    name_range: &Range,
    args: &[Expr],
    expand_final: bool,
    ctx: &EvalContext,
) -> R {
    if (name == "try" || name == "can") && !expand_final {
        return try_can_call(e, name, args, ctx);
    }
    let Some(f) = ctx.funcs.get(name) else {
        let mut d = Diagnostic::error("Call to unknown function").at(name_range);
        let names = ctx.funcs.names();
        d = match suggest(name, names.iter().copied()) {
            Some(s) => d
                .detail(format!(
                    "There is no function named {name:?}. Did you mean {s:?}?"
                ))
                .hint(format!("did you mean {s}(...)?")),
            None => d
                .detail(format!("There is no function named {name:?}."))
                .hint("see the list of built-in functions in the Terraform documentation"),
        };
        return Err(d1(d));
    };
    // Evaluate the arguments (all of them, collecting errors), expanding a final `...`.
    let mut vals: Vec<(Value, &Range)> = Vec::with_capacity(args.len());
    let mut diags = Diagnostics::new();
    let n_fixed = if expand_final {
        args.len().saturating_sub(1)
    } else {
        args.len()
    };
    for a in &args[..n_fixed] {
        match ev(a, ctx) {
            Ok(v) => vals.push((v, &a.range)),
            Err(d) => diags.extend(d),
        }
    }
    if expand_final {
        if let Some(last) = args.last() {
            let ev_last = ev(last, ctx);
            if diags.has_errors() {
                if let Err(d) = ev_last {
                    diags.extend(d);
                }
                return Err(diags);
            }
            let xv = ev_last?;
            let bad = |detail: &str| {
                d1(Diagnostic::error("Invalid expanding argument value")
                    .at(&last.range)
                    .detail(detail.to_string())
                    .hint("the argument before ... must be a list, set or tuple"))
            };
            let xt = xv.ty();
            if xv.is_null() && (xt.is_dynamic() || xt.is_list() || xt.is_set() || xt.is_tuple()) {
                return Err(bad(
                    "The expanding argument (indicated by ...) must not be null.",
                ));
            }
            if xt.is_dynamic() {
                return Ok(Value::unknown_dynamic());
            }
            if !(xt.is_list() || xt.is_set() || xt.is_tuple()) {
                return Err(bad("The expanding argument (indicated by ...) must be of a tuple, list, or set type."));
            }
            if !xv.is_known() {
                return Ok(Value::unknown_dynamic());
            }
            let (xv, marks) = xv.unmark();
            for it in xv.elements().unwrap_or(&[]) {
                vals.push((it.clone().mark(marks), &last.range));
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let np = f.params.len();
    if vals.len() < np {
        let missing = f.params[vals.len()].name;
        let qual = if f.var_param.is_some() {
            " at least"
        } else {
            ""
        };
        return Err(d1(Diagnostic::error("Not enough function arguments")
            .at(&e.range)
            .detail(format!(
                "Function {name:?} expects{qual} {np} argument(s). Missing value for {missing:?}."
            ))
            .hint(format!("add a value for {missing:?}"))));
    }
    if f.var_param.is_none() && vals.len() > np {
        return Err(d1(Diagnostic::error("Too many function arguments")
            .at(vals[np].1)
            .detail(format!("Function {name:?} expects only {np} argument(s)."))
            .hint("remove the extra arguments")));
    }
    let mut conv = Vec::with_capacity(vals.len());
    for (i, (v, r)) in vals.iter().enumerate() {
        let Some(p) = f.param_for(i) else { break };
        match convert::convert(v, &p.ty) {
            Ok(c) => conv.push(c),
            Err(err) => diags.push(
                Diagnostic::error("Invalid function argument")
                    .at(r)
                    .detail(format!("Invalid value for {:?} parameter: {err}.", p.name))
                    .hint(format!(
                        "this argument must be a {}",
                        p.ty.friendly_name_for_constraint()
                    )),
            ),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    f.call(conv).map_err(|FuncError { arg, message }| {
        match arg.and_then(|i| Some((f.param_for(i)?, vals.get(i)?.1))) {
            Some((p, r)) => d1(Diagnostic::error("Invalid function argument")
                .at(r)
                .detail(format!(
                    "Invalid value for {:?} parameter: {message}.",
                    p.name
                ))
                .hint(format!("check the value passed as {:?}", p.name))),
            None => d1(Diagnostic::error("Error in function call")
                .at(&e.range)
                .detail(format!("Call to function {name:?} failed: {message}."))
                .hint("check the function's arguments")),
        }
    })
}

/// `try` and `can` evaluate their arguments lazily: an argument's errors are its result.
fn try_can_call(e: &Expr, name: &str, args: &[Expr], ctx: &EvalContext) -> R {
    use super::funcs::typeconv::{try_can, LazyArg, TryCanOutcome};
    let outcome = try_can(name, args.len(), |i| {
        match args.get(i).map(|a| ev(a, ctx)) {
            Some(Ok(v)) => LazyArg::Value(v),
            _ => LazyArg::Error,
        }
    });
    match outcome {
        TryCanOutcome::Value(v) => Ok(v),
        TryCanOutcome::Error(err) => Err(d1(match err.arg {
            Some(_) => Diagnostic::error("Invalid function argument")
                .at(&e.range)
                .detail(format!(
                    "Invalid value for \"expressions\" parameter: {}.",
                    err.message
                ))
                .hint("give try at least one expression that can succeed"),
            None => Diagnostic::error("Error in function call")
                .at(&e.range)
                .detail(format!(
                    "Call to function {name:?} failed: {}.",
                    err.message
                ))
                .hint("check the function's arguments"),
        })),
    }
}
