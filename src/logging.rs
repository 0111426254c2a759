//! The log: `tracing` events written to a file, never to the terminal, which belongs to the
//! table. The file is in the platform's state directory unless `--log-file` says otherwise;
//! `-v`/`-vv` or `RUST_LOG` add detail. Secrets and delivery bodies are never logged.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

/// A log larger than this at start is moved aside to `<name>.1` (replacing an older one), so
/// the log never grows without bound.
const ROTATE_BYTES: u64 = 10 << 20;

/// Keeps the log writer alive; dropping it flushes what is queued.
pub struct LogGuard {
    /// The file being written, when logging is on.
    path: Option<PathBuf>,
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl LogGuard {
    /// No log (commands that only print: `config`, `completions`, `man`).
    pub fn none() -> Self {
        Self {
            path: None,
            _worker: None,
        }
    }

    /// The log file, when logging is on.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

/// Starts logging to `path` (or the default log file). When the file cannot be opened,
/// callwatch runs without a log and says so once on stderr.
pub fn init(path: Option<PathBuf>, verbose: u8) -> LogGuard {
    let Some(path) = path.or_else(crate::config::default_log_path) else {
        eprintln!(
            "callwatch: no log: no home directory to keep it in (choose a file with --log-file)"
        );
        return LogGuard::none();
    };
    let file = match open(&path) {
        Ok(file) => file,
        Err(e) => {
            eprintln!(
                "callwatch: cannot open the log file {}: {e}; continuing without a log \
                 (choose another with --log-file)",
                path.display()
            );
            return LogGuard::none();
        }
    };
    let (writer, worker) = tracing_appender::non_blocking(file);
    let installed = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter(verbose))
        .try_init();
    if installed.is_err() {
        return LogGuard::none();
    }
    log_panics();
    LogGuard {
        path: Some(path),
        _worker: Some(worker),
    }
}

/// What to log: `-v` (debug) and `-vv` (trace) for callwatch win over `RUST_LOG`, which wins
/// over the default (callwatch at info, other crates at warn).
fn filter(verbose: u8) -> EnvFilter {
    let from_flags = |level: u8| match level {
        0 => "warn,callwatch=info",
        1 => "info,callwatch=debug",
        _ => "debug,callwatch=trace",
    };
    if verbose > 0 {
        return EnvFilter::new(from_flags(verbose));
    }
    match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("callwatch: RUST_LOG={spec:?} ignored ({e}); logging at the default level");
            EnvFilter::new(from_flags(0))
        }),
        _ => EnvFilter::new(from_flags(0)),
    }
}

/// Opens the log for appending, creating its directory, after moving a large one aside.
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > ROTATE_BYTES) {
        let mut aside = path.as_os_str().to_owned();
        aside.push(".1");
        // Best effort: if it cannot be moved, appending still works.
        let _ = std::fs::rename(path, aside);
    }
    OpenOptions::new().create(true).append(true).open(path)
}

/// A panic is logged too (the TUI's hook restores the terminal and prints it as before).
fn log_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "callwatch panicked");
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_log_is_moved_aside_and_a_new_one_started() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("callwatch.log");
        drop(open(&path).unwrap());
        assert!(path.exists(), "the directory is created");
        std::fs::write(&path, vec![b'x'; (ROTATE_BYTES + 1) as usize]).unwrap();
        drop(open(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(dir.path().join("nested").join("callwatch.log.1").exists());
    }
}
