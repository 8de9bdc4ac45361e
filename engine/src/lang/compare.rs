//! Whether a later value keeps the promises of a planned one: the final plan made at apply time
//! against the saved plan, or the object a provider returned against its planned state
//! (Terraform's "Provider produced inconsistent final plan" / "... inconsistent result after
//! apply" checks).

use super::types::Type;
use super::value::{go_quote, Attrs, Kind, Value};
use std::collections::BTreeSet;

/// The first path (`tags["pw"]`, `ingress[0].cidr_blocks`; the empty string for the value
/// itself) where `planned` is known and `actual` differs from it, or `None` when `actual` is
/// consistent with `planned`.
///
/// An unknown in `planned` matches anything of its type (`dynamic` matches any type); a known
/// value must be equal (numbers numerically), so null against non-null is a difference, and so is
/// a known planned value against an unknown one. Sensitive marks are ignored. A set is consistent
/// when every planned element matches some actual element and every actual element some planned
/// one; a difference inside a set is reported at the set.
pub fn known_paths_conflict(planned: &Value, actual: &Value) -> Option<String> {
    let mut path = String::new();
    conflict(planned, actual, &mut path).then_some(path)
}

/// Whether `p` and `a` conflict; if so `path` ends with where.
fn conflict(p: &Value, a: &Value, path: &mut String) -> bool {
    if !p.is_known() {
        return !conforms(&p.ty(), &a.ty());
    }
    if !a.is_known() {
        return true;
    }
    match (p.is_null(), a.is_null()) {
        (true, true) => return !conforms(&p.ty(), &a.ty()),
        (true, false) | (false, true) => return true,
        (false, false) => {}
    }
    let elems_conform = || match (p.ty().element_type(), a.ty().element_type()) {
        (Some(x), Some(y)) => conforms(x, y),
        _ => false,
    };
    match (p.kind(), a.kind()) {
        (Kind::Bool(x), Kind::Bool(y)) => x != y,
        (Kind::Number(x), Kind::Number(y)) => !x.eq_num(y),
        (Kind::String(x), Kind::String(y)) => x != y,
        (Kind::List(xs), Kind::List(ys)) => !elems_conform() || seq_conflict(xs, ys, path),
        (Kind::Tuple(xs), Kind::Tuple(ys)) => seq_conflict(xs, ys, path),
        (Kind::Set(xs), Kind::Set(ys)) => !elems_conform() || set_conflict(xs, ys),
        (Kind::Map(xs), Kind::Map(ys)) => {
            !elems_conform() || entries_conflict(xs, ys, path, key_step)
        }
        (Kind::Object(xs), Kind::Object(ys)) => entries_conflict(xs, ys, path, attr_step),
        _ => true,
    }
}

/// Whether a value of type `actual` can stand where `planned` was promised.
fn conforms(planned: &Type, actual: &Type) -> bool {
    match (planned, actual) {
        (Type::Dynamic, _) => true,
        (Type::List(x), Type::List(y))
        | (Type::Set(x), Type::Set(y))
        | (Type::Map(x), Type::Map(y)) => conforms(x, y),
        (Type::Tuple(xs), Type::Tuple(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys.iter()).all(|(x, y)| conforms(x, y))
        }
        (Type::Object(xs), Type::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys.iter())
                    .all(|((kx, x), (ky, y))| kx == ky && conforms(x, y))
        }
        _ => planned == actual,
    }
}

fn seq_conflict(xs: &[Value], ys: &[Value], path: &mut String) -> bool {
    if xs.len() != ys.len() {
        return true;
    }
    let len = path.len();
    for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
        path.push_str(&format!("[{i}]"));
        if conflict(x, y, path) {
            return true;
        }
        path.truncate(len);
    }
    false
}

fn entries_conflict(
    xs: &Attrs,
    ys: &Attrs,
    path: &mut String,
    step: impl Fn(&str, &mut String),
) -> bool {
    let len = path.len();
    let keys: BTreeSet<&String> = xs.keys().chain(ys.keys()).collect();
    for k in keys {
        step(k, path);
        match (xs.get(k), ys.get(k)) {
            (Some(x), Some(y)) if !conflict(x, y, path) => path.truncate(len),
            _ => return true,
        }
    }
    false
}

fn set_conflict(xs: &[Value], ys: &[Value]) -> bool {
    let matches = |p: &Value, a: &Value| !conflict(p, a, &mut String::new());
    // Equal sets hold their elements in the same (canonical) order.
    if xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| matches(x, y)) {
        return false;
    }
    !(xs.iter().all(|x| ys.iter().any(|y| matches(x, y)))
        && ys.iter().all(|y| xs.iter().any(|x| matches(x, y))))
}

