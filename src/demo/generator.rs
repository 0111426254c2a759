//! Realistic Voice Insights CloudEvents from a seed: carriers, numbers, call types, causes
//! consistent with each outcome (`codes.md`), edges with metrics and the tags they imply. Used
//! by the demo's simulated Twilio and by `callwatch send --scenario`.
//!
//! [`CallGenerator::next_live_call`] gives a call as it happens, as the demo and `send` use it:
//! live progress events, quality samples and SDK events (`demo/live.rs`), then its summaries.
//! Call time runs [`TIME_SCALE`] times faster than the clock, and the call is dated back so
//! that every `timestamp`, `start_time` and `end_time` is at or before its event's delivery.
//! Summaries of the ended call arrive 1-10 s after its end; partials taken while it went on,
//! soon after the moment they describe.
//!
//! [`CallGenerator::next_call`] gives the summaries alone, at the older compressed pace
//! (partial at ~1-3 s after the start, predicted-complete at ~3-6 s, complete at ~5-10 s,
//! whatever the call's length): fixtures and snapshots use it. Both draw the same calls from the
//! same seed.
//!
//! [`CallGenerator`] decides each call; the tables it draws from are in `demo/data.rs`, the
//! edges and their metrics in `demo/edges.rs`, how a call's facts become each summary's `data`
//! in `demo/facts.rs`, and its live events in `demo/live.rs`.

use std::time::Duration;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::data::{
    CALL_TYPE_WEIGHTS, CARRIERS, CLIENT_NAMES, COUNTRIES, CallType, Carrier, SCENARIO_WEIGHTS,
    SIP_DOMAINS, SIP_USERS, TWILIO_NUMBER_CARRIERS,
};
use super::edges;
use super::facts::{
    CallFacts, Outcome, Party, Route, Snapshot, Timing, UNKNOWN_BY, add_duration, round_to,
};
use super::live;
pub use super::live::TIME_SCALE;
use super::prng::SplitMix64;
pub use super::scenario::{Scenario, UnknownScenario};
use crate::timestamp::rfc3339_millis;
use crate::twilio::cloudevent::{
    COMPLETE_TYPE, PARTIAL_TYPE, PREDICTED_COMPLETE_TYPE, TEST_EVENT_TYPE,
};

/// CloudEvent `dataschema` of a v1 call summary.
const SUMMARY_SCHEMA: &str = "https://events-schemas.twilio.com/VoiceInsights.CallSummary/1";
/// CloudEvent `dataschema` of a sink test event.
const TEST_EVENT_SCHEMA: &str = "https://events-schemas.twilio.com/EventStreams.TestSink/1.json";

/// A decided call, not yet placed in time.
struct Decided {
    facts: CallFacts,
    scenario: Scenario,
    snapshots: Vec<Snapshot>,
    /// Summary delivery lags: one per snapshot, then predicted-complete and complete.
    offsets: Vec<Duration>,
}

/// Talk time of a forced degraded call at least: enough samples for a spike between clean ones.
const DEGRADED_MIN_TALK_SECS: u64 = 90;

/// One simulated call: its SID, how it ends, and the CloudEvents Twilio would deliver for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedCall {
    /// `CA` + 32 lowercase hex digits.
    pub call_sid: String,
    /// How the call ends.
    pub scenario: Scenario,
    /// Partial(s), then predicted-complete, then complete, with increasing offsets; for a live
    /// call ([`CallGenerator::next_live_call`]) its live events too, all in delivery order.
    pub events: Vec<SimulatedEvent>,
}

