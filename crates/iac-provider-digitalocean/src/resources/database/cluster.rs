//! `digitalocean_database_cluster`: a managed database cluster of any
//! engine DigitalOcean offers (PostgreSQL first).
//!
//! Name and engine force replacement; so do the VPC and project it is made
//! in. Size, node count and storage resize it in place (`/resize`), a new
//! region migrates it (`/migrate`), a newer version upgrades it
//! (`/upgrade`; never down), and the maintenance window, eviction policy,
//! SQL mode and storage autoscaling have their own calls. Each change waits
//! for the cluster to be online again, within `timeouts.create` for the
//! create. Tags are set at creation: DigitalOcean's published API has no
//! call that changes a database cluster's tags, so a change is refused at
//! plan rather than replacing the data.
//!
//! What DigitalOcean picks when the configuration leaves it out (the
//! maintenance window, the storage a size comes with, the project, the VPC)
//! is read back and kept, never planned away.

use std::collections::BTreeSet;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use super::{create_waits, storage, version_key, wait_online, Conn, CreateTimeout};
use crate::api::Api;
use crate::error::DoError;
use crate::resources::create_or_adopt;
use crate::values::*;
use crate::DigitalOcean;

/// The maintenance window (DigitalOcean reports the hour with seconds).
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct MaintenanceWindow {
    /// monday ... sunday
    #[sdk(required)]
    pub day: String,
    /// HH:MM, UTC
    #[sdk(required)]
    pub hour: String,
}

/// Restoring a new cluster from another cluster's backup.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct BackupRestore {
    #[sdk(required)]
    pub database_name: String,
    #[sdk(optional)]
    pub backup_created_at: Option<String>,
}

/// Storage autoscaling.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct StorageAutoscale {
    #[sdk(required)]
    pub enabled: bool,
    /// 15 to 95
    #[sdk(optional)]
    pub threshold_percent: Option<i64>,
    /// at least 10
    #[sdk(optional)]
    pub increment_gib: Option<i64>,
}

/// `digitalocean_database_cluster`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DatabaseClusterModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    /// pg, mysql, redis, valkey, mongodb, kafka or opensearch
    #[sdk(required, force_new)]
    pub engine: String,
    /// the engine's major version (required: upstream's transition to a required argument)
    #[sdk(optional)]
    pub version: Option<String>,
    /// a node size slug (db-s-1vcpu-1gb, ...); changing it resizes in place
    #[sdk(required)]
    pub size: String,
    /// changing it migrates the cluster
    #[sdk(required)]
    pub region: String,
    /// changing it resizes in place
    #[sdk(required)]
    pub node_count: i64,
    #[sdk(block)]
    pub maintenance_window: Vec<MaintenanceWindow>,
    /// Redis and Valkey only
    #[sdk(optional)]
    pub eviction_policy: Option<String>,
    /// MySQL only
    #[sdk(optional)]
    pub sql_mode: Option<String>,
    /// the VPC the cluster is in (default: the region's default VPC)
    #[sdk(optional, computed, force_new)]
    pub private_network_uuid: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub project_id: Option<String>,
    #[sdk(computed)]
    pub host: Option<String>,
    #[sdk(computed)]
    pub ui_host: Option<String>,
    #[sdk(computed)]
    pub private_host: Option<String>,
    #[sdk(computed)]
    pub port: Option<i64>,
    #[sdk(computed)]
    pub ui_port: Option<i64>,
    #[sdk(computed, sensitive)]
    pub uri: Option<String>,
    #[sdk(computed, sensitive)]
    pub ui_uri: Option<String>,
    #[sdk(computed, sensitive)]
    pub private_uri: Option<String>,
    #[sdk(computed)]
    pub database: Option<String>,
    #[sdk(computed)]
    pub ui_database: Option<String>,
    #[sdk(computed)]
    pub user: Option<String>,
    #[sdk(computed)]
    pub ui_user: Option<String>,
    #[sdk(computed, sensitive)]
    pub password: Option<String>,
    #[sdk(computed, sensitive)]
    pub ui_password: Option<String>,
    #[sdk(computed)]
    pub urn: Option<String>,
    /// set at creation (DigitalOcean's API cannot change them later)
    #[sdk(optional)]
    pub tags: Option<BTreeSet<String>>,
    /// configuration only: the API does not report it
    #[sdk(block, max_items = 1)]
    pub backup_restore: Vec<BackupRestore>,
    /// MiB as a string, as upstream has it; the size's own storage when left out
    #[sdk(optional, computed)]
    pub storage_size_mib: Option<String>,
    #[sdk(block, max_items = 1)]
    pub storage_autoscale: Vec<StorageAutoscale>,
    #[sdk(computed)]
    pub metrics_endpoints: Option<Vec<String>>,
    #[sdk(block, local)]
    pub timeouts: Option<CreateTimeout>,
}

