//! Native `hashicorp/cloudinit` provider: the `cloudinit_config` data
//! source and its deprecated resource twin, with the upstream plugin's
//! names, arguments, defaults and attributes, and its `rendered` output
//! byte for byte (the multi-part MIME layout of Go's `mime/multipart`, and
//! gzip as Go's `compress/gzip` writes it), so that state and `user_data`
//! move between this provider and the plugin with an empty plan. Built on
//! the provider SDK: one typed model plus CRUD per type, one list.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol and the provider SDK; it must never depend
//! on the engine, the language crate or the CLI.

#![deny(missing_docs)]

mod config;
pub mod gzip;
pub mod mime;

use std::sync::Arc;

use iac_core::provider::{ConfigureRequest, ProviderError, ProviderFactory};
use iac_provider_sdk::prelude::*;

pub use config::{ConfigData, ConfigResource};

/// What a `cloudinit` operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value did not fit its model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The configuration is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

impl From<Error> for ProviderError {
    fn from(e: Error) -> ProviderError {
        match e {
            Error::Invalid(m) => ProviderError::InvalidConfig(m),
            Error::Decode(d) => ProviderError::Other(d.to_string()),
        }
    }
}

/// The configured `cloudinit` provider: nothing to configure.
pub struct Cloudinit;

impl Configured for Cloudinit {
    type Error = Error;
    const NAME: &'static str = "cloudinit";
}

#[async_trait]
impl Configure for Cloudinit {
    fn types() -> Types<Cloudinit> {
        Types::new().resource(ConfigResource).data_source(ConfigData)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Cloudinit, ProviderError> {
        Ok(Cloudinit)
    }
}

/// The provider's factory, for the native registry.
pub fn factory() -> Arc<dyn ProviderFactory> {
    Factory::<Cloudinit>::shared()
}
