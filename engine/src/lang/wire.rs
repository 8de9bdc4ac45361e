//! The lossless serde encoding of [`Type`]s and [`Value`]s, for saved plans (JSON in practice:
//! the impls go through `serde_json::Value`, so any serde format works, but JSON is the one
//! read and written).
//!
//! # Types
//!
//! Terraform's JSON encoding of types, as [`Type::to_json`] writes it: `"string"`, `"number"`,
//! `"bool"`, `"dynamic"`, `["list",T]`, `["set",T]`, `["map",T]`, `["tuple",[T,...]]`,
//! `["object",{"name":T,...}]`.
//!
//! # Values
//!
//! A value is an object holding its type once, its data below it in a cty-JSON-like form, and
//! the paths of its unknown, sensitive and declassified parts:
//!
//! ```json
//! {"type": ["object",{"id":"string","port":"number","tags":["map","string"]}],
//!  "value": {"id": null, "port": "8080", "tags": {"pw": "hunter2"}},
//!  "unknown": [["id"]],
//!  "sensitive": [["tags","pw"]]}
//! ```
//!
//! * `type`: the value's type ([`Value::ty`]).
//! * `value`: the data, read against the type. `null` is a null *or unknown* value of the type at
//!   that position (the `unknown` paths tell which); `true`/`false`; strings as JSON strings;
//!   numbers as decimal strings (below); lists, sets and tuples as arrays (set elements in their
//!   stored order); maps and objects as JSON objects. Where the type says `dynamic` (the element
//!   type of a `list(dynamic)`, a `dynamic` attribute in an element type, or the whole value when
//!   it is an untyped null or unknown) the data carries its own type, `{"type":T,"value":DATA}`,
//!   as Terraform writes dynamic attributes in its state; paths see through this wrapper.
//! * `unknown`, `sensitive`, `declassified` (left out when empty; `declassified`: the parts that
//!   went through `nonsensitive()`): paths from the top of the value, in the order
//!   of a depth-first walk. A path is an array of steps: a string is an attribute name or a map
//!   key, an integer the index of a list, tuple or set element (in stored order); `[]` is the
//!   value itself. Marks are kept at every depth: a sensitive map holding a sensitive element
//!   lists both `[]` and `["key"]`.
//! * Numbers: a decimal string, no f64 anywhere: the shortest decimal that reads back as the
//!   same number at the number's binary precision, as Terraform prints numbers
//!   ([`Number::text_f`]: `"0.1"`, `"-0"`, `"+Inf"`, `1e400` written out in full), or, in the
//!   rare cases where that misses (just below a power of two), enough digits in exponent form
//!   (`"4.94065645841246544e-324"`); followed by `@` and the precision when it is not the 512
//!   bits of parsed numbers: `"3@64"` (an integer a function such as `length` made), `"0.1@53"`
//!   (made from a float64). A number comes back exactly, and prints and computes as it did.
//!
//! Sensitive values are written in clear, like Terraform's plan files: a saved plan may hold
//! secrets.
//!
//! # Limits
//!
//! Reading is strict: unknown fields, data that does not fit its type, a path that names nothing
//! are errors, never panics. Inside one encoded value (types included) JSON arrays and objects
//! nest at most [`MAX_DEPTH`] deep, both when writing (a deeper value is an error, not a file
//! that cannot be read) and when reading (so reading stays within the stack whatever produced
//! the input); serde_json itself stops at 128 levels for a whole document. Nothing is sized from
//! a number in the input; a number's text is at most [`MAX_NUMBER_LEN`] bytes and its precision
//! at most [`MAX_PREC`] bits.

use super::number::{Number, PARSE_PREC};
use super::types::Type;
use super::value::{Kind, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value as J};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How deep JSON arrays and objects may nest inside one encoded value.
pub const MAX_DEPTH: usize = 96;
/// The largest binary precision of a number.
pub const MAX_PREC: u32 = 1 << 20;
/// The longest text of a number.
pub const MAX_NUMBER_LEN: usize = 200_000;

