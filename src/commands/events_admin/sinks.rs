//! `callwatch sinks list | create | delete | test | validate`: the webhook sinks Twilio delivers
//! events to, and the test event that checks one end to end.

use anyhow::Context as _;
use serde::Serialize;

use super::{ApiAuthArgs, Deleted, JsonFlag, or_dash, print_json, print_text, shorten};
use crate::text::TextTable;
use crate::twilio::api::Sink;
use crate::twilio::url::display_url;

/// The description given to sinks by default: Twilio asks for no personal data here.
pub(crate) const DEFAULT_SINK_DESCRIPTION: &str = "callwatch sink";

/// `callwatch sinks ...`
#[derive(Debug, clap::Args)]
#[command(after_help = SINKS_EXAMPLES)]
pub struct SinksArgs {
    #[command(subcommand)]
    pub command: SinksCommand,
    #[command(flatten)]
    pub api: ApiAuthArgs,
    #[command(flatten)]
    pub output: JsonFlag,
}

const SINKS_EXAMPLES: &str = concat!(
    "\
Examples:
  callwatch sinks list
  callwatch sinks create --public-url https://example.ngrok.app/events
  callwatch sinks test DG0123456789abcdef0123456789abcdef
  callwatch sinks delete DG0123456789abcdef0123456789abcdef
  callwatch sinks list --json | jq -r '.[].sid'

",
    credentials_help!()
);

#[derive(Debug, clap::Subcommand)]
pub enum SinksCommand {
    /// List the account's sinks (all pages).
    List,
    /// Create a webhook sink that POSTs events, one per request, to a public URL.
    #[command(
        after_help = "Example:\n  callwatch sinks create --public-url https://example.ngrok.app/events\n\n\
        Then subscribe it to call summaries:\n  callwatch subscriptions create --sink DG…"
    )]
    Create {
        /// The public HTTPS URL Twilio will POST events to (your tunnel + path).
        #[arg(long, value_name = "URL", value_parser = parse_public_url)]
        public_url: String,
        /// A description for the sink; Twilio asks that it contain no personal data.
        #[arg(long, value_name = "TEXT", default_value = DEFAULT_SINK_DESCRIPTION)]
        description: String,
    },
    /// Delete a sink.
    Delete {
        /// The sink's SID (DG…).
        #[arg(value_name = "SID")]
        sid: String,
    },
    /// Ask Twilio to send a signed test event to the sink's destination.
    #[command(
        after_help = "The event (com.twilio.eventstreams.test-event) arrives at the sink's destination; \
        `callwatch listen` shows its test_id, which `callwatch sinks validate` confirms."
    )]
    Test {
        /// The sink's SID (DG…).
        #[arg(value_name = "SID")]
        sid: String,
    },
    /// Confirm to Twilio that the test event arrived, with its test_id.
    Validate {
        /// The sink's SID (DG…).
        #[arg(value_name = "SID")]
        sid: String,
        /// The `test_id` from the received test event's data.
        #[arg(long, value_name = "ID")]
        test_id: String,
    },
}

/// Runs `callwatch sinks ...`.
pub async fn run_sinks(args: SinksArgs) -> anyhow::Result<()> {
    let client = args.api.events_client()?;
    let json = args.output.json;
    match args.command {
        SinksCommand::List => {
            let sinks = client.list_sinks().await.context("could not list sinks")?;
            if json {
                return print_json(&sinks);
            }
            if sinks.is_empty() {
                return print_text(
                    "No sinks. Create one with `callwatch sinks create --public-url URL`.\n",
                );
            }
            print_text(&sinks_table(&sinks))
        }
        SinksCommand::Create {
            public_url,
            description,
        } => {
            let sink = client
                .create_sink(&public_url, &description, false)
                .await
                .with_context(|| {
                    format!("could not create a sink for {}", display_url(&public_url))
                })?;
            if json {
                return print_json(&sink);
            }
            print_text(&format!(
                "Created sink {sid} ({kind}, {status}) → {destination}\n\
                 Next: callwatch subscriptions create --sink {sid}\n",
                sid = sink.sid,
                kind = or_dash(sink.sink_type.as_deref()),
                status = or_dash(sink.status.as_deref()),
                destination = display_url(sink.destination().unwrap_or(&public_url)),
            ))
        }
        SinksCommand::Delete { sid } => {
            client
                .delete_sink(&sid)
                .await
                .with_context(|| format!("could not delete sink {sid}"))?;
            if json {
                return print_json(&Deleted { sid, deleted: true });
            }
            print_text(&format!("Deleted sink {sid}\n"))
        }
        SinksCommand::Test { sid } => {
            let sink = client
                .fetch_sink(&sid)
                .await
                .with_context(|| format!("could not find sink {sid}"))?;
            let result = client
                .test_sink(&sid)
                .await
                .with_context(|| format!("could not start a test of sink {sid}"))?;
            if json {
                return print_json(&SinkResult { sid, result });
            }
            let destination = display_url(sink.destination().unwrap_or("the sink's destination"));
            print_text(&format!(
                "Test of sink {sid}: {result}\n\
                 Twilio will POST a signed com.twilio.eventstreams.test-event to {destination}.\n\
                 `callwatch listen` there shows its test_id; confirm it with\n  \
                 callwatch sinks validate {sid} --test-id TEST_ID\n"
            ))
        }
        SinksCommand::Validate { sid, test_id } => {
            let result = client
                .validate_sink(&sid, &test_id)
                .await
                .with_context(|| format!("could not validate sink {sid}"))?;
            if json {
                return print_json(&SinkResult { sid, result });
            }
            print_text(&format!("Validation of sink {sid}: {result}\n"))
        }
    }
}

/// `--public-url` must be an absolute http(s) URL: Twilio POSTs to it verbatim.
fn parse_public_url(value: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the URL must start with https:// (or http://)".to_owned());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".to_owned());
    }
    // The parser takes 0; Twilio cannot call it (`listen --public-url` refuses it too).
    if url.port() == Some(0) {
        return Err("the port must be a number from 1 to 65535".to_owned());
    }
    // As given, not as parsed: Twilio signs the destination string it was given.
    Ok(value.to_owned())
}

/// The `--json` answer of a test or validate.
#[derive(Serialize)]
struct SinkResult {
    sid: String,
    result: String,
}

fn sinks_table(sinks: &[Sink]) -> String {
    let mut table = TextTable::new([
        "SID",
        "STATUS",
        "TYPE",
        "DESTINATION",
        "DESCRIPTION",
        "CREATED",
    ]);
    for sink in sinks {
        table.row([
            sink.sid.clone(),
            or_dash(sink.status.as_deref()),
            or_dash(sink.sink_type.as_deref()),
            or_dash(sink.destination().map(display_url).as_deref()),
            shorten(sink.description.as_deref(), 40),
            or_dash(sink.date_created.as_deref()),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_must_be_absolute_http() {
        assert!(parse_public_url("https://example.ngrok.app/events").is_ok());
        assert!(parse_public_url("example.ngrok.app/events").is_err());
        assert!(parse_public_url("ftp://example.com/").is_err());
        // A scheme is case-insensitive; the URL is kept as written, since Twilio signs that.
        assert_eq!(
            parse_public_url("HTTPS://Example.ngrok.app/events").as_deref(),
            Ok("HTTPS://Example.ngrok.app/events")
        );
        assert!(parse_public_url("https://example.ngrok.app:0/events").is_err());
        assert!(parse_public_url("https://example.ngrok.app:65536/events").is_err());
    }
}
