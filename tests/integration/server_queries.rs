//! `serve`'s list and read parameters as Auth0 documents them (issue 17): checkpoint and
//! offset pages of connections, and `fields` / `include_fields` on connections and users.
#![cfg(feature = "server")]

use serde_json::{Value, json};

use crate::common::write_file;
use crate::server::{Server, connection_id, get, json, post_job, setup, wait_done};

fn ok(s: &Server, path: &str) -> Value {
    let (code, body) = get(s, path);
    assert_eq!(code, 200, "{path}: {body}");
    json(&body)
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|c| c["name"].as_str().expect("a name"))
        .collect()
}

#[test]
fn connections_page_by_checkpoint_and_by_offset() {
    let (_dir, db) = setup("paging");
    let s = Server::start(
        &db,
        &[
            "--connection",
            "A",
            "--connection",
            "B",
            "--connection",
            "C",
        ],
    );
    // No paging parameter: the bare array, as before.
    let all = ok(&s, "/api/v2/connections");
    assert_eq!(names(&all), ["A", "B", "C"]);

    // What Auth0's SDKs send: a checkpoint page, with no next when it is the last.
    let page = ok(&s, "/api/v2/connections?include_totals=true&take=50");
    assert_eq!(names(&page["connections"]), ["A", "B", "C"]);
    assert_eq!(page.as_object().expect("an object").len(), 1, "{page}");

    // Walking by checkpoint visits each connection once.
    let first = ok(&s, "/api/v2/connections?take=2");
    assert_eq!(names(&first["connections"]), ["A", "B"]);
    let next = first["next"].as_str().expect("a next").to_owned();
    assert_eq!(next, all[2]["id"]);
    let last = ok(&s, &format!("/api/v2/connections?take=2&from={next}"));
    assert_eq!(names(&last["connections"]), ["C"]);
    assert!(last.get("next").is_none(), "{last}");

    // Offset pages, with and without totals.
    let offset = ok(
        &s,
        "/api/v2/connections?include_totals=true&page=1&per_page=2",
    );
    assert_eq!(
        (
            names(&offset["connections"]),
            &offset["start"],
            &offset["limit"],
            &offset["total"]
        ),
        (vec!["C"], &json!(2), &json!(2), &json!(3))
    );
    assert_eq!(
        names(&ok(&s, "/api/v2/connections?page=0&per_page=2")),
        ["A", "B"]
    );

    // Filters apply before paging.
    let by_name = ok(&s, "/api/v2/connections?name=B&take=5");
    assert_eq!(names(&by_name["connections"]), ["B"]);
    assert!(
        ok(
            &s,
            "/api/v2/connections?strategy=google-oauth2&strategy=samlp"
        )
        .as_array()
        .expect("a list")
        .is_empty()
    );
    assert_eq!(
        names(&ok(&s, "/api/v2/connections?strategy=auth0")).len(),
        3
    );

    // Out of range: Auth0's query validation error.
    let (code, body) = get(&s, "/api/v2/connections?take=101");
    assert_eq!(code, 400);
    assert_eq!(
        json(&body),
        json!({"statusCode": 400, "error": "Bad Request", "message": "Query validation error: 'Value 101 is greater than maximum 100' on property take", "errorCode": "invalid_query_string"})
    );
    let (code, body) = get(&s, "/api/v2/connections?take=2&from=con_nosuchconnection");
    assert_eq!(code, 400, "{body}");
    assert_eq!(json(&body)["errorCode"], "invalid_query_string");
}

#[test]
fn fields_select_what_connections_and_users_show() {
    let (dir, db) = setup("fields");
    let s = Server::start(&db, &["--connection", "A", "--connection", "B"]);
    let only = ok(&s, "/api/v2/connections?fields=id,name");
    for c in only.as_array().expect("a list") {
        let keys: Vec<&String> = c.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["id", "name"]);
    }
    // A selection without ids still pages: checkpoints come from the whole objects.
    let page = ok(
        &s,
        "/api/v2/connections?take=1&fields=id,realms&include_fields=false",
    );
    assert_eq!(
        page["connections"],
        json!([{"name": "A", "strategy": "auth0", "is_domain_connection": false}])
    );
    assert!(page["next"].is_string());

    let con = connection_id(&s, "A");
    write_file(
        &dir.join("u.json"),
        br#"[{"email":"f@example.com","user_id":"f1","given_name":"F","user_metadata":{"n":1.50}}]"#,
    );
    let (code, body) = post_job(&s, &dir, "u.json", &con, &[]);
    assert_eq!(code, 202, "{body}");
    wait_done(&s, json(&body)["id"].as_str().expect("an id"));

    let (code, body) = get(&s, "/api/v2/users/auth0%7Cf1?fields=email,user_metadata");
    assert_eq!(code, 200);
    // Kept members are the stored bytes, numbers as written.
    assert_eq!(
        body,
        r#"{"email":"f@example.com","user_metadata":{"n":1.50}}"#
    );
    let but = ok(
        &s,
        "/api/v2/users/auth0%7Cf1?fields=identities,created_at,updated_at,user_metadata&include_fields=false",
    );
    let keys: Vec<&String> = but.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["email", "user_id", "given_name", "email_verified"]);
    let found = ok(
        &s,
        "/api/v2/users-by-email?email=F@example.com&fields=user_id",
    );
    assert_eq!(found, json!([{"user_id": "auth0|f1"}]));
    // Every field when `fields` is empty.
    let whole = ok(&s, "/api/v2/users/auth0%7Cf1?fields=&include_fields=false");
    assert!(whole.get("identities").is_some() && whole.get("email").is_some());
    let (code, body) = get(
        &s,
        "/api/v2/users/auth0%7Cf1?fields=email&include_fields=maybe",
    );
    assert_eq!(code, 400);
    assert_eq!(
        json(&body)["message"],
        "Query validation error: 'Expected type boolean but found type string' on property include_fields"
    );
}
