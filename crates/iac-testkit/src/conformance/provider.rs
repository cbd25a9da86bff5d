//! The provider conformance suite: the contract every provider keeps with the
//! engine, checked through the engine's `ops` layer exactly as the CLI drives
//! it. A provider's tests describe a [`Case`] (stack texts for a create and
//! for later edits, with the changes each edit must plan) against their own
//! simulator or server; [`run`] then checks, for every step:
//!
//! - the plan holds exactly the expected changes (no spurious diffs);
//! - apply succeeds, and every managed object in state is wholly known and
//!   conforms to the provider's schema;
//! - a second plan is empty and a refresh-only plan finds no drift (what the
//!   provider reads back is what it wrote);
//!
//! and after the last step:
//!
//! - importing each listed object by its ID gives back an object that plans
//!   with no changes;
//! - destroying removes every object; putting the destroyed objects back into
//!   state, a refresh sees each one gone (reads detect deletion) and a plan
//!   creates it again (for objects that exist outside state).
//!
//! [`check_schema`] checks a schema's own consistency without any IO.
//! Ephemeral resource types have their own part of the suite
//! ([`super::ephemeral`]).

use std::collections::BTreeSet;
use std::path::Path;

use iac_core::address::InstanceAddr;
use iac_core::plan::{Action, Plan, PlanMode};
use iac_core::schema::{Block, ProviderSchema};
use iac_core::Value;
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::run::RunOptions;

/// One scenario of a provider's resources.
pub struct Case {
    pub name: String,
    /// Applied in order; the first starts from an empty state.
    pub steps: Vec<Step>,
    /// Objects to re-import after the last step: (address, attribute of the
    /// object whose value is its import ID, usually `id`; or a template of
    /// attributes such as `{cluster_id},{name}` for IDs made of several;
    /// numbers are written as their text).
    pub imports: Vec<(String, String)>,
    /// How many objects an apply may run at once.
    pub parallelism: usize,
    /// Whether the objects exist outside state, so that a read can find them
    /// gone. False only for state-only resources such as `terraform_data`.
    pub remote_objects: bool,
}

/// A version of the stack and the changes its plan must hold.
pub struct Step {
    /// The files of the stack's root module: (file name, text).
    pub files: Vec<(String, String)>,
    /// Every change that is not a no-op: (address, action). Exact.
    pub expect: Vec<(String, Action)>,
}

impl Step {
    pub fn new(main_tf: impl Into<String>, expect: &[(&str, Action)]) -> Step {
        Step { files: vec![("main.tf".into(), main_tf.into())], expect: expect.iter().map(|(a, x)| (a.to_string(), *x)).collect() }
    }
}

/// A plan's changes as `Action address` lines (readable in a failed assert).
fn changes(p: &Plan) -> BTreeSet<String> {
    p.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect()
}

/// The attributes each planned change touches, `before -> after`, for a
/// failed assert's message.
fn differing(p: &Plan) -> String {
    let mut out = Vec::new();
    for c in p.changes.iter().filter(|c| c.action != Action::NoOp) {
        let (Some(before), Some(after)) = (c.before.as_map(), c.after.as_map()) else { continue };
        for (k, a) in after.iter() {
            let b = before.get(k).unwrap_or(&Value::Null);
            if b != a {
                out.push(format!("{}.{k}: {} -> {}", c.addr, b.to_json(), a.to_json()));
            }
        }
    }
    out.join("; ")
}

pub(super) async fn plan(dir: &Path, env: &Env, mode: PlanMode, what: &str) -> Plan {
    let req = PlanRequest { vars: Vec::new(), run: RunOptions { mode, ..RunOptions::default() } };
    match ops::plan(dir, env, req).await {
        Ok(outcome) => outcome.plan,
        Err(e) => panic!("{what}: plan failed: {e}: {e:?}"),
    }
}

pub(super) async fn apply(dir: &Path, env: &Env, p: Plan, parallelism: usize, what: &str) {
    if let Err(e) = ops::apply(dir, env, p, parallelism.max(1)).await {
        panic!("{what}: apply failed: {e}");
    }
}

fn write_files(dir: &Path, step: &Step) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "tf") {
            std::fs::remove_file(p).expect("removing an old stack file");
        }
    }
    for (name, text) in &step.files {
        std::fs::write(dir.join(name), text).expect("writing a stack file");
    }
}

