//! The evaluation walk: every node of the graph in dependency order, once per module instance.
//!
//! Module instances are expanded when their call node is reached (count/for_each evaluated in
//! the parent instance). Values are stored per node in a vector indexed by the instance's
//! position among the instances of its module, so every reference resolves with one hash lookup
//! of a name and one vector index, whatever the number of instances. The object a `module.x`
//! reference yields is built once and cached until another output of that module is evaluated.

use super::inputs::{InputSource, RawInput, RawValue};
use super::scope::{EvalScope, InstanceRep};
use crate::addrs::{InstanceKey, ModuleInstance};
use crate::config::tree::{Config, ModulePath};
use crate::config::{Module, ModuleCall, Resource, Variable};
use crate::diag::{Diagnostic, Diagnostics, Range};
use crate::graph::{Graph, NodeKind};
use crate::lang::ast::Expr;
use crate::lang::convert::convert;
use crate::lang::types::{parse_type_constraint, Type};
use crate::lang::value::{Kind, Value};
use indexmap::IndexMap;
use petgraph::graph::NodeIndex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

/// Settings of one evaluation.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// `terraform.workspace`
    pub workspace: String,
    /// The root module's directory (absolute), for `path.root` and file functions.
    pub root_dir: PathBuf,
    /// `path.cwd`
    pub cwd: PathBuf,
    /// What the file functions read through ([`crate::vfs::os`], or a saved plan's snapshot).
    pub fs: std::sync::Arc<dyn crate::vfs::FileSystem>,
    /// The most instances `count` or `for_each` may give one block, over all the instances of
    /// its module ([`DEFAULT_MAX_INSTANCES`] normally): more is a diagnostic, not an allocation
    /// sized by what the configuration wrote.
    pub max_instances: usize,
}

/// The default of [`EvalOptions::max_instances`]. Terraform has no such limit, but planning
/// more instances of one block than this would exhaust memory long before it finished.
pub const DEFAULT_MAX_INSTANCES: usize = 1_000_000;

/// A root module output after evaluation.
#[derive(Debug, Clone)]
pub struct RootOutput {
    pub value: Value,
    pub sensitive: bool,
    pub range: Range,
}

/// The result of evaluating a configuration.
#[derive(Debug, Clone, Default)]
pub struct Evaluated {
    pub outputs: IndexMap<String, RootOutput>,
    /// Number of module instances, root included.
    pub module_instances: usize,
    /// The root module's variable values (converted, validated, with their marks).
    pub variables: IndexMap<String, Value>,
}

/// One instance of a module.
pub(super) struct Instance {
    pub addr: ModuleInstance,
    /// The parent module's instance index (None for the root).
    pub parent: Option<usize>,
    pub rep: InstanceRep,
}

/// The instances of one static module path and name tables for its nodes.
pub(super) struct ModuleSlot<'c> {
    pub path: ModulePath,
    pub module: &'c Module,
    pub instances: Vec<Instance>,
    pub nodes: HashMap<NodeKind, NodeIndex>,
    /// For each module call of this module: the child slot index.
    pub child_slots: HashMap<String, usize>,
    /// Outputs evaluated so far (all instances): invalidates cached module objects.
    pub outputs_done: usize,
}

/// How a module call expanded in one parent instance.
#[derive(Clone)]
pub(super) enum Expansion {
    Single(usize),
    Count(Vec<usize>),
    ForEach(Vec<(String, usize)>),
}

pub(super) struct Walk<'c> {
    /// Resource planning (None: evaluate variables, locals, outputs and modules only).
    pub resources: Option<super::resources::ResourceOptions<'c>>,
    pub res_state: RefCell<super::resources::ResourceState>,
    pub config: &'c Config,
    pub graph: &'c Graph,
    pub opts: &'c EvalOptions,
    pub slots: Vec<ModuleSlot<'c>>,
    pub slot_of: HashMap<ModulePath, usize>,
    /// values[node][instance index within the node's module slot]
    pub values: Vec<Vec<Option<Value>>>,
    /// expansions[call node][parent instance index]
    pub expansions: HashMap<NodeIndex, Vec<Expansion>>,
    /// Cached `module.x` objects: (call node, parent instance) -> (outputs_done, value).
    pub module_objects: RefCell<HashMap<(NodeIndex, usize), (usize, Value)>>,
    /// The function library. As in Terraform, relative paths given to file functions are
    /// relative to the working directory (the root module), whatever module calls them.
    pub functions: crate::lang::funcs::Registry,
    /// Instances made so far of each resource block, (slot, resource key) -> count, over all
    /// the instances of its module (for [`EvalOptions::max_instances`]).
    pub block_instances: RefCell<HashMap<(usize, String), usize>>,
}

