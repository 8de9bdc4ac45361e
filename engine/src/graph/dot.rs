//! Graphviz DOT output for `sakk graph`: one cluster per module, edges pointing from a node to
//! what it depends on (as `terraform graph` draws them).

use super::{Graph, NodeKind};
use crate::config::tree::module_path_string;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn shape(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Variable(_) => "note",
        NodeKind::Local(_) => "ellipse",
        NodeKind::Output(_) => "note",
        NodeKind::ModuleCall(_) => "component",
        NodeKind::Resource { .. } => "box",
        NodeKind::Provider(_) => "diamond",
    }
}

/// Renders the graph as DOT. Output is deterministic: modules, nodes and edges are sorted.
pub fn to_dot(g: &Graph) -> String {
    let mut by_module: BTreeMap<Vec<String>, Vec<petgraph::graph::NodeIndex>> = BTreeMap::new();
    for i in g.g.node_indices() {
        by_module
            .entry(g.g[i].addr.module.clone())
            .or_default()
            .push(i);
    }
    let mut out = String::from("digraph sakk {\n  compound = true;\n  rankdir = \"RL\";\n  node [fontname = \"sans-serif\", fontsize = 10];\n");
    for (n, (module, nodes)) in by_module.iter_mut().enumerate() {
        nodes.sort_by(|a, b| g.g[*a].addr.cmp(&g.g[*b].addr));
        let label = if module.is_empty() {
            "root".to_string()
        } else {
            module_path_string(module)
        };
        let _ = writeln!(out, "  subgraph cluster_{n} {{");
        let _ = writeln!(out, "    label = {};", quote(&label));
        for &i in nodes.iter() {
            let node = &g.g[i];
            let full = node.addr.to_string();
            let prefix = module_path_string(module);
            let short = full
                .strip_prefix(&format!("{prefix}."))
                .unwrap_or(&full)
                .to_string();
            let _ = writeln!(
                out,
                "    {} [label = {}, shape = {}];",
                quote(&full),
                quote(&short),
                shape(&node.addr.kind)
            );
        }
        out.push_str("  }\n");
    }
    let mut edges: Vec<(String, String)> =
        g.g.edge_indices()
            .filter_map(|e| g.g.edge_endpoints(e))
            .map(|(a, b)| (g.g[a].addr.to_string(), g.g[b].addr.to_string()))
            .collect();
    edges.sort();
    for (a, b) in edges {
        let _ = writeln!(out, "  {} -> {};", quote(&a), quote(&b));
    }
    out.push_str("}\n");
    out
}
