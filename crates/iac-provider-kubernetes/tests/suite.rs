//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod common;
mod conformance;
mod helm;
mod helm_release;
mod helm_sources;
mod manifest;
mod manifests;
mod readiness;
mod typed;
mod typed_conformance;
