//! The user store: one SQLite file holding the connections, their users, the jobs and the
//! jobs' failed entries. Migrations are in code and versioned with `PRAGMA user_version`.
//!
//! Users are kept as the engine emitted them (`doc`: the insert line's `user`, with
//! `user_id` prefixed and `email`/`username` lower-cased), beside columns for the keys the
//! store enforces: `user_id` unique in the tenant, `(connection, email)` and
//! `(connection, username)` unique (several NULL usernames are allowed, as SQLite's UNIQUE
//! does).
//!
//! A job's inserts, updates and failed entries are written, and the job marked completed,
//! in ONE transaction ([`Store::commit_job`]): a job lands whole or not at all, and a job
//! the store still calls `processing` after a crash has written nothing.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{ids, object};

/// The schema, one step per version; step `i` takes `user_version` from `i` to `i + 1`.
/// Never edit a released step: add one.
const MIGRATIONS: &[&str] = &[
    // 1: connections, users, jobs, job errors.
    "CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        strategy TEXT NOT NULL DEFAULT 'auth0',
        created_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        connection_id TEXT NOT NULL REFERENCES connections(id),
        email TEXT,
        username TEXT,
        doc TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        last_job_id TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX users_connection_email ON users(connection_id, email);
    CREATE UNIQUE INDEX users_connection_username ON users(connection_id, username);
    CREATE INDEX users_email ON users(email);
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        connection_id TEXT NOT NULL REFERENCES connections(id),
        external_id TEXT,
        upsert INTEGER NOT NULL,
        send_completion_email INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
        file_bytes INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        started_ms INTEGER,
        finished_ms INTEGER,
        reason TEXT,
        total INTEGER,
        inserted INTEGER,
        updated INTEGER,
        failed INTEGER
    ) STRICT;
    CREATE INDEX jobs_status ON jobs(status);
    CREATE TABLE job_errors (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        record_index INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (job_id, record_index)
    ) STRICT, WITHOUT ROWID;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

#[derive(Debug)]
pub enum Error {
    Sql(rusqlite::Error),
    Other(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sql(e) => write!(f, "{e}"),
            Error::Other(s) => f.write_str(s),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sql(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A database connection (Auth0's, not SQLite's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub strategy: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "pending" => JobStatus::Pending,
            "processing" => JobStatus::Processing,
            "completed" => JobStatus::Completed,
            _ => JobStatus::Failed,
        }
    }
}

/// A job's counts (Auth0's `summary`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub failed: u64,
}

/// A job as the store holds it.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub connection_id: String,
    pub connection: String,
    pub external_id: Option<String>,
    pub upsert: bool,
    pub send_completion_email: bool,
    pub status: JobStatus,
    pub file_bytes: u64,
    pub created_ms: i64,
    pub reason: Option<String>,
    pub summary: Option<Counts>,
}

/// What a job writes when it completes.
#[derive(Debug, Default)]
pub struct Plan {
    pub inserts: Vec<NewUser>,
    pub updates: Vec<UserUpdate>,
    /// `(record index, {"user":...,"errors":[...]})`.
    pub errors: Vec<(u64, String)>,
}

#[derive(Debug)]
pub struct NewUser {
    pub user_id: String,
    pub email: Option<String>,
    pub username: Option<String>,
    /// The user as the engine emitted it (a JSON object), `user_id` included.
    pub doc: String,
}

#[derive(Debug)]
pub struct UserUpdate {
    /// The matched existing user.
    pub user_id: String,
    /// The update line's `user`: the attributes to apply (a JSON object).
    pub attributes: String,
}

/// A stored user.
#[derive(Clone, Debug)]
pub struct User {
    pub user_id: String,
    pub connection: String,
    pub doc: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug)]
