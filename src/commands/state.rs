//! `sakk state list|show|rm|mv|pull|push`

use super::backend::{modify, open, with_lock};
use crate::cli::StateCommand;
use crate::ui::Ui;
use engine::addrs::{ResourceInstance, Target};
use state::model::{module_string, State, SENSITIVE};
use std::io::Read;

pub fn run(cmd: StateCommand, ui: &Ui) -> u8 {
    match cmd {
        StateCommand::List { addrs } => list(&addrs, ui),
        StateCommand::Show { addr } => show(&addr, ui),
        StateCommand::Rm { lock, addrs } => {
            let targets = match parse_all(&addrs) {
                Ok(t) => t,
                Err(e) => return fail(ui, &e),
            };
            modify(ui, &lock, "state rm", |st| rm(st, &addrs, &targets))
        }
        StateCommand::Mv { lock, src, dst } => {
            let (s, d) = match (src.parse::<Target>(), dst.parse::<Target>()) {
                (Ok(s), Ok(d)) => (s, d),
                (Err(e), _) | (_, Err(e)) => return fail(ui, &e),
            };
            modify(ui, &lock, "state mv", |st| mv(st, &s, &d))
        }
        StateCommand::Pull => pull(ui),
        StateCommand::Push { lock, force, file } => push(ui, &lock, force, &file),
    }
}

fn fail(ui: &Ui, e: &str) -> u8 {
    ui.error(e);
    1
}

fn parse_all(addrs: &[String]) -> Result<Vec<Target>, String> {
    addrs.iter().map(|a| a.parse::<Target>()).collect()
}

fn read_state() -> Result<Option<State>, String> {
    let o = open()?;
    o.backend.get(&o.workspace).map_err(|e| e.to_string())
}

fn list(addrs: &[String], ui: &Ui) -> u8 {
    let targets = match parse_all(addrs) {
        Ok(t) => t,
        Err(e) => return fail(ui, &e),
    };
    let st = match read_state() {
        Ok(Some(s)) => s,
        Ok(None) => return 0,
        Err(e) => return fail(ui, &e),
    };
    for (a, _, i) in st.instances() {
        if i.deposed.is_some() {
            continue;
        }
        if targets.is_empty() || targets.iter().any(|t| state::model::target_contains(t, &a)) {
            println!("{a}");
        }
    }
    0
}

fn show(addr: &str, ui: &Ui) -> u8 {
    let t = match addr.parse::<Target>() {
        Ok(Target::Resource(r)) => r,
        Ok(Target::Module(_)) => {
            return fail(
                ui,
                &format!("\"{addr}\" is a module; `state show` takes a resource instance address (see `sakk state list`)"),
            )
        }
        Err(e) => return fail(ui, &e),
    };
    let st = match read_state() {
        Ok(Some(s)) => s,
        Ok(None) => return fail(ui, "there is no state yet"),
        Err(e) => return fail(ui, &e),
    };
    let Some((a, r, i)) = st
        .instances()
        .find(|(a, _, i)| a == &t && i.deposed.is_none())
    else {
        return fail(
            ui,
            &format!("no resource instance \"{addr}\" in the state (see `sakk state list`)"),
        );
    };
    let kind = match r.mode {
        state::model::ResourceMode::Managed => "resource",
        state::model::ResourceMode::Data => "data",
    };
    println!("# {a}:");
    if i.status.is_some() {
        println!("# (tainted)");
    }
    println!("{kind} \"{}\" \"{}\" {{", r.type_, r.name);
    let attrs = i.redacted_attributes();
    if let Some(m) = attrs.as_object() {
        let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in m {
            let shown = match v {
                serde_json::Value::String(s) if s == SENSITIVE => SENSITIVE.to_string(),
                other => serde_json::to_string_pretty(other)
                    .unwrap_or_default()
                    .replace('\n', "\n    "),
            };
            println!("    {k:<width$} = {shown}");
        }
    }
    println!("}}");
    0
}

fn rm(st: &mut State, addrs: &[String], targets: &[Target]) -> Result<String, String> {
    let mut removed = Vec::new();
    for (t, a) in targets.iter().zip(addrs) {
        let found = st.select(t);
        if found.is_empty() {
            return Err(format!(
                "no resource instance in the state matches \"{a}\"; nothing was removed (see `sakk state list`)"
            ));
        }
        for f in found {
            if st.remove_instance(&f).is_some() {
                removed.push(f);
            }
        }
    }
    let mut out: Vec<String> = removed.iter().map(|a| format!("Removed {a}")).collect();
    out.push(format!(
        "Successfully removed {} resource instance(s).",
        removed.len()
    ));
    Ok(out.join("\n"))
}

