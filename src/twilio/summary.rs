//! The typed Voice Insights `CallSummary` (docs/events.md, "The call summary"), read leniently:
//! every field is optional, `null` means "absent", unknown enum values and unknown keys are kept,
//! so a summary serializes back to what came in.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::edge::{Edge, EdgeMetrics, MinMaxAvg, StreamMetrics};
use super::lenient::open_enum;
// The other models of a summary (summary_core, cloudevent) read through these paths.
pub(crate) use super::lenient::{
    LenientStrSeed, deserialize_keeping_unknown_keys, lenient_compact_string, lenient_i64,
    lenient_opt_i64, lenient_opt_string, lenient_string, lenient_string_vec, null_as_default,
};

open_enum! {
    /// `call_type`: what kind of call was summarized.
    pub enum CallType {
        /// A PSTN call.
        Carrier => "carrier",
        /// A SIP Interface / `<Dial><Sip>` call.
        Sip => "sip",
        /// An Elastic SIP Trunking call.
        Trunking => "trunking",
        /// A Voice SDK (client) call.
        Client => "client",
        /// A WhatsApp voice call.
        WhatsApp => "whatsapp",
    }
}

open_enum! {
    /// `call_state`: how far the call got.
    pub enum CallState {
        /// Still ringing (early partial summaries).
        Ringing => "ringing",
        /// Answered and ended normally.
        Completed => "completed",
        /// The callee was busy.
        Busy => "busy",
        /// The call failed (bad number, network…).
        Fail => "fail",
        /// Nobody answered.
        NoAnswer => "noanswer",
        /// The caller hung up before an answer.
        Canceled => "canceled",
        /// Answered and still in progress.
        Answered => "answered",
        /// Never dialed.
        Undialed => "undialed",
    }
}

impl CallState {
    /// True for the states a call cannot leave: completed, busy, fail, noanswer, canceled,
    /// undialed.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Busy
                | Self::Fail
                | Self::NoAnswer
                | Self::Canceled
                | Self::Undialed
        )
    }
}

open_enum! {
    /// `processing_state`: whether Twilio has finished assembling the summary.
    pub enum ProcessingState {
        /// Final.
        Complete => "complete",
        /// Still being assembled; `processing_version` increments with each update.
        Partial => "partial",
    }
}

open_enum! {
    /// `properties.direction`: the call direction from Twilio's point of view.
    pub enum Direction {
        /// Inbound to Twilio.
        Inbound => "inbound",
        /// Outbound, created through the REST API.
        OutboundApi => "outbound_api",
        /// Outbound, created by `<Dial>`.
        OutboundDial => "outbound_dial",
        /// Trunking, originating from the customer's PBX.
        TrunkingOriginating => "trunking_originating",
        /// Trunking, terminating to the customer's PBX.
        TrunkingTerminating => "trunking_terminating",
    }
}

open_enum! {
    /// `properties.disconnected_by`: which side sent the BYE.
    pub enum DisconnectedBy {
        /// The calling party hung up.
        Caller => "caller",
        /// The called party hung up.
        Callee => "callee",
        /// Not known (e.g. unanswered calls).
        UnknownDisconnectedBy => "unknown_disconnected_by",
    }
}

open_enum! {
    /// `from.connection` / `to.connection`: the kind of line of a party.
    pub enum Connection {
        /// A mobile number.
        Mobile => "mobile",
        /// A landline number.
        Landline => "landline",
        /// A VoIP number.
        Voip => "voip",
        /// A Twilio Voice SDK client.
        TwilioSdk => "twilio_sdk",
        /// A SIP Interface endpoint.
        SipInterface => "sip_interface",
        /// The PSTN, line type unknown.
        Pstn => "pstn",
        /// A SIP trunk.
        SipTrunk => "sip_trunk",
    }
}

