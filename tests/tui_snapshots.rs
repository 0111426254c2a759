//! Whole screens of the TUI, drawn into ratatui's `TestBackend` and pinned with insta, at the
//! sizes people use (80×24 and 120×40), with and without colour, from the demo generator's calls
//! with a fixed seed and fixed clocks; and key sequences driven through the app's update step.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, UNIX_EPOCH};

use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use callwatch::tui::app::{App, Overlay, SortColumn, View};
use callwatch::tui::keys::Action;
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// 2027-01-15T08:00:00Z: a fixed "now" for every screen.
const NOW_S: u64 = 1_800_000_000;

fn header(color: bool) -> HeaderInfo {
    HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        mode_note: None,
        color,
        hyperlinks: false,
        reject_status: 403,
        ..HeaderInfo::default()
    }
}

/// The deliveries of `calls` calls from the generator (seed 7), as the listener hands them
/// over: all but the last event of every third call, so the table mixes stages.
fn deliveries(calls: usize) -> Vec<Delivery> {
    generated(calls).0
}

/// The last events of every third call, which [`deliveries`] holds back, delivered after
/// them.
fn deliveries_all_events(calls: usize) -> Vec<Delivery> {
    generated(calls).1
}

/// [`deliveries`], and the deliveries it holds back.
fn generated(calls: usize) -> (Vec<Delivery>, Vec<Delivery>) {
    let mut out = Vec::new();
    let mut held = Vec::new();
    let mut generator = CallGenerator::new(7);
    let start = time::OffsetDateTime::from_unix_timestamp(NOW_S as i64 - 600).expect("time");
    let mut seq = 0;
    for i in 0..calls {
        let call = generator.next_call(None, start + Duration::from_secs(i as u64 * 7));
        // Deliver all but the last event of every third call, so the table mixes stages.
        let take = if i % 3 == 0 {
            call.events.len() - 1
        } else {
            call.events.len()
        };
        for (j, ev) in call.events.iter().enumerate() {
            // Held deliveries are numbered after the others, as later arrivals are.
            if j < take {
                seq += 1;
            }
            let body = delivery_body(std::slice::from_ref(&ev.event));
            let events = parse_delivery(&body).expect("parse");
            let at = UNIX_EPOCH + Duration::from_secs(NOW_S - 600 + i as u64 * 7) + ev.offset;
            let mut d = Delivery::accepted(seq, at, events);
            d.body_len = body.len();
            d.body = body.into();
            d.query = "bodySHA256=0123abcd".into();
            d.headers = vec![
                ("content-type", "application/json"),
                ("x-twilio-signature", "xWpMQ9oup5I4GzSsMkdAInacfMM="),
                ("user-agent", "TwilioProxy/1.1"),
            ]
            .into();
            d.handling = Duration::from_micros(180 + (seq % 7) * 13);
            if j < take {
                out.push(d);
            } else {
                held.push(d);
            }
        }
    }
    for (k, d) in held.iter_mut().enumerate() {
        d.seq = seq + 1 + k as u64;
    }
    (out, held)
}

fn app_with_calls(calls: usize, color: bool) -> App {
    let stats = Arc::new(ListenerStats::default());
    let mut app = App::new(Arc::clone(&stats), header(color));
    let deliveries = deliveries(calls);
    let seq = deliveries.len() as u64;
    for d in deliveries {
        app.on_delivery(d);
    }
    stats.accepted.store(seq, Ordering::Relaxed);
    stats
        .last_delivery_ms
        .store((NOW_S - 3) * 1000, Ordering::Relaxed);
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app.prepare_frame();
    app
}

/// Hands the app a delivery refused with `status` and `verdict`, counted as the listener counts
/// it, with a diagnosis saying `reason` and `hint`; `shape` sets the rest.
fn add_refused(
    app: &mut App,
    (status, verdict): (u16, DeliveryVerdict),
    (reason, hint): (&str, &str),
    shape: impl FnOnce(&mut Delivery, &mut callwatch::ingest::diagnosis::Diagnosis),
) {
    let mut d = Delivery::accepted(
        9999,
        UNIX_EPOCH + Duration::from_secs(NOW_S - 2),
        Vec::new(),
    );
    d.status = status;
    d.verdict = verdict;
    d.event_count = 0;
    let mut diagnosis = callwatch::ingest::diagnosis::Diagnosis {
        reason: reason.into(),
        tried_urls: Vec::new(),
        received_signature: None,
        hint: hint.into(),
        seen_url: None,
        matched_url: None,
    };
    shape(&mut d, &mut diagnosis);
    d.diagnosis = Some(diagnosis);
    app.stats.rejected.fetch_add(1, Ordering::Relaxed);
    app.on_delivery(d);
    app.prepare_frame();
}

/// Adds a delivery refused for its signature, as the listener would record it.
fn add_rejection(app: &mut App) {
    add_refused(
        app,
        (403, DeliveryVerdict::BadSignature),
        (
            "signature matches no URL variant",
            "signature made with another auth token (subaccount?)",
        ),
        |d, diagnosis| {
            d.body = br#"[{"type":"com.twilio.voice.insights.call-summary.complete","data":{"call_sid":"CA1"}}]"#.as_slice().into();
            d.body_len = d.body.len();
            d.headers = vec![("x-twilio-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")].into();
            diagnosis.tried_urls = vec![callwatch::twilio::signature::TriedUrl {
                url: "https://abc123.ngrok.app/events?bodySHA256=00".into(),
                expected_signature: "xWpMQ9oup5I4GzSsMkdAInacfMM=".into(),
            }];
            diagnosis.received_signature = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into());
        },
    );
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    format!("{:?}", terminal.backend())
}

