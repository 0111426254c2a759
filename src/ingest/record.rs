//! The `--record` file: one JSON line per request to the events path, appended by one writer
//! thread that commits in groups (write every line waiting, one `sync_data`, then acknowledge
//! them all), so that a delivery is answered 2xx only once its line is on disk.
//!
//! # Line format
//!
//! Each line is a JSON object; readers ignore fields they do not know ([`super::replay`]):
//!
//! | field | meaning |
//! |---|---|
//! | `received_at` | arrival time, RFC 3339 UTC with milliseconds |
//! | `seq` | arrival order within one run of callwatch, from 1 |
//! | `method`, `path`, `query` | the request line; `query` is raw, without `?` |
//! | `headers` | only `x-twilio-signature`, `content-type`, `user-agent` and `x-twilio-webhooks-signature-settings` (lowercase names, when present); never `authorization` |
//! | `signed_url` | the URL the signature was checked against (public URL + raw query), a password in it shown as `•••` ([`display_url`]) |
//! | `verdict`, `status` | what callwatch decided and the status it answers (see below) |
//! | `reason` | why the body was malformed, for `verdict: "malformed"` |
//! | `bytes` | the body size (the announced size when a too-large body was refused unread) |
//! | `body_json` | the raw body, exactly as received, as a JSON value: for an accepted delivery whose body is one line of JSON starting with `[` or `{` (every Twilio delivery) |
//! | `body` | otherwise the raw body as a string, when it is valid UTF-8 |
//! | `body_b64` | otherwise the raw body in standard base64 |
//!
//! `body_json` keeps the recording readable with `jq` and costs a copy of the bytes; writing
//! the body as a JSON string meant escaping every quote in it (under `wrk` with `--record`,
//! 6% of the listener's CPU went to that escaping).
//!
//! # What is recorded, and how durably
//!
//! Every delivery answered 2xx is recorded. Refused requests are not, unless
//! `--record-refused` asks for them: then each is written cut down to what the deliveries view
//! keeps of it (a 4 KiB body prefix, 1 KiB of path and query: [`super::Delivery::shrink_refused`]),
//! so that an anonymous flood costs the disk a few kB a request at most. The file is rotated to
//! `FILE.1` when it reaches `--record-max-size` ([`Recorder::open_capped`]). Deliveries that would be answered 2xx (`ok`
//! and `duplicate`) are written *and synced* before they are answered; if that fails they are
//! answered 503 (`not_recorded` on screen) so that Twilio delivers them again. Their line says
//! `status: 200` because it is written before the answer: a line is only ever in the file with
//! the status callwatch meant to answer, and a delivery whose line could not be made durable is
//! cut off again when possible. Rejected requests are written without waiting (their answer
//! does not depend on the file) and made durable with the next sync; a crash may lose the last
//! few of them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use base64::Engine;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::{Delivery, DeliveryVerdict, ListenerStats};
use crate::timestamp::rfc3339;
use crate::twilio::url::display_url;

/// The request headers a recording keeps (lowercase, as hyper names them). `Authorization`
/// carries the sink's Basic credentials and is never among them.
pub const KEPT_HEADERS: [&str; 4] = [
    "x-twilio-signature",
    "content-type",
    "user-agent",
    "x-twilio-webhooks-signature-settings",
];

/// A batch stops growing past this many bytes, so one slow sync never holds a huge burst.
const MAX_BATCH_BYTES: usize = 8 << 20;

