//! Live-call load for `scripts/bench-ingest.sh` (issue 15's memory budget): 100,000 calls, each
//! with six progress events, 30 metric samples and two summaries (predicted-complete and
//! complete, from the demo generator), signed like Twilio and POSTed to a listener over HTTP in
//! batches of up to `--batch` events per delivery (Event Streams batches too), as fast as the
//! listener answers, over a few keep-alive connections.
//!
//! `cargo run --release --example live_memory -- --addr 127.0.0.1:PORT
//!  [--calls 100000] [--samples 30] [--batch 10] [--connections 4]
//!  [--public-url http://bench.local/events] [--auth-token bench-token]`
//!
//! Ends with one `RESULT deliveries=… events=… calls=… non2xx=… errors=… seconds=…` line.

#[path = "support/live_events.rs"]
mod live_events;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::signature::{Algorithm, sign_json_delivery};

struct Args {
    addr: String,
    calls: usize,
    samples: u64,
    batch: usize,
    connections: usize,
    public_url: String,
    auth_token: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".into(),
        calls: 100_000,
        samples: 30,
        batch: 10,
        connections: 4,
        public_url: "http://bench.local/events".into(),
        auth_token: "bench-token".into(),
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
            "--addr" => args.addr = value.clone(),
            "--calls" => args.calls = number()?,
            "--samples" => args.samples = number()? as u64,
            "--batch" => args.batch = number()?.max(1),
            "--connections" => args.connections = number()?.max(1),
            "--public-url" => args.public_url = value.clone(),
            "--auth-token" => args.auth_token = value.clone(),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

#[derive(Default)]
struct Counts {
    deliveries: AtomicU64,
    non_2xx: AtomicU64,
    errors: AtomicU64,
}

/// Sends one request and reads its answer; gives the status.
fn exchange(conn: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    conn.get_mut().write_all(request)?;
    let mut line = String::new();
    conn.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if conn.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body)?;
    Ok(status)
}

fn worker(addr: String, queue: Arc<Mutex<Receiver<Vec<u8>>>>, counts: Arc<Counts>) {
    let mut conn: Option<BufReader<TcpStream>> = None;
    loop {
        let next = queue.lock().map(|q| q.recv());
        let Ok(Ok(request)) = next else { return };
        if conn.is_none() {
            match TcpStream::connect(&addr) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    conn = Some(BufReader::new(stream));
                }
                Err(_) => {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match exchange(c, &request) {
            Ok(status) => {
                counts.deliveries.fetch_add(1, Ordering::Relaxed);
                if !(200..300).contains(&status) {
                    counts.non_2xx.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                counts.errors.fetch_add(1, Ordering::Relaxed);
                conn = None;
            }
        }
    }
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let rest = args
        .public_url
        .split_once("://")
        .map_or(args.public_url.as_str(), |(_, r)| r);
    let slash = rest.find('/').unwrap_or(rest.len());
    let (host, path) = (
        &rest[..slash],
        if slash == rest.len() {
            "/"
        } else {
            &rest[slash..]
        },
    );
    let (tx, rx) = sync_channel::<Vec<u8>>(4096);
    let queue = Arc::new(Mutex::new(rx));
    let counts = Arc::new(Counts::default());
    let workers: Vec<_> = (0..args.connections)
        .map(|_| {
            let (addr, queue, counts) =
                (args.addr.clone(), Arc::clone(&queue), Arc::clone(&counts));
            std::thread::spawn(move || worker(addr, queue, counts))
        })
        .collect();
    let began = Instant::now();
    let mut generator = CallGenerator::new(15);
    let account = generator.account_sid().to_owned();
    let start = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let (mut ids, mut events_sent) = (0u64, 0u64);
    for n in 0..args.calls {
        let call = generator.next_call(None, start + time::Duration::milliseconds(n as i64 * 30));
        let mut events = live_events::call(&call.call_sid, &account, start, args.samples, &mut ids);
        let summaries = call.events.len().saturating_sub(2);
        events.extend(call.events[summaries..].iter().map(|e| e.event.clone()));
        for chunk in events.chunks(args.batch) {
            let body = delivery_body(chunk);
            let (signed, signature) = sign_json_delivery(
                args.auth_token.as_bytes(),
                &args.public_url,
                &body,
                Algorithm::HmacSha1,
            );
            let query = signed.split_once('?').map_or("", |(_, q)| q);
            let mut request = format!(
                "POST {path}?{query} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: TwilioProxy/1.1\r\n\
                 Content-Type: application/json; charset=utf-8\r\nX-Twilio-Signature: {signature}\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(&body);
            events_sent += chunk.len() as u64;
            tx.send(request)
                .map_err(|_| "every connection failed".to_owned())?;
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.join();
    }
    println!(
        "RESULT deliveries={} events={events_sent} calls={} non2xx={} errors={} seconds={:.1}",
        counts.deliveries.load(Ordering::Relaxed),
        args.calls,
        counts.non_2xx.load(Ordering::Relaxed),
        counts.errors.load(Ordering::Relaxed),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}
