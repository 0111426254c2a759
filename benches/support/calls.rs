//! Realistic calls for the benchmarks: the demo generator's calls, delivered one event per
//! delivery and parsed as the listener would, so that stores, filters and frames are measured
//! on the data callwatch really holds. Included by each bench with `#[path]`.

#![allow(dead_code, reason = "each bench uses a part")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use callwatch::calls::store::CallStore;
use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::cloudevent::{DeliveredEvent, SummaryEvent, parse_delivery};

/// Calls in a full store, as in the budgets of docs/architecture.md; a thousand when the bench
/// binary runs as a test (`cargo test --benches`, no `--bench` flag), so that the smoke run stays
/// quick.
pub fn calls_in_store() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    }
}

/// The generator's calls, from seed `seed`, one every 2 s of simulated time from `start_s`
/// (Unix seconds), as the delivery bodies Twilio would POST (one event each, in order).
pub struct Deliveries {
    generator: CallGenerator,
    start: time::OffsetDateTime,
    calls: usize,
    pending: std::collections::VecDeque<Vec<u8>>,
}

impl Deliveries {
    /// Calls from `seed`, starting at `start_s`.
    pub fn new(seed: u64, start_s: i64) -> Self {
        Self {
            generator: CallGenerator::new(seed),
            start: time::OffsetDateTime::from_unix_timestamp(start_s).expect("start time"),
            calls: 0,
            pending: Default::default(),
        }
    }

    /// The next call's deliveries, partial(s) first, complete last.
    pub fn next_call(&mut self) -> Vec<Vec<u8>> {
        let at = self.start + time::Duration::seconds(2 * self.calls as i64);
        self.calls += 1;
        let call = self.generator.next_call(None, at);
        call.events
            .iter()
            .map(|e| delivery_body(std::slice::from_ref(&e.event)))
            .collect()
    }
}

impl Iterator for Deliveries {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            let call = self.next_call();
            self.pending.extend(call);
        }
        self.pending.pop_front()
    }
}

/// The call-summary events of one delivery body.
pub fn summaries(body: &[u8]) -> Vec<SummaryEvent> {
    match parse_delivery(body) {
        Ok(events) => events
            .into_iter()
            .filter_map(|e| match e {
                DeliveredEvent::CallSummary(s) => Some(s),
                _ => None,
            })
            .collect(),
        Err(e) => panic!("a generated delivery does not parse: {e}"),
    }
}

/// When call number `i` was received (a fixed clock, so that runs compare).
pub fn received_at(i: usize) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + 2 * i as u64)
}

/// A store of `n` calls from seed 7: every tenth call has only its first (partial) summary,
/// the others all of theirs, so that every processing stage is present.
pub fn store(n: usize) -> CallStore {
    let mut deliveries = Deliveries::new(7, 1_800_000_000);
    let mut store = CallStore::new();
    for i in 0..n {
        let call = deliveries.next_call();
        let take = if i % 10 == 0 { 1 } else { call.len() };
        for body in &call[..take] {
            for event in summaries(body) {
                store.apply(&event, received_at(i));
            }
        }
    }
    store
}
