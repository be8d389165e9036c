//! Email syntax, exactly as Auth0 judges it.
//!
//! Auth0 checks the `email` of an imported user with `isEmail` from the npm `validator`
//! package at its default options. This module is a port of `validator` **13.15.35**
//! (`lib/isEmail.js`, `lib/isFQDN.js`, `lib/isByteLength.js`), specialised to the options
//! `isEmail` uses when called without any:
//!
//! | option | value | effect here |
//! | --- | --- | --- |
//! | `allow_display_name`, `require_display_name` | false | `Name <a@b.c>` is not unwrapped, so it fails |
//! | `allow_utf8_local_part` | true | the local part may hold most non-ASCII BMP characters |
//! | `require_tld` | true | the domain needs a dot and a top-level label that passes the TLD rule |
//! | `allow_underscores` | false | no `_` in any domain label |
//! | `ignore_max_length` | false | 254 code units in all, 64 bytes of local part, 254 bytes of domain, 63 code units a label |
//! | `allow_ip_domain` | unset (false) | `[1.2.3.4]` and `1.2.3.4` fail |
//! | `domain_specific_validation` | unset (false) | no Gmail rules |
//! | `blacklisted_chars`, `host_blacklist`, `host_whitelist` | empty | no effect (so `toLowerCase` never matters) |
//!
//! `isFQDN` is called with `require_tld`, `allow_underscores` and `ignore_max_length` from the
//! above; its other options keep their defaults (`allow_trailing_dot`, `allow_numeric_tld`,
//! `allow_wildcard` all false).
//!
//! # Why UTF-16 code units
//!
//! JavaScript strings are sequences of UTF-16 code units: `.length` counts them, and a regex
//! without the `u` flag matches one code unit at a time. A character outside the BMP is two
//! surrogate code units, so it counts twice toward the 254 and 63 limits, and it passes a
//! character class exactly when that class contains the surrogate range `U+D800..U+DFFF`:
//! the domain-label class (`\u00a1-\uffff`) does, so an emoji is fine in a domain label; the
//! local-part, quoted and TLD classes stop at `\uD7FF`, so there it fails. The byte limits, by
//! contrast, go through `encodeURI`, which counts UTF-8 bytes, i.e. Rust's `str::len`.
//!
//! The regexes carry the `i` flag but no `u`. That canonicalisation never maps a non-ASCII
//! character onto an ASCII one, so `[a-z]` with `i` is exactly `[A-Za-z]`: the Kelvin sign
//! U+212A and the long s U+017F are not letters to it (they pass only where a class names a
//! non-ASCII range that holds them). No other class here has a member whose case partner
//! lies outside it, so every class below is the literal one with ASCII letters doubled.
//!
//! Rust strings cannot hold a lone surrogate, so the JS behaviour for those (which
//! `encodeURI` would throw on) has no counterpart here.
//!
//! The tests pin the port to verdicts the real package gave: `testdata/email/corpus.jsonl`
//! (tricky addresses) and `testdata/email/char_ranges.json` (every Unicode scalar value at
//! each position of interest).

/// `defaultMaxEmailLength` in `isEmail.js`, in UTF-16 code units.
const MAX_EMAIL_UNITS: usize = 254;
/// `isByteLength(user, { max: 64 })`, in UTF-8 bytes.
const MAX_LOCAL_BYTES: usize = 64;
/// `isByteLength(domain, { max: 254 })`, in UTF-8 bytes.
const MAX_DOMAIN_BYTES: usize = 254;
/// The per-label limit of `isFQDN`, in UTF-16 code units.
const MAX_LABEL_UNITS: usize = 63;

