//! The deliveries view: every request to the events path (the last 1,000), newest first —
//! time, status, verdict, the call it is about, events, path, size and handling time — like
//! ngrok's inspector, narrowed by its own filter ([`crate::tui::delivery_filter`], `/` here).
//! Refused rows are marked so a signature problem stands out. Below the table, the Debugger's
//! alerts about the sink: deliveries Twilio could not make.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::ingest::Delivery;
use crate::ingest::forward::ForwardState;
use crate::text::terminal_safe;
use crate::tui::app::App;
use crate::tui::ui::calls_table::fit;
use crate::tui::ui::header::MIN_TABLE_ROWS;
use crate::tui::ui::theme::Theme;

/// Columns: title, width, priority (1 = kept longest on narrow screens). The call SID is
/// shortened (`CA0123…cdef`) unless the screen is [`FULL_SID_WIDTH`] wide.
const COLUMNS: [(Col, &str, u16, u8); 10] = [
    (Col::Time, "TIME", 8, 2),
    (Col::Method, "METHOD", 6, 9),
    (Col::Status, "STATUS", 6, 1),
    (Col::Verdict, "VERDICT", 17, 3),
    (Col::Sid, "CALL SID", 14, 4),
    (Col::Events, "EVENTS", 20, 6),
    (Col::Path, "PATH", 8, 7),
    (Col::Size, "SIZE", 7, 8),
    (Col::Took, "TOOK", 7, 10),
    (Col::Why, "WHY", 20, 5),
];

/// Screens at least this wide show whole call SIDs (34 characters).
const FULL_SID_WIDTH: u16 = 150;

/// With `--forward-to`: where each delivery's forward ended (`→ 200 12 ms`).
const FORWARD_COLUMN: (Col, &str, u16, u8) = (Col::Forward, "FORWARD", 22, 3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Time,
    Method,
    Status,
    Verdict,
    Events,
    Size,
    Took,
    Why,
    Forward,
    Sid,
    Path,
}

/// Newest Debugger alerts listed under the table, at most.
const ALERT_LINES: usize = 4;

