//! Running import jobs: the two slots, one thread per job beside the async runtime, the
//! engine embedded through its [`Sink`], the commit, the watchdog and recovery.
//!
//! A job, on its own thread (never on the async runtime):
//! 1. takes the store's generation, then exports every stored user as an Auth0 user export
//!    and loads it as the engine's existing-users [`Snapshot`], the job's connection as the
//!    target;
//! 2. runs the engine over the uploaded bytes, collecting inserts, updates and failed
//!    entries in a [`PlanSink`];
//! 3. under the commit lock, if another job committed since step 1, runs again on a fresh
//!    snapshot (still under the lock, so at most once), then writes the plan and marks the
//!    job completed in ONE transaction.
//!
//! So every job's result is what the engine decides against the store as it is when the job
//! lands, as if jobs had run one after the other, while the expensive part of two jobs
//! still runs side by side.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use user_import::{
    Builder, ExportSource, Flow, JobError, MatchOn, Progress, Record, Sink, SinkError, SinkResult,
    Snapshot, SnapshotOptions, Status, Summary,
};

use crate::faults::JobFault;
use crate::ids;
use crate::store::{self, Counts, NewUser, Plan, Store, UserUpdate};

/// Auth0 allows two active (pending or processing) import jobs per tenant.
pub const MAX_ACTIVE: u64 = 2;

pub const INTERRUPTED: &str = "the server stopped while the job was running";

#[derive(Clone, Debug)]
pub struct Options {
    pub db: PathBuf,
    /// Engine worker threads per job (0: one per core).
    pub threads: usize,
    /// A job still active this long after it was accepted fails.
    pub timeout: Duration,
    /// Test knob: each job waits this long before it commits.
    pub delay: Duration,
}

/// What the HTTP side knows of a job it handed over.
#[derive(Debug)]
pub struct Active {
    accepted: Instant,
    total_bytes: u64,
    /// Input bytes framed so far (the engine's progress).
    framed: AtomicU64,
    cancel: AtomicBool,
}

impl Active {
    /// `(percentage_done, time_left_seconds)` while processing: from the bytes the engine
    /// has framed; before its first report, at an assumed 10 MB/s. 99 at most until the job
    /// has committed.
    pub fn progress(&self) -> (u64, u64) {
        let total = self.total_bytes.max(1);
        let done = self.framed.load(Ordering::Relaxed).min(total);
        let pct = (done * 100 / total).min(99);
        let left = if done == 0 {
            total.div_ceil(10_000_000)
        } else {
            let secs = self.accepted.elapsed().as_secs_f64();
            (secs * (total - done) as f64 / done as f64).ceil() as u64
        };
        (pct, left)
    }
}

/// A job handed to the runner.
#[derive(Debug)]
pub struct Ticket {
    pub id: String,
    pub connection_id: String,
    pub connection: String,
    pub upsert: bool,
    pub input: Vec<u8>,
    /// What injected faults do to this job (nothing, outside of fault mode).
    pub fault: JobFault,
}

#[derive(Debug)]
pub struct Runner {
    opts: Options,
    active: Mutex<HashMap<String, Arc<Active>>>,
    /// Bumped by every commit that changed users; guarded, it is the commit lock.
    generation: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking job thread must not take the server down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Runner {
    pub fn new(opts: Options) -> Arc<Runner> {
        Arc::new(Runner {
            opts,
            active: Mutex::new(HashMap::new()),
            generation: Mutex::new(0),
        })
    }

    pub fn progress(&self, id: &str) -> Option<(u64, u64)> {
        lock(&self.active).get(id).map(|a| a.progress())
    }

    /// The fewest seconds an active job expects to take still (0 when none is active).
    pub fn soonest_done(&self) -> u64 {
        lock(&self.active)
            .values()
            .map(|a| a.progress().1)
            .min()
            .unwrap_or(0)
    }

    /// Starts the job (already stored as pending) on its own thread.
    pub fn spawn(self: &Arc<Self>, ticket: Ticket) -> io::Result<()> {
        let active = Arc::new(Active {
            accepted: Instant::now(),
            total_bytes: ticket.input.len() as u64,
            framed: AtomicU64::new(0),
            cancel: AtomicBool::new(false),
        });
        lock(&self.active).insert(ticket.id.clone(), active.clone());
        let runner = self.clone();
        let id = ticket.id.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("user-import-{}", ticket.id))
            .spawn(move || {
                let id = ticket.id.clone();
                runner.run(ticket, &active);
                lock(&runner.active).remove(&id);
            });
        if let Err(e) = spawned {
            lock(&self.active).remove(&id);
            return Err(e);
        }
        Ok(())
    }

