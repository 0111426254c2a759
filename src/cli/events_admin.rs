//! The flags of `callwatch sinks`, `callwatch subscriptions` and `callwatch types` (the Events
//! v1 API from the command line), with the descriptions they give by default.

use std::ffi::OsStr;

use clap::builder::TypedValueParser;

use super::{ApiAuthArgs, UsageError};
use crate::twilio::api::Credentials;
use crate::twilio::cloudevent::CALL_SUMMARY_TYPES;
use crate::twilio::url::validate_public_url;

/// The paragraph about credentials that ends every `--help` here (a macro so `concat!` can
/// use it).
macro_rules! credentials_help {
    () => {
        "Credentials come from flags or the variables Twilio's own tools use: TWILIO_ACCOUNT_SID +
TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET (an API key is used when both of
its parts are set). Secrets are never printed."
    };
}

/// `--json`: machine-readable output.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct JsonFlag {
    /// Print the API objects as JSON (an array for lists) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

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
        #[arg(long, value_name = "URL", value_parser = PublicUrlParser)]
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

/// `sinks create --public-url`: [`validate_public_url`], the check every public URL goes
/// through, as a clap value parser. The value is kept as given (Twilio signs that string); a
/// refused one is shown in clap's "invalid value" error with its password masked, as
/// [`display_url`](crate::twilio::url::display_url) shows it, never as typed.
#[derive(Debug, Clone, Copy)]
struct PublicUrlParser;

impl TypedValueParser for PublicUrlParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        let Some(url) = value.to_str() else {
            // clap's own "invalid UTF-8" error, which does not show the value.
            return clap::builder::StringValueParser::new().parse_ref(cmd, arg, value);
        };
        validate_public_url(url).map_err(|error| {
            // clap shows the value it was handed: hand it the masked URL.
            let problem = error.problem();
            let refuse = move |_: &str| Err::<String, _>(problem.clone());
            refuse
                .parse_ref(cmd, arg, OsStr::new(&error.shown))
                .expect_err("always refuses")
        })?;
        Ok(url.to_owned())
    }
}

/// The description given to subscriptions by default.
pub(crate) const DEFAULT_SUBSCRIPTION_DESCRIPTION: &str = "callwatch call summaries";

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

/// Where the Events API is and who calls it, checked: the credentials are complete; the base
/// URL is checked when the command builds its client from it.
#[derive(Debug, Clone)]
pub struct EventsApiSettings {
    /// Base URL of the Events API, as given.
    pub api_base: String,
    /// An API key pair, or the Account SID and Auth Token.
    pub credentials: Credentials,
}

impl EventsApiSettings {
    /// [`ApiAuthArgs::credentials`], whose only error is a [`UsageError`].
    fn check(api: ApiAuthArgs) -> Result<Self, UsageError> {
        let credentials = api
            .credentials()
            .map_err(|e| match e.downcast::<UsageError>() {
                Ok(usage) => usage,
                Err(other) => UsageError(format!("{other:#}")),
            })?;
        Ok(Self {
            api_base: api.api_base,
            credentials,
        })
    }
}

/// `callwatch sinks ...`, checked: what [`SinksArgs::check`] gives the command.
#[derive(Debug)]
pub struct SinksSettings {
    /// What to do (a `--public-url` is checked while parsing).
    pub command: SinksCommand,
    pub api: EventsApiSettings,
    /// `--json`.
    pub json: bool,
}

impl SinksArgs {
    /// Checks the credentials; gives the settings `sinks` runs with.
    pub fn check(self) -> Result<SinksSettings, UsageError> {
        Ok(SinksSettings {
            api: EventsApiSettings::check(self.api)?,
            command: self.command,
            json: self.output.json,
        })
    }
}

/// What `callwatch subscriptions` does, with `create`'s event types resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionsAction {
    /// List subscriptions, optionally only those delivering to this sink.
    List { sink: Option<String> },
    /// Subscribe `sink` to `types`.
    Create {
        sink: String,
        /// Each event type (trimmed, none empty; the call-summary types by default) with the
        /// schema version to ask for (`None`: the latest).
        types: Vec<(String, Option<u32>)>,
        description: String,
    },
    /// Delete a subscription.
    Delete { sid: String },
}

