//! The apply executor: walks the graph again, starting each node the moment its dependencies
//! are done (no level barriers), re-evaluating configuration with the values earlier operations
//! produced, and running provider operations concurrently, bounded by `parallelism` and by each
//! provider's per-service limits. A failure lets independent branches finish and skips what
//! depends on it; Ctrl-C (the `cancel` flag) starts nothing new and lets in-flight operations
//! finish. Every finished operation is reported to the observer at once (the state writer
//! records it), so a crash loses at most the operations in flight.

use super::resource::{config_value, mark_sensitive, remark, secrets_of};
use super::resources::Site;
use super::resources::{PlanMode, ResourceOptions};
use super::walk::{root_variable_values, EvalOptions, Evaluated, RootOutput, Walk};
use crate::addrs::{InstanceKey, ResourceInstance};
use crate::config::tree::Config;
use crate::config::{Mode, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{Graph, NodeKind};
use crate::lang::value::Value;
use crate::plan::{Action, Plan, ResourceChange};
use crate::provider::{ApplyContext, OpContext, PlanRequest, ProviderError, ProviderInstance};
use futures::stream::{FuturesUnordered, StreamExt};
use petgraph::graph::NodeIndex;
use petgraph::Direction;
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the executor reports while it works.
#[derive(Debug, Clone)]
pub enum ApplyEvent {
    Started {
        addr: ResourceInstance,
        action: Action,
    },
    StillRunning {
        addr: ResourceInstance,
        action: Action,
        elapsed: Duration,
    },
    Finished {
        addr: ResourceInstance,
        action: Action,
        elapsed: Duration,
    },
    Failed {
        addr: ResourceInstance,
        action: Action,
        error: ProviderError,
    },
    /// Not attempted because something it depends on failed (or the apply was interrupted).
    Skipped {
        addr: ResourceInstance,
        action: Action,
        because: String,
    },
}

/// Receives events and the result of every finished operation.
pub trait ApplyObserver: Sync {
    fn event(&self, e: &ApplyEvent);
    /// Before creates: records (durably, before returning, one write for the batch) that each
    /// create is about to happen. A create whose provider can find objects by token gets a
    /// placeholder with the token as its current object ([`Intent::placeholder`]), so a crashed
    /// run's re-apply adopts the object instead of creating a twin; a create_before_destroy
    /// first deposes the current object ([`Intent::deposes`]) in the same write. An error fails
    /// those creates.
    fn intents(&self, _batch: &[Intent]) -> Result<(), String> {
        Ok(())
    }
    /// A deposed object of `addr` (key `key`) was destroyed (or found gone): it leaves the
    /// state.
    fn forget_deposed(&self, addr: &ResourceInstance, key: &str);
    /// An instance's new state (None: it no longer exists).
    fn record(
        &self,
        addr: &ResourceInstance,
        provider: &str,
        state: Option<&Value>,
        dependencies: &[String],
    );
}

/// A create about to start (see [`ApplyObserver::intents`]).
#[derive(Debug, Clone)]
pub struct Intent {
    pub addr: ResourceInstance,
    pub provider: String,
    pub token: String,
    /// The planned state (unknowns: known after the create).
    pub planned: Value,
    pub dependencies: Vec<String>,
    /// create_before_destroy: the current object of `addr` becomes deposed under this key (in
    /// the same durable write as the intent), to be destroyed once the new one is in place.
    pub deposes: Option<String>,
    /// Whether a placeholder (tainted, with the token) is written as the current object: the
    /// provider can find the object by token ([`ProviderInstance::adopts_by_token`]).
    pub placeholder: bool,
}

pub struct ApplyOptions<'r> {
    pub plan: &'r Plan,
    pub parallelism: usize,
    pub cancel: Arc<AtomicBool>,
    /// A second Ctrl-C: stop waiting for in-flight operations.
    pub abandon: Arc<AtomicBool>,
    pub observer: &'r dyn ApplyObserver,
    pub context: ApplyContext,
    /// How often "still creating..." events are sent for long operations.
    pub progress_interval: Duration,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub outputs: Evaluated,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub interrupted: bool,
}

type OpFuture<'a> = Pin<Box<dyn Future<Output = OpDone> + 'a>>;

struct OpDone {
    node: Option<(NodeIndex, usize)>,
    /// The deposed key: of the object destroyed (a delete), or of the object this
    /// create_before_destroy deposed.
    deposed: Option<String>,
    /// create_before_destroy: the destroy of the deposed object, once the create succeeded.
    replaced: Option<ResourceChange>,
    service: (usize, &'static str),
    addr: ResourceInstance,
    key_index: usize,
    action: Action,
    provider: String,
    deps: Vec<String>,
    result: Result<Option<Value>, ProviderError>,
    started: Instant,
    /// An intent placeholder was written as the current object before the operation.
    placeholder: bool,
}

/// One operation waiting to start.
struct PendingOp {
    /// The resource node and module instance this operation belongs to (None: a destroy run
    /// outside the configuration walk).
    node: Option<(NodeIndex, usize)>,
    key_index: usize,
    /// See [`OpDone::deposed`].
    deposed: Option<String>,
    /// See [`OpDone::replaced`].
    replaced: Option<ResourceChange>,
    change: ResourceChange,
    planned: Option<Value>,
    config: Option<Value>,
    type_: String,
    pi: Arc<dyn ProviderInstance>,
    service: (usize, &'static str),
    limit: usize,
    schema: crate::provider::Schema,
}

/// A resource node being applied: its instances' values, filled as operations finish.
struct NodeRun {
    slot: usize,
    keys: Vec<Option<InstanceKey>>,
    values: Vec<Option<Value>>,
    outstanding: usize,
    failed: bool,
}

/// Applies `plan`: re-walks the configuration and makes the planned changes.
pub fn apply(
    config: &Config,
    graph: &Graph,
    inputs: &[super::inputs::RawInput],
    opts: &EvalOptions,
    resources: ResourceOptions<'_>,
    ao: ApplyOptions<'_>,
) -> (ApplyOutcome, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut walk = Walk::new(config, graph, opts);
    let runtime = resources.runtime.clone();
    let mode = resources.mode;
    walk.resources = Some(resources);
    let root_vars = root_variable_values(&walk, inputs, &mut diags);
    if diags.has_errors() {
        return (ApplyOutcome::default(), diags);
    }
    let changes: HashMap<&ResourceInstance, &ResourceChange> = ao
        .plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_none())
        .map(|c| (&c.addr, c))
        .collect();
    let mut ex = Executor {
        ao: &ao,
        changes,
        outcome: ApplyOutcome::default(),
        service_running: HashMap::new(),
        running: 0,
        pending: VecDeque::new(),
        runs: HashMap::new(),
        node_outstanding: HashMap::new(),
        failed_nodes: HashSet::new(),
        causes: HashMap::new(),
        handled: HashSet::new(),
        destroyed: HashMap::new(),
        deposed_todo: Vec::new(),
    };
    let mut futs: FuturesUnordered<OpFuture<'_>> = FuturesUnordered::new();
    let mut starts: HashMap<(ResourceInstance, usize), (Action, Instant)> = HashMap::new();

