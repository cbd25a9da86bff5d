//! Native `hashicorp/http` provider: the `http` data source, with the
//! upstream plugin's names, arguments and attributes, and its client's
//! behaviour where a response depends on it: Go's request headers
//! (`User-Agent: Go-http-client/1.1`, transparent gzip), canonical response
//! header names with repeated values joined, trust in the system's
//! certificates (or `ca_cert_pem` alone), and go-retryablehttp's retries
//! and errors. Built on the provider SDK: one typed model plus its read,
//! one list.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol and the provider SDK; it must never depend
//! on the engine, the language crate or the CLI.

#![deny(missing_docs)]

mod data_source;
mod go;

use std::sync::{Arc, OnceLock};

use iac_core::provider::{ConfigureRequest, ProviderError, ProviderFactory};
use iac_provider_sdk::prelude::*;

pub use data_source::HttpData;

/// What an `http` read can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value did not fit its model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The configuration is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The request failed (after its retries).
    #[error("{0}")]
    Request(String),
}

impl From<Error> for ProviderError {
    fn from(e: Error) -> ProviderError {
        match e {
            Error::Invalid(m) => ProviderError::InvalidConfig(m),
            Error::Request(m) => ProviderError::Api { code: "http".into(), message: m },
            Error::Decode(d) => ProviderError::Other(d.to_string()),
        }
    }
}

/// The configured `http` provider: nothing to configure; the system's
/// trusted certificates are loaded once, on first use.
#[derive(Default)]
pub struct Http {
    roots: OnceLock<Vec<reqwest::Certificate>>,
}

impl Http {
    /// The system's trusted certificates (as Go reads them on Linux,
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` included).
    fn system_roots(&self) -> &[reqwest::Certificate] {
        self.roots.get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::debug!(error = %e, "reading the system's trusted certificates");
            }
            found.certs.iter().filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok()).collect()
        })
    }
}

impl Configured for Http {
    type Error = Error;
    const NAME: &'static str = "http";
}

#[async_trait]
impl Configure for Http {
    fn types() -> Types<Http> {
        Types::new().data_source(HttpData)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Http, ProviderError> {
        Ok(Http::default())
    }
}

/// The provider's factory, for the native registry.
pub fn factory() -> Arc<dyn ProviderFactory> {
    Factory::<Http>::shared()
}
