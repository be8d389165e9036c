//! The per-record stage that runs in parallel: parse, schema and hash rules, identity keys
//! and the rendering of the record's output fragments.
//!
//! Work happens in [`Chunk`]s of consecutive records so that buffers are per chunk, not per
//! record. Decisions that depend on earlier records (SPEC 5.2) are made afterwards, in order,
//! by [`crate::reconcile`].

use std::ops::Range;

use crate::doc::{Kind, Value};
use crate::emit::json::{write_excerpt, write_lower_str, write_masked, write_minified, write_str};
use crate::emit::merge::write_merged;
use crate::existing::{self, Existing, UPSERTABLE, Verdict};
use crate::finding::{Cause, Code, Finding, Findings};
use crate::index::Fingerprint;
use crate::keys::{self, MatchOn};
pub use crate::keys::{KeyKind, lower_into};
use crate::parse::{MAX_RECORD_BYTES, Parsed, Parser, Unparsable};
use crate::sink::{Entry, Findings as FindingList, Op};
use crate::validate;

/// Bytes of an unparsable record that its error line quotes.
pub const EXCERPT_BYTES: usize = 256;

/// One record's outcome inside a [`Chunk`]: ranges into the chunk's arenas.
#[derive(Clone, Debug)]
pub struct Rec {
    pub index: u64,
    pub op: Op,
    /// The record's bytes within the batch data, and whether they are all there.
    pub raw: Range<usize>,
    pub complete: bool,
    /// The record's whole line of the operations stream (SPEC 6), newline included; the
    /// `user`, `excerpt`, `errors` and `warnings` ranges lie inside it.
    pub line: Range<u32>,
    pub user: Range<u32>,
    pub excerpt: Option<Range<u32>>,
    pub errors: Range<u32>,
    pub warnings: Range<u32>,
    /// The errors and warnings as values: ranges into the chunk's `entries`.
    pub error_list: Range<u32>,
    pub warning_list: Range<u32>,
    /// Identity keys (lower-cased, prefixed) in the chunk's key arena, by [`KeyKind`]; for
    /// every object record, though only those of `schema_ok` records take part in matching.
    pub keys: [Option<Range<u32>>; 4],
    pub schema_ok: bool,
    /// For an update: the matched user's id (in `buf`) and the key that matched.
    pub matched: Option<(Range<u32>, MatchOn)>,
}

/// The outcomes of consecutive records and the arenas they point into.
#[derive(Debug, Default)]
pub struct Chunk {
    pub buf: Vec<u8>,
    pub keys: Vec<u8>,
    /// The findings as values, their paths and messages in `text`.
    pub entries: Vec<Entry>,
    pub text: String,
    pub recs: Vec<Rec>,
    /// The fingerprints of the keys that take part in in-file matching, in record and
    /// [`KeyKind`] order, made on the worker so that the serial reconciler only looks
    /// them up (see `reconcile::fingerprint`).
    pub fingerprints: Vec<(u32, KeyKind, Fingerprint)>,
}

impl Chunk {
    /// Empties the chunk for reuse, keeping its buffers.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.keys.clear();
        self.entries.clear();
        self.text.clear();
        self.recs.clear();
        self.fingerprints.clear();
    }

    pub fn slice(&self, r: &Range<u32>) -> &[u8] {
        &self.buf[r.start as usize..r.end as usize]
    }

    pub fn key(&self, r: &Range<u32>) -> &[u8] {
        &self.keys[r.start as usize..r.end as usize]
    }

    /// A record's errors or warnings: `json` in `buf`, `list` in `entries`.
    pub fn findings(&self, json: &Range<u32>, list: &Range<u32>) -> FindingList<'_> {
        FindingList::new(
            self.slice(json),
            &self.entries[list.start as usize..list.end as usize],
            &self.text,
        )
    }

    /// Appends findings as values; returns their range in `entries`.
    pub fn push_entries<'f>(&mut self, list: impl Iterator<Item = Finding<'f>>) -> Range<u32> {
        let start = self.entries.len() as u32;
        for f in list {
            let path = f.path.map(|p| {
                let s = self.text.len() as u32;
                self.text.push_str(p);
                s..self.text.len() as u32
            });
            let s = self.text.len() as u32;
            self.text.push_str(f.message);
            let message = s..self.text.len() as u32;
            let cause = f.cause.map(|id| {
                let s = self.text.len() as u32;
                self.text.push_str(id);
                s..self.text.len() as u32
            });
            self.entries.push(Entry {
                code: f.code,
                path,
                message,
                cause,
            });
        }
        start..self.entries.len() as u32
    }
}

