//! `-target`: which resource nodes a targeted run plans (the targets and
//! everything they depend on), and which of their instances.

use std::collections::HashSet;

use iac_core::address::{ConfigModulePath, InstanceAddr, LocalResourceAddr, ResourceAddr, Target};

use super::context::Run;
use crate::graph::{ConfigGraph, NodeKind};

/// Resource nodes to plan under -target: the targets and everything they depend on.
pub(super) fn targeted(g: &ConfigGraph, targets: &[Target]) -> HashSet<usize> {
    let mut out = HashSet::new();
    let mut stack = Vec::new();
    for (i, id) in g.nodes.iter().enumerate() {
        let NodeKind::Resource(k) = &id.kind else { continue };
        let hit = targets.iter().any(|tg| match tg {
            Target::Module(m) => id.module.starts_with(&m.config_path()),
            Target::Resource(r) => resource_is(r, &id.module, k),
            Target::Instance(i) => resource_is(&i.resource, &id.module, k),
        });
        if hit {
            stack.push(i);
        }
    }
    while let Some(n) = stack.pop() {
        if out.insert(n) {
            stack.extend(g.deps[n].iter().copied());
        }
    }
    out
}

/// Whether `r` is (an instance of) the resource `local` of `module`.
fn resource_is(r: &ResourceAddr, module: &ConfigModulePath, local: &LocalResourceAddr) -> bool {
    r.mode == local.mode && r.type_ == local.type_ && r.name == local.name && r.module.config_path() == *module
}

impl Run {
    /// Whether one instance is planned: everything without -target; under
    /// -target, a dependency of a target whole, a targeted resource only in
    /// its targeted instances.
    pub(super) fn is_targeted(&self, addr: &InstanceAddr, active: bool) -> bool {
        if self.opts.targets.is_empty() {
            return true;
        }
        if !active {
            return false;
        }
        // A dependency of a target is planned whole; a targeted resource only in its targeted instances.
        let direct = self.opts.targets.iter().any(|t| match t {
            Target::Instance(i) => {
                i.resource.module.without_keys() == addr.resource.module.without_keys()
                    && i.resource.type_ == addr.resource.type_
                    && i.resource.name == addr.resource.name
            }
            _ => false,
        });
        !direct || self.opts.targets.iter().any(|t| t.contains(addr))
    }
}
