//! The HTTP side: Auth0's Management API routes for import jobs and Auth0's error bodies
//! (`{"statusCode","error","message","errorCode"}`). Every `/api/v2` call passes the gate
//! first (the rate limit, then injected faults), then the bearer check (`auth`), then its
//! handler.
//!
//! Handlers never run the engine or hold the store for long: store calls are short and go
//! through `spawn_blocking`; jobs go to the [`Runner`]'s threads.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::auth::{self, Tokens};
use crate::faults::{Faults, JobFault};
use crate::fields::Fields;
use crate::ids;
use crate::jobs::{MAX_ACTIVE, Runner, Ticket};
use crate::object;
use crate::paging::Paging;
use crate::query::{self, Invalid};
use crate::ratelimit::{self, Bucket, Verdict};
use crate::store::{self, Job, JobStatus, Store, User};

/// Room for the form's other fields and the multipart framing around the users file.
const FORM_OVERHEAD: u64 = 64 * 1024;
/// A body announced too large is still read (and discarded) up to this size before the
/// 413 is sent, so that the client, still sending, reads the answer instead of a reset.
const DRAIN_LIMIT: u64 = 8 << 20;

const TOO_MANY: &str = "There are 2 active import users jobs, please wait until some of them are finished and try again";

/// The longest `retry-after` the two-active-jobs 429 asks for: a job's estimate can be far
/// off, and a client that comes back early is only told again.
const MAX_SLOT_WAIT: u64 = 5;
/// The largest token request read.
const TOKEN_BODY_LIMIT: usize = 16 * 1024;

/// `Debug` shows no secret: [`Tokens`] redacts its own.
#[derive(Debug)]
pub struct Shared {
    pub store: Mutex<Store>,
    pub runner: Arc<Runner>,
    pub tokens: Tokens,
    pub bucket: Bucket,
    pub faults: Option<Faults>,
    pub max_file_bytes: u64,
}

pub type AppState = Arc<Shared>;

pub fn router(state: AppState) -> Router {
    let body_limit = (state.max_file_bytes + FORM_OVERHEAD) as usize;
    Router::new()
        .route("/api/v2/connections", get(connections))
        .route(
            "/api/v2/jobs/users-imports",
            post(create_job).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/api/v2/jobs/{id}", get(job))
        .route("/api/v2/jobs/{id}/errors", get(job_errors))
        .route("/api/v2/users/{id}", get(user))
        .route("/api/v2/users-by-email", get(users_by_email))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        // Added after the bearer check: it is how a client gets a bearer.
        .route(
            "/oauth/token",
            post(auth::token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT)),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found", None) })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

fn is_api(path: &str) -> bool {
    path == "/api/v2" || path.starts_with("/api/v2/")
}

/// Every `/api/v2` call, before anything else: the rate limit, then an injected fault;
/// every answer, whatever gave it, carries the rate-limit headers.
async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_api(req.uri().path()) {
        return next.run(req).await;
    }
    let verdict = state.bucket.take(Instant::now());
    if !verdict.allowed {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "Global limit has been reached",
            Some("too_many_requests"),
        );
        ratelimit::set_retry_after(r.headers_mut(), verdict.next_in);
        ratelimit::set_headers(r.headers_mut(), &verdict);
        return before_body(req, r).await;
    }
    if let Some(status) = state.faults.as_ref().and_then(Faults::call) {
        eprintln!(
            "user-import: fault: {status} for {} {}",
            req.method(),
            req.uri().path()
        );
        return before_body(req, injected(status, verdict.limit)).await;
    }
    let mut r = next.run(req).await;
    ratelimit::set_headers(r.headers_mut(), &verdict);
    r
}

