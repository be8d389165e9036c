//! Parsing: one record's bytes -> a tape of [`Node`]s plus the raw byte span of every
//! top-level member's value.
//!
//! simd-json parses on the hot path. It rejects a few inputs that JavaScript's `JSON.parse`
//! accepts (`1e400`), and its errors carry no useful position, so every record it rejects is
//! parsed again by the exact fallback below, which either builds the same tape or says
//! precisely why the record is not JSON. Records are limited in size and depth (SPEC 1.1, 10)
//! before either parser runs, so the fallback may recurse.

use std::cell::{Cell, Ref, RefCell};
use std::ops::Range;

use simd_json::{Buffers, Node, StaticNode, Tape};

use crate::doc::{Shadows, Value};

/// Records larger than this are `MAX_SIZE` (exactly 1 MiB passes).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Records nested deeper than this are `MAX_DEPTH` (the record object is level 1).
pub const MAX_DEPTH: usize = 64;

/// Why a record could not be parsed into a tape. None of these messages quotes the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unparsable {
    TooLarge { bytes: u64 },
    TooDeep,
    Invalid { at: usize, reason: &'static str },
}

/// A parsed record: the tape, which members repeated keys shadow, and on demand, for each
/// top-level member in input order (duplicates included), the byte range of its value in the
/// raw record.
#[derive(Debug)]
pub struct Parsed<'p> {
    pub tape: &'p [Node<'p>],
    /// Computed unless the parser was made [`Parser::without_spans`].
    pub shadows: Option<&'p Shadows>,
    raw: &'p [u8],
    /// Where simd-json's copy of the record starts (its strings point into it), and the
    /// positions of its structural characters; 0 and empty after the exact fallback.
    base: usize,
    structurals: &'p [u32],
    spans: &'p RefCell<Vec<Range<usize>>>,
    spans_ready: &'p Cell<bool>,
}

impl<'p> Parsed<'p> {
    /// The root value, with the record's repeats when they were computed.
    pub fn root(&self) -> Value<'p, 'p> {
        match self.shadows {
            Some(sh) => Value::root_with(self.tape, sh),
            None => Value::root(self.tape),
        }
    }

    /// The raw byte range of each top-level member's value, found on first use: only
    /// records that are not copied whole need them (finding them for every record was 5.7%
    /// of the record stage's instructions).
    pub fn spans(&self) -> Ref<'p, [Range<usize>]> {
        if !self.spans_ready.get() {
            let mut spans = self.spans.borrow_mut();
            spans.clear();
            if !member_spans(self.raw, self.tape, self.base, &mut spans) {
                // simd-json accepted a layout the span finder cannot read: the exact parser
                // finds the same values.
                spans.clear();
                let mut exact = Fallback::default();
                if exact.parse(self.raw).is_ok() {
                    spans.extend(exact.spans);
                }
            }
            self.spans_ready.set(true);
        }
        Ref::map(self.spans.borrow(), Vec::as_slice)
    }

    /// Whether the record is minified: no white space outside its strings. Only a record
    /// that simd-json parsed can say (false otherwise). White space between two tokens
    /// always stands right before the next structural character or token start, so one
    /// look before each of those decides it (a byte-by-byte minified copy to compare was
    /// 11% of the record stage's instructions).
    pub fn is_minified(&self) -> bool {
        let raw = self.raw;
        !self.structurals.is_empty()
            && raw.first() == Some(&b'{')
            && raw.last() == Some(&b'}')
            && self.structurals.iter().all(|&at| {
                let at = at as usize;
                at == 0 || at >= raw.len() || !is_ws(raw[at - 1])
            })
    }

    /// The offset in the raw record of a string of the tape that is there as it is (a string
    /// value without escapes, on simd-json's path, which parses in place).
    pub fn raw_offset(&self, s: &str) -> Option<usize> {
        if self.structurals.is_empty() {
            return None;
        }
        let at = (s.as_ptr() as usize).wrapping_sub(self.base);
        let end = at.checked_add(s.len())?;
        (at >= 1
            && end < self.raw.len()
            && self.raw[at - 1] == b'"'
            && self.raw[end] == b'"'
            && &self.raw[at..end] == s.as_bytes())
        .then_some(at)
    }
}

