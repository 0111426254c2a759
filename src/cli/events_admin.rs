//! The flags of `callwatch sinks`, `callwatch subscriptions` and `callwatch types` (the Events
//! v1 API from the command line), with the descriptions they give by default.

use std::ffi::OsStr;

use clap::builder::TypedValueParser;

use super::{ApiAuthArgs, UsageError};
use crate::text::edit_distance;
use crate::twilio::api::Credentials;
use crate::twilio::cloudevent::{CALL_SUMMARY_TYPES, INSIGHTS_TYPES, LIVE_TYPES};
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
    /// Create a webhook sink that POSTs events, one per request, to a public URL; or, with
    /// --kinesis, a Kinesis sink that writes them to an Amazon Kinesis stream.
    #[command(
        after_help = "Examples:\n  callwatch sinks create --public-url https://example.ngrok.app/events\n  \
        callwatch sinks create --kinesis arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events \\\n    \
        --role-arn arn:aws:iam::123456789012:role/twilio-events --external-id 5f1c9d0e\n\n\
        Then subscribe it to the seven Call Insights types:\n  callwatch subscriptions create --sink DG…\n\
        A Kinesis sink is `initialized` until validated: `sinks test`, read the test_id with\n\
        `callwatch kinesis STREAM --from trim-horizon`, then `sinks validate SID --test-id ID`\n\
        (README: \"Many viewers: Kinesis\" has the IAM role Twilio needs)."
    )]
    Create {
        /// The public HTTPS URL Twilio will POST events to (your tunnel + path).
        #[arg(
            long,
            value_name = "URL",
            value_parser = PublicUrlParser,
            required_unless_present = "kinesis",
            conflicts_with = "kinesis"
        )]
        public_url: Option<String>,
        /// A Kinesis sink instead: the ARN of the stream Twilio writes to.
        #[arg(long, value_name = "STREAM_ARN", value_parser = parse_kinesis_arn, requires_all = ["role_arn", "external_id"])]
        kinesis: Option<String>,
        /// With --kinesis: the IAM role Twilio assumes to write to the stream.
        #[arg(long, value_name = "ROLE_ARN", requires = "kinesis", value_parser = parse_role_arn)]
        role_arn: Option<String>,
        /// With --kinesis: the external ID in the role's trust policy (sts:ExternalId).
        #[arg(long, value_name = "ID", requires = "kinesis")]
        external_id: Option<String>,
        /// A description for the sink; Twilio asks that it contain no personal data.
        #[arg(long, value_name = "TEXT", default_value = DEFAULT_SINK_DESCRIPTION)]
        description: String,
        /// With --kinesis: then ask for a Sink Test, read the test event back from the stream
        /// (AWS credentials as for `callwatch kinesis`) and validate the sink with its test_id,
        /// which makes it active. `callwatch setup --kinesis` does this and subscribes it too.
        #[arg(long, requires = "kinesis")]
        test: bool,
        /// With --test: the AWS region to read the stream in [default: the ARN's].
        #[arg(long, value_name = "REGION", requires = "test")]
        region: Option<String>,
        /// With --test: a Kinesis endpoint instead of AWS's (a VPC endpoint, a local Kinesis).
        #[arg(long, value_name = "URL", requires = "test")]
        endpoint_url: Option<String>,
        /// With --test: seconds to wait for the test event in the stream.
        #[arg(
            long,
            value_name = "SECS",
            default_value_t = 60,
            value_parser = clap::value_parser!(u64).range(1..=3600)
        )]
        test_timeout: u64,
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

/// `sinks create --kinesis`: a Kinesis stream ARN (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`).
fn parse_kinesis_arn(text: &str) -> Result<String, String> {
    match crate::kinesis::StreamRef::parse(text) {
        Ok(stream) if stream.arn.is_some() => Ok(text.to_owned()),
        Ok(_) => Err(format!(
            "`{text}` is a stream name: Twilio needs the stream's ARN \
             (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)"
        )),
        Err(e) => Err(e),
    }
}

