//! The sharded identity indexes: which keys have been taken, and by whom.
//!
//! Keys are never stored as strings, only as fingerprints (two independently, randomly
//! seeded 64-bit hashes, a fresh seed per run so crafted input cannot aim for collisions).
//!
//! - [`KeyIndex`] (keys taken inside the users file, SPEC 5.2) keeps a 92-bit fingerprint
//!   of every key and the number of the record that took it, in about 16.5 bytes (see
//!   below). The bytes of earlier records may be gone
//!   (a stream), so a hit cannot be confirmed: the fingerprint must be wide enough that an
//!   accidental hit never happens in practice.
//! - [`HolderIndex`] (keys held by existing users) keeps 32 bits of fingerprint and a user
//!   number, 8 bytes an entry, because it must hold millions of users in little memory. A
//!   hit is only a candidate: the caller confirms it against the user's real key, which is
//!   still in the memory-mapped export, so a collision can never invent a conflict.
//!
//! Shards are filled each by one thread in input order, which keeps "the first one wins"
//! deterministic.
//!
//! # The in-file index
//!
//! Reconciliation asks whether a key was taken and by which record (a duplicate names the
//! earlier record, `duplicate_of`: 4 bytes a key, the record's index as a `u32`). It is
//! what grows with the input (about 2.2 keys a record), so it is built to be small:
//!
//! - **Quotienting.** A fingerprint is 92 bits: 12 pick one of 2^12 shards and are not
//!   stored (the shard implies them); the other 80 are the stored *residue*, 10 bytes.
//!   More shards would imply more bits, but the shard headers must stay in cache: with
//!   2^16 shards (1.5 MB of headers) `take` was two cache misses, not one, and 7.7% of a
//!   1-thread run's profile.
//! - **Ordered linear probing** (Amble and Knuth's ordered hash table). A residue's home
//!   slot is its top bits scaled to the shard's home range, so home order is residue order,
//!   and every run of occupied slots is kept sorted. A lookup stops at the first empty slot
//!   or larger residue; an insertion shifts the rest of its run one slot right. Growing a
//!   shard is then a linear merge, not a rehash, so shards can grow often and by little.
//! - **Small, independent steps.** Each shard grows alone, by about 1.2x, to the next size
//!   on a grid of four sizes a doubling (64, 80, 96, 112, 128, 160, ... bytes), which is
//!   also mimalloc's size classes, so the allocator rounds nothing up. With a fill limit of
//!   [`MAX_FILL`] a shard is 71% to 85% full: with a 14-byte slot (residue and owner)
//!   about 16.5 bytes a key slack included, against 41 bytes a key for the earlier 128-bit
//!   hashbrown table with an owner (12.5 bytes before the owner was kept).
//!
//! ## Why 92 bits
//!
//! With `n` keys and uniformly random `b`-bit fingerprints, the probability that any two
//! distinct keys share one (a false `DUPLICATED_USER`) is at most `n(n-1)/2 / 2^b`. At
//! `n = 10^9` keys (about 450 million records):
//!
//! - `b = 92`: `5.0e17 / 5.0e27 = 1.0e-10`, under the 10^-9 we allow;
//! - `b = 84` (9-byte residues): `5.0e17 / 1.9e25 = 2.6e-8`, over it;
//! - `b = 64`: certain by 10^10 keys' worth of runs (`5.0e17 / 1.8e19 = 2.7e-2` per run).
//!
//! A residue whose high 64 bits are zero is stored with them set to 1, because zero marks
//! an empty slot; this merges 2^16 of the 2^80 residues of a shard with others, which
//! changes the bound by about 2^-64, nothing. The seed is random per run, so no input can
//! be built to collide.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::keys::KeyKind;

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
    /// Two hashers with fresh random seeds.
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

    /// The full fingerprint of a key, for the [`KeyIndex`].
    pub fn of(&self, kind: KeyKind, key: &[u8]) -> Fingerprint {
        let h = |s: &foldhash::quality::RandomState| s.hash_one((kind as u8, key));
        Fingerprint(h(&self.a), h(&self.b))
    }
}

