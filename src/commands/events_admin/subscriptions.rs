//! `callwatch subscriptions list | create | delete`: which event types each sink receives, by
//! default the seven Call Insights types callwatch shows, each at the schema version Twilio lists.

use anyhow::Context as _;

use super::{Deleted, events_client, or_dash, print_json, print_text, shorten};
use crate::cli::{SubscriptionsAction, SubscriptionsSettings};
use crate::text::TextTable;
use crate::twilio::api::{EventsClient, SubscribedEvent, Subscription};
use crate::twilio::provision::listed_schema_versions;

/// Runs `callwatch subscriptions ...`.
pub async fn run_subscriptions(settings: SubscriptionsSettings) -> anyhow::Result<()> {
    let client = events_client(settings.api)?;
    let json = settings.json;
    match settings.command {
        SubscriptionsAction::List { sink } => {
            let subscriptions = client
                .list_subscriptions(sink.as_deref())
                .await
                .context("could not list subscriptions")?;
            if json {
                return print_json(&subscriptions);
            }
            if subscriptions.is_empty() {
                return print_text(
                    "No subscriptions. Create one with `callwatch subscriptions create --sink SID`.\n",
                );
            }
            // People want to see what each subscription selects; that is one more list each.
            let mut rows = Vec::with_capacity(subscriptions.len());
            for subscription in &subscriptions {
                let events = client
                    .list_subscribed_events(&subscription.sid)
                    .await
                    .with_context(|| {
                        format!("could not list the event types of {}", subscription.sid)
                    })?;
                rows.push((subscription, events));
            }
            print_text(&subscriptions_table(&rows))
        }
        SubscriptionsAction::Create {
            sink,
            types,
            schema_version,
            description,
        } => {
            let types = with_versions(&client, types, schema_version).await;
            let subscription = client
                .create_subscription(&sink, &description, &types)
                .await
                .with_context(|| format!("could not subscribe sink {sink}"))?;
            if json {
                return print_json(&subscription);
            }
            let mut text = format!(
                "Created subscription {} → sink {}\n",
                subscription.sid,
                subscription.sink_sid.as_deref().unwrap_or(&sink)
            );
            for (event_type, version) in &types {
                let version = version.map_or("latest".to_owned(), |v| format!("v{v}"));
                text.push_str(&format!("  {event_type} ({version})\n"));
            }
            print_text(&text)
        }
        SubscriptionsAction::Delete { sid } => {
            client
                .delete_subscription(&sid)
                .await
                .with_context(|| format!("could not delete subscription {sid}"))?;
            if json {
                return print_json(&Deleted { sid, deleted: true });
            }
            print_text(&format!("Deleted subscription {sid}\n"))
        }
    }
}

/// Each type with the schema version to ask for: `--schema-version` for all when given,
/// otherwise the one Twilio lists for the type; when Twilio cannot be asked, none (Twilio then
/// picks the latest), said on stderr.
async fn with_versions(
    client: &EventsClient,
    types: Vec<String>,
    schema_version: Option<u32>,
) -> Vec<(String, Option<u32>)> {
    if schema_version.is_some() {
        return types.into_iter().map(|t| (t, schema_version)).collect();
    }
    match listed_schema_versions(client, &types).await {
        Ok(listed) => listed,
        Err(e) => {
            eprintln!(
                "{}",
                crate::text::terminal_safe(&format!(
                    "callwatch: could not read the schema versions Twilio lists ({e}); letting \
                     Twilio choose the latest"
                ))
            );
            types.into_iter().map(|t| (t, None)).collect()
        }
    }
}

fn subscriptions_table(rows: &[(&Subscription, Vec<SubscribedEvent>)]) -> String {
    let mut table = TextTable::new(["SID", "SINK", "TYPES", "DESCRIPTION", "CREATED"]);
    for (subscription, events) in rows {
        let types = if events.is_empty() {
            "-".to_owned()
        } else {
            events
                .iter()
                .map(|e| match e.schema_version {
                    Some(v) if v > 0 => format!("{} v{v}", short_type(&e.event_type)),
                    _ => short_type(&e.event_type).to_owned(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        table.row([
            subscription.sid.clone(),
            or_dash(subscription.sink_sid.as_deref()),
            types,
            shorten(subscription.description.as_deref(), 40),
            or_dash(subscription.date_created.as_deref()),
        ]);
    }
    table.render()
}

/// `com.twilio.voice.insights.call-summary.complete` → `call-summary.complete`: the Voice
/// Insights prefix takes the width and says nothing in a table of Call Insights subscriptions.
fn short_type(event_type: &str) -> &str {
    event_type
        .strip_prefix("com.twilio.voice.insights.")
        .unwrap_or(event_type)
}
