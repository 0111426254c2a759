//! `callwatch poll`: calls with no listener, no sink and no tunnel. Every `--interval` it lists
//! the call summaries of Twilio's Voice Insights API (`ProcessingState=all`, from `--since`),
//! keeps those that are new or changed since the last round, and hands them to the same
//! presenter as `listen` ([`crate::monitor::show`]) as one delivery per round: the store, table,
//! filters and outputs cannot tell them from webhook deliveries. Terms of `--filter` the API can
//! apply are sent to it ([`server_side_query`]); the whole filter still runs here.
//!
//! [`Backfill`] is the same round for `listen --since` and `setup --since`: summaries merged by
//! the store's rules with whatever deliveries bring, never overriding a better delivered one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::insights::{explained, insights_client};
use crate::cli::{ListenSettings, PollSettings};
use crate::ingest::polled::{SUMMARIES_PATH, fingerprint, summaries_delivery};
use crate::ingest::record::{Recorder, line_for};
use crate::ingest::{CHANNEL_CAPACITY, Delivery, ListenerStats};
use crate::monitor::{self, DEFAULT_RECORD_MAX_BYTES, Presentation, Recording};
use crate::output::{OutputMode, ndjson};
use crate::tui::{HeaderInfo, PollStatus};
use crate::twilio::insights_api::{
    CALL_STATES, CALL_TYPES, DIRECTIONS, InsightsClient, SummaryQuery,
};
use crate::twilio::rest::ApiError;
use crate::twilio::summary::CallSummary;

/// The longest wait between two polls while Twilio answers 429 or fails.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// How far back later rounds look at most: a summary is final within about 30 minutes of
/// the call's end, so older calls do not change any more (the first round looks back
/// `--since`).
const LATER_ROUNDS_LOOK_BACK: Duration = Duration::from_secs(4 * 3600);

/// Runs `callwatch poll` until the user quits, a signal arrives, or `--duration` ends.
pub async fn run(settings: PollSettings) -> anyhow::Result<()> {
    let client = insights_client(&settings.api, &settings.insights_api_base)?;
    let launched = SystemTime::now();
    let mut query = server_side_query(settings.filter_text.as_deref());
    query.processing_state = Some("all");
    let mut backfill = Backfill::new(client.clone(), query);
    backfill.start = launched - settings.since;
    let stats = Arc::new(ListenerStats::default());
    let recorder = match &settings.record {
        Some(path) => Some(Recorder::open_capped(
            path,
            Arc::clone(&stats),
            DEFAULT_RECORD_MAX_BYTES,
        )?),
        None => None,
    };

    // The first round before anything is shown: wrong credentials, Advanced Features off or a
    // wrong base end the command with the sentence that says what to do. A 429 only waits.
    let start = backfill.start;
    let first = match backfill.round(start, launched).await {
        Ok(delivery) => Some(delivery),
        Err(e) if e.http_status() == Some(429) => {
            let advice = explained(e);
            eprintln!(
                "callwatch: {}",
                crate::text::terminal_safe(&format!("{advice:#}"))
            );
            None
        }
        Err(e) => return Err(explained(e)),
    };

    let status = Arc::new(PollStatus::default());
    let source = format!(
        "{}{SUMMARIES_PATH} every {}s",
        client.base_url().trim_end_matches('/'),
        settings.interval.as_secs()
    );
    if settings.output == OutputMode::Ndjson {
        let line = json!({
            "type": "polling",
            "api": source,
            "since": crate::timestamp::rfc3339(start),
            "interval_secs": settings.interval.as_secs(),
            "server_filters": backfill.query.params().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        });
        ndjson::write_line(&mut std::io::stdout().lock(), &line).context("writing to stdout")?;
    }

    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop_tx, stop_rx) = watch::channel(false);
    let poller = Poller {
        backfill,
        tx,
        stats: Arc::clone(&stats),
        status: Arc::clone(&status),
        recorder: recorder.clone(),
        interval: settings.interval,
        start,
        output: settings.output,
    };
    let polling = tokio::spawn(poller.run(first, stop_rx, settings.duration));

    let header = HeaderInfo {
        listen_addr: "nothing (polling, no tunnel)".into(),
        public_url: source,
        url_source: "Voice Insights API".into(),
        mode_note: Some(format!(
            "poll: calls since {}",
            crate::timestamp::clock(start)
        )),
        color: settings.color,
        hyperlinks: true,
        poll: Some(status),
        insights: Some(client.clone()),
        ..HeaderInfo::default()
    };
    let presentation = Presentation {
        output: settings.output,
        header,
        tui: settings.view,
        alerts: None,
    };
    let result = monitor::show(
        rx,
        Arc::clone(&stats),
        presentation,
        &stop_tx,
        crate::shutdown::shutdown_signal(),
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = polling.await;
    if let Some(recorder) = recorder {
        recorder.close().await;
    }
    result
}

