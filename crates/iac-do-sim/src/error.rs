//! DigitalOcean's error answer: `{id, message, request_id}` with a status.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
#[error("{status} {id}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub id: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn not_found() -> ApiError {
        ApiError { status: 404, id: "not_found", message: "The resource you were accessing could not be found.".into() }
    }
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError { status: 422, id: "unprocessable_entity", message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError { status: 400, id: "bad_request", message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError { status: 403, id: "forbidden", message: message.into() }
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError { status: 409, id: "conflict", message: message.into() }
    }
    pub fn unauthorized() -> ApiError {
        ApiError { status: 401, id: "unauthorized", message: "Unable to authenticate you.".into() }
    }
    pub fn too_many_requests() -> ApiError {
        ApiError { status: 429, id: "too_many_requests", message: "API Rate limit exceeded.".into() }
    }
    pub fn server_error(status: u16) -> ApiError {
        ApiError { status, id: "server_error", message: "Unexpected server-side error".into() }
    }
}