/// Evaluates every variable, local, module instance and output of `config`.
pub fn evaluate(
    config: &Config,
    graph: &Graph,
    inputs: &[RawInput],
    opts: &EvalOptions,
) -> (Evaluated, Diagnostics) {
    evaluate_then(config, graph, inputs, opts, &mut |_| {})
}

/// Evaluates an expression in the root module's scope, after the walk.
pub type RootEval<'a> = &'a dyn Fn(&Expr) -> Result<Value, Diagnostics>;

/// Evaluates `config`, then hands `then` an evaluator of further expressions in the root
/// module's scope (for `sakk console`).
pub fn evaluate_then(
    config: &Config,
    graph: &Graph,
    inputs: &[RawInput],
    opts: &EvalOptions,
    then: &mut dyn FnMut(RootEval),
) -> (Evaluated, Diagnostics) {
    let (ev, _, diags) = walk_config(config, graph, inputs, opts, None, then);
    (ev, diags)
}

/// Plans a configuration: evaluates it with resources, asking each provider for the planned
/// state of every instance, and lists the changes (deletes included).
pub fn plan(
    config: &Config,
    graph: &Graph,
    inputs: &[RawInput],
    opts: &EvalOptions,
    resources: super::resources::ResourceOptions<'_>,
) -> (crate::plan::Plan, Evaluated, Diagnostics) {
    let (ev, plan, diags) = walk_config(config, graph, inputs, opts, Some(resources), &mut |_| {});
    (plan, ev, diags)
}

fn walk_config<'c>(
    config: &'c Config,
    graph: &'c Graph,
    inputs: &[RawInput],
    opts: &'c EvalOptions,
    resources: Option<super::resources::ResourceOptions<'c>>,
    then: &mut dyn FnMut(RootEval),
) -> (Evaluated, crate::plan::Plan, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut walk = Walk::new(config, graph, opts);
    if resources.is_some() {
        walk.functions.pure_only();
    }
    walk.resources = resources;
    let root_vars = root_variable_values(&walk, inputs, &mut diags);
    if diags.has_errors() {
        return (Evaluated::default(), Default::default(), diags);
    }
    walk.mark_untargeted();
    for n in graph.dependency_order() {
        walk.visit(n, &root_vars, &mut diags);
    }
    let plan = walk.finish_plan(&mut diags);
    if !diags.has_errors() {
        let root_eval = |e: &Expr| {
            EvalScope {
                walk: &walk,
                slot: 0,
                instance: 0,
                rep: InstanceRep::None,
            }
            .eval(e)
        };
        then(&root_eval);
    }
    let mut out = Evaluated {
        module_instances: walk.slots.iter().map(|s| s.instances.len()).sum(),
        variables: config
            .root
            .module
            .variables
            .keys()
            .filter_map(|k| root_vars.get(k).map(|v| (k.clone(), v.clone())))
            .collect(),
        ..Evaluated::default()
    };
    let root = &config.root.module;
    for (name, o) in &root.outputs {
        let Some(&n) = walk.slots[0].nodes.get(&NodeKind::Output(name.clone())) else {
            continue;
        };
        if let Some(Some(v)) = walk.values[n.index()].first() {
            out.outputs.insert(
                name.clone(),
                RootOutput {
                    value: v.clone(),
                    sensitive: o.sensitive,
                    range: o.decl_range.clone(),
                },
            );
        }
    }
    (out, plan, diags)
}

