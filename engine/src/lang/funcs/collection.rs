//! Collection functions (go-cty stdlib and Terraform's lang/funcs): alltrue, anytrue,
//! chunklist, coalesce, coalescelist, compact, concat, contains, distinct, element, flatten,
//! index, keys, length, lookup, matchkeys, merge, one, range, reverse, setintersection,
//! setproduct, setsubtract, setunion, slice, sort, sum, transpose, values, zipmap, and the
//! removed `list` and `map`.

use super::{int_arg, FuncError, Function, Param, Registry, MAX_ELEMENTS};
use crate::lang::convert::{convert, unify, unify_safe};
use crate::lang::number::Number;
use crate::lang::types::Type;
use crate::lang::value::{go_quote, Marks, Value};
use unicode_segmentation::UnicodeSegmentation;

fn arg(a: &[Value], i: usize) -> &Value {
    static NULL: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    a.get(i)
        .unwrap_or_else(|| NULL.get_or_init(Value::null_dynamic))
}

fn elems(v: &Value) -> &[Value] {
    v.elements().unwrap_or(&[])
}

// ---- alltrue / anytrue ----

fn alltrue_impl(a: &[Value]) -> Result<Value, FuncError> {
    for v in elems(arg(a, 0)) {
        if !v.is_known() {
            return Ok(Value::unknown(Type::Bool));
        }
        if v.as_bool() != Some(true) {
            return Ok(Value::bool(false));
        }
    }
    Ok(Value::bool(true))
}

fn anytrue_impl(a: &[Value]) -> Result<Value, FuncError> {
    let mut unknown = false;
    for v in elems(arg(a, 0)) {
        if !v.is_known() {
            unknown = true;
        } else if v.as_bool() == Some(true) {
            return Ok(Value::bool(true));
        }
    }
    Ok(if unknown {
        Value::unknown(Type::Bool)
    } else {
        Value::bool(false)
    })
}

// ---- chunklist ----

fn chunklist_ret(a: &[Value]) -> Result<Type, FuncError> {
    Ok(Type::list(arg(a, 0).ty()))
}

fn chunklist_impl(a: &[Value]) -> Result<Value, FuncError> {
    let (list, lm) = arg(a, 0).clone().unmark();
    let (size, sm) = arg(a, 1).clone().unmark();
    let marks = lm | sm;
    let lt = list.ty();
    if !list.is_known() || !size.is_known() {
        return Ok(Value::unknown(Type::list(lt)).mark(marks));
    }
    let size = int_arg(std::slice::from_ref(&size), 0)
        .map_err(|m| FuncError::new(format!("invalid size: {m}")))?;
    if size < 0 {
        return Err(FuncError::new("the size argument must be positive"));
    }
    let items = elems(&list);
    if items.is_empty() {
        return Ok(Value::empty_list(lt).mark(marks));
    }
    let et = lt.element_type().cloned().unwrap_or(Type::Dynamic);
    let chunks: Vec<Value> = if size == 0 {
        vec![list.clone()]
    } else {
        items
            .chunks(size as usize)
            .map(|c| Value::list(et.clone(), c.to_vec()))
            .collect()
    };
    Ok(Value::list(lt, chunks).mark(marks))
}

// ---- coalesce / coalescelist ----

fn coalesce_ret(a: &[Value]) -> Result<Type, FuncError> {
    let ts: Vec<Type> = a.iter().map(Value::ty).collect();
    unify(&ts).ok_or_else(|| FuncError::new("all arguments must have the same type"))
}

fn coalesce_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = coalesce_ret(a)?;
    for (i, v) in a.iter().enumerate() {
        let v = convert(v, &rt).map_err(|e| FuncError::arg(i, e.message))?;
        if !v.is_known() {
            return Ok(Value::unknown(rt));
        }
        if v.is_null() {
            continue;
        }
        if rt == Type::String && v.as_str() == Some("") {
            continue;
        }
        return Ok(v);
    }
    Err(FuncError::new("no non-null, non-empty-string arguments"))
}

fn coalescelist_ret(a: &[Value]) -> Result<Type, FuncError> {
    if a.is_empty() {
        return Err(FuncError::new("at least one argument is required"));
    }
    let ts: Vec<Type> = a.iter().map(Value::ty).collect();
    if ts.iter().all(Type::is_list) {
        let es: Vec<Type> = ts
            .iter()
            .filter_map(|t| t.element_type().cloned())
            .collect();
        if let Some(e) = unify_safe(&es) {
            return Ok(Type::list(e));
        }
    }
    if ts
        .iter()
        .all(|t| t.is_list() || t.is_tuple() || t.is_dynamic())
    {
        return Ok(Type::Dynamic);
    }
    Err(FuncError::new(
        "coalescelist arguments must be lists or tuples",
    ))
}

fn coalescelist_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = coalescelist_ret(a)?;
    for v in a {
        if !v.is_known() {
            return Ok(Value::unknown(rt));
        }
        if v.is_null() {
            continue;
        }
        if v.length().unwrap_or(0) > 0 {
            if rt.is_dynamic() {
                return Ok(v.clone());
            }
            return convert(v, &rt).map_err(|e| FuncError::new(e.message));
        }
    }
    Err(FuncError::new("no non-null arguments"))
}

// ---- compact / distinct / sort ----

fn compact_impl(a: &[Value]) -> Result<Value, FuncError> {
    let l = arg(a, 0);
    if !l.is_wholly_known() {
        return Ok(Value::unknown(Type::list(Type::String)));
    }
    let out: Vec<Value> = elems(l)
        .iter()
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .collect();
    Ok(Value::list(Type::String, out))
}

fn distinct_impl(a: &[Value]) -> Result<Value, FuncError> {
    let l = arg(a, 0);
    let lt = l.ty();
    if !l.is_wholly_known() {
        return Ok(Value::unknown(lt));
    }
    let mut out: Vec<Value> = Vec::new();
    for v in elems(l) {
        if !out.iter().any(|o| o.raw_equal(v)) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(
        lt.element_type().cloned().unwrap_or(Type::Dynamic),
        out,
    ))
}

fn sort_impl(a: &[Value]) -> Result<Value, FuncError> {
    let l = arg(a, 0);
    if !l.is_wholly_known() {
        return Ok(Value::unknown(Type::list(Type::String)));
    }
    let mut strs: Vec<&str> = Vec::new();
    for (i, v) in elems(l).iter().enumerate() {
        match v.as_str() {
            Some(s) => strs.push(s),
            None => {
                return Err(FuncError::new(format!(
                    "given list element {i} is null; a null string cannot be sorted"
                )))
            }
        }
    }
    strs.sort_unstable_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    Ok(Value::list(
        Type::String,
        strs.into_iter().map(Value::string).collect(),
    ))
}

// ---- concat ----

