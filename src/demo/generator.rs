//! Realistic Voice Insights call-summary CloudEvents from a seed: carriers, numbers, call types,
//! causes consistent with each outcome (`codes.md`), edges with metrics and the tags they imply.
//! Used by the demo's simulated Twilio and by `callwatch send --scenario`.
//!
//! Timing is compressed for the demo: a call's events arrive seconds after it starts (partial at
//! ~1-3 s, predicted-complete at ~3-6 s, complete at ~5-10 s) while the summaries describe calls
//! of realistic length, so a summary's `end_time` may lie after the event's `time`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::prng::SplitMix64;
use crate::timestamp::{rfc3339_millis, rfc3339_seconds};
use crate::twilio::cloudevent::{
    COMPLETE_TYPE, PARTIAL_TYPE, PREDICTED_COMPLETE_TYPE, TEST_EVENT_TYPE,
};

/// CloudEvent `dataschema` of a v1 call summary.
const SUMMARY_SCHEMA: &str = "https://events-schemas.twilio.com/VoiceInsights.CallSummary/1";
/// CloudEvent `dataschema` of a sink test event.
const TEST_EVENT_SCHEMA: &str = "https://events-schemas.twilio.com/EventStreams.TestSink/1.json";

/// Above these values Voice Insights tags a call (docs/events.md "Tags", assets/twilio/codes.md
/// "Tags").
const HIGH_JITTER_MS: f64 = 5.0;
const HIGH_PACKET_LOSS_PCT: f64 = 5.0;
const HIGH_LATENCY_MS: f64 = 400.0;
const LOW_MOS: f64 = 3.5;
const HIGH_PDD_MS: u64 = 5000;

/// How a simulated call ends. Each maps to a final `call_state` and to the causes codes.md's
/// "consistent outcomes" table gives for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// Answered and hung up normally: `completed`, Q.850 16, SIP 200.
    Completed,
    /// The callee was busy: `busy`, Q.850 17, SIP 486 or 600.
    Busy,
    /// Rang out: `noanswer`, Q.850 19 or 18, SIP 480 or 408.
    NoAnswer,
    /// Never connected: `fail` with a bad-number or network cause (rarely `undialed`).
    Failed,
    /// The caller hung up while it rang: `canceled`, Q.850 16 or 31, SIP 487.
    Canceled,
}

impl Scenario {
    /// Every scenario, in a stable order.
    pub const ALL: [Scenario; 5] = [
        Self::Completed,
        Self::Busy,
        Self::NoAnswer,
        Self::Failed,
        Self::Canceled,
    ];

    /// The name used on the command line: `completed`, `busy`, `noanswer`, `failed`, `canceled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "noanswer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scenario name that is not one of [`Scenario::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario {0:?}: expected completed, busy, noanswer, failed or canceled")]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    /// Accepts the [`Scenario::as_str`] names, case-insensitively, plus the spellings people
    /// type (`no-answer`, `no_answer`, `fail`, `cancelled`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "completed" | "complete" => Ok(Self::Completed),
            "busy" => Ok(Self::Busy),
            "noanswer" | "no-answer" | "no_answer" => Ok(Self::NoAnswer),
            "failed" | "fail" => Ok(Self::Failed),
            "canceled" | "cancelled" => Ok(Self::Canceled),
            _ => Err(UnknownScenario(s.to_string())),
        }
    }
}

/// One simulated call: its SID, how it ends, and the CloudEvents Twilio would deliver for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedCall {
    /// `CA` + 32 lowercase hex digits.
    pub call_sid: String,
    /// How the call ends.
    pub scenario: Scenario,
    /// Partial(s), then predicted-complete, then complete, with increasing offsets.
    pub events: Vec<SimulatedEvent>,
}

/// One CloudEvent of a simulated call and when to deliver it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedEvent {
    /// Delay after the call starts (compressed for the demo: partials ~1-3 s,
    /// predicted-complete ~3-6 s, complete ~5-10 s).
    pub offset: Duration,
    /// One CloudEvent object; its `data` is a JSON object (see [`with_data_as_string`]).
    pub event: Value,
}

/// Makes realistic calls from a seed: the same seed (and the same `started_at` times) gives the
/// same calls, byte for byte, on every platform.
#[derive(Debug, Clone)]
pub struct CallGenerator {
    rng: SplitMix64,
    account_sid: String,
    /// The account's own Twilio numbers: callers of outbound calls, callees of inbound ones.
    twilio_numbers: Vec<Party>,
}

impl CallGenerator {
    /// A generator whose output depends only on `seed`; its account SID is derived from it.
    pub fn new(seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let account_sid = format!("AC{}", rng.hex(32));
        let mut generator = Self {
            rng,
            account_sid,
            twilio_numbers: Vec::new(),
        };
        generator.twilio_numbers = TWILIO_NUMBER_CARRIERS
            .iter()
            .map(|&(carrier, city)| generator.pstn_party_with(&CARRIERS[carrier], Some(city)))
            .collect();
        generator
    }

