//! What every consumer of the delivery channel keeps: the call store, the recent deliveries,
//! the last sink test event, the gap counter and Twilio's alerts. The TUI and the line writers
//! (ndjson, compact) all feed deliveries through [`Session::ingest`], so they agree on what
//! happened.

use std::collections::VecDeque;
use std::time::SystemTime;

use crate::alerts::AlertsSeen;
use crate::calls::store::{ApplyOutcome, CallRecord, CallStore};
use crate::ingest::Delivery;
use crate::ingest::replay::{RecordedDelivery, rejudge};
use crate::ingest::verdict::Judge;
use crate::twilio::cloudevent::DeliveredEvent;

/// How many deliveries the session remembers for the deliveries view.
pub const DELIVERY_LOG_LEN: usize = 1000;

/// How many bytes the remembered deliveries may hold in all ([`Delivery::retained_bytes`]);
/// the oldest are forgotten first. A refused request keeps at most a few kB
/// ([`Delivery::shrink_refused`]), so this only binds for large verified deliveries.
pub const DELIVERY_LOG_BYTES: usize = 32 << 20;

/// A sink test event that arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct TestEventSeen {
    /// The `data.test_id` to hand to Sink Validate.
    pub test_id: String,
    /// When it arrived.
    pub received_at: SystemTime,
}

/// One thing a delivery changed, for the consumer to show.
#[derive(Debug)]
pub enum Update<'a> {
    /// A call event (a summary or a live event) was merged; `record` is the call *after*
    /// merging.
    Call {
        /// The CloudEvent id of the event that arrived.
        event_id: &'a str,
        /// Its CloudEvent type.
        event_type: &'static str,
        /// The call as it now stands.
        record: &'a CallRecord,
        /// What the merge did.
        outcome: ApplyOutcome,
    },
    /// A sink test event arrived.
    TestEvent {
        /// Its `data.test_id`.
        test_id: &'a str,
    },
    /// Any other event type.
    Other {
        /// The CloudEvent type.
        event_type: &'a str,
        /// The CloudEvent id.
        event_id: &'a str,
    },
}

/// What every consumer of the deliveries shows from the start, the TUI and the line outputs
/// alike: the `--filter` in force (only `call` lines for ndjson and compact), `--mask`,
/// `--max-calls`; and for the TUI, `--mouse`.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// The filter in force at start (`--filter`).
    pub filter: Option<crate::calls::filter::Filter>,
    /// Mask numbers from the start (`--mask`).
    pub mask: bool,
    /// Capture the mouse (`--mouse`).
    pub mouse: bool,
    /// Keep at most this many calls (`--max-calls`); the header counts the evicted ones.
    pub max_calls: Option<usize>,
    /// The calls table's columns, in order (`--columns`, key `columns`); `None`: the default.
    pub columns: Option<Vec<crate::calls::columns::Column>>,
}

/// The consumer-side state.
#[derive(Debug, Default)]
pub struct Session {
    /// Every call.
    pub store: CallStore,
    /// The last [`DELIVERY_LOG_LEN`] deliveries (at most [`DELIVERY_LOG_BYTES`]), oldest
    /// first, without their events (applied to [`Self::store`] or shown as they came).
    pub deliveries: VecDeque<Delivery>,
    /// The bytes [`Self::deliveries`] hold.
    deliveries_bytes: usize,
    /// The most recent sink test event.
    pub last_test_event: Option<TestEventSeen>,
    /// Deliveries that were answered but never reached this session (channel overflow).
    pub dropped_seen: u64,
    /// Events of a type other than call summaries and test events.
    pub other_events: u64,
    /// Call events that were older than Twilio's retry horizon when they arrived
    /// ([`crate::calls::store::HistoryEntry::is_stale`]): replays of captured deliveries.
    pub stale_events: u64,
    /// Twilio Debugger alerts about the sink shown so far, synced from the run's
    /// [`crate::alerts::AlertFeed`] on the consumer's tick (empty when alerts are not polled).
    pub alerts: AlertsSeen,
}

