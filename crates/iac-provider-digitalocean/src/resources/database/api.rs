//! DigitalOcean's managed database endpoints as the database types use
//! them, with the batched reads: one `GET /v2/databases` serves every
//! cluster, user, database and trusted source of a refresh (the cluster
//! objects carry them), and one list per cluster serves its pools and
//! replicas. Writes forget the lists (through [`Api::invalidate`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value as Json};
use tokio::sync::Mutex;

use crate::api::{Api, ListCache};
use crate::client::ApiError;

/// A list read from the API and when it was read.
type Fetched = (Instant, Arc<Vec<Json>>);

/// Lists of one cluster's children, by cluster id.
#[derive(Default)]
struct PerCluster {
    slot: Mutex<HashMap<String, Fetched>>,
}

impl PerCluster {
    async fn get<F, Fut>(&self, ttl: std::time::Duration, cluster: &str, fetch: F) -> Result<Arc<Vec<Json>>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Json>, ApiError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((at, items)) = slot.get(cluster) {
            if at.elapsed() < ttl {
                return Ok(items.clone());
            }
        }
        let items = Arc::new(fetch().await?);
        slot.insert(cluster.to_string(), (Instant::now(), items.clone()));
        Ok(items)
    }
}

/// The database lists a run shares.
#[derive(Default)]
pub struct Lists {
    clusters: ListCache,
    pools: PerCluster,
    replicas: PerCluster,
    options: Mutex<Option<Json>>,
}

impl Lists {
    pub(crate) async fn clear(&self) {
        self.clusters.clear().await;
        self.pools.slot.lock().await.clear();
        self.replicas.slot.lock().await.clear();
    }
}