    /// The `AC…` account SID every generated summary carries.
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// A fresh random UUID (version 4 form) for a sink test event's `test_id`.
    pub fn next_test_id(&mut self) -> String {
        let h = self.rng.hex(32);
        let variant = ["8", "9", "a", "b"][self.rng.below(4) as usize];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            variant,
            &h[17..20],
            &h[20..32]
        )
    }

    /// The next call: `scenario` forces the outcome (`None` picks one with realistic weights:
    /// mostly completed). The call starts at `started_at`; event times are `started_at` plus
    /// each event's offset.
    pub fn next_call(
        &mut self,
        scenario: Option<Scenario>,
        started_at: OffsetDateTime,
    ) -> SimulatedCall {
        let scenario = scenario.unwrap_or_else(|| self.rng.weighted(SCENARIO_WEIGHTS));
        let call_sid = format!("CA{}", self.rng.hex(32));
        let call_type = self.rng.weighted(CALL_TYPE_WEIGHTS);
        let route = self.route(call_type);
        let outcome = self.outcome(scenario);
        let timing = self.timing(&outcome);
        let edges = self.edge_properties(call_type, &route);
        let media = if outcome.answered {
            self.media(call_type, &edges, timing.connect_secs)
        } else {
            Map::new()
        };
        let facts = CallFacts {
            call_sid: call_sid.clone(),
            account_sid: self.account_sid.clone(),
            call_type,
            route,
            outcome,
            timing,
            edges,
            media,
            started_at,
            silence: self.rng.chance(0.05),
            conference_participant: self.rng.chance(0.06),
        };

        let snapshots = self.partial_snapshots(&facts);
        let offsets = self.offsets(snapshots.len());
        let final_snapshot = facts.final_snapshot();

        let mut events = Vec::with_capacity(snapshots.len() + 2);
        let mut version = 0;
        for (snapshot, &offset) in snapshots.iter().zip(&offsets) {
            version += 1;
            let data = facts.summary(snapshot, "partial", version);
            events.push(self.event(PARTIAL_TYPE, &facts, offset, data));
        }
        let predicted_at = offsets[snapshots.len()];
        let complete_at = offsets[snapshots.len() + 1];
        let data = facts.summary(&final_snapshot, "partial", version + 1);
        events.push(self.event(PREDICTED_COMPLETE_TYPE, &facts, predicted_at, data));
        let data = facts.summary(&final_snapshot, "complete", version + 2);
        events.push(self.event(COMPLETE_TYPE, &facts, complete_at, data));

        SimulatedCall {
            call_sid,
            scenario,
            events,
        }
    }

    fn event(
        &mut self,
        event_type: &str,
        facts: &CallFacts,
        offset: Duration,
        data: Value,
    ) -> SimulatedEvent {
        let time = add_duration(facts.started_at, offset);
        let event = json!({
            "specversion": "1.0",
            "type": event_type,
            "source": format!("/v1/Voice/{}/Summary", facts.call_sid),
            "id": format!("EZ{}", self.rng.hex(32)),
            "dataschema": SUMMARY_SCHEMA,
            "datacontenttype": "application/json",
            "time": rfc3339_millis(time),
            "data": data,
        });
        SimulatedEvent { offset, event }
    }

    /// Delivery offsets: `partials` of them in 1.0-2.8 s, then predicted-complete in 3.2-5.8 s,
    /// then complete in 5-9.5 s, strictly increasing.
    fn offsets(&mut self, partials: usize) -> Vec<Duration> {
        let mut secs = Vec::with_capacity(partials + 2);
        let mut at = self.rng.uniform(1.0, 1.6);
        for _ in 0..partials {
            secs.push(at);
            at += self.rng.uniform(0.4, 1.2);
        }
        let predicted = self.rng.uniform(3.2, 5.8);
        secs.push(predicted);
        let earliest_complete = (predicted + 1.0).max(5.0);
        secs.push(self.rng.uniform(earliest_complete, 9.5));
        secs.into_iter().map(millis).collect()
    }

    /// The from/to parties and the direction for a call type.
    fn route(&mut self, call_type: CallType) -> Route {
        let (direction, from, to, has_parent) = match call_type {
            CallType::Carrier => {
                let direction = self.rng.weighted(&[
                    ("inbound", 45),
                    ("outbound_api", 40),
                    ("outbound_dial", 15),
                ]);
                match direction {
                    "inbound" => (direction, self.pstn_party(), self.own_number(), false),
                    "outbound_api" => (direction, self.own_number(), self.pstn_party(), false),
                    _ => {
                        // A forwarded call keeps the original caller ID half of the time.
                        let from = if self.rng.chance(0.5) {
                            self.pstn_party()
                        } else {
                            self.own_number()
                        };
                        (direction, from, self.pstn_party(), true)
                    }
                }
            }
            CallType::Sip => {
                if self.rng.chance(0.4) {
                    ("inbound", self.sip_domain_party(), self.pstn_party(), false)
                } else {
                    (
                        "outbound_dial",
                        self.pstn_party(),
                        self.sip_interface(),
                        true,
                    )
                }
            }
            CallType::Trunking => {
                // Termination: the PBX calls out to the PSTN; origination: the PSTN calls the PBX.
                if self.rng.chance(0.55) {
                    (
                        "trunking_terminating",
                        self.own_number(),
                        self.pstn_party(),
                        false,
                    )
                } else {
                    (
                        "trunking_originating",
                        self.pstn_party(),
                        self.own_number(),
                        false,
                    )
                }
            }
            CallType::Client => {
                let direction = self.rng.weighted(&[
                    ("inbound", 50),
                    ("outbound_dial", 35),
                    ("outbound_api", 15),
                ]);
                match direction {
                    "inbound" => (direction, self.client_party(), self.pstn_party(), false),
                    "outbound_dial" => (direction, self.pstn_party(), self.client_party(), true),
                    _ => (direction, self.own_number(), self.client_party(), false),
                }
            }
            CallType::Whatsapp => {
                let user = self.whatsapp_party(None);
                let own = self.own_number();
                let business = self.whatsapp_party(Some(own));
                if self.rng.chance(0.7) {
                    ("inbound", user, business, false)
                } else {
                    ("outbound_api", business, user, false)
                }
            }
        };
        let parent_call_sid = if has_parent {
            format!("CA{}", self.rng.hex(32))
        } else {
            String::new()
        };
        self.route_with(direction, from, to, parent_call_sid)
    }

    fn route_with(
        &mut self,
        direction: &'static str,
        from: Party,
        to: Party,
        parent_call_sid: String,
    ) -> Route {
        // Media is anchored in the Twilio region nearest the party outside Twilio.
        let remote = if direction == "inbound" || direction == "trunking_originating" {
            &from
        } else {
            &to
        };
        let country = remote.country.unwrap_or(&COUNTRIES[0]);
        let edge_location = *self.rng.pick(country.edge_locations);
        Route {
            direction,
            from,
            to,
            parent_call_sid,
            region: country.media_region,
            edge_location,
        }
    }

    /// One of the account's own Twilio numbers.
    fn own_number(&mut self) -> Party {
        self.rng.pick(&self.twilio_numbers).clone()
    }

    /// A PSTN party on a carrier picked with realistic weights.
    fn pstn_party(&mut self) -> Party {
        let i = self.rng.weighted_index(CARRIERS.iter().map(|c| c.weight));
        let carrier = &CARRIERS[i];
        self.pstn_party_with(carrier, None)
    }

    fn pstn_party_with(&mut self, carrier: &Carrier, city: Option<usize>) -> Party {
        let country = &COUNTRIES[carrier.country];
        let city = match city {
            Some(i) => &country.cities[i],
            None => self.rng.pick(country.cities),
        };
        let mut national = if carrier.prefixes.is_empty() {
            let mut n = city.area.to_string();
            if country.dial == "1" {
                // NANP exchange codes start with 2-9.
                n.push(char::from(b'2' + self.rng.below(8) as u8));
            }
            n
        } else {
            (*self.rng.pick(carrier.prefixes)).to_string()
        };
        let missing = country.national_len.saturating_sub(national.len());
        national.push_str(&self.rng.digits(missing));
        let number_prefix = format!("{}{}", country.dial, &national[..3.min(national.len())]);
        // A number's location is its rate centre, not the handset: jitter around the city.
        let lat = round_to(city.lat + self.rng.uniform(-0.08, 0.08), 6);
        let lon = round_to(city.lon + self.rng.uniform(-0.08, 0.08), 6);
        Party {
            address: format!("+{}{}", country.dial, national),
            carrier: carrier.name,
            connection: carrier.connection,
            number_prefix,
            location: Some((lat, lon)),
            city: city.name,
            country_code: country.iso,
            subdivision: city.subdivision,
            ip_address: String::new(),
            country: Some(country),
        }
    }

    fn client_party(&mut self) -> Party {
        let identity = match self.rng.below(3) {
            0 => format!("client:agent_{}", self.rng.range(100, 999)),
            1 => (*self.rng.pick(CLIENT_NAMES)).to_string(),
            _ => format!("client:support-desk-{}", self.rng.range(1, 12)),
        };
        Party {
            address: identity,
            connection: "twilio_sdk",
            ip_address: self.public_ip(),
            ..Party::default()
        }
    }

    fn sip_domain_party(&mut self) -> Party {
        let user = *self.rng.pick(SIP_USERS);
        let domain = *self.rng.pick(SIP_DOMAINS);
        Party {
            address: format!("sip:{user}@{domain}"),
            connection: "sip_interface",
            ip_address: self.public_ip(),
            ..Party::default()
        }
    }

    fn sip_interface(&mut self) -> Party {
        let user = *self.rng.pick(SIP_USERS);
        let ip = self.public_ip();
        Party {
            address: format!("sip:{user}@{ip}"),
            connection: "sip_interface",
            ip_address: ip,
            ..Party::default()
        }
    }

    /// A WhatsApp user (a mobile number) or the business's number, as `whatsapp:+…`.
    fn whatsapp_party(&mut self, business: Option<Party>) -> Party {
        let base = match business {
            Some(party) => party,
            None => {
                let i = self.rng.weighted_index(CARRIERS.iter().map(|c| {
                    if c.connection == "mobile" {
                        c.weight
                    } else {
                        0
                    }
                }));
                self.pstn_party_with(&CARRIERS[i], None)
            }
        };
        Party {
            address: format!("whatsapp:{}", base.address),
            carrier: "",
            connection: "voip",
            number_prefix: base.number_prefix,
            location: None,
            city: "",
            country_code: base.country_code,
            subdivision: "",
            ip_address: String::new(),
            country: base.country,
        }
    }

    /// An address from the documentation ranges (RFC 5737), as a customer's public IP.
    fn public_ip(&mut self) -> String {
        let net = *self.rng.pick(&["203.0.113", "198.51.100", "192.0.2"]);
        format!("{net}.{}", self.rng.range(2, 254))
    }

    /// Final state and causes exactly per codes.md's "consistent outcomes" table.
    fn outcome(&mut self, scenario: Scenario) -> Outcome {
        let (call_state, q850, sip, disconnected_by) = match scenario {
            Scenario::Completed => {
                let by = if self.rng.chance(0.5) {
                    "caller"
                } else {
                    "callee"
                };
                ("completed", 16, 200, by)
            }
            Scenario::Busy => {
                let sip = if self.rng.chance(0.85) { 486 } else { 600 };
                ("busy", 17, sip, UNKNOWN_BY)
            }
            Scenario::NoAnswer => {
                let (q850, sip) = self.rng.weighted(&[
                    ((19, 480), 60),
                    ((19, 408), 15),
                    ((18, 408), 15),
                    ((18, 480), 10),
                ]);
                ("noanswer", q850, sip, UNKNOWN_BY)
            }
            Scenario::Canceled => {
                let q850 = if self.rng.chance(0.7) { 16 } else { 31 };
                ("canceled", q850, 487, "caller")
            }
            Scenario::Failed => {
                if self.rng.chance(0.08) {
                    // Never dialed (e.g. blocked by geo permissions): no cause on the wire.
                    ("undialed", 0, 0, UNKNOWN_BY)
                } else {
                    let (q850, sip) = self.rng.weighted(&[
                        ((1, 404), 25),
                        ((3, 404), 10),
                        ((28, 484), 15),
                        ((34, 503), 20),
                        ((38, 503), 10),
                        ((41, 500), 10),
                        ((42, 503), 10),
                    ]);
                    ("fail", q850, sip, UNKNOWN_BY)
                }
            }
        };
        Outcome {
            call_state,
            q850,
            sip,
            disconnected_by,
            answered: call_state == "completed",
            rang: matches!(call_state, "completed" | "noanswer" | "canceled"),
            dialed: !matches!(call_state, "fail" | "undialed"),
        }
    }

    /// Post-dial delay, ringing and talk time consistent with the outcome.
    fn timing(&mut self, outcome: &Outcome) -> Timing {
        let pdd_ms = if !outcome.dialed {
            0
        } else if self.rng.chance(0.08) {
            self.rng.range(5200, 12_000)
        } else if self.rng.chance(0.65) {
            self.rng.range(150, 900)
        } else {
            self.rng.range(900, 3500)
        };
        let pdd_secs = pdd_ms as f64 / 1000.0;
        let (ring_secs, connect_secs) = match outcome.call_state {
            "completed" => {
                let talk = self.rng.exponential(80.0).clamp(3.0, 1200.0);
                (pdd_secs + self.rng.uniform(2.0, 18.0), talk as u64)
            }
            "noanswer" => (pdd_secs + self.rng.uniform(18.0, 60.0), 0),
            "canceled" => (pdd_secs + self.rng.uniform(2.0, 20.0), 0),
            "busy" => (pdd_secs + self.rng.uniform(0.3, 2.0), 0),
            "fail" => (self.rng.uniform(0.0, 1.5), 0),
            _ => (0.0, 0),
        };
        let duration = ring_secs.ceil() as u64 + connect_secs;
        Timing {
            pdd_ms,
            ring_secs,
            connect_secs,
            duration,
        }
    }

    /// Edge objects (properties only) matching the call type: carrier → carrier_edge; sip →
    /// sip_edge; trunking → sip_edge + carrier_edge; client → client_edge + sdk_edge; WhatsApp
    /// calls have none.
    fn edge_properties(&mut self, call_type: CallType, route: &Route) -> EdgeProps {
        let outbound_leg = !matches!(route.direction, "inbound" | "trunking_originating");
        let leg = |outbound: bool| if outbound { "outbound" } else { "inbound" };
        let base = |direction: &str| -> Map<String, Value> {
            let mut m = Map::new();
            m.insert("media_region".into(), route.region.into());
            m.insert("signaling_region".into(), route.region.into());
            m.insert("edge_location".into(), route.edge_location.into());
            m.insert("direction".into(), direction.into());
            m
        };
        let mut edges = EdgeProps::default();
        match call_type {
            CallType::Carrier => edges.carrier = Some(base(leg(outbound_leg))),
            CallType::Sip | CallType::Trunking => {
                // The SIP side faces the PBX: for termination the PBX sends us the call.
                let sip_direction = match route.direction {
                    "trunking_terminating" => "inbound",
                    "trunking_originating" => "outbound",
                    _ => leg(outbound_leg),
                };
                let mut sip = base(sip_direction);
                let twilio_ip = self.twilio_ip(route.region);
                let pbx_ip = match route.from.connection {
                    "sip_interface" => route.from.ip_address.clone(),
                    _ if route.to.connection == "sip_interface" => route.to.ip_address.clone(),
                    _ => self.public_ip(),
                };
                sip.insert("twilio_media_ip".into(), twilio_ip.clone().into());
                sip.insert("twilio_signaling_ip".into(), twilio_ip.into());
                sip.insert("external_media_ip".into(), pbx_ip.clone().into());
                sip.insert("external_signaling_ip".into(), pbx_ip.into());
                sip.insert(
                    "sip_call_id".into(),
                    format!("{}@0.0.0.0", self.rng.hex(32)).into(),
                );
                sip.insert(
                    "user_agent".into(),
                    (*self.rng.pick(SIP_USER_AGENTS)).into(),
                );
                if call_type == CallType::Trunking {
                    sip.insert("trunk_sid".into(), format!("TK{}", self.rng.hex(32)).into());
                    let carrier_direction = if sip_direction == "inbound" {
                        "outbound"
                    } else {
                        "inbound"
                    };
                    edges.carrier = Some(base(carrier_direction));
                }
                edges.sip = Some(sip);
            }
            CallType::Client => {
                let mut client = base(leg(outbound_leg));
                client.insert(
                    "twilio_media_ip".into(),
                    self.twilio_ip(route.region).into(),
                );
                let sdk_ip = if route.from.connection == "twilio_sdk" {
                    route.from.ip_address.clone()
                } else {
                    route.to.ip_address.clone()
                };
                client.insert("external_media_ip".into(), sdk_ip.into());
                edges.client = Some(client);
                let mut sdk = Map::new();
                sdk.insert("direction".into(), leg(outbound_leg).into());
                sdk.insert(
                    "settings".into(),
                    json!({ "dscp": true, "ice_restart_enabled": self.rng.chance(0.5) }),
                );
                edges.sdk = Some(sdk);
            }
            CallType::Whatsapp => {}
        }
        edges
    }

    fn twilio_ip(&mut self, region: &str) -> String {
        let net = match region {
            "ie1" => "54.171.127",
            "de1" => "35.156.191",
            "au1" => "54.252.254",
            _ => *self.rng.pick(&["54.172.60", "54.244.51"]),
        };
        format!("{net}.{}", self.rng.range(0, 255))
    }

    /// `metrics` objects for the edges of an answered call, keyed by edge name. Most calls are
    /// clean; a few have high jitter, packet loss, latency or a low MOS — and the tags follow
    /// from these numbers.
    fn media(
        &mut self,
        call_type: CallType,
        edges: &EdgeProps,
        connect_secs: u64,
    ) -> Map<String, Value> {
        let quality = Quality {
            jitter: self.rng.chance(0.07),
            loss: self.rng.chance(0.06),
            latency: self.rng.chance(0.12),
            mos: self.rng.chance(0.05),
        };
        let clean = Quality::default();
        let mut metrics = Map::new();
        match call_type {
            CallType::Carrier => {
                let m = json!({
                    "inbound": self.stream(Leg::Inbound, Codec::Pcmu, connect_secs, quality, false),
                    "outbound": self.stream(Leg::Outbound, Codec::Pcmu, connect_secs, clean, false),
                });
                metrics.insert("carrier_edge".into(), m);
            }
            CallType::Sip => {
                let m = json!({
                    "inbound": self.stream(Leg::Inbound, Codec::Pcmu, connect_secs, quality, false),
                    "outbound": self.stream(Leg::Outbound, Codec::Pcmu, connect_secs, clean, false),
                });
                metrics.insert("sip_edge".into(), m);
            }
            CallType::Trunking => {
                // As in Twilio's own example: the SIP edge measures latency towards the PBX.
                let mut m = Map::new();
                if self.rng.chance(0.6) {
                    let s = self.stream(Leg::Inbound, Codec::Pcmu, connect_secs, quality, false);
                    m.insert("inbound".into(), s);
                }
                let s = self.stream(Leg::Outbound, Codec::Pcmu, connect_secs, quality, true);
                m.insert("outbound".into(), s);
                metrics.insert("sip_edge".into(), Value::Object(m));
                if self.rng.chance(0.5) {
                    let m = json!({
                        "inbound": self.stream(Leg::Inbound, Codec::Pcmu, connect_secs, clean, false),
                        "outbound": self.stream(Leg::Outbound, Codec::Pcmu, connect_secs, clean, false),
                    });
                    metrics.insert("carrier_edge".into(), m);
                }
            }
            CallType::Client => {
                let codec = if self.rng.chance(0.7) {
                    Codec::Opus
                } else {
                    Codec::Pcmu
                };
                let m = json!({
                    "inbound": self.stream(Leg::Inbound, codec, connect_secs, quality, false),
                    "outbound": self.stream(Leg::Outbound, codec, connect_secs, clean, false),
                });
                metrics.insert("client_edge".into(), m);
                let mut inbound = self.stream(Leg::Inbound, codec, connect_secs, quality, false);
                let mut outbound = self.stream(Leg::Outbound, codec, connect_secs, clean, false);
                let degraded = quality.mos || quality.jitter || quality.loss;
                let mos_avg = if degraded {
                    self.rng.uniform(2.4, 3.3)
                } else {
                    self.rng.uniform(3.9, 4.4)
                };
                let mos = json!({
                    "min": round_to((mos_avg - self.rng.uniform(0.2, 0.8)).max(1.0), 2),
                    "max": round_to((mos_avg + self.rng.uniform(0.05, 0.4)).min(4.5), 2),
                    "avg": round_to(mos_avg, 2),
                });
                let rtt_avg = if quality.latency {
                    self.rng.uniform(420.0, 900.0)
                } else {
                    self.rng.uniform(35.0, 220.0)
                };
                let rtt = json!({
                    "min": round_to(rtt_avg * self.rng.uniform(0.5, 0.9), 1),
                    "max": round_to(rtt_avg * self.rng.uniform(1.1, 2.0), 1),
                    "avg": round_to(rtt_avg, 1),
                });
                if let Some(m) = inbound.as_object_mut() {
                    m.insert("mos".into(), mos);
                }
                if let Some(m) = outbound.as_object_mut() {
                    m.insert("rtt".into(), rtt);
                }
                metrics.insert(
                    "sdk_edge".into(),
                    json!({ "inbound": inbound, "outbound": outbound }),
                );
            }
            CallType::Whatsapp => {}
        }
        // Only edges that exist get metrics.
        metrics.retain(|name, _| edges.has(name));
        metrics
    }

    /// One direction of an edge's media: ~50 packets a second (20 ms ptime), loss and jitter
    /// per `quality`, and a latency object where `with_latency`.
    fn stream(
        &mut self,
        leg: Leg,
        codec: Codec,
        connect_secs: u64,
        quality: Quality,
        with_latency: bool,
    ) -> Value {
        let nominal = connect_secs.max(1) * 50;
        let packets = nominal - self.rng.below(nominal / 50 + 1);
        let loss_pct = if quality.loss {
            self.rng.uniform(6.0, 18.0)
        } else if self.rng.chance(0.6) {
            0.0
        } else {
            self.rng.uniform(0.01, 0.8)
        };
        let lost = (packets as f64 * loss_pct / 100.0).round() as u64;
        let loss_pct = round_to(lost as f64 * 100.0 / packets as f64, 2);
        let jitter_avg = if quality.jitter {
            self.rng.uniform(5.5, 25.0)
        } else {
            self.rng.uniform(0.15, 2.5)
        };
        let jitter_max = jitter_avg * self.rng.uniform(1.3, 4.0);
        let mut m = Map::new();
        m.insert("codec".into(), codec.number().into());
        m.insert("codec_name".into(), codec.name().into());
        let packets_key = match leg {
            Leg::Inbound => "packets_received",
            Leg::Outbound => "packets_sent",
        };
        m.insert(packets_key.into(), packets.into());
        m.insert("packets_lost".into(), lost.into());
        m.insert("packets_loss_percentage".into(), json!(loss_pct));
        m.insert(
            "jitter".into(),
            json!({ "max": round_to(jitter_max, 6), "avg": round_to(jitter_avg, 6) }),
        );
        if with_latency {
            let avg = if quality.latency {
                self.rng.uniform(420.0, 700.0)
            } else {
                self.rng.uniform(15.0, 90.0)
            };
            let max = avg * self.rng.uniform(1.1, 2.0);
            m.insert(
                "latency".into(),
                json!({ "max": round_to(max, 3), "avg": round_to(avg, 3) }),
            );
        }
        Value::Object(m)
    }

    /// What the partial events show. Calls that ring first may show `ringing` (and, once
    /// answered, `answered`) in early partials; calls that fail or are busy show their outcome
    /// straight away. About a third of calls get two partials.
    fn partial_snapshots(&mut self, facts: &CallFacts) -> Vec<Snapshot> {
        let two = self.rng.chance(0.35);
        let final_snapshot = facts.final_snapshot();
        let o = &facts.outcome;
        if !o.rang {
            return if two {
                vec![final_snapshot.clone(), final_snapshot]
            } else {
                vec![final_snapshot]
            };
        }
        let t = &facts.timing;
        let pdd = t.pdd_ms as f64 / 1000.0;
        let ring_until = if o.answered {
            t.ring_secs
        } else {
            t.duration as f64
        };
        let ringing_at = self.rng.uniform(pdd, ring_until.max(pdd));
        let ringing = facts.in_progress("ringing", ringing_at.floor() as u64, 0);
        if o.answered {
            let talk_secs = (t.connect_secs as f64 - 1.0).max(0.0);
            let talked = (1.0 + self.rng.uniform(0.0, talk_secs)).floor() as u64;
            let talked = talked.min(t.connect_secs);
            let answered =
                facts.in_progress("answered", t.ring_secs.ceil() as u64 + talked, talked);
            if two {
                vec![ringing, answered]
            } else {
                match self.rng.below(5) {
                    0 | 1 => vec![ringing],
                    2 | 3 => vec![answered],
                    _ => vec![final_snapshot],
                }
            }
        } else if two {
            vec![ringing, final_snapshot]
        } else if self.rng.chance(0.6) {
            vec![ringing]
        } else {
            vec![final_snapshot]
        }
    }
}

