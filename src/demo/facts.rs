//! Everything decided about one simulated call ([`CallFacts`]: route, parties, outcome, timing,
//! edges) and how each summary event's `data` is rendered from it, with the quality tags the
//! edge metrics imply.

use std::time::Duration;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::data::{CallType, Country};
use crate::timestamp::rfc3339_seconds;

/// Above these values Voice Insights tags a call (docs/events.md "Tags", assets/twilio/codes.md
/// "Tags").
const HIGH_JITTER_MS: f64 = 5.0;
const HIGH_PACKET_LOSS_PCT: f64 = 5.0;
const HIGH_LATENCY_MS: f64 = 400.0;
const LOW_MOS: f64 = 3.5;
const HIGH_PDD_MS: u64 = 5000;

/// Everything decided about one call, from which each event's `data` is rendered.
pub(super) struct CallFacts {
    pub(super) call_sid: String,
    pub(super) account_sid: String,
    pub(super) call_type: CallType,
    pub(super) route: Route,
    pub(super) outcome: Outcome,
    pub(super) timing: Timing,
    pub(super) edges: EdgeProps,
    /// `metrics` per edge name, for answered calls only.
    pub(super) media: Map<String, Value>,
    pub(super) started_at: OffsetDateTime,
    pub(super) silence: bool,
    pub(super) conference_participant: bool,
}

impl CallFacts {
    pub(super) fn final_snapshot(&self) -> Snapshot {
        let o = &self.outcome;
        Snapshot {
            call_state: o.call_state,
            q850: o.q850,
            sip: o.sip,
            disconnected_by: o.disconnected_by,
            duration: self.timing.duration,
            connect_duration: self.timing.connect_secs,
            ended: true,
            with_metrics: o.answered,
        }
    }

    /// A call still ringing or talking: no cause yet, nobody has hung up.
    pub(super) fn in_progress(
        &self,
        call_state: &'static str,
        duration: u64,
        connect_duration: u64,
    ) -> Snapshot {
        Snapshot {
            call_state,
            q850: 0,
            sip: 0,
            disconnected_by: UNKNOWN_BY,
            duration,
            connect_duration,
            ended: false,
            with_metrics: false,
        }
    }

    /// The `data` of one summary event, shaped like docs/events.md's "A complete v1 event" with
    /// edges as in the REST examples.
    pub(super) fn summary(&self, snap: &Snapshot, processing_state: &str, version: u32) -> Value {
        let edge = |name: &str, props: &Option<Map<String, Value>>| -> Value {
            let Some(props) = props else {
                return Value::Null;
            };
            let mut e = Map::new();
            e.insert("properties".into(), Value::Object(props.clone()));
            if snap.with_metrics {
                if let Some(m) = self.media.get(name) {
                    e.insert("metrics".into(), m.clone());
                }
            }
            Value::Object(e)
        };
        let sip_edge = edge("sip_edge", &self.edges.sip);
        let carrier_edge = edge("carrier_edge", &self.edges.carrier);
        let sdk_edge = edge("sdk_edge", &self.edges.sdk);
        let client_edge = edge("client_edge", &self.edges.client);
        let mut tags = Vec::new();
        if snap.with_metrics {
            tags = tags_from_metrics([&sip_edge, &carrier_edge, &sdk_edge, &client_edge]);
            if self.silence {
                tags.push("silence");
            }
        }
        if self.timing.pdd_ms > HIGH_PDD_MS {
            tags.push("high_pdd");
        }

        let mut d = Map::new();
        d.insert("call_sid".into(), self.call_sid.clone().into());
        d.insert("account_sid".into(), self.account_sid.clone().into());
        d.insert(
            "parent_call_sid".into(),
            self.route.parent_call_sid.clone().into(),
        );
        d.insert("parent_account_sid".into(), "".into());
        d.insert("start_time".into(), rfc3339_seconds(self.started_at).into());
        if snap.ended {
            let end = add_duration(self.started_at, Duration::from_secs(snap.duration));
            d.insert("end_time".into(), rfc3339_seconds(end).into());
        }
        d.insert("duration".into(), snap.duration.into());
        d.insert("connect_duration".into(), snap.connect_duration.into());
        d.insert("call_type".into(), self.call_type.as_str().into());
        d.insert("call_state".into(), snap.call_state.into());
        d.insert("from".into(), self.route.from.to_json(true));
        d.insert("to".into(), self.route.to.to_json(false));
        d.insert("processing_state".into(), processing_state.into());
        d.insert("processing_version".into(), version.into());
        d.insert("sip_edge".into(), sip_edge);
        d.insert("carrier_edge".into(), carrier_edge);
        d.insert("sdk_edge".into(), sdk_edge);
        d.insert("client_edge".into(), client_edge);
        d.insert("tags".into(), tags.into());
        d.insert(
            "attributes".into(),
            json!({ "conference_participant": self.conference_participant }),
        );
        d.insert("properties".into(), self.properties(snap));
        Value::Object(d)
    }

