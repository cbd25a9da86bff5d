//! Create before destroy, as Terraform has it. Which resources replace
//! that way: those whose `lifecycle` says so, and every resource one of
//! them depends on, directly or not (Terraform forces it on there: a
//! create-before-destroy resource depending on a destroy-first one would
//! make a cycle), including what an orphan created that way depends on
//! (Terraform 1.16 on; 1.11 stops at that cycle). Applying such a replacement sets the prior object aside
//! (deposes it) before creating its successor; the deposed object is
//! destroyed by the delete walk, once the successor exists and every
//! resource depending on it has been updated to the new object
//! (a load balancer moved to its new certificate before the old one goes).
//! What a failed or interrupted run leaves deposed stays in state, and the
//! next plan refreshes it (as Terraform: one found gone is dropped from
//! state, with nothing to destroy) and destroys the rest.

use std::collections::HashSet;

use iac_core::address::InstanceAddr;
use iac_core::journal::JournalEntry;
use iac_core::plan::{Action, ResourceChange};
use iac_core::provider::ReadRequest;
use iac_core::state::State;
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::load::Stack;

use super::context::{lock, Run};
use crate::graph::{resource_of, ConfigGraph, NodeId, NodeKind};
use crate::statemgr::Journal;
use crate::walk::NodeOutcome;

/// The resource nodes whose replacements create before they destroy:
/// those whose `lifecycle` says so, those an orphan recorded as created
/// that way depends on (its configuration gone, its state records
/// create_before_destroy: destroying it must wait for the replacement's
/// create), and every resource one of those depends on, directly or not.
pub(super) fn create_before_destroy_nodes(graph: &ConfigGraph, stack: &Stack, state: &State) -> HashSet<usize> {
    let node_of = |c: iac_core::address::ConfigResourceAddr| graph.index.get(&NodeId { module: c.module, kind: NodeKind::Resource(c.resource) }).copied();
    // Orphans of resources gone from the configuration, created create-before-destroy.
    let orphaned: Vec<usize> = state
        .resources
        .iter()
        .filter(|(addr, inst)| inst.create_before_destroy && node_of(addr.resource.config()).is_none())
        .flat_map(|(_, inst)| inst.dependencies.iter().filter_map(|d| node_of(d.config())))
        .collect();
    // Most stacks set it nowhere: then no node needs looking up.
    if orphaned.is_empty() && !stack.root.walk().iter().any(|m| m.resources.values().any(|r| r.lifecycle.create_before_destroy)) {
        return HashSet::new();
    }
    let mut todo: Vec<usize> =
        graph.nodes.iter().enumerate().filter(|(_, id)| resource_of(stack, id).is_some_and(|r| r.lifecycle.create_before_destroy)).map(|(i, _)| i).collect();
    todo.extend(orphaned);
    let mut seen = HashSet::new();
    let mut out = HashSet::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n) {
            continue;
        }
        if matches!(graph.nodes[n].kind, NodeKind::Resource(_)) {
            out.insert(n);
        }
        todo.extend(graph.deps[n].iter().copied());
    }
    out
}

/// A key for a deposed object of `addr`: eight hex digits, as Terraform's,
/// unused by the instance's other deposed objects.
fn new_key(state: &State, addr: &InstanceAddr) -> String {
    loop {
        let key = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        if state.deposed_object(addr, &key).is_none() {
            return key;
        }
    }
}

impl Run {
    pub(super) fn resource_node_of(&self, addr: &InstanceAddr) -> Option<usize> {
        let c = addr.resource.config();
        self.graph.index.get(&NodeId { module: c.module, kind: NodeKind::Resource(c.resource) }).copied()
    }

    /// Whether replacing this instance creates the new object first.
    pub(super) fn create_before_destroy(&self, addr: &InstanceAddr) -> bool {
        self.resource_node_of(addr).is_some_and(|n| self.cbd_nodes.contains(&n))
    }

    /// Sets the instance's current object aside under a new key, journaled
    /// first; the delete walk destroys it (see [`Run::deposed_deletes`]).
    pub(super) async fn depose(&self, journal: &Journal, addr: &InstanceAddr) -> Result<String, Diagnostic> {
        let key = new_key(&lock(&self.objects).state, addr);
        self.record(journal, JournalEntry::Depose { addr: addr.clone(), key: key.clone() }).await?;
        lock(&self.objects).state.depose(addr, &key);
        lock(&self.found).deposed.push((addr.clone(), key.clone()));
        Ok(key)
    }

    /// The successor's create failed and left nothing: the deposed object
    /// is current again.
    pub(super) async fn restore(&self, journal: &Journal, addr: &InstanceAddr, key: &str) -> Result<(), Diagnostic> {
        self.record(journal, JournalEntry::Restore { addr: addr.clone(), key: key.to_string() }).await?;
        lock(&self.objects).state.restore_deposed(addr, key);
        lock(&self.found).deposed.retain(|(a, k)| !(a == addr && k == key));
        Ok(())
    }

