//! Password hashes: the format rules of `password_hash` and `custom_password_hash`
//! (SPEC 3.1, 3.2 and section 10 "Hash strings"), over the record's JSON, reporting findings.
//!
//! The hash strings themselves, the algorithm vocabulary and the parsed
//! [`CustomPasswordHash`] are the `user-import-hash` crate's, re-exported here; computing
//! hashes (SPEC 3.3) is its `compute` feature's work (the engine's `verify` feature), on the
//! values parsed here. From that crate, one module per hash-string format, each parsing into
//! a borrowed value whose doc comment holds the grammar and whose error enum names the
//! malformed part:
//!
//! - [`bcrypt`]: modular crypt `$2a$`/`$2b$`/`$2y$`, and Auth0's live `password_hash` rule;
//! - [`phc`]: argon2 and pbkdf2 PHC strings;
//! - [`ldap`]: RFC 2307 `{SCHEME}base64`;
//! - [`decode`]: hex and base64 as the hash warnings decode them.
//!
//! Here, [`rules`]: the `custom_password_hash` object (types, enums, required and forbidden
//! properties, and the warnings), giving a [`CustomPasswordHash`] when it passes.
//!
//! Nothing here allocates unless it reports an error. No message ever contains `hash.value`,
//! `hash.key.value` or `salt.value`, and the `Debug` output of the parsed values redacts them.

pub mod rules;

pub use user_import_hash::{
    Algorithm, CustomPasswordHash, Digest, Encoded, Encoding, PasswordEncoding, PlainDigest,
    SaltPosition, SaltRule, SaltSpec, Scheme, ScryptParams, Secret, ValueForm,
};
pub use user_import_hash::{bcrypt, decode, ldap, phc};

use crate::finding::{Code, Findings};

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
/// See `rules` for the order of the checks and which depend on which.
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
}
