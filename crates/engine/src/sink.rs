//! The push interface between the engine and whatever consumes its decisions, and the
//! job's [`Summary`].
//!
//! The engine calls [`Sink::record`] once per input record, in input order, from a single
//! thread, then [`Sink::finish`] once. A front end implements [`Sink`] to embed the engine;
//! [`crate::NdjsonSink`] is the command line's.

use std::error::Error;
use std::fmt;
use std::io;
use std::ops::{Add, Range};

use crate::finding::{Cause, Code, Finding};
use crate::keys::{KeyKind, MatchOn};

/// What the engine decided for one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A new user: Auth0 creates it.
    Insert,
    /// An existing user, matched by email or `user_id` (with `upsert`): Auth0 updates it.
    Update,
    /// Auth0 rejects the record; [`Record::errors`] says why.
    Error,
}

impl Op {
    /// The name on the wire: `insert`, `update` or `error`.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Error => "error",
        }
    }
}

/// One decided record, borrowed from the engine's buffers for the length of one
/// [`Sink`] call.
///
/// Beside the JSON fragments of the output line it carries the decision as values, so that a
/// front end never parses what the engine already knows.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// 0-based position of the record in the input.
    pub index: u64,
    /// The decision.
    pub op: Op,
    /// The user as the output line writes it, a JSON object: for an insert the user Auth0
    /// stores (email and username lower-cased, `user_id` with its `auth0|` prefix), for an
    /// update the attributes it changes (metadata merged when the engine was asked to), for
    /// an error the record as supplied with its secrets masked. `null` for a record that is
    /// not a JSON object.
    pub user: &'a [u8],
    /// For a record that is not a JSON object: a JSON string with at most 256 bytes of it.
    pub raw_excerpt: Option<&'a [u8]>,
    /// Why Auth0 would reject the record: empty unless `op` is [`Op::Error`].
    pub errors: Findings<'a>,
    /// What Auth0 accepts but will break later; never on an error.
    pub warnings: Findings<'a>,
    /// The record's identity keys as the engine compares them.
    pub keys: Keys<'a>,
    /// For an update: the existing user it matched.
    pub matched: Option<Matched<'a>>,
    /// The record's bytes as they were in the input; `None` when they were not kept (a
    /// record over the size limit read from a stream).
    pub original: Option<&'a [u8]>,
    /// The record's line of the operations stream (SPEC 6), newline included, exactly as
    /// [`crate::NdjsonSink`] writes it: rendered by the worker threads, so that a sink that
    /// forwards the wire format does no formatting of its own.
    pub line: &'a [u8],
}

/// The existing user an update matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matched<'a> {
    /// The matched user's `user_id`, as the export holds it.
    pub user_id: &'a str,
    /// The key that matched (the engine's `upsert` option).
    pub on: MatchOn,
}

/// The errors or the warnings of one record: as values ([`Findings::iter`]) and as the
/// JSON array the output line holds ([`Findings::json`]).
#[derive(Clone, Copy)]
pub struct Findings<'a> {
    json: &'a [u8],
    entries: &'a [Entry],
    text: &'a str,
}

/// A finding in a chunk: ranges into the chunk's text arena.
#[derive(Clone, Debug)]
pub struct Entry {
    pub code: Code,
    pub path: Option<Range<u32>>,
    pub message: Range<u32>,
    pub cause: Cause<Range<u32>>,
}

impl<'a> Findings<'a> {
    /// No findings.
    pub const EMPTY: Findings<'static> = Findings {
        json: b"",
        entries: &[],
        text: "",
    };

    pub(crate) fn new(json: &'a [u8], entries: &'a [Entry], text: &'a str) -> Self {
        Findings {
            json,
            entries,
            text,
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Each finding, in the order of the output line.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Finding<'a>> + 'a {
        let text = self.text;
        self.entries.iter().map(move |e| Finding {
            code: e.code,
            path: e
                .path
                .as_ref()
                .map(|r| &text[r.start as usize..r.end as usize]),
            message: &text[e.message.start as usize..e.message.end as usize],
            cause: e
                .cause
                .clone()
                .map(|r| &text[r.start as usize..r.end as usize]),
        })
    }

    /// Just the codes, in order.
    pub fn codes(&self) -> impl ExactSizeIterator<Item = Code> + 'a {
        self.entries.iter().map(|e| e.code)
    }

    /// The JSON array `[{"code":..,"message":..,"path":..},...]` of the output line; empty
    /// (not `[]`) when there are no findings.
    pub fn json(&self) -> &'a [u8] {
        self.json
    }
}

impl fmt::Debug for Findings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A record's identity keys, formed as the engine compares them (SPEC 5): `email` and
/// `username` lower-cased as JavaScript does, `user_id` with the `auth0|` prefix Auth0
/// stores, `phone_number` as is.
///
/// Present for every record that is a JSON object and holds the property as a string; a
/// record with a schema error has them too, though the engine compares only the keys of
/// records without one.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    arena: &'a [u8],
    ranges: &'a [Option<Range<u32>>; 4],
}

