//! In-process plan/apply with the mock provider: load a configuration from a temp dir, plan
//! against an in-memory state, apply with an in-memory observer, and keep the result as the
//! prior of the next plan — what `src/commands/{planning,apply,engine_io}.rs` of the root
//! package do with the real state, mirrored in memory (attributes round-trip through the same
//! typed JSON, top-level sensitive attributes are remembered, intents are tainted placeholders
//! with the token).

#![allow(dead_code)]

use engine::addrs::{ResourceInstance, Target};
use engine::config::tree::{load_config, Config, ManifestResolver};
use engine::diag::{Diagnostics, Sources, Style};
use engine::evaluate::apply::{
    apply, ApplyEvent, ApplyObserver, ApplyOptions, ApplyOutcome, Intent,
};
use engine::evaluate::inputs::{gather, CliInput, RawInput};
use engine::evaluate::resources::{PlanMode, PriorInstance, ResourceOptions};
use engine::evaluate::walk::{plan, EvalOptions, Evaluated};
use engine::graph::Graph;
use engine::lang::types::Type;
use engine::lang::value::Value;
use engine::plan::{Action, Plan, ResourceChange};
use engine::provider::{ApplyContext, Registry};
use engine::provider_mock::MockProvider;
use indexmap::IndexMap;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The evaluation settings of every plan and apply here (the one place to change when
/// `EvalOptions` gains a field).
pub fn eval_options(dir: &Path) -> EvalOptions {
    EvalOptions {
        workspace: "default".into(),
        root_dir: dir.to_path_buf(),
        cwd: dir.to_path_buf(),
        fs: engine::vfs::os(),
        max_instances: engine::evaluate::walk::DEFAULT_MAX_INSTANCES,
    }
}

/// Loads the configuration in `dir` and builds its graph.
pub fn load(dir: &Path, sources: &mut Sources) -> (Config, Graph, Diagnostics) {
    let (config, mut diags) = load_config(dir, &ManifestResolver::new(dir), sources);
    let (graph, gd) = engine::graph::build(&config);
    diags.extend(gd);
    (config, graph, diags)
}

/// Parses an instance address (`mock_thing.a`, `module.m["x"].mock_thing.b[0]`).
pub fn addr(s: &str) -> ResourceInstance {
    match s.parse::<Target>() {
        Ok(Target::Resource(r)) => r,
        other => panic!("not a resource instance address: {s}: {other:?}"),
    }
}

/// One instance of the in-memory state, as the state file holds it.
#[derive(Debug, Clone)]
pub struct MemInstance {
    /// The attributes as the state stores them (typed JSON with the schema's type).
    pub attributes: String,
    /// Top-level attributes that were sensitive.
    pub sensitive: Vec<String>,
    /// The provider configuration reference (`mock`, `mock.west`, `module.p.mock`).
    pub provider: String,
    pub tainted: bool,
    /// The token of an intent placeholder.
    pub intent: Option<String>,
    pub dependencies: Vec<String>,
}

/// The state, in memory.
#[derive(Debug, Clone, Default)]
pub struct MemState {
    pub instances: IndexMap<ResourceInstance, MemInstance>,
    /// Deposed objects (create_before_destroy kept them), by address and deposed key.
    pub deposed: IndexMap<(ResourceInstance, String), MemInstance>,
    pub outputs: IndexMap<String, Value>,
    pub serial: u64,
}

fn schema_type(providers: &Registry, type_: &str, v: &Value) -> Type {
    providers
        .for_type(type_)
        .and_then(|p| {
            p.resource_types()
                .get(type_)
                .map(|rt| rt.schema.object_type())
        })
        .unwrap_or_else(|| v.ty())
}

/// A state instance from an engine value (as `engine_io::to_instance`).
pub fn to_instance(
    providers: &Registry,
    type_: &str,
    v: &Value,
    provider: &str,
    deps: &[String],
) -> Result<MemInstance, String> {
    let (plain, _) = v.clone().unmark_deep();
    let attributes = plain
        .to_json_typed(&schema_type(providers, type_, v))
        .map_err(|e| format!("cannot store the state: {e}"))?;
    let sensitive = v
        .entries()
        .map(|a| {
            a.iter()
                .filter(|(_, x)| x.is_sensitive())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut deps = deps.to_vec();
    deps.sort();
    deps.dedup();
    Ok(MemInstance {
        attributes,
        sensitive,
        provider: provider.to_string(),
        tainted: false,
        intent: None,
        dependencies: deps,
    })
}

impl MemState {
    /// The prior instances the engine plans from (as `engine_io::prior_from_state`).
    pub fn prior(
        &self,
        providers: &Registry,
    ) -> Result<IndexMap<ResourceInstance, PriorInstance>, String> {
        let mut out = IndexMap::new();
        for (a, inst) in &self.instances {
            if a.mode == engine::config::Mode::Data {
                continue;
            }
            out.insert(a.clone(), prior_instance(providers, a, inst)?);
        }
        Ok(out)
    }

    /// The deposed objects, as the engine plans them.
    pub fn prior_deposed(
        &self,
        providers: &Registry,
    ) -> Result<IndexMap<(ResourceInstance, String), PriorInstance>, String> {
        let mut out = IndexMap::new();
        for ((a, k), inst) in &self.deposed {
            out.insert((a.clone(), k.clone()), prior_instance(providers, a, inst)?);
        }
        Ok(out)
    }

    /// An instance's attributes, decoded with its schema (None: not in the state).
    pub fn value(&self, providers: &Registry, a: &str) -> Option<Value> {
        self.prior(providers)
            .ok()?
            .get(&addr(a))
            .map(|p| p.value.clone())
    }
}

/// One instance of the state as the engine plans it (as `state_io::prior_from_state`).
fn prior_instance(
    providers: &Registry,
    a: &ResourceInstance,
    inst: &MemInstance,
) -> Result<PriorInstance, String> {
    {
        {
            let Some(rt) = providers
                .for_type(&a.type_)
                .and_then(|p| p.resource_types().get(&a.type_))
            else {
                return Err(format!("the state has {a}, whose type is unknown"));
            };
            let value = Value::from_json_typed(&inst.attributes, &rt.schema.object_type())
                .map_err(|e| format!("the state's attributes of {a} do not fit its schema: {e}"))?;
            let value = match value.entries() {
                Some(attrs) if !inst.sensitive.is_empty() => Value::object(
                    attrs
                        .iter()
                        .map(|(k, x)| match inst.sensitive.contains(k) {
                            true => (k.clone(), x.clone().mark_sensitive()),
                            false => (k.clone(), x.clone()),
                        })
                        .collect(),
                ),
                _ => value,
            };
            Ok(PriorInstance {
                value,
                provider: inst.provider.clone(),
                tainted: inst.tainted && inst.intent.is_none(),
                dependencies: inst.dependencies.clone(),
                intent: inst.intent.clone(),
            })
        }
    }
}

/// Records what the executor reports into the in-memory state.
pub struct Recorder<'a> {
    pub providers: &'a Registry,
    pub state: Mutex<MemState>,
    pub events: Mutex<Vec<ApplyEvent>>,
    pub intents: Mutex<Vec<Intent>>,
    pub errors: Mutex<Vec<String>>,
    /// Refuse to record intents (a state that cannot be written).
    pub fail_intents: bool,
    pub on_event: Option<&'a (dyn Fn(&ApplyEvent) + Sync)>,
}

impl ApplyObserver for Recorder<'_> {
    fn event(&self, e: &ApplyEvent) {
        if let Some(f) = self.on_event {
            f(e);
        }
        self.events.lock().unwrap().push(e.clone());
    }

    fn intents(&self, batch: &[Intent]) -> Result<(), String> {
        if self.fail_intents {
            return Err("the state cannot be written (injected)".into());
        }
        let mut st = self.state.lock().unwrap();
        for i in batch {
            if let Some(key) = &i.deposes {
                // create_before_destroy: the current object is deposed in the same write.
                if let Some(old) = st.instances.shift_remove(&i.addr) {
                    st.deposed.insert((i.addr.clone(), key.clone()), old);
                }
            }
            if !i.placeholder {
                continue;
            }
            let ty = schema_type(self.providers, &i.addr.type_, &i.planned);
            // Attributes known so far; the rest null (as the Recorder of the CLI).
            let known: Vec<(String, Value)> = i
                .planned
                .entries()
                .map(|attrs| {
                    attrs
                        .iter()
                        .map(|(k, x)| {
                            let t = ty
                                .attribute_types()
                                .and_then(|a| a.get(k).cloned())
                                .unwrap_or(Type::Dynamic);
                            match x.is_wholly_known() {
                                true => (k.clone(), x.clone().unmark_deep().0),
                                false => (k.clone(), Value::null(t)),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut inst = to_instance(
                self.providers,
                &i.addr.type_,
                &Value::object(known),
                &i.provider,
                &i.dependencies,
            )?;
            inst.tainted = true;
            inst.sensitive.clear();
            inst.intent = Some(i.token.clone());
            st.instances.insert(i.addr.clone(), inst);
        }
        self.intents.lock().unwrap().extend(batch.iter().cloned());
        Ok(())
    }

    fn forget_deposed(&self, addr: &ResourceInstance, key: &str) {
        let mut st = self.state.lock().unwrap();
        st.deposed.shift_remove(&(addr.clone(), key.to_string()));
    }

    fn record(
        &self,
        addr: &ResourceInstance,
        provider: &str,
        state: Option<&Value>,
        dependencies: &[String],
    ) {
        let mut st = self.state.lock().unwrap();
        match state {
            Some(v) => match to_instance(self.providers, &addr.type_, v, provider, dependencies) {
                Ok(inst) => {
                    st.instances.insert(addr.clone(), inst);
                }
                Err(e) => self.errors.lock().unwrap().push(format!("{addr}: {e}")),
            },
            None => {
                st.instances.shift_remove(addr);
            }
        }
    }
}

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOpts {
    pub mode: PlanMode,
    pub refresh: bool,
    pub targets: Vec<String>,
    pub replace: Vec<String>,
    /// `sakk import ADDR ID`
    pub imports: Vec<(String, String)>,
    /// `--var NAME=VALUE`
    pub vars: Vec<String>,
    /// [`EvalOptions::max_instances`] (the default when `None`).
    pub max_instances: Option<usize>,
}

impl Default for PlanOpts {
    fn default() -> Self {
        PlanOpts {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            imports: Vec::new(),
            vars: Vec::new(),
            max_instances: None,
        }
    }
}

impl PlanOpts {
    pub fn destroy() -> Self {
        PlanOpts {
            mode: PlanMode::Destroy,
            ..Default::default()
        }
    }
    pub fn target(t: &str) -> Self {
        PlanOpts {
            targets: vec![t.to_string()],
            ..Default::default()
        }
    }
}

/// A plan and everything apply needs to carry it out.
pub struct Planned {
    pub config: Config,
    pub graph: Graph,
    pub inputs: Vec<RawInput>,
    pub opts: EvalOptions,
    pub prior: IndexMap<ResourceInstance, PriorInstance>,
    pub deposed: IndexMap<(ResourceInstance, String), PriorInstance>,
    pub plan: Plan,
    pub evaluated: Evaluated,
    pub diags: Diagnostics,
    pub sources: Sources,
    pub mode: PlanMode,
    pub targets: Vec<Target>,
    pub replace: Vec<ResourceInstance>,
}

impl Planned {
    /// The rendered error diagnostics ("" when there are none).
    pub fn errors(&self) -> String {
        render_errors(&self.diags, &self.sources)
    }
    pub fn change(&self, a: &str) -> Option<&ResourceChange> {
        let a = addr(a);
        self.plan.changes.iter().find(|c| c.addr == a)
    }
    pub fn action(&self, a: &str) -> Option<Action> {
        self.change(a).map(|c| c.action)
    }
    /// (address, action) of every change that is not a no-op, sorted.
    pub fn actions(&self) -> Vec<(String, Action)> {
        let mut v: Vec<(String, Action)> = self
            .plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| (c.addr.to_string(), c.action))
            .collect();
        v.sort();
        v
    }
    /// Whether the plan would do nothing ("No changes.").
    pub fn no_changes(&self) -> bool {
        !self.plan.has_resource_changes()
    }
}

pub fn render_errors(diags: &Diagnostics, sources: &Sources) -> String {
    let errs: Diagnostics = Diagnostics(diags.errors().cloned().collect());
    engine::diag::render_all(&errs, sources, Style::default())
}

/// How to apply.
pub struct ApplyOpts<'a> {
    pub parallelism: usize,
    pub cancel: Arc<AtomicBool>,
    pub abandon: Arc<AtomicBool>,
    pub progress_interval: Duration,
    pub fail_intents: bool,
    pub on_event: Option<&'a (dyn Fn(&ApplyEvent) + Sync)>,
}

impl Default for ApplyOpts<'_> {
    fn default() -> Self {
        ApplyOpts {
            parallelism: 10,
            cancel: Arc::new(AtomicBool::new(false)),
            abandon: Arc::new(AtomicBool::new(false)),
            progress_interval: Duration::from_secs(10),
            fail_intents: false,
            on_event: None,
        }
    }
}

/// What an apply did.
pub struct Applied {
    pub outcome: ApplyOutcome,
    pub diags: Diagnostics,
    pub sources: Sources,
    pub events: Vec<ApplyEvent>,
    pub intents: Vec<Intent>,
    pub record_errors: Vec<String>,
    /// Whether the apply ran at all (a plan without changes is not applied).
    pub ran: bool,
}

impl Applied {
    pub fn errors(&self) -> String {
        render_errors(&self.diags, &self.sources)
    }
    /// Whether the apply completed: no error, no failure, not interrupted.
    pub fn complete(&self) -> bool {
        !self.diags.has_errors()
            && self.outcome.failed == 0
            && !self.outcome.interrupted
            && self.record_errors.is_empty()
    }
    /// (added, changed, destroyed)
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.outcome.added,
            self.outcome.changed,
            self.outcome.destroyed,
        )
    }
    /// (address, error summary) of every failed operation.
    pub fn failed(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .events
            .iter()
            .filter_map(|e| match e {
                ApplyEvent::Failed { addr, error, .. } => {
                    Some((addr.to_string(), error.to_string()))
                }
                _ => None,
            })
            .collect();
        v.sort();
        v
    }
    /// (address, because) of every skipped operation.
    pub fn skipped(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .events
            .iter()
            .filter_map(|e| match e {
                ApplyEvent::Skipped { addr, because, .. } => {
                    Some((addr.to_string(), because.clone()))
                }
                _ => None,
            })
            .collect();
        v.sort();
        v
    }
    /// The addresses of the operations started, in order.
    pub fn started(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ApplyEvent::Started { addr, .. } => Some(addr.to_string()),
                _ => None,
            })
            .collect()
    }
}

