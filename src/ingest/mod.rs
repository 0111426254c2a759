//! Receiving deliveries: the hyper listener Twilio POSTs to ([`server`], with its connection
//! table and the budget of log lines for refused requests), the public URL it checks
//! signatures against ([`public_url`]), and the judgement of each request
//! ([`verdict`]): signature, body hash, parsing, duplicates.
//!
//! The listener answers at once and hands a [`Delivery`] to a bounded channel; whoever consumes
//! it (the TUI, the ndjson writer) can never slow the answer down. When the channel is full the
//! delivery is still answered and counted in [`ListenerStats::dropped`], reported as a `gap`.
//! Consumers take deliveries in batches ([`DeliveryFeed`]), so that a busy listener does not
//! wake them once per delivery.

mod connections;
pub mod diagnosis;
pub mod forward;
pub mod polled;
pub mod public_url;
pub mod record;
mod refusal_log;
pub mod replay;
pub mod server;
pub mod verdict;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::time::Instant;

use bytes::Bytes;

use crate::twilio::cloudevent::DeliveredEvent;
use crate::twilio::signature::SignatureVerdict;
pub use verdict::DeliveryVerdict;

/// The largest body accepted, in bytes (Twilio batches are at most 64 kB; 1 MiB leaves room).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How much of a refused request's body is kept after it is answered: enough to see what it
/// was (a JSON body's first events, an HTML error page, a form), never the whole megabyte an
/// anonymous sender may post. [`Delivery::body_len`] keeps the full size.
pub const REFUSED_BODY_KEPT: usize = 4096;

/// How much of a refused request's path, query, signed URL and each diagnosis text is kept.
pub const REFUSED_TEXT_KEPT: usize = 1024;

/// How many bytes of one header value are kept (an `X-Twilio-Signature` is 28 or 44).
pub const HEADER_VALUE_KEPT: usize = 512;

/// How many bytes of headers are kept per request, names and values; the rest are counted.
pub const HEADERS_KEPT: usize = 4096;

/// The method of a delivery read from a Kinesis stream (`callwatch kinesis`) rather than
/// POSTed: its path is `SHARD/SEQUENCE`, it carries no signature.
pub const KINESIS_METHOD: &str = "KINESIS";

/// One request to the events path, judged and answered.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Arrival order, from 1.
    pub seq: u64,
    /// When the request arrived.
    pub received_at: SystemTime,
    /// HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The raw query string, as received (without `?`).
    pub query: String,
    /// Request headers, with secrets (Authorization) already redacted.
    pub headers: Headers,
    /// The body exactly as received (empty when it was refused unread).
    pub body: Bytes,
    /// Size of the body in bytes (or the announced size when it was refused unread).
    pub body_len: usize,
    /// The HTTP status answered.
    pub status: u16,
    /// The verdict, with its reason.
    pub verdict: DeliveryVerdict,
    /// The signature check in detail, when one was made.
    pub signature: Option<SignatureVerdict>,
    /// The URL the signature was checked against (public URL + raw query).
    pub signed_url: Option<String>,
    /// The events of the delivery that were not duplicates.
    pub events: Vec<DeliveredEvent>,
    /// Number of events in the body (duplicates included).
    pub event_count: usize,
    /// The distinct event types in the body.
    pub event_types: Vec<String>,
    /// How long judging and answering took.
    pub handling: Duration,
    /// Why it was refused, in one sentence (`None` when accepted).
    pub diagnosis: Option<diagnosis::Diagnosis>,
    /// Its share of the presentation channel's byte budget, given back when the consumer takes
    /// it (or when it is dropped on the way).
    pub queued: QueueTicket,
    /// The calls it is about (at most [`CALL_SIDS_KEPT`]), noted by [`Self::note_call_sids`]
    /// before the deliveries log drops its events: the deliveries view's SID column and filter.
    pub call_sids: Vec<String>,
}

/// How many call SIDs a delivery notes for the deliveries view.
pub const CALL_SIDS_KEPT: usize = 4;

