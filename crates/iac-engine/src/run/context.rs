//! The run context: what one walk of the configuration graph shares
//! between its nodes (the stack, the graph, the providers, the value store,
//! the state being planned or applied, the journal, what the walk found),
//! how a run is set up, how the walk dispatches each node to its kind, and
//! how an object's new state is recorded (journal first, then memory).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use iac_core::address::{InstanceAddr, InstanceKey, Mode, ModulePath};
use iac_core::journal::{JournalEntry, PendingIntent};
use iac_core::plan::{Drift, ResourceChange};
use iac_core::provider::ProviderContext;
use iac_core::state::{InstanceState, State};
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::load::Stack;
use iac_lang::source::Span;
use tokio::sync::Semaphore;

use super::event::{Event, EventSink};
use super::options::{Phase, RunOptions};
use super::targeting::targeted;
use crate::graph::{ConfigGraph, NodeKind};
use crate::providers::{Instances, Registry};
use crate::statemgr::Journal;
use crate::values::Values;
use crate::walk::{walk, NodeOutcome};

pub struct Run {
    pub stack: Arc<Stack>,
    pub graph: Arc<ConfigGraph>,
    pub registry: Registry,
    pub instances: Instances,
    pub values: Values,
    pub context: ProviderContext,
    pub phase: Phase,
    pub opts: RunOptions,
    /// Plan: the prior state, refreshed as the walk goes. Apply: the new state.
    pub state: Mutex<State>,
    pub pending: Mutex<Vec<PendingIntent>>,
    /// Apply: the saved plan's changes by address.
    pub saved: HashMap<InstanceAddr, ResourceChange>,
    pub journal: Option<Journal>,
    pub diags: Mutex<Vec<Diagnostic>>,
    pub changes: Mutex<Vec<ResourceChange>>,
    pub drift: Mutex<Vec<Drift>>,
    /// Every instance the walk handled (the rest of state is orphaned).
    pub seen: Mutex<HashSet<InstanceAddr>>,
    /// Changes whose `after` is still in the value store.
    pub(super) after_in_store: Mutex<HashSet<InstanceAddr>>,
    pub ops: Semaphore,
    pub cancel: Arc<AtomicBool>,
    pub events: Option<EventSink>,
    /// With -target: the resource nodes to plan (targets and their dependencies).
    pub targeted_nodes: Option<HashSet<usize>>,
    /// Resource node → the resource nodes it depends on directly (through locals, variables, outputs).
    pub(super) resource_deps: Mutex<HashMap<usize, Vec<usize>>>,
    pub imports: HashMap<InstanceAddr, (String, Option<Span>)>,
    pub moved_from: HashMap<InstanceAddr, InstanceAddr>,
}

pub struct RunSetup {
    pub stack: Arc<Stack>,
    pub graph: Arc<ConfigGraph>,
    pub registry: Registry,
    pub context: ProviderContext,
    pub phase: Phase,
    pub opts: RunOptions,
    pub state: State,
    pub pending: Vec<PendingIntent>,
    pub saved: Vec<ResourceChange>,
    pub journal: Option<Journal>,
    pub root_vars: iac_core::ValueMap,
    pub cancel: Arc<AtomicBool>,
    pub events: Option<EventSink>,
    pub moved_from: HashMap<InstanceAddr, InstanceAddr>,
}

/// A node's result for the walker: failed nodes said why in diagnostics.
pub(super) type NodeResult = Result<(), ()>;

impl Run {
    pub fn new(s: RunSetup) -> Run {
        let values = Values::new(s.stack.root.dir.clone());
        {
            let mut store = values.write();
            for (k, v) in s.root_vars {
                store.vars.insert((ModulePath::root(), k), v);
            }
            store.planning = matches!(s.phase, Phase::Plan);
            store.providers = s.registry.clone();
        }
        let targeted_nodes = (!s.opts.targets.is_empty()).then(|| targeted(&s.graph, &s.opts.targets));
        let parallelism = s.opts.parallelism.max(1);
        let mut imports = HashMap::new();
        for i in &s.stack.root.imports {
            let id = iac_lang::eval::eval_literal(&i.id.expr).ok().and_then(|v| v.as_str().map(str::to_string));
            if let Some(id) = id {
                imports.insert(i.to.clone(), (id, Some(i.span.clone())));
            }
        }
        for (addr, id) in &s.opts.extra_imports {
            imports.insert(addr.clone(), (id.clone(), None));
        }
        Run {
            stack: s.stack,
            graph: s.graph,
            registry: s.registry,
            instances: Instances::default(),
            values,
            context: s.context,
            phase: s.phase,
            opts: s.opts,
            state: Mutex::new(s.state),
            pending: Mutex::new(s.pending),
            saved: s.saved.into_iter().map(|c| (c.addr.clone(), c)).collect(),
            journal: s.journal,
            diags: Mutex::new(Vec::new()),
            changes: Mutex::new(Vec::new()),
            drift: Mutex::new(Vec::new()),
            seen: Mutex::new(HashSet::new()),
            after_in_store: Mutex::new(HashSet::new()),
            ops: Semaphore::new(parallelism),
            cancel: s.cancel,
            events: s.events,
            targeted_nodes,
            resource_deps: Mutex::new(HashMap::new()),
            imports,
            moved_from: s.moved_from,
        }
    }

