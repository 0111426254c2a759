//! The hyper 1.x listener Twilio delivers to.
//!
//! Routes: `POST <events path>` (the path of the public URL) is judged and answered at once;
//! `GET /healthz` answers 200; another method on the events path gets 405; anything else 404.
//! Every request to the events path becomes a [`Delivery`] on the presentation channel.

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
use tokio::sync::mpsc;

use super::record::{self, Recorder};
use super::verdict::{DeliveryVerdict, Judge, signed_url};
use super::{Delivery, ListenerStats, MAX_BODY_BYTES};

/// Where the public URL that Twilio signed comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicUrl {
    /// A URL given once (`--public-url`, or discovered from a tunnel).
    Fixed(String),
    /// Rebuilt for every request from `X-Forwarded-Proto`/`X-Forwarded-Host`/`Host`, with this
    /// events path (`--trust-forwarded-headers`).
    FromForwardedHeaders {
        /// The events path, e.g. `/events`.
        path: String,
    },
}

impl PublicUrl {
    /// The path deliveries are POSTed to.
    pub fn events_path(&self) -> String {
        match self {
            Self::Fixed(url) => url_path(url),
            Self::FromForwardedHeaders { path } => path.clone(),
        }
    }

    /// The public URL for one request (without query).
    pub fn for_request(&self, headers: &HeaderMap) -> String {
        match self {
            Self::Fixed(url) => url.clone(),
            Self::FromForwardedHeaders { path } => {
                let proto = header_str(headers, "x-forwarded-proto")
                    .and_then(|p| p.split(',').next())
                    .map(str::trim)
                    .unwrap_or("http");
                let host = header_str(headers, "x-forwarded-host")
                    .and_then(|h| h.split(',').next())
                    .map(str::trim)
                    .or_else(|| header_str(headers, "host"))
                    .unwrap_or("localhost");
                format!("{proto}://{host}{path}")
            }
        }
    }

    /// How the URL is shown in the header: the URL itself, or where it comes from.
    pub fn describe(&self) -> String {
        match self {
            Self::Fixed(url) => url.clone(),
            Self::FromForwardedHeaders { path } => format!("from X-Forwarded-* headers, path {path}"),
        }
    }
}

