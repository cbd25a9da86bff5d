//! The resource types, one module each (a typed model plus its
//! operations), and what they share: the `field_manager` and `timeouts`
//! blocks, and the `objects` map of the sets. `release_manifest` is
//! `helm_release.manifest`'s rendering, `release_write_only` keeps its
//! `set_wo` values out of state.

pub mod helm_release;
pub mod manifest;
pub mod manifests;
pub mod release_manifest;
pub mod release_write_only;
pub mod typed;

use std::collections::BTreeMap;
use std::time::Duration;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use serde_json::Value as Json;

use crate::cluster::FIELD_MANAGER;
use crate::error::{KubeError, Result};
use crate::readiness::WaitFor;
use crate::sets::SetOptions;

pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A string argument, None when empty.
pub fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Sets one attribute of an object value.
pub fn set(v: &mut Value, key: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(key.to_string(), x);
    }
}

/// A Terraform duration: `90s`, `10m`, `1h30m` (Go's grammar, as in `iac_core::time`).
pub fn parse_duration(s: &str) -> Result<Duration> {
    iac_core::time::parse_duration(s.trim()).map_err(|e| KubeError::Config(format!("{s:?} is not a duration (e.g. \"30s\", \"10m\", \"1h\"): {e}")))
}

/// The `field_manager` block.
#[derive(Model, Debug, Clone, Default)]
pub struct FieldManager {
    /// default "iac"
    #[sdk(optional)]
    pub name: Option<String>,
    /// take over fields another manager owns instead of failing
    #[sdk(optional)]
    pub force_conflicts: Option<bool>,
}

/// The field manager's name and whether it forces conflicts.
pub fn field_manager(fm: &Option<FieldManager>) -> (String, bool) {
    let name = fm.as_ref().and_then(|f| non_empty(&f.name)).unwrap_or(FIELD_MANAGER).to_string();
    let force = fm.as_ref().and_then(|f| f.force_conflicts).unwrap_or(false);
    (name, force)
}

/// The `timeouts` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Timeouts {
    #[sdk(optional)]
    pub create: Option<String>,
    #[sdk(optional)]
    pub update: Option<String>,
    #[sdk(optional)]
    pub delete: Option<String>,
}

/// The time limit the `timeouts` block sets for `which` operation
/// (`create`, `update` or `delete`), or `default`.
pub fn timeout(t: &Option<Timeouts>, which: &str, default: Duration) -> Result<Duration> {
    let set = t.as_ref().and_then(|t| match which {
        "create" => non_empty(&t.create),
        "update" => non_empty(&t.update),
        _ => non_empty(&t.delete),
    });
    set.map(parse_duration).unwrap_or(Ok(default))
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(300);

/// What applying a set takes from its configuration (`kubernetes_manifests`;
/// `helm_release` has its own names).
pub struct SetConfig<'a> {
    pub field_manager: &'a Option<FieldManager>,
    pub timeouts: &'a Option<Timeouts>,
    pub wait: WaitFor,
}

/// The set options of `kubernetes_manifests`.
pub fn set_options(c: SetConfig<'_>, creating: bool) -> Result<SetOptions> {
    let (manager, force) = field_manager(c.field_manager);
    Ok(SetOptions {
        manager,
        force,
        wait: c.wait,
        timeout: timeout(c.timeouts, if creating { "create" } else { "update" }, DEFAULT_TIMEOUT)?,
        delete_timeout: timeout(c.timeouts, "delete", DEFAULT_DELETE_TIMEOUT)?,
    })
}

/// The tracked objects (key → YAML) of a set.
pub fn tracked(objects: &Option<BTreeMap<String, String>>) -> BTreeMap<String, String> {
    objects.clone().unwrap_or_default()
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

/// Whether every attribute of `planned` but the provider's own is known:
/// the configuration is, and the set can be resolved now.
pub fn config_known(planned: &Value, computed: &[&str]) -> bool {
    planned.as_map().is_none_or(|m| m.iter().all(|(k, v)| computed.contains(&k.as_str()) || v.is_wholly_known()))
}

/// Refuses an import: a set's objects are imported one by one.
pub fn refuse_import(type_: &str) -> KubeError {
    KubeError::Unsupported(format!("import of {type_}: import each object as a kubernetes_manifest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_terraform_form() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("20").is_err(), "a unit is required, as in Terraform");
        assert!(parse_duration("10 minutes").is_err());
        assert!(parse_duration("5x").is_err());
    }
}
