//! The header, calm by default: where callwatch listens and which public URL it verifies
//! against, calls by state, deliveries accepted/refused with the age of the last one and the
//! last sink test (three lines; a fourth for the sink `setup` connected). Under them one line
//! per kind of problem ([`crate::tui::problems`]), counted, with the latest cause: as many as
//! leave the table [`MIN_TABLE_ROWS`] rows, the rest summed up in a last line. `x` dismisses
//! them, `!` picks one and Enter opens its deliveries.
//!
//! ```text
//! callwatch  listening 127.0.0.1:8080  public URL https://abc.ngrok.app/events (--public-url)
//! calls 30  ● 2 in progress  completed 16  fail 3
//! deliveries 91 accepted · 1 refused  last 3s ago  test event ✓ …
//! ⚠ bad signature (wrong URL or token) ×1 — signature made with another auth token
//! ⚠ … 2 more kinds of problem: ! lists them                        ! pick · x dismiss
//! ```

use std::time::{Duration, UNIX_EPOCH};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ingest::ListenerStats;
use crate::tui::SinkInfo;
use crate::tui::app::App;
use crate::tui::problems::Problem;
use crate::tui::ui::calls_table::IN_PROGRESS_MARK;
use crate::tui::ui::theme::Theme;

/// The header's lines without problems and without the sink line.
pub const HEIGHT: u16 = 3;

/// Rows (below its title row) the table keeps however many problems there are, on a screen of
/// 24 rows or more.
pub const MIN_TABLE_ROWS: u16 = 12;

/// Rows below the header that are not the table's: the tab bar, the table's title row, the
/// selected call's status line under the calls table and the hint bar.
const OTHER_ROWS: u16 = 4;

/// Problem lines shown at most, however tall the screen.
const MAX_PROBLEM_LINES: u16 = 8;

/// Lines the header takes on a screen of `area`: [`HEIGHT`], one for the sink `setup`
/// connected, and the problem lines that fit ([`problem_rows`]).
pub fn height(app: &App, area: Rect) -> u16 {
    let base = HEIGHT + u16::from(app.header.sink.is_some());
    let problems = app.shown_problems().len();
    base + problem_rows(problems, base, area.height)
}

/// How many rows `problems` problem lines get under a header of `base` lines on a screen
/// `screen_height` tall: all of them when the table keeps [`MIN_TABLE_ROWS`] rows, else as
/// many as leave it those rows (the last of them then says how many more there are); always
/// one at least when there is a problem.
fn problem_rows(problems: usize, base: u16, screen_height: u16) -> u16 {
    let problems = u16::try_from(problems).unwrap_or(u16::MAX);
    if problems == 0 {
        return 0;
    }
    let room = screen_height
        .saturating_sub(base + OTHER_ROWS + MIN_TABLE_ROWS)
        .clamp(1, MAX_PROBLEM_LINES);
    problems.min(room)
}

