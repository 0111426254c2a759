//! The inspector's actions, driven through the app's keys: a delivery copied as a
//! `callwatch verify` command that the real binary then verifies, and as a `curl` command that
//! reaches a receiver checking signatures; the OSC 52 bytes of a copied call SID; a delivery
//! resent to a URL typed in the prompt, arriving at a local receiver re-signed for that URL
//! with its body unchanged; the jumps between a delivery and its call; the copied box at 80×24
//! and 120×40; and the README's Keys section against the keymap.

#[path = "support/hermetic.rs"]
mod hermetic;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::actions::{ResignKey, osc52, resend};
use callwatch::tui::app::{App, Overlay, View};
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use hmac::{Hmac, KeyInit, Mac};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sha2::{Digest, Sha256};

const TOKEN: &str = "actions-test-token-0123456789abcd";
const PUBLIC: &str = "https://abc123.ngrok.app/events";
const NOW_S: u64 = 1_800_000_000;

/// A summary delivery about `sid`, with a quote and spaces the shell must keep.
fn body(sid: &str, id: &str, state: &str) -> Vec<u8> {
    format!(
        "[{{\"specversion\":\"1.0\",\"type\":\"com.twilio.voice.insights.call-summary.complete\",\
         \"id\":\"{id}\",\"source\":\"/v1/Voice/{sid}/Summary\",\"data\":{{\"call_sid\":\"{sid}\",\
         \"call_state\":\"{state}\",\"processing_state\":\"complete\",\
         \"from\":{{\"caller\":\"+14155550100\",\"carrier\":\"O'Brien  Telecom\"}}}}}}]\n"
    )
    .into_bytes()
}

/// The delivery as the listener hands it over after verifying it against [`PUBLIC`].
fn signed_delivery(seq: u64, body: Vec<u8>) -> Delivery {
    let (url, signature) = sign_json_delivery(TOKEN.as_bytes(), PUBLIC, &body, Algorithm::HmacSha1);
    let events = parse_delivery(&body).expect("parse");
    let mut d = Delivery::accepted(
        seq,
        UNIX_EPOCH + Duration::from_secs(NOW_S - 100 + seq),
        events,
    );
    d.query = url.split_once('?').expect("query").1.to_owned();
    d.headers.push("content-type", "application/json");
    d.headers.push("x-twilio-signature", &signature);
    d.headers.push("user-agent", "TwilioProxy/1.1");
    d.signed_url = Some(url);
    d.body_len = body.len();
    d.body = body.into();
    d
}

const SID_A: &str = "CA0123456789abcdef0123456789abcdef";
const SID_B: &str = "CAfedcba9876543210fedcba9876543210";

fn app() -> App {
    let header = HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: PUBLIC.into(),
        resign_key: Some(ResignKey::new(TOKEN)),
        ..HeaderInfo::default()
    };
    let mut app = App::new(Arc::new(ListenerStats::default()), header);
    app.osc52 = true;
    app.on_delivery(signed_delivery(1, body(SID_A, "EZa1", "completed")));
    app.on_delivery(signed_delivery(2, body(SID_B, "EZb1", "busy")));
    app.on_delivery(signed_delivery(3, body(SID_A, "EZa2", "completed")));
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    app.prepare_frame();
}

fn copied_text(app: &App) -> String {
    match &app.overlay {
        Some(Overlay::Copied { text, .. }) => text.clone(),
        other => panic!("no copied box: {other:?}"),
    }
}

/// Runs `command` in `sh`, sealed, with the callwatch under test first on `PATH`.
fn run_in_shell(command: &str, token: &str) -> std::process::Output {
    let mut sh = std::process::Command::new("/bin/sh");
    hermetic::seal(&mut sh);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_callwatch"))
        .parent()
        .expect("bin dir");
    sh.env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("TWILIO_AUTH_TOKEN", token)
        .arg("-c")
        .arg(command);
    sh.output().expect("sh runs")
}

#[test]
fn the_copied_verify_command_verifies_with_the_real_binary() {
    let mut app = app();
    app.view = View::Deliveries;
    key(&mut app, KeyCode::Char('v'));
    let command = copied_text(&app);
    assert_eq!(
        app.clipboard.as_deref(),
        Some(command.as_str()),
        "sent as OSC 52"
    );
    assert!(
        !command.contains(TOKEN),
        "the token is never copied: {command}"
    );
    assert!(command.contains("\"$TWILIO_AUTH_TOKEN\""), "{command}");

    let out = run_in_shell(&command, TOKEN);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{command}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("valid"), "{stdout}");

    // With another token the same command says not valid: it checks something.
    let out = run_in_shell(&command, "another-token-0123456789abcdef00");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

