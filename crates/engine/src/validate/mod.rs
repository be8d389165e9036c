//! Schema rules (SPEC 2, 4 and the property rules of 10): every top-level property, the
//! metadata objects, `mfa_factors`, duplicate keys at any depth, and the record-level
//! warnings. Hash rules live in [`crate::hash`].

pub mod email;
mod metadata;
mod mfa;
pub mod strings;

use crate::doc::{Kind, Value};
use crate::finding::{Code, Findings};
use crate::hash;

/// The identity values of a record as supplied (not yet lower-cased or prefixed), last
/// value wins. Only meaningful when the record has no schema error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity<'a> {
    pub email: Option<&'a str>,
    pub username: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub phone_number: Option<&'a str>,
}

/// The top-level properties the import schema accepts (SPEC 2.1), in the table's order;
/// any other key is `OBJECT_ADDITIONAL_PROPERTIES`. [`validate`] matches the same names.
pub const PROPERTIES: [&str; 17] = [
    "email",
    "email_verified",
    "phone_number",
    "phone_verified",
    "user_id",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
    "password_hash",
    "custom_password_hash",
    "app_metadata",
    "user_metadata",
    "mfa_factors",
];

/// Records over this many raw bytes get `PROFILE_TOO_LARGE`.
pub const PROFILE_WARN_BYTES: usize = 10_240;

/// Applies every schema rule to a record whose root is an object, and the warnings that do
/// not depend on reconciliation. `raw_len` is the record's size in bytes.
pub fn validate<'a>(
    root: Value<'_, 'a>,
    raw_len: usize,
    out: &mut Findings,
    path: &mut String,
) -> Identity<'a> {
    let mut id = Identity::default();
    let (mut password_hash, mut custom) = (None, None);
    let mut email_seen = false;

    // JSON.parse keeps the last of repeated keys; earlier ones are only warned about.
    for (key, value) in root.members() {
        match key {
            "email" => {
                email_seen = true;
                if let Some(s) = string(value, key, out) {
                    if !email::is_email(s) {
                        out.error(
                            Code::Format,
                            key,
                            format_args!("Object didn't pass validation for format email: {s}"),
                        );
                    }
                    id.email = Some(s);
                }
            }
            "email_verified" | "phone_verified" | "blocked" => {
                expect_kind(value, Kind::Boolean, key, out);
            }
            "phone_number" => {
                if let Some(s) = string(value, key, out) {
                    if !strings::is_e164(s) {
                        out.error(
                            Code::Pattern,
                            key,
                            format_args!("String does not match pattern {}", strings::E164),
                        );
                    }
                    id.phone_number = Some(s);
                }
            }
            "user_id" => {
                if let Some(s) = string(value, key, out) {
                    strings::length(s, key, 1, 255, out);
                    if strings::has_js_space(s) {
                        out.error(
                            Code::Pattern,
                            key,
                            format_args!("String does not match pattern ^\\S+$"),
                        );
                    }
                    id.user_id = Some(s);
                }
            }
            "username" => {
                if let Some(s) = string(value, key, out) {
                    if s.is_empty() {
                        strings::length(s, key, 1, 128, out);
                    } else {
                        strings::length(s, key, 1, 128, out);
                        if !s.bytes().all(strings::is_username_byte) {
                            out.error(
                                Code::Pattern,
                                key,
                                format_args!("String does not match pattern {}", strings::USERNAME),
                            );
                        }
                        if s.contains('@') && email::is_email(s) {
                            out.error(
                                Code::Format,
                                key,
                                format_args!("Username must not be an email address"),
                            );
                        }
                    }
                    id.username = Some(s);
                }
            }
            "given_name" | "family_name" => {
                if let Some(s) = string(value, key, out) {
                    strings::length(s, key, 1, 150, out);
                }
            }
            "name" | "nickname" => {
                if let Some(s) = string(value, key, out) {
                    strings::length(s, key, 1, 300, out);
                }
            }
            "picture" => {
                if let Some(s) = string(value, key, out)
                    && !strings::is_absolute_http_url(s)
                {
                    out.warn(
                        Code::PictureNotUrl,
                        key,
                        format_args!("picture is not an absolute http(s) URL"),
                    );
                }
            }
            "password_hash" => {
                if let Some(s) = string(value, key, out) {
                    hash::check_password_hash(s, out);
                }
                password_hash = Some(value);
            }
            "custom_password_hash" => {
                if expect_kind(value, Kind::Object, key, out) {
                    hash::check_custom_password_hash(value, out);
                }
                custom = Some(value);
            }
            "app_metadata" | "user_metadata" => {
                if expect_kind(value, Kind::Object, key, out) {
                    metadata::check(value, key == "app_metadata", path, out);
                }
            }
            "mfa_factors" => {
                if expect_kind(value, Kind::Array, key, out) {
                    mfa::check(value, path, out);
                }
            }
            _ => {
                out.error(
                    Code::ObjectAdditionalProperties,
                    key,
                    format_args!("Additional properties not allowed: {key}"),
                );
            }
        }
    }

    if !email_seen {
        out.error(
            Code::ObjectRequired,
            "email",
            format_args!("Missing required property: email"),
        );
    }
    if password_hash.is_some() && custom.is_some() {
        out.error(
            Code::NotPassed,
            "password_hash",
            format_args!("Forbidden attribute in appUser: password_hash"),
        );
    }
    if password_hash.is_none() && custom.is_none() {
        out.warn(
            Code::NoPassword,
            "",
            format_args!("no password hash: the user must reset the password at first login"),
        );
    }
    if let Some(uid) = id.user_id
        && uid.starts_with("auth0|")
    {
        out.warn(
            Code::DoublePrefix,
            "user_id",
            format_args!("user_id already starts with auth0|; Auth0 stores it as auth0|{uid}"),
        );
    }
    if raw_len > PROFILE_WARN_BYTES {
        out.warn(
            Code::ProfileTooLarge,
            "",
            format_args!("the record is {raw_len} bytes, over Auth0's {PROFILE_WARN_BYTES}-byte profile limit"),
        );
    }
    if root.no_repeats_anywhere() != Some(true) {
        path.clear();
        duplicate_keys(root, path, out);
    }
    id
}

