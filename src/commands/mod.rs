//! One runner per subcommand. Each takes its validated arguments, does its job and returns
//! `anyhow::Result`; `main` turns the result into an exit code.

pub mod events_admin;
