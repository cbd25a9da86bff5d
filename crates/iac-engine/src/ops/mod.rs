//! The operations the CLI commands are thin wrappers over: validate, plan,
//! apply (of a saved plan), drift (a refresh-only plan, with the cloud
//! objects no state knows), import, state surgery and migration. They take
//! the providers and the state backend as trait objects; the CLI picks them.
//!
//! Here: loading a stack ([`load`]), what every operation is given
//! ([`Env`]) and the helpers plan and apply share. One file per operation:
//! `plan`, `apply` (also plan-and-apply under one lock), `validate`,
//! `drift`, `state` (reading, editing, importing), `migrate`; `moves`
//! applies `moved` blocks to the state a plan starts from.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::backend::StateBackend;
use iac_core::provider::ProviderContext;
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::load::{load_stack, Stack};
use iac_lang::source::SourceMap;
use iac_lang::vars::CliVar;

use crate::error::EngineError;
use crate::graph::{build, ConfigGraph};
use crate::providers::Registry;
use crate::run::EventSink;
use crate::statemgr;

mod apply;
mod drift;
pub mod migrate;
mod moves;
mod plan;
mod state;
mod validate;

pub use apply::{apply, apply_loaded, apply_loaded_with_vars, plan_and_apply, ApplyOutcome};
pub use drift::{drift, settle_unmanaged, DriftReport};
pub use migrate::{migrate_state, Migrated};
pub use plan::{plan, plan_loaded, PlanOutcome, PlanRequest};
pub use state::{edit_state, import, read_state};
pub use validate::validate;

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
    diags.extend(crate::version::required_version_errors(&stack.root));
    let (graph, gdiags) = tracing::info_span!("graph").in_scope(|| build(&stack, &|n| registry.has(n)));
    diags.extend(gdiags.0);
    diags.extend(crate::graph::unknown_types(&stack, &graph, registry));
    diags.extend(crate::graph::ephemeral_uses(&stack, &graph, registry));
    if diags.has_errors() {
        return Err((EngineError::Config(diags.0), stack.sources));
    }
    Ok(Loaded { stack: Arc::new(stack), graph: Arc::new(graph), warnings: diags.0 })
}

/// A stack for `validate`, as far as it can be evaluated: like [`load`],
/// except that when only the graph found problems (references to what is
/// not declared, arguments a module does not take) and it has no cycle, the
/// stack is still returned with those diagnostics, so its expressions are
/// evaluated too and every error is reported in one run, as Terraform's
/// validate does. Errors of loading itself (syntax, blocks, types, the
/// required version) stop before evaluation, as in Terraform (with the
/// graph's problems reported beside them, as [`load`] does).
pub fn load_for_validate(dir: &Path, registry: &Registry) -> Result<Loaded, (EngineError, SourceMap)> {
    let (stack, mut diags) = load_stack(dir);
    diags.extend(crate::version::required_version_errors(&stack.root));
    let load_errors = diags.has_errors();
    let (graph, gdiags) = build(&stack, &|n| registry.has(n));
    diags.extend(gdiags.0);
    let unknown = crate::graph::unknown_types(&stack, &graph, registry);
    let stop = load_errors || !unknown.is_empty() || graph.has_cycle();
    diags.extend(unknown);
    diags.extend(crate::graph::ephemeral_uses(&stack, &graph, registry));
    if stop && diags.has_errors() {
        return Err((EngineError::Config(diags.0), stack.sources));
    }
    Ok(Loaded { stack: Arc::new(stack), graph: Arc::new(graph), warnings: diags.0 })
}

/// Whether a root variable is declared `ephemeral = true`: its value is
/// never saved in a plan.
pub(super) fn ephemeral_variable(root: &iac_lang::config::Module, name: &str) -> bool {
    root.variables.get(name).is_some_and(|v| v.ephemeral)
}

pub(super) fn context(stack: &Stack) -> ProviderContext {
    let dir = stack.root.dir.canonicalize().unwrap_or(stack.root.dir.clone());
    ProviderContext { stack_id: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "stack".into()), stack_dir: dir }
}

/// A plan's root variables: their values, where each came from (the
/// range their validation errors name, checked in the walk) and the
/// stack's sources with the variables files read (those ranges point into
/// them).
pub(super) struct RootVars {
    pub values: iac_core::ValueMap,
    pub spans: std::collections::BTreeMap<String, iac_lang::source::Span>,
    /// The errors of values their types refuse, reported by the walk.
    pub unsuitable: std::collections::BTreeMap<String, Diagnostic>,
    pub sources: SourceMap,
}

/// Root variable values, and the warnings about them (a value in a
/// variables file for a variable the stack does not declare). Their
/// validation rules are checked in the walk, as Terraform's are.
pub(super) fn root_vars(loaded: &Loaded, vars: &[CliVar], env: &Env) -> Result<(RootVars, Vec<Diagnostic>), EngineError> {
    let mut sources = loaded.stack.sources.clone();
    let mut diags = Diagnostics::default();
    let iac_lang::vars::RootValues { values, spans, unsuitable } =
        iac_lang::vars::root_variables(&loaded.stack.root, vars, &env.env_vars, &mut sources, &mut diags);
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
    Ok((RootVars { values, spans, unsuitable, sources }, warnings))
}