    // What refresh found gone leaves the state first (Terraform persists its refresh).
    for d in ao.plan.gone() {
        match &d.deposed {
            Some(k) => ao.observer.forget_deposed(&d.addr, k),
            None => ao.observer.record(&d.addr, "", None, &[]),
        }
    }
    runtime.block_on(async {
        // Nodes evaluated before the configuration walk (what provider blocks need).
        let mut pre_visited: HashSet<NodeIndex> = HashSet::new();
        if mode != PlanMode::Destroy {
            // Terraform's destroy edges: the old objects of destroy-then-create replacements
            // are destroyed before the walk creates anything, dependents first, together with
            // the deletes that depend on them (an orphan that used a replaced object).
            if ao
                .plan
                .changes
                .iter()
                .any(|c| c.action == Action::DeleteThenCreate)
            {
                pre_visited = visit_provider_inputs(&mut walk, graph, &root_vars);
                let first = ex.destroys_first(&walk);
                ex.run_destroys(&mut walk, first, &mut futs, &mut starts, &mut diags)
                    .await;
            }
            // The configuration walk.
            let mut remaining: HashMap<NodeIndex, usize> = graph
                .g
                .node_indices()
                .map(|n| (n, graph.g.neighbors(n).count()))
                .collect();
            let mut ready: VecDeque<NodeIndex> = remaining
                .iter()
                .filter(|(_, c)| **c == 0)
                .map(|(n, _)| *n)
                .collect();
            let mut ready_sorted: Vec<NodeIndex> = ready.drain(..).collect();
            ready_sorted.sort();
            ready.extend(ready_sorted);
            let mut done_nodes: Vec<NodeIndex> = Vec::new();
            loop {
                while let Some(n) = ready.pop_front() {
                    if ex.node_blocked(graph, n) {
                        let because = ex.blocked_because(graph, n);
                        ex.skip_node(&walk, graph, n, &because);
                        done_nodes.push(n);
                        continue;
                    }
                    let kind = graph.g[n].addr.kind.clone();
                    if let NodeKind::Resource {
                        mode: rmode,
                        type_,
                        name,
                    } = &kind
                    {
                        if !ex.ao.cancel.load(Ordering::SeqCst) {
                            ex.prepare_resource(&mut walk, n, (*rmode, type_, name), &mut diags);
                        } else {
                            ex.skip_node(&walk, graph, n, "the apply was interrupted");
                        }
                        if !ex.node_outstanding.contains_key(&n) {
                            done_nodes.push(n);
                        }
                    } else {
                        if !pre_visited.contains(&n) {
                            walk.visit(n, &root_vars, &mut diags);
                        }
                        done_nodes.push(n);
                    }
                }
                for n in done_nodes.drain(..) {
                    for d in graph.g.neighbors_directed(n, Direction::Incoming) {
                        if let Some(c) = remaining.get_mut(&d) {
                            *c = c.saturating_sub(1);
                            if *c == 0 {
                                ready.push_back(d);
                            }
                        }
                    }
                }
                if !ready.is_empty() {
                    continue;
                }
                ex.launch(&mut futs, &mut starts);
                if futs.is_empty() {
                    if ex.pending.is_empty() {
                        break;
                    }
                    // Interrupted with operations still waiting: they will not start.
                    ex.drop_pending("the apply was interrupted");
                    continue;
                }
                let Some(done) = ex.next(&mut futs, &starts).await else {
                    break;
                };
                starts.remove(&(done.addr.clone(), done.key_index));
                if let Some(n) = ex.finish_op(&mut walk, done) {
                    done_nodes.push(n);
                }
            }
        }
        if mode == PlanMode::Destroy {
            // No configuration walk, but provider blocks (also in modules) may read variables and
            // locals: evaluate what the providers depend on, except what depends on resources.
            visit_provider_inputs(&mut walk, graph, &root_vars);
        }
        // Deletes of instances the configuration no longer has and the destroys of deposed
        // objects (the plan's, and those create_before_destroy left in this run, once what
        // depends on them was updated or replaced), dependents first.
        let last = ex.destroys_last(graph);
        ex.run_destroys(&mut walk, last, &mut futs, &mut starts, &mut diags)
            .await;
        // Providers that batch their side effects (one Git commit per apply) finish now.
        let instances: Vec<Arc<dyn ProviderInstance>> = walk
            .res_state
            .borrow()
            .configured
            .iter()
            .map(|(_, _, pi)| pi.clone())
            .collect();
        for pi in instances {
            if let Err(errs) = pi.finish_apply(&ex.ao.context).await {
                for (addr, e) in errs {
                    ex.outcome.failed += 1;
                    diags.push(
                        Diagnostic::error(format!("Error finishing {addr}: {}", e.summary))
                            .detail(e.detail.clone())
                            .hint(e.hint.clone().unwrap_or_else(|| {
                                "run sakk apply again once the problem is fixed".into()
                            })),
                    );
                }
            }
        }
    });
    ex.outcome.interrupted = ex.ao.cancel.load(Ordering::SeqCst);
    // Root outputs, from the values of this apply.
    let mut outputs = Evaluated::default();
    for (name, o) in &config.root.module.outputs {
        let Some(&n) = walk.slots[0].nodes.get(&NodeKind::Output(name.clone())) else {
            continue;
        };
        if let Some(Some(v)) = walk.values[n.index()].first() {
            outputs.outputs.insert(
                name.clone(),
                RootOutput {
                    value: v.clone(),
                    sensitive: o.sensitive,
                    range: o.decl_range.clone(),
                },
            );
        }
    }
    ex.outcome.outputs = outputs;
    let outcome = std::mem::take(&mut ex.outcome);
    (outcome, diags)
}

/// Evaluates what the provider blocks (also in modules) depend on, except what depends on
/// resources, so providers can be configured before the configuration walk (a destroy, and the
/// destroys that come first in an apply). Returns the nodes visited.
fn visit_provider_inputs(
    walk: &mut Walk<'_>,
    graph: &Graph,
    root_vars: &HashMap<String, Value>,
) -> HashSet<NodeIndex> {
    let mut need: HashSet<NodeIndex> = HashSet::new();
    let mut stack: Vec<NodeIndex> = graph
        .g
        .node_indices()
        .filter(|n| matches!(graph.g[*n].addr.kind, NodeKind::Provider(_)))
        .collect();
    while let Some(n) = stack.pop() {
        for d in graph.g.neighbors(n) {
            if need.insert(d) {
                stack.push(d);
            }
        }
    }
    let mut visited = HashSet::new();
    if let Ok(order) = petgraph::algo::toposort(&graph.g, None) {
        let mut on_resources: HashSet<NodeIndex> = HashSet::new();
        let mut scratch = Diagnostics::default();
        for n in order.into_iter().rev().filter(|n| need.contains(n)) {
            if matches!(graph.g[n].addr.kind, NodeKind::Resource { .. })
                || graph.g.neighbors(n).any(|d| on_resources.contains(&d))
            {
                on_resources.insert(n);
                continue;
            }
            walk.visit(n, root_vars, &mut scratch);
            visited.insert(n);
        }
    }
    visited
}

/// The resource address of an instance as dependencies name it: no instance keys, neither the
/// resource's nor its modules' (`module.a.module.b.type.name`).
fn base_addr(a: &ResourceInstance) -> String {
    let module: String = a
        .module
        .path()
        .iter()
        .map(|m| format!("module.{m}."))
        .collect();
    let resource = ResourceInstance {
        module: crate::addrs::ModuleInstance(Vec::new()),
        key: None,
        ..a.clone()
    };
    format!("{module}{resource}")
}

/// A key for a deposed object (8 hex digits, as Terraform's).
fn deposed_key() -> String {
    let u = uuid::Uuid::new_v4().simple().to_string();
    u[..8].to_string()
}

struct Executor<'a, 'r> {
    ao: &'a ApplyOptions<'r>,
    changes: HashMap<&'a ResourceInstance, &'a ResourceChange>,
    outcome: ApplyOutcome,
    service_running: HashMap<(usize, &'static str), usize>,
    running: usize,
    pending: VecDeque<PendingOp>,
    /// Resource nodes being applied, per module instance.
    runs: HashMap<(NodeIndex, usize), NodeRun>,
    /// How many module instances of a node still have operations running.
    node_outstanding: HashMap<NodeIndex, usize>,
    failed_nodes: HashSet<NodeIndex>,
    /// For a skipped node: the resource whose failure it inherits (for the message).
    causes: HashMap<NodeIndex, String>,
    /// Planned changes that were started, skipped or otherwise dealt with.
    handled: HashSet<ResourceInstance>,
    /// Destroys run before the configuration walk: whether each succeeded.
    destroyed: HashMap<ResourceInstance, bool>,
    /// The destroys of objects create_before_destroy deposed in this run (with the node of the
    /// replaced resource), run after the walk.
    deposed_todo: Vec<(ResourceChange, NodeIndex)>,
}

impl<'a, 'r> Executor<'a, 'r> {
    /// A node must not run when something it depends on failed or was skipped.
    fn node_blocked(&self, graph: &Graph, n: NodeIndex) -> bool {
        graph.g.neighbors(n).any(|d| self.failed_nodes.contains(&d))
    }

