//! Executing a [`Planned`]: apply, destroy and refresh-only. Imports, adoptions and `moved`
//! renames are saved before any operation starts; then the engine's executor runs the planned
//! changes and every finished operation goes to the state writer at once.

use crate::outputs;
use crate::planning::Planned;
use crate::state_io::{provider_addr, to_instance, Recorder};
use crate::{Error, Result};
use engine::diag::Diagnostics;
use engine::evaluate::apply::{apply as execute, ApplyEvent, ApplyOptions as EngineOptions};
use engine::evaluate::resources::{PlanMode, ResourceOptions};
use engine::plan::Action;
use state::writer::{StateWriter, Update};
use state::{Backend, State};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct ApplyOptions<'a> {
    pub parallelism: usize,
    /// How often "still creating..." events come for long operations.
    pub progress_interval: Duration,
    /// Set (Ctrl-C): start nothing new, let operations in flight finish.
    pub cancel: Arc<AtomicBool>,
    /// Set (a second Ctrl-C): stop waiting for operations in flight.
    pub abandon: Arc<AtomicBool>,
    pub events: &'a (dyn Fn(&ApplyEvent) + Sync),
    /// Where the plan came from, for commit messages ("interactive apply", the plan file).
    pub plan_source: String,
}

/// What an apply did.
#[derive(Debug)]
pub struct Applied {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub interrupted: bool,
    /// Refresh-only: how many objects changed outside sakk.
    pub refreshed: Option<usize>,
    /// The state as saved.
    pub state: State,
    /// Errors of the configuration walk (their sources are the plan's).
    pub diags: Diagnostics,
    /// Errors of recording the state.
    pub errors: Vec<String>,
}

impl Applied {
    pub fn ok(&self) -> bool {
        self.failed == 0 && !self.interrupted && !self.diags.has_errors() && self.errors.is_empty()
    }

    fn unchanged(state: State) -> Applied {
        Applied {
            added: 0,
            changed: 0,
            destroyed: 0,
            failed: 0,
            skipped: 0,
            interrupted: false,
            refreshed: None,
            state,
            diags: Diagnostics::new(),
            errors: Vec::new(),
        }
    }
}

/// Writes `value` of `addr` into `st` (a new instance or a replaced one).
pub(crate) fn put_instance(
    st: &mut State,
    planned: &Planned,
    addr: &engine::addrs::ResourceInstance,
    provider: &str,
    value: &engine::lang::value::Value,
    deps: &[String],
) -> Result<()> {
    let inst = to_instance(&planned.providers, &addr.type_, value, deps)?;
    let template = state::model::Resource {
        module: None,
        mode: addr.mode.into(),
        type_: addr.type_.clone(),
        name: addr.name.clone(),
        provider: provider_addr(provider),
        each: None,
        instances: Vec::new(),
    };
    st.set_instance(addr, &template, inst);
    Ok(())
}

