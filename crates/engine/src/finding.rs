//! Findings: the error and warning codes a record can earn, and a reusable arena that
//! collects them without allocating per record.

use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::ops::Range;

use crate::keys::KeyKind;

/// A stable code for an error or a warning (SPEC section 7), written on the wire by
/// [`Code::as_str`] (`OBJECT_REQUIRED`).
///
/// An error means Auth0 would reject the record: it is counted in `failed` and not imported.
/// A warning means Auth0 would accept the record but it will hurt later; the record is still
/// imported, unless the engine denies warnings ([`Code::WarningDenied`]). Auth0 itself
/// reports no warnings: every warning code is ours. Auth0's `ANY_OF_MISSING`,
/// `CONNECTION_NOT_FOUND`, `MAXIMUM` and `MFA_FACTORS_FAILED` have no variant, because no
/// rule produces them; the enum is `#[non_exhaustive]` so that codes can be added.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // Auth0's documented codes: errors.
    /// Error (Auth0): an array has too many items (`mfa_factors` holds at most 10).
    ArrayLengthLong,
    /// Error (Auth0): an array has too few items (`mfa_factors` needs at least 1).
    ArrayLengthShort,
    /// Error (Auth0): a key held by another existing user, or an update that cannot apply.
    Conflict,
    /// Error (Auth0): matching on `user_id`, the email belongs to another existing user.
    ConflictEmail,
    /// Error (Auth0): the username belongs to another existing user.
    ConflictUsername,
    /// Error (Auth0): a key an earlier record took, or an existing user's email or `user_id`.
    DuplicatedUser,
    /// Error (Auth0): a value outside its list, e.g. an unknown hash `algorithm` or encoding.
    EnumMismatch,
    /// Error (Auth0): not an email (SPEC 2.2), a username that is one, a `cost` not a power of 2.
    Format,
    /// Error (Auth0): a value of the wrong JSON type (`null` too), or a record not an object.
    InvalidType,
    /// Error (Auth0): a string longer than its maximum, in Unicode scalar values.
    MaxLength,
    /// Error (Auth0): a string shorter than its minimum (an empty `user_id` or `username`).
    MinLength,
    /// Error (Auth0): a number below its minimum (`keylen`, `cost`, `blockSize`, ...).
    Minimum,
    /// Error (Auth0): a forbidden property: an `app_metadata` key, both hashes, an unwanted salt.
    NotPassed,
    /// Error (Auth0): a required property is missing; the path names it.
    ObjectRequired,
    /// Error (Auth0): a string does not match its pattern; the message never quotes a secret.
    Pattern,
    // Ours, for cases Auth0 names no code for: errors.
    /// Error (ours): a property the schema does not know; the path names it.
    ObjectAdditionalProperties,
    /// Error (ours): an `mfa_factors` item with more than one key.
    ObjectPropertiesMaximum,
    /// Error (ours): an `mfa_factors` item with no key.
    ObjectPropertiesMinimum,
    /// Error (ours): not JSON (an NDJSON line), invalid UTF-8, or an unpaired surrogate.
    InvalidJson,
    /// Error (ours): the record nests deeper than 64 levels.
    MaxDepth,
    /// Error (ours): the record is larger than 1 MiB (1,048,576 bytes).
    MaxSize,
    /// Error (ours): a warning denied by [`Builder::deny_warnings`]; the message names its code.
    ///
    /// [`Builder::deny_warnings`]: crate::Builder::deny_warnings
    WarningDenied,
    // Warnings (all ours).
    /// Warning: a key repeated in one object; the last value wins, as in Auth0's JSON.parse.
    DuplicateProperty,
    /// Warning: the `user_id` already starts with `auth0|`, so Auth0 stores the prefix twice.
    DoublePrefix,
    /// Warning: an insert with no password hash; the user must reset the password to log in.
    NoPassword,
    /// Warning: a hash, salt or key is not valid hex or base64; no password will verify.
    HashNotDecodable,
    /// Warning: the decoded hash is not the algorithm's length; no password will verify.
    HashLengthMismatch,
    /// Warning: the hash's cost is so high that a login could time out.
    HashCostExcessive,
    /// Warning: an update leaves out a supplied attribute that Auth0 does not update.
    NotUpsertable,
    /// Warning: `picture` is not an absolute http(s) URL.
    PictureNotUrl,
    /// Warning: the record is larger than 10 KB (10,240 bytes); Auth0 flags such profiles.
    ProfileTooLarge,
    /// Warning: metadata cannot be merged, because the export lacks the user's object.
    MetadataNotInSnapshot,
}

