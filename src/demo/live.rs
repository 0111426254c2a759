//! The live Call Insights events of a simulated call, as they happen: progress events from the
//! media gateway (`initiated`, `ringing`, `answered`, then the final one), a quality sample
//! every 10 s of call time per edge and direction, and on client calls the Voice SDK's samples,
//! quality warnings (raised, then cleared) and errors. Shapes follow
//! `VoiceInsights.CallEvent` and `VoiceInsights.CallMetric` (docs examples, REST examples).
//!
//! The samples agree with the call's summary: each stream's samples average to the summary's
//! figure. An impaired stream is clean but for one episode of a few samples where it spikes.

use std::time::Duration;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::data::CallType;
use super::facts::{CallFacts, add_duration, round_to};
use super::prng::SplitMix64;
use crate::timestamp::rfc3339_millis;
use crate::twilio::cloudevent::{
    GATEWAY_EVENT_TYPE, GATEWAY_METRICS_TYPE, SDK_EVENT_TYPE, SDK_METRICS_TYPE,
};

/// CloudEvent `dataschema` of a call event (gateway or SDK).
const EVENT_SCHEMA: &str = "https://events-schemas.twilio.com/VoiceInsights.CallEvent/3";
/// CloudEvent `dataschema` of a quality sample (gateway or SDK).
const METRIC_SCHEMA: &str = "https://events-schemas.twilio.com/VoiceInsights.CallMetric/2";
/// How much faster than real time a live demo call runs: 10 s of call time a second.
pub const TIME_SCALE: u32 = 10;
/// Call time covered by one sample.
pub(crate) const SAMPLE_SECS: u64 = 10;
/// Packets in one direction in one sample: 50 a second (20 ms ptime).
const PACKETS_PER_SAMPLE: u64 = 50 * SAMPLE_SECS;

/// Above (below, for MOS) these a stream is impaired, as the summary's tags say.
const HIGH_JITTER_MS: f64 = 5.0;
const HIGH_LOSS_PCT: f64 = 5.0;
const HIGH_RTT_MS: f64 = 400.0;
const LOW_MOS: f64 = 3.5;
/// The Voice SDK's warning thresholds (twilio.js defaults).
const SDK_JITTER_WARNING_MS: f64 = 30.0;
const SDK_LOSS_WARNING_PCT: f64 = 1.0;
/// What an impaired call's jitter spikes to, about.
const SPIKE_JITTER_MS: f64 = 60.0;
/// No sample's jitter goes above this: a stream worse than that on average is worse all along.
const MAX_JITTER_MS: f64 = 120.0;

/// The random stream of one call's live events: from its SID, so the summaries' stream (and
/// so every other call) is the same with or without them.
pub(super) fn call_rng(call_sid: &str) -> SplitMix64 {
    let head = call_sid.get(2..18).unwrap_or_default();
    let seed = u64::from_str_radix(head, 16).unwrap_or_default();
    SplitMix64::new(seed ^ 0x11FE_CA11_5EED_0001)
}

/// How long after the call appears the moment `call_secs` into it comes, in the demo:
/// [`TIME_SCALE`] times sooner, rounded up to the millisecond (never earlier than the moment
/// the call-time clock reaches, once the call is dated back).
pub(super) fn compressed(call_secs: f64) -> Duration {
    let ms = (call_secs.max(0.0) * 1000.0 / f64::from(TIME_SCALE)).ceil();
    Duration::from_millis(ms as u64)
}

/// A CloudEvent envelope for a live event `data`, delivered (and stamped) at `time`.
pub(super) fn envelope(
    event_type: &str,
    call_sid: &str,
    id: &str,
    time: OffsetDateTime,
    data: Value,
) -> Value {
    let metrics = event_type == GATEWAY_METRICS_TYPE || event_type == SDK_METRICS_TYPE;
    let (resource, schema) = if metrics {
        ("Metrics", METRIC_SCHEMA)
    } else {
        ("Events", EVENT_SCHEMA)
    };
    json!({
        "specversion": "1.0",
        "type": event_type,
        "source": format!("/v1/Voice/{call_sid}/{resource}"),
        "id": id,
        "dataschema": schema,
        "datacontenttype": "application/json",
        "time": rfc3339_millis(time),
        "data": data,
    })
}

