//! The typed kinds with the upstream provider's schemas: Namespace,
//! ConfigMap, Secret, ServiceAccount, StorageClass, ClusterRole and
//! ClusterRoleBinding.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use iac_provider_sdk::prelude::*;
use serde_json::{json, Map, Value as Json};

use super::*;
use crate::error::{KubeError, Result};
use crate::object::ObjectId;
use crate::Context;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Waits until `check` holds for the live object `id` (polling), or fails with `what`.
pub(super) async fn wait_until(k: &Context, id: &ObjectId, limit: Duration, what: &str, check: impl Fn(&Json) -> bool) -> Result<()> {
    let started = Instant::now();
    loop {
        if k.cluster.get(id).await?.as_ref().is_some_and(&check) {
            return Ok(());
        }
        if started.elapsed() >= limit {
            return Err(KubeError::Timeout { what: what.to_string(), seconds: limit.as_secs() });
        }
        tokio::time::sleep(k.cluster.tuning.poll).await;
    }
}

// ---------------------------------------------------------------- Namespace

/// `kubernetes_namespace(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct NamespaceModel {
    /// the namespace's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<ClusterMetadata>,
    /// wait until the namespace's default ServiceAccount exists (default false)
    #[sdk(optional, local, default = false)]
    pub wait_for_default_service_account: Option<bool>,
    #[sdk(block, max_items = 1, local)]
    pub timeouts: Option<Timeouts>,
}

impl TypedKind for NamespaceModel {
    kind_common!(ClusterMetadata, timeouts);
    const TYPE: &'static str = "kubernetes_namespace";
    const TYPE_V1: &'static str = "kubernetes_namespace_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "Namespace";
    const NAMESPACED: bool = false;
    const SERVER_LABELS: &'static [&'static str] = &["kubernetes.io/metadata.name"];

    fn body(&self) -> Result<Map<String, Json>> {
        Ok(Map::new())
    }
    fn read_body(&mut self, _observed: &Json, _live: &Json) {}
    fn after_apply<'a>(&'a self, k: &'a Context, id: &'a ObjectId) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if !self.wait_for_default_service_account.unwrap_or(false) {
                return Ok(());
            }
            let sa = ObjectId { api_version: "v1".into(), kind: "ServiceAccount".into(), namespace: Some(id.name.clone()), name: "default".into() };
            wait_until(k, &sa, DEFAULT_TIMEOUT, &format!("the default ServiceAccount of namespace {}", id.name), |_| true).await
        })
    }
}

// ---------------------------------------------------------------- ConfigMap

/// `kubernetes_config_map(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct ConfigMapModel {
    /// namespace/name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<Metadata>,
    /// the ConfigMap's data
    #[sdk(optional)]
    pub data: BTreeMap<String, String>,
    /// binary data, base64-encoded
    #[sdk(optional)]
    pub binary_data: BTreeMap<String, String>,
    /// the data cannot change once set
    #[sdk(optional)]
    pub immutable: Option<bool>,
}

impl TypedKind for ConfigMapModel {
    kind_common!(Metadata);
    const TYPE: &'static str = "kubernetes_config_map";
    const TYPE_V1: &'static str = "kubernetes_config_map_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "ConfigMap";
    const NAMESPACED: bool = true;

    fn body(&self) -> Result<Map<String, Json>> {
        let mut m = Map::new();
        m.insert("data".into(), string_map(&self.data));
        m.insert("binaryData".into(), string_map(&self.binary_data));
        m.insert("immutable".into(), self.immutable.map(Json::Bool).unwrap_or(Json::Null));
        Ok(m)
    }
    fn read_body(&mut self, o: &Json, _live: &Json) {
        self.data = read_map(&o["data"]);
        self.binary_data = read_map(&o["binaryData"]);
        self.immutable = o["immutable"].as_bool();
    }
}

// ---------------------------------------------------------------- Secret

