//! Reading a `--record` file back ([`read_recording`]) and running its deliveries through the
//! same judge as the listener ([`rejudge`]), for `replay`, `export` and `listen --resume`.
//!
//! Reading tolerates a crash: a torn last line is skipped with a warning, and a corrupt line
//! elsewhere is reported with its number while the rest is read.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;

use super::verdict::Judge;
use super::{Delivery, DeliveryVerdict};
use crate::calls::dedupe::DedupeWindow;
use crate::twilio::cloudevent::DeliveredEvent;

/// One delivery read back from a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedDelivery {
    /// Line number in the file, from 1.
    pub line: usize,
    /// When the request arrived.
    pub received_at: SystemTime,
    /// Arrival order within the run that recorded it.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// The headers a recording keeps (lowercase names).
    pub headers: BTreeMap<String, String>,
    /// The URL the signature was checked against.
    pub signed_url: Option<String>,
    /// The verdict name (`ok`, `duplicate`, `bad_signature`...).
    pub verdict: String,
    /// Why the body was malformed, for `malformed`.
    pub reason: Option<String>,
    /// The status answered.
    pub status: u16,
    /// Body size (the announced size for a body refused unread).
    pub body_len: usize,
    /// The raw body.
    pub body: Bytes,
}

impl RecordedDelivery {
    /// A recorded header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// True when callwatch acknowledged it with a 2xx (`ok` or `duplicate`).
    pub fn was_accepted(&self) -> bool {
        (200..300).contains(&self.status)
            && matches!(self.verdict.as_str(), "ok" | "duplicate" | "too_old")
    }
}

/// Something in a recording that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Line number, from 1.
    pub line: usize,
    /// True for the file's last line: torn by a crash while it was written, so never
    /// acknowledged.
    pub torn_tail: bool,
    /// What is wrong with it.
    pub problem: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.torn_tail {
            write!(
                f,
                "line {}: the last line is incomplete ({}); skipped. callwatch was stopped while \
                 writing it, so it was never acknowledged",
                self.line, self.problem
            )
        } else {
            write!(
                f,
                "line {}: unreadable, skipped: {}",
                self.line, self.problem
            )
        }
    }
}

/// A recording line as stored; see [`super::record`] for the format.
#[derive(Deserialize)]
struct StoredLine {
    received_at: String,
    #[serde(default)]
    seq: u64,
    #[serde(default = "post")]
    method: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    signed_url: Option<String>,
    verdict: String,
    #[serde(default)]
    reason: Option<String>,
    status: u16,
    #[serde(default)]
    bytes: Option<usize>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_b64: Option<String>,
    #[serde(default)]
    body_json: Option<Box<serde_json::value::RawValue>>,
}

fn post() -> String {
    "POST".into()
}

/// Reads every delivery in the recording at `path`, with a warning for each line that could
/// not be read. Fails only when the file cannot be read at all.
pub fn read_recording(path: &Path) -> std::io::Result<(Vec<RecordedDelivery>, Vec<Warning>)> {
    let file = std::fs::File::open(path)?;
    parse_recording(std::io::BufReader::with_capacity(256 * 1024, file))
}

/// [`read_recording`] over any reader.
pub fn parse_recording(
    mut reader: impl BufRead,
) -> std::io::Result<(Vec<RecordedDelivery>, Vec<Warning>)> {
    let mut deliveries = Vec::new();
    let mut warnings = Vec::new();
    // An unreadable line is only known to be the last one once the next read finds nothing.
    let mut pending: Option<Warning> = None;
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line += 1;
        let complete = buf.last() == Some(&b'\n');
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        warnings.extend(pending.take());
        if !complete {
            warnings.push(Warning {
                line,
                torn_tail: true,
                problem: "no newline at the end".into(),
            });
            break;
        }
        match parse_line(line, text) {
            Ok(d) => deliveries.push(d),
            Err(problem) => {
                pending = Some(Warning {
                    line,
                    torn_tail: false,
                    problem,
                })
            }
        }
    }
    if let Some(mut last) = pending {
        last.torn_tail = true;
        warnings.push(last);
    }
    Ok((deliveries, warnings))
}

fn parse_line(line: usize, text: &[u8]) -> Result<RecordedDelivery, String> {
    let stored: StoredLine = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let received_at = crate::timestamp::parse_rfc3339(&stored.received_at)
        .map_err(|e| format!("received_at `{}`: {e}", stored.received_at))?;
    let nanos = u64::try_from(received_at.unix_timestamp_nanos())
        .map_err(|_| format!("received_at `{}` is before 1970", stored.received_at))?;
    let body = match (stored.body, stored.body_b64, stored.body_json) {
        (Some(text), _, _) => Bytes::from(text.into_bytes()),
        (None, _, Some(json)) => Bytes::from(String::from(Box::<str>::from(json)).into_bytes()),
        (None, Some(b64), None) => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| format!("body_b64: {e}"))?,
        ),
        (None, None, None) => Bytes::new(),
    };
    Ok(RecordedDelivery {
        line,
        received_at: SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos),
        seq: stored.seq,
        method: stored.method,
        path: stored.path,
        query: stored.query,
        headers: stored.headers,
        signed_url: stored.signed_url,
        verdict: stored.verdict,
        reason: stored.reason,
        status: stored.status,
        body_len: stored.bytes.unwrap_or(body.len()),
        body,
    })
}

