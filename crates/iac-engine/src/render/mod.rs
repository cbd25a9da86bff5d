//! Renderings of plans, state and the graph, for people and for machines.
//! Everything returns strings; sensitive values are never shown.

pub mod apply;
pub mod drift;
pub mod graph;
pub mod human;
pub mod json;
pub mod markdown;
