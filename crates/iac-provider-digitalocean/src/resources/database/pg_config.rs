//! `digitalocean_database_postgresql_config`: a PostgreSQL cluster's
//! engine settings. Every setting is optional and takes DigitalOcean's
//! value when left out (never drift); the settings the configuration names
//! are sent with one PATCH, on create and on change. Destroying it only
//! forgets it, as upstream: the cluster keeps its settings. The id is
//! upstream's `CLUSTER_ID/postgresql-config`; import takes the cluster id.

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{Map, Value as Json};

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// PgBouncer's settings.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct PgBouncer {
    #[sdk(optional, computed)]
    pub server_reset_query_always: Option<bool>,
    #[sdk(optional, computed, set)]
    pub ignore_startup_parameters: Option<Vec<String>>,
    #[sdk(optional, computed)]
    pub min_pool_size: Option<i64>,
    #[sdk(optional, computed)]
    pub server_lifetime: Option<i64>,
    #[sdk(optional, computed)]
    pub server_idle_timeout: Option<i64>,
    #[sdk(optional, computed)]
    pub autodb_pool_size: Option<i64>,
    #[sdk(optional, computed)]
    pub autodb_pool_mode: Option<String>,
    #[sdk(optional, computed)]
    pub autodb_max_db_connections: Option<i64>,
    #[sdk(optional, computed)]
    pub autodb_idle_timeout: Option<i64>,
}

/// TimescaleDB's settings.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct TimescaleDb {
    #[sdk(optional)]
    pub max_background_workers: Option<i64>,
}

/// `digitalocean_database_postgresql_config`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct PostgresqlConfigModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub cluster_id: String,
    #[sdk(optional, computed)]
    pub autovacuum_freeze_max_age: Option<i64>,
    #[sdk(optional, computed)]
    pub autovacuum_max_workers: Option<i64>,
    #[sdk(optional, computed)]
    pub autovacuum_naptime: Option<i64>,
    #[sdk(optional, computed)]
    pub autovacuum_vacuum_threshold: Option<i64>,
    #[sdk(optional, computed)]
    pub autovacuum_analyze_threshold: Option<i64>,
    #[sdk(optional, computed)]
    pub autovacuum_vacuum_scale_factor: Option<f64>,
    #[sdk(optional, computed)]
    pub autovacuum_analyze_scale_factor: Option<f64>,
    #[sdk(optional, computed)]
    pub autovacuum_vacuum_cost_delay: Option<i64>,
    #[sdk(optional, computed)]
    pub autovacuum_vacuum_cost_limit: Option<i64>,
    #[sdk(optional, computed)]
    pub bgwriter_delay: Option<i64>,
    #[sdk(optional, computed)]
    pub bgwriter_flush_after: Option<i64>,
    #[sdk(optional, computed)]
    pub bgwriter_lru_maxpages: Option<i64>,
    #[sdk(optional, computed)]
    pub bgwriter_lru_multiplier: Option<f64>,
    #[sdk(optional, computed)]
    pub deadlock_timeout: Option<i64>,
    /// lz4 or pglz
    #[sdk(optional, computed)]
    pub default_toast_compression: Option<String>,
    #[sdk(optional, computed)]
    pub idle_in_transaction_session_timeout: Option<i64>,
    #[sdk(optional, computed)]
    pub jit: Option<bool>,
    #[sdk(optional, computed)]
    pub log_autovacuum_min_duration: Option<i64>,
    /// TERSE, DEFAULT or VERBOSE
    #[sdk(optional, computed)]
    pub log_error_verbosity: Option<String>,
    #[sdk(optional, computed)]
    pub log_line_prefix: Option<String>,
    #[sdk(optional, computed)]
    pub log_min_duration_statement: Option<i64>,
    #[sdk(optional, computed)]
    pub max_files_per_process: Option<i64>,
    #[sdk(optional, computed)]
    pub max_prepared_transactions: Option<i64>,
    #[sdk(optional, computed)]
    pub max_pred_locks_per_transaction: Option<i64>,
    #[sdk(optional, computed)]
    pub max_locks_per_transaction: Option<i64>,
    #[sdk(optional, computed)]
    pub max_stack_depth: Option<i64>,
    #[sdk(optional, computed)]
    pub max_standby_archive_delay: Option<i64>,
    #[sdk(optional, computed)]
    pub max_standby_streaming_delay: Option<i64>,
    #[sdk(optional, computed)]
    pub max_replication_slots: Option<i64>,
    #[sdk(optional, computed)]
    pub max_logical_replication_workers: Option<i64>,
    #[sdk(optional, computed)]
    pub max_parallel_workers: Option<i64>,
    #[sdk(optional, computed)]
    pub max_parallel_workers_per_gather: Option<i64>,
    #[sdk(optional, computed)]
    pub max_worker_processes: Option<i64>,
    #[sdk(optional, computed)]
    pub pg_partman_bgw_role: Option<String>,
    #[sdk(optional, computed)]
    pub pg_partman_bgw_interval: Option<i64>,
    /// all, top or none
    #[sdk(optional, computed)]
    pub pg_stat_statements_track: Option<String>,
    #[sdk(optional, computed)]
    pub temp_file_limit: Option<i64>,
    #[sdk(optional, computed)]
    pub timezone: Option<String>,
    #[sdk(optional, computed)]
    pub track_activity_query_size: Option<i64>,
    /// off or on
    #[sdk(optional, computed)]
    pub track_commit_timestamp: Option<String>,
    /// all, pl or none
    #[sdk(optional, computed)]
    pub track_functions: Option<String>,
    /// off or on
    #[sdk(optional, computed)]
    pub track_io_timing: Option<String>,
    #[sdk(optional, computed)]
    pub max_wal_senders: Option<i64>,
    #[sdk(optional, computed)]
    pub wal_sender_timeout: Option<i64>,
    #[sdk(optional, computed)]
    pub wal_writer_delay: Option<i64>,
    #[sdk(optional, computed)]
    pub shared_buffers_percentage: Option<f64>,
    #[sdk(block, max_items = 1)]
    pub pgbouncer: Vec<PgBouncer>,
    #[sdk(optional, computed)]
    pub backup_hour: Option<i64>,
    #[sdk(optional, computed)]
    pub backup_minute: Option<i64>,
    #[sdk(optional, computed)]
    pub work_mem: Option<i64>,
    #[sdk(block, max_items = 1)]
    pub timescaledb: Vec<TimescaleDb>,
}

