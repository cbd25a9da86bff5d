//! `apply`: a saved plan carried out exactly, under the state lock, or a
//! plan made and applied under one hold of the lock (`plan_and_apply`).
//! The plan is refused if the stack or the state changed since it was made;
//! the state it starts from is made durable, the journal writer started,
//! the configuration walked again (`Phase::Apply`, deletes after), and the
//! journal folded into a snapshot.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::Ordering;

use iac_core::address::{Mode, Target};
use iac_core::plan::{Action, Plan, PlanMode};
use iac_core::state::State;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::vars::CliVar;

use super::plan::{plan_locked, PlanOutcome, PlanRequest};
use super::{context, load, root_vars, Env, Loaded};
use crate::error::EngineError;
use crate::run::{output_states, Phase, Run, RunOptions, RunSetup};
use crate::statemgr;

#[derive(Debug)]
pub struct ApplyOutcome {
    pub state: State,
    pub outputs: iac_core::ValueMap,
    pub counts: BTreeMap<&'static str, usize>,
    /// The walk's warnings (failed `check` assertions among them).
    pub warnings: Vec<Diagnostic>,
}

/// Applies a saved plan exactly; refuses it if the state or the stack changed.
pub async fn apply(dir: &Path, env: &Env, plan: Plan, parallelism: usize) -> Result<ApplyOutcome, EngineError> {
    let loaded = load(dir, &env.registry).map_err(|(e, _)| e)?;
    apply_loaded(&loaded, env, plan, parallelism).await
}

pub async fn apply_loaded(loaded: &Loaded, env: &Env, plan: Plan, parallelism: usize) -> Result<ApplyOutcome, EngineError> {
    apply_loaded_with_vars(loaded, env, plan, &[], parallelism).await
}

/// [`apply_loaded`], with the `-var` and `-var-file` options of the apply:
/// a saved plan keeps no ephemeral variable's value, so the apply is given
/// them again (there, in the environment or in variables files).
pub async fn apply_loaded_with_vars(loaded: &Loaded, env: &Env, mut plan: Plan, vars: &[CliVar], parallelism: usize) -> Result<ApplyOutcome, EngineError> {
    supply_ephemeral_variables(loaded, env, &mut plan, vars)?;
    if plan.stack_digest != loaded.stack.digest() {
        return Err(EngineError::StalePlan("the stack's files changed since the plan was made; make a new plan".into()));
    }
    let lock_info = statemgr::lock(env.backend.as_ref(), "apply", env.lock_timeout, &env.lock_wait, env.events.as_ref()).await?;
    let result = tracing::Instrument::instrument(apply_locked(loaded, env, plan, parallelism), tracing::info_span!("apply")).await;
    let unlocked = env.backend.unlock(&lock_info.id).await;
    let out = result?;
    unlocked?;
    Ok(out)
}

/// `apply` without a saved plan: plans, asks `confirm` (which sees every
/// plan, one without changes too, so it can show it), and applies, all under
/// one hold of the state lock, as Terraform does, so that no other run can
/// change the state between the plan a person approved and the apply.
/// A plan without changes is applied whatever `confirm` says, as Terraform
/// applies it without asking: state takes the refreshed objects and this
/// run's check results and outputs (its serial moves only when that changed
/// anything, as [`apply`]'s). Ok(None) when `confirm` refused a plan with
/// changes.
pub async fn plan_and_apply(
    loaded: &Loaded,
    env: &Env,
    req: PlanRequest,
    parallelism: usize,
    confirm: impl FnOnce(&PlanOutcome) -> bool,
) -> Result<Option<ApplyOutcome>, EngineError> {
    let (vars, var_warnings) = root_vars(loaded, &req.vars, env)?;
    // The plan keeps no ephemeral variable; its apply here needs them.
    let ephemeral: Vec<(String, iac_core::Value)> =
        vars.values.iter().filter(|(name, _)| super::ephemeral_variable(&loaded.stack.root, name)).map(|(n, v)| (n.clone(), v.clone())).collect();
    let lock_info = statemgr::lock(env.backend.as_ref(), "apply", env.lock_timeout, &env.lock_wait, env.events.as_ref()).await?;
    let result = async {
        let span = tracing::info_span!("plan", mode = ?req.run.mode);
        let (mut outcome, _) = tracing::Instrument::instrument(plan_locked(loaded, env, req, vars), span).await?;
        outcome.plan.variables.extend(ephemeral);
        outcome.warnings.extend(var_warnings);
        // The apply evaluates the checks again and reports its own results.
        outcome.warnings.retain(|d| !crate::run::is_assertion_result(d, &loaded.stack));
        if !confirm(&outcome) && outcome.plan.has_changes() {
            return Ok(None);
        }
        tracing::Instrument::instrument(apply_locked(loaded, env, outcome.plan, parallelism), tracing::info_span!("apply")).await.map(Some)
    }
    .await;
    let unlocked = env.backend.unlock(&lock_info.id).await;
    let out = result?;
    unlocked?;
    Ok(out)
}

