//! Applying one instance of the saved plan: the configuration is evaluated
//! again (upstream values are known now), the provider plans once more and
//! the final plan must agree with the saved one on every value that was
//! known; then an intent is journaled, the provider called, and the result
//! recorded (`Put`). A replacement deletes first unless
//! `create_before_destroy` (the walk's `destroy_first` node for the
//! instance has destroyed it already, in reverse dependency order; inline
//! here only when those nodes could not be added), which sets the prior object aside (deposes it)
//! and leaves its destroy to the delete walk, after everything that refers
//! to it has been updated (as in Terraform); a failed update keeps the
//! prior object.
//! Instances the plan leaves alone keep their object, with the dependencies
//! the configuration now gives them.

use std::time::Instant;

use iac_core::address::Mode;
use iac_core::journal::JournalEntry;
use iac_core::plan::{Action, ResourceChange};
use iac_core::provider::{ApplyChangeRequest, ApplyChangeResponse, ApplyFailure, PlanChangeRequest, Provider};
use iac_core::state::{InstanceState, InstanceStatus};
use iac_core::Value;
use iac_lang::config::IgnoreChanges;
use iac_lang::diagnostic::Diagnostic;

use super::context::{lock, Run};
use super::data_source::read_data_source;
use super::event::Event;
use super::object::{carry_config_marks, has_ephemeral, inconsistent, keep_ignored, mark_sensitive, merge_private, provider_error, without_ephemeral};
use super::resource_node::InstanceWork;
use crate::providers::Slot;

