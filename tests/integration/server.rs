//! The job API (`user-import serve`, feature `server`): the real binary on a loopback port,
//! driven with the `curl` commands of Auth0's "Bulk User Imports" page, domain replaced by
//! `http://127.0.0.1:PORT`.
#![cfg(feature = "server")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{bin, temp_dir, write_file};

pub(crate) const TOKEN: &str = "test-token-5f0c2a";
const BCRYPT: &str = "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";
pub(crate) const TOO_MANY: &str = r#"{"statusCode":429,"error":"Too Many Requests","message":"There are 2 active import users jobs, please wait until some of them are finished and try again"}"#;

/// A running `user-import serve`, killed (SIGKILL) when dropped.
pub(crate) struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub(crate) fn start(db: &Path, args: &[&str]) -> Server {
        Server::start_with_env(db, args, &[])
    }

    pub(crate) fn start_with_env(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(bin())
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("USER_IMPORT_TOKEN", TOKEN)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn user-import serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let _ = tx.send(addr.to_owned());
                }
                let mut log = sink.lock().expect("the log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the server did not start:\n{}",
                    log.lock().expect("the log")
                );
            }
        };
        Server { child, base, log }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().expect("the log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs curl in `dir` with `args`; returns the status code and the body.
pub(crate) fn curl_in(dir: &Path, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .current_dir(dir)
        .args(["--silent", "--show-error", "--write-out", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl (is it installed?)");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 body");
    let (body, code) = text.rsplit_once('\n').expect("status line");
    (code.parse().expect("status"), body.to_owned())
}

/// An answer with its headers (names lower-cased).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header that must be there, as a number.
    pub(crate) fn number(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header: {self:?}"))
            .parse()
            .unwrap_or_else(|_| panic!("{name} is not a number: {self:?}"))
    }
}

/// Runs curl with `args` and keeps the headers of the final answer.
pub(crate) fn curl_answer(dir: &Path, args: &[&str]) -> Answer {
    let out = Command::new("curl")
        .current_dir(dir)
        .args(["--silent", "--show-error", "--include"])
        .args(args)
        .output()
        .expect("run curl (is it installed?)");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::from_utf8(out.stdout).expect("utf-8 answer");
    loop {
        let (head, body) = text
            .split_once("\r\n\r\n")
            .map(|(h, b)| (h.to_owned(), b.to_owned()))
            .unwrap_or_else(|| panic!("no header block: {text}"));
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {head}"));
        if status == 100 {
            text = body;
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        return Answer {
            status,
            headers,
            body,
        };
    }
}

pub(crate) fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn bearer() -> String {
    format!("authorization: Bearer {TOKEN}")
}

/// The connection `serve` said it created at start, read from its log.
pub(crate) fn created_connection(s: &Server) -> String {
    let log = s.log();
    log.lines()
        .find_map(|l| l.split(" (con_").nth(1))
        .map(|rest| format!("con_{}", rest.trim_end_matches(')')))
        .unwrap_or_else(|| panic!("no connection created:\n{log}"))
}

/// `2026-11-22T10:04:05.123Z` in ms since the epoch (the shape of Auth0's times only).
pub(crate) fn iso_ms(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| -> i64 {
        s.get(r)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not an ISO 8601 time: {s}"))
    };
    assert!(
        s.len() == 24 && s.ends_with('Z'),
        "not an ISO 8601 time: {s}"
    );
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60_000 + n(17..19) * 1000 + n(20..23)
}

/// `(id, status, created_ms, started_ms, finished_ms)` of every job in the store.
pub(crate) type JobRow = (String, String, i64, Option<i64>, Option<i64>);

pub(crate) fn db_jobs(db: &Path) -> Vec<JobRow> {
    let c = rusqlite::Connection::open(db).expect("open the store");
    let mut st = c
        .prepare(
            "SELECT id, status, created_ms, started_ms, finished_ms FROM jobs ORDER BY created_ms",
        )
        .expect("a query");
    st.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .expect("a query")
    .map(|r| r.expect("a row"))
    .collect()
}

/// Auth0's "Request bulk user import" command.
pub(crate) fn post_job(
    s: &Server,
    dir: &Path,
    file: &str,
    connection: &str,
    extra: &[&str],
) -> (u16, String) {
    let url = s.url("/api/v2/jobs/users-imports");
    let users = format!("users=@{file}");
    let con = format!("connection_id={connection}");
    let mut args = vec![
        "--request",
        "POST",
        "--url",
        &url,
        "--header",
        bearer_static(),
        "--form",
        &users,
        "--form",
        &con,
    ];
    args.extend_from_slice(extra);
    curl_in(dir, &args)
}

pub(crate) fn bearer_static() -> &'static str {
    static B: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    B.get_or_init(bearer)
}

/// Auth0's "Check job status" (and "Retrieve failed entries", with `/errors`) command.
pub(crate) fn get(s: &Server, path: &str) -> (u16, String) {
    let url = s.url(path);
    curl_in(
        Path::new("."),
        &[
            "--request",
            "GET",
            "--url",
            &url,
            "--header",
            bearer_static(),
            "--header",
            "content-type: application/json",
        ],
    )
}

pub(crate) fn connection_id(s: &Server, name: &str) -> String {
    let (code, body) = get(s, "/api/v2/connections");
    assert_eq!(code, 200, "{body}");
    let list = json(&body);
    let c = list
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no connection {name}: {body}"));
    c["id"].as_str().expect("a string").to_owned()
}

/// Polls the job until it is completed or failed.
pub(crate) fn wait_done(s: &Server, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (code, body) = get(s, &format!("/api/v2/jobs/{id}"));
        assert_eq!(code, 200, "{body}");
        let job = json(&body);
        if job["status"] == "completed" || job["status"] == "failed" {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} never finished: {body}\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_id(s: &str, prefix: &str) -> bool {
    s.len() == prefix.len() + 16
        && s.starts_with(prefix)
        && s[prefix.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(crate) fn users_file(dir: &Path, name: &str, users: &Value) -> String {
    write_file(&dir.join(name), users.to_string().as_bytes());
    name.to_owned()
}

fn by_email(s: &Server, email: &str) -> Vec<Value> {
    let (code, body) = get(s, &format!("/api/v2/users-by-email?email={email}"));
    assert_eq!(code, 200, "{body}");
    json(&body).as_array().expect("a JSON array").clone()
}

pub(crate) fn db_users(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).expect("open the store");
    let mut st = c
        .prepare("SELECT email FROM users ORDER BY email")
        .expect("a query");
    st.query_map([], |r| r.get::<_, String>(0))
        .expect("a query")
        .map(|r| r.expect("a row"))
        .collect()
}

pub(crate) fn setup(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(&format!("server-{name}"));
    let db = dir.join("store.db");
    (dir, db)
}

#[test]
fn a_curl_session_from_auth0s_docs_import_status_errors_then_upsert() {
    let (dir, db) = setup("session");
    let s = Server::start(&db, &[]);
    let con = connection_id(&s, "Username-Password-Authentication");
    assert!(is_id(&con, "con_"), "{con}");

    let users = format!(
        r#"[{{"email":"Ann@Example.com","user_id":"ann1","password_hash":"{BCRYPT}","given_name":"Ann","user_metadata":{{"theme":"dark","n":1.50}}}},
            {{"email":"bo@example.com","username":"Bo"}},
            {{"email":"not-an-email","password_hash":"SECRET-HASH-VALUE"}}]"#
    );
    write_file(&dir.join("test.json"), users.as_bytes());
    let file = "test.json";
    let (code, body) = post_job(
        &s,
        &dir,
        file,
        &con,
        &["--form", "external_id=first-import"],
    );
    assert_eq!(code, 202, "{body}");
    let created = json(&body);
    assert_eq!(created["type"], "users_import");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["connection_id"], con.as_str());
    assert_eq!(created["connection"], "Username-Password-Authentication");
    assert_eq!(created["external_id"], "first-import");
    assert!(
        created["created_at"]
            .as_str()
            .expect("a string")
            .ends_with('Z')
    );
    let id = created["id"].as_str().expect("a string").to_owned();
    assert!(is_id(&id, "job_"), "{id}");

    let done = wait_done(&s, &id);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["summary"],
        json!({"failed": 1, "updated": 0, "inserted": 2, "total": 3})
    );
    assert_eq!(done["external_id"], "first-import");

    let (code, body) = get(&s, &format!("/api/v2/jobs/{id}/errors"));
    assert_eq!(code, 200, "{body}");
    assert!(!body.contains("SECRET-HASH-VALUE"), "{body}");
    let errors = json(&body);
    assert_eq!(errors.as_array().expect("a JSON array").len(), 1);
    assert_eq!(
        errors[0]["user"],
        json!({"email": "not-an-email", "password_hash": "*****"})
    );
    assert_eq!(errors[0]["errors"][0]["code"], "FORMAT");
    assert_eq!(errors[0]["errors"][0]["path"], "email");

    // What was imported, read back: the stored profile, never the hash.
    let ann = by_email(&s, "ann@example.com");
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0]["user_id"], "auth0|ann1");
    assert_eq!(ann[0]["email"], "ann@example.com");
    assert_eq!(ann[0]["email_verified"], false);
    assert_eq!(
        ann[0]["identities"][0]["connection"],
        "Username-Password-Authentication"
    );
    assert_eq!(ann[0]["identities"][0]["user_id"], "ann1");
    assert!(ann[0].get("password_hash").is_none());
    let (code, body) = get(&s, "/api/v2/users/auth0%7Cann1");
    assert_eq!(code, 200, "{body}");
    assert!(!body.contains(BCRYPT));
    assert!(
        body.contains(r#""n":1.50"#),
        "numbers kept as written: {body}"
    );
    let bo = by_email(&s, "BO@example.com");
    assert_eq!(bo[0]["username"], "bo");
    assert!(
        bo[0]["user_id"]
            .as_str()
            .expect("a string")
            .starts_with("auth0|")
    );

    // A second job with upsert: Ann is updated (metadata replaced), Cy inserted.
    let file = users_file(
        &dir,
        "second.json",
        &json!([
            {"email": "ann@example.com", "given_name": "Annie", "user_metadata": {"lang": "fr"}},
            {"email": "cy@example.com"}
        ]),
    );
    let (code, body) = post_job(&s, &dir, &file, &con, &["--form", "upsert=true"]);
    assert_eq!(code, 202, "{body}");
    let second = json(&body)["id"].as_str().expect("a string").to_owned();
    let done = wait_done(&s, &second);
    assert_eq!(
        done["summary"],
        json!({"failed": 0, "updated": 1, "inserted": 1, "total": 2})
    );
    let (_, body) = get(&s, "/api/v2/users/auth0%7Cann1");
    let ann = json(&body);
    assert_eq!(ann["given_name"], "Annie");
    assert_eq!(ann["user_metadata"], json!({"lang": "fr"}));
    let (code, _) = get(&s, &format!("/api/v2/jobs/{second}/errors"));
    assert_eq!(code, 204);

    // Without upsert, the same user fails with Auth0's text, and nothing changes.
    let (code, body) = post_job(&s, &dir, &file, &con, &[]);
    assert_eq!(code, 202, "{body}");
    let third = json(&body)["id"].as_str().expect("a string").to_owned();
    let done = wait_done(&s, &third);
    assert_eq!(
        done["summary"],
        json!({"failed": 2, "updated": 0, "inserted": 0, "total": 2})
    );
    let (_, body) = get(&s, &format!("/api/v2/jobs/{third}/errors"));
    let errors = json(&body);
    assert_eq!(errors[0]["errors"][0]["code"], "DUPLICATED_USER");
    assert_eq!(
        errors[0]["errors"][0]["message"],
        "The user already exist and upsert parameter is false"
    );
    // Beside Auth0's members, the error names the key and the user that holds it.
    assert_eq!(errors[0]["errors"][0]["key"], "email");
    assert_eq!(errors[0]["errors"][0]["existing_user_id"], "auth0|ann1");
    assert_eq!(errors[0]["errors"][0].get("path"), None);
    assert_eq!(
        db_users(&db),
        ["ann@example.com", "bo@example.com", "cy@example.com"]
    );

    // Results are kept, and unknown things are 404 in Auth0's shape.
    let (code, _) = get(&s, &format!("/api/v2/jobs/{id}/errors"));
    assert_eq!(code, 200);
    let (code, body) = get(&s, "/api/v2/jobs/job_0000000000000000/errors");
    assert_eq!(code, 404);
    assert_eq!(
        body,
        r#"{"statusCode":404,"error":"Not Found","message":"The job does not exist.","errorCode":"inexistent_job"}"#
    );
    let (code, body) = get(&s, "/api/v2/users/auth0%7Cnobody");
    assert_eq!(code, 404);
    assert_eq!(
        body,
        r#"{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}"#
    );
}

