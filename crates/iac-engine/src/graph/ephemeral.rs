//! Where ephemeral values may go, as Terraform 1.11 rules, checked when the
//! stack loads (with the provider schemas, so `validate` reports them too).
//! A value is ephemeral when its expression refers to an ephemeral resource
//! (`ephemeral.TYPE.NAME`), an ephemeral variable (`variable { ephemeral =
//! true }`), a child module's ephemeral output, or a local value that does.
//! Such values may configure providers and ephemeral resources, fill
//! write-only arguments of resources, and pass into ephemeral variables and
//! ephemeral outputs of child modules; anywhere else is Terraform's error.
//! `terraform.applying` is ephemeral too. Terraform tracks this with a mark
//! on values; here it is read from the references, leaving out those inside
//! `ephemeralasnull(...)`, which throws the ephemeral parts away (the
//! evaluator nulls them, from [`ephemeral_subjects`]).

use std::collections::HashSet;

use iac_core::address::{ConfigModulePath, Mode};
use iac_lang::config::{Expr, Module};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::load::Stack;
use iac_lang::refs::{references_kept_ephemeral, Subject};
use iac_lang::source::Span;

use super::{ConfigGraph, NodeKind};
use crate::providers::Registry;

/// Every use of an ephemeral value where Terraform refuses one.
pub fn ephemeral_uses(stack: &Stack, graph: &ConfigGraph, registry: &Registry) -> Vec<Diagnostic> {
    let nodes = ephemeral_nodes(stack, graph);
    // Empty when no node is ephemeral (the usual stack): then references need no look-up.
    let ephemeral: &[bool] = if nodes.contains(&true) { &nodes } else { &[] };
    let is_ephemeral = |m: &Module, e: &Expr| -> bool { refers_to_ephemeral(graph, ephemeral, m, &e.expr) };
    let mut out = Vec::new();
    for m in stack.root.walk() {
        for o in m.outputs.values() {
            if o.ephemeral && m.call_path.is_root() {
                out.push(
                    Diagnostic::error("Ephemeral output not allowed", Some(o.span.clone()))
                        .with_detail("Ephemeral outputs are not allowed in context of a root module"),
                );
            } else if !o.ephemeral && is_ephemeral(m, &o.value) {
                out.push(Diagnostic::error("Ephemeral value not allowed", Some(o.value.span())).with_detail(
                    "This output value is not declared as returning an ephemeral value, so it cannot be set to a result derived from an ephemeral value.",
                ));
            }
        }
        for (name, call) in &m.module_calls {
            for (input, e) in &call.inputs {
                let accepts = call.module.variables.get(input).is_none_or(|v| v.ephemeral);
                if !accepts && is_ephemeral(m, e) {
                    out.push(Diagnostic::error("Ephemeral value not allowed", Some(e.span())).with_detail(format!(
                        "This input variable is not declared as accepting a ephemeral values, so it cannot be set to a result derived from an ephemeral value. (module {name:?}, variable {input:?})"
                    )));
                }
            }
        }
        for r in m.resources.values() {
            if r.mode == Mode::Ephemeral {
                continue;
            }
            if let Some(e) = r.count.as_ref().filter(|e| is_ephemeral(m, e)) {
                out.push(Diagnostic::error("Invalid count argument", Some(e.span())).with_detail(
                    "The given \"count\" is derived from an ephemeral value, which means that Terraform cannot persist it between plan/apply rounds. Use only non-ephemeral values to specify the number of resource instances.",
                ));
            }
            if let Some(e) = r.for_each.as_ref().filter(|e| is_ephemeral(m, e)) {
                out.push(Diagnostic::error("Invalid for_each argument", Some(e.span())).with_detail(
                    "The given \"for_each\" value is derived from an ephemeral value, which means that Terraform cannot persist it between plan/apply rounds. Use only non-ephemeral values to specify a resource's instance keys.",
                ));
            }
            // Only the arguments given an ephemeral value need the schema,
            // and most resources have none: look it up only for them.
            let args = iac_lang::refs::body_arguments(&r.body, iac_lang::config::RESOURCE_META_ARGS);
            let given: Vec<_> = args.into_iter().filter(|arg| refers_to_ephemeral(graph, ephemeral, m, arg.expr)).collect();
            if given.is_empty() {
                continue;
            }
            let Some(idx) = graph.id(&m.call_path, NodeKind::Resource(r.key())) else { continue };
            let Some(factory) = graph.resource_provider.get(&idx).and_then(|p| registry.get(&p.name)) else { continue };
            let schema = match r.mode {
                Mode::Managed => factory.schema().resources.get(&r.type_),
                _ => factory.schema().data_sources.get(&r.type_),
            };
            let Some(schema) = schema else { continue };
            for arg in given {
                let block = arg.blocks.iter().try_fold(&schema.block, |b, name| b.blocks.get(name).map(|n| &n.block));
                // Write-only arguments (`Attribute::ephemeral` for plugins) take ephemeral values.
                let write_only = block.and_then(|b| b.attributes.get(&arg.name)).is_some_and(|a| a.ephemeral);
                if !write_only {
                    out.push(Diagnostic::error("Invalid use of ephemeral value", Some(Span { file: r.file, range: arg.range })).with_detail(format!(
                        "Ephemeral values are not valid for \"{}\", because it is not a write-only attribute and must be persisted to state.",
                        arg.name
                    )));
                }
            }
        }
    }
    // In the order they are written, as Terraform reports them.
    out.sort_by_key(|d| d.span.as_ref().map(|s| (s.file, s.range.start)));
    out
}

