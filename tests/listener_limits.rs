//! The listener's limits on a real port ([`ServeLimits`]): slow heads and idle keep-alive
//! connections are closed, slow bodies are answered 408, a connection over the cap takes the
//! place of the oldest idle one, and shutdown finishes requests in flight, then cuts the rest.
//!
//! The timeouts are set short here so that each test sees them fire; the assertions are about
//! what happens (closed, 408, counted), never about how long it took.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use callwatch::ingest::public_url::PublicUrl;
use callwatch::ingest::server::{Listener, ServeLimits, serve};
use callwatch::ingest::verdict::Judge;
use callwatch::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use callwatch::twilio::signature::{Algorithm, Secrets, sign_json_delivery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

const TOKEN: &str = "limits-test-token";
const PUBLIC: &str = "https://callwatch.example.test/events";
/// Long enough never to fire within a test.
const NEVER: Duration = Duration::from_secs(600);
/// How long a test waits for something that must happen before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

struct Running {
    addr: String,
    rx: mpsc::Receiver<Delivery>,
    stats: Arc<ListenerStats>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

/// Limits that never fire unless a test shortens one.
fn relaxed() -> ServeLimits {
    ServeLimits {
        header_read_timeout: NEVER,
        request_timeout: NEVER,
        record_timeout: NEVER,
        max_connections: 64,
        shutdown_grace: NEVER,
    }
}

async fn start(limits: ServeLimits) -> Running {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = socket.local_addr().expect("addr").to_string();
    let (tx, rx) = mpsc::channel(1024);
    let secrets = Secrets {
        auth_token: TOKEN.into(),
        shared_key_secret: None,
    };
    let listener = Listener::new(
        PublicUrl::Fixed(PUBLIC.into()),
        Judge::new(Some(secrets), 403),
        tx,
    )
    .with_limits(limits);
    let listener = Arc::new(listener);
    let stats = Arc::clone(&listener.stats);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(socket, listener, async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        rx,
        stats,
        stop: Some(stop),
        server,
    }
}

/// Polls `counter` until it reaches `want`; fails the test after [`PATIENCE`].
async fn until_counted(counter: &AtomicU64, want: u64, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while ListenerStats::get(counter) < want {
        assert!(
            Instant::now() < deadline,
            "{what}: still {}",
            ListenerStats::get(counter)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads until the peer closes; the text read. Fails the test if it stays open.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut text)).await;
    assert!(
        read.is_ok(),
        "the connection was not closed; read so far: {:?}",
        String::from_utf8_lossy(&text)
    );
    String::from_utf8_lossy(&text).into_owned()
}

/// Reads one answer to a request with a small body (one read is enough on loopback).
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
        .await
        .expect("an answer")
        .expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let run = start(ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        ..relaxed()
    })
    .await;
    let mut slow = TcpStream::connect(&run.addr).await.expect("connect");
    slow.write_all(b"POST /events HTTP/1.1\r\nHost: x\r\nX-Twilio-Sig")
        .await
        .expect("part of a head");
    let answer = read_until_closed(&mut slow).await;
    assert_eq!(answer, "", "closed without an answer");
    until_counted(
        &run.stats.connections_timed_out,
        1,
        "the timeout is counted",
    )
    .await;
    assert_eq!(ListenerStats::get(&run.stats.connections_open), 0);
}

#[tokio::test]
async fn keep_alive_serves_several_requests_and_closes_when_idle() {
    let run = start(ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        ..relaxed()
    })
    .await;
    let mut stream = TcpStream::connect(&run.addr).await.expect("connect");
    for _ in 0..3 {
        stream.write_all(HEALTHZ).await.expect("request");
        let answer = read_answer(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    assert_eq!(
        ListenerStats::get(&run.stats.connections_open),
        1,
        "one connection for all three"
    );
    // Left idle, the connection is closed by the server.
    assert_eq!(read_until_closed(&mut stream).await, "");
    until_counted(
        &run.stats.connections_timed_out,
        1,
        "the idle close is counted",
    )
    .await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let mut run = start(ServeLimits {
        request_timeout: Duration::from_millis(300),
        ..relaxed()
    })
    .await;
    let mut stream = TcpStream::connect(&run.addr).await.expect("connect");
    let head = "POST /events?bodySHA256=00 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                X-Twilio-Signature: abc=\r\nContent-Length: 1000\r\n\r\n[{\"id\":";
    stream
        .write_all(head.as_bytes())
        .await
        .expect("head and a bit of body");
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let delivery = tokio::time::timeout(PATIENCE, run.rx.recv())
        .await
        .expect("a delivery")
        .expect("channel open");
    assert_eq!(delivery.status, 408);
    match &delivery.verdict {
        DeliveryVerdict::Malformed(why) => assert!(why.contains("did not arrive"), "{why}"),
        other => panic!("verdict {other:?}"),
    }
    assert_eq!(ListenerStats::get(&run.stats.rejected), 1);
    assert_eq!(ListenerStats::get(&run.stats.accepted), 0);
}

#[tokio::test]
async fn over_the_cap_the_oldest_idle_connection_makes_room_at_once() {
    let run = start(ServeLimits {
        max_connections: 2,
        ..relaxed()
    })
    .await;
    // The oldest: answered, then left idle (keep-alive).
    let mut idle = TcpStream::connect(&run.addr).await.expect("connect");
    idle.write_all(HEALTHZ).await.expect("request");
    assert!(read_answer(&mut idle).await.starts_with("HTTP/1.1 200"));
    // The next: a head that never ends (slowloris).
    let mut slow = TcpStream::connect(&run.addr).await.expect("connect");
    slow.write_all(b"POST /events HTTP/1.1\r\nHost: x\r\nX-Twilio-Sig")
        .await
        .expect("part of a head");
    until_counted(&run.stats.connections_open, 2, "two connections open").await;

    // Over the cap: served at once, and the oldest connection is closed to make room.
    let mut third = TcpStream::connect(&run.addr).await.expect("connect");
    third.write_all(HEALTHZ).await.expect("request");
    assert!(read_answer(&mut third).await.starts_with("HTTP/1.1 200"));
    assert_eq!(read_until_closed(&mut idle).await, "", "closed unanswered");
    assert_eq!(ListenerStats::get(&run.stats.connections_evicted), 1);

    // Then the slow one, now the oldest that is not busy.
    let mut fourth = TcpStream::connect(&run.addr).await.expect("connect");
    fourth.write_all(HEALTHZ).await.expect("request");
    assert!(read_answer(&mut fourth).await.starts_with("HTTP/1.1 200"));
    assert_eq!(read_until_closed(&mut slow).await, "", "closed unanswered");
    assert_eq!(ListenerStats::get(&run.stats.connections_evicted), 2);
    assert_eq!(ListenerStats::get(&run.stats.connections_refused), 0);
    assert_eq!(ListenerStats::get(&run.stats.connections_open), 2);
}

/// A signed delivery to PUBLIC, split into the request head and its body.
fn signed_request(body: &[u8]) -> (String, Vec<u8>) {
    let (full, signature) = sign_json_delivery(TOKEN.as_bytes(), PUBLIC, body, Algorithm::HmacSha1);
    let query = full.split_once('?').map_or("", |(_, q)| q);
    let head = format!(
        "POST /events?{query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    (head, body.to_vec())
}

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/twilio/fixtures/predicted-complete.json"
    ))
    .expect("fixture")
}

