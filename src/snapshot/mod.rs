//! The existing users (SPEC 1.2): the target connection's current state, from one or more
//! Auth0 user exports.
//!
//! A snapshot keeps the export files memory-mapped and, per user, only the offset of its
//! record (8 bytes) and its keys in a [`HolderIndex`] (8 bytes a key, plus table slack).
//! Everything else about a user is read again from the export's bytes when a record meets
//! that user, which is rare next to the lookups that find nobody. The bytes were validated
//! when the snapshot was loaded ([`load`]).

mod load;

use std::ops::Range;

pub use load::{ExportSource, SnapshotOptions};

use crate::index::{Fingerprinter, HolderIndex};
use crate::input::Mapped;
use crate::raw;
use crate::record::KeyKind;

/// An existing user's number: its position in the snapshot (files in the order given, then
/// records in file order). Lower numbers win when a key is held twice.
pub type UserNo = u32;

/// The loaded existing users. Immutable and shared by every worker of a job.
#[derive(Debug)]
pub struct Snapshot {
    files: Vec<ExportFile>,
    /// Per user, the offset of its record in its file.
    offsets: Vec<u64>,
    index: HolderIndex,
    hasher: Fingerprinter,
    connection: Option<String>,
    held_twice: u64,
}

#[derive(Debug)]
struct ExportFile {
    data: Bytes,
    /// The number of the file's first user.
    first_user: UserNo,
}

#[derive(Debug)]
enum Bytes {
    Mapped(Mapped),
    Owned(Vec<u8>),
}

impl Bytes {
    fn get(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m.bytes(),
            Bytes::Owned(v) => v,
        }
    }
}

impl Snapshot {
    /// A snapshot with no users.
    pub fn empty() -> Self {
        Snapshot {
            files: Vec::new(),
            offsets: Vec::new(),
            index: HolderIndex::with_capacity(0),
            hasher: Fingerprinter::new(),
            connection: None,
            held_twice: 0,
        }
    }

    /// Number of existing users.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Keys that more than one existing user holds in the same scope (possible only in a
    /// snapshot that mixes connections): the first in snapshot order is the one matched.
    pub fn held_twice(&self) -> u64 {
        self.held_twice
    }

    /// Keys in the index (each held key once).
    pub fn keys(&self) -> usize {
        self.index.len()
    }

    /// Heap bytes of the index and the per-user offsets in use (not the mapped exports).
    pub fn index_bytes(&self) -> usize {
        self.index.allocated_bytes() + self.offsets.len() * 8
    }

    /// The existing user holding `key` (as the engine forms it: lower-cased, prefixed) of
    /// `kind`, in its scope: user ids across the tenant, the other keys in the target
    /// connection. `scratch` is reused between calls.
    pub fn holder(&self, kind: KeyKind, key: &[u8], scratch: &mut String) -> Option<UserNo> {
        if self.offsets.is_empty() {
            return None;
        }
        let hash = self.hasher.short(kind, key);
        // Normally at most one candidate; several only on a 32-bit tag collision, where
        // the confirmed one with the lowest number is the first holder.
        self.index
            .candidates(hash)
            .filter(|&u| {
                self.user(u)
                    .holds(kind, key, self.connection.as_deref(), scratch)
            })
            .min()
    }

    /// A view of user `u`'s record.
    pub fn user(&self, u: UserNo) -> User<'_> {
        let f = self.files.partition_point(|f| f.first_user <= u) - 1;
        let data = self.files[f].data.get();
        let start = self.offsets[u as usize] as usize;
        let end = raw::value_end(data, start);
        User {
            raw: &data[start..end],
        }
    }

    /// Whether user `u` belongs to the target connection (SPEC 1.2, 10).
    pub fn in_connection(&self, u: UserNo) -> bool {
        self.user(u).in_connection(self.connection.as_deref())
    }
}

/// One existing user's record in the export, read on demand.
#[derive(Clone, Copy, Debug)]
pub struct User<'s> {
    raw: &'s [u8],
}

impl<'s> User<'s> {
    /// The value of a top-level field; `None` when absent or `null`.
    pub fn field(&self, name: &str) -> Option<&'s [u8]> {
        let r = raw::member(self.raw, name)?;
        let v = &self.raw[r];
        (v != b"null").then_some(v)
    }

    /// The range of a top-level field's value within [`User::raw`].
    pub fn field_range(&self, name: &str) -> Option<Range<usize>> {
        raw::member(self.raw, name).filter(|r| &self.raw[r.clone()] != b"null")
    }

    pub fn raw(&self) -> &'s [u8] {
        self.raw
    }

    /// A string field decoded into `out`; false when absent, null or not a string.
    pub fn string(&self, name: &str, out: &mut String) -> bool {
        self.field(name).is_some_and(|v| raw::decode_str(v, out))
    }

    /// The user's key of `kind` as the engine forms keys (emails and usernames lower-cased).
    pub fn key(&self, kind: KeyKind, out: &mut String) -> bool {
        if !self.string(kind.field(), out) {
            return false;
        }
        if matches!(kind, KeyKind::Email | KeyKind::Username) {
            lower_in_place(out);
        }
        true
    }

    fn holds(&self, kind: KeyKind, key: &[u8], connection: Option<&str>, s: &mut String) -> bool {
        self.key(kind, s)
            && s.as_bytes() == key
            && (kind == KeyKind::UserId || self.in_connection(connection))
    }

    /// A user with no identities, or whose identities name no connection, belongs to the
    /// target connection; otherwise one identity must name it exactly.
    pub fn in_connection(&self, connection: Option<&str>) -> bool {
        let Some(target) = connection else {
            return true;
        };
        let Some(ids) = self.field("identities") else {
            return true;
        };
        let mut named = false;
        let mut name = String::new();
        for e in raw::elements(ids) {
            let id = &ids[e];
            if let Some(c) = raw::member(id, "connection")
                && raw::decode_str(&id[c], &mut name)
            {
                named = true;
                if name == target {
                    return true;
                }
            }
        }
        !named
    }

    /// Has logged in: `logins_count` above zero, or a `last_login`.
    pub fn logged_in(&self) -> bool {
        if self.field("last_login").is_some() {
            return true;
        }
        self.field("logins_count")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|n| n.parse::<f64>().ok())
            .is_some_and(|n| n > 0.0)
    }
}

/// Lower-cases as JavaScript's `toLowerCase` does (full Unicode), without allocating for
/// ASCII.
pub fn lower_in_place(s: &mut String) {
    if s.is_ascii() {
        s.make_ascii_lowercase();
    } else {
        *s = s.to_lowercase();
    }
}
