//! Counts the error and warning codes of a users file, by code and path: what a migration
//! has to fix, largest first.
//!
//! ```text
//! cargo run -p user-import-engine --example count_codes -- testdata/sample/users.json
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use user_import::{Builder, Code, Flow, Record, Sink, SinkResult};

/// Counts (code, path) pairs over every record; implements only `record`.
#[derive(Default)]
struct CodeCounter {
    counts: HashMap<(Code, String), u64>,
}

impl Sink for CodeCounter {
    fn record(&mut self, r: &Record<'_>) -> SinkResult {
        for f in r.errors.iter().chain(r.warnings.iter()) {
            let path = match f.path {
                None => "(no path)",
                Some("") => "(the record)",
                Some(p) => p,
            };
            let path = path.to_owned();
            *self.counts.entry((f.code, path)).or_default() += 1;
        }
        Ok(Flow::Continue)
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: count_codes USERS_FILE");
        return ExitCode::from(2);
    };
    let engine = match Builder::new().build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("count_codes: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut sink = CodeCounter::default();
    let summary = match engine.run_path(&path, &mut sink) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("count_codes: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut rows: Vec<_> = sink.counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!(
        "{} records: {} inserted, {} updated, {} failed",
        summary.total, summary.inserted, summary.updated, summary.failed
    );
    for ((code, path), n) in rows {
        println!("{n:>8}  {code:<28} {path}");
    }
    ExitCode::SUCCESS
}
