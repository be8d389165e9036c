//! Existing users at the byte level: what the case files cannot pin (they compare errors
//! as multisets and `user` as a JSON value): the order and text of conflict errors, the
//! exact update line, masking on conflict lines, and every path agreeing.

use std::sync::Arc;

use user_import::{
    Builder, Cause, ExportSource, Flow, KeyKind, MatchOn, Record, Sink, SinkResult, Snapshot,
    SnapshotOptions,
};

use crate::common::{Opts, run_all_with};

const BCRYPT: &str = "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG";

fn snapshot(lines: &[&str], connection: Option<&str>) -> Arc<Snapshot> {
    let data = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    Arc::new(
        Snapshot::load(
            vec![ExportSource::Bytes {
                name: "export".into(),
                data: data.into_bytes(),
            }],
            &SnapshotOptions {
                connection: connection.map(str::to_owned),
                threads: 2,
            },
        )
        .expect("snapshot"),
    )
}

/// Runs one NDJSON record through every path and returns its output line.
fn line(record: &str, opts: &Opts) -> String {
    let (out, result) = run_all_with(format!("{record}\n").as_bytes(), opts);
    result.expect("job");
    String::from_utf8(out).expect("utf-8").trim_end().to_owned()
}

const FOUR_HOLDERS: [&str; 4] = [
    r#"{"user_id":"auth0|e","email":"e@x.co"}"#,
    r#"{"user_id":"auth0|i"}"#,
    r#"{"user_id":"auth0|u","username":"uu"}"#,
    r#"{"user_id":"auth0|p","phone_number":"+15550001"}"#,
];

#[test]
fn conflicts_come_one_per_key_in_key_order_with_auth0s_texts() {
    let opts = Opts {
        existing: Some(snapshot(&FOUR_HOLDERS, None)),
        ..Opts::default()
    };
    // Keys in the record in reverse order: the errors still follow email, user_id,
    // username, phone_number.
    let got = line(
        &format!(
            r#"{{"phone_number":"+15550001","username":"UU","user_id":"i","email":"E@x.co","password_hash":"{BCRYPT}"}}"#
        ),
        &opts,
    );
    assert_eq!(
        got,
        concat!(
            r#"{"op":"error","index":0,"user":{"phone_number":"+15550001","username":"UU","user_id":"i","email":"E@x.co","password_hash":"*****"},"errors":["#,
            r#"{"code":"DUPLICATED_USER","message":"The user already exist and upsert parameter is false","key":"email","existing_user_id":"auth0|e"},"#,
            r#"{"code":"DUPLICATED_USER","message":"The user already exist and upsert parameter is false","key":"user_id","existing_user_id":"auth0|i"},"#,
            r#"{"code":"CONFLICT_USERNAME","message":"A user with this username already exists","path":"username","existing_user_id":"auth0|u"},"#,
            r#"{"code":"CONFLICT","message":"A user with this phone_number already exists","path":"phone_number","existing_user_id":"auth0|p"}]}"#
        )
    );
}

#[test]
fn upsert_conflicts_follow_key_order_then_the_hash_rule() {
    let mut holders = FOUR_HOLDERS.to_vec();
    holders.push(r#"{"user_id":"auth0|m","email":"m@x.co","logins_count":2}"#);
    let opts = Opts {
        existing: Some(snapshot(&holders, None)),
        upsert: Some(MatchOn::UserId),
        ..Opts::default()
    };
    let got = line(
        r#"{"email":"e@x.co","user_id":"m","username":"uu","phone_number":"+15550001","custom_password_hash":{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}}"#,
        &opts,
    );
    assert_eq!(
        got,
        concat!(
            r#"{"op":"error","index":0,"user":{"email":"e@x.co","user_id":"m","username":"uu","phone_number":"+15550001","custom_password_hash":{"algorithm":"md5","hash":{"value":"*****","encoding":"hex"}}},"errors":["#,
            r#"{"code":"CONFLICT_EMAIL","message":"A user with this email already exists","path":"email","existing_user_id":"auth0|e"},"#,
            r#"{"code":"CONFLICT_USERNAME","message":"A user with this username already exists","path":"username","existing_user_id":"auth0|u"},"#,
            r#"{"code":"CONFLICT","message":"A user with this phone_number already exists","path":"phone_number","existing_user_id":"auth0|p"},"#,
            r#"{"code":"CONFLICT","message":"A custom_password_hash was provided, but the user already has password hash defined.","path":"custom_password_hash"}]}"#
        )
    );
}

/// Under `--upsert`, a record whose match key is free but whose other identity key an
/// existing user holds fails with `DUPLICATED_USER` (SPEC 5.4 falls back to 5.3), but not
/// with Auth0's "upsert parameter is false", which would blame a flag that was given: the
/// message says which key upsert matches on (README, "Decisions").
#[test]
fn under_upsert_a_held_key_does_not_blame_the_upsert_flag() {
    for (on, record, expected) in [
        (
            MatchOn::Email,
            r#"{"email":"new@x.co","user_id":"i"}"#,
            r#"{"code":"DUPLICATED_USER","message":"The user already exists, and upsert matches existing users by email only","key":"user_id","existing_user_id":"auth0|i"}"#,
        ),
        (
            MatchOn::UserId,
            r#"{"email":"e@x.co","user_id":"new"}"#,
            r#"{"code":"DUPLICATED_USER","message":"The user already exists, and upsert matches existing users by user_id only","key":"email","existing_user_id":"auth0|e"}"#,
        ),
    ] {
        let opts = Opts {
            existing: Some(snapshot(&FOUR_HOLDERS, None)),
            upsert: Some(on),
            ..Opts::default()
        };
        let got = line(record, &opts);
        assert!(!got.contains("upsert parameter is false"), "{got}");
        assert!(
            got.ends_with(&format!("\"errors\":[{expected}]}}")),
            "{got}"
        );
    }
}

/// An in-file duplicate names the earlier record that took the key, by its index, for
/// each repeated key; the earlier record is the first schema-valid one, even when it
/// failed itself.
#[test]
fn an_in_file_duplicate_names_the_earlier_record() {
    let opts = Opts {
        existing: Some(snapshot(&FOUR_HOLDERS, None)),
        ..Opts::default()
    };
    let input = concat!(
        "{\"email\":\"a@x.co\",\"username\":\"bad name@x.co\"}\n", // 0: schema error, takes nothing
        "{\"email\":\"A@x.co\",\"user_id\":\"i\"}\n", // 1: fails (held user_id), takes both
        "{\"email\":\"b@x.co\",\"username\":\"bb\"}\n", // 2: insert
        "{\"email\":\"a@X.co\",\"username\":\"BB\"}\n", // 3: duplicate of 1 and 2
    );
    let (out, result) = run_all_with(input.as_bytes(), &opts);
    result.expect("job");
    let out = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[3].ends_with(concat!(
            r#""errors":[{"code":"DUPLICATED_USER","message":"A user with this email was already provided.","path":"email","duplicate_of":1},"#,
            r#"{"code":"DUPLICATED_USER","message":"A user with this username was already provided.","path":"username","duplicate_of":2}]}"#
        )),
        "{}",
        lines[3]
    );
}