struct Received {
    url: String,
    signature: String,
    body: Vec<u8>,
}

/// A local HTTP receiver at `/hook` answering 200 and handing over what it received.
fn receiver() -> (String, mpsc::Receiver<Received>) {
    let socket = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in socket.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut got = Vec::new();
            let mut buf = [0u8; 16 * 1024];
            let (head, body) = loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break (String::new(), Vec::new());
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
                body,
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

/// The check Twilio's libraries make: bodySHA256 of the body, HMAC-SHA1 of the full URL.
fn valid_like_twilio_libraries(token: &str, received: &Received) -> bool {
    let query = received.url.split_once('?').map_or("", |(_, q)| q);
    let Some(body_hash) = query.split('&').find_map(|p| p.strip_prefix("bodySHA256=")) else {
        return false;
    };
    let hex: String = Sha256::digest(&received.body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if hex != body_hash {
        return false;
    }
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).expect("key");
    Mac::update(&mut mac, received.url.as_bytes());
    BASE64.encode(mac.finalize().into_bytes()) == received.signature
}

#[tokio::test]
async fn a_resent_delivery_arrives_re_signed_for_the_url_typed() {
    let (url, received) = receiver();
    let mut app = app();
    app.view = View::Deliveries;
    key(&mut app, KeyCode::Down); // delivery #2, about SID_B
    key(&mut app, KeyCode::Char('R'));
    assert!(app.resend_prompt.is_some());
    // A bad URL is refused in the prompt, which stays open.
    for c in "not a url".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let error = app
        .resend_prompt
        .as_ref()
        .and_then(|p| p.error.clone())
        .expect("refused");
    assert!(error.contains("not a url"), "{error}");
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    for c in url.chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.resend_prompt.is_none());
    let request = app.resends.pop().expect("a resend asked for");
    assert_eq!(request.seq, 2);
    let original = app
        .session
        .deliveries
        .iter()
        .find(|d| d.seq == 2)
        .expect("kept")
        .body
        .clone();

    let outcome = resend(request, ResignKey::new(TOKEN)).await;
    let text = outcome.clone().expect("accepted");
    assert!(text.contains("answered 200"), "{text}");
    app.on_resend_outcome(outcome);
    assert!(app.notice.as_ref().is_some_and(|n| !n.is_error));

    let got = received
        .recv_timeout(Duration::from_secs(5))
        .expect("the receiver got it");
    assert_eq!(got.body, original.as_ref(), "the body is unchanged");
    assert!(
        got.url.starts_with(&format!("{url}?bodySHA256=")),
        "{}",
        got.url
    );
    assert!(valid_like_twilio_libraries(TOKEN, &got), "signed for {url}");
    assert!(!valid_like_twilio_libraries("another-token", &got));
}

