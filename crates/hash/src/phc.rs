//! PHC strings: argon2 ([`Argon2`]) and pbkdf2 ([`Pbkdf2`]) as `custom_password_hash`
//! takes them (SPEC 3.2 and section 10 "Hash strings").
//!
//! Shared grammar (ABNF-like):
//!
//! ```text
//! decimal = "0" / %x31-39 *DIGIT      ; no sign, no leading zero, fits in 32 bits
//! b64     = 1*b64char                 ; standard alphabet, unpadded, length not 1 mod 4,
//! b64char = ALPHA / DIGIT / "+" / "/" ; unused trailing bits zero (see `decode::phc_b64_len`)
//! ```

use std::fmt;

use crate::decode::{DecodeError, phc_b64_len};
use crate::{Digest, Redacted};

/// What an argon2 `hash.value` must look like (the `PATTERN` message).
pub const ARGON2_PATTERN: &str = r"^\$argon2(i|id)\$v=19\$m=[1-9][0-9]*,t=[1-9][0-9]*,p=[1-9][0-9]*\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$ (at most 127 characters)";

/// What a pbkdf2 `hash.value` must look like (the `PATTERN` message).
pub const PBKDF2_PATTERN: &str = concat!(
    r"^\$pbkdf2-(RSA-MD4|RSA-MD5|RSA-MDC2|RSA-RIPEMD160|RSA-SHA1|RSA-SHA1-2|RSA-SHA224|",
    r"RSA-SHA256|RSA-SHA384|RSA-SHA512|md4|md4WithRSAEncryption|md5|md5WithRSAEncryption|",
    r"mdc2|mdc2WithRSA|ripemd|ripemd160|ripemd160WithRSA|rmd160|sha1|sha1WithRSAEncryption|",
    r"sha224|sha224WithRSAEncryption|sha256|sha256WithRSAEncryption|sha384|",
    r"sha384WithRSAEncryption|sha512|sha512WithRSAEncryption|ssl3-md5|ssl3-sha1|whirlpool)",
    r"(\$[il]=[1-9][0-9]*(,[il]=[1-9][0-9]*)?)?\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$"
);

/// libsodium's limits, which Auth0 verifies argon2 with: the longest string, in characters.
pub const ARGON2_MAX_CHARS: usize = 127;
/// libsodium's shortest argon2 salt, in bytes.
pub const ARGON2_MIN_SALT: usize = 8;
/// libsodium's shortest argon2 tag, in bytes.
pub const ARGON2_MIN_TAG: usize = 16;
/// argon2's largest `p` (lanes).
pub const ARGON2_MAX_LANES: u32 = 0x00FF_FFFF;

/// pbkdf2's `i` when the string omits it (SPEC 3.2).
pub const PBKDF2_DEFAULT_ITERATIONS: u32 = 100_000;
/// pbkdf2's `l` when the string omits it (SPEC 3.2).
pub const PBKDF2_DEFAULT_KEY_LEN: u32 = 64;

/// A named parameter of a PHC string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `v`
    Version,
    /// argon2 `m` (memory, KiB)
    M,
    /// argon2 `t` (passes)
    T,
    /// argon2 `p` (lanes)
    P,
    /// pbkdf2 `i` (iterations)
    I,
    /// pbkdf2 `l` (derived key length)
    L,
}

impl Param {
    /// The parameter's name in the string (`v`, `m`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Param::Version => "v",
            Param::M => "m",
            Param::T => "t",
            Param::P => "p",
            Param::I => "i",
            Param::L => "l",
        }
    }
}