async fn apply_locked(loaded: &Loaded, env: &Env, plan: Plan, parallelism: usize) -> Result<ApplyOutcome, EngineError> {
    if plan.errored {
        // Terraform's words.
        return Err(EngineError::Config(vec![
            Diagnostic::error("Cannot apply incomplete plan", None).with_detail("iac encountered an error when generating this plan, so it cannot be applied.")
        ]));
    }
    let mut current = statemgr::load(env.backend.as_ref()).await?;
    let stored = (current.exists && !current.needs_fold).then(|| (current.state.clone(), current.pending.clone()));
    if !current.exists && plan.prior_serial == 0 && current.state.is_empty() {
        // No state yet, then or now: the plan's lineage becomes the state's.
        current.state.lineage = plan.prior_lineage.clone();
    }
    if current.state.lineage != plan.prior_lineage || current.state.serial != plan.prior_serial {
        return Err(EngineError::StalePlan(format!(
            "the state changed since the plan was made (plan: lineage {} serial {}, now: lineage {} serial {}); make a new plan",
            plan.prior_lineage, plan.prior_serial, current.state.lineage, current.state.serial
        )));
    }
    // Intents the plan resolved (objects its recovery adopted, or planned again as creates) are done.
    current.pending.retain(|p| plan.prior_state.pending.iter().any(|q| q.addr == p.addr));
    // Start from the plan's view of the prior state (refreshed, moved, imported), made durable first.
    let mut base = plan.prior_state.clone();
    base.lineage = current.state.lineage.clone();
    base.serial = current.state.serial;
    // Data sources read at plan time stay; objects adopted by recovery are in base already.
    // Without a snapshot the lineage exists only in memory, and a journal whose
    // Begin names it would not be replayed after a crash: write one first.
    if base.resources != current.state.resources || base.deposed != current.state.deposed || current.needs_fold || !current.exists {
        statemgr::snapshot(env.backend.as_ref(), &mut base, &current.pending).await?;
    }
    let (journal, writer) = statemgr::Journal::start(env.backend.clone(), base.lineage.clone(), base.serial);
    let mut counts = BTreeMap::new();
    for c in &plan.changes {
        if matches!(c.action, Action::NoOp | Action::Read) {
            continue;
        }
        let k = c.action.done();
        *counts.entry(k).or_insert(0) += 1;
    }
    let targets: Vec<Target> = plan.targets.iter().filter_map(|t| t.parse().ok()).collect();
    let outcome = Run::new(RunSetup {
        stack: loaded.stack.clone(),
        graph: loaded.graph.clone(),
        registry: env.registry.clone(),
        context: context(&loaded.stack),
        phase: Phase::Apply,
        opts: RunOptions { mode: plan.mode, refresh: false, targets, replace: Vec::new(), parallelism, ..RunOptions::default() },
        state: base,
        pending: std::mem::take(&mut current.pending),
        saved: plan.changes,
        journal: Some(journal.clone()),
        root_vars: plan.variables,
        // Where the plan's values came from is not kept: errors name the declarations.
        root_var_spans: Default::default(),
        root_var_errors: Default::default(),
        // A saved plan applied later (another process) sees the plan's plantimestamp().
        plan_timestamp: (!plan.timestamp.is_empty()).then_some(plan.timestamp),
        cwd: env.cwd.clone(),
        cancel: env.cancel.clone(),
        events: env.events.clone(),
        moved_from: HashMap::new(),
    })
    .carrying_checks(&plan.checks)
    .walk()
    .await;
    let mut failures = outcome.diags;
    let outputs = if plan.mode == PlanMode::Destroy { BTreeMap::new() } else { output_states(&outcome.root_outputs, &loaded.stack.root) };
    let mut state = outcome.state;
    state.outputs = outputs.clone();
    // As Terraform: the checks' results at this apply stay in state.
    state.check_results = outcome.checks;
    if plan.mode == PlanMode::Destroy {
        // As in Terraform, a destroyed stack leaves an empty state: data
        // sources go too (any later run reads them again).
        state.resources.retain(|addr, _| addr.resource.mode != Mode::Data);
    }
    let (pending, root_outputs) = (outcome.pending, outcome.root_outputs);
    // Terraform writes state after every apply, one without changes too,
    // but moves its serial only when the state differs from the one it
    // read (statemgr.Filesystem): a state that is the stored one, check
    // results and outputs included, is left as it is.
    let unchanged = stored.is_some_and(|(before, before_pending)| {
        before_pending == pending && State { serial: before.serial, pending: before.pending.clone(), ..state.clone() } == before
    });
    if !unchanged {
        // Outputs, then fold the journal into a snapshot.
        if let Err(e) = journal.record(&iac_core::journal::JournalEntry::Outputs { outputs }).await {
            failures.push(Diagnostic::error(format!("state could not be saved: {e}"), None));
        }
    }
    // Records are written in order, so once the Outputs record is acknowledged
    // every earlier one is durable too: the writer has nothing left to do.
    drop(journal);
    writer.abort();
    if !unchanged {
        statemgr::snapshot(env.backend.as_ref(), &mut state, &pending).await?;
    }
    if env.cancel.load(Ordering::SeqCst) {
        return Err(EngineError::Interrupted);
    }
    if failures.iter().any(Diagnostic::is_error) {
        return Err(EngineError::Failed(failures));
    }
    Ok(ApplyOutcome { state, outputs: root_outputs, counts, warnings: failures })
}

