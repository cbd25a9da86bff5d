//! The dependencies recorded with each object in state: the resources a
//! resource refers to directly, looking through variables, locals,
//! outputs, module calls and provider configurations (an object in a
//! cluster depends on the cluster that configures its provider, so a
//! destroy deletes the object first).

use std::collections::HashSet;

use iac_core::address::{InstanceKey, Mode, ModulePath, ResourceAddr};

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
            match self.graph.nodes[n].kind {
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
                let module = ModulePath(id.module.iter().map(|n| iac_core::address::ModuleStep { name: n.clone(), key: InstanceKey::None }).collect());
                let (mode, rest) = match k.strip_prefix("data.") {
                    Some(r) => (Mode::Data, r),
                    None => (Mode::Managed, k.as_str()),
                };
                let (t, n) = rest.split_once('.').unwrap_or((rest, ""));
                ResourceAddr { module, mode, type_: t.to_string(), name: n.to_string() }
            })
            .collect()
    }
}
