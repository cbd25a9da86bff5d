//! One test binary for this crate's integration tests: linking one binary
//! per file cost CI a few hundred megabytes and seconds each.

mod aws_plugin;
mod bad_plugins;
mod common;
mod protocol6;
