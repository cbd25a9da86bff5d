//! The dependency graph as DOT (Graphviz) or Mermaid.

use std::fmt::Write;

use iac_engine::graph::{ConfigGraph, NodeKind};

fn shown(g: &ConfigGraph, i: usize) -> bool {
    matches!(
        g.nodes[i].kind,
        NodeKind::Resource(_) | NodeKind::Output(_) | NodeKind::ModuleCall(_) | NodeKind::Provider(_) | NodeKind::Variable(_) | NodeKind::Local(_)
    )
}

pub fn dot(g: &ConfigGraph) -> String {
    let mut s = String::from("digraph iac {\n  rankdir = \"RL\";\n  node [shape = box];\n");
    for (i, n) in g.nodes.iter().enumerate() {
        if shown(g, i) {
            let _ = writeln!(s, "  n{i} [label = {:?}];", n.to_string());
        }
    }
    for (i, ds) in g.deps.iter().enumerate() {
        for d in ds {
            let _ = writeln!(s, "  n{i} -> n{d};");
        }
    }
    s.push_str("}\n");
    s
}

pub fn mermaid(g: &ConfigGraph) -> String {
    let mut s = String::from("flowchart RL\n");
    for (i, n) in g.nodes.iter().enumerate() {
        if shown(g, i) {
            let _ = writeln!(s, "  n{i}[\"{}\"]", n.to_string().replace('"', "#quot;"));
        }
    }
    for (i, ds) in g.deps.iter().enumerate() {
        for d in ds {
            let _ = writeln!(s, "  n{i} --> n{d}");
        }
    }
    s
}
