//! The tests of [`compute`] that build their hashes from records, through the rules
//! ([`parse_custom_password_hash`]): SPEC 3.3's published vectors, every valid vector of
//! `testdata/hash/vectors.json`, the variants of the mistake search, and the cost caps. (The
//! tests of the primitives themselves are in the hash crate, beside them.)

use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use super::compute::{Limits, Outcome, Variant, verify_custom, verify_password_hash};
use crate::doc::Value;
use crate::finding::Findings;
use crate::hash::rules::parse_custom_password_hash;
use crate::hash::{Algorithm, CustomPasswordHash, Encoding, PasswordEncoding, SaltPosition};

const WRONG: &str = "not the password";

/// Parses a `custom_password_hash` object (it must pass every rule) and hands it to `f`.
#[track_caller]
fn with_custom<R>(json: &str, f: impl FnOnce(&CustomPasswordHash<'_>) -> R) -> R {
    let mut b = json.as_bytes().to_vec();
    let tape = simd_json::to_tape(&mut b).unwrap();
    let mut out = Findings::new();
    let h = parse_custom_password_hash(Value::root(&tape.0), &mut out);
    assert!(!out.has_errors(), "{json}");
    f(&h.unwrap())
}

#[track_caller]
fn verify(json: &str, password: &str) -> Outcome {
    verify_with(json, password, &Variant::default(), &Limits::default())
}

#[track_caller]
fn verify_with(json: &str, password: &str, v: &Variant, limits: &Limits) -> Outcome {
    with_custom(json, |h| verify_custom(h, password, v, limits))
}

#[track_caller]
fn assert_verifies(json: &str, password: &str) {
    assert_eq!(verify(json, password), Outcome::Match, "{json}");
    assert_eq!(verify(json, WRONG), Outcome::Mismatch, "{json}");
}

// ---- SPEC 3.3's published vectors -------------------------------------------------

const SPEC_BCRYPT: [(&str, &str); 2] = [
    (
        "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
        "shh",
    ),
    (
        "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
        "hello",
    ),
];

fn text(alg: &str, value: &str) -> String {
    json!({"algorithm": alg, "hash": {"value": value}}).to_string()
}

#[test]
fn spec_vectors_digests_hmac_ldap_scrypt() {
    let cases = [
        (
            json!({"algorithm":"md4","hash":{"value":"AbuUujgF0pPPkJPSFRTpmA==","encoding":"base64"}}),
            "shh",
        ),
        (
            json!({"algorithm":"sha256","hash":{"value":"d24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f","encoding":"hex"},
                   "salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}),
            "shh",
        ),
        (
            json!({"algorithm":"md5","hash":{"value":"67A1E09BB1F83F5007DC119C14D663AA","encoding":"hex"},
                   "salt":{"value":"salt","position":"prefix"}}),
            "password",
        ),
        (
            json!({"algorithm":"ldap","hash":{"value":"{SSHA384}/cgEjdoZh85DhurDeOQEMO1rMlAur93SVPbYe5XSD4lF7nNuvrBju5hUeg9A6agRemgSXGl5YuE="}}),
            "shh",
        ),
        (
            json!({"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1",
                   "key":{"value":"736868","encoding":"hex"}}}),
            "test",
        ),
        (
            json!({"algorithm":"scrypt","hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},
                   "salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096}),
            "password",
        ),
    ];
    for (json, password) in cases {
        assert_verifies(&json.to_string(), password);
    }
}

#[test]
fn spec_vectors_bcrypt() {
    for (stored, password) in SPEC_BCRYPT {
        assert_verifies(&text("bcrypt", stored), password);
        let limits = Limits::default();
        assert_eq!(
            verify_password_hash(stored, password, &limits),
            Outcome::Match
        );
        assert_eq!(
            verify_password_hash(stored, WRONG, &limits),
            Outcome::Mismatch
        );
    }
}

#[test]
fn spec_vector_argon2() {
    assert_verifies(
        &text(
            "argon2",
            "$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos",
        ),
        "shh",
    );
}

#[test]
fn spec_vectors_pbkdf2() {
    assert_verifies(
        &text(
            "pbkdf2",
            "$pbkdf2-md4$i=100000,l=64$+N375B8q0Fw$fp2R9KAM4hK/votGHC5Fu+jhqbxUD8+Nic/EMSGvNC3UP/k7wSHI0uXluHRSkZfl/BOheYqNOemayG90ZaSSQw",
        ),
        "shh",
    );
    assert_verifies(
        &text(
            "pbkdf2",
            "$pbkdf2-sha512$i=100000,l=64$KNyFsA2rWoE$I2CQGI9H0JxdDf3kERRI97kPCGxh0KWBIV3MxyaS191gDGfzVBGyS4BibhgqWQ0/ails8mHuU9ckASxHOOq58w",
        ),
        "shh",
    );
}

// ---- the shared vectors (testdata/hash/vectors.json) ------------------------------

fn vectors() -> Vec<Json> {
    let data: Json =
        serde_json::from_str(include_str!("../../../../testdata/hash/vectors.json")).unwrap();
    data["vectors"].as_array().unwrap().clone()
}

fn vector(id: &str) -> (Json, String) {
    let v = vectors()
        .into_iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id}"));
    (
        v["value"].clone(),
        v["password"].as_str().unwrap().to_owned(),
    )
}

/// Every valid vector of `field` and `algorithm` matches its plaintext and not a wrong
/// one. Returns how many were checked.
fn check_vectors(field: &str, algorithm: &str) -> usize {
    let mut n = 0;
    for v in vectors() {
        if v["field"] != field
            || v["algorithm"] != algorithm
            || !v["spec_verdict"].as_str().unwrap().starts_with("valid")
        {
            continue;
        }
        let id = v["id"].as_str().unwrap();
        let password = v["password"].as_str().unwrap();
        let run = |pw: &str| match field {
            "password_hash" => {
                verify_password_hash(v["value"].as_str().unwrap(), pw, &Limits::default())
            }
            _ => verify(&v["value"].to_string(), pw),
        };
        assert_eq!(run(password), Outcome::Match, "{id}");
        assert_eq!(run(WRONG), Outcome::Mismatch, "{id}");
        n += 1;
    }
    n
}

#[test]
fn every_valid_vector_is_covered_by_the_tests_below() {
    let all = vectors();
    assert_eq!(all.len(), 128);
    let valid: Vec<_> = all
        .iter()
        .filter(|v| v["spec_verdict"].as_str().unwrap().starts_with("valid"))
        .collect();
    assert_eq!(valid.len(), 127);
    for v in valid {
        let pair = (
            v["field"].as_str().unwrap(),
            v["algorithm"].as_str().unwrap(),
        );
        assert!(
            pair.0 == "password_hash" && pair.1 == "bcrypt"
                || pair.0 == "custom_password_hash" && Algorithm::from_name(pair.1).is_some(),
            "{pair:?}"
        );
    }
}

macro_rules! vector_tests {
    ($($name:ident: $field:literal $alg:literal $count:literal,)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(check_vectors($field, $alg), $count);
        }
    )*};
}

vector_tests! {
    vectors_password_hash: "password_hash" "bcrypt" 16,
    vectors_argon2: "custom_password_hash" "argon2" 9,
    vectors_bcrypt: "custom_password_hash" "bcrypt" 8,
    vectors_hmac: "custom_password_hash" "hmac" 12,
    vectors_ldap: "custom_password_hash" "ldap" 12,
    vectors_md4: "custom_password_hash" "md4" 10,
    vectors_md5: "custom_password_hash" "md5" 10,
    vectors_sha1: "custom_password_hash" "sha1" 10,
    vectors_sha256: "custom_password_hash" "sha256" 10,
    vectors_sha512: "custom_password_hash" "sha512" 10,
    vectors_pbkdf2: "custom_password_hash" "pbkdf2" 12,
    vectors_scrypt: "custom_password_hash" "scrypt" 8,
}

// ---- variants ---------------------------------------------------------------------

fn with(value: &Json, path: &[&str], to: Json) -> String {
    let mut v = value.clone();
    let mut slot = &mut v;
    for key in path {
        slot = &mut slot[*key];
    }
    *slot = to;
    v.to_string()
}

fn over(f: impl FnOnce(&mut Variant)) -> Variant {
    let mut v = Variant::default();
    f(&mut v);
    v
}

#[track_caller]
fn outcome(json: &str, password: &str, v: Variant) -> Outcome {
    verify_with(json, password, &v, &Limits::default())
}

#[test]
fn salt_position_variant() {
    for (id, truth, wrong) in [
        ("md5-04", SaltPosition::Prefix, SaltPosition::Suffix),
        ("sha256-05", SaltPosition::Suffix, SaltPosition::Prefix),
        ("sha1-06", SaltPosition::Prefix, SaltPosition::Suffix),
    ] {
        let (value, password) = vector(id);
        let declared = value.to_string();
        assert_eq!(
            outcome(&declared, &password, Variant::default()),
            Outcome::Match
        );
        // Flipped by the variant: a mismatch.
        let flip = over(|v| v.salt_position = Some(wrong));
        assert_eq!(
            outcome(&declared, &password, flip),
            Outcome::Mismatch,
            "{id}"
        );
        // Declared wrong, restored by the variant: a match.
        let name = if wrong == SaltPosition::Prefix {
            "prefix"
        } else {
            "suffix"
        };
        let misdeclared = with(&value, &["salt", "position"], json!(name));
        assert_eq!(
            outcome(&misdeclared, &password, Variant::default()),
            Outcome::Mismatch
        );
        let restore = over(|v| v.salt_position = Some(truth));
        assert_eq!(
            outcome(&misdeclared, &password, restore),
            Outcome::Match,
            "{id}"
        );
    }
}

#[test]
fn salt_encoding_variant() {
    // md5-06: a hex salt. Read as utf8 it is other bytes; declared utf8, restored as hex.
    let (value, password) = vector("md5-06");
    let declared = value.to_string();
    let as_utf8 = over(|v| v.salt_encoding = Some(Encoding::Utf8));
    assert_eq!(outcome(&declared, &password, as_utf8), Outcome::Mismatch);
    let as_base64 = over(|v| v.salt_encoding = Some(Encoding::Base64));
    assert_eq!(outcome(&declared, &password, as_base64), Outcome::Mismatch);
    let misdeclared = with(&value, &["salt", "encoding"], json!("utf8"));
    assert_eq!(
        outcome(&misdeclared, &password, Variant::default()),
        Outcome::Mismatch
    );
    let restore = over(|v| v.salt_encoding = Some(Encoding::Hex));
    assert_eq!(outcome(&misdeclared, &password, restore), Outcome::Match);
    // scrypt-02: a base64 salt.
    let (value, password) = vector("scrypt-05");
    let restore = over(|v| v.salt_encoding = Some(Encoding::Utf8));
    let misdeclared = with(&value, &["salt", "encoding"], json!("base64"));
    assert_eq!(
        outcome(&misdeclared, &password, Variant::default()),
        Outcome::Mismatch
    );
    assert_eq!(outcome(&misdeclared, &password, restore), Outcome::Match);
    // A utf8 salt read as hex does not decode: unsupported, naming the field only.
    let (value, password) = vector("md5-04");
    let as_hex = over(|v| v.salt_encoding = Some(Encoding::Hex));
    let Outcome::Unsupported(m) = outcome(&value.to_string(), &password, as_hex) else {
        panic!("not unsupported");
    };
    assert!(m.starts_with("salt.value does not decode as hex"), "{m}");
    assert!(!m.contains("s@lt"), "{m}");
}

#[test]
fn password_encoding_variant() {
    // md5-08 (utf16le) and sha256-08.
    for id in ["md5-08", "sha256-08", "sha1-08"] {
        let (value, password) = vector(id);
        let utf8 = over(|v| v.password_encoding = Some(PasswordEncoding::Utf8));
        assert_eq!(
            outcome(&value.to_string(), &password, utf8),
            Outcome::Mismatch
        );
        let misdeclared = with(&value, &["password", "encoding"], json!("utf8"));
        assert_eq!(
            outcome(&misdeclared, &password, Variant::default()),
            Outcome::Mismatch
        );
        let restore = over(|v| v.password_encoding = Some(PasswordEncoding::Ucs2));
        assert_eq!(
            outcome(&misdeclared, &password, restore),
            Outcome::Match,
            "{id}"
        );
    }
    // Latin-1 differs from UTF-8 for a non-ASCII password (bcrypt-04: "ZoeIsGreatë").
    let (value, password) = vector("bcrypt-04");
    let latin1 = over(|v| v.password_encoding = Some(PasswordEncoding::Latin1));
    assert_eq!(
        outcome(&value.to_string(), &password, latin1),
        Outcome::Mismatch
    );
    let misdeclared = with(&value, &["password"], json!({"encoding": "latin1"}));
    let restore = over(|v| v.password_encoding = Some(PasswordEncoding::Utf8));
    assert_eq!(outcome(&misdeclared, &password, restore), Outcome::Match);
}

#[test]
fn hash_and_key_encoding_variants() {
    // md5-00: hex, declared base64 (it decodes, to other bytes), restored as hex.
    let (value, password) = vector("md5-00");
    let misdeclared = with(&value, &["hash", "encoding"], json!("base64"));
    assert_eq!(
        outcome(&misdeclared, &password, Variant::default()),
        Outcome::Mismatch
    );
    let restore = over(|v| v.hash_encoding = Some(Encoding::Hex));
    assert_eq!(outcome(&misdeclared, &password, restore), Outcome::Match);
    // A base64 value read as hex does not decode.
    let (value, password) = vector("md5-02");
    let Outcome::Unsupported(m) = outcome(&value.to_string(), &password, restore) else {
        panic!("not unsupported");
    };
    assert!(m.starts_with("hash.value does not decode as hex"), "{m}");
    // hmac-sha1-01: a hex key, declared utf8, restored.
    let (value, password) = vector("hmac-sha1-01");
    let misdeclared = with(&value, &["hash", "key", "encoding"], json!("utf8"));
    assert_eq!(
        outcome(&misdeclared, &password, Variant::default()),
        Outcome::Mismatch
    );
    let restore = over(|v| v.key_encoding = Some(Encoding::Hex));
    assert_eq!(outcome(&misdeclared, &password, restore), Outcome::Match);
    // scrypt's hash encoding.
    let (value, password) = vector("scrypt-02");
    let restore = over(|v| v.hash_encoding = Some(Encoding::Base64));
    let misdeclared = with(&value, &["hash", "encoding"], json!("hex"));
    assert_eq!(outcome(&misdeclared, &password, restore), Outcome::Match);
}

#[test]
fn variants_that_cannot_apply_are_unsupported() {
    let cases: [(&str, Variant); 9] = [
        ("bcrypt-00", over(|v| v.hash_encoding = Some(Encoding::Hex))),
        (
            "argon2-00",
            over(|v| v.hash_encoding = Some(Encoding::Base64)),
        ),
        (
            "pbkdf2-sha1-02",
            over(|v| v.salt_encoding = Some(Encoding::Hex)),
        ),
        (
            "ldap-ssha-03",
            over(|v| v.salt_position = Some(SaltPosition::Suffix)),
        ),
        (
            "md5-00",
            over(|v| v.salt_position = Some(SaltPosition::Suffix)),
        ),
        ("md5-00", over(|v| v.salt_encoding = Some(Encoding::Hex))),
        ("md5-04", over(|v| v.key_encoding = Some(Encoding::Hex))),
        (
            "scrypt-00",
            over(|v| v.salt_position = Some(SaltPosition::Prefix)),
        ),
        (
            "bcrypt-00",
            over(|v| v.salt_position = Some(SaltPosition::Prefix)),
        ),
    ];
    for (id, variant) in cases {
        let (value, password) = vector(id);
        let got = outcome(&value.to_string(), &password, variant);
        assert!(
            matches!(&got, Outcome::Unsupported(m) if m.contains("override does not apply")),
            "{id} {variant:?}: {got:?}"
        );
    }
    // The password encoding applies everywhere, and declared-equal overrides change nothing.
    let (value, password) = vector("pbkdf2-sha1-02");
    let same = over(|v| v.password_encoding = Some(PasswordEncoding::Utf8));
    assert_eq!(outcome(&value.to_string(), &password, same), Outcome::Match);
    let (value, password) = vector("md5-05");
    let same = over(|v| {
        v.salt_position = Some(SaltPosition::Suffix);
        v.salt_encoding = Some(Encoding::Utf8);
        v.hash_encoding = Some(Encoding::Hex);
    });
    assert_eq!(outcome(&value.to_string(), &password, same), Outcome::Match);
}

// ---- caps -------------------------------------------------------------------------

/// Runs `f`, asserts it answered TooCostly naming `what`, and fast (nothing computed).
#[track_caller]
fn too_costly_at_once(what: &str, f: impl FnOnce() -> Outcome) {
    let start = Instant::now();
    let got = f();
    let took = start.elapsed();
    assert!(
        matches!(&got, Outcome::TooCostly(m) if m.starts_with(what)),
        "{what}: {got:?}"
    );
    assert!(took < Duration::from_millis(100), "{what}: took {took:?}");
}

fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l);
    l
}