/// `HH:MM:SS` and `HH:MM` are the same hour.
fn same_hour(a: &str, b: &str) -> bool {
    let cut = |s: &str| s.split(':').take(2).collect::<Vec<_>>().join(":");
    cut(a) == cut(b)
}

/// The API's window, in the configuration's words when they mean the same.
fn window(api: &Json, current: &[MaintenanceWindow]) -> Vec<MaintenanceWindow> {
    let Some(mw) = api.as_object() else { return Vec::new() };
    let (day, hour) = (text(&mw["day"]), text(&mw["hour"]));
    match current.first() {
        Some(c) if c.day.eq_ignore_ascii_case(&day) && same_hour(&c.hour, &hour) => vec![c.clone()],
        _ => vec![MaintenanceWindow { day, hour: hour.split(':').take(2).collect::<Vec<_>>().join(":") }],
    }
}

fn autoscale(api: &Json) -> Vec<StorageAutoscale> {
    let s = &api["storage"];
    if !s.is_object() {
        return Vec::new();
    }
    vec![StorageAutoscale {
        enabled: s["enabled"].as_bool().unwrap_or(false),
        threshold_percent: s["threshold_percent"].as_i64(),
        increment_gib: s["increment_gib"].as_i64(),
    }]
}

impl DatabaseClusterModel {
    /// From the API's cluster object; `current` supplies what the API does
    /// not report (the settings read only when configured, local blocks,
    /// and the password when a token may not see it).
    pub fn from_api(d: &Json, current: &DatabaseClusterModel) -> DatabaseClusterModel {
        let (conn, private, ui) = (Conn::of(&d["connection"]), Conn::of(&d["private_connection"]), Conn::of(&d["ui_connection"]));
        let id = text(&d["id"]);
        DatabaseClusterModel {
            urn: Some(format!("do:dbaas:{id}")),
            id: Some(id),
            name: text(&d["name"]),
            engine: text(&d["engine"]),
            version: s(&d["version"]),
            size: text(&d["size"]),
            region: text(&d["region"]).to_lowercase(),
            node_count: d["num_nodes"].as_i64().unwrap_or(0),
            maintenance_window: window(&d["maintenance_window"], &current.maintenance_window),
            eviction_policy: current.eviction_policy.clone(),
            sql_mode: current.sql_mode.clone(),
            private_network_uuid: s(&d["private_network_uuid"]).filter(|v| !v.is_empty()),
            project_id: s(&d["project_id"]).filter(|v| !v.is_empty()),
            host: conn.host,
            ui_host: ui.host,
            private_host: private.host,
            port: conn.port,
            ui_port: ui.port,
            uri: conn.uri,
            ui_uri: ui.uri,
            private_uri: private.uri,
            database: conn.database,
            ui_database: ui.database,
            user: conn.user,
            ui_user: ui.user,
            password: conn.password.or(current.password.clone()),
            ui_password: ui.password,
            tags: user_tags(&d["tags"]),
            backup_restore: current.backup_restore.clone(),
            storage_size_mib: storage(d),
            storage_autoscale: autoscale(&d["autoscale"]),
            metrics_endpoints: Some(
                d["metrics_endpoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| Some(format!("https://{}:{}/metrics", m["host"].as_str()?, m["port"].as_i64()?)))
                    .collect(),
            ),
            timeouts: current.timeouts.clone(),
        }
    }

    fn create_body(&self) -> Json {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("engine".into(), json!(self.engine));
        if let Some(v) = &self.version {
            m.insert("version".into(), json!(v));
        }
        m.insert("size".into(), json!(self.size));
        m.insert("region".into(), json!(self.region));
        m.insert("num_nodes".into(), json!(self.node_count));
        m.insert("tags".into(), json!(self.tags.iter().flatten().collect::<Vec<_>>()));
        for (k, v) in [("private_network_uuid", &self.private_network_uuid), ("project_id", &self.project_id)] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                m.insert(k.into(), json!(v));
            }
        }
        if let Some(b) = self.backup_restore.first() {
            let mut r = Map::new();
            r.insert("database_name".into(), json!(b.database_name));
            if let Some(at) = &b.backup_created_at {
                r.insert("backup_created_at".into(), json!(at));
            }
            m.insert("backup_restore".into(), Json::Object(r));
        }
        if let Some(n) = self.storage_size_mib.as_deref().and_then(|s| s.parse::<u64>().ok()) {
            m.insert("storage_size_mib".into(), json!(n));
        }
        if let Some(a) = self.storage_autoscale.first() {
            m.insert("autoscale".into(), json!({ "storage": autoscale_body(a) }));
        }
        Json::Object(m)
    }
}

