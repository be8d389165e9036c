//! `submit`: the migration itself. Takes a `split` folder and imports every file through
//! Auth0's Management API, at most two jobs in flight, inserts before updates, every call
//! journaled so that a run stopped in any way resumes where it stopped (see `journal`), and
//! every job's results kept in the folder (see `results`).
//!
//! A file's life: `POST /api/v2/jobs/users-imports` (retried until a job id comes back or
//! the answer says it never will), `GET /api/v2/jobs/{id}` until the job ends, then
//! `GET /api/v2/jobs/{id}/errors`, the results appended, the file done. A job that ends
//! `failed` is submitted once more; a second failure leaves the file to the user.
//!
//! A POST whose answer was lost (a dropped connection, a 5xx, the process killed while
//! waiting) may have created a job that `submit` will never see: Auth0 has no way to list
//! jobs. The file is sent again. For an update file that is harmless: the second job
//! applies the same values. For an insert file the second job answers `DUPLICATED_USER` for
//! every user the lost job created; each such entry is checked against the user Auth0
//! holds, and a user created after the lost POST was sent is counted imported (`recovered`)
//! rather than failed.

mod api;
mod journal;
mod plan;
mod results;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use self::api::{Api, Attempt};
pub use self::api::{Credentials, Policy, Secret};
use self::journal::{Counts, FileState, Journal};
use self::plan::PlannedFile;
use self::results::Results;
use crate::split::Set;

/// Exit codes a script can branch on.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FILE_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_RECORDS_FAILED: u8 = 3;

/// The longest wait between two polls of one job.
const MAX_POLL: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Options {
    pub dir: PathBuf,
    /// `https://DOMAIN`, or `--base-url`.
    pub base: String,
    /// The token's audience: `https://DOMAIN/api/v2/`.
    pub audience: String,
    pub connection_id: String,
    pub concurrency: usize,
    pub send_completion_email: bool,
    pub dry_run: bool,
    pub quiet: bool,
    pub policy: Policy,
    /// The first wait between polls of a job; it grows to [`MAX_POLL`].
    pub poll: Duration,
}

/// How one file ended in this run.
enum Outcome {
    Done,
    Stopped(String),
}

struct Ctx<'a> {
    opts: &'a Options,
    api: Api,
    journal: Journal,
    results: Results,
    bar: ProgressBar,
    files_done: AtomicU32,
    files_total: u32,
}

