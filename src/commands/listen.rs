//! `callwatch listen`: be the webhook sink for a real Twilio account.

use std::net::SocketAddr;

use anyhow::{Context, bail};

use crate::cli::ListenArgs;
use crate::commands::monitor::{self, MonitorSpec, Recording};
use crate::ingest::replay::resume_from;
use crate::ingest::server::{PublicUrl, bind};
use crate::ingest::verdict::Judge;
use crate::tui::HeaderInfo;
use crate::commands::UsageError;
use crate::tunnel::{self, TunnelKind, TunnelProcess};
use crate::twilio::signature::Secrets;

/// Runs the listener until the user quits or a signal arrives.
pub async fn run(args: ListenArgs) -> anyhow::Result<()> {
    let url_choice = UrlChoice::from_args(&args)?;
    let Some(auth_token) = args.auth_token.clone().filter(|t| !t.is_empty()) else {
        bail!(crate::commands::UsageError(
            "listen needs the auth token that signs deliveries: set TWILIO_AUTH_TOKEN or pass --auth-token \
             (the token of the account, or subaccount, that owns the sink)"
                .into()
        ));
    };
    if args.max_calls.is_some() {
        bail!(crate::commands::UsageError("--max-calls is not available in this version yet".into()));
    }
    let filter = args.output.parsed_filter()?;
    let addr = SocketAddr::new(args.bind, args.port);
    let socket = bind(addr).await.map_err(|e| bind_error(addr, e))?;
    let bound = socket.local_addr().context("reading the bound address")?;
    let resolved = url_choice.resolve(&args.ngrok_api, bound).await?;
    let secrets = Secrets {
        auth_token,
        shared_key_secret: args.shared_key_secret.clone(),
    };
    let mut judge = Judge::new(Some(secrets), args.reject_status);
    let mut recording = Recording {
        path: args.record.clone(),
        ..Recording::default()
    };
    let mut mode_note = None;
    if let (true, Some(path)) = (args.resume, &args.record) {
        let resumed = resume_from(path).with_context(|| format!("cannot resume from {}", path.display()))?;
        for warning in &resumed.warnings {
            eprintln!("warning: {}: {warning}", path.display());
        }
        mode_note = Some(format!("resumed {} calls from {}", resumed.calls, path.display()));
        judge = judge.with_dedupe(resumed.dedupe);
        recording.preload = resumed.deliveries;
        recording.resumed_calls = Some(resumed.calls);
    }
    let spec = MonitorSpec {
        socket,
        public_url: resolved.public_url.clone(),
        judge,
        output: args.output.mode(),
        header: HeaderInfo {
            url_source: resolved.source.clone(),
            mode_note,
            color: args.output.color_enabled(),
            hyperlinks: true,
            ..HeaderInfo::default()
        },
        tui: args.output.tui_options()?,
        filter,
        alerts: None,
    };
    let result = monitor::run_recorded(spec, recording, None::<fn(_) -> std::future::Ready<()>>, false).await;
    if let Some(process) = resolved.process {
        process.stop().await;
    }
    result
}

/// Where the public URL comes from, as chosen on the command line.
enum UrlChoice {
    /// `--public-url`.
    Fixed(String),
    /// `--tunnel`, with the events path.
    Tunnel(TunnelKind, String),
    /// `--trust-forwarded-headers`, with the events path.
    Forwarded(String),
}

/// The public URL in use, where it came from, and the tunnel program started for it.
struct ResolvedUrl {
    public_url: PublicUrl,
    source: String,
    process: Option<TunnelProcess>,
}

impl UrlChoice {
    fn from_args(args: &ListenArgs) -> Result<Self, UsageError> {
        let events_path = args.events_path.clone().unwrap_or_else(|| "/events".to_owned());
        if !events_path.starts_with('/') || events_path.contains(['?', '#']) {
            return Err(UsageError(format!(
                "--events-path `{events_path}` must be a path such as /events"
            )));
        }
        if let Some(url) = &args.public_url {
            validate_public_url(url).map_err(|e| UsageError(e.to_string()))?;
            return Ok(Self::Fixed(url.clone()));
        }
        if let Some(kind) = args.tunnel {
            return Ok(Self::Tunnel(kind, events_path));
        }
        if args.trust_forwarded_headers {
            return Ok(Self::Forwarded(events_path));
        }
        Err(UsageError(
            "listen needs the public URL Twilio delivers to, because Twilio signs that exact URL. \
             Give one of:\n  \
             --public-url https://<your-tunnel>/events   the sink's destination, as configured in Twilio\n  \
             --tunnel ngrok                              read it from the ngrok agent API (or start `ngrok http PORT`)\n  \
             --tunnel cloudflared                        start a cloudflared quick tunnel and use its URL\n  \
             --trust-forwarded-headers                   rebuild it per request from X-Forwarded-Proto/-Host (behind your own proxy)"
                .into(),
        ))
    }

    /// Finds the URL; a tunnel is asked (or started) for the port actually bound.
    async fn resolve(self, ngrok_api: &str, bound: SocketAddr) -> anyhow::Result<ResolvedUrl> {
        let (discovered, path) = match self {
            Self::Fixed(url) => {
                return Ok(ResolvedUrl {
                    public_url: PublicUrl::Fixed(url),
                    source: "--public-url".into(),
                    process: None,
                });
            }
            Self::Forwarded(path) => {
                return Ok(ResolvedUrl {
                    public_url: PublicUrl::FromForwardedHeaders { path },
                    source: "X-Forwarded-* headers".into(),
                    process: None,
                });
            }
            Self::Tunnel(TunnelKind::Ngrok, path) => (tunnel::ngrok(ngrok_api, bound).await?, path),
            Self::Tunnel(TunnelKind::Cloudflared, path) => (tunnel::cloudflared(bound).await?, path),
        };
        let url = discovered.public_url(&path);
        eprintln!(
            "callwatch: public URL {url} (from {}); it must be the sink's destination",
            discovered.source
        );
        Ok(ResolvedUrl {
            public_url: PublicUrl::Fixed(url),
            source: discovered.source,
            process: discovered.process,
        })
    }
}

/// A public URL must be absolute http(s): it is what Twilio signs.
pub fn validate_public_url(url: &str) -> anyhow::Result<()> {
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!(crate::commands::UsageError(format!(
            "--public-url `{url}` is not an absolute URL; give the sink's destination, e.g. https://abc.ngrok.app/events"
        )));
    };
    if scheme != "https" && scheme != "http" {
        bail!(crate::commands::UsageError(format!(
            "--public-url `{url}` must start with https:// (or http://)"
        )));
    }
    if rest.is_empty() || rest.starts_with('/') {
        bail!(crate::commands::UsageError(format!("--public-url `{url}` has no host")));
    }
    Ok(())
}

/// A bind failure a person can act on.
pub fn bind_error(addr: SocketAddr, e: std::io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {} is already in use; pick another with --port (or --port 0 for any free port)",
            addr.port()
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("not allowed to listen on port {}; use a port above 1023", addr.port())
        }
        _ => "check --bind and --port".to_owned(),
    };
    anyhow::Error::new(e).context(format!("cannot listen on {addr}: {hint}"))
}

