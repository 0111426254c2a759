//! One call, opened with Enter: both endpoints, the call's properties with what the codes mean,
//! every media edge with codecs, loss, jitter and latency, the tags explained, the history of
//! its events, and the raw summary as JSON, all escaped (see [`crate::text`]). A well-formed
//! call SID is a terminal hyperlink (OSC 8) to the call in Twilio Console.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::calls::store::{CallId, CallRecord};
use crate::output::mask::maybe;
use crate::tui::app::App;
use crate::tui::ui::theme::Theme;
use crate::twilio::codes::{q850_label, sip_label, tag_meaning};
use crate::twilio::summary::{Edge, Endpoint, MinMaxAvg, StreamMetrics};

/// A call SID fit to be written inside an OSC 8 hyperlink: `CA` and 32 lowercase hex digits,
/// as Twilio issues them, and nothing else. The link is written to the terminal raw, so any
/// other text (a sender chooses the SID of a delivery, or of a recording) is never linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkableSid(String);

impl LinkableSid {
    /// `sid` when it has exactly the shape of a Twilio call SID.
    pub fn new(sid: &str) -> Option<Self> {
        let hex = sid.strip_prefix("CA")?;
        let shaped = hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        shaped.then(|| Self(sid.to_owned()))
    }

    /// The SID.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the call lives in Twilio Console (the call log, which links to its Voice
    /// Insights).
    pub fn console_url(&self) -> String {
        format!(
            "https://console.twilio.com/us1/monitor/logs/calls?frameUrl=%2Fconsole%2Fvoice%2Fcalls%2Flogs%2F{}",
            self.0
        )
    }

    /// The OSC 8 escape sequence that shows the SID as a link to the call in Console; built
    /// from the checked SID alone.
    pub fn osc8(&self) -> String {
        format!(
            "\x1b]8;;{}\x1b\\{}\x1b]8;;\x1b\\",
            self.console_url(),
            self.0
        )
    }
}

/// Draws the details of call `id`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, id: CallId, scroll: u16) {
    let theme = Theme::new(app.header.color);
    let Some(record) = app.session.store.by_id(id) else {
        return;
    };
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        " call details — Esc closes, ↑↓ PgUp PgDn scroll ",
        theme.title(),
    ));
    // Unpacking the summary and pretty-printing its JSON is done once per change of the call
    // (in `App::prepare_frame`), not once per frame.
    let text = match &app.details_cache {
        Some(cache) if cache.key == (id, record.update_seq, app.mask) => cache.lines.clone(),
        _ => lines(record, &theme, app.mask),
    };
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// Where the call SID stands on screen when call details are open and scrolled to the top,
/// and the SID: `(x, y, sid)`. The run loop writes [`LinkableSid::osc8`] over it after each
/// frame, straight to the terminal: escape sequences inside ratatui's cells would throw its
/// width accounting off. `None` when the SID is not a well-formed call SID.
pub fn hyperlink_target(app: &App, screen: Rect) -> Option<(u16, u16, LinkableSid)> {
    let Some(crate::tui::app::Overlay::CallDetails { id, scroll: 0 }) = &app.overlay else {
        return None;
    };
    if !app.header.hyperlinks
        || screen.width < super::MIN_WIDTH
        || screen.height < super::MIN_HEIGHT
    {
        return None;
    }
    let record = app.session.store.by_id(*id)?;
    let sid = LinkableSid::new(&record.summary.call_sid)?;
    let areas = super::areas(screen, app);
    let popup = areas.body.union(areas.header);
    // Inside the border, after "Call ".
    Some((popup.x + 1 + 5, popup.y + 1, sid))
}

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
            r.kind().label(),
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
    super::escape_controls(&mut out);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::store::CallStore;
    use crate::twilio::cloudevent::{DeliveredEvent, parse_delivery};

    fn text_of(body: &[u8]) -> String {
        let events = parse_delivery(body).expect("accepted");
        let DeliveredEvent::CallSummary(event) = &events[0] else {
            panic!("a summary")
        };
        let mut store = CallStore::new();
        store.apply(event, std::time::SystemTime::UNIX_EPOCH);
        let record = store.iter().next().expect("one call");
        crate::tui::ui::plain_text(&lines(record, &Theme::new(false), false))
    }

    #[test]
    fn an_unreadable_summary_shows_the_table_fields_and_says_why() {
        let text = text_of(
            br#"[{"type":"com.twilio.voice.insights.call-summary.complete","id":"EZ1",
            "data":{"call_sid":"CA3","call_state":"busy","from":{"carrier":"Voda"},"sip_edge":5}}]"#,
        );
        assert!(
            text.contains("the rest of this summary cannot be read (invalid type: integer `5`, expected struct Edge"),
            "{text}"
        );
        assert!(text.contains("Call CA3  busy"), "{text}");
        assert!(text.contains("carrier Voda"), "{text}");
    }

    #[test]
    fn a_readable_summary_has_no_warning() {
        let text = text_of(
            br#"[{"type":"com.twilio.voice.insights.call-summary.complete","id":"EZ1",
            "data":{"call_sid":"CA3","call_state":"busy","sip_edge":{"properties":{"edge_location":"ashburn"}}}}]"#,
        );
        assert!(!text.contains("cannot be read"), "{text}");
        assert!(text.contains("ashburn"), "{text}");
    }
}
