//! `verify`: canaries against real hashes, through the binary.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{lines, root, run_bin, temp_dir, write_file};

/// `testdata/gen/hash_vectors.json` (a copy of the shared vectors): real hashes of known
/// passwords, each with the verdict SPEC requires.
fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("testdata/gen/hash_vectors.json"))
        .expect("hash vectors");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["vectors"].as_array().expect("vectors").clone()
}

fn ndjson(values: &[Value]) -> Vec<u8> {
    values
        .iter()
        .map(|v| serde_json::to_string(v).expect("json") + "\n")
        .collect::<String>()
        .into_bytes()
}

/// A users file with one record per vector (email `v<i>@example.com`).
fn users(vectors: &[Value]) -> Vec<Value> {
    vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut r = json!({ "email": format!("v{i}@example.com") });
            r[v["field"].as_str().expect("field")] = v["value"].clone();
            r
        })
        .collect()
}

fn verify(dir: &Path, users: &[Value], canaries: &[Value]) -> (Option<i32>, Vec<Value>, String) {
    let u = dir.join("users.ndjson");
    let p = dir.join("passwords.ndjson");
    write_file(&u, &ndjson(users));
    write_file(&p, &ndjson(canaries));
    let out = run_bin(
        &[
            "verify",
            &u.display().to_string(),
            "--passwords",
            &p.display().to_string(),
        ],
        b"",
    );
    (
        out.status.code(),
        lines(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_vector_gets_the_verdict_spec_requires() {
    let vectors = vectors();
    let dir = temp_dir("verify-vectors");
    let users = users(&vectors);
    let right: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"email": format!("v{i}@example.com"), "password": v["password"]}))
        .collect();
    let (code, out, err) = verify(&dir, &users, &right);
    assert_eq!(out.len(), vectors.len() + 1, "{err}");
    let mut invalid = 0;
    for (i, (v, line)) in vectors.iter().zip(&out).enumerate() {
        let verdict = v["spec_verdict"].as_str().expect("verdict");
        let want = if verdict.starts_with("valid") {
            "match"
        } else {
            invalid += 1;
            "invalid_hash"
        };
        assert_eq!(line["status"], want, "vector {i} {}: {line}", v["id"]);
        if want == "invalid_hash" {
            let code = verdict
                .strip_prefix("error ")
                .and_then(|s| s.split(':').next())
                .expect("error code");
            assert!(
                line["codes"]
                    .as_array()
                    .expect("codes")
                    .contains(&json!(code)),
                "{line}"
            );
        }
    }
    assert!(invalid > 0);
    assert_eq!(code, Some(3), "not every canary matches, so the exit is 3");
    assert_eq!(
        out[vectors.len()]["summary"]["match"],
        vectors.len() - invalid
    );

    // With a wrong password every valid vector is a mismatch, and no variant saves it.
    let wrong: Vec<Value> = (0..vectors.len())
        .map(|i| json!({"email": format!("v{i}@example.com"), "password": "not the password"}))
        .collect();
    let (_, out, _) = verify(&dir, &users, &wrong);
    for (v, line) in vectors.iter().zip(&out) {
        if v["spec_verdict"]
            .as_str()
            .is_some_and(|s| s.starts_with("valid"))
        {
            assert_eq!(line["status"], "mismatch", "{}: {line}", v["id"]);
            assert_eq!(line["would_match"], Value::Null, "{line}");
        }
    }
}

#[test]
fn valid_vectors_pass_run_with_no_error_and_no_hash_warning() {
    let vectors = vectors();
    let dir = temp_dir("verify-run");
    let u = dir.join("users.ndjson");
    write_file(&u, &ndjson(&users(&vectors)));
    let out = run_bin(&["run", &u.display().to_string(), "--quiet"], b"");
    assert!(out.status.success());
    for (v, line) in vectors.iter().zip(lines(&out.stdout)) {
        if !v["spec_verdict"]
            .as_str()
            .is_some_and(|s| s.starts_with("valid"))
        {
            continue;
        }
        assert_eq!(line["op"], "insert", "{}: {line}", v["id"]);
        for w in line["warnings"].as_array().into_iter().flatten() {
            let code = w["code"].as_str().unwrap_or_default();
            assert!(!code.starts_with("HASH_"), "{}: {line}", v["id"]);
        }
    }
}

