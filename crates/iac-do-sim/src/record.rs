//! Recorded exchanges (for contract checks) and request counters (for the
//! benchmark).

use std::collections::BTreeMap;

use serde::Serialize;

/// One request and the answer the simulator gave.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The raw request body (empty when none).
    pub request_body: String,
    pub request_content_type: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_content_type: Option<String>,
    pub response_body: String,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Every API request received (admin requests excluded).
    pub requests: u64,
    /// By `METHOD /path/template` with ids replaced by `{id}`.
    pub by_route: BTreeMap<String, u64>,
    /// Answers by status code.
    pub by_status: BTreeMap<u16, u64>,
    pub dropped: u64,
}

impl Stats {
    pub fn count(&mut self, method: &str, path: &str) {
        self.requests += 1;
        *self.by_route.entry(format!("{method} {}", template(path))).or_default() += 1;
    }
}

/// `/v2/vpcs/5f...` → `/v2/vpcs/{id}`.
pub fn template(path: &str) -> String {
    path.split('/').map(|s| if s.len() >= 32 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') { "{id}" } else { s }).collect::<Vec<_>>().join("/")
}
