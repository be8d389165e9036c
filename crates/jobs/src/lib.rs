//! `user-import serve`: Auth0's bulk-import job API over the engine and a SQLite user store
//! (SPEC 9). Built only with the `server` feature.
//!
//! It embeds the engine exactly as a third party would, through the library's public API
//! and its [`user_import::Sink`]: this front end lives in the binary, not the library.
//!
//! The public surface is [`serve`], its [`Config`] (with [`ClientCredentials`] and
//! [`FaultSpec`]) and [`parse_duration`]. Inside (private modules, named here to find one's
//! way in the source):
//!
//! - `store`: the SQLite file, its versioned migrations, users, jobs, failed entries;
//! - `jobs`: the job runner (two slots, a thread per job, commit, watchdog, recovery);
//! - `http`: the routes and Auth0's error bodies;
//! - `auth`: the bearer check, `/oauth/token` and the tokens it issued;
//! - `ratelimit`: the token bucket and Auth0's rate-limit headers;
//! - `query`, `paging`, `fields`: query strings, checkpoint and offset pages, field
//!   selection;
//! - `faults`: injected faults for tests of clients (`USER_IMPORT_FAULTS`);
//! - `ids`: Auth0-shaped ids and timestamps;
//! - `object`: editing stored users' JSON byte for byte.

#![warn(missing_docs)]
// Tests may unwrap: a panic there is a failed test, not a crash in front of a user.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod auth;
mod faults;
mod fields;
mod http;
mod ids;
mod jobs;
mod object;
mod paging;
mod query;
mod ratelimit;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use self::faults::FaultSpec;
use self::jobs::{Options, Runner};
use self::store::Store;

/// What benches reach into. Not part of the API.
#[doc(hidden)]
pub mod internals {
    pub use crate::jobs::PlanSink;
}

/// The connection created on a first start without `--connection`.
pub const DEFAULT_CONNECTION: &str = "Username-Password-Authentication";

/// The one client that may use the client-credentials grant (`POST /oauth/token`).
/// `Debug` shows the id, never the secret.
#[derive(Clone)]
pub struct ClientCredentials {
    /// `client_id`.
    pub id: String,
    /// `client_secret`, compared in constant time.
    pub secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What [`serve`] needs: the store, the address, the credentials and the limits. The
/// command line fills it from `user-import serve`'s flags and the environment
/// (`USER_IMPORT_TOKEN`, `USER_IMPORT_CLIENT_ID`, `USER_IMPORT_CLIENT_SECRET`,
/// `USER_IMPORT_FAULTS`).
pub struct Config {
    /// The SQLite file holding connections, users, jobs and failed entries; created and
    /// migrated to the current schema if needed.
    pub db: PathBuf,
    /// The address to listen on. Plain HTTP: keep it on loopback or behind a TLS proxy.
    pub listen: SocketAddr,
    /// Connections to create if they do not exist. Empty: a store with no connection at all
    /// gets [`DEFAULT_CONNECTION`].
    pub connections: Vec<String>,
    /// A bearer token every request may carry, compared in constant time. The server
    /// never writes it to a log or a response, and `Debug` shows it as `<redacted>`.
    pub token: String,
    /// The client whose credentials `POST /oauth/token` exchanges for a token; `None`: the
    /// endpoint refuses every client, as Auth0 does an unknown one.
    pub client: Option<ClientCredentials>,
    /// How long a token from `/oauth/token` is valid (Auth0's default: 24 hours).
    pub token_ttl: Duration,
    /// Requests a second to `/api/v2`, all clients together, with bursts of as many
    /// (Auth0's limits are per tenant too); more get 429.
    pub rate_limit: u32,
    /// Faults to inject (tests of clients); `None` in normal use.
    pub faults: Option<FaultSpec>,
    /// The largest users file accepted, in bytes; a larger upload gets 413, as at Auth0
    /// (whose limit is 512,000).
    pub max_file_bytes: u64,
    /// Finished jobs older than this are deleted; `None`: kept forever.
    pub retention: Option<Duration>,
    /// A job still pending or processing this long after it was accepted fails (Auth0: 2
    /// hours).
    pub job_timeout: Duration,
    /// How long every job waits before it commits: a knob for tests of concurrent jobs,
    /// zero in normal use.
    pub job_delay: Duration,
    /// Engine worker threads per job; 0: one per core.
    pub threads: usize,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("db", &self.db)
            .field("listen", &self.listen)
            .field("connections", &self.connections)
            .field("token", &"<redacted>")
            .field("client", &self.client)
            .field("token_ttl", &self.token_ttl)
            .field("rate_limit", &self.rate_limit)
            .field("faults", &self.faults)
            .field("max_file_bytes", &self.max_file_bytes)
            .field("retention", &self.retention)
            .field("job_timeout", &self.job_timeout)
            .field("job_delay", &self.job_delay)
            .field("threads", &self.threads)
            .finish()
    }
}

