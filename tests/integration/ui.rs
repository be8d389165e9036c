//! What a person sees, seen by real programs (issue 16): the `--report` page in headless
//! Chromium (it renders, no script or console error, nothing fetched, the run's counts
//! shown) and the progress line in a tmux terminal of 40 and 150 columns (never wider
//! than the terminal, no row left behind, the bar's percentage or the stream's spinner,
//! the failed count; colour after the run unless NO_COLOR), and the notice that `run` reads
//! a terminal's standard input.
//!
//! They need `chromium` and `tmux`: missing, a test fails when USER_IMPORT_UI_TESTS is
//! `require` (CI sets it) and is skipped, saying why, otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{bin, root, run_bin, temp_dir};

/// Whether `tool` can run; when it cannot, panics if the UI tests are required, else says
/// that the test is skipped.
fn available(tool: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    let required = std::env::var("USER_IMPORT_UI_TESTS").is_ok_and(|v| v == "require");
    assert!(
        !required,
        "{test}: {tool} is missing and USER_IMPORT_UI_TESTS=require (apt-get install {tool})"
    );
    eprintln!(
        "{test}: skipped, {tool} is not installed (set USER_IMPORT_UI_TESTS=require to fail instead)"
    );
    false
}

/// What the driver saw of `page`: its text, its totals by id, the resources it fetched
/// and every script, console or load error.
fn chromium(page: &Path) -> Value {
    let out = Command::new("python3")
        .arg(root().join("tests/tools/chromium_report.py"))
        .arg(page)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "chromium driver: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("driver output")
}

#[test]
fn the_html_report_renders_in_chromium_with_the_runs_counts() {
    if !available("chromium", "chromium report") {
        return;
    }
    let dir = temp_dir("ui-chromium");
    // The driver is worth trusting only if it sees errors where there are some.
    let bad = dir.join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><title>t</title><p id=total>1</p><script>console.error('seen'); null.x</script>",
    )
    .expect("write");
    let seen = chromium(&bad);
    let errors = seen["errors"].as_array().expect("errors");
    assert!(errors.len() >= 2, "the driver missed errors: {seen}");

    let (report, summary) = (dir.join("report.html"), dir.join("summary.json"));
    let sample = |n: &str| root().join("testdata/sample").join(n).display().to_string();
    let out = run_bin(
        &[
            "run",
            &sample("users.json"),
            "--existing",
            &sample("existing.ndjson"),
            "--out",
            &dir.join("out.ndjson").display().to_string(),
            "--summary",
            &summary.display().to_string(),
            "--report",
            &report.display().to_string(),
            "--quiet",
        ],
        b"",
    );
    assert!(out.status.success());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(summary).expect("summary")).expect("json");
    let seen = chromium(&report);
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["resources"], serde_json::json!([]), "fetched: {seen}");
    assert_eq!(seen["values"]["status"], "completed");
    for key in ["total", "inserted", "updated", "failed", "warnings"] {
        assert_eq!(
            seen["values"][key].as_str(),
            Some(summary[key].to_string().as_str()),
            "{key}"
        );
    }
    let text = seen["text"].as_str().expect("text");
    assert!(text.contains("Failed records by code and path"), "{text}");
    let f = &summary["findings"];
    for b in [&f["errors"], &f["warnings"]] {
        for (code, row) in b["by_code"].as_object().expect("by_code") {
            assert!(text.contains(code.as_str()), "{code} not shown");
            let _ = row;
        }
        // The largest row's numbers as its table row reads: code, path, records.
        let top = &b["by_code_path"][0];
        let line = format!("{}\t", top["code"].as_str().expect("code"));
        let row = text
            .lines()
            .find(|l| l.starts_with(&line))
            .unwrap_or_else(|| panic!("no row {line} in {text}"));
        assert!(
            row.contains(&format!("\t{}\t", top["records"])),
            "{row} vs {top}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A file that takes a debug build a few seconds on one thread: the generator's records,
/// repeated (the repeats are in-file duplicates, so the failed count climbs).
fn big_input() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = temp_dir("ui-input");
        let one = dir.join("one.ndjson");
        let status = Command::new("python3")
            .arg(root().join("testdata/gen/gen_users.py"))
            .args(["--users", "20000", "--seed", "16", "--format", "ndjson"])
            .arg("--out")
            .arg(&one)
            .stdout(Stdio::null())
            .status()
            .expect("python3");
        assert!(status.success());
        let records = std::fs::read(&one).expect("generated");
        let file = dir.join("users.ndjson");
        std::fs::write(&file, records.repeat(6)).expect("write");
        file
    })
}

struct Tmux {
    socket: String,
}

