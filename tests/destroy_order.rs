//! Destroys against Terraform 1.11.4 (`fixtures/destroy-order/<case>/1`):
//! each tool applies the configuration, then `destroy -json`. The objects
//! destroyed, the dependencies state recorded for them (`show -json`'s
//! `depends_on`: every resource an object depends on, directly or not,
//! through locals, variables, module outputs, module calls' count and
//! `depends_on`, as Terraform records them), the summaries
//! (`change_summary`: the plan's, then `Destroy complete! Resources: N
//! destroyed.`) and the empty state after must agree, and each tool must have destroyed every object only after
//! the objects depending on it (a dependent in another instance of the
//! same module excepted, as Terraform's graph has no such edge).
//!
//! A failed destroy (which stops only the destroys of what the failed
//! object depends on) is not compared here: Terraform makes one offline
//! with a failing destroy-time provisioner, which iac refuses. The engine
//! suite checks it with its mock provider
//! (`engine::a_failed_destroy_stops_only_the_deletes_of_what_it_depends_on`,
//! `engine::a_failed_destroy_in_one_module_instance_keeps_only_its_dependencies_there`).

use crate::lang_diff::{stepped_cases_match_terraform, succeeds, use_step};

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

/// What one tool did with a case.
#[derive(Debug, PartialEq)]
struct DestroyRun {
    /// Each object in state before the destroy, with its recorded
    /// dependencies and theirs.
    depends_on: BTreeMap<String, Vec<String>>,
    /// The objects destroyed, sorted.
    destroyed: Vec<String>,
    /// (destroyed first, its dependent destroyed later): none.
    out_of_order: Vec<(String, String)>,
    summaries: Vec<String>,
    state_after: Vec<String>,
}

/// `show -json`'s resources, child modules' included, with their `depends_on`.
fn recorded_dependencies(show: &str) -> BTreeMap<String, Vec<String>> {
    fn collect(module: &Json, out: &mut BTreeMap<String, Vec<String>>) {
        for r in module["resources"].as_array().into_iter().flatten() {
            let deps = r["depends_on"].as_array().into_iter().flatten().filter_map(|d| d.as_str().map(str::to_string)).collect();
            out.insert(r["address"].as_str().unwrap_or_default().to_string(), deps);
        }
        for m in module["child_modules"].as_array().into_iter().flatten() {
            collect(m, out);
        }
    }
    let j: Json = serde_json::from_str(show).unwrap_or_else(|e| panic!("show -json is not JSON ({e}): {show}"));
    let mut out = BTreeMap::new();
    collect(&j["values"]["root_module"], &mut out);
    out
}

/// An instance address without its instance keys (`module.m["x"].t.a[0]`
/// → `module.m.t.a`), as dependencies are recorded; and its module part
/// with keys (`module.m["x"]`).
fn config_and_module(addr: &str) -> (String, String) {
    let keys = regex::Regex::new(r#"\[[^\]]*\]"#).expect("regex");
    let module = addr.rsplitn(3, '.').nth(2).filter(|m| m.starts_with("module.")).unwrap_or_default();
    (keys.replace_all(addr, "").into_owned(), module.to_string())
}

/// The pairs (dependency, dependent) of `order` where the dependency was
/// destroyed first.
fn out_of_order(order: &[String], depends_on: &BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    let mut wrong = Vec::new();
    for (i, first) in order.iter().enumerate() {
        let (config, module) = config_and_module(first);
        for later in &order[i + 1..] {
            let (_, later_module) = config_and_module(later);
            let other_instance_of_same_module =
                module != later_module && config_and_module(&module).0 == config_and_module(&later_module).0 && !module.is_empty();
            if !other_instance_of_same_module && depends_on.get(later).is_some_and(|ds| ds.contains(&config)) {
                wrong.push((first.clone(), later.clone()));
            }
        }
    }
    wrong
}

/// Applies a case's configuration in `dir`, then destroys it with `-json`,
/// through `run` (one tool's command line: exit code and stdout).
fn destroy_run(case: &Path, dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String)) -> DestroyRun {
    let ok = |args: &[&str]| succeeds(case, run, args);
    use_step(case, "1", dir);
    ok(&["init"]);
    ok(&["apply", "-auto-approve"]);
    let depends_on = recorded_dependencies(&ok(&["show", "-json"]));
    let messages: Vec<Json> = ok(&["destroy", "-auto-approve", "-json"]).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let order: Vec<String> = messages
        .iter()
        .filter(|j| j["type"] == "apply_complete" && j["hook"]["action"] == "delete")
        .map(|j| j["hook"]["resource"]["addr"].as_str().unwrap_or_default().to_string())
        .collect();
    let summaries = messages.iter().filter(|j| j["type"] == "change_summary").map(|j| j["@message"].as_str().unwrap_or_default().to_string()).collect();
    let mut destroyed = order.clone();
    destroyed.sort();
    let state_after = ok(&["state", "list"]).lines().map(str::to_string).collect();
    DestroyRun { out_of_order: out_of_order(&order, &depends_on), depends_on, destroyed, summaries, state_after }
}

#[test]
fn destroy_order_matches_terraform() {
    stepped_cases_match_terraform("destroy-order", destroy_run, "the destroy differs from Terraform", &|name, tf: &DestroyRun| {
        assert!(tf.destroyed.len() >= 5 && tf.destroyed.len() == tf.depends_on.len(), "{name}: terraform did not destroy everything: {tf:?}");
        assert!(tf.depends_on.values().any(|d| !d.is_empty()), "{name}: nothing depends on anything: {tf:?}");
        assert!(tf.out_of_order.is_empty(), "{name}: terraform's order breaks the test's rule: {tf:?}");
    });
}
