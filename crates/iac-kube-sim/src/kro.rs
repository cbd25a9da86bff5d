//! kro's controller, simulated with iac's own reading of kro
//! (`iac_kro`): a ResourceGraphDefinition gets the CRD of its instances
//! (and status `Active`), or status `Inactive` with the reason it was
//! refused; an instance is expanded and each object server-side applied
//! (field manager `kro`, in dependency order, later objects reading the
//! earlier ones as stored), objects the expansion no longer yields are
//! deleted, and the instance's status gets its `schema.status` fields and
//! `state` (`IN_PROGRESS` until its Deployments are available, then
//! `ACTIVE`; `ERROR` with the reason, retried). Deleting an instance
//! deletes its objects. Instances are reconciled again every few seconds,
//! as kro's watches would on their objects' changes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::catalog::{ResourceType, StorageKey};
use crate::options::SimOptions;
use crate::store::{timestamp, Patch, PatchKind, Store, Work, WriteCtx};

const MANAGER: &str = "kro";

fn is_rgd(rt: &ResourceType) -> bool {
    rt.is("kro.run", "ResourceGraphDefinition")
}

/// The CRD of a custom kind, when kro made it.
fn kro_crd<'a>(store: &'a Store, rt: &ResourceType) -> Option<&'a Value> {
    let crd_rt = store.catalog.find_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")?;
    let crd = store.lookup(crd_rt, "", rt.crd.as_deref()?)?;
    (crd.pointer("/metadata/labels/kro.run~1owned").and_then(Value::as_str) == Some("true")).then_some(crd)
}

/// Whether kro reconciles objects of this type.
pub fn watches(store: &Store, rt: &ResourceType) -> bool {
    is_rgd(rt) || kro_crd(store, rt).is_some()
}

fn type_of(store: &Store, key: &StorageKey) -> Option<ResourceType> {
    store.catalog.all().find(|r| &r.storage_key() == key).cloned()
}

/// Runs kro's reconcile of one object.
pub fn reconcile(store: &mut Store, w: &Work, now: Instant, opts: &SimOptions) {
    if let Some(rt) = type_of(store, &w.key) {
        if is_rgd(&rt) {
            reconcile_rgd(store, &rt, &w.name, now, opts);
        } else {
            reconcile_instance(store, &rt, &w.namespace, &w.name, now, opts);
        }
    }
}

/// Conditions, keeping each one's lastTransitionTime while its status stays.
fn conditions(old: Option<&Value>, new: &[(&str, bool, &str, String)]) -> Value {
    let now = timestamp();
    let prior = |ty: &str| old.and_then(|s| s.get("conditions")).and_then(Value::as_array).and_then(|c| c.iter().find(|c| c["type"] == ty)).cloned();
    Value::Array(
        new.iter()
            .map(|(ty, ok, reason, message)| {
                let status = if *ok { "True" } else { "False" };
                let since = prior(ty).filter(|p| p["status"] == status).and_then(|p| p.get("lastTransitionTime").cloned()).unwrap_or_else(|| json!(now));
                json!({"type": ty, "status": status, "reason": reason, "message": message, "lastTransitionTime": since})
            })
            .collect(),
    )
}

/// Replaces the object's status (as its status subresource), when it changed.
fn write_status(store: &mut Store, rt: &ResourceType, ns: &str, name: &str, status: Value, now: Instant, opts: &SimOptions) {
    let Some(old) = store.lookup(rt, ns, name).cloned() else { return };
    if old.get("status") == Some(&status) {
        return;
    }
    let mut body = Store::present(rt, &old);
    body["status"] = status;
    let ctx = WriteCtx { manager: MANAGER, dry_run: false, now, opts };
    let _ = store.replace(rt, ns, name, body, Some("status"), &ctx);
}

fn reconcile_rgd(store: &mut Store, rt: &ResourceType, name: &str, now: Instant, opts: &SimOptions) {
    let Some(obj) = store.lookup(rt, "", name).map(|o| Store::present(rt, o)) else { return };
    let old_status = obj.get("status").cloned();
    let rgd = match iac_kro::Rgd::from_object(&obj) {
        Ok(r) => r,
        Err(e) => {
            let c = conditions(
                old_status.as_ref(),
                &[("ResourceGraphAccepted", false, "InvalidResourceGraph", e.to_string()), ("Ready", false, "InvalidResourceGraph", e.to_string())],
            );
            write_status(store, rt, "", name, json!({"state": "Inactive", "conditions": c}), now, opts);
            return;
        }
    };
    let ctx = WriteCtx { manager: MANAGER, dry_run: false, now, opts };
    let crd = rgd.crd();
    let crd_name = crd["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let applied = match store.catalog.find_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition").cloned() {
        Some(crd_rt) => store
            .patch(&crd_rt, "", &crd_name, &Patch { kind: PatchKind::Apply, body: &crd, force: true, subresource: None }, &ctx)
            .map(|_| ())
            .map_err(|e| e.message),
        None => Err("CustomResourceDefinitions are not served".into()),
    };
    let status = match applied {
        Ok(()) => {
            let order: Vec<Value> = rgd.resources.iter().map(|r| json!(r.id)).collect();
            let c = conditions(
                old_status.as_ref(),
                &[
                    ("ResourceGraphAccepted", true, "Valid", "resource graph and schema are valid".into()),
                    ("KindReady", true, "Ready", format!("kind {} has been accepted and is ready", rgd.kind)),
                    ("ControllerReady", true, "Running", "controller is running".into()),
                    ("Ready", true, "Ready", String::new()),
                ],
            );
            json!({"state": "Active", "topologicalOrder": order, "conditions": c})
        }
        Err(e) => {
            json!({"state": "Inactive", "conditions": conditions(old_status.as_ref(), &[("KindReady", false, "Failed", e.clone()), ("Ready", false, "Failed", e)])})
        }
    };
    write_status(store, rt, "", name, status, now, opts);
    // Instances made before their kind was ready are reconciled now.
    if let Some(inst_rt) = store.catalog.find_kind(&rgd.api_version(), &rgd.kind).cloned() {
        let keys: Vec<(String, String)> = store.objects.get(&inst_rt.storage_key()).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        for (ns, n) in keys {
            store.requeue(inst_rt.storage_key(), &ns, &n, now);
        }
    }
}

