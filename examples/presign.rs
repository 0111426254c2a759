//! Pre-signed load for `scripts/bench-ingest.sh`: realistic, distinct call-summary deliveries
//! from the demo generator (partials, predicted-complete, complete of each call, one event per
//! delivery), signed like Twilio for a public URL and written as raw HTTP/1.1 requests. With
//! `--kind metrics`, live metric-sample deliveries instead (30 gateway samples of each call,
//! one per delivery, `examples/support/live_events.rs`).
//!
//! `cargo run --release --example presign -- --out DIR --requests N --files K
//!  [--kind summaries|metrics] [--public-url http://bench.local/events] [--auth-token bench-token] [--seed 1]`
//!
//! Writes `DIR/requests.0` … `DIR/requests.{K-1}` (deliveries dealt round-robin, so every call's
//! deliveries stay in order across the files), each a sequence of `<length>\n<raw request>`:
//! what `scripts/wrk-presigned.lua` and `examples/paced_load.rs` read; and `DIR/summary.txt`,
//! with how many deliveries carry the first 100,000 calls in full.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[path = "support/live_events.rs"]
mod live_events;

use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::signature::{Algorithm, sign_json_delivery};

/// The flags, with their defaults.
struct Args {
    out: PathBuf,
    requests: usize,
    files: usize,
    public_url: String,
    auth_token: String,
    seed: u64,
    /// Metric samples instead of summaries.
    metrics: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("target/bench-ingest"),
        requests: 100_000,
        files: 2,
        public_url: "http://bench.local/events".into(),
        auth_token: "bench-token".into(),
        seed: 1,
        metrics: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(&value),
            "--requests" => args.requests = number()?,
            "--files" => args.files = number()?.max(1),
            "--public-url" => args.public_url = value,
            "--auth-token" => args.auth_token = value,
            "--seed" => args.seed = number()? as u64,
            "--kind" => {
                args.metrics = match value.as_str() {
                    "summaries" => false,
                    "metrics" => true,
                    other => return Err(format!("--kind {other}: summaries or metrics")),
                }
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

/// The path and `Host` of the public URL (`http://bench.local/events` → `/events`, `bench.local`).
fn path_and_host(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let slash = rest.find('/').unwrap_or(rest.len());
    let path = if slash == rest.len() {
        "/"
    } else {
        &rest[slash..]
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    (path.to_owned(), rest[..slash].to_owned())
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut files = Vec::with_capacity(args.files);
    for i in 0..args.files {
        let path = args.out.join(format!("requests.{i}"));
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push(BufWriter::with_capacity(1 << 20, file));
    }
    let (path, host) = path_and_host(&args.public_url);
    let mut generator = CallGenerator::new(args.seed);
    let start =
        time::OffsetDateTime::from_unix_timestamp(1_800_000_000).map_err(|e| e.to_string())?;
    let (mut written, mut calls, mut body_bytes) = (0usize, 0usize, 0usize);
    // How many deliveries carry the first 100,000 calls completely (the memory measurement).
    let mut for_100k_calls = None;
    let mut request = Vec::with_capacity(8 * 1024);
    'calls: loop {
        let call = generator.next_call(None, start + time::Duration::seconds(calls as i64));
        calls += 1;
        let events: Vec<serde_json::Value> = if args.metrics {
            let account = generator.account_sid().to_owned();
            let mut ids = calls as u64 * 1_000;
            live_events::call(&call.call_sid, &account, start, 30, &mut ids)
                .into_iter()
                .filter(|e| e["type"] == "com.twilio.voice.insights.call-metrics.gateway")
                .collect()
        } else {
            call.events.iter().map(|e| e.event.clone()).collect()
        };
        for event in &events {
            if written == args.requests {
                break 'calls;
            }
            let body = delivery_body(std::slice::from_ref(event));
            let (signed, signature) = sign_json_delivery(
                args.auth_token.as_bytes(),
                &args.public_url,
                &body,
                Algorithm::HmacSha1,
            );
            let query = signed.split_once('?').map_or("", |(_, q)| q);
            request.clear();
            write!(
                request,
                "POST {path}?{query} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: TwilioProxy/1.1\r\n\
                 Content-Type: application/json; charset=utf-8\r\nX-Twilio-Signature: {signature}\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .map_err(|e| e.to_string())?;
            request.extend_from_slice(&body);
            let file = &mut files[written % args.files];
            writeln!(file, "{}", request.len()).map_err(|e| e.to_string())?;
            file.write_all(&request).map_err(|e| e.to_string())?;
            written += 1;
            body_bytes += body.len();
        }
        if calls == 100_000 {
            for_100k_calls = Some(written);
        }
    }
    for mut file in files {
        file.flush().map_err(|e| e.to_string())?;
    }
    let summary = format!(
        "deliveries={written} calls={calls} deliveries_for_100000_calls={}\n",
        for_100k_calls.map_or("none".to_owned(), |n| n.to_string())
    );
    std::fs::write(args.out.join("summary.txt"), summary).map_err(|e| e.to_string())?;
    eprintln!(
        "presign: {written} deliveries of {calls} calls ({} bytes per body on average) in {} file(s) under {}",
        body_bytes / written.max(1),
        args.files,
        args.out.display()
    );
    Ok(())
}
