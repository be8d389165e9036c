//! The Management API client: credentials and tokens, one attempt of a call, the retry
//! policy for calls that can be repeated, Auth0's clock, and the multipart upload.
//!
//! The HTTP client is ureq with rustls: blocking (a submit has at most a few calls in
//! flight, one per worker thread, so an async runtime would buy nothing), pure Rust TLS
//! with the Mozilla roots compiled in (works against a real tenant from any machine, no
//! OpenSSL to match).
//!
//! Tokens and client secrets live in [`Secret`], whose `Debug` prints `<redacted>`; no
//! message built here includes a header, a request body or a token.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use ureq::Agent;
use ureq::http::Response;

/// The most an answer may hold: an errors list of a 512,000-byte file is far smaller.
const MAX_ANSWER: u64 = 256 << 20;
/// The longest single wait a 429 can impose before the call is tried again.
const MAX_RATE_WAIT: Duration = Duration::from_secs(300);

/// A token or a client secret.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How `submit` proves who it is.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `AUTH0_TOKEN`: a Management API token, used until it is refused.
    Token(Secret),
    /// `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET`: the client-credentials grant, asked
    /// again when the token expires or a call answers 401.
    Client { id: String, secret: Secret },
}

/// How often and how long calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts of one call on 5xx, timeouts and dropped connections.
    pub attempts: u32,
    /// The first backoff; it doubles each attempt, with full jitter, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// 429 answers one call may wait out before it gives up.
    pub rate_waits: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            rate_waits: 200,
        }
    }
}

/// What one attempt of a call came to.
#[derive(Debug)]
pub enum Attempt {
    /// A complete answer.
    Answered {
        status: u16,
        /// What a 429 asks to wait (`retry-after`, else `x-ratelimit-reset`).
        wait: Option<Duration>,
        body: Vec<u8>,
    },
    /// The request certainly did not reach the server (no connection).
    NotSent(String),
    /// It may have reached the server, and no complete answer came back.
    Lost(String),
}

/// Why a call gave up.
#[derive(Debug)]
pub enum Failure {
    /// An answer that retrying will not change (a 4xx other than 429, a 401 with a fresh
    /// token); `message` is Auth0's.
    Refused { status: u16, message: String },
    /// The retries ran out on 5xx, 429s, timeouts or dropped connections.
    Unavailable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused { status, message } => write!(f, "HTTP {status}: {message}"),
            Failure::Unavailable(why) => write!(f, "gave up after retries: {why}"),
        }
    }
}

#[derive(Debug)]
pub struct Api {
    agent: Agent,
    base: String,
    audience: String,
    creds: Credentials,
    token: Mutex<Option<(Secret, Instant)>>,
    /// Auth0's clock minus ours, in ms, from the last answer's `Date`.
    offset: Mutex<Option<i64>>,
    pub policy: Policy,
    retries: AtomicU64,
    seed: AtomicU64,
}