/// Runs one recorded delivery through `judge` again and returns it as the listener would
/// have handed it on, numbered `seq`.
///
/// Without secrets (replay without `--verify`, export, resume) the signature was checked when
/// the delivery arrived, so a delivery refused then stays refused with its recorded verdict and
/// status, and an accepted one is parsed and deduplicated again. With secrets, every POST whose
/// body was kept is checked again against its recorded `signed_url`. Requests that were never
/// judged on their body (wrong method, too large) keep their recorded verdict either way.
pub fn rejudge(judge: &Judge, rec: &RecordedDelivery, seq: u64) -> Delivery {
    let mut d = Delivery::accepted(seq, rec.received_at, Vec::new());
    d.method.clone_from(&rec.method);
    d.path.clone_from(&rec.path);
    d.query.clone_from(&rec.query);
    d.headers = rec
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    d.body = rec.body.clone();
    d.body_len = rec.body_len;
    d.signed_url.clone_from(&rec.signed_url);
    d.status = rec.status;
    d.event_count = 0;

    let recorded =
        DeliveryVerdict::from_name(&rec.verdict, rec.reason.as_deref()).unwrap_or_else(|| {
            DeliveryVerdict::Malformed(format!("recorded verdict `{}`", rec.verdict))
        });
    // A Kinesis record is judged like a POST body (it has no signature to check).
    let never_judged = (rec.method != "POST" && rec.method != super::KINESIS_METHOD)
        || matches!(
            recorded,
            DeliveryVerdict::TooLarge
                | DeliveryVerdict::MethodNotAllowed
                | DeliveryVerdict::WrongPath
                | DeliveryVerdict::NotRecorded
        );
    // What `poll --record` wrote: summaries read from the Voice Insights API, never signed;
    // they are read again as they were (super::polled), without a signature to check.
    if rec.method == "GET" && rec.path == super::polled::SUMMARIES_PATH && rec.was_accepted() {
        d.verdict = recorded;
        d.events = crate::twilio::cloudevent::parse_delivery(&rec.body).unwrap_or_default();
        d.event_count = d.events.len();
        return d;
    }
    if never_judged || (judge.secrets.is_none() && !rec.was_accepted()) {
        d.verdict = recorded;
        return d;
    }
    let judgement = judge.judge(
        rec.signed_url.as_deref().unwrap_or_default(),
        rec.header("x-twilio-signature"),
        rec.header("x-twilio-webhooks-signature-settings"),
        &rec.body,
    );
    d.status = judgement.status;
    d.verdict = judgement.verdict;
    d.signature = judgement.signature;
    d.events = judgement.fresh_events;
    d.event_count = judgement.event_count;
    d.event_types = judgement.event_types;
    d
}

/// What `listen --resume` takes over from an earlier recording.
#[derive(Debug, Default)]
pub struct Resumed {
    /// The deliveries that changed something, in recorded order, to be shown before any live one.
    pub deliveries: Vec<Delivery>,
    /// The event ids seen, so that Twilio's re-deliveries after the restart are duplicates.
    pub dedupe: DedupeWindow,
    /// Lines that could not be read.
    pub warnings: Vec<Warning>,
    /// Lines read.
    pub lines: usize,
    /// Distinct calls in the resumed deliveries.
    pub calls: usize,
}

/// Loads what `listen --resume` needs from the recording at `path`; a file that does not
/// exist yet resumes nothing.
pub fn resume_from(path: &Path) -> std::io::Result<Resumed> {
    let (recorded, warnings) = match read_recording(path) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Resumed::default()),
        Err(e) => return Err(e),
    };
    let judge = Judge::new(None, 403);
    let mut deliveries = Vec::new();
    let mut calls = HashSet::new();
    for (i, rec) in recorded.iter().enumerate() {
        let d = rejudge(&judge, rec, i as u64 + 1);
        if d.verdict.is_accepted() && !d.events.is_empty() {
            // A call appears at its first event of any type.
            calls.extend(
                d.events
                    .iter()
                    .filter_map(DeliveredEvent::call_sid)
                    .map(str::to_owned),
            );
            deliveries.push(d);
        }
    }
    Ok(Resumed {
        deliveries,
        dedupe: judge.dedupe.into_inner().unwrap_or_else(|p| p.into_inner()),
        warnings,
        lines: recorded.len(),
        calls: calls.len(),
    })
}

