//! One walk of the configuration graph, shared by plan and apply.
//!
//! Plan: every node is evaluated in dependency order; resource nodes expand
//! count/for_each, refresh prior objects, and ask their provider to plan.
//! Apply: the same walk re-evaluates expressions (upstream values are now
//! known), and resource nodes carry out the saved plan's changes, journaling
//! each one. Deletes run afterwards in a second walk, in reverse dependency
//! order (see [`crate::apply`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use iac_core::address::{InstanceAddr, InstanceKey, Mode, ModulePath, ResourceAddr, Target};
use iac_core::journal::{JournalEntry, PendingIntent};
use iac_core::plan::{default_plan, Action, Drift, PlanMode, ResourceChange};
use iac_core::provider::{
    ApplyChangeRequest, ConfigureRequest, ImportRequest, PlanChangeRequest, ProviderContext, ReadDataRequest, ReadRequest, RecoverRequest,
};
use iac_core::schema::ResourceSchema;
use iac_core::state::{InstanceState, InstanceStatus, OutputState, State};
use iac_core::{AttrPath, Value};
use iac_lang::config::{IgnoreChanges, Resource};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;
use iac_lang::load::Stack;
use iac_lang::source::Span;
use tokio::sync::Semaphore;

use crate::body::BodyEval;
use crate::graph::{resource_of, ConfigGraph, NodeKind, ProviderKey};
use crate::providers::{Instances, Registry, Slot};
use crate::statemgr::Journal;
use crate::values::{InstanceScope, ModuleInstance, Repetition, Shape, Values};
use crate::walk::{walk, NodeOutcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Plan,
    Apply,
}

/// Progress of an apply, for the CLI to show.
#[derive(Clone, Debug)]
pub enum Event {
    Start {
        addr: InstanceAddr,
        action: Action,
    },
    Done {
        addr: InstanceAddr,
        action: Action,
        elapsed_ms: u128,
    },
    Failed {
        addr: InstanceAddr,
        action: Action,
        message: String,
    },
    /// Waiting for the state lock (`-lock-timeout`): who holds it, how long
    /// this run has waited and will wait. Emitted at once, then at a steady
    /// interval ([`crate::statemgr::LockWait`]).
    LockWait {
        holder: iac_core::backend::LockInfo,
        waited: std::time::Duration,
        timeout: std::time::Duration,
    },
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub mode: PlanMode,
    pub refresh: bool,
    pub targets: Vec<Target>,
    pub replace: Vec<InstanceAddr>,
    pub parallelism: usize,
    /// `iac import ADDR ID`: imports beyond the stack's import blocks.
    pub extra_imports: Vec<(InstanceAddr, String)>,
    /// `iac validate`: check configuration only; no provider is configured,
    /// unknown count/for_each are tolerated.
    pub validate_only: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            parallelism: 10,
            extra_imports: Vec::new(),
            validate_only: false,
        }
    }
}

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
    after_in_store: Mutex<HashSet<InstanceAddr>>,
    pub ops: Semaphore,
    pub cancel: Arc<AtomicBool>,
    pub events: Option<EventSink>,
    /// With -target: the resource nodes to plan (targets and their dependencies).
    pub targeted_nodes: Option<HashSet<usize>>,
    /// Resource node → the resource nodes it depends on directly (through locals, variables, outputs).
    resource_deps: Mutex<HashMap<usize, Vec<usize>>>,
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