impl Delivery {
    /// An accepted delivery carrying `events`, as if it had arrived at `received_at` (replay,
    /// tests).
    pub fn accepted(seq: u64, received_at: SystemTime, events: Vec<DeliveredEvent>) -> Self {
        let mut event_types: Vec<String> = Vec::new();
        for e in &events {
            if !event_types.iter().any(|t| t == e.event_type()) {
                event_types.push(e.event_type().to_owned());
            }
        }
        Self {
            seq,
            received_at,
            method: "POST".into(),
            path: "/events".into(),
            query: String::new(),
            headers: Headers::default(),
            body: Bytes::new(),
            body_len: 0,
            status: 200,
            verdict: DeliveryVerdict::Ok,
            signature: None,
            signed_url: None,
            event_count: events.len(),
            events,
            event_types,
            handling: Duration::ZERO,
            diagnosis: None,
            queued: QueueTicket::default(),
            call_sids: Vec::new(),
        }
    }

    /// Notes the calls this delivery is about in [`Self::call_sids`], distinct, in order: those
    /// of its events, or, when it has none (refused, duplicate), the call SIDs (`CA` and 32 hex
    /// digits) its body names. A refused body is unverified: what it names is only a lead.
    pub fn note_call_sids(&mut self) {
        let mut sids: Vec<String> = Vec::new();
        // Notes `sid`; false once as many as are kept are noted (the rest need no reading).
        let mut note = |sid: &str| {
            if sids.len() < CALL_SIDS_KEPT && !sids.iter().any(|s| s == sid) {
                sids.push(sid.to_owned());
            }
            sids.len() < CALL_SIDS_KEPT
        };
        if self.events.is_empty() {
            let body = &self.body[..];
            let mut i = 0;
            while i + 34 <= body.len() {
                let candidate = &body[i..i + 34];
                if candidate.starts_with(b"CA") && candidate[2..].iter().all(u8::is_ascii_hexdigit)
                {
                    // ASCII by the check above.
                    if !note(&String::from_utf8_lossy(candidate)) {
                        break;
                    }
                    i += 34;
                } else {
                    i += 1;
                }
            }
        } else {
            for event in &self.events {
                if let Some(sid) = event.call_sid()
                    && !note(sid)
                {
                    break;
                }
            }
        }
        self.call_sids = sids;
    }

    /// The bytes this delivery holds on the heap, roughly: what the presentation channel and the
    /// deliveries log count against their budgets.
    pub fn retained_bytes(&self) -> usize {
        const FIXED: usize = std::mem::size_of::<Delivery>() + 64;
        let events: usize = self.events.iter().map(DeliveredEvent::retained_bytes).sum();
        let diagnosis = self.diagnosis.as_ref().map_or(0, |d| d.retained_bytes());
        FIXED
            + self.body.len()
            + self.headers.0.len()
            + self.path.len()
            + self.query.len()
            + self.signed_url.as_ref().map_or(0, String::len)
            + self.event_types.iter().map(String::len).sum::<usize>()
            + self.call_sids.iter().map(String::len).sum::<usize>()
            + events
            + diagnosis
    }

    /// Cuts what a refused request keeps down to a fixed size once it is answered and
    /// diagnosed: the first [`REFUSED_BODY_KEPT`] bytes of its body (in a block of their own, so
    /// the full body is freed) and [`REFUSED_TEXT_KEPT`] bytes of each text it brought.
    pub fn shrink_refused(&mut self) {
        use crate::text::clip;
        if self.body.len() > REFUSED_BODY_KEPT {
            self.body = Bytes::copy_from_slice(&self.body[..REFUSED_BODY_KEPT]);
        }
        clip(&mut self.path, REFUSED_TEXT_KEPT);
        clip(&mut self.query, REFUSED_TEXT_KEPT);
        if let Some(url) = &mut self.signed_url {
            clip(url, REFUSED_TEXT_KEPT);
        }
        if let Some(d) = &mut self.diagnosis {
            d.clip(REFUSED_TEXT_KEPT);
        }
        if let Some(check) = &mut self.signature {
            clip_signature_verdict(check, REFUSED_TEXT_KEPT);
        }
        if let DeliveryVerdict::Malformed(why) = &mut self.verdict {
            clip(why, REFUSED_TEXT_KEPT);
        }
    }

    /// True when only a prefix of the body was kept ([`Self::shrink_refused`]).
    pub fn body_clipped(&self) -> bool {
        !self.body.is_empty() && self.body.len() < self.body_len
    }
}

