//! `split` (SPEC 8): the records that pass a job, written as files Auth0 accepts as they are.
//!
//! [`SplitSink`] is a [`Sink`]: the engine decides every record exactly as for `run` (same
//! options), and the sink writes each passing record **as supplied** (its original bytes,
//! minified, keys in their order) into numbered JSON arrays of at most `max_bytes` bytes:
//! inserts into `users-0001.json`, `users-0002.json`, ..., updates (with upsert) into
//! `updates-0001.json`, ..., the set to import with `upsert=true`. Auth0 applies its own
//! prefixing and lower-casing to what it is given, and its upsert takes the full record, so
//! the record as supplied is what it must see; with `--merge-metadata`, an update's
//! `app_metadata` and `user_metadata` are the merged objects the engine computed, since
//! Auth0 would replace the whole object.
//!
//! Records are packed in input order, a file is closed when the next record would not fit:
//! when order is kept, no packing ends a file later than this greedy one does, so it gives
//! the fewest files (fewer of Auth0's two-at-a-time jobs). A file is `[`, its records
//! joined by `,`, then `]`. A record that alone is over the limit is left out and listed
//! under `skipped`. Files are written as records arrive: memory holds one record, not a
//! file.
//!
//! At the end, `manifest.json` (totals first, then one file a line; indexes are the
//! records' 0-based positions in the input; `input = failed + skipped + records`):
//!
//! ```text
//! {"max_bytes":512000,
//! "totals":{"input":1000,"failed":20,"skipped":1,"records":979,"files":2,"bytes":1000100,
//!   "insert":{"files":1,"records":900,"bytes":511900},"update":{"files":1,"records":79,"bytes":488200}},
//! "files":[
//! {"name":"users-0001.json","set":"insert","upsert":false,"records":900,"bytes":511900,"sha256":"9f86...","first_index":0,"last_index":998},
//! {"name":"updates-0001.json","set":"update","upsert":true,"records":79,"bytes":488200,"sha256":"60303...","first_index":3,"last_index":999}
//! ],
//! "skipped":[{"index":17,"bytes":600123}]}
//! ```
//!
//! If the job fails part way (a malformed stream), the files written so far are removed and
//! no manifest is written: half a split must not be mistaken for a whole one.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use user_import::json as raw;
use user_import::json::{write_minified, write_str};
use user_import::{
    ErrorKind, Flow, JobError, Record, Sink, SinkError, SinkResult, Status, Summary, Tally,
};

/// Auth0's limit on an import file, in bytes: the default `max_bytes`.
pub const AUTH0_MAX_BYTES: u64 = 512_000;
/// The smallest useful limit: `[{}]`.
pub const MIN_MAX_BYTES: u64 = 4;
/// The manifest's file name in the output directory.
pub const MANIFEST: &str = "manifest.json";

/// Which import job a file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    /// New users: import with `upsert=false`.
    Insert,
    /// Updates of existing users: import with `upsert=true`.
    Update,
}

impl Set {
    pub const fn name(self) -> &'static str {
        match self {
            Set::Insert => "insert",
            Set::Update => "update",
        }
    }

    /// The file names' prefix.
    pub const fn prefix(self) -> &'static str {
        match self {
            Set::Insert => "users",
            Set::Update => "updates",
        }
    }
}

/// One written file, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitFile {
    pub name: String,
    pub set: Set,
    pub records: u64,
    pub bytes: u64,
    pub sha256: [u8; 32],
    /// Input indexes of the file's first and last records.
    pub first_index: u64,
    pub last_index: u64,
}

/// A passing record left out because it alone is over the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub index: u64,
    /// Its size minified, without the array's brackets.
    pub bytes: u64,
}

/// The file being filled in one set.
#[derive(Debug)]
struct Open {
    out: BufWriter<File>,
    hash: Sha256,
    file: SplitFile,
}

/// Writes the passing records of a job into an output directory. See the module docs.
#[derive(Debug)]
pub struct SplitSink {
    dir: PathBuf,
    max_bytes: u64,
    merge_metadata: bool,
    /// Per set (insert, update): the open file and the number of files begun.
    open: [Option<Open>; 2],
    begun: [u32; 2],
    files: Vec<SplitFile>,
    skipped: Vec<Skipped>,
    failed: u64,
    record: Vec<u8>,
    /// The findings, for the end-of-run tables and `--report`, counted as `run`'s sink
    /// counts them.
    tally: Tally,
}

