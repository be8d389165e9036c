//! user-import: decides, for every record of an Auth0 bulk-import file, what Auth0 would do.

pub mod doc;
pub mod finding;
pub mod frame;
pub mod hash;
pub mod parse;
pub mod validate;