/// What is wrong with a PHC string. Each variant names one malformed part; none carries any
/// character of the string (salt and hash are secrets).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhcError {
    /// The string does not start with `$`.
    NoLeadingDollar,
    /// The function identifier is not one this algorithm accepts (`argon2d`, `scrypt`, ...).
    UnsupportedId,
    /// pbkdf2 with a digest that is not on SPEC's list (`sha3-256`, `SHA256`).
    UnsupportedDigest,
    /// argon2 without the `v=` segment.
    MissingVersion,
    /// A version other than 19.
    UnsupportedVersion,
    /// The parameter segment is missing (argon2).
    MissingParams,
    /// A parameter that is not `name=value`.
    MalformedParam,
    /// A parameter this algorithm does not take, or (argon2) not in `m,t,p` order.
    UnexpectedParam,
    /// A required parameter is absent.
    MissingParam(Param),
    /// A parameter given twice (pbkdf2).
    DuplicateParam(Param),
    /// A parameter value that is empty or not all digits.
    InvalidNumber(Param),
    /// A parameter value with a leading zero.
    LeadingZero(Param),
    /// A parameter value beyond 32 bits.
    NumberTooLarge(Param),
    /// A parameter value outside what the algorithm accepts (argon2 `t`, `p` < 1, `m` < 8p;
    /// pbkdf2 `i`, `l` < 1).
    OutOfRange(Param),
    /// No salt segment (or an empty one).
    MissingSalt,
    /// The salt is not PHC B64.
    InvalidSalt(DecodeError),
    /// The salt decodes to fewer bytes than the minimum.
    SaltTooShort {
        /// Its decoded length.
        len: usize,
    },
    /// No hash segment (or an empty one).
    MissingHash,
    /// The hash is not PHC B64.
    InvalidHash(DecodeError),
    /// The hash decodes to fewer bytes than the minimum.
    HashTooShort {
        /// Its decoded length.
        len: usize,
    },
    /// A `$` segment after the hash.
    TrailingField,
    /// Longer than the algorithm allows (argon2: 127 characters).
    TooLong {
        /// The string's length.
        len: usize,
    },
}

impl fmt::Display for PhcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PhcError::*;
        match self {
            NoLeadingDollar => f.write_str("does not start with `$`"),
            UnsupportedId => f.write_str("unsupported algorithm identifier"),
            UnsupportedDigest => f.write_str("unsupported pbkdf2 digest"),
            MissingVersion => f.write_str("missing version `v=19`"),
            UnsupportedVersion => f.write_str("unsupported version"),
            MissingParams => f.write_str("missing parameters"),
            MalformedParam => f.write_str("parameter is not `name=value`"),
            UnexpectedParam => f.write_str("unexpected parameter"),
            MissingParam(p) => write!(f, "missing parameter `{}`", p.name()),
            DuplicateParam(p) => write!(f, "parameter `{}` given twice", p.name()),
            InvalidNumber(p) => write!(f, "parameter `{}` is not a decimal number", p.name()),
            LeadingZero(p) => write!(f, "parameter `{}` has a leading zero", p.name()),
            NumberTooLarge(p) => write!(f, "parameter `{}` does not fit in 32 bits", p.name()),
            OutOfRange(p) => write!(f, "parameter `{}` is out of range", p.name()),
            MissingSalt => f.write_str("missing salt"),
            InvalidSalt(e) => write!(f, "salt is not unpadded base64: {e}"),
            SaltTooShort { len } => write!(f, "salt is {len} bytes, too short"),
            MissingHash => f.write_str("missing hash"),
            InvalidHash(e) => write!(f, "hash is not unpadded base64: {e}"),
            HashTooShort { len } => write!(f, "hash is {len} bytes, too short"),
            TrailingField => f.write_str("unexpected field after the hash"),
            TooLong { len } => write!(f, "{len} characters, too long"),
        }
    }
}

impl std::error::Error for PhcError {}

/// The argon2 variants Auth0 accepts (libsodium verifies only these two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Argon2Variant {
    /// `argon2i`.
    I,
    /// `argon2id`.
    Id,
}

impl Argon2Variant {
    /// The PHC identifier: `argon2i` or `argon2id`.
    pub const fn ident(self) -> &'static str {
        match self {
            Argon2Variant::I => "argon2i",
            Argon2Variant::Id => "argon2id",
        }
    }
}

