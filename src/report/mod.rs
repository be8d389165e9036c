//! What a person reads at the end of `run` and `split`: the tables on standard error
//! ([`table`]) and the `--report` file, HTML ([`html`]) or Markdown ([`markdown`]).
//!
//! Every number comes from the job's [`Tally`], the one `summary.json`'s `findings` is
//! written from, so the report and the summary cannot disagree.

pub mod codes;
pub mod html;
pub mod markdown;
pub mod table;

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use user_import::{PathRow, Status, Summary, Tally};

/// The totals of a job, as the report's first lines show them.
#[derive(Clone, Debug)]
pub struct Totals {
    pub status: &'static str,
    pub reason: Option<String>,
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub failed: u64,
    pub warnings: u64,
}

impl Totals {
    pub fn of(s: &Summary) -> Totals {
        let (status, reason) = match &s.status {
            Status::Completed => ("completed", None),
            Status::Failed(r) => ("failed", Some(r.clone())),
            _ => ("stopped", None),
        };
        Totals {
            status,
            reason,
            total: s.total,
            inserted: s.inserted,
            updated: s.updated,
            failed: s.failed,
            warnings: s.warnings,
        }
    }

    /// `records` as a percentage of the job's records, as the tables print it.
    pub fn percent(&self, records: u64) -> String {
        if self.total == 0 {
            return "-".to_owned();
        }
        let p = records as f64 * 100.0 / self.total as f64;
        if p > 0.0 && p < 0.1 {
            "<0.1%".to_owned()
        } else {
            format!("{p:.1}%")
        }
    }
}

/// A row's path as people read it: the path-less findings (an existing user's
/// `DUPLICATED_USER`, named by the key the user holds) and the overflow row have none.
pub fn path_label<'a>(row: &PathRow<'a>) -> Cow<'a, str> {
    match row.path {
        _ if row.other_paths => Cow::Borrowed("(other paths)"),
        None => match row.key {
            Some(k) => Cow::Owned(format!("(existing user: {})", k.field())),
            None => Cow::Borrowed("(none)"),
        },
        Some("") => Cow::Borrowed("(record)"),
        Some(p) => printable(p),
    }
}

/// `s` with control characters escaped: paths are the input's own property names, and a
/// terminal must not be driven by them.
pub fn printable(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(s.escape_debug().to_string())
    } else {
        Cow::Borrowed(s)
    }
}

/// The `--report` file, opened before the job so that a bad path fails it at once.
#[derive(Debug)]
pub struct ReportFile {
    path: PathBuf,
    out: BufWriter<File>,
}

impl ReportFile {
    pub fn create(path: &Path) -> Result<ReportFile, String> {
        File::create(path)
            .map(|f| ReportFile {
                path: path.to_owned(),
                out: BufWriter::new(f),
            })
            .map_err(|e| format!("cannot create {}: {e}", path.display()))
    }

    /// Markdown when the name ends with `.md`, else HTML.
    fn markdown(&self) -> bool {
        self.path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"))
    }

    /// Writes the report of a finished job.
    pub fn write(mut self, title: &str, totals: &Totals, tally: &Tally) -> Result<(), String> {
        let text = if self.markdown() {
            markdown::render(title, totals, tally)
        } else {
            html::render(title, totals, tally)
        };
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

/// Removes the report file of a job that failed: no report is better than a stale one.
pub fn discard(file: Option<ReportFile>) {
    if let Some(ReportFile { path, out }) = file {
        drop(out);
        let _ = std::fs::remove_file(path);
    }
}

/// Rows of the examples section, per kind: enough to see each common problem once.
pub const EXAMPLES: usize = 20;

/// An example line as text (it is UTF-8 JSON the engine wrote, cut at a character).
pub fn example_text<'a>(row: &PathRow<'a>) -> Cow<'a, str> {
    String::from_utf8_lossy(row.example_line)
}

/// Writes `text` and maps the error for the command line.
pub fn write_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
