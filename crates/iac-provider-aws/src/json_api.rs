//! One small client for every AWS service that speaks the JSON protocol
//! (CloudWatch Logs, SQS, EventBridge, KMS, SSM, ECR Public): a signed
//! `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body, a
//! JSON answer or a JSON error document. It replaces one heavy generated
//! SDK crate per service (see ARCHITECTURE.md): signing is `aws-sigv4`'s,
//! credentials are the SDK chain's (the provider's keys, profile, assumed
//! role or web identity, cached until shortly before they expire), the
//! endpoint is the provider's override for the service (`endpoints { }`,
//! `AWS_ENDPOINT_URL_<SERVICE>`) or AWS's regional one, and throttling and
//! transient failures are retried with capped exponential backoff, at most
//! the provider's `max_retries` times.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::Value as Json;
use tokio::sync::Mutex;

use crate::error::AwsError;

/// A JSON-protocol service: how it is named, signed, addressed and targeted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name in the provider's `endpoints { }` block and settings.
    pub key: &'static str,
    /// The SigV4 signing name.
    pub signing_name: &'static str,
    /// The regional host's first label(s): `<host>.<region>.amazonaws.com`.
    pub host: &'static str,
    /// The `X-Amz-Target` prefix.
    pub target: &'static str,
    /// The protocol version in `Content-Type: application/x-amz-json-<v>`.
    pub json_version: &'static str,
}

pub const LOGS: Service = Service { key: "logs", signing_name: "logs", host: "logs", target: "Logs_20140328", json_version: "1.1" };
pub const SQS: Service = Service { key: "sqs", signing_name: "sqs", host: "sqs", target: "AmazonSQS", json_version: "1.0" };
pub const EVENTS: Service = Service { key: "events", signing_name: "events", host: "events", target: "AWSEvents", json_version: "1.1" };
pub const KMS: Service = Service { key: "kms", signing_name: "kms", host: "kms", target: "TrentService", json_version: "1.1" };
pub const SSM: Service = Service { key: "ssm", signing_name: "ssm", host: "ssm", target: "AmazonSSM", json_version: "1.1" };
pub const ECR_PUBLIC: Service =
    Service { key: "ecrpublic", signing_name: "ecr-public", host: "api.ecr-public", target: "SpencerFrontendService", json_version: "1.1" };

/// Error codes that mean "slow down" (retried with backoff).
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "LimitExceededException",
    "SlowDown",
    "PriorRequestNotComplete",
    "AWS.SimpleQueueService.RequestThrottled",
];

/// Credentials are renewed this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// The client: one per configured provider, shared by every type.
pub struct JsonApi {
    http: reqwest::Client,
    credentials: Option<SharedCredentialsProvider>,
    cached: Mutex<Option<Credentials>>,
    region: String,
    endpoints: std::collections::BTreeMap<String, String>,
    max_attempts: u32,
}

impl JsonApi {
    pub fn new(
        credentials: Option<SharedCredentialsProvider>,
        region: &str,
        endpoints: &std::collections::BTreeMap<String, String>,
        max_attempts: u32,
    ) -> Result<JsonApi, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(JsonApi { http, credentials, cached: Mutex::new(None), region: region.to_string(), endpoints: endpoints.clone(), max_attempts: max_attempts.max(1) })
    }

    /// The URL requests to `svc` go to.
    pub fn endpoint(&self, svc: &Service) -> String {
        match self.endpoints.get(svc.key) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => {
                let suffix = if self.region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
                format!("https://{}.{}.{suffix}", svc.host, self.region)
            }
        }
    }

    async fn credentials(&self, addr: &str) -> Result<Credentials, AwsError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            if c.expiry().is_none_or(|t| t > SystemTime::now() + EXPIRY_MARGIN) {
                return Ok(c.clone());
            }
        }
        let provider = self.credentials.as_ref().ok_or_else(|| AwsError::invalid(addr, "no credentials"))?;
        let fresh = provider.provide_credentials().await.map_err(|e| AwsError::Api {
            addr: addr.to_string(),
            code: "CredentialsError".into(),
            message: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        })?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Calls `svc`'s `operation` with `input`; the answer's JSON (an empty
    /// object for an empty body), or AWS's error code and message.
    pub async fn call(&self, addr: &str, svc: &Service, operation: &str, input: &Json) -> Result<Json, AwsError> {
        let body = serde_json::to_vec(input).map_err(|e| AwsError::invalid(addr, format!("encoding {operation}: {e}")))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.once(addr, svc, operation, &body).await {
                Err(Failure { error, retry: true }) if attempt < self.max_attempts => {
                    let wait = backoff(attempt);
                    tracing::debug!(addr, operation, attempt, error = %error, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(f) => return Err(f.error),
                Ok(v) => return Ok(v),
            }
        }
    }

    async fn once(&self, addr: &str, svc: &Service, operation: &str, body: &[u8]) -> Result<Json, Failure> {
        let url = format!("{}/", self.endpoint(svc));
        let host = url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default().to_string();
        let target = format!("{}.{operation}", svc.target);
        let content_type = format!("application/x-amz-json-{}", svc.json_version);
        let creds = self.credentials(addr).await.map_err(|error| Failure { error, retry: false })?;
        let identity = Identity::from(creds);
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(svc.signing_name)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Failure { error: AwsError::invalid(addr, format!("signing {target}: {e}")), retry: false })?
            .into();
        let headers = [("host", host.as_str()), ("content-type", content_type.as_str()), ("x-amz-target", target.as_str())];
        let signable = SignableRequest::new("POST", url.as_str(), headers.into_iter(), SignableBody::Bytes(body))
            .map_err(|e| Failure { error: AwsError::invalid(addr, format!("signing {target}: {e}")), retry: false })?;
        let (instructions, _) =
            sign(signable, &params).map_err(|e| Failure { error: AwsError::invalid(addr, format!("signing {target}: {e}")), retry: false })?.into_parts();
        let mut req = self.http.post(&url).header("content-type", &content_type).header("x-amz-target", &target).body(body.to_vec());
        for (k, v) in instructions.headers() {
            req = req.header(k, v);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let code = if e.is_timeout() { "RequestTimeout" } else { "DispatchFailure" };
                return Err(Failure { error: api(addr, code, format!("{target}: {e}")), retry: true });
            }
        };
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (query_error, error_type) = (header("x-amzn-query-error"), header("x-amzn-errortype"));
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => return Err(Failure { error: api(addr, "ResponseError", format!("{target}: {e}")), retry: true }),
        };
        if (200..300).contains(&status) {
            if text.trim().is_empty() {
                return Ok(Json::Object(Default::default()));
            }
            return serde_json::from_str(&text)
                .map_err(|e| Failure { error: api(addr, "ResponseError", format!("{target}: the answer is not JSON ({e})")), retry: false });
        }
        let doc: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        let code = error_code(query_error.as_deref(), error_type.as_deref(), &doc).unwrap_or_else(|| format!("HTTP{status}"));
        let message = ["message", "Message", "errorMessage"]
            .iter()
            .find_map(|k| doc.get(*k).and_then(Json::as_str))
            .map(str::to_string)
            .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(300).collect());
        let retry = status >= 500 || status == 429 || THROTTLING.contains(&code.as_str());
        Err(Failure { error: api(addr, &code, message), retry })
    }
}

