//! The command line: argument parsing and wiring files to the engine. No rules live here.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};

use user_import::{
    Builder, Engine, ErrorKind, ExportSource, JobError, MatchOn, NdjsonSink, Sink, Snapshot,
    SnapshotOptions, Status, Summary, Tally,
};
use user_import::{ConvertOptions, ConvertReport, verify};

use crate::progress;
use crate::report::{self, ReportFile, Totals, table};
use crate::split;

/// Exit codes (SPEC 6.4). `verify` exits 3 when a canary does not match.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_RECORD_FAILED: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "user-import",
    version,
    about = "Preflight Auth0 bulk user imports: what Auth0 would do with every record"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Decide every record of a users file (JSON array or NDJSON): insert, update or error.
    Run(RunArgs),
    /// Check known passwords of a few canary users against their hashes in a users file.
    Verify(VerifyArgs),
    /// Turn an Auth0 user export into a JSON array the import accepts.
    Convert(ConvertArgs),
    /// Write the records that pass into JSON-array files of at most --max-bytes, with a
    /// manifest.
    Split(SplitArgs),
    /// Frame and parse every record and nothing else: the floor for benchmarks.
    #[command(hide = true)]
    ParseOnly(ParseOnlyArgs),
    /// Import a split folder into Auth0 through the Management API: two jobs in flight,
    /// resumable, every result kept (token in AUTH0_TOKEN, or AUTH0_CLIENT_ID and
    /// AUTH0_CLIENT_SECRET).
    #[cfg(feature = "submit")]
    Submit(SubmitArgs),
    /// Serve Auth0's bulk-import job API over the engine and a SQLite user store (token in
    /// USER_IMPORT_TOKEN).
    #[cfg(feature = "server")]
    #[command(after_help = SERVE_ENV)]
    Serve(ServeArgs),
    /// (This binary was built without the server feature.)
    #[cfg(not(feature = "server"))]
    #[command(hide = true)]
    Serve {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
}

#[cfg(feature = "submit")]
#[derive(clap::Args, Debug)]
struct SubmitArgs {
    /// The folder a `split` wrote (manifest.json and its files); the journal and the
    /// results (jobs.ndjson, errors.ndjson, failed.json) are kept there.
    dir: PathBuf,
    /// The tenant, e.g. `example.eu.auth0.com`: calls go to https://DOMAIN, tokens are
    /// asked for the audience https://DOMAIN/api/v2/.
    #[arg(long, value_name = "DOMAIN", required_unless_present = "base_url")]
    domain: Option<String>,
    /// The database connection to import into (`con_` and 16 letters or digits).
    #[arg(long, value_name = "ID", value_parser = connection_id)]
    connection_id: String,
    /// Send the calls here instead of https://DOMAIN (e.g. `http://127.0.0.1:3000` for
    /// `user-import serve`).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Jobs in flight at once (Auth0 allows two per tenant).
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=2))]
    concurrency: u64,
    /// Ask Auth0 to send each job's completion email.
    #[arg(long)]
    send_completion_email: bool,
    /// Print what would be sent, in order, and call nothing.
    #[arg(long)]
    dry_run: bool,
    /// No progress bar and no summary on standard error.
    #[arg(long)]
    quiet: bool,
    /// The first retry's backoff in ms (it doubles, with jitter, up to 30 s).
    #[arg(long, value_name = "MS", default_value_t = 500, hide = true)]
    retry_base_ms: u64,
    /// Attempts of one call before a file is given up on.
    #[arg(long, value_name = "N", default_value_t = 8, hide = true)]
    retries: u32,
    /// The first wait between polls of a job in ms (it grows to 5 s).
    #[arg(long, value_name = "MS", default_value_t = 100, hide = true)]
    poll_ms: u64,
}

#[cfg(feature = "submit")]
fn connection_id(s: &str) -> Result<String, String> {
    let ok = s
        .strip_prefix("con_")
        .is_some_and(|rest| rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(s.to_owned())
    } else {
        Err("a connection id is `con_` and 16 letters or digits (GET /api/v2/connections lists them)".to_owned())
    }
}

/// Most worker threads `--threads` accepts: far more than any machine's cores, and few
/// enough that a typo (`--threads 999999`) is a usage error instead of a million threads.
const MAX_THREADS: usize = 1024;

