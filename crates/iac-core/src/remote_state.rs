//! `data "terraform_remote_state"`'s seam: the root outputs of another
//! stack's state, in a backend the configuration names. The builtin
//! `terraform` provider asks through [`RemoteStateReader`]; the CLI, the
//! only place that chooses concrete backends, answers. This module holds the
//! request, the errors, and the decoding of the two state formats either
//! tool stores (no IO).

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;

use crate::json::Json;
use crate::state::{OutputState, State};

/// Terraform's name of the default workspace.
pub const DEFAULT_WORKSPACE: &str = "default";

/// Where another stack's state is.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteStateRequest {
    /// The backend type (`local`, `s3`, `pg`, ...).
    pub backend: String,
    /// Its settings, as a `backend` block would give them.
    pub config: BTreeMap<String, serde_json::Value>,
    /// The workspace ([`DEFAULT_WORKSPACE`] unless one is named).
    pub workspace: String,
    /// What relative paths (`path`, `workspace_dir`) are relative to: the
    /// reading stack's root module.
    pub base_dir: PathBuf,
}

/// Why no outputs could be read; each message is Terraform's detail where
/// Terraform has one.
#[derive(Debug, thiserror::Error)]
pub enum RemoteStateError {
    /// No backend of that name, or one this build cannot read
    /// (Terraform's "Invalid backend configuration" on `backend`).
    #[error("{0}")]
    UnknownBackend(String),
    /// The settings do not fit the backend (on `config`).
    #[error("{0}")]
    InvalidConfig(String),
    /// Reading the state failed.
    #[error("{0}")]
    Read(String),
}

/// Reads the root outputs of a stored state.
#[async_trait]
pub trait RemoteStateReader: Send + Sync {
    /// The root outputs stored for the request's workspace; None when no
    /// state is stored there.
    async fn outputs(&self, request: &RemoteStateRequest) -> Result<Option<BTreeMap<String, OutputState>>, RemoteStateError>;

    /// Whether a backend of that name takes these settings, without
    /// reading anything: what Terraform's validate reports (the
    /// [`RemoteStateError::UnknownBackend`] and
    /// [`RemoteStateError::InvalidConfig`] of [`Self::outputs`]).
    fn check_settings(&self, _backend: &str, _config: &BTreeMap<String, serde_json::Value>) -> Result<(), RemoteStateError> {
        Ok(())
    }
}

/// The root outputs of a state document as either tool stores it:
/// Terraform's state file (format version 4, `outputs.NAME.value`) or
/// iac's snapshot (its own format). None for an empty document.
pub fn root_outputs(bytes: &[u8]) -> Result<Option<BTreeMap<String, OutputState>>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let j = Json::from_slice(bytes).map_err(|e| format!("the state is not JSON: {e}"))?;
    if j.get("terraform_version").is_none() {
        return State::from_bytes(bytes).map(|s| Some(s.outputs));
    }
    match j["version"].as_u64() {
        Some(4) => {}
        v => {
            return Err(format!(
                "Terraform's state format version {} is not supported (version 4 is, Terraform 0.12 and later)",
                v.map_or("?".into(), |v| v.to_string())
            ))
        }
    }
    let mut out = BTreeMap::new();
    for (name, o) in j["outputs"].as_object().into_iter().flat_map(|m| m.iter()) {
        let value = o.get("value").map(Json::to_value).unwrap_or_default();
        out.insert(
            name.clone(),
            OutputState { value, sensitive: o.get("sensitive").and_then(Json::as_bool).unwrap_or(false), type_: o.get("type").map(|t| t.to_serde_json()) },
        );
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn terraforms_outputs_are_read_with_exact_numbers() {
        let tf = br#"{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"l","outputs":{"n":{"value":18446744073709551617,"type":"number"},"s":{"value":"pw","type":"string","sensitive":true}},"resources":[],"check_results":null}"#;
        let outs = root_outputs(tf).unwrap().unwrap();
        assert_eq!(Json::from_value(&outs["n"].value).to_text(), "18446744073709551617");
        assert_eq!(outs["s"].value, Value::from("pw"));
        assert!(outs["s"].sensitive && !outs["n"].sensitive);
    }

    #[test]
    fn iacs_snapshot_and_empty_documents_are_read() {
        let mut s = State::new("l".into());
        s.outputs.insert("o".into(), OutputState::new(Value::from("x"), false));
        assert_eq!(root_outputs(&s.to_bytes()).unwrap().unwrap()["o"].value, Value::from("x"));
        assert_eq!(root_outputs(b"  \n").unwrap(), None);
        assert!(root_outputs(br#"{"version":3,"terraform_version":"0.11.14"}"#).unwrap_err().contains("version 3"));
    }
}