/// What the engine is asked to decide, beyond the rules themselves.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordOptions<'s> {
    /// Turn warnings into `WARNING_DENIED` errors.
    pub deny_warnings: bool,
    /// The existing users, when the job has any (SPEC 5.3, 5.4).
    pub existing: Option<Existing<'s>>,
}

/// A record to process: its bytes in the batch data and its position.
#[derive(Clone, Debug)]
pub struct Input {
    /// The record's 0-based index in the input.
    pub index: u64,
    /// Its bytes' range in the batch data.
    pub raw: Range<usize>,
    /// False when only a prefix of the record was kept (it was over the size limit).
    pub complete: bool,
    /// The record's real size, which differs from `raw.len()` when incomplete.
    pub size: u64,
}

/// Per-thread scratch state, reused for every record.
#[derive(Debug, Default)]
pub struct Worker {
    parser: Parser,
    findings: Findings,
    path: String,
    scratch: existing::Scratch,
}

impl Worker {
    /// A worker with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Processes consecutive records of `data` into a new chunk.
    pub fn process(&mut self, data: &[u8], inputs: &[Input], opts: RecordOptions<'_>) -> Chunk {
        self.process_into(data, inputs, opts, Chunk::default())
    }

    /// Processes consecutive records of `data` into `chunk`, emptied first: a chunk that
    /// was written can come back here with its buffers.
    pub fn process_into(
        &mut self,
        data: &[u8],
        inputs: &[Input],
        opts: RecordOptions<'_>,
        mut chunk: Chunk,
    ) -> Chunk {
        chunk.clear();
        chunk.recs.reserve(inputs.len());
        chunk
            .buf
            .reserve(inputs.iter().map(|i| i.raw.len() + 64).sum());
        for input in inputs {
            self.one(data, input, opts, &mut chunk);
        }
        chunk
    }

    fn one(&mut self, data: &[u8], input: &Input, opts: RecordOptions<'_>, chunk: &mut Chunk) {
        let raw = &data[input.raw.clone()];
        self.findings.clear();
        let mut rec = Rec {
            index: input.index,
            op: Op::Error,
            raw: input.raw.clone(),
            complete: input.complete,
            line: 0..0,
            user: 0..0,
            excerpt: None,
            errors: 0..0,
            warnings: 0..0,
            error_list: 0..0,
            warning_list: 0..0,
            keys: [None, None, None, None],
            schema_ok: false,
            matched: None,
        };
        if !input.complete || input.size > MAX_RECORD_BYTES as u64 {
            unparsable(
                &mut self.findings,
                &Unparsable::TooLarge { bytes: input.size },
            );
            finish_unparsable(raw, &self.findings, &mut rec, chunk);
            chunk.recs.push(rec);
            return;
        }
        let mut ctx = Ctx {
            findings: &mut self.findings,
            path: &mut self.path,
            scratch: &mut self.scratch,
        };
        self.parser.parse(raw, |parsed| match parsed {
            Err(why) => {
                unparsable(ctx.findings, &why);
                finish_unparsable(raw, ctx.findings, &mut rec, chunk);
            }
            Ok(p) if p.root().kind() != Kind::Object => {
                let got = p.root().kind().name();
                ctx.findings.error(
                    Code::InvalidType,
                    "",
                    format_args!("invalid type: {got} (expected object)"),
                );
                finish_unparsable(raw, ctx.findings, &mut rec, chunk);
            }
            Ok(p) => object(raw, &p, opts, &mut ctx, &mut rec, chunk),
        });
        chunk.recs.push(rec);
    }
}

