//! Whole screens of the TUI, drawn into ratatui's `TestBackend` and pinned with insta, at the
//! sizes people use (80×24 and 120×40), from the demo generator's calls with a fixed seed and
//! fixed clocks.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::app::App;
use callwatch::tui::keys::Action;
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 2027-01-15T08:00:00Z: a fixed "now" for every screen.
const NOW_S: u64 = 1_800_000_000;

fn app_with_calls(calls: usize, color: bool) -> App {
    let stats = Arc::new(ListenerStats::default());
    let header = HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        mode_note: None,
        color,
    };
    let mut app = App::new(Arc::clone(&stats), header);
    let mut generator = CallGenerator::new(7);
    let start = time::OffsetDateTime::from_unix_timestamp(NOW_S as i64 - 600).expect("time");
    let mut seq = 0;
    for i in 0..calls {
        let call = generator.next_call(None, start + Duration::from_secs(i as u64 * 7));
        // Deliver all but the last event of every third call, so the table mixes stages.
        let take = if i % 3 == 0 { call.events.len() - 1 } else { call.events.len() };
        for ev in &call.events[..take] {
            seq += 1;
            let events = parse_delivery(&delivery_body(std::slice::from_ref(&ev.event))).expect("parse");
            let at = UNIX_EPOCH + Duration::from_secs(NOW_S - 600 + i as u64 * 7) + ev.offset;
            app.on_delivery(Delivery::accepted(seq, at, events));
        }
    }
    stats.accepted.store(seq, Ordering::Relaxed);
    stats.rejected.store(2, Ordering::Relaxed);
    stats.last_delivery_ms.store((NOW_S - 3) * 1000, Ordering::Relaxed);
    app.on_tick(UNIX_EPOCH + Duration::from_secs(NOW_S));
    app
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    format!("{:?}", terminal.backend())
}

#[test]
fn calls_table_80x24() {
    let app = app_with_calls(30, false);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn calls_table_120x40() {
    let app = app_with_calls(30, false);
    insta::assert_snapshot!(render(&app, 120, 40));
}

#[test]
fn calls_table_120x40_colour() {
    let app = app_with_calls(12, true);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|f| ui::draw(f, &app)).expect("draw");
    // The backend's Debug output lists styles per cell run after the text.
    insta::assert_snapshot!(format!("{:?}", terminal.backend()));
}

#[test]
fn empty_table_says_what_it_waits_for() {
    let app = app_with_calls(0, false);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Waiting for the first delivery"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn selection_moves_and_pages() {
    let mut app = app_with_calls(30, false);
    let _ = render(&app, 120, 40); // sets nothing: page size comes from the run loop
    app.page_rows = 10;
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(app.selected_index(), 2);
    app.update(Action::PageDown);
    assert_eq!(app.selected_index(), 12);
    app.update(Action::Last);
    assert_eq!(app.selected_index(), 29);
    app.update(Action::Up);
    assert_eq!(app.selected_index(), 28);
    app.update(Action::First);
    assert_eq!(app.selected, None);
    assert_eq!(app.selected_index(), 0);
    app.update(Action::Quit);
    assert!(app.should_quit);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn too_small_terminal_gets_a_message() {
    let app = app_with_calls(3, false);
    let screen = render(&app, 40, 10);
    assert!(screen.contains("Terminal too small"), "{screen}");
}

#[test]
fn header_counts_states() {
    let app = app_with_calls(30, false);
    let total: usize = app.session.store.count_by_state().values().sum();
    assert_eq!(total, 30);
    let _ = SystemTime::now();
}
