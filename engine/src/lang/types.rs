//! Types, as in cty: primitives (string, number, bool), collections (list, set, map of one
//! element type), structural types (tuple, object) and the dynamic pseudo-type (`any`).
//!
//! Also: Terraform's JSON encoding of types (`["list","string"]`) and the parsing of type
//! constraints written in configuration (`list(object({a=string}))`).

// Diagnostics are the project-wide error type.
#![allow(clippy::result_large_err)]

use super::ast::{Expr, ExprKind, ObjectKey};
use crate::diag::Diagnostic;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// cty's `DynamicPseudoType`: "any type" in constraints, "not yet known" for values.
    Dynamic,
    Bool,
    Number,
    String,
    List(Arc<Type>),
    Set(Arc<Type>),
    Map(Arc<Type>),
    Tuple(Arc<[Type]>),
    /// Attribute names in lexical order.
    Object(Arc<BTreeMap<String, Type>>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Arc::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Arc::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Arc::new(t))
    }
    pub fn tuple(ts: Vec<Type>) -> Type {
        Type::Tuple(ts.into())
    }
    pub fn object(attrs: impl IntoIterator<Item = (String, Type)>) -> Type {
        Type::Object(Arc::new(attrs.into_iter().collect()))
    }
    pub fn empty_object() -> Type {
        Type::Object(Arc::new(BTreeMap::new()))
    }
    pub fn empty_tuple() -> Type {
        Type::Tuple(Arc::from(Vec::new()))
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }
    pub fn is_structural(&self) -> bool {
        matches!(self, Type::Tuple(_) | Type::Object(_))
    }
    pub fn is_list(&self) -> bool {
        matches!(self, Type::List(_))
    }
    pub fn is_set(&self) -> bool {
        matches!(self, Type::Set(_))
    }
    pub fn is_map(&self) -> bool {
        matches!(self, Type::Map(_))
    }
    pub fn is_tuple(&self) -> bool {
        matches!(self, Type::Tuple(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Type::Object(_))
    }
    pub fn is_dynamic(&self) -> bool {
        matches!(self, Type::Dynamic)
    }

    /// The element type of a collection type.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(a) => Some(a),
            _ => None,
        }
    }

    pub fn tuple_element_types(&self) -> Option<&[Type]> {
        match self {
            Type::Tuple(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the type contains `Dynamic` anywhere (cty's `HasDynamicTypes`).
    pub fn has_dynamic_types(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::Bool | Type::Number | Type::String => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic_types(),
            Type::Tuple(ts) => ts.iter().any(Type::has_dynamic_types),
            Type::Object(a) => a.values().any(Type::has_dynamic_types),
        }
    }

    /// cty's `FriendlyName`: `string`, `list of number`, `object`, `tuple`, `dynamic`.
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Dynamic => "dynamic".into(),
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }

    /// cty's `FriendlyNameForConstraint`: like `friendly_name`, but `any type` for `Dynamic`.
    pub fn friendly_name_for_constraint(&self) -> String {
        match self {
            Type::Dynamic => "any type".into(),
            Type::List(t) => format!("list of {}", t.friendly_name_for_constraint()),
            Type::Set(t) => format!("set of {}", t.friendly_name_for_constraint()),
            Type::Map(t) => format!("map of {}", t.friendly_name_for_constraint()),
            _ => self.friendly_name(),
        }
    }

    /// Terraform's JSON encoding of a type: `"string"`, `["list","string"]`,
    /// `["object",{"a":"number"}]`, `["tuple",["string"]]`, `"dynamic"`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Type::Dynamic => J::String("dynamic".into()),
            Type::Bool => J::String("bool".into()),
            Type::Number => J::String("number".into()),
            Type::String => J::String("string".into()),
            Type::List(t) => J::Array(vec![J::String("list".into()), t.to_json()]),
            Type::Set(t) => J::Array(vec![J::String("set".into()), t.to_json()]),
            Type::Map(t) => J::Array(vec![J::String("map".into()), t.to_json()]),
            Type::Tuple(ts) => J::Array(vec![
                J::String("tuple".into()),
                J::Array(ts.iter().map(Type::to_json).collect()),
            ]),
            Type::Object(a) => J::Array(vec![
                J::String("object".into()),
                J::Object(a.iter().map(|(k, t)| (k.clone(), t.to_json())).collect()),
            ]),
        }
    }

    /// The inverse of [`Type::to_json`].
    pub fn from_json(j: &serde_json::Value) -> Result<Type, String> {
        use serde_json::Value as J;
        match j {
            J::String(s) => match s.as_str() {
                "dynamic" => Ok(Type::Dynamic),
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                other => Err(format!("invalid primitive type name {other:?}")),
            },
            J::Array(a) if a.len() == 2 => {
                let kind = a[0].as_str().ok_or("type kind must be a string")?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&a[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&a[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&a[1])?)),
                    "tuple" => {
                        let J::Array(ts) = &a[1] else {
                            return Err("tuple type requires an array of element types".into());
                        };
                        Ok(Type::tuple(
                            ts.iter().map(Type::from_json).collect::<Result<_, _>>()?,
                        ))
                    }
                    "object" => {
                        let J::Object(m) = &a[1] else {
                            return Err("object type requires an object of attribute types".into());
                        };
                        let mut out = BTreeMap::new();
                        for (k, v) in m {
                            out.insert(k.clone(), Type::from_json(v)?);
                        }
                        Ok(Type::Object(Arc::new(out)))
                    }
                    other => Err(format!("invalid type kind {other:?}")),
                }
            }
            _ => Err("invalid type specification".into()),
        }
    }
}

