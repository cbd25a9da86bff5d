//! `-target`: which resource nodes a targeted run plans (the targets and
//! everything they depend on), and which of their instances.

use std::collections::HashSet;

use iac_core::address::{InstanceAddr, Mode, ResourceAddr, Target};

use super::context::Run;
use crate::graph::{ConfigGraph, NodeKind};

/// Resource nodes to plan under -target: the targets and everything they depend on.
pub(super) fn targeted(g: &ConfigGraph, targets: &[Target]) -> HashSet<usize> {
    let mut out = HashSet::new();
    let mut stack = Vec::new();
    for (i, id) in g.nodes.iter().enumerate() {
        let NodeKind::Resource(k) = &id.kind else { continue };
        let (mode, rest) = match k.strip_prefix("data.") {
            Some(r) => (Mode::Data, r),
            None => (Mode::Managed, k.as_str()),
        };
        let (t, n) = rest.split_once('.').unwrap_or((rest, ""));
        let hit = targets.iter().any(|tg| {
            let (m, r): (Vec<String>, Option<&ResourceAddr>) = match tg {
                Target::Module(mp) => (mp.0.iter().map(|s| s.name.clone()).collect(), None),
                Target::Resource(r) => (r.module.0.iter().map(|s| s.name.clone()).collect(), Some(r)),
                Target::Instance(ia) => (ia.resource.module.0.iter().map(|s| s.name.clone()).collect(), Some(&ia.resource)),
            };
            match r {
                None => id.module.len() >= m.len() && id.module[..m.len()] == m[..],
                Some(r) => id.module == m && r.mode == mode && r.type_ == t && r.name == n,
            }
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
