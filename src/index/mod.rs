//! The sharded identity index: which keys have been taken, and by whom.
//!
//! Keys are stored as 128-bit fingerprints (two independently, randomly seeded 64-bit
//! hashes), never as strings: 24 bytes an entry. With a fresh random seed per run, an
//! accidental collision among 10^9 keys has a probability near 10^-21, and crafted input
//! cannot aim for one. Shards are picked by the fingerprint's top bits so that each can be
//! filled by its own thread in input order (which keeps "first one wins" deterministic).

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::record::KeyKind;

/// A key's fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub u64, pub u64);

/// Seeded hashers for fingerprints.
#[derive(Clone, Debug)]
pub struct Fingerprinter {
    a: foldhash::quality::RandomState,
    b: foldhash::quality::RandomState,
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Self::new()
    }
}

impl Fingerprinter {
    pub fn new() -> Self {
        Fingerprinter {
            a: foldhash::quality::RandomState::default(),
            b: foldhash::quality::RandomState::default(),
        }
    }

    pub fn of(&self, kind: KeyKind, key: &[u8]) -> Fingerprint {
        let h = |s: &foldhash::quality::RandomState| s.hash_one((kind as u8, key));
        Fingerprint(h(&self.a), h(&self.b))
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    fp: Fingerprint,
    owner: u64,
}

/// A set of fingerprints, each with the index of the record that took it first.
#[derive(Debug)]
pub struct KeyIndex {
    shards: Vec<HashTable<Entry>>,
    shift: u32,
}

impl KeyIndex {
    /// An index with `2^bits` shards.
    pub fn new(bits: u32) -> Self {
        let n = 1usize << bits;
        KeyIndex {
            shards: (0..n).map(|_| HashTable::new()).collect(),
            shift: 64 - bits.max(1),
        }
    }

    fn shard(&self, fp: Fingerprint) -> usize {
        if self.shards.len() == 1 {
            0
        } else {
            (fp.0 >> self.shift) as usize
        }
    }

    /// Takes `fp` for `owner` unless it is taken; returns the earlier owner if it was.
    pub fn take(&mut self, fp: Fingerprint, owner: u64) -> Option<u64> {
        let s = self.shard(fp);
        let table = &mut self.shards[s];
        match table.find(fp.1, |e| e.fp == fp) {
            Some(e) => Some(e.owner),
            None => {
                table.insert_unique(fp.1, Entry { fp, owner }, |e| e.fp.1);
                None
            }
        }
    }

    /// The owner of `fp`, if any.
    pub fn get(&self, fp: Fingerprint) -> Option<u64> {
        self.shards[self.shard(fp)]
            .find(fp.1, |e| e.fp == fp)
            .map(|e| e.owner)
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(HashTable::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_owner_wins() {
        let f = Fingerprinter::new();
        let mut idx = KeyIndex::new(4);
        assert_eq!(idx.take(f.of(KeyKind::Email, b"a@b.co"), 1), None);
        assert_eq!(idx.take(f.of(KeyKind::Email, b"a@b.co"), 7), Some(1));
        // Kinds are separate namespaces.
        assert_eq!(idx.take(f.of(KeyKind::Username, b"a@b.co"), 8), None);
        assert_eq!(idx.get(f.of(KeyKind::Email, b"a@b.co")), Some(1));
        assert_eq!(idx.len(), 2);
    }
}
