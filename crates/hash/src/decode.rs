//! Hex and base64 as SPEC section 10 ("Decoding for the warnings") defines them, and the
//! stricter unpadded "B64" of PHC strings.
//!
//! The checks only validate and count: [`decoded_len`] and [`phc_b64_len`] never allocate.
//! [`decode_into`] writes the bytes into a caller's buffer, for verification.
//!
//! Grammar of the SPEC-10 encodings (ABNF-like):
//!
//! ```text
//! hex     = *(HEXDIG HEXDIG)                 ; either case, even count
//! base64  = *b64char [ padding ]             ; data length not 1 mod 4
//! b64char = ALPHA / DIGIT / "+" / "/"        ; standard alphabet, or
//!         / ALPHA / DIGIT / "-" / "_"        ; the URL alphabet (never both in one value)
//! padding = "=" / "=="                       ; optional, but when present it must complete
//!                                            ; the last group of four
//! ```
//!
//! Non-canonical trailing bits are accepted (as Node's `Buffer.from` does); white space is
//! not. PHC's B64 ([`phc_b64_len`]) is the standard alphabet only, never padded, and its
//! unused trailing bits must be zero (the PHC format and libsodium both require it).

use std::fmt;

/// A binary-to-text encoding a value can be declared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// Hex, either case.
    Hex,
    /// Base64, standard or URL alphabet, padding optional.
    Base64,
}

impl Binary {
    /// `hex` or `base64`, as records write it.
    pub const fn name(self) -> &'static str {
        match self {
            Binary::Hex => "hex",
            Binary::Base64 => "base64",
        }
    }
}

/// Why a value does not decode. No variant carries any of the value's characters: values
/// are secrets.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A character outside the alphabet.
    InvalidChar {
        /// Its byte offset.
        at: usize,
    },
    /// Hex with an odd number of digits.
    OddLength,
    /// Base64 whose data length is 1 modulo 4: the last 6 bits cannot make a byte.
    Truncated,
    /// Base64 mixing the standard (`+` `/`) and the URL (`-` `_`) alphabets.
    MixedAlphabets,
    /// Padding that is present but wrong: inside the data, too long, or not completing the
    /// last group of four.
    BadPadding,
    /// PHC B64 with padding (it is never padded).
    Padded,
    /// PHC B64 whose unused trailing bits are not zero.
    NonCanonical,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidChar { at } => write!(f, "invalid character at offset {at}"),
            DecodeError::OddLength => f.write_str("odd number of hex digits"),
            DecodeError::Truncated => f.write_str("length is 1 modulo 4"),
            DecodeError::MixedAlphabets => f.write_str("mixes the standard and URL alphabets"),
            DecodeError::BadPadding => f.write_str("incorrect padding"),
            DecodeError::Padded => f.write_str("padding is not allowed"),
            DecodeError::NonCanonical => f.write_str("unused trailing bits are not zero"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Value of a base64 character in either alphabet, or `INVALID`/`PAD`.
const INVALID: u8 = 0xFF;
const PAD: u8 = 0xFE;

const B64: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = 26 + i;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = 52 + d;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t[b'=' as usize] = PAD;
    t
};

/// The decoded length of `s` in `enc`, validating it by SPEC section 10's rules.
pub fn decoded_len(s: &str, enc: Binary) -> Result<usize, DecodeError> {
    match enc {
        Binary::Hex => hex_len(s.as_bytes()),
        Binary::Base64 => base64_len(s.as_bytes()),
    }
}

/// Hex, either case (mixed too), even length.
pub fn hex_len(s: &[u8]) -> Result<usize, DecodeError> {
    if let Some(at) = s.iter().position(|b| !b.is_ascii_hexdigit()) {
        return Err(DecodeError::InvalidChar { at });
    }
    if !s.len().is_multiple_of(2) {
        return Err(DecodeError::OddLength);
    }
    Ok(s.len() / 2)
}

