//! The provider's errors: which resource, what failed, and DigitalOcean's
//! status, error id and message when the API refused.

use iac_core::provider::ProviderError;
use iac_provider_sdk::DecodeError;

use crate::client::ApiError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DoError {
    #[error("{addr}: {source}")]
    Api { addr: String, source: Box<ApiError> },
    #[error("{addr}: timed out after {seconds}s waiting for {what}")]
    Timeout { addr: String, what: String, seconds: u64 },
    #[error("{addr}: {message}")]
    Invalid { addr: String, message: String },
    /// The object reached a state it will not leave by itself (`error`).
    #[error("{addr}: {message}")]
    Failed { addr: String, message: String },
    /// Spaces' S3 API refused (its error code, e.g. `BucketNotEmpty`).
    #[error("{addr}: Spaces answered {code}: {message}")]
    Spaces { addr: String, code: String, message: String },
    /// A value that does not fit its resource type's model.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl DoError {
    pub fn api(addr: &impl ToString) -> impl FnOnce(ApiError) -> DoError + '_ {
        move |source| DoError::Api { addr: addr.to_string(), source: Box::new(source) }
    }

    /// Whether DigitalOcean answered that the object does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            DoError::Api { source, .. } => source.is_not_found(),
            DoError::Spaces { code, .. } => matches!(code.as_str(), "NoSuchBucket" | "NotFound" | "HTTP404"),
            _ => false,
        }
    }
}

impl From<DoError> for ProviderError {
    fn from(e: DoError) -> ProviderError {
        match &e {
            DoError::Api { source, .. } => ProviderError::Api { code: source.code(), message: e.to_string() },
            DoError::Timeout { what, seconds, .. } => ProviderError::Timeout { what: format!("{}: {what}", e_addr(&e)), seconds: *seconds },
            DoError::Invalid { .. } => ProviderError::InvalidConfig(e.to_string()),
            DoError::Failed { .. } => ProviderError::Api { code: "failed".into(), message: e.to_string() },
            DoError::Spaces { code, .. } => ProviderError::Api { code: code.clone(), message: e.to_string() },
            DoError::Decode(d) => ProviderError::Other(d.to_string()),
        }
    }
}

fn e_addr(e: &DoError) -> &str {
    match e {
        DoError::Api { addr, .. }
        | DoError::Timeout { addr, .. }
        | DoError::Invalid { addr, .. }
        | DoError::Failed { addr, .. }
        | DoError::Spaces { addr, .. } => addr,
        DoError::Decode(_) => "",
    }
}
