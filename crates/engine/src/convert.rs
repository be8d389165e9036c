//! `convert` (SPEC 8): an Auth0 user export in, a JSON array that the import accepts out.
//!
//! Each exported user keeps the members the import schema accepts ([`PROPERTIES`]), in
//! their order, minified but otherwise byte for byte (metadata verbatim, numbers as
//! written); `user_id` loses exactly one leading `auth0|`, which the import adds back. Every
//! other member (`created_at`, `identities`, `logins_count`, ...) is dropped and counted by
//! name, and so is an accepted member whose value is `null`, which the schema rejects.
//!
//! The export is read in windows and framed by the same [`Framer`] as a users file (NDJSON,
//! or a JSON array), so memory holds one window and at most one user (1 MiB, the record
//! limit) whatever the export's size. Every user is parsed by the record parser before its
//! bytes are read with [`crate::raw`], which trusts them. A malformed user fails the whole
//! conversion with its position and never with its content: exports carry personal data.
//!
//! ```
//! use user_import::{ConvertOptions, convert};
//!
//! let export = concat!(
//!     r#"{"user_id":"auth0|42","email":"ann@example.com","logins_count":3,"created_at":"2020-01-01"}"#,
//!     "\n",
//! );
//! let mut out = Vec::new();
//! let report = convert(&mut export.as_bytes(), &mut out, &ConvertOptions::default()).unwrap();
//! assert_eq!(out, b"[\n{\"user_id\":\"42\",\"email\":\"ann@example.com\"}\n]\n");
//! assert_eq!(report.users, 1);
//! assert_eq!(report.dropped, [("created_at".to_owned(), 1), ("logins_count".to_owned(), 1)]);
//! ```

use std::collections::BTreeMap;
use std::io::{BufWriter, Read, Write};

use crate::doc::{Kind, Value};
use crate::emit::json::{write_minified, write_str};
use crate::error::{ErrorKind, JobError};
use crate::frame::{Framer, Position, Span};
use crate::input;
use crate::parse::{MAX_RECORD_BYTES, Parser, Unparsable};
use crate::raw;
use crate::snapshot::User;
use crate::validate::PROPERTIES;

/// The prefix Auth0 gives the ids of database users, and the import adds back.
const PREFIX: &str = "auth0|";

/// Distinct field names counted one by one; more are counted together under
/// [`OTHER_FIELDS`], so that a hostile export cannot grow the tallies without bound.
const MAX_NAMES: usize = 1_000;
/// Longer field names are counted under [`OTHER_FIELDS`] too.
const MAX_NAME_BYTES: usize = 256;
/// The name the tallies give the fields past those limits.
pub const OTHER_FIELDS: &str = "(other fields)";

/// How to convert.
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    /// Keep only the users of this connection (the rule of `run --connection`, SPEC 1.2):
    /// users whose `identities` name connections but not this one are left out and
    /// counted. By default (`None`), every user is kept.
    pub connection: Option<String>,
    /// Bytes read at a time. By default, 1 MiB. Output does not depend on it.
    pub read_bytes: usize,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            connection: None,
            read_bytes: 1 << 20,
        }
    }
}

/// What a conversion did. Tallies are sorted by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConvertReport {
    /// Users written.
    pub users: u64,
    /// Users left out because they belong to another connection (with `connection`).
    pub other_connection: u64,
    /// Members the import schema does not accept, dropped, per field name.
    pub dropped: Vec<(String, u64)>,
    /// Accepted members dropped because their value is `null`, per field name.
    pub nulls: Vec<(String, u64)>,
    /// String `user_id`s without the `auth0|` prefix (users of other identity providers,
    /// `google-oauth2|...`), kept whole: the import stores them as `auth0|` + the id.
    pub unprefixed_ids: u64,
}