/// The ids of the events in the deliveries a recording acknowledged, in `FILE.1` (the part
/// rotated away) then `FILE`, read line by line: with `--record`, an event already in the file
/// is a duplicate after a restart, `--resume` or not. Files that do not exist give nothing;
/// lines that cannot be read are skipped (`--resume` reports them).
pub fn seen_event_ids(path: &Path) -> std::io::Result<DedupeWindow> {
    /// What this needs of a line.
    #[derive(Deserialize)]
    struct IdsLine {
        verdict: String,
        status: u16,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        body_b64: Option<String>,
        #[serde(default)]
        body_json: Option<Box<serde_json::value::RawValue>>,
    }
    let mut window = DedupeWindow::default();
    for file in [super::record::rotated_path(path), path.to_owned()] {
        // Only files: a recording to a device (`/dev/full` in tests, a FIFO) has no ids to read,
        // and reading one may never end.
        if !std::fs::metadata(&file).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let reader = match std::fs::File::open(&file) {
            Ok(f) => std::io::BufReader::with_capacity(256 * 1024, f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for line in reader.split(b'\n') {
            let line = line?;
            let Ok(stored) = serde_json::from_slice::<IdsLine>(&line) else {
                continue;
            };
            let accepted = (200..300).contains(&stored.status)
                && matches!(stored.verdict.as_str(), "ok" | "duplicate" | "too_old");
            if !accepted {
                continue;
            }
            let body: Vec<u8> = match (stored.body_json, stored.body, stored.body_b64) {
                (Some(raw), _, _) => raw.get().as_bytes().to_vec(),
                (None, Some(text), _) => text.into_bytes(),
                (None, None, Some(b64)) => {
                    match base64::engine::general_purpose::STANDARD.decode(b64) {
                        Ok(bytes) => bytes,
                        Err(_) => continue,
                    }
                }
                (None, None, None) => continue,
            };
            if let Ok(events) = crate::twilio::cloudevent::parse_delivery(&body) {
                for event in &events {
                    if !matches!(event, DeliveredEvent::TestEvent { .. }) {
                        window.first_sighting(event.id());
                    }
                }
            }
        }
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"received_at":"2026-06-10T06:02:54.377Z","seq":1,"method":"POST","path":"/events","query":"bodySHA256=ab","headers":{"x-twilio-signature":"sig="},"signed_url":"https://x/events?bodySHA256=ab","verdict":"ok","status":200,"bytes":2,"body":"[]"}"#;

    fn parse(text: &str) -> (Vec<RecordedDelivery>, Vec<Warning>) {
        parse_recording(text.as_bytes()).expect("in-memory read")
    }

    #[test]
    fn whole_lines_are_read_with_their_numbers() {
        let (read, warnings) = parse(&format!("{GOOD}\n\n{GOOD}\n"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].line, 3);
        assert_eq!(read[0].body, Bytes::from_static(b"[]"));
        assert_eq!(read[0].header("x-twilio-signature"), Some("sig="));
        assert_eq!(
            read[0].received_at,
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_781_071_374_377)
        );
        assert!(read[0].was_accepted());
    }

    #[test]
    fn a_torn_last_line_is_skipped_with_a_warning() {
        let torn = &GOOD[..GOOD.len() / 2];
        let (read, warnings) = parse(&format!("{GOOD}\n{torn}"));
        assert_eq!(read.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].torn_tail);
        assert_eq!(warnings[0].line, 2);

        // Torn, then terminated by the next run's recorder: still the last line.
        let (read, warnings) = parse(&format!("{GOOD}\n{torn}\n"));
        assert_eq!((read.len(), warnings.len()), (1, 1));
        assert!(warnings[0].torn_tail);
    }

    #[test]
    fn a_corrupt_middle_line_is_reported_and_the_rest_is_read() {
        let (read, warnings) = parse(&format!("{GOOD}\n{{\"received_at\": 12\n{GOOD}\n{GOOD}\n"));
        assert_eq!(read.len(), 3);
        assert_eq!(read[2].line, 4);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 2);
        assert!(!warnings[0].torn_tail);
        assert!(
            warnings[0].to_string().starts_with("line 2: unreadable"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let line = GOOD.replace(r#""body":"[]""#, r#""body_b64":"/wBh""#);
        let (read, warnings) = parse(&format!("{line}\n"));
        assert!(warnings.is_empty());
        assert_eq!(read[0].body, Bytes::from_static(&[0xff, 0, b'a']));
    }

    #[test]
    fn a_refused_delivery_stays_refused_without_verification() {
        let line = GOOD.replace(
            r#""verdict":"ok","status":200"#,
            r#""verdict":"bad_signature","status":403"#,
        );
        let (read, _) = parse(&format!("{line}\n"));
        let d = rejudge(&Judge::new(None, 403), &read[0], 1);
        assert_eq!((d.status, d.verdict), (403, DeliveryVerdict::BadSignature));
        assert!(d.events.is_empty());
    }
}