impl Code {
    /// Every code, in declaration order.
    pub const ALL: [Code; 32] = [
        Code::ArrayLengthLong,
        Code::ArrayLengthShort,
        Code::Conflict,
        Code::ConflictEmail,
        Code::ConflictUsername,
        Code::DuplicatedUser,
        Code::EnumMismatch,
        Code::Format,
        Code::InvalidType,
        Code::MaxLength,
        Code::MinLength,
        Code::Minimum,
        Code::NotPassed,
        Code::ObjectRequired,
        Code::Pattern,
        Code::ObjectAdditionalProperties,
        Code::ObjectPropertiesMaximum,
        Code::ObjectPropertiesMinimum,
        Code::InvalidJson,
        Code::MaxDepth,
        Code::MaxSize,
        Code::WarningDenied,
        Code::DuplicateProperty,
        Code::DoublePrefix,
        Code::NoPassword,
        Code::HashNotDecodable,
        Code::HashLengthMismatch,
        Code::HashCostExcessive,
        Code::NotUpsertable,
        Code::PictureNotUrl,
        Code::ProfileTooLarge,
        Code::MetadataNotInSnapshot,
    ];

    /// The code as it appears on the wire, e.g. `OBJECT_REQUIRED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::ArrayLengthLong => "ARRAY_LENGTH_LONG",
            Code::ArrayLengthShort => "ARRAY_LENGTH_SHORT",
            Code::Conflict => "CONFLICT",
            Code::ConflictEmail => "CONFLICT_EMAIL",
            Code::ConflictUsername => "CONFLICT_USERNAME",
            Code::DuplicatedUser => "DUPLICATED_USER",
            Code::EnumMismatch => "ENUM_MISMATCH",
            Code::Format => "FORMAT",
            Code::InvalidType => "INVALID_TYPE",
            Code::MaxLength => "MAX_LENGTH",
            Code::MinLength => "MIN_LENGTH",
            Code::Minimum => "MINIMUM",
            Code::NotPassed => "NOT_PASSED",
            Code::ObjectRequired => "OBJECT_REQUIRED",
            Code::Pattern => "PATTERN",
            Code::ObjectAdditionalProperties => "OBJECT_ADDITIONAL_PROPERTIES",
            Code::ObjectPropertiesMaximum => "OBJECT_PROPERTIES_MAXIMUM",
            Code::ObjectPropertiesMinimum => "OBJECT_PROPERTIES_MINIMUM",
            Code::InvalidJson => "INVALID_JSON",
            Code::MaxDepth => "MAX_DEPTH",
            Code::MaxSize => "MAX_SIZE",
            Code::WarningDenied => "WARNING_DENIED",
            Code::DuplicateProperty => "DUPLICATE_PROPERTY",
            Code::DoublePrefix => "DOUBLE_PREFIX",
            Code::NoPassword => "NO_PASSWORD",
            Code::HashNotDecodable => "HASH_NOT_DECODABLE",
            Code::HashLengthMismatch => "HASH_LENGTH_MISMATCH",
            Code::HashCostExcessive => "HASH_COST_EXCESSIVE",
            Code::NotUpsertable => "NOT_UPSERTABLE",
            Code::PictureNotUrl => "PICTURE_NOT_URL",
            Code::ProfileTooLarge => "PROFILE_TOO_LARGE",
            Code::MetadataNotInSnapshot => "METADATA_NOT_IN_SNAPSHOT",
        }
    }

    /// Parses a wire code back into a `Code`.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One error or warning as collected: path and message live in the owning [`Findings`]'
/// text arena.
#[derive(Clone, Debug)]
struct Entry {
    pub code: Code,
    /// `None` for Auth0's path-less errors (a duplicate of an existing user).
    has_path: bool,
    path: Range<u32>,
    message: Range<u32>,
    cause: Cause<Range<u32>>,
}

