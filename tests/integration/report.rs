//! What a person reads at the end of `run` and `split` (issue 16): the tables on standard
//! error and the `--report` file hold the numbers of `summary.json`'s `findings`; `--quiet`
//! is silent; `--threads` is checked and its help says what 0 means.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::{root, run_bin, temp_dir};

/// (code, path, key of a path-less row, other_paths) → (records, entries, example): one
/// row of a breakdown.
type Rows = BTreeMap<(String, Option<String>, Option<String>, bool), (u64, u64, u64)>;

fn sample(name: &str) -> String {
    root()
        .join("testdata/sample")
        .join(name)
        .display()
        .to_string()
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

/// `run` on the sample, against its existing users (conflicts and in-file duplicates,
/// schema errors, warnings), with a summary and a report.
fn run_sample(dir: &Path, report: &str) -> (std::process::Output, Value) {
    let summary = dir.join(format!("summary-{report}.json"));
    let out = run_bin(
        &[
            "run",
            &sample("users.json"),
            "--existing",
            &sample("existing.ndjson"),
            "--out",
            &p(&dir.join("out.ndjson")),
            "--summary",
            &p(&summary),
            "--report",
            &p(&dir.join(report)),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(summary).expect("summary")).expect("json");
    (out, s)
}

fn summary_rows(findings: &Value) -> Rows {
    findings["by_code_path"]
        .as_array()
        .expect("by_code_path")
        .iter()
        .map(|r| {
            (
                (
                    r["code"].as_str().expect("code").to_owned(),
                    r["path"].as_str().map(str::to_owned),
                    r["key"].as_str().map(str::to_owned),
                    r["other_paths"].as_bool().unwrap_or(false),
                ),
                (
                    r["records"].as_u64().expect("records"),
                    r["entries"].as_u64().expect("entries"),
                    r["example"].as_u64().expect("example"),
                ),
            )
        })
        .collect()
}

fn summary_codes(findings: &Value) -> BTreeMap<String, u64> {
    findings["by_code"]
        .as_object()
        .expect("by_code")
        .iter()
        .map(|(k, v)| (k.clone(), v["records"].as_u64().expect("records")))
        .collect()
}

fn num(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// Markdown cells: split on `|` that is not escaped, then unescape.
fn md_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = line.trim().trim_matches('|').chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cells.last_mut().expect("cell").push(n);
                }
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().expect("cell").push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// The rows of the Markdown table under heading `title`.
fn md_rows(md: &str, title: &str) -> Rows {
    let section = md
        .split(&format!("## {title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no section {title}"));
    let section = section.split("\n## ").next().expect("section");
    let mut rows = Rows::new();
    for line in section.lines().filter(|l| l.starts_with("| ")).skip(1) {
        let c = md_cells(line);
        let existing = c[1]
            .strip_prefix("(existing user: ")
            .and_then(|k| k.strip_suffix(')'));
        let (path, key, other) = match c[1].as_str() {
            _ if existing.is_some() => (None, existing.map(str::to_owned), false),
            "(none)" => (None, None, false),
            "(other paths)" => (None, None, true),
            "(record)" => (Some(String::new()), None, false),
            p => (Some(p.to_owned()), None, false),
        };
        let n = |s: &str| s.trim_start_matches('#').parse::<u64>().expect("number");
        let old = rows.insert(
            (c[0].clone(), path, key, other),
            (n(&c[2]), n(&c[4]), n(&c[5])),
        );
        assert!(old.is_none(), "row twice: {line}");
    }
    rows
}

/// An attribute's value in an HTML tag, unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(
        tag[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

fn html_rows(html: &str, id: &str) -> Rows {
    let table = html
        .split(&format!("<table id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = table.split("</table>").next().expect("table");
    let mut rows = Rows::new();
    for tag in table
        .split("<tr")
        .skip(1)
        .filter(|t| t.contains("data-code"))
    {
        let tag = &tag[..tag.find('>').expect("tag end")];
        let n = |k: &str| attr(tag, k).expect(k).parse::<u64>().expect("number");
        let key = (
            attr(tag, "data-code").expect("code"),
            attr(tag, "data-path"),
            attr(tag, "data-key"),
            attr(tag, "data-other-paths").is_some(),
        );
        let old = rows.insert(
            key,
            (n("data-records"), n("data-entries"), n("data-example")),
        );
        assert!(old.is_none(), "row twice: {tag}");
    }
    rows
}

#[test]
fn the_reports_numbers_are_the_summarys() {
    let dir = temp_dir("report-numbers");
    let (_, summary) = run_sample(&dir, "report.md");
    let (_, summary_h) = run_sample(&dir, "report.html");
    assert_eq!(summary, summary_h, "two runs of one input");
    let f = &summary["findings"];
    let (errors, warnings) = (summary_rows(&f["errors"]), summary_rows(&f["warnings"]));
    // The sample has both, and errors on several paths of one code.
    assert!(errors.len() > 5 && !warnings.is_empty(), "{summary}");

    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert_eq!(md_rows(&md, "Failed records by code and path"), errors);
    assert_eq!(md_rows(&md, "Warnings by code and path"), warnings);
    let totals = md
        .lines()
        .skip_while(|l| !l.starts_with("| Records |"))
        .nth(2)
        .expect("totals row");
    let totals: Vec<u64> = md_cells(totals)
        .iter()
        .map(|c| c.parse().expect("total"))
        .collect();
    let want: Vec<u64> = ["total", "inserted", "updated", "failed", "warnings"]
        .iter()
        .map(|k| num(&summary, k))
        .collect();
    assert_eq!(totals, want);
    let counts = format!(
        "{} failed records ({} error entries), {} records with warnings ({} warning entries)",
        num(&f["errors"], "records"),
        num(&f["errors"], "entries"),
        num(&f["warnings"], "records"),
        num(&f["warnings"], "entries")
    );
    assert!(md.contains(&counts), "{counts}");
    for (kind, b) in [("error", &f["errors"]), ("warning", &f["warnings"])] {
        for (code, records) in summary_codes(b) {
            assert!(
                md.lines().any(|l| l.starts_with(&format!("{code} "))
                    && l.ends_with(&format!(" {records} ({kind})"))),
                "no chart bar for {code}"
            );
            // Every code that appears is explained.
            assert!(md.contains(&format!("- **{code}** ({kind}): ")), "{code}");
        }
    }

    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert_eq!(html_rows(&html, "errors"), errors);
    assert_eq!(html_rows(&html, "warnings"), warnings);
    for (id, key) in [
        ("total", "total"),
        ("inserted", "inserted"),
        ("updated", "updated"),
        ("failed", "failed"),
        ("warnings", "warnings"),
    ] {
        let tag = format!("id=\"{id}\" data-value=\"{}\"", num(&summary, key));
        assert!(html.contains(&tag), "{tag}");
    }
    for (kind, b, id) in [
        ("error", &f["errors"], "errors"),
        ("warning", &f["warnings"], "warnings"),
    ] {
        let table = format!(
            "<table id=\"{id}\" data-records=\"{}\" data-entries=\"{}\">",
            num(b, "records"),
            num(b, "entries")
        );
        assert!(html.contains(&table), "{table}");
        for (code, records) in summary_codes(b) {
            let bar =
                format!("data-code=\"{code}\" data-kind=\"{kind}\" data-records=\"{records}\"");
            assert!(html.contains(&bar), "{bar}");
            assert!(html.contains(&format!("<dt id=\"code-{code}\">")), "{code}");
        }
    }
    // Nothing is fetched: no external resource, no script.
    for needle in ["http-equiv", "<link", "<script", "<img", "@import", "url("] {
        assert!(!html.contains(needle), "{needle} in the report");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The rows of the stderr table that follows `header`: (code, records, example).
fn stderr_rows(err: &str, header: &str) -> (Vec<(String, u64, u64)>, Option<u64>) {
    let mut lines = err.lines().skip_while(|l| !l.contains(header));
    assert!(lines.next().is_some(), "no table {header} in:\n{err}");
    let head = lines.next().expect("column names");
    assert!(head.trim_start().starts_with("code"), "{head}");
    let mut rows = Vec::new();
    let mut more = None;
    for l in lines {
        if let Some(rest) = l.trim_start().strip_prefix("… ") {
            more = Some(
                rest.split(' ')
                    .next()
                    .expect("n")
                    .parse()
                    .expect("more rows"),
            );
            break;
        }
        if !l.starts_with("  ") {
            break;
        }
        let w: Vec<&str> = l.split_whitespace().collect();
        let example = w[w.len() - 1]
            .trim_start_matches('#')
            .parse()
            .expect("example");
        let records = w[w.len() - 3].parse().expect("records");
        assert!(w[w.len() - 2].ends_with('%'), "{l}");
        rows.push((w[0].to_owned(), records, example));
    }
    (rows, more)
}

#[test]
fn the_tables_on_standard_error_rank_the_summarys_rows() {
    let dir = temp_dir("report-tables");
    let (out, summary) = run_sample(&dir, "r.html");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains('\x1b'),
        "colour when standard error is a file:\n{err}"
    );
    let f = &summary["findings"];
    for (header, b) in [
        ("failed records (", &f["errors"]),
        ("records with warnings (", &f["warnings"]),
    ] {
        let want: Vec<(String, u64, u64)> = b["by_code_path"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().expect("code").to_owned(),
                    num(r, "records"),
                    num(r, "example"),
                )
            })
            .collect();
        let (rows, more) = stderr_rows(&err, header);
        assert_eq!(rows[..], want[..rows.len()], "{header}");
        assert_eq!(rows.len(), want.len().min(10));
        assert_eq!(more, (want.len() > 10).then(|| want.len() as u64 - 10));
        assert!(rows.windows(2).all(|w| w[0].1 >= w[1].1), "largest first");
        let line = format!(
            "user-import: {} {}{} entries)",
            num(b, "records"),
            header,
            num(b, "entries")
        );
        assert!(err.contains(&line), "{line}");
    }
    // The one-line summary stays as it was, before the tables.
    let first = err
        .lines()
        .position(|l| l.starts_with("user-import: completed: 600 records: "))
        .expect("summary line");
    assert!(
        first
            < err
                .lines()
                .position(|l| l.contains("failed records ("))
                .expect("table")
    );

    let quiet = run_bin(
        &[
            "run",
            &sample("users.json"),
            "--existing",
            &sample("existing.ndjson"),
            "--out",
            &p(&dir.join("q.ndjson")),
            "--report",
            &p(&dir.join("q.md")),
            "--quiet",
        ],
        b"",
    );
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert!(
        std::fs::read_to_string(dir.join("q.md"))
            .expect("q.md")
            .contains("| 600 |")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn split_tables_and_report_count_like_run() {
    let dir = temp_dir("report-split");
    let (_, summary) = run_sample(&dir, "run.md");
    let out = run_bin(
        &[
            "split",
            &sample("users.json"),
            "--existing",
            &sample("existing.ndjson"),
            "--out-dir",
            &p(&dir.join("split")),
            "--report",
            &p(&dir.join("split.md")),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let (rows, _) = stderr_rows(&err, "failed records (");
    assert_eq!(
        rows[0].0,
        summary["findings"]["errors"]["by_code_path"][0]["code"]
    );
    let md = std::fs::read_to_string(dir.join("split.md")).expect("split.md");
    let f = &summary["findings"];
    assert_eq!(
        md_rows(&md, "Failed records by code and path"),
        summary_rows(&f["errors"])
    );
    assert_eq!(
        md_rows(&md, "Warnings by code and path"),
        summary_rows(&f["warnings"])
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_report_holds_no_secret_and_escapes_the_inputs_markup() {
    let dir = temp_dir("report-secrets");
    let input = concat!(
        r#"{"email":"a@example.com","password_hash":"SECRETqmrkPH","<img src=x onerror=alert(1)>":1}"#,
        "\n",
        r#"{"email":"b@example.com","custom_password_hash":{"algorithm":"md5","hash":{"value":"SECRETqmrkHV!","encoding":"hex"},"salt":{"value":"SECRETqmrkSALT"}},"mfa_factors":[{"totp":{"secret":"SECRETqmrkTOTP1"}}]}"#,
        "\n",
        r#"{"email":"c@example.com","custom_password_hash":{"algorithm":"hmac","hash":{"value":"SECRETqmrkHV2","encoding":"base64","digest":"sha1","key":{"value":"SECRETqmrkKEY","encoding":"hex"}}}}"#,
        "\n",
    );
    for name in ["s.html", "s.md"] {
        let out = run_bin(
            &[
                "run",
                "-",
                "--out",
                &p(&dir.join("o.ndjson")),
                "--report",
                &p(&dir.join(name)),
            ],
            input.as_bytes(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = std::fs::read_to_string(dir.join(name)).expect("report");
        let err = String::from_utf8_lossy(&out.stderr);
        for text in [&report[..], &err[..]] {
            assert!(!text.contains("qmrk"), "a secret reached {name}:\n{text}");
        }
        // The property name is shown, as text.
        let shown = if name.ends_with(".md") {
            r"\<img src=x onerror=alert(1)\>"
        } else {
            "&lt;img src=x onerror=alert(1)&gt;"
        };
        assert!(report.contains(shown), "{report}");
        // (Markdown's examples are fenced code, where markup is text.)
        if name.ends_with(".html") {
            assert!(!report.contains("<img"), "markup of the input in {name}");
        }
        assert!(report.contains("OBJECT_ADDITIONAL_PROPERTIES"), "{report}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn threads_is_checked_and_its_help_says_what_0_means() {
    for cmd in ["run", "split", "verify", "parse-only", "serve"] {
        let out = run_bin(&[cmd, "--help"], b"");
        let help = String::from_utf8_lossy(&out.stdout);
        if cmd == "serve" && !help.contains("--threads") {
            continue; // built without the server feature
        }
        assert!(help.contains("--threads <N>"), "{cmd}:\n{help}");
        assert!(!help.contains("[default: 0]"), "{cmd}:\n{help}");
        assert!(help.contains("default: one per core"), "{cmd}:\n{help}");
    }
    let out = run_bin(&["run", "-", "--threads", "999999"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--threads takes a number from 1 to 1024, or 0 for one per core"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let out = run_bin(&["run", "-", "--threads", "1025"], b"");
    assert_eq!(out.status.code(), Some(2));
    for ok in ["0", "2"] {
        let out = run_bin(
            &["run", "-", "--threads", ok, "--quiet"],
            b"{\"email\":\"a@b.co\"}\n",
        );
        assert!(
            out.status.success(),
            "--threads {ok}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
