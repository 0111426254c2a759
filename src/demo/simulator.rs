//! The simulated Twilio: starts calls at a rate, and delivers each call's events — live
//! progress, quality samples and SDK events while it goes, then its summaries — to a sink as
//! Event Streams does — signed JSON arrays over real HTTP, at least once (a few
//! duplicates), not always in order, `data` sometimes a JSON string, 5xx retried, 4xx not.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};
use tokio::time::{Instant, sleep_until};

use super::facts::add_duration;
use super::generator::{
    CallGenerator, Scenario, SimulatedEvent, delivery_body, test_event, with_data_as_string,
};
use super::prng::SplitMix64;
use crate::twilio::webhook::{
    self, Retries, SendOutcome, SenderOptions, SignedDelivery, WebhookSender,
};

/// The auth token the demo signs with and the demo listener verifies with.
pub const DEMO_AUTH_TOKEN: &str = "callwatch-demo-token";

/// Deliveries in flight at once; the scheduler waits when all are taken.
const MAX_IN_FLIGHT: usize = 16;
/// How long in-flight requests may finish after the simulator is told to stop.
const STOP_GRACE: Duration = Duration::from_millis(250);

/// Calls started right away, one per scenario plus a degraded one (jitter spikes, an SDK
/// warning raised and cleared), so even a few seconds of demo show every kind of outcome.
const BURST_CALLS: u64 = 6;
/// Spacing of the burst's call starts (all within the first second).
const BURST_SPACING: Duration = Duration::from_millis(150);
/// When regular, rate-driven call starts begin.
const BURST_WINDOW: Duration = Duration::from_secs(1);

/// The fastest average call spacing (1,000 calls a second); higher rates are capped to it.
const MIN_MEAN_GAP_SECS: f64 = 0.001;
/// The longest gap between call starts, whatever the rate.
const MAX_GAP: Duration = Duration::from_secs(24 * 60 * 60);

/// Share of deliveries whose `data` is a JSON-encoded string, as older Twilio sends it.
const STRING_DATA_SHARE: f64 = 0.30;
/// Share of deliveries sent twice (at-least-once delivery).
const DUPLICATE_SHARE: f64 = 0.03;
/// Share of calls whose complete event is delivered before their predicted-complete.
const REORDER_SHARE: f64 = 0.05;
/// How long after complete such a call's predicted-complete comes.
const REORDER_DELAY: Duration = Duration::from_millis(400);

/// How to run the simulated Twilio.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The sink URL, as configured in Twilio, e.g. `http://127.0.0.1:PORT/events`.
    pub destination: String,
    /// The token deliveries are signed with (`DEMO_AUTH_TOKEN` in the demo).
    pub auth_token: String,
    /// Same seed, same calls.
    pub seed: u64,
    /// Average rate of call starts after the opening burst; must be positive.
    pub calls_per_minute: f64,
    /// Stop after this long (counted from the start of [`run`]); `None` runs until `stop`.
    pub duration: Option<Duration>,
    /// Deliver a sink test event (`com.twilio.eventstreams.test-event`) before any call.
    pub send_test_event_first: bool,
}

/// What the simulator did. Each delivery counts once, however many times it was retried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulatorStats {
    /// Calls started.
    pub calls_started: u64,
    /// Deliveries POSTed, including the test event and duplicates.
    pub sent: u64,
    /// Deliveries finally answered 2xx.
    pub status_2xx: u64,
    /// Deliveries answered 4xx (never retried: Twilio drops them).
    pub status_4xx: u64,
    /// Deliveries still answered 5xx after the retries.
    pub status_5xx: u64,
    /// Deliveries answered with any other status.
    pub status_other: u64,
    /// Deliveries that got no answer at all (connection refused, timeout…) after the retries.
    pub errors: u64,
    /// Extra attempts made after a 5xx or a connection failure.
    pub retries: u64,
    /// Deliveries that resent an event already delivered (same event `id`).
    pub duplicates: u64,
    /// Complete events delivered ahead of their call's predicted-complete.
    pub reordered: u64,
    /// Deliveries whose `data` was a JSON-encoded string.
    pub string_data: u64,
}

