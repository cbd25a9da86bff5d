//! The data sources: `kubernetes_resource` (any object), and the typed
//! `kubernetes_namespace(_v1)`, `kubernetes_secret(_v1)`,
//! `kubernetes_config_map(_v1)` and `kubernetes_service(_v1)` with the
//! upstream provider's schemas.

use std::collections::BTreeMap;

use base64::Engine as _;
use iac_core::Value;
use iac_provider_sdk::prelude::*;
use serde_json::Value as Json;

use super::*;
use crate::error::{KubeError, Result};
use crate::object::ObjectId;
use crate::Kubernetes;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The `metadata` block of a typed data source: which object, and what
/// it carries.
#[derive(Model, Debug, Clone, Default)]
pub struct DataMetadata {
    #[sdk(optional)]
    pub name: Option<String>,
    /// default "default" (namespaced kinds)
    #[sdk(optional)]
    pub namespace: Option<String>,
    #[sdk(computed)]
    pub labels: BTreeMap<String, String>,
    #[sdk(computed)]
    pub annotations: BTreeMap<String, String>,
    #[sdk(computed)]
    pub generation: Option<i64>,
    #[sdk(computed)]
    pub resource_version: Option<String>,
    #[sdk(computed)]
    pub uid: Option<String>,
}

/// The live object the block names; an error when it does not exist.
async fn fetch(cx: &Ctx<'_, Kubernetes>, api_version: &str, kind: &str, namespaced: bool, meta: &mut Vec<DataMetadata>, what: &str) -> Result<Json> {
    let m = meta.first().cloned().unwrap_or_default();
    let name = non_empty(&m.name).ok_or_else(|| KubeError::Config(format!("{what}: metadata.name is required")))?.to_string();
    let namespace = namespaced.then(|| non_empty(&m.namespace).unwrap_or("default").to_string());
    let id = ObjectId { api_version: api_version.into(), kind: kind.into(), namespace: namespace.clone(), name };
    let k = &cx.provider.cx;
    let live = k.cluster.get(&id).await?.ok_or_else(|| KubeError::Config(format!("{what}: {id} does not exist in {}", k.cluster.describe())))?;
    let lm = &live["metadata"];
    *meta = vec![DataMetadata {
        name: Some(id.name.clone()),
        namespace,
        labels: read_map(&lm["labels"]),
        annotations: read_map(&lm["annotations"]),
        generation: lm["generation"].as_i64(),
        resource_version: lm["resourceVersion"].as_str().map(str::to_string),
        uid: lm["uid"].as_str().map(str::to_string),
    }];
    Ok(live)
}

// ------------------------------------------------------ kubernetes_resource

/// The `metadata` block of `data "kubernetes_resource"`.
#[derive(Model, Debug, Clone, Default)]
pub struct ResourceMetadata {
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub namespace: Option<String>,
}

/// `data "kubernetes_resource"`: any object, whole.
#[derive(Model, Debug, Clone, Default)]
pub struct ResourceData {
    #[sdk(computed)]
    pub id: Option<String>,
    /// e.g. apps/v1
    #[sdk(required)]
    pub api_version: String,
    /// e.g. Deployment
    #[sdk(required)]
    pub kind: String,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<ResourceMetadata>,
    /// the object as the cluster has it (a Secret's values redacted)
    #[sdk(computed)]
    pub object: Option<Value>,
}

pub struct KubernetesResource;

#[async_trait]
impl DataSource<Kubernetes> for KubernetesResource {
    type Model = ResourceData;
    const TYPE: &'static str = "kubernetes_resource";

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut m: ResourceData) -> Result<ResourceData> {
        let k = &cx.provider.cx;
        let meta = m.metadata.first().cloned().unwrap_or_default();
        let mut id =
            ObjectId { api_version: m.api_version.clone(), kind: m.kind.clone(), namespace: non_empty(&meta.namespace).map(str::to_string), name: meta.name };
        let kind = k.cluster.require_kind(&id).await?;
        if !kind.namespaced {
            id.namespace = None;
        } else if id.namespace.is_none() {
            id.namespace = Some(k.cluster.default_namespace.clone());
        }
        let mut live =
            k.cluster.get(&id).await?.ok_or_else(|| KubeError::Config(format!("kubernetes_resource: {id} does not exist in {}", k.cluster.describe())))?;
        if let Some(md) = live.get_mut("metadata").and_then(Json::as_object_mut) {
            md.remove("managedFields");
        }
        m.object = Some(Value::from_json(&crate::object::redacted(&live)));
        m.id = Some(id.import_id());
        Ok(m)
    }
}

