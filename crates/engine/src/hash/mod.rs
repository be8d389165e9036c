//! Password hashes: the format rules of `password_hash` and `custom_password_hash`
//! (SPEC 3.1, 3.2 and section 10 "Hash strings"). Computing hashes (SPEC 3.3) is
//! [`crate::verify::compute`]'s work, on the values parsed here.
//!
//! One file per hash-string format, each parsing into a borrowed value whose doc comment holds
//! the grammar and whose error enum names the malformed part:
//!
//! - [`bcrypt`]: modular crypt `$2a$`/`$2b$`/`$2y$`, and Auth0's live `password_hash` rule;
//! - [`phc`]: argon2 and pbkdf2 PHC strings;
//! - [`ldap`]: RFC 2307 `{SCHEME}base64`;
//! - [`decode`]: hex and base64 as the hash warnings decode them;
//! - [`rules`]: the `custom_password_hash` object (types, enums, required and forbidden
//!   properties, and the warnings).
//!
//! Nothing here allocates unless it reports an error. No message ever contains `hash.value`,
//! `hash.key.value` or `salt.value`, and the `Debug` output of the parsed values redacts them.

pub mod bcrypt;
pub mod decode;
pub mod ldap;
pub mod phc;
pub mod rules;

use std::fmt;

use crate::finding::{Code, Findings};

pub use rules::{CustomPasswordHash, Format, SaltSpec, ScryptParams, Secret};

/// `password_hash` (SPEC 3.1). `value` is the string; errors at path "password_hash".
///
/// The only rule is Auth0's live one, [`bcrypt::LIVE_PATTERN`]: `PATTERN` when it does not
/// match. (`$2a$100$...` matches it, so it passes, although no bcrypt implementation accepts
/// cost 100; SPEC 3.1 asks for the live rule exactly.)
pub fn check_password_hash(value: &str, out: &mut Findings) {
    if bcrypt::LiveBcrypt::parse(value).is_err() {
        pattern_error(out, "password_hash", bcrypt::LIVE_PATTERN);
    }
}

/// `custom_password_hash` (SPEC 3.2 and 10). `v` is the property's value, already known to be
/// an object (the caller reports INVALID_TYPE for non-objects, and the NOT_PASSED rule for
/// both hashes at once). Paths start with "custom_password_hash.".
///
/// See [`rules`] for the order of the checks and which depend on which.
pub fn check_custom_password_hash(v: crate::doc::Value<'_, '_>, out: &mut Findings) {
    let _ = rules::parse_custom_password_hash(v, out);
}

#[cold]
fn pattern_error(out: &mut Findings, path: &str, pattern: &str) {
    out.error(
        Code::Pattern,
        path,
        format_args!("String does not match pattern {pattern}"),
    );
}

/// `custom_password_hash.algorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Argon2,
    Bcrypt,
    Hmac,
    Ldap,
    Md4,
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Pbkdf2,
    Scrypt,
}

/// How `hash.value` is written for an algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueForm {
    /// A self-describing string (PHC, modular crypt, RFC 2307): `hash.encoding` is `utf8`,
    /// the default.
    Text,
    /// Raw bytes in `hex` or `base64`: `hash.encoding` is required and is one of those two.
    Binary,
}

/// Whether an algorithm takes a `salt` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaltRule {
    /// `NOT_PASSED` when present.
    Forbidden,
    Optional,
    /// `OBJECT_REQUIRED` when absent (scrypt).
    Required,
}

impl Algorithm {
    /// In SPEC's order.
    pub const ALL: [Algorithm; 11] = [
        Algorithm::Argon2,
        Algorithm::Bcrypt,
        Algorithm::Hmac,
        Algorithm::Ldap,
        Algorithm::Md4,
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha512,
        Algorithm::Pbkdf2,
        Algorithm::Scrypt,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Argon2 => "argon2",
            Algorithm::Bcrypt => "bcrypt",
            Algorithm::Hmac => "hmac",
            Algorithm::Ldap => "ldap",
            Algorithm::Md4 => "md4",
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Pbkdf2 => "pbkdf2",
            Algorithm::Scrypt => "scrypt",
        }
    }

    /// Exact, case-sensitive.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The digest of the plain digest algorithms (`md4 md5 sha1 sha256 sha512`).
    pub const fn digest(self) -> Option<Digest> {
        match self {
            Algorithm::Md4 => Some(Digest::Md4),
            Algorithm::Md5 => Some(Digest::Md5),
            Algorithm::Sha1 => Some(Digest::Sha1),
            Algorithm::Sha256 => Some(Digest::Sha256),
            Algorithm::Sha512 => Some(Digest::Sha512),
            _ => None,
        }
    }

    /// The output size in bytes of the plain digest algorithms.
    pub const fn digest_size(self) -> Option<usize> {
        match self.digest() {
            Some(d) => Some(d.size()),
            None => None,
        }
    }

    pub const fn value_form(self) -> ValueForm {
        match self {
            Algorithm::Argon2 | Algorithm::Bcrypt | Algorithm::Ldap | Algorithm::Pbkdf2 => {
                ValueForm::Text
            }
            _ => ValueForm::Binary,
        }
    }

    pub const fn salt_rule(self) -> SaltRule {
        match self {
            Algorithm::Argon2 | Algorithm::Hmac | Algorithm::Ldap | Algorithm::Pbkdf2 => {
                SaltRule::Forbidden
            }
            Algorithm::Scrypt => SaltRule::Required,
            _ => SaltRule::Optional,
        }
    }
}

