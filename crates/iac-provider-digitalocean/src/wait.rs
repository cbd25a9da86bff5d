//! Bounded polling: check, sleep, check again, until done or the deadline.

use std::future::Future;
use std::time::Instant;

use crate::error::DoError;
use crate::settings::Waits;

/// Polls `check` until it yields a value; a timeout names `what` and `addr`.
pub async fn until<T, F, Fut>(waits: &Waits, addr: &str, what: &str, mut check: F) -> Result<T, DoError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, DoError>>,
{
    let deadline = Instant::now() + waits.timeout;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(DoError::Timeout { addr: addr.to_string(), what: what.to_string(), seconds: waits.timeout.as_secs() });
        }
        tracing::debug!(addr, what, "waiting");
        tokio::time::sleep(waits.poll).await;
    }
}