impl std::fmt::Display for Type {
    /// The type-constraint syntax: `list(object({a=string}))`, `any` for `Dynamic`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Dynamic => f.write_str("any"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::Object(a) => {
                f.write_str("object({")?;
                for (i, (k, t)) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={t}")?;
                }
                f.write_str("})")
            }
        }
    }
}

/// Parses a type constraint expression (the `type` argument of a `variable` block), as
/// Terraform 1.0's `typeexpr.TypeConstraint` does, also accepting the legacy quoted forms
/// `"string"`, `"list"` and `"map"`.
pub fn parse_type_constraint(e: &Expr) -> Result<Type, Diagnostic> {
    match &e.kind {
        ExprKind::Parens(inner) => parse_type_constraint(inner),
        ExprKind::String(s) => match s.as_str() {
            "string" => Ok(Type::String),
            "list" => Ok(Type::list(Type::Dynamic)),
            "map" => Ok(Type::map(Type::Dynamic)),
            _ => Err(Diagnostic::error("Invalid legacy variable type hint")
                .at(&e.range)
                .detail(
                    "The legacy variable type hint form, using a quoted string, allows only the values \"string\", \"list\", and \"map\". To provide a full type expression, remove the surrounding quotes and give the type expression directly.",
                )
                .hint("write the type without quotes, e.g. string or list(string)")),
        },
        ExprKind::Variable(name) => match name.as_str() {
            "bool" => Ok(Type::Bool),
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "any" => Ok(Type::Dynamic),
            "list" | "map" | "set" => Err(Diagnostic::error("Invalid type specification")
                .at(&e.range)
                .detail(format!(
                    "The {name} type constructor requires one argument specifying the element type."
                ))
                .hint(format!("write {name}(string), {name}(number), or {name}(any)"))),
            "object" => Err(Diagnostic::error("Invalid type specification")
                .at(&e.range)
                .detail("The object type constructor requires one argument specifying the attribute types as a map.")
                .hint("write object({ name = string })")),
            "tuple" => Err(Diagnostic::error("Invalid type specification")
                .at(&e.range)
                .detail("The tuple type constructor requires one argument specifying the element types as a list.")
                .hint("write tuple([string, number])")),
            _ => Err(keyword_expected(e, Some(name))),
        },
        ExprKind::FuncCall {
            name,
            name_range,
            args,
            ..
        } => {
            let ctor = name.as_str();
            if !matches!(ctor, "list" | "map" | "set" | "object" | "tuple") {
                return Err(Diagnostic::error("Invalid type specification")
                    .at(name_range)
                    .detail(format!("Keyword {ctor:?} is not a valid type constructor."))
                    .hint("use one of list, set, map, object, tuple"));
            }
            if args.len() != 1 {
                let what = match ctor {
                    "object" => "the attribute types as a map",
                    "tuple" => "the element types as a list",
                    _ => "the element type",
                };
                return Err(Diagnostic::error("Invalid type specification")
                    .at(&e.range)
                    .detail(format!(
                        "The {ctor} type constructor requires one argument specifying {what}."
                    ))
                    .hint(match ctor {
                        "object" => "write object({ name = string })".to_string(),
                        "tuple" => "write tuple([string, number])".to_string(),
                        _ => format!("write {ctor}(string)"),
                    }));
            }
            let arg = &args[0];
            match ctor {
                "list" => Ok(Type::list(parse_type_constraint(arg)?)),
                "set" => Ok(Type::set(parse_type_constraint(arg)?)),
                "map" => Ok(Type::map(parse_type_constraint(arg)?)),
                "tuple" => {
                    let ExprKind::Tuple(items) = &strip_parens(arg).kind else {
                        return Err(Diagnostic::error("Invalid type specification")
                            .at(&arg.range)
                            .detail("Tuple type constructor requires a list of element types.")
                            .hint("write tuple([string, number])"));
                    };
                    let mut ts = Vec::with_capacity(items.len());
                    for it in items {
                        ts.push(parse_type_constraint(it)?);
                    }
                    Ok(Type::tuple(ts))
                }
                _ => {
                    let ExprKind::Object(items) = &strip_parens(arg).kind else {
                        return Err(Diagnostic::error("Invalid type specification")
                            .at(&arg.range)
                            .detail("Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types.")
                            .hint("write object({ name = string })"));
                    };
                    let mut attrs = BTreeMap::new();
                    for it in items {
                        let key = match &it.key {
                            ObjectKey::Ident(s, _) => s.clone(),
                            ObjectKey::Expr(k) => match &strip_parens(k).kind {
                                ExprKind::String(s) => s.clone(),
                                ExprKind::Variable(s) => s.clone(),
                                _ => {
                                    return Err(Diagnostic::error("Invalid type specification")
                                        .at(it.key.range())
                                        .detail("Object constructor map keys must be attribute names.")
                                        .hint("use a plain name as the attribute name"))
                                }
                            },
                        };
                        if let ExprKind::FuncCall { name, .. } = &strip_parens(&it.value).kind {
                            if name == "optional" {
                                return Err(optional_attrs_experimental(&it.value));
                            }
                        }
                        let t = parse_type_constraint(&it.value)?;
                        attrs.insert(key, t);
                    }
                    Ok(Type::Object(Arc::new(attrs)))
                }
            }
        }
        _ => Err(keyword_expected(e, None)),
    }
}

