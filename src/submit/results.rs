//! What `submit` keeps in DIR, forever and locally: `jobs.ndjson` (every job's end, its
//! summary beside what `run` predicted for the file), `errors.ndjson` (every failed entry
//! of Auth0's errors endpoint, the user masked), and `failed.json` (the finalizer: the
//! original records of every user Auth0 rejected, as a JSON array to fix and import again).
//!
//! Lines are appended (and fsynced) as soon as a job ends, before the journal says `done`.
//! A run that died between the two leaves lines of a job the journal does not call done;
//! the next run drops them first, then writes them again. At the end of every run both
//! files are rewritten in the manifest's order (then by record), so that a resumed
//! migration ends with the same files as an uninterrupted one.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;
use serde_json::value::RawValue;

use super::journal::sync_dir;

pub const JOBS: &str = "jobs.ndjson";
pub const ERRORS: &str = "errors.ndjson";
pub const FAILED: &str = "failed.json";

/// Members of an error entry's `user` that hold secrets: masked even if Auth0 sent them.
const SECRET_MEMBERS: [&str; 3] = ["password_hash", "custom_password_hash", "mfa_factors"];

#[derive(Debug)]
pub struct Results {
    dir: PathBuf,
    jobs: Mutex<File>,
    errors: Mutex<File>,
}

impl Results {
    /// Opens both files for appending, first dropping the lines of jobs not in `done`.
    ///
    /// # Errors
    ///
    /// The I/O error of reading or rewriting them.
    pub fn open(dir: &Path, done: &HashSet<String>) -> io::Result<Results> {
        for name in [JOBS, ERRORS] {
            let path = dir.join(name);
            let lines = read_lines(&path)?;
            let kept: Vec<&Value> = lines
                .iter()
                .filter(|v| job_of(v).is_some_and(|j| done.contains(j)))
                .collect();
            if kept.len() != lines.len() || torn(&path)? {
                rewrite(&path, kept.into_iter())?;
            }
        }
        let open = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
        };
        let results = Results {
            dir: dir.to_owned(),
            jobs: Mutex::new(open(JOBS)?),
            errors: Mutex::new(open(ERRORS)?),
        };
        sync_dir(dir);
        Ok(results)
    }

    /// Appends a job's end and its failed entries, durably.
    ///
    /// # Errors
    ///
    /// The I/O error: the job must not be journaled done.
    pub fn append(&self, job: &Value, errors: &[Value]) -> io::Result<()> {
        if !errors.is_empty() {
            let mut text = String::new();
            for e in errors {
                text.push_str(&e.to_string());
                text.push('\n');
            }
            let f = self.errors.lock().unwrap_or_else(|e| e.into_inner());
            (&*f).write_all(text.as_bytes())?;
            f.sync_data()?;
        }
        let mut line = job.to_string();
        line.push('\n');
        let f = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        (&*f).write_all(line.as_bytes())?;
        f.sync_data()
    }

    /// Rewrites both files in the manifest's order and writes `failed.json`. Returns how
    /// many records it holds and how many failed entries matched no record.
    ///
    /// # Errors
    ///
    /// The I/O error of reading a split file or writing the results.
    pub fn finish(&self, order: &[String]) -> io::Result<(usize, usize)> {
        let position: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, f)| (f.as_str(), i))
            .collect();
        let rank = |v: &Value| {
            let file = v.get("file").and_then(Value::as_str).unwrap_or("");
            position.get(file).copied().unwrap_or(usize::MAX)
        };
        let _jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let _errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        let mut jobs = read_lines(&self.dir.join(JOBS))?;
        jobs.sort_by_key(&rank);
        rewrite(&self.dir.join(JOBS), jobs.iter())?;
        let mut errors = read_lines(&self.dir.join(ERRORS))?;
        let record = |v: &Value| v.get("record").and_then(Value::as_u64).unwrap_or(u64::MAX);
        errors.sort_by_key(|v| (rank(v), record(v)));
        rewrite(&self.dir.join(ERRORS), errors.iter())?;

        let mut out = Vec::with_capacity(1024);
        out.push(b'[');
        let (mut written, mut unmatched) = (0, 0);
        let mut files: HashMap<String, Vec<u8>> = HashMap::new();
        for e in &errors {
            let (Some(file), Some(index)) = (
                e.get("file").and_then(Value::as_str),
                e.get("record").and_then(Value::as_u64),
            ) else {
                unmatched += 1;
                continue;
            };
            if !files.contains_key(file) {
                files.insert(file.to_owned(), std::fs::read(self.dir.join(file))?);
            }
            let records = records(&files[file]);
            let Some(raw) = records.get(index as usize) else {
                unmatched += 1;
                continue;
            };
            if written > 0 {
                out.push(b',');
            }
            out.push(b'\n');
            out.extend_from_slice(raw.get().as_bytes());
            written += 1;
        }
        out.extend_from_slice(if written > 0 { b"\n]\n" } else { b"]\n" });
        let path = self.dir.join(FAILED);
        let tmp = self.dir.join(format!("{FAILED}.tmp"));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&out)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        sync_dir(&self.dir);
        Ok((written, unmatched))
    }
}

