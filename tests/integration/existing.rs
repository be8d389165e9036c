//! Existing users at the byte level: what the case files cannot pin (they compare errors
//! as multisets and `user` as a JSON value): the order and text of conflict errors, the
//! exact update line, masking on conflict lines, and every path agreeing.

use std::sync::Arc;

use user_import::{ExportSource, MatchOn, Snapshot, SnapshotOptions};

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
            r#"{"code":"DUPLICATED_USER","message":"The user already exist and upsert parameter is false"},"#,
            r#"{"code":"DUPLICATED_USER","message":"The user already exist and upsert parameter is false"},"#,
            r#"{"code":"CONFLICT_USERNAME","message":"A user with this username already exists","path":"username"},"#,
            r#"{"code":"CONFLICT","message":"A user with this phone_number already exists","path":"phone_number"}]}"#
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
            r#"{"code":"CONFLICT_EMAIL","message":"A user with this email already exists","path":"email"},"#,
            r#"{"code":"CONFLICT_USERNAME","message":"A user with this username already exists","path":"username"},"#,
            r#"{"code":"CONFLICT","message":"A user with this phone_number already exists","path":"phone_number"},"#,
            r#"{"code":"CONFLICT","message":"A custom_password_hash was provided, but the user already has password hash defined.","path":"custom_password_hash"}]}"#
        )
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
