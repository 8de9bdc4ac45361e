//! The plan every changing command starts from: load, gather inputs, read the state, refresh
//! and plan with the providers. Shared by plan, apply, destroy and refresh.

use super::backend::Opened;
use super::engine_io::{prior_from_state, providers};
use super::outputs;
use super::prepare::load_with_inputs;
use super::Loaded;
use crate::cli::{PlanningArgs, VarArgs};
use crate::ui::Ui;
use engine::addrs::{ResourceInstance, Target};
use engine::evaluate::inputs::RawInput;
use engine::evaluate::resources::{PlanMode, PriorInstance, ResourceOptions};
use engine::evaluate::walk::{plan, EvalOptions};
use engine::plan::Plan;
use engine::provider::Registry;
use indexmap::IndexMap;
use state::model::OutputValue;
use state::State;

pub struct Planned {
    pub loaded: Loaded,
    pub inputs: Vec<RawInput>,
    pub opts: EvalOptions,
    pub providers: Registry,
    pub prior: IndexMap<ResourceInstance, PriorInstance>,
    pub state: Option<State>,
    pub plan: Plan,
    /// The root outputs as they will be stored.
    pub new_outputs: IndexMap<String, OutputValue>,
    pub mode: PlanMode,
    pub targets: Vec<Target>,
    pub replace: Vec<ResourceInstance>,
}

impl Planned {
    pub fn output_changes(&self) -> Vec<(&str, outputs::Change<'_>)> {
        match (&self.state, self.mode) {
            (_, PlanMode::RefreshOnly) => Vec::new(),
            (Some(st), _) => outputs::diff(&st.outputs, &self.new_outputs),
            (None, _) => outputs::diff(&EMPTY, &self.new_outputs),
        }
    }

    pub fn has_changes(&self) -> bool {
        self.plan.has_resource_changes()
            || !self.output_changes().is_empty()
            || (self.mode == PlanMode::RefreshOnly && !self.plan.drift.is_empty())
    }
}

static EMPTY: std::sync::LazyLock<IndexMap<String, OutputValue>> =
    std::sync::LazyLock::new(IndexMap::new);

pub fn mode_of(p: &PlanningArgs) -> PlanMode {
    if p.destroy {
        PlanMode::Destroy
    } else if p.refresh_only {
        PlanMode::RefreshOnly
    } else {
        PlanMode::Normal
    }
}

/// Plans against the state `state` (read by the caller under the lock).
pub fn make_plan(
    vars: &VarArgs,
    planning: &PlanningArgs,
    state: Option<State>,
    runtime: &tokio::runtime::Runtime,
    ui: &Ui,
) -> Result<Planned, u8> {
    let (mut loaded, inputs, opts) = load_with_inputs(vars, ui)?;
    let providers = providers();
    // `moved` blocks rename objects in the state first; apply persists the renamed state.
    let mut state = state;
    let mut moved = Vec::new();
    if let Some(st) = state.as_mut() {
        match super::moves::apply_moves(&loaded.config, st) {
            Ok(m) => moved = m,
            Err(e) => {
                ui.error(&e);
                return Err(1);
            }
        }
    }
    let prior = match state.as_ref().map(|s| prior_from_state(s, &providers)) {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            ui.error(&e);
            return Err(1);
        }
        None => IndexMap::new(),
    };
    let mut targets = Vec::new();
    for t in &planning.targets {
        match t.parse::<Target>() {
            Ok(t) => targets.push(t),
            Err(e) => {
                ui.error(&format!("--target: {e}"));
                return Err(1);
            }
        }
    }
    let mut replace = Vec::new();
    for t in &planning.replace {
        match t.parse::<Target>() {
            Ok(Target::Resource(r)) => replace.push(r),
            Ok(Target::Module(_)) => {
                ui.error(&format!("--replace: \"{t}\" is a module; give a resource instance like aws_s3_bucket.b or aws_s3_bucket.b[0]"));
                return Err(1);
            }
            Err(e) => {
                ui.error(&format!("--replace: {e}"));
                return Err(1);
            }
        }
    }
    let mut imports = Vec::new();
    for (a, id) in &planning.imports {
        match a.parse::<Target>() {
            Ok(Target::Resource(r)) => imports.push((r, id.clone())),
            Ok(Target::Module(_)) => {
                ui.error(&format!("\"{a}\" is a module; give a resource instance address like terraform_data.a or aws_s3_bucket.b[0]"));
                return Err(1);
            }
            Err(e) => {
                ui.error(&format!("invalid address \"{a}\": {e}"));
                return Err(1);
            }
        }
    }
    let mode = mode_of(planning);
    let ro = ResourceOptions {
        providers: &providers,
        prior: &prior,
        mode,
        refresh: planning.refresh,
        replace: replace.clone(),
        targets: targets.clone(),
        imports,
        runtime: runtime.handle().clone(),
    };
    let (mut plan, evaluated, diags) = plan(&loaded.config, &loaded.graph, &inputs, &opts, ro);
    loaded.diags.extend(diags);
    ui.diagnostics(&loaded.diags, &loaded.sources);
    if loaded.diags.has_errors() {
        return Err(1);
    }
    plan.moved = moved;
    let new_outputs = if mode == PlanMode::Destroy {
        IndexMap::new()
    } else {
        match outputs::to_state(&evaluated) {
            Ok(o) => o,
            Err(e) => {
                ui.error(&e);
                return Err(1);
            }
        }
    };
    Ok(Planned {
        loaded,
        inputs,
        opts,
        providers,
        prior,
        state,
        plan,
        new_outputs,
        mode,
        targets,
        replace,
    })
}

/// A Tokio runtime for provider I/O.
pub fn runtime(ui: &Ui) -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            ui.error(&format!("cannot start the async runtime: {e}"));
            1
        })
}

/// Opens the backend and reads the current state.
pub fn read_state(opened: &Opened, ui: &Ui) -> Result<Option<State>, u8> {
    opened.backend.get(&opened.workspace).map_err(|e| {
        ui.error(&e.to_string());
        1
    })
}
