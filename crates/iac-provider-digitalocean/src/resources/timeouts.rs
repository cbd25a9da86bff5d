//! The `timeouts` blocks upstream declares on the Kubernetes and VPC types:
//! `digitalocean_kubernetes_cluster` takes `create`, the node pool `create`
//! and `delete`, the VPC `delete`. Each bounds the provider's waits for that
//! operation (default: the provider's `wait_timeout_seconds`).

use iac_provider_sdk::prelude::*;

use crate::api::Api;
use crate::settings::Waits;

/// `timeouts { create, delete }` (node pools).
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CreateDeleteTimeouts {
    /// a duration such as 30m or 1h
    #[sdk(optional)]
    pub create: Option<String>,
    /// a duration such as 30m or 1h
    #[sdk(optional)]
    pub delete: Option<String>,
}

/// `timeouts { delete }` (VPCs).
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct DeleteTimeout {
    /// a duration such as 2m
    #[sdk(optional)]
    pub delete: Option<String>,
}

/// The provider's waits, bounded by `limit` (a Go duration) when it is set
/// and parses.
pub fn waits_within(api: &Api, limit: Option<&str>) -> Waits {
    let set = limit.and_then(|d| iac_core::time::parse_duration(d).ok());
    Waits { timeout: set.unwrap_or(api.waits.timeout), ..api.waits.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_bounds_the_waits_and_a_bad_one_keeps_the_default() {
        let waits = Waits {
            timeout: std::time::Duration::from_secs(1800),
            poll: std::time::Duration::from_millis(10),
            list_cache: std::time::Duration::ZERO,
            batch_reads: true,
        };
        let client = crate::client::Client::new(crate::client::ClientConfig {
            endpoint: "http://127.0.0.1:9".into(),
            token: crate::client::Secret::new("t"),
            retry: Default::default(),
            request_timeout: std::time::Duration::from_secs(1),
            user_agent: "test".into(),
        })
        .unwrap();
        let api = Api::new(client, waits);
        assert_eq!(waits_within(&api, Some("1m30s")).timeout, std::time::Duration::from_secs(90));
        assert_eq!(waits_within(&api, Some("soon")).timeout, std::time::Duration::from_secs(1800));
        assert_eq!(waits_within(&api, None).timeout, std::time::Duration::from_secs(1800));
    }
}
