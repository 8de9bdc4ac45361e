//! `sakk state list|show|rm|mv|pull|push`

use crate::cli::StateCommand;
use crate::ui::Ui;
use engine::addrs::Target;
use ops::state_cmds::{mv, rm};
use state::model::{State, SENSITIVE};
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
    super::project()
        .and_then(|o| o.read_state())
        .map_err(|e| e.to_string())
}

/// Changes the state under the lock (see [`ops::project::Project::modify`]).
fn modify(
    ui: &Ui,
    lock: &crate::cli::LockArgs,
    operation: &str,
    f: impl FnOnce(&mut State) -> Result<String, String>,
) -> u8 {
    let r = (|| {
        let lock = lock.options()?;
        super::project()?.modify(&lock, operation, |st| Ok(f(st)?))
    })();
    super::print_result(ui, r)
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
        if targets.is_empty() || targets.iter().any(|t| state::model::target_contains(t, &a)) {
            match &i.deposed {
                // The old object a create_before_destroy kept, destroyed by the next apply.
                Some(key) => println!("{a} (deposed object {key})"),
                None => println!("{a}"),
            }
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
    // The current object first, then the deposed ones (old objects a create_before_destroy
    // kept, destroyed by the next apply).
    let mut found: Vec<_> = st.instances().filter(|(a, _, _)| a == &t).collect();
    found.sort_by_key(|(_, _, i)| i.deposed.is_some());
    if found.is_empty() {
        return fail(
            ui,
            &format!("no resource instance \"{addr}\" in the state (see `sakk state list`)"),
        );
    }
    for (n, (a, r, i)) in found.into_iter().enumerate() {
        if n > 0 {
            println!();
        }
        show_object(&a, r, i);
    }
    0
}

fn show_object(
    a: &engine::addrs::ResourceInstance,
    r: &state::model::Resource,
    i: &state::model::Instance,
) {
    let kind = match r.mode {
        state::model::ResourceMode::Managed => "resource",
        state::model::ResourceMode::Data => "data",
    };
    match &i.deposed {
        Some(key) => println!("# {a} (deposed object {key}):"),
        None => println!("# {a}:"),
    }
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
    let r = (|| {
        let o = super::project()?;
        let lock = lock.options()?;
        o.with_lock(&lock, "state push", || {
            let location = o.backend.location(&o.workspace);
            let cur = o.read_state()?;
            ops::state_cmds::check_push(&name, &location, cur.as_ref(), &mut new, force)?;
            o.backend
                .put(&o.workspace, &new)
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "Pushed {name} to {location} (serial {}, lineage {}).",
                new.serial, new.lineage
            ))
        })
    })();
    super::print_result(ui, r)
}