impl SplitSink {
    /// A sink writing into `dir`, which is created if missing. Fails (kind `Config`) when
    /// `max_bytes` is under [`MIN_MAX_BYTES`] or when `dir` holds a manifest or
    /// `users-*.json` / `updates-*.json` files, from an earlier split whose sets this one
    /// must not mix with.
    pub fn new(dir: &Path, max_bytes: u64) -> Result<SplitSink, JobError> {
        if max_bytes < MIN_MAX_BYTES {
            return Err(JobError::new(
                ErrorKind::Config,
                None,
                format!("--max-bytes must be at least {MIN_MAX_BYTES}"),
            ));
        }
        let shown = dir.display();
        std::fs::create_dir_all(dir)
            .map_err(|e| JobError::io(ErrorKind::Output, &format!("cannot create {shown}"), &e))?;
        let entries = std::fs::read_dir(dir)
            .map_err(|e| JobError::io(ErrorKind::Output, &format!("cannot read {shown}"), &e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if is_split_output(&name) {
                return Err(JobError::new(
                    ErrorKind::Config,
                    None,
                    format!(
                        "{shown} already holds {name} from an earlier split; remove it or choose another directory"
                    ),
                ));
            }
        }
        Ok(SplitSink {
            dir: dir.to_owned(),
            max_bytes,
            merge_metadata: false,
            open: [None, None],
            begun: [0, 0],
            files: Vec::new(),
            skipped: Vec::new(),
            failed: 0,
            record: Vec::new(),
            tally: Tally::new(),
        })
    }

    /// Write updates with the merged metadata objects the engine computed (the engine's
    /// `merge_metadata` must match). By default, off: updates are written as supplied.
    pub fn merge_metadata(mut self, yes: bool) -> Self {
        self.merge_metadata = yes;
        self
    }

    /// The files written, in the order they were closed (each set's in number order).
    pub fn files(&self) -> &[SplitFile] {
        &self.files
    }

    /// The errors and warnings of the records decided so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The records left out for being over the limit, in input order.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    fn place(&mut self, set: Set, r: &Record<'_>) -> io::Result<()> {
        let Some(original) = r.original else {
            // Only a record over the size limit read from a stream loses its bytes, and
            // such a record always fails.
            return Err(io::Error::other(format!(
                "record {}: its bytes were not kept",
                r.index
            )));
        };
        self.record.clear();
        if set == Set::Update && self.merge_metadata {
            write_with_merged_metadata(&mut self.record, original, r.user);
        } else {
            write_minified(&mut self.record, original);
        }
        let len = self.record.len() as u64;
        if len + 2 > self.max_bytes {
            self.skipped.push(Skipped {
                index: r.index,
                bytes: len,
            });
            return Ok(());
        }
        let s = set as usize;
        if self.open[s]
            .as_ref()
            .is_some_and(|o| o.file.bytes + 1 + len + 1 > self.max_bytes)
        {
            self.close(set)?;
        }
        let open = match &mut self.open[s] {
            Some(open) => open,
            empty => {
                self.begun[s] += 1;
                let name = format!("{}-{:04}.json", set.prefix(), self.begun[s]);
                // `create_new`: never write over a file that appeared since `new` looked.
                let f = File::create_new(self.dir.join(&name))?;
                let mut open = Open {
                    out: BufWriter::with_capacity(1 << 18, f),
                    hash: Sha256::new(),
                    file: SplitFile {
                        name,
                        set,
                        records: 0,
                        bytes: 0,
                        sha256: [0; 32],
                        first_index: r.index,
                        last_index: r.index,
                    },
                };
                open.put(b"[")?;
                empty.insert(open)
            }
        };
        if open.file.records > 0 {
            open.put(b",")?;
        }
        open.put(&self.record)?;
        open.file.records += 1;
        open.file.last_index = r.index;
        Ok(())
    }

    fn close(&mut self, set: Set) -> io::Result<()> {
        if let Some(mut open) = self.open[set as usize].take() {
            open.put(b"]")?;
            open.out.flush()?;
            open.file.sha256 = open.hash.finalize().into();
            self.files.push(open.file);
        }
        Ok(())
    }

    /// Removes every file this sink created; errors are ignored, the job failed already.
    fn abandon(&mut self) {
        for open in self.open.iter_mut().filter_map(Option::take) {
            self.files.push(open.file);
        }
        for f in self.files.drain(..) {
            let _ = std::fs::remove_file(self.dir.join(&f.name));
        }
    }