/// The live events of a call whose `started_at` is set: (delay after it appears, type, data),
/// in delivery order.
pub(super) fn events(
    rng: &mut SplitMix64,
    facts: &CallFacts,
    degraded: bool,
) -> Vec<(Duration, &'static str, Value)> {
    let mut out = Vec::new();
    let o = &facts.outcome;
    let t = &facts.timing;
    let gateway = gateway_edge(facts.call_type);
    let progress = |name: &str, at: f64| -> (Duration, &'static str, Value) {
        (
            compressed(at),
            GATEWAY_EVENT_TYPE,
            progress_data(facts, gateway, name, at),
        )
    };
    out.push(progress("initiated", 0.0));
    let pdd = t.pdd_ms as f64 / 1000.0;
    if o.rang {
        out.push(progress("ringing", pdd));
    }
    if o.answered {
        out.push(progress("answered", t.ring_secs));
        samples(rng, facts, degraded, &mut out);
    }
    let last = match o.call_state {
        "completed" => "completed",
        "busy" => "busy",
        "noanswer" => "no-answer",
        "canceled" => "canceled",
        _ => "failed",
    };
    out.push(progress(last, t.duration as f64));
    out
}

/// The gateway edge that reports a call type's progress (`None`: no edge, e.g. WhatsApp).
fn gateway_edge(call_type: CallType) -> Option<&'static str> {
    match call_type {
        CallType::Carrier => Some("carrier_edge"),
        CallType::Sip | CallType::Trunking => Some("sip_edge"),
        CallType::Client => Some("client_edge"),
        CallType::Whatsapp => None,
    }
}

/// The `timestamp` of the moment `at` seconds into the call.
fn stamp(facts: &CallFacts, at: f64) -> String {
    let ms = (at.max(0.0) * 1000.0).floor() as u64;
    rfc3339_millis(add_duration(facts.started_at, Duration::from_millis(ms)))
}

fn progress_data(facts: &CallFacts, edge: Option<&str>, name: &str, at: f64) -> Value {
    let mut d = Map::new();
    d.insert("timestamp".into(), stamp(facts, at).into());
    d.insert("call_sid".into(), facts.call_sid.clone().into());
    d.insert("account_sid".into(), facts.account_sid.clone().into());
    d.insert("edge".into(), edge.unwrap_or("unknown_edge").into());
    d.insert("name".into(), name.into());
    d.insert("group".into(), "call".into());
    d.insert("level".into(), "INFO".into());
    if let Some(edge) = edge {
        d.insert(
            edge.into(),
            json!({ "metadata": gateway_metadata(facts, edge) }),
        );
    }
    Value::Object(d)
}

fn gateway_metadata(facts: &CallFacts, edge: &str) -> Value {
    let props = match edge {
        "carrier_edge" => facts.edges.carrier.as_ref(),
        "sip_edge" => facts.edges.sip.as_ref(),
        "client_edge" => facts.edges.client.as_ref(),
        _ => None,
    };
    let prop = |key: &str| props.and_then(|p| p.get(key)).cloned();
    let mut m = Map::new();
    m.insert("region".into(), facts.route.region.into());
    m.insert("edge_location".into(), facts.route.edge_location.into());
    if let Some(ip) = prop("twilio_media_ip") {
        m.insert("twilio_ip".into(), ip);
    }
    if let Some(ip) = prop("external_media_ip") {
        m.insert("external_ip".into(), ip);
    }
    Value::Object(m)
}

/// Which samples of a call are its bad episode: `[start, start + len)`.
#[derive(Debug, Clone, Copy)]
struct Episode {
    start: usize,
    len: usize,
}

impl Episode {
    fn contains(self, i: usize) -> bool {
        (self.start..self.start + self.len).contains(&i)
    }
}

/// One figure over the call's samples: clean, or (impaired) clean but for the episode, where
/// it is bad enough that the samples still average to the summary's figure `avg`.
fn series(
    rng: &mut SplitMix64,
    avg: f64,
    n: usize,
    episode: Episode,
    impaired: bool,
    clean: f64,
    bounds: (f64, f64),
) -> Vec<f64> {
    let (lo, hi) = bounds;
    if !impaired || episode.len >= n {
        return (0..n)
            .map(|_| (avg * rng.uniform(0.85, 1.15)).clamp(lo, hi))
            .collect();
    }
    let (total, good, spiked) = (avg * n as f64, (n - episode.len) as f64, episode.len as f64);
    let mut bad = (total - clean * good) / spiked;
    let mut clean = clean;
    if !(lo..=hi).contains(&bad) {
        // A spike beyond the scale (MOS under 1, loss over 100 %): the rest of the call was
        // worse than clean instead, so that the samples still average to `avg`.
        bad = bad.clamp(lo, hi);
        clean = ((total - bad * spiked) / good).clamp(lo, hi);
    }
    (0..n)
        .map(|i| {
            let v = if episode.contains(i) { bad } else { clean };
            (v * rng.uniform(0.92, 1.08)).clamp(lo, hi)
        })
        .collect()
}