/// `--threads`: 0 (the default) is one per core.
fn threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n <= MAX_THREADS => Ok(n),
        _ => Err(format!(
            "--threads takes a number from 1 to {MAX_THREADS}, or 0 for one per core"
        )),
    }
}

#[cfg(feature = "server")]
const SERVE_ENV: &str = "\
Environment:
  USER_IMPORT_TOKEN          the bearer token clients may send (required)
  USER_IMPORT_CLIENT_ID      with USER_IMPORT_CLIENT_SECRET: the client that POST /oauth/token
  USER_IMPORT_CLIENT_SECRET  exchanges for a token valid --token-ttl (unset: every client refused)
  USER_IMPORT_FAULTS         tests of clients only: inject faults, e.g.
                             seed=7,429=0.05,500=0.02,503=0.02,drop=0.1,post_delay=800ms,
                             slow=0.2,slow_for=2s,fail=0.1 (README, \"The job API\")";

#[cfg(feature = "server")]
#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// The SQLite database holding connections, users and jobs (created if missing).
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// The address to listen on (plain HTTP; keep it on loopback or behind a TLS proxy).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    listen: std::net::SocketAddr,
    /// A database connection to create if it does not exist; repeat for several. Without
    /// any, a new store gets "Username-Password-Authentication".
    #[arg(long, value_name = "NAME")]
    connection: Vec<String>,
    /// The largest users file accepted (413 above it).
    #[arg(long, value_name = "BYTES", default_value_t = 512_000)]
    max_file_bytes: u64,
    /// Delete finished jobs (and their failed entries) this long after they finished:
    /// 90s, 15m, 24h, 7d. By default, kept forever.
    #[arg(long, value_name = "DURATION", default_value = "forever")]
    retention: String,
    /// Engine worker threads per job (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true,
          value_parser = threads)]
    threads: usize,
    /// A job still active this long after it was accepted fails (Auth0: 2 hours).
    #[arg(long, value_name = "SECS", default_value_t = 7200, hide = true)]
    job_timeout_secs: u64,
    /// Test knob: every job waits this long before it commits.
    #[arg(long, value_name = "MS", default_value_t = 0, hide = true)]
    job_delay_ms: u64,
    /// How long a token from POST /oauth/token is valid: 2s, 15m, 24h.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    token_ttl: String,
    /// Requests a second to /api/v2, all clients together, in bursts of as many; more get
    /// Auth0's 429 with retry-after.
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: u32,
}

#[derive(clap::Args, Debug)]
struct ParseOnlyArgs {
    /// The users file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true,
          value_parser = threads)]
    threads: usize,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The users file; `-` reads standard input.
    file: PathBuf,
    /// NDJSON lines {"email"|"user_id": ..., "password": ...}, one per canary.
    #[arg(long, value_name = "PATH")]
    passwords: PathBuf,
    /// Write the verdicts here instead of standard output.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true,
          value_parser = threads)]
    threads: usize,
    /// No summary line on standard error.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The users file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
    /// Write the operations stream here instead of standard output.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Also write each failed record as {"user","errors","index"} to this file.
    #[arg(long, value_name = "PATH")]
    errors: Option<PathBuf>,
    /// Write the failed records' original bytes, as a JSON array, to this file.
    #[arg(long, value_name = "PATH")]
    failed_out: Option<PathBuf>,
    /// Write the summary object to this file.
    #[arg(long, value_name = "PATH")]
    summary: Option<PathBuf>,
    /// Write a report of the findings here: HTML, or Markdown when PATH ends with `.md`.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Exit with 3 when any record failed.
    #[arg(long)]
    fail_on_error: bool,
    /// No progress bar, no summary line and no tables on standard error.
    #[arg(long)]
    quiet: bool,
}