pub struct Store {
    db: rusqlite::Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode so that readers never
    /// wait for a job's commit, with full syncs so that a job reported completed survives a
    /// power cut.
    pub fn open(path: &Path) -> Result<Store> {
        let db = rusqlite::Connection::open(path)?;
        db.busy_timeout(Duration::from_secs(30))?;
        let mode: String = db.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Other(format!(
                "{}: cannot use write-ahead logging (journal mode {mode})",
                path.display()
            )));
        }
        db.pragma_update(None, "synchronous", "FULL")?;
        db.pragma_update(None, "foreign_keys", true)?;
        Ok(Store { db })
    }

    /// Brings the schema to [`SCHEMA_VERSION`], one transaction per step. Returns the
    /// version found.
    pub fn migrate(&mut self) -> Result<u32> {
        let found: u32 = self.db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(Error::Other(format!(
                "the database has schema version {found}, newer than this build's {SCHEMA_VERSION}: use a newer user-import"
            )));
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self
                .db
                .transaction_with_behavior(TransactionBehavior::Exclusive)?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", i as u32 + 1)?;
            tx.commit()?;
        }
        Ok(found)
    }

    /// Marks failed every job that was pending or processing: after a restart nothing of
    /// theirs was committed, and nothing will run them. Returns their ids.
    pub fn fail_interrupted(&mut self, reason: &str, now_ms: i64) -> Result<Vec<String>> {
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids = {
            let mut st = tx.prepare(
                "UPDATE jobs SET status = 'failed', reason = ?1, finished_ms = ?2
                 WHERE status IN ('pending', 'processing') RETURNING id",
            )?;
            st.query_map(params![reason, now_ms], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.commit()?;
        Ok(ids)
    }

    /// Creates the named connections that do not exist yet; with no name, creates `default`
    /// only if the store has no connection at all.
    pub fn ensure_connections(
        &mut self,
        names: &[String],
        default: &str,
        mut new_id: impl FnMut() -> String,
        now_ms: i64,
    ) -> Result<Vec<Connection>> {
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: i64 = tx.query_row("SELECT count(*) FROM connections", [], |r| r.get(0))?;
        let wanted: Vec<&str> = if names.is_empty() {
            if existing == 0 { vec![default] } else { vec![] }
        } else {
            names.iter().map(String::as_str).collect()
        };
        let mut created = Vec::new();
        for name in wanted {
            let inserted = tx.execute(
                "INSERT INTO connections (id, name, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO NOTHING",
                params![new_id(), name, now_ms],
            )?;
            if inserted == 1 {
                created.push(name.to_owned());
            }
        }
        tx.commit()?;
        Ok(self
            .connections()?
            .into_iter()
            .filter(|c| created.contains(&c.name))
            .collect())
    }

    pub fn connections(&self) -> Result<Vec<Connection>> {
        let mut st = self.db.prepare_cached(
            "SELECT id, name, strategy FROM connections ORDER BY created_ms, name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Connection {
                id: r.get(0)?,
                name: r.get(1)?,
                strategy: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn connection(&self, id: &str) -> Result<Option<Connection>> {
        Ok(self
            .db
            .query_row(
                "SELECT id, name, strategy FROM connections WHERE id = ?1",
                [id],
                |r| {
                    Ok(Connection {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        strategy: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Inserts a pending job unless `max_active` jobs are pending or processing already;
    /// the count and the insert are one transaction. `Ok(None)`: too many active jobs.
    /// Sets the job's `created_ms` inside the transaction, so that the jobs' recorded times
    /// are in the order the store saw them.
    pub fn create_job(&mut self, job: &mut Job, max_active: u64) -> Result<Option<()>> {
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        job.created_ms = ids::now_ms();
        let active: i64 = tx.query_row(
            "SELECT count(*) FROM jobs WHERE status IN ('pending', 'processing')",
            [],
            |r| r.get(0),
        )?;
        if active as u64 >= max_active {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO jobs (id, connection_id, external_id, upsert, send_completion_email,
                               status, file_bytes, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
            params![
                job.id,
                job.connection_id,
                job.external_id,
                job.upsert,
                job.send_completion_email,
                job.file_bytes as i64,
                job.created_ms
            ],
        )?;
        tx.commit()?;
        Ok(Some(()))
    }

    pub fn job(&self, id: &str) -> Result<Option<Job>> {
        Ok(self
            .db
            .query_row(
                "SELECT j.id, j.connection_id, c.name, j.external_id, j.upsert,
                        j.send_completion_email, j.status, j.file_bytes, j.created_ms,
                        j.reason, j.total, j.inserted, j.updated, j.failed
                 FROM jobs j JOIN connections c ON c.id = j.connection_id
                 WHERE j.id = ?1",
                [id],
                |r| {
                    let total: Option<i64> = r.get(10)?;
                    Ok(Job {
                        id: r.get(0)?,
                        connection_id: r.get(1)?,
                        connection: r.get(2)?,
                        external_id: r.get(3)?,
                        upsert: r.get(4)?,
                        send_completion_email: r.get(5)?,
                        status: JobStatus::parse(&r.get::<_, String>(6)?),
                        file_bytes: r.get::<_, i64>(7)? as u64,
                        created_ms: r.get(8)?,
                        reason: r.get(9)?,
                        summary: match total {
                            Some(t) => Some(Counts {
                                total: t as u64,
                                inserted: r.get::<_, i64>(11)? as u64,
                                updated: r.get::<_, i64>(12)? as u64,
                                failed: r.get::<_, i64>(13)? as u64,
                            }),
                            None => None,
                        },
                    })
                },
            )
            .optional()?)
    }

    /// The job's failed entries, in input order.
    pub fn job_errors(&self, id: &str) -> Result<Vec<String>> {
        let mut st = self.db.prepare_cached(
            "SELECT entry FROM job_errors WHERE job_id = ?1 ORDER BY record_index",
        )?;
        let rows = st.query_map([id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// pending -> processing. False if the job is no longer pending (a watchdog failed it).
    pub fn start_job(&self, id: &str, now_ms: i64) -> Result<bool> {
        Ok(self.db.execute(
            "UPDATE jobs SET status = 'processing', started_ms = ?2
             WHERE id = ?1 AND status = 'pending'",
            params![id, now_ms],
        )? == 1)
    }

    /// pending or processing -> failed. False if the job had finished already. The time is
    /// taken inside the transaction, as for [`Store::create_job`].
    pub fn fail_job(&mut self, id: &str, reason: &str) -> Result<bool> {
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let failed = tx.execute(
            "UPDATE jobs SET status = 'failed', reason = ?2, finished_ms = ?3
             WHERE id = ?1 AND status IN ('pending', 'processing')",
            params![id, reason, ids::now_ms()],
        )? == 1;
        tx.commit()?;
        Ok(failed)
    }

    /// Every user of the tenant as one line of an Auth0 user export (NDJSON), with
    /// `identities` naming the user's connection: the engine's existing-users snapshot.
    /// Users of other connections hold only their `user_id` there (SPEC 1.2).
    pub fn export_users(&self) -> Result<Vec<u8>> {
        let mut st = self.db.prepare_cached(
            "SELECT u.doc, c.name FROM users u JOIN connections c ON c.id = u.connection_id
             ORDER BY u.rowid",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let doc: String = r.get(0)?;
            let name: String = r.get(1)?;
            export_line(&mut out, &doc, &name);
        }
        Ok(out)
    }

    /// Writes a job's plan and marks it completed, in one transaction. `Ok(false)`, with
    /// nothing written, when the job is no longer processing (the watchdog failed it).
    pub fn commit_job(
        &mut self,
        job: &str,
        connection_id: &str,
        plan: &Plan,
        counts: Counts,
    ) -> Result<bool> {
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now_ms = ids::now_ms();
        let status: Option<String> = tx
            .query_row("SELECT status FROM jobs WHERE id = ?1", [job], |r| r.get(0))
            .optional()?;
        if status.as_deref() != Some("processing") {
            return Ok(false);
        }
        {
            let mut insert = tx.prepare(
                "INSERT INTO users (user_id, connection_id, email, username, doc, created_ms,
                                    updated_ms, last_job_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
            )?;
            for u in &plan.inserts {
                insert.execute(params![
                    u.user_id,
                    connection_id,
                    u.email,
                    u.username,
                    u.doc,
                    now_ms,
                    job
                ])?;
            }
            let mut read = tx.prepare("SELECT doc FROM users WHERE user_id = ?1")?;
            let mut write = tx.prepare(
                "UPDATE users SET doc = ?2, updated_ms = ?3, last_job_id = ?4 WHERE user_id = ?1",
            )?;
            for u in &plan.updates {
                let doc: Option<String> = read.query_row([&u.user_id], |r| r.get(0)).optional()?;
                let Some(doc) = doc else {
                    return Err(Error::Other(format!(
                        "the user {} to update is not in the store",
                        u.user_id
                    )));
                };
                let doc = apply_update(&doc, &u.attributes);
                write.execute(params![u.user_id, doc, now_ms, job])?;
            }
            let mut error = tx.prepare(
                "INSERT INTO job_errors (job_id, record_index, entry) VALUES (?1, ?2, ?3)",
            )?;
            for (index, entry) in &plan.errors {
                error.execute(params![job, *index as i64, entry])?;
            }
        }
        tx.execute(
            "UPDATE jobs SET status = 'completed', finished_ms = ?2, total = ?3, inserted = ?4,
                             updated = ?5, failed = ?6
             WHERE id = ?1",
            params![
                job,
                now_ms,
                counts.total as i64,
                counts.inserted as i64,
                counts.updated as i64,
                counts.failed as i64
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub fn user(&self, user_id: &str) -> Result<Option<User>> {
        let mut st = self.db.prepare_cached(
            "SELECT u.user_id, c.name, u.doc, u.created_ms, u.updated_ms
             FROM users u JOIN connections c ON c.id = u.connection_id WHERE u.user_id = ?1",
        )?;
        Ok(st.query_row([user_id], user_row).optional()?)
    }

    /// Users with this (lower-cased) email, in every connection, oldest first.
    pub fn users_by_email(&self, email: &str) -> Result<Vec<User>> {
        let mut st = self.db.prepare_cached(
            "SELECT u.user_id, c.name, u.doc, u.created_ms, u.updated_ms
             FROM users u JOIN connections c ON c.id = u.connection_id WHERE u.email = ?1
             ORDER BY u.created_ms, u.user_id",
        )?;
        let rows = st.query_map([email], user_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Deletes finished jobs (and their failed entries) that finished before `before_ms`.
    pub fn delete_jobs_finished_before(&self, before_ms: i64) -> Result<usize> {
        Ok(self.db.execute(
            "DELETE FROM jobs WHERE status IN ('completed', 'failed') AND finished_ms < ?1",
            [before_ms],
        )?)
    }
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        user_id: r.get(0)?,
        connection: r.get(1)?,
        doc: r.get(2)?,
        created_ms: r.get(3)?,
        updated_ms: r.get(4)?,
    })
}

/// One export line: the stored user with `"identities":[{"connection":NAME,...}]` added
/// (import records cannot carry `identities`, so the key is never there already).
fn export_line(out: &mut Vec<u8>, doc: &str, connection: &str) {
    let doc = doc.trim_end();
    let body = doc.strip_suffix('}').unwrap_or(doc);
    out.extend_from_slice(body.as_bytes());
    if body.trim_end() != "{" {
        out.push(b',');
    }
    out.extend_from_slice(b"\"identities\":[{\"connection\":");
    user_import::json::write_str(out, connection);
    out.extend_from_slice(b",\"provider\":\"auth0\"}]}\n");
}

/// Applies an update line's attributes to a stored user: each supplied attribute replaces
/// the stored one (Auth0 does not merge metadata); a new `custom_password_hash` replaces
/// the credential, so a stored `password_hash` goes.
fn apply_update(doc: &str, attributes: &str) -> String {
    let set = object::members(attributes.as_bytes());
    let drop: &[&str] = if set.iter().any(|(k, _)| k == "custom_password_hash") {
        &["password_hash"]
    } else {
        &[]
    };
    let set: Vec<(String, &[u8])> = set;
    String::from_utf8_lossy(&object::rewrite(doc.as_bytes(), drop, &set)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_lines_name_the_connection() {
        let mut out = Vec::new();
        export_line(
            &mut out,
            r#"{"email":"a@x.co","user_id":"auth0|1"}"#,
            "DB \"1\"",
        );
        export_line(&mut out, "{}", "x");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{"email":"a@x.co","user_id":"auth0|1","identities":[{"connection":"DB \"1\"","provider":"auth0"}]}"#,
                "\n",
                r#"{"identities":[{"connection":"x","provider":"auth0"}]}"#,
                "\n"
            )
        );
    }

    #[test]
    fn updates_replace_attributes_and_keep_numbers_exactly() {
        let doc =
            r#"{"email":"a@x.co","password_hash":"h","app_metadata":{"a":1,"b":2},"n":1e400}"#;
        let out = apply_update(
            doc,
            r#"{"app_metadata":{"c":1.50},"given_name":"A","custom_password_hash":{"algorithm":"md5"}}"#,
        );
        assert_eq!(
            out,
            r#"{"email":"a@x.co","app_metadata":{"c":1.50},"n":1e400,"given_name":"A","custom_password_hash":{"algorithm":"md5"}}"#
        );
    }

    #[test]
    fn migrations_run_once_and_jobs_land_whole() {
        let dir = std::env::temp_dir().join(format!("user-import-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.migrate().unwrap(), 0);
        assert_eq!(s.migrate().unwrap(), SCHEMA_VERSION);
        let created = s
            .ensure_connections(&[], "Main", || "con_0000000000000001".into(), 1)
            .unwrap();
        assert_eq!(created.len(), 1);
        assert!(
            s.ensure_connections(&[], "Main", || "con_x".into(), 1)
                .unwrap()
                .is_empty()
        );
        let job = |id: &str| Job {
            id: id.into(),
            connection_id: "con_0000000000000001".into(),
            connection: "Main".into(),
            external_id: None,
            upsert: false,
            send_completion_email: false,
            status: JobStatus::Pending,
            file_bytes: 1,
            created_ms: 1,
            reason: None,
            summary: None,
        };
        assert!(s.create_job(&mut job("job_a"), 2).unwrap().is_some());
        assert!(s.create_job(&mut job("job_b"), 2).unwrap().is_some());
        assert!(s.create_job(&mut job("job_c"), 2).unwrap().is_none());
        assert!(s.start_job("job_a", 2).unwrap());
        let user = |id: &str, email: &str| NewUser {
            user_id: id.into(),
            email: Some(email.into()),
            username: None,
            doc: format!(r#"{{"email":"{email}","user_id":"{id}"}}"#),
        };
        // A plan that breaks a unique key rolls back entirely.
        let plan = Plan {
            inserts: vec![user("auth0|1", "a@x.co"), user("auth0|2", "a@x.co")],
            ..Plan::default()
        };
        assert!(
            s.commit_job("job_a", "con_0000000000000001", &plan, Counts::default())
                .is_err()
        );
        assert!(s.export_users().unwrap().is_empty());
        assert_eq!(
            s.job("job_a").unwrap().unwrap().status,
            JobStatus::Processing
        );
        let plan = Plan {
            inserts: vec![user("auth0|1", "a@x.co")],
            errors: vec![(1, "{}".into())],
            ..Plan::default()
        };
        assert!(
            s.commit_job("job_a", "con_0000000000000001", &plan, Counts::default())
                .unwrap()
        );
        assert_eq!(
            s.job("job_a").unwrap().unwrap().status,
            JobStatus::Completed
        );
        assert_eq!(s.job_errors("job_a").unwrap(), ["{}"]);
        // A failed job never commits.
        assert!(s.fail_job("job_b", "stopped").unwrap());
        assert!(
            !s.commit_job("job_b", "con_0000000000000001", &plan, Counts::default())
                .unwrap()
        );
        assert_eq!(s.users_by_email("a@x.co").unwrap().len(), 1);
        assert_eq!(s.delete_jobs_finished_before(0).unwrap(), 0);
        assert_eq!(s.delete_jobs_finished_before(i64::MAX).unwrap(), 2);
        assert!(s.job("job_a").unwrap().is_none());
        assert!(s.job_errors("job_a").unwrap().is_empty());
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
