//! DigitalOcean's endpoints as the resources use them, over the client,
//! with the batched reads: a refresh reads whole lists once (200 per page)
//! and serves every object of the run from them, instead of one GET per
//! object; writes invalidate the lists.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value as Json};
use tokio::sync::Mutex;

use crate::client::{ApiError, Client};
use crate::settings::Waits;

pub(crate) type Index = Arc<HashMap<String, Json>>;

/// A list read shared by the reads of one run (single flight: concurrent
/// readers wait for the one fetch).
#[derive(Default)]
pub(crate) struct ListCache {
    slot: Mutex<Option<(Instant, Index)>>,
}

impl ListCache {
    pub(crate) async fn get<F, Fut>(&self, ttl: std::time::Duration, fetch: F) -> Result<Index, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Json>, ApiError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((at, idx)) = slot.as_ref() {
            if at.elapsed() < ttl {
                return Ok(idx.clone());
            }
        }
        let items = fetch().await?;
        let idx: Index = Arc::new(items.into_iter().filter_map(|i| i.get("id").and_then(Json::as_str).map(str::to_string).map(|id| (id, i.clone()))).collect());
        *slot = Some((Instant::now(), idx.clone()));
        Ok(idx)
    }

    pub(crate) async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}

pub struct Api {
    pub client: Client,
    pub waits: Waits,
    vpcs: ListCache,
    clusters: ListCache,
    versions: Mutex<Option<Vec<String>>>,
    /// The managed databases' lists (`resources/database/api.rs`).
    pub(crate) databases: crate::resources::database::api::Lists,
    /// Projects' and firewalls' lists (`resources/platform`).
    pub(crate) platform: crate::resources::platform::Lists,
}

