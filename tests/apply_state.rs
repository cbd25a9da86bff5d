//! The state an apply without changes writes, against Terraform 1.11.4
//! (`fixtures/apply-state/<case>/`): each tool applies step `1`, then runs
//! the case's `command` (an apply, refresh-only or not, with nothing to
//! change) on step `2`. Terraform applies such a plan all the same: state
//! takes this run's check results and outputs, and its serial moves only
//! when that changed what was stored. Whether the serial moved, the check
//! results and the outputs must agree.

use crate::lang_diff::{apply_step_one_then_init_step_two, stepped_cases_match_terraform, succeeds, ToolCommand};
use crate::support::read_lines;

use std::path::Path;

use serde_json::Value as Json;

/// What a case's command left in state.
#[derive(Debug, PartialEq)]
struct StateAfter {
    serial_moved: bool,
    /// Sorted by address, each one's objects too (Terraform writes them in
    /// no particular order).
    check_results: Json,
    outputs: Json,
}

fn pulled(case: &Path, run: &ToolCommand<'_>) -> Json {
    let text = succeeds(case, run, &["state", "pull"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("state pull is not JSON ({e}): {text}"))
}

fn sorted_check_results(state: &Json) -> Json {
    let mut results = state["check_results"].as_array().cloned().unwrap_or_default();
    for r in &mut results {
        if let Some(objects) = r["objects"].as_array_mut() {
            objects.sort_by_key(|o| o["object_addr"].to_string());
        }
    }
    results.sort_by_key(|r| r["config_addr"].to_string());
    Json::Array(results)
}

fn apply_state_run(case: &Path, dir: &Path, run: &ToolCommand<'_>) -> StateAfter {
    apply_step_one_then_init_step_two(case, dir, run);
    let before = pulled(case, run);
    let command = read_lines(&case.join("command")).join(" ");
    let args: Vec<&str> = command.split_whitespace().collect();
    succeeds(case, run, &args);
    let after = pulled(case, run);
    StateAfter { serial_moved: after["serial"] != before["serial"], check_results: sorted_check_results(&after), outputs: after["outputs"].clone() }
}

#[test]
fn applies_without_changes_write_the_state_terraform_writes() {
    stepped_cases_match_terraform("apply-state", apply_state_run, "the state after an apply without changes differs from Terraform", &|name, tf| {
        assert!(tf.check_results.as_array().is_some_and(|r| !r.is_empty()), "{name}: terraform's state has no check results: {tf:?}");
        assert!(tf.outputs.as_object().is_some_and(|o| !o.is_empty()), "{name}: terraform's state has no outputs: {tf:?}");
    });
}