impl Api {
    /// `base`: `https://DOMAIN` or `--base-url`; `audience`: `https://DOMAIN/api/v2/`.
    pub fn new(base: &str, audience: String, creds: Credentials, policy: Policy) -> Api {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(15)))
            .user_agent(concat!("user-import/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()) << 32;
        Api {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            audience,
            creds,
            token: Mutex::new(None),
            offset: Mutex::new(None),
            policy,
            retries: AtomicU64::new(0),
            seed: AtomicU64::new(seed | 1),
        }
    }

    /// Calls retried so far (for the progress line).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Auth0's clock now, in ms since the epoch, as told by its last `Date` header. Before
    /// any answer, ours minus a minute: what it is used for (which users a lost job may have
    /// created) errs safely on the early side.
    pub fn server_now_ms(&self) -> i64 {
        let ours = now_ms();
        match *self.offset.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(off) => ours + off,
            None => ours - 60_000,
        }
    }

    /// A token, from the cache or the client-credentials grant.
    fn bearer(&self) -> Result<Secret, Failure> {
        let client = match &self.creds {
            Credentials::Token(t) => return Ok(t.clone()),
            Credentials::Client { id, secret } => (id, secret),
        };
        if let Some((t, until)) = &*self.token.lock().unwrap_or_else(|e| e.into_inner())
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let body = json!({
            "grant_type": "client_credentials",
            "client_id": client.0,
            "client_secret": client.1.0,
            "audience": self.audience,
        })
        .to_string();
        let mut tries = 0;
        loop {
            let attempt = self.once(
                "POST",
                "/oauth/token",
                None,
                Some(("application/json", body.as_bytes())),
            );
            match attempt {
                Attempt::Answered {
                    status: 200, body, ..
                } => {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let Some(token) = v.get("access_token").and_then(Value::as_str) else {
                        return Err(Failure::Refused {
                            status: 200,
                            message: "the token endpoint answered without an access_token".into(),
                        });
                    };
                    let ttl = Duration::from_secs(
                        v.get("expires_in").and_then(Value::as_u64).unwrap_or(3600),
                    );
                    // Asked again a little before it expires, so no call carries a token
                    // that dies on the way.
                    let margin = (ttl / 10).min(Duration::from_secs(60));
                    let t = Secret(token.to_owned());
                    *self.token.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some((t.clone(), Instant::now() + ttl - margin));
                    return Ok(t);
                }
                Attempt::Answered { status, wait, body } if status == 429 || status >= 500 => {
                    tries += 1;
                    if tries >= self.policy.attempts {
                        return Err(Failure::Unavailable(format!(
                            "the token endpoint answered {status}: {}",
                            message(&body)
                        )));
                    }
                    self.pause(wait, tries);
                }
                Attempt::Answered { status, body, .. } => {
                    return Err(Failure::Refused {
                        status,
                        message: format!(
                            "the token endpoint refused the client credentials: {}",
                            message(&body)
                        ),
                    });
                }
                Attempt::NotSent(why) | Attempt::Lost(why) => {
                    tries += 1;
                    if tries >= self.policy.attempts {
                        return Err(Failure::Unavailable(why));
                    }
                    self.pause(None, tries);
                }
            }
        }
    }

    /// Forgets the cached token after a 401; false when there is no other to get.
    pub fn renew_token(&self) -> bool {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = None;
        matches!(self.creds, Credentials::Client { .. })
    }

    /// One attempt of an API call with the bearer token; `Err` when no token can be had.
    pub fn attempt(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Attempt, Failure> {
        let token = self.bearer()?;
        Ok(self.once(method, path, Some(&token), body))
    }

    fn once(
        &self,
        method: &str,
        path: &str,
        token: Option<&Secret>,
        body: Option<(&str, &[u8])>,
    ) -> Attempt {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {}", t.0));
        let result = match (method, body) {
            ("POST", Some((ctype, bytes))) => {
                let mut r = self.agent.post(&url).content_type(ctype);
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.send(bytes)
            }
            _ => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.call()
            }
        };
        match result {
            Ok(mut resp) => {
                self.note_clock(&resp);
                let status = resp.status().as_u16();
                let wait = rate_wait(&resp, self.server_now_ms());
                match resp
                    .body_mut()
                    .with_config()
                    .limit(MAX_ANSWER)
                    .read_to_vec()
                {
                    Ok(body) => Attempt::Answered { status, wait, body },
                    Err(e) => Attempt::Lost(format!("the answer broke off: {}", describe(&e))),
                }
            }
            Err(e) => {
                let refused = matches!(
                    e,
                    ureq::Error::HostNotFound
                        | ureq::Error::ConnectionFailed
                        | ureq::Error::BadUri(_)
                ) || matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused);
                if refused {
                    Attempt::NotSent(describe(&e))
                } else {
                    Attempt::Lost(describe(&e))
                }
            }
        }
    }

    fn note_clock(&self, resp: &Response<ureq::Body>) {
        let date = resp
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date);
        if let Some(server_s) = date {
            self.note_server_time(server_s * 1000);
        }
    }

    /// A time read off Auth0 (a `Date`, to the second; a job's `created_at`, to the ms).
    /// Each happened before now, so each offset errs early, as wanted; the largest is the
    /// closest.
    pub fn note_server_time(&self, server_ms: i64) {
        let offset = server_ms - now_ms();
        let mut o = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *o = Some(o.map_or(offset, |old| old.max(offset)));
    }

    /// A GET, retried on 429, 5xx and transport failures, the token renewed once on 401.
    /// Returns the status (2xx, or the 4xx that stops) and the body.
    pub fn get(&self, path: &str) -> Result<(u16, Vec<u8>), Failure> {
        let (mut tries, mut waits, mut renewed) = (0, 0, false);
        loop {
            match self.attempt("GET", path, None)? {
                Attempt::Answered { status, body, .. } if status < 300 => {
                    return Ok((status, body));
                }
                Attempt::Answered {
                    status: 401, body, ..
                } => {
                    if renewed || !self.renew_token() {
                        return Err(Failure::Refused {
                            status: 401,
                            message: message(&body),
                        });
                    }
                    renewed = true;
                }
                Attempt::Answered {
                    status: 429,
                    wait,
                    body,
                } => {
                    waits += 1;
                    if waits > self.policy.rate_waits {
                        return Err(Failure::Unavailable(format!(
                            "still rate limited: {}",
                            message(&body)
                        )));
                    }
                    self.pause(wait, waits.min(6));
                }
                Attempt::Answered { status, body, .. } if status >= 500 => {
                    tries += 1;
                    if tries >= self.policy.attempts {
                        return Err(Failure::Unavailable(format!(
                            "HTTP {status}: {}",
                            message(&body)
                        )));
                    }
                    self.pause(None, tries);
                }
                Attempt::Answered { status, body, .. } => {
                    return Ok((status, body));
                }
                Attempt::NotSent(why) | Attempt::Lost(why) => {
                    tries += 1;
                    if tries >= self.policy.attempts {
                        return Err(Failure::Unavailable(why));
                    }
                    self.pause(None, tries);
                }
            }
        }
    }

    /// Waits before the next attempt: what a 429 asked for, else exponential backoff with
    /// full jitter (so that two workers that failed together do not retry together).
    pub fn pause(&self, asked: Option<Duration>, attempt: u32) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        let d = match asked {
            Some(d) => d.min(MAX_RATE_WAIT),
            None => {
                let cap = self
                    .policy
                    .base_delay
                    .saturating_mul(1 << attempt.saturating_sub(1).min(16))
                    .min(self.policy.max_delay);
                let r = self.random();
                // Half fixed, half random: never a zero wait, still spread out.
                cap / 2 + Duration::from_nanos(r % (cap.as_nanos() as u64 / 2 + 1))
            }
        };
        std::thread::sleep(d);
    }

    fn random(&self) -> u64 {
        // splitmix64 on a shared counter: jitter needs spread, not secrecy.
        let mut z = self
            .seed
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A multipart body for `POST /api/v2/jobs/users-imports`, as Auth0's docs show it,
    /// and its content type.
    pub fn import_form(
        &self,
        file_name: &str,
        users: &[u8],
        fields: &[(&str, &str)],
    ) -> (String, Vec<u8>) {
        let boundary = loop {
            let b = format!(
                "----user-import-{:016x}{:016x}",
                self.random(),
                self.random()
            );
            // A boundary must not occur in the content; with 128 random bits it never does,
            // but checking costs one scan of half a megabyte.
            if !contains(users, b.as_bytes()) {
                break b;
            }
        };
        let mut body = Vec::with_capacity(users.len() + 1024);
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        let file_name = file_name.replace(['"', '\r', '\n'], "_");
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"users\"; filename=\"{file_name}\"\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(users);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }
}

/// Auth0's `message` from an error body, else the body's start; never more than a line.
pub fn message(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let m = v
        .get("message")
        .or_else(|| v.get("error_description"))
        .or_else(|| v.get("error"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    m.replace(['\r', '\n'], " ")
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t:?})"),
        ureq::Error::Io(io) => format!("connection error: {io}"),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        other => other.to_string(),
    }
}

