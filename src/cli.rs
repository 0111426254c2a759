//! Command-line definitions (clap), validated into the configs the commands run with.

use clap::{Parser, Subcommand};

use crate::commands::events_admin::{SinksArgs, SubscriptionsArgs, TypesArgs};

/// callwatch: a live terminal monitor and webhook sink for Twilio Voice Insights call summaries.
#[derive(Debug, Parser)]
#[command(name = "callwatch", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage Event Streams sinks (Events v1 API).
    Sinks(SinksArgs),
    /// Manage Event Streams subscriptions (Events v1 API).
    Subscriptions(SubscriptionsArgs),
    /// List the event types Twilio offers.
    Types(TypesArgs),
}