/// One CloudEvent of a simulated call and when to deliver it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedEvent {
    /// Delay after the call starts, or (live calls) after its first event is due; the event's
    /// `time` is that moment.
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
    /// each event's offset. Its events are the summaries only, at the demo's first compressed
    /// pace (see [`CallGenerator::next_live_call`] for the call as it happens).
    pub fn next_call(
        &mut self,
        scenario: Option<Scenario>,
        started_at: OffsetDateTime,
    ) -> SimulatedCall {
        let decided = self.decide(scenario, false, started_at);
        let Decided {
            facts,
            scenario,
            snapshots,
            offsets,
        } = decided;
        let events = self.summaries(&facts, &snapshots, started_at, |_, offset| offset, &offsets);
        SimulatedCall {
            call_sid: facts.call_sid.clone(),
            scenario,
            events,
        }
    }

    /// The next call as it happens, for the live demo: Call Insights progress events
    /// (`initiated`, `ringing`, `answered`, then the final one), a quality sample every 10 s of
    /// call time, SDK warnings and errors on client calls, and then the summaries, all in
    /// delivery order. `degraded` forces a long completed client call whose jitter spikes (an
    /// SDK `high-jitter` warning raised, then cleared).
    ///
    /// Time is compressed [`TIME_SCALE`] times: the call's first event is due at `appears_at`
    /// and each later event `offset` after it, `call time / TIME_SCALE` later. So that nothing
    /// claims a moment still to come, the call is dated back: every `timestamp`, `start_time`
    /// and `end_time` is at or before the moment its event is delivered (`time`).
    pub fn next_live_call(
        &mut self,
        scenario: Option<Scenario>,
        degraded: bool,
        appears_at: OffsetDateTime,
    ) -> SimulatedCall {
        self.live_call(scenario, degraded, |_| appears_at)
    }

    /// Like [`CallGenerator::next_live_call`], for sending all at once at `now`: the call
    /// happened just before, so that its last event is due at `now` and none lies ahead.
    pub fn next_live_call_sent_at(
        &mut self,
        scenario: Option<Scenario>,
        degraded: bool,
        now: OffsetDateTime,
    ) -> SimulatedCall {
        self.live_call(scenario, degraded, |last| add_duration_back(now, last))
    }

    fn live_call(
        &mut self,
        scenario: Option<Scenario>,
        degraded: bool,
        appears_at: impl FnOnce(Duration) -> OffsetDateTime,
    ) -> SimulatedCall {
        let placeholder = OffsetDateTime::UNIX_EPOCH;
        let Decided {
            mut facts,
            scenario,
            snapshots,
            offsets,
        } = self.decide(scenario, degraded, placeholder);
        let mut rng = live::call_rng(&facts.call_sid);
        let duration = facts.timing.duration;
        // When the call ends, in demo time after it appears.
        let ends = live::compressed(duration as f64);
        // Summaries of the ended call arrive after the end, at the usual lags; partials taken
        // while it was going arrive soon after the moment they describe, in order.
        let mut summary_offsets = Vec::with_capacity(offsets.len());
        let mut previous = Duration::ZERO;
        for (i, &lag) in offsets.iter().enumerate() {
            let offset = match snapshots.get(i) {
                Some(snap) if !snap.ended => {
                    let at = live::compressed(snap.duration as f64) + millis(rng.uniform(0.2, 0.8));
                    at.max(previous + Duration::from_millis(50))
                }
                _ => ends + lag,
            };
            previous = offset;
            summary_offsets.push(offset);
        }
        let last = summary_offsets.last().copied().unwrap_or(ends);
        let appears_at = appears_at(last);
        // Dated back so that the end (call time `duration`) is at or before its delivery
        // (`appears_at + ends`); whole seconds, as summaries print them.
        let back = Duration::from_secs(duration).saturating_sub(ends);
        let start = add_duration_back(appears_at, back);
        let start = start.replace_nanosecond(0).unwrap_or(start);
        facts.started_at = start;

        let mut events = live::events(&mut rng, &facts, degraded)
            .into_iter()
            .map(|(offset, event_type, data)| {
                let id = format!("EZ{}", rng.hex(32));
                SimulatedEvent {
                    offset,
                    event: live::envelope(
                        event_type,
                        &facts.call_sid,
                        &id,
                        add_duration(appears_at, offset),
                        data,
                    ),
                }
            })
            .collect::<Vec<_>>();
        let mut offsets_iter = summary_offsets.iter();
        let summaries = self.summaries(
            &facts,
            &snapshots,
            appears_at,
            |_, _| offsets_iter.next().copied().unwrap_or(last),
            &offsets,
        );
        events.extend(summaries);
        // Stable: equal offsets keep their order (progress before samples, summaries last).
        events.sort_by_key(|e| e.offset);
        SimulatedCall {
            call_sid: facts.call_sid.clone(),
            scenario,
            events,
        }
    }

    /// Everything about the next call but when it happens.
    fn decide(
        &mut self,
        scenario: Option<Scenario>,
        degraded: bool,
        started_at: OffsetDateTime,
    ) -> Decided {
        let drawn = scenario.unwrap_or_else(|| self.rng.weighted(SCENARIO_WEIGHTS));
        let scenario = if degraded { Scenario::Completed } else { drawn };
        let call_sid = format!("CA{}", self.rng.hex(32));
        let mut call_type = self.rng.weighted(CALL_TYPE_WEIGHTS);
        if degraded {
            call_type = CallType::Client;
        }
        let route = self.route(call_type);
        let outcome = self.outcome(scenario);
        let mut timing = self.timing(&outcome);
        if degraded && timing.connect_secs < DEGRADED_MIN_TALK_SECS {
            // Long enough for a spike between clean samples.
            timing.duration += DEGRADED_MIN_TALK_SECS - timing.connect_secs;
            timing.connect_secs = DEGRADED_MIN_TALK_SECS;
        }
        let edges = edges::edge_properties(&mut self.rng, call_type, &route);
        let media = if outcome.answered {
            edges::media(
                &mut self.rng,
                call_type,
                &edges,
                timing.connect_secs,
                degraded,
            )
        } else {
            Map::new()
        };
        let facts = CallFacts {
            call_sid,
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
        Decided {
            facts,
            scenario,
            snapshots,
            offsets,
        }
    }

    /// The summary events: the partials of `snapshots`, then predicted-complete and complete
    /// (`offsets` has one more than `snapshots` for each), timed `base + offset_of(i, offset)`.
    fn summaries(
        &mut self,
        facts: &CallFacts,
        snapshots: &[Snapshot],
        base: OffsetDateTime,
        mut offset_of: impl FnMut(usize, Duration) -> Duration,
        offsets: &[Duration],
    ) -> Vec<SimulatedEvent> {
        let final_snapshot = facts.final_snapshot();
        let mut events = Vec::with_capacity(snapshots.len() + 2);
        let mut version = 0;
        for (i, (snapshot, &offset)) in snapshots.iter().zip(offsets).enumerate() {
            version += 1;
            let data = facts.summary(snapshot, "partial", version);
            let offset = offset_of(i, offset);
            events.push(self.event(PARTIAL_TYPE, facts, base, offset, data));
        }
        let n = snapshots.len();
        let predicted_at = offset_of(n, offsets[n]);
        let complete_at = offset_of(n + 1, offsets[n + 1]);
        let data = facts.summary(&final_snapshot, "partial", version + 1);
        events.push(self.event(PREDICTED_COMPLETE_TYPE, facts, base, predicted_at, data));
        let data = facts.summary(&final_snapshot, "complete", version + 2);
        events.push(self.event(COMPLETE_TYPE, facts, base, complete_at, data));
        events
    }

    fn event(
        &mut self,
        event_type: &str,
        facts: &CallFacts,
        base: OffsetDateTime,
        offset: Duration,
        data: Value,
    ) -> SimulatedEvent {
        let time = add_duration(base, offset);
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
            ip_address: edges::public_ip(&mut self.rng),
            ..Party::default()
        }
    }

    fn sip_domain_party(&mut self) -> Party {
        let user = *self.rng.pick(SIP_USERS);
        let domain = *self.rng.pick(SIP_DOMAINS);
        Party {
            address: format!("sip:{user}@{domain}"),
            connection: "sip_interface",
            ip_address: edges::public_ip(&mut self.rng),
            ..Party::default()
        }
    }

    fn sip_interface(&mut self) -> Party {
        let user = *self.rng.pick(SIP_USERS);
        let ip = edges::public_ip(&mut self.rng);
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

/// `t - d`, or `t` if that would leave the representable range.
fn add_duration_back(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    time::Duration::try_from(d)
        .ok()
        .and_then(|d| t.checked_sub(d))
        .unwrap_or(t)
}

fn millis(secs: f64) -> Duration {
    Duration::from_millis((secs * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        time::macros::datetime!(2026-03-01 12:00:00 UTC)
    }

    use crate::twilio::cloudevent::{
        DeliveredEvent, GATEWAY_EVENT_TYPE, GATEWAY_METRICS_TYPE, SDK_EVENT_TYPE, SDK_METRICS_TYPE,
        parse_delivery,
    };
    use time::format_description::well_known::Rfc3339;

    fn parse_time(v: &Value) -> OffsetDateTime {
        let s = v.as_str().unwrap_or_default();
        OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn live_calls(seed: u64, n: usize) -> Vec<SimulatedCall> {
        let mut g = CallGenerator::new(seed);
        (0..n)
            .map(|i| {
                let at = t0() + Duration::from_secs(i as u64);
                g.next_live_call(None, i % 10 == 0, at)
            })
            .collect()
    }

    #[test]
    fn nothing_a_live_call_says_lies_after_its_delivery() {
        for call in live_calls(21, 300) {
            let appears_at = t0();
            let mut previous = Duration::ZERO;
            for e in &call.events {
                assert!(e.offset >= previous, "delivery order");
                previous = e.offset;
                let time = parse_time(&e.event["time"]);
                let d = &e.event["data"];
                for key in ["timestamp", "start_time", "end_time"] {
                    if let Some(v) = d.get(key) {
                        assert!(parse_time(v) <= time, "{key} {v} after {time}: {}", e.event);
                    }
                }
                assert!(time >= appears_at - Duration::from_secs(0));
            }
        }
    }

    #[test]
    fn every_summary_end_time_is_at_or_before_its_send_time() {
        // The simulator sends each event at `appears_at + offset`, which is its `time`.
        let mut g = CallGenerator::new(5);
        let mut checked = 0;
        for i in 0..200 {
            let appears_at = t0() + Duration::from_secs(i * 3);
            let call = g.next_live_call(None, i % 7 == 0, appears_at);
            for e in &call.events {
                let sent = add_duration(appears_at, e.offset);
                assert_eq!(parse_time(&e.event["time"]), sent);
                if let Some(end) = e.event["data"].get("end_time") {
                    assert!(parse_time(end) <= sent, "{end} after {sent}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 400, "{checked}");
    }

    #[test]
    fn live_events_come_before_the_summaries_in_progress_order() {
        for call in live_calls(8, 200) {
            let types: Vec<&str> = call
                .events
                .iter()
                .map(|e| e.event["type"].as_str().unwrap_or_default())
                .collect();
            let progress: Vec<&str> = call
                .events
                .iter()
                .filter(|e| e.event["type"] == GATEWAY_EVENT_TYPE)
                .map(|e| e.event["data"]["name"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(types[0], GATEWAY_EVENT_TYPE, "{types:?}");
            assert_eq!(progress[0], "initiated");
            let final_name = match call.scenario {
                Scenario::Completed => "completed",
                Scenario::Busy => "busy",
                Scenario::NoAnswer => "no-answer",
                Scenario::Failed => "failed",
                Scenario::Canceled => "canceled",
            };
            assert_eq!(progress.last().copied(), Some(final_name), "{progress:?}");
            let answered = progress.contains(&"answered");
            assert_eq!(answered, call.scenario == Scenario::Completed);
            // The final progress event comes before any summary of the ended call.
            let last_progress = types
                .iter()
                .rposition(|t| *t == GATEWAY_EVENT_TYPE)
                .unwrap_or_default();
            assert_eq!(
                types[types.len() - 2..],
                [PREDICTED_COMPLETE_TYPE, COMPLETE_TYPE]
            );
            assert!(
                types[last_progress..]
                    .iter()
                    .all(|t| !t.contains("metrics") && *t != SDK_EVENT_TYPE),
                "{types:?}"
            );
            // Summaries keep their versions in delivery order.
            let versions: Vec<i64> = call
                .events
                .iter()
                .filter_map(|e| e.event["data"]["processing_version"].as_i64())
                .collect();
            assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        }
    }

    #[test]
    fn answered_calls_have_a_sample_every_ten_seconds_of_call_time() {
        let mut with_samples = 0;
        for call in live_calls(13, 200) {
            let answered = call.events.iter().find(|e| {
                e.event["type"] == GATEWAY_EVENT_TYPE && e.event["data"]["name"] == "answered"
            });
            let Some(answered) = answered else {
                assert!(
                    !call.events.iter().any(|e| e.event["type"]
                        .as_str()
                        .is_some_and(|t| t.contains("call-metrics"))),
                    "no samples without an answer"
                );
                continue;
            };
            let answered_at = parse_time(&answered.event["data"]["timestamp"]);
            for kind in [GATEWAY_METRICS_TYPE, SDK_METRICS_TYPE] {
                let mut by_stream: std::collections::BTreeMap<(String, String), Vec<_>> =
                    Default::default();
                for e in call.events.iter().filter(|e| e.event["type"] == kind) {
                    let d = &e.event["data"];
                    let key = (
                        d["edge"].as_str().unwrap_or_default().to_owned(),
                        d["direction"].as_str().unwrap_or_default().to_owned(),
                    );
                    by_stream
                        .entry(key)
                        .or_default()
                        .push(parse_time(&d["timestamp"]));
                }
                for (stream, times) in by_stream {
                    with_samples += 1;
                    for (k, t) in times.iter().enumerate() {
                        let expected = answered_at + Duration::from_secs(10 * (k as u64 + 1));
                        let gap = (*t - expected).whole_milliseconds().abs();
                        assert!(gap <= 1, "{stream:?} sample {k} at {t}, not {expected}");
                    }
                }
            }
        }
        assert!(with_samples > 50, "{with_samples}");
    }

    #[test]
    fn every_live_event_parses_as_its_kind() {
        let mut seen = std::collections::BTreeSet::new();
        for call in live_calls(17, 120) {
            for e in &call.events {
                let body = delivery_body(std::slice::from_ref(&with_data_as_string(&e.event)));
                let events = parse_delivery(&body).unwrap_or_default();
                assert_eq!(events.len(), 1, "{}", e.event);
                let event_type = e.event["type"].as_str().unwrap_or_default();
                assert_eq!(events[0].event_type(), event_type);
                if let DeliveredEvent::Live(live) = &events[0] {
                    assert_eq!(live.data.call_sid(), call.call_sid);
                    seen.insert(event_type.to_owned());
                }
            }
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
    }

    #[test]
    fn a_degraded_call_spikes_and_warns_then_clears() {
        let mut g = CallGenerator::new(99);
        for _ in 0..20 {
            let call = g.next_live_call(None, true, t0());
            assert_eq!(call.scenario, Scenario::Completed);
            let sdk: Vec<(&str, &str)> = call
                .events
                .iter()
                .filter(|e| e.event["type"] == SDK_EVENT_TYPE)
                .map(|e| {
                    let d = &e.event["data"];
                    (
                        d["name"].as_str().unwrap_or_default(),
                        d["group"].as_str().unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(
                sdk,
                [
                    ("high-jitter", "network-quality-warning-raised"),
                    ("high-jitter", "network-quality-warning-cleared")
                ]
            );
            let jitter: Vec<f64> = call
                .events
                .iter()
                .filter(|e| e.event["type"] == SDK_METRICS_TYPE)
                .filter_map(|e| e.event["data"]["sdk_edge"]["interval"]["jitter"]["value"].as_f64())
                .collect();
            assert!(jitter.len() >= 9, "{jitter:?}");
            assert!(jitter.iter().any(|&j| j > 30.0), "{jitter:?}");
            // One spike: a run of high samples, clean ones after it.
            let high: Vec<usize> = (0..jitter.len()).filter(|&i| jitter[i] > 5.0).collect();
            assert!(high.windows(2).all(|w| w[1] == w[0] + 1), "{jitter:?}");
            assert!(
                high.last().is_some_and(|&i| i + 1 < jitter.len()),
                "{jitter:?}"
            );
            assert!(jitter.iter().all(|&j| j < 120.0), "{jitter:?}");
            // The SDK's MOS samples average to the summary's MOS.
            let mos: Vec<f64> = call
                .events
                .iter()
                .filter(|e| e.event["type"] == SDK_METRICS_TYPE)
                .filter_map(|e| e.event["data"]["sdk_edge"]["interval"]["mos"]["value"].as_f64())
                .collect();
            let summary_mos = call.events.last().and_then(|e| {
                e.event["data"]["sdk_edge"]["metrics"]["inbound"]["mos"]["avg"].as_f64()
            });
            let mean = mos.iter().sum::<f64>() / mos.len() as f64;
            assert!(
                summary_mos.is_some_and(|m| (m - mean).abs() < 0.35),
                "{mos:?} vs {summary_mos:?}"
            );
            let complete = call.events.last().map(|e| &e.event["data"]);
            let tags = complete.map(|d| d["tags"].to_string()).unwrap_or_default();
            assert!(tags.contains("high_jitter"), "{tags}");
        }
    }

    #[test]
    fn live_calls_leave_the_summary_stream_as_it_was() {
        // The same seed gives the same calls with or without their live events.
        let mut a = CallGenerator::new(31);
        let mut b = CallGenerator::new(31);
        for _ in 0..30 {
            let plain = a.next_call(None, t0());
            let live = b.next_live_call(None, false, t0());
            assert_eq!(plain.call_sid, live.call_sid);
            assert_eq!(plain.scenario, live.scenario);
        }
    }

    #[test]
    fn sent_at_puts_the_last_event_at_now() {
        let mut g = CallGenerator::new(4);
        let now = t0();
        let call = g.next_live_call_sent_at(Some(Scenario::Completed), true, now);
        let last = call.events.last().map(|e| parse_time(&e.event["time"]));
        assert_eq!(last, Some(now));
        assert!(
            call.events
                .iter()
                .all(|e| parse_time(&e.event["time"]) <= now)
        );
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
}