/// Why a line could not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The file could not be opened for appending.
    #[error(
        "cannot open the recording {path}: {message} (does its directory exist, and may \
         callwatch write there? Or choose another file with --record)"
    )]
    Open {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// Writing the batch failed (disk full, I/O error...).
    #[error("writing to the recording {path} failed: {message}")]
    Write {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// `sync_data` failed: the lines may not be on disk.
    #[error("syncing the recording {path} to disk failed: {message}")]
    Sync {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The writer thread has stopped (callwatch is shutting down).
    #[error("the recorder has stopped")]
    Closed,
}

/// The result the writer thread hands back for one durable line.
type Ack = oneshot::Sender<Result<(), RecordError>>;

/// Work for the writer thread.
enum Job {
    /// Append one line; `ack` (for deliveries about to be answered 2xx) waits for the sync.
    Line { bytes: Vec<u8>, ack: Option<Ack> },
    /// Sync what is written, then stop.
    Close(oneshot::Sender<()>),
}

/// A cheap-to-clone handle to the writer thread of one recording file.
#[derive(Clone)]
pub struct Recorder {
    /// Lines and close requests for the writer thread. Unbounded because every sender of a
    /// durable line waits for its ack, so at most one line per open connection is queued.
    tx: mpsc::UnboundedSender<Job>,
    /// The file, for messages.
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish()
    }
}

impl Recorder {
    /// Opens `path` for appending (creating it) and starts the writer thread, which counts into
    /// `stats`. A file that ends in a torn line (a crash mid-write) first gets a newline, so the
    /// torn line stays one unreadable line instead of spoiling the next one.
    pub fn open(path: &Path, stats: Arc<ListenerStats>) -> Result<Self, RecordError> {
        Self::open_capped(path, stats, u64::MAX)
    }

    /// [`Self::open`], rotating the file once it would grow past `max_bytes`
    /// (`--record-max-size`): between two batches, the file is synced and renamed to
    /// [`rotated_path`] (replacing the one rotated before), and a new file is started. Lines
    /// are never split; a single batch larger than `max_bytes` still goes into one file.
    pub fn open_capped(
        path: &Path,
        stats: Arc<ListenerStats>,
        max_bytes: u64,
    ) -> Result<Self, RecordError> {
        let shown = path.display().to_string();
        let open_error = |e: std::io::Error| RecordError::Open {
            path: shown.clone(),
            message: e.to_string(),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(open_error)?;
        if ends_in_torn_line(&mut file).map_err(open_error)? {
            file.write_all(b"\n").map_err(open_error)?;
        }
        let written = file.metadata().map_or(0, |m| m.len());
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Writer {
            file,
            path: shown.clone(),
            file_path: path.to_owned(),
            written,
            max_bytes,
            stats,
        };
        std::thread::Builder::new()
            .name("callwatch-recorder".into())
            .spawn(move || writer.run(rx))
            .map_err(open_error)?;
        Ok(Self {
            tx,
            path: Arc::new(path.to_owned()),
        })
    }

    /// The recording file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` and waits until it is written and synced.
    pub async fn append_durable(&self, line: Vec<u8>) -> Result<(), RecordError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Job::Line {
                bytes: line,
                ack: Some(ack),
            })
            .map_err(|_| RecordError::Closed)?;
        done.await.unwrap_or(Err(RecordError::Closed))
    }

    /// Appends `line` without waiting; it is synced with the next durable batch or on close.
    /// A failure is counted in [`ListenerStats::record_failures`].
    pub fn append(&self, line: Vec<u8>) {
        let _ = self.tx.send(Job::Line {
            bytes: line,
            ack: None,
        });
    }

    /// Writes and syncs everything sent so far, then stops the writer thread; later appends
    /// fail with [`RecordError::Closed`].
    pub async fn close(&self) {
        let (done_tx, done) = oneshot::channel();
        if self.tx.send(Job::Close(done_tx)).is_ok() {
            let _ = done.await;
        }
    }
}

