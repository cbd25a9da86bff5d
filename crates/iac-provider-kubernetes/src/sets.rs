//! Sets of objects, as `kubernetes_manifests` and `helm_release` manage
//! them: scopes resolved (the default namespace on namespaced objects that
//! have none; namespaced-ness from discovery, or from a CRD in the same
//! set), ordered applies (Namespaces, then CRDs, each awaited until
//! Established, then everything else in parallel, bounded), readiness
//! waits, pruning of objects that left the set, deletion in reverse order,
//! and refresh of every tracked object.
//!
//! State keeps each object as YAML under its key
//! (`apiVersion/kind/namespace/name`), so a plan shows which objects change
//! and, per object, a line diff; the provider's private data keeps the hash
//! of the fields we own right after each apply (see [`crate::fields`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value as Json;

use crate::cluster::Cluster;
use crate::error::{KubeError, Result};
use crate::fields;
use crate::object::{self, ObjectId};
use crate::readiness::{self, WaitFor};

/// Kinds that are cluster-scoped in every Kubernetes release, for when the
/// cluster cannot be asked yet.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
];

/// The desired objects by key, namespaces resolved.
pub type Desired = BTreeMap<String, (ObjectId, Json)>;

/// How a set is applied.
#[derive(Clone, Debug)]
pub struct SetOptions {
    pub manager: String,
    pub force: bool,
    pub wait: WaitFor,
    pub timeout: Duration,
    pub delete_timeout: Duration,
}

fn is_crd(id: &ObjectId) -> bool {
    id.group() == "apiextensions.k8s.io" && id.kind == "CustomResourceDefinition"
}

/// 0: Namespaces, 1: CRDs, 2: everything else.
fn tier(id: &ObjectId) -> usize {
    if id.group().is_empty() && id.kind == "Namespace" {
        0
    } else if is_crd(id) {
        1
    } else {
        2
    }
}

/// Whether objects of a kind are namespaced, from the set's own CRDs, the
/// cluster's discovery, or the well-known cluster-scoped kinds (when there
/// is no cluster to ask). None: nobody knows yet.
async fn namespaced(cluster: Option<&Cluster>, crds: &HashMap<(String, String), bool>, id: &ObjectId) -> Result<Option<bool>> {
    if let Some(n) = crds.get(&(id.group().to_string(), id.kind.clone())) {
        return Ok(Some(*n));
    }
    if let Some(c) = cluster {
        if let Some(k) = c.kind(&id.api_version, &id.kind).await? {
            return Ok(Some(k.namespaced));
        }
    }
    if CLUSTER_SCOPED.contains(&(id.group(), id.kind.as_str())) {
        return Ok(Some(false));
    }
    // Without a cluster to ask (tests, validation), the built-in groups are namespaced.
    let builtin = id.group().is_empty() || !id.group().contains('.') || id.group().ends_with(".k8s.io");
    if cluster.is_none() && builtin {
        return Ok(Some(true));
    }
    Ok(None)
}

/// Runs the futures, at most `n` at a time; the first error wins. (Boxed:
/// a stream over a mapping closure trips the Send check of async traits.)
pub async fn bounded<'a, T: Send + 'a>(futs: Vec<BoxFuture<'a, Result<T>>>, n: usize) -> Result<Vec<T>> {
    stream::iter(futs).buffer_unordered(n.max(1)).try_collect().await
}

/// Resolves scopes and keys. Ok(None) when some kind is not known yet (its
/// CRD comes from elsewhere): the caller plans the set as unknown.
pub async fn resolve(cluster: Option<&Cluster>, objs: Vec<(Json, String)>, default_namespace: &str) -> Result<Option<Desired>> {
    let mut crds = HashMap::new();
    for (o, _) in &objs {
        if o["kind"] == "CustomResourceDefinition" && o["apiVersion"].as_str().is_some_and(|a| a.starts_with("apiextensions.k8s.io/")) {
            if let (Some(g), Some(k)) = (o["spec"]["group"].as_str(), o["spec"]["names"]["kind"].as_str()) {
                crds.insert((g.to_string(), k.to_string()), o["spec"]["scope"] != "Cluster");
            }
        }
    }
    let mut out = Desired::new();
    for (mut o, source) in objs {
        let mut id = ObjectId::of(&o, &source)?;
        match namespaced(cluster, &crds, &id).await? {
            Some(true) => {
                if id.namespace.is_none() {
                    object::set_namespace(&mut o, default_namespace);
                    id.namespace = Some(default_namespace.to_string());
                }
            }
            Some(false) => {
                object::clear_namespace(&mut o);
                id.namespace = None;
            }
            None => {
                tracing::debug!(object = %id, "kind not known yet: the set is planned as unknown");
                return Ok(None);
            }
        }
        let key = id.key();
        if out.contains_key(&key) {
            return Err(KubeError::Manifest(format!("{source}: {id} appears twice in the set")));
        }
        out.insert(key, (id, o));
    }
    Ok(Some(out))
}