/// Only the text of the screen (for assertions that do not care about styles).
fn text(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
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

/// How a screenshot test puts the app in the state it shows.
type Setup = Box<dyn Fn(&mut App)>;

/// Every view and overlay, at both sizes, with and without colour.
#[test]
fn every_view_and_overlay_at_both_sizes() {
    for color in [false, true] {
        let mut app = app_with_calls(30, color);
        let suffix = if color { "colour" } else { "plain" };
        let shots: Vec<(&str, Setup)> = vec![
            ("calls", Box::new(|_| {})),
            (
                "call_details",
                Box::new(|a| {
                    a.update(Action::Down);
                    a.update(Action::Open);
                }),
            ),
            ("help", Box::new(|a| a.update(Action::ToggleHelp))),
            (
                "deliveries",
                Box::new(|a| {
                    add_rejection(a);
                    a.view = View::Deliveries;
                }),
            ),
            (
                "delivery_details",
                Box::new(|a| {
                    a.view = View::Deliveries;
                    a.update(Action::Open);
                }),
            ),
            ("stats", Box::new(|a| a.view = View::Stats)),
            (
                "filter_typing",
                Box::new(|a| {
                    key(a, KeyCode::Char('/'));
                    type_text(a, "state=fail or carier~x");
                    key(a, KeyCode::Enter);
                }),
            ),
        ];
        for (name, setup) in shots {
            let mut a = app_with_calls(30, color);
            setup(&mut a);
            a.prepare_frame();
            for (w, h) in [(80, 24), (120, 40)] {
                insta::assert_snapshot!(format!("{name}_{w}x{h}_{suffix}"), render(&a, w, h));
            }
        }
        app.update(Action::Quit);
        assert!(app.should_quit);
    }
}

/// The filter line being edited mid-line: the screen, and the cursor where the next character
/// goes, counted in display cells (a wide character takes two).
#[test]
fn filter_line_edited_mid_line_puts_the_cursor_there() {
    let mut app = app_with_calls(30, false);
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "state=fail carrier~voda");
    app.on_key(KeyEvent::new(KeyCode::Char('b'), KeyModifiers::ALT));
    app.on_key(KeyEvent::new(KeyCode::Char('b'), KeyModifiers::ALT));
    app.prepare_frame();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal.draw(|f| ui::draw(f, &app)).expect("draw");
    insta::assert_snapshot!(
        "filter_editing_mid_line_80x24",
        format!("{:?}", terminal.backend())
    );
    let mut cursor = terminal.get_cursor_position().expect("cursor");
    // "/ state=fail |carrier~voda" on the line above the hint bar.
    assert_eq!((cursor.x, cursor.y), (2 + 11, 22));

    // Ctrl-U deletes what is before the cursor (and inserts no `u`).
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    terminal.draw(|f| ui::draw(f, &app)).expect("draw");
    assert!(text(&app, 80, 24).contains("/ carrier~voda "));
    cursor = terminal.get_cursor_position().expect("cursor");
    assert_eq!((cursor.x, cursor.y), (2, 22));

    // Wide and multibyte characters: two cells for 東, one for é.
    type_text(&mut app, "東é");
    terminal.draw(|f| ui::draw(f, &app)).expect("draw");
    cursor = terminal.get_cursor_position().expect("cursor");
    assert_eq!((cursor.x, cursor.y), (2 + 3, 22));

    // A line longer than the screen scrolls so that the cursor stays on it.
    app.on_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    type_text(&mut app, &" or sip>=500".repeat(8));
    terminal.draw(|f| ui::draw(f, &app)).expect("draw");
    cursor = terminal.get_cursor_position().expect("cursor");
    assert_eq!((cursor.x, cursor.y), (79, 22));
    assert!(
        text(&app, 80, 24)
            .lines()
            .nth(22)
            .expect("line")
            .ends_with("sip>=500 ")
    );
}

