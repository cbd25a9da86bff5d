//! Conversions between the API's JSON and the resources' attribute values,
//! and the normalisations that keep DigitalOcean's own additions (automatic
//! tags, empty collections) from showing as drift.

use std::collections::BTreeMap;

use iac_core::schema::Block;
use iac_core::Value;
use serde_json::{json, Map, Value as Json};

/// The tag that marks the pool a cluster resource manages inline.
pub const DEFAULT_POOL_TAG: &str = "terraform:default-node-pool";

pub fn s(j: &Json) -> Value {
    j.as_str().map(Value::from).unwrap_or(Value::Null)
}

pub fn n(j: &Json) -> Value {
    j.as_f64().map(Value::Number).unwrap_or(Value::Null)
}

pub fn b(j: &Json) -> Value {
    Value::Bool(j.as_bool().unwrap_or(false))
}

/// Tags as a sorted set without DigitalOcean's automatic ones; empty → null.
pub fn user_tags(j: &Json) -> Value {
    let mut tags: Vec<String> = j.as_array().into_iter().flatten().filter_map(Json::as_str).filter(|t| !is_auto_tag(t)).map(str::to_string).collect();
    tags.sort();
    tags.dedup();
    if tags.is_empty() {
        Value::Null
    } else {
        Value::List(tags.into_iter().map(Value::String).collect())
    }
}

pub fn is_auto_tag(t: &str) -> bool {
    t == "k8s" || t == "k8s-worker" || t.starts_with("k8s:") || t == DEFAULT_POOL_TAG
}

pub fn labels(j: &Json) -> Value {
    match j.as_object() {
        Some(m) if !m.is_empty() => Value::Map(m.iter().map(|(k, v)| (k.clone(), s(v))).collect()),
        _ => Value::Null,
    }
}