#[test]
fn bcrypt_cost_cap() {
    let (value, password) = vector("bcrypt-06"); // cost 8
    let json = value.to_string();
    let at = limits(|l| l.bcrypt_max_cost = 8);
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &at),
        Outcome::Match
    );
    let under = limits(|l| l.bcrypt_max_cost = 7);
    too_costly_at_once("bcrypt cost 8 over the cap of 7", || {
        verify_with(&json, &password, &Variant::default(), &under)
    });
    // Just over the default, and the most hostile cost, through both entry points.
    let tail = &SPEC_BCRYPT[0].0[7..];
    for cost in [16, 31] {
        let stored = format!("$2b${cost}${tail}");
        too_costly_at_once(&format!("bcrypt cost {cost} over the cap of 15"), || {
            verify(&text("bcrypt", &stored), "shh")
        });
        too_costly_at_once(&format!("bcrypt cost {cost} over the cap of 15"), || {
            verify_password_hash(&stored, "shh", &Limits::default())
        });
    }
    // Cost 100 passes Auth0's live rule but no bcrypt computes it.
    assert_eq!(
        verify_password_hash(&format!("$2a$100${tail}"), "shh", &Limits::default()),
        Outcome::Unsupported("bcrypt cost 100 is outside 4 to 31".to_owned())
    );
}

