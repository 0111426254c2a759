//! Messages fitted to the screen: the empty-table hint, the export notice with its paths, a
//! long filter error, and the end of the demo's simulation, at 80×24 and 120×40, pinned with
//! insta; and checks that each message is on screen whole (every word, none cut).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, UNIX_EPOCH};

use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::app::{App, Notice};
use callwatch::tui::keys::Action;
use callwatch::tui::simulation::SimulationEnd;
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// 2027-01-15T08:00:00Z.
const NOW_S: u64 = 1_800_000_000;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn app_with_calls(calls: usize, header: HeaderInfo) -> App {
    let stats = Arc::new(ListenerStats::default());
    let mut app = App::new(Arc::clone(&stats), header);
    let mut generator = CallGenerator::new(7);
    let start = time::OffsetDateTime::from_unix_timestamp(NOW_S as i64 - 600).expect("time");
    let mut seq = 0;
    for i in 0..calls {
        let call = generator.next_call(None, start + Duration::from_secs(i as u64 * 7));
        for ev in &call.events {
            seq += 1;
            let body = delivery_body(std::slice::from_ref(&ev.event));
            let events = parse_delivery(&body).expect("parse");
            let at = UNIX_EPOCH + Duration::from_secs(NOW_S - 600 + i as u64 * 7) + ev.offset;
            app.on_delivery(Delivery::accepted(seq, at, events));
        }
    }
    stats.accepted.store(seq, Ordering::Relaxed);
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    app
}

fn header() -> HeaderInfo {
    HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        ..HeaderInfo::default()
    }
}

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    terminal
}

/// The screen's text with borders dropped and every run of blanks made one space: a message
/// wrapped over several lines reads as it was written.
fn words(app: &App, width: u16, height: u16) -> String {
    let terminal = draw(app, width, height);
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let s = buf[(x, y)].symbol();
            out.push_str(if "│┌┐└┘─".contains(s) {
                " "
            } else {
                s
            });
        }
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn snapshot(name: &str, app: &App) {
    for (w, h) in SIZES {
        let terminal = draw(app, w, h);
        insta::assert_snapshot!(
            format!("{name}_{w}x{h}"),
            format!("{:?}", terminal.backend())
        );
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    app.prepare_frame();
}

#[test]
fn the_empty_table_hint_wraps_whole() {
    let app = app_with_calls(0, header());
    for (w, h) in SIZES {
        let screen = words(&app, w, h);
        assert!(
            screen.contains(
                "Waiting for the first delivery… (Twilio sends call summaries minutes after a \
                 call ends; `callwatch send` or a Sink Test sends one now)"
            ),
            "{w}x{h}: {screen}"
        );
    }
    snapshot("empty_hint", &app);
}

#[test]
fn the_export_notice_shows_both_paths_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app_with_calls(5, header());
    app.export_dir = dir.path().join("a-rather-long-directory-name-for-exports");
    std::fs::create_dir_all(&app.export_dir).expect("mkdir");
    app.update(Action::Export);
    let notice = app.notice.clone().expect("a notice");
    assert!(!notice.is_error, "{}", notice.text);
    let paths: Vec<String> = std::fs::read_dir(&app.export_dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path().display().to_string())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    for (w, h) in SIZES {
        // A path wider than the screen is split, never cut: every character is there.
        let screen = words(&app, w, h).replace(' ', "");
        for path in &paths {
            assert!(screen.contains(path.as_str()), "{w}x{h} {path}: {screen}");
        }
    }
    // Pinned with fixed paths, as a user exporting to the working directory sees it.
    app.notice = Some(Notice {
        text: "exported 5 calls to ./callwatch-export-2027-01-15T08-00-00Z.csv and \
               ./callwatch-export-2027-01-15T08-00-00Z.json"
            .into(),
        is_error: false,
    });
    snapshot("export_notice", &app);
}

#[test]
fn a_long_filter_error_wraps_under_the_filter_line() {
    let mut app = app_with_calls(5, header());
    key(&mut app, KeyCode::Char('/'));
    for c in "state=fail and carier~vodafone".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let error = app
        .editor
        .as_ref()
        .and_then(|e| e.error.clone())
        .expect("refused");
    for (w, h) in SIZES {
        let screen = words(&app, w, h);
        let wanted = error.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(screen.contains(&wanted), "{w}x{h}: {screen}");
    }
    snapshot("filter_error", &app);
}

