//! Managed databases, with the upstream provider's names, arguments and
//! attributes: `digitalocean_database_cluster` (every engine DigitalOcean
//! offers), `_db`, `_user`, `_connection_pool`, `_firewall`, `_replica`,
//! `_postgresql_config`, and the data sources `digitalocean_database_cluster`
//! and `digitalocean_database_ca`. Connection details and passwords are
//! sensitive; what only the API sets (a maintenance window left to
//! DigitalOcean, the storage a size comes with, engine defaults) is never
//! drift; creates look the object up by name before trying again and after
//! a crash (`recover`), so a database is never made twice.

pub mod api;
pub mod cluster;
pub mod data;
pub mod db;
pub mod firewall;
pub mod pg_config;
pub mod pool;
pub mod replica;
pub mod user;

use iac_provider_sdk::prelude::*;
use serde_json::Value as Json;

use crate::api::Api;
use crate::error::DoError;
use crate::settings::Waits;
use crate::wait;

/// The `timeouts { create }` block (upstream's only database timeout).
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CreateTimeout {
    /// a duration such as 30m or 1h (default: the provider's wait_timeout_seconds, 30m)
    #[sdk(optional)]
    pub create: Option<String>,
}

/// The provider's waits, bounded by `timeouts.create` when it is set.
pub fn create_waits(api: &Api, t: &Option<CreateTimeout>) -> Waits {
    let set = t.as_ref().and_then(|t| t.create.as_deref()).and_then(|d| iac_core::time::parse_duration(d).ok());
    Waits { timeout: set.unwrap_or(api.waits.timeout), ..api.waits.clone() }
}

/// `CLUSTER_ID,NAME`, as upstream imports a cluster's child.
pub fn split_import(addr: &str, id: &str, what: &str) -> Result<(String, String), DoError> {
    match id.split_once(',') {
        Some((c, n)) if !c.is_empty() && !n.is_empty() => Ok((c.to_string(), n.to_string())),
        _ => Err(DoError::Invalid {
            addr: addr.to_string(),
            message: format!("import {what} by the ID of its database cluster and its name joined with a comma (e.g. `id,name`), not {id:?}"),
        }),
    }
}

/// Waits until a cluster is online (created, resized, migrated, upgraded).
pub async fn wait_online(api: &Api, waits: &Waits, addr: &str, id: &str) -> Result<Json, DoError> {
    wait::until(waits, addr, "the database cluster to be online", || async {
        let d = api
            .database(id)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("database cluster {id} disappeared while waiting for it") })?;
        Ok((d["status"] == "online").then_some(d))
    })
    .await
}

/// Waits until a replica is online.
pub async fn wait_replica_online(api: &Api, waits: &Waits, addr: &str, cluster: &str, name: &str) -> Result<Json, DoError> {
    wait::until(waits, addr, "the database replica to be online", || async {
        let r = api
            .database_replica(cluster, name)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("replica {name} disappeared while waiting for it") })?;
        Ok((r["status"] == "online").then_some(r))
    })
    .await
}

/// A cluster's children can be made once it is online: waits when it is
/// still settling (a resize of the cluster in the same run), briefly.
pub async fn settle(api: &Api, addr: &str, cluster: &str) -> Result<(), DoError> {
    match api.database(cluster).await.map_err(DoError::api(&addr))? {
        Some(d) if d["status"] != "online" => wait_online(api, &api.waits, addr, cluster).await.map(|_| ()),
        _ => Ok(()),
    }
}

/// Connection details of an API answer (`connection` or `private_connection`).
pub struct Conn {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub uri: Option<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl Conn {
    pub fn of(c: &Json) -> Conn {
        let s = |k: &str| c[k].as_str().filter(|v| !v.is_empty()).map(str::to_string);
        Conn { host: s("host"), port: c["port"].as_i64(), uri: s("uri"), database: s("database"), user: s("user"), password: s("password") }
    }
}

/// `"16"` → `[16]`, `"6.0"` → `[6, 0]`: versions compare part by part.
pub fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.trim().parse().unwrap_or(0)).collect()
}

/// The `storage_size_mib` string of an API answer.
pub fn storage(j: &Json) -> Option<String> {
    j["storage_size_mib"].as_u64().map(|n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_take_cluster_and_name() {
        assert_eq!(split_import("a", "c-1,app", "a user").unwrap(), ("c-1".to_string(), "app".to_string()));
        assert!(split_import("a", "c-1/app", "a user").unwrap_err().to_string().contains("joined with a comma"));
        assert!(version_key("17") > version_key("16") && version_key("7.0") > version_key("6.0"));
    }
}
