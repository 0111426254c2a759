//! Reading an Event Streams delivery body: a JSON array of CloudEvents (or a bare one), each with a
//! `data` that may be an object or a JSON-encoded string of one (docs/events.md, "The body"), typed
//! into call summaries, sink test events and everything else.

use std::fmt;

use super::summary::CallSummary;
use crate::twilio::live::{LiveData, LiveKind};
use crate::twilio::summary_core::SummaryCore;

mod read;
pub use read::parse_delivery;

/// CloudEvent `type` of the sink test event (`POST /v1/Sinks/{Sid}/Test`).
pub const TEST_EVENT_TYPE: &str = "com.twilio.eventstreams.test-event";

/// CloudEvent `type` of a partial call summary.
pub const PARTIAL_TYPE: &str = "com.twilio.voice.insights.call-summary.partial";
/// CloudEvent `type` of a predicted-complete call summary.
pub const PREDICTED_COMPLETE_TYPE: &str =
    "com.twilio.voice.insights.call-summary.predicted-complete";
/// CloudEvent `type` of a complete call summary.
pub const COMPLETE_TYPE: &str = "com.twilio.voice.insights.call-summary.complete";

/// The CloudEvent `type`s of the three call-summary events, partial to complete: what callwatch
/// reads, and subscribes a sink to by default.
pub const CALL_SUMMARY_TYPES: [&str; 3] = [PARTIAL_TYPE, PREDICTED_COMPLETE_TYPE, COMPLETE_TYPE];

pub use crate::twilio::live::{
    GATEWAY_EVENT_TYPE, GATEWAY_METRICS_TYPE, SDK_EVENT_TYPE, SDK_METRICS_TYPE,
};

/// The four live Call Insights types, each emitted within about 90 s of what it reports.
pub const LIVE_TYPES: [&str; 4] = [
    GATEWAY_EVENT_TYPE,
    SDK_EVENT_TYPE,
    GATEWAY_METRICS_TYPE,
    SDK_METRICS_TYPE,
];

/// The seven Call Insights types: the four live ones and the three summaries. What `setup` and
/// `subscriptions create` subscribe a sink to by default.
pub const INSIGHTS_TYPES: [&str; 7] = [
    GATEWAY_EVENT_TYPE,
    SDK_EVENT_TYPE,
    GATEWAY_METRICS_TYPE,
    SDK_METRICS_TYPE,
    PARTIAL_TYPE,
    PREDICTED_COMPLETE_TYPE,
    COMPLETE_TYPE,
];

/// Which call-summary event this is, from the CloudEvent `type` (NOT from
/// `data.processing_state`: a predicted-complete carries processing_state "partial").
///
/// Ordered by finality: `Partial < PredictedComplete < Complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum SummaryKind {
    /// `…call-summary.partial`: ~10 min after the call, may come more than once.
    Partial,
    /// `…call-summary.predicted-complete`: predicted final, ~10 min after the call.
    PredictedComplete,
    /// `…call-summary.complete`: final, up to 30 min after the call.
    Complete,
}

impl SummaryKind {
    /// All kinds, partial to complete.
    pub const ALL: [SummaryKind; 3] = [Self::Partial, Self::PredictedComplete, Self::Complete];

    /// The kind for a CloudEvent `type`, or `None` if it is not a call-summary type.
    pub fn from_event_type(t: &str) -> Option<Self> {
        match t {
            PARTIAL_TYPE => Some(Self::Partial),
            PREDICTED_COMPLETE_TYPE => Some(Self::PredictedComplete),
            COMPLETE_TYPE => Some(Self::Complete),
            _ => None,
        }
    }

    /// The full CloudEvent `type` string.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Partial => PARTIAL_TYPE,
            Self::PredictedComplete => PREDICTED_COMPLETE_TYPE,
            Self::Complete => COMPLETE_TYPE,
        }
    }

    /// The processing stage as the ndjson `processing_state` field and the filter's
    /// `processing=` name it: the suffix of the event type (`partial`, `predicted-complete`,
    /// `complete`).
    pub fn processing_name(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::PredictedComplete => "predicted-complete",
            Self::Complete => "complete",
        }
    }

    /// A short label: `"partial"`, `"predicted"` or `"complete"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::PredictedComplete => "predicted",
            Self::Complete => "complete",
        }
    }
}