#[test]
fn pbkdf2_work_cap() {
    // pbkdf2-sha1-02: i=10000, l=20, one block.
    let (value, password) = vector("pbkdf2-sha1-02");
    let json = value.to_string();
    let at = limits(|l| l.pbkdf2_max_iterations = 10_000);
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &at),
        Outcome::Match
    );
    let under = limits(|l| l.pbkdf2_max_iterations = 9_999);
    too_costly_at_once("pbkdf2 iterations 10000 over the cap of 9999", || {
        verify_with(&json, &password, &Variant::default(), &under)
    });
    // pbkdf2-sha256-11: i=1000, l=64, two sha256 blocks: 2000 PRF iterations.
    let (value, password) = vector("pbkdf2-sha256-11");
    let json = value.to_string();
    let at = limits(|l| l.pbkdf2_max_iterations = 2_000);
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &at),
        Outcome::Match
    );
    let under = limits(|l| l.pbkdf2_max_iterations = 1_999);
    too_costly_at_once(
        "pbkdf2-sha256 work i x blocks x weight = 1000 x 2 x 1 = 2000 over the cap of 1999",
        || verify_with(&json, &password, &Variant::default(), &under),
    );
    // pbkdf2-sha512-01: i=100000, l=64, one sha512 block of weight 6.
    let (value, password) = vector("pbkdf2-sha512-01");
    let json = value.to_string();
    let at = limits(|l| l.pbkdf2_max_iterations = 600_000);
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &at),
        Outcome::Match
    );
    let under = limits(|l| l.pbkdf2_max_iterations = 599_999);
    too_costly_at_once(
        "pbkdf2-sha512 work i x blocks x weight = 100000 x 1 x 6 = 600000 over the cap of 599999",
        || verify_with(&json, &password, &Variant::default(), &under),
    );
    // Just over the default, and hostile ones.
    let dk = |n: usize| "A".repeat((n * 4).div_ceil(3));
    for (digest, params, len, what) in [
        (
            "sha256",
            "i=10000001,l=32",
            32,
            "pbkdf2 iterations 10000001 over the cap of 10000000",
        ),
        (
            "sha1",
            "i=10000001",
            64,
            "pbkdf2-sha1 work i x blocks x weight = 10000001 x 4 x 1 = 40000004 over the cap of 10000000",
        ),
        (
            "sha256",
            "i=5000001,l=64",
            64,
            "pbkdf2-sha256 work i x blocks x weight = 5000001 x 2 x 1 = 10000002",
        ),
        (
            "sha512",
            "i=1666667",
            64,
            "pbkdf2-sha512 work i x blocks x weight = 1666667 x 1 x 6 = 10000002",
        ),
        (
            "whirlpool",
            "i=526316",
            64,
            "pbkdf2-whirlpool work i x blocks x weight = 526316 x 1 x 19 = 10000004",
        ),
        (
            "sha256",
            "i=4294967295",
            64,
            "pbkdf2-sha256 work i x blocks x weight = 4294967295 x 2 x 1",
        ),
        (
            "sha256",
            "i=1,l=4294967295",
            64,
            "pbkdf2-sha256 work i x blocks x weight = 1 x 134217728 x 1",
        ),
    ] {
        let json = text(
            "pbkdf2",
            &format!("$pbkdf2-{digest}${params}$AAAAAAAAAAA${}", dk(len)),
        );
        too_costly_at_once(what, || verify(&json, "shh"));
    }
    // At the default cap (one block): allowed (a wrong length answers without computing).
    let json = text(
        "pbkdf2",
        &format!(
            "$pbkdf2-sha256$i=10000000,l=32$AAAAAAAAAAA${}",
            "A".repeat(42)
        ),
    );
    assert_eq!(verify(&json, "shh"), Outcome::Mismatch);
}

