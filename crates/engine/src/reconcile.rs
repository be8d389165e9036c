//! Reconciliation (SPEC 5): the decisions that depend on other records, made strictly in
//! input order so that they equal a one-record-at-a-time reference whatever the threads.
//!
//! In-file duplicates (5.2): among records with no schema error, a key already used by an
//! earlier such record fails the later one with `DUPLICATED_USER` at that key, one error per
//! repeated key. Every schema-valid record takes its keys, whether or not it fails.

use crate::finding::Findings;
use crate::index::{Fingerprinter, KeyIndex, NO_OWNER};
use crate::keys::KeyKind;
use crate::record::{Chunk, write_error_line};

/// Fingerprints the keys of `chunk`'s schema-valid records into `chunk.fingerprints`, in
/// record and [`KeyKind`] order. Runs on the workers: hashing needs nothing from earlier
/// records, so the serial reconciler is left with the lookups alone.
pub fn fingerprint(fingerprints: &Fingerprinter, chunk: &mut Chunk) {
    chunk.fingerprints.clear();
    for (r, rec) in chunk.recs.iter().enumerate() {
        if !rec.schema_ok {
            continue;
        }
        for kind in KeyKind::ALL {
            if let Some(range) = &rec.keys[kind as usize] {
                let fp = fingerprints.of(kind, chunk.key(range));
                chunk.fingerprints.push((r as u32, kind, fp));
            }
        }
    }
}

/// The reconciliation state carried across batches.
#[derive(Debug)]
pub struct Reconciler {
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
            in_file: KeyIndex::new(),
            findings: Findings::new(),
        }
    }

    /// Decides the records of `chunk` in order; `data` holds the batch's raw bytes. The
    /// chunk's keys were fingerprinted by [`fingerprint`], with the same `Fingerprinter`
    /// for every chunk of the job.
    pub fn chunk(&mut self, data: &[u8], chunk: &mut Chunk) {
        // Every slot is prefetched before the first key is taken: each take is a cache miss
        // once the index outgrows the cache (it was 42% of the writer thread's time), and
        // this way the misses overlap. The takes themselves stay in input order.
        for &(_, _, fp) in &chunk.fingerprints {
            self.in_file.prefetch(fp);
        }
        // Taken out for the loop, which re-renders duplicates into the same chunk.
        let fingerprints = std::mem::take(&mut chunk.fingerprints);
        for record in fingerprints.chunk_by(|a, b| a.0 == b.0) {
            let r = record[0].0 as usize;
            let owner = u32::try_from(chunk.recs[r].index).unwrap_or(NO_OWNER);
            let mut repeated = [None; 4];
            for &(_, kind, fp) in record {
                repeated[kind as usize] = self.in_file.take(fp, owner);
            }
            if repeated.iter().any(Option::is_some) {
                self.duplicate(data, chunk, r, repeated);
            }
        }
        chunk.fingerprints = fingerprints;
    }

    /// Re-renders a record as an in-file duplicate: only `DUPLICATED_USER` errors, one per
    /// repeated key in the order email, user_id, username, phone_number, each naming the
    /// earlier record that took the key.
    #[cold]
    fn duplicate(&mut self, data: &[u8], chunk: &mut Chunk, r: usize, repeated: [Option<u32>; 4]) {
        self.findings.clear();
        for kind in KeyKind::ALL {
            if let Some(owner) = repeated[kind as usize] {
                let owner = (owner != NO_OWNER).then_some(u64::from(owner));
                self.findings.error_duplicate(kind, owner);
            }
        }
        let raw = &data[chunk.recs[r].raw.clone()];
        // The record's line is written again at the end of the chunk's buffer; the one
        // the worker wrote stays there unused.
        let mut rec = chunk.recs[r].clone();
        write_error_line(raw, &self.findings, &mut rec, chunk);
        chunk.recs[r] = rec;
    }
}