/// What holds ephemeral values, as each module refers to it: ephemeral
/// resources, variables and local values, and (in the calling module)
/// child modules' ephemeral outputs.
pub fn ephemeral_subjects(stack: &Stack, graph: &ConfigGraph) -> HashSet<(ConfigModulePath, Subject)> {
    let eph = ephemeral_nodes(stack, graph);
    let mut out = HashSet::new();
    for (id, _) in graph.nodes.iter().zip(&eph).filter(|(_, e)| **e) {
        let subject = match &id.kind {
            NodeKind::Resource(k) => Subject::Ephemeral { type_: k.type_.clone(), name: k.name.clone() },
            NodeKind::Variable(n) => Subject::Var(n.clone()),
            NodeKind::Local(n) => Subject::Local(n.clone()),
            NodeKind::Output(n) => {
                let Some((parent, call)) = id.module.parent() else { continue };
                out.insert((parent, Subject::Module { name: call.to_string(), output: Some(n.clone()) }));
                continue;
            }
            _ => continue,
        };
        out.insert((id.module.clone(), subject));
    }
    out
}

/// Which nodes hold ephemeral values: ephemeral resources, ephemeral
/// variables and outputs, and the local values that refer to one of them.
fn ephemeral_nodes(stack: &Stack, graph: &ConfigGraph) -> Vec<bool> {
    let mut eph = vec![false; graph.nodes.len()];
    for (i, id) in graph.nodes.iter().enumerate() {
        let Some(m) = stack.root.descendant(&id.module) else { continue };
        eph[i] = match &id.kind {
            NodeKind::Resource(k) => k.mode == Mode::Ephemeral,
            NodeKind::Variable(n) => m.variables.get(n).is_some_and(|v| v.ephemeral),
            NodeKind::Output(n) => m.outputs.get(n).is_some_and(|o| o.ephemeral),
            _ => false,
        };
    }
    // Local values, to a fixed point (a local may refer to another).
    loop {
        let mut changed = false;
        for (i, id) in graph.nodes.iter().enumerate() {
            let NodeKind::Local(n) = &id.kind else { continue };
            if eph[i] {
                continue;
            }
            let Some(m) = stack.root.descendant(&id.module) else { continue };
            let Some(l) = m.locals.get(n) else { continue };
            if refers_to_ephemeral(graph, &eph, m, &l.value.expr) {
                eph[i] = true;
                changed = true;
            }
        }
        if !changed {
            return eph;
        }
    }
}

/// Whether an expression written in module `m` refers to an ephemeral node
/// (`eph` by node index; empty when no node is ephemeral).
fn refers_to_ephemeral(graph: &ConfigGraph, eph: &[bool], m: &Module, expr: &iac_lang::config::HclExpr) -> bool {
    references_kept_ephemeral(expr)
        .iter()
        .any(|r| r.subject == Subject::TerraformApplying || (!eph.is_empty() && node_of(graph, m, &r.subject).is_some_and(|i| eph[i])))
}

/// The node a reference's subject names in module `m` (None for what is
/// not a node: `count.index`, `path.module`, a module as a whole).
fn node_of(graph: &ConfigGraph, m: &Module, s: &Subject) -> Option<usize> {
    let p = &m.call_path;
    let kind = match s {
        Subject::Var(n) => NodeKind::Variable(n.clone()),
        Subject::Local(n) => NodeKind::Local(n.clone()),
        Subject::Resource { type_, name } => NodeKind::Resource(iac_core::address::LocalResourceAddr::new(Mode::Managed, type_, name)),
        Subject::Data { type_, name } => NodeKind::Resource(iac_core::address::LocalResourceAddr::new(Mode::Data, type_, name)),
        Subject::Ephemeral { type_, name } => NodeKind::Resource(iac_core::address::LocalResourceAddr::new(Mode::Ephemeral, type_, name)),
        Subject::Module { name, output: Some(o) } => return graph.id(&p.child(name), NodeKind::Output(o.clone())),
        _ => return None,
    };
    graph.id(p, kind)
}
