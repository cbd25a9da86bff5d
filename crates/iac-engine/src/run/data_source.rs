//! Data sources: read while planning when their configuration is wholly
//! known, their provider configured and nothing they wait for has a change
//! pending (the value enters state with its ephemeral attributes nulled),
//! else planned as a read at apply, after what they wait for was applied:
//! `read_because_config_unknown`, or `read_because_dependency_pending`.
//! One scoped to a `check` block and read while planning is planned as a
//! read at apply all the same (`read_because_check_nested`, its value the
//! one read, or the planned object when the read failed), as Terraform
//! reads it again there for the check.
//! What a data source waits for is Terraform 1.11's set
//! ([`Run::read_waits_for`]): the managed resources its configuration
//! names directly, what its `depends_on` names (through a variable, a local
//! or a module: everything upstream of it too), the same for the
//! `depends_on` of every module call it is inside, or, when it has
//! preconditions or postconditions, every managed resource upstream of it.

use std::collections::BTreeSet;

use iac_core::address::Mode;
use iac_core::plan::{default_plan, reason, Action, PlanMode, ResourceChange};
use iac_core::provider::{Provider, ReadDataRequest};
use iac_core::state::InstanceState;
use iac_core::{AttrPath, Value};
use iac_lang::diagnostic::Diagnostic;

use super::context::{lock, Run};
use super::object::{mark_sensitive, provider_error, without_ephemeral};
use super::resource_node::InstanceWork;
use crate::graph::{resource_of, ConfigGraph, NodeKind};

/// Reads a data source whose configuration is wholly known: the value with
/// its schema's sensitive attributes and the configuration's marks.
pub(super) async fn read_data_source(w: &InstanceWork<'_>, p: &dyn Provider, config: Value, marks: &[AttrPath]) -> Result<Value, Diagnostic> {
    let v = p.read_data(ReadDataRequest { type_: w.res.type_.clone(), addr: w.addr.clone(), config }).await.map_err(|e| provider_error(w, "reading", &e))?;
    Ok(mark_sensitive(v.unmark_deep().0, w.schema).mark_paths(marks))
}

/// The managed resource nodes `starts` depend on, directly or not.
fn managed_upstream(g: &ConfigGraph, starts: impl IntoIterator<Item = usize>, out: &mut BTreeSet<usize>) {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = starts.into_iter().flat_map(|s| g.deps[s].iter().copied()).collect();
    while let Some(n) = stack.pop() {
        if seen.insert(n) {
            out.insert(n);
            stack.extend(g.deps[n].iter().copied());
        }
    }
}

/// Whether a planned action means the object will change at apply: anything
/// but no change (an import that changes nothing included) or a read.
fn changes_at_apply(a: Action) -> bool {
    !matches!(a, Action::NoOp | Action::Import | Action::Read)
}

impl Run {
    /// The managed resource nodes whose pending changes defer the read of
    /// data source node `idx` to apply (see the module's documentation).
    /// All of them are upstream of it in the graph, so their changes are
    /// recorded before it is planned.
    pub(super) fn read_waits_for(&self, idx: usize) -> Vec<usize> {
        let g = &self.graph;
        let mut out = BTreeSet::new();
        let named = |out: &mut BTreeSet<usize>, node: usize| {
            for t in g.depends_on.get(&node).into_iter().flatten() {
                out.insert(t.node);
                if t.upstream {
                    managed_upstream(g, [t.node], out);
                }
            }
        };
        let has_conditions =
            resource_of(&self.stack, &g.nodes[idx]).is_some_and(|r| !r.lifecycle.preconditions.is_empty() || !r.lifecycle.postconditions.is_empty());
        if has_conditions {
            // An upstream change may be what makes a condition hold.
            managed_upstream(g, [idx], &mut out);
        } else {
            named(&mut out, idx);
            out.extend(g.data_managed_refs.get(&idx).into_iter().flatten().copied());
            let mut module = g.nodes[idx].module.clone();
            while let Some((parent, name)) = module.parent() {
                if let Some(call) = g.id(&parent, NodeKind::ModuleCall(name.to_string())) {
                    let mut of_call = BTreeSet::new();
                    named(&mut of_call, call);
                    // A module's depends_on waits for everything upstream of what it names.
                    managed_upstream(g, of_call.iter().copied(), &mut out);
                    out.extend(of_call);
                }
                module = parent;
            }
        }
        out.into_iter().filter(|&n| n != idx && matches!(&g.nodes[n].kind, NodeKind::Resource(k) if k.mode == Mode::Managed)).collect()
    }