/// The help overlay scrolled to the filter line's editing keys.
#[test]
fn help_lists_the_filter_line_keys() {
    let mut app = app_with_calls(10, false);
    key(&mut app, KeyCode::Char('?'));
    let lines =
        callwatch::tui::ui::help::wrapped(&callwatch::tui::theme::Theme::new(false), 120 - 2);
    let at = lines
        .iter()
        .position(|l| l.to_string().contains("Filter line"))
        .expect("a filter line section");
    app.overlay = Some(Overlay::Help {
        scroll: u16::try_from(at).expect("scroll"),
    });
    let screen = text(&app, 120, 40);
    for want in [
        "Ctrl-U",
        "delete to start of line",
        "Ctrl-W, Alt-Backspace",
        "Alt-B, Ctrl-←, Alt-←",
        "older filter",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
    insta::assert_snapshot!("help_filter_line_120x40_plain", render(&app, 120, 40));
}

#[test]
fn empty_table_says_what_it_waits_for() {
    let app = app_with_calls(0, false);
    let screen = text(&app, 120, 40);
    assert!(
        screen.contains("Waiting for the first delivery"),
        "{screen}"
    );
}

#[test]
fn too_small_terminal_gets_a_message() {
    let app = app_with_calls(3, false);
    assert!(text(&app, 40, 10).contains("Terminal too small"));
}

#[test]
fn selection_moves_pages_and_follows_newest() {
    let mut app = app_with_calls(30, false);
    app.page_rows = 10;
    assert_eq!(app.selected, None, "follows the newest call at start");
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(app.selected_index(), 2);
    let chosen = app.selected.expect("a call is selected");
    app.update(Action::PageDown);
    assert_eq!(app.selected_index(), 12);
    app.update(Action::Last);
    assert_eq!(app.selected_index(), 29);
    app.update(Action::First);
    assert_eq!(app.selected, None);
    // Once the user picks a call, new arrivals do not move the selection away from it.
    app.update(Action::Down);
    let picked = app.selected.expect("picked");
    assert_ne!(picked, chosen);
    let more = app_with_calls(31, false); // same seed: the same 30 calls plus one
    let newest = more
        .session
        .store
        .newest_first()
        .next()
        .expect("newest")
        .full_summary()
        .expect("unpacks");
    let event = callwatch::twilio::cloudevent::SummaryEvent::new(
        "EZnew".into(),
        callwatch::twilio::cloudevent::SummaryKind::Partial,
        None,
        &newest,
    );
    app.on_delivery(Delivery::accepted(
        5000,
        UNIX_EPOCH + Duration::from_secs(NOW_S),
        vec![callwatch::twilio::cloudevent::DeliveredEvent::CallSummary(
            event,
        )],
    ));
    app.prepare_frame();
    assert_eq!(app.selected, Some(picked));
    assert_eq!(
        app.selected_index(),
        2,
        "the picked call moved down one row with it"
    );
}

#[test]
fn filter_applies_rejects_bad_expressions_and_clears() {
    let mut app = app_with_calls(30, false);
    let total = app.rows.len();
    key(&mut app, KeyCode::Char('/'));
    assert!(app.editor.is_some());
    type_text(&mut app, "state=fail");
    key(&mut app, KeyCode::Enter);
    assert!(app.editor.is_none());
    let fails = app.rows.len();
    assert!(fails > 0 && fails < total, "{fails} of {total}");
    for &id in &app.rows {
        let r = app.session.store.by_id(id).expect("row");
        assert_eq!(r.summary.call_state.as_str(), "fail");
    }
    assert!(text(&app, 120, 40).contains(&format!("{fails} of {total} calls")));

    // A bad expression keeps the previous filter and shows why.
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, " and (");
    key(&mut app, KeyCode::Enter);
    let editor = app.editor.as_ref().expect("still editing");
    assert!(editor.error.is_some());
    assert_eq!(app.filter.as_ref().map(|f| f.text()), Some("state=fail"));
    assert_eq!(app.rows.len(), fails);

    // Esc clears.
    key(&mut app, KeyCode::Esc);
    assert!(app.filter.is_none());
    assert_eq!(app.rows.len(), total);
}

#[test]
fn sort_cycles_and_reverses() {
    let mut app = app_with_calls(30, false);
    assert_eq!(app.sort, (SortColumn::Started, true));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.sort, (SortColumn::State, true));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.sort.0, SortColumn::Duration);
    let durations: Vec<i64> = app
        .rows
        .iter()
        .map(|&id| {
            app.session
                .store
                .by_id(id)
                .and_then(|r| r.summary.duration)
                .unwrap_or(-1)
        })
        .collect();
    assert!(durations.windows(2).all(|w| w[0] >= w[1]), "{durations:?}");
    key(&mut app, KeyCode::Char('S'));
    assert_eq!(app.sort, (SortColumn::Duration, false));
    let first = app
        .session
        .store
        .by_id(app.rows[0])
        .and_then(|r| r.summary.duration);
    assert_eq!(first, durations.iter().copied().filter(|d| *d >= 0).min());
    assert!(text(&app, 200, 40).contains("DUR↑"));
}

#[test]
fn freeze_keeps_rows_and_counts_new() {
    let mut app = app_with_calls(10, false);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.frozen.is_some());
    let rows = app.rows.clone();
    // The log keeps deliveries without their events (they are in the store): take them anew.
    for d in deliveries(14)
        .into_iter()
        .skip(app.session.deliveries.len())
    {
        app.on_delivery(d);
    }
    app.prepare_frame();
    assert_eq!(app.rows, rows, "frozen rows do not change");
    assert!(app.new_since_freeze() > 0);
    assert!(text(&app, 120, 40).contains(&format!("frozen — {} new", app.new_since_freeze())));
    key(&mut app, KeyCode::Char(' '));
    assert!(app.frozen.is_none());
    assert_eq!(app.rows.len(), 14);
}

#[test]
fn details_and_help_open_and_close() {
    let mut app = app_with_calls(10, false);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let id = app.rows[1];
    assert_eq!(app.overlay, Some(Overlay::CallDetails { id, scroll: 0 }));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.overlay, Some(Overlay::CallDetails { id, scroll: 1 }));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);
    key(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    let screen = text(&app, 160, 90);
    assert!(
        screen.contains("export CSV+JSON") && screen.contains("carrier"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, None);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Deliveries);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Stats);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Calls);
}

#[test]
fn masking_hides_numbers_everywhere_on_screen() {
    let mut app = app_with_calls(10, false);
    let caller = app
        .session
        .store
        .newest_first()
        .next()
        .expect("call")
        .summary
        .from
        .caller
        .clone();
    assert!(caller.starts_with('+'), "{caller}");
    assert!(text(&app, 120, 40).contains(&caller[..10]));
    key(&mut app, KeyCode::Char('m'));
    assert!(app.mask);
    let screen = text(&app, 120, 40);
    assert!(!screen.contains(&caller[..10]), "{screen}");
    assert!(screen.contains('•'));
    key(&mut app, KeyCode::Enter);
    let details = text(&app, 120, 40);
    assert!(!details.contains(caller.as_str()), "{details}");
}