// --------------------------------------------------------------- namespace

/// A namespace's `spec`.
#[derive(Model, Debug, Clone, Default)]
pub struct NamespaceSpec {
    #[sdk(computed)]
    pub finalizers: Vec<String>,
}

/// `data "kubernetes_namespace(_v1)"`.
#[derive(Model, Debug, Clone, Default)]
pub struct NamespaceData {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<DataMetadata>,
    #[sdk(computed)]
    pub spec: Vec<NamespaceSpec>,
}

pub struct NamespaceSource<const V1: bool>;

#[async_trait]
impl<const V1: bool> DataSource<Kubernetes> for NamespaceSource<V1> {
    type Model = NamespaceData;
    const TYPE: &'static str = if V1 { "kubernetes_namespace_v1" } else { "kubernetes_namespace" };

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut m: NamespaceData) -> Result<NamespaceData> {
        let live = fetch(cx, "v1", "Namespace", false, &mut m.metadata, Self::TYPE).await?;
        m.spec = vec![NamespaceSpec { finalizers: read_strings(&live["spec"]["finalizers"]) }];
        m.id = m.metadata[0].name.clone();
        Ok(m)
    }
}

// ------------------------------------------------------------------ secret

/// `data "kubernetes_secret(_v1)"`.
#[derive(Model, Debug, Clone, Default)]
pub struct SecretData {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<DataMetadata>,
    /// the values, decoded (binary values are in binary_data)
    #[sdk(computed, sensitive)]
    pub data: BTreeMap<String, String>,
    /// the values that are not UTF-8 text, base64-encoded
    #[sdk(computed, sensitive)]
    pub binary_data: BTreeMap<String, String>,
    #[sdk(computed, name = "type")]
    pub kind: Option<String>,
    #[sdk(computed)]
    pub immutable: Option<bool>,
}

pub struct SecretSource<const V1: bool>;

#[async_trait]
impl<const V1: bool> DataSource<Kubernetes> for SecretSource<V1> {
    type Model = SecretData;
    const TYPE: &'static str = if V1 { "kubernetes_secret_v1" } else { "kubernetes_secret" };

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut m: SecretData) -> Result<SecretData> {
        let live = fetch(cx, "v1", "Secret", true, &mut m.metadata, Self::TYPE).await?;
        m.data.clear();
        m.binary_data.clear();
        for (k, v) in read_map(&live["data"]) {
            match B64.decode(&v).ok().and_then(|b| String::from_utf8(b).ok()) {
                Some(text) => m.data.insert(k, text),
                None => m.binary_data.insert(k, v),
            };
        }
        m.kind = live["type"].as_str().map(str::to_string);
        m.immutable = Some(live["immutable"].as_bool().unwrap_or(false));
        m.id = Some(format!("{}/{}", m.metadata[0].namespace.clone().unwrap_or_default(), m.metadata[0].name.clone().unwrap_or_default()));
        Ok(m)
    }
}

// -------------------------------------------------------------- config map

/// `data "kubernetes_config_map(_v1)"`.
#[derive(Model, Debug, Clone, Default)]
pub struct ConfigMapData {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<DataMetadata>,
    #[sdk(computed)]
    pub data: BTreeMap<String, String>,
    #[sdk(computed)]
    pub binary_data: BTreeMap<String, String>,
    #[sdk(computed)]
    pub immutable: Option<bool>,
}

pub struct ConfigMapSource<const V1: bool>;

#[async_trait]
impl<const V1: bool> DataSource<Kubernetes> for ConfigMapSource<V1> {
    type Model = ConfigMapData;
    const TYPE: &'static str = if V1 { "kubernetes_config_map_v1" } else { "kubernetes_config_map" };

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut m: ConfigMapData) -> Result<ConfigMapData> {
        let live = fetch(cx, "v1", "ConfigMap", true, &mut m.metadata, Self::TYPE).await?;
        m.data = read_map(&live["data"]);
        m.binary_data = read_map(&live["binaryData"]);
        m.immutable = Some(live["immutable"].as_bool().unwrap_or(false));
        m.id = Some(format!("{}/{}", m.metadata[0].namespace.clone().unwrap_or_default(), m.metadata[0].name.clone().unwrap_or_default()));
        Ok(m)
    }
}