/// The schema of the resource type behind an address, from the provider
/// registered under the name its state records.
fn resource_schema<'a>(env: &'a Env, provider: &str, type_: &str) -> &'a Block {
    let factory = env.registry.get(provider).unwrap_or_else(|| panic!("state names provider {provider:?}, which is not registered"));
    &factory.schema().resources.get(type_).unwrap_or_else(|| panic!("provider {provider:?} has no resource type {type_:?}")).block
}

/// Checks that an object conforms to its block: known attributes only, of
/// their types, every required one set.
pub(super) fn conforms(block: &Block, v: &Value, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(m) = v.as_map() else {
        return vec![format!("{at}: expected an object, got {}", v.type_name())];
    };
    for (k, item) in m.iter() {
        if let Some(a) = block.attributes.get(k) {
            if let Err(e) = a.type_.check(item) {
                problems.push(format!("{at}.{k}: {e}"));
            }
            if a.required && item.is_null() {
                problems.push(format!("{at}.{k}: required but null"));
            }
        } else if let Some(nested) = block.blocks.get(k) {
            let items: Vec<&Value> = match item {
                Value::Null => Vec::new(),
                Value::List(items) => items.iter().collect(),
                single => vec![single],
            };
            for (i, it) in items.into_iter().enumerate() {
                problems.extend(conforms(&nested.block, it, &format!("{at}.{k}[{i}]")));
            }
        } else {
            problems.push(format!("{at}.{k}: not in the schema"));
        }
    }
    problems
}