pub(super) fn mv(st: &mut State, src: &Target, dst: &Target) -> Result<String, String> {
    match (src, dst) {
        (Target::Module(s), Target::Module(d)) => {
            if s.is_root() || d.is_root() {
                return Err("cannot move the root module".into());
            }
            let dst_t = Target::Module(d.clone());
            if !st.select(&dst_t).is_empty() {
                return Err(format!(
                    "the state already has resources in {d}; nothing was moved"
                ));
            }
            let mut n = 0;
            for r in &mut st.resources {
                let m = r.module_instance();
                if m.0.len() >= s.0.len() && m.0[..s.0.len()] == s.0[..] {
                    let mut steps = d.0.clone();
                    steps.extend_from_slice(&m.0[s.0.len()..]);
                    r.module = module_string(&engine::addrs::ModuleInstance(steps));
                    n += r.instances.len();
                }
            }
            if n == 0 {
                return Err(format!(
                    "no resources in {s} in the state; nothing was moved"
                ));
            }
            Ok(format!(
                "Move \"{s}\" to \"{d}\"\nSuccessfully moved {n} resource instance(s)."
            ))
        }
        (Target::Resource(s), Target::Resource(d)) => {
            if s.mode != d.mode || s.type_ != d.type_ {
                return Err(format!(
                    "cannot move {s} to {d}: a resource can only move to an address of the same type ({})",
                    s.type_
                ));
            }
            if s.key.is_none() && d.key.is_none() {
                // The whole resource.
                let Some(ri) = st.resource_index(s) else {
                    return Err(format!(
                        "no resource \"{s}\" in the state (see `sakk state list`)"
                    ));
                };
                if st.resource_index(d).is_some() {
                    return Err(format!("the state already has \"{d}\"; nothing was moved"));
                }
                let r = &mut st.resources[ri];
                r.module = module_string(&d.module);
                r.name = d.name.clone();
                let n = r.instances.len();
                return Ok(format!(
                    "Move \"{s}\" to \"{d}\"\nSuccessfully moved {n} resource instance(s)."
                ));
            }
            move_instance(st, s, d)
        }
        _ => Err(format!(
            "cannot move {src} to {dst}: both must be modules or both resources"
        )),
    }
}

fn move_instance(
    st: &mut State,
    s: &ResourceInstance,
    d: &ResourceInstance,
) -> Result<String, String> {
    if st.instances().any(|(a, _, _)| &a == d) {
        return Err(format!("the state already has \"{d}\"; nothing was moved"));
    }
    let Some((shell, inst)) = st.remove_instance(s) else {
        return Err(format!(
            "no resource instance \"{s}\" in the state (see `sakk state list`)"
        ));
    };
    st.set_instance(d, &shell, inst);
    Ok(format!(
        "Move \"{s}\" to \"{d}\"\nSuccessfully moved 1 resource instance(s)."
    ))
}

fn pull(ui: &Ui) -> u8 {
    match read_state() {
        Ok(Some(s)) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&s.to_bytes());
            0
        }
        Ok(None) => 0,
        Err(e) => fail(ui, &e),
    }
}

fn push(ui: &Ui, lock: &crate::cli::LockArgs, force: bool, file: &std::path::Path) -> u8 {
    let (name, bytes) = if file.as_os_str() == "-" {
        let mut b = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut b) {
            return fail(ui, &format!("cannot read the state from stdin: {e}"));
        }
        ("<stdin>".to_string(), b)
    } else {
        match std::fs::read(file) {
            Ok(b) => (file.display().to_string(), b),
            Err(e) => return fail(ui, &format!("cannot read {}: {e}", file.display())),
        }
    };
    let mut new = match State::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => return fail(ui, &format!("{name} is not a valid state file: {e}")),
    };
    let o = match open() {
        Ok(o) => o,
        Err(e) => return fail(ui, &e),
    };
    let r = with_lock(o.backend.as_ref(), &o.workspace, lock, "state push", || {
        if let Some(cur) = o.backend.get(&o.workspace).map_err(|e| e.to_string())? {
            if cur.lineage != new.lineage && !force {
                return Err(format!(
                    "cannot push {name}: its lineage {} differs from the lineage {} of the state at {} (it is a different state).\nHint: check that you are pushing the right file to the right workspace; --force replaces the state anyway",
                    new.lineage, cur.lineage, o.backend.location(&o.workspace)
                ));
            }
            if new.serial < cur.serial && !force {
                return Err(format!(
                    "cannot push {name}: its serial {} is lower than the serial {} of the state at {} (it is older).\nHint: `sakk state pull` the current state and apply your change to it; --force replaces the state anyway",
                    new.serial, cur.serial, o.backend.location(&o.workspace)
                ));
            }
            if new.serial == cur.serial && new != cur && !force {
                return Err(format!(
                    "cannot push {name}: it has the same serial {} as the state at {} but different content.\nHint: --force replaces the state anyway",
                    new.serial, o.backend.location(&o.workspace)
                ));
            }
            new.serial = new.serial.max(cur.serial + 1);
        }
        o.backend
            .put(&o.workspace, &new)
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "Pushed {name} to {} (serial {}, lineage {}).",
            o.backend.location(&o.workspace),
            new.serial,
            new.lineage
        ))
    });
    match r {
        Ok(m) => {
            println!("{m}");
            0
        }
        Err(e) => fail(ui, &e),
    }
}
