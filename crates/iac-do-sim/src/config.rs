//! Startup and runtime configuration of the simulator: timings of the
//! simulated lifecycle and the fault-injection knobs.

use serde::{Deserialize, Serialize};

/// How the simulated cloud behaves. Every field has a default, so a partial
/// JSON object (the admin endpoint's body) is a valid configuration.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SimConfig {
    /// Time a cluster (or an upgrade) spends `provisioning` before `running`.
    pub provision_delay_ms: u64,
    /// Time a new node spends `provisioning`.
    pub node_delay_ms: u64,
    /// Time a deleted cluster stays visible in state `deleting`.
    pub delete_delay_ms: u64,
    /// Time a VPC stays busy (403 on delete) after its last cluster went away.
    pub vpc_release_delay_ms: u64,
    /// The Kubernetes API address kubeconfigs and credentials point at.
    pub kube_api_address: String,
    /// The public base URL used in pagination links (defaults to the listen address).
    pub public_base_url: Option<String>,
    pub faults: Faults,
    /// Record every exchange (for contract checking in tests).
    pub record: bool,
    /// Seed of the fault-injection random source (0: random).
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            provision_delay_ms: 2_000,
            node_delay_ms: 1_000,
            delete_delay_ms: 500,
            vpc_release_delay_ms: 1_000,
            kube_api_address: "https://127.0.0.1:6443".into(),
            public_base_url: None,
            faults: Faults::default(),
            record: false,
            seed: 0,
        }
    }
}

impl SimConfig {
    /// Fast lifecycle for tests: everything settles within a few hundred ms.
    pub fn fast() -> SimConfig {
        SimConfig { provision_delay_ms: 150, node_delay_ms: 100, delete_delay_ms: 100, vpc_release_delay_ms: 200, ..SimConfig::default() }
    }
}

/// Fault injection. Rates are probabilities in [0, 1] per request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Faults {
    /// Added to every response.
    pub latency_ms: u64,
    /// Share of requests answered 429 (with `retry-after`) regardless of the limit.
    pub rate_429: f64,
    /// Share of requests answered 500/502/503.
    pub rate_5xx: f64,
    /// Share of requests whose connection is dropped without an answer, half
    /// of them before the request is carried out and half after (the change
    /// happened but the client never hears of it).
    pub rate_drop: f64,
    /// Requests per minute per token (DigitalOcean's is 250); 0 disables.
    pub rate_limit_per_minute: u32,
    /// `retry-after` seconds on injected 429s.
    pub retry_after_s: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults { latency_ms: 0, rate_429: 0.0, rate_5xx: 0.0, rate_drop: 0.0, rate_limit_per_minute: 250, retry_after_s: 1 }
    }
}
