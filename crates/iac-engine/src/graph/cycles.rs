//! Dependency cycles: each strongly connected component of more than one
//! node is one diagnostic listing a cycle through it step by step, each
//! step with the span of its reference.

use std::collections::BTreeMap;

use iac_lang::diagnostic::{Diagnostic, Diagnostics};

use super::ConfigGraph;

/// Reports every cycle of the graph.
pub(super) fn find_cycles(g: &ConfigGraph, diags: &mut Diagnostics) {
    let mut pg = petgraph::graph::DiGraph::<usize, ()>::with_capacity(g.nodes.len(), 0);
    let idx: Vec<_> = (0..g.nodes.len()).map(|i| pg.add_node(i)).collect();
    for (from, ds) in g.deps.iter().enumerate() {
        for &to in ds {
            pg.add_edge(idx[from], idx[to], ());
        }
    }
    for scc in petgraph::algo::tarjan_scc(&pg) {
        if scc.len() < 2 {
            continue;
        }
        let members: std::collections::HashSet<usize> = scc.iter().map(|n| pg[*n]).collect();
        // Walk one cycle inside the component to list it step by step.
        let start = *members.iter().min().expect("non-empty");
        let mut path = vec![start];
        let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
        seen.insert(start, 0);
        let mut cur = start;
        let cycle = loop {
            let next = *g.deps[cur].iter().filter(|d| members.contains(d)).min().expect("a node in a cycle has a successor in it");
            if let Some(&at) = seen.get(&next) {
                let mut c = path[at..].to_vec();
                c.push(next);
                break c;
            }
            seen.insert(next, path.len());
            path.push(next);
            cur = next;
        };
        let names: Vec<String> = cycle.iter().map(|&i| g.nodes[i].to_string()).collect();
        let first_span = g.edge_spans.get(&(cycle[0], cycle[1])).cloned();
        let mut d = Diagnostic::error(format!("dependency cycle: {}", names.join(" → ")), first_span);
        for w in cycle.windows(2) {
            if let Some(s) = g.edge_spans.get(&(w[0], w[1])) {
                d = d.with_related(s.clone(), format!("{} refers to {}", g.nodes[w[0]], g.nodes[w[1]]));
            }
        }
        diags.push(d);
    }
}
