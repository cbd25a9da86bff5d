//! The dependencies recorded with each object in state: every resource a
//! resource depends on, directly or not, as Terraform's
//! AttachDependenciesTransformer records the graph's ancestors of a
//! resource. The walk goes through variables, locals, outputs, module calls,
//! provider configurations (an object in a cluster depends on the cluster
//! that configures its provider, so a destroy deletes the object first),
//! data sources, ephemeral and other resources, and on to what they depend
//! on.

use std::collections::HashSet;

use iac_core::address::ResourceAddr;

use super::context::Run;
use crate::graph::NodeKind;

impl Run {
    /// The resource nodes a resource node depends on, directly or through
    /// any other node (its ancestors in the graph), itself excepted.
    fn ancestor_resources(&self, idx: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([idx]);
        let mut stack: Vec<usize> = self.graph.deps[idx].clone();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            // Ephemeral resources too: never in state, but Terraform records them.
            if let NodeKind::Resource(_) = &self.graph.nodes[n].kind {
                out.push(n);
            }
            stack.extend(self.graph.deps[n].iter().copied());
        }
        out
    }

    /// What state records as an object's `dependencies`: its resource's
    /// ancestors, without instance keys (a dependency is on every instance),
    /// once each, sorted by address as Terraform sorts them.
    pub(super) fn resource_dep_addrs(&self, idx: usize) -> Vec<ResourceAddr> {
        let mut addrs: Vec<ResourceAddr> = self
            .ancestor_resources(idx)
            .into_iter()
            .map(|d| {
                let id = &self.graph.nodes[d];
                let NodeKind::Resource(k) = &id.kind else { unreachable!("filtered to resources") };
                k.in_module(&id.module.unkeyed_instance())
            })
            .collect();
        addrs.sort_by_cached_key(|a| a.to_string());
        addrs.dedup();
        addrs
    }
}
