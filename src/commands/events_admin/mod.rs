//! `callwatch sinks`, `callwatch subscriptions` and `callwatch types`: the Events v1 API from the
//! command line, as aligned tables for people or `--json` for scripts.
//!
//! [`ApiAuthArgs`] (API base + credentials) is shared with `setup`, which needs the same client.

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;

use crate::twilio::api::{
    ApiError, CALL_SUMMARY_TYPES, Credentials, DEFAULT_API_BASE, EventType, EventsClient, Sink,
    SubscribedEvent, Subscription,
};
use crate::twilio::url::display_url;

/// The description given to sinks by default: Twilio asks for no personal data here.
pub(crate) const DEFAULT_SINK_DESCRIPTION: &str = "callwatch sink";
pub(crate) const DEFAULT_SUBSCRIPTION_DESCRIPTION: &str = "callwatch call summaries";

/// The paragraph about credentials that ends every `--help` here (a macro so `concat!` can
/// use it).
macro_rules! credentials_help {
    () => {
        "Credentials come from flags or the variables Twilio's own tools use: TWILIO_ACCOUNT_SID +
TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET (an API key is used when both of
its parts are set). Secrets are never printed."
    };
}

/// Where the Events API is and who is calling it. Flattened into every command that talks to
/// Twilio; the flags are global so they may follow the subcommand.
#[derive(Clone, clap::Args)]
pub struct ApiAuthArgs {
    /// Base URL of the Events API (for tests and proxies).
    #[arg(
        long = "api-base",
        env = "CALLWATCH_EVENTS_API_BASE",
        default_value = DEFAULT_API_BASE,
        value_name = "URL",
        global = true
    )]
    pub api_base: String,

    /// Twilio Account SID (AC…), used with --auth-token.
    #[arg(long, env = "TWILIO_ACCOUNT_SID", value_name = "SID", global = true)]
    pub account_sid: Option<String>,

    /// Auth Token of the account: authenticates API requests (unless an API key is given), and
    /// is the key Twilio signs deliveries with.
    #[arg(
        long,
        env = "TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true
    )]
    pub auth_token: Option<String>,

    /// Read the Auth Token from this file instead of --auth-token (surrounding whitespace and
    /// the final newline are ignored), so that it is not in the process list.
    #[arg(long, value_name = "PATH", global = true)]
    pub auth_token_file: Option<PathBuf>,

    /// API Key SID (SK…), used with --api-secret instead of the Auth Token.
    #[arg(long, env = "TWILIO_API_KEY", value_name = "SID", global = true)]
    pub api_key: Option<String>,

    /// Secret of the API key.
    #[arg(
        long,
        env = "TWILIO_API_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        global = true
    )]
    pub api_secret: Option<String>,
}

impl fmt::Debug for ApiAuthArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("ApiAuthArgs")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &shown(&self.auth_token))
            .field("auth_token_file", &self.auth_token_file)
            .field("api_key", &self.api_key)
            .field("api_secret", &shown(&self.api_secret))
            .finish()
    }
}

impl ApiAuthArgs {
    /// The credentials to use: an API key when both its parts are given, else the Account SID
    /// and Auth Token. The error names the variables that are missing.
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (account_sid, auth_token) = (given(&self.account_sid), given(&self.auth_token));
        let (api_key, api_secret) = (given(&self.api_key), given(&self.api_secret));
        match (api_key, api_secret, account_sid, auth_token) {
            (Some(key), Some(secret), _, _) => Ok(Credentials::from_api_key(key, secret)),
            (_, _, Some(sid), Some(token)) => Ok(Credentials::from_auth_token(sid, token)),
            (key, secret, sid, token) => {
                let mut partial = Vec::new();
                if key.is_some() {
                    partial.push("TWILIO_API_KEY is set but TWILIO_API_SECRET is not");
                }
                if secret.is_some() {
                    partial.push("TWILIO_API_SECRET is set but TWILIO_API_KEY is not");
                }
                if sid.is_some() {
                    partial.push("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not");
                }
                if token.is_some() {
                    partial.push("TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not");
                }
                let detail = if partial.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", partial.join("; "))
                };
                // Like `listen` without a token: the command cannot start as given (exit 2).
                Err(crate::commands::UsageError(format!(
                    "no Twilio credentials{detail}: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, \
                     or TWILIO_API_KEY and TWILIO_API_SECRET (or pass --account-sid/--auth-token \
                     or --api-key/--api-secret)"
                ))
                .into())
            }
        }
    }

    /// A client for the configured API base with these credentials.
    pub fn events_client(&self) -> anyhow::Result<EventsClient> {
        let credentials = self.credentials()?;
        EventsClient::new(&self.api_base, credentials).map_err(|e| match e {
            ApiError::BadBaseUrl { .. } => crate::commands::UsageError(format!(
                "{e}; set --api-base (or CALLWATCH_EVENTS_API_BASE, or api-base in the config \
                 file) to a URL such as {DEFAULT_API_BASE}"
            ))
            .into(),
            other => other.into(),
        })
    }
}

