//! Identity keys (SPEC 5.1): which they are, how a value becomes a key, and which key
//! finds the user to update. A leaf: the record stage, the existing-users snapshot and the
//! indexes all form keys here, so that a record's key and an export's key for the same user
//! are the same bytes.

/// The identity keys of SPEC 5.1, in the order conflicts are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `email`, lower-cased as JavaScript's `toLowerCase` does (full Unicode).
    Email = 0,
    /// `user_id` as Auth0 stores it: `auth0|` and the supplied id (an export's id as is).
    UserId = 1,
    /// `username`, lower-cased as emails are.
    Username = 2,
    /// `phone_number`, exactly as written.
    Phone = 3,
}

impl KeyKind {
    /// Every kind, in the order conflicts are reported.
    pub const ALL: [KeyKind; 4] = [
        KeyKind::Email,
        KeyKind::UserId,
        KeyKind::Username,
        KeyKind::Phone,
    ];

    /// The record's property that holds the key, which is also the path of its errors:
    /// `email`, `user_id`, `username`, `phone_number`.
    pub const fn field(self) -> &'static str {
        match self {
            KeyKind::Email => "email",
            KeyKind::UserId => "user_id",
            KeyKind::Username => "username",
            KeyKind::Phone => "phone_number",
        }
    }
}

/// Which key finds the existing user to update (`--match-on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MatchOn {
    /// Match on the email, Auth0's default.
    #[default]
    Email,
    /// Match on the `user_id` (Auth0's tenant flag for it).
    UserId,
}

impl MatchOn {
    /// The identity key it matches on.
    pub const fn kind(self) -> KeyKind {
        match self {
            MatchOn::Email => KeyKind::Email,
            MatchOn::UserId => KeyKind::UserId,
        }
    }

    /// The name on the update line's `match`.
    pub const fn name(self) -> &'static str {
        self.kind().field()
    }
}

/// Appends the key a record's supplied `value` of `kind` is stored under: emails and
/// usernames lower-cased as JavaScript does, ids with Auth0's `auth0|` prefix (an id that
/// has it already gets it twice, as at Auth0), phone numbers as they are.
pub fn form_supplied(kind: KeyKind, value: &str, key: &mut Vec<u8>) {
    if kind == KeyKind::UserId {
        key.extend_from_slice(b"auth0|");
    }
    form_stored(kind, value, key);
}

/// Appends the key an existing user's stored `value` of `kind` is held under: as
/// [`form_supplied`], but an export's `user_id` carries its prefix already.
pub fn form_stored(kind: KeyKind, value: &str, key: &mut Vec<u8>) {
    match kind {
        KeyKind::Email | KeyKind::Username => lower_into(key, value),
        KeyKind::UserId | KeyKind::Phone => key.extend_from_slice(value.as_bytes()),
    }
}

/// Appends `s` lower-cased as JavaScript's `toLowerCase` does (full Unicode).
pub fn lower_into(k: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        let start = k.len();
        k.extend_from_slice(s.as_bytes());
        k[start..].make_ascii_lowercase();
    } else {
        k.extend_from_slice(s.to_lowercase().as_bytes());
    }
}

/// Lower-cases as JavaScript's `toLowerCase` does (full Unicode), without allocating for
/// ASCII.
pub fn lower_in_place(s: &mut String) {
    if s.is_ascii() {
        s.make_ascii_lowercase();
    } else {
        *s = s.to_lowercase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplied_and_stored_forms_meet() {
        let form = |f: fn(KeyKind, &str, &mut Vec<u8>), kind, v: &str| {
            let mut k = Vec::new();
            f(kind, v, &mut k);
            String::from_utf8(k).unwrap()
        };
        assert_eq!(form(form_supplied, KeyKind::Email, "ÄNN@X.io"), "änn@x.io");
        assert_eq!(form(form_supplied, KeyKind::UserId, "Ab1"), "auth0|Ab1");
        assert_eq!(
            form(form_supplied, KeyKind::UserId, "auth0|x"),
            "auth0|auth0|x"
        );
        assert_eq!(form(form_stored, KeyKind::UserId, "auth0|Ab1"), "auth0|Ab1");
        assert_eq!(form(form_supplied, KeyKind::Username, "Bo_B"), "bo_b");
        assert_eq!(form(form_supplied, KeyKind::Phone, "+1555"), "+1555");
        // The final sigma: JavaScript's rules need the whole string.
        let mut s = String::from("ΟΔΟΣ@x.io");
        lower_in_place(&mut s);
        assert_eq!(s, "οδος@x.io");
    }
}
