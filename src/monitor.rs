//! The running monitor shared by `listen`, `demo` and `setup`: the listener on a bound socket,
//! the presentation channel, and one consumer (the TUI or a line writer), wired to shut down
//! together on `q`, Ctrl-C, SIGTERM, SIGHUP, or the end of a demo.
//!
//! A run has two halves. [`start`] serves the socket and returns a [`Running`] monitor whose
//! deliveries wait in the channel; [`Running::present`] hands that channel to the TUI or a line
//! writer until the end. `listen` and `demo` do both at once ([`run`]); `setup` watches
//! the first deliveries itself in between ([`Running::next_delivery`]: the sink test event),
//! and the presenter still shows them first. [`show`] is that presenter alone, for `replay`,
//! which feeds the channel from a recording instead of a listener.
//!
//! Shutdown is the same whatever asks for it (`q`, SIGINT, SIGTERM, SIGHUP, the end of a demo): the
//! listener stops accepting and finishes the requests in flight (at most five seconds), the
//! recording is synced and closed, the terminal is restored, and the command exits 0. SIGINT,
//! SIGTERM and SIGHUP are caught from [`start`] on, before the `listening` line is written.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::alerts::AlertFeed;
use crate::ingest::forward::{FORWARD_BACKOFF, ForwardKeys, Forwarder};
use crate::ingest::public_url::PublicUrl;
use crate::ingest::record::Recorder;
use crate::ingest::server::{Listener, ServeLimits, serve};
use crate::ingest::verdict::Judge;
use crate::ingest::{Delivery, ListenerStats};
use crate::output::{self, OutputMode, ndjson};
use crate::session::ViewOptions;
use crate::shutdown::ShutdownSignals;
use crate::tui::HeaderInfo;

pub use crate::ingest::CHANNEL_CAPACITY;

/// What to run.
pub struct MonitorSpec {
    /// The bound socket.
    pub socket: TcpListener,
    /// Where the signed URL comes from.
    pub public_url: PublicUrl,
    /// Signature and duplicate checks.
    pub judge: Judge,
    /// How to show results.
    pub output: OutputMode,
    /// Extra facts for the TUI header.
    pub header: HeaderInfo,
    /// What every output shows: `--filter` (the TUI's initial filter; only `call` lines in
    /// ndjson and compact), `--mask` and `--max-calls`, and for the TUI `--mouse`.
    pub tui: ViewOptions,
    /// Twilio Debugger alerts about the sink, published by a poller the command runs (as its
    /// `background`); every output shows each alert once: `alert` lines, compact lines, the
    /// TUI header and deliveries view. `None` when they are not polled (demo).
    pub alerts: Option<AlertFeed>,
    /// Timeouts and the connection cap of the listener.
    pub limits: ServeLimits,
    /// `--forward-to`: the target, and the keys that sign forwards again.
    pub forward: Option<(String, ForwardKeys)>,
}

/// What `--record` and `--resume` add to a run.
#[derive(Debug, Default)]
pub struct Recording {
    /// Append every request to this file; deliveries are answered 2xx only once durable.
    pub path: Option<PathBuf>,
    /// Deliveries loaded from the file by `--resume`, shown before any live one.
    pub preload: Vec<Delivery>,
    /// With `--resume`: the number of calls in `preload`, announced first.
    pub resumed_calls: Option<usize>,
    /// `--record-max-size`: the file is rotated to `FILE.1` past it (`None`: the default).
    pub max_bytes: Option<u64>,
    /// `--record-refused`: refused requests are recorded too (cut down).
    pub refused: bool,
}

/// The size past which a recording is rotated unless `--record-max-size` says otherwise.
pub const DEFAULT_RECORD_MAX_BYTES: u64 = 512 << 20;

/// Runs the monitor ([`start`], then [`Running::present`]) until the user quits, a signal
/// arrives, or `background` ends when `exit_when_background_ends` (line outputs exit then; the
/// TUI stays until `q`), recording to a file and/or starting from the calls of an earlier
/// recording as `recording` says. `background` runs alongside (the simulated Twilio in demo,
/// the Debugger poller in listen); it receives the stop signal.
pub async fn run<F, Fut>(
    spec: MonitorSpec,
    recording: Recording,
    background: Option<F>,
    exit_when_background_ends: bool,
) -> anyhow::Result<()>
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    start(spec, recording)
        .await?
        .present(background, exit_when_background_ends)
        .await
}

