//! The `http` data source: one request (GET unless `method` says HEAD or
//! POST), retried as go-retryablehttp retries (connection errors, 429 and
//! 5xx except 501; exponential back-off between `min_delay_ms` (1s) and
//! `max_delay_ms` (30s), or the server's `Retry-After`), and the response
//! as upstream reports it.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use iac_provider_sdk::prelude::*;

use crate::go::{canonical_header_key, duration};
use crate::{Error, Http};

/// The `retry` block.
#[derive(Model, Debug, Clone, Default)]
pub struct RetryModel {
    /// The number of times the request is to be retried. For example, if 2 is specified, the request will be tried a maximum of 3 times.
    #[sdk(optional)]
    attempts: Option<i64>,
    /// The minimum delay between retry requests in milliseconds.
    #[sdk(optional)]
    min_delay_ms: Option<i64>,
    /// The maximum delay between retry requests in milliseconds.
    #[sdk(optional)]
    max_delay_ms: Option<i64>,
}

/// The `http` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct HttpModel {
    /// The URL used for the request.
    #[sdk(computed)]
    id: Option<String>,
    /// The URL for the request. Supported schemes are `http` and `https`.
    #[sdk(required)]
    url: String,
    /// The HTTP Method for the request: `GET`, `HEAD` or `POST` (default `GET`).
    #[sdk(optional)]
    method: Option<String>,
    /// A map of request header field names and values.
    #[sdk(optional)]
    request_headers: Option<BTreeMap<String, String>>,
    /// The request body as a string.
    #[sdk(optional)]
    request_body: Option<String>,
    /// The request timeout in milliseconds.
    #[sdk(optional)]
    request_timeout_ms: Option<i64>,
    /// Retry request configuration. By default there are no retries.
    #[sdk(block)]
    retry: Option<RetryModel>,
    /// The response body returned as a string.
    #[sdk(computed)]
    response_body: Option<String>,
    /// The response body returned as a string. Deprecated: use `response_body`.
    #[sdk(computed)]
    body: Option<String>,
    /// The response body encoded as base64 (standard) as defined in RFC 4648.
    #[sdk(computed)]
    response_body_base64: Option<String>,
    /// Certificate Authority (CA) in PEM (RFC 1421) format.
    #[sdk(optional)]
    ca_cert_pem: Option<String>,
    /// Client certificate in PEM (RFC 1421) format.
    #[sdk(optional)]
    client_cert_pem: Option<String>,
    /// Client key in PEM (RFC 1421) format.
    #[sdk(optional)]
    client_key_pem: Option<String>,
    /// Disables verification of the server's certificate chain and hostname. Defaults to `false`.
    #[sdk(optional)]
    insecure: Option<bool>,
    /// A map of response header field names and values. Duplicate headers are concatenated (`, `).
    #[sdk(computed)]
    response_headers: Option<BTreeMap<String, String>>,
    /// The HTTP response status code.
    #[sdk(computed)]
    status_code: Option<i64>,
}

/// The `http` data source.
pub struct HttpData;

#[async_trait]
impl DataSource<Http> for HttpData {
    type Model = HttpModel;
    const TYPE: &'static str = "http";

