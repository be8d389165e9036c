//! The computation behind `verify` (SPEC 3.3): recompute a stored password hash from a
//! candidate password and compare, in constant time.
//!
//! Input is what the format rules already parsed (a [`CustomPasswordHash`], which the engine
//! builds from a record that passed every rule, or a `password_hash` string); nothing here
//! re-parses a hash string or re-implements hex and base64 ([`crate::decode`] does that). With
//! P the candidate password encoded by `password.encoding`, S the decoded salt and H the
//! decoded hash:
//!
//! | algorithm | computed | compared with |
//! |---|---|---|
//! | `md4 md5 sha1 sha256 sha512` | digest(S‖P) (prefix), digest(P‖S) (suffix), digest(P) (no salt) | H |
//! | `hmac` | HMAC-digest(key = decoded `hash.key`, message = P) | H |
//! | `bcrypt` | bcrypt of S‖P / P‖S / P, cost and salt from the string, input cut at 72 bytes | the string's checksum |
//! | `argon2` | argon2i/argon2id, version 19, m, t, p and salt from the PHC string, tag length = the stored tag's | the stored tag |
//! | `pbkdf2` | PBKDF2-HMAC-digest(P, salt, i, l), every alias of SPEC's list (`mdc2`: unsupported) | dk |
//! | `ldap` | digest(P) (unsalted) or digest(P‖rest) (salted) | the decoded value, or its first digest-size bytes |
//! | `scrypt` | scrypt(P, S, N = cost, r = blockSize, p = parallelization, dkLen = keylen) | H |
//! | `password_hash` | bcrypt of P | the string's checksum |
//!
//! A [`Variant`] overrides declared options (salt position and encoding, hash and key
//! encoding, password encoding) so the `verify` command can look for the mistake behind a
//! mismatch. Costs are checked against [`Limits`] before anything is computed.
//!
//! Secrets never leave this module: no [`Outcome`] message, `Debug` output or panic contains
//! a password, hash, salt or key; messages name fields and numeric parameters only.
//!
//! ```
//! use user_import_hash::compute::{Limits, Outcome, verify_password_hash};
//!
//! let stored = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
//! assert_eq!(verify_password_hash(stored, "hello", &Limits::DEFAULT), Outcome::Match);
//! assert_eq!(verify_password_hash(stored, "hellO", &Limits::DEFAULT), Outcome::Mismatch);
//! ```

use subtle::ConstantTimeEq;

use crate::bcrypt::{self as modular, Bcrypt, LiveBcrypt};
use crate::decode;
use crate::ldap::Ldap;
use crate::phc::{Argon2, Argon2Variant, Pbkdf2};
use crate::{
    CustomPasswordHash, Digest, Encoded, Encoding, PasswordEncoding, SaltPosition, SaltSpec,
    Scheme, ScryptParams, Secret,
};

/// Overrides of a record's declared options, for the mistake search (None = as declared).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Variant {
    /// For the algorithms that put the salt before or after the password: md4..sha512, bcrypt.
    pub salt_position: Option<SaltPosition>,
    /// For the algorithms that take a `salt` object: md4..sha512, bcrypt, scrypt.
    pub salt_encoding: Option<Encoding>,
    /// Only for algorithms whose value is raw bytes (md4..sha512, hmac, scrypt).
    pub hash_encoding: Option<Encoding>,
    /// hmac's key.
    pub key_encoding: Option<Encoding>,
    /// Every algorithm.
    pub password_encoding: Option<PasswordEncoding>,
}

/// Caps checked BEFORE computing, so a hostile record can never hang or exhaust memory.
///
/// Each cap bounds one verification to a few seconds and about 1 GiB on one core of the
/// 2-core machines this runs on (figures measured with `cargo bench --bench verify`, release
/// build; see [`Limits::DEFAULT`]). A parameter over a cap gives [`Outcome::TooCostly`] at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest bcrypt cost (work is 2^cost).
    pub bcrypt_max_cost: u32,
    /// Largest pbkdf2 work, counted in PBKDF2-HMAC-SHA256 iterations:
    /// `i × ⌈l / digest size⌉ × weight`. PBKDF2 runs all `i` iterations once per output
    /// block, and an iteration of a slower digest counts as several (the weight: 1 for sha1,
    /// sha224, sha256; 2 for md4, md5; 4 for ripemd160; 5 for sha384; 6 for sha512; 19 for
    /// whirlpool, from measurements). For pbkdf2-sha256 with `l` ≤ 32 it is just `i`.
    pub pbkdf2_max_iterations: u32,
    /// Largest scrypt `128 × N × r × p`, in bytes: the memory of `p` lanes run side by side.
    /// The implementation here runs the lanes one after the other and so needs only
    /// `128 × N × r` bytes, but its time is proportional to `N × r × p`: the one figure caps
    /// both memory and time.
    pub scrypt_max_memory: u64,
    /// Largest argon2 `m`, in KiB (memory is `m` KiB).
    pub argon2_max_memory_kib: u32,
    /// How many passes over `argon2_max_memory_kib` one verification may make: argon2 is
    /// refused when `m × t > argon2_max_memory_kib × argon2_max_passes`. Time is proportional
    /// to `m × t`, so a small-memory hash may take more passes (OWASP's `m=7168,t=5` and
    /// PHP's `m=65536,t=4` are far inside), a 1 GiB hash at most this many.
    pub argon2_max_passes: u32,
}

