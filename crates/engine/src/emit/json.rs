//! Writing JSON: string escaping, minified copies of raw values, and the masked copy of a
//! record that error lines carry.

/// The placeholder every secret is replaced with.
pub const MASK: &[u8] = b"\"*****\"";

/// Writes `s` as a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    // Most strings need no escape. Asking every byte without stopping early lets the
    // compiler check many at once; the escaping loop below runs only for the others.
    let plain = b
        .iter()
        .fold(true, |ok, &c| ok & (c >= 0x20) & (c != b'"') & (c != b'\\'));
    if plain {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[run..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 15) as usize]);
        } else {
            out.extend_from_slice(esc);
        }
        run = i + 1;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` (any bytes) as a JSON string, invalid UTF-8 replaced by U+FFFD.
pub fn write_lossy_str(out: &mut Vec<u8>, bytes: &[u8]) {
    write_str(out, &String::from_utf8_lossy(bytes));
}

/// Writes `s` lower-cased as JavaScript's `toLowerCase` does (full Unicode).
pub fn write_lower_str(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        // In place, without a lower-cased copy: the escapes `write_str` emits are already
        // lower case (`\n`, `\u001f`), so lower-casing the written bytes is exact.
        let start = out.len();
        write_str(out, s);
        out[start..].make_ascii_lowercase();
    } else {
        // Full Unicode rules (final sigma) need the whole string; non-ASCII is rare.
        write_str(out, &s.to_lowercase());
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// End (exclusive) of the string literal starting at `start` (its opening quote).
fn string_end(raw: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    // `i` can pass the end when an excerpt cuts a string after its backslash.
    while let Some(off) = raw
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        i += off;
        if raw[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    raw.len()
}

/// Copies a valid JSON value without the white space between its tokens.
pub fn write_minified(out: &mut Vec<u8>, raw: &[u8]) {
    let mut i = 0;
    let mut run = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'"' {
            i = string_end(raw, i);
        } else if is_ws(b) {
            out.extend_from_slice(&raw[run..i]);
            while i < raw.len() && is_ws(raw[i]) {
                i += 1;
            }
            run = i;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&raw[run..]);
}

/// Where a value sits, as far as masking cares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Zone {
    Root,
    /// Anywhere inside `custom_password_hash`.
    Hash,
    /// Anywhere inside `mfa_factors`.
    Mfa,
    Plain,
}

/// Writes a valid JSON record minified, with every secret replaced by `"*****"` (SPEC 6.1):
/// `password_hash`; inside `custom_password_hash` every `value` and any `hash`, `salt` or
/// `key` that is not an object (a secret in the wrong shape is still a secret); inside
/// `mfa_factors` every `secret` and any `totp` that is not an object. The whole
/// `custom_password_hash` is masked when it is not an object. Keys are compared decoded, so
/// an escaped key cannot smuggle a secret past the mask.
pub fn write_masked(out: &mut Vec<u8>, raw: &[u8]) {
    let mut w = Masker {
        raw,
        i: 0,
        out,
        key: String::new(),
    };
    w.ws();
    w.value(Zone::Root, None);
}

struct Masker<'r, 'o> {
    raw: &'r [u8],
    i: usize,
    out: &'o mut Vec<u8>,
    key: String,
}

impl Masker<'_, '_> {
    fn ws(&mut self) {
        while self.i < self.raw.len() && is_ws(self.raw[self.i]) {
            self.i += 1;
        }
    }

    /// Skips a value without writing it.
    fn skip(&mut self) {
        let mut depth = 0usize;
        while self.i < self.raw.len() {
            let b = self.raw[self.i];
            match b {
                b'"' => {
                    self.i = string_end(self.raw, self.i);
                    if depth == 0 {
                        return;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return;
                    }
                }
                b',' if depth == 0 => return,
                _ if depth == 0 && is_ws(b) => return,
                _ => {}
            }
            self.i += 1;
        }
    }

    /// Copies the object or array at `self.i`: its brackets and commas, and each member or
    /// element through `item`, which starts at the item's first byte.
    fn container(&mut self, close: u8, mut item: impl FnMut(&mut Self)) {
        self.out.push(self.raw[self.i]);
        self.i += 1;
        let mut n = 0;
        loop {
            self.ws();
            match self.raw.get(self.i) {
                None => break,
                Some(&c) if c == close => {
                    self.i += 1;
                    break;
                }
                Some(b',') => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            if n > 0 {
                self.out.push(b',');
            }
            n += 1;
            item(self);
        }
        self.out.push(close);
    }

    fn value(&mut self, zone: Zone, key: Option<&str>) {
        let first = self.raw.get(self.i).copied().unwrap_or(b'n');
        let is_object = first == b'{';
        let masked = match (zone, key) {
            (Zone::Root, Some("password_hash")) => true,
            (Zone::Root, Some("custom_password_hash")) => !is_object,
            (Zone::Hash, Some("value")) => true,
            (Zone::Hash, Some("hash" | "salt" | "key")) => !is_object,
            (Zone::Mfa, Some("secret")) => true,
            (Zone::Mfa, Some("totp")) => !is_object,
            _ => false,
        };
        if masked {
            self.skip();
            self.out.extend_from_slice(MASK);
            return;
        }
        let inner = match (zone, key) {
            (Zone::Root, Some("custom_password_hash")) => Zone::Hash,
            (Zone::Root, Some("mfa_factors")) => Zone::Mfa,
            (Zone::Root, _) => Zone::Plain,
            (z, _) => z,
        };
        match first {
            b'{' => self.container(b'}', |m| {
                let ks = m.i;
                let ke = string_end(m.raw, ks);
                m.out.extend_from_slice(&m.raw[ks..ke]);
                m.i = ke;
                // Keys are compared decoded; the buffer is lent to nested values and handed
                // back, so masking allocates only while it grows.
                let mut name = std::mem::take(&mut m.key);
                name.clear();
                crate::raw::decode_into(
                    &m.raw[ks + 1..ke.saturating_sub(1).max(ks + 1)],
                    &mut name,
                );
                m.ws();
                m.i += 1; // ':'
                m.out.push(b':');
                m.ws();
                // The record's own members keep the root zone; deeper ones take the inner.
                let z = if zone == Zone::Root && key.is_none() {
                    Zone::Root
                } else {
                    inner
                };
                m.value(z, Some(&name));
                m.key = name;
            }),
            b'[' => self.container(b']', |m| {
                let z = if zone == Zone::Root && key.is_none() {
                    Zone::Plain
                } else {
                    inner
                };
                m.value(z, None);
            }),
            _ => {
                let start = self.i;
                self.skip();
                self.out.extend_from_slice(&self.raw[start..self.i]);
            }
        }
    }
}

/// Writes at most `limit` bytes of an unparsable record as a JSON string. Secrets cannot be
/// located reliably in bytes that are not JSON, so the excerpt is short, and any string that
/// follows a key named like a secret is still replaced.
pub fn write_excerpt(out: &mut Vec<u8>, raw: &[u8], limit: usize) {
    let cut = &raw[..raw.len().min(limit)];
    let mut clean = Vec::with_capacity(cut.len());
    let mut i = 0;
    while i < cut.len() {
        if cut[i] == b'"' {
            let end = string_end(cut, i).min(cut.len());
            let key = &cut[i + 1..end.saturating_sub(1).max(i + 1)];
            clean.extend_from_slice(&cut[i..end]);
            i = end;
            let mut j = i;
            while j < cut.len() && is_ws(cut[j]) {
                j += 1;
            }
            if j < cut.len() && cut[j] == b':' && is_secret_name(key) {
                j += 1;
                while j < cut.len() && is_ws(cut[j]) {
                    j += 1;
                }
                clean.extend_from_slice(&cut[i..j]);
                if j < cut.len() && cut[j] == b'"' {
                    clean.extend_from_slice(MASK);
                    i = string_end(cut, j).min(cut.len());
                } else {
                    i = j;
                }
            }
        } else {
            clean.push(cut[i]);
            i += 1;
        }
    }
    write_lossy_str(out, &clean);
}

fn is_secret_name(key: &[u8]) -> bool {
    matches!(
        key,
        b"password_hash" | b"value" | b"secret" | b"hash" | b"salt" | b"key"
    ) || key.contains(&b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(s: &str) -> String {
        let mut out = Vec::new();
        write_masked(&mut out, s.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_every_secret() {
        let rec = r#" { "email" : "a@b.co", "password_hash":"$2b$10$X",
            "custom_password_hash": {"algorithm":"hmac","hash":{"value":"S1","encoding":"hex","key":{"value":"S2"}},
              "salt":{"value":"S3","position":"prefix"}},
            "mfa_factors":[{"totp":{"secret":"S4"}},{"phone":{"value":"+1"}},{"totp":"S5"}],
            "app_metadata":{"value":"kept","secret":"kept"} } "#;
        let m = masked(rec);
        for s in ["S1", "S2", "S3", "S4", "S5", "$2b$"] {
            assert!(!m.contains(s), "{s} leaked: {m}");
        }
        assert!(m.contains(r#""phone":{"value":"+1"}"#), "{m}");
        assert!(
            m.contains(r#""app_metadata":{"value":"kept","secret":"kept"}"#),
            "{m}"
        );
        let v: serde_json::Value = serde_json::from_str(&m).unwrap();
        assert_eq!(v["custom_password_hash"]["salt"]["position"], "prefix");
    }

    #[test]
    fn masks_secrets_in_the_wrong_shape_and_escaped_keys() {
        let m = masked(r#"{"custom_password_hash":"S1","x":1}"#);
        assert!(!m.contains("S1"));
        let m = masked(r#"{"custom_password_hash":{"hash":"S1","salt":["S2"]}}"#);
        assert!(!m.contains("S1") && !m.contains("S2"), "{m}");
        let m = masked(r#"{"pass\u0077ord_hash":"S1","password_hash":"S2","password_hash":null}"#);
        assert!(!m.contains("S1") && !m.contains("S2"), "{m}");
    }

    #[test]
    fn minify_keeps_strings() {
        let mut out = Vec::new();
        write_minified(&mut out, b"{ \"a b\" : [ 1 , \"x \\\" y\" ] }");
        assert_eq!(out, b"{\"a b\":[1,\"x \\\" y\"]}");
    }

    #[test]
    fn excerpts_are_short_and_masked() {
        let mut out = Vec::new();
        write_excerpt(&mut out, br#"{"password_hash": "SECRET", "a": tru"#, 256);
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains("SECRET"), "{s}");
        let mut out = Vec::new();
        write_excerpt(&mut out, &[b'x'; 1000], 256);
        assert_eq!(out.len(), 258);
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"\\\n\u{1}é");
        assert_eq!(out, "\"a\\\"\\\\\\n\\u0001é\"".as_bytes());
    }
}