fn concat_ret(a: &[Value]) -> Result<Type, FuncError> {
    if a.is_empty() {
        return Err(FuncError::new("at least one argument is required"));
    }
    let ts: Vec<Type> = a.iter().map(|v| v.clone().unmark_deep().0.ty()).collect();
    if ts.iter().all(Type::is_list) {
        let es: Vec<Type> = ts
            .iter()
            .filter_map(|t| t.element_type().cloned())
            .collect();
        if let Some(e) = unify(&es) {
            return Ok(Type::list(e));
        }
    }
    let mut etys = Vec::new();
    for (i, (v, t)) in a.iter().zip(&ts).enumerate() {
        match t {
            Type::Tuple(es) => etys.extend(es.iter().cloned()),
            Type::List(e) | Type::Set(e) => {
                if !v.is_known() {
                    return Ok(Type::Dynamic);
                }
                let n = v.length().unwrap_or(0);
                etys.extend(std::iter::repeat_n((**e).clone(), n));
            }
            Type::Dynamic => return Ok(Type::Dynamic),
            other => {
                return Err(FuncError::arg(
                    i,
                    format!(
                        "all arguments must be lists or tuples; got {}",
                        other.friendly_name()
                    ),
                ))
            }
        }
    }
    Ok(Type::tuple(etys))
}

fn concat_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = concat_ret(a)?;
    let mut marks = Marks::NONE;
    let mut items = Vec::new();
    for v in a {
        let (v, m) = v.clone().unmark();
        marks |= m;
        if !v.is_known() {
            return Ok(Value::unknown(rt).mark(marks));
        }
        items.extend(elems(&v).iter().cloned());
    }
    let out = match &rt {
        Type::List(e) => {
            let mut conv = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                conv.push(convert(x, e).map_err(|e| FuncError::arg(i, e.message))?);
            }
            Value::list((**e).clone(), conv)
        }
        _ => Value::tuple(items),
    };
    Ok(out.mark(marks))
}

// ---- contains / index ----

fn contains_impl(a: &[Value]) -> Result<Value, FuncError> {
    let l = arg(a, 0);
    let t = l.ty();
    if !(t.is_list() || t.is_tuple() || t.is_set()) {
        return Err(FuncError::new("argument must be list, tuple, or set"));
    }
    if l.is_null() {
        return Err(FuncError::new("cannot search a nil list or set"));
    }
    if l.length() == Some(0) {
        return Ok(Value::bool(false));
    }
    let needle = arg(a, 1);
    if !l.is_known() || !needle.is_known() {
        return Ok(Value::unknown(Type::Bool));
    }
    let mut unknown = false;
    for v in elems(l) {
        let eq = needle.equals(v).unmark().0;
        match eq.as_bool() {
            Some(true) => return Ok(Value::bool(true)),
            Some(false) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown {
        Value::unknown(Type::Bool)
    } else {
        Value::bool(false)
    })
}

fn index_impl(a: &[Value]) -> Result<Value, FuncError> {
    let l = arg(a, 0);
    let t = l.ty();
    if !(t.is_list() || t.is_tuple()) {
        return Err(FuncError::new("argument must be a list or tuple"));
    }
    if !l.is_known() {
        return Ok(Value::unknown(Type::Number));
    }
    if l.length() == Some(0) {
        return Err(FuncError::new("cannot search an empty list"));
    }
    let needle = arg(a, 1);
    for (i, v) in elems(l).iter().enumerate() {
        let eq = needle.equals(v).unmark().0;
        match eq.as_bool() {
            Some(true) => return Ok(Value::int(i as i64)),
            Some(false) => {}
            None => return Ok(Value::unknown(Type::Number)),
        }
    }
    Err(FuncError::new("item not found"))
}

// ---- element / slice / reverse ----

const NEGATIVE_INDEX: &str = "cannot use element function with a negative index";
const EMPTY_LIST: &str = "cannot use element function with an empty list";

fn element_index(a: &[Value]) -> Result<i64, FuncError> {
    int_arg(a, 1).map_err(|m| FuncError::new(format!("invalid index: {m}")))
}

fn element_ret(a: &[Value]) -> Result<Type, FuncError> {
    let l = arg(a, 0).clone().unmark_deep().0;
    match l.ty() {
        Type::List(e) => Ok((*e).clone()),
        Type::Tuple(ts) => {
            let idx = arg(a, 1);
            if !idx.is_known() {
                return Ok(Type::Dynamic);
            }
            if idx.as_number().is_some_and(Number::is_negative) {
                return Err(FuncError::new(NEGATIVE_INDEX));
            }
            let i = element_index(a)?;
            if ts.is_empty() {
                return Err(FuncError::new(EMPTY_LIST));
            }
            Ok(ts[(i as usize) % ts.len()].clone())
        }
        other => Err(FuncError::new(format!(
            "cannot read elements from {}",
            other.friendly_name()
        ))),
    }
}

fn element_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = element_ret(a)?;
    let (l, marks) = arg(a, 0).clone().unmark();
    let i = element_index(a)?;
    if i < 0 {
        return Err(FuncError::new(NEGATIVE_INDEX));
    }
    if !l.is_known() {
        return Ok(Value::unknown(rt).mark(marks));
    }
    let items = elems(&l);
    if items.is_empty() {
        return Err(FuncError::new(EMPTY_LIST));
    }
    Ok(items[(i as usize) % items.len()].clone().mark(marks))
}

