//! Fatal errors: the job as a whole cannot go on (SPEC 6.3). Record rejections are not
//! errors of this kind; they are [`crate::finding::Finding`]s on an error line.

use std::fmt;
use std::io;

use crate::frame::Position;

/// What kind of failure ended the job.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input could not be opened or read.
    Input,
    /// The JSON array is malformed (or the input is neither an array nor NDJSON).
    Framing,
    /// An existing-users file is unreadable or malformed.
    Snapshot,
    /// An export given to `convert` holds a user that is not a JSON object.
    Export,
    /// Writing the output failed (including a closed pipe).
    Output,
    /// The engine was configured wrongly.
    Config,
}

/// A fatal error with its kind and, where it has one, its position in the input.
/// Messages never quote input bytes.
#[derive(Debug)]
pub struct JobError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    position: Option<Position>,
    message: String,
    io: Option<io::ErrorKind>,
}

impl JobError {
    /// An error of `kind` at `position`; `message` must not quote input bytes (SPEC 6.3).
    pub fn new(kind: ErrorKind, position: Option<Position>, message: String) -> Self {
        JobError(Box::new(Inner {
            kind,
            position,
            message,
            io: None,
        }))
    }

    /// An I/O failure: `context` says what was being done ("cannot create out/"), and
    /// [`JobError::is_broken_pipe`] still sees the I/O error's kind.
    pub fn io(kind: ErrorKind, context: &str, e: &io::Error) -> Self {
        JobError(Box::new(Inner {
            kind,
            position: None,
            message: format!("{context}: {e}"),
            io: Some(e.kind()),
        }))
    }

    /// A sink's failure: an output error that keeps the I/O error's kind, if it was one.
    pub(crate) fn sink(e: &crate::sink::SinkError) -> Self {
        JobError(Box::new(Inner {
            kind: ErrorKind::Output,
            position: None,
            message: format!("cannot write output: {e}"),
            io: e.io_kind(),
        }))
    }

    /// What kind of failure ended the job.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Where in the input, when the failure has a position (a malformed array).
    pub fn position(&self) -> Option<Position> {
        self.0.position
    }

    /// True when the output's reader went away (e.g. `| head`): not a failure of the job.
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind == ErrorKind::Output && self.0.io == Some(io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for JobError {}
