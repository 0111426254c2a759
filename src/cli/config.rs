//! The flags of `callwatch config template|show|path`.

use std::ffi::OsString;

use clap::{Args, Subcommand};

use super::UsageError;

/// `callwatch config`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch config template > \"$(callwatch config path)\"   # after: mkdir -p \"$(dirname \"$(callwatch config path)\")\"\n  \
callwatch config show                         # what `callwatch listen` would use\n  \
callwatch config show setup --port 9000       # what that command line would use\n\n\
Precedence: a flag beats an environment variable, which beats the file, which beats the\n\
built-in default. Credentials are never read from the file.")]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// What `callwatch config` does.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented config file: every key, its default and what it does.
    Template,
    /// Print the settings a command would run with, and where each came from (flag, env, file
    /// or default); secrets are masked.
    Show {
        /// The command line to look at, without `callwatch` [default: listen].
        #[arg(
            value_name = "COMMAND",
            trailing_var_arg = true,
            allow_hyphen_values = true,
            num_args = 0..
        )]
        command: Vec<OsString>,
    },
    /// Print the path of the config file in use.
    Path,
}

/// `callwatch config`, checked: what [`ConfigArgs::check`] gives the command.
#[derive(Debug, Clone)]
pub struct ConfigSettings {
    /// What to do. Finding the config file needs the `config` module, so the command does it.
    pub command: ConfigCommand,
}

impl ConfigArgs {
    /// The settings `config` runs with; nothing here can fail yet (see [`ConfigSettings`]).
    pub fn check(self) -> Result<ConfigSettings, UsageError> {
        Ok(ConfigSettings {
            command: self.command,
        })
    }
}