/// A Voice Insights call summary: the `data` of a `com.twilio.voice.insights.call-summary.*`
/// event, or one item of the REST `call_summaries` list (docs/events.md, "Top-level fields").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallSummary {
    /// `CA…` SID of the call.
    pub call_sid: String,
    /// `AC…` SID of the account that owns the call.
    pub account_sid: String,
    /// SID of the parent call, `""` when none.
    pub parent_call_sid: String,
    /// Parent account SID for calls placed by subaccounts, `""` when none.
    pub parent_account_sid: String,
    /// Kind of call.
    pub call_type: CallType,
    /// How far the call got.
    pub call_state: CallState,
    /// Answering-machine-detection result (`human`, `machine_start`…), raw.
    pub answered_by: Option<String>,
    /// Whether the summary is final.
    pub processing_state: ProcessingState,
    /// Increments while the summary is partial.
    pub processing_version: Option<i64>,
    /// When the call was created (RFC 3339, raw).
    pub created_time: Option<String>,
    /// When the call started (RFC 3339, raw).
    pub start_time: Option<String>,
    /// When the call ended (RFC 3339, raw).
    pub end_time: Option<String>,
    /// Seconds from initiation to end.
    pub duration: Option<i64>,
    /// Seconds from answer to end.
    pub connect_duration: Option<i64>,
    /// The calling party.
    pub from: Endpoint,
    /// The called party.
    pub to: Endpoint,
    /// Twilio media gateway of a PSTN call.
    pub carrier_edge: Option<Box<Edge>>,
    /// Twilio media gateway of a client call.
    pub client_edge: Option<Box<Edge>>,
    /// The Voice SDK side of a client call.
    pub sdk_edge: Option<Box<Edge>>,
    /// Twilio media gateway of a SIP Interface or trunking call.
    pub sip_edge: Option<Box<Edge>>,
    /// Quality tags (`high_jitter`, `silence`…); open-ended. Non-string items are dropped.
    pub tags: Vec<String>,
    /// Call-flow details such as `conference_participant`.
    pub attributes: Option<Map<String, Value>>,
    /// Edge-agnostic call-level details.
    pub properties: Properties,
    /// Trusted-communications details (verified caller, branded call…), raw.
    pub trust: Option<Value>,
    /// Annotation added through the API, usually absent in events.
    pub annotation: Option<Annotation>,
    /// REST resource URL (REST only).
    pub url: Option<String>,
    /// Keys this build does not know, kept so they serialize back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    CallSummary {
        call_sid: String = lenient_string,
        account_sid: String = lenient_string,
        parent_call_sid: String = lenient_string,
        parent_account_sid: String = lenient_string,
        call_type: CallType,
        call_state: CallState,
        answered_by: Option<String> = lenient_opt_string,
        processing_state: ProcessingState,
        processing_version: Option<i64> = lenient_opt_i64,
        created_time: Option<String> = lenient_opt_string,
        start_time: Option<String> = lenient_opt_string,
        end_time: Option<String> = lenient_opt_string,
        duration: Option<i64> = lenient_opt_i64,
        connect_duration: Option<i64> = lenient_opt_i64,
        from: Endpoint = null_as_default,
        to: Endpoint = null_as_default,
        carrier_edge: Option<Box<Edge>>,
        client_edge: Option<Box<Edge>>,
        sdk_edge: Option<Box<Edge>>,
        sip_edge: Option<Box<Edge>>,
        tags: Vec<String> = lenient_string_vec,
        attributes: Option<Map<String, Value>>,
        properties: Properties = null_as_default,
        trust: Option<Value>,
        annotation: Option<Annotation>,
        url: Option<String> = lenient_opt_string,
    }
}

impl CallSummary {
    /// Reads a summary from the JSON text of an event's `data` (as kept on arrival), or says
    /// why it cannot be read.
    pub fn from_json(json: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(json).map_err(|e| e.to_string())
    }

    /// The edges present in this summary, labelled `"carrier"`, `"sip"`, `"client"`, `"sdk"`
    /// (in that order).
    pub fn edges(&self) -> Vec<(&'static str, &Edge)> {
        [
            ("carrier", &self.carrier_edge),
            ("sip", &self.sip_edge),
            ("client", &self.client_edge),
            ("sdk", &self.sdk_edge),
        ]
        .into_iter()
        .filter_map(|(name, edge)| edge.as_deref().map(|e| (name, e)))
        .collect()
    }
}

