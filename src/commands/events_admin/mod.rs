//! `callwatch sinks`, `callwatch subscriptions` and `callwatch types`: the Events v1 API from the
//! command line, as aligned tables for people or `--json` for scripts.
//!
//! One file per resource (`sinks.rs`, `subscriptions.rs`, `types.rs`: runner, table); here is
//! what they share: the `--json` answer of a delete, the cell helpers and the writers to
//! stdout. Their flags, [`crate::cli::ApiAuthArgs`] and `--json` included, are in
//! `cli/events_admin.rs` and `cli/auth.rs`.

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::{EventsApiSettings, UsageError};
use crate::twilio::api::{ApiError, DEFAULT_API_BASE, EventsClient};

mod sinks;
mod subscriptions;
mod types;

pub use sinks::run_sinks;
pub use subscriptions::run_subscriptions;
pub use types::run_types;

/// A client for the checked API settings; a base URL it cannot use is a usage error.
fn events_client(api: EventsApiSettings) -> anyhow::Result<EventsClient> {
    EventsClient::new(&api.api_base, api.credentials).map_err(|e| match e {
        ApiError::BadBaseUrl { .. } => UsageError(format!(
            "{e}; set --api-base (or CALLWATCH_EVENTS_API_BASE, or api-base in the config \
             file) to a URL such as {DEFAULT_API_BASE}"
        ))
        .into(),
        other => other.into(),
    })
}

/// The `--json` answer of a delete.
#[derive(Serialize)]
struct Deleted {
    sid: String,
    deleted: bool,
}

fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.trim().is_empty() => v.to_owned(),
        _ => "-".to_owned(),
    }
}

/// At most `max` characters on one line, `…` marking a cut.
fn shorten(value: Option<&str>, max: usize) -> String {
    let one_line = or_dash(value)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Writes `value` as pretty JSON, with the controls serde_json leaves raw escaped (see
/// [`crate::text::json_safe`]): the values are Twilio's, and still the same to a JSON reader.
fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = crate::text::json_safe(&serde_json::to_string_pretty(value)?).into_owned();
    text.push('\n');
    print_text(&text)
}

/// Writes to stdout, escaped but for line breaks (descriptions and URLs are Twilio's); a
/// closed pipe (`| head`) is not an error.
fn print_text(text: &str) -> anyhow::Result<()> {
    let text = crate::text::terminal_safe_lines(text);
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextTable;

    #[test]
    fn tables_align_columns_and_trim_line_ends() {
        let mut table = TextTable::new(["SID", "STATUS", "NOTE"]);
        table.row(["DG1".to_owned(), "active".to_owned(), "-".to_owned()]);
        table.row([
            "DG22222".to_owned(),
            "failed".to_owned(),
            "long note".to_owned(),
        ]);
        assert_eq!(
            table.render(),
            "SID      STATUS  NOTE\nDG1      active  -\nDG22222  failed  long note\n"
        );
    }

    #[test]
    fn long_descriptions_are_cut_on_one_line() {
        assert_eq!(shorten(Some("a\nb"), 10), "a b");
        assert_eq!(shorten(Some("abcdefghijkl"), 5), "abcd…");
        assert_eq!(shorten(None, 5), "-");
    }
}
