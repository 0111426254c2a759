//! Drawing: a pure function of `&App`. One module per screen region or view.
//!
//! ```text
//! ┌ header: where we listen, the public URL, calls by state, deliveries, last delivery ┐
//! │ filter / sort / frozen / warnings                                                   │
//! └─────────────────────────────────────────────────────────────────────────────────────┘
//!  calls_table | deliveries_table | stats_view        (Tab cycles)
//!  ...                         ┌ call_details / delivery_details / help (overlays) ┐
//!  / filter line (while typing)
//!  hint bar: the keys of the current context, or a notice
//! ```
//!
//! Text from deliveries, recordings, Twilio's APIs and the keyboard reaches the screen escaped
//! by [`crate::text::terminal_safe`]: per cell in the tables, per line in the other regions
//! ([`escape_controls`]). ratatui drops C0 and C1 controls itself, but not bidi controls.

pub mod call_details;
pub mod calls_table;
pub mod deliveries_table;
pub mod delivery_details;
pub mod header;
pub mod help;
pub mod stats_view;
pub use super::theme;
pub use crate::text::escape_lines as escape_controls;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::tui::app::{App, Overlay, View};
use crate::tui::keys;
use theme::Theme;

/// The smallest screen the table is usable on.
pub const MIN_WIDTH: u16 = 60;
/// The smallest screen height.
pub const MIN_HEIGHT: u16 = 12;

/// Where each region goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The header block.
    pub header: Rect,
    /// The view (table or stats).
    pub body: Rect,
    /// The filter line (zero height when not typing).
    pub filter_line: Rect,
    /// The hint bar.
    pub hints: Rect,
}

/// Splits the screen. The run loop uses the same function for mouse hit-testing.
pub fn areas(area: Rect, app: &App) -> Areas {
    let filter_height = u16::from(app.editor.is_some()) * if has_editor_error(app) { 2 } else { 1 };
    let [header, body, filter_line, hints] = Layout::vertical([
        Constraint::Length(header::height(app, area.width)),
        Constraint::Min(3),
        Constraint::Length(filter_height),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        body,
        filter_line,
        hints,
    }
}

fn has_editor_error(app: &App) -> bool {
    app.editor.as_ref().is_some_and(|e| e.error.is_some())
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}×{}. callwatch needs at least {MIN_WIDTH}×{MIN_HEIGHT}; \
             enlarge the window (q quits).",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let a = areas(area, app);
    header::draw(frame, a.header, app);
    match app.view {
        View::Calls => calls_table::draw(frame, a.body, app),
        View::Deliveries => deliveries_table::draw(frame, a.body, app),
        View::Stats => stats_view::draw(frame, a.body, app),
    }
    if let Some(overlay) = &app.overlay {
        let popup = a.body.union(a.header);
        frame.render_widget(Clear, popup);
        match overlay {
            Overlay::CallDetails { id, scroll } => {
                call_details::draw(frame, popup, app, *id, *scroll)
            }
            Overlay::DeliveryDetails { seq, scroll } => {
                delivery_details::draw(frame, popup, app, *seq, *scroll)
            }
            Overlay::Help { scroll } => help::draw(frame, popup, app, *scroll),
        }
    }
    draw_filter_line(frame, a.filter_line, app);
    draw_hint_bar(frame, a.hints, app);
}

