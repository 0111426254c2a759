//! `callwatch types [FILTER]`: the event types the account can subscribe to, with their
//! schemas, optionally narrowed by a case-insensitive text.

use anyhow::Context as _;

use super::{events_client, or_dash, print_json, print_text, shorten};
use crate::cli::TypesSettings;
use crate::text::TextTable;
use crate::twilio::api::EventType;

/// Runs `callwatch types [FILTER]`.
pub async fn run_types(settings: TypesSettings) -> anyhow::Result<()> {
    let client = events_client(settings.api)?;
    let mut types = client
        .list_types()
        .await
        .context("could not list event types")?;
    if let Some(filter) = settings.filter {
        types.retain(|t| {
            t.event_type.to_lowercase().contains(&filter)
                || t.schema_id
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(&filter))
        });
    }
    if settings.json {
        return print_json(&types);
    }
    if types.is_empty() {
        return print_text("No event types match.\n");
    }
    print_text(&types_table(&types))
}

fn types_table(types: &[EventType]) -> String {
    let mut table = TextTable::new(["TYPE", "SCHEMA", "STATUS", "DESCRIPTION"]);
    for event_type in types {
        table.row([
            event_type.event_type.clone(),
            or_dash(event_type.schema_id.as_deref()),
            or_dash(event_type.status.as_deref()),
            shorten(event_type.description.as_deref(), 60),
        ]);
    }
    table.render()
}
