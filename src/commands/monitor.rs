//! The running monitor shared by `listen`, `demo` (and later `setup`): the listener on a bound
//! socket, the presentation channel, and one consumer (the TUI or a line writer), wired to
//! shut down together on `q`, Ctrl-C, SIGTERM, or the end of a demo.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::ingest::server::{Listener, PublicUrl, serve};
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
}

/// Runs the monitor until the user quits, a signal arrives, or `finished` resolves (line
/// outputs exit then; the TUI stays until `q`). `background` runs alongside (the simulated
/// Twilio in demo); it receives a stop signal.
pub async fn run<F, Fut>(spec: MonitorSpec, background: Option<F>, exit_when_background_ends: bool) -> anyhow::Result<()>
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = spec.socket.local_addr().context("reading the bound address")?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let listener = Arc::new(Listener::new(spec.public_url.clone(), spec.judge, tx));
    let stats = Arc::clone(&listener.stats);
    let (stop_tx, stop_rx) = watch::channel(false);

    // The `listening` line comes first, before any delivery can be written.
    if spec.output == OutputMode::Ndjson {
        let mut out = std::io::stdout().lock();
        ndjson::write_line(&mut out, &ndjson::listening(&addr.to_string(), &spec.public_url.describe()))
            .context("writing to stdout")?;
    }

    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(serve(spec.socket, listener, async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));

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
            crate::tui::run(rx, stats, header, stop_tx.clone()).await?;
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
            let result = output::run_lines(mode, rx, stats, &mut out).await;
            let _ = stop_tx.send(true);
            match result {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e).context("writing to stdout"),
            }
        }
    }
    let _ = server.await;
    Ok(())
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
