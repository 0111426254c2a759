//! Hostile bytes through the real binary: a signed delivery whose call SID, carriers and
//! numbers hold OSC 52, CSI, C1 and bidi controls, and unsigned requests with such bytes in
//! their paths and headers, sent to `callwatch listen --output compact` and `--output ndjson`.
//! The bytes written to stdout hold none of the raw sequences and show them escaped.
//!
//! Checked on piped stdout: the line outputs do not look at whether stdout is a terminal
//! (only the default `--output` does), so these are the bytes a terminal would receive.

mod listen_process;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use listen_process::{callwatch, free_port};

const TOKEN: &str = "hostile-test-token";
const PUBLIC: &str = "https://hostile.example/events";

/// What a sender put in the fields of the signed delivery.
const CALL_SID: &str = "CA\x1b]52;c;aGk=\x07";
const FROM_CARRIER: &str = "Voda\x1b[2Jfone";
const TO_CARRIER: &str = "Tele\u{9b}31mfonica";
const CALLER: &str = "+1415\u{202e}5550100";
const TAG: &str = "\x1b]0;owned\x07";

/// Byte sequences that must never be written raw, in any mode.
const RAW: &[&[u8]] = &[
    b"\x1b]52;",
    b"\x1b[2J",
    b"\x1b]0;",
    b"\x07",
    "\u{9b}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{2066}".as_bytes(),
];

/// A running `callwatch listen` whose stdout is collected byte for byte.
struct Listener {
    child: Child,
    port: u16,
    stdout: Arc<Mutex<Vec<u8>>>,
}

