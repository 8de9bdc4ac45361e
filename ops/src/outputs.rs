//! Root output values: from evaluation to state, and their changes for the plan.

use engine::evaluate::walk::Evaluated;
use indexmap::IndexMap;
use state::model::OutputValue;

/// The type marker of a planned output whose value is not known yet.
pub const UNKNOWN: &str = "(known after apply)";

/// Root outputs as stored in the state: JSON value, type, sensitive flag.
pub fn to_state(ev: &Evaluated) -> Result<IndexMap<String, OutputValue>, String> {
    let mut out = IndexMap::new();
    // Sorted by name, as Terraform stores and prints them.
    let mut names: Vec<&String> = ev.outputs.keys().collect();
    names.sort();
    for name in names {
        let o = &ev.outputs[name];
        let (v, marks) = o.value.clone().unmark_deep();
        if !v.is_wholly_known() {
            // Only during planning: shown as "(known after apply)", never stored.
            out.insert(
                name.clone(),
                OutputValue {
                    value: serde_json::Value::Null,
                    type_: serde_json::Value::String(UNKNOWN.into()),
                    sensitive: o.sensitive || marks.is_sensitive(),
                },
            );
            continue;
        }
        if v.is_null() {
            // Terraform does not store null outputs.
            continue;
        }
        let json = v
            .to_json()
            .map_err(|e| format!("output \"{name}\" cannot be stored: {e}"))?;
        let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        out.insert(
            name.clone(),
            OutputValue {
                value,
                type_: v.ty().to_json(),
                sensitive: o.sensitive || marks.is_sensitive(),
            },
        );
    }
    Ok(out)
}

/// One output's planned change.
pub enum Change<'a> {
    Create(&'a OutputValue),
    Update(&'a OutputValue, &'a OutputValue),
    Delete(&'a OutputValue),
}

/// The changes from `old` to `new`, in name order.
pub fn diff<'a>(
    old: &'a IndexMap<String, OutputValue>,
    new: &'a IndexMap<String, OutputValue>,
) -> Vec<(&'a str, Change<'a>)> {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for n in names {
        match (old.get(n), new.get(n)) {
            (None, Some(b)) => out.push((n.as_str(), Change::Create(b))),
            (Some(a), None) => out.push((n.as_str(), Change::Delete(a))),
            (Some(a), Some(b)) if a != b => out.push((n.as_str(), Change::Update(a, b))),
            _ => {}
        }
    }
    out
}
