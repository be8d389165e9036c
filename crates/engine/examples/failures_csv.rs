//! A custom sink: every error of every failed record as a CSV row (`index,code,path,message`)
//! on standard output, for a spreadsheet. Messages never hold a secret's value.
//!
//! ```text
//! cargo run -p user-import-engine --example failures_csv -- testdata/sample/users.json > failures.csv
//! ```

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use user_import::{Builder, Flow, Record, Sink, SinkError, SinkResult, Summary};

/// Writes one CSV row per error; a failed write ends the job with an output error.
struct CsvFailures<W: Write> {
    out: W,
}

impl<W: Write> Sink for CsvFailures<W> {
    fn error(&mut self, r: &Record<'_>) -> SinkResult {
        for e in r.errors.iter() {
            write!(self.out, "{},{},", r.index, e.code)?;
            field(&mut self.out, e.path.unwrap_or(""))?;
            self.out.write_all(b",")?;
            field(&mut self.out, e.message)?;
            self.out.write_all(b"\n")?;
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self, _summary: &Summary) -> Result<(), SinkError> {
        Ok(self.out.flush()?)
    }
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
fn field(out: &mut impl Write, s: &str) -> io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", s.replace('"', "\"\""))
    } else {
        out.write_all(s.as_bytes())
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: failures_csv USERS_FILE");
        return ExitCode::from(2);
    };
    let mut sink = CsvFailures {
        out: BufWriter::new(io::stdout().lock()),
    };
    if let Err(e) = sink.out.write_all(b"index,code,path,message\n") {
        eprintln!("failures_csv: {e}");
        return ExitCode::FAILURE;
    }
    let result = Builder::new()
        .build()
        .and_then(|engine| engine.run_path(&path, &mut sink));
    match result {
        Ok(summary) => {
            eprintln!("{} of {} records failed", summary.failed, summary.total);
            ExitCode::SUCCESS
        }
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("failures_csv: {e}");
            ExitCode::FAILURE
        }
    }
}
