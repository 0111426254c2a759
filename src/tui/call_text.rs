//! What the call details show of one call, as lines of text: the call, its endpoints, outcome,
//! media edges, tags, history and raw summary. Built once per change of the call (the app keeps
//! them) and drawn by [`super::ui::call_details`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ratatui::text::{Line, Span};

use crate::calls::live::{LiveState, Quality, Sample, Signal};
use crate::calls::quality::{self, Band};
use crate::calls::store::CallRecord;
use crate::output::mask::maybe;
use crate::text::terminal_safe;
use crate::tui::theme::Theme;
use crate::twilio::codes::{q850_label, sdk_error_label, sip_label, tag_meaning};
use crate::twilio::live::EdgeKind;
use crate::twilio::summary::{Edge, Endpoint, MinMaxAvg, StreamMetrics};

/// The mark of a call in progress, in the table and the header.
pub const IN_PROGRESS_MARK: &str = "●";

/// How long a call in progress has been going at `now`: since it was answered (the answered
/// event's timestamp), else since its first live event; `None` when it is not in progress or
/// neither is known.
pub fn running_for(r: &CallRecord, now: SystemTime) -> Option<Duration> {
    if !r.in_progress() {
        return None;
    }
    let live = r.live.as_deref()?;
    let since = [live.answered_ns, live.first_ns]
        .into_iter()
        .find(|ns| *ns > 0)?;
    let now_ns = now.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    let ns = now_ns.saturating_sub(u128::try_from(since).ok()?);
    Some(Duration::from_secs(u64::try_from(ns / 1_000_000_000).ok()?))
}

/// A duration as a clock: `0:07`, `12:34`, `1:02:03`.
pub fn clock_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
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
    // The SID and the state as the table shows them: a call known only from live events has
    // no summary to say them, and progress events move the state on (`CallStore::apply_live`).
    let state = r.summary.call_state.as_str();
    let about = match r.kind() {
        Some(_) => format!(
            " · {} summary · {} · {}",
            r.stage_label(),
            dash(s.call_type.as_str()),
            dash(p.direction.as_str())
        ),
        None => " · live events only".to_owned(),
    };
    out.push(Line::from(vec![
        Span::styled("Call ", theme.dim()),
        Span::styled(r.call_sid().to_owned(), theme.title()),
        Span::raw("  "),
        Span::styled(dash(state), theme.call_state(state)),
        Span::raw(about),
    ]));
    if let Some(why) = &unreadable {
        out.push(Line::from(Span::styled(
            format!("⚠ only the fields of the table are shown: the rest of this summary cannot be read ({why})"),
            theme.warning(),
        )));
    }
    // A call known only from its live events has no summary fields to show yet.
    let summarized = r.kind().is_some();
    if summarized {
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
    }
    if let Some(live) = r.live.as_deref() {
        out.extend(live_lines(live, theme));
        out.push(Line::raw(""));
    }
    if !summarized {
        out.push(section("Summary", theme));
        out.push(Line::raw(
            "  none yet: Twilio sends them as it processes the call",
        ));
        out.push(Line::raw(""));
        if let Some(live) = r.live.as_deref() {
            out.extend(timeline_lines(live, theme));
        }
        crate::text::escape_lines(&mut out);
        return out;
    }
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

    if let Some(live) = r.live.as_deref() {
        out.extend(timeline_lines(live, theme));
        out.push(Line::raw(""));
    }

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

/// Columns of the quality charts: each is a slice of the call's time.
pub const CHART_WIDTH: usize = 40;

/// Eighths of a block, lowest first: the charts' bars.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// What the live events told: progress, quality now and at its worst, SDK warnings and errors,
/// and a chart of MOS, jitter and loss per edge over the call.
fn live_lines(live: &LiveState, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![section(
        "Live (call progress, SDK events, quality samples)",
        theme,
    )];
    let mut progress = vec![
        Span::styled("  progress      ", theme.dim()),
        Span::raw(
            live.progress
                .as_deref()
                .map_or("— (no progress event yet)".to_owned(), |p| {
                    terminal_safe(p).into_owned()
                }),
        ),
    ];
    if live.answered_ns > 0 {
        progress.push(Span::styled("  answered at ", theme.dim()));
        progress.push(Span::raw(clock_of_ns(live.answered_ns)));
    }
    out.push(Line::from(progress));
    if live.samples_merged == 0 {
        out.push(Line::from(Span::styled(
            "  quality       no sample yet",
            theme.dim(),
        )));
    } else {
        out.push(quality_line("  quality now   ", &live.latest, theme));
        out.push(quality_line("  worst so far  ", &live.worst, theme));
    }
    if live.has_warning() {
        let names: Vec<String> = live
            .warnings
            .iter()
            .map(|w| terminal_safe(w).into_owned())
            .collect();
        out.push(Line::from(vec![
            Span::styled("  SDK warnings  ", theme.dim()),
            Span::styled(format!("⚠ {}", names.join(", ")), theme.warning()),
        ]));
    }
    for e in &live.errors {
        out.push(Line::from(vec![
            Span::styled("  SDK error     ", theme.dim()),
            Span::styled(
                format!("✗ {}", terminal_safe(&sdk_error_label(e.code, &e.message))),
                theme.warning(),
            ),
        ]));
    }
    out.extend(chart_lines(&live.samples, theme));
    out
}

