//! The dependency graph of a configuration (petgraph).
//!
//! One node per variable, local, output, module call, resource/data block and provider
//! configuration of every module in the tree. An edge `a -> b` means "a depends on b" (a reads b,
//! or lists it in depends_on). Nodes are configuration objects, not instances: expanding
//! `count`/`for_each` happens during evaluation, per node, when its dependencies are known (the
//! walk order of this graph is what makes that possible).
//!
//! Cross-module edges are fine-grained, as in Terraform: a module's input variable depends on the
//! expression the caller passes for it, and `module.m.out` depends on that one output, so two
//! modules may feed each other as long as no value depends on itself.

mod dot;

pub use dot::to_dot;

use crate::config::tree::{module_path_string, Config, ModuleNode, ModulePath};
use crate::config::{resource_key, Mode, Module};
use crate::diag::{suggest, Diagnostic, Diagnostics, Range};
use crate::lang::ast::{Body, Expr, ExprKind};
use crate::lang::refs::{references, references_with, Reference, Subject};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

/// What a node stands for, within its module.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Variable(String),
    Local(String),
    Output(String),
    ModuleCall(String),
    Resource {
        mode: Mode,
        type_: String,
        name: String,
    },
    Provider(String),
}

/// A node's address: the module it is in and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeAddr {
    pub module: ModulePath,
    pub kind: NodeKind,
}

impl std::fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let prefix = module_path_string(&self.module);
        if !prefix.is_empty() {
            write!(f, "{prefix}.")?;
        }
        match &self.kind {
            NodeKind::Variable(n) => write!(f, "var.{n}"),
            NodeKind::Local(n) => write!(f, "local.{n}"),
            NodeKind::Output(n) => write!(f, "output.{n}"),
            NodeKind::ModuleCall(n) => write!(f, "module.{n}"),
            NodeKind::Resource { mode, type_, name } => {
                f.write_str(&resource_key(*mode, type_, name))
            }
            NodeKind::Provider(k) => write!(f, "provider.{k}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub addr: NodeAddr,
    /// The declaration, for diagnostics.
    pub range: Range,
}

/// The dependency graph.
#[derive(Debug, Default)]
pub struct Graph {
    pub g: DiGraph<Node, ()>,
    index: HashMap<NodeAddr, NodeIndex>,
}

impl Graph {
    pub fn node(&self, addr: &NodeAddr) -> Option<NodeIndex> {
        self.index.get(addr).copied()
    }

    pub fn len(&self) -> usize {
        self.g.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.g.node_count() == 0
    }

    /// The direct dependencies of a node.
    pub fn dependencies(&self, n: NodeIndex) -> impl Iterator<Item = &Node> + '_ {
        self.g.neighbors(n).map(move |d| &self.g[d])
    }

    /// Nodes in an order where every node comes after all of its dependencies.
    /// Only valid for an acyclic graph (`build` reports cycles as errors).
    pub fn dependency_order(&self) -> Vec<NodeIndex> {
        match petgraph::algo::toposort(&self.g, None) {
            Ok(mut order) => {
                order.reverse();
                order
            }
            Err(_) => Vec::new(),
        }
    }

    fn add(&mut self, addr: NodeAddr, range: &Range) -> NodeIndex {
        let i = self.g.add_node(Node {
            addr: addr.clone(),
            range: range.clone(),
        });
        self.index.insert(addr, i);
        i
    }

    fn edge(&mut self, from: NodeIndex, to: NodeIndex) {
        if !self.g.contains_edge(from, to) {
            self.g.add_edge(from, to, ());
        }
    }
}

/// Builds the graph of `config`: nodes, reference edges, and diagnostics for references to
/// things that do not exist, misplaced `count`/`each`, and cycles.
pub fn build(config: &Config) -> (Graph, Diagnostics) {
    let mut g = Graph::default();
    let mut diags = Diagnostics::new();
    let modules = config.root.walk();
    for m in &modules {
        add_nodes(&mut g, m);
    }
    for m in &modules {
        add_edges(&mut g, config, m, &mut diags);
    }
    diags.extend(find_cycles(&g));
    (g, diags)
}

