//! The provider protocol, shaped like Terraform's: one request and one
//! response type per operation. A [`ProviderFactory`] is registered under a
//! provider name and makes configured [`Provider`] instances; a provider's
//! configuration may itself come from other resources' attributes, so the
//! engine configures providers lazily, once their configuration is known.

use std::sync::Arc;

use async_trait::async_trait;

use crate::address::InstanceAddr;
use crate::path::AttrPath;
use crate::schema::ProviderSchema;
use crate::value::Value;

/// What a provider knows about the run it serves.
#[derive(Clone, Debug, Default)]
pub struct ProviderContext {
    /// A stable identifier of the stack, for ownership tags.
    pub stack_id: String,
    /// The directory of the stack's root module.
    pub stack_dir: std::path::PathBuf,
}

#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    /// The evaluated `provider` block, wholly known and without marks.
    pub config: Value,
    pub context: ProviderContext,
}

#[derive(Clone, Debug)]
pub struct PlanChangeRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    /// The object as last refreshed; None when it is to be created.
    pub prior: Option<Value>,
    /// The evaluated configuration; may contain unknown values; no marks.
    pub config: Value,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanChangeResponse {
    /// The object as it will be after apply; unknown where only apply can tell.
    pub planned: Value,
    /// Attribute paths whose change cannot be made in place.
    pub requires_replace: Vec<AttrPath>,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct ApplyChangeRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    /// None for a create.
    pub prior: Option<Value>,
    pub planned: Value,
    pub config: Value,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApplyChangeResponse {
    /// The object as it now is; wholly known.
    pub new_state: Value,
    pub private: Option<serde_json::Value>,
}

/// A failed apply. Terraform stores the object a provider returns with its
/// error (a created object tainted, an updated one as it now is), so a
/// provider that knows what it left behind says so in `partial`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct ApplyFailure {
    #[source]
    pub error: ProviderError,
    /// The object as the failed apply left it (None: as before, or unknown).
    pub partial: Option<ApplyChangeResponse>,
}

impl From<ProviderError> for ApplyFailure {
    fn from(error: ProviderError) -> ApplyFailure {
        ApplyFailure { error, partial: None }
    }
}

#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub current: Value,
    pub private: Option<serde_json::Value>,
}

/// What a refresh found, with the private data to keep with the object.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadResponse {
    /// None when the object no longer exists.
    pub new_state: Option<Value>,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct DeleteRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub prior: Value,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct ImportRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub id: String,
}

/// An imported object, with the private data to keep with it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportResponse {
    pub state: Value,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct ReadDataRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub config: Value,
}

/// Terraform's MoveResourceState: an object of another resource type (of
/// this provider or another), moved here by a `moved` block, to become an
/// object of `target_type`.
#[derive(Clone, Debug)]
pub struct MoveStateRequest {
    pub addr: InstanceAddr,
    /// The local name of the provider that managed it (`aws`).
    pub source_provider: String,
    /// That provider's full source address (`registry.terraform.io/hashicorp/aws`),
    /// which Terraform sends the target provider.
    pub source_provider_address: String,
    pub source_type: String,
    pub source_schema_version: u64,
    /// Its attributes as state holds them.
    pub source_state: serde_json::Value,
    pub source_private: Option<serde_json::Value>,
    pub target_type: String,
}

/// The moved object, now of the target type.
#[derive(Clone, Debug, PartialEq)]
pub struct MoveStateResponse {
    pub state: Value,
    pub private: Option<serde_json::Value>,
}

/// Opens an ephemeral resource (`ephemeral "TYPE" "NAME" {}`).
#[derive(Clone, Debug)]
pub struct OpenEphemeralRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    /// The evaluated body, wholly known and without marks.
    pub config: Value,
}

