//! Managed databases: clusters of every engine DigitalOcean offers
//! (PostgreSQL first), with their users, databases, connection pools,
//! trusted sources (firewall rules), read-only replicas, engine
//! configuration, CA, maintenance window and storage autoscaling; and the
//! lifecycle that moves them along: `creating` → `online` after the
//! provisioning delay, and `resizing` / `migrating` back to `online` after a
//! resize, a region migration or a major version upgrade.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::catalog;
use crate::clock::now_rfc3339;
use crate::config::SimConfig;
use crate::error::ApiError;
use crate::store::Store;

/// What DigitalOcean offers per engine: its versions (oldest first), and
/// whether it has databases, users and pools.
pub struct Engine {
    pub slug: &'static str,
    pub versions: &'static [&'static str],
    scheme: &'static str,
    user: &'static str,
    database: &'static str,
    port: u16,
    dbs: bool,
    pools: bool,
}

pub const ENGINES: &[Engine] = &[
    Engine {
        slug: "pg",
        versions: &["13", "14", "15", "16", "17"],
        scheme: "postgresql",
        user: "doadmin",
        database: "defaultdb",
        port: 25060,
        dbs: true,
        pools: true,
    },
    Engine { slug: "mysql", versions: &["8"], scheme: "mysql", user: "doadmin", database: "defaultdb", port: 25060, dbs: true, pools: false },
    Engine { slug: "redis", versions: &["7"], scheme: "rediss", user: "default", database: "", port: 25061, dbs: false, pools: false },
    Engine { slug: "valkey", versions: &["8"], scheme: "rediss", user: "default", database: "", port: 25061, dbs: false, pools: false },
    Engine { slug: "mongodb", versions: &["6.0", "7.0"], scheme: "mongodb+srv", user: "doadmin", database: "admin", port: 27017, dbs: true, pools: false },
    Engine { slug: "kafka", versions: &["3.7"], scheme: "", user: "doadmin", database: "", port: 25073, dbs: false, pools: false },
    Engine { slug: "opensearch", versions: &["2"], scheme: "https", user: "doadmin", database: "", port: 25060, dbs: false, pools: false },
];

/// Node sizes and the storage each comes with (MiB).
pub const SIZES: &[(&str, u64)] = &[
    ("db-s-1vcpu-1gb", 10_240),
    ("db-s-1vcpu-2gb", 25_600),
    ("db-s-2vcpu-4gb", 61_440),
    ("db-s-4vcpu-8gb", 143_360),
    ("db-s-6vcpu-16gb", 296_960),
    ("gd-2vcpu-8gb", 143_360),
    ("gd-4vcpu-16gb", 296_960),
];

pub fn engine(slug: &str) -> Option<&'static Engine> {
    ENGINES.iter().find(|e| e.slug == slug)
}

fn base_storage(size: &str) -> Option<u64> {
    SIZES.iter().find(|(s, _)| *s == size).map(|(_, m)| *m)
}

/// Node counts a size allows (the smallest size runs alone).
fn layout_ok(size: &str, nodes: u32) -> bool {
    match nodes {
        1 => true,
        2 | 3 => size != "db-s-1vcpu-1gb",
        _ => false,
    }
}

/// `16` < `17`, `6.0` < `7.0`: numeric, part by part.
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

pub fn options_json() -> Value {
    let mut opts = Map::new();
    for e in ENGINES {
        let sizes: Vec<&str> = SIZES.iter().map(|(s, _)| *s).collect();
        let layouts: Vec<Value> = (1..=3).map(|n| json!({"num_nodes": n, "sizes": sizes.iter().filter(|s| layout_ok(s, n)).collect::<Vec<_>>()})).collect();
        opts.insert(e.slug.into(), json!({"regions": catalog::REGIONS.iter().map(|(s, _)| s).collect::<Vec<_>>(), "versions": e.versions, "layouts": layouts}));
    }
    json!({"options": opts, "version_availability": {}})
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbStatus {
    Creating,
    Online,
    Resizing,
    Migrating,
}

impl DbStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DbStatus::Creating => "creating",
            DbStatus::Online => "online",
            DbStatus::Resizing => "resizing",
            DbStatus::Migrating => "migrating",
        }
    }
}

#[derive(Clone, Debug)]
pub struct DbUser {
    pub name: String,
    pub password: String,
    pub primary: bool,
    /// `mysql_settings`, when the engine is MySQL.
    pub auth_plugin: Option<String>,
    /// `settings` as sent (ACLs, replication), kept as JSON.
    pub settings: Option<Value>,
}

#[derive(Clone, Debug)]
pub struct DbPool {
    pub name: String,
    pub mode: String,
    pub size: u32,
    pub db: String,
    /// None: the pool connects as the inbound user.
    pub user: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub uuid: String,
    pub kind: String,
    pub value: String,
    pub created_at: String,
}

#[derive(Clone, Debug)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub region: String,
    pub size: String,
    pub status: DbStatus,
    pub until: Option<Instant>,
    pub private_network_uuid: String,
    pub tags: Vec<String>,
    pub storage_size_mib: u64,
    pub created_at: String,
}

#[derive(Clone, Debug)]
pub struct Database {
    pub id: String,
    pub name: String,
    pub engine: String,
    pub version: String,
    pub size: String,
    pub region: String,
    pub num_nodes: u32,
    pub status: DbStatus,
    /// When the current status ends (→ online).
    pub until: Option<Instant>,
    pub created_at: String,
    pub private_network_uuid: String,
    pub project_id: String,
    pub tags: Vec<String>,
    pub storage_size_mib: u64,
    pub maintenance_day: String,
    pub maintenance_hour: String,
    pub autoscale: Option<Value>,
    pub users: Vec<DbUser>,
    pub dbs: Vec<String>,
    pub pools: Vec<DbPool>,
    pub rules: Vec<Rule>,
    pub replicas: Vec<Replica>,
    /// The engine configuration's values that were set (the rest are defaults).
    pub config: Map<String, Value>,
    pub eviction_policy: String,
    pub sql_mode: String,
    /// A short token in the hostnames.
    host_key: String,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn password() -> String {
    format!("AVNS_{}", &uuid::Uuid::new_v4().simple().to_string()[..20])
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Value) -> Result<T, ApiError> {
    serde_json::from_value(body.clone()).map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))
}

