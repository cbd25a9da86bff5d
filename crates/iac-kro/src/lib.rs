//! kro (Kube Resource Orchestrator) as iac needs it, with no cluster: the
//! platform's application template is a kro ResourceGraphDefinition, and
//! iac must check an application file against it (`iac app new`) and show
//! in a pull request's plan the objects the file will yield once kro
//! expands it (`iac plan` on a GitOps tree).
//!
//! This crate owns:
//! - [`expr`]: the expression subset (CEL as kro and CRD validation rules
//!   use it) that iac evaluates, and the refusal of the rest;
//! - [`template`]: `${...}` in strings (standalone expressions and string templates);
//! - [`simpleschema`]: SimpleSchema to OpenAPI, with kro's defaulting rules;
//! - [`openapi`]: validation of objects against a CRD's structural schema,
//!   and defaulting;
//! - [`rgd`]: a ResourceGraphDefinition's checks, generated CRD and expansion;
//! - [`app`]: the application file (`apps/NAME.yaml`) the command and the
//!   Backstage template both write;
//! - [`gitops`]: the objects a GitOps tree asks for (its manifests and
//!   their kro expansions) and the changes between two versions of it.
//!
//! It does no IO (callers pass file contents) and must not depend on any
//! other iac crate: the Kubernetes simulator (`iac-kube-sim`) uses it as
//! its simulated kro controller, and the simulators depend on no iac crate
//! but this one. What it yields is checked against objects written by hand
//! (`tests/fixtures/`), not against the simulator.

#![deny(missing_docs)]

pub mod app;
pub mod expr;
pub mod gitops;
pub mod openapi;
pub mod rgd;
pub mod simpleschema;
pub mod template;

use std::fmt;

pub use rgd::{Expanded, Rgd};

/// A failure with what it concerns and each problem found (all of them, not the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What was being read or checked (`WebApp "shop"`).
    pub context: String,
    /// The problems, each `field: message`.
    pub problems: Vec<String>,
}

impl Error {
    /// An error about `context`.
    pub fn new(context: &str, problems: Vec<String>) -> Error {
        Error { context: context.to_string(), problems }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{}: {one}", self.context),
            many => {
                write!(f, "{}:", self.context)?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

/// The YAML documents of a file, as JSON values (empty documents skipped).
pub fn yaml_documents(text: &str) -> Result<Vec<serde_json::Value>, String> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v = serde_json::Value::deserialize(doc).map_err(|e| e.to_string())?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}
