//! Differential test (SPEC 5.5): on generated data with many in-file duplicates and conflicts
//! with existing users, the engine's output equals that of a one-record-at-a-time reference
//! written here, for 1 and 2 threads, with and without `--upsert` (and `--match-on user_id`,
//! `--merge-metadata`, `--deny-warnings`, `--connection`; see `MODES`).
//!
//! The reference is deliberately naive and shares no code with the engine. It does not
//! re-implement schema validation: a baseline run without existing users gives the schema
//! verdicts and the insert lines (an insert line does not depend on existing users). Everything
//! else (keys, SPEC 5.2 duplicates, 5.3 / 5.4 against the export, update lines and their
//! warnings, conflict error lines) the reference decides by itself, record after record, in file
//! order, from `serde_json` values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::common::{root, run_bin, temp_dir, write_file};

const USERS: u32 = 10_000;
const EXISTING: u32 = 3_000;
const SEED: u32 = 7;
/// The connection of every generated export user.
const GENERATED_CONNECTION: &str = "Username-Password-Authentication";
const OTHER_CONNECTION: &str = "SomeOtherConnection";
const MASK: &str = "*****";
/// How many differing lines to show per run.
const SHOW: usize = 4;

const EXIST_MSG: &str = "The user already exist and upsert parameter is false";
const OTHER_CONNECTION_MSG: &str = "The user with this user_id belongs to another connection";
const HASH_DEFINED_MSG: &str =
    "A custom_password_hash was provided, but the user already has password hash defined.";

/// Attributes an update carries (SPEC 5.4).
const UPSERTABLE: [&str; 10] = [
    "app_metadata",
    "user_metadata",
    "email_verified",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "custom_password_hash",
    "mfa_factors",
];
const METADATA: [&str; 2] = ["app_metadata", "user_metadata"];

/// One engine configuration.
#[derive(Clone, Copy, Debug)]
struct Mode {
    upsert: bool,
    match_user_id: bool,
    merge: bool,
    deny_warnings: bool,
    connection: Option<&'static str>,
}

const fn mode(upsert: bool, match_user_id: bool, merge: bool) -> Mode {
    Mode {
        upsert,
        match_user_id,
        merge,
        deny_warnings: false,
        connection: None,
    }
}

const MODES: [Mode; 7] = [
    mode(false, false, false),
    mode(true, false, false),
    mode(true, true, false),
    mode(true, false, true),
    // Update warnings become failures too (SPEC 10: warnings, then --deny-warnings).
    Mode {
        deny_warnings: true,
        ..mode(true, false, true)
    },
    // Every generated export user is in another connection here: only their user_ids count.
    Mode {
        connection: Some(OTHER_CONNECTION),
        ..mode(true, true, false)
    },
    Mode {
        connection: Some(OTHER_CONNECTION),
        ..mode(false, false, false)
    },
];

impl Mode {
    fn args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if self.upsert {
            a.push("--upsert".to_string());
        }
        if self.match_user_id {
            a.extend(["--match-on".to_string(), "user_id".to_string()]);
        }
        if self.merge {
            a.push("--merge-metadata".to_string());
        }
        if self.deny_warnings {
            a.push("--deny-warnings".to_string());
        }
        if let Some(c) = self.connection {
            a.extend(["--connection".to_string(), c.to_string()]);
        }
        a
    }
}

// ------------------------------------------------------------------------------------ inputs

struct Inputs {
    users: PathBuf,
    /// The generated export, then the hand-made one (`--existing` twice, in this order).
    exports: [PathBuf; 2],
    records: Vec<Value>,
    /// The generator's ground truth for the generated records.
    truth: Vec<Value>,
}

fn generate(dir: &Path) -> Inputs {
    let users = dir.join("users.ndjson");
    let export = dir.join("existing.ndjson");
    let truth = dir.join("truth.ndjson");
    let status = Command::new("python3")
        .arg(root().join("testdata/gen/gen_users.py"))
        .args(["--users", &USERS.to_string(), "--seed", &SEED.to_string()])
        .args([
            "--format",
            "ndjson",
            "--dup-rate",
            "0.1",
            "--conflict-rate",
            "0.2",
        ])
        .args(["--existing", &EXISTING.to_string()])
        .arg("--out")
        .arg(&users)
        .arg("--existing-out")
        .arg(&export)
        .arg("--truth-out")
        .arg(&truth)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());

    // The generator never writes phone numbers, other connections, `blocked` in the export,
    // logged-out users with a hash, ...: hand-made records and export users cover those.
    let mut bytes = std::fs::read(&users).expect("generated users");
    for r in hand_made_records() {
        bytes.extend_from_slice(r.to_string().as_bytes());
        bytes.push(b'\n');
    }
    write_file(&users, &bytes);
    let extra = dir.join("existing-extra.ndjson");
    let mut ex = Vec::new();
    for (i, u) in hand_made_export().iter().enumerate() {
        if i == 3 {
            ex.extend_from_slice(b"\n  \n"); // blank lines in an export are skipped
        }
        ex.extend_from_slice(u.to_string().as_bytes());
        ex.push(b'\n');
    }
    write_file(&extra, &ex);

    Inputs {
        records: ndjson(&users),
        truth: ndjson(&truth),
        users,
        exports: [export, extra],
    }
}

