//! What each code means and how to fix the records that have it, for the report.
//!
//! Written for the person holding the users file, not for the engine: each fix says what
//! to change in the record, or which option decides differently.

use user_import::Code;

/// What a code means and what to do about it.
#[derive(Clone, Copy, Debug)]
pub struct Explanation {
    pub meaning: &'static str,
    pub fix: &'static str,
}

const fn e(meaning: &'static str, fix: &'static str) -> Explanation {
    Explanation { meaning, fix }
}

/// Whether `code` is a warning (the record is still imported) rather than an error.
pub fn is_warning(code: Code) -> bool {
    matches!(
        code,
        Code::DuplicateProperty
            | Code::DoublePrefix
            | Code::NoPassword
            | Code::HashNotDecodable
            | Code::HashLengthMismatch
            | Code::HashCostExcessive
            | Code::NotUpsertable
            | Code::PictureNotUrl
            | Code::ProfileTooLarge
            | Code::MetadataNotInSnapshot
    )
}

pub fn explain(code: Code) -> Explanation {
    match code {
        Code::ArrayLengthLong => e(
            "An array has too many items: mfa_factors holds at most 10.",
            "Keep at most 10 factors per user; enrol the others after the import.",
        ),
        Code::ArrayLengthShort => e(
            "An array has too few items: mfa_factors, when present, needs at least one.",
            "Remove an empty mfa_factors array, or put the user's factors in it.",
        ),
        Code::Conflict => e(
            "A key of the record (user_id or phone_number) belongs to another existing user, \
             or, with --upsert, a custom_password_hash is given for an existing user who has \
             already logged in (Auth0 keeps that user's password).",
            "Check the existing user named by existing_user_id: drop the record, or give it \
             its own user_id or phone_number. For a user who has logged in, leave \
             custom_password_hash out of the update.",
        ),
        Code::ConflictEmail => e(
            "Matching on user_id (--match-on user_id), the record's email belongs to another \
             existing user.",
            "Merge the two accounts first, or correct the record's email or user_id.",
        ),
        Code::ConflictUsername => e(
            "The record's username belongs to another existing user of the connection.",
            "Give the record another username, or drop it if it is the same person as \
             existing_user_id.",
        ),
        Code::DuplicatedUser => e(
            "With a path (email, username, user_id or phone_number): an earlier record of \
             this file already took that key, and Auth0 keeps the first. Without a path: an \
             existing user already has this email or user_id and upsert is off (key and \
             existing_user_id say which).",
            "In-file: remove or merge the later record; duplicate_of names the earlier one. \
             Existing: use --upsert to update that user, or drop the record.",
        ),
        Code::EnumMismatch => e(
            "A value is not one of its allowed values, e.g. an unknown custom_password_hash \
             algorithm, encoding or digest, or a missing encoding where one is required.",
            "Use one of the names SPEC section 3.2 lists (the message quotes the value given); \
             hex and base64 hashes need their encoding stated.",
        ),
        Code::Format => e(
            "A value has the wrong format: an email that is not an address by Auth0's rules, \
             a username that is itself an email, or a cost that is not a power of two.",
            "Correct the value at the path; emails that cannot be fixed need the user to be \
             imported without them or left out.",
        ),
        Code::InvalidType => e(
            "A value of the wrong JSON type (null counts), or a record that is not an object.",
            "Write the property with its type (a string, a boolean, a number, an object), or \
             leave it out instead of null.",
        ),
        Code::MaxLength => e(
            "A string longer than its maximum, counted in Unicode characters (user_id 255, \
             username 128, given_name and family_name 150, name and nickname 300, ...).",
            "Shorten the value; the message gives the length and the maximum.",
        ),
        Code::MinLength => e(
            "A string shorter than its minimum: an empty user_id, username, name or the like.",
            "Leave the property out rather than empty, or fill it in.",
        ),
        Code::Minimum => e(
            "A number below its minimum (keylen, blockSize, parallelization at least 1; cost \
             at least 2).",
            "Give the hash's real parameters; they are part of how the password was hashed.",
        ),
        Code::NotPassed => e(
            "A property that must not be there: a reserved app_metadata key (email, user_id, \
             blocked, ...), both password_hash and custom_password_hash, or a salt for an \
             algorithm that takes none.",
            "Move reserved keys out of app_metadata (rename them), keep one of the two hashes, \
             or remove the salt.",
        ),
        Code::ObjectRequired => e(
            "A required property is missing; the path names it (email on every record; \
             algorithm and hash.value in custom_password_hash; keylen for scrypt; ...).",
            "Add the property, or drop the record if the data is not available.",
        ),
        Code::Pattern => e(
            "A string does not match its pattern: phone numbers in E.164 (+ and up to 15 \
             digits), usernames' characters, user_id without white space, hash strings, \
             TOTP secrets in base32, metadata keys without . or $.",
            "Correct the value at the path (the message names the pattern, never the secret).",
        ),
        Code::ObjectAdditionalProperties => e(
            "A property the import's schema does not know; the path names it.",
            "Remove it, or move custom data into user_metadata or app_metadata.",
        ),
        Code::ObjectPropertiesMaximum => e(
            "An mfa_factors item with more than one key.",
            "Split it into one item per factor (totp, phone or email).",
        ),
        Code::ObjectPropertiesMinimum => e(
            "An mfa_factors item with no key.",
            "Remove the empty item, or give it its factor.",
        ),
        Code::InvalidJson => e(
            "The record is not valid JSON (an NDJSON line), holds invalid UTF-8 or an unpaired \
             surrogate.",
            "Fix the line in the file (its raw start is in the error line), e.g. re-export it \
             as UTF-8.",
        ),
        Code::MaxDepth => e(
            "The record nests deeper than 64 levels of objects and arrays.",
            "Flatten the metadata that nests that deep.",
        ),
        Code::MaxSize => e(
            "The record is larger than 1 MiB (1,048,576 bytes).",
            "Trim its metadata; Auth0 profiles should stay under 10 KB anyway.",
        ),
        Code::WarningDenied => e(
            "A warning turned into a failure by --deny-warnings; the message names the warning.",
            "Fix what the named warning says, or run without --deny-warnings to import such \
             records.",
        ),
        Code::DuplicateProperty => e(
            "A key appears twice in one object; the last value wins, as in Auth0's parser.",
            "Remove the earlier copy so the file says what will be stored.",
        ),
        Code::DoublePrefix => e(
            "The user_id already starts with auth0|, so Auth0 stores auth0|auth0|...",
            "Strip the auth0| prefix from user_id (export files have it; the import adds it).",
        ),
        Code::NoPassword => e(
            "A new user with no password hash: they cannot log in until they reset their \
             password.",
            "Add the user's password_hash or custom_password_hash, or plan a password-reset \
             email for these users.",
        ),
        Code::HashNotDecodable => e(
            "A hash, salt or key is not valid hex or base64 as its encoding says: no password \
             will ever verify.",
            "Check the encoding stated against the data (hex or base64), and that the value \
             was not cut or re-encoded on export.",
        ),
        Code::HashLengthMismatch => e(
            "The decoded hash is not the length the algorithm produces: no password will verify.",
            "Check the algorithm and the encoding; a truncated or double-encoded value shows \
             as a wrong length. `user-import verify` with a known password confirms.",
        ),
        Code::HashCostExcessive => e(
            "The hash's cost is so high that a login could time out (pbkdf2 over 10,000,000 \
             iterations, scrypt over 1 GiB of memory, argon2 over 4 GiB).",
            "Check the parameters; if they are real, these users should reset their password.",
        ),
        Code::NotUpsertable => e(
            "An update leaves out an attribute that Auth0 does not update (blocked, username, \
             user_id, password_hash, phone_number, phone_verified) and that would have changed.",
            "Change such attributes through the Management API after the import, or accept \
             that the existing values stay.",
        ),
        Code::PictureNotUrl => e(
            "picture is not an absolute http(s) URL; Auth0 stores it but it will not display.",
            "Give a full http(s) URL, or leave picture out.",
        ),
        Code::ProfileTooLarge => e(
            "The record is over 10 KB (10,240 bytes); Auth0 flags profiles that large.",
            "Move bulky metadata elsewhere and keep a reference in the profile.",
        ),
        Code::MetadataNotInSnapshot => e(
            "--merge-metadata could not merge, because the export lacks the existing user's \
             metadata: the update replaces the whole object.",
            "Export the existing users with their app_metadata and user_metadata fields.",
        ),
        _ => e(
            "A code this report has no explanation for yet.",
            "See the message in the error line and SPEC section 7.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_explained() {
        for code in Code::ALL {
            assert!(
                !explain(code).meaning.starts_with("A code this report"),
                "{code} has no explanation"
            );
        }
    }
}
