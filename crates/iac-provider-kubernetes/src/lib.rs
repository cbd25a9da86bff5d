//! The `kubernetes` and `helm` providers, on kube-rs, with Terraform's
//! names so configurations port: `kubernetes_manifest` (one object of any
//! kind, server-side applied under field manager `iac`),
//! `kubernetes_manifests` (a set of objects from YAML text, files or a
//! directory) and `helm_release` (a chart rendered by the real
//! `helm template`, then applied and tracked like a set). The connection
//! comes from the provider block, which may be fed by a cluster created in
//! the same run (the engine configures providers once their configuration
//! is known).
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol; it must never depend on the engine, the
//! language crate or the CLI (those are test-only dependencies).

pub mod cluster;
pub mod error;
pub mod fields;
pub mod helm;
pub mod object;
pub mod readiness;
mod resources;
pub mod schema;
pub mod sets;
pub mod settings;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::ProviderSchema;
use iac_core::{AttrPath, Value};

use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::settings::{Connection, Tuning};

pub use error::KubeError as Error;

fn env_from_process() -> Vec<(String, String)> {
    settings::ENV_KEYS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect()
}

/// Registered under the name `kubernetes`.
pub struct KubernetesFactory {
    /// Built on first use: a stack that does not use the provider never pays for it.
    schema: std::sync::OnceLock<ProviderSchema>,
    env: Vec<(String, String)>,
}

impl KubernetesFactory {
    /// Reads `KUBE_HOST`, `KUBE_TOKEN`, `KUBE_CONFIG_PATH`, `KUBE_CTX`, `KUBE_INSECURE`.
    pub fn from_env() -> KubernetesFactory {
        KubernetesFactory::with_env(env_from_process())
    }
    /// With an explicit environment (tests).
    pub fn with_env(env: Vec<(String, String)>) -> KubernetesFactory {
        KubernetesFactory { schema: std::sync::OnceLock::new(), env }
    }
}

/// Registered under the name `helm`.
pub struct HelmFactory {
    /// Built on first use: a stack that does not use the provider never pays for it.
    schema: std::sync::OnceLock<ProviderSchema>,
    env: Vec<(String, String)>,
}

impl HelmFactory {
    /// The kubernetes provider's variables, and `HELM_BINARY` (the helm
    /// executable when the block does not name one).
    pub fn from_env() -> HelmFactory {
        let mut env = env_from_process();
        env.extend(std::env::var("HELM_BINARY").ok().map(|v| ("HELM_BINARY".to_string(), v)));
        HelmFactory::with_env(env)
    }
    pub fn with_env(env: Vec<(String, String)>) -> HelmFactory {
        HelmFactory { schema: std::sync::OnceLock::new(), env }
    }
}

async fn connect(connection: &Value, tuning: &Value, env: &[(String, String)], ctx: &ProviderContext) -> Result<Cluster, ProviderError> {
    let conn = Connection::from_config(connection, env);
    let cluster = Cluster::connect(&conn, Tuning::from_config(tuning), &ctx.stack_dir).await?;
    tracing::debug!(cluster = %cluster.describe(), "kubernetes connection configured");
    Ok(cluster)
}

#[async_trait]
impl ProviderFactory for KubernetesFactory {
    fn name(&self) -> &str {
        "kubernetes"
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(schema::kubernetes_schema)
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let cluster = connect(&req.config, &req.config, &self.env, &req.context).await?;
        Ok(Arc::new(Kubernetes {
            cx: Context { cluster: Arc::new(cluster), stack_dir: req.context.stack_dir.clone(), helm_binary: None },
            flavor: Flavor::Kubernetes,
        }))
    }
}

#[async_trait]
impl ProviderFactory for HelmFactory {
    fn name(&self) -> &str {
        "helm"
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(schema::helm_schema)
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let conn = req.config.get("kubernetes").cloned().unwrap_or_default();
        let cluster = connect(&conn, &req.config, &self.env, &req.context).await?;
        let helm_binary = self.helm_binary(&req.config);
        Ok(Arc::new(Kubernetes { cx: Context { cluster: Arc::new(cluster), stack_dir: req.context.stack_dir.clone(), helm_binary }, flavor: Flavor::Helm }))
    }
    /// Helm must be installed before the first apply creates the cluster
    /// whose kubeconfig configures this provider.
    fn preflight(&self, config: &Value) -> Result<(), ProviderError> {
        helm::find_helm(self.helm_binary(config).as_deref()).map(|_| ()).map_err(|e| ProviderError::InvalidConfig(e.to_string()))
    }
}

