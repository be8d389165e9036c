//! The whole pipeline on arbitrary bytes: never panics, 1 thread == 2 threads, bytes ==
//! stream == file, and a completed job has exactly one line per record with a summary that
//! adds up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_import::{Builder, NdjsonSink, Summary};

enum From<'a> {
    Bytes(&'a [u8]),
    Stream(&'a [u8]),
    File(&'a std::path::Path),
}

fn run(from: From<'_>, threads: usize) -> (Vec<u8>, Option<Summary>) {
    let engine = Builder::new()
        .threads(threads)
        .batch_records(3)
        .chunk_records(2)
        .read_bytes(5)
        .build()
        .unwrap();
    let mut sink = NdjsonSink::new(Vec::new());
    let r = match from {
        From::Bytes(d) => engine.run_bytes(d, &mut sink),
        From::Stream(d) => engine.run_reader(d, &mut sink),
        From::File(p) => engine.run_path(p, &mut sink),
    };
    (sink.into_inner(), r.ok())
}

fuzz_target!(|data: &[u8]| {
    let (a, sa) = run(From::Bytes(data), 1);
    let (b, sb) = run(From::Stream(data), 2);
    let path = std::env::temp_dir().join(format!("user-import-fuzz-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let (c, sc) = run(From::File(&path), 2);
    let totals = |s: &Option<Summary>| s.as_ref().map(|s| s.total);
    assert_eq!(totals(&sa), totals(&sb), "bytes vs stream");
    assert_eq!(totals(&sa), totals(&sc), "bytes vs file");
    if let Some(s) = sa {
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        assert_eq!(text(&a), text(&b), "bytes vs stream");
        assert_eq!(text(&a), text(&c), "bytes vs file");
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count() as u64, s.total);
        assert_eq!(s.total, s.inserted + s.updated + s.failed);
    }
});
