//! The calm header, the tab bar and the deliveries view's own filter (issue 16, points 3 and
//! 4): screens pinned with insta at 80×24, 120×40 and 200×50; the header with every kind of
//! problem raised still leaves the table 12 rows at 80×24; `x` dismisses the problems until a
//! new kind arrives; `!`, ↑↓ and Enter open the deliveries a problem is about; `/` in the
//! deliveries view filters them, and a bad expression keeps the filter in force.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, UNIX_EPOCH};

use callwatch::alerts::{AlertFeed, SinkAlert};
use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::ingest::diagnosis::Diagnosis;
use callwatch::ingest::forward::{ForwardKeys, Forwarder};
use callwatch::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use callwatch::tui::app::{App, View};
use callwatch::tui::keys::Action;
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use callwatch::twilio::signature::Algorithm;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

/// 2027-01-15T08:00:00Z: a fixed "now" for every screen.
const NOW_S: u64 = 1_800_000_000;

fn header() -> HeaderInfo {
    HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        color: false,
        reject_status: 403,
        ..HeaderInfo::default()
    }
}

/// The deliveries of `calls` calls from the demo generator (seed 7), one event each, signed
/// and accepted as the listener hands them over.
fn deliveries(calls: usize) -> Vec<Delivery> {
    let mut out = Vec::new();
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
            let mut d = Delivery::accepted(seq, at, events);
            d.body_len = body.len();
            d.body = body.into();
            d.handling = Duration::from_micros(180 + (seq % 7) * 13);
            out.push(d);
        }
    }
    out
}

fn app_with(calls: usize, header: HeaderInfo) -> App {
    let stats = Arc::new(ListenerStats::default());
    let mut app = App::new(Arc::clone(&stats), header);
    let deliveries = deliveries(calls);
    stats
        .accepted
        .store(deliveries.len() as u64, Ordering::Relaxed);
    for d in deliveries {
        app.on_delivery(d);
    }
    stats
        .last_delivery_ms
        .store((NOW_S - 3) * 1000, Ordering::Relaxed);
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    app
}

/// Hands the app a refused delivery, counted as the listener counts it, its body naming a
/// call, its diagnosis saying `hint`.
fn refuse(app: &mut App, status: u16, verdict: DeliveryVerdict, path: &str, hint: &str) {
    refuse_signed_for(app, (status, verdict), path, hint, None);
}

/// The same, the diagnosis having proven the signature was made for `signed_for`.
fn refuse_signed_for(
    app: &mut App,
    (status, verdict): (u16, DeliveryVerdict),
    path: &str,
    hint: &str,
    signed_for: Option<&str>,
) {
    let seq = app.session.deliveries.back().map_or(1, |d| d.seq + 1);
    let mut d = Delivery::accepted(seq, UNIX_EPOCH + Duration::from_secs(NOW_S - 2), Vec::new());
    d.status = status;
    d.verdict = verdict;
    d.path = path.into();
    d.event_count = 0;
    d.body = br#"[{"data":{"call_sid":"CA0000000000000000000000000000beef"}}]"#
        .as_slice()
        .into();
    d.body_len = d.body.len();
    d.diagnosis = Some(Diagnosis {
        reason: hint.into(),
        tried_urls: Vec::new(),
        received_signature: None,
        hint: hint.into(),
        seen_url: None,
        matched_url: signed_for.map(str::to_owned),
    });
    app.stats.rejected.fetch_add(1, Ordering::Relaxed);
    app.on_delivery(d);
    app.prepare_frame();
}

fn refuse_wrong_url(app: &mut App) {
    refuse_signed_for(
        app,
        (403, DeliveryVerdict::BadSignature),
        "/events",
        "Twilio signed https://old.ngrok.app/events but --public-url is \
         https://abc123.ngrok.app/events",
        Some("https://old.ngrok.app/events"),
    );
}

fn refuse_wrong_token(app: &mut App) {
    refuse(
        app,
        403,
        DeliveryVerdict::BadSignature,
        "/events",
        "signature made with another auth token (subaccount?)",
    );
}

fn refuse_wrong_path(app: &mut App) {
    refuse(
        app,
        404,
        DeliveryVerdict::WrongPath,
        "/webhook",
        "a POST reached /webhook but callwatch takes deliveries at /events",
    );
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    format!("{:?}", terminal.backend())
}