/// An argon2 PHC string, as libsodium's `crypto_pwhash_str_verify` takes it.
///
/// ```text
/// argon2  = "$" ("argon2i" / "argon2id") "$v=19"
///           "$m=" decimal ",t=" decimal ",p=" decimal
///           "$" b64 "$" b64
/// ```
///
/// Also: at most 127 characters; `t` >= 1; 1 <= `p` <= 2^24-1; `m` >= 8 * `p`; the salt decodes
/// to at least 8 bytes and the hash (tag) to at least 16.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Argon2<'a> {
    /// `argon2i` or `argon2id`.
    pub variant: Argon2Variant,
    /// `v`: always 19 (0x13).
    pub version: u32,
    /// `m`: memory in KiB.
    pub m_cost: u32,
    /// `t`: passes over the memory.
    pub t_cost: u32,
    /// `p`: lanes.
    pub p_cost: u32,
    /// The salt as written (B64).
    pub salt: &'a str,
    /// The tag as written (B64).
    pub hash: &'a str,
    /// The salt's decoded length.
    pub salt_len: usize,
    /// The tag's decoded length.
    pub hash_len: usize,
}

impl<'a> Argon2<'a> {
    /// Parses an argon2 PHC string by the grammar above.
    pub fn parse(s: &'a str) -> Result<Self, PhcError> {
        let mut fields = fields(s)?;
        let variant = match fields.next() {
            Some("argon2i") => Argon2Variant::I,
            Some("argon2id") => Argon2Variant::Id,
            _ => return Err(PhcError::UnsupportedId),
        };
        let version = match fields.next().and_then(|f| f.strip_prefix("v=")) {
            Some(v) => decimal(v, Param::Version)?,
            None => return Err(PhcError::MissingVersion),
        };
        if version != 19 {
            return Err(PhcError::UnsupportedVersion);
        }
        let params = match fields.next() {
            Some(p) if p.contains('=') => p,
            _ => return Err(PhcError::MissingParams),
        };
        let mut values = [0u32; 3];
        let mut pieces = params.split(',');
        for (slot, param) in values.iter_mut().zip([Param::M, Param::T, Param::P]) {
            let piece = pieces.next().ok_or(PhcError::MissingParam(param))?;
            let (name, value) = piece.split_once('=').ok_or(PhcError::MalformedParam)?;
            if name != param.name() {
                return Err(PhcError::UnexpectedParam);
            }
            *slot = decimal(value, param)?;
        }
        if pieces.next().is_some() {
            return Err(PhcError::UnexpectedParam);
        }
        let [m_cost, t_cost, p_cost] = values;
        if t_cost < 1 {
            return Err(PhcError::OutOfRange(Param::T));
        }
        if !(1..=ARGON2_MAX_LANES).contains(&p_cost) {
            return Err(PhcError::OutOfRange(Param::P));
        }
        if u64::from(m_cost) < 8 * u64::from(p_cost) {
            return Err(PhcError::OutOfRange(Param::M));
        }
        let (salt, salt_len, hash, hash_len) = salt_and_hash(&mut fields)?;
        if salt_len < ARGON2_MIN_SALT {
            return Err(PhcError::SaltTooShort { len: salt_len });
        }
        if hash_len < ARGON2_MIN_TAG {
            return Err(PhcError::HashTooShort { len: hash_len });
        }
        if s.len() > ARGON2_MAX_CHARS {
            return Err(PhcError::TooLong { len: s.len() });
        }
        Ok(Argon2 {
            variant,
            version,
            m_cost,
            t_cost,
            p_cost,
            salt,
            hash,
            salt_len,
            hash_len,
        })
    }
}

impl fmt::Display for Argon2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "${}$v={}$m={},t={},p={}${}${}",
            self.variant.ident(),
            self.version,
            self.m_cost,
            self.t_cost,
            self.p_cost,
            self.salt,
            self.hash
        )
    }
}

