//! The header: where callwatch listens and which public URL it verifies against, calls by
//! state, deliveries accepted/refused, the age of the last delivery, and the last sink test;
//! under them, when known, the sink `setup` connected and what Twilio's Debugger reports.

use std::time::{Duration, UNIX_EPOCH};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use crate::tui::SinkInfo;
use crate::tui::app::App;
use crate::tui::ui::calls_table::IN_PROGRESS_MARK;
use crate::tui::ui::theme::Theme;

/// Lines the header takes, borders included, without the sink and Debugger lines.
pub const HEIGHT: u16 = 6;

/// Lines the header takes for this app: [`HEIGHT`], plus one for the sink `setup` connected
/// and one for Twilio's Debugger alerts when they are polled.
pub fn height(app: &App, width: u16) -> u16 {
    // Problem lines wrap: count the rows each takes inside the borders.
    let inner = usize::from(width.saturating_sub(2));
    let problems: usize = problem_lines(app)
        .iter()
        .map(|l| wrap(l, inner).len())
        .sum();
    let problems = u16::try_from(problems).unwrap_or(0);
    HEIGHT
        + u16::from(app.header.sink.is_some())
        + u16::from(app.header.alerts.is_some())
        + problems
}

/// Draws the header.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let h = &app.header;
    let stats = &app.stats;
    let store = &app.session.store;

    let mut where_line = if h.url_source == crate::tui::KINESIS_SOURCE {
        // `callwatch kinesis`: nothing listens, the public URL is the stream.
        vec![
            Span::styled("reading Kinesis stream ", theme.dim()),
            Span::raw(h.public_url.clone()),
        ]
    } else {
        vec![
            Span::styled("listening ", theme.dim()),
            Span::raw(h.listen_addr.clone()),
            Span::styled("  public URL ", theme.dim()),
            Span::raw(h.public_url.clone()),
        ]
    };
    if !h.url_source.is_empty() && h.url_source != crate::tui::KINESIS_SOURCE {
        where_line.push(Span::styled(format!(" ({})", h.url_source), theme.dim()));
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
    let dropped = ListenerStats::get(&stats.dropped);
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
    if dropped > 0 {
        deliveries_line.push(Span::styled(
            format!(" · {dropped} not shown (gap)"),
            theme.warning(),
        ));
    }
    if let Some(forward) = &app.header.forward {
        let trouble = forward.failed.load(std::sync::atomic::Ordering::Relaxed)
            + forward.dropped.load(std::sync::atomic::Ordering::Relaxed)
            > 0;
        deliveries_line.push(Span::styled(
            format!(" · {}", forward.summary()),
            if trouble {
                theme.warning()
            } else {
                theme.dim()
            },
        ));
    }
    let refused_connections = ListenerStats::get(&stats.connections_refused)
        + ListenerStats::get(&stats.connections_evicted);
    if refused_connections > 0 {
        deliveries_line.push(Span::styled(
            format!(" · {refused_connections} connections closed (--max-connections)"),
            theme.warning(),
        ));
    }
    if app.session.stale_events > 0 {
        deliveries_line.push(Span::styled(
            format!(" · {} stale (older than 4 h)", app.session.stale_events),
            theme.dim(),
        ));
    }
    let rotations = ListenerStats::get(&stats.record_rotations);
    if rotations > 0 {
        deliveries_line.push(Span::styled(
            format!(" · recording rotated {rotations}× (older lines in FILE.1)"),
            theme.dim(),
        ));
    }
    let log_rotations = crate::logging::rotations();
    if log_rotations > 0 {
        deliveries_line.push(Span::styled(
            format!(" · log rotated {log_rotations}× at 10 MiB (older lines in .log.1)"),
            theme.dim(),
        ));
    }
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
    if let Some(test) = &app.session.last_test_event {
        deliveries_line.push(Span::styled("  test event ✓ ", theme.good()));
        deliveries_line.push(Span::raw(format!(
            "{} at {}",
            test.test_id,
            crate::timestamp::clock(test.received_at)
        )));
    }

    let status_line = status_line(app, &theme);

    let mut title = match &h.mode_note {
        Some(note) => format!(" callwatch — {note} "),
        None => " callwatch ".to_owned(),
    };
    crate::text::make_terminal_safe(&mut title);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let mut text = vec![Line::from(where_line)];
    if let Some(sink) = &h.sink {
        text.push(sink_line(sink, &theme));
    }
    if h.alerts.is_some() {
        let alerts = &app.session.alerts;
        let style = if alerts.is_warning(app.now) {
            theme.warning()
        } else {
            theme.dim()
        };
        text.push(Line::from(Span::styled(alerts.summary(app.now), style)));
    }
    text.extend([
        Line::from(calls_line),
        Line::from(deliveries_line),
        Line::from(status_line),
    ]);
    // The URLs, the filter and the alerts' codes came from flags, deliveries and Twilio.
    crate::tui::ui::escape_controls(&mut text);
    let inner = usize::from(area.width.saturating_sub(2));
    for line in problem_lines(app) {
        text.extend(
            wrap(&line, inner)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme.warning()))),
        );
    }
    frame.render_widget(Paragraph::new(text).block(block), area);
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

