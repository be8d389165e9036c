//! The vocabulary of `custom_password_hash`: its algorithms, the digests they name, and the
//! encodings of its values (SPEC 3.2). Names are Auth0's, exact and case-sensitive.

use crate::decode;

/// `custom_password_hash.algorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `argon2`: a PHC string (see [`crate::phc::Argon2`]).
    Argon2,
    /// `bcrypt`: a modular crypt string (see [`crate::bcrypt::Bcrypt`]), salt optional.
    Bcrypt,
    /// `hmac`: the raw MAC under `hash.digest` and `hash.key`, encoded.
    Hmac,
    /// `ldap`: an RFC 2307 string (see [`crate::ldap::Ldap`]).
    Ldap,
    /// `md4`: the raw digest, encoded, salt optional.
    Md4,
    /// `md5`: the raw digest, encoded, salt optional.
    Md5,
    /// `sha1`: the raw digest, encoded, salt optional.
    Sha1,
    /// `sha256`: the raw digest, encoded, salt optional.
    Sha256,
    /// `sha512`: the raw digest, encoded, salt optional.
    Sha512,
    /// `pbkdf2`: a PHC string (see [`crate::phc::Pbkdf2`]).
    Pbkdf2,
    /// `scrypt`: the raw derived key, encoded; the salt is required.
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
    /// Taken when present.
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

    /// The name as `custom_password_hash.algorithm` writes it.
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

    /// The algorithm called `name`: exact, case-sensitive.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The digest of the plain digest algorithms (`md4 md5 sha1 sha256 sha512`).
    pub const fn digest(self) -> Option<Digest> {
        match PlainDigest::from_algorithm(self) {
            Some(d) => Some(d.digest()),
            None => None,
        }
    }

    /// The output size in bytes of the plain digest algorithms.
    pub const fn digest_size(self) -> Option<usize> {
        match self.digest() {
            Some(d) => Some(d.size()),
            None => None,
        }
    }

    /// How `hash.value` is written.
    pub const fn value_form(self) -> ValueForm {
        match self {
            Algorithm::Argon2 | Algorithm::Bcrypt | Algorithm::Ldap | Algorithm::Pbkdf2 => {
                ValueForm::Text
            }
            _ => ValueForm::Binary,
        }
    }

    /// Whether a `salt` object is forbidden, optional or required.
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

/// The algorithms that are one digest of the (salted) password: `md4 md5 sha1 sha256
/// sha512`. A subset of [`Digest`], so that a plain-digest hash cannot name a digest that is
/// no algorithm of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlainDigest {
    /// `md4`
    Md4,
    /// `md5`
    Md5,
    /// `sha1`
    Sha1,
    /// `sha256`
    Sha256,
    /// `sha512`
    Sha512,
}

impl PlainDigest {
    /// The digest it computes.
    pub const fn digest(self) -> Digest {
        match self {
            PlainDigest::Md4 => Digest::Md4,
            PlainDigest::Md5 => Digest::Md5,
            PlainDigest::Sha1 => Digest::Sha1,
            PlainDigest::Sha256 => Digest::Sha256,
            PlainDigest::Sha512 => Digest::Sha512,
        }
    }

    /// The algorithm of the same name.
    pub const fn algorithm(self) -> Algorithm {
        match self {
            PlainDigest::Md4 => Algorithm::Md4,
            PlainDigest::Md5 => Algorithm::Md5,
            PlainDigest::Sha1 => Algorithm::Sha1,
            PlainDigest::Sha256 => Algorithm::Sha256,
            PlainDigest::Sha512 => Algorithm::Sha512,
        }
    }

    /// `Some` for the five plain digest algorithms.
    pub const fn from_algorithm(a: Algorithm) -> Option<PlainDigest> {
        match a {
            Algorithm::Md4 => Some(PlainDigest::Md4),
            Algorithm::Md5 => Some(PlainDigest::Md5),
            Algorithm::Sha1 => Some(PlainDigest::Sha1),
            Algorithm::Sha256 => Some(PlainDigest::Sha256),
            Algorithm::Sha512 => Some(PlainDigest::Sha512),
            _ => None,
        }
    }
}

/// A message digest, as hmac, pbkdf2 and ldap name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Digest {
    /// MD4 (16 bytes).
    Md4,
    /// MD5 (16 bytes).
    Md5,
    /// MDC-2 (16 bytes): only pbkdf2 names it, and nothing here computes it.
    Mdc2,
    /// RIPEMD-160 (20 bytes).
    Ripemd160,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-224 (28 bytes).
    Sha224,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-384 (48 bytes).
    Sha384,
    /// SHA-512 (64 bytes).
    Sha512,
    /// Whirlpool (64 bytes).
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

    /// The digest hmac's `hash.digest` names, by [`Digest::HMAC_NAMES`].
    pub fn from_hmac_name(name: &str) -> Option<Digest> {
        Self::HMAC_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, d)| d)
    }

    /// The digest a pbkdf2 string names, by [`Digest::PBKDF2_NAMES`].
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
    /// Base64, standard or URL alphabet (see [`crate::decode`]).
    Base64,
    /// Hex, either case.
    Hex,
    /// The string's own bytes.
    Utf8,
}

impl Encoding {
    /// The names Auth0 accepts, and what each means.
    pub const NAMES: [(&'static str, Encoding); 3] = [
        ("base64", Encoding::Base64),
        ("hex", Encoding::Hex),
        ("utf8", Encoding::Utf8),
    ];

    /// The name as the record writes it.
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

impl From<decode::Binary> for Encoding {
    fn from(b: decode::Binary) -> Encoding {
        match b {
            decode::Binary::Base64 => Encoding::Base64,
            decode::Binary::Hex => Encoding::Hex,
        }
    }
}

/// `password.encoding`: how the candidate password becomes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PasswordEncoding {
    /// The low byte of each UTF-16 code unit (Node's `ascii`).
    Ascii,
    /// UTF-8, the default.
    Utf8,
    /// UTF-16, little-endian.
    Utf16le,
    /// Node's alias of `utf16le`.
    Ucs2,
    /// The low byte of each UTF-16 code unit.
    Latin1,
    /// Node's alias of `latin1`.
    Binary,
}

impl PasswordEncoding {
    /// The names Auth0 accepts, and what each means.
    pub const NAMES: [(&'static str, PasswordEncoding); 6] = [
        ("ascii", PasswordEncoding::Ascii),
        ("utf8", PasswordEncoding::Utf8),
        ("utf16le", PasswordEncoding::Utf16le),
        ("ucs2", PasswordEncoding::Ucs2),
        ("latin1", PasswordEncoding::Latin1),
        ("binary", PasswordEncoding::Binary),
    ];
}

/// `salt.position`: which side of the password the salt goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaltPosition {
    /// salt ‖ password, the default.
    Prefix,
    /// password ‖ salt.
    Suffix,
}

impl SaltPosition {
    /// The names Auth0 accepts, and what each means.
    pub const NAMES: [(&'static str, SaltPosition); 2] = [
        ("prefix", SaltPosition::Prefix),
        ("suffix", SaltPosition::Suffix),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn plain_digests_are_the_digest_algorithms() {
        for a in Algorithm::ALL {
            let plain = PlainDigest::from_algorithm(a);
            assert_eq!(plain.map(PlainDigest::algorithm), plain.map(|_| a));
            assert_eq!(plain.map(PlainDigest::digest), a.digest());
        }
    }
}
