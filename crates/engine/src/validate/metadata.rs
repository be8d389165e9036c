//! `app_metadata` and `user_metadata` (SPEC 2.3): forbidden top-level keys of
//! `app_metadata`, and keys containing `.` or `$` at any depth in both.

use super::{push_index, push_key};
use crate::doc::{Kind, Value};
use crate::finding::{Code, Findings};

/// Top-level `app_metadata` keys Auth0 reserves (exact case).
const FORBIDDEN_APP_KEYS: [&str; 18] = [
    "__tenant",
    "_id",
    "blocked",
    "clientID",
    "created_at",
    "email_verified",
    "email",
    "globalClientID",
    "global_client_id",
    "identities",
    "lastIP",
    "lastLogin",
    "loginsCount",
    "metadata",
    "multifactor_last_modified",
    "multifactor",
    "updated_at",
    "user_id",
];

pub(super) fn check(obj: Value<'_, '_>, app: bool, path: &mut String, out: &mut Findings) {
    path.clear();
    path.push_str(if app { "app_metadata" } else { "user_metadata" });
    if app {
        for (key, _) in obj.members() {
            if FORBIDDEN_APP_KEYS.contains(&key) {
                let at = push_key(path, key);
                out.error(
                    Code::NotPassed,
                    path,
                    format_args!("Forbidden attribute in app_metadata: {key}"),
                );
                path.truncate(at);
            }
        }
    }
    // Almost no record has such a key: find that out without forming a path for every key,
    // and walk again, forming paths, only for the records that do.
    if obj.has_dotted_key().unwrap_or_else(|| has_bad_key(obj)) {
        keys(obj, path, out);
    }
    path.clear();
}

fn bad_key(key: &str) -> bool {
    key.bytes().any(|b| b == b'.' || b == b'$')
}

/// Whether some key that `JSON.parse` keeps, at any depth, contains `.` or `$`.
fn has_bad_key(v: Value<'_, '_>) -> bool {
    match v.kind() {
        Kind::Object => v
            .members()
            .any(|(key, child)| bad_key(key) || has_bad_key(child)),
        Kind::Array => v.elements().any(has_bad_key),
        _ => false,
    }
}

fn keys(v: Value<'_, '_>, path: &mut String, out: &mut Findings) {
    match v.kind() {
        Kind::Object => {
            // Only the members JSON.parse keeps: a value overwritten by a repeated key never
            // reaches Auth0, so its keys are not its to reject.
            for (key, child) in v.members() {
                let at = push_key(path, key);
                if bad_key(key) {
                    out.error(
                        Code::Pattern,
                        path,
                        format_args!("String does not match pattern ^[^.$]*$"),
                    );
                }
                keys(child, path, out);
                path.truncate(at);
            }
        }
        Kind::Array => {
            for (i, child) in v.elements().enumerate() {
                if matches!(child.kind(), Kind::Object | Kind::Array) {
                    let at = push_index(path, i);
                    keys(child, path, out);
                    path.truncate(at);
                }
            }
        }
        _ => {}
    }
}
