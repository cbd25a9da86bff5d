//! Machine-readable plans and state in Terraform's JSON output format
//! (`terraform show -json`, plan format_version 1.2, state values format
//! 1.0): `planned_values`, `resource_changes` with Terraform's
//! `action_reason` values, unknown values omitted from `after` and flagged
//! in `after_unknown`, `prior_state` and `values` with `child_modules`,
//! full provider addresses, the `configuration` made with the plan.
//!
//! One deliberate difference: sensitive values are redacted (null, and
//! `true` in the sensitive masks) unless [`Options::show_sensitive`] asks
//! for them, as policy engines that inspect them must.

use std::collections::BTreeMap;

use iac_core::address::{InstanceAddr, InstanceKey, Mode, ModulePath};
use iac_core::json::{Json, Map};
use iac_core::plan::{Action, Plan, ResourceChange};
use iac_core::state::State;
use iac_core::Value;

/// `serde_json::json!` for literals, as an exact document. A document
/// cannot be interpolated into one (it is not `Serialize`), so no value
/// goes through serde_json's float64s on the way.
macro_rules! json {
    ($($t:tt)+) => {
        Json::from(serde_json::json!($($t)+))
    };
}

use iac_lang::tfconfig::provider_full_name;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Show sensitive values (Terraform always does; iac only when asked).
    pub show_sensitive: bool,
}

/// The Terraform version whose language (and JSON formats) iac implements.
pub fn terraform_version() -> String {
    let (a, b, c) = iac_engine::version::LANGUAGE_VERSION;
    format!("{a}.{b}.{c}")
}

/// Unknowns become null (flagged in after_unknown), sensitive values null (flagged in *_sensitive).
pub(crate) fn redact(v: &Value) -> Json {
    plain(v, Options::default())
}

/// The whole value: unknowns null, sensitive values null unless shown.
fn plain(v: &Value, o: Options) -> Json {
    match v {
        Value::Unknown => Json::Null,
        Value::Sensitive(inner) if o.show_sensitive => plain(inner, o),
        Value::Sensitive(_) => Json::Null,
        Value::List(items) => Json::Array(items.iter().map(|x| plain(x, o)).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), plain(x, o))).collect()),
        other => Json::from_value(other),
    }
}

/// Terraform's `omitUnknowns`: unknown attributes left out of objects,
/// unknown elements null in sequences (their position carries meaning);
/// None when the value itself is unknown.
fn omit_unknowns(v: &Value, o: Options) -> Option<Json> {
    match v {
        Value::Unknown => None,
        Value::Sensitive(inner) => {
            let j = omit_unknowns(inner, o)?;
            Some(if o.show_sensitive { j } else { Json::Null })
        }
        Value::List(items) => Some(Json::Array(items.iter().map(|x| omit_unknowns(x, o).unwrap_or(Json::Null)).collect())),
        Value::Map(m) => Some(Json::Object(m.iter().filter_map(|(k, x)| omit_unknowns(x, o).map(|j| (k.clone(), j))).collect())),
        other => Some(Json::from_value(other)),
    }
}

/// Terraform's `unknownAsBool`: `true` where unknown; objects keep only
/// their non-false entries, sequences every element.
fn unknown_as_bool(v: &Value) -> Json {
    match v {
        Value::Unknown => json!(true),
        Value::Sensitive(inner) => unknown_as_bool(inner),
        Value::List(items) => Json::Array(items.iter().map(unknown_as_bool).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), unknown_as_bool(x))).filter(|(_, j)| j != &json!(false)).collect()),
        _ => json!(false),
    }
}

/// Terraform's `SensitiveAsBool`, the same shape for sensitive marks.
fn sensitive_as_bool(v: &Value) -> Json {
    match v {
        Value::Sensitive(_) => json!(true),
        Value::List(items) => Json::Array(items.iter().map(sensitive_as_bool).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), sensitive_as_bool(x))).filter(|(_, j)| j != &json!(false)).collect()),
        _ => json!(false),
    }
}

