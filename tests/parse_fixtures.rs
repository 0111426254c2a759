//! Parses the recorded deliveries in `assets/twilio/fixtures/` and every CallSummary example of
//! Twilio's Insights OpenAPI spec (`assets/twilio/twilio_insights_v1.json`), wrapped as
//! CloudEvents, through the public `parse_delivery` API.

use std::path::PathBuf;

use callwatch::twilio::cloudevent::{
    CALL_SUMMARY_TYPES, DeliveredEvent, DeliveryParseError, SummaryEvent, SummaryKind,
    TEST_EVENT_TYPE, parse_delivery,
};
use callwatch::twilio::codes::{q850_label, sip_label, tag_meaning};
use callwatch::twilio::summary::{
    CallState, CallSummary, CallType, Connection, Direction, DisconnectedBy, Location,
    ProcessingState,
};
use callwatch::twilio::summary_core::SummaryCore;
use serde_json::{Value, json};

const COMPLETE: &str = "com.twilio.voice.insights.call-summary.complete";

fn asset(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/twilio")
        .join(rel)
}

fn read_bytes(rel: &str) -> Vec<u8> {
    let path = asset(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn one_summary(events: Vec<DeliveredEvent>) -> SummaryEvent {
    match <[DeliveredEvent; 1]>::try_from(events) {
        Ok([DeliveredEvent::CallSummary(e)]) => {
            // The listener reads only the core of `data` and keeps its text: the core must be
            // what the full summary, read from that text when a call is opened, says.
            let full = e.full_summary().expect("the kept data reads as a summary");
            assert_eq!(
                e.summary,
                SummaryCore::from(&full),
                "core vs full summary of {}",
                e.id
            );
            e
        }
        other => panic!("expected exactly one call summary, got {other:?}"),
    }
}

/// The full summary of the one call-summary event in `events`.
fn one_full_summary(events: Vec<DeliveredEvent>) -> CallSummary {
    one_summary(events).full_summary().expect("full summary")
}

/// Wraps a summary as the `data` of a complete CloudEvent, as an object or double-encoded.
fn wrap(summary: &Value, data_as_string: bool) -> Vec<u8> {
    let data = if data_as_string {
        Value::String(summary.to_string())
    } else {
        summary.clone()
    };
    let call_sid = summary["call_sid"].as_str().unwrap_or_default();
    serde_json::to_vec(&json!([{
        "specversion": "1.0",
        "type": COMPLETE,
        "source": format!("/v1/Voice/{call_sid}/Summary"),
        "id": "EZ00000000000000000000000000000001",
        "dataschema": "https://events-schemas.twilio.com/VoiceInsights.CallSummary/2",
        "datacontenttype": "application/json",
        "time": "2026-01-01T00:00:00.000Z",
        "data": data,
    }]))
    .unwrap()
}

/// Checks that everything non-null in `orig` is in `out` (the re-serialized summary), so nothing
/// the example carried was dropped. Numbers compare as f64.
fn assert_covers(orig: &Value, out: &Value, path: &str) {
    match (orig, out) {
        (Value::Null, _) => {}
        (Value::Object(o), Value::Object(s)) => {
            for (k, v) in o {
                let sub = format!("{path}.{k}");
                match s.get(k) {
                    Some(w) => assert_covers(v, w, &sub),
                    None => assert!(v.is_null(), "{sub} was dropped"),
                }
            }
        }
        (Value::Array(o), Value::Array(s)) => {
            assert_eq!(o.len(), s.len(), "{path}: array length");
            for (i, (v, w)) in o.iter().zip(s).enumerate() {
                assert_covers(v, w, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "{path}"),
        _ => assert_eq!(orig, out, "{path}"),
    }
}

fn edge_names(s: &CallSummary) -> Vec<&'static str> {
    s.edges().into_iter().map(|(name, _)| name).collect()
}

#[test]
fn predicted_complete_fixture() {
    let e = one_summary(parse_delivery(&read_bytes("fixtures/predicted-complete.json")).unwrap());
    assert_eq!(e.id, "EZ00000000000000000000000000000000");
    assert_eq!(e.kind, SummaryKind::PredictedComplete);
    assert_eq!(e.time.as_deref(), Some("2020-07-23T22:56:33.000Z"));
    assert_eq!(e.schema_version(), Some(1));
    let s = &e.full_summary().unwrap();
    assert_eq!(s.call_sid, "CA00000000000000000000000000000000");
    assert_eq!(s.account_sid, "AC00000000000000000000000000000000");
    assert_eq!(s.call_type, CallType::Client);
    assert_eq!(s.call_state, CallState::Canceled);
    assert!(s.call_state.is_final());
    // The kind comes from the event type; the data still says "partial".
    assert_eq!(s.processing_state, ProcessingState::Partial);
    assert_eq!(s.processing_version, Some(1));
    assert_eq!(s.from.caller, "+55555555");
    assert_eq!(s.from.carrier, "MEGA:CORP");
    assert_eq!(s.from.connection, Connection::Landline);
    assert_eq!(
        s.from.location,
        Some(Location {
            lat: 0.0,
            lon: -0.0
        })
    );
    assert_eq!(s.to.callee, "client:SOMECLIENT");
    assert_eq!(s.to.connection, Connection::TwilioSdk);
    assert_eq!(s.properties.direction, Direction::OutboundApi);
    assert_eq!(
        s.properties.disconnected_by,
        DisconnectedBy::UnknownDisconnectedBy
    );
    assert_eq!(s.properties.region, "unknown_realm");
    assert_eq!(q850_label(s.properties.q850_cause), "");
    assert_eq!(sip_label(s.properties.last_sip_response_num), "");
    assert!(s.edges().is_empty());
    assert!(s.tags.is_empty());
    assert!(s.extra.is_empty() && s.properties.extra.is_empty());
}

#[test]
fn test_event_fixture() {
    let events = parse_delivery(&read_bytes("fixtures/test-event.json")).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id(), "AC11111111111111111111111111111111");
    assert_eq!(events[0].event_type(), TEST_EVENT_TYPE);
    match &events[0] {
        DeliveredEvent::TestEvent { id, test_id, time } => {
            assert_eq!(id, "AC11111111111111111111111111111111");
            assert_eq!(test_id, "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88");
            assert_eq!(time.as_deref(), Some("2026-06-10T06:02:54.377Z"));
        }
        other => panic!("expected a test event, got {other:?}"),
    }
}

/// Every CallSummary example of the Insights spec, by example name and index.
fn spec_examples() -> Vec<(String, Value)> {
    let spec: Value = serde_json::from_slice(&read_bytes("twilio_insights_v1.json")).unwrap();
    let mut out = Vec::new();
    let list = &spec["paths"]["/v1/Voice/Summaries"]["get"]["responses"]["200"]["content"]["application/json"]
        ["examples"];
    let list = list.as_object().expect("Summaries examples");
    for (name, example) in list {
        let summaries = example["value"]["call_summaries"]
            .as_array()
            .expect("call_summaries");
        for (i, s) in summaries.iter().enumerate() {
            out.push((format!("{name}[{i}]"), s.clone()));
        }
    }
    let single = &spec["paths"]["/v1/Voice/{CallSid}/Summary"]["get"]["responses"]["200"]["content"]
        ["application/json"]["examples"];
    for (name, example) in single.as_object().expect("Summary examples") {
        out.push((name.clone(), example["value"].clone()));
    }
    out
}

/// Per-example assertions; returns false for an example it does not know.
fn check_example(name: &str, s: &CallSummary) -> bool {
    let carrier = s.carrier_edge.as_ref();
    let sip = s.sip_edge.as_ref();
    let client = s.client_edge.as_ref();
    match name {
        "readWithCarrier[0]" | "readWithCarrier[1]" => {
            assert_eq!(s.call_type, CallType::Carrier);
            assert_eq!(s.call_state, CallState::Completed);
            assert_eq!(s.answered_by.as_deref(), Some("machine_start"));
            assert_eq!(s.from.carrier, "T-Mobile USA, Inc.");
            assert_eq!(s.from.connection, Connection::Mobile);
            assert_eq!(
                s.from.location,
                Some(Location {
                    lat: 40.83885,
                    lon: -74.04568
                })
            );
            assert_eq!(s.to.carrier, "AT&T Wireless");
            assert_eq!(s.properties.direction, Direction::Inbound);
            assert_eq!(s.properties.disconnected_by, DisconnectedBy::Callee);
            assert_eq!(sip_label(s.properties.last_sip_response_num), "200 OK");
            assert_eq!(s.properties.pdd_ms, Some(121));
            assert_eq!(edge_names(s), ["carrier"]);
            let edge = carrier.unwrap();
            assert_eq!(edge.property_str("media_region"), Some("us1"));
            assert_eq!(edge.property_str("direction"), Some("inbound"));
            let m = edge.metrics.as_ref().unwrap();
            let inbound = m.inbound.as_ref().unwrap();
            let jitter = inbound.jitter.unwrap();
            assert_eq!(jitter.avg, Some(0.483035));
            assert_eq!(jitter.max, Some(1.48209));
            assert_eq!(inbound.codec, Some(0));
            assert_eq!(inbound.codec_name.as_deref(), Some("pcmu"));
            assert_eq!(inbound.packets_lost, Some(0));
            assert_eq!(inbound.packets_loss_percentage, Some(0.0));
            assert_eq!(inbound.latency, None);
            let outbound = m.outbound.as_ref().unwrap();
            assert_eq!(outbound.jitter.unwrap().avg, Some(0.364434));
            let trust = s.trust.as_ref().unwrap();
            assert_eq!(trust["verified_caller"]["verified"], json!(true));
            assert_eq!(trust["branded"]["display_name"], json!("Owl bank"));
            assert_eq!(
                s.attributes.as_ref().unwrap()["conference_participant"],
                json!(false)
            );
            assert_eq!(s.annotation, None);
            if name.ends_with("[0]") {
                assert_eq!(s.duration, Some(20));
                assert_eq!(inbound.packets_received, Some(202));
                assert_eq!(outbound.packets_sent, Some(218));
                // Tagged high_packet_loss although no packet was lost in the metrics.
                assert_eq!(s.tags, ["high_packet_loss", "high_jitter"]);
                assert!(s.tags.iter().all(|t| tag_meaning(t).is_some()));
            } else {
                assert_eq!(s.duration, Some(18));
                assert_eq!(inbound.packets_received, Some(100));
                assert!(s.tags.is_empty(), "tags: null");
            }
        }
        "readWithSubaccount[0]" => {
            assert_eq!(s.account_sid, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
            assert_eq!(s.parent_account_sid, "");
            assert_eq!(s.call_type, CallType::Client);
            assert_eq!(s.from.caller, "client:+15555555555");
            assert_eq!(s.from.connection, Connection::TwilioSdk);
            assert_eq!(s.from.location, None);
            assert_eq!(s.to.callee, "client:TBBXXXXXXXXXXXX");
            assert_eq!(s.tags, ["high_pdd"]);
            assert_eq!(s.trust, None);
            assert_eq!(edge_names(s), ["client"]);
            let edge = client.unwrap();
            assert_eq!(edge.property_str("twilio_media_ip"), Some("54.xxx.xx.xxx"));
            let m = edge.metrics.as_ref().unwrap();
            assert_eq!(
                m.inbound.as_ref().unwrap().jitter.unwrap().max,
                Some(5.60994)
            );
            assert_eq!(m.outbound.as_ref().unwrap().packets_sent, Some(229));
            assert_eq!(s.properties.direction, Direction::Inbound);
            assert_eq!(s.properties.pdd_ms, Some(58));
        }
        "readWithSubaccount[1]" => {
            assert_eq!(s.account_sid, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
            assert_eq!(s.from.carrier, "Verizon");
            assert_eq!(s.from.connection, Connection::Landline);
            assert_eq!(s.to.connection, Connection::TwilioSdk);
            assert_eq!(s.properties.direction, Direction::OutboundApi);
            assert_eq!(edge_names(s), ["client"]);
            assert_eq!(client.unwrap().property_str("direction"), Some("outbound"));
            assert_eq!(s.connect_duration, Some(3));
        }
        "readWithTrust[0]" | "readWithAbnormalSession[1]" | "readWithAnnotationParameters[1]" => {
            // The same trunking call appears in three example lists.
            assert_eq!(s.call_type, CallType::Trunking);
            assert_eq!(s.properties.direction, Direction::TrunkingTerminating);
            assert_eq!(s.properties.disconnected_by, DisconnectedBy::Caller);
            assert_eq!(s.properties.pdd_ms, Some(1990));
            assert_eq!(s.tags, ["silence"]);
            assert_eq!(s.to.carrier, "Hawaiian Telcom, Inc. - HI");
            assert_eq!(edge_names(s), ["carrier", "sip"]);
            let carrier = carrier.unwrap();
            assert_eq!(
                carrier.metrics, None,
                "trunking carrier_edge has only properties"
            );
            assert_eq!(carrier.property_str("direction"), Some("outbound"));
            let sip = sip.unwrap();
            assert_eq!(sip.property_str("trunk_sid"), Some("xxxxxxx"));
            assert_eq!(sip.property_str("user_agent"), Some("xxxx"));
            let m = sip.metrics.as_ref().unwrap();
            assert_eq!(m.inbound, None);
            let out = m.outbound.as_ref().unwrap();
            assert_eq!(out.packets_sent, Some(1953));
            let latency = out.latency.expect("sip_edge latency");
            assert_eq!(latency.avg, Some(0.3765));
            assert_eq!(latency.max, Some(0.386));
            assert_eq!(
                s.trust.as_ref().unwrap()["verified_caller"]["verified"],
                json!(true)
            );
            if name.starts_with("readWithAnnotationParameters") {
                let a = s.annotation.as_ref().unwrap();
                assert_eq!(a.answered_by.as_deref(), Some("human"));
                assert_eq!(a.call_score, Some(1));
            } else {
                assert_eq!(s.annotation, None);
            }
        }
        "readWithTrust[1]" => {
            assert_eq!(s.call_type, CallType::Carrier);
            assert_eq!(s.properties.direction, Direction::OutboundApi);
            assert_eq!(
                s.to.location,
                Some(Location {
                    lat: 34.186115,
                    lon: -118.43555
                })
            );
            assert_eq!(edge_names(s), ["carrier"]);
            let m = carrier.unwrap().metrics.as_ref().unwrap();
            assert_eq!(
                m.inbound.as_ref().unwrap().jitter.unwrap().avg,
                Some(0.449886)
            );
            assert!(s.tags.is_empty());
            assert!(s.trust.is_some());
        }
        "readWithTrust[2]" => {
            assert_eq!(s.call_sid, "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
            assert_eq!(s.to.connection, Connection::Pstn);
            assert_eq!(s.to.carrier, "");
            assert_eq!(s.properties.direction, Direction::OutboundDial);
            assert_eq!(s.attributes, None);
            assert_eq!(s.trust, None, "in readWithTrust, yet trust is null");
            assert_eq!(s.tags, ["silence"]);
            let m = carrier.unwrap().metrics.as_ref().unwrap();
            assert_eq!(m.inbound, None);
            assert_eq!(
                m.outbound.as_ref().unwrap().jitter.unwrap().avg,
                Some(0.251725)
            );
        }
        "readWithAbnormalSession[0]" | "readWithAnnotationParameters[0]" => {
            assert_eq!(s.call_sid, "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
            assert_eq!(s.call_type, CallType::Sip);
            assert_eq!(s.call_state, CallState::Completed);
            assert_eq!(s.to.callee, "sip:xxxx@xx.xxx.xx.xxx");
            assert_eq!(s.to.connection, Connection::SipInterface);
            assert_eq!(s.properties.direction, Direction::OutboundDial);
            assert_eq!(edge_names(s), ["sip"]);
            let sip = sip.unwrap();
            assert_eq!(sip.property_str("sip_call_id"), Some("xxxxxxxx@0.0.0.0"));
            let m = sip.metrics.as_ref().unwrap();
            assert_eq!(m.inbound.as_ref().unwrap().packets_received, Some(525));
            assert_eq!(m.inbound.as_ref().unwrap().latency, None);
            assert_eq!(
                m.outbound.as_ref().unwrap().jitter.unwrap().max,
                Some(1.03548)
            );
            assert!(s.tags.is_empty());
            if name.starts_with("readWithAnnotationParameters") {
                let a = s.annotation.as_ref().unwrap();
                assert_eq!(a.answered_by.as_deref(), Some("human"));
                assert_eq!(a.spam, Some(true));
                assert_eq!(a.connectivity_issue.as_deref(), Some("invalid_number"));
                assert_eq!(
                    a.quality_issues.as_deref(),
                    Some(&["choppy_robotic".to_owned()][..])
                );
                assert_eq!(a.call_score, Some(1));
                assert_eq!(a.account_sid, None);
                assert!(a.extra.is_empty());
            } else {
                assert_eq!(s.annotation, None);
            }
        }
        "fetch" => {
            // A placeholder-ish example: ringing yet complete, empty objects everywhere.
            assert_eq!(s.call_state, CallState::Ringing);
            assert!(!s.call_state.is_final());
            assert_eq!(s.processing_state, ProcessingState::Complete);
            assert_eq!(s.duration, Some(100));
            assert_eq!(s.from, Default::default());
            assert_eq!(s.to, Default::default());
            assert_eq!(edge_names(s), ["carrier", "sip", "client", "sdk"]);
            assert!(
                s.edges()
                    .iter()
                    .all(|(_, e)| e.properties.is_none() && e.metrics.is_none())
            );
            assert_eq!(s.tags, ["tags"]);
            assert_eq!(tag_meaning("tags"), None);
            assert_eq!(s.attributes, Some(Default::default()));
            assert_eq!(s.properties, Default::default());
            let a = s.annotation.as_ref().unwrap();
            assert_eq!(
                a.call_sid.as_deref(),
                Some("CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            );
            assert_eq!(
                a.quality_issues.as_deref(),
                Some(&["low_volume".to_owned()][..])
            );
            assert_eq!(a.comment.as_deref(), Some("this is a call"));
            assert_eq!(a.call_score, Some(2));
            assert!(
                a.incident
                    .as_deref()
                    .is_some_and(|i| i.starts_with("https://"))
            );
            assert_eq!(
                s.url.as_deref(),
                Some(
                    "https://insights.twilio.com/v1/Voice/CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Summary"
                )
            );
        }
        _ => return false,
    }
    true
}

#[test]
fn every_spec_call_summary_example() {
    let examples = spec_examples();
    // readEmpty 0 + readWithCarrier 2 + readWithSubaccount 2 + readWithTrust 3
    // + readWithAbnormalSession 2 + readWithAnnotationParameters 2 + fetch 1.
    assert_eq!(
        examples.len(),
        12,
        "{:?}",
        examples.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    let mut checked = 0;
    for (name, raw) in &examples {
        let as_object = one_summary(parse_delivery(&wrap(raw, false)).unwrap());
        let as_string = one_summary(parse_delivery(&wrap(raw, true)).unwrap());
        assert_eq!(as_object, as_string, "{name}: data as object vs string");
        assert_eq!(as_object.kind, SummaryKind::Complete);
        assert_eq!(as_object.schema_version(), Some(2));
        let s = &as_object.full_summary().unwrap();

        // Fields every example has.
        assert!(
            s.call_sid.starts_with("CA") && s.call_sid.len() == 34,
            "{name}"
        );
        assert!(
            s.account_sid.starts_with("AC") && s.account_sid.len() == 34,
            "{name}"
        );
        assert_eq!(s.processing_state, ProcessingState::Complete, "{name}");
        assert!(s.start_time.is_some() && s.end_time.is_some() && s.created_time.is_some());
        assert!(
            s.url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://insights.twilio.com/"))
        );
        assert!(
            !s.call_type.is_absent() && !s.call_type.is_unknown(),
            "{name}"
        );
        assert!(!s.call_state.is_unknown(), "{name}");
        assert!(
            !s.from.connection.is_unknown() && !s.to.connection.is_unknown(),
            "{name}"
        );
        assert!(!s.properties.direction.is_unknown(), "{name}");
        // Every key of the REST shape is a known field.
        assert!(s.extra.is_empty(), "{name}: extra {:?}", s.extra);
        assert!(s.from.extra.is_empty() && s.to.extra.is_empty(), "{name}");
        assert!(s.properties.extra.is_empty(), "{name}");
        for (edge_name, edge) in s.edges() {
            assert!(edge.extra.is_empty(), "{name} {edge_name}");
            if let Some(m) = &edge.metrics {
                assert!(m.extra.is_empty(), "{name} {edge_name}");
                for stream in [&m.inbound, &m.outbound].into_iter().flatten() {
                    assert!(stream.extra.is_empty(), "{name} {edge_name}");
                    assert!(stream.jitter.is_some(), "{name} {edge_name}: jitter");
                }
            }
        }

        // Nothing dropped, and serialization round-trips.
        let out = serde_json::to_value(s).unwrap();
        assert_covers(raw, &out, &name.clone());
        let back: CallSummary = serde_json::from_value(out).unwrap();
        assert_eq!(&back, s, "{name}: round trip");

        assert!(
            check_example(name, s),
            "no assertions written for example {name}"
        );
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn unknown_enum_value_and_unknown_keys_survive() {
    let data = json!({
        "call_sid": "CA00000000000000000000000000000009",
        "call_state": "exploded",
        "call_type": "carrier_pigeon",
        "future_field": {"nested": [1, 2, 3]},
        "from": {"connection": "tin_can", "satellite": true},
        "properties": {"direction": "outbound_api", "edge_location": "tokyo", "q850_cause": 17},
        "carrier_edge": {"properties": {"edge_location": "tokyo"}, "metrics": {
            "inbound": {"jitter": {"avg": 1.0, "p99": 9.0}, "mystery": 4}}, "note": "x"}
    });
    let s = one_full_summary(parse_delivery(&wrap(&data, false)).unwrap());
    assert_eq!(s.call_state, CallState::Other("exploded".into()));
    assert!(!s.call_state.is_final());
    assert_eq!(s.call_type.as_str(), "carrier_pigeon");
    assert_eq!(s.from.connection, Connection::Other("tin_can".into()));
    assert_eq!(s.extra["future_field"], json!({"nested": [1, 2, 3]}));
    assert_eq!(s.from.extra["satellite"], json!(true));
    assert_eq!(s.properties.extra["edge_location"], json!("tokyo"));
    assert_eq!(q850_label(s.properties.q850_cause), "17 User busy");
    let edge = s.carrier_edge.as_ref().unwrap();
    assert_eq!(edge.extra["note"], json!("x"));
    assert_eq!(
        edge.metrics
            .as_ref()
            .unwrap()
            .inbound
            .as_ref()
            .unwrap()
            .extra["mystery"],
        json!(4)
    );

    let out = serde_json::to_value(&s).unwrap();
    assert_eq!(out["call_state"], json!("exploded"));
    assert_eq!(out["call_type"], json!("carrier_pigeon"));
    assert_eq!(out["future_field"], json!({"nested": [1, 2, 3]}));
    assert_eq!(out["from"]["connection"], json!("tin_can"));
    assert_eq!(out["from"]["satellite"], json!(true));
    assert_eq!(out["carrier_edge"]["note"], json!("x"));
    assert_eq!(
        out["carrier_edge"]["metrics"]["inbound"]["mystery"],
        json!(4)
    );
    let back: CallSummary = serde_json::from_value(out).unwrap();
    assert_eq!(back, s);
}

#[test]
fn nulls_everywhere_are_defaults() {
    let mut data = serde_json::Map::new();
    data.insert(
        "call_sid".into(),
        json!("CA00000000000000000000000000000009"),
    );
    for key in [
        "account_sid",
        "parent_call_sid",
        "parent_account_sid",
        "call_type",
        "call_state",
        "answered_by",
        "processing_state",
        "processing_version",
        "created_time",
        "start_time",
        "end_time",
        "duration",
        "connect_duration",
        "from",
        "to",
        "carrier_edge",
        "client_edge",
        "sdk_edge",
        "sip_edge",
        "tags",
        "attributes",
        "properties",
        "trust",
        "annotation",
        "url",
    ] {
        data.insert(key.into(), Value::Null);
    }
    let s = one_full_summary(parse_delivery(&wrap(&Value::Object(data), true)).unwrap());
    let want = CallSummary {
        call_sid: "CA00000000000000000000000000000009".into(),
        ..Default::default()
    };
    assert_eq!(s, want);
    assert!(s.call_state.is_absent());
    assert_eq!(s.call_state.as_str(), "");
}

#[test]
fn bare_object_body() {
    let body = read_bytes("fixtures/predicted-complete.json");
    let array: Value = serde_json::from_slice(&body).unwrap();
    let bare = serde_json::to_vec(&array[0]).unwrap();
    // The same events; only the kept `data` text differs (the fixture is pretty-printed).
    let [DeliveredEvent::CallSummary(from_bare)] = &parse_delivery(&bare).unwrap()[..] else {
        panic!("one summary from the bare object")
    };
    let [DeliveredEvent::CallSummary(from_array)] = &parse_delivery(&body).unwrap()[..] else {
        panic!("one summary from the array")
    };
    assert_eq!(
        (
            &from_bare.id,
            from_bare.kind,
            &from_bare.time,
            &from_bare.summary
        ),
        (
            &from_array.id,
            from_array.kind,
            &from_array.time,
            &from_array.summary
        )
    );
    assert_eq!(from_bare.full_summary(), from_array.full_summary());
}

#[test]
fn all_summary_types_are_read() {
    for (t, kind) in CALL_SUMMARY_TYPES.into_iter().zip(SummaryKind::ALL) {
        let body = json!([{"type": t, "id": "EZ1", "data": {"call_sid": "CA1"}}]).to_string();
        let e = one_summary(parse_delivery(body.as_bytes()).unwrap());
        assert_eq!(e.kind, kind);
        assert_eq!(e.kind.event_type(), t);
    }
}

#[test]
fn errors() {
    // Cut right after the test_id string: inside the `data` object, end of line 11.
    let full = read_bytes("fixtures/test-event.json");
    let needle = b"93c1a7a3ef88\"";
    let end = full
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
        + needle.len();
    let truncated = &full[..end];
    match parse_delivery(truncated) {
        Err(e @ DeliveryParseError::NotJson { .. }) => {
            let DeliveryParseError::NotJson {
                line,
                column,
                ref message,
            } = e
            else {
                unreachable!()
            };
            assert_eq!((line, column), (11, 55));
            assert_eq!(message, "EOF while parsing an object");
            assert!(
                e.to_string()
                    .starts_with("body is not JSON: EOF while parsing an object (line ")
            );
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
    let e = parse_delivery(b"\"hello\"").unwrap_err();
    assert_eq!(e, DeliveryParseError::NotEvents { found: "a string" });
    assert_eq!(
        e.to_string(),
        "body is JSON but not an array of CloudEvents or a CloudEvent object (found a string)"
    );
    let e = parse_delivery(b"[{}, 5]").unwrap_err();
    assert_eq!(e, DeliveryParseError::EventNotObject { index: 1 });
    assert_eq!(e.to_string(), "event 1 is not a JSON object");
    let body = json!([{"type": COMPLETE, "data": "{\"account_sid\":\"AC1\"}"}]).to_string();
    let e = parse_delivery(body.as_bytes()).unwrap_err();
    assert_eq!(
        e,
        DeliveryParseError::BadData {
            index: 0,
            event_type: COMPLETE.into(),
            problem: "has no call_sid".into()
        }
    );
    assert_eq!(
        e.to_string(),
        format!("event 0 ({COMPLETE}): data has no call_sid")
    );
    let body = json!({"type": TEST_EVENT_TYPE, "data": {"test": 1}}).to_string();
    let e = parse_delivery(body.as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("event 0 ({TEST_EVENT_TYPE}): data has no test_id")
    );
}

/// Every event and metric example of Twilio's Insights OpenAPI description (the REST shapes of
/// `call-event.*` and `call-metrics.*` data), delivered as CloudEvents of each live type, as an
/// object and as a JSON-encoded string: each parses into its model with nothing lost.
#[test]
fn every_openapi_event_and_metric_example_parses_as_a_live_event() {
    use callwatch::twilio::cloudevent::LIVE_TYPES;
    use callwatch::twilio::live::{CallEvent, CallMetric, LiveData, LiveKind};

    let spec: Value = serde_json::from_slice(&read_bytes("twilio_insights_v1.json")).unwrap();
    let mut checked = 0;
    for (path, key) in [
        ("/v1/Voice/{CallSid}/Events", "events"),
        ("/v1/Voice/{CallSid}/Metrics", "metrics"),
    ] {
        let examples = &spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            ["examples"];
        let examples = examples.as_object().expect("examples");
        for example in examples.values() {
            for item in example["value"][key].as_array().expect("items") {
                for event_type in LIVE_TYPES {
                    let kind = LiveKind::from_event_type(event_type).expect("live type");
                    if kind.is_metrics() != (key == "metrics") {
                        continue;
                    }
                    for data in [item.clone(), Value::String(item.to_string())] {
                        let body = json!([{"specversion": "1.0", "type": event_type,
                            "id": "EZ1", "time": "2026-01-01T00:00:00Z", "data": data}]);
                        let events = parse_delivery(body.to_string().as_bytes())
                            .unwrap_or_else(|e| panic!("{event_type}: {e}"));
                        let [DeliveredEvent::Live(live)] = events.as_slice() else {
                            panic!("{event_type}: not a live event: {events:?}")
                        };
                        assert_eq!(live.kind, kind);
                        assert_eq!(
                            live.data.call_sid(),
                            item["call_sid"].as_str().expect("sid")
                        );
                        // What the listener read is what the full model reads.
                        let back = match &live.data {
                            LiveData::Event(e) => {
                                let full: CallEvent =
                                    serde_json::from_value(item.clone()).expect("event");
                                assert_eq!(e.sdk_signal(), full.sdk_signal());
                                assert_eq!(e.progress_state(), full.progress_state());
                                serde_json::to_value(full)
                            }
                            LiveData::Metric(m) => {
                                let full: CallMetric =
                                    serde_json::from_value(item.clone()).expect("metric");
                                assert_eq!(m.readings(), full.readings());
                                serde_json::to_value(full)
                            }
                        }
                        .expect("serializes");
                        // Nothing lost: every key and value of the example comes back (nulls
                        // and absent keys alike, numbers as numbers).
                        assert_eq!(normalized(&back), normalized(item), "{event_type}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 8, "only {checked} examples checked");
    // The models read the examples' figures.
    let metrics = &spec["paths"]["/v1/Voice/{CallSid}/Metrics"]["get"]["responses"]["200"]["content"]
        ["application/json"]["examples"]["read"]["value"]["metrics"];
    let sample: CallMetric = serde_json::from_value(metrics[0].clone()).expect("metric");
    assert!(!sample.readings().is_empty(), "{sample:?}");
    let events = &spec["paths"]["/v1/Voice/{CallSid}/Events"]["get"]["responses"]["200"]["content"]
        ["application/json"]["examples"]["read"]["value"]["events"];
    let event: CallEvent = serde_json::from_value(events[0].clone()).expect("event");
    assert!(!event.name.is_empty());
}

/// A JSON value with null members dropped at every depth and every number as a float: what
/// "the same data" means when a model writes absent fields as null and integers as floats.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), normalized(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        Value::Number(n) => json!(n.as_f64()),
        other => other.clone(),
    }
}