/// A listener serving its socket, whose deliveries wait in the presentation channel.
pub struct Running {
    /// The address actually bound.
    pub addr: SocketAddr,
    /// Listener counters.
    pub stats: Arc<ListenerStats>,
    /// Where the signed URL comes from.
    pub public_url: PublicUrl,
    /// How to show results.
    pub output: OutputMode,
    /// Facts for the TUI header; a caller may add to them before presenting.
    pub header: HeaderInfo,
    /// Twilio Debugger alerts to show; a caller may set them before presenting.
    pub alerts: Option<AlertFeed>,
    tui: ViewOptions,
    rx: mpsc::Receiver<Delivery>,
    /// Deliveries [`Running::next_delivery`] took from the channel: presented first.
    taken: Vec<Delivery>,
    stop_tx: watch::Sender<bool>,
    server: JoinHandle<()>,
    recorder: Option<Recorder>,
    /// Another way into the channel, for deliveries that come from elsewhere than the listener
    /// (`listen --since`: summaries from the Voice Insights API); dropped when presenting.
    feed: mpsc::Sender<Delivery>,
}

/// Starts serving `spec.socket`: writes the `listening` line (ndjson), then accepts deliveries
/// into the channel until the returned monitor is presented and ends, or is shut down.
pub async fn start(spec: MonitorSpec, recording: Recording) -> anyhow::Result<Running> {
    let addr = spec
        .socket
        .local_addr()
        .context("reading the bound address")?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let preload_tx = tx.clone();
    let feed = tx.clone();
    let mut listener =
        Listener::new(spec.public_url.clone(), spec.judge, tx).with_limits(spec.limits);
    let recorder = match &recording.path {
        Some(path) => {
            let recorder = Recorder::open_capped(
                path,
                Arc::clone(&listener.stats),
                recording.max_bytes.unwrap_or(DEFAULT_RECORD_MAX_BYTES),
            )?;
            listener = listener
                .with_recorder(recorder.clone())
                .recording_refused(recording.refused);
            Some(recorder)
        }
        None => None,
    };
    let mut header = spec.header;
    if let Some((target, keys)) = &spec.forward {
        let forwarder = Forwarder::start(target, keys.clone(), &FORWARD_BACKOFF)
            .context("setting up the HTTP client of --forward-to")?;
        header.forward = Some(Arc::clone(&forwarder.state));
        listener = listener.with_forwarder(forwarder);
    }
    let listener = Arc::new(listener.numbering_after(recording.preload.len() as u64));
    let stats = Arc::clone(&listener.stats);
    let (stop_tx, stop_rx) = watch::channel(false);

    // Caught from here on: a signal sent as soon as the `listening` line is out stops the run
    // gracefully instead of killing the process with deliveries in flight.
    let mut signals =
        ShutdownSignals::install().context("listening for SIGINT, SIGTERM and SIGHUP")?;
    let signal_stop = stop_tx.clone();
    let mut stopped = stop_tx.subscribe();
    tokio::spawn(async move {
        tokio::select! {
            () = signals.recv() => {
                let _ = signal_stop.send(true);
            }
            _ = stopped.wait_for(|stop| *stop) => {}
        }
    });

    tracing::info!(
        %addr,
        public_url = %spec.public_url.describe(),
        output = ?spec.output,
        record = ?recording.path,
        "listener bound"
    );
    // The `listening` line comes first, before any delivery can be written.
    if spec.output == OutputMode::Ndjson {
        let mut out = std::io::stdout().lock();
        let mut line = ndjson::listening(&addr.to_string(), &spec.public_url.describe());
        // Where the URL came from (`--public-url`, `ngrok agent API`, ...), after the contract fields.
        if let Some(fields) = line.as_object_mut()
            && !header.url_source.is_empty()
        {
            fields.insert("url_source".into(), header.url_source.clone().into());
        }
        ndjson::write_line(&mut out, &line).context("writing to stdout")?;
    }
    if let (Some(calls), Some(path)) = (recording.resumed_calls, &recording.path) {
        announce_resume(spec.output, path, recording.preload.len(), calls)?;
    }

    // Resumed deliveries go through the channel first, so that every consumer shows them
    // exactly as live ones and before them; the socket is bound, so Twilio only waits.
    let preload = recording.preload;
    let mut server_stop = stop_rx;
    let socket = spec.socket;
    let server = tokio::spawn(async move {
        for delivery in preload {
            if preload_tx.send(delivery).await.is_err() {
                return;
            }
        }
        drop(preload_tx);
        serve(socket, listener, async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        })
        .await;
    });

    Ok(Running {
        addr,
        stats,
        public_url: spec.public_url,
        output: spec.output,
        header,
        tui: spec.tui,
        alerts: spec.alerts,
        rx,
        taken: Vec::new(),
        stop_tx,
        server,
        recorder,
        feed,
    })
}