/// The screen's text, one line per row.
fn text(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    let buf = terminal.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    app.prepare_frame();
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The table rows drawn: lines that start with a clock (`07:53:29`), as every row of the calls
/// and deliveries tables does.
fn table_rows(screen: &[String]) -> usize {
    screen
        .iter()
        .filter(|l| {
            let b = l.as_bytes();
            b.len() > 8 && b[2] == b':' && b[5] == b':' && b[..2].iter().all(u8::is_ascii_digit)
        })
        .count()
}

#[test]
fn deliveries_and_stats_with_the_tab_bar_at_three_sizes() {
    type Setup = fn(&mut App);
    let shots: [(&str, Setup); 3] = [
        ("deliveries", |a| {
            refuse_wrong_url(a);
            a.update(Action::NextView);
        }),
        ("deliveries_filtered", |a| {
            refuse_wrong_url(a);
            refuse_wrong_path(a);
            a.update(Action::NextView);
            type_text(a, "/verdict!=ok");
            key(a, KeyCode::Enter);
        }),
        ("stats", |a| {
            a.update(Action::NextView);
            a.update(Action::NextView);
        }),
    ];
    for (name, setup) in shots {
        let mut app = app_with(30, header());
        setup(&mut app);
        app.prepare_frame();
        for (w, h) in [(80, 24), (120, 40), (200, 50)] {
            let screen = text(&app, w, h);
            let tabs = screen
                .iter()
                .find(|l| l.contains(" calls 30 │ deliveries"))
                .unwrap_or_else(|| panic!("{name} {w}x{h}: no tab bar\n{}", screen.join("\n")));
            // Only the view's own controls: the stats view has no filter line and no sort.
            if name == "stats" {
                assert!(
                    !tabs.contains("sort") && !tabs.contains("no filter"),
                    "{tabs}"
                );
            } else {
                assert!(!tabs.contains("sort"), "{tabs}");
            }
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&app, w, h));
        }
    }
}

#[test]
fn the_deliveries_view_lists_only_what_its_filter_lets_through() {
    let mut app = app_with(10, header());
    refuse_wrong_url(&mut app);
    refuse_wrong_path(&mut app);
    app.update(Action::NextView);
    assert_eq!(app.view, View::Deliveries);
    type_text(&mut app, "/status>=400");
    key(&mut app, KeyCode::Enter);
    assert!(app.editor.is_none(), "applied");
    let screen = text(&app, 120, 40);
    assert_eq!(table_rows(&screen), 2, "{}", screen.join("\n"));
    assert!(
        screen
            .iter()
            .any(|l| l.contains("filter status>=400  2 of "))
    );
    // The call SID a refused body names shows, shortened at 120 columns.
    assert!(
        screen.iter().any(|l| l.contains("CA0000…beef")),
        "{}",
        screen.join("\n")
    );

    // A bad expression says why under the line and keeps the filter in force.
    type_text(&mut app, "/");
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "verdict=fine");
    key(&mut app, KeyCode::Enter);
    let error = app
        .editor
        .as_ref()
        .and_then(|e| e.error.clone())
        .expect("an error");
    assert!(error.contains("no verdict is called `fine`"), "{error}");
    assert_eq!(
        app.delivery_filter.as_ref().map(|f| f.text()),
        Some("status>=400")
    );
    let screen = text(&app, 120, 40);
    assert!(
        screen
            .iter()
            .any(|l| l.contains("no verdict is called `fine`")),
        "{}",
        screen.join("\n")
    );
    key(&mut app, KeyCode::Esc);
    // Esc closed the line and cleared the filter: every delivery again.
    assert!(app.delivery_filter.is_none());
    assert_eq!(app.shown_deliveries().count(), app.session.deliveries.len());

    // The calls filter is another one: untouched by all this.
    assert!(app.filter.is_none());
    app.update(Action::PrevView);
    type_text(&mut app, "/state=fail");
    key(&mut app, KeyCode::Enter);
    assert!(app.filter.is_some());
    assert!(app.delivery_filter.is_none());

    // The jump other views use: a call's deliveries.
    let sid = app.session.deliveries[0].call_sids[0].clone();
    app.show_deliveries_filtered(&format!("sid={sid}"))
        .expect("parses");
    assert_eq!(app.view, View::Deliveries);
    assert!(app.shown_deliveries().count() >= 1);
    assert!(app.shown_deliveries().all(|d| d.call_sids.contains(&sid)));
    // A bad one changes nothing and says why.
    assert!(app.show_deliveries_filtered("sid>3").is_err());
    assert_eq!(
        app.delivery_filter.as_ref().map(|f| f.text().to_owned()),
        Some(format!("sid={sid}"))
    );
    assert!(app.notice.as_ref().is_some_and(|n| n.is_error));
}

