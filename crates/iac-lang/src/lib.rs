//! The iac stack language: loads a stack directory of `*.tf`
//! files with source spans (hcl-edit), builds the configuration model
//! (modules, variables, resources, outputs, ...), extracts references for
//! the dependency graph, evaluates expressions with unknown and sensitive
//! marks carried through every operator and function, and evaluates a
//! resource or provider body against the schema it is given (`body`).
//!
//! Architecture Invariant: this crate knows no provider, backend, or engine
//! scheduling. It reads files (the stack, tfvars, `file()`), nothing else;
//! values of resources come in through the [`eval::Scope`] trait, and
//! schemas (`iac_core::schema`, plain data) from the caller.

pub mod body;
pub mod config;
pub mod diagnostic;
pub mod eval;
pub mod expr_types;
pub mod expr_values;
pub mod load;
pub mod modsource;
pub mod moved;
pub mod path_span;
pub mod refs;
pub mod source;
pub mod suggest;
pub mod tfconfig;
pub mod typeexpr;
pub mod vars;

pub use diagnostic::{Diagnostic, Severity};
/// The syntax tree of an expression (hcl-edit's), as [`eval::Scope::static_type`] receives it.
pub use hcl_edit::expr::Expression;
pub use source::{SourceMap, Span};
