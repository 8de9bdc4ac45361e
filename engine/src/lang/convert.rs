//! Type conversion and unification with cty's rules (`convert.Convert`, `convert.Unify`).
//!
//! Safe conversions never fail for known values (number/bool -> string, list <-> set,
//! tuple -> list, object -> map, object -> object dropping extra attributes); unsafe ones may
//! fail on particular values (string -> number/bool). [`convert`] allows both, as Terraform does
//! for variables, operators and function arguments. Errors read as Terraform prints them:
//! `element 0: attribute "groups": list of string required`.

use super::number::Number;
use super::types::Type;
use super::value::{Kind, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One step into a value, for error paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Index(usize),
    Key(String),
    Attr(String),
}

/// A conversion failure: `message` is what Terraform prints; `path` says where inside the value
/// it happened (Terraform 1.0 does not print it for value-level failures, but callers may).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    pub path: Vec<PathStep>,
    pub message: String,
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConvertError {}

/// Whether a conversion from `from` to `to` exists (cty's `GetConversion[Unsafe] != nil`).
pub fn can_convert(from: &Type, to: &Type, unsafe_: bool) -> bool {
    if from == to {
        return true;
    }
    match (from, to) {
        (_, Type::Dynamic) | (Type::Dynamic, _) => true,
        (Type::Number | Type::Bool, Type::String) => true,
        (Type::String, Type::Number | Type::Bool) => unsafe_,
        (Type::List(fe) | Type::Set(fe), Type::List(te) | Type::Set(te)) => {
            can_convert(fe, te, unsafe_)
        }
        (Type::Map(fe), Type::Map(te)) => can_convert(fe, te, unsafe_),
        (Type::Tuple(ts), Type::List(te) | Type::Set(te)) => {
            if te.is_dynamic() {
                ts.is_empty() || unify_inner(ts, unsafe_).is_some()
            } else {
                ts.iter().all(|t| can_convert(t, te, unsafe_))
            }
        }
        (Type::Object(attrs), Type::Map(te)) => {
            if te.is_dynamic() {
                let ts: Vec<Type> = attrs.values().cloned().collect();
                ts.is_empty() || unify_inner(&ts, unsafe_).is_some()
            } else {
                attrs.values().all(|t| can_convert(t, te, unsafe_))
            }
        }
        (Type::Tuple(fs), Type::Tuple(ts)) => {
            fs.len() == ts.len()
                && fs
                    .iter()
                    .zip(ts.iter())
                    .all(|(f, t)| can_convert(f, t, unsafe_))
        }
        (Type::Object(fa), Type::Object(ta)) => ta
            .iter()
            .all(|(k, t)| fa.get(k).is_some_and(|f| can_convert(f, t, unsafe_))),
        (Type::Map(fe), Type::Object(ta)) => {
            unsafe_ && ta.values().all(|t| can_convert(fe, t, unsafe_))
        }
        (Type::List(fe) | Type::Set(fe), Type::Tuple(ts)) => {
            unsafe_ && ts.iter().all(|t| can_convert(fe, t, unsafe_))
        }
        _ => false,
    }
}

/// Converts `v` to type `want` (safe and unsafe conversions), keeping marks.
pub fn convert(v: &Value, want: &Type) -> Result<Value, ConvertError> {
    let got = v.ty();
    if &got == want {
        return Ok(v.clone());
    }
    if !can_convert(&got, want, true) {
        return Err(ConvertError {
            path: Vec::new(),
            message: mismatch_message(&got, want),
        });
    }
    let mut path = Vec::new();
    conv(v, &got, want, &mut path)
}

fn err(path: &[PathStep], message: impl Into<String>) -> ConvertError {
    ConvertError {
        path: path.to_vec(),
        message: message.into(),
    }
}