    /// Why a blocked node cannot run: the resource that failed (or was skipped) upstream.
    fn blocked_because(&mut self, graph: &Graph, n: NodeIndex) -> String {
        let cause = graph
            .g
            .neighbors(n)
            .find(|d| self.failed_nodes.contains(d))
            .map(|d| {
                self.causes
                    .get(&d)
                    .cloned()
                    .unwrap_or_else(|| graph.g[d].addr.to_string())
            })
            .unwrap_or_else(|| "a resource".into());
        self.causes.insert(n, cause.clone());
        format!("it depends on {cause}, which failed")
    }

    fn skip_node(&mut self, walk: &Walk, graph: &Graph, n: NodeIndex, because: &str) {
        self.failed_nodes.insert(n);
        let addr = &graph.g[n].addr;
        if let NodeKind::Resource { mode, type_, name } = &addr.kind {
            let Some(&slot) = walk.slot_of.get(&addr.module) else {
                return;
            };
            for inst in &walk.slots[slot].instances {
                for c in self.ao.plan.changes.iter() {
                    if c.addr.module == inst.addr
                        && c.addr.mode == *mode
                        && &c.addr.type_ == type_
                        && &c.addr.name == name
                        && c.action != Action::NoOp
                        && c.deposed.is_none()
                    {
                        self.handled.insert(c.addr.clone());
                        self.outcome.skipped += 1;
                        self.ao.observer.event(&ApplyEvent::Skipped {
                            addr: c.addr.clone(),
                            action: c.action,
                            because: because.to_string(),
                        });
                    }
                }
            }
        }
    }