/// `--json`: machine-readable output.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct JsonFlag {
    /// Print the API objects as JSON (an array for lists) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

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

/// `callwatch subscriptions ...`
#[derive(Debug, clap::Args)]
#[command(after_help = SUBSCRIPTIONS_EXAMPLES)]
pub struct SubscriptionsArgs {
    #[command(subcommand)]
    pub command: SubscriptionsCommand,
    #[command(flatten)]
    pub api: ApiAuthArgs,
    #[command(flatten)]
    pub output: JsonFlag,
}

const SUBSCRIPTIONS_EXAMPLES: &str = concat!(
    "\
Examples:
  callwatch subscriptions list
  callwatch subscriptions list --sink DG0123456789abcdef0123456789abcdef
  callwatch subscriptions create --sink DG0123456789abcdef0123456789abcdef
  callwatch subscriptions create --sink DG0123456789abcdef0123456789abcdef \\
      --types com.twilio.voice.insights.call-summary.complete --schema-version 2
  callwatch subscriptions delete DF0123456789abcdef0123456789abcdef

",
    credentials_help!()
);

#[derive(Debug, clap::Subcommand)]
pub enum SubscriptionsCommand {
    /// List subscriptions and the event types each one selects (all pages).
    List {
        /// Only subscriptions that deliver to this sink (DG…).
        #[arg(long, value_name = "SID")]
        sink: Option<String>,
    },
    /// Subscribe a sink to event types (by default the three call-summary types).
    Create {
        /// The sink (DG…) that receives the events; it must be active.
        #[arg(long, value_name = "SID")]
        sink: String,
        /// Event types to subscribe to (space- or comma-separated); `callwatch types` lists
        /// them. Default: the call-summary partial, predicted-complete and complete types.
        #[arg(long, value_name = "TYPE", num_args = 1.., value_delimiter = ',')]
        types: Vec<String>,
        /// Schema version for every type; without it Twilio uses the latest.
        #[arg(long, value_name = "N")]
        schema_version: Option<u32>,
        /// A description for the subscription; Twilio asks that it contain no personal data.
        #[arg(long, value_name = "TEXT", default_value = DEFAULT_SUBSCRIPTION_DESCRIPTION)]
        description: String,
    },
    /// Delete a subscription.
    Delete {
        /// The subscription's SID (DF…).
        #[arg(value_name = "SID")]
        sid: String,
    },
}

/// `callwatch types ...`
#[derive(Debug, clap::Args)]
#[command(after_help = TYPES_EXAMPLES)]
pub struct TypesArgs {
    /// Show only types whose name or schema contains this text (case-insensitive).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub api: ApiAuthArgs,
    #[command(flatten)]
    pub output: JsonFlag,
}

const TYPES_EXAMPLES: &str = concat!(
    "\
Examples:
  callwatch types
  callwatch types call-summary
  callwatch types VoiceInsights --json

",
    credentials_help!()
);

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

