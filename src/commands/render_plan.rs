//! A plan as people read it (Terraform's layout), as JSON, and as a pull-request comment.

use engine::config::Mode;
use engine::lang::value::{Kind, Value};
use engine::plan::{Action, Adoption, Plan, Reason, ResourceChange};
use ops::outputs::Change as OutputChange;
use std::fmt::Write as _;

const UNKNOWN: &str = "(known after apply)";
const SENSITIVE: &str = "(sensitive value)";
/// The annotation of a value that went through `nonsensitive()` (shown in clear, on purpose).
pub const DECLASSIFIED: &str = "declassified with nonsensitive()";

/// ` # declassified with nonsensitive()` when `v` is declassified (and not sensitive).
fn note(v: &Value) -> String {
    if v.is_declassified() {
        format!(" # {DECLASSIFIED}")
    } else {
        String::new()
    }
}

/// A value in HCL-like syntax, indented by `ind` for continuation lines. Elements and
/// attributes inside it that were declassified with `nonsensitive()` say so at the end of their
/// line (the caller annotates the value itself).
pub fn fmt_value(v: &Value, ind: usize) -> String {
    if v.is_sensitive() {
        return SENSITIVE.into();
    }
    let pad = " ".repeat(ind + 4);
    let close = " ".repeat(ind + 2);
    match v.kind() {
        Kind::Unknown => UNKNOWN.into(),
        Kind::Null => "null".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Number(_) => v.to_string(),
        Kind::String(s) => serde_json::Value::String(s.to_string()).to_string(),
        Kind::List(items) | Kind::Set(items) | Kind::Tuple(items) => {
            if items.is_empty() {
                return "[]".into();
            }
            let mut out = String::from("[\n");
            for it in items {
                let _ = writeln!(out, "{pad}{},{}", fmt_value(it, ind + 2), note(it));
            }
            out.push_str(&close);
            out.push(']');
            out
        }
        Kind::Map(m) | Kind::Object(m) => {
            if m.is_empty() {
                return "{}".into();
            }
            let width = m
                .keys()
                .map(|k| key_text(k).chars().count())
                .max()
                .unwrap_or(0);
            let mut out = String::from("{\n");
            for (k, x) in m {
                let _ = writeln!(
                    out,
                    "{pad}{:<width$} = {}{}",
                    key_text(k),
                    fmt_value(x, ind + 2),
                    note(x)
                );
            }
            out.push_str(&close);
            out.push('}');
            out
        }
    }
}

fn key_text(k: &str) -> String {
    if engine::config::decode::valid_identifier(k) {
        k.to_string()
    } else {
        serde_json::Value::String(k.to_string()).to_string()
    }
}

fn header(c: &ResourceChange) -> String {
    let a = &c.addr;
    if let Some(key) = &c.deposed {
        return format!("  # {a} (deposed object {key}) will be destroyed");
    }
    let what = match c.action {
        Action::Create => "will be created".to_string(),
        Action::Read => "will be read during apply".to_string(),
        Action::Update => "will be updated in-place".to_string(),
        Action::DeleteThenCreate | Action::CreateThenDelete => match &c.reason {
            Some(Reason::Tainted) => "is tainted, so must be replaced".into(),
            Some(Reason::Requested) => "will be replaced, as requested".into(),
            _ => "must be replaced".into(),
        },
        Action::Delete => match &c.reason {
            Some(Reason::NoLongerInConfig) => "will be destroyed\n  # (because its resource or module is no longer in the configuration)".into(),
            Some(Reason::KeyNotInConfig) => "will be destroyed\n  # (because its key is not in count/for_each)".into(),
            _ => "will be destroyed".into(),
        },
        Action::NoOp => "has no changes".into(),
    };
    let created_again = if matches!(c.reason, Some(Reason::GoneOutOfBand)) {
        " (it was deleted outside sakk)"
    } else {
        ""
    };
    format!("  # {a} {what}{created_again}")
}

