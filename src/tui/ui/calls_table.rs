//! The calls table, newest call first. Only the rows on screen are built, so a frame costs
//! the same with ten calls or a hundred thousand. Each column is as wide as its longest value
//! on screen, within its bounds ([`crate::tui::columns::layout`]); columns that do not fit the
//! width are dropped by priority (state and SID stay; tags and direction go first), and a
//! value cut to fit ends with `…`. The line under the table shows the selected call's values
//! whole.
//!
//! ```text
//! STARTED↓ CALL SID    FROM → TO      STATE     ...  FROM CARRIER   Q.850
//! 08:00:01 CA1234…cdef +3369… → +1212 completed ...  AT&T Wireless  16 Normal call clearing
//! ...
//! CA1234…full SID · started 08:00:01 · … · AT&T Wireless → Verizon Wireless · 200 OK
//! ```
use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::calls::quality;
use crate::calls::store::CallRecord;
use crate::text::terminal_safe;
use crate::tui::app::App;
pub use crate::tui::call_text::{IN_PROGRESS_MARK, clock_duration, running_for};
pub use crate::tui::columns::{
    COLUMNS, Column, Placed, column_at, fit_columns, rows_on_screen, sort_for_column,
    sorted_column, split,
};
use crate::tui::theme::Theme;
use crate::twilio::codes::{q850_label, sip_label};

/// The first row shown: the selected row stays on screen.
pub fn first_row_shown(app: &App, rows_on_screen: usize) -> usize {
    app.selected_index()
        .saturating_sub(rows_on_screen.saturating_sub(1))
}

/// The calls on screen, from the first shown.
fn records_on_screen(app: &App, rows_on_screen: usize) -> Vec<&CallRecord> {
    let store = &app.session.store;
    let offset = first_row_shown(app, rows_on_screen).min(app.rows.len());
    app.rows[offset..]
        .iter()
        .take(rows_on_screen)
        .filter_map(|&id| store.by_id(id))
        .collect()
}

/// The columns placed for the view at `area`, as [`draw`] places them: the run loop keeps
/// them in [`App::placed_columns`] for the mouse and `s`.
pub fn layout(app: &App, area: Rect) -> Vec<Placed> {
    let records = records_on_screen(app, rows_on_screen(area));
    let texts: Vec<Vec<Cow<'_, str>>> = records
        .iter()
        .map(|r| app.columns.iter().map(|&c| value(r, c, app)).collect())
        .collect();
    place(app, split(area).0.width, &texts)
}

/// [`crate::tui::columns::layout`] with the widest of `texts` (one row of values per call on
/// screen, in [`App::columns`] order) for each column.
fn place(app: &App, width: u16, texts: &[Vec<Cow<'_, str>>]) -> Vec<Placed> {
    let marked = sorted_column(app.sort.0);
    crate::tui::columns::layout(&app.columns, width, app.wide, Some(marked), |c| {
        let Some(i) = app.columns.iter().position(|&x| x == c) else {
            return 0;
        };
        let widest = texts
            .iter()
            .map(|row| row.get(i).map_or(0, |t| t.chars().count()))
            .max()
            .unwrap_or(0);
        u16::try_from(widest).unwrap_or(u16::MAX)
    })
}

/// Draws the table and, under it, the selected call's values.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let (table_area, status_area) = split(area);
    let rows_on_screen = usize::from(table_area.height.saturating_sub(1));

    if app.rows.is_empty() {
        let header = header_row(&place(app, table_area.width, &[]), &theme, app);
        let store = &app.session.store;
        let refused = crate::ingest::ListenerStats::get(&app.stats.rejected);
        let text = if store.is_empty() && refused > 0 {
            "No call yet: the deliveries so far were refused (the header says why; Tab lists each one)."
        } else if store.is_empty() {
            "Waiting for the first delivery…  (Twilio sends call summaries minutes after a call \
             ends; `callwatch send` or a Sink Test sends one now)"
        } else {
            "No call matches the filter.  (Esc clears it, / edits it)"
        };
        let table = Table::new(Vec::<Row>::new(), [Constraint::Fill(1)]).header(header);
        frame.render_widget(table, area);
        // Under the titles, wrapped to the width rather than cut at the edge.
        let below = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        };
        let lines: Vec<Line> = crate::tui::wrap::wrap(text, usize::from(area.width), 2)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.dim())))
            .collect();
        frame.render_widget(ratatui::widgets::Paragraph::new(lines), below);
        return;
    }

    let selected = app.selected_index();
    let offset = first_row_shown(app, rows_on_screen);
    let records = records_on_screen(app, rows_on_screen);
    // Every chosen column's values of the rows on screen: their widths decide the layout.
    let texts: Vec<Vec<Cow<'_, str>>> = records
        .iter()
        .map(|r| app.columns.iter().map(|&c| value(r, c, app)).collect())
        .collect();
    let placed = place(app, table_area.width, &texts);
    let header = header_row(&placed, &theme, app);
    let rows: Vec<Row> = records
        .iter()
        .zip(&texts)
        .enumerate()
        .map(|(i, (record, values))| {
            let cells = placed.iter().map(|p| {
                let text = app
                    .columns
                    .iter()
                    .position(|&c| c == p.column)
                    .and_then(|j| values.get(j))
                    .map_or("", |t| t.as_ref());
                cell(record, p.column, text, p.width, &theme)
            });
            let row = Row::new(cells);
            if offset + i == selected {
                row.style(theme.selected())
            } else if record.is_stale() {
                // A replay of a captured delivery, older than Twilio's retry horizon.
                row.style(theme.dim())
            } else {
                row
            }
        })
        .collect();

    let widths: Vec<Constraint> = placed
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i + 1 == placed.len() {
                Constraint::Min(p.width)
            } else {
                Constraint::Length(p.width)
            }
        })
        .collect();
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, table_area);

    if status_area.height > 0
        && let Some(record) = app
            .rows
            .get(selected)
            .and_then(|&id| app.session.store.by_id(id))
    {
        let line = fit(&status_line(record, app), usize::from(status_area.width));
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(line, theme.dim()))),
            status_area,
        );
    }
}

