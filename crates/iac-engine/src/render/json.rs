//! Machine-readable plans and state, in the shape of Terraform's
//! `show -json` (format_version, resource_changes, output_changes, ...),
//! with sensitive values redacted (null, and `true` in the sensitive mask).

use iac_core::address::{InstanceKey, Mode};
use iac_core::plan::{Plan, PlanMode};
use iac_core::state::State;
use iac_core::Value;
use serde_json::{json, Map, Value as Json};

/// Unknowns become null (flagged in after_unknown), sensitive values null (flagged in *_sensitive).
pub(crate) fn redact(v: &Value) -> Json {
    match v {
        Value::Sensitive(_) | Value::Unknown => Json::Null,
        Value::List(items) => Json::Array(items.iter().map(redact).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), redact(x))).collect()),
        other => other.to_json(),
    }
}

/// Terraform's type JSON (`"string"`, `["tuple", [...]]`, `["object",
/// {...}]`) for a value as stored, for `output -json`. Values carry no
/// collection kind, so a list, set or tuple is written as the tuple of its
/// elements' types and a map or object as the object of its attributes'
/// types (what Terraform writes for the literal of that value); null is
/// `"dynamic"`.
pub fn type_json(v: &Json) -> Json {
    match v {
        Json::Null => json!("dynamic"),
        Json::Bool(_) => json!("bool"),
        Json::Number(_) => json!("number"),
        Json::String(_) => json!("string"),
        Json::Array(items) => json!(["tuple", items.iter().map(type_json).collect::<Vec<_>>()]),
        Json::Object(m) => json!(["object", m.iter().map(|(k, x)| (k.clone(), type_json(x))).collect::<Map<_, _>>()]),
    }
}

fn index(k: &InstanceKey) -> Json {
    match k {
        InstanceKey::None => Json::Null,
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    }
}

fn mask_or_false(v: &Value, f: fn(&Value) -> Json) -> Json {
    let m = f(v);
    if m.is_null() {
        Json::Bool(false)
    } else {
        m
    }
}

pub fn plan_json(plan: &Plan) -> Json {
    let resource_changes: Vec<Json> = plan
        .changes
        .iter()
        .map(|c| {
            let r = &c.addr.resource;
            let mut o = Map::new();
            o.insert("address".into(), json!(c.addr.to_string()));
            if let Some(p) = &c.prev_addr {
                o.insert("previous_address".into(), json!(p.to_string()));
            }
            if !r.module.is_root() {
                o.insert("module_address".into(), json!(r.module.to_string()));
            }
            o.insert("mode".into(), json!(if r.mode == Mode::Data { "data" } else { "managed" }));
            o.insert("type".into(), json!(r.type_));
            o.insert("name".into(), json!(r.name));
            if c.addr.key != InstanceKey::None {
                o.insert("index".into(), index(&c.addr.key));
            }
            o.insert("provider_name".into(), json!(c.provider.name));
            o.insert(
                "change".into(),
                json!({
                    "actions": c.action.json_actions(c.create_before_destroy),
                    "before": redact(&c.before),
                    "after": redact(&c.after),
                    "after_unknown": mask_or_false(&c.after, |v| v.unknown_mask()),
                    "before_sensitive": mask_or_false(&c.before, |v| v.sensitive_mask()),
                    "after_sensitive": mask_or_false(&c.after, |v| v.sensitive_mask()),
                    "replace_paths": c.replace_paths.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
                    "importing": c.import_id.as_ref().map(|id| json!({"id": id})),
                }),
            );
            if let Some(reason) = &c.reason {
                o.insert("action_reason".into(), json!(reason));
            }
            Json::Object(o)
        })
        .collect();
    let output_changes: Map<String, Json> = plan
        .outputs
        .iter()
        .map(|o| {
            (
                o.name.clone(),
                json!({
                    "actions": o.action.json_actions(false),
                    "before": redact(&o.before),
                    "after": redact(&o.after),
                    "after_unknown": mask_or_false(&o.after, |v| v.unknown_mask()),
                    "before_sensitive": o.before.contains_sensitive() || o.sensitive,
                    "after_sensitive": o.after.contains_sensitive() || o.sensitive,
                }),
            )
        })
        .collect();
    let drift: Vec<Json> = plan
        .drift
        .iter()
        .map(|d| {
            json!({
                "address": d.addr.to_string(),
                "mode": if d.addr.resource.mode == Mode::Data { "data" } else { "managed" },
                "type": d.addr.resource.type_,
                "name": d.addr.resource.name,
                "change": {
                    "actions": d.action.json_actions(false),
                    "before": redact(&d.before),
                    "after": redact(&d.after),
                    "before_sensitive": mask_or_false(&d.before, |v| v.sensitive_mask()),
                    "after_sensitive": mask_or_false(&d.after, |v| v.sensitive_mask()),
                },
                "changed_paths": d.paths.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "format_version": "1.2",
        "iac_version": env!("CARGO_PKG_VERSION"),
        "plan_mode": match plan.mode { PlanMode::Normal => "normal", PlanMode::Destroy => "destroy", PlanMode::RefreshOnly => "refresh-only" },
        "variables": plan.variables.iter().map(|(k, v)| (k.clone(), json!({"value": redact(v)}))).collect::<Map<_, _>>(),
        "resource_changes": resource_changes,
        "resource_drift": drift,
        "output_changes": output_changes,
        "prior_state": state_json(&plan.prior_state),
        "applyable": plan.has_changes(),
    })
}

pub fn state_json(state: &State) -> Json {
    let resources: Vec<Json> = state
        .resources
        .iter()
        .map(|(addr, inst)| {
            let v = inst.value();
            json!({
                "address": addr.to_string(),
                "mode": if addr.resource.mode == Mode::Data { "data" } else { "managed" },
                "type": addr.resource.type_,
                "name": addr.resource.name,
                "index": index(&addr.key),
                "provider_name": inst.provider.name,
                "values": redact(&v),
                "sensitive_values": mask_or_false(&v, |v| v.sensitive_mask()),
                "depends_on": inst.dependencies.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "tainted": inst.status == iac_core::state::InstanceStatus::Tainted,
            })
        })
        .collect();
    json!({
        "format_version": "1.0",
        "lineage": state.lineage,
        "serial": state.serial,
        "values": {
            "outputs": state.outputs.iter().map(|(k, o)| (k.clone(), json!({"sensitive": o.sensitive, "value": if o.sensitive { Json::Null } else { o.value.clone() }}))).collect::<Map<_, _>>(),
            "root_module": { "resources": resources },
        }
    })
}