/// The set as state keeps it: key → YAML.
pub fn rendered(d: &Desired) -> BTreeMap<String, String> {
    d.iter().map(|(k, (_, o))| (k.clone(), object::to_yaml(&object::redacted(o)))).collect()
}

/// Whether the set holds objects whose state copy is redacted (so an apply
/// must take them from the sources, not from the plan).
pub fn has_secrets(objects: &BTreeMap<String, String>) -> bool {
    objects.keys().any(|k| k.starts_with("v1/Secret/"))
}

/// Applies one object; a conflict says how to take the fields over.
pub async fn apply_one(cluster: &Cluster, id: &ObjectId, obj: &Json, opts: &SetOptions) -> Result<Json> {
    match cluster.apply(id, obj, &opts.manager, opts.force).await {
        Err(KubeError::Api { object, code: 409, reason, message }) if !opts.force => Err(KubeError::Api {
            object,
            code: 409,
            reason,
            message: format!("{message} (another field manager owns these fields: set field_manager {{ force_conflicts = true }} to take them over)"),
        }),
        other => other,
    }
}

/// Brings the cluster from `prior` (key → YAML as last applied or
/// refreshed) to `desired`; returns the owned-fields hash of every object
/// in `desired` (from `prior_hashes` for those left alone).
pub async fn apply_set(
    cluster: &Cluster,
    prior: &BTreeMap<String, String>,
    desired: &Desired,
    prior_hashes: &BTreeMap<String, String>,
    opts: &SetOptions,
) -> Result<BTreeMap<String, String>> {
    let changed: Vec<(&String, &ObjectId, &Json)> =
        desired.iter().filter(|(k, (_, o))| prior.get(*k).is_none_or(|y| *y != object::to_yaml(&object::redacted(o)))).map(|(k, (id, o))| (k, id, o)).collect();
    let mut hashes: BTreeMap<String, String> = desired.keys().filter_map(|k| prior_hashes.get(k).map(|h| (k.clone(), h.clone()))).collect();
    let n = cluster.tuning.apply_concurrency;
    for t in 0..3 {
        let batch: Vec<_> = changed.iter().filter(|(_, id, _)| tier(id) == t).collect();
        if batch.is_empty() {
            continue;
        }
        tracing::info!(count = batch.len(), tier = t, "applying objects");
        let applied: Vec<(String, Json)> =
            bounded(batch.iter().map(|(k, id, o)| async move { apply_one(cluster, id, o, opts).await.map(|live| ((*k).clone(), live)) }.boxed()).collect(), n)
                .await?;
        for (k, live) in &applied {
            if let Some(h) = fields::owned_hash(live, &opts.manager) {
                hashes.insert(k.clone(), h);
            }
        }
        if t == 1 {
            // Custom resources of these CRDs come next: they must be served first.
            bounded(batch.iter().map(|(_, id, _)| readiness::wait_ready(cluster, id, opts.timeout).boxed()).collect(), n).await?;
        }
    }
    let waits: Vec<&ObjectId> = changed.iter().filter(|(_, id, o)| !is_crd(id) && readiness::needs_wait(id, o, opts.wait)).map(|(_, id, _)| *id).collect();
    if !waits.is_empty() {
        tracing::info!(count = waits.len(), "waiting for objects to become ready");
        bounded(waits.into_iter().map(|id| readiness::wait_ready(cluster, id, opts.timeout).boxed()).collect(), n.max(16)).await?;
    }
    let gone: Vec<ObjectId> = prior.keys().filter(|k| !desired.contains_key(*k)).filter_map(|k| prior_id(prior, k)).collect();
    if !gone.is_empty() {
        tracing::info!(count = gone.len(), "pruning objects that left the set");
        delete_ids(cluster, gone, opts.delete_timeout).await?;
    }
    Ok(hashes)
}

