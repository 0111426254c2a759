//! `callwatch setup`: from nothing to a verified live sink. It listens, finds (or creates) the
//! webhook sink whose destination is the public URL and a subscription sending it the
//! `--types` (the seven Call Insights types by default, each at the schema version Twilio lists),
//! proves delivery with Twilio's signed Sink Test, confirms it with Validate,
//! then monitors with the same listener. Every step is a `✓` or `✗` line on stderr, so stdout
//! stays the chosen output's (ndjson for scripts).
//!
//! Running it again creates nothing: the sink is found by its destination and the subscription
//! by its sink (those rules, and what each refusal means, are [`crate::twilio::provision`]'s;
//! this module prints their outcomes). `--cleanup` deletes on exit what this run created, and
//! only that.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use tokio::time::Instant;

use crate::cli::{
    DEFAULT_SINK_DESCRIPTION, DEFAULT_SUBSCRIPTION_DESCRIPTION, SetupSettings, UsageError,
};
use crate::commands::Reported;
use crate::commands::listen::{Prepared, debugger_alerts, prepare};
use crate::ingest::Delivery;
use crate::ingest::diagnosis::signature_prefix;
use crate::ingest::public_url::PublicUrl;
use crate::monitor::{self, Running};
use crate::output::{OutputMode, ndjson};
use crate::tui::SinkInfo;
use crate::twilio::api::{ApiError, EventsClient};
use crate::twilio::cloudevent::{DeliveredEvent, parse_delivery};
use crate::twilio::provision::{
    self, Created, ProvisionError, SinkOutcome, SubscriptionOutcome, TypesName,
};
use crate::twilio::url::display_url;

/// Runs setup, then monitors until the user quits; exits 1 (after saying why) when a step fails.
pub async fn run(args: SetupSettings) -> anyhow::Result<()> {
    let run_started = SystemTime::now();
    let client = &args.client;

    let Prepared {
        spec,
        mut recording,
        tunnel,
    } = prepare(&args.listen).await?;
    let backfill = match args.listen.since {
        Some(since) => {
            Some(super::poll::backfill_first(&args.listen, since, &mut recording).await?)
        }
        None => None,
    };
    let PublicUrl::Fixed(destination) = spec.public_url.clone() else {
        return Err(UsageError("setup needs a fixed public URL".into()).into());
    };
    let mut running = monitor::start(spec, recording).await?;
    let progress = Progress::for_stderr();
    let target = crate::tunnel::local_target(running.addr);
    progress.ok(&format!(
        "listening on {target} for {}",
        display_url(&destination)
    ));

    let mut created = Created::default();
    let steps = Steps {
        client,
        progress: &progress,
        destination: &destination,
        test_timeout: args.test_timeout,
        types: &args.types,
    };
    // The monitor catches Ctrl-C and SIGTERM from `start` on and turns them into its stop.
    let mut stopping = running.stop_signal();
    let outcome = tokio::select! {
        outcome = steps.run(&mut running, &mut created) => outcome,
        _ = stopping.wait_for(|stop| *stop) => {
            let message = "interrupted before setup finished";
            progress.fail(message);
            Err(Failure::Fatal(message.into()))
        }
    };
    let result = match outcome {
        Ok(connected) => {
            monitor_after(running, connected, &created, &args, run_started, backfill).await
        }
        Err(Failure::TestFailed { connected, .. }) if args.keep_going => {
            monitor_after(running, connected, &created, &args, run_started, backfill).await
        }
        Err(failure) => {
            running.shutdown().await;
            Err(Reported(failure.message().to_owned()).into())
        }
    };
    finish(client, &progress, &created, args.cleanup).await;
    if let Some(process) = tunnel {
        process.stop().await;
    }
    result
}

