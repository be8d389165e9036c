//! The push interface between the engine and whatever consumes its decisions, and the
//! job's [`Summary`].
//!
//! The engine calls exactly one of `insert`, `update` or `error` per input record, in input
//! order, from a single thread, then `finish` once. A front end implements [`Sink`] to embed
//! the engine; [`crate::emit::NdjsonSink`] is the command line's.

use std::io;
use std::ops::Add;

use crate::finding::Code;

/// What the engine decided for one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
    Error,
}

/// One decided record, borrowed from the engine's buffers.
///
/// The JSON fragments are ready to be spliced into output: `user` is an object (or `null`
/// for a record that is not a JSON object), `errors` and `warnings` are arrays of
/// `{code, message, path}` (empty slices when there are none).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// 0-based position of the record in the input.
    pub index: u64,
    pub op: Op,
    pub user: &'a [u8],
    /// For a record that is not a JSON object: a JSON string with at most 256 bytes of it.
    pub raw_excerpt: Option<&'a [u8]>,
    pub errors: &'a [u8],
    pub warnings: &'a [u8],
    /// For an update: the matched user's id and the key that matched (`email` or `user_id`).
    pub matched: Option<(&'a str, &'a str)>,
    /// The record's bytes as they were in the input; `None` when they were not kept (a
    /// record over the size limit read from a stream).
    pub original: Option<&'a [u8]>,
}

/// Receives the engine's decisions. See the module docs for the calling order.
pub trait Sink {
    fn insert(&mut self, record: &Record<'_>) -> io::Result<()>;
    fn update(&mut self, record: &Record<'_>) -> io::Result<()>;
    fn error(&mut self, record: &Record<'_>) -> io::Result<()>;
    /// Called once after the last record, also when the job failed part way.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Whether the job ran to the end.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Completed,
    /// The job failed as a whole; the reason names the position.
    Failed(String),
}

/// Counts of a job (or of part of one: summaries add up).
///
/// Always `total == inserted + updated + failed`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    pub status: Status,
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub failed: u64,
    /// Warning entries on written records.
    pub warnings: u64,
    by_code: [u64; Code::ALL.len()],
}

impl Summary {
    /// Counts one decided record and the codes of its errors and warnings.
    pub fn count(
        &mut self,
        op: Op,
        errors: impl Iterator<Item = Code>,
        warnings: impl Iterator<Item = Code>,
    ) {
        self.total += 1;
        match op {
            Op::Insert => self.inserted += 1,
            Op::Update => self.updated += 1,
            Op::Error => self.failed += 1,
        }
        for c in errors {
            self.by_code[c as usize] += 1;
        }
        for c in warnings {
            self.warnings += 1;
            self.by_code[c as usize] += 1;
        }
    }

    /// Entries (errors and warnings) per code, in code-name order, zero counts left out.
    pub fn by_code(&self) -> Vec<(Code, u64)> {
        let mut v: Vec<(Code, u64)> = Code::ALL
            .iter()
            .map(|&c| (c, self.by_code[c as usize]))
            .filter(|&(_, n)| n > 0)
            .collect();
        v.sort_by_key(|(c, _)| c.as_str());
        v
    }

    pub fn count_of(&self, code: Code) -> u64 {
        self.by_code[code as usize]
    }
}

impl Add for Summary {
    type Output = Summary;

    fn add(mut self, rhs: Summary) -> Summary {
        self.total += rhs.total;
        self.inserted += rhs.inserted;
        self.updated += rhs.updated;
        self.failed += rhs.failed;
        self.warnings += rhs.warnings;
        for (a, b) in self.by_code.iter_mut().zip(rhs.by_code) {
            *a += b;
        }
        if self.status == Status::Completed {
            self.status = rhs.status;
        }
        self
    }
}
