//! The rules of the `custom_password_hash` object (SPEC 3.2 and section 10).
//!
//! Two layers, checked in this order:
//!
//! 1. **Shape**, whatever the algorithm. Unknown keys at the top level and inside `hash`,
//!    `hash.key`, `salt`, `password` are `OBJECT_ADDITIONAL_PROPERTIES`. Every property that
//!    is present gets its type (`INVALID_TYPE`, `null` included, and then nothing more on that
//!    value), its enum (`ENUM_MISMATCH`) and its bounds (`MINIMUM`, and `FORMAT` for a `cost`
//!    that is not a power of two) checked, and `algorithm`, `hash`, `hash.value`,
//!    `hash.key.value` and `salt.value` are required (`OBJECT_REQUIRED`) where their parent
//!    object is present. This holds for options that do not belong to the algorithm too:
//!    Auth0's schema declares each property once for all algorithms, so `keylen: "32"` on md5
//!    is `INVALID_TYPE` even though md5 then ignores `keylen`.
//! 2. **Algorithm rules**, only when `algorithm` is valid: a missing or invalid algorithm
//!    leaves nothing to decide them by, and the record fails anyway. They are: which
//!    `hash.encoding` values are allowed and whether it is required, `salt` forbidden
//!    (`NOT_PASSED`) or required, `hash.digest` and `hash.key` required for hmac, `keylen` for
//!    scrypt, the hash-string format (`PATTERN`), and the warnings.
//!
//! Dependencies between checks:
//! - For argon2, bcrypt, ldap and pbkdf2 the string format is checked whatever `hash.encoding`
//!   says: both are independent schema rules and both are reported.
//! - A decoding warning needs a known binary encoding: an absent, invalid or disallowed
//!   encoding means no `HASH_NOT_DECODABLE` and no `HASH_LENGTH_MISMATCH` for that value.
//! - An undecodable value gets `HASH_NOT_DECODABLE` and no length check. The length check
//!   needs a valid expected length too: hmac's `hash.digest`, scrypt's `keylen`.
//! - Warnings inside a hash string (pbkdf2 length and iterations, argon2 memory, ldap length)
//!   need the string to parse.
//! - A forbidden salt is not decoded; an allowed one (md4..sha512, bcrypt, scrypt) is, when
//!   its encoding is `hex` or `base64`. `hash.key` is decoded for hmac only.
//! - scrypt's memory warning needs `cost` and `blockSize` valid or absent (defaults 16384
//!   and 8).

use std::fmt;

use super::bcrypt::{self, Bcrypt};
use super::decode::{self, DecodeError};
use super::ldap::{self, Ldap};
use super::phc::{self, Argon2, Pbkdf2};
use super::{
    Algorithm, CustomPasswordHash, Digest, Encoded, Encoding, PasswordEncoding, PlainDigest,
    SaltPosition, SaltRule, SaltSpec, Scheme, ScryptParams, Secret, ValueForm,
};
use crate::doc::{Kind, Value};
use crate::finding::{Code, Findings};

const ROOT: &str = "custom_password_hash";
const ALGORITHM: &str = "custom_password_hash.algorithm";
const HASH: &str = "custom_password_hash.hash";
const HASH_VALUE: &str = "custom_password_hash.hash.value";
const HASH_ENCODING: &str = "custom_password_hash.hash.encoding";
const HASH_DIGEST: &str = "custom_password_hash.hash.digest";
const KEY: &str = "custom_password_hash.hash.key";
const KEY_VALUE: &str = "custom_password_hash.hash.key.value";
const KEY_ENCODING: &str = "custom_password_hash.hash.key.encoding";
const SALT: &str = "custom_password_hash.salt";
const SALT_VALUE: &str = "custom_password_hash.salt.value";
const SALT_ENCODING: &str = "custom_password_hash.salt.encoding";
const SALT_POSITION: &str = "custom_password_hash.salt.position";
const PASSWORD: &str = "custom_password_hash.password";
const PASSWORD_ENCODING: &str = "custom_password_hash.password.encoding";
const KEYLEN: &str = "custom_password_hash.keylen";
const COST: &str = "custom_password_hash.cost";
const BLOCK_SIZE: &str = "custom_password_hash.blockSize";
const PARALLELIZATION: &str = "custom_password_hash.parallelization";

/// scrypt defaults (SPEC 3.2).
pub const SCRYPT_DEFAULT_COST: u64 = 16384;
pub const SCRYPT_DEFAULT_BLOCK_SIZE: u64 = 8;
pub const SCRYPT_DEFAULT_PARALLELIZATION: u64 = 1;

/// `HASH_COST_EXCESSIVE` thresholds (SPEC 3.2): warn when strictly above.
pub const PBKDF2_MAX_ITERATIONS: u32 = 10_000_000;
pub const SCRYPT_MAX_MEMORY: u128 = 1 << 30;
/// argon2 `m` is in KiB: 4 GiB.
pub const ARGON2_MAX_M_KIB: u32 = 4 << 20;

/// `hash.value` after its format checks: a parsed hash string, or raw bytes with their
/// encoding.
#[derive(Clone, Copy)]
enum HashValue<'a> {
    Argon2(Argon2<'a>),
    Bcrypt(Bcrypt<'a>),
    Ldap(Ldap<'a>),
    Pbkdf2(Pbkdf2<'a>),
    /// md4..sha512, hmac, scrypt; decodable or not.
    Encoded(Encoded<'a>),
}

/// An optional property after its shape checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field<T> {
    Absent,
    /// Present, and an error was reported.
    Invalid,
    Valid(T),
}

impl<T: Copy> Field<T> {
    fn valid(self) -> Option<T> {
        match self {
            Field::Valid(t) => Some(t),
            _ => None,
        }
    }

    /// The value, or `default` when absent; `None` when invalid.
    fn or_default(self, default: T) -> Option<T> {
        match self {
            Field::Absent => Some(default),
            Field::Invalid => None,
            Field::Valid(t) => Some(t),
        }
    }
}

/// The findings sink, remembering whether this object earned an error.
struct Ctx<'o> {
    out: &'o mut Findings,
    failed: bool,
}

impl Ctx<'_> {
    #[cold]
    fn error(&mut self, code: Code, path: &str, detail: fmt::Arguments<'_>) {
        self.failed = true;
        self.out.error(code, path, detail);
    }

    #[cold]
    fn invalid_type(&mut self, path: &str, got: Kind, want: &str) {
        self.error(
            Code::InvalidType,
            path,
            format_args!("invalid type: {} (expected {want})", got.name()),
        );
    }

    #[cold]
    fn required(&mut self, path: &str) {
        let name = path.rsplit('.').next().unwrap_or(path);
        self.error(
            Code::ObjectRequired,
            path,
            format_args!("Missing required property: {name}"),
        );
    }

    /// z-schema, Auth0's validator, puts a string parameter into its message as it is:
    /// `No enum match for: sha384`, not `"sha384"` (SPEC 7; issue 17).
    #[cold]
    fn enum_mismatch(&mut self, path: &str, value: &str) {
        self.error(
            Code::EnumMismatch,
            path,
            format_args!("No enum match for: {value}"),
        );
    }

    #[cold]
    fn additional(&mut self, parent: &str, key: &str) {
        let path = format!("{parent}.{key}");
        self.error(
            Code::ObjectAdditionalProperties,
            &path,
            format_args!("Additional properties not allowed: {key}"),
        );
    }

    #[cold]
    fn pattern(&mut self, pattern: &str) {
        self.error(
            Code::Pattern,
            HASH_VALUE,
            format_args!("String does not match pattern {pattern}"),
        );
    }

    #[cold]
    fn warn(&mut self, code: Code, path: &str, message: fmt::Arguments<'_>) {
        self.out.warn(code, path, message);
    }

    #[cold]
    fn not_decodable(&mut self, path: &str, enc: decode::Binary, e: DecodeError) {
        self.warn(
            Code::HashNotDecodable,
            path,
            format_args!(
                "Value is not valid {} ({e}); no password will verify",
                enc.name()
            ),
        );
    }

    #[cold]
    fn length_mismatch(&mut self, got: usize, want: fmt::Arguments<'_>) {
        self.warn(
            Code::HashLengthMismatch,
            HASH_VALUE,
            format_args!("Decoded hash is {got} bytes but {want}; no password will verify"),
        );
    }

    /// A string property.
    fn string<'a>(&mut self, v: Option<Value<'_, 'a>>, path: &str) -> Field<&'a str> {
        match v {
            None => Field::Absent,
            Some(v) => match v.as_str() {
                Some(s) => Field::Valid(s),
                None => {
                    self.invalid_type(path, v.kind(), "string");
                    Field::Invalid
                }
            },
        }
    }

    /// A required string property of a present object.
    fn required_string<'a>(&mut self, v: Option<Value<'_, 'a>>, path: &str) -> Field<&'a str> {
        let f = self.string(v, path);
        if f == Field::Absent {
            self.required(path);
        }
        f
    }

    /// A string property with an enum of values.
    fn one_of<T: Copy>(
        &mut self,
        v: Option<Value<'_, '_>>,
        path: &str,
        table: &[(&str, T)],
    ) -> Field<T> {
        match self.string(v, path) {
            Field::Absent => Field::Absent,
            Field::Invalid => Field::Invalid,
            Field::Valid(s) => match table.iter().find(|(name, _)| *name == s) {
                Some(&(_, t)) => Field::Valid(t),
                None => {
                    self.enum_mismatch(path, s);
                    Field::Invalid
                }
            },
        }
    }

    /// An object property: `Some` when present and an object.
    fn object<'t, 'a>(&mut self, v: Option<Value<'t, 'a>>, path: &str) -> Field<Value<'t, 'a>> {
        match v {
            None => Field::Absent,
            Some(v) if v.kind() == Kind::Object => Field::Valid(v),
            Some(v) => {
                self.invalid_type(path, v.kind(), "object");
                Field::Invalid
            }
        }
    }

    /// An integer property with a minimum; with `power_of_two`, also `FORMAT` unless it is one.
    fn integer(
        &mut self,
        v: Option<Value<'_, '_>>,
        path: &str,
        min: i128,
        power_of_two: bool,
    ) -> Field<i128> {
        let Some(v) = v else { return Field::Absent };
        let Some(n) = v.as_integer() else {
            let got = v.kind();
            self.invalid_type(path, got, "integer");
            return Field::Invalid;
        };
        if n < min {
            self.error(
                Code::Minimum,
                path,
                format_args!("Value {n} is less than minimum {min}"),
            );
            return Field::Invalid;
        }
        if power_of_two && !(n as u128).is_power_of_two() {
            self.error(
                Code::Format,
                path,
                format_args!("Value {n} is not a power of two"),
            );
            return Field::Invalid;
        }
        Field::Valid(n)
    }
}

/// The members of an object we know, last one wins (as `JSON.parse` does); unknown ones are
/// reported as they are met, once each.
macro_rules! members {
    ($cx:expr, $obj:expr, $parent:expr, { $($name:literal => $slot:ident),* $(,)? }) => {{
        $(let mut $slot = None;)*
        for (k, v) in $obj.members() {
            match k {
                $($name => $slot = Some(v),)*
                _ => $cx.additional($parent, k),
            }
        }
        ($($slot,)*)
    }};
}

/// `hash` after its shape checks.
struct HashShape<'a> {
    /// Whether `hash` is present and an object (else its members are all `Absent`).
    object: bool,
    value: Field<&'a str>,
    encoding: Field<Encoding>,
    digest: Field<Digest>,
    key: Field<()>,
    key_value: Field<&'a str>,
    key_encoding: Field<Encoding>,
}