/// Opens and migrates the store, fails interrupted jobs, creates connections, then serves
/// until SIGINT or SIGTERM. It blocks the calling thread for the server's whole life and
/// reports on standard error what it did at start and stop.
///
/// # Errors
///
/// A message when the store cannot be opened, migrated or prepared (interrupted jobs,
/// connections), the runtime cannot start, the address cannot be bound, or serving fails.
pub fn serve(config: Config) -> Result<(), String> {
    let mut store = Store::open(&config.db).map_err(|e| format!("{}: {e}", config.db.display()))?;
    let found = store
        .migrate()
        .map_err(|e| format!("{}: {e}", config.db.display()))?;
    if found < store::SCHEMA_VERSION {
        eprintln!(
            "user-import: {}: schema version {found} -> {}",
            config.db.display(),
            store::SCHEMA_VERSION
        );
    }
    let failed = store
        .fail_interrupted(jobs::INTERRUPTED, ids::now_ms())
        .map_err(|e| e.to_string())?;
    if !failed.is_empty() {
        eprintln!(
            "user-import: {} job(s) were running when the server stopped; marked failed, nothing of them was written: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    let created = store
        .ensure_connections(
            &config.connections,
            DEFAULT_CONNECTION,
            ids::connection_id,
            ids::now_ms(),
        )
        .map_err(|e| e.to_string())?;
    for c in created {
        eprintln!("user-import: created connection {} ({})", c.name, c.id);
    }
    let runner = Runner::new(Options {
        db: config.db.clone(),
        threads: config.threads,
        timeout: config.job_timeout,
        delay: config.job_delay,
    });
    if let Some(spec) = &config.faults {
        eprintln!("user-import: FAULTS ON (USER_IMPORT_FAULTS): {spec}");
    }
    let state = Arc::new(http::Shared {
        store: Mutex::new(store),
        runner: runner.clone(),
        tokens: auth::Tokens::new(
            config.token.clone(),
            config.client.clone(),
            config.token_ttl,
        ),
        bucket: ratelimit::Bucket::new(config.rate_limit, Instant::now()),
        faults: config.faults.map(faults::Faults::new),
        max_file_bytes: config.max_file_bytes,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("user-import-http")
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(run(config, state))
}

async fn run(config: Config, state: http::AppState) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("user-import: listening on http://{addr}");
    tokio::spawn(watchdog(state.clone(), config.job_timeout));
    if let Some(keep) = config.retention {
        tokio::spawn(sweeper(state.clone(), keep));
    }
    axum::serve(listener, http::router(state.clone()))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())?;
    let shared = state.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let mut store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
        shared.runner.stop_all(&mut store);
    })
    .await;
    eprintln!("user-import: stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Fails jobs that outlive the timeout (Auth0: 2 hours).
async fn watchdog(state: http::AppState, timeout: Duration) {
    let mut tick = tokio::time::interval(
        (timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(10)),
    );
    loop {
        tick.tick().await;
        let shared = state.clone();
        let failed = tokio::task::spawn_blocking(move || {
            let mut store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
            shared.runner.expire(&mut store)
        })
        .await
        .unwrap_or_default();
        for id in failed {
            eprintln!(
                "user-import: job {id} failed: it did not complete within {}",
                jobs::human(timeout)
            );
        }
    }
}

/// Deletes finished jobs older than the retention.
async fn sweeper(state: http::AppState, keep: Duration) {
    let mut tick =
        tokio::time::interval((keep / 4).clamp(Duration::from_secs(1), Duration::from_secs(60)));
    loop {
        tick.tick().await;
        let shared = state.clone();
        let before = ids::now_ms() - keep.as_millis() as i64;
        let deleted = tokio::task::spawn_blocking(move || {
            let store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
            store.delete_jobs_finished_before(before)
        })
        .await;
        match deleted {
            Ok(Ok(0)) | Err(_) => {}
            Ok(Ok(n)) => eprintln!("user-import: deleted {n} finished job(s) past the retention"),
            Ok(Err(e)) => eprintln!("user-import: cannot delete old jobs: {e}"),
        }
    }
}

/// Parses a duration as `serve`'s flags write it: `800ms`, `90s`, `15m`, `24h`, `7d` (a
/// bare number is seconds). White space around it is ignored; one unit only (`1h30m` is an
/// error).
///
/// # Errors
///
/// A message that quotes the text and names the accepted forms.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a duration such as 800ms, 90s, 15m, 24h or 7d"))?;
    let millis = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("'{s}': the unit must be ms, s, m, h or d")),
    };
    n.checked_mul(millis)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("'{s}' is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let c = Config {
            db: PathBuf::from("users.db"),
            listen: "127.0.0.1:0".parse().unwrap(),
            connections: Vec::new(),
            token: "s3cret-token".to_owned(),
            client: Some(ClientCredentials {
                id: "the-client".to_owned(),
                secret: "cl1ent-secret".to_owned(),
            }),
            token_ttl: Duration::from_secs(60),
            rate_limit: 50,
            faults: None,
            max_file_bytes: 1,
            retention: None,
            job_timeout: Duration::from_secs(1),
            job_delay: Duration::ZERO,
            threads: 1,
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("cl1ent"), "{shown}");
        assert!(shown.contains("the-client"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration(" 800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("1.5s").is_err());
        assert!(parse_duration("18446744073709551615d").is_err());
        assert!(parse_duration("1h30m").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }
}
