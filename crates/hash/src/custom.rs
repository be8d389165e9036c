//! A `custom_password_hash` that passed every rule, as one variant per scheme.

use std::fmt;

use crate::bcrypt::Bcrypt;
use crate::decode::{self, Binary, DecodeError};
use crate::ldap::Ldap;
use crate::phc::{Argon2, Pbkdf2};
use crate::{Algorithm, Digest, Encoding, PasswordEncoding, PlainDigest, Redacted, SaltPosition};

/// A `custom_password_hash` that passed every rule (SPEC 3.2), borrowed from the record:
/// everything verification needs, and nothing an algorithm ignores.
///
/// Built by the engine's rules from a record (`user_import::hash::rules`), or directly:
///
/// ```
/// use user_import_hash::{CustomPasswordHash, Encoded, PasswordEncoding, PlainDigest, Scheme};
/// use user_import_hash::decode::Binary;
///
/// // {"algorithm":"md4","hash":{"value":"AbuUujgF0pPPkJPSFRTpmA==","encoding":"base64"}}
/// let h = CustomPasswordHash {
///     scheme: Scheme::Digest {
///         digest: PlainDigest::Md4,
///         value: Encoded::new("AbuUujgF0pPPkJPSFRTpmA==", Binary::Base64),
///         salt: None,
///     },
///     password_encoding: PasswordEncoding::Utf8,
/// };
/// assert_eq!(h.scheme.algorithm().name(), "md4");
/// assert_eq!(h.scheme.encoded().map(|e| e.decoded_len), Some(Ok(16)));
/// // Debug shows the shape, never the secret.
/// assert!(!format!("{h:?}").contains("AbuUujgF"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomPasswordHash<'a> {
    /// The algorithm and its parameters.
    pub scheme: Scheme<'a>,
    /// `password.encoding`, defaulted to `utf8`: how the candidate password becomes bytes
    /// (every algorithm takes it).
    pub password_encoding: PasswordEncoding,
}

/// The algorithm of a [`CustomPasswordHash`], each variant carrying exactly its parameters.
///
/// Adding an algorithm is adding a variant: the matches over it (here, in verification and
/// in the engine) have no catch-all arm, so the compiler lists each one to extend. For the
/// same reason it is not `#[non_exhaustive]`.
///
/// `Debug` shows the shape and the numeric parameters; hash values, salts and keys appear as
/// their lengths only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme<'a> {
    /// `argon2`: the PHC string.
    Argon2(Argon2<'a>),
    /// `bcrypt`: the modular crypt string, and the salt put before or after the password.
    Bcrypt {
        /// `hash.value`, parsed.
        hash: Bcrypt<'a>,
        /// `salt`, when the record gives one.
        salt: Option<SaltSpec<'a>>,
    },
    /// `hmac`: HMAC-`digest` of the password under `key`.
    Hmac {
        /// `hash.digest`.
        digest: Digest,
        /// `hash.key`.
        key: Secret<'a>,
        /// `hash.value`: the MAC.
        value: Encoded<'a>,
    },
    /// `ldap`: the RFC 2307 string.
    Ldap(Ldap<'a>),
    /// `md4 md5 sha1 sha256 sha512`: the digest of the password, salted before or after.
    Digest {
        /// Which of the five.
        digest: PlainDigest,
        /// `hash.value`: the digest.
        value: Encoded<'a>,
        /// `salt`, when the record gives one.
        salt: Option<SaltSpec<'a>>,
    },
    /// `pbkdf2`: the PHC string.
    Pbkdf2(Pbkdf2<'a>),
    /// `scrypt`: the derived key of the password under the salt and the parameters.
    Scrypt {
        /// `hash.value`: the derived key.
        value: Encoded<'a>,
        /// `salt` (required; its position is declared but scrypt does not use it).
        salt: SaltSpec<'a>,
        /// `keylen`, `cost`, `blockSize`, `parallelization`.
        params: ScryptParams,
    },
}

impl<'a> Scheme<'a> {
    /// The `custom_password_hash.algorithm` this scheme is.
    pub const fn algorithm(&self) -> Algorithm {
        match self {
            Scheme::Argon2(_) => Algorithm::Argon2,
            Scheme::Bcrypt { .. } => Algorithm::Bcrypt,
            Scheme::Hmac { .. } => Algorithm::Hmac,
            Scheme::Ldap(_) => Algorithm::Ldap,
            Scheme::Digest { digest, .. } => digest.algorithm(),
            Scheme::Pbkdf2(_) => Algorithm::Pbkdf2,
            Scheme::Scrypt { .. } => Algorithm::Scrypt,
        }
    }

    /// `hash.value` when it is raw bytes in hex or base64 (hmac, the digests, scrypt);
    /// `None` for the hash strings.
    pub const fn encoded(&self) -> Option<&Encoded<'a>> {
        match self {
            Scheme::Hmac { value, .. }
            | Scheme::Digest { value, .. }
            | Scheme::Scrypt { value, .. } => Some(value),
            Scheme::Argon2(_) | Scheme::Bcrypt { .. } | Scheme::Ldap(_) | Scheme::Pbkdf2(_) => None,
        }
    }

    /// The `salt` object, when the scheme takes one and the record gives one.
    pub const fn salt(&self) -> Option<&SaltSpec<'a>> {
        match self {
            Scheme::Bcrypt { salt, .. } | Scheme::Digest { salt, .. } => salt.as_ref(),
            Scheme::Scrypt { salt, .. } => Some(salt),
            Scheme::Argon2(_) | Scheme::Hmac { .. } | Scheme::Ldap(_) | Scheme::Pbkdf2(_) => None,
        }
    }

    /// hmac's `hash.key`.
    pub const fn key(&self) -> Option<&Secret<'a>> {
        match self {
            Scheme::Hmac { key, .. } => Some(key),
            Scheme::Argon2(_)
            | Scheme::Bcrypt { .. }
            | Scheme::Ldap(_)
            | Scheme::Digest { .. }
            | Scheme::Pbkdf2(_)
            | Scheme::Scrypt { .. } => None,
        }
    }
}