#[cold]
fn unparsable(findings: &mut Findings, why: &Unparsable) {
    match *why {
        Unparsable::TooLarge { bytes } => findings.error(
            Code::MaxSize,
            "",
            format_args!("the record is {bytes} bytes, over the limit of {MAX_RECORD_BYTES}"),
        ),
        Unparsable::TooDeep => findings.error(
            Code::MaxDepth,
            "",
            format_args!(
                "the record is nested deeper than {} levels",
                crate::parse::MAX_DEPTH
            ),
        ),
        Unparsable::Invalid { at, reason } => findings.error(
            Code::InvalidJson,
            "",
            format_args!("Invalid JSON at byte {at} of the record: {reason}"),
        ),
    }
}

#[cold]
fn finish_unparsable(raw: &[u8], findings: &Findings, rec: &mut Rec, chunk: &mut Chunk) {
    rec.op = Op::Error;
    open_line(chunk, rec, None);
    rec.user = push(chunk, |b| b.extend_from_slice(b"null"));
    chunk.buf.extend_from_slice(b",\"raw\":");
    rec.excerpt = Some(push(chunk, |b| write_excerpt(b, raw, EXCERPT_BYTES)));
    write_errors(findings, rec, chunk);
}

/// The worker's scratch state, lent to one record.
struct Ctx<'w> {
    findings: &'w mut Findings,
    path: &'w mut String,
    scratch: &'w mut existing::Scratch,
}

/// A record whose root is an object.
fn object(
    raw: &[u8],
    p: &Parsed<'_>,
    opts: RecordOptions<'_>,
    ctx: &mut Ctx<'_>,
    rec: &mut Rec,
    chunk: &mut Chunk,
) {
    let findings = &mut *ctx.findings;
    let root = p.root();
    let id = validate::validate(root, raw.len(), findings, ctx.path);
    for (kind, value) in [
        (KeyKind::Email, id.email),
        (KeyKind::UserId, id.user_id),
        (KeyKind::Username, id.username),
        (KeyKind::Phone, id.phone_number),
    ] {
        if let Some(s) = value {
            rec.keys[kind as usize] = Some(push_key(chunk, |k| keys::form_supplied(kind, s, k)));
        }
    }
    if findings.has_errors() {
        findings.clear_warnings();
        write_error_line(raw, findings, rec, chunk);
        return;
    }
    rec.schema_ok = true;
    let verdict = match &opts.existing {
        None => Verdict::Insert,
        Some(ex) => {
            let keys = std::array::from_fn(|i| rec.keys[i].as_ref().map(|r| chunk.key(r)));
            existing::decide(ex, keys, root, findings, ctx.scratch)
        }
    };
    if verdict == Verdict::Fail || (opts.deny_warnings && findings.has_warnings()) {
        // Conflicts come before warnings (SPEC 10): a conflicting record is never denied.
        if verdict != Verdict::Fail {
            findings.deny_warnings();
        }
        write_error_line(raw, findings, rec, chunk);
        return;
    }
    match (verdict, &opts.existing) {
        (Verdict::Update(m), Some(ex)) => {
            rec.op = Op::Update;
            let on = ex.upsert.unwrap_or_default();
            // The path buffer is free by now; it holds the id on its way into the chunk.
            let mut s = std::mem::take(ctx.path);
            ex.snapshot.user(m).string("user_id", &mut s);
            let id = push(chunk, |b| b.extend_from_slice(s.as_bytes()));
            rec.matched = Some((id, on));
            open_line(chunk, rec, Some((&s, on)));
            *ctx.path = s;
            rec.user = push(chunk, |b| write_update_user(b, raw, p, ex, m));
        }
        _ => {
            rec.op = Op::Insert;
            // Only a repeated key at the top level would make the patched copy differ, but
            // records with a repeated key anywhere are rare enough to go the long way.
            let repeats = root.no_repeats_anywhere() != Some(true);
            open_line(chunk, rec, None);
            rec.user = push(chunk, |b| {
                if repeats || !write_insert_patched(b, raw, p) {
                    write_insert_user(b, raw, p);
                }
            });
        }
    }
    if findings.has_warnings() {
        chunk.buf.extend_from_slice(b",\"warnings\":");
        rec.warnings = push(chunk, |b| write_findings(b, findings.warnings()));
        rec.warning_list = chunk.push_entries(findings.warnings());
    }
    close_line(chunk, rec);
}

