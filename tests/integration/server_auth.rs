//! `serve`'s client-credentials grant (`POST /oauth/token`), as Auth0's SDKs and `submit`
//! use it: tokens that work on every route, expire after `--token-ttl`, and Auth0's error
//! bodies for everything else.
#![cfg(feature = "server")]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::bin;
use crate::server::{
    Answer, Server, connection_id, curl_answer, json, setup, users_file, wait_done,
};

const CLIENT_ID: &str = "import-client-7";
const SECRET: &str = "cl1ent-secret-9b1d";
const AUDIENCE: &str = "https://tenant.example/api/v2/";

fn grant_json(s: &Server, body: &Value) -> Answer {
    let url = s.url("/oauth/token");
    let body = body.to_string();
    curl_answer(
        Path::new("."),
        &[
            "--request",
            "POST",
            "--url",
            &url,
            "--header",
            "content-type: application/json",
            "--data",
            &body,
        ],
    )
}

fn grant_form(s: &Server, form: &str) -> Answer {
    let url = s.url("/oauth/token");
    curl_answer(
        Path::new("."),
        &[
            "--request",
            "POST",
            "--url",
            &url,
            "--header",
            "content-type: application/x-www-form-urlencoded",
            "--data",
            form,
        ],
    )
}

fn call(s: &Server, path: &str, token: &str) -> Answer {
    let url = s.url(path);
    let auth = format!("authorization: Bearer {token}");
    curl_answer(Path::new("."), &["--url", &url, "--header", &auth])
}

fn credentials() -> Value {
    json!({
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "audience": AUDIENCE,
    })
}

fn without(key: &str) -> Value {
    let mut v = credentials();
    v.as_object_mut().expect("an object").remove(key);
    v
}

fn with(key: &str, value: &str) -> Value {
    let mut v = credentials();
    v[key] = value.into();
    v
}

