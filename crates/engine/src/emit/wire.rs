//! The wire format (SPEC 6).
//!
//! Operations stream, one line per record, in input order:
//!
//! ```text
//! {"op":"insert","index":0,"user":{...}}
//! {"op":"insert","index":1,"user":{...},"warnings":[{"code":"NO_PASSWORD","message":"...","path":""}]}
//! {"op":"update","index":2,"user_id":"auth0|abc","match":"email","user":{...}}
//! {"op":"error","index":3,"user":{...},"errors":[{"code":"FORMAT","message":"...","path":"email"}]}
//! {"op":"error","index":4,"user":null,"raw":"{\"email\":","errors":[{"code":"INVALID_JSON",...}]}
//! ```
//!
//! Errors file (`--errors`): `{"user":...,"errors":[...],"index":N}` per failed record, the
//! element shape of Auth0's errors endpoint plus `index`. Failed-records file
//! (`--failed-out`): the failed records' original bytes as one JSON array. Summary
//! (`--summary`): see [`write_summary`].

use std::io::Write;

use super::json::write_str;
use crate::sink::{Flow, Record, Sink, SinkError, SinkResult, Status, Summary};
use crate::tally::{Breakdown, Tally};

/// The command line's sink: the operations stream plus the optional side files.
#[derive(Debug)]
pub struct NdjsonSink<W: Write> {
    out: W,
    errors: Option<Box<dyn WriteDebug>>,
    failed: Option<Box<dyn WriteDebug>>,
    summary: Option<Box<dyn WriteDebug>>,
    failed_count: u64,
    line: Vec<u8>,
    tally: Tally,
}

/// A writer the sink can own; `Debug` only so the sink can derive it.
pub trait WriteDebug: Write + Send {}
impl<T: Write + Send> WriteDebug for T {}

impl std::fmt::Debug for dyn WriteDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Write")
    }
}

impl<W: Write> NdjsonSink<W> {
    /// A sink that writes the operations stream to `out`, one line per record, and no side
    /// file. Each line is one `write_all` and the sink flushes `out` when the job finishes:
    /// give it a `BufWriter` over a file or a socket.
    pub fn new(out: W) -> Self {
        NdjsonSink {
            out,
            errors: None,
            failed: None,
            summary: None,
            failed_count: 0,
            line: Vec::with_capacity(1 << 16),
            tally: Tally::new(),
        }
    }

    /// Also write every error line, in the errors-endpoint shape, to `w`.
    pub fn with_errors(mut self, w: Box<dyn WriteDebug>) -> Self {
        self.errors = Some(w);
        self
    }

    /// Also write the failed records' original bytes, as a JSON array, to `w`.
    pub fn with_failed(mut self, w: Box<dyn WriteDebug>) -> Self {
        self.failed = Some(w);
        self
    }

    /// Write the summary object to `w` at the end.
    pub fn with_summary(mut self, w: Box<dyn WriteDebug>) -> Self {
        self.summary = Some(w);
        self
    }

    /// The operations writer, back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The findings of the records written so far, counted for the summary's `findings`.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }
}

impl<W: Write> Sink for NdjsonSink<W> {
    fn insert(&mut self, r: &Record<'_>) -> SinkResult {
        self.out.write_all(r.line)?;
        self.tally.add(r);
        Ok(Flow::Continue)
    }

    fn update(&mut self, r: &Record<'_>) -> SinkResult {
        self.out.write_all(r.line)?;
        self.tally.add(r);
        Ok(Flow::Continue)
    }

