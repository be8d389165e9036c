//! `mfa_factors` (SPEC 4): 1 to 10 factors, each an object with exactly one of `totp`,
//! `phone` or `email`.

use super::{email, expect_kind, push_index, push_key, string, strings};
use crate::doc::{Kind, Value};
use crate::finding::{Code, Findings};

const MAX_FACTORS: usize = 10;

pub(super) fn check(arr: Value<'_, '_>, path: &mut String, out: &mut Findings) {
    let n = arr.len();
    if n == 0 {
        out.error(
            Code::ArrayLengthShort,
            "mfa_factors",
            format_args!("Array is too short ({n}), minimum 1"),
        );
    } else if n > MAX_FACTORS {
        out.error(
            Code::ArrayLengthLong,
            "mfa_factors",
            format_args!("Array is too long ({n}), maximum {MAX_FACTORS}"),
        );
    }
    path.clear();
    path.push_str("mfa_factors");
    for (i, factor) in arr.elements().enumerate() {
        let at = push_index(path, i);
        if expect_kind(factor, Kind::Object, path, out) {
            check_factor(factor, path, out);
        }
        path.truncate(at);
    }
    path.clear();
}

fn check_factor(factor: Value<'_, '_>, path: &mut String, out: &mut Findings) {
    let mut distinct = 0;
    for (kind, value) in factor.members() {
        distinct += 1;
        let at = push_key(path, kind);
        let field = match kind {
            "totp" => Some("secret"),
            "phone" | "email" => Some("value"),
            _ => None,
        };
        match field {
            None => out.error(
                Code::ObjectAdditionalProperties,
                path,
                format_args!("Additional properties not allowed: {kind}"),
            ),
            Some(field) => {
                if expect_kind(value, Kind::Object, path, out) {
                    check_inner(kind, field, value, path, out);
                }
            }
        }
        path.truncate(at);
    }
    if distinct == 0 {
        out.error(
            Code::ObjectPropertiesMinimum,
            path,
            format_args!("Too few properties defined (0), minimum 1"),
        );
    } else if distinct > 1 {
        out.error(
            Code::ObjectPropertiesMaximum,
            path,
            format_args!("Too many properties defined ({distinct}), maximum 1"),
        );
    }
}

fn check_inner(kind: &str, field: &str, obj: Value<'_, '_>, path: &mut String, out: &mut Findings) {
    let mut seen = false;
    for (key, _) in obj.members() {
        if key != field {
            let at = push_key(path, key);
            out.error(
                Code::ObjectAdditionalProperties,
                path,
                format_args!("Additional properties not allowed: {key}"),
            );
            path.truncate(at);
        }
    }
    let at = push_key(path, field);
    if let Some(value) = obj.get(field) {
        seen = true;
        if let Some(s) = string(value, path, out) {
            let ok = match kind {
                // The secret itself must never reach a message: only the pattern is named.
                "totp" => {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                }
                "phone" => strings::is_e164(s),
                _ => email::is_email(s),
            };
            if !ok {
                match kind {
                    "totp" => out.error(
                        Code::Pattern,
                        path,
                        format_args!("String does not match pattern ^[A-Z2-7]+$"),
                    ),
                    "phone" => out.error(
                        Code::Pattern,
                        path,
                        format_args!("String does not match pattern {}", strings::E164),
                    ),
                    _ => out.error(
                        Code::Format,
                        path,
                        format_args!("Object didn't pass validation for format email: {s}"),
                    ),
                }
            }
        }
    }
    if !seen {
        out.error(
            Code::ObjectRequired,
            path,
            format_args!("Missing required property: {field}"),
        );
    }
    path.truncate(at);
}
