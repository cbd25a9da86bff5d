//! `moved` blocks applied to the state a plan starts from: each block
//! renames addresses, within every instance of the module that declares it.
//! Chained blocks (`a` to `b`, `b` to `c`) apply in chain order, whatever
//! order they are written in, and make one move (`a` to `c`), as in
//! Terraform; so does a block moving something inside a module after the
//! block moving that module there (`module.old` to `module.new`, then
//! `module.new.x` to `module.new.y`).

use std::collections::HashMap;

use iac_core::address::{InstanceAddr, InstanceKey, ModulePath, Target};
use iac_core::state::State;
use iac_lang::load::Stack;

/// Applies `moved` blocks to a state: returns new address → old address.
/// A block in a child module speaks of addresses inside that module, and
/// applies within every instance of it (`module.net["a"]`, `module.net["b"]`).
pub(super) fn apply_moves(stack: &Stack, state: &mut State) -> HashMap<InstanceAddr, InstanceAddr> {
    let mut moved = HashMap::new();
    for module in stack.root.walk() {
        let call_path = &module.call_path;
        for m in chain_order(&module.moved) {
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
                let olds: Vec<(InstanceAddr, InstanceAddr)> =
                    state.resources.keys().filter_map(|a| relocate(&from, &to, a).map(|new| (a.clone(), new))).collect();
                for (old, new) in olds {
                    if state.resources.contains_key(&new) {
                        continue;
                    }
                    if let Some(inst) = state.resources.remove(&old) {
                        tracing::info!(from = %old, to = %new, "moved");
                        state.resources.insert(new.clone(), inst);
                        for d in state.deposed.iter_mut().filter(|d| d.addr == old) {
                            d.addr = new.clone();
                        }
                        // The second block of a chain continues the first's move.
                        let origin = moved.remove(&old).unwrap_or(old);
                        moved.insert(new, origin);
                    }
                }
            }
        }
    }
    moved
}

/// A module's blocks in chain order: a block moving from where another
/// moved to, or from somewhere inside the module another moved to, comes
/// after it (Terraform's order); otherwise as written. A cycle, which
/// loading reports, leaves the rest as written.
fn chain_order(blocks: &[iac_lang::config::Moved]) -> Vec<&iac_lang::config::Moved> {
    let ends: Vec<(Target, Target)> = blocks.iter().map(iac_lang::moved::endpoints).collect();
    let mut placed = vec![false; blocks.len()];
    let mut out = Vec::with_capacity(blocks.len());
    while out.len() < blocks.len() {
        let after = |i: usize, j: usize| ends[j].1 == ends[i].0 || nested_within(&ends[i].0, &ends[j].1);
        let ready = (0..blocks.len()).find(|&i| !placed[i] && !(0..blocks.len()).any(|j| j != i && !placed[j] && after(i, j)));
        let next = ready.unwrap_or_else(|| (0..blocks.len()).find(|&i| !placed[i]).expect("a block is left"));
        placed[next] = true;
        out.push(&blocks[next]);
    }
    out
}

/// Whether `inner` lies inside the module `outer` names (a module call
/// without a key holds all its instances).
fn nested_within(inner: &Target, outer: &Target) -> bool {
    let Target::Module(m) = outer else { return false };
    let (path, strict) = match inner {
        Target::Module(p) => (p, true),
        Target::Resource(r) => (&r.module, false),
        Target::Instance(i) => (&i.resource.module, false),
    };
    let n = m.0.len();
    if n == 0 || path.0.len() < n || (strict && path.0.len() == n) {
        return false;
    }
    let last = &m.0[n - 1];
    path.0[..n - 1] == m.0[..n - 1] && path.0[n - 1].name == last.name && (last.key == InstanceKey::None || path.0[n - 1].key == last.key)
}

/// Where `addr` lands when `from` moves to `to`. As Terraform reads a
/// moved block, `module.a` on both sides (no instance key) is the module
/// call with all its instances: `module.a` to `module.b` moves
/// `module.a[0]` to `module.b[0]` and `module.a["k"]` to `module.b["k"]`;
/// with a key on one side it is the unkeyed instance (`module.a` to
/// `module.a[0]` when count is added).
fn relocate(from: &Target, to: &Target, addr: &InstanceAddr) -> Option<InstanceAddr> {
    if let (Target::Module(f), Target::Module(t)) = (from, to) {
        if let (Some(fl), Some(tl)) = (f.0.last(), t.0.last()) {
            if fl.key == InstanceKey::None && tl.key == InstanceKey::None {
                let steps = &addr.resource.module.0;
                let n = f.0.len();
                if steps.len() < n || steps[..n - 1] != f.0[..n - 1] || steps[n - 1].name != fl.name {
                    return None;
                }
                let mut module = t.0.clone();
                let last = module.len() - 1;
                module[last].key = steps[n - 1].key.clone();
                module.extend(steps[n..].iter().cloned());
                let resource = iac_core::address::ResourceAddr { module: ModulePath(module), ..addr.resource.clone() };
                return Some(resource.instance(addr.key.clone()));
            }
        }
    }
    from.relocate(to, addr)
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
