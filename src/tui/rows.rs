//! The calls table's rows, filtered and sorted, and how they are brought up to date when a
//! few calls changed: only the calls updated since the last computation are matched against
//! the filter and placed again (by binary search), the other rows keep their places. With
//! 100,000 calls this costs a fraction of a millisecond, where filtering and sorting them all
//! costs tens of milliseconds (docs/performance.md).
//!
//! Both ways give the same rows: a call's filter result and sort key depend on its record
//! only, a record changes only when the store gives it a new `update_seq` (which also moves
//! it in [`CallStore::ids_newest_first`]), and the order is total (ties go to `update_seq`).
//!
//! The default sort, by start time, newest first, is stable: a call's start does not change
//! when a later summary of it arrives, and its ties go to the call SID, which never changes,
//! so a row keeps its place (only the update order, [`SortColumn::Updated`], moves a call to
//! the top at each update).

use std::cmp::Ordering;

use crate::calls::filter::Filter;
use crate::calls::store::{CallId, CallRecord, CallStore};
use crate::tui::columns::SortColumn;

/// Every row computed again: the calls the filter keeps, in the sort's order.
pub fn compute(
    store: &CallStore,
    filter: Option<&Filter>,
    (column, descending): (SortColumn, bool),
    rows: &mut Vec<CallId>,
) {
    // The store's order holds live calls only: without a filter, no record is read.
    let keep = |id: &CallId| match filter {
        Some(f) => store.by_id(*id).is_some_and(|r| f.matches(r)),
        None => true,
    };
    rows.clear();
    if column == SortColumn::Updated {
        // The store keeps this order already: no sort needed.
        if descending {
            rows.extend(store.ids_newest_first().filter(keep));
        } else {
            rows.extend(store.ids_newest_first().rev().filter(keep));
        }
        return;
    }
    // The sort decides the order, so the calls are read in slot order: the records lie in
    // memory about as they were made, which the processor reads ahead far better than the
    // update order's jumps (and without walking the update order's tree).
    let mut keyed: Vec<(u128, &str, u64, CallId)> = store
        .iter_with_ids()
        .filter(|(_, r)| filter.is_none_or(|f| f.matches(r)))
        .map(|(id, r)| {
            let (number, text) = column.key(r);
            (number, text, r.update_seq, id)
        })
        .collect();
    // Ties go to the update order; `update_seq` is unique, so the order is total. The texts
    // are compared only when their prefixes tie and one is longer than sixteen bytes: a
    // `memcmp` per comparison was most of the sort's time.
    keyed.sort_unstable_by(|a, b| {
        let o = compare_keys(column, (a.0, a.1, a.2), (b.0, b.1, b.2));
        if descending { o.reverse() } else { o }
    });
    rows.extend(keyed.into_iter().map(|(_, _, _, id)| id));
}

/// The order of two rows' keys (number, text, `update_seq`), ascending.
fn compare_keys(column: SortColumn, a: (u128, &str, u64), b: (u128, &str, u64)) -> Ordering {
    // The number is the text's prefix for text sorts; the start time's text is the SID.
    let prefixed = column != SortColumn::Started;
    a.0.cmp(&b.0)
        .then_with(|| {
            if prefixed && a.1.len() <= 16 && b.1.len() <= 16 {
                // Equal zero-padded prefixes of texts this short differ only in length.
                a.1.len().cmp(&b.1.len())
            } else {
                a.1.cmp(b.1)
            }
        })
        .then(a.2.cmp(&b.2))
}

/// The order of two records in the table (`Less`: `a` is shown above `b`).
fn table_order(column: SortColumn, descending: bool, a: &CallRecord, b: &CallRecord) -> Ordering {
    let (an, at) = column.key(a);
    let (bn, bt) = column.key(b);
    let o = compare_keys(column, (an, at, a.update_seq), (bn, bt, b.update_seq));
    if descending { o.reverse() } else { o }
}

