//! Re-filtering the call store with the filter language: 100,000 realistic calls from the demo
//! generator, parsed and merged as the listener would, filtered by typical expressions.
//! docs/architecture.md's budget is under 30 ms for 100,000 calls on the 2-core development
//! machine. Under `cargo test --benches` each expression runs once on 1,000 calls.
//!
//! Besides criterion's estimates, the fastest of 20 interleaved rounds is printed for each
//! expression: other builds share the 2 cores, and the minimum is what the filter costs
//! when it has a core to itself.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

use callwatch::calls::filter::Filter;

#[path = "support/calls.rs"]
mod calls;

/// Expressions people type: one field, two fields with a number, a bare word, a longer one,
/// and the live fields (on these summary-only calls: what they cost a call without live state).
const EXPRESSIONS: &[(&str, &str)] = &[
    ("state", "state=fail"),
    ("carrier_and_q850", "carrier~voda and q850>30"),
    ("bare_word", "busy"),
    (
        "complex",
        "(state=fail or state=busy or hangup=callee) !carrier~\"t-mobile\" (pdd>3s or tag~jitter)",
    ),
    (
        "live_fields",
        "live or mos<3.5 or jitter>30ms or loss>1% or rtt>400ms or warning or error",
    ),
];

fn filter_100k(c: &mut Criterion) {
    let n = calls::calls_in_store();
    let store = calls::store(n);
    assert_eq!(store.len(), n);
    let filters: Vec<(&str, Filter)> = EXPRESSIONS
        .iter()
        .map(|&(name, text)| match Filter::parse(text) {
            Ok(filter) => (name, filter),
            Err(e) => panic!("{text}: {e}"),
        })
        .collect();
    let mut fastest = vec![Duration::MAX; filters.len()];
    for _ in 0..20 {
        for ((_, filter), best) in filters.iter().zip(&mut fastest) {
            let start = Instant::now();
            black_box(store.iter().filter(|r| filter.matches(r)).count());
            *best = (*best).min(start.elapsed());
        }
    }
    for ((name, _), best) in filters.iter().zip(&fastest) {
        println!("{name}: fastest of 20 rounds over {n} calls: {best:.2?}");
    }
    let mut group = c.benchmark_group("filter_100k_calls");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));
    for &(name, text) in EXPRESSIONS {
        let filter = match Filter::parse(text) {
            Ok(filter) => filter,
            Err(e) => panic!("{text}: {e}"),
        };
        let matched = store.iter().filter(|r| filter.matches(r)).count();
        println!("{name}: `{text}` matches {matched} of {n} calls");
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
