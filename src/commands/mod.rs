//! One runner per subcommand. Each takes its parsed arguments, validates them, does its job
//! and returns `anyhow::Result`; `main` turns the result into an exit code.

pub mod completions;
pub mod config;
pub mod demo;
pub mod events_admin;
pub mod export;
pub mod listen;
pub mod man;
pub mod monitor;
pub mod replay;
pub mod send;
pub mod setup;
pub mod verify;

/// An error in how callwatch was called (exit code 2), as opposed to one while running (1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A runtime failure already explained on stderr (a `✗` line of `setup`): `main` exits 1
/// without printing it again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reported(pub String);

/// Colour is on unless `NO_COLOR` is set (https://no-color.org).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
