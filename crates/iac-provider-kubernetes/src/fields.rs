//! What "the fields we manage" means: the `managedFields` entry of field
//! manager `iac` (FieldsV1, the format the API server keeps), the part of a
//! live object it covers, and the live object narrowed to the shape of a
//! manifest, which is how drift is shown.
//!
//! Refresh compares a hash of the owned part with the hash taken right
//! after our last apply: equal means nothing we manage changed (whatever
//! controllers did elsewhere, and whatever normalisation the server applied
//! to our values). When it differs, the manifest is re-read from the live
//! object, field by field, so the plan shows exactly what moved.

use serde_json::{Map, Value as Json};

/// The FieldsV1 set `manager` holds through server-side apply.
pub fn owned_set<'a>(live: &'a Json, manager: &str) -> Option<&'a Json> {
    live["metadata"]["managedFields"].as_array()?.iter().find(|e| e["manager"] == manager && e["operation"] == "Apply").map(|e| &e["fieldsV1"])
}

/// The part of `live` the FieldsV1 `set` covers.
pub fn extract(live: &Json, set: &Json) -> Json {
    let Some(entries) = set.as_object() else { return live.clone() };
    if entries.keys().all(|k| k == ".") {
        return live.clone();
    }
    match live {
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, sub) in entries {
                if let Some(name) = k.strip_prefix("f:") {
                    if let Some(v) = m.get(name) {
                        out.insert(name.to_string(), extract(v, sub));
                    }
                }
            }
            Json::Object(out)
        }
        Json::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let hit = entries.iter().find(|(k, _)| list_key_matches(k, i, item));
                if let Some((k, sub)) = hit {
                    let mut e = extract(item, sub);
                    // The key fields identify the item even where the set omits them.
                    if let (Some(key), Json::Object(em)) = (k.strip_prefix("k:").and_then(|j| serde_json::from_str::<Json>(j).ok()), &mut e) {
                        for (kk, kv) in key.as_object().into_iter().flatten() {
                            em.entry(kk.clone()).or_insert_with(|| kv.clone());
                        }
                    }
                    out.push(e);
                }
            }
            Json::Array(out)
        }
        other => other.clone(),
    }
}

fn list_key_matches(k: &str, index: usize, item: &Json) -> bool {
    if let Some(j) = k.strip_prefix("k:") {
        let Ok(Json::Object(key)) = serde_json::from_str::<Json>(j) else { return false };
        return key.iter().all(|(kk, kv)| item.get(kk) == Some(kv));
    }
    if let Some(j) = k.strip_prefix("v:") {
        return serde_json::from_str::<Json>(j).is_ok_and(|v| &v == item);
    }
    if let Some(n) = k.strip_prefix("i:") {
        return n.parse::<usize>() == Ok(index);
    }
    false
}

/// A hash of what `manager` owns in `live` (None when it owns nothing).
pub fn owned_hash(live: &Json, manager: &str) -> Option<String> {
    owned_set(live, manager).map(|set| crate::object::content_hash(&extract(live, set)))
}

/// `live` narrowed to the shape of `desired`: every field the manifest
/// sets, with the value the cluster has (null where it has none). Lists of
/// the same length are narrowed item by item; otherwise the live list is
/// taken whole.
pub fn narrow(desired: &Json, live: Option<&Json>) -> Json {
    match (desired, live) {
        (Json::Object(d), Some(Json::Object(l))) => Json::Object(d.iter().map(|(k, dv)| (k.clone(), narrow(dv, l.get(k)))).collect()),
        (Json::Array(d), Some(Json::Array(l))) if d.len() == l.len() => Json::Array(d.iter().zip(l).map(|(dv, lv)| narrow(dv, Some(lv))).collect()),
        (_, Some(l)) => l.clone(),
        (_, None) => Json::Null,
    }
}

/// The manifest as the cluster now has it, for refresh: unchanged when the
/// owned fields hash as they did after our apply, else narrowed from live.
pub fn observed(desired: &Json, live: &Json, manager: &str, hash_after_apply: Option<&str>) -> Json {
    if hash_after_apply.is_some() && owned_hash(live, manager).as_deref() == hash_after_apply {
        return desired.clone();
    }
    let mut n = narrow(desired, Some(live));
    // Identity is not drift: a namespace defaulted at apply stays as written.
    for k in ["apiVersion", "kind"] {
        if let Some(v) = desired.get(k) {
            n[k] = v.clone();
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Json {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web", "team": "x"},
                "annotations": {"deployment.kubernetes.io/revision": "3"},
                "managedFields": [
                    {"manager": "iac", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}}}},
                    {"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:status": {}}}
                ]},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1", "imagePullPolicy": "IfNotPresent"}, {"name": "sidecar", "image": "envoy"}]}}},
            "status": {"availableReplicas": 2}
        })
    }

    #[test]
    fn extract_takes_only_the_owned_fields_with_list_keys() {
        let l = live();
        let got = extract(&l, owned_set(&l, "iac").unwrap());
        assert_eq!(
            got,
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"}]}}}})
        );
        assert!(owned_set(&l, "kube-controller-manager").is_none(), "Update entries are not ours to compare");
    }

    #[test]
    fn controller_fields_leave_the_hash_alone_and_managed_ones_change_it() {
        let l = live();
        let h = owned_hash(&l, "iac").unwrap();
        let mut by_controller = l.clone();
        by_controller["status"]["availableReplicas"] = json!(0);
        by_controller["metadata"]["labels"]["team"] = json!("y");
        by_controller["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
        assert_eq!(owned_hash(&by_controller, "iac").unwrap(), h);
        let mut out_of_band = l.clone();
        out_of_band["spec"]["replicas"] = json!(5);
        assert_ne!(owned_hash(&out_of_band, "iac").unwrap(), h);
    }

    #[test]
    fn observed_is_the_manifest_until_something_we_own_moves() {
        let desired = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"replicas": 2}});
        let l = live();
        let h = owned_hash(&l, "iac").unwrap();
        assert_eq!(observed(&desired, &l, "iac", Some(&h)), desired);
        let mut changed = l.clone();
        changed["spec"]["replicas"] = json!(5);
        let o = observed(&desired, &changed, "iac", Some(&h));
        assert_eq!(o["spec"]["replicas"], json!(5));
        assert_eq!(o["metadata"], json!({"name": "web", "labels": {"app": "web"}}), "only the manifest's fields");
        let mut removed = l;
        removed["metadata"]["labels"].as_object_mut().unwrap().remove("app");
        assert_eq!(observed(&desired, &removed, "iac", Some(&h))["metadata"]["labels"]["app"], Json::Null);
    }
}