#[test]
fn export_writes_the_filtered_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app_with_calls(30, false);
    app.export_dir = dir.path().to_owned();
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "state=completed");
    key(&mut app, KeyCode::Enter);
    let shown = app.rows.len();
    key(&mut app, KeyCode::Char('e'));
    let notice = app.notice.clone().expect("a notice");
    assert!(!notice.is_error, "{}", notice.text);
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let csv = std::fs::read_to_string(&files[0]).expect("csv");
    assert_eq!(
        csv.lines().count(),
        shown + 1,
        "header + one row per call shown"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[1]).expect("json")).expect("json");
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), shown);
    assert!(
        rows.iter().all(|r| r["call_state"] == "completed"),
        "{json}"
    );
    assert!(notice.text.contains(&files[0].display().to_string()));
}

#[test]
fn call_sid_is_a_terminal_hyperlink() {
    let mut app = app_with_calls(5, false);
    let screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    app.update(Action::Open);
    assert_eq!(
        ui::call_details::hyperlink_target(&app, screen),
        None,
        "off unless enabled"
    );
    app.header.hyperlinks = true;
    let (x, y, sid) = ui::call_details::hyperlink_target(&app, screen).expect("a link");
    // The SID is drawn exactly where the link is written.
    let shown = text(&app, 120, 40);
    let line: String = shown
        .lines()
        .nth(usize::from(y))
        .expect("line")
        .chars()
        .skip(usize::from(x))
        .take(34)
        .collect();
    assert_eq!(line, sid.as_str());
    let url = sid.console_url();
    assert!(
        url.starts_with("https://console.twilio.com/") && url.contains(sid.as_str()),
        "{url}"
    );
    let link = sid.osc8();
    assert!(
        link.starts_with("\x1b]8;;https://console.twilio.com/") && link.ends_with("\x1b]8;;\x1b\\")
    );
    app.update(Action::Down);
    assert_eq!(
        ui::call_details::hyperlink_target(&app, screen),
        None,
        "scrolled: the SID is gone"
    );
}

#[test]
fn header_warns_when_signatures_fail_with_a_4xx() {
    let mut app = app_with_calls(5, false);
    add_rejection(&mut app);
    let screen = text(&app, 120, 40);
    assert!(screen.contains("Twilio never retries a 4xx"), "{screen}");
    assert!(screen.contains("--reject-status 503"), "{screen}");
}

#[test]
fn header_says_when_posts_go_to_another_path() {
    let mut app = app_with_calls(5, false);
    add_refused(
        &mut app,
        (404, DeliveryVerdict::WrongPath),
        (
            "POST to /webhook, not to the events path /events",
            "a Twilio-signed POST reached this listener at /webhook but callwatch takes \
             deliveries at /events",
        ),
        |d, _| d.path = "/webhook".into(),
    );
    let screen = text(&app, 120, 40);
    assert!(
        screen.contains("⚠ POSTed to another path (404) ×1 — a Twilio-signed POST"),
        "{screen}"
    );
    assert!(!screen.contains("bad signature"), "{screen}");
}

#[test]
fn mouse_selects_scrolls_and_sorts_by_column_title() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with_calls(30, false);
    let screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    let body = ui::areas(screen, &app).body;
    let click = |column, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // The fourth data row (the title row is body.y).
    app.on_mouse(click(20, body.y + 4), body);
    app.prepare_frame();
    assert_eq!(app.selected_index(), 3);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 20,
        row: body.y + 4,
        modifiers: KeyModifiers::NONE,
    };
    app.on_mouse(wheel, body);
    assert_eq!(app.selected_index(), 4);
    // A click on the STATE title sorts by state; a second click reverses it.
    // The run loop keeps the columns drawn for the mouse.
    app.placed_columns = ui::calls_table::layout(&app, body);
    let placed = app.placed_columns.clone();
    let mut x = 0;
    for p in &placed {
        if p.column == ui::calls_table::Column::State {
            break;
        }
        x += p.width + 1;
    }
    app.on_mouse(click(x + 1, body.y), body);
    assert_eq!(app.sort, (SortColumn::State, true));
    app.on_mouse(click(x + 1, body.y), body);
    assert_eq!(app.sort, (SortColumn::State, false));
    // Clicks outside the table change nothing.
    app.on_mouse(click(5, 0), body);
    assert_eq!(app.sort, (SortColumn::State, false));
}

#[test]
fn stats_are_recomputed_at_most_once_a_second_but_at_once_for_a_new_filter() {
    let mut app = app_with_calls(10, false);
    app.view = View::Stats;
    app.prepare_frame();
    let before = app.call_stats.as_ref().expect("stats").1.calls;
    assert_eq!(before, 10);
    // A new call arrives right away: the stats wait for their second to pass.
    for d in deliveries(11)
        .into_iter()
        .skip(app.session.deliveries.len())
    {
        app.on_delivery(d);
    }
    app.prepare_frame();
    assert_eq!(app.session.store.len(), 11);
    assert_eq!(app.call_stats.as_ref().expect("stats").1.calls, 10);
    // A filter change is the user's doing: it shows at once.
    app.set_filter(None);
    app.prepare_frame();
    assert_eq!(app.call_stats.as_ref().expect("stats").1.calls, 11);
}