impl Database {
    fn engine(&self) -> &'static Engine {
        engine(&self.engine).unwrap_or(&ENGINES[0])
    }

    pub fn host(&self, private: bool) -> String {
        format!("{}{}-do-user-{}-0.db.ondigitalocean.com", if private { "private-" } else { "" }, self.name, self.host_key)
    }

    fn admin(&self) -> Option<&DbUser> {
        self.users.iter().find(|u| u.primary)
    }

    /// A connection object for `user` (and `password`) to `database` on `port`.
    fn connection(&self, private: bool, user: &str, password: &str, database: &str, port: u16) -> Value {
        let e = self.engine();
        let host = self.host(private);
        let uri = match e.slug {
            "pg" => format!("postgresql://{user}:{password}@{host}:{port}/{database}?sslmode=require"),
            "mysql" => format!("mysql://{user}:{password}@{host}:{port}/{database}?ssl-mode=REQUIRED"),
            "mongodb" => format!("mongodb+srv://{user}:{password}@{host}/{database}?tls=true&authSource=admin"),
            "kafka" => String::new(),
            _ => format!("{}://{user}:{password}@{host}:{port}", e.scheme),
        };
        json!({"uri": uri, "database": database, "host": host, "port": port, "user": user, "password": password, "ssl": true})
    }

    fn user_json(u: &DbUser) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(u.name));
        m.insert("role".into(), json!(if u.primary { "primary" } else { "normal" }));
        m.insert("password".into(), json!(u.password));
        if let Some(p) = &u.auth_plugin {
            m.insert("mysql_settings".into(), json!({"auth_plugin": p}));
        }
        if let Some(s) = &u.settings {
            m.insert("settings".into(), s.clone());
        }
        Value::Object(m)
    }

    fn rule_json(&self, r: &Rule) -> Value {
        json!({"uuid": r.uuid, "cluster_uuid": self.id, "type": r.kind, "value": r.value, "created_at": r.created_at})
    }

    pub fn pool_json(&self, p: &DbPool) -> Value {
        let user = p.user.as_deref().unwrap_or(self.admin().map(|a| a.name.as_str()).unwrap_or("doadmin"));
        let pass = self.users.iter().find(|u| u.name == user).map(|u| u.password.clone()).unwrap_or_default();
        let mut m = Map::new();
        m.insert("name".into(), json!(p.name));
        m.insert("mode".into(), json!(p.mode));
        m.insert("size".into(), json!(p.size));
        m.insert("db".into(), json!(p.db));
        if let Some(u) = &p.user {
            m.insert("user".into(), json!(u));
        }
        m.insert("connection".into(), self.connection(false, user, &pass, &p.name, 25061));
        m.insert("private_connection".into(), self.connection(true, user, &pass, &p.name, 25061));
        Value::Object(m)
    }

    pub fn replica_json(&self, r: &Replica) -> Value {
        let e = self.engine();
        let (user, pass) = self.admin().map(|a| (a.name.clone(), a.password.clone())).unwrap_or_default();
        let host = |private: bool| format!("{}{}-do-user-{}-0.db.ondigitalocean.com", if private { "private-" } else { "" }, r.name, self.host_key);
        let conn = |private: bool| {
            let mut c = self.connection(private, &user, &pass, e.database, e.port);
            let h = host(private);
            c["uri"] = json!(c["uri"].as_str().unwrap_or("").replace(&self.host(private), &h));
            c["host"] = json!(h);
            c
        };
        json!({
            "id": r.id, "name": r.name, "region": r.region, "size": r.size, "status": r.status.as_str(), "tags": r.tags,
            "created_at": r.created_at, "private_network_uuid": r.private_network_uuid, "storage_size_mib": r.storage_size_mib,
            "connection": conn(false), "private_connection": conn(true),
        })
    }

    pub fn to_json(&self) -> Value {
        let e = self.engine();
        let (user, pass) = self.admin().map(|a| (a.name.clone(), a.password.clone())).unwrap_or_default();
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        m.insert("engine".into(), json!(self.engine));
        m.insert("version".into(), json!(self.version));
        m.insert("num_nodes".into(), json!(self.num_nodes));
        m.insert("size".into(), json!(self.size));
        m.insert("region".into(), json!(self.region));
        m.insert("status".into(), json!(self.status.as_str()));
        m.insert("created_at".into(), json!(self.created_at));
        m.insert("private_network_uuid".into(), json!(self.private_network_uuid));
        m.insert("tags".into(), if self.tags.is_empty() { Value::Null } else { json!(self.tags) });
        m.insert("db_names".into(), if e.dbs { json!(self.dbs) } else { Value::Null });
        m.insert("connection".into(), self.connection(false, &user, &pass, e.database, e.port));
        m.insert("private_connection".into(), self.connection(true, &user, &pass, e.database, e.port));
        if e.slug == "opensearch" {
            let host = format!("{}-dashboard", self.host(false));
            m.insert(
                "ui_connection".into(),
                json!({"uri": format!("https://{user}:{pass}@{host}:443"), "host": host, "port": 443, "user": user, "password": pass, "ssl": true}),
            );
        }
        m.insert("users".into(), json!(self.users.iter().map(Database::user_json).collect::<Vec<_>>()));
        m.insert("maintenance_window".into(), json!({"day": self.maintenance_day, "hour": self.maintenance_hour, "pending": false, "description": []}));
        m.insert("project_id".into(), json!(self.project_id));
        m.insert("rules".into(), json!(self.rules.iter().map(|r| self.rule_json(r)).collect::<Vec<_>>()));
        m.insert("storage_size_mib".into(), json!(self.storage_size_mib));
        m.insert("metrics_endpoints".into(), json!([{"host": self.host(false), "port": 9273}]));
        if let Some(a) = &self.autoscale {
            m.insert("autoscale".into(), json!({"storage": a}));
        }
        Value::Object(m)
    }

    /// The engine configuration: defaults overlaid with what was set.
    pub fn config_json(&self) -> Value {
        let mut c = match self.engine.as_str() {
            "pg" => pg_defaults(),
            "mysql" => json!({"backup_hour": 18, "backup_minute": 3, "sql_mode": self.sql_mode, "connect_timeout": 10, "wait_timeout": 28800}),
            "redis" | "valkey" => json!({"redis_maxmemory_policy": self.eviction_policy, "redis_timeout": 300}),
            _ => json!({}),
        };
        if let (Value::Object(base), true) = (&mut c, !self.config.is_empty()) {
            for (k, v) in &self.config {
                match (base.get_mut(k), v) {
                    (Some(Value::Object(b)), Value::Object(o)) => b.extend(o.clone()),
                    _ => {
                        base.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        json!({ "config": c })
    }
}

/// PostgreSQL's configuration as DigitalOcean reports it before any change.
fn pg_defaults() -> Value {
    serde_json::from_str(PG_DEFAULTS).expect("PostgreSQL's defaults are JSON")
}

const PG_DEFAULTS: &str = r#"{
  "autovacuum_freeze_max_age": 200000000, "autovacuum_max_workers": 3, "autovacuum_naptime": 60,
  "autovacuum_vacuum_threshold": 50, "autovacuum_analyze_threshold": 50, "autovacuum_vacuum_scale_factor": 0.2,
  "autovacuum_analyze_scale_factor": 0.2, "autovacuum_vacuum_cost_delay": 20, "autovacuum_vacuum_cost_limit": -1,
  "backup_hour": 22, "backup_minute": 14, "bgwriter_delay": 200, "bgwriter_flush_after": 512, "bgwriter_lru_maxpages": 100,
  "bgwriter_lru_multiplier": 2.0, "deadlock_timeout": 1000, "default_toast_compression": "lz4",
  "idle_in_transaction_session_timeout": 0, "jit": true, "log_autovacuum_min_duration": -1, "log_error_verbosity": "DEFAULT",
  "log_line_prefix": "pid=%p,user=%u,db=%d,app=%a,client=%h", "log_min_duration_statement": -1, "max_files_per_process": 1000,
  "max_prepared_transactions": 0, "max_pred_locks_per_transaction": 64, "max_locks_per_transaction": 64, "max_stack_depth": 2097152,
  "max_standby_archive_delay": 30000, "max_standby_streaming_delay": 30000, "max_replication_slots": 20,
  "max_logical_replication_workers": 4, "max_parallel_workers": 8, "max_parallel_workers_per_gather": 2, "max_worker_processes": 8,
  "pg_partman_bgw.role": "doadmin", "pg_partman_bgw.interval": 3600, "pg_stat_statements.track": "top", "temp_file_limit": -1,
  "timezone": "UTC", "track_activity_query_size": 1024, "track_commit_timestamp": "off", "track_functions": "none",
  "track_io_timing": "off", "max_wal_senders": 20, "wal_sender_timeout": 60000, "wal_writer_delay": 200,
  "shared_buffers_percentage": 25.0, "work_mem": 4,
  "pgbouncer": {"server_reset_query_always": false, "ignore_startup_parameters": [], "min_pool_size": 0, "server_lifetime": 3600,
      "server_idle_timeout": 600, "autodb_pool_size": 0, "autodb_pool_mode": "transaction", "autodb_max_db_connections": 0, "autodb_idle_timeout": 3600},
  "timescaledb": {"max_background_workers": 16}
}"#;

/// A base64 stand-in for the cluster's CA certificate.
fn ca_certificate(id: &str) -> String {
    crate::kube::base64(format!("-----BEGIN CERTIFICATE-----\nU0lNVUxBVEVELURCLUNBLQ=={id}\n-----END CERTIFICATE-----\n").as_bytes())
}

const DAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// `HH:MM` or `HH:MM:SS`, as `HH:MM:SS`.
fn hour(s: &str) -> Option<String> {
    let parts: Vec<u8> = s.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts.as_slice() {
        [h, m] if *h < 24 && *m < 60 => Some(format!("{h:02}:{m:02}:00")),
        [h, m, sec] if *h < 24 && *m < 60 && *sec < 60 => Some(format!("{h:02}:{m:02}:{sec:02}")),
        _ => None,
    }
}

#[derive(Deserialize)]
struct Autoscale {
    enabled: bool,
    #[serde(default)]
    threshold_percent: Option<u32>,
    #[serde(default)]
    increment_gib: Option<u32>,
}

fn autoscale(v: &Value) -> Result<Value, ApiError> {
    let a: Autoscale = parse(v)?;
    if a.threshold_percent.is_some_and(|t| !(15..=95).contains(&t)) || a.increment_gib.is_some_and(|i| !(10..=500).contains(&i)) {
        return Err(ApiError::unprocessable("storage autoscale: threshold_percent must be 15-95 and increment_gib 10-500"));
    }
    let mut m = Map::new();
    m.insert("enabled".into(), json!(a.enabled));
    if let Some(t) = a.threshold_percent {
        m.insert("threshold_percent".into(), json!(t));
    }
    if let Some(i) = a.increment_gib {
        m.insert("increment_gib".into(), json!(i));
    }
    Ok(Value::Object(m))
}

#[derive(Deserialize)]
struct AutoscaleReq {
    #[serde(default)]
    storage: Option<Value>,
}

#[derive(Deserialize)]
struct Create {
    name: String,
    engine: String,
    #[serde(default)]
    version: Option<String>,
    size: String,
    region: String,
    num_nodes: u32,
    #[serde(default)]
    private_network_uuid: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    storage_size_mib: Option<u64>,
    #[serde(default)]
    autoscale: Option<AutoscaleReq>,
    #[serde(default)]
    backup_restore: Option<BackupRestore>,
}

#[derive(Deserialize)]
struct BackupRestore {
    database_name: String,
}

#[derive(Deserialize)]
struct Resize {
    size: String,
    num_nodes: u32,
    #[serde(default)]
    storage_size_mib: Option<u64>,
}

#[derive(Deserialize)]
struct RuleSpec {
    #[serde(default)]
    uuid: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Deserialize)]
struct UserCreate {
    name: String,
    #[serde(default)]
    mysql_settings: Option<MysqlSettings>,
    #[serde(default)]
    settings: Option<Value>,
}

#[derive(Deserialize)]
struct MysqlSettings {
    auth_plugin: String,
}

#[derive(Deserialize)]
struct PoolCreate {
    name: String,
    mode: String,
    size: u32,
    db: String,
    #[serde(default)]
    user: Option<String>,
}

#[derive(Deserialize)]
struct ReplicaCreate {
    name: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    private_network_uuid: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    storage_size_mib: Option<u64>,
}

/// The project new databases go to when none is named.
pub const DEFAULT_PROJECT_ID: &str = "6b7a8c2e-0d3f-4e51-9a6b-1c2d3e4f5a6b";

const POOL_MODES: &[&str] = &["session", "transaction", "statement"];
const RULE_TYPES: &[&str] = &["ip_addr", "droplet", "k8s", "tag", "app"];

fn is_ip_or_cidr(s: &str) -> bool {
    let (ip, bits) = s.split_once('/').unwrap_or((s, "32"));
    ip.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 128)
}

