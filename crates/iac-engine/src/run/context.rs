//! The run context: what one walk of the configuration graph shares
//! between its nodes (the stack, the graph, the providers, the value store,
//! the objects being planned or applied, the journal, what the walk
//! found), how a run is set up, how the walk dispatches each node to its
//! kind, and how what nodes find is recorded (an object's new state:
//! journal first, then memory).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use iac_core::address::{InstanceAddr, ModulePath};
use iac_core::journal::{JournalEntry, PendingIntent};
use iac_core::plan::{Action, Drift, PlanMode, ResourceChange};
use iac_core::provider::ProviderContext;
use iac_core::state::{InstanceState, State};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::load::Stack;
use tokio::sync::Semaphore;

use super::event::{Event, EventSink};
use super::options::{Phase, RunOptions};
use super::outcome::Found;
use super::targeting::targeted;
use crate::graph::{ConfigGraph, NodeKind};
use crate::providers::{Instances, Registry};
use crate::statemgr::Journal;
use crate::values::Values;
use crate::walk::{walk, NodeOutcome};

pub struct Run {
    pub(crate) stack: Arc<Stack>,
    pub(crate) graph: Arc<ConfigGraph>,
    pub(crate) registry: Registry,
    pub(crate) instances: Instances,
    pub(crate) values: Values,
    pub(crate) context: ProviderContext,
    pub(crate) phase: Phase,
    pub(crate) opts: RunOptions,
    pub(crate) objects: Mutex<Objects>,
    /// Apply: the saved plan's changes by address.
    pub(crate) saved: HashMap<InstanceAddr, ResourceChange>,
    /// Apply: the saved plan's deletes, in its order, for the delete walk.
    pub(super) deletes: Vec<ResourceChange>,
    pub(crate) journal: Option<Journal>,
    pub(super) found: Mutex<Found>,
    /// The run's `-parallelism`: one permit per provider operation.
    pub(crate) ops: Semaphore,
    pub(crate) cancel: Arc<AtomicBool>,
    pub(crate) events: Option<EventSink>,
    /// With -target: the resource nodes to plan (targets and their dependencies).
    pub(super) targeted_nodes: Option<HashSet<usize>>,
    /// What to import where state has no object: `import` blocks and `iac import`.
    pub(super) imports: HashMap<InstanceAddr, ImportId>,
    pub(super) moved_from: HashMap<InstanceAddr, InstanceAddr>,
    /// The resource nodes whose replacements create before they destroy (`cbd`).
    pub(super) cbd_nodes: HashSet<usize>,
    /// Import blocks with for_each, by their index in the root module, once expanded.
    pub(super) import_expansions: Mutex<HashMap<usize, Vec<(InstanceAddr, String)>>>,
    /// The results of custom conditions (preconditions, postconditions).
    pub(super) conditions: Mutex<super::conditions::ConditionResults>,
    /// Whether variables' validation rules are checked: in every run but a
    /// destroy, which checks them only while planning with a refresh of a
    /// state that has objects (Terraform's refresh before a destroy plan).
    pub(super) checks_validations: bool,
    /// [`RunSetup::root_var_spans`].
    pub(super) root_var_spans: std::collections::BTreeMap<String, iac_lang::source::Span>,
    /// [`RunSetup::root_var_errors`].
    pub(super) root_var_errors: std::collections::BTreeMap<String, Diagnostic>,
    /// Apply: the replacements that destroy first, each a node of the walk (`destroy_first`).
    pub(super) destroy_first: Vec<ResourceChange>,
    /// Apply: the prior objects those nodes destroyed, for their successors' applies.
    pub(super) destroyed_first: Mutex<HashMap<InstanceAddr, InstanceState>>,
    /// Apply: the destroy-first replacements whose prior object stays (its
    /// destroy failed, or waited for one that failed), with the error that
    /// kept it; only their successors' creates are skipped.
    pub(super) destroy_failed: Mutex<HashMap<InstanceAddr, Diagnostic>>,
    /// Apply: the deletes that run within the walk (`destroy_first`): a
    /// normal apply's orphans', every one of a destroy plan's.
    pub(super) early_deletes: Vec<ResourceChange>,
    /// Apply: the orphans whose deletes (early ones) each planned instance
    /// waits for, as Terraform orders them (`destroy_first`).
    pub(super) orphan_waits: HashMap<InstanceAddr, Vec<InstanceAddr>>,
}

