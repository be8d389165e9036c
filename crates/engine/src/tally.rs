//! The findings of a job counted for people: errors and warnings apart, by record and by
//! entry, by code and by (code, path), each with the first record that shows it.
//!
//! A [`Tally`] is fed the decided records by a sink ([`crate::NdjsonSink`] keeps one for
//! `summary.json`); the command line ranks its rows for the end-of-run tables and the
//! report. It holds no secret: an error's example is its error line, which masks them
//! (SPEC 6.1), and a warning's example is its warnings array, whose messages never quote a
//! value.

use std::collections::{HashMap, HashSet};

use crate::finding::{Cause, Code, Finding};
use crate::keys::KeyKind;
use crate::sink::{Findings, Record};

/// Distinct (code, path) rows a [`Breakdown`] keeps; the findings of further paths are
/// counted in one row per code with [`PathRow::other_paths`] set. Paths name properties,
/// and unknown properties are the input's own, so their number is the input's to choose.
pub const MAX_PATHS: usize = 1000;
/// Bytes of an example line kept; a longer one is cut (at a character boundary) and ends
/// with `…`.
pub const EXAMPLE_BYTES: usize = 4096;

/// A (code, path, key of a path-less finding) row's identity.
type Pair = (Code, Option<Box<str>>, Option<KeyKind>);

/// Records and entries of one kind of finding.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// The errors: each failed record has at least one.
    pub errors: Breakdown,
    /// The warnings, on inserts and updates.
    pub warnings: Breakdown,
    seen: HashSet<Pair>,
}

/// The findings of one kind (errors or warnings) of a job.
#[derive(Clone, Debug, Default)]
pub struct Breakdown {
    /// Records with at least one such finding.
    pub records: u64,
    /// Such findings, all told.
    pub entries: u64,
    codes: HashMap<Code, CodeRows>,
    pairs: usize,
}

/// One code's rows: the code's own, then by path (looked up by `&str`, no allocation
/// once the row exists). Path-less findings are counted by the key they name (an existing
/// user's `DUPLICATED_USER` by email and by user_id are two problems), the last slot for
/// those that name none.
#[derive(Clone, Debug, Default)]
struct CodeRows {
    all: Row,
    no_path: [Option<Row>; KeyKind::ALL.len() + 1],
    by_path: HashMap<Box<str>, Row>,
    other: Option<Row>,
}

#[derive(Clone, Debug, Default)]
struct Row {
    records: u64,
    entries: u64,
    example: u64,
    line: Box<[u8]>,
}

/// A code's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeRow {
    /// The code.
    pub code: Code,
    /// Records with at least one finding of this code.
    pub records: u64,
    /// Findings of this code.
    pub entries: u64,
    /// The index of the first such record.
    pub example: u64,
}

/// The findings of one (code, path) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathRow<'a> {
    /// The code.
    pub code: Code,
    /// The path; `None` for a path-less finding, or for the row of
    /// [`other_paths`](Self::other_paths).
    pub path: Option<&'a str>,
    /// For a path-less row, the key its findings name ([`Cause::Existing`]'s): Auth0's
    /// `DUPLICATED_USER` for an existing user has no path, and this says which key.
    pub key: Option<KeyKind>,
    /// The row that counts this code's paths beyond the first [`MAX_PATHS`] pairs.
    pub other_paths: bool,
    /// Records with at least one such finding.
    pub records: u64,
    /// Such findings.
    pub entries: u64,
    /// The index of the first such record.
    pub example: u64,
    /// For an error, the example's error line (secrets masked); for a warning, its
    /// warnings array. At most [`EXAMPLE_BYTES`] (then ending with `…`).
    pub example_line: &'a [u8],
}

impl Tally {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a decided record's errors and warnings.
    pub fn add(&mut self, r: &Record<'_>) {
        if !r.errors.is_empty() {
            self.errors.add(r.index, r.errors, r.line, &mut self.seen);
        }
        if !r.warnings.is_empty() {
            self.warnings
                .add(r.index, r.warnings, r.warnings.json(), &mut self.seen);
        }
    }
}

impl Breakdown {
    fn add(&mut self, index: u64, list: Findings<'_>, line: &[u8], seen: &mut HashSet<Pair>) {
        self.records += 1;
        self.entries += list.len() as u64;
        // A pair counts one record however often the record repeats it; records have few
        // findings, so a scan, unless this one has many.
        let many = list.len() > 16;
        seen.clear();
        let mut code_seen = [false; Code::ALL.len()];
        for (i, f) in list.iter().enumerate() {
            let earlier = || list.iter().take(i);
            let first_of_pair = if many {
                seen.insert((f.code, f.path.map(Into::into), row_key(&f)))
            } else {
                !earlier()
                    .any(|e| e.code == f.code && e.path == f.path && row_key(&e) == row_key(&f))
            };
            let first_of_code = !std::mem::replace(&mut code_seen[f.code as usize], true);
            let c = self.codes.entry(f.code).or_default();
            count(&mut c.all, first_of_code, index, line);
            let row = match f.path {
                None => c.no_path[row_key(&f).map_or(KeyKind::ALL.len(), |k| k as usize)]
                    .get_or_insert_with(|| {
                        self.pairs += 1;
                        Row::default()
                    }),
                Some(p) => {
                    if !c.by_path.contains_key(p) && self.pairs < MAX_PATHS {
                        self.pairs += 1;
                        c.by_path.insert(p.into(), Row::default());
                    }
                    match c.by_path.get_mut(p) {
                        Some(row) => row,
                        None => c.other.get_or_insert_with(Row::default),
                    }
                }
            };
            count(row, first_of_pair, index, line);
        }
    }