/// The records of a split file (a JSON array), as they are written there.
pub fn records(bytes: &[u8]) -> Vec<&RawValue> {
    serde_json::from_slice::<Vec<&RawValue>>(bytes).unwrap_or_default()
}

/// Finds each failed entry's record in its split file: by `user_id` if the entry has one,
/// else by `email` (exactly, then ignoring case, as Auth0 lower-cases emails). Each record
/// is matched at most once. Returns the record index per entry.
pub fn match_records(file: &[u8], users: &[&Value]) -> Vec<Option<usize>> {
    let records = records(file);
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_email: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_lower: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let Ok(v) = serde_json::from_str::<Value>(r.get()) else {
            continue;
        };
        if let Some(id) = v.get("user_id").and_then(Value::as_str) {
            by_id.entry(id.to_owned()).or_default().push(i);
        }
        if let Some(email) = v.get("email").and_then(Value::as_str) {
            by_email.entry(email.to_owned()).or_default().push(i);
            by_lower.entry(email.to_lowercase()).or_default().push(i);
        }
    }
    let mut used = HashSet::new();
    users
        .iter()
        .map(|u| {
            let id = u.get("user_id").and_then(Value::as_str);
            let email = u.get("email").and_then(Value::as_str);
            let candidates = id
                .and_then(|id| by_id.get(id))
                .into_iter()
                .chain(email.and_then(|e| by_email.get(e)))
                .chain(email.and_then(|e| by_lower.get(&e.to_lowercase())));
            for list in candidates {
                if let Some(&i) = list.iter().find(|i| !used.contains(*i)) {
                    used.insert(i);
                    return Some(i);
                }
            }
            None
        })
        .collect()
}

/// An error entry's user with its secrets masked as SPEC's error lines mask them.
pub fn mask(user: &Value) -> Value {
    let mut user = user.clone();
    if let Some(map) = user.as_object_mut() {
        for key in SECRET_MEMBERS {
            if let Some(v) = map.get_mut(key) {
                *v = Value::from("*****");
            }
        }
    }
    user
}

fn job_of(v: &Value) -> Option<&str> {
    v.get("job").and_then(Value::as_str)
}

fn read_lines(path: &Path) -> io::Result<Vec<Value>> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let durable = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    Ok(text[..durable]
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect())
}

fn torn(path: &Path) -> io::Result<bool> {
    match std::fs::read(path) {
        Ok(t) => Ok(t.last().is_some_and(|&b| b != b'\n')),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Replaces a file with these lines, atomically (a temporary file renamed over it).
fn rewrite<'a>(path: &Path, lines: impl Iterator<Item = &'a Value>) -> io::Result<()> {
    let mut text = String::new();
    for v in lines {
        text.push_str(&v.to_string());
        text.push('\n');
    }
    let tmp = path.with_extension("ndjson.tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_find_their_records_once_each() {
        let file = br#"[{"email":"A@x.io","name":"a"},{"user_id":"7","email":"b@x.io"},{"email":"a@x.io"}]"#;
        let users = [
            json!({"email": "a@x.io"}),
            json!({"user_id": "7"}),
            json!({"email": "A@x.io"}),
            json!({"email": "nobody@x.io"}),
        ];
        let refs: Vec<&Value> = users.iter().collect();
        assert_eq!(
            match_records(file, &refs),
            vec![Some(2), Some(1), Some(0), None]
        );
    }

    #[test]
    fn secrets_are_masked() {
        let u = json!({"email": "a@x.io", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "abc"}}, "password_hash": "$2b$10$x"});
        let m = mask(&u).to_string();
        assert!(!m.contains("abc") && !m.contains("$2b$"), "{m}");
        assert!(m.contains("a@x.io"));
    }

    #[test]
    fn lines_of_unfinished_jobs_are_dropped_and_the_rest_ordered() {
        let d = std::env::temp_dir().join(format!("ui-results-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("users-0001.json"),
            br#"[{"email":"a@x.io"},{"email":"b@x.io"}]"#,
        )
        .unwrap();
        std::fs::write(
            d.join(ERRORS),
            concat!(
                r#"{"file":"users-0001.json","job":"job_2","record":1,"user":{"email":"b@x.io"},"errors":[]}"#, "\n",
                r#"{"file":"users-0001.json","job":"job_1","record":0,"user":{"email":"a@x.io"},"errors":[]}"#, "\n",
                r#"{"file":"users-0001.json","job":"job_1","rec"#,
            ),
        )
        .unwrap();
        let done: HashSet<String> = ["job_2".to_owned()].into();
        let r = Results::open(&d, &done).unwrap();
        let (written, unmatched) = r.finish(&["users-0001.json".to_owned()]).unwrap();
        assert_eq!((written, unmatched), (1, 0));
        let errors = std::fs::read_to_string(d.join(ERRORS)).unwrap();
        assert_eq!(errors.lines().count(), 1);
        assert!(errors.contains("job_2"));
        let failed: Value =
            serde_json::from_slice(&std::fs::read(d.join(FAILED)).unwrap()).unwrap();
        assert_eq!(failed, json!([{"email": "b@x.io"}]));
    }
}