/// A call the simulation left ringing: a partial summary and nothing after it.
fn ringing_call(app: &mut App) {
    let body = br#"[{"specversion":"1.0","type":"com.twilio.voice.insights.call-summary.partial",
        "id":"EZ00000000000000000000000000000001","source":"/v1/Voice/CA0/Summary",
        "data":{"call_sid":"CA00000000000000000000000000000001","call_state":"ringing",
        "call_type":"carrier","processing_state":"partial",
        "from":{"caller":"+14155550100","carrier":"AT&T Wireless"},
        "to":{"callee":"+14155550199","carrier":"Verizon Wireless"}}}]"#;
    let events = parse_delivery(body).expect("parse");
    app.on_delivery(Delivery::accepted(
        10_000,
        UNIX_EPOCH + Duration::from_secs(NOW_S - 1),
        events,
    ));
    app.prepare_frame();
}

#[test]
fn the_end_of_the_demo_is_said_and_unfinished_calls_are_explained() {
    let end = Arc::new(SimulationEnd::default());
    let mut app = app_with_calls(
        4,
        HeaderInfo {
            mode_note: Some("demo: simulated Twilio, 60 calls/min, seed 7".into()),
            simulation_end: Some(Arc::clone(&end)),
            ..header()
        },
    );
    ringing_call(&mut app);
    // Before the end: the demo's note, no word of an end.
    let before = words(&app, 80, 24);
    assert!(before.contains("demo: simulated Twilio"), "{before}");
    assert!(!before.contains("ended"), "{before}");
    app.update(Action::Open);
    app.prepare_frame();
    assert!(!words(&app, 80, 24).contains("simulation ended"));
    app.update(Action::Close);

    end.mark(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S + 5));
    app.prepare_frame();
    let clock = callwatch::timestamp::clock(UNIX_EPOCH + Duration::from_secs(NOW_S));
    for (w, h) in SIZES {
        let screen = words(&app, w, h);
        assert!(
            screen.contains(&format!(
                "demo: simulation ended at {clock}, 1 call left unfinished"
            )),
            "{w}x{h}: {screen}"
        );
    }
    snapshot("demo_ended", &app);

    // The ringing call is the newest: its details say why it stays ringing.
    app.update(Action::Open);
    app.prepare_frame();
    for (w, h) in SIZES {
        let screen = words(&app, w, h);
        assert!(
            screen.contains(&format!(
                "The simulation ended at {clock} (demo --duration) before this call was \
                 answered: no more events will come for it"
            )),
            "{w}x{h}: {screen}"
        );
    }
    snapshot("demo_ended_ringing_call_details", &app);

    // A call that ended is not explained.
    app.update(Action::Close);
    app.update(Action::Down);
    app.update(Action::Open);
    app.prepare_frame();
    assert!(!words(&app, 120, 40).contains("before this call"));
}

#[test]
fn the_help_fits_80_columns_and_end_shows_its_last_page() {
    let mut app = app_with_calls(3, header());
    key(&mut app, KeyCode::Char('?'));
    let top = words(&app, 80, 24);
    // The contexts column is whole: the keys that move work everywhere but in the stats.
    assert!(top.contains("up everywhere but stats"), "{top}");
    key(&mut app, KeyCode::Char('G'));
    let screen = words(&app, 80, 24);
    assert!(
        screen.contains("jitter (poor > 30 ms) and loss (poor > 1%)"),
        "{screen}"
    );
    assert!(
        screen.contains("delete to end of line"),
        "a full page, not a blank box: {screen}"
    );
}

