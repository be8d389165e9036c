//! RFC 2307 `userPassword` values, as `custom_password_hash` takes them for `ldap`.
//!
//! ```
//! use user_import_hash::ldap::{Ldap, LdapError, Scheme};
//!
//! let l = Ldap::parse("{ssha}TlYlK1uvf2q3UTmsYe4o4O15GAFwZXBwZXI=")?;
//! assert_eq!((l.scheme, l.scheme_text, l.decoded_len), (Scheme::Ssha, "ssha", 26));
//! assert!(l.length_fits()); // a 20-byte SHA-1 digest and 6 bytes of salt
//! assert_eq!(Ldap::parse("{CRYPT}abc"), Err(LdapError::UnsupportedScheme));
//! # Ok::<(), LdapError>(())
//! ```

use std::fmt;

use crate::decode::{DecodeError, base64_len};
use crate::{Digest, Redacted};

/// What an ldap `hash.value` must look like (the `PATTERN` message).
pub const PATTERN: &str = r"^\{(?i:MD5|SMD5|SHA|SSHA|SHA256|SSHA256|SHA384|SSHA384|SHA512|SSHA512)\}([A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$";

/// An RFC 2307 scheme Auth0 accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `{MD5}`: md5(P).
    Md5,
    /// `{SMD5}`: md5(P‖salt)‖salt.
    Smd5,
    /// `{SHA}`: sha1(P).
    Sha,
    /// `{SSHA}`: sha1(P‖salt)‖salt.
    Ssha,
    /// `{SHA256}`: sha256(P).
    Sha256,
    /// `{SSHA256}`: sha256(P‖salt)‖salt.
    Ssha256,
    /// `{SHA384}`: sha384(P).
    Sha384,
    /// `{SSHA384}`: sha384(P‖salt)‖salt.
    Ssha384,
    /// `{SHA512}`: sha512(P).
    Sha512,
    /// `{SSHA512}`: sha512(P‖salt)‖salt.
    Ssha512,
}

impl Scheme {
    /// Every scheme, in SPEC's order.
    pub const ALL: [Scheme; 10] = [
        Scheme::Md5,
        Scheme::Smd5,
        Scheme::Sha,
        Scheme::Ssha,
        Scheme::Sha256,
        Scheme::Ssha256,
        Scheme::Sha384,
        Scheme::Ssha384,
        Scheme::Sha512,
        Scheme::Ssha512,
    ];

    /// The canonical (upper-case) name.
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::Md5 => "MD5",
            Scheme::Smd5 => "SMD5",
            Scheme::Sha => "SHA",
            Scheme::Ssha => "SSHA",
            Scheme::Sha256 => "SHA256",
            Scheme::Ssha256 => "SSHA256",
            Scheme::Sha384 => "SHA384",
            Scheme::Ssha384 => "SSHA384",
            Scheme::Sha512 => "SHA512",
            Scheme::Ssha512 => "SSHA512",
        }
    }

    /// The scheme named `name`, in any case.
    pub fn from_name(name: &str) -> Option<Scheme> {
        Scheme::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The digest it computes.
    pub const fn digest(self) -> Digest {
        match self {
            Scheme::Md5 | Scheme::Smd5 => Digest::Md5,
            Scheme::Sha | Scheme::Ssha => Digest::Sha1,
            Scheme::Sha256 | Scheme::Ssha256 => Digest::Sha256,
            Scheme::Sha384 | Scheme::Ssha384 => Digest::Sha384,
            Scheme::Sha512 | Scheme::Ssha512 => Digest::Sha512,
        }
    }

    /// Whether the decoded value is digest ‖ salt.
    pub const fn salted(self) -> bool {
        matches!(
            self,
            Scheme::Smd5 | Scheme::Ssha | Scheme::Ssha256 | Scheme::Ssha384 | Scheme::Ssha512
        )
    }
}

/// An RFC 2307 value.
///
/// ```text
/// ldap   = "{" scheme "}" base64
/// scheme = "MD5" / "SMD5" / "SHA" / "SSHA" / "SHA256" / "SSHA256"
///        / "SHA384" / "SSHA384" / "SHA512" / "SSHA512"      ; any case
/// base64 = 1*b64char [padding]                              ; SPEC 10's base64 rules
/// ```
///
/// Whether the decoded length fits the scheme is not part of the format: see
/// [`Ldap::length_fits`] (a mismatch is a warning, SPEC section 10).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ldap<'a> {
    /// The scheme between the braces.
    pub scheme: Scheme,
    /// The scheme as written, without braces.
    pub scheme_text: &'a str,
    /// The base64 after the braces.
    pub value: &'a str,
    /// Its decoded length.
    pub decoded_len: usize,
}

/// What is wrong with an RFC 2307 value. Each variant names one malformed part.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LdapError {
    /// The value does not start with `{`.
    NoOpeningBrace,
    /// No `}` closes the scheme.
    NoClosingBrace,
    /// A scheme that is not on the list (`{CRYPT}`, `{SHA1}`, `{}`).
    UnsupportedScheme,
    /// Nothing after `}`.
    MissingValue,
    /// What follows `}` is not base64.
    InvalidBase64(DecodeError),
}

impl fmt::Display for LdapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LdapError::NoOpeningBrace => f.write_str("does not start with `{`"),
            LdapError::NoClosingBrace => f.write_str("no `}` after the scheme"),
            LdapError::UnsupportedScheme => f.write_str("unsupported scheme"),
            LdapError::MissingValue => f.write_str("nothing after the scheme"),
            LdapError::InvalidBase64(e) => write!(f, "value is not base64: {e}"),
        }
    }
}

impl std::error::Error for LdapError {}

