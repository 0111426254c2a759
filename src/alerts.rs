//! Twilio's side of the story: when Event Streams cannot deliver to the sink (tunnel down, a slow
//! answer, 5xx), it says so in the Debugger, not to the sink (docs/signatures.md, "Retries and what
//! an answer means", errors 91300–91308). An [`AlertPoller`] asks the Monitor API once a minute for
//! alerts about this sink and publishes them, each once, to an [`AlertFeed`] that the presenters
//! read.
//!
//! The feed is shared state rather than a channel because it also carries a status (off, polled
//! at, failing) that the TUI header shows at any time. Each presenter keeps its own
//! [`AlertsSeen`] (in its [`crate::session::Session`]) and syncs it on its tick, so every alert
//! is written or drawn exactly once per presenter, however often the poller sees it again.

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::twilio::api::EventsClient;
use crate::twilio::monitor_api::{Alert, MonitorClient};

/// The Debugger codes of Event Streams delivery failures.
pub const SINK_ERROR_CODES: RangeInclusive<u32> = 91300..=91308;

/// How often the Monitor API is asked, unless `--alert-poll-secs` says otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// Each poll asks again for this much time before the previous one: Twilio buffers alerts, so
/// one may be created after a poll with a `date_generated` before it. Repeats are dropped by SID.
const POLL_OVERLAP: Duration = Duration::from_secs(120);

/// The window of the header's summary ("3 delivery failures in the last 20 min"): Twilio groups
/// its notifications every 20 minutes.
pub const SUMMARY_WINDOW: Duration = Duration::from_secs(20 * 60);

/// What an Event Streams error code means, in a few words.
pub fn code_label(code: u32) -> &'static str {
    match code {
        91302 => "throttled (429 or repeated 5xx)",
        91303 => "event dropped, not retried",
        91304 => "Twilio internal error, retried",
        91305 => "4xx answer, not retried",
        91306 => "5xx answer, retried",
        91307 => "could not connect",
        91308 => "timeout",
        _ => "delivery failed",
    }
}

/// One alert about this sink, as presenters show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkAlert {
    /// The alert's SID (`NO…`): the identity repeats are dropped by.
    pub sid: String,
    /// Twilio's code as sent, e.g. `"91308"`.
    pub error_code: String,
    /// Twilio's text.
    pub alert_text: String,
    /// `date_generated` as sent (RFC 3339).
    pub date_generated: String,
    /// `date_generated`, read; `None` when Twilio sent none or an unreadable one.
    pub generated_at: Option<SystemTime>,
    /// `error`, `warning`, ...
    pub log_level: Option<String>,
    /// The Error Dictionary page.
    pub more_info: Option<String>,
}

impl SinkAlert {
    /// The alert as presenters show it; `None` without a SID (it could not be deduplicated).
    pub fn from_alert(alert: &Alert) -> Option<Self> {
        let sid = alert.sid.clone().filter(|s| !s.is_empty())?;
        let date_generated = alert
            .date_generated
            .clone()
            .or_else(|| alert.date_created.clone())
            .unwrap_or_default();
        let generated_at = crate::timestamp::parse_rfc3339(&date_generated)
            .ok()
            .map(SystemTime::from);
        Some(Self {
            sid,
            error_code: alert.error_code.clone().unwrap_or_default(),
            alert_text: alert.alert_text.clone().unwrap_or_default(),
            date_generated,
            generated_at,
            log_level: alert.log_level.clone(),
            more_info: alert.more_info.clone(),
        })
    }

    /// `91308 timeout`.
    pub fn code_and_label(&self) -> String {
        match self.error_code.trim().parse::<u32>() {
            Ok(code) => format!("{code} {}", code_label(code)),
            Err(_) => self.error_code.clone(),
        }
    }
}