impl Serialize for Type {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        type_to_json(self, 0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Type {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Type, D::Error> {
        let j = J::deserialize(d)?;
        type_from_json(&j, 0).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        value_to_json(self)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        let j = J::deserialize(d)?;
        value_from_json(&j).map_err(serde::de::Error::custom)
    }
}

/// A value in the encoding described in the module documentation.
pub fn value_to_json(v: &Value) -> Result<J, String> {
    let ty = v.ty();
    let mut enc = Enc::default();
    let mut m = Map::new();
    m.insert("type".into(), type_to_json(&ty, 1)?);
    m.insert("value".into(), enc.plain(v, &ty, 1)?);
    if !enc.unknown.is_empty() {
        m.insert("unknown".into(), J::Array(enc.unknown));
    }
    if !enc.sensitive.is_empty() {
        m.insert("sensitive".into(), J::Array(enc.sensitive));
    }
    if !enc.declassified.is_empty() {
        m.insert("declassified".into(), J::Array(enc.declassified));
    }
    Ok(J::Object(m))
}

/// Reads a value written by [`value_to_json`].
pub fn value_from_json(j: &J) -> Result<Value, String> {
    let J::Object(m) = j else {
        return Err("a value must be an object {\"type\": ..., \"value\": ...}".into());
    };
    if let Some(k) = m.keys().find(|k| {
        !matches!(
            k.as_str(),
            "type" | "value" | "unknown" | "sensitive" | "declassified"
        )
    }) {
        return Err(format!("unknown field {k:?} in a value"));
    }
    let ty = type_from_json(m.get("type").ok_or("a value has no \"type\"")?, 1)?;
    let data = m.get("value").ok_or("a value has no \"value\"")?;
    let mut root = Trie::default();
    add_paths(&mut root, m.get("unknown"), "unknown", |n| n.unknown = true)?;
    add_paths(&mut root, m.get("sensitive"), "sensitive", |n| {
        n.sensitive = true
    })?;
    add_paths(&mut root, m.get("declassified"), "declassified", |n| {
        n.declassified = true
    })?;
    Dec::default().plain(&ty, data, Some(&root), 1)
}

fn nest(depth: usize) -> Result<(), String> {
    if depth >= MAX_DEPTH {
        Err(format!("nested more than {MAX_DEPTH} levels deep"))
    } else {
        Ok(())
    }
}

// ---- types ----

/// [`Type::to_json`] with a bound on nesting. A container made at `depth` holds its contents at
/// `depth + 1`.
fn type_to_json(t: &Type, depth: usize) -> Result<J, String> {
    let pair = |kind: &str, inner: J| J::Array(vec![J::String(kind.into()), inner]);
    Ok(match t {
        Type::Dynamic => J::String("dynamic".into()),
        Type::Bool => J::String("bool".into()),
        Type::Number => J::String("number".into()),
        Type::String => J::String("string".into()),
        Type::List(e) | Type::Set(e) | Type::Map(e) => {
            nest(depth)?;
            let kind = match t {
                Type::List(_) => "list",
                Type::Set(_) => "set",
                _ => "map",
            };
            pair(kind, type_to_json(e, depth + 1)?)
        }
        Type::Tuple(ts) => {
            nest(depth + 1)?;
            let ts = ts.iter().map(|t| type_to_json(t, depth + 2));
            pair("tuple", J::Array(ts.collect::<Result<_, _>>()?))
        }
        Type::Object(attrs) => {
            nest(depth + 1)?;
            let mut m = Map::new();
            for (k, t) in attrs.iter() {
                m.insert(k.clone(), type_to_json(t, depth + 2)?);
            }
            pair("object", J::Object(m))
        }
    })
}

/// [`Type::from_json`] with a bound on nesting.
fn type_from_json(j: &J, depth: usize) -> Result<Type, String> {
    match j {
        J::String(s) => match s.as_str() {
            "dynamic" => Ok(Type::Dynamic),
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            other => Err(format!("invalid primitive type name {other:?}")),
        },
        J::Array(a) => {
            nest(depth)?;
            let [J::String(kind), inner] = a.as_slice() else {
                return Err("a type must be a name or a [kind, element type(s)] pair".into());
            };
            match (kind.as_str(), inner) {
                ("list", e) => Ok(Type::list(type_from_json(e, depth + 1)?)),
                ("set", e) => Ok(Type::set(type_from_json(e, depth + 1)?)),
                ("map", e) => Ok(Type::map(type_from_json(e, depth + 1)?)),
                ("tuple", J::Array(ts)) => {
                    nest(depth + 1)?;
                    let ts = ts.iter().map(|t| type_from_json(t, depth + 2));
                    Ok(Type::tuple(ts.collect::<Result<_, _>>()?))
                }
                ("object", J::Object(m)) => {
                    nest(depth + 1)?;
                    let mut attrs = BTreeMap::new();
                    for (k, t) in m {
                        attrs.insert(k.clone(), type_from_json(t, depth + 2)?);
                    }
                    Ok(Type::Object(Arc::new(attrs)))
                }
                ("tuple", _) => Err("a tuple type needs an array of element types".into()),
                ("object", _) => Err("an object type needs an object of attribute types".into()),
                (other, _) => Err(format!("invalid type kind {other:?}")),
            }
        }
        _ => Err("invalid type specification".into()),
    }
}

// ---- numbers ----

fn same_number(a: &Number, b: &Number) -> bool {
    a.eq_num(b) && a.is_neg() == b.is_neg() && a.is_inf() == b.is_inf() && a.prec() == b.prec()
}

fn number_to_text(n: &Number) -> Result<String, String> {
    let prec = n.prec();
    let reads_back = |text: &str| {
        text.len() <= MAX_NUMBER_LEN
            && (1..=MAX_PREC).contains(&prec)
            && Number::parse_with_prec(text, prec).is_some_and(|b| same_number(&b, n))
    };
    let mut text = n.text_f();
    if !reads_back(&text) {
        // Go's shortest printing, which `text_f` follows, can land just outside the rounding
        // interval below a power of two (2^-1074 as a float64); enough digits always read back.
        text = n.text_g(prec as usize * 30103 / 100_000 + 3);
        if !reads_back(&text) {
            let shown: String = n.text_f().chars().take(40).collect();
            return Err(format!("the number {shown} cannot be saved exactly"));
        }
    }
    Ok(if prec == PARSE_PREC {
        text
    } else {
        format!("{text}@{prec}")
    })
}

fn number_from_text(s: &str) -> Result<Number, String> {
    let bad = || {
        let shown: String = s.chars().take(40).collect();
        format!("invalid number {shown:?}")
    };
    if s.len() > MAX_NUMBER_LEN {
        return Err(bad());
    }
    let (text, prec) = match s.split_once('@') {
        None => (s, PARSE_PREC),
        Some((text, p)) => {
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            match p.parse::<u32>() {
                Ok(prec) if (1..=MAX_PREC).contains(&prec) => (text, prec),
                _ => return Err(format!("invalid number precision in {:?}", s)),
            }
        }
    };
    Number::parse_with_prec(text, prec).ok_or_else(bad)
}

// ---- writing ----

#[derive(Default)]
struct Enc {
    path: Vec<J>,
    unknown: Vec<J>,
    sensitive: Vec<J>,
    declassified: Vec<J>,
}

impl Enc {
    fn here(&self) -> J {
        J::Array(self.path.clone())
    }

    fn fail(&self, what: String) -> String {
        format!(
            "cannot save the value at {}: {what}",
            J::Array(self.path.clone())
        )
    }

    /// `v` at a position of type `t`: wrapped with its own type when `t` is dynamic.
    fn data(&mut self, v: &Value, t: &Type, depth: usize) -> Result<J, String> {
        if !t.is_dynamic() {
            return self.plain(v, t, depth);
        }
        nest(depth).map_err(|e| self.fail(e))?;
        let ty = v.ty();
        let mut m = Map::new();
        m.insert(
            "type".into(),
            type_to_json(&ty, depth + 1).map_err(|e| self.fail(e))?,
        );
        m.insert("value".into(), self.plain(v, &ty, depth + 1)?);
        Ok(J::Object(m))
    }

    /// `v`, of type `t`, without a type wrapper.
    fn plain(&mut self, v: &Value, t: &Type, depth: usize) -> Result<J, String> {
        if v.is_sensitive() {
            self.sensitive.push(self.here());
        }
        if v.marks().is_declassified() {
            self.declassified.push(self.here());
        }
        let mismatch = |enc: &Enc| {
            enc.fail(format!(
                "a {} where its container says {}",
                v.ty().friendly_name(),
                t.friendly_name()
            ))
        };
        let container = |enc: &Enc| nest(depth).map_err(|e| enc.fail(e));
        let elem_matches = |e: &Type| v.ty().element_type() == Some(e);
        Ok(match (v.kind(), t) {
            (Kind::Null | Kind::Unknown, _) => {
                if v.ty() != *t {
                    return Err(mismatch(self));
                }
                if !v.is_known() {
                    self.unknown.push(self.here());
                }
                J::Null
            }
            (Kind::Bool(b), Type::Bool) => J::Bool(b),
            (Kind::Number(n), Type::Number) => {
                J::String(number_to_text(n).map_err(|e| self.fail(e))?)
            }
            (Kind::String(s), Type::String) => J::String(s.into()),
            (Kind::List(items), Type::List(e)) | (Kind::Set(items), Type::Set(e))
                if elem_matches(e) =>
            {
                container(self)?;
                self.seq(items, |_| e, depth)?
            }
            (Kind::Tuple(items), Type::Tuple(ts)) if items.len() == ts.len() => {
                container(self)?;
                self.seq(items, |i| &ts[i], depth)?
            }
            (Kind::Map(items), Type::Map(e)) if elem_matches(e) => {
                container(self)?;
                let mut m = Map::new();
                for (k, x) in items {
                    self.path.push(J::String(k.clone()));
                    m.insert(k.clone(), self.data(x, e, depth + 1)?);
                    self.path.pop();
                }
                J::Object(m)
            }
            (Kind::Object(attrs), Type::Object(ta))
                if attrs.len() == ta.len() && attrs.keys().zip(ta.keys()).all(|(a, b)| a == b) =>
            {
                container(self)?;
                let mut m = Map::new();
                for ((k, x), at) in attrs.iter().zip(ta.values()) {
                    self.path.push(J::String(k.clone()));
                    m.insert(k.clone(), self.data(x, at, depth + 1)?);
                    self.path.pop();
                }
                J::Object(m)
            }
            _ => return Err(mismatch(self)),
        })
    }

    fn seq<'t>(
        &mut self,
        items: &[Value],
        ty: impl Fn(usize) -> &'t Type,
        depth: usize,
    ) -> Result<J, String> {
        let mut out = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            self.path.push(J::from(i));
            out.push(self.data(x, ty(i), depth + 1)?);
            self.path.pop();
        }
        Ok(J::Array(out))
    }
}

