//! `serve`'s fault mode (`USER_IMPORT_FAULTS`), each fault as a client meets it on the
//! wire: statuses answered before anything is done, answers dropped after the job exists,
//! answers held back, slow jobs and failing jobs, and the store's times for all of them.
#![cfg(feature = "server")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::bin;
use crate::server::{
    Server, TOO_MANY, bearer_static, created_connection, curl_answer, db_jobs, db_users, get,
    iso_ms, json, post_job, setup, users_file, wait_done,
};

fn post_args<'a>(url: &'a str, users: &'a str, con: &'a str) -> Vec<&'a str> {
    vec![
        "--request",
        "POST",
        "--url",
        url,
        "--header",
        bearer_static(),
        "--form",
        users,
        "--form",
        con,
    ]
}

#[test]
fn statuses_are_answered_before_anything_is_done() {
    let (dir, db) = setup("faults-status");
    let s = Server::start_with_env(
        &db,
        &["--rate-limit", "10000"],
        &[("USER_IMPORT_FAULTS", "seed=3,429=0.34,500=0.33,503=0.33")],
    );
    assert!(
        s.log()
            .contains("FAULTS ON (USER_IMPORT_FAULTS): seed=3, 429=0.34, 500=0.33, 503=0.33"),
        "{}",
        s.log()
    );
    let con = created_connection(&s);
    let f = users_file(&dir, "u.json", &json!([{"email": "f@example.com"}]));
    let url = s.url("/api/v2/jobs/users-imports");
    let users = format!("users=@{f}");
    let con = format!("connection_id={con}");
    let mut seen = Vec::new();
    for _ in 0..30 {
        let a = curl_answer(&dir, &post_args(&url, &users, &con));
        let expected = match a.status {
            429 => {
                assert_eq!(a.number("retry-after"), 1);
                assert_eq!(a.number("x-ratelimit-remaining"), 0);
                json!({"statusCode": 429, "error": "Too Many Requests", "message": "Global limit has been reached", "errorCode": "too_many_requests"})
            }
            500 => {
                json!({"statusCode": 500, "error": "Internal Server Error", "message": "Internal Server Error"})
            }
            503 => {
                json!({"statusCode": 503, "error": "Service Unavailable", "message": "Service Unavailable"})
            }
            other => panic!("{other}: {a:?}"),
        };
        assert_eq!(json(&a.body), expected);
        assert_eq!(a.number("x-ratelimit-limit"), 10000);
        seen.push(a.status);
    }
    for status in [429, 500, 503] {
        assert!(seen.contains(&status), "{seen:?}");
    }
    // Nothing was done: no job, no user.
    assert!(db_jobs(&db).is_empty());
    assert!(db_users(&db).is_empty());
    // Outside /api/v2 (the token endpoint) nothing is injected.
    let token = curl_answer(
        Path::new("."),
        &[
            "--request",
            "POST",
            "--url",
            &s.url("/oauth/token"),
            "--data",
            "grant_type=client_credentials",
        ],
    );
    assert_eq!(token.status, 400, "{token:?}");
}