/// Puts the ephemeral root variables' values into a saved plan, from the
/// apply's options, environment and variables files (defaults otherwise).
/// One given a value when the plan was made and not now is Terraform's error.
fn supply_ephemeral_variables(loaded: &Loaded, env: &Env, plan: &mut Plan, vars: &[CliVar]) -> Result<(), EngineError> {
    let root = &loaded.stack.root;
    if !root.variables.values().any(|v| v.ephemeral) {
        return Ok(());
    }
    let mut sources = loaded.stack.sources.clone();
    let mut diags = iac_lang::diagnostic::Diagnostics::default();
    let (values, given) = iac_lang::vars::ephemeral_root_variables(root, vars, &env.env_vars, &mut sources, &mut diags);
    let missing: Vec<Diagnostic> = plan
        .apply_time_variables
        .iter()
        .filter(|name| !given.contains(name.as_str()))
        .map(|name| {
            Diagnostic::error("No value for required variable", None)
                .with_detail(format!("The ephemeral input variable {name:?} was set during the plan phase, and so must also be set during the apply phase."))
        })
        .collect();
    if !missing.is_empty() {
        return Err(EngineError::Config(missing));
    }
    if diags.has_errors() {
        return Err(EngineError::Config(diags.0));
    }
    plan.variables.extend(values);
    Ok(())
}
