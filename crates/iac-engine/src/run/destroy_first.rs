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
//! on it, or after them for an orphan created create-before-destroy
//! (Terraform turns its edges around; see [`Run::walk_deps`]). A destroy
//! plan's deletes are nodes too, each after its resource's node and after
//! the deletes of the objects depending on it.
//! A failed destroy keeps its object and skips
//! only what waits for it (see [`Run::destroy_first_node`]), not the
//! resource's other instances. A graph these nodes would make cyclic (a
//! provider configured from a replaced resource) keeps the inline destroy.

use std::collections::HashMap;
use std::sync::Arc;

use iac_core::address::{ConfigResourceAddr, InstanceAddr};
use iac_core::plan::{Action, PlanMode, ResourceChange};
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
    /// orphan's delete (in a normal apply), as in Terraform's one apply
    /// graph: each waits for its provider's configuration and for the
    /// destroys of the objects depending on it, and with the creates and
    /// updates it is ordered as [`Run::orphan_edges`] says. In a destroy
    /// plan every delete is such a node (there are no creates or updates),
    /// which waits for its resource's node too. Those deletes
    /// move from `deletes` to `self.early_deletes`. When the destroy-first
    /// nodes would make the walk cyclic (a provider configured from a
    /// replaced resource), those replacements destroy inline; an edge
    /// between a create or update and an orphan's delete that would close
    /// a cycle is left out, as Terraform leaves out such edges between
    /// providers. None: the graph's own lists serve.
    pub(super) fn walk_deps(&mut self, deletes: &mut Vec<ResourceChange>) -> Option<Vec<Vec<usize>>> {
        if self.phase != Phase::Apply {
            return None;
        }
        // A normal apply's orphans; every delete of a destroy plan (deposed
        // objects included: nothing is replaced, so none waits for a successor).
        let early = |c: &ResourceChange| match self.opts.mode {
            PlanMode::Normal => c.action == Action::Delete && c.deposed.is_none(),
            PlanMode::Destroy => c.action == Action::Delete,
            PlanMode::RefreshOnly => false,
        };
        let (orphans, rest): (Vec<ResourceChange>, Vec<ResourceChange>) = std::mem::take(deletes).into_iter().partition(early);
        *deletes = rest;
        if self.destroy_first.is_empty() && orphans.is_empty() {
            return None;
        }
        let first = self.destroy_first.len();
        // The destroy-first destroys, then the orphans' deletes, ordered among themselves.
        let mut destroys = self.destroy_first.clone();
        destroys.extend(orphans.iter().cloned());
        let among = crate::delete_walk::delete_order(self, &destroys);
        let edges = self.orphan_edges(&destroys, first);
        let (deps, waits) = match (first > 0).then(|| self.destroy_walk(&destroys, &among, &edges, true, false)).flatten() {
            Some(found) => found,
            None => {
                if first > 0 {
                    tracing::debug!("destroy-first replacements would make the walk cyclic: destroyed inline");
                    self.destroy_first.clear();
                }
                self.destroy_walk(&destroys, &among, &edges, false, false)
                    .or_else(|| self.destroy_walk(&destroys, &among, &edges, false, true))
                    .expect("a walk that leaves out what closes a cycle has none")
            }
        };
        self.early_deletes = orphans;
        self.orphan_waits = waits;
        Some(deps)
    }

    /// The walk's dependency lists with `destroys` (the `self.destroy_first`
    /// ones first, as nodes only `with_first`, then the orphans') and
    /// `among`, their order; `edges` orders orphans' deletes with creates
    /// and updates. Also which orphans' deletes each planned instance waits
    /// for. `careful`: an edge that would close a cycle is left out (a
    /// destroy-first one is never); otherwise None when the walk has one.
    fn destroy_walk(&self, destroys: &[ResourceChange], among: &[Vec<usize>], edges: &[OrphanEdge], with_first: bool, careful: bool) -> Option<DestroyWalk> {
        let n = self.graph.nodes.len();
        let first = self.destroy_first.len();
        let skipped = if with_first { 0 } else { first };
        let position: Vec<Option<usize>> = (0..destroys.len()).map(|j| (j >= skipped).then(|| n + j - skipped)).collect();
        let mut deps = self.graph.deps.clone();
        deps.resize(n + destroys.len() - skipped, Vec::new());
        // Adds "from waits for to"; false when careful and that closes a cycle.
        let add = |deps: &mut Vec<Vec<usize>>, from: usize, to: usize| {
            if careful && reaches(deps, to, from) {
                return false;
            }
            if !deps[from].contains(&to) {
                deps[from].push(to);
            }
            true
        };
        for (j, c) in destroys.iter().enumerate() {
            let Some(me) = position[j] else { continue };
            let key = ProviderKey::of(&c.provider);
            if let Some(&p) = self.graph.index.get(&NodeId { module: key.module.clone(), kind: NodeKind::Provider(key.local()) }) {
                add(&mut deps, me, p);
            }
            for t in among[j].iter().filter_map(|&t| position[t]) {
                add(&mut deps, me, t);
            }
            // A destroy plan's delete waits for its resource's node, which
            // reads the object's values from state for what refers to them
            // (a count, a provider's configuration): deleted first, they
            // would be unknown. Nothing waits for these deletes: no cycle.
            if self.opts.mode == PlanMode::Destroy {
                if let Some(r) = self.resource_node_of(&c.addr) {
                    add(&mut deps, me, r);
                }
            }
        }
        for (j, c) in destroys.iter().enumerate().take(first).filter(|(j, _)| position[*j].is_some()) {
            if let Some(r) = self.resource_node_of(&c.addr) {
                deps[r].push(n + j);
            }
        }
        let mut waits: HashMap<InstanceAddr, Vec<InstanceAddr>> = HashMap::new();
        for e in edges {
            let (Some(r), Some(node)) = (self.resource_node_of(&e.creator), position[e.orphan]) else { continue };
            if e.inverted {
                add(&mut deps, node, r);
            } else if add(&mut deps, r, node) {
                waits.entry(e.creator.clone()).or_default().push(destroys[e.orphan].addr.clone());
            }
        }
        (careful || !cyclic(&deps)).then_some((deps, waits))
    }

    /// Terraform's edges between creates and updates and orphans' deletes
    /// (`destroys[first..]`): the resource node of a planned create, update
    /// or replacement waits for the delete of an orphan that depends on it
    /// (a security group is changed once the instance using it is gone),
    /// and for the delete of an orphan it depended on, as state records
    /// (its dependency leaves before it is changed to do without); none
    /// between different instances of one module. An orphan created
    /// create-before-destroy, as its state records, has those edges turned
    /// around (Terraform's CBD edge transformer): its delete waits for
    /// those creates and updates.
    fn orphan_edges(&self, destroys: &[ResourceChange], first: usize) -> Vec<OrphanEdge> {
        let objects = lock(&self.objects);
        let recorded = |addr: &InstanceAddr| objects.state.resources.get(addr).map(|o| o.dependencies.as_slice()).unwrap_or_default();
        // Orphans by the resources their objects depend on, and by their own resource.
        let mut by_dependency: HashMap<ConfigResourceAddr, Vec<usize>> = HashMap::new();
        let mut by_resource: HashMap<ConfigResourceAddr, Vec<usize>> = HashMap::new();
        for (k, c) in destroys.iter().enumerate().skip(first) {
            for d in recorded(&c.addr) {
                by_dependency.entry(d.config()).or_default().push(k);
            }
            by_resource.entry(c.addr.resource.config()).or_default().push(k);
        }
        let inverted: Vec<bool> = destroys.iter().map(|c| objects.state.resources.get(&c.addr).is_some_and(|o| o.create_before_destroy)).collect();
        let mut edges = Vec::new();
        let mut edge = |creator: &InstanceAddr, orphan: usize| {
            if !in_other_instance_of_same_module(creator, &destroys[orphan].addr) {
                edges.push(OrphanEdge { creator: creator.clone(), orphan, inverted: inverted[orphan] });
            }
        };
        for c in self.saved.values().filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace)) {
            for &k in by_dependency.get(&c.addr.resource.config()).into_iter().flatten() {
                edge(&c.addr, k);
            }
            for d in recorded(&c.addr) {
                for &k in by_resource.get(&d.config()).into_iter().flatten() {
                    edge(&c.addr, k);
                }
            }
        }
        edges
    }

    /// The delete of `self.early_deletes[k]`, an orphan's or a destroy
    /// plan's, within the walk. One that waits for a failed delete (of an
    /// object depending on this one) is not tried; a failure is kept, as a
    /// failed destroy-first destroy, for what waits for it.
    pub(super) async fn early_delete_node(self: Arc<Self>, k: usize) -> NodeResult {
        let change = &self.early_deletes[k];
        // As Terraform, without a message of its own: the failure it waits
        // for is reported already.
        if let Some(d) = self.failed_dependent_destroy(change) {
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

/// A walk's dependency lists, and which orphans' deletes each planned
/// instance waits for.
type DestroyWalk = (Vec<Vec<usize>>, HashMap<InstanceAddr, Vec<InstanceAddr>>);

/// A create or update (`creator`) ordered with the delete of the orphan
/// `destroys[orphan]`: before it when `inverted` (the orphan was created
/// create-before-destroy), otherwise after it.
struct OrphanEdge {
    creator: InstanceAddr,
    orphan: usize,
    inverted: bool,
}

/// Whether `target` is reached from `from` following what nodes wait for.
fn reaches(deps: &[Vec<usize>], from: usize, target: usize) -> bool {
    let mut seen = vec![false; deps.len()];
    let mut todo = vec![from];
    while let Some(i) = todo.pop() {
        if i == target {
            return true;
        }
        if !std::mem::replace(&mut seen[i], true) {
            todo.extend(deps[i].iter().copied());
        }
    }
    false
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
