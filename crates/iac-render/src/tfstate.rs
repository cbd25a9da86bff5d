//! Terraform's state file format, version 4 (`iac state pull`, `iac state
//! push`, migration from Terraform): resources grouped per module instance
//! with `instances[]` (index_key, schema_version, attributes,
//! sensitive_attributes, private, dependencies), outputs with their types,
//! full provider addresses, the check blocks' results (`check_results`).
//! Attributes of dynamic type (`terraform_data`'s
//! `input`) are written as Terraform writes them, `{"value", "type"}`.
//! iac's own extensions (pending intents, the journal) are never written:
//! a Terraform reader sees only what it knows.

use std::collections::BTreeMap;

use iac_core::address::{InstanceAddr, InstanceKey, Mode, ModulePath, ProviderAddr, ResourceAddr};
use iac_core::json::{Json, Map};
use iac_core::path::{AttrPath, PathStep};
use iac_core::plan::{CheckObject, CheckResult};
use iac_core::schema::AttrType;
use iac_core::state::{InstanceState, InstanceStatus, OutputState, State, STATE_FORMAT_VERSION};

/// `serde_json::json!` for literals, as an exact document (see `json.rs`).
macro_rules! json {
    ($($t:tt)+) => {
        Json::from(serde_json::json!($($t)+))
    };
}

use crate::json::{output_type_json, terraform_version, type_json};
use iac_engine::providers::Registry;
use iac_lang::tfconfig::provider_full_name;

/// Names of a resource type's top-level attributes of dynamic type.
fn dynamic_attributes(registry: &Registry, provider: &str, type_: &str) -> Vec<String> {
    registry
        .get(provider)
        .and_then(|f| {
            f.schema()
                .resources
                .get(type_)
                .map(|r| r.block.attributes.iter().filter(|(_, a)| matches!(a.type_, AttrType::Any)).map(|(n, _)| n.clone()).collect())
        })
        .unwrap_or_default()
}

fn path_json(p: &AttrPath) -> Json {
    Json::Array(
        p.0.iter()
            .map(|s| match s {
                PathStep::Attr(a) => json!({"type": "get_attr", "value": a}),
                PathStep::Key(k) => json!({"type": "index", "value": {"value": k, "type": "string"}}),
                PathStep::Index(i) => json!({"type": "index", "value": {"value": i, "type": "number"}}),
            })
            .collect(),
    )
}

fn path_from_json(j: &Json) -> Option<AttrPath> {
    let steps = j.as_array()?.iter().map(|s| match s["type"].as_str()? {
        "get_attr" => Some(PathStep::Attr(s["value"].as_str()?.to_string())),
        "index" => match &s["value"]["value"] {
            Json::String(k) => Some(PathStep::Key(k.clone())),
            n @ Json::Number(_) => Some(PathStep::Index(n.as_u64()? as usize)),
            _ => None,
        },
        _ => None,
    });
    Some(AttrPath(steps.collect::<Option<Vec<_>>>()?))
}

/// `provider["registry.terraform.io/hashicorp/aws"].alias`, with the module prefix where configured.
fn provider_string(p: &ProviderAddr, sources: &BTreeMap<String, String>) -> String {
    let mut s = String::new();
    if !p.module.is_empty() {
        s.push_str(&p.module);
        s.push('.');
    }
    s.push_str(&format!("provider[\"{}\"]", provider_full_name(&p.name, sources)));
    if let Some(a) = &p.alias {
        s.push('.');
        s.push_str(a);
    }
    s
}

fn provider_from_string(s: &str) -> Result<ProviderAddr, String> {
    let start = s.find("provider[\"").ok_or_else(|| format!("provider {s:?} is not a provider address"))?;
    let module = s[..start].trim_end_matches('.').to_string();
    let rest = &s[start + "provider[\"".len()..];
    let end = rest.find("\"]").ok_or_else(|| format!("provider {s:?} is not a provider address"))?;
    let full = &rest[..end];
    let alias = rest[end + 2..].strip_prefix('.').map(str::to_string);
    let name = full.rsplit('/').next().unwrap_or(full).to_string();
    Ok(ProviderAddr { module, name, alias })
}