/// The last line: what the table shows (filter, sort, frozen, masked), or a warning when
/// deliveries are being refused.
/// Lines that say what is going wrong, under the status line: a failing `--record`, POSTs to
/// another path than the events path, and deliveries refused by the signature check, each with
/// the latest one's likely cause. Escaped here, before they are wrapped: the causes quote
/// request paths and URLs.
fn problem_lines(app: &App) -> Vec<String> {
    let mut lines = unescaped_problem_lines(app);
    lines.iter_mut().for_each(crate::text::make_terminal_safe);
    lines
}

fn unescaped_problem_lines(app: &App) -> Vec<String> {
    let mut lines = Vec::new();
    // A failing --record comes first: every delivery is being answered 503 until it recovers.
    if let Some(error) = app.stats.record_error() {
        let failures = ListenerStats::get(&app.stats.record_failures);
        lines.push(format!(
            "⚠ recording fails ({failures} not recorded; deliveries answered 503, Twilio retries): {error}"
        ));
    }
    // POSTs to another path: the sink's destination URL and --public-url disagree on the path.
    if let Some((count, why)) = latest_cause(app, |d| d.verdict == DeliveryVerdict::WrongPath) {
        lines.push(format!(
            "⚠ {count} POSTed to another path (answered 404) — latest: {why}"
        ));
    }
    let Some((count, why)) = latest_cause(app, |d| d.verdict.is_signature_failure()) else {
        return lines;
    };
    lines.push(format!(
        "⚠ {count} refused by the signature check — latest: {why}"
    ));
    let status = app.header.reject_status;
    if (400..500).contains(&status) {
        lines.push(format!(
            "  answered {status}, and Twilio never retries a 4xx: run with --reject-status 503 \
             while fixing this. Tab: details."
        ));
    }
    lines
}

/// How many of the logged deliveries `matches` picks, and the likely cause of the latest one
/// (its diagnosis' hint, or its verdict); `None` when it picks none.
fn latest_cause(app: &App, matches: impl Fn(&Delivery) -> bool) -> Option<(usize, String)> {
    let mut picked = app.session.deliveries.iter().filter(|d| matches(d));
    let latest = picked.next_back()?;
    let why = latest
        .diagnosis
        .as_ref()
        .map_or_else(|| latest.verdict.as_str().to_owned(), |d| d.hint.clone());
    Some((picked.count() + 1, why))
}

/// Splits `text` into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > width {
            let head: String = current.chars().take(width).collect();
            current = current.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The status line: what the table shows (filter, sort, frozen, masked).
fn status_line(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let store = &app.session.store;
    match &app.filter {
        Some(f) => {
            spans.push(Span::styled("filter ", theme.dim()));
            spans.push(Span::raw(f.text().to_owned()));
            spans.push(Span::raw(format!(
                "  {} of {} calls",
                app.rows.len(),
                store.len()
            )));
        }
        None => spans.push(Span::styled("no filter (/ to filter)", theme.dim())),
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
    if app.mask {
        spans.push(Span::styled("  numbers masked", theme.dim()));
    }
    spans
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