/// A pool's attributes (`cluster_id` is added by the standalone resource).
pub fn pool_value(p: &Json) -> Value {
    let nodes: Vec<&Json> = p["nodes"].as_array().into_iter().flatten().filter(|n| n["status"]["state"] != "deleting").collect();
    let auto_scale = p["auto_scale"].as_bool().unwrap_or(false);
    Value::map([
        ("id", s(&p["id"])),
        ("name", s(&p["name"])),
        ("size", s(&p["size"])),
        ("node_count", n(&p["count"])),
        ("auto_scale", Value::Bool(auto_scale)),
        ("min_nodes", n(&p["min_nodes"])),
        ("max_nodes", n(&p["max_nodes"])),
        ("labels", labels(&p["labels"])),
        ("tags", user_tags(&p["tags"])),
        ("actual_node_count", Value::Number(nodes.len() as f64)),
        (
            "nodes",
            Value::List(
                nodes
                    .iter()
                    .map(|n| {
                        Value::map([
                            ("id", s(&n["id"])),
                            ("name", s(&n["name"])),
                            ("status", s(&n["status"]["state"])),
                            ("droplet_id", s(&n["droplet_id"])),
                            ("created_at", s(&n["created_at"])),
                            ("updated_at", s(&n["updated_at"])),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "taint",
            Value::List(
                p["taints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| Value::map([("key", s(&t["key"])), ("value", s(&t["value"])), ("effect", s(&t["effect"]))]))
                    .collect(),
            ),
        ),
    ])
}

/// The `kube_config` attribute from the kubeconfig YAML and the credentials.
pub fn kube_config(raw: &str, creds: &Json) -> Value {
    Value::List(vec![Value::map([
        ("raw_config", Value::from(raw)),
        ("host", s(&creds["server"])),
        ("cluster_ca_certificate", s(&creds["certificate_authority_data"])),
        ("client_key", Value::from(creds["client_key_data"].as_str().unwrap_or(""))),
        ("client_certificate", Value::from(creds["client_certificate_data"].as_str().unwrap_or(""))),
        ("token", s(&creds["token"])),
        ("expires_at", s(&creds["expires_at"])),
    ])])
}

/// Picks the pool a cluster resource manages: by id, else the tagged one, else the first.
pub fn inline_pool<'a>(cluster: &'a Json, id_hint: Option<&str>) -> Option<&'a Json> {
    let pools = cluster["node_pools"].as_array()?;
    id_hint
        .and_then(|id| pools.iter().find(|p| p["id"] == id))
        .or_else(|| pools.iter().find(|p| p["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == DEFAULT_POOL_TAG))))
        .or_else(|| pools.first())
}

pub fn cluster_value(c: &Json, pool: Option<&Json>, kube: Value) -> Value {
    let mp = &c["maintenance_policy"];
    let maintenance = if mp.is_object() {
        Value::List(vec![Value::map([("start_time", s(&mp["start_time"])), ("day", s(&mp["day"])), ("duration", s(&mp["duration"]))])])
    } else {
        Value::List(Vec::new())
    };
    let id = c["id"].as_str().unwrap_or("");
    Value::map([
        ("id", s(&c["id"])),
        ("urn", Value::String(format!("do:kubernetes:{id}"))),
        ("name", s(&c["name"])),
        ("region", s(&c["region"])),
        ("version", s(&c["version"])),
        ("vpc_uuid", s(&c["vpc_uuid"])),
        ("cluster_subnet", s(&c["cluster_subnet"])),
        ("service_subnet", s(&c["service_subnet"])),
        ("ha", b(&c["ha"])),
        ("auto_upgrade", b(&c["auto_upgrade"])),
        ("surge_upgrade", b(&c["surge_upgrade"])),
        ("registry_integration", b(&c["registry_enabled"])),
        ("tags", user_tags(&c["tags"])),
        ("endpoint", s(&c["endpoint"])),
        ("ipv4_address", s(&c["ipv4"])),
        ("status", s(&c["status"]["state"])),
        ("created_at", s(&c["created_at"])),
        ("updated_at", s(&c["updated_at"])),
        ("kube_config", kube),
        ("maintenance_policy", maintenance),
        ("node_pool", Value::List(pool.map(pool_value).into_iter().collect())),
    ])
}

/// The pool fields of a create or update request, from planned attributes.
pub fn pool_body(v: &Value, create: bool, default_pool: bool) -> Json {
    let mut m = Map::new();
    let str_of = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    m.insert("name".into(), json!(str_of("name").unwrap_or_default()));
    if create {
        m.insert("size".into(), json!(str_of("size").unwrap_or_default()));
    }
    let auto_scale = v.get("auto_scale").and_then(Value::as_bool).unwrap_or(false);
    let min = v.get("min_nodes").and_then(Value::as_f64);
    let count = v.get("node_count").and_then(Value::as_f64).or(if auto_scale { min.map(|m| m.max(1.0)) } else { None });
    if let Some(c) = count {
        m.insert("count".into(), json!(c as u64));
    } else if !create {
        m.insert("count".into(), json!(1));
    }
    let mut tags: Vec<String> = v.get("tags").and_then(Value::as_list).unwrap_or(&[]).iter().filter_map(|t| t.as_str().map(str::to_string)).collect();
    if default_pool {
        tags.push(DEFAULT_POOL_TAG.into());
    }
    m.insert("tags".into(), json!(tags));
    let labels: BTreeMap<String, String> = v
        .get("labels")
        .and_then(Value::as_map)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default();
    m.insert("labels".into(), json!(labels));
    let taints: Vec<Json> = v.get("taint").and_then(Value::as_list).unwrap_or(&[]).iter().map(|t| json!({"key": t.get("key").and_then(Value::as_str), "value": t.get("value").and_then(Value::as_str).unwrap_or(""), "effect": t.get("effect").and_then(Value::as_str)})).collect();
    m.insert("taints".into(), json!(taints));
    m.insert("auto_scale".into(), json!(auto_scale));
    if auto_scale {
        if let Some(x) = min {
            m.insert("min_nodes".into(), json!(x as u64));
        }
        if let Some(x) = v.get("max_nodes").and_then(Value::as_f64) {
            m.insert("max_nodes".into(), json!(x as u64));
        }
    }
    Json::Object(m)
}

/// Empty lists and maps at `keys` become null (DigitalOcean does not tell them apart).
pub fn empty_to_null(v: Value, keys: &[&str]) -> Value {
    let Value::Map(mut m) = v else { return v };
    for k in keys {
        if let Some(x) = m.get(*k) {
            let empty = matches!(x.unmarked(), Value::List(l) if l.is_empty()) || matches!(x.unmarked(), Value::Map(mm) if mm.is_empty());
            if empty {
                m.insert((*k).to_string(), Value::Null);
            }
        }
    }
    Value::Map(m)
}

/// Sets `key` to `default` when null.
pub fn default_to(v: Value, key: &str, default: Value) -> Value {
    let Value::Map(mut m) = v else { return v };
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), default);
    }
    Value::Map(m)
}

/// Every computed-only attribute of `block` becomes unknown (for a replacement).
pub fn unknown_computed(block: &Block, v: Value) -> Value {
    let Value::Map(mut m) = v else { return v };
    for (name, a) in &block.attributes {
        if a.computed && !a.optional {
            m.insert(name.clone(), Value::Unknown);
        }
    }
    for (name, nb) in &block.blocks {
        if let Some(Value::List(items)) = m.remove(name) {
            m.insert(name.clone(), Value::List(items.into_iter().map(|i| unknown_computed(&nb.block, i)).collect()));
        }
    }
    Value::Map(m)
}

/// Changes one attribute of a map value.
pub fn set(v: &mut Value, key: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(key.to_string(), x);
    }
}

pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `node_pool[0]` of a cluster value.
pub fn first_pool(v: &Value) -> Option<&Value> {
    v.get("node_pool").and_then(Value::as_list).and_then(|l| l.first())
}

pub fn with_first_pool(v: &mut Value, f: impl FnOnce(&mut Value)) {
    if let Value::Map(m) = v {
        if let Some(Value::List(l)) = m.get_mut("node_pool") {
            if let Some(p) = l.first_mut() {
                f(p);
            }
        }
    }
}