/// `after_unknown` of a resource change: `{}` when nothing is unknown.
fn after_unknown(v: &Value) -> Json {
    if v.is_wholly_known() {
        json!({})
    } else {
        unknown_as_bool(v)
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
        Json::Array(items) => Json::Array(vec![json!("tuple"), Json::Array(items.iter().map(type_json).collect())]),
        Json::Object(m) => Json::Array(vec![json!("object"), Json::Object(m.iter().map(|(k, x)| (k.clone(), type_json(x))).collect())]),
    }
}

/// An output's type JSON: the one recorded with it (from the value's
/// collection kinds), else the type of its JSON value (older states).
pub fn output_type_json(out: &iac_core::state::OutputState) -> Json {
    out.type_.clone().map(Json::from).unwrap_or_else(|| type_json(&Json::from_value(&out.value)))
}

fn index(k: &InstanceKey) -> Json {
    match k {
        InstanceKey::None => Json::Null,
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    }
}

fn mode(addr: &InstanceAddr) -> &'static str {
    if addr.resource.mode == Mode::Data {
        "data"
    } else {
        "managed"
    }
}

/// Terraform's order of resource instances (`AbsResourceInstance.Less`),
/// in which its plans list their changes and its JSON documents their
/// resources: module instances with shorter paths first, then step by step
/// by name and key; within one, data sources before managed resources, then
/// type, name, and key (none, then numbers in numeric order, then strings
/// byte by byte).
pub fn instance_order(a: &InstanceAddr, b: &InstanceAddr) -> std::cmp::Ordering {
    order_key(a).cmp(&order_key(b))
}

fn order_key(a: &InstanceAddr) -> (usize, &ModulePath, bool, &str, &str, &InstanceKey) {
    let module = &a.resource.module;
    (module.0.len(), module, a.resource.mode != Mode::Data, &a.resource.type_, &a.resource.name, &a.key)
}

/// The head of a resource object (address through provider_name).
fn resource_head(addr: &InstanceAddr, provider: &str) -> Map {
    let mut o = Map::new();
    o.insert("address".into(), json!(addr.to_string()));
    o.insert("mode".into(), json!(mode(addr)));
    o.insert("type".into(), json!(addr.resource.type_));
    o.insert("name".into(), json!(addr.resource.name));
    if addr.key != InstanceKey::None {
        o.insert("index".into(), index(&addr.key));
    }
    o.insert("provider_name".into(), json!(provider));
    o
}

/// Resources per module instance → Terraform's module tree
/// (`resources`, `address`, `child_modules`), children sorted by address.
fn module_tree(resources: Vec<(InstanceAddr, Json)>) -> Json {
    let mut by_module: BTreeMap<ModulePath, Vec<(InstanceAddr, Json)>> = BTreeMap::new();
    by_module.entry(ModulePath::root()).or_default();
    for (addr, j) in resources {
        let mut p = addr.resource.module.clone();
        by_module.entry(p.clone()).or_default().push((addr, j));
        while p.0.pop().is_some() {
            by_module.entry(p.clone()).or_default();
        }
    }
    fn build(path: &ModulePath, by_module: &mut BTreeMap<ModulePath, Vec<(InstanceAddr, Json)>>) -> Map {
        let mut o = Map::new();
        let mut rs = by_module.remove(path).unwrap_or_default();
        rs.sort_by(|a, b| instance_order(&a.0, &b.0));
        if !rs.is_empty() {
            o.insert("resources".into(), Json::Array(rs.into_iter().map(|(_, j)| j).collect()));
        }
        if !path.is_root() {
            o.insert("address".into(), json!(path.to_string()));
        }
        let mut children: Vec<ModulePath> = by_module.keys().filter(|p| p.0.len() == path.0.len() + 1 && p.0.starts_with(&path.0)).cloned().collect();
        children.sort_by_key(|p| p.to_string());
        let children: Vec<Json> = children.iter().map(|c| Json::Object(build(c, by_module))).collect();
        if !children.is_empty() {
            o.insert("child_modules".into(), Json::Array(children));
        }
        o
    }
    Json::Object(build(&ModulePath::root(), &mut by_module))
}

