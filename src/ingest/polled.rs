//! Deliveries made from what Twilio's Voice Insights REST API returned rather than from what
//! Event Streams POSTed: a listing's call summaries (`poll`, `listen --since`), and one call's
//! events and 10-second samples (the TUI's details). They are CloudEvents as Event Streams
//! would have sent them, read by the one reader ([`parse_delivery`]), so the store merges them
//! by its own rules: they carry no CloudEvent `time`, so a delivered summary of the same stage
//! and version (which has one) always ranks above a polled one.

use std::hash::{Hash, Hasher};
use std::time::SystemTime;

use bytes::Bytes;
use serde_json::{Value, json};

use super::Delivery;
use crate::twilio::cloudevent::{COMPLETE_TYPE, PARTIAL_TYPE, parse_delivery};
use crate::twilio::live::LiveKind;
use crate::twilio::summary::CallSummary;

/// The path a listing's delivery carries, for the deliveries view and recordings.
pub const SUMMARIES_PATH: &str = "/v1/Voice/Summaries";

/// A fingerprint of a summary's content (this process only).
pub fn fingerprint(summary: &CallSummary) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(summary)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

/// The summaries as a delivery of call-summary CloudEvents, as Event Streams would have sent
/// them: `complete` summaries as `call-summary.complete`, the others as `.partial`. The events
/// carry no `time`, so that a delivered event of the same stage and version (which has one)
/// always ranks above a polled one in the store.
pub fn summaries_delivery(seq: u64, at: SystemTime, summaries: &[CallSummary]) -> Delivery {
    let events: Vec<serde_json::Value> = summaries
        .iter()
        .map(|s| {
            let kind = if s.processing_state.as_str() == "complete" {
                COMPLETE_TYPE
            } else {
                PARTIAL_TYPE
            };
            json!({
                "specversion": "1.0",
                "type": kind,
                "source": SUMMARIES_PATH,
                "id": format!("poll-{}-{:016x}", s.call_sid, fingerprint(s)),
                "datacontenttype": "application/json",
                "data": s,
            })
        })
        .collect();
    let body = serde_json::to_vec(&events).unwrap_or_default();
    // Built from summaries that were read, so it reads back; an event that would not is
    // dropped rather than shown wrong.
    let parsed = parse_delivery(&body).unwrap_or_default();
    let mut delivery = Delivery::accepted(seq, at, parsed);
    delivery.method = "GET".into();
    delivery.path = SUMMARIES_PATH.into();
    delivery.body_len = body.len();
    delivery.body = Bytes::from(body);
    delivery
}

/// One call's events and samples, as returned by the API, as a delivery of live Call Insights
/// events: `sdk_edge` ones as `call-event.sdk` / `call-metrics.sdk`, the others as the gateway
/// types. `first_event` and `first_metric` number them (the ids the store's history keeps).
pub fn call_delivery(
    seq: u64,
    at: SystemTime,
    call_sid: &str,
    events: &[Value],
    metrics: &[Value],
    (first_event, first_metric): (usize, usize),
) -> Delivery {
    let wrap = |kind: LiveKind, n: usize, data: &Value| {
        json!({
            "specversion": "1.0",
            "type": kind.event_type(),
            "source": format!("/v1/Voice/{call_sid}"),
            "id": format!("api-{call_sid}-{}-{n}", if kind.is_metrics() { "metric" } else { "event" }),
            "datacontenttype": "application/json",
            "data": data,
        })
    };
    let sdk = |v: &Value| v["edge"] == "sdk_edge";
    let mut items: Vec<Value> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let kind = if sdk(e) {
            LiveKind::SdkEvent
        } else {
            LiveKind::GatewayEvent
        };
        items.push(wrap(kind, first_event + i, e));
    }
    for (i, m) in metrics.iter().enumerate() {
        let kind = if sdk(m) {
            LiveKind::SdkMetrics
        } else {
            LiveKind::GatewayMetrics
        };
        items.push(wrap(kind, first_metric + i, m));
    }
    let body = serde_json::to_vec(&items).unwrap_or_default();
    let parsed = parse_delivery(&body).unwrap_or_default();
    let mut delivery = Delivery::accepted(seq, at, parsed);
    delivery.method = "GET".into();
    delivery.path = format!("/v1/Voice/{call_sid}/Events+Metrics");
    delivery.body_len = body.len();
    delivery.body = Bytes::from(body);
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_of_summaries_reads_back_as_call_summary_events() {
        let mut summary = CallSummary {
            call_sid: "CA0123456789abcdef0123456789abcdef".into(),
            ..CallSummary::default()
        };
        summary.tags = vec!["silence".into()];
        let delivery = summaries_delivery(1, SystemTime::now(), &[summary]);
        assert_eq!(delivery.events.len(), 1);
        assert_eq!(delivery.events[0].event_type(), PARTIAL_TYPE);
        assert_eq!(
            delivery.events[0].call_sid(),
            Some("CA0123456789abcdef0123456789abcdef")
        );
        assert_eq!(delivery.events[0].time(), None);
        assert_eq!(delivery.method, "GET");
    }

    #[test]
    fn a_calls_events_and_samples_read_back_as_live_events() {
        let sid = "CA0123456789abcdef0123456789abcdef";
        let event = json!({"timestamp": "2026-12-06T00:00:00Z", "call_sid": sid,
            "account_sid": "AC0", "edge": "carrier_edge", "group": "call", "name": "ringing",
            "level": "INFO"});
        let metric = json!({"timestamp": "2026-12-06T00:00:10Z", "call_sid": sid,
            "account_sid": "AC0", "edge": "sdk_edge", "direction": "both",
            "sdk_edge": {"interval": {"mos": {"value": 4.1}, "jitter": {"value": 9}}}});
        let delivery = call_delivery(3, SystemTime::now(), sid, &[event], &[metric], (0, 5));
        let types: Vec<&str> = delivery.events.iter().map(|e| e.event_type()).collect();
        assert_eq!(
            types,
            [
                LiveKind::GatewayEvent.event_type(),
                LiveKind::SdkMetrics.event_type()
            ]
        );
        assert_eq!(delivery.events[1].id(), format!("api-{sid}-metric-5"));
        assert!(delivery.events.iter().all(|e| e.call_sid() == Some(sid)));
    }
}
