//! `moved` blocks: renames in the state before planning (resources, instances, whole modules,
//! chains of moves), in every instance of the module that declares them.

use engine::addrs::{ModuleInstance, Target};
use engine::config::tree::Config;
use engine::plan::Moved;
use state::State;

/// `t` relative to the module instance `prefix`.
fn under(prefix: &ModuleInstance, t: &Target) -> Target {
    let join = |m: &ModuleInstance| {
        let mut steps = prefix.0.clone();
        steps.extend(m.0.iter().cloned());
        ModuleInstance(steps)
    };
    match t {
        Target::Module(m) => Target::Module(join(m)),
        Target::Resource(r) => {
            let mut r = r.clone();
            r.module = join(&r.module);
            Target::Resource(r)
        }
    }
}

/// Applies every `moved` block of the configuration to `st`; returns the moves made.
/// A move whose source is not in the state, or whose destination already is, does nothing
/// (Terraform's rule); chains (a -> b, b -> c) are followed whatever their order.
pub fn apply_moves(config: &Config, st: &mut State) -> Result<Vec<Moved>, String> {
    let mut blocks: Vec<(Vec<String>, Target, Target, String, String)> = Vec::new();
    for node in config.root.walk() {
        for m in &node.module.moved {
            let from = m.from.parse::<Target>();
            let to = m.to.parse::<Target>();
            let (from, to) = match (from, to) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) | (_, Err(e)) => {
                    return Err(format!(
                        "{}:{}:{}: invalid moved block: {e}",
                        m.decl_range.filename, m.decl_range.start.line, m.decl_range.start.column
                    ))
                }
            };
            if matches!(
                (&from, &to),
                (Target::Module(_), Target::Resource(_)) | (Target::Resource(_), Target::Module(_))
            ) {
                return Err(format!(
                    "{}:{}:{}: a moved block must move a module to a module or a resource to a resource ({} -> {})\nHint: fix from or to",
                    m.decl_range.filename, m.decl_range.start.line, m.decl_range.start.column, m.from, m.to
                ));
            }
            blocks.push((node.path.clone(), from, to, m.from.clone(), m.to.clone()));
        }
    }
    let mut done = Vec::new();
    if blocks.is_empty() {
        return Ok(done);
    }
    // Follow chains: repeat until nothing moves (bounded: a cycle stops after one round each).
    for _round in 0..=blocks.len() {
        let mut moved_any = false;
        for (path, from, to, ftext, ttext) in &blocks {
            // Every instance of the declaring module that the state has.
            let mut prefixes: Vec<ModuleInstance> = Vec::new();
            if path.is_empty() {
                prefixes.push(ModuleInstance::default());
            } else {
                for r in &st.resources {
                    let m = r.module_instance();
                    if m.0.len() >= path.len() && m.0.iter().zip(path).all(|(s, n)| &s.name == n) {
                        let p = ModuleInstance(m.0[..path.len()].to_vec());
                        if !prefixes.contains(&p) {
                            prefixes.push(p);
                        }
                    }
                }
            }
            for p in prefixes {
                let (f, t) = (under(&p, from), under(&p, to));
                if st.select(&f).is_empty() || !st.select(&t).is_empty() {
                    continue;
                }
                crate::state_cmds::mv(st, &f, &t)?;
                moved_any = true;
                let shown = |base: &str| {
                    if p.is_root() {
                        base.to_string()
                    } else {
                        format!("{p}.{base}")
                    }
                };
                done.push(Moved {
                    from: shown(ftext),
                    to: shown(ttext),
                });
            }
        }
        if !moved_any {
            break;
        }
    }
    Ok(done)
}
