//! The provider block and the environment: token, endpoint, retry and wait
//! bounds.

use std::time::Duration;

use iac_core::Value;
use iac_provider_sdk::Model;

use crate::client::{ClientConfig, RetryPolicy, Secret};

/// The `provider "digitalocean"` block.
#[derive(Model, Default)]
pub struct ProviderConfig {
    /// or DIGITALOCEAN_TOKEN / DIGITALOCEAN_ACCESS_TOKEN
    #[sdk(optional, sensitive)]
    token: Option<String>,
    /// default `https://api.digitalocean.com`
    #[sdk(optional)]
    api_endpoint: Option<String>,
    #[sdk(optional)]
    http_retry_max: Option<f64>,
    #[sdk(optional)]
    http_retry_wait_min: Option<f64>,
    #[sdk(optional)]
    http_retry_wait_max: Option<f64>,
    #[sdk(optional)]
    request_timeout_seconds: Option<f64>,
    /// bound on waits for clusters, pools and deletions
    #[sdk(optional)]
    wait_timeout_seconds: Option<f64>,
    #[sdk(optional)]
    poll_interval_ms: Option<f64>,
    /// how long a list read serves refreshes of the same run
    #[sdk(optional)]
    list_cache_seconds: Option<f64>,
    /// refresh from list pages (default) rather than one GET per object
    #[sdk(optional)]
    batch_reads: Option<bool>,
    #[sdk(optional)]
    max_concurrency: Option<f64>,
    /// the Spaces access key ID, or SPACES_ACCESS_KEY_ID
    #[sdk(optional)]
    spaces_access_id: Option<String>,
    /// or SPACES_SECRET_ACCESS_KEY
    #[sdk(optional, sensitive)]
    spaces_secret_key: Option<String>,
    /// or SPACES_ENDPOINT_URL; `{{.Region}}` stands for the bucket's region (default `https://{{.Region}}.digitaloceanspaces.com`)
    #[sdk(optional)]
    spaces_endpoint: Option<String>,
}

pub const DEFAULT_SPACES_ENDPOINT: &str = "https://{{.Region}}.digitaloceanspaces.com";

/// Spaces' S3 credentials and endpoint.
#[derive(Clone, Debug)]
pub struct SpacesSettings {
    /// None when neither the block nor the environment gives keys.
    pub keys: Option<(String, Secret)>,
    /// The endpoint, `{{.Region}}` standing for the region.
    pub endpoint: String,
}

impl SpacesSettings {
    /// The S3 endpoint of `region`.
    pub fn endpoint_for(&self, region: &str) -> String {
        self.endpoint.replace("{{.Region}}", region)
    }
}

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
    pub spaces: SpacesSettings,
}

impl Settings {
    /// From the provider block, falling back to `DIGITALOCEAN_TOKEN` /
    /// `DIGITALOCEAN_ACCESS_TOKEN` in `env`.
    pub fn from_config(config: &Value, env: &[(String, String)]) -> Result<Settings, String> {
        let c = ProviderConfig::from_value(config).map_err(|e| e.to_string())?;
        let from_env = |k: &str| env.iter().find(|(n, v)| n == k && !v.is_empty()).map(|(_, v)| v.clone());
        let token = c
            .token
            .filter(|t| !t.is_empty())
            .or_else(|| from_env("DIGITALOCEAN_TOKEN"))
            .or_else(|| from_env("DIGITALOCEAN_ACCESS_TOKEN"))
            .ok_or("no API token: set the provider's `token`, or DIGITALOCEAN_TOKEN / DIGITALOCEAN_ACCESS_TOKEN")?;
        let endpoint = c.api_endpoint.filter(|e| !e.is_empty()).or_else(|| from_env("DIGITALOCEAN_API_URL")).unwrap_or_else(|| DEFAULT_ENDPOINT.into());
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(format!("api_endpoint {endpoint:?} must be an http(s) URL"));
        }
        let secs = |v: Option<f64>, d: f64| Duration::from_secs_f64(v.unwrap_or(d).max(0.0));
        let retry = RetryPolicy {
            max_retries: c.http_retry_max.map(|n| n.max(0.0) as u32).unwrap_or(5),
            wait_min: secs(c.http_retry_wait_min, 0.5),
            wait_max: secs(c.http_retry_wait_max, 30.0),
            ..RetryPolicy::default()
        };
        Ok(Settings {
            client: ClientConfig {
                endpoint,
                token: Secret::new(token),
                retry,
                request_timeout: secs(c.request_timeout_seconds, 60.0),
                user_agent: format!("iac-provider-digitalocean/{}", env!("CARGO_PKG_VERSION")),
            },
            waits: Waits {
                timeout: secs(c.wait_timeout_seconds, 1800.0),
                poll: Duration::from_millis(c.poll_interval_ms.unwrap_or(5000.0).max(10.0) as u64),
                list_cache: secs(c.list_cache_seconds, 30.0),
                batch_reads: c.batch_reads.unwrap_or(true),
            },
            max_concurrency: c.max_concurrency.map(|n| n.max(1.0) as usize).unwrap_or(8),
            spaces: SpacesSettings {
                keys: c
                    .spaces_access_id
                    .filter(|k| !k.is_empty())
                    .or_else(|| from_env("SPACES_ACCESS_KEY_ID"))
                    .zip(c.spaces_secret_key.filter(|k| !k.is_empty()).or_else(|| from_env("SPACES_SECRET_ACCESS_KEY")).map(Secret::new)),
                endpoint: c
                    .spaces_endpoint
                    .filter(|e| !e.is_empty())
                    .or_else(|| from_env("SPACES_ENDPOINT_URL"))
                    .unwrap_or_else(|| DEFAULT_SPACES_ENDPOINT.into()),
            },
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

    #[test]
    fn spaces_keys_come_from_the_block_then_the_environment() {
        let env: Vec<(String, String)> = [("DIGITALOCEAN_TOKEN", "t"), ("SPACES_ACCESS_KEY_ID", "AKENV"), ("SPACES_SECRET_ACCESS_KEY", "secret-env")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let s = Settings::from_config(&Value::map([("token", Value::Null)]), &env).unwrap();
        let (id, secret) = s.spaces.keys.clone().unwrap();
        assert_eq!((id.as_str(), secret.expose()), ("AKENV", "secret-env"));
        assert_eq!(s.spaces.endpoint_for("fra1"), "https://fra1.digitaloceanspaces.com");
        assert!(!format!("{s:?}").contains("secret-env"), "Debug never shows the Spaces secret");
        let s =
            Settings::from_config(&Value::map([("spaces_access_id", Value::from("AKBLOCK")), ("spaces_endpoint", Value::from("http://127.0.0.1:9"))]), &env)
                .unwrap();
        assert_eq!(s.spaces.keys.as_ref().unwrap().0, "AKBLOCK");
        assert_eq!(s.spaces.endpoint_for("fra1"), "http://127.0.0.1:9");
    }
}
