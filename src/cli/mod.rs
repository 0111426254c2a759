//! Command-line definitions (clap): every flag of every command, and the one step that turns a
//! command's flags into its checked settings. Names follow the command-line contract of
//! docs/architecture.md.
//!
//! Here are the top-level [`Cli`] and its [`Command`]s; each group of flags has its file
//! (`listen.rs`, `send.rs`, `events_admin.rs`, [`OutputArgs`] in `output.rs`, [`ApiAuthArgs`]
//! and `--auth-token-file` in `auth.rs`, [`UsageError`] in `error.rs`). Each `*Args::check`
//! makes every check that needs nothing from outside (a usage error, exit 2, when one fails)
//! and returns the command's `*Settings`; the runners in `commands` take only those (checks
//! that need the outside world — binding a port, asking a tunnel, reading a file — stay there).
//! `cli` imports neither `commands` nor `config`: `config` reads the clap definition to lay the
//! config file and the environment under the flags.

mod auth;
mod completions;
mod config;
mod demo;
mod error;
mod events_admin;
mod export;
mod insights;
mod kinesis;
mod listen;
mod man;
mod output;
mod replay;
mod send;
mod setup;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use auth::{ApiAuthArgs, InsightsBaseArgs, read_auth_token_files};
pub use completions::CompletionsArgs;
pub use config::{ConfigArgs, ConfigCommand, ConfigSettings};
pub use demo::{DemoArgs, DemoSettings};
pub use error::UsageError;
pub(crate) use events_admin::{DEFAULT_SINK_DESCRIPTION, DEFAULT_SUBSCRIPTION_DESCRIPTION};
pub use events_admin::{
    EventsApiSettings, JsonFlag, SinksArgs, SinksCommand, SinksSettings, SubscriptionsAction,
    SubscriptionsArgs, SubscriptionsCommand, SubscriptionsSettings, TYPE_GROUPS, TypesArgs,
    TypesSettings, resolve_event_types,
};
pub use export::{ExportArgs, ExportFormat, ExportSettings};
pub use insights::{
    AnnotateArgs, AnnotateSettings, CallArgs, CallSettings, PollArgs, PollSettings,
    check_annotation,
};
pub use kinesis::{KinesisArgs, KinesisSettings};
pub use listen::{ListenArgs, ListenSettings, PublicUrlChoice};
pub use man::ManArgs;
pub use output::{ColorChoice, OutputArgs, color_enabled};
pub use replay::{ReplayAction, ReplayArgs, ReplaySettings, ReplayShow, ReplaySpeed, ReplayVerify};
pub use send::{SendArgs, SendScenario, SendSettings, SummaryStage};
pub use setup::{KinesisSetupSettings, SetupArgs, SetupMode, SetupSettings};
pub use verify::{VerifyArgs, VerifySettings};
/// callwatch: a live terminal monitor and webhook sink for Twilio Voice Insights call summaries.
///
/// Twilio Event Streams POSTs call-summary events to a webhook sink; callwatch is that sink. It
/// verifies every delivery's X-Twilio-Signature, and shows calls (states, carriers, disconnect
/// causes) live in a table, or as ndjson lines for scripts.
#[derive(Debug, Parser)]
#[command(name = "callwatch", version, about, long_about)]
#[command(
    after_help = "Try it with `callwatch demo` (no Twilio account needed).\n\
With a real account: start a tunnel (ngrok http 8080), set TWILIO_ACCOUNT_SID and\n\
TWILIO_AUTH_TOKEN, then\n  \
callwatch setup --public-url https://<tunnel>/events\n\
which creates (or finds) the Event Streams sink and its subscription, proves delivery with a\n\
signed test event, then shows calls live (`callwatch setup --help`).\n\n\
Exit codes: 0 success, 1 runtime failure, 2 usage error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags every command takes: where the config file and the log are, how much is logged.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Read defaults from this TOML file instead of the platform's config file (see the end of
    /// `callwatch --help`; `callwatch config template` writes one).
    #[arg(long, global = true, env = "CALLWATCH_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Write the log to this file instead of the platform's state directory.
    #[arg(long, global = true, env = "CALLWATCH_LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Log more detail: -v debug, -vv trace (else RUST_LOG, else info).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    /// Read the Amazon Kinesis stream a Twilio Kinesis sink writes to, and show its calls
    /// (many viewers, no tunnel, replay up to the stream's retention).
    Kinesis(KinesisArgs),
    /// Play a recording (--record) again, check its signatures, or resend it to another sink.
    Replay(ReplayArgs),
    /// Write the final state of every call in a recording as CSV or JSON.
    Export(ExportArgs),
    /// Check one delivery's signature and body hash by hand, printing every URL variant.
    Verify(VerifyArgs),
    /// Sign deliveries as Twilio does and POST them to a sink (like `stripe trigger`).
    Send(SendArgs),
    /// From nothing to a verified live sink: create (or find) the sink and its subscription,
    /// prove delivery with Twilio's signed test event, then monitor.
    Setup(SetupArgs),
    /// Print a config file template, the settings in effect (and where each came from), or the
    /// config file's path.
    Config(ConfigArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write every page with --dir.
    Man(ManArgs),
    /// Watch calls with no listener and no tunnel: poll Twilio's Voice Insights API for call
    /// summaries (credentials alone).
    Poll(PollArgs),
    /// Show one call in depth from the Voice Insights API: summary, events, metrics and
    /// annotation.
    Call(CallArgs),
    /// Save a person's verdict on a call (Voice Insights annotation).
    Annotate(AnnotateArgs),
}
