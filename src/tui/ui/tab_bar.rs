//! The tab bar between the header and the view: which views there are, with their counts,
//! the current one highlighted, and at the right the controls of that view only — the calls
//! table's filter, sort and freeze; the deliveries view's own filter; what the stats are over.
//!
//! ```text
//!  calls 30 │ deliveries 92 │ stats          filter state=fail  3 of 30  sort time ↓
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, View};
use crate::tui::ui::theme::Theme;

/// Draws the tab bar.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let mut spans = tabs(app, &theme);
    let used: usize = spans.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(used + 2);
    let mut right = controls(app, &theme, usize::MAX);
    let wanted: usize = right.iter().map(Span::width).sum();
    if wanted > room {
        // Cut the filter text (the only long part) so that the rest still shows.
        right = controls(app, &theme, filter_room(app, wanted - room));
    }
    let width: usize = right.iter().map(Span::width).sum();
    spans.push(Span::raw(" ".repeat(room.saturating_sub(width) + 2)));
    spans.extend(right);
    let mut line = vec![Line::from(spans)];
    // Filters are typed by the user; their text is escaped like any other.
    crate::tui::ui::escape_controls(&mut line);
    frame.render_widget(Paragraph::new(line), area);
}

/// ` calls 30 │ deliveries 92 │ stats `, the current view highlighted.
fn tabs(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    // The refused count is on the header's deliveries line.
    let deliveries = format!(" deliveries {} ", app.session.deliveries.len());
    let names = [
        (View::Calls, format!(" calls {} ", app.session.store.len())),
        (View::Deliveries, deliveries),
        (View::Stats, " stats ".to_owned()),
    ];
    let mut spans = Vec::new();
    for (i, (view, name)) in names.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", theme.dim()));
        }
        let style = if view == app.view {
            theme.selected().patch(theme.title())
        } else {
            theme.dim()
        };
        spans.push(Span::styled(name, style));
    }
    spans
}

/// How many characters of the filter text leave out `excess` columns (at least 8).
fn filter_room(app: &App, excess: usize) -> usize {
    let len = match app.view {
        View::Deliveries => app
            .delivery_filter
            .as_ref()
            .map(|f| f.text().chars().count()),
        View::Calls | View::Stats => app.filter.as_ref().map(|f| f.text().chars().count()),
    };
    len.unwrap_or(0).saturating_sub(excess).max(8)
}

/// The controls of the current view, the filter text cut to `filter_chars` characters.
fn controls(app: &App, theme: &Theme, filter_chars: usize) -> Vec<Span<'static>> {
    let cut = |text: &str| crate::tui::ui::calls_table::fit(text, filter_chars);
    let mut spans = Vec::new();
    match app.view {
        View::Calls => {
            let store = &app.session.store;
            match &app.filter {
                Some(f) => {
                    spans.push(Span::styled("filter ", theme.dim()));
                    spans.push(Span::raw(cut(f.text())));
                    spans.push(Span::raw(format!(
                        "  {} of {} calls",
                        app.rows.len(),
                        store.len()
                    )));
                }
                None => spans.push(Span::styled("no filter (/)", theme.dim())),
            }
            let (column, descending) = app.sort;
            spans.push(Span::styled("  sort ", theme.dim()));
            spans.push(Span::raw(format!(
                "{} {}",
                column.label(),
                if descending { "↓" } else { "↑" }
            )));
            if app.frozen.is_some() {
                spans.push(Span::styled(
                    format!("  frozen — {} new (Space resumes)", app.new_since_freeze()),
                    theme.warning(),
                ));
            }
        }
        View::Deliveries => match &app.delivery_filter {
            Some(f) => {
                spans.push(Span::styled("filter ", theme.dim()));
                spans.push(Span::raw(cut(f.text())));
                spans.push(Span::raw(format!(
                    "  {} of {}",
                    app.shown_deliveries().count(),
                    app.session.deliveries.len()
                )));
            }
            None => spans.push(Span::styled("no filter (/)", theme.dim())),
        },
        View::Stats => {
            let over = app.call_stats.as_ref().map_or(0, |(_, s)| s.calls);
            spans.push(Span::styled(format!("over {over} calls"), theme.dim()));
            if let Some(f) = &app.filter {
                spans.push(Span::styled("  filter ", theme.dim()));
                spans.push(Span::raw(cut(f.text())));
            }
        }
    }
    if app.mask {
        spans.push(Span::styled("  numbers masked", theme.dim()));
    }
    spans
}