/// Brings `rows`, computed by [`compute`] when the store stood at generation `since` (with
/// `evicted_since` calls evicted), up to date with the calls updated after it. Returns false,
/// leaving `rows` as they were, when more than `max_changed` calls could have changed: then
/// computing every row is cheaper.
pub fn update(
    store: &CallStore,
    filter: Option<&Filter>,
    (column, descending): (SortColumn, bool),
    rows: &mut Vec<CallId>,
    since: u64,
    evicted_since: u64,
    max_changed: usize,
) -> bool {
    // Each update and each eviction takes one number of the store's sequence, so this bounds
    // the calls that changed.
    let steps = store.generation().saturating_sub(since);
    if steps > max_changed as u64 {
        return false;
    }
    if steps == 0 {
        return true;
    }
    // The changed calls are the newest in the update order.
    let mut changed: Vec<(CallId, &CallRecord)> = Vec::new();
    for id in store.ids_newest_first() {
        match store.by_id(id) {
            Some(r) if r.update_seq > since => changed.push((id, r)),
            Some(_) => break,
            None => {}
        }
    }
    // Their old rows go, with those of evicted calls (whose ids no longer resolve).
    let mut moved = SlotSet::default();
    for (id, _) in &changed {
        moved.insert(id.slot());
    }
    if store.evicted() != evicted_since {
        rows.retain(|&id| !moved.contains(id.slot()) && store.by_id(id).is_some());
    } else if !changed.is_empty() {
        rows.retain(|&id| !moved.contains(id.slot()));
    }
    // The ones the filter keeps go back in where they now belong, in table order among
    // themselves, each after the rows that sort above it.
    let mut placed: Vec<(CallId, &CallRecord)> = changed
        .into_iter()
        .filter(|(_, r)| filter.is_none_or(|f| f.matches(r)))
        .collect();
    if placed.is_empty() {
        return true;
    }
    placed.sort_unstable_by(|a, b| table_order(column, descending, a.1, b.1));
    let at: Vec<usize> = placed
        .iter()
        .map(|(_, record)| {
            rows.partition_point(|&row| {
                store
                    .by_id(row)
                    .is_some_and(|r| table_order(column, descending, r, record) == Ordering::Less)
            })
        })
        .collect();
    let old = std::mem::take(rows);
    rows.reserve(old.len() + placed.len());
    let mut from = 0;
    for ((id, _), at) in placed.into_iter().zip(at) {
        rows.extend_from_slice(&old[from..at]);
        rows.push(id);
        from = at;
    }
    rows.extend_from_slice(&old[from..]);
    true
}

/// A set of store slots, one bit each.
#[derive(Default)]
struct SlotSet(Vec<u64>);

