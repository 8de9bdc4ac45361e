//! Values, as in cty: typed nulls, unknowns ("known after apply") of any type, bools, exact
//! numbers, strings, and the collection (list, set, map) and structural (tuple, object) kinds.
//!
//! Every value can carry marks: *sensitive* (never printed, never committed) and *declassified*
//! (the value went through `nonsensitive()`: shown, and the plan says so; it never makes a value
//! secret, and identity and equality ignore it). Collections are `Arc`-backed so cloning
//! a value is O(1) whatever its size; maps and objects keep their keys in lexical order and
//! index them by hash, so attribute and key lookups are O(1). Sets keep cty's canonical order.
//!
//! Construct values with [`Value::string`], [`Value::number`], [`Value::list`], [`Value::object`],
//! ...; inspect them with [`Value::ty`], [`Value::kind`] and the `as_*` accessors.

use super::number::Number;
use super::types::Type;
use indexmap::IndexMap;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

/// Marks carried by a value: a small bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Marks(u8);

impl Marks {
    pub const NONE: Marks = Marks(0);
    pub const SENSITIVE: Marks = Marks(1);
    /// The value (or what it was computed from) went through `nonsensitive()`: an annotation
    /// for the plan, never a reason to hide a value.
    pub const DECLASSIFIED: Marks = Marks(2);
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn is_sensitive(self) -> bool {
        self.0 & Marks::SENSITIVE.0 != 0
    }
    pub fn is_declassified(self) -> bool {
        self.0 & Marks::DECLASSIFIED.0 != 0
    }
    /// These marks without those of `o`.
    pub fn without(self, o: Marks) -> Marks {
        Marks(self.0 & !o.0)
    }
    pub fn union(self, o: Marks) -> Marks {
        Marks(self.0 | o.0)
    }
}

impl std::ops::BitOr for Marks {
    type Output = Marks;
    fn bitor(self, o: Marks) -> Marks {
        self.union(o)
    }
}

impl std::ops::BitOrAssign for Marks {
    fn bitor_assign(&mut self, o: Marks) {
        self.0 |= o.0;
    }
}

/// A map of attribute names (objects) or keys (maps) to values, in lexical key order.
pub type Attrs = IndexMap<String, Value>;

#[derive(Debug)]
struct Coll {
    elem: Type,
    items: Vec<Value>,
}

#[derive(Debug)]
struct Seq {
    items: Vec<Value>,
    ty: OnceLock<Type>,
}

#[derive(Debug)]
struct MapV {
    elem: Type,
    items: Attrs,
}

#[derive(Debug)]
struct ObjV {
    attrs: Attrs,
    ty: OnceLock<Type>,
}

#[derive(Debug, Clone)]
enum V {
    Null(Type),
    Unknown(Type),
    Bool(bool),
    Number(Arc<Number>),
    String(Arc<str>),
    List(Arc<Coll>),
    Set(Arc<Coll>),
    Tuple(Arc<Seq>),
    Map(Arc<MapV>),
    Object(Arc<ObjV>),
}

/// A configuration value. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Value {
    v: V,
    marks: Marks,
}

/// A step to a child of a collection (see [`Value::map_children`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// An element of a list, set or tuple.
    Index(usize),
    /// An entry of a map or object.
    Key(&'a str),
}