impl fmt::Display for SummaryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One CloudEvent of a delivery, typed.
// A `SummaryEvent` is ~530 bytes inline (its core); nearly every event is a summary, so boxing
// would add an allocation per event without saving memory.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveredEvent {
    /// A Voice Insights call summary.
    CallSummary(SummaryEvent),
    /// A live Call Insights event: call progress, a Voice SDK event or a quality sample.
    Live(Box<LiveEvent>),
    /// A sink test event. Its `id` is an account SID, not a unique id: do not dedup on it.
    TestEvent {
        /// CloudEvent `id` (an `AC…` SID for test events).
        id: String,
        /// `data.test_id`, the UUID the test was started with.
        test_id: String,
        /// CloudEvent `time`, raw.
        time: Option<String>,
    },
    /// Any other event type, passed on without its data.
    Other {
        /// CloudEvent `id`.
        id: String,
        /// CloudEvent `type`.
        event_type: String,
        /// CloudEvent `time`, raw.
        time: Option<String>,
    },
}

/// A live Call Insights CloudEvent: call progress, a Voice SDK event or a quality sample.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    /// CloudEvent `id`, the dedup key.
    pub id: String,
    /// Which of the four live types.
    pub kind: LiveKind,
    /// CloudEvent `time`, raw RFC 3339.
    pub time: Option<String>,
    /// CloudEvent `dataschema`.
    pub dataschema: Option<String>,
    /// `data`, read.
    pub data: LiveData,
}

impl LiveEvent {
    /// When it happened, in Unix nanoseconds: the data's `timestamp`, else the CloudEvent
    /// `time`; 0 when neither can be read.
    pub fn time_ns(&self) -> i64 {
        match self.data.timestamp().map(parse_time_ns) {
            Some(ns) if ns != 0 => ns,
            _ => self.time.as_deref().map_or(0, parse_time_ns),
        }
    }

    /// The bytes it holds, roughly (what byte budgets count).
    pub fn retained_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.id.len() + opt(&self.time) + opt(&self.dataschema) + 512
    }
}

/// A call-summary CloudEvent.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryEvent {
    /// CloudEvent `id` (`EZ…`), the dedup key.
    pub id: String,
    /// Partial, predicted-complete or complete, from the CloudEvent `type`.
    pub kind: SummaryKind,
    /// CloudEvent `time`, raw RFC 3339.
    pub time: Option<String>,
    /// CloudEvent `dataschema`, e.g. `https://events-schemas.twilio.com/VoiceInsights.CallSummary/1`.
    pub dataschema: Option<String>,
    /// What the table, the filter and the store read of `data` (the rest is read when a call
    /// is opened: [`Self::full_summary`]).
    pub summary: SummaryCore,
    /// `data` as JSON text, as it arrived (decoded when it came as a JSON-encoded string).
    pub data: Box<str>,
}

impl SummaryEvent {
    /// An event carrying `summary` (tests, the demo and benchmarks build events this way).
    pub fn new(id: String, kind: SummaryKind, time: Option<String>, summary: &CallSummary) -> Self {
        Self {
            id,
            kind,
            time,
            dataschema: None,
            summary: SummaryCore::from(summary),
            // Serializing a summary (strings, numbers and JSON values) cannot fail.
            data: serde_json::to_string(summary)
                .unwrap_or_default()
                .into_boxed_str(),
        }
    }

    /// The whole summary in `data`, read now.
    pub fn full_summary(&self) -> Result<CallSummary, String> {
        CallSummary::from_json(self.data.as_bytes())
    }

