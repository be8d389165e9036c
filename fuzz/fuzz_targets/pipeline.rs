//! The whole pipeline on arbitrary bytes: never panics, 1 thread == 2 threads, bytes ==
//! stream, and a completed job has exactly one line per record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_import::{Builder, NdjsonSink};

fn run(data: &[u8], threads: usize, stream: bool) -> (Vec<u8>, Option<u64>) {
    let engine = Builder::new().threads(threads).batch_records(3).chunk_records(2).read_bytes(5).build().unwrap();
    let mut sink = NdjsonSink::new(Vec::new());
    let r = if stream { engine.run_reader(data, &mut sink) } else { engine.run_bytes(data, &mut sink) };
    (sink.into_inner(), r.ok().map(|s| s.total))
}

fuzz_target!(|data: &[u8]| {
    let (a, ta) = run(data, 1, false);
    let (b, tb) = run(data, 2, true);
    assert_eq!(ta, tb);
    if let Some(total) = ta {
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count() as u64, total);
    }
});