/// The selected call's values, whole, on one line: what a narrow column cut or dropped.
pub fn status_line(record: &CallRecord, app: &App) -> String {
    let s = &record.summary;
    let p = &s.properties;
    // What narrow columns cut or drop first, the clocks (always on screen) last.
    let mut parts: Vec<String> = vec![
        s.call_sid.clone(),
        format!(
            "carriers {} → {}",
            dash(&s.from.carrier),
            dash(&s.to.carrier)
        ),
    ];
    let q850 = q850_label(p.q850_cause);
    if !q850.is_empty() {
        parts.push(format!("Q.850 {q850}"));
    }
    let sip = sip_label(p.last_sip_response_num);
    if !sip.is_empty() {
        parts.push(format!("SIP {sip}"));
    }
    parts.push(format!(
        "{} → {}",
        maybe_mask(dash(&s.from.caller), app.mask),
        maybe_mask(dash(&s.to.callee), app.mask)
    ));
    parts.push(format!(
        "started {}",
        crate::timestamp::clock(record.started_at())
    ));
    parts.push(format!(
        "updated {}",
        crate::timestamp::clock(record.updated_at)
    ));
    if !s.tags.is_empty() {
        parts.push(format!("tags {}", s.tags.join(",")));
    }
    terminal_safe(&parts.join(" · ")).into_owned()
}

fn header_row(placed: &[Placed], theme: &Theme, app: &App) -> Row<'static> {
    let (sort, descending) = app.sort;
    let marked = sorted_column(sort);
    Row::new(placed.iter().map(|p| {
        let title = p.column.title();
        if p.column == marked {
            Cell::from(format!("{title}{}", if descending { "↓" } else { "↑" }))
        } else {
            Cell::from(title)
        }
    }))
    .style(theme.title())
}