/// Draws the deliveries table, and under it the Debugger alerts about the sink when there are
/// some: Twilio's failed deliveries never reach the listener, so they are rows of their own.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let area = draw_alerts(frame, area, app, &theme);
    let mut all = COLUMNS.to_vec();
    if area.width >= FULL_SID_WIDTH
        && let Some(sid) = all.iter_mut().find(|c| c.0 == Col::Sid)
    {
        sid.2 = 34;
    }
    if app.header.forward.is_some() {
        all.insert(5, FORWARD_COLUMN);
    }
    let columns = crate::tui::ui::calls_table::fit_columns(&all, area.width);
    let header = Row::new(columns.iter().map(|(_, t, _)| Cell::from(*t))).style(theme.title());
    let widths: Vec<Constraint> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, _, w))| {
            if i + 1 == columns.len() {
                Constraint::Min(*w)
            } else {
                Constraint::Length(*w)
            }
        })
        .collect();
    let log = &app.session.deliveries;
    let shown = app.shown_deliveries().count();
    if shown == 0 {
        let text = match &app.delivery_filter {
            Some(f) if !log.is_empty() => format!(
                "No delivery matches `{}` ({} in the log). Esc clears the filter.",
                f.text(),
                log.len()
            ),
            _ => "No request has reached the events path yet. If Twilio says it delivered, check \
                  that the tunnel forwards to this port and path."
                .to_owned(),
        };
        let line = Line::from(Span::styled(terminal_safe(&text).into_owned(), theme.dim()));
        let table =
            Table::new([Row::new([Cell::from(line)])], [Constraint::Fill(1)]).header(header);
        frame.render_widget(table, area);
        return;
    }
    let rows_on_screen = usize::from(area.height.saturating_sub(1));
    let selected = app.selected_delivery_index();
    let offset = selected.saturating_sub(rows_on_screen.saturating_sub(1));
    let rows: Vec<Row> = app
        .shown_deliveries()
        .skip(offset)
        .take(rows_on_screen)
        .enumerate()
        .map(|(i, d)| {
            let forward = app.header.forward.as_ref().map(|f| forward_text(f, d));
            let row = delivery_row(d, &theme, &columns, forward);
            if offset + i == selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

/// What the FORWARD column shows of `d`: its forward's outcome, `→ …` while it is on its way,
/// nothing for a delivery that is not forwarded (refused, duplicate).
pub fn forward_text(state: &ForwardState, d: &Delivery) -> String {
    match state.status_of(d.seq) {
        Some(status) => status.short(),
        None if d.verdict == crate::ingest::DeliveryVerdict::Ok => "→ …".to_owned(),
        None => String::new(),
    }
}

fn delivery_row<'a>(
    d: &'a Delivery,
    theme: &Theme,
    columns: &[(Col, &str, u16)],
    forward: Option<String>,
) -> Row<'a> {
    let verdict_style = if d.verdict.is_accepted() {
        theme.good()
    } else {
        theme.warning()
    };
    let events = if d.event_count == 0 {
        String::new()
    } else {
        let kinds: Vec<&str> = d.event_types.iter().map(|t| short_type(t)).collect();
        format!("{} {}", d.event_count, kinds.join(","))
    };
    let why = d
        .diagnosis
        .as_ref()
        .map(|diag| diag.hint.clone())
        .or_else(|| match &d.verdict {
            crate::ingest::DeliveryVerdict::Malformed(m) => Some(m.clone()),
            // A Kinesis record says where it was read: SHARD/SEQUENCE.
            _ if d.method == crate::ingest::KINESIS_METHOD => Some(d.path.clone()),
            _ => None,
        })
        .unwrap_or_default();
    // The method, event types and the hint (which quotes URLs and paths) are the sender's.
    let why = terminal_safe(&why).into_owned();
    let events = terminal_safe(&events).into_owned();
    Row::new(columns.iter().map(|&(col, _, w)| match col {
        Col::Time => Cell::from(crate::timestamp::clock(d.received_at)),
        // `KINESIS` does not fit the column: a record read from the stream.
        Col::Method if d.method == crate::ingest::KINESIS_METHOD => Cell::from("STREAM"),
        Col::Method => Cell::from(terminal_safe(&d.method)),
        Col::Status => Cell::from(Span::styled(d.status.to_string(), verdict_style)),
        Col::Verdict => Cell::from(Span::styled(d.verdict.as_str(), verdict_style)),
        Col::Events => Cell::from(fit(&events, usize::from(w))),
        Col::Size => Cell::from(human_size(d.body_len)),
        Col::Took => Cell::from(human_duration(d.handling)),
        Col::Why => Cell::from(why.clone()),
        Col::Sid => Cell::from(sid_text(&d.call_sids, w)),
        // A Kinesis record's path is SHARD/SEQUENCE: the shard fits (`shard 3`), WHY has both.
        Col::Path if d.method == crate::ingest::KINESIS_METHOD => {
            Cell::from(fit(&short_shard(&terminal_safe(&d.path)), usize::from(w)))
        }
        Col::Path => Cell::from(fit(&terminal_safe(&d.path), usize::from(w))),
        Col::Forward => {
            let text = forward.clone().unwrap_or_default();
            let style = if text.starts_with("→ 2") || text.ends_with('…') {
                theme.good()
            } else {
                theme.warning()
            };
            Cell::from(Span::styled(text, style))
        }
    }))
}

/// `shard 3` for `shardId-000000000003/4958…`: the shard a Kinesis record was read from, short
/// enough for the PATH column; any other path is kept as it is.
fn short_shard(path: &str) -> String {
    let shard = path.split('/').next().unwrap_or(path);
    match shard.strip_prefix("shardId-") {
        Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            let n = n.trim_start_matches('0');
            format!("shard {}", if n.is_empty() { "0" } else { n })
        }
        _ => shard.to_owned(),
    }
}

