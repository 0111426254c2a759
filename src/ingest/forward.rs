//! `--forward-to URL`: every verified, non-duplicate delivery POSTed on to the user's own app,
//! its body unchanged, signed again for that URL with the key that verified it (so the app's own
//! Twilio validator accepts it).
//!
//! One forwarder task per target, fed by a bounded queue ([`FORWARD_QUEUE`] deliveries and
//! [`FORWARD_QUEUE_BYTES`] of bodies): the listener only offers a delivery with `try_send` once
//! its verdict is accepted, and never waits for the forward, so a slow target never delays the
//! answer to Twilio. A full queue drops the delivery and counts it. A connection error or a
//! 5xx is retried after each [`FORWARD_BACKOFF`]; a 4xx is final. Each outcome is kept in
//! [`ForwardState`] (counters and the recent outcomes by delivery number) for the deliveries
//! view and the ndjson `forward` lines.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::twilio::signature::{Algorithm, sign_json_delivery_as_sent};
use crate::twilio::webhook::{SenderOptions, SignedDelivery, WebhookSender};

/// Deliveries waiting to be forwarded, per target, before new ones are dropped.
pub const FORWARD_QUEUE: usize = 1_000;

/// The most body bytes the queue holds at once (a delivery may be up to 1 MiB): past it,
/// deliveries are dropped and counted as when the queue is full.
pub const FORWARD_QUEUE_BYTES: usize = 32 << 20;

/// The waits before each retry after a connection error or a 5xx: 4 tries at most.
pub const FORWARD_BACKOFF: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// How many outcomes are kept for the deliveries view.
pub const OUTCOMES_KEPT: usize = 4_096;

/// How a forward ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardStatus {
    /// Answered `status` after `tries` tries, the last answer `latency` after the first send.
    Answered {
        /// The final HTTP status.
        status: u16,
        /// Tries it took (1 without retries).
        tries: u8,
        /// From the first try to the last answer.
        latency: Duration,
    },
    /// No answer after `tries` tries (connection refused, timeout…).
    Failed {
        /// Why, in a few words.
        error: String,
        /// Tries made.
        tries: u8,
    },
    /// Not sent: the queue was full.
    Dropped,
}

impl ForwardStatus {
    /// `→ 200 12 ms`, `→ 503 ×3`, `→ failed ×4`, `→ dropped (queue full)`.
    pub fn short(&self) -> String {
        match self {
            Self::Answered {
                status,
                tries,
                latency,
            } => {
                if *tries > 1 {
                    format!("→ {status} ×{tries}")
                } else {
                    format!("→ {status} {} ms", latency.as_millis())
                }
            }
            Self::Failed { tries, .. } => format!("→ failed ×{tries}"),
            Self::Dropped => "→ dropped (queue full)".to_owned(),
        }
    }

    /// True for a 2xx answer.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Answered { status, .. } if (200..300).contains(status))
    }

    /// The ndjson `forward` line of delivery `seq` to `target`.
    pub fn to_json(&self, seq: u64, target: &str) -> serde_json::Value {
        let mut line = serde_json::json!({ "type": "forward", "seq": seq, "target": target });
        let fields = line.as_object_mut().expect("an object");
        match self {
            Self::Answered {
                status,
                tries,
                latency,
            } => {
                fields.insert("result".into(), "answered".into());
                fields.insert("status".into(), (*status).into());
                fields.insert("tries".into(), (*tries).into());
                fields.insert(
                    "latency_ms".into(),
                    u64::try_from(latency.as_millis())
                        .unwrap_or(u64::MAX)
                        .into(),
                );
            }
            Self::Failed { error, tries } => {
                fields.insert("result".into(), "failed".into());
                fields.insert("error".into(), error.clone().into());
                fields.insert("tries".into(), (*tries).into());
            }
            Self::Dropped => {
                fields.insert("result".into(), "dropped".into());
            }
        }
        line
    }
}

/// What the forwarder tells whoever shows it: counters, and the recent outcomes by delivery
/// number, oldest first.
#[derive(Debug)]
pub struct ForwardState {
    /// The target URL.
    pub target: String,
    /// Forwards answered 2xx.
    pub ok: AtomicU64,
    /// Forwards answered otherwise, or never answered.
    pub failed: AtomicU64,
    /// Deliveries not forwarded because the queue was full.
    pub dropped: AtomicU64,
    /// Body bytes waiting in the queue ([`FORWARD_QUEUE_BYTES`] at most).
    queued_bytes: std::sync::atomic::AtomicUsize,
    outcomes: Mutex<VecDeque<(u64, ForwardStatus)>>,
    /// Outcomes not yet taken by [`Self::take_new`] (the ndjson writer).
    fresh: Mutex<Vec<(u64, ForwardStatus)>>,
}