/// True when `file` is not empty and its last byte is not a newline.
fn ends_in_torn_line(file: &mut File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 || !file.metadata()?.is_file() {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// The writer thread's state.
struct Writer {
    /// Opened for appending: every write lands at the end, even after a truncation.
    file: File,
    /// The file, for messages.
    path: String,
    /// The file, to rotate it.
    file_path: PathBuf,
    /// Bytes in the file now.
    written: u64,
    /// Past this the file is rotated before the next batch.
    max_bytes: u64,
    /// Where the outcome of every batch is counted.
    stats: Arc<ListenerStats>,
}

impl Writer {
    /// Group commit: take one job, then every job already waiting, write them in one go, sync
    /// once if any of them waits for it, acknowledge them all; repeat until closed.
    fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let mut batch: Vec<u8> = Vec::with_capacity(64 * 1024);
        let mut acks: Vec<Ack> = Vec::new();
        let mut unsynced = false;
        while let Some(first) = rx.blocking_recv() {
            batch.clear();
            acks.clear();
            let mut lines = 0u64;
            let mut close = None;
            let mut next = Some(first);
            while let Some(job) = next.take() {
                match job {
                    Job::Line { bytes, ack } => {
                        batch.extend_from_slice(&bytes);
                        lines += 1;
                        acks.extend(ack);
                    }
                    Job::Close(done) => {
                        close = Some(done);
                        break;
                    }
                }
                if batch.len() < MAX_BATCH_BYTES {
                    next = rx.try_recv().ok();
                }
            }
            let sync = !acks.is_empty() || (close.is_some() && (unsynced || lines > 0));
            let result = self.commit(&batch, sync);
            match &result {
                Ok(()) => {
                    unsynced = !sync && (unsynced || lines > 0);
                    self.stats.recorded.fetch_add(lines, Ordering::Relaxed);
                    if sync {
                        self.stats.record_syncs.fetch_add(1, Ordering::Relaxed);
                    }
                    *self
                        .stats
                        .record_error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = None;
                }
                Err(e) => {
                    tracing::error!(
                        error = %e,
                        lines,
                        "recording failed; deliveries are answered 503"
                    );
                    self.stats
                        .record_failures
                        .fetch_add(lines, Ordering::Relaxed);
                    *self
                        .stats
                        .record_error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                }
            }
            for ack in acks.drain(..) {
                let _ = ack.send(result.clone());
            }
            if let Some(done) = close {
                let _ = done.send(());
                return;
            }
        }
        // Every handle is gone: make what was written durable before the thread ends.
        if unsynced {
            let _ = self.file.sync_data();
        }
    }

    /// Writes `batch` (whole lines) and, when `sync`, makes it durable. On failure the file is
    /// cut back to where the batch began (when the file allows it), so a half-written line never
    /// sits before the next batch's lines.
    fn commit(&mut self, batch: &[u8], sync: bool) -> Result<(), RecordError> {
        if self.written > 0 && self.written.saturating_add(batch.len() as u64) > self.max_bytes {
            self.rotate();
        }
        let start = self.file.metadata().map(|m| m.len()).ok();
        let outcome = if batch.is_empty() {
            Ok(())
        } else {
            self.file.write_all(batch).map_err(|e| RecordError::Write {
                path: self.path.clone(),
                message: e.to_string(),
            })
        };
        let outcome = outcome.and_then(|()| {
            if sync {
                self.file.sync_data().map_err(|e| RecordError::Sync {
                    path: self.path.clone(),
                    message: e.to_string(),
                })
            } else {
                Ok(())
            }
        });
        if outcome.is_ok() {
            self.written += batch.len() as u64;
        }
        if outcome.is_err()
            && let Some(start) = start
            && self
                .file
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() > start)
        {
            let _ = self.file.set_len(start);
        }
        outcome
    }
}

impl Writer {
    /// Makes the file durable, moves it to [`rotated_path`] and starts a new one. On failure
    /// the current file is kept and the batch goes into it (past the size limit rather than
    /// lost).
    fn rotate(&mut self) {
        let rotated = rotated_path(&self.file_path);
        let attempt = (|| -> std::io::Result<File> {
            self.file.sync_data()?;
            std::fs::rename(&self.file_path, &rotated)?;
            let file = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(&self.file_path)?;
            // The rename and the new file are durable once the directory is.
            if let Some(dir) = self
                .file_path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                let _ = File::open(dir).and_then(|d| d.sync_all());
            }
            Ok(file)
        })();
        match attempt {
            Ok(file) => {
                self.file = file;
                self.written = 0;
                self.stats.record_rotations.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    recording = %self.path,
                    rotated_to = %rotated.display(),
                    max_bytes = self.max_bytes,
                    "recording rotated"
                );
            }
            Err(e) => {
                tracing::warn!(
                    recording = %self.path,
                    error = %e,
                    "recording could not be rotated; it grows past --record-max-size"
                );
            }
        }
    }
}

/// Where a recording goes when it is rotated: `FILE.1`.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut rotated = path.as_os_str().to_owned();
    rotated.push(".1");
    PathBuf::from(rotated)
}

/// One recording line, as written.
#[derive(Serialize)]
struct RecordLine<'a> {
    received_at: String,
    seq: u64,
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_url: Option<Cow<'a, str>>,
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    status: u16,
    bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_b64: Option<String>,
}

