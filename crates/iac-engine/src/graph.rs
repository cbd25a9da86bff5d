//! The configuration graph: one node per declared object per module (a
//! resource node covers all its count/for_each instances, which are known
//! only during the walk), with an edge for every reference and depends_on.
//! Edges remember the span of the reference, so a cycle is reported step
//! by step. Only direct edges are stored: no closure, no reduction.

use std::collections::{BTreeMap, HashMap};

use iac_core::address::{ConfigModulePath, LocalProviderConfig, LocalResourceAddr, Mode};
use iac_lang::config::{Expr, HclExpr, Module, ProviderRef, Resource};
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::load::Stack;
use iac_lang::refs::{references, Subject};
use iac_lang::source::FileId;
use iac_lang::source::Span;
use iac_lang::suggest::hint as suggest;

use crate::providers::{ProviderKey, Registry};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Variable(String),
    Local(String),
    /// As its module names it ([`Resource::key`]: `aws_vpc.main`, `data.x.y`).
    Resource(LocalResourceAddr),
    Output(String),
    ModuleCall(String),
    /// `aws` or `aws.west`.
    Provider(LocalProviderConfig),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// The module that declares it (every instance of the module shares the node).
    pub module: ConfigModulePath,
    pub kind: NodeKind,
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for m in self.module.iter() {
            write!(f, "module.{m}.")?;
        }
        match &self.kind {
            NodeKind::Variable(n) => write!(f, "var.{n}"),
            NodeKind::Local(n) => write!(f, "local.{n}"),
            NodeKind::Resource(k) => write!(f, "{k}"),
            NodeKind::Output(n) => write!(f, "output.{n}"),
            NodeKind::ModuleCall(n) => write!(f, "module.{n}"),
            NodeKind::Provider(p) => write!(f, "provider.{p}"),
        }
    }
}

#[derive(Debug, Default)]
pub struct ConfigGraph {
    pub nodes: Vec<NodeId>,
    pub index: HashMap<NodeId, usize>,
    /// node → the nodes it depends on.
    pub deps: Vec<Vec<usize>>,
    /// (node, dependency) → where the reference is written.
    pub edge_spans: HashMap<(usize, usize), Span>,
    /// Resource node → the provider configuration it uses.
    pub resource_provider: HashMap<usize, ProviderKey>,
}

impl ConfigGraph {
    fn add(&mut self, id: NodeId) -> usize {
        if let Some(&i) = self.index.get(&id) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(id.clone(), i);
        self.nodes.push(id);
        self.deps.push(Vec::new());
        i
    }

    fn edge(&mut self, from: usize, to: usize, span: Option<Span>) {
        if !self.deps[from].contains(&to) {
            self.deps[from].push(to);
        }
        if let Some(s) = span {
            self.edge_spans.entry((from, to)).or_insert(s);
        }
    }

    pub fn id(&self, module: &ConfigModulePath, kind: NodeKind) -> Option<usize> {
        self.index.get(&NodeId { module: module.clone(), kind }).copied()
    }
}

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
            b.ref_edges(me, m, refs, errors, r.file, ctx);
            for e in &r.lifecycle.replace_triggered_by {
                b.expr_edges(me, m, e, ctx);
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

#[derive(Clone, Copy)]
enum Context {
    Plain,
    /// (has count, has for_each)
    Resource(bool, bool),
    ModuleCall(bool, bool),
}

struct EdgeBuilder<'a> {
    g: &'a mut ConfigGraph,
    diags: &'a mut Diagnostics,
}