/// A pbkdf2 PHC string (Auth0's form).
///
/// ```text
/// pbkdf2 = "$pbkdf2-" digest [ "$" param [ "," param ] ] "$" b64 "$" b64
/// param  = ("i=" / "l=") decimal       ; each at most once, either order, value >= 1
/// digest = "RSA-MD4" / ... / "whirlpool" ; SPEC 3.2's list, case as written
/// ```
///
/// `i` defaults to 100000 and `l` to 64. That the hash decodes to `l` bytes is not part of
/// the format (a mismatch is a warning, SPEC section 10).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Pbkdf2<'a> {
    /// The digest name as written (`RSA-SHA256`).
    pub digest_name: &'a str,
    /// What it is an alias of.
    pub digest: Digest,
    /// The parameter segment as written, if any.
    pub params: Option<&'a str>,
    /// `i`, or 100000 when absent.
    pub iterations: u32,
    /// `l` (the derived key's length in bytes), or 64 when absent.
    pub key_len: u32,
    /// The salt as written (B64).
    pub salt: &'a str,
    /// The derived key as written (B64).
    pub hash: &'a str,
    /// The salt's decoded length.
    pub salt_len: usize,
    /// The derived key's decoded length (a mismatch with `key_len` is allowed).
    pub hash_len: usize,
}

impl<'a> Pbkdf2<'a> {
    /// Parses a pbkdf2 PHC string by the grammar above.
    pub fn parse(s: &'a str) -> Result<Self, PhcError> {
        let mut fields = fields(s)?;
        let digest_name = fields
            .next()
            .and_then(|id| id.strip_prefix("pbkdf2-"))
            .ok_or(PhcError::UnsupportedId)?;
        let digest = Digest::from_pbkdf2_name(digest_name).ok_or(PhcError::UnsupportedDigest)?;
        // Salt and hash never contain `=`, so a segment that does is the parameters.
        let rest: [Option<&str>; 4] = [fields.next(), fields.next(), fields.next(), fields.next()];
        let (params, mut tail) = match rest {
            [Some(p), ..] if p.contains('=') => (Some(p), 1),
            [Some(""), Some(_), Some(_), ..] => return Err(PhcError::MalformedParam),
            _ => (None, 0),
        };
        let (mut iterations, mut key_len) = (None, None);
        if let Some(p) = params {
            for piece in p.split(',') {
                let (name, value) = piece.split_once('=').ok_or(PhcError::MalformedParam)?;
                let (param, slot) = match name {
                    "i" => (Param::I, &mut iterations),
                    "l" => (Param::L, &mut key_len),
                    _ => return Err(PhcError::UnexpectedParam),
                };
                if slot.is_some() {
                    return Err(PhcError::DuplicateParam(param));
                }
                let n = decimal(value, param)?;
                if n < 1 {
                    return Err(PhcError::OutOfRange(param));
                }
                *slot = Some(n);
            }
        }
        let salt = rest[tail]
            .filter(|s| !s.is_empty())
            .ok_or(PhcError::MissingSalt)?;
        let salt_len = phc_b64_len(salt.as_bytes()).map_err(PhcError::InvalidSalt)?;
        tail += 1;
        let hash = rest
            .get(tail)
            .copied()
            .flatten()
            .filter(|s| !s.is_empty())
            .ok_or(PhcError::MissingHash)?;
        let hash_len = phc_b64_len(hash.as_bytes()).map_err(PhcError::InvalidHash)?;
        tail += 1;
        if rest.get(tail).copied().flatten().is_some() || fields.next().is_some() {
            return Err(PhcError::TrailingField);
        }
        Ok(Pbkdf2 {
            digest_name,
            digest,
            params,
            iterations: iterations.unwrap_or(PBKDF2_DEFAULT_ITERATIONS),
            key_len: key_len.unwrap_or(PBKDF2_DEFAULT_KEY_LEN),
            salt,
            hash,
            salt_len,
            hash_len,
        })
    }
}

impl fmt::Display for Pbkdf2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$pbkdf2-{}", self.digest_name)?;
        if let Some(p) = self.params {
            write!(f, "${p}")?;
        }
        write!(f, "${}${}", self.salt, self.hash)
    }
}

impl fmt::Debug for Argon2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2")
            .field("variant", &self.variant)
            .field("version", &self.version)
            .field("m_cost", &self.m_cost)
            .field("t_cost", &self.t_cost)
            .field("p_cost", &self.p_cost)
            .field("salt", &Redacted(self.salt))
            .field("hash", &Redacted(self.hash))
            .field("salt_len", &self.salt_len)
            .field("hash_len", &self.hash_len)
            .finish()
    }
}