    fn properties(&self, snap: &Snapshot) -> Value {
        let sip = self.edges.sip.as_ref();
        let sip_str = |key: &str| -> Value {
            sip.and_then(|m| m.get(key))
                .cloned()
                .unwrap_or_else(|| "".into())
        };
        let region = self.route.region;
        json!({
            "q850_cause": snap.q850,
            "last_sip_response_num": snap.sip,
            "pdd_ms": self.timing.pdd_ms,
            "route_id": "",
            "media_region": region,
            "signaling_region": region,
            "twilio_media_ip": sip_str("twilio_media_ip"),
            "twilio_signaling_ip": sip_str("twilio_signaling_ip"),
            "external_media_ip": sip_str("external_media_ip"),
            "external_signaling_ip": sip_str("external_signaling_ip"),
            "sip_call_id": sip_str("sip_call_id"),
            "user_agent": sip_str("user_agent"),
            "selected_region": region,
            "region": region,
            "trunk_sid": sip_str("trunk_sid"),
            "disconnected_by": snap.disconnected_by,
            "direction": self.route.direction,
            "settings": null,
        })
    }
}

/// The quality tags implied by the metrics of these edges (each `null` or an edge object).
fn tags_from_metrics(edges: [&Value; 4]) -> Vec<&'static str> {
    let mut jitter = false;
    let mut loss = false;
    let mut latency = false;
    let mut mos = false;
    let streams = edges.iter().flat_map(|e| {
        ["inbound", "outbound"]
            .into_iter()
            .filter_map(move |leg| e.get("metrics").and_then(|m| m.get(leg)))
    });
    for s in streams {
        let avg = |key: &str| {
            s.get(key)
                .and_then(|v| v.get("avg"))
                .and_then(Value::as_f64)
        };
        jitter |= avg("jitter").is_some_and(|v| v > HIGH_JITTER_MS);
        latency |= avg("latency").is_some_and(|v| v > HIGH_LATENCY_MS);
        latency |= avg("rtt").is_some_and(|v| v > HIGH_LATENCY_MS);
        mos |= avg("mos").is_some_and(|v| v < LOW_MOS);
        loss |= s
            .get("packets_loss_percentage")
            .and_then(Value::as_f64)
            .is_some_and(|v| v > HIGH_PACKET_LOSS_PCT);
    }
    [
        (jitter, "high_jitter"),
        (loss, "high_packet_loss"),
        (latency, "high_latency"),
        (mos, "low_mos"),
    ]
    .into_iter()
    .filter_map(|(on, tag)| on.then_some(tag))
    .collect()
}

/// `x` rounded to `decimals` (0-6) decimal places.
pub(super) fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6][decimals.clamp(0, 6) as usize];
    (x * scale).round() / scale
}

/// `t + d`, or `t` if that would leave the representable range.
pub(super) fn add_duration(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    time::Duration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d))
        .unwrap_or(t)
}

