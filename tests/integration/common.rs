//! Helpers shared by the integration tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use std::sync::Arc;

use user_import::{Builder, MatchOn, NdjsonSink, Snapshot, Summary};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The ways to run one input; every one must give the same bytes.
#[derive(Clone, Copy, Debug)]
pub enum Path_ {
    Bytes {
        threads: usize,
        batch: usize,
        chunk: usize,
        /// A mapped array is checked and framed in pieces of four times this.
        read: usize,
    },
    Stream {
        threads: usize,
        batch: usize,
        chunk: usize,
        read: usize,
    },
}

pub const PATHS: [Path_; 4] = [
    Path_::Bytes {
        threads: 1,
        batch: 1,
        chunk: 1,
        read: 1 << 20,
    },
    // Pieces of 256 bytes, smaller than most records: every guess at a piece boundary is
    // checked, and records are framed from the checkpoints.
    Path_::Bytes {
        threads: 2,
        batch: 16_384,
        chunk: 256,
        read: 64,
    },
    Path_::Stream {
        threads: 2,
        batch: 3,
        chunk: 2,
        read: 7,
    },
    Path_::Stream {
        threads: 1,
        batch: 16_384,
        chunk: 256,
        read: 1 << 20,
    },
];

/// What a job is asked beyond its input.
#[derive(Clone, Debug, Default)]
pub struct Opts {
    pub deny_warnings: bool,
    pub existing: Option<Arc<Snapshot>>,
    pub upsert: Option<MatchOn>,
    pub merge_metadata: bool,
}

/// Output of a library run: the operations stream, and the summary or the error text.
pub fn run_lib(
    input: &[u8],
    path: Path_,
    deny_warnings: bool,
) -> (Vec<u8>, Result<Summary, String>) {
    let opts = Opts {
        deny_warnings,
        ..Opts::default()
    };
    run_lib_with(input, path, &opts)
}

/// [`run_lib`] with every option.
pub fn run_lib_with(input: &[u8], path: Path_, opts: &Opts) -> (Vec<u8>, Result<Summary, String>) {
    let (threads, batch, chunk, read) = match path {
        Path_::Bytes {
            threads,
            batch,
            chunk,
            read,
        }
        | Path_::Stream {
            threads,
            batch,
            chunk,
            read,
        } => (threads, batch, chunk, read),
    };
    let mut builder = Builder::new()
        .threads(threads)
        .batch_records(batch)
        .chunk_records(chunk)
        .read_bytes(read)
        .deny_warnings(opts.deny_warnings)
        .upsert(opts.upsert)
        .merge_metadata(opts.merge_metadata);
    if let Some(s) = &opts.existing {
        builder = builder.existing(Arc::clone(s));
    }
    let engine = builder.build().expect("engine");
    let mut sink = NdjsonSink::new(Vec::new());
    let result = match path {
        Path_::Bytes { .. } => engine.run_bytes(input, &mut sink),
        Path_::Stream { .. } => engine.run_reader(input, &mut sink),
    };
    (sink.into_inner(), result.map_err(|e| e.to_string()))
}

/// Runs `input` through every path, asserts they agree, and returns the output.
pub fn run_all(input: &[u8], deny_warnings: bool) -> (Vec<u8>, Result<Summary, String>) {
    let opts = Opts {
        deny_warnings,
        ..Opts::default()
    };
    run_all_with(input, &opts)
}

/// [`run_all`] with every option.
pub fn run_all_with(input: &[u8], opts: &Opts) -> (Vec<u8>, Result<Summary, String>) {
    let first = run_lib_with(input, PATHS[0], opts);
    for p in &PATHS[1..] {
        let other = run_lib_with(input, *p, opts);
        match (&first.1, &other.1) {
            (Ok(_), Ok(_)) => assert_eq!(
                String::from_utf8_lossy(&first.0),
                String::from_utf8_lossy(&other.0),
                "output differs between {:?} and {p:?}",
                PATHS[0]
            ),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{:?} gave {:?} but {p:?} gave {:?}",
                PATHS[0], first.1, other.1
            ),
        }
        assert_eq!(
            first.1.as_ref().ok(),
            other.1.as_ref().ok(),
            "summary differs for {p:?}"
        );
    }
    first
}

pub fn lines(out: &[u8]) -> Vec<Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("bad output line {e}: {}", String::from_utf8_lossy(l)))
        })
        .collect()
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_user-import"))
}

/// Starts the binary with `args` and every standard stream piped.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn user-import")
}

/// Runs the binary with `args`, feeding `stdin`.
pub fn run_bin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(args);
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // The binary may stop reading early (a failed job); that is not an error here.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = feeder.join();
    out
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("user-import-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write file");
}

/// Standard base64 decoding for test data.
pub fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 in test data"),
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::new();
    for quad in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..quad.len()]);
    }
    out
}

/// Runs the binary with `args`, its standard input written by `feed`, and samples its peak
/// resident memory (`VmHWM`, a high-water mark, so polling cannot miss the peak by much).
/// Returns the output and the peak in bytes.
pub fn run_bin_peak(
    args: &[&str],
    feed: impl FnOnce(std::process::ChildStdin) + Send + 'static,
) -> (Output, u64) {
    let mut child = spawn(args);
    let input = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || feed(input));
    let status = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut v);
        v
    });
    let mut peak = 0u64;
    while child.try_wait().expect("wait").is_none() {
        if let Some(kb) = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(kb * 1024);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut out = child.wait_with_output().expect("wait");
    out.stdout = reader.join().expect("reader");
    let _ = feeder.join();
    (out, peak)
}
