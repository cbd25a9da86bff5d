//! Renderings for people and for machines of what the engine returns:
//! plans (human, Terraform's JSON plan, Markdown pull-request comments split
//! into parts), state (Terraform's JSON state and its state format 4, read
//! and written), drift reports (text, Markdown, JSON, Prometheus), apply
//! progress and summaries (Markdown), Terraform's machine-readable UI
//! (`-json`: one message a line, and `validate -json`), and the
//! configuration graph (DOT, Mermaid). Everything returns strings or JSON
//! values; sensitive values are never shown.
//!
//! Architecture Invariant: rendering does no IO (it neither prints nor reads
//! files or the environment) and depends on no concrete provider or backend,
//! on no runtime and not on the CLI; the engine does not depend on it.

pub mod apply;
pub mod drift;
pub mod graph;
pub mod human;
pub mod json;
pub mod markdown;
pub mod tfstate;
pub mod ui;
