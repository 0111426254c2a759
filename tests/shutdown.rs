//! Graceful shutdown through the real binary: SIGTERM or SIGINT under a concurrent signed
//! load with `--record` ends `callwatch listen` with exit code 0, and every delivery that was
//! answered 2xx is in the recording.

mod listen_process;
#[path = "support/signed_load.rs"]
mod signed_load;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use callwatch::ingest::replay::read_recording;
use listen_process::ListenProcess;

const TOKEN: &str = "shutdown-test-token";
const PUBLIC: &str = "https://sink.example.test/events";

fn scratch(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shutdown");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Starts `listen --record`, loads it with 32 concurrent signed clients, sends `signal` once a
/// few hundred deliveries are acknowledged, and checks the exit and the recording.
async fn signal_under_load_loses_nothing(signal: &str) {
    let recording = scratch(&format!("{signal}.ndjson"));
    let mut listening = ListenProcess::start(
        &[
            "--port",
            "0",
            "--public-url",
            PUBLIC,
            "--auth-token",
            TOKEN,
            "--record",
            recording.to_str().expect("a UTF-8 path"),
        ],
        &[],
    );
    let load = signed_load::start(4000, PUBLIC, &listening.base(), TOKEN, 32);
    load.wait_for_acked(300).await;
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &listening.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal}");
    let status = listening.wait_for_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIG{signal}; stderr: {}",
        listening.stderr()
    );
    let deliveries = &load.deliveries;
    let outcome = load.task.await.expect("load");
    assert!(
        outcome.acknowledged.len() < deliveries.len(),
        "the signal came in the middle of the load ({} of {} acknowledged)",
        outcome.acknowledged.len(),
        deliveries.len()
    );
    assert_eq!(outcome.refused, 0, "nothing was refused");

    let (recorded, warnings) = read_recording(&recording).expect("read the recording");
    assert!(
        warnings.is_empty(),
        "a graceful stop leaves no torn line: {warnings:?}"
    );
    let lost = signed_load::acknowledged_but_missing(
        &outcome,
        deliveries,
        recorded.iter().map(|r| &r.body[..]),
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged deliveries are not in the recording: {lost:?}",
        lost.len()
    );
    assert!(
        listening.stderr().contains("callwatch: recorded"),
        "the recording was closed: {}",
        listening.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_exits_0_and_loses_no_acknowledged_delivery() {
    signal_under_load_loses_nothing("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigint_under_load_exits_0_and_loses_no_acknowledged_delivery() {
    signal_under_load_loses_nothing("INT").await;
}

#[test]
fn a_signal_right_after_the_listening_line_still_exits_0() {
    let mut listening = ListenProcess::start(
        &["--port", "0", "--public-url", PUBLIC, "--auth-token", TOKEN],
        &[],
    );
    let sent = Command::new("kill")
        .args(["-TERM", &listening.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let status = listening.wait_for_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "stderr: {}", listening.stderr());
}