/// Converts the export read from `reader` (NDJSON or a JSON array of users) into a JSON
/// array written to `out`, one user a line. See the module docs.
pub fn convert(
    reader: &mut dyn Read,
    out: &mut dyn Write,
    opts: &ConvertOptions,
) -> Result<ConvertReport, JobError> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut c = Converter {
        parser: Parser::without_spans(),
        connection: opts.connection.as_deref(),
        dropped: BTreeMap::new(),
        nulls: BTreeMap::new(),
        name: String::new(),
        id: String::new(),
        user: Vec::new(),
        report: ConvertReport::default(),
    };
    let mut framer = Framer::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    // Absolute offset of buf[0], and of the start of the line that holds it.
    let (mut base, mut line_start) = (0u64, 0u64);
    let read = opts.read_bytes.max(1);
    loop {
        let scanned = buf.len();
        let got = input::read_some(reader, &mut buf, read).map_err(|e| {
            JobError::io(
                ErrorKind::Input,
                &format!("read error at byte {}", base + scanned as u64),
                &e,
            )
        })?;
        let step = if got > 0 {
            framer.feed(&buf[scanned..], base + scanned as u64, &mut spans)
        } else {
            framer.finish(base + buf.len() as u64, &mut spans)
        };
        step.map_err(|e| JobError::new(ErrorKind::Framing, Some(e.position), e.to_string()))?;
        for s in spans.drain(..) {
            let rec = &buf[(s.start - base) as usize..(s.end - base) as usize];
            if let Err(fail) = c.user(rec, &mut out) {
                let at = Where {
                    buf: &buf,
                    base,
                    line_start,
                };
                return Err(fail.into_error(&at, &s, rec));
            }
        }
        let keep = framer
            .open_record_start()
            .map_or(buf.len(), |o| (o - base) as usize);
        if buf.len() - keep > MAX_RECORD_BYTES {
            let start = base + keep as u64;
            let at = Where {
                buf: &buf,
                base,
                line_start,
            };
            let pos = at.position(start, framer.open_record_line().unwrap_or_default());
            return Err(JobError::new(
                ErrorKind::Export,
                Some(pos),
                format!("malformed export at {pos}: a user over 1 MiB"),
            ));
        }
        if let Some(nl) = memchr::memrchr(b'\n', &buf[..keep]) {
            line_start = base + nl as u64 + 1;
        }
        buf.drain(..keep);
        base += keep as u64;
        if got == 0 {
            break;
        }
    }
    let closing: &[u8] = if c.report.users == 0 {
        b"[]\n"
    } else {
        b"\n]\n"
    };
    out.write_all(closing)
        .and_then(|()| out.flush())
        .map_err(|e| JobError::io(ErrorKind::Output, "cannot write output", &e))?;
    let mut report = c.report;
    report.dropped = c.dropped.into_iter().collect();
    report.nulls = c.nulls.into_iter().collect();
    Ok(report)
}

struct Converter<'o> {
    parser: Parser,
    connection: Option<&'o str>,
    dropped: BTreeMap<String, u64>,
    nulls: BTreeMap<String, u64>,
    /// Scratch for decoding escaped key names and ids.
    name: String,
    id: String,
    /// The converted user being built.
    user: Vec<u8>,
    report: ConvertReport,
}

/// Why one user cannot be converted.
enum Fail {
    Unparsable(Unparsable),
    NotObject(Kind),
    Write(std::io::Error),
}

impl Converter<'_> {
    fn user(&mut self, rec: &[u8], out: &mut impl Write) -> Result<(), Fail> {
        let kind = self
            .parser
            .parse(rec, |p| p.map(|p| Value::root(p.tape).kind()))
            .map_err(Fail::Unparsable)?;
        if kind != Kind::Object {
            return Err(Fail::NotObject(kind));
        }
        if self.connection.is_some() && !User::from_raw(rec).in_connection(self.connection) {
            self.report.other_connection += 1;
            return Ok(());
        }
        let u = &mut self.user;
        u.clear();
        u.extend_from_slice(if self.report.users == 0 {
            b"[\n{"
        } else {
            b",\n{"
        });
        let mut members = 0;
        for (lit, range) in raw::members(rec) {
            let name: &str = if lit.contains(&b'\\') {
                raw::decode_into(lit, &mut self.name);
                &self.name
            } else {
                // The parser checked the record's UTF-8.
                std::str::from_utf8(lit).unwrap_or(OTHER_FIELDS)
            };
            let value = &rec[range];
            if !PROPERTIES.contains(&name) {
                tally(&mut self.dropped, name);
                continue;
            }
            if value == b"null" {
                tally(&mut self.nulls, name);
                continue;
            }
            if members > 0 {
                u.push(b',');
            }
            members += 1;
            u.push(b'"');
            u.extend_from_slice(lit);
            u.extend_from_slice(b"\":");
            if name == "user_id" {
                strip_prefix(u, value, &mut self.id, &mut self.report.unprefixed_ids);
            } else {
                write_minified(u, value);
            }
        }
        u.push(b'}');
        out.write_all(u).map_err(Fail::Write)?;
        self.report.users += 1;
        Ok(())
    }
}

