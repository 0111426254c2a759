//! `callwatch export FILE --format csv|json`: the final state of every call in a recording, one
//! row per call with the table's columns, oldest call first.

use crate::cli::{ExportFormat, ExportSettings};
use crate::output::export::{call_rows, write_csv, write_file, write_json};
use crate::session::final_session;

/// Runs `callwatch export`.
pub async fn run(settings: ExportSettings) -> anyhow::Result<()> {
    let (recorded, _warnings) = crate::commands::replay::read(&settings.file)?;
    let session = final_session(&recorded);
    let mut records: Vec<_> = session.store.iter().collect();
    records.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.call_sid().cmp(b.call_sid()))
    });
    let rows = call_rows(records, settings.mask);
    let write = |out: &mut dyn std::io::Write| match settings.format {
        ExportFormat::Csv => write_csv(out, &rows),
        ExportFormat::Json => write_json(out, &rows),
    };
    match &settings.out {
        Some(path) => write_file(path, |out| write(out)),
        None => {
            let mut out = std::io::stdout().lock();
            write(&mut out).map_err(anyhow::Error::from)
        }
    }
}
