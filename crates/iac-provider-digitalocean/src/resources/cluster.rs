//! `digitalocean_kubernetes_cluster` with its inline `node_pool`.
//!
//! Name, tags, maintenance policy and the upgrade/HA flags go through PUT;
//! a version change goes through POST `/upgrade` along DigitalOcean's path
//! (latest patch of the current minor first), and a downgrade fails the
//! plan. Region, VPC and subnets force replacement. Changing the inline
//! pool's size never replaces the cluster: a new pool is rolled in and the
//! old one out. `kube_config` is fetched on every read. DigitalOcean's own
//! tags and an automatic upgrade (with `auto_upgrade`) are not drift.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use super::create_or_adopt;
use super::database::CreateTimeout;
use super::node_pool::{plan_pool, pool_ready, roll_or_update_pool, Pool};
use super::timeouts::waits_within;
use crate::api::Api;
use crate::error::DoError;
use crate::settings::Waits;
use crate::values::*;
use crate::{versions, wait, DigitalOcean};

/// `digitalocean_kubernetes_cluster`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ClusterModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(computed)]
    pub urn: Option<String>,
    #[sdk(required)]
    pub name: String,
    #[sdk(required, force_new)]
    pub region: String,
    /// an exact slug; upgrades follow DigitalOcean's path, downgrades are refused
    #[sdk(required)]
    pub version: String,
    #[sdk(optional, computed, force_new)]
    pub vpc_uuid: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub cluster_subnet: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub service_subnet: Option<String>,
    /// left to DigitalOcean (its version's default) when omitted
    #[sdk(optional, computed)]
    pub ha: Option<bool>,
    #[sdk(optional, default = false)]
    pub auto_upgrade: bool,
    #[sdk(optional, default = true)]
    pub surge_upgrade: bool,
    #[sdk(optional, default = false)]
    pub registry_integration: bool,
    #[sdk(optional)]
    pub tags: Option<BTreeSet<String>>,
    #[sdk(computed)]
    pub endpoint: Option<String>,
    #[sdk(computed)]
    pub ipv4_address: Option<String>,
    #[sdk(computed)]
    pub status: Option<String>,
    #[sdk(computed)]
    pub created_at: Option<String>,
    #[sdk(computed)]
    pub updated_at: Option<String>,
    /// fetched fresh on every refresh
    #[sdk(computed, sensitive)]
    pub kube_config: Option<Vec<KubeConfig>>,
    #[sdk(block, max_items = 1)]
    pub maintenance_policy: Vec<Maintenance>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub node_pool: Vec<Pool>,
    /// `create` bounds the wait for a new cluster to run
    #[sdk(block, local)]
    pub timeouts: Option<CreateTimeout>,
}

/// The maintenance window.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Maintenance {
    #[sdk(optional, computed)]
    pub start_time: Option<String>,
    #[sdk(optional, computed)]
    pub day: Option<String>,
    #[sdk(computed)]
    pub duration: Option<String>,
}

/// What it takes to reach the cluster's API.
#[derive(Model, Debug, Clone, Default)]
pub struct KubeConfig {
    #[sdk(computed)]
    pub raw_config: String,
    #[sdk(computed)]
    pub host: Option<String>,
    #[sdk(computed)]
    pub cluster_ca_certificate: Option<String>,
    #[sdk(computed)]
    pub client_key: String,
    #[sdk(computed)]
    pub client_certificate: String,
    #[sdk(computed)]
    pub token: Option<String>,
    #[sdk(computed)]
    pub expires_at: Option<String>,
}

impl KubeConfig {
    /// From the kubeconfig YAML and the credentials.
    fn from_api(raw: &str, creds: &Json) -> KubeConfig {
        KubeConfig {
            raw_config: raw.to_string(),
            host: s(&creds["server"]),
            cluster_ca_certificate: s(&creds["certificate_authority_data"]),
            client_key: text(&creds["client_key_data"]),
            client_certificate: text(&creds["client_certificate_data"]),
            token: s(&creds["token"]),
            expires_at: s(&creds["expires_at"]),
        }
    }
}

