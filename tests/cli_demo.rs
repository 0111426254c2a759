//! The real binary: `callwatch demo` in line modes, and usage errors.

#[path = "support/hermetic.rs"]
mod hermetic;

use hermetic::callwatch;

#[test]
fn demo_ndjson_prints_listening_then_calls_in_several_states() {
    let out = callwatch()
        .args(["demo", "--output", "ndjson", "--duration", "3"])
        .output()
        .expect("run callwatch");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(lines[0]["type"], "listening");
    let addr = lines[0]["addr"].as_str().expect("addr");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert!(
        lines[0]["public_url"]
            .as_str()
            .expect("url")
            .ends_with("/events")
    );
    for line in &lines {
        let keys: Vec<&String> = line.as_object().expect("object").keys().collect();
        assert_eq!(keys[0], "type", "type comes first: {line}");
    }
    let states: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter(|l| l["type"] == "call")
        .map(|l| l["call_state"].as_str().expect("call_state"))
        .collect();
    assert!(states.len() >= 3, "call states seen: {states:?}");
    assert!(
        lines.iter().any(|l| l["type"] == "test_event"),
        "the sink test event comes first"
    );
    let deliveries: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["type"] == "delivery").collect();
    assert!(!deliveries.is_empty());
    assert!(
        deliveries.iter().all(|d| d["status"] == 200),
        "demo deliveries verify"
    );
    let call = lines
        .iter()
        .find(|l| l["type"] == "call")
        .expect("a call line");
    for field in [
        "call_sid",
        "event_id",
        "event_type",
        "processing_state",
        "call_state",
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
    ] {
        assert!(call.get(field).is_some(), "call line lacks {field}: {call}");
    }
}

#[test]
fn demo_ndjson_shows_calls_live_before_their_summaries() {
    let out = callwatch()
        .args(["demo", "--output", "ndjson", "--duration", "4"])
        .output()
        .expect("run callwatch");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let calls: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["type"] == "call")
        .collect();
    const LIVE: [&str; 4] = [
        "com.twilio.voice.insights.call-event.gateway",
        "com.twilio.voice.insights.call-event.sdk",
        "com.twilio.voice.insights.call-metrics.gateway",
        "com.twilio.voice.insights.call-metrics.sdk",
    ];
    let is_live = |l: &serde_json::Value| LIVE.iter().any(|t| l["event_type"] == *t);
    let mut summarized = std::collections::BTreeSet::new();
    let mut first_live_before_summary = 0;
    for l in &calls {
        let sid = l["call_sid"].as_str().expect("call_sid").to_owned();
        assert!(l["call_state"].is_string(), "{l}");
        if is_live(l) {
            if !summarized.contains(&sid) {
                // Only live events so far: no summary has said how it was processed (null
                // today; `live` is how the store names that stage).
                assert!(
                    l["processing_state"].is_null() || l["processing_state"] == "live",
                    "{l}"
                );
                first_live_before_summary += 1;
            }
        } else {
            assert!(
                l["event_type"]
                    .as_str()
                    .is_some_and(|t| t.contains(".call-summary.")),
                "{l}"
            );
            summarized.insert(sid);
        }
    }
    assert!(first_live_before_summary > 0, "live events come first");
    // Every call is seen live before its first summary.
    let mut seen = std::collections::BTreeSet::new();
    for l in &calls {
        let sid = l["call_sid"].as_str().unwrap_or_default();
        if is_live(l) {
            seen.insert(sid.to_owned());
        } else {
            assert!(seen.contains(sid), "a summary before any live event: {l}");
        }
    }
    let states: std::collections::BTreeSet<&str> = calls
        .iter()
        .filter_map(|l| l["call_state"].as_str())
        .collect();
    for state in ["ringing", "answered"] {
        assert!(states.contains(state), "{state} not among {states:?}");
    }
    let finals = ["completed", "busy", "noanswer", "fail", "canceled"];
    assert!(
        finals.iter().any(|s| states.contains(s)),
        "calls settle: {states:?}"
    );
    assert!(
        calls
            .iter()
            .any(|l| l["event_type"] == "com.twilio.voice.insights.call-metrics.gateway"),
        "quality samples arrive while calls go on"
    );
}

#[test]
fn demo_same_seed_same_calls() {
    let run = || {
        let out = callwatch()
            .args([
                "demo",
                "--output",
                "ndjson",
                "--duration",
                "2",
                "--seed",
                "42",
            ])
            .output()
            .expect("run");
        let sids: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "call")
            .map(|v| v["call_sid"].as_str().unwrap_or_default().to_owned())
            .collect();
        sids
    };
    let (a, b) = (run(), run());
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn demo_compact_is_readable() {
    let out = callwatch()
        .args(["demo", "--output", "compact", "--duration", "2"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sink test event received"), "{text}");
    assert!(text.contains(" → "), "{text}");
}

#[test]
fn listen_without_public_url_is_a_usage_error() {
    let out = callwatch()
        .args(["listen", "--port", "0"])
        .env("TWILIO_AUTH_TOKEN", "x")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--public-url"), "{err}");
}

#[test]
fn listen_without_token_names_the_variable() {
    let out = callwatch()
        .args([
            "listen",
            "--port",
            "0",
            "--public-url",
            "https://x.example/events",
        ])
        .env_remove("TWILIO_AUTH_TOKEN")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TWILIO_AUTH_TOKEN"));
}

#[test]
fn bad_rate_is_a_usage_error() {
    let out = callwatch()
        .args(["demo", "--rate", "-3"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
