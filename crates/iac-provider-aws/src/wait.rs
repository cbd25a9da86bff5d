//! Bounded polling: check, sleep, check again, until done or the deadline
//! (the resource's `timeouts` block, else its default: see
//! `resources::timeout`).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::AwsError;

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