impl SimulatorStats {
    fn record(&mut self, outcome: SendOutcome) {
        self.retries += u64::from(outcome.retries);
        match outcome.status {
            Ok(200..=299) => self.status_2xx += 1,
            Ok(400..=499) => self.status_4xx += 1,
            Ok(500..=599) => self.status_5xx += 1,
            Ok(_) => self.status_other += 1,
            Err(_) => self.errors += 1,
        }
    }

    fn record_joined(&mut self, joined: Result<SendOutcome, JoinError>) {
        match joined {
            Ok(outcome) => self.record(outcome),
            // Only a panic gets here (aborted tasks are never joined): count it, carry on.
            Err(_) => self.errors += 1,
        }
    }
}

/// Runs the simulated Twilio against `cfg.destination` until `stop` resolves or
/// `cfg.duration` has elapsed, and returns what it did. Failed POSTs are counted, never fatal;
/// the only errors are a bad configuration or an HTTP client that cannot be built.
///
/// First the sink test event (if configured); then a burst of six calls within the first
/// second (one of each [`Scenario`], and a degraded call), then calls at `calls_per_minute`
/// with exponential spacing. Each call's events go out at their offsets, call time running
/// [`TIME_SCALE`](super::generator::TIME_SCALE) times faster, one event a delivery. When stopping, calls stop starting,
/// pending events are dropped and requests in flight get a moment to finish.
pub async fn run(
    cfg: SimulatorConfig,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<SimulatorStats> {
    if !(cfg.calls_per_minute.is_finite() && cfg.calls_per_minute > 0.0) {
        anyhow::bail!(
            "the call rate must be a positive number of calls per minute, not {}",
            cfg.calls_per_minute
        );
    }
    let sender = WebhookSender::new(
        &cfg.auth_token,
        SenderOptions {
            retries: Retries::LikeEventStreams,
            ..SenderOptions::default()
        },
    )
    .context("cannot build the simulator's HTTP client")?;

    let start = Instant::now();
    let deadline = cfg.duration.map(|d| start + d);
    let shutdown = async move {
        match deadline {
            Some(deadline) => {
                tokio::select! {
                    () = stop => {}
                    () = sleep_until(deadline) => {}
                }
            }
            None => stop.await,
        }
    };
    tokio::pin!(shutdown);

    let mut schedule = Schedule::new(&cfg, OffsetDateTime::now_utc());
    let mut stats = SimulatorStats::default();

    if cfg.send_test_event_first {
        let delivery = schedule.test_delivery();
        stats.sent += 1;
        tokio::select! {
            outcome = sender.post(&delivery, &[]) => stats.record(outcome),
            () = &mut shutdown => return Ok(stats),
        }
    }

    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut in_flight: JoinSet<SendOutcome> = JoinSet::new();
    'run: loop {
        let wake = start + schedule.next_wake();
        tokio::select! {
            () = &mut shutdown => break 'run,
            Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                stats.record_joined(joined);
                continue 'run;
            }
            () = sleep_until(wake) => {}
        }
        let now = start.elapsed();
        stats.calls_started += schedule.start_calls_until(now);
        while let Some(item) = schedule.pop_due(now) {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => permit,
                () = &mut shutdown => break 'run,
            };
            let Ok(permit) = permit else {
                break 'run; // the semaphore is never closed
            };
            stats.sent += 1;
            stats.duplicates += u64::from(item.duplicate);
            stats.reordered += u64::from(item.reordered);
            stats.string_data += u64::from(item.string_data);
            let sender = sender.clone();
            in_flight.spawn(async move {
                let outcome = sender.post(&item.delivery, &[]).await;
                drop(permit);
                outcome
            });
        }
    }

    let finish_in_flight = async {
        while let Some(joined) = in_flight.join_next().await {
            stats.record_joined(joined);
        }
    };
    // Whatever is still running after the grace period is abandoned (aborted on drop).
    let _ = tokio::time::timeout(STOP_GRACE, finish_in_flight).await;
    Ok(stats)
}