/// A borrowed view of a value's contents, for matching.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    Null,
    Unknown,
    Bool(bool),
    Number(&'a Number),
    String(&'a str),
    List(&'a [Value]),
    Set(&'a [Value]),
    Tuple(&'a [Value]),
    Map(&'a Attrs),
    Object(&'a Attrs),
}

fn sorted_attrs(mut v: Vec<(String, Value)>) -> Attrs {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    let mut m = IndexMap::with_capacity(v.len());
    for (k, val) in v {
        // Later duplicates win, as when building a map from pairs.
        m.insert(k, val);
    }
    m
}

impl Value {
    fn of(v: V) -> Value {
        Value {
            v,
            marks: Marks::NONE,
        }
    }

    // ---- constructors ----

    pub fn null(ty: Type) -> Value {
        Value::of(V::Null(ty))
    }
    /// A null of the dynamic pseudo-type (the `null` keyword).
    pub fn null_dynamic() -> Value {
        Value::null(Type::Dynamic)
    }
    pub fn unknown(ty: Type) -> Value {
        Value::of(V::Unknown(ty))
    }
    pub fn unknown_dynamic() -> Value {
        Value::unknown(Type::Dynamic)
    }
    pub fn bool(b: bool) -> Value {
        Value::of(V::Bool(b))
    }
    pub fn number(n: Number) -> Value {
        Value::of(V::Number(Arc::new(n)))
    }
    /// An integer number (cty's `NumberIntVal`).
    pub fn int(i: i64) -> Value {
        Value::number(Number::from_i64(i))
    }
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::of(V::String(s.into()))
    }
    /// A list with elements of type `elem`. The caller guarantees every item has type `elem`
    /// (use `convert::list_of` to unify mixed elements).
    pub fn list(elem: Type, items: Vec<Value>) -> Value {
        Value::of(V::List(Arc::new(Coll { elem, items })))
    }
    pub fn empty_list(elem: Type) -> Value {
        Value::list(elem, Vec::new())
    }
    /// A set: items are deduplicated and put in cty's canonical order. Marks on elements are
    /// moved to the set itself, as in cty.
    pub fn set(elem: Type, items: Vec<Value>) -> Value {
        let mut marks = Marks::NONE;
        let mut items: Vec<Value> = items
            .into_iter()
            .map(|v| {
                let (v, m) = v.unmark_deep();
                marks |= m;
                v
            })
            .collect();
        let hashes: Vec<Option<String>> = if needs_hash_order(&elem) {
            items.iter().map(|v| Some(set_hash(v))).collect()
        } else {
            vec![None; items.len()]
        };
        let mut idx: Vec<usize> = (0..items.len()).collect();
        idx.sort_by(|&a, &b| {
            set_order(
                &items[a],
                hashes[a].as_deref(),
                &items[b],
                hashes[b].as_deref(),
            )
        });
        let mut out: Vec<Value> = Vec::with_capacity(items.len());
        let mut out_hash: Vec<Option<String>> = Vec::with_capacity(items.len());
        let mut hashes = hashes;
        let mut taken: Vec<Option<Value>> = items.drain(..).map(Some).collect();
        // Equal values sort next to each other, so duplicates are found within the run of
        // elements that compare equal to the new one (linear overall).
        let mut run_start = 0;
        for i in idx {
            let Some(v) = taken[i].take() else { continue };
            let h = hashes[i].take();
            if let Some(last) = out.last() {
                let lh = out_hash.last().and_then(Option::as_deref);
                if set_order(last, lh, &v, h.as_deref()) != Ordering::Equal {
                    run_start = out.len();
                }
            }
            if v.is_wholly_known() && out[run_start..].iter().any(|o| o.raw_equal(&v)) {
                continue;
            }
            out.push(v);
            out_hash.push(h);
        }
        Value::of(V::Set(Arc::new(Coll { elem, items: out }))).mark(marks)
    }
    /// A set with exactly these elements in this order, as a saved plan stored them (see
    /// `lang::wire`): no deduplication, no reordering, element marks kept where they are.
    pub(crate) fn set_stored(elem: Type, items: Vec<Value>) -> Value {
        Value::of(V::Set(Arc::new(Coll { elem, items })))
    }
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::of(V::Tuple(Arc::new(Seq {
            items,
            ty: OnceLock::new(),
        })))
    }
    pub fn empty_tuple() -> Value {
        Value::tuple(Vec::new())
    }
    /// A map with values of type `elem` (the caller guarantees the element types).
    pub fn map(elem: Type, items: Vec<(String, Value)>) -> Value {
        Value::of(V::Map(Arc::new(MapV {
            elem,
            items: sorted_attrs(items),
        })))
    }
    /// A map from an already-sorted [`Attrs`] (keys must be in lexical order).
    pub fn map_sorted(elem: Type, items: Attrs) -> Value {
        debug_assert!(items.keys().zip(items.keys().skip(1)).all(|(a, b)| a < b));
        Value::of(V::Map(Arc::new(MapV { elem, items })))
    }
    pub fn object(attrs: Vec<(String, Value)>) -> Value {
        Value::object_sorted(sorted_attrs(attrs))
    }
    /// An object from an already-sorted [`Attrs`] (keys must be in lexical order).
    pub fn object_sorted(attrs: Attrs) -> Value {
        debug_assert!(attrs.keys().zip(attrs.keys().skip(1)).all(|(a, b)| a < b));
        Value::of(V::Object(Arc::new(ObjV {
            attrs,
            ty: OnceLock::new(),
        })))
    }
    pub fn empty_object() -> Value {
        Value::object_sorted(IndexMap::new())
    }

    // ---- marks ----

    pub fn marks(&self) -> Marks {
        self.marks
    }
    /// Marked at the top level.
    pub fn is_marked(&self) -> bool {
        !self.marks.is_empty()
    }
    pub fn is_sensitive(&self) -> bool {
        self.marks.is_sensitive()
    }
    /// Whether this value or anything inside it is sensitive (a declassified part is not).
    pub fn is_sensitive_deep(&self) -> bool {
        if self.is_sensitive() {
            return true;
        }
        match &self.v {
            V::List(c) | V::Set(c) => c.items.iter().any(Value::is_sensitive_deep),
            V::Tuple(s) => s.items.iter().any(Value::is_sensitive_deep),
            V::Map(m) => m.items.values().any(Value::is_sensitive_deep),
            V::Object(o) => o.attrs.values().any(Value::is_sensitive_deep),
            _ => false,
        }
    }
    /// Carries the declassified mark (at the top level) and is not sensitive: the value to show
    /// with "declassified with nonsensitive()". (A value that is both is sensitive.)
    pub fn is_declassified(&self) -> bool {
        self.marks.is_declassified() && !self.marks.is_sensitive()
    }
    /// Adds marks (at the top level).
    pub fn mark(mut self, m: Marks) -> Value {
        self.marks |= m;
        self
    }
    pub fn mark_sensitive(self) -> Value {
        self.mark(Marks::SENSITIVE)
    }
    pub fn mark_declassified(self) -> Value {
        self.mark(Marks::DECLASSIFIED)
    }
    /// Removes the top-level marks, returning them.
    pub fn unmark(mut self) -> (Value, Marks) {
        let m = self.marks;
        self.marks = Marks::NONE;
        (self, m)
    }
    /// Whether this value or anything inside it is marked.
    pub fn has_marks_deep(&self) -> bool {
        if self.is_marked() {
            return true;
        }
        match &self.v {
            V::List(c) | V::Set(c) => c.items.iter().any(Value::has_marks_deep),
            V::Tuple(s) => s.items.iter().any(Value::has_marks_deep),
            V::Map(m) => m.items.values().any(Value::has_marks_deep),
            V::Object(o) => o.attrs.values().any(Value::has_marks_deep),
            _ => false,
        }
    }
    /// The marks of this value and of everything inside it.
    pub fn marks_deep(&self) -> Marks {
        let mut m = self.marks;
        match &self.v {
            V::List(c) | V::Set(c) => c.items.iter().for_each(|v| m |= v.marks_deep()),
            V::Tuple(s) => s.items.iter().for_each(|v| m |= v.marks_deep()),
            V::Map(x) => x.items.values().for_each(|v| m |= v.marks_deep()),
            V::Object(o) => o.attrs.values().for_each(|v| m |= v.marks_deep()),
            _ => {}
        }
        m
    }
    /// Removes all marks, at every depth, returning their union. Unmarked nested values are
    /// not copied.
    pub fn unmark_deep(self) -> (Value, Marks) {
        if !self.has_marks_deep() {
            return (self, Marks::NONE);
        }
        let mut all = self.marks;
        let mut un = |v: &Value| {
            let (v, m) = v.clone().unmark_deep();
            all |= m;
            v
        };
        let v = match &self.v {
            V::List(c) => V::List(Arc::new(Coll {
                elem: c.elem.clone(),
                items: c.items.iter().map(&mut un).collect(),
            })),
            V::Set(c) => V::Set(Arc::new(Coll {
                elem: c.elem.clone(),
                items: c.items.iter().map(&mut un).collect(),
            })),
            V::Tuple(s) => V::Tuple(Arc::new(Seq {
                items: s.items.iter().map(&mut un).collect(),
                ty: OnceLock::new(),
            })),
            V::Map(x) => V::Map(Arc::new(MapV {
                elem: x.elem.clone(),
                items: x.items.iter().map(|(k, v)| (k.clone(), un(v))).collect(),
            })),
            V::Object(o) => V::Object(Arc::new(ObjV {
                attrs: o.attrs.iter().map(|(k, v)| (k.clone(), un(v))).collect(),
                ty: OnceLock::new(),
            })),
            other => other.clone(),
        };
        (Value::of(v), all)
    }

    /// The same value with each direct child replaced by `f(step, child)`: a list, set or
    /// tuple's elements (step: their index), a map's or object's entries (step: their key).
    /// Marks, types and container kinds are kept; a primitive is returned as it is.
    pub fn map_children(&self, mut f: impl FnMut(Step<'_>, &Value) -> Value) -> Value {
        let v = match &self.v {
            V::List(c) => V::List(Arc::new(Coll {
                elem: c.elem.clone(),
                items: c
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| f(Step::Index(i), x))
                    .collect(),
            })),
            V::Set(c) => V::Set(Arc::new(Coll {
                elem: c.elem.clone(),
                items: c
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| f(Step::Index(i), x))
                    .collect(),
            })),
            V::Tuple(t) => V::Tuple(Arc::new(Seq {
                items: t
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| f(Step::Index(i), x))
                    .collect(),
                ty: OnceLock::new(),
            })),
            V::Map(m) => V::Map(Arc::new(MapV {
                elem: m.elem.clone(),
                items: m
                    .items
                    .iter()
                    .map(|(k, x)| (k.clone(), f(Step::Key(k), x)))
                    .collect(),
            })),
            V::Object(o) => V::Object(Arc::new(ObjV {
                attrs: o
                    .attrs
                    .iter()
                    .map(|(k, x)| (k.clone(), f(Step::Key(k), x)))
                    .collect(),
                ty: OnceLock::new(),
            })),
            _ => return self.clone(),
        };
        Value {
            v,
            marks: self.marks,
        }
    }

    // ---- inspection ----

    pub fn ty(&self) -> Type {
        match &self.v {
            V::Null(t) | V::Unknown(t) => t.clone(),
            V::Bool(_) => Type::Bool,
            V::Number(_) => Type::Number,
            V::String(_) => Type::String,
            V::List(c) => Type::list(c.elem.clone()),
            V::Set(c) => Type::set(c.elem.clone()),
            V::Map(m) => Type::map(m.elem.clone()),
            V::Tuple(s) => {
                s.ty.get_or_init(|| Type::tuple(s.items.iter().map(Value::ty).collect()))
                    .clone()
            }
            V::Object(o) => {
                o.ty.get_or_init(|| {
                    Type::Object(Arc::new(
                        o.attrs.iter().map(|(k, v)| (k.clone(), v.ty())).collect(),
                    ))
                })
                .clone()
            }
        }
    }

    pub fn kind(&self) -> Kind<'_> {
        match &self.v {
            V::Null(_) => Kind::Null,
            V::Unknown(_) => Kind::Unknown,
            V::Bool(b) => Kind::Bool(*b),
            V::Number(n) => Kind::Number(n),
            V::String(s) => Kind::String(s),
            V::List(c) => Kind::List(&c.items),
            V::Set(c) => Kind::Set(&c.items),
            V::Tuple(s) => Kind::Tuple(&s.items),
            V::Map(m) => Kind::Map(&m.items),
            V::Object(o) => Kind::Object(&o.attrs),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.v, V::Null(_))
    }
    pub fn is_known(&self) -> bool {
        !matches!(self.v, V::Unknown(_))
    }
    /// Known at every depth.
    pub fn is_wholly_known(&self) -> bool {
        match &self.v {
            V::Unknown(_) => false,
            V::List(c) | V::Set(c) => c.items.iter().all(Value::is_wholly_known),
            V::Tuple(s) => s.items.iter().all(Value::is_wholly_known),
            V::Map(m) => m.items.values().all(Value::is_wholly_known),
            V::Object(o) => o.attrs.values().all(Value::is_wholly_known),
            _ => true,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.v {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match &self.v {
            V::Number(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::String(s) => Some(s),
            _ => None,
        }
    }
    /// The elements of a known list, set or tuple.
    pub fn elements(&self) -> Option<&[Value]> {
        match &self.v {
            V::List(c) | V::Set(c) => Some(&c.items),
            V::Tuple(s) => Some(&s.items),
            _ => None,
        }
    }
    /// The entries of a known map or object, in lexical key order.
    pub fn entries(&self) -> Option<&Attrs> {
        match &self.v {
            V::Map(m) => Some(&m.items),
            V::Object(o) => Some(&o.attrs),
            _ => None,
        }
    }
    /// The number of elements of a known collection or structural value.
    pub fn length(&self) -> Option<usize> {
        self.elements()
            .map(<[Value]>::len)
            .or_else(|| self.entries().map(IndexMap::len))
    }
    /// An attribute of a known object.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match &self.v {
            V::Object(o) => o.attrs.get(name),
            _ => None,
        }
    }
    /// An element of a known map by key.
    pub fn get_key(&self, key: &str) -> Option<&Value> {
        match &self.v {
            V::Map(m) => m.items.get(key),
            V::Object(o) => o.attrs.get(key),
            _ => None,
        }
    }

    /// Structural identity: same type, same contents, same unknowns and sensitive marks at
    /// every depth. The declassified mark is an annotation, not identity: a value that went
    /// through `nonsensitive()` is the one the state holds (which does not keep that mark), so a
    /// re-plan finds no change. (Use [`Value::equals`] for the language's `==`.)
    pub fn raw_equal(&self, o: &Value) -> bool {
        if self.marks.is_sensitive() != o.marks.is_sensitive() {
            return false;
        }
        match (&self.v, &o.v) {
            (V::Null(a), V::Null(b)) | (V::Unknown(a), V::Unknown(b)) => a == b,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Number(a), V::Number(b)) => a.eq_num(b) && a.is_neg() == b.is_neg(),
            (V::String(a), V::String(b)) => a == b,
            (V::List(a), V::List(b)) | (V::Set(a), V::Set(b)) => {
                a.elem == b.elem
                    && a.items.len() == b.items.len()
                    && a.items.iter().zip(&b.items).all(|(x, y)| x.raw_equal(y))
            }
            (V::Tuple(a), V::Tuple(b)) => {
                a.items.len() == b.items.len()
                    && a.items.iter().zip(&b.items).all(|(x, y)| x.raw_equal(y))
            }
            (V::Map(a), V::Map(b)) => a.elem == b.elem && attrs_raw_equal(&a.items, &b.items),
            (V::Object(a), V::Object(b)) => attrs_raw_equal(&a.attrs, &b.attrs),
            _ => false,
        }
    }

    /// cty's `Equals` (the `==` operator): a bool, unknown when it cannot be decided yet. The
    /// result carries the marks of both operands.
    pub fn equals(&self, o: &Value) -> Value {
        let marks = self.marks_deep() | o.marks_deep();
        equals_inner(self, o).mark(marks)
    }

    // ---- JSON ----

    /// The value as JSON, as `terraform output -json` prints it: numbers exact and unquoted,
    /// strings escaped as Go's encoding/json does. Fails for unknown values, and for a text over
    /// [`crate::lang::funcs::MAX_STRING_BYTES`] (see [`Value::to_json_within`]).
    pub fn to_json(&self) -> Result<String, String> {
        self.to_json_within(crate::lang::funcs::MAX_STRING_BYTES)
    }

    /// [`Value::to_json`], failing rather than writing more than `limit` bytes (give or take
    /// the last scalar).
    pub fn to_json_within(&self, limit: usize) -> Result<String, String> {
        let mut out = String::new();
        write_json(self, &mut out, limit)?;
        Ok(out)
    }

    /// The value as JSON for a place of type `ty` (cty's `json.Marshal`, as Terraform writes
    /// resource attributes to its state): at positions where `ty` is dynamic the value is
    /// written with its type, `{"value": ..., "type": ...}`, so reading it back with
    /// [`Value::from_json_typed`] gives the same value (a map stays a map).
    pub fn to_json_typed(&self, ty: &Type) -> Result<String, String> {
        let mut out = String::new();
        write_json_typed(self, ty, &mut out, MAX_TYPED_JSON_BYTES)?;
        Ok(out)
    }

    /// Reads JSON written by [`Value::to_json_typed`] as a value of type `ty`.
    pub fn from_json_typed(src: &str, ty: &Type) -> Result<Value, String> {
        let j = super::jsonval::parse(src)?;
        super::jsonval::to_value_typed(&j, ty, &mut Vec::new())
    }

    /// Reads JSON as a value of type `ty` (cty's `json.Unmarshal`). With `Type::Dynamic` the
    /// type is implied from the JSON (objects become objects, arrays tuples). Numbers are exact.
    pub fn from_json_with_type(src: &str, ty: &Type) -> Result<Value, String> {
        let j = super::jsonval::parse(src)?;
        super::jsonval::to_value(&j, ty, &mut Vec::new())
    }
}

fn attrs_raw_equal(a: &Attrs, b: &Attrs) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && va.raw_equal(vb))
}

