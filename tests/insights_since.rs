//! `listen --since` through the real binary: the table starts with the calls the fake Voice
//! Insights API lists, signed deliveries of the same calls merge into them (one call each),
//! and a later listing never overrides a summary that was delivered.

mod listen_process;
/// The fakes alone: `listen_process` brings the hermetic launcher.
mod support {
    pub mod fake_insights_api;
    pub mod openapi;
}

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use listen_process::{ListenProcess, free_port, post_raw};
use serde_json::{Value, json};
use support::fake_insights_api::{FakeInsightsApi, NewCall};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "since-test-token-0123456789abcdef";

/// A signed delivery of one call-summary event for `call_sid`, POSTed as Twilio would.
fn deliver(listener: &ListenProcess, public: &str, event: Value) -> u16 {
    let body = serde_json::to_vec(&json!([event])).unwrap();
    let (full, signature) =
        sign_json_delivery(TOKEN.as_bytes(), public, &body, Algorithm::HmacSha1);
    let path = format!("/events?{}", full.split_once('?').expect("query").1);
    post_raw(
        &listener.addr,
        &path,
        &[("X-Twilio-Signature", &signature)],
        &body,
    )
}

fn summary_event(id: &str, kind: &str, call_sid: &str, call_state: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": format!("com.twilio.voice.insights.call-summary.{kind}"),
        "source": "/v1/Voice/Summaries",
        "id": id,
        "time": callwatch::timestamp::rfc3339(std::time::SystemTime::now()),
        "datacontenttype": "application/json",
        "data": {
            "call_sid": call_sid,
            "account_sid": ACCOUNT_SID,
            "call_type": "carrier",
            "call_state": call_state,
            "processing_state": if kind == "complete" { "complete" } else { "partial" },
            "tags": [],
        },
    })
}

/// The `call` lines for `call_sid`, in order.
fn call_lines<'a>(lines: &'a [Value], call_sid: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "call" && l["call_sid"] == call_sid)
        .collect()
}

// The listener is read blocking: the fake serves from the other worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfilled_and_delivered_summaries_are_one_call_and_delivered_ones_win() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, TOKEN).await;
    let complete = fake.add_call(NewCall::default());
    let partial = fake.add_call(NewCall {
        processing_state: "partial".into(),
        call_state: "completed".into(),
        ..NewCall::default()
    });
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let base = fake.base_url();
    let mut listener = ListenProcess::start(
        &["--port", &port, "--public-url", &public, "--since", "1h"],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("CALLWATCH_INSIGHTS_API_BASE", &base),
            ("CALLWATCH_SINCE_POLL_SECS", "1"),
        ],
    );
    // Before any delivery: both calls, from the API.
    let lines = listener.wait_for("the backfilled calls", |lines| {
        !call_lines(lines, &complete).is_empty() && !call_lines(lines, &partial).is_empty()
    });
    assert_eq!(
        call_lines(&lines, &complete)[0]["processing_state"],
        "complete"
    );
    assert_eq!(
        call_lines(&lines, &partial)[0]["processing_state"],
        "partial"
    );

    // A delivered partial of the call the API had complete: merged into it, still complete.
    let status = deliver(
        &listener,
        &public,
        summary_event(
            "EZ00000000000000000000000000000001",
            "partial",
            &complete,
            "ringing",
        ),
    );
    assert_eq!(status, 200);
    // A delivered complete of the call the API had partial: it wins.
    let status = deliver(
        &listener,
        &public,
        summary_event(
            "EZ00000000000000000000000000000002",
            "complete",
            &partial,
            "fail",
        ),
    );
    assert_eq!(status, 200);
    let lines = listener.wait_for("both deliveries", |lines| {
        call_lines(lines, &complete).len() >= 2 && call_lines(lines, &partial).len() >= 2
    });
    let after = call_lines(&lines, &complete)[1];
    assert_eq!(after["processing_state"], "complete", "{after}");
    assert_eq!(after["call_state"], "completed", "{after}");
    let after = call_lines(&lines, &partial)[1];
    assert_eq!(after["processing_state"], "complete", "{after}");
    assert_eq!(after["call_state"], "fail", "{after}");

    // The API's copy changes (still partial): the next listing brings it, and it does not
    // override the delivered complete summary.
    fake.update_call(&partial, |s| s["tags"] = json!(["silence"]));
    let lines = listener.wait_for("the next listing", |lines| {
        call_lines(lines, &partial).len() >= 3
    });
    let last = call_lines(&lines, &partial)[2];
    assert_eq!(last["processing_state"], "complete", "{last}");
    assert_eq!(last["call_state"], "fail", "{last}");
    let listings: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "delivery" && l["method"] == "GET")
        .collect();
    assert!(listings.len() >= 2, "{listings:?}");
    for request in fake.requests() {
        assert_ne!(
            request.status, 400,
            "refused by the API description: {request:?}"
        );
    }
    listener.kill();
}

#[test]
fn since_without_credentials_for_the_api_is_a_usage_error() {
    let port = free_port().to_string();
    let public = format!("http://127.0.0.1:{port}/events");
    let output = listen_process::callwatch()
        .args(["listen", "--output", "ndjson", "--port", &port])
        .args(["--public-url", &public, "--since", "1h"])
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .output()
        .expect("callwatch ran");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TWILIO_ACCOUNT_SID"), "{stderr}");
}