/// The recording line of `delivery`, newline included.
pub fn line_for(delivery: &Delivery) -> Vec<u8> {
    let mut headers = BTreeMap::new();
    for (name, value) in &delivery.headers {
        if let Some(kept) = KEPT_HEADERS.iter().find(|k| name.eq_ignore_ascii_case(k)) {
            // A repeated header keeps its first value, as the signature check does.
            headers.entry(*kept).or_insert(value);
        }
    }
    // A body of control bytes would take six bytes each as JSON escapes (`\u001b`): base64
    // takes 4/3 (an anonymous request recorded with --record-refused costs the disk little).
    let text = std::str::from_utf8(&delivery.body)
        .ok()
        .filter(|_| !has_costly_controls(&delivery.body));
    let verbatim = text.is_some() && body_is_verbatim_json(delivery);
    let (body, body_b64) = match text {
        _ if verbatim => (None, None),
        Some(text) => (Some(text), None),
        None => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(&delivery.body)),
        ),
    };
    let line = RecordLine {
        received_at: rfc3339(delivery.received_at),
        seq: delivery.seq,
        method: &delivery.method,
        path: &delivery.path,
        query: &delivery.query,
        headers,
        signed_url: delivery.signed_url.as_deref().map(display_url),
        verdict: delivery.verdict.as_str(),
        reason: match &delivery.verdict {
            DeliveryVerdict::Malformed(why) => Some(why),
            _ => None,
        },
        status: delivery.status,
        bytes: delivery.body_len,
        body,
        body_b64,
    };
    let mut out = Vec::with_capacity(delivery.body.len() + 512);
    // Serializing plain strings and numbers into a Vec cannot fail; should it ever, the line is
    // left empty-handed rather than half-written.
    if serde_json::to_writer(&mut out, &line).is_err() {
        out.clear();
        out.extend_from_slice(b"{}");
    }
    // C1 and bidi controls escaped too, so that `cat` of a recording is safe (the same value
    // for a JSON reader). A verbatim `body_json` is spliced in after: its bytes are the
    // signed body's and must stay as they came.
    if let Ok(text) = std::str::from_utf8(&out)
        && let std::borrow::Cow::Owned(safe) = crate::text::json_safe(text)
    {
        out = safe.into_bytes();
    }
    if verbatim && out.last() == Some(&b'}') {
        // The object ends with `}`: put the body in as its last member.
        out.pop();
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(b"\"body_json\":");
        out.extend_from_slice(&delivery.body);
        out.push(b'}');
    }
    out.push(b'\n');
    out
}

/// True when the body holds a control byte that JSON escapes as `\u00XX` (anything below
/// 0x20 but tab, line feed and carriage return; and DEL).
fn has_costly_controls(body: &[u8]) -> bool {
    body.iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
}