/// A project in a temp dir, the mock provider, the in-memory state.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub mock: Arc<MockProvider>,
    pub registry: Registry,
    pub state: MemState,
    pub runtime: tokio::runtime::Runtime,
}

impl Harness {
    /// A project with these files and [`MockProvider::standard`].
    pub fn new(files: &[(&str, &str)]) -> Harness {
        Harness::with_mock(MockProvider::standard(), files)
    }

    pub fn with_mock(mock: Arc<MockProvider>, files: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let h = Harness {
            dir,
            registry: mock.registry(),
            mock,
            state: MemState::default(),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime"),
        };
        for (name, text) in files {
            h.write(name, text);
        }
        h
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or replaces) a file of the project.
    pub fn write(&self, name: &str, text: &str) {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    pub fn plan(&self) -> Planned {
        self.plan_with(PlanOpts::default())
    }

    pub fn plan_with(&self, o: PlanOpts) -> Planned {
        let dir = self.dir.path();
        let mut sources = Sources::new();
        let (config, graph, mut diags) = load(dir, &mut sources);
        let cli: Vec<CliInput> = o.vars.iter().map(|v| CliInput::Var(v.clone())).collect();
        let (inputs, id) = gather(dir, &[], &cli, &mut sources);
        diags.extend(id);
        let mut opts = eval_options(dir);
        if let Some(m) = o.max_instances {
            opts.max_instances = m;
        }
        let targets: Vec<Target> = o
            .targets
            .iter()
            .map(|t| t.parse().expect("target"))
            .collect();
        let replace: Vec<ResourceInstance> = o.replace.iter().map(|r| addr(r)).collect();
        let prior = self.state.prior(&self.registry).expect("state decodes");
        let deposed = self
            .state
            .prior_deposed(&self.registry)
            .expect("state decodes");
        let mut planned = Planned {
            config,
            graph,
            inputs,
            opts,
            prior,
            deposed,
            plan: Plan::default(),
            evaluated: Evaluated::default(),
            diags,
            sources,
            mode: o.mode,
            targets,
            replace,
        };
        if planned.diags.has_errors() {
            return planned;
        }
        let ro = ResourceOptions {
            providers: &self.registry,
            prior: &planned.prior,
            deposed: &planned.deposed,
            mode: o.mode,
            refresh: o.refresh,
            replace: planned.replace.clone(),
            targets: planned.targets.clone(),
            imports: o
                .imports
                .iter()
                .map(|(a, id)| (addr(a), id.clone()))
                .collect(),
            runtime: self.runtime.handle().clone(),
        };
        let (plan, evaluated, diags) = plan(
            &planned.config,
            &planned.graph,
            &planned.inputs,
            &planned.opts,
            ro,
        );
        planned.plan = plan;
        planned.evaluated = evaluated;
        planned.diags.extend(diags);
        planned
    }

    /// Plans, checks the plan has no errors, applies.
    pub fn apply_all(&mut self) -> Applied {
        self.apply_with(PlanOpts::default(), ApplyOpts::default())
    }

    pub fn apply_with(&mut self, p: PlanOpts, a: ApplyOpts<'_>) -> Applied {
        let planned = self.plan_with(p);
        assert!(!planned.diags.has_errors(), "{}", planned.errors());
        self.apply(&planned, a)
    }

    /// Applies a plan made from the current state (as `sakk apply` after its plan).
    pub fn apply(&mut self, p: &Planned, o: ApplyOpts<'_>) -> Applied {
        assert!(!p.diags.has_errors(), "{}", p.errors());
        let mut st = self.state.clone();
        let mut applied = Applied {
            outcome: ApplyOutcome::default(),
            diags: Diagnostics::new(),
            sources: p.sources.clone(),
            events: Vec::new(),
            intents: Vec::new(),
            record_errors: Vec::new(),
            ran: false,
        };
        if p.mode == PlanMode::RefreshOnly {
            for d in &p.plan.drift {
                if let Some(k) = &d.deposed {
                    if d.after.is_none() {
                        st.deposed.shift_remove(&(d.addr.clone(), k.clone()));
                    }
                    continue;
                }
                match &d.after {
                    Some(v) => {
                        let old = st.instances.get(&d.addr).cloned();
                        let provider = old.as_ref().map(|o| o.provider.clone()).unwrap_or_default();
                        let deps = old.map(|o| o.dependencies).unwrap_or_default();
                        match to_instance(&self.registry, &d.addr.type_, v, &provider, &deps) {
                            Ok(inst) => {
                                st.instances.insert(d.addr.clone(), inst);
                            }
                            Err(e) => applied.record_errors.push(e),
                        }
                    }
                    None => {
                        st.instances.shift_remove(&d.addr);
                    }
                }
            }
            st.serial += 1;
            self.state = st;
            return applied;
        }
        let new_outputs = output_values(&p.evaluated);
        let outputs_change = p.mode == PlanMode::Destroy && !st.outputs.is_empty()
            || p.mode != PlanMode::Destroy
                && (new_outputs.len() != st.outputs.len()
                    || new_outputs
                        .iter()
                        .any(|(k, v)| st.outputs.get(k).is_none_or(|o| !o.raw_equal(v))));
        if !p.plan.has_resource_changes() && !outputs_change && st.serial > 0 {
            return applied;
        }
        // Imported and adopted objects are saved before any operation starts.
        for a in &p.plan.adopted {
            match to_instance(
                &self.registry,
                &a.addr.type_,
                &a.value,
                &a.provider,
                &a.dependencies,
            ) {
                Ok(inst) => {
                    st.instances.insert(a.addr.clone(), inst);
                }
                Err(e) => applied.record_errors.push(e),
            }
        }
        // Objects the configuration keeps are recorded with the provider configuration in use.
        for c in p.plan.changes.iter().filter(|c| c.action != Action::Delete) {
            if let Some(i) = st.instances.get_mut(&c.addr) {
                i.provider = c.provider.clone();
            }
        }
        let serial = st.serial + 1;
        let recorder = Recorder {
            providers: &self.registry,
            state: Mutex::new(st),
            events: Mutex::new(Vec::new()),
            intents: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            fail_intents: o.fail_intents,
            on_event: o.on_event,
        };
        let resources = ResourceOptions {
            providers: &self.registry,
            prior: &p.prior,
            deposed: &p.deposed,
            mode: p.mode,
            refresh: false,
            replace: p.replace.clone(),
            targets: p.targets.clone(),
            imports: Vec::new(),
            runtime: self.runtime.handle().clone(),
        };
        let ao = ApplyOptions {
            plan: &p.plan,
            parallelism: o.parallelism,
            cancel: o.cancel.clone(),
            abandon: o.abandon.clone(),
            observer: &recorder,
            context: ApplyContext {
                state_serial: serial,
                plan_source: "interactive apply".into(),
                options: Default::default(),
            },
            progress_interval: o.progress_interval,
        };
        let (outcome, diags) = apply(&p.config, &p.graph, &p.inputs, &p.opts, resources, ao);
        let mut st = recorder.state.into_inner().unwrap();
        if p.mode == PlanMode::Destroy {
            st.outputs.clear();
            // Data sources leave the state with a destroy (as Terraform's).
            st.instances
                .retain(|a, _| a.mode != engine::config::Mode::Data);
        } else if outcome.failed == 0 && !outcome.interrupted {
            st.outputs = output_values(&outcome.outputs);
        }
        st.serial = serial;
        self.state = st;
        applied.outcome = outcome;
        applied.diags = diags;
        applied.events = recorder.events.into_inner().unwrap();
        applied.intents = recorder.intents.into_inner().unwrap();
        applied
            .record_errors
            .extend(recorder.errors.into_inner().unwrap());
        applied.ran = true;
        applied
    }

    // ---- the state ----

    /// The addresses in the state, sorted.
    pub fn addrs(&self) -> Vec<String> {
        let mut v: Vec<String> = self.state.instances.keys().map(|a| a.to_string()).collect();
        v.sort();
        v
    }

    /// An instance's attributes in the state.
    pub fn value(&self, a: &str) -> Option<Value> {
        self.state.value(&self.registry, a)
    }

    /// An instance's id in the state (None: not there, or a placeholder without one).
    pub fn id(&self, a: &str) -> Option<String> {
        self.value(a)?
            .get_attr("id")?
            .clone()
            .unmark()
            .0
            .as_str()
            .map(str::to_string)
    }

    /// An attribute of an instance in the state, as a string.
    pub fn attr(&self, a: &str, name: &str) -> Option<String> {
        let v = self.value(a)?.get_attr(name)?.clone().unmark_deep().0;
        v.as_str().map(str::to_string).or_else(|| v.to_json().ok())
    }

    /// The ids of every object the state holds (deposed ones too).
    pub fn state_ids(&self) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = self.addrs().iter().filter_map(|a| self.id(a)).collect();
        ids.extend(self.deposed_ids().into_values());
        ids
    }

    /// The deposed objects: "address (deposed key)" -> id.
    pub fn deposed_ids(&self) -> std::collections::BTreeMap<String, String> {
        let deposed = self.state.prior_deposed(&self.registry).expect("decodes");
        deposed
            .iter()
            .filter_map(|((a, k), p)| {
                let id = p.value.get_attr("id")?.clone().unmark().0;
                Some((format!("{a} (deposed {k})"), id.as_str()?.to_string()))
            })
            .collect()
    }

    /// Marks an instance tainted (`sakk taint`).
    pub fn taint(&mut self, a: &str, yes: bool) {
        self.state
            .instances
            .get_mut(&addr(a))
            .expect("instance in the state")
            .tainted = yes;
    }
}

/// The root outputs of an evaluation, as values.
pub fn output_values(ev: &Evaluated) -> IndexMap<String, Value> {
    ev.outputs
        .iter()
        .map(|(k, o)| (k.clone(), o.value.clone()))
        .collect()
}
