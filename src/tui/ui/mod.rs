//! Drawing: a pure function of `&App`. One module per screen region.
//!
//! ```text
//! ┌ header: where we listen, the public URL, calls by state, deliveries, last delivery ┐
//! └─────────────────────────────────────────────────────────────────────────────────────┘
//!  TIME  CALL SID  STATE  FROM → TO  ...               <- calls_table
//!  ...
//!  q quit  ↑/k previous call  ...                      <- hint bar
//! ```

pub mod calls_table;
pub mod header;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::App;
use crate::tui::keys;

/// The smallest screen the table is usable on.
pub const MIN_WIDTH: u16 = 60;
/// The smallest screen height.
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}×{}. callwatch needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return;
    }
    let [header_area, table_area, hint_area] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, header_area, app);
    calls_table::draw(frame, table_area, app);
    draw_hint_bar(frame, hint_area, app);
}

fn draw_hint_bar(frame: &mut Frame, area: Rect, app: &App) {
    let theme = theme::Theme::new(app.header.color);
    let mut spans = Vec::new();
    for (key, help) in keys::hint_bar() {
        spans.push(Span::styled(format!(" {key} "), theme.key()));
        spans.push(Span::raw(format!(" {help}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The rows the table can show in a screen of this height (for paging).
pub fn table_rows_for_height(height: u16) -> usize {
    // header, table header row, hint bar
    usize::from(height.saturating_sub(header::HEIGHT + 1 + 1 + 1))
}