/// The import ID of an object: the attribute `spec` names, or `spec` with
/// each `{attr}` replaced by that attribute's text.
fn import_id(attrs: &serde_json::Value, spec: &str) -> Option<String> {
    if !spec.contains('{') {
        return attrs.get(spec).and_then(|v| v.as_str().map(str::to_string));
    }
    let mut out = String::new();
    let mut rest = spec;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        match attrs.get(&rest[open + 1..close])? {
            serde_json::Value::String(s) => out.push_str(s),
            serde_json::Value::Number(n) => out.push_str(&n.to_string()),
            _ => return None,
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Runs a case in `dir` (an empty directory) with `env` (its registry holds
/// the provider under test, configured to reach its simulator).
pub async fn run(case: &Case, dir: &Path, env: &Env) {
    assert!(!case.steps.is_empty(), "{}: a case needs at least one step", case.name);
    for (i, step) in case.steps.iter().enumerate() {
        let what = format!("{} step {}", case.name, i + 1);
        write_files(dir, step);
        let p = plan(dir, env, PlanMode::Normal, &what).await;
        let expected: BTreeSet<String> = step.expect.iter().map(|(addr, action)| format!("{action:?} {addr}")).collect();
        assert_eq!(changes(&p), expected, "{what}: the plan's changes");
        apply(dir, env, p, case.parallelism, &what).await;

        let state = ops::read_state(env.backend.as_ref()).await.expect("state reads");
        for (addr, inst) in &state.resources {
            if addr.resource.mode != iac_core::address::Mode::Managed {
                continue;
            }
            let value = inst.attributes.clone();
            assert!(value.is_wholly_known(), "{what}: {addr} has unknown values in state: {value}");
            let problems = conforms(resource_schema(env, &inst.provider.name, &addr.resource.type_), &value, &addr.to_string());
            assert!(problems.is_empty(), "{what}: {addr} does not conform to its schema:\n{}", problems.join("\n"));
        }

        let again = plan(dir, env, PlanMode::Normal, &what).await;
        assert_eq!(changes(&again), BTreeSet::<String>::new(), "{what}: a plan right after apply must be empty; it changes {}", differing(&again));
        let refresh = plan(dir, env, PlanMode::RefreshOnly, &what).await;
        let drift: Vec<String> = refresh.drift.iter().map(|d| format!("{:?} {} at {:?}", d.action, d.addr, d.paths)).collect();
        assert!(drift.is_empty(), "{what}: refresh right after apply found drift: {drift:?}");
    }

    let what = format!("{} import", case.name);
    for (addr_text, id_attr) in &case.imports {
        let addr: InstanceAddr = addr_text.parse().unwrap_or_else(|e| panic!("{what}: bad address {addr_text}: {e:?}"));
        let id = ops::edit_state(env, "conformance: forget", |s| {
            let inst = s.resources.remove(&addr).unwrap_or_else(|| panic!("{what}: {addr} is not in state"));
            Ok(import_id(&inst.attributes.to_json(), id_attr).unwrap_or_else(|| panic!("{what}: {addr}.{id_attr} is not a string")))
        })
        .await
        .expect("state edit");
        if let Err(e) = ops::import(dir, env, addr.clone(), id.clone(), Vec::new()).await {
            panic!("{what}: import {addr} {id} failed: {e}");
        }
        let p = plan(dir, env, PlanMode::Normal, &what).await;
        assert_eq!(changes(&p), BTreeSet::<String>::new(), "{what}: {addr} imported by {id:?} must plan with no changes; it changes {}", differing(&p));
    }

    let what = format!("{} destroy", case.name);
    let before = ops::read_state(env.backend.as_ref()).await.expect("state reads");
    let managed: BTreeSet<String> = before.resources.keys().filter(|a| a.resource.mode == iac_core::address::Mode::Managed).map(|a| a.to_string()).collect();
    let d = plan(dir, env, PlanMode::Destroy, &what).await;
    let deletes: BTreeSet<String> = d.changes.iter().filter(|c| c.action == Action::Delete).map(|c| c.addr.to_string()).collect();
    assert_eq!(deletes, managed, "{what}: the destroy plan deletes every managed object");
    apply(dir, env, d, case.parallelism, &what).await;
    let after = ops::read_state(env.backend.as_ref()).await.expect("state reads");
    assert!(
        after.resources.keys().all(|a| a.resource.mode != iac_core::address::Mode::Managed),
        "{what}: objects left in state: {:?}",
        after.resources.keys().collect::<Vec<_>>()
    );

    if !case.remote_objects {
        return;
    }
    // The objects are gone remotely: a refresh of the old state must see it.
    let old = before.resources.clone();
    ops::edit_state(env, "conformance: restore", move |s| {
        s.resources = old;
        Ok(())
    })
    .await
    .expect("state edit");
    let refresh = plan(dir, env, PlanMode::RefreshOnly, &what).await;
    let gone: BTreeSet<String> = refresh.drift.iter().filter(|d| d.action == Action::Delete).map(|d| d.addr.to_string()).collect();
    assert_eq!(gone, managed, "{what}: a refresh after destroy sees every object gone");
    let recreate = plan(dir, env, PlanMode::Normal, &what).await;
    let creates: BTreeSet<String> = recreate.changes.iter().filter(|c| c.action == Action::Create).map(|c| c.addr.to_string()).collect();
    assert_eq!(creates, managed, "{what}: after a deletion out of band, a plan creates every object again");
    ops::edit_state(env, "conformance: clear", |s| {
        s.resources.clear();
        Ok(())
    })
    .await
    .expect("state edit");
}

/// A schema's own consistency: each attribute is exactly one of required,
/// optional, or computed-only; names are snake_case; every resource has a
/// computed `id`.
pub fn check_schema(schema: &ProviderSchema) -> Vec<String> {
    fn block(b: &Block, at: &str, out: &mut Vec<String>) {
        for (name, a) in &b.attributes {
            let at = format!("{at}.{name}");
            if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                out.push(format!("{at}: not snake_case"));
            }
            if a.required && (a.optional || a.computed) {
                out.push(format!("{at}: required cannot also be optional or computed"));
            }
            if !a.required && !a.optional && !a.computed {
                out.push(format!("{at}: neither required, optional nor computed"));
            }
        }
        for (name, nested) in &b.blocks {
            if b.attributes.contains_key(name) {
                out.push(format!("{at}.{name}: both an attribute and a block"));
            }
            if nested.max_items.is_some_and(|m| m < nested.min_items) {
                out.push(format!("{at}.{name}: max_items below min_items"));
            }
            block(&nested.block, &format!("{at}.{name}"), out);
        }
    }
    let mut out = Vec::new();
    block(&schema.provider, "provider", &mut out);
    for (type_, r) in &schema.resources {
        block(&r.block, type_, &mut out);
        match r.block.attributes.get("id") {
            Some(id) if id.computed => {}
            _ => out.push(format!("{type_}: has no computed `id` attribute")),
        }
    }
    for (type_, d) in &schema.data_sources {
        block(&d.block, &format!("data.{type_}"), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn import_ids_are_an_attribute_or_a_template_of_them() {
        let attrs = serde_json::json!({"id": "c/database/app", "cluster_id": "c", "name": "app"});
        assert_eq!(super::import_id(&attrs, "id").as_deref(), Some("c/database/app"));
        assert_eq!(super::import_id(&attrs, "{cluster_id},{name}").as_deref(), Some("c,app"));
        assert_eq!(super::import_id(&attrs, "{cluster_id},{nope}"), None);
        let rule = serde_json::json!({"group": "sg-1", "from_port": 443});
        assert_eq!(super::import_id(&rule, "{group}_{from_port}").as_deref(), Some("sg-1_443"), "numbers as their text");
    }
}
