//! The call store: one [`CallRecord`] per call SID, merged from every call event that arrives
//! (summaries, and the live progress, SDK and quality events), in whatever order Twilio
//! delivers them. A call appears at its first event of any type.
//!
//! Merging never regresses: a `complete` summary beats a `predicted-complete`, which beats a
//! `partial`; among partials a higher `processing_version` wins; ties go to the later event
//! `time`. Events that lose are still kept in the call's history. The call's state moves only
//! forward ([`settle`]): ringing, answered, then a final state that nothing but a better
//! summary changes. What live events tell is in [`CallRecord::live`] ([`crate::calls::live`]).
//!
//! With a cap ([`CallStore::with_max_calls`], `--max-calls`) the store forgets calls to stay
//! under it: the least recently updated *finished* call first (its state is final, see
//! [`CallState::is_final`]), or, when none is finished, the least recently updated call.
//! A forgotten call's [`CallId`] never resolves again, even once its slot is reused.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use crate::calls::live::{LiveState, stage};
use crate::calls::packed::PackedSummary;
use crate::calls::search::SearchText;
use crate::calls::sid::CompactSid;
use crate::twilio::cloudevent::LiveEvent;
use crate::twilio::cloudevent::{SummaryEvent, SummaryKind};
use crate::twilio::live::LiveData;
use crate::twilio::summary::{CallState, CallSummary};
use crate::twilio::summary_core::SummaryCore;

/// How strongly an event's summary claims to describe the call: compared field by field, in
/// this order, so the derived `Ord` is the merge rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    /// none yet (live events only) < partial < predicted-complete < complete.
    pub kind: Option<SummaryKind>,
    /// Increments while Twilio refines a partial summary.
    pub processing_version: i64,
    /// The CloudEvent `time` in Unix nanoseconds (good until 2262); 0 when absent or unreadable.
    pub event_time_ns: i64,
}

impl Rank {
    /// The rank of one event.
    pub fn of(event: &SummaryEvent) -> Self {
        Self {
            kind: Some(event.kind),
            processing_version: event.summary.processing_version.unwrap_or(0),
            event_time_ns: event.time.as_deref().map(parse_time_ns).unwrap_or(0),
        }
    }
}

use crate::twilio::cloudevent::{RETRY_HORIZON, age_at, parse_time_ns};

/// Up to this many events, a call's history grows one slot at a time.
const SMALL_HISTORY: usize = 8;

/// One event that arrived for a call, applied or not.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Which summary event this was.
    pub kind: SummaryKind,
    /// The CloudEvent id (`EZ...`), packed: a call's history is most of its ids.
    pub event_id: CompactSid,
    /// The CloudEvent `time` in Unix nanoseconds (0 when absent or unreadable).
    pub event_time_ns: i64,
    /// When callwatch received it.
    pub received_at: SystemTime,
    /// The summary's processing_version.
    pub processing_version: Option<i32>,
    /// False when a better summary was already known (a late or out-of-order event).
    pub applied: bool,
}

impl HistoryEntry {
    /// True when the event was older than Twilio's retry horizon when it arrived
    /// ([`RETRY_HORIZON`]): a replay of a captured delivery, not a delivery or a retry.
    pub fn is_stale(&self) -> bool {
        age_at(self.event_time_ns, self.received_at).is_some_and(|age| age > RETRY_HORIZON)
    }

    /// The event time as RFC 3339 (`None` when the event carried none).
    pub fn event_time(&self) -> Option<String> {
        if self.event_time_ns == 0 {
            return None;
        }
        crate::timestamp::rfc3339_of_unix_nanos(self.event_time_ns)
    }
}

/// Everything known about one call.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// What the table, filter, stats and exports read of the best summary received so far.
    pub summary: SummaryCore,
    /// That summary in full, deflated; see [`Self::full_summary`].
    pub packed: PackedSummary,
    /// What filters read of `summary`, packed small and close at hand; rebuilt with it.
    pub search: SearchText,
    /// The rank of the event that gave `summary`.
    pub rank: Rank,
    /// When the first event for this call arrived.
    pub first_seen: SystemTime,
    /// When the last event for this call arrived (applied or not).
    pub updated_at: SystemTime,
    /// Store-wide sequence number of the last update; higher is newer.
    pub update_seq: u64,
    /// Every call-summary event for this call, in arrival order.
    pub history: Vec<HistoryEntry>,
    /// What the live events (progress, SDK events, quality samples) told; `None` until one
    /// arrives.
    pub live: Option<Box<LiveState>>,
}

impl CallRecord {
    /// True when the last event that arrived for the call was stale
    /// ([`HistoryEntry::is_stale`]); such calls are shown dimmed.
    pub fn is_stale(&self) -> bool {
        self.history.last().is_some_and(HistoryEntry::is_stale)
    }

