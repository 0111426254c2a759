//! `callwatch export FILE --format csv|json`: the final state of every call in a recording, one
//! row per call with the table's columns, oldest call first.

use std::path::PathBuf;

use clap::Args;

use crate::output::export::{call_rows, write_csv, write_file, write_json};
use crate::session::final_session;

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

/// Runs `callwatch export`.
pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let (recorded, _warnings) = crate::commands::replay::read(&args.file)?;
    let session = final_session(&recorded);
    let mut records: Vec<_> = session.store.iter().collect();
    records.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.call_sid().cmp(b.call_sid()))
    });
    let rows = call_rows(records, args.mask);
    let write = |out: &mut dyn std::io::Write| match args.format {
        ExportFormat::Csv => write_csv(out, &rows),
        ExportFormat::Json => write_json(out, &rows),
    };
    match &args.out {
        Some(path) => write_file(path, |out| write(out)),
        None => {
            let mut out = std::io::stdout().lock();
            write(&mut out).map_err(anyhow::Error::from)
        }
    }
}