/// Shards of the in-file index, as a power of two: 2^12, so 12 fingerprint bits are free,
/// the 96 KB of shard headers stay in cache, and a shard of a 5M-record file holds about
/// 2700 keys (44 KB).
const SHARD_BITS: u32 = 12;
/// A stored key: its residue, the fingerprint's second hash (high, big-endian, so that byte
/// order is numeric order) and 16 more bits of the first, then the number of the record
/// that took it (little-endian; [`NO_OWNER`] past 2^32 - 1 records).
type Slot = [u8; 14];
/// The owner of a key taken by a record whose index does not fit in 32 bits.
pub const NO_OWNER: u32 = u32::MAX;
/// The most keys a shard holds before it grows, as a fraction of its slots.
const MAX_FILL: f64 = 0.85;
/// The first allocation of a shard, in bytes (6 slots).
const FIRST_BYTES: usize = 64;

/// The 80-bit residue of a fingerprint, as compared: (high 64 bits, low 16 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Residue(u64, u16);

impl Residue {
    fn of(fp: Fingerprint) -> (usize, Residue) {
        let shard = (fp.0 >> (64 - SHARD_BITS)) as usize;
        // Zero marks an empty slot (see the module docs).
        (shard, Residue(fp.1.max(1), fp.0 as u16))
    }

    fn read(s: &Slot) -> Residue {
        let [a, b, c, d, e, f, g, h, i, j, ..] = *s;
        Residue(
            u64::from_be_bytes([a, b, c, d, e, f, g, h]),
            u16::from_be_bytes([i, j]),
        )
    }

    fn slot(self, owner: u32) -> Slot {
        let [a, b, c, d, e, f, g, h] = self.0.to_be_bytes();
        let [i, j] = self.1.to_be_bytes();
        let [k, l, m, n] = owner.to_le_bytes();
        [a, b, c, d, e, f, g, h, i, j, k, l, m, n]
    }
}

fn owner(s: &Slot) -> u32 {
    let [.., k, l, m, n] = *s;
    u32::from_le_bytes([k, l, m, n])
}

/// The smallest size on the grid of four sizes a doubling above `bytes` (16 or more).
fn next_size(bytes: usize) -> usize {
    let step = (1usize << (usize::BITS - 1 - bytes.leading_zeros())) / 4;
    (bytes / step + 1) * step
}

/// One shard: an ordered linear-probing table of residues.
#[derive(Debug, Default)]
struct Shard {
    slots: Box<[Slot]>,
    len: u32,
}

impl Shard {
    /// Slots a residue can call home; the rest are a tail for the runs that reach the end.
    fn homes(cap: usize) -> usize {
        cap - cap / 16
    }

    fn home(r: Residue, homes: usize) -> usize {
        ((u128::from(r.0) * homes as u128) >> 64) as usize
    }

    /// Where `r` is or would go: `Ok` if present, `Err(slot)` to insert at, or
    /// `Err(len)` if its run reaches the end of the table.
    fn find(&self, r: Residue) -> Result<usize, usize> {
        let cap = self.slots.len();
        let mut i = Self::home(r, Self::homes(cap));
        while i < cap {
            let s = Residue::read(&self.slots[i]);
            if s.0 == 0 || s > r {
                return Err(i);
            }
            if s == r {
                return Ok(i);
            }
            i += 1;
        }
        Err(cap)
    }

    /// Inserts `r` at `at` (from `find`), shifting the rest of its run; false if the run
    /// reaches the end of the table.
    fn insert_at(&mut self, at: usize, slot: Slot) -> bool {
        let Some(free) = self.slots[at..]
            .iter()
            .position(|s| Residue::read(s).0 == 0)
        else {
            return false;
        };
        self.slots.copy_within(at..at + free, at + 1);
        self.slots[at] = slot;
        self.len += 1;
        true
    }