    /// Fails every job active for longer than the timeout; their threads stop at their
    /// next record and discard what they did. Returns the ids failed.
    pub fn expire(&self, store: &mut Store) -> Vec<String> {
        let expired: Vec<(String, Arc<Active>)> = lock(&self.active)
            .iter()
            .filter(|(_, a)| a.accepted.elapsed() >= self.opts.timeout)
            .map(|(id, a)| (id.clone(), a.clone()))
            .collect();
        let reason = format!(
            "the job did not complete within {}",
            human(self.opts.timeout)
        );
        let mut failed = Vec::new();
        for (id, a) in expired {
            a.cancel.store(true, Ordering::Relaxed);
            match store.fail_job(&id, &reason) {
                Ok(true) => failed.push(id),
                Ok(false) => {}
                Err(e) => eprintln!("user-import: job {id}: cannot mark it failed: {e}"),
            }
        }
        failed
    }

    /// At shutdown: stops every running job and marks it failed.
    pub fn stop_all(&self, store: &mut Store) {
        let all: Vec<(String, Arc<Active>)> = lock(&self.active)
            .iter()
            .map(|(id, a)| (id.clone(), a.clone()))
            .collect();
        for (id, a) in all {
            a.cancel.store(true, Ordering::Relaxed);
            if let Err(e) = store.fail_job(&id, INTERRUPTED) {
                eprintln!("user-import: job {id}: cannot mark it failed: {e}");
            }
        }
    }