#[test]
fn scrypt_memory_cap() {
    // scrypt-05: N=1024, r=16, p=1: 2 MiB.
    let (value, password) = vector("scrypt-05");
    let json = value.to_string();
    let at = limits(|l| l.scrypt_max_memory = 2 << 20);
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &at),
        Outcome::Match
    );
    let under = limits(|l| l.scrypt_max_memory = (2 << 20) - 1);
    too_costly_at_once(
        "scrypt memory 128*N*r*p = 2097152 bytes over the cap of 2097151",
        || verify_with(&json, &password, &Variant::default(), &under),
    );
    // Just over the default (2 GiB), p counts, and hostile values.
    let (value, password) = vector("scrypt-00");
    for (cost, r, p, what) in [
        (
            2_097_152u64,
            8u64,
            1u64,
            "scrypt memory 128*N*r*p = 2147483648 bytes over the cap of 1073741824",
        ),
        (
            1_048_576,
            8,
            2,
            "scrypt memory 128*N*r*p = 2147483648 bytes",
        ),
        (1 << 62, 1 << 40, 1 << 40, "scrypt memory 128*N*r*p = "),
    ] {
        let mut v = value.clone();
        v["cost"] = json!(cost);
        v["blockSize"] = json!(r);
        v["parallelization"] = json!(p);
        let json = v.to_string();
        too_costly_at_once(what, || verify(&json, &password));
    }
}