/// What a 429 asks to wait: `retry-after` in seconds, else until `x-ratelimit-reset`
/// (epoch seconds on Auth0's clock).
fn rate_wait(resp: &Response<ureq::Body>, server_now_ms: i64) -> Option<Duration> {
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|s| s.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    let reset = header("x-ratelimit-reset").and_then(|s| s.parse::<i64>().ok())?;
    let ms = (reset * 1000 - server_now_ms).max(0) as u64;
    // The reset is to the second: wait past it, not into it.
    Some(Duration::from_millis(ms + 100))
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 5.6.7) in epoch seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace().skip(1);
    let day: i64 = it.next()?.parse().ok()?;
    let month = it.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)? as i64
        + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Dec 2026 04:31:23 GMT"),
            Some(1_796_531_483)
        );
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn secrets_never_print() {
        let c = Credentials::Client {
            id: "client".into(),
            secret: Secret::new("sup3r-secret".into()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("sup3r"), "{shown}");
        let api = Api::new("http://127.0.0.1:9", "a".into(), c, Policy::default());
        assert!(!format!("{api:?}").contains("sup3r"));
    }

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let api = Api::new(
            "http://127.0.0.1:9",
            "a".into(),
            Credentials::Token(Secret::new("t".into())),
            Policy {
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(4),
                ..Policy::default()
            },
        );
        let t = Instant::now();
        for attempt in 1..=5 {
            api.pause(None, attempt);
        }
        // 0.5..1 + 1..2 + 2..4 + 2..4 + 2..4 ms
        assert!(t.elapsed() >= Duration::from_micros(7_500));
        assert_eq!(api.retries(), 5);
    }

    #[test]
    fn the_form_carries_every_field_and_the_file() {
        let api = Api::new(
            "http://x",
            "a".into(),
            Credentials::Token(Secret::new("t".into())),
            Policy::default(),
        );
        let (ctype, body) = api.import_form(
            "users-0001.json",
            b"[{\"email\":\"a@b.c\"}]",
            &[("upsert", "false")],
        );
        let boundary = ctype
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"upsert\"\r\n\r\nfalse\r\n"));
        assert!(text.contains("filename=\"users-0001.json\""));
        assert!(text.ends_with(&format!("[{{\"email\":\"a@b.c\"}}]\r\n--{boundary}--\r\n")));
    }
}
