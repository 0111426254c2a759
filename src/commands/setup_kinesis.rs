//! `callwatch setup --kinesis ARN --role-arn ROLE --external-id ID`: from nothing to a verified
//! Kinesis sink. It reads the stream first (a stream that cannot be read fails before Twilio is
//! asked anything), finds (or creates) the Kinesis sink for that stream, role and external ID,
//! asks for a Sink Test, reads the test event back from the stream with callwatch's own reader
//! ([`crate::kinesis`]), validates the sink with its `test_id`, makes sure a subscription sends
//! the `--types` (the same rules and schema versions as webhook setup:
//! [`crate::twilio::provision`]), then shows the stream as `callwatch kinesis` does.
//!
//! The subscription comes after Validate, not before as for a webhook: Twilio creates a Kinesis
//! sink `initialized` and subscribes only active sinks (error 91100). Every step is a `✓` or `✗`
//! line on stderr, printed by [`super::setup`]'s helpers; `--cleanup` works as there.

use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::Reported;
use super::kinesis::Reading;
use super::setup::{Connected, Failure, Progress, Steps, finish};
use crate::cli::{DEFAULT_SINK_DESCRIPTION, KinesisSetupSettings};
use crate::kinesis::{KinesisRecord, StartAt, read_stream};
use crate::monitor::CHANNEL_CAPACITY;
use crate::output::{OutputMode, ndjson};
use crate::shutdown::ShutdownSignals;
use crate::twilio::cloudevent::{DeliveredEvent, parse_delivery};
use crate::twilio::provision::{self, Created, SinkOutcome};

/// The AWS account Twilio writes to Kinesis from (the role's trust policy names it).
const TWILIO_AWS_ACCOUNT: &str = "arn:aws:iam::177261743968:root";

/// Runs `setup --kinesis`, then shows the stream until the user quits; exits 1 (after saying
/// why) when a step fails.
pub async fn run(args: KinesisSetupSettings) -> anyhow::Result<()> {
    // Caught from here on, for the whole run: one sent between two steps is not lost.
    let mut signals = ShutdownSignals::install().context("catching Ctrl-C and SIGTERM")?;
    let progress = Progress::for_stderr();
    let arn = args.target.arn.clone();
    let (mut records_rx, reader, shards, stop_tx) = match start_reading(&args.view).await {
        Ok(started) => started,
        Err(message) => {
            progress.fail(&message);
            return Err(Reported(message).into());
        }
    };
    progress.ok(&format!("reading Kinesis stream {arn} ({shards} shards)"));

    let mut created = Created::default();
    let outcome = tokio::select! {
        outcome = connect(&args, &progress, &mut created, &mut records_rx) => outcome,
        () = signals.recv() => {
            let message = "interrupted before setup finished";
            progress.fail(message);
            Err(Failure::Fatal(message.into()))
        }
    };

    let KinesisSetupSettings {
        client,
        view,
        cleanup,
        ..
    } = args;
    let reading = Reading {
        reader,
        records: records_rx,
        shards,
        stop: stop_tx,
        signals,
    };
    let result = match outcome {
        Ok(connected) => show(view, reading, &connected, &created).await,
        Err(failure) => {
            let _ = reading.stop.send(true);
            reading.reader.abort();
            Err(Reported(failure.message().to_owned()).into())
        }
    };
    finish(&client, &progress, &created, cleanup).await;
    result
}

/// A reader of the stream whose every shard iterator is taken, at its newest record: its
/// records, its task, how many shards it reads, what stops it.
pub type Started = (
    mpsc::Receiver<KinesisRecord>,
    tokio::task::JoinHandle<Result<(), crate::kinesis::StreamError>>,
    usize,
    watch::Sender<bool>,
);

