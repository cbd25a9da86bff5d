//! The per-kind validation rules clients most often meet: workloads need a
//! selector that matches their pod template, containers need an image,
//! selectors and Job templates are immutable, and so is the data of an
//! immutable ConfigMap or Secret. Each broken rule is one 422 cause.

use serde_json::Value;

use crate::catalog::ResourceType;
use crate::error::Cause;

fn cause(kind: &'static str, field: &str, message: String) -> Cause {
    Cause { kind, message, field: field.into() }
}

fn immutable(field: &str, old: &Value, new: &Value, pointer: &str, out: &mut Vec<Cause>) {
    if old.pointer(pointer) != new.pointer(pointer) {
        out.push(cause("FieldValueInvalid", field, "Invalid value: field is immutable".into()));
    }
}

/// The causes of a 422 for this write (empty: valid).
pub fn check(rt: &ResourceType, old: Option<&Value>, new: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") => {
            workload(new, &mut out);
            if let Some(old) = old {
                immutable("spec.selector", old, new, "/spec/selector", &mut out);
            }
        }
        ("batch", "Job") => {
            containers(new, "/spec/template/spec", "spec.template.spec", &mut out);
            if let Some(old) = old {
                immutable("spec.template", old, new, "/spec/template", &mut out);
            }
        }
        ("", "ConfigMap" | "Secret") => {
            if let Some(old) = old.filter(|o| o.get("immutable") == Some(&Value::Bool(true))) {
                for field in ["data", "binaryData", "stringData"] {
                    if old.get(field) != new.get(field) {
                        out.push(cause("FieldValueForbidden", field, "Forbidden: field is immutable when `immutable` is set".into()));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

fn workload(obj: &Value, out: &mut Vec<Cause>) {
    match obj.pointer("/spec/selector/matchLabels").and_then(Value::as_object) {
        None if obj.pointer("/spec/selector/matchExpressions").is_none() => out.push(cause("FieldValueRequired", "spec.selector", "Required value".into())),
        None => {}
        Some(wanted) => {
            let labels = obj.pointer("/spec/template/metadata/labels").and_then(Value::as_object);
            let matches = labels.is_some_and(|l| wanted.iter().all(|(k, v)| l.get(k) == Some(v)));
            if !matches {
                let shown = labels.map(|l| serde_json::to_string(l).unwrap_or_default()).unwrap_or_else(|| "{}".into());
                out.push(cause(
                    "FieldValueInvalid",
                    "spec.template.metadata.labels",
                    format!("Invalid value: {shown}: `selector` does not match template `labels`"),
                ));
            }
        }
    }
    containers(obj, "/spec/template/spec", "spec.template.spec", out);
}

fn containers(obj: &Value, pointer: &str, field: &str, out: &mut Vec<Cause>) {
    let list = obj.pointer(&format!("{pointer}/containers")).and_then(Value::as_array);
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        out.push(cause("FieldValueRequired", &format!("{field}.containers"), "Required value".into()));
        return;
    };
    for (i, c) in list.iter().enumerate() {
        if c.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
            out.push(cause("FieldValueRequired", &format!("{field}.containers[{i}].image"), "Required value".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::Catalog;

    fn rt(group: &str, plural: &str) -> ResourceType {
        Catalog::default().find(group, "v1", plural).cloned().unwrap()
    }

    fn deployment(selector: Value, labels: Value, image: &str) -> Value {
        json!({"spec": {"selector": selector, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "a", "image": image}]}}}})
    }

    #[test]
    fn workloads_need_a_matching_selector_and_images() {
        let d = rt("apps", "deployments");
        assert!(check(&d, None, &deployment(json!({"matchLabels": {"app": "x"}}), json!({"app": "x", "tier": "y"}), "nginx")).is_empty());
        let fields = |v: Vec<Cause>| v.into_iter().map(|c| c.field).collect::<Vec<_>>();
        assert_eq!(
            fields(check(&d, None, &deployment(json!({"matchLabels": {"app": "x"}}), json!({"app": "other"}), ""))),
            ["spec.template.metadata.labels", "spec.template.spec.containers[0].image"]
        );
        assert_eq!(fields(check(&d, None, &json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}))), ["spec.selector"]);
        let old = deployment(json!({"matchLabels": {"app": "x"}}), json!({"app": "x", "v": "2"}), "nginx");
        let new = deployment(json!({"matchLabels": {"app": "x", "v": "2"}}), json!({"app": "x", "v": "2"}), "nginx");
        assert_eq!(fields(check(&d, Some(&old), &new)), ["spec.selector"], "the selector is immutable");
    }

    #[test]
    fn immutable_config_maps_keep_their_data() {
        let cm = rt("", "configmaps");
        let old = json!({"immutable": true, "data": {"a": "1"}});
        assert!(check(&cm, Some(&old), &json!({"immutable": true, "data": {"a": "1"}, "metadata": {"labels": {"x": "y"}}})).is_empty());
        assert_eq!(check(&cm, Some(&old), &json!({"immutable": true, "data": {"a": "2"}}))[0].field, "data");
        assert!(check(&cm, Some(&json!({"data": {"a": "1"}})), &json!({"data": {"a": "2"}})).is_empty());
    }
}
