//! Re-filtering the call store with the filter language: 100,000 realistic calls from the demo
//! generator, parsed and merged as the listener would, filtered by typical expressions.
//! design.md's budget is under 30 ms for 100,000 calls on the 2-core development machine.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};

use callwatch::calls::filter::Filter;
use callwatch::calls::store::CallStore;
use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::cloudevent::{DeliveredEvent, parse_delivery};

/// Calls in the store, as in the budget.
const CALLS: usize = 100_000;

/// Expressions people type: one field, two fields with a number, a bare word, and a longer one.
const EXPRESSIONS: &[(&str, &str)] = &[
    ("state", "state=fail"),
    ("carrier_and_q850", "carrier~voda and q850>30"),
    ("bare_word", "busy"),
    ("x_record_only", "q850=1234"),
    ("x_text_deref", "carrier~zzzz"),
    (
        "complex",
        "(state=fail or state=busy or hangup=callee) !carrier~\"t-mobile\" (pdd>3s or tag~jitter)",
    ),
];

/// A store of `CALLS` calls, one every 2 s of simulated time. Every tenth call has only its
/// first (partial) summary, the rest all of theirs, so every processing stage is present.
fn store() -> CallStore {
    let mut generator = CallGenerator::new(7);
    let mut store = CallStore::new();
    let start = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    for i in 0..CALLS {
        let call = generator.next_call(None, start + time::Duration::seconds(2 * i as i64));
        let events: Vec<_> = call.events.into_iter().map(|e| e.event).collect();
        let events = if i % 10 == 0 {
            &events[..1]
        } else {
            &events[..]
        };
        let body = delivery_body(events);
        let delivered = match parse_delivery(&body) {
            Ok(delivered) => delivered,
            Err(e) => panic!("generated delivery does not parse: {e}"),
        };
        for event in &delivered {
            if let DeliveredEvent::CallSummary(summary) = event {
                store.apply(summary, SystemTime::now());
            }
        }
    }
    store
}

fn filter_100k(c: &mut Criterion) {
    let store = store();
    assert_eq!(store.len(), CALLS);
    let mut group = c.benchmark_group("filter_100k_calls");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));
    for &(name, text) in EXPRESSIONS {
        let filter = match Filter::parse(text) {
            Ok(filter) => filter,
            Err(e) => panic!("{text}: {e}"),
        };
        let matched = store.iter().filter(|r| filter.matches(r)).count();
        println!("{name}: `{text}` matches {matched} of {CALLS} calls");
        group.bench_function(name, |b| {
            b.iter(|| {
                let f = black_box(&filter);
                store.iter().filter(|r| f.matches(r)).count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, filter_100k);
criterion_main!(benches);
