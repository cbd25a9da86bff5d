//! The edges of one node's expressions: each reference becomes an edge to
//! the node it names, with the reference's span; unknown references,
//! references to itself and misplaced `count.index`/`each`/`self` become
//! diagnostics in Terraform 1.11.4's words, with a "did you mean" built
//! only for wrong references.

use iac_core::address::{LocalResourceAddr, Mode};
use iac_lang::config::{Expr, HclExpr, Module};
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::refs::{references, Subject};
use iac_lang::source::{FileId, Span};

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
            // Terraform's errors name the address alone (`data.t.n`, not `data.t.n.attr`).
            let address_end = (r.range.start + r.subject.describe().len()).min(r.range.end);
            let address = Span { file, range: r.range.start..address_end };
            match self.target(m, &r.subject, ctx, &address) {
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
                Err(d) => self.diags.push(d),
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
                match self.target(m, s, Context::Plain, &span) {
                    Ok(t) => t.into_iter().for_each(|t| {
                        self.g.edge(me, t, Some(span.clone()));
                        self.g.depends_on.entry(me).or_default().push(DependsOnTarget { node: t, upstream });
                    }),
                    Err(d) => self.diags.push(d),
                }
            }
            Some(Subject::Module { name, .. }) => {
                let Some(call) = m.module_calls.get(name) else {
                    self.diags.push(undeclared_module(m, name, &span));
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

    /// The nodes `s` (written at `span`) refers to, or Terraform 1.11.4's
    /// error for a reference to what `m` does not declare or what is not
    /// available where it is written.
    fn target(&self, m: &Module, s: &Subject, ctx: Context, span: &Span) -> Result<Vec<usize>, Diagnostic> {
        let p = &m.call_path;
        let in_module = || if p.is_root() { "the root module".to_string() } else { p.to_string() };
        let refused = |summary: &str, detail: String| Diagnostic::error(summary, Some(span.clone())).with_detail(detail);
        // The message (with its "did you mean", a comparison with every
        // candidate) is built only when the reference is wrong: building it
        // eagerly made graph construction quadratic in the number of resources.
        let one = |kind: NodeKind, what: &dyn Fn() -> Diagnostic| -> Result<Vec<usize>, Diagnostic> { self.g.id(p, kind).map(|i| vec![i]).ok_or_else(what) };
        let resource = |mode: Mode, type_: &str, name: &str, what: &str| {
            one(NodeKind::Resource(LocalResourceAddr::new(mode, type_, name)), &|| {
                refused("Reference to undeclared resource", format!("{what} {type_:?} {name:?} has not been declared in {}.", in_module()))
            })
        };
        match s {
            Subject::Var(n) => one(NodeKind::Variable(n.clone()), &|| {
                let hint = match did_you_mean(n, m.variables.keys()) {
                    Some(c) => format!(" Did you mean {c:?}?"),
                    None => format!(" This variable can be declared with a variable {n:?} {{}} block."),
                };
                refused("Reference to undeclared input variable", format!("An input variable with the name {n:?} has not been declared.{hint}"))
            }),
            Subject::Local(n) => one(NodeKind::Local(n.clone()), &|| {
                let hint = did_you_mean(n, m.locals.keys()).map(|c| format!(" Did you mean {c:?}?")).unwrap_or_default();
                refused("Reference to undeclared local value", format!("A local value with the name {n:?} has not been declared.{hint}"))
            }),
            Subject::Resource { type_, name } => resource(Mode::Managed, type_, name, "A managed resource"),
            Subject::Data { type_, name } => resource(Mode::Data, type_, name, "A data resource"),
            Subject::Ephemeral { type_, name } => resource(Mode::Ephemeral, type_, name, "An ephemeral resource"),
            Subject::Module { name, output } => {
                let call = m.module_calls.get(name).ok_or_else(|| undeclared_module(m, name, span))?;
                let child = p.child(name);
                match output {
                    Some(o) => match self.g.id(&child, NodeKind::Output(o.clone())) {
                        Some(i) => Ok(vec![i]),
                        // The module failed to load and said so once; no cascade.
                        None if call.unavailable => Ok(vec![]),
                        // Terraform's error names the attribute (`.o`), which ends the reference.
                        None => {
                            let end = span.range.end;
                            let attribute = Span { file: span.file, range: end.saturating_sub(o.len() + 1).max(span.range.start)..end };
                            Err(Diagnostic::error("Unsupported attribute", Some(attribute))
                                .with_detail(format!("This object does not have an attribute named {o:?}.")))
                        }
                    },
                    None => Ok(call.module.outputs.keys().filter_map(|o| self.g.id(&child, NodeKind::Output(o.clone()))).collect()),
                }
            }
            Subject::CountIndex => match ctx {
                Context::Resource(true, _) | Context::ModuleCall(true, _) => Ok(vec![]),
                _ => Err(refused(
                    "Reference to \"count\" in non-counted context",
                    "The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set."
                        .into(),
                )),
            },
            Subject::EachKey | Subject::EachValue => match ctx {
                Context::Resource(_, true) | Context::ModuleCall(_, true) => Ok(vec![]),
                _ => Err(refused(
                    "Reference to \"each\" in context without for_each",
                    "The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.".into(),
                )),
            },
            Subject::SelfRef => Err(refused(
                "Invalid \"self\" reference",
                "The \"self\" object is not available in this context. This object can be used only in resource provisioner, connection, and \
                 postcondition blocks."
                    .into(),
            )),
            Subject::Path(_) | Subject::TerraformWorkspace | Subject::TerraformApplying => Ok(vec![]),
        }
    }
}

/// Terraform's error for `module.NAME` when `m` has no such call.
fn undeclared_module(m: &Module, name: &str, span: &Span) -> Diagnostic {
    let p = &m.call_path;
    let in_module = if p.is_root() { "the root module".to_string() } else { p.to_string() };
    let hint = did_you_mean(name, m.module_calls.keys()).map(|c| format!(" Did you mean {c:?}?")).unwrap_or_default();
    Diagnostic::error("Reference to undeclared module", Some(span.clone()))
        .with_detail(format!("No module call named {name:?} is declared in {in_module}.{hint}"))
}

/// Terraform's "did you mean" for a name (its `didyoumean.NameSuggestion`):
/// the first candidate, in name order, within an edit distance of 2.
/// A candidate whose length differs by 3 or more cannot be that close, so
/// it is skipped before any comparison: the work stays linear in a long
/// name.
fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<&'a String> {
    let n = name.chars().count();
    let mut sorted: Vec<&String> = candidates.filter(|c| c.chars().count().abs_diff(n) < 3).collect();
    sorted.sort();
    sorted.into_iter().find(|c| edit_distance(name, c) < 3)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