/// Everything decided about one call, from which each event's `data` is rendered.
struct CallFacts {
    call_sid: String,
    account_sid: String,
    call_type: CallType,
    route: Route,
    outcome: Outcome,
    timing: Timing,
    edges: EdgeProps,
    /// `metrics` per edge name, for answered calls only.
    media: Map<String, Value>,
    started_at: OffsetDateTime,
    silence: bool,
    conference_participant: bool,
}

impl CallFacts {
    fn final_snapshot(&self) -> Snapshot {
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
    fn in_progress(
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
    fn summary(&self, snap: &Snapshot, processing_state: &str, version: u32) -> Value {
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

/// A sink test event (`com.twilio.eventstreams.test-event`) like Twilio sends for
/// `POST /v1/Sinks/{Sid}/Test`: its `id` is the account SID and `data.test_id` a UUID.
pub fn test_event(test_id: &str, account_sid: &str, time: OffsetDateTime) -> Value {
    json!({
        "specversion": "1.0",
        "type": TEST_EVENT_TYPE,
        "source": "Sink",
        "id": account_sid,
        "dataschema": TEST_EVENT_SCHEMA,
        "datacontenttype": "application/json",
        "time": rfc3339_millis(time),
        "data": { "test_id": test_id },
    })
}

/// A copy of `event` whose `data` is JSON-encoded into a string, as older Twilio deliveries carry
/// it (docs/events.md, "The body"). Events whose `data` is already a string are returned as they
/// are.
pub fn with_data_as_string(event: &Value) -> Value {
    let mut event = event.clone();
    if let Some(data) = event.get_mut("data") {
        if !data.is_string() {
            *data = Value::String(data.to_string());
        }
    }
    event
}

/// A delivery body: the events as one compact JSON array, as Event Streams POSTs them.
pub fn delivery_body(events: &[Value]) -> Vec<u8> {
    Value::Array(events.to_vec()).to_string().into_bytes()
}

fn millis(secs: f64) -> Duration {
    Duration::from_millis((secs * 1000.0).round() as u64)
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6][decimals.clamp(0, 6) as usize];
    (x * scale).round() / scale
}

/// `t + d`, or `t` if that would leave the representable range.
pub(crate) fn add_duration(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    time::Duration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d))
        .unwrap_or(t)
}

const UNKNOWN_BY: &str = "unknown_disconnected_by";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallType {
    Carrier,
    Sip,
    Trunking,
    Client,
    Whatsapp,
}

impl CallType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Carrier => "carrier",
            Self::Sip => "sip",
            Self::Trunking => "trunking",
            Self::Client => "client",
            Self::Whatsapp => "whatsapp",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Leg {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy)]
