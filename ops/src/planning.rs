//! A plan against the state: load (recording every file read), gather inputs, apply `moved`
//! blocks to the state, refresh and plan with the providers. Shared by plan, apply, destroy,
//! refresh and import; a saved plan gives back the same [`Planned`] (see [`crate::planfile`]).

use crate::load::{load_with_inputs, InputOptions, Loaded};
use crate::outputs;
use crate::project::Project;
use crate::state_io::{deposed_from_state, prior_from_state};
use crate::{Error, Result};
use engine::addrs::{ResourceInstance, Target};
use engine::evaluate::inputs::RawInput;
use engine::evaluate::resources::{PlanMode, PriorInstance, ResourceOptions};
use engine::evaluate::walk::{plan, EvalOptions};
use engine::lang::value::Value;
use engine::plan::Plan;
use engine::provider::Registry;
use engine::vfs::{RecordingFs, Snapshot};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use state::model::OutputValue;
use state::State;
use std::sync::Arc;

/// How to plan (the parts a saved plan keeps).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    pub mode: PlanMode,
    /// Read every prior object from its provider first.
    pub refresh: bool,
    /// `--target ADDR`
    pub targets: Vec<String>,
    /// `--replace ADDR`
    pub replace: Vec<String>,
    /// `--gitops-branch`: GitOps commits go to this branch.
    pub gitops_branch: Option<String>,
    /// `sakk import ADDR ID`: (address, id) imported besides the `import` blocks.
    #[serde(skip)]
    pub imports: Vec<(String, String)>,
}

/// A plan and everything needed to apply it.
pub struct Planned {
    pub loaded: Loaded,
    pub inputs: Vec<RawInput>,
    pub opts: EvalOptions,
    pub providers: Registry,
    pub prior: IndexMap<ResourceInstance, PriorInstance>,
    /// The state's deposed objects (see `ResourceOptions::deposed`).
    pub deposed: IndexMap<(ResourceInstance, String), PriorInstance>,
    /// The state the plan was made against (with `moved` renames applied).
    pub state: Option<State>,
    pub plan: Plan,
    pub options: PlanOptions,
    pub targets: Vec<Target>,
    pub replace: Vec<ResourceInstance>,
    /// The root module's variable values (converted, validated, marked).
    pub variables: IndexMap<String, Value>,
    /// The root outputs as they will be stored.
    pub new_outputs: IndexMap<String, OutputValue>,
    /// Every file the plan read (configuration and file functions).
    pub snapshot: Snapshot,
    pub workspace: String,
}

impl Planned {
    pub fn mode(&self) -> PlanMode {
        self.options.mode
    }

    /// The root outputs stored now.
    pub fn prior_outputs(&self) -> &IndexMap<String, OutputValue> {
        self.state.as_ref().map_or(&EMPTY, |s| &s.outputs)
    }

    pub fn output_changes(&self) -> Vec<(&str, outputs::Change<'_>)> {
        match self.mode() {
            PlanMode::RefreshOnly => Vec::new(),
            _ => outputs::diff(self.prior_outputs(), &self.new_outputs),
        }
    }

    pub fn has_changes(&self) -> bool {
        self.plan.has_resource_changes()
            || !self.output_changes().is_empty()
            || (self.mode() == PlanMode::RefreshOnly && !self.plan.drift.is_empty())
    }

    /// The lineage and serial of the state the plan was made against.
    pub fn state_version(&self) -> (Option<String>, Option<u64>) {
        (
            self.state.as_ref().map(|s| s.lineage.clone()),
            self.state.as_ref().map(|s| s.serial),
        )
    }
}

static EMPTY: std::sync::LazyLock<IndexMap<String, OutputValue>> =
    std::sync::LazyLock::new(IndexMap::new);

/// Parsed `--target`, `--replace` and import addresses.
pub(crate) struct Addresses {
    pub targets: Vec<Target>,
    pub replace: Vec<ResourceInstance>,
    pub imports: Vec<(ResourceInstance, String)>,
}