/// `sinks create --role-arn`: an IAM role ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
fn parse_role_arn(text: &str) -> Result<String, String> {
    let valid = text
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .and_then(|(_, rest)| rest.split_once(":role/"))
        .is_some_and(|(account, name)| {
            !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        ))
    }
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
pub(crate) const DEFAULT_SUBSCRIPTION_DESCRIPTION: &str = "callwatch call insights";

/// The groups `--types` takes, each with its types, the default first.
pub const TYPE_GROUPS: [(&str, &[&str]); 3] = [
    ("insights", &INSIGHTS_TYPES),
    ("summaries", &CALL_SUMMARY_TYPES),
    ("live", &LIVE_TYPES),
];

/// The prefix a Call Insights type may be given without (`call-event.sdk`).
const INSIGHTS_PREFIX: &str = "com.twilio.voice.insights.";

/// What `--types` takes, for `--help` (a macro so `concat!` can use it).
macro_rules! types_help {
    () => {
        "Event types to subscribe to: groups or type names, comma- or space-separated, mixed as \
         you like. Groups: `insights` (the seven Call Insights types, the default), `summaries` \
         (the three call summaries: partial, predicted-complete, complete) and `live` (the four \
         live ones: call-event.gateway, call-event.sdk, call-metrics.gateway, \
         call-metrics.sdk). A Call Insights type may drop its `com.twilio.voice.insights.` \
         prefix; any other Twilio type is given in full (`callwatch types` lists them). Each is \
         subscribed at the schema version Twilio lists for it."
    };
}
pub(crate) use types_help;

/// `--types` as given, resolved to event types: every value is split at commas and
/// whitespace; a group (case-insensitive) stands for its types, a Call Insights type may drop
/// its `com.twilio.voice.insights.` prefix, and any other name with a dot is a Twilio event
/// type as written. Order is kept and repeats dropped (Twilio refuses a duplicated type).
/// Nothing given: the seven [`INSIGHTS_TYPES`].
///
/// A word that is neither a group nor a type name, or a near miss of a Call Insights type, is
/// a [`UsageError`] naming the groups and the nearest name.
pub fn resolve_event_types(values: &[String]) -> Result<Vec<String>, UsageError> {
    let words: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        if values.is_empty() {
            return Ok(INSIGHTS_TYPES.iter().map(|t| (*t).to_owned()).collect());
        }
        return Err(unknown_type_error("", None));
    }
    let mut types: Vec<String> = Vec::new();
    let mut push = |t: &str| {
        if !types.iter().any(|have| have == t) {
            types.push(t.to_owned());
        }
    };
    for word in words {
        let lower = word.to_ascii_lowercase();
        if let Some((_, group)) = TYPE_GROUPS.iter().find(|(name, _)| *name == lower) {
            group.iter().for_each(|t| push(t));
        } else if let Some(full) = INSIGHTS_TYPES
            .iter()
            .find(|t| **t == word || t.strip_prefix(INSIGHTS_PREFIX) == Some(word))
        {
            push(full);
        } else if let Some(near) = nearest_type_name(word) {
            return Err(unknown_type_error(word, Some(near)));
        } else if word.contains('.') {
            push(word);
        } else {
            return Err(unknown_type_error(word, None));
        }
    }
    Ok(types)
}

