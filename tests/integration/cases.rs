//! The data-driven cases of `testdata/cases/` (format: `testdata/cases/README.md`), each run
//! through every path of `common::PATHS`.

use std::sync::Arc;

use serde_json::Value;
use user_import::{ExportSource, MatchOn, Snapshot, SnapshotOptions};

use crate::common::{Opts, base64, lines, root, run_all_with};

fn entry(f: &Value) -> String {
    let code = f["code"].as_str().unwrap_or("?");
    match f.get("path").and_then(Value::as_str) {
        Some("") | None => code.to_owned(),
        Some(p) => format!("{code} {p}"),
    }
}

fn sorted(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort();
    v
}

fn check_case(file: &str, case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or("<unnamed>");
    let input: Vec<u8> = if let Some(records) = case.get("records").and_then(Value::as_array) {
        records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default() + "\n")
            .collect::<String>()
            .into_bytes()
    } else if let Some(raw) = case.get("raw").and_then(Value::as_str) {
        raw.as_bytes().to_vec()
    } else if let Some(b64) = case.get("raw_base64").and_then(Value::as_str) {
        base64(b64)
    } else {
        return Err(format!("{file}: {name}: no input"));
    };
    let flag = |name: &str| {
        case.pointer(&format!("/options/{name}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut opts = Opts {
        deny_warnings: flag("deny_warnings"),
        merge_metadata: flag("merge_metadata"),
        ..Opts::default()
    };
    if flag("upsert") {
        opts.upsert = Some(
            match case.pointer("/options/match_on").and_then(Value::as_str) {
                None | Some("email") => MatchOn::Email,
                Some("user_id") => MatchOn::UserId,
                Some(other) => return Err(format!("{file}: {name}: unknown match_on {other}")),
            },
        );
    }
    let job_fails = case.get("job_fails").and_then(Value::as_bool) == Some(true);
    if let Some(export) = existing(case) {
        let connection = case
            .pointer("/options/connection")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let loaded = Snapshot::load(
            vec![ExportSource::Bytes {
                name: "existing.ndjson".to_owned(),
                data: export,
            }],
            &SnapshotOptions {
                connection,
                threads: 2,
            },
        );
        match loaded {
            Ok(s) => {
                if let Some(n) = case.get("held_twice").and_then(Value::as_u64)
                    && n != s.held_twice()
                {
                    return Err(format!(
                        "{file}: {name}: {} keys held twice, expected {n}",
                        s.held_twice()
                    ));
                }
                opts.existing = Some(Arc::new(s));
            }
            Err(_) if job_fails => return Ok(()),
            Err(e) => return Err(format!("{file}: {name}: snapshot failed: {e}")),
        }
    }
    let (out, result) = run_all_with(&input, &opts);
    if job_fails {
        return match result {
            Err(_) => Ok(()),
            Ok(_) => Err(format!("{file}: {name}: expected the job to fail")),
        };
    }
    let summary = result.map_err(|e| format!("{file}: {name}: job failed: {e}"))?;
    let got = lines(&out);
    let expect = case["expect"]
        .as_array()
        .ok_or_else(|| format!("{file}: {name}: no expect"))?;
    if got.len() != expect.len() {
        return Err(format!(
            "{file}: {name}: {} output lines, expected {}:\n{}",
            got.len(),
            expect.len(),
            String::from_utf8_lossy(&out)
        ));
    }
    if summary.total != got.len() as u64
        || summary.total != summary.inserted + summary.updated + summary.failed
    {
        return Err(format!(
            "{file}: {name}: summary does not add up: {summary:?}"
        ));
    }
    for (i, (line, want)) in got.iter().zip(expect).enumerate() {
        let ctx = || {
            let mut l = line.to_string();
            if l.len() > 400 {
                l.truncate(l.floor_char_boundary(400));
                l.push_str("...");
            }
            format!("{file}: {name}: record {i}: {l}")
        };
        if line["index"] != i {
            return Err(format!("{}: wrong index", ctx()));
        }
        if line["op"] != want["op"] {
            return Err(format!(
                "{}: op {} expected {}",
                ctx(),
                line["op"],
                want["op"]
            ));
        }
        let list = |v: &Value, key: &str| {
            sorted(
                v[key]
                    .as_array()
                    .map(|a| a.iter().map(entry).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
        };
        let want_list = |key: &str| {
            sorted(
                want[key]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            )
        };
        if want["op"] == "error" && list(line, "errors") != want_list("errors") {
            return Err(format!(
                "{}: errors {:?} expected {:?}",
                ctx(),
                list(line, "errors"),
                want_list("errors")
            ));
        }
        if want["op"] == "error" && line.get("warnings").is_some() {
            return Err(format!("{}: an error line carries warnings", ctx()));
        }
        if want.get("warnings").is_some() && list(line, "warnings") != want_list("warnings") {
            return Err(format!(
                "{}: warnings {:?} expected {:?}",
                ctx(),
                list(line, "warnings"),
                want_list("warnings")
            ));
        }
        if let Some(messages) = want.get("messages").and_then(Value::as_object) {
            for (key, message) in messages {
                let found = ["errors", "warnings"]
                    .iter()
                    .filter_map(|k| line[*k].as_array())
                    .flatten()
                    .find(|f| entry(f) == *key);
                let Some(found) = found else {
                    return Err(format!("{}: no {key} for its message", ctx()));
                };
                if &found["message"] != message {
                    return Err(format!(
                        "{}: {key}: message {} expected {message}",
                        ctx(),
                        found["message"]
                    ));
                }
            }
        }
        if let Some(user) = want.get("user")
            && &line["user"] != user
        {
            return Err(format!("{}: user differs from {user}", ctx()));
        }
        for key in ["user_id", "match"] {
            if let Some(v) = want.get(key)
                && &line[key] != v
            {
                return Err(format!("{}: {key} is not {v}", ctx()));
            }
        }
    }
    Ok(())
}

/// The case's existing-users export: `existing` (objects, one NDJSON line each) or
/// `existing_raw` (exact text).
fn existing(case: &Value) -> Option<Vec<u8>> {
    if let Some(users) = case.get("existing").and_then(Value::as_array) {
        return Some(
            users
                .iter()
                .map(|u| serde_json::to_string(u).unwrap_or_default() + "\n")
                .collect::<String>()
                .into_bytes(),
        );
    }
    case.get("existing_raw")
        .and_then(Value::as_str)
        .map(|s| s.as_bytes().to_vec())
}

#[test]
fn every_case_in_testdata() {
    let dir = root().join("testdata/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata/cases")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut count, mut failures) = (0, Vec::new());
    let mut names = std::collections::HashSet::new();
    for path in &files {
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("?")
            .to_owned();
        let text = std::fs::read_to_string(path).expect("read case file");
        let cases: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in &cases {
            count += 1;
            let name = case["name"].as_str().unwrap_or_default().to_owned();
            assert!(names.insert(name.clone()), "duplicate case name {name}");
            if let Err(e) = check_case(&file, case) {
                failures.push(e);
            }
        }
    }
    assert!(count > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{count} cases passed through {} paths each",
        crate::common::PATHS.len()
    );
}
