//! Fuzzer findings, replayed as ordinary tests (each names its target and what it found).

use user_import::{Builder, NdjsonSink};

fn run(input: &[u8], read: Option<usize>) -> String {
    let engine = Builder::new()
        .threads(1)
        .batch_records(3)
        .chunk_records(2)
        .read_bytes(read.unwrap_or(1 << 20))
        .build()
        .expect("engine");
    let mut sink = NdjsonSink::new(Vec::new());
    match read {
        Some(_) => engine.run_reader(input, &mut sink),
        None => engine.run_bytes(input, &mut sink),
    }
    .expect("job");
    String::from_utf8(sink.into_inner()).expect("utf-8")
}

/// `pipeline`: white space before an NDJSON record that a stream read ended inside was
/// dropped with the read, so the record seemed to start before the kept bytes and was
/// reported as `MAX_SIZE`. A record now starts at its first significant byte.
#[test]
fn white_space_before_a_streamed_ndjson_record_is_not_max_size() {
    let inputs: [&[u8]; 3] = [
        b"\n\n  \t{\"email\":\"a@example.com\"}\n",
        b"{\"email\":\"a@example.com\"}\n \t \r\n    {\"email\":\"b@example.com\"}",
        b"\xEF\xBB\xBF   {\"email\":\"a@example.com\"}\n\t\t{bad\n",
    ];
    for input in inputs {
        let expected = run(input, None);
        assert!(!expected.contains("MAX_SIZE"), "{expected}");
        for read in 1..=12 {
            assert_eq!(run(input, Some(read)), expected, "read size {read}");
        }
    }
    // The raw excerpt of a bad record starts at the record, not at the indentation.
    assert!(run(b"   {bad\n", None).contains(r#""raw":"{bad""#));
}

/// `pipeline`: an invalid record whose 256-byte excerpt ended just after a backslash inside
/// a string made the excerpt's string scanner step past the end (a panic on a worker).
#[test]
fn an_excerpt_cut_after_a_backslash_is_not_a_panic() {
    for pad in 0..8 {
        let mut rec = br#"{"email":"a@example.com","user_metadata":{"pad":""#.to_vec();
        rec.extend(std::iter::repeat_n(b'x', pad));
        while rec.len() < 400 {
            rec.extend_from_slice(br"\u0078");
        }
        rec.extend_from_slice(b"\"} tru\n");
        let out = run(&rec, None);
        assert!(out.contains("INVALID_JSON"), "{out}");
        for read in [3, 7] {
            assert_eq!(run(&rec, Some(read)), out);
        }
    }
}