    /// Evaluates a resource node's instances against the values known now, and queues the
    /// operations the plan calls for.
    fn prepare_resource(
        &mut self,
        walk: &mut Walk<'_>,
        n: NodeIndex,
        (mode, type_, name): (Mode, &String, &String),
        diags: &mut Diagnostics,
    ) {
        let addr = walk.graph.g[n].addr.clone();
        let Some(&slot) = walk.slot_of.get(&addr.module) else {
            return;
        };
        let key = crate::config::resource_key(mode, type_, name);
        let Some(r) = walk.slots[slot].module.resources.get(&key) else {
            return;
        };
        let r: &Resource = r;
        let count = walk.slots[slot].instances.len();
        let mut vals: Vec<Option<Value>> = vec![None; count];
        for (i, val) in vals.iter_mut().enumerate() {
            let before = diags.len();
            match self.prepare_instance(walk, n, slot, i, r, diags) {
                Some(run) if run.outstanding == 0 => {
                    if run.failed {
                        // A replacement whose old object could not be destroyed.
                        self.failed_nodes.insert(n);
                    }
                    *val = Some(aggregate_run(r, &run));
                }
                Some(run) => {
                    *self.node_outstanding.entry(n).or_insert(0) += 1;
                    self.runs.insert((n, i), run);
                }
                None => {
                    if diags.len() > before {
                        // Its configuration, its final plan or the consistency check failed.
                        self.outcome.failed += 1;
                        self.failed_nodes.insert(n);
                    }
                }
            }
        }
        walk.values[n.index()] = vals;
    }

    fn prepare_instance(
        &mut self,
        walk: &mut Walk<'_>,
        n: NodeIndex,
        slot: usize,
        i: usize,
        r: &Resource,
        diags: &mut Diagnostics,
    ) -> Option<NodeRun> {
        let ro = walk.resources.as_ref()?;
        let module_addr = walk.slots[slot].instances[i].addr.clone();
        let (pi, rt) = walk.provider_for(
            Site::Instance(slot, i),
            &r.provider_key(),
            r.mode,
            &r.type_,
            &r.decl_range,
            diags,
        )?;
        let keys = walk.instance_keys(slot, i, r, diags)?;
        let what = format!(
            "{}",
            ResourceInstance {
                module: module_addr.clone(),
                mode: r.mode,
                type_: r.type_.clone(),
                name: r.name.clone(),
                key: None
            }
        );
        let limit = ro
            .providers
            .for_type(&r.type_)
            .map(|p| p.service_limit(rt.service))
            .unwrap_or(10);
        let mut run = NodeRun {
            slot,
            keys: Vec::with_capacity(keys.len()),
            values: Vec::with_capacity(keys.len()),
            outstanding: 0,
            failed: false,
        };
        for (key_index, (key, rep)) in keys.into_iter().enumerate() {
            let addr = ResourceInstance {
                module: module_addr.clone(),
                mode: r.mode,
                type_: r.type_.clone(),
                name: r.name.clone(),
                key: key.clone(),
            };
            run.keys.push(key);
            let change = self.changes.get(&addr).copied();
            let prior = change.and_then(|c| c.before.clone()).or_else(|| {
                ro.prior
                    .get(&addr)
                    .map(|p| mark_sensitive(p.value.clone(), &rt.schema))
            });
            let Some(change) = change.filter(|c| c.action != Action::NoOp) else {
                // Nothing to do: the prior state is the value (or, for data sources, read now).
                if r.mode == Mode::Data {
                    let eval = |e: &crate::lang::ast::Expr, it: &crate::lang::value::Attrs| {
                        walk.eval_value_with(slot, i, rep.clone(), e, it)
                    };
                    let config = config_value(&r.body, &rt.schema, &what, &eval, diags)?;
                    let ctx = OpContext {
                        address: addr.to_string(),
                        idempotency_token: String::new(),
                        progress: Arc::new(|_| {}),
                    };
                    match super::resources::block_on(
                        &ro.runtime,
                        pi.read_data(&r.type_, &config, &ctx),
                    ) {
                        Ok(v) => run.values.push(Some(remark(v, &rt.schema, &[&config]))),
                        Err(e) => {
                            diags.push(
                                Diagnostic::error(format!("Error reading {addr}: {}", e.summary))
                                    .at(&r.decl_range)
                                    .detail(e.detail),
                            );
                            return None;
                        }
                    }
                } else {
                    run.values.push(prior);
                }
                continue;
            };
            self.handled.insert(addr.clone());
            // A destroy-then-create whose old object was destroyed before the walk is now a
            // create; one whose destroy failed or was skipped is not attempted (its error or
            // skip was reported).
            let mut create_half = false;
            if change.action == Action::DeleteThenCreate {
                match self.destroyed.get(&addr) {
                    Some(true) => create_half = true,
                    Some(false) => {
                        run.values.push(None);
                        run.failed = true;
                        continue;
                    }
                    None => {}
                }
            }
            // Re-evaluate with what is known now, and plan again for the final values.
            let eval = |e: &crate::lang::ast::Expr, it: &crate::lang::value::Attrs| {
                walk.eval_value_with(slot, i, rep.clone(), e, it)
            };
            let config = config_value(&r.body, &rt.schema, &what, &eval, diags)?;
            let config = match (&prior, change.action) {
                (Some(p), Action::Update) => super::resources::ignored_from_prior(r, p, &config),
                _ => config,
            };
            let planned = match change.action {
                Action::Read => None,
                Action::Delete => None,
                _ => match pi.plan(PlanRequest {
                    type_: &r.type_,
                    prior: prior.as_ref().filter(|_| change.action == Action::Update),
                    config: &config,
                }) {
                    Ok(p) => Some(remark(p.planned, &rt.schema, &[&config])),
                    Err(e) => {
                        let e = e.redact(&secrets_of(&[&config]));
                        diags.push(
                            Diagnostic::error(format!(
                                "Invalid configuration for {addr}: {}",
                                e.summary
                            ))
                            .at(&r.decl_range)
                            .detail(e.detail),
                        );
                        return None;
                    }
                },
            };
            // The plan is the contract: what it showed as known must be what is applied.
            if let (Some(want), Some(got)) = (change.after.as_ref(), planned.as_ref()) {
                if let Some(path) = crate::lang::compare::known_paths_conflict(want, got) {
                    diags.push(
                        Diagnostic::error(format!("Provider produced inconsistent final plan for {addr}"))
                            .at(&r.decl_range)
                            .detail(format!("When applying the planned changes to {addr}, the value of {path} differs from the value the plan showed. The configuration, a file it reads, or a value it depends on changed since the plan, or the provider is not deterministic. Nothing was done to {addr}."))
                            .hint("make a new plan (`sakk plan --out FILE`), review it, and apply that"),
                    );
                    return None;
                }
            }
            let mut change = change.clone();
            change.before = prior;
            // create_before_destroy: the current object is deposed when the create starts, and
            // destroyed after the walk.
            let (deposed, replaced) = if change.action == Action::CreateThenDelete {
                let key = deposed_key();
                let old = ResourceChange {
                    addr: addr.clone(),
                    provider: change.provider.clone(),
                    action: Action::Delete,
                    before: change.before.clone(),
                    after: None,
                    reason: None,
                    dependencies: ro
                        .prior
                        .get(&addr)
                        .map(|p| p.dependencies.clone())
                        .unwrap_or_else(|| change.dependencies.clone()),
                    deposed: Some(key.clone()),
                    token: None,
                };
                (Some(key), Some(old))
            } else {
                (None, None)
            };
            if create_half {
                change.action = Action::Create;
                change.before = None;
            }
            run.values.push(None);
            run.outstanding += 1;
            self.pending.push_back(PendingOp {
                node: Some((n, i)),
                key_index,
                deposed,
                replaced,
                change,
                planned,
                config: Some(config),
                type_: r.type_.clone(),
                pi: pi.clone(),
                service: (slot, rt.service),
                limit,
                schema: rt.schema.clone(),
            });
        }
        Some(run)
    }