impl<'c> Walk<'c> {
    pub(super) fn new(config: &'c Config, graph: &'c Graph, opts: &'c EvalOptions) -> Self {
        let mut slots = Vec::new();
        let mut slot_of = HashMap::new();
        for node in config.root.walk() {
            slot_of.insert(node.path.clone(), slots.len());
            slots.push(ModuleSlot {
                path: node.path.clone(),
                module: &node.module,
                instances: Vec::new(),
                nodes: HashMap::new(),
                child_slots: HashMap::new(),
                outputs_done: 0,
            });
        }
        for slot in slots.iter_mut() {
            let names: Vec<String> = slot.module.module_calls.keys().cloned().collect();
            for name in names {
                let mut p = slot.path.clone();
                p.push(name.clone());
                if let Some(&c) = slot_of.get(&p) {
                    slot.child_slots.insert(name, c);
                }
            }
        }
        for n in graph.g.node_indices() {
            let addr = &graph.g[n].addr;
            if let Some(&s) = slot_of.get(&addr.module) {
                slots[s].nodes.insert(addr.kind.clone(), n);
            }
        }
        let functions = crate::lang::funcs::Registry::for_module_with(
            std::path::Path::new("."),
            std::sync::Arc::clone(&opts.fs),
        );
        slots[0].instances.push(Instance {
            addr: ModuleInstance::default(),
            parent: None,
            rep: InstanceRep::None,
        });
        Walk {
            resources: None,
            res_state: RefCell::new(Default::default()),
            config,
            graph,
            opts,
            slots,
            slot_of,
            values: vec![Vec::new(); graph.g.node_count()],
            expansions: HashMap::new(),
            module_objects: RefCell::new(HashMap::new()),
            functions,
            block_instances: RefCell::new(HashMap::new()),
        }
    }

    pub(super) fn visit(
        &mut self,
        n: NodeIndex,
        root_vars: &HashMap<String, Value>,
        diags: &mut Diagnostics,
    ) {
        let addr = self.graph.g[n].addr.clone();
        let Some(&slot) = self.slot_of.get(&addr.module) else {
            return;
        };
        let count = self.slots[slot].instances.len();
        let module = self.slots[slot].module;
        let mut vals: Vec<Option<Value>> = Vec::with_capacity(count);
        match &addr.kind {
            NodeKind::Variable(name) => {
                let Some(var) = module.variables.get(name) else {
                    return;
                };
                for i in 0..count {
                    let v = if slot == 0 {
                        root_vars.get(name).cloned()
                    } else {
                        self.child_variable(slot, i, var, diags)
                    };
                    let v = v.map(|v| self.validate(slot, i, var, v, diags));
                    vals.push(v);
                }
            }
            NodeKind::Local(name) => {
                let Some(l) = module.locals.get(name) else {
                    return;
                };
                for i in 0..count {
                    vals.push(self.eval_in(slot, i, InstanceRep::None, &l.expr, diags));
                }
            }
            NodeKind::Output(name) => {
                let Some(o) = module.outputs.get(name) else {
                    return;
                };
                for i in 0..count {
                    let v = self.eval_in(slot, i, InstanceRep::None, &o.value, diags);
                    let v = v.map(|v| {
                        if slot == 0 && !o.sensitive && v.is_sensitive_deep() {
                            diags.push(
                                Diagnostic::error("Output refers to sensitive values")
                                    .at(&o.decl_range)
                                    .detail("To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, sakk requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent.")
                                    .hint("if you do intend to export this data, add sensitive = true to the output block"),
                            );
                        }
                        if o.sensitive {
                            v.mark_sensitive()
                        } else {
                            v
                        }
                    });
                    vals.push(v);
                }
                self.slots[slot].outputs_done += 1;
            }
            NodeKind::ModuleCall(name) => {
                let Some(call) = module.module_calls.get(name) else {
                    return;
                };
                let Some(&child) = self.slots[slot].child_slots.get(name) else {
                    return;
                };
                let mut exps = Vec::with_capacity(count);
                for i in 0..count {
                    let e = self.expand(slot, i, child, call, diags);
                    exps.push(e);
                }
                self.expansions.insert(n, exps);
            }
            NodeKind::Resource { mode, type_, name } => {
                let key = crate::config::resource_key(*mode, type_, name);
                let Some(r) = module.resources.get(&key) else {
                    return;
                };
                if self.resources.is_none() {
                    diags.push(
                        Diagnostic::error("Resources cannot be evaluated here")
                            .at(&r.decl_range)
                            .detail("This command evaluates variables, locals, outputs and modules only.")
                            .hint("use sakk plan or sakk apply"),
                    );
                    return;
                }
                vals = self.visit_resource(n, slot, r, diags);
            }
            NodeKind::Provider(_) => {}
        }
        self.values[n.index()] = vals;
    }

