//! Pacing by DigitalOcean's rate-limit headers: requests are held back when
//! the remaining quota (less the requests already in flight) is used up,
//! until the window's reset, so a large refresh never runs into 429s.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
struct State {
    /// Whether any answer told us the quota yet.
    known: bool,
    remaining: u32,
    /// Epoch seconds (may be fractional after our own adjustment).
    reset: f64,
    inflight: u32,
}

#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<State>,
    /// How many times a request was held back (for tests and benchmarks).
    pub(crate) waits: std::sync::atomic::AtomicU64,
}

fn now_epoch() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs_f64()
}

/// Released when dropped (the request finished, one way or another).
pub struct Permit<'a> {
    pacer: &'a Pacer,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.pacer.state.lock().unwrap_or_else(|p| p.into_inner());
        s.inflight = s.inflight.saturating_sub(1);
    }
}

impl Pacer {
    /// Waits until a request fits in the quota.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = now_epoch();
                if s.known && s.reset <= now && s.remaining <= s.inflight {
                    // The window moved on: at least one slot is free again.
                    s.remaining = s.inflight + 1;
                    s.reset = now + 1.0;
                }
                if !s.known || s.remaining > s.inflight {
                    s.inflight += 1;
                    return Permit { pacer: self };
                }
                Duration::from_secs_f64((s.reset - now).clamp(0.02, 60.0))
            };
            self.waits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing: rate-limit quota used up, waiting for the window to move");
            tokio::time::sleep(wait).await;
        }
    }

    /// Records what an answer's headers say.
    pub fn observe(&self, remaining: Option<u32>, reset: Option<u64>) {
        let (Some(remaining), Some(reset)) = (remaining, reset) else { return };
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.known = true;
        s.remaining = remaining;
        s.reset = reset as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn holds_requests_when_the_quota_is_used_up() {
        let p = Pacer::default();
        let a = p.acquire().await;
        p.observe(Some(1), Some((now_epoch() + 0.3) as u64 + 1));
        let b = p.acquire().await; // remaining 1, one in flight (a) → must wait
        drop(a);
        drop(b);
        assert!(p.waits.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    }

    #[tokio::test]
    async fn unknown_quota_does_not_block() {
        let p = Pacer::default();
        let _a = p.acquire().await;
        let _b = p.acquire().await;
        assert_eq!(p.waits.load(std::sync::atomic::Ordering::Relaxed), 0);
    }
}