/// `kubernetes_secret(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct SecretModel {
    /// namespace/name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<Metadata>,
    /// the Secret's data, as plain text (the provider base64-encodes it)
    #[sdk(optional, sensitive)]
    pub data: BTreeMap<String, String>,
    /// binary data, base64-encoded
    #[sdk(optional, sensitive)]
    pub binary_data: BTreeMap<String, String>,
    /// the Secret's type (default Opaque)
    #[sdk(optional, force_new, name = "type", default = "Opaque")]
    pub kind: Option<String>,
    #[sdk(optional)]
    pub immutable: Option<bool>,
    /// for a kubernetes.io/service-account-token Secret, wait until the token controller filled it (default true)
    #[sdk(optional, local, default = true)]
    pub wait_for_service_account_token: Option<bool>,
    #[sdk(block, max_items = 1, local)]
    pub timeouts: Option<Timeouts>,
}

impl TypedKind for SecretModel {
    kind_common!(Metadata, timeouts);
    const TYPE: &'static str = "kubernetes_secret";
    const TYPE_V1: &'static str = "kubernetes_secret_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "Secret";
    const NAMESPACED: bool = true;

    fn body(&self) -> Result<Map<String, Json>> {
        let mut data: Map<String, Json> = self.data.iter().map(|(k, v)| (k.clone(), json!(B64.encode(v.as_bytes())))).collect();
        for (k, v) in &self.binary_data {
            data.insert(k.clone(), json!(v));
        }
        let mut m = Map::new();
        m.insert("data".into(), Json::Object(data));
        m.insert("type".into(), json!(non_empty(&self.kind).unwrap_or("Opaque")));
        m.insert("immutable".into(), self.immutable.map(Json::Bool).unwrap_or(Json::Null));
        Ok(m)
    }
    fn read_body(&mut self, o: &Json, _live: &Json) {
        let all = read_map(&o["data"]);
        let binary: Vec<String> = self.binary_data.keys().cloned().collect();
        self.binary_data = all.iter().filter(|(k, _)| binary.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        self.data = all
            .iter()
            .filter(|(k, _)| !binary.contains(k))
            .map(|(k, v)| (k.clone(), B64.decode(v).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_else(|| v.clone())))
            .collect();
        if let Some(t) = o["type"].as_str() {
            self.kind = Some(t.to_string());
        }
        self.immutable = o["immutable"].as_bool();
    }
    fn after_apply<'a>(&'a self, k: &'a Context, id: &'a ObjectId) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if self.kind.as_deref() != Some("kubernetes.io/service-account-token") || !self.wait_for_service_account_token.unwrap_or(true) {
                return Ok(());
            }
            let limit = timeout(&self.timeouts, "create", Duration::from_secs(60))?;
            wait_until(k, id, limit, &format!("{id} to get its token"), |live| live["data"]["token"].as_str().is_some_and(|t| !t.is_empty())).await
        })
    }
}

// ---------------------------------------------------------- ServiceAccount

/// A `secret` or `image_pull_secret` block: a Secret by name.
#[derive(Model, Debug, Clone, Default)]
pub struct SecretRef {
    #[sdk(optional)]
    pub name: Option<String>,
}

/// `kubernetes_service_account(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct ServiceAccountModel {
    /// namespace/name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<Metadata>,
    #[sdk(block)]
    pub image_pull_secret: Vec<SecretRef>,
    #[sdk(block)]
    pub secret: Vec<SecretRef>,
    /// mount the account's token into its pods (default true)
    #[sdk(optional, default = true)]
    pub automount_service_account_token: Option<bool>,
    /// the Secret the cluster made for the account (none since Kubernetes 1.24)
    #[sdk(computed)]
    pub default_secret_name: Option<String>,
    #[sdk(block, max_items = 1, local)]
    pub timeouts: Option<Timeouts>,
}

pub(super) fn refs(v: &[SecretRef]) -> Json {
    Json::Array(v.iter().filter_map(|s| non_empty(&s.name)).map(|n| json!({ "name": n })).collect())
}

pub(super) fn read_refs(j: &Json) -> Vec<SecretRef> {
    j.as_array().into_iter().flatten().map(|s| SecretRef { name: text(&s["name"]) }).collect()
}

impl TypedKind for ServiceAccountModel {
    kind_common!(Metadata, timeouts);
    const TYPE: &'static str = "kubernetes_service_account";
    const TYPE_V1: &'static str = "kubernetes_service_account_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "ServiceAccount";
    const NAMESPACED: bool = true;

