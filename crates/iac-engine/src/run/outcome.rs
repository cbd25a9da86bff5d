//! What a walk hands back. [`Run::walk`] runs the configuration walk (then,
//! planning, the refresh of deposed objects; applying, the delete walk after it, with the deposed objects whose
//! successors are in place) and returns a [`RunOutcome`] that
//! owns everything the walk produced: diagnostics, planned changes (their
//! values moved out of the value store), drift, the instances it saw, the
//! state and the intents still unresolved, the root outputs, the module
//! instances and the configured providers. `ops` builds plans and new
//! states from it; nothing reaches into a run once its walk is over.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use iac_core::address::{InstanceAddr, InstanceKey, ModulePath};
use iac_core::journal::PendingIntent;
use iac_core::plan::{Action, Drift, ResourceChange};
use iac_core::provider::Provider;
use iac_core::state::State;
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;

use super::context::{lock, Objects, Run};
use super::options::Phase;
use crate::providers::ProviderKey;

/// What the walk finds as it goes, gathered under one lock.
#[derive(Default)]
pub(crate) struct Found {
    pub diags: Vec<Diagnostic>,
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    /// Every instance the walk handled (the rest of state is orphaned).
    pub seen: HashSet<InstanceAddr>,
    /// The ephemeral resource instances opened, to close when the walk is over.
    pub ephemerals: Vec<super::ephemeral::OpenEphemeral>,
    /// Apply: the objects create-before-destroy replacements set aside (address, key).
    pub deposed: Vec<(InstanceAddr, String)>,
    /// [`RunOutcome::invalid_provider_configuration`].
    pub invalid_provider_configuration: bool,
}

pub struct RunOutcome {
    /// Errors and warnings of the configuration walk, then the failures of
    /// the delete walk.
    pub diags: Vec<Diagnostic>,
    /// Plan: the changes the walk planned (not yet the deletes of orphans),
    /// in the order they were planned.
    pub changes: Vec<ResourceChange>,
    /// Plan: what refreshing found changed outside iac, by address.
    pub drift: Vec<Drift>,
    pub seen: HashSet<InstanceAddr>,
    /// Plan: the prior state, refreshed. Apply: the new state.
    pub state: State,
    /// Intents no operation of this run resolved.
    pub pending: Vec<PendingIntent>,
    /// The root module's outputs.
    pub root_outputs: iac_core::ValueMap,
    /// Every module instance the walk expanded, sorted.
    pub module_instances: Vec<ModulePath>,
    /// The providers the walk configured.
    pub configured: Vec<(ProviderKey, Arc<dyn Provider>)>,
    /// The results of the `check` blocks, evaluated after the configuration
    /// walk, and of the custom conditions, as the walk found them.
    pub checks: Vec<iac_core::plan::CheckResult>,
    /// A provider refused its configuration by its own rules (hashicorp/aws
    /// an invalid ARN): Terraform's validate asks the provider the same and
    /// stops there, so such an error leaves no plan.
    pub invalid_provider_configuration: bool,
}

impl Run {
    /// Runs the walk: the configuration graph, then, applying and not
    /// interrupted, the saved plan's deletes. The run (and its value store)
    /// is gone when this returns.
    pub async fn walk(mut self) -> RunOutcome {
        let mut deletes = std::mem::take(&mut self.deletes);
        let extended = self.walk_deps(&mut deletes);
        let run = Arc::new(self);
        let outcomes = run.walk_graph(extended).await;
        if run.phase == Phase::Plan && run.opts.refresh && !run.opts.validate_only && !run.cancel.load(Ordering::SeqCst) {
            run.refresh_deposed().await;
        }
        let failed_checks = super::checks::downgrade_inside(&mut lock(&run.found).diags, &run.check_blocks());
        // As Terraform: checks run after plan and apply, never in validate
        // nor in a destroy.
        let mut checks = if run.cancel.load(Ordering::SeqCst) || run.opts.validate_only {
            Vec::new()
        } else if run.opts.mode == iac_core::plan::PlanMode::Destroy {
            run.unchecked_checks()
        } else {
            run.evaluate_checks(&failed_checks)
        };
        checks.extend(std::mem::take(&mut *lock(&run.conditions)).results());
        let (forgets, deletes): (Vec<_>, Vec<_>) = deletes.into_iter().partition(|c| c.action == Action::Forget);
        let delete_failures = if run.phase == Phase::Apply && !run.cancel.load(Ordering::SeqCst) {
            let mut deletes = deletes;
            deletes.extend(run.deposed_deletes(&outcomes));
            let mut failures = run.forget(&forgets).await;
            failures.extend(crate::delete_walk::run_deletes(&run, deletes).await);
            failures
        } else {
            Vec::new()
        };
        run.close_ephemerals().await;
        let mut found = std::mem::take(&mut *lock(&run.found));
        found.diags.extend(delete_failures);
        run.take_planned_values(&mut found.changes);
        // The walk finds drift in whatever order refreshes finish; reports list it by address.
        found.drift.sort_unstable_by(|a, b| a.addr.cmp(&b.addr));
        let Objects { state, pending } = std::mem::take(&mut *lock(&run.objects));
        let module_instances = {
            let store = run.values.read();
            let mut all: Vec<_> = store.module_instances.values().flatten().map(|i| i.path.clone()).collect();
            all.sort();
            all.dedup();
            all
        };
        RunOutcome {
            diags: found.diags,
            changes: found.changes,
            drift: found.drift,
            seen: found.seen,
            state,
            pending,
            root_outputs: run.root_outputs(),
            module_instances,
            configured: run.instances.configured(),
            checks,
            invalid_provider_configuration: found.invalid_provider_configuration,
        }
    }

    /// Moves each planned value out of the value store into its change
    /// (a read planned for apply has its planned value already). Called
    /// once the walk is over (nothing evaluates references any more):
    /// holding a second copy in the change doubled a large plan's memory.
    fn take_planned_values(&self, changes: &mut [ResourceChange]) {
        let mut store = self.values.write();
        for c in changes.iter_mut().filter(|c| c.action != Action::Read) {
            let Some(whole) = store.resources.get_mut(&c.addr.resource) else { continue };
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