/// POSTs a job over a raw connection; returns what came back before the connection ended.
fn raw_post(s: &Server, con: &str) -> std::io::Result<Vec<u8>> {
    let addr = s.url("").trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = format!(
        "--XX\r\nContent-Disposition: form-data; name=\"users\"; filename=\"u.json\"\r\n\r\n[{{\"email\":\"raw@example.com\"}}]\r\n--XX\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\n{con}\r\n--XX--\r\n"
    );
    let head = format!(
        "POST /api/v2/jobs/users-imports HTTP/1.1\r\nhost: {addr}\r\n{}\r\ncontent-type: multipart/form-data; boundary=XX\r\ncontent-length: {}\r\n\r\n",
        bearer_static(),
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut got = Vec::new();
    stream.read_to_end(&mut got)?;
    Ok(got)
}

#[test]
fn a_dropped_answer_ends_the_connection_after_the_job_is_created() {
    let (dir, db) = setup("faults-drop");
    let s = Server::start_with_env(&db, &[], &[("USER_IMPORT_FAULTS", "drop=1")]);
    let con = created_connection(&s);
    // curl: the connection closes with no answer at all ("empty reply", exit 52).
    let f = users_file(&dir, "u.json", &json!([{"email": "d@example.com"}]));
    let out = Command::new("curl")
        .current_dir(&dir)
        .args(["--silent", "--show-error", "--include"])
        .args(post_args(
            &s.url("/api/v2/jobs/users-imports"),
            &format!("users=@{f}"),
            &format!("connection_id={con}"),
        ))
        .output()
        .expect("curl");
    assert_eq!(
        out.status.code(),
        Some(52),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "no byte of an answer");
    // A raw connection: not one byte, then the end (or a reset).
    match raw_post(&s, &con) {
        Ok(bytes) => assert!(bytes.is_empty(), "{}", String::from_utf8_lossy(&bytes)),
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}"),
    }
    // Both jobs exist and ran: a client that sends the file again would import twice.
    let deadline = Instant::now() + Duration::from_secs(60);
    while db_jobs(&db).iter().any(|j| j.1 != "completed") || db_jobs(&db).len() < 2 {
        assert!(Instant::now() < deadline, "{:?}", db_jobs(&db));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(db_users(&db), ["d@example.com", "raw@example.com"]);
    // GETs are untouched by drop.
    let (code, _) = get(&s, "/api/v2/connections");
    assert_eq!(code, 200);
    assert_eq!(s.log().matches("its answer is dropped").count(), 2);
}

#[test]
fn a_held_answer_comes_after_the_job_exists_and_a_killed_client_leaves_the_job() {
    let (dir, db) = setup("faults-delay");
    let s = Server::start_with_env(&db, &[], &[("USER_IMPORT_FAULTS", "post_delay=1500ms")]);
    let con = created_connection(&s);
    let f = users_file(&dir, "u.json", &json!([{"email": "k@example.com"}]));
    let url = s.url("/api/v2/jobs/users-imports");
    let users = format!("users=@{f}");
    let con_field = format!("connection_id={con}");
    // A client killed while its POST is in flight, after the job exists.
    let sent = Instant::now();
    let mut child = Command::new("curl")
        .current_dir(&dir)
        .arg("--silent")
        .args(post_args(&url, &users, &con_field))
        .stdout(Stdio::null())
        .spawn()
        .expect("curl");
    let deadline = Instant::now() + Duration::from_secs(10);
    while db_jobs(&db).is_empty() {
        assert!(Instant::now() < deadline, "no job was created");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().expect("curl's state").is_none(),
        "the answer came before post_delay ({:?})",
        sent.elapsed()
    );
    let _ = child.kill();
    let _ = child.wait();
    let jobs = db_jobs(&db);
    assert_eq!(jobs.len(), 1);
    let id = jobs[0].0.clone();
    assert_eq!(wait_done(&s, &id)["status"], "completed");
    assert_eq!(db_users(&db), ["k@example.com"]);

    // A client that waits gets the 202, post_delay after the job was created.
    let f = users_file(&dir, "v.json", &json!([{"email": "v@example.com"}]));
    let sent = Instant::now();
    let (code, body) = post_job(&s, &dir, &f, &con, &[]);
    let took = sent.elapsed();
    assert_eq!(code, 202, "{body}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    let job = json(&body);
    let created = db_jobs(&db)
        .into_iter()
        .find(|j| job["id"] == j.0.as_str())
        .expect("the job");
    // created_at is when the job was created, not when the answer left.
    assert_eq!(
        iso_ms(job["created_at"].as_str().expect("a time")),
        created.2
    );
}

#[test]
fn slow_jobs_stay_active_and_hold_their_slots() {
    let (dir, db) = setup("faults-slow");
    let s = Server::start_with_env(
        &db,
        &[],
        &[("USER_IMPORT_FAULTS", "slow=1,slow_for=1500ms")],
    );
    let con = created_connection(&s);
    let mut ids = Vec::new();
    for i in 0..2 {
        let f = users_file(
            &dir,
            &format!("s{i}.json"),
            &json!([{"email": format!("s{i}@example.com")}]),
        );
        let (code, body) = post_job(&s, &dir, &f, &con, &[]);
        assert_eq!(code, 202, "{body}");
        ids.push(json(&body)["id"].as_str().expect("an id").to_owned());
    }
    std::thread::sleep(Duration::from_millis(500));
    let (_, body) = get(&s, &format!("/api/v2/jobs/{}", ids[0]));
    assert_eq!(json(&body)["status"], "pending", "{body}");
    let (code, body) = post_job(&s, &dir, "s0.json", &con, &[]);
    assert_eq!((code, body.as_str()), (429, TOO_MANY));
    for id in &ids {
        assert_eq!(wait_done(&s, id)["status"], "completed");
    }
    for (_, status, created, started, finished) in db_jobs(&db) {
        assert_eq!(status, "completed");
        let started = started.expect("started_ms");
        assert!(started - created >= 1500, "{created} {started}");
        assert!(finished.expect("finished_ms") >= started);
    }
    assert_eq!(db_users(&db), ["s0@example.com", "s1@example.com"]);
}

#[test]
fn failing_jobs_write_nothing_and_record_their_times() {
    let (dir, db) = setup("faults-fail");
    let s = Server::start_with_env(&db, &[], &[("USER_IMPORT_FAULTS", "seed=9,fail=1")]);
    let con = created_connection(&s);
    let f = users_file(
        &dir,
        "u.json",
        &json!([{"email": "x@example.com"}, {"email": "bad"}]),
    );
    let (code, body) = post_job(&s, &dir, &f, &con, &[]);
    assert_eq!(code, 202, "{body}");
    let id = json(&body)["id"].as_str().expect("an id").to_owned();
    let done = wait_done(&s, &id);
    assert_eq!(done["status"], "failed");
    assert_eq!(
        done["status_details"],
        "the job did not complete within 2 hours"
    );
    assert_eq!(done["created_at"], json(&body)["created_at"]);
    assert!(done.get("summary").is_none());
    assert_eq!(get(&s, &format!("/api/v2/jobs/{id}/errors")).0, 204);
    assert!(db_users(&db).is_empty());
    let jobs = db_jobs(&db);
    let (_, _, created, started, finished) = &jobs[0];
    assert!(started.expect("started_ms") >= *created);
    assert!(finished.expect("finished_ms") >= started.expect("started_ms"));
    assert_eq!(
        iso_ms(done["created_at"].as_str().expect("a time")),
        *created
    );
}

#[test]
fn a_malformed_fault_spec_stops_serve() {
    let (_dir, db) = setup("faults-bad");
    for (spec, says) in [
        ("drop=2", "drop=2"),
        ("slow=0.5", "slow_for"),
        ("nap=1", "unknown fault 'nap'"),
    ] {
        let out = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .env("USER_IMPORT_TOKEN", "t")
            .env("USER_IMPORT_FAULTS", spec)
            .output()
            .expect("run user-import");
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("USER_IMPORT_FAULTS") && err.contains(says),
            "{spec}: {err}"
        );
    }
    assert!(!db.exists(), "nothing was started");
}