#[test]
fn scrypt_parameters_beyond_scrypt_are_unsupported_even_without_a_cap() {
    let (mut value, password) = vector("scrypt-00");
    value["cost"] = json!(2);
    value["blockSize"] = json!(1 << 16);
    value["parallelization"] = json!(1 << 16);
    let no_cap = limits(|l| l.scrypt_max_memory = u64::MAX);
    assert_eq!(
        verify_with(&value.to_string(), &password, &Variant::default(), &no_cap),
        Outcome::Unsupported("scrypt r x p = 65536 x 65536 is too large".to_owned())
    );
}

#[test]
fn argon2_memory_and_work_caps() {
    // argon2-02: m=4096, t=3, p=1.
    let (value, password) = vector("argon2-02");
    let json = value.to_string();
    let at = limits(|l| {
        l.argon2_max_memory_kib = 4096;
        l.argon2_max_passes = 3;
    });
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &at),
        Outcome::Match
    );
    let less_memory = limits(|l| {
        l.argon2_max_memory_kib = 4095;
        l.argon2_max_passes = 100;
    });
    too_costly_at_once("argon2 memory m=4096 KiB over the cap of 4095", || {
        verify_with(&json, &password, &Variant::default(), &less_memory)
    });
    let fewer_passes = limits(|l| {
        l.argon2_max_memory_kib = 4096;
        l.argon2_max_passes = 2;
    });
    too_costly_at_once(
        "argon2 work m*t = 4096 KiB x 3 passes = 12288 over the cap of 8192",
        || verify_with(&json, &password, &Variant::default(), &fewer_passes),
    );
    // Small memory may take more passes: m=4096, t=3 under a 1024 KiB x 12 budget is
    // refused for memory, under 8192 KiB x 2 (16384) it computes.
    let more_memory = limits(|l| {
        l.argon2_max_memory_kib = 8192;
        l.argon2_max_passes = 2;
    });
    assert_eq!(
        verify_with(&json, &password, &Variant::default(), &more_memory),
        Outcome::Match
    );
    // Just over the defaults, and hostile values.
    let (s, t) = (
        "J6Q/82PCyaNpYKRELJyTZg",
        "m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos",
    );
    for (params, what) in [
        (
            "m=1048577,t=1,p=1",
            "argon2 memory m=1048577 KiB over the cap of 1048576",
        ),
        (
            "m=1048576,t=5,p=1",
            "argon2 work m*t = 1048576 KiB x 5 passes = 5242880 over the cap of 4194304",
        ),
        (
            "m=262144,t=17,p=1",
            "argon2 work m*t = 262144 KiB x 17 passes",
        ),
        (
            "m=4294967295,t=4294967295,p=16777215",
            "argon2 memory m=4294967295 KiB",
        ),
        (
            "m=8,t=4294967295,p=1",
            "argon2 work m*t = 8 KiB x 4294967295 passes",
        ),
    ] {
        let json = text("argon2", &format!("$argon2id$v=19${params}${s}${t}"));
        too_costly_at_once(what, || verify(&json, "shh"));
    }
}

