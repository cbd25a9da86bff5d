//! The `digitalocean` provider: `digitalocean_vpc`,
//! `digitalocean_kubernetes_cluster` (with its inline `node_pool`) and
//! `digitalocean_kubernetes_node_pool`, and the data sources
//! `digitalocean_kubernetes_versions` and `digitalocean_kubernetes_cluster`;
//! managed databases (`digitalocean_database_cluster`, `_db`, `_user`,
//! `_connection_pool`, `_firewall`, `_replica`, `_postgresql_config`, data
//! `digitalocean_database_cluster` and `digitalocean_database_ca`); around
//! them `digitalocean_project` (+ `_resources`), `digitalocean_domain`,
//! `digitalocean_record`, `digitalocean_firewall` and `digitalocean_tag`,
//! `digitalocean_spaces_bucket`, its `_policy`, `_cors_configuration` and
//! `_object` (through Spaces' S3 API) and `digitalocean_spaces_key` (and its
//! data source), `digitalocean_loadbalancer` and
//! `digitalocean_certificate` (with their data sources),
//! `digitalocean_container_registry` and its `_docker_credentials`; data
//! `digitalocean_vpc`, `digitalocean_regions` and `digitalocean_sizes`,
//! with Terraform's names and attributes so configurations port. Each type
//! is a typed model plus its operations on the provider SDK, registered in
//! [`types`]. It owns its own DigitalOcean API v2 client ([`client`]) on
//! reqwest: bearer token (never logged, planned or stored), pacing by the
//! rate-limit headers, bounded retries that never repeat a create blindly,
//! and page lists that serve a whole refresh in a few requests.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol (through the SDK); it must never depend on
//! the engine, the language crate or the CLI (the engine and the simulator
//! are test-only dependencies).

pub mod api;
pub mod client;
pub mod error;
pub mod inventory;
mod resources;
pub mod settings;
mod values;
pub mod versions;
mod wait;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::ProviderSchema;
use iac_provider_sdk::{Configured, Model, SdkProvider, Types};

use crate::api::Api;
use crate::client::Client;
use crate::error::DoError;
use crate::resources::database as db;
use crate::resources::{catalog, cluster, data, node_pool, platform, spaces, vpc};
use crate::settings::{ProviderConfig, Settings};

pub use error::DoError as Error;

/// The provider's resource types and data sources: its one list.
pub fn types() -> Types<DigitalOcean> {
    Types::new()
        .resource(vpc::Vpc)
        .resource(cluster::Cluster)
        .resource(node_pool::NodePool)
        .data_source(data::KubernetesVersions)
        .data_source(data::ClusterData)
        .resource(db::cluster::DatabaseCluster)
        .resource(db::db::DatabaseDb)
        .resource(db::user::DatabaseUser)
        .resource(db::pool::ConnectionPool)
        .resource(db::firewall::DatabaseFirewall)
        .resource(db::replica::DatabaseReplica)
        .resource(db::pg_config::PostgresqlConfig)
        .data_source(db::data::DatabaseClusterData)
        .data_source(db::data::DatabaseCa)
        .resource(platform::project::Project)
        .resource(platform::project::ProjectResources)
        .resource(platform::domain::Domain)
        .resource(platform::domain::Record)
        .resource(platform::firewall::Firewall)
        .resource(platform::tag::Tag)
        .resource(spaces::bucket::SpacesBucket)
        .resource(spaces::policy::BucketPolicy)
        .resource(spaces::cors::BucketCorsConfiguration)
        .resource(spaces::object::BucketObject)
        .resource(platform::spaces_key::SpacesKey)
        .data_source(platform::spaces_key::SpacesKeyData)
        .resource(platform::loadbalancer::LoadBalancer)
        .data_source(platform::loadbalancer::LoadBalancerData)
        .resource(platform::certificate::Certificate)
        .data_source(platform::certificate::CertificateData)
        .resource(platform::registry::ContainerRegistry)
        .resource(platform::registry::DockerCredentials)
        .data_source(catalog::VpcData)
        .data_source(catalog::RegionsData)
        .data_source(catalog::SizesData)
}

/// Registered under the name `digitalocean`.
pub struct DigitalOceanFactory {
    /// Built on first use: a stack without DigitalOcean resources never pays for it.
    types: OnceLock<Arc<Types<DigitalOcean>>>,
    schema: OnceLock<ProviderSchema>,
    /// The environment variables the provider may read (the token).
    env: Vec<(String, String)>,
}

impl DigitalOceanFactory {
    /// Reads `DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_ACCESS_TOKEN`,
    /// `DIGITALOCEAN_API_URL` and Spaces' `SPACES_ACCESS_KEY_ID`,
    /// `SPACES_SECRET_ACCESS_KEY`, `SPACES_ENDPOINT_URL` from the process
    /// environment.
    pub fn from_env() -> DigitalOceanFactory {
        let keys = [
            "DIGITALOCEAN_TOKEN",
            "DIGITALOCEAN_ACCESS_TOKEN",
            "DIGITALOCEAN_API_URL",
            "SPACES_ACCESS_KEY_ID",
            "SPACES_SECRET_ACCESS_KEY",
            "SPACES_ENDPOINT_URL",
        ];
        DigitalOceanFactory::with_env(keys.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect())
    }

    /// With an explicit environment (tests).
    pub fn with_env(env: Vec<(String, String)>) -> DigitalOceanFactory {
        DigitalOceanFactory { types: OnceLock::new(), schema: OnceLock::new(), env }
    }

    fn types(&self) -> &Arc<Types<DigitalOcean>> {
        self.types.get_or_init(|| Arc::new(types()))
    }
}

#[async_trait]
impl ProviderFactory for DigitalOceanFactory {
    fn name(&self) -> &str {
        DigitalOcean::NAME
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.types().schema(ProviderConfig::block()))
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let settings = Settings::from_config(&req.config, &self.env).map_err(ProviderError::InvalidConfig)?;
        let client = Client::new(settings.client.clone()).map_err(|e| ProviderError::Other(e.to_string()))?;
        tracing::debug!(endpoint = %settings.client.endpoint, "digitalocean provider configured");
        let provider = DigitalOcean {
            api: Api::new(client, settings.waits.clone()),
            max_concurrency: settings.max_concurrency,
            spaces: resources::spaces::Spaces::new(settings.spaces.clone()),
        };
        Ok(Arc::new(SdkProvider::new(provider, self.types().clone())))
    }
}

/// A configured provider (one per run): the API client, whose pacing,
/// retries and batched list reads every type shares.
pub struct DigitalOcean {
    api: Api,
    max_concurrency: usize,
    /// Spaces' S3 clients, one per region.
    spaces: resources::spaces::Spaces,
}

impl DigitalOcean {
    /// The API client (request counters for tests and benchmarks).
    pub fn api(&self) -> &Api {
        &self.api
    }
}

#[async_trait]
impl Configured for DigitalOcean {
    type Error = DoError;
    const NAME: &'static str = "digitalocean";

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency)
    }

    /// A delete that finds the object gone is done.
    fn is_gone(e: &DoError) -> bool {
        e.is_not_found()
    }

    /// VPCs (but not the regions' default ones), clusters and node pools.
    async fn list_objects(&self, types: &[String]) -> Result<Vec<CloudObject>, ProviderError> {
        Ok(inventory::list(&self.api, types).await?)
    }
}