/// A message digest, as hmac, pbkdf2 and ldap name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Digest {
    Md4,
    Md5,
    Mdc2,
    Ripemd160,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Whirlpool,
}

impl Digest {
    /// `hash.digest` for hmac: exactly these nine lower-case names (SPEC 3.2).
    pub const HMAC_NAMES: [(&'static str, Digest); 9] = [
        ("md4", Digest::Md4),
        ("md5", Digest::Md5),
        ("ripemd160", Digest::Ripemd160),
        ("sha1", Digest::Sha1),
        ("sha224", Digest::Sha224),
        ("sha256", Digest::Sha256),
        ("sha384", Digest::Sha384),
        ("sha512", Digest::Sha512),
        ("whirlpool", Digest::Whirlpool),
    ];

    /// The pbkdf2 digest names (Node's), exactly as written, and what each is an alias of.
    pub const PBKDF2_NAMES: [(&'static str, Digest); 33] = [
        ("RSA-MD4", Digest::Md4),
        ("RSA-MD5", Digest::Md5),
        ("RSA-MDC2", Digest::Mdc2),
        ("RSA-RIPEMD160", Digest::Ripemd160),
        ("RSA-SHA1", Digest::Sha1),
        ("RSA-SHA1-2", Digest::Sha1),
        ("RSA-SHA224", Digest::Sha224),
        ("RSA-SHA256", Digest::Sha256),
        ("RSA-SHA384", Digest::Sha384),
        ("RSA-SHA512", Digest::Sha512),
        ("md4", Digest::Md4),
        ("md4WithRSAEncryption", Digest::Md4),
        ("md5", Digest::Md5),
        ("md5WithRSAEncryption", Digest::Md5),
        ("mdc2", Digest::Mdc2),
        ("mdc2WithRSA", Digest::Mdc2),
        ("ripemd", Digest::Ripemd160),
        ("ripemd160", Digest::Ripemd160),
        ("ripemd160WithRSA", Digest::Ripemd160),
        ("rmd160", Digest::Ripemd160),
        ("sha1", Digest::Sha1),
        ("sha1WithRSAEncryption", Digest::Sha1),
        ("sha224", Digest::Sha224),
        ("sha224WithRSAEncryption", Digest::Sha224),
        ("sha256", Digest::Sha256),
        ("sha256WithRSAEncryption", Digest::Sha256),
        ("sha384", Digest::Sha384),
        ("sha384WithRSAEncryption", Digest::Sha384),
        ("sha512", Digest::Sha512),
        ("sha512WithRSAEncryption", Digest::Sha512),
        ("ssl3-md5", Digest::Md5),
        ("ssl3-sha1", Digest::Sha1),
        ("whirlpool", Digest::Whirlpool),
    ];

    /// Output size in bytes.
    pub const fn size(self) -> usize {
        match self {
            Digest::Md4 | Digest::Md5 | Digest::Mdc2 => 16,
            Digest::Ripemd160 | Digest::Sha1 => 20,
            Digest::Sha224 => 28,
            Digest::Sha256 => 32,
            Digest::Sha384 => 48,
            Digest::Sha512 | Digest::Whirlpool => 64,
        }
    }

    /// Canonical lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Digest::Md4 => "md4",
            Digest::Md5 => "md5",
            Digest::Mdc2 => "mdc2",
            Digest::Ripemd160 => "ripemd160",
            Digest::Sha1 => "sha1",
            Digest::Sha224 => "sha224",
            Digest::Sha256 => "sha256",
            Digest::Sha384 => "sha384",
            Digest::Sha512 => "sha512",
            Digest::Whirlpool => "whirlpool",
        }
    }

    pub fn from_hmac_name(name: &str) -> Option<Digest> {
        Self::HMAC_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, d)| d)
    }

    pub fn from_pbkdf2_name(name: &str) -> Option<Digest> {
        Self::PBKDF2_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, d)| d)
    }
}

/// `hash.encoding`, `hash.key.encoding`, `salt.encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Base64,
    Hex,
    Utf8,
}

impl Encoding {
    pub const NAMES: [(&'static str, Encoding); 3] = [
        ("base64", Encoding::Base64),
        ("hex", Encoding::Hex),
        ("utf8", Encoding::Utf8),
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
            Encoding::Utf8 => "utf8",
        }
    }

    /// The binary encoding, or `None` for `utf8` (taken as is).
    pub const fn binary(self) -> Option<decode::Binary> {
        match self {
            Encoding::Base64 => Some(decode::Binary::Base64),
            Encoding::Hex => Some(decode::Binary::Hex),
            Encoding::Utf8 => None,
        }
    }
}

