//! Conformance suites: one per extension trait, run by each implementation's
//! tests so that every implementation is held to the same contract.

pub mod ephemeral;
pub mod provider;
pub mod state_backend;