// ---- pbkdf2 digests ---------------------------------------------------------------

#[test]
fn pbkdf2_mdc2_is_unsupported() {
    for name in ["mdc2", "RSA-MDC2", "mdc2WithRSA"] {
        let json = text(
            "pbkdf2",
            &format!("$pbkdf2-{name}$i=1000,l=16$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"),
        );
        assert_eq!(
            verify(&json, "shh"),
            Outcome::Unsupported("pbkdf2 with the mdc2 digest is not supported".to_owned()),
            "{name}"
        );
    }
}

#[test]
fn pbkdf2_aliases_against_python_hashlib() {
    // hashlib.pbkdf2_hmac(d, "pässwörd".encode(), b64decode("+N375B8q0Fw="), 1000, l).
    for stored in [
        "$pbkdf2-RSA-MD5$i=1000,l=16$+N375B8q0Fw$BUPT1yAng32jJbwJnzp66w",
        "$pbkdf2-ssl3-sha1$i=1000,l=20$+N375B8q0Fw$wyVLKxgUeiBaYu1YwA0ix0xvZZI",
        "$pbkdf2-sha1WithRSAEncryption$i=1000,l=40$+N375B8q0Fw$wyVLKxgUeiBaYu1YwA0ix0xvZZKANzVVOue9VRHQ6An7RwrmZMEN/w",
        "$pbkdf2-sha224$i=1000,l=28$+N375B8q0Fw$RcXGW3xop36U2Hwj7KyEeiPZD2qR5JRNlAoKdw",
        "$pbkdf2-RSA-SHA256$i=1000,l=64$+N375B8q0Fw$O2ML2+d6kdvwsSedslW09tZXjRjAAq/7IqGIy+toYucbQFJaJ9yNmXaRttthBfY5/nyAEpp4sRMOPl3bVHf6+Q",
        "$pbkdf2-sha384WithRSAEncryption$i=1000,l=48$+N375B8q0Fw$BuuJZt9S+MKp2gN0wdxWDRR+YsPbKRTjM4PMoL24O6v8WIoP8ZG898Sf2AFrSmpG",
        "$pbkdf2-sha512$i=1000,l=64$+N375B8q0Fw$JyhpgIfrtf62CwEISxS+zEMJQXTgf5KfXy+IwVbCmeC7oVuhaCPxlUmdyg8RlTqqKk00xK+FGSrfVfzStwJNiw",
        "$pbkdf2-rmd160$i=1000,l=20$+N375B8q0Fw$wOECwjpMqYcBuPwUMlHNQdFmv3A",
        "$pbkdf2-ripemd$i=1000,l=50$+N375B8q0Fw$wOECwjpMqYcBuPwUMlHNQdFmv3AL1+b9M3oL3QSH4yOz/jb1RrgD5aFkC5tKE+38E+4",
    ] {
        assert_verifies(&text("pbkdf2", stored), "pässwörd");
    }
}