/// `disconnected_by` while nobody has hung up, or when it is not known.
pub(super) const UNKNOWN_BY: &str = "unknown_disconnected_by";

#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub(super) call_state: &'static str,
    pub(super) q850: u16,
    pub(super) sip: u16,
    pub(super) disconnected_by: &'static str,
    pub(super) answered: bool,
    pub(super) rang: bool,
    pub(super) dialed: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Timing {
    pub(super) pdd_ms: u64,
    /// Seconds from initiation until answer (or until the ringing stopped).
    pub(super) ring_secs: f64,
    pub(super) connect_secs: u64,
    pub(super) duration: u64,
}

/// What one summary event reports: the final outcome, or a moment while the call was live.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    pub(super) call_state: &'static str,
    pub(super) q850: u16,
    pub(super) sip: u16,
    pub(super) disconnected_by: &'static str,
    pub(super) duration: u64,
    pub(super) connect_duration: u64,
    /// Whether the call had ended (an `end_time` is known).
    pub(super) ended: bool,
    pub(super) with_metrics: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Route {
    pub(super) direction: &'static str,
    pub(super) from: Party,
    pub(super) to: Party,
    pub(super) parent_call_sid: String,
    pub(super) region: &'static str,
    pub(super) edge_location: &'static str,
}

/// Edge `properties` objects for the edges this call has.
#[derive(Debug, Clone, Default)]
pub(super) struct EdgeProps {
    pub(super) carrier: Option<Map<String, Value>>,
    pub(super) sip: Option<Map<String, Value>>,
    pub(super) client: Option<Map<String, Value>>,
    pub(super) sdk: Option<Map<String, Value>>,
}

impl EdgeProps {
    pub(super) fn has(&self, name: &str) -> bool {
        match name {
            "carrier_edge" => self.carrier.is_some(),
            "sip_edge" => self.sip.is_some(),
            "client_edge" => self.client.is_some(),
            "sdk_edge" => self.sdk.is_some(),
            _ => false,
        }
    }
}

/// One end of a call: a phone number, a client identity, a SIP URI or a WhatsApp address.
#[derive(Debug, Clone, Default)]
pub(super) struct Party {
    pub(super) address: String,
    pub(super) carrier: &'static str,
    pub(super) connection: &'static str,
    pub(super) number_prefix: String,
    pub(super) location: Option<(f64, f64)>,
    pub(super) city: &'static str,
    pub(super) country_code: &'static str,
    pub(super) subdivision: &'static str,
    pub(super) ip_address: String,
    pub(super) country: Option<&'static Country>,
}

impl Party {
    /// The `from` (`is_from`) or `to` object: the address goes in `caller` or `callee`, the
    /// other key is `""` as in the v1 event.
    pub(super) fn to_json(&self, is_from: bool) -> Value {
        let (caller, callee) = if is_from {
            (self.address.as_str(), "")
        } else {
            ("", self.address.as_str())
        };
        let location = match self.location {
            Some((lat, lon)) => json!({ "lat": lat, "lon": lon }),
            None => Value::Null,
        };
        json!({
            "caller": caller,
            "callee": callee,
            "carrier": self.carrier,
            "connection": self.connection,
            "number_prefix": self.number_prefix,
            "location": location,
            "city": self.city,
            "country_code": self.country_code,
            "country_subdivision": self.subdivision,
            "ip_address": self.ip_address,
            "sdk": null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_metrics() {
        let edge = json!({ "metrics": { "inbound": {
            "jitter": { "avg": 7.5 }, "packets_loss_percentage": 0.2, "mos": { "avg": 3.1 }
        }, "outbound": { "rtt": { "avg": 450.0 }, "packets_loss_percentage": 9.0 } } });
        let none = Value::Null;
        assert_eq!(
            tags_from_metrics([&edge, &none, &none, &none]),
            ["high_jitter", "high_packet_loss", "high_latency", "low_mos"]
        );
        assert!(tags_from_metrics([&none, &none, &none, &none]).is_empty());
    }
}
