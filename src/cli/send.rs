//! The flags of `callwatch send`: the URL, the token, and what to send how often; and their
//! checks.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;

use super::UsageError;

use crate::demo::generator::Scenario;
use crate::twilio::cloudevent::{
    COMPLETE_TYPE, GATEWAY_EVENT_TYPE, GATEWAY_METRICS_TYPE, PARTIAL_TYPE, PREDICTED_COMPLETE_TYPE,
    SDK_EVENT_TYPE, SDK_METRICS_TYPE,
};

/// `--scenario`: a call outcome, a random one, or a sink test event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendScenario {
    /// One call ending this way.
    Call(Scenario),
    /// One call with an outcome picked like the demo does (mostly completed).
    Random,
    /// One completed client call whose quality degrades: jitter spikes in its samples, the
    /// Voice SDK raises a `high-jitter` warning and clears it, the summary is tagged.
    Degraded,
    /// A `com.twilio.eventstreams.test-event`, as `POST /v1/Sinks/{Sid}/Test` makes.
    TestEvent,
}

impl FromStr for SendScenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "random" => Ok(Self::Random),
            "degraded" => Ok(Self::Degraded),
            "test-event" | "test_event" | "test" => Ok(Self::TestEvent),
            other => other.parse().map(Self::Call).map_err(|_| {
                format!(
                    "unknown scenario `{s}`: expected completed, busy, noanswer, failed, \
                     canceled, degraded, test-event or random"
                )
            }),
        }
    }
}

/// `--event`: which of a call's events to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryStage {
    /// `com.twilio.voice.insights.call-event.gateway`: call progress (initiated, ringing,
    /// answered, then how it ended).
    Progress,
    /// `com.twilio.voice.insights.call-metrics.gateway`: a quality sample every 10 s of talk,
    /// per edge and direction (answered calls).
    Metrics,
    /// `com.twilio.voice.insights.call-event.sdk`: Voice SDK warnings and errors (client calls
    /// whose quality suffers; always in --scenario degraded).
    SdkEvent,
    /// `com.twilio.voice.insights.call-metrics.sdk`: the Voice SDK's sample every 10 s, with
    /// MOS, RTT and jitter (answered client calls).
    SdkMetrics,
    /// `com.twilio.voice.insights.call-summary.partial` (one or two per call).
    Partial,
    /// `com.twilio.voice.insights.call-summary.predicted-complete`.
    PredictedComplete,
    /// `com.twilio.voice.insights.call-summary.complete`.
    Complete,
}

impl SummaryStage {
    /// The CloudEvent type of this stage.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Progress => GATEWAY_EVENT_TYPE,
            Self::Metrics => GATEWAY_METRICS_TYPE,
            Self::SdkEvent => SDK_EVENT_TYPE,
            Self::SdkMetrics => SDK_METRICS_TYPE,
            Self::Partial => PARTIAL_TYPE,
            Self::PredictedComplete => PREDICTED_COMPLETE_TYPE,
            Self::Complete => COMPLETE_TYPE,
        }
    }
}

