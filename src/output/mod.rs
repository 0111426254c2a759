//! Line outputs for scripts and logs: `ndjson` (the contract of docs/ndjson.md, one JSON object per
//! line, flushed as written), `compact` (one readable line per call update) and `quiet`.
//! [`run_lines`] drains the delivery channel into one of them. A `--filter` applies to `call`
//! lines only: delivery, test_event, event, gap and error lines are always written, so that
//! a filtered log still shows that deliveries arrive and how they were answered. Twilio's
//! Debugger alerts about the sink ([`LineView::alerts`]) are written as they are polled.

pub mod compact;
pub mod export;
pub mod mask;
pub mod ndjson;

/// A quality figure as the line outputs and the exports carry it: two decimals, the samples'
/// own precision.
pub fn two_decimals(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::alerts::{AlertFeed, AlertStatus};
use crate::calls::filter::Filter;
use crate::ingest::{Delivery, DeliveryFeed, ListenerStats};
use crate::session::{Session, Update};

/// How results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputMode {
    /// The live table (the default on a terminal).
    Tui,
    /// One JSON object per line (the default when stdout is not a terminal).
    Ndjson,
    /// One readable line per call update.
    Compact,
    /// Nothing but errors.
    Quiet,
}

impl OutputMode {
    /// `tui` on a terminal, `ndjson` otherwise.
    pub fn default_for_stdout() -> Self {
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() {
            Self::Tui
        } else {
            Self::Ndjson
        }
    }
}

/// What the line outputs show: which calls (`--filter`) and whether numbers are masked.
#[derive(Debug, Clone, Default)]
pub struct LineView {
    /// Only calls matching this get a `call` line.
    pub filter: Option<Filter>,
    /// Mask phone numbers and IP addresses (`--mask`).
    pub mask: bool,
    /// Twilio Debugger alerts about the sink, when they are polled (`listen`, `setup`): each is
    /// written once, as it appears in the feed.
    pub alerts: Option<AlertFeed>,
    /// Keep at most this many calls in memory (`--max-calls`).
    pub max_calls: Option<usize>,
    /// `--forward-to`: each outcome gets a `forward` line (ndjson) or a `forward #N →` line (compact).
    pub forward: Option<Arc<crate::ingest::forward::ForwardState>>,
}

/// Writes every delivery from `rx` to `out` in a line mode until the channel closes; a closed
/// pipe (`| head`) ends it quietly. With a filter, only the calls it matches get a line.
pub async fn run_lines<W: Write>(
    mode: OutputMode,
    view: &LineView,
    rx: mpsc::Receiver<Delivery>,
    stats: Arc<ListenerStats>,
    out: &mut W,
) -> std::io::Result<Session> {
    let mut session = Session::with_max_calls(view.max_calls);
    let mut gap_check = tokio::time::interval(Duration::from_millis(250));
    let mut record_failures_seen = 0;
    let mut feed = DeliveryFeed::new(rx);
    loop {
        tokio::select! {
            batch = feed.next_batch() => {
                let Some(batch) = batch else { break };
                report_gap(mode, &mut session, &stats, out)?;
                report_record_failures(mode, &mut record_failures_seen, &stats, out)?;
                for delivery in batch {
                    write_delivery(mode, view, &mut session, delivery, out)?;
                }
            }
            _ = gap_check.tick() => {
                report_gap(mode, &mut session, &stats, out)?;
                report_record_failures(mode, &mut record_failures_seen, &stats, out)?;
                report_alerts(mode, view, &mut session, out)?;
                report_forwards(mode, view, out)?;
            }
        }
    }
    report_forwards(mode, view, out)?;
    report_gap(mode, &mut session, &stats, out)?;
    report_record_failures(mode, &mut record_failures_seen, &stats, out)?;
    Ok(session)
}

/// Writes the `--forward-to` outcomes noted since the last call: a `forward` line in ndjson, a
/// `→` line in compact.
fn report_forwards<W: Write>(
    mode: OutputMode,
    view: &LineView,
    out: &mut W,
) -> std::io::Result<()> {
    let Some(state) = &view.forward else {
        return Ok(());
    };
    for (seq, status) in state.take_new() {
        match mode {
            OutputMode::Ndjson => ndjson::write_line(out, &status.to_json(seq, &state.target))?,
            OutputMode::Compact => {
                compact::write_text_line(out, &format!("forward #{seq} {}", status.short()))?
            }
            OutputMode::Quiet | OutputMode::Tui => {}
        }
    }
    Ok(())
}