fn type_conforms(want: &Type, got: &Type) -> bool {
    match (want, got) {
        (Type::Dynamic, _) | (_, Type::Dynamic) => true,
        (Type::List(a), Type::List(b))
        | (Type::Set(a), Type::Set(b))
        | (Type::Map(a), Type::Map(b)) => type_conforms(a, b),
        (Type::Tuple(a), Type::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| type_conforms(x, y))
        }
        (Type::Object(a), Type::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, x), (kb, y))| ka == kb && type_conforms(x, y))
        }
        _ => want == got,
    }
}

/// cty's `HasWhollyKnownType`: no unknown value of (partly) dynamic type anywhere.
fn has_wholly_known_type(v: &Value) -> bool {
    match &v.v {
        V::Null(_) => true,
        V::Unknown(t) => !t.has_dynamic_types(),
        V::List(c) | V::Set(c) => c.items.iter().all(has_wholly_known_type),
        V::Tuple(s) => s.items.iter().all(has_wholly_known_type),
        V::Map(m) => m.items.values().all(has_wholly_known_type),
        V::Object(o) => o.attrs.values().all(has_wholly_known_type),
        _ => true,
    }
}

fn equals_inner(a: &Value, b: &Value) -> Value {
    let (ak, bk) = (a.is_known(), b.is_known());
    if !ak || !bk {
        if !ak && !bk {
            return Value::unknown(Type::Bool);
        }
        let (known, unk) = if ak { (a, b) } else { (b, a) };
        let ut = unk.ty();
        if known.is_null() || ut.has_dynamic_types() {
            return Value::unknown(Type::Bool);
        }
        if known.ty() != ut {
            return Value::bool(false);
        }
        return Value::unknown(Type::Bool);
    }
    match (a.is_null(), b.is_null()) {
        (true, true) => return Value::bool(true),
        (true, false) | (false, true) => return Value::bool(false),
        _ => {}
    }
    let (at, bt) = (a.ty(), b.ty());
    if !has_wholly_known_type(a) || !has_wholly_known_type(b) {
        if !type_conforms(&at, &bt) {
            return Value::bool(false);
        }
        return Value::unknown(Type::Bool);
    }
    if at != bt {
        return Value::bool(false);
    }
    let seq = |xs: &[Value], ys: &[Value]| -> Value {
        if xs.len() != ys.len() {
            return Value::bool(false);
        }
        let mut unknown = false;
        for (x, y) in xs.iter().zip(ys) {
            let e = equals_inner(x, y);
            match e.as_bool() {
                Some(false) => return Value::bool(false),
                Some(true) => {}
                None => unknown = true,
            }
        }
        if unknown {
            Value::unknown(Type::Bool)
        } else {
            Value::bool(true)
        }
    };
    let ents = |xs: &Attrs, ys: &Attrs| -> Value {
        if xs.len() != ys.len() || xs.keys().zip(ys.keys()).any(|(p, q)| p != q) {
            return Value::bool(false);
        }
        let xv: Vec<Value> = xs.values().cloned().collect();
        let yv: Vec<Value> = ys.values().cloned().collect();
        seq(&xv, &yv)
    };
    match (&a.v, &b.v) {
        (V::Bool(x), V::Bool(y)) => Value::bool(x == y),
        (V::Number(x), V::Number(y)) => Value::bool(x.eq_num(y)),
        (V::String(x), V::String(y)) => Value::bool(x == y),
        (V::List(x), V::List(y)) => seq(&x.items, &y.items),
        (V::Set(x), V::Set(y)) => {
            if !(x.items.iter().all(Value::is_wholly_known)
                && y.items.iter().all(Value::is_wholly_known))
            {
                return Value::unknown(Type::Bool);
            }
            seq(&x.items, &y.items)
        }
        (V::Tuple(x), V::Tuple(y)) => seq(&x.items, &y.items),
        (V::Map(x), V::Map(y)) => ents(&x.items, &y.items),
        (V::Object(x), V::Object(y)) => ents(&x.attrs, &y.attrs),
        _ => Value::bool(false),
    }
}