/// Attribute names that differ from the API's setting names.
const RENAMED: &[(&str, &str)] = &[
    ("pg_partman_bgw_role", "pg_partman_bgw.role"),
    ("pg_partman_bgw_interval", "pg_partman_bgw.interval"),
    ("pg_stat_statements_track", "pg_stat_statements.track"),
];

/// Attributes that are not settings.
const NOT_SETTINGS: &[&str] = &["id", "cluster_id"];

fn api_name(attr: &str) -> &str {
    RENAMED.iter().find(|(a, _)| *a == attr).map(|(_, n)| *n).unwrap_or(attr)
}

impl PostgresqlConfigModel {
    /// From the API's configuration (every setting the model has).
    fn from_api(cluster: &str, config: &Json) -> Result<PostgresqlConfigModel, DoError> {
        let mut attrs = Map::new();
        for name in Self::block().attributes.keys().filter(|n| !NOT_SETTINGS.contains(&n.as_str())) {
            attrs.insert(name.clone(), config.get(api_name(name)).cloned().unwrap_or(Json::Null));
        }
        for block in ["pgbouncer", "timescaledb"] {
            let v = config.get(block).filter(|v| v.is_object()).map(|v| Json::Array(vec![v.clone()])).unwrap_or(Json::Array(Vec::new()));
            attrs.insert(block.into(), v);
        }
        attrs.insert("id".into(), Json::String(format!("{cluster}/postgresql-config")));
        attrs.insert("cluster_id".into(), Json::String(cluster.into()));
        Ok(PostgresqlConfigModel::from_value(&Value::from_json(&Json::Object(attrs)))?)
    }

