//! A fake Kubernetes API server for iac's tests and demo, on 127.0.0.1:
//! real kubectl and kube-rs clients use it as they would a cluster. It
//! serves version, discovery (aggregated and legacy) and OpenAPI v3
//! documents, the built-in kinds a
//! platform's manifests use plus the kinds CRDs add (at once), CRUD with
//! lists, selectors and watches, server-side apply with per-manager field
//! ownership (`metadata.managedFields`, conflicts, force, no-op re-applies),
//! finalizers and namespace termination, `Status` errors (with the common
//! validation rules), the protobuf bodies of kubectl's `create` commands, and simulated
//! controllers so readiness waits finish (workloads roll out, Jobs
//! complete, LoadBalancers get addresses, ArgoCD Applications sync). Three
//! controllers do more than set a status: Argo CD syncs Applications whose
//! repository is a local git repository (`argocd`), kro expands instances of
//! ResourceGraphDefinitions (`kro`), and KEDA makes the HPA of each
//! ScaledObject (`keda`). Faults are configured at start and through
//! `POST /_sim/config`.
//!
//! Embedded with [`start`] (a free port) or run as the `iac-kube-sim`
//! binary, which prints its URL as the first line of stdout.
//!
//! Architecture Invariant: this crate only speaks HTTP; it must never
//! depend on any iac crate (iac's Kubernetes provider uses it only in tests)
//! but one: `iac-kro`, a leaf crate with no iac dependency, stands in for
//! kro's controller. What it expands is checked against objects written by
//! hand in its own tests, not against this simulator.

pub mod apply;
mod argocd;
pub mod catalog;
mod controllers;
pub mod discovery;
pub mod error;
pub mod fields;
mod keda;
mod kro;
pub mod options;
mod protobuf;
pub mod selectors;
mod server;
pub mod store;
pub mod table;
mod validation;

pub use options::{AdmissionDenial, Faults, ObjectMatch, SimOptions, WriteError};
pub use server::{start, start_on, RunningSim};
