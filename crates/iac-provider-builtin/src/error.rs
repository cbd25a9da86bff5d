//! What a builtin provider's operation can fail with, and how the engine
//! sees it.

use iac_core::provider::ProviderError;
use iac_provider_sdk::DecodeError;

/// A builtin provider's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value did not fit its model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The configuration is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// An operation failed (a program, an archive): the message says why.
    #[error("{0}")]
    Failed(String),
    /// An argument is not acceptable, or what it names cannot be used:
    /// the diagnostic points where the configuration writes it.
    #[error("{message}")]
    At {
        /// The argument.
        attr: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done ("writing").
        what: &'static str,
        /// The file.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

impl Error {
    /// An error about the argument `attr`.
    pub fn at(attr: &'static str, message: String) -> Error {
        Error::At { attr, message }
    }

    /// A file operation's error.
    pub fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io { what, path: path.display().to_string(), source }
    }
}

impl From<Error> for ProviderError {
    fn from(e: Error) -> ProviderError {
        match e {
            Error::Invalid(m) => ProviderError::InvalidConfig(m),
            Error::Failed(m) => ProviderError::Other(m),
            Error::At { attr, message } => ProviderError::At { path: iac_core::AttrPath::attr(attr), error: Box::new(ProviderError::Other(message)) },
            Error::Io { ref source, .. } => ProviderError::Api { code: format!("{:?}", source.kind()), message: e.to_string() },
            Error::Decode(d) => ProviderError::Other(d.to_string()),
        }
    }
}