// ---- reading ----

/// The unknown, sensitive and declassified paths, as a tree (at most [`MAX_DEPTH`] deep).
#[derive(Default)]
struct Trie {
    unknown: bool,
    sensitive: bool,
    declassified: bool,
    kids: HashMap<Step, Trie>,
}

#[derive(PartialEq, Eq, Hash)]
enum Step {
    Key(String),
    Index(u64),
}

fn add_paths(
    root: &mut Trie,
    paths: Option<&J>,
    field: &str,
    set: fn(&mut Trie),
) -> Result<(), String> {
    let Some(paths) = paths else {
        return Ok(());
    };
    let bad = || format!("\"{field}\" must be an array of paths (arrays of keys and indexes)");
    let J::Array(paths) = paths else {
        return Err(bad());
    };
    for p in paths {
        let J::Array(steps) = p else {
            return Err(bad());
        };
        if steps.len() >= MAX_DEPTH {
            return Err(format!(
                "a path in \"{field}\" is longer than {MAX_DEPTH} steps"
            ));
        }
        let mut node = &mut *root;
        for s in steps {
            let step = match s {
                J::String(k) => Step::Key(k.clone()),
                J::Number(n) => Step::Index(n.as_u64().ok_or_else(bad)?),
                _ => return Err(bad()),
            };
            node = node.kids.entry(step).or_default();
        }
        set(node);
    }
    Ok(())
}

#[derive(Default)]
struct Dec {
    path: Vec<J>,
}