// ---- set ordering (cty's set rules) ----

fn needs_hash_order(elem: &Type) -> bool {
    !matches!(elem, Type::String | Type::Number | Type::Bool)
}

fn set_order(a: &Value, ha: Option<&str>, b: &Value, hb: Option<&str>) -> Ordering {
    // Nulls after non-nulls, unknowns after knowns; then strings lexically, numbers
    // numerically, false before true, anything else by its hash string (cty's setRules.Less).
    match (a.is_null(), b.is_null()) {
        (false, true) => return Ordering::Less,
        (true, false) => return Ordering::Greater,
        (true, true) => return Ordering::Equal,
        _ => {}
    }
    match (a.is_known(), b.is_known()) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => return Ordering::Equal,
        _ => {}
    }
    match (&a.v, &b.v) {
        (V::String(x), V::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Number(x), V::Number(y)) => x.cmp_num(y),
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        _ => match (ha, hb) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => Ordering::Equal,
        },
    }
}

/// cty's set hash string for a value.
fn set_hash(v: &Value) -> String {
    let mut s = String::new();
    hash_string(v, &mut s);
    s
}

fn hash_string(v: &Value, buf: &mut String) {
    match &v.v {
        V::Unknown(_) => buf.push('?'),
        V::Null(_) => buf.push('~'),
        V::Number(n) => buf.push_str(&n.text_g(10)),
        V::Bool(b) => buf.push(if *b { 'T' } else { 'F' }),
        V::String(s) => buf.push_str(&go_quote(s)),
        V::Map(m) => {
            buf.push('{');
            for (k, x) in &m.items {
                buf.push_str(&go_quote(k));
                buf.push(':');
                hash_string(x, buf);
                buf.push(';');
            }
            buf.push('}');
        }
        V::List(c) | V::Set(c) => {
            buf.push('[');
            for x in &c.items {
                hash_string(x, buf);
                buf.push(';');
            }
            buf.push(']');
        }
        V::Object(o) => {
            buf.push('<');
            for x in o.attrs.values() {
                hash_string(x, buf);
                buf.push(';');
            }
            buf.push('>');
        }
        V::Tuple(s) => {
            buf.push('<');
            for x in &s.items {
                hash_string(x, buf);
                buf.push(';');
            }
            buf.push('>');
        }
    }
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn is_go_printable(c: char) -> bool {
    // An approximation of Go's unicode.IsPrint: excludes control and format characters and
    // non-ASCII spaces.
    let u = c as u32;
    !(u < 0x20
        || (0x7f..0xa0).contains(&u)
        || u == 0xad
        || (0x2000..=0x200f).contains(&u)
        || (0x2028..=0x202f).contains(&u)
        || (0x205f..=0x206f).contains(&u)
        || u == 0xfeff
        || u == 0x3000
        || u == 0xa0
        || (0xfff9..=0xfffb).contains(&u)
        || (0xe000..=0xf8ff).contains(&u)
        || u == 0xfffe
        || u == 0xffff)
}

// ---- JSON output ----

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(v: &Value, out: &mut String, limit: usize) -> Result<(), String> {
    match &v.v {
        V::Unknown(_) => return Err("value is not known".into()),
        V::Null(_) => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Number(n) => {
            if n.is_inf() {
                // cty's JSON marshaller, as `jsonencode(1/0)` reports it.
                return Err("cannot serialize infinity as JSON".into());
            }
            out.push_str(&n.text_f());
        }
        V::String(s) => write_json_string(s, out),
        V::List(c) | V::Set(c) => write_json_seq(&c.items, out, limit)?,
        V::Tuple(s) => write_json_seq(&s.items, out, limit)?,
        V::Map(m) => write_json_map(&m.items, out, limit)?,
        V::Object(o) => write_json_map(&o.attrs, out, limit)?,
    }
    Ok(())
}

fn write_json_typed(v: &Value, ty: &Type, out: &mut String, limit: usize) -> Result<(), String> {
    if !ty.has_dynamic_types() || v.is_null() && *ty != Type::Dynamic {
        return write_json(v, out, limit);
    }
    match (ty, &v.v) {
        (Type::Dynamic, _) => {
            out.push_str("{\"value\":");
            write_json(v, out, limit)?;
            out.push_str(",\"type\":");
            out.push_str(&v.ty().to_json().to_string());
            out.push('}');
            Ok(())
        }
        (Type::List(e) | Type::Set(e), V::List(c) | V::Set(c)) => {
            write_json_seq_with(&c.items, out, limit, |_, x, out| {
                write_json_typed(x, e, out, limit)
            })
        }
        (Type::Tuple(ts), V::Tuple(t)) => write_json_seq_with(&t.items, out, limit, |i, x, out| {
            write_json_typed(x, ts.get(i).unwrap_or(&Type::Dynamic), out, limit)
        }),
        (Type::Map(e), V::Map(m)) => write_json_map_with(&m.items, out, limit, |_, x, out| {
            write_json_typed(x, e, out, limit)
        }),
        (Type::Object(attrs), V::Object(o)) => {
            write_json_map_with(&o.attrs, out, limit, |k, x, out| {
                write_json_typed(x, attrs.get(k).unwrap_or(&Type::Dynamic), out, limit)
            })
        }
        _ => write_json(v, out, limit),
    }
}

type JsonResult = Result<(), String>;

/// The most JSON [`Value::to_json_typed`] writes for one value (a resource instance's
/// attributes in the state): 1 GiB, far beyond any real attribute, so the state of an apply is
/// never refused for its size but a value made of shared parts cannot exhaust memory.
const MAX_TYPED_JSON_BYTES: usize = 1 << 30;

/// Values share their parts, so a small value can stand for an enormous text (a list of a
/// thousand references to a list of a thousand references to ...): the writers stop at a limit
/// rather than run out of memory.
fn check_json_len(out: &str, limit: usize) -> JsonResult {
    if out.len() > limit {
        return Err(format!(
            "the JSON text would be longer than {} MiB",
            limit >> 20
        ));
    }
    Ok(())
}

fn write_json_seq(items: &[Value], out: &mut String, limit: usize) -> JsonResult {
    write_json_seq_with(items, out, limit, |_, x, out| write_json(x, out, limit))
}

fn write_json_seq_with(
    items: &[Value],
    out: &mut String,
    limit: usize,
    mut item: impl FnMut(usize, &Value, &mut String) -> JsonResult,
) -> JsonResult {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(i, x, out)?;
        check_json_len(out, limit)?;
    }
    out.push(']');
    Ok(())
}

