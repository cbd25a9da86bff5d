//! The iac engine: builds the dependency graph of a stack, walks it
//! concurrently to plan and to apply, manages state through the journal,
//! and exposes the operations (`ops`) the CLI is a thin layer over, drift
//! checks and the cloud objects no state knows (`unmanaged`) among them.
//! It returns values (plans, states, drift reports, events); rendering them
//! for people and machines is `iac-render`'s job. The engine traces itself
//! with `tracing` spans (phases, resource operations) and leaves exporting
//! them to the CLI.
//!
//! Architecture Invariant: the engine sees providers and state backends
//! only through `iac_core`'s traits; it never names a concrete provider or
//! backend (the CLI chooses them), and never prints (it returns values and
//! emits [`run::Event`]s).

pub mod delete_walk;
pub mod error;
pub mod graph;
pub mod ops;
pub mod planfile;
pub mod providers;
pub mod run;
pub mod statemgr;
pub mod time;
pub mod unmanaged;
pub mod values;
pub mod version;
pub mod walk;

pub use error::EngineError;
