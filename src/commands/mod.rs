//! One runner per subcommand. Each takes its flags as [`crate::cli`] parsed and checked them,
//! checks what only it can (a URL against a tunnel, credentials against the API), does its job
//! and returns `anyhow::Result`; `main` turns the result into an exit code.

pub mod completions;
pub mod config;
pub mod demo;
pub mod events_admin;
pub mod export;
pub mod insights;
pub mod kinesis;
pub mod listen;
pub mod man;
pub mod poll;
pub mod replay;
pub mod send;
pub mod setup;
pub mod setup_kinesis;
pub mod verify;

/// A runtime failure already explained on stderr (a `✗` line of `setup`): `main` exits 1
/// without printing it again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reported(pub String);