/// `MOS 4.21  jitter 12.3 ms  loss 0.4%  RTT 80 ms`, each figure coloured by its band.
fn quality_line(label: &str, q: &Quality, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(label.to_owned(), theme.dim())];
    let mut push = |text: String, band: Band| {
        spans.push(Span::styled(text, theme.quality(band)));
        spans.push(Span::raw("  "));
    };
    if let Some(mos) = q.mos {
        push(format!("MOS {mos:.2}"), quality::mos_band(mos));
    }
    if let Some(j) = q.jitter_ms {
        push(format!("jitter {j:.1} ms"), quality::jitter_band(j));
    }
    if let Some(l) = q.loss_pct {
        push(
            format!("loss {}", quality::loss_text(l)),
            quality::loss_band(l),
        );
    }
    if let Some(rtt) = q.rtt_ms {
        push(format!("RTT {rtt:.0} ms"), Band::NoData);
    }
    spans.pop();
    Line::from(spans)
}

/// One figure of the charts: its name, how to read it from a sample, which way is worse, its
/// band, and its scale (bottom, and top given the largest value seen).
struct Figure {
    name: &'static str,
    bottom: f64,
    read: fn(&Sample) -> Option<f64>,
    higher_is_worse: bool,
    band: fn(f64) -> Band,
    text: fn(f64) -> String,
    top: fn(f64) -> f64,
}

const FIGURES: [Figure; 3] = [
    Figure {
        name: "MOS",
        // MOS runs from 1 (bad) to about 4.5.
        bottom: 1.0,
        read: Sample::mos,
        higher_is_worse: false,
        band: quality::mos_band,
        text: |v| format!("{v:.2}"),
        top: |_| 4.5,
    },
    Figure {
        name: "jitter",
        bottom: 0.0,
        read: Sample::jitter_ms,
        higher_is_worse: true,
        band: quality::jitter_band,
        text: |v| format!("{v:.0} ms"),
        top: |max| max.max(quality::JITTER_POOR_MS * 2.0),
    },
    Figure {
        name: "loss",
        bottom: 0.0,
        read: Sample::loss_pct,
        higher_is_worse: true,
        band: quality::loss_band,
        text: quality::loss_text,
        top: |max| max.max(quality::LOSS_POOR_PCT * 5.0),
    },
];

/// Charts of MOS, jitter and loss for each edge with samples, over the call: every column is
/// the same slice of time on every chart, showing the worst value of either direction in it,
/// coloured by its band; the figure after each chart is the latest, then the worst.
fn chart_lines(samples: &[Sample], theme: &Theme) -> Vec<Line<'static>> {
    let timed: Vec<&Sample> = samples.iter().filter(|s| s.time_ns > 0).collect();
    let (Some(first), Some(last)) = (timed.first(), timed.last()) else {
        return Vec::new();
    };
    let (t0, t1) = (first.time_ns, last.time_ns);
    let mut times: Vec<i64> = timed.iter().map(|s| s.time_ns).collect();
    times.dedup();
    let columns = times.len().clamp(1, CHART_WIDTH);
    let span = i128::from(t1 - t0) + 1;
    let column_of = |t: i64| {
        let at = i128::from(t - t0) * columns as i128 / span;
        usize::try_from(at).unwrap_or(0).min(columns - 1)
    };
    let mut out = vec![Line::from(Span::styled(
        format!(
            "  per edge, {} → {}, worst of both directions; latest (worst)",
            clock_of_ns(t0),
            clock_of_ns(t1)
        ),
        theme.dim(),
    ))];
    for edge in [
        EdgeKind::Carrier,
        EdgeKind::Sip,
        EdgeKind::Client,
        EdgeKind::Sdk,
    ] {
        let of_edge: Vec<&&Sample> = timed.iter().filter(|s| s.edge == edge).collect();
        let mut label = edge.label();
        for figure in &FIGURES {
            let mut cells: Vec<Option<f64>> = vec![None; columns];
            let (mut latest, mut worst) = (None, None::<f64>);
            for s in &of_edge {
                let Some(v) = (figure.read)(s) else { continue };
                let cell = &mut cells[column_of(s.time_ns)];
                let pick = |a: f64, b: f64| {
                    if figure.higher_is_worse {
                        a.max(b)
                    } else {
                        a.min(b)
                    }
                };
                *cell = Some(cell.map_or(v, |c| pick(c, v)));
                worst = Some(worst.map_or(v, |w| pick(w, v)));
                latest = Some(v);
            }
            let (Some(latest), Some(worst)) = (latest, worst) else {
                continue;
            };
            let max = cells.iter().flatten().copied().fold(0.0, f64::max);
            let top = (figure.top)(max);
            let mut spans = vec![Span::styled(
                format!("  {label:<8}{:<7}", figure.name),
                theme.dim(),
            )];
            label = "";
            let mut run = String::new();
            let mut run_band = None;
            for cell in &cells {
                let (ch, band) = match cell {
                    Some(v) => {
                        let height = (v - figure.bottom) / (top - figure.bottom);
                        let level = (height * 7.0).round().clamp(0.0, 7.0) as usize;
                        (BLOCKS[level], (figure.band)(*v))
                    }
                    None => (' ', Band::NoData),
                };
                if run_band.is_some_and(|b| b != band) {
                    let b = run_band.unwrap_or(Band::NoData);
                    spans.push(Span::styled(std::mem::take(&mut run), theme.quality(b)));
                }
                run_band = Some(band);
                run.push(ch);
            }
            if let Some(b) = run_band {
                spans.push(Span::styled(run, theme.quality(b)));
            }
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                (figure.text)(latest),
                theme.quality((figure.band)(latest)),
            ));
            spans.push(Span::styled(
                format!(" ({})", (figure.text)(worst)),
                theme.quality((figure.band)(worst)),
            ));
            out.push(Line::from(spans));
        }
    }
    out
}

