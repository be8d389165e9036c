//! `submit` against `serve` (both real binaries, over loopback): a generated migration with
//! inserts, updates and users who signed up between `split` and `submit`, imported exactly,
//! with faults on, and resumed after `kill -9` at each point of a file's life.
#![cfg(all(feature = "server", feature = "submit"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::common::{bin, root, temp_dir, write_file};
use crate::server::{Server, TOKEN, connection_id, json, post_job, wait_done};

/// Faults for the runs that say so: every kind `serve` has, at rates that hit each a few
/// times in a 20,000-user migration.
const FAULTS: &str =
    "seed=11,429=0.05,500=0.03,503=0.03,drop=0.15,slow=0.2,slow_for=300ms,fail=0.1";

/// What the store and the results must hold at the end.
struct Expect {
    /// Every user the store holds (lower-cased emails).
    emails: BTreeSet<String>,
    /// Users of the update files.
    updated: BTreeSet<String>,
    /// Users who signed up after `split`: Auth0 rejects their insert.
    late: BTreeSet<String>,
    /// Their records, as the split files hold them, in the manifest's order.
    late_records: Vec<Value>,
}

struct Migration {
    dir: PathBuf,
    db: PathBuf,
    out: PathBuf,
    server: Server,
    connection: String,
    expect: Expect,
}

