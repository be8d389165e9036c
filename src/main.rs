//! The `user-import` binary: a thin layer over the library (see `cli.rs`), and, with the
//! `server` feature, the job API front end (`server/`).

// Tests may unwrap: a panic there is a failed test, not a crash in front of a user.
#![cfg_attr(test, allow(clippy::unwrap_used))]

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod progress;
mod report;
mod split;
#[cfg(feature = "submit")]
mod submit;

fn main() -> std::process::ExitCode {
    cli::main()
}