/// One party of the call: `from` or `to` (docs/events.md, "`from` and `to`").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Endpoint {
    /// Caller ID of the calling party.
    pub caller: String,
    /// Dialed destination.
    pub callee: String,
    /// Serving carrier.
    pub carrier: String,
    /// E.164 country code plus three digits.
    pub number_prefix: String,
    /// City from lat/long or IP address.
    pub city: String,
    /// Two-letter ISO country code.
    pub country_code: String,
    /// State / region, e.g. "California".
    pub country_subdivision: String,
    /// Public IP of a client user.
    pub ip_address: String,
    /// Kind of line.
    pub connection: Connection,
    /// Lat/long of the number prefix.
    pub location: Option<Location>,
    /// SDK details for client parties, raw.
    pub sdk: Option<Value>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Endpoint {
        caller: String = lenient_string,
        callee: String = lenient_string,
        carrier: String = lenient_string,
        number_prefix: String = lenient_string,
        city: String = lenient_string,
        country_code: String = lenient_string,
        country_subdivision: String = lenient_string,
        ip_address: String = lenient_string,
        connection: Connection,
        location: Option<Location>,
        sdk: Option<Value>,
    }
}

/// A latitude/longitude pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    /// Latitude in degrees.
    #[serde(deserialize_with = "null_as_default")]
    pub lat: f64,
    /// Longitude in degrees.
    #[serde(deserialize_with = "null_as_default")]
    pub lon: f64,
}

/// Edge-agnostic call-level `properties` (docs/events.md, "`properties`").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Properties {
    /// Call direction.
    pub direction: Direction,
    /// Which side hung up.
    pub disconnected_by: DisconnectedBy,
    /// Last SIP final response code; 0 when unknown.
    pub last_sip_response_num: i64,
    /// Post-dial delay in ms.
    pub pdd_ms: Option<i64>,
    /// Q.850 cause; 0 when unknown.
    pub q850_cause: i64,
    /// Ms between call creation and start (v2).
    pub queue_time: Option<i64>,
    /// v1 event: route id.
    pub route_id: String,
    /// v1 event: media region (`us1`, `unknown_realm`…).
    pub media_region: String,
    /// v1 event: signaling region.
    pub signaling_region: String,
    /// v1 event: selected region.
    pub selected_region: String,
    /// v1 event: region.
    pub region: String,
    /// v1 event: Twilio media IP.
    pub twilio_media_ip: String,
    /// v1 event: Twilio signaling IP.
    pub twilio_signaling_ip: String,
    /// v1 event: external media IP.
    pub external_media_ip: String,
    /// v1 event: external signaling IP.
    pub external_signaling_ip: String,
    /// v1 event: SIP Call-ID.
    pub sip_call_id: String,
    /// v1 event: SIP User-Agent.
    pub user_agent: String,
    /// v1 event: trunk SID.
    pub trunk_sid: String,
    /// v1 event: settings object, raw.
    pub settings: Option<Value>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Properties {
        direction: Direction,
        disconnected_by: DisconnectedBy,
        last_sip_response_num: i64 = lenient_i64,
        pdd_ms: Option<i64> = lenient_opt_i64,
        q850_cause: i64 = lenient_i64,
        queue_time: Option<i64> = lenient_opt_i64,
        route_id: String = lenient_string,
        media_region: String = lenient_string,
        signaling_region: String = lenient_string,
        selected_region: String = lenient_string,
        region: String = lenient_string,
        twilio_media_ip: String = lenient_string,
        twilio_signaling_ip: String = lenient_string,
        external_media_ip: String = lenient_string,
        external_signaling_ip: String = lenient_string,
        sip_call_id: String = lenient_string,
        user_agent: String = lenient_string,
        trunk_sid: String = lenient_string,
        settings: Option<Value>,
    }
}