impl Session {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty session whose store keeps at most `max_calls` calls (`--max-calls`).
    pub fn with_max_calls(max_calls: Option<usize>) -> Self {
        Self {
            store: CallStore::with_max_calls(max_calls),
            ..Self::default()
        }
    }

    /// Applies one delivery and calls `on_update` for each thing it changed, in order.
    pub fn ingest(&mut self, delivery: Delivery, mut on_update: impl FnMut(&Delivery, Update<'_>)) {
        for event in &delivery.events {
            match event {
                DeliveredEvent::CallSummary(summary_event) => {
                    let (id, outcome) = self.store.apply(summary_event, delivery.received_at);
                    if let Some(record) = self.store.by_id(id) {
                        if record.is_stale() {
                            self.stale_events += 1;
                        }
                        on_update(
                            &delivery,
                            Update::Call {
                                event_id: &summary_event.id,
                                event_type: summary_event.kind.event_type(),
                                record,
                                outcome,
                            },
                        );
                    }
                }
                DeliveredEvent::Live(live_event) => {
                    let (id, outcome) = self.store.apply_live(live_event, delivery.received_at);
                    if let Some(record) = self.store.by_id(id) {
                        on_update(
                            &delivery,
                            Update::Call {
                                event_id: &live_event.id,
                                event_type: live_event.kind.event_type(),
                                record,
                                outcome,
                            },
                        );
                    }
                }
                DeliveredEvent::TestEvent { test_id, .. } => {
                    self.last_test_event = Some(TestEventSeen {
                        test_id: test_id.clone(),
                        received_at: delivery.received_at,
                    });
                    on_update(&delivery, Update::TestEvent { test_id });
                }
                DeliveredEvent::Other { id, event_type, .. } => {
                    self.other_events += 1;
                    on_update(
                        &delivery,
                        Update::Other {
                            event_type,
                            event_id: id,
                        },
                    );
                }
            }
        }
        let kept = for_the_log(delivery);
        self.deliveries_bytes += kept.retained_bytes();
        self.deliveries.push_back(kept);
        while self.deliveries.len() > DELIVERY_LOG_LEN
            || (self.deliveries_bytes > DELIVERY_LOG_BYTES && self.deliveries.len() > 1)
        {
            if let Some(old) = self.deliveries.pop_front() {
                self.deliveries_bytes = self.deliveries_bytes.saturating_sub(old.retained_bytes());
            }
        }
    }

    /// The bytes the deliveries log holds ([`DELIVERY_LOG_BYTES`] at most, unless its one
    /// delivery is larger).
    pub fn deliveries_bytes(&self) -> usize {
        self.deliveries_bytes
    }

    /// Given the listener's dropped counter, returns how many deliveries were newly lost since
    /// the last call (0 when none).
    pub fn new_gap(&mut self, dropped_total: u64) -> u64 {
        let fresh = dropped_total.saturating_sub(self.dropped_seen);
        self.dropped_seen = dropped_total.max(self.dropped_seen);
        fresh
    }
}

/// What the deliveries log keeps of an applied delivery. Its events are in the store now and
/// are dropped here: a thousand parsed summaries are ~5 MiB. (Its body is a block of its own:
/// the listener copies it out of hyper's read buffer on arrival.)
fn for_the_log(mut delivery: Delivery) -> Delivery {
    delivery.note_call_sids();
    delivery.events = Vec::new();
    delivery.queued.release();
    delivery
}
/// The calls of a recording as they finally stood: every delivery judged again without
/// verification and merged, in recorded order.
pub fn final_session(recorded: &[RecordedDelivery]) -> Session {
    let judge = Judge::new(None, 403);
    let mut session = Session::new();
    for (i, rec) in recorded.iter().enumerate() {
        session.ingest(rejudge(&judge, rec, i as u64 + 1), |_, _| {});
    }
    session
}
