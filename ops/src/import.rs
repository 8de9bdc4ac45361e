//! `sakk import ADDR ID`: reads an existing object through its provider and records it in the
//! state as ADDR (which the configuration must declare). Nothing else changes.

use crate::load::InputOptions;
use crate::planning::{make_plan, resource_address, PlanOptions};
use crate::project::{LockOptions, Project};
use crate::{Error, Result};

/// Imports the object `id` as `addr` into the state of `project`.
pub fn import(
    project: &Project,
    inputs: &InputOptions,
    addr: &str,
    id: &str,
    lock: &LockOptions,
    rt: &tokio::runtime::Runtime,
) -> Result<()> {
    let target = resource_address(addr)?;
    project.with_lock(lock, "OperationTypeImport", || {
        let st = project.read_state()?;
        if let Some(s) = &st {
            if s.instances().any(|(a, _, _)| a == target) {
                return Err(Error::Message(format!("{target} is already in the state\nHint: to import it again, remove it first with `sakk state rm {target}`")));
            }
        }
        let options = PlanOptions {
            refresh: false,
            imports: vec![(addr.to_string(), id.to_string())],
            ..PlanOptions::default()
        };
        let planned = make_plan(project, inputs, &options, st, rt)?;
        let Some(a) = planned.plan.adoption_of(&target) else {
            return Err(Error::Message(format!("the configuration has no resource instance {target} to import into\nHint: add a resource block for it first (with count/for_each, give the key, like {addr}[0])")));
        };
        let mut st = planned.state.clone().unwrap_or_default();
        crate::apply::put_instance(&mut st, &planned, &target, &a.provider, &a.value, &a.dependencies)?;
        st.serial += 1;
        project
            .backend
            .put(&project.workspace, &st)
            .map_err(|e| Error::Message(e.to_string()))
    })
}