#[test]
fn client_credentials_give_tokens_that_work_then_expire() {
    let (dir, db) = setup("grant");
    let s = Server::start_with_env(
        &db,
        &["--token-ttl", "2s"],
        &[
            ("USER_IMPORT_CLIENT_ID", CLIENT_ID),
            ("USER_IMPORT_CLIENT_SECRET", SECRET),
        ],
    );
    let a = grant_json(&s, &credentials());
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.header("cache-control"), Some("no-store"));
    let issued = Instant::now();
    let body = json(&a.body);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 2);
    assert_eq!(body["scope"], "read:connections read:users create:users");
    let token = body["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    // The form that Auth0's Node SDK sends gives another token.
    let form = format!(
        "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&audience=https%3A%2F%2Ftenant.example%2Fapi%2Fv2%2F"
    );
    let b = grant_form(&s, &form);
    assert_eq!(b.status, 200, "{b:?}");
    let other = json(&b.body)["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_ne!(other, token);

    // The token works on every route, a job included.
    let listed = call(&s, "/api/v2/connections", &token);
    assert_eq!(listed.status, 200, "{listed:?}");
    let con = connection_id(&s, "Username-Password-Authentication");
    let url = s.url("/api/v2/jobs/users-imports");
    let f = users_file(&dir, "u.json", &json!([{"email": "t@example.com"}]));
    let users = format!("users=@{f}");
    let con_field = format!("connection_id={con}");
    let auth = format!("authorization: Bearer {token}");
    let posted = curl_answer(
        &dir,
        &[
            "--request",
            "POST",
            "--url",
            &url,
            "--header",
            &auth,
            "--form",
            &users,
            "--form",
            &con_field,
        ],
    );
    assert_eq!(posted.status, 202, "{posted:?}");
    let id = json(&posted.body)["id"].as_str().expect("an id").to_owned();
    assert_eq!(wait_done(&s, &id)["status"], "completed");

    // Once the TTL has passed: Auth0's expired-token answer; the static token still works.
    let wait = Duration::from_millis(2300).saturating_sub(issued.elapsed());
    std::thread::sleep(wait);
    let expired = call(&s, &format!("/api/v2/jobs/{id}"), &token);
    assert_eq!(expired.status, 401);
    assert_eq!(
        json(&expired.body),
        json!({
            "statusCode": 401,
            "error": "Unauthorized",
            "message": "Expired token received for JSON Web Token validation",
            "attributes": {"error": "Expired token received for JSON Web Token validation"},
        })
    );
    assert_eq!(call(&s, "/api/v2/connections", &other).status, 401);
    assert_eq!(
        call(&s, "/api/v2/connections", crate::server::TOKEN).status,
        200
    );
    let made_up = call(&s, "/api/v2/connections", &"0".repeat(64));
    assert_eq!(
        (made_up.status, json(&made_up.body)["message"].clone()),
        (401, json!("Invalid token"))
    );
    // A new grant works again.
    let again = grant_json(&s, &credentials());
    let fresh = json(&again.body)["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(call(&s, "/api/v2/connections", &fresh).status, 200);

    let log = s.log();
    for secret in [SECRET, &token, &other, &fresh] {
        assert!(!log.contains(secret), "a secret is in the log:\n{log}");
    }
}

#[test]
fn the_token_endpoint_answers_as_auth0_does() {
    let (_dir, db) = setup("grant-errors");
    let s = Server::start_with_env(
        &db,
        &[],
        &[
            ("USER_IMPORT_CLIENT_ID", CLIENT_ID),
            ("USER_IMPORT_CLIENT_SECRET", SECRET),
        ],
    );
    let denied = json!({"error": "access_denied", "error_description": "Unauthorized"});
    let cases: Vec<(Answer, u16, Value)> = vec![
        (
            grant_json(&s, &with("client_secret", "wrong")),
            401,
            denied.clone(),
        ),
        (
            grant_json(&s, &with("client_id", "someone-else")),
            401,
            denied.clone(),
        ),
        (
            grant_json(&s, &with("grant_type", "password")),
            403,
            json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant type: password"}),
        ),
        (
            grant_json(&s, &without("grant_type")),
            400,
            json!({"error": "invalid_request", "error_description": "Missing required parameter: grant_type"}),
        ),
        (
            grant_json(&s, &without("client_secret")),
            400,
            json!({"error": "invalid_request", "error_description": "Missing required parameter: client_secret"}),
        ),
        (
            grant_json(&s, &without("audience")),
            400,
            json!({"error": "invalid_request", "error_description": "Missing required parameter: audience"}),
        ),
        (
            grant_json(&s, &with("audience", "https://tenant.example/other/")),
            403,
            json!({"error": "access_denied", "error_description": "Service not enabled within domain: https://tenant.example/other/"}),
        ),
        (
            grant_form(&s, "grant_type=client_credentials&client_id=x"),
            400,
            json!({"error": "invalid_request", "error_description": "Missing required parameter: client_secret"}),
        ),
    ];
    for (answer, status, body) in cases {
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(json(&answer.body), body);
    }
    assert!(!s.log().contains(SECRET));
}

#[test]
fn without_client_credentials_every_client_is_refused() {
    let (_dir, db) = setup("grant-none");
    let s = Server::start(&db, &[]);
    let a = grant_json(&s, &credentials());
    assert_eq!(a.status, 401);
    assert_eq!(
        json(&a.body),
        json!({"error": "access_denied", "error_description": "Unauthorized"})
    );
    let empty = grant_json(&s, &with("client_secret", ""));
    assert_eq!(empty.status, 400, "an empty secret is a missing one");
    drop(s);
    // Half a pair of credentials is a usage error.
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("USER_IMPORT_TOKEN", "t")
        .env("USER_IMPORT_CLIENT_ID", CLIENT_ID)
        .env_remove("USER_IMPORT_CLIENT_SECRET")
        .output()
        .expect("run user-import");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("USER_IMPORT_CLIENT_SECRET"));
    let out = Command::new(bin())
        .args(["serve", "--token-ttl", "0s", "--db"])
        .arg(&db)
        .env("USER_IMPORT_TOKEN", "t")
        .output()
        .expect("run user-import");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-ttl"));
}
