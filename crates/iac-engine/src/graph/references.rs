//! The edges of one node's expressions: each reference becomes an edge to
//! the node it names, with the reference's span; unknown references,
//! references to itself and misplaced `count.index`/`each`/`self` become
//! diagnostics, with a "did you mean" built only for wrong references.

use iac_core::address::{LocalResourceAddr, Mode};
use iac_lang::config::{Expr, HclExpr, Module};
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::refs::{references, Subject};
use iac_lang::source::{FileId, Span};
use iac_lang::suggest::hint as suggest;

use super::{ConfigGraph, DependsOnTarget, NodeKind};

/// Where an expression is written: what `count.index` and `each` may mean there.
#[derive(Clone, Copy)]
pub(super) enum Context {
    Plain,
    /// (has count, has for_each)
    Resource(bool, bool),
    ModuleCall(bool, bool),
}

/// Adds the edges of a node's expressions to the graph.
pub(super) struct EdgeBuilder<'a> {
    pub g: &'a mut ConfigGraph,
    pub diags: &'a mut Diagnostics,
}

impl EdgeBuilder<'_> {
    pub(super) fn expr_edges(&mut self, me: usize, m: &Module, e: &Expr, ctx: Context) {
        self.hcl_edges(me, m, &e.expr, e.file, ctx)
    }

    pub(super) fn hcl_edges(&mut self, me: usize, m: &Module, expr: &HclExpr, file: FileId, ctx: Context) {
        let (refs, errors) = references(expr);
        self.ref_edges(me, m, refs, errors, file, ctx);
    }

    /// A precondition's or postcondition's expression: as any other, but
    /// `self` (the object being checked) is no reference.
    pub(super) fn condition_edges(&mut self, me: usize, m: &Module, e: &Expr, ctx: Context) {
        let (mut refs, errors) = references(&e.expr);
        refs.retain(|r| r.subject != Subject::SelfRef);
        self.ref_edges(me, m, refs, errors, e.file, ctx);
    }

    /// An expression of variable `name`'s validation rule: as any other,
    /// but the variable itself is no reference (its node gives the value
    /// the rule checks).
    pub(super) fn validation_edges(&mut self, me: usize, m: &Module, name: &str, e: &Expr) {
        let (mut refs, errors) = references(&e.expr);
        refs.retain(|r| !matches!(&r.subject, Subject::Var(n) if n == name));
        self.ref_edges(me, m, refs, errors, e.file, Context::Plain);
    }

    pub(super) fn ref_edges(
        &mut self,
        me: usize,
        m: &Module,
        refs: Vec<iac_lang::refs::Reference>,
        errors: Vec<(std::ops::Range<usize>, String)>,
        file: FileId,
        ctx: Context,
    ) {
        for (range, msg) in errors {
            self.diags.push(Diagnostic::error(format!("invalid reference: {msg}"), Some(Span { file, range })));
        }
        for r in refs {
            let span = Span { file, range: r.range.clone() };
            match self.target(m, &r.subject, ctx) {
                Ok(targets) => {
                    for t in targets {
                        if t == me && !matches!(self.g.nodes[me].kind, NodeKind::Resource(_)) {
                            self.diags.push(Diagnostic::error(format!("{} refers to itself", self.g.nodes[me]), Some(span.clone())));
                            continue;
                        }
                        if t == me {
                            self.diags
                                .push(Diagnostic::error(format!("{} refers to itself; use self only in provisioners", self.g.nodes[me]), Some(span.clone())));
                            continue;
                        }
                        self.g.edge(me, t, Some(span.clone()));
                    }
                }
                Err(msg) => self.diags.push(Diagnostic::error(msg, Some(span))),
            }
        }
    }

    pub(super) fn depends_on_edge(&mut self, me: usize, m: &Module, e: &Expr) {
        let (refs, _) = references(&e.expr);
        let span = e.span();
        match refs.first().map(|r| &r.subject) {
            // Terraform accepts any referenceable object here, variables and locals included.
            Some(s @ (Subject::Resource { .. } | Subject::Data { .. } | Subject::Ephemeral { .. } | Subject::Var(_) | Subject::Local(_))) => {
                let upstream = matches!(s, Subject::Var(_) | Subject::Local(_));
                match self.target(m, s, Context::Plain) {
                    Ok(t) => t.into_iter().for_each(|t| {
                        self.g.edge(me, t, Some(span.clone()));
                        self.g.depends_on.entry(me).or_default().push(DependsOnTarget { node: t, upstream });
                    }),
                    Err(msg) => self.diags.push(Diagnostic::error(msg, Some(span))),
                }
            }
            Some(Subject::Module { name, .. }) => {
                let Some(call) = m.module_calls.get(name) else {
                    self.diags.push(Diagnostic::error(format!("reference to undeclared module {name:?}"), Some(span)));
                    return;
                };
                for child in call.module.walk() {
                    for k in child.resources.keys() {
                        if let Some(t) = self.g.id(&child.call_path, NodeKind::Resource(k.clone())) {
                            self.g.edge(me, t, Some(span.clone()));
                            self.g.depends_on.entry(me).or_default().push(DependsOnTarget { node: t, upstream: true });
                        }
                    }
                }
            }
            _ => self.diags.push(Diagnostic::error("depends_on entries must be resources, data sources or modules", Some(span))),
        }
    }

    fn target(&self, m: &Module, s: &Subject, ctx: Context) -> Result<Vec<usize>, String> {
        let p = &m.call_path;
        // The message (with its "did you mean", a diff against every candidate)
        // is built only when the reference is wrong: building it eagerly made
        // graph construction quadratic in the number of resources.
        let one = |kind: NodeKind, what: &dyn Fn() -> String| -> Result<Vec<usize>, String> { self.g.id(p, kind).map(|i| vec![i]).ok_or_else(what) };
        match s {
            Subject::Var(n) => one(NodeKind::Variable(n.clone()), &|| format!("reference to undeclared variable {n:?}{}", suggest(n, m.variables.keys()))),
            Subject::Local(n) => one(NodeKind::Local(n.clone()), &|| format!("reference to undeclared local value {n:?}{}", suggest(n, m.locals.keys()))),
            Subject::Resource { type_, name } => one(NodeKind::Resource(LocalResourceAddr::new(Mode::Managed, type_, name)), &|| {
                // Near misses among the resources of the same type.
                let prefix = format!("{type_}.");
                let names: Vec<String> = m.resources.keys().filter(|k| k.mode == Mode::Managed && k.type_ == *type_).map(|k| k.name.clone()).collect();
                let hint = suggest(name, names.iter()).replacen("did you mean \"", &format!("did you mean \"{prefix}"), 1);
                format!("reference to undeclared resource {type_}.{name}{hint}")
            }),
            Subject::Data { type_, name } => {
                one(NodeKind::Resource(LocalResourceAddr::new(Mode::Data, type_, name)), &|| format!("reference to undeclared data source data.{type_}.{name}"))
            }
            Subject::Ephemeral { type_, name } => one(NodeKind::Resource(LocalResourceAddr::new(Mode::Ephemeral, type_, name)), &|| {
                format!("reference to undeclared ephemeral resource ephemeral.{type_}.{name}")
            }),
            Subject::Module { name, output } => {
                let call = m.module_calls.get(name).ok_or_else(|| format!("reference to undeclared module {name:?}"))?;
                let child = p.child(name);
                match output {
                    Some(o) => match self.g.id(&child, NodeKind::Output(o.clone())) {
                        Some(i) => Ok(vec![i]),
                        // The module failed to load and said so once; no cascade.
                        None if call.unavailable => Ok(vec![]),
                        None => Err(format!("module {name:?} has no output {o:?}{}", suggest(o, call.module.outputs.keys()))),
                    },
                    None => Ok(call.module.outputs.keys().filter_map(|o| self.g.id(&child, NodeKind::Output(o.clone()))).collect()),
                }
            }
            Subject::CountIndex => match ctx {
                Context::Resource(true, _) | Context::ModuleCall(true, _) => Ok(vec![]),
                _ => Err("count.index is only available where count is set".into()),
            },
            Subject::EachKey | Subject::EachValue => match ctx {
                Context::Resource(_, true) | Context::ModuleCall(_, true) => Ok(vec![]),
                _ => Err(format!("{} is only available where for_each is set", s.describe())),
            },
            Subject::SelfRef => Err("self is only available in provisioners, which are not supported".into()),
            Subject::Path(_) | Subject::TerraformWorkspace | Subject::TerraformApplying => Ok(vec![]),
        }
    }
}
