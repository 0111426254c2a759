//! What the call details show of one call, as lines of text: the call, its endpoints, outcome,
//! media edges, tags, history and raw summary. Built once per change of the call (the app keeps
//! them) and drawn by [`super::ui::call_details`].

use ratatui::text::{Line, Span};

use crate::calls::store::CallRecord;
use crate::output::mask::maybe;
use crate::tui::theme::Theme;
use crate::twilio::codes::{q850_label, sip_label, tag_meaning};
use crate::twilio::summary::{Edge, Endpoint, MinMaxAvg, StreamMetrics};

/// The text of a call's details.
pub fn lines(r: &CallRecord, theme: &Theme, mask: bool) -> Vec<Line<'static>> {
    // The full summary is kept packed; opening a call is the one place it is needed. The
    // listener checked only the fields the table shows, so the rest may fail to read.
    let (full, unreadable) = match r.full_summary() {
        Ok(full) => (full, None),
        Err(why) => (r.summary.to_summary(), Some(why)),
    };
    let s = &full;
    let p = &s.properties;
    let mut out = Vec::new();
    out.push(Line::from(vec![
        Span::styled("Call ", theme.dim()),
        Span::styled(s.call_sid.clone(), theme.title()),
        Span::raw("  "),
        Span::styled(
            dash(s.call_state.as_str()),
            theme.call_state(s.call_state.as_str()),
        ),
        Span::raw(format!(
            " · {} summary · {} · {}",
            r.stage_label(),
            dash(s.call_type.as_str()),
            dash(p.direction.as_str())
        )),
    ]));
    if let Some(why) = &unreadable {
        out.push(Line::from(Span::styled(
            format!("⚠ only the fields of the table are shown: the rest of this summary cannot be read ({why})"),
            theme.warning(),
        )));
    }
    out.push(Line::raw(format!(
        "started {}  ended {}  duration {}  connected {}  PDD {}  queue {}",
        s.start_time.as_deref().unwrap_or("—"),
        s.end_time.as_deref().unwrap_or("—"),
        opt(s.duration, "s"),
        opt(s.connect_duration, "s"),
        opt(p.pdd_ms, " ms"),
        opt(p.queue_time, " ms"),
    )));
    out.push(Line::raw(""));
    out.push(section("Endpoints", theme));
    out.push(endpoint_line("From", &s.from, &s.from.caller, theme, mask));
    out.push(endpoint_line("To  ", &s.to, &s.to.callee, theme, mask));
    out.push(Line::raw(""));

    out.push(section("Outcome", theme));
    let hangup = match p.disconnected_by.as_str() {
        "caller" => "the caller hung up",
        "callee" => "the callee hung up",
        _ => "who hung up is not known (Twilio reports it only for answered calls)",
    };
    out.push(Line::raw(format!("  {hangup}")));
    out.push(Line::raw(format!(
        "  Q.850 cause   {}",
        if p.q850_cause == 0 {
            "— (not reported yet)".to_owned()
        } else {
            q850_label(p.q850_cause)
        }
    )));
    out.push(Line::raw(format!(
        "  SIP response  {}",
        if p.last_sip_response_num == 0 {
            "— (not reported yet)".to_owned()
        } else {
            sip_label(p.last_sip_response_num)
        }
    )));
    out.push(Line::raw(""));

    out.push(section("Media edges", theme));
    let edges = s.edges();
    if edges.is_empty() {
        out.push(Line::raw("  no edge metrics in this summary"));
    }
    for (name, edge) in edges {
        out.extend(edge_lines(name, edge));
    }
    out.push(Line::raw(""));

    out.push(section("Tags", theme));
    if s.tags.is_empty() {
        out.push(Line::raw("  none: Voice Insights saw no quality problem"));
    }
    for tag in &s.tags {
        out.push(Line::from(vec![
            Span::styled(format!("  {tag}"), theme.warning()),
            Span::raw(format!(
                "  {}",
                tag_meaning(tag).unwrap_or("(a tag callwatch does not know)")
            )),
        ]));
    }
    out.push(Line::raw(""));

    out.push(section("History (in arrival order)", theme));
    for h in &r.history {
        out.push(Line::raw(format!(
            "  {}  {:<18} v{:<3} {}  event time {}{}",
            crate::timestamp::clock(h.received_at),
            h.kind.event_type().rsplit('.').next().unwrap_or_default(),
            h.processing_version
                .map_or("-".to_owned(), |v| v.to_string()),
            h.event_id,
            h.event_time().unwrap_or_else(|| "—".to_owned()),
            if h.applied {
                ""
            } else {
                "  (arrived late: a newer summary was already shown)"
            }
        )));
    }
    out.push(Line::raw(""));

    out.push(section("Raw summary (JSON)", theme));
    let raw = serde_json::to_string_pretty(s).unwrap_or_default();
    let raw = if mask {
        crate::output::mask::mask(&raw)
    } else {
        raw
    };
    out.extend(raw.lines().map(|l| Line::raw(format!("  {l}"))));
    // Every field above came in a delivery or a recording.
    crate::text::escape_lines(&mut out);
    out
}

