//! `terraform_data` (provider `terraform`): stores `input` and mirrors it
//! into `output` (unknown while planning, as in Terraform, unless `input` is
//! unchanged); a change of `triggers_replace` replaces it; `id` is a random
//! UUID. No side effects.

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use crate::error::Error;

/// The configured `terraform` provider: nothing to configure.
pub struct Terraform;

impl Configured for Terraform {
    type Error = Error;
    const NAME: &'static str = "terraform";
}

#[async_trait]
impl Configure for Terraform {
    fn types() -> Types<Terraform> {
        Types::new().resource(TerraformData)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Terraform, ProviderError> {
        Ok(Terraform)
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