fn add_nodes(g: &mut Graph, node: &ModuleNode) {
    let m = &node.module;
    let at = |kind| NodeAddr {
        module: node.path.clone(),
        kind,
    };
    for v in m.variables.values() {
        g.add(at(NodeKind::Variable(v.name.clone())), &v.decl_range);
    }
    for l in m.locals.values() {
        g.add(at(NodeKind::Local(l.name.clone())), &l.decl_range);
    }
    for o in m.outputs.values() {
        g.add(at(NodeKind::Output(o.name.clone())), &o.decl_range);
    }
    for c in m.module_calls.values() {
        g.add(at(NodeKind::ModuleCall(c.name.clone())), &c.decl_range);
    }
    for r in m.resources.values() {
        g.add(
            at(NodeKind::Resource {
                mode: r.mode,
                type_: r.type_.clone(),
                name: r.name.clone(),
            }),
            &r.decl_range,
        );
    }
    for p in m.providers.values() {
        g.add(at(NodeKind::Provider(p.key())), &p.decl_range);
    }
}

/// Which of count.index / each.* an expression may use.
#[derive(Clone, Copy)]
struct Repetition {
    count: bool,
    for_each: bool,
}

const NONE: Repetition = Repetition {
    count: false,
    for_each: false,
};

fn add_edges(g: &mut Graph, config: &Config, node: &ModuleNode, diags: &mut Diagnostics) {
    let m = &node.module;
    let path = &node.path;
    let idx = |g: &Graph, kind: NodeKind| {
        g.node(&NodeAddr {
            module: path.clone(),
            kind,
        })
    };
    let mut ctx = EdgeCtx {
        g,
        config,
        node,
        diags,
    };

    // Every object in a called module waits for its call (count/for_each/depends_on).
    let parent_call = path.split_last().and_then(|(name, parent)| {
        ctx.g.node(&NodeAddr {
            module: parent.to_vec(),
            kind: NodeKind::ModuleCall(name.clone()),
        })
    });

    for v in m.variables.values() {
        let Some(me) = idx(ctx.g, NodeKind::Variable(v.name.clone())) else {
            continue;
        };
        if let Some(pc) = parent_call {
            ctx.g.edge(me, pc);
        }
        if let Some(d) = &v.default {
            let mut ds = Vec::new();
            for r in references(d, &mut ds) {
                ctx.diags.push(
                    Diagnostic::error("Variables not allowed")
                        .at(&r.range)
                        .detail(format!("The default value of variable \"{}\" must be a constant; it cannot refer to {}.", v.name, r.subject))
                        .hint("move the computed value into a local, and use the variable only for the input"),
                );
            }
            ctx.diags.0.extend(ds);
        }
        for val in &v.validations {
            let mut ds = Vec::new();
            for r in references(&val.condition, &mut ds) {
                if r.subject != Subject::Var(v.name.clone()) {
                    ctx.diags.push(
                        Diagnostic::error("Invalid reference in variable validation")
                            .at(&r.range)
                            .detail(format!("The condition for variable \"{}\" can only refer to the variable itself, using var.{}.", v.name, v.name))
                            .hint("check other values with a separate validation in a resource or output"),
                    );
                }
            }
            ctx.diags.0.extend(ds);
        }
        // The caller's expression for this input.
        if let Some((call_name, parent_path)) = path.split_last() {
            if let Some(parent) = config.module(parent_path) {
                if let Some(call) = parent.module.module_calls.get(call_name) {
                    if let Some(input) = call.inputs.get(&v.name) {
                        let rep = Repetition {
                            count: call.count.is_some(),
                            for_each: call.for_each.is_some(),
                        };
                        ctx.edges_in(me, &parent_path.to_vec(), &input.expr, rep, &[]);
                    }
                }
            }
        }
    }
    for l in m.locals.values() {
        let Some(me) = idx(ctx.g, NodeKind::Local(l.name.clone())) else {
            continue;
        };
        if let Some(pc) = parent_call {
            ctx.g.edge(me, pc);
        }
        ctx.edges_in(me, path, &l.expr, NONE, &[]);
    }
    for o in m.outputs.values() {
        let Some(me) = idx(ctx.g, NodeKind::Output(o.name.clone())) else {
            continue;
        };
        if let Some(pc) = parent_call {
            ctx.g.edge(me, pc);
        }
        ctx.edges_in(me, path, &o.value, NONE, &[]);
        for d in &o.depends_on {
            ctx.edges_in(me, path, d, NONE, &[]);
        }
    }
    for c in m.module_calls.values() {
        let Some(me) = idx(ctx.g, NodeKind::ModuleCall(c.name.clone())) else {
            continue;
        };
        if let Some(pc) = parent_call {
            ctx.g.edge(me, pc);
        }
        for e in c.count.iter().chain(&c.for_each) {
            ctx.edges_in(me, path, e, NONE, &[]);
        }
        for d in &c.depends_on {
            ctx.edges_in(me, path, d, NONE, &[]);
        }
        for (_, target, range) in &c.providers {
            ctx.provider_edge(me, target, range);
        }
    }
    for r in m.resources.values() {
        let Some(me) = idx(
            ctx.g,
            NodeKind::Resource {
                mode: r.mode,
                type_: r.type_.clone(),
                name: r.name.clone(),
            },
        ) else {
            continue;
        };
        if let Some(pc) = parent_call {
            ctx.g.edge(me, pc);
        }
        for e in r.count.iter().chain(&r.for_each) {
            ctx.edges_in(me, path, e, NONE, &[]);
        }
        let rep = Repetition {
            count: r.count.is_some(),
            for_each: r.for_each.is_some(),
        };
        ctx.body_edges(me, &r.body, rep);
        for d in &r.depends_on {
            ctx.edges_in(me, path, d, NONE, &[]);
        }
        // The provider block that configures it: this module's or an ancestor's.
        let pkey = r.provider_key();
        let (depth, key) = config.resolve_provider(path, &pkey);
        let configuring = NodeAddr {
            module: path[..depth].to_vec(),
            kind: NodeKind::Provider(key),
        };
        if let Some(p) = ctx.g.node(&configuring) {
            ctx.g.edge(me, p);
        } else if let Some(p) = &r.provider {
            if p.alias.is_some() {
                ctx.diags.push(
                    Diagnostic::error("Reference to undefined provider")
                        .at(&p.range)
                        .detail(format!("There is no provider configuration \"{pkey}\" in this module."))
                        .hint(format!("add provider \"{}\" {{ alias = \"{}\" ... }}, or pass it in with the module call's providers argument", p.name, p.alias.as_deref().unwrap_or_default())),
                );
            }
        }
    }
    for p in m.providers.values() {
        let Some(me) = idx(ctx.g, NodeKind::Provider(p.key())) else {
            continue;
        };
        if let Some(pc) = parent_call {
            ctx.g.edge(me, pc);
        }
        ctx.body_edges(me, &p.body, NONE);
    }
}