impl<'a> Ldap<'a> {
    /// Parses an RFC 2307 value by the grammar above.
    pub fn parse(s: &'a str) -> Result<Self, LdapError> {
        let rest = s.strip_prefix('{').ok_or(LdapError::NoOpeningBrace)?;
        let (scheme_text, value) = rest.split_once('}').ok_or(LdapError::NoClosingBrace)?;
        let scheme = Scheme::from_name(scheme_text).ok_or(LdapError::UnsupportedScheme)?;
        if value.is_empty() {
            return Err(LdapError::MissingValue);
        }
        let decoded_len = base64_len(value.as_bytes()).map_err(LdapError::InvalidBase64)?;
        Ok(Ldap {
            scheme,
            scheme_text,
            value,
            decoded_len,
        })
    }

    /// Whether the decoded length is what the scheme produces: exactly the digest size for
    /// unsalted schemes, more than it (a non-empty salt) for salted ones.
    pub fn length_fits(&self) -> bool {
        let d = self.scheme.digest().size();
        if self.scheme.salted() {
            self.decoded_len > d
        } else {
            self.decoded_len == d
        }
    }
}

impl fmt::Debug for Ldap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ldap")
            .field("scheme", &self.scheme)
            .field("scheme_text", &self.scheme_text)
            .field("value", &Redacted(self.value))
            .field("decoded_len", &self.decoded_len)
            .finish()
    }
}

impl fmt::Display for Ldap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.scheme_text, self.value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;
    use LdapError::*;

    #[test]
    fn parses_spec_vector() {
        let s =
            "{SSHA384}/cgEjdoZh85DhurDeOQEMO1rMlAur93SVPbYe5XSD4lF7nNuvrBju5hUeg9A6agRemgSXGl5YuE=";
        let l = Ldap::parse(s).unwrap();
        assert_eq!(l.scheme, Scheme::Ssha384);
        assert_eq!(l.decoded_len, 56);
        assert!(l.length_fits());
        assert_eq!(l.to_string(), s);
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for name in ["ssha", "SSHA", "sShA"] {
            let s = format!("{{{name}}}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            let l = Ldap::parse(&s).unwrap();
            assert_eq!(l.scheme, Scheme::Ssha);
            assert_eq!(l.to_string(), s);
        }
        for sch in Scheme::ALL {
            assert_eq!(Scheme::from_name(&sch.name().to_lowercase()), Some(sch));
            assert!(PATTERN.contains(sch.name()));
        }
    }

    #[test]
    fn lengths_by_scheme() {
        let b64 = |n: usize| "A".repeat((n * 4).div_ceil(3));
        for sch in Scheme::ALL {
            let d = sch.digest().size();
            let fits = |n: usize| {
                Ldap::parse(&format!("{{{}}}{}", sch.name(), b64(n)))
                    .unwrap()
                    .length_fits()
            };
            if sch.salted() {
                assert!(
                    !fits(d - 1) && !fits(d) && fits(d + 1) && fits(d + 16),
                    "{sch:?}"
                );
            } else {
                assert!(!fits(d - 1) && fits(d) && !fits(d + 1), "{sch:?}");
            }
        }
    }

    #[test]
    fn bad_strings() {
        let cases: &[(&str, LdapError)] = &[
            ("", NoOpeningBrace),
            ("SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", NoOpeningBrace),
            (" {SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", NoOpeningBrace),
            ("{SHAqUqP5cyxm6YcTAhz05Hph5gvu9M=", NoClosingBrace),
            ("{CRYPT}$1$abc$def", UnsupportedScheme),
            ("{SHA1}qUqP5cyxm6YcTAhz05Hph5gvu9M=", UnsupportedScheme),
            ("{SHA-256}qUqP5cyxm6YcTAhz05Hph5gvu9M=", UnsupportedScheme),
            ("{PBKDF2}qUqP5cyxm6YcTAhz05Hph5gvu9M=", UnsupportedScheme),
            ("{ SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", UnsupportedScheme),
            ("{}qUqP5cyxm6YcTAhz05Hph5gvu9M=", UnsupportedScheme),
            ("{SHA}", MissingValue),
            ("{SHA}qUqP5", InvalidBase64(DecodeError::Truncated)),
            (
                "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M==",
                InvalidBase64(DecodeError::BadPadding),
            ),
            (
                "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M\n",
                InvalidBase64(DecodeError::InvalidChar { at: 27 }),
            ),
            (
                "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n",
                InvalidBase64(DecodeError::BadPadding),
            ),
            (
                "{SHA}qUqP 5cyxm6YcTAhz05Hph5gvu9M=",
                InvalidBase64(DecodeError::InvalidChar { at: 4 }),
            ),
            (
                "{SHA}qUqP-cyxm6YcTAhz05Hph5gvu9/=",
                InvalidBase64(DecodeError::MixedAlphabets),
            ),
            (
                "{SHA}{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",
                InvalidBase64(DecodeError::InvalidChar { at: 0 }),
            ),
            ("{SHA}=", InvalidBase64(DecodeError::BadPadding)),
        ];
        for (s, want) in cases {
            assert_eq!(Ldap::parse(s), Err(*want), "{s:?}");
        }
    }

    #[test]
    fn padding_optional_and_url_alphabet_accepted() {
        for s in [
            "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",
            "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M",
        ] {
            let l = Ldap::parse(s).unwrap();
            assert_eq!(l.decoded_len, 20);
            assert!(l.length_fits());
        }
        let url = Ldap::parse("{SSHA}qUqP5cyxm6YcTAhz05Hph5gvu9M_-_-_").unwrap();
        assert_eq!(url.decoded_len, 24);
        assert!(url.length_fits());
    }
}