/// Starts reading the stream of `view` at its newest records, and waits until every shard's
/// iterator is taken: a test event asked for after this is read, older ones (an earlier run's)
/// are not, whatever the clocks say. The error is the `✗` line: what failed and what to check.
pub async fn start_reading(view: &crate::cli::KinesisSettings) -> Result<Started, String> {
    let arn = view.stream.describe().to_owned();
    let kinesis = super::kinesis::client(view)
        .await
        .map_err(|e| e.to_string())?;
    let (records_tx, records_rx) = mpsc::channel::<KinesisRecord>(CHANNEL_CAPACITY);
    let (started_tx, started_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut reader = tokio::spawn(read_stream(
        kinesis,
        view.stream.clone(),
        StartAt::Latest,
        records_tx,
        started_tx,
        stop_rx,
    ));
    match started_rx.await {
        Ok(shards) => Ok((records_rx, reader, shards, stop_tx)),
        Err(_) => {
            let why = match (&mut reader).await {
                Ok(Err(e)) => e.to_string(),
                Ok(Ok(())) => format!("the reader of {arn} ended before reading"),
                Err(e) => format!("the reader of {arn} failed: {e}"),
            };
            Err(format!(
                "{why} — check the stream ARN and region (--region), and that your AWS \
                 credentials may kinesis:ListShards, GetShardIterator and GetRecords on it"
            ))
        }
    }
}

/// The `✗` line when no test event was read in time: what Twilio could not do, what to check.
pub fn no_test_event(seconds: u64, arn: &str, external_id: &str) -> String {
    format!(
        "no test event in the stream in {seconds} s: Twilio could not write to {arn}; check the \
         role's trust policy ({TWILIO_AWS_ACCOUNT} with sts:ExternalId {external_id}), that the \
         role may kinesis:PutRecord and PutRecords on the stream, and that --role-arn names it"
    )
}

/// The last step: the `setup` ndjson line, then the stream shown as `callwatch kinesis` shows it,
/// by the reader that read the test event (what came after it is shown).
async fn show(
    view: crate::cli::KinesisSettings,
    reading: Reading,
    connected: &Connected,
    created: &Created,
) -> anyhow::Result<()> {
    if view.output == OutputMode::Ndjson {
        let line = connected.ndjson_line(created);
        match ndjson::write_line(&mut std::io::stdout().lock(), &line) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other.context("writing to stdout")?,
        }
    }
    super::kinesis::show(view, reading).await
}

