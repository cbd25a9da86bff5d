//! Typed errors of the engine; the CLI renders them.

use std::time::Duration;

use iac_core::backend::{LockInfo, StateError};
use iac_lang::diagnostic::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Problems in the stack, each with its span.
    #[error("the stack has {} error(s)", .0.iter().filter(|d| d.is_error()).count())]
    Config(Vec<Diagnostic>),
    /// Problems with root variable values; the diagnostics may point into
    /// variable files (`*.tfvars`, `-var-file`), whose text `sources` holds.
    #[error("the stack has {} error(s)", .diags.iter().filter(|d| d.is_error()).count())]
    Variables { diags: Vec<Diagnostic>, sources: iac_lang::source::SourceMap },
    #[error("state is locked: {holder} (waited {}s; use -lock-timeout to wait longer, or force-unlock {} if that run is gone)", .waited.as_secs(), .holder.id)]
    Locked { holder: Box<LockInfo>, waited: Duration },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("journal: {0}")]
    Journal(String),
    #[error("saved plan cannot be applied: {0}")]
    StalePlan(String),
    #[error("{0}")]
    Invalid(String),
    /// Some operations failed; each with the address it concerned.
    #[error("{} operation(s) failed", .0.len())]
    Failed(Vec<Diagnostic>),
    #[error("interrupted; state saved with everything finished before the interrupt")]
    Interrupted,
    /// A plan whose custom conditions failed: its errors, and the plan as
    /// far as it got, marked errored (Terraform saves it with `-out`, and
    /// refuses to apply it). The errors may point into variable files (a
    /// root variable's failed validation rule), whose text `sources` holds.
    #[error("the stack has {} error(s)", .diags.iter().filter(|d| d.is_error()).count())]
    Errored { diags: Vec<Diagnostic>, plan: Box<iac_core::plan::Plan>, sources: Box<iac_lang::source::SourceMap> },
}

impl EngineError {
    /// The diagnostics an error carries, with the sources they point into
    /// (`sources` is the stack's; variable errors bring their own), or None
    /// for an error that is one message.
    pub fn diagnostics<'a>(&'a self, sources: &'a iac_lang::source::SourceMap) -> Option<(&'a [Diagnostic], &'a iac_lang::source::SourceMap)> {
        match self {
            EngineError::Config(d) | EngineError::Failed(d) => Some((d, sources)),
            EngineError::Variables { diags, sources } => Some((diags, sources)),
            EngineError::Errored { diags, sources, .. } => Some((diags, sources)),
            _ => None,
        }
    }

    /// The error as plain text for reports: each diagnostic rendered without colour.
    pub fn render_plain(&self, sources: &iac_lang::source::SourceMap) -> Vec<String> {
        match self.diagnostics(sources) {
            Some((diags, sources)) => diags.iter().map(|d| d.render(sources)).collect(),
            None => vec![self.to_string()],
        }
    }
}