fn ndjson(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("ndjson file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

const MD4: &str = "AbuUujgF0pPPkJPSFRTpmA==";
const BCRYPT_1: &str = "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";
const BCRYPT_2: &str = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";

/// Export users for rules the generator does not exercise; each comment says what for.
fn hand_made_export() -> Vec<Value> {
    let identity = |c: &str, id: &str| json!([{"connection": c, "provider": "auth0", "user_id": id, "isSocial": false}]);
    vec![
        // X1: holds a phone number; never logged in; a null `blocked` counts as absent.
        json!({"user_id": "auth0|hm-phone", "email": "hm.phone@example.com", "phone_number": "+15550001111",
               "blocked": null, "logins_count": 0, "identities": identity(GENERATED_CONNECTION, "hm-phone")}),
        // X2: another connection: holds email and username only without --connection.
        json!({"user_id": "auth0|hm-other", "email": "hm.other@example.com", "username": "hm_other",
               "logins_count": 3, "identities": identity("legacy-users-db", "hm-other")}),
        // X3: in OTHER_CONNECTION; blocked and phone_verified for NOT_UPSERTABLE; empty metadata.
        json!({"user_id": "auth0|hm-soc", "email": "hm.soc@example.com", "username": "hm_soc",
               "phone_number": "+15550002222", "blocked": true, "phone_verified": true, "logins_count": 0,
               "identities": identity(OTHER_CONNECTION, "hm-soc"), "user_metadata": {}}),
        // X4: no identities (in every target connection), mixed-case keys, null last_login.
        json!({"user_id": "auth0|hm-noid", "email": "HM.NoId@Example.com", "username": "HM_NoId",
               "phone_number": "+15550003333", "blocked": false, "phone_verified": false, "last_login": null,
               "logins_count": 0, "app_metadata": {"a": {"b": 1, "c": [1, 2], "e": [1]}, "k": "v", "o": {"p": 1}}}),
        // X5: two identities, one of them OTHER_CONNECTION; logged in through last_login only.
        json!({"user_id": "auth0|hm-multi", "email": "hm.multi@example.com",
               "last_login": "2020-01-01T00:00:00.000Z",
               "identities": [{"connection": "legacy-users-db"}, {"connection": OTHER_CONNECTION}]}),
        // X6: the same email as X4, later in the export: X4 holds it.
        json!({"user_id": "auth0|hm-dupholder", "email": "hm.noid@example.com", "identities": []}),
        // X7: a non-ASCII email in upper case.
        json!({"user_id": "auth0|hm-elodie", "email": "ÉLODIE.HM@EXAMPLE.COM", "identities": [], "logins_count": 0}),
        // X8: an id stored with the double prefix; identities naming no connection.
        json!({"user_id": "auth0|auth0|hm-dp", "email": "hm.dp@example.com", "identities": [{"provider": "auth0"}]}),
        // X9: the full-Unicode lower case of "İnci.HM@example.com" (İ becomes i + U+0307).
        json!({"user_id": "auth0|hm-inci", "email": "i\u{307}nci.hm@example.com"}),
        // X10, X11: hold an email / a username that records with other match keys collide with.
        json!({"user_id": "auth0|hm-x10", "email": "hm.x10@example.com"}),
        json!({"user_id": "auth0|hm-x11", "email": "hm.x11@example.com", "username": "Hm_X11"}),
        // X12: no metadata at all.
        json!({"user_id": "auth0|hm-x12", "email": "hm.x12@example.com"}),
    ]
}

/// Import records appended to the generated file (all schema-valid; the test checks that).
fn hand_made_records() -> Vec<Value> {
    let hmac = json!({"algorithm": "hmac", "hash": {"value": "cg7f42jH39/2EaAU4wNd4s2lKIk=", "encoding": "base64",
                      "digest": "sha1", "key": {"value": "736868", "encoding": "hex"}}});
    let salted = json!({"algorithm": "sha256",
                        "hash": {"value": "d24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f",
                                 "encoding": "hex"},
                        "salt": {"value": "abc123", "encoding": "utf8", "position": "prefix"}});
    let r4 = json!({"email": "hm.other@example.com", "username": "hm_other", "nickname": "other"});
    vec![
        // R1: phone held by X1 (only without --connection).
        json!({"email": "hm.r1@example.com", "phone_number": "+15550001111"}),
        // R2: every key of X4; updates with a merge that sets null, adds and replaces an array.
        json!({"email": "HM.NOID@example.com", "user_id": "hm-noid", "username": "hm_noid",
               "phone_number": "+15550003333", "phone_verified": false, "blocked": true, "name": "No Id",
               "app_metadata": {"a": {"c": null, "d": 2, "e": [9, 8]}, "k": {"x": 1}, "o": 5, "k2": 1},
               "user_metadata": {"x": 1},
               "custom_password_hash": {"algorithm": "md4", "hash": {"value": MD4, "encoding": "base64"}}}),
        // R3: a custom hash for X5, who has logged in.
        json!({"email": "hm.multi@example.com", "given_name": "Multi", "custom_password_hash": hmac}),
        // R4: X2's email and username (X2 is in another connection).
        r4.clone(),
        // R5: X2's user_id with a fresh email.
        json!({"email": "hm.r5@example.com", "user_id": "hm-other", "family_name": "Five"}),
        // R6: X3's keys; blocked differs, phone_verified equal; password_hash is never upserted.
        json!({"email": "hm.soc@example.com", "username": "HM_SOC", "phone_number": "+15550002222",
               "blocked": false, "phone_verified": true, "user_metadata": {"n": {"m": 1}},
               "password_hash": BCRYPT_1}),
        // R7: X11's username (other letter case) with a fresh email.
        json!({"email": "hm.r7@example.com", "username": "hm_x11"}),
        // R8: X10's email with X1's user_id: a conflict whichever key matches.
        json!({"email": "hm.x10@example.com", "user_id": "hm-phone", "email_verified": true}),
        // R9: X7's email in other case; only a password_hash: an update with nothing to apply.
        json!({"email": "élodie.HM@example.com", "password_hash": BCRYPT_2}),
        // R10: R2's phone again: an in-file duplicate, never checked against X4.
        json!({"email": "hm.r10@example.com", "phone_number": "+15550003333"}),
        // R11: a double-prefixed id (DOUBLE_PREFIX kept on the update) matching X8.
        json!({"email": "hm.dp@example.com", "user_id": "auth0|hm-dp", "picture": "not a url"}),
        // R12: X1's email with free keys X1 lacks or has otherwise (NOT_UPSERTABLE in the
        // record's key order), secrets to mask in error lines.
        json!({"phone_verified": true, "email": "hm.phone@example.com", "username": "hm_fresh_name",
               "user_id": "hm-fresh", "custom_password_hash": salted, "blocked": false,
               "phone_number": "+15550004444",
               "mfa_factors": [{"totp": {"secret": "JBSWY3DPEHPK3PXP"}}, {"phone": {"value": "+15550009999"}}]}),
        // R13: matches X9 only with full-Unicode lower-casing.
        json!({"email": "İnci.HM@example.com", "app_metadata": {"z": 1}}),
        // R14: R4 again.
        r4,
        // R15: user_metadata before app_metadata, both missing from X12.
        json!({"email": "hm.x12@example.com", "user_metadata": {"u": 1}, "app_metadata": {"a": 1}}),
    ]
}

// ---------------------------------------------------------------------------- the snapshot

/// The existing users as the reference sees them (SPEC 1.2): per key, the first holder in
/// export order, as an index into `users`.
struct Snapshot<'a> {
    users: &'a [Value],
    in_target: Vec<bool>,
    /// Tenant-wide: ids are unique in the whole tenant.
    by_user_id: HashMap<String, usize>,
    /// Only users in the target connection hold these.
    by_email: HashMap<String, usize>,
    by_username: HashMap<String, usize>,
    by_phone: HashMap<String, usize>,
}

fn snapshot<'a>(users: &'a [Value], connection: Option<&str>) -> Snapshot<'a> {
    let mut s = Snapshot {
        in_target: users.iter().map(|u| in_connection(u, connection)).collect(),
        users,
        by_user_id: HashMap::new(),
        by_email: HashMap::new(),
        by_username: HashMap::new(),
        by_phone: HashMap::new(),
    };
    for (i, u) in users.iter().enumerate() {
        let text = |k: &str| u.get(k).and_then(Value::as_str);
        let id = text("user_id").expect("export users have a user_id");
        s.by_user_id.entry(id.to_string()).or_insert(i);
        if !s.in_target[i] {
            continue;
        }
        if let Some(e) = text("email") {
            s.by_email.entry(e.to_lowercase()).or_insert(i);
        }
        if let Some(n) = text("username") {
            s.by_username.entry(n.to_lowercase()).or_insert(i);
        }
        if let Some(p) = text("phone_number") {
            s.by_phone.entry(p.to_string()).or_insert(i);
        }
    }
    s
}