/// What a duplicate or a conflict is about, beside Auth0's message: the earlier record of
/// the file or the existing user that holds the key. `S` is the existing user's `user_id`,
/// a string or a range of a text arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cause<S> {
    /// A finding of the record alone.
    #[default]
    None,
    /// An in-file duplicate: the 0-based index of the earlier record that took the key.
    /// `None` past 2^32 - 1 records, which the in-file index does not number.
    DuplicateOf(Option<u64>),
    /// A key an existing user holds: that user's `user_id`, and the key (named here because
    /// Auth0's `DUPLICATED_USER` for an existing user carries no path).
    Existing {
        /// The holder's `user_id`, as the export holds it.
        user_id: S,
        /// The key it holds.
        key: KeyKind,
    },
}

impl<S> Cause<S> {
    pub(crate) fn map<T>(self, f: impl FnOnce(S) -> T) -> Cause<T> {
        match self {
            Cause::None => Cause::None,
            Cause::DuplicateOf(i) => Cause::DuplicateOf(i),
            Cause::Existing { user_id, key } => Cause::Existing {
                user_id: f(user_id),
                key,
            },
        }
    }
}

/// The errors and warnings of one record.
///
/// Built for reuse: `clear` keeps the capacity, so a worker that processes millions of
/// records allocates only while its buffers grow.
#[derive(Default, Debug)]
pub struct Findings {
    errors: Vec<Entry>,
    warnings: Vec<Entry>,
    text: String,
    /// The (code, path) pairs of the errors, once there are many: de-duplicating by a scan
    /// made an object with 100,000 unknown keys take 27 s (quadratic); a record with few
    /// errors never allocates this.
    seen: HashSet<(Code, Box<str>)>,
}

/// Up to this many errors, de-duplication scans them.
const SCAN_ERRORS: usize = 16;

/// One error or warning of a record: its code, the path of the offending property and
/// the message, as the output line writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding<'a> {
    /// The code, e.g. [`Code::Format`].
    pub code: Code,
    /// The property's path, e.g. `"app_metadata.roles[1]"`, `""` for the record as a whole;
    /// `None` for Auth0's path-less errors (a conflict with an existing user).
    pub path: Option<&'a str>,
    /// The message. It names properties and parameters, never a secret's value.
    pub message: &'a str,
    /// For a duplicate or a conflict: the earlier record or the existing user behind it.
    pub cause: Cause<&'a str>,
}

impl Findings {
    /// An empty collection; it allocates on its first finding.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties it for the next record, keeping its capacity.
    pub fn clear(&mut self) {
        if !self.seen.is_empty() {
            self.seen = HashSet::new();
        }
        self.errors.clear();
        self.warnings.clear();
        self.text.clear();
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Whether any warning is kept.
    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }

    /// Records a schema error with the standard message `Error in <path> property - <detail>`.
    ///
    /// Each distinct (code, path) pair is kept once (SPEC section 10).
    #[cold]
    pub fn error(&mut self, code: Code, path: &str, detail: fmt::Arguments<'_>) {
        if self.errors.len() < SCAN_ERRORS {
            if self
                .errors
                .iter()
                .any(|f| f.code == code && self.slice(&f.path) == path)
            {
                return;
            }
        } else {
            if self.seen.is_empty() {
                let known: Vec<_> = self
                    .errors
                    .iter()
                    .map(|f| (f.code, self.slice(&f.path).into()))
                    .collect();
                self.seen.extend(known);
            }
            if !self.seen.insert((code, path.into())) {
                return;
            }
        }
        let f = self.push_text(code, path, |t| {
            if path.is_empty() {
                t.write_fmt(detail)
            } else {
                write!(t, "Error in {path} property - {detail}")
            }
        });
        self.errors.push(f);
    }

    /// Records an error whose message is given verbatim (Auth0's fixed texts, section 5).
    /// Not de-duplicated: conflict rules keep one error per matched key.
    #[cold]
    pub fn error_verbatim(&mut self, code: Code, path: &str, message: &str) {
        if !self.seen.is_empty() {
            self.seen.insert((code, path.into()));
        }
        let f = self.push_text(code, path, |t| t.write_str(message));
        self.errors.push(f);
    }

    /// Records an in-file duplicate (SPEC 5.2) of the earlier record `owner`.
    #[cold]
    pub fn error_duplicate(&mut self, kind: KeyKind, owner: Option<u64>) {
        let field = kind.field();
        let mut f = self.push_text(Code::DuplicatedUser, field, |t| {
            write!(t, "A user with this {field} was already provided.")
        });
        f.cause = Cause::DuplicateOf(owner);
        self.errors.push(f);
    }