fn autoscale_body(a: &StorageAutoscale) -> Json {
    let mut m = Map::new();
    m.insert("enabled".into(), json!(a.enabled));
    if let Some(t) = a.threshold_percent {
        m.insert("threshold_percent".into(), json!(t));
    }
    if let Some(i) = a.increment_gib {
        m.insert("increment_gib".into(), json!(i));
    }
    Json::Object(m)
}

/// The settings with calls of their own, made after a create (and after
/// adopting an interrupted one) and on changes.
async fn apply_settings(api: &Api, addr: &str, id: &str, want: &DatabaseClusterModel, prior: Option<&DatabaseClusterModel>) -> Result<(), DoError> {
    let changed = |f: &dyn Fn(&DatabaseClusterModel) -> String| prior.is_none_or(|p| f(p) != f(want));
    if let Some(mw) = want.maintenance_window.first() {
        if prior.is_none_or(|p| p.maintenance_window.first().is_none_or(|q| !(q.day.eq_ignore_ascii_case(&mw.day) && same_hour(&q.hour, &mw.hour)))) {
            api.put_database(id, "maintenance", &json!({"day": mw.day.to_lowercase(), "hour": mw.hour})).await.map_err(DoError::api(&addr))?;
        }
    }
    if changed(&|m| format!("{:?}", m.eviction_policy)) {
        if let Some(p) = &want.eviction_policy {
            api.put_database(id, "eviction_policy", &json!({ "eviction_policy": p })).await.map_err(DoError::api(&addr))?;
        } else if prior.is_some_and(|p| p.eviction_policy.is_some()) {
            api.put_database(id, "eviction_policy", &json!({"eviction_policy": "noeviction"})).await.map_err(DoError::api(&addr))?;
        }
    }
    if changed(&|m| format!("{:?}", m.sql_mode)) {
        if let Some(mode) = &want.sql_mode {
            api.put_database(id, "sql_mode", &json!({ "sql_mode": mode })).await.map_err(DoError::api(&addr))?;
        }
    }
    if prior.is_some() && changed(&|m| format!("{:?}", m.storage_autoscale)) {
        if let Some(a) = want.storage_autoscale.first() {
            api.put_database(id, "autoscale", &json!({ "storage": autoscale_body(a) })).await.map_err(DoError::api(&addr))?;
        }
    }
    Ok(())
}

