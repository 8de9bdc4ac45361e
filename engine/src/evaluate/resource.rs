//! A resource block's body, evaluated and checked against the provider's schema: the
//! configuration object the provider plans from.

use crate::diag::{suggest, Diagnostic, Diagnostics, Range};
use crate::lang::ast::{Block, Body};
use crate::lang::convert::convert;
use crate::lang::types::Type;
use crate::lang::value::Value;
use crate::provider::{Nesting, Schema};

/// Evaluates `body` into an object of `schema`'s type. `eval` evaluates one expression in the
/// instance's scope. Every attribute of the schema is present in the result (null when unset,
/// the schema default for unset optional attributes); sensitive attributes are marked.
pub fn config_value(
    body: &Body,
    schema: &Schema,
    what: &str,
    eval: &dyn Fn(&crate::lang::ast::Expr) -> Result<Value, Diagnostics>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let mut attrs: Vec<(String, Value)> =
        Vec::with_capacity(schema.attributes.len() + schema.blocks.len());
    let before = diags.len();
    for a in &body.attributes {
        match schema.attributes.get(&a.name) {
            None => {
                let mut d = Diagnostic::error("Unsupported argument")
                    .at(&a.name_range)
                    .detail(format!("An argument named \"{}\" is not expected here ({what}).", a.name));
                let names = schema.attributes.keys().map(String::as_str);
                d = match suggest(&a.name, names) {
                    Some(s) => d.hint(format!("did you mean \"{s}\"?")),
                    None => d.hint("remove it, or check the resource type's documentation"),
                };
                diags.push(d);
            }
            Some(s) if !s.optional && !s.required => diags.push(
                Diagnostic::error("Value for unconfigurable attribute")
                    .at(&a.name_range)
                    .detail(format!(
                        "Can't configure a value for \"{}\": its value will be decided automatically based on the result of applying this configuration.",
                        a.name
                    ))
                    .hint("remove the argument; refer to it as an attribute of the resource instead"),
            ),
            Some(_) => {}
        }
    }
    for b in &body.blocks {
        if b.kind == "dynamic" {
            diags.push(
                Diagnostic::error("Dynamic blocks are not supported yet")
                    .at(&b.kind_range)
                    .detail("sakk does not expand dynamic blocks yet.")
                    .hint("write the nested blocks out, or compute a list attribute"),
            );
            continue;
        }
        if !schema.blocks.contains_key(&b.kind) {
            let mut d = Diagnostic::error("Unsupported block type")
                .at(&b.kind_range)
                .detail(format!(
                    "Blocks of type \"{}\" are not expected here ({what}).",
                    b.kind
                ));
            let names = schema.blocks.keys().map(String::as_str);
            d = match suggest(&b.kind, names) {
                Some(s) => d.hint(format!("did you mean \"{s}\"?")),
                None => d.hint(if schema.attributes.contains_key(&b.kind) {
                    format!("\"{}\" is an argument: write {} = ...", b.kind, b.kind)
                } else {
                    "remove the block".to_string()
                }),
            };
            diags.push(d);
        }
    }
    for (name, spec) in &schema.attributes {
        let given = body.attribute(name);
        let v = match given {
            Some(a) if spec.optional || spec.required => match eval(&a.expr) {
                Ok(v) => match convert(&v, &spec.ty) {
                    Ok(v) => v,
                    Err(e) => {
                        diags.push(
                            Diagnostic::error("Incorrect attribute value type")
                                .at(&a.expr.range)
                                .detail(format!(
                                    "Inappropriate value for attribute \"{name}\": {}.",
                                    e.message
                                ))
                                .hint(format!(
                                    "give {name} a value of type {}",
                                    spec.ty.friendly_name_for_constraint()
                                )),
                        );
                        Value::null(spec.ty.clone())
                    }
                },
                Err(ds) => {
                    diags.extend(ds);
                    Value::null(spec.ty.clone())
                }
            },
            _ => {
                if spec.required {
                    diags.push(
                        Diagnostic::error("Missing required argument")
                            .at(&body.range)
                            .detail(format!("The argument \"{name}\" is required, but no definition was found ({what})."))
                            .hint(format!("add {name} = ... to the block")),
                    );
                }
                spec.default
                    .clone()
                    .unwrap_or_else(|| Value::null(spec.ty.clone()))
            }
        };
        let v = if spec.required && v.is_null() && given.is_some() && v.is_known() {
            diags.push(
                Diagnostic::error("Missing required argument")
                    .at(given.map(|a| &a.expr.range).unwrap_or(&body.range))
                    .detail(format!(
                        "The argument \"{name}\" is required, but the given value is null."
                    ))
                    .hint(format!("give {name} a non-null value")),
            );
            v
        } else {
            v
        };
        attrs.push((
            name.clone(),
            if spec.sensitive {
                v.mark_sensitive()
            } else {
                v
            },
        ));
    }
    for (name, spec) in &schema.blocks {
        let blocks: Vec<&Block> = body.blocks.iter().filter(|b| &b.kind == name).collect();
        let mut items = Vec::with_capacity(blocks.len());
        for b in &blocks {
            if !b.labels.is_empty() {
                diags.push(
                    Diagnostic::error("Extraneous label")
                        .at(&b.label_ranges[0])
                        .detail(format!("A \"{name}\" block takes no labels."))
                        .hint("remove the label"),
                );
            }
            if let Some(v) = config_value(
                &b.body,
                &spec.schema,
                &format!("{what}, block {name}"),
                eval,
                diags,
            ) {
                items.push(v);
            }
        }
        let too_few = blocks.len() < spec.min_items;
        let too_many = spec.max_items > 0 && blocks.len() > spec.max_items;
        if too_few || too_many {
            let at: &Range = blocks
                .get(spec.max_items)
                .map(|b| &b.kind_range)
                .unwrap_or(&body.range);
            diags.push(
                Diagnostic::error(if too_few {
                    "Insufficient blocks"
                } else {
                    "Too many blocks"
                })
                .at(at)
                .detail(format!(
                    "{what}: {} \"{name}\" block(s) given; {} expected.",
                    blocks.len(),
                    match (spec.min_items, spec.max_items) {
                        (min, 0) => format!("at least {min}"),
                        (min, max) if min == max => format!("exactly {min}"),
                        (min, max) => format!("between {min} and {max}"),
                    }
                ))
                .hint(format!("adjust the number of {name} blocks")),
            );
        }
        let ty = spec.schema.object_type();
        let v = match spec.nesting {
            Nesting::Single => items.into_iter().next().unwrap_or_else(|| Value::null(ty)),
            Nesting::List => {
                if items.is_empty() {
                    Value::empty_list(ty)
                } else {
                    Value::list(ty, items)
                }
            }
            Nesting::Set => Value::set(ty, items),
        };
        attrs.push((name.clone(), v));
    }
    if diags.len() > before && diags.0[before..].iter().any(|d| d.is_error()) {
        return None;
    }
    Some(Value::object(attrs))
}