/// Runs `submit`; returns the exit code.
pub fn submit(opts: &Options, creds: Option<Credentials>) -> u8 {
    let files = match plan::load(&opts.dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("user-import: {e}");
            return EXIT_FILE_FAILED;
        }
    };
    if opts.dry_run {
        return dry_run(opts, &files);
    }
    let Some(creds) = creds else {
        eprintln!(
            "user-import: set AUTH0_TOKEN (a Management API token) or AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (client credentials)"
        );
        return EXIT_USAGE;
    };
    let (journal, mut states) = match Journal::open(&opts.dir) {
        Ok(j) => j,
        Err(e) => {
            eprintln!(
                "user-import: {}: {e}",
                opts.dir.join(journal::JOURNAL).display()
            );
            return EXIT_FILE_FAILED;
        }
    };
    let done_jobs: HashSet<String> = states
        .values()
        .flat_map(|s| s.done_jobs.iter().cloned())
        .collect();
    let results = match Results::open(&opts.dir, &done_jobs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "user-import: {}: cannot open the results: {e}",
                opts.dir.display()
            );
            return EXIT_FILE_FAILED;
        }
    };
    for f in &files {
        if !states.contains_key(&f.name) {
            if let Err(e) = journal.record(
                &f.name,
                "planned",
                json!({"set": f.set.name(), "sha256": f.sha256}),
            ) {
                eprintln!("user-import: {}: {e}", journal.path().display());
                return EXIT_FILE_FAILED;
            }
            states.insert(f.name.clone(), FileState::default());
        }
    }
    let pending: u64 = files
        .iter()
        .filter(|f| states[&f.name].done.is_none())
        .map(|f| f.records)
        .sum();
    let bar = progress(opts.quiet, pending);
    let ctx = Ctx {
        opts,
        api: Api::new(&opts.base, opts.audience.clone(), creds, opts.policy),
        journal,
        results,
        bar,
        files_done: AtomicU32::new(
            files
                .iter()
                .filter(|f| states[&f.name].done.is_some())
                .count() as u32,
        ),
        files_total: files.len() as u32,
    };
    // One call before any POST: it checks the credentials, and its answer's `Date` sets
    // Auth0's clock, which the journal's `sending` times are written in.
    if let Err(f) = ctx.api.get("/api/v2/connections?strategy=auth0") {
        ctx.bar.finish_and_clear();
        eprintln!("user-import: {}: {f}", opts.base);
        return EXIT_FILE_FAILED;
    }
    let started = Instant::now();
    let mut stopped: Vec<(String, String)> = Vec::new();
    for set in [Set::Insert, Set::Update] {
        // Files with a job in flight first: they already hold one of Auth0's two slots.
        let mut queue: Vec<(&PlannedFile, FileState)> = files
            .iter()
            .filter(|f| f.set == set && states[&f.name].done.is_none())
            .map(|f| (f, states[&f.name].clone()))
            .collect();
        queue.sort_by_key(|(_, s)| s.job.is_none());
        let queue = Mutex::new(VecDeque::from(queue));
        let outcomes = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..opts.concurrency.max(1) {
                scope.spawn(|| {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some((file, state)) = next else { break };
                        let outcome = process(&ctx, file, state);
                        outcomes
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((file.name.clone(), outcome));
                    }
                });
            }
        });
        for (name, outcome) in outcomes.into_inner().unwrap_or_else(|e| e.into_inner()) {
            if let Outcome::Stopped(why) = outcome {
                stopped.push((name, why));
            }
        }
    }
    ctx.bar.finish_and_clear();
    let order: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let (failed_records, unmatched) = match ctx.results.finish(&order) {
        Ok(n) => n,
        Err(e) => {
            eprintln!(
                "user-import: {}: cannot write the results: {e}",
                opts.dir.display()
            );
            return EXIT_FILE_FAILED;
        }
    };
    report(
        &ctx,
        &files,
        &stopped,
        failed_records,
        unmatched,
        started.elapsed(),
    )
}

/// One file, from wherever the journal left it to done (or given up on).
fn process(ctx: &Ctx<'_>, file: &PlannedFile, mut state: FileState) -> Outcome {
    let record = |state: &mut FileState, event: &str, fields: Value| -> Result<(), String> {
        ctx.journal
            .record(&file.name, event, fields.clone())
            .map_err(|e| format!("cannot write the journal: {e}"))?;
        state.apply(event, &fields);
        Ok(())
    };
    let stop = |state: &mut FileState, why: String| {
        let _ = record(state, "stopped", json!({"reason": why}));
        ctx.bar.suspend(|| {
            if !ctx.opts.quiet {
                eprintln!("user-import: {}: not imported: {why}", file.name);
            }
        });
        Outcome::Stopped(why)
    };
    loop {
        if state.done.is_some() {
            return Outcome::Done;
        }
        let job = match state.job.clone() {
            Some(job) => job,
            None => match post(ctx, file, &mut state, &record) {
                Ok(job) => job,
                Err(why) => return stop(&mut state, why),
            },
        };
        let ended = match &state.ended {
            Some(e) => e.clone(),
            None => match poll(ctx, &job) {
                Ok(status) => {
                    let completed =
                        status.get("status").and_then(Value::as_str) == Some("completed");
                    let fields = if completed {
                        json!({"job": job, "status": "completed", "summary": status.get("summary").cloned().unwrap_or(Value::Null)})
                    } else {
                        json!({"job": job, "status": "failed", "reason": failure_reason(&status)})
                    };
                    if let Err(why) = record(&mut state, "ended", fields) {
                        return stop(&mut state, why);
                    }
                    state.ended.clone().unwrap_or(Err(String::new()))
                }
                Err(why) => return stop(&mut state, why),
            },
        };
        let finished = match &ended {
            Ok(summary) => store_completed(ctx, file, &state, &job, *summary),
            Err(reason) => store_failed(ctx, file, &job, reason, state.job_failures),
        };
        if let Err(why) = finished {
            return stop(&mut state, why);
        }
        if let Err(why) = record(&mut state, "done", json!({"job": job})) {
            return stop(&mut state, why);
        }
        crash_point("after_errors");
        if state.done.is_some() {
            ctx.bar.inc(file.records);
            let n = ctx.files_done.fetch_add(1, Ordering::Relaxed) + 1;
            ctx.bar.set_message(format!(
                "files {n}/{} · retries {}",
                ctx.files_total,
                ctx.api.retries()
            ));
            return Outcome::Done;
        }
        // The job failed.
        if state.job_failures >= 2 {
            return stop(
                &mut state,
                format!(
                    "its job failed twice, the last time: {}",
                    ended.err().unwrap_or_default()
                ),
            );
        }
        ctx.bar.suspend(|| {
            if !ctx.opts.quiet {
                eprintln!(
                    "user-import: {}: job {job} failed; submitting the file once more",
                    file.name
                );
            }
        });
    }
}

