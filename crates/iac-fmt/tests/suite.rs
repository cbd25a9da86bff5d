//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod common;
mod fixtures;
mod properties;
mod terraform_parity;
