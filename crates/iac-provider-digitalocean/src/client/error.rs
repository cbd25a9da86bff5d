//! Errors of the API client: what was called, what DigitalOcean answered.

/// A failed API call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// DigitalOcean answered with an error status and body `{id, message, request_id}`.
    #[error("{method} {path}: HTTP {status} {id}: {message}{}", request_id.as_ref().map(|r| format!(" (request {r})")).unwrap_or_default())]
    Status { method: String, path: String, status: u16, id: String, message: String, request_id: Option<String> },
    /// No answer: connection refused or dropped, or the request timed out.
    #[error("{method} {path}: no answer: {message}")]
    Transport { method: String, path: String, message: String },
    /// An answer that is not what the API documents.
    #[error("{method} {path}: unexpected answer: {message}")]
    Decode { method: String, path: String, message: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The request may or may not have been carried out (no answer, or a
    /// server error): a create must look before it tries again.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ApiError::Transport { .. }) || self.status().is_some_and(|s| s >= 500)
    }

    /// DigitalOcean's error id (`not_found`, `unprocessable_entity`, ...), or our own kind.
    pub fn code(&self) -> String {
        match self {
            ApiError::Status { id, .. } => id.clone(),
            ApiError::Transport { .. } => "transport".into(),
            ApiError::Decode { .. } => "decode".into(),
        }
    }
}
