//! Schema rules.
