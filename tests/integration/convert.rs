//! `convert`: a generated Auth0 export becomes an import file that runs clean and maps back
//! onto the export, user for user.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use crate::common::{bin, root, run_bin, temp_dir, write_file};
use user_import::internals::validate::PROPERTIES;

/// An export of `users` existing users from the generator.
fn export(dir: &Path, users: u32) -> PathBuf {
    let export = dir.join("existing.ndjson");
    let status = Command::new("python3")
        .arg(root().join("testdata/gen/gen_users.py"))
        .args(["--users", "10", "--seed", "11", "--format", "ndjson"])
        .args(["--existing", &users.to_string()])
        .arg("--out")
        .arg(dir.join("users.ndjson"))
        .arg("--existing-out")
        .arg(&export)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());
    export
}

fn ndjson(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("a JSON line"))
        .collect()
}

/// What convert should make of one exported user, computed independently: the accepted
/// members in order, without nulls, `auth0|` stripped once.
fn expected(user: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in user.as_object().expect("an object") {
        if !PROPERTIES.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        let v = match (k.as_str(), v.as_str()) {
            ("user_id", Some(id)) => Value::from(id.strip_prefix("auth0|").unwrap_or(id)),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

#[test]
fn a_generated_export_round_trips() {
    let dir = temp_dir("convert-round-trip");
    let users = 3_000;
    let export = export(&dir, users);
    let export_s = export.display().to_string();
    let bytes = std::fs::read(&export).expect("export");
    let exported = ndjson(&bytes);
    assert_eq!(exported.len(), users as usize);

    let converted = dir.join("converted.json");
    let conv_s = converted.display().to_string();
    let file = run_bin(&["convert", &export_s, "--out", &conv_s], b"");
    assert!(
        file.status.success(),
        "{}",
        String::from_utf8_lossy(&file.stderr)
    );
    let stdin = run_bin(&["convert", "-"], &bytes);
    assert!(stdin.status.success());
    let out = std::fs::read(&converted).expect("converted");
    assert!(out == stdin.stdout, "file and standard input differ");

    // The output is one JSON array, the exported users in order, each reduced as expected
    // (key order included: the maps keep insertion order).
    let array: Vec<Value> = serde_json::from_slice(&out).expect("a JSON array");
    assert_eq!(array.len(), exported.len());
    for (got, user) in array.iter().zip(&exported) {
        assert_eq!(got.to_string(), expected(user).to_string());
    }

    // Every drop is counted by field, in name order.
    let mut drops = std::collections::BTreeMap::<String, u64>::new();
    for user in &exported {
        for (k, v) in user.as_object().expect("object") {
            if !PROPERTIES.contains(&k.as_str()) {
                *drops.entry(k.clone()).or_default() += 1;
            } else {
                assert!(!v.is_null(), "the generator writes no nulls");
            }
        }
    }
    assert!(drops.contains_key("identities") && drops.contains_key("created_at"));
    let listed: Vec<String> = drops.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let report = String::from_utf8_lossy(&file.stderr);
    assert!(
        report.contains(&format!(
            "convert: {users} users; dropped {}",
            listed.join(", ")
        )),
        "{report}"
    );

    // It runs clean: no error at all, and only the warning an export must give (exports
    // carry no password hash).
    let summary = dir.join("summary.json");
    let run = run_bin(
        &[
            "run",
            &conv_s,
            "--quiet",
            "--summary",
            &summary.display().to_string(),
        ],
        b"",
    );
    assert!(run.status.success());
    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(s["failed"], 0, "{s}");
    assert_eq!(s["inserted"], users);
    let codes: Vec<&String> = s["by_code"].as_object().expect("by_code").keys().collect();
    assert_eq!(codes, ["NO_PASSWORD"], "{s}");

    // And it maps back onto the export: matched on the stored user_id, every user is an
    // update of the very user it came from, with nothing that would change a
    // non-upsertable attribute.
    let run = run_bin(
        &[
            "run",
            &conv_s,
            "--quiet",
            "--existing",
            &export_s,
            "--upsert",
            "--match-on",
            "user_id",
        ],
        b"",
    );
    assert!(run.status.success());
    let ops = ndjson(&run.stdout);
    assert_eq!(ops.len(), exported.len());
    for (op, user) in ops.iter().zip(&exported) {
        assert_eq!(op["op"], "update", "{op}");
        assert_eq!(op["user_id"], user["user_id"]);
        assert!(op.get("warnings").is_none(), "{op}");
    }
}

#[test]
fn ids_of_other_providers_and_connections() {
    let dir = temp_dir("convert-providers");
    let export = dir.join("export.ndjson");
    write_file(
        &export,
        concat!(
            r#"{"user_id":"auth0|a1","email":"a@example.com","identities":[{"connection":"Main","provider":"auth0"}]}"#,
            "\n",
            r#"{"user_id":"google-oauth2|123","email":"g@example.com","identities":[{"connection":"google-oauth2","provider":"google-oauth2"}]}"#,
            "\n",
            r#"{"user_id":"auth0|auth0|b2","email":"b@example.com","phone_number":null}"#,
            "\n",
        )
        .as_bytes(),
    );
    let e = export.display().to_string();
    let out = run_bin(&["convert", &e], b"");
    assert!(out.status.success());
    let users: Vec<Value> = serde_json::from_slice(&out.stdout).expect("array");
    let ids: Vec<&str> = users
        .iter()
        .map(|u| u["user_id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, ["a1", "google-oauth2|123", "auth0|b2"]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("dropped null phone_number 1"), "{report}");
    assert!(
        report.contains("1 user_ids without the auth0| prefix"),
        "{report}"
    );

    // The doubled prefix comes back doubled, as it was: `run` says so.
    let converted = dir.join("converted.json");
    write_file(&converted, &out.stdout);
    let run = run_bin(&["run", &converted.display().to_string(), "--quiet"], b"");
    let ops = ndjson(&run.stdout);
    assert_eq!(ops[2]["user"]["user_id"], "auth0|auth0|b2");
    let warned = ops[2]["warnings"].as_array().expect("warnings");
    assert!(
        warned.iter().any(|w| w["code"] == "DOUBLE_PREFIX"),
        "{}",
        ops[2]
    );

    let only_main = run_bin(&["convert", &e, "--connection", "Main"], b"");
    let users: Vec<Value> = serde_json::from_slice(&only_main.stdout).expect("array");
    assert_eq!(users.len(), 2);
    assert!(
        String::from_utf8_lossy(&only_main.stderr)
            .contains("1 users of other connections left out")
    );
}

#[test]
fn a_malformed_export_fails_by_line_without_content() {
    let dir = temp_dir("convert-malformed");
    let export = dir.join("export.ndjson");
    write_file(
        &export,
        b"{\"user_id\":\"auth0|a\",\"email\":\"a@example.com\"}\n\n{\"user_id\":\"auth0|b\",\"password\":\"SECRET-MARKER\" \n",
    );
    let out_path = dir.join("out.json");
    let out = run_bin(
        &[
            "convert",
            &export.display().to_string(),
            "--out",
            &out_path.display().to_string(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(!err.contains("SECRET-MARKER"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(!out_path.exists(), "a partial array was left behind");

    let code = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(code(&["convert", "/nonexistent/export.ndjson"]), Some(1));
    assert_eq!(code(&["convert", &dir.display().to_string()]), Some(1));
    assert_eq!(code(&["convert"]), Some(2));
    let e = export.display().to_string();
    let before = std::fs::read(&export).expect("export");
    assert_eq!(code(&["convert", &e, "--out", &e]), Some(2));
    assert_eq!(std::fs::read(&export).expect("export"), before);
}
