//! Auth0's official Node SDK (npm `auth0`, pinned in `tests/sdk/node/package-lock.json`)
//! against the real `serve` over loopback, SDK code untouched (issue 17): list connections
//! page by page, get a token with client credentials, import, poll, read the failed
//! entries and the users, and meet a 429 with its headers; then the package's `legacy` API
//! (auth0 4.37) pages connections and reads the job. The steps and their checks are
//! in `tests/sdk/node/drive.mjs`; this side starts the server, runs it, and checks the store.
//!
//! Needs `node` (20.19 or later, the SDK's floor) and `npm`; the packages are installed with
//! `npm ci` from the lock file into Cargo's scratch directory for integration tests, once.
#![cfg(feature = "server")]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{root, write_file};
use crate::server::{Server, db_jobs, db_users, json, setup};

const CLIENT_ID: &str = "sdk-client";
const SECRET: &str = "sdk-s3cret-4e1f";
const CONNECTIONS: [&str; 3] = ["A", "B", "C"];

/// The SDK installed from the lock file, with the driving script beside it; reinstalled
/// when the lock file changes.
fn installed() -> PathBuf {
    let version = Command::new("node")
        .arg("--version")
        .output()
        .expect("run node (is it installed?)");
    let version = String::from_utf8_lossy(&version.stdout);
    let (major, minor) = version
        .trim()
        .trim_start_matches('v')
        .split_once('.')
        .map(|(a, rest)| {
            (
                a.parse::<u32>().unwrap_or(0),
                rest.split('.')
                    .next()
                    .unwrap_or("0")
                    .parse::<u32>()
                    .unwrap_or(0),
            )
        })
        .unwrap_or((0, 0));
    assert!(
        (major, minor) >= (20, 19),
        "the auth0 SDK needs node 20.19 or later; found {version}"
    );
    let source = root().join("tests/sdk/node");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk-node");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let lock = std::fs::read(source.join("package-lock.json")).expect("the lock file");
    let current = std::fs::read(dir.join("package-lock.json")).ok();
    if current.as_deref() != Some(&lock[..]) || !dir.join("node_modules/auth0").is_dir() {
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(f), dir.join(f)).expect("copy the package files");
        }
        let out = Command::new("npm")
            .current_dir(&dir)
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .output()
            .expect("run npm (are node and npm installed?)");
        assert!(
            out.status.success(),
            "npm ci failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::copy(source.join("drive.mjs"), dir.join("drive.mjs")).expect("copy the script");
    dir
}

#[test]
fn auth0s_node_sdk_imports_through_serve() {
    let sdk = installed();
    let (dir, db) = setup("sdk-node");
    let mut args = vec!["--rate-limit", "5"];
    for c in CONNECTIONS {
        args.extend(["--connection", c]);
    }
    let s = Server::start_with_env(
        &db,
        &args,
        &[
            ("USER_IMPORT_CLIENT_ID", CLIENT_ID),
            ("USER_IMPORT_CLIENT_SECRET", SECRET),
        ],
    );
    let users = dir.join("users.json");
    write_file(
        &users,
        br#"[{"email":"ann@example.com","user_id":"sdk1","password_hash":"$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"},
            {"email":"Bo@Example.com"},
            {"email":"not-an-email","password_hash":"SECRET-HASH"}]"#,
    );
    let out = Command::new("node")
        .current_dir(&sdk)
        .arg("drive.mjs")
        .env("SERVE_URL", s.url(""))
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", SECRET)
        .env("USERS_FILE", &users)
        .env("CONNECTIONS", CONNECTIONS.join(","))
        .env("RATE_LIMIT", "5")
        .output()
        .expect("run node (is it installed?)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the SDK's run failed:\n{stdout}\n{}\nserver:\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.log()
    );
    let result = json(stdout.lines().last().expect("a result line"));
    assert_eq!(result["ok"], true);
    assert_eq!(result["connections"], serde_json::json!(CONNECTIONS));
    assert_eq!(result["wrong_secret"], 401);
    assert_eq!(result["legacy"], serde_json::json!(CONNECTIONS));
    assert!(result["rate_limited"]["refused"].as_u64() > Some(0));
    // What the SDK did is what the store holds.
    let jobs = db_jobs(&db);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].0, result["job"].as_str().expect("a job id"));
    assert_eq!(jobs[0].1, "completed");
    assert_eq!(db_users(&db), ["ann@example.com", "bo@example.com"]);
    let log = s.log();
    assert!(
        !log.contains(SECRET) && !log.contains("SECRET-HASH"),
        "{log}"
    );
}
