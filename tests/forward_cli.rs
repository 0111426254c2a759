//! `--forward-to` through the real binary: a local target that checks `X-Twilio-Signature` the
//! way Twilio's helper libraries do (HMAC-SHA1 with the auth token over the full URL, the
//! `bodySHA256` query parameter the hex SHA-256 of the body) receives every accepted,
//! non-duplicate delivery byte for byte, none of the refused or duplicate ones, and a slow
//! target never slows the answers to Twilio.

mod listen_process;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use callwatch::twilio::signature::{Algorithm, Secrets, sign_json_delivery, verify_json_delivery};
use hmac::{Hmac, KeyInit, Mac};
use listen_process::{ListenProcess, free_port, post_raw};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "forward-test-token-0123456789abcd";
const SID: &str = "CA0123456789abcdef0123456789abcdef";

/// One request the target received.
struct Received {
    /// The full URL it was sent to, as the app sees it (`http://127.0.0.1:PORT/hook?...`).
    url: String,
    signature: String,
    body: Vec<u8>,
    user_agent: String,
}

/// A target on a free loopback port: every request is read, sent to the returned channel, and
/// answered 200 after `delay`. Returns its URL (`http://127.0.0.1:PORT/hook`).
fn target(delay: Duration) -> (String, mpsc::Receiver<Received>) {
    let socket = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in socket.incoming() {
            let Ok(mut stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                let mut buf = [0u8; 16 * 1024];
                let (head, body) = loop {
                    let n = stream.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&got[..end]).into_owned();
                    let len = header(&head, "content-length")
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break (head, got[end + 4..end + 4 + len].to_vec());
                    }
                };
                std::thread::sleep(delay);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n",
                );
                let path = head
                    .lines()
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or_default();
                let _ = tx.send(Received {
                    url: format!("http://127.0.0.1:{port}{path}"),
                    signature: header(&head, "x-twilio-signature").unwrap_or_default(),
                    user_agent: header(&head, "user-agent").unwrap_or_default(),
                    body,
                });
            });
        }
    });
    (format!("http://127.0.0.1:{port}/hook"), rx)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// What Twilio's helper libraries check of a JSON webhook: `bodySHA256` in the URL is the hex
/// SHA-256 of the body, and the signature is base64 HMAC-SHA1, keyed with the auth token, of
/// the full URL as requested.
fn valid_like_twilio_libraries(token: &str, received: &Received) -> bool {
    let query = received.url.split_once('?').map_or("", |(_, q)| q);
    let Some(body_hash) = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("bodySHA256="))
    else {
        return false;
    };
    let digest = Sha256::digest(&received.body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if hex != body_hash {
        return false;
    }
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).expect("key");
    Mac::update(&mut mac, received.url.as_bytes());
    BASE64.encode(mac.finalize().into_bytes()) == received.signature
}

fn delivery(ids: &[&str]) -> Vec<u8> {
    let events: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"specversion": "1.0", "type": "com.twilio.voice.insights.call-event.gateway",
                "source": format!("/v1/Voice/{SID}"), "id": id,
                "time": callwatch::timestamp::rfc3339(std::time::SystemTime::now()),
                "datacontenttype": "application/json",
                "data": {"call_sid": SID, "account_sid": "AC0123456789abcdef0123456789abcdef",
                    "name": "call.ringing", "timestamp": "2026-01-01T00:00:00Z",
                    "details": {"note": "keep   these  spaces", "ünïcode": "✓"}}})
        })
        .collect();
    // Spaces and key order as a sender might write them: forwarded byte for byte.
    serde_json::to_string_pretty(&events)
        .expect("json")
        .into_bytes()
}

/// POSTs `body` signed with `token` for `public`; the status, and how long the answer took.
fn post(addr: &str, public: &str, token: &str, body: &[u8]) -> (u16, Duration) {
    let (full, signature) = sign_json_delivery(token.as_bytes(), public, body, Algorithm::HmacSha1);
    let path = format!("/events?{}", full.split_once('?').expect("query").1);
    let started = Instant::now();
    let status = post_raw(addr, &path, &[("X-Twilio-Signature", &signature)], body);
    (status, started.elapsed())
}