impl<'a> Keys<'a> {
    /// A record without keys.
    pub const NONE: Keys<'static> = Keys {
        arena: b"",
        ranges: &[None, None, None, None],
    };

    pub(crate) fn new(arena: &'a [u8], ranges: &'a [Option<Range<u32>>; 4]) -> Self {
        Keys { arena, ranges }
    }

    /// The key of one kind.
    pub fn get(&self, kind: KeyKind) -> Option<&'a str> {
        let r = self.ranges[kind as usize].as_ref()?;
        // Keys are formed from JSON strings; a failure here would be a bug, not input.
        std::str::from_utf8(&self.arena[r.start as usize..r.end as usize]).ok()
    }

    /// The lower-cased email.
    pub fn email(&self) -> Option<&'a str> {
        self.get(KeyKind::Email)
    }

    /// The `user_id` with its `auth0|` prefix.
    pub fn user_id(&self) -> Option<&'a str> {
        self.get(KeyKind::UserId)
    }

    /// The lower-cased username.
    pub fn username(&self) -> Option<&'a str> {
        self.get(KeyKind::Username)
    }

    /// The phone number.
    pub fn phone_number(&self) -> Option<&'a str> {
        self.get(KeyKind::Phone)
    }

    /// Every present key with its kind, in the order email, user_id, username, phone.
    pub fn iter(&self) -> impl Iterator<Item = (KeyKind, &'a str)> + 'a {
        let keys = *self;
        KeyKind::ALL
            .into_iter()
            .filter_map(move |k| keys.get(k).map(|v| (k, v)))
    }
}

impl fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.field(), v)))
            .finish()
    }
}

/// What a sink tells the engine after a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flow {
    /// Go on with the next record.
    #[default]
    Continue,
    /// Stop the job cleanly after this record: the engine reads no further, calls
    /// [`Sink::finish`] with [`Status::Stopped`] and returns the summary of the records
    /// delivered so far. Not an error.
    Stop,
}

/// A sink's failure (a write that failed, a store that refused): the job ends with an
/// [`ErrorKind::Output`](crate::ErrorKind::Output) error carrying its message.
#[derive(Debug)]
pub struct SinkError {
    inner: Box<dyn Error + Send + Sync>,
    io: Option<io::ErrorKind>,
}

impl SinkError {
    /// Any error a front end has.
    pub fn new(e: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        SinkError {
            inner: e.into(),
            io: None,
        }
    }

    /// The I/O error's kind, when the failure was one (`BrokenPipe` for `| head`).
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        self.io
    }
}

impl From<io::Error> for SinkError {
    fn from(e: io::Error) -> Self {
        SinkError {
            io: Some(e.kind()),
            inner: Box::new(e),
        }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Error for SinkError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.inner)
    }
}

/// What a [`Sink`] method returns.
pub type SinkResult = Result<Flow, SinkError>;

/// Receives the engine's decisions: [`Sink::record`] once per input record, in input order,
/// on one thread, then [`Sink::finish`] once (also when the job failed or was stopped).
///
/// Every method has a default, so a front end implements only what it needs: `record` to
/// see every record, or any of `insert`, `update` and `error` (which the default `record`
/// calls by [`Record::op`]), and `finish` to flush.
///
/// ```
/// use user_import::{Builder, Flow, Record, Sink, SinkResult};
///
/// /// Stops at the first failed record.
/// #[derive(Default)]
/// struct FirstError(Option<u64>);
///
/// impl Sink for FirstError {
///     fn error(&mut self, r: &Record<'_>) -> SinkResult {
///         self.0 = Some(r.index);
///         Ok(Flow::Stop)
///     }
/// }
///
/// let engine = Builder::new().build().unwrap();
/// let mut sink = FirstError::default();
/// let summary = engine
///     .run_bytes(br#"{"email":"a@example.com"}
/// {"email":"not an email"}
/// {"email":"c@example.com"}"#, &mut sink)
///     .unwrap();
/// assert_eq!(sink.0, Some(1));
/// assert_eq!(summary.total, 2);
/// ```
pub trait Sink {
    /// One decided record. By default, hands it to `insert`, `update` or `error`.
    fn record(&mut self, record: &Record<'_>) -> SinkResult {
        match record.op {
            Op::Insert => self.insert(record),
            Op::Update => self.update(record),
            Op::Error => self.error(record),
        }
    }

    /// A record Auth0 would create. By default, nothing.
    fn insert(&mut self, _record: &Record<'_>) -> SinkResult {
        Ok(Flow::Continue)
    }

    /// A record that would update an existing user. By default, nothing.
    fn update(&mut self, _record: &Record<'_>) -> SinkResult {
        Ok(Flow::Continue)
    }

    /// A record Auth0 would reject. By default, nothing.
    fn error(&mut self, _record: &Record<'_>) -> SinkResult {
        Ok(Flow::Continue)
    }

    /// Called once after the last record, also when the job failed or stopped part way.
    fn finish(&mut self, _summary: &Summary) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn record(&mut self, record: &Record<'_>) -> SinkResult {
        (**self).record(record)
    }

    fn insert(&mut self, record: &Record<'_>) -> SinkResult {
        (**self).insert(record)
    }

    fn update(&mut self, record: &Record<'_>) -> SinkResult {
        (**self).update(record)
    }

    fn error(&mut self, record: &Record<'_>) -> SinkResult {
        (**self).error(record)
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
        (**self).finish(summary)
    }
}

/// Whether the job ran to the end.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Status {
    /// Every record was decided.
    #[default]
    Completed,
    /// The sink asked to stop ([`Flow::Stop`]); the counts cover the records delivered.
    Stopped,
    /// The job failed as a whole; the reason names the position.
    Failed(String),
}

/// Counts of a job (or of part of one: summaries add up).
///
/// Always `total == inserted + updated + failed`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    /// Whether the job ran to the end.
    pub status: Status,
    /// Records decided.
    pub total: u64,
    /// Records that would be inserted.
    pub inserted: u64,
    /// Records that would update an existing user.
    pub updated: u64,
    /// Records Auth0 would reject.
    pub failed: u64,
    /// Warning entries on written records.
    pub warnings: u64,
    by_code: [u64; Code::ALL.len()],
}

impl Summary {
    /// Counts one decided record and the codes of its errors and warnings.
    pub(crate) fn count(
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

    /// Entries (errors and warnings) with one code.
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
