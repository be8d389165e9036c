//! One canary: its record's hash, computed with the canary's password, and when that does
//! not match, the search for the likely mistake that would make it match.

use crate::doc::{Kind, Value};
use crate::finding::{Code, Findings};
use crate::hash::{self, CustomPasswordHash, Encoding, PasswordEncoding, SaltPosition, Scheme};
use crate::parse::Parser;
use crate::validate;

use super::compute::{self, Limits, Outcome, Variant};

/// What verification found for one canary (the `status` of its output line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanaryStatus {
    /// The password verifies against the record's hash.
    Match,
    /// It does not; `would_match` names a variant of the declared settings that does, if one
    /// does.
    Mismatch,
    /// The record has neither `password_hash` nor `custom_password_hash`.
    NoHash,
    /// No record of the users file has the canary's email or `user_id`.
    NotFound,
    /// The hash breaks a format rule, or its value does not decode as declared: no password
    /// can match it.
    InvalidHash,
    /// A cost parameter is over a [`Limits`] cap; nothing was computed.
    TooCostly,
    /// The algorithm or a setting cannot be computed here (pbkdf2 with mdc2, ...).
    Unsupported,
}

impl CanaryStatus {
    /// Every status, in the summary's order.
    pub const ALL: [CanaryStatus; 7] = [
        CanaryStatus::Match,
        CanaryStatus::Mismatch,
        CanaryStatus::NoHash,
        CanaryStatus::NotFound,
        CanaryStatus::InvalidHash,
        CanaryStatus::TooCostly,
        CanaryStatus::Unsupported,
    ];

    /// The name on the output line, e.g. `too_costly`.
    pub const fn name(self) -> &'static str {
        match self {
            CanaryStatus::Match => "match",
            CanaryStatus::Mismatch => "mismatch",
            CanaryStatus::NoHash => "no_hash",
            CanaryStatus::NotFound => "not_found",
            CanaryStatus::InvalidHash => "invalid_hash",
            CanaryStatus::TooCostly => "too_costly",
            CanaryStatus::Unsupported => "unsupported",
        }
    }
}

/// A setting of the computation, as the output names it.
pub type Setting = (&'static str, &'static str);

/// The verdict for one canary. Nothing in it is secret: settings are names, codes are codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// What verification found.
    pub status: CanaryStatus,
    /// The record's 0-based position in the users file.
    pub index: Option<u64>,
    /// `password_hash` or `custom_password_hash`.
    pub field: Option<&'static str>,
    /// The algorithm's name (`bcrypt` for `password_hash`).
    pub algorithm: Option<&'static str>,
    /// The inputs as declared (or defaulted) by the record.
    pub inputs: Vec<Setting>,
    /// For a mismatch: the settings that differ in the variant that matches, if one does.
    pub would_match: Option<Vec<Setting>>,
    /// The record's error codes (why the hash is invalid, or why the record would fail).
    pub codes: Vec<Code>,
    /// Why a hash is too costly, unsupported or invalid: names and numbers, never a secret.
    pub reason: Option<String>,
}

impl Verdict {
    fn new(status: CanaryStatus) -> Self {
        Verdict {
            status,
            index: None,
            field: None,
            algorithm: None,
            inputs: Vec::new(),
            would_match: None,
            codes: Vec::new(),
            reason: None,
        }
    }

    /// The verdict of a canary whose record is not in the file.
    pub fn not_found() -> Self {
        Self::new(CanaryStatus::NotFound)
    }
}

/// Verifies `password` against the hash of the record `raw`.
pub fn check(raw: &[u8], password: &str, limits: &Limits) -> Verdict {
    let mut parser = Parser::new();
    parser.parse(raw, |parsed| {
        let Ok(p) = parsed else {
            return Verdict::new(CanaryStatus::NoHash);
        };
        let root = Value::root(p.tape);
        if root.kind() != Kind::Object {
            return Verdict::new(CanaryStatus::NoHash);
        }
        let mut findings = Findings::new();
        let mut path = String::new();
        validate::validate(root, raw.len(), &mut findings, &mut path);
        let codes: Vec<Code> = findings.errors().map(|e| e.code).collect();
        let mut v = match (root.get("password_hash"), root.get("custom_password_hash")) {
            (None, None) => Verdict::new(CanaryStatus::NoHash),
            (Some(_), Some(_)) => invalid(codes.clone()),
            (Some(ph), None) => password_hash(ph, password, limits, &codes),
            (None, Some(ch)) => custom(ch, password, limits, &codes),
        };
        if v.codes.is_empty() && v.status != CanaryStatus::NoHash {
            v.codes = codes;
        }
        v
    })
}