/// The poll loop after the first round.
struct Poller {
    backfill: Backfill,
    tx: mpsc::Sender<Delivery>,
    stats: Arc<ListenerStats>,
    status: Arc<PollStatus>,
    recorder: Option<Recorder>,
    interval: Duration,
    /// What the first round asked for.
    start: SystemTime,
    output: OutputMode,
}

impl Poller {
    async fn run(
        mut self,
        first: Option<Delivery>,
        mut stop: watch::Receiver<bool>,
        duration: Option<Duration>,
    ) {
        let deadline = duration.map(|d| tokio::time::Instant::now() + d);
        let mut wait = self.interval;
        match first {
            Some(delivery) => {
                self.status.succeeded(delivery.received_at);
                self.hand_on(delivery).await;
            }
            None => wait = (wait * 2).min(MAX_BACKOFF),
        }
        loop {
            let sleep = match deadline {
                Some(deadline) => {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return;
                    }
                    wait.min(deadline - now)
                }
                None => wait,
            };
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                return;
            }
            let now = SystemTime::now();
            let start = self.start.max(now - LATER_ROUNDS_LOOK_BACK);
            match self.backfill.round(start, now).await {
                Ok(delivery) => {
                    wait = self.interval;
                    self.status.succeeded(now);
                    self.hand_on(delivery).await;
                }
                Err(e) => {
                    wait = (wait * 2).min(MAX_BACKOFF);
                    let error = explained(e);
                    let text = format!("{error:#} (next poll in {}s)", wait.as_secs());
                    if self.output != OutputMode::Tui {
                        eprintln!("callwatch: {}", crate::text::terminal_safe(&text));
                    }
                    self.status.failed(text);
                }
            }
        }
    }

    /// Records the round's delivery (when it changed anything) and passes it on.
    async fn hand_on(&mut self, delivery: Delivery) {
        self.stats.arrived(delivery.received_at);
        if delivery.events.is_empty() {
            return;
        }
        if let Some(recorder) = &self.recorder
            && let Err(e) = recorder.append_durable(line_for(&delivery)).await
        {
            tracing::warn!(error = %e, "could not record a poll round");
        }
        self.stats.answered(&delivery);
        let _ = self.tx.send(delivery).await;
    }
}

/// One listing of call summaries, and what earlier listings returned: each round yields the
/// summaries that are new or changed as one delivery of call-summary events.
pub struct Backfill {
    client: InsightsClient,
    /// The filters sent (StartTime is set per round).
    pub query: SummaryQuery,
    /// A fingerprint of each call's last summary seen.
    seen: HashMap<String, u64>,
    /// Rounds so far, the sequence number of the deliveries.
    rounds: u64,
    /// The start of the first round's window.
    start: SystemTime,
}

impl Backfill {
    /// Lists with `query` (its `start_time` is set per round).
    pub fn new(client: InsightsClient, query: SummaryQuery) -> Self {
        Self {
            client,
            query,
            seen: HashMap::new(),
            rounds: 0,
            start: SystemTime::now(),
        }
    }

    /// Lists the summaries of calls started since `start` (every page) and returns the new
    /// or changed ones as a delivery received at `now` (without events when none changed).
    pub async fn round(
        &mut self,
        start: SystemTime,
        now: SystemTime,
    ) -> Result<Delivery, ApiError> {
        let mut query = self.query.clone();
        query.start_time = Some(crate::timestamp::rfc3339_seconds(start.into()));
        let summaries = self.client.list_summaries(&query).await?;
        let listed = summaries.len();
        let changed: Vec<CallSummary> = summaries
            .into_iter()
            .filter(|s| !s.call_sid.is_empty())
            .filter(|s| {
                let print = fingerprint(s);
                self.seen.insert(s.call_sid.clone(), print) != Some(print)
            })
            .collect();
        self.rounds += 1;
        tracing::info!(
            listed,
            changed = changed.len(),
            round = self.rounds,
            "polled call summaries"
        );
        Ok(summaries_delivery(self.rounds, now, &changed))
    }
}

