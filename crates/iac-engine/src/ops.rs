//! The operations the CLI commands are thin wrappers over: validate, plan,
//! apply (of a saved plan), drift (a refresh-only plan, with the cloud
//! objects no state knows), import, and state surgery. They take the
//! providers and the state backend as trait objects; the CLI picks them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use iac_core::address::{ConfigResourceAddr, InstanceAddr, LocalResourceAddr, Mode, Target};
use iac_core::backend::StateBackend;
use iac_core::plan::{Action, Plan, PlanMode, PLAN_FORMAT_VERSION};
use iac_core::provider::ProviderContext;
use iac_core::state::State;
use iac_core::Value;
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::load::{load_stack, Stack};
use iac_lang::source::SourceMap;
use iac_lang::vars::CliVar;

use crate::error::EngineError;
use crate::graph::{build, ConfigGraph};
use crate::providers::Registry;
use crate::run::{output_changes, output_states, plan_deletes, DeleteScope, EventSink, Phase, Run, RunOptions, RunSetup};
use crate::statemgr;

pub mod migrate;
pub use migrate::{migrate_state, Migrated};

/// A stack loaded and checked: configuration, graph, root variables.
pub struct Loaded {
    pub stack: Arc<Stack>,
    pub graph: Arc<ConfigGraph>,
    pub warnings: Vec<Diagnostic>,
}

/// What every operation needs besides its own options.
pub struct Env {
    pub registry: Registry,
    pub backend: Arc<dyn StateBackend>,
    pub lock_timeout: Duration,
    /// Who takes locks (user, machine, process), how a lock whose process
    /// has ended is told, and how often a wait for one is reported (through `events`).
    pub lock_wait: statemgr::LockWait,
    pub cancel: Arc<AtomicBool>,
    pub events: Option<EventSink>,
    /// Environment variables (for TF_VAR_ / IAC_VAR_), passed in so tests can control them.
    pub env_vars: Vec<(String, String)>,
    /// The working directory (`path.cwd`), passed in like the variables.
    pub cwd: PathBuf,
}

/// Loads and checks a stack. On errors, the diagnostics come back with the
/// sources so they can be rendered.
pub fn load(dir: &Path, registry: &Registry) -> Result<Loaded, (EngineError, SourceMap)> {
    let load_span = tracing::info_span!("load", stack = %dir.display()).entered();
    let (stack, mut diags) = load_stack(dir);
    drop(load_span);
    if let Some((req, span)) = &stack.root.required_version {
        if let Err(msg) = crate::version::check(req) {
            diags.push(Diagnostic::error(msg, Some(span.clone())));
        }
    }
    let (graph, gdiags) = tracing::info_span!("graph").in_scope(|| build(&stack, &|n| registry.has(n)));
    diags.extend(gdiags.0);
    diags.extend(crate::graph::unknown_types(&stack, &graph, registry));
    if diags.has_errors() {
        return Err((EngineError::Config(diags.0), stack.sources));
    }
    Ok(Loaded { stack: Arc::new(stack), graph: Arc::new(graph), warnings: diags.0 })
}

pub struct PlanRequest {
    pub vars: Vec<CliVar>,
    pub run: RunOptions,
}

pub struct PlanOutcome {
    pub plan: Plan,
    pub warnings: Vec<Diagnostic>,
}

fn context(stack: &Stack) -> ProviderContext {
    let dir = stack.root.dir.canonicalize().unwrap_or(stack.root.dir.clone());
    ProviderContext { stack_id: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "stack".into()), stack_dir: dir }
}

/// Root variable values, and the warnings about them (a value in a
/// variables file for a variable the stack does not declare).
fn root_vars(loaded: &Loaded, vars: &[CliVar], env: &Env) -> Result<(iac_core::ValueMap, Vec<Diagnostic>), EngineError> {
    let mut sources = loaded.stack.sources.clone();
    let mut diags = Diagnostics::default();
    let values = iac_lang::vars::root_variables(&loaded.stack.root, vars, &env.env_vars, &mut sources, &mut diags);
    for (name, v) in values.iter() {
        if let Some(p) = v.non_finite_path() {
            let span = loaded.stack.root.variables.get(name.as_str()).map(|var| var.span.clone());
            diags.push(crate::run::not_finite(format!("variable {name:?}{p}"), span));
        }
    }
    if diags.has_errors() {
        return Err(EngineError::Variables { diags: diags.0, sources });
    }
    // Warnings may point into variable files the stack's sources lack: they
    // keep their location in the text instead.
    let known_files = loaded.stack.sources.files().count();
    let warnings = diags
        .0
        .into_iter()
        .map(|mut d| {
            if let Some(span) = d.span.take_if(|s| s.file.0 as usize >= known_files) {
                d.summary = format!("{}: {}", sources.locate(&span), d.summary);
            }
            d
        })
        .collect();
    Ok((values, warnings))
}

