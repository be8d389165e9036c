//! JSON helpers for sinks that rewrite what the engine hands them: the same writers and
//! readers the engine uses for its output.
//!
//! The readers take JSON that is already known to be valid (a [`Record`](crate::Record)'s
//! `user` or `original`, a snapshot user): on invalid JSON they never panic or loop, they just
//! return something meaningless.

pub use crate::emit::json::{write_minified, write_str};
pub use crate::raw::{Members, decode_into, decode_str, key_is, member, members};
