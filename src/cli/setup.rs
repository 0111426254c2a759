//! The flags of `callwatch setup` (every `listen` flag, and what the Sink Test needs), and
//! what setup needs of them beyond `listen`.

use std::time::Duration;

use clap::Args;

use super::events_admin::types_help;
use super::{KinesisSettings, ListenArgs, ListenSettings, UsageError, resolve_event_types};
use crate::kinesis::{StartAt, StreamRef};
use crate::session::ViewOptions;
use crate::twilio::api::{CredentialKind, Credentials, EventsClient};
use crate::twilio::provision::KinesisTarget;

/// `callwatch setup`: every `listen` flag, and what the Sink Test needs.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
export TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=...\n  \
callwatch setup --public-url https://abc123.ngrok.app/events\n  \
callwatch setup --tunnel ngrok --cleanup     # delete the sink and subscription again on exit\n  \
callwatch setup --public-url https://abc123.ngrok.app/events --output ndjson | jq .\n  \
callwatch setup --kinesis arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events \\\n      \
--role-arn arn:aws:iam::123456789012:role/twilio-events --external-id YOUR-EXTERNAL-ID\n\n\
Steps, each marked ✓ or ✗ on stderr: listen on --port; find the webhook sink whose destination\n\
is the public URL (or create it); make sure a subscription sends it the --types (by default the\n\
seven Call Insights types, each at the schema version Twilio lists; a subscription that sends\n\
some of them is completed with the others); ask Twilio for a Sink Test and wait for the signed\n\
test event to arrive and verify; confirm it with Validate; then monitor. Running setup again\n\
creates nothing new.\n\n\
With --kinesis (README: \"Many viewers: Kinesis\"): no listener and no tunnel. Read the stream\n\
(--region, --endpoint-url and AWS credentials as for `callwatch kinesis`); find the Kinesis sink\n\
for that stream, role and external ID (or create it); ask for a Sink Test and read the test\n\
event back from the stream; Validate; then subscribe it (Twilio subscribes only active sinks)\n\
and show the stream. No test event in time: check the role's trust policy and external ID.\n\n\
Credentials: TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET for\n\
the API; with an API key the Auth Token is still needed, because Twilio signs deliveries with it\n\
(not with --kinesis: nothing is signed).")]
pub struct SetupArgs {
    /// Where to listen, which URL Twilio delivers to, how to show calls, the credentials.
    #[command(flatten)]
    pub listen: ListenArgs,
    /// Seconds to wait for Twilio's signed test event.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub test_timeout: u64,
    /// Monitor even when the test event does not arrive or fails verification (setup then
    /// exits 1 otherwise).
    #[arg(long)]
    pub keep_going: bool,
    /// On exit, delete what this run created in Twilio (subscription first, then sink).
    #[arg(long)]
    pub cleanup: bool,
    #[arg(long, value_name = "GROUP|TYPE", num_args = 1.., help = types_help!())]
    pub types: Vec<String>,
    /// Set up a Kinesis sink writing to this stream (its ARN) instead of a webhook: no
    /// listener, no tunnel; the test event is read back from the stream, then the stream is
    /// shown like `callwatch kinesis` shows it.
    #[arg(
        long,
        value_name = "STREAM_ARN",
        requires_all = ["role_arn", "external_id"],
        conflicts_with_all = ["public_url", "tunnel", "trust_forwarded_headers"]
    )]
    pub kinesis: Option<String>,
    /// With --kinesis: the IAM role Twilio assumes to write to the stream.
    #[arg(long, value_name = "ROLE_ARN", requires = "kinesis")]
    pub role_arn: Option<String>,
    /// With --kinesis: the external ID the role's trust policy asks Twilio for.
    #[arg(long, value_name = "ID", requires = "kinesis")]
    pub external_id: Option<String>,
    /// With --kinesis: the AWS region to read the stream in [default: the ARN's].
    #[arg(long, value_name = "REGION", requires = "kinesis")]
    pub region: Option<String>,
    /// With --kinesis: a Kinesis endpoint instead of AWS's (a VPC endpoint, a local Kinesis).
    #[arg(long, value_name = "URL", requires = "kinesis")]
    pub endpoint_url: Option<String>,
}

/// Which sink `setup` sets up: a webhook it listens for, or a Kinesis stream it reads.
pub enum SetupMode {
    /// `--public-url` / `--tunnel`: the webhook flow.
    Webhook(Box<SetupSettings>),
    /// `--kinesis`: the Kinesis flow.
    Kinesis(Box<KinesisSetupSettings>),
}

/// What `setup --kinesis` runs with.
pub struct KinesisSetupSettings {
    /// The Events API client.
    pub client: EventsClient,
    /// The stream, the role and the external ID the sink is configured with.
    pub target: KinesisTarget,
    /// How the stream is read and shown afterwards (`from` is set when the test starts).
    pub view: KinesisSettings,
    /// `--test-timeout`.
    pub test_timeout: Duration,
    /// `--cleanup`.
    pub cleanup: bool,
    /// The event types to subscribe the sink to.
    pub types: Vec<String>,
}

