//! A paced (open-loop) load generator for `scripts/bench-ingest.sh`: sends the pre-signed
//! requests of `examples/presign.rs` at a fixed rate over a few keep-alive connections and
//! prints the latency distribution. wrk cannot pace, and a closed loop hides queueing.
//!
//! `cargo run --release --example paced_load -- --addr 127.0.0.1:PORT --dir DIR
//!  [--rate 1000] [--count N | --seconds S] [--connections 8]`
//!
//! Each request's latency runs from the moment it was due to be released (or the moment the
//! pacer released it, if its timer woke late) to the last byte of its answer, so time spent
//! waiting for a free connection (a slow server) counts. One `RESULT key=value ...` line ends
//! the output.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};

/// The flags.
struct Args {
    addr: SocketAddr,
    dir: PathBuf,
    rate: f64,
    count: Option<usize>,
    seconds: f64,
    connections: usize,
}

/// The paced request queue the connections take from: (request bytes, when it was due).
type SharedQueue = Arc<Mutex<mpsc::Receiver<(Arc<[u8]>, Instant)>>>;

fn parse_args() -> Result<Args, String> {
    let mut addr = None;
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        dir: PathBuf::from("target/bench-ingest"),
        rate: 1000.0,
        count: None,
        seconds: 30.0,
        connections: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--addr" => addr = Some(value.parse().map_err(|e| bad(&e))?),
            "--dir" => args.dir = PathBuf::from(&value),
            "--rate" => args.rate = value.parse().map_err(|e| bad(&e))?,
            "--count" => args.count = Some(value.parse().map_err(|e| bad(&e))?),
            "--seconds" => args.seconds = value.parse().map_err(|e| bad(&e))?,
            "--connections" => {
                args.connections = value.parse::<usize>().map_err(|e| bad(&e))?.max(1)
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    args.addr = addr.ok_or("--addr is required")?;
    if args.rate <= 0.0 {
        return Err("--rate must be positive".into());
    }
    Ok(args)
}

/// Every request of `dir/requests.*`, in the order presign dealt them (round-robin over files).
fn load_requests(dir: &std::path::Path) -> Result<Vec<Arc<[u8]>>, String> {
    let mut per_file = Vec::new();
    for i in 0.. {
        let path = dir.join(format!("requests.{i}"));
        let Ok(bytes) = std::fs::read(&path) else {
            break;
        };
        let mut requests = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let newline = bytes[at..]
                .iter()
                .position(|&b| b == b'\n')
                .ok_or("torn record")?;
            let len: usize = std::str::from_utf8(&bytes[at..at + newline])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or("bad record length")?;
            let start = at + newline + 1;
            let end = start + len;
            requests.push(Arc::from(bytes.get(start..end).ok_or("short record")?));
            at = end;
        }
        per_file.push(requests.into_iter());
    }
    if per_file.is_empty() {
        return Err(format!(
            "no {}/requests.0: run examples/presign first",
            dir.display()
        ));
    }
    let mut all = Vec::new();
    loop {
        let before = all.len();
        for file in &mut per_file {
            all.extend(file.next());
        }
        if all.len() == before {
            return Ok(all);
        }
    }
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    non_2xx: usize,
    errors: usize,
}

/// Sends one request on `conn` and reads the whole answer; returns its status.
async fn exchange(
    conn: &mut BufReader<TcpStream>,
    request: &[u8],
    line: &mut String,
) -> std::io::Result<u16> {
    conn.get_mut().write_all(request).await?;
    line.clear();
    conn.read_line(line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut content_length = 0usize;
    loop {
        line.clear();
        if conn.read_line(line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    conn.read_exact(&mut body).await?;
    Ok(status)
}

/// One keep-alive connection: takes released requests until the pacer is done.
async fn connection(addr: SocketAddr, queue: SharedQueue) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<BufReader<TcpStream>> = None;
    let mut line = String::new();
    loop {
        let next = queue.lock().await.recv().await;
        let Some((request, released)) = next else {
            break;
        };
        if conn.is_none() {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    conn = Some(BufReader::new(stream));
                }
                Err(_) => {
                    tally.errors += 1;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match exchange(c, &request, &mut line).await {
            Ok(status) => {
                let us = released.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                tally.latencies_us.push(us);
                if !(200..300).contains(&status) {
                    tally.non_2xx += 1;
                }
            }
            Err(_) => {
                tally.errors += 1;
                conn = None;
            }
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let requests = load_requests(&args.dir)?;
    let total = args
        .count
        .unwrap_or((args.rate * args.seconds).round() as usize)
        .min(requests.len());
    let (tx, rx) = mpsc::channel(total.max(1));
    let queue = Arc::new(Mutex::new(rx));
    let workers: Vec<_> = (0..args.connections)
        .map(|_| tokio::spawn(connection(args.addr, Arc::clone(&queue))))
        .collect();
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let started = Instant::now();
    let mut late_releases = 0usize;
    for (i, request) in requests.into_iter().take(total).enumerate() {
        let due = started + interval.mul_f64(i as f64);
        let now = Instant::now();
        if due > now {
            tokio::time::sleep_until(due.into()).await;
        } else if now - due > Duration::from_millis(1) {
            late_releases += 1;
        }
        // Measured from release: a late timer wake-up is the pacer's fault, not the server's.
        if tx.send((request, Instant::now())).await.is_err() {
            break;
        }
    }
    drop(tx);
    let mut all = Tally::default();
    for worker in workers {
        let tally = worker.await.map_err(|e| e.to_string())?;
        all.latencies_us.extend(tally.latencies_us);
        all.non_2xx += tally.non_2xx;
        all.errors += tally.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let l = &all.latencies_us;
    println!(
        "RESULT sent={total} answered={} seconds={elapsed:.1} rate={:.0} p50_us={} p90_us={} p99_us={} p999_us={} max_us={} non2xx={} errors={} late_releases={late_releases}",
        l.len(),
        l.len() as f64 / elapsed,
        percentile(l, 50.0),
        percentile(l, 90.0),
        percentile(l, 99.0),
        percentile(l, 99.9),
        l.last().copied().unwrap_or(0),
        all.non_2xx,
        all.errors,
    );
    Ok(())
}