#[test]
fn pbkdf2_without_params_uses_the_defaults() {
    // pbkdf2-sha512-04 has no params segment: i=100000, l=64.
    let (value, password) = vector("pbkdf2-sha512-04");
    assert!(!value["hash"]["value"].as_str().unwrap().contains("i="));
    assert_eq!(verify(&value.to_string(), &password), Outcome::Match);
    // dk shorter than l: no password verifies, and nothing is computed.
    let json = text(
        "pbkdf2",
        &format!(
            "$pbkdf2-sha512$i=100000,l=64$AAAAAAAAAAA${}",
            "A".repeat(43)
        ),
    );
    assert_eq!(verify(&json, "shh"), Outcome::Mismatch);
}

// ---- ldap, scrypt, bcrypt details -------------------------------------------------
#[test]
fn scrypt_length_mismatch_is_a_mismatch_without_computing() {
    let (value, password) = vector("scrypt-00"); // keylen 64
    let v = with(&value, &["keylen"], json!(32));
    assert_eq!(verify(&v, &password), Outcome::Mismatch);
    let v = with(&value, &["keylen"], json!(1u64 << 40));
    assert_eq!(verify(&v, &password), Outcome::Mismatch);
}

#[test]
fn undecodable_values_are_unsupported_naming_the_field() {
    const S: &str = "Qx7SeCrEt9Zq!";
    let cases = [
        (
            json!({"algorithm":"md5","hash":{"value":S,"encoding":"hex"}}),
            "hash.value does not decode as hex",
        ),
        (
            json!({"algorithm":"sha1","hash":{"value":"AAAA","encoding":"hex"},"salt":{"value":S,"encoding":"base64"}}),
            "salt.value does not decode as base64",
        ),
        (
            json!({"algorithm":"hmac","hash":{"value":"AAAA","encoding":"hex","digest":"sha1","key":{"value":S,"encoding":"hex"}}}),
            "hash.key.value does not decode as hex",
        ),
        (
            json!({"algorithm":"scrypt","hash":{"value":"AAAA","encoding":"hex"},"salt":{"value":S,"encoding":"hex"},"keylen":2}),
            "salt.value does not decode as hex",
        ),
    ];
    for (json, want) in cases {
        let got = verify(&json.to_string(), S);
        let Outcome::Unsupported(m) = &got else {
            panic!("{json}: {got:?}");
        };
        assert!(m.starts_with(want), "{m}");
        for w in S.as_bytes().windows(4) {
            assert!(!m.contains(std::str::from_utf8(w).unwrap()), "{m}");
        }
        let shown = format!(
            "{got:?} {:?}",
            with_custom(&json.to_string(), |h| format!("{h:?}"))
        );
        assert!(!shown.contains(S), "{shown}");
    }
}
