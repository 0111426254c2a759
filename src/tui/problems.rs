//! What is going wrong, one [`Problem`] per kind (refused signatures, POSTs to another path,
//! a failing recording, gaps, forward failures, …), each counted and with the latest cause, in
//! the order the header lists them. The app dismisses them by kind (`x`) and opens the
//! deliveries a problem is about ([`Problem::deliveries_filter`], Enter on a picked line); the
//! header draws them. Below both, so that neither imports the other.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use crate::ingest::{Delivery, DeliveryVerdict, ListenerStats};
use crate::session::Session;
use crate::tui::HeaderInfo;

/// A kind of problem: what `x` dismisses and a new one of brings the header back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// `poll`: the Voice Insights API refuses or throttles the polls.
    PollFailing,
    /// `--record` cannot write: deliveries are answered 503.
    RecordFailing,
    /// POSTs to another path than the events path.
    WrongPath,
    /// Signatures proven to be made for another URL than the public URL: the sink's
    /// destination is not `--public-url` (or the tunnel rewrites it).
    WrongUrl,
    /// Other signatures that match no URL variant: another token, or a URL that cannot be
    /// checked from the request.
    BadSignature,
    /// Bodies that do not match `bodySHA256`.
    BadBodyHash,
    /// Requests without `X-Twilio-Signature`.
    MissingSignature,
    /// Signature failures answered with a 4xx, which Twilio never retries.
    RefusalsNotRetried,
    /// Verified bodies that are not CloudEvents.
    Malformed,
    /// Bodies over the size limit.
    TooLarge,
    /// Other methods than POST on the events path.
    MethodNotAllowed,
    /// Twilio's Debugger reports failed deliveries to the sink (or cannot be polled).
    DebuggerAlerts,
    /// The screen fell behind and deliveries were not shown.
    Gap,
    /// `--forward-to` failures or drops.
    ForwardFailing,
    /// Connections closed by `--max-connections`.
    ConnectionsClosed,
    /// Events older than Twilio's retry horizon.
    Stale,
    /// The recording was rotated.
    RecordRotated,
    /// The log file was rotated.
    LogRotated,
}

/// One line of the header's problem list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Its kind.
    pub kind: ProblemKind,
    /// How many times it happened (deliveries, events, connections…).
    pub count: u64,
    /// The line, counted, with the latest cause (not yet escaped: causes quote requests).
    pub text: String,
    /// True for a warning; false for something only worth knowing (rotations, stale events).
    pub is_warning: bool,
}

impl Problem {
    /// The deliveries filter that lists the deliveries this problem is about, when it is
    /// about deliveries in the log.
    pub fn deliveries_filter(&self) -> Option<&'static str> {
        Some(match self.kind {
            ProblemKind::RecordFailing => "verdict=not_recorded",
            ProblemKind::WrongPath => "verdict=wrong_path",
            ProblemKind::WrongUrl => "verdict=bad_signature and url~://",
            ProblemKind::BadSignature => "verdict=bad_signature and !url~://",
            ProblemKind::BadBodyHash => "verdict=bad_body_hash",
            ProblemKind::MissingSignature => "verdict=missing_signature",
            ProblemKind::RefusalsNotRetried => {
                "verdict=bad_signature or verdict=bad_body_hash or verdict=missing_signature"
            }
            ProblemKind::Malformed => "verdict=malformed",
            ProblemKind::TooLarge => "verdict=too_large",
            ProblemKind::MethodNotAllowed => "verdict=method_not_allowed",
            ProblemKind::ForwardFailing => "verdict=ok",
            ProblemKind::PollFailing
            | ProblemKind::DebuggerAlerts
            | ProblemKind::Gap
            | ProblemKind::ConnectionsClosed
            | ProblemKind::Stale
            | ProblemKind::RecordRotated
            | ProblemKind::LogRotated => return None,
        })
    }
}

/// Whether a delivery is of one kind of refusal.
type IsRefusal = fn(&Delivery) -> bool;

/// True when the diagnosis proved which other URL the delivery's signature was made for.
fn signed_for_another_url(d: &Delivery) -> bool {
    d.diagnosis
        .as_ref()
        .is_some_and(|diag| diag.matched_url.is_some())
}

