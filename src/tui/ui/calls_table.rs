//! The calls table, newest update first. Only the rows on screen are built, so a frame costs
//! the same with ten calls or a hundred thousand. Columns that do not fit the width are dropped
//! by priority (state and SID stay; tags and direction go first).

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::calls::quality;
use crate::calls::store::CallRecord;
use crate::text::terminal_safe;
use crate::tui::app::App;
pub use crate::tui::call_text::{IN_PROGRESS_MARK, clock_duration, running_for};
pub use crate::tui::columns::{
    COLUMNS, Column, column_at, fit_columns, sort_for_column, sorted_column, visible_columns,
};
use crate::tui::theme::Theme;
use crate::twilio::codes::{q850_label, sip_label};

/// Draws the table.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let columns = visible_columns(area.width);
    let rows_on_screen = usize::from(area.height.saturating_sub(1));
    let header = header_row(&columns, &theme, app);

    let store = &app.session.store;
    if app.rows.is_empty() {
        let refused = crate::ingest::ListenerStats::get(&app.stats.rejected);
        let text = if store.is_empty() && refused > 0 {
            "No call yet: the deliveries so far were refused (the header says why; Tab lists each one)."
        } else if store.is_empty() {
            "Waiting for the first delivery…  (Twilio sends call summaries minutes after a call \
             ends; `callwatch send` or a Sink Test sends one now)"
        } else {
            "No call matches the filter.  (Esc clears it, / edits it)"
        };
        let line = Line::from(Span::styled(text, theme.dim()));
        let table =
            Table::new([Row::new([Cell::from(line)])], [Constraint::Fill(1)]).header(header);
        frame.render_widget(table, area);
        return;
    }

    let selected = app.selected_index();
    let offset = selected.saturating_sub(rows_on_screen.saturating_sub(1));
    let rows: Vec<Row> = app.rows[offset..]
        .iter()
        .take(rows_on_screen)
        .enumerate()
        .filter_map(|(i, &id)| store.by_id(id).map(|record| (i, record)))
        .map(|(i, record)| {
            let row = Row::new(
                columns
                    .iter()
                    .map(|&(col, _, w)| cell(record, col, w, &theme, app)),
            );
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

    let widths: Vec<Constraint> = columns
        .iter()
        .enumerate()
        .map(|(i, &(_, _, w))| {
            if i + 1 == columns.len() {
                Constraint::Min(w)
            } else {
                Constraint::Length(w)
            }
        })
        .collect();
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, area);
}

fn header_row(columns: &[(Column, &'static str, u16)], theme: &Theme, app: &App) -> Row<'static> {
    let (sort, descending) = app.sort;
    let marked = sorted_column(sort);
    Row::new(columns.iter().map(|&(col, title, _)| {
        if col == marked {
            Cell::from(format!("{title}{}", if descending { "↓" } else { "↑" }))
        } else {
            Cell::from(title)
        }
    }))
    .style(theme.title())
}

fn cell<'a>(record: &'a CallRecord, col: Column, width: u16, theme: &Theme, app: &App) -> Cell<'a> {
    let mask = app.mask;
    let s = &record.summary;
    let p = &s.properties;
    let w = usize::from(width);
    // Borrowed where the record already holds the text: a frame builds some 900 cells, and
    // a copy of each was a good part of drawing one.
    let text: Cow<'a, str> = match col {
        Column::Time => crate::timestamp::clock(record.updated_at).into(),
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
            maybe_mask(dash(&s.from.caller), mask),
            maybe_mask(dash(&s.to.callee), mask)
        )
        .into(),
        Column::CallType => s.call_type.as_str().into(),
        Column::State => {
            let state = s.call_state.as_str();
            // A call in progress: the mark and how long it has been going.
            if let Some(running) = running_for(record, app.now) {
                let shown = fit(
                    &format!("{IN_PROGRESS_MARK} {}", clock_duration(running)),
                    w,
                );
                return Cell::from(Span::styled(shown, theme.call_state(state)));
            }
            let shown = fit(&terminal_safe(dash(state)), w);
            return Cell::from(Span::styled(shown, theme.call_state(state)));
        }
        Column::Quality => {
            let Some(q) = quality::of_record(record) else {
                return Cell::from("");
            };
            let shown = fit(&quality::short_text(q), w);
            return Cell::from(Span::styled(shown, theme.quality(quality::band(q))));
        }
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
    // Every column but the clock shows what a delivery or a recording said.
    Cell::from(shown(text, w))
}

/// `text` escaped for the terminal and cut to `width` characters, as [`fit`] cuts, copied
/// only when either changes it.
fn shown(text: Cow<'_, str>, width: usize) -> Cow<'_, str> {
    let text = match terminal_safe(&text) {
        Cow::Borrowed(_) => None,
        Cow::Owned(escaped) => Some(escaped),
    }
    .map_or(text, Cow::Owned);
    if text.chars().count() <= width {
        text
    } else {
        fit(&text, width).into()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_screens_keep_the_important_columns() {
        let cols: Vec<Column> = visible_columns(78).into_iter().map(|c| c.0).collect();
        assert!(cols.contains(&Column::State));
        assert!(cols.contains(&Column::Sid));
        assert!(!cols.contains(&Column::Tags));
        let total: u16 = visible_columns(78).iter().map(|c| c.2 + 1).sum();
        assert!(total <= 79, "{total}");
        assert_eq!(visible_columns(400).len(), COLUMNS.len());
    }

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
