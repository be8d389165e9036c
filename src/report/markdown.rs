//! The `--report` file as Markdown (a name ending in `.md`): for a pull request, an issue
//! or a terminal pager. The same sections as the HTML page; the chart is a text bar.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use user_import::{Breakdown, Code, Tally};

use super::codes::{explain, is_warning};
use super::{EXAMPLES, Totals, example_text, path_label};

/// Width of the longest text bar, in characters.
const BAR: usize = 30;

pub fn render(title: &str, totals: &Totals, tally: &Tally) -> String {
    let mut m = String::with_capacity(16 << 10);
    let _ = writeln!(m, "# {}\n", inline(title));
    let _ = write!(m, "Status: **{}**", totals.status);
    if let Some(r) = &totals.reason {
        let _ = write!(m, " ({})", inline(r));
    }
    m.push_str(
        "\n\n| Records | Inserted | Updated | Failed | Warnings |\n|---:|---:|---:|---:|---:|\n",
    );
    let _ = writeln!(
        m,
        "| {} | {} | {} | {} | {} |\n",
        totals.total, totals.inserted, totals.updated, totals.failed, totals.warnings
    );
    let _ = writeln!(
        m,
        "{} failed records ({} error entries), {} records with warnings ({} warning entries). \
         Percentages are of all {} records; an example is a record's 0-based index in the \
         input (`index` in the output lines).\n",
        tally.errors.records,
        tally.errors.entries,
        tally.warnings.records,
        tally.warnings.entries,
        totals.total
    );

    m.push_str("## Records by code\n\n");
    chart(&mut m, tally);

    rows(
        &mut m,
        "Failed records by code and path",
        totals,
        &tally.errors,
    );
    rows(&mut m, "Warnings by code and path", totals, &tally.warnings);

    m.push_str("## Examples\n\n");
    let mut any = false;
    for b in [&tally.errors, &tally.warnings] {
        for r in b.by_code_path().iter().take(EXAMPLES) {
            any = true;
            let text = example_text(r);
            let fence = "`".repeat(longest_run(&text, '`').max(2) + 1);
            let _ = writeln!(
                m,
                "### {} at {}: record #{}\n\n{fence}json\n{text}\n{fence}\n",
                r.code,
                inline(&path_label(r)),
                r.example
            );
        }
    }
    if any {
        m.push_str(
            "Error lines are shown as the output writes them: password hashes, salts, keys and \
             TOTP secrets are masked as `*****`. A warning's example is its warnings array.\n\n",
        );
    } else {
        m.push_str("No record failed and none has a warning.\n\n");
    }

    m.push_str("## What the codes mean and how to fix them\n\n");
    let seen: BTreeSet<&'static str> = tally
        .errors
        .by_code()
        .iter()
        .chain(tally.warnings.by_code().iter())
        .map(|r| r.code.as_str())
        .collect();
    if seen.is_empty() {
        m.push_str("No code appeared.\n");
    }
    for name in seen {
        let Some(code) = Code::from_name(name) else {
            continue;
        };
        let x = explain(code);
        let kind = if is_warning(code) { "warning" } else { "error" };
        let _ = writeln!(
            m,
            "- **{name}** ({kind}): {}\n  *Fix:* {}",
            inline(x.meaning),
            inline(x.fix)
        );
    }
    m
}

fn chart(m: &mut String, tally: &Tally) {
    let errors = tally.errors.by_code();
    let warnings = tally.warnings.by_code();
    let all: Vec<(&str, _)> = errors
        .iter()
        .map(|r| ("error", r))
        .chain(warnings.iter().map(|r| ("warning", r)))
        .collect();
    let max = all.iter().map(|(_, r)| r.records).max().unwrap_or(0);
    if max == 0 {
        m.push_str("No record failed and none has a warning.\n\n");
        return;
    }
    let width = all
        .iter()
        .map(|(_, r)| r.code.as_str().len())
        .max()
        .unwrap_or(0);
    m.push_str("```text\n");
    for (kind, r) in all {
        let n = ((r.records as f64 / max as f64) * BAR as f64).ceil() as usize;
        let _ = writeln!(
            m,
            "{:<width$}  {:<BAR$}  {} ({kind})",
            r.code.as_str(),
            "█".repeat(n.max(1)),
            r.records
        );
    }
    m.push_str("```\n\n");
}

fn rows(m: &mut String, title: &str, totals: &Totals, b: &Breakdown) {
    let _ = writeln!(m, "## {title}\n");
    if b.records == 0 {
        m.push_str("None.\n\n");
        return;
    }
    let _ = writeln!(
        m,
        "{} records, {} entries.\n\n| Code | Path | Records | % | Entries | Example |\n|---|---|---:|---:|---:|---:|",
        b.records, b.entries
    );
    for r in b.by_code_path() {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | #{} |",
            r.code,
            inline(&path_label(&r)),
            r.records,
            totals.percent(r.records),
            r.entries,
            r.example
        );
    }
    m.push('\n');
}

/// `s` as literal Markdown text in a table cell or a line: every character Markdown (or
/// HTML inside it) gives a meaning to is backslash-escaped, line breaks are spelled out.
pub fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.extend(c.escape_debug()),
            c => out.push(c),
        }
    }
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::{inline, longest_run};

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(inline("a|b_c<x>"), "a\\|b\\_c\\<x\\>");
        assert_eq!(longest_run("a```b``", '`'), 3);
    }
}