/// Sends the file until Auth0 answers with a job id. Each attempt is journaled `sending`
/// before it leaves and `submitted`, `refused` or `uncertain` after.
fn post(
    ctx: &Ctx<'_>,
    file: &PlannedFile,
    state: &mut FileState,
    record: &dyn Fn(&mut FileState, &str, Value) -> Result<(), String>,
) -> Result<String, String> {
    let users = std::fs::read(ctx.opts.dir.join(&file.name)).map_err(|e| e.to_string())?;
    let upsert = if file.upsert() { "true" } else { "false" };
    let email = if ctx.opts.send_completion_email {
        "true"
    } else {
        "false"
    };
    let external_id = file.external_id();
    let (ctype, body) = ctx.api.import_form(
        &file.name,
        &users,
        &[
            ("connection_id", ctx.opts.connection_id.as_str()),
            ("upsert", upsert),
            ("external_id", external_id.as_str()),
            ("send_completion_email", email),
        ],
    );
    let (mut tries, mut waits, mut renewed) = (0u32, 0u32, false);
    loop {
        record(state, "sending", json!({"at": ctx.api.server_now_ms()}))?;
        crash_point("before_post");
        let attempt =
            match ctx
                .api
                .attempt("POST", "/api/v2/jobs/users-imports", Some((&ctype, &body)))
            {
                Ok(a) => a,
                Err(f) => {
                    record(state, "refused", json!({}))?;
                    return Err(f.to_string());
                }
            };
        crash_point("after_post");
        match attempt {
            Attempt::Answered { status, body, .. } if (200..300).contains(&status) => {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let Some(job) = v.get("id").and_then(Value::as_str) else {
                    record(state, "uncertain", json!({}))?;
                    return Err(format!("HTTP {status} without a job id"));
                };
                if let Some(created) = v
                    .get("created_at")
                    .and_then(Value::as_str)
                    .and_then(parse_iso_ms)
                {
                    ctx.api.note_server_time(created);
                }
                record(state, "submitted", json!({"job": job}))?;
                return Ok(job.to_owned());
            }
            Attempt::Answered {
                status: 401, body, ..
            } => {
                record(state, "refused", json!({}))?;
                if renewed || !ctx.api.renew_token() {
                    return Err(format!("HTTP 401: {}", api::message(&body)));
                }
                renewed = true;
            }
            Attempt::Answered {
                status: 429,
                wait,
                body,
            } => {
                record(state, "refused", json!({}))?;
                waits += 1;
                if waits > ctx.api.policy.rate_waits {
                    return Err(format!("still rate limited: {}", api::message(&body)));
                }
                ctx.api.pause(wait, waits.min(6));
            }
            Attempt::Answered { status, body, .. } if status >= 500 => {
                // A 5xx may come after the job was created: treat it as a lost answer.
                record(state, "uncertain", json!({}))?;
                tries += 1;
                if tries >= ctx.api.policy.attempts {
                    return Err(format!("HTTP {status}: {}", api::message(&body)));
                }
                ctx.api.pause(None, tries);
            }
            Attempt::Answered { status, body, .. } => {
                record(state, "refused", json!({}))?;
                return Err(format!("HTTP {status}: {}", api::message(&body)));
            }
            Attempt::NotSent(why) => {
                record(state, "refused", json!({}))?;
                tries += 1;
                if tries >= ctx.api.policy.attempts {
                    return Err(why);
                }
                ctx.api.pause(None, tries);
            }
            Attempt::Lost(why) => {
                record(state, "uncertain", json!({}))?;
                tries += 1;
                if tries >= ctx.api.policy.attempts {
                    return Err(why);
                }
                ctx.api.pause(None, tries);
            }
        }
    }
}

