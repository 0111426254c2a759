//! The hyper 1.x listener Twilio delivers to.
//!
//! Routes: `POST <events path>` (the path of the public URL) is judged and answered at once;
//! `GET /healthz` answers 200; another method on the events path gets 405; anything else 404.
//! Every request to the events path becomes a [`Delivery`] on the presentation channel, and
//! so does a POST to any other path (verdict `wrong_path`, answered 404 unread): a sink whose
//! destination URL has the wrong path then shows in the deliveries view with the fix, instead
//! of as silence.
//!
//! The listener is meant to be left open to the internet behind a tunnel, so every resource a
//! client can hold is bounded ([`ServeLimits`]): time to send a request's head and body,
//! connections at once, body size, and the time shutdown waits for requests in flight.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::connections::{ConnectionState, ConnectionTable, OpenConnection};
use super::public_url::{PublicUrl, header_str};
use super::record::{self, Recorder};
use super::refusal_log::{LogTurn, REFUSAL_LOG_WINDOW, REFUSALS_LOGGED, RefusalLog};
use super::verdict::{DeliveryVerdict, Judge, signed_url};
use super::{
    Delivery, HEADER_VALUE_KEPT, HEADERS_KEPT, Headers, ListenerStats, MAX_BODY_BYTES, QueueBudget,
    QueueTicket,
};
use crate::twilio::signature::SignatureVerdict;

/// What a client may hold, and for how long. The defaults suit a sink behind a tunnel: Twilio
/// sends small bodies at once and gives up on an answer after 5 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeLimits {
    /// A request's head (request line and headers) must arrive within this, or the
    /// connection is closed without an answer. hyper starts the same clock whenever a
    /// keep-alive connection waits for its next request, so it is also the idle timeout of
    /// keep-alive connections.
    pub header_read_timeout: Duration,
    /// Once the head is in, the body must arrive within this: 408 otherwise (verdict
    /// `malformed`, the reason says the body timed out).
    pub request_timeout: Duration,
    /// How long an acknowledgement waits for its `--record` line to be durable: 503 past it
    /// (verdict `not_recorded`), so the handler's total time is bounded by
    /// `request_timeout + record_timeout`.
    pub record_timeout: Duration,
    /// Connections served at once (`--max-connections`). A connection accepted over the cap
    /// takes the place of the oldest connection that is not busy with a request (idle
    /// keep-alive, a head or body still arriving), which is closed; when every connection is
    /// busy, the new one is closed unanswered. Both are counted in [`ListenerStats`]. Nothing
    /// waits: the accept loop never pauses, so a valid delivery is never queued behind a flood.
    pub max_connections: usize,
    /// How long shutdown lets requests in flight finish before their connections are cut.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    /// Twilio sends a delivery's head and body at once and gives up after 5 s: a client
    /// slower than that is not Twilio, and a connection idle for 5 s is closed.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            record_timeout: Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Connections served at once unless `--max-connections` says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Everything a running listener shares between its connections.
pub struct Listener {
    /// Where the signed URL comes from.
    pub public_url: PublicUrl,
    /// The events path, computed once.
    events_path: String,
    /// Signature, parsing and duplicate checks.
    pub judge: Judge,
    /// Counters the screen shows.
    pub stats: Arc<ListenerStats>,
    /// Where judged deliveries go.
    tx: mpsc::Sender<Delivery>,
    /// Arrival counter.
    seq: AtomicU64,
    /// The `--record` file, when recording.
    recorder: Option<Recorder>,
    /// Timeouts and the connection cap.
    limits: ServeLimits,
    /// The presentation channel's byte budget.
    budget: QueueBudget,
    /// Whether refused requests go into the recording too (`--record-refused`).
    record_refused: bool,
    /// How many refused requests may still be logged one by one.
    refusal_log: RefusalLog,
    /// `--forward-to`: where verified, non-duplicate deliveries are sent on.
    forwarder: Option<super::forward::Forwarder>,
}