#[test]
fn call_details_are_rendered_once_per_change_of_the_call() {
    let mut app = app_with_calls(10, false);
    let screen = text(&app, 120, 40);
    assert!(!screen.contains("call details"));
    app.update(Action::Open);
    app.prepare_frame();
    let key = app.details_cache.as_ref().expect("rendered on open").key;
    let shown = text(&app, 120, 40);
    // A delivery for another call leaves the cached text alone ...
    for d in deliveries(11)
        .into_iter()
        .skip(app.session.deliveries.len())
    {
        app.on_delivery(d);
    }
    app.prepare_frame();
    let Some(Overlay::CallDetails { id, .. }) = app.overlay else {
        panic!("details open")
    };
    let record = app.session.store.by_id(id).expect("call");
    assert_eq!(
        record.update_seq, key.1,
        "the new delivery was for another call"
    );
    assert_eq!(app.details_cache.as_ref().expect("cache").key, key);
    assert_eq!(text(&app, 120, 40).lines().nth(1), shown.lines().nth(1));
    // ... masking re-renders it, and closing drops it.
    app.update(Action::ToggleMask);
    app.prepare_frame();
    assert!(app.details_cache.as_ref().expect("cache").key.2);
    app.update(Action::Close);
    app.prepare_frame();
    assert!(app.details_cache.is_none());
}

/// A captured delivery replayed hours later is counted as stale in the header and its row is
/// dimmed; a rotated recording is said in the header.
#[test]
fn stale_events_and_a_rotated_recording_are_said_in_the_header() {
    let mut app = app_with_calls(3, true);
    let mut stale = deliveries(5).pop().expect("a delivery of the fifth call");
    stale.received_at += Duration::from_secs(5 * 3600);
    app.on_delivery(stale);
    app.stats.record_rotations.store(2, Ordering::Relaxed);
    app.prepare_frame();
    // The stale call arrived last, so it is first; select another row so that the selection's
    // style does not hide its own.
    app.update(Action::Down);
    app.prepare_frame();
    let selected_sid = app
        .rows
        .get(app.selected_index())
        .and_then(|&id| app.session.store.by_id(id))
        .map(|c| c.call_sid().to_owned())
        .expect("a selected call");
    let screen = text(&app, 120, 40);
    assert!(screen.contains("1 stale (older than 4 h)"), "{screen}");
    assert!(
        screen.contains("recording rotated 2× (older lines in FILE.1)"),
        "{screen}"
    );
    // The stale call's row is dimmed: its cells take another colour than a fresh call's row.
    let stale_sid = app
        .session
        .store
        .iter()
        .find(|c| c.is_stale())
        .map(|c| c.call_sid().to_owned())
        .expect("one stale call");
    assert_eq!(app.session.store.iter().filter(|c| c.is_stale()).count(), 1);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|f| ui::draw(f, &app)).expect("draw");
    let buf = terminal.backend().buffer();
    let row_of = |needle: &str| {
        (0..buf.area.height).find(|&y| {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            line.contains(needle)
        })
    };
    let stale_row = row_of(&stale_sid[..6]).expect("the stale call's row");
    let fresh_sid = app
        .session
        .store
        .iter()
        .find(|c| !c.is_stale() && c.call_sid() != selected_sid)
        .map(|c| c.call_sid().to_owned())
        .expect("a fresh call, not selected");
    let fresh_rows: Vec<u16> = (0..buf.area.height)
        .filter(|&y| {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            line.contains(&fresh_sid[..6]) && y != stale_row
        })
        .collect();
    assert!(!fresh_rows.is_empty());
    // The time column (x = 0) is styled by the row only.
    assert_ne!(
        buf[(0, stale_row)].fg,
        buf[(0, fresh_rows[0])].fg,
        "the stale row is dimmed"
    );
}

/// A live CloudEvent of `kind` (`call-event.gateway`, `call-metrics.sdk`…) for call `sid`,
/// `ago` seconds before "now", with `data` (its `call_sid` and `timestamp` are added).
fn live_event(kind: &str, sid: &str, ago: u64, mut data: serde_json::Value) -> serde_json::Value {
    let time = callwatch::timestamp::rfc3339(UNIX_EPOCH + Duration::from_secs(NOW_S - ago));
    data["call_sid"] = sid.into();
    data["account_sid"] = "AC00000000000000000000000000000000".into();
    data["timestamp"] = time.clone().into();
    serde_json::json!({
        "specversion": "1.0",
        "type": format!("com.twilio.voice.insights.{kind}"),
        "id": format!("EZ{sid}{kind}{ago}"),
        "source": "/v1/Voice/Insights",
        "time": time,
        "data": data,
    })
}

/// A call-progress event.
fn progress(sid: &str, ago: u64, name: &str) -> serde_json::Value {
    let data =
        serde_json::json!({"name": name, "group": "call", "edge": "carrier_edge", "level": "INFO"});
    live_event("call-event.gateway", sid, ago, data)
}

/// A Voice SDK event: a warning raised or cleared, or an error with `code` and `message`.
fn sdk_event(sid: &str, ago: u64, name: &str, group: &str) -> serde_json::Value {
    let data =
        serde_json::json!({"name": name, "group": group, "edge": "sdk_edge", "level": "WARNING"});
    live_event("call-event.sdk", sid, ago, data)
}

fn sdk_error(sid: &str, ago: u64, code: i64, message: Option<&str>) -> serde_json::Value {
    let mut error = serde_json::json!({"code": code});
    if let Some(m) = message {
        error["message"] = m.into();
    }
    let data = serde_json::json!({"name": "error", "group": "connection", "edge": "sdk_edge",
        "level": "ERROR", "sdk_edge": {"error": error}});
    live_event("call-event.sdk", sid, ago, data)
}