#[test]
fn auth0s_400_401_and_413_bodies() {
    let (dir, db) = setup("errors");
    let s = Server::start(&db, &["--connection", "Main", "--connection", "Other"]);
    let con = connection_id(&s, "Main");
    assert!(is_id(&connection_id(&s, "Other"), "con_"));
    let file = users_file(&dir, "test.json", &json!([{"email": "a@example.com"}]));
    let url = s.url("/api/v2/jobs/users-imports");

    // 401: no token, a wrong token.
    let (code, body) = curl_in(
        &dir,
        &[
            "--request",
            "POST",
            "--url",
            &url,
            "--form",
            "users=@test.json",
        ],
    );
    assert_eq!(
        (code, body.as_str()),
        (
            401,
            r#"{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}"#
        )
    );
    let (code, body) = curl_in(
        &dir,
        &[
            "--request",
            "GET",
            "--url",
            &s.url("/api/v2/connections"),
            "--header",
            "authorization: Bearer wrong",
        ],
    );
    assert_eq!(
        (code, body.as_str()),
        (
            401,
            r#"{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}"#
        )
    );

    // 400: no file, no connection_id, a malformed one, an unknown one, a bad boolean.
    let (code, body) = curl_in(
        &dir,
        &[
            "--request",
            "POST",
            "--url",
            &url,
            "--header",
            bearer_static(),
            "--form",
            &format!("connection_id={con}"),
        ],
    );
    assert_eq!(code, 400);
    assert_eq!(
        body,
        r#"{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Missing required property: users'.","errorCode":"invalid_body"}"#
    );
    let (code, body) = curl_in(
        &dir,
        &[
            "--request",
            "POST",
            "--url",
            &url,
            "--header",
            bearer_static(),
            "--form",
            "users=@test.json",
        ],
    );
    assert_eq!(code, 400);
    assert_eq!(
        body,
        r#"{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Missing required property: connection_id'.","errorCode":"invalid_body"}"#
    );
    let (code, body) = post_job(&s, &dir, &file, "Main", &[]);
    assert_eq!(code, 400);
    assert_eq!(
        body,
        r#"{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id","errorCode":"invalid_body"}"#
    );
    let (code, body) = post_job(&s, &dir, &file, "con_0000000000000000", &[]);
    assert_eq!(code, 400);
    assert_eq!(
        body,
        r#"{"statusCode":400,"error":"Bad Request","message":"The connection does not exist.","errorCode":"inexistent_connection"}"#
    );
    let (code, body) = post_job(&s, &dir, &file, &con, &["--form", "upsert=yes"]);
    assert_eq!(code, 400);
    assert_eq!(
        body,
        r#"{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Expected type boolean but found type string' on property upsert","errorCode":"invalid_body"}"#
    );

    // 413 above 512000 bytes of file; exactly 512000 is accepted.
    let record = br#"{"email":"big@example.com"}"#;
    let sized = |n: usize| {
        let mut v = b"[".to_vec();
        v.extend_from_slice(record);
        v.resize(n - 1, b' ');
        v.push(b']');
        v
    };
    write_file(&dir.join("over.json"), &sized(512_001));
    let (code, body) = post_job(&s, &dir, "over.json", &con, &[]);
    assert_eq!(code, 413, "{body}");
    assert_eq!(
        body,
        r#"{"statusCode":413,"error":"Request Entity Too Large","message":"Payload content length greater than maximum allowed: 512000"}"#
    );
    write_file(&dir.join("far-over.json"), &sized(3_000_000));
    let (code, _) = post_job(&s, &dir, "far-over.json", &con, &[]);
    assert_eq!(code, 413);
    write_file(&dir.join("limit.json"), &sized(512_000));
    let (code, body) = post_job(&s, &dir, "limit.json", &con, &[]);
    assert_eq!(code, 202, "{body}");
    let done = wait_done(&s, json(&body)["id"].as_str().expect("a string"));
    assert_eq!(done["summary"]["inserted"], 1);
    assert!(db_users(&db) == ["big@example.com"]);
    let (code, _) = get(&s, "/api/v2/no-such-route");
    assert_eq!(code, 404);
}