    /// Records that a deposed object is gone: in the journal first, then in memory.
    pub async fn remove_deposed(&self, addr: &InstanceAddr, key: &str) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            self.record(j, JournalEntry::RemoveDeposed { addr: addr.clone(), key: key.to_string() }).await?;
        }
        lock(&self.objects).state.remove_deposed(addr, key);
        Ok(())
    }

    /// Plan: reads every deposed object again, once the walk configured
    /// the providers (one no longer configured is configured empty, as for
    /// a destroy). One the provider no longer finds leaves state, so the
    /// plan destroys only what still exists; the others take what was read.
    pub(super) async fn refresh_deposed(self: &std::sync::Arc<Self>) {
        let deposed: Vec<(InstanceAddr, String, iac_core::state::InstanceState)> =
            lock(&self.objects).state.deposed.iter().map(|d| (d.addr.clone(), d.key.clone(), d.instance.clone())).collect();
        let mut reads = tokio::task::JoinSet::new();
        for (addr, key, inst) in deposed {
            let me = self.clone();
            reads.spawn(async move {
                let read = async {
                    let (provider, _) = crate::delete_walk::provider_for(&me, &crate::providers::ProviderKey::of(&inst.provider)).await?;
                    let _permit = me.ops.acquire().await.map_err(|_| "cancelled".to_string())?;
                    let req =
                        ReadRequest { type_: addr.resource.type_.clone(), addr: addr.clone(), current: inst.attributes.clone(), private: inst.private.clone() };
                    provider.read_object(req).await.map_err(|e| e.to_string())
                };
                let span = tracing::info_span!("resource.refresh", address = %addr, deposed = %key, action = "read");
                match tracing::Instrument::instrument(read, span).await {
                    Ok(r) => {
                        let mut objects = lock(&me.objects);
                        match r.new_state {
                            None => objects.state.remove_deposed(&addr, &key),
                            Some(fresh) => {
                                if let Some(d) = objects.state.deposed.iter_mut().find(|d| d.addr == addr && d.key == key) {
                                    d.instance.attributes = fresh.unmark_deep().0;
                                    d.instance.private = super::object::refreshed_private(&inst.private, r.private);
                                }
                            }
                        }
                    }
                    Err(m) => me.diag(Diagnostic::error(format!("{addr} (deposed object {key}): refresh failed: {m}"), None)),
                }
            });
        }
        while let Some(j) = reads.join_next().await {
            if let Err(e) = j {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }

    /// The destroys of the objects this walk deposed whose successors are
    /// in place: the resource's node finished, and so did every node that
    /// depends on it, directly or not (in Terraform, the destroy of a
    /// deposed object depends on its successor's create and on the updates
    /// of every resource whose recorded dependencies, transitive in
    /// Terraform, name it). The others stay deposed for the next plan.
    pub(super) fn deposed_deletes(&self, outcomes: &[NodeOutcome]) -> Vec<ResourceChange> {
        let deposed = std::mem::take(&mut lock(&self.found).deposed);
        if deposed.is_empty() {
            return Vec::new();
        }
        let done = |n: usize| outcomes.get(n) == Some(&NodeOutcome::Done);
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); self.graph.nodes.len()];
        for (n, deps) in self.graph.deps.iter().enumerate() {
            for &d in deps {
                dependents[d].push(n);
            }
        }
        // Every node that depends on it, directly or not, finished.
        let dependents_done = |node: usize| {
            let mut todo = dependents[node].clone();
            let mut seen = HashSet::new();
            while let Some(n) = todo.pop() {
                if !seen.insert(n) {
                    continue;
                }
                if !done(n) {
                    return false;
                }
                todo.extend(dependents[n].iter().copied());
            }
            true
        };
        let objects = lock(&self.objects);
        deposed
            .into_iter()
            .filter(|(addr, _)| self.resource_node_of(addr).is_some_and(|n| done(n) && dependents_done(n)))
            .filter_map(|(addr, key)| {
                let d = objects.state.deposed_object(&addr, &key)?;
                Some(ResourceChange {
                    addr: addr.clone(),
                    prev_addr: None,
                    provider: d.instance.provider.clone(),
                    action: Action::Delete,
                    before: d.instance.value(),
                    after: Value::Null,
                    replace_paths: Vec::new(),
                    reason: None,
                    create_before_destroy: false,
                    private: None,
                    dependencies: d.instance.dependencies.clone(),
                    import_id: None,
                    deposed: Some(key),
                })
            })
            .collect()
    }
}