/// `listen --since` / `setup --since`: lists the summaries of the last `since` once before the
/// listener starts, and puts them first in the presentation channel (after any `--resume`d
/// deliveries). The error says what to do (credentials, Advanced Features...).
pub(crate) async fn backfill_first(
    settings: &ListenSettings,
    since: Duration,
    recording: &mut Recording,
) -> anyhow::Result<Backfill> {
    let client = insights_client(&settings.api, &settings.insights_api_base)?;
    let mut backfill = Backfill::new(
        client,
        SummaryQuery {
            processing_state: Some("all"),
            ..SummaryQuery::default()
        },
    );
    let now = SystemTime::now();
    backfill.start = now - since;
    let mut delivery = backfill
        .round(backfill.start, now)
        .await
        .map_err(explained)
        .context("--since: backfilling from the Voice Insights API")?;
    // After the resumed deliveries, numbered on from them.
    delivery.seq = recording.preload.len() as u64 + 1;
    tracing::info!(calls = delivery.events.len(), "backfilled call summaries");
    if !delivery.events.is_empty() {
        recording.preload.push(delivery);
    }
    Ok(backfill)
}

impl Backfill {
    /// Lists the summaries again every `interval` and sends what changed into `feed` until
    /// `stop`; errors are logged (with what to do) and the next round is later.
    pub async fn keep_merging(
        mut self,
        interval: Duration,
        feed: mpsc::Sender<Delivery>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut wait = interval;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let now = SystemTime::now();
            let start = self.start.max(now - LATER_ROUNDS_LOOK_BACK);
            match self.round(start, now).await {
                Ok(delivery) => {
                    wait = interval;
                    if !delivery.events.is_empty() && feed.send(delivery).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    wait = (wait * 2).min(MAX_BACKOFF);
                    drop(explained(e));
                }
            }
        }
    }
}

/// The terms of a `--filter` expression the API can apply, as list filters: `state=`,
/// `type=`, `direction=` with values the API knows (comma lists too), and `tag` terms
/// (`HasTag=true`). Only for an expression that is a plain `and` of terms: with `or`, `!`,
/// `not` or parentheses nothing is sent, as the API could then drop calls the filter keeps.
/// Carrier terms stay local: `carrier=` means either party, which `FromCarrier` and
/// `ToCarrier` (both must match) cannot say.
pub fn server_side_query(filter: Option<&str>) -> SummaryQuery {
    let mut query = SummaryQuery::default();
    let Some(text) = filter else { return query };
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let complex = tokens.iter().any(|t| {
        t.eq_ignore_ascii_case("or")
            || t.eq_ignore_ascii_case("not")
            || t.contains(['(', ')', '!', '"', '\''])
    });
    if complex {
        return query;
    }
    for token in tokens {
        if token.eq_ignore_ascii_case("and") {
            continue;
        }
        let Some((field, value)) = token.split_once('=') else {
            if let Some((field, _)) = token.split_once('~')
                && matches!(field.to_ascii_lowercase().as_str(), "tag" | "tags")
            {
                query.has_tag = Some(true);
            }
            continue;
        };
        let values: Vec<String> = value
            .split(',')
            .map(|v| v.trim().to_ascii_lowercase())
            .collect();
        let known = |allowed: &[&str]| {
            (!values.is_empty() && values.iter().all(|v| allowed.contains(&v.as_str())))
                .then(|| values.clone())
        };
        let (list, allowed) = match field.to_ascii_lowercase().as_str() {
            "state" | "call_state" => (&mut query.call_states, CALL_STATES),
            "type" | "call_type" => (&mut query.call_types, CALL_TYPES),
            "direction" => (&mut query.directions, DIRECTIONS),
            "tag" | "tags" => {
                query.has_tag = Some(true);
                continue;
            }
            _ => continue,
        };
        // Two terms on one field are both required: only the first is sent, the filter
        // applies both.
        if list.is_empty()
            && let Some(values) = known(allowed)
        {
            *list = values;
        }
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_and_terms_the_api_knows_go_to_the_server() {
        let q = server_side_query(Some("state=fail,busy type=sip and tag~jitter pdd>3s"));
        assert_eq!(q.call_states, ["fail", "busy"]);
        assert_eq!(q.call_types, ["sip"]);
        assert_eq!(q.has_tag, Some(true));
        assert!(q.directions.is_empty());
        for local in [
            "state=fail or type=sip",
            "!state=fail",
            "(state=fail)",
            "not state=fail",
            "carrier=vodafone",
            "state=failing",
        ] {
            assert_eq!(
                server_side_query(Some(local)),
                SummaryQuery::default(),
                "{local}"
            );
        }
        let q = server_side_query(Some("direction=inbound"));
        assert_eq!(q.directions, ["inbound"]);
    }
}
