//! Reading configuration/state values and building state values that match a schema.
//!
//! [`Obj`] reads attributes of an object value (`None` for null or unknown); [`State`] builds a
//! value of a schema's object type, every attribute present and null unless set. Tag and JSON
//! policy helpers implement the normalisation every AWS resource shares.

use engine::lang::number::Number;
use engine::lang::types::Type;
use engine::lang::value::{Kind, Value};
use engine::provider::{Attribute, Nesting, Schema};
use std::collections::BTreeMap;

/// Read access to an object value. Every accessor answers `None` for a missing, null or
/// unknown attribute.
#[derive(Clone, Copy)]
pub struct Obj<'a>(pub &'a Value);

impl<'a> Obj<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0
            .get_attr(name)
            .filter(|v| v.is_known() && !v.is_null())
    }
    /// The raw attribute (possibly null or unknown), or a dynamic null when absent.
    pub fn raw(&self, name: &str) -> Value {
        self.0
            .get_attr(name)
            .cloned()
            .unwrap_or_else(Value::null_dynamic)
    }
    pub fn str(&self, name: &str) -> Option<String> {
        opt_str(self.0.get_attr(name))
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name)
            .and_then(|v| v.clone().unmark_deep().0.as_bool())
    }
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| {
            v.clone()
                .unmark_deep()
                .0
                .as_number()
                .and_then(Number::to_i64)
        })
    }
    pub fn str_map(&self, name: &str) -> BTreeMap<String, String> {
        str_map(self.0.get_attr(name))
    }
    pub fn str_list(&self, name: &str) -> Vec<String> {
        str_list(self.0.get_attr(name))
    }
    /// A single nested block (an object), if present.
    pub fn block(&self, name: &str) -> Option<&'a Value> {
        let v = self.get(name)?;
        match v.kind() {
            Kind::Object(_) => Some(v),
            Kind::List(items) | Kind::Set(items) | Kind::Tuple(items) => items.first(),
            _ => None,
        }
    }
    /// The blocks of a repeated nested block (empty when absent).
    pub fn blocks(&self, name: &str) -> Vec<&'a Value> {
        match self.get(name).map(Value::kind) {
            Some(Kind::List(items) | Kind::Set(items) | Kind::Tuple(items)) => {
                items.iter().collect()
            }
            Some(Kind::Object(_)) => self.get(name).into_iter().collect(),
            _ => Vec::new(),
        }
    }
    /// Whether the attribute is unknown (known after apply).
    pub fn is_unknown(&self, name: &str) -> bool {
        self.0.get_attr(name).is_some_and(|v| !v.is_known())
    }
}

/// A known, non-null string.
pub fn opt_str(v: Option<&Value>) -> Option<String> {
    v.filter(|v| v.is_known() && !v.is_null())
        .and_then(|v| v.as_str().map(str::to_string))
}

/// A known map (or object) of strings; unknown or null values are skipped.
pub fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(entries) = v.and_then(Value::entries) {
        for (k, x) in entries {
            if let Some(s) = x.as_str() {
                out.insert(k.clone(), s.to_string());
            }
        }
    }
    out
}

/// A known list or set of strings; unknown or null elements are skipped.
pub fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::elements)
        .map(|items| {
            items
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn s(x: impl AsRef<str>) -> Value {
    Value::string(x.as_ref())
}

pub fn opt_s(x: Option<impl AsRef<str>>) -> Value {
    match x {
        Some(x) => Value::string(x.as_ref()),
        None => Value::null(Type::String),
    }
}

pub fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::map(
        Type::String,
        m.iter().map(|(k, v)| (k.clone(), s(v))).collect(),
    )
}

pub fn set_of_strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::set(Type::String, items.into_iter().map(Value::string).collect())
}

pub fn list_of_strings(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(Type::String, items.into_iter().map(Value::string).collect())
}

/// Structural equality ignoring sensitive marks.
pub fn same(a: &Value, b: &Value) -> bool {
    a.clone()
        .unmark_deep()
        .0
        .raw_equal(&b.clone().unmark_deep().0)
}

/// The empty value of an attribute or block when nothing is set: null, or an empty list/set for
/// repeated blocks (as Terraform represents absent repeated blocks).
pub fn empty_of_block(nesting: Nesting, schema: &Schema) -> Value {
    match nesting {
        Nesting::Single => Value::null(schema.object_type()),
        Nesting::List => Value::empty_list(schema.object_type()),
        Nesting::Set => Value::set(schema.object_type(), Vec::new()),
    }
}

