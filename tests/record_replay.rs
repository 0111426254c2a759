//! `--record`, `replay`, `export` and `listen --resume` through the real binary: nothing
//! acknowledged is lost when callwatch is killed, a write failure is answered 503, recordings
//! survive torn and corrupt lines, and a recording replays, resends and exports to the same
//! calls as the live run.

mod listen_process;
#[path = "support/signed_load.rs"]
mod signed_load;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use listen_process::{ListenProcess, callwatch};

use callwatch::demo::simulator::DEMO_AUTH_TOKEN;
use callwatch::ingest::replay::read_recording;
use serde_json::Value;

const TOKEN: &str = "record-test-token";
const PUBLIC: &str = "https://sink.example.test/events";

/// The fields of a `call` line that describe the call (not the event that just arrived).
const STATE_FIELDS: [&str; 14] = [
    "call_state",
    "processing_state",
    "call_type",
    "direction",
    "from_caller",
    "to_callee",
    "from_carrier",
    "to_carrier",
    "disconnected_by",
    "q850_cause",
    "last_sip_response_num",
    "duration",
    "pdd_ms",
    "tags",
];

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("record_replay");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The last `call` line of each call SID, reduced to [`STATE_FIELDS`].
fn final_states(lines: &[Value]) -> BTreeMap<String, Value> {
    let mut calls = BTreeMap::new();
    for line in lines.iter().filter(|l| l["type"] == "call") {
        let state: serde_json::Map<String, Value> = STATE_FIELDS
            .iter()
            .map(|f| ((*f).to_owned(), line[*f].clone()))
            .collect();
        calls.insert(
            line["call_sid"].as_str().expect("call_sid").to_owned(),
            Value::Object(state),
        );
    }
    calls
}

/// One demo run, recorded, shared by the tests that need a realistic recording.
struct DemoRun {
    recording: PathBuf,
    live: Vec<Value>,
}

fn demo_run() -> &'static DemoRun {
    static RUN: OnceLock<DemoRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let recording = scratch("demo.ndjson");
        let out = callwatch()
            .args([
                "demo",
                "--rate",
                "600",
                "--seed",
                "5",
                "--duration",
                "3",
                "--output",
                "ndjson",
                "--record",
            ])
            .arg(&recording)
            .output()
            .expect("run demo");
        assert!(
            out.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let live = json_lines(&String::from_utf8(out.stdout).expect("utf-8"));
        assert!(final_states(&live).len() >= 5, "the demo produced calls");
        DemoRun { recording, live }
    })
}

fn copy_of_demo(name: &str) -> PathBuf {
    let path = scratch(name);
    std::fs::copy(&demo_run().recording, &path).expect("copy");
    path
}

/// `replay FILE --max --output ndjson [extra]`: (stdout lines, stderr).
fn replay_ndjson(file: &Path, extra: &[&str]) -> (Vec<Value>, String) {
    let out = callwatch()
        .arg("replay")
        .arg(file)
        .args(["--max", "--output", "ndjson"])
        .args(extra)
        .env_remove("TWILIO_AUTH_TOKEN")
        .output()
        .expect("run replay");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "stderr: {stderr}");
    (
        json_lines(&String::from_utf8(out.stdout).expect("utf-8")),
        stderr,
    )
}

/// Starts `callwatch listen --output ndjson` on `port` for `public_url`, signing with `token`.
fn listen(port: u16, public_url: &str, token: &str, extra: &[&str]) -> ListenProcess {
    let port = port.to_string();
    let mut args = vec![
        "--port",
        &port,
        "--public-url",
        public_url,
        "--auth-token",
        token,
    ];
    args.extend_from_slice(extra);
    ListenProcess::start(&args, &[])
}

