//! The provider's errors, each naming the object it is about, and their
//! mapping onto the protocol's [`ProviderError`]. API failures keep the
//! server's `Status` message (what kubectl would print).

use iac_core::provider::ProviderError;
use iac_provider_sdk::DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// The provider block or the resource's configuration is not usable.
    #[error("{0}")]
    Config(String),
    /// The API server answered with a `Status` failure.
    #[error("{object}: {message} ({reason}, HTTP {code})")]
    Api { object: String, code: u16, reason: String, message: String },
    /// The API server could not be reached or answered something unreadable.
    #[error("{object}: {message}")]
    Transport { object: String, message: String },
    /// A manifest is not a Kubernetes object we can apply.
    #[error("{0}")]
    Manifest(String),
    /// A kind the cluster does not serve (and no CRD in the set defines).
    #[error("{0}")]
    UnknownKind(String),
    /// A readiness or deletion wait ran out of time.
    #[error("timed out after {seconds}s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
    /// A workload reported that it cannot become ready.
    #[error("{0}")]
    Failed(String),
    /// `helm` is missing or failed.
    #[error("{0}")]
    Helm(String),
    /// An operation the resource type does not offer (importing a set).
    #[error("{0}")]
    Unsupported(String),
    /// A value that does not fit its resource type's model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl KubeError {
    /// Wraps a kube-rs error about `object`.
    pub fn from_kube(object: impl Into<String>, e: kube::Error) -> KubeError {
        let object = object.into();
        match e {
            kube::Error::Api(s) => KubeError::Api { object, code: s.code, reason: s.reason.clone(), message: s.message.clone() },
            other => KubeError::Transport { object, message: other.to_string() },
        }
    }

    /// The HTTP status of an API failure.
    pub fn code(&self) -> Option<u16> {
        match self {
            KubeError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }
}

impl From<KubeError> for ProviderError {
    fn from(e: KubeError) -> ProviderError {
        match e {
            KubeError::Config(m) | KubeError::Manifest(m) | KubeError::UnknownKind(m) => ProviderError::InvalidConfig(m),
            KubeError::Timeout { what, seconds } => ProviderError::Timeout { what, seconds },
            KubeError::Unsupported(m) => ProviderError::Unsupported(m),
            KubeError::Api { ref reason, code, .. } => {
                let code = if reason.is_empty() { code.to_string() } else { reason.clone() };
                ProviderError::Api { code, message: e.to_string() }
            }
            other => ProviderError::Other(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, KubeError>;