/// A call from San Francisco with a long carrier name: its details at 80 columns.
fn san_francisco_call(app: &mut App) {
    let body = br#"[{"specversion":"1.0","type":"com.twilio.voice.insights.call-summary.complete",
        "id":"EZ00000000000000000000000000000002","source":"/v1/Voice/CA2/Summary",
        "data":{"call_sid":"CA00000000000000000000000000000002","call_state":"completed",
        "call_type":"carrier","processing_state":"complete","duration":42,
        "from":{"caller":"+14155550100","carrier":"AT&T Wireless Services of California",
            "connection":"mobile","city":"San Francisco","country_subdivision":"California",
            "country_code":"US","location":{"lat":37.775,"lon":-122.419}},
        "to":{"callee":"+442079460000","carrier":"British Telecommunications plc",
            "connection":"landline","city":"London","country_subdivision":"England",
            "country_code":"GB","location":{"lat":51.507,"lon":-0.128}}}}]"#;
    let events = parse_delivery(body).expect("parse");
    app.on_delivery(Delivery::accepted(
        10_001,
        UNIX_EPOCH + Duration::from_secs(NOW_S - 1),
        events,
    ));
    app.prepare_frame();
}

#[test]
fn details_wrap_under_their_label_and_keep_words_whole() {
    let mut app = app_with_calls(2, header());
    san_francisco_call(&mut app);
    app.update(Action::Open);
    app.prepare_frame();
    for (w, h) in SIZES {
        let terminal = draw(&app, w, h);
        let buf = terminal.backend().buffer();
        let rows: Vec<String> = (0..buf.area.height)
            .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let from = rows
            .iter()
            .position(|r| r.contains("From  +14155550100"))
            .expect("the From line");
        // Every row of the From endpoint until the To line: continuations hang under the
        // number, never at the border.
        for row in rows[from + 1..]
            .iter()
            .take_while(|r| !r.contains("To    +44"))
        {
            assert!(row.starts_with("│        "), "{w}x{h}: {row:?}");
        }
        let screen = words(&app, w, h);
        assert!(
            screen.contains("San Francisco California US"),
            "{w}x{h}: {screen}"
        );
        assert!(
            screen.contains("AT&T Wireless Services of California"),
            "{screen}"
        );
    }
    snapshot("details_san_francisco", &app);
}

/// Every line of the help fits 78 cells (80 columns less the borders), and every key's help
/// and contexts are there whole.
#[test]
fn every_help_line_fits_80_columns() {
    let theme = callwatch::tui::theme::Theme::new(false);
    let lines = ui::help::wrapped(&theme, 78);
    for line in &lines {
        assert!(line.width() <= 78, "{:?}", line.to_string());
    }
    let joined = lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for (keys, help, contexts) in callwatch::tui::keys::help_lines() {
        assert!(joined.contains(&format!("{keys} {help}")), "{keys} {help}");
        assert!(joined.contains(&contexts), "{contexts}");
    }
}

#[test]
fn a_call_left_answered_stops_its_clock_when_the_simulation_ends() {
    let end = Arc::new(SimulationEnd::default());
    let mut app = app_with_calls(
        1,
        HeaderInfo {
            simulation_end: Some(Arc::clone(&end)),
            ..header()
        },
    );
    // Answered 30 s before now, by its gateway progress event.
    let at = callwatch::timestamp::rfc3339(UNIX_EPOCH + Duration::from_secs(NOW_S - 30));
    let body = format!(
        r#"[{{"specversion":"1.0","type":"com.twilio.voice.insights.call-event.gateway",
        "id":"EZ00000000000000000000000000000042","source":"/v1/Voice/Insights","time":"{at}",
        "data":{{"call_sid":"CA00000000000000000000000000000042","name":"answered",
        "group":"call","edge":"carrier_edge","level":"INFO","timestamp":"{at}"}}}}]"#
    );
    let events = parse_delivery(body.as_bytes()).expect("parse");
    app.on_delivery(Delivery::accepted(
        10_001,
        UNIX_EPOCH + Duration::from_secs(NOW_S - 30),
        events,
    ));
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    assert!(words(&app, 120, 40).contains("● 0:30"));
    // A minute later, while the simulation runs, the clock runs.
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S + 60));
    app.prepare_frame();
    assert!(words(&app, 120, 40).contains("● 1:30"));
    // It ends; two minutes on, the clock still says when it stopped.
    end.mark(UNIX_EPOCH + Duration::from_secs(NOW_S + 60));
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S + 180));
    app.prepare_frame();
    let after = words(&app, 120, 40);
    assert!(after.contains("● 1:30"), "{after}");
    assert!(!after.contains("● 3:30"), "{after}");
}
