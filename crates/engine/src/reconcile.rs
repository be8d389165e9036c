//! Reconciliation (SPEC 5): the decisions that depend on other records, made strictly in
//! input order so that they equal a one-record-at-a-time reference whatever the threads.
//!
//! In-file duplicates (5.2): among records with no schema error, a key already used by an
//! earlier such record fails the later one with `DUPLICATED_USER` at that key, one error per
//! repeated key. Every schema-valid record takes its keys, whether or not it fails.

use crate::emit::json::write_masked;
use crate::finding::Code;
use crate::finding::Findings;
use crate::index::{Fingerprinter, KeyIndex};
use crate::keys::KeyKind;
use crate::record::{Chunk, write_findings};
use crate::sink::Op;

/// The reconciliation state carried across batches.
#[derive(Debug)]
pub struct Reconciler {
    fingerprints: Fingerprinter,
    in_file: KeyIndex,
    findings: Findings,
}

impl Default for Reconciler {
    fn default() -> Self {
        Self::new()
    }
}

impl Reconciler {
    pub fn new() -> Self {
        Reconciler {
            fingerprints: Fingerprinter::new(),
            in_file: KeyIndex::new(),
            findings: Findings::new(),
        }
    }

    /// Decides the records of `chunk` in order; `data` holds the batch's raw bytes.
    pub fn chunk(&mut self, data: &[u8], chunk: &mut Chunk) {
        for r in 0..chunk.recs.len() {
            if !chunk.recs[r].schema_ok {
                continue;
            }
            let mut repeated = [false; 4];
            for kind in KeyKind::ALL {
                if let Some(range) = chunk.recs[r].keys[kind as usize].clone() {
                    let fp = self.fingerprints.of(kind, chunk.key(&range));
                    repeated[kind as usize] = self.in_file.take(fp);
                }
            }
            if repeated.iter().any(|&d| d) {
                self.duplicate(data, chunk, r, repeated);
            }
        }
    }

    /// Re-renders a record as an in-file duplicate: only `DUPLICATED_USER` errors, one per
    /// repeated key in the order email, user_id, username, phone_number.
    #[cold]
    fn duplicate(&mut self, data: &[u8], chunk: &mut Chunk, r: usize, repeated: [bool; 4]) {
        self.findings.clear();
        for kind in KeyKind::ALL {
            if repeated[kind as usize] {
                let field = kind.field();
                let msg = format!("A user with this {field} was already provided.");
                self.findings
                    .error_verbatim(Code::DuplicatedUser, field, &msg);
            }
        }
        let raw = &data[chunk.recs[r].raw.clone()];
        let start = chunk.buf.len() as u32;
        write_masked(&mut chunk.buf, raw);
        let user = start..chunk.buf.len() as u32;
        let start = chunk.buf.len() as u32;
        write_findings(&mut chunk.buf, self.findings.errors());
        let errors = start..chunk.buf.len() as u32;
        let list = chunk.push_entries(self.findings.errors());
        let rec = &mut chunk.recs[r];
        rec.op = Op::Error;
        rec.matched = None;
        rec.user = user;
        rec.errors = errors;
        rec.warnings = 0..0;
        rec.warning_list = 0..0;
        rec.error_list = list;
    }
}