/// What `setup` runs with: its flags, checked and typed. Built in one step by
/// [`SetupArgs::check`].
pub struct SetupSettings {
    /// The listener's settings (errors name `setup`).
    pub listen: ListenSettings,
    /// The Events API client, with the checked credentials and `--api-base`.
    pub client: EventsClient,
    /// `--test-timeout`.
    pub test_timeout: Duration,
    /// `--keep-going`.
    pub keep_going: bool,
    /// `--cleanup`.
    pub cleanup: bool,
    /// The event types to subscribe the sink to (`--types`, resolved; the seven Call Insights
    /// types by default).
    pub types: Vec<String>,
}

impl SetupArgs {
    /// Checks the flags of `setup` and turns them into the [`SetupMode`] they ask for.
    pub fn check_mode(self) -> Result<SetupMode, UsageError> {
        if self.kinesis.is_some() {
            self.check_kinesis()
                .map(|s| SetupMode::Kinesis(Box::new(s)))
        } else {
            self.check().map(|s| SetupMode::Webhook(Box::new(s)))
        }
    }

    /// Checks the flags of `setup --kinesis`: an ARN (Twilio needs one), the role and the
    /// external ID, the credentials (no Auth Token needed: nothing is signed), `--api-base`.
    fn check_kinesis(self) -> Result<KinesisSetupSettings, UsageError> {
        let types = resolve_event_types(&self.types)?;
        let (Some(arn), Some(role_arn), Some(external_id)) =
            (self.kinesis, self.role_arn, self.external_id)
        else {
            return Err(UsageError(
                "setup --kinesis needs --role-arn ROLE_ARN and --external-id ID".into(),
            ));
        };
        let stream = StreamRef::parse(&arn).map_err(|e| UsageError(format!("--kinesis: {e}")))?;
        if stream.arn.is_none() {
            return Err(UsageError(format!(
                "--kinesis `{arn}`: Twilio needs the stream's ARN \
                 (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME), not its name"
            )));
        }
        if !role_arn.starts_with("arn:") || !role_arn.contains(":iam::") {
            return Err(UsageError(format!(
                "--role-arn `{role_arn}` is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )));
        }
        if external_id.trim().is_empty() {
            return Err(UsageError("--external-id must not be empty".into()));
        }
        if let Some(url) = &self.endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(UsageError(format!(
                "--endpoint-url `{url}` must be an http:// or https:// URL"
            )));
        }
        let api = &self.listen.api;
        let credentials = api.credentials().map_err(|e| UsageError(e.to_string()))?;
        let client = EventsClient::new(&api.api_base, credentials)
            .map_err(|e| UsageError(format!("--api-base: {e}")))?;
        let output = &self.listen.output;
        let region = self.region.or_else(|| stream.region.clone());
        let view = KinesisSettings {
            stream,
            region,
            endpoint_url: self.endpoint_url,
            from: StartAt::Latest,
            duration: None,
            record: self.listen.record,
            view: ViewOptions {
                max_calls: self.listen.max_calls,
                ..output.view_options()?
            },
            output: output.mode(),
            color: output.color_enabled(),
        };
        Ok(KinesisSetupSettings {
            client,
            target: KinesisTarget {
                arn,
                role_arn,
                external_id,
            },
            view,
            test_timeout: Duration::from_secs(self.test_timeout),
            cleanup: self.cleanup,
            types,
        })
    }

    /// Checks the flags of `setup` together (credentials, `--api-base`, then every `listen`
    /// check) and turns them into [`SetupSettings`].
    pub fn check(self) -> Result<SetupSettings, UsageError> {
        let types = resolve_event_types(&self.types)?;
        let credentials = self.checked_credentials()?;
        let client = EventsClient::new(&self.listen.api.api_base, credentials)
            .map_err(|e| UsageError(format!("--api-base: {e}")))?;
        Ok(SetupSettings {
            listen: self.listen.check_for("setup")?,
            client,
            test_timeout: Duration::from_secs(self.test_timeout),
            keep_going: self.keep_going,
            cleanup: self.cleanup,
            types,
        })
    }

    /// Checks what setup needs beyond `listen`: a fixed public URL (not
    /// `--trust-forwarded-headers`), API credentials, and the Auth Token even when the API key
    /// authenticates. Gives the credentials for the Events API.
    pub fn checked_credentials(&self) -> Result<Credentials, UsageError> {
        if self.listen.trust_forwarded_headers {
            return Err(UsageError(
                "setup registers the public URL as the sink's destination, so it needs a fixed one: \
                 --public-url https://<tunnel>/events or --tunnel ngrok|cloudflared"
                    .into(),
            ));
        }
        let api = &self.listen.api;
        let credentials = api.credentials().map_err(|e| UsageError(e.to_string()))?;
        if credentials.kind() == CredentialKind::ApiKey
            && api
                .auth_token
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
        {
            return Err(UsageError(
                "setup authenticates to Twilio with the API key, but it also needs the account's Auth \
                 Token: Twilio signs every delivery with it, and an API key cannot check those \
                 signatures. Set TWILIO_AUTH_TOKEN or pass --auth-token."
                    .into(),
            ));
        }
        Ok(credentials)
    }
}
