//! `digitalocean_spaces_key`: a Spaces access key with its grants, through
//! the DigitalOcean API. Name and grants change in place; the secret is
//! shown once, by the create, and kept sensitive in state from then on.
//! The data source reads a key by its access key (never its secret).

use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// A grant on a bucket (`read`, `readwrite`), or `fullaccess` with an empty bucket.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Grant {
    #[sdk(required)]
    pub bucket: String,
    /// read, readwrite or fullaccess
    #[sdk(required)]
    pub permission: String,
}

/// `digitalocean_spaces_key`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct SpacesKeyModel {
    /// the access key
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub name: String,
    #[sdk(block)]
    pub grant: Vec<Grant>,
    #[sdk(computed)]
    pub access_key: Option<String>,
    /// only known to the state that created the key
    #[sdk(computed, sensitive)]
    pub secret_key: Option<String>,
    #[sdk(computed)]
    pub created_at: Option<String>,
}

impl SpacesKeyModel {
    fn from_api(k: &Json, secret: Option<String>) -> SpacesKeyModel {
        SpacesKeyModel {
            id: s(&k["access_key"]),
            name: text(&k["name"]),
            grant: k["grants"].as_array().into_iter().flatten().map(|g| Grant { bucket: text(&g["bucket"]), permission: text(&g["permission"]) }).collect(),
            access_key: s(&k["access_key"]),
            secret_key: s(&k["secret_key"]).or(secret),
            created_at: s(&k["created_at"]),
        }
    }

    fn body(&self) -> Json {
        json!({"name": self.name, "grants": self.grant.iter().map(|g| json!({"bucket": g.bucket, "permission": g.permission})).collect::<Vec<_>>()})
    }
}

/// The key object of a GET answer (`keys: [key]`, or `key`).
fn one(j: &Json) -> Json {
    j.get("key").cloned().or_else(|| j["keys"].get(0).cloned()).unwrap_or(Json::Null)
}

/// The `digitalocean_spaces_key` resource type.
pub struct SpacesKey;

#[async_trait]
impl Resource<DigitalOcean> for SpacesKey {
    type Model = SpacesKeyModel;
    const TYPE: &'static str = "digitalocean_spaces_key";

    /// Not repeated after an ambiguous failure: a second key would be made
    /// (keys are not unique by name, so one cannot be adopted safely).
    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: SpacesKeyModel) -> Result<SpacesKeyModel, DoError> {
        let api = &cx.provider.api;
        let k = api.create_object("/v2/spaces/keys", "key", &planned.body()).await.map_err(DoError::api(&cx.addr))?;
        Ok(SpacesKeyModel::from_api(&k, None))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: SpacesKeyModel, planned: SpacesKeyModel) -> Result<SpacesKeyModel, DoError> {
        let id = prior.id.clone().unwrap_or_default();
        let k = cx.provider.api.put_object(&format!("/v2/spaces/keys/{id}"), "key", &planned.body()).await.map_err(DoError::api(&cx.addr))?;
        Ok(SpacesKeyModel::from_api(&k, prior.secret_key))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: SpacesKeyModel) -> Result<Option<SpacesKeyModel>, DoError> {
        let Some(id) = &current.id else { return Ok(None) };
        let r = super::none_if_404(cx.provider.api.client.get(&format!("/v2/spaces/keys/{id}")).await).map_err(DoError::api(&cx.addr))?;
        Ok(r.map(|r| SpacesKeyModel::from_api(&one(&r.json), current.secret_key.clone())))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: SpacesKeyModel) -> Result<(), DoError> {
        let Some(id) = &prior.id else { return Ok(()) };
        cx.provider.api.delete_object(&format!("/v2/spaces/keys/{id}")).await.map_err(DoError::api(&cx.addr))
    }

    /// By access key (the secret stays unknown to the imported state).
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<SpacesKeyModel>, DoError> {
        let r = super::none_if_404(cx.provider.api.client.get(&format!("/v2/spaces/keys/{id}")).await).map_err(DoError::api(&cx.addr))?;
        match r {
            Some(r) => Ok(Some(SpacesKeyModel::from_api(&one(&r.json), None))),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no Spaces key {id:?}") }),
        }
    }
}

/// `data.digitalocean_spaces_key`'s argument and attributes (never the secret).
#[derive(Model, Debug, Default)]
pub struct SpacesKeyDataModel {
    #[sdk(required)]
    pub access_key: String,
    /// the access key
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(computed)]
    pub name: Option<String>,
    #[sdk(computed)]
    pub grant: Option<Vec<Grant>>,
    #[sdk(computed)]
    pub created_at: Option<String>,
}

/// The `digitalocean_spaces_key` data source: a key by its access key.
pub struct SpacesKeyData;

#[async_trait]
impl DataSource<DigitalOcean> for SpacesKeyData {
    type Model = SpacesKeyDataModel;
    const TYPE: &'static str = "digitalocean_spaces_key";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: SpacesKeyDataModel) -> Result<SpacesKeyDataModel, DoError> {
        let path = format!("/v2/spaces/keys/{}", config.access_key);
        let Some(r) = super::none_if_404(cx.provider.api.client.get(&path).await).map_err(DoError::api(&cx.addr))? else {
            return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no Spaces key {:?}", config.access_key) });
        };
        let k = SpacesKeyModel::from_api(&one(&r.json), None);
        Ok(SpacesKeyDataModel { access_key: config.access_key, id: k.id, name: Some(k.name), grant: Some(k.grant), created_at: k.created_at })
    }
}
