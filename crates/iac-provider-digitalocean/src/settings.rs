//! The provider block and the environment: token, endpoint, retry and wait
//! bounds.

use std::time::Duration;

use iac_core::Value;

use crate::client::{ClientConfig, RetryPolicy, Secret};

pub const DEFAULT_ENDPOINT: &str = "https://api.digitalocean.com";

/// Bounds of the waits for objects to settle.
#[derive(Clone, Debug)]
pub struct Waits {
    pub timeout: Duration,
    pub poll: Duration,
    /// How long the result of a list stays good for reads in the same run.
    pub list_cache: Duration,
    /// Serve reads from list pages (true) or one GET per object (false).
    pub batch_reads: bool,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub client: ClientConfig,
    pub waits: Waits,
    pub max_concurrency: usize,
}

fn num(config: &Value, key: &str) -> Option<f64> {
    config.get(key).and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

impl Settings {
    /// From the provider block, falling back to `DIGITALOCEAN_TOKEN` /
    /// `DIGITALOCEAN_ACCESS_TOKEN` in `env`.
    pub fn from_config(config: &Value, env: &[(String, String)]) -> Result<Settings, String> {
        let from_env = |k: &str| env.iter().find(|(n, v)| n == k && !v.is_empty()).map(|(_, v)| v.clone());
        let token = config
            .get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or_else(|| from_env("DIGITALOCEAN_TOKEN"))
            .or_else(|| from_env("DIGITALOCEAN_ACCESS_TOKEN"))
            .ok_or("no API token: set the provider's `token`, or DIGITALOCEAN_TOKEN / DIGITALOCEAN_ACCESS_TOKEN")?;
        let endpoint = config
            .get("api_endpoint")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .or_else(|| from_env("DIGITALOCEAN_API_URL"))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.into());
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(format!("api_endpoint {endpoint:?} must be an http(s) URL"));
        }
        let secs = |k: &str, d: f64| Duration::from_secs_f64(num(config, k).unwrap_or(d).max(0.0));
        let retry = RetryPolicy {
            max_retries: num(config, "http_retry_max").map(|n| n.max(0.0) as u32).unwrap_or(5),
            wait_min: secs("http_retry_wait_min", 0.5),
            wait_max: secs("http_retry_wait_max", 30.0),
            ..RetryPolicy::default()
        };
        Ok(Settings {
            client: ClientConfig {
                endpoint,
                token: Secret::new(token),
                retry,
                request_timeout: secs("request_timeout_seconds", 60.0),
                user_agent: format!("iac-provider-digitalocean/{}", env!("CARGO_PKG_VERSION")),
            },
            waits: Waits {
                timeout: secs("wait_timeout_seconds", 1800.0),
                poll: Duration::from_millis(num(config, "poll_interval_ms").unwrap_or(5000.0).max(10.0) as u64),
                list_cache: secs("list_cache_seconds", 30.0),
                batch_reads: config.get("batch_reads").and_then(Value::as_bool).unwrap_or(true),
            },
            max_concurrency: num(config, "max_concurrency").map(|n| n.max(1.0) as usize).unwrap_or(8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comes_from_the_block_then_the_environment() {
        let env = vec![("DIGITALOCEAN_ACCESS_TOKEN".to_string(), "from-env".to_string())];
        let s = Settings::from_config(&Value::map([("token", Value::Null)]), &env).unwrap();
        assert_eq!(s.client.token.expose(), "from-env");
        let s = Settings::from_config(&Value::map([("token", Value::from("from-block"))]), &env).unwrap();
        assert_eq!(s.client.token.expose(), "from-block");
        assert_eq!(s.client.endpoint, DEFAULT_ENDPOINT);
        assert!(Settings::from_config(&Value::map([("token", Value::Null)]), &[]).is_err());
        assert!(!format!("{s:?}").contains("from-block"), "Debug never shows the token");
    }
}
