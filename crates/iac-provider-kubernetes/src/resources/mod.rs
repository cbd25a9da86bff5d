//! The resources, one module each, and what they share: reading their
//! configuration (field manager, waits, timeouts) and the `objects` map.

pub mod helm_release;
pub mod manifest;
pub mod manifests;

use std::collections::BTreeMap;
use std::time::Duration;

use iac_core::Value;
use serde_json::Value as Json;

use crate::cluster::FIELD_MANAGER;
use crate::error::{KubeError, Result};
use crate::readiness::WaitFor;
use crate::sets::SetOptions;

pub fn get_bool(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Sets one attribute of an object value.
pub fn set(v: &mut Value, key: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(key.to_string(), x);
    }
}

/// A Terraform duration: `90s`, `10m`, `1h30m`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || KubeError::Config(format!("{s:?} is not a duration (e.g. \"30s\", \"10m\", \"1h\")"));
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Ok(Duration::from_secs_f64(n.max(0.0)));
    }
    let mut total = 0.0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return Err(bad()),
        };
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// The `timeouts` block's value for `which`, or `default`.
pub fn timeout(config: &Value, which: &str, default: Duration) -> Result<Duration> {
    match config.get("timeouts").and_then(|t| t.get(which)).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => parse_duration(s),
        _ => Ok(default),
    }
}

/// The field manager's name and whether it forces conflicts.
pub fn field_manager(config: &Value) -> (String, bool) {
    let fm = config.get("field_manager");
    let name = fm.and_then(|f| get_str(f, "name")).unwrap_or(FIELD_MANAGER).to_string();
    let force = fm.and_then(|f| get_bool(f, "force_conflicts")).unwrap_or(false);
    (name, force)
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(300);

/// The set options of `kubernetes_manifests` (and, through its own names, `helm_release`).
pub fn set_options(config: &Value, creating: bool) -> Result<SetOptions> {
    let (manager, force) = field_manager(config);
    Ok(SetOptions {
        manager,
        force,
        wait: WaitFor {
            rollout: get_bool(config, "wait_for_rollout").unwrap_or(true),
            load_balancer: get_bool(config, "wait_for_load_balancer").unwrap_or(false),
            applications: get_bool(config, "wait_for_applications").unwrap_or(false),
        },
        timeout: timeout(config, if creating { "create" } else { "update" }, DEFAULT_TIMEOUT)?,
        delete_timeout: timeout(config, "delete", DEFAULT_DELETE_TIMEOUT)?,
    })
}

/// The tracked objects (key → YAML) of a state value.
pub fn tracked(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(|v| v.get("objects"))
        .and_then(Value::as_map)
        .map(|m| m.iter().filter_map(|(k, y)| y.as_str().map(|y| (k.clone(), y.to_string()))).collect())
        .unwrap_or_default()
}

pub fn objects_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(m.iter().map(|(k, y)| (k.clone(), Value::String(y.clone()))).collect())
}

/// The owned-field hashes kept in the provider's private data.
pub fn hashes(private: Option<&Json>) -> BTreeMap<String, String> {
    private
        .and_then(|p| p.get("hashes"))
        .and_then(Json::as_object)
        .map(|m| m.iter().filter_map(|(k, h)| h.as_str().map(|h| (k.clone(), h.to_string()))).collect())
        .unwrap_or_default()
}

pub fn hashes_private(h: &BTreeMap<String, String>) -> Json {
    serde_json::json!({ "hashes": h })
}

/// The desired set from the planned `objects` map.
pub fn desired_from_objects(objects: &BTreeMap<String, String>) -> Result<crate::sets::Desired> {
    let mut d = crate::sets::Desired::new();
    for (k, y) in objects {
        let o = crate::object::from_yaml(y, k)?;
        let id = crate::object::ObjectId::of(&o, k)?;
        d.insert(k.clone(), (id, o));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_terraform_form() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("20").unwrap(), Duration::from_secs(20));
        assert!(parse_duration("10 minutes").is_err());
        assert!(parse_duration("5x").is_err());
    }
}
