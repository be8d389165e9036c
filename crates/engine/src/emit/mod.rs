//! Output: the NDJSON wire format (operations stream, errors file, failed-records file,
//! summary) and the JSON writing helpers behind it.

pub mod json;
pub mod merge;
mod wire;

pub use wire::{NdjsonSink, WriteDebug, write_summary};
