//! Our DigitalOcean API v2 client on reqwest: bearer authentication,
//! pacing by the rate-limit headers, retries (429 after `retry-after`; 5xx
//! and connection errors with bounded exponential backoff and jitter, for
//! idempotent requests only), and page-based lists.
//!
//! The token lives in a [`Secret`] whose `Debug` is redacted; nothing here
//! logs headers or bodies.

mod error;
mod pacer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

pub use error::ApiError;
pub use pacer::Pacer;

/// A credential that never shows in `Debug` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How hard to try.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Further attempts after the first, for 5xx and connection errors.
    pub max_retries: u32,
    pub wait_min: Duration,
    pub wait_max: Duration,
    /// Further attempts after 429 answers.
    pub max_429: u32,
    /// Cap on one `retry-after` wait.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            wait_min: Duration::from_millis(500),
            wait_max: Duration::from_secs(30),
            max_429: 10,
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with jitter: between half and all of min·2^attempt, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self.wait_min.saturating_mul(1u32 << attempt.min(16)).min(self.wait_max);
        base.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// Whether a request may be sent again after an ambiguous failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotence {
    /// GET, PUT, DELETE: repeating it changes nothing more.
    Safe,
    /// A create: the caller must look for the object before trying again.
    Unsafe,
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub endpoint: String,
    pub token: Secret,
    pub retry: RetryPolicy,
    pub request_timeout: Duration,
    pub user_agent: String,
}

/// An answer: status and body (JSON when the API sent JSON, else text).
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