    fn run(&self, ticket: Ticket, active: &Arc<Active>) {
        let started = Instant::now();
        let id = &ticket.id;
        let mut store = match Store::open(&self.opts.db) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("user-import: job {id}: cannot open the store: {e}");
                return;
            }
        };
        // A slow job (a fault) waits while pending, as a job queued behind others would.
        self.wait(active, ticket.fault.hold);
        let outcome = match store.start_job(id, ids::now_ms()) {
            Ok(true) if ticket.fault.fail => Err(Outcome::Injected(format!(
                "the job did not complete within {}",
                human(self.opts.timeout)
            ))),
            Ok(true) => self.attempt(&mut store, &ticket, active),
            Ok(false) => Err(Outcome::Cancelled),
            Err(e) => Err(Outcome::Store(e)),
        };
        let reason = match outcome {
            Ok(c) => {
                eprintln!(
                    "user-import: job {id} completed: {} records: {} inserted, {} updated, {} failed ({:.2} s)",
                    c.total,
                    c.inserted,
                    c.updated,
                    c.failed,
                    started.elapsed().as_secs_f64()
                );
                return;
            }
            Err(Outcome::Cancelled) => {
                eprintln!("user-import: job {id} stopped; nothing of it was written");
                return;
            }
            Err(Outcome::Failed(reason)) => reason,
            Err(Outcome::Injected(reason)) => {
                eprintln!("user-import: fault: job {id} fails without running");
                reason
            }
            Err(Outcome::Store(e)) => format!("the store refused the job's changes: {e}"),
        };
        eprintln!("user-import: job {id} failed: {reason}");
        if let Err(e) = store.fail_job(id, &reason) {
            eprintln!("user-import: job {id}: cannot mark it failed: {e}");
        }
    }

    /// Decides the job and lands it (steps 1 to 3 of the module docs).
    fn attempt(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        active: &Arc<Active>,
    ) -> Result<Counts, Outcome> {
        let seen = *lock(&self.generation);
        let mut decided = self.decide(store, ticket, active)?;
        self.wait(active, self.opts.delay);
        let mut generation = lock(&self.generation);
        if *generation != seen {
            // Another job landed since the snapshot: decide again against the store as it
            // is now, holding the lock so that nothing lands meanwhile.
            decided = self.decide(store, ticket, active)?;
        }
        if active.cancel.load(Ordering::Relaxed) {
            return Err(Outcome::Cancelled);
        }
        let (plan, counts) = decided;
        let landed = store
            .commit_job(&ticket.id, &ticket.connection_id, &plan, counts)
            .map_err(Outcome::Store)?;
        if !landed {
            return Err(Outcome::Cancelled);
        }
        if counts.inserted + counts.updated > 0 {
            *generation += 1;
        }
        Ok(counts)
    }

    /// Runs the engine for the job against the store as it is now.
    fn decide(
        &self,
        store: &Store,
        ticket: &Ticket,
        active: &Arc<Active>,
    ) -> Result<(Plan, Counts), Outcome> {
        let export = store.export_users().map_err(Outcome::Store)?;
        let snapshot = Snapshot::load(
            vec![ExportSource::Bytes {
                name: "user store".into(),
                data: export,
            }],
            &SnapshotOptions {
                connection: Some(ticket.connection.clone()),
                threads: self.opts.threads,
            },
        )
        .map_err(|e| Outcome::Failed(format!("cannot read the stored users: {e}")))?;
        let progress = active.clone();
        let engine = Builder::new()
            .threads(self.opts.threads)
            .existing(Arc::new(snapshot))
            .upsert(ticket.upsert.then_some(MatchOn::Email))
            .progress(Arc::new(move |p: &Progress| {
                progress.framed.fetch_max(p.bytes, Ordering::Relaxed);
            }))
            .build()
            .map_err(|e| Outcome::Failed(e.to_string()))?;
        let mut sink = PlanSink::new(&active.cancel);
        let result = engine.run_bytes(&ticket.input, &mut sink);
        if active.cancel.load(Ordering::Relaxed) {
            return Err(Outcome::Cancelled);
        }
        let summary = result.map_err(|e: JobError| Outcome::Failed(e.to_string()))?;
        if let Status::Failed(reason) = &summary.status {
            return Err(Outcome::Failed(reason.clone()));
        }
        active
            .framed
            .store(ticket.input.len() as u64, Ordering::Relaxed);
        Ok((sink.plan, counts(&summary)))
    }

    /// Waits (the test knob before committing, a slow job's hold), watching for
    /// cancellation.
    fn wait(&self, active: &Active, d: Duration) {
        let until = Instant::now() + d;
        while Instant::now() < until && !active.cancel.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
        }
    }
}

enum Outcome {
    /// The watchdog or a shutdown stopped the job; it is failed already.
    Cancelled,
    /// The job failed as a whole (malformed array, ...).
    Failed(String),
    /// A fault made the job fail without running.
    Injected(String),
    Store(store::Error),
}

fn counts(s: &Summary) -> Counts {
    Counts {
        total: s.total,
        inserted: s.inserted,
        updated: s.updated,
        failed: s.failed,
    }
}

/// "2 hours", "90 seconds".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s >= 3600 && s.is_multiple_of(3600) {
        (s / 3600, "hour")
    } else if s >= 60 && s.is_multiple_of(60) {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Collects a job's decisions, as any embedder of the engine would: the engine hands every
/// record to exactly one of `insert`, `update`, `error`, in input order.
#[derive(Debug)]
pub struct PlanSink<'c> {
    /// What the job would write, collected so far.
    pub plan: Plan,
    cancel: &'c AtomicBool,
}

impl<'c> PlanSink<'c> {
    /// An empty plan; once `cancel` is set, the sink stops the run.
    pub fn new(cancel: &'c AtomicBool) -> Self {
        PlanSink {
            plan: Plan::default(),
            cancel,
        }
    }