/// A 10-second quality sample of `edge` (`carrier_edge`, `sdk_edge`…) in `direction`.
fn sample(
    sid: &str,
    ago: u64,
    edge: &str,
    direction: &str,
    (mos, jitter, loss): (Option<f64>, f64, f64),
) -> serde_json::Value {
    let mut interval = serde_json::json!({"jitter": {"value": jitter},
        "packets_loss_percentage": loss, "rtt": {"value": 80}});
    if let Some(mos) = mos {
        interval["mos"] = serde_json::json!({"value": mos});
    }
    let kind = if edge == "sdk_edge" {
        "call-metrics.sdk"
    } else {
        "call-metrics.gateway"
    };
    let data = serde_json::json!({"edge": edge, "direction": direction,
        edge: {"codec_name": "opus", "interval": interval}});
    live_event(kind, sid, ago, data)
}

const LIVE_RINGING: &str = "CA10000000000000000000000000000001";
const LIVE_GOOD: &str = "CA20000000000000000000000000000002";
const LIVE_JITTERY: &str = "CA30000000000000000000000000000003";
const LIVE_FAILING: &str = "CA40000000000000000000000000000004";

/// The app of [`app_with_calls`] with four live calls on top: one ringing (progress only), one
/// answered 1:23 ago with a good MOS, one answered 12:34 ago with jitter over 30 ms on the
/// carrier edge and an SDK warning, and one whose MOS fell until it ended with SDK errors.
fn app_with_live_calls(calls: usize, color: bool) -> App {
    let mut app = app_with_calls(calls, color);
    let mut events = vec![
        progress(LIVE_GOOD, 95, "ringing"),
        progress(LIVE_GOOD, 83, "answered"),
        progress(LIVE_JITTERY, 760, "initiated"),
        progress(LIVE_JITTERY, 754, "answered"),
        sdk_event(
            LIVE_JITTERY,
            300,
            "high-jitter",
            "network-quality-warning-raised",
        ),
        progress(LIVE_FAILING, 400, "ringing"),
        progress(LIVE_FAILING, 390, "answered"),
        sdk_event(
            LIVE_FAILING,
            250,
            "low-mos",
            "network-quality-warning-raised",
        ),
        sdk_error(LIVE_FAILING, 185, 31005, None),
        sdk_error(
            LIVE_FAILING,
            181,
            53405,
            Some("Media connection failed: ICE \x1b[31mfailed"),
        ),
        progress(LIVE_FAILING, 180, "completed"),
    ];
    for i in 0..8u64 {
        events.push(sample(
            LIVE_GOOD,
            80 - i * 10,
            "sdk_edge",
            "both",
            (Some(4.3 + (i % 3) as f64 * 0.05), 4.0 + i as f64, 0.0),
        ));
    }
    for i in 0..60u64 {
        let jitter = 12.0 + (i as f64 * 0.7) + if i > 40 { 20.0 } else { 0.0 };
        for direction in ["inbound", "outbound"] {
            events.push(sample(
                LIVE_JITTERY,
                750 - i * 10,
                "carrier_edge",
                direction,
                (None, jitter, if i > 50 { 0.6 } else { 0.1 }),
            ));
        }
    }
    for i in 0..21u64 {
        let mos = 4.3 - i as f64 * 0.06;
        events.push(sample(
            LIVE_FAILING,
            385 - i * 10,
            "sdk_edge",
            "both",
            (Some(mos), 8.0 + i as f64 * 2.0, i as f64 * 0.15),
        ));
        events.push(sample(
            LIVE_FAILING,
            385 - i * 10,
            "carrier_edge",
            "inbound",
            (Some(mos + 0.1), 5.0 + i as f64, 0.0),
        ));
    }
    // The good one has a partial summary too: its details show the summary's history beside
    // the timeline.
    events.push(serde_json::json!({
        "specversion": "1.0",
        "type": "com.twilio.voice.insights.call-summary.partial",
        "id": "EZpartial-live-good",
        "time": callwatch::timestamp::rfc3339(UNIX_EPOCH + Duration::from_secs(NOW_S - 30)),
        "data": {"call_sid": LIVE_GOOD, "call_state": "answered", "call_type": "client",
            "processing_state": "partial", "processing_version": 1,
            "from": {"caller": "client:alice", "connection": "twilio_sdk"},
            "to": {"callee": "+14155550100", "carrier": "AT&T Wireless", "connection": "mobile"},
            "properties": {"direction": "outbound_dial", "pdd_ms": 900}},
    }));
    // The ringing one last: the newest call.
    events.push(progress(LIVE_RINGING, 5, "ringing"));
    let mut seq = 50_000;
    for event in events {
        seq += 1;
        let body = serde_json::to_vec(&serde_json::json!([event])).expect("json");
        let events = parse_delivery(&body).expect("a live delivery parses");
        app.on_delivery(Delivery::accepted(
            seq,
            UNIX_EPOCH + Duration::from_secs(NOW_S - 1),
            events,
        ));
    }
    app.prepare_frame();
    app
}

