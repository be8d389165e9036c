//! `serve`'s rate limit: Auth0's `x-ratelimit-*` headers on every `/api/v2` answer, the
//! global 429 once the bucket is empty, and `retry-after` on every 429.
#![cfg(feature = "server")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::server::{
    Answer, Server, TOKEN, TOO_MANY, bearer_static, connection_id, curl_answer, json, setup,
    users_file, wait_done,
};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn get(s: &Server, path: &str, auth: Option<&str>) -> Answer {
    let url = s.url(path);
    let mut args = vec!["--url", url.as_str()];
    if let Some(a) = auth {
        args.extend(["--header", a]);
    }
    curl_answer(Path::new("."), &args)
}

fn post(s: &Server, dir: &Path, file: &str, con: &str) -> Answer {
    let url = s.url("/api/v2/jobs/users-imports");
    let users = format!("users=@{file}");
    let con = format!("connection_id={con}");
    curl_answer(
        dir,
        &[
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
        ],
    )
}

#[test]
fn every_api_answer_carries_the_rate_headers_and_an_empty_bucket_gets_auth0s_429() {
    let (_dir, db) = setup("rate");
    let s = Server::start(&db, &["--rate-limit", "3"]);
    let auth = bearer_static();
    let before = now_secs();
    let first = get(&s, "/api/v2/connections", Some(auth));
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.number("x-ratelimit-limit"), 3);
    assert_eq!(first.number("x-ratelimit-remaining"), 2);
    // Full again within a second of the call (reset is when the bucket is full).
    let reset = first.number("x-ratelimit-reset");
    assert!(
        (before..=now_secs() + 2).contains(&reset),
        "{reset} vs {before}"
    );
    assert!(first.header("retry-after").is_none());

    // Refusals and unknown routes under /api/v2 count and say so too.
    let unauthorized = get(&s, "/api/v2/connections", None);
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.number("x-ratelimit-limit"), 3);
    let missing = get(&s, "/api/v2/nothing-here", Some(auth));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.number("x-ratelimit-limit"), 3);
    // Outside /api/v2 nothing is counted.
    let outside = get(&s, "/nothing-here", None);
    assert_eq!(outside.status, 404);
    assert!(outside.header("x-ratelimit-limit").is_none());

    // Three a second: calls in a row empty the bucket within a few.
    let started = now_secs();
    let refused = (0..20)
        .map(|_| get(&s, "/api/v2/connections", Some(auth)))
        .find(|a| a.status != 200)
        .expect("a 429 within 20 calls at 3 a second");
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(
        json(&refused.body),
        json!({"statusCode": 429, "error": "Too Many Requests", "message": "Global limit has been reached", "errorCode": "too_many_requests"})
    );
    assert_eq!(refused.number("x-ratelimit-limit"), 3);
    assert_eq!(refused.number("x-ratelimit-remaining"), 0);
    assert!(refused.number("x-ratelimit-reset") > started);
    assert!(refused.number("retry-after") >= 1);
    // Waiting as told is enough.
    std::thread::sleep(Duration::from_secs(refused.number("retry-after")));
    assert_eq!(get(&s, "/api/v2/connections", Some(auth)).status, 200);
    // The bearer token never shows.
    assert!(!refused.body.contains(TOKEN) && !s.log().contains(TOKEN));
}

#[test]
fn the_two_active_jobs_429_says_when_to_retry() {
    let (dir, db) = setup("rate-jobs");
    let s = Server::start(&db, &["--job-delay-ms", "1500"]);
    let con = connection_id(&s, "Username-Password-Authentication");
    let mut ids = Vec::new();
    for i in 0..2 {
        let f = users_file(
            &dir,
            &format!("u{i}.json"),
            &json!([{"email": format!("u{i}@example.com")}]),
        );
        let a = post(&s, &dir, &f, &con);
        assert_eq!(a.status, 202, "{a:?}");
        assert_eq!(a.number("x-ratelimit-limit"), 50);
        ids.push(json(&a.body)["id"].as_str().expect("an id").to_owned());
    }
    let third = post(&s, &dir, "u0.json", &con);
    assert_eq!((third.status, third.body.as_str()), (429, TOO_MANY));
    assert!((1..=5).contains(&third.number("retry-after")), "{third:?}");
    assert_eq!(third.number("x-ratelimit-limit"), 50);
    assert!(third.number("x-ratelimit-remaining") < 50);
    for id in &ids {
        assert_eq!(wait_done(&s, id)["status"], "completed");
    }
}

/// Sends a POST's head, waits for the server to have answered (it answers refusals without
/// reading the body), then sends the body; returns the status line read back.
fn post_late_body(s: &Server, auth: &str) -> String {
    let addr = s.url("").trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    let body = vec![b'x'; 300_000];
    let head = format!(
        "POST /api/v2/jobs/users-imports HTTP/1.1\r\nhost: {addr}\r\n{auth}content-type: multipart/form-data; boundary=XX\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("the head");
    std::thread::sleep(Duration::from_millis(300));
    // Before the fix, the server had closed the connection by now: this write or the read
    // below failed (EPIPE, reset) and the client never saw the status.
    for chunk in body.chunks(10_000) {
        stream.write_all(chunk).expect("the body");
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).expect("the answer");
        assert!(n > 0, "the connection ended before the answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn refusals_read_the_upload_first_so_the_client_sees_them() {
    let (_dir, db) = setup("rate-refusals");
    let s = Server::start(&db, &["--rate-limit", "1"]);
    assert_eq!(post_late_body(&s, ""), "HTTP/1.1 401 Unauthorized");
    // The bucket of one is empty now: a 429, read after the whole upload.
    let auth = format!("{}\r\n", bearer_static());
    assert_eq!(post_late_body(&s, &auth), "HTTP/1.1 429 Too Many Requests");
}