/// Terraform's state values (`outputs`, `root_module`); None for an empty state.
fn state_values(state: &State, sources: &BTreeMap<String, String>, o: Options) -> Option<Json> {
    if state.is_empty() {
        return None;
    }
    let resources: Vec<(InstanceAddr, Json)> = state
        .resources
        .iter()
        .map(|(addr, inst)| {
            let v = inst.value();
            let mut r = resource_head(addr, &provider_full_name(&inst.provider.name, sources));
            r.insert("schema_version".into(), json!(inst.schema_version));
            r.insert("values".into(), plain(&v, o));
            r.insert("sensitive_values".into(), sensitive_as_bool(&v));
            if !inst.dependencies.is_empty() {
                let mut deps: Vec<String> = inst.dependencies.iter().map(|d| d.to_string()).collect();
                deps.sort();
                r.insert("depends_on".into(), json!(deps));
            }
            if inst.status == iac_core::state::InstanceStatus::Tainted {
                r.insert("tainted".into(), json!(true));
            }
            (addr.clone(), Json::Object(r))
        })
        .collect();
    let mut values = Map::new();
    if !state.outputs.is_empty() {
        let outputs: Map = state
            .outputs
            .iter()
            .map(|(k, out)| {
                let whole = Json::from_value(&out.value);
                let mut j = Map::new();
                let type_ = output_type_json(out);
                j.insert("sensitive".into(), Json::Bool(out.sensitive));
                j.insert("value".into(), if out.sensitive && !o.show_sensitive { Json::Null } else { whole });
                j.insert("type".into(), type_);
                (k.clone(), Json::Object(j))
            })
            .collect();
        values.insert("outputs".into(), Json::Object(outputs));
    }
    values.insert("root_module".into(), module_tree(resources));
    Some(Json::Object(values))
}

/// `show -json` of state: Terraform's state representation.
pub fn state_json(state: &State, sources: &BTreeMap<String, String>, o: Options) -> Json {
    let mut j = Map::new();
    j.insert("format_version".into(), json!("1.0"));
    j.insert("terraform_version".into(), json!(terraform_version()));
    if let Some(v) = state_values(state, sources, o) {
        j.insert("values".into(), v);
    }
    Json::Object(j)
}

fn change_json(c: &ResourceChange, o: Options) -> Json {
    let mut ch = Map::new();
    ch.insert("actions".into(), json!(c.action.json_actions(c.create_before_destroy)));
    ch.insert("before".into(), plain(&c.before, o));
    if let Some(after) = omit_unknowns(&c.after, o) {
        ch.insert("after".into(), after);
    }
    ch.insert("after_unknown".into(), after_unknown(&c.after));
    ch.insert("before_sensitive".into(), sensitive_as_bool(&c.before));
    ch.insert("after_sensitive".into(), sensitive_as_bool(&c.after));
    if !c.replace_paths.is_empty() {
        ch.insert("replace_paths".into(), Json::Array(c.replace_paths.iter().map(|p| Json::from(p.to_json())).collect()));
    }
    if let Some(id) = &c.import_id {
        ch.insert("importing".into(), json!({ "id": id }));
    }
    Json::Object(ch)
}