struct EdgeCtx<'a> {
    g: &'a mut Graph,
    config: &'a Config,
    node: &'a ModuleNode,
    diags: &'a mut Diagnostics,
}

impl EdgeCtx<'_> {
    fn body_edges(&mut self, me: NodeIndex, body: &Body, rep: Repetition) {
        // JSON syntax: provider schemas are not known yet; read every object-valued property as
        // a possible block, so that `"dynamic"` properties are dynamic blocks and their
        // iterators local names (the references of the other properties are the same either way).
        let blocks;
        let body = if body.json {
            blocks = crate::lang::json::with_any_blocks(body);
            &blocks
        } else {
            body
        };
        self.body_edges_in(me, body, rep, &mut Vec::new());
    }

    /// Edges for the expressions of `body`, where the names in `iterators` (of the enclosing
    /// dynamic blocks) are local symbols, not references.
    fn body_edges_in<'b>(
        &mut self,
        me: NodeIndex,
        body: &'b Body,
        rep: Repetition,
        iterators: &mut Vec<&'b str>,
    ) {
        let path = self.node.path.clone();
        for a in &body.attributes {
            self.edges_in(me, &path, &a.expr, rep, iterators);
        }
        for b in &body.blocks {
            let [kind] = b.labels.as_slice() else {
                self.body_edges_in(me, &b.body, rep, iterators);
                continue;
            };
            if b.kind != "dynamic" {
                self.body_edges_in(me, &b.body, rep, iterators);
                continue;
            }
            // `dynamic "x" { for_each = ...; iterator = it; content { ... } }`: for_each sees
            // the enclosing iterators; labels and content see this one too.
            let own = match b.body.attribute("iterator").map(|a| &a.expr.kind) {
                Some(ExprKind::Variable(name)) => name.as_str(),
                _ => kind.as_str(),
            };
            for a in &b.body.attributes {
                match a.name.as_str() {
                    "iterator" => {}
                    "for_each" => self.edges_in(me, &path, &a.expr, rep, iterators),
                    _ => {
                        iterators.push(own);
                        self.edges_in(me, &path, &a.expr, rep, iterators);
                        iterators.pop();
                    }
                }
            }
            iterators.push(own);
            for nb in &b.body.blocks {
                self.body_edges_in(me, &nb.body, rep, iterators);
            }
            iterators.pop();
        }
    }

    fn provider_edge(&mut self, me: NodeIndex, target: &str, range: &Range) {
        let addr = NodeAddr {
            module: self.node.path.clone(),
            kind: NodeKind::Provider(target.to_string()),
        };
        match self.g.node(&addr) {
            Some(p) => self.g.edge(me, p),
            None if target.contains('.') => self.diags.push(
                Diagnostic::error("Reference to undefined provider")
                    .at(range)
                    .detail(format!(
                        "There is no provider configuration \"{target}\" in this module."
                    ))
                    .hint("declare it with a provider block with that alias"),
            ),
            None => {}
        }
    }

    /// Adds an edge from `me` to everything `expr` (written in module `scope`) refers to.
    fn edges_in(
        &mut self,
        me: NodeIndex,
        scope: &ModulePath,
        expr: &Expr,
        rep: Repetition,
        iterators: &[&str],
    ) {
        let mut ds = Vec::new();
        let refs = references_with(expr, iterators, &mut ds);
        self.diags.0.extend(ds);
        for r in refs {
            self.reference(me, scope, &r, rep);
        }
    }

    fn reference(&mut self, me: NodeIndex, scope: &ModulePath, r: &Reference, rep: Repetition) {
        let Some(module_node) = self.config.module(scope) else {
            return;
        };
        let m = &module_node.module;
        let target = |kind| NodeAddr {
            module: scope.clone(),
            kind,
        };
        match &r.subject {
            Subject::Var(n) => match self.g.node(&target(NodeKind::Variable(n.clone()))) {
                Some(t) => self.g.edge(me, t),
                None => self.diags.push(undeclared(
                    "Reference to undeclared input variable",
                    &format!("An input variable with the name \"{n}\" has not been declared."),
                    n,
                    m.variables.keys(),
                    &r.range,
                    &format!("declare it with a variable \"{n}\" {{}} block"),
                )),
            },
            Subject::Local(n) => match self.g.node(&target(NodeKind::Local(n.clone()))) {
                Some(t) => self.g.edge(me, t),
                None => self.diags.push(undeclared(
                    "Reference to undeclared local value",
                    &format!("A local value with the name \"{n}\" has not been declared."),
                    n,
                    m.locals.keys(),
                    &r.range,
                    &format!("declare it in a locals block: {n} = ..."),
                )),
            },
            Subject::Module(n) => {
                let Some(call_node) = self.g.node(&target(NodeKind::ModuleCall(n.clone()))) else {
                    self.diags.push(undeclared(
                        "Reference to undeclared module",
                        &format!("No module call named \"{n}\" is declared in this module."),
                        n,
                        m.module_calls.keys(),
                        &r.range,
                        &format!("add a module \"{n}\" {{ source = ... }} block"),
                    ));
                    return;
                };
                let mut child_path = scope.clone();
                child_path.push(n.clone());
                let Some(child) = self.config.module(&child_path) else {
                    // The child failed to load; that was reported already.
                    self.g.edge(me, call_node);
                    return;
                };
                match r.module_output() {
                    Some((out, out_range)) => {
                        let addr = NodeAddr {
                            module: child_path.clone(),
                            kind: NodeKind::Output(out.to_string()),
                        };
                        match self.g.node(&addr) {
                            Some(t) => self.g.edge(me, t),
                            None => self.diags.push(undeclared(
                                "Unsupported attribute",
                                &format!("Module \"{n}\" ({}) has no output named \"{out}\".", self.call_source(scope, n)),
                                out,
                                child.module.outputs.keys(),
                                &r.range.to(out_range),
                                &format!("declare output \"{out}\" in the module, or use one of its outputs"),
                            )),
                        }
                    }
                    None => {
                        // The whole module object: every output.
                        self.g.edge(me, call_node);
                        for o in child.module.outputs.keys() {
                            if let Some(t) = self.g.node(&NodeAddr {
                                module: child_path.clone(),
                                kind: NodeKind::Output(o.clone()),
                            }) {
                                self.g.edge(me, t);
                            }
                        }
                    }
                }
            }
            Subject::Resource { mode, type_, name } => {
                let kind = NodeKind::Resource {
                    mode: *mode,
                    type_: type_.clone(),
                    name: name.clone(),
                };
                match self.g.node(&target(kind)) {
                    Some(t) => self.g.edge(me, t),
                    None => {
                        let what = if *mode == Mode::Data { "data resource" } else { "managed resource" };
                        let key = resource_key(*mode, type_, name);
                        let keys: Vec<&String> = m.resources.keys().collect();
                        self.diags.push(undeclared(
                            "Reference to undeclared resource",
                            &format!("A {what} \"{type_}\" \"{name}\" has not been declared in {}.", module_label(scope)),
                            &key,
                            keys.into_iter(),
                            &r.range,
                            "declare it, or check the spelling of the type and name",
                        ))
                    }
                }
            }
            Subject::CountIndex if !rep.count => self.diags.push(
                Diagnostic::error("Reference to \"count\" in non-counted context")
                    .at(&r.range)
                    .detail("The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set.")
                    .hint("set count on this block, or remove the reference"),
            ),
            Subject::EachKey | Subject::EachValue if !rep.for_each => self.diags.push(
                Diagnostic::error("Reference to \"each\" in context without for_each")
                    .at(&r.range)
                    .detail("The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.")
                    .hint("set for_each on this block, or remove the reference"),
            ),
            Subject::SelfObject => self.diags.push(
                Diagnostic::error("Invalid \"self\" reference")
                    .at(&r.range)
                    .detail("The \"self\" object is only available in provisioner and connection blocks, which sakk does not support.")
                    .hint("refer to the resource by its address instead"),
            ),
            _ => {}
        }
    }

    fn call_source(&self, scope: &ModulePath, name: &str) -> String {
        self.config
            .module(scope)
            .and_then(|m| m.module.module_calls.get(name))
            .map(|c| c.source.clone())
            .unwrap_or_default()
    }
}

