//! `callwatch send` through the real binary: against callwatch's own listener (the real
//! binary too), and against a capture server that checks each signature independently with its
//! own HMAC-SHA1 and SHA-256.

mod listen_process;

use std::convert::Infallible;
use std::io::Write;
use std::process::Output;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use listen_process::{ListenProcess, callwatch};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

const TOKEN: &str = "send-test-token";

/// One request the capture server received.
#[derive(Debug, Clone)]
struct Captured {
    method: String,
    path_and_query: String,
    signature: String,
    user_agent: String,
    content_type: String,
    body: Vec<u8>,
}

/// A sink that records every request and answers 500 on `/fail`, 200 elsewhere.
struct CaptureServer {
    port: u16,
    seen: Arc<Mutex<Vec<Captured>>>,
}

impl CaptureServer {
    async fn start() -> Self {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = socket.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Vec<Captured>>> = Arc::default();
        let store = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = socket.accept().await {
                let store = Arc::clone(&store);
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let store = Arc::clone(&store);
                    async move {
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let mut captured = Captured {
                            method: req.method().to_string(),
                            path_and_query: req
                                .uri()
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            signature: header("x-twilio-signature"),
                            user_agent: header("user-agent"),
                            content_type: header("content-type"),
                            body: Vec::new(),
                        };
                        let fail = req.uri().path() == "/fail";
                        captured.body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes().to_vec())
                            .unwrap_or_default();
                        store.lock().expect("lock").push(captured);
                        let mut resp = Response::new(Full::new(Bytes::from_static(b"ok")));
                        if fail {
                            *resp.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        Ok::<_, Infallible>(resp)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { port, seen }
    }

    fn captured(&self) -> Vec<Captured> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Twilio's algorithm, written out independently of callwatch: the body's hex SHA-256 must be
/// the URL's bodySHA256, and the signature base64(HMAC-SHA1(token, full URL)).
fn assert_signed_like_twilio(c: &Captured, port: u16, token: &str) {
    let full_url = format!("http://127.0.0.1:{port}{}", c.path_and_query);
    let body_hash: String = Sha256::digest(&c.body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let query = c.path_and_query.split_once('?').map_or("", |(_, q)| q);
    let hashes: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("bodySHA256="))
        .collect();
    assert_eq!(hashes, [body_hash.as_str()], "{}", c.path_and_query);
    assert!(
        c.path_and_query
            .ends_with(&format!("bodySHA256={body_hash}")),
        "appended last"
    );
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(token.as_bytes()).expect("hmac key");
    mac.update(full_url.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(c.signature, expected, "signature of {full_url}");
    assert_eq!(c.method, "POST");
    assert_eq!(c.user_agent, "TwilioProxy/1.1");
    assert_eq!(c.content_type, "application/json");
}

async fn send(args: Vec<String>, token: Option<&str>) -> Output {
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut command = callwatch();
        command
            .arg("send")
            .args(&args)
            .env_remove("TWILIO_AUTH_TOKEN");
        if let Some(token) = token {
            command.env("TWILIO_AUTH_TOKEN", token);
        }
        command.output().expect("run callwatch send")
    })
    .await
    .expect("join")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_scenario_sends_one_calls_whole_sequence_signed_like_twilio() {
    let sink = CaptureServer::start().await;
    let url = format!("http://127.0.0.1:{}/hook?tenant=acme", sink.port);
    let out = send(
        strings(&[&url, "--scenario", "canceled", "--seed", "3"]),
        Some(TOKEN),
    )
    .await;
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let captured = sink.captured();
    assert!(
        captured.len() >= 5,
        "progress, then partial(s), predicted-complete, complete: {captured:?}"
    );
    let mut types = Vec::new();
    let mut sids = std::collections::BTreeSet::new();
    for c in &captured {
        assert_signed_like_twilio(c, sink.port, TOKEN);
        assert!(
            c.path_and_query
                .starts_with("/hook?tenant=acme&bodySHA256=")
        );
        let events: Value = serde_json::from_slice(&c.body).expect("a JSON array");
        assert_eq!(events.as_array().map(Vec::len), Some(1));
        types.push(events[0]["type"].as_str().unwrap_or_default().to_owned());
        sids.insert(
            events[0]["data"]["call_sid"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let last: Value = captured
        .last()
        .map(|c| serde_json::from_slice(&c.body).expect("json"))
        .unwrap_or_default();
    assert_eq!(
        last[0]["data"]["call_state"], "canceled",
        "early partials may still say ringing"
    );
    assert_eq!(sids.len(), 1, "one call");
    assert!(
        types.last().is_some_and(|t| t.ends_with(".complete")),
        "{types:?}"
    );
    assert_eq!(
        types[0], "com.twilio.voice.insights.call-event.gateway",
        "the call is seen live first: {types:?}"
    );
    let first_summary = types
        .iter()
        .position(|t| t.contains(".call-summary."))
        .expect("summaries");
    assert!(types[first_summary].ends_with(".partial"), "{types:?}");
    assert!(
        types[..first_summary]
            .iter()
            .all(|t| t == "com.twilio.voice.insights.call-event.gateway"),
        "a canceled call has progress events only, no samples: {types:?}"
    );
    assert_eq!(text.matches("200 OK").count(), captured.len(), "{text}");
    let summary = text.lines().last().unwrap_or_default();
    let expected = format!(
        "sent {n}: {n} 2xx, 0 non-2xx, 0 without answer; latency p50 ",
        n = captured.len()
    );
    assert!(summary.starts_with(&expected), "{summary}");
}

#[tokio::test]
async fn count_concurrency_event_and_body_file() {
    let sink = CaptureServer::start().await;
    let url = format!("http://127.0.0.1:{}/events", sink.port);
    let out = send(
        strings(&[
            &url,
            "--scenario",
            "random",
            "--event",
            "complete",
            "--count",
            "6",
            "--concurrency",
            "3",
        ]),
        Some(TOKEN),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let captured = sink.captured();
    assert_eq!(captured.len(), 6);
    for c in &captured {
        assert_signed_like_twilio(c, sink.port, TOKEN);
        let events: Value = serde_json::from_slice(&c.body).expect("json");
        assert_eq!(
            events[0]["type"],
            "com.twilio.voice.insights.call-summary.complete"
        );
    }

    let mut file = tempfile::NamedTempFile::new().expect("temp");
    file.write_all(b"[{\"exact\": \"bytes\"}]\n")
        .expect("write");
    let path = file.path().to_str().expect("utf-8").to_owned();
    let out = send(
        strings(&[&url, "--body-file", &path, "--count", "2"]),
        Some(TOKEN),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let captured = sink.captured();
    assert_eq!(captured.len(), 8);
    for c in &captured[6..] {
        assert_eq!(c.body, b"[{\"exact\": \"bytes\"}]\n");
        assert_signed_like_twilio(c, sink.port, TOKEN);
    }
}

#[tokio::test]
async fn degraded_sends_an_sdk_warning_raised_then_cleared() {
    let sink = CaptureServer::start().await;
    let url = format!("http://127.0.0.1:{}/events", sink.port);
    let out = send(
        strings(&[
            &url,
            "--scenario",
            "degraded",
            "--event",
            "sdk-event",
            "--seed",
            "9",
        ]),
        Some(TOKEN),
    )
    .await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let captured = sink.captured();
    let mut groups = Vec::new();
    for c in &captured {
        assert_signed_like_twilio(c, sink.port, TOKEN);
        let events: Value = serde_json::from_slice(&c.body).expect("json");
        assert_eq!(
            events[0]["type"],
            "com.twilio.voice.insights.call-event.sdk"
        );
        let d = &events[0]["data"];
        assert_eq!(d["edge"], "sdk_edge");
        groups.push(format!(
            "{} {}",
            d["name"].as_str().unwrap_or_default(),
            d["group"].as_str().unwrap_or_default()
        ));
    }
    assert_eq!(
        groups,
        [
            "high-jitter network-quality-warning-raised",
            "high-jitter network-quality-warning-cleared"
        ],
        "{text}"
    );
    assert!(text.contains("degraded CA"), "{text}");
    assert!(
        text.contains(" sdk-event high-jitter network-quality-warning-raised"),
        "{text}"
    );
}

#[tokio::test]
async fn a_non_2xx_answer_makes_send_fail() {
    let sink = CaptureServer::start().await;
    let url = format!("http://127.0.0.1:{}/fail", sink.port);
    let out = send(strings(&[&url, "--scenario", "test-event"]), Some(TOKEN)).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("500 Internal Server Error"), "{text}");
    assert!(
        text.contains("sent 1: 0 2xx, 1 non-2xx, 0 without answer"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 1 requests were not answered 2xx"));

    // Nothing listening at all.
    let closed = format!("http://127.0.0.1:{}/events", listen_process::free_port());
    let out = send(strings(&[&closed]), Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("without answer"), "{}", stdout(&out));
}

#[tokio::test]
async fn send_feeds_callwatchs_own_listener() {
    let mut run = ListenProcess::start(
        &[
            "--port",
            "0",
            "--auth-token",
            TOKEN,
            "--trust-forwarded-headers",
        ],
        &[],
    );
    let url = format!("{}/events", run.base());
    let out = send(
        strings(&[
            &url,
            "--scenario",
            "busy",
            "--count",
            "2",
            "--concurrency",
            "2",
        ]),
        Some(TOKEN),
    )
    .await;
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: usize = text
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("sent "))
        .and_then(|l| l.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("summary line");
    let mut calls = std::collections::BTreeMap::new();
    let mut deliveries = 0;
    // A delivery's line comes before the call lines it leads to: read on until both calls are
    // busy (next_line fails the test if nothing comes for 10 s).
    let settled = |calls: &std::collections::BTreeMap<String, serde_json::Value>| {
        calls.len() == 2 && calls.values().all(|s| s == "busy")
    };
    while deliveries < sent || !settled(&calls) {
        let line = run.next_line(std::time::Duration::from_secs(10));
        match line["type"].as_str() {
            Some("delivery") => {
                assert_eq!(line["verdict"], "ok", "{line}");
                deliveries += 1;
            }
            Some("call") => {
                calls.insert(
                    line["call_sid"].as_str().unwrap_or_default().to_owned(),
                    line["call_state"].clone(),
                );
            }
            _ => {}
        }
    }
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.values().all(|s| s == "busy"), "{calls:?}");

    let out = send(strings(&[&url, "--scenario", "test-event"]), Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(run.next_of_type("test_event")["test_id"].as_str().is_some());
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_diagnosed_by_the_listener() {
    let mut run = ListenProcess::start(
        &[
            "--port",
            "0",
            "--auth-token",
            TOKEN,
            "--trust-forwarded-headers",
        ],
        &[],
    );
    let url = format!("{}/events", run.base());
    let out = send(
        strings(&[&url, "--scenario", "completed", "--event", "complete"]),
        Some("another-token"),
    )
    .await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("403 Forbidden"), "{text}");
    let line = run.next_of_type("delivery");
    assert_eq!(line["verdict"], "bad_signature");
    assert!(
        line["hint"]
            .as_str()
            .is_some_and(|h| h.starts_with("signature made with another auth token (subaccount?)")),
        "{line}"
    );
}

/// Issue 13 (7b): the HTTP client sends `'` in the query as `%27` (and a space as `%20`); the
/// signature must be that of the URL as it arrives, which is what a receiver (and both
/// official validators, given the URL it received) checks.
#[tokio::test]
async fn a_destination_with_a_quote_is_signed_as_it_goes_on_the_wire() {
    let sink = CaptureServer::start().await;
    let url = format!(
        "http://127.0.0.1:{}/events?tenant=o'brien&note=a b",
        sink.port
    );
    let out = send(strings(&[&url, "--scenario", "test-event"]), Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let captured = sink.captured();
    assert_eq!(captured.len(), 1);
    assert!(
        captured[0]
            .path_and_query
            .starts_with("/events?tenant=o%27brien&note=a%20b&bodySHA256="),
        "{}",
        captured[0].path_and_query
    );
    assert_signed_like_twilio(&captured[0], sink.port, TOKEN);
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let out = send(strings(&["http://127.0.0.1:9/events"]), None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TWILIO_AUTH_TOKEN"));
    let out = send(strings(&["ftp://x/events"]), Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(2));
    let out = send(
        strings(&["http://x/events", "--scenario", "nope"]),
        Some(TOKEN),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("test-event"));
    let out = send(
        strings(&["http://x/events", "--scenario", "busy", "--body-file", "x"]),
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "--scenario and --body-file conflict"
    );
}