/// An opened ephemeral resource: its value lives in memory only.
#[derive(Clone, Debug)]
pub struct OpenEphemeralResponse {
    pub value: Value,
    /// When the provider wants [`Provider::renew_ephemeral`] called (None: never).
    pub renew_at: Option<std::time::SystemTime>,
    /// Handed back on renew and close; never stored.
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct RenewEphemeralRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct RenewEphemeralResponse {
    pub renew_at: Option<std::time::SystemTime>,
    pub private: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct CloseEphemeralRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub private: Option<serde_json::Value>,
}

/// After a crash between "create requested" and "create recorded", the
/// engine asks the provider to find the object it may have created.
#[derive(Clone, Debug)]
pub struct RecoverRequest {
    pub type_: String,
    pub addr: InstanceAddr,
    pub planned: Value,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The configuration is not acceptable (detected before any change).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The remote API refused or failed.
    #[error("{message}")]
    Api { code: String, message: String },
    /// An operation did not finish in its time limit.
    #[error("timed out after {seconds}s: {what}")]
    Timeout { what: String, seconds: u64 },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Other(String),
    /// An error the provider tied to one attribute (`path`, from the
    /// resource's top), so the diagnostic can point where it was written.
    #[error("{error}")]
    At { path: AttrPath, error: Box<ProviderError> },
    /// `error` as the provider worded it: its own diagnostics (a plugin's),
    /// which Terraform shows as they are where a provider's configuration
    /// fails. Everywhere else it is `error`.
    #[error("{error}")]
    Reported { diagnostics: Vec<ProviderDiagnostic>, error: Box<ProviderError> },
}

/// One error in a provider's own words: its summary, detail and the
/// attribute it is about (from the configuration's top), as a plugin's
/// diagnostic carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDiagnostic {
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl ProviderError {
    /// The attribute the error is about, when the provider said.
    pub fn path(&self) -> Option<&AttrPath> {
        match self {
            ProviderError::At { path, .. } => Some(path),
            ProviderError::Reported { error, .. } => error.path(),
            _ => None,
        }
    }

    /// Whether the provider refused the configuration by its own rules,
    /// before any change ([`ProviderError::InvalidConfig`], however wrapped).
    pub fn is_invalid_config(&self) -> bool {
        match self {
            ProviderError::InvalidConfig(_) => true,
            ProviderError::At { error, .. } | ProviderError::Reported { error, .. } => error.is_invalid_config(),
            _ => false,
        }
    }

    /// The error as diagnostics in the provider's words: those it reported,
    /// else one whose summary is the error's message (an invalid
    /// configuration's without the words saying so) and whose attribute is
    /// [`ProviderError::path`].
    pub fn diagnostics(&self) -> Vec<ProviderDiagnostic> {
        match self {
            ProviderError::Reported { diagnostics, .. } => diagnostics.clone(),
            ProviderError::At { error, .. } => {
                error.diagnostics().into_iter().map(|d| ProviderDiagnostic { path: d.path.or_else(|| self.path().cloned()), ..d }).collect()
            }
            ProviderError::InvalidConfig(m) => vec![ProviderDiagnostic { summary: m.clone(), detail: String::new(), path: None }],
            other => vec![ProviderDiagnostic { summary: other.to_string(), detail: String::new(), path: None }],
        }
    }
}

/// A configured provider.
#[async_trait]
pub trait Provider: Send + Sync {
    /// How many operations of this provider may run at once (None: no limit
    /// beyond the engine's `-parallelism`).
    fn max_concurrency(&self) -> Option<usize> {
        None
    }