#[test]
fn a_third_active_job_gets_auth0s_429_and_a_failed_array_fails_the_job() {
    let (dir, db) = setup("429");
    let s = Server::start(&db, &["--job-delay-ms", "1500", "--max-file-bytes", "1000"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    let mut ids = Vec::new();
    for i in 0..2 {
        let f = users_file(
            &dir,
            &format!("u{i}.json"),
            &json!([{"email": format!("u{i}@example.com")}]),
        );
        let (code, body) = post_job(&s, &dir, &f, &con, &[]);
        assert_eq!(code, 202, "{body}");
        ids.push(json(&body)["id"].as_str().expect("a string").to_owned());
    }
    let (code, body) = post_job(&s, &dir, "u0.json", &con, &[]);
    assert_eq!((code, body.as_str()), (429, TOO_MANY));
    // A processing job reports its progress.
    let (_, body) = get(&s, &format!("/api/v2/jobs/{}", ids[0]));
    let job = json(&body);
    if job["status"] == "processing" {
        assert!(job["percentage_done"].as_u64().expect("a number") <= 99);
        assert!(job["time_left_seconds"].is_u64());
    }
    for id in &ids {
        assert_eq!(wait_done(&s, id)["status"], "completed");
    }
    // --max-file-bytes changes the limit.
    write_file(&dir.join("big.json"), &[b' '; 1001]);
    let (code, body) = post_job(&s, &dir, "big.json", &con, &[]);
    assert_eq!(code, 413);
    assert!(body.contains("maximum allowed: 1000"), "{body}");
    // A malformed array fails the whole job; nothing lands.
    write_file(&dir.join("bad.json"), br#"[{"email":"z@example.com"},]"#);
    let (code, body) = post_job(&s, &dir, "bad.json", &con, &[]);
    assert_eq!(code, 202);
    let job = wait_done(&s, json(&body)["id"].as_str().expect("a string"));
    assert_eq!(job["status"], "failed");
    assert!(
        job["status_details"]
            .as_str()
            .expect("a string")
            .contains("line 1"),
        "{job}"
    );
    assert_eq!(db_users(&db), ["u0@example.com", "u1@example.com"]);
}

#[test]
fn concurrent_jobs_decide_against_each_others_users() {
    // Both jobs snapshot the store before either lands; the second to land must see the
    // first's user, as if they had run one after the other.
    let (dir, db) = setup("concurrent");
    let s = Server::start(&db, &["--job-delay-ms", "700"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    let a = users_file(
        &dir,
        "a.json",
        &json!([{"email": "same@example.com", "given_name": "A"}, {"email": "a@example.com"}]),
    );
    let b = users_file(
        &dir,
        "b.json",
        &json!([{"email": "Same@example.com", "given_name": "B"}, {"email": "b@example.com"}]),
    );
    let (_, ja) = post_job(&s, &dir, &a, &con, &[]);
    let (_, jb) = post_job(&s, &dir, &b, &con, &[]);
    let ja = wait_done(&s, json(&ja)["id"].as_str().expect("a string"));
    let jb = wait_done(&s, json(&jb)["id"].as_str().expect("a string"));
    let failed = [&ja, &jb]
        .iter()
        .filter(|j| j["summary"]["failed"] == 1)
        .count();
    assert_eq!(failed, 1, "{ja} {jb}");
    assert_eq!(
        ja["summary"]["inserted"].as_u64().expect("a number")
            + jb["summary"]["inserted"].as_u64().expect("a number"),
        3
    );
    assert_eq!(
        db_users(&db),
        ["a@example.com", "b@example.com", "same@example.com"]
    );
    assert!(s.log().contains("completed"));
}

#[test]
fn load_20_concurrent_clients_two_active_at_a_time() {
    let (dir, db) = setup("load");
    // Twenty clients retrying every 50 ms are far over Auth0's rate; this test is about the
    // job slots, so the rate limit is out of the way.
    let s = Server::start(&db, &["--job-delay-ms", "1500", "--rate-limit", "100000"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    const CLIENTS: usize = 20;
    const USERS: usize = 10;
    let mut expected = Vec::new();
    for c in 0..CLIENTS {
        let users: Vec<Value> = (0..USERS)
            .map(|u| {
                let email = format!("c{c:02}u{u:02}@example.com");
                expected.push(email.clone());
                json!({"email": email, "user_id": format!("c{c}u{u}"), "password_hash": BCRYPT})
            })
            .collect();
        users_file(&dir, &format!("client{c}.json"), &Value::Array(users));
    }
    expected.sort();
    let started = Instant::now();
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let s = Arc::new(s);
    let handles: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (s, dir, con, barrier) = (s.clone(), dir.clone(), con.clone(), barrier.clone());
            std::thread::spawn(move || {
                let file = format!("client{c}.json");
                barrier.wait();
                let (code, body) = post_job(&s, &dir, &file, &con, &[]);
                let first = code;
                let mut tries = 1;
                let (mut code, mut body) = (code, body);
                // Rejected clients come back until their job is accepted (bounded).
                while code == 429 {
                    assert_eq!(body, TOO_MANY);
                    assert!(tries < 2_000, "client {c} never got a slot");
                    std::thread::sleep(Duration::from_millis(50));
                    (code, body) = post_job(&s, &dir, &file, &con, &[]);
                    tries += 1;
                }
                assert_eq!(code, 202, "{body}");
                (
                    first,
                    json(&body)["id"].as_str().expect("a string").to_owned(),
                )
            })
        })
        .collect();
    let results: Vec<(u16, String)> = handles
        .into_iter()
        .map(|h| h.join().expect("a client"))
        .collect();
    let first_accepted = results.iter().filter(|(c, _)| *c == 202).count();
    let first_rejected = results.iter().filter(|(c, _)| *c == 429).count();
    assert_eq!((first_accepted, first_rejected), (2, 18), "the first burst");
    for (_, id) in &results {
        let job = wait_done(&s, id);
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(
            job["summary"],
            json!({"failed": 0, "updated": 0, "inserted": USERS, "total": USERS})
        );
    }
    let wall = started.elapsed();
    assert_eq!(db_users(&db), expected);
    // The store's own record: never more than two jobs active at once, and two at times.
    let c = rusqlite::Connection::open(&db).expect("open the store");
    let mut st = c
        .prepare("SELECT created_ms, finished_ms FROM jobs")
        .expect("a query");
    let spans: Vec<(i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("a query")
        .map(|r| r.expect("a row"))
        .collect();
    assert_eq!(spans.len(), CLIENTS);
    let most = spans
        .iter()
        .map(|&(t, _)| spans.iter().filter(|&&(a, b)| a <= t && t < b).count())
        .max()
        .expect("jobs");
    assert_eq!(most, 2, "{spans:?}");
    eprintln!(
        "load: {CLIENTS} clients, {} jobs of {USERS} users in {:.2} s",
        CLIENTS,
        wall.as_secs_f64()
    );
}

#[test]
fn kill_9_during_a_job_then_restart_fails_it_and_keeps_none_of_its_users() {
    let (dir, db) = setup("fault");
    let file = users_file(
        &dir,
        "test.json",
        &json!([{"email": "k1@example.com"}, {"email": "k2@example.com", "username": "k2"}]),
    );
    let mut s = Server::start(&db, &["--job-delay-ms", "60000"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    let (code, body) = post_job(&s, &dir, &file, &con, &[]);
    assert_eq!(code, 202, "{body}");
    let id = json(&body)["id"].as_str().expect("a string").to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = get(&s, &format!("/api/v2/jobs/{id}"));
        if json(&body)["status"] == "processing" {
            break;
        }
        assert!(Instant::now() < deadline, "never processing: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    s.kill(); // SIGKILL
    drop(s);

    let s = Server::start(&db, &[]);
    assert!(
        s.log().contains(&id),
        "the restart names the failed job:\n{}",
        s.log()
    );
    let (code, body) = get(&s, &format!("/api/v2/jobs/{id}"));
    assert_eq!(code, 200);
    let job = json(&body);
    assert_eq!(job["status"], "failed");
    assert_eq!(
        job["status_details"],
        "the server stopped while the job was running"
    );
    assert!(by_email(&s, "k1@example.com").is_empty());
    assert!(db_users(&db).is_empty());
    assert_eq!(
        connection_id(&s, "Username-Password-Authentication"),
        con,
        "connections survive"
    );

    let (code, body) = post_job(&s, &dir, &file, &con, &[]);
    assert_eq!(code, 202, "{body}");
    let done = wait_done(&s, json(&body)["id"].as_str().expect("a string"));
    assert_eq!(
        done["summary"],
        json!({"failed": 0, "updated": 0, "inserted": 2, "total": 2})
    );
    assert_eq!(db_users(&db), ["k1@example.com", "k2@example.com"]);
}

#[test]
fn a_job_past_its_time_limit_fails_and_frees_its_slot() {
    let (dir, db) = setup("timeout");
    let s = Server::start(&db, &["--job-timeout-secs", "1", "--job-delay-ms", "4000"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    let file = users_file(&dir, "test.json", &json!([{"email": "t@example.com"}]));
    let (_, body) = post_job(&s, &dir, &file, &con, &[]);
    let job = wait_done(&s, json(&body)["id"].as_str().expect("a string"));
    assert_eq!(job["status"], "failed");
    assert_eq!(
        job["status_details"],
        "the job did not complete within 1 second"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(db_users(&db).is_empty());
    let (code, _) = post_job(&s, &dir, &file, &con, &[]);
    assert_eq!(code, 202);
    let (code, _) = post_job(&s, &dir, &file, &con, &[]);
    assert_eq!(code, 202, "the failed job's slot is free");
}

#[test]
fn retention_deletes_finished_jobs_but_not_their_users() {
    let (dir, db) = setup("retention");
    let s = Server::start(&db, &["--retention", "1s"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    let file = users_file(
        &dir,
        "test.json",
        &json!([{"email": "r@example.com"}, {"email": "bad"}]),
    );
    let (_, body) = post_job(&s, &dir, &file, &con, &[]);
    let id = json(&body)["id"].as_str().expect("a string").to_owned();
    assert_eq!(wait_done(&s, &id)["status"], "completed");
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(&s, &format!("/api/v2/jobs/{id}")).0 != 404 {
        assert!(Instant::now() < deadline, "the job was never deleted");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(get(&s, &format!("/api/v2/jobs/{id}/errors")).0, 404);
    assert_eq!(by_email(&s, "r@example.com").len(), 1);
}

#[test]
fn serve_refuses_to_start_without_a_token() {
    let (_dir, db) = setup("token");
    let out = Command::new(bin())
        .args(["serve", "--db"])
        .arg(&db)
        .env_remove("USER_IMPORT_TOKEN")
        .output()
        .expect("run user-import");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("USER_IMPORT_TOKEN"));
    assert!(!db.exists());
}
