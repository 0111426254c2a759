//! The flags of `callwatch man`.

use std::path::PathBuf;

use clap::Args;

/// `callwatch man`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch man | man -l -                # read it now\n  \
callwatch man listen | man -l -         # the page of one command\n  \
callwatch man --dir ~/.local/share/man/man1   # install every page (then: man callwatch-listen)")]
pub struct ManArgs {
    /// The command whose page to print, e.g. `listen` or `sinks create` [default: callwatch].
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write every page (callwatch.1, callwatch-listen.1, ...) into this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
