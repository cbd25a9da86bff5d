//! The per-kind validation rules clients most often meet: workloads need a
//! selector that matches their pod template, containers need an image,
//! tolerations follow the API server's rules, selectors and Job templates
//! are immutable, and so is the data of an immutable ConfigMap or Secret.
//! Each broken rule is one 422 cause.

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
            tolerations(new, "/spec/template/spec", "spec.template.spec", &mut out);
            if let Some(old) = old {
                immutable("spec.template", old, new, "/spec/template", &mut out);
            }
        }
        ("", "Pod") => tolerations(new, "/spec", "spec", &mut out),
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
    tolerations(obj, "/spec/template/spec", "spec.template.spec", out);
}

const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// A pod spec's tolerations, as the API server checks them: an empty key
/// only with operator Exists (match everything); Exists takes no value;
/// the operator is Equal (or empty) or Exists; the effect, when given, a
/// taint effect; tolerationSeconds only with effect NoExecute.
fn tolerations(obj: &Value, pointer: &str, field: &str, out: &mut Vec<Cause>) {
    let list = obj.pointer(&format!("{pointer}/tolerations")).and_then(Value::as_array);
    for (i, t) in list.into_iter().flatten().enumerate() {
        let at = |child: &str| format!("{field}.tolerations[{i}].{child}");
        let text = |key: &str| t.get(key).and_then(Value::as_str).unwrap_or_default();
        let (key, operator, value, effect) = (text("key"), text("operator"), text("value"), text("effect"));
        if key.is_empty() && operator != "Exists" {
            out.push(cause(
                "FieldValueInvalid",
                &at("operator"),
                format!("Invalid value: \"{operator}\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""),
            ));
        }
        if t.get("tolerationSeconds").is_some_and(|s| !s.is_null()) && effect != "NoExecute" {
            out.push(cause(
                "FieldValueInvalid",
                &at("effect"),
                format!("Invalid value: \"{effect}\": effect must be 'NoExecute' when `tolerationSeconds` is set"),
            ));
        }
        match operator {
            "" | "Equal" => {}
            "Exists" if !value.is_empty() => {
                out.push(cause("FieldValueInvalid", &at("operator"), format!("Invalid value: \"{value}\": value must be empty when `operator` is 'Exists'")))
            }
            "Exists" => {}
            other => {
                out.push(cause("FieldValueNotSupported", &at("operator"), format!("Unsupported value: \"{other}\": supported values: \"Equal\", \"Exists\"")))
            }
        }
        if !effect.is_empty() && !TAINT_EFFECTS.contains(&effect) {
            out.push(cause(
                "FieldValueNotSupported",
                &at("effect"),
                format!("Unsupported value: \"{effect}\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""),
            ));
        }
    }
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
    fn tolerations_follow_the_api_servers_rules() {
        let d = rt("apps", "deployments");
        let with = |tolerations: Value| {
            let mut o = deployment(json!({"matchLabels": {"app": "x"}}), json!({"app": "x"}), "nginx");
            o["spec"]["template"]["spec"]["tolerations"] = tolerations;
            check(&d, None, &o).into_iter().map(|c| (c.field, c.message)).collect::<Vec<_>>()
        };
        let valid = json!([
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"operator": "Exists"},
            {"key": "k", "value": "v"}
        ]);
        assert_eq!(with(valid), []);
        let broken = with(json!([
            {"key": "k", "operator": "Exists", "value": "v"},
            {"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule", "tolerationSeconds": 60},
            {"operator": "Equal", "value": "v"},
            {"key": "k", "operator": "Matches", "effect": "Sometimes"}
        ]));
        let fields: Vec<&str> = broken.iter().map(|(f, _)| f.as_str()).collect();
        let f = "spec.template.spec.tolerations";
        assert_eq!(
            fields,
            [&format!("{f}[0].operator"), &format!("{f}[1].effect"), &format!("{f}[2].operator"), &format!("{f}[3].operator"), &format!("{f}[3].effect")]
        );
        assert!(broken[0].1.contains("value must be empty when `operator` is 'Exists'"), "{broken:?}");
        assert!(broken[1].1.contains("effect must be 'NoExecute' when `tolerationSeconds` is set"), "{broken:?}");
        assert!(broken[2].1.contains("operator must be Exists when `key` is empty"), "{broken:?}");
        assert!(broken[4].1.starts_with("Unsupported value: \"Sometimes\""), "{broken:?}");
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "x"}], "tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]}});
        assert_eq!(check(&rt("", "pods"), None, &pod)[0].field, "spec.tolerations[0].operator", "Pods are checked too");
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
