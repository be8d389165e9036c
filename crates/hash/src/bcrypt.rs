//! bcrypt's modular crypt strings: the `custom_password_hash` form ([`Bcrypt`]) and Auth0's
//! live rule for the top-level `password_hash` ([`LiveBcrypt`]).
//!
//! ```
//! use user_import_hash::bcrypt::{Bcrypt, BcryptError, LiveBcrypt, Variant};
//!
//! let s = "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";
//! let b = Bcrypt::parse(s)?;
//! assert_eq!((b.variant, b.cost, b.salt.len(), b.hash.len()), (Variant::B, 10, 22, 31));
//! assert_eq!(b.to_string(), s);
//! // `$2y$` is a custom bcrypt string, but Auth0's live rule for `password_hash` refuses it.
//! let y = s.replacen("$2b$", "$2y$", 1);
//! assert!(Bcrypt::parse(&y).is_ok());
//! assert_eq!(LiveBcrypt::parse(&y), Err(BcryptError::UnsupportedVariant));
//! # Ok::<(), BcryptError>(())
//! ```

use std::fmt;

use crate::Redacted;

/// What a `custom_password_hash` bcrypt string must look like (the `PATTERN` message).
pub const PATTERN: &str = r"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$";

/// Auth0's live rule for `password_hash`, exactly (SPEC 3.1).
pub const LIVE_PATTERN: &str = r"^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$";

/// Length of the salt, in bcrypt base64 characters (16 bytes).
pub const SALT_CHARS: usize = 22;
/// Length of the checksum, in bcrypt base64 characters (23 bytes).
pub const HASH_CHARS: usize = 31;

/// The bcrypt variant letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// `$2$`: the original; only the live rule accepts it.
    Two,
    /// `$2a$`.
    A,
    /// `$2b$`.
    B,
    /// `$2y$` (PHP's name for `$2b$`); only custom hashes take it.
    Y,
}

impl Variant {
    /// The identifier between the first two `$`: `2`, `2a`, `2b`, `2y`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Variant::Two => "2",
            Variant::A => "2a",
            Variant::B => "2b",
            Variant::Y => "2y",
        }
    }
}

/// A bcrypt string as `custom_password_hash.hash.value` takes it.
///
/// ```text
/// bcrypt   = "$" variant "$" cost "$" salt hash
/// variant  = "2a" / "2b" / "2y"
/// cost     = 2DIGIT                 ; 04 to 31
/// salt     = 22bcrypt64
/// hash     = 31bcrypt64
/// bcrypt64 = "." / "/" / ALPHA / DIGIT
/// ```
///
/// The last character of the salt and of the hash carries unused bits; like every bcrypt
/// implementation we know, we do not require them to be zero.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bcrypt<'a> {
    /// `A`, `B` or `Y`.
    pub variant: Variant,
    /// 4 to 31: bcrypt runs 2^cost rounds.
    pub cost: u32,
    /// The 22-character salt.
    pub salt: &'a str,
    /// The 31-character checksum.
    pub hash: &'a str,
}

/// What is wrong with a bcrypt string. Each variant names one malformed part.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BcryptError {
    /// The string does not start with `$`.
    NoLeadingDollar,
    /// The variant is not one this rule accepts (`$2x$`, `$2$` for custom hashes, `$3$`).
    UnsupportedVariant,
    /// A `$` separator is missing after the variant or the cost.
    Truncated,
    /// The cost is not exactly two decimal digits.
    CostNotTwoDigits,
    /// The cost is outside 4..=31 (the cost read).
    CostOutOfRange(u32),
    /// Live rule: the cost is not `1` followed by one or more `0`.
    CostNotLive,
    /// A character outside bcrypt's base64 alphabet in the salt or hash.
    InvalidChar {
        /// Its byte offset in the whole string.
        at: usize,
    },
    /// Salt and hash together are not 53 characters.
    WrongLength {
        /// How many there are.
        len: usize,
    },
}

impl fmt::Display for BcryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BcryptError::NoLeadingDollar => f.write_str("does not start with `$`"),
            BcryptError::UnsupportedVariant => f.write_str("unsupported bcrypt variant"),
            BcryptError::Truncated => f.write_str("missing `$` separator"),
            BcryptError::CostNotTwoDigits => f.write_str("cost is not two decimal digits"),
            BcryptError::CostOutOfRange(c) => write!(f, "cost {c} is outside 4 to 31"),
            BcryptError::CostNotLive => f.write_str("cost is not 1 followed by zeros"),
            BcryptError::InvalidChar { at } => write!(f, "invalid character at offset {at}"),
            BcryptError::WrongLength { len } => {
                write!(f, "salt and hash are {len} characters, expected 53")
            }
        }
    }
}

impl std::error::Error for BcryptError {}

