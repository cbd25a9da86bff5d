//! The resource types the server knows: the built-in kinds a platform's
//! manifests use (ArgoCD's, KEDA's, Helm charts') and those added by
//! CustomResourceDefinitions, which appear as soon as the CRD is stored.

use std::collections::BTreeMap;

use serde_json::Value;

/// One served resource: `/apis/{group}/{version}/[namespaces/{ns}/]{plural}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    /// Whether the type has a `status` subresource (status is then ignored on the main resource).
    pub has_status: bool,
    /// Set for types that come from a CRD (its name).
    pub crd: Option<String>,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// Objects of every version of a resource share one storage.
    pub fn storage_key(&self) -> StorageKey {
        StorageKey { group: self.group.clone(), plural: self.plural.clone() }
    }
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorageKey {
    pub group: String,
    pub plural: String,
}

/// (group, version, plural, kind, namespaced, short names, status subresource)
type Builtin = (&'static str, &'static str, &'static str, &'static str, bool, &'static [&'static str], bool);

const BUILTINS: &[Builtin] = &[
    ("", "v1", "namespaces", "Namespace", false, &["ns"], true),
    ("", "v1", "configmaps", "ConfigMap", true, &["cm"], false),
    ("", "v1", "secrets", "Secret", true, &[], false),
    ("", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"], false),
    ("", "v1", "services", "Service", true, &["svc"], true),
    ("", "v1", "endpoints", "Endpoints", true, &["ep"], false),
    ("", "v1", "pods", "Pod", true, &["po"], true),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, &["pvc"], true),
    ("", "v1", "persistentvolumes", "PersistentVolume", false, &["pv"], true),
    ("", "v1", "nodes", "Node", false, &["no"], true),
    ("", "v1", "events", "Event", true, &["ev"], false),
    ("", "v1", "limitranges", "LimitRange", true, &["limits"], false),
    ("", "v1", "resourcequotas", "ResourceQuota", true, &["quota"], true),
    ("", "v1", "replicationcontrollers", "ReplicationController", true, &["rc"], true),
    ("", "v1", "podtemplates", "PodTemplate", true, &[], false),
    ("apps", "v1", "deployments", "Deployment", true, &["deploy"], true),
    ("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"], true),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"], true),
    ("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"], true),
    ("apps", "v1", "controllerrevisions", "ControllerRevision", true, &[], false),
    ("batch", "v1", "jobs", "Job", true, &[], true),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"], true),
    ("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, &["hpa"], true),
    ("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, &["hpa"], true),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", true, &[], false),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, &[], false),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, &[], false),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, &[], false),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, &["crd", "crds"], true),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, &["netpol"], false),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", true, &["ing"], true),
    ("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, &[], false),
    ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, &["pdb"], true),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, &[], false),
    ("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, &[], false),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, &[], true),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, &[], false),
    ("apiregistration.k8s.io", "v1", "apiservices", "APIService", false, &[], true),
    ("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, &["pc"], false),
    ("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, &["sc"], false),
    ("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false, &[], false),
    ("coordination.k8s.io", "v1", "leases", "Lease", true, &[], false),
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, &[], false),
    ("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, &[], false),
    ("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, &["csr"], true),
];

/// The served types, in a stable order (built-ins first, then CRD types by name).
#[derive(Debug, Clone)]
pub struct Catalog {
    builtin: Vec<ResourceType>,
    /// CRD name → the types it serves (one per served version).
    custom: BTreeMap<String, Vec<ResourceType>>,
}

impl Default for Catalog {
    fn default() -> Self {
        let builtin = BUILTINS
            .iter()
            .map(|&(group, version, plural, kind, namespaced, short, has_status)| ResourceType {
                group: group.into(),
                version: version.into(),
                plural: plural.into(),
                singular: kind.to_ascii_lowercase(),
                kind: kind.into(),
                namespaced,
                short_names: short.iter().map(|s| s.to_string()).collect(),
                has_status,
                crd: None,
            })
            .collect();
        Catalog { builtin, custom: BTreeMap::new() }
    }
}

impl Catalog {
    pub fn all(&self) -> impl Iterator<Item = &ResourceType> {
        self.builtin.iter().chain(self.custom.values().flatten())
    }
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.all().find(|t| t.group == group && t.version == version && t.plural == plural)
    }
    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.all().find(|t| t.api_version() == api_version && t.kind == kind)
    }
    /// Groups in discovery order, each with its versions (preferred first).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.all().filter(|t| !t.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, vs)) if !vs.contains(&t.version) => vs.push(t.version.clone()),
                Some(_) => {}
                None => out.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        out
    }
    pub fn in_group_version<'a>(&'a self, group: &'a str, version: &'a str) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.all().filter(move |t| t.group == group && t.version == version)
    }
    /// Registers (or replaces) the types a CRD serves. Returns a message when the CRD is unusable.
    pub fn add_crd(&mut self, crd: &Value) -> Result<(), String> {
        let types = crd_types(crd)?;
        let name = crd.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        self.custom.insert(name, types);
        Ok(())
    }
    pub fn remove_crd(&mut self, name: &str) {
        self.custom.remove(name);
    }
}

/// The types a CRD object serves, or why it is invalid.
pub fn crd_types(crd: &Value) -> Result<Vec<ResourceType>, String> {
    let s = |p: &str| crd.pointer(p).and_then(Value::as_str).map(str::to_string);
    let group = s("/spec/group").ok_or("spec.group: Required value")?;
    let plural = s("/spec/names/plural").ok_or("spec.names.plural: Required value")?;
    let kind = s("/spec/names/kind").ok_or("spec.names.kind: Required value")?;
    let name = s("/metadata/name").unwrap_or_default();
    if name != format!("{plural}.{group}") {
        return Err(format!("metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"));
    }
    let singular = s("/spec/names/singular").unwrap_or_else(|| kind.to_ascii_lowercase());
    let namespaced = match s("/spec/scope").as_deref() {
        Some("Namespaced") => true,
        Some("Cluster") => false,
        other => return Err(format!("spec.scope: Unsupported value: {other:?}: supported values: \"Cluster\", \"Namespaced\"")),
    };
    let short_names: Vec<String> = crd
        .pointer("/spec/names/shortNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or("spec.versions: Invalid value: must have exactly one version marked as storage version")?;
    Ok(versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(false))
        .filter_map(|v| {
            Some(ResourceType {
                group: group.clone(),
                version: v.get("name")?.as_str()?.to_string(),
                plural: plural.clone(),
                singular: singular.clone(),
                kind: kind.clone(),
                namespaced,
                short_names: short_names.clone(),
                has_status: v.pointer("/subresources/status").is_some(),
                crd: Some(name.clone()),
            })
        })
        .collect())
}