    /// Starts pending operations while the limits allow.
    fn launch<'f>(
        &mut self,
        futs: &mut FuturesUnordered<OpFuture<'f>>,
        starts: &mut HashMap<(ResourceInstance, usize), (Action, Instant)>,
    ) {
        if self.ao.cancel.load(Ordering::SeqCst) {
            return;
        }
        let mut deferred = VecDeque::new();
        let mut starting: Vec<(PendingOp, String, Instant)> = Vec::new();
        while self.running < self.ao.parallelism.max(1) {
            let Some(op) = self.pending.pop_front() else {
                break;
            };
            let svc = self.service_running.entry(op.service).or_insert(0);
            if *svc >= op.limit {
                deferred.push_back(op);
                continue;
            }
            *svc += 1;
            self.running += 1;
            let started = Instant::now();
            // A create that follows an unresolved intent reuses its token (idempotency tokens
            // are reused on retry, not regenerated).
            let token = op.change.token.clone().unwrap_or_else(|| {
                format!("sakk-{}", uuid_like(&op.change.addr.to_string(), started))
            });
            starting.push((op, token, started));
        }
        // Intents first (one durable write for the whole batch), then the creates.
        let placeholder = |op: &PendingOp| {
            matches!(op.change.action, Action::Create | Action::CreateThenDelete)
                && op.pi.adopts_by_token(&op.type_)
        };
        let deposes = |op: &PendingOp| match op.change.action {
            Action::CreateThenDelete => op.deposed.clone(),
            _ => None,
        };
        let needs_intent = |op: &PendingOp| placeholder(op) || deposes(op).is_some();
        let batch: Vec<Intent> = starting
            .iter()
            .filter(|(op, _, _)| needs_intent(op))
            .filter_map(|(op, token, _)| {
                Some(Intent {
                    addr: op.change.addr.clone(),
                    provider: op.change.provider.clone(),
                    token: token.clone(),
                    planned: op.planned.clone()?,
                    dependencies: op.change.dependencies.clone(),
                    deposes: deposes(op),
                    placeholder: placeholder(op),
                })
            })
            .collect();
        let intent_error = if batch.is_empty() {
            None
        } else {
            self.ao.observer.intents(&batch).err()
        };
        for (op, token, started) in starting {
            starts.insert(
                (op.change.addr.clone(), op.key_index),
                (op.change.action, started),
            );
            self.ao.observer.event(&ApplyEvent::Started {
                addr: op.change.addr.clone(),
                action: op.change.action,
            });
            let blocked = match (&intent_error, needs_intent(&op)) {
                (Some(e), true) => Some(
                    ProviderError::new("Cannot record the intent to create")
                        .detail(e.clone())
                        .hint("check that the state can be written, then run sakk apply again"),
                ),
                _ => None,
            };
            let service = op.service;
            let wrote_placeholder = placeholder(&op) && intent_error.is_none();
            futs.push(Box::pin(async move {
                let ctx = OpContext {
                    address: op.change.addr.to_string(),
                    idempotency_token: token,
                    progress: Arc::new(|_| {}),
                };
                let pi = op.pi.clone();
                let result = match blocked {
                    Some(e) => Err(e),
                    None => run_op(&*pi, &op, &ctx).await,
                };
                // AWS and provider messages may quote an argument: never a secret.
                let from: Vec<&Value> = op
                    .planned
                    .iter()
                    .chain(op.config.iter())
                    .chain(op.change.before.iter())
                    .collect();
                let result = result.map_err(|e| e.redact(&secrets_of(&from)));
                OpDone {
                    node: op.node,
                    deposed: op.deposed.clone(),
                    replaced: op.replaced.clone(),
                    service,
                    addr: op.change.addr.clone(),
                    key_index: op.key_index,
                    action: op.change.action,
                    provider: op.change.provider.clone(),
                    deps: op.change.dependencies.clone(),
                    result: result.map(|v| v.map(|v| remark(v, &op.schema, &from))),
                    started,
                    placeholder: wrote_placeholder,
                }
            }));
        }
        // Operations held back by a service limit keep their place at the front (the rest of
        // the queue is not touched: O(started) per call, not O(pending)).
        while let Some(op) = deferred.pop_back() {
            self.pending.push_front(op);
        }
    }

