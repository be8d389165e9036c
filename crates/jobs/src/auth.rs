//! Who may call: the static bearer token (`USER_IMPORT_TOKEN`), Auth0's client-credentials
//! grant (`POST /oauth/token`) and the tokens it issued, and the middleware that checks the
//! `authorization` header of every API call.
//!
//! Issued tokens are 32 random bytes from the operating system, kept in memory only (a
//! restart forgets them, as a client that asks again expects). Every comparison of a
//! presented token with a known one runs in constant time and visits every known token, so
//! the time taken says nothing about how close a guess was.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use subtle::{Choice, ConstantTimeEq};

use crate::ClientCredentials;
use crate::http::{AppState, before_body, error};

/// The scopes an issued token carries: what the routes of this server need.
const SCOPE: &str = "read:connections read:users create:users";
/// Expired tokens are still told apart from unknown ones this long after they expired;
/// then they are forgotten, so memory stays bounded.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// At most this many issued tokens are kept; the oldest go first. SDKs keep a token until
/// it expires, so a client asks for few.
const MAX_TOKENS: usize = 1000;
const EXPIRED: &str = "Expired token received for JSON Web Token validation";

/// The tokens this server accepts.
pub struct Tokens {
    fixed: String,
    client: Option<ClientCredentials>,
    ttl: Duration,
    /// Issued tokens and when they expire, oldest first.
    issued: Mutex<Vec<(String, Instant)>>,
}

/// Secrets stay out of `Debug`.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("fixed", &"<redacted>")
            .field("client", &self.client)
            .field("ttl", &self.ttl)
            .field("issued", &self.lock().len())
            .finish()
    }
}

/// What a presented token is.
#[derive(Debug, PartialEq, Eq)]
enum Known {
    Valid,
    Expired,
    Unknown,
}

impl Tokens {
    pub fn new(fixed: String, client: Option<ClientCredentials>, ttl: Duration) -> Tokens {
        Tokens {
            fixed,
            client,
            ttl,
            issued: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Instant)>> {
        self.issued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new token valid for the TTL from `now`. `None` when the system has no randomness
    /// to give.
    fn issue(&self, now: Instant) -> Option<String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).ok()?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut issued = self.lock();
        // One TTL for all: the list is in expiry order too.
        let forgotten = issued
            .partition_point(|(_, until)| now.saturating_duration_since(*until) >= FORGET_AFTER);
        issued.drain(..forgotten);
        if issued.len() >= MAX_TOKENS {
            let excess = issued.len() + 1 - MAX_TOKENS;
            issued.drain(..excess);
        }
        issued.push((token.clone(), now + self.ttl));
        Some(token)
    }

    fn check(&self, presented: &str, now: Instant) -> Known {
        let presented = presented.as_bytes();
        let mut valid = presented.ct_eq(self.fixed.as_bytes());
        let mut expired = Choice::from(0);
        for (token, until) in self.lock().iter() {
            let same = presented.ct_eq(token.as_bytes());
            let live = Choice::from(u8::from(now < *until));
            valid |= same & live;
            expired |= same & !live;
        }
        if bool::from(valid) {
            Known::Valid
        } else if bool::from(expired) {
            Known::Expired
        } else {
            Known::Unknown
        }
    }

    /// Whether `id` and `secret` are the configured client's, in constant time.
    fn client_matches(&self, id: &str, secret: &str) -> bool {
        self.client.as_ref().is_some_and(|c| {
            let both =
                id.as_bytes().ct_eq(c.id.as_bytes()) & secret.as_bytes().ct_eq(c.secret.as_bytes());
            bool::from(both)
        })
    }
}

/// `authorization: Bearer <token>` on every API route: `USER_IMPORT_TOKEN` or a token
/// `/oauth/token` issued that has not expired.
pub async fn authorize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        let r = error(StatusCode::UNAUTHORIZED, "Missing authentication", None);
        return before_body(req, r).await;
    };
    let value = value.to_str().unwrap_or("");
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        let r = error(
            StatusCode::BAD_REQUEST,
            "Bad HTTP authentication header format",
            None,
        );
        return before_body(req, r).await;
    }
    let mut refused = match state.tokens.check(token, Instant::now()) {
        Known::Valid => return next.run(req).await,
        Known::Unknown => error(StatusCode::UNAUTHORIZED, "Invalid token", None),
        Known::Expired => {
            // Auth0's answer repeats the message under `attributes`.
            let body = json!({
                "statusCode": 401,
                "error": "Unauthorized",
                "message": EXPIRED,
                "attributes": {"error": EXPIRED},
            });
            json_answer(StatusCode::UNAUTHORIZED, &body)
        }
    };
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    before_body(req, refused).await
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// An OAuth error body, `{"error","error_description"}`, as Auth0's authentication API
/// sends it.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut r = json_answer(
        status,
        &json!({"error": code, "error_description": description}),
    );
    no_store(r.headers_mut());
    r
}