impl Running {
    /// The next delivery, before any presenter runs; `None` once the listener has stopped. The
    /// presenter still gets it (first, in order), so the caller only looks.
    pub async fn next_delivery(&mut self) -> Option<Delivery> {
        let delivery = self.rx.recv().await?;
        self.taken.push(delivery.clone());
        Some(delivery)
    }

    /// A sender into the presentation channel, for deliveries that do not come through the
    /// listener. Whoever holds it must drop it once [`Self::stop_signal`] turns true: line
    /// outputs end when the channel closes.
    pub fn feed(&self) -> mpsc::Sender<Delivery> {
        self.feed.clone()
    }

    /// Turns true once the run is stopping (the user quit, a signal, the end of a demo).
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop_tx.subscribe()
    }

    /// Stops the listener without presenting (a failed `setup`): requests in flight finish,
    /// the recording is closed.
    pub async fn shutdown(self) {
        let _ = self.stop_tx.send(true);
        drop(self.rx);
        finish(self.server, self.recorder, &self.stats).await;
    }

    /// Shows the deliveries (those taken by [`Self::next_delivery`] first) in the TUI or as
    /// lines until the user quits, a signal arrives, or `background` ends when
    /// `exit_when_background_ends` (line outputs exit then; the TUI stays until `q`).
    /// `background` runs alongside (the simulated Twilio in demo, the Debugger poller in listen
    /// and setup); it receives the stop signal.
    pub async fn present<F, Fut>(
        self,
        background: Option<F>,
        exit_when_background_ends: bool,
    ) -> anyhow::Result<()>
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Running {
            addr,
            stats,
            public_url,
            output,
            header,
            tui,
            alerts,
            rx,
            taken,
            stop_tx,
            server,
            recorder,
            feed,
        } = self;
        drop(feed);
        let rx = taken_first(taken, rx);

        let (bg_done_tx, mut bg_done_rx) = watch::channel(false);
        let background_task = background.map(|make| {
            let fut = make(stop_tx.subscribe());
            tokio::spawn(async move {
                fut.await;
                let _ = bg_done_tx.send(true);
            })
        });
        let background_ended = async move {
            if background_task.is_some() && exit_when_background_ends {
                let _ = bg_done_rx.wait_for(|done| *done).await;
            } else {
                std::future::pending::<()>().await;
            }
        };

        let mut header = header;
        header.listen_addr = addr.to_string();
        header.public_url = public_url.describe();
        if output != OutputMode::Tui {
            let stopper = stop_tx.clone();
            let mut stopped = stop_tx.subscribe();
            tokio::spawn(async move {
                tokio::select! {
                    // A signal (caught since `start`) or a caller's stop.
                    _ = stopped.wait_for(|stop| *stop) => {}
                    () = background_ended => {}
                }
                let _ = stopper.send(true);
            });
        }
        // The TUI ends on a signal or a stop (see `start`), restoring the terminal; the lines
        // end when the channel closes: once the listener has finished its requests in flight
        // and dropped its sender.
        let presentation = Presentation {
            output,
            header,
            tui,
            alerts,
        };
        show(
            rx,
            Arc::clone(&stats),
            presentation,
            &stop_tx,
            std::future::pending(),
        )
        .await?;
        finish(server, recorder, &stats).await;
        Ok(())
    }
}

