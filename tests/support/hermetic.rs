//! The callwatch binary started the same way on every machine: each test's `callwatch` comes
//! from [`callwatch`] (or goes through [`seal`]), never from `Command::new` directly.
//!
//! Sealed, the process sees none of the developer's or the CI runner's settings: no user config
//! file (the one in `$XDG_CONFIG_HOME/callwatch/` may set `filter`, `output`, `port`, `mask`...),
//! no `CALLWATCH_*` or `TWILIO_*` variable, no `RUST_LOG`, colour switches, terminal width,
//! proxy or time zone; and it writes nothing outside the scratch directory it is given (the
//! default log goes to `$XDG_STATE_HOME/callwatch/callwatch.log`, which is in that directory).
//! What a test sets itself (`.env(...)`, `--config`, `--log-file`) comes after and wins.
//!
//! Included with `#[path = "support/hermetic.rs"] mod hermetic;` by the tests that need it, and
//! by `listen_process`. `.ci/run` runs the suite a second time with a hostile environment to
//! keep it so.

#![allow(dead_code)] // Each test binary uses a different part.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// Variables removed by name: they change what callwatch or its libraries do.
const REMOVED: &[&str] = &[
    // The log's detail (callwatch's own), and tokio's thread count.
    "RUST_LOG",
    "TOKIO_WORKER_THREADS",
    // Colour and width of clap's messages and of callwatch's output.
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "COLUMNS",
    "LINES",
    "TERM",
    "COLORTERM",
];

/// Variables removed by prefix (compared in upper case, so `http_proxy` goes too).
const REMOVED_PREFIXES: &[&str] = &[
    "CALLWATCH_",
    "TWILIO_",
    "XDG_",
    "MIMALLOC_",
    "NGROK_",
    "TUNNEL_",
    // The AWS SDK's credentials, region, profile and endpoints (`kinesis`).
    "AWS_",
    // reqwest sends through these, loopback included (`send`, `replay`, `sinks`, `setup`).
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
];

/// `callwatch` (the binary under test), sealed by [`seal`] in a scratch directory of its own.
pub fn callwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callwatch"));
    seal(&mut command);
    command
}

/// Seals `command` from the environment of the machine: removes the variables that change
/// callwatch (see [`REMOVED`] and [`REMOVED_PREFIXES`]) and points `HOME` and the XDG
/// directories at a new, empty scratch directory, so that there is no config file and the
/// default log, state and data land there. `PATH` is an empty directory too, so that no
/// `ngrok` or `cloudflared` of the machine is ever started (tests of those set `PATH`). `TZ` is
/// UTC. Returns the scratch directory (`home/`, `config/`, `state/`, `data/`, `cache/` in it).
pub fn seal(command: &mut Command) -> PathBuf {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let upper = name.to_ascii_uppercase();
        if REMOVED.contains(&name) || REMOVED_PREFIXES.iter().any(|p| upper.starts_with(p)) {
            command.env_remove(name);
        }
    }
    let dir = scratch_dir();
    let home = dir.join("home");
    let path = dir.join("bin");
    for made in [&home, &path] {
        std::fs::create_dir_all(made).expect("scratch directory");
    }
    command
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("PATH", &path)
        .env("TZ", "UTC");
    dir
}

/// A new directory for one command: `<target>/tmp/hermetic/<test binary>-<pid>/<n>`.
pub fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = process_dir().join(n.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// This test process's directory under `<target>/tmp/hermetic/`; the first call removes the
/// ones earlier runs left that are more than an hour old.
fn process_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hermetic");
        prune(&root, Duration::from_secs(3600));
        let exe = std::env::current_exe().ok();
        let name = exe
            .as_deref()
            .and_then(Path::file_stem)
            .and_then(|s| s.to_str())
            .unwrap_or("test");
        root.join(format!("{name}-{}", std::process::id()))
    })
}

/// Removes the directories under `root` not modified for `age`.
fn prune(root: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > age);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// An HTTP client for the test's own requests to loopback servers: without the machine's
/// proxy (reqwest takes `HTTP_PROXY` and friends from the environment, loopback included).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}