fn start(forward_to: &str) -> (ListenProcess, String) {
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let listener = ListenProcess::start(
        &[
            "--port",
            &port,
            "--public-url",
            &public,
            "--forward-to",
            forward_to,
        ],
        &[("TWILIO_AUTH_TOKEN", TOKEN)],
    );
    (listener, public)
}

#[test]
fn accepted_deliveries_are_forwarded_byte_identical_and_signed_for_the_target() {
    let (url, received) = target(Duration::ZERO);
    let (mut listener, public) = start(&url);
    let addr = listener.addr.clone();

    let accepted: Vec<Vec<u8>> = (0..5)
        .map(|i| delivery(&[&format!("EZok{i}a"), &format!("EZok{i}b")]))
        .collect();
    for body in &accepted {
        assert_eq!(post(&addr, &public, TOKEN, body).0, 200);
    }
    // Refused: a wrong token, a body changed after signing, no signature at all.
    let refused = [
        delivery(&["EZbad1"]),
        delivery(&["EZbad2"]),
        delivery(&["EZbad3"]),
    ];
    assert_eq!(post(&addr, &public, "not-the-token", &refused[0]).0, 403);
    let (full, signature) =
        sign_json_delivery(TOKEN.as_bytes(), &public, &refused[1], Algorithm::HmacSha1);
    let mut changed = refused[1].clone();
    changed.push(b' ');
    let path = format!("/events?{}", full.split_once('?').expect("query").1);
    assert_eq!(
        post_raw(
            &addr,
            &path,
            &[("X-Twilio-Signature", &signature)],
            &changed
        ),
        403
    );
    assert_eq!(post_raw(&addr, &path, &[], &refused[2]), 403);
    // A re-delivery of the first: answered 200, not forwarded again.
    assert_eq!(post(&addr, &public, TOKEN, &accepted[0]).0, 200);

    let mut got = Vec::new();
    while got.len() < accepted.len() {
        let r = received
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{} forwards of {}", got.len(), accepted.len()));
        got.push(r);
    }
    // Nothing more comes: not the refused ones, not the duplicate.
    assert!(
        received.recv_timeout(Duration::from_secs(2)).is_err(),
        "a refused or duplicate delivery was forwarded"
    );
    let secrets = Secrets {
        auth_token: TOKEN.into(),
        shared_key_secret: None,
    };
    for (sent, r) in accepted.iter().zip(&got) {
        assert_eq!(&r.body, sent, "forwarded in order, byte for byte");
        assert!(
            r.url.starts_with(&format!("{url}?bodySHA256=")),
            "{}",
            r.url
        );
        assert!(valid_like_twilio_libraries(TOKEN, r), "{}", r.url);
        assert!(
            verify_json_delivery(&secrets, &r.url, Some(&r.signature), None, &r.body).is_valid()
        );
        assert!(!valid_like_twilio_libraries("another-token", r));
        assert_eq!(r.user_agent, "TwilioProxy/1.1");
    }

    // Each forward is reported on its own `forward` line.
    let lines = listener.wait_for("5 forward lines", |lines| {
        lines.iter().filter(|l| l["type"] == "forward").count() >= 5
    });
    let forwards: Vec<&Value> = lines.iter().filter(|l| l["type"] == "forward").collect();
    assert_eq!(forwards.len(), 5);
    for line in forwards {
        assert_eq!(line["result"], "answered", "{line}");
        assert_eq!(line["status"], 200, "{line}");
        assert_eq!(line["target"], url.as_str(), "{line}");
    }
}

#[test]
fn a_slow_target_does_not_slow_the_answers_to_twilio() {
    let (url, received) = target(Duration::from_secs(2));
    let (listener, public) = start(&url);
    for i in 0..4 {
        let body = delivery(&[&format!("EZslow{i}")]);
        let (status, took) = post(&listener.addr, &public, TOKEN, &body);
        assert_eq!(status, 200);
        assert!(
            took < Duration::from_millis(500),
            "answer {i} took {took:?} with a target that takes 2 s"
        );
    }
    // The forwards still arrive, one by one.
    let first = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the first forward");
    assert!(valid_like_twilio_libraries(TOKEN, &first));
}

#[test]
fn a_forward_to_url_is_checked() {
    let output = listen_process::callwatch()
        .args([
            "listen",
            "--public-url",
            "http://127.0.0.1:9/events",
            "--forward-to",
            "localhost:3000/hook",
        ])
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--forward-to"), "{stderr}");
}
