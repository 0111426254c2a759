//! The running monitor shared by `listen`, `demo` (and later `setup`): the listener on a bound
//! socket, the presentation channel, and one consumer (the TUI or a line writer), wired to
//! shut down together on `q`, Ctrl-C, SIGTERM, or the end of a demo.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::calls::filter::Filter;
use crate::ingest::record::Recorder;
use crate::ingest::server::{Listener, PublicUrl, serve};
use crate::ingest::{Delivery, ListenerStats};
use crate::ingest::verdict::Judge;
use crate::output::{self, OutputMode, ndjson};
use crate::tui::HeaderInfo;

/// Deliveries buffered between the listener and the screen before they count as a gap.
pub const CHANNEL_CAPACITY: usize = 16 * 1024;

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
    /// How the TUI starts (filter, mask, mouse).
    pub tui: crate::tui::TuiOptions,
    /// `--filter`: the calls every output mode shows (the TUI's initial filter when
    /// `tui.filter` is unset; `call` lines only in ndjson and compact).
    pub filter: Option<Filter>,
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
}

/// Runs the monitor until the user quits, a signal arrives, or `finished` resolves (line
/// outputs exit then; the TUI stays until `q`). `background` runs alongside (the simulated
/// Twilio in demo); it receives a stop signal.
pub async fn run<F, Fut>(spec: MonitorSpec, background: Option<F>, exit_when_background_ends: bool) -> anyhow::Result<()>
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_recorded(spec, Recording::default(), background, exit_when_background_ends).await
}

/// [`run`], recording to a file and/or starting from the calls of an earlier recording.
pub async fn run_recorded<F, Fut>(
    spec: MonitorSpec,
    recording: Recording,
    background: Option<F>,
    exit_when_background_ends: bool,
) -> anyhow::Result<()>
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = spec.socket.local_addr().context("reading the bound address")?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let preload_tx = tx.clone();
    let mut listener = Listener::new(spec.public_url.clone(), spec.judge, tx);
    let recorder = match &recording.path {
        Some(path) => {
            let recorder = Recorder::open(path, Arc::clone(&listener.stats))?;
            listener = listener.with_recorder(recorder.clone());
            Some(recorder)
        }
        None => None,
    };
    let listener = Arc::new(listener);
    let stats = Arc::clone(&listener.stats);
    let (stop_tx, stop_rx) = watch::channel(false);

    // The `listening` line comes first, before any delivery can be written.
    if spec.output == OutputMode::Ndjson {
        let mut out = std::io::stdout().lock();
        let mut line = ndjson::listening(&addr.to_string(), &spec.public_url.describe());
        // Where the URL came from (`--public-url`, `ngrok agent API`, ...), after the contract fields.
        if let Some(fields) = line.as_object_mut()
            && !spec.header.url_source.is_empty()
        {
            fields.insert("url_source".into(), spec.header.url_source.clone().into());
        }
        ndjson::write_line(&mut out, &line).context("writing to stdout")?;
    }
    if let (Some(calls), Some(path)) = (recording.resumed_calls, &recording.path) {
        announce_resume(spec.output, path, recording.preload.len(), calls)?;
    }

    // Resumed deliveries go through the channel first, so that every consumer shows them
    // exactly as live ones and before them; the socket is bound, so Twilio only waits.
    let preload = recording.preload;
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        for delivery in preload {
            if preload_tx.send(delivery).await.is_err() {
                return;
            }
        }
        drop(preload_tx);
        serve(spec.socket, listener, async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        })
        .await;
    });

    let (bg_done_tx, mut bg_done_rx) = watch::channel(false);
    let background_task = background.map(|make| {
        let fut = make(stop_rx.clone());
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

    match spec.output {
        OutputMode::Tui => {
            let mut header = spec.header;
            header.listen_addr = addr.to_string();
            header.public_url = spec.public_url.describe();
            let mut options = spec.tui;
            options.filter = options.filter.or(spec.filter);
            crate::tui::run(rx, Arc::clone(&stats), header, options, stop_tx.clone()).await?;
            let _ = stop_tx.send(true);
        }
        mode => {
            let stopper = stop_tx.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = shutdown_signal() => {}
                    () = background_ended => {}
                }
                let _ = stopper.send(true);
            });
            let mut out = std::io::stdout().lock();
            let result = output::run_lines(mode, spec.filter.as_ref(), rx, Arc::clone(&stats), &mut out).await;
            let _ = stop_tx.send(true);
            match result {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e).context("writing to stdout"),
            }
        }
    }
    let _ = server.await;
    if let Some(recorder) = recorder {
        recorder.close().await;
        eprintln!("{}", recording_summary(&recorder, &stats));
    }
    Ok(())
}

/// Says, after the listening line, which calls `--resume` loaded.
fn announce_resume(mode: OutputMode, path: &std::path::Path, deliveries: usize, calls: usize) -> anyhow::Result<()> {
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
            writeln!(out, "resumed {calls} calls ({deliveries} deliveries) from {}", path.display())
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

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