/// An injected fault's answer, shaped as Auth0's: a 429 as if the global limit were hit
/// (one second to wait), or a 5xx.
fn injected(status: u16, limit: u32) -> Response {
    let (status, message, code) = match status {
        429 => (
            StatusCode::TOO_MANY_REQUESTS,
            "Global limit has been reached",
            Some("too_many_requests"),
        ),
        503 => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", None),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            None,
        ),
    };
    let mut r = error(status, message, code);
    let wait = Duration::from_secs(1);
    let verdict = Verdict {
        allowed: false,
        limit,
        remaining: 0,
        full_in: wait,
        next_in: wait,
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        ratelimit::set_retry_after(r.headers_mut(), wait);
    }
    ratelimit::set_headers(r.headers_mut(), &verdict);
    r
}

/// A body that fails before its first byte: hyper then closes the connection without
/// sending even the status line, so the client sees the connection end with no answer.
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::other(
            "the answer is dropped (fault injection)",
        ))))
    }
}

fn dropped() -> Response {
    Response::new(Body::new(Broken))
}

/// An Auth0 error body.
pub fn error(status: StatusCode, message: &str, code: Option<&str>) -> Response {
    let mut body = Map::new();
    body.insert("statusCode".into(), status.as_u16().into());
    body.insert(
        "error".into(),
        match status {
            // hapi's (Auth0's) name for 413.
            StatusCode::PAYLOAD_TOO_LARGE => "Request Entity Too Large",
            s => s.canonical_reason().unwrap_or("Error"),
        }
        .into(),
    );
    body.insert("message".into(), message.into());
    if let Some(code) = code {
        body.insert("errorCode".into(), code.into());
    }
    json_response(status, &Value::Object(body))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
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

fn internal() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        None,
    )
}

fn invalid_body(message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        &format!("Payload validation error: {message}"),
        Some("invalid_body"),
    )
}

/// Runs a short store call off the async runtime.
async fn with_store<T, F>(state: &AppState, f: F) -> Result<T, Response>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> store::Result<T> + Send + 'static,
{
    let shared = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    })
    .await;
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            eprintln!("user-import: the store failed: {e}");
            Err(internal())
        }
        Err(_) => Err(internal()),
    }
}

fn invalid_query(e: &Invalid) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        &e.message(),
        Some("invalid_query_string"),
    )
}

/// `GET /api/v2/connections`: filtered by `name` and `strategy` (repeatable), paged by
/// checkpoint (`from`, `take`) or offset (`page`, `per_page`, `include_totals`), fields
/// selected by `fields` and `include_fields`.
async fn connections(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let q = query::Query::parse(raw.as_deref());
    let (paging, fields) = match (Paging::from_query(&q), Fields::from_query(&q)) {
        (Ok(p), Ok(f)) => (p, f),
        (Err(e), _) | (_, Err(e)) => return invalid_query(&e),
    };
    let all = match with_store(&state, |s| s.connections()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let strategies = q.list("strategy");
    let list: Vec<Value> = all
        .into_iter()
        .filter(|c| q.first("name").is_none_or(|n| n == c.name))
        .filter(|c| strategies.is_empty() || strategies.contains(&c.strategy.as_str()))
        .map(|c| {
            let mut m = Map::new();
            m.insert("id".into(), c.id.into());
            m.insert("name".into(), c.name.clone().into());
            m.insert("strategy".into(), c.strategy.into());
            m.insert("realms".into(), json!([c.name]));
            m.insert("is_domain_connection".into(), false.into());
            Value::Object(m)
        })
        .collect();
    // Checkpoints are ids, which a selection may leave out: page first, then select.
    let mut answer = match paging.answer("connections", list) {
        Ok(v) => v,
        Err(e) => return invalid_query(&e),
    };
    if let Some(f) = &fields {
        let page = match &mut answer {
            Value::Object(m) => m.get_mut("connections").and_then(Value::as_array_mut),
            other => other.as_array_mut(),
        };
        for item in page.into_iter().flatten() {
            if let Value::Object(m) = item {
                f.select(m);
            }
        }
    }
    json_response(StatusCode::OK, &answer)
}

/// The form of a create-import-users-job request.
#[derive(Debug, Default)]
struct Form {
    users: Option<Vec<u8>>,
    connection_id: Option<String>,
    upsert: Option<String>,
    external_id: Option<String>,
    send_completion_email: Option<String>,
}

enum FormError {
    TooLarge,
    Malformed,
}

impl From<MultipartError> for FormError {
    fn from(e: MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            FormError::TooLarge
        } else {
            FormError::Malformed
        }
    }
}