/// Token answers must not be cached (RFC 6749 5.1).
fn no_store(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The grant's parameters, from a JSON object or a form; `Err` is the 400's description.
fn parameters(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, String> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if json {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err("The request body must be a JSON object".to_owned()),
        };
    }
    let mut m = Map::new();
    for (k, v) in form_urlencoded::parse(body) {
        // A repeated parameter keeps its first value.
        m.entry(k.into_owned())
            .or_insert_with(|| Value::String(v.into_owned()));
    }
    Ok(m)
}

/// Why a token request is refused: the status, OAuth's `error` and its description.
type Refusal = (StatusCode, &'static str, String);

/// The client-credentials grant's `(client_id, client_secret, audience)`, in the order
/// Auth0 checks them.
fn grant(params: &Map<String, Value>) -> Result<(&str, &str, &str), Refusal> {
    let text = |name: &str| match params.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
        Some(Value::String(_)) | None => Err((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("Missing required parameter: {name}"),
        )),
        Some(_) => Err((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("Invalid parameter: {name} must be a string"),
        )),
    };
    let grant = text("grant_type")?;
    if grant != "client_credentials" {
        return Err((
            StatusCode::FORBIDDEN,
            "unsupported_grant_type",
            format!("Unsupported grant type: {grant}"),
        ));
    }
    Ok((
        text("client_id")?,
        text("client_secret")?,
        text("audience")?,
    ))
}

/// `POST /oauth/token` with `grant_type=client_credentials`, `client_id`, `client_secret`
/// and `audience` (`https://DOMAIN/api/v2/`), as JSON or as a form.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match parameters(&headers, &body) {
        Ok(p) => p,
        Err(why) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &why),
    };
    let (id, secret, audience) = match grant(&params) {
        Ok(p) => p,
        Err((status, code, why)) => return oauth_error(status, code, &why),
    };
    if !state.tokens.client_matches(id, secret) {
        return oauth_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    if !audience.ends_with("/api/v2/") {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!("Service not enabled within domain: {audience}"),
        );
    }
    let Some(token) = state.tokens.issue(Instant::now()) else {
        eprintln!("user-import: /oauth/token: the system gave no random bytes for a token");
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal Server Error",
        );
    };
    let mut r = json_answer(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": state.tokens.ttl.as_secs(),
            "scope": SCOPE,
        }),
    );
    no_store(r.headers_mut());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(ttl: Duration) -> Tokens {
        Tokens::new(
            "fixed-token".into(),
            Some(ClientCredentials {
                id: "app".into(),
                secret: "s3cret".into(),
            }),
            ttl,
        )
    }

    #[test]
    fn issued_tokens_live_for_the_ttl() {
        let t = tokens(Duration::from_secs(2));
        let now = Instant::now();
        let a = t.issue(now).unwrap();
        let b = t.issue(now).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(t.check(&a, now), Known::Valid);
        assert_eq!(t.check("fixed-token", now), Known::Valid);
        assert_eq!(t.check(&a[..63], now), Known::Unknown);
        assert_eq!(t.check("", now), Known::Unknown);
        let later = now + Duration::from_secs(2);
        assert_eq!(t.check(&a, later), Known::Expired);
        assert_eq!(t.check("fixed-token", later), Known::Valid);
        // Long expired tokens are forgotten at the next issue.
        let much_later = later + FORGET_AFTER;
        t.issue(much_later).unwrap();
        assert_eq!(t.check(&b, much_later), Known::Unknown);
        assert_eq!(t.lock().len(), 1);
    }

    #[test]
    fn client_credentials_must_both_match() {
        let t = tokens(Duration::from_secs(1));
        assert!(t.client_matches("app", "s3cret"));
        assert!(!t.client_matches("app", "s3cre"));
        assert!(!t.client_matches("ap", "s3cret"));
        let none = Tokens::new("x".into(), None, Duration::from_secs(1));
        assert!(!none.client_matches("", ""));
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("fixed-token"),
            "{shown}"
        );
    }

    #[test]
    fn the_store_of_tokens_is_bounded() {
        let t = tokens(Duration::from_secs(60));
        let now = Instant::now();
        let first = t.issue(now).unwrap();
        for _ in 0..MAX_TOKENS {
            t.issue(now).unwrap();
        }
        assert_eq!(t.lock().len(), MAX_TOKENS);
        assert_eq!(t.check(&first, now), Known::Unknown);
    }

    #[test]
    fn parameters_come_as_json_or_form() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let p = parameters(
            &h,
            b"grant_type=client_credentials&audience=https%3A%2F%2Fx%2Fapi%2Fv2%2F&audience=no",
        )
        .unwrap();
        assert_eq!(p["grant_type"], "client_credentials");
        assert_eq!(p["audience"], "https://x/api/v2/");
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        let p = parameters(&h, br#"{"client_id":"a","n":1}"#).unwrap();
        assert_eq!(p["client_id"], "a");
        assert!(parameters(&h, b"[1]").is_err());
        assert!(parameters(&h, b"{").is_err());
    }
}