#[test]
fn an_update_line_names_the_user_and_merges_metadata_in_order() {
    let opts = Opts {
        existing: Some(snapshot(
            &[
                r#"{"user_id":"auth0|m","email":"m@x.co","blocked":false,"app_metadata":{"plan":"free","org":{"id":1,"tags":["a"]}}}"#,
            ],
            None,
        )),
        upsert: Some(MatchOn::Email),
        merge_metadata: true,
        ..Opts::default()
    };
    let got = line(
        &format!(
            r#"{{"user_id":"auth0|m2","email":"M@X.CO","blocked":true,"name":"Em","app_metadata":{{"org":{{"tags":["b"],"x":null}},"new":1}},"password_hash":"{BCRYPT}","user_metadata":{{"k":"v"}}}}"#
        ),
        &opts,
    );
    assert_eq!(
        got,
        concat!(
            r#"{"op":"update","index":0,"user_id":"auth0|m","match":"email","#,
            r#""user":{"name":"Em","app_metadata":{"plan":"free","org":{"id":1,"tags":["b"],"x":null},"new":1},"user_metadata":{"k":"v"}},"#,
            r#""warnings":["#,
            r#"{"code":"DOUBLE_PREFIX","message":"user_id already starts with auth0|; Auth0 stores it as auth0|auth0|m2","path":"user_id"},"#,
            r#"{"code":"NOT_UPSERTABLE","message":"user_id is not upsertable: the update leaves it unchanged","path":"user_id"},"#,
            r#"{"code":"NOT_UPSERTABLE","message":"blocked is not upsertable: the update leaves it unchanged","path":"blocked"},"#,
            r#"{"code":"NOT_UPSERTABLE","message":"password_hash is not upsertable: the update leaves it unchanged","path":"password_hash"},"#,
            r#"{"code":"METADATA_NOT_IN_SNAPSHOT","message":"user_metadata is not in the existing-users export: the update replaces the user's whole user_metadata","path":"user_metadata"}]}"#
        )
    );
}

#[test]
fn denied_update_warnings_become_errors_and_the_line_is_masked() {
    let opts = Opts {
        existing: Some(snapshot(
            &[r#"{"user_id":"auth0|m","email":"m@x.co"}"#],
            None,
        )),
        upsert: Some(MatchOn::Email),
        deny_warnings: true,
        ..Opts::default()
    };
    let got = line(
        &format!(r#"{{"email":"m@x.co","password_hash":"{BCRYPT}"}}"#),
        &opts,
    );
    assert_eq!(
        got,
        concat!(
            r#"{"op":"error","index":0,"user":{"email":"m@x.co","password_hash":"*****"},"errors":["#,
            r#"{"code":"WARNING_DENIED","message":"Warning NOT_UPSERTABLE denied: password_hash is not upsertable: the update leaves it unchanged","path":"password_hash"}]}"#
        )
    );
}

/// The same causes as values, for a front end that embeds the engine: `Finding::cause`.
#[test]
fn causes_reach_a_library_sink_as_values() {
    #[derive(Default)]
    struct Causes(Vec<(u64, Vec<Cause<String>>)>);
    impl Sink for Causes {
        fn error(&mut self, r: &Record<'_>) -> SinkResult {
            let causes = r
                .errors
                .iter()
                .map(|f| match f.cause {
                    Cause::Existing { user_id, key } => Cause::Existing {
                        user_id: user_id.to_owned(),
                        key,
                    },
                    Cause::DuplicateOf(i) => Cause::DuplicateOf(i),
                    _ => Cause::None,
                })
                .collect();
            self.0.push((r.index, causes));
            Ok(Flow::Continue)
        }
    }
    let engine = Builder::new()
        .existing(snapshot(&FOUR_HOLDERS, None))
        .build()
        .expect("engine");
    let mut sink = Causes::default();
    engine
        .run_bytes(
            b"{\"email\":\"n@x.co\",\"username\":\"uu\"}\n{\"email\":\"N@x.co\"}\n",
            &mut sink,
        )
        .expect("job");
    assert_eq!(
        sink.0,
        [
            (
                0,
                vec![Cause::Existing {
                    user_id: "auth0|u".to_owned(),
                    key: KeyKind::Username
                }]
            ),
            (1, vec![Cause::DuplicateOf(Some(0))]),
        ]
    );
}