    /// Evaluates `expr` in module instance `i` of `slot`, returning its errors.
    pub(super) fn eval_value(
        &self,
        slot: usize,
        i: usize,
        rep: InstanceRep,
        expr: &Expr,
    ) -> Result<Value, Diagnostics> {
        self.eval_value_with(slot, i, rep, expr, &Default::default())
    }

    /// Like [`Walk::eval_value`], with the iterators of enclosing dynamic blocks bound.
    pub(super) fn eval_value_with(
        &self,
        slot: usize,
        i: usize,
        rep: InstanceRep,
        expr: &Expr,
        iterators: &crate::lang::value::Attrs,
    ) -> Result<Value, Diagnostics> {
        EvalScope {
            walk: self,
            slot,
            instance: i,
            rep,
        }
        .eval_with(expr, iterators)
    }

    /// Evaluates `expr` in module instance `i` of `slot`.
    pub(super) fn eval_in(
        &self,
        slot: usize,
        i: usize,
        rep: InstanceRep,
        expr: &Expr,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let scope = EvalScope {
            walk: self,
            slot,
            instance: i,
            rep,
        };
        match scope.eval(expr) {
            Ok(v) => Some(v),
            Err(ds) => {
                diags.extend(ds);
                None
            }
        }
    }

    /// A child module's input: the caller's expression, evaluated in the parent instance with
    /// the child instance's count.index / each.* and converted to the variable's type.
    fn child_variable(
        &self,
        slot: usize,
        i: usize,
        var: &Variable,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let inst = &self.slots[slot].instances[i];
        let parent_idx = inst.parent?;
        let (call_name, parent_path) = self.slots[slot].path.split_last()?;
        let parent_slot = *self.slot_of.get(parent_path)?;
        let call = self.slots[parent_slot].module.module_calls.get(call_name)?;
        match call.inputs.get(&var.name) {
            Some(attr) => {
                let raw =
                    self.eval_in(parent_slot, parent_idx, inst.rep.clone(), &attr.expr, diags)?;
                self.finish_variable(var, raw, &attr.expr.range, false, diags)
            }
            None => {
                // A missing argument without default is reported by the config loader.
                let d = var.default.as_ref()?;
                let raw = self.eval_in(slot, i, InstanceRep::None, d, diags)?;
                self.finish_variable(var, raw, &d.range, true, diags)
            }
        }
    }

    /// Converts a variable's value (given, or its default when `from_default`) to its type,
    /// and marks it sensitive if declared so.
    fn finish_variable(
        &self,
        var: &Variable,
        raw: Value,
        range: &Range,
        from_default: bool,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let ty = variable_type(var, diags)?;
        let v = match convert(&raw, &ty) {
            Ok(v) => v,
            Err(e) if from_default => {
                diags.push(
                    Diagnostic::error("Invalid default value for variable")
                        .at(range)
                        .detail(format!(
                            "This default value is not compatible with the variable's type constraint: {}.",
                            e.message
                        ))
                        .hint(format!(
                            "give var.{} a default of type {}",
                            var.name,
                            ty.friendly_name_for_constraint()
                        )),
                );
                return None;
            }
            Err(e) => {
                diags.push(
                    Diagnostic::error("Invalid value for input variable")
                        .at(range)
                        .detail(format!(
                            "The given value is not suitable for var.{} declared at {}: {}.",
                            var.name, var.decl_range, e.message
                        ))
                        .hint(format!(
                            "give var.{} a value of type {}",
                            var.name,
                            ty.friendly_name_for_constraint()
                        )),
                );
                return None;
            }
        };
        Some(if var.sensitive { v.mark_sensitive() } else { v })
    }