impl Listener {
    fn start(output: &str) -> Self {
        let port = free_port();
        let mut child = callwatch()
            .args(["listen", "--output", output, "--port", &port.to_string()])
            .args(["--public-url", PUBLIC])
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start callwatch");
        let mut pipe = child.stdout.take().expect("stdout");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stdout);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut out) = sink.lock() {
                    out.extend_from_slice(&buf[..n]);
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "callwatch did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            port,
            stdout,
        }
    }

    /// Sends `head` (request line and headers, without the blank line) and `body` as they are,
    /// and returns the status line answered (empty when the connection was dropped).
    fn send(&self, head: &[u8], body: &[u8]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut request = head.to_vec();
        request.extend_from_slice(
            format!(
                "\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        request.extend_from_slice(body);
        stream.write_all(&request).expect("send");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until stdout holds `marker` (deliveries are written in arrival order, so the
    /// last request's marker means all were), then stops the listener and returns stdout.
    fn stdout_after(mut self, marker: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = self.stdout.lock().map(|o| o.clone()).unwrap_or_default();
            if out.windows(marker.len()).any(|w| w == marker.as_bytes())
                || Instant::now() > deadline
            {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return out;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends the signed delivery, then the hostile unsigned requests; the last one is a POST to
/// `/x%1b%5d52…`, whose line the tests wait for.
fn attack(listener: &Listener) {
    let body = serde_json::to_vec(&serde_json::json!([{
        "specversion": "1.0",
        "type": "com.twilio.voice.insights.call-summary.complete",
        "source": "/v1/Voice/Summary",
        "id": "EZ\u{2066}0123456789abcdef0123456789abcdef",
        "time": "2027-01-15T07:59:00Z",
        "datacontenttype": "application/json",
        "data": {
            "call_sid": CALL_SID,
            "account_sid": "AC0123456789abcdef0123456789abcdef",
            "call_state": "completed",
            "call_type": "carrier",
            "from": {"caller": CALLER, "carrier": FROM_CARRIER},
            "to": {"callee": "+14155550101", "carrier": TO_CARRIER},
            "tags": [TAG],
        }
    }]))
    .expect("json");
    let (full, signature) =
        sign_json_delivery(TOKEN.as_bytes(), PUBLIC, &body, Algorithm::HmacSha1);
    let query = full.split_once('?').expect("query").1;
    let signed = format!(
        "POST /events?{query} HTTP/1.1\r\nContent-Type: application/json\r\nX-Twilio-Signature: {signature}"
    );
    let status = listener.send(signed.as_bytes(), &body);
    assert!(
        status.starts_with("HTTP/1.1 200"),
        "signed delivery: {status}"
    );

    let c1 = "\u{9b}2J".as_bytes();
    let bidi = "\u{202e}".as_bytes();
    let unsigned: Vec<Vec<u8>> = vec![
        // Not UTF-8-clean ASCII in the path and in header values (obs-text, which HTTP allows).
        [
            b"POST /x".as_slice(),
            c1,
            bidi,
            b" HTTP/1.1\r\nUser-Agent: a",
            c1,
            bidi,
        ]
        .concat(),
        [
            b"POST /events HTTP/1.1\r\nX-Evil: ".as_slice(),
            c1,
            b"\r\nUser-Agent: ",
            bidi,
        ]
        .concat(),
        // An escape sequence in a header value: HTTP forbids it, and hyper answers 400 before
        // it is a delivery; were that to change, it would be listed escaped.
        b"POST /events HTTP/1.1\r\nUser-Agent: \x1b]52;c;aGk=\x07".to_vec(),
        // Percent-encoded escapes in the path and query.
        b"POST /x%1b%5d52%3bc%3baGk%3d%07?q=%1b[2J HTTP/1.1".to_vec(),
    ];
    for head in unsigned {
        let status = listener.send(&head, b"[]");
        assert!(status.starts_with("HTTP/1.1 4"), "{status}");
    }
}

fn assert_nothing_raw(mode: &str, out: &[u8]) {
    for raw in RAW {
        assert!(
            !out.windows(raw.len()).any(|w| w == *raw),
            "{mode}: {:?} written raw:\n{}",
            String::from_utf8_lossy(raw),
            String::from_utf8_lossy(out)
        );
    }
    let text = String::from_utf8_lossy(out);
    let controls: Vec<char> = text
        .chars()
        .filter(|&c| callwatch::text::is_hostile(c) && c != '\n')
        .collect();
    assert_eq!(controls, Vec::<char>::new(), "{mode}:\n{text}");
}

#[test]
fn compact_lines_show_hostile_fields_escaped() {
    let listener = Listener::start("compact");
    attack(&listener);
    let out = listener.stdout_after("refused POST /x%1b%5d52");
    assert_nothing_raw("compact", &out);
    let text = String::from_utf8_lossy(&out);
    for escaped in [
        r"CA\x1b]52;c;aGk=\x07",
        r"Voda\x1b[2Jfone",
        r"Tele\u009b31mfonica",
        r"+1415\u202e5550100",
        r"tags: \x1b]0;owned\x07",
        r"refused POST /x\u009b2J\u202e",
    ] {
        assert!(text.contains(escaped), "{escaped} not in:\n{text}");
    }
}

#[test]
fn ndjson_lines_show_hostile_fields_escaped() {
    let listener = Listener::start("ndjson");
    attack(&listener);
    let out = listener.stdout_after(r#""path":"/x%1b%5d52"#);
    assert_nothing_raw("ndjson", &out);
    let text = String::from_utf8_lossy(&out);
    for escaped in [
        r#""call_sid":"CA\u001b]52;c;aGk=\u0007""#,
        r#""from_carrier":"Voda\u001b[2Jfone""#,
        r#""to_carrier":"Tele\u009b31mfonica""#,
        r#""from_caller":"+1415\u202e5550100""#,
        r#""path":"/x\u009b2J\u202e""#,
    ] {
        assert!(text.contains(escaped), "{escaped} not in:\n{text}");
    }
    // Still JSON, with the sender's values.
    let call = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|l| l["type"] == "call")
        .expect("a call line");
    assert_eq!(call["call_sid"], CALL_SID);
    assert_eq!(call["to_carrier"], TO_CARRIER);
}
