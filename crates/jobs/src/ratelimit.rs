//! Auth0's rate limit on the Management API: a token bucket shared by every client, and the
//! `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` headers on every
//! answer (reset: the epoch second at which the bucket is full again), plus `retry-after`
//! on a 429.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

/// A bucket of `limit` requests that refills at `limit` a second.
#[derive(Debug)]
pub struct Bucket {
    limit: u32,
    state: Mutex<(f64, Instant)>,
}

/// What the bucket said about one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The request may go on.
    pub allowed: bool,
    /// The bucket's size.
    pub limit: u32,
    /// Whole requests left after this one.
    pub remaining: u32,
    /// When the bucket is full again, from now.
    pub full_in: Duration,
    /// When the next request will be allowed, from now (zero while some are left).
    pub next_in: Duration,
}

impl Bucket {
    /// A full bucket of `limit` (at least 1).
    pub fn new(limit: u32, now: Instant) -> Bucket {
        let limit = limit.max(1);
        Bucket {
            limit,
            state: Mutex::new((f64::from(limit), now)),
        }
    }

    /// Takes one request's token if there is one.
    pub fn take(&self, now: Instant) -> Verdict {
        let rate = f64::from(self.limit);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = &mut *state;
        // A clock read before another thread's later one: no refill, never negative.
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * rate).min(rate);
        *last = (*last).max(now);
        let allowed = *tokens >= 1.0;
        if allowed {
            *tokens -= 1.0;
        }
        let secs = |t: f64| Duration::from_secs_f64((t / rate).max(0.0));
        Verdict {
            allowed,
            limit: self.limit,
            remaining: tokens.floor() as u32,
            full_in: secs(rate - *tokens),
            next_in: secs(1.0 - *tokens),
        }
    }
}

fn epoch_secs_after(d: Duration) -> u64 {
    let at = SystemTime::now() + d;
    let t = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    // Up: the bucket is not full before that second ends.
    t.as_secs() + u64::from(t.subsec_nanos() > 0)
}

fn number(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

/// Sets the three `x-ratelimit-*` headers for `v`.
pub fn set_headers(headers: &mut HeaderMap, v: &Verdict) {
    headers.insert(
        HeaderName::from_static("x-ratelimit-limit"),
        number(v.limit.into()),
    );
    headers.insert(
        HeaderName::from_static("x-ratelimit-remaining"),
        number(v.remaining.into()),
    );
    headers.insert(
        HeaderName::from_static("x-ratelimit-reset"),
        number(epoch_secs_after(v.full_in)),
    );
}

/// `retry-after` in whole seconds, at least 1 (a client reading `0` would not wait).
pub fn set_retry_after(headers: &mut HeaderMap, wait: Duration) {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    headers.insert(header::RETRY_AFTER, number(secs.max(1)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_burst_then_refills_at_its_rate() {
        let t0 = Instant::now();
        let b = Bucket::new(5, t0);
        let taken: Vec<Verdict> = (0..6).map(|_| b.take(t0)).collect();
        assert!(taken[..5].iter().all(|v| v.allowed));
        assert_eq!(
            taken.iter().map(|v| v.remaining).collect::<Vec<_>>(),
            [4, 3, 2, 1, 0, 0]
        );
        let refused = taken[5];
        assert!(!refused.allowed);
        assert_eq!(refused.limit, 5);
        assert_eq!(refused.next_in, Duration::from_millis(200));
        assert_eq!(refused.full_in, Duration::from_secs(1));
        // 200 ms later one request has come back, and only one.
        let t1 = t0 + Duration::from_millis(200);
        assert!(b.take(t1).allowed);
        assert!(!b.take(t1).allowed);
        // A second later the bucket is full, never fuller.
        let t2 = t1 + Duration::from_secs(10);
        let v = b.take(t2);
        assert!(v.allowed);
        assert_eq!(v.remaining, 4);
        assert_eq!(v.full_in, Duration::from_millis(200));
        // An earlier clock reading (another thread's) refills nothing.
        let v = b.take(t1);
        assert_eq!(v.remaining, 3);
    }

    #[test]
    fn headers_are_auth0s() {
        let secs = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let b = Bucket::new(2, Instant::now());
        let mut h = HeaderMap::new();
        let before = secs();
        let v = b.take(Instant::now());
        set_headers(&mut h, &v);
        set_retry_after(&mut h, Duration::from_millis(1));
        let after = secs();
        assert_eq!(h["x-ratelimit-limit"], "2");
        assert_eq!(h["x-ratelimit-remaining"], "1");
        // Full again half a second after the call, rounded up to a whole second.
        let reset: u64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
        assert!(
            (before + 1..=after + 2).contains(&reset),
            "{reset} vs {before}..{after}"
        );
        assert_eq!(h["retry-after"], "1");
        set_retry_after(&mut h, Duration::from_millis(2500));
        assert_eq!(h["retry-after"], "3");
    }
}
