//! The listener's work per delivery, step by step, on a realistic 2 KB call-summary delivery:
//! verifying its signature and body hash (`verify_json_delivery`), parsing it
//! (`parse_delivery`), judging it (both, plus the duplicate check), and, on the consumer's
//! side, merging its event into a store of 100,000 calls (`CallStore::apply`) with the parts
//! of that merge (packing the full summary, the core, the search text).
//!
//! `cargo bench --bench ingest_path`. Under `cargo test --benches` each runs once on a small
//! store.

#[path = "support/calls.rs"]
mod calls;
#[path = "../examples/support/live_events.rs"]
mod live_events;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use callwatch::calls::packed::PackedSummary;
use callwatch::calls::search::SearchText;
use callwatch::ingest::verdict::Judge;
use callwatch::twilio::cloudevent::parse_delivery;
use callwatch::twilio::signature::{Algorithm, Secrets, sign_json_delivery, verify_json_delivery};
use callwatch::twilio::summary_core::SummaryCore;

/// The public URL and token the bench listener would use.
const PUBLIC_URL: &str = "http://bench.local/events";
const TOKEN: &str = "bench-token";

/// A delivery of about 2 KB (a predicted-complete summary of an answered call), signed.
fn signed_delivery() -> (Vec<u8>, String, String) {
    let body = calls::Deliveries::new(1, 1_800_000_000)
        .find(|b| (1900..2300).contains(&b.len()))
        .expect("a delivery of about 2 KB");
    let (url, signature) =
        sign_json_delivery(TOKEN.as_bytes(), PUBLIC_URL, &body, Algorithm::HmacSha1);
    (body, url, signature)
}

fn listener_steps(c: &mut Criterion) {
    let (body, url, signature) = signed_delivery();
    let secrets = Secrets {
        auth_token: TOKEN.into(),
        shared_key_secret: None,
    };
    println!("delivery: {} bytes, signed URL {url}", body.len());
    let mut group = c.benchmark_group("delivery_2kb");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("verify_json_delivery", |b| {
        b.iter(|| {
            verify_json_delivery(
                &secrets,
                black_box(&url),
                Some(&signature),
                None,
                black_box(&body),
            )
        })
    });
    group.bench_function("parse_delivery", |b| {
        b.iter(|| parse_delivery(black_box(&body)))
    });
    // The whole judgement: verify, parse, duplicate check. The ids are forgotten again after
    // each run, so that every delivery is a first sighting, as in a live run.
    let judge = Judge::new(Some(secrets.clone()), 403);
    group.bench_function("judge", |b| {
        b.iter(|| {
            let judgement = judge.judge(&url, Some(&signature), None, black_box(&body));
            judge.forget(&judgement.fresh_events);
            judgement
        })
    });
    group.finish();

    // The same steps for a live metric sample (issue 15: no slower per request than a
    // summary).
    let sid = "CA0123456789abcdef0123456789abcdef";
    let account = "AC0123456789abcdef0123456789abcdef";
    let time = live_events::rfc3339(time::OffsetDateTime::now_utc());
    let sample = live_events::sample("EZ1", sid, account, &time, "inbound", 4);
    let metric_body = serde_json::to_vec(&[sample]).expect("json");
    let (metric_url, metric_signature) = sign_json_delivery(
        TOKEN.as_bytes(),
        PUBLIC_URL,
        &metric_body,
        Algorithm::HmacSha1,
    );
    println!("metric sample delivery: {} bytes", metric_body.len());
    let mut group = c.benchmark_group("delivery_metric_sample");
    group.throughput(Throughput::Bytes(metric_body.len() as u64));
    group.bench_function("parse_delivery", |b| {
        b.iter(|| parse_delivery(black_box(&metric_body)))
    });
    group.bench_function("judge", |b| {
        b.iter(|| {
            let judgement = judge.judge(
                &metric_url,
                Some(&metric_signature),
                None,
                black_box(&metric_body),
            );
            judge.forget(&judgement.fresh_events);
            judgement
        })
    });
    group.finish();

    let events = calls::summaries(&body);
    let event = &events[0];
    let mut group = c.benchmark_group("apply_parts");
    group.bench_function("packed_summary_pack_json", |b| {
        b.iter(|| PackedSummary::pack_json(black_box(event.data.as_bytes())))
    });
    let full = event.full_summary().expect("full summary");
    group.bench_function("summary_core_from_full", |b| {
        b.iter(|| SummaryCore::from(black_box(&full)))
    });
    group.bench_function("search_text_of", |b| {
        b.iter(|| SearchText::of(black_box(&event.summary)))
    });
    group.finish();
}

/// `CallStore::apply` into a store of 100,000 calls: the events that follow, in delivery
/// order (new calls and updates of them, as live). The store grows by what is applied
/// (well under 100,000 events over the whole run), which the printout shows.
fn apply_into_full_store(c: &mut Criterion) {
    let calls_in_store = calls::calls_in_store();
    let mut store = calls::store(calls_in_store);
    // The same seed as the store, advanced past its calls: the next calls of the same stream.
    let mut next = calls::Deliveries::new(7, 1_800_000_000);
    for _ in 0..calls_in_store {
        next.next_call();
    }
    let mut applied = 0usize;
    let mut group = c.benchmark_group("store_100k");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("call_store_apply", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                // Parsed outside the timing, a chunk at a time to bound memory.
                let n = left.min(5_000);
                let chunk: Vec<_> = next
                    .by_ref()
                    .take(n)
                    .flat_map(|b| calls::summaries(&b))
                    .collect();
                left -= n;
                let started = Instant::now();
                for event in &chunk {
                    black_box(store.apply(event, calls::received_at(calls_in_store + applied)));
                }
                total += started.elapsed();
                applied += chunk.len();
            }
            total
        })
    });
    group.finish();
    println!(
        "store_100k: {applied} events applied; the store went from {calls_in_store} to {} calls",
        store.len()
    );
}

/// `CallStore::apply_live` of metric samples into a store of 100,000 calls that each already
/// have live state: samples of calls spread over the store, as they interleave live.
fn apply_live_into_full_store(c: &mut Criterion) {
    let calls_in_store = calls::calls_in_store();
    let mut store = calls::store(calls_in_store);
    let sids: Vec<String> = store.iter().map(|r| r.call_sid().to_owned()).collect();
    let account = "AC0123456789abcdef0123456789abcdef";
    let start = time::OffsetDateTime::now_utc();
    let sample_of = |n: usize| {
        let sid = &sids[n * 7919 % sids.len()];
        let time = live_events::rfc3339(start + time::Duration::seconds(n as i64 / 100));
        let body = serde_json::to_vec(&[live_events::sample(
            &format!("EZ{n}"),
            sid,
            account,
            &time,
            if n % 2 == 0 { "inbound" } else { "outbound" },
            n as u64,
        )])
        .expect("json");
        match parse_delivery(&body).expect("parses").remove(0) {
            callwatch::twilio::cloudevent::DeliveredEvent::Live(e) => e,
            _ => unreachable!("a metric sample"),
        }
    };
    let mut applied = 0usize;
    let mut group = c.benchmark_group("store_100k");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("call_store_apply_live_sample", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                let n = left.min(5_000);
                let chunk: Vec<_> = (applied..applied + n).map(sample_of).collect();
                left -= n;
                let started = Instant::now();
                for event in &chunk {
                    black_box(
                        store.apply_live(event, calls::received_at(calls_in_store + applied)),
                    );
                }
                total += started.elapsed();
                applied += chunk.len();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    listener_steps,
    apply_into_full_store,
    apply_live_into_full_store
);
criterion_main!(benches);