#[test]
fn a_wrong_salt_position_is_found_and_named() {
    // sha256(salt || password) from SPEC 3.3, declared as a suffix salt by mistake.
    let record = json!({"email": "s@example.com", "custom_password_hash": {
        "algorithm": "sha256",
        "hash": {"value": "d24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f", "encoding": "hex"},
        "salt": {"value": "abc123", "encoding": "utf8", "position": "suffix"}}});
    let dir = temp_dir("verify-salt");
    let (code, out, _) = verify(
        &dir,
        &[record],
        &[json!({"email": "S@example.com", "password": "shh"})],
    );
    assert_eq!(code, Some(3));
    assert_eq!(out[0]["status"], "mismatch");
    assert_eq!(out[0]["would_match"], json!({"salt_position": "prefix"}));
    assert_eq!(out[0]["inputs"]["salt_position"], "suffix");
    assert_eq!(out[0]["algorithm"], "sha256");
}

#[test]
fn a_hash_declared_in_the_wrong_encoding_is_found() {
    // md4 "shh" from SPEC 3.3 is base64; declared hex it does not even decode.
    let record = json!({"email": "m@example.com", "custom_password_hash": {
        "algorithm": "md4", "hash": {"value": "AbuUujgF0pPPkJPSFRTpmA==", "encoding": "hex"}}});
    let dir = temp_dir("verify-enc");
    let (_, out, _) = verify(
        &dir,
        &[record],
        &[json!({"email": "m@example.com", "password": "shh"})],
    );
    assert_eq!(out[0]["status"], "mismatch", "{}", out[0]);
    assert_eq!(out[0]["would_match"], json!({"hash_encoding": "base64"}));
}

#[test]
fn every_other_status_and_no_secret_in_any_output() {
    let secret = "S3cr3t-Pa55";
    let users = vec![
        json!({"email": "nohash@example.com"}),
        json!({"email": "costly@example.com", "custom_password_hash": {
            "algorithm": "scrypt", "keylen": 32, "cost": 1_048_576_u64, "blockSize": 64,
            "hash": {"value": "097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29", "encoding": "hex"},
            "salt": {"value": "abc123"}}}),
        json!({"email": "mdc2@example.com", "custom_password_hash": {
            "algorithm": "pbkdf2",
            "hash": {"value": "$pbkdf2-mdc2$i=1000,l=16$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA"}}}),
        json!({"email": "bad@example.com", "password_hash": "$2b$09$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"}),
        json!({"email": "ok@example.com", "user_id": "u1", "password_hash": "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"}),
    ];
    let canaries: Vec<Value> = [
        json!({"email": "nohash@example.com"}),
        json!({"email": "costly@example.com"}),
        json!({"email": "mdc2@example.com"}),
        json!({"email": "bad@example.com"}),
        json!({"email": "nobody@example.com"}),
        json!({"user_id": "auth0|u1"}),
        json!({"user_id": "u1"}),
    ]
    .into_iter()
    .map(|mut c| {
        c["password"] = json!(secret);
        c
    })
    .collect();
    let dir = temp_dir("verify-statuses");
    let started = std::time::Instant::now();
    let (code, out, err) = verify(&dir, &users, &canaries);
    let statuses: Vec<&str> = out.iter().filter_map(|l| l["status"].as_str()).collect();
    assert_eq!(
        statuses,
        [
            "no_hash",
            "too_costly",
            "unsupported",
            "invalid_hash",
            "not_found",
            "mismatch",
            "mismatch"
        ],
        "{err}"
    );
    // The cap is checked before computing: 64 GiB of scrypt is refused, not attempted.
    assert!(started.elapsed().as_secs() < 30);
    assert_eq!(out[5]["index"], 4);
    assert_eq!(code, Some(3));
    let all = format!("{out:?}{err}");
    assert!(!all.contains(secret));
    assert!(!all.contains("C9hB01"), "no hash in the output");

    // The right password: exit 0 only when every canary matches.
    let (code, out, _) = verify(
        &dir,
        &users[4..],
        &[json!({"user_id": "u1", "password": "shh"})],
    );
    assert_eq!(out[0]["status"], "match");
    assert_eq!(code, Some(0));
}

#[test]
fn a_malformed_passwords_file_fails_without_quoting_it() {
    let dir = temp_dir("verify-badpw");
    let u = dir.join("users.ndjson");
    let p = dir.join("passwords.ndjson");
    write_file(&u, b"{\"email\":\"a@example.com\"}\n");
    write_file(
        &p,
        b"{\"email\":\"a@example.com\",\"password\":\"S3cr3t\"}\n{\"password\":\"S3cr3t\"}\n",
    );
    let out = run_bin(
        &[
            "verify",
            &u.display().to_string(),
            "--passwords",
            &p.display().to_string(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    assert!(!err.contains("S3cr3t"));
    assert!(out.stdout.is_empty());
}