pub struct Client {
    http: reqwest::Client,
    cfg: ClientConfig,
    pacer: Pacer,
    requests: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoint", &self.cfg.endpoint).field("token", &self.cfg.token).finish()
    }
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(cfg.user_agent.clone())
            .build()
            .map_err(|e| ApiError::Transport { method: "-".into(), path: cfg.endpoint.clone(), message: format!("building the HTTP client: {e}") })?;
        Ok(Client {
            http,
            cfg: ClientConfig { endpoint: cfg.endpoint.trim_end_matches('/').to_string(), ..cfg },
            pacer: Pacer::default(),
            requests: AtomicU64::new(0),
        })
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.cfg.retry
    }

    /// Requests sent so far (every attempt counts).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Times a request was held back to stay within the rate limit.
    pub fn pacing_waits(&self) -> u64 {
        self.pacer.waits.load(Ordering::Relaxed)
    }

    pub async fn get(&self, path: &str) -> Result<Reply, ApiError> {
        self.call(Method::GET, path, None, Idempotence::Safe).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.call(Method::PUT, path, Some(body), Idempotence::Safe).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.call(Method::PATCH, path, Some(body), Idempotence::Safe).await
    }

    pub async fn delete(&self, path: &str) -> Result<Reply, ApiError> {
        self.call(Method::DELETE, path, None, Idempotence::Safe).await
    }

    pub async fn delete_with_body(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.call(Method::DELETE, path, Some(body), Idempotence::Safe).await
    }

    /// A POST that creates something: never repeated after an ambiguous failure.
    pub async fn create(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.call(Method::POST, path, Some(body), Idempotence::Unsafe).await
    }

    /// A POST whose repetition is harmless (an upgrade to the same version).
    pub async fn post_idempotent(&self, path: &str, body: &Value) -> Result<Reply, ApiError> {
        self.call(Method::POST, path, Some(body), Idempotence::Safe).await
    }

    /// The items of a list the API answers whole (no pages: `GET /v2/databases`).
    pub async fn list_whole(&self, path: &str, key: &str) -> Result<Vec<Value>, ApiError> {
        let r = self.get(path).await?;
        match r.json.get(key) {
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(Value::Null) => Ok(Vec::new()),
            _ => Err(ApiError::Decode { method: "GET".into(), path: path.into(), message: format!("no {key:?} list in the answer") }),
        }
    }

    /// Every item of a paged list (`per_page=200`, following `links.pages.next`).
    pub async fn list_all(&self, path: &str, key: &str) -> Result<Vec<Value>, ApiError> {
        let mut out = Vec::new();
        let mut next = Some(format!("{path}?page=1&per_page=200"));
        let mut pages = 0;
        while let Some(p) = next.take() {
            pages += 1;
            let r = self.get(&p).await?;
            match r.json.get(key).and_then(Value::as_array) {
                Some(items) => out.extend(items.iter().cloned()),
                None => return Err(ApiError::Decode { method: "GET".into(), path: p, message: format!("no {key:?} list in the answer") }),
            }
            // Follow the link's path and query against our endpoint (it may name another host).
            next = r.json.pointer("/links/pages/next").and_then(Value::as_str).and_then(path_of).filter(|_| pages < 10_000);
        }
        Ok(out)
    }

    /// One API call (with its retries) is one span: method and path only,
    /// never the token, headers or bodies.
    #[tracing::instrument(name = "http.request", level = "info", skip_all, fields(http.request.method = %method, url.path = path))]
    async fn call(&self, method: Method, path: &str, body: Option<&Value>, idem: Idempotence) -> Result<Reply, ApiError> {
        let url = format!("{}{path}", self.cfg.endpoint);
        let policy = &self.cfg.retry;
        let (mut failures, mut throttled) = (0u32, 0u32);
        loop {
            let permit = self.pacer.acquire().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let mut req = self.http.request(method.clone(), &url).bearer_auth(self.cfg.token.expose()).header("accept", "application/json");
            if let Some(b) = body {
                req = req.json(b);
            }
            let result = req.send().await;
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    drop(permit);
                    let err = ApiError::Transport { method: method.to_string(), path: path.to_string(), message: describe(&e) };
                    if idem == Idempotence::Safe && failures < policy.max_retries {
                        let wait = policy.backoff(failures);
                        failures += 1;
                        tracing::debug!(%method, path, attempt = failures, wait_ms = wait.as_millis() as u64, error = %err, "retrying after a connection error");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = resp.status().as_u16();
            let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
            self.pacer.observe(header("ratelimit-remaining").map(|v| v as u32), header("ratelimit-reset"));
            let retry_after = header("retry-after");
            let reset = header("ratelimit-reset");
            let text = match resp.text().await {
                Ok(t) => t,
                Err(e) => {
                    drop(permit);
                    let err =
                        ApiError::Transport { method: method.to_string(), path: path.to_string(), message: format!("reading the answer: {}", describe(&e)) };
                    if idem == Idempotence::Safe && failures < policy.max_retries {
                        failures += 1;
                        tokio::time::sleep(policy.backoff(failures)).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            drop(permit);
            tracing::debug!(%method, path, status, "DigitalOcean API call");
            if (200..300).contains(&status) {
                let json = if text.trim().is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
                return Ok(Reply { status, json, text });
            }
            let err = status_error(&method, path, status, &text);
            if status == 429 && throttled < policy.max_429 {
                throttled += 1;
                let wait = match (retry_after, reset) {
                    (Some(s), _) => Duration::from_secs(s),
                    (None, Some(r)) => Duration::from_secs(r.saturating_sub(crate::client::epoch_now())),
                    _ => policy.backoff(throttled),
                }
                .min(policy.retry_after_cap)
                .max(Duration::from_millis(50));
                tracing::debug!(%method, path, wait_ms = wait.as_millis() as u64, "rate limited (429): waiting as told");
                tokio::time::sleep(wait).await;
                continue;
            }
            if status >= 500 && idem == Idempotence::Safe && failures < policy.max_retries {
                let wait = policy.backoff(failures);
                failures += 1;
                tracing::debug!(%method, path, status, attempt = failures, wait_ms = wait.as_millis() as u64, "retrying after a server error");
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(err);
        }
    }
}

fn epoch_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `https://host/v2/x?page=2` → `/v2/x?page=2`.
fn path_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| rest[i..].to_string())
}

fn status_error(method: &Method, path: &str, status: u16, text: &str) -> ApiError {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    ApiError::Status {
        method: method.to_string(),
        path: path.to_string(),
        status,
        id: s("id").unwrap_or_else(|| format!("http_{status}")),
        message: s("message").unwrap_or_else(|| text.chars().take(200).collect()),
        request_id: s("request_id"),
    }
}

/// The error chain of a reqwest error, without the URL (which is ours anyway).
fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show() {
        let s = Secret::new("dop_v1_abc");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
    }

    #[test]
    fn next_links_are_rebased() {
        assert_eq!(path_of("https://api.digitalocean.com/v2/vpcs?page=2&per_page=200").as_deref(), Some("/v2/vpcs?page=2&per_page=200"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy { wait_min: Duration::from_millis(100), wait_max: Duration::from_millis(1000), ..RetryPolicy::default() };
        assert!(p.backoff(0) <= Duration::from_millis(100) && p.backoff(0) >= Duration::from_millis(50));
        assert!(p.backoff(10) <= Duration::from_millis(1000));
    }
}