/// Which alerts are about this sink. Twilio's alert names the sink in `resource_sid` (the sink
/// SID), in `alert_text` (which "will include the Sink ID", per the webhook quickstart) and,
/// for a request it made, in `request_url` (the destination plus `?bodySHA256=…`); any one of
/// them is enough. Only the Event Streams delivery codes count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkMatcher {
    /// Sink SIDs (`DG…`) that deliver to this listener.
    pub sink_sids: Vec<String>,
    /// The public URL, the sinks' destination.
    pub destination: Option<String>,
}

impl SinkMatcher {
    /// True when `alert` reports a delivery failure of one of these sinks.
    pub fn matches(&self, alert: &Alert) -> bool {
        if !alert.code().is_some_and(|c| SINK_ERROR_CODES.contains(&c)) {
            return false;
        }
        let text = alert.alert_text.as_deref().unwrap_or_default();
        let names_sink = self.sink_sids.iter().any(|sid| {
            alert.resource_sid.as_deref() == Some(sid.as_str()) || text.contains(sid.as_str())
        });
        let names_destination = self.destination.as_deref().is_some_and(|url| {
            let requested = alert.request_url.as_deref().unwrap_or_default();
            let requested = requested.split('?').next().unwrap_or_default();
            requested == url.split('?').next().unwrap_or_default()
                || text.contains(url)
                || text.contains(&form_encoded(url))
        });
        names_sink || names_destination
    }
}

