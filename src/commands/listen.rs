//! `callwatch listen`: be the webhook sink for a real Twilio account. [`prepare`] turns the
//! checked settings into a bound listener (public URL, tunnel, signature checks, recording), which `setup`
//! reuses; [`debugger_alerts`] sets up the poll of Twilio's Debugger when credentials allow.

use std::net::SocketAddr;
use std::time::SystemTime;

use anyhow::Context;

use crate::alerts::{AlertFeed, AlertPoller, SinkMatcher};
use crate::cli::{ListenSettings, PublicUrlChoice, UsageError};
use crate::ingest::public_url::PublicUrl;
use crate::ingest::replay::{resume_from, seen_event_ids};
use crate::ingest::server::{ServeLimits, bind};
use crate::ingest::verdict::Judge;
use crate::monitor::{self, MonitorSpec, Recording};
use crate::tui::HeaderInfo;
use crate::tunnel::{self, TunnelKind, TunnelProcess};
use crate::twilio::monitor_api::MonitorClient;
use crate::twilio::signature::Secrets;

/// Runs the listener until the user quits or a signal arrives.
pub async fn run(settings: ListenSettings) -> anyhow::Result<()> {
    let run_started = SystemTime::now();
    let Prepared {
        mut spec,
        recording,
        tunnel,
    } = prepare(&settings).await?;
    let (feed, poller) = debugger_alerts(&settings, &spec.public_url, Vec::new(), run_started)?;
    spec.alerts = Some(feed);
    let mut recording = recording;
    let backfill = match settings.since {
        Some(since) => Some(super::poll::backfill_first(&settings, since, &mut recording).await?),
        None => None,
    };
    let running = monitor::start(spec, recording).await?;
    let summaries = backfill.map(|b| (b, running.feed()));
    let background = background(poller, summaries, settings.since_poll);
    let result = running.present(Some(background), false).await;
    if let Some(process) = tunnel {
        process.stop().await;
    }
    result
}

/// What runs beside the screen of `listen` and `setup`: the Debugger alerts poller, and with
/// `--since` the backfill from the Voice Insights API, listed again every `since_poll`, until
/// `stop`.
pub(super) fn background(
    poller: Option<AlertPoller>,
    summaries: Option<(
        super::poll::Backfill,
        tokio::sync::mpsc::Sender<crate::ingest::Delivery>,
    )>,
    since_poll: std::time::Duration,
) -> impl FnOnce(
    tokio::sync::watch::Receiver<bool>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    move |stop| {
        Box::pin(async move {
            let alerts = async {
                if let Some(poller) = poller {
                    poller.run(stop.clone()).await;
                }
            };
            let backfill = async {
                if let Some((backfill, feed)) = summaries {
                    backfill.keep_merging(since_poll, feed, stop.clone()).await;
                }
            };
            tokio::join!(alerts, backfill);
        })
    }
}

/// A listener built from the `listen` flags, bound but not started.
pub(crate) struct Prepared {
    /// What to run; `alerts` is left for the caller.
    pub spec: MonitorSpec,
    /// `--record` / `--resume`.
    pub recording: Recording,
    /// The tunnel program started for `--tunnel`, to stop when the run ends.
    pub tunnel: Option<TunnelProcess>,
}

/// Binds the socket and finds the public URL (asking or starting a tunnel for the port
/// actually bound), from settings already checked.
pub(crate) async fn prepare(args: &ListenSettings) -> anyhow::Result<Prepared> {
    let addr = args.addr;
    let socket = bind(addr).await.map_err(|e| bind_error(addr, e))?;
    let bound = socket.local_addr().context("reading the bound address")?;
    let resolved = resolve_public_url(args.public_url.clone(), &args.ngrok_api, bound).await?;
    let secrets = Secrets {
        auth_token: args.auth_token.clone(),
        shared_key_secret: args.shared_key_secret.clone(),
    };
    let mut judge =
        Judge::new(Some(secrets), args.reject_status).with_max_event_age(args.max_event_age);
    let mut recording = Recording {
        path: args.record.clone(),
        max_bytes: Some(args.record_max_size),
        refused: args.record_refused,
        ..Recording::default()
    };
    let mut mode_note = None;
    if let (false, Some(path)) = (args.resume, &args.record) {
        // A delivery captured and sent again after a restart is a duplicate, --resume or not.
        let seen = seen_event_ids(path)
            .with_context(|| format!("cannot read the event ids in {}", path.display()))?;
        judge = judge.with_dedupe(seen);
    }
    if let (true, Some(path)) = (args.resume, &args.record) {
        let resumed =
            resume_from(path).with_context(|| format!("cannot resume from {}", path.display()))?;
        for warning in &resumed.warnings {
            let warning = format!("{}: {warning}", path.display());
            eprintln!("warning: {}", crate::text::terminal_safe(&warning));
        }
        mode_note = Some(format!(
            "resumed {} calls from {}",
            resumed.calls,
            path.display()
        ));
        judge = judge.with_dedupe(resumed.dedupe);
        recording.preload = resumed.deliveries;
        recording.resumed_calls = Some(resumed.calls);
    }
    let spec = MonitorSpec {
        socket,
        public_url: resolved.public_url,
        judge,
        output: args.output,
        header: HeaderInfo {
            url_source: resolved.source,
            mode_note,
            color: args.color,
            hyperlinks: true,
            reject_status: args.reject_status,
            resign_key: (!args.auth_token.is_empty())
                .then(|| crate::tui::actions::ResignKey::new(args.auth_token.clone())),
            // With credentials, the details fetch calls from the Voice Insights API and `a`
            // annotates them.
            insights: args.api.credentials().ok().and_then(|credentials| {
                crate::twilio::insights_api::InsightsClient::new(
                    &args.insights_api_base,
                    credentials,
                )
                .ok()
            }),
            ..HeaderInfo::default()
        },
        tui: args.view.clone(),
        alerts: None,
        limits: ServeLimits {
            max_connections: args.max_connections,
            ..ServeLimits::default()
        },
        forward: args.forward_to.clone().map(|target| {
            let keys = crate::ingest::forward::ForwardKeys {
                auth_token: args.auth_token.clone(),
                shared_key_secret: args.shared_key_secret.clone(),
            };
            (target, keys)
        }),
    };
    Ok(Prepared {
        spec,
        recording,
        tunnel: resolved.process,
    })
}