/// `INVALID_TYPE` unless `value` has kind `want`; returns whether it has.
pub(crate) fn expect_kind(
    value: Value<'_, '_>,
    want: Kind,
    path: &str,
    out: &mut Findings,
) -> bool {
    let got = value.kind();
    if got == want {
        return true;
    }
    out.error(
        Code::InvalidType,
        path,
        format_args!("invalid type: {} (expected {})", got.name(), want.name()),
    );
    false
}

/// The string value, or `INVALID_TYPE`.
pub(crate) fn string<'a>(value: Value<'_, 'a>, path: &str, out: &mut Findings) -> Option<&'a str> {
    if expect_kind(value, Kind::String, path, out) {
        value.as_str()
    } else {
        None
    }
}

/// Appends `.key` (or `key` at the root) to a path buffer; returns the previous length.
pub(crate) fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    len
}

/// Appends `[i]` to a path buffer; returns the previous length.
pub(crate) fn push_index(path: &mut String, i: usize) -> usize {
    let len = path.len();
    path.push('[');
    let mut b = itoa::Buffer::new();
    path.push_str(b.format(i));
    path.push(']');
    len
}

/// `DUPLICATE_PROPERTY`: one warning per key repeated in an object, at any depth.
fn duplicate_keys(v: Value<'_, '_>, path: &mut String, out: &mut Findings) {
    match v.kind() {
        Kind::Object => {
            for m in v.members_all() {
                let (key, child) = (m.key, m.value);
                if m.first_of_repeated() {
                    let at = push_key(path, key);
                    out.warn(
                        Code::DuplicateProperty,
                        path,
                        format_args!(
                            "property {path} appears more than once; the last value is used"
                        ),
                    );
                    path.truncate(at);
                }
                if matches!(child.kind(), Kind::Object | Kind::Array) {
                    let at = push_key(path, key);
                    duplicate_keys(child, path, out);
                    path.truncate(at);
                }
            }
        }
        Kind::Array => {
            for (i, child) in v.elements().enumerate() {
                if matches!(child.kind(), Kind::Object | Kind::Array) {
                    let at = push_index(path, i);
                    duplicate_keys(child, path, out);
                    path.truncate(at);
                }
            }
        }
        _ => {}
    }
}
