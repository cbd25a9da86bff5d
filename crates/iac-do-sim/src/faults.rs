//! The per-token rate limiter (a sliding one-minute window, as DigitalOcean
//! reports it) and the random fault decisions.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::clock::epoch_secs;
use crate::config::Faults;

const WINDOW: Duration = Duration::from_secs(60);

/// What the rate-limit headers say after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds when the oldest counted request leaves the window.
    pub reset: u64,
    /// Seconds to wait when the request was refused.
    pub retry_after: Option<u64>,
}

#[derive(Default)]
pub struct RateLimiter {
    seen: HashMap<String, VecDeque<SystemTime>>,
}

impl RateLimiter {
    /// Counts a request by `token` at `now` (unless refused).
    pub fn admit(&mut self, token: &str, limit: u32, now: SystemTime) -> Quota {
        let log = self.seen.entry(token.to_string()).or_default();
        while log.front().is_some_and(|t| now.duration_since(*t).unwrap_or(Duration::ZERO) >= WINDOW) {
            log.pop_front();
        }
        let reset_of = |log: &VecDeque<SystemTime>| log.front().map(|t| epoch_secs(*t + WINDOW)).unwrap_or(epoch_secs(now + WINDOW));
        if limit == 0 {
            return Quota { limit: 5000, remaining: 5000, reset: epoch_secs(now + WINDOW), retry_after: None };
        }
        if log.len() as u32 >= limit {
            let wait = log.front().map(|t| (*t + WINDOW).duration_since(now).unwrap_or(Duration::ZERO)).unwrap_or(WINDOW);
            return Quota { limit, remaining: 0, reset: reset_of(log), retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64) };
        }
        log.push_back(now);
        Quota { limit, remaining: limit - log.len() as u32, reset: reset_of(log), retry_after: None }
    }
}

/// A fault to inject into one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    TooMany,
    ServerError(u16),
    DropBefore,
    DropAfter,
}

pub fn decide(f: &Faults, rng: &mut fastrand::Rng) -> Fault {
    let x = rng.f64();
    if x < f.rate_drop {
        return if rng.bool() { Fault::DropBefore } else { Fault::DropAfter };
    }
    let x = x - f.rate_drop;
    if x < f.rate_429 {
        return Fault::TooMany;
    }
    if x - f.rate_429 < f.rate_5xx {
        return Fault::ServerError([500, 502, 503][rng.usize(..3)]);
    }
    Fault::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_refuses_past_the_limit_and_recovers() {
        let mut r = RateLimiter::default();
        let t0 = SystemTime::now();
        for i in 0..3 {
            let q = r.admit("t", 3, t0);
            assert_eq!(q.remaining, 2 - i);
        }
        let refused = r.admit("t", 3, t0 + Duration::from_secs(10));
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after, Some(50));
        assert!(r.admit("other", 3, t0).retry_after.is_none(), "limits are per token");
        assert!(r.admit("t", 3, t0 + Duration::from_secs(61)).retry_after.is_none());
    }

    #[test]
    fn fault_rates_are_respected() {
        let f = Faults { rate_5xx: 0.5, ..Faults::default() };
        let mut rng = fastrand::Rng::with_seed(7);
        let n = (0..1000).filter(|_| matches!(decide(&f, &mut rng), Fault::ServerError(_))).count();
        assert!((400..600).contains(&n), "{n}");
        let none = Faults::default();
        assert!((0..100).all(|_| decide(&none, &mut rng) == Fault::None));
    }
}
