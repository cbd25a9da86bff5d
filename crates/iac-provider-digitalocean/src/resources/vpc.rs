//! `digitalocean_vpc`: name and description update in place; region and
//! ip_range force replacement. Deleting waits out the 403/409 DigitalOcean
//! answers while a just-deleted cluster still holds the VPC, within
//! `timeouts.delete`.

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use super::create_or_adopt;
use super::timeouts::{waits_within, DeleteTimeout};
use crate::error::DoError;
use crate::values::*;
use crate::{wait, DigitalOcean};

/// `digitalocean_vpc`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct VpcModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(computed)]
    pub urn: Option<String>,
    #[sdk(required)]
    pub name: String,
    #[sdk(required, force_new)]
    pub region: String,
    #[sdk(optional, computed, force_new)]
    pub ip_range: Option<String>,
    #[sdk(optional)]
    pub description: Option<String>,
    #[sdk(computed)]
    pub default: Option<bool>,
    #[sdk(computed)]
    pub created_at: Option<String>,
    /// bounds the wait for the VPC's members to release it (default: the provider's wait_timeout_seconds)
    #[sdk(block, local)]
    pub timeouts: Option<DeleteTimeout>,
}

impl VpcModel {
    fn from_api(v: &Json) -> VpcModel {
        VpcModel {
            id: s(&v["id"]),
            urn: s(&v["urn"]),
            name: text(&v["name"]),
            region: text(&v["region"]),
            ip_range: s(&v["ip_range"]),
            description: s(&v["description"]).filter(|d| !d.is_empty()),
            default: Some(v["default"].as_bool().unwrap_or(false)),
            created_at: s(&v["created_at"]),
            timeouts: None,
        }
    }
}

/// The `digitalocean_vpc` resource type.
pub struct Vpc;

#[async_trait]
impl Resource<DigitalOcean> for Vpc {
    type Model = VpcModel;
    const TYPE: &'static str = "digitalocean_vpc";

    /// An empty description is none (DigitalOcean does not tell them apart).
    async fn modify_plan(&self, _cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        keep_absent_timeouts(prior, planned);
        if get_str(planned, "description") == Some("") {
            set(planned, "description", Value::Null);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: VpcModel) -> Result<VpcModel, DoError> {
        let api = &cx.provider.api;
        let mut body = Map::new();
        body.insert("name".into(), json!(planned.name));
        body.insert("region".into(), json!(planned.region));
        if let Some(r) = &planned.ip_range {
            body.insert("ip_range".into(), json!(r));
        }
        if let Some(d) = &planned.description {
            body.insert("description".into(), json!(d));
        }
        let body = Json::Object(body);
        let created = create_or_adopt(cx.addr, &api.waits, api.client_retries(), || api.create_vpc(&body), || api.vpc_by_name(&planned.name)).await?;
        Ok(VpcModel::from_api(&created))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: VpcModel, planned: VpcModel) -> Result<VpcModel, DoError> {
        let body = json!({"name": planned.name, "description": planned.description.as_deref().unwrap_or("")});
        let updated = cx.provider.api.update_vpc(prior.id.as_deref().unwrap_or_default(), &body).await.map_err(DoError::api(&cx.addr))?;
        Ok(VpcModel::from_api(&updated))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: VpcModel) -> Result<Option<VpcModel>, DoError> {
        let Some(id) = &current.id else { return Ok(None) };
        Ok(cx.provider.api.vpc_cached(id).await.map_err(DoError::api(&cx.addr))?.as_ref().map(VpcModel::from_api))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: VpcModel) -> Result<(), DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(id) = &prior.id else { return Ok(()) };
        let limit = prior.timeouts.as_ref().and_then(|t| t.delete.as_deref());
        wait::until(&waits_within(api, limit), addr, "the VPC to be released by its members", || async {
            match api.delete_vpc(id).await {
                Ok(()) => Ok(Some(())),
                Err(e) if matches!(e.status(), Some(403 | 409)) => {
                    tracing::info!(addr = %addr, error = %e, "VPC still in use; retrying");
                    Ok(None)
                }
                Err(e) => Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
            }
        })
        .await
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<VpcModel>, DoError> {
        match cx.provider.api.vpc(id).await.map_err(DoError::api(&cx.addr))? {
            Some(v) => Ok(Some(VpcModel::from_api(&v))),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no VPC with id {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: VpcModel) -> Result<Option<VpcModel>, DoError> {
        if planned.name.is_empty() {
            return Ok(None);
        }
        Ok(cx.provider.api.vpc_by_name(&planned.name).await.map_err(DoError::api(&cx.addr))?.as_ref().map(VpcModel::from_api))
    }
}
