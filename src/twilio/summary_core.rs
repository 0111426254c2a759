//! The part of a call summary the screen keeps at hand for every call: what the table, the
//! filter, the stats and the exports read. The full summary (edges, trust, raw JSON) is kept
//! packed beside it and unpacked only when one call is opened, so that 100,000 calls fit in
//! the memory budget of docs/architecture.md (under 200 MiB).
//!
//! The listener reads only this part of a delivery's `data` ([`SummaryCore`]'s `Deserialize`
//! skips the rest without allocating) and keeps the `data` text as it came, which is what gets
//! packed: a delivery costs a few allocations instead of a few hundred.

use compact_str::CompactString;
use serde::Serialize;

use crate::twilio::summary::{
    CallState, CallSummary, CallType, Connection, Direction, DisconnectedBy,
    deserialize_keeping_unknown_keys, lenient_compact_string, lenient_i64, lenient_opt_i64,
    lenient_string, lenient_string_vec, null_as_default,
};

/// One side of the call, as far as the table needs it. Its strings are [`CompactString`]s:
/// numbers and carrier names fit inline (24 bytes), which saves 100,000 calls some 20 MiB of
/// heap blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndpointCore {
    /// Caller ID (on `from`).
    pub caller: CompactString,
    /// Dialled destination (on `to`).
    pub callee: CompactString,
    /// Serving carrier.
    pub carrier: CompactString,
    /// mobile / landline / voip / ...
    pub connection: Connection,
}

/// The call-level properties the table needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PropertiesCore {
    /// inbound / outbound_api / ...
    pub direction: Direction,
    /// caller / callee / unknown.
    pub disconnected_by: DisconnectedBy,
    /// Q.850 cause, 0 when unknown.
    pub q850_cause: i64,
    /// Last SIP response, 0 when unknown.
    pub last_sip_response_num: i64,
    /// Post-dial delay in ms.
    pub pdd_ms: Option<i64>,
    /// Time queued before the call began, in ms.
    pub queue_time: Option<i64>,
}

/// A call summary reduced to what is shown and searched for every call. Field paths mirror
/// [`CallSummary`]'s (`s.from.carrier`, `s.properties.q850_cause`), so code reads the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SummaryCore {
    /// `CA...`.
    pub call_sid: String,
    /// carrier / sip / trunking / client / whatsapp.
    pub call_type: CallType,
    /// completed / busy / fail / ...
    pub call_state: CallState,
    /// Increments while a partial summary is refined.
    pub processing_version: Option<i64>,
    /// Seconds from initiation to end.
    pub duration: Option<i64>,
    /// Seconds from answer to end.
    pub connect_duration: Option<i64>,
    /// The calling side.
    pub from: EndpointCore,
    /// The called side.
    pub to: EndpointCore,
    /// Call-level properties.
    pub properties: PropertiesCore,
    /// Voice Insights tags.
    pub tags: Vec<String>,
    /// When the call started (`start_time`), in Unix nanoseconds; `None` when absent or not
    /// RFC 3339. Read once here so that sorting by start compares numbers.
    #[serde(serialize_with = "serialize_time_ns")]
    pub start_time: Option<i64>,
}

// Read with the same lenient rules as `CallSummary`, so that a summary's core is the same
// whether it was read from the wire or taken from the full summary
// (`core_read_from_the_wire_matches_the_full_summary` checks it on every sample).
deserialize_keeping_unknown_keys! {
    EndpointCore as "struct Endpoint" {
        caller: CompactString = lenient_compact_string,
        callee: CompactString = lenient_compact_string,
        carrier: CompactString = lenient_compact_string,
        connection: Connection,
    } skip_unknown_keys
}

deserialize_keeping_unknown_keys! {
    PropertiesCore as "struct Properties" {
        direction: Direction,
        disconnected_by: DisconnectedBy,
        q850_cause: i64 = lenient_i64,
        last_sip_response_num: i64 = lenient_i64,
        pdd_ms: Option<i64> = lenient_opt_i64,
        queue_time: Option<i64> = lenient_opt_i64,
    } skip_unknown_keys
}

