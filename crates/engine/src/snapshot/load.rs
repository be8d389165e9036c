//! Loading existing users: exports in, a [`Snapshot`] out, in parallel.
//!
//! An NDJSON export is cut into pieces of about 1 MiB at line ends, and the pieces of a
//! wave are framed and parsed on all threads; a JSON-array export is framed on one thread
//! (its grammar must be checked in order) and parsed on all. Then the index is filled, one
//! shard per task, every shard in snapshot order, so that the first holder of a key wins
//! whatever the thread count. Waves keep the temporary key lists small: only the offsets
//! (8 bytes a user) and the index stay.
//!
//! Every line is validated here (valid JSON, an object, a string `user_id`, and the right
//! types for the fields the engine reads later), so that later reads of the raw bytes can
//! trust them. A malformed line fails the load, naming the file and line (SPEC 1.2): a
//! wrong snapshot must never let conflicts through silently.

use std::collections::HashSet;
use std::path::PathBuf;

use rayon::prelude::*;

use super::{Bytes, ExportFile, Snapshot, User, UserNo};
use crate::doc::{Kind, Value};
use crate::error::{ErrorKind, JobError};
use crate::frame::{Format, Framer, Position, Span};
use crate::index::{Fingerprinter, HolderIndex, ShardMut};
use crate::input::{self, Source};
use crate::keys::{self, KeyKind};
use crate::parse::{Parser, Unparsable};
use crate::raw;

/// One export to load.
#[derive(Debug)]
pub enum ExportSource {
    /// A file: regular files are memory-mapped, anything else (a pipe) is read into memory.
    Path(PathBuf),
    /// Bytes already in memory, with a name for messages.
    Bytes {
        /// What messages call it, in place of a file name.
        name: String,
        /// The export, NDJSON or a JSON array.
        data: Vec<u8>,
    },
}

/// How to read the exports.
#[derive(Clone, Debug, Default)]
pub struct SnapshotOptions {
    /// The target connection (SPEC 1.2). `None`: every existing user is in it.
    pub connection: Option<String>,
    /// Threads for loading; 0 means one per core.
    pub threads: usize,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Target size of an NDJSON piece: big enough that a task outweighs its scheduling, small
/// enough that 2 threads get many.
const PIECE_BYTES: usize = 1 << 20;
/// Pieces per wave: the key lists of a wave are the load's only temporary memory (about
/// 2.5 MB for 32 MiB of export).
const WAVE_PIECES: usize = 32;
/// Records per piece of a JSON-array export.
const ARRAY_PIECE_RECORDS: usize = 1024;

/// A key found in a piece, before it goes into its shard.
#[derive(Clone, Copy, Debug)]
struct KeyRec {
    hash: u64,
    /// The user's number within its piece.
    user: u32,
    kind: KeyKind,
}

#[derive(Debug, Default)]
struct PieceOut {
    offsets: Vec<u64>,
    keys: Vec<KeyRec>,
    error: Option<BadLine>,
}

/// A malformed record: where it starts, its line if known, and what is wrong (never its
/// content).
#[derive(Debug)]
struct BadLine {
    at: u64,
    line: Option<u64>,
    what: String,
}

/// A unit of parallel work: NDJSON bytes to cut into lines, or framed array records.
enum Piece {
    Lines(std::ops::Range<usize>),
    Records(Vec<Span>),
}

struct Loader<'o> {
    files: Vec<ExportFile>,
    offsets: Vec<u64>,
    index: Option<HolderIndex>,
    /// Per shard, the keys found held twice so far, by (first holder, kind): a key held by
    /// three users counts once.
    twice: Vec<HashSet<(UserNo, KeyKind)>>,
    hasher: Fingerprinter,
    connection: Option<&'o str>,
    total_bytes: u64,
    pool: rayon::ThreadPool,
}