/// The concrete type a value of type `from` gets when converted to `to` (resolving `Dynamic`
/// parts of `to`).
fn target_type(from: &Type, to: &Type) -> Type {
    match (from, to) {
        (_, Type::Dynamic) => from.clone(),
        (Type::Tuple(ts), Type::List(te)) if te.is_dynamic() => {
            Type::list(unify_inner(ts, true).unwrap_or(Type::Dynamic))
        }
        (Type::Tuple(ts), Type::Set(te)) if te.is_dynamic() => {
            Type::set(unify_inner(ts, true).unwrap_or(Type::Dynamic))
        }
        (Type::Object(a), Type::Map(te)) if te.is_dynamic() => {
            let ts: Vec<Type> = a.values().cloned().collect();
            Type::map(unify_inner(&ts, true).unwrap_or(Type::Dynamic))
        }
        (Type::List(fe) | Type::Set(fe) | Type::Map(fe), Type::List(te)) => {
            Type::list(target_type(fe, te))
        }
        (Type::List(fe) | Type::Set(fe) | Type::Map(fe), Type::Set(te)) => {
            Type::set(target_type(fe, te))
        }
        (Type::List(fe) | Type::Set(fe) | Type::Map(fe), Type::Map(te)) => {
            Type::map(target_type(fe, te))
        }
        (Type::Object(fa), Type::Object(ta)) => Type::Object(Arc::new(
            ta.iter()
                .map(|(k, t)| {
                    let f = fa.get(k).cloned().unwrap_or(Type::Dynamic);
                    (k.clone(), target_type(&f, t))
                })
                .collect(),
        )),
        (Type::Tuple(fs), Type::Tuple(ts)) if fs.len() == ts.len() => Type::tuple(
            fs.iter()
                .zip(ts.iter())
                .map(|(f, t)| target_type(f, t))
                .collect(),
        ),
        _ => to.clone(),
    }
}