/// A delivery waiting for its time.
#[derive(Debug)]
struct Scheduled {
    /// Time after the start of the run.
    due: Duration,
    /// Order of scheduling, so equal times keep their order.
    seq: u64,
    delivery: Arc<SignedDelivery>,
    duplicate: bool,
    reordered: bool,
    string_data: bool,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// The simulation's timeline: which calls start when, and the deliveries not yet due. Pure
/// bookkeeping, driven by [`run`]'s clock.
struct Schedule {
    generator: CallGenerator,
    /// Decisions about delivery (string data, duplicates, order), kept apart from the
    /// generator's stream so the calls themselves depend on the seed only.
    rng: SplitMix64,
    destination: String,
    auth_token: String,
    wall_start: OffsetDateTime,
    mean_gap_secs: f64,
    calls_started: u64,
    burst: Vec<Option<Scenario>>,
    next_call_at: Duration,
    pending: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
}

impl Schedule {
    fn new(cfg: &SimulatorConfig, wall_start: OffsetDateTime) -> Self {
        let mut rng = SplitMix64::new(cfg.seed ^ 0x5EED_0FDE_117E_2700);
        let mut burst: Vec<Option<Scenario>> = Scenario::ALL.iter().copied().map(Some).collect();
        // Fisher-Yates, so the burst's order varies with the seed.
        for i in (1..burst.len()).rev() {
            burst.swap(i, rng.below(i as u64 + 1) as usize);
        }
        burst.push(None);
        Self {
            generator: CallGenerator::new(cfg.seed),
            rng,
            destination: cfg.destination.clone(),
            auth_token: cfg.auth_token.clone(),
            wall_start,
            mean_gap_secs: (60.0 / cfg.calls_per_minute).max(MIN_MEAN_GAP_SECS),
            calls_started: 0,
            burst,
            next_call_at: Duration::ZERO,
            pending: BinaryHeap::new(),
            seq: 0,
        }
    }

    fn test_delivery(&mut self) -> Arc<SignedDelivery> {
        let test_id = self.generator.next_test_id();
        let event = test_event(&test_id, self.generator.account_sid(), self.wall_start);
        self.sign(&event)
    }

    fn sign(&self, event: &Value) -> Arc<SignedDelivery> {
        let body = delivery_body(std::slice::from_ref(event));
        Arc::new(webhook::sign(&self.auth_token, &self.destination, body))
    }

    /// When something next needs doing: a call starts or a delivery is due.
    fn next_wake(&self) -> Duration {
        match self.pending.peek() {
            Some(Reverse(item)) => item.due.min(self.next_call_at),
            None => self.next_call_at,
        }
    }

    /// Starts every call due by `now`, schedules its deliveries, and returns how many started.
    fn start_calls_until(&mut self, now: Duration) -> u64 {
        let mut started = 0;
        while self.next_call_at <= now {
            let at = self.next_call_at;
            let index = self.calls_started;
            let scenario = self.burst.get(index as usize).copied().flatten();
            // The burst's last call is the degraded one, so every demo shows one early.
            let degraded = index + 1 == BURST_CALLS;
            let appears_at = add_duration(self.wall_start, at);
            let call = self
                .generator
                .next_live_call(scenario, degraded, appears_at);
            self.schedule_call(at, index, &call.events);
            self.calls_started += 1;
            started += 1;
            self.next_call_at = if self.calls_started < BURST_CALLS {
                at + BURST_SPACING
            } else {
                let gap = seconds(self.rng.exponential(self.mean_gap_secs));
                at.max(BURST_WINDOW) + gap
            };
        }
        started
    }