/// Builds an object of a schema's type: start from all-null, set what is known.
pub struct State<'s> {
    schema: &'s Schema,
    attrs: Vec<(String, Value)>,
}

impl<'s> State<'s> {
    pub fn new(schema: &'s Schema) -> State<'s> {
        let mut attrs = Vec::new();
        for (n, a) in &schema.attributes {
            attrs.push((n.clone(), Value::null(a.ty.clone())));
        }
        for (n, b) in &schema.blocks {
            attrs.push((n.clone(), empty_of_block(b.nesting, &b.schema)));
        }
        State { schema, attrs }
    }
    /// Starts from an existing value of the schema (missing attributes null).
    pub fn from(schema: &'s Schema, v: &Value) -> State<'s> {
        let mut st = State::new(schema);
        for (n, slot) in st.attrs.iter_mut() {
            if let Some(x) = v.get_attr(n) {
                *slot = x.clone();
            }
        }
        st
    }
    pub fn set(&mut self, name: &str, v: Value) -> &mut Self {
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = v,
            None => debug_assert!(false, "attribute {name} is not in the schema"),
        }
        self
    }
    pub fn with(mut self, name: &str, v: Value) -> Self {
        self.set(name, v);
        self
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    pub fn schema(&self) -> &'s Schema {
        self.schema
    }
    pub fn build(self) -> Value {
        Value::object(self.attrs)
    }
}

/// The `tags` (optional) and `tags_all` (computed: with the provider's default tags)
/// attributes every taggable type has.
pub fn tags_schema(s: Schema) -> Schema {
    s.attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
}

/// Tag changes from `old` to `new`: (keys to remove, tags to add or change).
pub fn tag_diff(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (removed, set)
}

/// `tags_all`: the provider's default tags overlaid with the resource's own.
pub fn merge_tags(
    default_tags: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = default_tags.clone();
    for (k, v) in tags {
        all.insert(k.clone(), v.clone());
    }
    all
}

/// `tags` and `tags_all` of `v` with the sensitive marks of the `tags` of `from` (the
/// configuration or planned value they were made from): a tag whose value is sensitive stays
/// sensitive in both, under the same key, and a sensitive `tags` makes both sensitive. Values
/// rebuilt from strings (`tags_all` merges the default tags in) lose their marks otherwise, and
/// a secret in a tag would then flow on unmarked (into a GitOps manifest, an output).
pub fn carry_tag_marks(v: Value, from: &Value) -> Value {
    let Some(tags) = from.get_attr("tags").filter(|t| t.has_marks_deep()) else {
        return v;
    };
    let Some(attrs) = v.entries() else { return v };
    let top = tags.marks();
    let attrs: Vec<(String, Value)> = attrs
        .iter()
        .map(|(k, x)| {
            if k != "tags" && k != "tags_all" {
                return (k.clone(), x.clone());
            }
            let x = match x.entries() {
                Some(items) => {
                    let (outer, marks) = x.clone().unmark();
                    let items: Vec<(String, Value)> = items
                        .iter()
                        .map(|(tk, tv)| {
                            let m = tags.get_key(tk).map_or(tv.marks(), Value::marks_deep);
                            (tk.clone(), tv.clone().mark(m))
                        })
                        .collect();
                    let elem = outer.ty().element_type().cloned().unwrap_or(Type::String);
                    Value::map(elem, items).mark(marks | top)
                }
                // Unknown (or null): sensitive when anything in tags is.
                None if !x.is_known() => x.clone().mark(tags.marks_deep()),
                None => x.clone().mark(top),
            };
            (k.clone(), x)
        })
        .collect();
    Value::object(attrs)
}

/// The `tags` and `tags_all` of a refreshed object from the tags AWS reports: `tags` are those
/// not supplied only by default_tags (a key the resource sets itself stays in `tags`). A
/// resource whose state had null tags and has no own tags keeps null tags.
pub fn split_tags(
    aws_tags: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior_tags: &Value,
) -> (Value, Value) {
    let prior = str_map(Some(prior_tags));
    // The intent tag of sakk's own creates is not the user's (see `intent`).
    let aws_tags: &BTreeMap<String, String> = &aws_tags
        .iter()
        .filter(|(k, _)| k.as_str() != super::intent::INTENT_TAG)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let own: BTreeMap<String, String> = aws_tags
        .iter()
        .filter(|(k, v)| prior.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags = if own.is_empty() && (prior_tags.is_null() || !prior_tags.is_known()) {
        Value::null(Type::map(Type::String))
    } else {
        map_value(&own)
    };
    (tags, map_value(aws_tags))
}

/// Parses a JSON document into a canonical form (object keys sorted, no whitespace), so two
/// documents that differ only in layout compare equal. IAM additionally treats a single-element
/// array and a scalar the same for `Action`, `Resource`, `Principal` values etc.; that is folded
/// too.
pub fn canonical_json(src: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(src).ok()?;
    Some(canon(&v, true).to_string())
}

fn canon(v: &serde_json::Value, fold_singletons: bool) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), canon(x, fold_singletons));
                }
            }
            J::Object(out)
        }
        J::Array(items) if fold_singletons && items.len() == 1 => canon(&items[0], true),
        J::Array(items) => J::Array(items.iter().map(|x| canon(x, fold_singletons)).collect()),
        other => other.clone(),
    }
}

