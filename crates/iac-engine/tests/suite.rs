//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod data_reads;
mod engine;
mod ephemeral;
mod reads_no_environment;
mod support;
