//! What a sink costs per record (issue 14): the job API's `PlanSink` and `verify`'s canary
//! finder, each against the sink it replaced, over the same engine run.
//!
//! The replaced sinks are kept here, verbatim in what they did per record, as the baseline:
//! the old `PlanSink` read `email`, `username` and `user_id` back out of the rendered user
//! (a member scan and a string decode each); the old finder parsed every record again with
//! simd-json on the writer thread. A sink's per-record cost is its run's time minus the run
//! with a sink that does nothing, over the number of records.
//!
//! ```text
//! cargo bench -p user-import-jobs --bench sinks
//! ```
//!
//! Times on a 2-core machine are noisy next to a sink's small share of a run, so the same
//! binary also runs one case once, for an instruction count that does not depend on load:
//!
//! ```text
//! SINKS_ONCE=finder_before valgrind --tool=callgrind target/release/deps/sinks-*
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, Throughput, criterion_group};
use user_import::internals::doc::Value;
use user_import::internals::keys::lower_into;
use user_import::internals::parse::Parser;
use user_import::json;
use user_import::verify::{Canary, CanaryKey as Key, Finder};
use user_import::{Builder, Engine, Flow, Record, Sink, SinkResult};
use user_import_jobs::internals::PlanSink;

/// The 600 sample users, 30 times over with distinct identities (the engine would fail
/// repeats as duplicates, which sinks see as errors).
fn input() -> Vec<u8> {
    let path = format!(
        "{}/../../testdata/sample/users.ndjson",
        env!("CARGO_MANIFEST_DIR")
    );
    let sample = std::fs::read_to_string(path).expect("sample");
    let mut out = String::new();
    for copy in 0..30 {
        for line in sample.lines() {
            out.push_str(
                &line
                    .replace("@", &format!("+c{copy}@"))
                    .replace("\"user_id\":\"", &format!("\"user_id\":\"c{copy}-")),
            );
            out.push('\n');
        }
    }
    out.into_bytes()
}

struct Nothing;
impl Sink for Nothing {}

/// The job API's sink before issue 14: identity fields read back from the rendered user.
struct OldPlanSink {
    scratch: String,
    rows: Vec<(Option<String>, Option<String>, Option<String>)>,
}

impl OldPlanSink {
    fn field(&mut self, user: &[u8], name: &str) -> Option<String> {
        let r = json::member(user, name)?;
        json::decode_str(&user[r], &mut self.scratch).then(|| self.scratch.clone())
    }
}

impl Sink for OldPlanSink {
    fn insert(&mut self, r: &Record<'_>) -> SinkResult {
        let email = self.field(r.user, "email");
        let username = self.field(r.user, "username");
        let id = self.field(r.user, "user_id");
        self.rows.push((email, username, id));
        Ok(Flow::Continue)
    }
}

/// `verify`'s finder before issue 14: every record parsed again to read email and user_id.
struct OldFinder {
    parser: Parser,
    by_email: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
    scratch: Vec<u8>,
    hits: usize,
}

impl Sink for OldFinder {
    fn record(&mut self, r: &Record<'_>) -> SinkResult {
        let Some(raw) = r.original else {
            return Ok(Flow::Continue);
        };
        let (by_email, by_id, scratch) = (&self.by_email, &self.by_id, &mut self.scratch);
        let mut hits = 0;
        self.parser.parse(raw, |parsed| {
            let Ok(p) = parsed else { return };
            let root = Value::root(p.tape);
            if let Some(email) = root.get("email").and_then(|v| v.as_str()) {
                scratch.clear();
                lower_into(scratch, email);
                if std::str::from_utf8(scratch)
                    .ok()
                    .is_some_and(|e| by_email.contains_key(e))
                {
                    hits += 1;
                }
            }
            if root
                .get("user_id")
                .and_then(|v| v.as_str())
                .is_some_and(|id| by_id.contains_key(id))
            {
                hits += 1;
            }
        });
        self.hits += hits;
        Ok(Flow::Continue)
    }
}

fn canaries() -> Vec<Canary> {
    ["nobody@example.com", "someone@example.org"]
        .iter()
        .enumerate()
        .map(|(i, e)| Canary {
            line: i as u64 + 1,
            key: Key::Email((*e).to_owned()),
            password: "x".to_owned(),
        })
        .chain([Canary {
            line: 3,
            key: Key::UserId("auth0|nobody".to_owned()),
            password: "x".to_owned(),
        }])
        .collect()
}

fn run(engine: &Engine, data: &[u8], sink: &mut dyn Sink) {
    black_box(engine.run_bytes(data, sink).expect("run"));
}

/// The cases by name: each runs the engine once over `data` into its sink.
fn case(name: &str, engine: &Engine, data: &[u8], list: &[Canary]) -> Option<usize> {
    Some(match name {
        "nothing" => {
            run(engine, data, &mut Nothing);
            0
        }
        "plan_sink_before" => {
            let mut s = OldPlanSink {
                scratch: String::new(),
                rows: Vec::new(),
            };
            run(engine, data, &mut s);
            s.rows.len()
        }
        "plan_sink_after" => {
            let cancel = AtomicBool::new(false);
            let mut s = PlanSink::new(&cancel);
            run(engine, data, &mut s);
            s.plan.inserts.len()
        }
        "finder_before" => {
            let mut s = OldFinder {
                parser: Parser::without_spans(),
                by_email: HashMap::from([("nobody@example.com".to_owned(), 0)]),
                by_id: HashMap::from([("auth0|nobody".to_owned(), 1)]),
                scratch: Vec::new(),
                hits: 0,
            };
            run(engine, data, &mut s);
            s.hits
        }
        "finder_after" => {
            let mut s = Finder::new(list);
            run(engine, data, &mut s);
            s.into_found().iter().flatten().count()
        }
        _ => return None,
    })
}

const CASES: [&str; 5] = [
    "nothing",
    "plan_sink_before",
    "plan_sink_after",
    "finder_before",
    "finder_after",
];

fn sinks(c: &mut Criterion) {
    let data = input();
    let records = data.iter().filter(|&&b| b == b'\n').count() as u64;
    let engine = Builder::new().threads(1).build().expect("engine");
    let list = canaries();
    let mut g = c.benchmark_group("sinks");
    g.throughput(Throughput::Elements(records));
    g.sample_size(30);
    for name in CASES {
        g.bench_function(name, |b| {
            b.iter(|| black_box(case(name, &engine, &data, &list)))
        });
    }
    g.finish();
}

criterion_group!(benches, sinks);

fn main() {
    if let Ok(name) = std::env::var("SINKS_ONCE") {
        let engine = Builder::new().threads(1).build().expect("engine");
        let found = case(&name, &engine, &input(), &canaries());
        assert!(found.is_some(), "SINKS_ONCE: one of {CASES:?}");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
