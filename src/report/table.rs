//! The end-of-run tables on standard error: failed records by code and path, then
//! warnings, largest first, each row with one example index to look up in the output.

use std::fmt::Write as _;

use user_import::{Breakdown, Tally};

use super::{Totals, path_label};

/// Rows shown per table; the `--report` file has them all.
pub const ROWS: usize = 10;
/// Columns a path may take before it is cut; unknown properties' names are the input's.
const PATH_COLUMNS: usize = 40;

/// Whether the tables may be coloured: standard error is a terminal and `NO_COLOR` is unset
/// or empty (https://no-color.org).
pub fn colour_wanted(stderr_is_terminal: bool) -> bool {
    stderr_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The columns of standard error when it is a terminal.
pub fn terminal_columns() -> Option<usize> {
    console::Term::stderr()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
}

/// The two tables, empty when the job had neither errors nor warnings. With `columns` (a
/// terminal's), paths are cut so that rows fit when they can.
pub fn render(totals: &Totals, tally: &Tally, colour: bool, columns: Option<usize>) -> String {
    let mut out = String::new();
    table(
        &mut out,
        "failed records",
        totals,
        &tally.errors,
        Paint::new(colour, "31"),
        columns,
    );
    table(
        &mut out,
        "records with warnings",
        totals,
        &tally.warnings,
        Paint::new(colour, "33"),
        columns,
    );
    out
}

#[derive(Clone, Copy)]
struct Paint {
    on: bool,
    code: &'static str,
}

impl Paint {
    fn new(on: bool, code: &'static str) -> Paint {
        Paint { on, code }
    }

    /// `text` in the code's colour; padding is applied before, so columns stay aligned.
    fn code(self, text: &str) -> String {
        self.wrap(self.code, text)
    }

    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn wrap(self, sgr: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn table(
    out: &mut String,
    what: &str,
    totals: &Totals,
    b: &Breakdown,
    paint: Paint,
    columns: Option<usize>,
) {
    if b.records == 0 {
        return;
    }
    let rows = b.by_code_path();
    let shown = rows.iter().take(ROWS);
    // Everything but the path: indent, code, numbers and the gaps between them.
    let others = shown
        .clone()
        .map(|r| {
            2 + r.code.as_str().len()
                + 2
                + 2
                + r.records.to_string().len().max(7)
                + 2
                + 6
                + 2
                + r.example.to_string().len().max(6)
        })
        .max()
        .unwrap_or(0);
    let path_columns = columns.map_or(PATH_COLUMNS, |c| {
        c.saturating_sub(others + 1).clamp(12, PATH_COLUMNS)
    });
    let shown: Vec<[String; 5]> = shown
        .map(|r| {
            [
                r.code.as_str().to_owned(),
                cut(&path_label(r), path_columns),
                r.records.to_string(),
                totals.percent(r.records),
                format!("#{}", r.example),
            ]
        })
        .collect();
    let header = ["code", "path", "records", "%", "example"];
    let mut width = header.map(|h| h.chars().count());
    for row in &shown {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let _ = writeln!(
        out,
        "user-import: {} {what} ({} entries), by code and path, most first:",
        b.records, b.entries
    );
    let line = |cells: [&str; 5]| {
        // Code and path to the left, numbers to the right.
        format!(
            "  {:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4],
        )
    };
    let _ = writeln!(out, "{}", paint.bold(line(header).trim_end()));
    for row in &shown {
        let text = line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
        // The code is the first column: colour it alone, after the padding.
        let (code, rest) = text.split_at(2 + width[0]);
        let _ = writeln!(
            out,
            "  {}{}{}",
            paint.code(&row[0]),
            &code[2 + row[0].len()..],
            rest.trim_end()
        );
    }
    if rows.len() > ROWS {
        let _ = writeln!(out, "  … {} more rows, see --report", rows.len() - ROWS);
    }
}

/// `s` in at most `n` columns (characters), ending with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn long_paths_are_cut() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
    }
}