    /// A stopped job takes no more records: the engine ends the run cleanly.
    fn stopped(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The store's user records come from the engine's values (identity keys, matched user,
/// rendered JSON), never from parsing the rendered user again.
impl Sink for PlanSink<'_> {
    fn insert(&mut self, r: &Record<'_>) -> SinkResult {
        if self.stopped() {
            return Ok(Flow::Stop);
        }
        let email = r.keys.email().map(str::to_owned);
        let username = r.keys.username().map(str::to_owned);
        let (user_id, doc) = match r.keys.user_id() {
            Some(id) => (id.to_owned(), text(r.user)),
            None => {
                // Auth0 gives a user without an id one of its own.
                let id = ids::user_id();
                let mut doc = text(r.user);
                doc.truncate(doc.trim_end().len().saturating_sub(1));
                if doc.trim_end() != "{" {
                    doc.push(',');
                }
                doc.push_str("\"user_id\":\"");
                doc.push_str(&id);
                doc.push_str("\"}");
                (id, doc)
            }
        };
        self.plan.inserts.push(NewUser {
            user_id,
            email,
            username,
            doc,
        });
        Ok(Flow::Continue)
    }

    fn update(&mut self, r: &Record<'_>) -> SinkResult {
        if self.stopped() {
            return Ok(Flow::Stop);
        }
        let Some(m) = r.matched else {
            return Err(SinkError::new("an update without its matched user"));
        };
        self.plan.updates.push(UserUpdate {
            user_id: m.user_id.to_owned(),
            attributes: text(r.user),
        });
        Ok(Flow::Continue)
    }

    fn error(&mut self, r: &Record<'_>) -> SinkResult {
        if self.stopped() {
            return Ok(Flow::Stop);
        }
        // The errors endpoint's element: the user as supplied, secrets masked by the
        // engine; for a record that is not an object, its excerpt.
        let errors = r.errors.json();
        let mut entry = Vec::with_capacity(r.user.len() + errors.len() + 24);
        entry.extend_from_slice(b"{\"user\":");
        entry.extend_from_slice(r.user);
        if let Some(raw) = r.raw_excerpt {
            entry.extend_from_slice(b",\"raw\":");
            entry.extend_from_slice(raw);
        }
        entry.extend_from_slice(b",\"errors\":");
        entry.extend_from_slice(errors);
        entry.push(b'}');
        self.plan.errors.push((r.index, text(&entry)));
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sink_collects_what_a_store_needs() {
        let cancel = AtomicBool::new(false);
        let mut sink = PlanSink::new(&cancel);
        let engine = Builder::new().threads(1).build().unwrap();
        let input = br#"[{"email":"Ann@X.co","user_id":"1","username":"Ann"},{"email":"b@x.co"},{"email":"bad","password_hash":"secret"}]"#;
        let s = engine.run_bytes(input, &mut sink).unwrap();
        assert_eq!((s.inserted, s.failed), (2, 1));
        let p = &sink.plan;
        assert_eq!(p.inserts[0].user_id, "auth0|1");
        assert_eq!(p.inserts[0].email.as_deref(), Some("ann@x.co"));
        assert_eq!(p.inserts[0].username.as_deref(), Some("ann"));
        assert!(p.inserts[1].user_id.starts_with("auth0|"));
        assert!(
            p.inserts[1]
                .doc
                .ends_with(&format!(",\"user_id\":\"{}\"}}", p.inserts[1].user_id)),
            "{}",
            p.inserts[1].doc
        );
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].0, 2);
        assert!(!p.errors[0].1.contains("secret"));
        assert!(
            p.errors[0].1.starts_with(
                r#"{"user":{"email":"bad","password_hash":"*****"},"errors":[{"code":"FORMAT""#
            ),
            "{}",
            p.errors[0].1
        );
    }

    #[test]
    fn a_cancelled_job_stops_at_the_next_record() {
        let cancel = AtomicBool::new(true);
        let mut sink = PlanSink::new(&cancel);
        let engine = Builder::new().threads(1).build().unwrap();
        let summary = engine
            .run_bytes(br#"[{"email":"a@x.co"},{"email":"b@x.co"}]"#, &mut sink)
            .unwrap();
        assert_eq!(summary.status, Status::Stopped);
        assert_eq!(summary.total, 1);
        assert!(sink.plan.inserts.is_empty());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_secs(7200)), "2 hours");
        assert_eq!(human(Duration::from_secs(60)), "1 minute");
        assert_eq!(human(Duration::from_secs(3)), "3 seconds");
    }
}