fn clip_signature_verdict(check: &mut SignatureVerdict, max: usize) {
    use crate::text::clip;
    match check {
        SignatureVerdict::Valid { matched_url, .. } => clip(matched_url, max),
        SignatureVerdict::BodyHashMismatch { expected, actual } => {
            clip(expected, max);
            clip(actual, max);
        }
        SignatureVerdict::SignatureMismatch {
            received, tried, ..
        } => {
            clip(received, max);
            for t in tried {
                clip(&mut t.url, max);
            }
        }
        SignatureVerdict::UnsupportedAlgorithm { name } => clip(name, max),
        SignatureVerdict::InvalidPort { port } => clip(port, max),
        SignatureVerdict::NoSharedKeyConfigured { key_id } => {
            if let Some(k) = key_id {
                clip(k, max);
            }
        }
        SignatureVerdict::MissingSignature | SignatureVerdict::MissingBodyHash => {}
    }
}

/// A delivery's bytes counted against the presentation channel's budget ([`QueueBudget`]);
/// given back when dropped. A clone holds no share (only the delivery in the channel does).
#[derive(Default)]
pub struct QueueTicket(Option<(Arc<AtomicUsize>, usize)>);

impl QueueTicket {
    /// Gives the bytes back now (the consumer has taken the delivery).
    pub fn release(&mut self) {
        if let Some((queued, bytes)) = self.0.take() {
            queued.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

impl Drop for QueueTicket {
    fn drop(&mut self) {
        self.release();
    }
}

impl Clone for QueueTicket {
    fn clone(&self) -> Self {
        Self(None)
    }
}

impl std::fmt::Debug for QueueTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some((_, bytes)) => write!(f, "QueueTicket({bytes} bytes)"),
            None => f.write_str("QueueTicket(none)"),
        }
    }
}

/// The presentation channel's budget in bytes, beside its count ([`CHANNEL_CAPACITY`]
/// deliveries): a consumer that stalls (an ndjson reader that stopped reading) holds at most
/// this much. Refused requests may fill only [`QueueBudget::refused`] of it, so that an
/// anonymous flood never crowds verified deliveries out of the channel.
#[derive(Debug, Clone)]
pub struct QueueBudget {
    queued: Arc<AtomicUsize>,
    /// Bytes all queued deliveries may hold.
    pub total: usize,
    /// Bytes that may be queued when a refused request is added.
    pub refused: usize,
}

/// Bytes the presentation channel holds at most (see [`QueueBudget`]).
pub const CHANNEL_BYTES: usize = 64 << 20;

/// Bytes of queued deliveries past which refused requests are no longer queued.
pub const CHANNEL_REFUSED_BYTES: usize = 8 << 20;

/// Deliveries buffered between the listener and the screen before they count as a gap.
pub const CHANNEL_CAPACITY: usize = 16 * 1024;

impl Default for QueueBudget {
    fn default() -> Self {
        Self::new(CHANNEL_BYTES, CHANNEL_REFUSED_BYTES)
    }
}

impl QueueBudget {
    /// A budget of `total` bytes, of which refused requests may fill `refused`.
    pub fn new(total: usize, refused: usize) -> Self {
        Self {
            queued: Arc::new(AtomicUsize::new(0)),
            total,
            refused: refused.min(total),
        }
    }

    /// Bytes queued now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Counts `delivery` in, giving it the ticket that counts it out; `false` (and nothing
    /// counted) when it does not fit.
    pub fn admit(&self, delivery: &mut Delivery) -> bool {
        let bytes = delivery.retained_bytes();
        let limit = if delivery.verdict.is_accepted() {
            self.total
        } else {
            self.refused
        };
        let admitted = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |queued| {
                (queued + bytes <= limit).then_some(queued + bytes)
            })
            .is_ok();
        if admitted {
            delivery.queued = QueueTicket(Some((Arc::clone(&self.queued), bytes)));
        }
        admitted
    }
}

/// A delivery's request headers, kept in one block of `name: value` lines (one allocation where
/// a list of pairs took two per header): names as hyper gives them (lowercase), values as
/// received, except `Authorization`, which is reduced to its scheme on arrival.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(String);