fn deliveries(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "delivery").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_no_acknowledged_delivery() {
    let recording = scratch("killed.ndjson");
    let listening = listen(
        0,
        PUBLIC,
        TOKEN,
        &["--record", recording.to_str().expect("path")],
    );
    let load = signed_load::start(3000, PUBLIC, &listening.base(), TOKEN, 32);
    // Kill it without warning once a few hundred deliveries have been acknowledged.
    load.wait_for_acked(400).await;
    let mut listening = listening;
    listening.kill();
    let deliveries = &load.deliveries;
    let outcome = load.task.await.expect("load");
    assert!(
        outcome.acknowledged.len() < deliveries.len(),
        "the kill came in the middle of the load ({} of {} acknowledged)",
        outcome.acknowledged.len(),
        deliveries.len()
    );
    assert_eq!(outcome.refused, 0, "nothing was refused");

    let (recorded, warnings) = read_recording(&recording).expect("read the recording");
    assert!(
        warnings.iter().all(|w| w.torn_tail),
        "only the last line may be torn: {warnings:?}"
    );
    let lost = signed_load::acknowledged_but_missing(
        &outcome,
        deliveries,
        recorded.iter().map(|r| &r.body[..]),
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged deliveries are not in the recording: {lost:?}",
        lost.len()
    );
    for rec in &recorded {
        assert_eq!((rec.status, rec.verdict.as_str()), (200, "ok"));
        assert!(rec.header("x-twilio-signature").is_some());
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_recording_that_cannot_be_written_acknowledges_nothing() {
    let mut listening = listen(0, PUBLIC, TOKEN, &["--record", "/dev/full"]);
    let bodies = signed_load::distinct_bodies(3);
    for body in &bodies {
        let resp = signed_load::post_signed(&listening.base(), PUBLIC, TOKEN, body).await;
        assert_eq!(
            resp.status().as_u16(),
            503,
            "never 2xx for an unrecorded delivery"
        );
    }
    // The same event again is still not a duplicate: it was never acknowledged.
    let resp = signed_load::post_signed(&listening.base(), PUBLIC, TOKEN, &bodies[0]).await;
    assert_eq!(resp.status().as_u16(), 503);
    listening.wait_for("four deliveries and the error", |lines| {
        deliveries(lines).len() == 4 && lines.iter().any(|l| l["type"] == "record_error")
    });
    let lines = listening.lines();
    for d in deliveries(&lines) {
        assert_eq!(
            (d["status"].as_u64(), d["verdict"].as_str()),
            (Some(503), Some("not_recorded")),
            "{d}"
        );
    }
    let error = lines
        .iter()
        .find(|l| l["type"] == "record_error")
        .expect("record_error line");
    assert!(
        error["error"]
            .as_str()
            .expect("error")
            .contains("/dev/full"),
        "{error}"
    );
    assert!(
        lines.iter().all(|l| l["type"] != "call"),
        "nothing unrecorded is applied"
    );
}

#[test]
fn replay_of_a_demo_recording_reaches_the_live_final_states() {
    let demo = demo_run();
    let (lines, stderr) = replay_ndjson(&demo.recording, &[]);
    assert!(stderr.is_empty() || !stderr.contains("warning"), "{stderr}");
    assert_eq!(lines[0]["type"], "replaying");
    assert_eq!(final_states(&lines), final_states(&demo.live));
    let live_deliveries = deliveries(&demo.live).len();
    assert_eq!(
        deliveries(&lines).len(),
        live_deliveries,
        "every request is replayed"
    );
}

#[test]
fn replay_verify_checks_signatures_against_the_recorded_url() {
    let demo = demo_run();
    let (lines, _) = replay_ndjson(
        &demo.recording,
        &["--verify", "--auth-token", DEMO_AUTH_TOKEN],
    );
    assert!(deliveries(&lines).iter().all(|d| d["status"] == 200));
    assert_eq!(final_states(&lines), final_states(&demo.live));

    let (lines, _) = replay_ndjson(
        &demo.recording,
        &["--verify", "--auth-token", "not-the-demo-token"],
    );
    let all = deliveries(&lines);
    assert!(!all.is_empty());
    assert!(
        all.iter().all(|d| d["verdict"] == "bad_signature"),
        "{all:?}"
    );
    assert!(final_states(&lines).is_empty());
}

#[test]
fn a_torn_last_line_is_skipped_with_a_warning() {
    let file = copy_of_demo("torn.ndjson");
    let text = std::fs::read_to_string(&file).expect("read");
    let total = text.lines().count();
    let first = text.lines().next().expect("a line");
    let mut torn = text.clone();
    torn.push_str(&first[..first.len() / 2]);
    std::fs::write(&file, torn).expect("write");

    let (lines, stderr) = replay_ndjson(&file, &[]);
    assert!(stderr.contains(&format!("line {}", total + 1)), "{stderr}");
    assert!(stderr.contains("incomplete"), "{stderr}");
    assert_eq!(deliveries(&lines).len(), total);
    assert_eq!(final_states(&lines), final_states(&demo_run().live));
}

#[test]
fn a_corrupt_middle_line_is_reported_by_number_and_the_rest_is_read() {
    let file = copy_of_demo("corrupt.ndjson");
    let text = std::fs::read_to_string(&file).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    lines.insert(
        2,
        "{\"received_at\": \"2026-01-01T00:00:00Z\", \"verdict\": garbage",
    );
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");

    let (out, stderr) = replay_ndjson(&file, &[]);
    assert!(stderr.contains("line 3: unreadable"), "{stderr}");
    assert_eq!(deliveries(&out).len(), total, "every other line is read");
    assert_eq!(final_states(&out), final_states(&demo_run().live));
}

#[tokio::test(flavor = "multi_thread")]
async fn resend_is_accepted_by_another_callwatch() {
    let demo = demo_run();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe a free port");
        probe.local_addr().expect("addr").port()
    };
    let target = format!("http://127.0.0.1:{port}/events");
    let mut receiver = listen(port, &target, "receiver-token", &[]);

    let recording = demo.recording.clone();
    let to = target.clone();
    let out = tokio::task::spawn_blocking(move || {
        callwatch()
            .arg("replay")
            .arg(&recording)
            .args(["--max", "--to", &to, "--auth-token", "receiver-token"])
            .output()
            .expect("run replay --to")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = stdout
        .lines()
        .filter(|l| l.starts_with("200 line "))
        .count();
    let accepted = deliveries(&demo.live)
        .iter()
        .filter(|d| d["status"] == 200)
        .count();
    assert_eq!(sent, accepted, "{stdout}");

    // A delivery's line comes before the call lines it leads to: wait for those too.
    let expected = final_states(&demo.live);
    receiver.wait_for("every resent delivery and the calls they update", |lines| {
        deliveries(lines).len() == accepted && final_states(lines) == expected
    });
    let lines = receiver.lines();
    assert!(deliveries(&lines).iter().all(|d| d["status"] == 200));
    assert_eq!(final_states(&lines), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_shows_the_recorded_calls_and_knows_their_events() {
    let demo = demo_run();
    let file = copy_of_demo("resume.ndjson");
    let lines_before = std::fs::read_to_string(&file)
        .expect("read")
        .lines()
        .count();
    let mut listening = listen(
        0,
        PUBLIC,
        TOKEN,
        &["--record", file.to_str().expect("path"), "--resume"],
    );

    listening.wait_for("the resumed line", |lines| lines.len() >= 2);
    let resumed = listening.lines()[1].clone();
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    let expected_calls = final_states(&demo.live);
    assert_eq!(resumed["calls"].as_u64(), Some(expected_calls.len() as u64));
    let count = resumed["deliveries"].as_u64().expect("deliveries") as usize;
    listening.wait_for("the resumed deliveries and their calls", |lines| {
        deliveries(lines).len() >= count && final_states(lines) == expected_calls
    });
    assert_eq!(final_states(&listening.lines()), expected_calls);

    // Twilio re-delivers an event acknowledged before the restart: a duplicate.
    let (recorded, _) = read_recording(&file).expect("read");
    let old = recorded
        .iter()
        .find(|r| r.verdict == "ok" && r.body.windows(12).any(|w| w == b"call-summary"))
        .expect("a recorded call summary");
    let resp = signed_load::post_signed(&listening.base(), PUBLIC, TOKEN, &old.body).await;
    assert_eq!(resp.status().as_u16(), 200);
    // A new one is applied, and durable by the time it is acknowledged.
    let fresh = &signed_load::distinct_bodies(1)[0];
    let resp = signed_load::post_signed(&listening.base(), PUBLIC, TOKEN, fresh).await;
    assert_eq!(resp.status().as_u16(), 200);
    let (recorded, _) = read_recording(&file).expect("read");
    assert_eq!(
        recorded.len(),
        lines_before + 2,
        "both deliveries are appended"
    );
    assert_eq!(recorded[lines_before].verdict, "duplicate");
    assert_eq!(&recorded[lines_before + 1].body[..], &fresh[..]);

    listening.wait_for("the two new deliveries", |lines| {
        deliveries(lines).len() >= count + 2
    });
    let lines = listening.lines();
    let new: Vec<&str> = deliveries(&lines)[count..]
        .iter()
        .map(|d| d["verdict"].as_str().expect("verdict"))
        .collect();
    assert_eq!(new, ["duplicate", "ok"]);
}

/// A small RFC 4180 reader: enough to read back what `export --format csv` writes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn export_reads_back_as_the_live_final_states() {
    let demo = demo_run();
    let (csv, json) = (scratch("export.csv"), scratch("export.json"));
    for (format, path) in [("csv", &csv), ("json", &json)] {
        let out = callwatch()
            .arg("export")
            .arg(&demo.recording)
            .args(["--format", format, "--out"])
            .arg(path)
            .output()
            .expect("run export");
        assert!(
            out.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rows: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parse");
    let live = final_states(&demo.live);
    assert_eq!(rows.len(), live.len(), "one row per call");
    let zero_is_null = |v: &Value| if v == 0 { Value::Null } else { v.clone() };
    for row in &rows {
        let sid = row["call_sid"].as_str().expect("call_sid");
        let state = &live[sid];
        for (column, field) in [
            ("call_state", "call_state"),
            ("processing", "processing_state"),
            ("call_type", "call_type"),
            ("direction", "direction"),
            ("from", "from_caller"),
            ("to", "to_callee"),
            ("from_carrier", "from_carrier"),
            ("to_carrier", "to_carrier"),
            ("disconnected_by", "disconnected_by"),
            ("duration", "duration"),
            ("tags", "tags"),
        ] {
            // A call seen only live so far: the export names its stage `live`, as the store
            // does; the ndjson line has no summary's processing_state yet (null).
            if column == "processing" && state[field].is_null() {
                assert!(
                    row[column].is_null() || row[column] == "live",
                    "{sid} {column}: {}",
                    row[column]
                );
                continue;
            }
            assert_eq!(row[column], state[field], "{sid} {column}");
        }
        assert_eq!(
            row["q850_cause"],
            zero_is_null(&state["q850_cause"]),
            "{sid}"
        );
        assert_eq!(
            row["sip"],
            zero_is_null(&state["last_sip_response_num"]),
            "{sid}"
        );
    }

    let table = parse_csv(&std::fs::read_to_string(&csv).expect("csv"));
    let header = &table[0];
    assert_eq!(header.len(), 25);
    assert_eq!(table.len() - 1, rows.len());
    for (cells, row) in table[1..].iter().zip(&rows) {
        for (name, cell) in header.iter().zip(cells) {
            let expected = match &row[name.as_str()] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Array(tags) => tags
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            assert_eq!(cell, &expected, "column {name}");
        }
    }
}

#[test]
fn usage_errors_exit_2_and_help_has_examples() {
    let demo = demo_run();
    let code = |args: &[&str]| {
        callwatch()
            .args(args)
            .env_remove("TWILIO_AUTH_TOKEN")
            .stderr(Stdio::null())
            .status()
            .expect("run")
            .code()
    };
    let file = demo.recording.to_str().expect("path");
    assert_eq!(
        code(&["replay", file, "--verify"]),
        Some(2),
        "--verify needs a token"
    );
    assert_eq!(
        code(&["replay", file, "--to", "http://127.0.0.1:9/events"]),
        Some(2),
        "--to needs a token"
    );
    assert_eq!(code(&["replay", file, "--speed", "2", "--max"]), Some(2));
    assert_eq!(code(&["replay", file, "--speed", "0"]), Some(2));
    assert_eq!(
        code(&[
            "listen",
            "--public-url",
            PUBLIC,
            "--auth-token",
            "x",
            "--resume"
        ]),
        Some(2)
    );
    assert_eq!(
        code(&[
            "replay",
            "/nonexistent/recording.ndjson",
            "--max",
            "--output",
            "quiet"
        ]),
        Some(1)
    );
    for command in ["replay", "export"] {
        let out = callwatch()
            .args([command, "--help"])
            .output()
            .expect("help");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Examples:"), "{command}: {help}");
    }
}
