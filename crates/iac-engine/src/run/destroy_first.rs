//! Destroy-first replacements, in Terraform's order. Replacing without
//! create_before_destroy destroys the prior object before its successor is
//! created; Terraform orders those destroys among themselves in reverse
//! dependency order (with B depending on A and both replaced: destroy B,
//! destroy A, create A, create B). So at apply the walk gets one extra
//! node per such replacement: it waits for the provider configuration and
//! for the destroys of the replaced objects that depend on it (their
//! dependencies as state records them, as the delete walk orders them), and
//! the resource node waits for the destroys of its instances' objects.
//! Each destroy is journaled as any delete (an intent, then the removal),
//! so a crash between destroy and create leaves no object, and the next
//! plan creates it. The destroyed object is kept in memory for the
//! successor's apply (its ignored attributes and private data, as when the
//! destroy was made inline). An orphan's delete such a destroy waits for
//! (the orphan depends on the replaced resource, directly or through other
//! orphans) is a node of the walk too, ordered with them, as Terraform's
//! one apply graph orders it; other orphans wait for the delete walk.
//! A failed destroy keeps its object and skips
//! only what waits for it (see [`Run::destroy_first_node`]), not the
//! resource's other instances. A graph these nodes would make cyclic (a
//! provider configured from a replaced resource) keeps the inline destroy.

use std::sync::Arc;

use iac_core::address::InstanceAddr;
use iac_core::plan::{Action, ResourceChange};
use iac_core::state::InstanceState;

use super::context::{lock, NodeResult, Run};
use super::options::Phase;
use crate::graph::{NodeId, NodeKind};
use crate::providers::ProviderKey;

/// The saved plan's destroy-first replacements, each a node after the
/// configuration graph's own.
pub(super) fn destroy_first_changes(saved: &[ResourceChange]) -> Vec<ResourceChange> {
    saved.iter().filter(|c| c.action == Action::Replace && !c.create_before_destroy && c.deposed.is_none()).cloned().collect()
}

impl Run {
    /// The dependency lists of this run's walk: the configuration graph's,
    /// and at apply one node per destroy-first replacement (index
    /// `graph.nodes.len() + i` for `self.destroy_first[i]`), then one per
    /// orphan's delete such a destroy waits for, directly or through other
    /// orphans (an orphan depending on a replaced object goes before it, as
    /// in Terraform's one apply graph): those move from `deletes` to
    /// `self.early_deletes`, the rest stay for the delete walk after. None:
    /// the graph's own lists serve.
    pub(super) fn walk_deps(&mut self, deletes: &mut Vec<ResourceChange>) -> Option<Vec<Vec<usize>>> {
        if self.phase != Phase::Apply || self.destroy_first.is_empty() {
            return None;
        }
        let n = self.graph.nodes.len();
        let first = self.destroy_first.len();
        // The destroy-first destroys, then every orphan's delete, ordered among themselves.
        let mut destroys = self.destroy_first.clone();
        destroys.extend(deletes.iter().filter(|c| c.action == Action::Delete && c.deposed.is_none()).cloned());
        let among = crate::delete_walk::delete_order(self, &destroys);
        // What the destroy-first destroys wait for, directly or not: those of
        // their dependents, replaced or orphaned (all waited for are dependents).
        let mut in_walk = vec![false; destroys.len()];
        let mut todo: Vec<usize> = (0..first).collect();
        while let Some(i) = todo.pop() {
            if !std::mem::replace(&mut in_walk[i], true) {
                todo.extend(among[i].iter().copied());
            }
        }
        let mut position = vec![None; destroys.len()];
        let mut next = n;
        for (j, p) in position.iter_mut().enumerate() {
            if in_walk[j] {
                *p = Some(next);
                next += 1;
            }
        }
        let mut deps = self.graph.deps.clone();
        for (j, c) in destroys.iter().enumerate().filter(|(j, _)| in_walk[*j]) {
            let key = ProviderKey::of(&c.provider);
            let mut mine: Vec<usize> = among[j].iter().filter_map(|&t| position[t]).collect();
            if let Some(&p) = self.graph.index.get(&NodeId { module: key.module.clone(), kind: NodeKind::Provider(key.local()) }) {
                mine.push(p);
            }
            deps.push(mine);
            if j < first {
                if let Some(r) = self.resource_node_of(&c.addr) {
                    deps[r].push(n + j);
                }
            }
        }
        if cyclic(&deps) {
            tracing::debug!("destroy-first replacements would make the walk cyclic: destroyed inline");
            return None;
        }
        let early: Vec<ResourceChange> = destroys.into_iter().enumerate().skip(first).filter(|(j, _)| in_walk[*j]).map(|(_, c)| c).collect();
        let moved: std::collections::HashSet<&InstanceAddr> = early.iter().map(|c| &c.addr).collect();
        deletes.retain(|c| !(c.action == Action::Delete && c.deposed.is_none() && moved.contains(&c.addr)));
        self.early_deletes = early;
        Some(deps)
    }