impl fmt::Debug for Pbkdf2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pbkdf2")
            .field("digest_name", &self.digest_name)
            .field("digest", &self.digest)
            .field("params", &self.params)
            .field("iterations", &self.iterations)
            .field("key_len", &self.key_len)
            .field("salt", &Redacted(self.salt))
            .field("hash", &Redacted(self.hash))
            .field("salt_len", &self.salt_len)
            .field("hash_len", &self.hash_len)
            .finish()
    }
}

/// The `$`-separated fields after the leading `$`.
fn fields(s: &str) -> Result<std::str::Split<'_, char>, PhcError> {
    s.strip_prefix('$')
        .map(|r| r.split('$'))
        .ok_or(PhcError::NoLeadingDollar)
}

/// The salt and hash fields, then nothing.
fn salt_and_hash<'a>(
    fields: &mut std::str::Split<'a, char>,
) -> Result<(&'a str, usize, &'a str, usize), PhcError> {
    let salt = fields
        .next()
        .filter(|s| !s.is_empty())
        .ok_or(PhcError::MissingSalt)?;
    let salt_len = phc_b64_len(salt.as_bytes()).map_err(PhcError::InvalidSalt)?;
    let hash = fields
        .next()
        .filter(|s| !s.is_empty())
        .ok_or(PhcError::MissingHash)?;
    let hash_len = phc_b64_len(hash.as_bytes()).map_err(PhcError::InvalidHash)?;
    if fields.next().is_some() {
        return Err(PhcError::TrailingField);
    }
    Ok((salt, salt_len, hash, hash_len))
}

