//! The flags of `callwatch export`.

use std::path::PathBuf;

use clap::Args;

use super::UsageError;

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header line (RFC 4180 quoting).
    Csv,
    /// A JSON array of row objects.
    Json,
}

/// `callwatch export`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch export calls.ndjson --format csv --out calls.csv\n  \
callwatch export calls.ndjson --format json | jq '.[] | select(.call_state==\"failed\")'\n\n\
Columns: time (last update, UTC), call_sid, direction, from, to, call_type, call_state,\n\
processing, duration, from_carrier, to_carrier, disconnected_by, q850_cause, q850_meaning,\n\
sip, sip_phrase, tags. Deliveries refused when recorded are left out; duplicates count once.")]
pub struct ExportArgs {
    /// The recording (written by `listen --record` or `demo --record`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Write here instead of to stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Mask phone numbers and IP addresses, as the TUI's `m` key does.
    #[arg(long)]
    pub mask: bool,
}

/// `callwatch export`, checked: what [`ExportArgs::check`] gives the command.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    /// The recording to read (the command reads it).
    pub file: PathBuf,
    /// Output format.
    pub format: ExportFormat,
    /// Write here instead of to stdout.
    pub out: Option<PathBuf>,
    /// Mask phone numbers and IP addresses.
    pub mask: bool,
}

impl ExportArgs {
    /// The settings `export` runs with; clap has checked every flag already, and the files
    /// are the command's to open, so nothing here can fail yet.
    pub fn check(self) -> Result<ExportSettings, UsageError> {
        Ok(ExportSettings {
            file: self.file,
            format: self.format,
            out: self.out,
            mask: self.mask,
        })
    }
}