fn push(chunk: &mut Chunk, f: impl FnOnce(&mut Vec<u8>)) -> Range<u32> {
    let start = chunk.buf.len() as u32;
    f(&mut chunk.buf);
    start..chunk.buf.len() as u32
}

fn push_key(chunk: &mut Chunk, f: impl FnOnce(&mut Vec<u8>)) -> Range<u32> {
    let start = chunk.keys.len() as u32;
    f(&mut chunk.keys);
    start..chunk.keys.len() as u32
}

/// The line of a record Auth0 rejects, the record as supplied with its secrets masked.
pub fn write_error_line(raw: &[u8], findings: &Findings, rec: &mut Rec, chunk: &mut Chunk) {
    rec.op = Op::Error;
    rec.matched = None;
    rec.warnings = 0..0;
    rec.warning_list = 0..0;
    open_line(chunk, rec, None);
    rec.user = push(chunk, |b| write_masked(b, raw));
    write_errors(findings, rec, chunk);
}

/// The errors and the end of an error line opened by [`open_line`].
fn write_errors(findings: &Findings, rec: &mut Rec, chunk: &mut Chunk) {
    rec.op = Op::Error;
    chunk.buf.extend_from_slice(b",\"errors\":");
    rec.errors = push(chunk, |b| write_findings(b, findings.errors()));
    rec.error_list = chunk.push_entries(findings.errors());
    close_line(chunk, rec);
}

/// Starts the record's line of the operations stream, up to its `user`:
/// `{"op":"insert","index":N,"user":`, and for an update the matched user's id and key.
/// The worker writes whole lines so that the serial thread only hands them on.
fn open_line(chunk: &mut Chunk, rec: &mut Rec, matched: Option<(&str, MatchOn)>) {
    let start = chunk.buf.len() as u32;
    let b = &mut chunk.buf;
    b.extend_from_slice(b"{\"op\":\"");
    b.extend_from_slice(rec.op.name().as_bytes());
    b.extend_from_slice(b"\",\"index\":");
    b.extend_from_slice(itoa::Buffer::new().format(rec.index).as_bytes());
    if let Some((id, on)) = matched {
        b.extend_from_slice(b",\"user_id\":");
        write_str(b, id);
        b.extend_from_slice(b",\"match\":");
        write_str(b, on.name());
    }
    b.extend_from_slice(b",\"user\":");
    rec.line = start..start;
}

/// Ends the line opened by [`open_line`].
fn close_line(chunk: &mut Chunk, rec: &mut Rec) {
    chunk.buf.extend_from_slice(b"}\n");
    rec.line.end = chunk.buf.len() as u32;
}