impl Listener {
    /// A listener that sends judged deliveries to `tx`.
    pub fn new(public_url: PublicUrl, judge: Judge, tx: mpsc::Sender<Delivery>) -> Self {
        let events_path = public_url.events_path();
        Self {
            public_url,
            events_path,
            judge,
            stats: Arc::new(ListenerStats::default()),
            tx,
            seq: AtomicU64::new(0),
            recorder: None,
            limits: ServeLimits::default(),
            budget: QueueBudget::default(),
            record_refused: false,
            refusal_log: RefusalLog::default(),
            forwarder: None,
        }
    }

    /// Offers every verified, non-duplicate delivery to `forwarder` (`--forward-to`), without
    /// waiting for it.
    pub fn with_forwarder(mut self, forwarder: super::forward::Forwarder) -> Self {
        self.forwarder = Some(forwarder);
        self
    }

    /// Counts queued deliveries against `budget` instead of the default one; the consumer's
    /// [`super::DeliveryFeed`] gives the bytes back.
    pub fn with_queue_budget(mut self, budget: QueueBudget) -> Self {
        self.budget = budget;
        self
    }

    /// Records refused requests too (`--record-refused`), cut down as the deliveries log keeps
    /// them ([`Delivery::shrink_refused`]).
    pub fn recording_refused(mut self, on: bool) -> Self {
        self.record_refused = on;
        self
    }

