//! The listener on a real port: signed deliveries are applied; tampered, unsigned, malformed
//! and oversize ones get their status and change nothing.

#[path = "support/hermetic.rs"]
mod hermetic;

use std::sync::Arc;
use std::time::Duration;

use callwatch::ingest::public_url::PublicUrl;
use callwatch::ingest::server::{Listener, serve};
use callwatch::ingest::verdict::Judge;
use callwatch::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use callwatch::session::Session;
use callwatch::twilio::signature::{Algorithm, Secrets, compute_signature, sign_json_delivery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

const TOKEN: &str = "test-auth-token";
const PUBLIC: &str = "https://callwatch.example.ngrok.app/events";

struct Running {
    base: String,
    rx: mpsc::Receiver<Delivery>,
    stats: Arc<ListenerStats>,
    _stop: oneshot::Sender<()>,
}

async fn start(reject_status: u16) -> Running {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel(1024);
    let secrets = Secrets {
        auth_token: TOKEN.into(),
        shared_key_secret: None,
    };
    let listener = Arc::new(Listener::new(
        PublicUrl::Fixed(PUBLIC.into()),
        Judge::new(Some(secrets), reject_status),
        tx,
    ));
    let stats = Arc::clone(&listener.stats);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    tokio::spawn(serve(socket, listener, async move {
        let _ = stop_rx.await;
    }));
    Running {
        base: format!("http://{addr}"),
        rx,
        stats,
        _stop: stop_tx,
    }
}

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/twilio/fixtures/predicted-complete.json"
    ))
    .expect("fixture")
}

/// Signs like Twilio for PUBLIC and returns (local URL with the same query, signature).
fn signed(run: &Running, token: &str, body: &[u8]) -> (String, String) {
    let (full, sig) = sign_json_delivery(token.as_bytes(), PUBLIC, body, Algorithm::HmacSha1);
    let query = full.split_once('?').expect("query").1;
    (format!("{}/events?{query}", run.base), sig)
}

async fn post(url: &str, sig: Option<&str>, body: Vec<u8>) -> u16 {
    let client = hermetic::http_client();
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(sig) = sig {
        req = req.header("x-twilio-signature", sig);
    }
    req.send().await.expect("send").status().as_u16()
}

async fn next(run: &mut Running) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), run.rx.recv())
        .await
        .expect("a delivery within 5 s")
        .expect("channel open")
}

#[tokio::test]
async fn signed_delivery_is_applied_and_duplicate_is_recognised() {
    let mut run = start(403).await;
    let body = fixture();
    let (url, sig) = signed(&run, TOKEN, &body);
    assert_eq!(post(&url, Some(&sig), body.clone()).await, 200);
    let d = next(&mut run).await;
    assert_eq!(d.verdict, DeliveryVerdict::Ok);
    assert_eq!(d.event_count, 1);
    assert_eq!(d.events.len(), 1);
    assert_eq!(
        d.event_types,
        ["com.twilio.voice.insights.call-summary.predicted-complete"]
    );
    let mut session = Session::new();
    session.ingest(d, |_, _| {});
    let call = session
        .store
        .get("CA00000000000000000000000000000000")
        .expect("call applied");
    assert_eq!(call.summary.call_state.as_str(), "canceled");

    // Twilio delivers at least once: the same event again is acknowledged, not applied.
    assert_eq!(post(&url, Some(&sig), body).await, 200);
    let d = next(&mut run).await;
    assert_eq!(d.verdict, DeliveryVerdict::Duplicate);
    assert!(d.events.is_empty());
    assert_eq!(ListenerStats::get(&run.stats.accepted), 2);
    assert_eq!(ListenerStats::get(&run.stats.rejected), 0);
}

#[tokio::test]
async fn bad_deliveries_get_their_status_and_change_nothing() {
    let mut run = start(403).await;
    let body = fixture();
    let (url, sig) = signed(&run, TOKEN, &body);

    // Tampered body: same URL and signature, one byte changed.
    let mut tampered = body.clone();
    let pos = tampered
        .iter()
        .position(|&b| b == b'+')
        .expect("a + in the fixture");
    tampered[pos] = b'-';
    assert_eq!(post(&url, Some(&sig), tampered).await, 403);
    assert_eq!(next(&mut run).await.verdict, DeliveryVerdict::BadBodyHash);

    // Tampered URL: a query parameter added after signing.
    assert_eq!(
        post(&format!("{url}&extra=1"), Some(&sig), body.clone()).await,
        403
    );
    assert_eq!(next(&mut run).await.verdict, DeliveryVerdict::BadSignature);

    // Wrong token.
    let (url2, wrong_sig) = signed(&run, "another-token", &body);
    assert_eq!(post(&url2, Some(&wrong_sig), body.clone()).await, 403);
    assert_eq!(next(&mut run).await.verdict, DeliveryVerdict::BadSignature);

    // Missing header.
    assert_eq!(post(&url, None, body.clone()).await, 403);
    assert_eq!(
        next(&mut run).await.verdict,
        DeliveryVerdict::MissingSignature
    );

    // No bodySHA256 in the URL.
    let sig_plain = compute_signature(TOKEN.as_bytes(), PUBLIC, &[], Algorithm::HmacSha1);
    assert_eq!(
        post(
            &format!("{}/events", run.base),
            Some(&sig_plain),
            body.clone()
        )
        .await,
        403
    );
    assert_eq!(next(&mut run).await.verdict, DeliveryVerdict::BadBodyHash);

    // Malformed JSON, correctly signed.
    let junk = b"[{\"type\": ".to_vec();
    let (url3, sig3) = signed(&run, TOKEN, &junk);
    assert_eq!(post(&url3, Some(&sig3), junk).await, 400);
    let d = next(&mut run).await;
    assert!(
        matches!(d.verdict, DeliveryVerdict::Malformed(_)),
        "{:?}",
        d.verdict
    );

    // Oversize body, announced by Content-Length.
    let big = vec![b' '; 1024 * 1024 + 1];
    let (url4, sig4) = signed(&run, TOKEN, &big);
    assert_eq!(post(&url4, Some(&sig4), big).await, 413);
    assert_eq!(next(&mut run).await.verdict, DeliveryVerdict::TooLarge);

    // None of them changed anything.
    assert_eq!(ListenerStats::get(&run.stats.accepted), 0);
    assert_eq!(ListenerStats::get(&run.stats.rejected), 7);
    let mut session = Session::new();
    while let Ok(d) = run.rx.try_recv() {
        session.ingest(d, |_, _| {});
    }
    assert!(session.store.is_empty());
}

