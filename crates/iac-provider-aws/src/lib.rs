//! The `aws` provider: VPC networking (`aws_vpc`, `aws_subnet`, gateways,
//! route tables, Elastic IPs, NAT gateways, security groups and their
//! rules), IAM roles and OIDC providers, EKS clusters, node groups, add-ons
//! and access entries, and S3 buckets with their settings, with Terraform's
//! names and attributes so configurations port. It runs on the official AWS
//! SDK for Rust: credentials from the SDK's chain (never logged, planned or
//! stored), endpoints per service (`endpoints { }`, `AWS_ENDPOINT_URL*`),
//! the adaptive retry mode, and an ownership tag on every object so that
//! `recover` adopts what an interrupted create made; [`inventory`] lists the
//! account's objects for `iac drift -unmanaged`.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol; it must never depend on the engine, the
//! language crate or the CLI (they are test-only dependencies). It is the
//! only crate that compiles the EC2, EKS and IAM SDKs.

mod clients;
pub mod eks_token;
pub mod error;
pub mod inventory;
mod resources;
pub mod schema;
mod schema_util;
pub mod settings;
pub mod tags;
mod values;
mod wait;

use std::sync::Arc;

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::ProviderSchema;
use iac_core::Value;

use crate::clients::Clients;
use crate::error::AwsError;
use crate::resources::{data, finish_read, import_defaults, resource, Cx, Resource};
use crate::settings::Settings;

pub use error::AwsError as Error;

/// The environment variables the provider reads (credentials, region,
/// endpoints); the SDK's own chain reads the process environment for the rest
/// (profiles, web identity).
pub const ENV_KEYS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_MAX_ATTEMPTS",
    "AWS_S3_USE_PATH_STYLE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_EKS",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
];

/// Registered under the name `aws`.
pub struct AwsFactory {
    /// Built on first use: a stack without AWS resources never pays for it.
    schema: std::sync::OnceLock<ProviderSchema>,
    env: Vec<(String, String)>,
}

impl AwsFactory {
    /// Reads [`ENV_KEYS`] from the process environment.
    pub fn from_env() -> AwsFactory {
        AwsFactory::with_env(ENV_KEYS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect())
    }

    /// With an explicit environment (tests).
    pub fn with_env(env: Vec<(String, String)>) -> AwsFactory {
        AwsFactory { schema: std::sync::OnceLock::new(), env }
    }
}

#[async_trait]
impl ProviderFactory for AwsFactory {
    fn name(&self) -> &str {
        "aws"
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(schema::provider_schema)
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let settings = Settings::from_config(&req.config, &self.env).map_err(ProviderError::InvalidConfig)?;
        let clients = Clients::new(&settings).await.map_err(ProviderError::InvalidConfig)?;
        tracing::debug!(region = %clients.region, endpoints = ?settings.endpoints, assume_role = settings.assume_role.is_some(), "aws provider configured");
        Ok(Arc::new(Aws { clients, settings, stack_id: req.context.stack_id }))
    }
}

/// A configured provider (one per `provider "aws"` block and run).
pub struct Aws {
    clients: Clients,
    settings: Settings,
    stack_id: String,
}

type R<T> = Result<T, ProviderError>;

fn unsupported(t: &str) -> ProviderError {
    ProviderError::Unsupported(format!("the aws provider has no {t}"))
}

impl Aws {
    fn cx<'a>(&'a self, addr: &'a str) -> Cx<'a> {
        Cx { c: &self.clients, s: &self.settings, addr, owner: tags::owner_value(&self.stack_id, addr) }
    }

    fn resource(&self, t: &str) -> R<&'static dyn Resource> {
        resource(t).ok_or_else(|| unsupported(t))
    }

    /// The region this configuration works in.
    pub fn region(&self) -> &str {
        &self.clients.region
    }
}

#[async_trait]
impl Provider for Aws {
    fn max_concurrency(&self) -> Option<usize> {
        Some(16)
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> R<PlanChangeResponse> {
        let r = self.resource(&req.type_)?;
        Ok(resources::plan(r, &self.settings, &req.addr.to_string(), req.prior.as_ref(), &req.config)?)
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> R<ApplyChangeResponse> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        let cx = self.cx(&addr);
        let v = match &req.prior {
            None => r.create(&cx, &req.planned).await,
            Some(prior) => r.update(&cx, prior, &req.planned).await,
        }?;
        Ok(ApplyChangeResponse { new_state: finish_read(r, &self.settings, &req.planned, v), private: None })
    }

    async fn read(&self, req: ReadRequest) -> R<Option<Value>> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        let v = r.read(&self.cx(&addr), &req.current).await?;
        Ok(v.map(|v| finish_read(r, &self.settings, &req.current, v)))
    }

    async fn delete(&self, req: DeleteRequest) -> R<()> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        match r.delete(&self.cx(&addr), &req.prior).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => Ok(other?),
        }
    }

    async fn import(&self, req: ImportRequest) -> R<Value> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        let stub = r.import_stub(&req.id);
        match r.read(&self.cx(&addr), &stub).await? {
            Some(v) => Ok(import_defaults(r, finish_read(r, &self.settings, &stub, v))),
            None => Err(AwsError::invalid(&addr, format!("cannot import {:?}: no such {} exists", req.id, req.type_)).into()),
        }
    }

    async fn read_data(&self, req: ReadDataRequest) -> R<Value> {
        let d = data::data_source(&req.type_).ok_or_else(|| unsupported(&format!("data source {}", req.type_)))?;
        let addr = req.addr.to_string();
        Ok(d.read(&self.cx(&addr), &req.config).await?)
    }

    async fn recover(&self, req: RecoverRequest) -> R<Option<Value>> {
        let Ok(r) = self.resource(&req.type_) else { return Ok(None) };
        let addr = req.addr.to_string();
        let found = r.recover(&self.cx(&addr), &req.planned).await?;
        if found.is_some() {
            tracing::info!(addr, "found the object an interrupted create made");
        }
        Ok(found.map(|v| finish_read(r, &self.settings, &req.planned, v)))
    }

    async fn list_objects(&self, types: &[String]) -> R<Vec<CloudObject>> {
        Ok(inventory::list(&self.clients, types).await?)
    }
}