    async fn read(&self, cx: &Ctx<'_, Http>, mut m: HttpModel) -> Result<HttpModel, Error> {
        let method = check(&m)?;
        let client = client(cx.provider, &m)?;
        let retry = m.retry.clone().unwrap_or_default();
        let policy = Policy {
            max_retries: retry.attempts.unwrap_or(0).max(0) as u32,
            wait_min: retry.min_delay_ms.map(|ms| Duration::from_millis(ms as u64)).unwrap_or(Duration::from_secs(1)),
            wait_max: retry.max_delay_ms.map(|ms| Duration::from_millis(ms as u64)).unwrap_or(Duration::from_secs(30)),
        };
        let headers = m.request_headers.clone().unwrap_or_default();
        let has = |name: &str| headers.keys().any(|k| k.eq_ignore_ascii_case(name));
        // Go's transport asks for gzip (and undoes it) unless the request
        // chose an encoding or a range itself.
        let added_gzip = !has("accept-encoding") && !has("range") && method != "HEAD";
        let request = || {
            let mut r = client.request(reqwest::Method::from_bytes(method.as_bytes()).expect("checked method"), &m.url);
            if !has("user-agent") {
                r = r.header("User-Agent", "Go-http-client/1.1");
            }
            if added_gzip {
                r = r.header("Accept-Encoding", "gzip");
            }
            for (k, v) in &headers {
                r = r.header(k.as_str(), v.as_str());
            }
            if let Some(body) = &m.request_body {
                r = r.body(body.clone());
            }
            r
        };
        let timeout = m.request_timeout_ms.filter(|ms| *ms > 0).map(|ms| ms as u64);
        let resp = send(request, &method, &m.url, &policy).await.map_err(|e| match e {
            Failure::Timeout(detail) => Error::Request(match timeout {
                Some(ms) => format!("Error making request: request exceeded the specified timeout: {}, err: {detail}", duration(ms)),
                None => format!("Error making request: timeout error: {detail}"),
            }),
            Failure::Other(detail) => Error::Request(format!("Error making request: {detail}")),
        })?;
        let status = resp.status().as_u16();
        let gzipped = added_gzip && resp.headers().get("content-encoding").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        let chunked = resp.headers().contains_key("transfer-encoding");
        let mut response_headers: BTreeMap<String, String> = BTreeMap::new();
        for name in resp.headers().keys() {
            let lower = name.as_str();
            // Go moves these out of the header map: the transfer coding
            // always, the length and encoding of a body it decompressed.
            if lower == "transfer-encoding" || (lower == "content-length" && (chunked || gzipped)) || (lower == "content-encoding" && gzipped) {
                continue;
            }
            let values: Vec<String> = resp.headers().get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
            response_headers.insert(canonical_header_key(lower), values.join(", "));
        }
        let raw = resp.bytes().await.map_err(|e| Error::Request(format!("Error reading response body: {}", chain(&e))))?;
        let bytes = if gzipped {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut out)
                .map_err(|e| Error::Request(format!("Error reading response body: gzip: {e}")))?;
            out
        } else {
            raw.to_vec()
        };
        if std::str::from_utf8(&bytes).is_err() {
            tracing::warn!(
                addr = cx.addr,
                "Response body is not recognized as UTF-8: Terraform may not properly handle the response_body if the contents are binary."
            );
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        m.id = Some(m.url.clone());
        m.response_body = Some(text.clone());
        m.body = Some(text);
        m.response_body_base64 = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
        m.response_headers = Some(response_headers);
        m.status_code = Some(i64::from(status));
        Ok(m)
    }
}

/// The schema's validators, upstream's messages: the method to use.
fn check(m: &HttpModel) -> Result<String, Error> {
    let method = m.method.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "GET".into());
    if !["GET", "POST", "HEAD"].contains(&method.as_str()) {
        return Err(Error::Invalid(format!("Attribute method value must be one of: [\"GET\" \"POST\" \"HEAD\"], got: {method:?}")));
    }
    if m.request_timeout_ms.is_some_and(|t| t < 1) {
        return Err(Error::Invalid("Attribute request_timeout_ms value must be at least 1".into()));
    }
    if m.ca_cert_pem.is_some() && m.insecure.is_some() {
        return Err(Error::Invalid("Attribute \"insecure\" cannot be specified when \"ca_cert_pem\" is specified".into()));
    }
    match (&m.client_cert_pem, &m.client_key_pem) {
        (Some(_), None) => return Err(Error::Invalid("Attribute \"client_key_pem\" must be specified when \"client_cert_pem\" is specified".into())),
        (None, Some(_)) => return Err(Error::Invalid("Attribute \"client_cert_pem\" must be specified when \"client_key_pem\" is specified".into())),
        _ => {}
    }
    if let Some(r) = &m.retry {
        for (name, v) in [("attempts", r.attempts), ("min_delay_ms", r.min_delay_ms), ("max_delay_ms", r.max_delay_ms)] {
            if v.is_some_and(|v| v < 0) {
                return Err(Error::Invalid(format!("Attribute retry.{name} value must be at least 0")));
            }
        }
        if let (Some(min), Some(max)) = (r.min_delay_ms, r.max_delay_ms) {
            if max < min {
                return Err(Error::Invalid(format!("Attribute retry.max_delay_ms value must be at least sum of <.min_delay_ms, got: {max}")));
            }
        }
    }
    Ok(method)
}