async fn read_form(mut multipart: Multipart, max_file: u64) -> Result<Form, FormError> {
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "users" && form.users.is_none() {
            let mut data = Vec::new();
            while let Some(chunk) = field.chunk().await? {
                if (data.len() + chunk.len()) as u64 > max_file {
                    return Err(FormError::TooLarge);
                }
                data.extend_from_slice(&chunk);
            }
            form.users = Some(data);
            continue;
        }
        let slot = match name.as_str() {
            "connection_id" => &mut form.connection_id,
            "upsert" => &mut form.upsert,
            "external_id" => &mut form.external_id,
            "send_completion_email" => &mut form.send_completion_email,
            // Auth0's schema allows other properties; they are ignored.
            _ => {
                while field.chunk().await?.is_some() {}
                continue;
            }
        };
        let text = field.text().await?;
        slot.get_or_insert(text);
    }
    Ok(form)
}

/// A boolean form field; `Err` holds the 400's message.
fn boolean(value: Option<&str>, name: &str, default: bool) -> Result<bool, String> {
    match value.map(str::trim) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(format!(
            "'Expected type boolean but found type string' on property {name}"
        )),
    }
}

fn too_large(max_file: u64) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Payload content length greater than maximum allowed: {max_file}"),
        None,
    )
}

/// `POST /api/v2/jobs/users-imports` (multipart: `users`, `connection_id`, `upsert`,
/// `external_id`, `send_completion_email`).
async fn create_job(State(state): State<AppState>, req: Request) -> Response {
    let max_file = state.max_file_bytes;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max_file + FORM_OVERHEAD) {
        return before_body(req, too_large(max_file)).await;
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let form = if is_multipart {
        let multipart = match Multipart::from_request(req, &state).await {
            Ok(m) => m,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Invalid multipart payload format",
                    None,
                );
            }
        };
        match read_form(multipart, max_file).await {
            Ok(f) => f,
            Err(FormError::TooLarge) => return too_large(max_file),
            Err(FormError::Malformed) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Invalid multipart payload format",
                    None,
                );
            }
        }
    } else {
        discard(req.into_body()).await;
        Form::default()
    };
    let Some(users) = form.users else {
        return invalid_body("'Missing required property: users'.");
    };
    let Some(connection_id) = form.connection_id else {
        return invalid_body("'Missing required property: connection_id'.");
    };
    if !ids::is_id(&connection_id, "con_") {
        return invalid_body(
            "'String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id",
        );
    }
    let upsert = match boolean(form.upsert.as_deref(), "upsert", false) {
        Ok(b) => b,
        Err(m) => return invalid_body(&m),
    };
    let send_email = match boolean(
        form.send_completion_email.as_deref(),
        "send_completion_email",
        true,
    ) {
        Ok(b) => b,
        Err(m) => return invalid_body(&m),
    };
    let lookup = connection_id.clone();
    let connection = match with_store(&state, move |s| s.connection(&lookup)).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The connection does not exist.",
                Some("inexistent_connection"),
            );
        }
        Err(r) => return r,
    };
    let mut job = Job {
        id: ids::job_id(),
        connection_id: connection.id.clone(),
        connection: connection.name.clone(),
        external_id: form.external_id,
        upsert,
        send_completion_email: send_email,
        status: JobStatus::Pending,
        file_bytes: users.len() as u64,
        created_ms: ids::now_ms(),
        reason: None,
        summary: None,
    };
    let mut stored = job.clone();
    match with_store(&state, move |s| {
        Ok(s.create_job(&mut stored, MAX_ACTIVE)?.map(|()| stored))
    })
    .await
    {
        Ok(Some(created)) => job = created,
        Ok(None) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, TOO_MANY, None);
            let wait = state.runner.soonest_done().clamp(1, MAX_SLOT_WAIT);
            ratelimit::set_retry_after(r.headers_mut(), Duration::from_secs(wait));
            return r;
        }
        Err(r) => return r,
    }
    let fault = state
        .faults
        .as_ref()
        .map_or_else(JobFault::default, Faults::job);
    let ticket = Ticket {
        id: job.id.clone(),
        connection_id: connection.id,
        connection: connection.name,
        upsert,
        input: users,
        fault,
    };
    if let Err(e) = state.runner.spawn(ticket) {
        eprintln!("user-import: job {}: cannot start a thread: {e}", job.id);
        let id = job.id.clone();
        let _ = with_store(&state, move |s| {
            s.fail_job(&id, "the server could not start the job")
        })
        .await;
        return internal();
    }
    eprintln!(
        "user-import: job {} accepted: {} bytes for {}{}",
        job.id,
        job.file_bytes,
        job.connection,
        if upsert { ", upsert" } else { "" }
    );
    if let Some(faults) = &state.faults {
        let fate = faults.answer();
        if !fate.delay.is_zero() {
            tokio::time::sleep(fate.delay).await;
        }
        if fate.drop {
            eprintln!(
                "user-import: fault: job {} was created; its answer is dropped",
                job.id
            );
            return dropped();
        }
    }
    json_response(StatusCode::ACCEPTED, &job_json(&job, None))
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// Reads a request's body and throws it away, up to [`DRAIN_LIMIT`] bytes.
async fn discard(mut body: Body) {
    let mut read = 0u64;
    while read <= DRAIN_LIMIT {
        match std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx)).await
        {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => return,
        }
    }
}

