//! What `setup` and Twilio's Debugger add to the TUI, pinned with insta at 80×24 and 120×40:
//! the sink line (test result, sink, subscription) and the Debugger summary in the header, and
//! the alerts under the deliveries table.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use callwatch::alerts::{AlertFeed, SinkAlert};
use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::app::{App, View};
use callwatch::tui::{HeaderInfo, SinkInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 2027-01-15T08:00:00Z: a fixed "now".
const NOW_S: u64 = 1_800_000_000;
const SINK: &str = "DG0123456789abcdef0123456789abcdef";
const TEST_BODY: &str = r#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json","datacontenttype":"application/json","time":"2027-01-15T07:59:00.000Z","data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]"#;

fn at(seconds_before_now: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_S - seconds_before_now)
}

fn alert(n: u64, code: &str, minutes_ago: u64, text: &str) -> SinkAlert {
    let generated = at(minutes_ago * 60);
    SinkAlert {
        sid: format!("NO{n:032x}"),
        error_code: code.to_owned(),
        alert_text: text.to_owned(),
        date_generated: String::new(),
        generated_at: Some(generated),
        log_level: Some("error".to_owned()),
        more_info: None,
    }
}

/// A `setup` run: the test event verified, three recent timeouts and one older failure.
fn setup_app(test_passed: bool) -> App {
    let feed = AlertFeed::new();
    feed.publish(
        [
            alert(1, "91307", 45, "Connection refused"),
            alert(2, "91308", 15, &format!("sinkSid={SINK}&errorCode=91308")),
            alert(3, "91308", 9, &format!("sinkSid={SINK}&errorCode=91308")),
            alert(4, "91308", 2, &format!("sinkSid={SINK}&errorCode=91308")),
        ],
        at(30),
    );
    let header = HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        color: false,
        hyperlinks: false,
        reject_status: 403,
        sink: Some(SinkInfo {
            sink_sid: SINK.into(),
            subscription_sid: Some("DF0123456789abcdef0123456789abcdef".into()),
            test_result: if test_passed {
                "test verified, Validate: valid".into()
            } else {
                "no test event".into()
            },
            test_passed,
        }),
        alerts: Some(feed),
        ..HeaderInfo::default()
    };
    let mut app = App::new(Arc::new(ListenerStats::default()), header);
    if test_passed {
        let events = parse_delivery(TEST_BODY.as_bytes()).expect("the test event parses");
        let mut delivery = Delivery::accepted(1, at(60), events);
        delivery.body_len = TEST_BODY.len();
        delivery.handling = Duration::from_micros(240);
        app.on_delivery(delivery);
    }
    app.on_tick(at(0));
    app
}

fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    app.prepare_frame();
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    terminal
}

#[test]
fn setup_header_and_deliveries_with_debugger_alerts_120x40() {
    let mut app = setup_app(true);
    app.view = View::Deliveries;
    insta::assert_snapshot!(draw(&mut app, 120, 40).backend());
}

#[test]
fn setup_header_without_a_test_event_80x24() {
    let mut app = setup_app(false);
    insta::assert_snapshot!(draw(&mut app, 80, 24).backend());
}

#[test]
fn the_header_summary_counts_the_last_20_minutes() {
    let app = setup_app(true);
    assert_eq!(
        app.session.alerts.summary(app.now),
        "Twilio: 3 delivery failures in the last 20 min — 91308 timeout"
    );
}
