//! The edges of a simulated call: their `properties` for each call type and, for answered
//! calls, the `metrics` of each media direction (codec, packets, loss, jitter, latency, MOS),
//! with a few calls impaired so that the tags follow from the numbers.

use serde_json::{Map, Value, json};

use super::data::{CallType, SIP_USER_AGENTS};
use super::facts::{EdgeProps, Route, round_to};
use super::prng::SplitMix64;

/// Edge objects (properties only) matching the call type: carrier → carrier_edge; sip →
/// sip_edge; trunking → sip_edge + carrier_edge; client → client_edge + sdk_edge; WhatsApp
/// calls have none.
pub(super) fn edge_properties(
    rng: &mut SplitMix64,
    call_type: CallType,
    route: &Route,
) -> EdgeProps {
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
            let twilio_ip = twilio_ip(rng, route.region);
            let pbx_ip = match route.from.connection {
                "sip_interface" => route.from.ip_address.clone(),
                _ if route.to.connection == "sip_interface" => route.to.ip_address.clone(),
                _ => public_ip(rng),
            };
            sip.insert("twilio_media_ip".into(), twilio_ip.clone().into());
            sip.insert("twilio_signaling_ip".into(), twilio_ip.into());
            sip.insert("external_media_ip".into(), pbx_ip.clone().into());
            sip.insert("external_signaling_ip".into(), pbx_ip.into());
            sip.insert(
                "sip_call_id".into(),
                format!("{}@0.0.0.0", rng.hex(32)).into(),
            );
            sip.insert("user_agent".into(), (*rng.pick(SIP_USER_AGENTS)).into());
            if call_type == CallType::Trunking {
                sip.insert("trunk_sid".into(), format!("TK{}", rng.hex(32)).into());
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
                twilio_ip(rng, route.region).into(),
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
                json!({ "dscp": true, "ice_restart_enabled": rng.chance(0.5) }),
            );
            edges.sdk = Some(sdk);
        }
        CallType::Whatsapp => {}
    }
    edges
}

fn twilio_ip(rng: &mut SplitMix64, region: &str) -> String {
    let net = match region {
        "ie1" => "54.171.127",
        "de1" => "35.156.191",
        "au1" => "54.252.254",
        _ => *rng.pick(&["54.172.60", "54.244.51"]),
    };
    format!("{net}.{}", rng.range(0, 255))
}

/// `metrics` objects for the edges of an answered call, keyed by edge name. Most calls are
/// clean; a few have high jitter, packet loss, latency or a low MOS — and the tags follow
/// from these numbers. `force_jitter` makes the call's jitter high whatever the draw.
pub(super) fn media(
    rng: &mut SplitMix64,
    call_type: CallType,
    edges: &EdgeProps,
    connect_secs: u64,
    force_jitter: bool,
) -> Map<String, Value> {
    let quality = Quality {
        // Drawn even when forced, so that a forced call leaves the random stream as it was.
        jitter: rng.chance(0.07) | force_jitter,
        loss: rng.chance(0.06),
        latency: rng.chance(0.12),
        mos: rng.chance(0.05),
    };
    let clean = Quality::default();
    let mut metrics = Map::new();
    match call_type {
        CallType::Carrier => {
            let m = json!({
                "inbound": stream(rng, Leg::Inbound, Codec::Pcmu, connect_secs, quality, false),
                "outbound": stream(rng, Leg::Outbound, Codec::Pcmu, connect_secs, clean, false),
            });
            metrics.insert("carrier_edge".into(), m);
        }
        CallType::Sip => {
            let m = json!({
                "inbound": stream(rng, Leg::Inbound, Codec::Pcmu, connect_secs, quality, false),
                "outbound": stream(rng, Leg::Outbound, Codec::Pcmu, connect_secs, clean, false),
            });
            metrics.insert("sip_edge".into(), m);
        }
        CallType::Trunking => {
            // As in Twilio's own example: the SIP edge measures latency towards the PBX.
            let mut m = Map::new();
            if rng.chance(0.6) {
                let s = stream(rng, Leg::Inbound, Codec::Pcmu, connect_secs, quality, false);
                m.insert("inbound".into(), s);
            }
            let s = stream(rng, Leg::Outbound, Codec::Pcmu, connect_secs, quality, true);
            m.insert("outbound".into(), s);
            metrics.insert("sip_edge".into(), Value::Object(m));
            if rng.chance(0.5) {
                let m = json!({
                    "inbound": stream(rng, Leg::Inbound, Codec::Pcmu, connect_secs, clean, false),
                    "outbound": stream(rng, Leg::Outbound, Codec::Pcmu, connect_secs, clean, false),
                });
                metrics.insert("carrier_edge".into(), m);
            }
        }
        CallType::Client => {
            let codec = if rng.chance(0.7) {
                Codec::Opus
            } else {
                Codec::Pcmu
            };
            let m = json!({
                "inbound": stream(rng, Leg::Inbound, codec, connect_secs, quality, false),
                "outbound": stream(rng, Leg::Outbound, codec, connect_secs, clean, false),
            });
            metrics.insert("client_edge".into(), m);
            let mut inbound = stream(rng, Leg::Inbound, codec, connect_secs, quality, false);
            let mut outbound = stream(rng, Leg::Outbound, codec, connect_secs, clean, false);
            let degraded = quality.mos || quality.jitter || quality.loss;
            let mos_avg = if degraded {
                rng.uniform(2.4, 3.3)
            } else {
                rng.uniform(3.9, 4.4)
            };
            let mos = json!({
                "min": round_to((mos_avg - rng.uniform(0.2, 0.8)).max(1.0), 2),
                "max": round_to((mos_avg + rng.uniform(0.05, 0.4)).min(4.5), 2),
                "avg": round_to(mos_avg, 2),
            });
            let rtt_avg = if quality.latency {
                rng.uniform(420.0, 900.0)
            } else {
                rng.uniform(35.0, 220.0)
            };
            let rtt = json!({
                "min": round_to(rtt_avg * rng.uniform(0.5, 0.9), 1),
                "max": round_to(rtt_avg * rng.uniform(1.1, 2.0), 1),
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
    rng: &mut SplitMix64,
    leg: Leg,
    codec: Codec,
    connect_secs: u64,
    quality: Quality,
    with_latency: bool,
) -> Value {
    let nominal = connect_secs.max(1) * 50;
    let packets = nominal - rng.below(nominal / 50 + 1);
    let loss_pct = if quality.loss {
        rng.uniform(6.0, 18.0)
    } else if rng.chance(0.6) {
        0.0
    } else {
        rng.uniform(0.01, 0.8)
    };
    let lost = (packets as f64 * loss_pct / 100.0).round() as u64;
    let loss_pct = round_to(lost as f64 * 100.0 / packets as f64, 2);
    let jitter_avg = if quality.jitter {
        rng.uniform(5.5, 25.0)
    } else {
        rng.uniform(0.15, 2.5)
    };
    let jitter_max = jitter_avg * rng.uniform(1.3, 4.0);
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
            rng.uniform(420.0, 700.0)
        } else {
            rng.uniform(15.0, 90.0)
        };
        let max = avg * rng.uniform(1.1, 2.0);
        m.insert(
            "latency".into(),
            json!({ "max": round_to(max, 3), "avg": round_to(avg, 3) }),
        );
    }
    Value::Object(m)
}

/// An address from the documentation ranges (RFC 5737), as a customer's public IP.
pub(super) fn public_ip(rng: &mut SplitMix64) -> String {
    let net = *rng.pick(&["203.0.113", "198.51.100", "192.0.2"]);
    format!("{net}.{}", rng.range(2, 254))
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