/// Step (g): monitors with the listener setup used, the sink in the header and Twilio's
/// Debugger polled for alerts about it.
async fn monitor_after(
    mut running: Running,
    connected: Connected,
    created: &Created,
    args: &SetupSettings,
    run_started: SystemTime,
    backfill: Option<super::poll::Backfill>,
) -> anyhow::Result<()> {
    if running.output == OutputMode::Ndjson {
        let mut out = std::io::stdout().lock();
        ndjson::write_line(&mut out, &connected.ndjson_line(created))
            .context("writing to stdout")?;
    }
    if *running.stop_signal().borrow() {
        // Stopped just as setup ended: nothing to present.
        running.shutdown().await;
        return Ok(());
    }
    let (feed, poller) = debugger_alerts(
        &args.listen,
        &running.public_url,
        vec![connected.sink_sid.clone()],
        run_started,
    )?;
    running.alerts = Some(feed);
    running.header.sink = Some(connected.sink_info());
    let summaries = backfill.map(|b| (b, running.feed()));
    let background = super::listen::background(poller, summaries, args.listen.since_poll);
    running.present(Some(background), false).await
}

/// The sink as setup left it.
#[derive(Debug, Clone)]
pub(super) struct Connected {
    pub(super) sink_sid: String,
    pub(super) subscription_sid: String,
    /// The test event's `test_id`, when it arrived and verified.
    pub(super) test_id: Option<String>,
    /// Validate's `result`, or why it failed.
    pub(super) validate: Option<Result<String, String>>,
    /// The test in a few words, for the header.
    pub(super) test_summary: String,
}

impl Connected {
    fn sink_info(&self) -> SinkInfo {
        SinkInfo {
            sink_sid: self.sink_sid.clone(),
            subscription_sid: Some(self.subscription_sid.clone()),
            test_result: self.test_summary.clone(),
            test_passed: self.test_id.is_some(),
        }
    }

    /// `{"type":"setup", ...}`: what the run connected, for scripts (after `listening`).
    pub(super) fn ndjson_line(&self, created: &Created) -> serde_json::Value {
        let mut made = Vec::new();
        if let Some(sid) = &created.sink {
            made.push(sid.clone());
        }
        if let Some(sid) = &created.subscription {
            made.push(sid.clone());
        }
        made.extend(
            created
                .subscribed_events
                .iter()
                .map(|(sid, t)| format!("{sid}/{t}")),
        );
        let (validate, validate_error) = match &self.validate {
            Some(Ok(result)) => (Some(result.clone()), None),
            Some(Err(error)) => (None, Some(error.clone())),
            None => (None, None),
        };
        serde_json::json!({
            "type": "setup",
            "sink_sid": self.sink_sid,
            "subscription_sid": self.subscription_sid,
            "created": made,
            "test_id": self.test_id,
            "verified": self.test_id.is_some(),
            "validate": validate,
            "validate_error": validate_error,
        })
    }
}

/// Why setup stopped; the message is the `✗` line, already printed.
#[derive(Debug)]
pub(super) enum Failure {
    /// Nothing to monitor (no sink, no subscription, interrupted).
    Fatal(String),
    /// The sink is connected but the test event did not arrive or verify: `--keep-going`
    /// monitors anyway.
    TestFailed {
        message: String,
        connected: Connected,
    },
}

impl Failure {
    pub(super) fn message(&self) -> &str {
        match self {
            Self::Fatal(message) | Self::TestFailed { message, .. } => message,
        }
    }
}

/// The steps that talk to Twilio, in order.
pub(super) struct Steps<'a> {
    pub(super) client: &'a EventsClient,
    pub(super) progress: &'a Progress,
    pub(super) destination: &'a str,
    pub(super) test_timeout: Duration,
    /// The event types the subscription must send.
    pub(super) types: &'a [String],
}

