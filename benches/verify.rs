//! One password verification per algorithm, at its usual cost, through the public entry
//! points (`verify_custom`, `verify_password_hash`). Each benchmark asserts once, outside the
//! timing, that its password matches.
//!
//! `VERIFY_BENCH_CAPS=1 cargo bench --bench verify` also times one verification at each
//! default cap of `Limits` (the figures `Limits::DEFAULT` documents); they take about a
//! second each, so they are off by default.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value as Json, json};
use user_import::internals::doc::Value;
use user_import::internals::finding::Findings;
use user_import::internals::hash::rules::parse_custom_password_hash;
use user_import_hash::CustomPasswordHash;
use user_import_hash::compute::{Limits, Outcome, Variant, verify_custom, verify_password_hash};

/// A vector of `testdata/hash/vectors.json`: its `custom_password_hash` object and password.
fn vector(id: &str) -> (Json, String) {
    let path = format!("{}/testdata/hash/vectors.json", env!("CARGO_MANIFEST_DIR"));
    let data: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("vectors"))
        .expect("vectors JSON");
    let v = data["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .find(|v| v["id"] == id)
        .expect("vector id")
        .clone();
    (
        v["value"].clone(),
        v["password"].as_str().expect("password").to_owned(),
    )
}

/// Parses `record` (a `custom_password_hash` object that passes every rule) and hands it to `f`.
fn with_custom(record: &Json, f: impl FnOnce(&CustomPasswordHash<'_>)) {
    let mut bytes = record.to_string().into_bytes();
    let tape = simd_json::to_tape(&mut bytes).expect("JSON");
    let mut out = Findings::new();
    let h = parse_custom_password_hash(Value::root(&tape.0), &mut out).expect("a valid record");
    f(&h);
}

fn bench_custom(c: &mut Criterion, name: &str, record: &Json, password: &str, expect: Outcome) {
    with_custom(record, |h| {
        let (v, limits) = (Variant::default(), Limits::default());
        assert_eq!(verify_custom(h, password, &v, &limits), expect, "{name}");
        c.bench_function(name, |b| {
            b.iter(|| verify_custom(black_box(h), black_box(password), &v, &limits))
        });
    });
}

fn text(alg: &str, value: &str) -> Json {
    json!({"algorithm": alg, "hash": {"value": value}})
}

/// The slow ones: ten samples.
fn slow(c: &mut Criterion) {
    let limits = Limits::default();
    let (stored, password) = (
        "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
        "shh",
    );
    assert_eq!(
        verify_password_hash(stored, password, &limits),
        Outcome::Match
    );
    c.bench_function("bcrypt_cost10_password_hash", |b| {
        b.iter(|| verify_password_hash(black_box(stored), black_box(password), &limits))
    });
    bench_custom(
        c,
        "argon2id_m65536_t2_p1",
        &text(
            "argon2",
            "$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos",
        ),
        "shh",
        Outcome::Match,
    );
    let (record, password) = vector("argon2-01");
    bench_custom(
        c,
        "argon2id_m19456_t2_p1",
        &record,
        &password,
        Outcome::Match,
    );
    bench_custom(
        c,
        "pbkdf2_sha256_i100000_l64",
        &text(
            "pbkdf2",
            "$pbkdf2-sha256$i=100000,l=64$+N375B8q0Fw$mLxrtkFs3jOtslmtWFBnpir4I1WOCvadkvBYn9o8CKQP6hRcxjrY3g/rYPyrY3RflOid/FrcqN8slrR9JqRzlQ",
        ),
        "shh",
        Outcome::Match,
    );
    let (record, password) = vector("bcrypt-00");
    bench_custom(c, "bcrypt_custom", &record, &password, Outcome::Match);
    let (record, password) = vector("scrypt-02");
    assert_eq!(
        (record["cost"].as_u64(), record["blockSize"].as_u64()),
        (None, None)
    );
    bench_custom(c, "scrypt_n16384_r8_p1", &record, &password, Outcome::Match);
}

/// The fast ones.
fn fast(c: &mut Criterion) {
    for (name, id) in [
        ("md4_salted", "md4-04"),
        ("md5_salted", "md5-04"),
        ("sha1_salted", "sha1-04"),
        ("sha256_salted", "sha256-04"),
        ("sha512_salted", "sha512-04"),
        ("hmac_sha256", "hmac-sha256-00"),
        ("ldap_ssha512", "ldap-ssha512-09"),
    ] {
        let (record, password) = vector(id);
        bench_custom(c, name, &record, &password, Outcome::Match);
    }
}

/// One verification at each default cap (a mismatch costs the same as a match).
fn caps(c: &mut Criterion) {
    if std::env::var_os("VERIFY_BENCH_CAPS").is_none() {
        return;
    }
    let limits = Limits::default();
    let tail = "C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";
    let stored = format!("$2b${}${tail}", limits.bcrypt_max_cost);
    assert_eq!(
        verify_password_hash(&stored, "shh", &limits),
        Outcome::Mismatch
    );
    c.bench_function("cap_bcrypt_cost15", |b| {
        b.iter(|| verify_password_hash(black_box(&stored), "shh", &limits))
    });
    let dk32 = "A".repeat(43);
    let dk64 = "A".repeat(86);
    for (name, stored) in [
        (
            "cap_pbkdf2_sha256_i10000000_l32",
            format!("$pbkdf2-sha256$i=10000000,l=32$AAAAAAAAAAA${dk32}"),
        ),
        (
            "cap_pbkdf2_sha512_i10000000_l64",
            format!("$pbkdf2-sha512$i=10000000,l=64$AAAAAAAAAAA${dk64}"),
        ),
        (
            "cap_pbkdf2_sha1_i10000000_l20",
            format!(
                "$pbkdf2-sha1$i=10000000,l=20$AAAAAAAAAAA${}",
                "A".repeat(27)
            ),
        ),
        (
            "cap_pbkdf2_whirlpool_i10000000_l64",
            format!("$pbkdf2-whirlpool$i=10000000,l=64$AAAAAAAAAAA${dk64}"),
        ),
        (
            "cap_argon2id_m1048576_t4_p1",
            format!("$argon2id$v=19$m=1048576,t=4,p=1$AAAAAAAAAAA${dk32}"),
        ),
    ] {
        let alg = if name.contains("argon2") {
            "argon2"
        } else {
            "pbkdf2"
        };
        bench_custom(c, name, &text(alg, &stored), "shh", Outcome::Mismatch);
    }
    let (mut record, password) = vector("scrypt-02");
    record["cost"] = json!(1 << 20);
    bench_custom(
        c,
        "cap_scrypt_n1048576_r8_p1",
        &record,
        &password,
        Outcome::Mismatch,
    );
}

fn config(samples: usize, measure: u64) -> Criterion {
    Criterion::default()
        .sample_size(samples)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(measure))
}

criterion_group! {
    name = slow_group;
    config = config(10, 3);
    targets = slow
}
criterion_group! {
    name = fast_group;
    config = config(50, 2);
    targets = fast
}
criterion_group! {
    name = caps_group;
    config = config(10, 1);
    targets = caps
}
criterion_main!(slow_group, fast_group, caps_group);
