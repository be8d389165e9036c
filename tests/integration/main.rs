//! The integration tests: one binary, shared helpers in `common`.

mod cases;
mod cli;
mod common;
mod convert;
mod differential;
mod existing;
mod hostile;
mod invariants;
mod regressions;
mod report;
mod server;
mod server_auth;
mod server_faults;
mod server_limits;
mod server_queries;
mod server_sdk;
mod split;
mod submit;
mod ui;
mod verify;