    /// Per code, most records first (then most entries, then the code's name).
    pub fn by_code(&self) -> Vec<CodeRow> {
        let mut rows: Vec<CodeRow> = self
            .codes
            .iter()
            .map(|(&code, c)| CodeRow {
                code,
                records: c.all.records,
                entries: c.all.entries,
                example: c.all.example,
            })
            .collect();
        rows.sort_by(|a, b| {
            (b.records, b.entries)
                .cmp(&(a.records, a.entries))
                .then_with(|| a.code.as_str().cmp(b.code.as_str()))
        });
        rows
    }

    /// Per (code, path), most records first (then most entries, code, path); a code's row
    /// of paths beyond [`MAX_PATHS`] comes after its other rows of the same rank.
    pub fn by_code_path(&self) -> Vec<PathRow<'_>> {
        let mut rows = Vec::new();
        for (&code, c) in &self.codes {
            for (slot, r) in c.no_path.iter().enumerate() {
                if let Some(r) = r {
                    let key = KeyKind::ALL.get(slot).copied();
                    rows.push(PathRow {
                        key,
                        ..path_row(code, None, false, r)
                    });
                }
            }
            for (p, r) in &c.by_path {
                rows.push(path_row(code, Some(p), false, r));
            }
            if let Some(r) = &c.other {
                rows.push(path_row(code, None, true, r));
            }
        }
        rows.sort_by(|a, b| {
            (b.records, b.entries)
                .cmp(&(a.records, a.entries))
                .then_with(|| a.code.as_str().cmp(b.code.as_str()))
                .then_with(|| a.other_paths.cmp(&b.other_paths))
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.key.map(|k| k as u8).cmp(&b.key.map(|k| k as u8)))
        });
        rows
    }
}

fn path_row<'a>(code: Code, path: Option<&'a str>, other: bool, r: &'a Row) -> PathRow<'a> {
    PathRow {
        code,
        path,
        key: None,
        other_paths: other,
        records: r.records,
        entries: r.entries,
        example: r.example,
        example_line: &r.line,
    }
}

/// The key a path-less finding's row is counted under.
fn row_key(f: &Finding<'_>) -> Option<KeyKind> {
    match (&f.path, &f.cause) {
        (None, Cause::Existing { key, .. }) => Some(*key),
        _ => None,
    }
}

fn count(row: &mut Row, new_record: bool, index: u64, line: &[u8]) {
    row.entries += 1;
    if new_record {
        if row.records == 0 {
            row.example = index;
            row.line = example(line);
        }
        row.records += 1;
    }
}