fn slice_indexes(a: &[Value], len: usize) -> Result<(usize, usize), FuncError> {
    let s = int_arg(a, 1).map_err(|m| FuncError::arg(1, format!("invalid start index: {m}")))?;
    if s < 0 {
        return Err(FuncError::arg(1, "start index must not be less than zero"));
    }
    if s as u64 > len as u64 {
        return Err(FuncError::arg(
            1,
            "start index must not be greater than the length of the list",
        ));
    }
    let e = int_arg(a, 2).map_err(|m| FuncError::arg(2, format!("invalid end index: {m}")))?;
    if e < 0 {
        return Err(FuncError::arg(2, "end index must not be less than zero"));
    }
    if e as u64 > len as u64 {
        return Err(FuncError::arg(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if s > e {
        return Err(FuncError::arg(
            1,
            "start index must not be greater than end index",
        ));
    }
    Ok((s as usize, e as usize))
}

fn slice_ret(a: &[Value]) -> Result<Type, FuncError> {
    let l = arg(a, 0);
    match l.ty() {
        Type::Set(_) => Err(FuncError::arg(0, "cannot slice a set, because its elements do not have indices; explicitly convert to a list if the ordering of the result is not important")),
        t @ Type::List(_) => Ok(t),
        Type::Tuple(ts) => {
            if !arg(a, 1).is_known() || !arg(a, 2).is_known() {
                return Ok(Type::Dynamic);
            }
            let (s, e) = slice_indexes(a, ts.len())?;
            Ok(Type::tuple(ts[s..e].to_vec()))
        }
        _ => Err(FuncError::arg(0, "must be a list or tuple value")),
    }
}

fn slice_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = slice_ret(a)?;
    let (l, marks) = arg(a, 0).clone().unmark();
    if !l.is_known() {
        return Ok(Value::unknown(rt).mark(marks));
    }
    let items = elems(&l);
    let (s, e) = slice_indexes(a, items.len())?;
    let part = items[s..e].to_vec();
    Ok(match l.ty() {
        Type::List(et) => Value::list((*et).clone(), part),
        _ => Value::tuple(part),
    }
    .mark(marks))
}

fn reverse_ret(a: &[Value]) -> Result<Type, FuncError> {
    match arg(a, 0).ty() {
        t @ Type::List(_) => Ok(t),
        Type::Set(e) => Ok(Type::List(e)),
        Type::Tuple(ts) => Ok(Type::tuple(ts.iter().rev().cloned().collect())),
        other => Err(FuncError::arg(
            0,
            format!(
                "can only reverse list or tuple values, not {}",
                other.friendly_name()
            ),
        )),
    }
}

fn reverse_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = reverse_ret(a)?;
    let (l, marks) = arg(a, 0).clone().unmark();
    let items: Vec<Value> = elems(&l).iter().rev().cloned().collect();
    Ok(match l.ty() {
        Type::List(et) | Type::Set(et) => Value::list((*et).clone(), items),
        _ if rt.is_tuple() => Value::tuple(items),
        _ => Value::unknown(rt),
    }
    .mark(marks))
}

// ---- flatten ----

/// Flattens `v` into `out`: `Ok(false)` when an element is unknown, an error past
/// [`MAX_ELEMENTS`] (values share their parts, so a small list can stand for billions of
/// elements once flattened).
fn flatten_into(v: &Value, out: &mut Vec<Value>, marks: &mut Marks) -> Result<bool, FuncError> {
    let (v, m) = v.clone().unmark();
    *marks |= m;
    for x in elems(&v) {
        let t = x.ty();
        if t.is_list() || t.is_set() || t.is_tuple() {
            if !x.is_known() {
                return Ok(false);
            }
            if !flatten_into(x, out, marks)? {
                return Ok(false);
            }
        } else {
            if out.len() >= MAX_ELEMENTS {
                return Err(FuncError::arg(
                    0,
                    format!("the flattened list would have more than {MAX_ELEMENTS} elements"),
                ));
            }
            out.push(x.clone());
        }
    }
    Ok(true)
}

fn flatten_ret(a: &[Value]) -> Result<Type, FuncError> {
    let l = arg(a, 0);
    let t = l.ty();
    if !(t.is_list() || t.is_set() || t.is_tuple()) {
        return Err(FuncError::new("can only flatten lists, sets and tuples"));
    }
    if !l.is_wholly_known() {
        return Ok(Type::Dynamic);
    }
    let mut out = Vec::new();
    let mut m = Marks::NONE;
    if !flatten_into(l, &mut out, &mut m)? {
        return Ok(Type::Dynamic);
    }
    Ok(Type::tuple(out.iter().map(Value::ty).collect()))
}

fn flatten_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = flatten_ret(a)?;
    let mut out = Vec::new();
    let mut m = Marks::NONE;
    if rt.is_dynamic() || !flatten_into(arg(a, 0), &mut out, &mut m)? {
        return Ok(Value::unknown_dynamic().mark(m));
    }
    Ok(Value::tuple(out).mark(m))
}

// ---- keys / values / length / lookup ----

fn keys_ret(a: &[Value]) -> Result<Type, FuncError> {
    match arg(a, 0).ty() {
        Type::Map(_) => Ok(Type::list(Type::String)),
        Type::Object(at) => Ok(Type::tuple(vec![Type::String; at.len()])),
        Type::Dynamic => Ok(Type::Dynamic),
        _ => Err(FuncError::arg(0, "must have map or object type")),
    }
}

fn keys_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = keys_ret(a)?;
    let (m, marks) = arg(a, 0).clone().unmark();
    if !m.is_known() {
        return Ok(Value::unknown(rt).mark(marks));
    }
    let ks: Vec<Value> = m
        .entries()
        .map(|e| e.keys().map(|k| Value::string(k.as_str())).collect())
        .unwrap_or_default();
    Ok(match rt {
        Type::List(_) => Value::list(Type::String, ks),
        _ => Value::tuple(ks),
    }
    .mark(marks))
}

fn values_ret(a: &[Value]) -> Result<Type, FuncError> {
    match arg(a, 0).ty() {
        Type::Map(e) => Ok(Type::list((*e).clone())),
        Type::Object(at) => Ok(Type::tuple(at.values().cloned().collect())),
        _ => Err(FuncError::new(
            "values() requires a map as the first argument",
        )),
    }
}

fn values_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = values_ret(a)?;
    let (m, marks) = arg(a, 0).clone().unmark();
    if !m.is_known() {
        return Ok(Value::unknown(rt).mark(marks));
    }
    let vs: Vec<Value> = m
        .entries()
        .map(|e| e.values().cloned().collect())
        .unwrap_or_default();
    Ok(match rt {
        Type::List(e) => Value::list((*e).clone(), vs),
        _ => Value::tuple(vs),
    }
    .mark(marks))
}

fn length_ret(a: &[Value]) -> Result<Type, FuncError> {
    let t = arg(a, 0).ty();
    if t.is_collection() || t.is_structural() || t == Type::String || t.is_dynamic() {
        Ok(Type::Number)
    } else {
        Err(FuncError::arg(
            0,
            "argument must be a string, a collection type, or a structural type",
        ))
    }
}

fn length_impl(a: &[Value]) -> Result<Value, FuncError> {
    let (v, marks) = arg(a, 0).clone().unmark();
    let n = match v.ty() {
        // A tuple's or an object's length is in its type, known or not (cty's `Length`).
        Type::Tuple(ts) => ts.len(),
        Type::Object(at) => at.len(),
        _ if !v.is_known() => return Ok(Value::unknown(Type::Number)),
        // Grapheme clusters, as cty counts them (a flag or a family emoji is one).
        Type::String => v.as_str().map_or(0, |s| s.graphemes(true).count()),
        Type::Set(_) if !v.is_wholly_known() => return Ok(Value::unknown(Type::Number).mark(marks)),
        _ => v.length().unwrap_or(0),
    };
    Ok(Value::int(n as i64).mark(marks))
}

