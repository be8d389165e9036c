//! Garbage, truncated and hostile input: no panic, no hang, no secret in any output.
//! (The full hostile suite and fuzzing come with the fuzzing issue.)

use crate::common::{PATHS, lines, run_all, run_bin, run_lib};

#[test]
fn a_record_of_exactly_1_mib_passes_and_one_byte_more_is_max_size() {
    let make = |size: usize| {
        let head = br#"{"email":"a@example.com","user_metadata":{"p":""#;
        let tail = br#""}}"#;
        let mut r = head.to_vec();
        r.resize(size - tail.len(), b'x');
        r.extend_from_slice(tail);
        assert_eq!(r.len(), size);
        r
    };
    let mut input = make(1 << 20);
    input.push(b'\n');
    input.extend_from_slice(&make((1 << 20) + 1));
    input.push(b'\n');
    let (out, _) = run_all(&input, false);
    let l = lines(&out);
    assert_eq!(l[0]["op"], "insert");
    assert_eq!(l[1]["errors"][0]["code"], "MAX_SIZE");
    assert!(l[1]["raw"].as_str().is_some_and(|r| r.len() <= 256));
}

#[test]
fn deep_nesting_is_max_depth_not_a_crash() {
    let deep = |n: usize| {
        format!(
            "{{\"email\":\"a@example.com\",\"app_metadata\":{}1{}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let input = format!("{}\n{}\n", deep(10_000), deep(100));
    let (out, _) = run_all(input.as_bytes(), false);
    let l = lines(&out);
    assert_eq!(l[0]["errors"][0]["code"], "MAX_DEPTH");
    assert_eq!(l[1]["errors"][0]["code"], "MAX_DEPTH");
    let array = format!("[{}]", deep(10_000));
    let (out, r) = run_all(array.as_bytes(), false);
    assert!(r.is_ok());
    assert_eq!(lines(&out)[0]["errors"][0]["code"], "MAX_DEPTH");
}

#[test]
fn an_object_with_100k_keys_is_decided_quickly() {
    let mut r = String::from("{\"email\":\"a@example.com\"");
    // 60,000 keys stay under the 1 MiB record limit.
    for i in 0..60_000 {
        r.push_str(&format!(",\"k{i}\":{i}"));
    }
    r.push_str(",\"email\":\"b@example.com\"}\n");
    let (out, _) = run_lib(r.as_bytes(), PATHS[1], false);
    let l = lines(&out);
    assert_eq!(l[0]["op"], "error");
    assert_eq!(l[0]["errors"].as_array().map(Vec::len), Some(60_000));
}

#[test]
fn a_valid_array_truncated_at_every_byte_fails_with_a_position() {
    let full = br#"[{"email":"a@example.com","app_metadata":{"n":[1,2.5e3,true,null,"x\"y"]}},{"email":"b@example.com"}]"#;
    for cut in 1..full.len() {
        for path in PATHS {
            let (_, r) = run_lib(&full[..cut], path, false);
            let err = r.expect_err("a truncated array fails the job");
            assert!(err.contains("byte"), "{err}");
        }
    }
    assert!(run_lib(full, PATHS[0], false).1.is_ok());
}

#[test]
fn invalid_utf8_at_every_offset_is_one_failed_record() {
    let rec = br#"{"email":"a@example.com","name":"Zoe","password_hash":"SECRETVALUE"}"#;
    // Offset 0 replaces the '{' that makes the input NDJSON: the job fails, as it must.
    assert!(run_lib(b"\xff\"email\":1}\n", PATHS[0], false).1.is_err());
    for at in 1..rec.len() {
        let mut bad = rec.to_vec();
        bad[at] = 0xff;
        bad.push(b'\n');
        let (out, r) = run_all(&bad, false);
        let s = r.expect("NDJSON never fails the job");
        assert_eq!(s.total, 1);
        assert_eq!(lines(&out).len(), 1);
    }
}

#[test]
fn nul_bytes_and_garbage_are_records_or_a_clean_failure() {
    let (out, r) = run_all(b"{\"email\":\"a\0@example.com\"}\n{\0}\n\0\0\0\n", false);
    assert!(r.is_ok());
    assert_eq!(lines(&out).len(), 3);
    let (_, r) = run_all(b"\0\0\0{", false);
    assert!(r.is_err());
}

#[test]
fn secrets_never_reach_an_error_line() {
    let records = [
        r#"{"email":"bad","password_hash":"MARKER_PH_1"}"#,
        r#"{"email":"a@example.com","custom_password_hash":{"algorithm":"md5","hash":{"value":"MARKER_HV_2","encoding":"hex"},"salt":{"value":"MARKER_SALT_3"}},"foo":1}"#,
        r#"{"email":"a@example.com","custom_password_hash":{"algorithm":"hmac","hash":{"value":"MARKER_HV_4","encoding":"hex","digest":"sha1","key":{"value":"MARKER_KEY_5"}}},"x":1}"#,
        r#"{"email":"a@example.com","mfa_factors":[{"totp":{"secret":"MARKER_TOTP_6"}}],"y":1}"#,
        r#"{"email":"a@example.com","custom_password_hash":"MARKER_WRONG_SHAPE_7"}"#,
        r#"{"email":"a@example.com","password_hash":"MARKER_PH_8","password_hash":"MARKER_PH_9","z":1}"#,
        r#"{"email":"a@example.com","password_hash":"MARKER_TRUNC_10"#,
        r#"{"email":"c@example.com","password_hash":"MARKER_PATTERN_11","w":1}"#,
    ];
    let input = records.join("\n") + "\n";
    let out = run_bin(&["run", "-", "--quiet"], input.as_bytes());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let l = lines(&out.stdout);
    assert_eq!(l.len(), records.len());
    assert!(
        l.iter().all(|l| l["op"] == "error"),
        "every record fails in its own way"
    );
    assert!(!text.contains("MARKER"), "a secret leaked:\n{text}");
}

#[test]
fn dev_zero_and_a_huge_stdin_record_stay_bounded() {
    let out = run_bin(&["run", "/dev/zero", "--quiet"], b"");
    assert_eq!(out.status.code(), Some(1));
    let mut input = b"{\"email\":\"a@example.com\",\"p\":\"".to_vec();
    input.resize(8 << 20, b'x');
    input.extend_from_slice(b"\"}\n{\"email\":\"b@example.com\"}\n");
    let out = run_bin(&["run", "-", "--quiet"], &input);
    let l = lines(&out.stdout);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["errors"][0]["code"], "MAX_SIZE");
    assert_eq!(l[1]["op"], "insert");
}
