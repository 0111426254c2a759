//! Resident memory of the call store with N realistic calls (default 100,000): each call gets
//! its partial, predicted-complete and complete summaries, as in a live run.
//!
//! `cargo run --release --example store_memory -- 100000`

use std::time::{Duration, UNIX_EPOCH};

use callwatch::calls::store::CallStore;
use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::cloudevent::{DeliveredEvent, parse_delivery};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    sizes();
    let before = rss_kib();
    let mut store = CallStore::new();
    let mut generator = CallGenerator::new(1);
    let start = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    for i in 0..n {
        let call = generator.next_call(None, start + Duration::from_millis(i as u64 * 100));
        for ev in &call.events {
            let body = delivery_body(std::slice::from_ref(&ev.event));
            for e in parse_delivery(&body).expect("parse") {
                if let DeliveredEvent::CallSummary(s) = e {
                    store.apply(
                        &s,
                        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + i as u64),
                    );
                }
            }
        }
    }
    let after = rss_kib();
    let packed: usize = store.iter().map(|r| r.packed.len()).sum();
    let history: usize = store.iter().map(|r| r.history.capacity()).sum();
    eprintln!(
        "packed summaries: {:.0} bytes per call on average; history slots {:.2} per call",
        packed as f64 / n as f64,
        history as f64 / n as f64
    );
    println!(
        "{} calls, {} events: resident memory grew by {:.1} MiB ({:.0} bytes per call); total {:.1} MiB",
        store.len(),
        store.events_seen(),
        (after - before) as f64 / 1024.0,
        (after - before) as f64 * 1024.0 / n as f64,
        after as f64 / 1024.0
    );
}

#[allow(dead_code)]
fn sizes() {
    use callwatch::twilio::summary::*;
    eprintln!(
        "CallSummary {} Endpoint {} Properties {} Edge {} StreamMetrics {} MinMaxAvg {} CallRecord {}",
        size_of::<CallSummary>(),
        size_of::<Endpoint>(),
        size_of::<Properties>(),
        size_of::<Edge>(),
        size_of::<StreamMetrics>(),
        size_of::<MinMaxAvg>(),
        size_of::<callwatch::calls::store::CallRecord>()
    );
}