/// The client for one read: the system's trusted certificates, or
/// `ca_cert_pem`'s alone; no verification with `insecure`; a client
/// certificate; the timeout for the whole exchange; up to 10 redirects.
fn client(http: &Http, m: &HttpModel) -> Result<reqwest::Client, Error> {
    let mut b = reqwest::Client::builder().use_rustls_tls().tls_built_in_root_certs(false).http1_title_case_headers();
    match &m.ca_cert_pem {
        Some(pem) => {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap_or_default();
            if certs.is_empty() {
                return Err(Error::Invalid(
                    "Error configuring TLS client: Error tls: Can't add the CA certificate to certificate pool. Only PEM encoded certificates are supported."
                        .into(),
                ));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        None => {
            let roots = http.system_roots();
            if roots.is_empty() {
                // A system without a certificate store: the bundled roots.
                b = b.tls_built_in_root_certs(true);
            }
            for c in roots {
                b = b.add_root_certificate(c.clone());
            }
        }
    }
    if m.insecure == Some(true) {
        b = b.danger_accept_invalid_certs(true);
    }
    if let (Some(cert), Some(key)) = (&m.client_cert_pem, &m.client_key_pem) {
        let id = reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes())
            .map_err(|e| Error::Invalid(format!("error creating x509 key pair: error creating x509 key pair from provided pem blocks\n\nError: {e}")))?;
        b = b.identity(id);
    }
    if let Some(ms) = m.request_timeout_ms.filter(|ms| *ms > 0) {
        b = b.timeout(Duration::from_millis(ms as u64));
    }
    b.build().map_err(|e| Error::Invalid(format!("Error configuring http transport: {}", chain(&e))))
}

/// go-retryablehttp's client settings.
struct Policy {
    max_retries: u32,
    wait_min: Duration,
    wait_max: Duration,
}

enum Failure {
    /// The request timed out (the caller names the limit).
    Timeout(String),
    Other(String),
}

/// An error with its causes, as Go prints wrapped errors.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        source = c.source();
    }
    s
}

/// The URL with any password replaced, as retryablehttp prints it.
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("xxxxx"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Sends the request, retrying as go-retryablehttp's default policy does;
/// its errors read as that library's: `GET URL giving up after N
/// attempt(s): ...`.
async fn send(request: impl Fn() -> reqwest::RequestBuilder, method: &str, url: &str, p: &Policy) -> Result<reqwest::Response, Failure> {
    let go_op = format!("{}{}", &method[..1], method[1..].to_ascii_lowercase());
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let (retry, failure, resp, timed_out) = match request().send().await {
            Ok(resp) => {
                let status = resp.status();
                if status.as_u16() == 429 {
                    (true, None, Some(resp), false)
                } else if status.is_server_error() && status.as_u16() != 501 {
                    let text = format!("unexpected HTTP status {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
                    (true, Some(text.trim_end().to_string()), Some(resp), false)
                } else {
                    return Ok(resp);
                }
            }
            Err(e) => {
                let detail = format!("{go_op} \"{}\": {}", redact(url), chain(&e));
                // Not worth retrying: too many redirects, a malformed
                // request, or a certificate the client does not trust.
                let permanent = e.is_redirect() || e.is_builder() || detail.contains("invalid peer certificate");
                (!permanent, Some(detail), None, e.is_timeout())
            }
        };
        if !retry || attempt > p.max_retries {
            let giving_up = format!("{method} {} giving up after {attempt} attempt(s)", redact(url));
            let text = match failure {
                Some(f) => format!("{giving_up}: {f}"),
                None => giving_up,
            };
            return Err(if timed_out { Failure::Timeout(text) } else { Failure::Other(text) });
        }
        let wait = backoff(p, attempt - 1, resp.as_ref());
        tracing::debug!(method, url = %redact(url), attempt, wait_ms = wait.as_millis() as u64, "retrying the request");
        drop(resp);
        tokio::time::sleep(wait).await;
    }
}

/// The wait before retry number `n + 1`: `Retry-After` on a 429 or 503,
/// else `wait_min * 2^n`, at most `wait_max`.
fn backoff(p: &Policy, n: u32, resp: Option<&reqwest::Response>) -> Duration {
    if let Some(r) = resp.filter(|r| matches!(r.status().as_u16(), 429 | 503)) {
        if let Some(v) = r.headers().get("retry-after").and_then(|v| v.to_str().ok()) {
            if let Ok(secs) = v.trim().parse::<u64>() {
                return Duration::from_secs(secs);
            }
            if let Ok(at) = httpdate::parse_http_date(v.trim()) {
                return at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
            }
        }
    }
    let mult = 2f64.powi(n as i32) * p.wait_min.as_secs_f64();
    if !mult.is_finite() || mult > p.wait_max.as_secs_f64() {
        p.wait_max
    } else {
        Duration::from_secs_f64(mult)
    }
}