    /// The delete of `self.early_deletes[k]`, an orphan a destroy-first
    /// replacement waits for. As in the delete walk, one that waits for a
    /// failed delete is not tried (and says so); a failure is kept, as a
    /// failed destroy-first destroy, for what waits for it.
    pub(super) async fn early_delete_node(self: Arc<Self>, k: usize) -> NodeResult {
        let change = &self.early_deletes[k];
        if let Some(d) = self.failed_dependent_destroy(change) {
            self.diag(iac_lang::diagnostic::Diagnostic::error(
                format!("{}: not deleted, because deleting something that depends on it failed", change.addr),
                None,
            ));
            lock(&self.destroy_failed).insert(change.addr.clone(), d);
            return Ok(());
        }
        if let Err(d) = crate::delete_walk::delete_one(&self, change).await {
            self.diag(d.clone());
            lock(&self.destroy_failed).insert(change.addr.clone(), d);
        }
        Ok(())
    }

    /// The node destroying the prior object of `self.destroy_first[i]`.
    /// Its failure fails only what waits for this object: the destroys of
    /// the replaced objects it depends on (which wait for this one) and its
    /// successor's create, whose resource node then fails and so skips its
    /// dependents; the resource's other instances are applied, as in
    /// Terraform, whose graph has these nodes per instance. So the walk is
    /// told every such node succeeded, and what failed is kept in
    /// `destroy_failed` for those that wait for it.
    pub(super) async fn destroy_first_node(self: Arc<Self>, i: usize) -> NodeResult {
        let change = &self.destroy_first[i];
        if let Some(d) = self.failed_dependent_destroy(change) {
            lock(&self.destroy_failed).insert(change.addr.clone(), d);
            return Ok(());
        }
        let prior = self.object(&change.addr);
        match crate::delete_walk::delete_one(&self, change).await {
            Ok(()) => {
                if let Some(p) = prior {
                    lock(&self.destroyed_first).insert(change.addr.clone(), p);
                }
            }
            Err(d) => {
                self.diag(d.clone());
                lock(&self.destroy_failed).insert(change.addr.clone(), d);
            }
        }
        Ok(())
    }

    /// The error of a failed (or itself skipped) destroy this one waits
    /// for: a replaced object whose recorded dependencies name this
    /// change's resource (the walk ran that destroy first, see
    /// [`crate::delete_walk::delete_order`]).
    fn failed_dependent_destroy(&self, change: &ResourceChange) -> Option<iac_lang::diagnostic::Diagnostic> {
        let mine = change.addr.resource.config();
        let failed = lock(&self.destroy_failed);
        if failed.is_empty() {
            return None;
        }
        let objects = lock(&self.objects);
        failed
            .iter()
            .find(|(addr, _)| {
                let recorded = match objects.state.resources.get(addr) {
                    Some(o) => &o.dependencies,
                    None => return false,
                };
                recorded.iter().any(|d| d.config() == mine)
            })
            .map(|(_, d)| d.clone())
    }

    /// Why a destroy-first replacement of `addr` creates nothing: its prior
    /// object's destroy failed or was not tried (that error, already reported).
    pub(super) fn destroy_failed(&self, addr: &InstanceAddr) -> Option<iac_lang::diagnostic::Diagnostic> {
        lock(&self.destroy_failed).get(addr).cloned()
    }

    /// The object a destroy-first replacement of `addr` already destroyed.
    pub(super) fn destroyed_first(&self, addr: &InstanceAddr) -> Option<InstanceState> {
        lock(&self.destroyed_first).get(addr).cloned()
    }
}

fn cyclic(deps: &[Vec<usize>]) -> bool {
    let mut g = petgraph::graph::DiGraph::<(), ()>::with_capacity(deps.len(), 0);
    let idx: Vec<_> = (0..deps.len()).map(|_| g.add_node(())).collect();
    for (from, ds) in deps.iter().enumerate() {
        for &to in ds {
            g.add_edge(idx[from], idx[to], ());
        }
    }
    petgraph::algo::is_cyclic_directed(&g)
}