/// Where an import's id comes from.
pub(super) enum ImportId {
    /// `iac import ADDR ID`.
    Given(String),
    /// An `import` block's `id`, evaluated in the root module (where import
    /// blocks live) when its instance is planned: the graph orders the
    /// instance after what the expression refers to.
    Written(iac_lang::config::Expr),
}

/// The objects of a run. Plan: the prior state, refreshed as the walk goes.
/// Apply: the new state. With the intents of interrupted operations that
/// no operation has resolved yet.
pub(crate) struct Objects {
    pub state: State,
    pub pending: Vec<PendingIntent>,
}

impl Default for Objects {
    fn default() -> Self {
        Objects { state: State::new(String::new()), pending: Vec::new() }
    }
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
    /// Apply: the saved plan's changes.
    pub saved: Vec<ResourceChange>,
    pub journal: Option<Journal>,
    pub root_vars: iac_core::ValueMap,
    /// Where each root variable's value came from (a variables file's
    /// expression; missing: the declaration), which its failed validation
    /// rules name.
    pub root_var_spans: std::collections::BTreeMap<String, iac_lang::source::Span>,
    /// The errors of root variables whose values their types refuse
    /// (they have none in `root_vars`): Terraform reports them in the walk,
    /// and its plan goes on without them.
    pub root_var_errors: std::collections::BTreeMap<String, Diagnostic>,
    /// What `plantimestamp()` gives (None: the process's own time).
    pub plan_timestamp: Option<String>,
    /// The working directory (`path.cwd`).
    pub cwd: std::path::PathBuf,
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
            store.stack = s.stack.clone();
            for (k, v) in s.root_vars {
                store.vars.insert((ModulePath::root(), k), v);
            }
            store.planning = matches!(s.phase, Phase::Plan);
            store.providers = s.registry.clone();
            store.plan_timestamp = s.plan_timestamp;
            store.cwd = s.cwd;
            store.ephemeral = crate::graph::ephemeral_subjects(&s.stack, &s.graph);
        }
        let targeted_nodes = (!s.opts.targets.is_empty()).then(|| targeted(&s.graph, &s.opts.targets));
        let cbd_nodes = super::cbd::create_before_destroy_nodes(&s.graph, &s.stack, &s.state);
        let checks_validations = s.opts.mode != PlanMode::Destroy || (s.phase == Phase::Plan && s.opts.refresh && !s.state.is_empty());
        let conditions = match s.opts.mode {
            _ if s.opts.validate_only => Default::default(),
            // A destroy lists every checkable object, its results unknown.
            PlanMode::Destroy => super::conditions::ConditionResults::unchecked(&s.stack.root),
            // A refresh-only plan checks every condition (warning of false
            // ones); its apply checks variables' validation rules alone and
            // keeps the plan's other results (`carrying_checks`), as Terraform's.
            _ => super::conditions::ConditionResults::of(&s.stack.root, true),
        };
        let parallelism = s.opts.parallelism.max(1);
        let mut imports = HashMap::new();
        // Blocks with for_each are expanded when their resource is planned (`import_for_each`).
        for i in s.stack.root.imports.iter().filter(|i| i.for_each.is_none()) {
            imports.insert(i.to.clone(), ImportId::Written(i.id.clone()));
        }
        for (addr, id) in &s.opts.extra_imports {
            imports.insert(addr.clone(), ImportId::Given(id.clone()));
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
            objects: Mutex::new(Objects { state: s.state, pending: s.pending }),
            destroy_first: super::destroy_first::destroy_first_changes(&s.saved),
            destroyed_first: Mutex::default(),
            destroy_failed: Mutex::default(),
            early_deletes: Vec::new(),
            orphan_waits: HashMap::new(),
            deletes: s.saved.iter().filter(|c| matches!(c.action, Action::Delete | Action::Forget)).cloned().collect(),
            // Deposed objects share their instance's address: their destroys are in `deletes` only.
            saved: s.saved.into_iter().filter(|c| c.deposed.is_none()).map(|c| (c.addr.clone(), c)).collect(),
            journal: s.journal,
            found: Mutex::new(Found::default()),
            ops: Semaphore::new(parallelism),
            cancel: s.cancel,
            events: s.events,
            targeted_nodes,
            imports,
            moved_from: s.moved_from,
            cbd_nodes,
            import_expansions: Mutex::default(),
            conditions: Mutex::new(conditions),
            checks_validations,
            root_var_spans: s.root_var_spans,
            root_var_errors: s.root_var_errors,
        }
    }

    /// Walks the configuration graph, with the dependency lists `extended`
    /// gives at apply ([`Run::walk_deps`]); outcomes per graph node.
    pub(super) async fn walk_graph(self: &Arc<Self>, extended: Option<Vec<Vec<usize>>>) -> Vec<NodeOutcome> {
        let me = self.clone();
        let nodes = self.graph.nodes.len();
        let destroys = nodes + self.destroy_first.len();
        let mut outcomes = walk(extended.as_deref().unwrap_or(&self.graph.deps), self.cancel.clone(), move |idx| {
            let me = me.clone();
            // Past the graph's nodes: the destroys of destroy-first
            // replacements, then the orphans' deletes they wait for.
            Box::pin(async move {
                if idx < nodes {
                    me.node(idx).await
                } else if idx < destroys {
                    me.destroy_first_node(idx - nodes).await
                } else {
                    me.early_delete_node(idx - destroys).await
                }
            })
        })
        .await;
        outcomes.truncate(nodes);
        outcomes
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

    /// Reports a problem (once: the same diagnostic from several nodes is one).
    pub(crate) fn diag(&self, d: Diagnostic) {
        let ds = &mut lock(&self.found).diags;
        if !ds.contains(&d) {
            ds.push(d);
        }
    }

    /// Reports the problems of evaluating one node's instances, each as
    /// found: the same diagnostic from two instances (of a resource with
    /// count, of a module) is reported twice, as Terraform 1.11.4 evaluates
    /// and reports each instance on its own.
    pub(crate) fn instance_diags(&self, ds: impl IntoIterator<Item = Diagnostic>) {
        lock(&self.found).diags.extend(ds);
    }

    pub(super) fn record_change(&self, c: ResourceChange) {
        lock(&self.found).changes.push(c);
    }

    pub(super) fn record_drift(&self, d: Drift) {
        lock(&self.found).drift.push(d);
    }

    /// Notes that the walk handled an instance (it is not an orphan).
    pub(super) fn saw(&self, addr: InstanceAddr) {
        lock(&self.found).seen.insert(addr);
    }

    /// The instance's object in the run's state.
    pub(crate) fn object(&self, addr: &InstanceAddr) -> Option<InstanceState> {
        lock(&self.objects).state.resources.get(addr).cloned()
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
        let mut objects = lock(&self.objects);
        objects.state.resources.insert(addr.clone(), inst);
        objects.pending.retain(|p| &p.addr != addr);
        Ok(())
    }

    /// Records that an object is gone: in the journal first, then in memory.
    pub async fn remove(&self, addr: &InstanceAddr) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            self.record(j, JournalEntry::Remove { addr: addr.clone() }).await?;
        }
        let mut objects = lock(&self.objects);
        objects.state.resources.remove(addr);
        objects.pending.retain(|p| &p.addr != addr);
        Ok(())
    }
}

/// Locks a mutex, ignoring poisoning (a panicking task is re-raised anyway).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