impl Run {
    pub(super) async fn apply_instance(&self, w: InstanceWork<'_>) -> Result<Value, Diagnostic> {
        let addr = w.addr.clone();
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let prior: Option<InstanceState> = self.object(&addr);
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
                    if let Some(inst) = lock(&self.objects).state.resources.get_mut(&addr) {
                        if inst.dependencies != w.deps {
                            inst.dependencies = w.deps.clone();
                        }
                    }
                }
                return Ok(prior.map(|p| p.value()).unwrap_or(Value::Unknown));
            }
        };
        // A destroy it waits for failed: nothing is applied (the error is
        // reported once, and the resource node fails, skipping what depends on it).
        if let Some(d) = self.destroy_failed(&addr, change.action == Action::Replace) {
            return Err(d);
        }
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
        // Its destroy-first replacement already destroyed the prior object:
        // what is left is a create (as Terraform reports it), planned with
        // the destroyed object as before.
        let destroyed = if change.action == Action::Replace && prior.is_none() { self.destroyed_first(&addr) } else { None };
        let shown = if destroyed.is_some() { Action::Create } else { change.action };
        let prior = prior.or(destroyed);
        let started = Instant::now();
        self.emit(Event::Start { addr: addr.clone(), action: shown, deposed: None });
        let span = tracing::info_span!("resource.apply", address = %addr, action = change.action.name(), provider = %w.pkey.name);
        let result = tracing::Instrument::instrument(self.execute(&w, &change, prior, provider.as_ref()), span).await;
        match &result {
            Ok(v) => {
                self.emit(Event::Done { addr: addr.clone(), action: shown, elapsed_ms: started.elapsed().as_millis(), id: super::event::ObjectLabel::id(v) })
            }
            Err(d) => self.emit(Event::Failed { addr: addr.clone(), action: shown, message: d.summary.clone() }),
        }
        result
    }

    async fn execute(&self, w: &InstanceWork<'_>, change: &ResourceChange, prior: Option<InstanceState>, p: &dyn Provider) -> Result<Value, Diagnostic> {
        let addr = &w.addr;
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let (config, marks) = w.config.clone().unmark_deep();
        if change.action == Action::Read {
            let v = read_data_source(w, p, config, &marks).await?;
            self.put(addr, InstanceState { dependencies: w.deps.clone(), ..InstanceState::from_value(w.pkey.addr(), without_ephemeral(v.clone(), w.schema)) })
                .await?;
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
            config = keep_ignored(config, &pr.attributes, paths);
        }
        let replacing = change.action == Action::Replace;
        let prior_for_plan = if replacing { None } else { prior.as_ref().map(|p| p.attributes.clone()) };
        let fin = p
            .plan_change(PlanChangeRequest {
                type_: w.res.type_.clone(),
                addr: addr.clone(),
                prior: prior_for_plan.clone(),
                config: config.clone(),
                private: prior.as_ref().and_then(|p| p.private.clone()),
            })
            .await
            .map_err(|e| provider_error(w, "planning", &e))?;
        let fin = iac_core::provider::PlanChangeResponse { planned: without_ephemeral(fin.planned, w.schema), ..fin };
        let planned_known = change.after.clone().unmark_deep().0;
        if let Some(path) = inconsistent(&planned_known, &fin.planned) {
            return Err(err(format!("the final plan differs from the saved plan at {path}; run plan again")));
        }
        let journal = self.journal.as_ref().expect("apply has a journal");
        if replacing && !change.create_before_destroy && self.object(addr).is_some() {
            if let Some(pr) = &prior {
                self.record(journal, JournalEntry::Intent { addr: addr.clone(), action: Action::Delete, provider: w.pkey.addr(), planned: Value::Null })
                    .await?;
                p.delete(iac_core::provider::DeleteRequest {
                    type_: w.res.type_.clone(),
                    addr: addr.clone(),
                    prior: pr.attributes.clone(),
                    private: pr.private.clone(),
                })
                .await
                .map_err(|e| err(format!("deleting for replacement failed: {e}")))?;
                self.remove(addr).await?;
            }
        }
        // Create before destroy: the prior object is set aside (journaled
        // first, so a crash from here on leaves it in state as deposed, for
        // the next plan to destroy) and destroyed after the walk.
        let deposed_key = if replacing && change.create_before_destroy && prior.is_some() { Some(self.depose(journal, addr).await?) } else { None };
        self.record(journal, JournalEntry::Intent { addr: addr.clone(), action: change.action, provider: w.pkey.addr(), planned: fin.planned.clone() }).await?;
        let applied = p
            .apply_object(ApplyChangeRequest {
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
            Err(ApplyFailure { error, partial }) => {
                let creating = change.action == Action::Create || replacing;
                match (partial, prior.clone()) {
                    // As in Terraform, what a failed apply left behind is
                    // stored: a created object tainted (the next plan
                    // replaces it), an updated one as it now is.
                    (Some(left), _) if left.new_state.is_wholly_known() && (creating || change.action == Action::Update) => {
                        let (mut inst, _) = self.applied_instance(w, left, &marks, change.create_before_destroy);
                        if creating {
                            inst.status = InstanceStatus::Tainted;
                        }
                        self.put(addr, inst).await?;
                    }
                    // As in Terraform, a failed update does not taint: the
                    // object still exists, and the next run's refresh reads
                    // what it became and plans the rest of the change.
                    // (Tainting would make a refused server-side apply
                    // delete and recreate a whole Argo CD install.) Writing
                    // the prior object resolves the journal intent.
                    (_, Some(pr)) if change.action == Action::Update => self.put(addr, pr).await?,
                    _ => {
                        self.record(journal, JournalEntry::Abandon { addr: addr.clone() }).await?;
                        // Nothing was created: the deposed object is current
                        // again, as Terraform restores it.
                        if let Some(key) = &deposed_key {
                            self.restore(journal, addr, key).await?;
                        }
                    }
                }
                return Err(provider_error(w, change.action.name(), &error));
            }
        };
        if !resp.new_state.is_wholly_known() {
            return Err(err("the provider returned unknown values after apply (a provider bug)".into()));
        }
        let (inst, value) = self.applied_instance(w, resp, &marks, change.create_before_destroy);
        self.put(addr, inst).await?;
        Ok(value)
    }

    /// The object an apply returned, as state keeps it: sensitive where the
    /// schema or the configuration says, with its dependencies and private data.
    fn applied_instance(
        &self,
        w: &InstanceWork<'_>,
        resp: ApplyChangeResponse,
        marks: &[iac_core::AttrPath],
        create_before_destroy: bool,
    ) -> (InstanceState, Value) {
        let value = carry_config_marks(mark_sensitive(without_ephemeral(resp.new_state, w.schema).unmark_deep().0, w.schema).mark_paths(marks), &w.config);
        let mut inst = InstanceState::from_value(w.pkey.addr(), value.clone());
        inst.dependencies = w.deps.clone();
        inst.create_before_destroy = create_before_destroy;
        inst.private = merge_private(resp.private, &w.triggers);
        (inst, value)
    }
}
