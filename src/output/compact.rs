//! `--output compact`: one readable line per call update, and one per refused delivery, for a
//! terminal scrollback or a log file. Every line goes out through [`write_text_line`], which
//! escapes the control characters that call fields, paths and alerts may hold.

use std::io::Write;
use std::time::SystemTime;

use crate::alerts::SinkAlert;
use crate::ingest::Delivery;
use crate::session::Update;
use crate::timestamp::rfc3339;
use crate::twilio::codes::{q850_label, sip_label};

/// The live part of a call's line: the latest quality figures with the worst so far, and the
/// active SDK warnings (`  MOS 4.10 (min 3.20) jitter 12ms loss 0.4% rtt 80ms  warning
/// high-jitter`).
fn quality(live: &crate::calls::live::LiveState) -> String {
    let (latest, worst) = (live.latest, live.worst);
    let mut parts = Vec::new();
    if let Some(mos) = latest.mos {
        let min = worst.mos.filter(|m| *m < mos);
        parts.push(match min {
            Some(min) => format!("MOS {mos:.2} (min {min:.2})"),
            None => format!("MOS {mos:.2}"),
        });
    }
    if let Some(j) = latest.jitter_ms {
        let max = worst.jitter_ms.filter(|m| *m > j);
        parts.push(match max {
            Some(max) => format!("jitter {j:.0}ms (max {max:.0})"),
            None => format!("jitter {j:.0}ms"),
        });
    }
    if let Some(l) = latest.loss_pct {
        let max = worst.loss_pct.filter(|m| *m > l);
        parts.push(match max {
            Some(max) => format!("loss {l:.1}% (max {max:.1})"),
            None => format!("loss {l:.1}%"),
        });
    }
    if let Some(r) = latest.rtt_ms {
        parts.push(format!("rtt {r:.0}ms"));
    }
    let mut out = String::new();
    if !parts.is_empty() {
        out.push_str("  ");
        out.push_str(&parts.join(" "));
    }
    if !live.warnings.is_empty() {
        let names: Vec<&str> = live.warnings.iter().map(|w| w.as_str()).collect();
        out.push_str(&format!("  warning {}", names.join(",")));
    }
    out
}

/// Writes the line for one update.
pub fn write_update<W: Write>(
    out: &mut W,
    delivery: &Delivery,
    update: &Update<'_>,
    mask: bool,
) -> std::io::Result<()> {
    let at = &rfc3339(delivery.received_at)[11..19];
    match update {
        Update::Call { record, .. } => {
            let s = &record.summary;
            let mut line = format!(
                "{at}  {sid}  {state:<9} {stage:<9} {typ:<8} {from} → {to}",
                sid = s.call_sid,
                state = s.call_state.as_str(),
                stage = record.processing_name(),
                typ = s.call_type.as_str(),
                from = crate::output::mask::maybe(or_dash(&s.from.caller), mask),
                to = crate::output::mask::maybe(or_dash(&s.to.callee), mask),
            );
            let carriers = format!("{} → {}", or_dash(&s.from.carrier), or_dash(&s.to.carrier));
            line.push_str(&format!("  [{carriers}]"));
            if let Some(d) = s.duration {
                line.push_str(&format!("  {d}s"));
            }
            let by = s.properties.disconnected_by.as_str();
            if by == "caller" || by == "callee" {
                line.push_str(&format!("  hung up by {by}"));
            }
            let q850 = q850_label(s.properties.q850_cause);
            if !q850.is_empty() {
                line.push_str(&format!("  Q.850 {q850}"));
            }
            let sip = sip_label(s.properties.last_sip_response_num);
            if !sip.is_empty() {
                line.push_str(&format!("  SIP {sip}"));
            }
            if !s.tags.is_empty() {
                line.push_str(&format!("  tags: {}", s.tags.join(",")));
            }
            if let Some(live) = record.live.as_deref() {
                line.push_str(&quality(live));
            }
            write_text_line(out, &line)
        }
        Update::TestEvent { test_id } => write_text_line(
            out,
            &format!("{at}  sink test event received, test_id {test_id}"),
        ),
        Update::Other {
            event_type,
            event_id,
        } => write_text_line(out, &format!("{at}  event {event_type} {event_id}")),
    }
}

/// Writes the line for a Debugger alert about the sink, timed when Twilio generated it.
pub fn write_alert<W: Write>(out: &mut W, alert: &SinkAlert) -> std::io::Result<()> {
    let at = alert.generated_at.unwrap_or_else(SystemTime::now);
    let stamp = rfc3339(at);
    write_text_line(
        out,
        &format!(
            "{}  !! Twilio could not deliver: {}  {}",
            &stamp[11..19],
            alert.code_and_label(),
            alert.alert_text
        ),
    )
}

/// Writes the line for a refused delivery.
pub fn write_rejection<W: Write>(out: &mut W, delivery: &Delivery) -> std::io::Result<()> {
    let at = &rfc3339(delivery.received_at)[11..19];
    let reason = match (&delivery.diagnosis, &delivery.verdict) {
        (Some(diagnosis), _) => format!(": {}", diagnosis.hint),
        (None, crate::ingest::DeliveryVerdict::Malformed(why)) => format!(": {why}"),
        _ => String::new(),
    };
    write_text_line(
        out,
        &format!(
            "{at}  refused {} {} → {} {}{reason}",
            delivery.method,
            delivery.path,
            delivery.status,
            delivery.verdict.as_str()
        ),
    )
}

/// Writes `text` as one line, its control characters escaped (see [`crate::text`]), and
/// flushes it.
pub fn write_text_line<W: Write>(out: &mut W, text: &str) -> std::io::Result<()> {
    writeln!(out, "{}", crate::text::terminal_safe(text))?;
    out.flush()
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