/// The identity of a tracked object, from its YAML in state.
fn prior_id(prior: &BTreeMap<String, String>, key: &str) -> Option<ObjectId> {
    let obj = object::from_yaml(prior.get(key)?, key).ok()?;
    ObjectId::of(&obj, key).ok()
}

/// Deletes objects in reverse order (everything else, then CRDs, then
/// Namespaces), each tier in parallel, waiting until each is gone.
pub async fn delete_ids(cluster: &Cluster, ids: Vec<ObjectId>, timeout: Duration) -> Result<()> {
    let n = cluster.tuning.apply_concurrency;
    for t in (0..3).rev() {
        let batch: Vec<&ObjectId> = ids.iter().filter(|id| tier(id) == t).collect();
        bounded(batch.into_iter().map(|id| cluster.delete_and_wait(id, timeout).boxed()).collect(), n).await?;
    }
    Ok(())
}

/// Deletes every object of a tracked set.
pub async fn delete_set(cluster: &Cluster, tracked: &BTreeMap<String, String>, timeout: Duration) -> Result<()> {
    let ids: Vec<ObjectId> = tracked.keys().filter_map(|k| prior_id(tracked, k)).collect();
    delete_ids(cluster, ids, timeout).await
}

/// Refreshes a tracked set: objects that are gone leave it, objects whose
/// owned fields moved are re-read from the cluster.
pub async fn read_set(
    cluster: &Cluster,
    tracked: &BTreeMap<String, String>,
    hashes: &BTreeMap<String, String>,
    manager: &str,
) -> Result<BTreeMap<String, String>> {
    let n = cluster.tuning.apply_concurrency.max(8);
    type Read<'a> = BoxFuture<'a, Result<Option<(String, String)>>>;
    let reads: Vec<Read<'_>> = tracked
        .iter()
        .map(|(k, y)| {
            async move {
                let desired = object::from_yaml(y, k)?;
                let id = ObjectId::of(&desired, k)?;
                Ok(match cluster.get(&id).await? {
                    None => None,
                    Some(live) => {
                        let seen = object::redacted(&fields::observed(&desired, &live, manager, hashes.get(k).map(String::as_str)));
                        Some((k.clone(), if seen == desired { y.clone() } else { object::to_yaml(&seen) }))
                    }
                })
            }
            .boxed()
        })
        .collect();
    let results = bounded(reads, n).await?;
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn scopes_come_from_the_sets_crds_and_known_kinds() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"}}});
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}});
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r", "namespace": "ignored"}});
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        let d = resolve(None, vec![(crd, "a".into()), (widget, "a".into()), (role, "a".into()), (cm, "a".into())], "apps").await.unwrap().unwrap();
        let keys: Vec<&String> = d.keys().collect();
        assert_eq!(
            keys,
            vec![
                "apiextensions.k8s.io/v1/CustomResourceDefinition/widgets.example.com",
                "example.com/v1/Widget/apps/w",
                "rbac.authorization.k8s.io/v1/ClusterRole/r",
                "v1/ConfigMap/apps/c"
            ]
        );
        assert_eq!(d["v1/ConfigMap/apps/c"].1["metadata"]["namespace"], "apps");
        assert!(d["rbac.authorization.k8s.io/v1/ClusterRole/r"].1["metadata"].get("namespace").is_none());
        let unknown = json!({"apiVersion": "other.io/v1", "kind": "Thing", "metadata": {"name": "t"}});
        assert!(resolve(None, vec![(unknown, "a".into())], "apps").await.unwrap().is_none());
        let dup = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "apps"}});
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        let e = resolve(None, vec![(cm, "a".into()), (dup, "b.yaml".into())], "apps").await.unwrap_err().to_string();
        assert!(e.contains("b.yaml") && e.contains("twice"), "{e}");
    }

    #[test]
    fn tiers_put_namespaces_then_crds_first() {
        let id = |av: &str, k: &str| ObjectId { api_version: av.into(), kind: k.into(), namespace: None, name: "x".into() };
        assert_eq!(tier(&id("v1", "Namespace")), 0);
        assert_eq!(tier(&id("apiextensions.k8s.io/v1", "CustomResourceDefinition")), 1);
        assert_eq!(tier(&id("apps/v1", "Deployment")), 2);
    }
}