    fn write_manifest(&self, summary: &Summary) -> io::Result<()> {
        let mut m = Vec::with_capacity(256 + self.files.len() * 200);
        let num =
            |m: &mut Vec<u8>, n: u64| m.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        let field = |m: &mut Vec<u8>, name: &str, n: u64| {
            m.extend_from_slice(b",\"");
            m.extend_from_slice(name.as_bytes());
            m.extend_from_slice(b"\":");
            num(m, n);
        };
        let totals = |set: Option<Set>| {
            let fs = self.files.iter().filter(|f| set.is_none_or(|s| f.set == s));
            fs.fold((0u64, 0u64, 0u64), |(n, r, b), f| {
                (n + 1, r + f.records, b + f.bytes)
            })
        };
        m.extend_from_slice(b"{\"max_bytes\":");
        num(&mut m, self.max_bytes);
        let (files, records, bytes) = totals(None);
        m.extend_from_slice(b",\n\"totals\":{\"input\":");
        num(&mut m, summary.total);
        field(&mut m, "failed", self.failed);
        field(&mut m, "skipped", self.skipped.len() as u64);
        field(&mut m, "records", records);
        field(&mut m, "files", files);
        field(&mut m, "bytes", bytes);
        for set in [Set::Insert, Set::Update] {
            let (files, records, bytes) = totals(Some(set));
            m.extend_from_slice(b",\"");
            m.extend_from_slice(set.name().as_bytes());
            m.extend_from_slice(b"\":{\"files\":");
            num(&mut m, files);
            field(&mut m, "records", records);
            field(&mut m, "bytes", bytes);
            m.push(b'}');
        }
        m.extend_from_slice(b"},\n\"files\":[");
        for (i, f) in self.files.iter().enumerate() {
            m.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            m.extend_from_slice(b"{\"name\":");
            write_str(&mut m, &f.name);
            m.extend_from_slice(b",\"set\":");
            write_str(&mut m, f.set.name());
            m.extend_from_slice(b",\"upsert\":");
            m.extend_from_slice(if f.set == Set::Update {
                b"true"
            } else {
                b"false"
            });
            field(&mut m, "records", f.records);
            field(&mut m, "bytes", f.bytes);
            m.extend_from_slice(b",\"sha256\":\"");
            m.extend_from_slice(hex(&f.sha256).as_bytes());
            m.push(b'"');
            field(&mut m, "first_index", f.first_index);
            field(&mut m, "last_index", f.last_index);
            m.push(b'}');
        }
        m.extend_from_slice(if self.files.is_empty() { b"]" } else { b"\n]" });
        m.extend_from_slice(b",\n\"skipped\":[");
        for (i, s) in self.skipped.iter().enumerate() {
            if i > 0 {
                m.push(b',');
            }
            m.extend_from_slice(b"{\"index\":");
            num(&mut m, s.index);
            field(&mut m, "bytes", s.bytes);
            m.push(b'}');
        }
        m.extend_from_slice(b"]}\n");
        std::fs::write(self.dir.join(MANIFEST), m)
    }
}

impl Open {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.hash.update(bytes);
        self.file.bytes += bytes.len() as u64;
        Ok(())
    }
}

impl Sink for SplitSink {
    fn insert(&mut self, r: &Record<'_>) -> SinkResult {
        self.tally.add(r);
        self.place(Set::Insert, r)?;
        Ok(Flow::Continue)
    }

    fn update(&mut self, r: &Record<'_>) -> SinkResult {
        self.tally.add(r);
        self.place(Set::Update, r)?;
        Ok(Flow::Continue)
    }

    fn error(&mut self, r: &Record<'_>) -> SinkResult {
        self.tally.add(r);
        self.failed += 1;
        Ok(Flow::Continue)
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), SinkError> {
        if let Status::Failed(_) = summary.status {
            self.abandon();
            return Ok(());
        }
        let closed = self
            .close(Set::Insert)
            .and_then(|()| self.close(Set::Update))
            .and_then(|()| self.write_manifest(summary));
        if closed.is_err() {
            self.abandon();
        }
        Ok(closed?)
    }
}

/// Whether `name` is something a split writes.
fn is_split_output(name: &str) -> bool {
    name == MANIFEST
        || [Set::Insert, Set::Update].iter().any(|s| {
            name.strip_prefix(s.prefix())
                .is_some_and(|rest| rest.starts_with('-') && rest.ends_with(".json"))
        })
}