/// A call annotation (docs/events.md, "Annotation"); usually absent in events.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Annotation {
    /// Account SID.
    pub account_sid: Option<String>,
    /// Call SID.
    pub call_sid: Option<String>,
    /// `unknown_answered_by`, `human` or `machine`.
    pub answered_by: Option<String>,
    /// `invalid_number`, `dropped_call`…
    pub connectivity_issue: Option<String>,
    /// `choppy_robotic`, `echo`…
    pub quality_issues: Option<Vec<String>>,
    /// Marked as spam.
    pub spam: Option<bool>,
    /// Score 1–5.
    pub call_score: Option<i64>,
    /// Free-text comment.
    pub comment: Option<String>,
    /// Incident reference.
    pub incident: Option<String>,
    /// Resource URL.
    pub url: Option<String>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Annotation {
        account_sid: Option<String> = lenient_opt_string,
        call_sid: Option<String> = lenient_opt_string,
        answered_by: Option<String> = lenient_opt_string,
        connectivity_issue: Option<String> = lenient_opt_string,
        quality_issues: Option<Vec<String>>,
        spam: Option<bool>,
        call_score: Option<i64> = lenient_opt_i64,
        comment: Option<String> = lenient_opt_string,
        incident: Option<String> = lenient_opt_string,
        url: Option<String> = lenient_opt_string,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `data` of the webhook-quickstart predicted-complete example, decoded.
    fn v1_event_data() -> Value {
        json!({
            "call_sid": "CA00000000000000000000000000000000",
            "account_sid": "AC00000000000000000000000000000000",
            "parent_call_sid": "", "parent_account_sid": "",
            "start_time": "2020-07-23T22:56:28Z", "end_time": "2020-07-23T22:56:33Z",
            "duration": 0, "connect_duration": 0,
            "call_type": "client", "call_state": "canceled",
            "from": {"caller": "+55555555", "callee": "", "carrier": "MEGA:CORP",
                     "connection": "landline", "number_prefix": "5555",
                     "location": {"lat": 0.0, "lon": -0.0}, "city": "", "country_code": "US",
                     "country_subdivision": "", "ip_address": "", "sdk": null},
            "to": {"caller": "", "callee": "client:SOMECLIENT", "carrier": "",
                   "connection": "twilio_sdk", "number_prefix": "", "location": null, "city": "",
                   "country_code": "", "country_subdivision": "", "ip_address": "", "sdk": null},
            "processing_state": "partial", "processing_version": 1,
            "sip_edge": null, "carrier_edge": null, "sdk_edge": null, "client_edge": null,
            "tags": [], "attributes": null,
            "properties": {"q850_cause": 0, "last_sip_response_num": 0, "pdd_ms": 0,
                           "route_id": "", "media_region": "unknown_realm",
                           "signaling_region": "unknown_realm", "twilio_media_ip": "",
                           "twilio_signaling_ip": "", "external_media_ip": "",
                           "external_signaling_ip": "", "sip_call_id": "", "user_agent": "",
                           "selected_region": "unknown_realm", "region": "unknown_realm",
                           "trunk_sid": "", "disconnected_by": "unknown_disconnected_by",
                           "direction": "outbound_api", "settings": null}
        })
    }

    fn read(v: Value) -> CallSummary {
        match CallSummary::deserialize(v) {
            Ok(s) => s,
            Err(e) => panic!("summary did not parse: {e}"),
        }
    }

    fn round_trip(s: &CallSummary) -> CallSummary {
        let text = serde_json::to_string(s).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn open_enum_wire_names() {
        for v in CallType::KNOWN {
            assert_eq!(&CallType::from_wire(v.as_str()), v);
        }
        for v in CallState::KNOWN {
            assert_eq!(&CallState::from_wire(v.as_str()), v);
        }
        for v in ProcessingState::KNOWN {
            assert_eq!(&ProcessingState::from_wire(v.as_str()), v);
        }
        for v in Direction::KNOWN {
            assert_eq!(&Direction::from_wire(v.as_str()), v);
        }
        for v in DisconnectedBy::KNOWN {
            assert_eq!(&DisconnectedBy::from_wire(v.as_str()), v);
        }
        for v in Connection::KNOWN {
            assert_eq!(&Connection::from_wire(v.as_str()), v);
        }
        assert_eq!(CallType::KNOWN.len(), 5);
        assert_eq!(CallState::KNOWN.len(), 8);
        assert_eq!(Direction::KNOWN.len(), 5);
        assert_eq!(Connection::KNOWN.len(), 7);
        assert_eq!(CallState::NoAnswer.as_str(), "noanswer");
        assert_eq!(Direction::OutboundApi.as_str(), "outbound_api");
        assert_eq!(
            DisconnectedBy::UnknownDisconnectedBy.as_str(),
            "unknown_disconnected_by"
        );
        assert_eq!(Connection::TwilioSdk.to_string(), "twilio_sdk");
        assert_eq!(CallType::from("whatsapp"), CallType::WhatsApp);
        assert_eq!(
            CallType::from(String::from("fax")),
            CallType::Other("fax".into())
        );
    }

    #[test]
    fn open_enum_default_and_unknown() {
        let absent = CallState::default();
        assert_eq!(absent, CallState::Other(String::new()));
        assert!(absent.is_absent() && !absent.is_unknown());
        assert_eq!(absent.as_str(), "");
        let odd = CallState::from_wire("exploded");
        assert!(odd.is_unknown() && !odd.is_absent());
        assert_eq!(odd.to_string(), "exploded");
        assert_eq!(serde_json::to_value(&odd).unwrap(), json!("exploded"));
        assert!(!CallState::Completed.is_absent());
    }

    #[test]
    fn open_enum_deserialize_is_lenient() {
        let cases = [
            (json!("busy"), CallState::Busy),
            (json!("exploded"), CallState::Other("exploded".into())),
            (json!(""), CallState::default()),
            (json!(null), CallState::default()),
            (json!(3), CallState::default()),
            (json!(true), CallState::default()),
            (json!([1, "busy"]), CallState::default()),
            (json!({"state": "busy"}), CallState::default()),
        ];
        for (input, want) in cases {
            assert_eq!(
                CallState::deserialize(input.clone()).unwrap(),
                want,
                "{input}"
            );
            // Also from text, through serde_json's streaming deserializer.
            let got: CallState = serde_json::from_str(&input.to_string()).unwrap();
            assert_eq!(got, want, "{input} from text");
        }
        // Inside a struct, a non-string value is consumed completely and parsing continues.
        let s = read(json!({"call_state": {"a": [1, 2]}, "call_sid": "CA1"}));
        assert!(s.call_state.is_absent());
        assert_eq!(s.call_sid, "CA1");
    }

    #[test]
    fn call_state_is_final() {
        use CallState::*;
        for s in [Completed, Busy, Fail, NoAnswer, Canceled, Undialed] {
            assert!(s.is_final(), "{s}");
        }
        for s in [
            Ringing,
            Answered,
            Other("exploded".into()),
            CallState::default(),
        ] {
            assert!(!s.is_final(), "{s}");
        }
    }

    #[test]
    fn reads_v1_event_data() {
        let s = read(v1_event_data());
        assert_eq!(s.call_sid, "CA00000000000000000000000000000000");
        assert_eq!(s.account_sid, "AC00000000000000000000000000000000");
        assert_eq!(s.parent_call_sid, "");
        assert_eq!(s.call_type, CallType::Client);
        assert_eq!(s.call_state, CallState::Canceled);
        assert_eq!(s.processing_state, ProcessingState::Partial);
        assert_eq!(s.processing_version, Some(1));
        assert_eq!(s.start_time.as_deref(), Some("2020-07-23T22:56:28Z"));
        assert_eq!(s.created_time, None);
        assert_eq!(s.duration, Some(0));
        assert_eq!(s.from.caller, "+55555555");
        assert_eq!(s.from.carrier, "MEGA:CORP");
        assert_eq!(s.from.connection, Connection::Landline);
        assert_eq!(s.from.location, Some(Location { lat: 0.0, lon: 0.0 }));
        assert_eq!(s.to.callee, "client:SOMECLIENT");
        assert_eq!(s.to.connection, Connection::TwilioSdk);
        assert_eq!(s.to.location, None);
        assert_eq!(s.to.sdk, None);
        assert!(s.edges().is_empty());
        assert!(s.tags.is_empty());
        assert_eq!(s.attributes, None);
        assert_eq!(s.properties.direction, Direction::OutboundApi);
        assert_eq!(
            s.properties.disconnected_by,
            DisconnectedBy::UnknownDisconnectedBy
        );
        assert_eq!(s.properties.q850_cause, 0);
        assert_eq!(s.properties.last_sip_response_num, 0);
        assert_eq!(s.properties.pdd_ms, Some(0));
        assert_eq!(s.properties.queue_time, None);
        assert_eq!(s.properties.media_region, "unknown_realm");
        assert_eq!(s.properties.region, "unknown_realm");
        assert_eq!(s.properties.settings, None);
        assert!(s.properties.extra.is_empty());
        assert!(s.extra.is_empty());
        assert!(s.from.extra.is_empty());
        assert_eq!(round_trip(&s), s);
    }

    #[test]
    fn nulls_everywhere_are_defaults() {
        let mut data = Map::new();
        for key in [
            "call_sid",
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
            data.insert(key.to_owned(), Value::Null);
        }
        let s = read(Value::Object(data));
        assert_eq!(s, CallSummary::default());
        assert!(
            s.extra.is_empty(),
            "known keys must not land in extra: {:?}",
            s.extra
        );

        let nested = read(json!({
            "from": {"caller": null, "connection": null, "location": null, "sdk": null},
            "properties": {"direction": null, "last_sip_response_num": null, "q850_cause": null,
                           "pdd_ms": null, "route_id": null, "settings": null},
            "carrier_edge": {"properties": null, "metrics": {"inbound": null,
                "outbound": {"codec": null, "jitter": null, "packets_loss_percentage": null}}},
            "annotation": {"spam": null, "quality_issues": null}
        }));
        assert_eq!(nested.from, Endpoint::default());
        assert_eq!(nested.properties, Properties::default());
        let edge = nested.carrier_edge.as_ref().unwrap();
        assert_eq!(edge.properties, None);
        let metrics = edge.metrics.as_ref().unwrap();
        assert_eq!(metrics.inbound, None);
        assert_eq!(metrics.outbound, Some(StreamMetrics::default()));
        assert_eq!(nested.annotation, Some(Annotation::default()));
        assert_eq!(round_trip(&nested), nested);
    }

    #[test]
    fn empty_object_and_default_round_trip() {
        assert_eq!(read(json!({})), CallSummary::default());
        let d = CallSummary::default();
        assert_eq!(round_trip(&d), d);
    }

    #[test]
    fn keys_read_from_text_behave_as_from_values() {
        // From bytes, keys are borrowed from the input unless they hold escapes; both must
        // land in the same place, and a key this build knows must never end up in `extra`.
        let text = r#"{"call_sid": "CA1", "c\u0061ll_state": "busy", "n\u00e9w": 1,
            "annotation": {"comment": "hi", "colour": "red"},
            "from": {"carrier": "Voda", "carrier_id": 7}}"#;
        let s: CallSummary = serde_json::from_str(text).unwrap();
        assert_eq!(s.call_sid, "CA1");
        assert_eq!(s.call_state, CallState::Busy);
        assert_eq!(s.extra.get("n\u{e9}w"), Some(&json!(1)));
        assert_eq!(s.extra.len(), 1);
        let annotation = s.annotation.as_ref().unwrap();
        assert_eq!(annotation.comment.as_deref(), Some("hi"));
        assert_eq!(annotation.extra.get("colour"), Some(&json!("red")));
        assert_eq!(s.from.carrier, "Voda");
        assert_eq!(s.from.extra.get("carrier_id"), Some(&json!(7)));
        let again: CallSummary = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        // Not an object where one is required: an error naming the struct, as before.
        let err = serde_json::from_str::<CallSummary>(r#"{"from": "somewhere"}"#).unwrap_err();
        assert!(err.to_string().contains("struct Endpoint"), "{err}");
    }

    #[test]
    fn unknown_values_and_keys_are_kept() {
        let mut data = v1_event_data();
        data["call_state"] = json!("exploded");
        data["brand_new"] = json!({"x": [1, 2]});
        data["from"]["hologram"] = json!(true);
        data["properties"]["direction"] = json!("sideways");
        data["properties"]["edge_location"] = json!("ashburn");
        data["sdk_edge"] = json!({
            "properties": {"direction": "outbound", "settings": {"dscp": true}},
            "events": {"levels": {}, "groups": {}, "errors": {}, "feedback": {}},
            "metrics": {
                "inbound": {"audio_out": {"max": 1, "avg": 0.5}, "mos": {"avg": 4.3, "min": 4.1},
                            "rtt": {"max": 120, "avg": 80}},
                "outbound": {"codec_name": "opus"},
                "summary": {"n": 1}
            }
        });
        let s = read(data);
        assert_eq!(s.call_state, CallState::Other("exploded".into()));
        assert_eq!(s.extra.get("brand_new"), Some(&json!({"x": [1, 2]})));
        assert_eq!(s.from.extra.get("hologram"), Some(&json!(true)));
        assert_eq!(s.properties.direction, Direction::Other("sideways".into()));
        assert_eq!(
            s.properties.extra.get("edge_location"),
            Some(&json!("ashburn"))
        );
        let sdk = s.sdk_edge.as_ref().unwrap();
        assert!(sdk.extra.contains_key("events"));
        assert_eq!(sdk.property_str("direction"), Some("outbound"));
        let m = sdk.metrics.as_ref().unwrap();
        assert!(m.extra.contains_key("summary"));
        let inbound = m.inbound.as_ref().unwrap();
        assert!(inbound.extra.contains_key("audio_out"));
        assert_eq!(inbound.mos.unwrap().avg, Some(4.3));
        assert_eq!(inbound.mos.unwrap().min, Some(4.1));
        assert_eq!(inbound.rtt.unwrap().max, Some(120.0));
        assert_eq!(
            s.edges().iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            ["sdk"]
        );

        let out = serde_json::to_value(&s).unwrap();
        assert_eq!(out["call_state"], json!("exploded"));
        assert_eq!(out["brand_new"], json!({"x": [1, 2]}));
        assert_eq!(out["from"]["hologram"], json!(true));
        assert_eq!(out["properties"]["direction"], json!("sideways"));
        assert_eq!(out["properties"]["edge_location"], json!("ashburn"));
        assert_eq!(out["sdk_edge"]["events"]["feedback"], json!({}));
        assert_eq!(
            out["sdk_edge"]["metrics"]["inbound"]["audio_out"]["avg"],
            json!(0.5)
        );
        assert_eq!(round_trip(&s), s);
    }

    #[test]
    fn lenient_scalars() {
        let s = read(json!({
            "call_sid": 12,
            "duration": "12",
            "connect_duration": 11.0,
            "processing_version": 1.5,
            "answered_by": false,
            "tags": ["high_jitter", 3, null, "silence"],
            "properties": {"q850_cause": "16", "last_sip_response_num": "abc", "pdd_ms": 18446744073709551615u64},
            "client_edge": {"metrics": {"inbound": {"jitter": 2, "latency": "fast",
                                                     "packets_loss_percentage": "1.5",
                                                     "mos": {"avg": "4.2", "max": null}}}}
        }));
        assert_eq!(s.call_sid, "");
        assert_eq!(s.duration, Some(12));
        assert_eq!(s.connect_duration, Some(11));
        assert_eq!(s.processing_version, None);
        assert_eq!(s.answered_by, None);
        assert_eq!(s.tags, ["high_jitter", "silence"]);
        assert_eq!(s.properties.q850_cause, 16);
        assert_eq!(s.properties.last_sip_response_num, 0);
        assert_eq!(s.properties.pdd_ms, None);
        let inbound = s
            .client_edge
            .as_ref()
            .unwrap()
            .metrics
            .as_ref()
            .unwrap()
            .inbound
            .clone()
            .unwrap();
        assert_eq!(
            inbound.jitter,
            Some(MinMaxAvg {
                value: Some(2.0),
                ..MinMaxAvg::default()
            })
        );
        assert_eq!(inbound.latency, Some(MinMaxAvg::default()));
        assert_eq!(inbound.packets_loss_percentage, Some(1.5));
        assert_eq!(inbound.mos.unwrap().avg, Some(4.2));
        assert_eq!(read(json!({"tags": "silence"})).tags, Vec::<String>::new());
        assert_eq!(round_trip(&s), s);
    }

    #[test]
    fn edges_in_fixed_order() {
        let s =
            read(json!({"sdk_edge": {}, "carrier_edge": {}, "client_edge": null, "sip_edge": {}}));
        let names: Vec<_> = s.edges().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["carrier", "sip", "sdk"]);
    }

    #[test]
    fn wrong_structure_is_an_error() {
        assert!(CallSummary::deserialize(json!({"carrier_edge": "nope"})).is_err());
        assert!(CallSummary::deserialize(json!({"from": [1]})).is_err());
        assert!(CallSummary::deserialize(json!([1])).is_err());
    }
}
