//! Server-side apply and field ownership: merging an applied configuration
//! into the live object, conflicts with other managers, removal of fields a
//! manager stopped applying, and the ownership changes of ordinary writes
//! (create, update, patch). `metadata.managedFields` is read and written here.

use serde_json::{json, Value};

use crate::fields::{self, FieldSet};

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedEntry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl ManagedEntry {
    fn is(&self, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.as_deref() == subresource
    }
}

pub fn read_managed(obj: &Value) -> Vec<ManagedEntry> {
    let Some(list) = obj.pointer("/metadata/managedFields").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            Some(ManagedEntry {
                manager: e.get("manager")?.as_str()?.to_string(),
                operation: e.get("operation").and_then(Value::as_str).unwrap_or("Update").to_string(),
                api_version: e.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string(),
                time: e.get("time").and_then(Value::as_str).unwrap_or_default().to_string(),
                subresource: e.get("subresource").and_then(Value::as_str).map(str::to_string),
                fields: FieldSet::from_fields_v1(e.get("fieldsV1").unwrap_or(&Value::Null)),
            })
        })
        .collect()
}

pub fn write_managed(obj: &mut Value, entries: &[ManagedEntry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({"manager": e.manager, "operation": e.operation, "apiVersion": e.api_version, "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": e.fields.to_fields_v1()});
            if let Some(s) = &e.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// A field another manager owns with a different value: (manager, its apiVersion, the field as displayed).
pub type Conflict = (String, String, String);

/// Who applies what, and how.
pub struct ApplyRequest<'a> {
    pub manager: &'a str,
    pub force: bool,
    /// The time written into the manager's entry when anything changes.
    pub now: &'a str,
    /// The type has a status subresource: `status` is neither merged nor owned.
    pub ignore_status: bool,
    /// `Some("status")` when applying to the status subresource.
    pub subresource: Option<&'a str>,
}

/// The result of an apply: the new object, and whether it differs from the live one.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub object: Value,
    pub changed: bool,
}

/// Server-side apply of `config` onto `live` (None: the object is created).
/// The result keeps the live object's server-set metadata; the caller sets
/// resourceVersion and generation.
pub fn apply(live: Option<&Value>, config: &Value, req: &ApplyRequest<'_>) -> Result<Applied, Vec<Conflict>> {
    let empty = json!({});
    let live_obj = live.unwrap_or(&empty);
    let scoped = |v: &Value| scope(v, req.subresource, req.ignore_status);
    let config_scoped = scoped(config);
    let applied = FieldSet::of_object(&config_scoped, false);
    let mut entries = read_managed(live_obj);
    let live_scoped = scoped(live_obj);

    let mut conflicts = Vec::new();
    // Every other entry counts, the same manager's Update entries included, as in the API server.
    for e in entries.iter_mut().filter(|e| !e.is(req.manager, "Apply", req.subresource)) {
        let clashing: FieldSet = FieldSet(
            applied
                .intersection(&e.fields)
                .0
                .into_iter()
                .filter(|p| !fields::is_item(p) && fields::get(&config_scoped, p) != fields::get(&live_scoped, p))
                .collect(),
        );
        if clashing.is_empty() {
            continue;
        }
        if req.force {
            e.fields = e.fields.difference(&clashing);
        } else {
            let who = match &e.subresource {
                Some(sub) => format!("{}\" with subresource \"{sub}", e.manager),
                None => e.manager.clone(),
            };
            conflicts.extend(clashing.0.iter().map(|p| (who.clone(), e.api_version.clone(), fields::display(p))));
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }

    let mut merged = live_obj.clone();
    let mine = entries.iter().position(|e| e.is(req.manager, "Apply", req.subresource));
    if let Some(i) = mine {
        let dropped = entries[i].fields.difference(&applied);
        for p in &dropped.0 {
            let owned_elsewhere = entries.iter().enumerate().any(|(j, e)| j != i && e.fields.covers(p));
            if !owned_elsewhere {
                fields::remove(&mut merged, p);
            }
        }
    }
    let mut body = config.clone();
    strip_server_fields(&mut body, req.subresource, req.ignore_status);
    fields::merge(&mut merged, &body, "");

    let api_version = config.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
    let before: Vec<(String, String, FieldSet)> = read_managed(live_obj).into_iter().map(|e| (e.manager, e.operation, e.fields)).collect();
    match mine {
        Some(i) => {
            entries[i].fields = applied;
            entries[i].api_version = api_version;
        }
        None => entries.push(ManagedEntry {
            manager: req.manager.into(),
            operation: "Apply".into(),
            api_version,
            time: req.now.into(),
            subresource: req.subresource.map(str::to_string),
            fields: applied,
        }),
    }
    entries.retain(|e| !e.fields.is_empty());
    let after: Vec<(String, String, FieldSet)> = entries.iter().map(|e| (e.manager.clone(), e.operation.clone(), e.fields.clone())).collect();
    let content_changed = without_managed(&merged) != without_managed(live_obj);
    let changed = live.is_none() || content_changed || before != after;
    if changed {
        if let Some(e) = entries.iter_mut().find(|e| e.is(req.manager, "Apply", req.subresource)) {
            e.time = req.now.into();
        }
    }
    write_managed(&mut merged, &entries);
    Ok(Applied { object: merged, changed })
}

/// Ownership after an ordinary write by `manager`: it takes the fields it
/// changed or added, every manager loses the fields it removed, and others
/// lose the fields it changed. Writes the entries into `new`.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, now: &str, ignore_status: bool, subresource: Option<&str>) {
    let empty = json!({});
    let old_obj = old.unwrap_or(&empty);
    let mut entries = read_managed(old_obj);
    let old_scoped = scope(old_obj, subresource, ignore_status);
    let new_scoped = scope(new, subresource, ignore_status);
    let before = FieldSet::of_object(&old_scoped, false);
    let after = FieldSet::of_object(&new_scoped, false);
    let changed = FieldSet(
        after
            .0
            .iter()
            .filter(|p| !before.contains(p) || (!fields::is_item(p) && fields::get(&old_scoped, p) != fields::get(&new_scoped, p)))
            .cloned()
            .collect(),
    );
    let removed = before.difference(&after);
    if changed.is_empty() && removed.is_empty() {
        write_managed(new, &entries);
        return;
    }
    let lost = changed.union(&removed);
    for e in entries.iter_mut() {
        e.fields = e.fields.difference(&lost);
    }
    let api_version = new.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
    match entries.iter_mut().find(|e| e.is(manager, "Update", subresource)) {
        Some(e) => {
            e.fields = e.fields.union(&changed);
            e.time = now.into();
            e.api_version = api_version;
        }
        None => entries.push(ManagedEntry {
            manager: manager.into(),
            operation: "Update".into(),
            api_version,
            time: now.into(),
            subresource: subresource.map(str::to_string),
            fields: changed,
        }),
    }
    entries.retain(|e| !e.fields.is_empty());
    write_managed(new, &entries);
}