    /// When the call started, in Unix nanoseconds: the summary's `start_time`, else the
    /// earliest live event, else the arrival of its first event. It does not move when a later
    /// summary of the same call arrives, so the table's default order keeps rows in place.
    pub fn started_ns(&self) -> i64 {
        if let Some(ns) = self.summary.start_time {
            return ns;
        }
        if let Some(live) = self.live.as_deref()
            && live.first_ns != 0
        {
            return live.first_ns;
        }
        self.first_seen
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0)
    }

    /// [`Self::started_ns`] as a time.
    pub fn started_at(&self) -> SystemTime {
        let ns = self.started_ns();
        if ns >= 0 {
            std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns.unsigned_abs())
        } else {
            std::time::UNIX_EPOCH - std::time::Duration::from_nanos(ns.unsigned_abs())
        }
    }

    /// The call SID.
    pub fn call_sid(&self) -> &str {
        &self.summary.call_sid
    }

    /// partial / predicted-complete / complete; `None` while only live events arrived.
    pub fn kind(&self) -> Option<SummaryKind> {
        self.rank.kind
    }

    /// The processing stage as filters, exports and compact lines name it: `partial`,
    /// `predicted-complete`, `complete`, or `live` while only live events arrived (ndjson's
    /// `processing_state` is null then: no summary has a stage yet).
    pub fn processing_name(&self) -> &'static str {
        self.rank.kind.map_or("live", SummaryKind::processing_name)
    }

    /// The short stage label: `partial`, `predicted`, `complete` or `live`.
    pub fn stage_label(&self) -> &'static str {
        self.rank.kind.map_or("live", SummaryKind::label)
    }

    /// True while the call is answered and has not ended (its state is `answered`).
    pub fn in_progress(&self) -> bool {
        self.summary.call_state == CallState::Answered
    }

    /// The best summary in full (edges, trust, every field), read from its packed `data`, or
    /// why it cannot be read (the listener reads only the core of a summary on arrival).
    pub fn full_summary(&self) -> Result<CallSummary, String> {
        let json = self
            .packed
            .unpack_json()
            .ok_or("its packed copy is damaged (a bug: please report it)")?;
        CallSummary::from_json(&json)
    }

    /// Id of the event that gave the current summary (`""` when none did).
    pub fn event_id(&self) -> String {
        self.history
            .iter()
            .rev()
            .find(|h| h.applied)
            .map_or_else(String::new, |h| h.event_id.to_string())
    }
}

/// What [`CallStore::apply`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The first event for this call.
    NewCall,
    /// The event's summary replaced the call's summary.
    Updated,
    /// A better summary was already known: only the history grew.
    Superseded,
}

/// A call's slot in the store: stable for the life of the call, cheap to copy into views.
///
/// It carries the slot's generation, so an id kept by a view after its call was evicted
/// resolves to nothing ([`CallStore::by_id`] gives `None`) rather than to whichever call
/// reuses the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId {
    /// Index into the store's records.
    slot: u32,
    /// How many calls the slot had held before this one.
    generation: u32,
}

impl CallId {
    /// The slot's index: a small number, dense over the store's calls (views key sets by it).
    pub fn slot(self) -> u32 {
        self.slot
    }
}

/// All calls, with the counters and ordering the screen needs.
#[derive(Debug, Default)]
pub struct CallStore {
    /// Records by slot; views hold [`CallId`]s into it. Boxed so that growing the vector
    /// moves pointers, not records, and reserves no room for records that do not exist.
    /// `None` for a slot whose call was evicted and that waits in `free`.
    records: Vec<Option<Box<CallRecord>>>,
    /// The current generation of each slot (see [`CallId`]); bumped when its call is evicted.
    generations: Vec<u32>,
    /// Slots of evicted calls, reused by the next new calls.
    free: Vec<u32>,
    /// Slots by call SID (packed: no heap block per call).
    index: HashMap<CompactSid, CallId>,
    /// Slots by `update_seq`, so "newest update first" is a reverse walk, not a sort.
    by_update: BTreeMap<u64, CallId>,
    /// Number of calls in each call state (the wire string; "" when absent).
    by_state: BTreeMap<String, usize>,
    /// Number of calls at each processing stage.
    by_kind: [usize; 4],
    /// The last sequence number handed out; also tells views whether anything changed.
    seq: u64,
    /// Call events merged: summaries applied or superseded, and live events (duplicates never
    /// reach the store).
    events: u64,
    /// `--max-calls`: the most calls kept (`None`: no limit).
    max_calls: Option<usize>,
    /// Finished calls by `update_seq`, the eviction order; kept only while there is a cap.
    finished: BTreeMap<u64, CallId>,
    /// Calls evicted to stay under `max_calls`.
    evicted: u64,
}

