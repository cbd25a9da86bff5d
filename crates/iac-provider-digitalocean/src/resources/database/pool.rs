//! `digitalocean_database_connection_pool`: a PgBouncer pool of a
//! PostgreSQL cluster, with its connection details (the URIs and password
//! are sensitive). Every argument forces replacement, as upstream. The id
//! is upstream's `CLUSTER_ID/NAME`, and an import takes `CLUSTER_ID,NAME`.
//! Reads come from one list of the cluster's pools per refresh.

use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use super::{settle, split_import, Conn};
use crate::error::DoError;
use crate::resources::create_or_adopt;
use crate::values::*;
use crate::DigitalOcean;

/// `digitalocean_database_connection_pool`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ConnectionPoolModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub cluster_id: String,
    /// 3 to 63 characters
    #[sdk(required, force_new)]
    pub name: String,
    /// the user the pool connects as (default: the connecting client's)
    #[sdk(optional, force_new)]
    pub user: Option<String>,
    /// session, transaction or statement
    #[sdk(required, force_new)]
    pub mode: String,
    /// backend connections
    #[sdk(required, force_new)]
    pub size: i64,
    #[sdk(required, force_new)]
    pub db_name: String,
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
    #[sdk(computed, sensitive)]
    pub password: Option<String>,
}

impl ConnectionPoolModel {
    fn from_api(cluster: &str, p: &Json, current: &ConnectionPoolModel) -> ConnectionPoolModel {
        let (conn, private) = (Conn::of(&p["connection"]), Conn::of(&p["private_connection"]));
        let name = text(&p["name"]);
        ConnectionPoolModel {
            id: Some(format!("{cluster}/{name}")),
            cluster_id: cluster.to_string(),
            name,
            user: s(&p["user"]).filter(|u| !u.is_empty()),
            mode: text(&p["mode"]),
            size: p["size"].as_i64().unwrap_or(0),
            db_name: text(&p["db"]),
            host: conn.host,
            private_host: private.host,
            port: conn.port,
            uri: conn.uri,
            private_uri: private.uri,
            password: conn.password.or(current.password.clone()),
        }
    }
}

/// The `digitalocean_database_connection_pool` resource type.
pub struct ConnectionPool;

#[async_trait]
impl Resource<DigitalOcean> for ConnectionPool {
    type Model = ConnectionPoolModel;
    const TYPE: &'static str = "digitalocean_database_connection_pool";

    fn validate(&self, config: &iac_core::Value) -> Vec<(iac_provider_sdk::AttrPath, String)> {
        let at = |k: &str| iac_provider_sdk::AttrPath::root().child(iac_core::PathStep::Attr(k.into()));
        let mut out = Vec::new();
        if let Some(n) = get_str(config, "name") {
            if !(3..=63).contains(&n.chars().count()) {
                out.push((at("name"), format!("a pool name has 3 to 63 characters, not {}", n.chars().count())));
            }
        }
        if let Some(m) = get_str(config, "mode") {
            if !["session", "transaction", "statement"].contains(&m) {
                out.push((at("mode"), format!("mode must be session, transaction or statement, not {m:?}")));
            }
        }
        out
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: ConnectionPoolModel) -> Result<ConnectionPoolModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        settle(api, addr, cluster).await?;
        let mut body = json!({"name": planned.name, "mode": planned.mode, "size": planned.size, "db": planned.db_name});
        if let Some(u) = planned.user.as_ref().filter(|u| !u.is_empty()) {
            body["user"] = json!(u);
        }
        let p =
            create_or_adopt(addr, &api.waits, api.client_retries(), || api.create_database_pool(cluster, &body), || api.database_pool(cluster, &planned.name))
                .await?;
        Ok(ConnectionPoolModel::from_api(cluster, &p, &planned))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: ConnectionPoolModel) -> Result<Option<ConnectionPoolModel>, DoError> {
        let cluster = &current.cluster_id;
        if cluster.is_empty() || current.name.is_empty() {
            return Ok(None);
        }
        let found = cx.provider.api.database_pool_cached(cluster, &current.name).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|p| ConnectionPoolModel::from_api(cluster, &p, &current)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: ConnectionPoolModel) -> Result<(), DoError> {
        if prior.cluster_id.is_empty() {
            return Ok(());
        }
        cx.provider.api.delete_database_pool(&prior.cluster_id, &prior.name).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<ConnectionPoolModel>, DoError> {
        let (cluster, name) = split_import(cx.addr, id, "a connection pool")?;
        let found = cx.provider.api.database_pool(&cluster, &name).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|p| ConnectionPoolModel::from_api(&cluster, &p, &ConnectionPoolModel::default())))
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: ConnectionPoolModel) -> Result<Option<ConnectionPoolModel>, DoError> {
        if planned.cluster_id.is_empty() || planned.name.is_empty() {
            return Ok(None);
        }
        let found = match cx.provider.api.database_pool(&planned.cluster_id, &planned.name).await {
            Ok(f) => f,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(DoError::api(&cx.addr)(e)),
        };
        Ok(found.map(|p| ConnectionPoolModel::from_api(&planned.cluster_id, &p, &planned)))
    }
}