impl<'a> Bcrypt<'a> {
    /// Parses a custom bcrypt string (`$2a$`, `$2b$`, `$2y$`, cost 4 to 31).
    pub fn parse(s: &'a str) -> Result<Self, BcryptError> {
        let (variant, cost, offset, tail) = split(s)?;
        let variant = match variant {
            "2a" => Variant::A,
            "2b" => Variant::B,
            "2y" => Variant::Y,
            _ => return Err(BcryptError::UnsupportedVariant),
        };
        let cost = match cost.as_bytes() {
            [a @ b'0'..=b'9', b @ b'0'..=b'9'] => u32::from(a - b'0') * 10 + u32::from(b - b'0'),
            _ => return Err(BcryptError::CostNotTwoDigits),
        };
        if !(4..=31).contains(&cost) {
            return Err(BcryptError::CostOutOfRange(cost));
        }
        let (salt, hash) = salt_and_hash(tail, offset)?;
        Ok(Bcrypt {
            variant,
            cost,
            salt,
            hash,
        })
    }
}

impl fmt::Display for Bcrypt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "${}${:02}${}{}",
            self.variant.as_str(),
            self.cost,
            self.salt,
            self.hash
        )
    }
}

/// A `password_hash` that matches Auth0's live rule, [`LIVE_PATTERN`]:
///
/// ```text
/// live    = "$2" ["a" / "b"] "$" "1" 1*"0" "$" 53bcrypt64
/// ```
///
/// So `$2$10$`, `$2a$100$` pass and `$2y$10$`, `$2b$12$` do not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LiveBcrypt<'a> {
    /// `Two`, `A` or `B`.
    pub variant: Variant,
    /// The cost digits as written (`10`, `100`, ...).
    pub cost: &'a str,
    /// The 22-character salt.
    pub salt: &'a str,
    /// The 31-character checksum.
    pub hash: &'a str,
}

impl<'a> LiveBcrypt<'a> {
    /// Checks `s` against the live rule.
    pub fn parse(s: &'a str) -> Result<Self, BcryptError> {
        let (variant, cost, offset, tail) = split(s)?;
        let variant = match variant {
            "2" => Variant::Two,
            "2a" => Variant::A,
            "2b" => Variant::B,
            _ => return Err(BcryptError::UnsupportedVariant),
        };
        match cost.as_bytes() {
            [b'1', zeros @ ..] if !zeros.is_empty() && zeros.iter().all(|&z| z == b'0') => {}
            _ => return Err(BcryptError::CostNotLive),
        }
        let (salt, hash) = salt_and_hash(tail, offset)?;
        Ok(LiveBcrypt {
            variant,
            cost,
            salt,
            hash,
        })
    }

    /// The cost as a number, when it fits (`1000000000` is the largest that does).
    pub fn cost_value(&self) -> Option<u32> {
        self.cost.parse().ok()
    }
}

impl fmt::Display for LiveBcrypt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "${}${}${}{}",
            self.variant.as_str(),
            self.cost,
            self.salt,
            self.hash
        )
    }
}

impl fmt::Debug for Bcrypt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bcrypt")
            .field("variant", &self.variant)
            .field("cost", &self.cost)
            .field("salt", &Redacted(self.salt))
            .field("hash", &Redacted(self.hash))
            .finish()
    }
}

impl fmt::Debug for LiveBcrypt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveBcrypt")
            .field("variant", &self.variant)
            .field("cost", &self.cost)
            .field("salt", &Redacted(self.salt))
            .field("hash", &Redacted(self.hash))
            .finish()
    }
}

/// `$<variant>$<cost>$<tail>`: the variant, the cost, the offset of the tail, the tail.
fn split(s: &str) -> Result<(&str, &str, usize, &str), BcryptError> {
    let rest = s.strip_prefix('$').ok_or(BcryptError::NoLeadingDollar)?;
    let (variant, rest) = rest.split_once('$').ok_or(BcryptError::Truncated)?;
    let (cost, tail) = rest.split_once('$').ok_or(BcryptError::Truncated)?;
    Ok((variant, cost, s.len() - tail.len(), tail))
}

fn salt_and_hash(tail: &str, offset: usize) -> Result<(&str, &str), BcryptError> {
    if let Some(i) = tail.bytes().position(|b| !is_bcrypt64(b)) {
        return Err(BcryptError::InvalidChar { at: offset + i });
    }
    if tail.len() != SALT_CHARS + HASH_CHARS {
        return Err(BcryptError::WrongLength { len: tail.len() });
    }
    Ok(tail.split_at(SALT_CHARS))
}