/// `salt` after its shape checks.
struct SaltShape<'a> {
    present: bool,
    value: Field<&'a str>,
    encoding: Field<Encoding>,
    position: Field<SaltPosition>,
}

fn hash_shape<'a>(cx: &mut Ctx<'_>, v: Option<Value<'_, 'a>>) -> HashShape<'a> {
    let mut h = HashShape {
        object: false,
        value: Field::Absent,
        encoding: Field::Absent,
        digest: Field::Absent,
        key: Field::Absent,
        key_value: Field::Absent,
        key_encoding: Field::Absent,
    };
    let obj = match cx.object(v, HASH) {
        Field::Absent => {
            cx.required(HASH);
            return h;
        }
        Field::Invalid => return h,
        Field::Valid(obj) => obj,
    };
    h.object = true;
    let (value, encoding, digest, key) = members!(cx, obj, HASH, {
        "value" => value, "encoding" => encoding, "digest" => digest, "key" => key,
    });
    h.value = cx.required_string(value, HASH_VALUE);
    h.encoding = cx.one_of(encoding, HASH_ENCODING, &Encoding::NAMES);
    h.digest = cx.one_of(digest, HASH_DIGEST, &Digest::HMAC_NAMES);
    match cx.object(key, KEY) {
        Field::Absent => {}
        Field::Invalid => h.key = Field::Invalid,
        Field::Valid(key) => {
            h.key = Field::Valid(());
            let (value, encoding) =
                members!(cx, key, KEY, { "value" => value, "encoding" => encoding });
            h.key_value = cx.required_string(value, KEY_VALUE);
            h.key_encoding = cx.one_of(encoding, KEY_ENCODING, &Encoding::NAMES);
        }
    }
    h
}

fn salt_shape<'a>(cx: &mut Ctx<'_>, v: Option<Value<'_, 'a>>) -> SaltShape<'a> {
    let mut s = SaltShape {
        present: v.is_some(),
        value: Field::Absent,
        encoding: Field::Absent,
        position: Field::Absent,
    };
    if let Field::Valid(obj) = cx.object(v, SALT) {
        let (value, encoding, position) = members!(cx, obj, SALT, {
            "value" => value, "encoding" => encoding, "position" => position,
        });
        s.value = cx.required_string(value, SALT_VALUE);
        s.encoding = cx.one_of(encoding, SALT_ENCODING, &Encoding::NAMES);
        s.position = cx.one_of(position, SALT_POSITION, &SaltPosition::NAMES);
    }
    s
}

fn password_shape(cx: &mut Ctx<'_>, v: Option<Value<'_, '_>>) -> Field<PasswordEncoding> {
    match cx.object(v, PASSWORD) {
        Field::Valid(obj) => {
            let (encoding,) = members!(cx, obj, PASSWORD, { "encoding" => encoding });
            cx.one_of(encoding, PASSWORD_ENCODING, &PasswordEncoding::NAMES)
        }
        Field::Invalid => Field::Invalid,
        Field::Absent => Field::Absent,
    }
}

/// Checks a `custom_password_hash` object (see the module doc for the order and the
/// dependencies) and returns it parsed when it earned no error. Warnings do not prevent the
/// return.
pub fn parse_custom_password_hash<'a>(
    v: Value<'_, 'a>,
    out: &mut Findings,
) -> Option<CustomPasswordHash<'a>> {
    let cx = &mut Ctx { out, failed: false };
    let (algorithm, hash, salt, password, keylen, cost, block, par) = members!(cx, v, ROOT, {
        "algorithm" => algorithm,
        "hash" => hash,
        "salt" => salt,
        "password" => password,
        "keylen" => keylen,
        "cost" => cost,
        "blockSize" => block,
        "parallelization" => par,
    });

    // 1. Shape.
    let algorithm = cx.one_of(algorithm, ALGORITHM, &ALGORITHMS);
    if algorithm == Field::Absent {
        cx.required(ALGORITHM);
    }
    let h = hash_shape(cx, hash);
    let s = salt_shape(cx, salt);
    let password = password_shape(cx, password);
    let keylen = cx.integer(keylen, KEYLEN, 1, false);
    let cost = cx.integer(cost, COST, 2, true);
    let block_size = cx.integer(block, BLOCK_SIZE, 1, false);
    let parallelization = cx.integer(par, PARALLELIZATION, 1, false);

    // 2. Algorithm rules.
    let Field::Valid(alg) = algorithm else {
        return None;
    };

    let hash_encoding = hash_encoding(cx, alg, &h);

    let salt_allowed = match alg.salt_rule() {
        SaltRule::Forbidden => {
            if s.present {
                cx.error(
                    Code::NotPassed,
                    SALT,
                    format_args!("Forbidden attribute in custom_password_hash: salt"),
                );
            }
            false
        }
        SaltRule::Optional => true,
        SaltRule::Required => {
            if !s.present {
                cx.required(SALT);
            }
            true
        }
    };

    if alg == Algorithm::Hmac && h.object {
        if h.digest == Field::Absent {
            cx.required(HASH_DIGEST);
        }
        if h.key == Field::Absent {
            cx.required(KEY);
        }
    }
    if alg == Algorithm::Scrypt && keylen == Field::Absent {
        cx.required(KEYLEN);
    }

    let value = match h.value {
        Field::Valid(value) => check_value(cx, alg, value, hash_encoding, &h, keylen),
        _ => None,
    };

    let salt_spec = if salt_allowed {
        salt_spec(cx, &s)
    } else {
        None
    };

    let key = if alg == Algorithm::Hmac {
        key_spec(cx, &h)
    } else {
        None
    };

    let scrypt = if alg == Algorithm::Scrypt {
        scrypt_params(cx, keylen, cost, block_size, parallelization)
    } else {
        None
    };

    if cx.failed {
        return None;
    }
    // No error: every part the algorithm needs is there (each `?` below is an error that
    // was reported, so it cannot be taken).
    let scheme = match value? {
        HashValue::Argon2(a) => Scheme::Argon2(a),
        HashValue::Bcrypt(hash) => Scheme::Bcrypt {
            hash,
            salt: salt_spec,
        },
        HashValue::Ldap(l) => Scheme::Ldap(l),
        HashValue::Pbkdf2(p) => Scheme::Pbkdf2(p),
        HashValue::Encoded(value) => match alg {
            Algorithm::Hmac => Scheme::Hmac {
                digest: h.digest.valid()?,
                key: key?,
                value,
            },
            Algorithm::Scrypt => Scheme::Scrypt {
                value,
                salt: salt_spec?,
                params: scrypt?,
            },
            Algorithm::Md4
            | Algorithm::Md5
            | Algorithm::Sha1
            | Algorithm::Sha256
            | Algorithm::Sha512 => Scheme::Digest {
                digest: PlainDigest::from_algorithm(alg)?,
                value,
                salt: salt_spec,
            },
            // Their value is a hash string, never raw bytes.
            Algorithm::Argon2 | Algorithm::Bcrypt | Algorithm::Ldap | Algorithm::Pbkdf2 => {
                return None;
            }
        },
    };
    Some(CustomPasswordHash {
        scheme,
        password_encoding: password.or_default(PasswordEncoding::Utf8)?,
    })
}

const ALGORITHMS: [(&str, Algorithm); 11] = {
    let mut t = [("", Algorithm::Argon2); 11];
    let mut i = 0;
    while i < 11 {
        t[i] = (Algorithm::ALL[i].name(), Algorithm::ALL[i]);
        i += 1;
    }
    t
};

/// `hash.encoding` by algorithm: the string formats take `utf8` (the default); the binary
/// ones require `hex` or `base64`. Returns the encoding to read `hash.value` with, if known.
fn hash_encoding(cx: &mut Ctx<'_>, alg: Algorithm, h: &HashShape<'_>) -> Option<Encoding> {
    match (alg.value_form(), h.encoding) {
        (_, Field::Invalid) => None,
        (ValueForm::Text, Field::Absent | Field::Valid(Encoding::Utf8)) => Some(Encoding::Utf8),
        (ValueForm::Binary, Field::Valid(e @ (Encoding::Hex | Encoding::Base64))) => Some(e),
        (ValueForm::Binary, Field::Absent) => {
            if h.object {
                cx.required(HASH_ENCODING);
            }
            None
        }
        (_, Field::Valid(e)) => {
            cx.enum_mismatch(HASH_ENCODING, e.name());
            None
        }
    }
}