/// The table with live calls (quality column, in-progress marks with their running time, the
/// header's count), their details (charts, timeline, SDK errors) and the stats' quality line.
#[test]
fn live_calls_at_both_sizes() {
    for color in [false, true] {
        let suffix = if color { "colour" } else { "plain" };
        let app = app_with_live_calls(12, color);
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("live_calls_{w}x{h}_{suffix}"), render(&app, w, h));
        }
        let mut stats = app_with_live_calls(12, color);
        stats.view = View::Stats;
        stats.prepare_frame();
        for (w, h) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("live_stats_{w}x{h}_{suffix}"), render(&stats, w, h));
        }
        let (_, computed) = stats.call_stats.as_ref().expect("stats computed");
        // good, fair, poor, no data: the good MOS; the MOS of 3.2 and the jitter of 73 ms; the
        // ringing call and the twelve calls with summaries only.
        assert_eq!(computed.quality, [1, 0, 2, 13]);
        assert_eq!(
            (
                computed.judged_by_mos,
                computed.poor_jitter,
                computed.poor_loss
            ),
            (2, 1, 0)
        );
        for sid in [LIVE_FAILING, LIVE_JITTERY] {
            let mut details = app_with_live_calls(12, color);
            let id = details.session.store.id_of(sid).expect("the live call");
            details.overlay = Some(Overlay::CallDetails { id, scroll: 0 });
            details.prepare_frame();
            let name = if sid == LIVE_FAILING {
                "failing"
            } else {
                "jittery"
            };
            for (w, h) in [(80, 24), (120, 40)] {
                insta::assert_snapshot!(
                    format!("live_call_details_{name}_{w}x{h}_{suffix}"),
                    render(&details, w, h)
                );
            }
        }
    }
}

/// A call with a summary and live events: its details, scrolled to its outcome, show the
/// summaries' history and, beside it, the timeline of progress and SDK events.
#[test]
fn live_call_with_a_summary_shows_history_and_timeline() {
    let mut app = app_with_live_calls(12, false);
    let id = app.session.store.id_of(LIVE_GOOD).expect("the live call");
    let record = app.session.store.by_id(id).expect("the live call");
    assert_eq!(record.stage_label(), "partial");
    let lines =
        callwatch::tui::call_text::lines(record, &callwatch::tui::theme::Theme::new(false), false);
    let outcome = lines
        .iter()
        .position(|l| l.to_string() == "Outcome")
        .expect("an outcome section");
    app.overlay = Some(Overlay::CallDetails {
        id,
        scroll: u16::try_from(outcome).expect("small"),
    });
    app.prepare_frame();
    let screen = text(&app, 120, 40);
    assert!(
        screen.contains("History (in arrival order)") && screen.contains("Timeline ("),
        "{screen}"
    );
    insta::assert_snapshot!("live_call_details_history_timeline_120x40_plain", screen);
}

#[test]
fn live_quality_sorts_worst_first_and_escapes_sdk_messages() {
    let mut app = app_with_live_calls(12, false);
    while app.sort.0 != SortColumn::Quality {
        key(&mut app, KeyCode::Char('s'));
    }
    assert_eq!(app.sort, (SortColumn::Quality, true));
    let order: Vec<&str> = app
        .rows
        .iter()
        .take(3)
        .filter_map(|&id| app.session.store.by_id(id))
        .map(|r| r.call_sid())
        .collect();
    // Both poor (a MOS of 3.2; jitter 72 ms without a MOS), then the good one; calls without
    // figures last.
    assert!(
        order[..2].contains(&LIVE_FAILING) && order[..2].contains(&LIVE_JITTERY),
        "{order:?}"
    );
    assert_eq!(order[2], LIVE_GOOD, "worst first");
    let screen = text(&app, 120, 40);
    assert!(screen.contains("QUALITY↓"), "{screen}");
    assert!(screen.contains("sort quality ↓"), "{screen}");

    let id = app.session.store.id_of(LIVE_FAILING).expect("call");
    app.overlay = Some(Overlay::CallDetails { id, scroll: 0 });
    app.prepare_frame();
    let record = app.session.store.by_id(id).expect("call");
    let lines =
        callwatch::tui::call_text::lines(record, &callwatch::tui::theme::Theme::new(false), false);
    let details: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert!(details.contains("31005 Connection error"), "{details}");
    assert!(
        details.contains("53405 Media connection failed: ICE \\x1b[31mfailed"),
        "the SDK's message, escaped: {details}"
    );
    assert!(!details.contains('\x1b'), "{details}");
}

/// The calls table at the three sizes people use, in normal and in wide mode: columns as wide
/// as their values on screen, the selected call's values whole on the line under the table.
#[test]
fn calls_columns_follow_their_values_at_every_size() {
    for wide in [false, true] {
        let mut app = app_with_calls(30, false);
        if wide {
            key(&mut app, KeyCode::Char('w'));
            assert!(app.wide);
        }
        let name = if wide { "calls_wide" } else { "calls_columns" };
        for (w, h) in [(80, 24), (120, 40), (200, 50)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&app, w, h));
        }
    }
}