fn draw_filter_line(frame: &mut Frame, area: Rect, app: &App) {
    let Some(editor) = &app.editor else { return };
    if area.height == 0 || area.width < 3 {
        return;
    }
    let theme = Theme::new(app.header.color);
    let prompt = Rect {
        width: 2,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(" "),
        ])),
        prompt,
    );
    // The text as shown (controls escaped), scrolled sideways so that the cursor stays on
    // screen; columns are display cells, so wide characters count twice.
    let field = Rect {
        x: area.x + 2,
        width: area.width - 2,
        height: 1,
        ..area
    };
    let text = crate::text::terminal_safe(editor.text()).into_owned();
    let before: String = editor.text().chars().take(editor.cursor()).collect();
    let cursor_col = Span::raw(crate::text::terminal_safe(&before)).width();
    let last_col = usize::from(field.width - 1);
    let scroll = cursor_col.saturating_sub(last_col);
    frame.render_widget(
        Paragraph::new(Line::raw(text)).scroll((0, u16::try_from(scroll).unwrap_or(u16::MAX))),
        field,
    );
    let x = field.x + u16::try_from(cursor_col - scroll).unwrap_or(u16::MAX);
    frame.set_cursor_position((x.min(field.right() - 1), field.y));
    if let Some(err) = &editor.error
        && area.height > 1
    {
        let mut lines = vec![Line::from(Span::styled(
            format!("  {err}"),
            theme.warning(),
        ))];
        escape_controls(&mut lines);
        let below = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        frame.render_widget(Paragraph::new(lines), below);
    }
}

fn draw_hint_bar(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    if let Some(notice) = &app.notice {
        let style = if notice.is_error {
            theme.warning()
        } else {
            theme.good()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                crate::text::terminal_safe(&notice.text).into_owned(),
                style,
            )),
            area,
        );
        return;
    }
    if let Some((sid, editor)) = app.insights.as_ref().and_then(|i| i.form.as_ref()) {
        let error = app.insights.as_ref().and_then(|i| i.form_error.clone());
        draw_annotation_line(frame, area, &theme, sid, editor, error);
        return;
    }
    let hints = if app.editor.is_some() {
        vec![
            ("Enter", "apply"),
            ("Esc", "clear"),
            ("↑↓", "history"),
            ("Ctrl-W/U/K", "delete"),
            ("Alt-B/F", "word"),
        ]
    } else {
        keys::hint_bar(app.context())
    };
    let mut spans = Vec::new();
    for (key, help) in hints {
        spans.push(Span::styled(format!(" {key} "), theme.key()));
        spans.push(Span::raw(format!(" {help}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The data rows the table shows on this screen (for paging): the body less its title row.
pub fn table_rows(screen: Rect, app: &App) -> usize {
    usize::from(areas(screen, app).body.height.saturating_sub(1)).max(1)
}

/// The text of `lines`, one line each, without styles (for tests of what a view says).
#[cfg(test)]
pub(crate) fn plain_text(lines: &[ratatui::text::Line<'_>]) -> String {
    lines
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The annotation form `a` opens, in the hint bar's line: the call, the fields typed, and why
/// the last Enter was refused.
fn draw_annotation_line(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    sid: &str,
    editor: &tui_input::Input,
    error: Option<String>,
) {
    let prompt = format!(" annotate {} ", short_sid_for_form(sid));
    let text = crate::text::terminal_safe(editor.value()).into_owned();
    let before: String = editor.value().chars().take(editor.cursor()).collect();
    let cursor =
        Span::raw(prompt.clone()).width() + Span::raw(crate::text::terminal_safe(&before)).width();
    let mut spans = vec![Span::styled(prompt, theme.key()), Span::raw(text)];
    match error {
        Some(error) => spans.push(Span::styled(
            format!("  ⚠ {}", crate::text::terminal_safe(&error)),
            theme.warning(),
        )),
        None if editor.value().is_empty() => spans.push(Span::styled(
            "answered=human|machine connectivity=… quality=echo,latency spam=false score=1-5 incident=… comment=…  (Enter saves, Esc cancels)",
            theme.dim(),
        )),
        None => spans.push(Span::styled("  (Enter saves, Esc cancels)", theme.dim())),
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let x = area.x
        + u16::try_from(cursor)
            .unwrap_or(u16::MAX)
            .min(area.width.saturating_sub(1));
    frame.set_cursor_position((x, area.y));
}

fn short_sid_for_form(sid: &str) -> String {
    calls_table::short_sid(&crate::text::terminal_safe(sid))
}