impl HelmFactory {
    /// `helm_binary` from the provider block, else `HELM_BINARY`.
    fn helm_binary(&self, config: &Value) -> Option<String> {
        config
            .get("helm_binary")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| self.env.iter().find(|(k, v)| k == "HELM_BINARY" && !v.is_empty()).map(|(_, v)| v.clone()))
    }
}

/// What the resources get: the cluster and where the stack is.
pub struct Context {
    pub cluster: Arc<Cluster>,
    pub stack_dir: PathBuf,
    pub helm_binary: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    Kubernetes,
    Helm,
}

/// A configured provider (either name).
pub struct Kubernetes {
    cx: Context,
    flavor: Flavor,
}

type R<T> = Result<T, ProviderError>;

fn lift<T>(r: Result<T, KubeError>) -> R<T> {
    r.map_err(ProviderError::from)
}

impl Kubernetes {
    fn check(&self, t: &str) -> R<()> {
        let ok = match self.flavor {
            Flavor::Kubernetes => matches!(t, "kubernetes_manifest" | "kubernetes_manifests"),
            Flavor::Helm => t == "helm_release",
        };
        if ok {
            Ok(())
        } else {
            Err(ProviderError::Unsupported(format!("the {} provider has no {t}", if self.flavor == Flavor::Helm { "helm" } else { "kubernetes" })))
        }
    }
}

#[async_trait]
impl Provider for Kubernetes {
    fn validate_resource(&self, type_: &str, config: &Value) -> Vec<(AttrPath, String)> {
        match type_ {
            "kubernetes_manifest" => resources::manifest::validate(config),
            "kubernetes_manifests" => resources::manifests::validate(config),
            "helm_release" => resources::helm_release::validate(config),
            _ => Vec::new(),
        }
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> R<PlanChangeResponse> {
        self.check(&req.type_)?;
        lift(match req.type_.as_str() {
            "kubernetes_manifest" => resources::manifest::plan(&self.cx, &req).await,
            "kubernetes_manifests" => resources::manifests::plan(&self.cx, &req).await,
            _ => resources::helm_release::plan(&self.cx, &req).await,
        })
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> R<ApplyChangeResponse> {
        self.check(&req.type_)?;
        lift(match req.type_.as_str() {
            "kubernetes_manifest" => resources::manifest::apply(&self.cx, &req).await,
            "kubernetes_manifests" => resources::manifests::apply(&self.cx, &req).await,
            _ => resources::helm_release::apply(&self.cx, &req).await,
        })
    }

    async fn read(&self, req: ReadRequest) -> R<Option<Value>> {
        self.check(&req.type_)?;
        lift(match req.type_.as_str() {
            "kubernetes_manifest" => resources::manifest::read(&self.cx, &req).await,
            "kubernetes_manifests" => resources::manifests::read(&self.cx, &req).await,
            _ => resources::helm_release::read(&self.cx, &req).await,
        })
    }

    async fn delete(&self, req: DeleteRequest) -> R<()> {
        self.check(&req.type_)?;
        lift(match req.type_.as_str() {
            "kubernetes_manifest" => resources::manifest::delete(&self.cx, &req).await,
            "kubernetes_manifests" => resources::manifests::delete(&self.cx, &req).await,
            _ => resources::helm_release::delete(&self.cx, &req).await,
        })
    }

    async fn import(&self, req: ImportRequest) -> R<Value> {
        self.check(&req.type_)?;
        match req.type_.as_str() {
            "kubernetes_manifest" => lift(resources::manifest::import(&self.cx, &req).await),
            t => Err(ProviderError::Unsupported(format!("import of {t}: import each object as a kubernetes_manifest"))),
        }
    }

    async fn read_data(&self, req: ReadDataRequest) -> R<Value> {
        Err(ProviderError::Unsupported(format!("data source {}", req.type_)))
    }
}