#[tokio::test]
async fn shutdown_finishes_a_request_in_flight_and_closes_idle_connections() {
    let mut run = start(relaxed()).await;
    let mut idle = TcpStream::connect(&run.addr).await.expect("connect");
    idle.write_all(HEALTHZ).await.expect("request");
    assert!(read_answer(&mut idle).await.starts_with("HTTP/1.1 200"));

    // A delivery whose body is half sent when shutdown begins.
    let (head, body) = signed_request(&fixture());
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut busy = TcpStream::connect(&run.addr).await.expect("connect");
    busy.write_all(head.as_bytes()).await.expect("head");
    busy.write_all(first_half).await.expect("half a body");
    until_counted(&run.stats.connections_open, 2, "both connections served").await;

    if let Some(stop) = run.stop.take() {
        let _ = stop.send(());
    }
    // The idle connection is closed at once; the server keeps waiting for the busy one.
    assert_eq!(read_until_closed(&mut idle).await, "");
    assert!(
        !run.server.is_finished(),
        "the request in flight is still being served"
    );
    busy.write_all(second_half)
        .await
        .expect("the rest of the body");
    let answer = read_until_closed(&mut busy).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tokio::time::timeout(PATIENCE, run.server)
        .await
        .expect("serve returns")
        .expect("no panic");
    let delivery = run.rx.recv().await.expect("the delivery was handed on");
    assert_eq!(delivery.verdict, DeliveryVerdict::Ok);
    // No new connection is accepted any more.
    assert!(TcpStream::connect(&run.addr).await.is_err());
}

#[tokio::test]
async fn shutdown_cuts_a_request_that_outlasts_the_grace_period() {
    let mut run = start(ServeLimits {
        shutdown_grace: Duration::from_millis(200),
        ..relaxed()
    })
    .await;
    let (head, body) = signed_request(&fixture());
    let mut stuck = TcpStream::connect(&run.addr).await.expect("connect");
    stuck.write_all(head.as_bytes()).await.expect("head");
    stuck.write_all(&body[..10]).await.expect("a bit of body");
    until_counted(&run.stats.connections_open, 1, "the connection is served").await;
    if let Some(stop) = run.stop.take() {
        let _ = stop.send(());
    }
    tokio::time::timeout(PATIENCE, run.server)
        .await
        .expect("serve returns")
        .expect("no panic");
    assert_eq!(
        read_until_closed(&mut stuck).await,
        "",
        "cut without an answer"
    );
    assert_eq!(ListenerStats::get(&run.stats.connections_open), 0);
    assert_eq!(
        ListenerStats::get(&run.stats.accepted),
        0,
        "nothing was acknowledged"
    );
}

#[tokio::test]
async fn an_answer_before_the_whole_body_says_connection_close() {
    // Otherwise a keep-alive client reuses the connection hyper is about to close, and loses
    // its next request.
    let mut run = start(relaxed()).await;
    let mut stream = TcpStream::connect(&run.addr).await.expect("connect");
    let head = "POST /events?bodySHA256=00 HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: abc=\r\n\
                Content-Length: 2000000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(&[b' '; 1000])
        .await
        .expect("a bit of body");
    let answer = read_answer(&mut stream).await.to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 413"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    let delivery = run.rx.recv().await.expect("a delivery");
    assert_eq!(delivery.verdict, DeliveryVerdict::TooLarge);
}
