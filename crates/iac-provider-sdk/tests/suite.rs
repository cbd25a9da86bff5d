//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod canonical;
mod json;
mod model;
mod provider;
mod replace;
mod zero_values;
