//! Conversions of the API's JSON into the models' fields, and the
//! normalisations that keep DigitalOcean's own additions (automatic tags,
//! empty collections) from showing as drift.

use std::collections::{BTreeMap, BTreeSet};

use iac_core::Value;
use serde_json::Value as Json;

/// The tag that marks the pool a cluster resource manages inline.
pub const DEFAULT_POOL_TAG: &str = "terraform:default-node-pool";

/// A string field of the API's answer (None when absent or not a string).
pub fn s(j: &Json) -> Option<String> {
    j.as_str().map(str::to_string)
}

/// A string field the API always sends.
pub fn text(j: &Json) -> String {
    j.as_str().unwrap_or_default().to_string()
}

/// A whole-number field of the API's answer.
pub fn n(j: &Json) -> Option<i64> {
    j.as_f64().map(|f| f as i64)
}

/// Tags as a set without DigitalOcean's automatic ones; empty → None.
pub fn user_tags(j: &Json) -> Option<BTreeSet<String>> {
    let tags: BTreeSet<String> = j.as_array().into_iter().flatten().filter_map(Json::as_str).filter(|t| !is_auto_tag(t)).map(str::to_string).collect();
    (!tags.is_empty()).then_some(tags)
}

pub fn is_auto_tag(t: &str) -> bool {
    t == "k8s" || t == "k8s-worker" || t.starts_with("k8s:") || t == DEFAULT_POOL_TAG
}

/// Labels; empty → None.
pub fn labels(j: &Json) -> Option<BTreeMap<String, String>> {
    let m: BTreeMap<String, String> = j.as_object()?.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect();
    (!m.is_empty()).then_some(m)
}

/// Empty lists and maps at `keys` become null (DigitalOcean does not tell them apart).
pub fn empty_to_null(v: &mut Value, keys: &[&str]) {
    let Value::Map(m) = v else { return };
    for k in keys {
        if let Some(x) = m.get_mut(*k) {
            let empty = matches!(x.unmarked(), Value::List(l) if l.is_empty()) || matches!(x.unmarked(), Value::Map(mm) if mm.is_empty());
            if empty {
                *x = Value::Null;
            }
        }
    }
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

/// `timeouts` only bound the provider's waits. An object whose state has
/// none (an imported one: an import has no configuration to take them from)
/// is not updated just to record the configuration's, so an import plans no
/// change; they reach state with the object's next update. Called first in
/// `modify_plan` by every type that has a `timeouts` block.
pub fn keep_absent_timeouts(prior: Option<&Value>, planned: &mut Value) {
    let (Some(Value::Map(prior)), Value::Map(m)) = (prior, planned) else { return };
    if prior.get("timeouts").is_some_and(|t| !t.is_null()) || m.get("timeouts").is_none_or(Value::is_null) {
        return;
    }
    let (mut a, mut b) = (prior.clone(), m.clone());
    a.remove("timeouts");
    b.remove("timeouts");
    if a == b {
        m.insert("timeouts".to_string(), Value::Null);
    }
}