enum Codec {
    Pcmu,
    Opus,
}

impl Codec {
    fn number(self) -> u32 {
        match self {
            Self::Pcmu => 0,
            Self::Opus => 111,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Pcmu => "pcmu",
            Self::Opus => "opus",
        }
    }
}

/// Which impairments an answered call has.
#[derive(Debug, Clone, Copy, Default)]
struct Quality {
    jitter: bool,
    loss: bool,
    latency: bool,
    mos: bool,
}

#[derive(Debug, Clone)]
struct Outcome {
    call_state: &'static str,
    q850: u16,
    sip: u16,
    disconnected_by: &'static str,
    answered: bool,
    rang: bool,
    dialed: bool,
}

#[derive(Debug, Clone)]
struct Timing {
    pdd_ms: u64,
    /// Seconds from initiation until answer (or until the ringing stopped).
    ring_secs: f64,
    connect_secs: u64,
    duration: u64,
}

/// What one summary event reports: the final outcome, or a moment while the call was live.
#[derive(Debug, Clone)]
struct Snapshot {
    call_state: &'static str,
    q850: u16,
    sip: u16,
    disconnected_by: &'static str,
    duration: u64,
    connect_duration: u64,
    /// Whether the call had ended (an `end_time` is known).
    ended: bool,
    with_metrics: bool,
}

