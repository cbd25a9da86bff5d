//! `digitalocean_container_registry` (its subscription tier is the
//! account's and changes in place; name and region force replacement) and
//! `digitalocean_container_registry_docker_credentials` (a Docker config for
//! `registry.digitalocean.com`, sensitive, fetched again when `write` or
//! `expiry_seconds` change or when it has expired).

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::json;

use crate::api::Api;
use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// The registries' host.
pub const REGISTRY_HOST: &str = "registry.digitalocean.com";

/// The longest lifetime the API gives credentials (about 50 years), upstream's default.
const EXPIRY_SECONDS_MAX: i64 = 1_576_800_000;

/// `digitalocean_container_registry`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RegistryModel {
    /// the registry's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    /// starter, basic or professional
    #[sdk(required)]
    pub subscription_tier_slug: String,
    #[sdk(optional, computed, force_new)]
    pub region: Option<String>,
    /// registry.digitalocean.com/NAME
    #[sdk(computed)]
    pub endpoint: Option<String>,
    #[sdk(computed)]
    pub server_url: Option<String>,
    #[sdk(computed)]
    pub storage_usage_bytes: Option<i64>,
    #[sdk(computed)]
    pub created_at: Option<String>,
}

impl RegistryModel {
    fn from_api(r: &serde_json::Value, tier: String) -> RegistryModel {
        let name = text(&r["name"]);
        RegistryModel {
            id: Some(name.clone()),
            endpoint: Some(format!("{REGISTRY_HOST}/{name}")),
            server_url: Some(REGISTRY_HOST.into()),
            name,
            subscription_tier_slug: tier,
            region: s(&r["region"]),
            storage_usage_bytes: n(&r["storage_usage_bytes"]),
            created_at: s(&r["created_at"]),
        }
    }
}

async fn registry(api: &Api, name: &str) -> Result<Option<serde_json::Value>, crate::client::ApiError> {
    api.get_object(&format!("/v2/registries/{name}"), "registry").await
}

/// The account's subscription tier.
async fn tier(api: &Api, addr: &str) -> Result<String, DoError> {
    let sub = api.get_object("/v2/registries/subscription", "subscription").await.map_err(DoError::api(&addr))?;
    Ok(sub.map(|s| text(&s["tier"]["slug"])).unwrap_or_default())
}

async fn read_registry(api: &Api, addr: &str, name: &str) -> Result<Option<RegistryModel>, DoError> {
    match registry(api, name).await.map_err(DoError::api(&addr))? {
        Some(r) => Ok(Some(RegistryModel::from_api(&r, tier(api, addr).await?))),
        None => Ok(None),
    }
}

/// The `digitalocean_container_registry` resource type.
pub struct ContainerRegistry;