/// The cluster as the API has it now, with the settings read only when configured.
async fn model_of(api: &Api, addr: &str, d: &Json, current: &DatabaseClusterModel) -> Result<DatabaseClusterModel, DoError> {
    let mut m = DatabaseClusterModel::from_api(d, current);
    let id = m.id.clone().unwrap_or_default();
    if current.eviction_policy.is_some() {
        m.eviction_policy = s(&api.get_database(&id, "eviction_policy", "eviction_policy").await.map_err(DoError::api(&addr))?);
    }
    if current.sql_mode.is_some() {
        m.sql_mode = s(&api.get_database(&id, "sql_mode", "sql_mode").await.map_err(DoError::api(&addr))?);
    }
    Ok(m)
}

/// Checks the engine, version, region, size and node count against what
/// DigitalOcean offers.
async fn check_offered(cx: &Ctx<'_, DigitalOcean>, planned: &Value) -> Result<(), DoError> {
    let invalid = |message: String| DoError::Invalid { addr: cx.addr.to_string(), message };
    let (Some(engine), Some(region), Some(size)) = (get_str(planned, "engine"), get_str(planned, "region"), get_str(planned, "size")) else {
        return Ok(());
    };
    let options = cx.provider.api.database_options().await.map_err(DoError::api(&cx.addr))?;
    let Some(o) = options.get(engine) else {
        let engines: Vec<&String> = options.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        return Err(invalid(format!(
            "engine {engine:?} is not offered (DigitalOcean offers {})",
            engines.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    };
    let list = |k: &str| o[k].as_array().into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect::<Vec<_>>();
    if let Some(v) = get_str(planned, "version") {
        let versions = list("versions");
        if !versions.iter().any(|x| x == v) {
            return Err(invalid(format!("version {v:?} of {engine} is not offered (offered: {})", versions.join(", "))));
        }
    }
    if !list("regions").iter().any(|r| r == region) {
        return Err(invalid(format!("{engine} clusters are not offered in region {region:?}")));
    }
    if let Some(n) = planned.get("node_count").and_then(Value::as_f64) {
        let fits = o["layouts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l["num_nodes"].as_f64() == Some(n) && l["sizes"].as_array().is_some_and(|s| s.iter().any(|x| x == size)));
        if !fits {
            return Err(invalid(format!("{n} node(s) of size {size:?} is not a layout DigitalOcean offers for {engine}")));
        }
    }
    Ok(())
}

/// The `digitalocean_database_cluster` resource type.
pub struct DatabaseCluster;

#[async_trait]
impl Resource<DigitalOcean> for DatabaseCluster {
    type Model = DatabaseClusterModel;
    const TYPE: &'static str = "digitalocean_database_cluster";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        let at = |k: &str| AttrPath::root().child(iac_core::PathStep::Attr(k.into()));
        if config.get("version").is_none_or(Value::is_null) {
            out.push((at("version"), "The argument \"version\" is required: set the engine's version (e.g. \"16\" for PostgreSQL)".into()));
        }
        let engine = get_str(config, "engine");
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        if set("sql_mode") && engine.is_some_and(|e| e != "mysql") {
            out.push((at("sql_mode"), "sql_mode is only supported for MySQL database clusters".into()));
        }
        if set("eviction_policy") && engine.is_some_and(|e| e != "redis" && e != "valkey") {
            out.push((at("eviction_policy"), "eviction_policy is only supported for Redis or Valkey database clusters".into()));
        }
        out
    }

    /// Region slugs are lowercase (upstream's StateFunc): `NYC1` is no change.
    fn canonical_config(&self, config: &mut Value) {
        if let Some(r) = get_str(config, "region").map(str::to_lowercase) {
            set(config, "region", Value::from(r));
        }
    }

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        keep_absent_timeouts(prior, planned);
        let invalid = |message: String| DoError::Invalid { addr: cx.addr.to_string(), message };
        empty_to_null(planned, &["tags"]);
        // What DigitalOcean picks when the configuration leaves it out.
        for block in ["maintenance_window", "storage_autoscale"] {
            if planned.get(block).and_then(Value::as_list).is_none_or(|l| l.is_empty()) {
                set(planned, block, prior.and_then(|p| p.get(block)).cloned().unwrap_or(Value::Unknown));
            }
        }
        let Some(prior) = prior else {
            return check_offered(cx, planned).await;
        };
        // A window that differs only in the hour's seconds or the day's case is the same.
        if let (Some(Value::List(new)), Some(Value::List(old))) = (planned.get("maintenance_window").cloned(), prior.get("maintenance_window")) {
            let same = |a: &Value, b: &Value| {
                get_str(a, "day").zip(get_str(b, "day")).is_some_and(|(x, y)| x.eq_ignore_ascii_case(y))
                    && get_str(a, "hour").zip(get_str(b, "hour")).is_some_and(|(x, y)| same_hour(x, y))
            };
            if new.len() == old.len() && new.iter().zip(old).all(|(a, b)| same(a, b)) {
                set(planned, "maintenance_window", Value::List(old.clone()));
            }
        }
        let engine = get_str(planned, "engine").unwrap_or_default().to_string();
        if let (Some(want), Some(have)) = (get_str(planned, "version").map(str::to_string), get_str(prior, "version")) {
            if version_key(&want) < version_key(have) {
                // DigitalOcean upgrades caching clusters by itself: not drift.
                if engine == "redis" || engine == "valkey" {
                    set(planned, "version", Value::from(have));
                } else {
                    return Err(invalid(format!(
                        "version {want} is older than the cluster's {have}: DigitalOcean cannot downgrade a database cluster (set version to {have} or newer)"
                    )));
                }
            }
        }
        if planned.get("tags") != prior.get("tags") && planned.get("tags").is_none_or(Value::is_wholly_known) {
            let show = |v: Option<&Value>| v.map(|t| t.to_json().to_string()).unwrap_or_else(|| "null".into());
            return Err(invalid(format!(
                "tags of a database cluster are set when it is made: DigitalOcean's API has no call that changes them (the cluster has {}, the configuration says {}); set tags back, or replace the cluster with -replace",
                show(prior.get("tags")),
                show(planned.get("tags"))
            )));
        }
        let changed = |k: &str| planned.get(k) != prior.get(k);
        if ["engine", "version", "region", "size", "node_count"].iter().any(|k| changed(k)) {
            check_offered(cx, planned).await?;
        }
        let storage_configured = planned.get("storage_size_mib") != prior.get("storage_size_mib");
        if (changed("size") || changed("node_count")) && !storage_configured {
            // The new size may come with more storage.
            set(planned, "storage_size_mib", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseClusterModel) -> Result<DatabaseClusterModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let body = planned.create_body();
        let waits = create_waits(api, &planned.timeouts);
        let lookup = || async { Ok(api.database_named(&planned.name).await?.filter(|d| d["engine"] == planned.engine.as_str())) };
        let created = create_or_adopt(addr, &waits, api.client_retries(), || api.create_database(&body), lookup).await?;
        let id = text(&created["id"]);
        tracing::info!(addr, id = %id, "database cluster created; waiting for it to be online");
        let d = wait_online(api, &waits, addr, &id).await?;
        apply_settings(api, addr, &id, &planned, None).await?;
        let d = api.database(&id).await.map_err(DoError::api(&addr))?.unwrap_or(d);
        model_of(api, addr, &d, &planned).await
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseClusterModel, planned: DatabaseClusterModel) -> Result<DatabaseClusterModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let id = prior.id.clone().unwrap_or_default();
        let waits = &api.waits;
        // A change made elsewhere (a resize in the console) may still be settling.
        super::settle(api, addr, &id).await?;
        let storage_changed = planned.storage_size_mib.is_some() && planned.storage_size_mib != prior.storage_size_mib;
        if planned.size != prior.size || planned.node_count != prior.node_count || storage_changed {
            let mut body = Map::new();
            body.insert("size".into(), json!(planned.size));
            body.insert("num_nodes".into(), json!(planned.node_count));
            // Only a storage the configuration changes: else the new size's own.
            if let Some(n) = planned.storage_size_mib.as_deref().filter(|_| storage_changed).and_then(|s| s.parse::<u64>().ok()) {
                body.insert("storage_size_mib".into(), json!(n));
            }
            tracing::info!(addr, size = %planned.size, nodes = planned.node_count, "resizing the database cluster");
            api.put_database(&id, "resize", &Json::Object(body)).await.map_err(DoError::api(&addr))?;
            wait_online(api, waits, addr, &id).await?;
        }
        if planned.region != prior.region {
            tracing::info!(addr, region = %planned.region, "migrating the database cluster");
            api.put_database(&id, "migrate", &json!({"region": planned.region})).await.map_err(DoError::api(&addr))?;
            wait_online(api, waits, addr, &id).await?;
        }
        if let Some(v) = planned.version.as_ref().filter(|v| Some(*v) != prior.version.as_ref()) {
            tracing::info!(addr, version = %v, "upgrading the database cluster");
            api.put_database(&id, "upgrade", &json!({ "version": v })).await.map_err(DoError::api(&addr))?;
            wait_online(api, waits, addr, &id).await?;
        }
        apply_settings(api, addr, &id, &planned, Some(&prior)).await?;
        let d = api
            .database(&id)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("database cluster {id} disappeared during the update") })?;
        model_of(api, addr, &d, &planned).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DatabaseClusterModel) -> Result<Option<DatabaseClusterModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(id) = current.id.as_deref().filter(|i| !i.is_empty()) else { return Ok(None) };
        match api.database_cached(id).await.map_err(DoError::api(&addr))? {
            Some(d) => model_of(api, addr, &d, &current).await.map(Some),
            None => Ok(None),
        }
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseClusterModel) -> Result<(), DoError> {
        let Some(id) = prior.id.as_deref().filter(|i| !i.is_empty()) else { return Ok(()) };
        cx.provider.api.delete_database(id).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<DatabaseClusterModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        match api.database(id).await.map_err(DoError::api(&addr))? {
            Some(d) => model_of(api, addr, &d, &DatabaseClusterModel::default()).await.map(Some),
            None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no database cluster with id {id:?}") }),
        }
    }

    /// The cluster an interrupted create made (names are unique in an
    /// account): waited for, given its settings, and adopted.
    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseClusterModel) -> Result<Option<DatabaseClusterModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if planned.name.is_empty() {
            return Ok(None);
        }
        let Some(found) = api.database_named(&planned.name).await.map_err(DoError::api(&addr))? else { return Ok(None) };
        if !planned.engine.is_empty() && found["engine"] != planned.engine.as_str() {
            return Ok(None);
        }
        let id = text(&found["id"]);
        tracing::info!(addr, id = %id, "adopting the database cluster an interrupted run created");
        let d = wait_online(api, &create_waits(api, &planned.timeouts), addr, &id).await?;
        apply_settings(api, addr, &id, &planned, None).await?;
        let d = api.database(&id).await.map_err(DoError::api(&addr))?.unwrap_or(d);
        model_of(api, addr, &d, &planned).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_with_seconds_are_the_same_hour() {
        assert!(same_hour("02:00", "02:00:00"));
        assert!(!same_hour("02:00", "03:00:00"));
        let current = vec![MaintenanceWindow { day: "Sunday".into(), hour: "04:00".into() }];
        assert_eq!(window(&json!({"day": "sunday", "hour": "04:00:00"}), &current), current);
        assert_eq!(window(&json!({"day": "monday", "hour": "04:00:00"}), &current)[0], MaintenanceWindow { day: "monday".into(), hour: "04:00".into() });
    }

    #[test]
    fn the_create_body_sends_what_is_configured() {
        let m = DatabaseClusterModel {
            name: "db".into(),
            engine: "pg".into(),
            version: Some("16".into()),
            size: "db-s-1vcpu-2gb".into(),
            region: "nyc1".into(),
            node_count: 2,
            storage_size_mib: Some("30720".into()),
            ..Default::default()
        };
        let b = m.create_body();
        assert_eq!(b["num_nodes"], 2);
        assert_eq!(b["storage_size_mib"], 30720);
        assert!(b.get("private_network_uuid").is_none() && b.get("autoscale").is_none());
    }
}
