//! The `aws` provider: VPC networking (`aws_vpc`, `aws_subnet`, gateways,
//! route tables, Elastic IPs, NAT gateways, security groups and their
//! rules), IAM roles and OIDC providers, EKS clusters, node groups, add-ons
//! and access entries, and S3 buckets with their settings, with Terraform's
//! names and attributes so configurations port. Each type is a typed model
//! plus create, read, update and delete on the provider SDK
//! (`iac-provider-sdk`), all registered in one list
//! (`resources::types`); what they share is [`Aws`]'s: `tags_all` planned
//! from the provider's `default_tags` and split back from what AWS reports,
//! deletes of objects already gone treated as done. It runs on the official
//! AWS SDK for Rust: credentials from the SDK's chain (never logged, planned
//! or stored), endpoints per service (`endpoints { }`, `AWS_ENDPOINT_URL*`),
//! the adaptive retry mode, and an ownership tag on every object so that
//! `recover` adopts what an interrupted create made; [`inventory`] lists the
//! account's objects for `iac drift -unmanaged`.
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol and the provider SDK; it must never depend
//! on the engine, the language crate or the CLI (they are test-only
//! dependencies). It is the only crate that compiles the EC2, EKS and IAM SDKs.

mod clients;
pub mod eks_token;
pub mod error;
mod go_json;
pub mod inventory;
mod json_api;
pub mod partition;
pub mod policy_document;
mod resources;
pub mod schema;
pub mod settings;
pub mod tags;
mod values;
mod wait;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::{Block, ProviderSchema};
use iac_core::Value;
use iac_provider_sdk::{Configured, SdkProvider, Types};

use crate::clients::Clients;
use crate::error::AwsError;
use crate::settings::{Settings, SettingsError};
use crate::values::set;

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
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "AWS_ENDPOINT_URL_LOGS",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_EVENTS",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_ECR_PUBLIC",
    "AWS_ENDPOINT_URL_ECRPUBLIC",
];

/// Registered under the name `aws`. Hand-written (not the SDK's
/// `Factory`) because the provider reads the environment the CLI passes in.
pub struct AwsFactory {
    /// Built on first use: a stack without AWS resources never pays for them.
    types: OnceLock<Arc<Types<Aws>>>,
    schema: OnceLock<ProviderSchema>,
    env: Vec<(String, String)>,
}

impl AwsFactory {
    /// Reads [`ENV_KEYS`] from the process environment.
    pub fn from_env() -> AwsFactory {
        AwsFactory::with_env(ENV_KEYS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect())
    }

    /// With an explicit environment (tests).
    pub fn with_env(env: Vec<(String, String)>) -> AwsFactory {
        AwsFactory { types: OnceLock::new(), schema: OnceLock::new(), env }
    }

    fn types(&self) -> &Arc<Types<Aws>> {
        self.types.get_or_init(|| Arc::new(resources::types()))
    }
}

#[async_trait]
impl ProviderFactory for AwsFactory {
    fn name(&self) -> &str {
        "aws"
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.types().schema(schema::provider_block()))
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        // Only what hashicorp/aws's validation rejects is an invalid
        // configuration (no plan); what its configuration rejects (no
        // region, no credentials, another account) fails the plan walk,
        // which leaves an errored plan, as in Terraform.
        let settings = Settings::from_config(&req.config, &self.env).map_err(|e| match e {
            SettingsError::Invalid(m) => ProviderError::InvalidConfig(m),
            SettingsError::InvalidArgument { path, message } => ProviderError::At { path, error: Box::new(ProviderError::InvalidConfig(message)) },
            SettingsError::Unusable(m) => ProviderError::Other(m),
        })?;
        let clients = Clients::new(&settings).await.map_err(ProviderError::Other)?;
        tracing::debug!(region = %clients.region, endpoints = ?settings.endpoints, assume_role = settings.assume_role.is_some(), "aws provider configured");
        check_account(&clients, &settings).await?;
        let aws = Aws { clients, settings, stack_id: req.context.stack_id };
        Ok(Arc::new(SdkProvider::new(aws, self.types().clone())))
    }
}

/// `allowed_account_ids` / `forbidden_account_ids`: the account the
/// credentials belong to, checked before anything is read or changed.
async fn check_account(clients: &Clients, settings: &Settings) -> Result<(), ProviderError> {
    if settings.allowed_account_ids.is_empty() && settings.forbidden_account_ids.is_empty() {
        return Ok(());
    }
    let out = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| ProviderError::Other(format!("finding the account to check allowed_account_ids: {}", aws_sdk_sts::error::DisplayErrorContext(&e))))?;
    let account = out.account().unwrap_or_default();
    if !settings.allowed_account_ids.is_empty() && !settings.allowed_account_ids.iter().any(|a| a == account) {
        return Err(ProviderError::Other(format!("AWS account {account} is not allowed (allowed_account_ids: {})", settings.allowed_account_ids.join(", "))));
    }
    if settings.forbidden_account_ids.iter().any(|a| a == account) {
        return Err(ProviderError::Other(format!("AWS account {account} is forbidden (forbidden_account_ids)")));
    }
    Ok(())
}

/// A configured provider (one per `provider "aws"` block and run).
pub struct Aws {
    clients: Clients,
    settings: Settings,
    stack_id: String,
}

impl Aws {
    /// The region this configuration works in.
    pub fn region(&self) -> &str {
        &self.clients.region
    }
}

/// Whether a type has `tags` and `tags_all`.
fn tagged(block: &Block) -> bool {
    block.attributes.contains_key("tags_all")
}

#[async_trait]
impl Configured for Aws {
    type Error = AwsError;
    const NAME: &'static str = "aws";
    // hashicorp/aws is mostly terraform-plugin-sdk/v2.
    const LEGACY_SDK_STATE: bool = true;

    fn max_concurrency(&self) -> Option<usize> {
        Some(16)
    }

    /// Empty `tags` are none (AWS does not tell the two apart); `tags_all`
    /// is the provider's `default_tags` overlaid by them.
    fn prepare_config(&self, block: &Block, config: &mut Value) {
        if !tagged(block) {
            return;
        }
        if config.get("tags").and_then(Value::as_map).is_some_and(|m| m.is_empty()) {
            set(config, "tags", Value::Null);
        }
        let all = tags::planned_all(&self.settings.default_tags, config.get("tags").unwrap_or(&Value::Null));
        set(config, "tags_all", all);
    }

    /// The object's tags as AWS reports them (in `tags_all`) split into
    /// `tags` and `tags_all`.
    fn finish_read(&self, block: &Block, current: &Value, read: &mut Value) {
        if !tagged(block) {
            return;
        }
        let mut raw: BTreeMap<String, String> = tags::map_of(read.get("tags_all"));
        raw.retain(|k, _| !self.settings.ignore_tags.ignores(k));
        let (own, all) = tags::from_aws(current, &raw, &self.settings.default_tags);
        set(read, "tags", own);
        set(read, "tags_all", all);
    }

    /// The tags split reads the configured tags of the current value.
    fn finish_read_uses_current(&self, block: &Block) -> bool {
        tagged(block)
    }

    /// IAM rewrites policy documents (a one-element list becomes its element).
    fn json_equal(a: &str, b: &str) -> bool {
        values::json_equal(a, b)
    }

    fn is_gone(e: &AwsError) -> bool {
        e.is_not_found()
    }

    async fn list_objects(&self, types: &[String]) -> Result<Vec<CloudObject>, ProviderError> {
        Ok(inventory::list(&self.clients, types).await?)
    }
}
