//! The hash-string parsers (PHC argon2 and pbkdf2, modular-crypt bcrypt, RFC 2307 LDAP):
//! a parse that succeeds prints back exactly the string it read, its decoded lengths are
//! what the decoder makes of the same text, and no error message quotes the input (hash
//! strings are secrets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_import_hash::bcrypt::{Bcrypt, LiveBcrypt};
use user_import_hash::decode::{Binary, decode_into};
use user_import_hash::ldap::Ldap;
use user_import_hash::phc::{Argon2, Pbkdf2};

/// An error's text must not carry the secret it was about. Messages hold no upper-case
/// letter, so an input with one can only appear in a message by being quoted.
fn no_leak(input: &str, message: String) {
    if input.len() >= 8 && input.bytes().any(|b| b.is_ascii_uppercase()) {
        assert!(
            !message.contains(input),
            "an error message quotes its input"
        );
    }
}

fn check(s: &str) {
    match Bcrypt::parse(s) {
        Ok(b) => {
            assert_eq!(b.to_string(), s);
            assert!((4..=31).contains(&b.cost));
        }
        Err(e) => no_leak(s, e.to_string()),
    }
    match LiveBcrypt::parse(s) {
        Ok(b) => assert_eq!(b.to_string(), s),
        Err(e) => no_leak(s, e.to_string()),
    }
    match Argon2::parse(s) {
        Ok(a) => {
            assert_eq!(a.to_string(), s);
            assert!(s.len() <= 127);
            assert!(u64::from(a.m_cost) >= 8 * u64::from(a.p_cost));
        }
        Err(e) => no_leak(s, e.to_string()),
    }
    match Pbkdf2::parse(s) {
        Ok(p) => {
            assert_eq!(p.to_string(), s);
            assert!(p.iterations >= 1 && p.key_len >= 1);
        }
        Err(e) => no_leak(s, e.to_string()),
    }
    match Ldap::parse(s) {
        Ok(l) => {
            assert_eq!(l.to_string(), s);
            let mut out = Vec::new();
            decode_into(l.value, Binary::Base64, &mut out).expect("parsed base64 decodes");
            assert_eq!(out.len(), l.decoded_len);
        }
        Err(e) => no_leak(s, e.to_string()),
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks a prefix so that each parser gets past its first check often.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(tail) = std::str::from_utf8(rest) else {
        return;
    };
    const PREFIXES: [&str; 10] = [
        "",
        "$2a$",
        "$2b$10$",
        "$argon2id$v=19$",
        "$argon2i$v=19$m=",
        "$pbkdf2-sha256$",
        "$pbkdf2-sha512$i=",
        "{SSHA}",
        "{SHA512}",
        "{ssha256}",
    ];
    let s = format!("{}{tail}", PREFIXES[usize::from(pick) % PREFIXES.len()]);
    check(&s);
});