/// Applies `planned` to the workspace `ws` of `backend` (the caller holds the lock).
pub fn apply(
    backend: Arc<dyn Backend>,
    ws: &str,
    planned: &Planned,
    o: &ApplyOptions<'_>,
    rt: &tokio::runtime::Runtime,
) -> Result<Applied> {
    let put = |st: &State| {
        backend
            .put(ws, st)
            .map_err(|e| Error::Message(e.to_string()))
    };
    let mut st = planned.state.clone().unwrap_or_default();
    if planned.mode() == PlanMode::RefreshOnly {
        // Only the state changes: write what refresh found.
        for d in &planned.plan.drift {
            if let Some(key) = &d.deposed {
                if d.after.is_none() {
                    st.remove_deposed(&d.addr, key);
                }
                continue;
            }
            let prior = planned.prior.get(&d.addr);
            match &d.after {
                Some(v) => {
                    let deps = prior.map(|p| p.dependencies.clone()).unwrap_or_default();
                    let provider = prior.map(|p| p.provider.clone()).unwrap_or_default();
                    put_instance(&mut st, planned, &d.addr, &provider, v, &deps)?;
                }
                None => {
                    st.remove_instance(&d.addr);
                }
            }
        }
        st.serial += 1;
        put(&st)?;
        let mut done = Applied::unchanged(st);
        done.refreshed = Some(planned.plan.drift.len());
        return Ok(done);
    }
    if !planned.has_changes() && planned.state.is_some() {
        return Ok(Applied::unchanged(st));
    }

    // Imported and adopted objects, and the renames of `moved` blocks (already in `st`), are
    // saved before any operation starts.
    if !planned.plan.adopted.is_empty() || !planned.plan.moved.is_empty() {
        for a in &planned.plan.adopted {
            put_instance(
                &mut st,
                planned,
                &a.addr,
                &a.provider,
                &a.value,
                &a.dependencies,
            )?;
        }
        st.serial += 1;
        put(&st)?;
    }
    // Every object the configuration keeps is recorded with the provider configuration in use
    // now (written with the first state save of this apply).
    for c in planned
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete)
    {
        if let Some(ri) = st.resource_index(&c.addr) {
            st.resources[ri].provider = provider_addr(&c.provider);
        }
    }
    let writer = StateWriter::spawn(backend.clone(), ws, st.clone(), None);
    let recorder = Recorder {
        providers: &planned.providers,
        writer: writer.handle(),
        progress: o.events,
        errors: Mutex::new(Vec::new()),
    };
    let mut context = engine::provider::ApplyContext {
        state_serial: st.serial + 1,
        plan_source: o.plan_source.clone(),
        options: Default::default(),
    };
    if let Some(b) = &planned.options.gitops_branch {
        context.options.insert("gitops_branch".into(), b.clone());
    }
    let resources = ResourceOptions {
        providers: &planned.providers,
        prior: &planned.prior,
        deposed: &planned.deposed,
        mode: planned.mode(),
        refresh: false,
        replace: planned.replace.clone(),
        targets: planned.targets.clone(),
        imports: Vec::new(),
        runtime: rt.handle().clone(),
    };
    let eo = EngineOptions {
        plan: &planned.plan,
        parallelism: o.parallelism,
        cancel: o.cancel.clone(),
        abandon: o.abandon.clone(),
        observer: &recorder,
        context,
        progress_interval: o.progress_interval,
    };
    let (outcome, diags) = execute(
        &planned.loaded.config,
        &planned.loaded.graph,
        &planned.inputs,
        &planned.opts,
        resources,
        eo,
    );
    let mut errors = Vec::new();
    // Outputs: whatever the configuration now says (nothing after a destroy).
    let new_outputs = if planned.mode() == PlanMode::Destroy {
        Default::default()
    } else {
        outputs::to_state(&outcome.outputs).unwrap_or_else(|e| {
            errors.push(e);
            Default::default()
        })
    };
    let h = writer.handle();
    if planned.mode() == PlanMode::Destroy {
        // Data sources leave the state with a destroy (as Terraform's).
        for (addr, _, _) in st.instances() {
            if addr.mode == engine::config::Mode::Data {
                let _ = h.send(Update::RemoveInstance(addr));
            }
        }
    }
    if outcome.failed == 0 && !outcome.interrupted {
        for name in st.outputs.keys() {
            if !new_outputs.contains_key(name) {
                let _ = h.send(Update::RemoveOutput(name.clone()));
            }
        }
        for (name, value) in &new_outputs {
            let _ = h.send(Update::SetOutput {
                name: name.clone(),
                value: value.clone(),
            });
        }
    }
    drop(h);
    errors.extend(
        recorder
            .errors
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default(),
    );
    drop(recorder);
    let (final_state, written) = writer.finish();
    if let Err(e) = written {
        errors.push(format!("saving the state failed: {e}\nHint: the state of the operations that finished is in memory only; run `sakk apply` again to converge"));
    }
    Ok(Applied {
        added: outcome.added,
        changed: outcome.changed,
        destroyed: outcome.destroyed,
        failed: outcome.failed,
        skipped: outcome.skipped,
        interrupted: outcome.interrupted,
        refreshed: None,
        state: final_state,
        diags,
        errors,
    })
}
