//! The signals that stop a run: SIGINT (Ctrl-C), SIGTERM and SIGHUP, caught from the moment
//! they are installed so that none sent early kills the process. The monitor, the TUI and
//! `replay` all stop on them the same way.

/// Resolves on Ctrl-C, SIGTERM or SIGHUP sent from the moment it is first polled.
pub async fn shutdown_signal() {
    match ShutdownSignals::install() {
        Ok(mut signals) => signals.recv().await,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP, caught from the moment [`ShutdownSignals::install`] returns: one sent
/// before anybody awaits [`ShutdownSignals::recv`] is kept, not lost, and no longer kills the
/// process.
pub struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    /// The terminal went away (its window closed, the SSH session dropped): stop as for
    /// SIGTERM, so the terminal is restored and the recording closed.
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Starts catching the signals (needs the Tokio runtime).
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Resolves once either signal has arrived.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
                _ = self.hangup.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
