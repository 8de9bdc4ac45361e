//! State commands that change the state (`state rm`, `state mv`, `state push`) as functions
//! over a [`State`]; the CLI reads, locks and writes through [`crate::project::Project`].

use engine::addrs::{ResourceInstance, Target};
use state::model::{module_string, State};

pub fn rm(st: &mut State, addrs: &[String], targets: &[Target]) -> Result<String, String> {
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

pub fn mv(st: &mut State, src: &Target, dst: &Target) -> Result<String, String> {
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

/// `state push`: checks that `new` may replace `cur` (same lineage, not older, not a different
/// state of the same serial) unless `force`, and gives it the serial it is written with.
pub fn check_push(
    name: &str,
    location: &str,
    cur: Option<&State>,
    new: &mut State,
    force: bool,
) -> Result<(), String> {
    let Some(cur) = cur else { return Ok(()) };
    if cur.lineage != new.lineage && !force {
        return Err(format!(
            "cannot push {name}: its lineage {} differs from the lineage {} of the state at {location} (it is a different state).\nHint: check that you are pushing the right file to the right workspace; --force replaces the state anyway",
            new.lineage, cur.lineage
        ));
    }
    if new.serial < cur.serial && !force {
        return Err(format!(
            "cannot push {name}: its serial {} is lower than the serial {} of the state at {location} (it is older).\nHint: `sakk state pull` the current state and apply your change to it; --force replaces the state anyway",
            new.serial, cur.serial
        ));
    }
    if new.serial == cur.serial && new != cur && !force {
        return Err(format!(
            "cannot push {name}: it has the same serial {} as the state at {location} but different content.\nHint: --force replaces the state anyway",
            new.serial
        ));
    }
    new.serial = new.serial.max(cur.serial + 1);
    Ok(())
}