    /// Moves the residues into a table of the next size that holds them all.
    #[cold]
    fn grow(&mut self) {
        let mut bytes = self.slots.len() * size_of::<Slot>();
        'sizes: loop {
            bytes = if bytes == 0 {
                FIRST_BYTES
            } else {
                next_size(bytes)
            };
            let cap = bytes / size_of::<Slot>();
            // Strictly larger: a run that reached the end would reach it again.
            if cap <= self.slots.len() || (self.len as usize + 1) as f64 > cap as f64 * MAX_FILL {
                continue;
            }
            let homes = Self::homes(cap);
            let mut slots = vec![[0u8; size_of::<Slot>()]; cap].into_boxed_slice();
            let mut next = 0;
            for s in self.slots.iter().filter(|s| Residue::read(s).0 != 0) {
                // In residue order, each at its home or just after the one before.
                let at = Self::home(Residue::read(s), homes).max(next);
                if at >= cap {
                    continue 'sizes;
                }
                slots[at] = *s;
                next = at + 1;
            }
            self.slots = slots;
            return;
        }
    }
}

/// The set of keys taken in the users file (SPEC 5.2). See the module docs.
#[derive(Debug)]
pub struct KeyIndex {
    shards: Box<[Shard]>,
}

impl Default for KeyIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyIndex {
    /// An empty index: 2^12 empty shards, 96 KB; shards allocate on their first key.
    pub fn new() -> Self {
        KeyIndex {
            shards: (0..1usize << SHARD_BITS)
                .map(|_| Shard::default())
                .collect(),
        }
    }

    /// Takes `fp` for record `owner`; if it was already taken, returns the record that
    /// took it.
    pub fn take(&mut self, fp: Fingerprint, owner: u32) -> Option<u32> {
        let (s, r) = Residue::of(fp);
        let shard = &mut self.shards[s];
        loop {
            match shard.find(r) {
                Ok(at) => return Some(self::owner(&shard.slots[at])),
                Err(at) => {
                    let room =
                        (shard.len as usize + 1) as f64 <= shard.slots.len() as f64 * MAX_FILL;
                    if room && shard.insert_at(at, r.slot(owner)) {
                        return None;
                    }
                    shard.grow();
                }
            }
        }
    }

    /// Asks the CPU to fetch the slot where `fp`'s search will start. A lookup in an index
    /// larger than the cache is one miss; issued ahead for a whole chunk's keys, the misses
    /// overlap instead of stalling the writer thread one after the other.
    #[inline]
    pub fn prefetch(&self, fp: Fingerprint) {
        let (s, r) = Residue::of(fp);
        let slots = &self.shards[s].slots;
        if !slots.is_empty() {
            let at = Shard::home(r, Shard::homes(slots.len()));
            prefetch_read(&slots[at]);
        }
    }

    /// Whether `fp` is taken.
    pub fn contains(&self, fp: Fingerprint) -> bool {
        let (s, r) = Residue::of(fp);
        self.shards[s].find(r).is_ok()
    }

    /// Number of keys taken.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len as usize).sum()
    }

    /// Whether no key was taken.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated by the index, shard headers included.
    pub fn allocated_bytes(&self) -> usize {
        self.shards.len() * size_of::<Shard>()
            + self
                .shards
                .iter()
                .map(|s| s.slots.len() * size_of::<Slot>())
                .sum::<usize>()
    }
}