/// Draws the header.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let h = &app.header;
    let stats = &app.stats;
    let store = &app.session.store;

    let mut where_line = vec![Span::styled("callwatch", theme.title())];
    if h.url_source == crate::tui::KINESIS_SOURCE {
        // `callwatch kinesis`: nothing listens, the public URL is the stream.
        where_line.extend([
            Span::styled("  reading Kinesis stream ", theme.dim()),
            Span::raw(h.public_url.clone()),
        ]);
    } else if let Some(poll) = &h.poll {
        // `callwatch poll`: nothing listens; the calls come from the API, listed again and again.
        let last = poll.last_success().map_or_else(
            || "not yet".to_owned(),
            |at| {
                format!(
                    "{} ago",
                    age(app.now.duration_since(at).unwrap_or_default())
                )
            },
        );
        where_line.extend([
            Span::styled("  polling ", theme.dim()),
            Span::raw(h.public_url.clone()),
            Span::styled("  last poll ", theme.dim()),
            Span::raw(last),
        ]);
    } else {
        where_line.extend([
            Span::styled("  listening ", theme.dim()),
            Span::raw(h.listen_addr.clone()),
            Span::styled("  public URL ", theme.dim()),
            Span::raw(h.public_url.clone()),
        ]);
    }
    if !h.url_source.is_empty() && h.url_source != crate::tui::KINESIS_SOURCE && h.poll.is_none() {
        where_line.push(Span::styled(format!(" ({})", h.url_source), theme.dim()));
    }
    // The mode (demo, replay, resumed) comes first, where 80 columns still show it; once a
    // demo's simulation has ended, that, because it explains the calls left ringing.
    match crate::tui::simulation::title_note(h, store) {
        Some(note) if Some(&note) != h.mode_note.as_ref() => {
            where_line.insert(1, Span::styled(format!("  {note}"), theme.warning()));
        }
        Some(note) => where_line.insert(1, Span::styled(format!("  {note}"), theme.dim())),
        None => {}
    }

    let mut calls_line = vec![Span::raw(format!("calls {}", store.len()))];
    // Right after the count, so that a narrow screen still says why it stopped growing.
    if store.evicted() > 0 {
        calls_line.push(Span::styled(
            format!(" ({} evicted)", store.evicted()),
            theme.dim(),
        ));
    }
    // A call is in progress while its state is `answered`: counted first, with the mark the
    // table gives such calls, rather than among the states.
    let in_progress = store.count_by_state().get("answered").copied().unwrap_or(0);
    if in_progress > 0 {
        calls_line.push(Span::raw("  "));
        calls_line.push(Span::styled(
            format!("{IN_PROGRESS_MARK} {in_progress} in progress"),
            theme.call_state("answered"),
        ));
    }
    for (state, n) in store.count_by_state() {
        if state == "answered" {
            continue;
        }
        let name = if state.is_empty() {
            "unknown"
        } else {
            state.as_str()
        };
        calls_line.push(Span::raw("  "));
        calls_line.push(Span::styled(format!("{name} {n}"), theme.call_state(state)));
    }

    let accepted = ListenerStats::get(&stats.accepted);
    let rejected = ListenerStats::get(&stats.rejected);
    let mut deliveries_line = vec![
        Span::styled("deliveries ", theme.dim()),
        Span::styled(format!("{accepted} accepted"), theme.good()),
        Span::raw(" · "),
        Span::styled(
            format!("{rejected} refused"),
            if rejected > 0 {
                theme.warning()
            } else {
                theme.dim()
            },
        ),
    ];
    let last_ms = ListenerStats::get(&stats.last_delivery_ms);
    deliveries_line.push(Span::styled("  last ", theme.dim()));
    deliveries_line.push(Span::raw(if last_ms == 0 {
        "none yet".to_owned()
    } else {
        let last = UNIX_EPOCH + Duration::from_millis(last_ms);
        format!(
            "{} ago",
            age(app.now.duration_since(last).unwrap_or_default())
        )
    }));
    // Forwarding that goes well is said calmly here; its failures are a problem line.
    if let Some(forward) = &h.forward {
        deliveries_line.push(Span::styled(
            format!("  {}", forward.summary()),
            theme.dim(),
        ));
    }
    if let Some(test) = &app.session.last_test_event {
        deliveries_line.push(Span::styled("  test event ✓ ", theme.good()));
        deliveries_line.push(Span::raw(format!(
            "{} at {}",
            test.test_id,
            crate::timestamp::clock(test.received_at)
        )));
    }

    let mut text = vec![Line::from(where_line)];
    if let Some(sink) = &h.sink {
        text.push(sink_line(sink, &theme));
    }
    text.push(Line::from(calls_line));
    text.push(Line::from(deliveries_line));
    // The URLs, the test id and the states came from flags and deliveries.
    crate::tui::ui::escape_controls(&mut text);
    let base = u16::try_from(text.len()).unwrap_or(u16::MAX);
    let problems = app.shown_problems();
    let rows = usize::from(problem_rows(problems.len(), base, frame.area().height));
    text.extend(problem_lines(app, problems, rows, area.width, &theme));
    frame.render_widget(Paragraph::new(text), area);
}

