//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod expansion;
mod gitops_plan;
mod rgd_schema;
