//! The load of `scripts/soak.sh`: realistic signed deliveries (the demo generator's calls) at a
//! fixed rate, with a share of bad ones mixed in, and the check that every acknowledged
//! delivery reached the recording.
//!
//! `cargo run --release --example soak_load -- load --addr 127.0.0.1:PORT --acked FILE
//!  [--public-url http://soak.local/events] [--auth-token soak-token] [--rate 2000]
//!  [--seconds 60] [--bad-percent 5] [--connections 64] [--seed 1]`
//!
//! `cargo run --release --example soak_load -- check --acked FILE --recording FILE`
//!
//! The bad deliveries take turns: tampered (a body byte changed after signing: 403), malformed
//! (signed, not JSON: 400), oversize by `Content-Length` and oversize chunked (413), slow (head
//! and body trickled over about three seconds: must still be accepted and recorded) and
//! stalled (a head that never ends: the listener must close it). `load` prints one line per
//! kind and ends with `RESULT ...`; it exits 1 when any delivery got an answer it should not
//! have. `check` exits 1 when an acknowledged event id is missing from the recording.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::ingest::replay::read_recording;
use callwatch::twilio::cloudevent::parse_delivery;
use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What one request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Good,
    Tampered,
    Malformed,
    OversizeLength,
    OversizeChunked,
    Slow,
    Stalled,
}

/// The bad kinds, in the order they take turns.
const BAD: [Kind; 6] = [
    Kind::Tampered,
    Kind::Malformed,
    Kind::OversizeLength,
    Kind::OversizeChunked,
    Kind::Slow,
    Kind::Stalled,
];

/// One request to send.
struct Job {
    kind: Kind,
    /// Path and query, e.g. `/events?bodySHA256=...`.
    target: String,
    signature: String,
    body: Arc<Vec<u8>>,
    /// The event ids of the body, for the acknowledged list.
    event_ids: Vec<String>,
}

/// What happened to the requests of one kind.
#[derive(Debug, Default, Clone)]
struct Tally {
    sent: u64,
    /// Answered (or closed) as this kind must be.
    expected: u64,
    /// Anything else, with the first few examples.
    unexpected: u64,
    examples: Vec<String>,
    /// Milliseconds from send to answer, good deliveries only.
    latencies_ms: Vec<f64>,
}

type Tallies = Arc<Mutex<BTreeMap<Kind, Tally>>>;

fn count(tallies: &Tallies, kind: Kind, expected: Result<(), String>, latency: Option<f64>) {
    let mut all = tallies.lock().unwrap_or_else(|p| p.into_inner());
    let tally = all.entry(kind).or_default();
    tally.sent += 1;
    match expected {
        Ok(()) => tally.expected += 1,
        Err(what) => {
            tally.unexpected += 1;
            if tally.examples.len() < 5 {
                tally.examples.push(what);
            }
        }
    }
    tally.latencies_ms.extend(latency);
}

struct LoadArgs {
    addr: String,
    public_url: String,
    auth_token: String,
    rate: f64,
    seconds: f64,
    bad_percent: u64,
    connections: usize,
    seed: u64,
    acked: PathBuf,
}

fn flags() -> Result<(String, BTreeMap<String, String>), String> {
    let mut it = std::env::args().skip(1);
    let command = it
        .next()
        .ok_or("usage: soak_load load|check --flag value ...")?;
    let mut flags = BTreeMap::new();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        flags.insert(flag.trim_start_matches("--").to_owned(), value);
    }
    Ok((command, flags))
}

fn take<T: std::str::FromStr>(
    flags: &BTreeMap<String, String>,
    name: &str,
    default: Option<T>,
) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    match flags.get(name) {
        Some(v) => v.parse().map_err(|e| format!("--{name} {v}: {e}")),
        None => default.ok_or_else(|| format!("--{name} is required")),
    }
}