/// `[{"code":..,"message":..,"path":..},...]`; `path` is left out for path-less errors.
/// After Auth0's three members, what names the cause (ours): `duplicate_of` for an in-file
/// duplicate, `key` (when there is no path) and `existing_user_id` for an existing user's key.
pub fn write_findings<'a>(b: &mut Vec<u8>, list: impl Iterator<Item = Finding<'a>>) {
    b.push(b'[');
    for (i, f) in list.enumerate() {
        if i > 0 {
            b.push(b',');
        }
        b.extend_from_slice(b"{\"code\":\"");
        b.extend_from_slice(f.code.as_str().as_bytes());
        b.extend_from_slice(b"\",\"message\":");
        write_str(b, f.message);
        if let Some(path) = f.path {
            b.extend_from_slice(b",\"path\":");
            write_str(b, path);
        }
        match f.cause {
            Cause::None | Cause::DuplicateOf(None) => {}
            Cause::DuplicateOf(Some(i)) => {
                b.extend_from_slice(b",\"duplicate_of\":");
                b.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
            }
            Cause::Existing { user_id, key } => {
                if f.path.is_none() {
                    b.extend_from_slice(b",\"key\":");
                    write_str(b, key.field());
                }
                b.extend_from_slice(b",\"existing_user_id\":");
                write_str(b, user_id);
            }
        }
        b.push(b'}');
    }
    b.push(b']');
}

/// The insert `user` of a common record, written as the record's own bytes with three
/// patches: `email` and `username` lower-cased in place, `auth0|` put into `user_id`. Applies
/// when the record is already minified, has no escape anywhere (so every key and string is
/// written as [`write_insert_user`] would write it) and no repeated key (the caller checks),
/// and its `email` and `username` are ASCII. Returns false, having written nothing, when
/// it does not apply. One copy of the record instead of a walk that re-writes every member:
/// 6% less CPU on the 1M-user run (4.48 to 4.20 s user, BENCHMARKS.md).
fn write_insert_patched(b: &mut Vec<u8>, raw: &[u8], p: &Parsed<'_>) -> bool {
    if !p.is_minified() || memchr::memchr(b'\\', raw).is_some() {
        return false;
    }
    // Where the three values sit in the record: (offset, length) to lower-case, and where
    // the prefix goes.
    let mut lower: [(usize, usize); 2] = [(0, 0); 2];
    let mut user_id = None;
    for (key, value) in p.root().entries() {
        let Some(s) = value.as_str() else { continue };
        let slot = match key {
            "email" => 0,
            "username" => 1,
            "user_id" => {
                let Some(at) = p.raw_offset(s) else {
                    return false;
                };
                user_id = Some(at);
                continue;
            }
            _ => continue,
        };
        match p.raw_offset(s) {
            Some(at) if s.is_ascii() => lower[slot] = (at, s.len()),
            _ => return false,
        }
    }
    let start = b.len();
    match user_id {
        Some(at) => {
            b.extend_from_slice(&raw[..at]);
            b.extend_from_slice(b"auth0|");
            b.extend_from_slice(&raw[at..]);
        }
        None => b.extend_from_slice(raw),
    }
    for (at, len) in lower {
        let shift = if user_id.is_some_and(|u| u <= at) {
            6
        } else {
            0
        };
        b[start + at + shift..start + at + shift + len].make_ascii_lowercase();
    }
    true
}

/// The insert `user`: the record as Auth0 stores it. Keys keep their order (a repeated key
/// stands at its first position with its last value, as with `JSON.parse`); `user_id` gets
/// its `auth0|` prefix; `email` and `username` are lower-cased; every other value is copied
/// from the input, minified. Keys repeated deeper inside a value are copied as supplied:
/// any JSON reader that keeps the last value (as Auth0's does) reads the same object.
fn write_insert_user(b: &mut Vec<u8>, raw: &[u8], p: &Parsed<'_>) {
    write_object(b, p, |b, key, value, span| {
        match (key, value.as_str()) {
            ("email" | "username", Some(s)) => write_lower_str(b, s),
            ("user_id", Some(s)) => {
                let start = b.len();
                write_str(b, s);
                // The prefix goes in after the opening quote.
                b.splice(start + 1..start + 1, *b"auth0|");
            }
            _ => write_minified(b, &raw[span]),
        }
        true
    });
}

