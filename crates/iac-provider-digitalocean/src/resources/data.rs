//! Data sources: `digitalocean_kubernetes_versions` (version_prefix →
//! latest_version, valid_versions) and `digitalocean_kubernetes_cluster`
//! (by name).

use std::collections::BTreeSet;

use iac_provider_sdk::prelude::*;

use super::cluster::{kube_config, ClusterModel, KubeConfig, Maintenance};
use super::node_pool::Pool;
use crate::error::DoError;
use crate::{versions, DigitalOcean};

/// `data.digitalocean_kubernetes_versions`'s arguments and attributes.
#[derive(Model, Debug, Default)]
pub struct VersionsModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional)]
    version_prefix: Option<String>,
    #[sdk(computed)]
    latest_version: Option<String>,
    #[sdk(computed)]
    valid_versions: Option<Vec<String>>,
}

/// The `digitalocean_kubernetes_versions` data source.
pub struct KubernetesVersions;

#[async_trait]
impl DataSource<DigitalOcean> for KubernetesVersions {
    type Model = VersionsModel;
    const TYPE: &'static str = "digitalocean_kubernetes_versions";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: VersionsModel) -> Result<VersionsModel, DoError> {
        let prefix = config.version_prefix.unwrap_or_default();
        let offered = cx.provider.api.versions().await.map_err(DoError::api(&cx.addr))?;
        let mut valid: Vec<String> = offered.into_iter().filter(|v| v.starts_with(&prefix)).collect();
        valid.sort_by(|a, b| versions::compare(b, a));
        let latest = valid
            .first()
            .cloned()
            .ok_or_else(|| DoError::Invalid { addr: cx.addr.to_string(), message: format!("no Kubernetes version starts with {prefix:?}") })?;
        Ok(VersionsModel {
            id: Some(if prefix.is_empty() { "all".into() } else { prefix.clone() }),
            version_prefix: Some(prefix).filter(|p| !p.is_empty()),
            latest_version: Some(latest),
            valid_versions: Some(valid),
        })
    }
}

/// `data.digitalocean_kubernetes_cluster`'s argument and attributes.
#[derive(Model, Debug, Default)]
pub struct ClusterDataModel {
    #[sdk(required)]
    name: String,
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    urn: Option<String>,
    #[sdk(computed)]
    region: Option<String>,
    #[sdk(computed)]
    version: Option<String>,
    #[sdk(computed)]
    vpc_uuid: Option<String>,
    #[sdk(computed)]
    cluster_subnet: Option<String>,
    #[sdk(computed)]
    service_subnet: Option<String>,
    #[sdk(computed)]
    endpoint: Option<String>,
    #[sdk(computed)]
    ipv4_address: Option<String>,
    #[sdk(computed)]
    status: Option<String>,
    #[sdk(computed)]
    created_at: Option<String>,
    #[sdk(computed)]
    updated_at: Option<String>,
    #[sdk(computed)]
    ha: Option<bool>,
    #[sdk(computed)]
    auto_upgrade: Option<bool>,
    #[sdk(computed)]
    surge_upgrade: Option<bool>,
    #[sdk(computed)]
    registry_integration: Option<bool>,
    #[sdk(computed)]
    tags: Option<BTreeSet<String>>,
    #[sdk(computed, sensitive)]
    kube_config: Option<Vec<KubeConfig>>,
    #[sdk(computed)]
    maintenance_policy: Option<Vec<Maintenance>>,
    /// every pool of the cluster (upstream's name, singular)
    #[sdk(computed)]
    node_pool: Option<Vec<Pool>>,
}

/// The `digitalocean_kubernetes_cluster` data source.
pub struct ClusterData;

#[async_trait]
impl DataSource<DigitalOcean> for ClusterData {
    type Model = ClusterDataModel;
    const TYPE: &'static str = "digitalocean_kubernetes_cluster";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: ClusterDataModel) -> Result<ClusterDataModel, DoError> {
        let (api, addr, name) = (&cx.provider.api, cx.addr, config.name);
        let mut found = api.clusters_named(&name).await.map_err(DoError::api(&addr))?;
        let c = match found.len() {
            0 => return Err(DoError::Invalid { addr: addr.to_string(), message: format!("no Kubernetes cluster named {name:?}") }),
            1 => found.remove(0),
            n => return Err(DoError::Invalid { addr: addr.to_string(), message: format!("{n} Kubernetes clusters are named {name:?}") }),
        };
        let kube = kube_config(api, addr, &c, &["running"]).await?;
        let m = ClusterModel::from_api(&c, None, kube);
        Ok(ClusterDataModel {
            name: m.name,
            id: m.id,
            urn: m.urn,
            region: Some(m.region),
            version: Some(m.version),
            vpc_uuid: m.vpc_uuid,
            cluster_subnet: m.cluster_subnet,
            service_subnet: m.service_subnet,
            endpoint: m.endpoint,
            ipv4_address: m.ipv4_address,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
            ha: m.ha,
            auto_upgrade: Some(m.auto_upgrade),
            surge_upgrade: Some(m.surge_upgrade),
            registry_integration: Some(m.registry_integration),
            tags: m.tags,
            kube_config: m.kube_config,
            maintenance_policy: Some(m.maintenance_policy),
            node_pool: Some(c["node_pools"].as_array().into_iter().flatten().map(Pool::from_api).collect()),
        })
    }
}
