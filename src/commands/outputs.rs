//! Root output values as people read them (`sakk output`, the plan's output changes).

use engine::lang::types::Type;
use engine::lang::value::Value;
use state::model::OutputValue;

use ops::outputs::UNKNOWN;

/// A value in Terraform's console style (`tolist([...])`, multi-line collections), or
/// `(sensitive value)`.
pub fn render(o: &OutputValue) -> String {
    if o.sensitive {
        return "(sensitive value)".into();
    }
    render_raw(o)
}

pub fn render_raw(o: &OutputValue) -> String {
    if o.type_ == serde_json::Value::String(UNKNOWN.into()) {
        return UNKNOWN.into();
    }
    let ty = Type::from_json(&o.type_).unwrap_or(Type::Dynamic);
    match Value::from_json_with_type(&o.value.to_string(), &ty) {
        Ok(v) => v.to_string(),
        Err(_) => o.value.to_string(),
    }
}

/// Indents every line after the first by `n` spaces (multi-line values in lists).
pub fn indent(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    s.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