#[derive(Debug, Clone)]
struct Route {
    direction: &'static str,
    from: Party,
    to: Party,
    parent_call_sid: String,
    region: &'static str,
    edge_location: &'static str,
}

/// Edge `properties` objects for the edges this call has.
#[derive(Debug, Clone, Default)]
struct EdgeProps {
    carrier: Option<Map<String, Value>>,
    sip: Option<Map<String, Value>>,
    client: Option<Map<String, Value>>,
    sdk: Option<Map<String, Value>>,
}

impl EdgeProps {
    fn has(&self, name: &str) -> bool {
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
struct Party {
    address: String,
    carrier: &'static str,
    connection: &'static str,
    number_prefix: String,
    location: Option<(f64, f64)>,
    city: &'static str,
    country_code: &'static str,
    subdivision: &'static str,
    ip_address: String,
    country: Option<&'static Country>,
}

impl Party {
    /// The `from` (`is_from`) or `to` object: the address goes in `caller` or `callee`, the
    /// other key is `""` as in the v1 event.
    fn to_json(&self, is_from: bool) -> Value {
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

#[derive(Debug)]
struct City {
    name: &'static str,
    subdivision: &'static str,
    lat: f64,
    lon: f64,
    /// National area code of landlines in this city.
    area: &'static str,
}

#[derive(Debug)]
struct Country {
    iso: &'static str,
    dial: &'static str,
    /// Digits after the country code.
    national_len: usize,
    media_region: &'static str,
    edge_locations: &'static [&'static str],
    cities: &'static [City],
}

#[derive(Debug)]
struct Carrier {
    name: &'static str,
    /// Index into [`COUNTRIES`].
    country: usize,
    connection: &'static str,
    /// National number ranges of a mobile network; empty: the city's area code.
    prefixes: &'static [&'static str],
    /// How often it appears, relative to the others.
    weight: u32,
}

const fn city(
    name: &'static str,
    subdivision: &'static str,
    lat: f64,
    lon: f64,
    area: &'static str,
) -> City {
    City {
        name,
        subdivision,
        lat,
        lon,
        area,
    }
}

static COUNTRIES: [Country; 7] = [
    Country {
        iso: "US",
        dial: "1",
        national_len: 10,
        media_region: "us1",
        edge_locations: &["ashburn", "umatilla"],
        cities: &[
            city("New York", "New York", 40.7128, -74.0060, "212"),
            city("San Francisco", "California", 37.7749, -122.4194, "415"),
            city("Chicago", "Illinois", 41.8781, -87.6298, "312"),
            city("Austin", "Texas", 30.2672, -97.7431, "512"),
            city("Seattle", "Washington", 47.6062, -122.3321, "206"),
            city("Miami", "Florida", 25.7617, -80.1918, "305"),
            city("Denver", "Colorado", 39.7392, -104.9903, "303"),
            city("Boston", "Massachusetts", 42.3601, -71.0589, "617"),
            city("Atlanta", "Georgia", 33.7490, -84.3880, "404"),
        ],
    },
    Country {
        iso: "CA",
        dial: "1",
        national_len: 10,
        media_region: "us1",
        edge_locations: &["ashburn"],
        cities: &[
            city("Toronto", "Ontario", 43.6532, -79.3832, "416"),
            city("Vancouver", "British Columbia", 49.2827, -123.1207, "604"),
            city("Montreal", "Quebec", 45.5019, -73.5674, "514"),
        ],
    },
    Country {
        iso: "GB",
        dial: "44",
        national_len: 10,
        media_region: "ie1",
        edge_locations: &["dublin"],
        cities: &[
            city("London", "England", 51.5074, -0.1278, "20"),
            city("Manchester", "England", 53.4808, -2.2426, "161"),
            city("Edinburgh", "Scotland", 55.9533, -3.1883, "131"),
        ],
    },
    Country {
        iso: "DE",
        dial: "49",
        national_len: 11,
        media_region: "de1",
        edge_locations: &["frankfurt"],
        cities: &[
            city("Berlin", "Berlin", 52.5200, 13.4050, "30"),
            city("Munich", "Bavaria", 48.1351, 11.5820, "89"),
            city("Hamburg", "Hamburg", 53.5511, 9.9937, "40"),
        ],
    },
    Country {
        iso: "FR",
        dial: "33",
        national_len: 9,
        media_region: "ie1",
        edge_locations: &["dublin", "frankfurt"],
        cities: &[
            city("Paris", "Île-de-France", 48.8566, 2.3522, "1"),
            city("Lyon", "Auvergne-Rhône-Alpes", 45.7640, 4.8357, "4"),
            city(
                "Marseille",
                "Provence-Alpes-Côte d'Azur",
                43.2965,
                5.3698,
                "4",
            ),
        ],
    },
    Country {
        iso: "ES",
        dial: "34",
        national_len: 9,
        media_region: "ie1",
        edge_locations: &["dublin"],
        cities: &[
            city("Madrid", "Community of Madrid", 40.4168, -3.7038, "91"),
            city("Barcelona", "Catalonia", 41.3874, 2.1686, "93"),
        ],
    },
    Country {
        iso: "AU",
        dial: "61",
        national_len: 9,
        media_region: "au1",
        edge_locations: &["sydney"],
        cities: &[
            city("Sydney", "New South Wales", -33.8688, 151.2093, "2"),
            city("Melbourne", "Victoria", -37.8136, 144.9631, "3"),
        ],
    },
];

const US: usize = 0;
const CA: usize = 1;
const GB: usize = 2;
const DE: usize = 3;
const FR: usize = 4;
const ES: usize = 5;
const AU: usize = 6;

const fn carrier(
    name: &'static str,
    country: usize,
    connection: &'static str,
    prefixes: &'static [&'static str],
    weight: u32,
) -> Carrier {
    Carrier {
        name,
        country,
        connection,
        prefixes,
        weight,
    }
}

/// Carriers as Voice Insights names them, weighted: mostly US traffic, some Canada, Europe and
/// Australia.
static CARRIERS: [Carrier; 20] = [
    carrier("T-Mobile USA, Inc.", US, "mobile", &[], 14),
    carrier("AT&T Wireless", US, "mobile", &[], 14),
    carrier("Verizon Wireless", US, "mobile", &[], 14),
    carrier("Bandwidth.com", US, "voip", &[], 6),
    carrier("Lumen", US, "landline", &[], 5),
    carrier("Comcast", US, "landline", &[], 4),
    carrier("Frontier Communications", US, "landline", &[], 2),
    carrier("Rogers", CA, "mobile", &[], 4),
    carrier("Bell Mobility", CA, "mobile", &[], 3),
    carrier("Vodafone UK", GB, "mobile", &["74", "77"], 4),
    carrier("EE", GB, "mobile", &["75", "79"], 4),
    carrier("BT", GB, "landline", &[], 2),
    carrier(
        "Deutsche Telekom",
        DE,
        "mobile",
        &["151", "160", "170", "171", "175"],
        4,
    ),
    carrier(
        "Telefonica Germany",
        DE,
        "mobile",
        &["159", "176", "179"],
        2,
    ),
    carrier("Orange France", FR, "mobile", &["6", "7"], 4),
    carrier("SFR", FR, "mobile", &["6"], 2),
    carrier("Telefonica Spain", ES, "mobile", &["6"], 3),
    carrier("Vodafone Spain", ES, "mobile", &["6", "7"], 2),
    carrier("Telstra", AU, "mobile", &["4"], 3),
    carrier("Optus", AU, "mobile", &["4"], 2),
];

/// The account's Twilio numbers: (index into [`CARRIERS`], index into its country's cities).
static TWILIO_NUMBER_CARRIERS: &[(usize, usize)] = &[(3, 1), (4, 0), (3, 3), (11, 0)];

static SCENARIO_WEIGHTS: &[(Scenario, u32)] = &[
    (Scenario::Completed, 55),
    (Scenario::NoAnswer, 13),
    (Scenario::Busy, 10),
    (Scenario::Failed, 12),
    (Scenario::Canceled, 10),
];

static CALL_TYPE_WEIGHTS: &[(CallType, u32)] = &[
    (CallType::Carrier, 60),
    (CallType::Sip, 12),
    (CallType::Trunking, 12),
    (CallType::Client, 12),
    (CallType::Whatsapp, 4),
];

static CLIENT_NAMES: &[&str] = &[
    "client:alice",
    "client:bob.smith",
    "client:reception",
    "client:night-shift",
    "client:sales-team",
];
static SIP_USERS: &[&str] = &["1001", "1002", "2040", "reception", "ivr", "sales"];
static SIP_DOMAINS: &[&str] = &[
    "acme.sip.twilio.com",
    "callcenter.sip.us1.twilio.com",
    "pbx-office.sip.twilio.com",
];
static SIP_USER_AGENTS: &[&str] = &[
    "Asterisk PBX 18.20.0",
    "FreeSWITCH-mod_sofia/1.10.11-release",
    "3CXPhoneSystem 18.0.9.20",
    "Yealink SIP-T54W 96.86.0.100",
    "Grandstream UCM6302 V1.0.23.17",
    "Cisco-SIPGateway/IOS-17.x",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        time::macros::datetime!(2026-03-01 12:00:00 UTC)
    }

