//! `digitalocean_tag`: a tag made ahead of the objects that carry it (a
//! firewall's or a database firewall's rules can name it), with the counts
//! of what carries it.

use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// `digitalocean_tag`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct TagModel {
    /// the tag's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    #[sdk(computed)]
    pub total_resource_count: Option<i64>,
    #[sdk(computed)]
    pub droplets_count: Option<i64>,
    #[sdk(computed)]
    pub images_count: Option<i64>,
    #[sdk(computed)]
    pub volumes_count: Option<i64>,
    #[sdk(computed)]
    pub volume_snapshots_count: Option<i64>,
    #[sdk(computed)]
    pub databases_count: Option<i64>,
}

impl TagModel {
    fn from_api(t: &Json) -> TagModel {
        let r = &t["resources"];
        let count = |k: &str| Some(n(&r[k]["count"]).unwrap_or(0));
        TagModel {
            id: s(&t["name"]),
            name: text(&t["name"]),
            total_resource_count: Some(n(&r["count"]).unwrap_or(0)),
            droplets_count: count("droplets"),
            // The API's own spelling.
            images_count: count("imgages"),
            volumes_count: count("volumes"),
            volume_snapshots_count: count("volume_snapshots"),
            databases_count: count("databases"),
        }
    }
}

/// The `digitalocean_tag` resource type.
pub struct Tag;

#[async_trait]
impl Resource<DigitalOcean> for Tag {
    type Model = TagModel;
    const TYPE: &'static str = "digitalocean_tag";

    /// Creating a tag that exists is harmless: the API answers with it.
    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: TagModel) -> Result<TagModel, DoError> {
        let api = &cx.provider.api;
        let r = api.client.post_idempotent("/v2/tags", &json!({"name": planned.name})).await.map_err(DoError::api(&cx.addr))?;
        api.invalidate().await;
        Ok(TagModel::from_api(&r.json["tag"]))
    }

    async fn update(&self, _cx: &Ctx<'_, DigitalOcean>, _prior: TagModel, planned: TagModel) -> Result<TagModel, DoError> {
        Ok(planned)
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: TagModel) -> Result<Option<TagModel>, DoError> {
        let name = current.id.clone().unwrap_or(current.name.clone());
        let t = cx.provider.api.get_object(&format!("/v2/tags/{name}"), "tag").await.map_err(DoError::api(&cx.addr))?;
        Ok(t.as_ref().map(TagModel::from_api))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: TagModel) -> Result<(), DoError> {
        cx.provider.api.delete_object(&format!("/v2/tags/{}", prior.name)).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<TagModel>, DoError> {
        match cx.provider.api.get_object(&format!("/v2/tags/{id}"), "tag").await.map_err(DoError::api(&cx.addr))? {
            Some(t) => Ok(Some(TagModel::from_api(&t))),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no tag named {id:?}") }),
        }
    }
}
