//! Drawing: a pure function of `&App`. One module per screen region or view.
//!
//! ```text
//!  header: where we listen, the public URL, calls by state, deliveries, last delivery
//!  ⚠ one line per kind of problem (x dismisses, ! picks, Enter: its deliveries)
//!  tab_bar: calls 30 │ deliveries 92 │ stats          the current view's filter / sort
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
pub mod column_picker;
pub mod deliveries_table;
pub mod delivery_details;
pub mod header;
pub mod help;
pub mod stats_view;
pub mod tab_bar;
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
    /// The tab bar: the views, and the current one's controls.
    pub tabs: Rect,
    /// The view (table or stats).
    pub body: Rect,
    /// The filter line (zero height when not typing).
    pub filter_line: Rect,
    /// The hint bar.
    pub hints: Rect,
}

/// Splits the screen. The run loop uses the same function for mouse hit-testing.
pub fn areas(area: Rect, app: &App) -> Areas {
    let rows = |lines: usize| u16::try_from(lines).unwrap_or(u16::MAX);
    let filter_height = if app.editor.is_some() || app.resend_prompt.is_some() {
        1 + rows(editor_error_lines(app, area.width).len())
    } else {
        0
    };
    let hints_height = rows(notice_lines(app, area.width).map_or(1, |l| l.len()));
    let [header, tabs, body, filter_line, hints] = Layout::vertical([
        Constraint::Length(header::height(app, area)),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(filter_height),
        Constraint::Length(hints_height),
    ])
    .areas(area);
    Areas {
        header,
        tabs,
        body,
        filter_line,
        hints,
    }
}

/// At most this many rows for a notice or a filter error, so that the table keeps its rows.
const MESSAGE_ROWS_MAX: usize = 6;

/// The filter line's error, escaped and wrapped to `width` (empty when there is none).
fn editor_error_lines(app: &App, width: u16) -> Vec<String> {
    let err = match (&app.resend_prompt, &app.editor) {
        (Some(prompt), _) => prompt.error.as_deref(),
        (None, Some(editor)) => editor.error.as_deref(),
        (None, None) => None,
    };
    let Some(err) = err else {
        return Vec::new();
    };
    let text = format!("  {}", crate::text::terminal_safe(err));
    let mut lines = crate::tui::wrap::wrap(&text, usize::from(width), 4);
    lines.truncate(MESSAGE_ROWS_MAX);
    lines
}

/// The notice of the hint bar, escaped and wrapped to `width`; `None` when there is none.
fn notice_lines(app: &App, width: u16) -> Option<Vec<String>> {
    let notice = app.notice.as_ref()?;
    let text = crate::text::terminal_safe(&notice.text);
    let mut lines = crate::tui::wrap::wrap(&text, usize::from(width), 2);
    lines.truncate(MESSAGE_ROWS_MAX);
    Some(lines)
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
    tab_bar::draw(frame, a.tabs, app);
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
            Overlay::Copied {
                title,
                text,
                scroll,
            } => draw_copied(frame, popup, app, (title, text), *scroll),
            Overlay::ColumnPicker(picker) => column_picker::draw(frame, popup, app, picker),
        }
    }
    draw_filter_line(frame, a.filter_line, app);
    draw_hint_bar(frame, a.hints, app);
}

