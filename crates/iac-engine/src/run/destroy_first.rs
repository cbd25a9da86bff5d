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
//! destroy was made inline). Orphans' deletes are nodes of the walk too,
//! as in Terraform's one apply graph: ordered with those destroys (an
//! orphan depending on a replaced resource goes first), and before the
//! creates and updates of what the orphan depends on and of what depended
//! on it (see [`Run::walk_deps`]). Orphans created create-before-destroy
//! (Terraform turns their edges around: they wait for those creates and
//! updates) and a destroy plan's deletes wait for the delete walk.
//! A failed destroy keeps its object and skips
//! only what waits for it (see [`Run::destroy_first_node`]), not the
//! resource's other instances. A graph these nodes would make cyclic (a
//! provider configured from a replaced resource) keeps the inline destroy.

use std::collections::HashMap;
use std::sync::Arc;

use iac_core::address::{ConfigResourceAddr, InstanceAddr};
use iac_core::plan::{Action, ResourceChange};
use iac_core::state::InstanceState;

use super::context::{lock, NodeResult, Run};
use super::options::Phase;
use crate::delete_walk::in_other_instance_of_same_module;
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
    /// orphan's delete that runs within the walk, as in Terraform's one
    /// apply graph: those such a destroy waits for (the orphan depends on
    /// the replaced object, directly or through other orphans), and in a
    /// normal apply every orphan not created create-before-destroy (see
    /// [`Run::orphan_edges`]). Those move from `deletes` to
    /// `self.early_deletes`; the rest stay for the delete walk after. None:
    /// the graph's own lists serve.
    pub(super) fn walk_deps(&mut self, deletes: &mut Vec<ResourceChange>) -> Option<Vec<Vec<usize>>> {
        if self.phase != Phase::Apply {
            return None;
        }
        let first = self.destroy_first.len();
        // The destroy-first destroys, then every orphan's delete, ordered among themselves.
        let mut destroys = self.destroy_first.clone();
        destroys.extend(deletes.iter().filter(|c| c.action == Action::Delete && c.deposed.is_none()).cloned());
        let wide = self.opts.mode == iac_core::plan::PlanMode::Normal && destroys.len() > first;
        if first == 0 && !wide {
            return None;
        }
        let among = crate::delete_walk::delete_order(self, &destroys);
        // All orphans in the walk first; failing that (a cycle), only those
        // the destroy-first destroys wait for.
        let found = [wide, false].into_iter().filter(|w| first > 0 || *w).find_map(|w| self.destroy_walk(&destroys, &among, first, w));
        let Some((deps, in_walk, waits)) = found else {
            tracing::debug!("the destroys would make the walk cyclic: destroy-first replacements destroyed inline, orphans deleted after");
            return None;
        };
        let early: Vec<ResourceChange> = destroys.into_iter().enumerate().skip(first).filter(|(j, _)| in_walk[*j]).map(|(_, c)| c).collect();
        let moved: std::collections::HashSet<&InstanceAddr> = early.iter().map(|c| &c.addr).collect();
        deletes.retain(|c| !(c.action == Action::Delete && c.deposed.is_none() && moved.contains(&c.addr)));
        self.early_deletes = early;
        self.orphan_waits = waits;
        Some(deps)
    }

    /// The walk's dependency lists with `destroys` (the destroy-first ones
    /// first, `among` their order) as nodes: those destroy-first ones, what
    /// they wait for, and with `wide` every orphan not created
    /// create-before-destroy (Terraform inverts such an orphan's edges: its
    /// destroy waits for the creates and updates, as the delete walk does)
    /// nor waiting for one that stays out. Also which orphans' deletes each
    /// planned instance waits for. None: that walk has a cycle.
    fn destroy_walk(&self, destroys: &[ResourceChange], among: &[Vec<usize>], first: usize, wide: bool) -> Option<DestroyWalk> {
        let n = self.graph.nodes.len();
        // What the destroy-first destroys wait for, directly or not: those of
        // their dependents, replaced or orphaned (all waited for are dependents).
        let mut in_walk = vec![false; destroys.len()];
        let mut todo: Vec<usize> = (0..first).collect();
        while let Some(i) = todo.pop() {
            if !std::mem::replace(&mut in_walk[i], true) {
                todo.extend(among[i].iter().copied());
            }
        }
        let mut added = vec![false; destroys.len()];
        if wide {
            let objects = lock(&self.objects);
            for (j, c) in destroys.iter().enumerate().skip(first) {
                if !in_walk[j] && objects.state.resources.get(&c.addr).is_some_and(|o| !o.create_before_destroy) {
                    in_walk[j] = true;
                    added[j] = true;
                }
            }
            drop(objects);
            // One waiting for a delete that stays out stays out too.
            loop {
                let out: Vec<usize> = (0..destroys.len()).filter(|&j| added[j] && among[j].iter().any(|&t| !in_walk[t])).collect();
                if out.is_empty() {
                    break;
                }
                for j in out {
                    in_walk[j] = false;
                    added[j] = false;
                }
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
        let mut waits: HashMap<InstanceAddr, Vec<InstanceAddr>> = HashMap::new();
        if wide {
            let orphans: Vec<(usize, &ResourceChange)> =
                destroys.iter().enumerate().skip(first).filter(|(j, _)| in_walk[*j]).filter_map(|(j, c)| Some((position[j]?, c))).collect();
            for (addr, k) in self.orphan_edges(&orphans) {
                let Some(r) = self.resource_node_of(&addr) else { continue };
                let (node, orphan) = orphans[k];
                if !deps[r].contains(&node) {
                    deps[r].push(node);
                }
                waits.entry(addr).or_default().push(orphan.addr.clone());
            }
        }
        (!cyclic(&deps)).then_some((deps, in_walk, waits))
    }

    /// Terraform's edges from creates and updates to orphans' destroys
    /// (walk node, change): the resource node of a planned create, update
    /// or replacement waits for the destroy of an orphan that depends on
    /// it (a security group is changed once the instance using it is
    /// gone), and for the destroy of an orphan it depended on, as state
    /// records (its dependency leaves before it is changed to do without).
    /// (planned instance, index in `orphans`) pairs.
    fn orphan_edges(&self, orphans: &[(usize, &ResourceChange)]) -> Vec<(InstanceAddr, usize)> {
        let objects = lock(&self.objects);
        let recorded = |addr: &InstanceAddr| objects.state.resources.get(addr).map(|o| o.dependencies.as_slice()).unwrap_or_default();
        // Orphans by the resources their objects depend on, and by their own resource.
        let mut by_dependency: HashMap<ConfigResourceAddr, Vec<usize>> = HashMap::new();
        let mut by_resource: HashMap<ConfigResourceAddr, Vec<usize>> = HashMap::new();
        for (k, (_, c)) in orphans.iter().enumerate() {
            for d in recorded(&c.addr) {
                by_dependency.entry(d.config()).or_default().push(k);
            }
            by_resource.entry(c.addr.resource.config()).or_default().push(k);
        }
        let mut edges = Vec::new();
        // Not between different instances of one module, as Terraform.
        let related = |c: &InstanceAddr, k: usize| !in_other_instance_of_same_module(c, &orphans[k].1.addr);
        for c in self.saved.values().filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace)) {
            if let Some(ks) = by_dependency.get(&c.addr.resource.config()) {
                edges.extend(ks.iter().filter(|&&k| related(&c.addr, k)).map(|&k| (c.addr.clone(), k)));
            }
            for d in recorded(&c.addr) {
                if let Some(ks) = by_resource.get(&d.config()) {
                    edges.extend(ks.iter().filter(|&&k| related(&c.addr, k)).map(|&k| (c.addr.clone(), k)));
                }
            }
        }
        edges
    }

    /// The delete of `self.early_deletes[k]`, an orphan deleted within the
    /// walk. As in the delete walk, one that waits for a
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
                if in_other_instance_of_same_module(addr, &change.addr) {
                    return false;
                }
                let recorded = match objects.state.resources.get(addr) {
                    Some(o) => &o.dependencies,
                    None => return false,
                };
                recorded.iter().any(|d| d.config() == mine)
            })
            .map(|(_, d)| d.clone())
    }

    /// Why a planned change of `addr` is not applied: as a destroy-first
    /// replacement, its prior object's destroy failed or was not tried; or
    /// the delete of an orphan it waits for did (that error, already reported).
    pub(super) fn destroy_failed(&self, addr: &InstanceAddr, replacing: bool) -> Option<iac_lang::diagnostic::Diagnostic> {
        let failed = lock(&self.destroy_failed);
        if replacing {
            if let Some(d) = failed.get(addr) {
                return Some(d.clone());
            }
        }
        self.orphan_waits.get(addr)?.iter().find_map(|o| failed.get(o).cloned())
    }

    /// The object a destroy-first replacement of `addr` already destroyed.
    pub(super) fn destroyed_first(&self, addr: &InstanceAddr) -> Option<InstanceState> {
        lock(&self.destroyed_first).get(addr).cloned()
    }
}

/// A walk's dependency lists, which destroys are its nodes, and which
/// orphans' deletes each planned instance waits for.
type DestroyWalk = (Vec<Vec<usize>>, Vec<bool>, HashMap<InstanceAddr, Vec<InstanceAddr>>);

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
