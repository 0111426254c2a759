//! The flags of `callwatch listen` (which `setup` takes too), the parsers of their sizes and
//! durations, the check of where the public URL comes from ([`PublicUrlChoice`]), and the
//! [`ListenSettings`] those flags become once checked ([`ListenArgs::check`]).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{ApiAuthArgs, OutputArgs, UsageError};
use crate::output::OutputMode;
use crate::session::ViewOptions;
use crate::tunnel::TunnelKind;
use crate::twilio::monitor_api::DEFAULT_MONITOR_API_BASE;
use crate::twilio::url::validate_public_url;

/// `callwatch listen`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
ngrok http 8080   # in another terminal, note the https URL\n  \
TWILIO_AUTH_TOKEN=... callwatch listen --public-url https://abc123.ngrok.app/events\n  \
callwatch listen --tunnel ngrok              # asks the ngrok agent, or starts `ngrok http 8080`\n  \
callwatch listen --tunnel cloudflared        # starts a cloudflared quick tunnel, stops it on exit\n  \
callwatch listen --trust-forwarded-headers   # behind a TLS proxy you run yourself\n\n\
The public URL must be exactly the sink's destination: Twilio signs that URL.\n\
Twilio does not retry deliveries answered 4xx; use --reject-status 503 while debugging\n\
signatures so that rejected deliveries are retried once fixed.\n\n\
Recording: --record calls.ndjson appends every delivery (and every refused request) to the file\n\
and answers 2xx only once the line is on disk; after a restart, add --resume to start with the\n\
calls already recorded:\n  \
callwatch listen --public-url https://abc123.ngrok.app/events --record calls.ndjson --resume\n\
Then `callwatch replay calls.ndjson` or `callwatch export calls.ndjson --format csv`.\n\n\
Forward to your app: every verified, non-duplicate delivery is POSTed on, re-signed for its URL:\n  \
callwatch listen --tunnel ngrok --forward-to http://localhost:3000/twilio/events")]
pub struct ListenArgs {
    /// The URL Twilio delivers to (the sink destination), e.g. https://abc.ngrok.app/events.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = ["tunnel", "trust_forwarded_headers", "events_path"]
    )]
    pub public_url: Option<String>,
    /// Find the public URL from a tunnel: ngrok (its agent API, or `ngrok http PORT` started
    /// for you) or cloudflared (a quick tunnel started for you, stopped on exit).
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        conflicts_with = "trust_forwarded_headers"
    )]
    pub tunnel: Option<TunnelKind>,
    /// Where the ngrok agent API answers (with --tunnel ngrok).
    #[arg(long, value_name = "URL", default_value = crate::tunnel::DEFAULT_NGROK_API)]
    pub ngrok_api: String,
    /// Rebuild the public URL of each request from X-Forwarded-Proto / X-Forwarded-Host / Host
    /// (only behind a proxy you control: clients can set these headers).
    #[arg(long)]
    pub trust_forwarded_headers: bool,
    /// The path deliveries are POSTed to, with --tunnel or --trust-forwarded-headers
    /// [default: /events].
    #[arg(long, value_name = "PATH")]
    pub events_path: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Twilio credentials: the Auth Token that signs every delivery, and (with the Account SID
    /// or an API key) access to the Events and Monitor APIs for the Debugger's alerts.
    #[command(flatten)]
    pub api: ApiAuthArgs,
    /// Base URL of the Monitor API, polled for Twilio's alerts about the sink (tests, proxies).
    #[arg(
        long,
        env = "CALLWATCH_MONITOR_API_BASE",
        default_value = DEFAULT_MONITOR_API_BASE,
        value_name = "URL"
    )]
    pub monitor_api_base: String,
    /// Seconds between two polls of Twilio's Debugger.
    #[arg(
        long,
        env = "CALLWATCH_ALERT_POLL_SECS",
        default_value_t = 60,
        hide = true,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub alert_poll_secs: u64,
    /// Secret of a Webhook SharedKey, for deliveries signed with HMAC-SHA256.
    #[arg(long, env = "CALLWATCH_SHARED_KEY_SECRET", hide_env_values = true)]
    pub shared_key_secret: Option<String>,
    /// HTTP status answered to deliveries whose signature or body hash fails.
    #[arg(long, default_value_t = 403, value_parser = clap::value_parser!(u16).range(400..=599))]
    pub reject_status: u16,
    /// Append every delivery to this file (one JSON line each), durably before acknowledging it:
    /// a delivery that cannot be recorded is answered 503 so that Twilio retries it.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Start with the calls already in the --record file, as if callwatch had never stopped.
    /// (Without it, the events already in the file are still duplicates: a delivery captured
    /// and sent again after a restart is answered 2xx and not applied.)
    #[arg(long, requires = "record")]
    pub resume: bool,
    /// Record refused requests too (each cut to a 4 KiB body prefix and 1 KiB of path and
    /// query), to diagnose a sink later; by default only deliveries answered 2xx are recorded.
    #[arg(long, requires = "record")]
    pub record_refused: bool,
    /// Rotate the --record file when it reaches this size: it becomes FILE.1 (replacing the
    /// previous one) and a new FILE is started, so the recording takes at most twice this.
    /// Units: B, KB, MB, GB (powers of 1000), KiB, MiB, GiB (powers of 1024).
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "512MiB",
        value_parser = parse_byte_size,
        requires = "record"
    )]
    pub record_max_size: u64,
    /// Answer events older than this (by their CloudEvent `time`) 2xx but do not apply them:
    /// a captured delivery sent again days later is set aside. Events older than Twilio's
    /// 4-hour retry horizon are marked `stale` whether or not this is set. Examples: 30m, 4h, 2d.
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub max_event_age: Option<std::time::Duration>,
    /// Keep at most this many calls; the oldest finished calls are evicted first.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_calls: Option<usize>,
    /// Serve at most this many connections at once; over it, a new connection takes the place
    /// of the oldest one that is idle or still sending its request (closed at once), or is
    /// closed itself when every connection is busy. Connections idle or slower than 5 s are
    /// closed.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::ingest::server::DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000)
    )]
    pub max_connections: usize,
    /// POST every verified, non-duplicate delivery on to this URL too (your own app), body
    /// unchanged and signed again for this URL with the same key, e.g.
    /// --forward-to http://localhost:3000/twilio/events. Never delays the answer to Twilio.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// With credentials: start with the calls of the last DURATION from the Voice Insights API
    /// (30m, 1h, 4h), and keep merging its summaries every minute while deliveries arrive; a
    /// call that comes both ways is one call, and a delivered summary is never overridden by
    /// an older polled one.
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub since: Option<Duration>,
    /// Seconds between two listings of the summaries with --since.
    #[arg(
        long,
        env = "CALLWATCH_SINCE_POLL_SECS",
        default_value_t = 60,
        hide = true,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub since_poll_secs: u64,
    #[command(flatten)]
    pub insights: super::InsightsBaseArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where the public URL comes from, as chosen on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicUrlChoice {
    /// `--public-url`.
    Fixed(String),
    /// `--tunnel`, with the events path.
    Tunnel(TunnelKind, String),
    /// `--trust-forwarded-headers`, with the events path.
    Forwarded(String),
}

