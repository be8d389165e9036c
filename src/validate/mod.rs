//! Schema rules.

pub mod email;