impl Limits {
    /// The defaults, and why (one verification at the cap, measured with
    /// `VERIFY_BENCH_CAPS=1 cargo bench --bench verify`, release build, one core of the
    /// 2-core EPYC dev machine):
    ///
    /// - `bcrypt_max_cost` 15: 2.2 s (cost 10 takes 67 ms; each step doubles). Auth0's
    ///   `password_hash` rule only takes cost 10.
    /// - `pbkdf2_max_iterations` 10,000,000: SPEC's `HASH_COST_EXCESSIVE` threshold for `i`.
    ///   1.2 s for pbkdf2-sha256 (l=32) and 1.1 s for pbkdf2-sha1 (l=20) at i=10,000,000;
    ///   the weights keep the slower digests near that (unweighted, sha512 took 5.3 s and
    ///   whirlpool 21 s at the same `i`).
    /// - `scrypt_max_memory` 1 GiB: SPEC's `HASH_COST_EXCESSIVE` threshold for
    ///   `128 × cost × blockSize`. N=2^20, r=8, p=1 takes 2.7 s and 1 GiB.
    /// - `argon2_max_memory_kib` 1 GiB (1,048,576 KiB) and `argon2_max_passes` 4: libsodium's
    ///   "sensitive" preset (1 GiB, t=4) exactly, 3.8 s; every common preset is inside.
    ///   (SPEC warns only above 4 GiB, which would not fit the memory budget.)
    pub const DEFAULT: Limits = Limits {
        bcrypt_max_cost: 15,
        pbkdf2_max_iterations: 10_000_000,
        scrypt_max_memory: 1 << 30,
        argon2_max_memory_kib: 1 << 20,
        argon2_max_passes: 4,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What verifying one password against one stored hash gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The password gives the stored hash.
    Match,
    /// It does not (or, for a stored value of the wrong length, cannot).
    Mismatch,
    /// A parameter is over a cap: which one, e.g. "scrypt memory 2147483648 bytes over the
    /// cap of 1073741824". Never a secret.
    TooCostly(String),
    /// e.g. pbkdf2 with an mdc2 digest (SPEC 10: verify answers `unsupported`), or a variant
    /// that cannot apply (a hash encoding override on bcrypt) or whose inputs do not decode
    /// under the override. Never a secret.
    Unsupported(String),
}

/// What the internal steps short-circuit with.
type Step<T> = Result<T, Outcome>;

#[cold]
fn unsupported(message: String) -> Outcome {
    Outcome::Unsupported(message)
}

#[cold]
fn too_costly(message: String) -> Outcome {
    Outcome::TooCostly(message)
}

/// Verifies `password` against a custom_password_hash that passed every rule (SPEC 3.3),
/// with the variant's overrides.
pub fn verify_custom(
    h: &CustomPasswordHash<'_>,
    password: &str,
    v: &Variant,
    limits: &Limits,
) -> Outcome {
    custom(h, password, v, limits).unwrap_or_else(|o| o)
}

/// Verifies `password` against a `password_hash` (bcrypt; SPEC 3.1/3.3).
///
/// Takes what Auth0's live rule accepts (`$2$`, `$2a$`, `$2b$`, cost `10`, `100`, ...) and,
/// beyond it, any custom-form bcrypt string (`$2y$`, costs 4 to 31); anything else is
/// [`Outcome::Unsupported`]. The password is taken as UTF-8. A cost above 31 (`$2a$100$`
/// passes the live rule) cannot be computed by any bcrypt: unsupported.
pub fn verify_password_hash(stored: &str, password: &str, limits: &Limits) -> Outcome {
    let (variant, cost, salt, hash) = if let Ok(b) = LiveBcrypt::parse(stored) {
        let Some(cost) = b.cost_value().filter(|c| *c <= 31) else {
            return unsupported(format!(
                "bcrypt cost {} is outside 4 to 31",
                if b.cost.len() <= 10 {
                    b.cost
                } else {
                    "(too long)"
                }
            ));
        };
        (b.variant, cost, b.salt, b.hash)
    } else if let Ok(b) = Bcrypt::parse(stored) {
        (b.variant, b.cost, b.salt, b.hash)
    } else {
        return unsupported("password_hash is not a bcrypt string".to_owned());
    };
    bcrypt_limited(variant, cost, salt, hash, password.as_bytes(), limits).unwrap_or_else(|o| o)
}

/// The password's bytes under an encoding: utf8; utf16le/ucs2 = UTF-16LE;
/// ascii/latin1/binary = the low byte of each UTF-16 code unit (Node's behaviour).
pub fn encode_password(password: &str, enc: PasswordEncoding) -> Vec<u8> {
    match enc {
        PasswordEncoding::Utf8 => password.as_bytes().to_vec(),
        PasswordEncoding::Utf16le | PasswordEncoding::Ucs2 => {
            password.encode_utf16().flat_map(u16::to_le_bytes).collect()
        }
        PasswordEncoding::Ascii | PasswordEncoding::Latin1 | PasswordEncoding::Binary => {
            password.encode_utf16().map(|u| u as u8).collect()
        }
    }
}

fn custom(
    h: &CustomPasswordHash<'_>,
    password: &str,
    v: &Variant,
    limits: &Limits,
) -> Step<Outcome> {
    check_variant(h, v)?;
    let p = encode_password(password, v.password_encoding.unwrap_or(h.password_encoding));
    match &h.scheme {
        Scheme::Digest {
            digest,
            value,
            salt,
        } => plain_digest(digest.digest(), value, salt.as_ref(), &p, v),
        Scheme::Hmac { digest, key, value } => hmac(*digest, key, value, &p, v),
        Scheme::Bcrypt { hash: b, salt } => {
            let key = salted(salt.as_ref(), &p, v)?;
            bcrypt_limited(b.variant, b.cost, b.salt, b.hash, &key, limits)
        }
        Scheme::Argon2(a) => argon2(a, &p, limits),
        Scheme::Pbkdf2(pb) => pbkdf2(pb, &p, limits),
        Scheme::Ldap(l) => ldap(l, &p),
        Scheme::Scrypt {
            value,
            salt,
            params,
        } => scrypt(value, salt, params, &p, v, limits),
    }
}

/// Rejects the overrides that do not apply to the record.
fn check_variant(h: &CustomPasswordHash<'_>, v: &Variant) -> Step<()> {
    let alg = h.scheme.algorithm();
    // The salt goes before or after the password (md4..sha512, bcrypt); scrypt takes a salt
    // object too, as its own input.
    let (positional, takes_salt) = match h.scheme {
        Scheme::Digest { .. } | Scheme::Bcrypt { .. } => (true, true),
        Scheme::Scrypt { .. } => (false, true),
        Scheme::Argon2(_) | Scheme::Hmac { .. } | Scheme::Ldap(_) | Scheme::Pbkdf2(_) => {
            (false, false)
        }
    };
    let refuse = |what: &str, why: &str| -> Step<()> {
        Err(unsupported(format!(
            "a {what} override does not apply: {} {why}",
            alg.name()
        )))
    };
    if v.salt_position.is_some() {
        if !positional {
            refuse(
                "salt position",
                "does not put a salt before or after the password",
            )?;
        } else if h.scheme.salt().is_none() {
            refuse("salt position", "record has no salt")?;
        }
    }
    if v.salt_encoding.is_some() {
        if !takes_salt {
            refuse("salt encoding", "takes no salt object")?;
        } else if h.scheme.salt().is_none() {
            refuse("salt encoding", "record has no salt")?;
        }
    }
    if v.hash_encoding.is_some() && h.scheme.encoded().is_none() {
        refuse(
            "hash encoding",
            "hash.value is a hash string, not encoded bytes",
        )?;
    }
    if v.key_encoding.is_some() && h.scheme.key().is_none() {
        refuse("key encoding", "record has no hash.key")?;
    }
    Ok(())
}

/// Appends `value` decoded by `enc` (utf8: its bytes) to `out`; `field` names it in the
/// message when it does not decode.
fn decode_field(value: &str, enc: Encoding, field: &str, out: &mut Vec<u8>) -> Step<()> {
    match enc.binary() {
        None => {
            out.extend_from_slice(value.as_bytes());
            Ok(())
        }
        Some(bin) => decode::decode_into(value, bin, out)
            .map_err(|e| unsupported(format!("{field} does not decode as {} ({e})", bin.name()))),
    }
}

/// `hash.value` decoded by its (possibly overridden) encoding.
fn hash_bytes(value: &Encoded<'_>, v: &Variant) -> Step<Vec<u8>> {
    let mut out = Vec::new();
    decode_field(
        value.value,
        v.hash_encoding.unwrap_or(value.encoding.into()),
        "hash.value",
        &mut out,
    )?;
    Ok(out)
}

/// S‖P, P‖S, or P when there is no salt.
fn salted(salt: Option<&SaltSpec<'_>>, p: &[u8], v: &Variant) -> Step<Vec<u8>> {
    let Some(salt) = salt else {
        return Ok(p.to_vec());
    };
    let mut out = Vec::with_capacity(salt.secret.value.len() + p.len());
    match v.salt_position.unwrap_or(salt.position) {
        SaltPosition::Prefix => {
            salt_bytes(salt, v, &mut out)?;
            out.extend_from_slice(p);
        }
        SaltPosition::Suffix => {
            out.extend_from_slice(p);
            salt_bytes(salt, v, &mut out)?;
        }
    }
    Ok(out)
}

/// Appends the decoded salt.
fn salt_bytes(salt: &SaltSpec<'_>, v: &Variant, out: &mut Vec<u8>) -> Step<()> {
    decode_field(
        salt.secret.value,
        v.salt_encoding.unwrap_or(salt.secret.encoding),
        "salt.value",
        out,
    )
}

fn plain_digest(
    d: Digest,
    value: &Encoded<'_>,
    salt: Option<&SaltSpec<'_>>,
    p: &[u8],
    v: &Variant,
) -> Step<Outcome> {
    let expected = hash_bytes(value, v)?;
    let input = salted(salt, p, v)?;
    let got = digest_of(d, &[&input])?;
    Ok(compare(got.as_slice(), &expected))
}

fn hmac(d: Digest, key: &Secret<'_>, value: &Encoded<'_>, p: &[u8], v: &Variant) -> Step<Outcome> {
    let expected = hash_bytes(value, v)?;
    let mut k = Vec::new();
    decode_field(
        key.value,
        v.key_encoding.unwrap_or(key.encoding),
        "hash.key.value",
        &mut k,
    )?;
    let got = hmac_of(d, &k, p)?;
    Ok(compare(got.as_slice(), &expected))
}

fn ldap(l: &Ldap<'_>, p: &[u8]) -> Step<Outcome> {
    let mut value = Vec::with_capacity(l.decoded_len);
    decode_field(l.value, Encoding::Base64, "the ldap value", &mut value)?;
    let d = l.scheme.digest();
    if !l.scheme.salted() {
        let got = digest_of(d, &[p])?;
        return Ok(compare(got.as_slice(), &value));
    }
    if value.len() < d.size() {
        // Not even a digest: no password verifies.
        return Ok(Outcome::Mismatch);
    }
    let (stored, rest) = value.split_at(d.size());
    let got = digest_of(d, &[p, rest])?;
    Ok(compare(got.as_slice(), stored))
}

// ---- bcrypt ------------------------------------------------------------------------------

/// The bcrypt check, after the cost cap.
fn bcrypt_limited(
    variant: modular::Variant,
    cost: u32,
    salt: &str,
    hash: &str,
    key: &[u8],
    limits: &Limits,
) -> Step<Outcome> {
    if !(4..=31).contains(&cost) {
        return Err(unsupported(format!(
            "bcrypt cost {cost} is outside 4 to 31"
        )));
    }
    if cost > limits.bcrypt_max_cost {
        return Err(too_costly(format!(
            "bcrypt cost {cost} over the cap of {}",
            limits.bcrypt_max_cost
        )));
    }
    bcrypt_check(variant, cost, salt, hash, key)
}

/// bcrypt of `key` with `cost` (4..=31) and the 22-character `salt`, against the
/// 31-character checksum `hash`.
///
/// The key is cut at 72 bytes (node-bcrypt and the `bcrypt` crate do the same). `$2a$`,
/// `$2b$`, `$2y$` append a NUL byte when there is room; the original `$2$` does not (OpenBSD's
/// and jBCrypt's `minor < 'a'`), and with an empty password it reads the C string's
/// terminator, so its key is then one NUL byte (both checked against jBCrypt's and passlib's
/// published `$2$` answers). Unused trailing bits of the salt and the checksum are ignored, as
/// every C and JavaScript implementation does. The key is taken as bytes: a NUL inside it (a
/// `utf16le` password) does not end it, unlike C implementations that read a C string, and
/// OpenBSD's old `$2a$` length wrap-around past 255 bytes is not reproduced.
fn bcrypt_check(
    variant: modular::Variant,
    cost: u32,
    salt: &str,
    hash: &str,
    key: &[u8],
) -> Step<Outcome> {
    let (Some(salt), Some(expected)) = (
        bcrypt64::<16>(salt, modular::SALT_CHARS),
        bcrypt64::<23>(hash, modular::HASH_CHARS),
    ) else {
        return Err(unsupported(
            "bcrypt salt or checksum is not bcrypt base64".to_owned(),
        ));
    };
    let mut buf = [0u8; 72];
    let n = key.len().min(72);
    buf[..n].copy_from_slice(&key[..n]);
    let used = match variant {
        modular::Variant::Two => n.max(1),
        _ => (n + 1).min(72),
    };
    let out = ::bcrypt::bcrypt(cost, salt, &buf[..used]);
    Ok(compare(&out[..23], &expected))
}

/// bcrypt's base64 (`./A-Za-z0-9`, no padding): `chars` characters into `N` bytes, the
/// unused trailing bits ignored.
fn bcrypt64<const N: usize>(s: &str, chars: usize) -> Option<[u8; N]> {
    if s.len() != chars {
        return None;
    }
    let mut out = [0u8; N];
    let (mut acc, mut bits, mut i) = (0u32, 0u32, 0usize);
    for &c in s.as_bytes() {
        let v = match c {
            b'.' => 0,
            b'/' => 1,
            b'A'..=b'Z' => c - b'A' + 2,
            b'a'..=b'z' => c - b'a' + 28,
            b'0'..=b'9' => c - b'0' + 54,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if i < N {
                out[i] = (acc >> bits) as u8;
                i += 1;
            }
            acc &= (1 << bits) - 1;
        }
    }
    (i == N).then_some(out)
}

// ---- argon2 ------------------------------------------------------------------------------

fn argon2(a: &Argon2<'_>, p: &[u8], limits: &Limits) -> Step<Outcome> {
    if a.m_cost > limits.argon2_max_memory_kib {
        return Err(too_costly(format!(
            "argon2 memory m={} KiB over the cap of {}",
            a.m_cost, limits.argon2_max_memory_kib
        )));
    }
    let work = u64::from(a.m_cost) * u64::from(a.t_cost);
    let budget = u64::from(limits.argon2_max_memory_kib) * u64::from(limits.argon2_max_passes);
    if work > budget {
        return Err(too_costly(format!(
            "argon2 work m*t = {} KiB x {} passes = {work} over the cap of {budget} ({} KiB x {} passes)",
            a.m_cost, a.t_cost, limits.argon2_max_memory_kib, limits.argon2_max_passes
        )));
    }
    let mut salt = Vec::with_capacity(a.salt_len);
    decode_field(a.salt, Encoding::Base64, "the argon2 salt", &mut salt)?;
    let mut tag = Vec::with_capacity(a.hash_len);
    decode_field(a.hash, Encoding::Base64, "the argon2 hash", &mut tag)?;
    let params = ::argon2::Params::new(a.m_cost, a.t_cost, a.p_cost, Some(tag.len()))
        .map_err(|e| unsupported(format!("argon2 parameters: {e}")))?;
    let algorithm = match a.variant {
        Argon2Variant::I => ::argon2::Algorithm::Argon2i,
        Argon2Variant::Id => ::argon2::Algorithm::Argon2id,
    };
    let mut out = vec![0u8; tag.len()];
    ::argon2::Argon2::new(algorithm, ::argon2::Version::V0x13, params)
        .hash_password_into(p, &salt, &mut out)
        .map_err(|e| unsupported(format!("argon2: {e}")))?;
    Ok(compare(&out, &tag))
}

// ---- pbkdf2 ------------------------------------------------------------------------------

fn pbkdf2(pb: &Pbkdf2<'_>, p: &[u8], limits: &Limits) -> Step<Outcome> {
    if pb.digest == Digest::Mdc2 {
        return Err(mdc2());
    }
    let blocks = u64::from(pb.key_len).div_ceil(pb.digest.size() as u64);
    let weight = pbkdf2_weight(pb.digest);
    let work = u64::from(pb.iterations)
        .saturating_mul(blocks)
        .saturating_mul(weight);
    if work > u64::from(limits.pbkdf2_max_iterations) {
        return Err(too_costly(if blocks == 1 && weight == 1 {
            format!(
                "pbkdf2 iterations {} over the cap of {}",
                pb.iterations, limits.pbkdf2_max_iterations
            )
        } else {
            format!(
                "pbkdf2-{} work i x blocks x weight = {} x {blocks} x {weight} = {work} over the cap of {}",
                pb.digest.name(),
                pb.iterations,
                limits.pbkdf2_max_iterations
            )
        }));
    }
    let mut salt = Vec::with_capacity(pb.salt_len);
    decode_field(pb.salt, Encoding::Base64, "the pbkdf2 salt", &mut salt)?;
    let mut dk = Vec::with_capacity(pb.hash_len);
    decode_field(pb.hash, Encoding::Base64, "the pbkdf2 hash", &mut dk)?;
    if dk.len() as u64 != u64::from(pb.key_len) {
        // PBKDF2 gives l bytes: no password verifies against another length.
        return Ok(Outcome::Mismatch);
    }
    let mut out = vec![0u8; dk.len()];
    pbkdf2_of(pb.digest, p, &salt, pb.iterations, &mut out)?;
    Ok(compare(&out, &dk))
}

/// What one PBKDF2 iteration with `d` costs, in PBKDF2-HMAC-SHA256 iterations (rounded up).
///
/// Measured (release build, one core of the 2-core EPYC dev machine, µs per iteration):
/// sha1 0.111, sha256 0.117, sha224 0.137, md4 0.175, md5 0.251, ripemd160 0.474, sha384
/// 0.591, sha512 0.644, whirlpool 2.212. SHA-1 and SHA-256 use the CPU's SHA extensions;
/// without them they are about three times slower, which the cap's margin absorbs.
const fn pbkdf2_weight(d: Digest) -> u64 {
    match d {
        Digest::Sha1 | Digest::Sha224 | Digest::Sha256 => 1,
        Digest::Md4 | Digest::Md5 => 2,
        Digest::Ripemd160 => 4,
        Digest::Sha384 => 5,
        Digest::Sha512 | Digest::Mdc2 => 6,
        Digest::Whirlpool => 19,
    }
}

#[cold]
fn mdc2() -> Outcome {
    unsupported("pbkdf2 with the mdc2 digest is not supported".to_owned())
}

// ---- scrypt ------------------------------------------------------------------------------

fn scrypt(
    value: &Encoded<'_>,
    salt: &SaltSpec<'_>,
    params: &ScryptParams,
    p: &[u8],
    v: &Variant,
    limits: &Limits,
) -> Step<Outcome> {
    let n = params.cost;
    if n < 2 || !n.is_power_of_two() {
        return Err(unsupported(format!(
            "scrypt cost {n} is not a power of two above 1"
        )));
    }
    let memory = 128u128
        .saturating_mul(u128::from(n))
        .saturating_mul(u128::from(params.block_size))
        .saturating_mul(u128::from(params.parallelization));
    if memory > u128::from(limits.scrypt_max_memory) {
        return Err(too_costly(format!(
            "scrypt memory 128*N*r*p = {memory} bytes over the cap of {}",
            limits.scrypt_max_memory
        )));
    }
    let expected = hash_bytes(value, v)?;
    let mut decoded_salt = Vec::new();
    salt_bytes(salt, v, &mut decoded_salt)?;
    if expected.len() as u64 != params.keylen {
        // scrypt gives keylen bytes: no password verifies against another length.
        return Ok(Outcome::Mismatch);
    }
    let (Ok(r), Ok(par)) = (
        u32::try_from(params.block_size),
        u32::try_from(params.parallelization),
    ) else {
        return Err(unsupported(
            "scrypt blockSize or parallelization too large".to_owned(),
        ));
    };
    // scrypt's own bound (p ≤ (2^32 − 1) × 32 / (128 × r)), checked here in 64 bits: the
    // crate multiplies r × p in 32 bits, which a cap raised by the caller could overflow.
    if u64::from(r) * u64::from(par) >= 0x4000_0000 {
        return Err(unsupported(format!(
            "scrypt r x p = {r} x {par} is too large"
        )));
    }
    let log_n = n.trailing_zeros() as u8;
    let sp = ::scrypt::Params::new(log_n, r, par)
        .map_err(|_| unsupported(format!("scrypt parameters N={n} r={r} p={par} are invalid")))?;
    let mut out = vec![0u8; expected.len()];
    ::scrypt::scrypt(p, &decoded_salt, &sp, &mut out)
        .map_err(|_| unsupported(format!("scrypt keylen {} is invalid", params.keylen)))?;
    Ok(compare(&out, &expected))
}

// ---- digests -----------------------------------------------------------------------------

/// A digest or MAC output: at most 64 bytes.
struct Out {
    buf: [u8; 64],
    len: usize,
}

impl Out {
    fn new(bytes: &[u8]) -> Out {
        let mut buf = [0u8; 64];
        let len = bytes.len().min(64);
        buf[..len].copy_from_slice(&bytes[..len]);
        Out { buf, len }
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Constant-time equality of the computed and the stored bytes (a length difference is not
/// secret and answers at once).
fn compare(got: &[u8], expected: &[u8]) -> Outcome {
    if bool::from(got.ct_eq(expected)) {
        Outcome::Match
    } else {
        Outcome::Mismatch
    }
}

fn hash_with<D: digest::Digest>(parts: &[&[u8]]) -> Out {
    let mut d = D::new();
    for part in parts {
        d.update(part);
    }
    Out::new(&d.finalize())
}

/// digest(part₀‖part₁‖...).
fn digest_of(d: Digest, parts: &[&[u8]]) -> Step<Out> {
    Ok(match d {
        Digest::Md4 => hash_with::<md4::Md4>(parts),
        Digest::Md5 => hash_with::<md5::Md5>(parts),
        Digest::Ripemd160 => hash_with::<ripemd::Ripemd160>(parts),
        Digest::Sha1 => hash_with::<sha1::Sha1>(parts),
        Digest::Sha224 => hash_with::<sha2::Sha224>(parts),
        Digest::Sha256 => hash_with::<sha2::Sha256>(parts),
        Digest::Sha384 => hash_with::<sha2::Sha384>(parts),
        Digest::Sha512 => hash_with::<sha2::Sha512>(parts),
        Digest::Whirlpool => hash_with::<whirlpool::Whirlpool>(parts),
        Digest::Mdc2 => return Err(unsupported("the mdc2 digest is not supported".to_owned())),
    })
}

fn mac_with<D: digest::block_api::EagerHash>(key: &[u8], message: &[u8]) -> Step<Out> {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<D> as KeyInit>::new_from_slice(key)
        .map_err(|_| unsupported("hmac key of an invalid length".to_owned()))?;
    mac.update(message);
    Ok(Out::new(&mac.finalize().into_bytes()))
}

/// HMAC-digest(key, message).
fn hmac_of(d: Digest, key: &[u8], message: &[u8]) -> Step<Out> {
    match d {
        Digest::Md4 => mac_with::<md4::Md4>(key, message),
        Digest::Md5 => mac_with::<md5::Md5>(key, message),
        Digest::Ripemd160 => mac_with::<ripemd::Ripemd160>(key, message),
        Digest::Sha1 => mac_with::<sha1::Sha1>(key, message),
        Digest::Sha224 => mac_with::<sha2::Sha224>(key, message),
        Digest::Sha256 => mac_with::<sha2::Sha256>(key, message),
        Digest::Sha384 => mac_with::<sha2::Sha384>(key, message),
        Digest::Sha512 => mac_with::<sha2::Sha512>(key, message),
        Digest::Whirlpool => mac_with::<whirlpool::Whirlpool>(key, message),
        Digest::Mdc2 => Err(unsupported(
            "hmac with the mdc2 digest is not supported".to_owned(),
        )),
    }
}

/// PBKDF2-HMAC-digest(password, salt, rounds), filling `out`.
fn pbkdf2_of(d: Digest, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) -> Step<()> {
    use ::pbkdf2::pbkdf2_hmac;
    match d {
        Digest::Md4 => pbkdf2_hmac::<md4::Md4>(password, salt, rounds, out),
        Digest::Md5 => pbkdf2_hmac::<md5::Md5>(password, salt, rounds, out),
        Digest::Ripemd160 => pbkdf2_hmac::<ripemd::Ripemd160>(password, salt, rounds, out),
        Digest::Sha1 => pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, out),
        Digest::Sha224 => pbkdf2_hmac::<sha2::Sha224>(password, salt, rounds, out),
        Digest::Sha256 => pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, out),
        Digest::Sha384 => pbkdf2_hmac::<sha2::Sha384>(password, salt, rounds, out),
        Digest::Sha512 => pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, out),
        Digest::Whirlpool => pbkdf2_hmac::<whirlpool::Whirlpool>(password, salt, rounds, out),
        Digest::Mdc2 => return Err(mdc2()),
    }
    Ok(())
}

/// The tests that reach inside this module (the digest, HMAC, PBKDF2 and bcrypt primitives).
/// Those that build hashes from records, through the engine's rules, are in the engine
/// (`verify/compute_tests.rs`).
#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;

