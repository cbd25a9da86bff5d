//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod conformance;
mod crash_points;
mod journal_truncation;
mod layout;