/// Applies `moved` blocks to a state: returns new address → old address.
/// A block in a child module speaks of addresses inside that module, and
/// applies within every instance of it (`module.net["a"]`, `module.net["b"]`).
fn apply_moves(stack: &Stack, state: &mut State) -> HashMap<InstanceAddr, InstanceAddr> {
    let mut moved = HashMap::new();
    for module in stack.root.walk() {
        let call_path = &module.call_path;
        for m in &module.moved {
            // The module instances that hold state, each giving one absolute move.
            let mut prefixes: Vec<iac_core::address::ModulePath> = state
                .resources
                .keys()
                .filter(|a| a.resource.module.config_path().starts_with(call_path))
                .map(|a| iac_core::address::ModulePath(a.resource.module.0[..call_path.len()].to_vec()))
                .collect();
            prefixes.sort();
            prefixes.dedup();
            for prefix in prefixes {
                let (from, to) = (within(&prefix, &m.from), within(&prefix, &m.to));
                let olds: Vec<InstanceAddr> = state.resources.keys().filter(|a| from.contains(a)).cloned().collect();
                for old in olds {
                    let Some(new) = from.relocate(&to, &old) else { continue };
                    if state.resources.contains_key(&new) {
                        continue;
                    }
                    if let Some(inst) = state.resources.remove(&old) {
                        tracing::info!(from = %old, to = %new, "moved");
                        state.resources.insert(new.clone(), inst);
                        moved.insert(new, old);
                    }
                }
            }
        }
    }
    moved
}