/// The state in Terraform's format version 4.
pub fn to_v4(state: &State, sources: &BTreeMap<String, String>, registry: &Registry) -> Json {
    let outputs: Map = state
        .outputs
        .iter()
        .map(|(k, o)| {
            let mut j = Map::new();
            let value = Json::from_value(&o.value);
            let type_ = output_type_json(o);
            j.insert("value".into(), value);
            j.insert("type".into(), type_);
            if o.sensitive {
                j.insert("sensitive".into(), json!(true));
            }
            (k.clone(), Json::Object(j))
        })
        .collect();
    // One entry per resource per module instance, instances in key order.
    type Resource = (ModulePath, bool, String, String); // module, managed, type, name
    type Object<'a> = (&'a InstanceAddr, &'a InstanceState, Option<&'a str>); // address, object, deposed key
    let mut groups: BTreeMap<Resource, Vec<Object>> = BTreeMap::new();
    // Deposed objects (create-before-destroy leftovers) follow their instance's current one.
    let objects = state.resources.iter().map(|(a, i)| (a, i, None)).chain(state.deposed.iter().map(|d| (&d.addr, &d.instance, Some(d.key.as_str()))));
    for (addr, inst, deposed) in objects {
        let r = &addr.resource;
        groups.entry((r.module.clone(), r.mode != Mode::Data, r.type_.clone(), r.name.clone())).or_default().push((addr, inst, deposed));
    }
    for instances in groups.values_mut() {
        instances.sort_by(|a, b| (&a.0.key, a.2).cmp(&(&b.0.key, b.2)));
    }
    let resources: Vec<Json> = groups
        .into_iter()
        .map(|((module, managed, type_, name), instances)| {
            let provider = &instances[0].1.provider;
            let dynamic = dynamic_attributes(registry, &provider.name, &type_);
            let mut r = Map::new();
            if !module.is_root() {
                r.insert("module".into(), json!(module.to_string()));
            }
            r.insert("mode".into(), json!(if managed { "managed" } else { "data" }));
            r.insert("type".into(), json!(type_));
            r.insert("name".into(), json!(name));
            r.insert("provider".into(), json!(provider_string(provider, sources)));
            let instances: Vec<Json> = instances
                .into_iter()
                .map(|(addr, inst, deposed)| {
                    let mut i = Map::new();
                    match &addr.key {
                        InstanceKey::None => {}
                        InstanceKey::Int(n) => {
                            i.insert("index_key".into(), json!(n));
                        }
                        InstanceKey::Str(s) => {
                            i.insert("index_key".into(), json!(s));
                        }
                    }
                    if inst.status == InstanceStatus::Tainted {
                        i.insert("status".into(), json!("tainted"));
                    }
                    if let Some(key) = deposed {
                        i.insert("deposed".into(), json!(key));
                    }
                    i.insert("schema_version".into(), json!(inst.schema_version));
                    let mut attrs = Json::from_value(&inst.attributes);
                    if let Json::Object(m) = &mut attrs {
                        for d in &dynamic {
                            if let Some(v) = m.get_mut(d) {
                                if !v.is_null() {
                                    let type_ = type_json(v);
                                    *v = Json::Object(Map::from_iter([("value", std::mem::take(v)), ("type", type_)]));
                                }
                            }
                        }
                    }
                    i.insert("attributes".into(), attrs);
                    i.insert("sensitive_attributes".into(), Json::Array(inst.sensitive_paths.iter().map(path_json).collect()));
                    // Terraform's private data is the provider's opaque bytes (base64); iac's own notes stay out.
                    if let Some(serde_json::Value::String(p)) = &inst.private {
                        i.insert("private".into(), json!(p));
                    }
                    if !inst.dependencies.is_empty() {
                        let mut deps: Vec<String> = inst.dependencies.iter().map(|d| d.to_string()).collect();
                        deps.sort();
                        i.insert("dependencies".into(), json!(deps));
                    }
                    if inst.create_before_destroy {
                        i.insert("create_before_destroy".into(), json!(true));
                    }
                    Json::Object(i)
                })
                .collect();
            r.insert("instances".into(), Json::Array(instances));
            Json::Object(r)
        })
        .collect();
    let mut j = Map::new();
    j.insert("version".into(), json!(4));
    j.insert("terraform_version".into(), json!(terraform_version()));
    j.insert("serial".into(), json!(state.serial));
    j.insert("lineage".into(), json!(state.lineage));
    j.insert("outputs".into(), Json::Object(outputs));
    j.insert("resources".into(), Json::Array(resources));
    j.insert("check_results".into(), check_results_json(&state.check_results));
    Json::Object(j)
}

