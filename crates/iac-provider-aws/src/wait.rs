//! Bounded polling: check, sleep, check again, until done or the deadline
//! (the resource's `timeouts` block, else its default).

use std::future::Future;
use std::time::{Duration, Instant};

use iac_core::Value;

use crate::error::AwsError;
use crate::values::{block0, get_str, parse_duration};

/// The limit for `op` ("create", "update", "delete") from the `timeouts`
/// block of `v`, else `default`.
pub fn timeout(v: &Value, op: &str, default: Duration) -> Duration {
    let t = v.get("timeouts").and_then(|t| if t.as_list().is_some() { block0(v, "timeouts") } else { Some(t) });
    t.and_then(|t| get_str(t, op)).and_then(parse_duration).unwrap_or(default)
}

/// Polls `check` every `poll` until it yields a value or `limit` passes.
pub async fn until<T, F, Fut>(addr: &str, what: &str, poll: Duration, limit: Duration, mut check: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(AwsError::Timeout { addr: addr.to_string(), what: what.to_string(), seconds: limit.as_secs() });
        }
        tracing::debug!(addr, what, "waiting");
        tokio::time::sleep(poll.min(limit)).await;
    }
}

/// Retries `op` while AWS answers with one of `codes` (a dependency still
/// being released), within `limit`.
pub async fn retry_while<T, F, Fut>(addr: &str, what: &str, codes: &[&str], poll: Duration, limit: Duration, mut op: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    until(addr, what, poll, limit, || {
        let fut = op();
        async move {
            match fut.await {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.has_code(codes) => {
                    tracing::info!(addr, error = %e, "retrying");
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        }
    })
    .await
}
