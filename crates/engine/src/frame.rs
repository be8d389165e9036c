//! Framing: input bytes -> record boundaries with their positions.
//!
//! The users file is either a JSON array (what Auth0 accepts) or NDJSON (what Auth0 exports),
//! told apart by the first byte that is not white space or a UTF-8 BOM (SPEC 1.1).
//!
//! The [`Framer`] is a push scanner: it is fed windows of the input in order and keeps its
//! whole state between them, so a stream can be framed chunk by chunk, and the bytes of a
//! record that is still open may be dropped (an oversized record on standard input is never
//! held whole). For a JSON array it checks the complete JSON grammar, because a syntax error
//! anywhere in an array fails the whole job, as it does at Auth0. What stays for the record
//! stage: UTF-8 validity inside strings, unpaired surrogate escapes, depth and size limits.
//!
//! A mapped file is known whole, so its array is first checked by [`check`], in pieces framed
//! in parallel, which also returns checkpoints between elements; the records are then cut
//! from those checkpoints by [`frame_checked`], which trusts the grammar and only tells
//! elements apart.

use std::fmt;

/// Where something is in the input: byte offset (0-based), line and column (1-based, in
/// bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Position {
    /// Bytes before this point, counted from the start of the input.
    pub byte: u64,
    /// The line: 1 plus the `\n` bytes before this point.
    pub line: u64,
    /// The column: 1 plus the bytes between the line's start and this point (bytes, not
    /// characters: an `é` counts 2).
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte {}, line {}, column {}",
            self.byte, self.line, self.column
        )
    }
}

/// The shape of the users file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON array of user objects, what Auth0 accepts; a syntax error fails the job.
    Array,
    /// One JSON value a line, what Auth0 exports; a bad line fails only its record.
    Ndjson,
}

/// One framed record: its absolute byte range, its first line and its 0-based index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Offset of the record's first byte.
    pub start: u64,
    /// Offset just past its last byte.
    pub end: u64,
    /// The line it starts on, from 1.
    pub line: u64,
    /// Records before it.
    pub index: u64,
}

/// A point between two elements of an array (right after one, before the ',' or ']' that
/// follows) with everything framing needs to carry on from there: see [`Framer::resume`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub byte: u64,
    pub line: u64,
    /// Offset of the first byte of `line`.
    pub line_start: u64,
    /// Records before this point.
    pub index: u64,
}

impl Checkpoint {
    /// The state assumed at `byte` before the true one is known: line 1 starting there, no
    /// record before. [`Framer::rebase`] and [`FrameError::rebase`] fix it up afterwards.
    fn guess(byte: u64) -> Self {
        Checkpoint {
            byte,
            line: 1,
            line_start: byte,
            index: 0,
        }
    }
}

/// Why the whole input cannot be framed (the job fails, SPEC 6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError {
    pub position: Position,
    pub message: &'static str,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed JSON array at {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for FrameError {}