const fn is_bcrypt64(b: u8) -> bool {
    matches!(b, b'.' | b'/' | b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;
    use BcryptError::*;

    const TAIL: &str = "C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";

    #[test]
    fn parses_the_parts() {
        let s = format!("$2b$10${TAIL}");
        let b = Bcrypt::parse(&s).unwrap();
        assert_eq!(b.variant, Variant::B);
        assert_eq!(b.cost, 10);
        assert_eq!(b.salt, "C9hB01.YxRSTcn/ZOOo4j.");
        assert_eq!(b.hash, "TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG");
        assert_eq!(b.to_string(), s);
    }

    #[test]
    fn custom_round_trips() {
        for v in ["2a", "2b", "2y"] {
            for c in ["04", "09", "10", "12", "31"] {
                let s = format!("${v}${c}${TAIL}");
                assert_eq!(Bcrypt::parse(&s).map(|b| b.to_string()), Ok(s.clone()));
            }
        }
    }

    #[test]
    fn custom_bad_strings() {
        let t = TAIL;
        let cases: Vec<(String, BcryptError)> = vec![
            (String::new(), NoLeadingDollar),
            (format!("2b$10${t}"), NoLeadingDollar),
            (format!(" $2b$10${t}"), NoLeadingDollar),
            (format!("$2$10${t}"), UnsupportedVariant),
            (format!("$2x$10${t}"), UnsupportedVariant),
            (format!("$2B$10${t}"), UnsupportedVariant),
            (format!("$3$10${t}"), UnsupportedVariant),
            (format!("$$10${t}"), UnsupportedVariant),
            ("$2b".to_owned(), Truncated),
            ("$2b$10".to_owned(), Truncated),
            (format!("$2b$4${t}"), CostNotTwoDigits),
            (format!("$2b$004${t}"), CostNotTwoDigits),
            (format!("$2b$1a${t}"), CostNotTwoDigits),
            (format!("$2b$+9${t}"), CostNotTwoDigits),
            (format!("$2b$${t}"), CostNotTwoDigits),
            (format!("$2b$03${t}"), CostOutOfRange(3)),
            (format!("$2b$00${t}"), CostOutOfRange(0)),
            (format!("$2b$32${t}"), CostOutOfRange(32)),
            (format!("$2b$99${t}"), CostOutOfRange(99)),
            (format!("$2b$10${}", &t[1..]), WrongLength { len: 52 }),
            (format!("$2b$10${t}A"), WrongLength { len: 54 }),
            ("$2b$10$".to_owned(), WrongLength { len: 0 }),
            (format!("$2b$10${}+", &t[1..]), InvalidChar { at: 59 }),
            (format!("$2b$10$${}", &t[1..]), InvalidChar { at: 7 }),
            (format!("$2b$10${t}\n"), InvalidChar { at: 60 }),
            (format!("$2b$10${}=", &t[1..]), InvalidChar { at: 59 }),
        ];
        for (s, want) in cases {
            assert_eq!(Bcrypt::parse(&s), Err(want), "{s:?}");
        }
    }

    #[test]
    fn live_rule_accepts_exactly_its_regex() {
        let t = TAIL;
        for ok in [
            format!("$2a$10${t}"),
            format!("$2b$10${t}"),
            format!("$2$10${t}"),
            format!("$2a$100${t}"),
            format!("$2b$1000000${t}"),
        ] {
            let p = LiveBcrypt::parse(&ok).unwrap();
            assert_eq!(p.to_string(), ok);
        }
        let cases: Vec<(String, BcryptError)> = vec![
            (format!("$2y$10${t}"), UnsupportedVariant),
            (format!("$2x$10${t}"), UnsupportedVariant),
            (format!("$2ab$10${t}"), UnsupportedVariant),
            (format!("$2b$12${t}"), CostNotLive),
            (format!("$2b$1${t}"), CostNotLive),
            (format!("$2b$01${t}"), CostNotLive),
            (format!("$2b$010${t}"), CostNotLive),
            (format!("$2b$101${t}"), CostNotLive),
            (format!("$2b$04${t}"), CostNotLive),
            (format!("$2b$10${t}\n"), InvalidChar { at: 60 }),
            (format!("$2b$10${t}x"), WrongLength { len: 54 }),
            (format!("$2b$10${}", &t[..52]), WrongLength { len: 52 }),
            (format!("x$2b$10${t}"), NoLeadingDollar),
            ("$2b$10".to_owned(), Truncated),
        ];
        for (s, want) in cases {
            assert_eq!(LiveBcrypt::parse(&s), Err(want), "{s:?}");
        }
    }

    #[test]
    fn live_cost_value() {
        let s = format!("$2a$100${TAIL}");
        assert_eq!(LiveBcrypt::parse(&s).unwrap().cost_value(), Some(100));
        let s = format!("$2a$1{}${TAIL}", "0".repeat(20));
        assert_eq!(LiveBcrypt::parse(&s).unwrap().cost_value(), None);
    }
}
