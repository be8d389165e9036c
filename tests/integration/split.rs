//! `split`: every file is a JSON array within the limit that `run` passes whole, the files
//! hold exactly the passing records in input order (inserts and updates apart), each file
//! is as full as order allows, and the manifest's counts and hashes match the files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{Opts, PATHS, lines, root, run_bin, run_lib_with, temp_dir, write_file};
use user_import::{ExportSource, MatchOn, Snapshot, SnapshotOptions};

/// The sample's records (and a few more), pretty-printed into a JSON array, so that a
/// record minified is exactly its compact serialization.
struct Input {
    path: PathBuf,
    bytes: Vec<u8>,
    records: Vec<Value>,
}

fn input(dir: &Path, source: &str) -> Input {
    let text =
        std::fs::read_to_string(root().join("testdata/sample").join(source)).expect("sample");
    let mut records: Vec<Value> = if source.ends_with(".json") {
        serde_json::from_str(&text).expect("array")
    } else {
        // Lines that are not JSON fail anyway; only valid JSON can be re-serialized.
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let blob = "x".repeat(3_000);
    records.extend([
        serde_json::json!({"email": "big@example.com", "user_metadata": {"blob": blob}}),
        serde_json::json!({"email": "quote@example.com", "name": "a \"quoted\" \\ name\n"}),
        serde_json::json!({"email": "small@example.com"}),
    ]);
    let mut bytes = b"[\n".to_vec();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            bytes.extend_from_slice(b",\n");
        }
        bytes.extend_from_slice(serde_json::to_string_pretty(r).expect("json").as_bytes());
    }
    bytes.extend_from_slice(b"\n]\n");
    let path = dir.join("input.json");
    write_file(&path, &bytes);
    Input {
        path,
        bytes,
        records,
    }
}

fn snapshot() -> Arc<Snapshot> {
    let path = root().join("testdata/sample/existing.ndjson");
    Arc::new(
        Snapshot::load(vec![ExportSource::Path(path)], &SnapshotOptions::default())
            .expect("snapshot"),
    )
}

fn existing_arg() -> String {
    root()
        .join("testdata/sample/existing.ndjson")
        .display()
        .to_string()
}