    fn body(&self) -> Result<Map<String, Json>> {
        let mut m = Map::new();
        m.insert("imagePullSecrets".into(), refs(&self.image_pull_secret));
        m.insert("secrets".into(), refs(&self.secret));
        m.insert("automountServiceAccountToken".into(), json!(self.automount_service_account_token.unwrap_or(true)));
        Ok(m)
    }
    fn read_body(&mut self, o: &Json, _live: &Json) {
        self.image_pull_secret = read_refs(&o["imagePullSecrets"]);
        self.secret = read_refs(&o["secrets"]);
        self.automount_service_account_token = o["automountServiceAccountToken"].as_bool().or(Some(true));
        self.default_secret_name = Some(String::new());
    }
}

// ------------------------------------------------------------- StorageClass

/// A `match_label_expressions` block.
#[derive(Model, Debug, Clone, Default)]
pub struct LabelExpression {
    #[sdk(optional)]
    pub key: Option<String>,
    #[sdk(optional, set)]
    pub values: Vec<String>,
}

/// An `allowed_topologies` block.
#[derive(Model, Debug, Clone, Default)]
pub struct AllowedTopologies {
    #[sdk(block)]
    pub match_label_expressions: Vec<LabelExpression>,
}

/// `kubernetes_storage_class(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct StorageClassModel {
    /// the class's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<ClusterMetadata>,
    /// the provisioner's parameters
    #[sdk(optional, force_new)]
    pub parameters: BTreeMap<String, String>,
    /// e.g. ebs.csi.aws.com
    #[sdk(required, force_new)]
    pub storage_provisioner: String,
    /// Delete (default) or Retain
    #[sdk(optional, force_new, default = "Delete")]
    pub reclaim_policy: Option<String>,
    /// Immediate (default) or WaitForFirstConsumer
    #[sdk(optional, force_new, default = "Immediate")]
    pub volume_binding_mode: Option<String>,
    #[sdk(optional, default = true)]
    pub allow_volume_expansion: Option<bool>,
    #[sdk(optional, set, force_new)]
    pub mount_options: Vec<String>,
    #[sdk(block, max_items = 1, force_new)]
    pub allowed_topologies: Vec<AllowedTopologies>,
}

impl TypedKind for StorageClassModel {
    kind_common!(ClusterMetadata);
    const TYPE: &'static str = "kubernetes_storage_class";
    const TYPE_V1: &'static str = "kubernetes_storage_class_v1";
    const API_VERSION: &'static str = "storage.k8s.io/v1";
    const KIND: &'static str = "StorageClass";
    const NAMESPACED: bool = false;

    fn body(&self) -> Result<Map<String, Json>> {
        let mut m = Map::new();
        m.insert("provisioner".into(), json!(self.storage_provisioner));
        m.insert("parameters".into(), string_map(&self.parameters));
        m.insert("reclaimPolicy".into(), json!(non_empty(&self.reclaim_policy).unwrap_or("Delete")));
        m.insert("volumeBindingMode".into(), json!(non_empty(&self.volume_binding_mode).unwrap_or("Immediate")));
        m.insert("allowVolumeExpansion".into(), json!(self.allow_volume_expansion.unwrap_or(true)));
        m.insert("mountOptions".into(), json!(self.mount_options));
        let topologies: Vec<Json> = self
            .allowed_topologies
            .iter()
            .map(|t| {
                let exprs: Vec<Json> = t.match_label_expressions.iter().map(|e| json!({ "key": e.key, "values": e.values })).collect();
                json!({ "matchLabelExpressions": exprs })
            })
            .collect();
        m.insert("allowedTopologies".into(), Json::Array(topologies));
        Ok(m)
    }
    fn read_body(&mut self, o: &Json, _live: &Json) {
        if let Some(p) = o["provisioner"].as_str() {
            self.storage_provisioner = p.to_string();
        }
        self.parameters = read_map(&o["parameters"]);
        self.reclaim_policy = text(&o["reclaimPolicy"]).or(Some("Delete".into()));
        self.volume_binding_mode = text(&o["volumeBindingMode"]).or(Some("Immediate".into()));
        self.allow_volume_expansion = o["allowVolumeExpansion"].as_bool().or(Some(true));
        self.mount_options = sorted_strings(&o["mountOptions"]);
        self.allowed_topologies = o["allowedTopologies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| AllowedTopologies {
                match_label_expressions: t["matchLabelExpressions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| LabelExpression { key: text(&e["key"]), values: sorted_strings(&e["values"]) })
                    .collect(),
            })
            .collect();
    }
}

