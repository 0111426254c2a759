//! The log file through the real binary: what is logged (listener bound, refused deliveries
//! with their verdict and hint), what never is (the token), that nothing goes to the terminal,
//! that fatal errors point at the log, and that an unusable log file does not stop callwatch.

mod listen_process;

use std::process::Output;

use listen_process::{ListenProcess, free_port};

fn callwatch(args: &[&str]) -> Output {
    listen_process::callwatch()
        .args(args)
        .env("CALLWATCH_CONFIG", "/dev/null")
        .output()
        .expect("run callwatch")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_run_logs_to_the_file_and_nothing_to_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("logs").join("callwatch.log");
    let out = callwatch(&[
        "demo",
        "--output",
        "quiet",
        "--duration",
        "1",
        "--log-file",
        log.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "nothing on the terminal");
    let logged = std::fs::read_to_string(&log).expect("the log was written");
    assert!(logged.contains("callwatch started"), "{logged}");
    assert!(logged.contains("command=demo"), "{logged}");
    assert!(logged.contains("listener bound"), "{logged}");
}

#[test]
fn refused_deliveries_are_logged_with_verdict_and_hint_but_never_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("callwatch.log");
    let port = free_port().to_string();
    let url = format!("http://127.0.0.1:{port}/events");
    let token = "listener-token-0123456789abcdef";
    let mut listener = ListenProcess::start(
        &[
            "--port",
            &port,
            "--public-url",
            &url,
            "--log-file",
            log.to_str().expect("utf-8"),
        ],
        &[
            ("TWILIO_AUTH_TOKEN", token),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );
    let sent = listen_process::callwatch()
        .args(["send", &url, "--event", "complete"])
        .env("TWILIO_AUTH_TOKEN", "another-token")
        .env("CALLWATCH_CONFIG", "/dev/null")
        .env("CALLWATCH_LOG_FILE", dir.path().join("send.log"))
        .output()
        .expect("run send");
    assert_eq!(sent.status.code(), Some(1), "the delivery is refused");
    let refused = listener.next_of_type("delivery");
    assert_eq!(refused["verdict"], "bad_signature");
    assert!(listener.terminate().success());
    let logged = std::fs::read_to_string(&log).expect("the log was written");
    let line = logged
        .lines()
        .find(|l| l.contains("delivery refused"))
        .unwrap_or_else(|| panic!("no refused delivery in the log:\n{logged}"));
    assert!(line.contains("verdict=\"bad_signature\""), "{line}");
    assert!(line.contains("status=403"), "{line}");
    assert!(line.contains("hint="), "{line}");
    assert!(!logged.contains(token), "the token is never logged");
    assert!(
        !logged.contains("another-token"),
        "the token is never logged"
    );
}

#[test]
fn a_fatal_error_points_at_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("callwatch.log");
    let missing = dir.path().join("missing.ndjson");
    let out = callwatch(&[
        "replay",
        missing.to_str().expect("utf-8"),
        "--log-file",
        log.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .trim_end()
            .ends_with(&format!("details in {}", log.display())),
        "{stderr}"
    );
    let logged = std::fs::read_to_string(&log).expect("the log was written");
    assert!(logged.contains("callwatch failed"), "{logged}");
}

#[test]
fn an_unusable_log_file_is_reported_once_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").expect("write");
    let log = not_a_dir.join("callwatch.log");
    let out = callwatch(&[
        "demo",
        "--output",
        "ndjson",
        "--duration",
        "1",
        "--log-file",
        log.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.matches("continuing without a log").count(),
        1,
        "{stderr}"
    );
    assert!(text(&out.stdout).starts_with("{\"type\":\"listening\""));
}
