//! Renderings for people and for machines: plans (human, JSON, Markdown
//! pull-request comments), drift reports (text, Markdown, JSON, Prometheus),
//! apply summaries (Markdown), state and the graph. Everything returns
//! strings; sensitive values are never shown.

pub mod apply;
pub mod drift;
pub mod graph;
pub mod human;
pub mod json;
pub mod markdown;
pub mod tfconfig;
pub mod tfstate;