/// Figures of one stream (edge and direction) of the summary's metrics.
#[derive(Debug, Clone, Copy, Default)]
struct StreamFigures {
    jitter: Option<f64>,
    loss: Option<f64>,
    mos: Option<f64>,
    rtt: Option<f64>,
}

fn figures(stream: &Value) -> StreamFigures {
    let avg = |key: &str| stream.get(key)?.get("avg")?.as_f64();
    StreamFigures {
        jitter: avg("jitter"),
        loss: stream
            .get("packets_loss_percentage")
            .and_then(Value::as_f64),
        mos: avg("mos"),
        rtt: avg("rtt"),
    }
}

impl StreamFigures {
    fn impaired(self) -> bool {
        self.jitter.is_some_and(|v| v > HIGH_JITTER_MS)
            || self.loss.is_some_and(|v| v > HIGH_LOSS_PCT)
            || self.rtt.is_some_and(|v| v > HIGH_RTT_MS)
            || self.mos.is_some_and(|v| v < LOW_MOS)
    }
}

/// The per-sample values of one stream.
struct StreamSeries {
    jitter: Vec<f64>,
    loss: Vec<f64>,
    mos: Option<Vec<f64>>,
    rtt: Option<Vec<f64>>,
}

fn stream_series(
    rng: &mut SplitMix64,
    f: StreamFigures,
    n: usize,
    episode: Episode,
) -> StreamSeries {
    let jitter_avg = f.jitter.unwrap_or(1.0);
    let clean_jitter = rng.uniform(0.3, 2.0).min(jitter_avg);
    let jitter = series(
        rng,
        jitter_avg,
        n,
        episode,
        jitter_avg > HIGH_JITTER_MS,
        clean_jitter,
        (0.0, MAX_JITTER_MS),
    );
    let loss_avg = f.loss.unwrap_or(0.0);
    let clean_loss = rng.uniform(0.0, 0.4).min(loss_avg);
    let loss = series(
        rng,
        loss_avg,
        n,
        episode,
        loss_avg > HIGH_LOSS_PCT,
        clean_loss,
        (0.0, 100.0),
    );
    let mos = f.mos.map(|avg| {
        let clean = rng.uniform(4.1, 4.4).max(avg);
        series(rng, avg, n, episode, avg < LOW_MOS, clean, (1.0, 4.5))
    });
    let rtt = f.rtt.map(|avg| {
        let clean = rng.uniform(40.0, 150.0).min(avg);
        series(
            rng,
            avg,
            n,
            episode,
            avg > HIGH_RTT_MS,
            clean,
            // A second's round trip is already a broken call; the rest of the call carries
            // what a spike cannot.
            (1.0, 1000.0),
        )
    });
    StreamSeries {
        jitter,
        loss,
        mos,
        rtt,
    }
}

