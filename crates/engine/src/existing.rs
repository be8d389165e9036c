//! Decisions against existing users (SPEC 5.3, 5.4): a conflict, an insert, or an update
//! of the matched user.
//!
//! They depend only on the record and the snapshot, never on other records of the file, so
//! they run in the parallel record stage. In-file duplicates (5.2) depend on earlier records
//! and take precedence; [`crate::reconcile`] applies them afterwards, in order.

use crate::doc::Value;
use crate::finding::{Code, Findings};
pub use crate::keys::MatchOn;
use crate::keys::{KeyKind, lower_in_place};
use crate::snapshot::{Snapshot, User, UserNo};

/// The existing users and what to do with a record that matches one.
#[derive(Clone, Copy, Debug)]
pub struct Existing<'s> {
    pub snapshot: &'s Snapshot,
    /// `None`: upsert off (5.3).
    pub upsert: Option<MatchOn>,
    pub merge_metadata: bool,
}

/// What the existing users make of a schema-valid record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Insert,
    /// Conflict errors are in the findings.
    Fail,
    /// An update of this user; its warnings are in the findings.
    Update(UserNo),
}

/// Attributes an update carries (SPEC 5.4).
pub const UPSERTABLE: [&str; 10] = [
    "app_metadata",
    "user_metadata",
    "email_verified",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "custom_password_hash",
    "mfa_factors",
];

const EXISTS_NO_UPSERT: &str = "The user already exist and upsert parameter is false";
const EXISTS_OTHER_KEY_EMAIL: &str =
    "The user already exists, and upsert matches existing users by email only";
const EXISTS_OTHER_KEY_USER_ID: &str =
    "The user already exists, and upsert matches existing users by user_id only";
const HASH_DEFINED: &str =
    "A custom_password_hash was provided, but the user already has password hash defined.";

/// Reusable strings for reading existing users.
#[derive(Debug, Default)]
pub struct Scratch {
    a: String,
    b: String,
}

/// Decides a schema-valid record. `keys` are the record's identity keys as the engine forms
/// them (lower-cased, prefixed), by [`KeyKind`]; `root` is the record.
pub fn decide(
    ex: &Existing<'_>,
    keys: [Option<&[u8]>; 4],
    root: Value<'_, '_>,
    findings: &mut Findings,
    s: &mut Scratch,
) -> Verdict {
    let mut holders: [Option<UserNo>; 4] = [None; 4];
    for kind in KeyKind::ALL {
        if let Some(key) = keys[kind as usize] {
            holders[kind as usize] = ex.snapshot.holder(kind, key, &mut s.a);
        }
    }
    let matched = ex
        .upsert
        .and_then(|on| holders[on.kind() as usize].map(|m| (on, m)));
    match matched {
        None => no_upsert(ex, &holders, findings, s),
        Some((on, m)) => upsert(ex, on, m, &holders, root, findings, s),
    }
}

/// 5.3: every key an existing user holds is an error, in key order, naming the holder.
fn no_upsert(
    ex: &Existing<'_>,
    holders: &[Option<UserNo>; 4],
    findings: &mut Findings,
    s: &mut Scratch,
) -> Verdict {
    for kind in KeyKind::ALL {
        let Some(holder) = holders[kind as usize] else {
            continue;
        };
        holder_id(ex, holder, &mut s.b);
        match kind {
            KeyKind::Email | KeyKind::UserId => {
                let message = match ex.upsert {
                    None => EXISTS_NO_UPSERT,
                    // Auth0's text would blame a flag the user did set (SPEC is silent;
                    // README "Decisions"): say which key upsert matched on instead.
                    Some(MatchOn::Email) => EXISTS_OTHER_KEY_EMAIL,
                    Some(MatchOn::UserId) => EXISTS_OTHER_KEY_USER_ID,
                };
                findings.error_existing(Code::DuplicatedUser, kind, None, message, &s.b);
            }
            KeyKind::Username => findings.error_existing(
                Code::ConflictUsername,
                kind,
                Some("username"),
                "A user with this username already exists",
                &s.b,
            ),
            KeyKind::Phone => findings.error_existing(
                Code::Conflict,
                kind,
                Some("phone_number"),
                "A user with this phone_number already exists",
                &s.b,
            ),
        }
    }
    if findings.has_errors() {
        findings.clear_warnings();
        Verdict::Fail
    } else {
        Verdict::Insert
    }
}

/// The `user_id` of existing user `m`, as the export holds it, into `out`.
fn holder_id(ex: &Existing<'_>, m: UserNo, out: &mut String) {
    out.clear();
    ex.snapshot.user(m).string("user_id", out);
}