fn lookup_ret(a: &[Value]) -> Result<Type, FuncError> {
    if a.len() < 2 || a.len() > 3 {
        return Err(FuncError::new(format!(
            "lookup() takes two or three arguments, got {}",
            a.len()
        )));
    }
    let m = arg(a, 0).clone().unmark_deep().0;
    match m.ty() {
        Type::Object(at) => {
            let key = arg(a, 1);
            let Some(k) = key.as_str() else {
                return Ok(Type::Dynamic);
            };
            if let Some(t) = at.get(k) {
                return Ok(t.clone());
            }
            if a.len() == 3 {
                return Ok(arg(a, 2).ty());
            }
            Err(FuncError::arg(
                0,
                format!("the given object has no attribute {}", go_quote(k)),
            ))
        }
        Type::Map(e) => {
            if a.len() == 3 && convert(arg(a, 2), &e).is_err() {
                return Err(FuncError::arg(
                    2,
                    "the default value must have the same type as the map elements",
                ));
            }
            Ok((*e).clone())
        }
        _ => Err(FuncError::arg(
            0,
            "lookup() requires a map as the first argument",
        )),
    }
}

fn lookup_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = lookup_ret(a)?;
    let mut marks = Marks::NONE;
    let mut un = |v: &Value| {
        let (v, m) = v.clone().unmark();
        marks |= m;
        v
    };
    let m = un(arg(a, 0));
    let key = un(arg(a, 1));
    let default = if a.len() == 3 {
        Some(un(arg(a, 2)))
    } else {
        None
    };
    if !m.is_wholly_known() || !key.is_known() {
        return Ok(Value::unknown(rt).mark(marks));
    }
    let k = key.as_str().unwrap_or("");
    if let Some(v) = m.get_key(k) {
        return Ok(v.clone().mark(marks));
    }
    if let Some(d) = default {
        let d = convert(&d, &rt).map_err(|e| FuncError::new(e.message))?;
        return Ok(d.mark(marks));
    }
    Err(FuncError::new(format!("lookup failed to find '{k}'")))
}

// ---- matchkeys ----

fn matchkeys_ret(a: &[Value]) -> Result<Type, FuncError> {
    if unify(&[arg(a, 1).ty(), arg(a, 2).ty()]).is_none() {
        return Err(FuncError::new(
            "keys and searchset must be of the same type",
        ));
    }
    Ok(arg(a, 0).ty())
}

fn matchkeys_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = matchkeys_ret(a)?;
    let et = rt.element_type().cloned().unwrap_or(Type::Dynamic);
    let vals = elems(arg(a, 0));
    let keys = arg(a, 1);
    if vals.len() != keys.length().unwrap_or(0) {
        return Err(FuncError::new("length of keys and values should be equal"));
    }
    if vals.is_empty() {
        return Ok(Value::empty_list(et));
    }
    let kt = unify(&[keys.ty(), arg(a, 2).ty()]).unwrap_or(Type::Dynamic);
    let keys = convert(keys, &kt).map_err(|e| FuncError::new(e.message))?;
    let search = convert(arg(a, 2), &kt).map_err(|e| FuncError::new(e.message))?;
    let mut out = Vec::new();
    for (i, k) in elems(&keys).iter().enumerate() {
        for s in elems(&search) {
            let eq = k.equals(s).unmark().0;
            match eq.as_bool() {
                None => return Ok(Value::unknown(rt)),
                Some(true) => {
                    if let Some(v) = vals.get(i) {
                        out.push(v.clone());
                    }
                    break;
                }
                Some(false) => {}
            }
        }
    }
    Ok(Value::list(et, out))
}

// ---- merge ----

fn merge_ret(a: &[Value]) -> Result<Type, FuncError> {
    if a.is_empty() {
        return Ok(Type::empty_object());
    }
    let mut attrs: std::collections::BTreeMap<String, Type> = Default::default();
    let mut first: Option<Type> = None;
    let mut matching = true;
    let mut known = true;
    for v in a {
        let t = v.ty();
        if t.is_dynamic() {
            return Ok(Type::Dynamic);
        }
        if !t.is_map() && !t.is_object() {
            return Err(FuncError::new(format!(
                "arguments must be maps or objects, got {}",
                go_quote(&t.friendly_name())
            )));
        }
        let u = v.clone().unmark().0;
        match &t {
            Type::Object(at) if !u.is_null() => {
                for (k, x) in at.iter() {
                    attrs.insert(k.clone(), x.clone());
                }
            }
            Type::Map(e) => {
                if u.is_null() {
                } else if u.is_known() {
                    for k in u.entries().map(|e| e.keys()).into_iter().flatten() {
                        attrs.insert(k.clone(), (**e).clone());
                    }
                } else {
                    known = false;
                }
            }
            _ => {}
        }
        match &first {
            None => first = Some(t),
            Some(f) if *f != t => matching = false,
            _ => {}
        }
    }
    if matching {
        return Ok(first.unwrap_or_else(Type::empty_object));
    }
    if !known {
        return Ok(Type::Dynamic);
    }
    Ok(Type::object(attrs))
}

fn merge_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = merge_ret(a)?;
    let mut marks = Marks::NONE;
    let mut out: Vec<(String, Value)> = Vec::new();
    for v in a {
        if v.is_null() {
            continue;
        }
        let (v, m) = v.clone().unmark();
        marks |= m;
        if !v.is_known() {
            return Ok(Value::unknown(rt).mark(marks));
        }
        for (k, x) in v.entries().into_iter().flatten() {
            out.retain(|(ok, _)| ok != k);
            out.push((k.clone(), x.clone()));
        }
    }
    Ok(match &rt {
        Type::Map(e) => {
            if out.is_empty() {
                Value::map((**e).clone(), Vec::new())
            } else {
                Value::map((**e).clone(), out)
            }
        }
        _ => Value::object(out),
    }
    .mark(marks))
}

// ---- one ----

const ONE_MSG: &str = "must be a list, set, or tuple value with either zero or one elements";

fn one_ret(a: &[Value]) -> Result<Type, FuncError> {
    match arg(a, 0).ty() {
        Type::List(e) | Type::Set(e) => Ok((*e).clone()),
        Type::Tuple(ts) => match ts.len() {
            0 => Ok(Type::Dynamic),
            1 => Ok(ts[0].clone()),
            _ => Err(FuncError::arg(0, ONE_MSG)),
        },
        _ => Err(FuncError::arg(0, ONE_MSG)),
    }
}

fn one_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = one_ret(a)?;
    let v = arg(a, 0);
    if !v.is_known() {
        return Ok(Value::unknown(rt));
    }
    if v.is_null() {
        return Err(FuncError::arg(0, "argument must not be null"));
    }
    match elems(v) {
        [] => Ok(Value::null(rt)),
        [x] => Ok(x.clone()),
        _ => Err(FuncError::arg(0, ONE_MSG)),
    }
}

// ---- range ----