/// A hint to bring `slot`'s cache line closer; no effect on what any read returns.
#[inline]
fn prefetch_read(slot: &Slot) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch never faults and has no effect on memory or program state; the
        // pointer comes from a live reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(slot.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = slot;
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

    /// A fingerprint made of parts: shard bits, middle bits of the first hash (not kept),
    /// the 16 kept bits of the first hash, and the second hash.
    fn fp(shard: u64, middle: u64, low: u16, second: u64) -> Fingerprint {
        Fingerprint(
            shard << 52 | (middle & 0xf_ffff_ffff) << 16 | u64::from(low),
            second,
        )
    }

    #[test]
    fn taken_vs_new() {
        let f = Fingerprinter::new();
        let mut idx = KeyIndex::new();
        assert!(idx.is_empty());
        assert_eq!(idx.take(f.of(KeyKind::Email, b"a@b.co"), 4), None);
        assert_eq!(idx.take(f.of(KeyKind::Email, b"a@b.co"), 9), Some(4));
        // The first owner stays.
        assert_eq!(idx.take(f.of(KeyKind::Email, b"a@b.co"), 11), Some(4));
        // Kinds are separate namespaces.
        assert_eq!(idx.take(f.of(KeyKind::Username, b"a@b.co"), 12), None);
        assert!(idx.contains(f.of(KeyKind::Email, b"a@b.co")));
        assert!(!idx.contains(f.of(KeyKind::Email, b"c@b.co")));
        assert_eq!(idx.len(), 2);
    }

    #[test]
    fn grows_across_many_shards_and_stays_small() {
        let f = Fingerprinter::new();
        let mut idx = KeyIndex::new();
        let n = 1_000_000u32;
        for i in 0..n {
            assert_eq!(
                idx.take(f.of(KeyKind::UserId, format!("u{i}").as_bytes()), i),
                None
            );
        }
        assert_eq!(idx.len(), n as usize);
        // Owners survive every growth and every shift.
        for i in (0..n).step_by(7) {
            let fp = f.of(KeyKind::UserId, format!("u{i}").as_bytes());
            assert_eq!(idx.take(fp, n + i), Some(i));
        }
        assert!(!idx.contains(f.of(KeyKind::UserId, b"u-1")));
        assert_eq!(idx.len(), n as usize);
        // The slots alone: 14 bytes over a fill of 71% to 85%.
        let slots = idx.allocated_bytes() - idx.shards.len() * size_of::<Shard>();
        let per_key = slots as f64 / f64::from(n);
        assert!((15.5..20.0).contains(&per_key), "{per_key} bytes a key");
    }

    #[test]
    fn one_crowded_shard_stays_exact() {
        let mut idx = KeyIndex::new();
        // All in one shard, and all with the same high residue, so every key has the same
        // home: one run that reaches the end of the table again and again.
        for low in 0..5000u16 {
            assert_eq!(idx.take(fp(3, 0, low, u64::MAX - 1), u32::from(low)), None);
        }
        for low in 0..5000u16 {
            assert_eq!(
                idx.take(fp(3, 9, low, u64::MAX - 1), 0),
                Some(u32::from(low))
            );
        }
        for i in 0..20_000u64 {
            let r = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1 << 63;
            assert_eq!(idx.take(fp(3, 0, 0, r), NO_OWNER), None);
        }
        assert_eq!(idx.len(), 25_000);
        assert!(!idx.contains(fp(4, 0, 0, u64::MAX - 1)));
    }

    #[test]
    fn forced_collisions_behave_as_documented() {
        let mut idx = KeyIndex::new();
        assert_eq!(idx.take(fp(7, 1, 0xabcd, 42), 1), None);
        // Same shard, same 80 kept bits: the bits that are neither are not looked at, so
        // this is a (false) duplicate. With random 92-bit fingerprints it happens with
        // probability 1e-10 among 10^9 keys.
        assert_eq!(idx.take(fp(7, 2, 0xabcd, 42), 2), Some(1));
        // One bit apart in any kept part, or in the shard: distinct.
        assert_eq!(idx.take(fp(6, 1, 0xabcd, 42), 3), None);
        assert_eq!(idx.take(fp(7, 1, 0xabcc, 42), 4), None);
        assert_eq!(idx.take(fp(7, 1, 0xabcd, 43), 5), None);
        // A second hash of zero is stored as one (zero marks an empty slot).
        assert_eq!(idx.take(fp(7, 1, 5, 0), 6), None);
        assert_eq!(idx.take(fp(7, 1, 5, 1), 7), Some(6));
        assert_eq!(idx.len(), 5);
    }

    #[test]
    fn answers_depend_on_the_keys_alone() {
        // Repeats at various distances; the answers must equal exact set membership,
        // whatever the run's seeds.
        let keys: Vec<String> = (0..200_000u32)
            .map(|i| format!("k{}", i.wrapping_mul(2_654_435_761) % 150_000))
            .collect();
        let mut seen = std::collections::HashMap::new();
        let expected: Vec<Option<u32>> = (0..keys.len() as u32)
            .map(|i| {
                let first = *seen.entry(keys[i as usize].as_str()).or_insert(i);
                (first != i).then_some(first)
            })
            .collect();
        for _ in 0..2 {
            let f = Fingerprinter::new();
            let mut idx = KeyIndex::new();
            let got: Vec<Option<u32>> = (0..keys.len() as u32)
                .map(|i| idx.take(f.of(KeyKind::Email, keys[i as usize].as_bytes()), i))
                .collect();
            assert!(got == expected);
            assert_eq!(idx.len(), seen.len());
        }
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
