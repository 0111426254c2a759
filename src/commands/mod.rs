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

use std::path::Path;

use clap::ArgMatches;
use clap::parser::ValueSource;

use crate::cli::Command;

/// An error in how callwatch was called (exit code 2), as opposed to one while running (1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A runtime failure already explained on stderr (a `✗` line of `setup`): `main` exits 1
/// without printing it again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reported(pub String);

/// Replaces the `--auth-token-file` of any command that takes one by the token it holds, so
/// that every runner reads `auth_token` as if it had been given with `--auth-token`.
/// `matches` (the parse of the same command line) tells `--auth-token` on the command line,
/// which is refused alongside the file, from `TWILIO_AUTH_TOKEN`, which the file beats as any
/// flag beats its variable. (clap's `conflicts_with` would count the variable too.)
pub fn read_auth_token_files(
    command: &mut Command,
    matches: &ArgMatches,
) -> Result<(), UsageError> {
    let (token, file) = match command {
        Command::Listen(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Setup(a) => (&mut a.listen.api.auth_token, &a.listen.api.auth_token_file),
        Command::Sinks(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Subscriptions(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Types(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Send(a) => (&mut a.auth_token, &a.auth_token_file),
        Command::Verify(a) => (&mut a.auth_token, &a.auth_token_file),
        Command::Replay(a) => (&mut a.auth_token, &a.auth_token_file),
        Command::Demo(_)
        | Command::Export(_)
        | Command::Config(_)
        | Command::Completions(_)
        | Command::Man(_) => return Ok(()),
    };
    if let Some(path) = file {
        if given_on_command_line(matches, "auth_token") {
            return Err(UsageError(
                "--auth-token and --auth-token-file both give the auth token: pass one of them"
                    .into(),
            ));
        }
        *token = Some(auth_token_from_file(path)?);
    }
    Ok(())
}

/// True when the argument `id` of the command that runs (or of a command above it) was given
/// as a flag, not by its environment variable or a default.
fn given_on_command_line(matches: &ArgMatches, id: &str) -> bool {
    let mut current = Some(matches);
    while let Some(m) = current {
        // `try_contains_id` first: `value_source` panics for an id this level does not define.
        if m.try_contains_id(id).unwrap_or(false)
            && m.value_source(id) == Some(ValueSource::CommandLine)
        {
            return true;
        }
        current = m.subcommand().map(|(_, sub)| sub);
    }
    false
}

/// The auth token in the file at `path`: its content without surrounding whitespace (the
/// final newline an editor adds). Neither the token nor any of the file is ever in a message.
pub fn auth_token_from_file(path: &Path) -> Result<String, UsageError> {
    let content = std::fs::read(path).map_err(|e| {
        UsageError(format!(
            "cannot read --auth-token-file {}: {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8(content).map_err(|_| {
        UsageError(format!(
            "--auth-token-file {} is not text: it must hold the auth token alone",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(UsageError(format!(
            "--auth-token-file {} is empty: it must hold the auth token (the account's, from \
             the Twilio console)",
            path.display()
        )));
    }
    if token.contains(char::is_whitespace) {
        return Err(UsageError(format!(
            "--auth-token-file {} holds more than one word: it must hold the auth token alone",
            path.display()
        )));
    }
    Ok(token.to_owned())
}

/// Colour is on unless `NO_COLOR` is set (https://no-color.org).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
