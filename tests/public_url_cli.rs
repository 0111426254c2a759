//! `listen --public-url` through the real binary: an upper-case scheme is a URL like any other
//! (schemes are case-insensitive) and deliveries are checked against it as written, which is
//! the string Twilio signs; a port Twilio cannot call is refused at start.

mod listen_process;

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use listen_process::{ListenProcess, callwatch};

const TOKEN: &str = "public-url-test-token";

fn post_signed(addr: &str, public: &str, body: &[u8]) -> u16 {
    let (full, signature) = sign_json_delivery(TOKEN.as_bytes(), public, body, Algorithm::HmacSha1);
    let query = full.split_once('?').expect("query").1;
    listen_process::post_raw(
        addr,
        &format!("/events?{query}"),
        &[("X-Twilio-Signature", &signature)],
        body,
    )
}

#[test]
fn an_upper_case_scheme_is_accepted_and_signed_as_written() {
    let public = "HTTPS://Sink.example.test/events";
    let mut listener = ListenProcess::start(
        &["--port", "0", "--public-url", public],
        &[
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );
    assert_eq!(listener.listening["public_url"], public);
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sink-test-event.json"
    ))
    .expect("body");
    assert_eq!(post_signed(&listener.addr, public, &body), 200);
    let delivery = listener.next_of_type("delivery");
    assert_eq!(delivery["verdict"], "ok", "{delivery}");
}

#[test]
fn a_port_twilio_cannot_call_is_refused_at_start() {
    for port in ["0", "65536", "99999"] {
        let out = callwatch()
            .args([
                "listen",
                "--output",
                "ndjson",
                "--port",
                "0",
                "--public-url",
            ])
            .arg(format!("https://sink.example.test:{port}/events"))
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env("CALLWATCH_CONFIG", "/dev/null")
            .output()
            .expect("run listen");
        assert_eq!(out.status.code(), Some(2), "port {port}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("has port {port}")), "{stderr}");
    }
}