impl Store {
    /// Moves databases and replicas along: creating, resizing and migrating end online.
    pub(crate) fn tick_databases(&mut self, now: Instant) {
        for d in &mut self.databases {
            if d.until.is_some_and(|u| u <= now) {
                d.status = DbStatus::Online;
                d.until = None;
            }
            for r in &mut d.replicas {
                if r.until.is_some_and(|u| u <= now) {
                    r.status = DbStatus::Online;
                    r.until = None;
                }
            }
        }
    }

    pub fn database(&self, id: &str) -> Result<&Database, ApiError> {
        self.databases.iter().find(|d| d.id == id).ok_or_else(ApiError::not_found)
    }

    fn database_mut(&mut self, id: &str) -> Result<&mut Database, ApiError> {
        self.databases.iter_mut().find(|d| d.id == id).ok_or_else(ApiError::not_found)
    }

    /// A cluster that can take a change now (online).
    fn online_mut(&mut self, id: &str) -> Result<&mut Database, ApiError> {
        let d = self.database_mut(id)?;
        if d.status != DbStatus::Online {
            return Err(ApiError::unprocessable(format!("the database cluster is {}; try again once it is online", d.status.as_str())));
        }
        Ok(d)
    }

    pub fn list_databases(&self, query: &str) -> Value {
        let tag = query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == "tag_name").map(|(_, v)| v);
        let items: Vec<Value> = self.databases.iter().filter(|d| tag.is_none_or(|t| d.tags.iter().any(|x| x == t))).map(Database::to_json).collect();
        json!({ "databases": items })
    }

    /// The VPC a new database goes into: the named one (same region), else the region's default.
    fn database_vpc(&mut self, id: Option<String>, region: &str) -> Result<String, ApiError> {
        match id.filter(|i| !i.is_empty()) {
            Some(id) => {
                let v = self.vpc(&id).map_err(|_| ApiError::unprocessable(format!("VPC {id:?} does not exist")))?;
                if v.region != region {
                    return Err(ApiError::unprocessable(format!("VPC {id:?} is in region {}, not {region}", v.region)));
                }
                Ok(id)
            }
            None => Ok(self.default_vpc_id(region)),
        }
    }

    pub fn create_database(&mut self, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let req: Create = parse(body)?;
        if req.name.len() < 3 || !req.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(ApiError::unprocessable("name must be 3 or more lowercase letters, digits and dashes"));
        }
        if self.databases.iter().any(|d| d.name == req.name) {
            return Err(ApiError::unprocessable(format!("a database cluster named {:?} already exists", req.name)));
        }
        let e = engine(&req.engine).ok_or_else(|| ApiError::unprocessable(format!("engine {:?} is not offered", req.engine)))?;
        let version = req.version.unwrap_or_else(|| e.versions[e.versions.len() - 1].to_string());
        if !e.versions.contains(&version.as_str()) {
            return Err(ApiError::unprocessable(format!("version {version:?} of {} is not offered (offered: {})", e.slug, e.versions.join(", "))));
        }
        if !catalog::is_region(&req.region) {
            return Err(ApiError::unprocessable(format!("region {:?} is not available for databases", req.region)));
        }
        let base = base_storage(&req.size).ok_or_else(|| ApiError::unprocessable(format!("size {:?} is not available", req.size)))?;
        if !layout_ok(&req.size, req.num_nodes) {
            return Err(ApiError::unprocessable(format!("{} nodes of size {} is not an available layout", req.num_nodes, req.size)));
        }
        let storage = req.storage_size_mib.unwrap_or(base);
        if storage < base {
            return Err(ApiError::unprocessable(format!("storage_size_mib {storage} is below the {base} MiB size {} comes with", req.size)));
        }
        if let Some(b) = &req.backup_restore {
            if !self.databases.iter().any(|d| d.name == b.database_name && d.engine == req.engine) {
                return Err(ApiError::not_found());
            }
        }
        let autoscale = req.autoscale.and_then(|a| a.storage).map(|s| autoscale(&s)).transpose()?;
        let vpc = self.database_vpc(req.private_network_uuid, &req.region)?;
        let id = new_id();
        let mut users = vec![DbUser { name: e.user.into(), password: password(), primary: true, auth_plugin: None, settings: None }];
        if e.slug == "mysql" {
            users[0].auth_plugin = Some("caching_sha2_password".into());
        }
        let d = Database {
            host_key: format!("{}", 1_000_000 + fastrand::u32(..8_999_999)),
            name: req.name,
            engine: e.slug.into(),
            version,
            size: req.size,
            region: req.region,
            num_nodes: req.num_nodes,
            status: DbStatus::Creating,
            until: Some(now + Duration::from_millis(cfg.provision_delay_ms)),
            created_at: now_rfc3339(),
            private_network_uuid: vpc,
            project_id: req.project_id.filter(|p| !p.is_empty()).unwrap_or_else(|| DEFAULT_PROJECT_ID.into()),
            tags: req.tags.unwrap_or_default(),
            storage_size_mib: storage,
            maintenance_day: DAYS[1].into(),
            maintenance_hour: "02:00:00".into(),
            autoscale,
            users,
            dbs: if e.dbs { vec![e.database.to_string()] } else { Vec::new() },
            pools: Vec::new(),
            rules: Vec::new(),
            replicas: Vec::new(),
            config: Map::new(),
            eviction_policy: "noeviction".into(),
            sql_mode: "ANSI,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,STRICT_ALL_TABLES".into(),
            id,
        };
        let out = d.to_json();
        self.databases.push(d);
        Ok(json!({ "database": out }))
    }

    pub fn delete_database(&mut self, id: &str, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        let d = self.database(id)?;
        if !d.replicas.is_empty() {
            return Err(ApiError::unprocessable("the database cluster has read-only replicas; delete them first"));
        }
        let vpc = d.private_network_uuid.clone();
        self.databases.retain(|d| d.id != id);
        self.release_vpc(&vpc, now, cfg);
        Ok(())
    }

    /// A resize of a cluster, or of a replica (by its own id).
    pub fn resize_database(&mut self, id: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        let req: Resize = parse(body)?;
        let base = base_storage(&req.size).ok_or_else(|| ApiError::unprocessable(format!("size {:?} is not available", req.size)))?;
        let until = Some(now + Duration::from_millis(cfg.provision_delay_ms));
        if let Some(r) = self.databases.iter_mut().flat_map(|d| d.replicas.iter_mut()).find(|r| r.id == id) {
            if req.num_nodes != 1 {
                return Err(ApiError::unprocessable("a read-only replica has one node"));
            }
            let storage = req.storage_size_mib.unwrap_or(r.storage_size_mib.max(base));
            if storage < base {
                return Err(ApiError::unprocessable(format!("storage_size_mib {storage} is below the {base} MiB size {} comes with", req.size)));
            }
            (r.size, r.storage_size_mib, r.status, r.until) = (req.size, storage, DbStatus::Resizing, until);
            return Ok(());
        }
        let d = self.online_mut(id)?;
        if !layout_ok(&req.size, req.num_nodes) {
            return Err(ApiError::unprocessable(format!("{} nodes of size {} is not an available layout", req.num_nodes, req.size)));
        }
        let storage = req.storage_size_mib.unwrap_or(d.storage_size_mib.max(base));
        if storage < base || storage < d.storage_size_mib {
            return Err(ApiError::unprocessable(format!(
                "storage_size_mib {storage} is below the cluster's or the size's ({base} MiB); storage cannot shrink"
            )));
        }
        if (d.size.as_str(), d.num_nodes, d.storage_size_mib) == (req.size.as_str(), req.num_nodes, storage) {
            return Ok(());
        }
        (d.size, d.num_nodes, d.storage_size_mib, d.status, d.until) = (req.size, req.num_nodes, storage, DbStatus::Resizing, until);
        Ok(())
    }

    pub fn migrate_database(&mut self, id: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Req {
            region: String,
        }
        let req: Req = parse(body)?;
        if !catalog::is_region(&req.region) {
            return Err(ApiError::unprocessable(format!("region {:?} is not available for databases", req.region)));
        }
        let d = self.online_mut(id)?;
        if d.region != req.region {
            (d.region, d.status, d.until) = (req.region, DbStatus::Migrating, Some(now + Duration::from_millis(cfg.provision_delay_ms)));
        }
        Ok(())
    }

    /// A major version upgrade (never down).
    pub fn upgrade_database(&mut self, id: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Req {
            version: String,
        }
        let req: Req = parse(body)?;
        let d = self.online_mut(id)?;
        let e = d.engine();
        if !e.versions.contains(&req.version.as_str()) {
            return Err(ApiError::unprocessable(format!("version {:?} of {} is not offered", req.version, e.slug)));
        }
        if version_key(&req.version) < version_key(&d.version) {
            return Err(ApiError::unprocessable(format!("cannot downgrade from {} to {}", d.version, req.version)));
        }
        if req.version != d.version {
            (d.version, d.status, d.until) = (req.version, DbStatus::Migrating, Some(now + Duration::from_millis(cfg.provision_delay_ms)));
        }
        Ok(())
    }

    pub fn set_maintenance(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Req {
            day: String,
            hour: String,
        }
        let req: Req = parse(body)?;
        let day = req.day.to_lowercase();
        if !DAYS.contains(&day.as_str()) {
            return Err(ApiError::unprocessable(format!("invalid maintenance day {:?}", req.day)));
        }
        let h = hour(&req.hour).ok_or_else(|| ApiError::unprocessable(format!("invalid maintenance hour {:?}", req.hour)))?;
        let d = self.database_mut(id)?;
        (d.maintenance_day, d.maintenance_hour) = (day, h);
        Ok(())
    }

    pub fn set_autoscale(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let req: AutoscaleReq = parse(body)?;
        let a = req.storage.map(|s| autoscale(&s)).transpose()?;
        self.database_mut(id)?.autoscale = a;
        Ok(())
    }

    pub fn autoscale_json(&self, id: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        Ok(json!({"autoscale": {"storage": d.autoscale.clone().unwrap_or(json!({"enabled": false}))}}))
    }

    // ---- trusted sources ----

    pub fn firewall_json(&self, id: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        Ok(json!({"rules": d.rules.iter().map(|r| d.rule_json(r)).collect::<Vec<_>>()}))
    }

    /// Replaces the rules: those with a known uuid keep it, the others get one.
    pub fn set_firewall(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Req {
            #[serde(default)]
            rules: Vec<RuleSpec>,
        }
        let req: Req = parse(body)?;
        for r in &req.rules {
            if !RULE_TYPES.contains(&r.kind.as_str()) || r.value.is_empty() {
                return Err(ApiError::unprocessable(format!("invalid trusted source {}:{}", r.kind, r.value)));
            }
            let ok = match r.kind.as_str() {
                "ip_addr" => is_ip_or_cidr(&r.value),
                "k8s" => self.clusters.iter().any(|c| c.id == r.value),
                _ => true,
            };
            if !ok {
                return Err(ApiError::unprocessable(format!("trusted source {}:{} does not exist or is not valid", r.kind, r.value)));
            }
        }
        let d = self.database_mut(id)?;
        let old = std::mem::take(&mut d.rules);
        for r in req.rules {
            let kept = r.uuid.as_deref().and_then(|u| old.iter().find(|o| o.uuid == u && o.kind == r.kind && o.value == r.value));
            let kept = kept.or_else(|| old.iter().find(|o| o.kind == r.kind && o.value == r.value));
            d.rules.push(match kept {
                Some(o) => o.clone(),
                None => Rule { uuid: new_id(), kind: r.kind, value: r.value, created_at: now_rfc3339() },
            });
        }
        Ok(())
    }

    // ---- users ----

    pub fn db_user_json(&self, id: &str, name: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        d.users.iter().find(|u| u.name == name).map(|u| json!({"user": Database::user_json(u)})).ok_or_else(ApiError::not_found)
    }

    pub fn db_users_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(json!({"users": self.database(id)?.users.iter().map(Database::user_json).collect::<Vec<_>>()}))
    }

    pub fn create_db_user(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let req: UserCreate = parse(body)?;
        let d = self.online_mut(id)?;
        if req.name.is_empty() || d.users.iter().any(|u| u.name == req.name) {
            return Err(ApiError::unprocessable(format!("a user named {:?} already exists", req.name)));
        }
        if req.mysql_settings.is_some() && d.engine != "mysql" {
            return Err(ApiError::unprocessable("mysql_settings apply to MySQL clusters only"));
        }
        let auth = req.mysql_settings.map(|m| m.auth_plugin).or((d.engine == "mysql").then(|| "caching_sha2_password".to_string()));
        let u = DbUser { name: req.name, password: password(), primary: false, auth_plugin: auth, settings: req.settings };
        let out = Database::user_json(&u);
        d.users.push(u);
        Ok(json!({ "user": out }))
    }

    pub fn update_db_user(&mut self, id: &str, name: &str, body: &Value) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        struct Req {
            settings: Value,
        }
        let req: Req = parse(body)?;
        let d = self.database_mut(id)?;
        let u = d.users.iter_mut().find(|u| u.name == name).ok_or_else(ApiError::not_found)?;
        u.settings = Some(req.settings);
        Ok(json!({"user": Database::user_json(u)}))
    }

    pub fn reset_db_user_auth(&mut self, id: &str, name: &str, body: &Value) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        struct Req {
            mysql_settings: MysqlSettings,
        }
        let req: Req = parse(body)?;
        let d = self.database_mut(id)?;
        if d.engine != "mysql" {
            return Err(ApiError::unprocessable("the authentication method can only be reset on MySQL clusters"));
        }
        let u = d.users.iter_mut().find(|u| u.name == name).ok_or_else(ApiError::not_found)?;
        u.auth_plugin = Some(req.mysql_settings.auth_plugin);
        Ok(json!({"user": Database::user_json(u)}))
    }

    pub fn delete_db_user(&mut self, id: &str, name: &str) -> Result<(), ApiError> {
        let d = self.database_mut(id)?;
        let u = d.users.iter().find(|u| u.name == name).ok_or_else(ApiError::not_found)?;
        if u.primary {
            return Err(ApiError::unprocessable("the cluster's primary user cannot be deleted"));
        }
        if d.pools.iter().any(|p| p.user.as_deref() == Some(name)) {
            return Err(ApiError::unprocessable(format!("user {name:?} is used by a connection pool")));
        }
        d.users.retain(|u| u.name != name);
        Ok(())
    }

    // ---- databases in a cluster ----

    pub fn dbs_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(json!({"dbs": self.database(id)?.dbs.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()}))
    }

    pub fn db_json(&self, id: &str, name: &str) -> Result<Value, ApiError> {
        self.database(id)?.dbs.iter().find(|n| *n == name).map(|n| json!({"db": {"name": n}})).ok_or_else(ApiError::not_found)
    }

    pub fn create_db(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        struct Req {
            name: String,
        }
        let req: Req = parse(body)?;
        let d = self.online_mut(id)?;
        if !d.engine().dbs {
            return Err(ApiError::unprocessable(format!("{} clusters have no databases", d.engine)));
        }
        if req.name.is_empty() || d.dbs.contains(&req.name) {
            return Err(ApiError::unprocessable(format!("a database named {:?} already exists", req.name)));
        }
        d.dbs.push(req.name.clone());
        Ok(json!({"db": {"name": req.name}}))
    }

    pub fn delete_db(&mut self, id: &str, name: &str) -> Result<(), ApiError> {
        let d = self.database_mut(id)?;
        if !d.dbs.iter().any(|n| n == name) {
            return Err(ApiError::not_found());
        }
        if d.pools.iter().any(|p| p.db == name) {
            return Err(ApiError::unprocessable(format!("database {name:?} is used by a connection pool")));
        }
        d.dbs.retain(|n| n != name);
        Ok(())
    }

    // ---- connection pools ----

    pub fn pools_json(&self, id: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        Ok(json!({"pools": d.pools.iter().map(|p| d.pool_json(p)).collect::<Vec<_>>()}))
    }

    pub fn pool_json(&self, id: &str, name: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        d.pools.iter().find(|p| p.name == name).map(|p| json!({"pool": d.pool_json(p)})).ok_or_else(ApiError::not_found)
    }

    fn check_pool(d: &Database, p: &PoolCreate, except: Option<&str>) -> Result<(), ApiError> {
        if !POOL_MODES.contains(&p.mode.as_str()) {
            return Err(ApiError::unprocessable(format!("pool mode {:?} is not one of session, transaction, statement", p.mode)));
        }
        if !d.dbs.contains(&p.db) {
            return Err(ApiError::unprocessable(format!("database {:?} does not exist in the cluster", p.db)));
        }
        if let Some(u) = &p.user {
            if !d.users.iter().any(|x| &x.name == u) {
                return Err(ApiError::unprocessable(format!("user {u:?} does not exist in the cluster")));
            }
        }
        // 25 backend connections per GiB of memory, less 3 reserved, per node.
        let limit = 22 * d.num_nodes.max(1);
        let used: u32 = d.pools.iter().filter(|x| Some(x.name.as_str()) != except).map(|x| x.size).sum();
        if p.size == 0 || used + p.size > limit {
            return Err(ApiError::unprocessable(format!("pool size {} exceeds the {} connections left", p.size, limit.saturating_sub(used))));
        }
        Ok(())
    }

    pub fn create_pool_db(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let req: PoolCreate = parse(body)?;
        let d = self.online_mut(id)?;
        if !d.engine().pools {
            return Err(ApiError::unprocessable("connection pools are for PostgreSQL clusters"));
        }
        if req.name.len() < 3 || d.pools.iter().any(|p| p.name == req.name) {
            return Err(ApiError::unprocessable(format!("pool name {:?} is taken or too short", req.name)));
        }
        Store::check_pool(d, &req, None)?;
        let p = DbPool { name: req.name, mode: req.mode, size: req.size, db: req.db, user: req.user.filter(|u| !u.is_empty()) };
        let out = d.pool_json(&p);
        d.pools.push(p);
        Ok(json!({ "pool": out }))
    }

    pub fn update_pool_db(&mut self, id: &str, name: &str, body: &Value) -> Result<(), ApiError> {
        let mut req: PoolCreate = parse(&{
            let mut b = body.clone();
            b["name"] = json!(name);
            b
        })?;
        req.user = req.user.filter(|u| !u.is_empty());
        let d = self.database_mut(id)?;
        if !d.pools.iter().any(|p| p.name == name) {
            return Err(ApiError::not_found());
        }
        Store::check_pool(d, &req, Some(name))?;
        let p = d.pools.iter_mut().find(|p| p.name == name).ok_or_else(ApiError::not_found)?;
        (p.mode, p.size, p.db, p.user) = (req.mode, req.size, req.db, req.user);
        Ok(())
    }

    pub fn delete_pool_db(&mut self, id: &str, name: &str) -> Result<(), ApiError> {
        let d = self.database_mut(id)?;
        if !d.pools.iter().any(|p| p.name == name) {
            return Err(ApiError::not_found());
        }
        d.pools.retain(|p| p.name != name);
        Ok(())
    }

    // ---- replicas ----

    pub fn replicas_json(&self, id: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        Ok(json!({"replicas": d.replicas.iter().map(|r| d.replica_json(r)).collect::<Vec<_>>()}))
    }

    pub fn replica_json(&self, id: &str, name: &str) -> Result<Value, ApiError> {
        let d = self.database(id)?;
        d.replicas.iter().find(|r| r.name == name).map(|r| json!({"replica": d.replica_json(r)})).ok_or_else(ApiError::not_found)
    }

    pub fn create_replica(&mut self, id: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let req: ReplicaCreate = parse(body)?;
        let (region, size, storage, engine) = {
            let d = self.database(id)?;
            if d.status != DbStatus::Online {
                return Err(ApiError { status: 412, id: "precondition_failed", message: "the primary is not online yet".into() });
            }
            if !["pg", "mysql"].contains(&d.engine.as_str()) {
                return Err(ApiError::unprocessable(format!("{} clusters have no read-only replicas", d.engine)));
            }
            if d.replicas.iter().any(|r| r.name == req.name) || req.name.len() < 3 {
                return Err(ApiError::unprocessable(format!("replica name {:?} is taken or too short", req.name)));
            }
            (req.region.clone().unwrap_or(d.region.clone()), req.size.clone().unwrap_or(d.size.clone()), d.storage_size_mib, d.engine.clone())
        };
        let _ = engine;
        if !catalog::is_region(&region) {
            return Err(ApiError::unprocessable(format!("region {region:?} is not available for databases")));
        }
        let base = base_storage(&size).ok_or_else(|| ApiError::unprocessable(format!("size {size:?} is not available")))?;
        let storage = req.storage_size_mib.unwrap_or(storage.max(base));
        let vpc = self.database_vpc(req.private_network_uuid, &region)?;
        let r = Replica {
            id: new_id(),
            name: req.name,
            region,
            size,
            status: DbStatus::Creating,
            until: Some(now + Duration::from_millis(cfg.provision_delay_ms)),
            private_network_uuid: vpc,
            tags: req.tags.unwrap_or_default(),
            storage_size_mib: storage,
            created_at: now_rfc3339(),
        };
        let d = self.database_mut(id)?;
        let out = d.replica_json(&r);
        d.replicas.push(r);
        Ok(json!({ "replica": out }))
    }

    pub fn delete_replica(&mut self, id: &str, name: &str, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        let d = self.database_mut(id)?;
        let r = d.replicas.iter().find(|r| r.name == name).ok_or_else(ApiError::not_found)?;
        let vpc = r.private_network_uuid.clone();
        d.replicas.retain(|r| r.name != name);
        self.release_vpc(&vpc, now, cfg);
        Ok(())
    }

    // ---- configuration ----

    pub fn database_config_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(self.database(id)?.config_json())
    }

    /// Merges the given settings; names the engine does not have are refused.
    pub fn patch_database_config(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let d = self.database_mut(id)?;
        let Some(patch) = body.get("config").and_then(Value::as_object) else {
            return Err(ApiError::unprocessable("the body needs a config object"));
        };
        let known = d.config_json()["config"].as_object().cloned().unwrap_or_default();
        for (k, v) in patch {
            let Some(cur) = known.get(k) else {
                return Err(ApiError::unprocessable(format!("{k:?} is not a setting of {} clusters", d.engine)));
            };
            let same_kind = matches!(
                (cur, v),
                (Value::Number(_), Value::Number(_))
                    | (Value::String(_), Value::String(_))
                    | (Value::Bool(_), Value::Bool(_))
                    | (Value::Object(_), Value::Object(_))
            );
            if !same_kind {
                return Err(ApiError::unprocessable(format!("{k:?} must be of the kind {cur}")));
            }
        }
        for (k, v) in patch {
            match (d.config.get_mut(k), v) {
                (Some(Value::Object(o)), Value::Object(n)) => o.extend(n.clone()),
                _ => {
                    d.config.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    }

    pub fn ca_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(json!({"ca": {"certificate": ca_certificate(&self.database(id)?.id)}}))
    }

    pub fn eviction_policy_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(json!({"eviction_policy": self.database(id)?.eviction_policy}))
    }

    pub fn set_eviction_policy(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        const POLICIES: &[&str] = &["noeviction", "allkeys_lru", "allkeys_random", "volatile_lru", "volatile_random", "volatile_ttl"];
        let p = body.get("eviction_policy").and_then(Value::as_str).unwrap_or("");
        let d = self.database_mut(id)?;
        if !["redis", "valkey"].contains(&d.engine.as_str()) || !POLICIES.contains(&p) {
            return Err(ApiError::unprocessable(format!("eviction policy {p:?} is not available for {} clusters", d.engine)));
        }
        d.eviction_policy = p.into();
        Ok(())
    }

    pub fn sql_mode_json(&self, id: &str) -> Result<Value, ApiError> {
        Ok(json!({"sql_mode": self.database(id)?.sql_mode}))
    }

    pub fn set_sql_mode(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let m = body.get("sql_mode").and_then(Value::as_str).unwrap_or("");
        let d = self.database_mut(id)?;
        if d.engine != "mysql" {
            return Err(ApiError::unprocessable("SQL modes are for MySQL clusters"));
        }
        d.sql_mode = m.into();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(name: &str) -> Value {
        json!({"name": name, "engine": "pg", "version": "16", "size": "db-s-1vcpu-2gb", "region": "nyc1", "num_nodes": 1})
    }

    #[test]
    fn clusters_come_online_and_resize_in_place() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        let t0 = Instant::now();
        let d = s.create_database(&pg("main"), t0, &cfg).unwrap();
        let id = d["database"]["id"].as_str().unwrap().to_string();
        assert_eq!(d["database"]["status"], "creating");
        assert_eq!(s.create_db(&id, &json!({"name": "app"})).unwrap_err().status, 422, "not online yet");
        s.tick_databases(t0 + Duration::from_secs(1));
        assert_eq!(s.database(&id).unwrap().status, DbStatus::Online);
        s.create_db(&id, &json!({"name": "app"})).unwrap();
        s.resize_database(&id, &json!({"size": "db-s-2vcpu-4gb", "num_nodes": 2}), t0, &cfg).unwrap();
        let d = s.database(&id).unwrap();
        assert_eq!((d.status, d.size.as_str(), d.num_nodes, d.storage_size_mib), (DbStatus::Resizing, "db-s-2vcpu-4gb", 2, 61_440));
        assert_eq!(s.create_database(&pg("main"), t0, &cfg).unwrap_err().status, 422, "names are unique");
    }

    #[test]
    fn pools_users_and_rules_are_checked() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        let t0 = Instant::now();
        let id = s.create_database(&pg("main"), t0, &cfg).unwrap()["database"]["id"].as_str().unwrap().to_string();
        s.tick_databases(t0 + Duration::from_secs(1));
        s.create_db_user(&id, &json!({"name": "app"})).unwrap();
        let bad = json!({"name": "pool", "mode": "transaction", "size": 10, "db": "nope", "user": "app"});
        assert_eq!(s.create_pool_db(&id, &bad).unwrap_err().status, 422);
        let p = s.create_pool_db(&id, &json!({"name": "pool", "mode": "transaction", "size": 10, "db": "defaultdb", "user": "app"})).unwrap();
        assert_eq!(p["pool"]["connection"]["port"], 25061);
        assert_eq!(s.delete_db_user(&id, "app").unwrap_err().status, 422, "in use by the pool");
        assert_eq!(s.set_firewall(&id, &json!({"rules": [{"type": "k8s", "value": "5a4981aa-9653-4bd1-bef5-d6bff52042e4"}]})).unwrap_err().status, 422);
        s.set_firewall(&id, &json!({"rules": [{"type": "ip_addr", "value": "10.0.0.0/8"}]})).unwrap();
        let uuid = s.database(&id).unwrap().rules[0].uuid.clone();
        s.set_firewall(&id, &json!({"rules": [{"type": "ip_addr", "value": "10.0.0.0/8"}, {"type": "tag", "value": "web"}]})).unwrap();
        assert_eq!(s.database(&id).unwrap().rules[0].uuid, uuid, "an unchanged rule keeps its uuid");
        s.patch_database_config(&id, &json!({"config": {"work_mem": 8, "pgbouncer": {"min_pool_size": 2}}})).unwrap();
        let c = s.database_config_json(&id).unwrap();
        assert_eq!((c["config"]["work_mem"].clone(), c["config"]["pgbouncer"]["min_pool_size"].clone()), (json!(8), json!(2)));
        assert_eq!(c["config"]["pgbouncer"]["server_lifetime"], 3600, "the rest of a nested setting stays");
        assert_eq!(s.patch_database_config(&id, &json!({"config": {"nope": 1}})).unwrap_err().status, 422);
    }
}