fn module_label(path: &[String]) -> String {
    if path.is_empty() {
        "the root module".into()
    } else {
        module_path_string(path)
    }
}

fn undeclared<'a>(
    summary: &str,
    detail: &str,
    name: &str,
    candidates: impl Iterator<Item = &'a String>,
    range: &Range,
    otherwise: &str,
) -> Diagnostic {
    let d = Diagnostic::error(summary).at(range).detail(detail);
    match suggest(name, candidates.map(String::as_str)) {
        Some(s) => d.hint(format!("did you mean \"{s}\"?")),
        None => d.hint(otherwise.to_string()),
    }
}

/// Every cycle, reported once per strongly connected component with its members in order.
fn find_cycles(g: &Graph) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for scc in petgraph::algo::tarjan_scc(&g.g) {
        let self_loop = scc.len() == 1 && g.g.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let cycle = cycle_in(g, &scc);
        let names: Vec<String> = cycle.iter().map(|&i| g.g[i].addr.to_string()).collect();
        let first = &g.g[cycle[0]];
        if self_loop {
            let what = match &first.addr.kind {
                NodeKind::Local(_) => "local value",
                NodeKind::Output(_) => "output value",
                NodeKind::Variable(_) => "variable",
                NodeKind::ModuleCall(_) => "module call",
                NodeKind::Resource { .. } => "resource",
                NodeKind::Provider(_) => "provider configuration",
            };
            diags.push(
                Diagnostic::error(format!("Self-referencing {what}"))
                    .at(&first.range)
                    .detail(format!("{} cannot refer to itself.", names[0]))
                    .hint("compute the value from other values, not from itself"),
            );
            continue;
        }
        let mut d = Diagnostic::error(format!("Cycle: {}", names.join(", ")))
            .at(&first.range)
            .detail(format!(
                "These objects depend on each other in a loop, so none of them can be evaluated first:\n  {} -> {}",
                names.join(" -> "),
                names[0]
            ))
            .hint("break the loop: one of these values must not depend, directly or indirectly, on the others");
        for &i in &cycle {
            d = d.related(g.g[i].addr.to_string(), &g.g[i].range);
        }
        diags.push(d);
    }
    diags
}