    fn schedule_call(&mut self, call_at: Duration, index: u64, events: &[SimulatedEvent]) {
        let n = events.len();
        let reorder = n >= 2 && self.rng.chance(REORDER_SHARE);
        for (i, event) in events.iter().enumerate() {
            let mut offset = event.offset;
            let mut reordered = false;
            if reorder && i + 2 == n {
                // Predicted-complete held back until after complete: nothing goes out before
                // the moment its `time` says.
                offset = events[n - 1].offset + REORDER_DELAY;
            } else if reorder && i + 1 == n {
                reordered = true;
            }
            // The very first call delivery is always string-encoded and resent, so that even a
            // short demo shows the sink coping with both; after that it is down to chance.
            let first = index == 0 && i == 0;
            let string_data = self.rng.chance(STRING_DATA_SHARE) || first;
            let payload = if string_data {
                with_data_as_string(&event.event)
            } else {
                event.event.clone()
            };
            let delivery = self.sign(&payload);
            let due = call_at + offset;
            self.push(due, Arc::clone(&delivery), false, reordered, string_data);
            if first {
                let again = due + seconds(self.rng.uniform(0.2, 0.6));
                self.push(again, delivery, true, false, string_data);
            } else if self.rng.chance(DUPLICATE_SHARE) {
                let again = due + seconds(self.rng.uniform(0.3, 1.5));
                self.push(again, delivery, true, false, string_data);
            }
        }
    }

    fn push(
        &mut self,
        due: Duration,
        delivery: Arc<SignedDelivery>,
        duplicate: bool,
        reordered: bool,
        string_data: bool,
    ) {
        self.seq += 1;
        self.pending.push(Reverse(Scheduled {
            due,
            seq: self.seq,
            delivery,
            duplicate,
            reordered,
            string_data,
        }));
    }