impl Steps<'_> {
    async fn run(
        &self,
        running: &mut Running,
        created: &mut Created,
    ) -> Result<Connected, Failure> {
        let sink_sid = self.find_or_create_sink(created).await?;
        let subscription_sid = self.ensure_subscription(&sink_sid, created).await?;
        let mut connected = Connected {
            sink_sid: sink_sid.clone(),
            subscription_sid,
            test_id: None,
            validate: None,
            test_summary: String::new(),
        };
        match self.client.test_sink(&sink_sid).await {
            Ok(result) => self.progress.ok(&format!(
                "asked Twilio for a Sink Test (result: {})",
                if result.is_empty() { "-" } else { &result }
            )),
            Err(e) => {
                return Err(self.fail(
                    format!("could not start a Sink Test of {sink_sid}: {e}"),
                    &e,
                    "check the credentials and that the sink still exists (callwatch sinks list)",
                ));
            }
        }
        let test_id = match self.wait_for_test_event(running).await {
            Ok(test_id) => test_id,
            Err(problem) => {
                let message = problem.to_string();
                self.progress.fail(&message);
                connected.test_summary = problem.summary().to_owned();
                return Err(Failure::TestFailed { message, connected });
            }
        };
        self.progress.ok(&format!(
            "test event {test_id} arrived and its signature verified"
        ));
        connected.test_id = Some(test_id.clone());
        match self.client.validate_sink(&sink_sid, &test_id).await {
            Ok(result) => {
                self.progress.ok(&format!(
                    "sent Validate with its test_id (result: {result})"
                ));
                connected.test_summary = format!("test verified, Validate: {result}");
                connected.validate = Some(Ok(result));
            }
            Err(e) => {
                // The event did arrive and verify: deliveries work, so monitoring goes on.
                self.progress.fail(&format!(
                    "Validate failed: {e} — the test event did arrive and verify, so deliveries \
                     reach callwatch; a later `callwatch sinks validate {sink_sid} --test-id \
                     {test_id}` can retry it"
                ));
                connected.test_summary = "test verified, Validate failed".to_owned();
                connected.validate = Some(Err(e.to_string()));
            }
        }
        Ok(connected)
    }

    /// Step (a): the webhook sink that POSTs to the destination, found or created.
    async fn find_or_create_sink(&self, created: &mut Created) -> Result<String, Failure> {
        let outcome = provision::find_or_create_sink(
            self.client,
            self.destination,
            DEFAULT_SINK_DESCRIPTION,
            created,
        )
        .await
        .map_err(|e| self.provisioning_failed(&e))?;
        let destination = display_url(self.destination);
        match &outcome {
            SinkOutcome::Found {
                sid,
                status,
                batches,
            } => {
                let mut line = format!(
                    "found sink {sid} delivering to {destination} ({})",
                    status.as_deref().unwrap_or("status unknown")
                );
                if *batches {
                    line.push_str("; it batches events, which callwatch reads too");
                }
                self.progress.ok(&line);
            }
            SinkOutcome::Created {
                sid,
                status,
                skipped_get_sinks,
            } => {
                self.note_get_sinks(*skipped_get_sinks);
                self.progress.ok(&format!(
                    "created sink {sid} delivering to {destination} ({})",
                    status.as_deref().unwrap_or("status unknown")
                ));
            }
        }
        Ok(outcome.sid().to_owned())
    }

    /// Step (b): a subscription sending the types to the sink, each at the schema version
    /// Twilio lists for it. One that already sends some of them is completed with the others;
    /// otherwise a new one is created.
    pub(super) async fn ensure_subscription(
        &self,
        sink_sid: &str,
        created: &mut Created,
    ) -> Result<String, Failure> {
        let types = match provision::listed_schema_versions(self.client, self.types).await {
            Ok(types) => types,
            Err(e) => {
                // Without a listed version Twilio subscribes at the latest: the same, unnamed.
                self.progress.note(&format!(
                    "could not read the schema versions Twilio lists ({e}); letting Twilio \
                     choose the latest"
                ));
                self.types.iter().map(|t| (t.clone(), None)).collect()
            }
        };
        let outcome = provision::ensure_subscription(
            self.client,
            sink_sid,
            &types,
            DEFAULT_SUBSCRIPTION_DESCRIPTION,
            created,
        )
        .await
        .map_err(|e| self.provisioning_failed(&e))?;
        let what = TypesName(self.types);
        match &outcome {
            SubscriptionOutcome::Found { sid } => self
                .progress
                .ok(&format!("found subscription {sid} sending {what} to it")),
            SubscriptionOutcome::Completed { sid, added } => {
                self.note_lacking(sid, added);
                let versions: Vec<_> = types
                    .iter()
                    .filter(|(t, _)| added.contains(t))
                    .cloned()
                    .collect();
                self.progress.ok(&format!(
                    "subscription {sid} now sends {what} (added {})",
                    versions_text(&versions)
                ));
            }
            SubscriptionOutcome::Created { sid } => self.progress.ok(&format!(
                "created subscription {sid} sending {what} to it ({})",
                versions_text(&types)
            )),
        }
        Ok(outcome.sid().to_owned())
    }

    /// The `·` line saying why a sink is created although some deliver to the URL.
    fn note_get_sinks(&self, get_sinks: usize) {
        if get_sinks > 0 {
            self.progress.note(&format!(
                "{get_sinks} sink(s) deliver to this URL with method GET, which callwatch does not \
                 accept; creating one that POSTs"
            ));
        }
    }

    /// The `·` line saying which types an existing subscription is given.
    fn note_lacking(&self, subscription_sid: &str, missing: &[String]) {
        self.progress.note(&format!(
            "subscription {subscription_sid} lacks {}; adding {}",
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ));
    }

    /// Prints the lines for a provisioning step Twilio refused: the `·` note the step would
    /// have printed before its call, then the `✗` line.
    pub(super) fn provisioning_failed(&self, error: &ProvisionError) -> Failure {
        match error {
            ProvisionError::CreateSink {
                skipped_get_sinks, ..
            } => self.note_get_sinks(*skipped_get_sinks),
            ProvisionError::AddSubscribedEvent {
                subscription_sid,
                missing,
                ..
            } => self.note_lacking(subscription_sid, missing),
            _ => {}
        }
        self.fail(error.to_string(), error.api_error(), &error.hint())
    }

    /// Step (e): waits for a verified `com.twilio.eventstreams.test-event`.
    async fn wait_for_test_event(&self, running: &mut Running) -> Result<String, TestProblem> {
        let target = crate::tunnel::local_target(running.addr);
        let seconds = self.test_timeout.as_secs();
        let deadline = Instant::now() + self.test_timeout;
        let countdown = Countdown::new(self.progress, seconds, &display_url(self.destination));
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last_refusal: Option<String> = None;
        let result = loop {
            tokio::select! {
                delivery = running.next_delivery() => {
                    let Some(delivery) = delivery else {
                        break Err(TestProblem::ListenerStopped);
                    };
                    match TestSighting::of(&delivery) {
                        TestSighting::Verified(test_id) => break Ok(test_id),
                        TestSighting::Refused(why) => break Err(TestProblem::Refused(why)),
                        TestSighting::OtherRefusal(why) => last_refusal = Some(why),
                        TestSighting::Nothing => {}
                    }
                }
                _ = tick.tick() => countdown.show(deadline.saturating_duration_since(Instant::now())),
                () = tokio::time::sleep_until(deadline) => {
                    break Err(TestProblem::NoEvent {
                        seconds,
                        destination: display_url(self.destination).into_owned(),
                        target,
                        last_refusal,
                    });
                }
            }
        };
        drop(countdown);
        result
    }

    /// Prints the `✗` line for an API error and builds the failure; `failed` says what failed
    /// and the error. A 401 carries its own hint (which credentials to check), so `hint` is
    /// left out then.
    pub(super) fn fail(&self, failed: String, error: &ApiError, hint: &str) -> Failure {
        let message = match error {
            _ if error.http_status() == Some(401) => failed,
            ApiError::Transport { .. } => format!(
                "{failed} — check the network, and --api-base / CALLWATCH_EVENTS_API_BASE if set"
            ),
            _ => format!("{failed} — {hint}"),
        };
        self.progress.fail(&message);
        Failure::Fatal(message)
    }
}

