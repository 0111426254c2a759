//! The flags of `callwatch replay`, the check of those that depend on each other, and the
//! [`ReplaySettings`] they become once checked ([`ReplayArgs::check`]).

use std::path::PathBuf;

use clap::Args;

use super::{OutputArgs, UsageError};
use crate::output::OutputMode;
use crate::session::ViewOptions;
use crate::twilio::signature::Secrets;
use crate::twilio::url::validate_public_url;

/// `callwatch replay`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch replay calls.ndjson                      # watch a recording again, at its pace\n  \
callwatch replay calls.ndjson --speed 10           # ten times faster\n  \
callwatch replay calls.ndjson --max --output ndjson | jq 'select(.type==\"call\")'\n  \
callwatch replay calls.ndjson --verify --auth-token $TWILIO_AUTH_TOKEN\n  \
callwatch replay calls.ndjson --to https://staging.example.com/events --auth-token TOKEN --max\n\n\
Recordings are written by `listen --record FILE` and `demo --record FILE`.\n\
Signatures are not checked again by default: deliveries refused when they arrived stay refused,\n\
accepted ones are parsed and deduplicated again. --verify checks every signature against the\n\
URL it was signed for (recorded) with --auth-token; a URL with a password is recorded masked,\n\
so give it with --destination URL.\n\
--to re-signs each accepted delivery for URL with --auth-token, exactly as Twilio signs, and\n\
POSTs it; it prints each status and exits 1 if any was not answered 2xx.")]
pub struct ReplayArgs {
    /// The recording to play.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Play at the recorded pace times X (2 = twice as fast) [default: 1].
    #[arg(long, value_name = "X", value_parser = parse_speed, conflicts_with = "max")]
    pub speed: Option<f64>,
    /// Play as fast as possible.
    #[arg(long)]
    pub max: bool,
    /// Check every signature again against its recorded URL (needs --auth-token).
    #[arg(long, conflicts_with = "to")]
    pub verify: bool,
    /// With --verify: check each signature against URL (the sink's destination, as given to
    /// `listen --public-url`) plus the recorded query, instead of the recorded URL. Needed when
    /// the URL carries a password, which recordings keep masked.
    #[arg(long, value_name = "URL", requires = "verify")]
    pub destination: Option<String>,
    /// Resend instead of showing: re-sign each accepted delivery for URL and POST it there.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// With --to: resend the deliveries that were refused when recorded, too.
    #[arg(long, requires = "to")]
    pub include_refused: bool,
    /// Auth token for --verify (the one the deliveries were signed with) or --to (the one the
    /// receiver at URL verifies with).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Read the auth token from this file instead of --auth-token (surrounding whitespace and
    /// the final newline are ignored), so that it is not in the process list.
    #[arg(long, value_name = "PATH")]
    pub auth_token_file: Option<std::path::PathBuf>,
    /// SharedKey secret, for --verify of deliveries signed with HMAC-SHA256.
    #[arg(long, env = "CALLWATCH_SHARED_KEY_SECRET", hide_env_values = true)]
    pub shared_key_secret: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What `replay` runs with: its flags, checked and typed. Built in one step by
/// [`ReplayArgs::check`].
pub struct ReplaySettings {
    /// The recording.
    pub file: PathBuf,
    /// `--speed` or `--max`.
    pub speed: ReplaySpeed,
    /// Show the recording, or resend it (`--to`).
    pub action: ReplayAction,
}

/// The pace of a replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplaySpeed {
    /// The recorded pace (no `--speed`, no `--max`).
    Recorded,
    /// `--speed X`: X times the recorded pace.
    Times(f64),
    /// `--max`: as fast as possible.
    Max,
}

impl ReplaySpeed {
    /// How many times the recorded pace; `None` for as fast as possible.
    pub fn factor(self) -> Option<f64> {
        match self {
            ReplaySpeed::Recorded => Some(1.0),
            ReplaySpeed::Times(x) => Some(x),
            ReplaySpeed::Max => None,
        }
    }
}

/// What `replay` does with the recording.
pub enum ReplayAction {
    /// Show it in the chosen output (the default).
    Show(Box<ReplayShow>),
    /// `--to`: re-sign every delivery for `to` and POST it there.
    Resend {
        /// `--to`, checked as a public URL.
        to: String,
        /// The Auth Token to sign with.
        auth_token: String,
        /// `--include-refused`.
        include_refused: bool,
    },
}

/// How `replay` shows a recording.
pub struct ReplayShow {
    /// `--verify`: the secrets to check every signature with again.
    pub verify: Option<ReplayVerify>,
    /// What the output shows from the start.
    pub view: ViewOptions,
    /// The output asked for, or the default for this stdout.
    pub output: OutputMode,
    /// Whether the TUI uses colour.
    pub color: bool,
}

/// `--verify`.
pub struct ReplayVerify {
    /// The Auth Token (and `--shared-key-secret`) to check signatures with.
    pub secrets: Secrets,
    /// `--destination`: the URL the deliveries were signed for, when the recorded one is
    /// masked.
    pub destination: Option<String>,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let speed: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if speed.is_finite() && speed > 0.0 {
        Ok(speed)
    } else {
        Err("the speed must be a number above 0 (use --max for as fast as possible)".into())
    }
}

impl ReplayArgs {
    /// Checks the flags of `replay` together (the token and URLs, then `--filter`) and turns
    /// them into [`ReplaySettings`].
    pub fn check(self) -> Result<ReplaySettings, UsageError> {
        let token = self.checked_token()?;
        let view = self.output.view_options()?;
        let speed = match self.speed {
            _ if self.max => ReplaySpeed::Max,
            Some(x) => ReplaySpeed::Times(x),
            None => ReplaySpeed::Recorded,
        };
        let action = match (self.to, token) {
            (Some(to), Some(auth_token)) => ReplayAction::Resend {
                to,
                auth_token,
                include_refused: self.include_refused,
            },
            (_, token) => ReplayAction::Show(Box::new(ReplayShow {
                verify: token
                    .filter(|_| self.verify)
                    .map(|auth_token| ReplayVerify {
                        secrets: Secrets {
                            auth_token,
                            shared_key_secret: self.shared_key_secret,
                        },
                        destination: self.destination,
                    }),
                view,
                output: self.output.mode(),
                color: self.output.color_enabled(),
            })),
        };
        Ok(ReplaySettings {
            file: self.file,
            speed,
            action,
        })
    }

    /// Checks the flags that depend on each other (`--verify` and `--to` need a token, `--to`
    /// and `--destination` must be URLs Twilio could sign, `--to` shows nothing) and gives the
    /// auth token, `None` when absent or empty.
    pub fn checked_token(&self) -> Result<Option<String>, UsageError> {
        let token = self.auth_token.clone().filter(|t| !t.is_empty());
        if (self.verify || self.to.is_some()) && token.is_none() {
            return Err(UsageError(format!(
                "{} needs an auth token: pass --auth-token or set TWILIO_AUTH_TOKEN",
                if self.verify { "--verify" } else { "--to" }
            )));
        }
        if let Some(to) = &self.to {
            validate_public_url(to)
                .map_err(|e| UsageError(e.to_string().replace("--public-url", "--to")))?;
            if self.output.output.is_some() {
                return Err(UsageError(
                    "--to resends instead of showing; leave out --output".into(),
                ));
            }
        }
        if let Some(destination) = &self.destination {
            validate_public_url(destination)
                .map_err(|e| UsageError(e.to_string().replace("--public-url", "--destination")))?;
        }
        Ok(token)
    }
}
