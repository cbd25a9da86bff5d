//! Resource and data source types their provider does not offer, checked
//! when the stack loads.

use iac_core::address::Mode;
use iac_lang::config::Resource;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::load::Stack;

use super::{resource_of, ConfigGraph};
use crate::providers::Registry;

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
            Mode::Ephemeral => schema.ephemeral_resources.contains_key(&res.type_),
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
        Mode::Ephemeral => schema.ephemeral_resources.keys().map(String::as_str).collect(),
    };
    let what = match res.mode {
        Mode::Managed => "resource",
        Mode::Data => "data source",
        Mode::Ephemeral => "ephemeral resource",
    };
    Diagnostic::error(format!("provider {provider:?} has no {what} type {:?}", res.type_), Some(res.span.clone()))
        .with_detail(format!("it offers: {}", kinds.join(", ")))
}