/// One resource change, Terraform-style.
pub fn render_change(c: &ResourceChange) -> String {
    let mut out = header(c);
    out.push('\n');
    let kw = if c.addr.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let _ = writeln!(
        out,
        "{:>3} {kw} \"{}\" \"{}\" {{",
        c.action.symbol(),
        c.addr.type_,
        c.addr.name
    );
    let forced: Vec<String> = match &c.reason {
        Some(Reason::ForcesReplacement(p)) => p.clone(),
        _ => Vec::new(),
    };
    let empty = Value::empty_object();
    let before = c.before.as_ref().unwrap_or(&empty);
    let after = c.after.as_ref().unwrap_or(&empty);
    let mut names: Vec<&String> = match (before.entries(), after.entries()) {
        (Some(b), Some(a)) => b.keys().chain(a.keys()).collect(),
        (Some(b), None) => b.keys().collect(),
        (None, Some(a)) => a.keys().collect(),
        (None, None) => Vec::new(),
    };
    names.sort();
    names.dedup();
    let mut lines: Vec<(String, String, String)> = Vec::new(); // (symbol, name, text)
    let mut unchanged = 0;
    for n in names {
        let b = before.get_attr(n);
        let a = after.get_attr(n);
        let null = |v: Option<&Value>| v.is_none_or(|v| v.is_null() && v.is_known());
        match c.action {
            Action::Create | Action::Read => {
                if let Some(a) = a.filter(|a| !null(Some(a))) {
                    lines.push(("+".into(), n.clone(), fmt_value(a, 6) + &note(a)));
                }
            }
            Action::Delete => {
                if let Some(b) = b.filter(|b| !null(Some(b))) {
                    lines.push((
                        "-".into(),
                        n.clone(),
                        format!("{} -> null{}", fmt_value(b, 6), note(b)),
                    ));
                }
            }
            _ => {
                let same = match (b, a) {
                    (Some(x), Some(y)) => x.raw_equal(y) && x.is_sensitive() == y.is_sensitive(),
                    (None, None) => true,
                    _ => false,
                };
                if same {
                    unchanged += 1;
                    continue;
                }
                let forces = forced
                    .iter()
                    .any(|f| f == n || f.starts_with(&format!("{n}.")));
                let declassified = a.or(b).is_some_and(Value::is_declassified);
                let suffix = match (forces, declassified) {
                    (true, true) => format!(" # forces replacement; {DECLASSIFIED}"),
                    (true, false) => " # forces replacement".to_string(),
                    (false, true) => format!(" # {DECLASSIFIED}"),
                    (false, false) => String::new(),
                };
                let text = match (null(b), null(a)) {
                    (true, false) => ("+", fmt_value(a.unwrap_or(&empty), 6)),
                    (false, true) => (
                        "-",
                        format!("{} -> null", fmt_value(b.unwrap_or(&empty), 6)),
                    ),
                    _ => (
                        "~",
                        format!(
                            "{} -> {}",
                            fmt_value(b.unwrap_or(&empty), 6),
                            fmt_value(a.unwrap_or(&empty), 6)
                        ),
                    ),
                };
                lines.push((text.0.into(), n.clone(), format!("{}{suffix}", text.1)));
            }
        }
    }
    let width = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
    for (sym, n, text) in lines {
        let _ = writeln!(out, "      {sym} {n:<width$} = {text}");
    }
    if unchanged > 0 {
        let _ = writeln!(out, "        # ({unchanged} unchanged attributes hidden)");
    }
    out.push_str("    }\n");
    out
}

