//! Data sources: `digitalocean_database_cluster` (a cluster by name, with
//! its connection details, sensitive) and `digitalocean_database_ca` (a
//! cluster's CA certificate).

use std::collections::BTreeSet;

use iac_provider_sdk::prelude::*;

use super::cluster::{DatabaseClusterModel, MaintenanceWindow, StorageAutoscale};
use crate::error::DoError;
use crate::DigitalOcean;

/// `data.digitalocean_database_cluster`'s argument and attributes.
#[derive(Model, Debug, Default)]
pub struct DatabaseClusterDataModel {
    #[sdk(required)]
    name: String,
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    engine: Option<String>,
    #[sdk(computed)]
    version: Option<String>,
    #[sdk(computed)]
    size: Option<String>,
    #[sdk(computed)]
    region: Option<String>,
    #[sdk(computed)]
    node_count: Option<i64>,
    #[sdk(computed)]
    maintenance_window: Option<Vec<MaintenanceWindow>>,
    #[sdk(computed)]
    host: Option<String>,
    #[sdk(computed)]
    ui_host: Option<String>,
    #[sdk(computed)]
    private_host: Option<String>,
    #[sdk(computed)]
    port: Option<i64>,
    #[sdk(computed)]
    ui_port: Option<i64>,
    #[sdk(computed, sensitive)]
    password: Option<String>,
    #[sdk(computed, sensitive)]
    ui_password: Option<String>,
    #[sdk(computed, sensitive)]
    uri: Option<String>,
    #[sdk(computed, sensitive)]
    ui_uri: Option<String>,
    #[sdk(computed, sensitive)]
    private_uri: Option<String>,
    #[sdk(computed)]
    database: Option<String>,
    #[sdk(computed)]
    ui_database: Option<String>,
    #[sdk(computed)]
    user: Option<String>,
    #[sdk(computed)]
    ui_user: Option<String>,
    #[sdk(computed)]
    urn: Option<String>,
    #[sdk(computed)]
    private_network_uuid: Option<String>,
    #[sdk(computed)]
    project_id: Option<String>,
    #[sdk(computed)]
    tags: Option<BTreeSet<String>>,
    #[sdk(computed)]
    storage_size_mib: Option<String>,
    #[sdk(computed)]
    storage_autoscale: Option<Vec<StorageAutoscale>>,
    #[sdk(computed)]
    metrics_endpoints: Option<Vec<String>>,
}

/// The `digitalocean_database_cluster` data source.
pub struct DatabaseClusterData;

#[async_trait]
impl DataSource<DigitalOcean> for DatabaseClusterData {
    type Model = DatabaseClusterDataModel;
    const TYPE: &'static str = "digitalocean_database_cluster";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: DatabaseClusterDataModel) -> Result<DatabaseClusterDataModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(d) = api.database_named(&config.name).await.map_err(DoError::api(&addr))? else {
            return Err(DoError::Invalid { addr: addr.to_string(), message: format!("no database cluster named {:?}", config.name) });
        };
        let m = DatabaseClusterModel::from_api(&d, &DatabaseClusterModel::default());
        Ok(DatabaseClusterDataModel {
            name: m.name,
            id: m.id,
            engine: Some(m.engine),
            version: m.version,
            size: Some(m.size),
            region: Some(m.region),
            node_count: Some(m.node_count),
            maintenance_window: Some(m.maintenance_window),
            host: m.host,
            ui_host: m.ui_host,
            private_host: m.private_host,
            port: m.port,
            ui_port: m.ui_port,
            password: m.password,
            ui_password: m.ui_password,
            uri: m.uri,
            ui_uri: m.ui_uri,
            private_uri: m.private_uri,
            database: m.database,
            ui_database: m.ui_database,
            user: m.user,
            ui_user: m.ui_user,
            urn: m.urn,
            private_network_uuid: m.private_network_uuid,
            project_id: m.project_id,
            tags: m.tags,
            storage_size_mib: m.storage_size_mib,
            storage_autoscale: Some(m.storage_autoscale),
            metrics_endpoints: m.metrics_endpoints,
        })
    }
}

/// `data.digitalocean_database_ca`'s argument and attributes.
#[derive(Model, Debug, Default)]
pub struct DatabaseCaModel {
    #[sdk(required)]
    cluster_id: String,
    #[sdk(computed)]
    id: Option<String>,
    /// PEM
    #[sdk(computed)]
    certificate: Option<String>,
}

/// The `digitalocean_database_ca` data source.
pub struct DatabaseCa;

#[async_trait]
impl DataSource<DigitalOcean> for DatabaseCa {
    type Model = DatabaseCaModel;
    const TYPE: &'static str = "digitalocean_database_ca";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: DatabaseCaModel) -> Result<DatabaseCaModel, DoError> {
        let raw = cx.provider.api.database_ca(&config.cluster_id).await.map_err(DoError::api(&cx.addr))?;
        // The API sends the PEM base64-encoded; upstream's attribute is the PEM.
        let cert = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, raw.trim()).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or(raw);
        Ok(DatabaseCaModel { id: Some(config.cluster_id.clone()), cluster_id: config.cluster_id, certificate: Some(cert) })
    }
}
