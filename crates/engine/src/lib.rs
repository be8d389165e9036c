//! user-import decides, for every record of an Auth0 bulk user-import file, what Auth0 would
//! do with it: insert it, update an existing user, or reject it with Auth0's error codes and
//! paths, plus warnings for what Auth0 accepts but will break later.
//!
//! Before a job, [`snapshot`] loads the existing users (exports, memory-mapped and indexed).
//! Then bytes move through these stages, in this order:
//!
//! 1. [`input`]: a regular file is memory-mapped; standard input or a pipe is streamed.
//! 2. [`frame`]: the bytes are cut into records (a JSON array or NDJSON), with positions.
//! 3. [`parse`]: each record becomes a tape (simd-json, with an exact fallback) and, in the
//!    same step, a table of its repeated keys ([`doc::Shadows`]: JSON.parse's rule, one place).
//! 4. [`validate`] and [`hash`]: schema, metadata, MFA and password-hash rules.
//! 5. [`record`]: identity keys ([`keys`]), the decision against existing users ([`existing`]:
//!    conflicts, updates) and the record's rendered output, in parallel chunks.
//! 6. [`reconcile`] over the [`index`]: duplicates inside the file, strictly in file order.
//! 7. [`emit`]: one NDJSON line per record, in input order, through a [`Sink`].
//!
//! [`pipeline`] runs stages 2 to 7 on a reader thread, a rayon pool and the caller's thread.
//! [`verify`] (the `verify` command) finds canary users with one such run and computes
//! their password hashes.
//!
//! Into and out of Auth0: [`convert`] turns a user export into an import file (it reuses
//! the [`frame`] and [`parse`] stages, not the rules); [`split`] is a [`Sink`] that writes
//! the records a run passes into files Auth0 accepts as they are, with a manifest.
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

// Tests may unwrap: a panic there is a failed test, not a crash in front of a user.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod convert;
pub mod doc;
pub mod emit;
pub mod error;
pub mod existing;
pub mod finding;
pub mod frame;
pub mod hash;
pub mod index;
pub mod input;
pub mod keys;
pub mod parse;
pub mod pipeline;
pub mod raw;
pub mod reconcile;
pub mod record;
pub mod sink;
pub mod snapshot;
pub mod validate;
#[cfg(feature = "verify")]
pub mod verify;

pub use config::{Builder, Engine, ProgressFn};
pub use emit::{NdjsonSink, write_summary};
pub use error::{ErrorKind, JobError};
pub use finding::{Code, FindingRef, Findings};
pub use frame::{Format, Position};
pub use keys::{KeyKind, MatchOn};
pub use sink::{Op, Record, Sink, Status, Summary};
pub use snapshot::{ExportSource, Snapshot, SnapshotOptions};
