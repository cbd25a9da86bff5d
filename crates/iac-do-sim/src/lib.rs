//! A stateful simulator of the DigitalOcean API v2 subset iac's
//! `digitalocean` provider uses: VPCs, Kubernetes (DOKS) clusters with their
//! node pools, kubeconfig and credentials, upgrades, and the options
//! catalog; managed databases (`databases`: clusters of every engine with
//! users, databases, pools, trusted sources, replicas, configuration and
//! CA, going `creating` → `online` and through resizes, migrations and
//! upgrades); projects (with their resources), domains and records,
//! cloud firewalls and tags (`platform`); load balancers, certificates and
//! the container registry with its subscription and Docker credentials
//! (`edge`); page-based lists with `links`/`meta`; DigitalOcean's error
//! bodies and rate-limit headers. Clusters go `provisioning` → `running`
//! after a configurable delay, nodes likewise. Faults (latency, 429s, 5xx,
//! dropped connections, a per-minute rate limit) are configurable at start
//! and at run time through `POST /_sim/config`. It runs as its own binary
//! (`iac-do-sim`) or embedded in tests on a free port of 127.0.0.1
//! ([`Simulator::start`]); the [`Handle`] stops it when dropped.
//!
//! It also owns the contract checker ([`contract`]): recorded exchanges are
//! validated against DigitalOcean's published OpenAPI document.
//!
//! Architecture Invariant: this crate knows nothing of iac: it must never
//! depend on `iac-core`, the engine, or the provider it serves (the provider
//! depends on it only for tests and benchmarks).

pub mod catalog;
pub mod clock;
pub mod config;
pub mod contract;
pub mod databases;
pub mod edge;
pub mod error;
pub mod faults;
pub mod kube;
pub mod model;
pub mod pagination;
pub mod platform;
pub mod record;
mod routes;
mod server;
pub mod store;

pub use config::{Faults, SimConfig};
pub use record::{Exchange, Stats};
pub use server::{Handle, SimError, Simulator};
