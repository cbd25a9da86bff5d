//! The resource node: expands a resource (or data source) into its
//! instances in every instance of its module, evaluates each instance's
//! body against the schema, plans or applies the instances concurrently
//! ([`InstanceWork`] is what each gets), and stores the resource's whole
//! value (an object, a list for count, a map for for_each) for the
//! expressions that refer to it.

use std::sync::Arc;

use iac_core::address::{InstanceAddr, Mode, ResourceAddr};
use iac_core::plan::Action;
use iac_core::schema::ResourceSchema;
use iac_core::Value;
use iac_lang::body::BodyEval;
use iac_lang::config::Resource;
use iac_lang::eval::Evaluator;

use super::conditions::{as_warnings, failed_conditions, CheckableKey, ConditionKind};
use super::context::{lock, NodeResult, Run};
use super::expand::expand;
use super::object::not_finite;
use super::options::Phase;
use crate::graph::resource_of;
use crate::providers::{ProviderKey, Slot};
use crate::values::{InstanceScope, Repetition, Shape};

/// One instance to plan or apply, with its evaluated configuration.
pub struct InstanceWork<'a> {
    pub addr: InstanceAddr,
    pub res: &'a Resource,
    pub schema: &'a ResourceSchema,
    pub slot: &'a Slot,
    pub pkey: &'a ProviderKey,
    pub deps: Vec<ResourceAddr>,
    /// A data source while planning: the managed resource nodes whose
    /// pending changes defer its read to apply (`data_source::read_waits_for`).
    pub read_after: Arc<Vec<usize>>,
    pub config: Value,
    pub triggers: Option<Value>,
    /// Planned under -target (a target or a dependency of one).
    pub active: bool,
    /// Where the resource block's body opens: a plugin's error about the
    /// whole object is shown there, as Terraform shows it.
    pub body_start: Option<iac_lang::source::Span>,
}

impl Run {
    /// Whether an instance's conditions are checked in this phase: every
    /// instance while planning; at apply, those the plan changes or reads
    /// (the rest were checked by the plan) and every ephemeral one (opened
    /// again, as Terraform checks it again).
    fn checks_instance(&self, addr: &InstanceAddr) -> bool {
        match self.phase {
            Phase::Plan => true,
            Phase::Apply if addr.resource.mode == Mode::Ephemeral => true,
            Phase::Apply => self.saved.get(addr).is_some_and(|c| !matches!(c.action, Action::NoOp | Action::Delete | Action::Forget)),
        }
    }