/// True when a UTF-8 body can be written into the line as it is (`body_json`): callwatch parsed
/// it as JSON (the delivery was accepted), it holds no line break, and it starts and ends with
/// the brackets of its value, so that reading the value back gives exactly these bytes.
fn body_is_verbatim_json(delivery: &Delivery) -> bool {
    let body = &delivery.body[..];
    delivery.verdict.is_accepted()
        && matches!(
            (body.first(), body.last()),
            (Some(b'['), Some(b']')) | (Some(b'{'), Some(b'}'))
        )
        && !body.iter().any(|&b| b == b'\n' || b == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn delivery(body: &[u8]) -> Delivery {
        let mut d = Delivery::accepted(
            7,
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_500),
            vec![],
        );
        d.query = "bodySHA256=ab".into();
        d.headers = crate::ingest::Headers::from(vec![
            ("host", "x"),
            ("x-twilio-signature", "sig="),
            ("authorization", "[redacted]"),
            ("content-type", "application/json"),
        ]);
        d.signed_url = Some("https://x/events?bodySHA256=ab".into());
        d.body = bytes::Bytes::copy_from_slice(body);
        d.body_len = body.len();
        d
    }

    #[test]
    fn a_line_keeps_the_raw_body_and_only_the_headers_that_matter() {
        let body = br#"[{"id": "EZ1",  "data": "{\"a\":1}"}]"#;
        let line = line_for(&delivery(body));
        assert_eq!(line.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(&line).expect("json");
        // Accepted and one line of JSON: the body is in the line byte for byte.
        assert!(v.get("body").is_none());
        assert_eq!(v["body_json"][0]["id"], "EZ1");
        let text = String::from_utf8(line.clone()).expect("utf-8");
        assert!(
            text.ends_with(&format!(
                r#","body_json":{}}}{}"#,
                std::str::from_utf8(body).unwrap(),
                "\n"
            )),
            "{text}"
        );
        assert_eq!(v["received_at"], "1970-01-01T00:00:01.500Z");
        assert_eq!(v["status"], 200);
        assert_eq!(v["verdict"], "ok");
        let headers: Vec<&String> = v["headers"].as_object().expect("headers").keys().collect();
        assert_eq!(headers, ["content-type", "x-twilio-signature"]);
        assert!(!String::from_utf8_lossy(&line).contains("authorization"));
    }

    #[test]
    fn a_password_in_the_signed_url_is_masked() {
        let mut d = delivery(b"[]");
        d.signed_url = Some("https://user:hunter2@x/events?bodySHA256=ab".into());
        let line = line_for(&d);
        let v: serde_json::Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(v["signed_url"], "https://user:•••@x/events?bodySHA256=ab");
        assert!(!String::from_utf8_lossy(&line).contains("hunter2"));
    }

    #[test]
    fn every_body_reads_back_byte_for_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.ndjson");
        let malformed = |body: &[u8]| {
            let mut d = delivery(body);
            d.verdict = DeliveryVerdict::Malformed("not JSON".into());
            d.status = 400;
            d
        };
        let cases: Vec<(Delivery, &str)> = vec![
            (
                delivery(r#"[{"id":"EZ1","data":{"s":"a\"b\\u00e9é"}}]"#.as_bytes()),
                "body_json",
            ),
            (delivery(br#"{"id":"EZ2"}"#), "body_json"),
            (delivery(b"[{\"id\":\"EZ3\"}\n]"), "body"),
            (delivery(br#" [{"id":"EZ4"}]"#), "body"),
            (delivery(br#"[{"id":"EZ5"}] "#), "body"),
            (malformed(br#"[{"id":"EZ6"}"#), "body"),
            (malformed(b"[1]"), "body"),
            (delivery(&[b'[', 0xff, b']']), "body_b64"),
        ];
        let mut file = Vec::new();
        for (d, field) in &cases {
            let line = line_for(d);
            let v: serde_json::Value = serde_json::from_slice(&line).expect("a JSON line");
            assert!(
                v.get(*field).is_some(),
                "{field} in {}",
                String::from_utf8_lossy(&line)
            );
            file.extend_from_slice(&line);
        }
        std::fs::write(&path, &file).expect("write");
        let (read, warnings) = super::super::replay::read_recording(&path).expect("read");
        assert!(warnings.is_empty(), "{warnings:?}");
        let bodies: Vec<&[u8]> = read.iter().map(|r| &r.body[..]).collect();
        let want: Vec<&[u8]> = cases.iter().map(|(d, _)| &d.body[..]).collect();
        assert_eq!(bodies, want);
    }

    #[test]
    fn a_body_that_is_not_utf8_goes_in_base64() {
        let line = line_for(&delivery(&[0xff, 0x00, b'a']));
        let v: serde_json::Value = serde_json::from_slice(&line).expect("json");
        assert!(v.get("body").is_none());
        assert_eq!(v["body_b64"], "/wBh");
    }

    #[tokio::test]
    async fn lines_are_appended_and_a_torn_tail_is_closed_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rec.ndjson");
        std::fs::write(&path, b"{\"torn\":").expect("seed");
        let stats = Arc::new(ListenerStats::default());
        let rec = Recorder::open(&path, Arc::clone(&stats)).expect("open");
        rec.append_durable(b"{\"a\":1}\n".to_vec())
            .await
            .expect("durable");
        rec.append(b"{\"b\":2}\n".to_vec());
        rec.close().await;
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"torn\":\n{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(ListenerStats::get(&stats.recorded), 2);
        assert!(ListenerStats::get(&stats.record_syncs) >= 1);
        assert!(matches!(
            rec.append_durable(b"{}\n".to_vec()).await,
            Err(RecordError::Closed)
        ));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_full_disk_fails_every_line_of_the_batch() {
        let stats = Arc::new(ListenerStats::default());
        let rec = Recorder::open(Path::new("/dev/full"), Arc::clone(&stats)).expect("open");
        let err = rec
            .append_durable(b"{}\n".to_vec())
            .await
            .expect_err("disk full");
        assert!(matches!(err, RecordError::Write { .. }), "{err:?}");
        assert_eq!(ListenerStats::get(&stats.record_failures), 1);
        assert!(stats.record_error().is_some());
        rec.close().await;
    }
}