/// How deliveries are shown: the output mode, and what the TUI or the lines show besides.
pub struct Presentation {
    /// The TUI or a line output.
    pub output: OutputMode,
    /// Facts for the TUI header.
    pub header: HeaderInfo,
    /// `--filter`, `--mask`, `--max-calls` and `--mouse`, as every output shows them.
    pub tui: ViewOptions,
    /// Twilio Debugger alerts to show, if they are polled.
    pub alerts: Option<AlertFeed>,
}

/// Shows the deliveries of `rx` (counted in `stats`) as `presentation` says until the end,
/// then says stop on `stop_tx`: the TUI until `q`, a signal or a stop on `stop_tx`; the lines
/// until the channel closes or `interrupted` resolves. A broken pipe on stdout ends the lines
/// without an error. The presenter of [`Running::present`] and of `replay`.
pub async fn show(
    rx: mpsc::Receiver<Delivery>,
    stats: Arc<ListenerStats>,
    presentation: Presentation,
    stop_tx: &watch::Sender<bool>,
    interrupted: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let Presentation {
        output,
        mut header,
        tui,
        alerts,
    } = presentation;
    match output {
        OutputMode::Tui => {
            header.alerts = alerts;
            let result = crate::tui::run(rx, stats, header, tui, stop_tx.clone()).await;
            let _ = stop_tx.send(true);
            result
        }
        mode => {
            let view = output::LineView {
                forward: header.forward.clone(),
                filter: tui.filter,
                mask: tui.mask,
                alerts,
                max_calls: tui.max_calls,
            };
            let mut out = std::io::stdout().lock();
            let result = tokio::select! {
                result = output::run_lines(mode, &view, rx, stats, &mut out) => result.map(|_| ()),
                () = interrupted => Ok(()),
            };
            let _ = stop_tx.send(true);
            match result {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(e).context("writing to stdout"),
            }
        }
    }
}

/// A channel that yields `taken` and then whatever `rx` yields: the deliveries `setup` looked
/// at, then the live ones, in arrival order. Without taken deliveries, `rx` itself.
fn taken_first(taken: Vec<Delivery>, mut rx: mpsc::Receiver<Delivery>) -> mpsc::Receiver<Delivery> {
    if taken.is_empty() {
        return rx;
    }
    let (tx, chained) = mpsc::channel(CHANNEL_CAPACITY.max(taken.len()));
    tokio::spawn(async move {
        for delivery in taken {
            if tx.send(delivery).await.is_err() {
                return;
            }
        }
        while let Some(delivery) = rx.recv().await {
            if tx.send(delivery).await.is_err() {
                return;
            }
        }
    });
    chained
}

/// Waits for the server to finish its requests in flight, then closes the recording.
async fn finish(server: JoinHandle<()>, recorder: Option<Recorder>, stats: &ListenerStats) {
    let _ = server.await;
    if let Some(recorder) = recorder {
        recorder.close().await;
        eprintln!("{}", recording_summary(&recorder, stats));
    }
}

/// Says, after the listening line, which calls `--resume` loaded.
fn announce_resume(
    mode: OutputMode,
    path: &std::path::Path,
    deliveries: usize,
    calls: usize,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match mode {
        OutputMode::Ndjson => ndjson::write_line(
            &mut out,
            &serde_json::json!({
                "type": "resumed",
                "file": path.display().to_string(),
                "deliveries": deliveries,
                "calls": calls,
            }),
        ),
        OutputMode::Compact => {
            use std::io::Write;
            writeln!(
                out,
                "resumed {calls} calls ({deliveries} deliveries) from {}",
                path.display()
            )
        }
        OutputMode::Quiet | OutputMode::Tui => Ok(()),
    }
    .context("writing to stdout")
}

/// One line for stderr when a recording ends.
fn recording_summary(recorder: &Recorder, stats: &ListenerStats) -> String {
    let lines = ListenerStats::get(&stats.recorded);
    let syncs = ListenerStats::get(&stats.record_syncs);
    let mut text = format!(
        "callwatch: recorded {lines} requests to {} ({syncs} syncs)",
        recorder.path().display()
    );
    let failures = ListenerStats::get(&stats.record_failures);
    if failures > 0 {
        text.push_str(&format!(
            "; {failures} requests could not be recorded (deliveries among them were answered 503, so Twilio retries them)"
        ));
    }
    text
}