fn invalid(codes: Vec<Code>) -> Verdict {
    Verdict {
        codes,
        ..Verdict::new(CanaryStatus::InvalidHash)
    }
}

fn password_hash(v: Value<'_, '_>, password: &str, limits: &Limits, codes: &[Code]) -> Verdict {
    let mut f = Findings::new();
    let Some(stored) = v.as_str() else {
        return invalid(codes.to_vec());
    };
    hash::check_password_hash(stored, &mut f);
    if f.has_errors() {
        return invalid(codes.to_vec());
    }
    let mut verdict = outcome(compute::verify_password_hash(stored, password, limits));
    verdict.field = Some("password_hash");
    verdict.algorithm = Some("bcrypt");
    verdict.inputs = vec![("password_encoding", "utf8")];
    verdict
}

fn custom(v: Value<'_, '_>, password: &str, limits: &Limits, codes: &[Code]) -> Verdict {
    if v.kind() != Kind::Object {
        return invalid(codes.to_vec());
    }
    let mut f = Findings::new();
    let Some(h) = hash::rules::parse_custom_password_hash(v, &mut f) else {
        return invalid(codes.to_vec());
    };
    let declared = compute::verify_custom(&h, password, &Variant::default(), limits);
    let undecodable = h.scheme.encoded().is_some_and(|e| e.decoded_len.is_err());
    let mut verdict = match &declared {
        // A value that does not decode as declared can never match; the search below may
        // still find the encoding it was really written in.
        Outcome::Unsupported(_) if undecodable => {
            let mut v = invalid(f.warnings().map(|w| w.code).collect());
            v.reason = Some("the hash does not decode as declared".to_owned());
            v
        }
        _ => outcome(declared.clone()),
    };
    verdict.field = Some("custom_password_hash");
    verdict.algorithm = Some(h.scheme.algorithm().name());
    verdict.inputs = inputs(&h);
    if matches!(
        verdict.status,
        CanaryStatus::Mismatch | CanaryStatus::InvalidHash
    ) {
        if let Some(found) = search(&h, password, limits) {
            verdict.status = CanaryStatus::Mismatch;
            verdict.would_match = Some(found);
        } else if verdict.status == CanaryStatus::Mismatch {
            verdict.would_match = None;
        }
    }
    verdict
}

fn outcome(o: Outcome) -> Verdict {
    match o {
        Outcome::Match => Verdict::new(CanaryStatus::Match),
        Outcome::Mismatch => Verdict::new(CanaryStatus::Mismatch),
        Outcome::TooCostly(why) => Verdict {
            reason: Some(why),
            ..Verdict::new(CanaryStatus::TooCostly)
        },
        Outcome::Unsupported(why) => Verdict {
            reason: Some(why),
            ..Verdict::new(CanaryStatus::Unsupported)
        },
    }
}

/// The inputs the computation uses, as declared or defaulted.
fn inputs(h: &CustomPasswordHash<'_>) -> Vec<Setting> {
    let mut out = Vec::new();
    match &h.scheme {
        Scheme::Argon2(a) => out.push(("variant", a.variant.ident())),
        Scheme::Pbkdf2(p) => out.push(("digest", p.digest.name())),
        Scheme::Ldap(l) => out.push(("scheme", l.scheme.name())),
        Scheme::Hmac { digest, .. } => out.push(("digest", digest.name())),
        Scheme::Bcrypt { .. } | Scheme::Digest { .. } | Scheme::Scrypt { .. } => {}
    }
    if let Some(e) = h.scheme.encoded() {
        out.push(("hash_encoding", e.encoding.name()));
    }
    if let Some(k) = h.scheme.key() {
        out.push(("key_encoding", k.encoding.name()));
    }
    if let Some(s) = h.scheme.salt() {
        out.push(("salt_encoding", s.secret.encoding.name()));
        out.push(("salt_position", position_name(s.position)));
    }
    out.push((
        "password_encoding",
        password_encoding_name(h.password_encoding),
    ));
    out
}