    pub(super) async fn resource_node(self: Arc<Self>, idx: usize) -> NodeResult {
        let id = self.graph.nodes[idx].clone();
        let res = resource_of(&self.stack, &id).expect("resource node");
        let m = self.stack.root.descendant(&id.module).expect("module");
        let Some(pkey) = self.graph.resource_provider.get(&idx).cloned() else { return Err(()) };
        let factory = self.registry.get(&pkey.name).cloned().expect("checked in graph");
        let schema = match res.mode {
            Mode::Managed => factory.schema().resources.get(&res.type_),
            Mode::Data => factory.schema().data_sources.get(&res.type_),
            Mode::Ephemeral => factory.schema().ephemeral_resources.get(&res.type_),
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
        let read_after = Arc::new(if res.mode == Mode::Data && self.phase == Phase::Plan { self.read_waits_for(idx) } else { Vec::new() });
        let mut ok = true;
        // Ephemeral resources too, as Terraform 1.11: preconditions before
        // the open, postconditions on the opened value (unknown, and so
        // undecided, when the open waits for apply).
        let warn = self.warns_of_conditions();
        let conditions = self.checks_conditions() || warn;
        // This resource's results in the plan's checks and state's check_results.
        let checkable: CheckableKey = (m.call_path.to_string(), format!("{}{}.{}", res.mode.prefix(), res.type_, res.name));
        lock(&self.conditions).expanded(&checkable, true);
        for minst in self.values.instances(&id.module) {
            let raddr = ResourceAddr { module: minst.path.clone(), mode: res.mode, type_: res.type_.clone(), name: res.name.clone() };
            // Instances whose preconditions failed: not planned or applied.
            let mut refused = Vec::new();
            // Expand and evaluate every instance's configuration (synchronously, under one read lock).
            let evaluated = {
                let store = self.values.read();
                let scope =
                    InstanceScope { store: &store, module: &minst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                let ev = Evaluator::new(&scope, &m.dir, res.file);
                match expand(&ev, res.count.as_ref(), res.for_each.as_ref(), self.opts.validate_only) {
                    Err(d) => {
                        lock(&self.conditions).expanded(&checkable, false);
                        Err(vec![d])
                    }
                    Ok((shape, reps)) => {
                        {
                            let mut results = lock(&self.conditions);
                            if reps.contains(&Repetition::Unknown) {
                                results.expanded(&checkable, false);
                            }
                            reps.iter().for_each(|rep| results.instance(&checkable, &minst.path, rep.key()));
                        }
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
                                Some(Value::List(vs.into()))
                            };
                            if let Some(p) = config.as_ref().and_then(Value::non_finite_path) {
                                ds.push(not_finite(format!("argument {}", p.trim_start_matches('.')), Some(res.span.clone())));
                                continue;
                            }
                            if let (true, Some(c)) = (self.opts.validate_only, &config) {
                                // What the provider checks without being configured (Terraform's validate asks it too).
                                for (path, summary, detail) in factory.validate_offline(res.mode, &res.type_, c) {
                                    let span = iac_lang::path_span::path_span(&res.body, res.file, &path).unwrap_or_else(|| res.span.clone());
                                    ds.push(iac_lang::diagnostic::Diagnostic::error(summary, Some(span)).with_detail(detail));
                                }
                            }
                            if conditions && !res.lifecycle.preconditions.is_empty() && self.checks_instance(&raddr.instance(rep.key())) {
                                let found = failed_conditions(&scope, &m.dir, &res.lifecycle.preconditions, None, ConditionKind::ResourcePrecondition);
                                self.report_conditions(&checkable, &minst.path, rep.key(), &found);
                                if warn {
                                    as_warnings(found.diags).for_each(|d| self.diag(d));
                                } else if !found.diags.is_empty() {
                                    refused.push((raddr.instance(rep.key()), found.diags));
                                    continue;
                                }
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
            // Still instances of the configuration: never orphans.
            for (addr, failed) in refused {
                self.saw(addr);
                self.instance_diags(failed);
                ok = false;
            }
            let (shape, items) = match evaluated {
                Ok(x) => x,
                Err(ds) => {
                    self.instance_diags(ds);
                    ok = false;
                    continue;
                }
            };
            // Plan or apply each instance, concurrently.
            let mut set = tokio::task::JoinSet::new();
            for (n, (rep, config, triggers)) in items.into_iter().enumerate() {
                let addr = raddr.instance(rep.key());
                if res.mode != Mode::Ephemeral {
                    self.saw(addr.clone());
                }
                let me = self.clone();
                let schema = schema.clone();
                let slot = slot.clone();
                let pkey = pkey.clone();
                let deps = deps.clone();
                let read_after = read_after.clone();
                let parent = tracing::Span::current();
                set.spawn(tracing::Instrument::instrument(
                    async move {
                        // The node's own id, borrowed: no copy of its address per instance.
                        let res = resource_of(&me.stack, &me.graph.nodes[idx]).expect("resource");
                        let body_start = super::object::body_start(&me.stack.sources, &res.span);
                        let inst = InstanceWork {
                            addr: addr.clone(),
                            res,
                            schema: &schema,
                            slot: &slot,
                            pkey: &pkey,
                            deps,
                            read_after,
                            config,
                            triggers,
                            active,
                            body_start,
                        };
                        let r = match me.phase {
                            // Opened in both phases; never a change or an object.
                            _ if inst.res.mode == Mode::Ephemeral => me.open_ephemeral(inst).await,
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
            if self.opts.validate_only {
                // Validation knows no object's values, as Terraform's: each
                // attribute is unknown (its names still checked).
                for (_, _, v) in &mut results {
                    *v = attributes_unknown(std::mem::take(v));
                }
            }
            // Postconditions on `self`: the planned (or read) object, after
            // apply the new one, already in state.
            if conditions && !res.lifecycle.postconditions.is_empty() {
                let failed: Vec<_> = {
                    let store = self.values.read();
                    results
                        .iter()
                        .filter(|r| self.checks_instance(&raddr.instance(r.1.key())))
                        .flat_map(|(_, rep, v)| {
                            let scope =
                                InstanceScope { store: &store, module: &minst.path, repetition: rep, module_dir: &m.dir, root_dir: &self.values.root_dir };
                            let found = failed_conditions(&scope, &m.dir, &res.lifecycle.postconditions, Some(v), ConditionKind::ResourcePostcondition);
                            self.report_conditions(&checkable, &minst.path, rep.key(), &found);
                            found.diags
                        })
                        .collect()
                };
                if warn {
                    as_warnings(failed).for_each(|d| self.diag(d));
                } else {
                    ok &= failed.is_empty();
                    failed.into_iter().for_each(|d| self.diag(d));
                }
            }
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
            self.values.write().resources.insert(raddr, whole);
        }
        ok.then_some(()).ok_or(())
    }
}

/// An object whose every attribute is unknown (validation's view of a
/// planned object); anything else is unknown as a whole.
fn attributes_unknown(v: Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(m.into_keys().map(|k| (k, Value::Unknown)).collect()),
        Value::Sensitive(inner) => Value::Sensitive(Box::new(attributes_unknown(*inner))),
        _ => Value::Unknown,
    }
}