fn resource_change_json(c: &ResourceChange, sources: &BTreeMap<String, String>, o: Options) -> Json {
    let mut r = Map::new();
    r.insert("address".into(), json!(c.addr.to_string()));
    if let Some(p) = &c.prev_addr {
        r.insert("previous_address".into(), json!(p.to_string()));
    }
    if !c.addr.resource.module.is_root() {
        r.insert("module_address".into(), json!(c.addr.resource.module.to_string()));
    }
    for (k, v) in resource_head(&c.addr, &provider_full_name(&c.provider.name, sources)) {
        if k != "address" {
            r.insert(k, v);
        }
    }
    if let Some(key) = &c.deposed {
        r.insert("deposed".into(), json!(key));
    }
    r.insert("change".into(), change_json(c, o));
    if let Some(reason) = &c.reason {
        r.insert("action_reason".into(), json!(reason));
    }
    Json::Object(r)
}

/// Nulls the defaults of sensitive variables in a configuration module and its calls.
fn redact_sensitive_defaults(module: &mut Json) {
    if let Some(Json::Object(vars)) = module.get_mut("variables") {
        for v in vars.values_mut() {
            if v.get("sensitive") == Some(&json!(true)) {
                if let Some(d) = v.get_mut("default") {
                    *d = Json::Null;
                }
            }
        }
    }
    if let Some(Json::Object(calls)) = module.get_mut("module_calls") {
        for call in calls.values_mut() {
            if let Some(m) = call.get_mut("module") {
                redact_sensitive_defaults(m);
            }
        }
    }
}

