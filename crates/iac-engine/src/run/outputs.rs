//! The root module's outputs after a walk: their values, and the form state
//! keeps them in (known, non-null values only, as Terraform stores them).

use std::collections::BTreeMap;

use iac_core::address::ModulePath;
use iac_core::state::OutputState;

use super::context::Run;

impl Run {
    /// Root outputs as they now are.
    pub fn root_outputs(&self) -> iac_core::ValueMap {
        let store = self.values.read();
        self.stack.root.outputs.keys().filter_map(|n| store.outputs.get(&(ModulePath::root(), n.clone())).map(|v| (n.clone(), v.clone()))).collect()
    }

    pub fn output_states(&self) -> BTreeMap<String, OutputState> {
        self.root_outputs()
            .into_iter()
            // Terraform stores no output whose value is null (`output -json` omits it).
            .filter(|(_, v)| v.is_wholly_known() && !v.is_null())
            .map(|(k, v)| {
                let sensitive = v.contains_sensitive();
                (k, OutputState { value: v.to_json(), sensitive })
            })
            .collect()
    }
}
