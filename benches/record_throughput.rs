//! The throughput cost of `listen --record`: the release binary is started with and without
//! recording, and the same signed load (N distinct deliveries, C concurrent connections) is
//! driven through it; requests/s and the average group-commit batch are printed.
//!
//! Run with `cargo bench --bench record_throughput`; tune with `CALLWATCH_BENCH_N` (default
//! 20000) and `CALLWATCH_BENCH_C` (default 64). Under `cargo test` it does nothing.

#[path = "../tests/support/signed_load.rs"]
mod signed_load;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const PUBLIC: &str = "https://bench.example.test/events";
const WARM_UP: usize = 1000;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe a free port");
    probe.local_addr().expect("addr").port()
}

/// Starts `callwatch listen` (quiet) on a free port, recording to `record` if given, and waits
/// until it answers.
async fn start(record: Option<&Path>) -> (Child, String) {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callwatch"));
    cmd.args(["listen", "--output", "quiet", "--port", &port.to_string()])
        .args(["--public-url", PUBLIC, "--auth-token", TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(path) = record {
        cmd.arg("--record").arg(path);
    }
    let child = cmd.spawn().expect("start callwatch");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "callwatch did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, base)
}

/// Stops it with SIGTERM (so it prints its recording summary) and returns its stderr.
fn stop(mut child: Child) -> String {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    stderr
}

/// One run: warm up, then time `n` deliveries at concurrency `c`. Returns requests/s and the
/// recorder's summary line, if any.
async fn run(bodies: &[Vec<u8>], n: usize, c: usize, record: Option<&Path>) -> (f64, String) {
    if let Some(path) = record {
        let _ = std::fs::remove_file(path);
    }
    let (child, base) = start(record).await;
    let signed = signed_load::sign_all(bodies.to_vec(), PUBLIC, &base, TOKEN);
    let (warm, timed) = signed.split_at(WARM_UP);
    let warm =
        signed_load::drive(Arc::new(warm.iter().map(copy).collect()), c, Arc::default()).await;
    assert_eq!(
        warm.acknowledged.len(),
        WARM_UP,
        "warm-up deliveries all acknowledged"
    );
    let timed: Vec<_> = timed.iter().take(n).map(copy).collect();
    let outcome = signed_load::drive(Arc::new(timed), c, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(outcome.acknowledged.len(), n, "every delivery acknowledged");
    let summary = stop(child);
    (
        n as f64 / outcome.elapsed.as_secs_f64(),
        summary.trim().to_owned(),
    )
}

fn copy(s: &signed_load::Signed) -> signed_load::Signed {
    signed_load::Signed {
        url: s.url.clone(),
        signature: s.signature.clone(),
        body: s.body.clone(),
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("record_throughput: run with `cargo bench --bench record_throughput`");
        return;
    }
    let n = env_number("CALLWATCH_BENCH_N", 20_000);
    let c = env_number("CALLWATCH_BENCH_C", 64);
    let recording: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-record.ndjson");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bodies = signed_load::distinct_bodies(WARM_UP + n);
    println!(
        "record_throughput: {n} signed deliveries, concurrency {c}, recording to {}",
        recording.display()
    );
    let mut plain = Vec::new();
    let mut recorded = Vec::new();
    // Alternate, so that a slow moment of the machine does not land on one side only.
    for round in 1..=3 {
        let (rps, _) = runtime.block_on(run(&bodies, n, c, None));
        println!("  round {round}  without --record: {rps:>8.0} requests/s");
        plain.push(rps);
        let (rps, summary) = runtime.block_on(run(&bodies, n, c, Some(&recording)));
        println!("  round {round}  with --record:    {rps:>8.0} requests/s   ({summary})");
        recorded.push(rps);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, r) = (median(&mut plain), median(&mut recorded));
    println!(
        "median: without --record {p:.0}/s, with --record {r:.0}/s ({:.0}% of it)",
        100.0 * r / p
    );
    let _ = std::fs::remove_file(&recording);
}
