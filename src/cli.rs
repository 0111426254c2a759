//! Command-line definitions (clap). Flags are parsed here and validated into the configs the
//! commands run with; names follow design.md's command-line contract.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::events_admin::{SinksArgs, SubscriptionsArgs, TypesArgs};
use crate::output::OutputMode;

/// callwatch: a live terminal monitor and webhook sink for Twilio Voice Insights call summaries.
///
/// Twilio Event Streams POSTs call-summary events to a webhook sink; callwatch is that sink. It
/// verifies every delivery's X-Twilio-Signature, and shows calls (states, carriers, disconnect
/// causes) live in a table, or as ndjson lines for scripts.
#[derive(Debug, Parser)]
#[command(name = "callwatch", version, about, long_about)]
#[command(after_help = "Start with `callwatch demo` (no Twilio account needed).\n\
With a real account: start a tunnel (ngrok http 8080), then\n  \
callwatch listen --public-url https://<tunnel>/events\n\
and point an Event Streams webhook sink at that URL.\n\n\
Exit codes: 0 success, 1 runtime failure, 2 usage error.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch simulated calls: a built-in fake Twilio signs and POSTs realistic deliveries.
    Demo(DemoArgs),
    /// Be the webhook sink: verify deliveries and show calls live.
    Listen(ListenArgs),
    /// Manage Event Streams sinks (Events v1 API).
    Sinks(SinksArgs),
    /// Manage Event Streams subscriptions (Events v1 API).
    Subscriptions(SubscriptionsArgs),
    /// List the event types Twilio offers.
    Types(TypesArgs),
}

/// Flags shared by every command that shows calls.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// How to show results [default: tui on a terminal, ndjson otherwise].
    #[arg(long, value_enum)]
    pub output: Option<OutputMode>,
}

impl OutputArgs {
    /// The mode asked for, or the default for this stdout.
    pub fn mode(&self) -> OutputMode {
        self.output.unwrap_or_else(OutputMode::default_for_stdout)
    }
}

/// `callwatch demo`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  callwatch demo\n  callwatch demo --rate 120 --seed 7\n  \
callwatch demo --output ndjson --duration 10 | jq 'select(.type==\"call\")'")]
pub struct DemoArgs {
    /// Port for the listener on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// New simulated calls per minute.
    #[arg(long, default_value_t = 30.0, value_parser = parse_rate)]
    pub rate: f64,
    /// Seed of the simulated calls: the same seed gives the same calls.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop simulating after this many seconds (line outputs then exit) [default: run until q or Ctrl-C].
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `callwatch listen`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
ngrok http 8080   # in another terminal, note the https URL\n  \
TWILIO_AUTH_TOKEN=... callwatch listen --public-url https://abc123.ngrok.app/events\n\n\
The public URL must be exactly the sink's destination: Twilio signs that URL.\n\
Twilio does not retry deliveries answered 4xx; use --reject-status 503 while debugging\n\
signatures so that rejected deliveries are retried once fixed.")]
pub struct ListenArgs {
    /// The URL Twilio delivers to (the sink destination), e.g. https://abc.ngrok.app/events.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Auth token of the account the sink belongs to (signs every delivery).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Secret of a Webhook SharedKey, for deliveries signed with HMAC-SHA256.
    #[arg(long, env = "CALLWATCH_SHARED_KEY_SECRET", hide_env_values = true)]
    pub shared_key_secret: Option<String>,
    /// HTTP status answered to deliveries whose signature or body hash fails.
    #[arg(long, default_value_t = 403, value_parser = clap::value_parser!(u16).range(400..=599))]
    pub reject_status: u16,
    /// Append every delivery to this file (ndjson) before acknowledging it.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Keep at most this many calls; the oldest finished calls are evicted first.
    #[arg(long, value_name = "N")]
    pub max_calls: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if rate.is_finite() && rate > 0.0 && rate <= 100_000.0 {
        Ok(rate)
    } else {
        Err("the rate must be above 0 and at most 100000 calls per minute".into())
    }
}
