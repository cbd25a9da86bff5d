//! The reader behind `data "terraform_remote_state"`: the root outputs of
//! another stack's state, in whichever form either tool keeps it.
//!
//! - `local`: the file `path` names (`terraform.tfstate`; a workspace's is
//!   `WORKSPACE_DIR/NAME/terraform.tfstate`), relative to the reading stack.
//!   iac's own state for the same configuration wins where it exists: the
//!   folder `path` names, or the folder `<path>.iac` beside the file (where
//!   iac keeps a `backend "local" { path }` stack's state, see
//!   `wiring::plain_backend`); else the file is Terraform's state (format
//!   4) or an exported one (`iac state pull`).
//! - `s3`: the object at `key` (a workspace's at
//!   `<workspace_key_prefix>/<name>/<key>`): Terraform's state, or iac's
//!   snapshot and journal.
//! - `pg`: iac's tables in the schema, else Terraform's `states` row of the
//!   workspace.
//!
//! iac's state is read as the engine reads it (snapshot plus journal,
//! sealed state opened with the keys of the environment). Other Terraform
//! backends are refused by name; names Terraform does not know get
//! Terraform's own message.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use iac_core::backend::StateBackend;
use iac_core::remote_state::{root_outputs, RemoteStateError, RemoteStateReader, RemoteStateRequest, DEFAULT_WORKSPACE};
use iac_core::state::OutputState;

use crate::wiring;

type Outputs = Option<BTreeMap<String, OutputState>>;

/// Backends Terraform 1.11 has that iac does not read.
const TERRAFORM_ONLY: &[&str] = &["remote", "azurerm", "consul", "cos", "gcs", "http", "inmem", "kubernetes", "oss", "cloud"];

/// Backends Terraform removed, with its message.
const REMOVED: &[(&str, &str)] = &[
    ("artifactory", "The \"artifactory\" backend is not supported in Terraform v1.3 or later."),
    ("azure", "The \"azure\" backend name has been removed, please use \"azurerm\"."),
    ("etcd", "The \"etcd\" backend is not supported in Terraform v1.3 or later."),
    ("etcdv3", "The \"etcdv3\" backend is not supported in Terraform v1.3 or later."),
    ("manta", "The \"manta\" backend is not supported in Terraform v1.3 or later."),
    ("swift", "The \"swift\" backend is not supported in Terraform v1.3 or later."),
];

/// The CLI's [`RemoteStateReader`].
pub struct CliRemoteStates;

#[async_trait]
impl RemoteStateReader for CliRemoteStates {
    async fn outputs(&self, req: &RemoteStateRequest) -> Result<Outputs, RemoteStateError> {
        match req.backend.as_str() {
            "local" => local(req).await,
            "s3" => s3(req).await,
            "pg" => pg(req).await,
            name => Err(unknown_backend(name)),
        }
    }

    /// What `iac validate` reports, as Terraform's validate: an unknown or
    /// removed backend, a local backend's unexpected settings.
    fn check_settings(&self, backend: &str, config: &std::collections::BTreeMap<String, serde_json::Value>) -> Result<(), RemoteStateError> {
        match backend {
            "local" => local_settings(config),
            "s3" | "pg" => Ok(()),
            name if TERRAFORM_ONLY.contains(&name) => Ok(()),
            name => Err(unknown_backend(name)),
        }
    }
}

/// Terraform's error for a backend it has not (or no longer), or iac's for
/// one only Terraform reads.
fn unknown_backend(name: &str) -> RemoteStateError {
    RemoteStateError::UnknownBackend(match REMOVED.iter().find(|(n, _)| *n == name) {
        Some((_, message)) => message.to_string(),
        None if TERRAFORM_ONLY.contains(&name) => {
            format!("The {name:?} backend is not available in iac, which reads remote state from the local, s3 and pg backends.")
        }
        None => format!("There is no backend type named {name:?}."),
    })
}

/// The local backend's settings: `path` and `workspace_dir`, strings.
fn local_settings(config: &std::collections::BTreeMap<String, serde_json::Value>) -> Result<(), RemoteStateError> {
    if let Some(k) = config.keys().find(|k| !matches!(k.as_str(), "path" | "workspace_dir")) {
        return Err(invalid("local", format!("unexpected attribute {k:?}")));
    }
    match config.iter().find(|(_, v)| !matches!(v, serde_json::Value::String(_) | serde_json::Value::Null)) {
        Some((key, other)) => Err(invalid("local", format!("attribute {key:?}: string required, not {other}"))),
        None => Ok(()),
    }
}