    /// Waits for the next finished operation, sending "still running" events meanwhile.
    async fn next<'f>(
        &mut self,
        futs: &mut FuturesUnordered<OpFuture<'f>>,
        starts: &HashMap<(ResourceInstance, usize), (Action, Instant)>,
    ) -> Option<OpDone> {
        let interval = self.ao.progress_interval.max(Duration::from_millis(10));
        loop {
            if self.ao.abandon.load(Ordering::SeqCst) {
                return None;
            }
            let last_check = Instant::now();
            let tick = tokio::time::sleep(interval.min(Duration::from_millis(500)));
            tokio::select! {
                d = futs.next() => {
                    if let Some(d) = &d {
                        self.running = self.running.saturating_sub(1);
                        let _ = d;
                    }
                    return d;
                }
                _ = tick => {
                    // One event each time an operation's elapsed time crosses a multiple of the
                    // interval.
                    let now = Instant::now();
                    let step = interval.as_millis().max(1);
                    for ((addr, _), (action, started)) in starts.iter() {
                        let elapsed = now.duration_since(*started);
                        let before = last_check.saturating_duration_since(*started);
                        if elapsed.as_millis() / step > before.as_millis() / step {
                            self.ao.observer.event(&ApplyEvent::StillRunning { addr: addr.clone(), action: *action, elapsed });
                        }
                    }
                }
            }
        }
    }

    /// Records a finished operation; returns the node if that finished it.
    fn finish_op(&mut self, walk: &mut Walk<'_>, mut d: OpDone) -> Option<NodeIndex> {
        if let Some(v) = self.service_running.get_mut(&d.service) {
            *v = v.saturating_sub(1);
        }
        let elapsed = d.started.elapsed();
        let replaced = d.replaced.take();
        let ok = match &d.result {
            Ok(state) => {
                match (&d.deposed, d.action) {
                    (Some(key), Action::Delete) => self.ao.observer.forget_deposed(&d.addr, key),
                    _ => self
                        .ao
                        .observer
                        .record(&d.addr, &d.provider, state.as_ref(), &d.deps),
                }
                if let (Some(old), Some((n, _))) = (replaced, d.node) {
                    self.deposed_todo.push((old, n));
                }
                self.ao.observer.event(&ApplyEvent::Finished {
                    addr: d.addr.clone(),
                    action: d.action,
                    elapsed,
                });
                match d.action {
                    // create_before_destroy: the destroy of the deposed object counts when it
                    // is done.
                    Action::Create | Action::CreateThenDelete => self.outcome.added += 1,
                    Action::Update => self.outcome.changed += 1,
                    Action::Delete => self.outcome.destroyed += 1,
                    Action::DeleteThenCreate => {
                        self.outcome.added += 1;
                        self.outcome.destroyed += 1;
                    }
                    _ => {}
                }
                true
            }
            Err(e) => {
                self.outcome.failed += 1;
                // A create whose request never left cannot have made anything: its intent
                // placeholder goes (an earlier object, deposed or current, is not touched).
                if e.not_sent
                    && d.action == Action::Create
                    && self
                        .changes
                        .get(&d.addr)
                        .is_some_and(|c| c.before.is_none())
                    && d.placeholder
                {
                    self.ao.observer.record(&d.addr, &d.provider, None, &d.deps);
                }
                self.ao.observer.event(&ApplyEvent::Failed {
                    addr: d.addr.clone(),
                    action: d.action,
                    error: e.clone(),
                });
                false
            }
        };
        let (n, i) = d.node?;
        let run = self.runs.get_mut(&(n, i))?;
        if let Some(slot) = run.values.get_mut(d.key_index) {
            *slot = d.result.ok().flatten();
        }
        run.failed |= !ok;
        run.outstanding = run.outstanding.saturating_sub(1);
        if run.outstanding > 0 {
            return None;
        }
        self.complete_run(walk, n, i)
    }

    /// A module instance's operations of node `n` are all done: set its value; returns the node
    /// when every module instance is done.
    fn complete_run(&mut self, walk: &mut Walk<'_>, n: NodeIndex, i: usize) -> Option<NodeIndex> {
        let run = self.runs.remove(&(n, i))?;
        if run.failed {
            self.failed_nodes.insert(n);
        }
        let key = match &walk.graph.g[n].addr.kind {
            NodeKind::Resource { mode, type_, name } => {
                crate::config::resource_key(*mode, type_, name)
            }
            _ => return None,
        };
        if let Some(r) = walk.slots[run.slot].module.resources.get(&key) {
            if let Some(v) = walk.values[n.index()].get_mut(i) {
                *v = Some(aggregate_run(r, &run));
            }
        }
        let left = self.node_outstanding.get_mut(&n)?;
        *left = left.saturating_sub(1);
        if *left > 0 {
            return None;
        }
        self.node_outstanding.remove(&n);
        Some(n)
    }

    fn drop_pending(&mut self, because: &str) {
        while let Some(op) = self.pending.pop_front() {
            self.outcome.skipped += 1;
            self.ao.observer.event(&ApplyEvent::Skipped {
                addr: op.change.addr.clone(),
                action: op.change.action,
                because: because.to_string(),
            });
            if let Some((n, i)) = op.node {
                self.failed_nodes.insert(n);
                if let Some(run) = self.runs.get_mut(&(n, i)) {
                    run.failed = true;
                    run.outstanding = run.outstanding.saturating_sub(1);
                }
            }
        }
    }

