//! The password hashes of Auth0 bulk user imports: parse the hash strings, name the
//! algorithms, and (feature `compute`) verify a password against a parsed hash.
//!
//! A user in an import file carries its password either as `password_hash` (a bcrypt string
//! that must match Auth0's live rule) or as `custom_password_hash`, an object naming one of
//! eleven algorithms with its parameters. This crate is the part of that which needs no JSON:
//! what the strings look like and what a hash means. Reading a record, and reporting what is
//! wrong with it as Auth0's error codes, is the engine's work (`user_import::hash`), which
//! builds a [`CustomPasswordHash`] from a record that passed every rule.
//!
//! # Parsers
//!
//! One module per hash-string format. Each parses into a value borrowed from the input
//! (nothing is allocated), whose doc comment gives the grammar, and each malformed part has
//! its own error variant:
//!
//! - [`bcrypt`]: modular crypt, `$2a$`/`$2b$`/`$2y$`, cost `04` to `31`, 22 characters of salt
//!   and 31 of checksum in bcrypt's base64 ([`bcrypt::Bcrypt`]); and Auth0's live rule for
//!   `password_hash`, `^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$` ([`bcrypt::LiveBcrypt`]).
//! - [`phc`]: PHC strings. argon2: `$argon2i$` or `$argon2id$`, `v=19`, `m,t,p` in that
//!   order, salt and tag in unpadded base64, at most 127 characters
//!   ([`phc::Argon2`]); pbkdf2: `$pbkdf2-<digest>$i=<n>,l=<k>$<salt>$<dk>`, parameters
//!   optional, digest one of Node's names ([`phc::Pbkdf2`]).
//! - [`ldap`]: RFC 2307 `{SCHEME}base64`, scheme `MD5 SMD5 SHA SSHA SHA256 SSHA256 SHA384
//!   SSHA384 SHA512 SSHA512` in any case ([`ldap::Ldap`]).
//! - [`decode`]: hex and base64 as Auth0's import takes them (hex in either case; base64 in
//!   the standard or the URL alphabet, padding optional), and PHC's stricter B64.
//!
//! ```
//! use user_import_hash::phc::{Argon2, Argon2Variant, PhcError};
//!
//! let a = Argon2::parse(
//!     "$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos",
//! )?;
//! assert_eq!((a.variant, a.m_cost, a.t_cost, a.p_cost), (Argon2Variant::Id, 65536, 2, 1));
//! assert_eq!((a.salt_len, a.hash_len), (16, 32));
//! assert_eq!(
//!     Argon2::parse("$argon2d$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
//!     Err(PhcError::UnsupportedId)
//! );
//! # Ok::<(), PhcError>(())
//! ```
//!
//! # Vocabulary
//!
//! [`Algorithm`] (`custom_password_hash.algorithm`), [`Digest`] (as hmac, pbkdf2 and ldap
//! name them), [`Encoding`], [`PasswordEncoding`], [`SaltPosition`], and per algorithm how
//! its value is written ([`ValueForm`]) and whether it takes a salt ([`SaltRule`]).
//!
//! A [`CustomPasswordHash`] is a [`Scheme`], one variant per algorithm carrying exactly its
//! parameters (a parsed string, or an [`Encoded`] value with its [`SaltSpec`], hmac's key
//! [`Secret`], scrypt's [`ScryptParams`]), and the password encoding.
//!
//! # Computing (feature `compute`)
//!
//! Off by default, so that the parsers and the vocabulary depend on nothing. With it, the
//! `compute` module recomputes a stored hash from a candidate password and compares in
//! constant time, for every algorithm (bcrypt, argon2, pbkdf2, scrypt, hmac, ldap and the
//! plain digests), with cost caps (`compute::Limits`) checked before anything is computed, so
//! that a hostile record cannot hang or exhaust memory. Its entry points are
//! `compute::verify_custom` and `compute::verify_password_hash`.
//!
//! # Secrecy
//!
//! Hash values, salts, keys and passwords are secrets. No error message, `Display` of an
//! error, `Debug` output or panic of this crate contains one: errors name the malformed part
//! and at most an offset or a length, and the `Debug` output of every parsed value shows each
//! secret as its length only (`<redacted, 22 bytes>`). Only the parsed values' `Display`
//! writes the string back, as the caller gave it.

#![warn(missing_docs)]
// Tests may unwrap: a panic there is a failed test, not a crash in front of a user.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bcrypt;
pub mod decode;
pub mod ldap;
pub mod phc;

/// The algorithm vocabulary: names, digests, encodings.
mod algorithm;
/// The parsed `custom_password_hash`: [`CustomPasswordHash`] and its [`Scheme`].
mod custom;

#[cfg(feature = "compute")]
pub mod compute;

pub use algorithm::{
    Algorithm, Digest, Encoding, PasswordEncoding, PlainDigest, SaltPosition, SaltRule, ValueForm,
};
pub use custom::{CustomPasswordHash, Encoded, SaltSpec, Scheme, ScryptParams, Secret};

use std::fmt;

/// A secret string shown by `Debug` as its length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Redacted<'a>(pub &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_debug_shows_only_the_length() {
        assert_eq!(format!("{:?}", Redacted("hunter2")), "<redacted, 7 bytes>");
    }
}