/// `callwatch send`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch send https://abc.ngrok.app/events --scenario busy\n  \
callwatch send http://127.0.0.1:8080/events --scenario random --count 100 --concurrency 8\n  \
callwatch send https://abc.ngrok.app/events --scenario completed --event complete\n  \
callwatch send https://abc.ngrok.app/events --scenario degraded --event sdk-event\n  \
callwatch send https://abc.ngrok.app/events --body-file delivery.json\n\n\
A call scenario sends one call's whole sequence in order, one delivery per event, as\n\
Event Streams would have delivered it: its progress events, a quality sample every 10 s of\n\
talk (gateway, and the Voice SDK's on client calls) and SDK warnings, then its partial\n\
summaries, predicted-complete and complete (--event keeps one kind only). The call is\n\
dated just before the send, so that no event claims a moment still to come.\n\
--count repeats it with new calls; --concurrency runs that many sequences at once.\n\
The URL is the sink's destination: send appends bodySHA256 and signs the result with the\n\
auth token, as Twilio does, and sends User-Agent TwilioProxy/1.1.\n\n\
Exit codes: 0 every answer 2xx, 1 otherwise, 2 usage error.")]
pub struct SendArgs {
    /// The sink's destination URL, e.g. https://abc.ngrok.app/events.
    #[arg(value_name = "URL")]
    pub url: String,
    /// Auth token to sign with (the listener's TWILIO_AUTH_TOKEN).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Read the auth token from this file instead of --auth-token (surrounding whitespace and
    /// the final newline are ignored), so that it is not in the process list.
    #[arg(long, value_name = "PATH")]
    pub auth_token_file: Option<std::path::PathBuf>,
    /// What to send: completed, busy, noanswer, failed, canceled, degraded (a client call
    /// whose jitter spikes), random, or test-event [default: completed].
    #[arg(long, value_name = "NAME", conflicts_with = "body_file")]
    pub scenario: Option<SendScenario>,
    /// Send this file's bytes as the body, unchanged.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Send only this kind of each call's events [default: the whole sequence].
    #[arg(long, value_enum, value_name = "KIND", conflicts_with = "body_file")]
    pub event: Option<SummaryStage>,
    /// How many times to send the scenario (a new call each time) or the body file.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,
    /// How many sequences are in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Seed of the generated calls [default: from the clock, so each run sends new calls].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Per-request timeout in seconds (Twilio gives up after 5).
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub timeout: f64,
}

/// `callwatch send`, checked: what [`SendArgs::check`] gives the command.
#[derive(Clone)]
pub struct SendSettings {
    /// The sink's destination URL, trimmed; http or https.
    pub url: String,
    /// The auth token to sign with, not empty.
    pub auth_token: String,
    /// What to send, when no body file is given.
    pub scenario: SendScenario,
    /// Send this file's bytes instead of generated calls (read by the command).
    pub body_file: Option<PathBuf>,
    /// Send only this kind of each call's events.
    pub event: Option<SummaryStage>,
    /// How many sequences to send.
    pub count: u32,
    /// How many sequences are in flight at once.
    pub concurrency: u32,
    /// Seed of the generated calls; `None` takes it from the clock.
    pub seed: Option<u64>,
    /// Per-request timeout, positive.
    pub timeout: Duration,
}

impl std::fmt::Debug for SendSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendSettings")
            .field("url", &self.url)
            .field("auth_token", &"<hidden>")
            .field("scenario", &self.scenario)
            .field("body_file", &self.body_file)
            .field("event", &self.event)
            .field("count", &self.count)
            .field("concurrency", &self.concurrency)
            .field("seed", &self.seed)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SendArgs {
    /// Checks the URL (http or https), that a token is given and `--timeout`, in that order;
    /// gives the settings `send` runs with.
    pub fn check(self) -> Result<SendSettings, UsageError> {
        let url = self.url.trim().to_owned();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(UsageError(format!(
                "`{url}` is not an http(s) URL: give the sink's destination, e.g. https://abc.ngrok.app/events"
            )));
        }
        let Some(auth_token) = self.auth_token.filter(|t| !t.is_empty()) else {
            return Err(UsageError(
                "send signs like Twilio and needs the auth token: set TWILIO_AUTH_TOKEN or pass \
                 --auth-token (the token the sink verifies with)"
                    .into(),
            ));
        };
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(UsageError(
                "--timeout must be a positive number of seconds".into(),
            ));
        }
        Ok(SendSettings {
            url,
            auth_token,
            scenario: self
                .scenario
                .unwrap_or(SendScenario::Call(Scenario::Completed)),
            body_file: self.body_file,
            event: self.event,
            count: self.count,
            concurrency: self.concurrency,
            seed: self.seed,
            timeout: Duration::from_secs_f64(self.timeout),
        })
    }
}