    /// The destroys that run before the configuration walk: the old objects of
    /// destroy-then-create replacements, and the deletes that depend on them (transitively),
    /// as plain deletes. Only those whose provider can be configured before the walk (one that
    /// depends on a resource cannot: such a replacement deletes and creates in its node).
    fn destroys_first(&mut self, walk: &Walk<'_>) -> Vec<ResourceChange> {
        let mut scratch = Diagnostics::new();
        let at = walk.config.root.module.decl_range_hint();
        let mut reachable = |c: &ResourceChange| {
            walk.provider_for(
                Site::Orphan(&c.addr.module),
                &c.provider,
                c.addr.mode,
                &c.addr.type_,
                &at,
                &mut scratch,
            )
            .is_some()
        };
        let plan = self.ao.plan;
        let mut first: Vec<ResourceChange> = Vec::new();
        for c in &plan.changes {
            if c.deposed.is_none() && c.action == Action::DeleteThenCreate && reachable(c) {
                first.push(ResourceChange {
                    action: Action::Delete,
                    after: None,
                    token: None,
                    ..c.clone()
                });
            }
        }
        if first.is_empty() {
            return first;
        }
        let mut bases: HashSet<String> = first.iter().map(|c| base_addr(&c.addr)).collect();
        let mut taken: HashSet<ResourceInstance> = first.iter().map(|c| c.addr.clone()).collect();
        loop {
            let mut more = Vec::new();
            for c in &plan.changes {
                if c.deposed.is_none()
                    && c.action == Action::Delete
                    && !taken.contains(&c.addr)
                    && c.dependencies.iter().any(|d| bases.contains(d))
                    && reachable(c)
                {
                    more.push(c.clone());
                }
            }
            if more.is_empty() {
                break;
            }
            for c in more {
                bases.insert(base_addr(&c.addr));
                taken.insert(c.addr.clone());
                first.push(c);
            }
        }
        for c in &first {
            self.handled.insert(c.addr.clone());
        }
        first
    }

    /// The destroys that run after the configuration walk: deletes not run yet, the plan's
    /// deposed objects, and the objects create_before_destroy deposed in this run, unless
    /// something that depends on the replaced resource failed or was skipped (the old object
    /// then stays deposed: the next plan destroys it).
    fn destroys_last(&mut self, graph: &Graph) -> Vec<ResourceChange> {
        let mut last: Vec<ResourceChange> = self
            .ao
            .plan
            .changes
            .iter()
            .filter(|c| {
                c.action == Action::Delete
                    && (c.deposed.is_some() || !self.handled.contains(&c.addr))
            })
            .cloned()
            .collect();
        for (c, n) in std::mem::take(&mut self.deposed_todo) {
            let mut seen = HashSet::new();
            let mut stack = vec![n];
            let mut blocked = None;
            'search: while let Some(x) = stack.pop() {
                for d in graph.g.neighbors_directed(x, Direction::Incoming) {
                    if seen.insert(d) {
                        if self.failed_nodes.contains(&d) {
                            blocked = Some(d);
                            break 'search;
                        }
                        stack.push(d);
                    }
                }
            }
            if let Some(d) = blocked {
                self.outcome.skipped += 1;
                self.ao.observer.event(&ApplyEvent::Skipped {
                    addr: c.addr.clone(),
                    action: Action::Delete,
                    because: format!(
                        "{} depends on it and was not applied: the old object stays deposed",
                        graph.g[d].addr
                    ),
                });
                continue;
            }
            last.push(c);
        }
        last
    }

    /// Runs destroys in reverse dependency order: a destroy waits while something still to be
    /// destroyed (or being destroyed) depends on it. When one fails or is skipped, what it
    /// depends on stays (transitively).
    async fn run_destroys<'f>(
        &mut self,
        walk: &mut Walk<'_>,
        mut todo: Vec<ResourceChange>,
        futs: &mut FuturesUnordered<OpFuture<'f>>,
        starts: &mut HashMap<(ResourceInstance, usize), (Action, Instant)>,
        diags: &mut Diagnostics,
    ) {
        if todo.is_empty() {
            return;
        }
        // Destroys in flight: (instance, deposed key) -> its dependencies.
        let mut running: HashMap<(ResourceInstance, Option<String>), Vec<String>> = HashMap::new();
        // Remove what `failed` depends on from `todo`, transitively, reporting each as skipped.
        let skip_dependencies =
            |ex: &mut Self, todo: &mut Vec<ResourceChange>, failed: Vec<String>| {
                let mut stack = failed;
                while let Some(deps) = stack.pop().map(|d| vec![d]) {
                    let (skip, keep): (Vec<ResourceChange>, Vec<ResourceChange>) = todo
                        .drain(..)
                        .partition(|c| deps.contains(&base_addr(&c.addr)));
                    *todo = keep;
                    for c in skip {
                        stack.extend(c.dependencies.iter().cloned());
                        if c.deposed.is_none() {
                            ex.destroyed.insert(c.addr.clone(), false);
                        }
                        ex.outcome.skipped += 1;
                        ex.ao.observer.event(&ApplyEvent::Skipped {
                            addr: c.addr.clone(),
                            action: c.action,
                            because: "a resource that depends on it could not be destroyed".into(),
                        });
                    }
                }
            };
        loop {
            if !self.ao.cancel.load(Ordering::SeqCst) {
                let mut i = 0;
                while i < todo.len() {
                    let me = base_addr(&todo[i].addr);
                    // Wait while something still to be destroyed depends on this one.
                    let blocked = todo
                        .iter()
                        .enumerate()
                        .any(|(j, o)| j != i && o.dependencies.contains(&me))
                        || running.values().any(|deps| deps.contains(&me));
                    if blocked {
                        i += 1;
                        continue;
                    }
                    let c = todo.remove(i);
                    let slot = walk
                        .slot_of
                        .get(&c.addr.module.path())
                        .copied()
                        .unwrap_or(0);
                    let at = walk.config.root.module.decl_range_hint();
                    let Some((pi, rt)) = walk.provider_for(
                        Site::Orphan(&c.addr.module),
                        &c.provider,
                        c.addr.mode,
                        &c.addr.type_,
                        &at,
                        diags,
                    ) else {
                        self.outcome.failed += 1;
                        if c.deposed.is_none() {
                            self.destroyed.insert(c.addr.clone(), false);
                        }
                        let deps = c.dependencies.clone();
                        skip_dependencies(self, &mut todo, deps);
                        i = 0;
                        continue;
                    };
                    let limit = walk
                        .resources
                        .as_ref()
                        .and_then(|ro| ro.providers.for_type(&c.addr.type_))
                        .map(|p| p.service_limit(rt.service))
                        .unwrap_or(10);
                    running.insert((c.addr.clone(), c.deposed.clone()), c.dependencies.clone());
                    if c.deposed.is_none() {
                        self.handled.insert(c.addr.clone());
                    }
                    self.pending.push_back(PendingOp {
                        node: None,
                        key_index: usize::from(c.deposed.is_some()),
                        deposed: c.deposed.clone(),
                        replaced: None,
                        type_: c.addr.type_.clone(),
                        change: c,
                        planned: None,
                        config: None,
                        pi,
                        service: (slot, rt.service),
                        limit,
                        schema: rt.schema.clone(),
                    });
                }
            }
            self.launch(futs, starts);
            if futs.is_empty() {
                if !self.pending.is_empty() || !todo.is_empty() {
                    for op in &self.pending {
                        if op.deposed.is_none() {
                            self.destroyed.insert(op.change.addr.clone(), false);
                        }
                    }
                    self.drop_pending("the apply was interrupted");
                    for c in todo.drain(..) {
                        if c.deposed.is_none() {
                            self.destroyed.insert(c.addr.clone(), false);
                        }
                        self.outcome.skipped += 1;
                        self.ao.observer.event(&ApplyEvent::Skipped {
                            addr: c.addr.clone(),
                            action: c.action,
                            because: "the apply was interrupted or a dependent failed".into(),
                        });
                    }
                }
                break;
            }
            let Some(done) = self.next(futs, starts).await else {
                break;
            };
            starts.remove(&(done.addr.clone(), done.key_index));
            let deps = running
                .remove(&(done.addr.clone(), done.deposed.clone()))
                .unwrap_or_default();
            let failed = done.result.is_err();
            if done.deposed.is_none() {
                self.destroyed.insert(done.addr.clone(), !failed);
            }
            let _ = self.finish_op(walk, done);
            if failed {
                // What it depends on must stay: the destroys of its dependencies are skipped.
                skip_dependencies(self, &mut todo, deps);
            }
        }
    }
}

