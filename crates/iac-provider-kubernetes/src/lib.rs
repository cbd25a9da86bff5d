//! The `kubernetes` and `helm` providers, on kube-rs, with Terraform's
//! names so configurations port: `kubernetes_manifest` (one object of any
//! kind, server-side applied under field manager `iac`),
//! `kubernetes_manifests` (a set of objects from YAML text, files or a
//! directory), the typed resources and data sources (`resources::typed`:
//! `kubernetes_namespace_v1`, `kubernetes_secret_v1`, `kubernetes_deployment_v1`,
//! `kubernetes_service_v1`, `kubernetes_ingress_v1`, ... with upstream's
//! schemas) and `helm_release` (a release made, upgraded and uninstalled by
//! the real helm program, so it is Helm's own). The connection
//! comes from the provider block, which may be fed by a cluster created in
//! the same run (the engine configures providers once their configuration
//! is known). Each resource type is a typed model plus its operations on
//! the provider SDK, registered in [`kubernetes_types`] and [`helm_types`].
//!
//! Architecture Invariant: like every provider, this crate sees only
//! `iac_core`'s provider protocol (through the SDK); it must never depend on
//! the engine, the language crate or the CLI (those are test-only
//! dependencies).

pub mod cluster;
pub mod error;
pub mod exec;
pub mod fields;
pub mod helm;
pub mod object;
pub mod readiness;
pub mod resources;
pub mod sets;
pub mod settings;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::ProviderSchema;
use iac_core::Value;
use iac_provider_sdk::{Configured, Model, SdkProvider, Types};

use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::helm::HelmCli;
use crate::resources::{helm_release, manifest, manifests};
use crate::settings::{Connection, HelmConfig, KubernetesConfig, Tuning};

pub use error::KubeError as Error;

/// The `kubernetes` provider's resource types: its one list.
pub fn kubernetes_types() -> Types<Kubernetes> {
    use resources::typed::{data, kinds, patch, workloads, Typed};
    Types::new()
        .resource(manifest::Manifest)
        .resource(manifests::Manifests)
        .resource(Typed::<kinds::NamespaceModel, false>::new())
        .resource(Typed::<kinds::NamespaceModel, true>::new())
        .resource(Typed::<kinds::ConfigMapModel, false>::new())
        .resource(Typed::<kinds::ConfigMapModel, true>::new())
        .resource(Typed::<kinds::SecretModel, false>::new())
        .resource(Typed::<kinds::SecretModel, true>::new())
        .resource(Typed::<kinds::ServiceAccountModel, false>::new())
        .resource(Typed::<kinds::ServiceAccountModel, true>::new())
        .resource(Typed::<kinds::StorageClassModel, false>::new())
        .resource(Typed::<kinds::StorageClassModel, true>::new())
        .resource(Typed::<kinds::ClusterRoleModel, false>::new())
        .resource(Typed::<kinds::ClusterRoleModel, true>::new())
        .resource(Typed::<kinds::ClusterRoleBindingModel, false>::new())
        .resource(Typed::<kinds::ClusterRoleBindingModel, true>::new())
        .resource(Typed::<workloads::DeploymentModel, false>::new())
        .resource(Typed::<workloads::DeploymentModel, true>::new())
        .resource(Typed::<workloads::ServiceModel, false>::new())
        .resource(Typed::<workloads::ServiceModel, true>::new())
        // Upstream's `kubernetes_ingress` is the v1beta1 kind: only the v1 name.
        .resource(Typed::<workloads::IngressModel, true>::new())
        .resource(patch::PatchResource::<patch::LabelsModel>::new())
        .resource(patch::PatchResource::<patch::AnnotationsModel>::new())
        .resource(patch::PatchResource::<patch::ConfigMapDataModel>::new())
        .data_source(data::KubernetesResource)
        .data_source(data::NamespaceSource::<false>)
        .data_source(data::NamespaceSource::<true>)
        .data_source(data::SecretSource::<false>)
        .data_source(data::SecretSource::<true>)
        .data_source(data::ConfigMapSource::<false>)
        .data_source(data::ConfigMapSource::<true>)
        .data_source(data::ServiceSource::<false>)
        .data_source(data::ServiceSource::<true>)
}

/// The `helm` provider's resource types: its one list.
pub fn helm_types() -> Types<Helm> {
    Types::new().resource(helm_release::HelmRelease)
}

fn env_from_process() -> Vec<(String, String)> {
    settings::ENV_KEYS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect()
}

/// Registered under the name `kubernetes`.
pub struct KubernetesFactory {
    /// Built on first use: a stack that does not use the provider never pays for it.
    types: OnceLock<Arc<Types<Kubernetes>>>,
    schema: OnceLock<ProviderSchema>,
    env: Vec<(String, String)>,
}

impl KubernetesFactory {
    /// Reads `KUBE_HOST`, `KUBE_TOKEN`, `KUBE_CONFIG_PATH`, `KUBE_CTX`, `KUBE_INSECURE`.
    pub fn from_env() -> KubernetesFactory {
        KubernetesFactory::with_env(env_from_process())
    }
    /// With an explicit environment (tests).
    pub fn with_env(env: Vec<(String, String)>) -> KubernetesFactory {
        KubernetesFactory { types: OnceLock::new(), schema: OnceLock::new(), env }
    }
    fn types(&self) -> &Arc<Types<Kubernetes>> {
        self.types.get_or_init(|| Arc::new(kubernetes_types()))
    }
}

