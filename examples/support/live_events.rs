//! Live Call Insights events for the benchmarks, shaped like the docs' examples
//! (`assets/twilio/insights-live.md`): gateway progress events and 10-second metric samples with
//! a full interval (jitter, RTT, MOS, audio levels, latency, packets, bytes, delay variation).
//! Shared by the examples and the benches; each uses a part of it.

#![allow(dead_code)]

use serde_json::{Value, json};
use time::OffsetDateTime;

/// A CloudEvent as Event Streams delivers it, `data` as an object.
pub fn envelope(id: &str, event_type: &str, sid: &str, time: &str, data: Value) -> Value {
    json!({"specversion": "1.0", "type": event_type, "source": format!("/v1/Voice/{sid}"),
        "id": id, "dataschema": "https://events-schemas.twilio.com/VoiceInsights.CallEvent/3",
        "time": time, "datacontenttype": "application/json", "data": data})
}

fn stat(value: f64) -> Value {
    json!({"min": value * 0.5, "max": value * 1.8, "avg": value, "value": value})
}

/// A gateway progress event.
pub fn progress(id: &str, sid: &str, account: &str, name: &str, time: &str) -> Value {
    envelope(
        id,
        "com.twilio.voice.insights.call-event.gateway",
        sid,
        time,
        json!({"timestamp": time, "call_sid": sid, "account_sid": account, "edge": "carrier_edge",
            "name": name, "group": "call", "level": "INFO",
            "carrier_edge": {"metadata": {"region": "us1", "twilio_ip": "54.172.60.1",
                "external_ip": "208.78.161.12", "edge_location": "ashburn"}}}),
    )
}

/// A gateway metric sample of the carrier edge in `direction`.
pub fn sample(id: &str, sid: &str, account: &str, time: &str, direction: &str, n: u64) -> Value {
    let jitter = 2.0 + (n % 7) as f64;
    envelope(
        id,
        "com.twilio.voice.insights.call-metrics.gateway",
        sid,
        time,
        json!({"timestamp": time, "call_sid": sid, "account_sid": account, "edge": "carrier_edge",
            "direction": direction,
            "carrier_edge": {"codec": 0, "codec_name": "pcmu",
                "interval": {"packets_received": 500, "packets_sent": 500, "packets_lost": n % 3,
                    "packets_loss_percentage": (n % 3) as f64 / 5.0, "jitter": stat(jitter),
                    "rtt": stat(80.0), "mos": stat(4.3), "audio_in": stat(900.0),
                    "audio_out": stat(1200.0), "latency": stat(40.0), "bytes_received": 80000,
                    "bytes_sent": 80000, "packet_delay_variation": {"d50": 20, "d70": 30, "d90": 45}},
                "cumulative": {"packets_received": 500 * n, "packets_sent": 500 * n,
                    "packets_lost": n / 3, "jitter": stat(jitter)},
                "metadata": {"region": "us1", "twilio_ip": "54.172.60.1", "external_ip": "208.78.161.12"}}}),
    )
}

/// RFC 3339 with milliseconds.
pub fn rfc3339(t: OffsetDateTime) -> String {
    callwatch::timestamp::rfc3339_millis(t)
}

/// The live events of one call that starts at `start`: six progress events (initiated, ringing,
/// answered, two others, completed) and `samples` metric samples every 10 s, alternating
/// directions, in the order Twilio would emit them.
pub fn call(
    sid: &str,
    account: &str,
    start: OffsetDateTime,
    samples: u64,
    ids: &mut u64,
) -> Vec<Value> {
    let mut next_id = || {
        *ids += 1;
        format!("EZ{:032x}", *ids)
    };
    let at = |secs: u64| rfc3339(start + time::Duration::seconds(secs as i64));
    let mut events = Vec::new();
    for (name, secs) in [
        ("initiated", 0),
        ("ringing", 1),
        ("answered", 6),
        ("call.connected", 6),
    ] {
        events.push(progress(&next_id(), sid, account, name, &at(secs)));
    }
    for n in 0..samples {
        let direction = if n % 2 == 0 { "inbound" } else { "outbound" };
        events.push(sample(
            &next_id(),
            sid,
            account,
            &at(6 + 10 * (n / 2 + 1)),
            direction,
            n,
        ));
    }
    let end = 6 + 10 * (samples / 2 + 1);
    events.push(progress(
        &next_id(),
        sid,
        account,
        "call.disconnected",
        &at(end),
    ));
    events.push(progress(&next_id(), sid, account, "completed", &at(end)));
    events
}