    #[test]
    fn scenario_names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(s.as_str().parse::<Scenario>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!("No-Answer".parse::<Scenario>(), Ok(Scenario::NoAnswer));
        assert!("exploded".parse::<Scenario>().is_err());
    }

    #[test]
    fn same_seed_same_calls_and_account() {
        let mut a = CallGenerator::new(42);
        let mut b = CallGenerator::new(42);
        assert_eq!(a.account_sid(), b.account_sid());
        for _ in 0..50 {
            assert_eq!(a.next_call(None, t0()), b.next_call(None, t0()));
        }
        assert_ne!(CallGenerator::new(43).account_sid(), a.account_sid());
    }

    #[test]
    fn forced_scenario_sets_final_state() {
        let mut g = CallGenerator::new(7);
        for _ in 0..40 {
            for s in Scenario::ALL {
                let call = g.next_call(Some(s), t0());
                assert_eq!(call.scenario, s);
                let state = call
                    .events
                    .last()
                    .and_then(|e| e.event["data"]["call_state"].as_str());
                let expected: &[&str] = match s {
                    Scenario::Completed => &["completed"],
                    Scenario::Busy => &["busy"],
                    Scenario::NoAnswer => &["noanswer"],
                    Scenario::Failed => &["fail", "undialed"],
                    Scenario::Canceled => &["canceled"],
                };
                assert!(
                    state.is_some_and(|st| expected.contains(&st)),
                    "{s}: {state:?}"
                );
            }
        }
    }