    fn error(&mut self, r: &Record<'_>) -> SinkResult {
        self.out.write_all(r.line)?;
        self.tally.add(r);
        if let Some(w) = self.errors.as_mut() {
            self.line.clear();
            self.line.extend_from_slice(b"{\"user\":");
            self.line.extend_from_slice(r.user);
            self.line.extend_from_slice(b",\"errors\":");
            self.line.extend_from_slice(r.errors.json());
            self.line.extend_from_slice(b",\"index\":");
            self.line
                .extend_from_slice(itoa::Buffer::new().format(r.index).as_bytes());
            self.line.extend_from_slice(b"}\n");
            w.write_all(&self.line)?;
        }
        if let (Some(w), Some(original)) = (self.failed.as_mut(), r.original) {
            w.write_all(if self.failed_count == 0 {
                b"[\n"
            } else {
                b",\n"
            })?;
            w.write_all(original)?;
            self.failed_count += 1;
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
        self.out.flush()?;
        if let Some(w) = self.errors.as_mut() {
            w.flush()?;
        }
        if let Some(w) = self.failed.as_mut() {
            w.write_all(if self.failed_count == 0 {
                b"[]\n"
            } else {
                b"\n]\n"
            })?;
            w.flush()?;
        }
        if let Some(w) = self.summary.as_mut() {
            let mut buf = Vec::new();
            write_summary(&mut buf, summary, Some(&self.tally));
            buf.push(b'\n');
            w.write_all(&buf)?;
            w.flush()?;
        }
        Ok(())
    }
}

/// `{"status":"completed","total":N,"inserted":N,"updated":N,"failed":N,"warnings":N,
/// "by_code":{...}}`, plus `"reason"` when the job failed, and with a tally its
/// `"findings"`: errors and warnings apart, each
/// `{"records":N,"entries":N,"by_code":{CODE:{"records","entries","example"}},
/// "by_code_path":[{"code","path","records","entries","example"}]}`, most records first
/// (`path` null for a path-less finding, and for the row of further paths, which has
/// `"other_paths":true`).
pub fn write_summary(out: &mut Vec<u8>, s: &Summary, tally: Option<&Tally>) {
    let num =
        |out: &mut Vec<u8>, n: u64| out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"{\"status\":");
    match &s.status {
        Status::Completed => out.extend_from_slice(b"\"completed\""),
        Status::Stopped => out.extend_from_slice(b"\"stopped\""),
        Status::Failed(reason) => {
            out.extend_from_slice(b"\"failed\",\"reason\":");
            write_str(out, reason);
        }
    }
    for (name, n) in [
        ("total", s.total),
        ("inserted", s.inserted),
        ("updated", s.updated),
        ("failed", s.failed),
        ("warnings", s.warnings),
    ] {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        num(out, n);
    }
    out.extend_from_slice(b",\"by_code\":{");
    for (i, (code, n)) in s.by_code().into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, code.as_str());
        out.push(b':');
        num(out, n);
    }
    out.push(b'}');
    if let Some(t) = tally {
        out.extend_from_slice(b",\"findings\":{\"errors\":");
        write_breakdown(out, &t.errors);
        out.extend_from_slice(b",\"warnings\":");
        write_breakdown(out, &t.warnings);
        out.push(b'}');
    }
    out.push(b'}');
}

fn write_breakdown(out: &mut Vec<u8>, b: &Breakdown) {
    let num =
        |out: &mut Vec<u8>, n: u64| out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"{\"records\":");
    num(out, b.records);
    out.extend_from_slice(b",\"entries\":");
    num(out, b.entries);
    out.extend_from_slice(b",\"by_code\":{");
    for (i, r) in b.by_code().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, r.code.as_str());
        out.extend_from_slice(b":{\"records\":");
        num(out, r.records);
        out.extend_from_slice(b",\"entries\":");
        num(out, r.entries);
        out.extend_from_slice(b",\"example\":");
        num(out, r.example);
        out.push(b'}');
    }
    out.extend_from_slice(b"},\"by_code_path\":[");
    for (i, r) in b.by_code_path().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"code\":");
        write_str(out, r.code.as_str());
        out.extend_from_slice(b",\"path\":");
        match r.path {
            Some(p) => write_str(out, p),
            None => out.extend_from_slice(b"null"),
        }
        if let Some(k) = r.key {
            out.extend_from_slice(b",\"key\":");
            write_str(out, k.field());
        }
        if r.other_paths {
            out.extend_from_slice(b",\"other_paths\":true");
        }
        out.extend_from_slice(b",\"records\":");
        num(out, r.records);
        out.extend_from_slice(b",\"entries\":");
        num(out, r.entries);
        out.extend_from_slice(b",\"example\":");
        num(out, r.example);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}