/// `url` as it appears inside form-encoded alert text (`https%3A%2F%2F…`):
/// `application/x-www-form-urlencoded` keeps `A-Z a-z 0-9 - . _ *` and escapes the rest.
fn form_encoded(url: &str) -> String {
    let mut out = String::with_capacity(url.len() * 3);
    for byte in url.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Where the poller stands, for the header and the compact output.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertStatus {
    /// Not polled, and why ("no TWILIO_ACCOUNT_SID").
    Off {
        /// What is missing, with what to set.
        reason: String,
    },
    /// Polling, no answer yet.
    Starting,
    /// The last poll succeeded.
    Polled {
        /// When it was sent.
        at: SystemTime,
    },
    /// The last poll failed.
    Failed {
        /// When it was sent.
        at: SystemTime,
        /// Why, as the REST client says it.
        error: String,
    },
}

/// Alerts published so far and the poller's status: written by the [`AlertPoller`], read by
/// presenters. Cheap to clone (an `Arc`); a `std::sync::Mutex` because it is held only to copy.
#[derive(Debug, Clone)]
pub struct AlertFeed {
    inner: Arc<Mutex<FeedState>>,
}

#[derive(Debug)]
struct FeedState {
    status: AlertStatus,
    /// Every alert published, in publishing order, each SID once.
    alerts: Vec<SinkAlert>,
    sids: HashSet<String>,
}

impl AlertFeed {
    /// A feed whose poller is about to start.
    pub fn new() -> Self {
        Self::with_status(AlertStatus::Starting)
    }

    /// A feed that stays empty, saying why.
    pub fn off(reason: impl Into<String>) -> Self {
        Self::with_status(AlertStatus::Off {
            reason: reason.into(),
        })
    }

    fn with_status(status: AlertStatus) -> Self {
        Self {
            inner: Arc::new(Mutex::new(FeedState {
                status,
                alerts: Vec::new(),
                sids: HashSet::new(),
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, FeedState> {
        // Poisoned only if a holder panicked while copying; the data is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The poller's status.
    pub fn status(&self) -> AlertStatus {
        self.state().status.clone()
    }

    /// Records a successful poll at `at` and appends the alerts not published before; returns
    /// how many were new.
    pub fn publish(&self, alerts: impl IntoIterator<Item = SinkAlert>, at: SystemTime) -> usize {
        let mut state = self.state();
        state.status = AlertStatus::Polled { at };
        let mut fresh = 0;
        for alert in alerts {
            if state.sids.insert(alert.sid.clone()) {
                state.alerts.push(alert);
                fresh += 1;
            }
        }
        fresh
    }

    /// Records a failed poll.
    pub fn fail(&self, error: String, at: SystemTime) {
        self.state().status = AlertStatus::Failed { at, error };
    }

    /// The alerts published after the first `seen`, and the status.
    fn since(&self, seen: usize) -> (Vec<SinkAlert>, AlertStatus) {
        let state = self.state();
        let fresh = state
            .alerts
            .get(seen..)
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        (fresh, state.status.clone())
    }
}

impl Default for AlertFeed {
    fn default() -> Self {
        Self::new()
    }
}

/// One presenter's copy of the feed: the alerts it has shown and the last status it saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsSeen {
    /// Every alert shown, oldest first.
    pub alerts: Vec<SinkAlert>,
    /// The poller's status at the last sync; `None` before the first.
    pub status: Option<AlertStatus>,
}

/// What one [`AlertsSeen::sync`] brought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertSync {
    /// How many alerts at the end of [`AlertsSeen::alerts`] are new.
    pub new_alerts: usize,
    /// The status changed (to off, failing, or back to working).
    pub status_changed: bool,
}

impl AlertsSeen {
    /// Copies what the feed has that this presenter has not shown yet.
    pub fn sync(&mut self, feed: &AlertFeed) -> AlertSync {
        let (fresh, status) = feed.since(self.alerts.len());
        let status_changed = match (&self.status, &status) {
            (None, _) => true,
            // A newer poll time is no news; a change of kind or of error is.
            (Some(AlertStatus::Polled { .. }), AlertStatus::Polled { .. }) => false,
            (Some(AlertStatus::Failed { error: a, .. }), AlertStatus::Failed { error: b, .. }) => {
                a != b
            }
            (Some(old), new) => std::mem::discriminant(old) != std::mem::discriminant(new),
        };
        let new_alerts = fresh.len();
        self.alerts.extend(fresh);
        self.status = Some(status);
        AlertSync {
            new_alerts,
            status_changed,
        }
    }

    /// The alerts generated within [`SUMMARY_WINDOW`] before `now` (alerts without a readable
    /// date count as recent: they were just polled).
    pub fn recent(&self, now: SystemTime) -> impl Iterator<Item = &SinkAlert> {
        self.alerts.iter().filter(move |a| {
            a.generated_at
                .is_none_or(|t| now.duration_since(t).unwrap_or_default() <= SUMMARY_WINDOW)
        })
    }

    /// One line for the header: "Twilio: 3 delivery failures in the last 20 min — 91308
    /// timeout" (the most frequent code), or the poller's status when nothing is recent.
    pub fn summary(&self, now: SystemTime) -> String {
        let recent: Vec<&SinkAlert> = self.recent(now).collect();
        if let Some(latest) = recent.last() {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for alert in &recent {
                match counts
                    .iter_mut()
                    .find(|(code, _)| *code == alert.error_code)
                {
                    Some((_, n)) => *n += 1,
                    None => counts.push((&alert.error_code, 1)),
                }
            }
            let top = counts
                .iter()
                .max_by_key(|(_, n)| *n)
                .map_or(latest.error_code.as_str(), |(code, _)| code);
            let label = recent
                .iter()
                .find(|a| a.error_code == top)
                .map_or_else(|| latest.code_and_label(), |a| a.code_and_label());
            let noun = if recent.len() == 1 {
                "failure"
            } else {
                "failures"
            };
            return format!(
                "Twilio: {} delivery {noun} in the last {} min — {label}",
                recent.len(),
                SUMMARY_WINDOW.as_secs() / 60
            );
        }
        let earlier = self.alerts.len();
        match &self.status {
            None | Some(AlertStatus::Starting) => "Twilio Debugger: asking…".to_owned(),
            Some(AlertStatus::Off { reason }) => format!("Twilio Debugger alerts off: {reason}"),
            Some(AlertStatus::Failed { error, .. }) => {
                format!("Twilio Debugger: cannot poll: {error}")
            }
            Some(AlertStatus::Polled { at }) if earlier > 0 => format!(
                "Twilio: no delivery failure in the last {} min ({earlier} earlier; checked {})",
                SUMMARY_WINDOW.as_secs() / 60,
                crate::timestamp::clock(*at)
            ),
            Some(AlertStatus::Polled { at }) => format!(
                "Twilio: no delivery failures reported (checked {})",
                crate::timestamp::clock(*at)
            ),
        }
    }

    /// True when the summary is a warning (recent failures, or polling fails).
    pub fn is_warning(&self, now: SystemTime) -> bool {
        self.recent(now).next().is_some() || matches!(self.status, Some(AlertStatus::Failed { .. }))
    }
}

/// Polls the Monitor API for alerts about one sink and publishes them to a feed.
pub struct AlertPoller {
    /// The Monitor API.
    pub client: MonitorClient,
    /// Which alerts count.
    pub matcher: SinkMatcher,
    /// Where they go.
    pub feed: AlertFeed,
    /// Time between polls.
    pub interval: Duration,
    /// The start of the run: no alert before it is asked for.
    pub run_started: SystemTime,
    /// When set, the sinks delivering to the matcher's destination are looked up once, so
    /// that alerts naming only the sink SID count too (`listen` does not know its sink).
    pub find_sinks_with: Option<EventsClient>,
}

impl AlertPoller {
    /// Polls at once, then every `interval`, until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        if let Some(events) = self.find_sinks_with.take() {
            self.find_sinks(&events).await;
        }
        let mut since = self.run_started;
        loop {
            let started = SystemTime::now();
            match self.client.list_alerts_since(since).await {
                Ok(alerts) => {
                    let about_sink = alerts
                        .iter()
                        .filter(|a| self.matcher.matches(a))
                        .filter_map(SinkAlert::from_alert);
                    self.feed.publish(about_sink, started);
                    since = started
                        .checked_sub(POLL_OVERLAP)
                        .unwrap_or(started)
                        .max(self.run_started);
                }
                Err(e) => self.feed.fail(one_line(&e), started),
            }
            tokio::select! {
                () = tokio::time::sleep(self.interval) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }

    /// Adds the SIDs of the webhook sinks whose destination is ours. Best effort: without them,
    /// alerts are still matched by URL.
    async fn find_sinks(&mut self, events: &EventsClient) {
        let Some(destination) = self.matcher.destination.clone() else {
            return;
        };
        if let Ok(sinks) = events.list_sinks().await {
            for sink in sinks {
                if sink.destination() == Some(destination.as_str())
                    && !self.matcher.sink_sids.contains(&sink.sid)
                {
                    self.matcher.sink_sids.push(sink.sid);
                }
            }
        }
    }
}

/// An error and its causes on one line.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SINK: &str = "DG0123456789abcdef0123456789abcdef";
    const URL: &str = "https://abc.ngrok.app/events";

    fn alert(sid: &str, code: &str) -> Alert {
        Alert {
            sid: Some(sid.to_owned()),
            error_code: Some(code.to_owned()),
            date_generated: Some("2026-06-10T06:02:54Z".to_owned()),
            ..Alert::default()
        }
    }

    fn matcher() -> SinkMatcher {
        SinkMatcher {
            sink_sids: vec![SINK.to_owned()],
            destination: Some(URL.to_owned()),
        }
    }

    #[test]
    fn an_alert_counts_when_any_field_names_the_sink() {
        let by_resource = Alert {
            resource_sid: Some(SINK.to_owned()),
            ..alert("NO1", "91308")
        };
        let by_text = Alert {
            alert_text: Some(format!("sinkSid={SINK}&errorCode=91307")),
            ..alert("NO2", "91307")
        };
        let by_url = Alert {
            request_url: Some(format!("{URL}?bodySHA256=abc")),
            ..alert("NO3", "91306")
        };
        let by_encoded_url = Alert {
            alert_text: Some(format!("url={}", form_encoded(URL))),
            ..alert("NO4", "91300")
        };
        assert_eq!(form_encoded(URL), "https%3A%2F%2Fabc.ngrok.app%2Fevents");
        for a in [&by_resource, &by_text, &by_url, &by_encoded_url] {
            assert!(matcher().matches(a), "{a:?}");
        }
    }

    #[test]
    fn other_sinks_and_other_codes_do_not_count() {
        let other_sink = Alert {
            resource_sid: Some("DGffffffffffffffffffffffffffffffff".to_owned()),
            request_url: Some("https://elsewhere.example/events".to_owned()),
            ..alert("NO1", "91308")
        };
        let other_code = Alert {
            resource_sid: Some(SINK.to_owned()),
            ..alert("NO2", "11200")
        };
        let no_code = Alert {
            resource_sid: Some(SINK.to_owned()),
            error_code: None,
            ..alert("NO3", "")
        };
        for a in [&other_sink, &other_code, &no_code] {
            assert!(!matcher().matches(a), "{a:?}");
        }
        assert!(!SinkMatcher::default().matches(&Alert {
            resource_sid: Some(SINK.to_owned()),
            ..alert("NO4", "91308")
        }));
    }

    #[test]
    fn the_feed_publishes_each_sid_once_and_each_presenter_sees_it_once() {
        let feed = AlertFeed::new();
        let at = SystemTime::now();
        let a = SinkAlert::from_alert(&alert("NO1", "91308")).unwrap();
        let b = SinkAlert::from_alert(&alert("NO2", "91307")).unwrap();
        assert_eq!(feed.publish([a.clone()], at), 1);
        let mut seen = AlertsSeen::default();
        assert_eq!(
            seen.sync(&feed),
            AlertSync {
                new_alerts: 1,
                status_changed: true
            }
        );
        assert_eq!(feed.publish([a.clone(), b.clone()], at), 1);
        assert_eq!(seen.sync(&feed).new_alerts, 1);
        assert_eq!(feed.publish([a, b], at), 0);
        assert_eq!(seen.sync(&feed), AlertSync::default());
        assert_eq!(seen.alerts.len(), 2);
    }

    #[test]
    fn status_changes_are_reported_once() {
        let feed = AlertFeed::new();
        let mut seen = AlertsSeen::default();
        assert!(seen.sync(&feed).status_changed);
        feed.fail("HTTP 401".into(), SystemTime::now());
        assert!(seen.sync(&feed).status_changed);
        feed.fail("HTTP 401".into(), SystemTime::now());
        assert!(!seen.sync(&feed).status_changed);
        feed.publish([], SystemTime::now());
        assert!(seen.sync(&feed).status_changed);
        feed.publish([], SystemTime::now());
        assert!(!seen.sync(&feed).status_changed);
    }

    #[test]
    fn the_summary_counts_recent_failures_and_names_the_commonest_code() {
        let now = SystemTime::now();
        let minutes_ago = |m: u64| {
            let at = now - Duration::from_secs(m * 60);
            SinkAlert {
                generated_at: Some(at),
                ..SinkAlert::from_alert(&alert(&format!("NO{m}"), "91308")).unwrap()
            }
        };
        let mut seen = AlertsSeen {
            alerts: vec![
                minutes_ago(45),
                minutes_ago(12),
                minutes_ago(5),
                minutes_ago(1),
            ],
            status: Some(AlertStatus::Polled { at: now }),
        };
        seen.alerts[3].error_code = "91307".into();
        assert_eq!(
            seen.summary(now),
            "Twilio: 3 delivery failures in the last 20 min — 91308 timeout"
        );
        assert!(seen.is_warning(now));
        seen.alerts.truncate(1);
        assert!(
            seen.summary(now)
                .starts_with("Twilio: no delivery failure in the last 20 min (1 earlier"),
            "{}",
            seen.summary(now)
        );
        let off = AlertsSeen {
            alerts: Vec::new(),
            status: Some(AlertStatus::Off {
                reason: "no TWILIO_ACCOUNT_SID".into(),
            }),
        };
        assert_eq!(
            off.summary(now),
            "Twilio Debugger alerts off: no TWILIO_ACCOUNT_SID"
        );
    }
}