/// Algorithms cheap enough to try every combination of mistakes (a few microseconds each);
/// the others try one mistake at a time (each try costs a full bcrypt, scrypt, argon2 or
/// pbkdf2 computation).
fn cheap(s: &Scheme<'_>) -> bool {
    match s {
        Scheme::Digest { .. } | Scheme::Hmac { .. } | Scheme::Ldap(_) => true,
        Scheme::Bcrypt { .. } | Scheme::Pbkdf2(_) | Scheme::Scrypt { .. } | Scheme::Argon2(_) => {
            false
        }
    }
}

const fn position_name(p: SaltPosition) -> &'static str {
    match p {
        SaltPosition::Prefix => "prefix",
        SaltPosition::Suffix => "suffix",
    }
}

const fn password_encoding_name(p: PasswordEncoding) -> &'static str {
    match p {
        PasswordEncoding::Ascii => "ascii",
        PasswordEncoding::Utf8 => "utf8",
        PasswordEncoding::Utf16le => "utf16le",
        PasswordEncoding::Ucs2 => "ucs2",
        PasswordEncoding::Latin1 => "latin1",
        PasswordEncoding::Binary => "binary",
    }
}

/// Password encodings that give different bytes (ucs2 is utf16le; ascii and binary are
/// latin1).
fn same_bytes(a: PasswordEncoding, b: PasswordEncoding) -> bool {
    use PasswordEncoding::*;
    let class = |p| match p {
        Utf8 => 0,
        Utf16le | Ucs2 => 1,
        Ascii | Latin1 | Binary => 2,
    };
    class(a) == class(b)
}

/// One kind of mistake and its alternatives to the declared setting.
type Dimension = Vec<Variant>;

/// The likely mistakes, as single-setting variants per dimension, in the order they are
/// tried: salt position, salt encoding, hash encoding, password encoding, key encoding.
fn dimensions(h: &CustomPasswordHash<'_>) -> Vec<Dimension> {
    let mut dims = Vec::new();
    const ENCODINGS: [Encoding; 3] = [Encoding::Utf8, Encoding::Hex, Encoding::Base64];
    if let Some(s) = h.scheme.salt() {
        let other = match s.position {
            SaltPosition::Prefix => SaltPosition::Suffix,
            SaltPosition::Suffix => SaltPosition::Prefix,
        };
        dims.push(vec![Variant {
            salt_position: Some(other),
            ..Variant::default()
        }]);
        dims.push(
            ENCODINGS
                .into_iter()
                .filter(|&e| e != s.secret.encoding)
                .map(|e| Variant {
                    salt_encoding: Some(e),
                    ..Variant::default()
                })
                .collect(),
        );
    }
    if let Some(value) = h.scheme.encoded() {
        dims.push(
            [Encoding::Hex, Encoding::Base64]
                .into_iter()
                .filter(|&e| e != Encoding::from(value.encoding))
                .map(|e| Variant {
                    hash_encoding: Some(e),
                    ..Variant::default()
                })
                .collect(),
        );
    }
    dims.push(
        [
            PasswordEncoding::Utf8,
            PasswordEncoding::Utf16le,
            PasswordEncoding::Latin1,
        ]
        .into_iter()
        .filter(|&e| !same_bytes(e, h.password_encoding))
        .map(|e| Variant {
            password_encoding: Some(e),
            ..Variant::default()
        })
        .collect(),
    );
    if let Some(k) = h.scheme.key() {
        dims.push(
            ENCODINGS
                .into_iter()
                .filter(|&e| e != k.encoding)
                .map(|e| Variant {
                    key_encoding: Some(e),
                    ..Variant::default()
                })
                .collect(),
        );
    }
    dims.retain(|d| !d.is_empty());
    dims
}