    /// The next delivery due by `now`, earliest first.
    fn pop_due(&mut self, now: Duration) -> Option<Scheduled> {
        if self.pending.peek()?.0.due > now {
            return None;
        }
        self.pending.pop().map(|Reverse(item)| item)
    }
}

/// A non-negative number of seconds as a `Duration`, capped at [`MAX_GAP`].
fn seconds(secs: f64) -> Duration {
    if secs > 0.0 {
        Duration::try_from_secs_f64(secs).map_or(MAX_GAP, |d| d.min(MAX_GAP))
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64, rate: f64) -> SimulatorConfig {
        SimulatorConfig {
            destination: "http://127.0.0.1:9/events".into(),
            auth_token: DEMO_AUTH_TOKEN.into(),
            seed,
            calls_per_minute: rate,
            duration: None,
            send_test_event_first: true,
        }
    }

    fn t0() -> OffsetDateTime {
        time::macros::datetime!(2026-03-01 12:00:00 UTC)
    }

    fn drain(schedule: &mut Schedule, until: Duration) -> Vec<Scheduled> {
        schedule.start_calls_until(until);
        std::iter::from_fn(|| schedule.pop_due(until)).collect()
    }

    #[test]
    fn burst_starts_one_call_per_scenario_within_the_first_second() {
        let mut s = Schedule::new(&config(11, 30.0), t0());
        assert_eq!(s.start_calls_until(Duration::from_millis(999)), BURST_CALLS);
        let forced: Vec<Scenario> = s.burst.iter().flatten().copied().collect();
        let mut sorted = forced.clone();
        sorted.sort();
        assert_eq!(sorted, Scenario::ALL);
        // At 30 calls/minute the next call comes after the burst window.
        assert!(s.next_call_at >= BURST_WINDOW);
    }

    #[test]
    fn deliveries_come_out_in_time_order_and_first_is_resent() {
        let mut s = Schedule::new(&config(12, 600.0), t0());
        let items = drain(&mut s, Duration::from_secs(30));
        assert!(items.windows(2).all(|w| w[0].due <= w[1].due));
        assert!(items.iter().any(|i| i.duplicate));
        assert!(items.iter().any(|i| i.string_data));
        assert!(items.iter().any(|i| !i.string_data));
        let first_dup = items
            .iter()
            .find(|i| i.duplicate)
            .map(|i| Arc::clone(&i.delivery));
        let originals = items
            .iter()
            .filter(|i| {
                first_dup
                    .as_ref()
                    .is_some_and(|d| Arc::ptr_eq(d, &i.delivery))
            })
            .count();
        assert_eq!(
            originals, 2,
            "a duplicate is the same signed request sent twice"
        );
    }

    #[test]
    fn nothing_delivered_claims_a_moment_after_its_sending() {
        use time::format_description::well_known::Rfc3339;
        let parse = |v: &Value| {
            OffsetDateTime::parse(v.as_str().unwrap_or_default(), &Rfc3339).expect("a time")
        };
        let mut s = Schedule::new(&config(3, 300.0), t0());
        let items = drain(&mut s, Duration::from_secs(120));
        let (mut ends, mut reordered) = (0, 0);
        for item in &items {
            let sent = add_duration(t0(), item.due);
            let body: Value = serde_json::from_slice(&item.delivery.body).expect("json");
            let event = &body[0];
            let data = match &event["data"] {
                Value::String(s) => serde_json::from_str(s).expect("data"),
                d => d.clone(),
            };
            let time = parse(&event["time"]);
            assert!(time <= sent, "{time} after {sent}");
            let held_back = event["type"] == crate::twilio::cloudevent::PREDICTED_COMPLETE_TYPE;
            if !item.duplicate && !held_back {
                // An event's time is when it goes out (printed to the millisecond).
                assert!(
                    sent - time < time::Duration::milliseconds(1),
                    "{time} {sent}"
                );
            }
            for key in ["timestamp", "start_time", "end_time"] {
                if let Some(t) = data.get(key).filter(|t| t.is_string()) {
                    assert!(parse(t) <= time, "{key} {t} after {time}: {event}");
                    ends += usize::from(key == "end_time");
                }
            }
            reordered += usize::from(item.reordered);
        }
        assert!(ends > 100, "{ends}");
        assert!(
            reordered > 0,
            "some completes go ahead of their predicted-complete"
        );
    }

    #[test]
    fn same_seed_same_schedule() {
        let bodies = |seed| {
            let mut s = Schedule::new(&config(seed, 120.0), t0());
            drain(&mut s, Duration::from_secs(20))
                .into_iter()
                .map(|i| (i.due, i.delivery.body.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bodies(5), bodies(5));
        assert_ne!(bodies(5), bodies(6));
    }

    #[test]
    fn signed_url_carries_the_body_hash() {
        let mut s = Schedule::new(&config(1, 30.0), t0());
        let d = s.test_delivery();
        assert!(d.url.starts_with("http://127.0.0.1:9/events?bodySHA256="));
        assert_eq!(d.signature.len(), 28);
        assert!(d.body.starts_with(b"[{") && d.body.ends_with(b"}]"));
    }

    #[test]
    fn run_can_be_spawned() {
        fn assert_send<T: Send>(_: &T) {}
        assert_send(&run(config(1, 30.0), std::future::pending::<()>()));
    }

    #[tokio::test]
    async fn rejects_a_rate_that_is_not_positive() {
        for rate in [0.0, -1.0, f64::NAN] {
            assert!(run(config(1, rate), std::future::ready(())).await.is_err());
        }
    }

    #[tokio::test]
    async fn unreachable_sink_is_counted_not_fatal() {
        let mut cfg = config(1, 60.0);
        // A port that was free a moment ago: connections to it are refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        cfg.destination = format!("http://127.0.0.1:{port}/events");
        cfg.duration = Some(Duration::from_millis(300));
        let stats = run(cfg, std::future::pending()).await;
        let stats = stats.unwrap_or_default();
        assert_eq!(
            stats.sent, 1,
            "only the test event is due in 300 ms: {stats:?}"
        );
        assert_eq!(stats.status_2xx, 0);
    }
}
