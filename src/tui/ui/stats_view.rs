//! The stats view: bar charts of calls by state, top carriers, who hung up, Q.850 causes and
//! SIP responses; PDD percentiles, average duration and answer-seizure ratio; and calls per
//! minute over the last 30 minutes as a sparkline; the calls' live quality by band. Over the
//! calls the filter lets through.
//!
//! ```text
//! ┌ by state ──────┐┌ top carriers ───┐┌ hang-up ─┐
//! └────────────────┘└─────────────────┘└──────────┘
//! ┌ Q.850 causes ──────────┐┌ SIP responses ──────┐
//! └────────────────────────┘└─────────────────────┘
//!  PDD p50/p90/p99 · average duration · ASR
//!  live quality good · fair · poor · no data
//!  calls per minute ▁▂▅▇
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph, Sparkline};

use crate::calls::quality::{self, Band};
use crate::calls::stats::{CallStats, SPARKLINE_MINUTES};
use crate::tui::app::App;
use crate::tui::ui::theme::Theme;
use crate::twilio::codes::{q850_label, sip_label};

/// Draws the stats view.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.header.color);
    let empty = CallStats::default();
    let stats = app.call_stats.as_ref().map_or(&empty, |(_, s)| s);
    // The two lines of figures: a figure that does not fit goes whole to the next line.
    let width = usize::from(area.width);
    let numbers_text = crate::tui::wrap::pack(&numbers_items(stats, &theme), width, 3, 3);
    let quality_text = crate::tui::wrap::pack(&quality_items(stats, &theme), width, 3, 3);
    let rows = |lines: &[Line]| Constraint::Length(u16::try_from(lines.len()).unwrap_or(1));
    let [top, middle, numbers, quality_area, spark] = Layout::vertical([
        Constraint::Percentage(45),
        Constraint::Min(4),
        rows(&numbers_text),
        rows(&quality_text),
        Constraint::Length(3),
    ])
    .areas(area);
    let [states, carriers, hangup] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(42),
        Constraint::Percentage(24),
    ])
    .areas(top);
    let [q850, sip] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);

    let state_bars: Vec<Bar> = stats
        .by_state
        .iter()
        .map(|(state, n)| bar(state.clone(), *n).style(theme.call_state(state)))
        .collect();
    bars(frame, states, "calls by state", state_bars, &theme);
    bars(
        frame,
        carriers,
        "top carriers (either side)",
        stats
            .top_carriers
            .iter()
            .map(|(c, n)| bar(c.clone(), *n))
            .collect(),
        &theme,
    );
    bars(
        frame,
        hangup,
        "who hung up",
        stats
            .hangup
            .iter()
            .map(|(c, n)| bar(c.clone(), *n))
            .collect(),
        &theme,
    );
    bars(
        frame,
        q850,
        "Q.850 causes",
        stats
            .q850
            .iter()
            .take(8)
            .map(|(c, n)| bar(q850_label(*c), *n))
            .collect(),
        &theme,
    );
    bars(
        frame,
        sip,
        "SIP responses",
        stats
            .sip
            .iter()
            .take(8)
            .map(|(c, n)| bar(sip_label(*c), *n))
            .collect(),
        &theme,
    );

    frame.render_widget(Paragraph::new(numbers_text), numbers);
    frame.render_widget(Paragraph::new(quality_text), quality_area);

    let per_minute: Vec<u64> = stats.per_minute.clone();
    let peak = per_minute.iter().copied().max().unwrap_or(0);
    let spark_block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" new calls per minute, last {SPARKLINE_MINUTES} min (peak {peak}) "),
        theme.title(),
    ));
    frame.render_widget(
        Sparkline::default().block(spark_block).data(&per_minute),
        spark,
    );
}

/// ` PDD p50/p90/p99 …`, `average duration …`, `answer-seizure ratio …`, `over N calls`.
fn numbers_items(stats: &CallStats, theme: &Theme) -> Vec<Line<'static>> {
    let pdd = stats.pdd_ms.map_or("—".to_owned(), |(p50, p90, p99)| {
        format!("{p50} / {p90} / {p99} ms")
    });
    let avg = stats
        .avg_duration_s
        .map_or("—".to_owned(), |d| format!("{d:.0} s"));
    let asr = stats
        .asr
        .map_or("—".to_owned(), |a| format!("{:.0}%", a * 100.0));
    vec![
        Line::from(vec![
            Span::styled(" PDD p50/p90/p99 ", theme.dim()),
            Span::raw(pdd),
        ]),
        Line::from(vec![
            Span::styled("average duration ", theme.dim()),
            Span::raw(avg),
        ]),
        Line::from(vec![
            Span::styled("answer-seizure ratio ", theme.dim()),
            Span::raw(asr),
        ]),
        Line::from(Span::styled(
            format!("over {} calls", stats.calls),
            theme.dim(),
        )),
    ]
}

/// ` live quality  good 3 · fair 1 · poor 2 · no data 24`, `judged by MOS 4`,
/// `jitter > 30 ms 1`, `loss > 1% 1`: the calls in view by band of their latest figures, each
/// band in its colour.
fn quality_items(stats: &CallStats, theme: &Theme) -> Vec<Line<'static>> {
    let mut spans = vec![Span::styled(" live quality ", theme.dim())];
    for (i, band) in Band::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(
            format!("{} {}", band.label(), stats.quality[i]),
            theme.quality(band),
        ));
    }
    vec![
        Line::from(spans),
        Line::from(vec![
            Span::styled("judged by MOS ", theme.dim()),
            Span::raw(stats.judged_by_mos.to_string()),
        ]),
        Line::from(vec![
            Span::styled(
                format!("jitter > {} ms ", quality::JITTER_POOR_MS),
                theme.dim(),
            ),
            Span::raw(stats.poor_jitter.to_string()),
        ]),
        Line::from(vec![
            Span::styled(format!("loss > {}% ", quality::LOSS_POOR_PCT), theme.dim()),
            Span::raw(stats.poor_loss.to_string()),
        ]),
    ]
}

/// A bar labelled with a state, carrier or cause as deliveries named it (escaped).
fn bar(mut label: String, value: u64) -> Bar<'static> {
    crate::text::make_terminal_safe(&mut label);
    Bar::default().label(Line::from(label)).value(value)
}

/// A horizontal bar chart in a titled box.
fn bars(frame: &mut Frame, area: Rect, title: &str, data: Vec<Bar<'static>>, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), theme.title()));
    if data.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(" no data yet", theme.dim())).block(block),
            area,
        );
        return;
    }
    let chart = BarChart::default()
        .block(block)
        .direction(ratatui::layout::Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .data(BarGroup::default().bars(&data));
    frame.render_widget(chart, area);
}