/// `hash.value`: the string format (`PATTERN`) or the decoding warnings, then the
/// algorithm's own warnings.
fn check_value<'a>(
    cx: &mut Ctx<'_>,
    alg: Algorithm,
    value: &'a str,
    encoding: Option<Encoding>,
    h: &HashShape<'_>,
    keylen: Field<i128>,
) -> Option<HashValue<'a>> {
    match alg {
        Algorithm::Argon2 => match Argon2::parse(value) {
            Ok(a) => {
                if a.m_cost > ARGON2_MAX_M_KIB {
                    cx.warn(
                        Code::HashCostExcessive,
                        HASH_VALUE,
                        format_args!(
                            "argon2 m={} KiB is above 4 GiB; a login could time out",
                            a.m_cost
                        ),
                    );
                }
                Some(HashValue::Argon2(a))
            }
            Err(_) => {
                cx.pattern(phc::ARGON2_PATTERN);
                None
            }
        },
        Algorithm::Bcrypt => match Bcrypt::parse(value) {
            Ok(b) => Some(HashValue::Bcrypt(b)),
            Err(_) => {
                cx.pattern(bcrypt::PATTERN);
                None
            }
        },
        Algorithm::Ldap => match Ldap::parse(value) {
            Ok(l) => {
                if !l.length_fits() {
                    let d = l.scheme.digest().size();
                    if l.scheme.salted() {
                        cx.length_mismatch(
                            l.decoded_len,
                            format_args!("{{{}}} needs more than {d}", l.scheme.name()),
                        );
                    } else {
                        cx.length_mismatch(
                            l.decoded_len,
                            format_args!("{{{}}} produces {d}", l.scheme.name()),
                        );
                    }
                }
                Some(HashValue::Ldap(l))
            }
            Err(_) => {
                cx.pattern(ldap::PATTERN);
                None
            }
        },
        Algorithm::Pbkdf2 => match Pbkdf2::parse(value) {
            Ok(p) => {
                if p.hash_len != p.key_len as usize {
                    cx.length_mismatch(p.hash_len, format_args!("l is {}", p.key_len));
                }
                if p.iterations > PBKDF2_MAX_ITERATIONS {
                    cx.warn(
                        Code::HashCostExcessive,
                        HASH_VALUE,
                        format_args!(
                            "pbkdf2 i={} is above {PBKDF2_MAX_ITERATIONS}; a login could time out",
                            p.iterations
                        ),
                    );
                }
                Some(HashValue::Pbkdf2(p))
            }
            Err(_) => {
                cx.pattern(phc::PBKDF2_PATTERN);
                None
            }
        },
        Algorithm::Hmac
        | Algorithm::Md4
        | Algorithm::Md5
        | Algorithm::Sha1
        | Algorithm::Sha256
        | Algorithm::Sha512
        | Algorithm::Scrypt => {
            let bin = encoding?.binary()?;
            let encoded = Encoded::new(value, bin);
            let n = match encoded.decoded_len {
                Ok(n) => n,
                Err(e) => {
                    cx.not_decodable(HASH_VALUE, bin, e);
                    return Some(HashValue::Encoded(encoded));
                }
            };
            let digest = match alg {
                Algorithm::Hmac => h.digest.valid(),
                _ => alg.digest(),
            };
            if let Some(d) = digest {
                if n != d.size() {
                    cx.length_mismatch(n, format_args!("{} produces {}", d.name(), d.size()));
                }
            } else if let (Algorithm::Scrypt, Field::Valid(k)) = (alg, keylen)
                && n as i128 != k
            {
                cx.length_mismatch(n, format_args!("keylen is {k}"));
            }
            Some(HashValue::Encoded(encoded))
        }
    }
}

/// An allowed salt: decoding warning, and the parsed spec when valid.
fn salt_spec<'a>(cx: &mut Ctx<'_>, s: &SaltShape<'a>) -> Option<SaltSpec<'a>> {
    let value = s.value.valid()?;
    let encoding = s.encoding.or_default(Encoding::Utf8)?;
    if let Some(bin) = encoding.binary()
        && let Err(e) = decode::decoded_len(value, bin)
    {
        cx.not_decodable(SALT_VALUE, bin, e);
    }
    Some(SaltSpec {
        secret: Secret { value, encoding },
        position: s.position.or_default(SaltPosition::Prefix)?,
    })
}

/// hmac's key: decoding warning, and the parsed key when valid.
fn key_spec<'a>(cx: &mut Ctx<'_>, h: &HashShape<'a>) -> Option<Secret<'a>> {
    let value = h.key_value.valid()?;
    let encoding = h.key_encoding.or_default(Encoding::Utf8)?;
    if let Some(bin) = encoding.binary()
        && let Err(e) = decode::decoded_len(value, bin)
    {
        cx.not_decodable(KEY_VALUE, bin, e);
    }
    Some(Secret { value, encoding })
}