impl Headers {
    /// The headers in order, as `(name, value)`.
    pub fn iter(&self) -> HeaderIter<'_> {
        self.0.lines().filter_map(|line| line.split_once(": "))
    }

    /// The first value of header `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The bytes of the block (names, values and separators).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no header is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a header at the end; a line break in the value becomes a space (HTTP values never
    /// hold one, and a line is one header).
    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push_str(name);
        self.0.push_str(": ");
        if value.contains(['\n', '\r']) {
            self.0.push_str(&value.replace(['\n', '\r'], " "));
        } else {
            self.0.push_str(value);
        }
        self.0.push('\n');
    }
}

/// The iterator of [`Headers::iter`].
pub type HeaderIter<'a> =
    std::iter::FilterMap<std::str::Lines<'a>, fn(&'a str) -> Option<(&'a str, &'a str)>>;

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a str, &'a str);
    type IntoIter = HeaderIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        let mut headers = Self::default();
        for (name, value) in pairs {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

impl<N: AsRef<str>, V: AsRef<str>> From<Vec<(N, V)>> for Headers {
    fn from(pairs: Vec<(N, V)>) -> Self {
        pairs.into_iter().collect()
    }
}

/// Counters shared by the listener and whoever displays them; exact even when the
/// presentation channel overflows.
#[derive(Debug, Default)]
pub struct ListenerStats {
    /// Deliveries answered 2xx (duplicates included).
    pub accepted: AtomicU64,
    /// Deliveries refused (signature, body hash, malformed, too large, wrong method).
    pub rejected: AtomicU64,
    /// Deliveries answered but not shown because the presentation channel was full.
    pub dropped: AtomicU64,
    /// Unix milliseconds of the last request to the events path (0 = none yet).
    pub last_delivery_ms: AtomicU64,
    /// Lines written to the `--record` file.
    pub recorded: AtomicU64,
    /// `sync_data` calls that made recorded lines durable (`recorded / record_syncs` is the
    /// average group-commit batch).
    pub record_syncs: AtomicU64,
    /// Times the `--record` file reached `--record-max-size` and was rotated to `FILE.1`.
    pub record_rotations: AtomicU64,
    /// Deliveries that could not be recorded: answered 503 instead of 2xx (or, if rejected
    /// anyway, missing from the recording).
    pub record_failures: AtomicU64,
    /// The error of the last recording attempt, while recording fails; cleared by the next
    /// batch that is written and synced.
    pub record_error: Mutex<Option<String>>,
    /// Connections being served now.
    pub connections_open: AtomicU64,
    /// Connections closed to make room for a newer one over `--max-connections`: the oldest
    /// that was idle, or still sending its request.
    pub connections_evicted: AtomicU64,
    /// Connections accepted over `--max-connections` and closed unanswered: every connection
    /// was busy with a request.
    pub connections_refused: AtomicU64,
    /// Connections closed because no request head arrived within the header read timeout:
    /// slow clients, and keep-alive connections left idle.
    pub connections_timed_out: AtomicU64,
}

impl ListenerStats {
    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Notes a request to the events path arriving at `at`: the time of the last delivery.
    pub fn arrived(&self, at: SystemTime) {
        let ms = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        self.last_delivery_ms
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Counts a delivery answered: accepted (2xx, duplicates included) or refused. The
    /// listener counts each delivery it answers here, and `replay` each it judges again.
    pub fn answered(&self, delivery: &Delivery) {
        let counter = if delivery.verdict.is_accepted() {
            &self.accepted
        } else {
            &self.rejected
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The current recording error, if the last batch could not be recorded.
    pub fn record_error(&self) -> Option<String> {
        self.record_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// How long a consumer of the delivery channel lets deliveries gather after taking a batch.
///
/// A consumer waiting on an empty channel is woken by the next send: a futex call and two context
/// switches, paid once per delivery when the consumer keeps up (under `wrk`, 0.79 context switches
/// per request before this pause, 0.49 with it). Pausing this long after each batch caps those
/// wakes at 200 a second and costs a delivery at most this much delay on its way to the screen or
/// the ndjson line (docs/architecture.md allows one 50 ms frame); the channel (16,384 deliveries)
/// holds what a pause gathers at any rate the listener can take.
pub const GATHER_PAUSE: Duration = Duration::from_millis(5);

/// The consumer's end of the delivery channel: deliveries come in batches, with a pause of
/// [`GATHER_PAUSE`] after each batch.
#[derive(Debug)]
pub struct DeliveryFeed {
    rx: mpsc::Receiver<Delivery>,
    paused_until: Option<Instant>,
}

impl DeliveryFeed {
    /// The feed of the channel `rx` receives from.
    pub fn new(rx: mpsc::Receiver<Delivery>) -> Self {
        Self {
            rx,
            paused_until: None,
        }
    }

    /// Waits out the pause after the last batch, then for a delivery, and returns it with every
    /// other one waiting; `None` once the listener has closed the channel and it is empty.
    ///
    /// Cancel-safe, for `select!`: a call dropped while it waits loses no delivery, and the
    /// next call waits what is left of the pause.
    pub async fn next_batch(&mut self) -> Option<Vec<Delivery>> {
        if let Some(until) = self.paused_until {
            tokio::time::sleep_until(until).await;
            self.paused_until = None;
        }
        let mut first = self.rx.recv().await?;
        first.queued.release();
        let mut batch = vec![first];
        while let Ok(mut delivery) = self.rx.try_recv() {
            delivery.queued.release();
            batch.push(delivery);
        }
        self.paused_until = Some(Instant::now() + GATHER_PAUSE);
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_notes_its_calls_from_its_events_or_its_body() {
        let body = br#"[{"data":{"account_sid":"AC0123456789abcdef0123456789abcdef",
            "call_sid":"CA0123456789abcdef0123456789abcdef","parent_call_sid":"CAxyz",
            "x":"CA0123456789abcdef0123456789abcdef","y":"CAfedcba9876543210fedcba9876543210"}}]"#;
        let mut refused = Delivery::accepted(1, SystemTime::UNIX_EPOCH, Vec::new());
        refused.body = Bytes::from_static(body);
        refused.note_call_sids();
        assert_eq!(
            refused.call_sids,
            [
                "CA0123456789abcdef0123456789abcdef",
                "CAfedcba9876543210fedcba9876543210"
            ],
            "each SID once, in order; the account SID and a short CA… are not call SIDs"
        );
        let mut many = Delivery::accepted(2, SystemTime::UNIX_EPOCH, Vec::new());
        let sids: String = (0..10).map(|i| format!("CA{i:032x} ")).collect();
        many.body = Bytes::from(sids);
        many.note_call_sids();
        assert_eq!(many.call_sids.len(), CALL_SIDS_KEPT);
        let mut empty = Delivery::accepted(3, SystemTime::UNIX_EPOCH, Vec::new());
        empty.body = Bytes::from_static(b"CA0123");
        empty.note_call_sids();
        assert!(empty.call_sids.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_feed_takes_what_waits_in_one_batch_then_pauses() {
        let (tx, rx) = mpsc::channel(16);
        let mut feed = DeliveryFeed::new(rx);
        let delivery = |seq| Delivery::accepted(seq, SystemTime::UNIX_EPOCH, Vec::new());
        for seq in 1..=3 {
            tx.send(delivery(seq)).await.expect("send");
        }
        let start = Instant::now();
        let seqs = |batch: Vec<Delivery>| batch.iter().map(|d| d.seq).collect::<Vec<_>>();
        assert_eq!(feed.next_batch().await.map(seqs), Some(vec![1, 2, 3]));
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first batch does not wait"
        );

        tx.send(delivery(4)).await.expect("send");
        // Dropped while it pauses (as a `select!` branch would be): nothing is lost, and the
        // pause is not started again.
        assert!(
            tokio::time::timeout(GATHER_PAUSE / 2, feed.next_batch())
                .await
                .is_err()
        );
        tx.send(delivery(5)).await.expect("send");
        assert_eq!(feed.next_batch().await.map(seqs), Some(vec![4, 5]));
        assert_eq!(start.elapsed(), GATHER_PAUSE, "one pause after a batch");

        drop(tx);
        assert!(feed.next_batch().await.is_none(), "closed and empty");
    }
}