/// An answer given without reading the request (a refusal): its body, if it is not
/// announced larger than [`DRAIN_LIMIT`], is read and thrown away first, so that a client
/// still sending it reads the answer instead of a reset connection (Node's fetch reports
/// `EPIPE` and never sees the status). A client waiting for `100 Continue` sends nothing.
pub async fn before_body(req: Request, answer: Response) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if !expects_continue(req.headers()) && announced.is_none_or(|n| n <= DRAIN_LIMIT) {
        discard(req.into_body()).await;
    }
    answer
}

/// A job in Auth0's shape.
fn job_json(job: &Job, progress: Option<(u64, u64)>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "users_import".into());
    m.insert("status".into(), job.status.as_str().into());
    m.insert("id".into(), job.id.clone().into());
    m.insert("connection_id".into(), job.connection_id.clone().into());
    m.insert("connection".into(), job.connection.clone().into());
    m.insert("created_at".into(), ids::iso8601(job.created_ms).into());
    if let Some(e) = &job.external_id {
        m.insert("external_id".into(), e.clone().into());
    }
    match job.status {
        JobStatus::Pending => {}
        JobStatus::Processing => {
            let (pct, left) = progress.unwrap_or((0, 0));
            m.insert("percentage_done".into(), pct.into());
            m.insert("time_left_seconds".into(), left.into());
        }
        JobStatus::Completed => {
            if let Some(c) = job.summary {
                m.insert(
                    "summary".into(),
                    json!({
                        "failed": c.failed,
                        "updated": c.updated,
                        "inserted": c.inserted,
                        "total": c.total,
                    }),
                );
            }
        }
        JobStatus::Failed => {
            if let Some(r) = &job.reason {
                m.insert("status_details".into(), r.clone().into());
            }
        }
    }
    Value::Object(m)
}

fn no_job() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "The job does not exist.",
        Some("inexistent_job"),
    )
}

/// `GET /api/v2/jobs/{id}`.
async fn job(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let lookup = id.clone();
    match with_store(&state, move |s| s.job(&lookup)).await {
        Ok(Some(job)) => {
            let progress = state.runner.progress(&job.id);
            json_response(StatusCode::OK, &job_json(&job, progress))
        }
        Ok(None) => no_job(),
        Err(r) => r,
    }
}