/// `call-event.gateway v3, call-summary.partial latest, ...`: each type (a Call Insights one
/// without its prefix) with its schema version.
fn versions_text(types: &[(String, Option<u32>)]) -> String {
    types
        .iter()
        .map(|(t, version)| {
            let name = t.strip_prefix("com.twilio.voice.insights.").unwrap_or(t);
            match version {
                Some(v) => format!("{name} v{v}"),
                None => format!("{name} latest"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why the test event did not verify; `Display` is the `✗` line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TestProblem {
    /// Nothing arrived in time.
    NoEvent {
        seconds: u64,
        /// As shown: its password masked.
        destination: String,
        /// Where the tunnel must forward to.
        target: std::net::SocketAddr,
        /// Another request that arrived and was refused, which may explain it.
        last_refusal: Option<String>,
    },
    /// The test event arrived and was refused: the diagnosis.
    Refused(String),
    /// The listener ended first.
    ListenerStopped,
}

impl TestProblem {
    /// A few words for the header.
    fn summary(&self) -> &'static str {
        match self {
            Self::NoEvent { .. } | Self::ListenerStopped => "no test event",
            Self::Refused(_) => "test event refused",
        }
    }
}

impl std::fmt::Display for TestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoEvent {
                seconds,
                destination,
                target,
                last_refusal,
            } => {
                write!(
                    f,
                    "no test event in {seconds} s: Twilio could not reach {destination}; check \
                     that the tunnel forwards to {target}"
                )?;
                if let Some(why) = last_refusal {
                    write!(f, " (a request did arrive but was refused: {why})")?;
                }
                Ok(())
            }
            Self::Refused(why) => write!(f, "the test event arrived but was refused: {why}"),
            Self::ListenerStopped => {
                write!(f, "the listener stopped before the test event arrived")
            }
        }
    }
}

/// What one delivery says about the Sink Test.
#[derive(Debug, PartialEq, Eq)]
enum TestSighting {
    /// A test event, verified: its `test_id`.
    Verified(String),
    /// A test event, refused: the diagnosis.
    Refused(String),
    /// Another request, refused (it may explain a missing test event).
    OtherRefusal(String),
    /// Anything else (call summaries arriving meanwhile).
    Nothing,
}

impl TestSighting {
    fn of(delivery: &Delivery) -> Self {
        if delivery.verdict.is_accepted() {
            return delivery
                .events
                .iter()
                .find_map(|e| match e {
                    DeliveredEvent::TestEvent { test_id, .. } => {
                        Some(Self::Verified(test_id.clone()))
                    }
                    _ => None,
                })
                .unwrap_or(Self::Nothing);
        }
        let why = refusal(delivery);
        // A refused body is not read for its events; look, only to name what was refused.
        let is_test = parse_delivery(&delivery.body).is_ok_and(|events| {
            events
                .iter()
                .any(|e| matches!(e, DeliveredEvent::TestEvent { .. }))
        });
        if is_test {
            Self::Refused(why)
        } else {
            Self::OtherRefusal(why)
        }
    }
}

/// The verdict and the diagnosis of a refused delivery, on one line (signature prefixes only).
fn refusal(delivery: &Delivery) -> String {
    let mut text = format!("{} {}", delivery.status, delivery.verdict.as_str());
    if let Some(diagnosis) = &delivery.diagnosis {
        text.push_str(&format!(" — {}: {}", diagnosis.reason, diagnosis.hint));
        if let Some(url) = &diagnosis.matched_url {
            text.push_str(&format!(" (Twilio signed {url})"));
        }
        if let Some(signature) = &diagnosis.received_signature {
            text.push_str(&format!(
                "; received signature {}…",
                signature_prefix(signature)
            ));
        }
    }
    text
}

/// Deletes what this run created when `cleanup`, or says what was kept.
pub(super) async fn finish(
    client: &EventsClient,
    progress: &Progress,
    created: &Created,
    cleanup: bool,
) {
    if created.is_empty() {
        return;
    }
    if !cleanup {
        let mut kept: Vec<String> = created.sink.iter().cloned().collect();
        kept.extend(created.subscription.iter().cloned());
        if !kept.is_empty() {
            progress.note(&format!(
                "kept {} in Twilio: running setup again reuses them (--cleanup deletes them on exit)",
                kept.join(" and ")
            ));
        }
        return;
    }
    // Subscription first: a sink with a subscription still pointing at it is in use.
    for (subscription, event_type) in created.subscribed_events.iter().rev() {
        match client
            .delete_subscribed_event(subscription, event_type)
            .await
        {
            Ok(()) => progress.ok(&format!("removed {event_type} from {subscription}")),
            Err(e) => progress.fail(&format!(
                "could not remove {event_type} from {subscription}: {e} — remove it by hand"
            )),
        }
    }
    if let Some(sid) = &created.subscription {
        match client.delete_subscription(sid).await {
            Ok(()) => progress.ok(&format!("deleted subscription {sid}")),
            Err(e) => progress.fail(&format!(
                "could not delete subscription {sid}: {e} — run `callwatch subscriptions delete {sid}`"
            )),
        }
    }
    if let Some(sid) = &created.sink {
        match client.delete_sink(sid).await {
            Ok(()) => progress.ok(&format!("deleted sink {sid}")),
            Err(e) => progress.fail(&format!(
                "could not delete sink {sid}: {e} — run `callwatch sinks delete {sid}`"
            )),
        }
    }
}

/// The `✓` / `✗` lines on stderr, green and red on a colour terminal.
pub(super) struct Progress {
    color: bool,
}

impl Progress {
    pub(super) fn for_stderr() -> Self {
        Self {
            color: std::io::stderr().is_terminal() && crate::cli::color_enabled(),
        }
    }

    pub(super) fn ok(&self, text: &str) {
        self.line("✓", "32", text);
    }

    pub(super) fn fail(&self, text: &str) {
        self.line("✗", "31", text);
    }

    pub(super) fn note(&self, text: &str) {
        self.line("·", "2", text);
    }

    /// Writes one step; `text` quotes Twilio's answers, so it is escaped.
    fn line(&self, mark: &str, ansi: &str, text: &str) {
        let text = crate::text::terminal_safe(text);
        if self.color {
            eprintln!("\x1b[{ansi}m{mark}\x1b[0m {text}");
        } else {
            eprintln!("{mark} {text}");
        }
    }
}

/// The seconds left for the test event: rewritten in place on a terminal, said once otherwise.
struct Countdown {
    live: bool,
}

impl Countdown {
    fn new(progress: &Progress, seconds: u64, destination: &str) -> Self {
        let live = std::io::stderr().is_terminal();
        if !live {
            progress.note(&format!(
                "waiting up to {seconds} s for Twilio's signed test event at {destination}"
            ));
        }
        Self { live }
    }

    fn show(&self, left: Duration) {
        if self.live {
            // Round up: "1 s" until the very end.
            let seconds = left.as_millis().div_ceil(1000);
            eprint!("\r\x1b[K  waiting for Twilio's signed test event… {seconds} s ");
        }
    }
}

impl Drop for Countdown {
    /// Clears the countdown line, also when the wait is cut short (Ctrl-C).
    fn drop(&mut self) {
        if self.live {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;
    use crate::ingest::DeliveryVerdict;

    const TEST_BODY: &str = r#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json","datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z","data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]"#;

    fn delivery(verdict: DeliveryVerdict, body: &str) -> Delivery {
        let events = if verdict.is_accepted() {
            parse_delivery(body.as_bytes()).unwrap()
        } else {
            Vec::new()
        };
        let mut d = Delivery::accepted(1, SystemTime::now(), events);
        d.status = if verdict.is_accepted() { 200 } else { 403 };
        d.verdict = verdict;
        d.body = Bytes::from(body.to_owned());
        d
    }

    #[test]
    fn a_verified_test_event_gives_its_test_id() {
        let d = delivery(DeliveryVerdict::Ok, TEST_BODY);
        assert_eq!(
            TestSighting::of(&d),
            TestSighting::Verified("cae2f9e2-c277-4612-8ad3-93c1a7a3ef88".into())
        );
    }

    #[test]
    fn a_refused_test_event_is_told_apart_from_other_refusals() {
        let d = delivery(DeliveryVerdict::BadSignature, TEST_BODY);
        assert!(
            matches!(TestSighting::of(&d), TestSighting::Refused(why) if why.starts_with("403 bad_signature"))
        );
        let d = delivery(DeliveryVerdict::MissingSignature, "{}");
        assert!(matches!(
            TestSighting::of(&d),
            TestSighting::OtherRefusal(_)
        ));
        let d = delivery(DeliveryVerdict::Ok, "[]");
        assert_eq!(TestSighting::of(&d), TestSighting::Nothing);
    }
}
