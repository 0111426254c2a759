//! The yardstick of the ingest budget in docs/architecture.md: a hyper 1.x server set up like
//! callwatch's listener (same runtime, HTTP/1 builder, timer and `TCP_NODELAY`) that reads each
//! body and answers `200 ok` without any other work.
//!
//! `cargo run --release --example bare_hyper -- [PORT] [--work verify|parse]` (port 0 or none:
//! any free port). The first line on stdout is `listening 127.0.0.1:PORT`.
//!
//! `--work` adds one of callwatch's own steps to the bare answer, to show where an ingest's time
//! goes (scripts/bench-ingest.sh prints both): `verify` checks the signature and body hash as
//! the listener does (public URL `http://bench.local/events`, token `bench-token`, the values
//! the benchmark signs with); `parse` verifies and then parses the body with
//! `callwatch::twilio::cloudevent::parse_delivery`. A delivery that fails either is answered 400.

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use callwatch::twilio::cloudevent::parse_delivery;
use callwatch::twilio::signature::{Secrets, verify_json_delivery};

/// What the server does besides answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    None,
    Verify,
    Parse,
}

/// The URL and token scripts/bench-ingest.sh signs its deliveries for.
const PUBLIC_URL: &str = "http://bench.local/events";
const AUTH_TOKEN: &str = "bench-token";

/// The secrets the benchmark signs with, built once (not per request).
static SECRETS: std::sync::LazyLock<Secrets> = std::sync::LazyLock::new(|| Secrets {
    auth_token: AUTH_TOKEN.to_owned(),
    shared_key_secret: None,
});

/// Reads the body (as any receiver must, to keep the connection), does `work` and answers 200.
/// With `Work::None` nothing else is done: not even the signed URL is built.
async fn answer(req: Request<Incoming>, work: Work) -> Result<Response<Full<Bytes>>, Infallible> {
    let status = if work == Work::None {
        match Limited::new(req.into_body(), 1024 * 1024).collect().await {
            Ok(_) => StatusCode::OK,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    } else {
        verify_and_parse(req, work).await
    };
    let mut resp = Response::new(Full::new(Bytes::from_static(b"ok\n")));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(resp)
}

/// Checks the signature as the listener does and, for `Work::Parse`, reads the delivery.
async fn verify_and_parse(req: Request<Incoming>, work: Work) -> StatusCode {
    let signed = match req.uri().query() {
        Some(query) => format!("{PUBLIC_URL}?{query}"),
        None => PUBLIC_URL.to_owned(),
    };
    let signature = req
        .headers()
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Ok(body) = Limited::new(req.into_body(), 1024 * 1024).collect().await else {
        return StatusCode::BAD_REQUEST;
    };
    let body = body.to_bytes();
    let verified =
        verify_json_delivery(&SECRETS, &signed, signature.as_deref(), None, &body).is_valid();
    let parsed = work != Work::Parse || parse_delivery(&body).is_ok();
    if verified && parsed {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port: u16 = 0;
    let mut work = Work::None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--work" => {
                work = match args.next().as_deref() {
                    Some("verify") => Work::Verify,
                    Some("parse") => Work::Parse,
                    other => {
                        eprintln!("bare_hyper: --work takes verify or parse, not {other:?}");
                        std::process::exit(2);
                    }
                }
            }
            other => match other.parse() {
                Ok(p) => port = p,
                Err(_) => {
                    eprintln!("bare_hyper: usage: bare_hyper [PORT] [--work verify|parse]");
                    std::process::exit(2);
                }
            },
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening {}", listener.local_addr()?)?;
    out.flush()?;
    drop(out);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(pair) => pair,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .serve_connection(
                TokioIo::new(stream),
                service_fn(move |req| answer(req, work)),
            );
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
