//! The invariants on a generated 200k-user file: one line per record, in order,
//! `total = inserted + updated + failed`, 1 thread == 2 threads, file == stdin, NDJSON ==
//! the same records as a JSON array.

use std::process::Command;

use serde_json::Value;

use crate::common::{root, run_bin, temp_dir};

fn generate(dir: &std::path::Path, format: &str, users: u32) -> std::path::PathBuf {
    let out = dir.join(format!("users.{format}"));
    let status = Command::new("python3")
        .arg(root().join("testdata/gen/gen_users.py"))
        .args([
            "--users",
            &users.to_string(),
            "--seed",
            "42",
            "--format",
            format,
            "--dup-rate",
            "0.05",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());
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