/// 5.4: the record matches existing user `m` on `on`.
fn upsert(
    ex: &Existing<'_>,
    on: MatchOn,
    m: UserNo,
    holders: &[Option<UserNo>; 4],
    root: Value<'_, '_>,
    findings: &mut Findings,
    s: &mut Scratch,
) -> Verdict {
    let user = ex.snapshot.user(m);
    for kind in KeyKind::ALL {
        if kind == on.kind() {
            if on == MatchOn::UserId && !ex.snapshot.in_connection(m) {
                findings.error_verbatim(
                    Code::Conflict,
                    "user_id",
                    "The user with this user_id belongs to another connection",
                );
            }
            continue;
        }
        let Some(holder) = holders[kind as usize].filter(|&h| h != m) else {
            continue;
        };
        let (code, field) = match kind {
            KeyKind::Email => (Code::ConflictEmail, "email"),
            KeyKind::UserId => (Code::Conflict, "user_id"),
            KeyKind::Username => (Code::ConflictUsername, "username"),
            KeyKind::Phone => (Code::Conflict, "phone_number"),
        };
        s.a.clear();
        s.a.push_str("A user with this ");
        s.a.push_str(field);
        s.a.push_str(" already exists");
        holder_id(ex, holder, &mut s.b);
        findings.error_existing(code, kind, Some(field), &s.a, &s.b);
    }
    if root.get("custom_password_hash").is_some() && user.logged_in() {
        findings.error_verbatim(Code::Conflict, "custom_password_hash", HASH_DEFINED);
    }
    if findings.has_errors() {
        findings.clear_warnings();
        return Verdict::Fail;
    }
    findings.retain_warnings(|c| c != Code::NoPassword);
    not_upsertable(on, &user, root, findings, s);
    if ex.merge_metadata {
        for (key, _) in first_entries(root) {
            if matches!(key, "app_metadata" | "user_metadata") && user.field(key).is_none() {
                findings.warn(
                    Code::MetadataNotInSnapshot,
                    key,
                    format_args!(
                        "{key} is not in the existing-users export: the update replaces the user's whole {key}"
                    ),
                );
            }
        }
    }
    Verdict::Update(m)
}

/// `NOT_UPSERTABLE` for each attribute the update leaves out although it would have changed
/// something (SPEC 10), in the record's key order.
fn not_upsertable(
    on: MatchOn,
    user: &User<'_>,
    root: Value<'_, '_>,
    findings: &mut Findings,
    s: &mut Scratch,
) {
    for (key, _) in first_entries(root) {
        // The last value is the one JSON.parse keeps.
        let Some(v) = root.get(key) else { continue };
        let changes = match key {
            "password_hash" => true,
            "blocked" | "phone_verified" => {
                let theirs = user.field(key);
                let mine: &[u8] = if v.as_bool() == Some(true) {
                    b"true"
                } else {
                    b"false"
                };
                theirs != Some(mine)
            }
            "username" | "phone_number" => {
                let kind = if key == "username" {
                    KeyKind::Username
                } else {
                    KeyKind::Phone
                };
                !user.key(kind, &mut s.a) || !same(v, kind, &s.a, &mut s.b)
            }
            "email" if on == MatchOn::UserId => {
                !user.key(KeyKind::Email, &mut s.a) || !same(v, KeyKind::Email, &s.a, &mut s.b)
            }
            "user_id" if on == MatchOn::Email => {
                !user.string("user_id", &mut s.a)
                    || v.as_str()
                        .is_none_or(|id| s.a.strip_prefix("auth0|") != Some(id))
            }
            _ => false,
        };
        if changes {
            findings.warn(
                Code::NotUpsertable,
                key,
                format_args!("{key} is not upsertable: the update leaves it unchanged"),
            );
        }
    }
}

/// Whether the record's value `v` of a key of `kind` equals `theirs` (already formed).
fn same(v: Value<'_, '_>, kind: KeyKind, theirs: &str, scratch: &mut String) -> bool {
    let Some(mine) = v.as_str() else {
        return false;
    };
    if matches!(kind, KeyKind::Email | KeyKind::Username) {
        scratch.clear();
        scratch.push_str(mine);
        lower_in_place(scratch);
        scratch == theirs
    } else {
        mine == theirs
    }
}

/// The members of an object, each key once, at its first position.
pub fn first_entries<'t, 'a>(
    root: Value<'t, 'a>,
) -> impl Iterator<Item = (&'a str, Value<'t, 'a>)> {
    root.members_all()
        .filter(|m| !m.repeat)
        .map(|m| (m.key, m.value))
}