impl SlotSet {
    fn insert(&mut self, slot: u32) {
        let (word, bit) = (slot as usize / 64, slot % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    fn contains(&self, slot: u32) -> bool {
        self.0
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::twilio::cloudevent::{SummaryEvent, SummaryKind};
    use crate::twilio::summary::CallSummary;

    /// A complete summary of call `n`; every one wins over the call's last (equal rank, later
    /// arrival), so each apply changes the call.
    fn event(n: u64, state: &str, duration: i64, carrier: &str) -> SummaryEvent {
        let summary: CallSummary = serde_json::from_value(serde_json::json!({
            "call_sid": format!("CA{n:032x}"),
            "call_state": state,
            "processing_version": 1,
            "duration": duration,
            "from": { "caller": "+15550100", "carrier": carrier },
        }))
        .expect("test summary");
        SummaryEvent::new(
            format!("EZ{n}-{duration}-{state}"),
            SummaryKind::Complete,
            Some("2026-01-01T00:00:00.000Z".into()),
            &summary,
        )
    }

    fn apply(store: &mut CallStore, event: &SummaryEvent) {
        store.apply(event, UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    }

    fn sids(store: &CallStore, rows: &[CallId]) -> Vec<String> {
        rows.iter()
            .map(|&id| store.by_id(id).expect("a live call").call_sid()[32..].to_owned())
            .collect()
    }

    /// The rows kept up to date since `since`, checked against every row computed again.
    fn updated(
        store: &CallStore,
        filter: Option<&Filter>,
        sort: (SortColumn, bool),
        rows: &mut Vec<CallId>,
        since: u64,
        evicted_since: u64,
    ) {
        assert!(update(
            store,
            filter,
            sort,
            rows,
            since,
            evicted_since,
            usize::MAX
        ));
        let mut all = Vec::new();
        compute(store, filter, sort, &mut all);
        assert_eq!(sids(store, rows), sids(store, &all), "sort {sort:?}");
    }

    #[test]
    fn a_changed_call_moves_to_its_new_place() {
        let mut store = CallStore::new();
        for (n, duration) in [(1, 10), (2, 20), (3, 30)] {
            apply(&mut store, &event(n, "completed", duration, "Verizon"));
        }
        let sort = (SortColumn::Duration, true);
        let mut rows = Vec::new();
        compute(&store, None, sort, &mut rows);
        assert_eq!(sids(&store, &rows), ["03", "02", "01"]);
        let since = store.generation();
        apply(&mut store, &event(1, "completed", 40, "Verizon"));
        updated(&store, None, sort, &mut rows, since, 0);
        assert_eq!(sids(&store, &rows), ["01", "03", "02"]);
        // Newest first: the updated call goes on top.
        let sort = (SortColumn::Updated, true);
        compute(&store, None, sort, &mut rows);
        let since = store.generation();
        apply(&mut store, &event(2, "completed", 20, "Verizon"));
        updated(&store, None, sort, &mut rows, since, 0);
        assert_eq!(sids(&store, &rows), ["02", "01", "03"]);
    }

    /// A summary of call `n` that started `start` seconds after an epoch.
    fn started(n: u64, start: u64, state: &str) -> SummaryEvent {
        let start =
            crate::timestamp::rfc3339(UNIX_EPOCH + Duration::from_secs(1_700_000_000 + start));
        let summary: CallSummary = serde_json::from_value(serde_json::json!({
            "call_sid": format!("CA{n:032x}"),
            "call_state": state,
            "start_time": start,
        }))
        .expect("test summary");
        SummaryEvent::new(
            format!("EZ{n}-{state}"),
            SummaryKind::Complete,
            Some("2026-01-01T00:00:00.000Z".into()),
            &summary,
        )
    }

    #[test]
    fn a_later_summary_does_not_move_its_row_in_the_default_order() {
        let mut store = CallStore::new();
        // Started 30, 10, 20 s in, arriving in that order; two started at the same moment.
        for (n, start) in [(1, 30), (2, 10), (3, 20), (4, 20)] {
            apply(&mut store, &started(n, start, "ringing"));
        }
        let sort = (SortColumn::Started, true);
        let mut rows = Vec::new();
        compute(&store, None, sort, &mut rows);
        assert_eq!(sids(&store, &rows), ["01", "04", "03", "02"]);
        // Later summaries of the oldest call and of one of the two tied calls.
        let since = store.generation();
        apply(&mut store, &started(2, 10, "completed"));
        apply(&mut store, &started(3, 20, "completed"));
        updated(&store, None, sort, &mut rows, since, 0);
        assert_eq!(sids(&store, &rows), ["01", "04", "03", "02"]);
        // The update order moves them to the top, as it says.
        let mut by_update = Vec::new();
        compute(&store, None, (SortColumn::Updated, true), &mut by_update);
        assert_eq!(sids(&store, &by_update), ["03", "02", "04", "01"]);
    }

    #[test]
    fn calls_started_together_keep_their_places_whatever_their_sids() {
        let mut store = CallStore::new();
        let summary = |sid: &str, state: &str| -> SummaryEvent {
            let summary: CallSummary = serde_json::from_value(serde_json::json!({
                "call_sid": sid, "call_state": state, "start_time": "2026-01-01T00:00:00Z",
            }))
            .expect("test summary");
            SummaryEvent::new(
                format!("EZ{sid}-{state}"),
                SummaryKind::Complete,
                Some("2026-01-01T00:00:00.000Z".into()),
                &summary,
            )
        };
        // Short SIDs (no real SID is) tie on their prefixes and lengths alike.
        for sid in ["CA2", "CA1", "CA3"] {
            apply(&mut store, &summary(sid, "ringing"));
        }
        let sort = (SortColumn::Started, true);
        let mut rows = Vec::new();
        compute(&store, None, sort, &mut rows);
        let order = |store: &CallStore, rows: &[CallId]| -> Vec<String> {
            rows.iter()
                .map(|&id| store.by_id(id).expect("call").call_sid().to_owned())
                .collect()
        };
        let before = order(&store, &rows);
        assert_eq!(before, ["CA3", "CA2", "CA1"]);
        let since = store.generation();
        apply(&mut store, &summary("CA1", "completed"));
        assert!(update(&store, None, sort, &mut rows, since, 0, usize::MAX));
        assert_eq!(order(&store, &rows), before);
    }

    #[test]
    fn a_call_that_stops_matching_leaves_and_one_that_starts_joins() {
        let mut store = CallStore::new();
        apply(&mut store, &event(1, "completed", 10, "Vodafone"));
        apply(&mut store, &event(2, "busy", 20, "Verizon"));
        apply(&mut store, &event(3, "completed", 30, "Verizon"));
        let filter = Filter::parse("state=completed").expect("filter");
        let sort = (SortColumn::FromCarrier, false);
        let mut rows = Vec::new();
        compute(&store, Some(&filter), sort, &mut rows);
        assert_eq!(sids(&store, &rows), ["03", "01"]);
        let since = store.generation();
        apply(&mut store, &event(3, "fail", 30, "Verizon"));
        apply(&mut store, &event(2, "completed", 20, "AT&T"));
        updated(&store, Some(&filter), sort, &mut rows, since, 0);
        assert_eq!(sids(&store, &rows), ["02", "01"]);
    }

    #[test]
    fn too_many_changes_leave_the_rows_to_a_full_computation() {
        let mut store = CallStore::new();
        apply(&mut store, &event(1, "completed", 10, "Verizon"));
        let mut rows = Vec::new();
        let sort = (SortColumn::Duration, true);
        compute(&store, None, sort, &mut rows);
        let (since, before) = (store.generation(), rows.clone());
        for n in 2..=4 {
            apply(&mut store, &event(n, "completed", 10, "Verizon"));
        }
        assert!(!update(&store, None, sort, &mut rows, since, 0, 2));
        assert_eq!(rows, before, "untouched");
        assert!(update(&store, None, sort, &mut rows, since, 0, 3));
        assert_eq!(rows.len(), 4);
    }

    /// Random updates, new calls and evictions: after each batch, the rows kept up to date
    /// equal the rows computed again, for every sort, both directions, with and without a
    /// filter.
    #[test]
    fn updated_rows_equal_rows_computed_again() {
        let states = ["completed", "busy", "fail", "no-answer", "canceled"];
        let carriers = [
            "Verizon",
            "Vodafone",
            "AT&T Mobility",
            "T-Mobile USA, Inc.",
            "",
        ];
        let filters = [
            None,
            Some(Filter::parse("state=completed or carrier~voda").expect("filter")),
            Some(Filter::parse("!duration>50").expect("filter")),
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        for sort in SortColumn::CYCLE {
            for descending in [true, false] {
                for filter in &filters {
                    let mut store = CallStore::with_max_calls(Some(60));
                    let mut rows = Vec::new();
                    compute(&store, filter.as_ref(), (sort, descending), &mut rows);
                    for _ in 0..25 {
                        let (since, evicted) = (store.generation(), store.evicted());
                        for _ in 0..=next(12) {
                            let n = next(90);
                            let e = event(
                                n,
                                states[next(5) as usize],
                                next(100) as i64,
                                carriers[next(5) as usize],
                            );
                            apply(&mut store, &e);
                        }
                        updated(
                            &store,
                            filter.as_ref(),
                            (sort, descending),
                            &mut rows,
                            since,
                            evicted,
                        );
                    }
                    assert!(store.evicted() > 0, "evictions were exercised");
                }
            }
        }
    }

    /// The app keeps its rows up to date frame by frame: a call updated between two frames
    /// takes its new place without the filter or the sort changing.
    #[test]
    fn the_app_places_a_call_updated_between_frames() {
        use crate::ingest::{Delivery, ListenerStats};
        use crate::tui::HeaderInfo;
        use crate::tui::app::App;
        use crate::twilio::cloudevent::DeliveredEvent;
        let deliver = |app: &mut App, seq: u64, e: SummaryEvent| {
            let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000 + seq);
            app.on_delivery(Delivery::accepted(
                seq,
                at,
                vec![DeliveredEvent::CallSummary(e)],
            ));
        };
        let mut app = App::new(
            std::sync::Arc::new(ListenerStats::default()),
            HeaderInfo::default(),
        );
        for n in 1..=5 {
            deliver(&mut app, n, event(n, "completed", 10 * n as i64, "Verizon"));
        }
        app.sort = (SortColumn::Duration, true);
        app.set_filter(Some(Filter::parse("duration<45").expect("filter")));
        app.prepare_frame();
        assert_eq!(
            sids(&app.session.store, &app.rows),
            ["04", "03", "02", "01"]
        );
        deliver(&mut app, 6, event(1, "completed", 35, "Verizon"));
        deliver(&mut app, 7, event(4, "completed", 50, "Verizon"));
        deliver(&mut app, 8, event(5, "completed", 5, "Verizon"));
        app.prepare_frame();
        assert_eq!(
            sids(&app.session.store, &app.rows),
            ["01", "03", "02", "05"]
        );
    }
}