/// The group or Call Insights type a misspelled `word` most likely meant; `None` when nothing
/// is close.
fn nearest_type_name(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    let chars = lower.chars().count();
    let groups = TYPE_GROUPS.iter().map(|(name, _)| *name);
    // `summary`, `insight`: a group that shares a long start with the word.
    if !lower.contains('.') && chars >= 4 {
        let shares_start = |name: &&str| {
            let common = name
                .chars()
                .zip(lower.chars())
                .take_while(|(a, b)| a == b)
                .count();
            common >= 4 && common + 3 >= chars.max(name.len())
        };
        if let Some(name) = groups.clone().find(shares_start) {
            return Some(name);
        }
    }
    let short = INSIGHTS_TYPES
        .iter()
        .filter_map(|t| t.strip_prefix(INSIGHTS_PREFIX));
    let (candidates, limit): (Vec<&'static str>, usize) = if lower.starts_with(INSIGHTS_PREFIX) {
        (INSIGHTS_TYPES.to_vec(), 3)
    } else if lower.contains('.') {
        (short.collect(), 2)
    } else {
        let limit = if chars >= 4 { 2 } else { 1 };
        (groups.chain(short).collect(), limit)
    };
    candidates
        .into_iter()
        .map(|name| (edit_distance(&lower, name), name))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

/// The usage error for a `--types` word that names nothing.
fn unknown_type_error(word: &str, near: Option<&str>) -> UsageError {
    let mut message = if word.is_empty() {
        "--types: no event type given".to_owned()
    } else {
        format!("--types: unknown event type or group '{word}'")
    };
    if let Some(near) = near {
        message.push_str(&format!(" (did you mean '{near}'?)"));
    }
    message.push_str(
        ". Groups: insights (the seven Call Insights types, the default), summaries (the three \
         call summaries), live (the four live types); or event types by name, such as \
         com.twilio.voice.insights.call-summary.complete (`callwatch types` lists them)",
    );
    UsageError(message)
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
  callwatch subscriptions create --sink DG0123456789abcdef0123456789abcdef --types summaries
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
    /// Subscribe a sink to event types (by default the seven Call Insights types).
    Create {
        /// The sink (DG…) that receives the events; it must be active.
        #[arg(long, value_name = "SID")]
        sink: String,
        #[arg(
            long,
            value_name = "GROUP|TYPE",
            num_args = 1..,
            help = concat!(types_help!(), " --schema-version overrides it for every type.")
        )]
        types: Vec<String>,
        /// Schema version for every type; without it each type gets the version Twilio lists
        /// for its schema.
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
        /// The event types ([`resolve_event_types`]: the seven Call Insights types by default).
        types: Vec<String>,
        /// `--schema-version` for every type; `None`: each at the version Twilio lists.
        schema_version: Option<u32>,
        description: String,
    },
    /// Delete a subscription.
    Delete { sid: String },
}

impl TryFrom<SubscriptionsCommand> for SubscriptionsAction {
    type Error = UsageError;