/// The update `user` (SPEC 5.4): only the upsertable attributes the record supplies, in its
/// order, as supplied; with `--merge-metadata`, metadata the existing user has is merged.
fn write_update_user(b: &mut Vec<u8>, raw: &[u8], p: &Parsed<'_>, ex: &Existing<'_>, m: u32) {
    let user = ex.snapshot.user(m);
    write_object(b, p, |b, key, _, span| {
        if !UPSERTABLE.contains(&key) {
            return false;
        }
        let theirs = if ex.merge_metadata && matches!(key, "app_metadata" | "user_metadata") {
            user.field(key)
        } else {
            None
        };
        match theirs {
            Some(theirs) => write_merged(b, theirs, &raw[span]),
            None => write_minified(b, &raw[span]),
        }
        true
    });
}

/// Writes the record's top-level members as an object, each key once (first position, last
/// value). `member` writes a member's value and returns true, or returns false to leave the
/// member out.
fn write_object(
    b: &mut Vec<u8>,
    p: &Parsed<'_>,
    mut member: impl FnMut(&mut Vec<u8>, &str, Value<'_, '_>, Range<usize>) -> bool,
) {
    let root = p.root();
    let spans = p.spans();
    b.push(b'{');
    let mut first = true;
    for (i, m) in root.members_all().enumerate() {
        if m.repeat {
            continue;
        }
        let (value, j) = if m.shadowed {
            // Rare: the value is the last member with this key.
            root.entries()
                .enumerate()
                .skip(i + 1)
                .filter(|(_, (k, _))| *k == m.key)
                .last()
                .map_or((m.value, i), |(j, (_, v))| (v, j))
        } else {
            (m.value, i)
        };
        let mark = b.len();
        if !first {
            b.push(b',');
        }
        write_str(b, m.key);
        b.push(b':');
        if member(b, m.key, value, spans[j].clone()) {
            first = false;
        } else {
            b.truncate(mark);
        }
    }
    b.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patched copy must be byte-identical to the member-by-member writer wherever it
    /// applies, and decline (writing nothing) wherever it cannot be.
    #[test]
    fn patched_insert_equals_the_full_writer_or_declines() {
        let applies = [
            r#"{"email":"Ann.B@Example.COM","user_id":"U1","username":"Ann_B","name":"Ann B","n":[1,2.50,{"a":"b c"}]}"#,
            r#"{"user_id":"x","email":"a@b.io"}"#,
            r#"{"email":"a@b.io","app_metadata":{},"user_metadata":{"k":"Ünïcode"},"blocked":false}"#,
            r#"{"email":"a@b.io","user_id":5}"#,
            r#"{}"#,
        ];
        let declines = [
            r#"{ "email":"a@b.io"}"#,
            r#"{"email":"a@b.io", "name":"x"}"#,
            r#"{"email":"a\u0041@b.io"}"#,
            r#"{"n\u0061me":"x","email":"a@b.io"}"#,
            r#"{"email":"ÄNN@b.io"}"#,
            r#"{"email":"a@b.io","username":"Straße"}"#,
            r#"{"email":"a@b.io"} "#,
        ];
        let mut parser = Parser::new();
        for (rec, should) in applies
            .iter()
            .map(|r| (r, true))
            .chain(declines.iter().map(|r| (r, false)))
        {
            parser.parse(rec.as_bytes(), |parsed| {
                let p = parsed.unwrap();
                let (mut fast, mut full) = (b"prefix".to_vec(), b"prefix".to_vec());
                let applied = write_insert_patched(&mut fast, rec.as_bytes(), &p);
                write_insert_user(&mut full, rec.as_bytes(), &p);
                assert_eq!(applied, should, "{rec}");
                if applied {
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&full)
                    );
                } else {
                    assert_eq!(fast, b"prefix", "{rec}: wrote while declining");
                }
            });
        }
    }
}
