//! Canaries: the passwords file, and finding each canary's record in the users file.
//!
//! The users file is run through the engine with a [`Sink`] that looks at every record's
//! original bytes, so finding canaries reads any input the engine reads (a mapped file, a
//! stream, an array or NDJSON), in bounded memory, while the record rules run in parallel.
//! Only the matched records' bytes are kept.

use std::collections::HashMap;

use std::path::Path;

use crate::doc::{Kind, Value};
use crate::error::{ErrorKind, JobError};
use crate::keys::lower_into;
use crate::parse::Parser;
use crate::raw;
use crate::sink::{Flow, Record, Sink, SinkResult};

/// How a canary names its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CanaryKey {
    /// Lower-cased, as the engine compares emails.
    Email(String),
    /// As written: the id of the users file, or the stored `auth0|` form.
    UserId(String),
}

/// One line of the passwords file. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Canary {
    /// 1-based line in the passwords file.
    pub line: u64,
    /// The user it names.
    pub key: CanaryKey,
    /// The known password. Never written anywhere.
    pub password: String,
}

impl std::fmt::Debug for Canary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canary")
            .field("line", &self.line)
            .field("key", &self.key)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Reads the passwords file: NDJSON lines `{"email"|"user_id": ..., "password": ...}`.
/// Blank lines are skipped. A malformed line fails with its line number and never quotes it
/// (it holds a password).
pub fn read_passwords(path: &Path) -> Result<Vec<Canary>, JobError> {
    let name = path.display();
    let text = std::fs::read(path).map_err(|e| {
        JobError::io(
            ErrorKind::Input,
            &format!("cannot read passwords file {name}"),
            &e,
        )
    })?;
    parse_passwords(&text).map_err(|(line, what)| {
        JobError::new(
            ErrorKind::Input,
            None,
            format!("passwords file {name}: line {line}: {what}"),
        )
    })
}

/// [`read_passwords`] on bytes; errors are (line, what).
pub fn parse_passwords(text: &[u8]) -> Result<Vec<Canary>, (u64, String)> {
    let mut out = Vec::new();
    let mut parser = Parser::new();
    let text = text.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(text);
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let n = i as u64 + 1;
        let s = raw::skip_ws(line, 0);
        let mut e = line.len();
        while e > s && raw::is_ws(line[e - 1]) {
            e -= 1;
        }
        if s == e {
            continue;
        }
        let canary = parser.parse(&line[s..e], |parsed| {
            let p = parsed.map_err(|_| "not valid JSON".to_owned())?;
            let root = Value::root(p.tape);
            if root.kind() != Kind::Object {
                return Err("not a JSON object".to_owned());
            }
            let text = |name: &str| -> Result<Option<String>, String> {
                match root.get(name) {
                    None => Ok(None),
                    Some(v) => v
                        .as_str()
                        .map(|s| Some(s.to_owned()))
                        .ok_or_else(|| format!("{name} is not a string")),
                }
            };
            for (k, _) in root.entries() {
                if !matches!(k, "email" | "user_id" | "password") {
                    return Err(format!("unknown property {k:?}"));
                }
            }
            let password = text("password")?.ok_or("no password")?;
            let key = match (text("email")?, text("user_id")?) {
                (Some(email), None) => {
                    let mut k = Vec::new();
                    lower_into(&mut k, &email);
                    CanaryKey::Email(String::from_utf8_lossy(&k).into_owned())
                }
                (None, Some(id)) => CanaryKey::UserId(id),
                (Some(_), Some(_)) => return Err("both email and user_id".to_owned()),
                (None, None) => return Err("neither email nor user_id".to_owned()),
            };
            Ok(Canary {
                line: n,
                key,
                password,
            })
        });
        out.push(canary.map_err(|what| (n, what))?);
    }
    Ok(out)
}

/// A canary's record: its position and its bytes.
#[derive(Clone, Debug)]
pub struct Found {
    /// The record's 0-based position.
    pub index: u64,
    /// The record's bytes.
    pub raw: Vec<u8>,
}

