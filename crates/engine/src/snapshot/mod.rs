//! The existing users (SPEC 1.2): the target connection's current state, from one or more
//! Auth0 user exports.
//!
//! A snapshot keeps the export files memory-mapped and, per user, only the offset of its
//! record (8 bytes) and its keys in a [`HolderIndex`] (8 bytes a key, plus table slack).
//! Everything else about a user is read again from the export's bytes when a record meets
//! that user, which is rare next to the lookups that find nobody. The bytes were validated
//! when the snapshot was loaded (`load.rs`).

mod load;

use std::ops::Range;

pub use load::{ExportSource, SnapshotOptions};

use crate::index::{Fingerprinter, HolderIndex};
use crate::input::Mapped;
use crate::keys::KeyKind;
pub use crate::keys::lower_in_place;
use crate::raw;

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

    /// Whether it has no users.
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
        user_at(&self.files, &self.offsets, u)
    }

    /// Whether user `u` belongs to the target connection (SPEC 1.2, 10).
    pub fn in_connection(&self, u: UserNo) -> bool {
        self.user(u).in_connection(self.connection.as_deref())
    }
}

/// User `u`'s record: its file is the last one whose first user is at most `u`, and its
/// bytes run from its offset to the end of the JSON value there (validated at load).
fn user_at<'s>(files: &'s [ExportFile], offsets: &[u64], u: UserNo) -> User<'s> {
    let f = files.partition_point(|f| f.first_user <= u) - 1;
    let data = files[f].data.get();
    let start = offsets[u as usize] as usize;
    User {
        raw: &data[start..raw::value_end(data, start)],
    }
}

/// One existing user's record in the export, read on demand.
#[derive(Clone, Copy, Debug)]
pub struct User<'s> {
    raw: &'s [u8],
}

impl<'s> User<'s> {
    /// A view of one exported user's bytes, which must be valid JSON (read as it is, never
    /// checked again).
    pub fn from_raw(raw: &'s [u8]) -> Self {
        User { raw }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, connection: Option<&str>) -> Snapshot {
        Snapshot::load(
            vec![ExportSource::Bytes {
                name: "t".into(),
                data: text.as_bytes().to_vec(),
            }],
            &SnapshotOptions {
                connection: connection.map(str::to_owned),
                threads: 2,
            },
        )
        .unwrap()
    }

    #[test]
    fn holders_are_found_by_formed_keys_in_scope() {
        let s = load(
            concat!(
                r#"{"user_id":"auth0|a","email":"Ann@Example.com","username":"Ann"}"#,
                "\n",
                r#"{"user_id":"auth0|b","email":"b@x.co","phone_number":"+1555","identities":[{"connection":"Other"}]}"#,
                "\n"
            ),
            Some("Main"),
        );
        let mut scratch = String::new();
        let mut holder = |k, key: &str| s.holder(k, key.as_bytes(), &mut scratch);
        assert_eq!(holder(KeyKind::Email, "ann@example.com"), Some(0));
        assert_eq!(holder(KeyKind::Username, "ann"), Some(0));
        assert_eq!(holder(KeyKind::UserId, "auth0|a"), Some(0));
        // Ids are tenant-wide; the other keys of a user in another connection are not held.
        assert_eq!(holder(KeyKind::UserId, "auth0|b"), Some(1));
        assert_eq!(holder(KeyKind::Email, "b@x.co"), None);
        assert_eq!(holder(KeyKind::Phone, "+1555"), None);
        assert_eq!(
            holder(KeyKind::Email, "Ann@Example.com"),
            None,
            "keys come formed"
        );
    }

    #[test]
    fn a_colliding_index_entry_never_invents_a_holder() {
        let mut s = load("{\"user_id\":\"auth0|a\",\"email\":\"a@x.co\"}\n", None);
        // Forge what a hash collision would leave: an entry for a key nobody holds,
        // pointing at user 0.
        let h = s.hasher.short(KeyKind::Email, b"nobody@x.co");
        let shard = s.index.shard_of(h);
        s.index.shards_mut().nth(shard).unwrap().insert(h, 0);
        assert_eq!(s.index.candidates(h).collect::<Vec<_>>(), [0]);
        let mut scratch = String::new();
        assert_eq!(s.holder(KeyKind::Email, b"nobody@x.co", &mut scratch), None);
        assert_eq!(s.holder(KeyKind::Email, b"a@x.co", &mut scratch), Some(0));
    }

    #[test]
    fn the_first_holder_wins_across_files_and_keys_held_twice_are_counted_once() {
        let user = |id: &str| format!("{{\"user_id\":\"auth0|{id}\",\"email\":\"same@x.co\"}}\n");
        let s = Snapshot::load(
            vec![
                ExportSource::Bytes {
                    name: "one".into(),
                    data: (user("a") + &user("b")).into_bytes(),
                },
                ExportSource::Bytes {
                    name: "two".into(),
                    data: user("c").into_bytes(),
                },
            ],
            &SnapshotOptions::default(),
        )
        .unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.held_twice(), 1);
        let mut scratch = String::new();
        assert_eq!(
            s.holder(KeyKind::Email, b"same@x.co", &mut scratch),
            Some(0)
        );
        let mut id = String::new();
        assert!(s.user(2).string("user_id", &mut id));
        assert_eq!(id, "auth0|c");
    }

    #[test]
    fn malformed_lines_name_file_and_line_without_content() {
        let err = Snapshot::load(
            vec![ExportSource::Bytes {
                name: "export.ndjson".into(),
                data:
                    b"{\"user_id\":\"auth0|a\"}\n\n{\"user_id\":\"auth0|SECRET\",\"email\":[1]}\n"
                        .to_vec(),
            }],
            &SnapshotOptions::default(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("export.ndjson: line 3: email is an array"),
            "{msg}"
        );
        assert!(!msg.contains("SECRET"));
        assert_eq!(err.position().map(|p| p.line), Some(3));
    }
}