fn conv(
    v: &Value,
    got: &Type,
    want: &Type,
    path: &mut Vec<PathStep>,
) -> Result<Value, ConvertError> {
    if got == want || want.is_dynamic() {
        return Ok(v.clone());
    }
    let (v, marks) = v.clone().unmark();
    if !v.is_known() {
        return Ok(Value::unknown(target_type(got, want)).mark(marks));
    }
    if v.is_null() {
        // A null of unknown type stays so when the target is not fully known (cty passes it
        // through); otherwise it becomes a null of the target type.
        if got.is_dynamic() && want.has_dynamic_types() {
            return Ok(v.mark(marks));
        }
        return Ok(Value::null(target_type(got, want)).mark(marks));
    }
    let out = match (v.kind(), want) {
        (Kind::Number(n), Type::String) => Value::string(n.text_f()),
        (Kind::Bool(b), Type::String) => Value::string(if b { "true" } else { "false" }),
        (Kind::String(s), Type::Number) => match Number::parse(s) {
            Some(n) => Value::number(n),
            None => return Err(err(path, "a number is required")),
        },
        (Kind::String(s), Type::Bool) => match s {
            "true" | "1" => Value::bool(true),
            "false" | "0" => Value::bool(false),
            _ => {
                let m = match s.to_lowercase().as_str() {
                    "true" => "a bool is required; to convert from string, use lowercase \"true\"",
                    "false" => {
                        "a bool is required; to convert from string, use lowercase \"false\""
                    }
                    _ => "a bool is required",
                };
                return Err(err(path, m));
            }
        },
        (
            Kind::List(items) | Kind::Set(items) | Kind::Tuple(items),
            Type::List(te) | Type::Set(te),
        ) => {
            let ety = if te.is_dynamic() {
                let ts: Vec<Type> = items.iter().map(Value::ty).collect();
                if ts.is_empty() {
                    Type::Dynamic
                } else {
                    unify_inner(&ts, true).ok_or_else(|| err(path, mismatch_message(got, want)))?
                }
            } else {
                Type::clone(te)
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                out.push(conv(it, &it.ty(), &ety, path)?);
                path.pop();
            }
            if want.is_set() {
                Value::set(ety, out)
            } else {
                Value::list(ety, out)
            }
        }
        (Kind::Map(items) | Kind::Object(items), Type::Map(te)) => {
            let ety = if te.is_dynamic() {
                let ts: Vec<Type> = items.values().map(Value::ty).collect();
                if ts.is_empty() {
                    Type::Dynamic
                } else {
                    unify_inner(&ts, true).ok_or_else(|| err(path, mismatch_message(got, want)))?
                }
            } else {
                Type::clone(te)
            };
            let mut out = indexmap::IndexMap::with_capacity(items.len());
            for (k, it) in items {
                path.push(PathStep::Key(k.clone()));
                out.insert(k.clone(), conv(it, &it.ty(), &ety, path)?);
                path.pop();
            }
            Value::map_sorted(ety, out)
        }
        (Kind::Tuple(items) | Kind::List(items) | Kind::Set(items), Type::Tuple(ts)) => {
            if items.len() != ts.len() {
                return Err(err(
                    path,
                    format!("a tuple of {} elements is required", ts.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (it, t)) in items.iter().zip(ts.iter()).enumerate() {
                path.push(PathStep::Index(i));
                out.push(conv(it, &it.ty(), t, path)?);
                path.pop();
            }
            Value::tuple(out)
        }
        (Kind::Object(attrs) | Kind::Map(attrs), Type::Object(ta)) => {
            let mut out = indexmap::IndexMap::with_capacity(ta.len());
            for (k, t) in ta.iter() {
                let Some(it) = attrs.get(k) else {
                    return Err(err(path, format!("attribute {k:?} is required")));
                };
                path.push(PathStep::Attr(k.clone()));
                out.insert(k.clone(), conv(it, &it.ty(), t, path)?);
                path.pop();
            }
            Value::object_sorted(out)
        }
        _ => return Err(err(path, mismatch_message(got, want))),
    };
    Ok(out.mark(marks))
}

/// cty's `UnifyUnsafe`: the type all of `types` can be converted to, if any.
pub fn unify(types: &[Type]) -> Option<Type> {
    unify_inner(types, true)
}

/// cty's safe `Unify`.
pub fn unify_safe(types: &[Type]) -> Option<Type> {
    unify_inner(types, false)
}

/// A port of cty 1.9's `unify`: first the cases where all types are of one structural kind
/// (possibly with `dynamic`), which may build a new type; otherwise the first of the given
/// types, in order of generality, that all the others convert to.
fn unify_inner(types: &[Type], unsafe_: bool) -> Option<Type> {
    let first = types.first()?;
    if types.iter().all(|t| t == first) {
        return Some(first.clone());
    }
    let count = |f: fn(&Type) -> bool| types.iter().filter(|t| f(t)).count();
    let (maps, lists, sets, objs, tuples, dyns) = (
        count(Type::is_map),
        count(Type::is_list),
        count(Type::is_set),
        count(Type::is_object),
        count(Type::is_tuple),
        count(Type::is_dynamic),
    );
    let n = types.len();
    if maps > 0 && maps + dyns == n {
        return unify_collections(Type::map, types, unsafe_, dyns > 0);
    } else if maps > 0 && maps + objs + dyns == n {
        // Objects often masquerade as maps in HCL.
        let as_map = unify_as(types, Type::is_object, unify_objects_to_map, unsafe_);
        if let Some(t) = as_map.filter(Type::is_map) {
            return Some(t);
        }
    } else if lists > 0 && lists + dyns == n {
        return unify_collections(Type::list, types, unsafe_, dyns > 0);
    } else if lists > 0 && lists + tuples + dyns == n {
        let as_list = unify_as(types, Type::is_tuple, unify_tuples_to_list, unsafe_);
        if let Some(t) = as_list.filter(Type::is_list) {
            return Some(t);
        }
    } else if sets > 0 && sets + dyns == n {
        return unify_collections(Type::set, types, unsafe_, dyns > 0);
    } else if objs > 0 && objs + dyns == n {
        return unify_objects(types, unsafe_, dyns > 0);
    } else if tuples > 0 && tuples + dyns == n {
        return unify_tuples(types, unsafe_, dyns > 0);
    } else if objs > 0 && tuples > 0 {
        return None;
    }
    sort_types(types)
        .into_iter()
        .find(|want| types.iter().all(|t| can_convert(t, want, unsafe_)))
        .cloned()
}

/// `ret` if every one of `types` converts to it.
fn all_convert(types: &[Type], ret: Type, unsafe_: bool) -> Option<Type> {
    types
        .iter()
        .all(|t| can_convert(t, &ret, unsafe_))
        .then_some(ret)
}

/// Unifies the types matching `is` among themselves with `to`, then everything together
/// (cty's `unifyObjectsAsMaps` and `unifyTuplesAsList`).
fn unify_as(
    types: &[Type],
    is: fn(&Type) -> bool,
    to: fn(&[Type], bool) -> Option<Type>,
    unsafe_: bool,
) -> Option<Type> {
    let some: Vec<Type> = types.iter().filter(|t| is(t)).cloned().collect();
    let t = to(&some, unsafe_)?;
    let replaced: Vec<Type> = types
        .iter()
        .map(|x| if is(x) { t.clone() } else { x.clone() })
        .collect();
    unify_inner(&replaced, unsafe_)
}

fn unify_collections(
    ctor: fn(Type) -> Type,
    types: &[Type],
    unsafe_: bool,
    has_dynamic: bool,
) -> Option<Type> {
    if has_dynamic {
        return Some(Type::Dynamic);
    }
    let elems: Vec<Type> = types
        .iter()
        .filter_map(|t| t.element_type().cloned())
        .collect();
    let ret = ctor(unify_inner(&elems, unsafe_)?);
    all_convert(types, ret, unsafe_)
}

fn unify_objects(types: &[Type], unsafe_: bool, has_dynamic: bool) -> Option<Type> {
    if has_dynamic {
        return Some(Type::Dynamic);
    }
    let attrsets: Vec<&BTreeMap<String, Type>> =
        types.iter().filter_map(Type::attribute_types).collect();
    let first = attrsets.first()?;
    let same_names = attrsets
        .iter()
        .all(|a| a.len() == first.len() && a.keys().all(|k| first.contains_key(k)));
    if !same_names {
        return unify_objects_to_map(types, unsafe_);
    }
    let mut out = BTreeMap::new();
    for k in first.keys() {
        let ts: Vec<Type> = attrsets.iter().filter_map(|a| a.get(k).cloned()).collect();
        out.insert(k.clone(), unify_inner(&ts, unsafe_)?);
    }
    all_convert(types, Type::Object(Arc::new(out)), unsafe_)
        .or_else(|| unify_objects_to_map(types, unsafe_))
}

fn unify_objects_to_map(types: &[Type], unsafe_: bool) -> Option<Type> {
    let ts: Vec<Type> = types
        .iter()
        .filter_map(Type::attribute_types)
        .flat_map(|a| a.values().cloned())
        .collect();
    let ret = Type::map(unify_inner(&ts, unsafe_)?);
    all_convert(types, ret, unsafe_)
}

fn unify_tuples(types: &[Type], unsafe_: bool, has_dynamic: bool) -> Option<Type> {
    if has_dynamic {
        return Some(Type::Dynamic);
    }
    let tts: Vec<&[Type]> = types.iter().filter_map(Type::tuple_element_types).collect();
    let first = tts.first()?;
    if tts.iter().any(|t| t.len() != first.len()) {
        return unify_tuples_to_list(types, unsafe_);
    }
    let mut out = Vec::with_capacity(first.len());
    for i in 0..first.len() {
        let ts: Vec<Type> = tts.iter().filter_map(|t| t.get(i).cloned()).collect();
        out.push(unify_inner(&ts, unsafe_)?);
    }
    all_convert(types, Type::tuple(out), unsafe_).or_else(|| unify_tuples_to_list(types, unsafe_))
}

fn unify_tuples_to_list(types: &[Type], unsafe_: bool) -> Option<Type> {
    let ts: Vec<Type> = types
        .iter()
        .filter_map(Type::tuple_element_types)
        .flat_map(|t| t.iter().cloned())
        .collect();
    let ret = Type::list(unify_inner(&ts, unsafe_)?);
    all_convert(types, ret, unsafe_)
}

/// cty's `sortTypes`: the types in order of preference as a unification result, most general
/// first (a topological sort of [`compare_types`], stable for incomparable types).
fn sort_types(types: &[Type]) -> Vec<&Type> {
    let n = types.len();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in i + 1..n {
            match compare_types(&types[i], &types[j]) {
                std::cmp::Ordering::Less => edges[i].push(j),
                std::cmp::Ordering::Greater => edges[j].push(i),
                std::cmp::Ordering::Equal => {}
            }
        }
    }
    let mut in_degree = vec![0usize; n];
    for outs in &edges {
        for &j in outs {
            in_degree[j] += 1;
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| in_degree[i] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let i = order[next];
        next += 1;
        for &j in &edges[i] {
            in_degree[j] -= 1;
            if in_degree[j] == 0 {
                order.push(j);
            }
        }
    }
    // cty returns a full-length slice even when a cycle leaves types out; those are
    // index 0 (its zero value), i.e. the first type again.
    order.resize(n, 0);
    order.into_iter().map(|i| &types[i]).collect()
}

/// cty's `compareTypes`: `Less` when `a` is more general than `b` (a preferred unification
/// result), `Greater` when `b` is, `Equal` when they are not comparable.
fn compare_types(a: &Type, b: &Type) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if a.is_dynamic() || b.is_dynamic() {
        return match (a.is_dynamic(), b.is_dynamic()) {
            (false, _) => Less,
            (_, false) => Greater,
            _ => Equal,
        };
    }
    if a.is_primitive() && b.is_primitive() && (*a == Type::String || *b == Type::String) {
        return match (*a == Type::String, *b == Type::String) {
            (false, _) => Greater,
            (_, false) => Less,
            _ => Equal,
        };
    }
    match (a, b) {
        (Type::List(x), Type::List(y))
        | (Type::Set(x), Type::Set(y))
        | (Type::Map(x), Type::Map(y)) => return compare_types(x, y),
        _ => {}
    }
    let swapped = (a.is_tuple() && b.is_list())
        || (a.is_object() && b.is_map())
        || (a.is_set() && (b.is_tuple() || b.is_list()));
    let (a, b) = if swapped { (b, a) } else { (a, b) };
    let more_general = |x: std::cmp::Ordering| if swapped { x.reverse() } else { x };
    if b.is_set() && (a.is_tuple() || a.is_list()) {
        return more_general(Less);
    }
    if (a.is_list() && b.is_tuple()) || (a.is_map() && b.is_object()) {
        return more_general(Less);
    }
    let pairwise = |xs: Vec<(&Type, &Type)>| {
        let (mut a_super, mut b_super) = (false, false);
        for (x, y) in xs {
            match compare_types(x, y) {
                Less => a_super = true,
                Greater => b_super = true,
                Equal => {}
            }
        }
        match (a_super, b_super) {
            (true, false) => more_general(Less),
            (false, true) => more_general(Greater),
            _ => Equal,
        }
    };
    match (a, b) {
        (Type::Object(x), Type::Object(y)) => {
            if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
                return Equal;
            }
            pairwise(x.iter().filter_map(|(k, t)| Some((t, y.get(k)?))).collect())
        }
        (Type::Tuple(x), Type::Tuple(y)) => {
            if x.len() != y.len() {
                return Equal;
            }
            pairwise(x.iter().zip(y.iter()).collect())
        }
        _ => Equal,
    }
}

/// Converts all values to their unified type, for building a list or a map from mixed
/// elements. Returns `None` when they cannot be unified.
pub fn unify_values(vals: &[Value]) -> Option<(Type, Vec<Value>)> {
    let ts: Vec<Type> = vals.iter().map(Value::ty).collect();
    let t = if ts.is_empty() {
        Type::Dynamic
    } else {
        unify_inner(&ts, true)?
    };
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        out.push(convert(v, &t).ok()?);
    }
    Some((t, out))
}