fn range_impl(a: &[Value]) -> Result<Value, FuncError> {
    let nums: Vec<&Number> = a.iter().filter_map(Value::as_number).collect();
    let zero = Number::zero();
    let one = Number::from_i64(1);
    let mone = Number::from_i64(-1);
    let (start, end, step): (&Number, &Number, &Number) = match nums.as_slice() {
        [e] => (&zero, *e, if e.is_negative() { &mone } else { &one }),
        [s, e] => (*s, *e, if e.cmp_num(s).is_lt() { &mone } else { &one }),
        [s, e, st] => (*s, *e, *st),
        _ => return Err(FuncError::new("must have one, two, or three arguments")),
    };
    if step.is_zero() {
        return Err(FuncError::arg(2, "step must not be zero"));
    }
    let down = step.is_negative();
    if down && end.cmp_num(start).is_gt() {
        return Err(FuncError::arg(
            1,
            "end must be less than start when step is negative",
        ));
    }
    if !down && end.cmp_num(start).is_lt() {
        return Err(FuncError::arg(
            1,
            "end must be greater than start when step is positive",
        ));
    }
    let mut vals = Vec::new();
    let mut n = start.clone();
    loop {
        let c = n.cmp_num(end);
        if (down && c.is_le()) || (!down && c.is_ge()) {
            break;
        }
        if vals.len() >= 1024 {
            return Err(FuncError::new("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"));
        }
        vals.push(Value::number(n.clone()));
        n = n.add(step).map_err(|e| FuncError::new(e.to_string()))?;
    }
    Ok(Value::list(Type::Number, vals))
}

// ---- sets ----

fn set_ret(a: &[Value]) -> Result<Type, FuncError> {
    let ts: Vec<Type> = a.iter().map(Value::ty).collect();
    match unify(&ts) {
        Some(t) => Ok(t),
        None => Err(FuncError::new(
            "given sets must all have compatible element types",
        )),
    }
}

fn set_args(a: &[Value]) -> Result<(Type, Vec<Vec<Value>>), FuncError> {
    let rt = set_ret(a)?;
    let mut out = Vec::with_capacity(a.len());
    for (i, v) in a.iter().enumerate() {
        let c = convert(v, &rt).map_err(|e| FuncError::arg(i, e.message))?;
        out.push(elems(&c).to_vec());
    }
    Ok((rt, out))
}

fn set_result(rt: &Type, items: Vec<Value>) -> Value {
    let et = rt.element_type().cloned().unwrap_or(Type::Dynamic);
    Value::set(et, items)
}

fn contains_raw(xs: &[Value], v: &Value) -> bool {
    xs.iter().any(|x| x.raw_equal(v))
}

fn set_unknowns(a: &[Value], rt: &Type) -> Option<Value> {
    if a.iter().any(|v| !v.is_wholly_known()) {
        return Some(Value::unknown(rt.clone()));
    }
    None
}

fn setunion_impl(a: &[Value]) -> Result<Value, FuncError> {
    let (rt, sets) = set_args(a)?;
    if let Some(u) = set_unknowns(a, &rt) {
        return Ok(u);
    }
    Ok(set_result(&rt, sets.into_iter().flatten().collect()))
}

fn setintersection_impl(a: &[Value]) -> Result<Value, FuncError> {
    let (rt, sets) = set_args(a)?;
    if let Some(u) = set_unknowns(a, &rt) {
        return Ok(u);
    }
    let mut it = sets.into_iter();
    let first = it.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = it.collect();
    let items = first
        .into_iter()
        .filter(|v| rest.iter().all(|s| contains_raw(s, v)))
        .collect();
    Ok(set_result(&rt, items))
}

fn setsubtract_impl(a: &[Value]) -> Result<Value, FuncError> {
    let (rt, sets) = set_args(a)?;
    if let Some(u) = set_unknowns(a, &rt) {
        return Ok(u);
    }
    let mut it = sets.into_iter();
    let first = it.next().unwrap_or_default();
    let other = it.next().unwrap_or_default();
    let items = first
        .into_iter()
        .filter(|v| !contains_raw(&other, v))
        .collect();
    Ok(set_result(&rt, items))
}

fn setproduct_ret(a: &[Value]) -> Result<Type, FuncError> {
    if a.len() < 2 {
        return Err(FuncError::new("at least two arguments are required"));
    }
    let mut all_sets = true;
    let mut etys = Vec::with_capacity(a.len());
    for (i, v) in a.iter().enumerate() {
        let t = v.clone().unmark_deep().0.ty();
        match &t {
            Type::Set(e) => etys.push((**e).clone()),
            Type::List(e) => {
                all_sets = false;
                etys.push((**e).clone());
            }
            Type::Tuple(ts) => {
                all_sets = false;
                match unify_safe(ts) {
                    Some(e) => etys.push(e),
                    None if ts.is_empty() => etys.push(Type::Dynamic),
                    None => return Err(FuncError::arg(i, "all elements must be of the same type")),
                }
            }
            Type::Dynamic => return Ok(Type::Dynamic),
            _ => return Err(FuncError::arg(i, "a set or a list is required")),
        }
    }
    let t = Type::tuple(etys);
    Ok(if all_sets {
        Type::set(t)
    } else {
        Type::list(t)
    })
}

fn setproduct_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = setproduct_ret(a)?;
    let et = rt.element_type().cloned().unwrap_or(Type::Dynamic);
    let etys: Vec<Type> = et
        .tuple_element_types()
        .map(<[Type]>::to_vec)
        .unwrap_or_default();
    let mut marks = Marks::NONE;
    let mut lists: Vec<Vec<Value>> = Vec::new();
    for (i, v) in a.iter().enumerate() {
        let (v, m) = v.clone().unmark();
        marks |= m;
        if !v.is_known() {
            return Ok(Value::unknown(rt).mark(marks));
        }
        let mut xs = Vec::new();
        for x in elems(&v) {
            let t = etys.get(i).cloned().unwrap_or(Type::Dynamic);
            xs.push(convert(x, &t).map_err(|e| FuncError::arg(i, e.message))?);
        }
        lists.push(xs);
    }
    // Every element is a tuple of one value per argument: count them all, without overflow,
    // blaming the argument that takes the product over the limit.
    let mut total = 1usize;
    for (i, l) in lists.iter().enumerate() {
        total = total.saturating_mul(l.len());
        if total.saturating_mul(lists.len()) > MAX_ELEMENTS {
            return Err(FuncError::arg(
                i,
                format!(
                    "the product of the given sets is too large: more than {MAX_ELEMENTS} values"
                ),
            ));
        }
    }
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for l in &lists {
        let mut next = Vec::with_capacity(out.len() * l.len());
        for prefix in &out {
            for x in l {
                let mut p = prefix.clone();
                p.push(x.clone());
                next.push(p);
            }
        }
        out = next;
    }
    let tuples: Vec<Value> = out.into_iter().map(Value::tuple).collect();
    Ok(if rt.is_set() {
        Value::set(et, tuples)
    } else {
        Value::list(et, tuples)
    }
    .mark(marks))
}

// ---- sum / transpose / zipmap ----

