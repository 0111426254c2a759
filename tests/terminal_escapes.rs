//! Nothing a sender puts in a delivery reaches the terminal raw: whatever text is placed in a
//! call's fields and in a delivery's path, headers and body, the compact and ndjson lines and
//! every screen of the TUI hold no C0, DEL, C1 or bidi control but their own line breaks, and
//! show the hostile ones escaped.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use callwatch::ingest::diagnosis::Diagnosis;
use callwatch::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use callwatch::output::{LineView, OutputMode, write_delivery};
use callwatch::session::Session;
use callwatch::text::is_hostile;
use callwatch::tui::app::{App, View};
use callwatch::tui::keys::Action;
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 2027-01-15T08:00:00Z.
const NOW_S: u64 = 1_800_000_000;

/// A delivery of one complete call summary whose every text field holds `hostile`.
fn hostile_call(seq: u64, hostile: &str) -> Delivery {
    let body = serde_json::to_vec(&serde_json::json!([{
        "type": "com.twilio.voice.insights.call-summary.complete",
        "id": format!("EZ{seq}{hostile}"),
        "time": "2027-01-15T07:59:00Z",
        "data": {
            "call_sid": format!("CA{hostile}"),
            "call_state": hostile,
            "call_type": hostile,
            "from": {"caller": hostile, "carrier": hostile, "city": hostile, "country_code": hostile},
            "to": {"callee": hostile, "carrier": hostile},
            "properties": {"direction": hostile, "disconnected_by": hostile},
            "tags": [hostile],
            "sip_edge": {"properties": {"edge_location": hostile}},
        }
    }]))
    .expect("json");
    let events = parse_delivery(&body).expect("a summary");
    let mut d = Delivery::accepted(seq, UNIX_EPOCH + Duration::from_secs(NOW_S - 5), events);
    d.query = format!("bodySHA256={hostile}");
    d.headers = vec![("user-agent", hostile), ("x-twilio-signature", hostile)].into();
    d.body_len = body.len();
    d.body = body.into();
    d
}

/// An unsigned POST to another path, refused, with `hostile` in its path, headers, body and
/// the diagnosis' hint (which quotes what it saw).
fn hostile_refusal(seq: u64, hostile: &str) -> Delivery {
    let mut d = Delivery::accepted(seq, UNIX_EPOCH + Duration::from_secs(NOW_S - 2), Vec::new());
    d.method = format!("POST{hostile}");
    d.path = format!("/x{hostile}");
    d.query = hostile.to_owned();
    d.status = 403;
    d.verdict = DeliveryVerdict::MissingSignature;
    d.event_count = 0;
    d.event_types = vec![hostile.to_owned()];
    d.headers = vec![(format!("x-{hostile}"), hostile)].into();
    d.body = format!("not json {hostile}\nsecond line {hostile}")
        .into_bytes()
        .into();
    d.body_len = d.body.len();
    d.diagnosis = Some(Diagnosis {
        reason: format!("no signature {hostile}"),
        tried_urls: Vec::new(),
        received_signature: Some(hostile.to_owned()),
        hint: format!("POSTed to {hostile}"),
        seen_url: Some(format!("https://{hostile}/events")),
        matched_url: None,
    });
    d
}

/// Everything a line output writes for both deliveries.
fn lines_written(mode: OutputMode, hostile: &str) -> String {
    let mut out = Vec::new();
    let mut session = Session::new();
    for d in [hostile_call(1, hostile), hostile_refusal(2, hostile)] {
        write_delivery(mode, &LineView::default(), &mut session, d, &mut out).expect("write");
    }
    String::from_utf8(out).expect("utf-8")
}

/// Characters a writer emits that a terminal would act on, but its own line breaks.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| is_hostile(c) && c != '\n')
        .collect()
}

fn app_with(hostile: &str) -> App {
    let stats = Arc::new(ListenerStats::default());
    let header = HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        reject_status: 403,
        ..HeaderInfo::default()
    };
    let mut app = App::new(Arc::clone(&stats), header);
    app.on_delivery(hostile_call(1, hostile));
    stats
        .rejected
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    app.on_delivery(hostile_refusal(2, hostile));
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    app
}

