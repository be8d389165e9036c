//! One record through validation, built from the words the schema knows so that the fuzzer
//! reaches deep rules quickly. Properties: exactly one output line; an insert carries no
//! error and an error line at least one; every error and warning path names a place in the
//! record (or, for a missing property, its parent); a failed record's secrets are masked.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use user_import::internals::validate::PROPERTIES;
use user_import::{Builder, NdjsonSink};

/// Keys inside `custom_password_hash`, `mfa_factors` and metadata; the top-level ones are
/// the schema's own list.
const NESTED_KEYS: &[&str] = &[
    "algorithm",
    "hash",
    "value",
    "encoding",
    "digest",
    "key",
    "salt",
    "position",
    "password",
    "cost",
    "keylen",
    "blockSize",
    "parallelization",
    "totp",
    "secret",
    "phone",
    "clientID",
    "__tenant",
];

const STRINGS: &[&str] = &[
    "a@example.com",
    "A@Example.COM",
    "not-an-email",
    "",
    "bcrypt",
    "argon2",
    "ldap",
    "hmac",
    "md4",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "pbkdf2",
    "scrypt",
    "hex",
    "base64",
    "utf8",
    "utf16le",
    "latin1",
    "prefix",
    "suffix",
    "sha384",
    "whirlpool",
    "auth0|abc",
    "abc",
    "+15551234567",
    "JBSWY3DPEHPK3PXP",
    "https://example.com/a.png",
    "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
    "$2y$31$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG",
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
    "$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWQ",
    "$pbkdf2-sha256$i=1000,l=32$c2FsdA$ZGVyaXZlZGtleWRlcml2ZWRrZXlkZXJpdmVka2V5MTI",
    "$pbkdf2-sha1$c2FsdA$ZGVyaXZlZA",
    "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=c2FsdA==",
    "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",
    "5f4dcc3b5aa765d61d8327deb882cf99",
    "XohImNooBHFR0OVvjcYpJ3NgPQ1qq73WKhHvch0VQtg=",
    "c2FsdA==",
    "73616c74",
];

#[derive(Arbitrary, Debug)]
enum Str {
    Pool(u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(Str),
    Arr(Vec<Val>),
    Obj(Vec<(Str, Val)>),
}

#[derive(Arbitrary, Debug)]
enum Input {
    Record(Vec<(Str, Val)>),
    Raw(Vec<u8>),
}

fn text(s: &Str, pool: &[&str]) -> String {
    match s {
        Str::Pool(i) => pool[usize::from(*i) % pool.len()].to_owned(),
        Str::Any(s) => s.clone(),
    }
}

fn write_obj(members: &[(Str, Val)], out: &mut String) {
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let pool = match k {
            Str::Pool(i) if usize::from(*i) < PROPERTIES.len() => &PROPERTIES[..],
            _ => NESTED_KEYS,
        };
        out.push_str(&serde_json::to_string(&text(k, pool)).unwrap());
        out.push(':');
        write_val(v, out);
    }
    out.push('}');
}

fn write_val(v: &Val, out: &mut String) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Int(n) => out.push_str(&n.to_string()),
        Val::Num(f) if f.is_finite() => out.push_str(&serde_json::to_string(f).unwrap()),
        Val::Num(_) => out.push('0'),
        Val::Str(s) => out.push_str(&serde_json::to_string(&text(s, STRINGS)).unwrap()),
        Val::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_val(item, out);
            }
            out.push(']');
        }
        Val::Obj(members) => write_obj(members, out),
    }
}

/// Whether `path` (keys joined by `.`, indices as `[n]`) names a value inside `v`. Keys may
/// themselves contain `.` or `[`, so every key that fits is tried.
fn exists(v: &Value, path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    match v {
        Value::Object(map) => map.iter().any(|(k, child)| {
            path.strip_prefix(k.as_str()).is_some_and(|rest| {
                rest.is_empty()
                    || rest.strip_prefix('.').is_some_and(|r| exists(child, r))
                    || (rest.starts_with('[') && exists(child, rest))
            })
        }),
        Value::Array(items) => path
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .and_then(|(n, rest)| Some((items.get(n.parse::<usize>().ok()?)?, rest)))
            .is_some_and(|(child, rest)| {
                rest.is_empty()
                    || rest.strip_prefix('.').is_some_and(|r| exists(child, r))
                    || (rest.starts_with('[') && exists(child, rest))
            }),
        _ => false,
    }
}

/// The parent of a path: what must exist when the path names a missing property.
fn parent(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(i) => &path[..i],
        None => "",
    }
}

fn check_paths(input: &Value, entries: Option<&Value>, line: &[u8]) {
    for e in entries.and_then(Value::as_array).into_iter().flatten() {
        let code = e["code"].as_str().expect("code");
        let path = e["path"].as_str().unwrap_or("");
        // A repeated key may sit inside a value a later repeat overwrote, which serde_json
        // (last wins, like the engine) no longer holds: its key must still be in the text.
        if code == "DUPLICATE_PROPERTY" {
            let key = path.rsplit(['.', ']']).next().unwrap_or("");
            let quoted = serde_json::to_string(key).unwrap();
            assert!(key.contains('\\') || String::from_utf8_lossy(line).contains(&quoted));
            continue;
        }
        let missing = matches!(code, "OBJECT_REQUIRED" | "ANY_OF_MISSING" | "NO_PASSWORD");
        let place = if missing { parent(path) } else { path };
        assert!(
            exists(input, place),
            "{code} at {path:?}, not in the record {}",
            String::from_utf8_lossy(line)
        );
    }
}

const MASKED: &[&str] = &[
    "password_hash",
    "custom_password_hash.hash.value",
    "custom_password_hash.hash.key.value",
    "custom_password_hash.salt.value",
];

fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fuzz_target!(|input: Input| {
    let line: Vec<u8> = match &input {
        Input::Record(members) => {
            let mut s = String::new();
            write_obj(members, &mut s);
            s.into_bytes()
        }
        Input::Raw(bytes) => bytes
            .iter()
            .map(|&b| if b == b'\n' { b' ' } else { b })
            .collect(),
    };
    // One record: a line that starts with '{' (an NDJSON file), unless it is raw text.
    if line.first() != Some(&b'{') {
        return;
    }
    let engine = Builder::new().threads(1).build().unwrap();
    let mut sink = NdjsonSink::new(Vec::new());
    let summary = engine
        .run_bytes(&line, &mut sink)
        .expect("one NDJSON line never fails the job");
    let out = sink.into_inner();
    assert_eq!(summary.total, 1);
    assert_eq!(
        out.iter().filter(|&&b| b == b'\n').count(),
        1,
        "one line per record"
    );
    let op: Value = serde_json::from_slice(&out).expect("the output line is JSON");
    let errors = op.get("errors").and_then(Value::as_array);
    match op["op"].as_str() {
        Some("insert") => assert!(errors.is_none(), "an insert with errors"),
        Some("error") => {
            assert!(
                errors.is_some_and(|e| !e.is_empty()),
                "an error line without errors"
            );
            assert!(op.get("warnings").is_none(), "an error line with warnings");
            for path in MASKED {
                if let Some(Value::String(s)) = get(&op["user"], path) {
                    assert_eq!(s, "*****", "{path} is not masked");
                }
            }
        }
        other => panic!("unexpected op {other:?}"),
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(&line) else {
        return;
    };
    check_paths(&parsed, op.get("errors"), &line);
    check_paths(&parsed, op.get("warnings"), &line);
});