fn invalid(backend: &str, detail: impl std::fmt::Display) -> RemoteStateError {
    RemoteStateError::InvalidConfig(format!("The given configuration is not valid for backend {backend:?}: {detail}."))
}

/// A string setting, or Terraform's error for another type.
fn string_setting(req: &RemoteStateRequest, key: &str) -> Result<Option<String>, RemoteStateError> {
    match req.config.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid(&req.backend, format!("attribute {key:?}: string required, not {other}"))),
    }
}

/// iac's state in `backend`, opened as the engine opens it; None when no snapshot was ever written.
async fn iac_outputs(backend: Arc<dyn StateBackend>) -> Result<Outputs, RemoteStateError> {
    let keys = wiring::state_keys().map_err(RemoteStateError::Read)?;
    let sealed = iac_state_crypt::EncryptedBackend::new(backend, keys);
    let loaded = iac_engine::statemgr::load(&sealed).await.map_err(|e| RemoteStateError::Read(e.to_string()))?;
    Ok(loaded.exists.then_some(loaded.state.outputs))
}

fn decode(bytes: &[u8], what: &str) -> Result<Outputs, RemoteStateError> {
    root_outputs(bytes).map_err(|e| RemoteStateError::Read(format!("{what}: {e}")))
}

async fn local(req: &RemoteStateRequest) -> Result<Outputs, RemoteStateError> {
    local_settings(&req.config)?;
    let file: PathBuf = if req.workspace == DEFAULT_WORKSPACE {
        req.base_dir.join(string_setting(req, "path")?.unwrap_or_else(|| "terraform.tfstate".into()))
    } else {
        let dir = string_setting(req, "workspace_dir")?.unwrap_or_else(|| "terraform.tfstate.d".into());
        req.base_dir.join(dir).join(&req.workspace).join("terraform.tfstate")
    };
    let beside = wiring::iac_dir_beside(&file);
    for dir in [&file, &beside] {
        if dir.is_dir() {
            return iac_outputs(Arc::new(iac_state_local::LocalBackend::new(dir.clone()))).await;
        }
    }
    match std::fs::read(&file) {
        Ok(bytes) => decode(&bytes, &file.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(RemoteStateError::Read(format!("{}: {e}", file.display()))),
    }
}

async fn s3(req: &RemoteStateRequest) -> Result<Outputs, RemoteStateError> {
    let mut config = iac_state_s3::S3Config::from_settings(&req.config, &[]).map_err(|e| invalid("s3", e))?;
    if req.workspace != DEFAULT_WORKSPACE {
        config.key = format!("{}/{}/{}", config.workspace_key_prefix, req.workspace, config.key);
    }
    let backend = iac_state_s3::S3Backend::new(config);
    if let Some(bytes) = backend.terraform_state_at_key().await.map_err(|e| RemoteStateError::Read(e.to_string()))? {
        return decode(&bytes, &backend.describe());
    }
    iac_outputs(Arc::new(backend)).await
}

async fn pg(req: &RemoteStateRequest) -> Result<Outputs, RemoteStateError> {
    // Settings that only shape what Terraform creates when it writes.
    let settings: BTreeMap<String, serde_json::Value> =
        req.config.iter().filter(|(k, _)| !k.starts_with("skip_") || !k.ends_with("_creation")).map(|(k, v)| (k.clone(), v.clone())).collect();
    let config = iac_state_pg::PgConfig::from_settings(&settings, &[], std::env::var("PG_CONN_STR").ok()).map_err(|e| invalid("pg", e))?;
    if req.workspace == DEFAULT_WORKSPACE {
        if let Some(outputs) = iac_outputs(Arc::new(iac_state_pg::PgBackend::new(config.clone()))).await? {
            return Ok(Some(outputs));
        }
    }
    let terraform = iac_state_pg::TerraformPgState::new(config, &req.workspace);
    match terraform.read().await.map_err(|e| RemoteStateError::Read(e.to_string()))? {
        Some(bytes) => decode(&bytes, &terraform.location()),
        None => Ok(None),
    }
}