/// A reusable per-thread parser. Its buffers grow to the largest record seen and are
/// reused, so parsing does not allocate per record.
pub struct Parser {
    input: Vec<u8>,
    buffers: Buffers,
    tape: Option<Tape<'static>>,
    spans: RefCell<Vec<Range<usize>>>,
    spans_ready: Cell<bool>,
    shadows: Shadows,
    /// Whether callers need the member spans and the repeats (the existing-users loader
    /// does not).
    want_spans: bool,
    fallback: Fallback,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser").finish_non_exhaustive()
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with empty buffers, which grow on first use.
    pub fn new() -> Self {
        Parser {
            input: Vec::new(),
            buffers: Buffers::default(),
            tape: Some(Tape::null().reset()),
            spans: RefCell::new(Vec::new()),
            spans_ready: Cell::new(false),
            shadows: Shadows::new(),
            want_spans: true,
            fallback: Fallback::default(),
        }
    }

    /// A parser whose results carry no precomputed repeats (the existing-users loader walks
    /// only what it needs).
    pub fn without_spans() -> Self {
        Parser {
            want_spans: false,
            ..Self::new()
        }
    }

    /// Parses `raw` and hands the result to `f`. A root that is valid JSON but not an object
    /// still parses; the caller decides what that means.
    pub fn parse<R>(
        &mut self,
        raw: &[u8],
        f: impl FnOnce(Result<Parsed<'_>, Unparsable>) -> R,
    ) -> R {
        if raw.len() > MAX_RECORD_BYTES {
            return f(Err(Unparsable::TooLarge {
                bytes: raw.len() as u64,
            }));
        }
        self.input.clear();
        self.input.extend_from_slice(raw);
        let len = self.input.len();
        self.input.resize(len + simd_json::INPUT_PADDING, b' ');
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| Tape::null().reset())
            .reset();
        let base = self.input.as_ptr() as usize;
        let simd_ok =
            simd_json::fill_tape_padded(&mut self.input, len, &mut self.buffers, &mut tape).is_ok();
        let result = if simd_ok {
            if tape_depth(&tape.0) > MAX_DEPTH {
                f(Err(Unparsable::TooDeep))
            } else {
                let shadows = if self.want_spans {
                    self.shadows.compute(&tape.0);
                    Some(&self.shadows)
                } else {
                    None
                };
                self.spans_ready.set(false);
                f(Ok(Parsed {
                    tape: &tape.0,
                    shadows,
                    raw,
                    base,
                    structurals: self.buffers.structural_indexes(),
                    spans: &self.spans,
                    spans_ready: &self.spans_ready,
                }))
            }
        } else if lexical_depth(raw) > MAX_DEPTH {
            f(Err(Unparsable::TooDeep))
        } else {
            match self.fallback.parse(raw) {
                Ok(()) => {
                    let (want, shadows) = (self.want_spans, &mut self.shadows);
                    let (spans, ready) = (&self.spans, &self.spans_ready);
                    self.fallback.with_tape(|tape, fallback_spans| {
                        let shadows = want.then(|| {
                            shadows.compute(tape);
                            &*shadows
                        });
                        {
                            let mut s = spans.borrow_mut();
                            s.clear();
                            s.extend_from_slice(fallback_spans);
                        }
                        ready.set(true);
                        f(Ok(Parsed {
                            tape,
                            shadows,
                            raw,
                            base: 0,
                            structurals: &[],
                            spans,
                            spans_ready: ready,
                        }))
                    })
                }
                Err(e) => f(Err(e)),
            }
        };
        self.tape = Some(tape.reset());
        result
    }
}