fn main() -> std::process::ExitCode {
    let outcome = flags().and_then(|(command, flags)| match command.as_str() {
        "load" => {
            let args = LoadArgs {
                addr: take(&flags, "addr", None)?,
                public_url: take(
                    &flags,
                    "public-url",
                    Some("http://soak.local/events".to_owned()),
                )?,
                auth_token: take(&flags, "auth-token", Some("soak-token".to_owned()))?,
                rate: take(&flags, "rate", Some(2000.0))?,
                seconds: take(&flags, "seconds", Some(60.0))?,
                bad_percent: take(&flags, "bad-percent", Some(5))?,
                connections: take(&flags, "connections", Some(64))?,
                seed: take(&flags, "seed", Some(1))?,
                acked: take(&flags, "acked", None)?,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(load(args))
        }
        "check" => check(
            &take::<PathBuf>(&flags, "acked", None)?,
            &take::<PathBuf>(&flags, "recording", None)?,
        ),
        other => Err(format!("unknown command {other}: load or check")),
    });
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("soak_load: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Makes the jobs in arrival order: the demo's calls, event by event, one in `100 / bad_percent`
/// replaced by the next bad kind.
struct Jobs {
    generator: CallGenerator,
    pending: std::collections::VecDeque<serde_json::Value>,
    calls: i64,
    made: u64,
    bad_every: u64,
    bad_turn: usize,
    public_url: String,
    path: String,
    token: String,
    oversize: Arc<Vec<u8>>,
}

impl Jobs {
    fn signed(&self, kind: Kind, body: Vec<u8>, event_ids: Vec<String>) -> Job {
        let (full, signature) = sign_json_delivery(
            self.token.as_bytes(),
            &self.public_url,
            &body,
            Algorithm::HmacSha1,
        );
        let query = full.split_once('?').map_or("", |(_, q)| q);
        Job {
            kind,
            target: format!("{}?{query}", self.path),
            signature,
            body: Arc::new(body),
            event_ids,
        }
    }

    fn next_good(&mut self) -> Job {
        let event = loop {
            if let Some(event) = self.pending.pop_front() {
                break event;
            }
            let start = time::OffsetDateTime::from_unix_timestamp(1_800_000_000 + self.calls)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            self.calls += 1;
            let call = self.generator.next_call(None, start);
            self.pending
                .extend(call.events.into_iter().map(|e| e.event));
        };
        let body = delivery_body(std::slice::from_ref(&event));
        let ids = parse_delivery(&body)
            .map(|events| events.iter().map(|e| e.id().to_owned()).collect())
            .unwrap_or_default();
        self.signed(Kind::Good, body, ids)
    }

    fn next(&mut self) -> Job {
        self.made += 1;
        if self.bad_every == 0 || self.made % self.bad_every != 0 {
            return self.next_good();
        }
        let kind = BAD[self.bad_turn % BAD.len()];
        self.bad_turn += 1;
        match kind {
            Kind::Tampered => {
                let mut job = self.next_good();
                let mut body = (*job.body).clone();
                if let Some(b) = body.iter_mut().find(|b| b.is_ascii_digit()) {
                    *b = if *b == b'9' { b'0' } else { *b + 1 };
                }
                job.body = Arc::new(body);
                job.kind = Kind::Tampered;
                job.event_ids.clear();
                job
            }
            Kind::Malformed => self.signed(
                Kind::Malformed,
                b"[{\"type\": \"com.twilio.voice".to_vec(),
                Vec::new(),
            ),
            Kind::OversizeLength | Kind::OversizeChunked => Job {
                kind,
                target: format!("{}?bodySHA256=00", self.path),
                signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
                body: Arc::clone(&self.oversize),
                event_ids: Vec::new(),
            },
            Kind::Slow => {
                let mut job = self.next_good();
                job.kind = Kind::Slow;
                job
            }
            Kind::Stalled | Kind::Good => Job {
                kind: Kind::Stalled,
                target: self.path.clone(),
                signature: String::new(),
                body: Arc::new(Vec::new()),
                event_ids: Vec::new(),
            },
        }
    }
}

async fn load(args: LoadArgs) -> Result<bool, String> {
    let path = {
        let rest = args
            .public_url
            .split_once("://")
            .map_or(args.public_url.as_str(), |(_, r)| r);
        rest.find('/')
            .map_or("/".to_owned(), |i| rest[i..].to_owned())
    };
    let mut jobs = Jobs {
        generator: CallGenerator::new(args.seed),
        pending: Default::default(),
        calls: 0,
        made: 0,
        bad_every: 100u64
            .checked_div(args.bad_percent)
            .map_or(0, |every| every.max(1)),
        bad_turn: 0,
        public_url: args.public_url.clone(),
        path,
        token: args.auth_token.clone(),
        oversize: Arc::new(vec![b' '; 1024 * 1024 + 1]),
    };
    let total = (args.rate * args.seconds) as u64;
    let tallies: Tallies = Arc::default();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    // Idle connections are dropped after 5 s, before the listener's 10 s keep-alive timeout
    // closes them: a client that reuses a connection at the very moment the server closes it
    // gets "connection closed before message completed" (the classic keep-alive race, which
    // HTTP clients avoid by idling less than the server).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(args.connections)
        .build()
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", args.addr);

    // Workers take jobs from one queue; a slow server shows as a growing queue, never as a
    // slower release (open loop).
    let (tx, rx) = mpsc::channel::<(Job, Instant)>(100_000);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut workers = Vec::new();
    for _ in 0..args.connections {
        let (rx, client, base, tallies, acked) = (
            Arc::clone(&rx),
            client.clone(),
            base.clone(),
            Arc::clone(&tallies),
            Arc::clone(&acked),
        );
        let addr = args.addr.clone();
        workers.push(tokio::spawn(async move {
            loop {
                let next = rx.lock().await.recv().await;
                let Some((job, due)) = next else { break };
                match job.kind {
                    Kind::Slow | Kind::Stalled | Kind::OversizeChunked => {
                        // Raw sockets, in a task of their own: they must not hold a worker.
                        let (tallies, acked, addr) =
                            (Arc::clone(&tallies), Arc::clone(&acked), addr.clone());
                        tokio::spawn(async move {
                            let result = raw(&addr, &job).await;
                            if result.is_ok() && job.kind == Kind::Slow {
                                acked
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .extend(job.event_ids.clone());
                            }
                            count(&tallies, job.kind, result, None);
                        });
                    }
                    _ => {
                        let sent = client
                            .post(format!("{base}{}", job.target))
                            .header("content-type", "application/json")
                            .header("x-twilio-signature", &job.signature)
                            .body((*job.body).clone())
                            .send()
                            .await;
                        let status = sent.map(|r| r.status().as_u16());
                        let latency = due.elapsed().as_secs_f64() * 1000.0;
                        let want = match job.kind {
                            Kind::Good => 200,
                            Kind::Tampered => 403,
                            Kind::Malformed => 400,
                            _ => 413,
                        };
                        let result = match (&status, job.kind) {
                            (Ok(s), _) if *s == want => Ok(()),
                            // The listener may answer 413 and close before the client has sent
                            // the whole megabyte: the client then sees the connection cut.
                            (Err(_), Kind::OversizeLength) => Ok(()),
                            (Ok(s), _) => Err(format!("status {s}, not {want}")),
                            (Err(e), _) => Err(format!("no answer: {}", chain(e))),
                        };
                        if result.is_ok() && job.kind == Kind::Good {
                            acked
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .extend(job.event_ids.clone());
                        }
                        let latency = (job.kind == Kind::Good).then_some(latency);
                        count(&tallies, job.kind, result, latency);
                    }
                }
            }
        }));
    }

    let started = Instant::now();
    let mut released = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_report = 0;
    while released < total {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * args.rate) as u64).min(total);
        while released < due {
            let when = started + Duration::from_secs_f64(released as f64 / args.rate);
            if tx.send((jobs.next(), when)).await.is_err() {
                return Err("the workers stopped".into());
            }
            released += 1;
        }
        let secs = started.elapsed().as_secs();
        if secs >= last_report + 10 {
            last_report = secs;
            let done: u64 = tallies
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .map(|t| t.sent)
                .sum();
            eprintln!("soak_load: {secs:>3} s  released {released}  answered {done}");
        }
    }
    let release_secs = started.elapsed().as_secs_f64();
    drop(tx);
    for worker in workers {
        let _ = worker.await;
    }
    // The raw-socket tasks (stalled heads wait for the listener's header timeout) finish on
    // their own; wait for them through the tally.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done: u64 = tallies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|t| t.sent)
            .sum();
        if done >= total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let acked = acked.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut file =
        std::fs::File::create(&args.acked).map_err(|e| format!("{}: {e}", args.acked.display()))?;
    for id in &acked {
        writeln!(file, "{id}").map_err(|e| e.to_string())?;
    }
    let all = tallies.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut clean = true;
    for (kind, tally) in &all {
        println!(
            "{kind:?}: sent {}  as expected {}  unexpected {}{}",
            tally.sent,
            tally.expected,
            tally.unexpected,
            if tally.examples.is_empty() {
                String::new()
            } else {
                format!("  e.g. {:?}", tally.examples)
            }
        );
        clean &= tally.unexpected == 0;
    }
    let mut latencies = all
        .get(&Kind::Good)
        .map(|t| t.latencies_ms.clone())
        .unwrap_or_default();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let sent: u64 = all.values().map(|t| t.sent).sum();
    println!(
        "RESULT requests={sent} rate={:.0}/s acked_events={} good_p50_ms={:.2} good_p99_ms={:.2} good_max_ms={:.2} clean={clean}",
        released as f64 / release_secs,
        acked.len(),
        pct(0.50),
        pct(0.99),
        latencies.last().copied().unwrap_or(0.0),
    );
    Ok(clean && sent == total)
}

/// Sends a slow, stalled or chunked request over a raw socket; `Ok` when the listener did
/// what it must.
async fn raw(addr: &str, job: &Job) -> Result<(), String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let io = |e: std::io::Error| format!("write: {e}");
    match job.kind {
        Kind::Stalled => {
            // Half a head, then nothing: the listener must close the connection itself.
            let head = format!(
                "POST {} HTTP/1.1\r\nHost: soak.local\r\nContent-Type: appl",
                job.target
            );
            stream.write_all(head.as_bytes()).await.map_err(io)?;
            let mut rest = Vec::new();
            match tokio::time::timeout(Duration::from_secs(40), stream.read_to_end(&mut rest)).await
            {
                Ok(_) if rest.is_empty() => Ok(()),
                Ok(_) => Err(format!(
                    "answered a head that never ended: {}",
                    String::from_utf8_lossy(&rest)
                )),
                Err(_) => Err("a stalled head was not closed within 40 s".into()),
            }
        }
        Kind::OversizeChunked => {
            let head = format!(
                "POST {} HTTP/1.1\r\nHost: soak.local\r\nContent-Type: application/json\r\n\
                 X-Twilio-Signature: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
                job.target, job.signature
            );
            stream.write_all(head.as_bytes()).await.map_err(io)?;
            for chunk in job.body.chunks(64 * 1024) {
                let sized = format!("{:x}\r\n", chunk.len());
                if stream.write_all(sized.as_bytes()).await.is_err()
                    || stream.write_all(chunk).await.is_err()
                    || stream.write_all(b"\r\n").await.is_err()
                {
                    break;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
            let answer = read_answer(&mut stream).await?;
            if answer.starts_with("HTTP/1.1 413") {
                Ok(())
            } else {
                Err(format!("answered {}", first_line(&answer)))
            }
        }
        _ => {
            // Slow: the head in three pieces, the body in ten, about three seconds in all.
            let head = format!(
                "POST {} HTTP/1.1\r\nHost: soak.local\r\nContent-Type: application/json\r\n\
                 X-Twilio-Signature: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                job.target,
                job.signature,
                job.body.len()
            );
            let third = head.len() / 3;
            for piece in [&head[..third], &head[third..2 * third], &head[2 * third..]] {
                stream.write_all(piece.as_bytes()).await.map_err(io)?;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            for piece in job.body.chunks(job.body.len().div_ceil(10).max(1)) {
                stream.write_all(piece).await.map_err(io)?;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let answer = read_answer(&mut stream).await?;
            if answer.starts_with("HTTP/1.1 200") {
                Ok(())
            } else {
                Err(format!("answered {}", first_line(&answer)))
            }
        }
    }
}

async fn read_answer(stream: &mut TcpStream) -> Result<String, String> {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Ok(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Ok(Ok(_)) => Err("closed without an answer".into()),
        Ok(Err(e)) => Err(format!("read: {e}")),
        Err(_) => Err("no answer within 30 s".into()),
    }
}

/// An error with its causes, `: `-separated (reqwest's own message leaves them out).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Every acknowledged event id must be in a recorded line answered 200.
fn check(acked: &Path, recording: &Path) -> Result<bool, String> {
    let acked_text =
        std::fs::read_to_string(acked).map_err(|e| format!("{}: {e}", acked.display()))?;
    let acked: Vec<&str> = acked_text.lines().filter(|l| !l.is_empty()).collect();
    let (lines, warnings) =
        read_recording(recording).map_err(|e| format!("{}: {e}", recording.display()))?;
    let mut recorded: HashSet<String> = HashSet::new();
    let mut verdicts: BTreeMap<String, u64> = BTreeMap::new();
    for line in &lines {
        *verdicts
            .entry(format!("{} {}", line.status, line.verdict.as_str()))
            .or_default() += 1;
        if line.status == 200
            && let Ok(events) = parse_delivery(&line.body)
        {
            recorded.extend(events.iter().map(|e| e.id().to_owned()));
        }
    }
    let missing: Vec<&&str> = acked.iter().filter(|id| !recorded.contains(**id)).collect();
    println!(
        "recording: {} lines {verdicts:?}; {} warnings",
        lines.len(),
        warnings.len()
    );
    for w in warnings.iter().take(5) {
        println!("  warning: {w:?}");
    }
    println!(
        "RESULT acked_events={} recorded_events={} missing={}{}",
        acked.len(),
        recorded.len(),
        missing.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(" e.g. {:?}", &missing[..missing.len().min(5)])
        }
    );
    Ok(missing.is_empty())
}
