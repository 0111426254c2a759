//! The log: `tracing` events written to a file, never to the terminal, which belongs to the
//! table. The file is in the platform's state directory unless `--log-file` says otherwise;
//! `-v`/`-vv` or `RUST_LOG` add detail. Secrets and delivery bodies are never logged.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

/// A log that reaches this size, at start or while running, is moved aside to `<name>.1`
/// (replacing an older one) and a new one is started: the log takes at most twice this.
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

/// Starts logging to `path`: `--log-file`, else [`crate::config::default_log_path`], `None` when
/// there is no home directory to keep it in. When the file cannot be opened, callwatch runs
/// without a log and says so once on stderr.
pub fn init(path: Option<PathBuf>, verbose: u8) -> LogGuard {
    let Some(path) = path else {
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
    let (writer, worker) = tracing_appender::non_blocking(RotatingFile::new(path.clone(), file));
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
        // Best effort: if it cannot be moved, appending still works.
        let _ = std::fs::rename(path, aside(path));
    }
    OpenOptions::new().create(true).append(true).open(path)
}

/// How many times the log was rotated while running, for the screen to say so.
static ROTATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times this run's log reached its size limit and was moved aside to `<name>.1`.
pub fn rotations() -> u64 {
    ROTATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// The log file, moved aside to `<name>.1` and started again whenever it reaches
/// [`ROTATE_BYTES`]; written by the non-blocking writer's one thread.
struct RotatingFile {
    path: PathBuf,
    file: std::fs::File,
    written: u64,
    limit: u64,
}

impl RotatingFile {
    fn new(path: PathBuf, file: std::fs::File) -> Self {
        let written = file.metadata().map_or(0, |m| m.len());
        Self {
            path,
            file,
            written,
            limit: ROTATE_BYTES,
        }
    }

    /// Moves the file aside and opens a new one, which says so first. On failure the current
    /// file goes on (past the limit rather than losing lines).
    fn rotate(&mut self) {
        let _ = self.file.flush();
        if std::fs::rename(&self.path, aside(&self.path)).is_err() {
            return;
        }
        if let Ok(file) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            self.file = file;
            self.written = 0;
            ROTATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let note = format!(
                "callwatch: log rotated at {} bytes; the previous lines are in {}\n",
                self.limit,
                aside(&self.path).display()
            );
            if self.file.write_all(note.as_bytes()).is_ok() {
                self.written = note.len() as u64;
            }
        }
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.limit {
            self.rotate();
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// `<name>.1`, where a full log is moved.
fn aside(path: &Path) -> PathBuf {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".1");
    PathBuf::from(aside)
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

    #[test]
    fn a_log_that_fills_up_while_running_is_moved_aside_between_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("callwatch.log");
        let mut log = RotatingFile::new(path.clone(), open(&path).unwrap());
        log.limit = 1000;
        let line = format!("{}\n", "a".repeat(399));
        for _ in 0..2 {
            log.write_all(line.as_bytes()).unwrap();
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 800);
        log.write_all(line.as_bytes()).unwrap();
        let aside = std::fs::read_to_string(dir.path().join("callwatch.log.1")).unwrap();
        assert_eq!(aside, line.repeat(2), "the full log moved aside whole");
        let now = std::fs::read_to_string(&path).unwrap();
        assert!(
            now.starts_with("callwatch: log rotated at 1000 bytes"),
            "{now}"
        );
        assert!(now.ends_with(&line), "{now}");
        assert!(now.len() < 1000);
    }
}