/// Writes the `user_id` value without one leading `auth0|`. Anything that is not a string
/// is copied as it is, for `run` to reject.
fn strip_prefix(out: &mut Vec<u8>, value: &[u8], scratch: &mut String, unprefixed: &mut u64) {
    if value.first() != Some(&b'"') {
        write_minified(out, value);
        return;
    }
    if let Some(rest) = value[1..].strip_prefix(PREFIX.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(rest);
        return;
    }
    if value.contains(&b'\\') && raw::decode_str(value, scratch) {
        // An escape inside the prefix itself (`auth0\u007c`): decode, strip, write again.
        if let Some(rest) = scratch.strip_prefix(PREFIX) {
            write_str(out, rest);
            return;
        }
    }
    *unprefixed += 1;
    out.extend_from_slice(value);
}

fn tally(counts: &mut BTreeMap<String, u64>, name: &str) {
    if let Some(n) = counts.get_mut(name) {
        *n += 1;
        return;
    }
    let name = if counts.len() >= MAX_NAMES || name.len() > MAX_NAME_BYTES {
        OTHER_FIELDS
    } else {
        name
    };
    *counts.entry(name.to_owned()).or_insert(0) += 1;
}

/// What is known to turn an offset back into a line and column.
struct Where<'b> {
    buf: &'b [u8],
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Absolute offset of the start of the line that holds `base`.
    line_start: u64,
}

impl Where<'_> {
    /// The position of absolute offset `at` on line `line`.
    fn position(&self, at: u64, line: u64) -> Position {
        let upto = &self.buf[..((at - self.base) as usize).min(self.buf.len())];
        let start =
            memchr::memrchr(b'\n', upto).map_or(self.line_start, |i| self.base + i as u64 + 1);
        Position {
            byte: at,
            line,
            column: at - start + 1,
        }
    }
}

