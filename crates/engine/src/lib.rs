//! user-import's engine decides, for every record of an Auth0 bulk user-import file, what
//! Auth0 would do with it: insert it, update an existing user, or reject it with Auth0's
//! error codes and paths, plus warnings for what Auth0 accepts but will break later.
//!
//! # Embedding it
//!
//! Build an [`Engine`] with a [`Builder`], hand it the input ([`Engine::run_path`],
//! [`Engine::run_reader`], [`Engine::run_bytes`]) and a [`Sink`]; the sink receives one
//! [`Record`] per input record, in input order, then the job's [`Summary`].
//!
//! ```
//! use user_import::{Builder, NdjsonSink};
//!
//! let engine = Builder::new().threads(2).build().unwrap();
//! let input = br#"[{"email":"Ann@Example.com","user_id":"42"},{"email":"bad"}]"#;
//! let mut sink = NdjsonSink::new(Vec::new());
//! let summary = engine.run_bytes(input, &mut sink).unwrap();
//! assert_eq!((summary.total, summary.inserted, summary.failed), (2, 1, 1));
//! let out = String::from_utf8(sink.into_inner()).unwrap();
//! assert!(out.starts_with(r#"{"op":"insert","index":0,"user":{"email":"ann@example.com","user_id":"auth0|42"}"#));
//! ```
//!
//! A [`Record`] carries the decision as values beside the bytes of the output line: the
//! [`Op`], the index, the errors and warnings ([`Findings`]: [`Code`], path, message), the
//! identity [`Keys`] as the engine compares them, and for an update the [`Matched`] user.
//! Every [`Sink`] method has a default; a sink ends a job early with [`Flow::Stop`], and
//! fails it with a [`SinkError`]. The repository's `crates/engine/examples/` holds three
//! programs: counting codes over a file, planning an upsert against an export, and a sink
//! that writes failures to CSV.
//!
//! # The pipeline
//!
//! Before a job, a [`Snapshot`] loads the existing users (exports, memory-mapped and
//! indexed). Then bytes move through these stages, in this order:
//!
//! 1. input: a regular file is memory-mapped; standard input or a pipe is streamed;
//! 2. framing: the bytes are cut into records (a JSON array or NDJSON, see [`Format`]), with
//!    their [`Position`]s;
//! 3. parse: each record becomes a tape (simd-json, with an exact fallback) and, in the same
//!    step, a table of its repeated keys (JSON.parse's "first position, last value");
//! 4. rules: schema, metadata, MFA and password-hash formats (SPEC 2 and 3);
//! 5. the record stage: identity keys ([`KeyKind`]) and their fingerprints, the decision
//!    against existing users (conflicts, updates on [`MatchOn`]) and the record's finished
//!    output line ([`Record::line`]), in parallel;
//! 6. reconcile: duplicates inside the file, strictly in file order, over a sharded index of
//!    92-bit fingerprints (the rare duplicate's line is rendered again);
//! 7. the [`Sink`]: one call per record, in input order ([`NdjsonSink`] writes the NDJSON
//!    operations stream).
//!
//! Stages 2 to 7 run on a reader thread, a rayon pool and the caller's thread; the output is
//! the same for any number of threads. A job that cannot go on (a malformed array, an
//! unreadable file) ends with a [`JobError`] that names its position and never quotes input.
//!
//! Beside the engine: [`convert`](fn@convert) turns a user export into an import file, the [`json`]
//! helpers serve sinks that rewrite records, and (feature `verify`) `verify` proves canary
//! passwords against their hashes by computing them.

#![warn(missing_docs)]
// Tests may unwrap: a panic there is a failed test, not a crash in front of a user.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod config;
mod convert;
mod doc;
mod emit;
mod error;
mod existing;
mod finding;
mod frame;
mod hash;
mod index;
mod input;
pub mod json;
mod keys;
mod parse;
mod pipeline;
mod raw;
mod reconcile;
mod record;
mod sink;
mod snapshot;
mod tally;
mod validate;
#[cfg(feature = "verify")]
pub mod verify;

// Before a job: the existing users.
pub use snapshot::{ExportSource, Snapshot, SnapshotOptions};
// The engine, its options, and where a job failed.
pub use config::{Builder, Engine, Progress, ProgressFn};
pub use error::{ErrorKind, JobError};
pub use frame::{Format, Position};
// What it decides: codes, identity keys, a record's decision.
pub use finding::{Cause, Code, Finding};
pub use keys::{KeyKind, MatchOn};
pub use sink::{
    Findings, Flow, Keys, Matched, Op, Record, Sink, SinkError, SinkResult, Status, Summary,
};
pub use tally::{Breakdown, CodeRow, EXAMPLE_BYTES, MAX_PATHS, PathRow, Tally};
// The command line's sink and summary.
pub use emit::{NdjsonSink, WriteDebug, write_summary};
// Into Auth0: an export made an import file.
pub use convert::{ConvertOptions, ConvertReport, convert};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// What benches, tests, fuzzing and the binary's hidden `parse-only` command reach into. Not
/// part of the API: it changes without notice.
#[doc(hidden)]
pub mod internals {
    /// The tape view with JSON.parse's repeated-key rule.
    pub mod doc {
        pub use crate::doc::{Kind, Value};
    }
    /// Findings as the rules collect them.
    pub mod finding {
        pub use crate::finding::Findings;
    }
    /// Framing records out of a JSON array or NDJSON.
    pub mod frame {
        pub use crate::frame::{Format, Framer, Span, check};
    }
    /// The password-hash format rules.
    pub mod hash {
        pub use crate::hash::check_custom_password_hash;
        /// The `custom_password_hash` object's rules.
        pub mod rules {
            pub use crate::hash::rules::parse_custom_password_hash;
        }
    }
    /// The in-file duplicate index.
    pub mod index {
        pub use crate::index::{Fingerprinter, KeyIndex};
    }
    /// The JSON writers.
    pub mod json {
        pub use crate::emit::json::{write_masked, write_minified};
    }
    /// Identity keys.
    pub mod keys {
        pub use crate::keys::lower_into;
    }
    /// The parse stage.
    pub mod parse {
        pub use crate::parse::Parser;
    }
    /// The parse-only pass, the floor benchmarks compare against.
    pub mod pipeline {
        pub use crate::pipeline::{ParseOnly, parse_only_path};
    }
    /// The per-record stage.
    pub mod record {
        pub use crate::record::{Input, KeyKind, RecordOptions, Worker, lower_into};
    }
    /// The schema rules.
    pub mod validate {
        pub use crate::validate::{PROPERTIES, validate};
    }
}
