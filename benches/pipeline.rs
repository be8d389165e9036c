//! End to end and per stage, on the committed samples. Throughput in bytes and records.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use user_import::frame::Framer;
use user_import::parse::Parser;
use user_import::{Builder, NdjsonSink};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/sample/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("sample")
}

fn spans_of(data: &[u8]) -> Vec<user_import::frame::Span> {
    let mut f = Framer::new();
    let mut spans = Vec::new();
    f.feed(data, 0, &mut spans).expect("frames");
    f.finish(data.len() as u64, &mut spans).expect("frames");
    spans
}

fn end_to_end(c: &mut Criterion) {
    for name in ["users.ndjson", "users.json"] {
        let data = sample(name);
        let records = spans_of(&data).len() as u64;
        for threads in [1, 2] {
            let engine = Builder::new().threads(threads).build().expect("engine");
            // The output counts are asserted once, outside the timing.
            let mut sink = NdjsonSink::new(Vec::new());
            let s = engine.run_bytes(&data, &mut sink).expect("runs");
            assert_eq!(s.total, records);
            assert_eq!(s.total, s.inserted + s.updated + s.failed);
            let run = |engine: &user_import::Engine| {
                let mut sink = NdjsonSink::new(Vec::with_capacity(data.len() * 2));
                black_box(engine.run_bytes(&data, &mut sink).expect("runs"))
            };
            let mut g = c.benchmark_group(format!("end_to_end/{name}/{threads}_threads"));
            g.throughput(Throughput::Bytes(data.len() as u64));
            g.bench_function("bytes", |b| b.iter(|| run(&engine)));
            g.throughput(Throughput::Elements(records));
            g.bench_function("records", |b| b.iter(|| run(&engine)));
            g.finish();
        }
    }
}

fn stages(c: &mut Criterion) {
    let data = sample("users.json");
    let spans = spans_of(&data);
    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("frame_array", |b| {
        b.iter(|| black_box(spans_of(black_box(&data)).len()))
    });
    g.throughput(Throughput::Elements(spans.len() as u64));
    g.bench_function("parse_records", |b| {
        let mut parser = Parser::new();
        b.iter(|| {
            let mut nodes = 0;
            for s in &spans {
                nodes += parser.parse(&data[s.start as usize..s.end as usize], |r| {
                    r.map(|p| p.tape.len()).unwrap_or(0)
                });
            }
            black_box(nodes)
        })
    });
    g.finish();
}

criterion_group!(benches, end_to_end, stages);
criterion_main!(benches);