fn none_if_404<T>(r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn field(mut j: Json, key: &str) -> Json {
    j.get_mut(key).map(Json::take).unwrap_or(Json::Null)
}

/// A path segment: names go into paths as they are, but never unescaped.
fn seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Api {
    // ---- clusters ----

    /// A cluster, from the run's list when batched reads are on.
    pub async fn database_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if !self.waits.batch_reads {
            return self.database(id).await;
        }
        let idx = self.databases.clusters.get(self.waits.list_cache, || self.client.list_whole("/v2/databases", "databases")).await?;
        match idx.get(id) {
            Some(d) => Ok(Some(d.clone())),
            None => self.database(id).await,
        }
    }

    pub async fn database(&self, id: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/databases/{}", seg(id))).await)?.map(|r| field(r.json, "database")))
    }

    /// Every database cluster of the account, uncached.
    pub async fn list_databases(&self) -> Result<Vec<Json>, ApiError> {
        self.client.list_whole("/v2/databases", "databases").await
    }

    pub async fn database_named(&self, name: &str) -> Result<Option<Json>, ApiError> {
        Ok(self.list_databases().await?.into_iter().find(|d| d["name"] == name))
    }

    pub async fn create_database(&self, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create("/v2/databases", body).await;
        self.invalidate().await;
        Ok(field(r?.json, "database"))
    }

    pub async fn delete_database(&self, id: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/databases/{}", seg(id))).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    /// A PUT to one of the cluster's settings (`resize`, `migrate`, `upgrade`,
    /// `maintenance`, `autoscale`, `firewall`, `eviction_policy`, `sql_mode`).
    pub async fn put_database(&self, id: &str, what: &str, body: &Json) -> Result<(), ApiError> {
        let r = self.client.put(&format!("/v2/databases/{}/{what}", seg(id)), body).await;
        self.invalidate().await;
        r.map(|_| ())
    }

    /// A GET of one of the cluster's settings, the value under `key`.
    pub async fn get_database(&self, id: &str, what: &str, key: &str) -> Result<Json, ApiError> {
        Ok(field(self.client.get(&format!("/v2/databases/{}/{what}", seg(id))).await?.json, key))
    }

    /// The engines, versions, regions and layouts DigitalOcean offers (read once per run).
    pub async fn database_options(&self) -> Result<Json, ApiError> {
        let mut slot = self.databases.options.lock().await;
        if let Some(o) = slot.as_ref() {
            return Ok(o.clone());
        }
        let o = field(self.client.get("/v2/databases/options").await?.json, "options");
        *slot = Some(o.clone());
        Ok(o)
    }

    // ---- users, databases ----

    pub async fn database_user(&self, cluster: &str, name: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/databases/{}/users/{}", seg(cluster), seg(name))).await)?.map(|r| field(r.json, "user")))
    }

    pub async fn create_database_user(&self, cluster: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create(&format!("/v2/databases/{}/users", seg(cluster)), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "user"))
    }

    pub async fn update_database_user(&self, cluster: &str, name: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.put(&format!("/v2/databases/{}/users/{}", seg(cluster), seg(name)), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "user"))
    }

    pub async fn reset_database_user_auth(&self, cluster: &str, name: &str, plugin: &str) -> Result<Json, ApiError> {
        let body = json!({"mysql_settings": {"auth_plugin": plugin}});
        let r = self.client.post_idempotent(&format!("/v2/databases/{}/users/{}/reset_auth", seg(cluster), seg(name)), &body).await;
        self.invalidate().await;
        Ok(field(r?.json, "user"))
    }

    pub async fn delete_database_user(&self, cluster: &str, name: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/databases/{}/users/{}", seg(cluster), seg(name))).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    pub async fn database_db(&self, cluster: &str, name: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/databases/{}/dbs/{}", seg(cluster), seg(name))).await)?.map(|r| field(r.json, "db")))
    }

    pub async fn create_database_db(&self, cluster: &str, name: &str) -> Result<Json, ApiError> {
        let r = self.client.create(&format!("/v2/databases/{}/dbs", seg(cluster)), &json!({ "name": name })).await;
        self.invalidate().await;
        Ok(field(r?.json, "db"))
    }

    pub async fn delete_database_db(&self, cluster: &str, name: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/databases/{}/dbs/{}", seg(cluster), seg(name))).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    // ---- pools ----

    /// A cluster's pools, from the run's list of them when batched reads
    /// are on; None when the cluster is gone.
    pub async fn database_pool_cached(&self, cluster: &str, name: &str) -> Result<Option<Json>, ApiError> {
        if !self.waits.batch_reads {
            return self.database_pool(cluster, name).await;
        }
        let path = format!("/v2/databases/{}/pools", seg(cluster));
        let fetch = || async { Ok(none_if_404(self.client.list_whole(&path, "pools").await)?.unwrap_or_default()) };
        let pools = self.databases.pools.get(self.waits.list_cache, cluster, fetch).await?;
        Ok(pools.iter().find(|p| p["name"] == name).cloned())
    }

    pub async fn database_pool(&self, cluster: &str, name: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/databases/{}/pools/{}", seg(cluster), seg(name))).await)?.map(|r| field(r.json, "pool")))
    }

    pub async fn create_database_pool(&self, cluster: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create(&format!("/v2/databases/{}/pools", seg(cluster)), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "pool"))
    }

    pub async fn delete_database_pool(&self, cluster: &str, name: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/databases/{}/pools/{}", seg(cluster), seg(name))).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    // ---- replicas ----

    pub async fn database_replica_cached(&self, cluster: &str, name: &str) -> Result<Option<Json>, ApiError> {
        if !self.waits.batch_reads {
            return self.database_replica(cluster, name).await;
        }
        let path = format!("/v2/databases/{}/replicas", seg(cluster));
        let fetch = || async { Ok(none_if_404(self.client.list_whole(&path, "replicas").await)?.unwrap_or_default()) };
        let replicas = self.databases.replicas.get(self.waits.list_cache, cluster, fetch).await?;
        Ok(replicas.iter().find(|p| p["name"] == name).cloned())
    }

    pub async fn database_replica(&self, cluster: &str, name: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/databases/{}/replicas/{}", seg(cluster), seg(name))).await)?.map(|r| field(r.json, "replica")))
    }

    pub async fn create_database_replica(&self, cluster: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create(&format!("/v2/databases/{}/replicas", seg(cluster)), body).await;
        self.invalidate().await;
        Ok(field(r?.json, "replica"))
    }

    pub async fn delete_database_replica(&self, cluster: &str, name: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(&format!("/v2/databases/{}/replicas/{}", seg(cluster), seg(name))).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    // ---- configuration, CA ----

    /// The engine configuration; None when the cluster is gone.
    pub async fn database_config(&self, cluster: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(&format!("/v2/databases/{}/config", seg(cluster))).await)?.map(|r| field(r.json, "config")))
    }

    pub async fn patch_database_config(&self, cluster: &str, config: &Json) -> Result<(), ApiError> {
        let r = self.client.patch(&format!("/v2/databases/{}/config", seg(cluster)), &json!({ "config": config })).await;
        self.invalidate().await;
        r.map(|_| ())
    }

    pub async fn database_ca(&self, cluster: &str) -> Result<String, ApiError> {
        let ca = self.get_database(cluster, "ca", "ca").await?;
        Ok(ca["certificate"].as_str().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_escaped_in_paths() {
        assert_eq!(super::seg("app_user-1.x"), "app_user-1.x");
        assert_eq!(super::seg("a/b c"), "a%2Fb%20c");
    }
}
