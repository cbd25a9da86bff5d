//! The root module's outputs after a walk: their values, the changes a plan
//! shows for them, and the form state keeps them in (known, non-null values
//! only, as Terraform stores them).

use std::collections::BTreeMap;

use iac_core::address::ModulePath;
use iac_core::plan::{Action, OutputChange, PlanMode};
use iac_core::state::{OutputState, State};
use iac_core::Value;
use iac_lang::config::Module;

use super::context::Run;

impl Run {
    /// Root outputs as they now are.
    pub(super) fn root_outputs(&self) -> iac_core::ValueMap {
        let store = self.values.read();
        self.stack.root.outputs.keys().filter_map(|n| store.outputs.get(&(ModulePath::root(), n.clone())).map(|v| (n.clone(), v.clone()))).collect()
    }
}

/// A root output's type JSON: its value's, with the types of its nulls and
/// empty collections filled in from the output's expression where the
/// configuration makes them certain (`iac_lang::expr_types`), as Terraform
/// knows them.
fn output_type(root: &Module, name: &str, value: &Value) -> serde_json::Value {
    iac_lang::expr_types::output_type(root, name).fill(value.type_json())
}

/// The outputs as state keeps them.
pub fn output_states(outputs: &iac_core::ValueMap, root: &Module) -> BTreeMap<String, OutputState> {
    outputs
        .iter()
        // Terraform stores no output whose value is null (`output -json` omits it).
        .filter(|(_, v)| v.is_wholly_known() && !v.is_null())
        .map(|(k, v)| {
            let sensitive = v.contains_sensitive();
            (k.clone(), OutputState::typed(v.clone(), sensitive, output_type(root, k, v)))
        })
        .collect()
}

/// How a plan changes the root outputs: `now` against those in the
/// refreshed state (a destroy plan deletes them all).
pub fn output_changes(now: &iac_core::ValueMap, root: &Module, refreshed: &State, mode: PlanMode) -> Vec<OutputChange> {
    let recorded = |o: &OutputState| o.value.clone().mark_if(o.sensitive);
    let deleted = |name: &String, o: &OutputState| OutputChange {
        name: name.clone(),
        action: Action::Delete,
        before: recorded(o),
        after: Value::Null,
        sensitive: o.sensitive,
        type_: None,
    };
    let mut outputs = Vec::new();
    if mode == PlanMode::Destroy {
        for (name, o) in &refreshed.outputs {
            outputs.push(deleted(name, o));
        }
        return outputs;
    }
    for (name, after) in now {
        let before = refreshed.outputs.get(name).map(recorded).unwrap_or(Value::Null);
        let action = if refreshed.outputs.contains_key(name) {
            if before.unmarked() == after.unmarked() && after.is_wholly_known() {
                Action::NoOp
            } else {
                Action::Update
            }
        } else {
            Action::Create
        };
        let type_ = Some(output_type(root, name, after));
        outputs.push(OutputChange { name: name.clone(), action, before, after: after.clone(), sensitive: after.contains_sensitive(), type_ });
    }
    for (name, o) in &refreshed.outputs {
        if !now.contains_key(name) {
            outputs.push(deleted(name, o));
        }
    }
    outputs
}
