//! Live calls through the real binary, with deliveries signed as Twilio signs them: a call is
//! on the ndjson output from its first progress event, before any summary; its quality fields
//! follow the samples by their own timestamps; late progress events and an early partial
//! summary do not regress it; its final state is its summaries'.

mod listen_process;

use std::time::{Duration, SystemTime};

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use listen_process::{ListenProcess, free_port};
use serde_json::{Value, json};

const TOKEN: &str = "live-calls-test-token-0123456789";
const SID: &str = "CA0123456789abcdef0123456789abcdef";

/// RFC 3339 for `secs` seconds after a start two minutes ago.
fn at(secs: u64) -> String {
    let start = SystemTime::now() - Duration::from_secs(120);
    callwatch::timestamp::rfc3339(start + Duration::from_secs(secs))
}

fn envelope(id: &str, event_type: &str, time: &str, data: Value) -> Value {
    json!({"specversion": "1.0", "type": event_type, "source": format!("/v1/Voice/{SID}"),
        "id": id, "time": time, "datacontenttype": "application/json", "data": data})
}

fn progress(id: &str, name: &str, secs: u64) -> Value {
    let time = at(secs);
    envelope(
        id,
        "com.twilio.voice.insights.call-event.gateway",
        &time,
        json!({"timestamp": time, "call_sid": SID, "account_sid": "AC0123456789abcdef0123456789abcdef",
            "edge": "carrier_edge", "name": name, "group": "call", "level": "INFO",
            "carrier_edge": {"metadata": {"region": "us1", "edge_location": "ashburn"}}}),
    )
}

fn sample(id: &str, secs: u64, jitter: f64, lost: i64, mos: f64) -> Value {
    let time = at(secs);
    envelope(
        id,
        "com.twilio.voice.insights.call-metrics.sdk",
        &time,
        json!({"timestamp": time, "call_sid": SID, "edge": "sdk_edge", "direction": "both",
            "sdk_edge": {"interval": {"mos": {"value": mos}, "rtt": {"value": 80}, "jitter": {"value": jitter},
                "packets_lost": lost, "packets_received": 500 - lost}}}),
    )
}

fn warning(id: &str, name: &str, group: &str, secs: u64) -> Value {
    let time = at(secs);
    envelope(
        id,
        "com.twilio.voice.insights.call-event.sdk",
        &time,
        json!({"timestamp": time, "call_sid": SID, "edge": "sdk_edge", "name": name,
            "group": group, "level": "WARNING"}),
    )
}

fn summary(id: &str, kind: &str, state: &str, secs: u64) -> Value {
    envelope(
        id,
        &format!("com.twilio.voice.insights.call-summary.{kind}"),
        &at(secs),
        json!({"call_sid": SID, "call_type": "client", "call_state": state,
            "processing_state": if kind == "complete" { "complete" } else { "partial" },
            "from": {"caller": "client:alice", "carrier": ""},
            "to": {"callee": "+14155550100", "carrier": "AT&T Wireless"},
            "duration": 60, "tags": []}),
    )
}

/// Posts one delivery (a CloudEvents array), signed for the listener's public URL as Twilio
/// signs it, and gives the answer's status.
fn post(listener: &ListenProcess, public: &str, events: &[Value]) -> u16 {
    let body = serde_json::to_vec(events).expect("json");
    let (full, signature) =
        sign_json_delivery(TOKEN.as_bytes(), public, &body, Algorithm::HmacSha1);
    let path = format!("/events?{}", full.split_once('?').expect("query").1);
    listen_process::post_raw(
        &listener.addr,
        &path,
        &[("X-Twilio-Signature", &signature)],
        &body,
    )
}

/// [`post`]s one delivery, expects it accepted, and gives the `call` lines it produced.
fn deliver(listener: &mut ListenProcess, public: &str, events: &[Value]) -> Vec<Value> {
    let status = post(listener, public, events);
    assert_eq!(status, 200, "{}", listener.stderr());
    (0..events.len())
        .map(|_| listener.next_of_type("call"))
        .collect()
}

