//! The flags of `callwatch demo`, and the [`DemoSettings`] they become once checked
//! ([`DemoArgs::check`]).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{OutputArgs, UsageError};
use crate::output::OutputMode;
use crate::session::ViewOptions;

/// `callwatch demo`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Examples:\n  callwatch demo\n  callwatch demo --rate 120 --seed 7\n  \
callwatch demo --output ndjson --duration 10 | jq 'select(.type==\"call\")'\n  \
callwatch demo --record demo.ndjson --duration 30   # then: callwatch replay demo.ndjson\n  \
callwatch demo --forward-to http://localhost:3000/twilio/events   # your app gets them too"
)]
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
    /// Append every delivery to this file (one JSON line each), durably before acknowledging it.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Keep at most this many calls; the oldest finished calls are evicted first.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_calls: Option<usize>,
    /// POST every verified, non-duplicate delivery on to this URL too (your own app), body
    /// unchanged and signed again for this URL with the same key, e.g.
    /// --forward-to http://localhost:3000/twilio/events. Never delays the answer to Twilio.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What `demo` runs with: its flags, checked and typed. Built in one step by
/// [`DemoArgs::check`].
pub struct DemoSettings {
    /// Where the listener binds: loopback, `--port`.
    pub addr: SocketAddr,
    /// `--rate`, calls per minute.
    pub rate: f64,
    /// `--seed`.
    pub seed: u64,
    /// `--duration`; without it the demo runs until stopped.
    pub duration: Option<Duration>,
    /// `--record`.
    pub record: Option<PathBuf>,
    /// What every output shows from the start, `--max-calls` included.
    pub view: ViewOptions,
    /// The output asked for, or the default for this stdout.
    pub output: OutputMode,
    /// Whether the TUI uses colour.
    pub color: bool,
    /// `--forward-to`, checked.
    pub forward_to: Option<String>,
}

impl DemoArgs {
    /// Checks the flags of `demo` and turns them into [`DemoSettings`].
    pub fn check(self) -> Result<DemoSettings, UsageError> {
        Ok(DemoSettings {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)),
            rate: self.rate,
            seed: self.seed,
            duration: self.duration.map(Duration::from_secs_f64),
            record: self.record,
            view: ViewOptions {
                max_calls: self.max_calls,
                ..self.output.view_options()?
            },
            output: self.output.mode(),
            color: self.output.color_enabled(),
            forward_to: super::listen::check_forward_to(self.forward_to.as_deref())?,
        })
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if rate.is_finite() && rate > 0.0 && rate <= 100_000.0 {
        Ok(rate)
    } else {
        Err("the rate must be above 0 and at most 100000 calls per minute".into())
    }
}