impl Snapshot {
    /// Loads existing users from exports (NDJSON or a JSON array each), in the order given.
    pub fn load(sources: Vec<ExportSource>, opts: &SnapshotOptions) -> Result<Snapshot, JobError> {
        let pool = crate::config::thread_pool(opts.threads, "user-import-load")?;
        let mut opened = Vec::with_capacity(sources.len());
        for s in sources {
            opened.push(open(s)?);
        }
        let mut loader = Loader {
            files: Vec::with_capacity(opened.len()),
            offsets: Vec::new(),
            index: None,
            twice: Vec::new(),
            hasher: Fingerprinter::new(),
            connection: opts.connection.as_deref(),
            total_bytes: opened.iter().map(|(_, b)| b.get().len() as u64).sum(),
            pool,
        };
        for (name, data) in opened {
            let first_user = loader.user_count(&name)?;
            loader.files.push(ExportFile { data, first_user });
            loader.file(&name)?;
        }
        let Loader {
            files,
            offsets,
            index,
            twice,
            hasher,
            ..
        } = loader;
        let held_twice = twice.iter().map(|t| t.len() as u64).sum();
        Ok(Snapshot {
            files,
            offsets,
            index: index.unwrap_or_else(|| HolderIndex::with_capacity(0)),
            hasher,
            connection: opts.connection.clone(),
            held_twice,
        })
    }
}

fn open(source: ExportSource) -> Result<(String, Bytes), JobError> {
    match source {
        ExportSource::Bytes { name, data } => Ok((name, Bytes::Owned(data))),
        ExportSource::Path(p) => {
            let name = p.display().to_string();
            let bytes = match input::open(&p) {
                Ok(Source::Mapped(m)) => Bytes::Mapped(m),
                Ok(Source::Stream(mut f)) => {
                    let mut v = Vec::new();
                    std::io::Read::read_to_end(&mut f, &mut v).map_err(|e| {
                        JobError::io(ErrorKind::Snapshot, &format!("cannot read {name}"), &e)
                    })?;
                    Bytes::Owned(v)
                }
                Err(e) => {
                    return Err(JobError::new(
                        ErrorKind::Snapshot,
                        None,
                        format!("existing users: {e}"),
                    ));
                }
            };
            Ok((name, bytes))
        }
    }
}