type NodeResult = Result<(), ()>;

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

    pub fn diag(&self, d: Diagnostic) {
        let mut ds = lock(&self.diags);
        if !ds.contains(&d) {
            ds.push(d);
        }
    }

    fn emit(&self, e: Event) {
        if let Some(sink) = &self.events {
            sink(e);
        }
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

    fn variable_node(&self, module: &[String], name: &str) -> NodeResult {
        let Some((call_name, parent_path)) = module.split_last() else { return Ok(()) };
        let parent = self.stack.root.descendant(parent_path).expect("parent module");
        let child = self.stack.root.descendant(module).expect("module");
        let var = &child.variables[name];
        let call = &parent.module_calls[call_name];
        let mut ok = true;
        for inst in self.values.instances(module) {
            let parent_path_keys = ModulePath(inst.path.0[..inst.path.0.len() - 1].to_vec());
            let given = match call.inputs.get(name) {
                Some(e) => {
                    let store = self.values.read();
                    let scope = InstanceScope {
                        store: &store,
                        module: &parent_path_keys,
                        repetition: &inst.repetition,
                        module_dir: &parent.dir,
                        root_dir: &self.values.root_dir,
                    };
                    match Evaluator::new(&scope, &parent.dir, e.file).eval(&e.expr) {
                        Ok(v) => Some((v, Some(e.span()))),
                        Err(d) => {
                            self.diag(d);
                            ok = false;
                            continue;
                        }
                    }
                }
                None => None,
            };
            let mut ds = iac_lang::diagnostic::Diagnostics::default();
            match iac_lang::vars::finish_variable(var, given, &child.dir, &mut ds) {
                Some(v) => {
                    self.values.write().vars.insert((inst.path.clone(), name.to_string()), v);
                }
                None => ok = false,
            }
            ds.0.into_iter().for_each(|d| self.diag(d));
        }
        ok.then_some(()).ok_or(())
    }

    /// Evaluates `expr` once per instance of `module`; errors become diagnostics.
    fn eval_per_instance(&self, module: &[String], expr: &iac_lang::config::Expr) -> Vec<(ModulePath, Option<Value>)> {
        let m = self.stack.root.descendant(module).expect("module");
        self.values
            .instances(module)
            .into_iter()
            .map(|inst| {
                let r = {
                    let store = self.values.read();
                    let scope =
                        InstanceScope { store: &store, module: &inst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                    Evaluator::new(&scope, &m.dir, expr.file).eval(&expr.expr)
                };
                match r {
                    Ok(v) => (inst.path, Some(v)),
                    Err(d) => {
                        self.diag(d);
                        (inst.path, None)
                    }
                }
            })
            .collect()
    }

    fn local_node(&self, module: &[String], name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let mut ok = true;
        for (path, v) in self.eval_per_instance(module, &m.locals[name].value) {
            match v {
                Some(v) => {
                    self.values.write().locals.insert((path, name.to_string()), v);
                }
                None => ok = false,
            }
        }
        ok.then_some(()).ok_or(())
    }

    fn output_node(&self, module: &[String], name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let out = &m.outputs[name];
        let mut ok = true;
        for (path, v) in self.eval_per_instance(module, &out.value) {
            let Some(v) = v else {
                ok = false;
                continue;
            };
            if let Some(p) = v.non_finite_path() {
                self.diag(not_finite(format!("output {name:?}{p}"), Some(out.value.span())));
                ok = false;
                continue;
            }
            if module.is_empty() && v.contains_sensitive() && !out.sensitive {
                self.diag(
                    Diagnostic::error(format!("output {name:?} refers to sensitive values"), Some(out.value.span()))
                        .with_detail("mark the output with sensitive = true to show that this is intended"),
                );
                ok = false;
                continue;
            }
            self.values.write().outputs.insert((path, name.to_string()), v.mark_if(out.sensitive));
        }
        ok.then_some(()).ok_or(())
    }

    fn module_call_node(&self, module: &[String], name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let call = &m.module_calls[name];
        let mut children = Vec::new();
        let mut shape = Shape::Single;
        let mut ok = true;
        for inst in self.values.instances(module) {
            let r = {
                let store = self.values.read();
                let scope =
                    InstanceScope { store: &store, module: &inst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                let ev = Evaluator::new(&scope, &m.dir, call.span.file);
                expand(&ev, call.count.as_ref(), call.for_each.as_ref(), self.opts.validate_only)
            };
            match r {
                Ok((s, reps)) => {
                    shape = s;
                    for rep in reps {
                        children.push(ModuleInstance { path: inst.path.child(name, rep.key()), repetition: rep });
                    }
                }
                Err(d) => {
                    self.diag(d);
                    ok = false;
                }
            }
        }
        let mut call_path = module.to_vec();
        call_path.push(name.to_string());
        let mut store = self.values.write();
        store.module_instances.insert(call_path.clone(), children);
        store.module_shapes.insert(call_path.clone(), shape);
        store.module_outputs.insert(call_path, call.module.outputs.keys().cloned().collect());
        ok.then_some(()).ok_or(())
    }

    async fn provider_node(&self, idx: usize) -> NodeResult {
        let id = &self.graph.nodes[idx];
        let NodeKind::Provider(kind) = &id.kind else { return Ok(()) };
        let (name, alias) = match kind.split_once('.') {
            Some((n, a)) => (n.to_string(), Some(a.to_string())),
            None => (kind.clone(), None),
        };
        let key = ProviderKey { module: id.module.clone(), name: name.clone(), alias: alias.clone() };
        let Some(factory) = self.registry.get(&name).cloned() else { return Err(()) };
        let m = self.stack.root.descendant(&id.module).expect("module");
        let config = match m.providers.iter().find(|p| p.name == name && p.alias == alias) {
            None => Value::Map(iac_core::ValueMap::new()),
            Some(pc) => {
                let r = {
                    let inst = self.values.instances(&id.module).into_iter().next();
                    let Some(inst) = inst else { return Ok(()) };
                    let store = self.values.read();
                    let scope =
                        InstanceScope { store: &store, module: &inst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                    let ev = Evaluator::new(&scope, &m.dir, pc.file);
                    let mut ds = Vec::new();
                    let v = BodyEval { ev: &ev }.eval(&pc.body, &factory.schema().provider, &["alias"], &pc.span, &[], &mut ds);
                    (v, ds)
                };
                match r {
                    (Some(v), _) => v,
                    (None, ds) => {
                        ds.into_iter().for_each(|d| self.diag(d));
                        self.instances.set(key, Slot::Failed("invalid configuration".into()));
                        return Err(());
                    }
                }
            }
        };
        if !config.is_wholly_known() && !self.opts.validate_only {
            if let Err(e) = factory.preflight(&config.clone().unmark_deep().0) {
                let span = m.providers.iter().find(|p| p.name == name && p.alias == alias).map(|p| p.span.clone());
                self.diag(Diagnostic::error(format!("provider {kind}: {e}"), span));
                self.instances.set(key, Slot::Failed(e.to_string()));
                return Err(());
            }
        }
        if !config.is_wholly_known() || self.opts.validate_only {
            tracing::debug!(provider = %kind, "provider configuration depends on values known after apply; deferring");
            self.instances.set(key, Slot::Deferred);
            return Ok(());
        }
        let (plain, _) = config.unmark_deep();
        match factory.configure(ConfigureRequest { config: plain, context: self.context.clone() }).await {
            Ok(p) => {
                self.instances.set(key, Instances::ready(p));
                Ok(())
            }
            Err(e) => {
                let span = m.providers.iter().find(|p| p.name == name && p.alias == alias).map(|p| p.span.clone());
                self.diag(Diagnostic::error(format!("configuring provider {kind}: {e}"), span));
                self.instances.set(key, Slot::Failed(e.to_string()));
                Err(())
            }
        }
    }

    /// The resource nodes a resource node depends on, looking through
    /// variables, locals, outputs and module calls (direct dependencies only).
    fn direct_resource_deps(&self, idx: usize) -> Vec<usize> {
        if let Some(d) = lock(&self.resource_deps).get(&idx) {
            return d.clone();
        }
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
        lock(&self.resource_deps).insert(idx, out.clone());
        out
    }

    fn resource_dep_addrs(&self, idx: usize) -> Vec<ResourceAddr> {
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

    async fn resource_node(self: Arc<Self>, idx: usize) -> NodeResult {
        let id = self.graph.nodes[idx].clone();
        let res = resource_of(&self.stack, &id).expect("resource node");
        let m = self.stack.root.descendant(&id.module).expect("module");
        let Some(pkey) = self.graph.resource_provider.get(&idx).cloned() else { return Err(()) };
        let factory = self.registry.get(&pkey.name).cloned().expect("checked in graph");
        let schema = match res.mode {
            Mode::Managed => factory.schema().resources.get(&res.type_),
            Mode::Data => factory.schema().data_sources.get(&res.type_),
        };
        let Some(schema) = schema.cloned() else {
            // `ops::load` reports this before any provider is configured.
            self.diag(crate::graph::unknown_type(&pkey.name, factory.schema(), res));
            return Err(());
        };
        let schema = Arc::new(schema);
        let slot = self.instances.get(&pkey).unwrap_or(Slot::Deferred);
        let active = self.targeted_nodes.as_ref().is_none_or(|t| t.contains(&idx));
        let deps = self.resource_dep_addrs(idx);
        let mut ok = true;
        for minst in self.values.instances(&id.module) {
            let raddr = ResourceAddr { module: minst.path.clone(), mode: res.mode, type_: res.type_.clone(), name: res.name.clone() };
            // Expand and evaluate every instance's configuration (synchronously, under one read lock).
            let evaluated = {
                let store = self.values.read();
                let scope =
                    InstanceScope { store: &store, module: &minst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                let ev = Evaluator::new(&scope, &m.dir, res.file);
                match expand(&ev, res.count.as_ref(), res.for_each.as_ref(), self.opts.validate_only) {
                    Err(d) => Err(vec![d]),
                    Ok((shape, reps)) => {
                        let mut items = Vec::with_capacity(reps.len());
                        let mut ds = Vec::new();
                        for rep in reps {
                            let scope =
                                InstanceScope { store: &store, module: &minst.path, repetition: &rep, module_dir: &m.dir, root_dir: &self.values.root_dir };
                            let ev = Evaluator::new(&scope, &m.dir, res.file);
                            let config = BodyEval { ev: &ev }.eval(&res.body, &schema.block, iac_lang::config::RESOURCE_META_ARGS, &res.span, &[], &mut ds);
                            let triggers = if res.lifecycle.replace_triggered_by.is_empty() {
                                None
                            } else {
                                let mut vs = Vec::new();
                                for e in &res.lifecycle.replace_triggered_by {
                                    match ev.eval(&e.expr) {
                                        Ok(v) => vs.push(v.unmark_deep().0),
                                        Err(d) => ds.push(d),
                                    }
                                }
                                Some(Value::List(vs))
                            };
                            if let Some(p) = config.as_ref().and_then(Value::non_finite_path) {
                                ds.push(not_finite(format!("argument {}", p.trim_start_matches('.')), Some(res.span.clone())));
                                continue;
                            }
                            if let Some(c) = config {
                                items.push((rep, c, triggers));
                            }
                        }
                        if ds.is_empty() {
                            Ok((shape, items))
                        } else {
                            Err(ds)
                        }
                    }
                }
            };
            let (shape, items) = match evaluated {
                Ok(x) => x,
                Err(ds) => {
                    ds.into_iter().for_each(|d| self.diag(d));
                    ok = false;
                    continue;
                }
            };
            // Plan or apply each instance, concurrently.
            let mut set = tokio::task::JoinSet::new();
            for (n, (rep, config, triggers)) in items.into_iter().enumerate() {
                let addr = raddr.instance(rep.key());
                lock(&self.seen).insert(addr.clone());
                let me = self.clone();
                let schema = schema.clone();
                let slot = slot.clone();
                let pkey = pkey.clone();
                let deps = deps.clone();
                let res_key = res.key();
                let module_path = id.module.clone();
                let parent = tracing::Span::current();
                set.spawn(tracing::Instrument::instrument(
                    async move {
                        let res = resource_of(&me.stack, &crate::graph::NodeId { module: module_path, kind: NodeKind::Resource(res_key) }).expect("resource");
                        let inst = InstanceWork { addr: addr.clone(), res, schema: &schema, slot: &slot, pkey: &pkey, deps, config, triggers, active };
                        let r = match me.phase {
                            Phase::Plan => {
                                let span = tracing::info_span!("resource.plan", address = %addr, action = "plan", provider = %pkey.name);
                                tracing::Instrument::instrument(me.plan_instance(inst), span).await
                            }
                            Phase::Apply => me.apply_instance(inst).await,
                        };
                        (n, rep, r)
                    },
                    parent,
                ));
            }
            let mut results: Vec<(usize, Repetition, Value)> = Vec::new();
            while let Some(j) = set.join_next().await {
                match j {
                    Ok((n, rep, Ok(v))) => results.push((n, rep, v)),
                    Ok((_, _, Err(d))) => {
                        self.diag(d);
                        ok = false;
                    }
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
            results.sort_by_key(|(n, _, _)| *n);
            let whole = match shape {
                _ if results.iter().any(|(_, r, _)| *r == Repetition::Unknown) => Value::Unknown,
                Shape::Single => results.into_iter().next().map(|(_, _, v)| v).unwrap_or(Value::Null),
                Shape::Counted => Value::List(results.into_iter().map(|(_, _, v)| v).collect()),
                Shape::ForEach => Value::Map(
                    results
                        .into_iter()
                        .map(|(_, rep, v)| match rep {
                            Repetition::Each(k, _) => (k, v),
                            _ => (String::new(), v),
                        })
                        .collect(),
                ),
            };
            self.values.write().resources.insert((minst.path.clone(), res.key()), whole);
        }
        ok.then_some(()).ok_or(())
    }

    fn is_targeted(&self, addr: &InstanceAddr, active: bool) -> bool {
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

    async fn plan_instance(&self, w: InstanceWork<'_>) -> Result<Value, Diagnostic> {
        let addr = w.addr.clone();
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let mut prior: Option<InstanceState> = lock(&self.state).resources.get(&addr).cloned();
        let provider = match w.slot {
            Slot::Ready { provider, .. } => Some(provider.clone()),
            Slot::Failed(m) => return Err(err(format!("provider unavailable: {m}"))),
            Slot::Deferred => None,
        };
        let targeted = self.is_targeted(&addr, w.active);
        if !targeted {
            return Ok(prior.map(|p| p.value()).unwrap_or(Value::Unknown));
        }
        let _permit = self.ops.acquire().await.map_err(|_| err("cancelled".into()))?;
        let _provider_permit = match w.slot {
            Slot::Ready { limit: Some(l), .. } => Some(l.clone().acquire_owned().await.map_err(|_| err("cancelled".into()))?),
            _ => None,
        };
        // Import: adopt an existing object for an address that has none.
        let mut import_id = None;
        if let (None, Some((id, _))) = (&prior, self.imports.get(&addr)) {
            let Some(p) = &provider else { return Err(err("cannot import while the provider's configuration is unknown".into())) };
            let v = p
                .import(ImportRequest { type_: w.res.type_.clone(), addr: addr.clone(), id: id.clone() })
                .await
                .map_err(|e| err(format!("import of {id:?} failed: {e}")))?;
            let inst = InstanceState::from_value(w.pkey.addr(), v);
            lock(&self.state).resources.insert(addr.clone(), inst.clone());
            prior = Some(inst);
            import_id = Some(id.clone());
        }
        // Refresh.
        if let (Some(p), Some(pr), true) = (&provider, &prior, self.opts.refresh && import_id.is_none()) {
            if w.res.mode == Mode::Managed {
                let current = Value::from_json(&pr.attributes);
                let span = tracing::info_span!("resource.refresh", address = %addr, action = "read", provider = %w.pkey.name);
                match tracing::Instrument::instrument(
                    p.read(ReadRequest { type_: w.res.type_.clone(), addr: addr.clone(), current: current.clone(), private: pr.private.clone() }),
                    span,
                )
                .await
                {
                    Ok(Some(fresh)) => {
                        let fresh = fresh.unmark_deep().0;
                        if fresh != current {
                            // Attributes only the provider sets (rotating credentials, timestamps)
                            // are refreshed silently; drift is what the configuration manages.
                            let paths: Vec<AttrPath> =
                                iac_core::plan::drift_paths(&current, &fresh).into_iter().filter(|p| !computed_only(w.schema, p)).collect();
                            if !paths.is_empty() {
                                lock(&self.drift).push(Drift {
                                    addr: addr.clone(),
                                    action: Action::Update,
                                    before: pr.value(),
                                    after: fresh.clone().mark_paths(&pr.sensitive_paths),
                                    paths,
                                });
                            }
                            let mut updated = pr.clone();
                            updated.attributes = fresh.to_json();
                            lock(&self.state).resources.insert(addr.clone(), updated.clone());
                            prior = Some(updated);
                        }
                    }
                    Ok(None) => {
                        lock(&self.drift).push(Drift { addr: addr.clone(), action: Action::Delete, before: pr.value(), after: Value::Null, paths: Vec::new() });
                        lock(&self.state).resources.remove(&addr);
                        prior = None;
                    }
                    Err(e) => return Err(err(format!("refresh failed: {e}"))),
                }
            }
        }
        // Recovery of an interrupted create.
        if prior.is_none() {
            let intent = lock(&self.pending).iter().position(|p| p.addr == addr);
            if let (Some(i), Some(p)) = (intent, &provider) {
                let planned = lock(&self.pending)[i].planned.clone();
                if let Some(found) = p
                    .recover(RecoverRequest { type_: w.res.type_.clone(), addr: addr.clone(), planned })
                    .await
                    .map_err(|e| err(format!("recovery lookup failed: {e}")))?
                {
                    tracing::info!(%addr, "adopting the object an interrupted run created");
                    let inst = InstanceState::from_value(w.pkey.addr(), found);
                    lock(&self.state).resources.insert(addr.clone(), inst.clone());
                    prior = Some(inst);
                } else {
                    // Plugin providers cannot look an object up by our ownership
                    // tag: say what may be left behind and how to adopt it.
                    tracing::warn!(%addr, provider = %w.pkey.name, "interrupted create: no object to adopt");
                    self.diag(
                        Diagnostic::warning(format!("{addr}: an earlier run was interrupted while creating it, and provider {} found no object to adopt", w.pkey.name), Some(w.res.span.clone()))
                            .with_detail(format!("A provider that cannot look objects up (a plugin provider) cannot tell whether the create went through. If the object exists, adopt it with `iac import {addr} ID` instead of creating it again.")),
                    );
                }
                // By address, not by the index taken before the await: other
                // instances resolve their intents concurrently.
                lock(&self.pending).retain(|p| p.addr != addr);
            }
        }
        let prior_value = prior.as_ref().map(|p| p.value());
        if w.res.mode == Mode::Data {
            return self.plan_data(&w, provider.as_deref()).await;
        }
        match self.opts.mode {
            // Objects that do not exist are unknown, not null, so references to them stay valid.
            PlanMode::RefreshOnly | PlanMode::Destroy => return Ok(prior_value.unwrap_or(Value::Unknown)),
            PlanMode::Normal => {}
        }
        let (mut config, config_marks) = w.config.clone().unmark_deep();
        if let (Some(pv), IgnoreChanges::Paths(paths)) = (&prior_value, &w.res.lifecycle.ignore_changes) {
            let pv = pv.clone().unmark_deep().0;
            for p in paths {
                config = set_path(config, &p.0, pv.at_path(p).cloned().unwrap_or(Value::Null));
            }
        }
        if let Some(p) = &provider {
            // Provider-specific rules beyond the schema (e.g. mutually exclusive arguments).
            let problems = p.validate_resource(&w.res.type_, &config);
            if let Some((path, msg)) = problems.first() {
                let mut d = Diagnostic::error(
                    format!("{addr}: invalid {}: {msg}", if path.0.is_empty() { "configuration".to_string() } else { format!("argument {path}") }),
                    Some(w.res.span.clone()),
                );
                for (path, msg) in &problems[1..] {
                    d = d.with_detail(format!("{path}: {msg}"));
                }
                return Err(d);
            }
        }
        let prior_plain = prior_value.clone().map(|v| v.unmark_deep().0);
        let resp = match &provider {
            Some(p) => p
                .plan_change(PlanChangeRequest {
                    type_: w.res.type_.clone(),
                    addr: addr.clone(),
                    prior: prior_plain.clone(),
                    config: config.clone(),
                    private: prior.as_ref().and_then(|p| p.private.clone()),
                })
                .await
                .map_err(|e| err(format!("planning failed: {e}")))?,
            None => default_plan(w.schema, prior_plain.as_ref(), &config),
        };
        let mut action;
        let mut reason: Option<String> = None;
        match &prior_plain {
            None => action = Action::Create,
            Some(pv) => {
                action = if matches!(w.res.lifecycle.ignore_changes, IgnoreChanges::All) || &resp.planned == pv { Action::NoOp } else { Action::Update };
                if !resp.requires_replace.is_empty() && action != Action::NoOp {
                    action = Action::Replace;
                    reason = Some(iac_core::plan::reason::REPLACE_CANNOT_UPDATE.into());
                }
                if prior.as_ref().is_some_and(|p| p.status == InstanceStatus::Tainted) {
                    action = Action::Replace;
                    reason = Some(iac_core::plan::reason::REPLACE_TAINTED.into());
                }
                if self.opts.replace.contains(&addr) {
                    action = Action::Replace;
                    reason = Some(iac_core::plan::reason::REPLACE_BY_REQUEST.into());
                }
                if let Some(t) = &w.triggers {
                    let before = prior.as_ref().and_then(|p| p.private.as_ref()).and_then(|p| p.get("replace_triggered_by")).map(Value::from_json);
                    if before.as_ref() != Some(t) || !t.is_wholly_known() {
                        action = Action::Replace;
                        reason = Some(iac_core::plan::reason::REPLACE_BY_TRIGGERS.into());
                    }
                }
            }
        }
        if action == Action::Replace && w.res.lifecycle.prevent_destroy {
            return Err(Diagnostic::error(format!("{addr} has lifecycle.prevent_destroy set, but the plan would replace it"), Some(w.res.span.clone()))
                .with_detail(reason.map(|r| iac_core::plan::reason::describe(&r, &resp.requires_replace)).unwrap_or_default()));
        }
        // A replacement creates a new object: plan it as a create (computed
        // attributes unknown), as apply will (it plans with no prior object).
        let resp = if action == Action::Replace {
            let fresh = match &provider {
                Some(p) => p
                    .plan_change(PlanChangeRequest { type_: w.res.type_.clone(), addr: addr.clone(), prior: None, config: config.clone(), private: None })
                    .await
                    .map_err(|e| err(format!("planning failed: {e}")))?,
                None => default_plan(w.schema, None, &config),
            };
            iac_core::provider::PlanChangeResponse { requires_replace: resp.requires_replace, ..fresh }
        } else {
            resp
        };
        if import_id.is_some() && action == Action::NoOp {
            action = Action::Import;
        }
        let after = crate::body::carry_config_marks(mark_sensitive(resp.planned.clone(), w.schema).mark_paths(&config_marks), &w.config);
        let private = merge_private(resp.private.clone(), &w.triggers);
        let change = ResourceChange {
            addr: addr.clone(),
            prev_addr: self.moved_from.get(&addr).cloned(),
            provider: w.pkey.addr(),
            action,
            before: prior_value.clone().unwrap_or(Value::Null),
            // Filled from the value store when the walk ends (`take_planned_values`):
            // holding a second copy here doubled a large plan's memory.
            after: Value::Null,
            replace_paths: if action == Action::Replace { resp.requires_replace.clone() } else { Vec::new() },
            reason,
            create_before_destroy: w.res.lifecycle.create_before_destroy,
            private,
            dependencies: w.deps.clone(),
            import_id: import_id.clone(),
        };
        lock(&self.changes).push(change);
        lock(&self.after_in_store).insert(addr);
        Ok(after)
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

    async fn plan_data(&self, w: &InstanceWork<'_>, provider: Option<&dyn iac_core::provider::Provider>) -> Result<Value, Diagnostic> {
        let addr = &w.addr;
        let (config, marks) = w.config.clone().unmark_deep();
        match provider {
            Some(p) if config.is_wholly_known() => {
                let v = read_data_source(w, p, config, &marks).await?;
                let mut inst = InstanceState::from_value(w.pkey.addr(), without_ephemeral(&v, w.schema));
                inst.dependencies = w.deps.clone();
                lock(&self.state).resources.insert(addr.clone(), inst);
                Ok(v)
            }
            _ => {
                lock(&self.changes).push(ResourceChange {
                    addr: addr.clone(),
                    prev_addr: None,
                    provider: w.pkey.addr(),
                    action: Action::Read,
                    before: Value::Null,
                    after: Value::Unknown,
                    replace_paths: Vec::new(),
                    reason: Some(iac_core::plan::reason::READ_CONFIG_UNKNOWN.into()),
                    create_before_destroy: false,
                    private: None,
                    dependencies: w.deps.clone(),
                    import_id: None,
                });
                Ok(Value::Unknown)
            }
        }
    }

    async fn apply_instance(&self, w: InstanceWork<'_>) -> Result<Value, Diagnostic> {
        let addr = w.addr.clone();
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let prior: Option<InstanceState> = lock(&self.state).resources.get(&addr).cloned();
        let read_at_plan = !self.saved.get(&addr).is_some_and(|c| c.action == Action::Read);
        if w.res.mode == Mode::Data && read_at_plan && has_ephemeral(w.schema) && self.is_targeted(&addr, w.active) {
            // The plan kept none of its ephemeral values: read it again, in memory only.
            if let Slot::Ready { provider, .. } = w.slot {
                let (config, marks) = w.config.clone().unmark_deep();
                if config.is_wholly_known() {
                    return read_data_source(&w, provider.as_ref(), config, &marks).await;
                }
            }
        }
        let change = match self.saved.get(&addr) {
            Some(c) if !matches!(c.action, Action::NoOp | Action::Delete) => c.clone(),
            // Not in the plan (outside -target): unknown, as during plan.
            _ => {
                // An object that does not change still follows the configuration's
                // dependencies (one imported earlier had none), so destroy orders it right.
                if w.res.mode == Mode::Managed {
                    if let Some(inst) = lock(&self.state).resources.get_mut(&addr) {
                        if inst.dependencies != w.deps {
                            inst.dependencies = w.deps.clone();
                        }
                    }
                }
                return Ok(prior.map(|p| p.value()).unwrap_or(Value::Unknown));
            }
        };
        let provider = match w.slot {
            Slot::Ready { provider, .. } => provider.clone(),
            Slot::Deferred => return Err(err("the provider's configuration is still unknown at apply time".into())),
            Slot::Failed(m) => return Err(err(format!("provider unavailable: {m}"))),
        };
        let limit = match w.slot {
            Slot::Ready { limit, .. } => limit.clone(),
            _ => None,
        };
        let _permit = self.ops.acquire().await.map_err(|_| err("cancelled".into()))?;
        let _provider_permit = match &limit {
            Some(l) => Some(l.acquire().await.map_err(|_| err("cancelled".into()))?),
            None => None,
        };
        // Interrupted while waiting for a slot: start nothing new.
        if self.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(err("not started: the run was interrupted".into()));
        }
        let started = Instant::now();
        self.emit(Event::Start { addr: addr.clone(), action: change.action });
        let span = tracing::info_span!("resource.apply", address = %addr, action = action_name(change.action), provider = %w.pkey.name);
        let result = tracing::Instrument::instrument(self.execute(&w, &change, prior, provider.as_ref()), span).await;
        match &result {
            Ok(_) => self.emit(Event::Done { addr: addr.clone(), action: change.action, elapsed_ms: started.elapsed().as_millis() }),
            Err(d) => self.emit(Event::Failed { addr: addr.clone(), action: change.action, message: d.summary.clone() }),
        }
        result
    }

    async fn execute(
        &self,
        w: &InstanceWork<'_>,
        change: &ResourceChange,
        prior: Option<InstanceState>,
        p: &dyn iac_core::provider::Provider,
    ) -> Result<Value, Diagnostic> {
        let addr = &w.addr;
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let (config, marks) = w.config.clone().unmark_deep();
        if change.action == Action::Read {
            let v = read_data_source(w, p, config, &marks).await?;
            self.put(addr, InstanceState { dependencies: w.deps.clone(), ..InstanceState::from_value(w.pkey.addr(), without_ephemeral(&v, w.schema)) }).await?;
            return Ok(v);
        }
        if change.action == Action::Import {
            let mut inst = prior.ok_or_else(|| err("the imported object is missing from the plan's state".into()))?;
            inst.dependencies = w.deps.clone();
            let v = inst.value();
            self.put(addr, inst).await?;
            return Ok(v);
        }
        let mut config = config;
        if let (Some(pr), IgnoreChanges::Paths(paths)) = (&prior, &w.res.lifecycle.ignore_changes) {
            let pv = Value::from_json(&pr.attributes);
            for path in paths {
                config = set_path(config, &path.0, pv.at_path(path).cloned().unwrap_or(Value::Null));
            }
        }
        let replacing = change.action == Action::Replace;
        let prior_for_plan = if replacing { None } else { prior.as_ref().map(|p| Value::from_json(&p.attributes)) };
        let fin = p
            .plan_change(PlanChangeRequest {
                type_: w.res.type_.clone(),
                addr: addr.clone(),
                prior: prior_for_plan.clone(),
                config: config.clone(),
                private: prior.as_ref().and_then(|p| p.private.clone()),
            })
            .await
            .map_err(|e| err(format!("planning failed: {e}")))?;
        let planned_known = change.after.clone().unmark_deep().0;
        if let Some(path) = inconsistent(&planned_known, &fin.planned) {
            return Err(err(format!("the final plan differs from the saved plan at {path}; run plan again")));
        }
        let journal = self.journal.as_ref().expect("apply has a journal");
        if replacing && !change.create_before_destroy {
            if let Some(pr) = &prior {
                self.record(journal, JournalEntry::Intent { addr: addr.clone(), action: Action::Delete, provider: w.pkey.addr(), planned: Value::Null })
                    .await?;
                p.delete(iac_core::provider::DeleteRequest {
                    type_: w.res.type_.clone(),
                    addr: addr.clone(),
                    prior: Value::from_json(&pr.attributes),
                    private: pr.private.clone(),
                })
                .await
                .map_err(|e| err(format!("deleting for replacement failed: {e}")))?;
                self.remove(addr).await?;
            }
        }
        self.record(journal, JournalEntry::Intent { addr: addr.clone(), action: change.action, provider: w.pkey.addr(), planned: fin.planned.clone() }).await?;
        let applied = p
            .apply_change(ApplyChangeRequest {
                type_: w.res.type_.clone(),
                addr: addr.clone(),
                prior: prior_for_plan,
                planned: fin.planned.clone(),
                config,
                private: merge_private(fin.private.clone(), &w.triggers),
            })
            .await;
        let resp = match applied {
            Ok(r) => r,
            Err(e) => {
                if change.action == Action::Update {
                    if let Some(pr) = prior.clone() {
                        // As in Terraform, a failed update does not taint: the
                        // object still exists, and the next run's refresh reads
                        // what it became and plans the rest of the change.
                        // (Tainting would make a refused server-side apply
                        // delete and recreate a whole Argo CD install.) Writing
                        // the prior object resolves the journal intent.
                        self.put(addr, pr).await?;
                    }
                } else {
                    self.record(journal, JournalEntry::Abandon { addr: addr.clone() }).await?;
                }
                return Err(err(format!("{} failed: {e}", action_verb(change.action))));
            }
        };
        if !resp.new_state.is_wholly_known() {
            return Err(err("the provider returned unknown values after apply (a provider bug)".into()));
        }
        if replacing && change.create_before_destroy {
            if let Some(pr) = &prior {
                p.delete(iac_core::provider::DeleteRequest {
                    type_: w.res.type_.clone(),
                    addr: addr.clone(),
                    prior: Value::from_json(&pr.attributes),
                    private: pr.private.clone(),
                })
                .await
                .map_err(|e| err(format!("deleting the replaced object failed: {e}")))?;
            }
        }
        let value = crate::body::carry_config_marks(mark_sensitive(resp.new_state.unmark_deep().0, w.schema).mark_paths(&marks), &w.config);
        let mut inst = InstanceState::from_value(w.pkey.addr(), value.clone());
        inst.dependencies = w.deps.clone();
        inst.create_before_destroy = change.create_before_destroy;
        inst.private = merge_private(resp.private, &w.triggers);
        self.put(addr, inst).await?;
        Ok(value)
    }

    async fn record(&self, journal: &Journal, e: JournalEntry) -> Result<(), Diagnostic> {
        journal.record(&e).await.map_err(|e| Diagnostic::error(format!("state could not be saved: {e}"), None))
    }

    pub async fn put(&self, addr: &InstanceAddr, inst: InstanceState) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            self.record(j, JournalEntry::Put { addr: addr.clone(), instance: inst.clone() }).await?;
        }
        lock(&self.state).resources.insert(addr.clone(), inst);
        lock(&self.pending).retain(|p| &p.addr != addr);
        Ok(())
    }

    pub async fn remove(&self, addr: &InstanceAddr) -> Result<(), Diagnostic> {
        if let Some(j) = &self.journal {
            self.record(j, JournalEntry::Remove { addr: addr.clone() }).await?;
        }
        lock(&self.state).resources.remove(addr);
        lock(&self.pending).retain(|p| &p.addr != addr);
        Ok(())
    }

    /// Root outputs as they now are.
    pub fn root_outputs(&self) -> iac_core::ValueMap {
        let store = self.values.read();
        self.stack.root.outputs.keys().filter_map(|n| store.outputs.get(&(ModulePath::root(), n.clone())).map(|v| (n.clone(), v.clone()))).collect()
    }

    pub fn output_states(&self) -> BTreeMap<String, OutputState> {
        self.root_outputs()
            .into_iter()
            // Terraform stores no output whose value is null (`output -json` omits it).
            .filter(|(_, v)| v.is_wholly_known() && !v.is_null())
            .map(|(k, v)| {
                let sensitive = v.contains_sensitive();
                (k, OutputState { value: v.to_json(), sensitive })
            })
            .collect()
    }
}

pub struct InstanceWork<'a> {
    pub addr: InstanceAddr,
    pub res: &'a Resource,
    pub schema: &'a ResourceSchema,
    pub slot: &'a Slot,
    pub pkey: &'a ProviderKey,
    pub deps: Vec<ResourceAddr>,
    pub config: Value,
    pub triggers: Option<Value>,
    pub active: bool,
}

/// An action as trace attributes name it ("create", "delete", ...).
/// An error for a number that is not finite where a value enters state or
/// a plan: JSON cannot hold it, and writing null instead would plan a change
/// on every run.
pub fn not_finite(what: String, span: Option<iac_lang::source::Span>) -> Diagnostic {
    Diagnostic::error(format!("{what} is not a finite number"), span)
        .with_detail("Terraform's numbers are finite; this one overflowed (iac's numbers reach about ±1.8e308) or is the result of a division by zero")
}

pub fn action_name(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "delete",
        Action::Import => "import",
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn action_verb(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replacement",
        Action::Delete => "delete",
        Action::Read => "read",
        Action::Import => "import",
        Action::NoOp => "no-op",
    }
}

fn merge_private(private: Option<serde_json::Value>, triggers: &Option<Value>) -> Option<serde_json::Value> {
    match triggers {
        None => private,
        Some(t) => {
            let mut obj = match private {
                Some(serde_json::Value::Object(o)) => o,
                Some(other) => {
                    let mut o = serde_json::Map::new();
                    o.insert("provider".into(), other);
                    o
                }
                None => serde_json::Map::new(),
            };
            obj.insert("replace_triggered_by".into(), t.to_json());
            Some(serde_json::Value::Object(obj))
        }
    }
}

/// Whether a path leads to an attribute only the provider sets, at the top
/// or inside nested blocks (a cluster's `node_pool[0].nodes`).
fn computed_only(schema: &ResourceSchema, path: &AttrPath) -> bool {
    use iac_core::schema::Nesting;
    use iac_core::PathStep;
    let mut block = &schema.block;
    let mut steps = path.0.iter();
    while let Some(PathStep::Attr(name)) = steps.next() {
        if let Some(a) = block.attributes.get(name) {
            return a.computed && !a.optional && !a.required;
        }
        let Some(nested) = block.blocks.get(name) else { return false };
        // Repeated blocks are collections: one index or key step to the block's body.
        let step_ok = match nested.nesting {
            Nesting::Single | Nesting::Group => true,
            Nesting::List | Nesting::Set => matches!(steps.next(), Some(PathStep::Index(_))),
            Nesting::Map => matches!(steps.next(), Some(PathStep::Key(_))),
        };
        if !step_ok {
            return false;
        }
        block = &nested.block;
    }
    false
}

/// Marks top-level attributes the schema declares sensitive.
/// Reads a data source whose configuration is wholly known: the value with
/// its schema's sensitive attributes and the configuration's marks.
async fn read_data_source(w: &InstanceWork<'_>, p: &dyn iac_core::provider::Provider, config: Value, marks: &[AttrPath]) -> Result<Value, Diagnostic> {
    let v = p
        .read_data(ReadDataRequest { type_: w.res.type_.clone(), addr: w.addr.clone(), config })
        .await
        .map_err(|e| Diagnostic::error(format!("{}: reading failed: {e}", w.addr), Some(w.res.span.clone())))?;
    Ok(mark_sensitive(v.unmark_deep().0, w.schema).mark_paths(marks))
}

fn has_ephemeral(schema: &ResourceSchema) -> bool {
    schema.block.attributes.values().any(|a| a.ephemeral)
}

/// The object as state may hold it: ephemeral attributes null.
fn without_ephemeral(v: &Value, schema: &ResourceSchema) -> Value {
    match v.unmarked() {
        Value::Map(m) if has_ephemeral(schema) => {
            let mut m = m.clone();
            for (name, attr) in &schema.block.attributes {
                if attr.ephemeral && m.contains_key(name) {
                    m.insert(name.clone(), Value::Null);
                }
            }
            Value::Map(m).mark_if(v.is_sensitive())
        }
        _ => v.clone(),
    }
}

pub fn mark_sensitive(v: Value, schema: &ResourceSchema) -> Value {
    match v {
        Value::Map(mut m) => {
            for (name, attr) in &schema.block.attributes {
                if attr.sensitive {
                    if let Some(x) = m.remove(name) {
                        m.insert(name.clone(), x.into_sensitive());
                    }
                }
            }
            Value::Map(m)
        }
        other => other,
    }
}

/// The first path where a known value of the saved plan differs from the final plan.
fn inconsistent(saved: &Value, fin: &Value) -> Option<AttrPath> {
    fn go(a: &Value, b: &Value, path: &mut AttrPath) -> Option<AttrPath> {
        match (a, b) {
            (Value::Unknown, _) => None,
            (Value::Map(x), Value::Map(y)) => {
                for (k, v) in x {
                    path.0.push(iac_core::PathStep::Attr(k.clone()));
                    let r = go(v, y.get(k).unwrap_or(&Value::Null), path);
                    path.0.pop();
                    if r.is_some() {
                        return r;
                    }
                }
                None
            }
            (Value::List(x), Value::List(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    path.0.push(iac_core::PathStep::Index(i));
                    let r = go(p, q, path);
                    path.0.pop();
                    if r.is_some() {
                        return r;
                    }
                }
                None
            }
            (a, b) if a == b => None,
            _ => Some(path.clone()),
        }
    }
    go(saved, fin, &mut AttrPath::root())
}

fn set_path(v: Value, steps: &[iac_core::PathStep], new: Value) -> Value {
    let Some((first, rest)) = steps.split_first() else { return new };
    match (first, v) {
        (iac_core::PathStep::Attr(k) | iac_core::PathStep::Key(k), Value::Map(mut m)) => {
            let child = m.remove(k).unwrap_or(Value::Null);
            m.insert(k.clone(), set_path(child, rest, new));
            Value::Map(m)
        }
        (iac_core::PathStep::Index(i), Value::List(mut l)) if *i < l.len() => {
            let child = std::mem::take(&mut l[*i]);
            l[*i] = set_path(child, rest, new);
            Value::List(l)
        }
        (_, other) => other,
    }
}

/// Expands count / for_each into repetitions.
pub fn expand(
    ev: &Evaluator,
    count: Option<&iac_lang::config::Expr>,
    for_each: Option<&iac_lang::config::Expr>,
    lenient: bool,
) -> Result<(Shape, Vec<Repetition>), Diagnostic> {
    if lenient {
        for e in count.iter().chain(for_each.iter()) {
            if !ev.eval(&e.expr)?.is_wholly_known() {
                let shape = if count.is_some() { Shape::Counted } else { Shape::ForEach };
                return Ok((shape, vec![Repetition::Unknown]));
            }
        }
    }
    if let Some(c) = count {
        let v = ev.eval(&c.expr)?;
        return match v.unmarked() {
            Value::Unknown => Err(Diagnostic::error("count depends on values known only after apply", Some(c.span()))
                .with_detail("use -target to create what it depends on first, or compute count from known values")),
            Value::Number(n) if *n >= 0.0 && n.fract() == 0.0 => Ok((Shape::Counted, (0..*n as i64).map(Repetition::Count).collect())),
            other => Err(Diagnostic::error(format!("count must be a whole number ≥ 0, got {other}"), Some(c.span()))),
        };
    }
    if let Some(f) = for_each {
        let v = ev.eval(&f.expr)?;
        if v.contains_sensitive() {
            return Err(Diagnostic::error("for_each cannot use sensitive values (the instance keys would reveal them)", Some(f.span())));
        }
        return match v {
            Value::Map(m) => Ok((Shape::ForEach, m.into_iter().map(|(k, v)| Repetition::Each(k, v)).collect())),
            Value::List(items) => {
                let mut reps = Vec::with_capacity(items.len());
                let mut seen = HashSet::new();
                for i in items {
                    match i {
                        Value::String(s) => {
                            if seen.insert(s.clone()) {
                                reps.push(Repetition::Each(s.clone(), Value::String(s)));
                            }
                        }
                        Value::Unknown => return Err(unknown_keys(f)),
                        other => return Err(Diagnostic::error(format!("for_each over a set needs strings, got a {}", other.type_name()), Some(f.span()))),
                    }
                }
                reps.sort_by(|a, b| format!("{:?}", a.key()).cmp(&format!("{:?}", b.key())));
                Ok((Shape::ForEach, reps))
            }
            Value::Unknown => Err(unknown_keys(f)),
            Value::Null => Err(Diagnostic::error("for_each must not be null", Some(f.span()))),
            other => Err(Diagnostic::error(format!("for_each needs a map or a set of strings, got a {}", other.type_name()), Some(f.span()))),
        };
    }
    Ok((Shape::Single, vec![Repetition::None]))
}

fn unknown_keys(f: &iac_lang::config::Expr) -> Diagnostic {
    Diagnostic::error("for_each keys depend on values known only after apply", Some(f.span()))
        .with_detail("the instance keys must be known at plan time; use values from variables or data, or apply the dependencies first with -target")
}

/// Resource nodes to plan under -target: the targets and everything they depend on.
fn targeted(g: &ConfigGraph, targets: &[Target]) -> HashSet<usize> {
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

#[cfg(test)]
mod tests {
    use super::computed_only;
    use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting, ResourceSchema};
    use iac_core::{AttrPath, PathStep};

    #[test]
    fn computed_only_attributes_are_found_inside_nested_blocks() {
        let pool = Block::default()
            .attr("name", Attribute::required(AttrType::String))
            .attr("node_count", Attribute::optional_computed(AttrType::Number))
            .attr("nodes", Attribute::computed(AttrType::List(Box::new(AttrType::String))));
        let schema = ResourceSchema {
            version: 0,
            block: Block::default()
                .attr("status", Attribute::computed(AttrType::String))
                .attr("name", Attribute::required(AttrType::String))
                .block("node_pool", NestedBlock { nesting: Nesting::List, block: pool.clone(), min_items: 1, max_items: Some(1), force_new: false })
                .block("single", NestedBlock { nesting: Nesting::Single, block: pool, min_items: 0, max_items: None, force_new: false }),
        };
        let path = |steps: &[PathStep]| AttrPath(steps.to_vec());
        let attr = |s: &str| PathStep::Attr(s.into());
        for (p, want) in [
            (path(&[attr("status")]), true),
            (path(&[attr("name")]), false),
            (path(&[attr("node_pool"), PathStep::Index(0), attr("nodes"), PathStep::Index(2)]), true),
            (path(&[attr("node_pool"), PathStep::Index(0), attr("node_count")]), false),
            (path(&[attr("node_pool"), PathStep::Index(0), attr("name")]), false),
            // A pool added or removed is a change of the block itself.
            (path(&[attr("node_pool")]), false),
            (path(&[attr("single"), attr("nodes")]), true),
            (path(&[attr("unknown")]), false),
        ] {
            assert_eq!(computed_only(&schema, &p), want, "{p}");
        }
    }
}