// ----------------------------------------------------------------- service

/// A service `port`.
#[derive(Model, Debug, Clone, Default)]
pub struct ServicePort {
    #[sdk(computed)]
    pub name: Option<String>,
    #[sdk(computed)]
    pub port: Option<i64>,
    #[sdk(computed)]
    pub protocol: Option<String>,
    #[sdk(computed)]
    pub target_port: Option<String>,
    #[sdk(computed)]
    pub node_port: Option<i64>,
    #[sdk(computed)]
    pub app_protocol: Option<String>,
}

/// A service's `spec`.
#[derive(Model, Debug, Clone, Default)]
pub struct ServiceSpec {
    #[sdk(computed)]
    pub cluster_ip: Option<String>,
    #[sdk(computed)]
    pub cluster_ips: Vec<String>,
    #[sdk(computed, name = "type")]
    pub kind: Option<String>,
    #[sdk(computed)]
    pub selector: BTreeMap<String, String>,
    #[sdk(computed)]
    pub port: Vec<ServicePort>,
    #[sdk(computed)]
    pub external_name: Option<String>,
    #[sdk(computed)]
    pub session_affinity: Option<String>,
}

/// A load balancer `ingress` entry.
#[derive(Model, Debug, Clone, Default)]
pub struct LoadBalancerIngress {
    #[sdk(computed)]
    pub ip: Option<String>,
    #[sdk(computed)]
    pub hostname: Option<String>,
}

/// `status.load_balancer`.
#[derive(Model, Debug, Clone, Default)]
pub struct LoadBalancerStatus {
    #[sdk(computed)]
    pub ingress: Vec<LoadBalancerIngress>,
}

/// A service's `status`.
#[derive(Model, Debug, Clone, Default)]
pub struct ServiceStatus {
    #[sdk(computed)]
    pub load_balancer: Vec<LoadBalancerStatus>,
}

/// `data "kubernetes_service(_v1)"`.
#[derive(Model, Debug, Clone, Default)]
pub struct ServiceData {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<DataMetadata>,
    #[sdk(computed)]
    pub spec: Vec<ServiceSpec>,
    #[sdk(computed)]
    pub status: Vec<ServiceStatus>,
}

pub struct ServiceSource<const V1: bool>;

#[async_trait]
impl<const V1: bool> DataSource<Kubernetes> for ServiceSource<V1> {
    type Model = ServiceData;
    const TYPE: &'static str = if V1 { "kubernetes_service_v1" } else { "kubernetes_service" };

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut m: ServiceData) -> Result<ServiceData> {
        let live = fetch(cx, "v1", "Service", true, &mut m.metadata, Self::TYPE).await?;
        let s = &live["spec"];
        let text = |j: &Json| j.as_str().map(str::to_string);
        let port = s["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| ServicePort {
                name: text(&p["name"]),
                port: p["port"].as_i64(),
                protocol: text(&p["protocol"]),
                target_port: p["targetPort"].as_str().map(str::to_string).or_else(|| p["targetPort"].as_i64().map(|n| n.to_string())),
                node_port: p["nodePort"].as_i64(),
                app_protocol: text(&p["appProtocol"]),
            })
            .collect();
        m.spec = vec![ServiceSpec {
            cluster_ip: text(&s["clusterIP"]),
            cluster_ips: read_strings(&s["clusterIPs"]),
            kind: text(&s["type"]),
            selector: read_map(&s["selector"]),
            port,
            external_name: text(&s["externalName"]),
            session_affinity: text(&s["sessionAffinity"]),
        }];
        let ingress = live["status"]["loadBalancer"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| LoadBalancerIngress { ip: text(&i["ip"]), hostname: text(&i["hostname"]) })
            .collect();
        m.status = vec![ServiceStatus { load_balancer: vec![LoadBalancerStatus { ingress }] }];
        m.id = Some(format!("{}/{}", m.metadata[0].namespace.clone().unwrap_or_default(), m.metadata[0].name.clone().unwrap_or_default()));
        Ok(m)
    }
}