fn none_if_404<T>(r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn field(j: Json, key: &str) -> Json {
    match j {
        Json::Object(mut m) => m.remove(key).unwrap_or(Json::Null),
        _ => Json::Null,
    }
}

impl Api {
    pub fn new(client: Client, waits: Waits) -> Api {
        Api {
            client,
            waits,
            vpcs: ListCache::default(),
            clusters: ListCache::default(),
            versions: Mutex::new(None),
            databases: Default::default(),
            platform: Default::default(),
        }
    }

    /// How many times a create is tried again after an ambiguous failure.
    pub fn client_retries(&self) -> u32 {
        self.client.retry_policy().max_retries
    }

    /// Forgets the lists after a change of ours.
    pub async fn invalidate(&self) {
        self.vpcs.clear().await;
        self.clusters.clear().await;
        self.databases.clear().await;
        self.platform.clear().await;
    }

    // ---- VPCs ----

    pub async fn vpc_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if !self.waits.batch_reads {
            return self.vpc(id).await;
        }
        let idx = self.vpcs.get(self.waits.list_cache, || self.client.list_all("/v2/vpcs", "vpcs")).await?;
        match idx.get(id) {
            Some(v) => Ok(Some(v.clone())),
            None => self.vpc(id).await,
        }
    }

    pub async fn vpc(&self, id: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/vpcs/{id}")).await)?.map(|r| field(r.json, "vpc")))
    }

    /// Every VPC of the account (all pages), uncached.
    pub async fn list_vpcs(&self) -> Result<Vec<Json>, ApiError> {
        self.client.list_all("/v2/vpcs", "vpcs").await
    }

    pub async fn vpc_by_name(&self, name: &str) -> Result<Option<Json>, ApiError> {
        Ok(self.client.list_all("/v2/vpcs", "vpcs").await?.into_iter().find(|v| v["name"] == name))
    }

    pub async fn create_vpc(&self, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create("/v2/vpcs", body).await;
        self.invalidate().await;
        Ok(field(r?.json, "vpc"))
    }

    pub async fn update_vpc(&self, id: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.put(&format!("/v2/vpcs/{id}"), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "vpc"))
    }

    pub async fn delete_vpc(&self, id: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/vpcs/{id}")).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    // ---- clusters ----

    pub async fn cluster_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if !self.waits.batch_reads {
            return self.cluster(id).await;
        }
        match self.clusters_index().await?.get(id) {
            Some(c) => Ok(Some(c.clone())),
            None => self.cluster(id).await,
        }
    }

    async fn clusters_index(&self) -> Result<Index, ApiError> {
        self.clusters.get(self.waits.list_cache, || self.client.list_all("/v2/kubernetes/clusters", "kubernetes_clusters")).await
    }

    pub async fn cluster(&self, id: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/kubernetes/clusters/{id}")).await)?.map(|r| field(r.json, "kubernetes_cluster")))
    }

    /// Every Kubernetes cluster of the account (all pages, with their node pools), uncached.
    pub async fn list_clusters(&self) -> Result<Vec<Json>, ApiError> {
        self.client.list_all("/v2/kubernetes/clusters", "kubernetes_clusters").await
    }

    pub async fn clusters_named(&self, name: &str) -> Result<Vec<Json>, ApiError> {
        Ok(self.client.list_all("/v2/kubernetes/clusters", "kubernetes_clusters").await?.into_iter().filter(|c| c["name"] == name).collect())
    }

    pub async fn create_cluster(&self, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create("/v2/kubernetes/clusters", body).await;
        self.invalidate().await;
        Ok(field(r?.json, "kubernetes_cluster"))
    }

    pub async fn update_cluster(&self, id: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.put(&format!("/v2/kubernetes/clusters/{id}"), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "kubernetes_cluster"))
    }

    pub async fn delete_cluster(&self, id: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/kubernetes/clusters/{id}")).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    pub async fn upgrades(&self, id: &str) -> Result<Vec<String>, ApiError> {
        let r = self.client.get(&format!("/v2/kubernetes/clusters/{id}/upgrades")).await?;
        Ok(r.json["available_upgrade_versions"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v["slug"].as_str().map(str::to_string)).collect())
            .unwrap_or_default())
    }

    pub async fn upgrade(&self, id: &str, version: &str) -> Result<(), ApiError> {
        let r = self.client.post_idempotent(&format!("/v2/kubernetes/clusters/{id}/upgrade"), &json!({"version": version})).await;
        self.invalidate().await;
        r.map(|_| ())
    }

    pub async fn set_registry(&self, id: &str, enabled: bool) -> Result<(), ApiError> {
        let body = json!({"cluster_uuids": [id]});
        let path = "/v2/kubernetes/registry";
        let r = if enabled { self.client.post_idempotent(path, &body).await } else { self.client.delete_with_body(path, &body).await };
        self.invalidate().await;
        r.map(|_| ())
    }

    /// The kubeconfig YAML and the credentials, fresh.
    pub async fn access(&self, id: &str) -> Result<(String, Json), ApiError> {
        let raw = self.client.get(&format!("/v2/kubernetes/clusters/{id}/kubeconfig")).await?.text;
        let creds = self.client.get(&format!("/v2/kubernetes/clusters/{id}/credentials")).await?.json;
        Ok((raw, creds))
    }

    /// The version slugs DigitalOcean offers (read once per run).
    pub async fn versions(&self) -> Result<Vec<String>, ApiError> {
        let mut slot = self.versions.lock().await;
        if let Some(v) = slot.as_ref() {
            return Ok(v.clone());
        }
        let r = self.client.get("/v2/kubernetes/options").await?;
        let v: Vec<String> = r
            .json
            .pointer("/options/versions")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(|v| v["slug"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        *slot = Some(v.clone());
        Ok(v)
    }

    // ---- node pools ----

    /// A pool, from the cluster list when the cluster is in it.
    pub async fn pool_cached(&self, cluster: &str, pool: &str) -> Result<Option<Json>, ApiError> {
        if !self.waits.batch_reads {
            return self.pool(cluster, pool).await;
        }
        if let Some(c) = self.clusters_index().await?.get(cluster) {
            if let Some(p) = c["node_pools"].as_array().and_then(|ps| ps.iter().find(|p| p["id"] == pool)) {
                return Ok(Some(p.clone()));
            }
        }
        self.pool(cluster, pool).await
    }

    pub async fn pool(&self, cluster: &str, pool: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/kubernetes/clusters/{cluster}/node_pools/{pool}")).await)?.map(|r| field(r.json, "node_pool")))
    }

    pub async fn pools(&self, cluster: &str) -> Result<Vec<Json>, ApiError> {
        let r = self.client.get(&format!("/v2/kubernetes/clusters/{cluster}/node_pools")).await?;
        Ok(r.json["node_pools"].as_array().cloned().unwrap_or_default())
    }

    pub async fn create_pool(&self, cluster: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create(&format!("/v2/kubernetes/clusters/{cluster}/node_pools"), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "node_pool"))
    }

    pub async fn update_pool(&self, cluster: &str, pool: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.put(&format!("/v2/kubernetes/clusters/{cluster}/node_pools/{pool}"), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "node_pool"))
    }

    pub async fn delete_pool(&self, cluster: &str, pool: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/kubernetes/clusters/{cluster}/node_pools/{pool}")).await);
        self.invalidate().await;
        r.map(|_| ())
    }
}
