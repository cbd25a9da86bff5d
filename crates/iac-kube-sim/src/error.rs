//! API errors and their wire form, a `meta.k8s.io/v1` `Status` object.

use serde_json::{json, Value};

/// One entry of `details.causes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub kind: &'static str,
    pub message: String,
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// `details`, boxed: errors travel through every handler's `Result`.
    pub details: Box<Details>,
}

/// `details.name`, `details.group`, `details.kind` (the resource plural, as
/// the API server writes it, or the Kind for 422s), `details.causes`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub name: Option<String>,
    pub group: Option<String>,
    pub kind: Option<String>,
    pub causes: Vec<Cause>,
}

/// What an error is about: the resource plural and group, and the name.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub group: &'a str,
    pub plural: &'a str,
    pub name: &'a str,
}

impl Subject<'_> {
    /// `deployments.apps "x"` / `configmaps "x"`, the API server's way of naming an object.
    fn qualified(&self) -> String {
        if self.group.is_empty() {
            format!("{} \"{}\"", self.plural, self.name)
        } else {
            format!("{}.{} \"{}\"", self.plural, self.group, self.name)
        }
    }
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, reason, message: message.into(), details: Box::default() }
    }
    fn about(mut self, s: Subject<'_>) -> ApiError {
        self.details.name = Some(s.name.to_string());
        self.details.group = Some(s.group.to_string()).filter(|g| !g.is_empty());
        self.details.kind = Some(s.plural.to_string());
        self
    }
    pub fn not_found(s: Subject<'_>) -> ApiError {
        ApiError::new(404, "NotFound", format!("{} not found", s.qualified())).about(s)
    }
    pub fn namespace_not_found(ns: &str) -> ApiError {
        ApiError::not_found(Subject { group: "", plural: "namespaces", name: ns })
    }
    pub fn already_exists(s: Subject<'_>) -> ApiError {
        ApiError::new(409, "AlreadyExists", format!("{} already exists", s.qualified())).about(s)
    }
    pub fn conflict(s: Subject<'_>, message: impl Into<String>) -> ApiError {
        ApiError::new(409, "Conflict", format!("Operation cannot be fulfilled on {}: {}", s.qualified(), message.into())).about(s)
    }
    /// A server-side apply conflict; `conflicts` are (manager, apiVersion, field path) triples.
    pub fn apply_conflicts(s: Subject<'_>, conflicts: &[(String, String, String)]) -> ApiError {
        let n = conflicts.len();
        let mut message = format!("Apply failed with {n} conflict{}: ", if n == 1 { "" } else { "s" });
        let parts: Vec<String> = conflicts.iter().map(|(m, v, f)| format!("conflict with \"{m}\" using {v}: {f}")).collect();
        message.push_str(&parts.join("\n"));
        let mut e = ApiError::new(409, "Conflict", message).about(s);
        e.details.causes = conflicts
            .iter()
            .map(|(m, v, f)| Cause { kind: "FieldManagerConflict", message: format!("conflict with \"{m}\" using {v}"), field: f.clone() })
            .collect();
        e
    }
    /// 422 with one cause per invalid field; `kind` is the object's Kind here, as the API server writes it.
    pub fn invalid(kind: &str, group: &str, name: &str, causes: Vec<Cause>) -> ApiError {
        let list: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        let qualified = if group.is_empty() { format!("{kind} \"{name}\"") } else { format!("{kind}.{group} \"{name}\"") };
        let mut e = ApiError::new(422, "Invalid", format!("{qualified} is invalid: {}", list.join(", ")));
        e.details =
            Box::new(Details { name: Some(name.to_string()), group: Some(group.to_string()).filter(|g| !g.is_empty()), kind: Some(kind.to_string()), causes });
        e
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }
    pub fn forbidden(s: Subject<'_>, message: impl Into<String>) -> ApiError {
        ApiError::new(403, "Forbidden", format!("{} is forbidden: {}", s.qualified(), message.into())).about(s)
    }
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    }
    pub fn unsupported_media_type(ct: &str) -> ApiError {
        ApiError::new(415, "UnsupportedMediaType", format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json (got {ct:?})"))
    }
    pub fn path_not_found() -> ApiError {
        ApiError::new(404, "NotFound", "the server could not find the requested resource")
    }
    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }
    /// An injected failure with any status.
    pub fn injected(code: u16, message: impl Into<String>) -> ApiError {
        let reason = match code {
            400 => "BadRequest",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        ApiError::new(code, reason, message)
    }

    /// The `Status` object sent on the wire.
    pub fn to_status(&self) -> Value {
        let mut details = serde_json::Map::new();
        let d = &self.details;
        if let Some(n) = &d.name {
            details.insert("name".into(), json!(n));
        }
        if let Some(g) = &d.group {
            details.insert("group".into(), json!(g));
        }
        if let Some(k) = &d.kind {
            details.insert("kind".into(), json!(k));
        }
        if !d.causes.is_empty() {
            details.insert("causes".into(), d.causes.iter().map(|c| json!({"reason": c.kind, "message": c.message, "field": c.field})).collect());
        }
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}
