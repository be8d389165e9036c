//! Identifiers and timestamps in Auth0's shapes: `con_` and `job_` + 16 letters or digits,
//! generated user ids (`auth0|` + 24 hex digits, the shape of the ids Auth0 gives users it
//! creates), and ISO 8601 times with milliseconds.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALNUM: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 unpredictable bits: std's randomly keyed SipHash over a counter and the clock. Ids
/// only need to be unique and not guessable in sequence; none of them is a secret.
fn random_u64() -> u64 {
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

fn alnum16(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 16);
    s.push_str(prefix);
    // 62^16 needs 96 bits: two draws.
    let (mut a, mut b) = (random_u64(), random_u64());
    for i in 0..16 {
        let r = if i < 8 { &mut a } else { &mut b };
        s.push(ALNUM[(*r % 62) as usize] as char);
        *r /= 62;
    }
    s
}

/// A connection id: `con_` + 16 characters of `[A-Za-z0-9]`.
pub fn connection_id() -> String {
    alnum16("con_")
}

/// A job id: `job_` + 16 characters of `[A-Za-z0-9]`.
pub fn job_id() -> String {
    alnum16("job_")
}

/// A user id for an inserted record that brought none: `auth0|` + 24 hex digits (seconds
/// since the epoch, then random bits, as in the ObjectIds Auth0 uses).
pub fn user_id() -> String {
    let secs = (now_ms() / 1000) as u32;
    let r = random_u64();
    format!("auth0|{secs:08x}{r:016x}")
}

/// Whether `s` is `prefix` + 16 characters of `[A-Za-z0-9]`.
pub fn is_id(s: &str, prefix: &str) -> bool {
    s.len() == prefix.len() + 16
        && s.starts_with(prefix)
        && s.as_bytes()[prefix.len()..]
            .iter()
            .all(u8::is_ascii_alphanumeric)
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `2026-11-22T10:04:05.123Z`.
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_auth0_shapes() {
        let c = connection_id();
        assert!(is_id(&c, "con_"), "{c}");
        let j = job_id();
        assert!(is_id(&j, "job_"), "{j}");
        assert_ne!(j, job_id());
        assert!(!is_id("job_123", "job_"));
        assert!(!is_id("job_0000000000000-01", "job_"));
        let u = user_id();
        assert_eq!(u.len(), 6 + 24);
        assert!(u[6..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_795_346_645_007), "2026-11-22T11:24:05.007Z");
    }
}