/// Writes the Debugger alerts this output has not shown yet: an `alert` line in ndjson, a `!!`
/// line in compact, stderr when quiet. A change of the poller's status is said once: in compact
/// as a line, in the other modes on stderr when polling fails (stdout keeps the contract).
fn report_alerts<W: Write>(
    mode: OutputMode,
    view: &LineView,
    session: &mut Session,
    out: &mut W,
) -> std::io::Result<()> {
    let Some(feed) = &view.alerts else {
        return Ok(());
    };
    let sync = session.alerts.sync(feed);
    if sync.status_changed {
        let note = match &session.alerts.status {
            Some(AlertStatus::Off { reason }) => {
                Some(format!("-- Twilio Debugger alerts off: {reason}"))
            }
            Some(AlertStatus::Failed { error, .. }) => {
                Some(format!("!! cannot poll Twilio's Debugger: {error}"))
            }
            _ => None,
        };
        match (mode, note) {
            (OutputMode::Compact, Some(note)) => compact::write_text_line(out, &note)?,
            (_, Some(note)) if note.starts_with("!!") => {
                eprintln!("callwatch: {}", crate::text::terminal_safe(&note[3..]))
            }
            _ => {}
        }
    }
    let all = &session.alerts.alerts;
    for alert in &all[all.len() - sync.new_alerts..] {
        match mode {
            OutputMode::Ndjson => ndjson::write_line(out, &ndjson::alert(alert))?,
            OutputMode::Compact => compact::write_alert(out, alert)?,
            OutputMode::Quiet | OutputMode::Tui => eprintln!(
                "callwatch: Twilio could not deliver to the sink: {}: {}",
                crate::text::terminal_safe(&alert.code_and_label()),
                crate::text::terminal_safe(&alert.alert_text)
            ),
        }
    }
    Ok(())
}

/// Reports requests that could not be written to the `--record` file since the last report:
/// a `record_error` line in ndjson, a `!!` line in compact, stderr when quiet.
fn report_record_failures<W: Write>(
    mode: OutputMode,
    seen: &mut u64,
    stats: &ListenerStats,
    out: &mut W,
) -> std::io::Result<()> {
    let total = ListenerStats::get(&stats.record_failures);
    let fresh = total.saturating_sub(*seen);
    if fresh == 0 {
        return Ok(());
    }
    *seen = total;
    let error = stats
        .record_error()
        .unwrap_or_else(|| "recovered since".to_owned());
    match mode {
        OutputMode::Ndjson => ndjson::write_line(
            out,
            &serde_json::json!({"type": "record_error", "failures": fresh, "error": error}),
        ),
        OutputMode::Compact => compact::write_text_line(
            out,
            &format!("!! {fresh} requests not recorded (deliveries answered 503): {error}"),
        ),
        OutputMode::Quiet | OutputMode::Tui => {
            eprintln!(
                "callwatch: {fresh} requests not recorded (deliveries answered 503): {}",
                crate::text::terminal_safe(&error)
            );
            Ok(())
        }
    }
}

fn report_gap<W: Write>(
    mode: OutputMode,
    session: &mut Session,
    stats: &ListenerStats,
    out: &mut W,
) -> std::io::Result<()> {
    let fresh = session.new_gap(ListenerStats::get(&stats.dropped));
    if fresh == 0 {
        return Ok(());
    }
    match mode {
        OutputMode::Ndjson => ndjson::write_line(out, &ndjson::gap(fresh)),
        OutputMode::Compact => {
            writeln!(
                out,
                "!! {fresh} deliveries answered but not shown (output too slow)"
            )?;
            out.flush()
        }
        _ => Ok(()),
    }
}

/// Writes what one delivery changed; call updates only for calls `filter` matches (as they
/// stand after the merge), everything else always.
pub fn write_delivery<W: Write>(
    mode: OutputMode,
    view: &LineView,
    session: &mut Session,
    delivery: Delivery,
    out: &mut W,
) -> std::io::Result<()> {
    let mut result = Ok(());
    match mode {
        OutputMode::Ndjson => {
            result = ndjson::write_line(out, &ndjson::delivery(&delivery));
            session.ingest(delivery, |_, update| {
                if result.is_ok() && shown(view.filter.as_ref(), &update) {
                    result = ndjson::write_line(out, &ndjson::update(&update, view.mask));
                }
            });
        }
        OutputMode::Compact => {
            if !delivery.verdict.is_accepted() {
                result = compact::write_rejection(out, &delivery);
            }
            session.ingest(delivery, |d, update| {
                if result.is_ok() && shown(view.filter.as_ref(), &update) {
                    result = compact::write_update(out, d, &update, view.mask);
                }
            });
        }
        OutputMode::Quiet | OutputMode::Tui => session.ingest(delivery, |_, _| {}),
    }
    result
}

/// False for a call update that `filter` does not match; true for everything else.
fn shown(filter: Option<&Filter>, update: &Update<'_>) -> bool {
    match (filter, update) {
        (Some(filter), Update::Call { record, .. }) => filter.matches(record),
        _ => true,
    }
}
