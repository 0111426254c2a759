//! `callwatch kinesis STREAM`: reads the Amazon Kinesis stream a Twilio Event Streams Kinesis
//! sink writes to ([`crate::kinesis`]) and shows its calls like `listen` does. Each record (one
//! CloudEvent) is judged as a webhook body is, without a signature (IAM authenticates the
//! stream), duplicates dropped by the same event-id window, and becomes a delivery whose
//! method is `KINESIS` and whose path is `SHARD/SEQUENCE`, for every output and `--record`.

use std::sync::Arc;

use anyhow::Context;
use aws_config::{BehaviorVersion, Region};
use tokio::sync::{mpsc, oneshot, watch};

use crate::cli::KinesisSettings;
use crate::ingest::record::{Recorder, line_for};
use crate::ingest::verdict::Judge;
use crate::ingest::{Delivery, KINESIS_METHOD, ListenerStats};
use crate::kinesis::{KinesisRecord, read_stream};
use crate::monitor::{self, CHANNEL_CAPACITY, DEFAULT_RECORD_MAX_BYTES, Presentation};
use crate::output::{OutputMode, ndjson};
use crate::shutdown::ShutdownSignals;
use crate::tui::HeaderInfo;

/// What the header says about where the calls come from.
pub const NO_SIGNATURE_NOTE: &str = "IAM-authenticated stream, no signature";

/// Runs `callwatch kinesis`.
pub async fn run(args: KinesisSettings) -> anyhow::Result<()> {
    // Caught from here on: a signal sent while the reader starts is not lost.
    let signals = ShutdownSignals::install().context("catching Ctrl-C and SIGTERM")?;
    let client = client(&args).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (records_tx, records_rx) = mpsc::channel::<KinesisRecord>(CHANNEL_CAPACITY);
    let (started_tx, started_rx) = oneshot::channel();
    let mut reader = tokio::spawn(read_stream(
        client,
        args.stream.clone(),
        args.from,
        records_tx,
        started_tx,
        stop_rx,
    ));

    // The first listing and every first iterator, before anything is shown: a stream that
    // cannot be read is an error on stderr, not an empty screen.
    // A reader that fails drops its sender unused: its error is collected.
    let Ok(shards) = started_rx.await else {
        return Err(reader_failure(&mut reader).await);
    };
    show(
        args,
        Reading {
            reader,
            records: records_rx,
            shards,
            stop: stop_tx,
            signals,
        },
    )
    .await
}

/// A [`read_stream`] that has taken its first iterators: its task, its records, how many
/// shards it reads, and what stops it.
pub struct Reading {
    pub reader: tokio::task::JoinHandle<Result<(), crate::kinesis::StreamError>>,
    pub records: mpsc::Receiver<KinesisRecord>,
    pub shards: usize,
    pub stop: watch::Sender<bool>,
    /// Ctrl-C, SIGTERM and SIGHUP, caught since before the reader started.
    pub signals: ShutdownSignals,
}

/// Shows what `reading` reads, as `callwatch kinesis` does, until the user quits (`setup
/// --kinesis` hands over the reader it read the test event with, so no record falls between).
pub async fn show(args: KinesisSettings, reading: Reading) -> anyhow::Result<()> {
    let Reading {
        reader,
        records: mut records_rx,
        shards,
        stop: stop_tx,
        mut signals,
    } = reading;
    let stats = Arc::new(ListenerStats::default());
    let recorder = match &args.record {
        Some(path) => Some(Recorder::open_capped(
            path,
            Arc::clone(&stats),
            DEFAULT_RECORD_MAX_BYTES,
        )?),
        None => None,
    };
    if args.output == OutputMode::Ndjson {
        let line = serde_json::json!({
            "type": "reading",
            "stream": args.stream.describe(),
            "shards": shards,
            "from": args.from.describe(),
            "signature": NO_SIGNATURE_NOTE,
        });
        match ndjson::write_line(&mut std::io::stdout().lock(), &line) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other.context("writing to stdout")?,
        }
    }

    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let judge = Judge::new(None, 403);
    let feeder_stats = Arc::clone(&stats);
    let feeder_recorder = recorder.clone();
    let feeder = tokio::spawn(async move {
        let mut seq = 0u64;
        while let Some(record) = records_rx.recv().await {
            seq += 1;
            let delivery = judged(&judge, record, seq);
            feeder_stats.arrived(delivery.received_at);
            feeder_stats.answered(&delivery);
            if let Some(recorder) = &feeder_recorder {
                recorder.append(line_for(&delivery));
            }
            if tx.send(delivery).await.is_err() {
                return;
            }
        }
    });

    let header = HeaderInfo {
        listen_addr: "(kinesis: nothing listens)".into(),
        public_url: args.stream.describe().to_owned(),
        url_source: crate::tui::KINESIS_SOURCE.into(),
        mode_note: Some(format!(
            "Kinesis {} ({shards} shards, from {}): {NO_SIGNATURE_NOTE}",
            args.stream.name,
            args.from.describe()
        )),
        color: args.color,
        hyperlinks: true,
        ..HeaderInfo::default()
    };
    let presentation = Presentation {
        output: args.output,
        header,
        tui: args.view,
        alerts: None,
    };
    let duration = args.duration;
    let ended = async move {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let interrupted = async move {
        tokio::select! {
            () = signals.recv() => {}
            () = ended => {}
        }
    };
    // The TUI ends on `q` or a signal; --duration ends it through the stop channel too.
    if let Some(d) = duration {
        let stopper = stop_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            let _ = stopper.send(true);
        });
    }
    let result = monitor::show(rx, Arc::clone(&stats), presentation, &stop_tx, interrupted).await;
    let _ = stop_tx.send(true);
    reader.abort();
    feeder.abort();
    if let Some(recorder) = recorder {
        recorder.close().await;
    }
    result
}

/// The Kinesis client: region and credentials from the AWS SDK's chain, `--region` and
/// `--endpoint-url` over it.
pub(crate) async fn client(args: &KinesisSettings) -> anyhow::Result<aws_sdk_kinesis::Client> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        anyhow::bail!(
            "no AWS region for stream {}: pass --region, give the stream's ARN, or set AWS_REGION \
             (or a region in your AWS profile)",
            args.stream.describe()
        );
    }
    Ok(aws_sdk_kinesis::Client::new(&config))
}

/// Why the reader stopped before its first note.
async fn reader_failure(
    reader: &mut tokio::task::JoinHandle<Result<(), crate::kinesis::StreamError>>,
) -> anyhow::Error {
    match reader.await {
        Ok(Err(e)) => anyhow::Error::new(e),
        Ok(Ok(())) => anyhow::anyhow!("the Kinesis reader ended before reading"),
        Err(e) => anyhow::Error::new(e).context("the Kinesis reader failed"),
    }
}

/// A record judged as a webhook body without a signature: parsed (one CloudEvent, or an array),
/// duplicates set aside; method `KINESIS`, path `SHARD/SEQUENCE`.
pub fn judged(judge: &Judge, record: KinesisRecord, seq: u64) -> Delivery {
    let judgement = judge.judge("", None, None, &record.data);
    let mut delivery = Delivery::accepted(seq, record.arrived_at, judgement.fresh_events);
    delivery.method = KINESIS_METHOD.to_owned();
    delivery.path = format!("{}/{}", record.shard_id, record.sequence_number);
    delivery.body_len = record.data.len();
    delivery.body = record.data;
    delivery.status = judgement.status;
    delivery.verdict = judgement.verdict;
    delivery.event_count = judgement.event_count;
    delivery.event_types = judgement.event_types;
    delivery
}