impl Fail {
    #[cold]
    fn into_error(self, at: &Where<'_>, span: &Span, rec: &[u8]) -> JobError {
        let (what, offset) = match self {
            Fail::Write(e) => return JobError::io(ErrorKind::Output, "cannot write output", &e),
            Fail::Unparsable(Unparsable::Invalid { at, reason }) => {
                (format!("not valid JSON ({reason})"), at.min(rec.len()))
            }
            Fail::Unparsable(Unparsable::TooDeep) => {
                ("a user nested deeper than 64 levels".to_owned(), 0)
            }
            Fail::Unparsable(Unparsable::TooLarge { bytes }) => {
                (format!("a user of {bytes} bytes, over 1 MiB"), 0)
            }
            Fail::NotObject(kind) => (
                format!("a JSON {} where a user object belongs", kind.name()),
                0,
            ),
        };
        let line = span.line + memchr::memchr_iter(b'\n', &rec[..offset]).count() as u64;
        let pos = at.position(span.start + offset as u64, line);
        JobError::new(
            ErrorKind::Export,
            Some(pos),
            format!("malformed export at {pos}: {what}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(export: &str, opts: &ConvertOptions) -> Result<(String, ConvertReport), JobError> {
        let mut out = Vec::new();
        let report = convert(&mut export.as_bytes(), &mut out, opts)?;
        Ok((String::from_utf8(out).unwrap(), report))
    }

    fn ok(export: &str) -> (String, ConvertReport) {
        run(export, &ConvertOptions::default()).unwrap()
    }

    #[test]
    fn keeps_accepted_members_in_order_and_drops_the_rest() {
        let (out, report) = ok(concat!(
            "\u{feff}",
            r#"{"user_id":"auth0|a1","created_at":"x","email":"a@x.co","identities":[{"connection":"c"}],"app_metadata":{ "k" : [1, 1.50, 1e400] },"logins_count":2}"#,
            "\r\n\n  \n",
            r#"{"email":"b@x.co","phone_number":null,"last_ip":"10.0.0.1","user_id":"google-oauth2|9","user_metadata":null}"#,
        ));
        assert_eq!(
            out,
            concat!(
                "[\n",
                r#"{"user_id":"a1","email":"a@x.co","app_metadata":{"k":[1,1.50,1e400]}}"#,
                ",\n",
                r#"{"email":"b@x.co","user_id":"google-oauth2|9"}"#,
                "\n]\n"
            )
        );
        let names = |v: &[(String, u64)]| {
            v.iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(report.users, 2);
        assert_eq!(
            names(&report.dropped),
            [
                "created_at 1",
                "identities 1",
                "last_ip 1",
                "logins_count 1"
            ]
        );
        assert_eq!(names(&report.nulls), ["phone_number 1", "user_metadata 1"]);
        assert_eq!(report.unprefixed_ids, 1);
    }

    #[test]
    fn strips_exactly_one_prefix_even_when_escaped() {
        let (out, _) = ok(concat!(
            r#"{"user_id":"auth0|auth0|x"}"#,
            "\n",
            r#"{"user_id":"auth0\u007cy\"z"}"#,
            "\n",
            r#"{"user_id":"Auth0|q"}"#,
            "\n",
            r#"{"user_id":42}"#,
            "\n",
            r#"{"us\u0065r_id":"auth0|e","email":"e@x.co","extra\u00e9":1}"#,
        ));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1..6],
            [
                r#"{"user_id":"auth0|x"},"#,
                r#"{"user_id":"y\"z"},"#,
                r#"{"user_id":"Auth0|q"},"#,
                r#"{"user_id":42},"#,
                r#"{"us\u0065r_id":"e","email":"e@x.co"}"#,
            ]
        );
    }

    #[test]
    fn json_array_exports_and_empty_ones() {
        let (out, report) =
            ok("[ {\"user_id\" : \"auth0|1\",\n \"blocked\": false} , {\"email\":\"a@x.co\"} ]");
        assert_eq!(
            out,
            "[\n{\"user_id\":\"1\",\"blocked\":false},\n{\"email\":\"a@x.co\"}\n]\n"
        );
        assert_eq!(report.users, 2);
        for empty in ["", "  \n", "[]", "\u{feff}"] {
            assert_eq!(ok(empty).0, "[]\n", "{empty:?}");
        }
    }

    #[test]
    fn windows_of_any_size_give_the_same_output() {
        let export = concat!(
            r#"{"user_id":"auth0|a","email":"a@x.co","created_at":"t"}"#,
            "\r\n",
            r#"{"user_id":"auth0|b","email":"b@x.co","app_metadata":{"s":"x\"y\\"}}"#,
            "\n\n",
            r#"{"user_id":"auth0|c","email":"c@x.co"}"#,
        );
        let whole = ok(export);
        for read_bytes in [1, 2, 3, 7, 64] {
            let opts = ConvertOptions {
                read_bytes,
                ..ConvertOptions::default()
            };
            assert_eq!(
                run(export, &opts).unwrap(),
                whole,
                "read_bytes {read_bytes}"
            );
        }
    }

    #[test]
    fn connection_filter_uses_the_run_rule() {
        let export = concat!(
            r#"{"user_id":"auth0|a","identities":[{"connection":"Main"}]}"#,
            "\n",
            r#"{"user_id":"google-oauth2|b","identities":[{"connection":"google-oauth2"}]}"#,
            "\n",
            r#"{"user_id":"auth0|c"}"#,
        );
        let opts = ConvertOptions {
            connection: Some("Main".into()),
            ..ConvertOptions::default()
        };
        let (out, report) = run(export, &opts).unwrap();
        assert_eq!(out, "[\n{\"user_id\":\"a\"},\n{\"user_id\":\"c\"}\n]\n");
        assert_eq!((report.users, report.other_connection), (2, 1));
        assert_eq!(ok(export).1.users, 3);
    }

    #[test]
    fn malformed_users_fail_with_their_position_never_their_content() {
        let cases: [(&[u8], u64, u64, &str); 6] = [
            (
                b"{\"user_id\":\"auth0|a\"}\n{\"user_id\":\"SECRET\",\"x\":tru}\n",
                2,
                25,
                "not valid JSON",
            ),
            (
                b"{\"a\":1}\n\n{\"p\":\"SECRET\"} [1]\n",
                3,
                16,
                "not valid JSON",
            ),
            (b"{\"a\":1}\n[\"SECRET\"]\n", 2, 1, "a JSON array where"),
            (b"[{\"a\":1},\n  \"SECRET\"]", 2, 3, "a JSON string where"),
            (
                b"[{\"a\":1},\n {\"p\":\"SECRET\"}",
                2,
                16,
                "malformed JSON array",
            ),
            (b"{\"p\":\"SECRET\xff\"}\n", 1, 13, "not valid JSON"),
        ];
        for (export, line, column, what) in cases {
            for read_bytes in [1 << 20, 5] {
                let opts = ConvertOptions {
                    read_bytes,
                    ..ConvertOptions::default()
                };
                let mut out = Vec::new();
                let err = convert(&mut &export[..], &mut out, &opts).unwrap_err();
                let msg = err.to_string();
                assert!(!msg.contains("SECRET"), "{msg}");
                assert!(msg.contains(what), "{msg}");
                let pos = err.position().unwrap();
                assert_eq!((pos.line, pos.column), (line, column), "{msg}");
            }
        }
    }

    #[test]
    fn an_oversized_user_fails_without_being_held() {
        let mut export = b"{\"a\":1}\n{\"p\":\"".to_vec();
        export.resize(export.len() + MAX_RECORD_BYTES + 10, b'x');
        export.extend_from_slice(b"\"}\n");
        // Small windows: the open line grows past the limit before it ends. Large ones: it
        // ends in the same window and the parser refuses it.
        for read_bytes in [4096, 1 << 20] {
            let opts = ConvertOptions {
                read_bytes,
                ..ConvertOptions::default()
            };
            let mut out = Vec::new();
            let err = convert(&mut &export[..], &mut out, &opts).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Export);
            assert!(err.to_string().contains("over 1 MiB"), "{err}");
            assert_eq!(err.position().unwrap().line, 2);
            assert_eq!(err.position().unwrap().byte, 8);
        }
    }

