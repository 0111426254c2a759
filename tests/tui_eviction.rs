//! The limits in the TUI: with `--max-calls` the header counts the evicted calls and the views
//! never hold on to an evicted call (the selection follows the first row again, its details
//! close); connections closed over `--max-connections` are counted in the header too.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::app::{App, Overlay};
use callwatch::tui::keys::Action;
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A delivery of one `complete` summary for call `n` (a finished call).
fn finished_call(n: u64) -> Delivery {
    let data = serde_json::json!({
        "call_sid": format!("CA{n:032x}"),
        "call_state": "completed",
        "processing_version": 1,
        "duration": n,
    });
    let body = serde_json::json!([{
        "specversion": "1.0",
        "type": "com.twilio.voice.insights.call-summary.complete",
        "source": "/v1/Voice/Summary",
        "id": format!("EZ{n:032x}"),
        "time": "2027-01-15T08:00:00Z",
        "data": data.to_string(),
    }]);
    let events = parse_delivery(body.to_string().as_bytes()).expect("a delivery");
    Delivery::accepted(
        n,
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + n),
        events,
    )
}

fn screen(app: &mut App) -> String {
    app.prepare_frame();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn the_header_counts_evicted_calls_and_views_let_go_of_them() {
    let mut app = App::new(Arc::new(ListenerStats::default()), HeaderInfo::default());
    app.session.store.set_max_calls(Some(3));
    for n in 1..=3 {
        app.on_delivery(finished_call(n));
    }
    assert!(!screen(&mut app).contains("evicted"), "nothing evicted yet");

    // Open the oldest call (the last row, newest first), then let newer calls push it out.
    app.update(Action::Last);
    let oldest = app.selected.expect("a selected call");
    app.update(Action::Open);
    assert_eq!(
        app.overlay,
        Some(Overlay::CallDetails {
            id: oldest,
            scroll: 0
        })
    );
    app.on_delivery(finished_call(4));

    assert!(
        app.session.store.by_id(oldest).is_none(),
        "the oldest finished call went"
    );
    assert_eq!(
        app.selected, None,
        "the selection follows the first row again"
    );
    assert_eq!(app.overlay, None, "its details closed");
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("evicted"))
    );
    let text = screen(&mut app);
    assert!(text.contains("calls 3 (1 evicted)"), "{text}");
    assert_eq!(app.rows.len(), 3);
    assert!(
        app.rows
            .iter()
            .all(|&id| app.session.store.by_id(id).is_some())
    );

    for n in 5..=9 {
        app.on_delivery(finished_call(n));
    }
    assert!(screen(&mut app).contains("calls 3 (6 evicted)"));
}

#[test]
fn the_header_counts_connections_closed_over_the_cap() {
    let stats = Arc::new(ListenerStats::default());
    let mut app = App::new(Arc::clone(&stats), HeaderInfo::default());
    assert!(!screen(&mut app).contains("connections closed"));
    stats
        .connections_refused
        .store(3, std::sync::atomic::Ordering::Relaxed);
    let text = screen(&mut app);
    assert!(
        text.contains("⚠ connections closed ×3 (over --max-connections)"),
        "{text}"
    );
}