fn endpoint_line(
    label: &str,
    e: &Endpoint,
    number: &str,
    theme: &Theme,
    mask: bool,
) -> Line<'static> {
    let mut where_ = Vec::new();
    for part in [&e.city, &e.country_subdivision, &e.country_code] {
        if !part.is_empty() {
            where_.push(part.clone());
        }
    }
    if let Some(loc) = &e.location {
        where_.push(format!("({:.3}, {:.3})", loc.lat, loc.lon));
    }
    let mut spans = vec![
        Span::styled(format!("  {label}  "), theme.dim()),
        Span::raw(format!("{:<22}", maybe(&dash(number), mask))),
        Span::raw(format!(
            " carrier {}  connection {}  {}",
            dash(&e.carrier),
            dash(e.connection.as_str()),
            where_.join(" ")
        )),
    ];
    if !e.ip_address.is_empty() {
        spans.push(Span::raw(format!("  IP {}", maybe(&e.ip_address, mask))));
    }
    Line::from(spans)
}

fn edge_lines(name: &str, edge: &Edge) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let region = edge
        .property_str("edge_location")
        .or_else(|| edge.property_str("media_region"))
        .unwrap_or("");
    out.push(Line::raw(format!("  {name} edge {region}")));
    let Some(metrics) = &edge.metrics else {
        out.push(Line::raw("    no metrics"));
        return out;
    };
    for (dir, m) in [
        ("inbound ", &metrics.inbound),
        ("outbound", &metrics.outbound),
    ] {
        if let Some(m) = m {
            out.push(Line::raw(format!("    {dir} {}", stream(m))));
        }
    }
    out
}

fn stream(m: &StreamMetrics) -> String {
    format!(
        "codec {:<6} loss {:<7} jitter {:<14} latency {}",
        m.codec_name.clone().unwrap_or_else(|| "—".into()),
        m.packets_loss_percentage
            .map_or("—".to_owned(), |l| format!("{l:.1}%")),
        avg_max(m.jitter.as_ref(), "ms"),
        avg_max(m.latency.as_ref(), ""),
    )
}

fn avg_max(v: Option<&MinMaxAvg>, unit: &str) -> String {
    match v {
        Some(v) => match (v.avg.or(v.value), v.max) {
            (Some(a), Some(m)) => format!("{a:.2}/{m:.2}{unit}"),
            (Some(a), None) => format!("{a:.2}{unit}"),
            (None, Some(m)) => format!("max {m:.2}{unit}"),
            (None, None) => "—".into(),
        },
        None => "—".into(),
    }
}

fn section(title: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(title.to_owned(), theme.title()))
}

fn dash(s: &str) -> String {
    if s.is_empty() {
        "—".into()
    } else {
        s.to_owned()
    }
}

fn opt(v: Option<i64>, unit: &str) -> String {
    v.map_or("—".to_owned(), |v| format!("{v}{unit}"))
}