// -------------------------------------------------------------- ClusterRole

/// A `rule` block of a role.
#[derive(Model, Debug, Clone, Default)]
pub struct PolicyRule {
    #[sdk(optional)]
    pub api_groups: Vec<String>,
    #[sdk(optional)]
    pub non_resource_urls: Vec<String>,
    #[sdk(optional)]
    pub resource_names: Vec<String>,
    #[sdk(optional)]
    pub resources: Vec<String>,
    #[sdk(required)]
    pub verbs: Vec<String>,
}

/// A `match_expressions` block of a label selector.
#[derive(Model, Debug, Clone, Default)]
pub struct SelectorExpression {
    #[sdk(optional)]
    pub key: Option<String>,
    /// In, NotIn, Exists or DoesNotExist
    #[sdk(optional)]
    pub operator: Option<String>,
    #[sdk(optional, set)]
    pub values: Vec<String>,
}

/// A label selector block.
#[derive(Model, Debug, Clone, Default)]
pub struct LabelSelector {
    #[sdk(optional)]
    pub match_labels: BTreeMap<String, String>,
    #[sdk(block)]
    pub match_expressions: Vec<SelectorExpression>,
}

/// The `aggregation_rule` block.
#[derive(Model, Debug, Clone, Default)]
pub struct AggregationRule {
    #[sdk(block)]
    pub cluster_role_selectors: Vec<LabelSelector>,
}

/// `kubernetes_cluster_role(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct ClusterRoleModel {
    /// the role's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<ClusterMetadata>,
    #[sdk(block)]
    pub rule: Vec<PolicyRule>,
    #[sdk(block, max_items = 1)]
    pub aggregation_rule: Vec<AggregationRule>,
}

pub(super) fn selector_json(s: &LabelSelector) -> Json {
    let exprs: Vec<Json> = s.match_expressions.iter().map(|e| json!({ "key": e.key, "operator": e.operator, "values": e.values })).collect();
    Json::Object(compact(Map::from_iter([("matchLabels".to_string(), string_map(&s.match_labels)), ("matchExpressions".to_string(), Json::Array(exprs))])))
}

pub(super) fn read_selector(j: &Json) -> LabelSelector {
    LabelSelector {
        match_labels: read_map(&j["matchLabels"]),
        match_expressions: j["matchExpressions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| SelectorExpression { key: text(&e["key"]), operator: text(&e["operator"]), values: sorted_strings(&e["values"]) })
            .collect(),
    }
}

impl TypedKind for ClusterRoleModel {
    kind_common!(ClusterMetadata);
    const TYPE: &'static str = "kubernetes_cluster_role";
    const TYPE_V1: &'static str = "kubernetes_cluster_role_v1";
    const API_VERSION: &'static str = "rbac.authorization.k8s.io/v1";
    const KIND: &'static str = "ClusterRole";
    const NAMESPACED: bool = false;

    fn body(&self) -> Result<Map<String, Json>> {
        let rules: Vec<Json> = self
            .rule
            .iter()
            .map(|r| {
                Json::Object(compact(Map::from_iter([
                    ("apiGroups".to_string(), json!(r.api_groups)),
                    ("nonResourceURLs".to_string(), json!(r.non_resource_urls)),
                    ("resourceNames".to_string(), json!(r.resource_names)),
                    ("resources".to_string(), json!(r.resources)),
                    ("verbs".to_string(), json!(r.verbs)),
                ])))
            })
            .collect();
        let mut m = Map::new();
        m.insert("rules".into(), Json::Array(rules));
        if let Some(a) = self.aggregation_rule.first() {
            m.insert("aggregationRule".into(), json!({ "clusterRoleSelectors": a.cluster_role_selectors.iter().map(selector_json).collect::<Vec<_>>() }));
        }
        Ok(m)
    }
    fn read_body(&mut self, o: &Json, _live: &Json) {
        self.rule = o["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| PolicyRule {
                api_groups: read_strings(&r["apiGroups"]),
                non_resource_urls: read_strings(&r["nonResourceURLs"]),
                resource_names: read_strings(&r["resourceNames"]),
                resources: read_strings(&r["resources"]),
                verbs: read_strings(&r["verbs"]),
            })
            .collect();
        self.aggregation_rule = o["aggregationRule"]
            .as_object()
            .map(|a| {
                vec![AggregationRule {
                    cluster_role_selectors: a.get("clusterRoleSelectors").and_then(Json::as_array).into_iter().flatten().map(read_selector).collect(),
                }]
            })
            .unwrap_or_default();
    }
}