/// A `hash.value` of raw bytes, in hex or base64, and what decoding it gives.
///
/// Auth0 accepts a value that does not decode (the engine warns `HASH_NOT_DECODABLE`), but
/// no password verifies against it as declared: [`Encoded::decoded_len`] is then the error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Encoded<'a> {
    /// The value as written.
    pub value: &'a str,
    /// `hash.encoding`.
    pub encoding: Binary,
    /// The decoded length, or why the value does not decode (SPEC 10's rules, see
    /// [`decode::decoded_len`]).
    pub decoded_len: Result<usize, DecodeError>,
}

impl<'a> Encoded<'a> {
    /// `value` in `encoding`, validated and measured (no allocation).
    pub fn new(value: &'a str, encoding: Binary) -> Self {
        Encoded {
            value,
            encoding,
            decoded_len: decode::decoded_len(value, encoding),
        }
    }
}

impl fmt::Debug for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoded")
            .field("value", &Redacted(self.value))
            .field("encoding", &self.encoding)
            .field("decoded_len", &self.decoded_len)
            .finish()
    }
}

/// A secret value with its declared encoding (`hash.key`, `salt`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret<'a> {
    /// The value as written.
    pub value: &'a str,
    /// Its encoding, defaulted to `utf8` (the string's own bytes).
    pub encoding: Encoding,
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("value", &Redacted(self.value))
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// `salt` with defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaltSpec<'a> {
    /// `salt.value` and `salt.encoding`.
    pub secret: Secret<'a>,
    /// `salt.position`, defaulted to `prefix`.
    pub position: SaltPosition,
}

/// scrypt's numbers, defaults applied (cost 16384, blockSize 8, parallelization 1); values
/// beyond `u64` saturate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScryptParams {
    /// `keylen`: the derived key's length in bytes.
    pub keylen: u64,
    /// `cost`: N, a power of two above 1.
    pub cost: u64,
    /// `blockSize`: r.
    pub block_size: u64,
    /// `parallelization`: p.
    pub parallelization: u64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;
    use crate::SaltPosition;

    #[test]
    fn debug_hides_values_salts_and_keys() {
        let salt = SaltSpec {
            secret: Secret {
                value: "PepperSalt",
                encoding: Encoding::Utf8,
            },
            position: SaltPosition::Suffix,
        };
        let schemes = [
            Scheme::Hmac {
                digest: Digest::Sha1,
                key: Secret {
                    value: "TopSecretKey",
                    encoding: Encoding::Utf8,
                },
                value: Encoded::new("Zm9vYmFyYmF6", Binary::Base64),
            },
            Scheme::Scrypt {
                value: Encoded::new("Zm9vYmFyYmF6", Binary::Hex),
                salt,
                params: ScryptParams {
                    keylen: 32,
                    cost: 16384,
                    block_size: 8,
                    parallelization: 1,
                },
            },
            Scheme::Bcrypt {
                hash: Bcrypt::parse("$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG")
                    .unwrap(),
                salt: Some(salt),
            },
        ];
        for scheme in schemes {
            let h = CustomPasswordHash {
                scheme,
                password_encoding: PasswordEncoding::Utf8,
            };
            let dbg = format!("{h:?}");
            for secret in ["Zm9vYmFy", "TopSecret", "PepperSalt", "C9hB01", "TW7xCK"] {
                assert!(!dbg.contains(secret), "{dbg}");
            }
        }
    }

    #[test]
    fn accessors_follow_the_variant() {
        let value = Encoded::new("00ff", Binary::Hex);
        assert_eq!(value.decoded_len, Ok(2));
        assert_eq!(
            Encoded::new("0", Binary::Hex).decoded_len,
            Err(DecodeError::OddLength)
        );
        let salt = SaltSpec {
            secret: Secret {
                value: "s",
                encoding: Encoding::Utf8,
            },
            position: SaltPosition::Prefix,
        };
        let digest = Scheme::Digest {
            digest: PlainDigest::Sha256,
            value,
            salt: Some(salt),
        };
        assert_eq!(digest.algorithm(), Algorithm::Sha256);
        assert_eq!(digest.encoded(), Some(&value));
        assert_eq!(digest.salt(), Some(&salt));
        assert_eq!(digest.key(), None);
        let ldap = Scheme::Ldap(Ldap::parse("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=").unwrap());
        assert_eq!(ldap.algorithm(), Algorithm::Ldap);
        assert_eq!(
            (ldap.encoded(), ldap.salt(), ldap.key()),
            (None, None, None)
        );
    }
}
