//! Settings people set once: the config file (TOML, in the platform's config directory or at
//! `--config PATH`), how it combines with flags and the environment (flag > environment > file
//! > built-in default), and where callwatch keeps its files.
//!
//! [`keys`] lists what the file may set, [`file`] reads and checks it, and [`resolve`] applies it
//! to the clap definitions and parses the command line.

pub mod file;
pub mod keys;
pub mod resolve;

use std::path::PathBuf;

pub use file::{ConfigError, ConfigFile, ConfigOrigin};
pub use resolve::{Invocation, Setting, Source, StartError, command, parse_args, settings};

/// callwatch's directories, per the platform's conventions (XDG on Linux, honouring
/// `XDG_CONFIG_HOME` and `XDG_STATE_HOME`). `None` without a home directory.
fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "callwatch")
}

/// Where the config file is looked for by default: `~/.config/callwatch/config.toml` on Linux.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().join("config.toml"))
}

/// Where the log goes by default: `~/.local/state/callwatch/callwatch.log` on Linux (the
/// platform's local data directory where there is no state directory).
pub fn default_log_path() -> Option<PathBuf> {
    let dirs = project_dirs()?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("callwatch.log"))
}

/// A secret as it may be shown: its first two characters and its length, `ab…(32 chars)`;
/// only the length when it is too short to spare two characters.
pub fn mask_secret(secret: &str) -> String {
    let count = secret.chars().count();
    if count < 8 {
        return format!("…({count} chars)");
    }
    let start: String = secret.chars().take(2).collect();
    format!("{start}…({count} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_show_two_characters_and_the_length_at_most() {
        assert_eq!(
            mask_secret("abcdef0123456789abcdef0123456789"),
            "ab…(32 chars)"
        );
        assert_eq!(mask_secret("short"), "…(5 chars)");
        assert_eq!(mask_secret(""), "…(0 chars)");
    }
}
