//! The demo's simulated Twilio, checked from outside: the generator's calls obey codes.md's
//! consistent-outcomes table and read back through `parse_delivery`; the simulator's requests,
//! captured by a small HTTP server here, are signed exactly as Twilio signs them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use callwatch::demo::generator::{
    CallGenerator, Scenario, SimulatedCall, delivery_body, test_event, with_data_as_string,
};
use callwatch::demo::simulator::{DEMO_AUTH_TOKEN, SimulatorConfig, run};
use callwatch::twilio::cloudevent::{DeliveredEvent, SummaryKind, parse_delivery};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Digest as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PARTIAL: &str = "com.twilio.voice.insights.call-summary.partial";
const PREDICTED: &str = "com.twilio.voice.insights.call-summary.predicted-complete";
const COMPLETE: &str = "com.twilio.voice.insights.call-summary.complete";

fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-01 12:00:00 UTC)
}

/// `n` calls from `seed`, one second apart.
fn calls(seed: u64, n: usize) -> Vec<SimulatedCall> {
    let mut generator = CallGenerator::new(seed);
    (0..n)
        .map(|i| generator.next_call(None, t0() + Duration::from_secs(i as u64)))
        .collect()
}

fn data(event: &Value) -> &Value {
    &event["data"]
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, key| &v[*key])
        .as_str()
        .unwrap_or_default()
}

fn int_at(v: &Value, path: &[&str]) -> i64 {
    path.iter()
        .fold(v, |v, key| &v[*key])
        .as_i64()
        .unwrap_or(-1)
}

