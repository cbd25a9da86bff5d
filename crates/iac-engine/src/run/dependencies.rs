//! The dependencies recorded with each object in state: the resources a
//! resource refers to directly, looking through variables, locals,
//! outputs, module calls and provider configurations (an object in a
//! cluster depends on the cluster that configures its provider, so a
//! destroy deletes the object first).

use std::collections::HashSet;

use iac_core::address::ResourceAddr;

use super::context::Run;
use crate::graph::NodeKind;

impl Run {
    /// The resource nodes a resource node depends on, looking through
    /// variables, locals, outputs and module calls (direct dependencies only).
    fn direct_resource_deps(&self, idx: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = self.graph.deps[idx].clone();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            match &self.graph.nodes[n].kind {
                // Never in state: through it to what its configuration references.
                NodeKind::Resource(k) if k.mode == iac_core::address::Mode::Ephemeral => stack.extend(self.graph.deps[n].iter().copied()),
                NodeKind::Resource(_) => out.push(n),
                // Through a provider to what its configuration references: an
                // object in a cluster depends on the cluster that configures
                // its provider, so a destroy deletes the object first.
                _ => stack.extend(self.graph.deps[n].iter().copied()),
            }
        }
        out.sort_unstable();
        out
    }

    pub(super) fn resource_dep_addrs(&self, idx: usize) -> Vec<ResourceAddr> {
        self.direct_resource_deps(idx)
            .into_iter()
            .map(|d| {
                let id = &self.graph.nodes[d];
                let NodeKind::Resource(k) = &id.kind else { unreachable!("filtered to resources") };
                // Recorded without instance keys: a dependency is on every instance.
                k.in_module(&id.module.unkeyed_instance())
            })
            .collect()
    }
}