fn write_json_map(items: &Attrs, out: &mut String, limit: usize) -> JsonResult {
    write_json_map_with(items, out, limit, |_, x, out| write_json(x, out, limit))
}

fn write_json_map_with(
    items: &Attrs,
    out: &mut String,
    limit: usize,
    mut item: impl FnMut(&str, &Value, &mut String) -> JsonResult,
) -> JsonResult {
    out.push('{');
    for (i, (k, x)) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(k, out);
        out.push(':');
        item(k, x, out)?;
        check_json_len(out, limit)?;
    }
    out.push('}');
    Ok(())
}

// ---- console display ----

impl std::fmt::Display for Value {
    /// The format of `terraform console`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        format_value(self, 0, &mut s);
        f.write_str(&s)
    }
}

fn format_value(v: &Value, indent: usize, out: &mut String) {
    if !v.is_known() {
        out.push_str("(known after apply)");
        return;
    }
    if v.is_sensitive() {
        out.push_str("(sensitive)");
        return;
    }
    match &v.v {
        V::Null(t) => match t {
            Type::Dynamic => out.push_str("null"),
            Type::String => out.push_str("tostring(null)"),
            Type::Number => out.push_str("tonumber(null)"),
            Type::Bool => out.push_str("tobool(null)"),
            Type::List(e) => {
                let _ = write!(out, "tolist(null) /* of {} */", e.friendly_name());
            }
            Type::Set(e) => {
                let _ = write!(out, "toset(null) /* of {} */", e.friendly_name());
            }
            Type::Map(e) => {
                let _ = write!(out, "tomap(null) /* of {} */", e.friendly_name());
            }
            other => {
                let _ = write!(out, "null /* {} */", other.friendly_name());
            }
        },
        V::Unknown(_) => {}
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Number(n) => out.push_str(&n.text_f()),
        V::String(s) => {
            let lines: Vec<&str> = s.split('\n').collect();
            if lines.len() < 2 {
                out.push_str(&go_quote(s));
                return;
            }
            let op = if indent > 0 { "<<-" } else { "<<" };
            let mut delim = String::from("EOT");
            while lines.iter().any(|l| l.trim() == delim) {
                delim.push('_');
            }
            out.push_str(op);
            out.push_str(&delim);
            for l in &lines {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                out.push_str(l);
            }
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            out.push_str(&delim);
        }
        V::Object(o) => format_mapping(&o.attrs, indent, out),
        V::Tuple(s) => format_seq(&s.items, indent, out),
        V::List(c) => {
            out.push_str("tolist(");
            format_seq(&c.items, indent, out);
            out.push(')');
        }
        V::Set(c) => {
            out.push_str("toset(");
            format_seq(&c.items, indent, out);
            out.push(')');
        }
        V::Map(m) => {
            out.push_str("tomap(");
            format_mapping(&m.items, indent, out);
            out.push(')');
        }
    }
}

