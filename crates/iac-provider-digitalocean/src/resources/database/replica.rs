//! `digitalocean_database_replica`: a read-only replica of a PostgreSQL or
//! MySQL cluster, with its own connection details. Name, cluster, region,
//! VPC and tags force replacement; size and storage resize it in place
//! (through the resize call, by the replica's own uuid). A create the API
//! refuses with 412 (the primary still settling) is tried again. The id is
//! upstream's `CLUSTER_ID/replicas/NAME`, and an import takes
//! `CLUSTER_ID,NAME`. Reads come from one list of the cluster's replicas per
//! refresh.

use std::collections::BTreeSet;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use super::{settle, split_import, storage, wait_replica_online, Conn};
use crate::error::DoError;
use crate::resources::create_or_adopt;
use crate::values::*;
use crate::{wait, DigitalOcean};

/// `digitalocean_database_replica`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DatabaseReplicaModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    #[sdk(required, force_new)]
    pub cluster_id: String,
    /// the replica's own id
    #[sdk(computed)]
    pub uuid: Option<String>,
    /// default: the primary's region
    #[sdk(optional, computed, force_new)]
    pub region: Option<String>,
    /// default: the primary's size; changing it resizes in place
    #[sdk(optional, computed)]
    pub size: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub private_network_uuid: Option<String>,
    #[sdk(computed)]
    pub host: Option<String>,
    #[sdk(computed)]
    pub private_host: Option<String>,
    #[sdk(computed)]
    pub port: Option<i64>,
    #[sdk(computed, sensitive)]
    pub uri: Option<String>,
    #[sdk(computed, sensitive)]
    pub private_uri: Option<String>,
    #[sdk(computed)]
    pub database: Option<String>,
    #[sdk(computed)]
    pub user: Option<String>,
    #[sdk(computed, sensitive)]
    pub password: Option<String>,
    #[sdk(optional, force_new)]
    pub tags: Option<BTreeSet<String>>,
    #[sdk(optional, computed)]
    pub storage_size_mib: Option<String>,
}

impl DatabaseReplicaModel {
    fn from_api(cluster: &str, r: &Json, current: &DatabaseReplicaModel) -> DatabaseReplicaModel {
        let (conn, private) = (Conn::of(&r["connection"]), Conn::of(&r["private_connection"]));
        let name = text(&r["name"]);
        DatabaseReplicaModel {
            id: Some(format!("{cluster}/replicas/{name}")),
            name,
            cluster_id: cluster.to_string(),
            uuid: s(&r["id"]),
            region: s(&r["region"]),
            size: s(&r["size"]),
            private_network_uuid: s(&r["private_network_uuid"]).filter(|v| !v.is_empty()),
            host: conn.host,
            private_host: private.host,
            port: conn.port,
            uri: conn.uri,
            private_uri: private.uri,
            database: conn.database,
            user: conn.user,
            password: conn.password.or(current.password.clone()),
            tags: user_tags(&r["tags"]),
            storage_size_mib: storage(r),
        }
    }
}

/// The `digitalocean_database_replica` resource type.
pub struct DatabaseReplica;

#[async_trait]
impl Resource<DigitalOcean> for DatabaseReplica {
    type Model = DatabaseReplicaModel;
    const TYPE: &'static str = "digitalocean_database_replica";

    async fn modify_plan(&self, _cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        empty_to_null(planned, &["tags"]);
        let Some(prior) = prior else { return Ok(()) };
        let storage_configured = planned.get("storage_size_mib") != prior.get("storage_size_mib");
        if planned.get("size") != prior.get("size") && !storage_configured {
            set(planned, "storage_size_mib", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseReplicaModel) -> Result<DatabaseReplicaModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        settle(api, addr, cluster).await?;
        let mut m = Map::new();
        m.insert("name".into(), json!(planned.name));
        for (k, v) in [("region", &planned.region), ("size", &planned.size), ("private_network_uuid", &planned.private_network_uuid)] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                m.insert(k.into(), json!(v));
            }
        }
        m.insert("tags".into(), json!(planned.tags.iter().flatten().collect::<Vec<_>>()));
        if let Some(n) = planned.storage_size_mib.as_deref().and_then(|s| s.parse::<u64>().ok()) {
            m.insert("storage_size_mib".into(), json!(n));
        }
        let body = Json::Object(m);
        // 412: the primary is not ready for a replica yet; try again (bounded by the wait timeout).
        let created = wait::until(&api.waits, addr, "the primary to accept a replica", || async {
            let post = || async {
                match api.create_database_replica(cluster, &body).await {
                    Err(e) if e.status() == Some(412) => Ok(Json::Null),
                    other => other,
                }
            };
            let r = create_or_adopt(addr, &api.waits, api.client_retries(), post, || api.database_replica(cluster, &planned.name)).await?;
            Ok((!r.is_null()).then_some(r))
        })
        .await?;
        let name = created["name"].as_str().unwrap_or(&planned.name).to_string();
        let r = wait_replica_online(api, &api.waits, addr, cluster, &name).await?;
        Ok(DatabaseReplicaModel::from_api(cluster, &r, &planned))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseReplicaModel, planned: DatabaseReplicaModel) -> Result<DatabaseReplicaModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        let storage_changed = planned.storage_size_mib.is_some() && planned.storage_size_mib != prior.storage_size_mib;
        if planned.size != prior.size || storage_changed {
            let uuid = prior.uuid.clone().unwrap_or_default();
            let mut body = json!({"size": planned.size.clone().or(prior.size.clone()), "num_nodes": 1});
            if let Some(n) = planned.storage_size_mib.as_deref().filter(|_| storage_changed).and_then(|s| s.parse::<u64>().ok()) {
                body["storage_size_mib"] = json!(n);
            }
            tracing::info!(addr, "resizing the database replica");
            api.put_database(&uuid, "resize", &body).await.map_err(DoError::api(&addr))?;
        }
        let r = wait_replica_online(api, &api.waits, addr, cluster, &planned.name).await?;
        Ok(DatabaseReplicaModel::from_api(cluster, &r, &prior))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DatabaseReplicaModel) -> Result<Option<DatabaseReplicaModel>, DoError> {
        let cluster = &current.cluster_id;
        if cluster.is_empty() || current.name.is_empty() {
            return Ok(None);
        }
        let found = cx.provider.api.database_replica_cached(cluster, &current.name).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|r| DatabaseReplicaModel::from_api(cluster, &r, &current)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseReplicaModel) -> Result<(), DoError> {
        if prior.cluster_id.is_empty() {
            return Ok(());
        }
        cx.provider.api.delete_database_replica(&prior.cluster_id, &prior.name).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<DatabaseReplicaModel>, DoError> {
        let (cluster, name) = split_import(cx.addr, id, "a replica")?;
        let found = cx.provider.api.database_replica(&cluster, &name).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|r| DatabaseReplicaModel::from_api(&cluster, &r, &DatabaseReplicaModel::default())))
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseReplicaModel) -> Result<Option<DatabaseReplicaModel>, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        if cluster.is_empty() || planned.name.is_empty() {
            return Ok(None);
        }
        match api.database_replica(cluster, &planned.name).await {
            Ok(Some(_)) => {
                let r = wait_replica_online(api, &api.waits, addr, cluster, &planned.name).await?;
                Ok(Some(DatabaseReplicaModel::from_api(cluster, &r, &planned)))
            }
            Ok(None) => Ok(None),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(DoError::api(&addr)(e)),
        }
    }
}