/// Wide mode at 120 columns shows the demo's carrier names and the Q.850 and SIP meanings of
/// every call on screen whole.
#[test]
fn wide_mode_shows_carriers_and_causes_whole_at_120_columns() {
    let mut app = app_with_calls(30, false);
    let screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    let body = ui::areas(screen, &app).body;
    // Not whole in normal mode: that is what wide mode is for.
    let normal = text(&app, 120, 40);
    key(&mut app, KeyCode::Char('w'));
    let screen_text = text(&app, 120, 40);
    assert_ne!(normal, screen_text);
    let placed: Vec<_> = ui::calls_table::layout(&app, body)
        .iter()
        .map(|p| p.column)
        .collect();
    use ui::calls_table::Column;
    for c in [Column::FromCarrier, Column::Q850, Column::Sip] {
        assert!(
            placed.contains(&c),
            "{c:?} on screen in wide mode: {placed:?}"
        );
    }
    let rows = ui::calls_table::rows_on_screen(body);
    let mut checked = 0;
    for &id in app.rows.iter().take(rows) {
        let r = app.session.store.by_id(id).expect("a live call");
        let sid = ui::calls_table::short_sid(r.call_sid());
        let line = screen_text
            .lines()
            .find(|l| l.contains(&sid) && !l.contains(" · "))
            .unwrap_or_else(|| panic!("row of {sid} on screen"));
        let p = &r.summary.properties;
        for whole in [
            r.summary.from.carrier.to_string(),
            callwatch::twilio::codes::q850_label(p.q850_cause),
            callwatch::twilio::codes::sip_label(p.last_sip_response_num),
        ] {
            assert!(line.contains(&whole), "{whole:?} whole in {line:?}");
            checked += usize::from(whole.chars().count() > 12);
        }
    }
    // Long values were among them (what a fixed width cut before).
    assert!(checked > 10, "{checked}");
    assert!(!screen_text.contains("Wirele…") && !screen_text.contains("clea…"));
}

/// The column picker: open, hide a column, move another, close; the table follows, and the
/// choice is saved in the config file as `columns`, other lines kept.
#[test]
fn column_picker_chooses_orders_and_saves_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "# mine\nport = 9000\n").expect("config");
    let mut app = app_with_calls(30, false);
    app.config_path = Some(path.clone());
    key(&mut app, KeyCode::Char('c'));
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("column_picker_{w}x{h}"), text(&app, w, h));
    }
    use ui::calls_table::Column;
    // STARTED is first: hide it, then move CALL SID (now under the cursor's next line) up.
    key(&mut app, KeyCode::Char(' '));
    assert!(!app.columns.contains(&Column::Started));
    // The order was by STARTED: it goes to the next column shown, whose title shows it.
    assert_eq!(app.sort, (SortColumn::State, true));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('K'));
    assert_eq!(app.columns[0], Column::Sid);
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let saved = std::fs::read_to_string(&path).expect("saved config");
    assert!(saved.starts_with("# mine\nport = 9000\n"), "{saved}");
    let expected = callwatch::tui::columns::columns_text(&app.columns);
    assert!(
        saved.contains(&format!("columns = \"{expected}\"")),
        "{saved}"
    );
    assert!(expected.starts_with("sid,"), "{expected}");
    assert!(!text(&app, 120, 40).contains("STARTED"));
    // The saved file reads back, and sets the same columns.
    let entries = callwatch::config::file::parse("config.toml", &saved).expect("valid config");
    let value = &entries
        .iter()
        .find(|e| e.key.name == "columns")
        .expect("key")
        .value;
    assert_eq!(
        callwatch::tui::columns::parse_columns(value).expect("columns"),
        app.columns
    );
    // Esc also closes; unchanged columns are not written again.
    std::fs::remove_file(&path).expect("remove");
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert!(!path.exists());
}

/// `s` cycles only through the sorts whose column is on screen, and the sorted column's
/// title carries the arrow every time.
#[test]
fn sort_cycles_only_through_columns_on_screen_at_80_columns() {
    let mut app = app_with_calls(30, false);
    let screen = ratatui::layout::Rect::new(0, 0, 80, 24);
    let body = ui::areas(screen, &app).body;
    // As the run loop does after each frame.
    let drawn = |app: &mut App| app.placed_columns = ui::calls_table::layout(app, body);
    drawn(&mut app);
    let sortable: std::collections::BTreeSet<String> = app
        .placed_columns
        .iter()
        .filter_map(|p| ui::calls_table::sort_for_column(p.column))
        .map(|s| format!("{s:?}"))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..12 {
        key(&mut app, KeyCode::Char('s'));
        drawn(&mut app);
        let on_screen: Vec<_> = app.placed_columns.iter().map(|p| p.column).collect();
        let column = ui::calls_table::sorted_column(app.sort.0);
        assert!(on_screen.contains(&column), "{column:?} in {on_screen:?}");
        let title_line = text(&app, 80, 24)
            .lines()
            .find(|l| l.contains("CALL SID"))
            .expect("title row")
            .to_owned();
        assert!(
            title_line.contains(&format!("{}↓", column.title())),
            "{title_line}"
        );
        seen.insert(format!("{:?}", app.sort.0));
    }
    // Every sortable column on screen came round, and nothing else.
    assert_eq!(seen, sortable);
    assert!(
        seen.len() >= 3 && seen.len() < SortColumn::CYCLE.len(),
        "{seen:?}"
    );
}

/// The default order is the calls' start, newest first: the later summaries of calls already
/// on screen do not move their rows, and a frozen table stays in that order.
#[test]
fn a_later_summary_does_not_move_its_row() {
    // Every third call is still missing its last summary.
    let mut app = app_with_calls(30, false);
    let before = app.rows.clone();
    let starts: Vec<i64> = before
        .iter()
        .map(|&id| app.session.store.by_id(id).expect("call").started_ns())
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] >= w[1]),
        "newest start first"
    );
    let late = deliveries_all_events(30);
    assert_eq!(late.len(), 10);
    for d in late {
        app.on_delivery(d);
    }
    app.prepare_frame();
    assert_eq!(app.rows, before, "no row moved");
    // The update order would have moved them.
    app.sort = (SortColumn::Updated, true);
    app.recompute_rows();
    assert_ne!(app.rows, before);
}
