//! Properties of the call store: whatever the arrival order and duplication of a call's
//! events, its final state is the one of its best event, and no apply ever makes a call look
//! less finished than it was. With `--max-calls`, the counts stay consistent under eviction.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use callwatch::calls::store::{CallStore, Rank};
use callwatch::twilio::cloudevent::{DeliveredEvent, SummaryEvent, SummaryKind, parse_delivery};
use proptest::prelude::*;

/// What one generated event is: which stage, which processing version, when.
#[derive(Debug, Clone)]
struct Spec {
    kind: SummaryKind,
    version: i64,
    /// Seconds after the call's start; `None` sends the event without a `time`.
    time: Option<u32>,
}

/// One call-summary event for `call`, parsed from a CloudEvents body as it arrives. `n` makes
/// its content unique (the duration), so that a wrong winner shows.
fn event(call: usize, n: usize, spec: &Spec) -> SummaryEvent {
    let kind = match spec.kind {
        SummaryKind::Partial => "partial",
        SummaryKind::PredictedComplete => "predicted-complete",
        SummaryKind::Complete => "complete",
    };
    let state = match (spec.kind, n % 3) {
        (SummaryKind::Partial, 0) => "ringing",
        (SummaryKind::Partial, _) => "answered",
        (_, 0) => "completed",
        (_, 1) => "busy",
        _ => "noanswer",
    };
    let sid = format!("CA{call:032x}");
    let data = serde_json::json!({
        "call_sid": sid,
        "call_state": state,
        "processing_version": spec.version,
        "duration": n,
        "tags": [format!("event-{n}")],
    });
    let mut envelope = serde_json::json!({
        "specversion": "1.0",
        "type": format!("com.twilio.voice.insights.call-summary.{kind}"),
        "source": format!("/v1/Voice/{sid}/Summary"),
        "id": format!("EZ{call:016x}{n:016x}"),
        "datacontenttype": "application/json",
        "data": data.to_string(),
    });
    if let Some(secs) = spec.time {
        let t =
            time::OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + u64::from(secs));
        let text = t
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a time in range formats");
        envelope["time"] = text.into();
    }
    let body = serde_json::to_vec(&serde_json::json!([envelope])).expect("json");
    match parse_delivery(&body).expect("a well-formed delivery").pop() {
        Some(DeliveredEvent::CallSummary(e)) => e,
        other => panic!("not a call summary: {other:?}"),
    }
}

/// 1–4 partials with versions, maybe a predicted-complete, maybe a complete; every event at a
/// distinct time (or, for at most one, no time at all), so that no two distinct events tie.
fn call_specs() -> impl Strategy<Value = Vec<Spec>> {
    (
        prop::collection::vec(1i64..=4, 1..=4),
        any::<bool>(),
        any::<bool>(),
        prop::collection::btree_set(0u32..100_000, 6),
        any::<bool>(),
    )
        .prop_map(|(versions, predicted, complete, times, one_untimed)| {
            let mut kinds: Vec<(SummaryKind, i64)> = versions
                .into_iter()
                .map(|v| (SummaryKind::Partial, v))
                .collect();
            if predicted {
                kinds.push((SummaryKind::PredictedComplete, 1));
            }
            if complete {
                kinds.push((SummaryKind::Complete, 1));
            }
            let times: Vec<u32> = times.into_iter().collect();
            kinds
                .into_iter()
                .enumerate()
                .map(|(i, (kind, version))| Spec {
                    kind,
                    version,
                    time: if one_untimed && i == 0 {
                        None
                    } else {
                        Some(times[i])
                    },
                })
                .collect()
        })
}

/// A call's events, then an arrival order: a shuffle with some events delivered again.
fn arrivals() -> impl Strategy<Value = (Vec<Spec>, Vec<usize>)> {
    call_specs().prop_flat_map(|specs| {
        let n = specs.len();
        let duplicates = prop::collection::vec(0..n, 0..=n);
        (Just(specs), duplicates).prop_flat_map(move |(specs, duplicates)| {
            let order: Vec<usize> = (0..n).chain(duplicates).collect();
            (Just(specs), Just(order).prop_shuffle())
        })
    })
}