/// The part of an object a write to `subresource` may touch: only `status`
/// for the status subresource, everything but `status` otherwise (when the
/// type has a status subresource).
fn scope(v: &Value, subresource: Option<&str>, ignore_status: bool) -> Value {
    match subresource {
        Some("status") => json!({"status": v.get("status").cloned().unwrap_or(Value::Null)}),
        _ => {
            let mut c = v.clone();
            if ignore_status {
                if let Some(m) = c.as_object_mut() {
                    m.remove("status");
                }
            }
            c
        }
    }
}

/// Removes what an applied body may not set: identity and server metadata
/// are kept from the live object, status goes through its subresource.
fn strip_server_fields(body: &mut Value, subresource: Option<&str>, ignore_status: bool) {
    if let Some(m) = body.as_object_mut() {
        if subresource == Some("status") {
            m.retain(|k, _| k == "status");
            return;
        }
        if ignore_status {
            m.remove("status");
        }
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in
                ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]
            {
                meta.remove(k);
            }
        }
    }
}

fn without_managed(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(meta) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    c
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn req<'a>(manager: &'a str, force: bool) -> ApplyRequest<'a> {
        ApplyRequest { manager, force, now: "2026-01-01T00:00:00Z", ignore_status: true, subresource: None }
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}, "data": data})
    }

    fn owners(obj: &Value) -> Vec<(String, Value)> {
        read_managed(obj).into_iter().map(|e| (e.manager, e.fields.to_fields_v1())).collect()
    }

    #[test]
    fn a_create_owns_every_applied_field() {
        let out = apply(None, &cm(json!({"a": "1"})), &req("iac", false)).unwrap();
        assert!(out.changed);
        assert_eq!(out.object["data"], json!({"a": "1"}));
        assert_eq!(owners(&out.object), vec![("iac".to_string(), json!({"f:data": {"f:a": {}}}))]);
        let entry = &out.object["metadata"]["managedFields"][0];
        assert_eq!(entry["operation"], "Apply");
        assert_eq!(entry["fieldsType"], "FieldsV1");
        assert_eq!(entry["apiVersion"], "v1");
    }

    #[test]
    fn reapplying_the_same_configuration_changes_nothing() {
        let first = apply(None, &cm(json!({"a": "1"})), &req("iac", false)).unwrap().object;
        let later = ApplyRequest { now: "2026-06-01T00:00:00Z", ..req("iac", false) };
        let again = apply(Some(&first), &cm(json!({"a": "1"})), &later).unwrap();
        assert!(!again.changed);
        assert_eq!(again.object, first, "not even the entry's time moves");
    }

    #[test]
    fn another_manager_changing_an_owned_field_conflicts_unless_forced() {
        let live = apply(None, &cm(json!({"a": "1", "b": "2"})), &req("iac", false)).unwrap().object;
        let err = apply(Some(&live), &cm(json!({"a": "changed"})), &req("other", false)).unwrap_err();
        assert_eq!(err, vec![("iac".to_string(), "v1".to_string(), ".data.a".to_string())]);

        let same_value = apply(Some(&live), &cm(json!({"a": "1"})), &req("other", false)).unwrap().object;
        assert_eq!(owners(&same_value).len(), 2, "agreeing on a value shares ownership");

        let forced = apply(Some(&live), &cm(json!({"a": "changed"})), &req("other", true)).unwrap().object;
        assert_eq!(forced["data"], json!({"a": "changed", "b": "2"}));
        assert_eq!(owners(&forced), vec![("iac".to_string(), json!({"f:data": {"f:b": {}}})), ("other".to_string(), json!({"f:data": {"f:a": {}}}))]);
    }

    #[test]
    fn a_field_no_longer_applied_is_removed_unless_someone_else_owns_it() {
        let live = apply(None, &cm(json!({"a": "1", "b": "2"})), &req("iac", false)).unwrap().object;
        let shared = apply(Some(&live), &cm(json!({"b": "2"})), &req("other", false)).unwrap().object;
        let out = apply(Some(&shared), &cm(json!({})), &req("iac", false)).unwrap().object;
        assert_eq!(out["data"], json!({"b": "2"}), "a dropped, b kept for its other owner");
    }

    #[test]
    fn an_update_takes_the_fields_it_changes_from_their_appliers() {
        let live = apply(None, &cm(json!({"a": "1", "b": "2"})), &req("iac", false)).unwrap().object;
        let mut edited = live.clone();
        edited["data"]["a"] = json!("edited");
        edited["data"].as_object_mut().unwrap().remove("b");
        record_update(Some(&live), &mut edited, "kubectl-edit", "2026-01-02T00:00:00Z", true, None);
        let o = owners(&edited);
        assert_eq!(o, vec![("kubectl-edit".to_string(), json!({"f:data": {"f:a": {}}}))], "iac lost a (changed) and b (removed)");
        let err = apply(Some(&edited), &cm(json!({"a": "1"})), &req("iac", false)).unwrap_err();
        assert_eq!(err[0].0, "kubectl-edit");
    }

    #[test]
    fn status_is_kept_out_of_the_main_resource() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 1}, "status": {"readyReplicas": 5}});
        let live = apply(None, &d, &req("iac", false)).unwrap().object;
        assert!(live.get("status").is_none());
        d["status"] = json!({"readyReplicas": 1});
        let mut with_status = live.clone();
        with_status["status"] = json!({"readyReplicas": 3});
        let out = apply(Some(&with_status), &d, &req("iac", false)).unwrap();
        assert!(!out.changed);
        assert_eq!(out.object["status"]["readyReplicas"], 3);
    }

    #[test]
    fn keyed_list_items_are_owned_one_by_one() {
        let dep = |containers: Value| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": containers}}}});
        let live = apply(None, &dep(json!([{"name": "app", "image": "a:1"}])), &req("iac", false)).unwrap().object;
        let with_sidecar = apply(Some(&live), &dep(json!([{"name": "mesh", "image": "envoy"}])), &req("injector", false)).unwrap().object;
        let names: Vec<&str> = with_sidecar["spec"]["template"]["spec"]["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["app", "mesh"]);
        let bumped = apply(Some(&with_sidecar), &dep(json!([{"name": "app", "image": "a:2"}])), &req("iac", false)).unwrap().object;
        assert_eq!(bumped["spec"]["template"]["spec"]["containers"][1]["name"], "mesh", "the injector's item survives");
        let err = apply(Some(&bumped), &dep(json!([{"name": "app", "image": "a:3"}])), &req("injector", false)).unwrap_err();
        assert_eq!(err[0].2, ".spec.template.spec.containers[name=\"app\"].image");
    }
}