/// Every problem there is now, most urgent first.
pub fn list(
    session: &Session,
    stats: &ListenerStats,
    header: &HeaderInfo,
    now: SystemTime,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut push = |kind, count: u64, text: String, is_warning| {
        out.push(Problem {
            kind,
            count,
            text,
            is_warning,
        })
    };
    // `poll`: Twilio's API refuses or throttles; the sentence says what to do.
    if let Some(error) = header.poll.as_ref().and_then(|p| p.error()) {
        push(
            ProblemKind::PollFailing,
            1,
            format!("⚠ polling the Voice Insights API fails — {error}"),
            true,
        );
    }
    if let Some(error) = stats.record_error() {
        let failures = ListenerStats::get(&stats.record_failures);
        push(
            ProblemKind::RecordFailing,
            failures,
            format!("⚠ recording fails ×{failures} (answered 503, Twilio retries) — {error}"),
            true,
        );
    }
    let refusals: [(ProblemKind, &str, IsRefusal); 8] = [
        (
            ProblemKind::WrongPath,
            "POSTed to another path (404)",
            |d| d.verdict == DeliveryVerdict::WrongPath,
        ),
        (ProblemKind::WrongUrl, "wrong URL", |d| {
            d.verdict == DeliveryVerdict::BadSignature && signed_for_another_url(d)
        }),
        (ProblemKind::BadSignature, "bad signature", |d| {
            d.verdict == DeliveryVerdict::BadSignature && !signed_for_another_url(d)
        }),
        (ProblemKind::BadBodyHash, "body hash mismatch", |d| {
            d.verdict == DeliveryVerdict::BadBodyHash
        }),
        (ProblemKind::MissingSignature, "no signature", |d| {
            d.verdict == DeliveryVerdict::MissingSignature
        }),
        (ProblemKind::Malformed, "not CloudEvents", |d| {
            matches!(d.verdict, DeliveryVerdict::Malformed(_))
        }),
        (ProblemKind::TooLarge, "too large", |d| {
            d.verdict == DeliveryVerdict::TooLarge
        }),
        (ProblemKind::MethodNotAllowed, "not a POST (405)", |d| {
            d.verdict == DeliveryVerdict::MethodNotAllowed
        }),
    ];
    for (kind, what, matches) in refusals {
        if let Some((count, why)) = latest_cause(session, matches) {
            push(kind, count, format!("⚠ {what} ×{count} — {why}"), true);
        }
        if kind == ProblemKind::MissingSignature {
            let status = header.reject_status;
            let signature_failures = session
                .deliveries
                .iter()
                .filter(|d| d.verdict.is_signature_failure())
                .count() as u64;
            if signature_failures > 0 && (400..500).contains(&status) {
                push(
                    ProblemKind::RefusalsNotRetried,
                    signature_failures,
                    format!(
                        "⚠ answered {status}, and Twilio never retries a 4xx: run with \
                         --reject-status 503 while fixing this"
                    ),
                    true,
                );
            }
        }
    }
    let alerts = &session.alerts;
    if header.alerts.is_some() && alerts.is_warning(now) {
        push(
            ProblemKind::DebuggerAlerts,
            alerts.alerts.len() as u64,
            format!("⚠ {}", alerts.summary(now)),
            true,
        );
    }
    let dropped = ListenerStats::get(&stats.dropped);
    if dropped > 0 {
        push(
            ProblemKind::Gap,
            dropped,
            format!("⚠ gap ×{dropped}: deliveries answered but not shown (the screen fell behind)"),
            true,
        );
    }
    if let Some(forward) = &header.forward {
        let failed = forward.failed.load(Ordering::Relaxed);
        let dropped = forward.dropped.load(Ordering::Relaxed);
        if failed + dropped > 0 {
            let latest = forward
                .latest_trouble()
                .map_or_else(String::new, |(seq, status)| {
                    format!(" — latest: delivery {seq} {}", status.short())
                });
            push(
                ProblemKind::ForwardFailing,
                failed + dropped,
                format!(
                    "⚠ forward to {} failed ×{failed}, dropped ×{dropped}{latest}",
                    forward.target
                ),
                true,
            );
        }
    }
    let closed = ListenerStats::get(&stats.connections_refused)
        + ListenerStats::get(&stats.connections_evicted);
    if closed > 0 {
        push(
            ProblemKind::ConnectionsClosed,
            closed,
            format!("⚠ connections closed ×{closed} (over --max-connections)"),
            true,
        );
    }
    if session.stale_events > 0 {
        push(
            ProblemKind::Stale,
            session.stale_events,
            format!(
                "{} stale (older than 4 h): replayed or held back, not live",
                session.stale_events
            ),
            false,
        );
    }
    let rotations = ListenerStats::get(&stats.record_rotations);
    if rotations > 0 {
        push(
            ProblemKind::RecordRotated,
            rotations,
            format!("recording rotated {rotations}× (older lines in FILE.1)"),
            false,
        );
    }
    let log_rotations = crate::logging::rotations();
    if log_rotations > 0 {
        push(
            ProblemKind::LogRotated,
            log_rotations,
            format!("log rotated {log_rotations}× at 10 MiB (older lines in .log.1)"),
            false,
        );
    }
    out
}

