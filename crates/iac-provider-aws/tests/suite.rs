//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod common;
mod conformance;
mod eks;
mod iam;
mod iam_policy;
mod import;
mod networking;
mod provider;
mod s3;
mod secrets;
mod services_conformance;
mod unmanaged;
