//! The configuration graph: one node per declared object per module (a
//! resource node covers all its count/for_each instances, which are known
//! only during the walk), with an edge for every reference and depends_on.
//! Edges remember the span of the reference, so a cycle is reported step
//! by step. Only direct edges are stored: no closure, no reduction.
//!
//! Here: the graph's types. Building it is in `build` (nodes, then edges
//! per kind of object, and which provider configuration each resource
//! uses), the edges of one expression in `references`, cycles in `cycles`,
//! resource types no provider offers in `resource_types`, where ephemeral
//! values may go in `ephemeral`.

mod build;
mod cycles;
mod ephemeral;
mod references;
mod resource_types;

pub use build::{build, resolve_provider};
pub use ephemeral::{ephemeral_subjects, ephemeral_uses};
pub use resource_types::{unknown_type, unknown_types};

use std::collections::HashMap;

use iac_core::address::{ConfigModulePath, LocalProviderConfig, LocalResourceAddr};
use iac_lang::config::Resource;
use iac_lang::load::Stack;
use iac_lang::source::Span;

use crate::providers::ProviderKey;

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
    /// Resource and module call node → what its `depends_on` names, for
    /// the data sources that must wait for changes there (`run::data_source`).
    pub depends_on: HashMap<usize, Vec<DependsOnTarget>>,
    /// Data source node → the managed resources its configuration refers to
    /// directly (Terraform treats these as `depends_on` of a data source).
    pub data_managed_refs: HashMap<usize, Vec<usize>>,
}

/// One node a `depends_on` entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DependsOnTarget {
    pub node: usize,
    /// Named through something else than the resource itself (a variable,
    /// a local, a module): what it depends on counts too, as in Terraform.
    pub upstream: bool,
}

impl ConfigGraph {
    /// Whether any node depends on itself, directly or not (a graph with
    /// a cycle cannot be walked).
    pub fn has_cycle(&self) -> bool {
        let mut pg = petgraph::graph::DiGraph::<(), ()>::with_capacity(self.nodes.len(), 0);
        let idx: Vec<_> = (0..self.nodes.len()).map(|_| pg.add_node(())).collect();
        for (from, ds) in self.deps.iter().enumerate() {
            for &to in ds {
                pg.add_edge(idx[from], idx[to], ());
            }
        }
        petgraph::algo::is_cyclic_directed(&pg)
    }

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

/// The resource block a resource node stands for.
/// Terraform's check of an import block with for_each against its target,
/// made before anything is evaluated: a key (an index written in `to`,
/// a string unless it is a number literal) needs a resource with for_each
/// or count, and none needs a resource with neither. A resource the
/// configuration does not declare has neither.
pub(crate) fn import_target_mismatch(stack: &Stack, i: &iac_lang::config::Import, fe: &iac_lang::config::ImportForEach) -> Option<&'static str> {
    let (count, for_each) = stack.root.resource(&i.to.resource.config()).map_or((false, false), |r| (r.count.is_some(), r.for_each.is_some()));
    match (fe.key_is_number(), count, for_each) {
        (Some(false), _, false) => Some("the target resource does not use for_each"),
        (Some(true), false, _) => Some("the target resource does not use count"),
        (None, _, true) => Some("the target resource is using for_each"),
        (None, true, _) => Some("the target resource is using count"),
        _ => None,
    }
}

pub fn resource_of<'a>(stack: &'a Stack, id: &NodeId) -> Option<&'a Resource> {
    match &id.kind {
        NodeKind::Resource(k) => stack.root.descendant(&id.module)?.resources.get(k),
        _ => None,
    }
}