/// `password.encoding`: how the candidate password becomes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PasswordEncoding {
    Ascii,
    Utf8,
    Utf16le,
    Ucs2,
    Latin1,
    Binary,
}

impl PasswordEncoding {
    pub const NAMES: [(&'static str, PasswordEncoding); 6] = [
        ("ascii", PasswordEncoding::Ascii),
        ("utf8", PasswordEncoding::Utf8),
        ("utf16le", PasswordEncoding::Utf16le),
        ("ucs2", PasswordEncoding::Ucs2),
        ("latin1", PasswordEncoding::Latin1),
        ("binary", PasswordEncoding::Binary),
    ];
}

/// `salt.position`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaltPosition {
    Prefix,
    Suffix,
}

impl SaltPosition {
    pub const NAMES: [(&'static str, SaltPosition); 2] = [
        ("prefix", SaltPosition::Prefix),
        ("suffix", SaltPosition::Suffix),
    ];
}

/// A secret string shown by `Debug` as its length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Redacted<'a>(pub &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

/// A string written as a JSON string literal (for `ENUM_MISMATCH` messages).
pub(crate) struct JsonStr<'a>(pub &'a str);

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        f.write_char('"')?;
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let esc = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\u{8}' => "\\b",
                '\u{c}' => "\\f",
                c if (c as u32) < 0x20 => "",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            if esc.is_empty() {
                write!(f, "\\u{:04x}", c as u32)?;
            } else {
                f.write_str(esc)?;
            }
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])?;
        f.write_char('"')
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;

    fn errors(out: &Findings) -> Vec<(Code, String, String)> {
        out.errors()
            .map(|e| {
                (
                    e.code,
                    e.path.unwrap_or_default().to_owned(),
                    e.message.to_owned(),
                )
            })
            .collect()
    }

    const SPEC_BCRYPT: [&str; 2] = [
        "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
        "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
    ];

    #[test]
    fn password_hash_accepts_the_live_rule() {
        let tail = &SPEC_BCRYPT[0][7..];
        for ok in [
            SPEC_BCRYPT[0].to_owned(),
            SPEC_BCRYPT[1].to_owned(),
            format!("$2a$10${tail}"),
            format!("$2$10${tail}"),
            format!("$2b$100${tail}"),
        ] {
            let mut out = Findings::new();
            check_password_hash(&ok, &mut out);
            assert!(!out.has_errors() && !out.has_warnings(), "{ok}");
        }
    }

    #[test]
    fn password_hash_rejects_everything_else_without_echoing_it() {
        let tail = &SPEC_BCRYPT[0][7..];
        for bad in [
            String::new(),
            format!("$2y$10${tail}"),
            format!("$2b$12${tail}"),
            format!("$2b$04${tail}"),
            format!("$2b$10${tail}\n"),
            format!(" $2b$10${tail}"),
            format!("$2b$10${}", &tail[1..]),
            format!("$argon2id$v=19$m=65536,t=2,p=1${tail}"),
            "secret-plaintext".to_owned(),
        ] {
            let mut out = Findings::new();
            check_password_hash(&bad, &mut out);
            let e = errors(&out);
            assert_eq!(
                e,
                vec![(
                    Code::Pattern,
                    "password_hash".to_owned(),
                    r"Error in password_hash property - String does not match pattern ^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$"
                        .to_owned()
                )],
                "{bad:?}"
            );
            assert!(!out.has_warnings());
        }
    }

    #[test]
    fn algorithm_table() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
        }
        assert_eq!(Algorithm::from_name("SHA1"), None);
        let sizes: Vec<_> = Algorithm::ALL.iter().map(|a| a.digest_size()).collect();
        assert_eq!(
            sizes,
            [
                None,
                None,
                None,
                None,
                Some(16),
                Some(16),
                Some(20),
                Some(32),
                Some(64),
                None,
                None
            ]
        );
        assert_eq!(
            Digest::from_hmac_name("whirlpool").map(Digest::size),
            Some(64)
        );
        assert_eq!(Digest::from_hmac_name("sha224").map(Digest::size), Some(28));
        assert_eq!(Digest::from_hmac_name("SHA256"), None);
        assert_eq!(Digest::from_hmac_name("mdc2"), None);
        assert_eq!(Digest::from_pbkdf2_name("RSA-SHA1-2"), Some(Digest::Sha1));
        assert_eq!(Digest::from_pbkdf2_name("rmd160"), Some(Digest::Ripemd160));
        assert_eq!(Digest::from_pbkdf2_name("sha3-256"), None);
    }

    #[test]
    fn json_str_escapes() {
        assert_eq!(JsonStr("hex").to_string(), r#""hex""#);
        assert_eq!(
            JsonStr("a\"b\\c\nd\u{1}é").to_string(),
            r#""a\"b\\c\nd\u0001é""#
        );
    }

    #[test]
    fn redacted_debug_shows_only_the_length() {
        assert_eq!(format!("{:?}", Redacted("hunter2")), "<redacted, 7 bytes>");
    }
}