/// The record minified, except that each metadata object is the one in the engine's
/// update (merged with the existing user's).
fn write_with_merged_metadata(out: &mut Vec<u8>, original: &[u8], update: &[u8]) {
    out.push(b'{');
    for (i, (key, range)) in raw::members(original).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(key);
        out.extend_from_slice(b"\":");
        let merged = ["app_metadata", "user_metadata"]
            .into_iter()
            .find(|name| raw::key_is(key, name))
            .and_then(|name| raw::member(update, name));
        match merged {
            // The engine's output is minified already.
            Some(m) => out.extend_from_slice(&update[m]),
            None => write_minified(out, &original[range]),
        }
    }
    out.push(b'}');
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use user_import::Builder;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("user-import-split-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn split(input: &[u8], dir: &Path, max_bytes: u64) -> SplitSink {
        let engine = Builder::new().threads(1).build().unwrap();
        let mut sink = SplitSink::new(dir, max_bytes).unwrap();
        engine.run_bytes(input, &mut sink).unwrap();
        sink
    }

    #[test]
    fn packs_in_order_as_full_as_the_limit_allows() {
        let d = dir("packs");
        // Minified: each small record is 18 bytes, so two fill 39 exactly; "bad" fails; the
        // big one is 39 bytes, 41 with its brackets.
        let input = br#"[{"email":"a@x.co"}, {"email" : "b@x.co"},{"email":"bad"},
            {"email":"c@x.co"},{"email":"d@x.co","name":"xxxxxxxxxxx"},{"email":"e@x.co"}]"#;
        let sink = split(input, &d, 39);
        let names: Vec<_> = sink.files().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["users-0001.json", "users-0002.json"]);
        let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap();
        assert_eq!(
            read("users-0001.json"),
            r#"[{"email":"a@x.co"},{"email":"b@x.co"}]"#
        );
        assert_eq!(
            read("users-0002.json"),
            r#"[{"email":"c@x.co"},{"email":"e@x.co"}]"#
        );
        assert_eq!(read("users-0001.json").len(), 39);
        assert_eq!(
            sink.skipped(),
            [Skipped {
                index: 4,
                bytes: 39
            }]
        );
        let f = &sink.files()[1];
        assert_eq!((f.records, f.first_index, f.last_index), (2, 3, 5));
        assert_eq!(
            hex(&f.sha256),
            hex(&Sha256::digest(read(&f.name).as_bytes()))
        );
        // Two bytes more and the big record fits alone, between the others.
        let d2 = dir("packs2");
        let sink = split(input, &d2, 41);
        assert!(sink.skipped().is_empty());
        let sizes: Vec<_> = sink.files().iter().map(|f| f.records).collect();
        assert_eq!(sizes, [2, 1, 1, 1]);
        let _ = std::fs::remove_dir_all(&d);
        let _ = std::fs::remove_dir_all(&d2);
    }

    #[test]
    fn refuses_a_directory_with_an_earlier_split() {
        let d = dir("refuse");
        split(br#"[{"email":"a@x.co"}]"#, &d, 100);
        assert!(d.join(MANIFEST).exists());
        let err = SplitSink::new(&d, 100).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("earlier split"), "{err}");
        assert_eq!(SplitSink::new(&d, 3).unwrap_err().kind(), ErrorKind::Config);
        for (name, ours) in [
            ("users-0001.json", true),
            ("updates-7.json", true),
            ("manifest.json", true),
            ("users.json", false),
            ("notes-0001.json", false),
            ("users-0001.json.bak", false),
        ] {
            assert_eq!(is_split_output(name), ours, "{name}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_failed_stream_leaves_no_file() {
        let d = dir("failed");
        let engine = Builder::new()
            .threads(1)
            .batch_records(1)
            .read_bytes(8)
            .build()
            .unwrap();
        let mut sink = SplitSink::new(&d, 30).unwrap();
        let input: &[u8] = br#"[{"email":"a@x.co"},{"email":"b@x.co"},{"email":"c@x.co"} x"#;
        assert!(engine.run_reader(input, &mut sink).is_err());
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn merged_metadata_replaces_only_the_metadata_members() {
        let mut out = Vec::new();
        write_with_merged_metadata(
            &mut out,
            br#"{ "email":"a@x.co", "app_metadata": {"b": 2}, "name":"A" }"#,
            br#"{"app_metadata":{"a":1,"b":2},"name":"A"}"#,
        );
        assert_eq!(
            out,
            br#"{"email":"a@x.co","app_metadata":{"a":1,"b":2},"name":"A"}"#
        );
    }
}