#[test]
fn the_copied_curl_command_reaches_a_receiver_as_signed() {
    let (url, received) = receiver();
    let mut app = app();
    app.view = View::Deliveries;
    let d = app.delivery_in_focus().expect("selected").clone();
    key(&mut app, KeyCode::Char('y'));
    let command = copied_text(&app);
    assert!(
        command.contains(&format!("'{PUBLIC}?bodySHA256=")),
        "{command}"
    );
    // Pointed at the local receiver (a tunnel would forward the public URL there): the path
    // and query Twilio signed arrive, with the signature and the body byte for byte.
    let local = command.replace(PUBLIC, &url.replace("/hook", "/events"));
    let out = run_in_shell(&local, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = received
        .recv_timeout(Duration::from_secs(5))
        .expect("received");
    assert_eq!(got.body, d.body.as_ref());
    assert_eq!(
        Some(got.signature.as_str()),
        d.headers.get("x-twilio-signature")
    );
    let public_path = got.url.replace(
        &url.replace("/hook", ""),
        PUBLIC.trim_end_matches("/events"),
    );
    let signed = Received {
        url: public_path,
        ..got
    };
    assert!(
        valid_like_twilio_libraries(TOKEN, &signed),
        "{}",
        signed.url
    );
}

#[test]
fn a_copied_call_sid_goes_out_as_osc52_base64() {
    let mut app = app();
    key(&mut app, KeyCode::Char('y'));
    let newest = app
        .call_in_focus()
        .expect("a call")
        .summary
        .call_sid
        .clone();
    assert_eq!(app.clipboard.as_deref(), Some(newest.as_str()));
    assert_eq!(
        osc52(&newest),
        format!("\x1b]52;c;{}\x07", BASE64.encode(newest.as_bytes()))
    );
    assert!(app.overlay.is_none(), "a SID is only announced");
    // A terminal that takes no OSC 52: nothing is written, the SID is shown to copy.
    app.clipboard = None;
    app.osc52 = false;
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.clipboard, None);
    assert_eq!(copied_text(&app), newest);
    // The Console URL of the call, copied and shown.
    key(&mut app, KeyCode::Esc);
    app.osc52 = true;
    key(&mut app, KeyCode::Char('O'));
    let url = copied_text(&app);
    assert!(url.starts_with("https://console.twilio.com/"), "{url}");
    assert!(url.ends_with(&newest), "{url}");
    assert_eq!(app.clipboard.as_deref(), Some(url.as_str()));
}

#[test]
fn jumps_go_from_a_delivery_to_its_call_and_back() {
    let mut app = app();
    // A filter that hides SID_B's call: the jump clears it.
    app.set_filter(Some(
        callwatch::calls::filter::Filter::parse("state=completed").expect("filter"),
    ));
    app.prepare_frame();
    app.view = View::Deliveries;
    key(&mut app, KeyCode::Down); // delivery #2, about SID_B
    key(&mut app, KeyCode::Enter); // from its details
    key(&mut app, KeyCode::Char('J'));
    assert_eq!(app.view, View::Calls);
    assert!(app.overlay.is_none());
    assert!(app.filter.is_none(), "the filter hid the call");
    assert_eq!(
        app.call_in_focus().map(|r| r.summary.call_sid.as_str()),
        Some(SID_B)
    );

    // From call A: its deliveries, the newest selected.
    app.jump_to_call(SID_A);
    let sid = app.call_in_focus().expect("call").summary.call_sid.clone();
    assert_eq!(sid, SID_A);
    key(&mut app, KeyCode::Char('J'));
    assert_eq!(app.view, View::Deliveries);
    let d = app.delivery_in_focus().expect("selected");
    assert_eq!(d.seq, 3);
    assert!(callwatch::tui::app::delivery_is_of_call(d, SID_A));
    let notice = app.notice.as_ref().expect("counted").text.clone();
    assert!(
        notice.starts_with(&format!("2 deliveries of {SID_A}")),
        "{notice}"
    );
    // And back to the call.
    key(&mut app, KeyCode::Char('J'));
    assert_eq!(app.view, View::Calls);
    assert_eq!(
        app.call_in_focus().map(|r| r.summary.call_sid.as_str()),
        Some(SID_A)
    );
}

#[test]
fn the_copied_box_and_the_prompt_fit_the_screen() {
    let mut app = app();
    app.view = View::Deliveries;
    key(&mut app, KeyCode::Char('v'));
    for (w, h) in [(80, 24), (120, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        terminal.draw(|f| ui::draw(f, &app)).expect("draw");
        insta::assert_snapshot!(
            format!("copied_verify_{w}x{h}"),
            format!("{:?}", terminal.backend())
        );
    }
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('R'));
    for c in "https://example.org/hook".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    for (w, h) in [(80, 24), (120, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        terminal.draw(|f| ui::draw(f, &app)).expect("draw");
        insta::assert_snapshot!(
            format!("resend_prompt_{w}x{h}"),
            format!("{:?}", terminal.backend())
        );
    }
}

/// Every key of the keymap is in the README's Keys section.
#[test]
fn the_readme_keys_section_names_every_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme.find("## Keys").expect("a Keys section");
    let end = readme[start + 3..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 3 + i);
    let section = &readme[start..end];
    for b in callwatch::tui::keys::BINDINGS {
        let label = b.key_label.split(' ').next().unwrap_or(b.key_label);
        assert!(
            section.contains(&format!("`{label}`")),
            "README Keys lacks `{label}` ({})",
            b.help
        );
    }
}