/// How many of the logged deliveries `matches` picks, and the likely cause of the latest one
/// (its diagnosis' hint, or its verdict); `None` when it picks none.
fn latest_cause(session: &Session, matches: impl Fn(&Delivery) -> bool) -> Option<(u64, String)> {
    let mut picked = session.deliveries.iter().filter(|d| matches(d));
    let latest = picked.next_back()?;
    let why = latest
        .diagnosis
        .as_ref()
        .map(|d| d.hint.clone())
        .or_else(|| match &latest.verdict {
            DeliveryVerdict::Malformed(why) => Some(why.clone()),
            _ => None,
        })
        .unwrap_or_else(|| format!("latest to {}", latest.path));
    Some((picked.count() as u64 + 1, why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::UNIX_EPOCH;

    fn refused(seq: u64, verdict: DeliveryVerdict, hint: &str) -> Delivery {
        let mut d = Delivery::accepted(seq, UNIX_EPOCH, Vec::new());
        d.status = 403;
        d.verdict = verdict;
        d.diagnosis = Some(crate::ingest::diagnosis::Diagnosis {
            reason: String::new(),
            tried_urls: Vec::new(),
            received_signature: None,
            hint: hint.into(),
            seen_url: None,
            matched_url: None,
        });
        d
    }

    #[test]
    fn one_line_per_kind_counted_with_the_latest_cause() {
        let mut session = Session::new();
        session.ingest(
            refused(1, DeliveryVerdict::BadSignature, "first"),
            |_, _| {},
        );
        session.ingest(refused(2, DeliveryVerdict::WrongPath, "to /x"), |_, _| {});
        let mut wrong_url = refused(3, DeliveryVerdict::BadSignature, "signed for localhost");
        if let Some(d) = &mut wrong_url.diagnosis {
            d.matched_url = Some("http://localhost:8080/events".into());
        }
        session.ingest(wrong_url, |_, _| {});
        session.ingest(
            refused(4, DeliveryVerdict::BadSignature, "second"),
            |_, _| {},
        );
        let stats = Arc::new(ListenerStats::default());
        stats.dropped.store(4, Ordering::Relaxed);
        let header = HeaderInfo {
            reject_status: 403,
            ..HeaderInfo::default()
        };
        // The log's rotations are counted process-wide: another test may have rotated it.
        let mut problems = list(&session, &stats, &header, UNIX_EPOCH);
        problems.retain(|p| p.kind != ProblemKind::LogRotated);
        let kinds: Vec<ProblemKind> = problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::WrongPath,
                ProblemKind::WrongUrl,
                ProblemKind::BadSignature,
                ProblemKind::RefusalsNotRetried,
                ProblemKind::Gap
            ]
        );
        assert_eq!(problems[1].text, "⚠ wrong URL ×1 — signed for localhost");
        assert_eq!(problems[2].count, 2);
        assert_eq!(problems[2].text, "⚠ bad signature ×2 — second");
        assert_eq!(problems[3].count, 3, "every signature failure");
        assert_eq!(problems[4].deliveries_filter(), None);
        // Each problem's filter lists exactly the deliveries it counts.
        for (problem, seqs) in
            problems[..4]
                .iter()
                .zip([&[2][..], &[3][..], &[1, 4][..], &[1, 3, 4][..]])
        {
            let filter = crate::tui::delivery_filter::DeliveryFilter::parse(
                problem.deliveries_filter().expect("a filter"),
            )
            .expect("parses");
            let picked: Vec<u64> = session
                .deliveries
                .iter()
                .filter(|d| filter.matches(d))
                .map(|d| d.seq)
                .collect();
            assert_eq!(picked, seqs, "{:?}", problem.kind);
        }
        // With --reject-status 503 Twilio retries: no advice.
        let header = HeaderInfo {
            reject_status: 503,
            ..HeaderInfo::default()
        };
        let problems = list(&session, &stats, &header, UNIX_EPOCH);
        assert!(
            !problems
                .iter()
                .any(|p| p.kind == ProblemKind::RefusalsNotRetried)
        );
    }

    #[test]
    fn every_filter_parses() {
        for kind in [
            ProblemKind::RecordFailing,
            ProblemKind::WrongPath,
            ProblemKind::WrongUrl,
            ProblemKind::BadSignature,
            ProblemKind::BadBodyHash,
            ProblemKind::MissingSignature,
            ProblemKind::RefusalsNotRetried,
            ProblemKind::Malformed,
            ProblemKind::TooLarge,
            ProblemKind::MethodNotAllowed,
            ProblemKind::ForwardFailing,
        ] {
            let p = Problem {
                kind,
                count: 1,
                text: String::new(),
                is_warning: true,
            };
            let filter = p.deliveries_filter().expect("a filter");
            crate::tui::delivery_filter::DeliveryFilter::parse(filter)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        }
    }
}
