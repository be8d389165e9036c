//! String rules shared by several properties: lengths in Unicode scalar values, E.164,
//! JavaScript's `\s`, the username alphabet and absolute http(s) URLs.

use crate::finding::{Code, Findings};

pub const E164: &str = "^\\+[0-9]{1,15}$";
pub const USERNAME: &str = "^[a-zA-Z0-9_+\\-.!#$'^`~@]+$";

/// `MIN_LENGTH` / `MAX_LENGTH`, counting Unicode scalar values (SPEC 2.1).
pub fn length(s: &str, path: &str, min: usize, max: usize, out: &mut Findings) {
    // Byte length bounds the char count from above, so most values skip the count.
    let n = if s.len() <= max && s.len() >= min {
        return;
    } else {
        s.chars().count()
    };
    if n < min {
        out.error(
            Code::MinLength,
            path,
            format_args!("String is too short ({n} chars), minimum {min}"),
        );
    } else if n > max {
        out.error(
            Code::MaxLength,
            path,
            format_args!("String is too long ({n} chars), maximum {max}"),
        );
    }
}

/// `^\+[0-9]{1,15}$`; the anchors are strict, so a trailing newline fails.
pub fn is_e164(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b.len() <= 16 && b[0] == b'+' && b[1..].iter().all(u8::is_ascii_digit)
}

/// A character JavaScript's `\s` matches.
pub fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// ASCII letters, digits and the twelve characters of SPEC 10 (no backslash).
pub fn is_username_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'@' | b'^' | b'$' | b'.' | b'!' | b'`' | b'-' | b'#' | b'+' | b'\'' | b'~' | b'_'
        )
}

/// Whether `s` has a character that Unicode's `White_Space` or JavaScript's `\s` matches.
/// The two agree on ASCII (tab to carriage return, and space), which most values are, so
/// those are checked byte by byte; decoding every character of a picture URL to ask the
/// Unicode tables was 5% of the record stage's instructions.
pub fn has_space(s: &str) -> bool {
    if s.is_ascii() {
        has_ascii_space(s)
    } else {
        s.chars().any(|c| c.is_whitespace() || is_js_space(c))
    }
}

/// Whether `s` has a character that JavaScript's `\s` matches.
pub fn has_js_space(s: &str) -> bool {
    if s.is_ascii() {
        has_ascii_space(s)
    } else {
        s.chars().any(is_js_space)
    }
}

fn has_ascii_space(s: &str) -> bool {
    s.bytes().any(|b| b == b' ' || (b'\t'..=b'\r').contains(&b))
}

/// An `http` or `https` scheme (any case), a non-empty host and no white space (SPEC 10).
pub fn is_absolute_http_url(s: &str) -> bool {
    if has_space(s) {
        return false;
    }
    let b = s.as_bytes();
    // The scheme is what precedes the first `://`, so it must be the very start.
    let rest = if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        &s[8..]
    } else if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        &s[7..]
    } else {
        return false;
    };
    let end = rest
        .bytes()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
            .unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    !host.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        assert!(is_e164("+1"));
        assert!(is_e164("+123456789012345"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+"));
        assert!(!is_e164("+1\n"));
        assert!(!is_e164("1234"));
    }

    #[test]
    fn urls() {
        assert!(is_absolute_http_url("https://s.gravatar.com/avatar/x.png"));
        assert!(is_absolute_http_url("HTTP://h"));
        assert!(is_absolute_http_url("http://user@h:8080/p"));
        assert!(!is_absolute_http_url("http:///path"));
        assert!(!is_absolute_http_url("ftp://h/x"));
        assert!(!is_absolute_http_url("//h/x"));
        assert!(!is_absolute_http_url("http://h/a b"));
        assert!(!is_absolute_http_url("avatar.png"));
    }

    #[test]
    fn lengths_count_scalar_values() {
        let mut f = Findings::new();
        length(&"😀".repeat(150), "given_name", 1, 150, &mut f);
        assert!(!f.has_errors());
        length(&"😀".repeat(151), "given_name", 1, 150, &mut f);
        assert_eq!(f.errors().next().map(|e| e.code), Some(Code::MaxLength));
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_character_tables() {
        for b in 0u8..0x80 {
            let s = format!("a{}b", b as char);
            let c = b as char;
            assert_eq!(has_space(&s), c.is_whitespace() || is_js_space(c), "{b:#x}");
            assert_eq!(has_js_space(&s), is_js_space(c), "{b:#x}");
        }
        assert!(has_space("a\u{85}b") && !has_js_space("a\u{85}b"));
        assert!(has_space("a\u{feff}b") && has_js_space("a\u{feff}b"));
        assert!(!is_absolute_http_url("https://a b.io/"));
        assert!(is_absolute_http_url("HTTP://a.io"));
        assert!(!is_absolute_http_url("httpx://a.io"));
        assert!(!is_absolute_http_url("ftp://a.io/https://b.io"));
    }
}