/// Registered under the name `helm`.
pub struct HelmFactory {
    /// Built on first use: a stack that does not use the provider never pays for it.
    types: OnceLock<Arc<Types<Helm>>>,
    schema: OnceLock<ProviderSchema>,
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
        HelmFactory { types: OnceLock::new(), schema: OnceLock::new(), env }
    }
    fn types(&self) -> &Arc<Types<Helm>> {
        self.types.get_or_init(|| Arc::new(helm_types()))
    }

    /// `helm_binary` from the provider block (which may still hold unknown
    /// values), else `HELM_BINARY`.
    fn helm_binary(&self, config: &HelmConfig) -> Option<String> {
        config
            .helm_binary
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| self.env.iter().find(|(k, v)| k == "HELM_BINARY" && !v.is_empty()).map(|(_, v)| v.clone()))
    }
}

async fn connect(conn: &Connection, tuning: Tuning, ctx: &ProviderContext) -> Result<Arc<Cluster>, ProviderError> {
    let cluster = Cluster::connect(conn, tuning, &ctx.stack_dir).await?;
    tracing::debug!(cluster = %cluster.describe(), "kubernetes connection configured");
    Ok(Arc::new(cluster))
}

#[async_trait]
impl ProviderFactory for KubernetesFactory {
    fn name(&self) -> &str {
        Kubernetes::NAME
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.types().schema(KubernetesConfig::block()))
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let c = KubernetesConfig::from_value(&req.config).map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        let connection = Connection::from_model(c.connection, &self.env);
        let cluster = connect(&connection, Tuning::from_model(&c.tuning), &req.context).await?;
        let helm = Err("the kubernetes provider runs no helm".to_string());
        let ignore = resources::typed::Ignore::new(&c.ignore_annotations, &c.ignore_labels).map_err(ProviderError::from)?;
        let provider = Kubernetes { cx: Context { cluster, connection, stack_dir: req.context.stack_dir.clone(), helm, ignore, helm_manifest: false } };
        Ok(Arc::new(SdkProvider::new(provider, self.types().clone())))
    }
}

#[async_trait]
impl ProviderFactory for HelmFactory {
    fn name(&self) -> &str {
        Helm::NAME
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.types().schema(HelmConfig::block()))
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let c = HelmConfig::from_value(&req.config).map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        let helm = HelmCli::detect(self.helm_binary(&c).as_deref()).await.map_err(|e| e.to_string());
        let helm_manifest = c.experiments.as_ref().and_then(|e| e.manifest).unwrap_or(false);
        let connection = Connection::from_model(c.kubernetes.unwrap_or_default(), &self.env);
        let cluster = connect(&connection, Tuning::from_model(&c.tuning), &req.context).await?;
        let cx = Context { cluster, connection, stack_dir: req.context.stack_dir.clone(), helm, ignore: Default::default(), helm_manifest };
        let provider = Helm { cx };
        Ok(Arc::new(SdkProvider::new(provider, self.types().clone())))
    }
    /// Helm must be installed before the first apply creates the cluster
    /// whose kubeconfig configures this provider.
    fn preflight(&self, config: &Value) -> Result<(), ProviderError> {
        let c = HelmConfig::from_value(config).map_err(|e| ProviderError::InvalidConfig(e.to_string()))?;
        helm::find_helm(self.helm_binary(&c).as_deref()).map(|_| ()).map_err(|e| ProviderError::InvalidConfig(e.to_string()))
    }
}

/// What the resources get: the cluster (and the connection it was made
/// from, which helm gets as a kubeconfig), where the stack is, and the
/// helm program (or why there is none).
pub struct Context {
    pub cluster: Arc<Cluster>,
    pub connection: Connection,
    pub stack_dir: PathBuf,
    pub helm: std::result::Result<HelmCli, String>,
    /// Annotations and labels the typed resources leave as state has them.
    pub ignore: resources::typed::Ignore,
    /// The helm provider's `experiments { manifest = true }`: releases keep
    /// their rendered objects in `manifest`.
    pub helm_manifest: bool,
}

/// The configured `kubernetes` provider.
pub struct Kubernetes {
    pub cx: Context,
}

/// The configured `helm` provider.
pub struct Helm {
    pub cx: Context,
}

#[async_trait]
impl Configured for Kubernetes {
    type Error = KubeError;
    const NAME: &'static str = "kubernetes";

    /// A delete that finds the object gone is done.
    fn is_gone(e: &KubeError) -> bool {
        e.is_not_found()
    }

    fn finish_read(&self, block: &iac_core::schema::Block, current: &Value, read: &mut Value) {
        resources::typed::keep_null_collections(block, current, read);
    }

    /// Collections null in the current value stay null.
    fn finish_read_uses_current(&self, _block: &iac_core::schema::Block) -> bool {
        true
    }
}

#[async_trait]
impl Configured for Helm {
    type Error = KubeError;
    const NAME: &'static str = "helm";

    /// A delete that finds the object gone is done.
    fn is_gone(e: &KubeError) -> bool {
        e.is_not_found()
    }

    fn finish_read(&self, block: &iac_core::schema::Block, current: &Value, read: &mut Value) {
        resources::typed::keep_null_collections(block, current, read);
    }

    /// Collections null in the current value stay null.
    fn finish_read_uses_current(&self, _block: &iac_core::schema::Block) -> bool {
        true
    }
}