impl Loader<'_> {
    fn user_count(&self, name: &str) -> Result<UserNo, JobError> {
        UserNo::try_from(self.offsets.len()).map_err(|_| {
            JobError::new(
                ErrorKind::Snapshot,
                None,
                format!("existing users file {name}: more than 4,294,967,295 users in all"),
            )
        })
    }

    fn data(&self) -> &[u8] {
        self.files.last().map_or(&[], |f| f.data.get())
    }

    /// Loads the last file pushed.
    fn file(&mut self, name: &str) -> Result<(), JobError> {
        let data = self.data();
        let len = data.len();
        let body = raw::skip_ws(data, if data.starts_with(&BOM) { 3 } else { 0 });
        match data.get(body) {
            None => Ok(()),
            Some(b'{') => {
                let mut pieces = Vec::new();
                let mut at = body;
                while at < len {
                    let data = self.data();
                    let target = (at + PIECE_BYTES).min(len);
                    let end =
                        memchr::memchr(b'\n', &data[target..]).map_or(len, |o| target + o + 1);
                    pieces.push(Piece::Lines(at..end));
                    at = end;
                    if pieces.len() == WAVE_PIECES || at >= len {
                        self.wave(std::mem::take(&mut pieces))
                            .map_err(|b| bad_line(name, self.data(), b))?;
                    }
                }
                Ok(())
            }
            Some(b'[') => self.array(name),
            Some(_) => Err(JobError::new(
                ErrorKind::Snapshot,
                Some(position(data, body as u64)),
                format!(
                    "existing users file {name}: neither a JSON array nor NDJSON (it must start with '[' or '{{')"
                ),
            )),
        }
    }

    fn array(&mut self, name: &str) -> Result<(), JobError> {
        let len = self.data().len();
        let mut framer = Framer::new();
        let mut spans: Vec<Span> = Vec::new();
        let mut pieces = Vec::new();
        let mut at = 0;
        loop {
            let end = (at + PIECE_BYTES).min(len);
            let data = self.data();
            let step = if at < len {
                framer.feed(&data[at..end], at as u64, &mut spans)
            } else {
                framer.finish(len as u64, &mut spans)
            };
            step.map_err(|e| {
                JobError::new(
                    ErrorKind::Snapshot,
                    Some(e.position),
                    format!(
                        "existing users file {name}: line {}: {}",
                        e.position.line, e.message
                    ),
                )
            })?;
            debug_assert!(framer.format() != Some(Format::Ndjson));
            while spans.len() >= ARRAY_PIECE_RECORDS {
                pieces.push(Piece::Records(spans.drain(..ARRAY_PIECE_RECORDS).collect()));
            }
            let last = at >= len;
            if last && !spans.is_empty() {
                pieces.push(Piece::Records(std::mem::take(&mut spans)));
            }
            if pieces.len() >= WAVE_PIECES || (last && !pieces.is_empty()) {
                self.wave(std::mem::take(&mut pieces))
                    .map_err(|b| bad_line(name, self.data(), b))?;
            }
            if last {
                return Ok(());
            }
            at = end;
        }
    }

    /// Parses the pieces in parallel, then files their keys, shard by shard.
    fn wave(&mut self, pieces: Vec<Piece>) -> Result<(), BadLine> {
        if pieces.is_empty() {
            return Ok(());
        }
        let data = self.files.last().map_or(&[][..], |f| f.data.get());
        let (hasher, connection) = (&self.hasher, self.connection);
        let mut outs: Vec<PieceOut> = self.pool.install(|| {
            pieces
                .par_iter()
                .map(|p| piece(data, p, hasher, connection))
                .collect()
        });
        for out in &mut outs {
            if let Some(bad) = out.error.take() {
                return Err(bad);
            }
        }
        if self.index.is_none() {
            // Reserve the offsets once, from this first wave's bytes per user, with room to
            // spare: pages never written are never resident, while growing by doubling
            // would hold the old and the new copy at once.
            let wave_bytes: usize = pieces.iter().map(piece_bytes).sum();
            let users: usize = outs.iter().map(|o| o.offsets.len()).sum();
            let estimate = users as f64 / wave_bytes.max(1) as f64 * self.total_bytes as f64;
            self.offsets.reserve((estimate * 1.1) as usize);
        }
        let mut bases = Vec::with_capacity(outs.len());
        for out in &outs {
            bases.push(self.offsets.len() as u64);
            self.offsets.extend_from_slice(&out.offsets);
        }
        if self.offsets.len() > UserNo::MAX as usize {
            return Err(BadLine {
                at: 0,
                line: None,
                what: "more than 4,294,967,295 users in all".to_owned(),
            });
        }
        let total_bytes = self.total_bytes;
        let index = self.index.get_or_insert_with(|| {
            // Size the index once, from this first wave's keys per byte.
            let wave_bytes: usize = pieces.iter().map(piece_bytes).sum();
            let keys: usize = outs.iter().map(|o| o.keys.len()).sum();
            let estimate = keys as f64 / wave_bytes.max(1) as f64 * total_bytes as f64;
            HolderIndex::with_capacity((estimate * 1.02) as usize)
        });
        let n = index.shards();
        self.twice.resize_with(n, HashSet::new);
        self.pool.install(|| {
            outs.par_iter_mut().for_each(|o| {
                o.keys.sort_by_key(|k| HolderIndex::shard_for(k.hash, n));
            });
        });
        let view = Users {
            files: &self.files,
            offsets: &self.offsets,
            connection: self.connection,
        };
        let shards: Vec<(ShardMut<'_>, &mut HashSet<_>)> =
            index.shards_mut().zip(self.twice.iter_mut()).collect();
        self.pool.install(|| {
            shards
                .into_par_iter()
                .enumerate()
                .for_each(|(s, (mut shard, twice))| {
                    fill_shard(&mut shard, twice, s, n, &outs, &bases, &view);
                });
        });
        Ok(())
    }
}

fn piece_bytes(p: &Piece) -> usize {
    match p {
        Piece::Lines(r) => r.len(),
        Piece::Records(spans) => spans.iter().map(|s| (s.end - s.start) as usize).sum(),
    }
}

/// The existing users loaded so far, for confirming keys.
struct Users<'a> {
    files: &'a [ExportFile],
    offsets: &'a [u64],
    connection: Option<&'a str>,
}

impl Users<'_> {
    fn user(&self, u: UserNo) -> User<'_> {
        super::user_at(self.files, self.offsets, u)
    }
}