fn python(args: &[&str], dir: &Path) {
    let out = Command::new("python3")
        .current_dir(dir)
        .arg(root().join("testdata/gen/gen_users.py"))
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ok(args: &[&str]) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("user-import");
    assert!(
        out.status.success(),
        "user-import {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn submit(m: &Migration, dir: &Path, env: &[(&str, &str)]) -> Output {
    let base = m.server.url("");
    Command::new(bin())
        .args(["submit"])
        .arg(dir)
        .args(["--base-url", &base, "--connection-id", &m.connection])
        .args([
            "--retry-base-ms",
            "20",
            "--poll-ms",
            "20",
            "--retries",
            "12",
        ])
        .env("AUTH0_TOKEN", TOKEN)
        .envs(env.iter().copied())
        .output()
        .expect("user-import submit")
}

fn records(path: &Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_slice(&std::fs::read(path).expect("a split file")).expect("JSON");
    v.as_array().expect("an array").clone()
}

fn email(r: &Value) -> String {
    r["email"].as_str().expect("an email").to_lowercase()
}

/// Generates `users` users (a tenth of them already in the tenant), imports the existing
/// ones, splits the rest with `--upsert`, then lets every 97th insert sign up on its own.
fn prepare(name: &str, users: u32, max_bytes: &str, server_env: &[(&str, &str)]) -> Migration {
    prepare_with(name, users, max_bytes, server_env, &[])
}

fn prepare_with(
    name: &str,
    users: u32,
    max_bytes: &str,
    server_env: &[(&str, &str)],
    server_args: &[&str],
) -> Migration {
    let dir = temp_dir(&format!("submit-{name}"));
    let existing = (users / 10).to_string();
    python(
        &[
            "--users",
            &users.to_string(),
            "--seed",
            "5",
            "--format",
            "json",
            "--existing",
            &existing,
            "--out",
            "users.json",
            "--existing-out",
            "existing.ndjson",
            "--jobs",
            "1",
        ],
        &dir,
    );
    let db = dir.join("store.db");
    let server = Server::start_with_env(&db, server_args, server_env);
    let connection = connection_id(&server, "Username-Password-Authentication");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    ok(&[
        "convert",
        &p("existing.ndjson"),
        "--out",
        &p("existing.json"),
        "--quiet",
    ]);
    ok(&[
        "split",
        &p("existing.json"),
        "--out-dir",
        &p("seed"),
        "--quiet",
    ]);
    let mut m = Migration {
        dir: dir.clone(),
        db,
        out: dir.join("out"),
        server,
        connection,
        expect: Expect {
            emails: BTreeSet::new(),
            updated: BTreeSet::new(),
            late: BTreeSet::new(),
            late_records: Vec::new(),
        },
    };
    let seeded = submit(&m, &dir.join("seed"), &[]);
    assert_eq!(
        seeded.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    ok(&[
        "split",
        &p("users.json"),
        "--existing",
        &p("existing.ndjson"),
        "--upsert",
        "--out-dir",
        &p("out"),
        "--max-bytes",
        max_bytes,
        "--quiet",
    ]);

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(m.out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let mut late = Vec::new();
    let e = &mut m.expect;
    for r in records(&dir.join("existing.json")) {
        e.emails.insert(email(&r));
    }
    let mut n = 0;
    for f in manifest["files"].as_array().expect("files") {
        let name = f["name"].as_str().expect("name");
        for r in records(&m.out.join(name)) {
            e.emails.insert(email(&r));
            if f["set"] == "update" {
                e.updated.insert(email(&r));
            } else {
                n += 1;
                if n % 97 == 0 {
                    e.late.insert(email(&r));
                    e.late_records.push(r.clone());
                    late.push(
                        serde_json::json!({"email": r["email"], "name": "signed up meanwhile"}),
                    );
                }
            }
        }
    }
    assert!(!e.updated.is_empty() && !e.late.is_empty());
    write_file(
        &dir.join("late.json"),
        Value::Array(late).to_string().as_bytes(),
    );
    let (code, body) = post_job(&m.server, &dir, "late.json", &m.connection, &[]);
    assert_eq!(code, 202, "{body}");
    let job = wait_done(&m.server, json(&body)["id"].as_str().expect("an id"));
    assert_eq!(
        job["summary"]["inserted"].as_u64(),
        Some(e.late.len() as u64),
        "{job}"
    );
    // submit tells a user its lost attempt created from one who was there before by
    // Auth0's clock; keep the late sign-ups clearly before the migration starts.
    std::thread::sleep(Duration::from_millis(1200));
    m
}

/// The store, `errors.ndjson`, `failed.json` and `jobs.ndjson` are exactly what `run`
/// said, with the late sign-ups as the only failures.
fn check(m: &Migration) {
    let e = &m.expect;
    let c = rusqlite::Connection::open(&m.db).expect("the store");
    let mut st = c
        .prepare("SELECT email, last_job_id FROM users")
        .expect("a query");
    let users: BTreeMap<String, String> = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("rows")
        .map(|r| r.expect("a row"))
        .collect();
    let emails: BTreeSet<String> = users.keys().cloned().collect();
    assert_eq!(emails.len(), e.emails.len(), "users in the store");
    assert!(
        emails == e.emails,
        "the store holds other users than planned"
    );

    let jobs: Vec<Value> = std::fs::read_to_string(m.out.join("jobs.ndjson"))
        .expect("jobs.ndjson")
        .lines()
        .map(json)
        .collect();
    // A POST of an update file whose answer was dropped (a fault) created a job submit
    // never saw; it applies the same values and may land after the one submit saw. So
    // the store, which knows every job, says which jobs were update jobs.
    let mut st = c
        .prepare("SELECT id FROM jobs WHERE upsert = 1 AND status = 'completed'")
        .expect("a query");
    let update_jobs: BTreeSet<String> = st
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|r| r.expect("a row"))
        .collect();
    for j in jobs
        .iter()
        .filter(|j| j["set"] == "update" && j["status"] == "completed")
    {
        let id = j["job"].as_str().expect("job");
        assert!(update_jobs.contains(id), "{id} is not an upsert job");
    }
    for u in &e.updated {
        assert!(
            update_jobs.contains(&users[u]),
            "{u} was not updated by an update job"
        );
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(m.out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let (mut inserted, mut updated, mut failed) = (0, 0, 0);
    for f in manifest["files"].as_array().expect("files") {
        let done: Vec<&Value> = jobs
            .iter()
            .filter(|j| j["file"] == f["name"] && j["status"] == "completed")
            .collect();
        assert_eq!(done.len(), 1, "{}: one completed job", f["name"]);
        inserted += done[0]["actual"]["inserted"].as_u64().expect("inserted");
        updated += done[0]["actual"]["updated"].as_u64().expect("updated");
        failed += done[0]["actual"]["failed"].as_u64().expect("failed");
    }
    let totals = &manifest["totals"];
    assert_eq!(failed, e.late.len() as u64);
    assert_eq!(
        inserted + failed,
        totals["insert"]["records"].as_u64().expect("n")
    );
    assert_eq!(updated, totals["update"]["records"].as_u64().expect("n"));

    let errors: Vec<Value> = std::fs::read_to_string(m.out.join("errors.ndjson"))
        .expect("errors.ndjson")
        .lines()
        .map(json)
        .collect();
    let failed_emails: BTreeSet<String> = errors.iter().map(|x| email(&x["user"])).collect();
    assert_eq!(errors.len(), e.late.len());
    assert!(
        failed_emails == e.late,
        "errors.ndjson names other users than the late sign-ups"
    );
    assert!(
        errors
            .iter()
            .all(|x| x["errors"][0]["code"] == "DUPLICATED_USER")
    );
    let failed_json: Value =
        serde_json::from_slice(&std::fs::read(m.out.join("failed.json")).expect("failed.json"))
            .expect("JSON");
    assert_eq!(
        failed_json,
        Value::Array(e.late_records.clone()),
        "failed.json"
    );

    // Never more than two jobs active at the server (created to finished).
    let mut st = c
        .prepare("SELECT created_ms, finished_ms FROM jobs")
        .expect("a query");
    let mut edges: Vec<(i64, i32)> = Vec::new();
    for r in st
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .expect("rows")
    {
        let (start, end) = r.expect("a row");
        edges.push((start, 1));
        edges.push((end.expect("every job ended"), -1));
    }
    edges.sort();
    let mut active = 0;
    for (_, d) in edges {
        active += d;
        assert!(active <= 2, "more than two jobs active at once");
    }

    // The token appears in no result file.
    for entry in std::fs::read_dir(&m.out).expect("out") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("a file");
        assert!(
            !contains(&bytes, TOKEN.as_bytes()),
            "the token is in a result file"
        );
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn no_token(out: &Output) {
    assert!(!contains(&out.stdout, TOKEN.as_bytes()) && !contains(&out.stderr, TOKEN.as_bytes()));
}

#[test]
fn a_20000_user_migration_with_faults_lands_exactly() {
    let m = prepare(
        "faults",
        20_000,
        "512000",
        &[("USER_IMPORT_FAULTS", FAULTS)],
    );
    let out = submit(&m, &m.out, &[]);
    no_token(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "some records failed: {stderr}\n{}",
        m.server.log()
    );
    check(&m);
    // Submitting again sends nothing: every file's job completed.
    let jobs_before = std::fs::read(m.out.join("jobs.ndjson")).expect("jobs");
    let again = submit(&m, &m.out, &[]);
    assert_eq!(again.status.code(), Some(3));
    assert_eq!(
        std::fs::read(m.out.join("jobs.ndjson")).expect("jobs"),
        jobs_before
    );
    check(&m);
    let _ = std::fs::remove_dir_all(&m.dir);
}

#[test]
fn kill_9_at_each_point_then_submit_again_lands_the_same() {
    for point in [
        "before_post:3",
        "after_post:2",
        "polling:4",
        "after_errors:3",
        "after_post:7",
    ] {
        let m = prepare(
            &format!("kill-{}", point.replace(':', "-")),
            3000,
            "120000",
            &[],
        );
        let killed = submit(&m, &m.out, &[("USER_IMPORT_SUBMIT_CRASH", point)]);
        assert_eq!(
            killed.status.code(),
            None,
            "{point}: not killed: {}",
            String::from_utf8_lossy(&killed.stderr)
        );
        let out = submit(&m, &m.out, &[]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check(&m);
        let _ = std::fs::remove_dir_all(&m.dir);
    }
}

#[test]
fn dry_run_lists_the_calls_in_order_and_makes_none() {
    let dir = temp_dir("submit-dry");
    write_file(
        &dir.join("u.json"),
        br#"[{"email":"a@x.io"},{"email":"b@x.io","user_id":"9"}]"#,
    );
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    ok(&["split", &p("u.json"), "--out-dir", &p("out"), "--quiet"]);
    let out = Command::new(bin())
        .args([
            "submit",
            &p("out"),
            "--domain",
            "example.auth0.com",
            "--connection-id",
            "con_0123456789abcdef",
            "--dry-run",
        ])
        .output()
        .expect("submit");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("POST https://example.auth0.com/api/v2/jobs/users-imports users=users-0001.json records=2 "), "{text}");
    assert!(text.contains("upsert=false"));
    assert!(
        !dir.join("out/submit.journal").exists(),
        "a dry run writes nothing"
    );
}

#[test]
fn a_changed_file_or_missing_credentials_stop_before_any_call() {
    let dir = temp_dir("submit-refuse");
    write_file(&dir.join("u.json"), br#"[{"email":"a@x.io"}]"#);
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    ok(&["split", &p("u.json"), "--out-dir", &p("out"), "--quiet"]);
    // Port 9 (discard) on loopback: nothing listens, and nothing must be tried.
    let run = |env: &[(&str, &str)]| {
        Command::new(bin())
            .args([
                "submit",
                &p("out"),
                "--base-url",
                "http://127.0.0.1:9",
                "--connection-id",
                "con_0123456789abcdef",
            ])
            .env_remove("AUTH0_TOKEN")
            .env_remove("AUTH0_CLIENT_ID")
            .env_remove("AUTH0_CLIENT_SECRET")
            .envs(env.iter().copied())
            .output()
            .expect("submit")
    };
    let out = run(&[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUTH0_TOKEN"));
    write_file(&dir.join("out/users-0001.json"), br#"[{"email":"b@x.io"}]"#);
    let out = run(&[("AUTH0_TOKEN", "t0ken-never-shown")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SHA-256") || err.contains("bytes"), "{err}");
    assert!(!err.contains("t0ken-never-shown"));
    assert!(!dir.join("out/submit.journal").exists());
    let bad = Command::new(bin())
        .args([
            "submit",
            &p("out"),
            "--domain",
            "x.auth0.com",
            "--connection-id",
            "con_short",
        ])
        .output()
        .expect("submit");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn client_credentials_renewed_as_tokens_expire_and_never_shown() {
    const SECRET: &str = "client-secret-7d1e";
    let env = [
        ("USER_IMPORT_CLIENT_ID", "client-id-1"),
        ("USER_IMPORT_CLIENT_SECRET", SECRET),
        ("USER_IMPORT_FAULTS", "seed=2,slow=0.5,slow_for=700ms"),
    ];
    let m = prepare_with("creds", 3000, "120000", &env, &["--token-ttl", "2s"]);
    let base = m.server.url("");
    let out = Command::new(bin())
        .args(["submit"])
        .arg(&m.out)
        .args(["--base-url", &base, "--connection-id", &m.connection])
        .args(["--retry-base-ms", "20", "--poll-ms", "20"])
        .env_remove("AUTH0_TOKEN")
        .env("AUTH0_CLIENT_ID", "client-id-1")
        .env("AUTH0_CLIENT_SECRET", SECRET)
        .output()
        .expect("submit");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(&m);
    assert!(!contains(&out.stdout, SECRET.as_bytes()) && !contains(&out.stderr, SECRET.as_bytes()));
    for entry in std::fs::read_dir(&m.out).expect("out") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("a file");
        assert!(
            !contains(&bytes, SECRET.as_bytes()),
            "the secret is in a result file"
        );
    }
    // Wrong credentials: the token endpoint's refusal stops the run before any import.
    let bad = Command::new(bin())
        .args(["submit"])
        .arg(m.dir.join("seed"))
        .args([
            "--base-url",
            &base,
            "--connection-id",
            &m.connection,
            "--retries",
            "2",
        ])
        .env_remove("AUTH0_TOKEN")
        .env("AUTH0_CLIENT_ID", "client-id-1")
        .env("AUTH0_CLIENT_SECRET", "wrong")
        .output()
        .expect("submit");
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn kill_9_while_a_post_waits_for_its_answer_then_submit_again() {
    let m = prepare(
        "kill-during-post",
        3000,
        "120000",
        &[("USER_IMPORT_FAULTS", "seed=4,post_delay=1500ms")],
    );
    let jobs = || -> i64 {
        let c = rusqlite::Connection::open(&m.db).expect("the store");
        c.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))
            .expect("count")
    };
    let before = jobs();
    let base = m.server.url("");
    let mut child = Command::new(bin())
        .args(["submit"])
        .arg(&m.out)
        .args([
            "--base-url",
            &base,
            "--connection-id",
            &m.connection,
            "--quiet",
        ])
        .args(["--retry-base-ms", "20", "--poll-ms", "20"])
        .env("AUTH0_TOKEN", TOKEN)
        .spawn()
        .expect("submit");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while jobs() == before {
        assert!(std::time::Instant::now() < deadline, "no job was created");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The job exists; its answer is still 1.5 s away.
    child.kill().expect("kill -9");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), None);
    let journal = std::fs::read_to_string(m.out.join("submit.journal")).expect("journal");
    assert!(
        !journal.contains("submitted"),
        "the answer came before the kill"
    );
    let out = submit(&m, &m.out, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(&m);
    let jobs_lines = std::fs::read_to_string(m.out.join("jobs.ndjson")).expect("jobs");
    assert!(
        jobs_lines.contains("\"recovered\""),
        "the lost job's users were not told apart"
    );
}