    #[test]
    fn envelope_is_shaped_like_twilio_v1() {
        let mut g = CallGenerator::new(1);
        let call = g.next_call(Some(Scenario::Completed), t0());
        let e = &call.events[0].event;
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["source"], format!("/v1/Voice/{}/Summary", call.call_sid));
        assert_eq!(e["dataschema"], SUMMARY_SCHEMA);
        assert_eq!(e["datacontenttype"], "application/json");
        let id = e["id"].as_str().unwrap_or_default();
        assert!(id.len() == 34 && id.starts_with("EZ"), "{id}");
        let time = e["time"].as_str().unwrap_or_default();
        assert_eq!(time.len(), "2026-03-01T12:00:01.234Z".len(), "{time}");
        assert!(time.starts_with("2026-03-01T12:00:0") && time.ends_with('Z'));
        let keys: Vec<&String> = e
            .as_object()
            .map(|m| m.keys().collect())
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
    }

    #[test]
    fn test_event_matches_the_fixture_shape() {
        let mut g = CallGenerator::new(3);
        let test_id = g.next_test_id();
        let e = test_event(&test_id, g.account_sid(), t0());
        assert_eq!(e["type"], TEST_EVENT_TYPE);
        assert_eq!(e["source"], "Sink");
        assert_eq!(e["id"], g.account_sid());
        assert_eq!(e["data"]["test_id"], test_id.as_str());
        assert_eq!(e["time"], "2026-03-01T12:00:00.000Z");
        let parts: Vec<usize> = test_id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&test_id[14..15], "4");
    }

    #[test]
    fn data_as_string_round_trips() {
        let mut g = CallGenerator::new(5);
        let call = g.next_call(None, t0());
        let original = &call.events[0].event;
        let stringly = with_data_as_string(original);
        let data = stringly["data"].as_str().unwrap_or_default();
        let parsed: Value = serde_json::from_str(data).unwrap_or_default();
        assert_eq!(parsed, original["data"]);
        assert_eq!(with_data_as_string(&stringly), stringly);
        let body = delivery_body(std::slice::from_ref(original));
        assert!(body.starts_with(b"[{\"specversion\"") && !body.contains(&b'\n'));
    }

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