/// Files one shard's keys of a wave, pieces in order. A key some earlier user already holds
/// is not filed again (the first holder wins) and is noted in `twice`.
fn fill_shard(
    shard: &mut ShardMut<'_>,
    twice: &mut HashSet<(UserNo, KeyKind)>,
    s: usize,
    n: usize,
    outs: &[PieceOut],
    bases: &[u64],
    users: &Users<'_>,
) {
    let (mut mine, mut theirs) = (String::new(), String::new());
    for (out, &base) in outs.iter().zip(bases) {
        let keys = &out.keys;
        let lo = keys.partition_point(|k| HolderIndex::shard_for(k.hash, n) < s);
        let hi = keys.partition_point(|k| HolderIndex::shard_for(k.hash, n) <= s);
        for k in &keys[lo..hi] {
            let u = (base + u64::from(k.user)) as UserNo;
            let mut held = None;
            for c in shard.candidates(k.hash) {
                // A rare path: the same 32-bit tag. Compare the real keys.
                if mine.is_empty() {
                    users.user(u).key(k.kind, &mut mine);
                }
                let other = users.user(c);
                if other.key(k.kind, &mut theirs)
                    && theirs == mine
                    && (k.kind == KeyKind::UserId || other.in_connection(users.connection))
                {
                    held = Some(c);
                    break;
                }
            }
            mine.clear();
            match held {
                Some(first) => {
                    twice.insert((first, k.kind));
                }
                None => shard.insert(k.hash, u),
            }
        }
    }
}

/// Frames (NDJSON) and parses one piece.
fn piece(data: &[u8], p: &Piece, hasher: &Fingerprinter, connection: Option<&str>) -> PieceOut {
    let mut out = PieceOut::default();
    let mut parser = Parser::without_spans();
    let mut key = Vec::new();
    let mut one = |start: usize, end: usize, line: Option<u64>, out: &mut PieceOut| {
        let user = out.offsets.len() as u32;
        match check(
            &mut parser,
            &data[start..end],
            user,
            hasher,
            connection,
            &mut key,
            out,
        ) {
            Ok(()) => {
                out.offsets.push(start as u64);
                true
            }
            Err(what) => {
                out.error = Some(BadLine {
                    at: start as u64,
                    line,
                    what,
                });
                false
            }
        }
    };
    match p {
        Piece::Lines(r) => {
            let mut at = r.start;
            while at < r.end {
                let nl = memchr::memchr(b'\n', &data[at..r.end]).map_or(r.end, |o| at + o);
                let (mut s, mut e) = (at, nl);
                while s < e && raw::is_ws(data[s]) {
                    s += 1;
                }
                while e > s && raw::is_ws(data[e - 1]) {
                    e -= 1;
                }
                if s < e && !one(s, e, None, &mut out) {
                    return out;
                }
                at = nl + 1;
            }
        }
        Piece::Records(spans) => {
            for sp in spans {
                if !one(sp.start as usize, sp.end as usize, Some(sp.line), &mut out) {
                    return out;
                }
            }
        }
    }
    out
}

/// Validates one exported user and collects its keys.
fn check(
    parser: &mut Parser,
    rec: &[u8],
    user: u32,
    hasher: &Fingerprinter,
    connection: Option<&str>,
    key: &mut Vec<u8>,
    out: &mut PieceOut,
) -> Result<(), String> {
    parser.parse(rec, |parsed| {
        let p = parsed.map_err(|why| match why {
            Unparsable::Invalid { at, reason } => {
                format!("not valid JSON ({reason} at byte {at} of the record)")
            }
            Unparsable::TooDeep => "nested deeper than 64 levels".to_owned(),
            Unparsable::TooLarge { bytes } => format!("a record of {bytes} bytes, over 1 MiB"),
        })?;
        let root = Value::root(p.tape);
        if root.kind() != Kind::Object {
            return Err(format!(
                "a JSON {} where a user object belongs",
                root.kind().name()
            ));
        }
        // One pass over the members; the last of repeated keys wins, as in JSON.parse.
        let mut f: [Option<Value<'_, '_>>; FIELDS.len()] = [None; FIELDS.len()];
        for (k, v) in root.entries() {
            if let Some(i) = FIELDS.iter().position(|&n| n == k) {
                f[i] = Some(v);
            }
        }
        let uid = match f[0] {
            None => return Err("no user_id".to_owned()),
            Some(v) => v.as_str().ok_or_else(|| wrong("user_id", v, "a string"))?,
        };
        let string = |i: usize| -> Result<Option<&str>, String> {
            match f[i] {
                None => Ok(None),
                Some(v) if v.kind() == Kind::Null => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(Some)
                    .ok_or_else(|| wrong(FIELDS[i], v, "a string or null")),
            }
        };
        let (email, username, phone) = (string(1)?, string(2)?, string(3)?);
        let in_connection = identities(f[4], connection)?;
        for (i, want) in [(5, Kind::Number), (6, Kind::Object), (7, Kind::Object)] {
            if let Some(v) = f[i]
                && !matches!(v.kind(), Kind::Null)
                && v.kind() != want
            {
                let want = if want == Kind::Number {
                    "a number or null"
                } else {
                    "an object or null"
                };
                return Err(wrong(FIELDS[i], v, want));
            }
        }
        let mut push = |kind: KeyKind, s: &str| {
            key.clear();
            keys::form_stored(kind, s, key);
            out.keys.push(KeyRec {
                hash: hasher.short(kind, key),
                user,
                kind,
            });
        };
        push(KeyKind::UserId, uid);
        if in_connection {
            if let Some(s) = email {
                push(KeyKind::Email, s);
            }
            if let Some(s) = username {
                push(KeyKind::Username, s);
            }
            if let Some(s) = phone {
                push(KeyKind::Phone, s);
            }
        }
        Ok(())
    })
}