const SUM_MSG: &str = "argument must be list, set, or tuple of number values";

fn sum_impl(a: &[Value]) -> Result<Value, FuncError> {
    let l = arg(a, 0);
    let t = l.ty();
    if !(t.is_list() || t.is_set() || t.is_tuple() || t.is_map() || t.is_object()) {
        return Err(FuncError::arg(0, "cannot sum noniterable"));
    }
    if l.length() == Some(0) {
        return Err(FuncError::arg(0, "cannot sum an empty list"));
    }
    if !(t.is_list() || t.is_set() || t.is_tuple()) {
        return Err(FuncError::arg(
            0,
            format!(
                "argument must be list, set, or tuple. Received {}",
                t.friendly_name()
            ),
        ));
    }
    if !l.is_wholly_known() {
        return Ok(Value::unknown(Type::Number));
    }
    let mut acc: Option<Number> = None;
    for v in elems(l) {
        if v.is_null() {
            return Err(FuncError::arg(0, SUM_MSG));
        }
        let n = convert(v, &Type::Number).map_err(|_| FuncError::arg(0, SUM_MSG))?;
        let Some(n) = n.as_number() else {
            return Err(FuncError::arg(0, SUM_MSG));
        };
        acc = Some(match acc {
            None => n.clone(),
            Some(x) => x
                .add(n)
                .map_err(|_| FuncError::new("can't compute sum of opposing infinities"))?,
        });
    }
    Ok(Value::number(acc.unwrap_or_else(Number::zero)))
}

fn transpose_impl(a: &[Value]) -> Result<Value, FuncError> {
    let m = arg(a, 0);
    let lt = Type::list(Type::String);
    let bad = || FuncError::new("input must be a map of lists of strings");
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, l) in m.entries().into_iter().flatten() {
        if !l.is_known() {
            return Ok(Value::unknown(Type::map(lt)));
        }
        if l.is_null() {
            return Err(bad());
        }
        for v in elems(l) {
            let Some(s) = v.as_str() else {
                if !v.is_known() {
                    return Ok(Value::unknown(Type::map(lt)));
                }
                return Err(bad());
            };
            match out.iter_mut().find(|(ok, _)| ok == s) {
                Some((_, ks)) => ks.push(Value::string(k.as_str())),
                None => out.push((s.to_string(), vec![Value::string(k.as_str())])),
            }
        }
    }
    let entries = out
        .into_iter()
        .map(|(k, ks)| (k, Value::list(Type::String, ks)))
        .collect();
    Ok(Value::map(lt, entries))
}

/// Each of zipmap's `keys` with the value (or the value's type) at its index.
fn zip_keys<T: Clone>(keys: &[Value], values: &[T]) -> Result<Vec<(String, T)>, FuncError> {
    if keys.len() != values.len() {
        return Err(FuncError::new(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        )));
    }
    let mut out = Vec::with_capacity(keys.len());
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        let Some(k) = k.clone().unmark().0.as_str().map(str::to_string) else {
            return Err(FuncError::new(format!(
                "keys list has null value at index {i}"
            )));
        };
        out.push((k, v.clone()));
    }
    Ok(out)
}

fn zipmap_ret(a: &[Value]) -> Result<Type, FuncError> {
    let keys = arg(a, 0);
    match arg(a, 1).ty() {
        Type::List(e) => Ok(Type::map((*e).clone())),
        Type::Tuple(ts) => {
            if !keys.is_wholly_known() {
                return Ok(Type::Dynamic);
            }
            Ok(Type::object(zip_keys(elems(keys), &ts)?))
        }
        Type::Dynamic => Ok(Type::Dynamic),
        _ => Err(FuncError::new(
            "values argument must be a list or tuple value",
        )),
    }
}

fn zipmap_impl(a: &[Value]) -> Result<Value, FuncError> {
    let rt = zipmap_ret(a)?;
    let (keys, km) = arg(a, 0).clone().unmark();
    let (vals, vm) = arg(a, 1).clone().unmark();
    let marks = km | vm;
    if !keys.is_wholly_known() || !vals.is_known() {
        return Ok(Value::unknown(rt).mark(marks));
    }
    let out = zip_keys(elems(&keys), elems(&vals))?;
    Ok(match &rt {
        Type::Map(e) => Value::map((**e).clone(), out),
        _ => Value::object(out),
    }
    .mark(marks))
}

// ---- removed functions ----

fn list_removed(_: &[Value]) -> Result<Value, FuncError> {
    Err(FuncError::new("the \"list\" function was deprecated in Terraform v0.12 and is no longer available; use tolist([ ... ]) syntax to write a literal list"))
}
fn list_removed_ret(_: &[Value]) -> Result<Type, FuncError> {
    list_removed(&[]).map(|_| Type::Dynamic)
}
fn map_removed(_: &[Value]) -> Result<Value, FuncError> {
    Err(FuncError::new("the \"map\" function was deprecated in Terraform v0.12 and is no longer available; use tomap({ ... }) syntax to write a literal map"))
}
fn map_removed_ret(_: &[Value]) -> Result<Type, FuncError> {
    map_removed(&[]).map(|_| Type::Dynamic)
}

fn same_ret(a: &[Value]) -> Result<Type, FuncError> {
    Ok(arg(a, 0).ty())
}