/// The feed of Twilio's Debugger alerts about the sink at `public_url`, and the poller that
/// fills it, when the flags or environment hold API credentials; otherwise a feed that says
/// why alerts are off. `sink_sids` are the sinks already known (`setup`); without any, the
/// poller looks them up by destination once.
pub(crate) fn debugger_alerts(
    args: &ListenSettings,
    public_url: &PublicUrl,
    sink_sids: Vec<String>,
    run_started: SystemTime,
) -> anyhow::Result<(AlertFeed, Option<AlertPoller>)> {
    let PublicUrl::Fixed(destination) = public_url else {
        let feed = AlertFeed::off("the public URL is rebuilt per request, so no sink is known");
        return Ok((feed, None));
    };
    let Ok(credentials) = args.api.credentials() else {
        let feed =
            AlertFeed::off("set TWILIO_ACCOUNT_SID to see Twilio's own delivery failures here");
        return Ok((feed, None));
    };
    let client = MonitorClient::new(&args.monitor_api_base, credentials)
        .map_err(|e| UsageError(format!("--monitor-api-base: {e}")))?;
    let find_sinks_with = if sink_sids.is_empty() {
        // Best effort: a bad --api-base only costs the lookup, alerts still match by URL.
        args.api.events_client().ok()
    } else {
        None
    };
    let feed = AlertFeed::new();
    let poller = AlertPoller {
        client,
        matcher: SinkMatcher {
            sink_sids,
            destination: Some(destination.clone()),
        },
        feed: feed.clone(),
        interval: args.alert_poll,
        run_started,
        find_sinks_with,
    };
    Ok((feed, Some(poller)))
}

/// The public URL in use, where it came from, and the tunnel program started for it.
struct ResolvedUrl {
    public_url: PublicUrl,
    source: String,
    process: Option<TunnelProcess>,
}

/// Finds the URL; a tunnel is asked (or started) for the port actually bound.
async fn resolve_public_url(
    choice: PublicUrlChoice,
    ngrok_api: &str,
    bound: SocketAddr,
) -> anyhow::Result<ResolvedUrl> {
    let (discovered, path) = match choice {
        PublicUrlChoice::Fixed(url) => {
            return Ok(ResolvedUrl {
                public_url: PublicUrl::Fixed(url),
                source: "--public-url".into(),
                process: None,
            });
        }
        PublicUrlChoice::Forwarded(path) => {
            return Ok(ResolvedUrl {
                public_url: PublicUrl::FromForwardedHeaders { path },
                source: "X-Forwarded-* headers".into(),
                process: None,
            });
        }
        PublicUrlChoice::Tunnel(TunnelKind::Ngrok, path) => {
            (tunnel::ngrok(ngrok_api, bound).await?, path)
        }
        PublicUrlChoice::Tunnel(TunnelKind::Cloudflared, path) => {
            (tunnel::cloudflared(bound).await?, path)
        }
    };
    let url = discovered.public_url(&path);
    // The URL comes from the tunnel agent's API.
    let line = format!(
        "callwatch: public URL {url} (from {}); it must be the sink's destination",
        discovered.source
    );
    eprintln!("{}", crate::text::terminal_safe(&line));
    Ok(ResolvedUrl {
        public_url: PublicUrl::Fixed(url),
        source: discovered.source,
        process: discovered.process,
    })
}

/// A bind failure a person can act on.
pub fn bind_error(addr: SocketAddr, e: std::io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {} is already in use; pick another with --port (or --port 0 for any free port)",
            addr.port()
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "{} is not an address of this machine; use --bind 127.0.0.1 (this machine only) \
             or --bind 0.0.0.0 (every interface)",
            addr.ip()
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!(
                "not allowed to listen on port {}; use a port above 1023",
                addr.port()
            )
        }
        _ => "check --bind and --port".to_owned(),
    };
    anyhow::Error::new(e).context(format!("cannot listen on {addr}: {hint}"))
}
