//! The journal: `DIR/submit.journal`, one JSON line an event, appended and fsynced before
//! and after every call that changes something at Auth0. Replaying it tells each file's
//! state, whatever stopped the last run (Ctrl-C, `kill -9`, a reboot, a network outage).
//!
//! An append-only file rather than a database: the states are few, the events tiny, and a
//! torn last line (the process killed inside a write) is recognised by its missing newline
//! and ignored: that event was not durable, so the call after it was never made or its
//! outcome is treated as unknown, which the states below already allow for.
//!
//! Events, each `{"file":NAME,"event":KIND,...}`:
//! - `sending` (`at`: Auth0's clock, ms): a POST is about to be sent;
//! - `refused`: that POST certainly created no job (a 4xx answer, no connection);
//! - `uncertain`: that POST may have created a job whose answer was lost;
//! - `submitted` (`job`): the POST was answered with a job id;
//! - `ended` (`job`, `status`, `summary` or `reason`): the job completed or failed;
//! - `done` (`job`): its results are in `jobs.ndjson` and `errors.ndjson`;
//! - `stopped` (`reason`): this run gave up on the file (a 4xx, retries exhausted).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

pub const JOURNAL: &str = "submit.journal";

/// The counts of a completed job, as Auth0's job status gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub failed: u64,
}

impl Counts {
    pub fn from_json(v: Option<&Value>) -> Counts {
        let n = |k: &str| {
            v.and_then(|v| v.get(k))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        Counts {
            total: n("total"),
            inserted: n("inserted"),
            updated: n("updated"),
            failed: n("failed"),
        }
    }

    pub fn to_json(self) -> Value {
        json!({"total": self.total, "inserted": self.inserted, "updated": self.updated, "failed": self.failed})
    }
}

/// One file's state, as the journal tells it.
#[derive(Debug, Clone, Default)]
pub struct FileState {
    /// A POST was sent and nothing after it was recorded.
    pub sending_at: Option<i64>,
    /// The earliest time (Auth0's clock, ms) of a POST that may have created a job whose
    /// id was never received: a job of this file may exist that `submit` cannot see.
    pub uncertain_since: Option<i64>,
    /// The job in flight or ended, not yet done.
    pub job: Option<String>,
    /// The job ended; `Ok(summary)` or `Err(reason)`.
    pub ended: Option<Result<Counts, String>>,
    /// The job whose results are stored: the file is finished.
    pub done: Option<(String, Counts)>,
    /// Jobs of this file that ended `failed`.
    pub job_failures: u32,
    /// Why this file was given up on, in the run that wrote it.
    pub stopped: Option<String>,
    /// Every job of this file whose results are stored, failed ones included.
    pub done_jobs: Vec<String>,
}

impl FileState {
    pub fn apply(&mut self, event: &str, v: &Value) {
        let str_of = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        match event {
            "sending" => {
                self.sending_at = Some(v.get("at").and_then(Value::as_i64).unwrap_or(0));
                self.stopped = None;
            }
            "refused" => self.sending_at = None,
            "uncertain" => self.settle_unknown(),
            "submitted" => {
                self.sending_at = None;
                self.job = str_of("job");
                self.ended = None;
            }
            "ended" => {
                if v.get("status").and_then(Value::as_str) == Some("completed") {
                    self.ended = Some(Ok(Counts::from_json(v.get("summary"))));
                } else {
                    self.job_failures += 1;
                    self.ended = Some(Err(str_of("reason").unwrap_or_default()));
                }
            }
            "done" => {
                self.done_jobs.extend(str_of("job"));
                // A failed job is done too: then the file goes back to be resubmitted.
                if let (Some(job), Some(Ok(c))) = (self.job.take(), self.ended.take()) {
                    self.done = Some((job, c));
                }
            }
            "stopped" => self.stopped = Some(str_of("reason").unwrap_or_default()),
            _ => {}
        }
    }