fn format_mapping(items: &Attrs, indent: usize, out: &mut String) {
    out.push('{');
    let inner = indent + 2;
    for (k, v) in items {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        format_value(&Value::string(k.as_str()), inner, out);
        out.push_str(" = ");
        format_value(v, inner, out);
    }
    if !items.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push('}');
}

fn format_seq(items: &[Value], indent: usize, out: &mut String) {
    out.push('[');
    let inner = indent + 2;
    for v in items {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        format_value(v, inner, out);
        out.push(',');
    }
    if !items.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_json_keeps_the_types_of_dynamic_attributes() {
        // A schema with a dynamic attribute holding a map (as `spec` of a GitOps resource).
        let ty = Type::object([
            ("id".to_string(), Type::String),
            ("spec".to_string(), Type::Dynamic),
        ]);
        let hard = Value::map(Type::String, vec![("cpu".into(), Value::string("8"))]);
        let v = Value::object(vec![
            ("id".into(), Value::string("x")),
            ("spec".into(), Value::object(vec![("hard".into(), hard)])),
        ]);
        let json = v.to_json_typed(&ty).expect("json");
        assert_eq!(
            json,
            r#"{"id":"x","spec":{"value":{"hard":{"cpu":"8"}},"type":["object",{"hard":["map","string"]}]}}"#
        );
        let back = Value::from_json_typed(&json, &ty).expect("read");
        assert!(back.raw_equal(&v), "{back:?}");
        // Plain JSON at a dynamic position (states of older versions): the implied type.
        let old =
            Value::from_json_typed(r#"{"id":"x","spec":{"hard":{"cpu":"8"}}}"#, &ty).expect("read");
        assert_eq!(
            old.get_attr("spec").map(|s| s.ty()),
            Some(Type::object([(
                "hard".to_string(),
                Type::object([("cpu".to_string(), Type::String)])
            )]))
        );
        // A null at a dynamic position.
        let null = Value::object(vec![
            ("id".into(), Value::string("x")),
            ("spec".into(), Value::null_dynamic()),
        ]);
        let json = null.to_json_typed(&ty).expect("json");
        assert_eq!(json, r#"{"id":"x","spec":{"value":null,"type":"dynamic"}}"#);
        assert!(Value::from_json_typed(&json, &ty)
            .expect("read")
            .raw_equal(&null));
    }

    fn n(s: &str) -> Value {
        Value::number(Number::parse(s).expect("number"))
    }

    #[test]
    fn console_format() {
        let v = Value::object(vec![
            ("b".into(), Value::tuple(vec![Value::bool(true)])),
            ("a".into(), n("1")),
        ]);
        assert_eq!(
            v.to_string(),
            "{\n  \"a\" = 1\n  \"b\" = [\n    true,\n  ]\n}"
        );
        assert_eq!(
            Value::list(Type::String, vec![Value::string("a")]).to_string(),
            "tolist([\n  \"a\",\n])"
        );
        assert_eq!(Value::string("a\nb").to_string(), "<<EOT\na\nb\nEOT");
        assert_eq!(n("1").mark_sensitive().to_string(), "(sensitive)");
        assert_eq!(
            Value::null(Type::list(Type::String)).to_string(),
            "tolist(null) /* of string */"
        );
    }

    #[test]
    fn infinity_has_no_json() {
        let v = Value::tuple(vec![Value::number(Number::infinity(false))]);
        assert_eq!(
            v.to_json().unwrap_err(),
            "cannot serialize infinity as JSON"
        );
    }

    #[test]
    fn sets_are_canonical() {
        let s = Value::set(Type::Number, vec![n("3"), n("1"), n("10"), n("2"), n("1")]);
        assert_eq!(s.to_json().unwrap(), "[1,2,3,10]");
        let s = Value::set(Type::String, vec![Value::string("b"), Value::string("a")]);
        assert_eq!(s.to_json().unwrap(), r#"["a","b"]"#);
        let s = Value::set(
            Type::list(Type::Number),
            vec![
                Value::list(Type::Number, vec![n("1")]),
                Value::list(Type::Number, vec![n("0")]),
            ],
        );
        assert_eq!(s.to_json().unwrap(), "[[0],[1]]");
    }

    #[test]
    fn equality_like_cty() {
        assert_eq!(n("1").equals(&n("1.0")).as_bool(), Some(true));
        assert_eq!(n("1").equals(&Value::string("1")).as_bool(), Some(false));
        assert_eq!(Value::unknown(Type::Number).equals(&n("1")).as_bool(), None);
        assert_eq!(
            Value::unknown(Type::String).equals(&n("1")).as_bool(),
            Some(false)
        );
        assert_eq!(
            Value::null(Type::String)
                .equals(&Value::null_dynamic())
                .as_bool(),
            Some(true)
        );
        assert!(n("1").mark_sensitive().equals(&n("1")).is_sensitive());
    }

    #[test]
    fn declassified_is_shown_and_is_not_identity() {
        let d = Value::string("pw").mark_declassified();
        assert!(d.is_declassified() && !d.is_sensitive() && !d.is_sensitive_deep());
        assert_eq!(d.to_string(), "\"pw\"", "shown, not (sensitive)");
        // Identity ignores the annotation, not the sensitive mark.
        assert!(d.raw_equal(&Value::string("pw")));
        assert!(!d.raw_equal(&Value::string("pw").mark_sensitive()));
        let both = d.clone().mark_sensitive();
        assert!(both.is_sensitive() && !both.is_declassified());
        assert_eq!(both.to_string(), "(sensitive)");
        // Equality keeps the annotation, and never makes the result sensitive.
        let eq = d.equals(&Value::string("pw"));
        assert_eq!(eq.as_bool(), Some(true));
        assert!(eq.marks().is_declassified() && !eq.is_sensitive());
        let deep = Value::tuple(vec![d.clone(), Value::tuple(vec![both])]);
        assert!(deep.is_sensitive_deep() && deep.marks_deep().is_declassified());
        assert!(!Value::tuple(vec![d]).is_sensitive_deep());
        assert_eq!(
            (Marks::SENSITIVE | Marks::DECLASSIFIED).without(Marks::SENSITIVE),
            Marks::DECLASSIFIED
        );
    }

    #[test]
    fn json_round_trip() {
        let t = Type::object(vec![
            ("a".into(), Type::Number),
            ("b".into(), Type::list(Type::String)),
        ]);
        let v = Value::from_json_with_type(r#"{"a": 9007199254740993, "b": ["<x>"]}"#, &t).unwrap();
        assert_eq!(v.ty(), t);
        assert_eq!(
            v.to_json().unwrap(),
            r#"{"a":9007199254740993,"b":["\u003cx\u003e"]}"#
        );
        let d = Value::from_json_with_type(r#"{"x":[1,"a"],"y":null}"#, &Type::Dynamic).unwrap();
        assert_eq!(
            d.ty().to_json().to_string(),
            r#"["object",{"x":["tuple",["number","string"]],"y":"dynamic"}]"#
        );
    }

    #[test]
    fn json_of_shared_parts_stops_at_the_limit() {
        // 10^3 references to 10^3 references to a string: 10^6 strings, one allocation each.
        let a = Value::tuple(vec![Value::string("xxxxxxxxxx"); 1000]);
        let b = Value::tuple(vec![a.clone(); 1000]);
        let e = b.to_json_within(100_000).unwrap_err();
        assert_eq!(e, "the JSON text would be longer than 0 MiB");
        let e = Value::tuple(vec![b; 1000]).to_json().unwrap_err();
        assert_eq!(e, "the JSON text would be longer than 100 MiB");
        assert_eq!(a.to_json_within(100_000).map(|j| j.len()), Ok(13_001));
    }
}