/// Runs the binary's `split` and returns the manifest.
fn split(input: &Path, dir: &Path, max_bytes: u64, extra: &[&str]) -> Value {
    let mut args = vec![
        "split".to_owned(),
        input.display().to_string(),
        "--out-dir".to_owned(),
        dir.display().to_string(),
        "--max-bytes".to_owned(),
        max_bytes.to_string(),
        "--quiet".to_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_bin(&args, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest");
    serde_json::from_slice(&manifest).expect("manifest is JSON")
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// Checks a split against what `run` decides for the same input and options.
fn check(input: &Input, dir: &Path, max: u64, manifest: &Value, opts: &Opts) {
    let (ops, summary) = run_lib_with(&input.bytes, PATHS[1], opts);
    let summary = summary.expect("the job completes");
    let ops = lines(&ops);
    let compact = |i: u64| -> String {
        let mut r = input.records[i as usize].clone();
        let op = &ops[i as usize];
        if opts.merge_metadata && op["op"] == "update" {
            // The update file carries the merged objects the engine computed.
            for m in ["app_metadata", "user_metadata"] {
                if let Some(v) = op["user"].get(m) {
                    r[m] = v.clone();
                }
            }
        }
        r.to_string()
    };
    assert_eq!(num(&manifest["max_bytes"]), max);

    let files = manifest["files"].as_array().expect("files");
    let skipped: Vec<u64> = manifest["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| num(&s["index"]))
        .collect();
    let mut written_bytes = 0;
    let mut written_records = 0;
    for (set, op, prefix) in [
        ("insert", "insert", "users-"),
        ("update", "update", "updates-"),
    ] {
        // The passing records of this set, in input order, less the ones too big alone.
        let passing: Vec<u64> = ops
            .iter()
            .filter(|o| o["op"] == op)
            .map(|o| num(&o["index"]))
            .collect();
        let mut expect = Vec::new();
        for &i in &passing {
            let too_big = compact(i).len() as u64 + 2 > max;
            assert_eq!(skipped.contains(&i), too_big, "record {i} at max {max}");
            if !too_big {
                expect.push(i);
            }
        }
        let mine: Vec<&Value> = files.iter().filter(|f| f["set"] == set).collect();
        let mut got = Vec::new();
        let mut previous: Option<(u64, &Value)> = None;
        for (n, f) in mine.iter().enumerate() {
            let name = f["name"].as_str().expect("name");
            assert_eq!(name, format!("{prefix}{:04}.json", n + 1));
            assert_eq!(f["upsert"], set == "update");
            let bytes = std::fs::read(dir.join(name)).expect("a listed file exists");
            assert!(bytes.len() as u64 <= max, "{name}: {} > {max}", bytes.len());
            assert_eq!(num(&f["bytes"]), bytes.len() as u64);
            let sha: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(f["sha256"], sha, "{name}");
            let array: Vec<Value> = serde_json::from_slice(&bytes).expect("a JSON array");
            assert!(!array.is_empty());
            assert_eq!(num(&f["records"]), array.len() as u64);
            let first = got.len();
            let indexes = &expect[first..first + array.len()];
            got.extend_from_slice(indexes);
            assert_eq!(num(&f["first_index"]), indexes[0]);
            assert_eq!(num(&f["last_index"]), *indexes.last().expect("one"));
            // The file is exactly the records as supplied, minified, in order.
            let records: Vec<String> = indexes.iter().map(|&i| compact(i)).collect();
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                format!("[{}]", records.join(",")),
                "{name}"
            );
            // As full as order allows: the next file's first record did not fit here.
            if let Some((prev_bytes, prev)) = previous {
                assert!(
                    prev_bytes + 1 + records[0].len() as u64 > max,
                    "{} could have taken record {}",
                    prev["name"],
                    indexes[0]
                );
            }
            previous = Some((bytes.len() as u64, f));
            written_bytes += bytes.len() as u64;
            written_records += array.len() as u64;

            // `run` passes the file whole, with the options of the split (existing users
            // and upsert for the updates; the same warnings policy).
            let (_, s) = run_lib_with(&bytes, PATHS[0], opts);
            let s = s.expect("completes");
            assert_eq!(s.failed, 0, "{name}");
            if set == "update" {
                assert_eq!(s.updated, array.len() as u64, "{name}");
            }
        }
        assert_eq!(
            got, expect,
            "the {set} files hold exactly the passing records"
        );
    }
    let t = &manifest["totals"];
    assert_eq!(num(&t["input"]), summary.total);
    assert_eq!(num(&t["failed"]), summary.failed);
    assert_eq!(num(&t["skipped"]), skipped.len() as u64);
    assert_eq!(num(&t["records"]), written_records);
    assert_eq!(num(&t["bytes"]), written_bytes);
    assert_eq!(num(&t["files"]), files.len() as u64);
    assert_eq!(
        summary.total,
        summary.failed + skipped.len() as u64 + written_records
    );
    // Nothing else in the directory.
    assert_eq!(
        std::fs::read_dir(dir).expect("dir").count(),
        files.len() + 1,
        "only the listed files and the manifest"
    );
}

#[test]
fn the_files_are_the_passing_records_within_the_limit_for_any_limit() {
    let base = temp_dir("split-limits");
    let input = input(&base, "users.json");
    // 4: nothing fits; 60 and 400: most records alone or left out; then a few per file,
    // then everything in one file.
    for (max, deny) in [
        (4, false),
        (60, false),
        (400, false),
        (700, true),
        (1_500, false),
        (6_000, false),
        (20_000, true),
        (512_000, false),
    ] {
        let dir = base.join(format!("out-{max}-{deny}"));
        let extra: &[&str] = if deny { &["--deny-warnings"] } else { &[] };
        let manifest = split(&input.path, &dir, max, extra);
        let opts = Opts {
            deny_warnings: deny,
            ..Opts::default()
        };
        check(&input, &dir, max, &manifest, &opts);
        if max == 4 {
            assert_eq!(num(&manifest["totals"]["files"]), 0);
        }
        if max == 400 {
            assert!(num(&manifest["totals"]["skipped"]) > 0);
        }
    }

    // A limit that the first three passing records fill to the byte: they share the first
    // file, which is exactly that long (a limit off by one would split them).
    let (ops, _) = run_lib_with(&input.bytes, PATHS[1], &Opts::default());
    let first: Vec<u64> = lines(&ops)
        .iter()
        .filter(|o| o["op"] == "insert")
        .take(3)
        .map(|o| input.records[num(&o["index"]) as usize].to_string().len() as u64)
        .collect();
    let exact = first.iter().sum::<u64>() + 4;
    let dir = base.join("exact");
    let manifest = split(&input.path, &dir, exact, &[]);
    check(&input, &dir, exact, &manifest, &Opts::default());
    assert_eq!(num(&manifest["files"][0]["records"]), 3);
    assert_eq!(num(&manifest["files"][0]["bytes"]), exact);
}

#[test]
fn updates_go_to_their_own_set() {
    let base = temp_dir("split-upsert");
    let input = input(&base, "users.ndjson");
    let existing = existing_arg();
    for (max, merge) in [(3_000, false), (50_000, true)] {
        let dir = base.join(format!("out-{max}"));
        let mut extra = vec!["--existing", &existing, "--upsert"];
        if merge {
            extra.push("--merge-metadata");
        }
        let manifest = split(&input.path, &dir, max, &extra);
        let opts = Opts {
            existing: Some(snapshot()),
            upsert: Some(MatchOn::Email),
            merge_metadata: merge,
            ..Opts::default()
        };
        check(&input, &dir, max, &manifest, &opts);
        assert!(
            num(&manifest["totals"]["update"]["records"]) > 0,
            "{manifest}"
        );
        assert!(num(&manifest["totals"]["insert"]["records"]) > 0);
    }
}

#[test]
fn file_stdin_and_thread_counts_write_identical_files() {
    let base = temp_dir("split-paths");
    let input = input(&base, "users.json");
    let read_all = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("file"),
                )
            })
            .collect();
        v.sort();
        v
    };
    let one = base.join("one");
    split(&input.path, &one, 5_000, &["--threads", "1"]);
    let two = base.join("two");
    split(&input.path, &two, 5_000, &["--threads", "2"]);
    let stdin = base.join("stdin");
    let out = run_bin(
        &[
            "split",
            "-",
            "--out-dir",
            &stdin.display().to_string(),
            "--max-bytes",
            "5000",
        ],
        &input.bytes,
    );
    assert!(out.status.success());
    let first = read_all(&one);
    assert!(first.len() > 3);
    assert!(first == read_all(&two), "1 thread and 2 threads differ");
    assert!(first == read_all(&stdin), "file and standard input differ");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("split: 603 records"), "{report}");
}

