//! End to end and per stage, on the committed samples. Throughput in bytes and records.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use user_import::internals::doc::{Kind, Value};
use user_import::internals::finding::Findings;
use user_import::internals::frame::Framer;
use user_import::internals::index::{Fingerprinter, KeyIndex};
use user_import::internals::json::{write_masked, write_minified};
use user_import::internals::parse::Parser;
use user_import::internals::record::{Input, KeyKind, RecordOptions, Worker, lower_into};
use user_import::{Builder, ExportSource, NdjsonSink, Snapshot, SnapshotOptions};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/sample/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("sample")
}

fn spans_of(data: &[u8]) -> Vec<user_import::internals::frame::Span> {
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
    // The check of a mapped array, in 64 KiB pieces on rayon's global pool (the sample is
    // 385 KB; the engine's pieces are 4 MiB).
    g.bench_function("check_array", |b| {
        b.iter(|| {
            black_box(
                user_import::internals::frame::check(black_box(&data), 64 << 10).map(|c| c.len()),
            )
        })
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
    // Parse plus every schema rule; the rules alone are the difference with parse_records.
    g.bench_function("parse_validate_records", |b| {
        let (mut parser, mut findings, mut path) = (Parser::new(), Findings::new(), String::new());
        b.iter(|| {
            let mut errors = 0;
            for s in &spans {
                let raw = &data[s.start as usize..s.end as usize];
                parser.parse(raw, |r| {
                    if let Ok(p) = r {
                        findings.clear();
                        let root = Value::root(p.tape);
                        if root.kind() == Kind::Object {
                            user_import::internals::validate::validate(
                                root,
                                raw.len(),
                                &mut findings,
                                &mut path,
                            );
                            errors += findings.errors().len();
                        }
                    }
                });
            }
            black_box(errors)
        })
    });
    // Parse plus the custom_password_hash rules of the records that have one.
    g.bench_function("parse_hash_rules", |b| {
        let (mut parser, mut findings) = (Parser::new(), Findings::new());
        b.iter(|| {
            for s in &spans {
                parser.parse(&data[s.start as usize..s.end as usize], |r| {
                    if let Ok(p) = r
                        && let Some(h) = Value::root(p.tape).get("custom_password_hash")
                        && h.kind() == Kind::Object
                    {
                        findings.clear();
                        user_import::internals::hash::check_custom_password_hash(h, &mut findings);
                    }
                });
            }
            black_box(findings.has_errors())
        })
    });
    // The whole record stage (parse, rules, keys, rendering) on one thread.
    let inputs: Vec<Input> = spans
        .iter()
        .map(|s| Input {
            index: s.index,
            raw: s.start as usize..s.end as usize,
            complete: true,
            size: s.end - s.start,
        })
        .collect();
    g.bench_function("record_stage", |b| {
        let mut worker = Worker::new();
        b.iter(|| {
            black_box(
                worker
                    .process(&data, &inputs, RecordOptions::default())
                    .recs
                    .len(),
            )
        })
    });
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("emit_minified", |b| {
        let mut out = Vec::with_capacity(data.len());
        b.iter(|| {
            out.clear();
            for s in &spans {
                write_minified(&mut out, &data[s.start as usize..s.end as usize]);
            }
            black_box(out.len())
        })
    });
    g.bench_function("emit_masked", |b| {
        let mut out = Vec::with_capacity(data.len());
        b.iter(|| {
            out.clear();
            for s in &spans {
                write_masked(&mut out, &data[s.start as usize..s.end as usize]);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

/// The identity indexes on the sample's emails: the in-file index (5.2) and the existing
/// users' index (5.3), with hits confirmed against the export.
fn index(c: &mut Criterion) {
    let users = sample("users.ndjson");
    let emails: Vec<Vec<u8>> = users.split(|&b| b == b'\n').filter_map(email_key).collect();
    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Elements(emails.len() as u64));
    // A fresh index per pass, made outside the timing: 2^16 empty shards cost about as much
    // to allocate as the sample's few hundred keys cost to take.
    g.bench_function("index_in_file_take", |b| {
        let f = Fingerprinter::new();
        b.iter_batched_ref(
            KeyIndex::new,
            |idx| {
                let mut dups = 0;
                for (owner, e) in (0u32..).zip(&emails) {
                    dups += usize::from(idx.take(f.of(KeyKind::Email, e), owner).is_some());
                }
                black_box(dups)
            },
            BatchSize::LargeInput,
        )
    });
    let snapshot = Snapshot::load(
        vec![ExportSource::Bytes {
            name: "existing.ndjson".into(),
            data: sample("existing.ndjson"),
        }],
        &SnapshotOptions::default(),
    )
    .expect("snapshot");
    g.bench_function("index_existing_holder", |b| {
        let mut scratch = String::new();
        b.iter(|| {
            let mut held = 0;
            for e in &emails {
                held += usize::from(snapshot.holder(KeyKind::Email, e, &mut scratch).is_some());
            }
            black_box(held)
        })
    });
    g.finish();
}

/// The lower-cased email of an NDJSON line, found without a JSON library.
fn email_key(line: &[u8]) -> Option<Vec<u8>> {
    let mut parser = Parser::new();
    parser.parse(line, |r| {
        let p = r.ok()?;
        let email = Value::root(p.tape).get("email")?.as_str()?;
        let mut k = Vec::new();
        lower_into(&mut k, email);
        Some(k)
    })
}

criterion_group!(benches, end_to_end, stages, index);
criterion_main!(benches);