/// The call SIDs of a delivery in `width` columns: the first (shortened when the column is
/// narrow), and `+N` for the others.
fn sid_text(sids: &[String], width: u16) -> String {
    let Some(first) = sids.first() else {
        return String::new();
    };
    let room = usize::from(width).saturating_sub(if sids.len() > 1 { 3 } else { 0 });
    let shown = if room >= first.len() {
        first.clone()
    } else {
        crate::tui::ui::calls_table::short_sid(first)
    };
    // Only SIDs (`CA` and hex digits) are noted, but the body of a refused delivery named them.
    let shown = terminal_safe(&shown).into_owned();
    match sids.len() {
        1 => shown,
        n => format!("{shown} +{}", n - 1),
    }
}

/// Draws the newest alerts at the bottom of `area` (the table keeps [`MIN_TABLE_ROWS`] rows;
/// the header's problem line says when there are alerts) and returns what is left above them.
fn draw_alerts(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Rect {
    let alerts = &app.session.alerts.alerts;
    // Lines left once the table has its title and the rows the header leaves it.
    let room = usize::from(area.height.saturating_sub(1 + MIN_TABLE_ROWS));
    if alerts.is_empty() && app.header.alerts.is_some() && room > 0 {
        // Polled, nothing reported: said calmly here rather than on a header line.
        let [table, section] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        let mut line = vec![Line::from(Span::styled(
            app.session.alerts.summary(app.now),
            theme.dim(),
        ))];
        crate::tui::ui::escape_controls(&mut line);
        frame.render_widget(Paragraph::new(line), section);
        return table;
    }
    let shown = alerts.len().min(ALERT_LINES).min(room.saturating_sub(1));
    if shown == 0 {
        return area;
    }
    let height = u16::try_from(shown + 1).unwrap_or(u16::MAX);
    let [table, section] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(height)]).areas(area);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "Twilio Debugger: {} reported (newest first)",
            match alerts.len() {
                1 => "1 failed delivery to this sink".to_owned(),
                n => format!("{n} failed deliveries to this sink"),
            }
        ),
        theme.warning(),
    ))];
    for alert in alerts.iter().rev().take(shown) {
        let at = alert
            .generated_at
            .map_or_else(|| "--:--:--".to_owned(), crate::timestamp::clock);
        lines.push(Line::from(vec![
            Span::raw(format!("{at} ")),
            Span::styled(format!("{:<28} ", alert.code_and_label()), theme.warning()),
            Span::raw(alert.alert_text.clone()),
        ]));
    }
    crate::tui::ui::escape_controls(&mut lines);
    frame.render_widget(Paragraph::new(lines), section);
    table
}

pub use crate::tui::delivery_filter::short_type;

/// `812B`, `3.1kB`, `1.0MB`.
pub fn human_size(bytes: usize) -> String {
    match bytes {
        0..=999 => format!("{bytes}B"),
        1000..=999_999 => format!("{:.1}kB", bytes as f64 / 1000.0),
        _ => format!("{:.1}MB", bytes as f64 / 1_000_000.0),
    }
}

/// `85µs`, `1.2ms`.
pub fn human_duration(d: std::time::Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us}µs")
    } else {
        format!("{:.1}ms", us as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{short_shard, short_type};
    use crate::twilio::cloudevent::{COMPLETE_TYPE, INSIGHTS_TYPES, TEST_EVENT_TYPE};

    #[test]
    fn every_insights_type_has_a_short_name() {
        let short: Vec<&str> = INSIGHTS_TYPES.iter().map(|t| short_type(t)).collect();
        assert_eq!(
            short,
            [
                "progress",
                "sdk-event",
                "metrics",
                "sdk-metrics",
                "partial",
                "predicted-complete",
                "complete"
            ]
        );
        assert_eq!(short_type(COMPLETE_TYPE), "complete");
        assert_eq!(short_type(TEST_EVENT_TYPE), "test");
        assert_eq!(short_type("com.example.other"), "com.example.other");
    }

    #[test]
    fn a_kinesis_path_shows_its_shard_short() {
        assert_eq!(
            short_shard(
                "shardId-000000000003/49590338271490256608559692538361571095921575989136588898"
            ),
            "shard 3"
        );
        assert_eq!(short_shard("shardId-000000000000/1"), "shard 0");
        assert_eq!(short_shard("shardId-000000000012"), "shard 12");
        assert_eq!(short_shard("shardId-x/1"), "shardId-x");
    }
}