    /// The names convert keeps are exactly the ones the record rules accept.
    #[test]
    fn kept_names_are_the_ones_run_accepts() {
        let engine = crate::Builder::new().threads(1).build().unwrap();
        let extra = |name: &str| {
            let rec = format!("{{\"email\":\"a@x.co\",\"{name}\":1}}\n");
            let mut sink = crate::NdjsonSink::new(std::io::sink());
            let s = engine.run_bytes(rec.as_bytes(), &mut sink).unwrap();
            s.count_of(crate::Code::ObjectAdditionalProperties)
        };
        for name in PROPERTIES {
            assert_eq!(extra(name), 0, "{name}");
        }
        for name in [
            "created_at",
            "identities",
            "Email",
            "last_ip",
            "multifactor",
        ] {
            assert_eq!(extra(name), 1, "{name}");
        }
    }

    #[test]
    fn field_tallies_are_bounded() {
        let mut export = String::new();
        for i in 0..(MAX_NAMES + 5) {
            export.push_str(&format!("{{\"f{i}\":1,\"{}\":2}}\n", "k".repeat(300)));
        }
        let (_, report) = ok(&export);
        assert_eq!(report.dropped.len(), MAX_NAMES);
        let other = report
            .dropped
            .iter()
            .find(|(k, _)| k == OTHER_FIELDS)
            .unwrap();
        assert_eq!(other.1, (MAX_NAMES + 5) as u64 * 2 - (MAX_NAMES as u64 - 1));
    }
}