/// cty's `MismatchMessage`: why a value of type `got` cannot become `want`.
pub fn mismatch_message(got: &Type, want: &Type) -> String {
    match (got, want) {
        (Type::Object(_), Type::Object(_)) => mismatch_objects(got, want),
        (Type::Tuple(_), Type::List(e)) if e.is_dynamic() => {
            "all list elements must have the same type".into()
        }
        (Type::Tuple(_), Type::Set(e)) if e.is_dynamic() => {
            "all set elements must have the same type".into()
        }
        (Type::Object(_), Type::Map(e)) if e.is_dynamic() => {
            "all map elements must have the same type".into()
        }
        (Type::Tuple(_) | Type::Object(_), _) if want.is_collection() => {
            mismatch_structural_to_collection(got, want)
        }
        _ if got.is_collection() && want.is_collection() => mismatch_collections(got, want),
        _ => format!("{} required", want.friendly_name_for_constraint()),
    }
}

fn mismatch_objects(got: &Type, want: &Type) -> String {
    let (Some(ga), Some(wa)) = (got.attribute_types(), want.attribute_types()) else {
        return "incorrect object attributes".into();
    };
    let mut missing = Vec::new();
    let mut unsafe_mismatch = None;
    let mut safe_mismatch = None;
    for (name, wt) in wa.iter() {
        let Some(gt) = ga.get(name) else {
            missing.push(name.as_str());
            continue;
        };
        if unsafe_mismatch.is_none() && !can_convert(gt, wt, true) {
            unsafe_mismatch = Some(format!("attribute {name:?}: {}", mismatch_message(gt, wt)));
        }
        if safe_mismatch.is_none() && !can_convert(gt, wt, false) {
            safe_mismatch = Some(format!("attribute {name:?}: {}", mismatch_message(gt, wt)));
        }
    }
    match missing.len() {
        0 => unsafe_mismatch
            .or(safe_mismatch)
            .unwrap_or_else(|| "incorrect object attributes".into()),
        1 => format!("attribute {:?} is required", missing[0]),
        2 => format!(
            "attributes {:?} and {:?} are required",
            missing[0], missing[1]
        ),
        _ => {
            let (last, init) = missing
                .split_last()
                .map(|(l, i)| (*l, i))
                .unwrap_or(("", &[]));
            let init: Vec<String> = init.iter().map(|n| format!("{n:?}")).collect();
            format!("attributes {}, and {last:?} are required", init.join(", "))
        }
    }
}