    /// Provider-specific checks beyond the schema; messages per attribute.
    fn validate_resource(&self, _type_: &str, _config: &Value) -> Vec<(AttrPath, String)> {
        Vec::new()
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError>;
    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError>;
    /// Refreshes an object; Ok(None) when it no longer exists.
    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError>;
    async fn delete(&self, req: DeleteRequest) -> Result<(), ProviderError>;
    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError>;
    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError>;

    /// [`Provider::apply_change`] with what a failed apply left behind: the
    /// call the engine makes. The default reports no partial object, for
    /// providers whose failures leave the object as it was.
    async fn apply_object(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ApplyFailure> {
        Ok(self.apply_change(req).await?)
    }

    /// Turns an object of another resource type into one of this provider's
    /// (a `moved` block across types). The default: this provider cannot,
    /// and Terraform's answer then is an error.
    async fn move_state(&self, req: MoveStateRequest) -> Result<MoveStateResponse, ProviderError> {
        Err(ProviderError::Unsupported(format!(
            "moving a {} object ({} provider) to resource type {}: the provider cannot convert between these types",
            req.source_type, req.source_provider, req.target_type
        )))
    }

    /// [`Provider::read`] with the private data the provider wants kept: the
    /// call the engine makes. The default keeps the private data it was given.
    async fn read_object(&self, req: ReadRequest) -> Result<ReadResponse, ProviderError> {
        let private = req.private.clone();
        Ok(ReadResponse { new_state: self.read(req).await?, private })
    }

    /// [`Provider::import`] with the private data the provider wants kept:
    /// the call the engine makes. The default has none.
    async fn import_object(&self, req: ImportRequest) -> Result<ImportResponse, ProviderError> {
        Ok(ImportResponse { state: self.import(req).await?, private: None })
    }
    /// Finds an object created by an interrupted create (by name or ownership
    /// tag). The default says there is none, for providers whose creates
    /// leave nothing behind when interrupted.
    async fn recover(&self, _req: RecoverRequest) -> Result<Option<Value>, ProviderError> {
        Ok(None)
    }

    /// Lists the cloud objects of the given resource types (all the types it
    /// can list when `types` is empty) in the provider's scope, for `iac
    /// drift -unmanaged`, which reports those no state knows about. The
    /// default: this provider cannot list anything.
    async fn list_objects(&self, _types: &[String]) -> Result<Vec<CloudObject>, ProviderError> {
        Err(ProviderError::Unsupported("listing cloud objects".into()))
    }

    /// Opens an ephemeral resource. The default: this provider has none.
    async fn open_ephemeral(&self, req: OpenEphemeralRequest) -> Result<OpenEphemeralResponse, ProviderError> {
        Err(ProviderError::Unsupported(format!("ephemeral resource type {}", req.type_)))
    }

    /// Renews an open ephemeral resource when its `renew_at` comes. The
    /// default: nothing to renew.
    async fn renew_ephemeral(&self, req: RenewEphemeralRequest) -> Result<RenewEphemeralResponse, ProviderError> {
        Ok(RenewEphemeralResponse { renew_at: None, private: req.private })
    }

    /// Closes an ephemeral resource the run no longer needs. The default:
    /// nothing to release.
    async fn close_ephemeral(&self, _req: CloseEphemeralRequest) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// An object found in the cloud by [`Provider::list_objects`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CloudObject {
    /// The resource type that manages such objects (`digitalocean_vpc`).
    pub type_: String,
    /// The id state records for it (the import id).
    pub id: String,
    /// Its human name (for the report and filter files), or empty.
    pub name: String,
}

/// Registered under a provider name (`aws`, `digitalocean`, `terraform`).
#[async_trait]
pub trait ProviderFactory: Send + Sync {
    fn name(&self) -> &str;
    fn schema(&self) -> &ProviderSchema;
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError>;
    /// Checks that need no connection, run at plan time even while the
    /// configuration still waits on values known only after apply (a
    /// cluster created in the same run): that a program the provider runs
    /// is installed, say. So a missing tool fails the plan, not an apply
    /// half-way through. `config` may hold unknown values.
    fn preflight(&self, _config: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Checks of a resource's or data source's configuration that need no
    /// configured provider, run by `iac validate` (Terraform's validate asks
    /// providers the same): each problem's attribute, summary and detail.
    /// `config` may hold unknown values, which nothing is checked against.
    fn validate_offline(&self, _mode: crate::address::Mode, _type_: &str, _config: &Value) -> Vec<(AttrPath, String, String)> {
        Vec::new()
    }

    /// The provider-defined functions it offers to expressions
    /// (`provider::NAME::FUNC(...)`), by name.
    fn function_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Calls a provider-defined function with wholly known, unmarked
    /// arguments. Functions need no provider configuration (Terraform calls
    /// them on an unconfigured provider), and are synchronous because
    /// expressions are evaluated synchronously: an implementation that must
    /// wait does so on its own. Err carries the provider's message.
    fn call_function(&self, name: &str, _args: Vec<Value>) -> Result<Value, ProviderError> {
        Err(ProviderError::Unsupported(format!("the provider has no function {name:?}")))
    }
}