struct Failure {
    error: AwsError,
    retry: bool,
}

fn api(addr: &str, code: &str, message: String) -> AwsError {
    AwsError::Api { addr: addr.to_string(), code: code.to_string(), message }
}

/// The error code: SQS's query-compatible code first (what the other SDKs
/// and Terraform's provider match on), then the error type header, then the
/// document's `__type` (`com.amazonaws.kms#NotFoundException` -> `NotFoundException`).
fn error_code(query_error: Option<&str>, error_type: Option<&str>, doc: &Json) -> Option<String> {
    let clean = |s: &str| {
        let s = s.split(':').next().unwrap_or(s);
        s.rsplit('#').next().unwrap_or(s).trim().to_string()
    };
    if let Some(q) = query_error.and_then(|q| q.split(';').next()).filter(|q| !q.is_empty()) {
        return Some(q.to_string());
    }
    error_type
        .map(clean)
        .filter(|s| !s.is_empty())
        .or_else(|| ["__type", "code", "Code"].iter().find_map(|k| doc.get(*k).and_then(Json::as_str)).map(clean).filter(|s| !s.is_empty()))
}

/// Full jitter over an exponential ceiling: 50ms, 100ms, ... capped at 20s.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 50u64.saturating_mul(1 << attempt.min(16)).min(20_000);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0);
    Duration::from_millis(ceiling / 2 + nanos % (ceiling / 2 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_come_from_the_query_header_the_type_header_or_the_document() {
        let doc = serde_json::json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "gone"});
        assert_eq!(error_code(Some("AWS.SimpleQueueService.NonExistentQueue;Sender"), None, &doc).as_deref(), Some("AWS.SimpleQueueService.NonExistentQueue"));
        assert_eq!(error_code(None, None, &doc).as_deref(), Some("QueueDoesNotExist"));
        assert_eq!(error_code(None, Some("ResourceNotFoundException:http://internal.amazon.com/"), &Json::Null).as_deref(), Some("ResourceNotFoundException"));
        assert_eq!(error_code(None, None, &serde_json::json!({"__type": "NotFoundException"})).as_deref(), Some("NotFoundException"));
        assert_eq!(error_code(None, None, &Json::Null), None);
    }

    #[test]
    fn endpoints_are_the_override_or_the_regional_host() {
        let mut over = std::collections::BTreeMap::new();
        over.insert("sqs".to_string(), "http://127.0.0.1:5000/".to_string());
        let api = JsonApi::new(None, "eu-west-1", &over, 3).unwrap();
        assert_eq!(api.endpoint(&SQS), "http://127.0.0.1:5000");
        assert_eq!(api.endpoint(&LOGS), "https://logs.eu-west-1.amazonaws.com");
        assert_eq!(api.endpoint(&ECR_PUBLIC), "https://api.ecr-public.eu-west-1.amazonaws.com");
        let cn = JsonApi::new(None, "cn-north-1", &Default::default(), 3).unwrap();
        assert_eq!(cn.endpoint(&KMS), "https://kms.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..40 {
            let d = backoff(attempt);
            assert!(d <= Duration::from_millis(20_000), "{attempt}: {d:?}");
        }
        assert!(backoff(1) <= Duration::from_millis(100));
    }
}