fn mismatch_structural_to_collection(got: &Type, want: &Type) -> String {
    let req = || format!("{} required", want.friendly_name_for_constraint());
    match want {
        Type::List(_) | Type::Set(_) if !got.is_tuple() => return req(),
        Type::Map(_) if !got.is_object() => return req(),
        _ => {}
    }
    let Some(we) = want.element_type() else {
        return req();
    };
    match got {
        Type::Tuple(ts) => {
            for (i, t) in ts.iter().enumerate() {
                if t != we && !can_convert(t, we, true) {
                    return format!("element {i}: {}", mismatch_message(t, we));
                }
            }
        }
        Type::Object(a) => {
            for (k, t) in a.iter() {
                if t != we && !can_convert(t, we, true) {
                    return format!("element {k:?}: {}", mismatch_message(t, we));
                }
            }
        }
        _ => return req(),
    }
    format!("all elements must be {}", we.friendly_name_for_constraint())
}

fn mismatch_collections(got: &Type, want: &Type) -> String {
    let req = || format!("{} required", want.friendly_name_for_constraint());
    match want {
        Type::List(_) | Type::Set(_) if !(got.is_list() || got.is_set()) => return req(),
        Type::Map(_) if !got.is_map() => return req(),
        _ => {}
    }
    let (Some(ge), Some(we)) = (got.element_type(), want.element_type()) else {
        return req();
    };
    let noun = match want {
        Type::List(_) => "list element type",
        Type::Set(_) => "set element type",
        _ => "map element type",
    };
    format!("incorrect {noun}: {}", mismatch_message(ge, we))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::types::parse_type_constraint;

    fn ty(src: &str) -> Type {
        parse_type_constraint(&crate::lang::parse::parse_expr("t.tf".into(), src).expect("parses"))
            .expect("type")
    }
    fn val(json: &str) -> Value {
        Value::from_json_with_type(json, &Type::Dynamic).expect("json")
    }

    #[test]
    fn terraform_messages() {
        let t = ty("list(object({userarn=string, username=string, groups=list(string)}))");
        let e = convert(&val(r#"[{"userarn":"a","username":"b","groups":"x"}]"#), &t).unwrap_err();
        assert_eq!(
            e.message,
            "element 0: attribute \"groups\": list of string required"
        );
        let e = convert(&val(r#"{"a":"x"}"#), &ty("map(number)")).unwrap_err();
        assert_eq!(e.message, "a number is required");
        let e = convert(&val(r#"{"b":1}"#), &ty("object({a=string})")).unwrap_err();
        assert_eq!(e.message, "attribute \"a\" is required");
        let e = convert(&Value::bool(true), &Type::Number).unwrap_err();
        assert_eq!(e.message, "number required");
        let e = convert(&val(r#"["a"]"#), &ty("tuple([string, number])")).unwrap_err();
        assert_eq!(e.message, "tuple required");
        let e = convert(&val("[[1]]"), &ty("set(string)")).unwrap_err();
        assert_eq!(e.message, "element 0: string required");
    }

    #[test]
    fn unify_follows_cty() {
        let u = |xs: &[&str]| unify(&xs.iter().map(|x| ty(x)).collect::<Vec<_>>());
        // A tuple unifies with a list as a list (cty's unifyTuplesAsList).
        assert_eq!(
            u(&["tuple([number, number])", "list(string)"]),
            Some(ty("list(string)"))
        );
        // `[]` against `tolist([])`: the list is the more general type.
        assert_eq!(u(&["tuple([])", "list(any)"]), Some(ty("list(any)")));
        // A null of unknown type takes the other types' unification.
        assert_eq!(u(&["any", "number", "string"]), Some(Type::String));
        assert_eq!(
            unify_safe(&[Type::Dynamic, Type::String]),
            Some(Type::String)
        );
        assert_eq!(u(&["number", "bool"]), None);
        assert_eq!(
            u(&["map(string)", "object({a=number})"]),
            Some(ty("map(string)"))
        );
        assert_eq!(
            u(&["object({a=number})", "object({a=string})"]),
            Some(ty("object({a=string})"))
        );
        assert_eq!(u(&["object({a=number})", "tuple([number])"]), None);
        // A list is preferred to a set (recorded: `true ? tolist([1]) : toset(["a"])`).
        assert_eq!(
            u(&["list(number)", "set(string)"]),
            Some(ty("list(number)"))
        );
        assert_eq!(u(&["list(number)", "list(any)"]), Some(ty("list(number)")));
        assert_eq!(u(&["list(number)", "any"]), Some(Type::Dynamic));
    }

    #[test]
    fn unification() {
        let v = convert(&val(r#"[1,"a",true]"#), &ty("list(any)")).unwrap();
        assert_eq!(v.to_json().unwrap(), r#"["1","a","true"]"#);
        let v = convert(&val(r#"[{"a":1},{"b":2}]"#), &ty("list(any)")).unwrap();
        assert_eq!(v.ty(), ty("list(map(number))"));
        let v = convert(&val(r#"[{"a":1},{"a":"x"}]"#), &ty("list(any)")).unwrap();
        assert_eq!(v.ty(), ty("list(object({a=string}))"));
        assert!(convert(&val("[1,[1]]"), &ty("list(any)")).is_err());
        let v = convert(&val(r#"[1,"1"]"#), &ty("set(any)")).unwrap();
        assert_eq!(v.to_json().unwrap(), r#"["1"]"#);
    }
}