/// The timeline of progress and Voice SDK events, by their own timestamps, with the time since
/// the first one.
fn timeline_lines(live: &LiveState, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![section(
        "Timeline (progress and SDK events, by their own time)",
        theme,
    )];
    if live.timeline.is_empty() {
        out.push(Line::raw(
            "  no progress or SDK event yet (quality samples only)",
        ));
    }
    let start = live.timeline.first().map_or(0, |e| e.time_ns);
    for (i, e) in live.timeline.iter().enumerate() {
        if i == crate::calls::live::TIMELINE_HEAD && live.timeline_dropped > 0 {
            out.push(Line::from(Span::styled(
                format!(
                    "  … {} events not kept (a call keeps its first and latest ones)",
                    live.timeline_dropped
                ),
                theme.dim(),
            )));
        }
        let when = if e.time_ns > 0 {
            format!(
                "{} +{:<6}",
                clock_of_ns(e.time_ns),
                clock_duration(Duration::from_nanos(
                    u64::try_from(e.time_ns.saturating_sub(start)).unwrap_or(0)
                ))
            )
        } else {
            format!("{:<16}", "(no time)")
        };
        let name = terminal_safe(&e.name).into_owned();
        let (what, style) = match (&e.signal, e.progress_state()) {
            (Signal::Progress, Some(state)) if state.as_str() != name => (
                format!("{name} → {}", state.as_str()),
                theme.call_state(state.as_str()),
            ),
            (Signal::Progress, Some(state)) => (name, theme.call_state(state.as_str())),
            (Signal::Progress, None) => (name, ratatui::style::Style::new()),
            (Signal::WarningRaised, _) => (format!("⚠ {name} raised"), theme.warning()),
            (Signal::WarningCleared, _) => (format!("{name} cleared"), theme.good()),
            (Signal::Error(code), _) => {
                let code = code.map(i64::from);
                // The SDK's own message, from the error it was kept with.
                let message = live
                    .errors
                    .iter()
                    .find(|err| err.code == code && !err.message.is_empty())
                    .map_or("", |err| err.message.as_str());
                (
                    format!("✗ {}", terminal_safe(&sdk_error_label(code, message))),
                    theme.warning(),
                )
            }
            (Signal::Other, _) => (name, ratatui::style::Style::new()),
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {when}"), theme.dim()),
            Span::styled(
                format!("{:<9}", if e.sdk { "sdk" } else { "progress" }),
                theme.dim(),
            ),
            Span::styled(what, style),
        ]));
    }
    out
}

/// The wall-clock time of a Unix-nanosecond timestamp, as the table shows times.
fn clock_of_ns(ns: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_nanos(u64::try_from(ns).unwrap_or(0));
    crate::timestamp::clock(t)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_clocks() {
        assert_eq!(clock_duration(Duration::from_secs(7)), "0:07");
        assert_eq!(clock_duration(Duration::from_secs(754)), "12:34");
        assert_eq!(clock_duration(Duration::from_secs(3723)), "1:02:03");
    }
}