impl CallStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that keeps at most `max_calls` calls (at least one); `None` keeps all.
    pub fn with_max_calls(max_calls: Option<usize>) -> Self {
        let mut store = Self::new();
        store.set_max_calls(max_calls);
        store
    }

    /// Sets the cap (at least one call; `None` removes it) and evicts down to it at once.
    pub fn set_max_calls(&mut self, max_calls: Option<usize>) {
        self.max_calls = max_calls.map(|n| n.max(1));
        self.finished.clear();
        if self.max_calls.is_some() {
            for (&seq, &id) in &self.by_update {
                if self
                    .by_id(id)
                    .is_some_and(|r| r.summary.call_state.is_final())
                {
                    self.finished.insert(seq, id);
                }
            }
        }
        self.evict_over_cap();
    }

    /// The cap, when there is one.
    pub fn max_calls(&self) -> Option<usize> {
        self.max_calls
    }

    /// Calls evicted so far to stay under the cap.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Merges one call-summary event, received at `received_at`, and says what happened.
    pub fn apply(
        &mut self,
        event: &SummaryEvent,
        received_at: SystemTime,
    ) -> (CallId, ApplyOutcome) {
        let rank = Rank::of(event);
        let entry_for = |applied| HistoryEntry {
            kind: event.kind,
            event_id: CompactSid::new(&event.id),
            event_time_ns: rank.event_time_ns,
            received_at,
            processing_version: event
                .summary
                .processing_version
                .and_then(|v| i32::try_from(v).ok()),
            applied,
        };
        let (id, new) = self.touch(&event.summary.call_sid, received_at);
        let Some(record) = self.record_mut(id) else {
            return (id, ApplyOutcome::Superseded);
        };
        // Ties in rank go to the later arrival: equal claims, fresher copy.
        let wins = rank >= record.rank;
        // A call gets a handful of events (partial, predicted-complete, complete): room for
        // exactly those rather than the vector's doubling (4 slots for 3 events), while a call
        // with many events still grows by doubling.
        if record.history.len() < SMALL_HISTORY {
            record.history.reserve_exact(1);
        }
        record.history.push(entry_for(wins));
        if !wins {
            return (id, ApplyOutcome::Superseded);
        }
        let old_kind = record.rank.kind;
        let old_state = record.summary.call_state.clone();
        record.summary = event.summary.clone();
        if let Some(live) = record.live.as_deref_mut() {
            live.summary_state = Some(event.summary.call_state.clone());
            record.summary.call_state =
                settle(live.summary_state.as_ref(), live.progress_state().as_ref());
        }
        record.packed = PackedSummary::pack_json(event.data.as_bytes());
        record.search = SearchText::of(&record.summary);
        record.rank = rank;
        self.by_kind[kind_index(old_kind)] -= 1;
        self.by_kind[kind_index(rank.kind)] += 1;
        self.restate(id, &old_state);
        self.evict_over_cap();
        (
            id,
            if new {
                ApplyOutcome::NewCall
            } else {
                ApplyOutcome::Updated
            },
        )
    }

    /// Merges one live event (call progress, an SDK event, a quality sample), received at
    /// `received_at`: the call appears at its first event of any type, progress moves its
    /// state forward (never back from a final state), samples update its quality.
    pub fn apply_live(
        &mut self,
        event: &LiveEvent,
        received_at: SystemTime,
    ) -> (CallId, ApplyOutcome) {
        let (id, new) = self.touch(event.data.call_sid(), received_at);
        let Some(record) = self.record_mut(id) else {
            return (id, ApplyOutcome::Superseded);
        };
        let time_ns = event.time_ns();
        let summary_state = record.kind().map(|_| record.summary.call_state.clone());
        let live = record
            .live
            .get_or_insert_with(|| Box::new(LiveState::after(summary_state)));
        match &event.data {
            LiveData::Event(e) => {
                live.apply_event(event.kind, e, time_ns);
            }
            LiveData::Metric(m) => live.apply_metric(m, time_ns),
        }
        let old_state = record.summary.call_state.clone();
        record.summary.call_state =
            settle(live.summary_state.as_ref(), live.progress_state().as_ref());
        if record.summary.call_state != old_state {
            record.search = SearchText::of(&record.summary);
        }
        self.restate(id, &old_state);
        self.evict_over_cap();
        (
            id,
            if new {
                ApplyOutcome::NewCall
            } else {
                ApplyOutcome::Updated
            },
        )
    }

    /// The call with this SID, made newest: created empty (no summary yet) when it is new.
    /// Gives its id and whether it is new.
    fn touch(&mut self, call_sid: &str, received_at: SystemTime) -> (CallId, bool) {
        self.events += 1;
        self.seq += 1;
        let seq = self.seq;
        let key = CompactSid::new(call_sid);
        if let Some(&id) = self.index.get(&key)
            && let Some(record) = self
                .records
                .get_mut(id.slot as usize)
                .and_then(Option::as_mut)
        {
            self.by_update.remove(&record.update_seq);
            self.by_update.insert(seq, id);
            if self.finished.remove(&record.update_seq).is_some() {
                self.finished.insert(seq, id);
            }
            record.update_seq = seq;
            record.updated_at = received_at;
            return (id, false);
        }
        let summary = SummaryCore {
            call_sid: call_sid.to_owned(),
            ..SummaryCore::default()
        };
        let record = CallRecord {
            search: SearchText::of(&summary),
            summary,
            packed: PackedSummary::pack_json(b"{}"),
            rank: Rank {
                kind: None,
                processing_version: 0,
                event_time_ns: 0,
            },
            first_seen: received_at,
            updated_at: received_at,
            update_seq: seq,
            history: Vec::new(),
            live: None,
        };
        *self.by_state.entry(String::new()).or_default() += 1;
        self.by_kind[kind_index(None)] += 1;
        let id = self.insert(record);
        self.by_update.insert(seq, id);
        self.index.insert(key, id);
        (id, true)
    }

    /// The record in a live slot, to change.
    fn record_mut(&mut self, id: CallId) -> Option<&mut CallRecord> {
        if self.generations.get(id.slot as usize) != Some(&id.generation) {
            return None;
        }
        self.records.get_mut(id.slot as usize)?.as_deref_mut()
    }

    /// Brings the state counts and the eviction order in line with a call whose state was
    /// `old_state`.
    fn restate(&mut self, id: CallId, old_state: &CallState) {
        let Some(record) = self.by_id(id) else { return };
        let (seq, now) = (record.update_seq, record.summary.call_state.clone());
        if *old_state != now {
            decrement(&mut self.by_state, &state_key(old_state));
            *self.by_state.entry(state_key(&now)).or_default() += 1;
        }
        if self.max_calls.is_some() {
            if now.is_final() {
                self.finished.insert(seq, id);
            } else {
                self.finished.remove(&seq);
            }
        }
    }

    /// Puts a new record in a free slot (or a new one) and returns its id.
    fn insert(&mut self, record: CallRecord) -> CallId {
        if let Some(slot) = self.free.pop() {
            let generation = self.generations[slot as usize];
            self.records[slot as usize] = Some(Box::new(record));
            return CallId { slot, generation };
        }
        let slot = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        self.records.push(Some(Box::new(record)));
        self.generations.push(0);
        CallId {
            slot,
            generation: 0,
        }
    }

    /// Evicts calls until the cap holds: finished calls first, least recently updated first.
    fn evict_over_cap(&mut self) {
        let Some(max) = self.max_calls else { return };
        while self.len() > max {
            let victim = self
                .finished
                .first_key_value()
                .or_else(|| self.by_update.first_key_value())
                .map(|(_, &id)| id);
            let Some(id) = victim else { return };
            self.remove(id);
            self.evicted += 1;
            // Views compare generations: an eviction must look like a change.
            self.seq += 1;
        }
    }

    /// Forgets one call: its slot is freed and its id stops resolving.
    fn remove(&mut self, id: CallId) {
        let slot = id.slot as usize;
        let Some(record) = self.records.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.generations[slot] = self.generations[slot].wrapping_add(1);
        self.free.push(id.slot);
        self.index.remove(&CompactSid::new(record.call_sid()));
        self.by_update.remove(&record.update_seq);
        self.finished.remove(&record.update_seq);
        decrement(&mut self.by_state, &state_key(&record.summary.call_state));
        self.by_kind[kind_index(record.rank.kind)] -= 1;
    }

    /// The record of one call, by SID.
    pub fn get(&self, call_sid: &str) -> Option<&CallRecord> {
        self.id_of(call_sid).and_then(|id| self.by_id(id))
    }

    /// The record in a slot; `None` once that call was evicted.
    pub fn by_id(&self, id: CallId) -> Option<&CallRecord> {
        if self.generations.get(id.slot as usize) != Some(&id.generation) {
            return None;
        }
        self.records.get(id.slot as usize)?.as_deref()
    }

    /// The slot of a call.
    pub fn id_of(&self, call_sid: &str) -> Option<CallId> {
        self.index.get(&CompactSid::new(call_sid)).copied()
    }

    /// Number of calls.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no call is known.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Call events merged so far: summaries (applied or superseded) and live events.
    pub fn events_seen(&self) -> u64 {
        self.events
    }

    /// Changes whenever a call changes: views compare it to know when to recompute. A call
    /// changes only with a new `update_seq` above every earlier one (views bring their rows up
    /// to date from the calls whose `update_seq` is above the generation they last saw).
    pub fn generation(&self) -> u64 {
        self.seq
    }

    /// Slots, most recently updated first, without sorting or copying.
    pub fn ids_newest_first(&self) -> impl DoubleEndedIterator<Item = CallId> + '_ {
        self.by_update.values().rev().copied()
    }

    /// Calls, most recently updated first, without sorting or copying.
    pub fn newest_first(&self) -> impl DoubleEndedIterator<Item = &CallRecord> + '_ {
        self.ids_newest_first().filter_map(|id| self.by_id(id))
    }

    /// Every call with its slot, in slot order (the arrival order of the first event, until
    /// evictions free slots for newer calls).
    pub fn iter_with_ids(&self) -> impl Iterator<Item = (CallId, &CallRecord)> + '_ {
        self.records
            .iter()
            .zip(&self.generations)
            .enumerate()
            .filter_map(|(slot, (record, &generation))| {
                let id = CallId {
                    slot: u32::try_from(slot).ok()?,
                    generation,
                };
                Some((id, record.as_deref()?))
            })
    }

    /// Every call, in slot order (see [`Self::iter_with_ids`]).
    pub fn iter(&self) -> impl Iterator<Item = &CallRecord> + '_ {
        self.records.iter().filter_map(|r| r.as_deref())
    }

    /// Number of calls in each call state (`""` for calls whose state is absent), by name.
    pub fn count_by_state(&self) -> &BTreeMap<String, usize> {
        &self.by_state
    }

    /// Number of calls whose best summary is of this kind.
    pub fn count_by_kind(&self, kind: SummaryKind) -> usize {
        self.by_kind[kind_index(Some(kind))]
    }
}

