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

/// An `http` or `https` scheme (any case), a non-empty host and no white space (SPEC 10).
pub fn is_absolute_http_url(s: &str) -> bool {
    if s.chars().any(|c| c.is_whitespace() || is_js_space(c)) {
        return false;
    }
    let rest = match s.find("://") {
        Some(i) if s[..i].eq_ignore_ascii_case("http") || s[..i].eq_ignore_ascii_case("https") => {
            &s[i + 3..]
        }
        _ => return false,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
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
}