pub(crate) fn parse_addresses(o: &PlanOptions) -> Result<Addresses> {
    let mut targets = Vec::new();
    for t in &o.targets {
        targets.push(
            t.parse::<Target>()
                .map_err(|e| Error::Message(format!("--target: {e}")))?,
        );
    }
    let mut replace = Vec::new();
    for t in &o.replace {
        match t.parse::<Target>() {
            Ok(Target::Resource(r)) => replace.push(r),
            Ok(Target::Module(_)) => return Err(Error::Message(format!("--replace: \"{t}\" is a module; give a resource instance like aws_s3_bucket.b or aws_s3_bucket.b[0]"))),
            Err(e) => return Err(Error::Message(format!("--replace: {e}"))),
        }
    }
    let mut imports = Vec::new();
    for (a, id) in &o.imports {
        imports.push((resource_address(a)?, id.clone()));
    }
    Ok(Addresses {
        targets,
        replace,
        imports,
    })
}

/// A resource instance address given by the user (a module address is refused).
pub fn resource_address(a: &str) -> Result<ResourceInstance> {
    match a.parse::<Target>() {
        Ok(Target::Resource(r)) => Ok(r),
        Ok(Target::Module(_)) => Err(Error::Message(format!("\"{a}\" is a module; give a resource instance address like terraform_data.a or aws_s3_bucket.b[0]"))),
        Err(e) => Err(Error::Message(format!("invalid address \"{a}\": {e}"))),
    }
}

/// Plans the project's configuration against `state` (read by the caller under the lock).
pub fn make_plan(
    project: &Project,
    inputs: &InputOptions,
    options: &PlanOptions,
    state: Option<State>,
    runtime: &tokio::runtime::Runtime,
) -> Result<Planned> {
    let dir = project.dir.as_path();
    let recorder = Arc::new(RecordingFs::new(dir.to_path_buf()));
    let (mut loaded, raw, opts) = load_with_inputs(dir, recorder.clone(), inputs)?;
    let providers = project.providers.clone();
    // `moved` blocks rename objects in the state first; apply persists the renamed state.
    let mut state = state;
    let mut moved = Vec::new();
    if let Some(st) = state.as_mut() {
        moved = crate::moves::apply_moves(&loaded.config, st)?;
    }
    let prior = match state.as_ref() {
        Some(s) => prior_from_state(s, &providers)?,
        None => IndexMap::new(),
    };
    let deposed = match state.as_ref() {
        Some(s) => deposed_from_state(s, &providers)?,
        None => IndexMap::new(),
    };
    let addrs = parse_addresses(options)?;
    let ro = ResourceOptions {
        providers: &providers,
        prior: &prior,
        deposed: &deposed,
        mode: options.mode,
        refresh: options.refresh,
        replace: addrs.replace.clone(),
        targets: addrs.targets.clone(),
        imports: addrs.imports,
        runtime: runtime.handle().clone(),
    };
    let (mut plan, evaluated, diags) = plan(&loaded.config, &loaded.graph, &raw, &opts, ro);
    loaded.diags.extend(diags);
    if loaded.diags.has_errors() {
        return Err(Error::Diagnostics(loaded.diags, loaded.sources));
    }
    plan.moved = moved;
    let new_outputs = if options.mode == PlanMode::Destroy {
        IndexMap::new()
    } else {
        outputs::to_state(&evaluated)?
    };
    Ok(Planned {
        loaded,
        inputs: raw,
        opts,
        providers,
        prior,
        deposed,
        state,
        plan,
        options: options.clone(),
        targets: addrs.targets,
        replace: addrs.replace,
        variables: evaluated.variables.clone(),
        new_outputs,
        snapshot: recorder.snapshot(),
        workspace: project.workspace.clone(),
    })
}