/// The path of an absolute URL (`/` when it has none), without query or fragment.
pub fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_more = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let end = path_and_more.find(['?', '#']).unwrap_or(path_and_more.len());
    path_and_more[..end].to_owned()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

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
        }
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

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        if path != self.events_path {
            return if path == "/healthz" && req.method() == Method::GET {
                text(StatusCode::OK, "ok\n")
            } else {
                text(StatusCode::NOT_FOUND, "not found\n")
            };
        }
        let started = Instant::now();
        let received_at = SystemTime::now();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        self.stats.last_delivery_ms.store(unix_ms(received_at), Ordering::Relaxed);
        let method = req.method().clone();
        let query = req.uri().query().unwrap_or("").to_owned();
        let path = path.to_owned();
        let headers = req.headers().clone();
        let public = self.public_url.for_request(&headers);
        let signed = signed_url(&public, &query);

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
            signed_url: Some(signed.clone()),
            events: Vec::new(),
            event_count: 0,
            event_types: Vec::new(),
            handling: Duration::ZERO,
            diagnosis: None,
        };

        if method != Method::POST {
            delivery.status = 405;
            delivery.verdict = DeliveryVerdict::MethodNotAllowed;
            self.finish(delivery, started);
            let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
            resp.headers_mut().insert(header::ALLOW, http::HeaderValue::from_static("POST"));
            return resp;
        }

        let announced = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            delivery.body_len = announced.unwrap_or(0) as usize;
            return self.too_large(delivery, started);
        }
        let body = match Limited::new(req.into_body(), MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    delivery.body_len = MAX_BODY_BYTES + 1;
                    return self.too_large(delivery, started);
                }
                // The client went away mid-body: nothing to answer to, nothing to apply.
                delivery.status = 400;
                delivery.verdict = DeliveryVerdict::Malformed(format!("body could not be read: {e}"));
                self.finish(delivery, started);
                return text(StatusCode::BAD_REQUEST, "body could not be read\n");
            }
        };

        let judgement = self.judge.judge(
            &signed,
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
            && let Err(e) = recorder.append_durable(record::line_for(&delivery)).await
        {
            self.judge.forget(&delivery.events);
            delivery.events.clear();
            delivery.status = 503;
            delivery.verdict = DeliveryVerdict::NotRecorded;
            self.finish(delivery, started);
            return text(StatusCode::SERVICE_UNAVAILABLE, &format!("not recorded, retry later: {e}\n"));
        }
        let status = StatusCode::from_u16(delivery.status).unwrap_or(StatusCode::FORBIDDEN);
        let message = match &delivery.verdict {
            DeliveryVerdict::Ok | DeliveryVerdict::Duplicate => "ok\n".to_owned(),
            DeliveryVerdict::Malformed(why) => format!("malformed delivery: {why}\n"),
            other => format!("rejected: {}\n", other.as_str()),
        };
        self.finish(delivery, started);
        text(status, &message)
    }

    fn too_large(&self, mut delivery: Delivery, started: Instant) -> Response<Full<Bytes>> {
        delivery.status = 413;
        delivery.verdict = DeliveryVerdict::TooLarge;
        self.finish(delivery, started);
        text(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 1 MiB\n")
    }

    /// Counts the delivery and hands it to the presentation channel without waiting. A refused
    /// delivery is recorded here, without waiting either (accepted ones were recorded durably
    /// before their answer was decided).
    fn finish(&self, mut delivery: Delivery, started: Instant) {
        if delivery.verdict.is_accepted() {
            self.stats.accepted.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.rejected.fetch_add(1, Ordering::Relaxed);
            delivery.diagnosis = super::diagnosis::diagnose(
                &delivery,
                &self.public_url,
                self.judge.secrets.as_ref(),
            );
            if delivery.verdict != DeliveryVerdict::NotRecorded
                && let Some(recorder) = &self.recorder
            {
                recorder.append(record::line_for(&delivery));
            }
        }
        delivery.handling = started.elapsed();
        if self.tx.try_send(delivery).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The request headers, with `Authorization` reduced to its scheme: the sink's Basic
/// credentials are a secret and are never kept.
pub fn redacted_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let value = if name == header::AUTHORIZATION {
                let scheme = value.split_whitespace().next().unwrap_or("");
                format!("{scheme} [redacted]")
            } else {
                value
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// Binds the listening socket (`port` 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Accepts connections until `shutdown` resolves, then lets requests in flight finish (at most
/// five seconds, Twilio's own timeout).
pub async fn serve(listener: TcpListener, shared: Arc<Listener>, shutdown: impl Future<Output = ()>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(pair) => pair,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before accept: back off
                        // briefly and keep serving.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let service = service_fn(move |req| {
                    let shared = Arc::clone(&shared);
                    async move { Ok::<_, Infallible>(shared.handle(req).await) }
                });
                let conn = http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_takes_the_path_only() {
        assert_eq!(url_path("https://abc.ngrok.app/events?x=1"), "/events");
        assert_eq!(url_path("https://user:pw@abc.ngrok.app:8443/a/b#f"), "/a/b");
        assert_eq!(url_path("https://abc.ngrok.app"), "/");
    }

    #[test]
    fn forwarded_headers_rebuild_the_public_url() {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:8080".parse().expect("header"));
        let p = PublicUrl::FromForwardedHeaders { path: "/events".into() };
        assert_eq!(p.for_request(&h), "http://127.0.0.1:8080/events");
        h.insert("x-forwarded-proto", "https".parse().expect("header"));
        h.insert("x-forwarded-host", "abc.ngrok.app".parse().expect("header"));
        assert_eq!(p.for_request(&h), "https://abc.ngrok.app/events");
    }

    #[test]
    fn authorization_is_never_kept() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Basic dXNlcjpzZWNyZXQ=".parse().expect("header"));
        let kept = redacted_headers(&h);
        assert_eq!(kept, [("authorization".to_owned(), "Basic [redacted]".to_owned())]);
    }
}