    /// The settings the configuration names, in the API's words.
    fn patch(&self) -> Json {
        let mut out = Map::new();
        let Json::Object(all) = self.to_value().to_json() else { return Json::Object(out) };
        for (k, v) in all {
            if NOT_SETTINGS.contains(&k.as_str()) || v.is_null() {
                continue;
            }
            match (k.as_str(), v) {
                ("pgbouncer" | "timescaledb", Json::Array(items)) => {
                    if let Some(Json::Object(fields)) = items.into_iter().next() {
                        let set: Map<String, Json> = fields.into_iter().filter(|(_, v)| !v.is_null()).collect();
                        if !set.is_empty() {
                            out.insert(k, Json::Object(set));
                        }
                    }
                }
                (_, v) => {
                    out.insert(api_name(&k).to_string(), v);
                }
            }
        }
        Json::Object(out)
    }
}

/// The `digitalocean_database_postgresql_config` resource type.
pub struct PostgresqlConfig;

impl PostgresqlConfig {
    async fn apply(&self, cx: &Ctx<'_, DigitalOcean>, planned: &PostgresqlConfigModel) -> Result<PostgresqlConfigModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        super::settle(api, addr, cluster).await?;
        api.patch_database_config(cluster, &planned.patch()).await.map_err(DoError::api(&addr))?;
        let config = api
            .database_config(cluster)
            .await
            .map_err(DoError::api(&addr))?
            .ok_or_else(|| DoError::Failed { addr: addr.to_string(), message: format!("database cluster {cluster} disappeared") })?;
        PostgresqlConfigModel::from_api(cluster, &config)
    }
}

#[async_trait]
impl Resource<DigitalOcean> for PostgresqlConfig {
    type Model = PostgresqlConfigModel;
    const TYPE: &'static str = "digitalocean_database_postgresql_config";

    /// Blocks left out keep DigitalOcean's values.
    async fn modify_plan(&self, _cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        for block in ["pgbouncer", "timescaledb"] {
            if planned.get(block).and_then(Value::as_list).is_none_or(|l| l.is_empty()) {
                set(planned, block, prior.and_then(|p| p.get(block)).cloned().unwrap_or(Value::Unknown));
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: PostgresqlConfigModel) -> Result<PostgresqlConfigModel, DoError> {
        self.apply(cx, &planned).await
    }

    async fn update(
        &self,
        cx: &Ctx<'_, DigitalOcean>,
        _prior: PostgresqlConfigModel,
        planned: PostgresqlConfigModel,
    ) -> Result<PostgresqlConfigModel, DoError> {
        self.apply(cx, &planned).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: PostgresqlConfigModel) -> Result<Option<PostgresqlConfigModel>, DoError> {
        let cluster = &current.cluster_id;
        if cluster.is_empty() {
            return Ok(None);
        }
        match cx.provider.api.database_config(cluster).await.map_err(DoError::api(&cx.addr))? {
            Some(c) => PostgresqlConfigModel::from_api(cluster, &c).map(Some),
            None => Ok(None),
        }
    }

    /// Only forgotten: DigitalOcean has no "unset" for a setting.
    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, _prior: PostgresqlConfigModel) -> Result<(), DoError> {
        tracing::warn!(addr = cx.addr, "digitalocean_database_postgresql_config removed from state; the cluster keeps its settings");
        Ok(())
    }

    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("cluster_id", Value::from(id))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_go_by_the_apis_names_and_only_when_set() {
        let m = PostgresqlConfigModel {
            cluster_id: "c".into(),
            work_mem: Some(8),
            pg_stat_statements_track: Some("all".into()),
            pgbouncer: vec![PgBouncer { min_pool_size: Some(2), ..Default::default() }],
            ..Default::default()
        };
        assert_eq!(m.patch(), json!({"work_mem": 8, "pg_stat_statements.track": "all", "pgbouncer": {"min_pool_size": 2}}));
        let back =
            PostgresqlConfigModel::from_api("c", &json!({"work_mem": 8, "pg_stat_statements.track": "all", "jit": true, "pgbouncer": {"min_pool_size": 2}}))
                .unwrap();
        assert_eq!((back.work_mem, back.jit, back.pg_stat_statements_track.as_deref()), (Some(8), Some(true), Some("all")));
        assert_eq!(back.pgbouncer[0].min_pool_size, Some(2));
        assert_eq!(back.id.as_deref(), Some("c/postgresql-config"));
    }
}
