//! Provider `null`, after hashicorp/null: `null_resource` does nothing but
//! exist (a change of the non-null values of `triggers` replaces it, which
//! is what it is used for), and the `null_data_source` data source copies
//! `inputs` to `outputs`.

use std::collections::BTreeMap;

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use crate::error::Error;
use crate::keepers;
use crate::random::os_bytes;

/// The configured `null` provider: nothing to configure.
pub struct Null;

impl Configured for Null {
    type Error = Error;
    const NAME: &'static str = "null";
}

#[async_trait]
impl Configure for Null {
    fn types() -> Types<Null> {
        Types::new().resource(NullResource).data_source(NullDataSource)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Null, ProviderError> {
        Ok(Null)
    }
}

/// A random non-negative 63-bit number, in decimal (what upstream's ids are).
fn random_decimal() -> Result<String, Error> {
    let b = os_bytes(8)?;
    Ok((u64::from_le_bytes(b.try_into().expect("eight bytes")) >> 1).to_string())
}

/// `null_resource`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct NullResourceModel {
    /// This is set to a random value at create time.
    #[sdk(computed)]
    id: Option<String>,
    /// A map of arbitrary strings that, when changed, will force the null resource to be replaced.
    #[sdk(optional)]
    triggers: Option<BTreeMap<String, Option<String>>>,
}

/// The `null_resource` resource type.
pub struct NullResource;

#[async_trait]
impl Resource<Null> for NullResource {
    type Model = NullResourceModel;
    const TYPE: &'static str = "null_resource";

    async fn modify_plan(&self, _cx: &Ctx<'_, Null>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        keepers::plan_replace("triggers", prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Null>, mut planned: NullResourceModel) -> Result<NullResourceModel, Error> {
        planned.id = Some(random_decimal()?);
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Null>, current: NullResourceModel) -> Result<Option<NullResourceModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Null>, _prior: NullResourceModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: there is nothing to import.
    async fn import(&self, _cx: &Ctx<'_, Null>, _id: &str) -> Result<Option<NullResourceModel>, Error> {
        Err(Error::Invalid("null_resource does not support import".into()))
    }
}

/// `null_data_source`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct NullDataSourceModel {
    /// A map of arbitrary strings that is copied into the `outputs` attribute.
    #[sdk(optional)]
    inputs: Option<BTreeMap<String, Option<String>>>,
    /// After the data source is read, a copy of the `inputs` map.
    #[sdk(computed)]
    outputs: Option<BTreeMap<String, Option<String>>>,
    /// A random value; for testing.
    #[sdk(computed)]
    random: Option<String>,
    /// If set, its literal value will be stored and returned; if not, `"default"`.
    #[sdk(optional, computed)]
    has_computed_default: Option<String>,
    /// Always `static`: kept for compatibility.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `null_data_source` data source (deprecated upstream in favour of
/// locals; kept so that configurations using it run).
pub struct NullDataSource;

#[async_trait]
impl DataSource<Null> for NullDataSource {
    type Model = NullDataSourceModel;
    const TYPE: &'static str = "null_data_source";

    async fn read(&self, _cx: &Ctx<'_, Null>, mut config: NullDataSourceModel) -> Result<NullDataSourceModel, Error> {
        config.outputs = config.inputs.clone();
        config.random = Some(random_decimal()?);
        config.has_computed_default.get_or_insert_with(|| "default".into());
        config.id = Some("static".into());
        Ok(config)
    }
}