/// The deepest nesting of a tape (the root container is level 1).
fn tape_depth(tape: &[Node<'_>]) -> usize {
    let mut ends: [usize; MAX_DEPTH + 2] = [0; MAX_DEPTH + 2];
    let mut open = 0usize;
    let mut max = 0usize;
    for (i, node) in tape.iter().enumerate() {
        while open > 0 && ends[open - 1] <= i {
            open -= 1;
        }
        if let Node::Object { count, .. } | Node::Array { count, .. } = node {
            if open == MAX_DEPTH + 1 {
                return MAX_DEPTH + 1;
            }
            ends[open] = i + count + 1;
            open += 1;
            max = max.max(open);
        }
    }
    max
}

/// Nesting depth counted on brackets outside strings, for records that may not be JSON
/// (SPEC 10: depth is checked before validity).
pub fn lexical_depth(raw: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &b in raw {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Finds the raw span of every top-level member value from the positions of the keys,
/// which simd-json leaves in place in its input buffer (unescaping writes over the key's own
/// bytes from its first character on). Returns false if the layout is not as expected.
fn member_spans(raw: &[u8], tape: &[Node<'_>], base: usize, spans: &mut Vec<Range<usize>>) -> bool {
    let Some(Node::Object { len, .. }) = tape.first() else {
        return true;
    };
    let mut idx = 1;
    let mut prev_value_start: Option<usize> = None;
    for _ in 0..*len {
        let Node::String(key) = tape[idx] else {
            return false;
        };
        let ks = (key.as_ptr() as usize).wrapping_sub(base);
        if ks == 0 || ks > raw.len() || raw[ks - 1] != b'"' {
            return false;
        }
        if let Some(vs) = prev_value_start {
            // The previous value ends before the ',' that precedes this key.
            let mut e = ks - 1;
            while e > vs && is_ws(raw[e - 1]) {
                e -= 1;
            }
            if e == vs || raw[e - 1] != b',' {
                return false;
            }
            e -= 1;
            while e > vs && is_ws(raw[e - 1]) {
                e -= 1;
            }
            spans.push(vs..e);
        }
        let Some(close) = closing_quote(raw, ks) else {
            return false;
        };
        let mut v = close + 1;
        while v < raw.len() && is_ws(raw[v]) {
            v += 1;
        }
        if v >= raw.len() || raw[v] != b':' {
            return false;
        }
        v += 1;
        while v < raw.len() && is_ws(raw[v]) {
            v += 1;
        }
        prev_value_start = Some(v);
        idx += 1;
        idx += match tape[idx] {
            Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
            _ => 1,
        };
    }
    if let Some(vs) = prev_value_start {
        let mut e = raw.len();
        while e > vs && is_ws(raw[e - 1]) {
            e -= 1;
        }
        if e == vs || raw[e - 1] != b'}' {
            return false;
        }
        e -= 1;
        while e > vs && is_ws(raw[e - 1]) {
            e -= 1;
        }
        spans.push(vs..e);
    }
    true
}

/// Offset of the quote that closes the string whose content starts at `from`.
fn closing_quote(raw: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let off = memchr::memchr2(b'"', b'\\', raw.get(from..)?)?;
        let at = from + off;
        if raw[at] == b'"' {
            return Some(at);
        }
        from = at + 2;
    }
}

/// The exact fallback parser: RFC 8259 JSON with JavaScript's number semantics (any number
/// is accepted; it may round or overflow to infinity), strict UTF-8, and no unpaired
/// surrogate escapes (they cannot be stored faithfully, SPEC 1.1).
#[derive(Default, Debug)]
struct Fallback {
    nodes: Vec<FNode>,
    text: String,
    spans: Vec<Range<usize>>,
}

#[derive(Clone, Copy, Debug)]
enum FNode {
    Object { len: usize, count: usize },
    Array { len: usize, count: usize },
    Str(usize, usize),
    Static(StaticNode),
}

impl Fallback {
    fn parse(&mut self, raw: &[u8]) -> Result<(), Unparsable> {
        self.nodes.clear();
        self.text.clear();
        self.spans.clear();
        let mut p = FParser {
            raw,
            at: 0,
            out: self,
        };
        p.ws();
        p.value(0)?;
        p.ws();
        if p.at != raw.len() {
            return Err(p.err("unexpected data after the JSON value"));
        }
        Ok(())
    }

    fn with_tape<R>(&self, f: impl FnOnce(&[Node<'_>], &[Range<usize>]) -> R) -> R {
        let tape: Vec<Node<'_>> = self
            .nodes
            .iter()
            .map(|n| match *n {
                FNode::Object { len, count } => Node::Object { len, count },
                FNode::Array { len, count } => Node::Array { len, count },
                FNode::Str(a, b) => Node::String(&self.text[a..b]),
                FNode::Static(s) => Node::Static(s),
            })
            .collect();
        f(&tape, &self.spans)
    }
}

struct FParser<'r, 'o> {
    raw: &'r [u8],
    at: usize,
    out: &'o mut Fallback,
}

impl FParser<'_, '_> {
    #[cold]
    fn err(&self, reason: &'static str) -> Unparsable {
        Unparsable::Invalid {
            at: self.at,
            reason,
        }
    }

    fn ws(&mut self) {
        while self.at < self.raw.len() && is_ws(self.raw[self.at]) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.raw.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Result<(), Unparsable> {
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let (a, b) = self.string()?;
                self.out.nodes.push(FNode::Str(a, b));
                Ok(())
            }
            Some(b't') => self.literal(b"true", StaticNode::Bool(true)),
            Some(b'f') => self.literal(b"false", StaticNode::Bool(false)),
            Some(b'n') => self.literal(b"null", StaticNode::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of record")),
        }
    }

    fn literal(&mut self, word: &[u8], node: StaticNode) -> Result<(), Unparsable> {
        if self.raw[self.at..].starts_with(word) {
            self.at += word.len();
            self.out.nodes.push(FNode::Static(node));
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), Unparsable> {
        let me = self.out.nodes.len();
        self.out.nodes.push(FNode::Object { len: 0, count: 0 });
        self.at += 1;
        let mut len = 0;
        self.ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.err("expected a property name in double quotes"));
                }
                let (a, b) = self.string()?;
                self.out.nodes.push(FNode::Str(a, b));
                self.ws();
                if self.peek() != Some(b':') {
                    return Err(self.err("expected ':' after a property name"));
                }
                self.at += 1;
                self.ws();
                let start = self.at;
                self.value(depth + 1)?;
                if depth == 0 {
                    self.out.spans.push(start..self.at);
                }
                len += 1;
                self.ws();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or '}'")),
                }
            }
        }
        let count = self.out.nodes.len() - me - 1;
        self.out.nodes[me] = FNode::Object { len, count };
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<(), Unparsable> {
        let me = self.out.nodes.len();
        self.out.nodes.push(FNode::Array { len: 0, count: 0 });
        self.at += 1;
        let mut len = 0;
        self.ws();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                self.ws();
                self.value(depth + 1)?;
                len += 1;
                self.ws();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ']'")),
                }
            }
        }
        let count = self.out.nodes.len() - me - 1;
        self.out.nodes[me] = FNode::Array { len, count };
        Ok(())
    }

    fn number(&mut self) -> Result<(), Unparsable> {
        let start = self.at;
        let raw = self.raw;
        let mut i = self.at;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < raw.len() && raw[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        if raw[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        let n = digits(&mut i);
        if n == 0 || (n > 1 && raw[int_start] == b'0') {
            self.at = i;
            return Err(self.err("malformed number"));
        }
        let mut integral = true;
        if raw.get(i) == Some(&b'.') {
            i += 1;
            integral = false;
            if digits(&mut i) == 0 {
                self.at = i;
                return Err(self.err("malformed number"));
            }
        }
        if matches!(raw.get(i), Some(b'e' | b'E')) {
            i += 1;
            integral = false;
            if matches!(raw.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                self.at = i;
                return Err(self.err("malformed number"));
            }
        }
        self.at = i;
        // The text is ASCII digits and signs, so it is valid UTF-8.
        let text = std::str::from_utf8(&raw[start..i]).unwrap_or("0");
        // Same number kinds as simd-json: U64 for non-negative, I64 for negative integers.
        let node = if integral {
            if let Ok(v) = text.parse::<u64>() {
                StaticNode::U64(v)
            } else if let Ok(v) = text.parse::<i64>() {
                StaticNode::I64(v)
            } else {
                StaticNode::F64(text.parse::<f64>().unwrap_or(f64::NAN))
            }
        } else {
            StaticNode::F64(text.parse::<f64>().unwrap_or(f64::NAN))
        };
        self.out.nodes.push(FNode::Static(node));
        Ok(())
    }

    /// Decodes a string into the text arena; returns its range there.
    fn string(&mut self) -> Result<(usize, usize), Unparsable> {
        self.at += 1;
        let start = self.out.text.len();
        loop {
            let rest = &self.raw[self.at..];
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let Some(run) = run else {
                self.at = self.raw.len();
                return Err(self.err("unterminated string"));
            };
            match std::str::from_utf8(&rest[..run]) {
                Ok(s) => self.out.text.push_str(s),
                Err(e) => {
                    self.at += e.valid_up_to();
                    return Err(self.err("invalid UTF-8 inside a string"));
                }
            }
            self.at += run;
            match self.raw[self.at] {
                b'"' => {
                    self.at += 1;
                    return Ok((start, self.out.text.len()));
                }
                b'\\' => self.escape()?,
                _ => return Err(self.err("control character inside a string")),
            }
        }
    }

    fn escape(&mut self) -> Result<(), Unparsable> {
        self.at += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 1;
                let hi = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    if !self.raw[self.at..].starts_with(b"\\u") {
                        return Err(self.err("unpaired surrogate escape"));
                    }
                    self.at += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.err("unpaired surrogate escape"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(self.err("unpaired surrogate escape"));
                } else {
                    hi
                };
                let Some(ch) = char::from_u32(c) else {
                    return Err(self.err("invalid unicode escape"));
                };
                self.out.text.push(ch);
                return Ok(());
            }
            _ => return Err(self.err("invalid escape sequence")),
        };
        self.out.text.push(c);
        self.at += 1;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Unparsable> {
        let Some(h) = self.raw.get(self.at..self.at + 4) else {
            return Err(self.err("invalid unicode escape"));
        };
        let mut v = 0u32;
        for &b in h {
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid unicode escape"))?;
            v = v * 16 + d;
        }
        self.at += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<(String, Vec<String>), Unparsable> {
        let mut p = Parser::new();
        p.parse(raw.as_bytes(), |r| {
            r.map(|p| {
                let spans = p
                    .spans()
                    .iter()
                    .map(|s| raw[s.clone()].to_owned())
                    .collect();
                (format!("{:?}", p.tape), spans)
            })
        })
    }

    #[test]
    fn member_spans_follow_raw_bytes() {
        let raw =
            " { \"a\" : 1.50 , \"b\\u0041\":{\"x\":[1, \"}\"]} ,\n\"c\":\"q\\\"\" , \"a\":null }  ";
        let (_, spans) = parse(raw).unwrap();
        assert_eq!(
            spans,
            vec!["1.50", "{\"x\":[1, \"}\"]}", "\"q\\\"\"", "null"]
        );
    }

    #[test]
    fn fallback_builds_the_same_tape_as_simd() {
        let raw = "{\"a\":1,\"b\":[true,false,null,\"s\\n\\u00e9\"],\"c\":{\"d\":-2.5,\"e\":18446744073709551615}}";
        let mut p = Parser::new();
        let simd = p.parse(raw.as_bytes(), |r| {
            format!("{:?}", r.map(|p| p.tape.to_vec()))
        });
        let mut fb = Fallback::default();
        fb.parse(raw.as_bytes()).unwrap();
        let fallback = fb.with_tape(|t, _| format!("{:?}", Ok::<_, Unparsable>(t.to_vec())));
        assert_eq!(simd, fallback);
        let (_, spans) = fb.with_tape(|_, s| ((), s.to_vec()));
        assert_eq!(spans.len(), 3);
    }

    #[test]
    fn javascript_numbers_are_accepted() {
        let (tape, spans) = parse("{\"a\":1e400,\"b\":123456789012345678901234567890}").unwrap();
        assert!(tape.contains("F64(inf)"), "{tape}");
        assert_eq!(spans, vec!["1e400", "123456789012345678901234567890"]);
    }

    #[test]
    fn rejections_say_why_without_content() {
        let bad = |raw: &[u8]| {
            let mut p = Parser::new();
            p.parse(raw, |r| r.err())
        };
        assert!(matches!(
            bad(b"{\"a\":\"\\ud800\"}"),
            Some(Unparsable::Invalid {
                reason: "unpaired surrogate escape",
                ..
            })
        ));
        assert!(matches!(
            bad(b"{\"a\":\"\xff\"}"),
            Some(Unparsable::Invalid { at: 6, .. })
        ));
        assert!(matches!(
            bad(b"{\"a\":1} x"),
            Some(Unparsable::Invalid { .. })
        ));
        assert!(matches!(
            bad(b"{\"a\":01}"),
            Some(Unparsable::Invalid { .. })
        ));
        let deep = |n: usize| format!("{}{}", "{\"a\":".repeat(n), "1".to_owned() + &"}".repeat(n));
        assert_eq!(bad(deep(64).as_bytes()), None);
        assert_eq!(bad(deep(65).as_bytes()), Some(Unparsable::TooDeep));
        assert_eq!(bad(deep(5000).as_bytes()), Some(Unparsable::TooDeep));
        let big = vec![b' '; MAX_RECORD_BYTES + 1];
        assert!(matches!(bad(&big), Some(Unparsable::TooLarge { .. })));
    }

    /// `is_minified` must agree with a minified copy being the record itself, wherever the
    /// white space stands.
    #[test]
    fn minified_records_are_told_from_their_structure() {
        let base = r#"{"a":"x y","b":[1,2.5,{"c":"\" }"}],"d":true,"e":null,"f":{}}"#;
        let mut cases = vec![base.to_owned()];
        // White space inserted at every position (where it keeps the record JSON).
        for at in 1..base.len() {
            for ws in [" ", "\n", "\t", "\r"] {
                let mut s = base.to_owned();
                s.insert_str(at, ws);
                cases.push(s);
            }
        }
        let mut p = Parser::new();
        let mut checked = 0;
        for case in &cases {
            p.parse(case.as_bytes(), |r| {
                let Ok(parsed) = r else { return };
                let mut copy = Vec::new();
                crate::emit::json::write_minified(&mut copy, case.as_bytes());
                assert_eq!(parsed.is_minified(), copy == case.as_bytes(), "{case:?}");
                checked += 1;
            });
        }
        assert!(checked > base.len(), "{checked}");
    }
}