impl FrameError {
    /// The error of a framer resumed at [`Checkpoint::guess`], as the framer resumed at
    /// `base` would have reported it.
    fn rebase(mut self, base: Checkpoint) -> Self {
        let p = &mut self.position;
        if p.line == 1 {
            p.column = p.byte - base.line_start + 1;
        }
        p.line += base.line - 1;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outer {
    /// Before the first significant byte; `bom` counts BOM bytes matched so far.
    Start {
        bom: u8,
    },
    ArrOpen,
    ArrAfterComma,
    ArrAfterElem,
    InElem,
    Done,
    Ndjson {
        blank: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Value,
    FirstKeyOrEnd,
    Key,
    Colon,
    CommaOrEnd,
    FirstValueOrEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lex {
    None,
    /// Inside a string; `key` when it is an object key.
    Str {
        key: bool,
        esc: Esc,
    },
    Num(Num),
    Lit {
        word: &'static [u8],
        at: u8,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Esc {
    None,
    Backslash,
    Hex(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

/// Byte classes for the string fast path: 1 marks a byte that ends a plain run.
static STR_STOP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t
};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The first index from `i` of a byte that ends a plain run of a string (`"`, `\\` or a
/// control character), or `w.len()`. Eight bytes at a time (SWAR: the lowest flagged byte of
/// each "has zero byte" mask is exact). The strings are most of the bytes of a users file:
/// framing the 1M-user array went from 340 to 460 MB/s with it on a busy 2-core machine
/// (from 395 to 720 MB/s on a quieter one).
#[inline]
fn plain_run(w: &[u8], mut i: usize) -> usize {
    while let Some(block) = w.get(i..i + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(block);
        let x = u64::from_le_bytes(b);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flagged = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let flagged = flagged & HIGHS;
        if flagged != 0 {
            return i + (flagged.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < w.len() && STR_STOP[w[i] as usize] == 0 {
        i += 1;
    }
    i
}

/// The framing state machine. See the module docs.
#[derive(Debug)]
pub struct Framer {
    outer: Outer,
    format: Option<Format>,
    expect: Expect,
    lex: Lex,
    /// Container kinds inside the current element, one bit each (1 = object).
    stack: Vec<u64>,
    depth: u64,
    line: u64,
    line_start: u64,
    rec_start: u64,
    rec_line: u64,
    index: u64,
    /// NDJSON: the last byte scanned was '\r' (a CRLF may straddle two windows).
    prev_cr: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer at the start of an input whose format it has not seen yet.
    pub fn new() -> Self {
        Framer {
            outer: Outer::Start { bom: 0 },
            format: None,
            expect: Expect::Value,
            lex: Lex::None,
            stack: Vec::new(),
            depth: 0,
            line: 1,
            line_start: 0,
            rec_start: 0,
            rec_line: 1,
            index: 0,
            prev_cr: false,
        }
    }

    /// The detected format, once the first significant byte has been seen.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Absolute offset where the record being scanned began, if one is open. Bytes before it
    /// are no longer needed by anyone.
    pub fn open_record_start(&self) -> Option<u64> {
        match self.outer {
            Outer::InElem | Outer::Ndjson { blank: false } => Some(self.rec_start),
            _ => None,
        }
    }

    /// The line where the open record began, if one is open.
    pub fn open_record_line(&self) -> Option<u64> {
        self.open_record_start().map(|_| self.rec_line)
    }

    /// Number of records framed so far.
    pub fn records(&self) -> u64 {
        self.index
    }

    /// A framer that carries on from `at`, a point between two elements of an array.
    pub fn resume(at: Checkpoint) -> Self {
        Framer {
            outer: Outer::ArrAfterElem,
            format: Some(Format::Array),
            line: at.line,
            line_start: at.line_start,
            index: at.index,
            ..Framer::new()
        }
    }

    /// Where framing stands at `at` (the end of what was fed), if that is between two
    /// elements of an array: right after an element, before the ',' or ']' that follows it.
    pub fn checkpoint(&self, at: u64) -> Option<Checkpoint> {
        (self.outer == Outer::ArrAfterElem).then_some(Checkpoint {
            byte: at,
            line: self.line,
            line_start: self.line_start,
            index: self.index,
        })
    }

    /// Turns a framer resumed at [`Checkpoint::guess`] into the one that resumed at `base`,
    /// the true state at the same byte.
    fn rebase(&mut self, base: Checkpoint) {
        if self.line == 1 {
            self.line_start = base.line_start;
        }
        self.line += base.line - 1;
        self.rec_line += base.line - 1;
        self.index += base.index;
    }

    fn pos(&self, at: u64) -> Position {
        Position {
            byte: at,
            line: self.line,
            column: at - self.line_start + 1,
        }
    }

    /// Whether `b` (at `at`) is JSON white space, counting lines as it goes.
    fn white(&mut self, b: u8, at: u64) -> bool {
        match b {
            b' ' | b'\t' | b'\r' => true,
            b'\n' => {
                self.newline(at);
                true
            }
            _ => false,
        }
    }

    #[cold]
    fn fail(&self, at: u64, message: &'static str) -> FrameError {
        FrameError {
            position: self.pos(at),
            message,
        }
    }

    /// Scans `window`, whose first byte is at absolute offset `base`, pushing every record
    /// that ends inside it onto `out`. Windows must be fed contiguously.
    pub fn feed(
        &mut self,
        window: &[u8],
        base: u64,
        out: &mut Vec<Span>,
    ) -> Result<(), FrameError> {
        let mut i = 0usize;
        let n = window.len();
        while i < n {
            match self.outer {
                Outer::Start { bom } => {
                    let b = window[i];
                    let at = base + i as u64;
                    if at == u64::from(bom) && bom < 3 && b == BOM[bom as usize] {
                        self.outer = Outer::Start { bom: bom + 1 };
                        i += 1;
                        continue;
                    }
                    if bom > 0 && bom < 3 {
                        return Err(self.fail(at, "incomplete byte order mark"));
                    }
                    match b {
                        b' ' | b'\t' | b'\r' => i += 1,
                        b'\n' => {
                            self.newline(at);
                            i += 1;
                        }
                        b'[' => {
                            self.format = Some(Format::Array);
                            self.outer = Outer::ArrOpen;
                            i += 1;
                        }
                        b'{' => {
                            self.format = Some(Format::Ndjson);
                            self.rec_start = at;
                            self.rec_line = self.line;
                            self.outer = Outer::Ndjson { blank: false };
                            i += 1;
                        }
                        _ => {
                            return Err(self.fail(
                                at,
                                "the input must start with '[' (a JSON array) or '{' (NDJSON)",
                            ));
                        }
                    }
                }
                Outer::Ndjson { blank } => {
                    i = self.scan_ndjson(window, base, i, blank, out);
                }
                Outer::ArrOpen | Outer::ArrAfterComma | Outer::ArrAfterElem | Outer::Done => {
                    let b = window[i];
                    let at = base + i as u64;
                    if self.white(b, at) {
                        i += 1;
                        continue;
                    }
                    match (self.outer, b) {
                        (Outer::Done, _) => {
                            return Err(self.fail(at, "unexpected data after the closing ']'"));
                        }
                        (Outer::ArrOpen, b']') | (Outer::ArrAfterElem, b']') => {
                            self.outer = Outer::Done;
                            i += 1;
                        }
                        (Outer::ArrAfterElem, b',') => {
                            self.outer = Outer::ArrAfterComma;
                            i += 1;
                        }
                        (Outer::ArrAfterElem, _) => {
                            return Err(self.fail(at, "expected ',' or ']' after an element"));
                        }
                        (Outer::ArrAfterComma, b']') => {
                            return Err(self.fail(at, "trailing comma before ']'"));
                        }
                        _ => {
                            self.outer = Outer::InElem;
                            self.rec_start = at;
                            self.rec_line = self.line;
                            self.expect = Expect::Value;
                            self.lex = Lex::None;
                            self.depth = 0;
                            self.stack.clear();
                        }
                    }
                }
                Outer::InElem => {
                    i = self.scan_elem(window, base, i, out)?;
                }
            }
        }
        Ok(())
    }

    /// Signals the end of the input. Pushes a final unterminated NDJSON line, and fails for
    /// an array that was never closed.
    pub fn finish(&mut self, end: u64, out: &mut Vec<Span>) -> Result<(), FrameError> {
        match self.outer {
            Outer::Start { bom } if bom > 0 && bom < 3 => {
                Err(self.fail(end, "incomplete byte order mark"))
            }
            Outer::Start { .. } | Outer::Done => Ok(()),
            Outer::Ndjson { blank } => {
                if !blank {
                    let end = if self.prev_cr && end > self.rec_start {
                        end - 1
                    } else {
                        end
                    };
                    self.push(end, out);
                }
                self.outer = Outer::Ndjson { blank: true };
                Ok(())
            }
            Outer::InElem => {
                // A number can end at the end of input only inside an array, which still
                // misses its ']'.
                Err(self.fail(end, "unexpected end of input inside an element"))
            }
            _ => Err(self.fail(end, "unexpected end of input: the array is not closed")),
        }
    }

    fn newline(&mut self, at: u64) {
        self.line += 1;
        self.line_start = at + 1;
    }

    fn push(&mut self, end: u64, out: &mut Vec<Span>) {
        out.push(Span {
            start: self.rec_start,
            end,
            line: self.rec_line,
            index: self.index,
        });
        self.index += 1;
    }

    fn scan_ndjson(
        &mut self,
        w: &[u8],
        base: u64,
        mut i: usize,
        mut blank: bool,
        out: &mut Vec<Span>,
    ) -> usize {
        loop {
            match memchr::memchr(b'\n', &w[i..]) {
                Some(off) => {
                    let nl = i + off;
                    if blank {
                        blank = self.line_content(&w[i..nl], base + i as u64);
                    }
                    let at = base + nl as u64;
                    if !blank {
                        let cr = if nl > i {
                            w[nl - 1] == b'\r'
                        } else {
                            self.prev_cr
                        };
                        let end = if cr && at > self.rec_start {
                            at - 1
                        } else {
                            at
                        };
                        self.push(end, out);
                    }
                    self.newline(at);
                    self.rec_start = at + 1;
                    self.rec_line = self.line;
                    blank = true;
                    i = nl + 1;
                    self.prev_cr = false;
                    if i == w.len() {
                        self.outer = Outer::Ndjson { blank };
                        return i;
                    }
                }
                None => {
                    if blank {
                        blank = self.line_content(&w[i..], base + i as u64);
                    }
                    if i < w.len() {
                        self.prev_cr = w[w.len() - 1] == b'\r';
                    }
                    self.outer = Outer::Ndjson { blank };
                    return w.len();
                }
            }
        }
    }

    /// Whether `part` of a line that is blank so far (starting at `at`) is still blank. If
    /// not, the record starts at its first significant byte: leading white space is not part
    /// of a record, as in an array, so a stream may drop it before the record begins.
    fn line_content(&mut self, part: &[u8], at: u64) -> bool {
        match part
            .iter()
            .position(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
        {
            Some(p) => {
                self.rec_start = at + p as u64;
                false
            }
            None => true,
        }
    }

    /// The JSON grammar inside one array element.
    fn scan_elem(
        &mut self,
        w: &[u8],
        base: u64,
        mut i: usize,
        out: &mut Vec<Span>,
    ) -> Result<usize, FrameError> {
        let n = w.len();
        while i < n {
            match self.lex {
                Lex::Str { key, esc } => {
                    if esc == Esc::None {
                        i = plain_run(w, i);
                        if i == n {
                            return Ok(i);
                        }
                        let b = w[i];
                        let at = base + i as u64;
                        i += 1;
                        match b {
                            b'"' => {
                                self.lex = Lex::None;
                                if key {
                                    self.expect = Expect::Colon;
                                } else if self.value_done(base + i as u64, out) {
                                    return Ok(i);
                                }
                            }
                            b'\\' => {
                                self.lex = Lex::Str {
                                    key,
                                    esc: Esc::Backslash,
                                }
                            }
                            _ => return Err(self.fail(at, "control character inside a string")),
                        }
                    } else {
                        let b = w[i];
                        let at = base + i as u64;
                        i += 1;
                        let esc = match (esc, b) {
                            (
                                Esc::Backslash,
                                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't',
                            ) => Esc::None,
                            (Esc::Backslash, b'u') => Esc::Hex(4),
                            (Esc::Hex(k), h) if h.is_ascii_hexdigit() => {
                                if k == 1 {
                                    Esc::None
                                } else {
                                    Esc::Hex(k - 1)
                                }
                            }
                            _ => {
                                return Err(
                                    self.fail(at, "invalid escape sequence inside a string")
                                );
                            }
                        };
                        self.lex = Lex::Str { key, esc };
                    }
                }
                Lex::Num(state) => {
                    let b = w[i];
                    let next = match (state, b) {
                        (Num::Minus, b'0') => Some(Num::Zero),
                        (Num::Minus, b'1'..=b'9') => Some(Num::Int),
                        (Num::Int, b'0'..=b'9') => Some(Num::Int),
                        (Num::Zero | Num::Int, b'.') => Some(Num::Dot),
                        (Num::Dot | Num::Frac, b'0'..=b'9') => Some(Num::Frac),
                        (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Some(Num::Exp),
                        (Num::Exp, b'+' | b'-') => Some(Num::ExpSign),
                        (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => {
                            Some(Num::ExpDigits)
                        }
                        _ => None,
                    };
                    match next {
                        Some(s) => {
                            self.lex = Lex::Num(s);
                            i += 1;
                        }
                        None => {
                            if !matches!(state, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits) {
                                return Err(self.fail(base + i as u64, "malformed number"));
                            }
                            self.lex = Lex::None;
                            // The byte that ended the number is not consumed.
                            if self.value_done(base + i as u64, out) {
                                return Ok(i);
                            }
                        }
                    }
                }
                Lex::Lit { word, at } => {
                    if w[i] != word[at as usize] {
                        return Err(self.fail(base + i as u64, "invalid literal"));
                    }
                    i += 1;
                    if at as usize + 1 == word.len() {
                        self.lex = Lex::None;
                        if self.value_done(base + i as u64, out) {
                            return Ok(i);
                        }
                    } else {
                        self.lex = Lex::Lit { word, at: at + 1 };
                    }
                }
                Lex::None => {
                    let (next, done) = self.scan_common(w, base, i, out)?;
                    if done {
                        return Ok(next);
                    }
                    if next > i {
                        i = next;
                        continue;
                    }
                    let b = w[i];
                    let at = base + i as u64;
                    if self.white(b, at) {
                        i += 1;
                        continue;
                    }
                    i += 1;
                    match self.expect {
                        Expect::Value | Expect::FirstValueOrEnd => {
                            if b == b']' && self.expect == Expect::FirstValueOrEnd {
                                if self.close(false, at + 1, out)? {
                                    return Ok(i);
                                }
                                continue;
                            }
                            match b {
                                b'{' => self.open(true),
                                b'[' => self.open(false),
                                b'"' => {
                                    self.lex = Lex::Str {
                                        key: false,
                                        esc: Esc::None,
                                    }
                                }
                                b'-' => self.lex = Lex::Num(Num::Minus),
                                b'0' => self.lex = Lex::Num(Num::Zero),
                                b'1'..=b'9' => self.lex = Lex::Num(Num::Int),
                                b't' => {
                                    self.lex = Lex::Lit {
                                        word: b"true",
                                        at: 1,
                                    }
                                }
                                b'f' => {
                                    self.lex = Lex::Lit {
                                        word: b"false",
                                        at: 1,
                                    }
                                }
                                b'n' => {
                                    self.lex = Lex::Lit {
                                        word: b"null",
                                        at: 1,
                                    }
                                }
                                _ => return Err(self.fail(at, "expected a value")),
                            }
                        }
                        Expect::FirstKeyOrEnd | Expect::Key => match b {
                            b'"' => {
                                self.lex = Lex::Str {
                                    key: true,
                                    esc: Esc::None,
                                }
                            }
                            b'}' if self.expect == Expect::FirstKeyOrEnd => {
                                if self.close(true, at + 1, out)? {
                                    return Ok(i);
                                }
                            }
                            _ => {
                                return Err(
                                    self.fail(at, "expected a property name in double quotes")
                                );
                            }
                        },
                        Expect::Colon => {
                            if b != b':' {
                                return Err(self.fail(at, "expected ':' after a property name"));
                            }
                            self.expect = Expect::Value;
                        }
                        Expect::CommaOrEnd => {
                            let in_object = self.top_is_object();
                            match b {
                                b',' => {
                                    self.expect = if in_object {
                                        Expect::Key
                                    } else {
                                        Expect::Value
                                    }
                                }
                                b'}' if in_object => {
                                    if self.close(true, at + 1, out)? {
                                        return Ok(i);
                                    }
                                }
                                b']' if !in_object => {
                                    if self.close(false, at + 1, out)? {
                                        return Ok(i);
                                    }
                                }
                                _ => {
                                    return Err(self.fail(
                                        at,
                                        if in_object {
                                            "expected ',' or '}'"
                                        } else {
                                            "expected ',' or ']'"
                                        },
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(i)
    }

    /// The common tokens inside an element, taken in a tight loop with the grammar state in
    /// a local: white space, commas, colons, brackets and strings without escapes that end
    /// in the window. Each makes exactly the move the general loop in [`Self::scan_elem`]
    /// would; at any other byte (a number, a literal, an escape, a control character, an
    /// error, the window's end) it stores the state and returns that byte's index for the
    /// general loop, which also words every error. Returns whether the element ended.
    /// (The general loop dispatches on the lexer and the expectation for every byte between
    /// strings; its mispredicted branches were most of the array check's time.)
    #[inline]
    fn scan_common(
        &mut self,
        w: &[u8],
        base: u64,
        mut i: usize,
        out: &mut Vec<Span>,
    ) -> Result<(usize, bool), FrameError> {
        // A string from its opening quote at `i`: the index after its closing quote, when it
        // has no escape or control character and ends in the window.
        let string = |i: usize| {
            let end = plain_run(w, i + 1);
            (w.get(end) == Some(&b'"')).then_some(end + 1)
        };
        let mut expect = self.expect;
        // If-chains in the order tokens usually come, not a table on (state, byte): the
        // branches then follow the records' regular shape.
        while let Some(&b) = w.get(i) {
            if b <= b' ' {
                match b {
                    b' ' | b'\t' | b'\r' => {}
                    b'\n' => self.newline(base + i as u64),
                    _ => break,
                }
                i += 1;
                continue;
            }
            if b == b'"' {
                let Some(end) = string(i) else { break };
                match expect {
                    Expect::Key | Expect::FirstKeyOrEnd => {
                        i = end;
                        expect = Expect::Colon;
                    }
                    Expect::Value | Expect::FirstValueOrEnd => {
                        i = end;
                        self.expect = expect;
                        if self.value_done(base + i as u64, out) {
                            return Ok((i, true));
                        }
                        expect = self.expect;
                    }
                    Expect::Colon | Expect::CommaOrEnd => break,
                }
            } else if b == b':' {
                if expect != Expect::Colon {
                    break;
                }
                i += 1;
                expect = Expect::Value;
            } else if b == b',' {
                if expect != Expect::CommaOrEnd {
                    break;
                }
                i += 1;
                expect = if self.top_is_object() {
                    Expect::Key
                } else {
                    Expect::Value
                };
            } else if b == b'{' || b == b'[' {
                if !matches!(expect, Expect::Value | Expect::FirstValueOrEnd) {
                    break;
                }
                i += 1;
                self.expect = expect;
                self.open(b == b'{');
                expect = self.expect;
            } else if b == b'}' || b == b']' {
                let object = b == b'}';
                let closes = match expect {
                    Expect::FirstKeyOrEnd => object,
                    Expect::FirstValueOrEnd => !object,
                    // A mismatched bracket is an error the general loop words.
                    Expect::CommaOrEnd => self.top_is_object() == object,
                    _ => false,
                };
                if !closes {
                    break;
                }
                i += 1;
                self.expect = expect;
                if self.close(object, base + i as u64, out)? {
                    return Ok((i, true));
                }
                expect = self.expect;
            } else if let Some(end) = scalar(w, i) {
                if !matches!(expect, Expect::Value | Expect::FirstValueOrEnd) {
                    break;
                }
                i = end;
                self.expect = expect;
                if self.value_done(base + i as u64, out) {
                    return Ok((i, true));
                }
                expect = self.expect;
            } else {
                break;
            }
        }
        self.expect = expect;
        Ok((i, false))
    }

    fn open(&mut self, object: bool) {
        let d = self.depth as usize;
        let (word, bit) = (d / 64, d % 64);
        if word == self.stack.len() {
            self.stack.push(0);
        }
        if object {
            self.stack[word] |= 1 << bit;
        } else {
            self.stack[word] &= !(1 << bit);
        }
        self.depth += 1;
        self.expect = if object {
            Expect::FirstKeyOrEnd
        } else {
            Expect::FirstValueOrEnd
        };
    }

    fn top_is_object(&self) -> bool {
        let d = (self.depth - 1) as usize;
        self.stack[d / 64] >> (d % 64) & 1 == 1
    }

    /// Closes a container; returns true when that ended the element.
    fn close(&mut self, object: bool, end: u64, out: &mut Vec<Span>) -> Result<bool, FrameError> {
        if self.depth == 0 || self.top_is_object() != object {
            return Err(self.fail(end - 1, "mismatched closing bracket"));
        }
        self.depth -= 1;
        Ok(self.value_done(end, out))
    }

    /// A value ended at `end`; returns true when that was the whole element.
    fn value_done(&mut self, end: u64, out: &mut Vec<Span>) -> bool {
        if self.depth == 0 {
            self.push(end, out);
            self.outer = Outer::ArrAfterElem;
            true
        } else {
            self.expect = Expect::CommaOrEnd;
            false
        }
    }
}

/// The end of a well-formed number or literal (`true`, `false`, `null`) starting at `i`,
/// when the byte after it is in the window too (the general loop decides a number at the
/// byte that follows it, which it does not consume); None for anything else, which the
/// general loop then takes byte by byte and, if it must, words as an error.
#[inline]
fn scalar(w: &[u8], i: usize) -> Option<usize> {
    let digits = |mut j: usize| {
        while w.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let end = match w[i] {
        b't' => (w.get(i..i + 4)? == b"true").then_some(i + 4)?,
        b'f' => (w.get(i..i + 5)? == b"false").then_some(i + 5)?,
        b'n' => (w.get(i..i + 4)? == b"null").then_some(i + 4)?,
        b'-' | b'0'..=b'9' => {
            let mut j = i + usize::from(w[i] == b'-');
            j = match w.get(j)? {
                b'0' => j + 1,
                b'1'..=b'9' => digits(j + 1),
                _ => return None,
            };
            if w.get(j) == Some(&b'.') {
                let frac = digits(j + 1);
                if frac == j + 1 {
                    return None;
                }
                j = frac;
            }
            if matches!(w.get(j), Some(b'e' | b'E')) {
                j += 1;
                if matches!(w.get(j), Some(b'+' | b'-')) {
                    j += 1;
                }
                let exp = digits(j);
                if exp == j {
                    return None;
                }
                j = exp;
            }
            j
        }
        _ => return None,
    };
    (end < w.len()).then_some(end)
}

/// The first index from `i` of a bracket or a `"` in `w`, or `w.len()`, outside strings of
/// well-formed JSON. Eight bytes at a time: `b & 0xD9 == 0x59` holds for the four brackets
/// and otherwise only for `Y`, `_`, `y` and DEL, none of which can stand between tokens.
#[inline]
fn bracket_or_quote(w: &[u8], mut i: usize) -> usize {
    while let Some(block) = w.get(i..i + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(block);
        let x = u64::from_le_bytes(b);
        let quote = x ^ (ONES * u64::from(b'"'));
        let bracket = (x & (ONES * 0xD9)) ^ (ONES * 0x59);
        let flagged = (quote.wrapping_sub(ONES) & !quote) | (bracket.wrapping_sub(ONES) & !bracket);
        let flagged = flagged & HIGHS;
        if flagged != 0 {
            return i + (flagged.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < w.len() && !matches!(w[i], b'"' | b'[' | b']' | b'{' | b'}') {
        i += 1;
    }
    i
}

/// Frames `data[from.byte..to]` of an array that [`check`] accepted, `from` being one of its
/// checkpoints and `to` the next one or the end of the input, pushing the same spans as a
/// [`Framer`] resumed at `from` would. The grammar is known to hold, so only what tells
/// elements apart is looked at: strings, brackets, commas and newlines (strings cannot hold
/// a raw newline). None when an element is not an object or an array: the caller then
/// frames that stretch with a [`Framer`].
pub fn frame_checked(data: &[u8], from: Checkpoint, to: usize, out: &mut Vec<Span>) -> Option<()> {
    let w = data.get(..to)?;
    let (mut line, mut index) = (from.line, from.index);
    let mut i = from.byte as usize;
    let skip_white = |mut i: usize, line: &mut u64| {
        while let Some(&b) = w.get(i) {
            match b {
                b'\n' => *line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            i += 1;
        }
        i
    };
    loop {
        i = skip_white(i, &mut line);
        match w.get(i) {
            None | Some(b']') => return Some(()),
            Some(b',') => {}
            Some(_) => return None,
        }
        let start = skip_white(i + 1, &mut line);
        if !matches!(w.get(start), Some(b'{' | b'[')) {
            return None;
        }
        let mut depth = 0u64;
        i = start;
        loop {
            i = bracket_or_quote(w, i);
            match w.get(i)? {
                b'"' => loop {
                    i = plain_run(w, i + 1);
                    match w.get(i)? {
                        b'"' => {
                            i += 1;
                            break;
                        }
                        // A backslash and the byte it escapes.
                        _ => i += 1,
                    }
                },
                b'{' | b'[' => {
                    depth += 1;
                    i += 1;
                }
                _ => {
                    depth = depth.checked_sub(1)?;
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
        }
        out.push(Span {
            start: start as u64,
            end: i as u64,
            line,
            index,
        });
        index += 1;
        line += memchr::memchr_iter(b'\n', &w[start..i]).count() as u64;
    }
}

/// The first bytes framed alone by [`check`], to know the format before splitting.
const HEAD_BYTES: usize = 4096;

/// Bytes fed to a framer at a time when its records are not kept.
const CHECK_WINDOW: usize = 1 << 20;

/// Checks all of `data` as one [`Framer`] fed the whole of it would, in pieces of about
/// `piece_bytes` framed in parallel on the current rayon pool, and returns the first error
/// in input order, at the same position and with the same message. For an array, also
/// returns checkpoints (about one per piece, in order) from which [`Framer::resume`] frames
/// the rest; for anything else (NDJSON, where no line can fail the job), none.
///
/// Each piece but the first starts at a guessed point between two elements (a `}` followed
/// by `,` and `{`) and is framed as if that were true, counting lines from 1. The guess is
/// confirmed when the piece before ends there between two elements; then that piece's
/// outcome is the sequential one once its lines are offset. A wrong guess (the pattern was
/// inside a string or a nested array) costs one sequential pass over that piece.
pub fn check(data: &[u8], piece_bytes: usize) -> Result<Vec<Checkpoint>, FrameError> {
    use rayon::prelude::*;

    let piece = piece_bytes.max(1);
    let len = data.len();
    let mut spans = Vec::new();
    let mut first = Framer::new();
    let head = len.min(HEAD_BYTES).min(piece);
    first.feed(&data[..head], 0, &mut spans)?;
    spans.clear();
    if first.format() != Some(Format::Array) {
        // NDJSON, or nothing but white space so far: sequentially, as that stops at the
        // first NDJSON byte.
        if check_range(&mut first, data, head, len)? {
            first.finish(len as u64, &mut spans)?;
        }
        return Ok(Vec::new());
    }
    let cuts: Vec<usize> = (1..=len / piece).map(|k| k * piece).collect();
    let guesses: Vec<usize> = cuts
        .par_iter()
        .filter_map(|&from| guess_boundary(data, from, (from + piece).min(len)))
        .collect();
    let end_of = |k: usize| guesses.get(k).copied().unwrap_or(len);
    let (first_result, rest) = rayon::join(
        || check_range(&mut first, data, head, end_of(0)),
        || {
            guesses
                .par_iter()
                .enumerate()
                .map(|(k, &from)| {
                    let mut f = Framer::resume(Checkpoint::guess(from as u64));
                    let result = check_range(&mut f, data, from, end_of(k + 1));
                    (f, result)
                })
                .collect::<Vec<_>>()
        },
    );
    first_result?;
    let mut cur = first;
    let mut checkpoints = Vec::new();
    for (k, (framer, result)) in rest.into_iter().enumerate() {
        let from = guesses[k];
        match cur.checkpoint(from as u64) {
            Some(base) => {
                result.map_err(|e| e.rebase(base))?;
                cur = framer;
                cur.rebase(base);
                checkpoints.push(base);
            }
            None => {
                check_range(&mut cur, data, from, end_of(k + 1))?;
            }
        }
    }
    cur.finish(len as u64, &mut spans)?;
    Ok(checkpoints)
}

/// Feeds `data[from..to]` to `f`, keeping no record. False once the input is known to be
/// NDJSON: nothing more to check.
fn check_range(f: &mut Framer, data: &[u8], from: usize, to: usize) -> Result<bool, FrameError> {
    let mut spans = Vec::new();
    let mut at = from;
    while at < to {
        let end = (at + CHECK_WINDOW).min(to);
        f.feed(&data[at..end], at as u64, &mut spans)?;
        spans.clear();
        if f.format() == Some(Format::Ndjson) {
            return Ok(false);
        }
        at = end;
    }
    Ok(true)
}

/// The first likely point between two elements in `data[from..to]`: right after a `}` that
/// white space, `,`, white space and `{` follow.
fn guess_boundary(data: &[u8], from: usize, to: usize) -> Option<usize> {
    let skip_white = |mut j: usize| {
        while data
            .get(j)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            j += 1;
        }
        j
    };
    let mut at = from;
    while let Some(off) = memchr::memchr(b'}', &data[at..to]) {
        let after = at + off + 1;
        let comma = skip_white(after);
        if data.get(comma) == Some(&b',') && data.get(skip_white(comma + 1)) == Some(&b'{') {
            return Some(after);
        }
        at = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(input: &[u8], chunk: usize) -> Result<Vec<(String, u64, u64)>, FrameError> {
        let mut f = Framer::new();
        let mut out = Vec::new();
        let mut base = 0;
        for w in input.chunks(chunk.max(1)) {
            f.feed(w, base, &mut out)?;
            base += w.len() as u64;
        }
        f.finish(base, &mut out)?;
        Ok(out
            .iter()
            .map(|s| {
                let text =
                    String::from_utf8_lossy(&input[s.start as usize..s.end as usize]).into_owned();
                (text, s.line, s.index)
            })
            .collect())
    }

    fn texts(input: &str) -> Vec<String> {
        let whole = frame(input.as_bytes(), usize::MAX).unwrap();
        for chunk in [1, 2, 3, 7, 64] {
            assert_eq!(
                frame(input.as_bytes(), chunk).unwrap(),
                whole,
                "chunk {chunk}"
            );
        }
        whole.into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn arrays_split_into_elements() {
        assert_eq!(
            texts(" [ {\"a\":[1,2,{\"b\":\"]}\\\"\"}]} ,\n\"x\", 1.5e3 ,true,null,[]]\n"),
            vec![
                "{\"a\":[1,2,{\"b\":\"]}\\\"\"}]}",
                "\"x\"",
                "1.5e3",
                "true",
                "null",
                "[]"
            ]
        );
        assert!(texts("[]").is_empty());
        assert!(texts("\u{feff} [ ] ").is_empty());
        assert!(texts("").is_empty());
        assert!(texts(" \n\t").is_empty());
    }

    #[test]
    fn ndjson_lines() {
        assert_eq!(
            texts("{\"a\":1}\r\n\n  \n{bad\n{\"c\":3}"),
            vec!["{\"a\":1}", "{bad", "{\"c\":3}"]
        );
        assert_eq!(texts("\u{feff}{\"a\":1}\n"), vec!["{\"a\":1}"]);
        assert_eq!(
            texts("{\"a\":1}\r\n{\"b\":2}\r"),
            vec!["{\"a\":1}", "{\"b\":2}"]
        );
        let lines = frame(b"{}\n\n{}\n", 3).unwrap();
        assert_eq!(
            lines.iter().map(|l| (l.1, l.2)).collect::<Vec<_>>(),
            vec![(1, 0), (3, 1)]
        );
    }

    #[test]
    fn malformed_arrays_fail_with_a_position() {
        for (input, byte) in [
            ("[{\"a\":1},]", 9),
            ("[{\"a\":1}", 8),
            ("[{\"a\":1}] x", 10),
            ("[{\"a\":tru}]", 9),
            ("[{\"a\":01}]", 7),
            ("[{\"a\":1.}]", 8),
            ("[{\"a\" 1}]", 6),
            ("[{\"a\":1,}]", 8),
            ("[{\"a\":[1}]", 8),
            ("[{\"a\":\"\\x\"}]", 8),
            ("[{\"a\":\"\n\"}]", 7),
            ("[1 2]", 3),
            ("x", 0),
            ("[-]", 2),
        ] {
            for chunk in [1, 4, 100] {
                let err = frame(input.as_bytes(), chunk).unwrap_err();
                assert_eq!(err.position.byte, byte, "{input:?} chunk {chunk}: {err}");
            }
        }
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let err = frame(b"[\n  {\"a\": 1},\n  {\"a\": ]", 5).unwrap_err();
        assert_eq!(
            err.position,
            Position {
                byte: 22,
                line: 3,
                column: 9
            }
        );
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let mut s = String::from("[");
        s.push_str(&"[".repeat(100_000));
        s.push_str(&"]".repeat(100_000));
        s.push(']');
        assert_eq!(frame(s.as_bytes(), 4096).unwrap().len(), 1);
    }

    /// Every record of `data` framed from the checkpoints of [`check`], each stretch by its
    /// own framer, as the pipeline does.
    fn frame_from_checkpoints(data: &[u8], piece: usize) -> Result<Vec<Span>, FrameError> {
        let checkpoints = check(data, piece)?;
        let mut out = Vec::new();
        let ends = checkpoints
            .iter()
            .map(|c| c.byte as usize)
            .chain([data.len()]);
        let starts = std::iter::once(None).chain(checkpoints.iter().copied().map(Some));
        for (from, to) in starts.zip(ends) {
            if let Some(cp) = from {
                let mut fast = Vec::new();
                let mut exact = Vec::new();
                let mut f = Framer::resume(cp);
                f.feed(&data[cp.byte as usize..to], cp.byte, &mut exact)?;
                if frame_checked(data, cp, to, &mut fast).is_some() {
                    assert_eq!(fast, exact, "from {cp:?}");
                }
            }
            let mut f = from.map_or_else(Framer::new, Framer::resume);
            let start = from.map_or(0, |c| c.byte as usize);
            f.feed(&data[start..to], start as u64, &mut out)?;
            if to == data.len() {
                f.finish(to as u64, &mut out)?;
            }
        }
        Ok(out)
    }

    fn sequential(data: &[u8]) -> Result<Vec<Span>, FrameError> {
        let mut f = Framer::new();
        let mut out = Vec::new();
        f.feed(data, 0, &mut out)?;
        f.finish(data.len() as u64, &mut out)?;
        Ok(out)
    }

    /// The parallel check agrees with one framer fed everything, for every piece size.
    fn agrees(data: &[u8]) {
        let want = sequential(data);
        for piece in 1..=data.len() + 1 {
            let got = check(data, piece).map(|_| ());
            assert_eq!(
                got,
                want.as_ref().map(|_| ()).map_err(Clone::clone),
                "piece {piece}"
            );
            if want.as_ref().is_ok_and(|s| !s.is_empty()) || sequential(data).is_ok() {
                assert_eq!(frame_from_checkpoints(data, piece), want, "piece {piece}");
            }
        }
    }

    #[test]
    fn the_parallel_check_agrees_with_the_framer() {
        for input in [
            "",
            " \n ",
            "[]",
            " [ ] ",
            "[{}]",
            "[{\"a\":1}]",
            "[{\"a\":1},{\"b\":[1,{\"c\":2},{}]}]",
            "[\n{\"a\":\"x},{y\"},\n{\"b\":\"},{\"},{}\n]\n",
            "[{\"a\":[{},{}]},{},{\"b\":[{} , {}]}]",
            "[\n  {\n    \"a\": [\n      {},\n      {}\n    ]\n  },\n  {\n  },\n  {\"b\": \"]}\\\\\"}\n]\n",
            "[1,{},\"s\",{},[{},{}],{}]",
            "\u{feff}[{},{}]",
            "{\"a\":1}\n{\"b\":[{},{}]}\n",
            "{},{}\n",
        ] {
            agrees(input.as_bytes());
        }
    }

    #[test]
    fn a_string_holding_the_boundary_pattern_is_checked_from_the_true_state() {
        // A guess inside the string: "},{" then a quote that the string's own framing sees
        // as its end, while a framer resumed there sees the start of a string.
        let input = b"[{\"a\":\"},{\\\"\"}, {\"b\":\"},{\"},\n{\"c\": tru}]";
        let want = sequential(input).unwrap_err();
        assert_eq!(want.position.line, 2);
        agrees(input);
        let ok = b"[{\"a\":\"},{\\\"\"}, {\"b\":\"},{\"}\n,{\"c\":\"},{\"},{}]";
        assert_eq!(sequential(ok).unwrap().len(), 4);
        agrees(ok);
    }

    #[test]
    fn an_error_in_a_later_piece_has_its_true_line_and_column() {
        let mut input = String::from("[\n");
        for i in 0..50 {
            input.push_str(&format!("  {{\"i\": {i}, \"s\": \"x\"}},\n"));
        }
        input.push_str("  {\"i\": 50, \"s\": x}\n]");
        let want = sequential(input.as_bytes()).unwrap_err();
        assert_eq!((want.position.line, want.position.column), (52, 18));
        for piece in [16, 100, 333, 1000] {
            assert_eq!(
                check(input.as_bytes(), piece).unwrap_err(),
                want,
                "piece {piece}"
            );
        }
        // On the line where a piece starts, too.
        let line = "{\"a\":1},{\"a\":2},{\"a\":3},{\"a\":4},{\"a\":5}".repeat(20);
        let input = format!("[\n{line},{{\"a\":-}}]");
        let want = sequential(input.as_bytes()).unwrap_err();
        assert_eq!(want.position.line, 2);
        for piece in [9, 64, 500] {
            assert_eq!(
                check(input.as_bytes(), piece).unwrap_err(),
                want,
                "piece {piece}"
            );
        }
    }

    #[test]
    fn checkpoints_are_between_elements() {
        let input = "[{\"a\":1},\n{\"b\":2},\n{\"c\":3}]";
        let cps = check(input.as_bytes(), 4).unwrap();
        assert_eq!(
            cps,
            vec![
                Checkpoint {
                    byte: 8,
                    line: 1,
                    line_start: 0,
                    index: 1
                },
                Checkpoint {
                    byte: 17,
                    line: 2,
                    line_start: 10,
                    index: 2
                },
            ]
        );
        assert!(
            check(b"{\"a\":1}\n{\"b\":[{},{}]}\n", 1)
                .unwrap()
                .is_empty()
        );
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just("1".to_owned()),
                Just("-0.5e3".to_owned()),
                Just("true".to_owned()),
                Just("null".to_owned()),
                "[a-z},{\\[\\] :\\n]{0,6}".prop_map(|s| format!("\"{s}\"")),
                Just("\"\\\"},{\\\\\"".to_owned()),
            ];
            leaf.prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    (prop::collection::vec(inner.clone(), 0..4), "[ \n]{0,2}")
                        .prop_map(|(v, ws)| format!("[{ws}{}]", v.join(&format!(",{ws}")))),
                    (
                        prop::collection::vec(("[a-z{}]{0,3}", inner), 0..4),
                        "[ \n]{0,2}"
                    )
                        .prop_map(|(v, ws)| {
                            let fields: Vec<String> = v
                                .into_iter()
                                .map(|(k, v)| format!("\"{k}\"{ws}:{v}"))
                                .collect();
                            format!("{{{}{ws}}}", fields.join(&format!("{ws},")))
                        }),
                ]
            })
        }

        fn array() -> impl Strategy<Value = Vec<u8>> {
            (
                prop::collection::vec((value(), "[ \n]{0,2}"), 0..8),
                any::<bool>(),
            )
                .prop_map(|(elems, objects)| {
                    let elems: Vec<String> = elems
                        .into_iter()
                        .map(|(v, ws)| {
                            if objects {
                                format!("{{\"v\":{v}}}{ws}")
                            } else {
                                format!("{v}{ws}")
                            }
                        })
                        .collect();
                    format!("[\n{}]\n", elems.join(",")).into_bytes()
                })
        }

        proptest! {
            #[test]
            fn the_parallel_check_agrees_with_the_framer(
                data in array(),
                cut in any::<prop::sample::Index>(),
                flip in any::<prop::sample::Index>(),
                byte in prop::sample::select(b"{}[],:\" \\\nx1".to_vec()),
                piece in 1usize..64,
            ) {
                let mut mutated = data.clone();
                let at = flip.index(mutated.len());
                mutated[at] = byte;
                let truncated = &data[..cut.index(data.len() + 1)];
                for input in [&data[..], truncated, &mutated[..]] {
                    let want = sequential(input);
                    // Fed a byte at a time, a framer takes almost every token through its
                    // general loop; fed whole, through the fast loop (`scan_common`,
                    // `scalar`). Both must give the same spans, or the same error.
                    for window in [1, 3] {
                        prop_assert_eq!(frame(input, window), frame(input, usize::MAX));
                    }
                    prop_assert_eq!(
                        check(input, piece).map(|_| ()),
                        want.as_ref().map(|_| ()).map_err(Clone::clone)
                    );
                    if want.is_ok() {
                        prop_assert_eq!(frame_from_checkpoints(input, piece), want);
                    }
                }
            }
        }
    }
}
