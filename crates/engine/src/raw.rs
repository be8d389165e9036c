//! Reading JSON that is already known to be valid, straight from its bytes: the members of
//! an object, the elements of an array, a value's end, a string decoded.
//!
//! The existing-users snapshot keeps no parsed copy of its users (memory is the point), so
//! lookups and the metadata merge read the export's bytes, which were validated when the
//! snapshot was loaded. On invalid JSON these functions never panic or loop; they just
//! return something meaningless.

use std::ops::Range;

pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub fn skip_ws(raw: &[u8], mut i: usize) -> usize {
    while i < raw.len() && is_ws(raw[i]) {
        i += 1;
    }
    i
}

/// End (exclusive) of the string literal whose opening quote is at `start`.
pub fn string_end(raw: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(off) = memchr::memchr2(b'"', b'\\', raw.get(i..).unwrap_or_default()) {
        i += off;
        if raw[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    raw.len()
}

/// End (exclusive) of the value starting at `start` (its first byte, not white space).
pub fn value_end(raw: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut depth = 0usize;
    while i < raw.len() {
        match raw[i] {
            b'"' => {
                i = string_end(raw, i);
                if depth == 0 {
                    return i;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return i;
                }
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b',' | b':' if depth == 0 => return i,
            b if depth == 0 && is_ws(b) => return i,
            _ => {}
        }
        i += 1;
    }
    raw.len()
}

/// The members of the object `raw` (which starts with `{`, white space allowed around it):
/// each key's literal without its quotes (escapes not decoded) and its value's range.
pub fn members(raw: &[u8]) -> Members<'_> {
    let i = skip_ws(raw, 0);
    Members {
        raw,
        i: if raw.get(i) == Some(&b'{') {
            i + 1
        } else {
            raw.len()
        },
    }
}

/// The members of a JSON object, from [`members`]: each key's literal (without its quotes,
/// escapes not decoded; [`key_is`] compares one) and its value's byte range in the object's
/// bytes. Every member comes, repeated keys included, in input order; [`member`] finds the
/// one JSON.parse keeps.
#[derive(Clone, Debug)]
pub struct Members<'r> {
    raw: &'r [u8],
    i: usize,
}

impl<'r> Iterator for Members<'r> {
    type Item = (&'r [u8], Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.raw;
        let mut i = skip_ws(raw, self.i);
        if raw.get(i) == Some(&b',') {
            i = skip_ws(raw, i + 1);
        }
        if raw.get(i) != Some(&b'"') {
            self.i = raw.len();
            return None;
        }
        let ke = string_end(raw, i);
        let key = &raw[i + 1..ke.saturating_sub(1).max(i + 1)];
        i = skip_ws(raw, ke);
        if raw.get(i) != Some(&b':') {
            self.i = raw.len();
            return None;
        }
        let vs = skip_ws(raw, i + 1);
        let ve = value_end(raw, vs);
        self.i = ve;
        Some((key, vs..ve))
    }
}

/// The elements of the array `raw` (which starts with `[`), as ranges.
pub fn elements(raw: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let start = skip_ws(raw, 0);
    let mut i = if raw.get(start) == Some(&b'[') {
        start + 1
    } else {
        raw.len()
    };
    std::iter::from_fn(move || {
        i = skip_ws(raw, i);
        if raw.get(i) == Some(&b',') {
            i = skip_ws(raw, i + 1);
        }
        match raw.get(i) {
            None | Some(b']') => {
                i = raw.len();
                None
            }
            Some(_) => {
                let s = i;
                i = value_end(raw, s);
                (i > s).then_some(s..i)
            }
        }
    })
}

/// Whether the key literal `lit` (without quotes) decodes to `name`.
pub fn key_is(lit: &[u8], name: &str) -> bool {
    if !lit.contains(&b'\\') {
        return lit == name.as_bytes();
    }
    let mut s = String::new();
    decode_into(lit, &mut s);
    s == name
}

/// The value of the last member named `name` (JSON.parse keeps the last of repeated keys).
pub fn member(raw: &[u8], name: &str) -> Option<Range<usize>> {
    members(raw)
        .filter(|(k, _)| key_is(k, name))
        .last()
        .map(|(_, v)| v)
}

/// Decodes the string literal `lit` (with its quotes) into `out`, which is cleared first.
/// Returns false when `lit` is not a string.
pub fn decode_str(lit: &[u8], out: &mut String) -> bool {
    out.clear();
    if lit.len() < 2 || lit[0] != b'"' || lit[lit.len() - 1] != b'"' {
        return false;
    }
    decode_into(&lit[1..lit.len() - 1], out);
    true
}

/// Decodes the inside of a string literal, escapes included; a lone surrogate or invalid
/// UTF-8 becomes U+FFFD (validated input has neither).
pub fn decode_into(inner: &[u8], out: &mut String) {
    if !inner.contains(&b'\\') {
        out.push_str(&String::from_utf8_lossy(inner));
        return;
    }
    let mut units: Vec<u16> = Vec::new();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or('\u{fffd}')));
    };
    let mut i = 0;
    let mut run = 0;
    while i < inner.len() {
        if inner[i] != b'\\' {
            i += 1;
            continue;
        }
        if run < i {
            flush(&mut units, out);
            out.push_str(&String::from_utf8_lossy(&inner[run..i]));
        }
        let c = inner.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let ch = match c {
            b'u' => {
                let v = inner
                    .get(i..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u16::from_str_radix(h, 16).ok());
                i += 4;
                units.push(v.unwrap_or(0xfffd));
                run = i.min(inner.len());
                continue;
            }
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            other => other as char,
        };
        flush(&mut units, out);
        out.push(ch);
        run = i.min(inner.len());
    }
    flush(&mut units, out);
    if run < inner.len() {
        out.push_str(&String::from_utf8_lossy(&inner[run..]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_values() {
        let raw = br#" { "a" : 1 , "b":{"x":[1,{"y":"}"}]}, "c\"d":"e\\f", "a":true} "#;
        let got: Vec<(String, String)> = members(raw)
            .map(|(k, v)| {
                let mut s = String::new();
                decode_into(k, &mut s);
                (s, String::from_utf8_lossy(&raw[v]).into_owned())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a".into(), "1".into()),
                ("b".into(), r#"{"x":[1,{"y":"}"}]}"#.into()),
                ("c\"d".into(), r#""e\\f""#.into()),
                ("a".into(), "true".into()),
            ]
        );
        assert_eq!(&raw[member(raw, "a").unwrap()], b"true");
        assert_eq!(member(raw, "z"), None);
    }

    #[test]
    fn elements_of_arrays() {
        let raw = br#"[ 1, "a,b" , {"c":[2,3]}, [] ]"#;
        let got: Vec<&[u8]> = elements(raw).map(|r| &raw[r]).collect();
        assert_eq!(got, [&b"1"[..], br#""a,b""#, br#"{"c":[2,3]}"#, b"[]"]);
        assert_eq!(elements(b"[]").count(), 0);
        assert_eq!(elements(b"{}").count(), 0);
    }

    #[test]
    fn strings_decode_escapes_and_surrogate_pairs() {
        let mut s = String::new();
        assert!(decode_str(br#""a\u00e9\ud83d\ude00\n\"b""#, &mut s));
        assert_eq!(s, "a\u{e9}\u{1f600}\n\"b");
        assert!(decode_str(br#""plain""#, &mut s));
        assert_eq!(s, "plain");
        assert!(!decode_str(b"12", &mut s));
        assert!(key_is(br"e\u006dail", "email"));
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b"{"[..],
            b"{\"",
            b"{\"a\"",
            b"{\"a\":",
            b"[",
            b"[\"",
            b"\"\\",
        ] {
            let _ = members(raw).count();
            let _ = elements(raw).count();
            let _ = value_end(raw, 0);
            let mut s = String::new();
            decode_str(raw, &mut s);
        }
    }
}