/// Sink, Sink Test, test event read back, Validate, subscription.
async fn connect(
    args: &KinesisSetupSettings,
    progress: &Progress,
    created: &mut Created,
    records: &mut mpsc::Receiver<KinesisRecord>,
) -> Result<Connected, Failure> {
    let client = &args.client;
    let arn = args.target.arn.as_str();
    let steps = Steps {
        client,
        progress,
        destination: arn,
        test_timeout: args.test_timeout,
        types: &args.types,
    };
    let outcome = provision::find_or_create_kinesis_sink(
        client,
        &args.target,
        DEFAULT_SINK_DESCRIPTION,
        created,
    )
    .await
    .map_err(|e| steps.provisioning_failed(&e))?;
    let (verb, status) = match &outcome {
        SinkOutcome::Found { status, .. } => ("found", status),
        SinkOutcome::Created { status, .. } => ("created", status),
    };
    let was_active = status.as_deref() == Some("active");
    let sink_sid = outcome.sid().to_owned();
    progress.ok(&format!(
        "{verb} Kinesis sink {sink_sid} writing to {arn} ({})",
        status.as_deref().unwrap_or("status unknown")
    ));

    match client.test_sink(&sink_sid).await {
        Ok(result) => progress.ok(&format!(
            "asked Twilio for a Sink Test (result: {})",
            if result.is_empty() { "-" } else { &result }
        )),
        Err(e) => {
            return Err(steps.fail(
                format!("could not start a Sink Test of {sink_sid}: {e}"),
                &e,
                "check the credentials and that the sink still exists (callwatch sinks list)",
            ));
        }
    }
    let seconds = args.test_timeout.as_secs();
    progress.note(&format!(
        "waiting up to {seconds} s for Twilio's test event in {arn}"
    ));
    let test_id = match wait_for_test_event(records, args.test_timeout).await {
        Some(test_id) => test_id,
        None => {
            let message = no_test_event(seconds, arn, &args.target.external_id);
            progress.fail(&message);
            return Err(Failure::Fatal(message));
        }
    };
    progress.ok(&format!("test event {test_id} read back from the stream"));

    let mut connected = Connected {
        sink_sid: sink_sid.clone(),
        subscription_sid: String::new(),
        test_id: Some(test_id.clone()),
        validate: None,
        test_summary: String::new(),
    };
    match client.validate_sink(&sink_sid, &test_id).await {
        Ok(result) => {
            progress.ok(&format!(
                "sent Validate with its test_id (result: {result})"
            ));
            connected.test_summary = format!("test read back, Validate: {result}");
            connected.validate = Some(Ok(result));
        }
        Err(e) if was_active => {
            // Already active: Twilio delivers to it and subscribes it, so setup goes on.
            progress.fail(&format!(
                "Validate failed: {e} — the sink is active and its test event arrived, so \
                 events reach the stream; `callwatch sinks validate {sink_sid} --test-id \
                 {test_id}` can retry it"
            ));
            connected.test_summary = "test read back, Validate failed".to_owned();
            connected.validate = Some(Err(e.to_string()));
        }
        Err(e) => {
            return Err(steps.fail(
                format!("Twilio refused to validate {sink_sid} with test event {test_id}: {e}"),
                &e,
                "run setup again for a fresh test event; if it is refused again, delete the \
                 sink (callwatch sinks delete SID) and run setup again",
            ));
        }
    }
    connected.subscription_sid = steps.ensure_subscription(&sink_sid, created).await?;
    Ok(connected)
}

/// The `test_id` of the first test event read from the stream within `timeout`, or `None`
/// (nothing arrived in time, or the reader stopped).
pub async fn wait_for_test_event(
    records: &mut mpsc::Receiver<KinesisRecord>,
    timeout: Duration,
) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let record = tokio::select! {
            record = records.recv() => record?,
            () = tokio::time::sleep_until(deadline) => return None,
        };
        if let Some(test_id) = test_id_of(&record) {
            return Some(test_id);
        }
    }
}

/// The `test_id` of a record holding a `com.twilio.eventstreams.test-event`.
fn test_id_of(record: &KinesisRecord) -> Option<String> {
    parse_delivery(&record.data)
        .ok()?
        .into_iter()
        .find_map(|event| match event {
            DeliveredEvent::TestEvent { test_id, .. } => Some(test_id),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;

    fn record(data: &str) -> KinesisRecord {
        KinesisRecord {
            shard_id: "shardId-000000000000".into(),
            sequence_number: "1".into(),
            arrived_at: SystemTime::now(),
            data: Bytes::from(data.to_owned()),
        }
    }

    #[tokio::test]
    async fn the_first_test_event_read_gives_its_test_id_and_other_records_are_passed_over() {
        let (tx, mut rx) = mpsc::channel(4);
        tx.send(record("not json")).await.unwrap();
        tx.send(record(r#"{"specversion":"1.0","type":"com.twilio.voice.insights.call-summary.partial","source":"x","id":"EV1","data":{}}"#)).await.unwrap();
        tx.send(record(r#"{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC1","datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z","data":{"test_id":"t-42"}}"#)).await.unwrap();
        assert_eq!(
            wait_for_test_event(&mut rx, Duration::from_secs(5)).await,
            Some("t-42".into())
        );
        drop(tx);
        assert_eq!(
            wait_for_test_event(&mut rx, Duration::from_secs(5)).await,
            None
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_in_time_is_none() {
        let (_tx, mut rx) = mpsc::channel::<KinesisRecord>(1);
        assert_eq!(
            wait_for_test_event(&mut rx, Duration::from_secs(3)).await,
            None
        );
    }
}
