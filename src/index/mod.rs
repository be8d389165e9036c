//! The sharded identity indexes: which keys have been taken, and by whom.
//!
//! Keys are never stored as strings, only as fingerprints (two independently, randomly
//! seeded 64-bit hashes, a fresh seed per run so crafted input cannot aim for collisions).
//!
//! - [`KeyIndex`] (keys taken inside the users file, SPEC 5.2) keeps the whole 128-bit
//!   fingerprint, 24 bytes an entry: the bytes of earlier records may be gone (a stream), so
//!   a hit cannot be confirmed; an accidental collision among 10^9 keys has a probability
//!   near 10^-21.
//! - [`HolderIndex`] (keys held by existing users) keeps 32 bits of fingerprint and a user
//!   number, 8 bytes an entry, because it must hold millions of users in little memory. A
//!   hit is only a candidate: the caller confirms it against the user's real key, which is
//!   still in the memory-mapped export, so a collision can never invent a conflict.
//!
//! Shards are filled each by one thread in input order, which keeps "the first one wins"
//! deterministic.

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

    /// One seeded 64-bit hash of a key, for the [`HolderIndex`].
    pub fn short(&self, kind: KeyKind, key: &[u8]) -> u64 {
        self.a.hash_one((kind as u8, key))
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

/// One key held by an existing user: 32 bits of its hash and the user's number.
#[derive(Clone, Copy, Debug)]
struct Held {
    tag: u32,
    user: u32,
}

impl Held {
    /// The table's own hash, made from the tag alone so the table can grow without the
    /// keys (it never sees them). The tag is the hash's low half; shards take its top bits.
    fn bucket_hash(tag: u32) -> u64 {
        // splitmix64's finalizer: every output bit depends on every tag bit.
        let mut z = u64::from(tag).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Keys held by existing users, as candidates to confirm. See the module docs.
#[derive(Debug)]
pub struct HolderIndex {
    shards: Vec<HashTable<Held>>,
}

/// Buckets per shard when the index is sized from an estimate: 2^16 buckets of 8 bytes
/// plus a control byte each, about 576 KiB a shard, small enough to grow alone.
const SHARD_BUCKETS: usize = 1 << 16;
/// How full a sized shard is planned to be, of the table's capacity (7/8 of its buckets).
/// The headroom absorbs the random spread of keys over shards (a few hundred keys, under
/// 1%) and an estimate a little low, without a shard doubling.
const SHARD_FILL: f64 = 0.85;

impl HolderIndex {
    /// An index sized for about `keys` keys.
    pub fn with_capacity(keys: usize) -> Self {
        let cap = SHARD_BUCKETS / 8 * 7;
        let per_shard = (cap as f64 * SHARD_FILL) as usize;
        let n = keys.div_ceil(per_shard).max(1);
        let each = if n == 1 { keys.max(16) } else { cap };
        HolderIndex {
            shards: (0..n).map(|_| HashTable::with_capacity(each)).collect(),
        }
    }

    /// The shard of a key hash: its top bits, by multiplication so any count works.
    pub fn shard_of(&self, hash: u64) -> usize {
        Self::shard_for(hash, self.shards.len())
    }

    /// The shard of a key hash among `shards`.
    pub fn shard_for(hash: u64, shards: usize) -> usize {
        ((u128::from(hash) * shards as u128) >> 64) as usize
    }

    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The shards, to be filled in parallel (each by one thread, in snapshot order).
    pub fn shards_mut(&mut self) -> impl Iterator<Item = ShardMut<'_>> {
        self.shards.iter_mut().map(|t| ShardMut { table: t })
    }

    /// Users holding a key that may hash to `hash`, in no particular order.
    pub fn candidates(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        candidates(&self.shards[self.shard_of(hash)], hash)
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(HashTable::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated by the tables.
    pub fn allocated_bytes(&self) -> usize {
        self.shards.iter().map(HashTable::allocation_size).sum()
    }
}

fn candidates(table: &HashTable<Held>, hash: u64) -> impl Iterator<Item = u32> + '_ {
    let tag = hash as u32;
    table
        .iter_hash(Held::bucket_hash(tag))
        .filter(move |h| h.tag == tag)
        .map(|h| h.user)
}

/// One shard of a [`HolderIndex`], being filled.
#[derive(Debug)]
pub struct ShardMut<'a> {
    table: &'a mut HashTable<Held>,
}

impl ShardMut<'_> {
    /// Users already holding a key that may hash to `hash`.
    pub fn candidates(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        candidates(self.table, hash)
    }

    /// Adds a key of `user`; the caller has checked that nobody holds it yet.
    pub fn insert(&mut self, hash: u64, user: u32) {
        let tag = hash as u32;
        self.table
            .insert_unique(Held::bucket_hash(tag), Held { tag, user }, |h| {
                Held::bucket_hash(h.tag)
            });
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

    #[test]
    fn holder_candidates_survive_growth() {
        let f = Fingerprinter::new();
        // Sized far too small on purpose: shards must grow without the keys.
        let mut idx = HolderIndex::with_capacity(10);
        let hashes: Vec<u64> = (0..50_000u32)
            .map(|i| f.short(KeyKind::Email, format!("u{i}@x.co").as_bytes()))
            .collect();
        for (user, &h) in hashes.iter().enumerate() {
            let s = idx.shard_of(h);
            let mut shard = idx.shards_mut().nth(s).unwrap();
            shard.insert(h, user as u32);
        }
        assert_eq!(idx.len(), 50_000);
        for (user, &h) in hashes.iter().enumerate() {
            assert!(idx.candidates(h).any(|u| u == user as u32));
        }
        let absent = f.short(KeyKind::Email, b"nobody@x.co");
        assert!(idx.candidates(absent).count() <= 1);
    }

    #[test]
    fn sized_index_has_many_shards_and_stays_dense() {
        let idx = HolderIndex::with_capacity(2_300_000);
        assert!(idx.shards() > 40);
        // 9 bytes a bucket, planned 85% of 7/8 full: about 12 bytes a key.
        let per_key = idx.allocated_bytes() as f64 / 2_300_000.0;
        assert!(per_key < 13.0, "{per_key} bytes a key");
    }
}
