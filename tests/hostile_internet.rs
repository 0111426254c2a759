//! What an anonymous or hostile sender can make callwatch keep, and what a captured delivery
//! sent again does: through the real listener (in process, to look at what is kept) and the
//! real binary (for the recording, restarts and the ndjson lines).
//!
//! The sizes asserted are the limits the README's Security section states.

mod listen_process;
#[path = "support/signed_load.rs"]
mod signed_load;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use callwatch::ingest::public_url::PublicUrl;
use callwatch::ingest::server::{Listener, serve};
use callwatch::ingest::verdict::Judge;
use callwatch::ingest::{
    Delivery, HEADERS_KEPT, MAX_BODY_BYTES, REFUSED_BODY_KEPT, REFUSED_TEXT_KEPT,
};
use callwatch::twilio::signature::Secrets;
use listen_process::ListenProcess;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

const TOKEN: &str = "hostile-test-token";
const PUBLIC: &str = "https://sink.example.test/events";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile_internet");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    let mut rotated = path.as_os_str().to_owned();
    rotated.push(".1");
    let _ = std::fs::remove_file(PathBuf::from(rotated));
    path
}

/// `callwatch listen --output ndjson` on a free port, with its own log (and, as every test's,
/// no config file: see `listen_process::callwatch`).
fn listen(extra: &[&str]) -> ListenProcess {
    let log = scratch(&format!("log-{}.log", std::process::id()));
    let mut args = vec![
        "--port",
        "0",
        "--public-url",
        PUBLIC,
        "--auth-token",
        TOKEN,
        "--log-file",
        log.to_str().expect("path"),
    ];
    args.extend_from_slice(extra);
    ListenProcess::start(&args, &[])
}

/// The predicted-complete fixture as event `n` of call `n`, with its CloudEvent `time` set.
fn delivery_body(n: u32, time: &str) -> Vec<u8> {
    let body = signed_load::distinct_bodies(n as usize + 1)
        .pop()
        .expect("a body");
    String::from_utf8(body)
        .expect("utf-8")
        .replace("2020-07-23T22:56:33.000Z", time)
        .into_bytes()
}

fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

async fn post_signed(base: &str, body: &[u8]) -> reqwest::Response {
    signed_load::post_signed(base, PUBLIC, TOKEN, body).await
}

