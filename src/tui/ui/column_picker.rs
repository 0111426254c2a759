//! The column picker overlay (`c`): every column of the calls table, shown ones marked, in
//! display order, the line under the cursor highlighted; the keys under the list.
//!
//! ```text
//! ┌ columns ─────────────────────────────────────────┐
//! │ [x] STARTED        started                       │
//! │ [x] CALL SID       sid                           │
//! │ [ ] UPDATED        updated                       │
//! │ ↑↓ move  Space show/hide  K/J move column  Enter │
//! └──────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::picker::ColumnPicker;
use crate::tui::theme::Theme;

/// Draws the picker in `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, picker: &ColumnPicker) {
    let theme = Theme::new(app.header.color);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" columns of the calls table ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let list_rows = usize::from(inner.height - 1);
    // The cursor stays on screen on short terminals.
    let first = picker.cursor.saturating_sub(list_rows.saturating_sub(1));
    let mut lines: Vec<Line> = picker
        .items
        .iter()
        .enumerate()
        .skip(first)
        .take(list_rows)
        .map(|(i, (column, shown))| {
            let text = format!(
                "{} {:<14} {}",
                if *shown { "[x]" } else { "[ ]" },
                column.title(),
                column.name()
            );
            if i == picker.cursor {
                Line::from(Span::styled(text, theme.selected()))
            } else if *shown {
                Line::from(text)
            } else {
                Line::from(Span::styled(text, theme.dim()))
            }
        })
        .collect();
    while lines.len() < list_rows {
        lines.push(Line::default());
    }
    lines.push(Line::from(vec![
        Span::styled("↑↓", theme.key()),
        Span::raw(" line  "),
        Span::styled("Space", theme.key()),
        Span::raw(" show/hide  "),
        Span::styled("K J", theme.key()),
        Span::raw(" move up/down  "),
        Span::styled("Enter", theme.key()),
        Span::raw(" done (saved)"),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}