/// The ResourceGraphDefinition whose instances are of this type.
fn rgd_for(store: &Store, rt: &ResourceType) -> Option<iac_kro::Rgd> {
    let rgd_rt = store.catalog.find_kind("kro.run/v1alpha1", "ResourceGraphDefinition")?;
    store.objects.get(&rgd_rt.storage_key())?.values().find_map(|o| {
        let r = iac_kro::Rgd::from_object(&Store::present(rgd_rt, o)).ok()?;
        (r.group == rt.group && r.kind == rt.kind).then_some(r)
    })
}

/// The objects of an instance: (type, namespace, name, node id).
fn children(store: &Store, kind: &str, ns: &str, name: &str) -> Vec<(StorageKey, String, String, String)> {
    let mut out = Vec::new();
    for (key, objs) in &store.objects {
        for ((ons, oname), o) in objs {
            let l = |k: &str| o.pointer("/metadata/labels").and_then(|l| l.get(k)).and_then(Value::as_str);
            if l("kro.run/instance-name") == Some(name) && l("kro.run/instance-kind") == Some(kind) && l("kro.run/instance-namespace").unwrap_or(ns) == ns {
                out.push((key.clone(), ons.clone(), oname.clone(), l("kro.run/node-id").unwrap_or_default().to_string()));
            }
        }
    }
    out
}

fn delete_children(store: &mut Store, doomed: Vec<(StorageKey, String, String, String)>, ctx: &WriteCtx<'_>) {
    for (key, ns, name, _) in doomed {
        if let Some(rt) = type_of(store, &key) {
            let _ = store.delete(&rt, &ns, &name, ctx);
        }
    }
}

fn ready(obj: &Value) -> bool {
    match obj.get("kind").and_then(Value::as_str) {
        Some("Deployment" | "StatefulSet") => {
            let want = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            obj.pointer("/status/availableReplicas").or_else(|| obj.pointer("/status/readyReplicas")).and_then(Value::as_i64).unwrap_or(0) >= want
        }
        _ => true,
    }
}

fn reconcile_instance(store: &mut Store, rt: &ResourceType, ns: &str, name: &str, now: Instant, opts: &SimOptions) {
    let ctx = WriteCtx { manager: MANAGER, dry_run: false, now, opts };
    let instance = store.lookup(rt, ns, name).map(|o| Store::present(rt, o));
    let Some(instance) = instance.filter(|i| i.pointer("/metadata/deletionTimestamp").is_none()) else {
        let doomed = children(store, &rt.kind, ns, name);
        delete_children(store, doomed, &ctx);
        return;
    };
    let old_status = instance.get("status").cloned();
    let Some(rgd) = rgd_for(store, rt) else { return };
    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    let expanded = rgd.expand(&instance, &mut |e| {
        let api_version = e.object["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = e.object["kind"].as_str().unwrap_or_default().to_string();
        let Some(child_rt) = store.catalog.find_kind(&api_version, &kind).cloned() else {
            return Err(format!("no matches for kind \"{kind}\" in version \"{api_version}\""));
        };
        let cns = if child_rt.namespaced { e.object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(ns).to_string() } else { String::new() };
        let cname = e.object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        let (stored, _) = store
            .patch(&child_rt, &cns, &cname, &Patch { kind: PatchKind::Apply, body: &e.object, force: true, subresource: None }, &ctx)
            .map_err(|err| err.message)?;
        seen.insert(e.id.clone(), stored.clone());
        Ok(stored)
    });
    let status = match expanded {
        Ok(objs) => {
            let ids: BTreeSet<String> = objs.iter().map(|e| e.id.clone()).collect();
            let stale: Vec<_> = children(store, &rt.kind, ns, name).into_iter().filter(|c| !ids.contains(&c.3)).collect();
            delete_children(store, stale, &ctx);
            let all_ready = seen.values().all(ready);
            let mut s = json!(rgd.status(&instance, &seen));
            s["state"] = json!(if all_ready { "ACTIVE" } else { "IN_PROGRESS" });
            s["conditions"] = conditions(
                old_status.as_ref(),
                &[
                    ("InstanceManaged", true, "Managed", "instance is managed by kro".into()),
                    ("GraphResolved", true, "Resolved", "runtime graph created and all resources resolved".into()),
                    ("ResourcesReady", all_ready, if all_ready { "AllResourcesReady" } else { "Progressing" }, format!("{} resources applied", objs.len())),
                    ("Ready", all_ready, if all_ready { "Ready" } else { "Progressing" }, String::new()),
                ],
            );
            store.requeue(rt.storage_key(), ns, name, now + Duration::from_millis(if all_ready { 3000 } else { 300 }));
            s
        }
        Err(e) => {
            store.requeue(rt.storage_key(), ns, name, now + Duration::from_millis(opts.git_poll_ms.max(200)));
            let m = e.to_string();
            json!({"state": "ERROR", "conditions": conditions(old_status.as_ref(), &[("GraphResolved", false, "Failed", m.clone()), ("Ready", false, "Failed", m)])})
        }
    };
    write_status(store, rt, ns, name, status, now, opts);
}
