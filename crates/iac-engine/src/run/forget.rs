//! Applying forgets: objects a `removed` block keeps (`destroy = false`)
//! leave state with a journal record and no provider call, so the object
//! itself is untouched and a crash mid-way replays as any removal does.
//! Forgets run before the delete walk and need no order among themselves:
//! nothing is called that another object could depend on.

use iac_core::plan::ResourceChange;
use iac_lang::diagnostic::Diagnostic;

use super::context::Run;

impl Run {
    /// Drops each forgotten object from state; the diagnostics of those
    /// whose removal could not be journaled (they stay in state).
    pub(super) async fn forget(&self, forgets: &[ResourceChange]) -> Vec<Diagnostic> {
        let mut failures = Vec::new();
        for change in forgets {
            tracing::info!(address = %change.addr, "forgetting: removed from state, not destroyed");
            if let Err(d) = self.remove(&change.addr).await {
                failures.push(d);
            }
        }
        failures
    }
}