/// A quality sample every [`SAMPLE_SECS`] of talk time, from every edge with metrics, and the
/// SDK's warnings (and maybe an error) around a client call's bad episode.
fn samples(
    rng: &mut SplitMix64,
    facts: &CallFacts,
    degraded: bool,
    out: &mut Vec<(Duration, &'static str, Value)>,
) {
    let n = (facts.timing.connect_secs / SAMPLE_SECS) as usize;
    if n == 0 {
        return;
    }
    let streams: Vec<(&str, &str, StreamFigures)> = ["carrier_edge", "sip_edge", "client_edge"]
        .into_iter()
        .flat_map(|edge| {
            ["inbound", "outbound"].into_iter().filter_map(move |dir| {
                let s = facts.media.get(edge)?.get(dir)?;
                Some((edge, dir, figures(s)))
            })
        })
        .collect();
    let sdk = facts.media.get("sdk_edge").map(|m| {
        let inbound = m.get("inbound").map(figures).unwrap_or_default();
        let outbound = m.get("outbound").map(figures).unwrap_or_default();
        StreamFigures {
            rtt: outbound.rtt,
            ..inbound
        }
    });
    let impaired = streams.iter().any(|s| s.2.impaired()) || sdk.is_some_and(|s| s.impaired());
    // The episode is as long as it takes for the jitter to spike to ~60 ms (the SDK's, which
    // its warning follows, else the worst gateway stream's), and leaves a clean sample after
    // it. When the jitter is fine and another figure is poor (MOS, RTT, loss), the episode is
    // three fifths of the call: a summary's MOS of ~3.3 then comes from samples of ~2.6
    // between clean ones of ~4.3, not from one sample at the floor of the scale.
    let worst_jitter = match sdk.and_then(|f| f.jitter) {
        Some(jitter) => jitter,
        None => streams
            .iter()
            .filter_map(|s| s.2.jitter)
            .fold(0.0, f64::max),
    };
    let len = if worst_jitter > HIGH_JITTER_MS {
        (n as f64 * (worst_jitter - 1.0) / (SPIKE_JITTER_MS - 1.0)).round() as usize
    } else {
        n * 3 / 5
    };
    let len = len.clamp(1, n.saturating_sub(1).max(1));
    let start = if n > len {
        rng.below((n - len) as u64) as usize
    } else {
        0
    };
    let episode = Episode { start, len };

    let gateway: Vec<(&str, &str, StreamSeries)> = streams
        .iter()
        .map(|&(edge, dir, f)| (edge, dir, stream_series(rng, f, n, episode)))
        .collect();
    let sdk_series = sdk.map(|f| stream_series(rng, f, n, episode));
    let codec = |edge: &str| -> (Value, Value) {
        let stream = facts.media.get(edge).and_then(|m| m.get("inbound"));
        let field = |k: &str| {
            stream
                .and_then(|s| s.get(k))
                .cloned()
                .unwrap_or(Value::Null)
        };
        (field("codec"), field("codec_name"))
    };
    let answered = facts.timing.ring_secs;
    let mut totals: Vec<(u64, u64, f64)> = vec![(0, 0, 0.0); gateway.len() + 1];
    let warning = sdk_series.as_ref().filter(|_| impaired).and_then(|s| {
        let stretch = |v: &[f64]| -> Vec<f64> {
            (0..n)
                .filter(|&i| episode.contains(i))
                .map(|i| v[i])
                .collect()
        };
        let jitter = stretch(&s.jitter);
        let loss = stretch(&s.loss);
        let mos = s.mos.as_deref().map(stretch).unwrap_or_default();
        if jitter.iter().any(|&v| v > SDK_JITTER_WARNING_MS) {
            Some(("high-jitter", SDK_JITTER_WARNING_MS, jitter))
        } else if loss.iter().any(|&v| v > SDK_LOSS_WARNING_PCT) {
            Some(("high-packet-loss", SDK_LOSS_WARNING_PCT, loss))
        } else if mos.iter().any(|&v| v < LOW_MOS) {
            Some(("low-mos", LOW_MOS, mos))
        } else {
            None
        }
    });
    let error_at = (warning.is_some() && !degraded && rng.chance(0.3))
        .then_some(episode.start + episode.len / 2);

    for i in 0..n {
        let at = answered + ((i as u64 + 1) * SAMPLE_SECS) as f64;
        let when = compressed(at);
        for (k, (edge, dir, s)) in gateway.iter().enumerate() {
            let (codec, codec_name) = codec(edge);
            let packets = PACKETS_PER_SAMPLE - rng.below(6);
            let lost = (packets as f64 * s.loss[i] / 100.0).round() as u64;
            let total = &mut totals[k];
            total.0 += packets;
            total.1 += lost;
            total.2 = total.2.max(s.jitter[i]);
            let packets_key = if *dir == "inbound" {
                "packets_received"
            } else {
                "packets_sent"
            };
            let jitter = round_to(s.jitter[i], 3);
            let interval = json!({
                packets_key: packets,
                "packets_lost": lost,
                "packets_loss_percentage": round_to(lost as f64 * 100.0 / packets as f64, 2),
                "jitter": {
                    "min": round_to(jitter * rng.uniform(0.2, 0.7), 3),
                    "max": round_to(jitter * rng.uniform(1.2, 2.5), 3),
                    "avg": jitter,
                    "value": jitter,
                },
            });
            let cumulative = json!({
                packets_key: total.0,
                "packets_lost": total.1,
                "jitter": {
                    "max": round_to(total.2, 3),
                    "avg": round_to(mean(&s.jitter[..=i]), 3),
                },
            });
            let edge_object = json!({
                "codec": codec,
                "codec_name": codec_name,
                "interval": interval,
                "cumulative": cumulative,
                "metadata": gateway_metadata(facts, edge),
            });
            let data = metric_data(facts, edge, dir, at, edge_object);
            out.push((when, GATEWAY_METRICS_TYPE, data));
        }
        if let Some(s) = &sdk_series {
            let packets = PACKETS_PER_SAMPLE - rng.below(6);
            let lost = (packets as f64 * s.loss[i] / 100.0).round() as u64;
            let total = &mut totals[gateway.len()];
            total.0 += packets;
            total.1 += lost;
            let mut interval = Map::new();
            if let Some(mos) = &s.mos {
                interval.insert("mos".into(), json!({ "value": round_to(mos[i], 2) }));
            }
            if let Some(rtt) = &s.rtt {
                interval.insert("rtt".into(), json!({ "value": rtt[i].round() }));
            }
            interval.insert(
                "jitter".into(),
                json!({ "value": round_to(s.jitter[i], 1) }),
            );
            interval.insert("audio_in".into(), json!({ "value": rng.range(40, 2500) }));
            interval.insert("audio_out".into(), json!({ "value": rng.range(800, 9000) }));
            interval.insert("packets_lost".into(), lost.into());
            interval.insert("packets_received".into(), (packets - lost).into());
            interval.insert(
                "packets_loss_percentage".into(),
                json!(round_to(lost as f64 * 100.0 / packets as f64, 2)),
            );
            let bytes_per_packet = 160;
            let cumulative = json!({
                "bytes_sent": total.0 * bytes_per_packet,
                "packets_lost": total.1,
                "packets_sent": total.0,
                "bytes_received": (total.0 - total.1) * bytes_per_packet,
                "packets_received": total.0 - total.1,
            });
            let edge_object = json!({
                "interval": Value::Object(interval),
                "cumulative": cumulative,
                "metadata": sdk_metadata(facts),
            });
            let data = metric_data(facts, "sdk_edge", "both", at, edge_object);
            out.push((when, SDK_METRICS_TYPE, data));
        }
        if let Some((name, threshold, values)) = &warning {
            if i == episode.start {
                let metric = json!({ "threshold": threshold, "values": values });
                let group = "network-quality-warning-raised";
                let data = sdk_event_data(facts, name, group, "WARNING", at, "metric", metric);
                out.push((when, SDK_EVENT_TYPE, data));
            } else if i == episode.start + episode.len {
                let metric = json!({ "threshold": threshold, "values": [] });
                let group = "network-quality-warning-cleared";
                let data = sdk_event_data(facts, name, group, "INFO", at, "metric", metric);
                out.push((when, SDK_EVENT_TYPE, data));
            }
        }
        if error_at == Some(i) {
            let at = at + 1.0;
            let error = json!({ "code": 31005, "message": "Error sent from gateway in HANGUP" });
            let data = sdk_event_data(facts, "error", "connection", "ERROR", at, "error", error);
            out.push((compressed(at), SDK_EVENT_TYPE, data));
        }
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// A `VoiceInsights.CallMetric` with one edge measured (the others `null`, as in the REST
/// example).
fn metric_data(facts: &CallFacts, edge: &str, direction: &str, at: f64, object: Value) -> Value {
    let mut d = Map::new();
    d.insert("timestamp".into(), stamp(facts, at).into());
    d.insert("call_sid".into(), facts.call_sid.clone().into());
    d.insert("account_sid".into(), facts.account_sid.clone().into());
    d.insert("edge".into(), edge.into());
    d.insert("direction".into(), direction.into());
    for name in ["carrier_edge", "sip_edge", "client_edge", "sdk_edge"] {
        let v = if name == edge {
            object.clone()
        } else {
            Value::Null
        };
        d.insert(name.into(), v);
    }
    Value::Object(d)
}

/// A Voice SDK `VoiceInsights.CallEvent`: `sdk_edge` carries `key` (`metric` or `error`) and
/// the SDK's metadata.
fn sdk_event_data(
    facts: &CallFacts,
    name: &str,
    group: &str,
    level: &str,
    at: f64,
    key: &str,
    value: Value,
) -> Value {
    let mut sdk = Map::new();
    sdk.insert(key.into(), value);
    sdk.insert("metadata".into(), sdk_metadata(facts));
    json!({
        "timestamp": stamp(facts, at),
        "call_sid": facts.call_sid,
        "account_sid": facts.account_sid,
        "edge": "sdk_edge",
        "name": name,
        "group": group,
        "level": level,
        "sdk_edge": Value::Object(sdk),
    })
}

fn sdk_metadata(facts: &CallFacts) -> Value {
    let client = if facts.route.from.connection == "twilio_sdk" {
        &facts.route.from
    } else {
        &facts.route.to
    };
    let region = facts.route.region;
    json!({
        "client_name": "callwatch-demo",
        "ip_address": client.ip_address,
        "sdk": {
            "type": "Voice",
            "version": "2.12.1",
            "platform": "browser",
            "region": region,
            "selected_region": region,
            "browser": { "name": "Chrome", "major": "131" },
        },
    })
}