/// Combines two variants that change different settings.
fn combine(a: &Variant, b: &Variant) -> Variant {
    Variant {
        salt_position: a.salt_position.or(b.salt_position),
        salt_encoding: a.salt_encoding.or(b.salt_encoding),
        hash_encoding: a.hash_encoding.or(b.hash_encoding),
        key_encoding: a.key_encoding.or(b.key_encoding),
        password_encoding: a.password_encoding.or(b.password_encoding),
    }
}

/// The variants to try, fewest changes first.
pub fn variants(h: &CustomPasswordHash<'_>) -> Vec<Variant> {
    let dims = dimensions(h);
    let mut out: Vec<Variant> = dims.iter().flatten().copied().collect();
    if cheap(&h.scheme) {
        // Every combination of changes in several dimensions, by number of changes.
        let mut level: Vec<(usize, Variant)> = dims
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.iter().map(move |v| (i, *v)))
            .collect();
        for _ in 1..dims.len() {
            let mut next = Vec::new();
            for (last, v) in &level {
                for (j, d) in dims.iter().enumerate().skip(last + 1) {
                    for w in d {
                        next.push((j, combine(v, w)));
                    }
                }
            }
            out.extend(next.iter().map(|(_, v)| *v));
            level = next;
        }
    }
    out
}

/// The first variant that matches, as the settings it changes.
fn search(h: &CustomPasswordHash<'_>, password: &str, limits: &Limits) -> Option<Vec<Setting>> {
    variants(h)
        .into_iter()
        .find(|v| compute::verify_custom(h, password, v, limits) == Outcome::Match)
        .map(|v| describe(&v))
}

fn describe(v: &Variant) -> Vec<Setting> {
    let mut out = Vec::new();
    if let Some(p) = v.salt_position {
        out.push(("salt_position", position_name(p)));
    }
    if let Some(e) = v.salt_encoding {
        out.push(("salt_encoding", e.name()));
    }
    if let Some(e) = v.hash_encoding {
        out.push(("hash_encoding", e.name()));
    }
    if let Some(e) = v.password_encoding {
        out.push(("password_encoding", password_encoding_name(e)));
    }
    if let Some(e) = v.key_encoding {
        out.push(("key_encoding", e.name()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(json: &str, f: impl FnOnce(&CustomPasswordHash<'_>)) {
        let mut parser = Parser::new();
        parser.parse(json.as_bytes(), |p| {
            let root = Value::root(p.unwrap().tape);
            let mut findings = Findings::new();
            let h = hash::rules::parse_custom_password_hash(root, &mut findings).unwrap();
            f(&h);
        });
    }

    #[test]
    fn fast_digests_try_every_combination_fewest_changes_first() {
        with_hash(
            r#"{"algorithm":"sha256","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s"}}"#,
            |h| {
                let v = variants(h);
                // salt side 1, salt encoding 2, hash encoding 1, password encoding 2:
                // 6 single changes, and every combination across dimensions: 2*3*2*3 - 1.
                assert_eq!(v.len(), 2 * 3 * 2 * 3 - 1);
                assert_eq!(
                    v[0],
                    Variant {
                        salt_position: Some(SaltPosition::Suffix),
                        ..Variant::default()
                    }
                );
                let changes = |v: &Variant| describe(v).len();
                assert!(v.windows(2).all(|w| changes(&w[0]) <= changes(&w[1])));
                assert!(v.iter().all(|x| *x != Variant::default()));
            },
        );
    }

    #[test]
    fn costly_algorithms_try_one_change_at_a_time() {
        with_hash(
            r#"{"algorithm":"bcrypt","hash":{"value":"$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"},"salt":{"value":"s","encoding":"utf8"}}"#,
            |h| {
                let v = variants(h);
                // salt side, two salt encodings, two password encodings.
                assert_eq!(v.len(), 5);
                assert!(v.iter().all(|x| describe(x).len() == 1));
            },
        );
    }
}
