//! Native `hashicorp/tls` provider: `tls_private_key`,
//! `tls_self_signed_cert`, `tls_cert_request` and `tls_locally_signed_cert`,
//! and the `tls_public_key` and `tls_certificate` data sources, with the
//! upstream plugin's names, arguments, defaults, sensitivity and attribute
//! encodings (PEM, OpenSSH and fingerprints byte for byte as Go writes
//! them), so that state moves between this provider and the plugin with an
//! empty plan. It owns the provider's heavy dependencies: key generation
//! and signing (RSA, ECDSA on P-224/P-256/P-384/P-521, Ed25519), the DER
//! encoding of certificates and requests, and the TLS handshake that reads
//! a server's chain. Built on the provider SDK: one typed model plus CRUD
//! per type, one list.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol and the provider SDK; it must never depend
//! on the engine, the language crate or the CLI.

#![deny(missing_docs)]

mod cert;
mod certificate;
mod der;
mod keys;
mod pem;
mod private_key;
mod timefmt;
mod x509;

use std::sync::{Arc, OnceLock};

use iac_core::provider::{ConfigureRequest, ProviderError, ProviderFactory};
use iac_provider_sdk::prelude::*;

pub use cert::{CertRequest, LocallySignedCert, SelfSignedCert};
pub use certificate::CertificateData;
pub use private_key::{PrivateKeyResource, PublicKeyData};

/// What a `tls` operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value did not fit its model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The configuration is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Reaching a server failed.
    #[error("{0}")]
    Fetch(String),
}

impl From<Error> for ProviderError {
    fn from(e: Error) -> ProviderError {
        match e {
            Error::Invalid(m) => ProviderError::InvalidConfig(m),
            Error::Fetch(m) => ProviderError::Api { code: "tls".into(), message: m },
            Error::Decode(d) => ProviderError::Other(d.to_string()),
        }
    }
}

/// The `proxy` block of the provider.
#[derive(Model, Debug, Clone, Default)]
pub struct ProxyModel {
    /// URL used to connect to the Proxy. Accepted schemes are: `http`, `https`, `socks5`.
    #[sdk(optional)]
    url: Option<String>,
    /// Username (or Token) used for Basic authentication against the Proxy.
    #[sdk(optional)]
    username: Option<String>,
    /// Password used for Basic authentication against the Proxy.
    #[sdk(optional, sensitive)]
    password: Option<String>,
    /// When `true` the provider will discover the proxy configuration from environment variables (default: `true`).
    #[sdk(optional)]
    from_env: Option<bool>,
}

/// The `provider "tls"` block.
#[derive(Model, Debug, Clone, Default)]
pub struct TlsConfigModel {
    /// Proxy used by resources and data sources that connect to external endpoints.
    #[sdk(block, max_items = 1)]
    proxy: Vec<ProxyModel>,
}

/// Where `https://` connections go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Proxy {
    /// None.
    Direct,
    /// The proxy the environment names (`HTTPS_PROXY`, `NO_PROXY`), as Go's
    /// `httpproxy.FromEnvironment`.
    FromEnv,
    /// This proxy: its URL, and user and password for Basic authentication.
    Url { url: String, user: Option<(String, Option<String>)> },
}

/// The configured `tls` provider.
pub struct Tls {
    pub(crate) proxy: Proxy,
    roots: OnceLock<Arc<rustls::RootCertStore>>,
}

impl Tls {
    /// The system's trusted certificates, as Go's `crypto/x509` reads them
    /// on Linux (`SSL_CERT_FILE` and `SSL_CERT_DIR` included); read once.
    pub(crate) fn roots(&self) -> Arc<rustls::RootCertStore> {
        self.roots
            .get_or_init(|| {
                let found = rustls_native_certs::load_native_certs();
                for e in &found.errors {
                    tracing::debug!(error = %e, "reading the system's trusted certificates");
                }
                let mut store = rustls::RootCertStore::empty();
                let (added, ignored) = store.add_parsable_certificates(found.certs);
                tracing::debug!(added, ignored, "trusted certificates");
                Arc::new(store)
            })
            .clone()
    }
}

impl Configured for Tls {
    type Error = Error;
    const NAME: &'static str = "tls";
}

#[async_trait]
impl Configure for Tls {
    fn provider_block() -> iac_provider_sdk::schema::Block {
        TlsConfigModel::block()
    }

    fn types() -> Types<Tls> {
        Types::new()
            .resource(PrivateKeyResource)
            .resource(SelfSignedCert)
            .resource(CertRequest)
            .resource(LocallySignedCert)
            .data_source(PublicKeyData)
            .data_source(CertificateData)
    }

    async fn configure(req: &ConfigureRequest) -> Result<Tls, ProviderError> {
        let config = TlsConfigModel::from_value(&req.config).map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        let proxy = match config.proxy.first() {
            None => Proxy::FromEnv,
            Some(p) => {
                if p.url.is_some() && p.from_env.is_some() {
                    return Err(ProviderError::InvalidConfig("proxy: \"url\" cannot be specified when \"from_env\" is specified".into()));
                }
                if p.username.is_some() && p.url.is_none() {
                    return Err(ProviderError::InvalidConfig("proxy: \"username\" requires \"url\"".into()));
                }
                if p.password.is_some() && p.username.is_none() {
                    return Err(ProviderError::InvalidConfig("proxy: \"password\" requires \"username\"".into()));
                }
                match &p.url {
                    Some(url) => {
                        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
                        if !["http", "https", "socks5"].contains(&scheme) {
                            return Err(ProviderError::InvalidConfig(format!("proxy.url: URL {url:?} must have a scheme of: http, https, socks5")));
                        }
                        Proxy::Url { url: url.clone(), user: p.username.clone().map(|u| (u, p.password.clone())) }
                    }
                    None if p.from_env == Some(false) => Proxy::Direct,
                    None => Proxy::FromEnv,
                }
            }
        };
        Ok(Tls { proxy, roots: OnceLock::new() })
    }
}

/// The provider's factory, for the native registry.
pub fn factory() -> Arc<dyn ProviderFactory> {
    Factory::<Tls>::shared()
}