    /// A POST whose outcome is unknown: from now on a job of this file may exist.
    fn settle_unknown(&mut self) {
        if let Some(at) = self.sending_at.take() {
            self.uncertain_since = Some(self.uncertain_since.map_or(at, |u| u.min(at)));
        }
    }
}

/// The open journal: replayed state plus the file to append to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Opens (or creates) the journal in `dir` and replays it.
    ///
    /// # Errors
    ///
    /// The I/O error of opening, reading or repairing the file.
    pub fn open(dir: &Path) -> io::Result<(Journal, HashMap<String, FileState>)> {
        let path = dir.join(JOURNAL);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        // A torn last line was never durable: cut it off so that the next event starts on
        // a line of its own.
        let durable = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let states = replay(&text[..durable]);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)?;
        // Two runs on one folder would interleave their events and send files twice.
        if let Err(e) = file.try_lock() {
            return Err(match e {
                std::fs::TryLockError::WouldBlock => io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another submit is running on this folder",
                ),
                std::fs::TryLockError::Error(e) => e,
            });
        }
        if durable < text.len() {
            file.set_len(durable as u64)?;
        }
        sync_dir(dir);
        Ok((
            Journal {
                path,
                file: Mutex::new(file),
            },
            states,
        ))
    }

    /// Appends one event and waits until it is on disk.
    ///
    /// # Errors
    ///
    /// The I/O error: the caller must not go on with the call the event announces.
    pub fn record(&self, file: &str, event: &str, mut fields: Value) -> io::Result<()> {
        if let Some(map) = fields.as_object_mut() {
            let mut line = serde_json::Map::new();
            line.insert("file".into(), file.into());
            line.insert("event".into(), event.into());
            line.append(map);
            fields = Value::Object(line);
        }
        let mut text = fields.to_string();
        text.push('\n');
        let f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        (&*f).write_all(text.as_bytes())?;
        f.sync_data()
    }

    /// The states without opening the journal for writing (for `--dry-run`).
    pub fn peek(dir: &Path) -> HashMap<String, FileState> {
        let text = std::fs::read(dir.join(JOURNAL)).unwrap_or_default();
        let durable = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        replay(&text[..durable])
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn replay(text: &[u8]) -> HashMap<String, FileState> {
    let mut states: HashMap<String, FileState> = HashMap::new();
    for line in text.split(|&b| b == b'\n') {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let (Some(file), Some(event)) = (
            v.get("file").and_then(Value::as_str),
            v.get("event").and_then(Value::as_str),
        ) else {
            continue;
        };
        states.entry(file.to_owned()).or_default().apply(event, &v);
    }
    // A POST sent by a run that then stopped: its answer, if any, was lost.
    for s in states.values_mut() {
        s.settle_unknown();
    }
    states
}

/// Makes a new file's directory entry durable; best effort (not every platform can).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ui-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_post_without_an_answer_is_uncertain_after_a_restart() {
        let d = dir("uncertain");
        let (j, _) = Journal::open(&d).unwrap();
        j.record("a.json", "sending", json!({"at": 1000})).unwrap();
        j.record("b.json", "sending", json!({"at": 2000})).unwrap();
        j.record("b.json", "refused", json!({})).unwrap();
        j.record("c.json", "sending", json!({"at": 3000})).unwrap();
        j.record("c.json", "submitted", json!({"job": "job_1"}))
            .unwrap();
        drop(j);
        let (_, s) = Journal::open(&d).unwrap();
        assert_eq!(s["a.json"].uncertain_since, Some(1000));
        assert_eq!(s["a.json"].sending_at, None);
        assert_eq!(s["b.json"].uncertain_since, None);
        assert_eq!(s["c.json"].job.as_deref(), Some("job_1"));
        assert_eq!(s["c.json"].uncertain_since, None);
    }

    #[test]
    fn a_second_run_on_the_same_folder_is_refused() {
        let d = dir("locked");
        let (j, _) = Journal::open(&d).unwrap();
        let e = Journal::open(&d).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        drop(j);
        assert!(Journal::open(&d).is_ok());
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off() {
        let d = dir("torn");
        let (j, _) = Journal::open(&d).unwrap();
        j.record("a.json", "sending", json!({"at": 5})).unwrap();
        j.record("a.json", "submitted", json!({"job": "job_9"}))
            .unwrap();
        drop(j);
        let path = d.join(JOURNAL);
        let mut text = std::fs::read(&path).unwrap();
        text.extend_from_slice(br#"{"file":"a.json","event":"ended","job":"job_9","status":"comp"#);
        std::fs::write(&path, &text).unwrap();
        let (j, s) = Journal::open(&d).unwrap();
        assert_eq!(s["a.json"].job.as_deref(), Some("job_9"));
        assert!(s["a.json"].ended.is_none());
        j.record(
            "a.json",
            "ended",
            json!({"job": "job_9", "status": "completed", "summary": {"total": 2, "inserted": 2}}),
        )
        .unwrap();
        j.record("a.json", "done", json!({"job": "job_9"})).unwrap();
        drop(j);
        let (_, s) = Journal::open(&d).unwrap();
        let (job, counts) = s["a.json"].done.clone().unwrap();
        assert_eq!(job, "job_9");
        assert_eq!(counts.inserted, 2);
    }

    #[test]
    fn a_failed_job_counts_and_sends_the_file_back() {
        let d = dir("failed");
        let (j, _) = Journal::open(&d).unwrap();
        j.record("a.json", "submitted", json!({"job": "job_1"}))
            .unwrap();
        j.record(
            "a.json",
            "ended",
            json!({"job": "job_1", "status": "failed", "reason": "timed out"}),
        )
        .unwrap();
        j.record("a.json", "done", json!({"job": "job_1"})).unwrap();
        drop(j);
        let (_, s) = Journal::open(&d).unwrap();
        assert_eq!(s["a.json"].job_failures, 1);
        assert!(s["a.json"].done.is_none());
        assert!(s["a.json"].job.is_none() || s["a.json"].ended.is_none());
    }
}
