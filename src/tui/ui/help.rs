//! The help overlay (`?`): every key of the keymap with what it does and where, generated from
//! the same table that handles keys, plus the fields of the calls filter and of the
//! deliveries filter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::calls::quality;
use crate::tui::app::App;
use crate::tui::call_text::IN_PROGRESS_MARK;
use crate::tui::keys;
use crate::tui::ui::theme::Theme;

/// Draws the help overlay.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let theme = Theme::new(app.header.color);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" keys — ? or Esc closes ", theme.title()));
    let width = usize::from(area.width.saturating_sub(2));
    let lines = wrapped(&theme, width);
    let scroll = super::last_page(scroll, lines.len(), area);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

/// The text of the help overlay fitted to `width`: each line wraps under its description
/// (a hanging indent past the key column), no word cut.
pub fn wrapped(theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let keys = keys::help_lines();
    let mut all = lines(theme);
    // The key rows: where they would not fit, the contexts wrap in their own column.
    let rest = all.split_off(keys.len());
    let mut out = Vec::new();
    for ((_, _, contexts), line) in keys.iter().zip(all) {
        let column = 2 + 18 + help_column_width();
        if line.width() <= width || width < column + 12 {
            out.extend(crate::tui::wrap::wrap_line(&line, width, 20));
            continue;
        }
        let parts = crate::tui::wrap::wrap(contexts, width - column, 0);
        let mut first = line.spans[..2].to_vec();
        first.push(Span::styled(parts[0].clone(), theme.dim()));
        out.push(Line::from(first));
        for part in &parts[1..] {
            out.push(Line::from(Span::styled(
                format!("{}{part}", " ".repeat(column)),
                theme.dim(),
            )));
        }
    }
    out.extend(crate::tui::wrap::wrap_lines(&rest, width, 18));
    out
}

/// The width of the column saying what a key does: the longest, and two spaces.
fn help_column_width() -> usize {
    keys::help_lines()
        .iter()
        .map(|(_, help, _)| crate::tui::wrap::width(help) + 2)
        .max()
        .unwrap_or(0)
        .max(30)
}

/// The text of the help overlay.
pub fn lines(theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let help_width = help_column_width();
    for (keys, help, contexts) in keys::help_lines() {
        out.push(Line::from(vec![
            Span::styled(format!("  {keys:<18}"), theme.title()),
            Span::raw(format!("{help:<help_width$}")),
            Span::styled(contexts, theme.dim()),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "  Filter (/): field=value  field!=value  field~text  field>N  field<N  words  and or ! ( )",
        theme.title(),
    )));
    for (field, help) in crate::calls::filter::Filter::FIELDS {
        out.push(Line::from(vec![
            Span::styled(format!("    {field:<12}"), theme.dim()),
            Span::raw(*help),
        ]));
    }
    out.push(Line::raw(
        "    e.g.  state=fail carrier~vodafone      q850>30 or sip>=500      !tag=silence",
    ));
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "  Deliveries filter (/ in the deliveries view): the same joins, its own fields",
        theme.title(),
    )));
    for (field, help) in crate::tui::delivery_filter::FIELDS {
        out.push(Line::from(vec![
            Span::styled(format!("    {field:<12}"), theme.dim()),
            Span::raw(*help),
        ]));
    }
    out.push(Line::raw(
        "    e.g.  verdict!=ok      status>=400 path!=/events      sid=CA0123…",
    ));
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled(
        "  Filter line (while typing after /)",
        theme.title(),
    )));
    for (keys, help) in keys::filter_help_lines() {
        out.push(Line::from(vec![
            Span::styled(format!("    {keys:<28}"), theme.dim()),
            Span::raw(help),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::from(Span::styled("  Live calls", theme.title())));
    out.push(Line::raw(format!(
        "    {IN_PROGRESS_MARK} 1:23   in progress (answered, not ended), for so long"
    )));
    out.push(Line::raw(format!(
        "    QUALITY  latest MOS (poor < {}, fair < {}), else jitter (poor > {} ms) and loss (poor > {}%)",
        quality::MOS_POOR,
        quality::MOS_FAIR,
        quality::JITTER_POOR_MS,
        quality::LOSS_POOR_PCT,
    )));
    out
}