    /// Walks the whole graph; outcomes per node.
    pub async fn walk(self: &Arc<Self>) -> Vec<NodeOutcome> {
        let me = self.clone();
        walk(&self.graph.deps, self.cancel.clone(), move |idx| {
            let me = me.clone();
            Box::pin(async move { me.node(idx).await })
        })
        .await
    }

    async fn node(self: Arc<Self>, idx: usize) -> NodeResult {
        let id = self.graph.nodes[idx].clone();
        match &id.kind {
            NodeKind::Variable(n) => self.variable_node(&id.module, n),
            NodeKind::Local(n) => self.local_node(&id.module, n),
            NodeKind::Output(n) => self.output_node(&id.module, n),
            NodeKind::ModuleCall(n) => self.module_call_node(&id.module, n),
            NodeKind::Provider(_) => self.provider_node(idx).await,
            NodeKind::Resource(_) => self.resource_node(idx).await,
        }
    }

    pub fn diag(&self, d: Diagnostic) {
        let mut ds = lock(&self.diags);
        if !ds.contains(&d) {
            ds.push(d);
        }
    }

    pub(super) fn emit(&self, e: Event) {
        if let Some(sink) = &self.events {
            sink(e);
        }
    }

    pub(super) async fn record(&self, journal: &Journal, e: JournalEntry) -> Result<(), Diagnostic> {
        journal.record(&e).await.map_err(|e| Diagnostic::error(format!("state could not be saved: {e}"), None))
    }

    /// Records an object's new state: in the journal (durably) first, then in memory.
    pub async fn put(&self, addr: &InstanceAddr, inst: InstanceState) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            self.record(j, JournalEntry::Put { addr: addr.clone(), instance: inst.clone() }).await?;
        }
        lock(&self.state).resources.insert(addr.clone(), inst);
        lock(&self.pending).retain(|p| &p.addr != addr);
        Ok(())
    }

    /// Records that an object is gone: in the journal first, then in memory.
    pub async fn remove(&self, addr: &InstanceAddr) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            self.record(j, JournalEntry::Remove { addr: addr.clone() }).await?;
        }
        lock(&self.state).resources.remove(addr);
        lock(&self.pending).retain(|p| &p.addr != addr);
        Ok(())
    }

    /// Moves each planned value out of the value store into its change. Call
    /// once the walk is over (nothing evaluates references any more).
    pub fn take_planned_values(&self, changes: &mut [ResourceChange]) {
        let wanted = std::mem::take(&mut *lock(&self.after_in_store));
        if wanted.is_empty() {
            return;
        }
        let mut store = self.values.write();
        for c in changes.iter_mut().filter(|c| wanted.contains(&c.addr)) {
            let r = &c.addr.resource;
            let key = if r.mode == Mode::Data { format!("data.{}.{}", r.type_, r.name) } else { format!("{}.{}", r.type_, r.name) };
            let Some(whole) = store.resources.get_mut(&(r.module.clone(), key)) else { continue };
            let slot = match (&c.addr.key, whole) {
                (InstanceKey::None, v) => Some(v),
                (InstanceKey::Int(i), Value::List(items)) => items.get_mut(*i as usize),
                (InstanceKey::Str(k), Value::Map(m)) => m.get_mut(k.as_str()),
                _ => None,
            };
            if let Some(v) = slot {
                c.after = std::mem::take(v);
            }
        }
    }
}

/// Locks a mutex, ignoring poisoning (a panicking task is re-raised anyway).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