/// `line` without its newline, cut to [`EXAMPLE_BYTES`].
fn example(line: &[u8]) -> Box<[u8]> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if line.len() <= EXAMPLE_BYTES {
        return line.into();
    }
    let mut end = EXAMPLE_BYTES - "…".len();
    // Lines are UTF-8 (JSON the engine wrote): back up to a character boundary.
    while end > 0 && (line[end] & 0xc0) == 0x80 {
        end -= 1;
    }
    let mut v = line[..end].to_vec();
    v.extend_from_slice("…".as_bytes());
    v.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Builder, NdjsonSink};

    fn tally(input: &str) -> (Tally, crate::Summary) {
        let engine = Builder::new().threads(2).build().expect("engine");
        let mut sink = NdjsonSink::new(Vec::new());
        let summary = engine.run_bytes(input.as_bytes(), &mut sink).expect("job");
        (sink.tally().clone(), summary)
    }

    #[test]
    fn path_less_conflicts_are_counted_by_the_key_the_existing_user_holds() {
        let export = concat!(
            "{\"user_id\":\"auth0|e1\",\"email\":\"a@x.co\"}\n",
            "{\"user_id\":\"auth0|e2\",\"email\":\"z@x.co\"}\n",
        );
        let snapshot = crate::Snapshot::load(
            vec![crate::ExportSource::Bytes {
                name: "export".into(),
                data: export.as_bytes().to_vec(),
            }],
            &crate::SnapshotOptions::default(),
        )
        .expect("export");
        let engine = Builder::new()
            .existing(std::sync::Arc::new(snapshot))
            .build()
            .expect("engine");
        let mut sink = NdjsonSink::new(Vec::new());
        let input = concat!(
            "{\"email\":\"A@x.co\"}\n",                    // 0: existing email
            "{\"email\":\"b@x.co\",\"user_id\":\"e2\"}\n", // 1: existing user_id
            "{\"email\":\"c@x.co\",\"user_id\":\"e1\"}\n", // 2: existing user_id
            "{\"email\":\"Z@x.co\"}\n",                    // 3: existing email
        );
        engine.run_bytes(input.as_bytes(), &mut sink).expect("job");
        let rows: Vec<_> = sink
            .tally()
            .errors
            .by_code_path()
            .into_iter()
            .map(|r| (r.code, r.path, r.key, r.records, r.example))
            .collect();
        assert_eq!(
            rows,
            [
                (Code::DuplicatedUser, None, Some(KeyKind::Email), 2, 0),
                (Code::DuplicatedUser, None, Some(KeyKind::UserId), 2, 1),
            ]
        );
        let mut summary = Vec::new();
        crate::emit::write_summary(&mut summary, &crate::Summary::default(), Some(sink.tally()));
        let text = String::from_utf8(summary).expect("utf-8");
        assert!(
            text.contains("{\"code\":\"DUPLICATED_USER\",\"path\":null,\"key\":\"user_id\","),
            "{text}"
        );
    }

    #[test]
    fn counts_records_and_entries_apart_and_agree_with_the_summary() {
        let (t, s) = tally(concat!(
            "{\"email\":\"a@x.co\"}\n",                         // 0: NO_PASSWORD
            "{\"email\":\"bad\",\"zz\":1,\"yy\":2}\n",          // 1: FORMAT, 2 x OBJECT_ADDITIONAL
            "{\"email\":\"b@x.co\",\"zz\":1}\n",                // 2: OBJECT_ADDITIONAL zz
            "{\"email\":\"a@x.co\"}\n",                         // 3: DUPLICATED_USER of 0
            "{\"email\":\"c@x.co\",\"user_id\":\"auth0|c\"}\n", // 4: NO_PASSWORD, DOUBLE_PREFIX
        ));
        assert_eq!(t.errors.records, s.failed);
        assert_eq!(t.warnings.entries, s.warnings);
        assert_eq!((t.errors.records, t.errors.entries), (3, 5));
        assert_eq!((t.warnings.records, t.warnings.entries), (2, 3));
        let codes = t.errors.by_code();
        assert_eq!(codes[0].code, Code::ObjectAdditionalProperties);
        assert_eq!(
            (codes[0].records, codes[0].entries, codes[0].example),
            (2, 3, 1)
        );
        for c in t.errors.by_code().iter().chain(&t.warnings.by_code()) {
            assert_eq!(c.entries, s.count_of(c.code));
        }
        let paths = t.errors.by_code_path();
        let zz = paths
            .iter()
            .find(|r| r.path == Some("zz"))
            .expect("a zz row");
        assert_eq!((zz.records, zz.entries, zz.example), (2, 2, 1));
        // Ranked: most records first.
        assert!(paths.windows(2).all(|w| w[0].records >= w[1].records));
        let dup = paths
            .iter()
            .find(|r| r.code == Code::DuplicatedUser)
            .expect("a duplicate row");
        assert_eq!(dup.example, 3);
        assert!(
            std::str::from_utf8(dup.example_line)
                .expect("utf-8")
                .contains("\"duplicate_of\":0")
        );
        let nopw = t
            .warnings
            .by_code_path()
            .into_iter()
            .find(|r| r.code == Code::NoPassword)
            .expect("a NO_PASSWORD row");
        assert_eq!((nopw.records, nopw.example), (2, 0));
        assert!(nopw.example_line.starts_with(b"[{\"code\":\"NO_PASSWORD\""));
    }

    #[test]
    fn paths_beyond_the_cap_share_one_row_per_code() {
        let mut input = String::new();
        for i in 0..MAX_PATHS + 5 {
            input.push_str(&format!("{{\"email\":\"bad\",\"k{i}\":1}}\n"));
        }
        let (t, s) = tally(&input);
        assert_eq!(t.errors.records, s.failed);
        let rows = t.errors.by_code_path();
        assert_eq!(rows.len(), MAX_PATHS + 1);
        let other = rows
            .iter()
            .find(|r| r.other_paths)
            .expect("an overflow row");
        assert_eq!(other.code, Code::ObjectAdditionalProperties);
        assert_eq!(other.path, None);
        // FORMAT email took one pair; MAX_PATHS - 1 unknown keys got their own row.
        assert_eq!(other.records, 6);
        let total: u64 = rows.iter().map(|r| r.entries).sum();
        assert_eq!(total, t.errors.entries);
    }

    #[test]
    fn long_example_lines_are_cut_at_a_character_boundary() {
        let line = "é".repeat(EXAMPLE_BYTES);
        let cut = example(line.as_bytes());
        assert!(cut.len() <= EXAMPLE_BYTES);
        let text = std::str::from_utf8(&cut).expect("still UTF-8");
        assert!(text.ends_with('…'));
    }
}