/// Base64 in the standard or the URL alphabet (not mixed), padding optional but correct when
/// present, non-canonical trailing bits accepted, no white space.
pub fn base64_len(s: &[u8]) -> Result<usize, DecodeError> {
    let data_len = s.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let (data, pad) = (&s[..data_len], s.len() - data_len);
    let (mut standard, mut url) = (false, false);
    for (at, &b) in data.iter().enumerate() {
        match b {
            b'+' | b'/' => standard = true,
            b'-' | b'_' => url = true,
            b'=' => return Err(DecodeError::BadPadding),
            _ if B64[b as usize] == INVALID => return Err(DecodeError::InvalidChar { at }),
            _ => {}
        }
    }
    if standard && url {
        return Err(DecodeError::MixedAlphabets);
    }
    let rem = data.len() % 4;
    if rem == 1 {
        return Err(DecodeError::Truncated);
    }
    if pad != 0 && (rem == 0 || (data.len() + pad) % 4 != 0) {
        return Err(DecodeError::BadPadding);
    }
    Ok(b64_bytes(data.len()))
}

/// PHC's B64: standard alphabet, no padding, data length not 1 modulo 4, unused trailing bits
/// zero. Returns the decoded length.
pub fn phc_b64_len(s: &[u8]) -> Result<usize, DecodeError> {
    for (at, &b) in s.iter().enumerate() {
        match b {
            b'=' => return Err(DecodeError::Padded),
            b'-' | b'_' => return Err(DecodeError::InvalidChar { at }),
            _ if B64[b as usize] == INVALID => return Err(DecodeError::InvalidChar { at }),
            _ => {}
        }
    }
    let unused_mask = match s.len() % 4 {
        1 => return Err(DecodeError::Truncated),
        2 => 0x0F,
        3 => 0x03,
        _ => 0,
    };
    if let Some(&last) = s.last()
        && B64[last as usize] & unused_mask != 0
    {
        return Err(DecodeError::NonCanonical);
    }
    Ok(b64_bytes(s.len()))
}

/// Bytes encoded by `n` base64 data characters (`n % 4 != 1`).
const fn b64_bytes(n: usize) -> usize {
    n / 4 * 3 + (n % 4) * 3 / 4
}

/// Decodes `s` (valid by [`decoded_len`]'s rules, or by [`phc_b64_len`]'s, which are stricter)
/// and appends the bytes to `out`.
pub fn decode_into(s: &str, enc: Binary, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let n = decoded_len(s, enc)?;
    out.reserve(n);
    match enc {
        Binary::Hex => {
            for pair in s.as_bytes().chunks_exact(2) {
                out.push(hex_val(pair[0]) << 4 | hex_val(pair[1]));
            }
        }
        Binary::Base64 => {
            let (mut acc, mut bits) = (0u32, 0u32);
            for &b in s.as_bytes() {
                let v = B64[b as usize];
                if v == PAD {
                    break;
                }
                acc = (acc << 6) | u32::from(v);
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push((acc >> bits) as u8);
                    acc &= (1 << bits) - 1;
                }
            }
        }
    }
    Ok(())
}

const fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;
    use DecodeError::*;

    #[test]
    fn hex_table() {
        let cases: &[(&str, Result<usize, DecodeError>)] = &[
            ("", Ok(0)),
            ("00", Ok(1)),
            ("abcdef0123456789", Ok(8)),
            ("ABCDEF", Ok(3)),
            ("aBcD", Ok(2)),
            ("abc", Err(OddLength)),
            ("abzz", Err(InvalidChar { at: 2 })),
            ("ab cd", Err(InvalidChar { at: 2 })),
            ("abcd\n", Err(InvalidChar { at: 4 })),
            ("0x00", Err(InvalidChar { at: 1 })),
            ("é0", Err(InvalidChar { at: 0 })),
        ];
        for (s, want) in cases {
            assert_eq!(decoded_len(s, Binary::Hex), *want, "{s:?}");
        }
    }

    #[test]
    fn base64_table() {
        let cases: &[(&str, Result<usize, DecodeError>)] = &[
            ("", Ok(0)),
            ("aGVsbG8=", Ok(5)),
            ("aGVsbG8", Ok(5)),
            ("aGVsbA==", Ok(4)),
            ("aGVsbA", Ok(4)),
            ("aGVs", Ok(3)),
            ("+/+/", Ok(3)),
            ("-_-_", Ok(3)),
            ("-_8=", Ok(2)),
            // Non-canonical trailing bits are accepted (Node does).
            ("aGVsbB==", Ok(4)),
            ("aGVsbG9", Ok(5)),
            ("+_AA", Err(MixedAlphabets)),
            ("ab/-", Err(MixedAlphabets)),
            ("aGVsb", Err(Truncated)),
            ("a", Err(Truncated)),
            ("a===", Err(Truncated)),
            ("aGVsbA=", Err(BadPadding)),
            ("aGVsbA===", Err(BadPadding)),
            ("aGVsbG8==", Err(BadPadding)),
            ("aGVs=", Err(BadPadding)),
            ("aGVs====", Err(BadPadding)),
            ("=", Err(BadPadding)),
            ("====", Err(BadPadding)),
            ("aG=sbG8=", Err(BadPadding)),
            ("aGVs bG8=", Err(InvalidChar { at: 4 })),
            ("aGVsbG8=\n", Err(BadPadding)),
            ("aGVsbG8\n", Err(InvalidChar { at: 7 })),
            ("aGV.", Err(InvalidChar { at: 3 })),
            ("aGVsbG8=ab", Err(BadPadding)),
        ];
        for (s, want) in cases {
            assert_eq!(decoded_len(s, Binary::Base64), *want, "{s:?}");
        }
    }

    #[test]
    fn phc_b64_table() {
        let cases: &[(&str, Result<usize, DecodeError>)] = &[
            ("", Ok(0)),
            ("+N375B8q0Fw", Ok(8)),
            ("J6Q/82PCyaNpYKRELJyTZg", Ok(16)),
            ("AAAA", Ok(3)),
            ("AAA", Ok(2)),
            ("AA", Ok(1)),
            ("AB", Err(NonCanonical)),
            ("AAB", Err(NonCanonical)),
            ("AAE", Ok(2)),
            ("AAAAA", Err(Truncated)),
            ("AA==", Err(Padded)),
            ("A-AA", Err(InvalidChar { at: 1 })),
            ("A_AA", Err(InvalidChar { at: 1 })),
            ("A.AA", Err(InvalidChar { at: 1 })),
            ("AA$A", Err(InvalidChar { at: 2 })),
        ];
        for (s, want) in cases {
            assert_eq!(phc_b64_len(s.as_bytes()), *want, "{s:?}");
        }
    }

    #[test]
    fn decode_known_answers() {
        let cases: &[(&str, Binary, &[u8])] = &[
            ("68656c6c6f", Binary::Hex, b"hello"),
            ("68656C6C6F", Binary::Hex, b"hello"),
            ("aGVsbG8=", Binary::Base64, b"hello"),
            ("aGVsbG8", Binary::Base64, b"hello"),
            ("-_8", Binary::Base64, &[0xfb, 0xff]),
            ("+/8=", Binary::Base64, &[0xfb, 0xff]),
            ("", Binary::Base64, b""),
        ];
        for (s, enc, want) in cases {
            let mut out = Vec::new();
            decode_into(s, *enc, &mut out).unwrap();
            assert_eq!(&out[..], *want, "{s:?}");
            assert_eq!(decoded_len(s, *enc), Ok(want.len()));
        }
        let mut out = Vec::new();
        assert_eq!(decode_into("abc", Binary::Hex, &mut out), Err(OddLength));
        assert!(out.is_empty());
    }
}