/// How records are decided: shared by `run` and `split`.
#[derive(clap::Args, Debug)]
struct EngineArgs {
    /// An export of the target connection's existing users (Auth0's NDJSON, or a JSON
    /// array); repeat for several files.
    #[arg(long, value_name = "PATH")]
    existing: Vec<PathBuf>,
    /// The target connection: existing users of other connections keep only their user_id.
    #[arg(long, value_name = "NAME")]
    connection: Option<String>,
    /// Update existing users that match instead of failing the record.
    #[arg(long)]
    upsert: bool,
    /// The key that finds the existing user to update.
    #[arg(
        long,
        value_enum,
        value_name = "KEY",
        requires = "upsert",
        default_value = "email"
    )]
    match_on: MatchKey,
    /// Deep-merge the existing user's metadata into the update (needs metadata in the export).
    #[arg(long, requires = "upsert")]
    merge_metadata: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true,
          value_parser = threads)]
    threads: usize,
    /// Turn every warning into a WARNING_DENIED failure.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// The Auth0 user export (NDJSON, or a JSON array); `-` reads standard input.
    export: PathBuf,
    /// Write the JSON array here instead of standard output.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Keep only the users of this connection (the rule of `run --connection`).
    #[arg(long, value_name = "NAME")]
    connection: Option<String>,
    /// No report on standard error.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct SplitArgs {
    /// The users file; `-` reads standard input.
    file: PathBuf,
    /// Where the files and manifest.json go; created if missing, refused if it holds an
    /// earlier split.
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// The largest file to write, in bytes (Auth0's limit by default).
    #[arg(long, value_name = "N", default_value_t = split::AUTH0_MAX_BYTES,
          value_parser = clap::value_parser!(u64).range(split::MIN_MAX_BYTES..))]
    max_bytes: u64,
    #[command(flatten)]
    engine: EngineArgs,
    /// Write a report of the findings here: HTML, or Markdown when PATH ends with `.md`.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Exit with 3 when any record failed or was left out.
    #[arg(long)]
    fail_on_error: bool,
    /// No progress bar, no report and no tables on standard error.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MatchKey {
    Email,
    #[value(name = "user_id")]
    UserId,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Run(args) => run(args),
        Command::Verify(args) => verify(args),
        Command::Convert(args) => convert(args),
        Command::Split(args) => split(args),
        Command::ParseOnly(args) => parse_only(args),
        #[cfg(feature = "submit")]
        Command::Submit(args) => submit(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve(args),
        #[cfg(not(feature = "server"))]
        Command::Serve { .. } => {
            eprintln!(
                "user-import: this binary was built without the server feature; rebuild with `cargo build --release --features server` to get `serve`"
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

#[cfg(feature = "submit")]
fn submit(args: SubmitArgs) -> ExitCode {
    use crate::submit::{Credentials, Options, Policy, Secret};
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let creds = match (
        env("AUTH0_TOKEN"),
        env("AUTH0_CLIENT_ID"),
        env("AUTH0_CLIENT_SECRET"),
    ) {
        (Some(t), _, _) => Some(Credentials::Token(Secret::new(t))),
        (None, Some(id), Some(secret)) => Some(Credentials::Client {
            id,
            secret: Secret::new(secret),
        }),
        _ => None,
    };
    let domain = args.domain.as_deref().map(|d| {
        d.trim()
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned()
    });
    // clap requires one of the two.
    let base = match (&args.base_url, &domain) {
        (Some(url), _) => url.trim_end_matches('/').to_owned(),
        (None, d) => format!("https://{}", d.as_deref().unwrap_or_default()),
    };
    let audience = match &domain {
        Some(d) => format!("https://{d}/api/v2/"),
        None => format!("{base}/api/v2/"),
    };
    let options = Options {
        dir: args.dir,
        base,
        audience,
        connection_id: args.connection_id,
        concurrency: args.concurrency as usize,
        send_completion_email: args.send_completion_email,
        dry_run: args.dry_run,
        quiet: args.quiet,
        policy: Policy {
            attempts: args.retries.max(1),
            base_delay: std::time::Duration::from_millis(args.retry_base_ms),
            ..Policy::default()
        },
        poll: std::time::Duration::from_millis(args.poll_ms.max(1)),
    };
    ExitCode::from(crate::submit::submit(&options, creds))
}

#[cfg(feature = "server")]
fn serve(args: ServeArgs) -> ExitCode {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let Some(token) = env("USER_IMPORT_TOKEN") else {
        eprintln!(
            "user-import: set USER_IMPORT_TOKEN to the bearer token clients must send; the server does not start without one"
        );
        return ExitCode::from(EXIT_USAGE);
    };
    let client = match (
        env("USER_IMPORT_CLIENT_ID"),
        env("USER_IMPORT_CLIENT_SECRET"),
    ) {
        (Some(id), Some(secret)) => Some(user_import_jobs::ClientCredentials { id, secret }),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            eprintln!(
                "user-import: set both USER_IMPORT_CLIENT_ID and USER_IMPORT_CLIENT_SECRET, or neither"
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let token_ttl = match user_import_jobs::parse_duration(&args.token_ttl) {
        Ok(d) if d >= std::time::Duration::from_secs(1) => d,
        Ok(_) => {
            eprintln!("user-import: --token-ttl must be at least 1s");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => {
            eprintln!("user-import: --token-ttl: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // Set but empty counts as set: a test that means to inject nothing still says so.
    let faults = match std::env::var("USER_IMPORT_FAULTS") {
        Ok(spec) => match user_import_jobs::FaultSpec::parse(&spec) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("user-import: USER_IMPORT_FAULTS: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        Err(_) => None,
    };
    let retention = if args.retention == "forever" {
        None
    } else {
        match user_import_jobs::parse_duration(&args.retention) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                eprintln!("user-import: --retention must be longer than 0");
                return ExitCode::from(EXIT_USAGE);
            }
            Err(e) => {
                eprintln!("user-import: --retention: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    };
    let config = user_import_jobs::Config {
        db: args.db,
        listen: args.listen,
        connections: args.connection,
        token,
        client,
        token_ttl,
        rate_limit: args.rate_limit,
        faults,
        max_file_bytes: args.max_file_bytes,
        retention,
        job_timeout: std::time::Duration::from_secs(args.job_timeout_secs.max(1)),
        job_delay: std::time::Duration::from_millis(args.job_delay_ms),
        threads: args.threads,
    };
    match user_import_jobs::serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("user-import: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn create(path: &PathBuf) -> Result<BufWriter<File>, String> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// The engine's options, without the existing users (loaded later, see [`load_existing`]),
/// with a progress display on standard error when it is a terminal (shown from
/// [`progress::Display::start`] on).
fn builder(
    args: &EngineArgs,
    quiet: bool,
    file: Option<&Path>,
) -> (Builder, Option<Arc<progress::Display>>) {
    let mut builder = Builder::new()
        .threads(args.threads)
        .deny_warnings(args.deny_warnings)
        .merge_metadata(args.merge_metadata)
        .upsert(args.upsert.then_some(match args.match_on {
            MatchKey::Email => MatchOn::Email,
            MatchKey::UserId => MatchOn::UserId,
        }));
    // Someone typing records on the terminal would have the line redrawn under the cursor.
    let typed = file.is_none_or(|p| p.as_os_str() == "-") && io::stdin().is_terminal();
    let display = (!quiet && !typed && io::stderr().is_terminal())
        .then(|| Arc::new(progress::Display::new(file)));
    if let Some(d) = &display {
        builder = builder.progress(d.callback());
    }
    (builder, display)
}

/// Says that standard input is read, when it is a terminal: otherwise `run` with no FILE
/// looks like it hangs.
fn stdin_notice(file: Option<&Path>, quiet: bool) {
    if !quiet && file.is_none_or(|p| p.as_os_str() == "-") && io::stdin().is_terminal() {
        eprintln!(
            "user-import: reading users from standard input (Ctrl-D to end; give a FILE to read a file)"
        );
    }
}

/// The `--report` file, created before the job so that a bad path fails at once.
fn report_file(path: Option<&PathBuf>) -> Result<Option<ReportFile>, ExitCode> {
    match path.map(|p| ReportFile::create(p)) {
        None => Ok(None),
        Some(Ok(r)) => Ok(Some(r)),
        Some(Err(e)) => {
            eprintln!("user-import: {e}");
            Err(ExitCode::from(EXIT_FAILED))
        }
    }
}

/// The end of a completed job: the tables on standard error (unless quiet), then the
/// report file. False when the report could not be written.
fn finish_report(
    title: &str,
    summary: &Summary,
    tally: &Tally,
    quiet: bool,
    file: Option<ReportFile>,
) -> bool {
    let totals = Totals::of(summary);
    if !quiet {
        let terminal = io::stderr().is_terminal();
        let columns = terminal.then(table::terminal_columns).flatten();
        let colour = table::colour_wanted(terminal);
        report::write_stderr(&table::render(&totals, tally, colour, columns));
    }
    match file.map(|f| f.write(title, &totals, tally)) {
        Some(Err(e)) => {
            eprintln!("user-import: {e}");
            false
        }
        _ => true,
    }
}

/// The input as the report's title names it.
fn input_name(file: Option<&Path>) -> String {
    match file {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "standard input".to_owned(),
    }
}

/// Runs `engine` over `file` (`-` or none: standard input).
fn run_input(
    engine: &user_import::Engine,
    file: Option<&Path>,
    sink: &mut dyn Sink,
) -> Result<Summary, JobError> {
    match file {
        Some(p) if p.as_os_str() != "-" => engine.run_path(p, sink),
        _ => engine.run_reader(io::stdin(), sink),
    }
}

fn run(args: RunArgs) -> ExitCode {
    let started = Instant::now();
    stdin_notice(args.file.as_deref(), args.quiet);
    let (builder, display) = builder(&args.engine, args.quiet, args.file.as_deref());
    let out: Box<dyn Write> = match &args.out {
        Some(p) => match create(p) {
            Ok(w) => Box::new(w),
            Err(e) => {
                eprintln!("user-import: {e}");
                return ExitCode::from(EXIT_FAILED);
            }
        },
        None => Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
    };
    let mut sink = NdjsonSink::new(out);
    for (path, which) in [(&args.errors, 0), (&args.failed_out, 1), (&args.summary, 2)] {
        if let Some(p) = path {
            match create(p) {
                Ok(w) => {
                    let w = Box::new(w);
                    sink = match which {
                        0 => sink.with_errors(w),
                        1 => sink.with_failed(w),
                        _ => sink.with_summary(w),
                    };
                }
                Err(e) => {
                    eprintln!("user-import: {e}");
                    return ExitCode::from(EXIT_FAILED);
                }
            }
        }
    }
    let report_out = match report_file(args.report.as_ref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let engine = match engine(builder, &args.engine, args.quiet) {
        Ok(e) => e,
        Err(setup) => {
            report::discard(report_out);
            if let Setup::Load(e) = setup {
                // No record was decided; the summary file still says why.
                let mut summary = Summary::default();
                summary.status = Status::Failed(e.to_string());
                let _ = sink.finish(&summary);
            }
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if let Some(d) = &display {
        d.start();
    }
    let result = run_input(&engine, args.file.as_deref(), &mut sink);
    if let Some(d) = &display {
        d.clear();
    }
    match result {
        Ok(summary) => {
            if !args.quiet {
                summary_line(&summary, started);
            }
            let title = format!("user-import run: {}", input_name(args.file.as_deref()));
            if !finish_report(&title, &summary, sink.tally(), args.quiet, report_out) {
                return ExitCode::from(EXIT_FAILED);
            }
            if args.fail_on_error && summary.failed > 0 {
                ExitCode::from(EXIT_RECORD_FAILED)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) if e.is_broken_pipe() => {
            report::discard(report_out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            report::discard(report_out);
            eprintln!("user-import: job failed: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn convert(args: ConvertArgs) -> ExitCode {
    let started = Instant::now();
    let stdin = args.export.as_os_str() == "-";
    let mut input: Box<dyn io::Read> = if stdin {
        Box::new(io::stdin().lock())
    } else {
        // Read as a stream rather than mapped: a many-GB export then costs no more
        // resident memory than a window of it.
        match File::open(&args.export).and_then(|f| {
            if f.metadata()?.is_dir() {
                Err(io::Error::other("it is a directory"))
            } else {
                Ok(f)
            }
        }) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("user-import: cannot read {}: {e}", args.export.display());
                return ExitCode::from(EXIT_FAILED);
            }
        }
    };
    if let Some(out) = &args.out
        && !stdin
        && std::fs::canonicalize(out).ok() == std::fs::canonicalize(&args.export).ok()
    {
        // Creating the output would truncate the export before it is read.
        eprintln!("user-import: --out names the export itself");
        return ExitCode::from(EXIT_USAGE);
    }
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => match File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("user-import: cannot create {}: {e}", p.display());
                return ExitCode::from(EXIT_FAILED);
            }
        },
        None => Box::new(io::stdout().lock()),
    };
    let opts = ConvertOptions {
        connection: args.connection.clone(),
        ..ConvertOptions::default()
    };
    match user_import::convert(&mut input, &mut out, &opts) {
        Ok(report) => {
            if !args.quiet {
                eprintln!(
                    "user-import: convert: {} ({:.2} s)",
                    convert_report(&report),
                    started.elapsed().as_secs_f64()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // An unfinished array must not be mistaken for a converted export.
            drop(out);
            if let Some(p) = &args.out {
                let _ = std::fs::remove_file(p);
            }
            let name = if stdin {
                "standard input".to_owned()
            } else {
                args.export.display().to_string()
            };
            eprintln!("user-import: convert failed: {name}: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// `1000 users; dropped created_at 1000, identities 1000; ...`, tallies by field name.
fn convert_report(r: &ConvertReport) -> String {
    let list = |v: &[(String, u64)]| {
        v.iter()
            .map(|(name, n)| {
                if name.chars().any(char::is_control) {
                    format!("{name:?} {n}")
                } else {
                    format!("{name} {n}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!("{} users", r.users);
    if !r.dropped.is_empty() {
        s += &format!("; dropped {}", list(&r.dropped));
    }
    if !r.nulls.is_empty() {
        s += &format!("; dropped null {}", list(&r.nulls));
    }
    if r.unprefixed_ids > 0 {
        s += &format!(
            "; {} user_ids without the auth0| prefix kept whole (other providers; the import stores them as auth0|<id>)",
            r.unprefixed_ids
        );
    }
    if r.other_connection > 0 {
        s += &format!(
            "; {} users of other connections left out",
            r.other_connection
        );
    }
    s
}

/// Skipped records named one by one on standard error; the manifest lists them all.
const SKIPPED_SHOWN: usize = 10;

fn split(args: SplitArgs) -> ExitCode {
    let started = Instant::now();
    let mut sink = match split::SplitSink::new(&args.out_dir, args.max_bytes) {
        Ok(s) => s.merge_metadata(args.engine.merge_metadata),
        Err(e) => {
            eprintln!("user-import: {e}");
            let code = if e.kind() == ErrorKind::Config {
                EXIT_USAGE
            } else {
                EXIT_FAILED
            };
            return ExitCode::from(code);
        }
    };
    stdin_notice(Some(&args.file), args.quiet);
    let (builder, display) = builder(&args.engine, args.quiet, Some(&args.file));
    let report_out = match report_file(args.report.as_ref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let Ok(engine) = engine(builder, &args.engine, args.quiet) else {
        report::discard(report_out);
        return ExitCode::from(EXIT_FAILED);
    };
    if let Some(d) = &display {
        d.start();
    }
    let result = run_input(&engine, Some(&args.file), &mut sink);
    if let Some(d) = &display {
        d.clear();
    }
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            report::discard(report_out);
            eprintln!("user-import: job failed: {e}; no file written");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let skipped = sink.skipped();
    for s in skipped.iter().take(SKIPPED_SHOWN) {
        eprintln!(
            "user-import: split: record {} is {} bytes minified, over --max-bytes {} with the array's brackets: left out",
            s.index, s.bytes, args.max_bytes
        );
    }
    if skipped.len() > SKIPPED_SHOWN {
        eprintln!(
            "user-import: split: {} more records left out (manifest.json lists them all)",
            skipped.len() - SKIPPED_SHOWN
        );
    }
    if !args.quiet {
        let files = sink.files();
        let count = |set| files.iter().filter(|f| f.set == set).count();
        let records: u64 = files.iter().map(|f| f.records).sum();
        eprintln!(
            "user-import: split: {} records: {records} written to {} files ({} users-*.json, {} updates-*.json) in {}, {} left out, {} failed, {} warnings ({:.2} s)",
            summary.total,
            files.len(),
            count(split::Set::Insert),
            count(split::Set::Update),
            args.out_dir.display(),
            skipped.len(),
            summary.failed,
            summary.warnings,
            started.elapsed().as_secs_f64()
        );
    }
    let title = format!("user-import split: {}", input_name(Some(&args.file)));
    if !finish_report(&title, &summary, sink.tally(), args.quiet, report_out) {
        return ExitCode::from(EXIT_FAILED);
    }
    if args.fail_on_error && (summary.failed > 0 || !skipped.is_empty()) {
        ExitCode::from(EXIT_RECORD_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn parse_only(args: ParseOnlyArgs) -> ExitCode {
    let started = Instant::now();
    let engine = match Builder::new().threads(args.threads).build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("user-import: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let path = args.file.as_deref().filter(|p| p.as_os_str() != "-");
    match user_import::internals::pipeline::parse_only_path(&engine, path) {
        Ok(n) => {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "user-import: parsed {} of {} records ({secs:.2} s, {:.0} records/s)",
                n.parsed,
                n.records,
                n.records as f64 / secs.max(1e-9)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("user-import: parse-only failed: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn verify(args: VerifyArgs) -> ExitCode {
    let started = Instant::now();
    let canaries = match verify::read_passwords(&args.passwords) {
        Ok(c) if c.is_empty() => {
            eprintln!(
                "user-import: the passwords file {} holds no canary",
                args.passwords.display()
            );
            return ExitCode::from(EXIT_FAILED);
        }
        Ok(c) => c,
        Err(e) => {
            eprintln!("user-import: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let file = (args.file.as_os_str() != "-").then_some(args.file.as_path());
    let limits = verify::Limits::default();
    let verdicts = match verify::verify(file, io::stdin(), &canaries, args.threads, &limits) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("user-import: verify failed: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let mut buf = Vec::new();
    for (c, v) in canaries.iter().zip(&verdicts) {
        verify::write_verdict(&mut buf, c, v);
    }
    verify::write_summary(&mut buf, &verdicts);
    let written = match &args.out {
        Some(p) => {
            std::fs::write(p, &buf).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => io::stdout()
            .lock()
            .write_all(&buf)
            .map_err(|e| format!("cannot write the verdicts: {e}")),
    };
    if let Err(e) = written {
        eprintln!("user-import: {e}");
        return ExitCode::from(EXIT_FAILED);
    }
    let tally = verify::tally(&verdicts);
    if !args.quiet {
        let parts: Vec<String> = tally
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.name()))
            .collect();
        eprintln!(
            "user-import: verified {} canaries: {} ({:.2} s)",
            verdicts.len(),
            parts.join(", "),
            started.elapsed().as_secs_f64()
        );
    }
    if verdicts
        .iter()
        .all(|v| v.status == verify::CanaryStatus::Match)
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_RECORD_FAILED)
    }
}

/// Loads the existing users, saying how long it took and whether keys were held twice.
/// Why an engine could not be set up (the message is already on standard error).
enum Setup {
    /// The existing users could not be loaded: the job failed.
    Load(JobError),
    Build,
}

/// Loads the existing users, if any, into `builder` and builds the engine.
fn engine(mut builder: Builder, args: &EngineArgs, quiet: bool) -> Result<Engine, Setup> {
    if !args.existing.is_empty() {
        match load_existing(args, quiet) {
            Ok(snapshot) => builder = builder.existing(Arc::new(snapshot)),
            Err(e) => {
                eprintln!("user-import: job failed: {e}");
                return Err(Setup::Load(e));
            }
        }
    }
    builder.build().map_err(|e| {
        eprintln!("user-import: {e}");
        Setup::Build
    })
}

fn load_existing(args: &EngineArgs, quiet: bool) -> Result<Snapshot, JobError> {
    let started = Instant::now();
    let sources = args
        .existing
        .iter()
        .map(|p| ExportSource::Path(p.clone()))
        .collect();
    let opts = SnapshotOptions {
        connection: args.connection.clone(),
        threads: args.threads,
    };
    let snapshot = Snapshot::load(sources, &opts)?;
    if snapshot.held_twice() > 0 {
        eprintln!(
            "user-import: {} keys of existing users are held by more than one user in the same scope; the first in the export's order is the one matched",
            snapshot.held_twice()
        );
    }
    if !quiet {
        eprintln!(
            "user-import: {} existing users loaded in {:.2} s ({} keys, index {:.1} MB)",
            snapshot.len(),
            started.elapsed().as_secs_f64(),
            snapshot.keys(),
            snapshot.index_bytes() as f64 / 1e6
        );
    }
    Ok(snapshot)
}

fn summary_line(s: &Summary, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let status = match &s.status {
        Status::Completed => "completed",
        Status::Failed(_) => "failed",
        _ => "stopped",
    };
    eprintln!(
        "user-import: {status}: {} records: {} inserted, {} updated, {} failed, {} warnings ({:.2} s, {:.0} records/s)",
        s.total,
        s.inserted,
        s.updated,
        s.failed,
        s.warnings,
        secs,
        s.total as f64 / secs.max(1e-9)
    );
}
