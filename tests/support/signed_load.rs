//! A load generator for a running listener: distinct call-summary deliveries, signed like
//! Twilio for the listener's public URL, POSTed by many concurrent tasks. Shared by the
//! record/replay tests and the recording benchmark (both include it with `#[path]`).

#![allow(dead_code)] // The tests and the record_throughput bench each use a different part.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};

/// `n` distinct call-summary bodies: the predicted-complete fixture with its event id and call
/// SID made unique, so that none is a duplicate of another.
pub fn distinct_bodies(n: usize) -> Vec<Vec<u8>> {
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/twilio/fixtures/predicted-complete.json"
    ))
    .expect("the fixture is in the repository");
    (0..n)
        .map(|i| {
            fixture
                .replace("EZ00000000000000000000000000000000", &format!("EZ{i:032x}"))
                .replace("CA00000000000000000000000000000000", &format!("CA{i:032x}"))
                .into_bytes()
        })
        .collect()
}

/// A delivery ready to POST: the local URL carrying the signed query, and the signature.
pub struct Signed {
    /// `http://127.0.0.1:PORT/path?bodySHA256=...`.
    pub url: String,
    /// `X-Twilio-Signature`.
    pub signature: String,
    /// The body.
    pub body: Vec<u8>,
}

/// Signs every body for `public_url` with `token`, to be POSTed to `local_base` (`http://ip:port`)
/// on the public URL's path.
pub fn sign_all(
    bodies: Vec<Vec<u8>>,
    public_url: &str,
    local_base: &str,
    token: &str,
) -> Vec<Signed> {
    let path = public_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/");
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    bodies
        .into_iter()
        .map(|body| {
            let (full, signature) =
                sign_json_delivery(token.as_bytes(), public_url, &body, Algorithm::HmacSha1);
            let query = full.split_once('?').map_or("", |(_, q)| q);
            Signed {
                url: format!("{local_base}{path}?{query}"),
                signature,
                body,
            }
        })
        .collect()
}

/// Signs `body` for `public_url` with `token` and POSTs it once to the listener at `local_base`
/// (on the public URL's path), as Twilio would; loopback, so without the environment's proxy.
pub async fn post_signed(
    local_base: &str,
    public_url: &str,
    token: &str,
    body: &[u8],
) -> reqwest::Response {
    let signed = sign_all(vec![body.to_vec()], public_url, local_base, token);
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
        .post(&signed[0].url)
        .header("content-type", "application/json")
        .header("x-twilio-signature", &signed[0].signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("send")
}

/// What a load run saw.
pub struct LoadOutcome {
    /// Indexes of the deliveries answered 2xx.
    pub acknowledged: Vec<usize>,
    /// Deliveries answered with another status.
    pub refused: usize,
    /// Deliveries that got no answer (connection refused or cut).
    pub unanswered: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// POSTs every delivery with `concurrency` tasks (each keeps its connection alive), counting
/// 2xx answers in `acked` as they come.
pub async fn drive(
    deliveries: Arc<Vec<Signed>>,
    concurrency: usize,
    acked: Arc<AtomicUsize>,
) -> LoadOutcome {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (deliveries, next, acked) = (
            Arc::clone(&deliveries),
            Arc::clone(&next),
            Arc::clone(&acked),
        );
        tasks.push(tokio::spawn(async move {
            // No proxy: reqwest would take the machine's `HTTP_PROXY`, even for loopback.
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let (mut ok, mut refused, mut unanswered) = (Vec::new(), 0, 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(d) = deliveries.get(i) else { break };
                let sent = client
                    .post(&d.url)
                    .header("content-type", "application/json")
                    .header("x-twilio-signature", &d.signature)
                    .body(d.body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status().is_success() => {
                        acked.fetch_add(1, Ordering::Relaxed);
                        ok.push(i);
                    }
                    Ok(_) => refused += 1,
                    Err(_) => unanswered += 1,
                }
            }
            (ok, refused, unanswered)
        }));
    }
    let mut outcome = LoadOutcome {
        acknowledged: Vec::new(),
        refused: 0,
        unanswered: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (ok, refused, unanswered) = task.await.expect("load task");
        outcome.acknowledged.extend(ok);
        outcome.refused += refused;
        outcome.unanswered += unanswered;
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// A load running in the background.
pub struct RunningLoad {
    /// What is being sent, in order.
    pub deliveries: Arc<Vec<Signed>>,
    /// 2xx answers so far.
    pub acked: Arc<AtomicUsize>,
    /// The run; its outcome once every delivery was sent.
    pub task: tokio::task::JoinHandle<LoadOutcome>,
}

/// Signs `count` distinct deliveries for `public_url`, and starts POSTing them to `base` with
/// `concurrency` connections.
pub fn start(
    count: usize,
    public_url: &str,
    base: &str,
    token: &str,
    concurrency: usize,
) -> RunningLoad {
    let deliveries = Arc::new(sign_all(distinct_bodies(count), public_url, base, token));
    let acked = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(drive(
        Arc::clone(&deliveries),
        concurrency,
        Arc::clone(&acked),
    ));
    RunningLoad {
        deliveries,
        acked,
        task,
    }
}

impl RunningLoad {
    /// Waits until at least `n` deliveries were acknowledged; panics if that takes a minute.
    pub async fn wait_for_acked(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.acked.load(Ordering::Relaxed) < n {
            assert!(Instant::now() < deadline, "the load made no progress");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// Indexes of deliveries that were answered 2xx but whose body is not among `recorded`.
pub fn acknowledged_but_missing<'a>(
    outcome: &LoadOutcome,
    deliveries: &[Signed],
    recorded: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<usize> {
    let kept: std::collections::HashSet<&[u8]> = recorded.into_iter().collect();
    outcome
        .acknowledged
        .iter()
        .copied()
        .filter(|&i| !kept.contains(&deliveries[i].body[..]))
        .collect()
}
