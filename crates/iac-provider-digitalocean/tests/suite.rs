//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod common;
mod conformance;
mod database_conformance;
mod database_lifecycle;
mod edge_conformance;
mod faults;
mod lifecycle;
mod platform_conformance;
mod secrets;
mod spaces_conformance;
mod stack;
mod unmanaged;