/// In the target connection: no `--connection`, or no identity names a connection, or one names it.
fn in_connection(user: &Value, connection: Option<&str>) -> bool {
    let Some(name) = connection else {
        return true;
    };
    let named: Vec<&str> = user
        .get("identities")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|i| i.get("connection").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    named.is_empty() || named.contains(&name)
}

fn logged_in(user: &Value) -> bool {
    let count = user
        .get("logins_count")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    count > 0.0 || user.get("last_login").is_some_and(|l| !l.is_null())
}

// -------------------------------------------------------------------------------- the keys

/// A record's identity keys (SPEC 5.1), as stored.
struct Keys {
    email: String,
    user_id: Option<String>,
    username: Option<String>,
    phone: Option<String>,
}

impl Keys {
    fn of(record: &Value) -> Keys {
        let text = |k: &str| record.get(k).and_then(Value::as_str);
        Keys {
            email: text("email")
                .expect("a schema-valid record has an email")
                .to_lowercase(),
            user_id: text("user_id").map(|id| format!("auth0|{id}")),
            username: text("username").map(str::to_lowercase),
            phone: text("phone_number").map(str::to_string),
        }
    }

    /// (path, key) in the order errors are reported.
    fn list(&self) -> Vec<(&'static str, &str)> {
        let mut l = vec![("email", self.email.as_str())];
        let optional = [
            ("user_id", &self.user_id),
            ("username", &self.username),
            ("phone_number", &self.phone),
        ];
        for (path, key) in optional {
            if let Some(k) = key {
                l.push((path, k.as_str()));
            }
        }
        l
    }
}