/// The text of every screen a user can open on these deliveries, one after another.
fn screens(app: &mut App, width: u16, height: u16) -> Vec<(&'static str, String)> {
    let mut shown = Vec::new();
    let mut grab = |name, app: &mut App| {
        app.prepare_frame();
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|f| ui::draw(f, app)).expect("draw");
        let buf = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                text.push_str(buf[(x, y)].symbol());
            }
            text.push('\n');
        }
        shown.push((name, text));
    };
    app.view = View::Calls;
    grab("calls", app);
    app.update(Action::Open);
    grab("call details", app);
    app.update(Action::Close);
    app.view = View::Deliveries;
    grab("deliveries", app);
    app.update(Action::Open);
    grab("delivery details", app);
    app.update(Action::Close);
    app.update(Action::Down);
    app.update(Action::Open);
    grab("other delivery details", app);
    app.update(Action::Close);
    app.view = View::Stats;
    grab("stats", app);
    shown
}

#[test]
fn hostile_fields_are_shown_escaped_on_every_screen_and_line() {
    let hostile = "\x1b]52;c;aGk=\x07\x1b[2J\u{9b}31m\u{202e}";
    let escaped = r"\x1b]52;c;aGk=\x07\x1b[2J\u009b31m\u202e";
    let compact = lines_written(OutputMode::Compact, hostile);
    assert_eq!(raw_controls(&compact), Vec::<char>::new(), "{compact}");
    assert!(compact.contains(&format!("CA{escaped}")), "{compact}");
    assert!(compact.contains(&format!("/x{escaped}")), "{compact}");
    let ndjson = lines_written(OutputMode::Ndjson, hostile);
    assert_eq!(raw_controls(&ndjson), Vec::<char>::new(), "{ndjson}");
    assert!(
        ndjson.contains(r#""call_sid":"CA\u001b]52;c;aGk=\u0007\u001b[2J\u009b31m\u202e""#),
        "{ndjson}"
    );
    for line in ndjson.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
    }

    let mut app = app_with(hostile);
    for (name, screen) in screens(&mut app, 120, 40) {
        assert_eq!(
            raw_controls(&screen),
            Vec::<char>::new(),
            "{name}:\n{screen}"
        );
        if name != "stats" {
            // The escapes are shown, not dropped (ratatui drops control characters itself).
            assert!(screen.contains(r"\x1b]52;c;aGk="), "{name}:\n{screen}");
            assert!(screen.contains(r"\u202e"), "{name}:\n{screen}");
        }
    }
}

#[test]
fn a_call_sid_that_is_not_ca_and_32_hex_digits_is_never_linked() {
    let mut app = app_with("\x1b]52;c;aGk=\x07");
    app.header.hyperlinks = true;
    app.update(Action::Open);
    let screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    assert_eq!(ui::call_details::hyperlink_target(&app, screen), None);
    for sid in [
        "CA0123456789abcdef0123456789abcde",
        "CA0123456789abcdef0123456789abcdef0",
        "CA0123456789abcdef0123456789abcdeg",
        "XY0123456789abcdef0123456789abcdef",
        "CA0123456789abcdef0123456789abcd\x1b\\",
        "CA0123456789abcdef0123456789abc\u{202e}",
    ] {
        assert_eq!(ui::call_details::LinkableSid::new(sid), None, "{sid:?}");
    }
    let sid =
        ui::call_details::LinkableSid::new("CA0123456789abcdef0123456789abcdef").expect("a SID");
    assert!(
        sid.osc8()
            .contains("%2FCA0123456789abcdef0123456789abcdef\x1b\\")
    );
}

/// Text mixing escape sequences, lone controls of every kind and ordinary characters.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        "[\\x00-\\x1f\\x7f-\\u{9f}]".prop_map(String::from),
        "[\\u{61c}\\u{200e}\\u{200f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]",
        Just("\x1b]8;;https://evil.example\x1b\\".to_owned()),
        Just("\x1bPq#0\x1b\\".to_owned()),
        "[a-z0-9é€🙂\\\\ ]{0,6}",
    ];
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_writer_lets_a_control_character_through(hostile in hostile_text()) {
        let compact = lines_written(OutputMode::Compact, &hostile);
        prop_assert_eq!(raw_controls(&compact), Vec::<char>::new(), "{}", compact);
        let ndjson = lines_written(OutputMode::Ndjson, &hostile);
        prop_assert_eq!(raw_controls(&ndjson), Vec::<char>::new(), "{}", ndjson);
        let mut app = app_with(&hostile);
        for (name, screen) in screens(&mut app, 120, 40) {
            prop_assert_eq!(raw_controls(&screen), Vec::<char>::new(), "{}:\n{}", name, screen);
        }
    }
}