/// `GET /api/v2/jobs/{id}/errors`: the failed entries, 204 when there are none.
async fn job_errors(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = with_store(&state, move |s| {
        Ok(match s.job(&id)? {
            Some(_) => Some(s.job_errors(&id)?),
            None => None,
        })
    })
    .await;
    match found {
        Ok(Some(entries)) if entries.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Ok(Some(entries)) => {
            // The entries are stored as the JSON they are sent as.
            let mut body = String::with_capacity(entries.iter().map(|e| e.len() + 1).sum());
            body.push('[');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(e);
            }
            body.push(']');
            raw_json(StatusCode::OK, body)
        }
        Ok(None) => no_job(),
        Err(r) => r,
    }
}

/// A stored user as the Management API shows one: never a password hash or an MFA secret;
/// `identities`, `created_at`, `updated_at` added; `email_verified` false unless imported
/// true (Auth0's rule for imports). Stored members are copied byte for byte.
fn user_json(u: &User) -> String {
    let bare = u.user_id.strip_prefix("auth0|").unwrap_or(&u.user_id);
    let identities = json!([{
        "connection": u.connection,
        "provider": "auth0",
        "user_id": bare,
        "isSocial": false,
    }])
    .to_string();
    let created = Value::from(ids::iso8601(u.created_ms)).to_string();
    let updated = Value::from(ids::iso8601(u.updated_ms)).to_string();
    let doc = u.doc.as_bytes();
    let mut set: Vec<(String, &[u8])> = Vec::with_capacity(4);
    if !object::members(doc)
        .iter()
        .any(|(k, _)| k == "email_verified")
    {
        set.push(("email_verified".into(), b"false"));
    }
    set.push(("identities".into(), identities.as_bytes()));
    set.push(("created_at".into(), created.as_bytes()));
    set.push(("updated_at".into(), updated.as_bytes()));
    let out = object::rewrite(
        doc,
        &["password_hash", "custom_password_hash", "mfa_factors"],
        &set,
    );
    String::from_utf8_lossy(&out).into_owned()
}

fn raw_json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// `GET /api/v2/users/{id}` (the id as stored, `auth0|...`, URL-encoded), fields selected
/// by `fields` and `include_fields`.
async fn user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let fields = match Fields::from_query(&query::Query::parse(raw.as_deref())) {
        Ok(f) => f,
        Err(e) => return invalid_query(&e),
    };
    match with_store(&state, move |s| s.user(&id)).await {
        Ok(Some(u)) => raw_json(StatusCode::OK, shown(&u, fields.as_ref())),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "The user does not exist.",
            Some("inexistent_user"),
        ),
        Err(r) => r,
    }
}

/// A user as answered, with the caller's field selection.
fn shown(u: &User, fields: Option<&Fields>) -> String {
    let doc = user_json(u);
    match fields {
        Some(f) => f.select_raw(&doc),
        None => doc,
    }
}

/// `GET /api/v2/users-by-email?email=...`: every user with that email, in any connection,
/// fields selected by `fields` and `include_fields`.
async fn users_by_email(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let q = query::Query::parse(raw.as_deref());
    let fields = match Fields::from_query(&q) {
        Ok(f) => f,
        Err(e) => return invalid_query(&e),
    };
    let Some(email) = q.first("email") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Query validation error: 'Missing required property: email'.",
            Some("invalid_query_string"),
        );
    };
    // JavaScript's toLowerCase, as the engine lower-cases identity keys.
    let email = email.to_lowercase();
    match with_store(&state, move |s| s.users_by_email(&email)).await {
        Ok(users) => {
            let list: Vec<String> = users.iter().map(|u| shown(u, fields.as_ref())).collect();
            raw_json(StatusCode::OK, format!("[{}]", list.join(",")))
        }
        Err(r) => r,
    }
}
