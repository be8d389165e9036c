//! The invariants on a generated 200k-user file: one line per record, in order,
//! `total = inserted + updated + failed`, 1 thread == 2 threads, file == stdin, NDJSON ==
//! the same records as a JSON array.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{lines, root, run_bin, temp_dir};

/// A line's `errors` or `warnings`, empty when it has none.
fn entries<'a>(line: &'a Value, field: &str) -> &'a [Value] {
    line[field].as_array().map_or(&[], Vec::as_slice)
}

/// Runs the committed generator with `args`.
fn gen_users(args: &[&str]) {
    let status = Command::new("python3")
        .arg(root().join("testdata/gen/gen_users.py"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());
}

fn generate(dir: &Path, format: &str, users: u32) -> PathBuf {
    let out = dir.join(format!("users.{format}"));
    gen_users(&[
        "--users",
        &users.to_string(),
        "--seed",
        "42",
        "--format",
        format,
        "--dup-rate",
        "0.05",
        "--out",
        &out.display().to_string(),
    ]);
    out
}

#[test]
fn invariants_on_200k_generated_users() {
    let dir = temp_dir("invariants");
    let users = 200_000u32;
    let ndjson = generate(&dir, "ndjson", users);
    let array = generate(&dir, "json", users);
    let summary = dir.join("summary.json");
    let base = run_bin(
        &[
            "run",
            &ndjson.display().to_string(),
            "--threads",
            "2",
            "--quiet",
            "--summary",
            &summary.display().to_string(),
        ],
        b"",
    );
    assert!(
        base.status.success(),
        "{}",
        String::from_utf8_lossy(&base.stderr)
    );

    let mut count = [0u64; 3];
    let mut n = 0u64;
    for line in base.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).expect("each line is JSON");
        assert_eq!(v["index"], n, "lines are in input order");
        match v["op"].as_str() {
            Some("insert") => count[0] += 1,
            Some("update") => count[1] += 1,
            Some("error") => count[2] += 1,
            other => panic!("unknown op {other:?}"),
        }
        n += 1;
    }
    assert_eq!(n, u64::from(users), "one line per record");
    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(s["total"], n);
    assert_eq!(
        (
            s["inserted"].as_u64(),
            s["updated"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(count[0]), Some(count[1]), Some(count[2]))
    );
    assert!(
        count[2] > 0 && count[0] > count[2],
        "the generator's defects and duplicates show up: {count:?}"
    );

    let one_thread = run_bin(
        &[
            "run",
            &ndjson.display().to_string(),
            "--threads",
            "1",
            "--quiet",
        ],
        b"",
    );
    assert!(
        one_thread.stdout == base.stdout,
        "1 thread differs from 2 threads"
    );
    let bytes = std::fs::read(&ndjson).expect("input");
    let stdin = run_bin(&["run", "-", "--threads", "2", "--quiet"], &bytes);
    assert!(stdin.stdout == base.stdout, "stdin differs from file");
    let from_array = run_bin(
        &[
            "run",
            &array.display().to_string(),
            "--threads",
            "2",
            "--quiet",
        ],
        b"",
    );
    assert!(from_array.status.success());
    assert!(
        from_array.stdout == base.stdout,
        "the JSON array gives other decisions than NDJSON"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The causes the errors name are the ones the generator built in: each duplicate names the
/// earlier record it copies, each conflict the existing user that holds the key; and the
/// summary's findings count what the lines hold.
#[test]
fn causes_match_the_generators_truth() {
    let dir = temp_dir("truth");
    let users = dir.join("users.ndjson");
    let existing = dir.join("existing.ndjson");
    let truth = dir.join("truth.ndjson");
    let summary = dir.join("summary.json");
    let path = |p: &Path| p.display().to_string();
    gen_users(&[
        "--users",
        "20000",
        "--existing",
        "4000",
        "--seed",
        "11",
        "--format",
        "ndjson",
        "--dup-rate",
        "0.03",
        "--conflict-rate",
        "0.03",
        "--out",
        &path(&users),
        "--existing-out",
        &path(&existing),
        "--truth-out",
        &path(&truth),
    ]);
    let out = run_bin(
        &[
            "run",
            &path(&users),
            "--existing",
            &path(&existing),
            "--quiet",
            "--summary",
            &path(&summary),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = lines(&out.stdout);
    assert_eq!(lines.len(), 20_000, "one line per record");

    let (mut dups, mut conflicts) = (0, 0);
    let truth_text = std::fs::read_to_string(&truth).expect("truth");
    for t in truth_text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("truth line"))
    {
        let i = t["i"].as_u64().expect("i") as usize;
        let errors = entries(&lines[i], "errors");
        // A record the generator gave a hash vector that breaks a format rule fails on
        // that first (SPEC 4), before any key is looked up.
        let other = |e: &Value| {
            let code = e["code"].as_str().unwrap_or_default();
            code != "DUPLICATED_USER" && !code.starts_with("CONFLICT")
        };
        if errors.iter().any(other) {
            continue;
        }
        match t["role"].as_str() {
            // The copied record holds its keys only if it was imported (see above).
            Some("dup") if lines[t["ref"].as_u64().expect("ref") as usize]["op"] != "error" => {
                dups += 1;
                assert!(
                    errors
                        .iter()
                        .any(|e| e["code"] == "DUPLICATED_USER" && e["duplicate_of"] == t["ref"]),
                    "record {i} copies record {}: {errors:?}",
                    t["ref"]
                );
            }
            Some("conflict") => {
                conflicts += 1;
                assert!(
                    errors
                        .iter()
                        .any(|e| e["existing_user_id"] == t["existing_user_id"]),
                    "record {i} collides with {}: {errors:?}",
                    t["existing_user_id"]
                );
            }
            _ => {}
        }
    }
    assert!(
        dups > 100 && conflicts > 100,
        "{dups} dups, {conflicts} conflicts"
    );

    let s: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    let f = &s["findings"];
    let failed = lines.iter().filter(|v| v["op"] == "error").count() as u64;
    let count = |field: &str| -> (u64, u64) {
        let with = lines
            .iter()
            .filter(|v| !entries(v, field).is_empty())
            .count();
        let all: usize = lines.iter().map(|v| entries(v, field).len()).sum();
        (with as u64, all as u64)
    };
    assert_eq!(f["errors"]["records"], failed);
    assert_eq!(s["failed"], failed);
    for kind in ["errors", "warnings"] {
        let (records, all) = count(kind);
        assert_eq!(f[kind]["records"], records, "{kind} records");
        assert_eq!(f[kind]["entries"], all, "{kind} entries");
        let by_code: u64 = f[kind]["by_code"]
            .as_object()
            .expect("by_code")
            .values()
            .map(|c| c["entries"].as_u64().expect("entries"))
            .sum();
        assert_eq!(by_code, all, "{kind}: by_code adds up to the entries");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