impl ClusterModel {
    /// From the API's cluster object, its inline pool and its credentials.
    pub fn from_api(c: &Json, pool: Option<&Json>, kube_config: Vec<KubeConfig>) -> ClusterModel {
        let mp = &c["maintenance_policy"];
        ClusterModel {
            id: s(&c["id"]),
            urn: Some(format!("do:kubernetes:{}", c["id"].as_str().unwrap_or(""))),
            name: text(&c["name"]),
            region: text(&c["region"]),
            version: text(&c["version"]),
            vpc_uuid: s(&c["vpc_uuid"]),
            cluster_subnet: s(&c["cluster_subnet"]),
            service_subnet: s(&c["service_subnet"]),
            ha: Some(c["ha"].as_bool().unwrap_or(false)),
            auto_upgrade: c["auto_upgrade"].as_bool().unwrap_or(false),
            surge_upgrade: c["surge_upgrade"].as_bool().unwrap_or(false),
            registry_integration: c["registry_enabled"].as_bool().unwrap_or(false),
            tags: user_tags(&c["tags"]),
            endpoint: s(&c["endpoint"]),
            ipv4_address: s(&c["ipv4"]),
            status: s(&c["status"]["state"]),
            created_at: s(&c["created_at"]),
            updated_at: s(&c["updated_at"]),
            kube_config: Some(kube_config),
            maintenance_policy: if mp.is_object() {
                vec![Maintenance { start_time: s(&mp["start_time"]), day: s(&mp["day"]), duration: s(&mp["duration"]) }]
            } else {
                Vec::new()
            },
            node_pool: pool.map(Pool::from_api).into_iter().collect(),
            timeouts: None,
        }
    }

    fn tag_list(&self) -> Vec<&String> {
        self.tags.iter().flatten().collect()
    }

    fn maintenance_body(&self) -> Option<Json> {
        let mp = self.maintenance_policy.first()?;
        let mut m = Map::new();
        for (k, v) in [("start_time", &mp.start_time), ("day", &mp.day)] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        Some(Json::Object(m))
    }

    fn create_body(&self) -> Json {
        let mut m = Map::new();
        for (k, v) in [("name", &self.name), ("region", &self.region), ("version", &self.version)] {
            m.insert(k.into(), json!(v));
        }
        for (k, v) in [("vpc_uuid", &self.vpc_uuid), ("cluster_subnet", &self.cluster_subnet), ("service_subnet", &self.service_subnet)] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        m.insert("tags".into(), json!(self.tag_list()));
        for (k, v) in [("auto_upgrade", self.auto_upgrade), ("surge_upgrade", self.surge_upgrade)] {
            m.insert(k.into(), json!(v));
        }
        // An omitted `ha` is left to DigitalOcean.
        if let Some(ha) = self.ha {
            m.insert("ha".into(), json!(ha));
        }
        if let Some(mp) = self.maintenance_body() {
            m.insert("maintenance_policy".into(), mp);
        }
        m.insert("node_pools".into(), json!([self.node_pool.first().cloned().unwrap_or_default().body(true, true)]));
        Json::Object(m)
    }

    fn update_body(&self) -> Json {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("tags".into(), json!(self.tag_list()));
        for (k, v) in [("auto_upgrade", self.auto_upgrade), ("surge_upgrade", self.surge_upgrade)] {
            m.insert(k.into(), json!(v));
        }
        // An omitted `ha` is left to DigitalOcean.
        if let Some(ha) = self.ha {
            m.insert("ha".into(), json!(ha));
        }
        if let Some(mp) = self.maintenance_body() {
            m.insert("maintenance_policy".into(), mp);
        }
        Json::Object(m)
    }
}

