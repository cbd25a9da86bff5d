//! `data "terraform_remote_state"` (provider `terraform`): the root outputs
//! of another stack's state, with Terraform 1.11's arguments (`backend`,
//! `config`, `defaults`, `workspace`) and its one attribute, `outputs`: an
//! object of the stored outputs over `defaults`. As in Terraform, outputs
//! come without their sensitive marks (Terraform does not carry them
//! through), null outputs are absent (state never holds them), and a
//! workspace with no stored state is an error even with `defaults`.
//!
//! Which backends exist, and how their state is read, is the CLI's: the
//! provider asks a [`RemoteStateReader`] it was given (none: every read is
//! an error saying so).

use std::collections::BTreeMap;

use iac_core::path::AttrPath;
use iac_core::remote_state::{RemoteStateError, RemoteStateReader, RemoteStateRequest, DEFAULT_WORKSPACE};
use iac_core::ValueMap;
use iac_provider_sdk::prelude::*;

use crate::error::Error;
use crate::terraform_data::Terraform;

/// `terraform_remote_state`'s arguments and attribute.
#[derive(Model, Debug, Clone, Default)]
pub struct RemoteStateModel {
    /// The backend type the other stack's state is in (`local`, `s3`, `pg`).
    #[sdk(required)]
    backend: String,
    /// The backend's settings, as in a `backend` block.
    #[sdk(optional)]
    config: Option<Value>,
    /// Values for outputs the state does not have.
    #[sdk(optional)]
    defaults: Option<Value>,
    /// The workspace (`default` when not set).
    #[sdk(optional)]
    workspace: Option<String>,
    /// Every root output of the state, over `defaults`.
    #[sdk(computed)]
    outputs: Option<Value>,
}

/// The `terraform_remote_state` data source.
pub struct RemoteState;

/// Terraform's validate-time errors of a `terraform_remote_state`
/// configuration: an unknown or removed backend (on `backend`), settings it
/// does not take (on `config`). Unknown values are not checked.
pub(crate) fn check_settings(reader: &dyn RemoteStateReader, config: &Value) -> Vec<(AttrPath, String, String)> {
    let (Some(Value::String(backend)), settings) = (config.get("backend").map(Value::unmarked), config.get("config").map(Value::unmarked)) else {
        return Vec::new();
    };
    let settings = match settings {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Map(m)) if m.values().all(Value::is_wholly_known) => m.iter().map(|(k, v)| (k.clone(), v.unmarked().to_json())).collect(),
        Some(_) => return Vec::new(),
    };
    let backend = if backend == "_local" { "local" } else { backend.as_str() };
    match reader.check_settings(backend, &settings) {
        Err(RemoteStateError::UnknownBackend(m)) => vec![(AttrPath::attr("backend"), "Invalid backend configuration".into(), m)],
        Err(RemoteStateError::InvalidConfig(m)) => vec![(AttrPath::attr("config"), "Invalid backend configuration".into(), m)],
        _ => Vec::new(),
    }
}

/// An object (or map) argument's entries; anything else is Terraform's
/// error `summary: detail` on `attr`.
fn object_entries(v: Option<&Value>, summary: &str, detail: &str, attr: &'static str) -> Result<ValueMap, Error> {
    match v.map(Value::unmarked) {
        None | Some(Value::Null) => Ok(ValueMap::new()),
        Some(Value::Map(m)) => Ok(m.clone()),
        Some(_) => Err(Error::at(attr, format!("{summary}: {detail}"))),
    }
}

#[async_trait]
impl DataSource<Terraform> for RemoteState {
    type Model = RemoteStateModel;
    const TYPE: &'static str = "terraform_remote_state";

    async fn read(&self, cx: &Ctx<'_, Terraform>, mut model: RemoteStateModel) -> Result<RemoteStateModel, Error> {
        let config = object_entries(model.config.as_ref(), "Invalid backend configuration", "The configuration must be an object value.", "config")?;
        let defaults = object_entries(model.defaults.as_ref(), "Invalid default values", "Defaults must be given in an object value.", "defaults")?;
        let Some(reader) = cx.provider.remote_states() else {
            return Err(Error::at("backend", "Invalid backend configuration: this build of iac reads no remote state".into()));
        };
        // As Terraform: the old `_local` spelling is `local`.
        let backend = if model.backend == "_local" { "local".to_string() } else { model.backend.clone() };
        let request = RemoteStateRequest {
            backend,
            config: config.iter().map(|(k, v)| (k.clone(), v.unmarked().to_json())).collect(),
            workspace: model.workspace.clone().unwrap_or_else(|| DEFAULT_WORKSPACE.into()),
            base_dir: cx.provider.base_dir().to_path_buf(),
        };
        let stored = reader.outputs(&request).await.map_err(|e| match e {
            RemoteStateError::UnknownBackend(m) => Error::at("backend", format!("Invalid backend configuration: {m}")),
            RemoteStateError::InvalidConfig(m) => Error::at("config", format!("Invalid backend configuration: {m}")),
            RemoteStateError::Read(m) => Error::at("backend", format!("Error loading state error: error loading the remote state: {m}")),
        })?;
        let Some(stored) = stored else {
            return Err(Error::at("workspace", "Unable to find remote state: No stored state was found for the given workspace in the given backend.".into()));
        };
        let mut outputs = defaults;
        for (name, o) in stored {
            if !o.value.is_null() {
                outputs.insert(name, o.value);
            }
        }
        model.outputs = Some(Value::Map(outputs));
        Ok(model)
    }
}
