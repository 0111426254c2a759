//! Secrets through the real binary: a password in `--public-url` signs deliveries but never
//! appears in stdout, stderr, the log or the recording; `Authorization` values are redacted
//! whole.

mod listen_process;

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use listen_process::{ListenProcess, callwatch, free_port};
use serde_json::Value;

const TOKEN: &str = "secrets-test-token-0123456789";
const PASSWORD: &str = "hunter2-Pa55";
/// `user:hunter2-Pa55`, base64: what an `Authorization: Basic` header would carry.
const BASIC: &str = "dXNlcjpodW50ZXIyLVBhNTU=";

fn public_url() -> String {
    format!("https://user:{PASSWORD}@sink.example.test/events")
}

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/twilio/fixtures/predicted-complete.json"
    ))
    .expect("fixture")
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} shows the password: {text}"
    );
    assert!(
        !text.contains(BASIC),
        "{what} shows the Basic credentials: {text}"
    );
    assert!(!text.contains(TOKEN), "{what} shows the auth token: {text}");
}

#[test]
fn a_password_in_the_public_url_signs_but_is_never_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("callwatch.log");
    let recording = dir.path().join("calls.ndjson");
    let public = public_url();
    let mut listener = ListenProcess::start(
        &[
            "--port",
            "0",
            "--public-url",
            &public,
            "--record",
            recording.to_str().expect("utf-8"),
            "--log-file",
            log.to_str().expect("utf-8"),
        ],
        &[
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );
    assert_eq!(
        listener.listening["public_url"],
        "https://user:•••@sink.example.test/events"
    );

    // Signed by Twilio for the destination with its userinfo: accepted.
    let body = fixture();
    let (full, signature) =
        sign_json_delivery(TOKEN.as_bytes(), &public, &body, Algorithm::HmacSha1);
    let query = full.split_once('?').expect("query").1;
    let path = format!("/events?{query}");
    let basic = format!("Basic {BASIC}");
    let accepted = listen_process::post_raw(
        &listener.addr,
        &path,
        &[
            ("X-Twilio-Signature", &signature),
            ("Authorization", &basic),
        ],
        &body,
    );
    assert_eq!(accepted, 200);
    // Signed for the URL without userinfo: refused, and the diagnosis lists the URLs tried.
    let (_, without_userinfo) = sign_json_delivery(
        TOKEN.as_bytes(),
        "https://sink.example.test/events",
        &body,
        Algorithm::HmacSha1,
    );
    let refused = listen_process::post_raw(
        &listener.addr,
        &path,
        &[
            ("X-Twilio-Signature", &without_userinfo),
            ("Authorization", "Bearerhunter2-Pa55"),
        ],
        &body,
    );
    assert_eq!(refused, 403);

    let lines = listener.wait_for("two deliveries", |lines| {
        lines.iter().filter(|l| l["type"] == "delivery").count() >= 2
    });
    let deliveries: Vec<&Value> = lines.iter().filter(|l| l["type"] == "delivery").collect();
    assert_eq!(deliveries[0]["verdict"], "ok");
    assert_eq!(deliveries[1]["verdict"], "bad_signature");
    let tried = deliveries[1]["tried_urls"].as_array().expect("tried_urls");
    assert!(!tried.is_empty());
    for t in tried {
        let url = t["url"].as_str().expect("url");
        assert!(
            url.starts_with("https://user:•••@sink.example.test"),
            "{url}"
        );
    }
    listener.terminate();

    let stdout: Vec<String> = listener.lines().iter().map(Value::to_string).collect();
    assert_no_secret("stdout", &stdout.join("\n"));
    assert_no_secret("stderr", &listener.stderr());
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("user:•••@sink.example.test"), "{logged}");
    assert_no_secret("the log", &logged);
    let recorded = std::fs::read_to_string(&recording).expect("recording");
    assert!(recorded.contains("https://user:•••@sink.example.test/events?"));
    assert_no_secret("the recording", &recorded);

    // `replay --verify` cannot check a masked URL's signature, says so, and checks it again
    // with the destination given.
    let replay = |extra: &[&str]| {
        let out = callwatch()
            .args(["replay", recording.to_str().expect("utf-8")])
            .args(["--verify", "--max", "--output", "ndjson"])
            .args(extra)
            .env("CALLWATCH_CONFIG", "/dev/null")
            .env("CALLWATCH_LOG_FILE", dir.path().join("replay.log"))
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .output()
            .expect("run replay");
        let verdicts: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["type"] == "delivery")
            .map(|l| l["verdict"].as_str().unwrap_or_default().to_owned())
            .collect();
        (verdicts, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // (Refused requests are not recorded by default: the recording holds the accepted one.)
    let (verdicts, stderr) = replay(&[]);
    assert_eq!(verdicts, ["bad_signature"]);
    assert!(stderr.contains("pass --destination"), "{stderr}");
    let (verdicts, stderr) = replay(&["--destination", &public]);
    assert_eq!(verdicts, ["ok"], "{stderr}");
    assert_no_secret("replay", &stderr);
}

