//! Providers built into iac, with Terraform's names and semantics so
//! configurations port: `terraform_data` (provider `terraform`),
//! `local_file` (provider `local`, a real side effect tests can observe),
//! and `time_sleep` (provider `time`, a slow operation to interrupt). Each is
//! built on the provider SDK: one typed model plus CRUD per type, one list
//! per provider.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol and the provider SDK; it must never depend
//! on the engine, the language crate or the CLI.

mod error;
mod local_file;
mod terraform_data;
mod time_sleep;

use std::sync::Arc;

use iac_core::provider::ProviderFactory;
use iac_provider_sdk::Factory;

pub use error::Error;
pub use local_file::Local;
pub use terraform_data::Terraform;
pub use time_sleep::Time;

/// All builtin provider factories.
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    vec![Factory::<Terraform>::shared(), Factory::<Local>::shared(), Factory::<Time>::shared()]
}