/// The reference value of a resource node from its instances' new values.
fn aggregate_run(r: &Resource, run: &NodeRun) -> Value {
    let items: Vec<(Option<InstanceKey>, Value)> = run
        .keys
        .iter()
        .cloned()
        .zip(run.values.iter().cloned())
        .map(|(k, v)| (k, v.unwrap_or_else(Value::unknown_dynamic)))
        .collect();
    if r.count.is_some() {
        Value::tuple(items.into_iter().map(|(_, v)| v).collect())
    } else if r.for_each.is_some() {
        Value::object(
            items
                .into_iter()
                .filter_map(|(k, v)| match k {
                    Some(InstanceKey::Str(s)) => Some((s, v)),
                    _ => None,
                })
                .collect(),
        )
    } else {
        items
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or_else(Value::unknown_dynamic)
    }
}

/// Runs one planned operation; returns the new state (None when the object is gone).
async fn run_op(
    pi: &dyn ProviderInstance,
    op: &PendingOp,
    ctx: &OpContext,
) -> Result<Option<Value>, ProviderError> {
    let c = &op.change;
    let prior = c.before.as_ref();
    let planned = op.planned.as_ref();
    let missing = || ProviderError::new("internal: operation without the values it needs");
    match c.action {
        Action::NoOp => Ok(prior.cloned()),
        // create_before_destroy: the old object was deposed; it is destroyed after the walk.
        Action::Create | Action::CreateThenDelete => {
            let p = planned.ok_or_else(missing)?;
            // Only a create that retries an intent can have made something already (a fresh
            // token names nothing): look first, as the plan did, in case the object appeared
            // since (eventual consistency).
            if c.token.is_some() {
                if let Some(found) = pi
                    .find_by_token(&op.type_, p, &ctx.idempotency_token)
                    .await?
                {
                    return Ok(Some(found));
                }
            }
            pi.create(&op.type_, p, ctx).await.map(Some)
        }
        Action::Update => pi
            .update(
                &op.type_,
                prior.ok_or_else(missing)?,
                planned.ok_or_else(missing)?,
                ctx,
            )
            .await
            .map(Some),
        Action::Delete => {
            pi.delete(&op.type_, prior.ok_or_else(missing)?, ctx)
                .await?;
            Ok(None)
        }
        Action::DeleteThenCreate => {
            pi.delete(&op.type_, prior.ok_or_else(missing)?, ctx)
                .await?;
            pi.create(&op.type_, planned.ok_or_else(missing)?, ctx)
                .await
                .map(Some)
        }
        Action::Read => pi
            .read_data(&op.type_, op.config.as_ref().ok_or_else(missing)?, ctx)
            .await
            .map(Some),
    }
}

/// A token unique to this operation: `sakk-`, the wall-clock second it was drawn (hex), `-`, and
/// a hash of the address and the start time. Providers read the time back
/// ([`crate::provider::token_time`]) to tell an object a cut-off create made (created after the
/// token was drawn) from an older one of the same name.
fn uuid_like(addr: &str, started: Instant) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    addr.hash(&mut h);
    started.hash(&mut h);
    let now = std::time::SystemTime::now();
    now.hash(&mut h);
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs:x}-{:016x}", h.finish())
}