/// A target written inside a module instance, made absolute.
fn within(prefix: &iac_core::address::ModulePath, t: &Target) -> Target {
    let join = |m: &iac_core::address::ModulePath| {
        let mut steps = prefix.0.clone();
        steps.extend(m.0.iter().cloned());
        iac_core::address::ModulePath(steps)
    };
    match t {
        Target::Module(m) => Target::Module(join(m)),
        Target::Resource(r) => Target::Resource(iac_core::address::ResourceAddr { module: join(&r.module), ..r.clone() }),
        Target::Instance(i) => Target::Instance(iac_core::address::InstanceAddr {
            resource: iac_core::address::ResourceAddr { module: join(&i.resource.module), ..i.resource.clone() },
            key: i.key.clone(),
        }),
    }
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
type Configured = Vec<(crate::providers::ProviderKey, Arc<dyn iac_core::provider::Provider>)>;

async fn plan_keeping_providers(loaded: &Loaded, env: &Env, req: PlanRequest) -> Result<(PlanOutcome, Configured), EngineError> {
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

async fn plan_locked(loaded: &Loaded, env: &Env, req: PlanRequest, vars: iac_core::ValueMap) -> Result<(PlanOutcome, Configured), EngineError> {
    let mut current = statemgr::load(env.backend.as_ref()).await?;
    if current.needs_fold {
        statemgr::snapshot(env.backend.as_ref(), &mut current.state, &current.pending).await?;
    }
    let (prior_lineage, prior_serial) = (current.state.lineage.clone(), current.state.serial);
    let mut working = current.state;
    let moved_from = apply_moves(&loaded.stack, &mut working);
    let mode = req.run.mode;
    let targets = req.run.targets.clone();
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
    if outcome.diags.iter().any(Diagnostic::is_error) {
        return Err(EngineError::Config(outcome.diags));
    }
    // The walk's warnings (an interrupted create nobody could adopt) are the plan's too.
    let run_warnings = outcome.diags;
    let mut changes = outcome.changes;
    let refreshed = outcome.state;
    let scope = DeleteScope {
        root: &loaded.stack.root,
        mode,
        targets: &targets,
        seen: &outcome.seen,
        module_instances: &outcome.module_instances,
        moved_from: &moved_from,
    };
    let deletes = plan_deletes(&refreshed, &scope).map_err(EngineError::Config)?;
    // One pass (not one per delete): a large destroy stays linear.
    if !deletes.is_empty() {
        let deleted: std::collections::HashSet<&InstanceAddr> = deletes.iter().map(|d| &d.addr).collect();
        changes.retain(|c| !deleted.contains(&c.addr));
    }
    changes.extend(deletes);
    // Addresses are unique: an unstable sort is as good and needs no buffer.
    changes.sort_unstable_by(|a, b| a.addr.cmp(&b.addr));
    let outputs = output_changes(&outcome.root_outputs, &refreshed, mode);
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION.into(),
        mode,
        stack_digest: loaded.stack.digest(),
        prior_lineage,
        prior_serial,
        variables: vars,
        changes,
        outputs,
        drift: outcome.drift,
        prior_state: refreshed,
        targets: targets.iter().map(|t| t.to_string()).collect(),
        errored: false,
        timestamp: plan_time,
        provider_sources: iac_lang::tfconfig::provider_sources(&loaded.stack.root),
        configuration: Some(iac_lang::tfconfig::configuration(&loaded.stack.root, &|provider: &str, type_: &str| {
            env.registry.get(provider).and_then(|f| f.schema().resources.get(type_).map(|r| r.version)).unwrap_or(0)
        })),
        relevant_attributes: iac_lang::tfconfig::relevant_attributes(&loaded.stack.root, &outcome.module_instances),
    };
    Ok((PlanOutcome { plan, warnings: loaded.warnings.iter().cloned().chain(run_warnings).collect() }, outcome.configured))
}

#[derive(Debug)]
pub struct ApplyOutcome {
    pub state: State,
    pub outputs: iac_core::ValueMap,
    pub counts: BTreeMap<&'static str, usize>,
}

/// Applies a saved plan exactly; refuses it if the state or the stack changed.
pub async fn apply(dir: &Path, env: &Env, plan: Plan, parallelism: usize) -> Result<ApplyOutcome, EngineError> {
    let loaded = load(dir, &env.registry).map_err(|(e, _)| e)?;
    apply_loaded(&loaded, env, plan, parallelism).await
}

pub async fn apply_loaded(loaded: &Loaded, env: &Env, plan: Plan, parallelism: usize) -> Result<ApplyOutcome, EngineError> {
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
/// Ok(None) when nothing was applied (no changes, or `confirm` said no).
pub async fn plan_and_apply(
    loaded: &Loaded,
    env: &Env,
    req: PlanRequest,
    parallelism: usize,
    confirm: impl FnOnce(&PlanOutcome) -> bool,
) -> Result<Option<ApplyOutcome>, EngineError> {
    let (vars, var_warnings) = root_vars(loaded, &req.vars, env)?;
    let lock_info = statemgr::lock(env.backend.as_ref(), "apply", env.lock_timeout, &env.lock_wait, env.events.as_ref()).await?;
    let result = async {
        let span = tracing::info_span!("plan", mode = ?req.run.mode);
        let (mut outcome, _) = tracing::Instrument::instrument(plan_locked(loaded, env, req, vars), span).await?;
        outcome.warnings.extend(var_warnings);
        if !confirm(&outcome) || !outcome.plan.has_changes() {
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
    let mut current = statemgr::load(env.backend.as_ref()).await?;
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
    // Start from the plan's view of the prior state (refreshed, moved, imported), made durable first.
    let mut base = plan.prior_state.clone();
    base.lineage = current.state.lineage.clone();
    base.serial = current.state.serial;
    // Data sources read at plan time stay; objects adopted by recovery are in base already.
    // Without a snapshot the lineage exists only in memory, and a journal whose
    // Begin names it would not be replayed after a crash: write one first.
    if base.resources != current.state.resources || current.needs_fold || !current.exists {
        statemgr::snapshot(env.backend.as_ref(), &mut base, &current.pending).await?;
    }
    let (journal, writer) = statemgr::Journal::start(env.backend.clone(), base.lineage.clone(), base.serial);
    let mut counts = BTreeMap::new();
    for c in &plan.changes {
        let k = match c.action {
            Action::Create => "added",
            Action::Update => "changed",
            Action::Replace => "replaced",
            Action::Delete => "destroyed",
            Action::Import => "imported",
            _ => continue,
        };
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
        // A saved plan applied later (another process) sees the plan's plantimestamp().
        plan_timestamp: (!plan.timestamp.is_empty()).then_some(plan.timestamp),
        cwd: env.cwd.clone(),
        cancel: env.cancel.clone(),
        events: env.events.clone(),
        moved_from: HashMap::new(),
    })
    .walk()
    .await;
    let mut failures = outcome.diags;
    // Outputs, then fold the journal into a snapshot.
    let outputs = if plan.mode == PlanMode::Destroy { BTreeMap::new() } else { output_states(&outcome.root_outputs) };
    if let Err(e) = journal.record(&iac_core::journal::JournalEntry::Outputs { outputs: outputs.clone() }).await {
        failures.push(Diagnostic::error(format!("state could not be saved: {e}"), None));
    }
    // Records are written in order, so once the Outputs record is acknowledged
    // every earlier one is durable too: the writer has nothing left to do.
    drop(journal);
    writer.abort();
    let mut state = outcome.state;
    state.outputs = outputs;
    if plan.mode == PlanMode::Destroy {
        // As in Terraform, a destroyed stack leaves an empty state: data
        // sources go too (any later run reads them again).
        state.resources.retain(|addr, _| addr.resource.mode != Mode::Data);
    }
    let (pending, root_outputs) = (outcome.pending, outcome.root_outputs);
    statemgr::snapshot(env.backend.as_ref(), &mut state, &pending).await?;
    if env.cancel.load(Ordering::SeqCst) {
        return Err(EngineError::Interrupted);
    }
    if failures.iter().any(Diagnostic::is_error) {
        return Err(EngineError::Failed(failures));
    }
    Ok(ApplyOutcome { state, outputs: root_outputs, counts })
}

/// `iac validate`: every check that needs neither state nor providers:
/// bodies against schemas, types, references, expressions (variables are
/// unknown, so only what holds for every value is checked). `cwd` is what
/// `path.cwd` names.
pub async fn validate(loaded: &Loaded, registry: &Registry, cwd: &Path) -> Vec<Diagnostic> {
    let vars = loaded.stack.root.variables.iter().map(|(k, v)| (k.clone(), Value::Unknown.mark_if(v.sensitive))).collect();
    let outcome = Run::new(RunSetup {
        stack: loaded.stack.clone(),
        graph: loaded.graph.clone(),
        registry: registry.clone(),
        context: context(&loaded.stack),
        phase: Phase::Plan,
        opts: RunOptions { refresh: false, validate_only: true, ..RunOptions::default() },
        state: State::new(String::new()),
        pending: Vec::new(),
        saved: Vec::new(),
        journal: None,
        root_vars: vars,
        plan_timestamp: None,
        cwd: cwd.to_path_buf(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        moved_from: HashMap::new(),
    })
    .walk()
    .await;
    outcome.diags
}

/// Reads the current state (replaying any journal) without locking.
pub async fn read_state(backend: &dyn StateBackend) -> Result<State, EngineError> {
    Ok(statemgr::load(backend).await?.state)
}

/// Changes state under the lock with `f`, then writes a new snapshot.
pub async fn edit_state<T>(env: &Env, operation: &str, f: impl FnOnce(&mut State) -> Result<T, EngineError>) -> Result<T, EngineError> {
    let lock_info = statemgr::lock(env.backend.as_ref(), operation, env.lock_timeout, &env.lock_wait, env.events.as_ref()).await?;
    let result = async {
        let mut loaded = statemgr::load(env.backend.as_ref()).await?;
        let out = f(&mut loaded.state)?;
        statemgr::snapshot(env.backend.as_ref(), &mut loaded.state, &loaded.pending).await?;
        Ok(out)
    }
    .await;
    env.backend.unlock(&lock_info.id).await?;
    result
}

/// `iac import ADDR ID`: adopts an existing object into state.
pub async fn import(dir: &Path, env: &Env, addr: InstanceAddr, id: String, vars: Vec<CliVar>) -> Result<(), EngineError> {
    let loaded = load(dir, &env.registry).map_err(|(e, _)| e)?;
    // A resource block of that type and name (looked up as a managed resource).
    let managed = LocalResourceAddr::new(Mode::Managed, &addr.resource.type_, &addr.resource.name);
    let exists = loaded.stack.root.resource(&ConfigResourceAddr { module: addr.resource.module.config_path(), resource: managed }).is_some();
    if !exists {
        return Err(EngineError::Invalid(format!("{addr} is not declared in the stack; add a resource block for it first")));
    }
    if read_state(env.backend.as_ref()).await?.resources.contains_key(&addr) {
        return Err(EngineError::Invalid(format!("{addr} is already managed")));
    }
    let run = RunOptions { targets: vec![Target::Instance(addr.clone())], extra_imports: vec![(addr.clone(), id)], refresh: false, ..RunOptions::default() };
    let outcome = plan_loaded(&loaded, env, PlanRequest { vars, run }).await?;
    let mut inst =
        outcome.plan.prior_state.resources.get(&addr).cloned().ok_or_else(|| EngineError::Invalid(format!("the provider imported nothing for {addr}")))?;
    // What it references in the configuration, so a destroy orders it right.
    if let Some(change) = outcome.plan.changes.iter().find(|c| c.addr == addr) {
        inst.dependencies = change.dependencies.clone();
    }
    edit_state(env, "import", |s| {
        s.resources.insert(addr, inst);
        Ok(())
    })
    .await
}

/// What `iac drift` found in one stack: a refresh-only plan's drift.
#[derive(Debug)]
pub struct DriftReport {
    /// Objects whose real attributes differ from state (or that are gone).
    pub drift: Vec<iac_core::plan::Drift>,
    /// The stack's managed resource types, so reports can say "0 drifted"
    /// for every type the stack manages.
    pub managed_types: std::collections::BTreeSet<String>,
    /// Cloud objects no state knows about (with `-unmanaged` only).
    pub unmanaged: Vec<iac_core::provider::CloudObject>,
    /// Every object id the stack's state knows (nested ones too).
    pub known_ids: crate::unmanaged::KnownIds,
    pub duration: Duration,
    /// When the check started (Unix seconds).
    pub checked_at_unix: u64,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        !self.drift.is_empty() || !self.unmanaged.is_empty()
    }
}

/// `iac drift`: a refresh-only plan, reported as the drift it noticed.
/// State is not changed (plans never write state), but the lock is held
/// while refreshing so a concurrent apply is not read half way. With
/// `list_unmanaged`, every configured provider that can is asked for the
/// objects in its scope; [`settle_unmanaged`] then keeps those no state knows.
pub async fn drift(loaded: &Loaded, env: &Env, vars: Vec<CliVar>, parallelism: usize, list_unmanaged: bool) -> Result<DriftReport, EngineError> {
    let started = std::time::Instant::now();
    let checked_at_unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let run = RunOptions { mode: PlanMode::RefreshOnly, refresh: true, parallelism: parallelism.max(1), ..RunOptions::default() };
    let (outcome, configured) = plan_keeping_providers(loaded, env, PlanRequest { vars, run }).await?;
    let mut managed_types = std::collections::BTreeSet::new();
    let mut known_ids = crate::unmanaged::KnownIds::default();
    for (addr, inst) in &outcome.plan.prior_state.resources {
        if addr.resource.mode == Mode::Managed {
            managed_types.insert(addr.resource.type_.clone());
            known_ids.add(&addr.resource.type_, &inst.attributes);
        }
    }
    for d in &outcome.plan.drift {
        // A deleted object is no longer in the refreshed state; its type still counts.
        managed_types.insert(d.addr.resource.type_.clone());
    }
    let mut unmanaged = Vec::new();
    if list_unmanaged {
        let mut configured = configured;
        configured.sort_by(|a, b| (&a.0.name, &a.0.alias, &a.0.module).cmp(&(&b.0.name, &b.0.alias, &b.0.module)));
        for (key, provider) in configured {
            match provider.list_objects(&[]).await {
                Ok(objects) => unmanaged.extend(objects),
                Err(iac_core::provider::ProviderError::Unsupported(_)) => tracing::debug!(provider = %key.name, "cannot list cloud objects"),
                Err(e) => return Err(EngineError::Invalid(format!("listing the objects of provider {}: {e}", key.name))),
            }
        }
    }
    Ok(DriftReport { drift: outcome.plan.drift, managed_types, unmanaged, known_ids, duration: started.elapsed(), checked_at_unix })
}

/// Reduces each report's listed objects to those that no checked stack's
/// state knows (an object one stack manages is not unmanaged in another)
/// and that the filter does not ignore; each object is reported once.
pub fn settle_unmanaged(reports: &mut [&mut DriftReport], ignore: &crate::unmanaged::IgnoreList) {
    let mut known = crate::unmanaged::KnownIds::default();
    for r in reports.iter() {
        known.extend(&r.known_ids);
    }
    crate::unmanaged::unmanaged(reports.iter_mut().map(|r| &mut r.unmanaged), &known, ignore);
}