/// The text in a box, copied or to copy (`y`, `v`, `O`), escaped and wrapped.
fn draw_copied(frame: &mut Frame, area: Rect, app: &App, (title, text): (&str, &str), scroll: u16) {
    let theme = Theme::new(app.header.color);
    let title = format!(" {} — Esc closes ", crate::text::terminal_safe(title));
    let block = ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .title(Span::styled(title, theme.title()));
    // Cut at the width, every character kept, so that a selection across lines loses nothing.
    let safe = crate::text::terminal_safe_lines(text);
    let width = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = safe
        .lines()
        .flat_map(|l| crate::tui::wrap::wrap_exact(l, width))
        .map(Line::raw)
        .collect();
    let scroll = last_page(scroll, lines.len(), area);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

/// The filter line (`/`) or the resend prompt (`resend #N to URL:`), whichever is open.
fn draw_filter_line(frame: &mut Frame, area: Rect, app: &App) {
    let (label, input) = match (&app.resend_prompt, &app.editor) {
        (Some(prompt), _) => (format!("resend #{} to URL: ", prompt.seq), &prompt.input),
        (None, Some(editor)) => ("/ ".to_owned(), &editor.input),
        (None, None) => return,
    };
    let label_width = u16::try_from(crate::tui::wrap::width(&label)).unwrap_or(u16::MAX);
    if area.height == 0 || area.width < label_width + 3 {
        return;
    }
    let theme = Theme::new(app.header.color);
    let prompt = Rect {
        width: label_width,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label.trim_end().to_owned(), theme.key()),
            Span::raw(" "),
        ])),
        prompt,
    );
    // The text as shown (controls escaped), scrolled sideways so that the cursor stays on
    // screen; columns are display cells, so wide characters count twice.
    let field = Rect {
        x: area.x + label_width,
        width: area.width - label_width,
        height: 1,
        ..area
    };
    let text = crate::text::terminal_safe(input.value()).into_owned();
    let before: String = input.value().chars().take(input.cursor()).collect();
    let cursor_col = Span::raw(crate::text::terminal_safe(&before)).width();
    let last_col = usize::from(field.width - 1);
    let scroll = cursor_col.saturating_sub(last_col);
    frame.render_widget(
        Paragraph::new(Line::raw(text)).scroll((0, u16::try_from(scroll).unwrap_or(u16::MAX))),
        field,
    );
    let x = field.x + u16::try_from(cursor_col - scroll).unwrap_or(u16::MAX);
    frame.set_cursor_position((x.min(field.right() - 1), field.y));
    if area.height > 1 {
        let lines: Vec<Line> = editor_error_lines(app, area.width)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.warning())))
            .collect();
        let below = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        frame.render_widget(Paragraph::new(lines), below);
    }
}

fn draw_hint_bar(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    if let (Some(notice), Some(lines)) = (&app.notice, notice_lines(app, area.width)) {
        let style = if notice.is_error {
            theme.warning()
        } else {
            theme.good()
        };
        let lines: Vec<Line> = lines
            .into_iter()
            .map(|l| Line::from(Span::styled(l, style)))
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    if let Some((sid, editor)) = app.insights.as_ref().and_then(|i| i.form.as_ref()) {
        let error = app.insights.as_ref().and_then(|i| i.form_error.clone());
        draw_annotation_line(frame, area, &theme, sid, editor, error);
        return;
    }
    let hints = if app.resend_prompt.is_some() {
        vec![
            ("Enter", "send"),
            ("Esc", "cancel"),
            ("Ctrl-W/U/K", "delete"),
            ("Alt-B/F", "word"),
        ]
    } else if app.editor.is_some() {
        vec![
            ("Enter", "apply"),
            ("Esc", "clear"),
            ("↑↓", "history"),
            ("Ctrl-W/U/K", "delete"),
            ("Alt-B/F", "word"),
        ]
    } else {
        let mut hints = keys::hint_bar(app.context());
        // Call and delivery details share a context; a resend applies to a delivery only.
        if matches!(
            app.overlay,
            Some(
                crate::tui::app::Overlay::CallDetails { .. }
                    | crate::tui::app::Overlay::Copied { .. }
            )
        ) {
            hints.retain(|(key, _)| *key != "r");
        }
        hints
    };
    // Whole hints only: one that does not fit is left out rather than cut (? lists them all).
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, help) in hints {
        let key = format!(" {key} ");
        let help = format!(" {help}  ");
        let needed = crate::tui::wrap::width(&key) + crate::tui::wrap::width(help.trim_end());
        if used + needed > usize::from(area.width) {
            break;
        }
        used += needed + 2;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(help));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `scroll` held to the last page of `lines` lines in a bordered `area` (`G`/`End` ask for
/// far past the end: the last page shows rather than an empty box).
pub fn last_page(scroll: u16, lines: usize, area: Rect) -> u16 {
    let page = usize::from(area.height.saturating_sub(2));
    let last = u16::try_from(lines.saturating_sub(page)).unwrap_or(u16::MAX);
    scroll.min(last)
}

/// The data rows the table shows on this screen (for paging): the body less its title row.
pub fn table_rows(screen: Rect, app: &App) -> usize {
    let body = areas(screen, app).body;
    if app.view == View::Calls {
        // The calls view keeps a line for the selected call's values.
        return calls_table::rows_on_screen(body).max(1);
    }
    usize::from(body.height.saturating_sub(1)).max(1)
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