async fn post_unsigned(base: &str, path: &str, body: Vec<u8>) -> u16 {
    listen_process::http_client()
        .post(format!("{base}{path}"))
        .body(body)
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

fn file_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_sent_again_after_a_restart_is_a_duplicate_without_resume() {
    let recording = scratch("restart.ndjson");
    let record = ["--record", recording.to_str().expect("path")];
    let body = delivery_body(1, &rfc3339(SystemTime::now()));

    let mut first = listen(&record);
    assert_eq!(post_signed(&first.base(), &body).await.status(), 200);
    let lines = first.wait_for("the call", |l| l.iter().any(|l| l["type"] == "call"));
    let delivery = lines
        .iter()
        .find(|l| l["type"] == "delivery")
        .expect("delivery");
    assert_eq!(delivery["verdict"], "ok");
    first.terminate();

    // Restarted on the same recording, without --resume: the captured delivery sent again is
    // answered 2xx (Twilio's retry would be too) but not applied.
    let mut second = listen(&record);
    assert_eq!(post_signed(&second.base(), &body).await.status(), 200);
    let lines = second.wait_for("the delivery", |l| {
        l.iter().any(|l| l["type"] == "delivery")
    });
    let delivery = lines
        .iter()
        .find(|l| l["type"] == "delivery")
        .expect("delivery");
    assert_eq!(delivery["verdict"], "duplicate", "{delivery}");
    // A new event still is applied.
    let fresh = delivery_body(2, &rfc3339(SystemTime::now()));
    assert_eq!(post_signed(&second.base(), &fresh).await.status(), 200);
    let lines = second.wait_for("the new call", |l| l.iter().any(|l| l["type"] == "call"));
    let calls: Vec<&Value> = lines.iter().filter(|l| l["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "only the new event: {calls:?}");
    assert_eq!(calls[0]["event_id"], format!("EZ{:032x}", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_older_than_the_retry_horizon_is_stale_and_max_event_age_sets_it_aside() {
    let now = SystemTime::now();
    let old = rfc3339(now - Duration::from_secs(5 * 3600));
    let recent = rfc3339(now - Duration::from_secs(60));

    let mut plain = listen(&[]);
    assert_eq!(
        post_signed(&plain.base(), &delivery_body(1, &old))
            .await
            .status(),
        200
    );
    assert_eq!(
        post_signed(&plain.base(), &delivery_body(2, &recent))
            .await
            .status(),
        200
    );
    let lines = plain.wait_for("two calls", |l| {
        l.iter().filter(|l| l["type"] == "call").count() == 2
    });
    let calls: Vec<&Value> = lines.iter().filter(|l| l["type"] == "call").collect();
    assert_eq!(calls[0]["stale"], true, "{}", calls[0]);
    assert_eq!(calls[1]["stale"], false, "{}", calls[1]);

    let mut strict = listen(&["--max-event-age", "1h"]);
    let answer = post_signed(&strict.base(), &delivery_body(1, &old)).await;
    assert_eq!(
        answer.status(),
        200,
        "answered 2xx: a retry would be as old"
    );
    assert_eq!(
        post_signed(&strict.base(), &delivery_body(2, &recent))
            .await
            .status(),
        200
    );
    let lines = strict.wait_for("two deliveries and a call", |l| {
        l.iter().filter(|l| l["type"] == "delivery").count() == 2
            && l.iter().any(|l| l["type"] == "call")
    });
    let verdicts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "delivery")
        .map(|l| &l["verdict"])
        .collect();
    assert_eq!(verdicts, ["too_old", "ok"]);
    let calls: Vec<&Value> = lines.iter().filter(|l| l["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["event_id"], format!("EZ{:032x}", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_recorded_only_with_record_refused_and_then_cut_down() {
    let big = vec![0x1bu8; 200 * 1024];
    let long_path = format!("/events?{}", "q".repeat(20_000));

    let recording = scratch("refused-default.ndjson");
    let mut default = listen(&["--record", recording.to_str().expect("path")]);
    for _ in 0..20 {
        assert_eq!(
            post_unsigned(&default.base(), &long_path, big.clone()).await,
            403
        );
    }
    let accepted = delivery_body(1, &rfc3339(SystemTime::now()));
    assert_eq!(post_signed(&default.base(), &accepted).await.status(), 200);
    default.wait_for("21 deliveries", |l| {
        l.iter().filter(|l| l["type"] == "delivery").count() == 21
    });
    default.terminate();
    let lines = file_lines(&recording);
    assert_eq!(lines.len(), 1, "only the accepted delivery is recorded");
    assert_eq!(lines[0]["verdict"], "ok");

    let recording = scratch("refused-kept.ndjson");
    let mut keeping = listen(&[
        "--record",
        recording.to_str().expect("path"),
        "--record-refused",
    ]);
    for _ in 0..20 {
        assert_eq!(
            post_unsigned(&keeping.base(), &long_path, big.clone()).await,
            403
        );
    }
    keeping.wait_for("20 deliveries", |l| {
        l.iter().filter(|l| l["type"] == "delivery").count() == 20
    });
    keeping.terminate();
    let lines = file_lines(&recording);
    assert_eq!(lines.len(), 20);
    let size = std::fs::metadata(&recording).expect("recording").len();
    assert!(
        size < 20 * 16 * 1024,
        "20 refused requests of 200 KiB took {size} bytes"
    );
    assert_eq!(lines[0]["bytes"], 200 * 1024, "the full size is said");
    assert_eq!(lines[0]["verdict"], "missing_signature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recording_is_rotated_at_its_maximum_size() {
    let recording = scratch("rotating.ndjson");
    let mut run = listen(&[
        "--record",
        recording.to_str().expect("path"),
        "--record-max-size",
        "16KiB",
    ]);
    let now = rfc3339(SystemTime::now());
    let count = 30;
    for n in 0..count {
        assert_eq!(
            post_signed(&run.base(), &delivery_body(n, &now))
                .await
                .status(),
            200
        );
    }
    run.wait_for("every delivery", |l| {
        l.iter().filter(|l| l["type"] == "delivery").count() == count as usize
    });
    run.terminate();
    let mut rotated = recording.as_os_str().to_owned();
    rotated.push(".1");
    let rotated = PathBuf::from(rotated);
    let current = std::fs::metadata(&recording).expect("FILE").len();
    let previous = std::fs::metadata(&rotated).expect("FILE.1").len();
    assert!(current <= 16 * 1024, "FILE is {current} bytes");
    assert!(previous <= 16 * 1024, "FILE.1 is {previous} bytes");
    // Whole lines on both sides, and the newest deliveries in FILE.
    let kept: Vec<Value> = file_lines(&rotated)
        .into_iter()
        .chain(file_lines(&recording))
        .collect();
    assert!(!kept.is_empty());
    let last = kept.last().expect("a line");
    let body: Value = serde_json::from_str(last["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(
        body[0]["id"],
        format!("EZ{:032x}", count - 1),
        "the newest delivery is last"
    );
}

/// A listener in process, to look at what it keeps of each request.
struct InProcess {
    base: String,
    rx: mpsc::Receiver<Delivery>,
    _stop: oneshot::Sender<()>,
}

async fn in_process() -> InProcess {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel(64);
    let secrets = Secrets {
        auth_token: TOKEN.into(),
        shared_key_secret: None,
    };
    let listener = Arc::new(Listener::new(
        PublicUrl::Fixed(PUBLIC.into()),
        Judge::new(Some(secrets), 403),
        tx,
    ));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(socket, listener, async move {
        let _ = stopped.await;
    }));
    InProcess {
        base: format!("http://{addr}"),
        rx,
        _stop: stop,
    }
}

#[tokio::test]
async fn a_refused_request_keeps_a_fixed_small_amount_whatever_it_sent() {
    let mut run = in_process().await;
    let query = "x".repeat(30_000);
    let mut request = listen_process::http_client()
        .post(format!("{}/events?{query}", run.base))
        .header("authorization", "Bearer.secret-without-a-space");
    for i in 0..60 {
        request = request.header(format!("x-filler-{i}"), "v".repeat(3900));
    }
    let status = request
        .body(vec![b'{'; MAX_BODY_BYTES])
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status.as_u16(), 403);
    let delivery = run.rx.recv().await.expect("a delivery");
    assert_eq!(delivery.body_len, MAX_BODY_BYTES, "the size is kept");
    assert_eq!(
        delivery.body.len(),
        REFUSED_BODY_KEPT,
        "only a prefix of the body"
    );
    assert!(delivery.body_clipped());
    assert!(
        delivery.query.len() <= REFUSED_TEXT_KEPT + 32,
        "{}",
        delivery.query.len()
    );
    assert!(
        delivery.signed_url.as_deref().unwrap_or_default().len() <= REFUSED_TEXT_KEPT + 32,
        "signed URL kept whole"
    );
    assert!(
        delivery.headers.len() <= HEADERS_KEPT + 64,
        "{} bytes of headers kept",
        delivery.headers.len()
    );
    assert_eq!(delivery.headers.get("authorization"), Some("[redacted]"));
    assert!(
        delivery
            .headers
            .get("…")
            .is_some_and(|v| v.ends_with("more headers not kept")),
        "the headers left out are counted"
    );
    let kept = delivery.retained_bytes();
    assert!(kept < 16 * 1024, "a refused request keeps {kept} bytes");
}