// ------------------------------------------------------- ClusterRoleBinding

/// The `role_ref` block.
#[derive(Model, Debug, Clone, Default)]
pub struct RoleRef {
    /// default rbac.authorization.k8s.io
    #[sdk(optional, default = "rbac.authorization.k8s.io")]
    pub api_group: Option<String>,
    /// ClusterRole (or Role, for a RoleBinding)
    #[sdk(required)]
    pub kind: String,
    #[sdk(required)]
    pub name: String,
}

/// A `subject` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Subject {
    /// "" for ServiceAccounts (the default), rbac.authorization.k8s.io for User and Group
    #[sdk(optional, computed)]
    pub api_group: Option<String>,
    /// User, Group or ServiceAccount
    #[sdk(required)]
    pub kind: String,
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub namespace: Option<String>,
}

/// `kubernetes_cluster_role_binding(_v1)`.
#[derive(Model, Debug, Clone, Default)]
pub struct ClusterRoleBindingModel {
    /// the binding's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub metadata: Vec<ClusterMetadata>,
    #[sdk(block, min_items = 1, max_items = 1, force_new)]
    pub role_ref: Vec<RoleRef>,
    #[sdk(block)]
    pub subject: Vec<Subject>,
}

fn subject_api_group(s: &Subject) -> String {
    match non_empty(&s.api_group) {
        Some(g) => g.to_string(),
        None if s.kind == "ServiceAccount" => String::new(),
        None => "rbac.authorization.k8s.io".to_string(),
    }
}

impl TypedKind for ClusterRoleBindingModel {
    kind_common!(ClusterMetadata);
    const TYPE: &'static str = "kubernetes_cluster_role_binding";
    const TYPE_V1: &'static str = "kubernetes_cluster_role_binding_v1";
    const API_VERSION: &'static str = "rbac.authorization.k8s.io/v1";
    const KIND: &'static str = "ClusterRoleBinding";
    const NAMESPACED: bool = false;

    fn body(&self) -> Result<Map<String, Json>> {
        let r = self.role_ref.first().ok_or_else(|| KubeError::Config("kubernetes_cluster_role_binding: a role_ref block is required".into()))?;
        let subjects: Vec<Json> = self
            .subject
            .iter()
            .map(|s| {
                let mut o = Map::from_iter([("kind".to_string(), json!(s.kind)), ("name".to_string(), json!(s.name))]);
                let g = subject_api_group(s);
                if !g.is_empty() {
                    o.insert("apiGroup".into(), json!(g));
                }
                if let Some(ns) = non_empty(&s.namespace) {
                    o.insert("namespace".into(), json!(ns));
                }
                Json::Object(o)
            })
            .collect();
        let mut m = Map::new();
        m.insert("roleRef".into(), json!({ "apiGroup": non_empty(&r.api_group).unwrap_or("rbac.authorization.k8s.io"), "kind": r.kind, "name": r.name }));
        m.insert("subjects".into(), Json::Array(subjects));
        Ok(m)
    }
    fn read_body(&mut self, o: &Json, _live: &Json) {
        let r = &o["roleRef"];
        if r.is_object() {
            self.role_ref = vec![RoleRef {
                api_group: text(&r["apiGroup"]),
                kind: r["kind"].as_str().unwrap_or_default().to_string(),
                name: r["name"].as_str().unwrap_or_default().to_string(),
            }];
        }
        self.subject = o["subjects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Subject {
                api_group: Some(s["apiGroup"].as_str().unwrap_or_default().to_string()),
                kind: s["kind"].as_str().unwrap_or_default().to_string(),
                name: s["name"].as_str().unwrap_or_default().to_string(),
                namespace: text(&s["namespace"]),
            })
            .collect();
    }
}
