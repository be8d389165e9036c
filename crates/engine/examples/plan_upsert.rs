//! Plans an upsert against an export of the existing users: which records would create a
//! user, which would update one (and which user, matched how), and which would fail.
//!
//! ```text
//! cargo run -p user-import-engine --example plan_upsert -- \
//!     testdata/sample/users.ndjson testdata/sample/existing.ndjson
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use user_import::{
    Builder, ExportSource, Flow, MatchOn, Record, Sink, SinkResult, Snapshot, SnapshotOptions,
};

/// The plan: kept small, as ids and indexes only.
#[derive(Default)]
struct Plan {
    inserts: Vec<u64>,
    /// (record index, matched user_id, the key that matched)
    updates: Vec<(u64, String, MatchOn)>,
    failures: Vec<u64>,
}

impl Sink for Plan {
    fn insert(&mut self, r: &Record<'_>) -> SinkResult {
        self.inserts.push(r.index);
        Ok(Flow::Continue)
    }

    fn update(&mut self, r: &Record<'_>) -> SinkResult {
        if let Some(m) = r.matched {
            self.updates.push((r.index, m.user_id.to_owned(), m.on));
        }
        Ok(Flow::Continue)
    }

    fn error(&mut self, r: &Record<'_>) -> SinkResult {
        self.failures.push(r.index);
        Ok(Flow::Continue)
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(users), Some(export)) = (args.next(), args.next()) else {
        eprintln!("usage: plan_upsert USERS_FILE EXPORT_FILE");
        return ExitCode::from(2);
    };
    match plan(&users, export) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plan_upsert: {e}");
            ExitCode::FAILURE
        }
    }
}

fn plan(users: &std::path::Path, export: PathBuf) -> Result<(), user_import::JobError> {
    let snapshot = Snapshot::load(
        vec![ExportSource::Path(export)],
        &SnapshotOptions::default(),
    )?;
    println!("{} existing users", snapshot.len());
    let engine = Builder::new()
        .existing(Arc::new(snapshot))
        .upsert(Some(MatchOn::Email))
        .build()?;
    let mut plan = Plan::default();
    let summary = engine.run_path(users, &mut plan)?;
    println!(
        "{} records: {} to create, {} to update, {} would fail",
        summary.total,
        plan.inserts.len(),
        plan.updates.len(),
        plan.failures.len()
    );
    for (index, user_id, on) in plan.updates.iter().take(10) {
        println!(
            "  record {index} updates {user_id} (matched on {})",
            on.name()
        );
    }
    if plan.updates.len() > 10 {
        println!("  ... and {} more updates", plan.updates.len() - 10);
    }
    Ok(())
}