/// What `listen` (and the listener of `setup`) runs with: the flags of [`ListenArgs`], checked
/// and typed. Built in one step by [`ListenArgs::check`].
pub struct ListenSettings {
    /// Where the public URL comes from.
    pub public_url: PublicUrlChoice,
    /// The Auth Token that signs deliveries (not blank).
    pub auth_token: String,
    /// What every output shows from the start, `--max-calls` included.
    pub view: ViewOptions,
    /// `--bind` and `--port`.
    pub addr: SocketAddr,
    /// `--ngrok-api`.
    pub ngrok_api: String,
    /// The credentials flags, for the Debugger's alerts (best effort, checked when used).
    pub api: ApiAuthArgs,
    /// `--monitor-api-base`.
    pub monitor_api_base: String,
    /// Time between two polls of Twilio's Debugger.
    pub alert_poll: Duration,
    /// `--shared-key-secret`.
    pub shared_key_secret: Option<String>,
    /// `--reject-status`.
    pub reject_status: u16,
    /// `--record`.
    pub record: Option<PathBuf>,
    /// `--resume`.
    pub resume: bool,
    /// `--record-refused`.
    pub record_refused: bool,
    /// `--record-max-size`, in bytes.
    pub record_max_size: u64,
    /// `--max-event-age`.
    pub max_event_age: Option<Duration>,
    /// `--max-connections`.
    pub max_connections: usize,
    /// The output asked for, or the default for this stdout.
    pub output: OutputMode,
    /// Whether the TUI uses colour.
    pub color: bool,
    /// `--forward-to`, checked.
    pub forward_to: Option<String>,
    /// `--since`: backfill from the Voice Insights API.
    pub since: Option<Duration>,
    /// Time between two listings of the summaries with `--since`.
    pub since_poll: Duration,
    /// `--insights-api-base`.
    pub insights_api_base: String,
}

