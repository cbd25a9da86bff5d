//! Providers built into iac, with Terraform's names and semantics so
//! configurations port: `terraform_data` (provider `terraform`),
//! `local_file` (provider `local`, a real side effect tests can observe),
//! and `time_sleep` (provider `time`, a slow operation to interrupt).
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol; it knows nothing of the engine or the CLI.

mod local_file;
mod terraform_data;
mod time_sleep;

use std::sync::Arc;

use iac_core::provider::ProviderFactory;

pub use local_file::LocalProvider;
pub use terraform_data::TerraformProvider;
pub use time_sleep::TimeProvider;

/// All builtin provider factories.
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    vec![Arc::new(TerraformProvider::new()), Arc::new(LocalProvider::new()), Arc::new(TimeProvider::new())]
}