// ---------------------------------------------------------- schema verdicts and SPEC 5.2

/// A record before existing users are looked at.
enum Pre {
    /// The line does not depend on existing users: a schema error or an in-file duplicate.
    Fixed(Value),
    /// Schema-valid and first with all its keys; `insert` is its baseline line.
    Valid { keys: Keys, insert: Value },
}

fn error_codes(line: &Value) -> Vec<&str> {
    line["errors"]
        .as_array()
        .map(|es| es.iter().filter_map(|e| e["code"].as_str()).collect())
        .unwrap_or_default()
}

/// Takes the schema verdicts from the baseline, decides SPEC 5.2 itself, and lists in `problems`
/// every record where the baseline's duplicates differ from the reference's.
fn schema_and_duplicates(
    records: &[Value],
    baseline: &[Value],
    problems: &mut Vec<String>,
) -> Vec<Pre> {
    // Each key with the index of the first schema-valid record that carried it.
    let mut taken: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for (i, (record, line)) in records.iter().zip(baseline).enumerate() {
        if schema_invalid(line) {
            out.push(Pre::Fixed(line.clone()));
            continue;
        }
        let keys = Keys::of(record);
        // Every schema-valid record takes its keys, whether or not it fails.
        let mut repeated: Vec<(&str, u64)> = Vec::new();
        for (path, key) in keys.list() {
            let first = *taken.entry((path, key.to_string())).or_insert(i);
            if first != i {
                repeated.push((path, first as u64));
            }
        }
        // Each duplicate error names the earlier record (`duplicate_of`).
        let mut got: Vec<(&str, u64)> = line["errors"]
            .as_array()
            .map(|es| {
                es.iter()
                    .filter_map(|e| Some((e["path"].as_str()?, e["duplicate_of"].as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        got.sort_unstable();
        repeated.sort_unstable();
        if got != repeated {
            problems.push(format!(
                "baseline record {i}: in-file duplicate keys expected {repeated:?}, got {got:?}: {line}"
            ));
        }
        // The insert line stores the keys as the reference computes them (SPEC 6.1).
        let stored = |k: &str| line["user"].get(k).and_then(Value::as_str);
        let mine = [
            Some(keys.email.as_str()),
            keys.user_id.as_deref(),
            keys.username.as_deref(),
        ];
        let theirs = [stored("email"), stored("user_id"), stored("username")];
        if repeated.is_empty() && mine != theirs {
            problems.push(format!(
                "baseline record {i}: stored keys expected {mine:?}, got {theirs:?}"
            ));
        }
        if repeated.is_empty() {
            out.push(Pre::Valid {
                keys,
                insert: line.clone(),
            });
        } else {
            out.push(Pre::Fixed(line.clone()));
        }
    }
    out
}

// ------------------------------------------------------------------ SPEC 5.3 / 5.4 per record

fn error(code: &str, message: &str, path: Option<&str>) -> Value {
    let mut e = json!({"code": code, "message": message});
    if let Some(p) = path {
        e["path"] = json!(p);
    }
    e
}

/// An error about a key existing user `holder` holds: Auth0's members, then the holder's
/// `user_id` and, when there is no path, the key.
fn held(s: &Snapshot, holder: usize, code: &str, message: &str, key: &str, path: bool) -> Value {
    let mut e = error(code, message, path.then_some(key));
    if !path {
        e["key"] = json!(key);
    }
    e["existing_user_id"] = s.users[holder]["user_id"].clone();
    e
}

fn exists(what: &str) -> String {
    format!("A user with this {what} already exists")
}

/// SPEC 5.3: the errors of a record that matches no existing user on the match key. Under
/// upsert, the duplicate's message names the key upsert matches on instead of Auth0's
/// "upsert parameter is false" (README, "Decisions").
fn insert_conflicts(k: &Keys, s: &Snapshot, mode: Mode) -> Vec<Value> {
    let msg = match (mode.upsert, mode.match_user_id) {
        (false, _) => EXIST_MSG,
        (true, false) => "The user already exists, and upsert matches existing users by email only",
        (true, true) => {
            "The user already exists, and upsert matches existing users by user_id only"
        }
    };
    let mut errors = Vec::new();
    if let Some(&h) = s.by_email.get(&k.email) {
        errors.push(held(s, h, "DUPLICATED_USER", msg, "email", false));
    }
    if let Some(&h) = k.user_id.as_ref().and_then(|id| s.by_user_id.get(id)) {
        errors.push(held(s, h, "DUPLICATED_USER", msg, "user_id", false));
    }
    if let Some(&h) = k.username.as_ref().and_then(|n| s.by_username.get(n)) {
        errors.push(held(
            s,
            h,
            "CONFLICT_USERNAME",
            &exists("username"),
            "username",
            true,
        ));
    }
    if let Some(&h) = k.phone.as_ref().and_then(|p| s.by_phone.get(p)) {
        errors.push(held(
            s,
            h,
            "CONFLICT",
            &exists("phone_number"),
            "phone_number",
            true,
        ));
    }
    errors
}

/// SPEC 5.4: the errors of a record matching existing user `m`.
fn upsert_conflicts(record: &Value, k: &Keys, s: &Snapshot, m: usize, mode: Mode) -> Vec<Value> {
    // A key conflicts when someone other than M holds it; the error names that user.
    let other = |map: &HashMap<String, usize>, key: Option<&String>| {
        key.and_then(|key| map.get(key))
            .copied()
            .filter(|&h| h != m)
    };
    let mut errors = Vec::new();
    if mode.match_user_id
        && let Some(h) = other(&s.by_email, Some(&k.email))
    {
        errors.push(held(
            s,
            h,
            "CONFLICT_EMAIL",
            &exists("email"),
            "email",
            true,
        ));
    }
    if mode.match_user_id {
        if !s.in_target[m] {
            errors.push(error("CONFLICT", OTHER_CONNECTION_MSG, Some("user_id")));
        }
    } else if let Some(h) = other(&s.by_user_id, k.user_id.as_ref()) {
        errors.push(held(s, h, "CONFLICT", &exists("user_id"), "user_id", true));
    }
    if let Some(h) = other(&s.by_username, k.username.as_ref()) {
        errors.push(held(
            s,
            h,
            "CONFLICT_USERNAME",
            &exists("username"),
            "username",
            true,
        ));
    }
    if let Some(h) = other(&s.by_phone, k.phone.as_ref()) {
        errors.push(held(
            s,
            h,
            "CONFLICT",
            &exists("phone_number"),
            "phone_number",
            true,
        ));
    }
    if record.get("custom_password_hash").is_some() && logged_in(&s.users[m]) {
        errors.push(error(
            "CONFLICT",
            HASH_DEFINED_MSG,
            Some("custom_password_hash"),
        ));
    }
    errors
}

/// The record as supplied with its secrets masked (SPEC 6.1).
fn masked(record: &Value) -> Value {
    fn mask(v: &mut Value, path: &[&str]) {
        let mut cur = v;
        for k in path {
            cur = match cur.get_mut(*k) {
                Some(next) => next,
                None => return,
            };
        }
        *cur = json!(MASK);
    }
    let mut u = record.clone();
    mask(&mut u, &["password_hash"]);
    mask(&mut u, &["custom_password_hash", "hash", "value"]);
    mask(&mut u, &["custom_password_hash", "hash", "key", "value"]);
    mask(&mut u, &["custom_password_hash", "salt", "value"]);
    if let Some(Value::Array(factors)) = u.get_mut("mfa_factors") {
        for f in factors {
            mask(f, &["totp", "secret"]);
        }
    }
    u
}

/// Deep merge for `--merge-metadata`: the record wins per key, objects merge recursively.
fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match b.get(k) {
                    Some(bv) => merge(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => over.clone(),
    }
}

fn warning(code: &str, message: String, path: &str) -> Value {
    json!({"code": code, "message": message, "path": path})
}

/// Whether a supplied non-upsertable attribute would have changed M (section 10). `None`: the
/// attribute is upsertable or not one the rule covers.
fn changes_m(attr: &str, value: &Value, m: &Value, mode: Mode) -> Option<bool> {
    let theirs = m.get(attr).filter(|v| !v.is_null());
    let lower = |v: &Value| v.as_str().map(str::to_lowercase);
    Some(match attr {
        "blocked" | "phone_verified" | "phone_number" => theirs != Some(value),
        "username" => theirs.and_then(lower) != lower(value),
        "user_id" => {
            let stored = value.as_str().map(|id| format!("auth0|{id}"));
            theirs.and_then(Value::as_str) != stored.as_deref()
        }
        "email" if mode.match_user_id => theirs.and_then(lower) != lower(value),
        "password_hash" => true,
        _ => return None,
    })
}

/// The update line of a record matching M (SPEC 5.4, 6.1 and the decisions in section 10).
fn update_line(
    index: usize,
    record: &Value,
    insert: &Value,
    s: &Snapshot,
    m: usize,
    mode: Mode,
) -> Value {
    let them = &s.users[m];
    let fields = record.as_object().expect("a record is an object");
    let mut user = Map::new();
    for (k, v) in fields {
        if !UPSERTABLE.contains(&k.as_str()) {
            continue;
        }
        let value = match them.get(k.as_str()) {
            Some(theirs) if mode.merge && METADATA.contains(&k.as_str()) && theirs.is_object() => {
                merge(theirs, v)
            }
            _ => v.clone(),
        };
        user.insert(k.clone(), value);
    }
    // The record's own warnings stay; NO_PASSWORD is for inserts only.
    let mut warnings: Vec<Value> = insert["warnings"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .filter(|w| w["code"] != "NO_PASSWORD")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in fields {
        if changes_m(k, v, them, mode) == Some(true) {
            let msg = format!("{k} is not upsertable: the update leaves it unchanged");
            warnings.push(warning("NOT_UPSERTABLE", msg, k));
        }
    }
    if mode.merge {
        for (k, _) in fields
            .iter()
            .filter(|(k, _)| METADATA.contains(&k.as_str()))
        {
            if !them.get(k.as_str()).is_some_and(Value::is_object) {
                let msg = format!(
                    "{k} is not in the existing-users export: the update replaces the user's whole {k}"
                );
                warnings.push(warning("METADATA_NOT_IN_SNAPSHOT", msg, k));
            }
        }
    }
    let matched = if mode.match_user_id {
        "user_id"
    } else {
        "email"
    };
    let mut line = json!({"op": "update", "index": index, "user_id": them["user_id"], "match": matched,
                          "user": user});
    if !warnings.is_empty() {
        line["warnings"] = Value::Array(warnings);
    }
    line
}

/// The expected line of a schema-valid record that is not an in-file duplicate.
fn decide(
    index: usize,
    record: &Value,
    k: &Keys,
    insert: &Value,
    s: &Snapshot,
    mode: Mode,
) -> Value {
    let matched = match (mode.upsert, mode.match_user_id) {
        (false, _) => None,
        (true, false) => s.by_email.get(&k.email),
        (true, true) => k.user_id.as_ref().and_then(|id| s.by_user_id.get(id)),
    };
    let errors = match matched {
        Some(&m) => {
            let errors = upsert_conflicts(record, k, s, m, mode);
            if errors.is_empty() {
                return update_line(index, record, insert, s, m, mode);
            }
            errors
        }
        None => insert_conflicts(k, s, mode),
    };
    if errors.is_empty() {
        insert.clone()
    } else {
        json!({"op": "error", "index": index, "user": masked(record), "errors": errors})
    }
}

/// `--deny-warnings`: a line that would be written with warnings fails instead, one
/// `WARNING_DENIED` per warning. The message format is the engine's own (SPEC only says the
/// message names the warning's code), as its baseline shows: "Warning <code> denied: <message>".
fn deny(index: usize, record: &Value, line: Value) -> Value {
    let Some(warnings) = line["warnings"]
        .as_array()
        .filter(|_| line["op"] != "error")
    else {
        return line;
    };
    let errors: Vec<Value> = warnings
        .iter()
        .map(|w| {
            let code = w["code"].as_str().unwrap_or_default();
            let message = w["message"].as_str().unwrap_or_default();
            json!({"code": "WARNING_DENIED", "message": format!("Warning {code} denied: {message}"),
                   "path": w["path"]})
        })
        .collect();
    json!({"op": "error", "index": index, "user": masked(record), "errors": errors})
}

fn reference(records: &[Value], pre: &[Pre], s: &Snapshot, mode: Mode) -> Vec<Value> {
    records
        .iter()
        .zip(pre)
        .enumerate()
        .map(|(i, (record, p))| {
            let line = match p {
                Pre::Fixed(line) => line.clone(),
                Pre::Valid { keys, insert } => decide(i, record, keys, insert, s, mode),
            };
            if mode.deny_warnings {
                deny(i, record, line)
            } else {
                line
            }
        })
        .collect()
}

// ------------------------------------------------------------------------ running, comparing

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

fn run_engine(inputs: &Inputs, mode: Mode, threads: u32, summary: &Path, stdin: bool) -> Output {
    let mut args = vec!["run".to_string()];
    args.push(if stdin {
        "-".to_string()
    } else {
        path_str(&inputs.users)
    });
    for e in &inputs.exports {
        args.extend(["--existing".to_string(), path_str(e)]);
    }
    args.extend(mode.args());
    args.extend([
        "--threads".to_string(),
        threads.to_string(),
        "--quiet".to_string(),
    ]);
    args.extend(["--summary".to_string(), path_str(summary)]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let input = if stdin {
        std::fs::read(&inputs.users).expect("users file")
    } else {
        Vec::new()
    };
    let out = run_bin(&args, &input);
    assert!(
        out.status.success(),
        "{mode:?}, {threads} threads: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn parse_lines(out: &[u8]) -> Vec<Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("an output line is JSON"))
        .collect()
}

/// Whether every object in `a` lists its keys in the same order as its counterpart in `b`
/// (`==` on values ignores key order). Records keep their key order everywhere; a merged
/// object keeps M's order with the record's new keys after it.
fn same_key_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.keys().eq(y.keys())
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_key_order(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.iter().zip(y).all(|(v, w)| same_key_order(v, w)),
        _ => true,
    }
}

fn clip(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(1500) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s,
    }
}

/// The differences between the engine's lines and the expected ones, first few in full.
fn compare(label: &str, got: &[Value], expected: &[Value]) -> Vec<String> {
    if got.len() != expected.len() {
        return vec![format!(
            "{label}: {} lines, expected {}",
            got.len(),
            expected.len()
        )];
    }
    let mut diffs = Vec::new();
    let mut count = 0;
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        if g == e && same_key_order(g, e) {
            continue;
        }
        count += 1;
        if diffs.len() < SHOW {
            diffs.push(format!(
                "{label}: record {i}\n  expected {}\n  got      {}",
                clip(e),
                clip(g)
            ));
        }
    }
    if count > 0 {
        diffs.push(format!("{label}: {count} lines differ in all"));
    }
    diffs
}

fn count_ops(lines: &[Value]) -> [u64; 3] {
    let mut c = [0u64; 3];
    for l in lines {
        match l["op"].as_str() {
            Some("insert") => c[0] += 1,
            Some("update") => c[1] += 1,
            _ => c[2] += 1,
        }
    }
    c
}

fn check_summary(label: &str, path: &Path, lines: &[Value]) -> Option<String> {
    let s: Value = serde_json::from_slice(&std::fs::read(path).expect("summary")).expect("json");
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    let ops = count_ops(lines);
    let ok = n("total") == lines.len() as u64
        && n("total") == n("inserted") + n("updated") + n("failed")
        && [n("inserted"), n("updated"), n("failed")] == ops;
    (!ok).then(|| format!("{label}: summary {s} does not match the lines {ops:?}"))
}

/// A baseline line with an error other than an in-file duplicate: the schema rejects the record.
fn schema_invalid(line: &Value) -> bool {
    error_codes(line).iter().any(|c| *c != "DUPLICATED_USER")
}

/// The reference sees what the generator built (checked on the plain run without upsert):
/// its duplicates are in-file duplicates, its conflicts fail against the export, and its valid
/// records are inserted. Records the baseline finds schema-invalid, and duplicates of those, are
/// left out: the generator's hash pool has `$argon2d$` values, which SPEC 10 makes a `PATTERN`
/// error. Returns how many records were checked per role.
fn check_reference_against_truth(
    truth: &[Value],
    baseline: &[Value],
    pre: &[Pre],
    expected: &[Value],
) -> [usize; 3] {
    let mut checked = [0; 3];
    for (i, t) in truth.iter().enumerate() {
        let (p, e) = (&pre[i], &expected[i]);
        let fails = e["op"] == "error";
        let codes = error_codes(e);
        let ref_invalid = t["ref"].as_u64().is_some_and(|r| {
            let r = usize::try_from(r).expect("index");
            schema_invalid(&baseline[r])
        });
        if schema_invalid(&baseline[i]) || ref_invalid {
            continue;
        }
        match t["role"].as_str() {
            Some("dup") => {
                assert!(matches!(p, Pre::Fixed(_)) && fails, "truth dup {i}: {e}");
                checked[0] += 1;
            }
            Some("conflict") => {
                let conflict = ["DUPLICATED_USER", "CONFLICT_USERNAME"];
                let ok = !codes.is_empty() && codes.iter().all(|c| conflict.contains(c));
                assert!(ok, "truth conflict {i}: {e}");
                checked[1] += 1;
            }
            Some("valid") => {
                assert!(!fails, "truth valid {i}: {e}");
                checked[2] += 1;
            }
            // Some "invalid" kinds are only warnings in SPEC (an undecodable hash): not ours.
            _ => {}
        }
    }
    checked
}

#[test]
fn engine_equals_a_sequential_reference() {
    let started = Instant::now();
    let dir = temp_dir("differential");
    let inputs = generate(&dir);
    let n_generated = inputs.truth.len();

    let baseline = run_bin(
        &["run", &path_str(&inputs.users), "--threads", "2", "--quiet"],
        b"",
    );
    assert!(baseline.status.success());
    let baseline = parse_lines(&baseline.stdout);
    assert_eq!(baseline.len(), inputs.records.len(), "one line per record");

    let mut problems = Vec::new();
    let pre = schema_and_duplicates(&inputs.records, &baseline, &mut problems);
    for (i, p) in pre.iter().enumerate().skip(n_generated) {
        if let Pre::Fixed(line) = p {
            let duplicate = error_codes(line).iter().all(|c| *c == "DUPLICATED_USER");
            assert!(duplicate, "hand-made record {i} is schema-invalid: {line}");
        }
    }

    // The reference first, so that its own checks run even when the engine cannot.
    let export: Vec<Value> = inputs.exports.iter().flat_map(|p| ndjson(p)).collect();
    let expected: Vec<Vec<Value>> = MODES
        .iter()
        .map(|&mode| {
            let snapshot = snapshot(&export, mode.connection);
            reference(&inputs.records, &pre, &snapshot, mode)
        })
        .collect();
    let checked = check_reference_against_truth(&inputs.truth, &baseline, &pre, &expected[0]);
    eprintln!("differential: the generator's [dup, conflict, valid] agree: {checked:?}");
    for (mode, expected) in MODES.iter().zip(&expected) {
        eprintln!(
            "differential {:?}: expected [insert, update, error] = {:?}",
            mode.args(),
            count_ops(expected)
        );
    }

    for (&mode, expected) in MODES.iter().zip(&expected) {
        let label = format!("{:?}", mode.args());
        let summary = dir.join("summary.json");
        let one = run_engine(&inputs, mode, 1, &summary, false);
        let got = parse_lines(&one.stdout);
        problems.extend(check_summary(&label, &summary, &got));
        problems.extend(compare(&label, &got, expected));
        let two = run_engine(&inputs, mode, 2, &summary, false);
        if two.stdout != one.stdout {
            problems.push(format!("{label}: 2 threads differ from 1 thread"));
        }
        // Standard input once: the most involved mode without --deny-warnings.
        if mode.merge && !mode.deny_warnings {
            let stdin = run_engine(&inputs, mode, 2, &summary, true);
            if stdin.stdout != one.stdout {
                problems.push(format!("{label}: standard input differs from the file"));
            }
        }
    }
    eprintln!("differential: {:.1?}", started.elapsed());
    assert!(
        problems.is_empty(),
        "inputs in {}\n{}",
        dir.display(),
        problems.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