/// An actual cycle through the members of a strongly connected component, starting at its
/// smallest address so the report is stable.
fn cycle_in(g: &Graph, scc: &[NodeIndex]) -> Vec<NodeIndex> {
    let members: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
    let start = scc
        .iter()
        .copied()
        .min_by(|a, b| g.g[*a].addr.cmp(&g.g[*b].addr))
        .unwrap_or(scc[0]);
    // BFS from start's successors back to start, within the component.
    let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::new();
    let mut succ: Vec<NodeIndex> =
        g.g.neighbors(start)
            .filter(|n| members.contains(n))
            .collect();
    succ.sort_by(|a, b| g.g[*a].addr.cmp(&g.g[*b].addr));
    for n in succ {
        if n == start {
            return vec![start];
        }
        if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(n) {
            e.insert(start);
            queue.push_back(n);
        }
    }
    while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = g.g.neighbors(n).filter(|m| members.contains(m)).collect();
        next.sort_by(|a, b| g.g[*a].addr.cmp(&g.g[*b].addr));
        for m in next {
            if m == start {
                let mut path = vec![n];
                let mut cur = n;
                while let Some(&p) = prev.get(&cur) {
                    if p == start {
                        break;
                    }
                    path.push(p);
                    cur = p;
                }
                path.push(start);
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    scc.to_vec()
}

/// Convenience for callers that only have a module: the `Module` of a node address.
pub fn module_of<'a>(config: &'a Config, addr: &NodeAddr) -> Option<&'a Module> {
    config.module(&addr.module).map(|n| &n.module)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::decode::decode_file;
    use crate::config::tree::ModuleNode;
    use crate::lang::parse::parse_body;

    fn graph(src: &str) -> (Graph, Diagnostics) {
        let body = parse_body("main.tf".into(), src.into()).expect("test config parses");
        graph_of(body)
    }

    fn graph_of(body: Body) -> (Graph, Diagnostics) {
        let mut module = Module::default();
        let mut diags = Diagnostics::new();
        decode_file(&mut module, &body, &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        let config = Config {
            root: ModuleNode {
                path: Vec::new(),
                module,
                children: Default::default(),
            },
        };
        build(&config)
    }

    fn deps(g: &Graph, of: &str) -> Vec<String> {
        let n =
            g.g.node_indices()
                .find(|&i| g.g[i].addr.to_string() == of)
                .expect("node");
        let mut d: Vec<String> = g.dependencies(n).map(|d| d.addr.to_string()).collect();
        d.sort();
        d
    }

    const DYNAMIC: &str = r#"
variable "ports" {}
variable "cidr" {}
locals { names = ["a"] }
resource "aws_vpc" "main" {}
resource "aws_subnet" "s" {}
resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = var.ports
    iterator = port
    content {
      from_port   = port.key
      cidr_blocks = [aws_vpc.main.cidr_block, var.cidr]
      dynamic "nested" {
        for_each = port.value
        content {
          name   = "${port.key}-${nested.value}"
          subnet = aws_subnet.s.id
        }
      }
    }
  }
  static {
    dynamic "tag" {
      for_each = local.names
      content {
        key = tag.value
      }
    }
  }
}
"#;

    #[test]
    fn dynamic_block_content_references_are_dependencies_and_iterators_are_not() {
        let (g, diags) = graph(DYNAMIC);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(
            deps(&g, "aws_security_group.sg"),
            vec![
                "aws_subnet.s",
                "aws_vpc.main",
                "local.names",
                "var.cidr",
                "var.ports"
            ]
        );
    }

    #[test]
    fn iterators_are_local_to_their_dynamic_block() {
        // Outside its content, and in its own for_each, an iterator name is a resource type.
        for (from, to) in [
            ("key = tag.value", "key = port.value"),
            ("for_each = port.value", "for_each = nested.value"),
        ] {
            let (_, diags) = graph(&DYNAMIC.replace(from, to));
            assert_eq!(diags.len(), 1, "{diags:#?}");
            assert_eq!(diags.0[0].summary, "Reference to undeclared resource");
        }
    }

    const DYNAMIC_JSON: &str = r#"{
  "variable": {"ports": {}, "cidr": {}},
  "locals": {"names": ["a"]},
  "resource": {
    "aws_vpc": {"main": {}},
    "aws_subnet": {"s": {}},
    "aws_security_group": {"sg": {
      "name": "sg",
      "dynamic": {"ingress": {
        "for_each": "${var.ports}",
        "iterator": "port",
        "content": {
          "from_port": "${port.key}",
          "cidr_blocks": ["${aws_vpc.main.cidr_block}", "${var.cidr}"],
          "dynamic": {"nested": [{
            "for_each": "${port.value}",
            "content": {"name": "${port.key}-${nested.value}", "subnet": "${aws_subnet.s.id}"}
          }]}
        }
      }},
      "static": [{"dynamic": [{"tag": {"for_each": "${local.names}", "content": {"key": "${tag.value}"}}}]}]
    }}
  }
}"#;

    #[test]
    fn json_dynamic_blocks_are_found_without_a_schema() {
        let json = |src: &str| {
            let body = crate::lang::json::parse_body("main.tf.json".into(), src.into())
                .expect("test config parses");
            graph_of(body)
        };
        let (g, diags) = json(DYNAMIC_JSON);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(
            deps(&g, "aws_security_group.sg"),
            vec![
                "aws_subnet.s",
                "aws_vpc.main",
                "local.names",
                "var.cidr",
                "var.ports"
            ]
        );
        // Outside its content an iterator name is a resource type, as in native syntax.
        let (_, diags) =
            json(&DYNAMIC_JSON.replace("\"name\": \"sg\"", "\"name\": \"${port.key}\""));
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(diags.0[0].summary, "Reference to undeclared resource");
        assert_eq!(
            diags.0[0]
                .range
                .as_ref()
                .map(|r| (r.start.line, r.start.column)),
            Some((8, 18))
        );
    }
}