/// Every kind of problem the header knows, raised at once (but the log's rotation, a
/// process-wide counter): the recording failing, each kind of refusal, the Debugger's alerts,
/// a gap, a forward failing (a real forwarder to a closed port), connections closed, a stale
/// event and a rotated recording.
fn app_with_every_warning() -> App {
    let feed = AlertFeed::new();
    feed.publish(
        [SinkAlert {
            sid: "NO00000000000000000000000000000001".into(),
            error_code: "91308".into(),
            alert_text: "timeout".into(),
            date_generated: String::new(),
            generated_at: Some(UNIX_EPOCH + Duration::from_secs(NOW_S - 120)),
            log_level: Some("error".into()),
            more_info: None,
        }],
        UNIX_EPOCH + Duration::from_secs(NOW_S - 30),
    );
    // A port nothing listens on: the forward fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let target = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let forwarder = {
        let _entered = runtime.enter();
        Forwarder::start(
            &target,
            ForwardKeys {
                auth_token: "token".into(),
                shared_key_secret: None,
            },
            &[],
        )
        .expect("forwarder")
    };
    forwarder.offer(1, b"[]".as_slice().into(), Algorithm::HmacSha1, None);
    let waited = std::time::Instant::now();
    while forwarder.state.failed.load(Ordering::Relaxed) == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "no forward outcome"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let header = HeaderInfo {
        alerts: Some(feed),
        forward: Some(Arc::clone(&forwarder.state)),
        ..header()
    };
    let mut app = app_with(30, header);
    let stats = Arc::clone(&app.stats);
    *stats.record_error.lock().expect("lock") = Some("No space left on device".into());
    stats.record_failures.store(2, Ordering::Relaxed);
    stats.dropped.store(5, Ordering::Relaxed);
    stats.connections_refused.store(3, Ordering::Relaxed);
    stats.record_rotations.store(1, Ordering::Relaxed);
    let mut stale = deliveries(31)
        .pop()
        .expect("a delivery of a call not shown yet");
    stale.seq = 10_000;
    stale.received_at += Duration::from_secs(5 * 3600);
    app.on_delivery(stale);
    refuse_wrong_url(&mut app);
    refuse_wrong_token(&mut app);
    refuse_wrong_path(&mut app);
    for (status, verdict, hint) in [
        (503, DeliveryVerdict::NotRecorded, "could not record"),
        (
            403,
            DeliveryVerdict::BadBodyHash,
            "the body changed on its way",
        ),
        (
            403,
            DeliveryVerdict::MissingSignature,
            "no X-Twilio-Signature",
        ),
        (
            400,
            DeliveryVerdict::Malformed("not JSON".into()),
            "not JSON",
        ),
        (413, DeliveryVerdict::TooLarge, "over 1 MiB"),
        (405, DeliveryVerdict::MethodNotAllowed, "a GET"),
    ] {
        refuse(&mut app, status, verdict, "/events", hint);
    }
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    drop(runtime);
    app
}

#[test]
fn every_warning_leaves_the_table_twelve_rows_at_80x24() {
    let mut app = app_with_every_warning();
    assert_eq!(app.problems().len(), 16, "{:#?}", app.problems());
    let screen = text(&app, 80, 24);
    let all = screen.join("\n");
    assert!(table_rows(&screen) >= 12, "{all}");
    let body = ui::areas(Rect::new(0, 0, 80, 24), &app).body;
    assert!(body.height > 12, "{body:?}");
    // One line per kind, the first ones shown; the others summed up.
    assert!(all.contains("⚠ recording fails ×2"), "{all}");
    assert!(all.contains("more kinds of problem: ! lists them"), "{all}");
    insta::assert_snapshot!("header_every_warning_80x24", render(&app, 80, 24));

    // The deliveries view keeps its rows too.
    app.update(Action::NextView);
    app.prepare_frame();
    let screen = text(&app, 80, 24);
    assert!(table_rows(&screen) >= 12, "{}", screen.join("\n"));

    // Picking a problem far down the list scrolls the list to it.
    app.update(Action::PrevView);
    type_text(&mut app, "!");
    for _ in 0..20 {
        key(&mut app, KeyCode::Down);
    }
    let screen = text(&app, 80, 24);
    let all = screen.join("\n");
    assert!(all.contains("recording rotated 1×"), "{all}");
    assert!(table_rows(&screen) >= 12, "{all}");
    // The forward target's port is any free one: five digits (Linux's ephemeral ports).
    let target = app.header.forward.as_ref().expect("forward").target.clone();
    let port = target
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/hook");
    assert_eq!(port.len(), 5, "{target}");
    let screen = render(&app, 80, 24).replace(&format!(":{port}/"), ":#####/");
    insta::assert_snapshot!("header_every_warning_picking_80x24", screen);
}