/// `show -json PLAN`: Terraform's JSON plan representation.
pub fn plan_json(plan: &Plan, o: Options) -> Json {
    let sources = &plan.provider_sources;
    let mut changes: Vec<&ResourceChange> = plan.changes.iter().collect();
    // Deposed objects after the current one, by key (Terraform's `DeposedKey` order).
    changes.sort_by(|a, b| instance_order(&a.addr, &b.addr).then_with(|| a.deposed.cmp(&b.deposed)));

    // planned_values: the prior state with every change carried out.
    let mut planned: BTreeMap<InstanceAddr, Json> = BTreeMap::new();
    for (addr, inst) in &plan.prior_state.resources {
        let v = inst.value();
        let mut r = resource_head(addr, &provider_full_name(&inst.provider.name, sources));
        r.insert("schema_version".into(), json!(inst.schema_version));
        r.insert("values".into(), plain(&v, o));
        r.insert("sensitive_values".into(), sensitive_as_bool(&v));
        planned.insert(addr.clone(), Json::Object(r));
    }
    for c in &changes {
        if c.action == Action::Delete {
            // A deposed object's destroy leaves the instance's current object.
            if c.deposed.is_none() {
                planned.remove(&c.addr);
            }
            continue;
        }
        // As Terraform: a forgotten object keeps its prior values here.
        if c.action == Action::Forget {
            continue;
        }
        let schema_version = plan.prior_state.resources.get(&c.addr).map_or(0, |i| i.schema_version);
        let mut r = resource_head(&c.addr, &provider_full_name(&c.provider.name, sources));
        r.insert("schema_version".into(), json!(schema_version));
        r.insert("values".into(), omit_unknowns(&c.after, o).unwrap_or(json!({})));
        r.insert("sensitive_values".into(), sensitive_as_bool(&c.after));
        planned.insert(c.addr.clone(), Json::Object(r));
    }
    let mut planned_values = Map::new();
    let planned_outputs: Map = plan
        .outputs
        .iter()
        .filter(|out| out.action != Action::Delete)
        .map(|out| {
            let sensitive = out.sensitive || out.after.contains_sensitive();
            let mut j = Map::new();
            j.insert("sensitive".into(), json!(sensitive));
            if out.after.is_wholly_known() {
                let whole = plain(&out.after, Options { show_sensitive: true });
                j.insert("type".into(), Json::from(out.after_type()));
                j.insert("value".into(), if sensitive && !o.show_sensitive { Json::Null } else { whole });
            }
            (out.name.clone(), Json::Object(j))
        })
        .collect();
    if !planned_outputs.is_empty() {
        planned_values.insert("outputs".into(), Json::Object(planned_outputs));
    }
    planned_values.insert("root_module".into(), module_tree(planned.into_iter().collect()));

    let output_changes: Map = plan
        .outputs
        .iter()
        .map(|out| {
            let mut j = Map::new();
            j.insert("actions".into(), json!(out.action.json_actions(false)));
            j.insert("before".into(), plain(&out.before, o));
            if let Some(after) = omit_unknowns(&out.after, o) {
                j.insert("after".into(), after);
            }
            j.insert("after_unknown".into(), if out.after.is_wholly_known() { json!(false) } else { unknown_as_bool(&out.after) });
            j.insert("before_sensitive".into(), json!(out.before.contains_sensitive() || out.sensitive));
            j.insert("after_sensitive".into(), json!(out.after.contains_sensitive() || out.sensitive));
            (out.name.clone(), Json::Object(j))
        })
        .collect();

    let drift: Vec<Json> = plan
        .drift
        .iter()
        .map(|d| {
            let provider = plan
                .prior_state
                .resources
                .get(&d.addr)
                .map(|i| provider_full_name(&i.provider.name, sources))
                .unwrap_or_else(|| provider_full_name(d.addr.resource.implied_provider(), sources));
            let mut r = resource_head(&d.addr, &provider);
            if !d.addr.resource.module.is_root() {
                r.insert("module_address".into(), json!(d.addr.resource.module.to_string()));
            }
            let mut ch = Map::new();
            ch.insert("actions".into(), json!(d.action.json_actions(false)));
            ch.insert("before".into(), plain(&d.before, o));
            ch.insert("after".into(), plain(&d.after, o));
            ch.insert("after_unknown".into(), json!({}));
            ch.insert("before_sensitive".into(), sensitive_as_bool(&d.before));
            ch.insert("after_sensitive".into(), sensitive_as_bool(&d.after));
            r.insert("change".into(), Json::Object(ch));
            Json::Object(r)
        })
        .collect();

    let mut j = Map::new();
    j.insert("format_version".into(), json!("1.2"));
    j.insert("terraform_version".into(), json!(terraform_version()));
    if !plan.variables.is_empty() {
        j.insert(
            "variables".into(),
            Json::Object(plan.variables.iter().map(|(k, v)| (k.clone(), Json::Object(Map::from_iter([("value", plain(v, o))])))).collect()),
        );
    }
    j.insert("planned_values".into(), Json::Object(planned_values));
    if !drift.is_empty() {
        j.insert("resource_drift".into(), Json::Array(drift));
    }
    if !changes.is_empty() {
        j.insert("resource_changes".into(), Json::Array(changes.iter().map(|c| resource_change_json(c, sources, o)).collect()));
    }
    if !output_changes.is_empty() {
        j.insert("output_changes".into(), Json::Object(output_changes));
    }
    // As Terraform: the prior state's outputs already hold the new values known while planning.
    let mut prior = plan.prior_state.clone();
    for out in &plan.outputs {
        match out.action {
            Action::Delete => {
                prior.outputs.remove(&out.name);
            }
            _ if out.after.is_wholly_known() => {
                let marked = out.after.contains_sensitive();
                prior.outputs.insert(out.name.clone(), iac_core::state::OutputState::typed(out.after.clone(), out.sensitive || marked, out.after_type()));
            }
            _ => {}
        }
    }
    j.insert("prior_state".into(), state_json(&prior, sources, o));
    if let Some(c) = &plan.configuration {
        let mut c = Json::from(c.clone());
        if !o.show_sensitive {
            if let Some(root) = c.get_mut("root_module") {
                redact_sensitive_defaults(root);
            }
        }
        j.insert("configuration".into(), c);
    }
    if !plan.relevant_attributes.is_empty() {
        j.insert("relevant_attributes".into(), Json::Array(plan.relevant_attributes.iter().cloned().map(Json::from).collect()));
    }
    if !plan.checks.is_empty() {
        // Terraform sorts them by address.
        let mut checks: Vec<&iac_core::plan::CheckResult> = plan.checks.iter().collect();
        checks.sort_by_cached_key(|c| c.config_address());
        j.insert("checks".into(), Json::Array(checks.into_iter().map(check_json).collect()));
    }
    j.insert("timestamp".into(), json!(plan.timestamp));
    j.insert("applyable".into(), json!(plan.has_changes() && !plan.errored));
    j.insert("complete".into(), json!(plan.targets.is_empty() && !plan.errored));
    j.insert("errored".into(), json!(plan.errored));
    Json::Object(j)
}

