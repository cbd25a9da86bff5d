//! Terraform's checks of `moved` blocks, made on the configuration alone
//! (each block's addresses are relative to the module that declares it):
//! a move to its own address is redundant; an object moved away must no
//! longer be declared ("Moved object still exists"); an address moves to
//! one place and is moved to from one place ("Ambiguous move statements");
//! and chained blocks (`a` to `b`, `b` to `c`) must end somewhere ("Cyclic
//! dependency in move statements"). Whether an instance named by a key
//! (`a[1]`) is still declared depends on its count or for_each: a plan
//! checks that once the walk expanded them (`check_keyed_moves`).

use iac_core::address::{InstanceAddr, InstanceKey, ModulePath, Target};

use crate::config::{Module, Moved};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};

/// Both ends of a block as Terraform reads them: when one end names an
/// instance, a resource address on the other end is its unkeyed instance.
pub fn endpoints(m: &Moved) -> (Target, Target) {
    let unkeyed = |t: &Target| match t {
        Target::Resource(r) => Target::Instance(r.instance(InstanceKey::None)),
        other => other.clone(),
    };
    match (&m.from, &m.to) {
        (Target::Instance(_), Target::Resource(_)) | (Target::Resource(_), Target::Instance(_)) => (unkeyed(&m.from), unkeyed(&m.to)),
        (f, t) => (f.clone(), t.clone()),
    }
}

/// Every problem of every module's `moved` blocks. As in Terraform, a
/// plan checks them (`validate` does not).
pub fn check_moved_blocks(root: &Module, sources: &SourceMap) -> Vec<Diagnostic> {
    root.walk().into_iter().flat_map(|module| check_module(module, sources)).collect()
}

fn check_module(module: &Module, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let at = |m: &Moved| sources.locate(&m.span);
    let blocks: Vec<(&Moved, Target, Target)> = module
        .moved
        .iter()
        .map(|m| {
            let (f, t) = endpoints(m);
            (m, f, t)
        })
        .collect();
    for (i, (m, from, to)) in blocks.iter().enumerate() {
        if from == to {
            diags.push(Diagnostic::error(
                format!("Redundant move statement: this statement declares a move from {from} to the same address, which is the same as not declaring this move at all"),
                Some(m.span.clone()),
            ));
            continue;
        }
        if let Some((noun, declared)) = still_declared(module, from, to) {
            diags.push(still_exists(m, from, to, noun, &sources.locate(declared)));
        }
        for (other, ofrom, oto) in &blocks[..i] {
            if ofrom == from && oto != to {
                diags.push(Diagnostic::error(
                    format!("Ambiguous move statements: a statement at {} declared that {from} moved to {oto}, but this statement instead declares that it moved to {to}", at(other)),
                    Some(m.span.clone()),
                ));
            }
            if oto == to && ofrom != from {
                diags.push(Diagnostic::error(
                    format!(
                        "Ambiguous move statements: a statement at {} declared that {ofrom} moved to {to}, but this statement instead declares that {from} moved there",
                        at(other)
                    ),
                    Some(m.span.clone()),
                ));
            }
        }
    }
    // As Terraform: chains are checked once the blocks are otherwise valid.
    if !diags.is_empty() {
        return diags;
    }
    let ends: Vec<(Target, Target)> = blocks.iter().map(|(_, f, t)| (f.clone(), t.clone())).collect();
    for cycle in cycles(&ends) {
        let first = blocks[cycle[0]].0;
        let mut steps: Vec<String> = cycle.iter().map(|&i| format!("\n  - {}: {} → {}", at(blocks[i].0), blocks[i].1, blocks[i].2)).collect();
        steps.sort();
        diags.push(
            Diagnostic::error("Cyclic dependency in move statements: the chained move statements form a cycle, so there is no final location to move objects to", Some(first.span.clone()))
                .with_detail(format!(
                    "The statements in the cycle:{}\n\nA chain of move statements must end with an address that doesn't appear in any other statements, and which typically also refers to an object still declared in the configuration.",
                    steps.join("")
                )),
        );
    }
    diags
}

/// Terraform's "Moved object still exists" error.
fn still_exists(m: &Moved, from: &Target, to: &Target, noun: &str, declared_at: &str) -> Diagnostic {
    let short = noun.rsplit(' ').next().unwrap_or(noun);
    Diagnostic::error(
        format!("Moved object still exists: this statement declares a move from {from}, but that {noun} is still declared at {declared_at}"),
        Some(m.span.clone()),
    )
    .with_detail(format!("Change your configuration so that this {short} will be declared as {to} instead."))
}