fn attr_step(name: &str, path: &mut String) {
    let mut chars = name.chars();
    let ident = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !ident {
        key_step(name, path);
        return;
    }
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

fn key_step(key: &str, path: &mut String) {
    path.push('[');
    path.push_str(&go_quote(key));
    path.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::number::Number;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn n(x: &str) -> Value {
        Value::number(Number::parse(x).expect("number"))
    }
    fn obj(attrs: Vec<(&str, Value)>) -> Value {
        Value::object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    fn strings(xs: &[&str]) -> Vec<Value> {
        xs.iter().map(|x| s(x)).collect()
    }
    fn conflict_at(p: &Value, a: &Value) -> Option<String> {
        known_paths_conflict(p, a)
    }

    fn bucket(pw: Value, cidr: Value, name: Value) -> Value {
        obj(vec![
            ("bucket", name),
            (
                "tags",
                Value::map(
                    Type::String,
                    vec![("pw".into(), pw), ("team".into(), s("a"))],
                ),
            ),
            (
                "ingress",
                Value::list(
                    Type::object([("cidr_blocks".to_string(), Type::list(Type::String))]),
                    vec![obj(vec![("cidr_blocks", cidr)])],
                ),
            ),
        ])
    }

    #[test]
    fn reports_the_first_known_difference() {
        let cidr = || Value::list(Type::String, strings(&["10.0.0.0/8"]));
        let planned = bucket(
            s("x").mark_sensitive(),
            cidr(),
            Value::unknown(Type::String),
        );
        // Same, ignoring marks; the unknown bucket name matches anything.
        assert_eq!(conflict_at(&planned, &bucket(s("x"), cidr(), s("b"))), None);
        assert_eq!(conflict_at(&planned, &planned), None);
        assert_eq!(
            conflict_at(&planned, &bucket(s("y"), cidr(), s("b"))),
            Some("tags[\"pw\"]".into())
        );
        let other = Value::list(Type::String, strings(&["0.0.0.0/0"]));
        assert_eq!(
            conflict_at(&planned, &bucket(s("x"), other, s("b"))),
            Some("ingress[0].cidr_blocks[0]".into())
        );
        let longer = Value::list(Type::String, strings(&["10.0.0.0/8", "1.1.1.1/32"]));
        assert_eq!(
            conflict_at(&planned, &bucket(s("x"), longer, s("b"))),
            Some("ingress[0].cidr_blocks".into())
        );
        // Null against known, known against unknown.
        let null = Value::null(Type::list(Type::String));
        assert_eq!(
            conflict_at(&planned, &bucket(s("x"), null.clone(), s("b"))),
            Some("ingress[0].cidr_blocks".into())
        );
        assert_eq!(
            conflict_at(
                &bucket(s("x"), null, s("b")),
                &bucket(s("x"), cidr(), s("b"))
            ),
            Some("ingress[0].cidr_blocks".into())
        );
        assert_eq!(
            conflict_at(&bucket(s("x"), cidr(), s("b")), &planned),
            Some("bucket".into())
        );
        // The whole value.
        assert_eq!(conflict_at(&s("a"), &s("b")), Some(String::new()));
        assert_eq!(
            conflict_at(&s("a"), &Value::null(Type::String)),
            Some(String::new())
        );
        assert_eq!(
            conflict_at(&Value::null(Type::String), &Value::null(Type::String)),
            None
        );
    }

    #[test]
    fn keys_and_attributes() {
        let m = |pairs: Vec<(&str, Value)>| {
            Value::map(
                Type::Number,
                pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            )
        };
        // A key only in actual, and only in planned.
        assert_eq!(
            conflict_at(
                &m(vec![("a", n("1"))]),
                &m(vec![("a", n("1")), ("b", n("2"))])
            ),
            Some("[\"b\"]".into())
        );
        assert_eq!(
            conflict_at(
                &m(vec![("a", n("1")), ("b", n("2"))]),
                &m(vec![("b", n("2"))])
            ),
            Some("[\"a\"]".into())
        );
        // Numbers compare by value; odd attribute names are quoted.
        assert_eq!(
            conflict_at(&m(vec![("a", n("1.0"))]), &m(vec![("a", n("1"))])),
            None
        );
        let o = |v| obj(vec![("odd key", Value::tuple(vec![v]))]);
        assert_eq!(
            conflict_at(&o(n("1")), &o(n("2"))),
            Some("[\"odd key\"][0]".into())
        );
        // Types: an unknown matches only values of its type, unless dynamic.
        assert_eq!(
            conflict_at(&Value::unknown(Type::String), &n("1")),
            Some(String::new())
        );
        assert_eq!(conflict_at(&Value::unknown_dynamic(), &n("1")), None);
        assert_eq!(
            conflict_at(
                &Value::empty_list(Type::String),
                &Value::empty_list(Type::Number)
            ),
            Some(String::new())
        );
        assert_eq!(conflict_at(&s("1"), &n("1")), Some(String::new()));
    }

    #[test]
    fn sets_match_element_by_element() {
        let set = |xs: Vec<Value>| Value::set(Type::String, xs);
        let known = set(strings(&["a", "b"]));
        assert_eq!(conflict_at(&known, &set(strings(&["b", "a"]))), None);
        assert_eq!(
            conflict_at(&known, &set(strings(&["a", "c"]))),
            Some(String::new())
        );
        assert_eq!(
            conflict_at(&known, &set(strings(&["a"]))),
            Some(String::new())
        );
        // An unknown element may turn out to be any element, even one already there.
        let partly = set(vec![s("a"), Value::unknown(Type::String)]);
        assert_eq!(conflict_at(&partly, &set(strings(&["a", "z"]))), None);
        assert_eq!(conflict_at(&partly, &set(strings(&["a"]))), None);
        assert_eq!(
            conflict_at(&partly, &set(strings(&["b", "z"]))),
            Some(String::new())
        );
        let inside = obj(vec![("ports", set(strings(&["a"])))]);
        assert_eq!(
            conflict_at(&inside, &obj(vec![("ports", set(strings(&["b"])))])),
            Some("ports".into())
        );
    }
}