/// The whole human-readable plan; `outputs` are the output changes.
pub fn render(plan: &Plan, outputs: &[(&str, OutputChange)], color: bool) -> String {
    let mut out = String::new();
    if !plan.drift.is_empty() {
        out.push_str("\nNote: Objects have changed outside of sakk\n\nsakk detected the following changes made outside of sakk since the last apply:\n\n");
        for d in &plan.drift {
            match &d.after {
                None => match &d.deposed {
                    Some(key) => {
                        let _ = writeln!(
                            out,
                            "  # {} (deposed object {key}) has been deleted",
                            d.addr
                        );
                    }
                    None => {
                        let _ = writeln!(out, "  # {} has been deleted", d.addr);
                    }
                },
                Some(after) => {
                    let c = ResourceChange {
                        addr: d.addr.clone(),
                        provider: String::new(),
                        action: Action::Update,
                        before: Some(d.before.clone()),
                        after: Some(after.clone()),
                        reason: None,
                        dependencies: Vec::new(),
                        deposed: None,
                        token: None,
                    };
                    let text =
                        render_change(&c).replacen("will be updated in-place", "has changed", 1);
                    out.push_str(&text);
                }
            }
        }
        out.push('\n');
    }
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || plan.adoption_of(&c.addr).is_some())
        .collect();
    if changes.is_empty() && outputs.is_empty() && plan.moved.is_empty() {
        out.push_str("\nNo changes. Your infrastructure matches the configuration.\n\nsakk has compared your real infrastructure against your configuration and found no\ndifferences, so no changes are needed.\n");
        return paint(out, color);
    }
    if !changes.is_empty() || !plan.moved.is_empty() {
        out.push_str("\nsakk will perform the following actions:\n\n");
        for m in &plan.moved {
            let _ = writeln!(out, "  # {} has moved to {}\n", m.from, m.to);
        }
        for c in &changes {
            let mut text = render_change(c);
            match plan.adoption_of(&c.addr).map(|a| &a.how) {
                Some(Adoption::Import(id)) => {
                    let note = if c.action == Action::NoOp {
                        format!("  # {} will be imported", c.addr)
                    } else {
                        format!("{}\n  # (imported from \"{id}\")", header(c))
                    };
                    text = text.replacen(&header(c), &note, 1);
                }
                Some(Adoption::Token(_)) => {
                    let note = format!(
                        "  # {} was created by an interrupted apply and will be adopted",
                        c.addr
                    );
                    text = if c.action == Action::NoOp {
                        text.replacen(&header(c), &note, 1)
                    } else {
                        text.replacen(&header(c), &format!("{note}\n{}", header(c)), 1)
                    };
                }
                None => {}
            }
            out.push_str(&text);
            out.push('\n');
        }
        let (a, ch, d) = plan.counts();
        let imports = plan.imports();
        if imports > 0 {
            let _ = writeln!(
                out,
                "Plan: {imports} to import, {a} to add, {ch} to change, {d} to destroy."
            );
        } else {
            let _ = writeln!(out, "Plan: {a} to add, {ch} to change, {d} to destroy.");
        }
    }
    if !outputs.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        let width = outputs
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        for (name, c) in outputs {
            let name = format!("{name:<width$}");
            let _ = match c {
                OutputChange::Create(b) => writeln!(
                    out,
                    "  + {name} = {}",
                    super::outputs::indent(&super::outputs::render(b), 4)
                ),
                OutputChange::Update(a, b) => writeln!(
                    out,
                    "  ~ {name} = {} -> {}",
                    super::outputs::indent(&super::outputs::render(a), 4),
                    super::outputs::indent(&super::outputs::render(b), 4)
                ),
                OutputChange::Delete(a) => writeln!(
                    out,
                    "  - {name} = {} -> null",
                    super::outputs::indent(&super::outputs::render(a), 4)
                ),
            };
        }
        if changes.is_empty() {
            out.push_str("\nYou can apply this plan to save these new output values to the state, without\nchanging any real infrastructure.\n");
        }
    }
    paint(out, color)
}

fn paint(s: String, color: bool) -> String {
    if !color {
        return s;
    }
    s.lines()
        .map(|l| {
            let t = l.trim_start();
            let code = if t.starts_with("-/+") || t.starts_with("+/-") {
                "35"
            } else if t.starts_with('+') {
                "32"
            } else if t.starts_with('~') {
                "33"
            } else if t.starts_with('-') {
                "31"
            } else if t.starts_with("<=") {
                "36"
            } else {
                ""
            };
            if code.is_empty() {
                l.to_string()
            } else {
                format!("\x1b[{code}m{l}\x1b[0m")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// JSON of a value for the machine-readable plan: unknowns as null (listed in after_unknown),
/// sensitive values as null (listed in *_sensitive).
fn json_of(v: &Value) -> serde_json::Value {
    if v.is_sensitive() || !v.is_known() {
        return serde_json::Value::Null;
    }
    match v.kind() {
        Kind::List(items) | Kind::Set(items) | Kind::Tuple(items) => {
            serde_json::Value::Array(items.iter().map(json_of).collect())
        }
        Kind::Map(m) | Kind::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, x)| (k.clone(), json_of(x))).collect())
        }
        _ => v
            .to_json()
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null),
    }
}