/// Registers this group's functions.
pub fn register(r: &mut Registry) {
    let d = |name| Param::new(name, Type::Dynamic);
    let ld = |name| Param::new(name, Type::list(Type::Dynamic));
    let n = |name| Param::new(name, Type::Number);
    let sd = |name| Param::new(name, Type::set(Type::Dynamic)).allow_dynamic_type();
    let any = |name| d(name).allow_unknown().allow_dynamic_type().allow_null();
    let bools = || Param::new("list", Type::list(Type::Bool));
    let strings = || Param::new("list", Type::list(Type::String));
    let list_of_strings = || Type::list(Type::String);
    r.register(
        "alltrue",
        Function::simple(vec![bools()], Type::Bool, alltrue_impl),
    );
    r.register(
        "anytrue",
        Function::simple(vec![bools()], Type::Bool, anytrue_impl),
    );
    r.register(
        "chunklist",
        Function::computed(
            vec![ld("list").allow_marked(), n("size").allow_marked()],
            chunklist_ret,
            chunklist_impl,
        ),
    );
    r.register(
        "coalesce",
        Function::computed(vec![], coalesce_ret, coalesce_impl).variadic(any("vals")),
    );
    r.register(
        "coalescelist",
        Function::computed(vec![], coalescelist_ret, coalescelist_impl).variadic(any("vals")),
    );
    r.register(
        "compact",
        Function::simple(vec![strings()], list_of_strings(), compact_impl),
    );
    r.register(
        "concat",
        Function::computed(vec![], concat_ret, concat_impl).variadic(d("seqs").allow_marked()),
    );
    r.register(
        "contains",
        Function::simple(vec![d("list"), d("value")], Type::Bool, contains_impl),
    );
    r.register(
        "distinct",
        Function::computed(vec![ld("list")], same_ret, distinct_impl),
    );
    r.register(
        "element",
        Function::computed(
            vec![d("list").allow_marked(), n("index")],
            element_ret,
            element_impl,
        ),
    );
    r.register(
        "flatten",
        Function::computed(vec![d("list").allow_marked()], flatten_ret, flatten_impl),
    );
    r.register(
        "index",
        Function::simple(vec![d("list"), d("value")], Type::Number, index_impl),
    );
    r.register(
        "keys",
        Function::computed(
            vec![d("inputMap").allow_unknown().allow_marked()],
            keys_ret,
            keys_impl,
        ),
    );
    r.register(
        "length",
        Function::computed(
            vec![d("value")
                .allow_unknown()
                .allow_dynamic_type()
                .allow_marked()],
            length_ret,
            length_impl,
        ),
    );
    r.register(
        "lookup",
        Function::computed(
            vec![
                d("inputMap").allow_marked(),
                Param::new("key", Type::String).allow_marked(),
            ],
            lookup_ret,
            lookup_impl,
        )
        .variadic(d("default").allow_marked()),
    );
    r.register(
        "matchkeys",
        Function::computed(
            vec![ld("values"), ld("keys"), ld("searchset")],
            matchkeys_ret,
            matchkeys_impl,
        ),
    );
    r.register(
        "merge",
        Function::computed(vec![], merge_ret, merge_impl)
            .variadic(d("maps").allow_dynamic_type().allow_null().allow_marked()),
    );
    r.register(
        "one",
        Function::computed(vec![d("list")], one_ret, one_impl),
    );
    r.register(
        "range",
        Function::simple(vec![], Type::list(Type::Number), range_impl).variadic(n("params")),
    );
    r.register(
        "reverse",
        Function::computed(vec![d("list").allow_marked()], reverse_ret, reverse_impl),
    );
    r.register(
        "setintersection",
        Function::computed(vec![sd("first_set")], set_ret, setintersection_impl)
            .variadic(sd("other_sets")),
    );
    r.register(
        "setunion",
        Function::computed(vec![sd("first_set")], set_ret, setunion_impl)
            .variadic(sd("other_sets")),
    );
    r.register(
        "setsubtract",
        Function::computed(vec![sd("a"), sd("b")], set_ret, setsubtract_impl),
    );
    r.register(
        "setproduct",
        Function::computed(vec![], setproduct_ret, setproduct_impl)
            .variadic(d("sets").allow_marked()),
    );
    r.register(
        "slice",
        Function::computed(
            vec![d("list").allow_marked(), n("start_index"), n("end_index")],
            slice_ret,
            slice_impl,
        ),
    );
    r.register(
        "sort",
        Function::simple(vec![strings()], list_of_strings(), sort_impl),
    );
    r.register(
        "sum",
        Function::simple(vec![d("list")], Type::Number, sum_impl),
    );
    r.register(
        "transpose",
        Function::simple(
            vec![Param::new("values", Type::map(list_of_strings()))],
            Type::map(list_of_strings()),
            transpose_impl,
        ),
    );
    r.register(
        "values",
        Function::computed(vec![d("values").allow_marked()], values_ret, values_impl),
    );
    r.register(
        "zipmap",
        Function::computed(
            vec![
                Param::new("keys", list_of_strings()).allow_marked(),
                d("values").allow_marked(),
            ],
            zipmap_ret,
            zipmap_impl,
        ),
    );
    r.register(
        "list",
        Function::computed(vec![], list_removed_ret, list_removed).variadic(any("vals")),
    );
    r.register(
        "map",
        Function::computed(vec![], map_removed_ret, map_removed).variadic(any("vals")),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn r(name: &str, args: Vec<Value>) -> String {
        run(name, args).replace('\n', " ")
    }

    #[test]
    fn sequences() {
        assert_eq!(
            r("concat", vec![tup(vec![n("1")]), tup(vec![s("a")])]),
            "[   1,   \"a\", ]"
        );
        assert_eq!(
            r("concat", vec![lst(vec![n("1")]), strs(&["a"])]),
            "tolist([   \"1\",   \"a\", ])"
        );
        assert_eq!(
            r("concat", vec![tup(vec![n("1")]), s("a")]),
            "ERR[1]: all arguments must be lists or tuples; got string"
        );
        assert_eq!(
            r(
                "flatten",
                vec![tup(vec![
                    tup(vec![n("1"), tup(vec![n("2")])]),
                    tup(vec![s("a")])
                ])]
            ),
            "[   1,   2,   \"a\", ]"
        );
        assert_eq!(
            r("element", vec![tup(vec![s("a"), s("b")]), n("3")]),
            "\"b\""
        );
        assert_eq!(
            r("element", vec![tup(vec![]), n("0")]),
            "ERR: cannot use element function with an empty list"
        );
        assert_eq!(
            r("element", vec![strs(&["a"]), n("-1")]),
            "ERR: cannot use element function with a negative index"
        );
        assert_eq!(
            r("chunklist", vec![strs(&["a", "b", "c"]), n("2")]),
            "tolist([   tolist([     \"a\",     \"b\",   ]),   tolist([     \"c\",   ]), ])"
        );
        assert_eq!(
            r("distinct", vec![strs(&["b", "a", "b"])]),
            "tolist([   \"b\",   \"a\", ])"
        );
        assert_eq!(
            r(
                "compact",
                vec![tup(vec![s("a"), s(""), Value::null_dynamic()])]
            ),
            "tolist([   \"a\", ])"
        );
        assert_eq!(
            r("reverse", vec![tup(vec![n("1"), s("a")])]),
            "[   \"a\",   1, ]"
        );
        assert_eq!(
            r(
                "slice",
                vec![tup(vec![s("a"), s("b"), s("c")]), n("1"), n("2")]
            ),
            "[   \"b\", ]"
        );
        assert_eq!(
            r("slice", vec![strs(&["a", "b", "c"]), n("2"), n("1")]),
            "ERR[1]: start index must not be greater than end index"
        );
        assert_eq!(
            r("sort", vec![strs(&["b", "a", "B"])]),
            "tolist([   \"B\",   \"a\",   \"b\", ])"
        );
        assert_eq!(r("sum", vec![tup(vec![n("1"), n("2.5")])]), "3.5");
        assert_eq!(
            r("sum", vec![tup(vec![])]),
            "ERR[0]: cannot sum an empty list"
        );
        assert_eq!(r("range", vec![n("3")]), "tolist([   0,   1,   2, ])");
        assert_eq!(r("range", vec![n("5"), n("3")]), "tolist([   5,   4, ])");
        assert_eq!(
            r("range", vec![n("1"), n("2"), n("0.5")]),
            "tolist([   1,   1.5, ])"
        );
        assert_eq!(
            r("range", vec![n("1"), n("5"), n("-1")]),
            "ERR[1]: end must be less than start when step is negative"
        );
        assert_eq!(
            r("index", vec![tup(vec![s("a"), s("b")]), s("c")]),
            "ERR: item not found"
        );
        assert_eq!(r("index", vec![tup(vec![s("a"), s("b")]), s("b")]), "1");
        assert_eq!(r("contains", vec![tup(vec![s("a")]), s("a")]), "true");
        assert_eq!(
            r(
                "contains",
                vec![tup(vec![s("a")]), Value::unknown(Type::String)]
            ),
            "(known after apply)"
        );
        assert_eq!(r("one", vec![tup(vec![])]), "null");
        assert_eq!(
            r("one", vec![tup(vec![n("1"), n("2")])]),
            "ERR[0]: must be a list, set, or tuple value with either zero or one elements"
        );
        assert_eq!(r("alltrue", vec![tup(vec![b(true), b(false)])]), "false");
        assert_eq!(r("anytrue", vec![tup(vec![])]), "false");
        assert_eq!(
            r(
                "anytrue",
                vec![tup(vec![b(false), Value::unknown(Type::Bool)])]
            ),
            "(known after apply)"
        );
        assert_eq!(r("coalesce", vec![s(""), s("b")]), "\"b\"");
        assert_eq!(r("coalesce", vec![n("1"), s("x")]), "\"1\"");
        assert_eq!(
            r("coalesce", vec![n("1"), b(true)]),
            "ERR: all arguments must have the same type"
        );
        assert_eq!(
            r("coalescelist", vec![tup(vec![]), tup(vec![s("a")])]),
            "[   \"a\", ]"
        );
        assert_eq!(r("list", vec![n("1")]), "ERR: the \"list\" function was deprecated in Terraform v0.12 and is no longer available; use tolist([ ... ]) syntax to write a literal list");
        assert_eq!(r("length", vec![s("e\u{301}x")]), "2");
        assert_eq!(
            r("length", vec![strs(&["a"]).mark_sensitive()]),
            "(sensitive)"
        );
        assert_eq!(
            r(
                "length",
                vec![Value::unknown(Type::tuple(vec![Type::String]))]
            ),
            "1"
        );
    }

    #[test]
    fn maps_and_sets() {
        let o = obj(vec![("b", n("1")), ("a", s("x"))]);
        assert_eq!(r("keys", vec![o.clone()]), "[   \"a\",   \"b\", ]");
        assert_eq!(r("values", vec![o.clone()]), "[   \"x\",   1, ]");
        assert_eq!(
            r("lookup", vec![obj(vec![("a", n("1"))]), s("b"), s("x")]),
            "\"x\""
        );
        assert_eq!(
            r("lookup", vec![obj(vec![("a", n("1"))]), s("b")]),
            "ERR[0]: the given object has no attribute \"b\""
        );
        assert_eq!(
            r("lookup", vec![smap(vec![("a", n("1"))]), s("b")]),
            "ERR: lookup failed to find 'b'"
        );
        assert_eq!(
            r(
                "lookup",
                vec![smap(vec![("a", n("1"))]), s("b"), tup(vec![])]
            ),
            "ERR[2]: the default value must have the same type as the map elements"
        );
        assert_eq!(
            r(
                "lookup",
                vec![smap(vec![("a", n("1"))]).mark_sensitive(), s("a")]
            ),
            "(sensitive)"
        );
        // The default converts as cty 1.9 converts ("1" is a bool).
        assert_eq!(
            r("lookup", vec![smap(vec![("a", b(true))]), s("b"), s("1")]),
            "true"
        );
        assert_eq!(
            r(
                "matchkeys",
                vec![
                    strs(&["a", "b"]),
                    tup(vec![n("1"), n("2")]),
                    tup(vec![n("2")])
                ]
            ),
            "tolist([   \"b\", ])"
        );
        assert_eq!(
            r(
                "merge",
                vec![obj(vec![("a", n("1"))]), obj(vec![("b", s("x"))])]
            ),
            "{   \"a\" = 1   \"b\" = \"x\" }"
        );
        assert_eq!(
            r(
                "merge",
                vec![smap(vec![("a", n("1"))]), smap(vec![("b", n("2"))])]
            ),
            "tomap({   \"a\" = 1   \"b\" = 2 })"
        );
        assert_eq!(
            r("merge", vec![obj(vec![("a", n("1"))]), n("3")]),
            "ERR: arguments must be maps or objects, got \"number\""
        );
        assert_eq!(r("transpose", vec![obj(vec![("a", strs(&["1", "2"])), ("b", strs(&["2"]))])]), "tomap({   \"1\" = tolist([     \"a\",   ])   \"2\" = tolist([     \"a\",     \"b\",   ]) })");
        assert_eq!(
            r("zipmap", vec![strs(&["a", "b"]), tup(vec![n("1"), s("x")])]),
            "{   \"a\" = 1   \"b\" = \"x\" }"
        );
        assert_eq!(
            r("zipmap", vec![strs(&["a"]), tup(vec![n("1"), n("2")])]),
            "ERR: number of keys (1) does not match number of values (2)"
        );
        assert_eq!(
            r("setintersection", vec![strs(&["a", "b"]), strs(&["b"])]),
            "toset([   \"b\", ])"
        );
        assert_eq!(
            r("setunion", vec![tup(vec![n("1")]), tup(vec![s("a")])]),
            "toset([   \"1\",   \"a\", ])"
        );
        assert_eq!(
            r("setsubtract", vec![strs(&["a", "b"]), strs(&["b"])]),
            "toset([   \"a\", ])"
        );
        assert_eq!(
            r("setproduct", vec![strs(&["a", "b"]), tup(vec![n("1")])]),
            "tolist([   [     \"a\",     1,   ],   [     \"b\",     1,   ], ])"
        );
    }

    #[test]
    fn setproduct_counts_every_value_of_its_result_without_overflow() {
        let pair = || tup(vec![n("1"), n("2")]);
        // 2^20 tuples of 20 values: over the limit, blamed on the argument that takes it over
        // (the 16th: 2^16 * 20 values).
        let e = call_err("setproduct", &vec![pair(); 20]);
        assert_eq!(e.arg, Some(15));
        assert!(e.message.contains("more than 1000000 values"), "{e:?}");
        // A product that would overflow usize is the same error, not a panic.
        let big: Vec<Value> = (0..1024).map(Value::int).collect();
        let e = call_err("setproduct", &vec![tup(big); 10]);
        assert_eq!(e.arg, Some(1));
        let v = call("setproduct", &vec![pair(); 4]).expect("16 tuples");
        assert_eq!(v.length(), Some(16));
    }
}