/// Picks the pool a cluster resource manages: by id, else the tagged one, else the first.
pub fn inline_pool<'a>(cluster: &'a Json, id_hint: Option<&str>) -> Option<&'a Json> {
    let pools = cluster["node_pools"].as_array()?;
    id_hint
        .and_then(|id| pools.iter().find(|p| p["id"] == id))
        .or_else(|| pools.iter().find(|p| p["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == DEFAULT_POOL_TAG))))
        .or_else(|| pools.first())
}

/// The credentials of a cluster that has them (running, upgrading or degraded).
pub async fn kube_config(api: &Api, addr: &str, c: &Json, states: &[&str]) -> Result<Vec<KubeConfig>, DoError> {
    if !states.contains(&c["status"]["state"].as_str().unwrap_or("")) {
        return Ok(Vec::new());
    }
    let (raw, creds) = api.access(c["id"].as_str().unwrap_or_default()).await.map_err(DoError::api(&addr))?;
    Ok(vec![KubeConfig::from_api(&raw, &creds)])
}

async fn model_of(api: &Api, addr: &str, c: &Json, pool_hint: Option<&str>) -> Result<ClusterModel, DoError> {
    let kube = kube_config(api, addr, c, &["running", "upgrading", "degraded"]).await?;
    Ok(ClusterModel::from_api(c, inline_pool(c, pool_hint), kube))
}

/// Waits until the cluster runs and every node of `pool` (when given) runs.
async fn wait_running(api: &Api, waits: &Waits, addr: &str, id: &str, pool: Option<&str>) -> Result<Json, DoError> {
    wait::until(waits, addr, "the cluster to be running", || async {
        let c = api
            .cluster(id)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("cluster {id} disappeared while waiting for it") })?;
        let state = c["status"]["state"].as_str().unwrap_or("");
        if state == "error" {
            return Err(DoError::Failed {
                addr: addr.to_string(),
                message: format!("cluster {id} is in state error: {}", c["status"]["message"].as_str().unwrap_or("")),
            });
        }
        let pools_ready = c["node_pools"].as_array().into_iter().flatten().filter(|p| pool.is_none_or(|id| p["id"] == id)).all(pool_ready);
        Ok((state == "running" && pools_ready).then_some(c))
    })
    .await
}

/// Upgrades step by step along the available path.
async fn upgrade(api: &Api, addr: &str, id: &str, from: &str, to: &str) -> Result<(), DoError> {
    let mut current = from.to_string();
    for _ in 0..16 {
        if current == to {
            return Ok(());
        }
        let available = api.upgrades(id).await.map_err(DoError::api(&addr))?;
        let Some(step) = versions::next_step(&current, to, &available) else {
            return Err(DoError::Failed {
                addr: addr.to_string(),
                message: format!("no upgrade path from {current} to {to} (available: {})", available.join(", ")),
            });
        };
        tracing::info!(addr, from = %current, to = %step, "upgrading the cluster");
        api.upgrade(id, &step).await.map_err(DoError::api(&addr))?;
        let c = wait_running(api, &api.waits, addr, id, None).await?;
        current = c["version"].as_str().unwrap_or(&step).to_string();
    }
    Err(DoError::Failed { addr: addr.to_string(), message: format!("the upgrade from {from} to {to} did not converge") })
}

/// The `digitalocean_kubernetes_cluster` resource type.
pub struct Cluster;

#[async_trait]
impl Resource<DigitalOcean> for Cluster {
    type Model = ClusterModel;
    const TYPE: &'static str = "digitalocean_kubernetes_cluster";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        keep_absent_timeouts(prior, planned);
        let invalid = |message: String| DoError::Invalid { addr: cx.addr.to_string(), message };
        empty_to_null(planned, &["tags"]);

        // The maintenance window: DigitalOcean picks one when none is configured.
        let configured = planned.get("maintenance_policy").and_then(Value::as_list).is_some_and(|l| !l.is_empty());
        if !configured {
            set(planned, "maintenance_policy", prior.and_then(|p| p.get("maintenance_policy")).cloned().unwrap_or(Value::Unknown));
        }

        // Version: upgrades only; an automatic upgrade is not drift.
        if let (Some(want), Some(have)) = (get_str(planned, "version").map(str::to_string), prior.and_then(|p| get_str(p, "version"))) {
            let auto = planned.get("auto_upgrade").and_then(Value::as_bool) == Some(true);
            match versions::compare(&want, have) {
                Ordering::Less if auto => set(planned, "version", Value::from(have)),
                Ordering::Less => {
                    return Err(invalid(format!("version {want} is older than the cluster's {have}: DigitalOcean cannot downgrade a cluster (turn on auto_upgrade or set version to {have} or newer)")));
                }
                _ => {}
            }
        }
        if let Some(want) = get_str(planned, "version").map(str::to_string) {
            if prior.and_then(|p| get_str(p, "version")) != Some(want.as_str()) {
                let offered = cx.provider.api.versions().await.map_err(DoError::api(&cx.addr))?;
                if !offered.contains(&want) {
                    return Err(invalid(format!("version {want:?} is not offered by DigitalOcean (offered: {})", offered.join(", "))));
                }
            }
        }

        // The inline pool.
        let prior_pool = prior.and_then(first_pool).cloned();
        let mut pool = Ok(());
        with_first_pool(planned, |p| pool = plan_pool(p, prior_pool.as_ref()));
        pool.map_err(invalid)?;