#[test]
fn a_live_call_is_shown_from_its_first_progress_event_and_settled_by_its_summaries() {
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let mut listener = ListenProcess::start(
        &["--port", &port, "--public-url", &public],
        &[
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );

    // Ringing: on the output at once, with no summary.
    let line = &deliver(
        &mut listener,
        &public,
        &[progress("EZp1", "call.ringing", 0)],
    )[0];
    assert_eq!(line["call_sid"], SID);
    assert_eq!(
        line["event_type"],
        "com.twilio.voice.insights.call-event.gateway"
    );
    assert_eq!(line["call_state"], "ringing");
    assert_eq!(line["processing_state"], Value::Null);
    assert_eq!(line["progress"], "call.ringing");
    assert_eq!(line["in_progress"], false);
    assert_eq!(line["mos"], Value::Null);
    assert_eq!(line["samples"], 0);

    // Answered: in progress.
    let line = &deliver(&mut listener, &public, &[progress("EZp2", "answered", 5)])[0];
    assert_eq!(line["call_state"], "answered");
    assert_eq!(line["in_progress"], true);

    // Two samples in one delivery, the newer first: the newer stays the latest.
    let lines = deliver(
        &mut listener,
        &public,
        &[
            sample("EZm2", 25, 42.0, 15, 3.1),
            sample("EZm1", 15, 8.0, 0, 4.3),
        ],
    );
    let last = &lines[1];
    assert_eq!(last["jitter_ms"], 42.0);
    assert_eq!(last["loss_pct"], 3.0);
    assert_eq!(last["mos"], 3.1);
    assert_eq!(last["rtt_ms"], 80.0);
    assert_eq!(last["jitter_max"], 42.0);
    assert_eq!(last["mos_min"], 3.1);
    assert_eq!(last["loss_max"], 3.0);
    assert_eq!(last["samples"], 2);
    assert_eq!(last["in_progress"], true);

    // An SDK warning raised, then cleared.
    let raised = &deliver(
        &mut listener,
        &public,
        &[warning(
            "EZw1",
            "high-jitter",
            "network-quality-warning-raised",
            26,
        )],
    )[0];
    assert_eq!(raised["warnings"], json!(["high-jitter"]));
    let cleared = &deliver(
        &mut listener,
        &public,
        &[warning(
            "EZw2",
            "high-jitter",
            "network-quality-warning-cleared",
            40,
        )],
    )[0];
    assert_eq!(cleared["warnings"], json!([]));

    // Completed; then a late "answered" and an early partial summary that says "ringing":
    // neither regresses it.
    let line = &deliver(&mut listener, &public, &[progress("EZp3", "completed", 65)])[0];
    assert_eq!(line["call_state"], "completed");
    assert_eq!(line["in_progress"], false);
    let late = deliver(
        &mut listener,
        &public,
        &[
            progress("EZp4", "answered", 6),
            summary("EZs1", "partial", "ringing", 70),
        ],
    );
    assert_eq!(late[0]["call_state"], "completed");
    assert_eq!(late[0]["progress"], "completed");
    assert_eq!(late[1]["call_state"], "completed");
    assert_eq!(late[1]["processing_state"], "partial");
    assert_eq!(
        late[1]["to_carrier"], "AT&T Wireless",
        "the summary's fields are shown"
    );

    // The complete summary decides among final states.
    let line = &deliver(
        &mut listener,
        &public,
        &[summary("EZs2", "complete", "noanswer", 90)],
    )[0];
    assert_eq!(line["call_state"], "noanswer");
    assert_eq!(line["processing_state"], "complete");
    assert_eq!(line["samples"], 2, "the quality stays with the call");
    assert_eq!(line["mos"], 3.1);

    // A re-delivery of a live event is a duplicate: no call line.
    let status = post(&listener, &public, &[sample("EZm1", 15, 8.0, 0, 4.3)]);
    assert_eq!(status, 200);
    // (The `delivery` line of the summary before may not have been read yet.)
    let verdicts: Vec<Value> = (0..2)
        .map(|_| listener.next_of_type("delivery")["verdict"].clone())
        .take_while(|v| v != "duplicate")
        .collect();
    assert!(verdicts.len() < 2, "no duplicate verdict: {verdicts:?}");
    listener.kill();
}

/// Record, replay and export carry the live types: a recording of a live call replays to the
/// same call lines, and exports its final state with its quality.
#[test]
fn record_replay_and_export_carry_live_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recording = dir.path().join("calls.ndjson");
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let mut listener = ListenProcess::start(
        &[
            "--port",
            &port,
            "--public-url",
            &public,
            "--record",
            recording.to_str().expect("utf-8"),
        ],
        &[
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );
    let live = deliver(
        &mut listener,
        &public,
        &[
            progress("EZr1", "ringing", 0),
            progress("EZr2", "answered", 4),
            sample("EZr3", 14, 35.0, 10, 3.4),
        ],
    );
    assert_eq!(live[2]["in_progress"], true);
    listener.terminate();

    let replay = listen_process::callwatch()
        .args(["replay", "--max", "--output", "ndjson"])
        .arg(&recording)
        .output()
        .expect("replay");
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let calls: Vec<Value> = String::from_utf8_lossy(&replay.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "call")
        .collect();
    assert_eq!(calls.len(), 3, "{calls:?}");
    for (replayed, live) in calls.iter().zip(&live) {
        for field in [
            "event_type",
            "call_state",
            "in_progress",
            "jitter_ms",
            "loss_pct",
            "mos",
            "samples",
        ] {
            assert_eq!(replayed[field], live[field], "{field}");
        }
    }

    let export = listen_process::callwatch()
        .args(["export", "--format", "json"])
        .arg(&recording)
        .output()
        .expect("export");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let rows: Value = serde_json::from_slice(&export.stdout).expect("json");
    let row = &rows[0];
    assert_eq!(row["call_sid"], SID);
    assert_eq!(row["call_state"], "answered");
    assert_eq!(row["processing"], "live");
    assert_eq!(row["in_progress"], true);
    assert_eq!(row["jitter_ms"], 35.0);
    assert_eq!(row["loss_pct"], 2.0);
    assert_eq!(row["mos"], 3.4);
}

#[test]
fn a_live_event_without_a_call_sid_is_refused_as_malformed() {
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let mut listener = ListenProcess::start(
        &["--port", &port, "--public-url", &public],
        &[
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("CALLWATCH_CONFIG", "/dev/null"),
        ],
    );
    let mut event = progress("EZx", "ringing", 0);
    event["data"]["call_sid"] = Value::Null;
    assert_eq!(post(&listener, &public, &[event]), 400);
    let delivery = listener.next_of_type("delivery");
    assert_eq!(delivery["verdict"], "malformed");
    let reason = delivery["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("has no call_sid"), "{reason}");
    listener.kill();
}