    /// Runs the variable's validation blocks; returns the value either way.
    fn validate(
        &self,
        slot: usize,
        i: usize,
        var: &Variable,
        v: Value,
        diags: &mut Diagnostics,
    ) -> Value {
        if var.validations.is_empty() || !v.is_wholly_known() {
            return v;
        }
        for val in &var.validations {
            let scope = EvalScope {
                walk: self,
                slot,
                instance: i,
                rep: InstanceRep::None,
            }
            .with_override(&var.name, v.clone());
            let cond = match scope.eval(&val.condition) {
                Ok(c) => c,
                Err(ds) => {
                    diags.extend(ds);
                    continue;
                }
            };
            let (cond, _) = cond.unmark_deep();
            match cond.kind() {
                Kind::Bool(true) | Kind::Unknown => {}
                Kind::Bool(false) => {
                    let msg = scope
                        .eval(&val.error_message)
                        .ok()
                        .and_then(|m| m.as_str().map(str::to_string))
                        .unwrap_or_else(|| "Invalid value for variable.".to_string());
                    diags.push(
                        Diagnostic::error("Invalid value for variable")
                            .at(&val.range)
                            .detail(format!(
                                "{msg}\n\nThis was checked by the validation rule at {}.",
                                val.range
                            ))
                            .hint(format!(
                                "give var.{} a value that satisfies the condition",
                                var.name
                            )),
                    );
                }
                _ => diags.push(
                    Diagnostic::error("Invalid variable validation result")
                        .at(&val.condition.range)
                        .detail("The validation condition must evaluate to true or false.")
                        .hint("make the condition a boolean expression"),
                ),
            }
        }
        v
    }

    /// Evaluates count/for_each of a module call in parent instance `i` and creates the child
    /// instances.
    fn expand(
        &mut self,
        slot: usize,
        i: usize,
        child: usize,
        call: &ModuleCall,
        diags: &mut Diagnostics,
    ) -> Expansion {
        let parent_addr = self.slots[slot].instances[i].addr.clone();
        let push = |walk: &mut Walk, key: Option<InstanceKey>, rep: InstanceRep| {
            let addr = parent_addr.child(&call.name, key);
            walk.slots[child].instances.push(Instance {
                addr,
                parent: Some(i),
                rep,
            });
            walk.slots[child].instances.len() - 1
        };
        if let Some(e) = &call.count {
            let Some(v) = self.eval_in(slot, i, InstanceRep::None, e, diags) else {
                return Expansion::Count(Vec::new());
            };
            let Some(n) = count_value(&v, e, self.module_room(child), diags) else {
                return Expansion::Count(Vec::new());
            };
            let idx = (0..n)
                .map(|k| push(self, Some(InstanceKey::Int(k)), InstanceRep::Count(k)))
                .collect();
            return Expansion::Count(idx);
        }
        if let Some(e) = &call.for_each {
            let Some(v) = self.eval_in(slot, i, InstanceRep::None, e, diags) else {
                return Expansion::ForEach(Vec::new());
            };
            let Some(items) = for_each_items(&v, e, self.module_room(child), diags) else {
                return Expansion::ForEach(Vec::new());
            };
            let idx = items
                .into_iter()
                .map(|(k, val)| {
                    let c = push(
                        self,
                        Some(InstanceKey::Str(k.clone())),
                        InstanceRep::Each(k.clone(), val),
                    );
                    (k, c)
                })
                .collect();
            return Expansion::ForEach(idx);
        }
        Expansion::Single(push(self, None, InstanceRep::None))
    }

    /// The room for more instances of the module call of slot `child` (its instances so far are
    /// those of the call in other instances of the calling module).
    fn module_room(&self, child: usize) -> Room {
        Room {
            max: self.opts.max_instances,
            used: self.slots[child].instances.len(),
        }
    }

    /// The count of resource `r` in one instance of `slot` ([`count_value`], with room left
    /// by the instances of `r` in the other instances of its module), counted.
    pub(super) fn resource_count(
        &self,
        slot: usize,
        r: &Resource,
        v: &Value,
        e: &Expr,
        diags: &mut Diagnostics,
    ) -> Option<i64> {
        let key = (slot, crate::config::resource_key(r.mode, &r.type_, &r.name));
        let room = self.resource_room(&key);
        let n = count_value(v, e, room, diags)?;
        self.block_instances
            .borrow_mut()
            .insert(key, room.used + n as usize);
        Some(n)
    }