/// `optional(...)` attributes need the `module_variable_optional_attrs` experiment in
/// Terraform 1.0, which sakk does not implement: it reports what 1.0 reports without it.
fn optional_attrs_experimental(e: &Expr) -> Diagnostic {
    Diagnostic::error("Optional object type attributes are experimental")
        .at(&e.range)
        .detail("This feature is currently an opt-in experiment, subject to change in future releases based on feedback.\n\nActivate the feature for this module by adding module_variable_optional_attrs to the list of active experiments.")
        .hint("declare the attribute without optional(...), and give it a value (null if need be)")
}

fn strip_parens(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Parens(inner) => strip_parens(inner),
        _ => e,
    }
}

fn keyword_expected(e: &Expr, name: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error("Invalid type specification")
        .at(&e.range)
        .detail("A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).");
    match name.and_then(|n| crate::diag::suggest(n, ["bool", "number", "string", "any"])) {
        Some(s) => d.hint(format!("did you mean {s}?")),
        None => d.hint("use string, number, bool, any, or a constructor such as list(string)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parse::parse_expr;

    fn tc(src: &str) -> Result<Type, Diagnostic> {
        parse_type_constraint(&parse_expr("t.tf".into(), src).expect("parses"))
    }

    #[test]
    fn parses_constraints() {
        assert_eq!(tc("string").unwrap(), Type::String);
        assert_eq!(tc("any").unwrap(), Type::Dynamic);
        assert_eq!(tc("\"list\"").unwrap(), Type::list(Type::Dynamic));
        let t = tc("list(object({userarn=string, groups=list(string)}))").unwrap();
        assert_eq!(
            t.to_json().to_string(),
            r#"["list",["object",{"groups":["list","string"],"userarn":"string"}]]"#
        );
        assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
        assert_eq!(
            tc("tuple([string, map(number)])").unwrap().to_string(),
            "tuple([string, map(number)])"
        );
    }

    #[test]
    fn bad_constraints_point_at_the_part() {
        let e = tc("list(strin)").unwrap_err();
        assert_eq!(e.summary, "Invalid type specification");
        assert_eq!(e.range.as_ref().map(|r| r.start.column), Some(6));
        assert_eq!(e.hint.as_deref(), Some("did you mean string?"));
        assert!(tc("\"number\"").is_err());
        assert!(tc("list").is_err());
        assert!(tc("foo(string)").is_err());
        // Terraform 1.0 needs an experiment for optional attributes.
        let e = tc("object({ a = optional(string) })").unwrap_err();
        assert_eq!(
            e.summary,
            "Optional object type attributes are experimental"
        );
    }
}