    const WRONG: &str = "not the password";

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

    /// What the rules make of `{"algorithm": alg, "hash": {"value": value}}` for the
    /// hash-string algorithms: the parsed string, no salt, a UTF-8 password.
    #[track_caller]
    fn text<'a>(alg: &str, value: &'a str) -> CustomPasswordHash<'a> {
        let scheme = match alg {
            "bcrypt" => Scheme::Bcrypt {
                hash: Bcrypt::parse(value).unwrap(),
                salt: None,
            },
            "ldap" => Scheme::Ldap(Ldap::parse(value).unwrap()),
            "pbkdf2" => Scheme::Pbkdf2(Pbkdf2::parse(value).unwrap()),
            _ => panic!("not a hash-string algorithm: {alg}"),
        };
        CustomPasswordHash {
            scheme,
            password_encoding: PasswordEncoding::Utf8,
        }
    }

    fn verify(h: &CustomPasswordHash<'_>, password: &str) -> Outcome {
        verify_custom(h, password, &Variant::default(), &Limits::default())
    }

    #[track_caller]
    fn assert_verifies(h: &CustomPasswordHash<'_>, password: &str) {
        assert_eq!(verify(h, password), Outcome::Match, "{h:?}");
        assert_eq!(verify(h, WRONG), Outcome::Mismatch, "{h:?}");
    }

    #[test]
    fn default_limits_are_documented_figures() {
        let l = Limits::default();
        assert_eq!(l, Limits::DEFAULT);
        assert_eq!(
            (
                l.bcrypt_max_cost,
                l.pbkdf2_max_iterations,
                l.scrypt_max_memory,
                l.argon2_max_memory_kib,
                l.argon2_max_passes
            ),
            (15, 10_000_000, 1 << 30, 1 << 20, 4)
        );
    }

    /// HMAC by its definition (RFC 2104), on top of `digest_of`: a second implementation.
    fn reference_hmac(d: Digest, key: &[u8], message: &[u8]) -> Vec<u8> {
        let block = if matches!(d, Digest::Sha384 | Digest::Sha512) {
            128
        } else {
            64
        };
        let mut k = if key.len() > block {
            digest_of(d, &[key]).unwrap().as_slice().to_vec()
        } else {
            key.to_vec()
        };
        k.resize(block, 0);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = digest_of(d, &[&ipad, message]).unwrap();
        digest_of(d, &[&opad, inner.as_slice()])
            .unwrap()
            .as_slice()
            .to_vec()
    }

    fn reference_pbkdf2(d: Digest, password: &[u8], salt: &[u8], i: u32, l: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for block in 1u32.. {
            if out.len() >= l {
                break;
            }
            let mut u = reference_hmac(d, password, &[salt, &block.to_be_bytes()].concat());
            let mut t = u.clone();
            for _ in 1..i {
                u = reference_hmac(d, password, &u);
                t.iter_mut().zip(&u).for_each(|(a, b)| *a ^= b);
            }
            out.extend_from_slice(&t);
        }
        out.truncate(l);
        out
    }

    #[test]
    fn every_digest_against_the_reference_hmac_and_pbkdf2() {
        // Whirlpool has no other reference here: check its digest against the ISO answer
        // for "abc", then HMAC and PBKDF2 against their definitions, for every digest.
        assert_eq!(
            digest_of(Digest::Whirlpool, &[b"abc"]).unwrap().as_slice(),
            [
                0x4e, 0x24, 0x48, 0xa4, 0xc6, 0xf4, 0x86, 0xbb, 0x16, 0xb6, 0x56, 0x2c, 0x73, 0xb4,
                0x02, 0x0b, 0xf3, 0x04, 0x3e, 0x3a, 0x73, 0x1b, 0xce, 0x72, 0x1a, 0xe1, 0xb3, 0x03,
                0xd9, 0x7e, 0x6d, 0x4c, 0x71, 0x81, 0xee, 0xbd, 0xb6, 0xc5, 0x7e, 0x27, 0x7d, 0x0e,
                0x34, 0x95, 0x71, 0x14, 0xcb, 0xd6, 0xc7, 0x97, 0xfc, 0x9d, 0x95, 0xd8, 0xb5, 0x82,
                0xd2, 0x25, 0x29, 0x20, 0x76, 0xd4, 0xee, 0xf5
            ]
        );
        let long_key = [7u8; 200];
        for d in Digest::HMAC_NAMES.map(|(_, d)| d) {
            for key in [&b"k3y"[..], &long_key] {
                let got = hmac_of(d, key, b"message").unwrap();
                assert_eq!(got.as_slice(), reference_hmac(d, key, b"message"), "{d:?}");
            }
            for l in [d.size(), d.size() + 5] {
                let mut out = vec![0u8; l];
                pbkdf2_of(d, b"pw", b"salty", 3, &mut out).unwrap();
                assert_eq!(out, reference_pbkdf2(d, b"pw", b"salty", 3, l), "{d:?}");
            }
        }
        // And whirlpool through verify_custom, with its two pbkdf2 names... one name.
        let mut dk = vec![0u8; 64];
        pbkdf2_of(
            Digest::Whirlpool,
            b"shh",
            &[0xf8, 0xdd, 0xfb, 0xe4, 0x1f, 0x2a, 0xd0, 0x5c],
            100,
            &mut dk,
        )
        .unwrap();
        let stored = format!("$pbkdf2-whirlpool$i=100$+N375B8q0Fw${}", phc_b64(&dk));
        assert_verifies(&text("pbkdf2", &stored), "shh");
    }

    /// PHC B64 (standard alphabet, unpadded), for building test strings.
    fn phc_b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        s
    }

    #[test]
    fn ldap_salted_edges() {
        // {SSHA}: sha1(P ‖ salt) ‖ salt. An empty salt (exactly 20 bytes) still computes by
        // the formula; shorter than the digest is a mismatch.
        let p = b"shh";
        let digest = digest_of(Digest::Sha1, &[p]).unwrap();
        let value = phc_b64(digest.as_slice());
        assert_verifies(&text("ldap", &format!("{{SSHA}}{value}")), "shh");
        assert_verifies(&text("ldap", &format!("{{sha}}{value}=")), "shh");
        let salted = [
            digest_of(Digest::Sha1, &[p, b"NaCl"]).unwrap().as_slice(),
            b"NaCl",
        ]
        .concat();
        assert_verifies(
            &text("ldap", &format!("{{sSHa}}{}", phc_b64(&salted))),
            "shh",
        );
        assert_eq!(
            verify(&text("ldap", "{SSHA}AAAA"), "shh"),
            Outcome::Mismatch
        );
    }

    #[test]
    fn bcrypt_original_revision_and_trailing_bits() {
        // Published `$2$` answers (jBCrypt, passlib): no NUL byte after the key; an empty
        // password reads as one NUL.
        for (password, stored) in [
            (
                "abc",
                "$2$05$......................XuQjdH.wPVNUZ/bOfstdW/FqB8QSjte",
            ),
            (
                "",
                "$2$05$......................J2ihDv8vVf7QZ9BsaRrKyqs2tkn55Yq",
            ),
            (
                "password",
                "$2$05$......................bvpG2UfzdyW/S0ny/4YyEZrmczoJfVm",
            ),
            (
                "test",
                "$2$04$5BJqKfqMQvV7nS.yUguNcuRfMMOXK0xPWavM7pOzjEi5ze5T1k8/S",
            ),
        ] {
            let cost = stored[3..5].parse().unwrap();
            let (salt, hash) = stored[6..].split_at(22);
            let check = |pw: &str| {
                bcrypt_check(modular::Variant::Two, cost, salt, hash, pw.as_bytes()).unwrap()
            };
            assert_eq!(check(password), Outcome::Match, "{stored}");
            assert_eq!(check(WRONG), Outcome::Mismatch, "{stored}");
        }
        // The live rule's `$2$10$`: computed the same way.
        let salt = "nFguVi9LsCAcvTZFKQlRKe";
        let raw = bcrypt_raw(b"hello", 10, salt, false);
        let stored = format!("$2$10${salt}{raw}");
        assert_eq!(
            verify_password_hash(&stored, "hello", &Limits::default()),
            Outcome::Match
        );
        assert_eq!(
            verify_password_hash(&stored, "hellO", &Limits::default()),
            Outcome::Mismatch
        );
        // Non-zero unused bits in the salt's and checksum's last characters are ignored.
        let (stored, password) = SPEC_BCRYPT[0];
        let mut tweaked = stored.as_bytes().to_vec();
        assert_eq!(tweaked[7 + 21], b'.');
        tweaked[7 + 21] = b'/'; // 0 -> 1: only the unused low bits change
        let tweaked = String::from_utf8(tweaked).unwrap();
        assert_eq!(
            verify_password_hash(&tweaked, password, &Limits::default()),
            Outcome::Match
        );
    }

    /// The 31-character checksum of bcrypt(key [+ NUL]) for a test.
    fn bcrypt_raw(key: &[u8], cost: u32, salt: &str, nul: bool) -> String {
        let mut k = key.to_vec();
        if nul {
            k.push(0);
        }
        k.truncate(72);
        let out = ::bcrypt::bcrypt(cost, bcrypt64::<16>(salt, 22).unwrap(), &k);
        const A: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let std = phc_b64(&out[..23]);
        const S: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std.bytes()
            .map(|c| A[S.iter().position(|&s| s == c).unwrap()] as char)
            .collect()
    }

    #[test]
    fn bcrypt_cuts_the_input_at_72_bytes() {
        let salt = "C9hB01.YxRSTcn/ZOOo4j.";
        let long = "x".repeat(72);
        let stored = format!(
            "$2b$04${salt}{}",
            bcrypt_raw(long.as_bytes(), 4, salt, true)
        );
        let limits = Limits::default();
        assert_eq!(
            verify_password_hash(&stored, &long, &limits),
            Outcome::Match
        );
        assert_eq!(
            verify_password_hash(&stored, &format!("{long}yz"), &limits),
            Outcome::Match
        );
        assert_eq!(
            verify_password_hash(&stored, &long[..71], &limits),
            Outcome::Mismatch
        );
        // With a salt: S‖P is what is cut.
        // {"algorithm":"bcrypt","hash":{"value":stored},"salt":{"value":"xx"}}
        let with_salt = CustomPasswordHash {
            scheme: Scheme::Bcrypt {
                hash: Bcrypt::parse(&stored).unwrap(),
                salt: Some(SaltSpec {
                    secret: Secret {
                        value: "xx",
                        encoding: Encoding::Utf8,
                    },
                    position: SaltPosition::Prefix,
                }),
            },
            password_encoding: PasswordEncoding::Utf8,
        };
        assert_eq!(verify(&with_salt, &long[..70]), Outcome::Match);
        assert_eq!(verify(&with_salt, &long[..69]), Outcome::Mismatch);
        // Matching the bcrypt crate's own hashing.
        let made =
            ::bcrypt::hash_with_salt("hunter2", 4, bcrypt64::<16>(salt, 22).unwrap()).unwrap();
        let made = made.format_for_version(::bcrypt::Version::TwoY);
        assert_eq!(
            verify_password_hash(&made, "hunter2", &limits),
            Outcome::Match
        );
        assert_eq!(
            verify_password_hash("$2b$10$short", "hunter2", &limits),
            Outcome::Unsupported("password_hash is not a bcrypt string".to_owned())
        );
    }

    #[test]
    fn password_encodings() {
        use PasswordEncoding::*;
        let cases: [(&str, PasswordEncoding, &[u8]); 8] = [
            ("aé", Utf8, b"a\xc3\xa9"),
            ("aé", Utf16le, b"a\x00\xe9\x00"),
            ("aé", Ucs2, b"a\x00\xe9\x00"),
            ("aé", Latin1, b"a\xe9"),
            ("aé", Ascii, b"a\xe9"),
            ("aé", Binary, b"a\xe9"),
            ("€🔑", Utf16le, b"\xac\x20\x3d\xd8\x11\xdd"),
            ("€🔑", Latin1, b"\xac\x3d\x11"),
        ];
        for (password, enc, want) in cases {
            assert_eq!(encode_password(password, enc), want, "{password} {enc:?}");
        }
    }
}