/// Finds the first record (in file order) of every canary while the engine runs.
#[derive(Debug)]
pub struct Finder {
    by_email: HashMap<String, Vec<usize>>,
    by_id: HashMap<String, Vec<usize>>,
    found: Vec<Option<Found>>,
}

impl Finder {
    /// A finder for these canaries.
    pub fn new(canaries: &[Canary]) -> Self {
        let (mut by_email, mut by_id) = (HashMap::new(), HashMap::new());
        for (i, c) in canaries.iter().enumerate() {
            match &c.key {
                CanaryKey::Email(e) => by_email.entry(e.clone()).or_insert_with(Vec::new).push(i),
                CanaryKey::UserId(id) => {
                    // A record's id matches as written or in its stored `auth0|` form: file
                    // the canary under both, so a record needs one lookup and no copy.
                    by_id.entry(id.clone()).or_insert_with(Vec::new).push(i);
                    if let Some(bare) = id.strip_prefix("auth0|") {
                        by_id
                            .entry(bare.to_owned())
                            .or_insert_with(Vec::new)
                            .push(i);
                    }
                }
            }
        }
        Finder {
            by_email,
            by_id,
            found: vec![None; canaries.len()],
        }
    }

    /// Per canary, its record if the file has one.
    pub fn into_found(self) -> Vec<Option<Found>> {
        self.found
    }

    /// Matches a record's identity keys (formed by the engine: the email lower-cased, the
    /// `user_id` with its `auth0|` prefix) against the canaries; no second parse.
    fn look(&mut self, r: &Record<'_>) {
        let Some(raw) = r.original else { return };
        let mut hits: Vec<usize> = Vec::new();
        if let Some(list) = r.keys.email().and_then(|e| self.by_email.get(e)) {
            hits.extend(list);
        }
        // The key is "auth0|" + the id as supplied; canaries are indexed by the id as
        // supplied (and bare).
        if let Some(list) = r
            .keys
            .user_id()
            .and_then(|k| k.strip_prefix("auth0|"))
            .and_then(|id| self.by_id.get(id))
        {
            hits.extend(list);
        }
        for i in hits {
            if self.found[i].is_none() {
                self.found[i] = Some(Found {
                    index: r.index,
                    raw: raw.to_vec(),
                });
            }
        }
    }
}

impl Sink for Finder {
    fn record(&mut self, r: &Record<'_>) -> SinkResult {
        self.look(r);
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_file_lines() {
        let text = b"\n{\"email\":\"Ann@X.co\",\"password\":\"pw1\"}\r\n  \n{\"user_id\":\"42\",\"password\":\"p\"}\n";
        let c = parse_passwords(text).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].key, CanaryKey::Email("ann@x.co".into()));
        assert_eq!(c[0].line, 2);
        assert_eq!(c[1].key, CanaryKey::UserId("42".into()));
        assert_eq!(c[1].line, 4);
        assert!(!format!("{c:?}").contains("pw1"));
    }

    #[test]
    fn bad_lines_name_the_line_and_never_the_password() {
        for (text, line, what) in [
            (&b"{\"email\":\"a@b.co\"}"[..], 1, "no password"),
            (
                b"\n{\"password\":\"s3cret\"}",
                2,
                "neither email nor user_id",
            ),
            (
                b"{\"email\":\"a\",\"user_id\":\"b\",\"password\":\"s3cret\"}",
                1,
                "both",
            ),
            (
                b"{\"email\":\"a\",\"password\":5}",
                1,
                "password is not a string",
            ),
            (
                b"{\"email\":\"a\",\"password\":\"s3cret\",\"x\":1}",
                1,
                "unknown property",
            ),
            (
                b"{\"email\":\"a\",\"password\":\"s3cret\"",
                1,
                "not valid JSON",
            ),
        ] {
            let (n, msg) = parse_passwords(text).unwrap_err();
            assert_eq!(n, line, "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(!msg.contains("s3cret"));
        }
    }
}