#[test]
fn config_show_masks_the_password_of_the_public_url() {
    let out = callwatch()
        .args(["config", "show", "listen", "--public-url", &public_url()])
        .env("CALLWATCH_CONFIG", "/dev/null")
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .output()
        .expect("run config show");
    assert!(out.status.success(), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("https://user:•••@sink.example.test/events"),
        "{shown}"
    );
    assert_no_secret("config show", &shown);
    assert_no_secret(
        "config show's stderr",
        &String::from_utf8_lossy(&out.stderr),
    );
}

/// A refused `--public-url` is reported without its password.
#[test]
fn a_refused_public_url_is_reported_without_its_password() {
    let out = callwatch()
        .args([
            "listen",
            "--output",
            "ndjson",
            "--port",
            "0",
            "--public-url",
            &format!("https://user:{PASSWORD}@sink.example.test:99999/events"),
        ])
        .env("CALLWATCH_CONFIG", "/dev/null")
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .output()
        .expect("run listen");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("user:•••@"), "{stderr}");
    assert_no_secret("stderr", &stderr);
}

/// A token file as an editor leaves it: the token and a final newline.
fn token_file(dir: &std::path::Path, content: &str) -> String {
    let path = dir.join("token");
    std::fs::write(&path, content).expect("token file");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn listen_and_send_take_the_token_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = token_file(dir.path(), &format!("{TOKEN}\n"));
    let log = dir.path().join("callwatch.log");
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let public = public.as_str();
    let mut listener = ListenProcess::start(
        &[
            "--port",
            &port,
            "--public-url",
            public,
            "--auth-token-file",
            &file,
            "--log-file",
            log.to_str().expect("utf-8"),
        ],
        // The variable holds another token: the flag's file wins, as any flag does.
        &[
            ("TWILIO_AUTH_TOKEN", "not-the-token"),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );
    let body = fixture();
    let (full, signature) =
        sign_json_delivery(TOKEN.as_bytes(), public, &body, Algorithm::HmacSha1);
    let path = format!("/events?{}", full.split_once('?').expect("query").1);
    assert_eq!(
        listen_process::post_raw(
            &listener.addr,
            &path,
            &[("X-Twilio-Signature", &signature)],
            &body
        ),
        200
    );
    // `send` signs with the token from the same file.
    let sent = callwatch()
        .args([
            "send",
            public,
            "--scenario",
            "test-event",
            "--auth-token-file",
            &file,
        ])
        .env("CALLWATCH_CONFIG", "/dev/null")
        .env_remove("TWILIO_AUTH_TOKEN")
        .env("CALLWATCH_LOG_FILE", dir.path().join("send.log"))
        .output()
        .expect("run send");
    let lines = listener.wait_for("two deliveries", |lines| {
        lines.iter().filter(|l| l["type"] == "delivery").count() >= 2
    });
    let verdicts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "delivery")
        .map(|l| &l["verdict"])
        .collect();
    assert_eq!(verdicts, ["ok", "ok"], "{lines:?}");
    assert_eq!(sent.status.code(), Some(0));
    listener.terminate();
    let stdout: Vec<String> = listener.lines().iter().map(Value::to_string).collect();
    assert_no_secret("stdout", &stdout.join("\n"));
    assert_no_secret("stderr", &listener.stderr());
    assert_no_secret("the log", &std::fs::read_to_string(&log).expect("log"));
    assert_no_secret(
        "send's output",
        &String::from_utf8_lossy(&[sent.stdout, sent.stderr].concat()),
    );
}

/// `verify` with the README's vector (token `12345`), the token in a file.
#[test]
fn verify_takes_the_token_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = dir.path().join("body.json");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/sink-test-event.json"
        ),
        &body,
    )
    .expect("body");
    let run = |file_content: Option<&str>, extra: &[&str]| {
        let mut command = callwatch();
        command
            .args([
                "verify",
                "--url",
                "https://example.com/twilio/events?bodySHA256=f4dc494f1e604a19df36cdd069f7956b1f261dc954ae1c698ed8b4939fd9ab54",
                "--signature",
                "xWpMQ9oup5I4GzSsMkdAInacfMM=",
                "--body-file",
                body.to_str().expect("utf-8"),
            ])
            .args(extra)
            .env("CALLWATCH_CONFIG", "/dev/null")
            .env("CALLWATCH_LOG_FILE", dir.path().join("verify.log"))
            .env_remove("TWILIO_AUTH_TOKEN");
        if let Some(content) = file_content {
            command.args(["--auth-token-file", &token_file(dir.path(), content)]);
        }
        let out = command.output().expect("run verify");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr)
    };
    // Surrounding whitespace and CRLF are not part of the token.
    for content in ["12345", "12345\n", "  12345\r\n\n"] {
        assert_eq!(run(Some(content), &[]).0, Some(0), "{content:?}");
    }
    let (code, stderr) = run(Some("\n  \n"), &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("is empty"), "{stderr}");
    let (code, stderr) = run(Some("12345\nsecond-line\n"), &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("more than one word"), "{stderr}");
    assert!(
        !stderr.contains("second-line") && !stderr.contains("12345"),
        "{stderr}"
    );
    let (code, stderr) = run(Some("12345"), &["--auth-token", "12345"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("pass one of them"), "{stderr}");
    let (code, stderr) = run(None, &["--auth-token-file", "/nonexistent/token"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("cannot read --auth-token-file /nonexistent/token"),
        "{stderr}"
    );
}