    /// Serves with these limits instead of the defaults.
    pub fn with_limits(mut self, limits: ServeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits [`serve`] applies.
    pub fn limits(&self) -> &ServeLimits {
        &self.limits
    }

    /// Records every request to the events path with `recorder`; deliveries are then answered
    /// 2xx only once their line is durable (see [`super::record`]). Open the recorder with this
    /// listener's [`Self::stats`] so that the screen sees its errors.
    pub fn with_recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Numbers deliveries from `last + 1`, after the ones `--resume` showed first.
    pub fn numbering_after(self, last: u64) -> Self {
        self.seq.store(last, Ordering::Relaxed);
        self
    }

    /// The path deliveries are POSTed to.
    pub fn events_path(&self) -> &str {
        &self.events_path
    }

    async fn handle(
        &self,
        req: Request<Incoming>,
        conn: &ConnectionState,
    ) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        let wrong_path = path != self.events_path;
        if wrong_path && req.method() != Method::POST {
            return if path == "/healthz" && req.method() == Method::GET {
                text(StatusCode::OK, "ok\n")
            } else {
                text(StatusCode::NOT_FOUND, "not found\n")
            };
        }
        let started = Instant::now();
        let received_at = SystemTime::now();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        if !wrong_path {
            self.stats.arrived(received_at);
        }
        let path = path.to_owned();
        let (parts, body) = req.into_parts();
        let method = parts.method;
        let query = parts.uri.query().unwrap_or("").to_owned();
        let headers = parts.headers;

        let mut delivery = Delivery {
            seq,
            received_at,
            method: method.to_string(),
            path,
            query,
            headers: redacted_headers(&headers),
            body: Bytes::new(),
            body_len: 0,
            status: 0,
            verdict: DeliveryVerdict::Ok,
            signature: None,
            signed_url: None,
            events: Vec::new(),
            event_count: 0,
            event_types: Vec::new(),
            handling: Duration::ZERO,
            diagnosis: None,
            queued: QueueTicket::default(),
            call_sids: Vec::new(),
        };

        let announced = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if wrong_path {
            delivery.status = 404;
            delivery.verdict = DeliveryVerdict::WrongPath;
            delivery.body_len = announced.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
            self.finish(delivery, started);
            return closing(text(StatusCode::NOT_FOUND, "not found\n"));
        }
        // What Twilio signed for this request: nothing is checked against it for another path.
        let public = self.public_url.for_request(&headers);
        delivery.signed_url = Some(signed_url(&public, &delivery.query));
        if method != Method::POST {
            delivery.status = 405;
            delivery.verdict = DeliveryVerdict::MethodNotAllowed;
            self.finish(delivery, started);
            let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
            resp.headers_mut()
                .insert(header::ALLOW, http::HeaderValue::from_static("POST"));
            return resp;
        }

        if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            delivery.body_len = announced.unwrap_or(0) as usize;
            return self.too_large(delivery, started);
        }
        let read = Limited::new(body, MAX_BODY_BYTES).collect();
        let body = match tokio::time::timeout(self.limits.request_timeout, read).await {
            // A copy of its own: hyper's read buffer is then free again for the next request
            // on this connection, instead of being held by the delivery (and then by the
            // deliveries log, 1,000 of them) and replaced by a fresh allocation each time.
            Ok(Ok(collected)) => Bytes::copy_from_slice(&collected.to_bytes()),
            Err(_) => {
                // A slow client must not hold the connection and the handler: the unread rest
                // of the body makes hyper close the connection after this answer.
                let waited = self.limits.request_timeout.as_secs_f64();
                delivery.status = 408;
                delivery.verdict = DeliveryVerdict::Malformed(format!(
                    "the body did not arrive within {waited} s of the headers"
                ));
                self.finish(delivery, started);
                return closing(text(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("request timeout: the body did not arrive within {waited} s\n"),
                ));
            }
            Ok(Err(e)) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    delivery.body_len = MAX_BODY_BYTES + 1;
                    return self.too_large(delivery, started);
                }
                // The client went away mid-body: nothing to answer to, nothing to apply.
                delivery.status = 400;
                delivery.verdict =
                    DeliveryVerdict::Malformed(format!("body could not be read: {e}"));
                self.finish(delivery, started);
                return closing(text(StatusCode::BAD_REQUEST, "body could not be read\n"));
            }
        };

        // Read whole: from here on the connection is not closed to make room for another.
        let _busy = conn.busy();
        let judgement = self.judge.judge(
            delivery.signed_url.as_deref().unwrap_or_default(),
            header_str(&headers, "x-twilio-signature"),
            header_str(&headers, "x-twilio-webhooks-signature-settings"),
            &body,
        );
        delivery.body_len = body.len();
        delivery.body = body;
        delivery.status = judgement.status;
        delivery.verdict = judgement.verdict;
        delivery.signature = judgement.signature;
        delivery.events = judgement.fresh_events;
        delivery.event_count = judgement.event_count;
        delivery.event_types = judgement.event_types;
        // With --record, the answer is decided only once the line is durable: never 2xx for a
        // delivery that is not in the file.
        if delivery.verdict.is_accepted()
            && let Some(recorder) = &self.recorder
            && let Err(e) = self.record_durably(recorder, &delivery).await
        {
            self.judge.forget(&delivery.events);
            delivery.events.clear();
            delivery.status = 503;
            delivery.verdict = DeliveryVerdict::NotRecorded;
            self.finish(delivery, started);
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not recorded, retry later: {e}\n"),
            );
        }
        // Only once accepted (verified, not a duplicate, recorded if recording): offered
        // without waiting, so the forward never delays the answer.
        if delivery.verdict == DeliveryVerdict::Ok
            && let Some(forwarder) = &self.forwarder
            && let Some(SignatureVerdict::Valid { algorithm, .. }) = &delivery.signature
        {
            forwarder.offer(
                delivery.seq,
                delivery.body.clone(),
                *algorithm,
                header_str(&headers, "x-twilio-webhooks-signature-settings"),
            );
        }
        let status = StatusCode::from_u16(delivery.status).unwrap_or(StatusCode::FORBIDDEN);
        let message: Bytes = match &delivery.verdict {
            DeliveryVerdict::Ok | DeliveryVerdict::Duplicate | DeliveryVerdict::TooOld => {
                Bytes::from_static(b"ok\n")
            }
            DeliveryVerdict::Malformed(why) => format!("malformed delivery: {why}\n").into(),
            other => format!("rejected: {}\n", other.as_str()).into(),
        };
        self.finish(delivery, started);
        text(status, message)
    }

    /// Appends the delivery's line and waits until it is durable, at most
    /// [`ServeLimits::record_timeout`]. A line that comes too late may still be written: the
    /// delivery is then in the file twice once Twilio retries it, never missing.
    async fn record_durably(&self, recorder: &Recorder, delivery: &Delivery) -> Result<(), String> {
        let durable = recorder.append_durable(record::line_for(delivery));
        match tokio::time::timeout(self.limits.record_timeout, durable).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "the recording was not durable within {} s",
                self.limits.record_timeout.as_secs_f64()
            )),
        }
    }

    fn too_large(&self, mut delivery: Delivery, started: Instant) -> Response<Full<Bytes>> {
        delivery.status = 413;
        delivery.verdict = DeliveryVerdict::TooLarge;
        self.finish(delivery, started);
        closing(text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body larger than 1 MiB\n",
        ))
    }

    /// Counts the delivery and hands it to the presentation channel without waiting. A refused
    /// request is diagnosed, then cut down to what is kept of it ([`Delivery::shrink_refused`]),
    /// and recorded only with `--record-refused` (accepted deliveries were recorded durably
    /// before their answer was decided).
    fn finish(&self, mut delivery: Delivery, started: Instant) {
        self.stats.answered(&delivery);
        if !delivery.verdict.is_accepted() {
            delivery.diagnosis = super::diagnosis::diagnose(
                &delivery,
                &self.public_url,
                self.judge.secrets.as_ref(),
            );
            delivery.shrink_refused();
            match self.refusal_log.admit(Instant::now()) {
                LogTurn::Detailed { unlogged_before } => {
                    if unlogged_before > 0 {
                        tracing::warn!(
                            unlogged = unlogged_before,
                            "refused requests not logged one by one (at most {REFUSALS_LOGGED} \
                             per {} s; the deliveries view lists them)",
                            REFUSAL_LOG_WINDOW.as_secs()
                        );
                    }
                    tracing::warn!(
                        status = delivery.status,
                        verdict = delivery.verdict.as_str(),
                        path = %log_text(&delivery.path),
                        reason = delivery.diagnosis.as_ref().map(|d| log_text(&d.reason)),
                        hint = delivery.diagnosis.as_ref().map(|d| log_text(&d.hint)),
                        "delivery refused"
                    );
                }
                LogTurn::Counted => {}
            }
            // With --record-refused, the recording holds the refused requests to the events path.
            if self.record_refused
                && !matches!(
                    delivery.verdict,
                    DeliveryVerdict::NotRecorded | DeliveryVerdict::WrongPath
                )
                && let Some(recorder) = &self.recorder
            {
                recorder.append(record::line_for(&delivery));
            }
        }
        delivery.handling = started.elapsed();
        if !self.budget.admit(&mut delivery) || self.tx.try_send(delivery).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How much of a text a refused request brought goes into a log line.
const LOG_TEXT_KEPT: usize = 160;

/// A refused request's text as a log line holds it: its first [`LOG_TEXT_KEPT`] bytes, escaped.
fn log_text(text: &str) -> String {
    let mut kept = crate::text::terminal_safe(text).into_owned();
    crate::text::clip(&mut kept, LOG_TEXT_KEPT);
    kept
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Says `Connection: close` on an answer sent before the body was read to its end. hyper
/// closes such a connection anyway; without the header a keep-alive client would reuse it and
/// lose its next request to the close (seen in `scripts/soak.sh` after every 413).
fn closing(mut resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    resp.headers_mut()
        .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    resp
}

/// What an `Authorization` (or `Proxy-Authorization`) value is kept as.
pub const REDACTED: &str = "[redacted]";

/// The request headers as kept: `Authorization` and `Proxy-Authorization` replaced whole by
/// [`REDACTED`], each value cut to [`HEADER_VALUE_KEPT`] bytes, and at most [`HEADERS_KEPT`]
/// bytes in all; headers past that are counted in one last line.
pub fn redacted_headers(headers: &HeaderMap) -> Headers {
    let mut kept = Headers::default();
    let mut left_out = 0usize;
    for (name, value) in headers {
        if kept.len() + name.as_str().len() + HEADER_VALUE_KEPT.min(value.len()) > HEADERS_KEPT {
            left_out += 1;
            continue;
        }
        if name == header::AUTHORIZATION || name == header::PROXY_AUTHORIZATION {
            // The sink's Basic credentials (or any other) are a secret: nothing of the value is
            // kept, not even a scheme, which need not be followed by a space.
            kept.push(name.as_str(), REDACTED);
            continue;
        }
        let mut value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        crate::text::clip(&mut value, HEADER_VALUE_KEPT);
        kept.push(name.as_str(), &value);
    }
    if left_out > 0 {
        kept.push("…", &format!("{left_out} more headers not kept"));
    }
    kept
}

/// Binds the listening socket (`port` 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Accepts connections until `shutdown` resolves, then lets requests in flight finish (at most
/// [`ServeLimits::shutdown_grace`], five seconds by default: Twilio's own timeout) and cuts the
/// connections still open. When it returns, no handler runs any more: every delivery that was
/// answered 2xx is in the recording, and the presentation channel closes once its other
/// senders are gone.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Listener>,
    shutdown: impl Future<Output = ()>,
) {
    let limits = shared.limits.clone();
    let stats = Arc::clone(&shared.stats);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let table = Arc::new(ConnectionTable::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors or a connection reset before accept: back off
                    // briefly and keep serving.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            // Reap finished connections so the set holds only open ones.
            Some(_) = connections.join_next() => continue,
            () = &mut shutdown => break,
        };
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Over the cap: close the oldest connection that is not busy with a request and
                // take its slot as soon as its task has let go of it (microseconds: it is woken
                // and drops its socket); when every connection is busy, refuse this one.
                let freed = if table.close_oldest_idle() {
                    stats.connections_evicted.fetch_add(1, Ordering::Relaxed);
                    tokio::select! {
                        slot = tokio::time::timeout(EVICTION_WAIT, Arc::clone(&slots).acquire_owned()) => {
                            slot.ok().and_then(Result::ok)
                        }
                        () = &mut shutdown => break,
                    }
                } else {
                    None
                };
                match freed {
                    Some(slot) => slot,
                    None => {
                        stats.connections_refused.fetch_add(1, Ordering::Relaxed);
                        drop(stream);
                        continue;
                    }
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, state) = table.open();
        let open = OpenConnection::new(Arc::clone(&stats), slot);
        let handler = Arc::clone(&shared);
        let busy_flag = Arc::clone(&state);
        let service = service_fn(move |req| {
            let handler = Arc::clone(&handler);
            let state = Arc::clone(&busy_flag);
            async move { Ok::<_, Infallible>(handler.handle(req, &state).await) }
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let table = Arc::clone(&table);
        connections.spawn(async move {
            tokio::select! {
                served = conn => {
                    if let Err(e) = served
                        && e.is_timeout()
                    {
                        open.stats
                            .connections_timed_out
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
                // Closed to make room for a newer connection: dropping the connection closes
                // its socket.
                () = state.close.notified() => {}
            }
            table.remove(id);
            drop(open);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
    // Connections still busy after the grace period are cut: their handlers never answered,
    // so nothing acknowledged is lost.
    connections.shutdown().await;
}

/// How long the accept loop waits for the slot of a connection it closed to make room.
const EVICTION_WAIT: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_is_never_kept() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            "Basic dXNlcjpzZWNyZXQ=".parse().expect("header"),
        );
        h.append("x-note", "a: b".parse().expect("header"));
        h.append("x-note", "second".parse().expect("header"));
        let kept = redacted_headers(&h);
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            [
                ("authorization", "[redacted]"),
                ("x-note", "a: b"),
                ("x-note", "second")
            ]
        );
        assert_eq!(
            kept.get("X-Note"),
            Some("a: b"),
            "the first value, any case"
        );
        assert!(!format!("{kept:?}").contains("dXNlcjpzZWNyZXQ"));
    }

    #[test]
    fn authorization_values_are_redacted_whole_whatever_their_shape() {
        let values = [
            "Basic dXNlcjpzZWNyZXQ=",
            "Bearer\tsecret-token",
            "Bearersecret-token",
            "secret-token",
            "Digest username=\"u\", response=\"secret-token\"",
            "  Basic   secret-token  ",
            "",
        ];
        for value in values {
            for name in ["authorization", "proxy-authorization"] {
                let mut h = HeaderMap::new();
                h.insert(name, value.parse().expect("header"));
                let kept = redacted_headers(&h);
                assert_eq!(kept.get(name), Some(REDACTED), "{name}: {value:?}");
                let shown = format!("{kept:?}");
                assert!(
                    !shown.contains("secret") && !shown.contains("dXNlcjpzZWNyZXQ"),
                    "{name}: {value:?} kept as {shown}"
                );
            }
        }
    }

    #[test]
    fn a_line_break_cannot_split_a_kept_header() {
        let mut kept = Headers::default();
        kept.push("x-odd", "one\ntwo: three");
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            [("x-odd", "one two: three")]
        );
    }
}