    /// The for_each items of resource `r` in one instance of `slot` ([`for_each_items`], with
    /// room left by the instances of `r` in the other instances of its module), counted.
    pub(super) fn resource_for_each(
        &self,
        slot: usize,
        r: &Resource,
        v: &Value,
        e: &Expr,
        diags: &mut Diagnostics,
    ) -> Option<Vec<(String, Value)>> {
        let key = (slot, crate::config::resource_key(r.mode, &r.type_, &r.name));
        let room = self.resource_room(&key);
        let items = for_each_items(v, e, room, diags)?;
        self.block_instances
            .borrow_mut()
            .insert(key, room.used + items.len());
        Some(items)
    }

    fn resource_room(&self, key: &(usize, String)) -> Room {
        Room {
            max: self.opts.max_instances,
            used: self.block_instances.borrow().get(key).copied().unwrap_or(0),
        }
    }

    /// The value of `module.NAME` seen from instance `i` of `slot`.
    pub(super) fn module_object(&self, slot: usize, i: usize, name: &str) -> Option<Value> {
        let call_node = *self.slots[slot]
            .nodes
            .get(&NodeKind::ModuleCall(name.to_string()))?;
        let child = *self.slots[slot].child_slots.get(name)?;
        let done = self.slots[child].outputs_done;
        if let Some((d, v)) = self.module_objects.borrow().get(&(call_node, i)) {
            if *d == done {
                return Some(v.clone());
            }
        }
        let exp = self.expansions.get(&call_node)?.get(i)?.clone();
        let outputs: Vec<(String, Option<NodeIndex>)> = self.slots[child]
            .module
            .outputs
            .keys()
            .map(|o| {
                (
                    o.clone(),
                    self.slots[child]
                        .nodes
                        .get(&NodeKind::Output(o.clone()))
                        .copied(),
                )
            })
            .collect();
        let object_of = |ci: usize| {
            Value::object(
                outputs
                    .iter()
                    .map(|(name, n)| {
                        let v = n
                            .and_then(|n| self.values[n.index()].get(ci).cloned().flatten())
                            .unwrap_or_else(Value::unknown_dynamic);
                        (name.clone(), v)
                    })
                    .collect(),
            )
        };
        let v = match exp {
            Expansion::Single(ci) => object_of(ci),
            Expansion::Count(cs) => Value::tuple(cs.into_iter().map(object_of).collect()),
            Expansion::ForEach(cs) => {
                Value::object(cs.into_iter().map(|(k, ci)| (k, object_of(ci))).collect())
            }
        };
        self.module_objects
            .borrow_mut()
            .insert((call_node, i), (done, v.clone()));
        Some(v)
    }
}

