//! `random_uuid`: a random (version 4) UUID, also the `id`.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{os_bytes, Random};
use crate::error::Error;
use crate::keepers;

/// `random_uuid`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomUuidModel {
    /// The generated uuid presented in string format.
    #[sdk(computed)]
    id: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger recreation of resource.
    #[sdk(optional)]
    keepers: Option<BTreeMap<String, Option<String>>>,
    /// The generated uuid presented in string format.
    #[sdk(computed)]
    result: Option<String>,
}

/// The `random_uuid` resource type.
pub struct RandomUuid;

#[async_trait]
impl Resource<Random> for RandomUuid {
    type Model = RandomUuidModel;
    const TYPE: &'static str = "random_uuid";

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        keepers::plan_replace("keepers", prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, mut planned: RandomUuidModel) -> Result<RandomUuidModel, Error> {
        let bytes: [u8; 16] = os_bytes(16)?.try_into().expect("sixteen bytes");
        let u = uuid::Builder::from_random_bytes(bytes).into_uuid().to_string();
        planned.result = Some(u.clone());
        planned.id = Some(u);
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomUuidModel) -> Result<Option<RandomUuidModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomUuidModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by its value (any 8-4-4-4-12 hex UUID), written in lower case.
    async fn import(&self, _cx: &Ctx<'_, Random>, id: &str) -> Result<Option<RandomUuidModel>, Error> {
        let hyphenated = id.len() == 36 && id.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() });
        if !hyphenated {
            return Err(Error::Invalid(format!("cannot import random_uuid {id:?}: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")));
        }
        let u = id.to_ascii_lowercase();
        Ok(Some(RandomUuidModel { id: Some(u.clone()), keepers: None, result: Some(u) }))
    }
}