    fn try_from(command: SubscriptionsCommand) -> Result<Self, UsageError> {
        Ok(match command {
            SubscriptionsCommand::List { sink } => Self::List { sink },
            SubscriptionsCommand::Create {
                sink,
                types,
                schema_version,
                description,
            } => Self::Create {
                sink,
                types: resolve_event_types(&types)?,
                schema_version,
                description,
            },
            SubscriptionsCommand::Delete { sid } => Self::Delete { sid },
        })
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
            command: self.command.try_into()?,
            api: EventsApiSettings::check(self.api)?,
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

    fn resolve(values: &[&str]) -> Result<Vec<String>, String> {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        resolve_event_types(&values).map_err(|e| e.0)
    }

    fn owned(types: &[&str]) -> Vec<String> {
        types.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn without_types_the_seven_insights_types_are_subscribed() {
        assert_eq!(resolve(&[]).unwrap(), owned(&INSIGHTS_TYPES));
        assert_eq!(INSIGHTS_TYPES.len(), 7);
    }

    #[test]
    fn each_group_stands_for_its_types_whatever_its_case() {
        assert_eq!(resolve(&["insights"]).unwrap(), owned(&INSIGHTS_TYPES));
        assert_eq!(resolve(&["summaries"]).unwrap(), owned(&CALL_SUMMARY_TYPES));
        assert_eq!(resolve(&["live"]).unwrap(), owned(&LIVE_TYPES));
        assert_eq!(resolve(&["LIVE"]).unwrap(), owned(&LIVE_TYPES));
        assert_eq!(resolve(&["Summaries"]).unwrap().len(), 3);
    }

    #[test]
    fn groups_and_names_mix_with_commas_and_spaces_and_repeats_are_dropped() {
        let sdk = "com.twilio.voice.insights.call-event.sdk";
        let messaging = "com.twilio.messaging.message.delivered";
        let mut expected = owned(&CALL_SUMMARY_TYPES);
        expected.push(sdk.to_owned());
        expected.push(messaging.to_owned());
        // Separate arguments (`--types a b`), commas, spaces inside one argument, both.
        for values in [
            vec!["summaries", sdk, messaging],
            vec!["summaries,call-event.sdk,com.twilio.messaging.message.delivered"],
            vec!["summaries call-event.sdk  com.twilio.messaging.message.delivered"],
            vec![
                "summaries, call-event.sdk",
                ",com.twilio.messaging.message.delivered,",
            ],
        ] {
            assert_eq!(resolve(&values).unwrap(), expected, "{values:?}");
        }
        // A group and its members, twice: each type once, in the order first given.
        assert_eq!(
            resolve(&["live,insights", "summaries", "call-metrics.sdk"]).unwrap(),
            [owned(&LIVE_TYPES), owned(&CALL_SUMMARY_TYPES),].concat()
        );
        assert_eq!(
            resolve(&["summaries live"]).unwrap(),
            [owned(&CALL_SUMMARY_TYPES), owned(&LIVE_TYPES)].concat()
        );
    }

    #[test]
    fn short_insights_names_are_completed_and_other_types_kept_as_written() {
        assert_eq!(
            resolve(&["call-metrics.gateway"]).unwrap(),
            ["com.twilio.voice.insights.call-metrics.gateway"]
        );
        assert_eq!(
            resolve(&["com.twilio.voice.insights.conference-summary.complete"]).unwrap(),
            ["com.twilio.voice.insights.conference-summary.complete"]
        );
    }

    #[test]
    fn unknown_words_are_usage_errors_naming_the_groups_and_the_nearest_name() {
        for (given, near) in [
            ("insight", Some("insights")),
            ("summary", Some("summaries")),
            ("lve", Some("live")),
            ("call-sumary.complete", Some("call-summary.complete")),
            (
                "com.twilio.voice.insights.call-metric.sdk",
                Some("com.twilio.voice.insights.call-metrics.sdk"),
            ),
            ("everything", None),
        ] {
            let error = resolve(&["live", given]).expect_err(given);
            assert!(
                error.starts_with(&format!("--types: unknown event type or group '{given}'")),
                "{error}"
            );
            match near {
                Some(near) => assert!(
                    error.contains(&format!("(did you mean '{near}'?)")),
                    "{error}"
                ),
                None => assert!(!error.contains("did you mean"), "{error}"),
            }
            assert!(
                error.contains("Groups: insights (the seven Call Insights types, the default), summaries (the three call summaries), live (the four live types)"),
                "{error}"
            );
        }
        let error = resolve(&[", "]).expect_err("only separators");
        assert!(error.starts_with("--types: no event type given"), "{error}");
    }

    #[test]
    fn create_resolves_its_types_and_keeps_the_schema_version() {
        let action = SubscriptionsAction::try_from(SubscriptionsCommand::Create {
            sink: "DG1".into(),
            types: vec!["summaries".into()],
            schema_version: Some(2),
            description: "d".into(),
        })
        .unwrap();
        assert_eq!(
            action,
            SubscriptionsAction::Create {
                sink: "DG1".into(),
                types: owned(&CALL_SUMMARY_TYPES),
                schema_version: Some(2),
                description: "d".into(),
            }
        );
        let refused = SubscriptionsAction::try_from(SubscriptionsCommand::Create {
            sink: "DG1".into(),
            types: vec!["nope".into()],
            schema_version: None,
            description: "d".into(),
        });
        assert!(refused.is_err());
    }
}