/// Where a value is unknown (true) or sensitive, as a tree parallel to the value.
fn mask(v: &Value, pick: &dyn Fn(&Value) -> bool) -> serde_json::Value {
    if pick(v) {
        return serde_json::Value::Bool(true);
    }
    match v.kind() {
        Kind::List(items) | Kind::Set(items) | Kind::Tuple(items) => {
            serde_json::Value::Array(items.iter().map(|x| mask(x, pick)).collect())
        }
        Kind::Map(m) | Kind::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter_map(|(k, x)| {
                    let inner = mask(x, pick);
                    (inner != serde_json::Value::Bool(false)).then(|| (k.clone(), inner))
                })
                .collect(),
        ),
        _ => serde_json::Value::Bool(false),
    }
}

/// Where a value was declassified with `nonsensitive()` (true), as a tree parallel to the value
/// like `after_sensitive`; nothing at or below a sensitive value counts.
fn declassified_mask(v: &Value) -> serde_json::Value {
    if v.is_sensitive() {
        return serde_json::Value::Bool(false);
    }
    if v.is_declassified() {
        return serde_json::Value::Bool(true);
    }
    match v.kind() {
        Kind::List(items) | Kind::Set(items) | Kind::Tuple(items) => {
            serde_json::Value::Array(items.iter().map(declassified_mask).collect())
        }
        Kind::Map(m) | Kind::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter_map(|(k, x)| {
                    let inner = declassified_mask(x);
                    (inner != serde_json::Value::Bool(false)).then(|| (k.clone(), inner))
                })
                .collect(),
        ),
        _ => serde_json::Value::Bool(false),
    }
}

/// Terraform's `show -json` plan shape (resource_changes, output_changes), plus sakk's
/// `after_declassified` (the parts of `after` shown because of `nonsensitive()`, shaped like
/// `after_sensitive`).
pub fn to_json(plan: &Plan, outputs: &[(&str, OutputChange)]) -> serde_json::Value {
    let unknown = |v: &Value| !v.is_known();
    let sensitive = |v: &Value| v.is_sensitive();
    let rc: Vec<serde_json::Value> = plan
        .changes
        .iter()
        .map(|c| {
            let a = &c.addr;
            let mut j = serde_json::json!({
                "address": a.to_string(),
                "module_address": if a.module.is_root() { serde_json::Value::Null } else { serde_json::Value::String(a.module.to_string()) },
                "mode": if a.mode == Mode::Data { "data" } else { "managed" },
                "type": a.type_,
                "name": a.name,
                "index": match &a.key { Some(engine::addrs::InstanceKey::Int(i)) => serde_json::json!(i), Some(engine::addrs::InstanceKey::Str(s)) => serde_json::json!(s), None => serde_json::Value::Null },
                "provider_name": ops::state_io::provider_source(&c.provider),
                "change": {
                    "actions": c.action.json_actions(),
                    "before": c.before.as_ref().map(json_of),
                    "after": c.after.as_ref().map(json_of),
                    "after_unknown": c.after.as_ref().map(|v| mask(v, &unknown)).unwrap_or(serde_json::Value::Bool(false)),
                    "before_sensitive": c.before.as_ref().map(|v| mask(v, &sensitive)).unwrap_or(serde_json::Value::Bool(false)),
                    "after_sensitive": c.after.as_ref().map(|v| mask(v, &sensitive)).unwrap_or(serde_json::Value::Bool(false)),
                    "after_declassified": c.after.as_ref().map(declassified_mask).unwrap_or(serde_json::Value::Bool(false)),
                    "replace_paths": match &c.reason { Some(Reason::ForcesReplacement(p)) => serde_json::json!(p), _ => serde_json::json!([]) },
                }
            });
            // Terraform's key of a deposed object's change.
            if let (Some(key), Some(m)) = (&c.deposed, j.as_object_mut()) {
                m.insert("deposed".into(), serde_json::json!(key));
            }
            j
        })
        .collect();
    let oc: serde_json::Map<String, serde_json::Value> = outputs
        .iter()
        .map(|(name, c)| {
            let (actions, before, after) = match c {
                OutputChange::Create(b) => (vec!["create"], None, Some(*b)),
                OutputChange::Update(a, b) => (vec!["update"], Some(*a), Some(*b)),
                OutputChange::Delete(a) => (vec!["delete"], Some(*a), None),
            };
            let shown = |o: Option<&state::model::OutputValue>| match o {
                Some(o) if !o.sensitive => o.value.clone(),
                _ => serde_json::Value::Null,
            };
            (
                name.to_string(),
                serde_json::json!({
                    "actions": actions,
                    "before": shown(before),
                    "after": shown(after),
                    "before_sensitive": before.is_some_and(|o| o.sensitive),
                    "after_sensitive": after.is_some_and(|o| o.sensitive),
                }),
            )
        })
        .collect();
    let (add, change, destroy) = plan.counts();
    serde_json::json!({
        "format_version": "1.0",
        "resource_changes": rc,
        "resource_drift": plan.drift.iter().map(|d| {
            let mut j = serde_json::json!({"address": d.addr.to_string(), "deleted": d.after.is_none()});
            if let (Some(key), Some(m)) = (&d.deposed, j.as_object_mut()) {
                m.insert("deposed".into(), serde_json::json!(key));
            }
            j
        }).collect::<Vec<_>>(),
        "moved": plan.moved.iter().map(|m| serde_json::json!({"from": m.from, "to": m.to})).collect::<Vec<_>>(),
        "imported": plan.adopted.iter().map(|a| match &a.how {
            Adoption::Import(id) => serde_json::json!({"address": a.addr.to_string(), "id": id}),
            Adoption::Token(t) => serde_json::json!({"address": a.addr.to_string(), "adopted_token": t}),
        }).collect::<Vec<_>>(),
        "output_changes": oc,
        "summary": {"add": add, "change": change, "destroy": destroy},
    })
}

