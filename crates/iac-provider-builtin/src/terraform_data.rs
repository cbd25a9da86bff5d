//! The `terraform` provider (`terraform.io/builtin/terraform`): its
//! factory, and `terraform_data`, which stores `input` and mirrors it into
//! `output` (unknown while planning, as in Terraform, unless `input` is
//! unchanged); a change of `triggers_replace` replaces it; `id` is a random
//! UUID. No side effects. Its data source, `terraform_remote_state`, is in
//! `remote_state.rs`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use iac_core::address::Mode;
use iac_core::provider::{ConfigureRequest, Provider, ProviderError, ProviderFactory};
use iac_core::remote_state::RemoteStateReader;
use iac_core::schema::{Block, ProviderSchema};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::{AttrPath, SdkProvider};

use crate::error::Error;
use crate::remote_state::RemoteState;

/// The configured `terraform` provider: where the stack is (relative paths
/// of `terraform_remote_state` start there) and who reads remote state.
pub struct Terraform {
    remote_states: Option<Arc<dyn RemoteStateReader>>,
    base_dir: PathBuf,
}

impl Terraform {
    /// The reader of other stacks' state, when this build has one.
    pub(crate) fn remote_states(&self) -> Option<&dyn RemoteStateReader> {
        self.remote_states.as_deref()
    }

    /// The root module's directory.
    pub(crate) fn base_dir(&self) -> &Path {
        &self.base_dir
    }
}

impl Configured for Terraform {
    type Error = Error;
    const NAME: &'static str = "terraform";
}

/// Registers the `terraform` provider (`terraform_data`,
/// `terraform_remote_state`). Hand-written, not the SDK's `Factory`,
/// because it is given the reader of remote state the CLI chose.
pub struct TerraformFactory {
    types: OnceLock<Arc<Types<Terraform>>>,
    schema: OnceLock<ProviderSchema>,
    remote_states: Option<Arc<dyn RemoteStateReader>>,
}

impl TerraformFactory {
    /// The provider, reading remote state through `remote_states` (None:
    /// `terraform_remote_state` fails, saying so).
    pub fn new(remote_states: Option<Arc<dyn RemoteStateReader>>) -> TerraformFactory {
        TerraformFactory { types: OnceLock::new(), schema: OnceLock::new(), remote_states }
    }

    fn types(&self) -> &Arc<Types<Terraform>> {
        self.types.get_or_init(|| Arc::new(Types::new().resource(TerraformData).data_source(RemoteState)))
    }
}

#[async_trait]
impl ProviderFactory for TerraformFactory {
    fn name(&self) -> &str {
        Terraform::NAME
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.types().schema(Block::default()))
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let provider = Terraform { remote_states: self.remote_states.clone(), base_dir: req.context.stack_dir.clone() };
        Ok(Arc::new(SdkProvider::new(provider, self.types().clone())))
    }
    fn validate_offline(&self, mode: Mode, type_: &str, config: &Value) -> Vec<(AttrPath, String, String)> {
        match (mode, type_, &self.remote_states) {
            (Mode::Data, RemoteState::TYPE, Some(reader)) => crate::remote_state::check_settings(reader.as_ref(), config),
            _ => Vec::new(),
        }
    }
}

/// `terraform_data`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TerraformDataModel {
    /// A random UUID.
    #[sdk(computed)]
    id: Option<String>,
    /// Any value, stored.
    #[sdk(optional)]
    input: Option<Value>,
    /// `input`, once applied.
    #[sdk(computed)]
    output: Option<Value>,
    /// A change replaces the object.
    #[sdk(optional)]
    triggers_replace: Option<Value>,
}

/// The `terraform_data` resource type.
pub struct TerraformData;

#[async_trait]
impl Resource<Terraform> for TerraformData {
    type Model = TerraformDataModel;
    const TYPE: &'static str = "terraform_data";

    async fn modify_plan(&self, _cx: &Ctx<'_, Terraform>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        let Value::Map(m) = planned else { return Ok(()) };
        // Compared in place: this runs for every instance of every plan.
        let null = Value::Null;
        let input = m.get("input").unwrap_or(&null);
        let triggers = m.get("triggers_replace").unwrap_or(&null);
        // As Terraform: `output` is known only after apply, unless `input` is unchanged.
        let mut output = Value::Unknown;
        if let Some(prior) = prior {
            if prior.get("triggers_replace").unwrap_or(&null) != triggers || !triggers.is_wholly_known() {
                replace.push(AttrPath::attr("triggers_replace"));
            } else if prior.get("input").unwrap_or(&null) == input && input.is_wholly_known() {
                output = prior.get("output").cloned().unwrap_or(Value::Null);
            }
        }
        m.insert("output".into(), output);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Terraform>, mut planned: TerraformDataModel) -> Result<TerraformDataModel, Error> {
        planned.id = Some(uuid::Uuid::new_v4().to_string());
        planned.output = planned.input.clone();
        Ok(planned)
    }

    async fn update(&self, _cx: &Ctx<'_, Terraform>, _prior: TerraformDataModel, mut planned: TerraformDataModel) -> Result<TerraformDataModel, Error> {
        if planned.output.is_none() {
            planned.output = planned.input.clone();
        }
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Terraform>, current: TerraformDataModel) -> Result<Option<TerraformDataModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Terraform>, _prior: TerraformDataModel) -> Result<(), Error> {
        Ok(())
    }
}