impl ListenArgs {
    /// Checks the flags of `listen` together and turns them into [`ListenSettings`].
    pub fn check(self) -> Result<ListenSettings, UsageError> {
        self.check_for("listen")
    }

    /// [`ListenArgs::check`] for `command` (`listen` or `setup`), which errors name.
    pub fn check_for(self, command: &str) -> Result<ListenSettings, UsageError> {
        let public_url = self.public_url_choice(command)?;
        let Some(auth_token) = self.api.auth_token.clone().filter(|t| !t.trim().is_empty()) else {
            return Err(UsageError(format!(
                "{command} needs the auth token that signs deliveries: set TWILIO_AUTH_TOKEN or pass \
                 --auth-token (the token of the account, or subaccount, that owns the sink)"
            )));
        };
        let mut view = self.output.view_options()?;
        view.max_calls = self.max_calls;
        let forward_to = check_forward_to(self.forward_to.as_deref())?;
        Ok(ListenSettings {
            public_url,
            auth_token,
            view,
            addr: SocketAddr::new(self.bind, self.port),
            output: self.output.mode(),
            color: self.output.color_enabled(),
            ngrok_api: self.ngrok_api,
            api: self.api,
            monitor_api_base: self.monitor_api_base,
            alert_poll: Duration::from_secs(self.alert_poll_secs),
            shared_key_secret: self.shared_key_secret,
            reject_status: self.reject_status,
            record: self.record,
            resume: self.resume,
            record_refused: self.record_refused,
            record_max_size: self.record_max_size,
            max_event_age: self.max_event_age,
            max_connections: self.max_connections,
            forward_to,
            since: self.since,
            since_poll: Duration::from_secs(self.since_poll_secs),
            insights_api_base: self.insights.insights_api_base,
        })
    }

    /// Checks `--public-url`, `--tunnel`, `--trust-forwarded-headers` and `--events-path`
    /// together: where the public URL will come from. `command` names the command in errors.
    pub fn public_url_choice(&self, command: &str) -> Result<PublicUrlChoice, UsageError> {
        let events_path = self
            .events_path
            .clone()
            .unwrap_or_else(|| "/events".to_owned());
        if !events_path.starts_with('/') || events_path.contains(['?', '#']) {
            return Err(UsageError(format!(
                "--events-path `{events_path}` must be a path such as /events"
            )));
        }
        if let Some(url) = &self.public_url {
            validate_public_url(url).map_err(|e| UsageError(e.to_string()))?;
            return Ok(PublicUrlChoice::Fixed(url.clone()));
        }
        if let Some(kind) = self.tunnel {
            return Ok(PublicUrlChoice::Tunnel(kind, events_path));
        }
        if self.trust_forwarded_headers {
            return Ok(PublicUrlChoice::Forwarded(events_path));
        }
        Err(UsageError(format!(
            "{command} needs the public URL Twilio delivers to, because Twilio signs that exact URL. \
             Give one of:\n  \
             --public-url https://<your-tunnel>/events   the sink's destination, as configured in Twilio\n  \
             --tunnel ngrok                              read it from the ngrok agent API (or start `ngrok http PORT`)\n  \
             --tunnel cloudflared                        start a cloudflared quick tunnel and use its URL\n  \
             --trust-forwarded-headers                   rebuild it per request from X-Forwarded-Proto/-Host (behind your own proxy)"
        )))
    }
}