#[test]
fn x_dismisses_the_problems_until_a_new_kind_arrives() {
    let mut app = app_with(30, header());
    let calm = text(&app, 80, 24);
    refuse_wrong_url(&mut app);
    let warned = text(&app, 80, 24);
    assert!(warned.iter().any(|l| l.starts_with("⚠ wrong URL ×1")));
    assert_eq!(
        table_rows(&warned) + 2,
        table_rows(&calm),
        "two problem lines"
    );

    key(&mut app, KeyCode::Char('x'));
    let dismissed = text(&app, 80, 24);
    assert!(
        !dismissed.iter().any(|l| l.starts_with('⚠')),
        "{}",
        dismissed.join("\n")
    );
    assert_eq!(table_rows(&dismissed), table_rows(&calm));

    // More of the same kind stays dismissed.
    refuse_wrong_url(&mut app);
    assert!(!text(&app, 80, 24).iter().any(|l| l.starts_with('⚠')));

    // A new kind brings the header back, with that kind only.
    refuse_wrong_path(&mut app);
    let back = text(&app, 80, 24);
    let problems: Vec<&String> = back.iter().filter(|l| l.starts_with('⚠')).collect();
    assert_eq!(problems.len(), 1, "{}", back.join("\n"));
    assert!(problems[0].starts_with("⚠ POSTed to another path (404) ×1"));

    // `!` lists every kind again, the dismissed ones too.
    key(&mut app, KeyCode::Char('!'));
    let listed = text(&app, 80, 24);
    assert!(listed.iter().any(|l| l.starts_with("⚠ wrong URL")));
    assert!(listed.iter().any(|l| l.contains("Enter: deliveries")));
    key(&mut app, KeyCode::Esc);
    assert!(app.problem_focus.is_none());
    assert!(
        !text(&app, 80, 24)
            .iter()
            .any(|l| l.starts_with("⚠ wrong URL"))
    );
}

#[test]
fn enter_on_a_problem_opens_its_deliveries() {
    let mut app = app_with(10, header());
    refuse_wrong_path(&mut app);
    refuse_wrong_url(&mut app);
    refuse_wrong_token(&mut app);
    refuse_wrong_url(&mut app);
    assert_eq!(app.view, View::Calls);
    // The list: wrong path, wrong URL, bad signature, the 4xx advice.
    key(&mut app, KeyCode::Char('!'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Deliveries);
    assert!(app.problem_focus.is_none());
    assert_eq!(
        app.delivery_filter.as_ref().map(|f| f.text()),
        Some("verdict=bad_signature and url~://")
    );
    let shown: Vec<&str> = app.shown_deliveries().map(|d| d.verdict.as_str()).collect();
    assert_eq!(shown, ["bad_signature", "bad_signature"]);
    let screen = text(&app, 120, 40);
    assert_eq!(table_rows(&screen), 2, "{}", screen.join("\n"));
    assert!(
        screen
            .iter()
            .any(|l| l.contains("filter verdict=bad_signature and url~://  2 of ")),
        "{}",
        screen.join("\n")
    );

    // The first one: the wrong path.
    app.update(Action::PrevView);
    key(&mut app, KeyCode::Char('!'));
    key(&mut app, KeyCode::Enter);
    let shown: Vec<&str> = app.shown_deliveries().map(|d| d.path.as_str()).collect();
    assert_eq!(shown, ["/webhook"]);

    // Without problems `!` does nothing.
    let mut calm = app_with(3, header());
    key(&mut calm, KeyCode::Char('!'));
    assert!(calm.problem_focus.is_none());
}
