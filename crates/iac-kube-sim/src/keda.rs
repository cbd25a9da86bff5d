//! KEDA's operator, simulated: a ScaledObject gets the
//! HorizontalPodAutoscaler KEDA makes for it (`keda-hpa-NAME`, between
//! `minReplicaCount` and `maxReplicaCount`, on the external metric of its
//! first trigger) and status `Ready`; deleting it deletes the HPA. No
//! metric is read and nothing scales: the cluster shows what KEDA set up.

use std::time::Instant;

use serde_json::{json, Value};

use crate::catalog::{ResourceType, StorageKey};
use crate::options::SimOptions;
use crate::store::{Patch, PatchKind, Store, Work, WriteCtx};

const MANAGER: &str = "keda-operator";

/// Whether KEDA reconciles objects of this type.
pub fn watches(rt: &ResourceType) -> bool {
    rt.is("keda.sh", "ScaledObject")
}

/// Whether queued work is KEDA's.
pub fn watches_key(key: &StorageKey) -> bool {
    key.group == "keda.sh" && key.plural == "scaledobjects"
}

/// Runs KEDA's reconcile of one ScaledObject.
pub fn reconcile(store: &mut Store, w: &Work, now: Instant, opts: &SimOptions) {
    let ctx = WriteCtx { manager: MANAGER, dry_run: false, now, opts };
    let Some(hpa_rt) = store.catalog.find_kind("autoscaling/v2", "HorizontalPodAutoscaler").cloned() else { return };
    let Some(rt) = store.catalog.all().find(|r| r.storage_key() == w.key).cloned() else { return };
    let hpa_name = format!("keda-hpa-{}", w.name);
    let Some(so) = store.lookup(&rt, &w.namespace, &w.name).map(|o| Store::present(&rt, o)) else {
        let _ = store.delete(&hpa_rt, &w.namespace, &hpa_name, &ctx);
        return;
    };
    let target = so.pointer("/spec/scaleTargetRef").cloned().unwrap_or(json!({}));
    let trigger = so.pointer("/spec/triggers/0").cloned().unwrap_or(json!({}));
    let trigger_type = trigger.get("type").and_then(Value::as_str).unwrap_or("external");
    let threshold = trigger.pointer("/metadata/threshold").and_then(Value::as_str).unwrap_or("1");
    let hpa = json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": hpa_name,
            "namespace": w.namespace,
            "labels": {"app.kubernetes.io/managed-by": "keda-operator", "app.kubernetes.io/name": hpa_name, "scaledobject.keda.sh/name": w.name},
            "ownerReferences": [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": w.name,
                "uid": so.pointer("/metadata/uid").cloned().unwrap_or(Value::Null), "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": target.get("apiVersion").cloned().unwrap_or(json!("apps/v1")), "kind": target.get("kind").cloned().unwrap_or(json!("Deployment")), "name": target.get("name").cloned().unwrap_or(Value::Null)},
            "minReplicas": so.pointer("/spec/minReplicaCount").and_then(Value::as_i64).unwrap_or(1).max(1),
            "maxReplicas": so.pointer("/spec/maxReplicaCount").and_then(Value::as_i64).unwrap_or(100),
            "metrics": [{"type": "External", "external": {
                "metric": {"name": format!("s0-{trigger_type}"), "selector": {"matchLabels": {"scaledobject.keda.sh/name": w.name}}},
                "target": {"type": "AverageValue", "averageValue": threshold}
            }}]
        }
    });
    let applied = store.patch(&hpa_rt, &w.namespace, &hpa_name, &Patch { kind: PatchKind::Apply, body: &hpa, force: true, subresource: None }, &ctx);
    let (ready, message) = match &applied {
        Ok(_) => (true, "ScaledObject is defined correctly and is ready for scaling".to_string()),
        Err(e) => (false, e.message.clone()),
    };
    let status = json!({
        "hpaName": hpa_name,
        "scaleTargetKind": format!("{}.{}", target.get("apiVersion").and_then(Value::as_str).unwrap_or("apps/v1"), target.get("kind").and_then(Value::as_str).unwrap_or("Deployment")),
        "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" }, "reason": if ready { "ScaledObjectReady" } else { "ScaledObjectCheckFailed" }, "message": message},
            {"type": "Active", "status": "False", "reason": "ScalerNotActive", "message": "Scaling is not performed because triggers are not active"},
            {"type": "Fallback", "status": "False", "reason": "NoFallbackFound", "message": "No fallbacks are active on this scaled object"}
        ]
    });
    if so.get("status") != Some(&status) {
        let mut body = so.clone();
        body["status"] = status;
        let _ = store.replace(&rt, &w.namespace, &w.name, body, Some("status"), &ctx);
    }
}
