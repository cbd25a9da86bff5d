//! `plan`: under the state lock, the state is loaded, moved blocks applied,
//! the configuration walked (`Phase::Plan`), and the plan built from the
//! walk's outcome: its changes, the deletes of orphans, output changes,
//! drift, and what the plan records of the configuration.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use iac_core::address::InstanceAddr;
use iac_core::plan::{Action, Plan, PlanMode, PLAN_FORMAT_VERSION};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::vars::CliVar;

use super::moves::apply_moves;
use super::{context, load, root_vars, Env, Loaded, RootVars};
use crate::error::EngineError;
use crate::run::{output_changes, plan_deletes, DeleteScope, Phase, Run, RunOptions, RunSetup};
use crate::statemgr;

pub struct PlanRequest {
    pub vars: Vec<CliVar>,
    pub run: RunOptions,
}

pub struct PlanOutcome {
    pub plan: Plan,
    pub warnings: Vec<Diagnostic>,
}

/// Makes a plan. Holds the state lock while it runs.
pub async fn plan(dir: &Path, env: &Env, req: PlanRequest) -> Result<PlanOutcome, EngineError> {
    let loaded = load(dir, &env.registry).map_err(|(e, _)| e)?;
    plan_loaded(&loaded, env, req).await
}

pub async fn plan_loaded(loaded: &Loaded, env: &Env, req: PlanRequest) -> Result<PlanOutcome, EngineError> {
    plan_keeping_providers(loaded, env, req).await.map(|(o, _)| o)
}

/// The providers a plan configured, for what follows it (listing unmanaged objects).
pub(super) type Configured = Vec<(crate::providers::ProviderKey, Arc<dyn iac_core::provider::Provider>)>;

pub(super) async fn plan_keeping_providers(loaded: &Loaded, env: &Env, req: PlanRequest) -> Result<(PlanOutcome, Configured), EngineError> {
    let (vars, var_warnings) = root_vars(loaded, &req.vars, env)?;
    let lock_info = statemgr::lock(env.backend.as_ref(), "plan", env.lock_timeout, &env.lock_wait, env.events.as_ref()).await?;
    // A refresh-only plan (drift) is the refresh phase alone.
    let span = if req.run.mode == PlanMode::RefreshOnly { tracing::info_span!("refresh") } else { tracing::info_span!("plan", mode = ?req.run.mode) };
    let result = tracing::Instrument::instrument(plan_locked(loaded, env, req, vars), span).await;
    env.backend.unlock(&lock_info.id).await?;
    result.map(|(mut outcome, configured)| {
        outcome.warnings.extend(var_warnings);
        (outcome, configured)
    })
}