/// Whether npm `validator@13.15.35`'s `isEmail(s)` (default options) returns true.
///
/// Does not allocate.
#[must_use]
pub fn is_email(s: &str) -> bool {
    // A UTF-16 string is never longer than the UTF-8 one, so the count is only needed
    // for the rare long input.
    if s.len() > MAX_EMAIL_UNITS && utf16_len(s) > MAX_EMAIL_UNITS {
        return false;
    }
    // `split('@')` then `pop()` for the domain and `join('@')` for the rest: the split is at
    // the last `@`. Without any `@` the JS goes on with an empty local part, which fails
    // every local-part rule, so stopping here gives the same verdict.
    let Some(at) = memchr::memrchr(b'@', s.as_bytes()) else {
        return false;
    };
    let (user, domain) = (&s[..at], &s[at + 1..]);
    if user.len() > MAX_LOCAL_BYTES || domain.len() > MAX_DOMAIN_BYTES {
        return false;
    }
    is_fqdn(domain) && is_local_part(user)
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `isFQDN(domain, { require_tld: true, allow_underscores: false, ignore_max_length: false })`.
fn is_fqdn(domain: &str) -> bool {
    // `require_tld` wants at least two labels.
    let Some(dot) = memchr::memrchr(b'.', domain.as_bytes()) else {
        return false;
    };
    // The JS then rejects an all-digit TLD, which the TLD rule has already excluded.
    is_tld(&domain[dot + 1..]) && dot_pieces(domain).all(is_label)
}

/// `s.split('.')`, searched byte by byte: for the few short pieces of an address this is a
/// fraction of the cost of the `char` pattern's searcher (3% of a run's cycles were in it).
/// A `.` is ASCII, so every cut is a character boundary.
fn dot_pieces(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b'.') {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// What [`is_label_char`] and [`is_atom_char`] say of each ASCII byte, looked up byte by
/// byte for the ASCII strings almost every email is (decoding characters to ask the same
/// question was most of `is_email`'s cost).
macro_rules! ascii_table {
    ($f:ident) => {{
        let mut t = [false; 128];
        let mut i = 0;
        while i < 128 {
            t[i] = $f(i as u8 as char);
            i += 1;
        }
        t
    }};
}

static LABEL_ASCII: [bool; 128] = ascii_table!(is_label_char);
static ATOM_ASCII: [bool; 128] = ascii_table!(is_atom_char);

fn all_in(s: &str, table: &[bool; 128]) -> Option<bool> {
    s.is_ascii()
        .then(|| s.bytes().all(|b| table[usize::from(b)]))
}

/// `/^([a-z\u00A1-\u00A8\u00AA-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]{2,}|xn[a-z0-9-]{2,})$/i`
/// followed by `!/\s/`.
fn is_tld(tld: &str) -> bool {
    let b = tld.as_bytes();
    if b.len() >= 4
        && b[0].eq_ignore_ascii_case(&b'x')
        && b[1].eq_ignore_ascii_case(&b'n')
        && b[2..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-')
    {
        // Nothing in this branch is whitespace.
        return true;
    }
    // Every member of the class is a single BMP code unit, so counting chars counts units.
    let mut units = 0usize;
    for c in tld.chars() {
        if !is_tld_char(c) || is_js_whitespace(c) {
            return false;
        }
        units += 1;
    }
    units >= 2
}

fn is_tld_char(c: char) -> bool {
    // U+00A9 (the copyright sign) is the one hole in the Latin-1 part; the surrogates, the
    // private use area, the noncharacters U+FDD0..U+FDEF and U+FFF0..U+FFFF are left out.
    matches!(c,
        'a'..='z' | 'A'..='Z'
        | '\u{A1}'..='\u{A8}'
        | '\u{AA}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFEF}')
}

/// JS `\s`: WhiteSpace (TAB, VT, FF, ZWNBSP and category Zs) plus LineTerminator.
/// U+180E left Zs in Unicode 6.3 and is not in it for Node.
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// One label of `isFQDN` at the options above.
fn is_label(label: &str) -> bool {
    let b = label.as_bytes();
    // `/^[a-z_\u00a1-\uffff0-9-]+$/i` needs one unit; `/^-|-$/` bans edge hyphens.
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if first == b'-' || last == b'-' {
        return false;
    }
    if !all_in(label, &LABEL_ASCII).unwrap_or_else(|| label.chars().all(is_label_char)) {
        return false;
    }
    // Code units never outnumber bytes, so short labels need no count.
    b.len() <= MAX_LABEL_UNITS || utf16_len(label) <= MAX_LABEL_UNITS
}

const fn is_label_char(c: char) -> bool {
    match c {
        // `_` is in the class but `allow_underscores: false` rejects it afterwards.
        'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => true,
        '\0'..='\u{A0}' => false,
        // `/[\uff01-\uff5e]/`: full-width ASCII is rejected even though the class has it.
        '\u{FF01}'..='\u{FF5E}' => false,
        // The class runs to U+FFFF, so it holds the surrogates: astral characters pass.
        _ => true,
    }
}

/// The local-part half of `isEmail` with `allow_utf8_local_part: true`.
fn is_local_part(user: &str) -> bool {
    match user.as_bytes() {
        // `user[0] === '"' && user[user.length - 1] === '"'` holds for a lone `"` too,
        // and `slice(1, 0)` is then empty, which the quoted pattern (`*`) accepts.
        [b'"'] => true,
        [b'"', .., b'"'] => is_quoted_content(&user[1..user.len() - 1]),
        _ => dot_pieces(user).all(|atom| {
            !atom.is_empty()
                && all_in(atom, &ATOM_ASCII).unwrap_or_else(|| atom.chars().all(is_atom_char))
        }),
    }
}

/// `emailUserUtf8Part` without the anchors and `+`:
/// `[a-z\d!#\$%&'\*\+\-\/=\?\^_`{\|}~\u00A1-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]` with `i`.
const fn is_atom_char(c: char) -> bool {
    matches!(c,
        'a'..='z' | 'A'..='Z' | '0'..='9'
        | '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '/' | '='
        | '?' | '^' | '_' | '`' | '{' | '|' | '}' | '~'
        | '\u{A1}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFEF}')
}

/// `quotedEmailUserUtf8`: `^(qtext|\\escapable)*$`. A backslash can only start the second
/// alternative, so a left-to-right scan decides the regex without backtracking.
fn is_quoted_content(inner: &str) -> bool {
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let ok = if c == '\\' {
            chars.next().is_some_and(is_quoted_escapable)
        } else {
            is_qtext(c)
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `[\s\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]`:
/// with `\s` filling in TAB, LF, CR and space, that is all of `\x01-\x7f` but `"` and `\`.
fn is_qtext(c: char) -> bool {
    matches!(c,
        '\u{01}'..='\u{21}'
        | '\u{23}'..='\u{5B}'
        | '\u{5D}'..='\u{7F}'
        | '\u{A0}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFEF}')
}

/// `[\x01-\x09\x0b\x0c\x0d-\x7f\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]`: LF is the only
/// ASCII character besides NUL that cannot follow a backslash.
fn is_quoted_escapable(c: char) -> bool {
    matches!(c,
        '\u{01}'..='\u{09}'
        | '\u{0B}'..='\u{7F}'
        | '\u{A0}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFEF}')
}

#[cfg(test)]
mod tests {
    use super::{dot_pieces, is_email};

    #[test]
    fn dot_pieces_are_str_split() {
        for s in [
            "",
            ".",
            "..",
            "a",
            "a.b",
            "a..b",
            ".a",
            "a.",
            "é.ü.x",
            "x.中文.",
            "...a...b",
        ] {
            let ours: Vec<&str> = dot_pieces(s).collect();
            let std: Vec<&str> = s.split('.').collect();
            assert_eq!(ours, std, "{s:?}");
        }
    }

    #[derive(serde::Deserialize)]
    struct Case {
        email: String,
        valid: bool,
    }

    #[test]
    fn corpus_matches_the_real_package() {
        let corpus = include_str!("../../../../testdata/email/corpus.jsonl");
        let mut total = 0;
        let mut mismatches = Vec::new();
        for (n, line) in corpus.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("corpus.jsonl line {}: {e}", n + 1));
            total += 1;
            let got = is_email(&case.email);
            if got != case.valid {
                mismatches.push(format!(
                    "line {}: {:?}: validator says {}, port says {got}",
                    n + 1,
                    case.email,
                    case.valid
                ));
            }
        }
        assert!(total >= 400, "corpus too small: {total} cases");
        for m in &mismatches {
            eprintln!("{m}");
        }
        assert!(
            mismatches.is_empty(),
            "{} of {total} cases disagree",
            mismatches.len()
        );
    }

    #[derive(serde::Deserialize)]
    struct Ranges {
        probes: std::collections::BTreeMap<String, Probe>,
    }

    #[derive(serde::Deserialize)]
    struct Probe {
        template: String,
        ranges: Vec<[u32; 2]>,
    }

    /// Every scalar value at every probed position, against the real package's verdicts.
    #[test]
    fn every_character_matches_the_real_package() {
        let json = include_str!("../../../../testdata/email/char_ranges.json");
        let ranges: Ranges = serde_json::from_str(json).expect("char_ranges.json parses");
        assert!(ranges.probes.len() >= 8);
        let mut mismatches = Vec::new();
        let mut buf = String::new();
        for (name, probe) in &ranges.probes {
            let (pre, post) = probe.template.split_once("{}").expect("template has {}");
            // Astral characters are all one surrogate pair to the JS, so a sample of them
            // (with both ends) keeps the debug-build test fast.
            let astral = (0x1_0000..=0x10_FFFF).step_by(251).chain([0x10_FFFF]);
            for c in (0..0x1_0000).chain(astral).filter_map(char::from_u32) {
                let cp = u32::from(c);
                let want = probe.ranges.iter().any(|&[lo, hi]| (lo..=hi).contains(&cp));
                buf.clear();
                buf.push_str(pre);
                buf.push(c);
                buf.push_str(post);
                if is_email(&buf) != want {
                    mismatches.push(format!("{name}: U+{cp:04X} {buf:?}: validator says {want}"));
                }
            }
        }
        for m in mismatches.iter().take(200) {
            eprintln!("{m}");
        }
        assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
    }

    #[test]
    fn lengths_count_utf16_units_and_utf8_bytes() {
        // Local part: 64 bytes, not 64 characters.
        assert!(is_email(&format!("{}@example.com", "é".repeat(32))));
        assert!(!is_email(&format!("{}a@example.com", "é".repeat(32))));
        // A label holds 63 code units: 31 emoji and one letter, but not 32 emoji.
        assert!(is_email(&format!("a@{}b.com", "😀".repeat(31))));
        assert!(!is_email(&format!("a@{}.com", "😀".repeat(32))));
        // 255 code units is too long even though it is only 254 chars. Labels stay short
        // (61 code units with the emoji) so only the total is at stake.
        let domain = format!(
            "{}.{}.{}.{}.com",
            "d".repeat(60),
            "d".repeat(63),
            "d".repeat(63),
            "d".repeat(59)
        );
        let email = format!("a@😀{}", &domain[1..]);
        assert_eq!(email.encode_utf16().count(), 255);
        assert_eq!(email.chars().count(), 254);
        assert!(!is_email(&email));
        assert!(is_email(&format!("a@😀{}", &domain[2..])));
    }

    #[test]
    fn tld_rules() {
        assert!(is_email("a@b.co"));
        assert!(!is_email("a@b.c"));
        assert!(!is_email("a@b.c0m"));
        assert!(!is_email("a@b.123"));
        assert!(is_email("a@b.XN--P1AI"));
        // `xn` plus two of [a-z0-9-] is enough, digits and all; edge hyphens still fail.
        assert!(is_email("a@b.xn12"));
        assert!(is_email("a@b.xn-1"));
        assert!(!is_email("a@b.xn--"));
        assert!(is_email("a@b.рф"));
        assert!(!is_email("a@b.é"));
        assert!(!is_email("a@b.c\u{A9}m"));
        // In the TLD class but `\s`.
        assert!(!is_email("a@b.co\u{2000}m"));
        assert!(!is_email("a@b.co\u{FEFF}m"));
        // Not `\s` since Unicode 6.3.
        assert!(is_email("a@b.co\u{180E}m"));
        assert!(!is_email("a@b.😀😀"));
        assert!(!is_email("a@b.ｃｏｍ"));
    }

    #[test]
    fn case_folding_does_not_reach_ascii() {
        // Kelvin sign and long s are in the non-ASCII ranges, not in `[a-z]`.
        assert!(is_email("a@b.\u{212A}\u{212A}"));
        assert!(is_email("\u{017F}@b.com"));
        // So they do not make an `xn` TLD: `xn` + long s passes only as a plain letter TLD.
        assert!(is_email("a@b.xn\u{017F}\u{017F}"));
        assert!(!is_email("a@b.xn-\u{017F}"));
    }

    #[test]
    fn quoted_local_parts() {
        assert!(is_email("\"john doe\"@example.com"));
        assert!(is_email("\"a\\\"b\"@example.com"));
        assert!(is_email("\"\"@example.com"));
        // A lone quote is both the first and the last character.
        assert!(is_email("\"@example.com"));
        assert!(is_email("\"a@b\"@example.com"));
        assert!(!is_email("\"a\"b\"@example.com"));
        assert!(is_email("\"a\nb\"@example.com"));
        assert!(!is_email("\"a\\\nb\"@example.com"));
        assert!(!is_email("\"a😀b\"@example.com"));
    }

    #[test]
    fn domains_that_fail_at_defaults() {
        assert!(!is_email("a@[1.2.3.4]"));
        assert!(!is_email("a@1.2.3.4"));
        assert!(!is_email("Name <a@example.com>"));
        assert!(!is_email("a@example.com."));
        assert!(!is_email("a@b_c.com"));
        assert!(!is_email("a@-b.com"));
        assert!(is_email("a@😀.com"));
        assert!(!is_email("😀@example.com"));
    }

    #[test]
    fn project_data_shapes() {
        assert!(is_email("first.last5@sub.corp-mail.net"));
        assert!(is_email("Liam.Lopez1@Acme-corp.com"));
    }
}