fn state_key(state: &CallState) -> String {
    state.as_str().to_owned()
}

fn kind_index(kind: Option<SummaryKind>) -> usize {
    match kind {
        Some(SummaryKind::Partial) => 0,
        Some(SummaryKind::PredictedComplete) => 1,
        Some(SummaryKind::Complete) => 2,
        None => 3,
    }
}

/// The call's state from the best summary's state and the progress events' state: a final
/// summary decides; else a final progress state holds (an early partial summary does not undo
/// it); else the state that got further (ringing < answered), the summary's on a tie.
pub fn settle(summary: Option<&CallState>, progress: Option<&CallState>) -> CallState {
    match (summary, progress) {
        (Some(s), _) if s.is_final() => s.clone(),
        (_, Some(p)) if p.is_final() => p.clone(),
        (Some(s), Some(p)) if stage(p) > stage(s) => p.clone(),
        (Some(s), _) => s.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => CallState::default(),
    }
}

fn decrement(counts: &mut BTreeMap<String, usize>, key: &str) {
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::summary::CallState;

    fn event(id: &str, kind: SummaryKind, version: i64, time: &str, state: &str) -> SummaryEvent {
        let summary: CallSummary = serde_json::from_value(serde_json::json!({
            "call_sid": "CA0001",
            "call_state": state,
            "processing_version": version,
        }))
        .expect("test summary");
        SummaryEvent::new(id.into(), kind, Some(time.into()), &summary)
    }

    fn three_events() -> Vec<SummaryEvent> {
        vec![
            event(
                "EZ1",
                SummaryKind::Partial,
                1,
                "2026-01-01T00:00:01.000Z",
                "ringing",
            ),
            event(
                "EZ2",
                SummaryKind::PredictedComplete,
                1,
                "2026-01-01T00:00:02.000Z",
                "answered",
            ),
            event(
                "EZ3",
                SummaryKind::Complete,
                1,
                "2026-01-01T00:00:03.000Z",
                "completed",
            ),
        ]
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for i in 0..=p.len() {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }

    #[test]
    fn every_arrival_order_ends_complete() {
        let events = three_events();
        let orders = permutations(events.len());
        assert_eq!(orders.len(), 6);
        for order in orders {
            let mut store = CallStore::new();
            for &i in &order {
                store.apply(&events[i], SystemTime::now());
            }
            let rec = store.get("CA0001").expect("call present");
            assert_eq!(rec.kind(), Some(SummaryKind::Complete), "order {order:?}");
            assert_eq!(
                rec.summary.call_state,
                CallState::Completed,
                "order {order:?}"
            );
            assert_eq!(rec.event_id(), "EZ3");
            assert_eq!(rec.history.len(), 3);
            assert_eq!(store.count_by_state().get("completed"), Some(&1));
            assert_eq!(
                store.count_by_state().len(),
                1,
                "no stale state counts: {order:?}"
            );
            assert_eq!(store.count_by_kind(SummaryKind::Complete), 1);
            assert_eq!(store.count_by_kind(SummaryKind::Partial), 0);
        }
    }

    #[test]
    fn a_short_history_takes_room_for_its_events_only() {
        let mut store = CallStore::new();
        for e in three_events() {
            store.apply(&e, SystemTime::now());
        }
        let rec = store.get("CA0001").expect("call");
        assert_eq!(rec.history.len(), 3);
        assert_eq!(
            rec.history.capacity(),
            3,
            "no spare slots for a 3-event call"
        );
        // Many events for one call still grow by doubling, not one slot per event.
        let mut store = CallStore::new();
        let mut e = three_events().remove(0);
        for i in 0..100 {
            e.id = format!("EZ{i:032}");
            store.apply(&e, SystemTime::now());
        }
        let rec = store.get("CA0001").expect("call");
        assert_eq!(rec.history.len(), 100);
        assert!(
            rec.history.capacity() > rec.history.len(),
            "past {SMALL_HISTORY} events the history grows by doubling (capacity {})",
            rec.history.capacity()
        );
    }

    #[test]
    fn late_partial_is_kept_in_history_but_not_applied() {
        let events = three_events();
        let mut store = CallStore::new();
        assert_eq!(
            store.apply(&events[2], SystemTime::now()).1,
            ApplyOutcome::NewCall
        );
        assert_eq!(
            store.apply(&events[0], SystemTime::now()).1,
            ApplyOutcome::Superseded
        );
        let rec = store.get("CA0001").expect("call");
        assert_eq!(rec.summary.call_state, CallState::Completed);
        assert!(!rec.history[1].applied);
    }

    #[test]
    fn higher_processing_version_wins_among_partials() {
        let v2 = event(
            "EZ2",
            SummaryKind::Partial,
            2,
            "2026-01-01T00:00:01.000Z",
            "answered",
        );
        let v1 = event(
            "EZ1",
            SummaryKind::Partial,
            1,
            "2026-01-01T00:00:09.000Z",
            "ringing",
        );
        let mut store = CallStore::new();
        store.apply(&v2, SystemTime::now());
        assert_eq!(
            store.apply(&v1, SystemTime::now()).1,
            ApplyOutcome::Superseded
        );
        assert_eq!(
            store.get("CA0001").expect("call").summary.call_state,
            CallState::Answered
        );
    }

    #[test]
    fn ties_go_to_the_later_event_time() {
        let early = event(
            "EZ1",
            SummaryKind::Partial,
            1,
            "2026-01-01T00:00:01.000Z",
            "ringing",
        );
        let late = event(
            "EZ2",
            SummaryKind::Partial,
            1,
            "2026-01-01T00:00:05.000Z",
            "answered",
        );
        let mut store = CallStore::new();
        store.apply(&late, SystemTime::now());
        assert_eq!(
            store.apply(&early, SystemTime::now()).1,
            ApplyOutcome::Superseded
        );
        let mut store = CallStore::new();
        store.apply(&early, SystemTime::now());
        assert_eq!(
            store.apply(&late, SystemTime::now()).1,
            ApplyOutcome::Updated
        );
        assert_eq!(
            store.get("CA0001").expect("call").summary.call_state,
            CallState::Answered
        );
    }

    #[test]
    fn newest_first_follows_updates() {
        let mut store = CallStore::new();
        for sid in ["CA1", "CA2", "CA3"] {
            let mut e = event(
                "x",
                SummaryKind::Partial,
                1,
                "2026-01-01T00:00:01Z",
                "ringing",
            );
            e.summary.call_sid = sid.into();
            e.id = format!("EZ-{sid}");
            store.apply(&e, SystemTime::now());
        }
        let mut again = event(
            "EZ-again",
            SummaryKind::Complete,
            1,
            "2026-01-01T00:00:09Z",
            "busy",
        );
        again.summary.call_sid = "CA1".into();
        store.apply(&again, SystemTime::now());
        let order: Vec<&str> = store.newest_first().map(|r| r.call_sid()).collect();
        assert_eq!(order, ["CA1", "CA3", "CA2"]);
        assert_eq!(store.count_by_state().get("ringing"), Some(&2));
        assert_eq!(store.count_by_state().get("busy"), Some(&1));
    }

    /// An event for call `sid` in `state`, with an id unique to both.
    fn call_event(sid: &str, kind: SummaryKind, state: &str) -> SummaryEvent {
        let mut e = event("x", kind, 1, "2026-01-01T00:00:01Z", state);
        e.summary.call_sid = sid.into();
        e.id = format!("EZ-{sid}-{state}");
        e
    }

    fn sids(store: &CallStore) -> Vec<&str> {
        let mut sids: Vec<&str> = store.iter().map(CallRecord::call_sid).collect();
        sids.sort_unstable();
        sids
    }

    #[test]
    fn the_cap_evicts_the_least_recently_updated_finished_call_first() {
        let mut store = CallStore::with_max_calls(Some(3));
        store.apply(
            &call_event("CA1", SummaryKind::Complete, "completed"),
            SystemTime::now(),
        );
        store.apply(
            &call_event("CA2", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        store.apply(
            &call_event("CA3", SummaryKind::Complete, "busy"),
            SystemTime::now(),
        );
        // CA1 is touched again (a late partial): CA3 is now the least recently updated
        // finished call.
        store.apply(
            &call_event("CA1", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        store.apply(
            &call_event("CA4", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        assert_eq!(sids(&store), ["CA1", "CA2", "CA4"]);
        assert_eq!(store.evicted(), 1);
        store.apply(
            &call_event("CA5", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        assert_eq!(
            sids(&store),
            ["CA2", "CA4", "CA5"],
            "CA1 was the last finished call"
        );
        // No call is finished any more: the least recently updated one goes.
        store.apply(
            &call_event("CA6", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        assert_eq!(sids(&store), ["CA4", "CA5", "CA6"]);
        assert_eq!(store.evicted(), 3);
        assert_eq!(store.len(), 3);
        assert_eq!(store.count_by_state().get("ringing"), Some(&3));
        assert_eq!(
            store.count_by_state().len(),
            1,
            "{:?}",
            store.count_by_state()
        );
        assert_eq!(store.count_by_kind(SummaryKind::Partial), 3);
        assert_eq!(store.count_by_kind(SummaryKind::Complete), 0);
        assert_eq!(store.ids_newest_first().count(), 3);
        assert!(store.get("CA1").is_none() && store.id_of("CA3").is_none());
    }

    #[test]
    fn a_call_that_finishes_becomes_evictable() {
        let mut store = CallStore::with_max_calls(Some(2));
        store.apply(
            &call_event("CA1", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        store.apply(
            &call_event("CA2", SummaryKind::Partial, "answered"),
            SystemTime::now(),
        );
        store.apply(
            &call_event("CA2", SummaryKind::Complete, "completed"),
            SystemTime::now(),
        );
        store.apply(
            &call_event("CA3", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        assert_eq!(
            sids(&store),
            ["CA1", "CA3"],
            "the finished CA2 goes before the older CA1"
        );
    }

    #[test]
    fn an_evicted_id_never_resolves_even_when_its_slot_is_reused() {
        let mut store = CallStore::with_max_calls(Some(1));
        let (first, _) = store.apply(
            &call_event("CA1", SummaryKind::Complete, "completed"),
            SystemTime::now(),
        );
        let (second, _) = store.apply(
            &call_event("CA2", SummaryKind::Complete, "completed"),
            SystemTime::now(),
        );
        assert!(store.by_id(first).is_none(), "CA1 was evicted");
        assert_eq!(store.by_id(second).map(CallRecord::call_sid), Some("CA2"));
        assert_ne!(first, second);
        let ids: Vec<CallId> = store.iter_with_ids().map(|(id, _)| id).collect();
        assert_eq!(ids, [second]);
        // A late event for an evicted call starts it again, in the slot CA1 left.
        let (again, outcome) = store.apply(
            &call_event("CA1", SummaryKind::Partial, "ringing"),
            SystemTime::now(),
        );
        assert_eq!(outcome, ApplyOutcome::NewCall);
        assert!(store.by_id(second).is_none());
        assert_eq!(again.slot, first.slot, "the slot was reused");
        assert!(
            store.by_id(first).is_none(),
            "the old id does not see the new call"
        );
        assert_eq!(
            store.records.len(),
            2,
            "slots never grow past the cap plus the newcomer"
        );
    }

    #[test]
    fn setting_a_cap_on_a_full_store_evicts_at_once() {
        let mut store = CallStore::new();
        for (sid, state) in [("CA1", "ringing"), ("CA2", "completed"), ("CA3", "ringing")] {
            store.apply(
                &call_event(sid, SummaryKind::Partial, state),
                SystemTime::now(),
            );
        }
        let generation = store.generation();
        store.set_max_calls(Some(2));
        assert_eq!(sids(&store), ["CA1", "CA3"]);
        assert_eq!(store.evicted(), 1);
        assert_ne!(
            store.generation(),
            generation,
            "views must recompute after an eviction"
        );
        store.set_max_calls(Some(0));
        assert_eq!(store.max_calls(), Some(1), "a cap keeps at least one call");
        assert_eq!(sids(&store), ["CA3"]);
    }

    /// A live event for CA0001: `progress:NAME`, `sample:JITTER` at second `at`.
    fn live(spec: &str, at: i64) -> LiveEvent {
        let (kind, data) = match spec.split_once(':') {
            Some(("progress", name)) => (
                crate::twilio::live::LiveKind::GatewayEvent,
                serde_json::json!({"call_sid": "CA0001", "name": name, "group": "call"}),
            ),
            Some(("sample", jitter)) => (
                crate::twilio::live::LiveKind::GatewayMetrics,
                serde_json::json!({"call_sid": "CA0001", "direction": "inbound",
                    "carrier_edge": {"interval": {"jitter": {"value": jitter.parse::<f64>().expect("jitter")}}}}),
            ),
            _ => panic!("bad spec {spec}"),
        };
        let time = format!("2026-01-01T00:{:02}:{:02}Z", at / 60, at % 60);
        LiveEvent {
            id: format!("EZ-{spec}-{at}"),
            kind,
            time: Some(time),
            dataschema: None,
            data: crate::twilio::live::LiveData::from_json(kind, &data.to_string()).expect("data"),
        }
    }

    /// One arrival: a live event spec, or `partial:STATE` / `predicted:STATE` /
    /// `complete:STATE` for a summary.
    fn arrive(store: &mut CallStore, spec: &str, at: i64) {
        let summary_kind = match spec.split_once(':') {
            Some(("partial", state)) => Some((SummaryKind::Partial, state)),
            Some(("predicted", state)) => Some((SummaryKind::PredictedComplete, state)),
            Some(("complete", state)) => Some((SummaryKind::Complete, state)),
            _ => None,
        };
        match summary_kind {
            Some((kind, state)) => {
                let time = format!("2026-01-01T01:00:{:02}.000Z", at % 60);
                store.apply(
                    &event(&format!("EZ{at}"), kind, 1, &time, state),
                    SystemTime::now(),
                );
            }
            None => {
                store.apply_live(&live(spec, at), SystemTime::now());
            }
        }
    }

    #[test]
    fn a_call_appears_at_its_first_live_event() {
        let mut store = CallStore::new();
        let (id, outcome) = store.apply_live(&live("progress:call.ringing", 1), SystemTime::now());
        assert_eq!(outcome, ApplyOutcome::NewCall);
        let rec = store.by_id(id).expect("call");
        assert_eq!(rec.summary.call_state, CallState::Ringing);
        assert_eq!(rec.kind(), None);
        assert_eq!(rec.processing_name(), "live");
        assert_eq!(store.count_by_state().get("ringing"), Some(&1));
        assert!(!rec.in_progress());
        let (_, outcome) = store.apply_live(&live("progress:answered", 5), SystemTime::now());
        assert_eq!(outcome, ApplyOutcome::Updated);
        let rec = store.get("CA0001").expect("call");
        assert!(rec.in_progress());
        assert_eq!(store.count_by_state().get("answered"), Some(&1));
        assert_eq!(store.count_by_state().get("ringing"), None);
        assert_eq!(store.events_seen(), 2);
    }

    /// Every pair of arrivals, in both orders where the order matters, and the state the call
    /// ends in.
    #[test]
    fn progress_and_summaries_merge_in_any_order_without_regressing() {
        let cases: &[(&str, &str, &str)] = &[
            ("progress:ringing", "progress:answered", "answered"),
            ("progress:answered", "progress:ringing", "answered"),
            ("progress:completed", "progress:answered", "completed"),
            ("progress:answered", "progress:completed", "completed"),
            (
                "progress:call.completed",
                "progress:call.ringing",
                "completed",
            ),
            // An early partial summary after a final progress event does not regress it.
            ("progress:completed", "partial:ringing", "completed"),
            ("progress:completed", "partial:answered", "completed"),
            ("partial:ringing", "progress:completed", "completed"),
            ("partial:answered", "progress:ringing", "answered"),
            ("progress:answered", "partial:ringing", "answered"),
            // Among final states, the summaries decide.
            ("progress:completed", "complete:busy", "busy"),
            ("complete:busy", "progress:completed", "busy"),
            ("progress:busy", "partial:completed", "completed"),
            ("partial:noanswer", "progress:answered", "noanswer"),
            ("complete:completed", "progress:failed", "completed"),
            // Two final progress events: the newer by timestamp.
            ("progress:no-answer", "progress:canceled", "canceled"),
            ("progress:canceled", "progress:no-answer", "canceled"),
            // Unknown names change nothing; samples change no state.
            ("progress:ringing", "progress:call.connected", "ringing"),
            ("sample:3", "progress:ringing", "ringing"),
            ("progress:answered", "sample:40", "answered"),
            ("sample:3", "sample:4", ""),
        ];
        for (first, second, want) in cases {
            let mut store = CallStore::new();
            let (t1, t2) = if first.contains("canceled") {
                (2, 1)
            } else {
                (1, 2)
            };
            arrive(&mut store, first, t1);
            arrive(&mut store, second, t2);
            let rec = store.get("CA0001").expect("call");
            assert_eq!(
                rec.summary.call_state.as_str(),
                *want,
                "{first} then {second}"
            );
            assert_eq!(store.len(), 1);
            let counted: usize = store.count_by_state().values().sum();
            assert_eq!(
                counted,
                1,
                "{first} then {second}: {:?}",
                store.count_by_state()
            );
            assert_eq!(store.count_by_state().get(*want), Some(&1));
        }
    }

    #[test]
    fn every_order_of_a_live_call_ends_in_its_complete_summary() {
        let arrivals = [
            "progress:initiated",
            "progress:answered",
            "sample:12",
            "progress:completed",
            "partial:answered",
            "complete:completed",
        ];
        for order in permutations(arrivals.len()) {
            let mut store = CallStore::new();
            for &i in &order {
                arrive(&mut store, arrivals[i], i as i64);
            }
            let rec = store.get("CA0001").expect("call");
            assert_eq!(rec.summary.call_state, CallState::Completed, "{order:?}");
            assert_eq!(rec.kind(), Some(SummaryKind::Complete), "{order:?}");
            let live = rec.live.as_deref().expect("live state");
            assert_eq!(live.progress.as_deref(), Some("completed"), "{order:?}");
            assert_eq!(live.latest.jitter_ms, Some(12.0));
            assert_eq!(live.timeline.len(), 3);
            assert!(!rec.in_progress());
        }
    }

    #[test]
    fn a_live_call_under_a_cap_is_evicted_once_finished() {
        let mut store = CallStore::with_max_calls(Some(1));
        store.apply_live(&live("progress:completed", 1), SystemTime::now());
        let mut other = live("progress:ringing", 2);
        if let crate::twilio::live::LiveData::Event(e) = &mut other.data {
            e.call_sid = "CA0002".into();
        }
        store.apply_live(&other, SystemTime::now());
        assert_eq!(store.len(), 1);
        assert!(store.get("CA0002").is_some(), "the finished call made room");
        assert_eq!(store.evicted(), 1);
    }
}