/// Runs `callwatch subscriptions ...`.
pub async fn run_subscriptions(args: SubscriptionsArgs) -> anyhow::Result<()> {
    let client = args.api.events_client()?;
    let json = args.output.json;
    match args.command {
        SubscriptionsCommand::List { sink } => {
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
        SubscriptionsCommand::Create {
            sink,
            types,
            schema_version,
            description,
        } => {
            let types: Vec<(String, Option<u32>)> = if types.is_empty() {
                CALL_SUMMARY_TYPES
                    .iter()
                    .map(|t| ((*t).to_owned(), schema_version))
                    .collect()
            } else {
                types
                    .into_iter()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .map(|t| (t, schema_version))
                    .collect()
            };
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
        SubscriptionsCommand::Delete { sid } => {
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

/// Runs `callwatch types [FILTER]`.
pub async fn run_types(args: TypesArgs) -> anyhow::Result<()> {
    let client = args.api.events_client()?;
    let mut types = client
        .list_types()
        .await
        .context("could not list event types")?;
    if let Some(filter) = args.filter.as_deref().map(str::to_lowercase) {
        types.retain(|t| {
            t.event_type.to_lowercase().contains(&filter)
                || t.schema_id
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(&filter))
        });
    }
    if args.output.json {
        return print_json(&types);
    }
    if types.is_empty() {
        return print_text("No event types match.\n");
    }
    print_text(&types_table(&types))
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

/// The `--json` answer of a delete.
#[derive(Serialize)]
struct Deleted {
    sid: String,
    deleted: bool,
}

/// The `--json` answer of a test or validate.
#[derive(Serialize)]
struct SinkResult {
    sid: String,
    result: String,
}

fn sinks_table(sinks: &[Sink]) -> String {
    let mut table = Table::new([
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

fn subscriptions_table(rows: &[(&Subscription, Vec<SubscribedEvent>)]) -> String {
    let mut table = Table::new(["SID", "SINK", "TYPES", "DESCRIPTION", "CREATED"]);
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

fn types_table(types: &[EventType]) -> String {
    let mut table = Table::new(["TYPE", "SCHEMA", "STATUS", "DESCRIPTION"]);
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

/// `com.twilio.voice.insights.call-summary.complete` → `call-summary.complete`: the Voice
/// Insights prefix takes the width and says nothing in a table of call-summary subscriptions.
fn short_type(event_type: &str) -> &str {
    event_type
        .strip_prefix("com.twilio.voice.insights.")
        .unwrap_or(event_type)
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

/// Left-aligned columns, two spaces apart, widths from the widest cell.
struct Table<const N: usize> {
    header: [&'static str; N],
    rows: Vec<[String; N]>,
}

impl<const N: usize> Table<N> {
    fn new(header: [&'static str; N]) -> Self {
        Self {
            header,
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: [String; N]) {
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let mut widths = self.header.map(|h| h.chars().count());
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let header = self.header.map(str::to_owned);
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
                line.push_str(cell);
                if i + 1 < N {
                    let pad = width - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
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

    fn auth(
        sid: Option<&str>,
        token: Option<&str>,
        key: Option<&str>,
        secret: Option<&str>,
    ) -> ApiAuthArgs {
        ApiAuthArgs {
            api_base: DEFAULT_API_BASE.to_owned(),
            account_sid: sid.map(str::to_owned),
            auth_token: token.map(str::to_owned),
            auth_token_file: None,
            api_key: key.map(str::to_owned),
            api_secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn an_api_key_pair_wins_over_the_auth_token() {
        let credentials = auth(Some("AC1"), Some("tok"), Some("SK1"), Some("sec"))
            .credentials()
            .unwrap();
        assert_eq!(credentials.username(), "SK1");
        let credentials = auth(Some("AC1"), Some("tok"), Some("SK1"), None)
            .credentials()
            .unwrap();
        assert_eq!(credentials.username(), "AC1");
    }

    #[test]
    fn missing_credentials_name_the_variables() {
        let error = auth(None, None, None, None)
            .credentials()
            .unwrap_err()
            .to_string();
        for name in [
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_API_KEY",
            "TWILIO_API_SECRET",
        ] {
            assert!(error.contains(name), "{error}");
        }
        let error = auth(Some("AC1"), Some("  "), None, None)
            .credentials()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not"),
            "{error}"
        );
    }

    #[test]
    fn debug_of_the_flags_hides_secrets() {
        let text = format!(
            "{:?}",
            auth(Some("AC1"), Some("tok-xyz"), Some("SK1"), Some("sec-xyz"))
        );
        assert!(!text.contains("xyz"), "{text}");
        assert!(text.contains("AC1") && text.contains("SK1"), "{text}");
    }

    #[test]
    fn tables_align_columns_and_trim_line_ends() {
        let mut table = Table::new(["SID", "STATUS", "NOTE"]);
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
