//! Providers built into iac, with the names, arguments, defaults and
//! attributes of their Terraform counterparts, so that configurations port
//! and state moves between a native provider and the upstream plugin with
//! no change planned: `terraform` (`terraform_data`, and
//! `terraform_remote_state`, reading through the [`RemoteStateReader`] it is
//! given), `random`, `null`, `time`, `local`, `external` and `archive`.
//! They work offline and start no process (but for the program an
//! `external` data source runs). Each is built on the provider SDK: one
//! typed model plus CRUD per type, one list per provider.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol and the provider SDK; it must never depend
//! on the engine, the language crate or the CLI.

#![deny(missing_docs)]

mod archive;
mod error;
mod external;
mod keepers;
mod local;
mod null;
mod random;
mod remote_state;
mod terraform_data;
mod time;

use std::sync::Arc;

use iac_core::provider::ProviderFactory;
use iac_core::remote_state::RemoteStateReader;
use iac_provider_sdk::Factory;

pub use archive::Archive;
pub use error::Error;
pub use external::External;
pub use local::Local;
pub use null::Null;
pub use random::Random;
pub use terraform_data::{Terraform, TerraformFactory};
pub use time::Time;

/// All builtin provider factories; `terraform_remote_state` reads no state
/// (an error says so).
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    factories_with(None)
}

/// All builtin provider factories, `terraform_remote_state` reading other
/// stacks' state through `remote_states` (the CLI's, which knows the backends).
pub fn factories_reading_state(remote_states: Arc<dyn RemoteStateReader>) -> Vec<Arc<dyn ProviderFactory>> {
    factories_with(Some(remote_states))
}

fn factories_with(remote_states: Option<Arc<dyn RemoteStateReader>>) -> Vec<Arc<dyn ProviderFactory>> {
    vec![
        Arc::new(TerraformFactory::new(remote_states)),
        Factory::<Random>::shared(),
        Factory::<Null>::shared(),
        Factory::<Time>::shared(),
        Factory::<Local>::shared(),
        Factory::<External>::shared(),
        Factory::<Archive>::shared(),
    ]
}