    /// The schema version at the end of `dataschema` (`…/VoiceInsights.CallSummary/2` -> 2).
    pub fn schema_version(&self) -> Option<u32> {
        let schema = self.dataschema.as_deref()?;
        let last = schema.trim_end_matches('/').rsplit('/').next()?;
        last.trim_end_matches(".json").parse().ok()
    }
}

impl DeliveredEvent {
    /// The CloudEvent `id` (empty if the event had none).
    pub fn id(&self) -> &str {
        match self {
            Self::CallSummary(e) => &e.id,
            Self::Live(e) => &e.id,
            Self::TestEvent { id, .. } | Self::Other { id, .. } => id,
        }
    }

    /// The call the event is about: a summary's or a live event's `call_sid`; `None` for
    /// test events and other types.
    pub fn call_sid(&self) -> Option<&str> {
        match self {
            Self::CallSummary(e) => Some(&e.summary.call_sid),
            Self::Live(e) => Some(e.data.call_sid()),
            Self::TestEvent { .. } | Self::Other { .. } => None,
        }
    }

    /// The CloudEvent `type`.
    pub fn event_type(&self) -> &str {
        match self {
            Self::CallSummary(e) => e.kind.event_type(),
            Self::Live(e) => e.kind.event_type(),
            Self::TestEvent { .. } => TEST_EVENT_TYPE,
            Self::Other { event_type, .. } => event_type,
        }
    }

    /// The CloudEvent `time`, raw.
    pub fn time(&self) -> Option<&str> {
        match self {
            Self::CallSummary(e) => e.time.as_deref(),
            Self::Live(e) => e.time.as_deref(),
            Self::TestEvent { time, .. } | Self::Other { time, .. } => time.as_deref(),
        }
    }

    /// The bytes the event holds, roughly (its texts, and a fixed share for a summary's core):
    /// what budgets in bytes count.
    pub fn retained_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        std::mem::size_of::<Self>()
            + match self {
                Self::CallSummary(e) => {
                    e.id.len()
                        + opt(&e.time)
                        + opt(&e.dataschema)
                        + e.data.len()
                        + e.summary.tags.iter().map(String::len).sum::<usize>()
                        + e.summary.call_sid.len()
                        + 256
                }
                Self::Live(e) => e.retained_bytes(),
                Self::TestEvent { id, test_id, time } => id.len() + test_id.len() + opt(time),
                Self::Other {
                    id,
                    event_type,
                    time,
                } => id.len() + event_type.len() + opt(time),
            }
    }
}

/// How long Twilio keeps retrying a delivery that was not answered 2xx: an event older than
/// this, by its own `time`, cannot be a retry, only a replay of a captured delivery (or a clock
/// far off). Such events are marked `stale`.
pub const RETRY_HORIZON: std::time::Duration = std::time::Duration::from_secs(4 * 3600);

/// Unix nanoseconds of an RFC 3339 time (good until 2262); 0 if it cannot be read.
pub fn parse_time_ns(text: &str) -> i64 {
    crate::timestamp::parse_rfc3339(text)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos()).ok())
        .unwrap_or(0)
}

/// How old an event was when it arrived: `received_at` minus its `time` in Unix nanoseconds.
/// `None` when it carries no readable time or claims to come from the future.
pub fn age_at(
    event_time_ns: i64,
    received_at: std::time::SystemTime,
) -> Option<std::time::Duration> {
    if event_time_ns == 0 {
        return None;
    }
    let received_ns = received_at
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let age = i128::try_from(received_ns).ok()? - i128::from(event_time_ns);
    u64::try_from(age).ok().map(std::time::Duration::from_nanos)
}