/// `path.module`: the module's directory relative to the working directory ("." for the root).
pub(super) fn module_dir(m: &Module) -> String {
    let s = crate::diag::display_path(&m.dir);
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

fn variable_type(var: &Variable, diags: &mut Diagnostics) -> Option<Type> {
    match &var.type_expr {
        None => Some(Type::Dynamic),
        Some(t) => match parse_type_constraint(t) {
            Ok(t) => Some(t),
            Err(d) => {
                diags.push(d);
                None
            }
        },
    }
}

/// Terraform parses `--var`/env values as HCL only when the type is not primitive.
fn wants_hcl(var: &Variable) -> bool {
    match &var.type_expr {
        None => false,
        Some(t) => match parse_type_constraint(t) {
            Ok(t) => !t.is_primitive(),
            Err(_) => false,
        },
    }
}

/// The root module's variables from inputs and defaults.
pub(super) fn root_variable_values(
    walk: &Walk,
    inputs: &[RawInput],
    diags: &mut Diagnostics,
) -> HashMap<String, Value> {
    let root = &walk.config.root.module;
    let mut given: HashMap<&str, &RawInput> = HashMap::new();
    for inp in inputs {
        if root.variables.contains_key(&inp.name) {
            given.insert(&inp.name, inp);
        } else {
            let d = match &inp.source {
                InputSource::File(_) => Diagnostic::warning("Value for undeclared variable")
                    .at(&inp.range)
                    .detail(format!("The root module does not declare a variable named \"{}\" but a value was found in a variables file; it is ignored.", inp.name))
                    .hint("declare the variable, or remove the value from the file"),
                InputSource::Env(_) => continue,
                InputSource::Plan => Diagnostic::error("Value for undeclared variable")
                    .detail(format!("The saved plan has a value for variable \"{}\", which its own configuration does not declare.", inp.name))
                    .hint("the plan file is not consistent; make a new plan with `sakk plan --out FILE`"),
                InputSource::Cli => Diagnostic::error("Value for undeclared variable")
                    .detail(format!("A variable named \"{}\" was assigned on the command line, but the root module does not declare a variable of that name.", inp.name))
                    .hint(format!("declare it with variable \"{}\" {{}} or fix the name", inp.name)),
            };
            diags.push(d);
        }
    }
    let mut out = HashMap::new();
    for (name, var) in &root.variables {
        let (raw, range, from_default) = match given.get(name.as_str()) {
            Some(inp) => {
                let v = match &inp.value {
                    RawValue::Text(t, r) if !wants_hcl(var) => {
                        Some((Value::string(t.as_str()), r.clone()))
                    }
                    RawValue::Text(t, r) => {
                        match crate::lang::parse::parse_expr(r.filename.clone(), t) {
                            Ok(e) => constant(walk, &e, diags).map(|v| (v, r.clone())),
                            Err(d) => {
                                diags.push(d);
                                None
                            }
                        }
                    }
                    RawValue::Expr(e) => constant(walk, e, diags).map(|v| (v, e.range.clone())),
                    RawValue::Value(v) => Some((v.clone(), inp.range.clone())),
                };
                match v {
                    Some((v, r)) => (v, r, false),
                    None => continue,
                }
            }
            None => match &var.default {
                Some(d) => match constant(walk, d, diags) {
                    Some(v) => (v, d.range.clone(), true),
                    None => continue,
                },
                None => {
                    diags.push(
                        Diagnostic::error("No value for required variable")
                            .at(&var.decl_range)
                            .detail(format!("The root module input variable \"{name}\" is not set, and has no default value."))
                            .hint(format!("set it with --var {name}=..., a terraform.tfvars file, or TF_VAR_{name} in the environment")),
                    );
                    continue;
                }
            },
        };
        if let Some(v) = walk.finish_variable(var, raw, &range, from_default, diags) {
            out.insert(name.clone(), v);
        }
    }
    out
}

/// Evaluates an expression that may not refer to anything (tfvars values, defaults).
fn constant(walk: &Walk, e: &Expr, diags: &mut Diagnostics) -> Option<Value> {
    let scope = EvalScope {
        walk,
        slot: 0,
        instance: 0,
        rep: InstanceRep::None,
    }
    .constant_only();
    match scope.eval(e) {
        Ok(v) => Some(v),
        Err(ds) => {
            diags.extend(ds);
            None
        }
    }
}

/// How many instances one block may have: [`EvalOptions::max_instances`], of which `used` are
/// taken by the block in other instances of its module.
#[derive(Debug, Clone, Copy)]
pub(super) struct Room {
    pub max: usize,
    pub used: usize,
}

impl Room {
    fn left(self) -> usize {
        self.max.saturating_sub(self.used)
    }

    /// The diagnostic for `arg` (`count` or `for_each`) at `e` asking for `what` (a number of
    /// instances, in words) when there is not room for it.
    fn exceeded(self, arg: &str, what: &str, e: &Expr) -> Diagnostic {
        let others = if self.used > 0 {
            format!(
                " (it has {} already, in other instances of its module)",
                self.used
            )
        } else {
            String::new()
        };
        Diagnostic::error(format!("Invalid {arg} argument"))
            .at(&e.range)
            .detail(format!(
                "The given \"{arg}\" argument value asks for {what}, more than the {} instances sakk expands for one block{others}. Terraform has no such limit, but planning this many instances would exhaust memory long before the plan finished.",
                self.max
            ))
            .hint(format!(
                "use a smaller {arg}, or split the instances over several blocks (the limit is the engine option max_instances)"
            ))
    }
}

/// A count value: a known, whole, non-negative number, with room for that many instances.
pub(super) fn count_value(v: &Value, e: &Expr, room: Room, diags: &mut Diagnostics) -> Option<i64> {
    let bad = |detail: &str, diags: &mut Diagnostics| {
        diags.push(
            Diagnostic::error("Invalid count argument")
                .at(&e.range)
                .detail(detail.to_string())
                .hint("count must be a whole number, 0 or more, known before apply"),
        );
        None
    };
    if v.is_sensitive() {
        return bad("Sensitive values, or values derived from sensitive values, cannot be used as count arguments.", diags);
    }
    match v.kind() {
        // An unknown caused by an earlier error is not a second problem.
        Kind::Unknown if diags.has_errors() => None,
        Kind::Unknown => bad("The \"count\" value depends on resource attributes that cannot be determined until apply, so sakk cannot predict how many instances will be created. To work around this, use --target to first apply only the resources that the count depends on, then apply the rest.", diags),
        Kind::Null => bad("The given \"count\" argument value is null. An integer is required.", diags),
        _ => {
            let n = convert(v, &Type::Number).ok();
            match n.as_ref().and_then(|n| n.as_number().cloned()) {
                Some(n) if n.is_integer() && !n.is_negative() => match n.to_i64() {
                    Some(k) if u64::try_from(k).is_ok_and(|k| k <= room.left() as u64) => Some(k),
                    Some(k) => {
                        diags.push(room.exceeded("count", &format!("{k} instances"), e));
                        None
                    }
                    None => {
                        diags.push(room.exceeded("count", &format!("{} instances", n.text_g(10)), e));
                        None
                    }
                },
                Some(n) if n.is_negative() => bad("The given \"count\" argument value is unsuitable: must be greater than or equal to zero.", diags),
                Some(_) => bad("The given \"count\" argument value is unsuitable: value must be a whole number.", diags),
                None => bad(&format!("The given \"count\" argument value is unsuitable: number required, got {}.", v.ty().friendly_name()), diags),
            }
        }
    }
}

/// The (key, value) pairs of a for_each value: a map, an object, or a set of strings, with room
/// for that many instances.
pub(super) fn for_each_items(
    v: &Value,
    e: &Expr,
    room: Room,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, Value)>> {
    let bad = |summary: &str, detail: String, diags: &mut Diagnostics| {
        diags.push(
            Diagnostic::error(summary.to_string())
                .at(&e.range)
                .detail(detail)
                .hint("for_each takes a map, or a set of strings (use toset() on a list), known before apply"),
        );
        None
    };
    if v.is_sensitive() {
        return bad("Invalid for_each argument", "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments. If used, the sensitive value could be exposed as a resource instance key.".into(), diags);
    }
    match v.kind() {
        Kind::Unknown if diags.has_errors() => None,
        Kind::Unknown => bad("Invalid for_each argument", "The \"for_each\" value depends on resource attributes that cannot be determined until apply, so sakk cannot predict how many instances will be created. To work around this, use --target to first apply only the resources that the for_each depends on, then apply the rest.".into(), diags),
        Kind::Null => bad("Invalid for_each argument", "The given \"for_each\" argument value is unsuitable: the given \"for_each\" argument value is null. A map, or set of strings is allowed.".into(), diags),
        Kind::Map(m) | Kind::Object(m) if m.len() > room.left() => {
            diags.push(room.exceeded("for_each", &format!("{} instances", m.len()), e));
            None
        }
        Kind::Set(items) if items.len() > room.left() => {
            diags.push(room.exceeded("for_each", &format!("{} instances", items.len()), e));
            None
        }
        Kind::Map(m) | Kind::Object(m) => {
            Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        Kind::Set(items) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                match it.kind() {
                    Kind::String(s) => out.push((s.to_string(), it.clone())),
                    Kind::Unknown => return bad("Invalid for_each argument", "The given \"for_each\" set includes values that cannot be determined until apply.".into(), diags),
                    Kind::Null => return bad("Invalid for_each set argument", "The given \"for_each\" argument value is unsuitable: \"for_each\" sets must not contain null values.".into(), diags),
                    _ => return bad("Invalid for_each set argument", format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports maps and sets of strings, but you have provided a set containing type {}.", it.ty().friendly_name()), diags),
                }
            }
            Some(out)
        }
        _ => bad("Invalid for_each argument", format!("The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.", v.ty().friendly_name()), diags),
    }
}