deserialize_keeping_unknown_keys! {
    SummaryCore as "struct CallSummary" {
        call_sid: String = lenient_string,
        call_type: CallType,
        call_state: CallState,
        processing_version: Option<i64> = lenient_opt_i64,
        duration: Option<i64> = lenient_opt_i64,
        connect_duration: Option<i64> = lenient_opt_i64,
        from: EndpointCore = null_as_default,
        to: EndpointCore = null_as_default,
        properties: PropertiesCore = null_as_default,
        tags: Vec<String> = lenient_string_vec,
        start_time: Option<i64> = lenient_time_ns,
    } skip_unknown_keys
}

impl From<&CallSummary> for SummaryCore {
    fn from(s: &CallSummary) -> Self {
        let endpoint = |e: &crate::twilio::summary::Endpoint| EndpointCore {
            caller: e.caller.as_str().into(),
            callee: e.callee.as_str().into(),
            carrier: e.carrier.as_str().into(),
            connection: e.connection.clone(),
        };
        Self {
            call_sid: s.call_sid.clone(),
            call_type: s.call_type.clone(),
            call_state: s.call_state.clone(),
            processing_version: s.processing_version,
            duration: s.duration,
            connect_duration: s.connect_duration,
            from: endpoint(&s.from),
            to: endpoint(&s.to),
            properties: PropertiesCore {
                direction: s.properties.direction.clone(),
                disconnected_by: s.properties.disconnected_by.clone(),
                q850_cause: s.properties.q850_cause,
                last_sip_response_num: s.properties.last_sip_response_num,
                pdd_ms: s.properties.pdd_ms,
                queue_time: s.properties.queue_time,
            },
            tags: s.tags.clone(),
            start_time: s.start_time.as_deref().and_then(time_ns),
        }
    }
}

impl SummaryCore {
    /// A summary holding only what the core knows (the details of a call whose full summary
    /// cannot be read). The core serializes under the full summary's field names, so this is
    /// the full summary's own reader applied to it: no second mapping to keep in step with
    /// `From<&CallSummary>`.
    pub fn to_summary(&self) -> CallSummary {
        serde_json::to_vec(self)
            .ok()
            .and_then(|json| CallSummary::from_json(&json).ok())
            .unwrap_or_default()
    }
}

/// Unix nanoseconds of an RFC 3339 time; `None` when it is not one or out of range.
fn time_ns(text: &str) -> Option<i64> {
    let t = crate::timestamp::parse_rfc3339(text).ok()?;
    i64::try_from(t.unix_timestamp_nanos()).ok()
}

/// `start_time` written back as RFC 3339 (for [`SummaryCore::to_summary`]).
fn serialize_time_ns<S: serde::Serializer>(ns: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ns.and_then(crate::timestamp::rfc3339_of_unix_nanos) {
        Some(text) => s.serialize_some(&text),
        None => s.serialize_none(),
    }
}

/// `start_time` read leniently: an RFC 3339 string gives its Unix nanoseconds, anything else
/// (absent, null, a number, a bad date) gives `None`.
fn lenient_time_ns<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(crate::twilio::summary::lenient_opt_string(deserializer)?
        .as_deref()
        .and_then(time_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_of_a_core_holds_the_core() {
        let fixture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/twilio/fixtures/predicted-complete.json"
        ))
        .expect("fixture");
        let crate::twilio::cloudevent::DeliveredEvent::CallSummary(e) =
            crate::twilio::cloudevent::parse_delivery(&fixture)
                .expect("parse")
                .remove(0)
        else {
            panic!("not a summary")
        };
        let odd: SummaryCore = serde_json::from_value(serde_json::json!({
            "call_sid": "CA1", "call_state": "exploded", "call_type": "hologram",
            "duration": "12", "from": null, "to": {"carrier": "Ünïcode", "connection": "pigeon"},
            "properties": {"q850_cause": 17, "direction": "sideways", "pdd_ms": null},
            "tags": ["silence", 5, "high_jitter"]
        }))
        .expect("core");
        for core in [e.summary, odd, SummaryCore::default()] {
            let full = core.to_summary();
            assert_eq!(SummaryCore::from(&full), core);
            assert!(full.extra.is_empty(), "{:?}", full.extra);
        }
    }
}