impl Dec {
    fn fail(&self, what: impl std::fmt::Display) -> String {
        format!("invalid value at {}: {what}", J::Array(self.path.clone()))
    }

    /// The data at a position of type `t` (a `{"type","value"}` wrapper when `t` is dynamic).
    fn data(
        &mut self,
        t: &Type,
        j: &J,
        node: Option<&Trie>,
        depth: usize,
    ) -> Result<Value, String> {
        if !t.is_dynamic() {
            return self.plain(t, j, node, depth);
        }
        nest(depth).map_err(|e| self.fail(e))?;
        let wrapped = match j {
            J::Object(m) if m.len() == 2 => m.get("type").zip(m.get("value")),
            _ => None,
        };
        let Some((tj, vj)) = wrapped else {
            return Err(self.fail(
                "where the type is dynamic the data must be {\"type\": ..., \"value\": ...}",
            ));
        };
        let ty = type_from_json(tj, depth + 1).map_err(|e| self.fail(e))?;
        self.plain(&ty, vj, node, depth + 1)
    }

    /// The data of a value of type `t`.
    fn plain(
        &mut self,
        t: &Type,
        j: &J,
        node: Option<&Trie>,
        depth: usize,
    ) -> Result<Value, String> {
        let kids = node.map(|n| &n.kids).filter(|k| !k.is_empty());
        let mut used = 0;
        let v = if node.is_some_and(|n| n.unknown) {
            if !j.is_null() {
                return Err(self.fail("the data of an unknown value must be null"));
            }
            Value::unknown(t.clone())
        } else if j.is_null() {
            Value::null(t.clone())
        } else {
            let mut kid = |step: Step| {
                let k = kids.and_then(|k| k.get(&step));
                used += usize::from(k.is_some());
                k
            };
            match (t, j) {
                (Type::Bool, J::Bool(b)) => Value::bool(*b),
                (Type::Number, J::String(s)) => {
                    Value::number(number_from_text(s).map_err(|e| self.fail(e))?)
                }
                (Type::String, J::String(s)) => Value::string(s.as_str()),
                (Type::List(e) | Type::Set(e), J::Array(a)) => {
                    nest(depth).map_err(|e| self.fail(e))?;
                    let mut items = Vec::with_capacity(a.len());
                    for (i, x) in a.iter().enumerate() {
                        self.path.push(J::from(i));
                        items.push(self.data(e, x, kid(Step::Index(i as u64)), depth + 1)?);
                        self.path.pop();
                    }
                    if t.is_list() {
                        Value::list(Type::clone(e), items)
                    } else {
                        Value::set_stored(Type::clone(e), items)
                    }
                }
                (Type::Tuple(ts), J::Array(a)) if ts.len() == a.len() => {
                    nest(depth).map_err(|e| self.fail(e))?;
                    let mut items = Vec::with_capacity(a.len());
                    for (i, (x, et)) in a.iter().zip(ts.iter()).enumerate() {
                        self.path.push(J::from(i));
                        items.push(self.data(et, x, kid(Step::Index(i as u64)), depth + 1)?);
                        self.path.pop();
                    }
                    Value::tuple(items)
                }
                (Type::Map(e), J::Object(m)) => {
                    nest(depth).map_err(|e| self.fail(e))?;
                    let mut items = Vec::with_capacity(m.len());
                    for (k, x) in m {
                        self.path.push(J::String(k.clone()));
                        let v = self.data(e, x, kid(Step::Key(k.clone())), depth + 1)?;
                        self.path.pop();
                        items.push((k.clone(), v));
                    }
                    Value::map(Type::clone(e), items)
                }
                (Type::Object(ta), J::Object(m)) => {
                    nest(depth).map_err(|e| self.fail(e))?;
                    if let Some(k) = m.keys().find(|k| !ta.contains_key(*k)) {
                        return Err(self.fail(format!("an attribute {k:?} the type does not have")));
                    }
                    let mut attrs = Vec::with_capacity(ta.len());
                    for (k, at) in ta.iter() {
                        let Some(x) = m.get(k) else {
                            return Err(self.fail(format!("no data for attribute {k:?}")));
                        };
                        self.path.push(J::String(k.clone()));
                        let v = self.data(at, x, kid(Step::Key(k.clone())), depth + 1)?;
                        self.path.pop();
                        attrs.push((k.clone(), v));
                    }
                    Value::object(attrs)
                }
                (Type::Tuple(ts), J::Array(a)) => {
                    return Err(self.fail(format!(
                        "{} elements for a tuple of {}",
                        a.len(),
                        ts.len()
                    )))
                }
                _ => {
                    return Err(self.fail(format!(
                        "{} data for a {}",
                        json_kind(j),
                        t.friendly_name()
                    )))
                }
            }
        };
        if used != kids.map_or(0, HashMap::len) {
            return Err(
                self.fail("an unknown, sensitive or declassified path names nothing in the data")
            );
        }
        let v = if node.is_some_and(|n| n.sensitive) {
            v.mark_sensitive()
        } else {
            v
        };
        Ok(if node.is_some_and(|n| n.declassified) {
            v.mark_declassified()
        } else {
            v
        })
    }
}