/// PHC decimal: digits only, no leading zero, fits in `u32`.
fn decimal(s: &str, param: Param) -> Result<u32, PhcError> {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return Err(PhcError::InvalidNumber(param));
    }
    if b.len() > 1 && b[0] == b'0' {
        return Err(PhcError::LeadingZero(param));
    }
    s.parse().map_err(|_| PhcError::NumberTooLarge(param))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;
    use PhcError::*;

    const SALT16: &str = "J6Q/82PCyaNpYKRELJyTZg"; // 16 bytes
    const TAG32: &str = "m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos"; // 32 bytes
    const SPEC_ARGON2: &str = "$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos";

    fn b64(n: usize) -> String {
        // `n` zero bytes, canonical unpadded B64.
        "A".repeat((n * 4).div_ceil(3))
    }

    fn argon(id: &str, params: &str, salt: &str, tag: &str) -> String {
        format!("${id}$v=19${params}${salt}${tag}")
    }

    #[test]
    fn argon2_parses_the_parts() {
        let a = Argon2::parse(SPEC_ARGON2).unwrap();
        assert_eq!(a.variant, Argon2Variant::Id);
        assert_eq!((a.version, a.m_cost, a.t_cost, a.p_cost), (19, 65536, 2, 1));
        assert_eq!((a.salt, a.salt_len), (SALT16, 16));
        assert_eq!((a.hash, a.hash_len), (TAG32, 32));
        assert_eq!(a.to_string(), SPEC_ARGON2);
    }

    #[test]
    fn argon2_boundaries() {
        let p = "m=8,t=1,p=1";
        // salt 7/8 bytes, tag 15/16 bytes.
        assert_eq!(
            Argon2::parse(&argon("argon2i", p, &b64(7), &b64(16))),
            Err(SaltTooShort { len: 7 })
        );
        assert!(Argon2::parse(&argon("argon2i", p, &b64(8), &b64(16))).is_ok());
        assert_eq!(
            Argon2::parse(&argon("argon2i", p, &b64(8), &b64(15))),
            Err(HashTooShort { len: 15 })
        );
        // 127 / 128 characters.
        let sized = |salt_chars: usize, tag_chars: usize| {
            argon(
                "argon2id",
                p,
                &"A".repeat(salt_chars),
                &"A".repeat(tag_chars),
            )
        };
        let s127 = sized(11, 88);
        assert_eq!(s127.len(), 127);
        assert!(Argon2::parse(&s127).is_ok(), "{s127}");
        let s128 = sized(12, 88);
        assert_eq!(s128.len(), 128);
        assert_eq!(Argon2::parse(&s128), Err(TooLong { len: 128 }));
        // m >= 8p, p within 24 bits, t >= 1.
        let ok =
            |params: &str| Argon2::parse(&argon("argon2id", params, SALT16, TAG32)).map(|_| ());
        assert!(ok("m=16,t=1,p=2").is_ok());
        assert_eq!(ok("m=15,t=1,p=2"), Err(OutOfRange(Param::M)));
        assert_eq!(ok("m=7,t=1,p=1"), Err(OutOfRange(Param::M)));
        assert_eq!(ok("m=8,t=0,p=1"), Err(OutOfRange(Param::T)));
        assert_eq!(ok("m=8,t=1,p=0"), Err(OutOfRange(Param::P)));
        assert!(ok("m=4294967295,t=4294967295,p=16777215").is_ok());
        assert_eq!(ok("m=4294967295,t=1,p=16777216"), Err(OutOfRange(Param::P)));
        assert_eq!(ok("m=4294967296,t=1,p=1"), Err(NumberTooLarge(Param::M)));
    }

    #[test]
    fn argon2_bad_strings() {
        let (s, t) = (SALT16, TAG32);
        let p = "m=65536,t=2,p=1";
        let cases: Vec<(String, PhcError)> = vec![
            (String::new(), NoLeadingDollar),
            (SPEC_ARGON2[1..].to_owned(), NoLeadingDollar),
            (argon("argon2d", p, s, t), UnsupportedId),
            (argon("argon2", p, s, t), UnsupportedId),
            (argon("Argon2id", p, s, t), UnsupportedId),
            (argon("argon2ds", p, s, t), UnsupportedId),
            ("$".to_owned(), UnsupportedId),
            (format!("$argon2id${p}${s}${t}"), MissingVersion),
            ("$argon2id".to_owned(), MissingVersion),
            (format!("$argon2id$v=16${p}${s}${t}"), UnsupportedVersion),
            (format!("$argon2id$v=20${p}${s}${t}"), UnsupportedVersion),
            (
                format!("$argon2id$v=019${p}${s}${t}"),
                LeadingZero(Param::Version),
            ),
            (
                format!("$argon2id$v=${p}${s}${t}"),
                InvalidNumber(Param::Version),
            ),
            (format!("$argon2id$v=19${s}${t}"), MissingParams),
            ("$argon2id$v=19".to_owned(), MissingParams),
            (
                argon("argon2id", "m=65536,t=2", s, t),
                MissingParam(Param::P),
            ),
            (argon("argon2id", "m=65536", s, t), MissingParam(Param::T)),
            (argon("argon2id", "t=2,m=65536,p=1", s, t), UnexpectedParam),
            (
                argon("argon2id", "m=65536,t=2,p=1,k=1", s, t),
                UnexpectedParam,
            ),
            (
                argon("argon2id", "m=65536,t=2,p=1,data=abc", s, t),
                UnexpectedParam,
            ),
            (argon("argon2id", "M=65536,t=2,p=1", s, t), UnexpectedParam),
            (argon("argon2id", "m=65536,t,p=1", s, t), MalformedParam),
            (
                argon("argon2id", "m=65536,t=2,p=", s, t),
                InvalidNumber(Param::P),
            ),
            (
                argon("argon2id", "m=65536,t=+2,p=1", s, t),
                InvalidNumber(Param::T),
            ),
            (
                argon("argon2id", "m=-1,t=2,p=1", s, t),
                InvalidNumber(Param::M),
            ),
            (
                argon("argon2id", "m=64k,t=2,p=1", s, t),
                InvalidNumber(Param::M),
            ),
            (
                argon("argon2id", "m=065536,t=2,p=1", s, t),
                LeadingZero(Param::M),
            ),
            (argon("argon2id", p, "", t), MissingSalt),
            (format!("$argon2id$v=19${p}"), MissingSalt),
            (format!("$argon2id$v=19${p}${s}"), MissingHash),
            (argon("argon2id", p, s, ""), MissingHash),
            (
                argon("argon2id", p, "J6Q/82PCyaNpYKRELJyTZg==", t),
                InvalidSalt(DecodeError::Padded),
            ),
            (
                argon("argon2id", p, "J6Q_82PCyaNpYKRELJyTZg", t),
                InvalidSalt(DecodeError::InvalidChar { at: 3 }),
            ),
            (
                argon("argon2id", p, "J6Q/82PCyaNpYKRELJyTZh", t),
                InvalidSalt(DecodeError::NonCanonical),
            ),
            (
                argon("argon2id", p, "J6Q/82PCyaNpYKRELJyTZgAAA", t),
                InvalidSalt(DecodeError::Truncated),
            ),
            (
                argon(
                    "argon2id",
                    p,
                    s,
                    "m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos=",
                ),
                InvalidHash(DecodeError::Padded),
            ),
            (
                argon(
                    "argon2id",
                    p,
                    s,
                    "m04qUAB8rexWDR4-/0f+SFB+4XMFxt7YAvAq2UycYos",
                ),
                InvalidHash(DecodeError::InvalidChar { at: 15 }),
            ),
            (format!("{SPEC_ARGON2}$"), TrailingField),
            (format!("{SPEC_ARGON2}$extra"), TrailingField),
            (
                format!("{SPEC_ARGON2}\n"),
                InvalidHash(DecodeError::InvalidChar { at: 43 }),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(Argon2::parse(&s), Err(want), "{s:?}");
        }
    }

    const SPEC_PBKDF2: &str = "$pbkdf2-md4$i=100000,l=64$+N375B8q0Fw$fp2R9KAM4hI/votGHC5Fu+jhqbxUD8+Nic/EMSGvNC3UP/k7wSHI0uXluHRSkZfl/BOheYqNOemayG90ZaSSQw";

    #[test]
    fn pbkdf2_parses_the_parts() {
        let p = Pbkdf2::parse(SPEC_PBKDF2).unwrap();
        assert_eq!((p.digest_name, p.digest), ("md4", Digest::Md4));
        assert_eq!(p.params, Some("i=100000,l=64"));
        assert_eq!((p.iterations, p.key_len), (100_000, 64));
        assert_eq!((p.salt, p.salt_len), ("+N375B8q0Fw", 8));
        assert_eq!(p.hash_len, 64);
        assert_eq!(p.to_string(), SPEC_PBKDF2);
    }

    #[test]
    fn pbkdf2_params_are_optional_and_default() {
        let (s, h) = ("+N375B8q0Fw", "fp2R9KAM4hI");
        for (params, i, l) in [
            ("", 100_000, 64),
            ("$i=1", 1, 64),
            ("$l=1", 100_000, 1),
            ("$i=7,l=9", 7, 9),
            ("$l=9,i=7", 7, 9),
            ("$i=4294967295", u32::MAX, 64),
        ] {
            let text = format!("$pbkdf2-sha256{params}${s}${h}");
            let p = Pbkdf2::parse(&text).unwrap();
            assert_eq!((p.iterations, p.key_len), (i, l), "{text}");
            assert_eq!(p.to_string(), text);
        }
    }

    #[test]
    fn pbkdf2_every_listed_digest_name() {
        for name in Digest::PBKDF2_NAMES.iter().map(|(n, _)| n) {
            let text = format!("$pbkdf2-{name}$i=1$AAAA$AAAA");
            assert!(Pbkdf2::parse(&text).is_ok(), "{text}");
            assert!(
                PBKDF2_PATTERN.contains(&format!("|{name}|"))
                    || PBKDF2_PATTERN.contains(&format!("({name}|"))
                    || PBKDF2_PATTERN.contains(&format!("|{name})"))
            );
        }
        let mdc2 = Pbkdf2::parse("$pbkdf2-RSA-MDC2$AAAA$AAAA").unwrap();
        assert_eq!(mdc2.digest, Digest::Mdc2);
    }

    #[test]
    fn pbkdf2_bad_strings() {
        let (s, h) = ("+N375B8q0Fw", "fp2R9KAM4hI");
        let pb = |id: &str, params: &str| format!("${id}{params}${s}${h}");
        let cases: Vec<(String, PhcError)> = vec![
            (String::new(), NoLeadingDollar),
            (SPEC_PBKDF2[1..].to_owned(), NoLeadingDollar),
            (pb("pbkdf2", "$i=1"), UnsupportedId),
            (pb("pbkdf2_sha256", "$i=1"), UnsupportedId),
            (pb("PBKDF2-sha256", "$i=1"), UnsupportedId),
            (pb("pbkdf2-sha3-256", "$i=1"), UnsupportedDigest),
            (pb("pbkdf2-SHA256", "$i=1"), UnsupportedDigest),
            (pb("pbkdf2-rsa-sha256", "$i=1"), UnsupportedDigest),
            (pb("pbkdf2-", "$i=1"), UnsupportedDigest),
            (pb("pbkdf2-sha256", "$i=0"), OutOfRange(Param::I)),
            (pb("pbkdf2-sha256", "$l=0"), OutOfRange(Param::L)),
            (pb("pbkdf2-sha256", "$i=01"), LeadingZero(Param::I)),
            (pb("pbkdf2-sha256", "$i=1e5"), InvalidNumber(Param::I)),
            (pb("pbkdf2-sha256", "$i="), InvalidNumber(Param::I)),
            (
                pb("pbkdf2-sha256", "$i=4294967296"),
                NumberTooLarge(Param::I),
            ),
            (pb("pbkdf2-sha256", "$i=1,i=2"), DuplicateParam(Param::I)),
            (pb("pbkdf2-sha256", "$l=1,l=2"), DuplicateParam(Param::L)),
            (pb("pbkdf2-sha256", "$i=1,l=2,x=3"), UnexpectedParam),
            (pb("pbkdf2-sha256", "$c=1"), UnexpectedParam),
            (pb("pbkdf2-sha256", "$I=1"), UnexpectedParam),
            (pb("pbkdf2-sha256", "$i=1,"), MalformedParam),
            (pb("pbkdf2-sha256", "$i=1;l=2"), InvalidNumber(Param::I)),
            (pb("pbkdf2-sha256", "$"), MalformedParam),
            ("$pbkdf2-sha256".to_owned(), MissingSalt),
            ("$pbkdf2-sha256$i=1".to_owned(), MissingSalt),
            (format!("$pbkdf2-sha256$i=1$${h}"), MissingSalt),
            (format!("$pbkdf2-sha256$i=1${s}"), MissingHash),
            (format!("$pbkdf2-sha256${s}"), MissingHash),
            (format!("$pbkdf2-sha256$i=1${s}$"), MissingHash),
            (
                format!("$pbkdf2-sha256$i=1${s}=${h}"),
                InvalidSalt(DecodeError::Padded),
            ),
            (
                "$pbkdf2-sha256$i=1$+N375B8q0Fw$fp2R9KAM4hI=".to_owned(),
                InvalidHash(DecodeError::Padded),
            ),
            (
                format!("$pbkdf2-sha256$i=1$-N375B8q0Fw${h}"),
                InvalidSalt(DecodeError::InvalidChar { at: 0 }),
            ),
            (
                format!("$pbkdf2-sha256$i=1$+N375B8q0Fx${h}"),
                InvalidSalt(DecodeError::NonCanonical),
            ),
            (
                format!("$pbkdf2-sha256$i=1${s}$fp2R9"),
                InvalidHash(DecodeError::Truncated),
            ),
            (format!("$pbkdf2-sha256$i=1${s}${h}$x"), TrailingField),
            (format!("$pbkdf2-sha256${s}${h}$x"), TrailingField),
            (format!("$pbkdf2-sha256$i=1${s}${h}$x$y"), TrailingField),
        ];
        for (text, want) in cases {
            assert_eq!(Pbkdf2::parse(&text), Err(want), "{text:?}");
        }
    }
}