/// Marks the sensitive attributes of a value of `schema` (state values come back unmarked).
pub fn mark_sensitive(v: Value, schema: &Schema) -> Value {
    if !schema.attributes.values().any(|a| a.sensitive) && schema.blocks.is_empty() {
        return v;
    }
    let Some(entries) = v.entries() else { return v };
    let attrs: Vec<(String, Value)> = entries
        .iter()
        .map(|(k, x)| {
            let x = match (schema.attributes.get(k), schema.blocks.get(k)) {
                (Some(a), _) if a.sensitive => x.clone().mark_sensitive(),
                (_, Some(b)) => match b.nesting {
                    Nesting::Single => mark_sensitive(x.clone(), &b.schema),
                    _ => match x.elements() {
                        Some(items) if b.schema.attributes.values().any(|a| a.sensitive) => {
                            let items: Vec<Value> = items
                                .iter()
                                .map(|i| mark_sensitive(i.clone(), &b.schema))
                                .collect();
                            let ty = b.schema.object_type();
                            if b.nesting == Nesting::Set {
                                Value::set(ty, items)
                            } else if items.is_empty() {
                                Value::empty_list(ty)
                            } else {
                                Value::list(ty, items)
                            }
                        }
                        _ => x.clone(),
                    },
                },
                _ => x.clone(),
            };
            (k.clone(), x)
        })
        .collect();
    Value::object(attrs)
}

/// The value of a resource whose type has no schema: unknown, so references are not errors
/// but nothing pretends to know them.
pub fn unknown_object() -> Value {
    Value::unknown(Type::Dynamic)
}