fn json_kind(j: &J) -> &'static str {
    match j {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "JSON number (numbers are written as decimal strings)",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::number::{FLOAT_PREC, INT_PREC};
    use crate::lang::value::Marks;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn n(x: &str) -> Value {
        Value::number(Number::parse(x).expect("number"))
    }
    fn obj(attrs: Vec<(&str, Value)>) -> Value {
        Value::object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// Encodes, decodes and checks the value came back identical: type, unknowns, marks at every
    /// depth (`raw_equal`) and number precisions (the re-encoding is the same text).
    fn round_trip(v: &Value) -> String {
        let json = serde_json::to_string(v).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        let back: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert!(back.raw_equal(v), "{json}\n{v:?}\n{back:?}");
        assert_eq!(back.ty(), v.ty(), "{json}");
        assert_eq!(serde_json::to_string(&back).expect("again"), json);
        json
    }

    fn all_types() -> Vec<Type> {
        let obj_t = Type::object([
            ("a".to_string(), Type::String),
            ("d".to_string(), Type::Dynamic),
        ]);
        vec![
            Type::Bool,
            Type::Number,
            Type::String,
            Type::Dynamic,
            Type::list(Type::String),
            Type::list(Type::Dynamic),
            Type::set(Type::Number),
            Type::map(Type::Bool),
            Type::tuple(vec![Type::String, Type::Dynamic]),
            Type::empty_tuple(),
            obj_t.clone(),
            Type::empty_object(),
            Type::map(Type::list(obj_t)),
        ]
    }

    #[test]
    fn the_format_is_readable() {
        let v = obj(vec![
            ("id", Value::unknown(Type::String)),
            ("port", n("8080")),
            ("count", Value::int(3)),
            (
                "tags",
                Value::map(
                    Type::String,
                    vec![("pw".into(), s("hunter2").mark_sensitive())],
                ),
            ),
            (
                "any",
                Value::list(Type::Dynamic, vec![Value::null_dynamic()]),
            ),
        ]);
        assert_eq!(
            round_trip(&v),
            concat!(
                r#"{"type":["object",{"any":["list","dynamic"],"count":"number","id":"string","port":"number","tags":["map","string"]}],"#,
                r#""value":{"any":[{"type":"dynamic","value":null}],"count":"3@64","id":null,"port":"8080","tags":{"pw":"hunter2"}},"#,
                r#""unknown":[["id"]],"sensitive":[["tags","pw"]]}"#
            )
        );
    }

    #[test]
    fn primitives_and_exact_numbers() {
        for v in [
            s(""),
            s("ünï\u{0}\"\\\n🚀"),
            Value::bool(true),
            Value::bool(false),
        ] {
            round_trip(&v);
        }
        let third = Number::parse("1")
            .and_then(|one| one.div(&Number::parse("3")?).ok())
            .expect("1/3");
        let numbers = [
            Number::parse("0").expect("0"),
            Number::parse("-0").expect("-0"),
            Number::parse("0.1").expect("0.1"),
            Number::parse("1e400").expect("1e400"),
            Number::parse("-1e-400").expect("1e-400"),
            Number::parse("123456789012345678901234567890.123456789").expect("long"),
            Number::parse("9007199254740993").expect("2^53+1"),
            Number::infinity(false),
            Number::infinity(true),
            Number::from_i64(i64::MIN),
            Number::from_i64(0),
            Number::from_f64(0.1),
            Number::from_f64(-0.0),
            Number::from_f64(f64::MAX),
            Number::from_f64(5e-324),
            Number::from_f64(-(2f64.powi(-1000))),
            Number::from_f64(2f64.powi(100)),
            Number::from_biguint(false, num_bigint::BigUint::from(7u32).pow(500)),
            third,
        ];
        for x in numbers {
            let prec = x.prec();
            let json = round_trip(&Value::number(x.clone()));
            let back: Value = serde_json::from_str(&json).expect("reads");
            let y = back.as_number().expect("a number");
            assert_eq!((y.prec(), y.is_neg()), (prec, x.is_neg()), "{json}");
            assert_eq!(y.text_f(), x.text_f());
        }
        let json = round_trip(&Value::number(Number::from_f64(0.1)));
        assert!(json.contains(&format!("\"0.1@{FLOAT_PREC}\"")), "{json}");
        let json = round_trip(&Value::int(-7));
        assert!(json.contains(&format!("\"-7@{INT_PREC}\"")), "{json}");
        let json = round_trip(&n("1e400"));
        assert!(
            json.contains(&format!("\"1{}\"", "0".repeat(400))),
            "{json}"
        );
    }

    #[test]
    fn numbers_from_random_bits_come_back_exactly() {
        let mut seed: u64 = 42;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed
        };
        for i in 0..900 {
            let bits = next();
            let f = match i % 3 {
                0 => f64::from_bits(bits),
                // Powers of two, where shortest printing is at its weakest.
                1 => f64::from_bits((bits & 0xfff0_0000_0000_0000) | 1 << 52),
                _ => f64::from_bits(bits & 0x800f_ffff_ffff_ffff),
            };
            if f.is_nan() {
                continue;
            }
            let x = Number::from_f64(f);
            round_trip(&Value::number(x.clone()));
            // The same at 512 bits, and after arithmetic.
            let wide = Number::parse(&x.text_f()).expect("parses");
            round_trip(&Value::number(wide.clone()));
            if let Ok(q) = wide.div(&Number::from_i64(3)) {
                round_trip(&Value::number(q));
            }
        }
    }

    #[test]
    fn nulls_and_unknowns_of_every_type() {
        for t in all_types() {
            let null = round_trip(&Value::null(t.clone()));
            let unknown = round_trip(&Value::unknown(t.clone()));
            assert!(!null.contains("unknown"), "{null}");
            assert!(
                unknown.ends_with(r#""value":null,"unknown":[[]]}"#),
                "{unknown}"
            );
            round_trip(&Value::unknown(t.clone()).mark_sensitive());
            round_trip(&Value::null(t.clone()).mark_sensitive());
            // Inside collections and structures.
            round_trip(&Value::list(
                t.clone(),
                vec![Value::null(t.clone()), Value::unknown(t.clone())],
            ));
            round_trip(&Value::map(
                t.clone(),
                vec![("u".into(), Value::unknown(t.clone()))],
            ));
            round_trip(&Value::tuple(vec![
                Value::unknown(t.clone()),
                Value::null(t.clone()),
            ]));
            round_trip(&obj(vec![
                ("n", Value::null(t.clone())),
                ("u", Value::unknown(t.clone()).mark_sensitive()),
            ]));
            round_trip(&Value::set(
                t.clone(),
                vec![Value::unknown(t.clone()), Value::unknown(t.clone())],
            ));
        }
    }

    #[test]
    fn empty_collections_keep_their_element_types() {
        for t in all_types() {
            round_trip(&Value::empty_list(t.clone()));
            round_trip(&Value::set(t.clone(), Vec::new()));
            round_trip(&Value::map(t.clone(), Vec::new()));
        }
        round_trip(&Value::empty_tuple());
        round_trip(&Value::empty_object());
        round_trip(&Value::tuple(vec![
            Value::empty_tuple(),
            Value::empty_object(),
        ]));
    }

    #[test]
    fn sensitive_marks_at_every_depth() {
        let inner = Value::map(
            Type::String,
            vec![
                ("pw".into(), s("x").mark_sensitive()),
                ("user".into(), s("u")),
            ],
        )
        .mark_sensitive();
        let v = obj(vec![
            ("creds", inner),
            (
                "list",
                Value::list(
                    Type::Number,
                    vec![
                        n("1"),
                        n("2").mark_sensitive(),
                        Value::unknown(Type::Number),
                    ],
                )
                .mark_sensitive(),
            ),
            (
                "tuple",
                Value::tuple(vec![Value::tuple(vec![s("deep").mark_sensitive()])]),
            ),
            (
                "set",
                Value::set(Type::String, vec![s("a").mark_sensitive(), s("b")]),
            ),
            (
                "stored",
                Value::set_stored(Type::String, vec![s("b").mark_sensitive(), s("a")]),
            ),
        ])
        .mark_sensitive();
        let json = round_trip(&v);
        assert!(json.contains(r#""sensitive":[[],["creds"],["creds","pw"],["list"],["list",1],["set"],["stored",0],["tuple",0,0]]"#), "{json}");
        let back: Value = serde_json::from_str(&json).expect("reads");
        let stored = back
            .get_attr("stored")
            .and_then(Value::elements)
            .expect("set");
        assert!(stored[0].is_sensitive() && !stored[1].is_sensitive());
        assert_eq!(stored[0].as_str(), Some("b"));
        assert_eq!(back.marks(), Marks::SENSITIVE);
    }

    #[test]
    fn declassified_marks_round_trip_beside_sensitive_ones() {
        let d = |x: &str| s(x).mark_declassified();
        let v = obj(vec![
            ("values", d("password: hunter2")),
            ("both", d("x").mark_sensitive()),
            (
                "nested",
                obj(vec![("a", d("y")), ("b", s("z").mark_sensitive())]),
            ),
            ("u", Value::unknown(Type::String).mark_declassified()),
        ]);
        // `round_trip` re-encodes what it read: a lost mark would change the text.
        let json = round_trip(&v);
        assert!(
            json.contains(r#""sensitive":[["both"],["nested","b"]],"declassified":[["both"],["nested","a"],["u"],["values"]]"#),
            "{json}"
        );
        let back: Value = serde_json::from_str(&json).expect("reads");
        assert!(back.get_attr("values").is_some_and(Value::is_declassified));
        assert!(back.get_attr("both").is_some_and(Value::is_sensitive));
        let u = back.get_attr("u").expect("u");
        assert!(u.is_declassified() && !u.is_known());
        // A plain value writes no such field, and a path that names nothing is an error.
        assert!(!round_trip(&s("x")).contains("declassified"));
        let bad = r#"{"type":"string","value":"x","declassified":[["a"]]}"#;
        assert!(serde_json::from_str::<Value>(bad).is_err());
    }

    #[test]
    fn sets_keep_their_stored_order() {
        let objs = Value::set(
            Type::object([("p".to_string(), Type::Number)]),
            (0..20).map(|i| obj(vec![("p", Value::int(i))])).collect(),
        );
        round_trip(&objs);
        round_trip(&Value::set(
            Type::Number,
            vec![n("10"), n("9"), n("1e400"), Value::unknown(Type::Number)],
        ));
        let odd = Value::set_stored(Type::String, vec![s("z"), s("a"), s("z")]);
        let back: Value = serde_json::from_str(&round_trip(&odd)).expect("reads");
        let items: Vec<_> = back
            .elements()
            .expect("set")
            .iter()
            .map(|v| v.as_str())
            .collect();
        assert_eq!(items, [Some("z"), Some("a"), Some("z")]);
    }

    #[test]
    fn objects_with_odd_keys_and_dynamic_positions() {
        let keys = [
            "",
            "type",
            "value",
            "unknown",
            "sensitive",
            "$u",
            "a.b",
            "[0]",
            "\"",
            "ключ",
            "0",
        ];
        let o = Value::object(
            keys.iter()
                .enumerate()
                .map(|(i, k)| (k.to_string(), Value::int(i as i64)))
                .collect(),
        );
        round_trip(&o);
        let m = Value::map(
            Type::Number,
            keys.iter()
                .map(|k| (k.to_string(), Value::unknown(Type::Number)))
                .collect(),
        );
        round_trip(&m);
        round_trip(&obj(vec![("nested", o.clone()), ("m", m.clone())]));
        // Values at dynamic positions keep their own types (a map stays a map).
        let dynamic = Value::list(
            Type::Dynamic,
            vec![
                m.clone(),
                o.clone().mark_sensitive(),
                s("x"),
                Value::null(Type::String),
                Value::unknown(Type::list(Type::Bool)),
                Value::unknown_dynamic(),
                Value::null_dynamic(),
            ],
        );
        let json = round_trip(&dynamic);
        assert!(
            json.contains(r#""unknown":[[0,""],[0,"\""],[0,"$u"],"#),
            "{json}"
        );
        assert!(json.ends_with(r#"[4],[5]],"sensitive":[[1]]}"#), "{json}");
        let elem = Type::object([("spec".to_string(), Type::Dynamic)]);
        round_trip(&Value::list(
            elem.clone(),
            vec![obj(vec![("spec", Value::null_dynamic())])],
        ));
        round_trip(&Value::map(
            Type::map(Type::Dynamic),
            vec![(
                "k".into(),
                Value::map(
                    Type::Dynamic,
                    vec![("x".into(), Value::tuple(vec![s("a")]))],
                ),
            )],
        ));
    }

    #[test]
    fn types_round_trip() {
        for t in all_types() {
            let json = serde_json::to_string(&t).expect("writes");
            assert_eq!(json, t.to_json().to_string());
            let back: Type = serde_json::from_str(&json).expect("reads");
            assert_eq!(back, t);
        }
        for bad in [
            "\"strin\"",
            "[\"list\"]",
            "[\"list\",\"string\",\"x\"]",
            "[\"tuple\",\"string\"]",
            "[\"object\",[\"string\"]]",
            "[\"lists\",\"string\"]",
            "[1,\"string\"]",
            "3",
            "null",
            "{}",
        ] {
            assert!(serde_json::from_str::<Type>(bad).is_err(), "{bad}");
        }
    }

    fn err(json: &str) -> String {
        match serde_json::from_str::<Value>(json) {
            Ok(v) => panic!("{json} read as {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn malformed_values_are_errors() {
        for (json, why) in [
            (r#"{"type":"string","value":1}"#, "JSON number"),
            (r#"{"type":"number","value":1}"#, "decimal strings"),
            (r#"{"type":"number","value":"abc"}"#, "invalid number"),
            (r#"{"type":"number","value":"1@0"}"#, "precision"),
            (r#"{"type":"number","value":"1@99999999999"}"#, "precision"),
            (r#"{"type":"number","value":"1@+5"}"#, "invalid number"),
            (r#"{"type":"number","value":"1@"}"#, "invalid number"),
            (r#"{"type":"number","value":"@64"}"#, "invalid number"),
            (
                r#"{"type":"bool","value":"true"}"#,
                "string data for a bool",
            ),
            (
                r#"{"type":["list","string"],"value":{"a":"b"}}"#,
                "object data",
            ),
            (r#"{"type":["tuple",["string"]],"value":[]}"#, "0 elements"),
            (
                r#"{"type":["object",{"a":"string"}],"value":{}}"#,
                "no data for attribute",
            ),
            (
                r#"{"type":["object",{}],"value":{"a":"x"}}"#,
                "does not have",
            ),
            (r#"{"type":["list","dynamic"],"value":["x"]}"#, "dynamic"),
            (
                r#"{"type":["list","dynamic"],"value":[{"type":"string"}]}"#,
                "dynamic",
            ),
            (
                r#"{"type":["list","dynamic"],"value":[{"type":"dynamic","value":"x"}]}"#,
                "for a dynamic",
            ),
            (r#"{"type":"dynamic","value":"x"}"#, "for a dynamic"),
            (
                r#"{"type":"string","value":"x","unknown":[[]]}"#,
                "must be null",
            ),
            (
                r#"{"type":"string","value":null,"unknown":[["a"]]}"#,
                "names nothing",
            ),
            (
                r#"{"type":"string","value":"x","sensitive":[[0]]}"#,
                "names nothing",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":[[1]]}"#,
                "names nothing",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":[["0"]]}"#,
                "names nothing",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":[[-1]]}"#,
                "array of paths",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":[[0.5]]}"#,
                "array of paths",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":[[true]]}"#,
                "array of paths",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":[0]}"#,
                "array of paths",
            ),
            (
                r#"{"type":["list","string"],"value":["x"],"sensitive":{}}"#,
                "array of paths",
            ),
            (
                r#"{"type":["map","string"],"value":null,"unknown":[[],["k"]]}"#,
                "names nothing",
            ),
            (
                r#"{"type":"string","value":"x","extra":1}"#,
                "unknown field",
            ),
            (r#"{"value":"x"}"#, "no \"type\""),
            (r#"{"type":"string"}"#, "no \"value\""),
            (r#"["string","x"]"#, "must be an object"),
            (r#""x""#, "must be an object"),
        ] {
            let e = err(json);
            assert!(e.contains(why), "{json}: {e}");
        }
        // Where it went wrong.
        let e = err(r#"{"type":["object",{"a":["list","number"]}],"value":{"a":["1","x"]}}"#);
        assert!(e.contains(r#"at ["a",1]"#), "{e}");
        // A number too long to read cheaply.
        let long = format!(
            r#"{{"type":"number","value":"{}"}}"#,
            "1".repeat(MAX_NUMBER_LEN + 1)
        );
        assert!(err(&long).contains("invalid number"));
    }

    #[test]
    fn mangled_input_never_panics() {
        let v = obj(vec![
            (
                "a",
                Value::list(Type::Dynamic, vec![n("0.1"), Value::unknown_dynamic()]),
            ),
            (
                "b",
                Value::map(Type::String, vec![("k".into(), s("v").mark_sensitive())]),
            ),
            (
                "c",
                Value::set(
                    Type::Number,
                    vec![Value::int(1), Value::unknown(Type::Number)],
                ),
            ),
            (
                "d",
                Value::tuple(vec![Value::null(Type::Bool), Value::bool(true)]),
            ),
        ]);
        let json = round_trip(&v);
        let bytes = json.as_bytes();
        // Every truncation.
        for i in 0..bytes.len() {
            let cut = String::from_utf8_lossy(&bytes[..i]);
            assert!(serde_json::from_str::<Value>(&cut).is_err(), "{cut}");
        }
        // Single-byte changes, deterministically pseudo-random.
        let mut seed: u64 = 0x5eed;
        let alphabet = b"{}[]\":,0123456789.-@nulltruefalse \\\"unknownsensitivetypevalue";
        for _ in 0..3000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = (seed >> 33) as usize % bytes.len();
            let with = alphabet[(seed >> 17) as usize % alphabet.len()];
            let mut m = bytes.to_vec();
            m[at] = with;
            if let Ok(text) = std::str::from_utf8(&m) {
                let _ = serde_json::from_str::<Value>(text);
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 10_000;
        // Deep JSON: serde_json's own limit stops it.
        let data = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(
            err(&format!(r#"{{"type":["list","dynamic"],"value":{data}}}"#)).contains("recursion")
        );
        let ty = format!(
            "{}\"string\"{}",
            "[\"list\",".repeat(depth),
            "]".repeat(depth)
        );
        assert!(err(&format!(r#"{{"type":{ty},"value":null}}"#)).contains("recursion"));
        assert!(serde_json::from_str::<Type>(&ty).is_err());
        // Deep serde_json values made some other way: the wire's own limit.
        // (Built by hand: `json!` would copy them recursively.)
        let wire = |pairs: Vec<(&str, J)>| {
            J::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let list_of_dynamic = || J::Array(vec!["list".into(), "dynamic".into()]);
        let mut t = J::from("string");
        for _ in 0..1000 {
            t = J::Array(vec!["list".into(), t]);
        }
        let e = value_from_json(&wire(vec![("type", t), ("value", J::Null)])).unwrap_err();
        assert!(e.contains("nested more than"), "{e}");
        let mut d = J::Null;
        for _ in 0..1000 {
            d = wire(vec![
                ("type", list_of_dynamic()),
                ("value", J::Array(vec![d])),
            ]);
        }
        let e = value_from_json(&wire(vec![
            ("type", list_of_dynamic()),
            ("value", J::Array(vec![d])),
        ]))
        .unwrap_err();
        assert!(e.contains("nested more than"), "{e}");
        let path = J::Array((0..1000).map(|_| J::from(0)).collect());
        let e = value_from_json(&wire(vec![
            ("type", "string".into()),
            ("value", J::Null),
            ("unknown", J::Array(vec![path])),
        ]))
        .unwrap_err();
        assert!(e.contains("longer than"), "{e}");

        // Deep values: writing fails cleanly, whether the depth is in the type or only in the
        // data (lists of dynamic). (Leaked: dropping them recurses deeper than a test stack.)
        let mut v = Value::bool(true);
        let mut t = Type::Bool;
        for _ in 0..depth {
            v = Value::list(t.clone(), vec![v]);
            t = Type::list(t);
        }
        let e = serde_json::to_string(&v).unwrap_err().to_string();
        assert!(e.contains("nested more than"), "{e}");
        std::mem::forget((v, t));
        let mut v = Value::bool(true);
        for _ in 0..depth {
            v = Value::list(Type::Dynamic, vec![v]);
        }
        let e = serde_json::to_string(&v).unwrap_err().to_string();
        assert!(e.contains("nested more than"), "{e}");
        std::mem::forget(v);

        // What can be written can be read, even inside a plan file.
        let mut deepest = Value::bool(true);
        loop {
            let next = Value::list(Type::Dynamic, vec![deepest.clone()]);
            if value_to_json(&next).is_err() {
                break;
            }
            deepest = next;
        }
        round_trip(&deepest);
        // Nested objects, whose types nest twice as deep as their data.
        let mut deepest = Value::empty_object();
        loop {
            let next = Value::object(vec![("o".into(), deepest.clone())]);
            if value_to_json(&next).is_err() {
                break;
            }
            deepest = next;
        }
        round_trip(&deepest);
        let mut plan = crate::plan::Plan::default();
        plan.outputs.insert(
            "o".into(),
            crate::plan::OutputChange {
                before: None,
                after: Some(deepest.clone()),
                sensitive: false,
            },
        );
        let json = serde_json::to_string(&plan).expect("writes");
        let back: crate::plan::Plan = serde_json::from_str(&json).expect("reads");
        let after = back.outputs.get("o").and_then(|o| o.after.as_ref());
        assert!(after.is_some_and(|a| a.raw_equal(&deepest)));
    }
}