impl EdgeBuilder<'_> {
    fn expr_edges(&mut self, me: usize, m: &Module, e: &Expr, ctx: Context) {
        self.hcl_edges(me, m, &e.expr, e.file, ctx)
    }

    fn hcl_edges(&mut self, me: usize, m: &Module, expr: &HclExpr, file: FileId, ctx: Context) {
        let (refs, errors) = references(expr);
        self.ref_edges(me, m, refs, errors, file, ctx);
    }

    fn ref_edges(
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

    fn depends_on_edge(&mut self, me: usize, m: &Module, e: &Expr) {
        let (refs, _) = references(&e.expr);
        let span = e.span();
        match refs.first().map(|r| &r.subject) {
            // Terraform accepts any referenceable object here, variables and locals included.
            Some(s @ (Subject::Resource { .. } | Subject::Data { .. } | Subject::Var(_) | Subject::Local(_))) => match self.target(m, s, Context::Plain) {
                Ok(t) => t.into_iter().for_each(|t| self.g.edge(me, t, Some(span.clone()))),
                Err(msg) => self.diags.push(Diagnostic::error(msg, Some(span))),
            },
            Some(Subject::Module { name, .. }) => {
                let Some(call) = m.module_calls.get(name) else {
                    self.diags.push(Diagnostic::error(format!("reference to undeclared module {name:?}"), Some(span)));
                    return;
                };
                for child in call.module.walk() {
                    for k in child.resources.keys() {
                        if let Some(t) = self.g.id(&child.call_path, NodeKind::Resource(k.clone())) {
                            self.g.edge(me, t, Some(span.clone()));
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
            Subject::Path(_) | Subject::TerraformWorkspace => Ok(vec![]),
        }
    }
}

fn find_cycles(g: &ConfigGraph, diags: &mut Diagnostics) {
    let mut pg = petgraph::graph::DiGraph::<usize, ()>::with_capacity(g.nodes.len(), 0);
    let idx: Vec<_> = (0..g.nodes.len()).map(|i| pg.add_node(i)).collect();
    for (from, ds) in g.deps.iter().enumerate() {
        for &to in ds {
            pg.add_edge(idx[from], idx[to], ());
        }
    }
    for scc in petgraph::algo::tarjan_scc(&pg) {
        if scc.len() < 2 {
            continue;
        }
        let members: std::collections::HashSet<usize> = scc.iter().map(|n| pg[*n]).collect();
        // Walk one cycle inside the component to list it step by step.
        let start = *members.iter().min().expect("non-empty");
        let mut path = vec![start];
        let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
        seen.insert(start, 0);
        let mut cur = start;
        let cycle = loop {
            let next = *g.deps[cur].iter().filter(|d| members.contains(d)).min().expect("a node in a cycle has a successor in it");
            if let Some(&at) = seen.get(&next) {
                let mut c = path[at..].to_vec();
                c.push(next);
                break c;
            }
            seen.insert(next, path.len());
            path.push(next);
            cur = next;
        };
        let names: Vec<String> = cycle.iter().map(|&i| g.nodes[i].to_string()).collect();
        let first_span = g.edge_spans.get(&(cycle[0], cycle[1])).cloned();
        let mut d = Diagnostic::error(format!("dependency cycle: {}", names.join(" → ")), first_span);
        for w in cycle.windows(2) {
            if let Some(s) = g.edge_spans.get(&(w[0], w[1])) {
                d = d.with_related(s.clone(), format!("{} refers to {}", g.nodes[w[0]], g.nodes[w[1]]));
            }
        }
        diags.push(d);
    }
}

/// The resources of a module, for callers that need them in order.
/// Resource and data source types that their provider does not offer, one
/// diagnostic each. Checked when the stack loads, so that a typo is reported
/// before any provider is configured (which may reach the network).
pub fn unknown_types(stack: &Stack, graph: &ConfigGraph, registry: &Registry) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut indices: Vec<&usize> = graph.resource_provider.keys().collect();
    indices.sort_unstable();
    for idx in indices {
        let pkey = &graph.resource_provider[idx];
        let (Some(res), Some(factory)) = (resource_of(stack, &graph.nodes[*idx]), registry.get(&pkey.name)) else { continue };
        let schema = factory.schema();
        let known = match res.mode {
            Mode::Managed => schema.resources.contains_key(&res.type_),
            Mode::Data => schema.data_sources.contains_key(&res.type_),
        };
        if !known {
            out.push(unknown_type(&pkey.name, schema, res));
        }
    }
    out
}

/// `provider "aws" has no resource type "aws_instanse"`, with what it offers.
pub fn unknown_type(provider: &str, schema: &iac_core::schema::ProviderSchema, res: &Resource) -> Diagnostic {
    let kinds: Vec<&str> = match res.mode {
        Mode::Managed => schema.resources.keys().map(String::as_str).collect(),
        Mode::Data => schema.data_sources.keys().map(String::as_str).collect(),
    };
    let what = if res.mode == Mode::Data { "data source" } else { "resource" };
    Diagnostic::error(format!("provider {provider:?} has no {what} type {:?}", res.type_), Some(res.span.clone()))
        .with_detail(format!("it offers: {}", kinds.join(", ")))
}

pub fn resource_of<'a>(stack: &'a Stack, id: &NodeId) -> Option<&'a Resource> {
    match &id.kind {
        NodeKind::Resource(k) => stack.root.descendant(&id.module)?.resources.get(k),
        _ => None,
    }
}
