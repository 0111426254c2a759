//! One frame of the TUI with 100,000 calls, into ratatui's `TestBackend` at 200×60: bringing
//! the rows up to date (`App::prepare_frame` after the store changed: filter and sort) and
//! drawing them (`ui::draw`), measured apart, for the default sort (newest update first) and
//! for a sort by another column under a filter. docs/architecture.md's budget: under 4 ms a frame.
//!
//! `cargo bench --bench frame`. Under `cargo test --benches` each runs once on a small store.

#[path = "support/calls.rs"]
mod calls;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use callwatch::calls::filter::Filter;
use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::app::{App, SortColumn};
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;

/// An app holding `n` calls, fed delivery by delivery as the TUI is; every tenth call has
/// only its first summary.
fn app_with_calls(n: usize) -> App {
    let header = HeaderInfo {
        listen_addr: "127.0.0.1:8080".into(),
        public_url: "https://abc123.ngrok.app/events".into(),
        url_source: "--public-url".into(),
        color: true,
        reject_status: 403,
        ..HeaderInfo::default()
    };
    let mut app = App::new(Arc::new(ListenerStats::default()), header);
    let mut deliveries = calls::Deliveries::new(7, 1_800_000_000);
    let mut seq = 0;
    for i in 0..n {
        let call = deliveries.next_call();
        let take = if i % 10 == 0 { 1 } else { call.len() };
        for body in &call[..take] {
            seq += 1;
            let events = parse_delivery(body).expect("generated deliveries parse");
            let mut d = Delivery::accepted(seq, calls::received_at(i), events);
            d.body_len = body.len();
            app.on_delivery(d);
        }
    }
    app.on_tick(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + 2 * n as u64));
    app
}

/// (name, sort, filter)
const CASES: &[(&str, (SortColumn, bool), Option<&str>)] = &[
    ("default_sort", (SortColumn::Updated, true), None),
    (
        "sort_from_carrier_filtered",
        (SortColumn::FromCarrier, true),
        Some("state=completed or carrier~voda"),
    ),
    (
        "sort_duration_filtered",
        (SortColumn::Duration, true),
        Some("!hangup=callee"),
    ),
];

fn frame_100k(c: &mut Criterion) {
    let n = calls::calls_in_store();
    let mut app = app_with_calls(n);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
    app.page_rows = ui::table_rows(ratatui::layout::Rect::new(0, 0, 200, 60), &app);
    let mut group = c.benchmark_group("frame_100k_calls_200x60");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(4));
    for &(name, sort, filter) in CASES {
        app.sort = sort;
        let filter = filter.map(|f| Filter::parse(f).expect("bench filter parses"));
        app.set_filter(filter.clone());
        app.prepare_frame();
        println!(
            "{name}: {} of {} calls in the table",
            app.rows.len(),
            app.session.store.len()
        );
        // What a frame costs when the store changed since the last one: the rows are
        // filtered and sorted again (the app does so at most twice a second past 20,000 calls).
        group.bench_function(format!("{name}/prepare_frame"), |b| {
            b.iter(|| {
                app.set_filter(filter.clone());
                app.prepare_frame();
            })
        });
        group.bench_function(format!("{name}/draw"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| ui::draw(f, &app))
                    .map(|_| ())
                    .expect("draw")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, frame_100k);
criterion_main!(benches);