impl ForwardState {
    fn new(target: &str) -> Self {
        Self {
            target: target.to_owned(),
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            queued_bytes: std::sync::atomic::AtomicUsize::new(0),
            outcomes: Mutex::new(VecDeque::new()),
            fresh: Mutex::new(Vec::new()),
        }
    }

    fn note(&self, seq: u64, status: ForwardStatus) {
        let counter = match &status {
            s if s.is_success() => &self.ok,
            ForwardStatus::Dropped => &self.dropped,
            _ => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        {
            let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
            if outcomes.len() == OUTCOMES_KEPT {
                outcomes.pop_front();
            }
            outcomes.push_back((seq, status.clone()));
        }
        let mut fresh = self.fresh.lock().unwrap_or_else(|p| p.into_inner());
        if fresh.len() < OUTCOMES_KEPT {
            fresh.push((seq, status));
        }
    }

    /// The outcome of delivery `seq`, if it was forwarded (or dropped) recently.
    pub fn status_of(&self, seq: u64) -> Option<ForwardStatus> {
        let outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        outcomes
            .iter()
            .rev()
            .find(|(s, _)| *s == seq)
            .map(|(_, status)| status.clone())
    }

    /// The latest forward that failed or was dropped, among the recent outcomes: the cause the
    /// header's problem line quotes.
    pub fn latest_trouble(&self) -> Option<(u64, ForwardStatus)> {
        let outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        outcomes
            .iter()
            .rev()
            .find(|(_, status)| !status.is_success())
            .cloned()
    }

    /// The outcomes noted since the last call.
    pub fn take_new(&self) -> Vec<(u64, ForwardStatus)> {
        std::mem::take(&mut *self.fresh.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// `fwd 12 ok · 1 failed · 3 dropped` for the header.
    pub fn summary(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut text = format!("fwd {} ok", get(&self.ok));
        for (n, what) in [
            (get(&self.failed), "failed"),
            (get(&self.dropped), "dropped"),
        ] {
            if n > 0 {
                text.push_str(&format!(" · {n} {what}"));
            }
        }
        text
    }
}

/// The key a forward is signed with: the one that verified the delivery.
#[derive(Debug, Clone)]
pub struct ForwardKeys {
    /// The Auth Token (HMAC-SHA1).
    pub auth_token: String,
    /// The SharedKey secret (HMAC-SHA256), when one is configured.
    pub shared_key_secret: Option<String>,
}

struct Job {
    seq: u64,
    body: Bytes,
    algorithm: Algorithm,
    /// `X-Twilio-Webhooks-Signature-Settings` as received (SharedKey deliveries).
    settings: Option<String>,
}

/// The listener's handle on one target's forwarder task; cheap to clone.
#[derive(Clone)]
pub struct Forwarder {
    tx: mpsc::Sender<Job>,
    /// Counters and outcomes.
    pub state: Arc<ForwardState>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Forwarder({})", self.state.target)
    }
}

impl Forwarder {
    /// Starts the forwarder task for `target` (on the current tokio runtime), retrying after
    /// each wait of `backoff`. The task ends once every handle is dropped and the queue is empty.
    pub fn start(
        target: &str,
        keys: ForwardKeys,
        backoff: &'static [Duration],
    ) -> Result<Self, reqwest::Error> {
        let sender = WebhookSender::new(&keys.auth_token, SenderOptions::default())?;
        let (tx, rx) = mpsc::channel(FORWARD_QUEUE);
        let state = Arc::new(ForwardState::new(target));
        tokio::spawn(run(rx, sender, keys, Arc::clone(&state), backoff));
        Ok(Self { tx, state })
    }

    /// Offers delivery `seq` (its body as received, verified with `algorithm`) without waiting:
    /// dropped and counted when the queue is full.
    pub fn offer(&self, seq: u64, body: Bytes, algorithm: Algorithm, settings: Option<&str>) {
        let len = body.len();
        let queued = &self.state.queued_bytes;
        if queued.fetch_add(len, Ordering::Relaxed) + len > FORWARD_QUEUE_BYTES {
            queued.fetch_sub(len, Ordering::Relaxed);
            self.state.note(seq, ForwardStatus::Dropped);
            return;
        }
        let job = Job {
            seq,
            body,
            algorithm,
            settings: settings.filter(|h| !h.trim().is_empty()).map(str::to_owned),
        };
        if let Err(e) = self.tx.try_send(job) {
            queued.fetch_sub(len, Ordering::Relaxed);
            let seq = match e {
                mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job) => {
                    job.seq
                }
            };
            self.state.note(seq, ForwardStatus::Dropped);
        }
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    sender: WebhookSender,
    keys: ForwardKeys,
    state: Arc<ForwardState>,
    backoff: &'static [Duration],
) {
    while let Some(job) = rx.recv().await {
        state
            .queued_bytes
            .fetch_sub(job.body.len(), Ordering::Relaxed);
        let signed = sign_for(&keys, &state.target, &job);
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(settings) = &job.settings {
            headers.push(("X-Twilio-Webhooks-Signature-Settings", settings));
        }
        let status = send_with_retries(&sender, &signed, &headers, backoff).await;
        tracing::debug!(seq = job.seq, outcome = %status.short(), "forwarded");
        state.note(job.seq, status);
    }
}

/// Signs `job` for `target` as it was verified: with a settings header, with the SharedKey
/// secret and the algorithm it names; without one, HMAC-SHA1 with the auth token (as
/// `verify_json_delivery` chooses the key).
fn sign_for(keys: &ForwardKeys, target: &str, job: &Job) -> SignedDelivery {
    let key = match (&job.settings, &keys.shared_key_secret) {
        (Some(_), Some(secret)) => secret.as_bytes(),
        _ => keys.auth_token.as_bytes(),
    };
    let (url, signature) = sign_json_delivery_as_sent(key, target, &job.body, job.algorithm);
    SignedDelivery {
        url,
        signature,
        body: job.body.clone(),
    }
}

/// Sends `delivery` once, then again after each wait of `backoff` while the answer is a 5xx or
/// none at all.
async fn send_with_retries(
    sender: &WebhookSender,
    delivery: &SignedDelivery,
    headers: &[(&str, &str)],
    backoff: &[Duration],
) -> ForwardStatus {
    let started = Instant::now();
    let mut tries: u8 = 0;
    loop {
        let outcome = sender.post(delivery, headers).await;
        tries += 1;
        let retry = match &outcome.status {
            Ok(status) => *status >= 500,
            Err(_) => true,
        };
        if retry && let Some(&wait) = backoff.get(usize::from(tries - 1)) {
            tokio::time::sleep(wait).await;
            continue;
        }
        return match outcome.status {
            Ok(status) => ForwardStatus::Answered {
                status,
                tries,
                latency: started.elapsed(),
            },
            Err(error) => ForwardStatus::Failed { error, tries },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::signature::{Secrets, verify_json_delivery};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const NO_WAIT: [Duration; 3] = [Duration::ZERO, Duration::ZERO, Duration::ZERO];

    /// Answers each request with the next status of `statuses` (after `delay`), handing back
    /// the URL path and query, the signature and the body it received.
    async fn target(
        statuses: Vec<u16>,
        delay: Duration,
    ) -> (String, mpsc::Receiver<(String, String, Vec<u8>)>) {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = socket.local_addr().expect("addr");
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            for status in statuses {
                let Ok((mut stream, _)) = socket.accept().await else {
                    return;
                };
                let mut got = Vec::new();
                let mut buf = vec![0u8; 64 * 1024];
                let (head, body) = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&got[..end]).into_owned();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break (head, got[end + 4..end + 4 + len].to_vec());
                    }
                };
                tokio::time::sleep(delay).await;
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let target = head
                    .lines()
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or_default()
                    .to_owned();
                let signature = head
                    .lines()
                    .find_map(|l| l.strip_prefix("x-twilio-signature: "))
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send((target, signature, body)).await;
            }
        });
        (format!("http://{addr}/hook"), rx)
    }

    fn keys() -> ForwardKeys {
        ForwardKeys {
            auth_token: "token".into(),
            shared_key_secret: None,
        }
    }

    async fn outcome(state: &ForwardState, seq: u64) -> ForwardStatus {
        for _ in 0..500 {
            if let Some(status) = state.status_of(seq) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no outcome for {seq}");
    }

    #[tokio::test]
    async fn a_forward_is_signed_for_the_target_with_the_body_unchanged() {
        let (url, mut received) = target(vec![200], Duration::ZERO).await;
        let forwarder = Forwarder::start(&url, keys(), &NO_WAIT).expect("client");
        let body = br#"[{"id":"EZ1","type":"x"}]"#.to_vec();
        forwarder.offer(7, Bytes::from(body.clone()), Algorithm::HmacSha1, None);
        let (path, signature, got) = received.recv().await.expect("forwarded");
        assert_eq!(got, body);
        let full = format!("{}{}", url.trim_end_matches("/hook"), path);
        let secrets = Secrets {
            auth_token: "token".into(),
            shared_key_secret: None,
        };
        assert!(verify_json_delivery(&secrets, &full, Some(&signature), None, &got).is_valid());
        let status = outcome(&forwarder.state, 7).await;
        assert!(status.is_success(), "{status:?}");
        assert!(status.short().starts_with("→ 200 "), "{}", status.short());
    }

    #[test]
    fn a_shared_key_delivery_is_signed_again_with_the_shared_key() {
        let keys = ForwardKeys {
            auth_token: "token".into(),
            shared_key_secret: Some("shared-secret".into()),
        };
        let settings = "algorithm=HMAC_SHA256,key=KS1";
        let body = Bytes::from_static(br#"[{"id":"EZ2"}]"#);
        let job = Job {
            seq: 1,
            body: body.clone(),
            algorithm: Algorithm::HmacSha256,
            settings: Some(settings.into()),
        };
        let signed = sign_for(&keys, "http://127.0.0.1:3000/hook", &job);
        let secrets = Secrets {
            auth_token: "token".into(),
            shared_key_secret: Some("shared-secret".into()),
        };
        let check = |settings| {
            verify_json_delivery(
                &secrets,
                &signed.url,
                Some(&signed.signature),
                settings,
                &body,
            )
            .is_valid()
        };
        assert!(check(Some(settings)));
        assert!(!check(None), "not with the auth token");

        let plain = Job {
            settings: None,
            algorithm: Algorithm::HmacSha1,
            ..job
        };
        let signed = sign_for(&keys, "http://127.0.0.1:3000/hook", &plain);
        assert!(
            verify_json_delivery(&secrets, &signed.url, Some(&signed.signature), None, &body)
                .is_valid()
        );
    }

    #[tokio::test]
    async fn a_5xx_is_retried_and_a_4xx_is_not() {
        let (url, _received) = target(vec![503, 502, 200], Duration::ZERO).await;
        let forwarder = Forwarder::start(&url, keys(), &NO_WAIT).expect("client");
        forwarder.offer(1, Bytes::from_static(b"[]"), Algorithm::HmacSha1, None);
        assert!(matches!(
            outcome(&forwarder.state, 1).await,
            ForwardStatus::Answered {
                status: 200,
                tries: 3,
                ..
            }
        ));

        let (url, _received) = target(vec![404, 200], Duration::ZERO).await;
        let forwarder = Forwarder::start(&url, keys(), &NO_WAIT).expect("client");
        forwarder.offer(2, Bytes::from_static(b"[]"), Algorithm::HmacSha1, None);
        let status = outcome(&forwarder.state, 2).await;
        assert_eq!(status.short().split(' ').nth(1), Some("404"));
        assert_eq!(forwarder.state.failed.load(Ordering::Relaxed), 1);

        let (url, _received) = target(vec![503; 4], Duration::ZERO).await;
        let forwarder = Forwarder::start(&url, keys(), &NO_WAIT).expect("client");
        forwarder.offer(3, Bytes::from_static(b"[]"), Algorithm::HmacSha1, None);
        assert_eq!(outcome(&forwarder.state, 3).await.short(), "→ 503 ×4");
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_waiting() {
        let (url, _received) = target(vec![200; 2], Duration::from_secs(30)).await;
        let forwarder = Forwarder::start(&url, keys(), &NO_WAIT).expect("client");
        let started = Instant::now();
        for seq in 0..(FORWARD_QUEUE as u64 + 50) {
            forwarder.offer(seq, Bytes::from_static(b"[]"), Algorithm::HmacSha1, None);
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        let dropped = forwarder.state.dropped.load(Ordering::Relaxed);
        assert!((49..=50).contains(&dropped), "{dropped}");
        let last = FORWARD_QUEUE as u64 + 49;
        assert_eq!(
            forwarder.state.status_of(last),
            Some(ForwardStatus::Dropped)
        );
        assert_eq!(
            ForwardStatus::Dropped.to_json(last, &url)["result"],
            "dropped"
        );
    }

    #[tokio::test]
    async fn the_queue_holds_at_most_its_bytes() {
        let (url, _received) = target(vec![200; 2], Duration::from_secs(30)).await;
        let forwarder = Forwarder::start(&url, keys(), &NO_WAIT).expect("client");
        let body = Bytes::from(vec![b' '; 1 << 20]);
        for seq in 0..40 {
            forwarder.offer(seq, body.clone(), Algorithm::HmacSha1, None);
        }
        // 32 MiB: the first one is taken by the (stuck) forwarder task, 32 wait, 7 are dropped.
        let dropped = forwarder.state.dropped.load(Ordering::Relaxed);
        assert!((7..=8).contains(&dropped), "{dropped}");
        assert_eq!(forwarder.state.status_of(39), Some(ForwardStatus::Dropped));
        let queued = forwarder.state.queued_bytes.load(Ordering::Relaxed);
        assert!(queued <= FORWARD_QUEUE_BYTES, "{queued}");
    }
}