/// Terraform's `check_results`: per checkable object (check block, resource
/// or output with conditions, variable with validations) its kind,
/// configuration address and status,
/// and each instance's, with the failure messages; null when there are
/// none, as Terraform writes it (and an object's `objects` null when it has
/// no instances).
fn check_results_json(results: &[CheckResult]) -> Json {
    if results.is_empty() {
        return Json::Null;
    }
    Json::Array(
        results
            .iter()
            .map(|r| {
                let objects: Vec<Json> = r
                    .instances
                    .iter()
                    .map(|i| {
                        let mut o = Map::new();
                        o.insert("object_addr".into(), json!(r.instance_address(i)));
                        o.insert("status".into(), json!(i.status));
                        if !i.problems.is_empty() {
                            o.insert("failure_messages".into(), json!(i.problems));
                        }
                        Json::Object(o)
                    })
                    .collect();
                let kind = match r.object {
                    CheckObject::Check => "check",
                    CheckObject::Resource { .. } => "resource",
                    CheckObject::OutputValue => "output",
                    CheckObject::InputVariable => "var",
                };
                let mut c = Map::new();
                c.insert("object_kind".into(), json!(kind));
                c.insert("config_addr".into(), json!(r.config_address()));
                c.insert("status".into(), json!(r.status));
                c.insert("objects".into(), if objects.is_empty() { Json::Null } else { Json::Array(objects) });
                Json::Object(c)
            })
            .collect(),
    )
}

fn parse_module(s: &str) -> Result<ModulePath, String> {
    if s.is_empty() {
        return Ok(ModulePath::root());
    }
    let probe: InstanceAddr = format!("{s}.x.y").parse().map_err(|e| format!("module address {s:?}: {e}"))?;
    Ok(probe.resource.module)
}