        match prior {
            // A new cluster (a create or a replacement): new ids, new nodes,
            // and the window DigitalOcean picks unless configured.
            None => {
                with_first_pool(planned, |p| ["id", "actual_node_count", "nodes"].into_iter().for_each(|k| set(p, k, Value::Unknown)));
                match planned.get("maintenance_policy").cloned() {
                    Some(Value::List(mut items)) if configured => {
                        items.iter_mut().for_each(|m| set(m, "duration", Value::Unknown));
                        set(planned, "maintenance_policy", Value::List(items));
                    }
                    _ => set(planned, "maintenance_policy", Value::Unknown),
                }
            }
            Some(p) if planned != p => set(planned, "updated_at", Value::Unknown),
            Some(_) => {}
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: ClusterModel) -> Result<ClusterModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let body = planned.create_body();
        let created = create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_cluster(&body),
            || async { Ok(api.clusters_named(&planned.name).await?.into_iter().find(|c| c["region"] == planned.region.as_str())) },
        )
        .await?;
        let id = text(&created["id"]);
        if planned.registry_integration {
            api.set_registry(&id, true).await.map_err(DoError::api(&addr))?;
        }
        let pool_id = inline_pool(&created, None).and_then(|p| p["id"].as_str()).map(str::to_string);
        let c = wait_running(api, &waits_within(api, planned.timeouts.as_ref().and_then(|t| t.create.as_deref())), addr, &id, None).await?;
        model_of(api, addr, &c, pool_id.as_deref()).await
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: ClusterModel, planned: ClusterModel) -> Result<ClusterModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let id = prior.id.clone().unwrap_or_default();
        let (p, q) = (&planned, &prior);
        if (&p.name, &p.tags, p.ha, p.auto_upgrade, p.surge_upgrade, &p.maintenance_policy)
            != (&q.name, &q.tags, q.ha, q.auto_upgrade, q.surge_upgrade, &q.maintenance_policy)
        {
            api.update_cluster(&id, &planned.update_body()).await.map_err(DoError::api(&addr))?;
        }
        if p.registry_integration != q.registry_integration {
            api.set_registry(&id, p.registry_integration).await.map_err(DoError::api(&addr))?;
        }
        if versions::compare(&p.version, &q.version) == Ordering::Greater {
            upgrade(api, addr, &id, &q.version, &p.version).await?;
        }
        let want = planned.node_pool.first().cloned().unwrap_or_default();
        let pool_id = roll_or_update_pool(api, &api.waits, addr, &id, prior.node_pool.first(), &want, true).await?;
        let c = wait_running(api, &api.waits, addr, &id, Some(&pool_id)).await?;
        model_of(api, addr, &c, Some(&pool_id)).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: ClusterModel) -> Result<Option<ClusterModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(id) = &current.id else { return Ok(None) };
        let Some(c) = api.cluster_cached(id).await.map_err(DoError::api(&addr))? else { return Ok(None) };
        if c["status"]["state"] == "deleted" {
            return Ok(None);
        }
        let hint = current.node_pool.first().and_then(|p| p.id.as_deref());
        model_of(api, addr, &c, hint).await.map(Some)
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: ClusterModel) -> Result<(), DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(id) = &prior.id else { return Ok(()) };
        api.delete_cluster(id).await.map_err(DoError::api(&addr))?;
        wait::until(&api.waits, addr, "the cluster to be deleted", || async {
            Ok(match api.cluster(id).await.map_err(DoError::api(&addr))? {
                None => Some(()),
                Some(c) if c["status"]["state"] == "deleted" => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<ClusterModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        match api.cluster(id).await.map_err(DoError::api(&addr))? {
            Some(c) => model_of(api, addr, &c, None).await.map(Some),
            None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no Kubernetes cluster with id {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: ClusterModel) -> Result<Option<ClusterModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if planned.name.is_empty() {
            return Ok(None);
        }
        let region = Some(planned.region.as_str()).filter(|r| !r.is_empty());
        let found = api.clusters_named(&planned.name).await.map_err(DoError::api(&addr))?.into_iter().find(|c| region.is_none_or(|r| c["region"] == r));
        match found {
            Some(c) => {
                let c = wait_running(api, &api.waits, addr, c["id"].as_str().unwrap_or_default(), None).await?;
                model_of(api, addr, &c, None).await.map(Some)
            }
            None => Ok(None),
        }
    }
}
