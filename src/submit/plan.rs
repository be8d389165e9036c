//! What `submit` sends: the files a `split` listed in its manifest, checked against their
//! SHA-256 before anything leaves the machine, in the order Auth0 should see them (every
//! insert file before any update file).

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::split::{MANIFEST, Set};

/// One file to import, as the manifest lists it.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub name: String,
    pub set: Set,
    pub records: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl PlannedFile {
    /// `upsert` for the job: the update set is imported with `upsert=true`.
    pub fn upsert(&self) -> bool {
        self.set == Set::Update
    }

    /// The job's `external_id`: the file and its content, so that a job seen in Auth0's
    /// dashboard or logs can be traced back to the exact bytes it imported.
    pub fn external_id(&self) -> String {
        format!("user-import:{}:{}", self.name, self.sha256)
    }
}

/// Reads `DIR/manifest.json`, checks every listed file's size and SHA-256, and returns the
/// files inserts first, each set in the manifest's order.
///
/// # Errors
///
/// A message naming the file and what is wrong with it.
pub fn load(dir: &Path) -> Result<Vec<PlannedFile>, String> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (submit takes the folder a `split` wrote)",
            path.display()
        )
    })?;
    let manifest: Value = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a split manifest: {e}", path.display()))?;
    let files = manifest
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: no \"files\" list", path.display()))?;
    let mut planned = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let bad = |what: &str| format!("{}: files[{i}]: {what}", path.display());
        let name = f
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no name"))?;
        // A manifest names files inside its own folder, never a path elsewhere.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(bad("the name is not a plain file name"));
        }
        let set = match f.get("set").and_then(Value::as_str) {
            Some("insert") => Set::Insert,
            Some("update") => Set::Update,
            _ => return Err(bad("set is neither \"insert\" nor \"update\"")),
        };
        let number = |key: &str| {
            f.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(&format!("no {key}")))
        };
        let sha256 = f
            .get("sha256")
            .and_then(Value::as_str)
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad("no sha256"))?;
        planned.push(PlannedFile {
            name: name.to_owned(),
            set,
            records: number("records")?,
            bytes: number("bytes")?,
            sha256: sha256.to_ascii_lowercase(),
        });
    }
    planned.sort_by_key(|f| f.set == Set::Update);
    for f in &planned {
        check(dir, f)?;
    }
    Ok(planned)
}

/// The file on disk is the one the manifest describes, byte for byte.
fn check(dir: &Path, f: &PlannedFile) -> Result<(), String> {
    let path = dir.join(&f.name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 != f.bytes {
        return Err(format!(
            "{}: {} bytes, the manifest says {}; nothing was sent",
            path.display(),
            bytes.len(),
            f.bytes
        ));
    }
    if hex(&Sha256::digest(&bytes)) != f.sha256 {
        return Err(format!(
            "{}: its SHA-256 differs from the manifest's (the file changed after split); nothing was sent",
            path.display()
        ));
    }
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