/// Reads Terraform's state format version 4 (or iac's own snapshot format).
pub fn from_v4(bytes: &[u8], registry: &Registry) -> Result<State, String> {
    let j = Json::from_slice(bytes).map_err(|e| format!("the state is not JSON: {e}"))?;
    match j["version"].as_u64() {
        Some(4) => {}
        Some(v) if v as u32 <= STATE_FORMAT_VERSION && j.get("resources").is_some_and(Json::is_object) => return State::from_bytes(bytes),
        Some(v) => return Err(format!("state format version {v} is not supported (Terraform's version 4 is)")),
        None => return Err("the state has no format version".into()),
    }
    let lineage = j["lineage"].as_str().ok_or("the state has no lineage")?.to_string();
    let mut state = State::new(lineage);
    state.serial = j["serial"].as_u64().unwrap_or(0);
    for (k, o) in j["outputs"].as_object().into_iter().flatten() {
        state.outputs.insert(
            k.clone(),
            OutputState {
                value: o["value"].to_value(),
                sensitive: o["sensitive"].as_bool().unwrap_or(false),
                type_: Some(o["type"].to_serde_json()).filter(|t| !t.is_null()),
            },
        );
    }
    for r in j["resources"].as_array().into_iter().flatten() {
        let module = parse_module(r["module"].as_str().unwrap_or(""))?;
        let mode = match r["mode"].as_str() {
            Some("data") => Mode::Data,
            _ => Mode::Managed,
        };
        let type_ = r["type"].as_str().ok_or("a resource without a type")?.to_string();
        let name = r["name"].as_str().ok_or("a resource without a name")?.to_string();
        let provider = provider_from_string(r["provider"].as_str().ok_or("a resource without a provider")?)?;
        let dynamic = dynamic_attributes(registry, &provider.name, &type_);
        let raddr = ResourceAddr { module: module.clone(), mode, type_, name };
        for i in r["instances"].as_array().into_iter().flatten() {
            let key = match &i["index_key"] {
                n @ Json::Number(_) => InstanceKey::Int(n.as_i64().ok_or("a fractional index_key")?),
                Json::String(s) => InstanceKey::Str(s.clone()),
                _ => InstanceKey::None,
            };
            let mut attributes = i["attributes"].clone();
            if let Json::Object(m) = &mut attributes {
                for d in &dynamic {
                    if let Some(v) = m.get_mut(d) {
                        if let Some(inner) =
                            v.as_object().filter(|o| o.len() == 2 && o.contains_key("value") && o.contains_key("type")).map(|o| o["value"].clone())
                        {
                            *v = inner;
                        }
                    }
                }
            }
            let dependencies = i["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str())
                .filter_map(|d| d.parse::<InstanceAddr>().ok().map(|a| a.resource))
                .collect();
            let inst = InstanceState {
                provider: provider.clone(),
                schema_version: i["schema_version"].as_u64().unwrap_or(0),
                attributes: attributes.to_value(),
                sensitive_paths: i["sensitive_attributes"].as_array().into_iter().flatten().filter_map(path_from_json).collect(),
                dependencies,
                create_before_destroy: i["create_before_destroy"].as_bool().unwrap_or(false),
                status: if i["status"] == "tainted" { InstanceStatus::Tainted } else { InstanceStatus::Ready },
                private: i["private"].as_str().map(|p| serde_json::Value::String(p.to_string())),
            };
            // A deposed object (Terraform's interrupted create-before-destroy) stays deposed: the next plan destroys it.
            match i["deposed"].as_str() {
                Some(d) => state.deposed.push(iac_core::state::DeposedObject { addr: raddr.instance(key), key: d.to_string(), instance: inst }),
                None => {
                    state.resources.insert(raddr.instance(key), inst);
                }
            }
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deposed object is Terraform's `deposed` instance entry, after its
    /// instance's current object, and reads back deposed.
    #[test]
    fn deposed_objects_round_trip_through_terraforms_format() {
        let addr: InstanceAddr = "terraform_data.a".parse().unwrap();
        let object = |id: &str| InstanceState::from_value(ProviderAddr::new("terraform"), iac_core::Value::map([("id", iac_core::Value::from(id))]));
        let mut state = State::new("L".into());
        state.resources.insert(addr.clone(), object("new"));
        state.deposed.push(iac_core::state::DeposedObject { addr: addr.clone(), key: "0a1b2c3d".into(), instance: object("old") });
        let registry = Registry::new();
        let v4 = to_v4(&state, &BTreeMap::new(), &registry);
        let instances = v4["resources"].as_array().unwrap()[0]["instances"].as_array().unwrap().clone();
        assert_eq!(instances.len(), 2, "{v4}");
        assert!(instances[0].get("deposed").is_none());
        assert!(instances[1]["deposed"] == "0a1b2c3d", "{v4}");
        let back = from_v4(v4.to_string().as_bytes(), &registry).unwrap();
        assert_eq!(back.resources[&addr].attributes, object("new").attributes);
        assert_eq!(back.deposed.len(), 1);
        assert_eq!((back.deposed[0].key.as_str(), &back.deposed[0].instance.attributes), ("0a1b2c3d", &object("old").attributes));
    }
}