fn wrong(name: &str, v: Value<'_, '_>, want: &str) -> String {
    let got = match v.kind() {
        Kind::Null => "null",
        Kind::Object => "an object",
        Kind::Array => "an array",
        Kind::String => "a string",
        Kind::Number => "a number",
        Kind::Boolean => "a boolean",
    };
    format!("{name} is {got}, not {want}")
}

/// The fields of an exported user that the engine reads, by position in [`check`].
const FIELDS: [&str; 8] = [
    "user_id",
    "email",
    "username",
    "phone_number",
    "identities",
    "logins_count",
    "app_metadata",
    "user_metadata",
];

/// Checks `identities` and tells whether the user belongs to the target connection (the
/// same rule as [`User::in_connection`], on the parsed record).
fn identities(ids: Option<Value<'_, '_>>, connection: Option<&str>) -> Result<bool, String> {
    let ids = match ids {
        None => return Ok(true),
        Some(v) if v.kind() == Kind::Null => return Ok(true),
        Some(v) if v.kind() == Kind::Array => v,
        Some(v) => return Err(wrong("identities", v, "an array or null")),
    };
    let (mut named, mut found) = (false, false);
    for (i, id) in ids.elements().enumerate() {
        if id.kind() != Kind::Object {
            return Err(wrong(&format!("identities[{i}]"), id, "an object"));
        }
        match id.get("connection") {
            None => {}
            Some(c) if c.kind() == Kind::Null => {}
            Some(c) => {
                let c = c
                    .as_str()
                    .ok_or_else(|| wrong(&format!("identities[{i}].connection"), c, "a string"))?;
                named = true;
                found |= connection == Some(c);
            }
        }
    }
    Ok(connection.is_none() || found || !named)
}

fn position(data: &[u8], at: u64) -> Position {
    let before = &data[..(at as usize).min(data.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    Position {
        byte: at,
        line,
        column: at - line_start as u64 + 1,
    }
}

#[cold]
fn bad_line(name: &str, data: &[u8], bad: BadLine) -> JobError {
    let mut pos = position(data, bad.at);
    if let Some(line) = bad.line {
        pos.line = line;
    }
    JobError::new(
        ErrorKind::Snapshot,
        Some(pos),
        format!(
            "existing users file {name}: line {}: {}",
            pos.line, bad.what
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Connection membership is decided twice: on the parsed record when keys are filed, and
    /// from the raw bytes when a hit is confirmed. They must agree, or a filed key would
    /// never be confirmed (a missed conflict) or the other way round.
    #[test]
    fn both_connection_rules_agree() {
        let records = [
            r#"{"user_id":"a"}"#,
            r#"{"user_id":"a","identities":null}"#,
            r#"{"user_id":"a","identities":[]}"#,
            r#"{"user_id":"a","identities":[{"provider":"auth0"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":null}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"A"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"B"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"a"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"B"},{"connection":"A"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"B"},{}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"\u0041"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"A"}],"identities":[{"connection":"B"}]}"#,
            r#"{"user_id":"a","identities":[{"connection":"B","connection":"A"}]}"#,
        ];
        let mut parser = Parser::new();
        for rec in records {
            for connection in [None, Some("A")] {
                let parsed = parser.parse(rec.as_bytes(), |p| {
                    let root = Value::root(p.unwrap().tape);
                    identities(root.get("identities"), connection).unwrap()
                });
                let raw = User {
                    raw: rec.as_bytes(),
                }
                .in_connection(connection);
                assert_eq!(parsed, raw, "{rec} with {connection:?}");
            }
        }
    }
}