    /// Whether something the data source waits for has a planned change.
    /// Changes of other instances of the data source's own module do not
    /// count: a reference takes effect within one module instance.
    fn dependency_pending(&self, w: &InstanceWork<'_>) -> bool {
        if w.read_after.is_empty() {
            return false;
        }
        let own_module = &w.addr.resource.module;
        let own_config = own_module.config_path();
        let found = lock(&self.found);
        w.read_after.iter().any(|&n| {
            let id = &self.graph.nodes[n];
            let NodeKind::Resource(k) = &id.kind else { return false };
            found.changes.iter().any(|c| {
                let r = &c.addr.resource;
                changes_at_apply(c.action)
                    && r.mode == k.mode
                    && r.type_ == k.type_
                    && r.name == k.name
                    && r.module.config_path() == id.module
                    && (id.module != own_config || &r.module == own_module)
            })
        })
    }

    pub(super) async fn plan_data(&self, w: &InstanceWork<'_>, provider: Option<&dyn Provider>) -> Result<Value, Diagnostic> {
        let addr = &w.addr;
        let (config, marks) = w.config.clone().unmark_deep();
        let known = config.is_wholly_known();
        let pending = known && self.dependency_pending(w);
        match provider {
            Some(p) if known && !pending => {
                let read = read_data_source(w, p, config.clone(), &marks).await;
                if w.res.check.is_some() && self.opts.mode == PlanMode::Normal {
                    let after = match &read {
                        Ok(v) => without_ephemeral(v.clone(), w.schema),
                        Err(_) => self.planned_read(w, &config, &marks),
                    };
                    self.record_change(self.read_change(w, after, reason::READ_CHECK_NESTED));
                }
                let v = read?;
                let mut inst = InstanceState::from_value(w.pkey.addr(), without_ephemeral(v.clone(), w.schema));
                inst.dependencies = w.deps.clone();
                lock(&self.objects).state.resources.insert(addr.clone(), inst);
                Ok(v)
            }
            _ => {
                // Terraform names the more specific reason when both hold.
                let why = if pending { reason::READ_DEPENDENCY_PENDING } else { reason::READ_CONFIG_UNKNOWN };
                let after = self.planned_read(w, &config, &marks);
                self.record_change(self.read_change(w, after.clone(), why));
                Ok(after)
            }
        }
    }

    /// A read's planned object, as Terraform plans it: the configuration's
    /// values, computed attributes it leaves null unknown until the read.
    fn planned_read(&self, w: &InstanceWork<'_>, config: &Value, marks: &[AttrPath]) -> Value {
        let planned = without_ephemeral(default_plan(w.schema, None, config).planned, w.schema);
        mark_sensitive(planned, w.schema).mark_paths(marks)
    }

    /// The planned read of a data source at apply, for `why`.
    fn read_change(&self, w: &InstanceWork<'_>, after: Value, why: &str) -> ResourceChange {
        ResourceChange {
            addr: w.addr.clone(),
            prev_addr: None,
            provider: w.pkey.addr(),
            action: Action::Read,
            before: Value::Null,
            after,
            replace_paths: Vec::new(),
            reason: Some(why.into()),
            create_before_destroy: false,
            private: None,
            dependencies: w.deps.clone(),
            import_id: None,
            deposed: None,
        }
    }
}