fn is_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34
        && s.starts_with(prefix)
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn same_seed_gives_identical_calls_and_bytes() {
    let a = calls(2026, 60);
    let b = calls(2026, 60);
    assert_eq!(a, b);
    let bytes = |cs: &[SimulatedCall]| {
        cs.iter()
            .flat_map(|c| {
                c.events
                    .iter()
                    .map(|e| delivery_body(std::slice::from_ref(&e.event)))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bytes(&a), bytes(&b));
}

#[test]
fn different_seed_gives_different_calls() {
    let a = calls(1, 20);
    let b = calls(2, 20);
    let sids = |cs: &[SimulatedCall]| cs.iter().map(|c| c.call_sid.clone()).collect::<Vec<_>>();
    assert_ne!(sids(&a), sids(&b));
    assert_ne!(
        CallGenerator::new(1).account_sid(),
        CallGenerator::new(2).account_sid()
    );
}

#[test]
fn five_hundred_calls_cover_carriers_types_states_and_directions() {
    let calls = calls(500, 500);
    let mut carriers = BTreeSet::new();
    let mut call_types = BTreeSet::new();
    let mut final_states = BTreeMap::new();
    let mut partial_states = BTreeSet::new();
    let mut directions = BTreeSet::new();
    let mut scenarios = BTreeSet::new();
    let mut two_partials = 0;
    let mut tags = BTreeMap::new();
    for call in &calls {
        scenarios.insert(call.scenario);
        let partials = call
            .events
            .iter()
            .filter(|e| e.event["type"] == PARTIAL)
            .count();
        two_partials += usize::from(partials == 2);
        for e in &call.events {
            let d = data(&e.event);
            for side in ["from", "to"] {
                let carrier = str_at(d, &[side, "carrier"]);
                if !carrier.is_empty() {
                    carriers.insert(carrier.to_string());
                }
            }
            call_types.insert(str_at(d, &["call_type"]).to_string());
            directions.insert(str_at(d, &["properties", "direction"]).to_string());
            if e.event["type"] == PARTIAL {
                partial_states.insert(str_at(d, &["call_state"]).to_string());
            }
            if e.event["type"] == COMPLETE {
                *final_states
                    .entry(str_at(d, &["call_state"]).to_string())
                    .or_insert(0) += 1;
                for tag in d["tags"].as_array().into_iter().flatten() {
                    *tags
                        .entry(tag.as_str().unwrap_or_default().to_string())
                        .or_insert(0) += 1;
                }
            }
        }
    }
    eprintln!(
        "500 calls: {} carriers, call types {call_types:?}, final states {final_states:?}, \
         partial states {partial_states:?}, directions {directions:?}, {two_partials} with two \
         partials, tags {tags:?}",
        carriers.len()
    );
    assert!(carriers.len() >= 10, "{carriers:?}");
    assert_eq!(
        call_types,
        ["carrier", "client", "sip", "trunking", "whatsapp"]
            .map(String::from)
            .into()
    );
    let finals: BTreeSet<&str> = final_states.keys().map(String::as_str).collect();
    assert_eq!(
        finals,
        [
            "busy",
            "canceled",
            "completed",
            "fail",
            "noanswer",
            "undialed"
        ]
        .into()
    );
    assert!(partial_states.contains("ringing") && partial_states.contains("answered"));
    assert_eq!(directions.len(), 5, "{directions:?}");
    assert_eq!(scenarios.len(), Scenario::ALL.len());
    assert!(two_partials > 50, "{two_partials}");
    for tag in [
        "high_jitter",
        "high_packet_loss",
        "high_pdd",
        "high_latency",
        "low_mos",
        "silence",
    ] {
        assert!(tags.contains_key(tag), "no {tag} in {tags:?}");
    }
}

/// codes.md, "Consistent outcomes": the causes every event's call_state allows.
fn assert_causes_consistent(d: &Value, event_type: &str) {
    let state = str_at(d, &["call_state"]);
    let q850 = int_at(d, &["properties", "q850_cause"]);
    let sip = int_at(d, &["properties", "last_sip_response_num"]);
    let by = str_at(d, &["properties", "disconnected_by"]);
    let duration = int_at(d, &["duration"]);
    let connect = int_at(d, &["connect_duration"]);
    let unknown = "unknown_disconnected_by";
    let ctx = format!("{state}: q850 {q850}, sip {sip}, by {by}, {duration}/{connect} s");
    match state {
        "completed" => {
            assert!(q850 == 16 && sip == 200, "{ctx}");
            assert!(by == "caller" || by == "callee", "{ctx}");
            assert!(connect > 0 && duration >= connect, "{ctx}");
        }
        "busy" => assert!(
            q850 == 17 && [486, 600].contains(&sip) && by == unknown,
            "{ctx}"
        ),
        "noanswer" => {
            assert!(
                [18, 19].contains(&q850) && [480, 408].contains(&sip),
                "{ctx}"
            );
            assert_eq!(by, unknown, "{ctx}");
        }
        "canceled" => assert!(
            [16, 31].contains(&q850) && sip == 487 && by == "caller",
            "{ctx}"
        ),
        "fail" => {
            let bad_number = [1, 3, 28].contains(&q850) && [404, 484].contains(&sip);
            let network = [34, 38, 41, 42].contains(&q850) && [503, 500].contains(&sip);
            assert!((bad_number || network) && by == unknown, "{ctx}");
        }
        "undialed" => assert!(
            q850 == 0 && sip == 0 && by == unknown && duration == 0,
            "{ctx}"
        ),
        "ringing" | "answered" => {
            assert_eq!(
                event_type, PARTIAL,
                "{ctx}: in-progress states only in partials"
            );
            assert!(q850 == 0 && sip == 0 && by == unknown, "{ctx}");
            assert!(d.get("end_time").is_none(), "{ctx}: no end_time while live");
            if state == "ringing" {
                assert_eq!(connect, 0, "{ctx}");
            }
        }
        other => panic!("unexpected call_state {other}"),
    }
    if state != "completed" && state != "answered" {
        assert_eq!(connect, 0, "{ctx}: unanswered calls have no connect time");
    }
    if !["ringing", "answered"].contains(&state) {
        assert!(str_at(d, &["end_time"]).ends_with('Z'), "{ctx}");
    }
}

#[test]
fn causes_are_consistent_with_codes_md_for_every_event() {
    for call in calls(77, 500) {
        let final_state = str_at(
            data(&call.events[call.events.len() - 1].event),
            &["call_state"],
        )
        .to_string();
        let expected: &[&str] = match call.scenario {
            Scenario::Completed => &["completed"],
            Scenario::Busy => &["busy"],
            Scenario::NoAnswer => &["noanswer"],
            Scenario::Failed => &["fail", "undialed"],
            Scenario::Canceled => &["canceled"],
        };
        assert!(
            expected.contains(&final_state.as_str()),
            "{:?}: {final_state}",
            call.scenario
        );
        for e in &call.events {
            let d = data(&e.event);
            assert_causes_consistent(d, e.event["type"].as_str().unwrap_or_default());
            let state = str_at(d, &["call_state"]);
            assert!(
                state == final_state || ["ringing", "answered"].contains(&state),
                "a call only ever shows live states or its final one"
            );
            if state == "answered" {
                assert_eq!(final_state, "completed");
            }
            let pdd = int_at(d, &["properties", "pdd_ms"]);
            assert!((0..=15_000).contains(&pdd));
            if ["fail", "undialed"].contains(&final_state.as_str()) {
                assert_eq!(pdd, 0);
            }
        }
    }
}

#[test]
fn each_call_is_partials_then_predicted_then_complete() {
    let mut ids = BTreeSet::new();
    let mut account = None;
    for call in calls(3, 500) {
        assert!(is_sid(&call.call_sid, "CA"), "{}", call.call_sid);
        let types: Vec<&str> = call
            .events
            .iter()
            .map(|e| e.event["type"].as_str().unwrap_or_default())
            .collect();
        let partials = types.len() - 2;
        assert!((1..=2).contains(&partials), "{types:?}");
        assert!(types[..partials].iter().all(|t| *t == PARTIAL), "{types:?}");
        assert_eq!(&types[partials..], [PREDICTED, COMPLETE]);

        let offsets: Vec<Duration> = call.events.iter().map(|e| e.offset).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
        let secs = |d: Duration| d.as_secs_f64();
        assert!(
            offsets[..partials]
                .iter()
                .all(|&o| (1.0..=3.0).contains(&secs(o)))
        );
        assert!((3.0..=6.0).contains(&secs(offsets[partials])));
        assert!((5.0..=10.0).contains(&secs(offsets[partials + 1])));

        let versions: Vec<i64> = call
            .events
            .iter()
            .map(|e| int_at(data(&e.event), &["processing_version"]))
            .collect();
        assert_eq!(versions[0], 1);
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        for e in &call.events {
            let d = data(&e.event);
            let expected_state = if e.event["type"] == COMPLETE {
                "complete"
            } else {
                "partial"
            };
            assert_eq!(str_at(d, &["processing_state"]), expected_state);
            assert_eq!(str_at(d, &["call_sid"]), call.call_sid);
            let acct = str_at(d, &["account_sid"]).to_string();
            assert!(is_sid(&acct, "AC"));
            assert_eq!(account.get_or_insert_with(|| acct.clone()), &acct);

            // Envelope, exactly as docs/events.md's "A complete v1 event".
            let ev = &e.event;
            let keys: Vec<&str> = ev
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            assert_eq!(
                keys,
                [
                    "specversion",
                    "type",
                    "source",
                    "id",
                    "dataschema",
                    "datacontenttype",
                    "time",
                    "data"
                ]
            );
            assert_eq!(ev["specversion"], "1.0");
            assert_eq!(ev["source"], format!("/v1/Voice/{}/Summary", call.call_sid));
            assert_eq!(
                ev["dataschema"],
                "https://events-schemas.twilio.com/VoiceInsights.CallSummary/1"
            );
            assert_eq!(ev["datacontenttype"], "application/json");
            let id = str_at(ev, &["id"]);
            assert!(is_sid(id, "EZ"), "{id}");
            assert!(ids.insert(id.to_string()), "event id {id} reused");
            let time = str_at(ev, &["time"]);
            assert!(time.ends_with('Z') && time.len() == 24, "{time}");
            // The event time is the call's start plus the event's offset.
            let parsed = OffsetDateTime::parse(time, &Rfc3339).ok();
            let start = OffsetDateTime::parse(str_at(d, &["start_time"]), &Rfc3339).ok();
            assert_eq!(parsed, start.map(|s| s + e.offset), "{time}");
        }
        // Predicted-complete and complete describe the same final call.
        let mut predicted = data(&call.events[partials].event).clone();
        let mut complete = data(&call.events[partials + 1].event).clone();
        for d in [&mut predicted, &mut complete] {
            if let Some(m) = d.as_object_mut() {
                m.remove("processing_state");
                m.remove("processing_version");
            }
        }
        assert_eq!(predicted, complete);
    }
}

/// Tags recomputed from an event's metrics and pdd, per codes.md's thresholds.
fn expected_tags(d: &Value) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    for edge in ["carrier_edge", "sip_edge", "client_edge", "sdk_edge"] {
        for leg in ["inbound", "outbound"] {
            let s = &d[edge]["metrics"][leg];
            let avg = |k: &str| s[k]["avg"].as_f64();
            if avg("jitter").is_some_and(|v| v > 5.0) {
                tags.insert("high_jitter");
            }
            if s["packets_loss_percentage"]
                .as_f64()
                .is_some_and(|v| v > 5.0)
            {
                tags.insert("high_packet_loss");
            }
            if avg("latency").is_some_and(|v| v > 400.0) || avg("rtt").is_some_and(|v| v > 400.0) {
                tags.insert("high_latency");
            }
            if avg("mos").is_some_and(|v| v < 3.5) {
                tags.insert("low_mos");
            }
        }
    }
    if int_at(d, &["properties", "pdd_ms"]) > 5000 {
        tags.insert("high_pdd");
    }
    tags.into_iter().map(String::from).collect()
}

#[test]
fn edges_match_call_type_and_tags_match_metrics() {
    for call in calls(9, 500) {
        for e in &call.events {
            let d = data(&e.event);
            let present: Vec<&str> = ["carrier_edge", "sip_edge", "client_edge", "sdk_edge"]
                .into_iter()
                .filter(|k| d[*k].is_object())
                .collect();
            let expected: &[&str] = match str_at(d, &["call_type"]) {
                "carrier" => &["carrier_edge"],
                "sip" => &["sip_edge"],
                "trunking" => &["carrier_edge", "sip_edge"],
                "client" => &["client_edge", "sdk_edge"],
                _ => &[],
            };
            assert_eq!(present, expected);
            let answered = str_at(d, &["call_state"]) == "completed";
            for edge in &present {
                assert!(d[*edge]["properties"].is_object());
                let metrics = &d[*edge]["metrics"];
                if !answered {
                    assert!(metrics.is_null(), "no media before an answer");
                    continue;
                }
                for leg in ["inbound", "outbound"] {
                    let s = &metrics[leg];
                    if s.is_null() {
                        continue;
                    }
                    let codec = str_at(s, &["codec_name"]);
                    assert!(["pcmu", "opus"].contains(&codec), "{codec}");
                    let packets = s["packets_received"]
                        .as_f64()
                        .or(s["packets_sent"].as_f64())
                        .unwrap_or(0.0);
                    let lost = s["packets_lost"].as_f64().unwrap_or(-1.0);
                    let pct = s["packets_loss_percentage"].as_f64().unwrap_or(-1.0);
                    assert!(packets > 0.0 && lost >= 0.0 && lost <= packets);
                    assert!((pct - lost * 100.0 / packets).abs() < 0.01, "{s}");
                    let (avg, max) = (s["jitter"]["avg"].as_f64(), s["jitter"]["max"].as_f64());
                    assert!(avg.is_some_and(|a| max.is_some_and(|m| a > 0.0 && m >= a)));
                }
            }
            let mut tags: BTreeSet<String> = d["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(String::from))
                .collect();
            if tags.remove("silence") {
                assert!(answered, "silence needs media");
            }
            assert_eq!(tags, expected_tags(d), "{}", d["call_sid"]);
        }
    }
}

/// E.164 country calling codes of the countries the generator uses.
fn dial_code(country: &str) -> Option<&'static str> {
    Some(match country {
        "US" | "CA" => "1",
        "GB" => "44",
        "DE" => "49",
        "FR" => "33",
        "ES" => "34",
        "AU" => "61",
        _ => return None,
    })
}

#[test]
fn numbers_are_e164_and_match_their_country() {
    let mut checked = 0;
    for call in calls(21, 300) {
        let d = data(&call.events[0].event);
        for (side, key) in [("from", "caller"), ("to", "callee")] {
            let party = &d[side];
            let address = str_at(party, &[key]);
            let number = address.strip_prefix("whatsapp:").unwrap_or(address);
            let Some(digits) = number.strip_prefix('+') else {
                assert!(
                    address.starts_with("client:") || address.starts_with("sip:"),
                    "{address}"
                );
                continue;
            };
            assert!(
                (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
                "{address}"
            );
            let country = str_at(party, &["country_code"]);
            let code = dial_code(country).unwrap_or("?");
            assert!(digits.starts_with(code), "{address} is not in {country}");
            if !address.starts_with("whatsapp:") {
                assert!(!str_at(party, &["carrier"]).is_empty(), "{address}");
                assert_eq!(str_at(party, &["number_prefix"]), &digits[..code.len() + 3]);
                assert!(party["location"]["lat"].is_f64());
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked}");
}

#[test]
fn every_generated_delivery_parses_with_the_right_kind() {
    let mut parsed = 0;
    for call in calls(11, 200) {
        for e in &call.events {
            let expected_kind = match e.event["type"].as_str() {
                Some(PARTIAL) => SummaryKind::Partial,
                Some(PREDICTED) => SummaryKind::PredictedComplete,
                _ => SummaryKind::Complete,
            };
            for event in [e.event.clone(), with_data_as_string(&e.event)] {
                let body = delivery_body(std::slice::from_ref(&event));
                let events = parse_delivery(&body).map_err(|e| e.to_string());
                let Ok(events) = events else {
                    panic!("{events:?}: {}", String::from_utf8_lossy(&body));
                };
                assert_eq!(events.len(), 1);
                let DeliveredEvent::CallSummary(s) = &events[0] else {
                    panic!("not a call summary: {:?}", events[0]);
                };
                let d = data(&e.event);
                assert_eq!(s.kind, expected_kind);
                assert_eq!(s.id, str_at(&e.event, &["id"]));
                assert_eq!(s.schema_version(), Some(1));
                assert_eq!(s.summary.call_sid, call.call_sid);
                assert_eq!(s.summary.call_type.as_str(), str_at(d, &["call_type"]));
                assert_eq!(s.summary.call_state.as_str(), str_at(d, &["call_state"]));
                assert!(!s.summary.call_type.is_unknown() && !s.summary.call_state.is_unknown());
                assert_eq!(
                    s.summary.properties.q850_cause,
                    int_at(d, &["properties", "q850_cause"])
                );
                assert_eq!(
                    s.summary.properties.disconnected_by.as_str(),
                    str_at(d, &["properties", "disconnected_by"])
                );
                assert!(!s.summary.properties.direction.is_unknown());
                assert_eq!(
                    s.full_summary().expect("full summary").edges().len(),
                    expected_edge_count(d)
                );
                parsed += 1;
            }
        }
    }
    let mut g = CallGenerator::new(11);
    let test_id = g.next_test_id();
    let body = delivery_body(&[test_event(&test_id, g.account_sid(), t0())]);
    let events = parse_delivery(&body).map_err(|e| e.to_string());
    assert!(
        matches!(&events, Ok(v) if matches!(&v[..], [DeliveredEvent::TestEvent { test_id: t, id, .. }] if *t == test_id && id == g.account_sid())),
        "{events:?}"
    );
    assert!(parsed > 1000);
}

fn expected_edge_count(d: &Value) -> usize {
    ["carrier_edge", "sip_edge", "client_edge", "sdk_edge"]
        .into_iter()
        .filter(|k| d[*k].is_object())
        .count()
}

// ---- The simulator over real HTTP -------------------------------------------------------

/// One request as the capture server saw it.
#[derive(Debug, Clone)]
struct Captured {
    method: String,
    /// Path and query, as on the request line.
    target: String,
    /// Header names lowercased.
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Captured>>>;

/// A minimal HTTP/1.1 server on 127.0.0.1:0 that records every request and answers `status`.
async fn capture_server(status: u16) -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    let log: Log = Arc::default();
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, Arc::clone(&server_log), status));
        }
    });
    (port, log)
}