#[tokio::test]
async fn oversize_chunked_body_is_refused_while_reading() {
    let mut run = start(403).await;
    let addr = run.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = "POST /events?bodySHA256=00 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
                X-Twilio-Signature: abc=\r\nContent-Type: application/json\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = vec![b'a'; 64 * 1024];
    // 17 chunks of 64 KiB = 1.06 MiB; the listener stops reading past 1 MiB.
    for _ in 0..17 {
        let sized = format!("{:x}\r\n", chunk.len());
        if stream.write_all(sized.as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 256];
    let n = stream.read(&mut answer).await.expect("answer");
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(next(&mut run).await.verdict, DeliveryVerdict::TooLarge);
}

#[tokio::test]
async fn reject_status_is_configurable() {
    let mut run = start(503).await;
    let body = fixture();
    let (url, _) = signed(&run, TOKEN, &body);
    assert_eq!(
        post(&url, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="), body).await,
        503
    );
    let d = next(&mut run).await;
    assert_eq!((d.status, d.verdict), (503, DeliveryVerdict::BadSignature));
}

#[tokio::test]
async fn other_routes() {
    let mut run = start(403).await;
    let client = hermetic::http_client();
    let get = |path: &str| client.get(format!("{}{path}", run.base)).send();
    assert_eq!(
        get("/healthz").await.expect("healthz").status().as_u16(),
        200
    );
    assert_eq!(get("/nope").await.expect("404").status().as_u16(), 404);
    let resp = get("/events").await.expect("405");
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    assert_eq!(
        next(&mut run).await.verdict,
        DeliveryVerdict::MethodNotAllowed
    );
}

#[tokio::test]
async fn a_post_to_another_path_is_listed_with_the_fix() {
    let mut run = start(403).await;
    let body = fixture();
    let (url, sig) = signed(&run, TOKEN, &body);
    // The sink's destination URL ends in /webhook, callwatch's public URL in /events.
    let wrong = url.replace("/events?", "/webhook?");
    assert_eq!(post(&wrong, Some(&sig), body.clone()).await, 404);
    let d = next(&mut run).await;
    assert_eq!((d.status, d.verdict.as_str()), (404, "wrong_path"));
    assert_eq!(d.path, "/webhook");
    assert!(d.events.is_empty(), "nothing of it is applied");
    assert_eq!(d.body_len, body.len());
    assert_eq!(
        d.signed_url, None,
        "no signature is checked for another path"
    );
    let diagnosis = d.diagnosis.expect("a diagnosis");
    assert_eq!(
        diagnosis.reason,
        "POST to /webhook, not to the events path /events"
    );
    assert!(
        diagnosis
            .hint
            .starts_with("a Twilio-signed POST reached this listener at /webhook")
            && diagnosis
                .hint
                .contains("end the sink's destination URL with /events"),
        "{}",
        diagnosis.hint
    );
    assert_eq!(ListenerStats::get(&run.stats.rejected), 1);
    assert_eq!(
        ListenerStats::get(&run.stats.last_delivery_ms),
        0,
        "not a delivery to the events path"
    );
    // Unsigned: said so; other methods on other paths stay plain 404s, not listed.
    assert_eq!(
        post(&format!("{}/", run.base), None, b"{}".to_vec()).await,
        404
    );
    let d = next(&mut run).await;
    assert!(
        d.diagnosis
            .expect("diagnosis")
            .hint
            .starts_with("a POST reached this listener at /")
    );
    let client = hermetic::http_client();
    let resp = client
        .get(format!("{}/favicon.ico", run.base))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status().as_u16(), 404);
    // The connection still serves a correct delivery afterwards.
    let (url, sig) = signed(&run, TOKEN, &body);
    assert_eq!(post(&url, Some(&sig), body).await, 200);
    let d = next(&mut run).await;
    assert_eq!(d.verdict, DeliveryVerdict::Ok, "the GET was not listed");
}