    /// Records a key held by the existing user `user_id` (SPEC 5.3, 5.4), with a verbatim
    /// message; `path: None` for Auth0's path-less `DUPLICATED_USER`.
    #[cold]
    pub fn error_existing(
        &mut self,
        code: Code,
        key: KeyKind,
        path: Option<&str>,
        message: &str,
        user_id: &str,
    ) {
        if !self.seen.is_empty() {
            self.seen.insert((code, path.unwrap_or("").into()));
        }
        let mut f = self.push_text(code, path.unwrap_or(""), |t| t.write_str(message));
        f.has_path = path.is_some();
        let s = self.text.len() as u32;
        self.text.push_str(user_id);
        f.cause = Cause::Existing {
            user_id: s..self.text.len() as u32,
            key,
        };
        self.errors.push(f);
    }

    /// Records a warning.
    #[cold]
    pub fn warn(&mut self, code: Code, path: &str, message: fmt::Arguments<'_>) {
        let f = self.push_text(code, path, |t| t.write_fmt(message));
        self.warnings.push(f);
    }

    /// Keeps only the warnings whose code passes `keep`.
    pub fn retain_warnings(&mut self, mut keep: impl FnMut(Code) -> bool) {
        self.warnings.retain(|w| keep(w.code));
    }

    /// Drops every warning (an error line carries none).
    pub fn clear_warnings(&mut self) {
        self.warnings.clear();
    }

    /// Turns every warning into a `WARNING_DENIED` error naming the warning's code.
    pub fn deny_warnings(&mut self) {
        let warnings = std::mem::take(&mut self.warnings);
        for w in &warnings {
            let (path, msg) = (
                self.slice(&w.path).to_owned(),
                self.slice(&w.message).to_owned(),
            );
            let text = format!("Warning {} denied: {}", w.code, msg);
            self.error_verbatim(Code::WarningDenied, &path, &text);
        }
        self.warnings = warnings;
        self.warnings.clear();
    }

    /// The errors, in the order they were recorded.
    pub fn errors(&self) -> impl ExactSizeIterator<Item = Finding<'_>> + '_ {
        self.errors.iter().map(|f| self.resolve(f))
    }

    /// The warnings, in the order they were recorded.
    pub fn warnings(&self) -> impl ExactSizeIterator<Item = Finding<'_>> + '_ {
        self.warnings.iter().map(|f| self.resolve(f))
    }

    fn resolve(&self, f: &Entry) -> Finding<'_> {
        Finding {
            code: f.code,
            path: f.has_path.then(|| self.slice(&f.path)),
            message: self.slice(&f.message),
            cause: f.cause.clone().map(|r| self.slice(&r)),
        }
    }

    fn slice(&self, r: &Range<u32>) -> &str {
        &self.text[r.start as usize..r.end as usize]
    }

    fn push_text(
        &mut self,
        code: Code,
        path: &str,
        message: impl FnOnce(&mut String) -> fmt::Result,
    ) -> Entry {
        let p0 = self.text.len() as u32;
        self.text.push_str(path);
        let p1 = self.text.len() as u32;
        // Writing into a String cannot fail.
        let _ = message(&mut self.text);
        let m1 = self.text.len() as u32;
        Entry {
            code,
            has_path: true,
            path: p0..p1,
            message: p1..m1,
            cause: Cause::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Code::ALL {
            assert_eq!(Code::from_name(c.as_str()), Some(c));
        }
    }

    #[test]
    fn schema_errors_are_deduplicated_by_code_and_path() {
        let mut f = Findings::new();
        f.error(Code::Pattern, "email", format_args!("x"));
        f.error(Code::Pattern, "email", format_args!("y"));
        f.error(Code::Pattern, "username", format_args!("z"));
        let e: Vec<_> = f.errors().collect();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].message, "Error in email property - x");
    }

    #[test]
    fn deny_turns_warnings_into_errors() {
        let mut f = Findings::new();
        f.warn(Code::NoPassword, "", format_args!("no hash"));
        f.deny_warnings();
        assert!(!f.has_warnings());
        let e: Vec<_> = f.errors().collect();
        assert_eq!(e[0].code, Code::WarningDenied);
        assert!(e[0].message.contains("NO_PASSWORD"));
    }
}
