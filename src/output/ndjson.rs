//! The ndjson lines of the contract in docs/ndjson.md: `listening`, `delivery`, `call`,
//! `test_event`, `event`, `gap` (and `alert`). Field `type` comes first; each line is flushed as
//! written so that `callwatch listen | jq` shows events live. Lines carry no control character a
//! terminal would act on: serde_json escapes C0, [`crate::text::json_safe`] the rest.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::alerts::SinkAlert;
use crate::ingest::Delivery;
use crate::ingest::diagnosis::{Diagnosis, signature_prefix};
use crate::session::Update;
use crate::timestamp::rfc3339;

/// Writes one JSON value as a line and flushes it. DEL, C1 and bidi controls, which
/// serde_json writes raw, are escaped as `\uXXXX`: the line means the same to a JSON reader
/// and does nothing to a terminal it is printed on.
pub fn write_line<W: Write>(out: &mut W, value: &Value) -> std::io::Result<()> {
    let line = serde_json::to_string(value)?;
    out.write_all(crate::text::json_safe(&line).as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// `{"type":"listening","addr":...,"public_url":...}`.
pub fn listening(addr: &str, public_url: &str) -> Value {
    json!({"type": "listening", "addr": addr, "public_url": public_url})
}

/// The `alert` line: Twilio's Debugger reported a delivery failure for the sink. Fields as the
/// Monitor API names them (`error_code` stays a string, as Twilio sends it).
pub fn alert(a: &SinkAlert) -> Value {
    json!({
        "type": "alert",
        "sid": a.sid,
        "error_code": a.error_code,
        "alert_text": a.alert_text,
        "date_generated": a.date_generated,
        "log_level": a.log_level,
        "more_info": a.more_info,
    })
}

/// `{"type":"gap","dropped":N}`.
pub fn gap(dropped: u64) -> Value {
    json!({"type": "gap", "dropped": dropped})
}

/// The `delivery` line.
pub fn delivery(d: &Delivery) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "delivery".into());
    m.insert("seq".into(), d.seq.into());
    m.insert("received_at".into(), rfc3339(d.received_at).into());
    m.insert("method".into(), d.method.clone().into());
    m.insert("path".into(), d.path.clone().into());
    m.insert("status".into(), d.status.into());
    m.insert("verdict".into(), d.verdict.as_str().into());
    m.insert("events".into(), d.event_count.into());
    m.insert("event_types".into(), json!(d.event_types));
    m.insert("bytes".into(), d.body_len.into());
    m.insert(
        "handling_us".into(),
        u64::try_from(d.handling.as_micros())
            .unwrap_or(u64::MAX)
            .into(),
    );
    if let crate::ingest::DeliveryVerdict::Malformed(why) = &d.verdict {
        m.insert("reason".into(), why.clone().into());
    }
    if let Some(diagnosis) = &d.diagnosis {
        insert_diagnosis(&mut m, diagnosis);
    }
    Value::Object(m)
}

/// `reason`, `hint`, `tried_urls` (`{url, signature_prefix}`), `received_signature_prefix` and,
/// when known, `seen_url` / `matched_url`. Only signature prefixes are written: a full expected
/// signature in a log would let its readers forge the refused body.
fn insert_diagnosis(m: &mut Map<String, Value>, d: &Diagnosis) {
    m.insert("reason".into(), d.reason.clone().into());
    m.insert("hint".into(), d.hint.clone().into());
    let tried: Vec<Value> = d
        .tried_urls
        .iter()
        .map(|t| json!({"url": t.url, "signature_prefix": signature_prefix(&t.expected_signature)}))
        .collect();
    m.insert("tried_urls".into(), tried.into());
    if let Some(sig) = &d.received_signature {
        m.insert(
            "received_signature_prefix".into(),
            signature_prefix(sig).into(),
        );
    }
    if let Some(url) = &d.seen_url {
        m.insert("seen_url".into(), url.clone().into());
    }
    if let Some(url) = &d.matched_url {
        m.insert("matched_url".into(), url.clone().into());
    }
}

/// The `call`, `test_event` or `event` line for one update.
pub fn update(update: &Update<'_>, mask: bool) -> Value {
    match update {
        Update::Call {
            event_id,
            event_type,
            record,
            ..
        } => {
            let s = &record.summary;
            #[derive(Serialize)]
            struct CallLine<'a> {
                #[serde(rename = "type")]
                line_type: &'static str,
                call_sid: &'a str,
                event_id: &'a str,
                event_type: &'static str,
                processing_state: Option<&'static str>,
                call_state: &'a str,
                call_type: &'a str,
                direction: &'a str,
                from_caller: &'a str,
                to_callee: &'a str,
                from_carrier: &'a str,
                to_carrier: &'a str,
                disconnected_by: &'a str,
                q850_cause: i64,
                last_sip_response_num: i64,
                duration: Option<i64>,
                pdd_ms: Option<i64>,
                tags: &'a [String],
                stale: bool,
                in_progress: bool,
                progress: Option<&'a str>,
                jitter_ms: Option<f64>,
                loss_pct: Option<f64>,
                rtt_ms: Option<f64>,
                mos: Option<f64>,
                jitter_max: Option<f64>,
                loss_max: Option<f64>,
                mos_min: Option<f64>,
                samples: u32,
                warnings: Vec<&'a str>,
            }
            let live = record.live.as_deref();
            let latest = live.map(|l| l.latest).unwrap_or_default();
            let worst = live.map(|l| l.worst).unwrap_or_default();
            serde_json::to_value(CallLine {
                line_type: "call",
                call_sid: &s.call_sid,
                event_id,
                event_type,
                processing_state: record.kind().map(|k| k.processing_name()),
                call_state: s.call_state.as_str(),
                call_type: s.call_type.as_str(),
                direction: s.properties.direction.as_str(),
                from_caller: &crate::output::mask::maybe(&s.from.caller, mask),
                to_callee: &crate::output::mask::maybe(&s.to.callee, mask),
                from_carrier: &s.from.carrier,
                to_carrier: &s.to.carrier,
                disconnected_by: s.properties.disconnected_by.as_str(),
                q850_cause: s.properties.q850_cause,
                last_sip_response_num: s.properties.last_sip_response_num,
                duration: s.duration,
                pdd_ms: s.properties.pdd_ms,
                tags: &s.tags,
                stale: record.is_stale(),
                in_progress: record.in_progress(),
                progress: live.and_then(|l| l.progress.as_deref()),
                jitter_ms: latest.jitter_ms.map(crate::output::two_decimals),
                loss_pct: latest.loss_pct.map(crate::output::two_decimals),
                rtt_ms: latest.rtt_ms.map(crate::output::two_decimals),
                mos: latest.mos.map(crate::output::two_decimals),
                jitter_max: worst.jitter_ms.map(crate::output::two_decimals),
                loss_max: worst.loss_pct.map(crate::output::two_decimals),
                mos_min: worst.mos.map(crate::output::two_decimals),
                samples: live.map_or(0, |l| l.samples_merged),
                warnings: live.map_or_else(Vec::new, |l| {
                    l.warnings.iter().map(|w| w.as_str()).collect()
                }),
            })
            .unwrap_or(Value::Null)
        }
        Update::TestEvent { test_id } => json!({"type": "test_event", "test_id": test_id}),
        Update::Other {
            event_type,
            event_id,
        } => json!({"type": "event", "event_type": event_type, "event_id": event_id}),
    }
}
