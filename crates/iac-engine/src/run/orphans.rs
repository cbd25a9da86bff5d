//! Planning deletes once the walk is over: instances in state that the walk
//! did not see are orphans (with Terraform's reason: no configuration, no
//! module, a count index or each key gone, the other kind of repetition);
//! a destroy plan deletes every managed instance, refusing those with
//! `prevent_destroy`. An orphan a `removed` block keeps (`destroy = false`)
//! is forgotten instead. Deposed objects (left by an interrupted
//! create-before-destroy replacement) are destroyed. Only within `-target`;
//! never in a refresh-only plan.

use std::collections::{HashMap, HashSet};

use iac_core::address::{InstanceAddr, InstanceKey, Mode, ModulePath, Target};
use iac_core::plan::{Action, PlanMode, ResourceChange};
use iac_core::state::State;
use iac_core::Value;
use iac_lang::config::{Module, Removed};
use iac_lang::diagnostic::Diagnostic;

/// What deciding the deletes looks at besides the refreshed state.
pub struct DeleteScope<'a> {
    pub root: &'a Module,
    pub mode: PlanMode,
    pub targets: &'a [Target],
    /// Every instance the walk handled.
    pub seen: &'a HashSet<InstanceAddr>,
    /// Every module instance the walk expanded, sorted.
    pub module_instances: &'a [ModulePath],
    /// New address → old address, for `moved` blocks.
    pub moved_from: &'a HashMap<InstanceAddr, InstanceAddr>,
}

/// The deletes of a plan, in state order; errors for objects that
/// `prevent_destroy` keeps.
pub fn plan_deletes(state: &State, scope: &DeleteScope) -> Result<Vec<ResourceChange>, Vec<Diagnostic>> {
    let in_targets = |a: &InstanceAddr| scope.targets.is_empty() || scope.targets.iter().any(|t| t.contains(a));
    // Collected once, not once per orphan: a large destroy stays linear.
    let removed_blocks: Vec<&Removed> = scope.root.walk().into_iter().flat_map(|m| m.removed.iter()).collect();
    let mut errors = Vec::new();
    let mut deletes = Vec::new();
    for (addr, inst) in &state.resources {
        if addr.resource.mode == Mode::Data {
            continue;
        }
        let orphan = !scope.seen.contains(addr);
        if !((orphan || scope.mode == PlanMode::Destroy) && in_targets(addr) && scope.mode != PlanMode::RefreshOnly) {
            continue;
        }
        if scope.mode == PlanMode::Destroy {
            if let Some(r) = scope.root.resource(&addr.resource.config()) {
                if r.lifecycle.prevent_destroy {
                    errors.push(Diagnostic::error(format!("{addr} has lifecycle.prevent_destroy set, but the plan would destroy it"), Some(r.span.clone())));
                    continue;
                }
            }
        }
        // A `removed` block with `destroy = false` forgets its orphans; a
        // destroy plan still destroys them, as Terraform's does.
        let removed = if orphan { removed_blocks.iter().find(|r| r.from.contains(addr)) } else { None };
        let forget = scope.mode != PlanMode::Destroy && removed.is_some_and(|r| !r.destroy);
        let reason = match removed {
            // As Terraform: what a removed block names has "no resource
            // configuration", even when its whole module is gone.
            Some(_) => iac_core::plan::reason::DELETE_NO_RESOURCE_CONFIG,
            None => orphan_reason(scope.root, scope.module_instances, addr),
        };
        deletes.push(ResourceChange {
            addr: addr.clone(),
            prev_addr: scope.moved_from.get(addr).cloned(),
            provider: inst.provider.clone(),
            action: if forget { Action::Forget } else { Action::Delete },
            before: inst.value(),
            after: Value::Null,
            replace_paths: Vec::new(),
            reason: orphan.then(|| reason.into()),
            create_before_destroy: false,
            private: None,
            dependencies: inst.dependencies.clone(),
            import_id: None,
            deposed: None,
        });
    }
    // What an interrupted create-before-destroy replacement left behind
    // (Terraform's deposed objects) is destroyed by any plan but refresh-only.
    if scope.mode != PlanMode::RefreshOnly {
        for d in state.deposed.iter().filter(|d| in_targets(&d.addr)) {
            deletes.push(ResourceChange {
                addr: d.addr.clone(),
                prev_addr: None,
                provider: d.instance.provider.clone(),
                action: Action::Delete,
                before: d.instance.value(),
                after: Value::Null,
                replace_paths: Vec::new(),
                reason: None,
                create_before_destroy: false,
                private: None,
                dependencies: d.instance.dependencies.clone(),
                import_id: None,
                deposed: Some(d.key.clone()),
            });
        }
    }
    if errors.is_empty() {
        Ok(deletes)
    } else {
        Err(errors)
    }
}

/// Terraform's `action_reason` for deleting an instance the walk did not see.
fn orphan_reason(root: &Module, module_instances: &[ModulePath], addr: &InstanceAddr) -> &'static str {
    use iac_core::plan::reason::*;
    let module = &addr.resource.module;
    if !module.is_root() && module_instances.binary_search(module).is_err() {
        return DELETE_NO_MODULE;
    }
    let Some(r) = root.resource(&addr.resource.config()) else { return DELETE_NO_RESOURCE_CONFIG };
    match (&addr.key, r.count.is_some(), r.for_each.is_some()) {
        (InstanceKey::Int(_), true, _) => DELETE_COUNT_INDEX,
        (InstanceKey::Str(_), _, true) => DELETE_EACH_KEY,
        _ => DELETE_WRONG_REPETITION,
    }
}