async fn serve(mut stream: TcpStream, log: Log, status: u16) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let target = request_line.next().unwrap_or_default().to_string();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        log.lock().expect("log lock").push(Captured {
            method,
            target,
            headers,
            body,
        });
        let answer = format!("HTTP/1.1 {status} Whatever\r\ncontent-length: 0\r\n\r\n");
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Twilio's signature, computed here independently of callwatch::twilio::signature.
fn twilio_signature(token: &str, full_url: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).expect("any key length");
    mac.update(full_url.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn config(port: u16, seed: u64, rate: f64, secs: f64) -> SimulatorConfig {
    SimulatorConfig {
        destination: format!("http://127.0.0.1:{port}/events"),
        auth_token: DEMO_AUTH_TOKEN.to_string(),
        seed,
        calls_per_minute: rate,
        duration: Some(Duration::from_secs_f64(secs)),
        send_test_event_first: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_posts_signed_deliveries_like_twilio() {
    let (port, log) = capture_server(200).await;
    let stats = run(config(port, 4242, 600.0, 3.0), std::future::pending())
        .await
        .expect("simulator runs");
    let captured = log.lock().expect("log lock").clone();
    eprintln!("{} requests captured; {stats:?}", captured.len());

    assert!(captured.len() >= 10, "{}", captured.len());
    assert!(captured.len() as u64 <= stats.sent);
    assert_eq!(
        (stats.errors, stats.status_4xx, stats.status_5xx),
        (0, 0, 0)
    );
    assert!(stats.calls_started >= 10, "{stats:?}");

    let mut ids: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
    let mut string_data = 0;
    let mut object_data = 0;
    let mut states = BTreeSet::new();
    let mut live_types = BTreeSet::new();
    let mut summaries = 0;
    for (i, req) in captured.iter().enumerate() {
        assert_eq!(req.method, "POST");
        let (path, query) = req.target.split_once('?').expect("a query string");
        assert_eq!(path, "/events");
        assert_eq!(
            query,
            format!("bodySHA256={}", hex(&sha2::Sha256::digest(&req.body)))
        );
        let full_url = format!("http://127.0.0.1:{port}{}", req.target);
        assert_eq!(
            req.headers.get("x-twilio-signature").map(String::as_str),
            Some(twilio_signature(DEMO_AUTH_TOKEN, &full_url).as_str())
        );
        assert_eq!(
            req.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert_eq!(
            req.headers.get("user-agent").map(String::as_str),
            Some("TwilioProxy/1.1")
        );

        // A compact JSON array of exactly one CloudEvent.
        let value: Value = serde_json::from_slice(&req.body).expect("JSON body");
        assert_eq!(
            serde_json::to_vec(&value).ok(),
            Some(req.body.clone()),
            "compact"
        );
        let [event] = value.as_array().map(Vec::as_slice).unwrap_or_default() else {
            panic!("not an array of one: {value}");
        };
        let events = parse_delivery(&req.body).expect("parses");
        if i == 0 {
            assert!(
                matches!(&events[..], [DeliveredEvent::TestEvent { .. }]),
                "the test event comes first: {events:?}"
            );
            continue;
        }
        let id = match &events[..] {
            [DeliveredEvent::CallSummary(summary)] => {
                states.insert(summary.summary.call_state.as_str().to_string());
                summaries += 1;
                summary.id.clone()
            }
            [DeliveredEvent::Live(live)] => {
                live_types.insert(live.kind.event_type());
                live.id.clone()
            }
            _ => panic!("expected one call summary or live event: {events:?}"),
        };
        if event["data"].is_string() {
            string_data += 1;
        } else {
            object_data += 1;
        }
        ids.entry(id).or_default().push(req.body.clone());
    }
    let duplicates: Vec<&Vec<Vec<u8>>> = ids.values().filter(|b| b.len() > 1).collect();
    eprintln!(
        "{string_data} string data, {object_data} object data, {} duplicated ids, states {states:?}",
        duplicates.len()
    );
    assert!(string_data > 0 && object_data > 0);
    assert!(
        !duplicates.is_empty(),
        "at-least-once delivery shows a duplicate"
    );
    assert!(
        duplicates
            .iter()
            .all(|bodies| bodies.windows(2).all(|w| w[0] == w[1])),
        "a duplicate is the same delivery again"
    );
    assert!(
        states.len() >= 3,
        "a 3-second run shows several call states: {states:?}"
    );
    assert!(summaries > 0);
    assert!(
        live_types.contains("com.twilio.voice.insights.call-event.gateway")
            && live_types.contains("com.twilio.voice.insights.call-metrics.gateway"),
        "calls are seen live before their summaries: {live_types:?}"
    );
    let resent: usize = duplicates.iter().map(|bodies| bodies.len() - 1).sum();
    assert!(
        resent as u64 <= stats.duplicates,
        "{resent} resent, {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_retries_5xx_but_never_4xx() {
    let (port_503, log_503) = capture_server(503).await;
    let (port_400, log_400) = capture_server(400).await;
    let (stats_503, stats_400) = tokio::join!(
        run(config(port_503, 8, 30.0, 2.0), std::future::pending()),
        run(config(port_400, 8, 30.0, 2.0), std::future::pending()),
    );
    let (stats_503, stats_400) = (stats_503.expect("runs"), stats_400.expect("runs"));

    // The test event goes out first and alone: once, then twice more after 250 + 750 ms.
    let log_503 = log_503.lock().expect("log lock").clone();
    let test_event_attempts = log_503.iter().filter(|r| r.body == log_503[0].body).count();
    assert_eq!(test_event_attempts, 3, "{stats_503:?}");
    assert!(
        stats_503.retries >= 2 && stats_503.status_5xx >= 1,
        "{stats_503:?}"
    );
    assert_eq!(stats_503.status_2xx, 0);

    let log_400 = log_400.lock().expect("log lock").clone();
    assert_eq!(stats_400.retries, 0, "{stats_400:?}");
    assert!(stats_400.status_4xx >= 2, "{stats_400:?}");
    let test_event_attempts = log_400.iter().filter(|r| r.body == log_400[0].body).count();
    assert_eq!(test_event_attempts, 1);
    assert_eq!(
        log_400.len() as u64,
        stats_400.sent,
        "every delivery POSTed exactly once"
    );
}