/// Whether two JSON policy documents are the same policy.
pub fn json_equivalent(a: &str, b: &str) -> bool {
    match (canonical_json(a), canonical_json(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Decodes a URL-encoded document (IAM returns policies percent-encoded).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Keeps the prior string of a JSON document when AWS's copy is the same policy (so layout or
/// key order is not drift); otherwise AWS's copy.
pub fn keep_equivalent_json(prior: Option<&str>, from_aws: &str) -> String {
    match prior {
        Some(p) if json_equivalent(p, from_aws) => p.to_string(),
        _ => from_aws.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_marks_are_carried_to_tags_all() {
        let tags = Value::map(
            Type::String,
            vec![
                ("pw".into(), Value::string("hunter2").mark_sensitive()),
                ("team".into(), Value::string("data")),
            ],
        );
        let defaults: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
        let all = map_value(&merge_tags(&defaults, &str_map(Some(&tags))));
        assert!(!all.has_marks_deep(), "rebuilt from strings: no marks");
        let planned = Value::object(vec![
            ("id".into(), Value::string("r")),
            ("tags".into(), tags.clone().unmark_deep().0),
            ("tags_all".into(), all),
        ]);
        let from = Value::object(vec![("tags".into(), tags.clone())]);
        let v = carry_tag_marks(planned, &from);
        for a in ["tags", "tags_all"] {
            let m = v.get_attr(a).expect("attribute");
            assert!(!m.is_sensitive(), "{a}: only the element");
            assert!(m.get_key("pw").is_some_and(Value::is_sensitive), "{a}");
            assert!(!m.get_key("team").is_some_and(Value::is_sensitive), "{a}");
        }
        assert_eq!(
            v.get_attr("tags_all")
                .and_then(|m| m.get_key("env"))
                .and_then(Value::as_str),
            Some("prod")
        );
        assert!(!v.get_attr("id").is_some_and(Value::has_marks_deep));
        // A sensitive tags map, and an unknown tags_all.
        let unknown = Value::object(vec![(
            "tags_all".into(),
            Value::unknown(Type::map(Type::String)),
        )]);
        assert!(carry_tag_marks(unknown.clone(), &from)
            .get_attr("tags_all")
            .is_some_and(Value::is_sensitive));
        let whole = Value::object(vec![("tags".into(), tags.unmark_deep().0.mark_sensitive())]);
        let v = carry_tag_marks(unknown, &whole);
        assert!(v.get_attr("tags_all").is_some_and(Value::is_sensitive));
        // Nothing sensitive: unchanged.
        let plain = Value::object(vec![("tags".into(), Value::null(Type::map(Type::String)))]);
        assert!(carry_tag_marks(plain.clone(), &plain).raw_equal(&plain));
    }

    #[test]
    fn json_normalisation_ignores_layout() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;
        let b = "{\n  \"Statement\": [ {\n \"Principal\": {\"Service\": [\"ec2.amazonaws.com\"]},\n \"Action\": [\"sts:AssumeRole\"], \"Effect\": \"Allow\" } ],\n  \"Version\": \"2012-10-17\"\n}";
        assert!(json_equivalent(a, b));
        assert!(!json_equivalent(a, &a.replace("ec2", "eks")));
    }

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz"), "%zz");
    }

    #[test]
    fn tags_split_default_from_own() {
        let mut aws = BTreeMap::new();
        aws.insert("team".to_string(), "ml".to_string());
        aws.insert("env".to_string(), "dev".to_string());
        let mut def = BTreeMap::new();
        def.insert("env".to_string(), "dev".to_string());
        let (tags, all) = split_tags(&aws, &def, &Value::null(Type::map(Type::String)));
        assert_eq!(str_map(Some(&tags)).len(), 1);
        assert_eq!(str_map(Some(&all)).len(), 2);
    }
}
