//! `moved` blocks applied to the state a plan starts from: each block
//! renames addresses, within every instance of the module that declares it.

use std::collections::HashMap;

use iac_core::address::{InstanceAddr, Target};
use iac_core::state::State;
use iac_lang::load::Stack;

/// Applies `moved` blocks to a state: returns new address → old address.
/// A block in a child module speaks of addresses inside that module, and
/// applies within every instance of it (`module.net["a"]`, `module.net["b"]`).
pub(super) fn apply_moves(stack: &Stack, state: &mut State) -> HashMap<InstanceAddr, InstanceAddr> {
    let mut moved = HashMap::new();
    for module in stack.root.walk() {
        let call_path = &module.call_path;
        for m in &module.moved {
            // The module instances that hold state, each giving one absolute move.
            let mut prefixes: Vec<iac_core::address::ModulePath> = state
                .resources
                .keys()
                .filter(|a| a.resource.module.config_path().starts_with(call_path))
                .map(|a| iac_core::address::ModulePath(a.resource.module.0[..call_path.len()].to_vec()))
                .collect();
            prefixes.sort();
            prefixes.dedup();
            for prefix in prefixes {
                let (from, to) = (within(&prefix, &m.from), within(&prefix, &m.to));
                let olds: Vec<InstanceAddr> = state.resources.keys().filter(|a| from.contains(a)).cloned().collect();
                for old in olds {
                    let Some(new) = from.relocate(&to, &old) else { continue };
                    if state.resources.contains_key(&new) {
                        continue;
                    }
                    if let Some(inst) = state.resources.remove(&old) {
                        tracing::info!(from = %old, to = %new, "moved");
                        state.resources.insert(new.clone(), inst);
                        moved.insert(new, old);
                    }
                }
            }
        }
    }
    moved
}

/// A target written inside a module instance, made absolute.
fn within(prefix: &iac_core::address::ModulePath, t: &Target) -> Target {
    let join = |m: &iac_core::address::ModulePath| {
        let mut steps = prefix.0.clone();
        steps.extend(m.0.iter().cloned());
        iac_core::address::ModulePath(steps)
    };
    match t {
        Target::Module(m) => Target::Module(join(m)),
        Target::Resource(r) => Target::Resource(iac_core::address::ResourceAddr { module: join(&r.module), ..r.clone() }),
        Target::Instance(i) => Target::Instance(iac_core::address::InstanceAddr {
            resource: iac_core::address::ResourceAddr { module: join(&i.resource.module), ..i.resource.clone() },
            key: i.key.clone(),
        }),
    }
}