impl Tmux {
    /// A detached session of `width` x 20 on a server of its own, running `script`.
    fn start(name: &str, width: u16, script: &str) -> Tmux {
        let t = Tmux {
            socket: format!("user-import-test-{}-{name}", std::process::id()),
        };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                "20",
                script,
            ])
            .status()
            .expect("tmux")
            .success();
        assert!(ok, "tmux new-session");
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c.stdout(Stdio::piped()).stderr(Stdio::null());
        c
    }

    /// The visible rows; with `escapes`, with their colours and attributes; with
    /// `history`, the rows scrolled off too.
    fn capture(&self, escapes: bool, history: bool) -> String {
        let mut args = vec!["capture-pane", "-p"];
        if escapes {
            args.push("-e");
        }
        if history {
            args.extend(["-S", "-"]);
        }
        let out = self.cmd(&args).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

/// Runs `user-import run` in a terminal `width` columns wide, reading a file (or, with
/// `stdin`, the same bytes through a pipe), and checks the progress line as it updates.
fn progress_in_tmux(width: u16, stdin: bool, no_colour: bool) {
    let input = big_input().display().to_string();
    let colour = if no_colour {
        "env NO_COLOR=1"
    } else {
        "env -u NO_COLOR"
    };
    let user_import = bin().display().to_string();
    let run = if stdin {
        format!("cat '{input}' | {colour} '{user_import}' run - --out /dev/null --threads 1")
    } else {
        format!("{colour} '{user_import}' run '{input}' --out /dev/null --threads 1")
    };
    let script = format!("{run}; echo EXIT=$?; sleep 120");
    let name = format!("{width}-{}", if stdin { "stdin" } else { "file" });
    let tmux = Tmux::start(&name, width, &script);
    let started = Instant::now();
    let mut progress = Vec::new();
    let last = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run did not end"
        );
        let screen = tmux.capture(false, false);
        for l in screen.lines() {
            assert!(
                l.chars().count() <= usize::from(width),
                "a row wider than {width}: {l:?}"
            );
        }
        if screen.contains("EXIT=") {
            break screen;
        }
        let rows: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
        if !screen.contains("user-import: completed") && !rows.is_empty() {
            assert_eq!(
                rows.len(),
                1,
                "rows left behind at {width} columns:\n{screen}"
            );
            progress.push(rows[0].to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(last.contains("EXIT=0"), "{last}");
    progress.dedup();
    assert!(
        progress.len() >= 3,
        "too few updates seen at {width} columns: {progress:?}"
    );
    let updating: Vec<&String> = progress.iter().filter(|l| l.contains(" failed")).collect();
    assert!(!updating.is_empty(), "no failed count: {progress:?}");
    // Failures climb as the repeats come in; the count is the line's first number.
    assert!(
        updating.iter().any(|l| !l.contains(" 0 failed")),
        "the failed count never moved: {progress:?}"
    );
    for l in &updating {
        if stdin {
            let spinner = l.chars().next().expect("spinner");
            assert!("|/-\\ ".contains(spinner), "no spinner: {l:?}");
            assert!(!l.contains('%'), "a percentage for a stream: {l:?}");
        } else {
            let pct = l.trim_start().split('%').next().expect("percent");
            assert!(
                pct.parse::<u8>().is_ok_and(|p| p <= 100),
                "no percentage: {l:?}"
            );
            assert!(l.contains("ETA"), "no ETA: {l:?}");
        }
    }
    if usize::from(width) >= 100 {
        // Wide enough for the whole message: the rate is there too.
        assert!(updating.iter().all(|l| l.contains("/s · ")), "{updating:?}");
    }
    // The line is cleared: what remains is the summary and the tables.
    let last = tmux.capture(false, true);
    assert!(
        !last.contains(" failed · "),
        "progress left behind:\n{last}"
    );
    assert!(
        last.contains("user-import: completed: 120000 records"),
        "{last}"
    );
    let escaped = tmux.capture(true, true);
    assert_eq!(
        escaped.contains("\x1b["),
        !no_colour,
        "colour with NO_COLOR={no_colour} at {width}:\n{escaped:?}"
    );
}

#[test]
fn progress_in_a_40_column_terminal() {
    if !available("tmux", "tmux progress") {
        return;
    }
    progress_in_tmux(40, false, false);
    progress_in_tmux(40, true, true);
}

#[test]
fn progress_in_a_150_column_terminal() {
    if !available("tmux", "tmux progress") {
        return;
    }
    progress_in_tmux(150, false, true);
    progress_in_tmux(150, true, false);
}

#[test]
fn run_on_a_terminals_standard_input_says_so() {
    if !available("tmux", "tmux stdin notice") {
        return;
    }
    let user_import = bin().display().to_string();
    let script = format!("'{user_import}' run --out /dev/null; echo EXIT=$?; sleep 120");
    let tmux = Tmux::start("notice", 80, &script);
    let started = Instant::now();
    let notice = "user-import: reading users from standard input (Ctrl-D to end; give a FILE";
    while !tmux.capture(false, false).contains(notice) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no notice:\n{}",
            tmux.capture(false, false)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let ok = tmux
        .cmd(&["send-keys", "C-d"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "tmux send-keys");
    while !tmux.capture(false, false).contains("EXIT=") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Ctrl-D did not end it"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = tmux.capture(false, false);
    assert!(
        screen.contains("completed: 0 records") && screen.contains("EXIT=0"),
        "{screen}"
    );
}