/// Polls the job until it ends; returns its last status object.
fn poll(ctx: &Ctx<'_>, job: &str) -> Result<Value, String> {
    let mut every = ctx.opts.poll;
    loop {
        crash_point("polling");
        let (status, body) = ctx
            .api
            .get(&format!("/api/v2/jobs/{job}"))
            .map_err(|f| f.to_string())?;
        if status == 404 {
            return Err(format!(
                "job {job} is gone (Auth0 deletes jobs 24 hours after they end; its results were not fetched)"
            ));
        }
        if status >= 300 {
            return Err(format!("HTTP {status}: {}", api::message(&body)));
        }
        let v: Value = serde_json::from_slice(&body)
            .map_err(|_| format!("job {job}: the status is not JSON"))?;
        if let Some("completed" | "failed") = v.get("status").and_then(Value::as_str) {
            return Ok(v);
        }
        std::thread::sleep(every);
        every = (every * 3 / 2).min(MAX_POLL);
    }
}

fn failure_reason(status: &Value) -> String {
    ["status_details", "reason", "message"]
        .iter()
        .find_map(|k| status.get(*k).and_then(Value::as_str))
        .unwrap_or("no reason given")
        .to_owned()
}

/// A completed job: its failed entries fetched, reconciled, matched to their records, and
/// stored with the job's line.
fn store_completed(
    ctx: &Ctx<'_>,
    file: &PlannedFile,
    state: &FileState,
    job: &str,
    summary: Counts,
) -> Result<(), String> {
    let (status, body) = ctx
        .api
        .get(&format!("/api/v2/jobs/{job}/errors"))
        .map_err(|f| format!("job {job}: cannot fetch its errors: {f}"))?;
    let entries: Vec<Value> = match status {
        204 => Vec::new(),
        s if s < 300 => match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(a)) => a,
            // Auth0 answers the job itself when there is nothing to list.
            Ok(_) => Vec::new(),
            Err(_) => return Err(format!("job {job}: the errors are not JSON")),
        },
        s => {
            return Err(format!(
                "job {job}: errors: HTTP {s}: {}",
                api::message(&body)
            ));
        }
    };
    let mut recovered = Vec::new();
    let mut failed = Vec::new();
    for e in entries {
        if file.set == Set::Insert
            && let Some(since) = state.uncertain_since
            && created_by_lost_attempt(ctx, &e, since)?
        {
            recovered.push(e);
        } else {
            failed.push(e);
        }
    }
    let bytes = std::fs::read(ctx.opts.dir.join(&file.name)).map_err(|e| e.to_string())?;
    let users: Vec<&Value> = failed
        .iter()
        .map(|e| e.get("user").unwrap_or(&Value::Null))
        .collect();
    let indexes = results::match_records(&bytes, &users);
    let lines: Vec<Value> = failed
        .iter()
        .zip(&indexes)
        .map(|(e, i)| {
            json!({
                "file": file.name,
                "job": job,
                "record": i,
                "user": results::mask(e.get("user").unwrap_or(&Value::Null)),
                "errors": e.get("errors").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let n = recovered.len() as u64;
    let actual = Counts {
        total: summary.total,
        inserted: summary.inserted + n,
        updated: summary.updated,
        failed: summary.failed.saturating_sub(n),
    };
    let predicted = match file.set {
        Set::Insert => Counts {
            total: file.records,
            inserted: file.records,
            ..Counts::default()
        },
        Set::Update => Counts {
            total: file.records,
            updated: file.records,
            ..Counts::default()
        },
    };
    let mut failed_records: Vec<u64> = indexes.iter().flatten().map(|&i| i as u64).collect();
    failed_records.sort_unstable();
    let mut line = json!({
        "file": file.name,
        "job": job,
        "external_id": file.external_id(),
        "set": file.set.name(),
        "status": "completed",
        "summary": summary.to_json(),
        "predicted": predicted.to_json(),
        "actual": actual.to_json(),
        "differs": actual != predicted,
        "failed_records": failed_records,
    });
    if n > 0 {
        line["recovered"] = n.into();
    }
    ctx.results
        .append(&line, &lines)
        .map_err(|e| format!("cannot write the results: {e}"))
}

/// Whether a `DUPLICATED_USER` entry names a user that Auth0 created after `since` (ms,
/// Auth0's clock): a user the lost attempt imported, not a conflict.
fn created_by_lost_attempt(ctx: &Ctx<'_>, entry: &Value, since: i64) -> Result<bool, String> {
    // A user created by the lost job collides with this record on every key it has:
    // email and user_id (DUPLICATED_USER), username and phone (CONFLICT_*). Any other
    // error means the record was judged on its own, not against its earlier self.
    let errors = entry.get("errors").and_then(Value::as_array);
    let only_duplicate = errors.is_some_and(|es| {
        es.iter()
            .any(|e| e.get("code").and_then(Value::as_str) == Some("DUPLICATED_USER"))
            && es.iter().all(|e| {
                matches!(
                    e.get("code").and_then(Value::as_str),
                    Some("DUPLICATED_USER" | "CONFLICT_USERNAME" | "CONFLICT" | "CONFLICT_EMAIL")
                )
            })
    });
    let email = entry
        .get("user")
        .and_then(|u| u.get("email"))
        .and_then(Value::as_str);
    let (true, Some(email)) = (only_duplicate, email) else {
        return Ok(false);
    };
    let (status, body) = ctx
        .api
        .get(&format!(
            "/api/v2/users-by-email?email={}",
            percent_encode(email)
        ))
        .map_err(|f| format!("cannot look up a user Auth0 calls a duplicate: {f}"))?;
    if status >= 300 {
        return Ok(false);
    }
    let users: Vec<Value> = serde_json::from_slice(&body).unwrap_or_default();
    Ok(users.iter().any(|u| {
        u.get("created_at")
            .and_then(Value::as_str)
            .and_then(parse_iso_ms)
            .is_some_and(|created| created >= since)
    }))
}

fn store_failed(
    ctx: &Ctx<'_>,
    file: &PlannedFile,
    job: &str,
    reason: &str,
    failures: u32,
) -> Result<(), String> {
    let line = json!({
        "file": file.name,
        "job": job,
        "external_id": file.external_id(),
        "set": file.set.name(),
        "status": "failed",
        "reason": reason,
        "attempt": failures,
    });
    ctx.results
        .append(&line, &[])
        .map_err(|e| format!("cannot write the results: {e}"))
}

/// The final summary on standard error; returns the exit code.
fn report(
    ctx: &Ctx<'_>,
    files: &[PlannedFile],
    stopped: &[(String, String)],
    failed_records: usize,
    unmatched: usize,
    elapsed: Duration,
) -> u8 {
    let jobs = std::fs::read_to_string(ctx.opts.dir.join(results::JOBS)).unwrap_or_default();
    let mut last: HashMap<String, Value> = HashMap::new();
    for line in jobs.lines() {
        if let Ok(v) = serde_json::from_str::<Value>(line)
            && v.get("status").and_then(Value::as_str) == Some("completed")
            && let Some(f) = v.get("file").and_then(Value::as_str)
        {
            last.insert(f.to_owned(), v);
        }
    }
    let mut total = Counts::default();
    let mut recovered = 0;
    let mut differ = Vec::new();
    for f in files {
        let Some(v) = last.get(&f.name) else { continue };
        let a = Counts::from_json(v.get("actual"));
        total.inserted += a.inserted;
        total.updated += a.updated;
        total.failed += a.failed;
        recovered += v.get("recovered").and_then(Value::as_u64).unwrap_or(0);
        if v.get("differs").and_then(Value::as_bool) == Some(true) {
            let p = Counts::from_json(v.get("predicted"));
            let records: Vec<String> = v
                .get("failed_records")
                .and_then(Value::as_array)
                .map(|a| a.iter().take(10).map(Value::to_string).collect())
                .unwrap_or_default();
            differ.push(format!(
                "  {}: run predicted {} inserted, {} updated; Auth0: {} inserted, {} updated, {} failed{}",
                f.name,
                p.inserted,
                p.updated,
                a.inserted,
                a.updated,
                a.failed,
                if records.is_empty() { String::new() } else { format!(" (records {}{})", records.join(", "), if a.failed > 10 { ", ..." } else { "" }) }
            ));
        }
    }
    if !ctx.opts.quiet {
        eprintln!(
            "user-import: submit: {} of {} files imported in {:.1} s: {} inserted, {} updated, {} failed{}; {} retries",
            last.len(),
            files.len(),
            elapsed.as_secs_f64(),
            total.inserted,
            total.updated,
            total.failed,
            if recovered > 0 {
                format!(" ({recovered} recovered from lost answers)")
            } else {
                String::new()
            },
            ctx.api.retries(),
        );
        if !differ.is_empty() {
            eprintln!(
                "where Auth0's verdict differs from run's (every failed record is in errors.ndjson):"
            );
            for d in differ.iter().take(20) {
                eprintln!("{d}");
            }
            if differ.len() > 20 {
                eprintln!("  ... {} more files in jobs.ndjson", differ.len() - 20);
            }
        }
        for (name, why) in stopped {
            eprintln!("not imported: {name}: {why}");
        }
        eprintln!(
            "results: {} (jobs), {} (failed entries), {} ({failed_records} records to fix{})",
            ctx.opts.dir.join(results::JOBS).display(),
            ctx.opts.dir.join(results::ERRORS).display(),
            ctx.opts.dir.join(results::FAILED).display(),
            if unmatched > 0 {
                format!("; {unmatched} failed entries matched no record of their file")
            } else {
                String::new()
            },
        );
    }
    if !stopped.is_empty() || last.len() < files.len() {
        EXIT_FILE_FAILED
    } else if total.failed > 0 {
        EXIT_RECORDS_FAILED
    } else {
        EXIT_OK
    }
}

fn dry_run(opts: &Options, files: &[PlannedFile]) -> u8 {
    let states = Journal::peek(&opts.dir);
    for f in files {
        let s = states.get(&f.name);
        let note = match s {
            Some(s) if s.done.is_some() => " (already imported: skipped)".to_owned(),
            Some(FileState { job: Some(job), .. }) => {
                format!(" (job {job} in flight: polled, not sent)")
            }
            Some(s) if s.uncertain_since.is_some() => {
                " (an earlier POST's answer was lost: sent again)".to_owned()
            }
            _ => String::new(),
        };
        println!(
            "POST {}/api/v2/jobs/users-imports users={} records={} bytes={} connection_id={} upsert={} external_id={} send_completion_email={}{note}",
            opts.base.trim_end_matches('/'),
            f.name,
            f.records,
            f.bytes,
            opts.connection_id,
            f.upsert(),
            f.external_id(),
            opts.send_completion_email,
        );
    }
    EXIT_OK
}

fn progress(quiet: bool, records: u64) -> ProgressBar {
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(records), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:24} {percent:>3}% {human_pos}/{human_len} users {per_sec} ETA {eta} {wide_msg}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// A test hook: `USER_IMPORT_SUBMIT_CRASH=POINT[:N]` kills this process with SIGKILL the
/// Nth time (1 by default) it reaches POINT (`before_post`, `after_post`, `polling`,
/// `after_errors`), to test resuming from exactly there.
fn crash_point(point: &str) {
    static HITS: AtomicU32 = AtomicU32::new(0);
    let Ok(spec) = std::env::var("USER_IMPORT_SUBMIT_CRASH") else {
        return;
    };
    let (name, n) = spec.split_once(':').unwrap_or((spec.as_str(), "1"));
    if name != point {
        return;
    }
    if HITS.fetch_add(1, Ordering::SeqCst) + 1 == n.parse::<u32>().unwrap_or(1) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `2026-12-06T04:31:23.123Z` in ms since the epoch.
fn parse_iso_ms(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, mo, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    let ms: i64 = format!("{frac:0<3}")[..3].parse().ok()?;
    if !(1..=12).contains(&mo) {
        return None;
    }
    let secs = api::days_from_civil(y, mo, day) * 86_400 + h * 3600 + mi * 60 + sec;
    Some(secs * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(parse_iso_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(
            parse_iso_ms("2026-12-06T04:31:23.123Z"),
            Some(1_796_531_483_123)
        );
        assert_eq!(parse_iso_ms("yesterday"), None);
    }

    #[test]
    fn emails_in_a_query() {
        assert_eq!(percent_encode("a+b@x.io"), "a%2Bb%40x.io");
    }
}