/// One checkable object's result as Terraform's plan JSON has it (its
/// instances sorted by address, their problems by message).
fn check_json(c: &iac_core::plan::CheckResult) -> Json {
    use iac_core::plan::CheckObject;
    let mut address = Map::new();
    match &c.object {
        CheckObject::Check => {
            address.insert("kind".into(), json!("check"));
        }
        CheckObject::Resource { mode, type_ } => {
            address.insert("kind".into(), json!("resource"));
            address.insert("mode".into(), json!(mode));
            address.insert("type".into(), json!(type_));
        }
        CheckObject::OutputValue => {
            address.insert("kind".into(), json!("output_value"));
        }
        CheckObject::InputVariable => {
            address.insert("kind".into(), json!("var"));
        }
    }
    if !c.module.is_empty() {
        address.insert("module".into(), json!(c.module));
    }
    address.insert("name".into(), json!(c.name));
    address.insert("to_display".into(), json!(c.config_address()));
    let mut instances: Vec<(String, Json)> = c
        .instances
        .iter()
        .map(|i| {
            let display = c.instance_address(i);
            let mut a = Map::new();
            if !i.module.is_empty() {
                a.insert("module".into(), json!(i.module));
            }
            match &i.key {
                iac_core::address::InstanceKey::None => {}
                iac_core::address::InstanceKey::Int(n) => {
                    a.insert("instance_key".into(), json!(n));
                }
                iac_core::address::InstanceKey::Str(k) => {
                    a.insert("instance_key".into(), json!(k));
                }
            }
            a.insert("to_display".into(), json!(display));
            let mut inst = Map::new();
            inst.insert("address".into(), Json::Object(a));
            inst.insert("status".into(), json!(i.status));
            if !i.problems.is_empty() {
                let mut problems = i.problems.clone();
                problems.sort();
                inst.insert("problems".into(), Json::Array(problems.iter().map(|m| json!({"message": m})).collect()));
            }
            (display, Json::Object(inst))
        })
        .collect();
    instances.sort_by(|a, b| a.0.cmp(&b.0));
    let mut check = Map::new();
    check.insert("address".into(), Json::Object(address));
    check.insert("status".into(), json!(c.status));
    if !instances.is_empty() {
        check.insert("instances".into(), Json::Array(instances.into_iter().map(|(_, j)| j).collect()));
    }
    Json::Object(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_terraform() {
        let v = Value::map([
            ("id", Value::Unknown),
            ("input", Value::map([("secret", Value::from("s").into_sensitive()), ("plain", Value::from("p"))])),
            ("list", Value::List(vec![Value::from("a"), Value::Unknown].into())),
            ("gone", Value::Null),
        ]);
        assert_eq!(unknown_as_bool(&v), json!({"id": true, "input": {}, "list": [false, true]}));
        assert_eq!(sensitive_as_bool(&v), json!({"input": {"secret": true}, "list": [false, false]}));
        assert_eq!(omit_unknowns(&v, Options::default()), Some(json!({"gone": null, "input": {"plain": "p", "secret": null}, "list": ["a", null]})));
        assert_eq!(omit_unknowns(&v, Options { show_sensitive: true }).unwrap()["input"]["secret"], json!("s"));
        assert_eq!(after_unknown(&Value::Null), json!({}));
        assert_eq!(sensitive_as_bool(&Value::Null), json!(false));
    }
}