#[async_trait]
impl Resource<DigitalOcean> for ContainerRegistry {
    type Model = RegistryModel;
    const TYPE: &'static str = "digitalocean_container_registry";

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: RegistryModel) -> Result<RegistryModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let mut body = json!({"name": planned.name, "subscription_tier_slug": planned.subscription_tier_slug});
        if let Some(r) = &planned.region {
            body["region"] = json!(r);
        }
        super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object("/v2/registries", "registry", &body),
            || registry(api, &planned.name),
        )
        .await?;
        read_registry(api, addr, &planned.name)
            .await?
            .ok_or_else(|| DoError::Invalid { addr: addr.to_string(), message: format!("registry {:?} disappeared after its create", planned.name) })
    }

    /// Only the tier changes in place: it is the account's subscription.
    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: RegistryModel, planned: RegistryModel) -> Result<RegistryModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if prior.subscription_tier_slug != planned.subscription_tier_slug {
            api.client
                .post_idempotent("/v2/registries/subscription", &json!({"tier_slug": planned.subscription_tier_slug}))
                .await
                .map_err(DoError::api(&addr))?;
        }
        read_registry(api, addr, &planned.name)
            .await?
            .ok_or_else(|| DoError::Invalid { addr: addr.to_string(), message: format!("registry {:?} is gone", planned.name) })
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: RegistryModel) -> Result<Option<RegistryModel>, DoError> {
        let name = current.id.clone().unwrap_or(current.name.clone());
        read_registry(&cx.provider.api, cx.addr, &name).await
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: RegistryModel) -> Result<(), DoError> {
        cx.provider.api.delete_object(&format!("/v2/registries/{}", prior.name)).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<RegistryModel>, DoError> {
        match read_registry(&cx.provider.api, cx.addr, id).await? {
            Some(r) => Ok(Some(r)),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no container registry named {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: RegistryModel) -> Result<Option<RegistryModel>, DoError> {
        if planned.name.is_empty() {
            return Ok(None);
        }
        read_registry(&cx.provider.api, cx.addr, &planned.name).await
    }
}

/// `digitalocean_container_registry_docker_credentials`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DockerCredentialsModel {
    /// the registry's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub registry_name: String,
    /// read and write access (pull only otherwise)
    #[sdk(optional, default = false)]
    pub write: Option<bool>,
    /// the credentials' lifetime
    #[sdk(optional, default = EXPIRY_SECONDS_MAX)]
    pub expiry_seconds: Option<i64>,
    /// a Docker config.json for the registry
    #[sdk(computed, sensitive)]
    pub docker_credentials: Option<String>,
    #[sdk(computed)]
    pub credential_expiration_time: Option<String>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

impl DockerCredentialsModel {
    /// New credentials as the model asks for them.
    async fn fetch(mut self, api: &Api, addr: &str) -> Result<DockerCredentialsModel, DoError> {
        let expiry = self.expiry_seconds.unwrap_or(EXPIRY_SECONDS_MAX);
        let write = self.write.unwrap_or(false);
        let path = format!("/v2/registry/docker-credentials?expiry_seconds={expiry}&read_write={write}");
        let r = api.client.get(&path).await.map_err(DoError::api(&addr))?;
        self.id = Some(self.registry_name.clone());
        self.docker_credentials = Some(r.json.to_string());
        self.credential_expiration_time = Some(iac_core::time::rfc3339(now_secs() + expiry.max(0) as u64));
        self.write = Some(write);
        self.expiry_seconds = Some(expiry);
        Ok(self)
    }

    fn expired(&self) -> bool {
        match &self.credential_expiration_time {
            // RFC 3339 in UTC with a fixed width sorts as it counts.
            Some(t) => t.as_str() <= iac_core::time::rfc3339(now_secs()).as_str(),
            None => true,
        }
    }
}

/// The `digitalocean_container_registry_docker_credentials` resource type.
pub struct DockerCredentials;

#[async_trait]
impl Resource<DigitalOcean> for DockerCredentials {
    type Model = DockerCredentialsModel;
    const TYPE: &'static str = "digitalocean_container_registry_docker_credentials";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        if let Some(e) = planned.get("expiry_seconds").and_then(Value::as_f64) {
            if !(0.0..=EXPIRY_SECONDS_MAX as f64).contains(&e) {
                return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("expiry_seconds must be from 0 to {EXPIRY_SECONDS_MAX}") });
            }
        }
        let changed = prior.is_some_and(|p| p.get("write") != planned.get("write") || p.get("expiry_seconds") != planned.get("expiry_seconds"));
        if changed {
            set(planned, "docker_credentials", Value::Unknown);
            set(planned, "credential_expiration_time", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DockerCredentialsModel) -> Result<DockerCredentialsModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if registry(api, &planned.registry_name).await.map_err(DoError::api(&addr))?.is_none() {
            return Err(DoError::Invalid { addr: addr.to_string(), message: format!("registry {:?} not found", planned.registry_name) });
        }
        planned.fetch(api, addr).await
    }

    async fn update(
        &self,
        cx: &Ctx<'_, DigitalOcean>,
        prior: DockerCredentialsModel,
        planned: DockerCredentialsModel,
    ) -> Result<DockerCredentialsModel, DoError> {
        if prior.write != planned.write || prior.expiry_seconds != planned.expiry_seconds {
            return planned.fetch(&cx.provider.api, cx.addr).await;
        }
        Ok(planned)
    }

    /// Gone with its registry; fetched again once expired.
    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DockerCredentialsModel) -> Result<Option<DockerCredentialsModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if registry(api, &current.registry_name).await.map_err(DoError::api(&addr))?.is_none() {
            return Ok(None);
        }
        if current.expired() {
            tracing::info!(addr, "the registry credentials expired: fetching new ones");
            return current.fetch(api, addr).await.map(Some);
        }
        Ok(Some(current))
    }

    /// Nothing to call: upstream revokes the token at DigitalOcean's OAuth
    /// endpoint (cloud.digitalocean.com, outside the API v2); tokens lapse
    /// at `credential_expiration_time`.
    async fn delete(&self, _cx: &Ctx<'_, DigitalOcean>, _prior: DockerCredentialsModel) -> Result<(), DoError> {
        Ok(())
    }

    /// By registry name: new read-only credentials with the longest lifetime, as upstream.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<DockerCredentialsModel>, DoError> {
        let m = DockerCredentialsModel { registry_name: id.to_string(), ..Default::default() };
        self.create(cx, m).await.map(Some)
    }
}
