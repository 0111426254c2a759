//! One frame of the TUI with 100,000 calls, into ratatui's `TestBackend` at 200×60, for the
//! default sort (newest start first), the update order, and for a sort by another column
//! under a filter:
//!
//! - `frame_one_call`: what the budget is about (docs/architecture.md: under 4 ms a frame):
//!   one delivery updates one call among the 100,000, then the rows are brought up to date
//!   (`App::prepare_frame`) and the screen drawn (`ui::draw`);
//! - `prepare_one_call`: the same without the drawing;
//! - `prepare_all`: every row filtered and sorted again, as after a new filter or sort (the
//!   filter is set again before each `prepare_frame`);
//! - `draw`: drawing alone, the rows unchanged.
//!
//! `cargo bench --bench frame`. Under `cargo test --benches` each runs once on a small store.

#[path = "support/calls.rs"]
mod calls;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use callwatch::calls::filter::Filter;
use callwatch::ingest::{Delivery, ListenerStats};
use callwatch::tui::app::{App, SortColumn};
use callwatch::tui::{HeaderInfo, ui};
use callwatch::twilio::cloudevent::parse_delivery;

/// An app holding `n` calls, fed delivery by delivery as the TUI is; every tenth call has
/// only its first summary. Returned with the last delivery of every seventh call, to update
/// calls one at a time.
fn app_with_calls(n: usize) -> (App, Vec<Delivery>) {
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
    let mut again = Vec::new();
    let mut seq = 0;
    for i in 0..n {
        let call = deliveries.next_call();
        let take = if i % 10 == 0 { 1 } else { call.len() };
        for (j, body) in call[..take].iter().enumerate() {
            seq += 1;
            let events = parse_delivery(body).expect("generated deliveries parse");
            let mut d = Delivery::accepted(seq, calls::received_at(i), events);
            d.body_len = body.len();
            if i % 7 == 0 && j + 1 == take {
                again.push(d.clone());
            }
            app.on_delivery(d);
        }
    }
    app.on_tick(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + 2 * n as u64));
    (app, again)
}

/// (name, sort, filter)
const CASES: &[(&str, (SortColumn, bool), Option<&str>)] = &[
    ("default_sort", (SortColumn::Started, true), None),
    // The default before issue 16: the store's own order, no sort needed.
    ("sort_updated", (SortColumn::Updated, true), None),
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
    let (mut app, again) = app_with_calls(n);
    // A call's last summary delivered again: equal to the call's, it replaces it as the later
    // arrival, so the call changes (it becomes the newest update, its history grows) while
    // what the filters match and the sorts order by stays as it was, and the figures of one
    // run compare with those of another.
    let mut next = again.iter().cycle();
    let mut seq = app.session.deliveries.back().map_or(0, |d| d.seq);
    let mut one_delivery = move || {
        seq += 1;
        let mut d = next.next().expect("deliveries to repeat").clone();
        d.seq = seq;
        d
    };
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
        // A frame after one call changed: the delivery is made outside the timing, applied
        // to the store, the rows brought up to date and the screen drawn inside it.
        group.bench_function(format!("{name}/frame_one_call"), |b| {
            b.iter_batched(
                &mut one_delivery,
                |d| {
                    app.on_delivery(d);
                    app.prepare_frame();
                    terminal
                        .draw(|f| ui::draw(f, &app))
                        .map(|_| ())
                        .expect("draw")
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function(format!("{name}/prepare_one_call"), |b| {
            b.iter_batched(
                &mut one_delivery,
                |d| {
                    app.on_delivery(d);
                    app.prepare_frame();
                },
                BatchSize::SmallInput,
            )
        });
        // Every row filtered and sorted again, as after a new filter or sort.
        group.bench_function(format!("{name}/prepare_all"), |b| {
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
