//! Building the configuration graph: a node for every declared object of
//! every module, then the edges of each kind of object (a module's
//! variables wait for its call, everything in a module for the call's
//! expansion), and the provider configuration each resource uses, found
//! through the module calls' `providers` maps.

use iac_core::address::{ConfigModulePath, LocalResourceAddr, Mode};
use iac_lang::config::{Module, ProviderRef};
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::load::Stack;
use iac_lang::refs::Subject;

use super::cycles::find_cycles;
use super::references::{Context, EdgeBuilder};
use super::{ConfigGraph, NodeId, NodeKind};
use crate::providers::ProviderKey;

/// Builds the graph; every unknown reference and every cycle is a diagnostic.
/// `provider_known` says whether a provider name is available.
pub fn build(stack: &Stack, provider_known: &dyn Fn(&str) -> bool) -> (ConfigGraph, Diagnostics) {
    let mut g = ConfigGraph::default();
    let mut diags = Diagnostics::default();
    let total: usize = stack
        .root
        .walk()
        .iter()
        .map(|m| m.variables.len() + m.locals.len() + m.resources.len() + m.outputs.len() + m.module_calls.len() + m.providers.len() + 1)
        .sum();
    g.index.reserve(total);
    g.nodes.reserve(total);
    g.deps.reserve(total);
    // Pass 1: nodes.
    for m in stack.root.walk() {
        let p = m.call_path.clone();
        for n in m.variables.keys() {
            g.add(NodeId { module: p.clone(), kind: NodeKind::Variable(n.clone()) });
        }
        for n in m.locals.keys() {
            g.add(NodeId { module: p.clone(), kind: NodeKind::Local(n.clone()) });
        }
        for n in m.resources.keys() {
            g.add(NodeId { module: p.clone(), kind: NodeKind::Resource(n.clone()) });
        }
        for n in m.outputs.keys() {
            g.add(NodeId { module: p.clone(), kind: NodeKind::Output(n.clone()) });
        }
        for n in m.module_calls.keys() {
            g.add(NodeId { module: p.clone(), kind: NodeKind::ModuleCall(n.clone()) });
        }
        for pc in &m.providers {
            let key = ProviderKey { module: p.clone(), name: pc.name.clone(), alias: pc.alias.clone() };
            g.add(NodeId { module: p.clone(), kind: NodeKind::Provider(key.local()) });
        }
    }
    // Pass 2: edges.
    for m in stack.root.walk() {
        let p = m.call_path.clone();
        let parent_call = p.parent().map(|(parent, name)| g.id(&parent, NodeKind::ModuleCall(name.to_string())).expect("module call node exists"));
        let mut b = EdgeBuilder { g: &mut g, diags: &mut diags };
        for (n, v) in &m.variables {
            let me = b.g.id(&p, NodeKind::Variable(n.clone())).expect("added");
            if let Some(call) = parent_call {
                b.g.edge(me, call, None);
                let (parent_path, name) = p.parent().expect("a module with a call");
                let parent = stack.root.descendant(&parent_path).expect("parent exists");
                let mc = &parent.module_calls[name];
                match mc.inputs.get(n) {
                    Some(e) => b.expr_edges(me, parent, e, Context::ModuleCall(mc.count.is_some(), mc.for_each.is_some())),
                    None if v.default.is_none() => b.diags.push(
                        Diagnostic::error(format!("module {name:?} needs a value for its required variable {n:?}"), Some(mc.span.clone()))
                            .with_related(v.span.clone(), "declared here"),
                    ),
                    None => {}
                }
            }
            // Its validation rules may name other objects of its module
            // (Terraform 1.9 and later): checked after them, and what uses
            // the variable waits for the check, as in Terraform.
            for rule in &v.validations {
                b.validation_edges(me, m, n, &rule.condition);
                b.validation_edges(me, m, n, &rule.error_message);
            }
        }
        if let Some(call) = parent_call {
            let (parent_path, name) = p.parent().expect("a module with a call");
            let parent = stack.root.descendant(&parent_path).expect("parent exists");
            let unavailable = parent.module_calls[name].unavailable;
            for (input, e) in &parent.module_calls[name].inputs {
                if !unavailable && !m.variables.contains_key(input) {
                    b.diags.push(Diagnostic::error(format!("module {name:?} has no variable {input:?}"), Some(e.span())));
                }
            }
            // Every node of a module instance waits for the module's expansion.
            let own: Vec<usize> =
                b.g.nodes.iter().enumerate().filter(|(_, id)| id.module == p && !matches!(id.kind, NodeKind::Variable(_))).map(|(i, _)| i).collect();
            for i in own {
                b.g.edge(i, call, None);
            }
        }
        for (n, l) in &m.locals {
            let me = b.g.id(&p, NodeKind::Local(n.clone())).expect("added");
            b.expr_edges(me, m, &l.value, Context::Plain);
        }
        for (n, o) in &m.outputs {
            let me = b.g.id(&p, NodeKind::Output(n.clone())).expect("added");
            b.expr_edges(me, m, &o.value, Context::Plain);
            for a in &o.preconditions {
                b.expr_edges(me, m, &a.condition, Context::Plain);
                b.expr_edges(me, m, &a.error_message, Context::Plain);
            }
            for d in &o.depends_on {
                b.depends_on_edge(me, m, d);
            }
        }
        for (n, mc) in &m.module_calls {
            let me = b.g.id(&p, NodeKind::ModuleCall(n.clone())).expect("added");
            for e in mc.count.iter().chain(mc.for_each.iter()) {
                b.expr_edges(me, m, e, Context::Plain);
            }
            for d in &mc.depends_on {
                b.depends_on_edge(me, m, d);
            }
        }
        for pc in &m.providers {
            let key = ProviderKey { module: p.clone(), name: pc.name.clone(), alias: pc.alias.clone() };
            let me = b.g.id(&p, NodeKind::Provider(key.local())).expect("added");
            if !provider_known(&pc.name) {
                b.diags.push(Diagnostic::error(format!("unknown provider {:?}", pc.name), Some(pc.span.clone())));
            }
            let (refs, errors) = iac_lang::refs::body_references(&pc.body, &["alias"]);
            b.ref_edges(me, m, refs, errors, pc.file, Context::Plain);
        }
        for (k, r) in &m.resources {
            let me = b.g.id(&p, NodeKind::Resource(k.clone())).expect("added");
            for e in r.count.iter().chain(r.for_each.iter()) {
                b.expr_edges(me, m, e, Context::Plain);
            }
            let ctx = Context::Resource(r.count.is_some(), r.for_each.is_some());
            // Scope-aware: a dynamic block's iterator (`ingress.value`) is not a reference.
            let (refs, errors) = iac_lang::refs::body_references(&r.body, iac_lang::config::RESOURCE_META_ARGS);
            if r.mode == Mode::Data {
                let count_refs = r.count.iter().chain(r.for_each.iter()).flat_map(|e| iac_lang::refs::references(&e.expr).0);
                let managed: Vec<usize> = count_refs
                    .chain(refs.iter().cloned())
                    .filter_map(|rf| match rf.subject {
                        Subject::Resource { type_, name } => b.g.id(&p, NodeKind::Resource(LocalResourceAddr::new(Mode::Managed, &type_, &name))),
                        _ => None,
                    })
                    .collect();
                b.g.data_managed_refs.insert(me, managed);
            }
            b.ref_edges(me, m, refs, errors, r.file, ctx);
            for e in &r.lifecycle.replace_triggered_by {
                b.expr_edges(me, m, e, ctx);
            }
            for a in r.lifecycle.preconditions.iter().chain(&r.lifecycle.postconditions) {
                b.condition_edges(me, m, &a.condition, ctx);
                b.condition_edges(me, m, &a.error_message, ctx);
            }
            for d in &r.depends_on {
                b.depends_on_edge(me, m, d);
            }
            match resolve_provider(stack, m, &r.provider) {
                Ok(key) => {
                    if !provider_known(&key.name) {
                        b.diags.push(Diagnostic::error(
                            format!("{k}: no provider {:?} is available", key.name),
                            Some(r.provider.span.clone().unwrap_or(r.span.clone())),
                        ));
                        continue;
                    }
                    let pid = b.g.add(NodeId { module: key.module.clone(), kind: NodeKind::Provider(key.local()) });
                    b.g.edge(me, pid, None);
                    b.g.resource_provider.insert(me, key);
                }
                Err(msg) => b.diags.push(Diagnostic::error(format!("{k}: {msg}"), Some(r.provider.span.clone().unwrap_or(r.span.clone())))),
            }
        }
    }
    // An import block's id is evaluated in the root module when its target
    // instance is planned: that resource waits for what the id refers to.
    let mut b = EdgeBuilder { g: &mut g, diags: &mut diags };
    for i in &stack.root.imports {
        // Checked whether the target resource exists or not, as Terraform does.
        if let Some(problem) = i.for_each.as_ref().and_then(|fe| super::import_target_mismatch(stack, i, fe)) {
            let fe = i.for_each.as_ref().expect("checked");
            b.diags.push(Diagnostic::error(format!("Invalid import 'to' expression: {problem}"), Some(fe.to_expr.span())));
        }
        if let Some(me) = b.g.id(&i.to.resource.module.config_path(), NodeKind::Resource(i.to.resource.local())) {
            match &i.for_each {
                None => b.expr_edges(me, &stack.root, &i.id, Context::Plain),
                // With for_each, the id and the target's keys may use each.key and each.value.
                Some(fe) => {
                    b.expr_edges(me, &stack.root, &fe.for_each, Context::Plain);
                    b.expr_edges(me, &stack.root, &i.id, Context::Resource(false, true));
                    for step in &fe.to {
                        if let iac_lang::config::ImportToStep::Index(e) = step {
                            b.expr_edges(me, &stack.root, e, Context::Resource(false, true));
                        }
                    }
                }
            }
        }
    }
    find_cycles(&g, &mut diags);
    (g, diags)
}

/// Finds the provider configuration a resource in module `m` uses.
pub fn resolve_provider(stack: &Stack, m: &Module, r: &ProviderRef) -> Result<ProviderKey, String> {
    let mut module = m;
    let mut want = (r.name.clone(), r.alias.clone());
    loop {
        if module.providers.iter().any(|p| p.name == want.0 && p.alias == want.1) {
            return Ok(ProviderKey { module: module.call_path.clone(), name: want.0, alias: want.1 });
        }
        let Some((parent_path, call_name)) = module.call_path.parent() else { break };
        let parent = stack.root.descendant(&parent_path).expect("parent exists");
        let key = match &want.1 {
            Some(a) => format!("{}.{a}", want.0),
            None => want.0.clone(),
        };
        match parent.module_calls[call_name].providers.get(&key) {
            Some(p) => want = (p.name.clone(), p.alias.clone()),
            None if want.1.is_some() => return Err(format!("provider configuration {key} is not declared in this module nor passed to it")),
            None => {}
        }
        module = parent;
    }
    match want.1 {
        None => Ok(ProviderKey { module: ConfigModulePath::root(), name: want.0, alias: None }),
        Some(a) => Err(format!("no provider configuration {}.{a} is declared", want.0)),
    }
}