/// Why a delivery body could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DeliveryParseError {
    /// The body is not valid JSON.
    #[error("body is not JSON: {message} (line {line}, column {column})")]
    NotJson {
        /// serde_json's message, without its position.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error (0 at the very start of a line).
        column: usize,
    },
    /// The body is JSON but neither an array nor an object.
    #[error("body is JSON but not an array of CloudEvents or a CloudEvent object (found {found})")]
    NotEvents {
        /// What was found: `null`, `a boolean`, `a number` or `a string`.
        found: &'static str,
    },
    /// An element of the array is not an object.
    #[error("event {index} is not a JSON object")]
    EventNotObject {
        /// 0-based index in the array.
        index: usize,
    },
    /// A call-summary or test event whose `data` is unusable.
    #[error("event {index} ({event_type}): data {problem}")]
    BadData {
        /// 0-based index in the array (0 for a bare object).
        index: usize,
        /// The CloudEvent `type`.
        event_type: String,
        /// What is wrong, e.g. `has no call_sid`.
        problem: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::summary::{CallState, Direction};
    use serde_json::Value;
    use serde_json::json;

    const PREDICTED: &[u8] =
        include_bytes!("../../../assets/twilio/fixtures/predicted-complete.json");
    const TEST_EVENT: &[u8] = include_bytes!("../../../assets/twilio/fixtures/test-event.json");

    fn parse_value(v: &Value) -> Result<Vec<DeliveredEvent>, DeliveryParseError> {
        parse_delivery(v.to_string().as_bytes())
    }

    fn summary_event(events: &[DeliveredEvent]) -> &SummaryEvent {
        match events {
            [DeliveredEvent::CallSummary(e)] => e,
            other => panic!("expected one call summary, got {other:?}"),
        }
    }

    fn bad_data(v: &Value) -> String {
        match parse_value(v) {
            Err(DeliveryParseError::BadData { problem, .. }) => problem,
            other => panic!("expected BadData, got {other:?}"),
        }
    }

    #[test]
    fn kinds() {
        for (kind, t) in SummaryKind::ALL.into_iter().zip(CALL_SUMMARY_TYPES) {
            assert_eq!(t.rsplit('.').next(), Some(kind.processing_name()));
            assert_eq!(kind.event_type(), t);
            assert_eq!(SummaryKind::from_event_type(t), Some(kind));
        }
        assert!(SummaryKind::Partial < SummaryKind::PredictedComplete);
        assert!(SummaryKind::PredictedComplete < SummaryKind::Complete);
        assert_eq!(SummaryKind::PredictedComplete.label(), "predicted");
        assert_eq!(SummaryKind::Complete.to_string(), "complete");
        assert_eq!(SummaryKind::from_event_type(TEST_EVENT_TYPE), None);
        assert_eq!(
            SummaryKind::from_event_type("com.twilio.voice.insights.call-summary"),
            None
        );
        assert_eq!(
            serde_json::to_value(SummaryKind::Partial).unwrap(),
            json!("Partial")
        );
    }

    #[test]
    fn predicted_complete_fixture() {
        let events = parse_delivery(PREDICTED).unwrap();
        let e = summary_event(&events);
        assert_eq!(e.id, "EZ00000000000000000000000000000000");
        assert_eq!(e.kind, SummaryKind::PredictedComplete);
        assert_eq!(e.time.as_deref(), Some("2020-07-23T22:56:33.000Z"));
        assert_eq!(e.schema_version(), Some(1));
        assert_eq!(e.summary.call_sid, "CA00000000000000000000000000000000");
        assert_eq!(e.summary.call_state, CallState::Canceled);
        assert_eq!(e.summary.properties.direction, Direction::OutboundApi);
        assert_eq!(events[0].id(), "EZ00000000000000000000000000000000");
        assert_eq!(events[0].event_type(), PREDICTED_COMPLETE_TYPE);
        assert_eq!(events[0].time(), Some("2020-07-23T22:56:33.000Z"));
    }

    #[test]
    fn test_event_fixture() {
        let events = parse_delivery(TEST_EVENT).unwrap();
        assert_eq!(
            events,
            [DeliveredEvent::TestEvent {
                id: "AC11111111111111111111111111111111".into(),
                test_id: "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88".into(),
                time: Some("2026-06-10T06:02:54.377Z".into()),
            }]
        );
        assert_eq!(events[0].event_type(), TEST_EVENT_TYPE);
        // The Kinesis-quickstart shape: data double-encoded.
        let encoded = json!([{"type": TEST_EVENT_TYPE, "id": "AC1",
                              "data": "{\"test_id\":\"95001c1e\"}"}]);
        let events = parse_value(&encoded).unwrap();
        assert!(
            matches!(&events[0], DeliveredEvent::TestEvent { test_id, time: None, .. } if test_id == "95001c1e")
        );
    }

    #[test]
    fn data_string_and_object_are_equal() {
        let events = parse_delivery(PREDICTED).unwrap();
        let mut body: Value = serde_json::from_slice(PREDICTED).unwrap();
        let data: Value = serde_json::from_str(body[0]["data"].as_str().unwrap()).unwrap();
        body[0]["data"] = data;
        assert_eq!(parse_value(&body).unwrap(), events);
        // A bare object body gives the same event.
        assert_eq!(parse_value(&body[0]).unwrap(), events);
    }

    #[test]
    fn several_events_other_types_and_missing_attributes() {
        let body = json!([
            {"type": "com.twilio.voice.insights.call-summary.partial", "id": "EZ1",
             "data": {"call_sid": "CA1", "processing_state": "partial"}},
            {"type": "com.twilio.voice.insights.conference-summary.complete", "id": "EZ2",
             "time": "2026-01-01T00:00:00Z", "data": "not even json"},
            {"data": {"call_sid": "CA3"}},
            {"type": 7, "id": null, "time": 5, "dataschema": {"x": 1}},
        ]);
        let events = parse_value(&body).unwrap();
        assert_eq!(events.len(), 4);
        assert_eq!(summary_event(&events[..1]).kind, SummaryKind::Partial);
        assert_eq!(summary_event(&events[..1]).schema_version(), None);
        assert_eq!(
            events[1],
            DeliveredEvent::Other {
                id: "EZ2".into(),
                event_type: "com.twilio.voice.insights.conference-summary.complete".into(),
                time: Some("2026-01-01T00:00:00Z".into()),
            }
        );
        let empty = DeliveredEvent::Other {
            id: String::new(),
            event_type: String::new(),
            time: None,
        };
        assert_eq!(events[2], empty);
        assert_eq!(events[3], empty);
        assert_eq!(events[2].id(), "");
        assert_eq!(events[2].event_type(), "");
        assert_eq!(parse_delivery(b" [ ] ").unwrap(), []);
    }

    /// Builds a one-event body with `type` before or after `data`.
    fn body_with_order(event_type: &str, data: &Value, type_first: bool) -> Vec<u8> {
        let mut event = serde_json::Map::new();
        event.insert("id".into(), json!("EZ9"));
        if type_first {
            event.insert("type".into(), json!(event_type));
            event.insert("data".into(), data.clone());
        } else {
            event.insert("data".into(), data.clone());
            event.insert("type".into(), json!(event_type));
        }
        serde_json::to_vec(&json!([event])).unwrap()
    }

    #[test]
    fn key_order_does_not_change_the_result() {
        let summary = json!({"call_sid": "CA1", "call_state": "busy", "tags": ["silence"]});
        let datas = [
            summary.clone(),
            Value::String(summary.to_string()),
            json!({"call_sid": ""}),
            json!({"call_sid": "CA1", "from": 3}),
            json!({"call_sid": "CA1", "carrier_edge": {"metrics": []}}),
            json!("{\"call_sid\":\"CA1\",\"to\":[]}"),
            json!({"test_id": "t-1"}),
            json!("{\"test_id\":\"t-2\"}"),
            json!({"test_id": null}),
            json!({"test_id": [1]}),
            json!(null),
            json!(5),
            json!([1, 2]),
            json!(""),
            json!("[]"),
            json!("{broken"),
        ];
        let types = [
            COMPLETE_TYPE,
            PARTIAL_TYPE,
            TEST_EVENT_TYPE,
            "com.example.other",
        ];
        for event_type in types {
            for data in &datas {
                let first = parse_delivery(&body_with_order(event_type, data, true));
                let last = parse_delivery(&body_with_order(event_type, data, false));
                assert_eq!(first, last, "{event_type} {data}");
            }
        }
        let direct = parse_delivery(&body_with_order(COMPLETE_TYPE, &datas[3], true));
        assert_eq!(
            direct,
            Err(DeliveryParseError::BadData {
                index: 0,
                event_type: COMPLETE_TYPE.into(),
                problem:
                    "is not a call summary: invalid type: integer `3`, expected struct Endpoint"
                        .into()
            })
        );
    }

    #[test]
    fn first_type_wins_and_later_events_keep_their_index() {
        let body = br#"[{"type":"com.example.x","data":{"call_sid":7}},
            {"type":"com.twilio.voice.insights.call-summary.complete","type":"other","data":{"call_sid":"CA2"}},
            {"type":"com.twilio.voice.insights.call-summary.partial","data":{"call_sid":"CA3","to":5}}]"#;
        let err = parse_delivery(body).unwrap_err();
        assert_eq!(
            err,
            DeliveryParseError::BadData {
                index: 2,
                event_type: PARTIAL_TYPE.into(),
                problem:
                    "is not a call summary: invalid type: integer `5`, expected struct Endpoint"
                        .into()
            }
        );
        let two = br#"[{"type":"com.example.x","data":{"call_sid":7}},
            {"type":"com.twilio.voice.insights.call-summary.complete","type":"other","data":{"call_sid":"CA2"}}]"#;
        let events = parse_delivery(two).unwrap();
        assert_eq!(events[0].event_type(), "com.example.x");
        assert_eq!(events[1].event_type(), COMPLETE_TYPE);
        assert_eq!(summary_event(&events[1..]).summary.call_sid, "CA2");
    }

    #[test]
    fn fields_the_table_does_not_show_are_read_when_the_call_is_opened() {
        // The listener reads the core of a summary and keeps `data` as it came: an edge of the
        // wrong type does not refuse the delivery; the full summary says what is wrong.
        let body = br#"[{"type":"com.twilio.voice.insights.call-summary.complete","id":"EZ1",
            "data":{"call_sid":"CA3","call_state":"busy","sip_edge":5}}]"#;
        let events = parse_delivery(body).unwrap();
        let e = summary_event(&events);
        assert_eq!(e.summary.call_state, CallState::Busy);
        assert_eq!(
            &*e.data,
            r#"{"call_sid":"CA3","call_state":"busy","sip_edge":5}"#
        );
        let err = e.full_summary().unwrap_err();
        assert!(err.contains("expected struct Edge"), "{err}");
    }

    #[test]
    fn schema_version() {
        let mut e = summary_event(&parse_delivery(PREDICTED).unwrap()).clone();
        e.dataschema = Some("https://events-schemas.twilio.com/VoiceInsights.CallSummary/2".into());
        assert_eq!(e.schema_version(), Some(2));
        e.dataschema =
            Some("https://events-schemas.twilio.com/EventStreams.TestSink/1.json".into());
        assert_eq!(e.schema_version(), Some(1));
        e.dataschema = Some("nonsense".into());
        assert_eq!(e.schema_version(), None);
        e.dataschema = None;
        assert_eq!(e.schema_version(), None);
    }

    #[test]
    fn not_json() {
        let truncated = &PREDICTED[..PREDICTED.len() / 2];
        match parse_delivery(truncated) {
            Err(DeliveryParseError::NotJson {
                message,
                line,
                column,
            }) => {
                assert!(line > 1 && column > 0, "line {line} column {column}");
                assert!(!message.contains(" at line "), "{message}");
                assert!(message.contains("EOF"), "{message}");
            }
            other => panic!("expected NotJson, got {other:?}"),
        }
        let err = parse_delivery(b"[]x").unwrap_err();
        assert_eq!(
            err,
            DeliveryParseError::NotJson {
                message: "trailing characters".into(),
                line: 1,
                column: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "body is not JSON: trailing characters (line 1, column 3)"
        );
        assert!(matches!(
            parse_delivery(b""),
            Err(DeliveryParseError::NotJson {
                line: 1,
                column: 0,
                ..
            })
        ));
        assert!(matches!(
            parse_delivery(b"\xff"),
            Err(DeliveryParseError::NotJson { .. })
        ));
    }

    #[test]
    fn not_events() {
        for (body, found) in [
            (&b"null"[..], "null"),
            (b"true", "a boolean"),
            (b"-3.5", "a number"),
            (b"42", "a number"),
            (b"\"[]\"", "a string"),
        ] {
            let err = parse_delivery(body).unwrap_err();
            assert_eq!(err, DeliveryParseError::NotEvents { found });
            assert_eq!(
                err.to_string(),
                format!(
                    "body is JSON but not an array of CloudEvents or a CloudEvent object (found {found})"
                )
            );
        }
    }

    #[test]
    fn event_not_object() {
        let err = parse_delivery(br#"[{"type":"x"}, [1, {"a": 2}], 3]"#).unwrap_err();
        assert_eq!(err, DeliveryParseError::EventNotObject { index: 1 });
        assert_eq!(err.to_string(), "event 1 is not a JSON object");
        for body in [&b"[null]"[..], b"[\"{}\"]", b"[false]", b"[1.5]"] {
            assert_eq!(
                parse_delivery(body),
                Err(DeliveryParseError::EventNotObject { index: 0 })
            );
        }
    }

    #[test]
    fn bad_data_problems() {
        let complete = COMPLETE_TYPE;
        let err =
            parse_value(&json!([{"type": "x"}, {"type": complete, "data": {"call_sid": ""}}]))
                .unwrap_err();
        assert_eq!(
            err,
            DeliveryParseError::BadData {
                index: 1,
                event_type: complete.into(),
                problem: "has no call_sid".into()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("event 1 ({complete}): data has no call_sid")
        );

        assert_eq!(bad_data(&json!({"type": complete})), "is missing");
        assert_eq!(
            bad_data(&json!({"type": complete, "data": {}})),
            "has no call_sid"
        );
        assert_eq!(
            bad_data(&json!({"type": complete, "data": "{}"})),
            "has no call_sid"
        );
        assert_eq!(
            bad_data(&json!({"type": complete, "data": [1]})),
            "is not an object (found an array)"
        );
        assert_eq!(
            bad_data(&json!({"type": complete, "data": 5})),
            "is not an object (found a number)"
        );
        assert_eq!(
            bad_data(&json!({"type": complete, "data": ""})),
            "is an empty string"
        );
        assert_eq!(
            bad_data(&json!({"type": complete, "data": "[1]"})),
            "is a string that does not hold a JSON object"
        );
        assert!(
            bad_data(&json!({"type": complete, "data": "{\"call_sid\":"}))
                .starts_with("is a string that is not valid JSON: EOF")
        );
        assert!(
            bad_data(&json!({"type": complete, "data": {"call_sid": "CA1", "from": 3}}))
                .starts_with("is not a call summary: invalid type")
        );
        assert!(
            bad_data(&json!({"type": complete, "data": "{\"call_sid\":\"CA1\",\"to\":[]}"}))
                .starts_with("is not a call summary: invalid type")
        );

        let t = TEST_EVENT_TYPE;
        assert_eq!(bad_data(&json!({"type": t, "data": {}})), "has no test_id");
        assert_eq!(
            bad_data(&json!({"type": t, "data": "{}"})),
            "has no test_id"
        );
        assert_eq!(
            bad_data(&json!({"type": t, "data": {"test_id": 5}})),
            "test_id is not a string (found a number)"
        );
        assert_eq!(bad_data(&json!({"type": t, "data": null})), "is missing");
        assert_eq!(
            bad_data(&json!({"type": t, "data": true})),
            "is not an object (found a boolean)"
        );
        assert!(
            bad_data(&json!({"type": t, "data": "{oops"}))
                .starts_with("is a string that is not valid JSON")
        );
    }
}