/// A column's value for a call, whole, escaped for the terminal: what the cell shows when it
/// is wide enough, and what its width is measured on.
fn value<'a>(record: &'a CallRecord, col: Column, app: &App) -> Cow<'a, str> {
    let s = &record.summary;
    let p = &s.properties;
    // Borrowed where the record already holds the text: a frame builds some 900 cells, and
    // a copy of each was a good part of drawing one.
    let text: Cow<'a, str> = match col {
        Column::Started => return crate::timestamp::clock(record.started_at()).into(),
        Column::Updated => return crate::timestamp::clock(record.updated_at).into(),
        // ✎: a person annotated the call (Voice Insights API).
        Column::Sid
            if app
                .insights
                .as_ref()
                .is_some_and(|i| i.is_annotated(&s.call_sid)) =>
        {
            format!("✎{}", short_sid(&terminal_safe(&s.call_sid))).into()
        }
        Column::Sid => short_sid(&terminal_safe(&s.call_sid)).into(),
        Column::Direction => short_direction(p.direction.as_str()).into(),
        Column::FromTo => format!(
            "{} → {}",
            maybe_mask(dash(&s.from.caller), app.mask),
            maybe_mask(dash(&s.to.callee), app.mask)
        )
        .into(),
        Column::CallType => s.call_type.as_str().into(),
        // Once a demo's simulation has ended, no call it left answered runs on: its clock
        // stops there.
        Column::State => match running_for(record, clock_until(app)) {
            // A call in progress: the mark and how long it has been going.
            Some(running) => format!("{IN_PROGRESS_MARK} {}", clock_duration(running)).into(),
            None => dash(s.call_state.as_str()).into(),
        },
        Column::Quality => match quality::of_record(record) {
            Some(q) => quality::short_text(q).into(),
            None => "".into(),
        },
        Column::Processing => record.stage_label().into(),
        Column::Duration => s
            .duration
            .map(|d| format!("{d}s"))
            .unwrap_or_default()
            .into(),
        Column::Pdd => p
            .pdd_ms
            .map(|d| format!("{d}ms"))
            .unwrap_or_default()
            .into(),
        Column::FromCarrier => s.from.carrier.as_str().into(),
        Column::ToCarrier => s.to.carrier.as_str().into(),
        Column::Hangup => match p.disconnected_by.as_str() {
            "unknown_disconnected_by" => "".into(),
            other => other.into(),
        },
        Column::Q850 => q850_label(p.q850_cause).into(),
        Column::Sip => sip_label(p.last_sip_response_num).into(),
        Column::Tags => s.tags.join(",").into(),
    };
    // Every column but the clocks shows what a delivery or a recording said.
    match terminal_safe(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => Cow::Owned(escaped),
    }
}

/// One cell: `text` (see [`value`]) cut to `width` with `…`, styled for its column.
fn cell<'a>(
    record: &CallRecord,
    col: Column,
    text: &'a str,
    width: u16,
    theme: &Theme,
) -> Cell<'a> {
    let shown = shown(text, usize::from(width));
    match col {
        Column::State => Cell::from(Span::styled(
            shown,
            theme.call_state(record.summary.call_state.as_str()),
        )),
        Column::Quality => match quality::of_record(record) {
            Some(q) => Cell::from(Span::styled(shown, theme.quality(quality::band(q)))),
            None => Cell::from(""),
        },
        _ => Cell::from(shown),
    }
}

/// `text` cut to `width` characters, as [`fit`] cuts, copied only when cut.
fn shown(text: &str, width: usize) -> Cow<'_, str> {
    if text.chars().count() <= width {
        Cow::Borrowed(text)
    } else {
        fit(text, width).into()
    }
}

fn maybe_mask(text: &str, mask: bool) -> String {
    crate::output::mask::maybe(text, mask).into_owned()
}

/// Directions in eight characters.
pub fn short_direction(direction: &str) -> &str {
    match direction {
        "inbound" => "in",
        "outbound_api" => "out-api",
        "outbound_dial" => "out-dial",
        "trunking_originating" => "trk-orig",
        "trunking_terminating" => "trk-term",
        other => other,
    }
}

/// `CA1234…cdef`: enough to tell calls apart and find them in Console.
pub fn short_sid(sid: &str) -> String {
    if sid.len() > 11 && sid.is_ascii() {
        format!("{}…{}", &sid[..6], &sid[sid.len() - 4..])
    } else {
        sid.to_owned()
    }
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Until when a call in progress has been running: now, or when a demo's simulation ended.
fn clock_until(app: &App) -> std::time::SystemTime {
    let ended = app
        .header
        .simulation_end
        .as_deref()
        .and_then(|e| e.ended_at());
    ended.map_or(app.now, |end| end.min(app.now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_marks_cuts() {
        assert_eq!(fit("Normal call clearing", 8), "Normal …");
        assert_eq!(fit("busy", 8), "busy");
        assert_eq!(
            short_sid("CA0123456789abcdef0123456789abcdef"),
            "CA0123…cdef"
        );
    }
}