impl From<SubscriptionsCommand> for SubscriptionsAction {
    fn from(command: SubscriptionsCommand) -> Self {
        match command {
            SubscriptionsCommand::List { sink } => Self::List { sink },
            SubscriptionsCommand::Create {
                sink,
                types,
                schema_version,
                description,
            } => {
                let types = if types.is_empty() {
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
                Self::Create {
                    sink,
                    types,
                    description,
                }
            }
            SubscriptionsCommand::Delete { sid } => Self::Delete { sid },
        }
    }
}

/// `callwatch subscriptions ...`, checked: what [`SubscriptionsArgs::check`] gives the command.
#[derive(Debug)]
pub struct SubscriptionsSettings {
    /// What to do.
    pub command: SubscriptionsAction,
    pub api: EventsApiSettings,
    /// `--json`.
    pub json: bool,
}

impl SubscriptionsArgs {
    /// Checks the credentials; gives the settings `subscriptions` runs with.
    pub fn check(self) -> Result<SubscriptionsSettings, UsageError> {
        Ok(SubscriptionsSettings {
            api: EventsApiSettings::check(self.api)?,
            command: self.command.into(),
            json: self.output.json,
        })
    }
}

/// `callwatch types ...`, checked: what [`TypesArgs::check`] gives the command.
#[derive(Debug)]
pub struct TypesSettings {
    /// Show only types whose name or schema contains this text, lowercased.
    pub filter: Option<String>,
    pub api: EventsApiSettings,
    /// `--json`.
    pub json: bool,
}

impl TypesArgs {
    /// Checks the credentials; gives the settings `types` runs with.
    pub fn check(self) -> Result<TypesSettings, UsageError> {
        Ok(TypesSettings {
            api: EventsApiSettings::check(self.api)?,
            filter: self.filter.as_deref().map(str::to_lowercase),
            json: self.output.json,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `sinks create` with `url` through the value parser, as clap does.
    fn parse_public_url(url: &str) -> Result<String, String> {
        let cmd = clap::Command::new("sinks").arg(
            clap::Arg::new("public-url")
                .long("public-url")
                .value_name("URL")
                .value_parser(PublicUrlParser),
        );
        cmd.try_get_matches_from(["sinks", "--public-url", url])
            .map(|m| m.get_one::<String>("public-url").expect("value").clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn public_urls_are_checked_by_the_one_checker_and_kept_as_given() {
        assert_eq!(
            parse_public_url("https://example.ngrok.app/events").as_deref(),
            Ok("https://example.ngrok.app/events")
        );
        // A scheme is case-insensitive; the URL is kept as written, since Twilio signs that.
        assert_eq!(
            parse_public_url("HTTPS://u:p@Example.ngrok.app/events").as_deref(),
            Ok("HTTPS://u:p@Example.ngrok.app/events")
        );
        for (url, problem) in [
            ("example.ngrok.app/events", "it is not an absolute URL"),
            ("ftp://example.com/", "it must start with https://"),
            ("https://example.ngrok.app:0/events", "it has port 0"),
            (
                "https://example.ngrok.app:65536/events",
                "it has port 65536",
            ),
            ("https://example.ngrok.app/events#x", "it has a fragment"),
        ] {
            let error = parse_public_url(url).expect_err(url);
            assert!(
                error.contains(&format!(
                    "invalid value '{url}' for '--public-url <URL>': {problem}"
                )),
                "{error}"
            );
        }
    }

    #[test]
    fn a_refused_url_is_shown_with_its_password_masked() {
        let error = parse_public_url("ftp://u:secret@example.com/e?").expect_err("ftp");
        assert!(
            error.contains("invalid value 'ftp://u:•••@example.com/e?' for '--public-url <URL>'"),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn subscription_types_default_to_call_summaries_and_are_trimmed() {
        let create = |types: &[&str]| {
            SubscriptionsAction::from(SubscriptionsCommand::Create {
                sink: "DG1".into(),
                types: types.iter().map(|t| (*t).to_owned()).collect(),
                schema_version: Some(2),
                description: "d".into(),
            })
        };
        let SubscriptionsAction::Create { types, .. } = create(&[]) else {
            panic!("create");
        };
        let expected: Vec<_> = CALL_SUMMARY_TYPES
            .iter()
            .map(|t| ((*t).to_owned(), Some(2)))
            .collect();
        assert_eq!(types, expected);
        let SubscriptionsAction::Create { types, .. } = create(&[" a.b ", "", "c"]) else {
            panic!("create");
        };
        assert_eq!(
            types,
            [("a.b".to_owned(), Some(2)), ("c".to_owned(), Some(2))]
        );
    }
}