/// A pull-request comment: the summary line, the plan in a collapsible block, and the
/// manifest diff of GitOps resources.
pub fn to_markdown(plan: &Plan, outputs: &[(&str, OutputChange)]) -> String {
    let (a, c, d) = plan.counts();
    let mut out = String::new();
    let summary = if plan.has_resource_changes() {
        format!("Plan: {a} to add, {c} to change, {d} to destroy.")
    } else if outputs.is_empty() {
        "No changes.".to_string()
    } else {
        format!("Plan: only output changes ({}).", outputs.len())
    };
    let _ = writeln!(out, "### sakk plan\n\n**{summary}**\n");
    let _ = writeln!(out, "<details><summary>Show the plan</summary>\n\n```diff");
    for line in render(plan, outputs, false).lines() {
        // `diff` highlighting wants the marker in the first column.
        let t = line.trim_start();
        if t.starts_with('+') || t.starts_with('-') || t.starts_with('~') {
            let _ = writeln!(out, "{}{}", &t[..1], line);
        } else {
            let _ = writeln!(out, " {line}");
        }
    }
    let _ = writeln!(out, "```\n\n</details>");
    let gitops: Vec<(String, Option<&Value>, Option<&Value>)> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .filter(|c| {
            providers::registry()
                .for_type(&c.addr.type_)
                .is_some_and(|p| p.name() == "gitops")
        })
        .map(|c| (c.addr.to_string(), c.before.as_ref(), c.after.as_ref()))
        .collect();
    if !gitops.is_empty() {
        let refs: Vec<(&str, Option<&Value>, Option<&Value>)> = gitops
            .iter()
            .map(|(a, b, c)| (a.as_str(), *b, *c))
            .collect();
        let _ = writeln!(
            out,
            "\n<details><summary>GitOps manifest changes</summary>\n\n{}\n</details>",
            providers::gitops::markdown_diff(&refs)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::plan::Drift;

    fn deposed_plan() -> Plan {
        let addr: engine::addrs::ResourceInstance = match "aws_route53_zone.z".parse() {
            Ok(engine::addrs::Target::Resource(r)) => r,
            other => panic!("{other:?}"),
        };
        let old = Value::object(vec![("id".into(), Value::string("Z123"))]);
        Plan {
            changes: vec![ResourceChange {
                addr: addr.clone(),
                provider: "aws".into(),
                action: Action::Delete,
                before: Some(old.clone()),
                after: None,
                reason: None,
                dependencies: Vec::new(),
                deposed: Some("1a2b3c4d".into()),
                token: None,
            }],
            drift: vec![Drift {
                addr,
                before: old,
                after: None,
                deposed: Some("5e6f7a8b".into()),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn deposed_objects_are_shown_as_terraform_shows_them() {
        let plan = deposed_plan();
        let text = render(&plan, &[], false);
        assert!(
            text.contains("# aws_route53_zone.z (deposed object 1a2b3c4d) will be destroyed"),
            "{text}"
        );
        assert!(
            text.contains("# aws_route53_zone.z (deposed object 5e6f7a8b) has been deleted"),
            "{text}"
        );
        let md = to_markdown(&plan, &[]);
        assert!(
            md.contains("(deposed object 1a2b3c4d) will be destroyed"),
            "{md}"
        );
        let json = to_json(&plan, &[]);
        assert_eq!(json["resource_changes"][0]["deposed"], "1a2b3c4d");
        assert_eq!(
            json["resource_changes"][0]["change"]["actions"][0],
            "delete"
        );
        assert_eq!(json["resource_drift"][0]["deposed"], "5e6f7a8b");
        assert_eq!(json["summary"]["destroy"], 1);
    }

    use engine::lang::types::Type;

    fn change(action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
        ResourceChange {
            addr: "argocd_application.db".parse().expect("address"),
            provider: "gitops".into(),
            action,
            before,
            after,
            reason: None,
            dependencies: Vec::new(),
            deposed: None,
            token: None,
        }
    }

    fn obj(v: Vec<(&str, Value)>) -> Value {
        Value::object(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect())
    }

    fn planned() -> Value {
        let d = |s: &str| Value::string(s).mark_declassified();
        obj(vec![
            ("values", d("password: hunter2")),
            (
                "spec",
                obj(vec![
                    ("helm", d("x: 1")),
                    ("list", Value::list(Type::String, vec![d("a1")])),
                    ("plain", Value::string("p")),
                    ("secret", Value::string("hunter2").mark_sensitive()),
                    // Declassified, then mixed with a secret: sensitive.
                    ("mixed", d("hunter2").mark_sensitive()),
                ]),
            ),
        ])
    }

    #[test]
    fn declassified_values_are_annotated_on_their_line() {
        let text = render_change(&change(Action::Create, None, Some(planned())));
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle} in\n{text}"))
                .to_string()
        };
        assert!(
            line("+ values")
                .ends_with(r#"= "password: hunter2" # declassified with nonsensitive()"#),
            "{text}"
        );
        assert!(
            line("helm").ends_with(r#""x: 1" # declassified with nonsensitive()"#),
            "{text}"
        );
        assert!(
            line("\"a1\"").ends_with(r#""a1", # declassified with nonsensitive()"#),
            "{text}"
        );
        assert!(!line("plain").contains("declassified"), "{text}");
        assert!(line("secret").ends_with(SENSITIVE), "{text}");
        assert!(line("mixed").ends_with(SENSITIVE), "{text}");
        assert_eq!(
            text.matches("hunter2").count(),
            1,
            "only the declassified one:\n{text}"
        );
        // An update: the state keeps no mark, the planned side has it.
        let before = obj(vec![
            ("values", Value::string("old")),
            ("spec", Value::null_dynamic()),
        ]);
        let after = obj(vec![
            ("values", Value::string("new").mark_declassified()),
            ("spec", Value::null_dynamic()),
        ]);
        let text = render_change(&change(Action::Update, Some(before), Some(after)));
        assert!(
            text.contains(r#"~ values = "old" -> "new" # declassified with nonsensitive()"#),
            "{text}"
        );
    }

    #[test]
    fn json_keeps_terraform_fields_and_adds_after_declassified() {
        let mut plan = Plan::default();
        plan.changes
            .push(change(Action::Create, None, Some(planned())));
        let j = to_json(&plan, &[]);
        let c = &j["resource_changes"][0]["change"];
        assert_eq!(
            c["after_declassified"],
            serde_json::json!({"values": true, "spec": {"helm": true, "list": [true]}})
        );
        assert_eq!(
            c["after_sensitive"],
            serde_json::json!({"spec": {"secret": true, "mixed": true, "list": [false]}})
        );
        assert_eq!(c["after"]["values"], "password: hunter2");
        assert_eq!(c["after"]["spec"]["mixed"], serde_json::Value::Null);
        assert!(!j.to_string().contains("\"hunter2\""), "{j}");
    }
}