/// Checks `--forward-to` as any URL callwatch sends to (`http://` allowed: it is usually the
/// user's own app on this machine).
pub fn check_forward_to(url: Option<&str>) -> Result<Option<String>, UsageError> {
    let Some(url) = url else { return Ok(None) };
    validate_public_url(url).map_err(|e| UsageError(format!("--forward-to: {e}")))?;
    Ok(Some(url.to_owned()))
}

/// A size in bytes: a number with an optional unit (`B`, `KB`/`MB`/`GB` in powers of 1000,
/// `KiB`/`MiB`/`GiB` in powers of 1024; case and a space before the unit do not matter).
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size: write a number and a unit, e.g. 512MiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || !(1024.0..=(1u64 << 50) as f64).contains(&bytes) {
        return Err(format!(
            "`{s}` is out of range: at least 1KiB, at most 1PiB"
        ));
    }
    Ok(bytes as u64)
}

/// A duration: a number with a unit, `s`, `m`, `h` or `d` (`90s`, `30m`, `4h`, `2d`); a bare
/// number is seconds.
pub fn parse_age(s: &str) -> Result<std::time::Duration, String> {
    let text = s.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write a number and a unit, e.g. 4h"))?;
    let seconds = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        other => return Err(format!("unknown duration unit `{other}`: use s, m, h or d")),
    };
    let total = number * seconds;
    if !total.is_finite() || !(1.0..=366.0 * 86_400.0).contains(&total) {
        return Err(format!("`{s}` is out of range: at least 1s, at most 366d"));
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_comes_from_exactly_one_place() {
        use clap::Parser;
        let choice = |flags: &[&str]| {
            let cli = crate::cli::Cli::try_parse_from(
                ["callwatch", "listen"].iter().chain(flags).copied(),
            )
            .expect("flags parse");
            let crate::cli::Command::Listen(args) = cli.command else {
                unreachable!("listen parses as listen")
            };
            args.public_url_choice("listen")
        };
        assert_eq!(
            choice(&["--public-url", "https://a.example/events"]).ok(),
            Some(PublicUrlChoice::Fixed("https://a.example/events".into()))
        );
        assert_eq!(
            choice(&["--tunnel", "ngrok"]).ok(),
            Some(PublicUrlChoice::Tunnel(TunnelKind::Ngrok, "/events".into()))
        );
        assert_eq!(
            choice(&["--trust-forwarded-headers", "--events-path", "/hook"]).ok(),
            Some(PublicUrlChoice::Forwarded("/hook".into()))
        );
        assert!(choice(&["--tunnel", "ngrok", "--events-path", "hook"]).is_err());
        let none = choice(&[]).unwrap_err().to_string();
        assert!(none.starts_with("listen needs the public URL"), "{none}");
    }

    #[test]
    fn sizes_read_with_their_units() {
        for (text, want) in [
            ("512MiB", Some(512u64 << 20)),
            ("1 GiB", Some(1 << 30)),
            ("10mb", Some(10_000_000)),
            ("4096", Some(4096)),
            ("1.5KiB", Some(1536)),
            ("12", None),
            ("ten", None),
            ("5XB", None),
            ("", None),
        ] {
            assert_eq!(parse_byte_size(text).ok(), want, "{text:?}");
        }
    }

    #[test]
    fn ages_read_with_their_units() {
        use std::time::Duration;
        for (text, want) in [
            ("4h", Some(Duration::from_secs(4 * 3600))),
            ("30m", Some(Duration::from_secs(1800))),
            ("90", Some(Duration::from_secs(90))),
            ("2d", Some(Duration::from_secs(172_800))),
            ("0s", None),
            ("4w", None),
            ("h", None),
        ] {
            assert_eq!(parse_age(text).ok(), want, "{text:?}");
        }
    }
}