/// The problem lines that fit in `rows`: while one is picked (`!`), a window of them around
/// it, the picked one highlighted; otherwise the first ones. When some do not fit, the last
/// row says how many more there are. Each line is cut to `width` with `…`; the first one ends
/// with the keys that act on them.
fn problem_lines(
    app: &App,
    problems: &[Problem],
    rows: usize,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'static>> {
    if rows == 0 || problems.is_empty() {
        return Vec::new();
    }
    let width = usize::from(width);
    let picked = app
        .problem_focus
        .map(|i| i.min(problems.len().saturating_sub(1)));
    let (first, shown) = if problems.len() <= rows {
        (0, problems.len())
    } else {
        let shown = rows.saturating_sub(1).max(1);
        let first = picked.map_or(0, |p| p.saturating_sub(shown - 1));
        (first, shown)
    };
    let mut lines = Vec::new();
    for (i, problem) in problems.iter().enumerate().skip(first).take(shown) {
        let keys = if i == first && picked.is_none() {
            "  ! pick · x dismiss"
        } else if picked == Some(i) && opens_deliveries(problem) {
            "  Enter: deliveries · Esc"
        } else if picked == Some(i) {
            "  Esc"
        } else {
            ""
        };
        let mut text = problem.text.clone();
        crate::text::make_terminal_safe(&mut text);
        let style = if picked == Some(i) {
            theme.selected()
        } else if problem.is_warning {
            theme.warning()
        } else {
            theme.dim()
        };
        let room = width.saturating_sub(keys.chars().count());
        lines.push(Line::from(vec![
            Span::styled(pad_or_cut(&text, room), style),
            Span::styled(keys, theme.key()),
        ]));
    }
    let more = problems.len() - shown;
    if more > 0 {
        let text = if picked.is_some() {
            format!("  ↑↓ {more} more")
        } else {
            format!(
                "⚠ {more} more kind{} of problem: ! lists them",
                if more == 1 { "" } else { "s" }
            )
        };
        lines.push(Line::from(Span::styled(
            pad_or_cut(&text, width),
            theme.warning(),
        )));
    }
    lines
}

/// True when Enter on `problem` opens the deliveries view (filtered to its deliveries, or
/// with the Debugger's alerts under the table).
fn opens_deliveries(problem: &Problem) -> bool {
    problem.deliveries_filter().is_some()
        || problem.kind == crate::tui::problems::ProblemKind::DebuggerAlerts
}

/// `text` cut to `width` characters with `…` when longer, padded with spaces when shorter
/// (so that the keys after it line up at the right edge).
fn pad_or_cut(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{text}{}", " ".repeat(width - len))
    }
}

/// `✓ test verified, Validate: valid  sink DG…  subscription DF…`: the test result first, so
/// that a narrow screen still shows it.
fn sink_line(sink: &SinkInfo, theme: &Theme) -> Line<'static> {
    let (mark, style) = if sink.test_passed {
        ("✓ ", theme.good())
    } else {
        ("✗ ", theme.warning())
    };
    let mut spans = vec![
        Span::styled(format!("{mark}{}", sink.test_result), style),
        Span::styled("  sink ", theme.dim()),
        Span::raw(sink.sink_sid.clone()),
    ];
    match &sink.subscription_sid {
        Some(sid) => {
            spans.push(Span::styled("  subscription ", theme.dim()));
            spans.push(Span::raw(sid.clone()));
        }
        None => spans.push(Span::styled("  no subscription", theme.warning())),
    }
    Line::from(spans)
}

/// "3s", "4m", "2h" — how long ago, coarsely.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_leave_the_table_its_rows() {
        // 80×24, three header lines: 24 - 3 - 4 - 12 = 5 rows for problems.
        assert_eq!(problem_rows(0, 3, 24), 0);
        assert_eq!(problem_rows(2, 3, 24), 2);
        assert_eq!(problem_rows(14, 3, 24), 5);
        assert_eq!(problem_rows(14, 4, 24), 4, "the sink line takes one");
        assert_eq!(problem_rows(14, 3, 40), MAX_PROBLEM_LINES);
        assert_eq!(problem_rows(3, 3, 12), 1, "one at least, however small");
    }

    #[test]
    fn lines_are_cut_with_a_mark_or_padded() {
        assert_eq!(pad_or_cut("abcdef", 4), "abc…");
        assert_eq!(pad_or_cut("ab", 4), "ab  ");
        assert_eq!(pad_or_cut("⚠ é", 3), "⚠ é");
    }
}
