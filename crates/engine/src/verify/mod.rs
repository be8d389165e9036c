//! `verify` (SPEC 3.3, 8): proves, for a few canary users whose passwords are known, that
//! the hashes in the users file accept them, by really computing each algorithm.
//!
//! - `canary`: the passwords file ([`read_passwords`]), and finding each canary's record in
//!   one engine pass, by the identity keys the engine formed ([`crate::Keys`]);
//! - `check`: one canary's [`Verdict`], and the mistake search when it does not match;
//! - [`compute`]: the algorithms themselves, with cost caps ([`Limits`]) checked before
//!   computing (the `user-import-hash` crate's, re-exported).
//!
//! Canaries are verified in parallel. Output never holds a password, a hash, a salt or a
//! key: only names of settings, codes and positions.

mod canary;
mod check;
#[cfg(test)]
mod compute_tests;

pub use user_import_hash::compute;

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use crate::config::Builder;
use crate::emit::json::write_str;
use crate::error::JobError;

pub use canary::{Canary, CanaryKey, Finder, Found, parse_passwords, read_passwords};
pub use check::{CanaryStatus, Setting, Verdict};
pub use compute::Limits;

/// Verifies every canary against the users file at `users` (`None`: `input`, a stream).
/// Verdicts come in the canaries' order.
pub fn verify(
    users: Option<&Path>,
    input: impl Read + Send,
    canaries: &[Canary],
    threads: usize,
    limits: &Limits,
) -> Result<Vec<Verdict>, JobError> {
    let engine = Builder::new().threads(threads).build()?;
    let mut finder = canary::Finder::new(canaries);
    match users {
        Some(p) => engine.run_path(p, &mut finder)?,
        None => engine.run_reader(input, &mut finder)?,
    };
    let found = finder.into_found();
    let pool = crate::config::thread_pool(threads, "user-import-verify")?;
    Ok(pool.install(|| {
        canaries
            .par_iter()
            .zip(found.par_iter())
            .map(|(c, f)| match f {
                None => Verdict::not_found(),
                Some(f) => {
                    let mut v = check::check(&f.raw, &c.password, limits);
                    v.index = Some(f.index);
                    v
                }
            })
            .collect()
    }))
}

/// One output line: `{"line":N,"email"|"user_id":...,"status":...,...}`.
pub fn write_verdict(out: &mut Vec<u8>, c: &Canary, v: &Verdict) {
    out.extend_from_slice(b"{\"line\":");
    out.extend_from_slice(itoa::Buffer::new().format(c.line).as_bytes());
    match &c.key {
        CanaryKey::Email(e) => {
            out.extend_from_slice(b",\"email\":");
            write_str(out, e);
        }
        CanaryKey::UserId(id) => {
            out.extend_from_slice(b",\"user_id\":");
            write_str(out, id);
        }
    }
    out.extend_from_slice(b",\"status\":\"");
    out.extend_from_slice(v.status.name().as_bytes());
    out.push(b'"');
    if let Some(i) = v.index {
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    }
    for (key, val) in [("field", v.field), ("algorithm", v.algorithm)] {
        if let Some(val) = val {
            out.push(b',');
            write_str(out, key);
            out.push(b':');
            write_str(out, val);
        }
    }
    if !v.inputs.is_empty() {
        out.extend_from_slice(b",\"inputs\":");
        settings(out, &v.inputs);
    }
    if v.status == CanaryStatus::Mismatch {
        out.extend_from_slice(b",\"would_match\":");
        match &v.would_match {
            Some(s) => settings(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    if !v.codes.is_empty() {
        out.extend_from_slice(if v.status == CanaryStatus::InvalidHash {
            b",\"codes\":["
        } else {
            b",\"record_errors\":["
        });
        for (i, code) in v.codes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, code.as_str());
        }
        out.push(b']');
    }
    if let Some(r) = &v.reason {
        out.extend_from_slice(b",\"reason\":");
        write_str(out, r);
    }
    out.extend_from_slice(b"}\n");
}

fn settings(out: &mut Vec<u8>, s: &[(&str, &str)]) {
    out.push(b'{');
    for (i, (k, v)) in s.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_str(out, v);
    }
    out.push(b'}');
}

/// Verdicts per status, in [`CanaryStatus::ALL`] order.
pub fn tally(verdicts: &[Verdict]) -> Vec<(CanaryStatus, usize)> {
    CanaryStatus::ALL
        .iter()
        .map(|&s| (s, verdicts.iter().filter(|v| v.status == s).count()))
        .collect()
}

/// The last line: `{"summary":{"canaries":N,"match":N,...}}`.
pub fn write_summary(out: &mut Vec<u8>, verdicts: &[Verdict]) {
    out.extend_from_slice(b"{\"summary\":{\"canaries\":");
    out.extend_from_slice(itoa::Buffer::new().format(verdicts.len()).as_bytes());
    for (s, n) in tally(verdicts) {
        out.push(b',');
        write_str(out, s.name());
        out.push(b':');
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
    out.extend_from_slice(b"}}\n");
}
