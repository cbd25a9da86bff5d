//! The `digitalocean` provider: `digitalocean_vpc`,
//! `digitalocean_kubernetes_cluster` (with its inline `node_pool`) and
//! `digitalocean_kubernetes_node_pool`, and the data sources
//! `digitalocean_kubernetes_versions` and `digitalocean_kubernetes_cluster`,
//! with Terraform's names and attributes so configurations port. It owns
//! its own DigitalOcean API v2 client ([`client`]) on reqwest: bearer
//! token (never logged, planned or stored), pacing by the rate-limit
//! headers, bounded retries that never repeat a create blindly, and page
//! lists that serve a whole refresh in a few requests.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol; it must never depend on the engine, the
//! language crate or the CLI (the engine and the simulator are test-only
//! dependencies).

pub mod api;
pub mod client;
pub mod error;
pub mod inventory;
mod resources;
pub mod schema;
pub mod settings;
mod values;
pub mod versions;
mod wait;

use std::sync::Arc;

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::ProviderSchema;
use iac_core::Value;

use crate::api::Api;
use crate::client::Client;
use crate::error::DoError;
use crate::settings::Settings;

pub use error::DoError as Error;

/// Registered under the name `digitalocean`.
pub struct DigitalOceanFactory {
    /// Built on first use: a stack without DigitalOcean resources never pays for it.
    schema: std::sync::OnceLock<ProviderSchema>,
    /// The environment variables the provider may read (the token).
    env: Vec<(String, String)>,
}

impl DigitalOceanFactory {
    /// Reads `DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_ACCESS_TOKEN` and
    /// `DIGITALOCEAN_API_URL` from the process environment.
    pub fn from_env() -> DigitalOceanFactory {
        let keys = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_API_URL"];
        DigitalOceanFactory::with_env(keys.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect())
    }

    /// With an explicit environment (tests).
    pub fn with_env(env: Vec<(String, String)>) -> DigitalOceanFactory {
        DigitalOceanFactory { schema: std::sync::OnceLock::new(), env }
    }
}

#[async_trait]
impl ProviderFactory for DigitalOceanFactory {
    fn name(&self) -> &str {
        "digitalocean"
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(schema::provider_schema)
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let settings = Settings::from_config(&req.config, &self.env).map_err(ProviderError::InvalidConfig)?;
        let client = Client::new(settings.client.clone()).map_err(|e| ProviderError::Other(e.to_string()))?;
        tracing::debug!(endpoint = %settings.client.endpoint, "digitalocean provider configured");
        Ok(Arc::new(DigitalOcean { api: Api::new(client, settings.waits.clone()), max_concurrency: settings.max_concurrency }))
    }
}

/// A configured provider (one per run).
pub struct DigitalOcean {
    api: Api,
    max_concurrency: usize,
}

impl DigitalOcean {
    /// The API client (request counters for tests and benchmarks).
    pub fn api(&self) -> &Api {
        &self.api
    }
}

fn unsupported(t: &str) -> ProviderError {
    ProviderError::Unsupported(format!("the digitalocean provider has no {t}"))
}

type R<T> = Result<T, ProviderError>;

fn lift<T>(r: Result<T, DoError>) -> R<T> {
    r.map_err(ProviderError::from)
}

#[async_trait]
impl Provider for DigitalOcean {
    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency)
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> R<PlanChangeResponse> {
        lift(match req.type_.as_str() {
            "digitalocean_vpc" => resources::vpc::plan(&req),
            "digitalocean_kubernetes_cluster" => resources::cluster::plan(&self.api, &req).await,
            "digitalocean_kubernetes_node_pool" => resources::node_pool::plan(&req),
            t => return Err(unsupported(t)),
        })
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> R<ApplyChangeResponse> {
        let v = lift(match req.type_.as_str() {
            "digitalocean_vpc" => resources::vpc::apply(&self.api, &req).await,
            "digitalocean_kubernetes_cluster" => resources::cluster::apply(&self.api, &req).await,
            "digitalocean_kubernetes_node_pool" => resources::node_pool::apply(&self.api, &req).await,
            t => return Err(unsupported(t)),
        })?;
        Ok(ApplyChangeResponse { new_state: v, private: None })
    }

    async fn read(&self, req: ReadRequest) -> R<Option<Value>> {
        lift(match req.type_.as_str() {
            "digitalocean_vpc" => resources::vpc::read(&self.api, &req).await,
            "digitalocean_kubernetes_cluster" => resources::cluster::read(&self.api, &req).await,
            "digitalocean_kubernetes_node_pool" => resources::node_pool::read(&self.api, &req).await,
            t => return Err(unsupported(t)),
        })
    }

    async fn delete(&self, req: DeleteRequest) -> R<()> {
        lift(match req.type_.as_str() {
            "digitalocean_vpc" => resources::vpc::delete(&self.api, &req).await,
            "digitalocean_kubernetes_cluster" => resources::cluster::delete(&self.api, &req).await,
            "digitalocean_kubernetes_node_pool" => resources::node_pool::delete(&self.api, &req).await,
            t => return Err(unsupported(t)),
        })
    }

    async fn import(&self, req: ImportRequest) -> R<Value> {
        lift(match req.type_.as_str() {
            "digitalocean_vpc" => resources::vpc::import(&self.api, &req).await,
            "digitalocean_kubernetes_cluster" => resources::cluster::import(&self.api, &req).await,
            "digitalocean_kubernetes_node_pool" => resources::node_pool::import(&self.api, &req).await,
            t => return Err(unsupported(t)),
        })
    }

    async fn read_data(&self, req: ReadDataRequest) -> R<Value> {
        lift(match req.type_.as_str() {
            "digitalocean_kubernetes_versions" => resources::data::versions(&self.api, &req).await,
            "digitalocean_kubernetes_cluster" => resources::data::cluster(&self.api, &req).await,
            t => return Err(unsupported(&format!("data source {t}"))),
        })
    }

    /// VPCs (but not the regions' default ones), clusters and node pools.
    async fn list_objects(&self, types: &[String]) -> R<Vec<CloudObject>> {
        lift(inventory::list(&self.api, types).await)
    }

    async fn recover(&self, req: RecoverRequest) -> R<Option<Value>> {
        lift(match req.type_.as_str() {
            "digitalocean_vpc" => resources::vpc::recover(&self.api, &req).await,
            "digitalocean_kubernetes_cluster" => resources::cluster::recover(&self.api, &req).await,
            "digitalocean_kubernetes_node_pool" => resources::node_pool::recover(&self.api, &req).await,
            _ => Ok(None),
        })
    }
}