#[test]
fn refusals_and_failures() {
    let base = temp_dir("split-refusals");
    let input = input(&base, "users.json");
    let path = input.path.display().to_string();
    let dir = base.join("out");
    let d = dir.display().to_string();
    let code = |args: &[&str], stdin: &[u8]| run_bin(args, stdin).status.code();

    // A directory holding an earlier split is refused before anything is read.
    split(&input.path, &dir, 512_000, &[]);
    let before = std::fs::read(dir.join("manifest.json")).expect("manifest");
    assert_eq!(code(&["split", &path, "--out-dir", &d], b""), Some(2));
    assert_eq!(
        std::fs::read(dir.join("manifest.json")).expect("kept"),
        before
    );
    let fresh = base.join("fresh").display().to_string();
    assert_eq!(
        code(
            &["split", &path, "--out-dir", &fresh, "--max-bytes", "3"],
            b""
        ),
        Some(2)
    );
    assert_eq!(code(&["split", &path], b""), Some(2));

    // A record that alone is over the limit is named by index, never by content.
    let big = base.join("big");
    let out = run_bin(
        &[
            "split",
            &path,
            "--out-dir",
            &big.display().to_string(),
            "--max-bytes",
            "1000",
            "--fail-on-error",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 600 is 3055 bytes minified"), "{err}");
    assert!(!err.contains("xxxx"), "{err}");

    // A job that fails writes no file, on a file and part way through a stream.
    let bad = base.join("bad.json");
    let mut bytes = input.bytes.clone();
    let end = bytes.iter().rposition(|&b| b == b']').expect("]");
    bytes.truncate(end);
    bytes.extend_from_slice(b"{]");
    write_file(&bad, &bytes);
    for (source, stdin) in [
        (bad.display().to_string(), &b""[..]),
        ("-".to_owned(), &bytes[..]),
    ] {
        let dir = base.join(format!("failed-{}", stdin.len()));
        let out = run_bin(
            &[
                "split",
                &source,
                "--out-dir",
                &dir.display().to_string(),
                "--max-bytes",
                "2000",
            ],
            stdin,
        );
        assert_eq!(out.status.code(), Some(1), "{source}");
        assert_eq!(
            std::fs::read_dir(&dir).expect("dir").count(),
            0,
            "{source}: files were left behind"
        );
    }
    assert_eq!(
        code(
            &["split", "/nonexistent/users.json", "--out-dir", &fresh],
            b""
        ),
        Some(1)
    );
}