pub(super) async fn plan_locked(loaded: &Loaded, env: &Env, req: PlanRequest, vars: RootVars) -> Result<(PlanOutcome, Configured), EngineError> {
    let mut current = statemgr::load(env.backend.as_ref()).await?;
    let RootVars { values: vars, spans: root_var_spans, unsuitable: root_var_errors, sources } = vars;
    // The walk's errors may point into variable files (a root variable's
    // failed validation rule names its value there): those go with the
    // sources that hold them.
    let stack_files = loaded.stack.sources.files().count();
    let walk_errors = |diags: Vec<Diagnostic>| {
        if diags.iter().any(|d| d.span.as_ref().is_some_and(|s| s.file.0 as usize >= stack_files)) {
            EngineError::Variables { diags, sources: sources.clone() }
        } else {
            EngineError::Config(diags)
        }
    };
    if current.needs_fold {
        statemgr::snapshot(env.backend.as_ref(), &mut current.state, &current.pending).await?;
    }
    let (prior_lineage, prior_serial) = (current.state.lineage.clone(), current.state.serial);
    let mut working = current.state;
    let move_errors = iac_lang::moved::check_moved_blocks(&loaded.stack.root, &loaded.stack.sources);
    if !move_errors.is_empty() {
        return Err(EngineError::Config(move_errors));
    }
    let moved_from = apply_moves(&loaded.stack, &mut working);
    let mode = req.run.mode;
    let targets = req.run.targets.clone();
    let req_vars = req.vars;
    // plantimestamp() is the plan's own timestamp, as in Terraform.
    let plan_time = crate::time::now_rfc3339();
    // The run (and its value store, a second copy of every planned value)
    // is gone once the walk returns, before the plan is built.
    let outcome = Run::new(RunSetup {
        stack: loaded.stack.clone(),
        graph: loaded.graph.clone(),
        registry: env.registry.clone(),
        context: context(&loaded.stack),
        phase: Phase::Plan,
        opts: req.run,
        state: working,
        pending: current.pending,
        saved: Vec::new(),
        journal: None,
        root_vars: vars.clone(),
        root_var_spans,
        root_var_errors,
        plan_timestamp: Some(plan_time.clone()),
        cwd: env.cwd.clone(),
        cancel: env.cancel.clone(),
        events: None,
        moved_from: moved_from.clone(),
    })
    .walk()
    .await;
    if env.cancel.load(Ordering::SeqCst) {
        return Err(EngineError::Interrupted);
    }
    // Moves from keyed instances are checked once count and for_each are expanded, as Terraform does.
    let keyed_moves = iac_lang::moved::check_keyed_moves(&loaded.stack.root, &loaded.stack.sources, &outcome.module_instances, |a| outcome.seen.contains(a));
    if !keyed_moves.is_empty() {
        return Err(EngineError::Config(keyed_moves));
    }
    // A walk that failed leaves a plan, errored, as in Terraform (which
    // saves it and refuses to apply it), unless the configuration does not
    // validate: Terraform validates (asking providers too) before it plans
    // and stops there.
    let errored = outcome.diags.iter().any(Diagnostic::is_error);
    // A destroy plan checks the variables' validation rules in the refresh
    // before it, as Terraform's does (none without objects to refresh): what
    // that refresh finds wrong leaves no plan (Terraform's stops there).
    if errored && mode == PlanMode::Destroy && outcome.diags.iter().any(iac_lang::vars::is_validation_failure) {
        return Err(walk_errors(outcome.diags));
    }
    if errored && !outcome.diags.iter().filter(|d| d.is_error()).all(crate::run::is_resource_condition_failure) {
        let invalid = outcome.invalid_provider_configuration
            || outcome.diags.iter().any(crate::run::is_provider_validation_failure)
            || super::validate::validate(loaded, &env.registry, &env.cwd).await.iter().any(Diagnostic::is_error);
        if invalid {
            return Err(walk_errors(outcome.diags));
        }
    }
    // After the walk's errors: a resource that failed to evaluate saw no instances.
    let missing_imports = missing_import_targets(&loaded.stack, &outcome.seen, &targets);
    if !missing_imports.is_empty() {
        return Err(EngineError::Config(missing_imports));
    }
    // The walk's warnings (an interrupted create nobody could adopt) are the plan's too.
    let run_warnings = outcome.diags;
    let mut changes = outcome.changes;
    let mut refreshed = outcome.state;
    // The intents the walk left unresolved (recovery adopted the others, or
    // planned them again as creates): what the apply of this plan keeps pending.
    refreshed.pending = outcome.pending;
    let scope = DeleteScope {
        root: &loaded.stack.root,
        mode,
        targets: &targets,
        seen: &outcome.seen,
        module_instances: &outcome.module_instances,
        moved_from: &moved_from,
    };
    // An errored plan did not walk everything: what it did not see is no orphan.
    let deletes = if errored { Vec::new() } else { plan_deletes(&refreshed, &scope).map_err(EngineError::Config)? };
    let forgets: Vec<String> = deletes.iter().filter(|d| d.action == Action::Forget).map(|d| format!(" - {}", d.addr)).collect();
    let mut run_warnings = run_warnings;
    if !forgets.is_empty() {
        // Terraform's warning, so nobody mistakes a forget for a destroy.
        run_warnings.push(Diagnostic::warning("Some objects will no longer be managed by iac", None).with_detail(format!(
            "If you apply this plan, iac will discard its tracking information for the following objects, but it will not delete them:\n{}\n\nAfter applying this plan, iac will no longer manage these objects. You will need to import them to manage them again.",
            forgets.join("\n")
        )));
    }
    // One pass (not one per delete): a large destroy stays linear.
    if !deletes.is_empty() {
        let deleted: std::collections::HashSet<&InstanceAddr> = deletes.iter().filter(|d| d.deposed.is_none()).map(|d| &d.addr).collect();
        changes.retain(|c| !deleted.contains(&c.addr));
    }
    changes.extend(deletes);
    // Addresses (with deposed keys) are unique: an unstable sort is as good and needs no buffer.
    changes.sort_unstable_by(|a, b| a.addr.cmp(&b.addr).then_with(|| a.deposed.cmp(&b.deposed)));
    let outputs = output_changes(&outcome.root_outputs, &loaded.stack.root, &refreshed, mode);
    let apply_time_variables =
        iac_lang::vars::given_ephemeral_variables(&loaded.stack.root, &req_vars, &env.env_vars, &mut loaded.stack.sources.clone()).into_iter().collect();
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION.into(),
        mode,
        stack_digest: loaded.stack.digest(),
        prior_lineage,
        prior_serial,
        variables: vars.into_iter().filter(|(name, _)| !super::ephemeral_variable(&loaded.stack.root, name)).collect(),
        apply_time_variables,
        changes,
        outputs,
        drift: outcome.drift,
        prior_state: refreshed,
        targets: targets.iter().map(|t| t.to_string()).collect(),
        errored,
        timestamp: plan_time,
        provider_sources: iac_lang::tfconfig::provider_sources(&loaded.stack.root),
        configuration: Some(iac_lang::tfconfig::configuration(&loaded.stack.root, &|provider: &str, type_: &str| {
            env.registry.get(provider).and_then(|f| f.schema().resources.get(type_).map(|r| r.version)).unwrap_or(0)
        })),
        relevant_attributes: iac_lang::tfconfig::relevant_attributes(&loaded.stack.root, &outcome.module_instances),
        checks: outcome.checks,
    };
    let warnings = loaded.warnings.iter().cloned().chain(run_warnings).collect();
    if errored {
        return Err(EngineError::Errored { diags: warnings, plan: Box::new(plan), sources: Box::new(sources) });
    }
    Ok((PlanOutcome { plan, warnings }, outcome.configured))
}

/// Terraform's error for an import block (without for_each) whose target
/// the configuration does not declare: its resource is missing, or the
/// walk found no such instance of it (an index past its count). Under
/// -target only a missing resource is reported (the walk saw only targets).
fn missing_import_targets(
    stack: &iac_lang::load::Stack,
    seen: &std::collections::HashSet<InstanceAddr>,
    targets: &[iac_core::address::Target],
) -> Vec<Diagnostic> {
    stack
        .root
        .imports
        .iter()
        .filter(|i| i.for_each.is_none())
        .filter(|i| stack.root.resource(&i.to.resource.config()).is_none() || (targets.is_empty() && !seen.contains(&i.to)))
        .map(|i| {
            // Terraform's two wordings: no resource, or no such instance of it.
            let detail = if stack.root.resource(&i.to.resource.config()).is_none() {
                format!(
                    "The configuration for the given import target {} does not exist. Make sure the target resource exists within your configuration.",
                    i.to
                )
            } else {
                format!(
                    "The configuration for the given import {} does not exist. All target instances must have an associated configuration to be imported.",
                    i.to
                )
            };
            Diagnostic::error("Configuration for import target does not exist", Some(i.span.clone())).with_detail(detail)
        })
        .collect()
}