/// scrypt's numbers with defaults, and the memory warning.
fn scrypt_params(
    cx: &mut Ctx<'_>,
    keylen: Field<i128>,
    cost: Field<i128>,
    block_size: Field<i128>,
    parallelization: Field<i128>,
) -> Option<ScryptParams> {
    let sat = |n: i128| u64::try_from(n).unwrap_or(u64::MAX);
    let n = cost.or_default(SCRYPT_DEFAULT_COST as i128);
    let r = block_size.or_default(SCRYPT_DEFAULT_BLOCK_SIZE as i128);
    if let (Some(n), Some(r)) = (n, r) {
        // Both are >= 1 and at most 1e30, so the product of three fits in u128... almost:
        // saturate rather than trust that.
        let memory = 128u128.saturating_mul(n as u128).saturating_mul(r as u128);
        if memory > SCRYPT_MAX_MEMORY {
            // Named at the parameter the user supplied (cost first): that is what to change.
            let path = if matches!(block_size, Field::Valid(_)) && matches!(cost, Field::Absent) {
                "custom_password_hash.blockSize"
            } else {
                "custom_password_hash.cost"
            };
            cx.warn(
                Code::HashCostExcessive,
                path,
                format_args!(
                    "scrypt memory 128*cost*blockSize = {memory} bytes is above 1 GiB; a login could time out"
                ),
            );
        }
    }
    Some(ScryptParams {
        keylen: sat(keylen.valid()?),
        cost: sat(n?),
        block_size: sat(r?),
        parallelization: sat(parallelization.or_default(SCRYPT_DEFAULT_PARALLELIZATION as i128)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failing unwrap is a failing test.
mod tests {
    use super::*;
    use crate::doc::{Node, StaticNode};

    type Items = Vec<(Code, String)>;

    struct Run {
        errors: Vec<(Code, String, String)>,
        warnings: Vec<(Code, String, String)>,
        parsed: Option<String>,
    }

    impl Run {
        fn errors(&self) -> Items {
            self.errors
                .iter()
                .map(|(c, p, _)| (*c, p.clone()))
                .collect()
        }
        fn warnings(&self) -> Items {
            self.warnings
                .iter()
                .map(|(c, p, _)| (*c, p.clone()))
                .collect()
        }
        fn messages(&self) -> impl Iterator<Item = &str> {
            self.errors
                .iter()
                .chain(&self.warnings)
                .map(|(_, _, m)| m.as_str())
        }
    }

    fn run(json: &str) -> Run {
        let mut b = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut b).expect("test JSON");
        let v = Value::root(&tape.0);
        let mut out = Findings::new();
        let parsed = parse_custom_password_hash(v, &mut out).map(|p| format!("{p:?}"));
        let mut again = Findings::new();
        check_custom_password_hash_for_test(v, &mut again);
        assert_eq!(out.errors().len(), again.errors().len());
        let list = |it: &mut dyn Iterator<Item = crate::finding::Finding<'_>>| {
            it.map(|f| {
                (
                    f.code,
                    f.path.unwrap_or_default().to_owned(),
                    f.message.to_owned(),
                )
            })
            .collect::<Vec<_>>()
        };
        let run = Run {
            errors: list(&mut out.errors()),
            warnings: list(&mut out.warnings()),
            parsed,
        };
        assert_eq!(run.parsed.is_some(), run.errors.is_empty(), "{json}");
        run
    }

    fn check_custom_password_hash_for_test(v: Value<'_, '_>, out: &mut Findings) {
        super::super::check_custom_password_hash(v, out);
    }

    fn items(list: &[(Code, &str)]) -> Items {
        list.iter().map(|(c, p)| (*c, (*p).to_owned())).collect()
    }

    #[track_caller]
    fn clean(json: &str) {
        let r = run(json);
        assert!(
            r.errors.is_empty() && r.warnings.is_empty(),
            "{json}\n{:?}\n{:?}",
            r.errors,
            r.warnings
        );
    }

    #[track_caller]
    fn only_errors(json: &str, want: &[(Code, &str)]) {
        let r = run(json);
        assert_eq!(r.errors(), items(want), "{json}");
        assert_eq!(r.warnings(), vec![], "{json}");
    }

    #[track_caller]
    fn warnings(json: &str, want: &[(Code, &str)]) {
        let r = run(json);
        assert_eq!(r.errors(), vec![], "{json}");
        assert_eq!(r.warnings(), items(want), "{json}");
    }

    #[track_caller]
    fn message(json: &str, code: Code, path: &str, want: &str) {
        let r = run(json);
        let found = r
            .errors
            .iter()
            .chain(&r.warnings)
            .find(|(c, p, _)| *c == code && p == path);
        assert_eq!(found.map(|(_, _, m)| m.as_str()), Some(want), "{json}");
    }

    fn hex(n: usize) -> String {
        "a1".repeat(n)
    }

    fn b64(n: usize) -> String {
        "A".repeat((n * 4).div_ceil(3))
    }

    fn digest(alg: &str, enc: &str, value: &str) -> String {
        format!(r#"{{"algorithm":"{alg}","hash":{{"value":"{value}","encoding":"{enc}"}}}}"#)
    }

    fn text(alg: &str, value: &str) -> String {
        format!(r#"{{"algorithm":"{alg}","hash":{{"value":"{value}"}}}}"#)
    }

    fn scrypt(value: &str, extra: &str) -> String {
        format!(
            r#"{{"algorithm":"scrypt","hash":{{"value":"{value}","encoding":"hex"}},"salt":{{"value":"abc123"}}{extra}}}"#
        )
    }

    const BCRYPT: &str = "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";
    const ARGON2: &str = "$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos";
    const PBKDF2: &str = "$pbkdf2-sha512$i=100000,l=64$KNyFsA2rWoE$I2CQGI9H0JxdDf3kERRI97kPCGxh0KWBIV3MxyaS191gDGfzVBGyS4BibhgqWQ0/ails8mHuU9ckASxHOOq58w";
    const LDAP: &str =
        "{SSHA384}/cgEjdoZh85DhurDeOQEMO1rMlAur93SVPbYe5XSD4lF7nNuvrBju5hUeg9A6agRemgSXGl5YuE=";

    // ---- known-answer vectors ------------------------------------------------------------

    #[test]
    fn every_vector_in_testdata_gets_its_verdict() {
        let data: serde_json::Value =
            serde_json::from_str(include_str!("../../../../testdata/hash/vectors.json")).unwrap();
        let vectors = data["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 128);
        let (mut valid, mut invalid) = (0, 0);
        for vec in vectors {
            let id = vec["id"].as_str().unwrap();
            let verdict = vec["spec_verdict"].as_str().unwrap();
            let (errs, warns) = match vec["field"].as_str().unwrap() {
                "password_hash" => {
                    let mut out = Findings::new();
                    super::super::check_password_hash(vec["value"].as_str().unwrap(), &mut out);
                    let e: Items = out
                        .errors()
                        .map(|f| (f.code, f.path.unwrap_or_default().to_owned()))
                        .collect();
                    let w: Items = out
                        .warnings()
                        .map(|f| (f.code, f.path.unwrap_or_default().to_owned()))
                        .collect();
                    (e, w)
                }
                "custom_password_hash" => {
                    let r = run(&vec["value"].to_string());
                    (r.errors(), r.warnings())
                }
                other => panic!("{id}: field {other}"),
            };
            if verdict.starts_with("valid") {
                valid += 1;
                assert!(
                    errs.is_empty() && warns.is_empty(),
                    "{id}: {errs:?} {warns:?}"
                );
            } else {
                invalid += 1;
                let code = verdict
                    .strip_prefix("error ")
                    .and_then(|v| v.split(':').next())
                    .and_then(Code::from_name)
                    .unwrap_or_else(|| panic!("{id}: verdict {verdict}"));
                assert_eq!(errs, items(&[(code, HASH_VALUE)]), "{id}");
            }
        }
        assert_eq!((valid, invalid), (127, 1));
    }

    #[test]
    fn every_published_vector_of_spec_3_3_passes_clean() {
        let cases = [
            r#"{"algorithm":"md4","hash":{"value":"AbuUujgF0pPPkJPSFRTpmA==","encoding":"base64"}}"#.to_owned(),
            r#"{"algorithm":"sha256","hash":{"value":"d24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f","encoding":"hex"},"salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}"#.to_owned(),
            r#"{"algorithm":"md5","hash":{"value":"67A1E09BB1F83F5007DC119C14D663AA","encoding":"hex"},"salt":{"value":"salt","position":"prefix"}}"#.to_owned(),
            text("bcrypt", BCRYPT),
            text("bcrypt", "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"),
            text("argon2", ARGON2),
            text("pbkdf2", "$pbkdf2-md4$i=100000,l=64$+N375B8q0Fw$fp2R9KAM4hK/votGHC5Fu+jhqbxUD8+Nic/EMSGvNC3UP/k7wSHI0uXluHRSkZfl/BOheYqNOemayG90ZaSSQw"),
            text("pbkdf2", PBKDF2),
            text("ldap", LDAP),
            r#"{"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"736868","encoding":"hex"}}}"#.to_owned(),
            r#"{"algorithm":"scrypt","hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},"salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096}"#.to_owned(),
        ];
        for json in &cases {
            clean(json);
        }
        for p in [
            "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
            "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
        ] {
            let mut out = Findings::new();
            super::super::check_password_hash(p, &mut out);
            assert!(!out.has_errors() && !out.has_warnings());
        }
    }

    // ---- the parsed value ---------------------------------------------------------------

    fn parse_ok(json: &str, f: impl FnOnce(CustomPasswordHash<'_>)) {
        let mut b = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut b).unwrap();
        let mut out = Findings::new();
        let p = parse_custom_password_hash(Value::root(&tape.0), &mut out).expect(json);
        f(p);
    }

    #[test]
    fn parsed_value_carries_defaults_and_parts() {
        parse_ok(&scrypt(&hex(32), r#","keylen":32"#), |p| {
            assert_eq!(p.scheme.algorithm(), Algorithm::Scrypt);
            let Scheme::Scrypt {
                value,
                salt,
                params,
            } = p.scheme
            else {
                panic!("{:?}", p.scheme)
            };
            assert_eq!(Encoding::from(value.encoding), Encoding::Hex);
            assert_eq!(value.decoded_len, Ok(32));
            assert_eq!(
                params,
                ScryptParams {
                    keylen: 32,
                    cost: 16384,
                    block_size: 8,
                    parallelization: 1
                }
            );
            assert_eq!(
                (salt.secret.value, salt.secret.encoding),
                ("abc123", Encoding::Utf8)
            );
            assert_eq!(salt.position, SaltPosition::Prefix);
            assert_eq!(p.password_encoding, PasswordEncoding::Utf8);
            assert_eq!(p.scheme.key(), None);
        });
        parse_ok(
            r#"{"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"736868","encoding":"hex"}},"password":{"encoding":"latin1"}}"#,
            |p| {
                let Scheme::Hmac { digest, key, value } = p.scheme else {
                    panic!("{:?}", p.scheme)
                };
                assert_eq!(digest, Digest::Sha1);
                assert_eq!(
                    key,
                    Secret {
                        value: "736868",
                        encoding: Encoding::Hex
                    }
                );
                assert_eq!(value.decoded_len, Ok(20));
                assert_eq!(p.password_encoding, PasswordEncoding::Latin1);
                assert_eq!(p.scheme.salt(), None);
            },
        );
        parse_ok(&text("argon2", ARGON2), |p| {
            // A hash string: no encoded bytes (`hash.encoding` is utf8).
            assert_eq!(p.scheme.encoded(), None);
            let Scheme::Argon2(a) = p.scheme else {
                panic!("{:?}", p.scheme)
            };
            assert_eq!((a.m_cost, a.salt_len, a.hash_len), (65536, 16, 32));
        });
        parse_ok(
            r#"{"algorithm":"bcrypt","hash":{"value":"$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"},"salt":{"value":"pepper","position":"suffix"}}"#,
            |p| {
                let Scheme::Bcrypt { hash, salt } = p.scheme else {
                    panic!("{:?}", p.scheme)
                };
                assert_eq!(hash.cost, 10);
                assert_eq!(salt.unwrap().position, SaltPosition::Suffix);
            },
        );
        // An option that does not belong to the algorithm is not carried.
        parse_ok(
            r#"{"algorithm":"md5","hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex","digest":"sha1","key":{"value":"k"}},"keylen":3}"#,
            |p| {
                assert!(
                    matches!(
                        p.scheme,
                        Scheme::Digest {
                            digest: PlainDigest::Md5,
                            salt: None,
                            ..
                        }
                    ),
                    "{:?}",
                    p.scheme
                );
                assert_eq!(p.scheme.key(), None);
            },
        );
        // A value that does not decode is carried, with why.
        parse_ok(&digest("md5", "hex", "abc"), |p| {
            let value = p.scheme.encoded().copied().unwrap();
            assert_eq!(value.decoded_len, Err(DecodeError::OddLength));
        });
    }

    #[test]
    fn debug_of_the_parsed_value_hides_every_secret() {
        let json = r#"{"algorithm":"hmac","hash":{"value":"Zm9vYmFyYmF6cXV4eHl6enk=","encoding":"base64","digest":"md5","key":{"value":"TopSecretKey"}}}"#;
        let r = run(json);
        let dbg = r.parsed.unwrap();
        assert!(
            !dbg.contains("Zm9vYmFy") && !dbg.contains("TopSecret"),
            "{dbg}"
        );
        for json in [
            text("argon2", ARGON2),
            text("pbkdf2", PBKDF2),
            text("ldap", LDAP),
            text("bcrypt", BCRYPT),
        ] {
            let dbg = run(&json).parsed.unwrap();
            for part in [
                "J6Q/82", "m04qUA", "KNyFsA", "I2CQGI", "cgEjdo", "C9hB01", "TW7xCK",
            ] {
                assert!(!dbg.contains(part), "{dbg}");
            }
        }
    }

    // ---- shape ----------------------------------------------------------------------------

    #[test]
    fn algorithm_and_hash_are_required() {
        only_errors(
            "{}",
            &[
                (Code::ObjectRequired, ALGORITHM),
                (Code::ObjectRequired, HASH),
            ],
        );
        message(
            "{}",
            Code::ObjectRequired,
            ALGORITHM,
            "Error in custom_password_hash.algorithm property - Missing required property: algorithm",
        );
        message(
            "{}",
            Code::ObjectRequired,
            HASH,
            "Error in custom_password_hash.hash property - Missing required property: hash",
        );
        only_errors(r#"{"algorithm":"md5"}"#, &[(Code::ObjectRequired, HASH)]);
        only_errors(
            r#"{"algorithm":"md5","hash":{}}"#,
            &[
                (Code::ObjectRequired, HASH_VALUE),
                (Code::ObjectRequired, HASH_ENCODING),
            ],
        );
        message(
            r#"{"algorithm":"md5","hash":{}}"#,
            Code::ObjectRequired,
            HASH_VALUE,
            "Error in custom_password_hash.hash.value property - Missing required property: value",
        );
        message(
            r#"{"algorithm":"md5","hash":{}}"#,
            Code::ObjectRequired,
            HASH_ENCODING,
            "Error in custom_password_hash.hash.encoding property - Missing required property: encoding",
        );
        only_errors(
            r#"{"algorithm":"bcrypt","hash":{"encoding":"utf8"}}"#,
            &[(Code::ObjectRequired, HASH_VALUE)],
        );
    }

    #[test]
    fn wrong_types_get_only_invalid_type() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"algorithm":null,"hash":{"value":"x"}}"#,
                ALGORITHM,
                "invalid type: null (expected string)",
            ),
            (
                r#"{"algorithm":5,"hash":{"value":"x"}}"#,
                ALGORITHM,
                "invalid type: number (expected string)",
            ),
            (
                r#"{"algorithm":["md5"],"hash":{"value":"x"}}"#,
                ALGORITHM,
                "invalid type: array (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":"abc"}"#,
                HASH,
                "invalid type: string (expected object)",
            ),
            (
                r#"{"algorithm":"md5","hash":null}"#,
                HASH,
                "invalid type: null (expected object)",
            ),
            (
                r#"{"algorithm":"md5","hash":[]}"#,
                HASH,
                "invalid type: array (expected object)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":null,"encoding":"hex"}}"#,
                HASH_VALUE,
                "invalid type: null (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":12,"encoding":"hex"}}"#,
                HASH_VALUE,
                "invalid type: number (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":null}}"#,
                HASH_ENCODING,
                "invalid type: null (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":true}}"#,
                HASH_ENCODING,
                "invalid type: boolean (expected string)",
            ),
            (
                r#"{"algorithm":"md4","hash":{"value":"00","encoding":"hex","digest":1}}"#,
                HASH_DIGEST,
                "invalid type: number (expected string)",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"md5","key":"k"}}"#,
                KEY,
                "invalid type: string (expected object)",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"md5","key":null}}"#,
                KEY,
                "invalid type: null (expected object)",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"md5","key":{"value":{}}}}"#,
                KEY_VALUE,
                "invalid type: object (expected string)",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"md5","key":{"value":"k","encoding":0}}}"#,
                KEY_ENCODING,
                "invalid type: number (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":"s"}"#,
                SALT,
                "invalid type: string (expected object)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":null}"#,
                SALT,
                "invalid type: null (expected object)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":1}}"#,
                SALT_VALUE,
                "invalid type: number (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s","encoding":[]}}"#,
                SALT_ENCODING,
                "invalid type: array (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s","position":null}}"#,
                SALT_POSITION,
                "invalid type: null (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"password":"utf8"}"#,
                PASSWORD,
                "invalid type: string (expected object)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"password":{"encoding":8}}"#,
                PASSWORD_ENCODING,
                "invalid type: number (expected string)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"keylen":"32"}"#,
                KEYLEN,
                "invalid type: string (expected integer)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"keylen":null}"#,
                KEYLEN,
                "invalid type: null (expected integer)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"keylen":1.5}"#,
                KEYLEN,
                "invalid type: number (expected integer)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"cost":16.5}"#,
                COST,
                "invalid type: number (expected integer)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"blockSize":true}"#,
                BLOCK_SIZE,
                "invalid type: boolean (expected integer)",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"parallelization":{}}"#,
                PARALLELIZATION,
                "invalid type: object (expected integer)",
            ),
        ];
        for (json, path, msg) in cases {
            let r = run(json);
            let want_msg = format!("Error in {path} property - {msg}");
            let invalid: Vec<_> = r
                .errors
                .iter()
                .filter(|(c, _, _)| *c == Code::InvalidType)
                .collect();
            assert_eq!(invalid.len(), 1, "{json}: {:?}", r.errors);
            assert_eq!(
                (invalid[0].1.as_str(), invalid[0].2.as_str()),
                (*path, want_msg.as_str()),
                "{json}"
            );
            // Nothing else about that value: no required/enum/pattern error at or under it.
            for (c, p, _) in &r.errors {
                assert!(
                    *c == Code::InvalidType || !p.starts_with(path),
                    "{json}: {:?}",
                    r.errors
                );
            }
        }
    }

    #[test]
    fn integers_accept_integral_numbers_only() {
        clean(&scrypt(
            &hex(32),
            r#","keylen":32.0,"cost":4096.0,"blockSize":8.0,"parallelization":1.0"#,
        ));
        clean(&scrypt(&hex(32), r#","keylen":3.2e1"#));
        // simd-json refuses `1e400`; the exact fallback parser gives an infinite F64, so
        // put one in the tape by hand.
        for (key, path) in [("keylen", KEYLEN), ("cost", COST)] {
            for inf in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                let json = scrypt(&hex(32), &format!(r#","keylen":32,"{key}":424242"#));
                let mut b = json.into_bytes();
                let mut tape = simd_json::to_tape(&mut b).unwrap();
                for node in tape.0.iter_mut() {
                    if matches!(
                        node,
                        Node::Static(StaticNode::U64(424242) | StaticNode::I64(424242))
                    ) {
                        *node = Node::Static(StaticNode::F64(inf));
                    }
                }
                let mut out = Findings::new();
                assert!(parse_custom_password_hash(Value::root(&tape.0), &mut out).is_none());
                let e: Items = out
                    .errors()
                    .map(|f| (f.code, f.path.unwrap_or_default().to_owned()))
                    .collect();
                assert_eq!(e, items(&[(Code::InvalidType, path)]));
                assert_eq!(
                    out.errors().next().unwrap().message,
                    format!("Error in {path} property - invalid type: number (expected integer)")
                );
            }
        }
    }

    #[test]
    fn minimum_and_power_of_two() {
        let md5 = |extra: &str| {
            format!(
                r#"{{"algorithm":"md5","hash":{{"value":"{}","encoding":"hex"}}{extra}}}"#,
                hex(16)
            )
        };
        for (extra, code, path, msg) in [
            (
                r#","keylen":0"#,
                Code::Minimum,
                KEYLEN,
                "Value 0 is less than minimum 1",
            ),
            (
                r#","keylen":-5"#,
                Code::Minimum,
                KEYLEN,
                "Value -5 is less than minimum 1",
            ),
            (
                r#","blockSize":0"#,
                Code::Minimum,
                BLOCK_SIZE,
                "Value 0 is less than minimum 1",
            ),
            (
                r#","parallelization":-1"#,
                Code::Minimum,
                PARALLELIZATION,
                "Value -1 is less than minimum 1",
            ),
            (
                r#","cost":1"#,
                Code::Minimum,
                COST,
                "Value 1 is less than minimum 2",
            ),
            (
                r#","cost":0"#,
                Code::Minimum,
                COST,
                "Value 0 is less than minimum 2",
            ),
            (
                r#","cost":-4"#,
                Code::Minimum,
                COST,
                "Value -4 is less than minimum 2",
            ),
            (
                r#","cost":3"#,
                Code::Format,
                COST,
                "Value 3 is not a power of two",
            ),
            (
                r#","cost":6"#,
                Code::Format,
                COST,
                "Value 6 is not a power of two",
            ),
            (
                r#","cost":16385"#,
                Code::Format,
                COST,
                "Value 16385 is not a power of two",
            ),
        ] {
            let json = md5(extra);
            only_errors(&json, &[(code, path)]);
            message(
                &json,
                code,
                path,
                &format!("Error in {path} property - {msg}"),
            );
        }
        for extra in [
            r#","keylen":1"#,
            r#","blockSize":1"#,
            r#","parallelization":1"#,
            r#","cost":2"#,
            r#","cost":4"#,
            r#","cost":1024"#,
            r#","cost":9223372036854775808"#,
        ] {
            clean(&md5(extra));
        }
    }

    #[test]
    fn enum_mismatch_names_the_value_as_is() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"algorithm":"sha3","hash":{"value":"x"}}"#,
                ALGORITHM,
                "sha3",
            ),
            (
                r#"{"algorithm":"MD5","hash":{"value":"x"}}"#,
                ALGORITHM,
                "MD5",
            ),
            (
                r#"{"algorithm":"md5 ","hash":{"value":"x"}}"#,
                ALGORITHM,
                "md5 ",
            ),
            (
                r#"{"algorithm":"a\"b\n","hash":{"value":"x"}}"#,
                ALGORITHM,
                "a\"b\n",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"HEX"}}"#,
                HASH_ENCODING,
                "HEX",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"base64url"}}"#,
                HASH_ENCODING,
                "base64url",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"SHA256","key":{"value":"k"}}}"#,
                HASH_DIGEST,
                "SHA256",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"mdc2","key":{"value":"k"}}}"#,
                HASH_DIGEST,
                "mdc2",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"sha3-256","key":{"value":"k"}}}"#,
                HASH_DIGEST,
                "sha3-256",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"md5","key":{"value":"k","encoding":"latin1"}}}"#,
                KEY_ENCODING,
                "latin1",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s","encoding":"ascii"}}"#,
                SALT_ENCODING,
                "ascii",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s","position":"middle"}}"#,
                SALT_POSITION,
                "middle",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"password":{"encoding":"utf-8"}}"#,
                PASSWORD_ENCODING,
                "utf-8",
            ),
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"password":{"encoding":"UTF8"}}"#,
                PASSWORD_ENCODING,
                "UTF8",
            ),
            // Valid enum values that the algorithm does not allow.
            (
                r#"{"algorithm":"md5","hash":{"value":"00","encoding":"utf8"}}"#,
                HASH_ENCODING,
                "utf8",
            ),
            (
                r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"utf8","digest":"md5","key":{"value":"k"}}}"#,
                HASH_ENCODING,
                "utf8",
            ),
            (
                r#"{"algorithm":"scrypt","hash":{"value":"00","encoding":"utf8"},"salt":{"value":"s"},"keylen":1}"#,
                HASH_ENCODING,
                "utf8",
            ),
        ];
        for (json, path, shown) in cases {
            let r = run(json);
            let em: Vec<_> = r
                .errors
                .iter()
                .filter(|(c, _, _)| *c == Code::EnumMismatch)
                .collect();
            assert_eq!(em.len(), 1, "{json}: {:?}", r.errors);
            assert_eq!(em[0].1, *path, "{json}");
            assert_eq!(
                em[0].2,
                format!("Error in {path} property - No enum match for: {shown}"),
                "{json}"
            );
        }
        for alg in ["argon2", "bcrypt", "ldap", "pbkdf2"] {
            for enc in ["hex", "base64"] {
                let json = format!(
                    r#"{{"algorithm":"{alg}","hash":{{"value":"{}","encoding":"{enc}"}}}}"#,
                    match alg {
                        "argon2" => ARGON2,
                        "bcrypt" => BCRYPT,
                        "ldap" => LDAP,
                        _ => PBKDF2,
                    }
                );
                only_errors(&json, &[(Code::EnumMismatch, HASH_ENCODING)]);
                message(
                    &json,
                    Code::EnumMismatch,
                    HASH_ENCODING,
                    &format!("Error in {HASH_ENCODING} property - No enum match for: {enc}"),
                );
            }
        }
    }

    #[test]
    fn every_enum_value_is_accepted() {
        for (name, _) in Digest::HMAC_NAMES {
            clean(&format!(
                r#"{{"algorithm":"hmac","hash":{{"value":"{}","encoding":"hex","digest":"{name}","key":{{"value":"k"}}}}}}"#,
                hex(Digest::from_hmac_name(name).unwrap().size())
            ));
        }
        for (name, _) in PasswordEncoding::NAMES {
            clean(&format!(
                r#"{{"algorithm":"md5","hash":{{"value":"{}","encoding":"hex"}},"password":{{"encoding":"{name}"}}}}"#,
                hex(16)
            ));
        }
        for (enc, value) in [("utf8", "any thing"), ("hex", "00ff"), ("base64", "AA==")] {
            for pos in ["prefix", "suffix"] {
                clean(&format!(
                    r#"{{"algorithm":"sha1","hash":{{"value":"{}","encoding":"base64"}},"salt":{{"value":"{value}","encoding":"{enc}","position":"{pos}"}}}}"#,
                    b64(20)
                ));
            }
        }
    }

    #[test]
    fn unknown_keys_at_every_level() {
        let json = r#"{"algorithm":"hmac","iterations":3,"hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex","digest":"md5","key":{"value":"k","format":"raw"},"salt":"x"},"salt":{"value":"s","extra":1},"password":{"encoding":"utf8","normalize":true},"Keylen":1}"#;
        let r = run(json);
        assert_eq!(
            r.errors(),
            items(&[
                (
                    Code::ObjectAdditionalProperties,
                    "custom_password_hash.iterations"
                ),
                (
                    Code::ObjectAdditionalProperties,
                    "custom_password_hash.Keylen"
                ),
                (
                    Code::ObjectAdditionalProperties,
                    "custom_password_hash.hash.salt"
                ),
                (
                    Code::ObjectAdditionalProperties,
                    "custom_password_hash.hash.key.format"
                ),
                (
                    Code::ObjectAdditionalProperties,
                    "custom_password_hash.salt.extra"
                ),
                (
                    Code::ObjectAdditionalProperties,
                    "custom_password_hash.password.normalize"
                ),
                (Code::NotPassed, SALT),
            ])
        );
        message(
            json,
            Code::ObjectAdditionalProperties,
            "custom_password_hash.hash.key.format",
            "Error in custom_password_hash.hash.key.format property - Additional properties not allowed: format",
        );
        // A repeated unknown key is reported once.
        only_errors(
            r#"{"algorithm":"md5","x":1,"x":2,"hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex"}}"#,
            &[(Code::ObjectAdditionalProperties, "custom_password_hash.x")],
        );
    }

    #[test]
    fn the_last_of_repeated_keys_wins() {
        clean(&format!(
            r#"{{"algorithm":"nope","algorithm":"md5","hash":{{"value":"zz","value":"{}","encoding":"utf8","encoding":"hex"}}}}"#,
            hex(16)
        ));
        only_errors(
            &format!(
                r#"{{"algorithm":"md5","algorithm":"nope","hash":{{"value":"{}","encoding":"hex"}}}}"#,
                hex(16)
            ),
            &[(Code::EnumMismatch, ALGORITHM)],
        );
    }

    #[test]
    fn nested_required_properties() {
        only_errors(
            r#"{"algorithm":"hmac","hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex","digest":"md5","key":{"encoding":"hex"}}}"#,
            &[(Code::ObjectRequired, KEY_VALUE)],
        );
        only_errors(
            r#"{"algorithm":"md5","hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex"},"salt":{"encoding":"hex"}}"#,
            &[(Code::ObjectRequired, SALT_VALUE)],
        );
        message(
            r#"{"algorithm":"md5","hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex"},"salt":{}}"#,
            Code::ObjectRequired,
            SALT_VALUE,
            "Error in custom_password_hash.salt.value property - Missing required property: value",
        );
        clean(
            r#"{"algorithm":"md5","hash":{"value":"00112233445566778899aabbccddeeff","encoding":"hex"},"password":{}}"#,
        );
    }

    // ---- algorithm rules ----------------------------------------------------------------

    #[test]
    fn an_invalid_algorithm_skips_every_algorithm_rule() {
        // No NOT_PASSED, no required encoding/keylen/salt, no PATTERN, no warnings; the shape
        // of everything else is still checked.
        only_errors(
            r#"{"algorithm":"sha3","hash":{"value":"zz"},"salt":{"value":"zz","encoding":"hex"}}"#,
            &[(Code::EnumMismatch, ALGORITHM)],
        );
        only_errors(
            r#"{"hash":{"value":"$2b$99$x","encoding":"hexx"},"cost":3}"#,
            &[
                (Code::ObjectRequired, ALGORITHM),
                (Code::EnumMismatch, HASH_ENCODING),
                (Code::Format, COST),
            ],
        );
        only_errors(
            r#"{"algorithm":1,"hash":{"value":"zz","encoding":"hex"},"keylen":0}"#,
            &[(Code::InvalidType, ALGORITHM), (Code::Minimum, KEYLEN)],
        );
    }

    #[test]
    fn binary_algorithms_require_hex_or_base64() {
        for alg in ["md4", "md5", "sha1", "sha256", "sha512"] {
            let size = Algorithm::from_name(alg).unwrap().digest_size().unwrap();
            clean(&digest(alg, "hex", &hex(size)));
            clean(&digest(alg, "base64", &b64(size)));
            only_errors(
                &text(alg, &hex(size)),
                &[(Code::ObjectRequired, HASH_ENCODING)],
            );
            only_errors(
                &digest(alg, "utf8", &hex(size)),
                &[(Code::EnumMismatch, HASH_ENCODING)],
            );
            // No decoding when the encoding is missing or wrong: no warning either.
            only_errors(
                &text(alg, "not hex!"),
                &[(Code::ObjectRequired, HASH_ENCODING)],
            );
            only_errors(
                &digest(alg, "utf8", "not hex!"),
                &[(Code::EnumMismatch, HASH_ENCODING)],
            );
            only_errors(
                &digest(alg, "HEX", "not hex!"),
                &[(Code::EnumMismatch, HASH_ENCODING)],
            );
        }
    }

    #[test]
    fn salt_is_forbidden_for_argon2_hmac_ldap_pbkdf2() {
        let salt = r#","salt":{"value":"abc"}"#;
        for json in [
            format!(r#"{{"algorithm":"argon2","hash":{{"value":"{ARGON2}"}}{salt}}}"#),
            format!(r#"{{"algorithm":"ldap","hash":{{"value":"{LDAP}"}}{salt}}}"#),
            format!(r#"{{"algorithm":"pbkdf2","hash":{{"value":"{PBKDF2}"}}{salt}}}"#),
            format!(
                r#"{{"algorithm":"hmac","hash":{{"value":"{}","encoding":"hex","digest":"md5","key":{{"value":"k"}}}}{salt}}}"#,
                hex(16)
            ),
        ] {
            only_errors(&json, &[(Code::NotPassed, SALT)]);
            message(
                &json,
                Code::NotPassed,
                SALT,
                "Error in custom_password_hash.salt property - Forbidden attribute in custom_password_hash: salt",
            );
        }
        // Whatever the salt looks like; its own shape is still checked, its value not decoded.
        only_errors(
            &format!(r#"{{"algorithm":"argon2","hash":{{"value":"{ARGON2}"}},"salt":null}}"#),
            &[(Code::InvalidType, SALT), (Code::NotPassed, SALT)],
        );
        only_errors(
            &format!(
                r#"{{"algorithm":"argon2","hash":{{"value":"{ARGON2}"}},"salt":{{"encoding":"hex"}}}}"#
            ),
            &[(Code::ObjectRequired, SALT_VALUE), (Code::NotPassed, SALT)],
        );
        only_errors(
            &format!(
                r#"{{"algorithm":"ldap","hash":{{"value":"{LDAP}"}},"salt":{{"value":"zz","encoding":"hex"}}}}"#
            ),
            &[(Code::NotPassed, SALT)],
        );
        // Allowed for the digests and bcrypt; required for scrypt.
        for json in [
            format!(r#"{{"algorithm":"bcrypt","hash":{{"value":"{BCRYPT}"}}{salt}}}"#),
            format!(
                r#"{{"algorithm":"sha512","hash":{{"value":"{}","encoding":"hex"}}{salt}}}"#,
                hex(64)
            ),
        ] {
            clean(&json);
        }
        only_errors(
            &format!(
                r#"{{"algorithm":"scrypt","hash":{{"value":"{}","encoding":"hex"}},"keylen":32}}"#,
                hex(32)
            ),
            &[(Code::ObjectRequired, SALT)],
        );
        message(
            &format!(
                r#"{{"algorithm":"scrypt","hash":{{"value":"{}","encoding":"hex"}},"keylen":32}}"#,
                hex(32)
            ),
            Code::ObjectRequired,
            SALT,
            "Error in custom_password_hash.salt property - Missing required property: salt",
        );
    }

    #[test]
    fn hmac_requires_digest_and_key() {
        only_errors(
            &digest("hmac", "hex", &hex(16)),
            &[
                (Code::ObjectRequired, HASH_DIGEST),
                (Code::ObjectRequired, KEY),
            ],
        );
        message(
            &digest("hmac", "hex", &hex(16)),
            Code::ObjectRequired,
            KEY,
            "Error in custom_password_hash.hash.key property - Missing required property: key",
        );
        // Not when `hash` itself is missing or not an object.
        only_errors(r#"{"algorithm":"hmac"}"#, &[(Code::ObjectRequired, HASH)]);
        only_errors(
            r#"{"algorithm":"hmac","hash":7}"#,
            &[(Code::InvalidType, HASH)],
        );
    }

    #[test]
    fn scrypt_requires_keylen() {
        only_errors(&scrypt(&hex(32), ""), &[(Code::ObjectRequired, KEYLEN)]);
        message(
            &scrypt(&hex(32), ""),
            Code::ObjectRequired,
            KEYLEN,
            "Error in custom_password_hash.keylen property - Missing required property: keylen",
        );
    }

    #[test]
    fn options_that_do_not_belong_are_accepted_and_ignored() {
        let extras = r#","keylen":7,"cost":8,"blockSize":3,"parallelization":2,"password":{"encoding":"ucs2"}"#;
        let key = r#","digest":"whirlpool","key":{"value":"zz","encoding":"hex"}"#;
        for (alg, value, enc) in [
            ("md5", hex(16), r#","encoding":"hex""#),
            ("sha1", b64(20), r#","encoding":"base64""#),
            ("bcrypt", BCRYPT.to_owned(), ""),
            ("argon2", ARGON2.to_owned(), r#","encoding":"utf8""#),
            ("ldap", LDAP.to_owned(), ""),
            ("pbkdf2", PBKDF2.to_owned(), ""),
        ] {
            clean(&format!(
                r#"{{"algorithm":"{alg}","hash":{{"value":"{value}"{enc}{key}}}{extras}}}"#
            ));
        }
        // scrypt ignores hash.key and hash.digest, even an undecodable key.
        clean(&format!(
            r#"{{"algorithm":"scrypt","hash":{{"value":"{}","encoding":"hex"{key}}},"salt":{{"value":"s"}},"keylen":32}}"#,
            hex(32)
        ));
        // The digest of an algorithm that is not hmac does not set the expected length.
        clean(&format!(
            r#"{{"algorithm":"md5","hash":{{"value":"{}","encoding":"hex","digest":"sha512"}}}}"#,
            hex(16)
        ));
    }

    // ---- hash strings -------------------------------------------------------------------

    #[test]
    fn string_formats_report_pattern_with_the_expected_shape() {
        let cases = [
            (
                "argon2",
                "$argon2d$v=19$m=4096,t=3,p=1$aE0MLd5Qp+ygJYPAd7CPzg$QAmOgGTyWromNyphk3p2HRkRNRnT5B8YmUrdzXKwOW8",
                phc::ARGON2_PATTERN,
            ),
            (
                "argon2",
                "$argon2id$v=16$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos",
                phc::ARGON2_PATTERN,
            ),
            ("argon2", BCRYPT, phc::ARGON2_PATTERN),
            (
                "bcrypt",
                "$2$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
                bcrypt::PATTERN,
            ),
            (
                "bcrypt",
                "$2x$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
                bcrypt::PATTERN,
            ),
            ("bcrypt", "", bcrypt::PATTERN),
            ("ldap", "{CRYPT}abc", ldap::PATTERN),
            ("ldap", "{SHA1}qUqP5cyxm6YcTAhz05Hph5gvu9M=", ldap::PATTERN),
            ("ldap", "{SHA}qUqP5", ldap::PATTERN),
            ("ldap", "{SHA}not base64!", ldap::PATTERN),
            (
                "pbkdf2",
                "$pbkdf2-sha3-256$i=1$AAAA$AAAA",
                phc::PBKDF2_PATTERN,
            ),
            (
                "pbkdf2",
                "$pbkdf2-sha256$i=0$AAAA$AAAA",
                phc::PBKDF2_PATTERN,
            ),
        ];
        for (alg, value, pattern) in cases {
            let json = text(alg, value);
            only_errors(&json, &[(Code::Pattern, HASH_VALUE)]);
            message(
                &json,
                Code::Pattern,
                HASH_VALUE,
                &format!(
                    "Error in custom_password_hash.hash.value property - String does not match pattern {pattern}"
                ),
            );
        }
    }

    #[test]
    fn bcrypt_cost_boundaries() {
        let tail = &BCRYPT[7..];
        for (cost, ok) in [("03", false), ("04", true), ("31", true), ("32", false)] {
            for v in ["2a", "2b", "2y"] {
                let json = text("bcrypt", &format!("${v}${cost}${tail}"));
                if ok {
                    clean(&json)
                } else {
                    only_errors(&json, &[(Code::Pattern, HASH_VALUE)])
                }
            }
        }
    }

    #[test]
    fn argon2_boundaries() {
        let p = "$argon2id$v=19$m=65536,t=2,p=1";
        for (salt, tag, ok) in [
            (b64(7), b64(16), false),
            (b64(8), b64(16), true),
            (b64(8), b64(15), false),
        ] {
            let json = text("argon2", &format!("{p}${salt}${tag}"));
            if ok {
                clean(&json)
            } else {
                only_errors(&json, &[(Code::Pattern, HASH_VALUE)])
            }
        }
        // 127 characters pass, 128 do not (p is 30 characters).
        let s127 = format!("{p}${}${}", "A".repeat(11), "A".repeat(84));
        assert_eq!(s127.len(), 127);
        clean(&text("argon2", &s127));
        let s128 = format!("{p}${}${}", "A".repeat(12), "A".repeat(84));
        assert_eq!(s128.len(), 128);
        only_errors(&text("argon2", &s128), &[(Code::Pattern, HASH_VALUE)]);
        // HASH_COST_EXCESSIVE above 4 GiB of memory (m in KiB).
        let at = |m: u32| {
            text(
                "argon2",
                &format!("$argon2i$v=19$m={m},t=1,p=1${}${}", b64(16), b64(32)),
            )
        };
        clean(&at(4_194_304));
        warnings(&at(4_194_305), &[(Code::HashCostExcessive, HASH_VALUE)]);
        message(
            &at(4_194_305),
            Code::HashCostExcessive,
            HASH_VALUE,
            "argon2 m=4194305 KiB is above 4 GiB; a login could time out",
        );
        warnings(&at(u32::MAX), &[(Code::HashCostExcessive, HASH_VALUE)]);
    }

    #[test]
    fn pbkdf2_boundaries_and_warnings() {
        let pb = |params: &str, dk: &str| {
            text(
                "pbkdf2",
                &format!("$pbkdf2-sha256{params}$KNyFsA2rWoE${dk}"),
            )
        };
        clean(&pb("$i=1,l=32", &b64(32)));
        only_errors(&pb("$i=0,l=32", &b64(32)), &[(Code::Pattern, HASH_VALUE)]);
        only_errors(&pb("$i=1,l=0", &b64(32)), &[(Code::Pattern, HASH_VALUE)]);
        clean(&pb("$i=10000000", &b64(64)));
        warnings(
            &pb("$i=10000001", &b64(64)),
            &[(Code::HashCostExcessive, HASH_VALUE)],
        );
        message(
            &pb("$i=10000001", &b64(64)),
            Code::HashCostExcessive,
            HASH_VALUE,
            "pbkdf2 i=10000001 is above 10000000; a login could time out",
        );
        // dk against l, 64 when absent.
        clean(&pb("", &b64(64)));
        warnings(&pb("", &b64(32)), &[(Code::HashLengthMismatch, HASH_VALUE)]);
        message(
            &pb("", &b64(32)),
            Code::HashLengthMismatch,
            HASH_VALUE,
            "Decoded hash is 32 bytes but l is 64; no password will verify",
        );
        warnings(
            &pb("$l=32", &b64(31)),
            &[(Code::HashLengthMismatch, HASH_VALUE)],
        );
        warnings(
            &pb("$l=32", &b64(33)),
            &[(Code::HashLengthMismatch, HASH_VALUE)],
        );
        warnings(
            &pb("$i=20000000,l=16", &b64(64)),
            &[
                (Code::HashLengthMismatch, HASH_VALUE),
                (Code::HashCostExcessive, HASH_VALUE),
            ],
        );
        // Every listed digest name, mdc2 variants included; names are case-sensitive.
        for (name, _) in Digest::PBKDF2_NAMES {
            clean(&text(
                "pbkdf2",
                &format!("$pbkdf2-{name}$AAAAAAAAAAA${}", b64(64)),
            ));
        }
        only_errors(
            &text("pbkdf2", &format!("$pbkdf2-SHA256$AAAAAAAAAAA${}", b64(64))),
            &[(Code::Pattern, HASH_VALUE)],
        );
        only_errors(
            &text(
                "pbkdf2",
                &format!("$pbkdf2-sha256$c=1$AAAAAAAAAAA${}", b64(64)),
            ),
            &[(Code::Pattern, HASH_VALUE)],
        );
    }

    #[test]
    fn ldap_lengths() {
        // Unsalted: exactly the digest size; salted: more than it.
        for (scheme, size) in [
            ("MD5", 16),
            ("SHA", 20),
            ("SHA256", 32),
            ("SHA384", 48),
            ("SHA512", 64),
        ] {
            clean(&text("ldap", &format!("{{{scheme}}}{}", b64(size))));
            clean(&text(
                "ldap",
                &format!("{{{}}}{}", scheme.to_lowercase(), b64(size)),
            ));
            warnings(
                &text("ldap", &format!("{{{scheme}}}{}", b64(size + 1))),
                &[(Code::HashLengthMismatch, HASH_VALUE)],
            );
            warnings(
                &text("ldap", &format!("{{{scheme}}}{}", b64(size - 1))),
                &[(Code::HashLengthMismatch, HASH_VALUE)],
            );
            clean(&text("ldap", &format!("{{S{scheme}}}{}", b64(size + 1))));
            clean(&text("ldap", &format!("{{S{scheme}}}{}", b64(size + 8))));
            warnings(
                &text("ldap", &format!("{{S{scheme}}}{}", b64(size))),
                &[(Code::HashLengthMismatch, HASH_VALUE)],
            );
        }
        message(
            &text("ldap", &format!("{{SHA}}{}", b64(21))),
            Code::HashLengthMismatch,
            HASH_VALUE,
            "Decoded hash is 21 bytes but {SHA} produces 20; no password will verify",
        );
        message(
            &text("ldap", &format!("{{SSHA}}{}", b64(20))),
            Code::HashLengthMismatch,
            HASH_VALUE,
            "Decoded hash is 20 bytes but {SSHA} needs more than 20; no password will verify",
        );
        // Padding optional, URL alphabet accepted; mixed alphabets are PATTERN.
        clean(&text("ldap", "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M"));
        clean(&text("ldap", "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M="));
        clean(&text("ldap", "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9-"));
        only_errors(
            &text("ldap", "{SHA}qUqP5cyxm6YcTAhz05Hph5gv-/"),
            &[(Code::Pattern, HASH_VALUE)],
        );
    }

    // ---- decoding warnings --------------------------------------------------------------

    #[test]
    fn digest_lengths_and_decoding() {
        for (alg, size) in [
            ("md4", 16),
            ("md5", 16),
            ("sha1", 20),
            ("sha256", 32),
            ("sha512", 64),
        ] {
            clean(&digest(alg, "hex", &hex(size).to_uppercase()));
            clean(&digest(alg, "base64", &b64(size)));
            for n in [size - 1, size + 1, 0] {
                warnings(
                    &digest(alg, "hex", &hex(n)),
                    &[(Code::HashLengthMismatch, HASH_VALUE)],
                );
                warnings(
                    &digest(alg, "base64", &b64(n)),
                    &[(Code::HashLengthMismatch, HASH_VALUE)],
                );
            }
        }
        message(
            &digest("md5", "hex", &hex(15)),
            Code::HashLengthMismatch,
            HASH_VALUE,
            "Decoded hash is 15 bytes but md5 produces 16; no password will verify",
        );
        // Undecodable: the warning, and no length check.
        for (enc, value) in [
            ("hex", format!("{}a", hex(16))),
            ("hex", format!("{}zz", hex(15))),
            ("hex", format!(" {}", hex(16))),
            ("base64", "+_AAAAAAAAAAAAAAAAAAAA".to_owned()),
            ("base64", "AAAAAAAAAAAAAAAAAAAAAA=".to_owned()),
            ("base64", "AAAAAAAAAAAAAAAAAAAAA".to_owned()),
            ("base64", "AAAAAAAAAAA AAAAAAAAAA==".to_owned()),
            ("base64", "AAAAAAAAAAAAAAAAAAAAAA==\\n".to_owned()),
            ("base64", "AAAAAAAAAAAAAAAAAAAAAA\\n".to_owned()),
            ("hex", format!("{}\\n", hex(16))),
        ] {
            warnings(
                &digest("md5", enc, &value),
                &[(Code::HashNotDecodable, HASH_VALUE)],
            );
        }
        message(
            &digest("md5", "hex", "abc"),
            Code::HashNotDecodable,
            HASH_VALUE,
            "Value is not valid hex (odd number of hex digits); no password will verify",
        );
        message(
            &digest("md5", "base64", "+_AAAAAAAAAAAAAAAAAAAA"),
            Code::HashNotDecodable,
            HASH_VALUE,
            "Value is not valid base64 (mixes the standard and URL alphabets); no password will verify",
        );
        // Padding variants and the URL alphabet decode.
        for value in [
            "AAAAAAAAAAAAAAAAAAAAAA==",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "-_-_-_-_AAAAAAAAAAAAAA",
            "+/+/+/+/AAAAAAAAAAAAAA==",
            "AAAAAAAAAAAAAAAAAAAAAB",
        ] {
            clean(&digest("md5", "base64", value));
        }
        clean(&digest("md5", "hex", "aAbBcCdDeEfF00112233445566778899"));
    }

    #[test]
    fn hmac_length_follows_its_digest() {
        let hm = |dg: &str, value: &str, enc: &str| {
            format!(
                r#"{{"algorithm":"hmac","hash":{{"value":"{value}","encoding":"{enc}","digest":"{dg}","key":{{"value":"k"}}}}}}"#
            )
        };
        clean(&hm("sha224", &hex(28), "hex"));
        clean(&hm("whirlpool", &b64(64), "base64"));
        clean(&hm("ripemd160", &hex(20), "hex"));
        warnings(
            &hm("sha224", &hex(32), "hex"),
            &[(Code::HashLengthMismatch, HASH_VALUE)],
        );
        warnings(
            &hm("sha1", "zz", "hex"),
            &[(Code::HashNotDecodable, HASH_VALUE)],
        );
        // An invalid digest: no length check.
        only_errors(
            &hm("sha3", &hex(3), "hex"),
            &[(Code::EnumMismatch, HASH_DIGEST)],
        );
        // Missing digest: no length check either.
        only_errors(
            &format!(
                r#"{{"algorithm":"hmac","hash":{{"value":"{}","encoding":"hex","key":{{"value":"k"}}}}}}"#,
                hex(3)
            ),
            &[(Code::ObjectRequired, HASH_DIGEST)],
        );
    }

    #[test]
    fn salt_and_key_decoding() {
        let md5 = |salt: &str| {
            format!(
                r#"{{"algorithm":"md5","hash":{{"value":"{}","encoding":"hex"}},"salt":{salt}}}"#,
                hex(16)
            )
        };
        clean(&md5(r#"{"value":"zz not hex"}"#));
        clean(&md5(r#"{"value":"zz not hex","encoding":"utf8"}"#));
        clean(&md5(r#"{"value":"","encoding":"hex"}"#));
        clean(&md5(r#"{"value":"DEADbeef","encoding":"hex"}"#));
        clean(&md5(r#"{"value":"ct3ii4NgGQw","encoding":"base64"}"#));
        warnings(
            &md5(r#"{"value":"abc","encoding":"hex"}"#),
            &[(Code::HashNotDecodable, SALT_VALUE)],
        );
        warnings(
            &md5(r#"{"value":"a+b_","encoding":"base64"}"#),
            &[(Code::HashNotDecodable, SALT_VALUE)],
        );
        // A salt with an invalid encoding is not decoded.
        only_errors(
            &md5(r#"{"value":"abc","encoding":"HEX"}"#),
            &[(Code::EnumMismatch, SALT_ENCODING)],
        );
        // Both at once: each at its own path.
        warnings(
            r#"{"algorithm":"sha1","hash":{"value":"xyz","encoding":"hex"},"salt":{"value":"x","encoding":"base64"}}"#,
            &[
                (Code::HashNotDecodable, HASH_VALUE),
                (Code::HashNotDecodable, SALT_VALUE),
            ],
        );
        // bcrypt and scrypt salts are decoded too.
        warnings(
            &format!(
                r#"{{"algorithm":"bcrypt","hash":{{"value":"{BCRYPT}"}},"salt":{{"value":"0","encoding":"hex"}}}}"#
            ),
            &[(Code::HashNotDecodable, SALT_VALUE)],
        );
        warnings(
            &format!(
                r#"{{"algorithm":"scrypt","hash":{{"value":"{}","encoding":"base64"}},"salt":{{"value":"A","encoding":"base64"}},"keylen":32}}"#,
                b64(32)
            ),
            &[(Code::HashNotDecodable, SALT_VALUE)],
        );
        // hmac's key.
        let hm = |key: &str| {
            format!(
                r#"{{"algorithm":"hmac","hash":{{"value":"{}","encoding":"hex","digest":"md5","key":{key}}}}}"#,
                hex(16)
            )
        };
        clean(&hm(r#"{"value":"any key"}"#));
        clean(&hm(r#"{"value":"736868","encoding":"hex"}"#));
        clean(&hm(r#"{"value":"c2ho","encoding":"base64"}"#));
        warnings(
            &hm(r#"{"value":"73686","encoding":"hex"}"#),
            &[(Code::HashNotDecodable, KEY_VALUE)],
        );
        warnings(
            &hm(r#"{"value":"c2hoo","encoding":"base64"}"#),
            &[(Code::HashNotDecodable, KEY_VALUE)],
        );
    }

    #[test]
    fn scrypt_length_cost_and_memory() {
        clean(&scrypt(&hex(32), r#","keylen":32"#));
        warnings(
            &scrypt(&hex(31), r#","keylen":32"#),
            &[(Code::HashLengthMismatch, HASH_VALUE)],
        );
        message(
            &scrypt(&hex(31), r#","keylen":32"#),
            Code::HashLengthMismatch,
            HASH_VALUE,
            "Decoded hash is 31 bytes but keylen is 32; no password will verify",
        );
        // An invalid keylen: its error, and no length check.
        only_errors(
            &scrypt(&hex(31), r#","keylen":0"#),
            &[(Code::Minimum, KEYLEN)],
        );
        // cost 1/2/3.
        only_errors(
            &scrypt(&hex(32), r#","keylen":32,"cost":1"#),
            &[(Code::Minimum, COST)],
        );
        clean(&scrypt(&hex(32), r#","keylen":32,"cost":2"#));
        only_errors(
            &scrypt(&hex(32), r#","keylen":32,"cost":3"#),
            &[(Code::Format, COST)],
        );
        // 128 * cost * blockSize: exactly 1 GiB passes, above warns.
        clean(&scrypt(
            &hex(32),
            r#","keylen":32,"cost":1048576,"blockSize":8"#,
        ));
        clean(&scrypt(&hex(32), r#","keylen":32,"cost":1048576"#));
        warnings(
            &scrypt(&hex(32), r#","keylen":32,"cost":2097152"#),
            &[(Code::HashCostExcessive, "custom_password_hash.cost")],
        );
        warnings(
            &scrypt(&hex(32), r#","keylen":32,"cost":1048576,"blockSize":9"#),
            &[(Code::HashCostExcessive, "custom_password_hash.cost")],
        );
        clean(&scrypt(&hex(32), r#","keylen":32,"blockSize":512"#));
        warnings(
            &scrypt(&hex(32), r#","keylen":32,"blockSize":513"#),
            &[(Code::HashCostExcessive, "custom_password_hash.blockSize")],
        );
        message(
            &scrypt(&hex(32), r#","keylen":32,"cost":2097152"#),
            Code::HashCostExcessive,
            COST,
            "scrypt memory 128*cost*blockSize = 2147483648 bytes is above 1 GiB; a login could time out",
        );
        // Huge values saturate instead of overflowing.
        warnings(
            &scrypt(
                &hex(32),
                r#","keylen":32,"cost":1.2379400392853803e27,"blockSize":1e30"#,
            ),
            &[(Code::HashCostExcessive, COST)],
        );
        // An invalid cost or blockSize: no memory warning.
        only_errors(
            &scrypt(&hex(32), r#","keylen":32,"cost":3,"blockSize":100000"#),
            &[(Code::Format, COST)],
        );
        only_errors(
            &scrypt(&hex(32), r#","keylen":32,"cost":4194304,"blockSize":0"#),
            &[(Code::Minimum, BLOCK_SIZE)],
        );
    }

    // ---- secrets ------------------------------------------------------------------------

    #[test]
    fn no_message_ever_contains_a_secret() {
        const S: &str = "Qx7SeCrEt9Zq";
        let cases = [
            // Hash strings that fail their format.
            text("argon2", &format!("$argon2id$v=19$m=1,t=1,p=1${S}${S}")),
            text("bcrypt", &format!("$2b$10${S}")),
            text("ldap", &format!("{{SHA}}{S}!")),
            text("pbkdf2", &format!("$pbkdf2-sha256${S}$zz")),
            text("bcrypt", S),
            // Undecodable or mis-sized values, salts, keys.
            digest("md5", "hex", S),
            digest("md5", "base64", S),
            format!(
                r#"{{"algorithm":"md5","hash":{{"value":"{S}","encoding":"hex"}},"salt":{{"value":"{S}!","encoding":"base64"}}}}"#
            ),
            format!(
                r#"{{"algorithm":"hmac","hash":{{"value":"{S}","encoding":"base64","digest":"sha1","key":{{"value":"{S}-","encoding":"hex","x":1}}}}}}"#
            ),
            format!(
                r#"{{"algorithm":"scrypt","hash":{{"value":"{S}","encoding":"base64"}},"salt":{{"value":"{S}","encoding":"hex"}},"keylen":2}}"#
            ),
            // Secrets next to other errors.
            format!(
                r#"{{"algorithm":"sha1","hash":{{"value":"{S}","encoding":"utf8"}},"salt":{{"value":"{S}","position":"x"}}}}"#
            ),
            format!(
                r#"{{"algorithm":"argon2","hash":{{"value":"{S}","encoding":"hex"}},"salt":{{"value":"{S}"}}}}"#
            ),
        ];
        for json in &cases {
            let r = run(json);
            assert!(!r.errors.is_empty() || !r.warnings.is_empty(), "{json}");
            for m in r.messages() {
                for w in S.as_bytes().windows(4) {
                    let w = std::str::from_utf8(w).unwrap();
                    assert!(!m.contains(w), "{json}: {m}");
                }
            }
        }
    }
}
