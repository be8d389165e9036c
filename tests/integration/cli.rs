//! The binary: exit codes, file vs standard input, side files, a closed pipe.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{bin, lines, root, run_bin, temp_dir, write_file};

fn sample(name: &str) -> String {
    root()
        .join("testdata/sample")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn file_and_stdin_give_identical_bytes_for_1_and_2_threads() {
    for name in ["users.ndjson", "users.json"] {
        let path = sample(name);
        let bytes = std::fs::read(&path).expect("sample");
        let file1 = run_bin(&["run", &path, "--threads", "1", "--quiet"], b"");
        let file2 = run_bin(&["run", &path, "--threads", "2", "--quiet"], b"");
        let stdin2 = run_bin(&["run", "-", "--threads", "2", "--quiet"], &bytes);
        let stdin1 = run_bin(&["run", "--threads", "1", "--quiet"], &bytes);
        assert!(
            file1.status.success(),
            "{}",
            String::from_utf8_lossy(&file1.stderr)
        );
        assert!(!file1.stdout.is_empty());
        for other in [&file2, &stdin2, &stdin1] {
            assert!(other.status.success());
            assert!(file1.stdout == other.stdout, "{name}: outputs differ");
        }
        let out = lines(&file1.stdout);
        assert_eq!(out.len(), 600);
        for (i, l) in out.iter().enumerate() {
            assert_eq!(l["index"], i);
        }
    }
}

#[test]
fn exit_codes() {
    let dir = temp_dir("exit");
    let good = dir.join("good.json");
    write_file(&good, br#"[{"email":"a@example.com"},{"email":"bad"}]"#);
    let bad = dir.join("bad.json");
    write_file(
        &bad,
        br#"[{"email":"a@example.com"},{"email":"b@example.com"},]"#,
    );
    let code = |args: &[&str]| run_bin(args, b"").status.code();
    let g = good.display().to_string();
    let b = bad.display().to_string();
    assert_eq!(code(&["run", &g, "--quiet"]), Some(0));
    assert_eq!(code(&["run", &g, "--quiet", "--fail-on-error"]), Some(3));
    assert_eq!(code(&["run", &b, "--quiet"]), Some(1));
    assert_eq!(
        code(&["run", "/nonexistent/users.json", "--quiet"]),
        Some(1)
    );
    assert_eq!(
        code(&["run", &dir.display().to_string(), "--quiet"]),
        Some(1)
    );
    assert_eq!(code(&["run", &g, "--no-such-flag"]), Some(2));
    assert_eq!(code(&["frobnicate"]), Some(2));
}

#[test]
fn a_malformed_array_file_writes_no_operation() {
    let dir = temp_dir("malformed");
    let bad = dir.join("bad.json");
    write_file(
        &bad,
        b"[{\"email\":\"a@example.com\"},\n {\"email\":\"b@example.com\"} {}]",
    );
    let summary = dir.join("summary.json");
    let out = run_bin(
        &[
            "run",
            &bad.display().to_string(),
            "--summary",
            &summary.display().to_string(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "file input must not write before framing is checked"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2, column 28"), "{err}");
    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(s["status"], "failed");
    assert_eq!(s["total"], 0);
}

#[test]
fn a_malformed_array_on_stdin_keeps_what_was_written() {
    let mut input = b"[".to_vec();
    for i in 0..50_000 {
        input.extend_from_slice(format!("{{\"email\":\"u{i}@example.com\"}},").as_bytes());
    }
    input.extend_from_slice(b"{\"email\":}]");
    let dir = temp_dir("stdin-fail");
    let summary = dir.join("s.json");
    let out = run_bin(
        &[
            "run",
            "-",
            "--quiet",
            "--summary",
            &summary.display().to_string(),
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(1));
    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(s["status"], "failed");
    assert!(
        s["reason"].as_str().is_some_and(|r| r.contains("byte")),
        "{s}"
    );
    let written = lines(&out.stdout);
    assert_eq!(
        written.len() as u64,
        s["total"].as_u64().unwrap_or(u64::MAX)
    );
    for (i, l) in written.iter().enumerate() {
        assert_eq!(l["index"], i);
    }
}

#[test]
fn side_files_have_their_shapes() {
    let dir = temp_dir("side");
    let input = dir.join("in.ndjson");
    write_file(&input, b"{\"email\":\"a@example.com\"}\n{\"email\":\"bad\",\"password_hash\":\"SECRET1\"}\n{\"email\":\n");
    let (errors, failed, summary) = (dir.join("e.ndjson"), dir.join("f.json"), dir.join("s.json"));
    let out = run_bin(
        &[
            "run",
            &input.display().to_string(),
            "--quiet",
            "--errors",
            &errors.display().to_string(),
            "--failed-out",
            &failed.display().to_string(),
            "--summary",
            &summary.display().to_string(),
        ],
        b"",
    );
    assert!(out.status.success());
    let e = lines(&std::fs::read(&errors).expect("errors"));
    assert_eq!(e.len(), 2);
    assert_eq!(e[0]["index"], 1);
    assert_eq!(e[0]["user"]["password_hash"], "*****");
    assert_eq!(e[1]["errors"][0]["code"], "INVALID_JSON");
    let f = std::fs::read(&failed).expect("failed");
    let text = String::from_utf8_lossy(&f);
    // The failed-records file holds the original bytes: the user's own file to fix.
    assert!(text.contains("SECRET1"));
    assert!(text.starts_with("[\n{\"email\":\"bad\""));
    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(
        (
            s["total"].as_u64(),
            s["inserted"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(s["warnings"], 1);
    assert_eq!(s["by_code"]["NO_PASSWORD"], 1);
    assert_eq!(s["by_code"]["FORMAT"], 1);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("SECRET1"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut input = Vec::new();
    for i in 0..200_000 {
        input.extend_from_slice(format!("{{\"email\":\"u{i}@example.com\"}}\n").as_bytes());
    }
    let dir = temp_dir("pipe");
    let path = dir.join("big.ndjson");
    write_file(&path, &input);
    let mut child = Command::new(bin())
        .args(["run", &path.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn existing_users_turn_matches_into_conflicts_or_updates() {
    let users = sample("users.ndjson");
    let existing = sample("existing.ndjson");
    let plain = run_bin(&["run", &users, "--quiet"], b"");
    let with = run_bin(&["run", &users, "--existing", &existing, "--quiet"], b"");
    let upsert = run_bin(
        &[
            "run",
            &users,
            "--existing",
            &existing,
            "--upsert",
            "--quiet",
        ],
        b"",
    );
    for o in [&plain, &with, &upsert] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let count = |out: &[u8], op: &str| lines(out).iter().filter(|l| l["op"] == op).count();
    // The sample's existing users overlap its records: some inserts become conflicts...
    assert!(count(&with.stdout, "error") > count(&plain.stdout, "error"));
    assert!(String::from_utf8_lossy(&with.stdout).contains("upsert parameter is false"));
    // ...and with --upsert some of those become updates naming the matched user.
    let updates: Vec<Value> = lines(&upsert.stdout)
        .into_iter()
        .filter(|l| l["op"] == "update")
        .collect();
    assert!(!updates.is_empty());
    for u in &updates {
        assert!(
            u["user_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("auth0|"))
        );
        assert_eq!(u["match"], "email");
        assert!(u["user"].get("email").is_none() && u["user"].get("user_id").is_none());
    }
    // Two copies of the same export: every key is held twice, and the run says so.
    let twice = run_bin(
        &[
            "run",
            &users,
            "--existing",
            &existing,
            "--existing",
            &existing,
            "--quiet",
        ],
        b"",
    );
    assert!(twice.status.success());
    assert_eq!(twice.stdout, with.stdout);
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("held by more than one user"), "{err}");
}

#[test]
fn a_json_array_export_reads_like_ndjson() {
    let dir = temp_dir("array-export");
    let text = std::fs::read_to_string(sample("existing.ndjson")).expect("sample");
    let array = format!("[\n{}\n]\n", text.lines().collect::<Vec<_>>().join(",\n"));
    let path = dir.join("existing.json");
    write_file(&path, array.as_bytes());
    let users = sample("users.ndjson");
    let a = run_bin(
        &[
            "run",
            &users,
            "--existing",
            &path.display().to_string(),
            "--upsert",
            "--quiet",
        ],
        b"",
    );
    let n = run_bin(
        &[
            "run",
            &users,
            "--existing",
            &sample("existing.ndjson"),
            "--upsert",
            "--quiet",
        ],
        b"",
    );
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, n.stdout);
}

#[test]
fn a_malformed_export_fails_the_job_naming_file_and_line() {
    let dir = temp_dir("bad-export");
    let export = dir.join("export.ndjson");
    let secret = "S3CR3T-IN-EXPORT";
    write_file(
        &export,
        format!(
            "{{\"user_id\":\"auth0|1\",\"email\":\"a@example.com\"}}\n\n{{\"email\":\"{secret}@example.com\"}}\n"
        )
        .as_bytes(),
    );
    let summary = dir.join("summary.json");
    let out = run_bin(
        &[
            "run",
            &sample("users.ndjson"),
            "--existing",
            &export.display().to_string(),
            "--summary",
            &summary.display().to_string(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no operation may be written");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("export.ndjson") && err.contains("line 3"),
        "{err}"
    );
    assert!(err.contains("no user_id"), "{err}");
    assert!(!err.contains(secret));
    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(s["status"], "failed");
    assert_eq!(s["total"], 0);

    let wrong_type = dir.join("wrong.ndjson");
    write_file(&wrong_type, b"{\"user_id\":\"auth0|1\",\"email\":42}\n");
    let out = run_bin(
        &[
            "run",
            &sample("users.ndjson"),
            "--existing",
            &wrong_type.display().to_string(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: email is a number"));

    let missing = run_bin(
        &[
            "run",
            &sample("users.ndjson"),
            "--existing",
            "/nonexistent/export.ndjson",
        ],
        b"",
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty());
}

#[test]
fn upsert_options_need_upsert() {
    let users = sample("users.ndjson");
    for extra in [&["--match-on", "user_id"][..], &["--merge-metadata"]] {
        let mut args = vec!["run", &users, "--quiet"];
        args.extend_from_slice(extra);
        assert_eq!(run_bin(&args, b"").status.code(), Some(2), "{extra:?}");
    }
    let bad = run_bin(&["run", &users, "--upsert", "--match-on", "username"], b"");
    assert_eq!(bad.status.code(), Some(2));
}

/// The error fields that name a cause (`duplicate_of`, `existing_user_id`, `key`) reach
/// the operations stream and the `--errors` file alike, from a file or standard input,
/// with 1 or 2 threads.
#[test]
fn errors_name_their_cause_in_every_output() {
    let dir = temp_dir("cause");
    let users = dir.join("users.ndjson");
    write_file(
        &users,
        concat!(
            "{\"email\":\"a@x.co\",\"username\":\"ann\"}\n",
            "{\"email\":\"held@x.co\"}\n",
            "{\"email\":\"b@x.co\",\"username\":\"ANN\"}\n",
            "{\"email\":\"c@x.co\",\"user_id\":\"7\"}\n",
        )
        .as_bytes(),
    );
    let existing = dir.join("existing.ndjson");
    write_file(
        &existing,
        concat!(
            "{\"user_id\":\"auth0|h1\",\"email\":\"held@x.co\"}\n",
            "{\"user_id\":\"auth0|7\",\"email\":\"seven@x.co\"}\n",
        )
        .as_bytes(),
    );
    let (u, e) = (users.display().to_string(), existing.display().to_string());
    let bytes = std::fs::read(&users).expect("users");
    let mut outputs = Vec::new();
    for (file, threads) in [(u.as_str(), "1"), ("-", "2")] {
        let errors = dir.join(format!("errors-{threads}.ndjson"));
        let errs = errors.display().to_string();
        let out = run_bin(
            &[
                "run",
                file,
                "--existing",
                &e,
                "--errors",
                &errs,
                "--threads",
                threads,
                "--quiet",
            ],
            &bytes,
        );
        assert!(out.status.success());
        let ops = lines(&out.stdout);
        let side = lines(&std::fs::read(&errors).expect("errors file"));
        assert_eq!(side.len(), 3);
        for (op, err) in [
            (&ops[1], &side[0]),
            (&ops[2], &side[1]),
            (&ops[3], &side[2]),
        ] {
            assert_eq!(op["errors"], err["errors"]);
            assert_eq!(op["index"], err["index"]);
        }
        let first = |i: usize| ops[i]["errors"][0].clone();
        assert_eq!(first(1)["code"], "DUPLICATED_USER");
        assert_eq!(first(1)["key"], "email");
        assert_eq!(first(1)["existing_user_id"], "auth0|h1");
        assert_eq!(first(2)["path"], "username");
        assert_eq!(first(2)["duplicate_of"], 0);
        assert_eq!(first(3)["key"], "user_id");
        assert_eq!(first(3)["existing_user_id"], "auth0|7");
        outputs.push(out.stdout);
    }
    assert!(outputs[0] == outputs[1]);
}