/// "Moved object still exists" for blocks moving away from an instance
/// with a key (`a[1]`, `a["k"]`) of a resource with count or for_each,
/// checked as Terraform does once instances are expanded: an error when
/// some instance of the declaring module still declares it (`declared`:
/// whether the plan's walk found that instance in the configuration). It
/// is declared where its count or for_each is written.
pub fn check_keyed_moves(root: &Module, sources: &SourceMap, module_instances: &[ModulePath], declared: impl Fn(&InstanceAddr) -> bool) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for module in root.walk() {
        let prefixes: Vec<ModulePath> = if module.call_path.is_root() {
            vec![ModulePath::root()]
        } else {
            module_instances.iter().filter(|p| p.config_path() == module.call_path).cloned().collect()
        };
        for m in &module.moved {
            let (from, to) = endpoints(m);
            let Target::Instance(i) = &from else { continue };
            if i.key == InstanceKey::None {
                continue;
            }
            let Some(res) = module.descendant(&i.resource.module.config_path()).and_then(|c| c.resources.get(&i.resource.local())) else { continue };
            let Some(repetition) = res.count.as_ref().or(res.for_each.as_ref()) else { continue };
            let still = prefixes.iter().any(|prefix| {
                let mut steps = prefix.0.clone();
                steps.extend(i.resource.module.0.iter().cloned());
                let resource = iac_core::address::ResourceAddr { module: ModulePath(steps), ..i.resource.clone() };
                declared(&resource.instance(i.key.clone()))
            });
            if still {
                diags.push(still_exists(m, &from, &to, "resource instance", &sources.locate(&repetition.span())));
            }
        }
    }
    diags
}

/// What kind of object `from` names, and where, when the configuration
/// still declares it; None when it does not, or when that depends on a
/// count or for_each.
fn still_declared<'m>(module: &'m Module, from: &Target, to: &Target) -> Option<(&'static str, &'m Span)> {
    let in_module = |path: &ModulePath| module.descendant(&path.config_path());
    match from {
        Target::Resource(r) => in_module(&r.module)?.resources.get(&r.local()).map(|res| ("resource", &res.span)),
        Target::Instance(i) if i.key == InstanceKey::None => {
            let res = in_module(&i.resource.module)?.resources.get(&i.resource.local())?;
            (res.count.is_none() && res.for_each.is_none()).then_some(("resource instance", &res.span))
        }
        Target::Instance(_) => None,
        Target::Module(m) => {
            let (last, parent) = m.0.split_last()?;
            let call = in_module(&ModulePath(parent.to_vec()))?.module_calls.get(&last.name)?;
            let to_keyed = matches!(to, Target::Module(t) if t.0.last().is_some_and(|s| s.key != InstanceKey::None));
            match (&last.key, to_keyed) {
                // `module.a` on both ends is the call with all its instances.
                (InstanceKey::None, false) => Some(("module call", &call.span)),
                (InstanceKey::None, true) => (call.count.is_none() && call.for_each.is_none()).then_some(("module instance", &call.span)),
                _ => None,
            }
        }
    }
}

/// The chains of blocks that come back to where they started: block `a`
/// follows block `b` when `a` moves from where `b` moved to.
fn cycles(ends: &[(Target, Target)]) -> Vec<Vec<usize>> {
    let next = |i: usize| -> Vec<usize> { (0..ends.len()).filter(|&j| j != i && ends[j].0 == ends[i].1).collect() };
    let mut reported: Vec<Vec<usize>> = Vec::new();
    for start in 0..ends.len() {
        // Depth-first along the chain from `start`, looking for `start` again.
        let mut path = vec![start];
        let mut stack = vec![next(start)];
        while let Some(options) = stack.last_mut() {
            match options.pop() {
                Some(j) if j == start => {
                    let mut c = path.clone();
                    c.sort_unstable();
                    if !reported.contains(&c) {
                        reported.push(c);
                    }
                }
                Some(j) if !path.contains(&j) => {
                    path.push(j);
                    stack.push(next(j));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                    path.pop();
                }
            }
        }
    }
    reported
}