/// The index of the event that must win: the highest rank.
fn best(events: &[SummaryEvent]) -> usize {
    (0..events.len())
        .max_by_key(|&i| Rank::of(&events[i]))
        .expect("at least one event")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_order_and_duplication_ends_in_the_best_event_and_never_regresses(
        (specs, order) in arrivals()
    ) {
        let events: Vec<SummaryEvent> = specs.iter().enumerate().map(|(n, s)| event(7, n, s)).collect();
        let winner = &events[best(&events)];
        let mut store = CallStore::new();
        let mut previous: Option<Rank> = None;
        for (k, &i) in order.iter().enumerate() {
            store.apply(&events[i], SystemTime::UNIX_EPOCH + Duration::from_secs(k as u64));
            let record = store.get(&winner.summary.call_sid).expect("the call is in the store");
            if let Some(previous) = previous {
                prop_assert!(record.rank >= previous, "rank fell from {previous:?} to {:?}", record.rank);
            }
            previous = Some(record.rank);
        }
        let record = store.get(&winner.summary.call_sid).expect("the call is in the store");
        prop_assert_eq!(&record.summary, &winner.summary);
        prop_assert_eq!(record.full_summary(), winner.full_summary());
        prop_assert_eq!(record.rank, Rank::of(winner));
        prop_assert_eq!(record.event_id(), winner.id.as_str());
        prop_assert_eq!(record.history.len(), order.len());
        prop_assert_eq!(store.len(), 1);
        prop_assert_eq!(store.count_by_kind(winner.kind), 1);
        let state = winner.summary.call_state.as_str().to_owned();
        prop_assert_eq!(store.count_by_state().get(&state), Some(&1));
        prop_assert_eq!(store.count_by_state().len(), 1);
    }

    #[test]
    fn interleaved_calls_under_a_cap_keep_consistent_counts(
        calls in prop::collection::vec(arrivals(), 1..6),
        interleave in prop::collection::vec(any::<prop::sample::Index>(), 0..64),
        max_calls in 1usize..4,
    ) {
        // Every call's events, each call in its own arrival order, interleaved at random.
        let events: Vec<Vec<SummaryEvent>> = calls
            .iter()
            .enumerate()
            .map(|(c, (specs, _))| specs.iter().enumerate().map(|(n, s)| event(c, n, s)).collect())
            .collect();
        let mut queues: Vec<std::collections::VecDeque<usize>> =
            calls.iter().map(|(_, order)| order.iter().copied().collect()).collect();
        let mut picks = interleave.into_iter();
        let mut store = CallStore::with_max_calls(Some(max_calls));
        let mut applied = 0u64;
        loop {
            let open: Vec<usize> = (0..queues.len()).filter(|&c| !queues[c].is_empty()).collect();
            if open.is_empty() {
                break;
            }
            let c = match picks.next() {
                Some(pick) => open[pick.index(open.len())],
                None => open[0],
            };
            let Some(i) = queues[c].pop_front() else { break };
            store.apply(&events[c][i], SystemTime::UNIX_EPOCH);
            applied += 1;

            prop_assert!(store.len() <= max_calls);
            prop_assert_eq!(store.events_seen(), applied);
            let ids: Vec<_> = store.ids_newest_first().collect();
            prop_assert_eq!(ids.len(), store.len());
            prop_assert!(ids.iter().all(|&id| store.by_id(id).is_some()));
            prop_assert_eq!(store.iter_with_ids().count(), store.len());
            let mut states: BTreeMap<String, usize> = BTreeMap::new();
            for r in store.iter() {
                *states.entry(r.summary.call_state.as_str().to_owned()).or_default() += 1;
                prop_assert_eq!(store.get(r.call_sid()).map(|g| g.update_seq), Some(r.update_seq));
            }
            prop_assert_eq!(store.count_by_state(), &states);
            let kinds: usize = [SummaryKind::Partial, SummaryKind::PredictedComplete, SummaryKind::Complete]
                .into_iter()
                .map(|k| store.count_by_kind(k))
                .sum();
            prop_assert_eq!(kinds, store.len());
        }
        // Without a cap, every call ends in its best event, however the calls interleave.
        if max_calls >= calls.len() {
            prop_assert_eq!(store.evicted(), 0);
            for call_events in &events {
                let winner = &call_events[best(call_events)];
                let record = store.get(&winner.summary.call_sid).expect("kept");
                prop_assert_eq!(&record.summary, &winner.summary);
            }
        }
    }
}
