//! Reading an Amazon Kinesis data stream that a Twilio Event Streams Kinesis sink writes to:
//! every shard, from where `--from` says, following reshards (a parent is read to its end
//! before its children, [`shards`]), renewing expired iterators, and keeping to the shared
//! read limit ([`pace`]). Each record is handed on raw, with its shard and sequence number;
//! the caller judges it as it judges a webhook body (one CloudEvent per record).
//!
//! Credentials and region come from the AWS SDK's standard chain (environment, profile, SSO,
//! instance role); nothing here signs or authenticates by hand.

pub mod pace;
pub mod shards;

use std::time::{Duration, SystemTime};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::{DisplayErrorContext, SdkError};
use aws_sdk_kinesis::operation::get_records::GetRecordsError;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use pace::Pace;
use shards::{Lineage, Origin, ShardInfo};

/// How often the shard list is read again to find the children of a reshard.
pub const RELIST_EVERY: Duration = Duration::from_secs(10);

/// The most records one `GetRecords` call returns.
const RECORDS_PER_READ: i32 = 1000;

/// A stream given by name or by ARN (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRef {
    /// The stream's name.
    pub name: String,
    /// The region of an ARN.
    pub region: Option<String>,
    /// The ARN as given, if it was one.
    pub arn: Option<String>,
}

impl StreamRef {
    /// Reads a stream name or ARN; the error says what a valid one looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let valid_name = |name: &str| {
            !name.is_empty()
                && name.len() <= 128
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        };
        if let Some(rest) = text.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if let [_partition, "kinesis", region, _account, resource] = parts.as_slice()
                && let Some(name) = resource.strip_prefix("stream/")
                && valid_name(name)
                && !region.is_empty()
            {
                return Ok(Self {
                    name: name.to_owned(),
                    region: Some((*region).to_owned()),
                    arn: Some(text.to_owned()),
                });
            }
            return Err(format!(
                "`{text}` is not a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)"
            ));
        }
        if valid_name(text) {
            Ok(Self {
                name: text.to_owned(),
                region: None,
                arn: None,
            })
        } else {
            Err(format!(
                "`{text}` is not a stream name (1-128 letters, digits, `_`, `.`, `-`) or ARN"
            ))
        }
    }

    /// The ARN if one was given, else the name.
    pub fn describe(&self) -> &str {
        self.arn.as_deref().unwrap_or(&self.name)
    }
}

/// Where reading starts in the shards listed when the run begins (`--from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Only records written from now on.
    Latest,
    /// The oldest record the stream still keeps (24 h by default).
    TrimHorizon,
    /// The first record written at or after this time.
    Time(SystemTime),
}

impl StartAt {
    /// The `--from` word for this position (an RFC 3339 time for [`StartAt::Time`]).
    pub fn describe(&self) -> String {
        match self {
            Self::Latest => "latest".into(),
            Self::TrimHorizon => "trim-horizon".into(),
            Self::Time(t) => crate::timestamp::rfc3339(*t),
        }
    }
}

/// One record read from a shard.
#[derive(Debug, Clone)]
pub struct KinesisRecord {
    /// The shard it was read from.
    pub shard_id: String,
    /// Its sequence number in the shard.
    pub sequence_number: String,
    /// When Kinesis received it (when it is missing: when it was read).
    pub arrived_at: SystemTime,
    /// The record's data: the bytes Twilio wrote (one CloudEvent).
    pub data: Bytes,
}

/// Why the stream cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// `ListShards` failed when the run began (no such stream, no permission, no endpoint).
    #[error("cannot list the shards of Kinesis stream {stream}: {reason}")]
    List {
        /// The stream as given.
        stream: String,
        /// The SDK's error, with its cause.
        reason: String,
    },
}

/// Reads every shard of `stream` from `from` into `tx` until `stop` turns true or `tx` is
/// closed. Says on `started` how many shards it reads once each of the first listing has its
/// iterator (records written from then on are read). Fails only when the stream cannot be
/// listed when the run begins; later errors of a shard are logged and retried.
pub async fn read_stream(
    client: Client,
    stream: StreamRef,
    from: StartAt,
    tx: mpsc::Sender<KinesisRecord>,
    started: oneshot::Sender<usize>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), StreamError> {
    let listing = list_shards(&client, &stream.name)
        .await
        .map_err(|reason| StreamError::List {
            stream: stream.describe().to_owned(),
            reason,
        })?;
    let mut lineage = Lineage::default();
    let (drained_tx, mut drained_rx) = mpsc::unbounded_channel::<String>();
    let mut readers = tokio::task::JoinSet::new();
    let first = lineage.update(listing);
    let (started_tx, mut started_rx) = mpsc::channel::<()>(first.len().max(1));
    let first_count = first.len();
    let reader_stop = stop.clone();
    let spawn = |readers: &mut tokio::task::JoinSet<()>,
                 shard_id: String,
                 origin: Origin,
                 started: Option<mpsc::Sender<()>>| {
        let reader = ShardReader {
            client: client.clone(),
            stream: stream.name.clone(),
            shard_id,
            position: match origin {
                Origin::FromFlag => Position::from(from),
                Origin::TrimHorizon => Position::TrimHorizon,
            },
            pace: Pace::default(),
        };
        readers.spawn(reader.run(tx.clone(), drained_tx.clone(), started, reader_stop.clone()));
    };
    for (shard_id, origin) in first {
        spawn(&mut readers, shard_id, origin, Some(started_tx.clone()));
    }
    drop(started_tx);
    // Every first iterator taken (or its reader ended): records written from now on are read.
    for _ in 0..first_count {
        if started_rx.recv().await.is_none() {
            break;
        }
    }
    tracing::info!(stream = %stream.describe(), shards = first_count, from = %from.describe(), "reading");
    if started.send(first_count).is_err() {
        return Ok(());
    }

    let mut relist = tokio::time::interval(RELIST_EVERY);
    relist.tick().await;
    loop {
        let drained = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            () = tx.closed() => break,
            Some(shard_id) = drained_rx.recv() => Some(shard_id),
            _ = relist.tick() => None,
        };
        let mut ready = Vec::new();
        if let Some(shard_id) = drained {
            tracing::info!(shard = %shard_id, "shard closed and read to its end");
            ready = lineage.drained(&shard_id);
        }
        // Listed again on a timer, and when a shard ends: its children may be new.
        match list_shards(&client, &stream.name).await {
            Ok(listing) => ready.extend(lineage.update(listing)),
            Err(e) => {
                tracing::warn!(stream = %stream.describe(), error = %e, "cannot list the shards again");
            }
        }
        for (shard_id, origin) in ready {
            tracing::info!(shard = %shard_id, ?origin, "reading a new shard");
            spawn(&mut readers, shard_id, origin, None);
        }
    }
    readers.shutdown().await;
    Ok(())
}

/// Every shard of the stream (following `NextToken`), or the SDK's error in words.
async fn list_shards(client: &Client, stream: &str) -> Result<Vec<ShardInfo>, String> {
    let mut shards = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let request = match &next {
            // With a token the stream name must be left out.
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(stream),
        };
        let page = request
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        shards.extend(page.shards().iter().map(|s| ShardInfo {
            id: s.shard_id().to_owned(),
            parent: s.parent_shard_id().map(str::to_owned),
            adjacent_parent: s.adjacent_parent_shard_id().map(str::to_owned),
        }));
        match page.next_token() {
            Some(token) if !token.is_empty() => next = Some(token.to_owned()),
            _ => return Ok(shards),
        }
    }
}

/// Where a shard iterator is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// After the newest record.
    Latest,
    /// At the oldest record kept.
    TrimHorizon,
    /// At the first record written at or after this time.
    At(SystemTime),
    /// Just after this sequence number: where an expired iterator left off.
    After(String),
}

impl From<StartAt> for Position {
    fn from(start: StartAt) -> Self {
        match start {
            StartAt::Latest => Self::Latest,
            StartAt::TrimHorizon => Self::TrimHorizon,
            StartAt::Time(t) => Self::At(t),
        }
    }
}

impl Position {
    /// Where to take a new iterator once the one taken here at `taken_at` expired, after
    /// reading up to `last` (the last sequence number read, if any). A `Latest` iterator that
    /// read nothing becomes the time it was taken, so that no record written since is skipped.
    pub fn renewed(&self, last: Option<&str>, taken_at: SystemTime) -> Position {
        match (last, self) {
            (Some(seq), _) => Position::After(seq.to_owned()),
            (None, Position::Latest) => Position::At(taken_at),
            (None, other) => other.clone(),
        }
    }
}

/// The reader of one shard.
struct ShardReader {
    client: Client,
    stream: String,
    shard_id: String,
    position: Position,
    pace: Pace,
}

/// How one `GetRecords` call ended, when it did not return records.
enum ReadFailure {
    /// The iterator is older than five minutes: take a new one.
    Expired,
    /// The shard's read limit was exceeded: wait longer.
    Throttled,
    /// Anything else (network, permissions): logged, retried after a pause.
    Other(String),
}

impl ShardReader {
    /// Reads the shard until it is closed and drained (then says so on `drained`), `stop`
    /// turns true, or `tx` closes. `started` hears once the first iterator is taken.
    async fn run(
        mut self,
        tx: mpsc::Sender<KinesisRecord>,
        drained: mpsc::UnboundedSender<String>,
        mut started: Option<mpsc::Sender<()>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut last: Option<String> = None;
        let mut iterator: Option<(String, SystemTime)> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let (current, taken_at) = match iterator.take() {
                Some(it) => it,
                None => match self.take_iterator(&last).await {
                    Ok(Some(it)) => (it, SystemTime::now()),
                    Ok(None) => {
                        let _ = drained.send(self.shard_id.clone());
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(shard = %self.shard_id, error = %e, "cannot take a shard iterator; trying again");
                        if let Some(started) = started.take() {
                            let _ = started.send(()).await;
                        }
                        if sleep_or_stop(self.pace.after_throttle(), &mut stop).await {
                            return;
                        }
                        continue;
                    }
                },
            };
            if let Some(started) = started.take() {
                let _ = started.send(()).await;
            }
            let wait = match self.read(&current).await {
                Ok((records, next, behind)) => {
                    let count = records.len();
                    for record in records {
                        last = Some(record.sequence_number.clone());
                        if tx.send(record).await.is_err() {
                            return;
                        }
                    }
                    match next {
                        Some(next) => iterator = Some((next, SystemTime::now())),
                        None => {
                            // The shard is closed and this was its end.
                            let _ = drained.send(self.shard_id.clone());
                            return;
                        }
                    }
                    self.pace.after_read(count, behind)
                }
                Err(ReadFailure::Expired) => {
                    self.position = self.position.renewed(last.as_deref(), taken_at);
                    tracing::info!(shard = %self.shard_id, position = ?self.position, "shard iterator expired; renewed");
                    last = None;
                    Duration::ZERO
                }
                Err(ReadFailure::Throttled) => {
                    let wait = self.pace.after_throttle();
                    tracing::info!(shard = %self.shard_id, ?wait, "read limit of the shard exceeded; backing off");
                    iterator = Some((current, taken_at));
                    wait
                }
                Err(ReadFailure::Other(e)) => {
                    tracing::warn!(shard = %self.shard_id, error = %e, "cannot read the shard; trying again");
                    iterator = Some((current, taken_at));
                    self.pace.after_throttle()
                }
            };
            if sleep_or_stop(wait, &mut stop).await {
                return;
            }
        }
    }

    /// A new iterator where [`Self::position`] says (after `last` when records were read since
    /// it was set); `None` when the shard has nothing left (closed and drained).
    async fn take_iterator(&mut self, last: &Option<String>) -> Result<Option<String>, String> {
        if let Some(seq) = last {
            self.position = Position::After(seq.clone());
        }
        let request = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(&self.shard_id);
        let request = match &self.position {
            Position::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
            Position::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Position::At(t) => request
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(DateTime::from(*t)),
            Position::After(seq) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(seq),
        };
        let answer = request
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        Ok(answer.shard_iterator().map(str::to_owned))
    }

    /// One `GetRecords` call: the records, the next iterator (`None`: the shard is closed and
    /// drained) and how far behind the tip the shard is.
    async fn read(
        &self,
        iterator: &str,
    ) -> Result<(Vec<KinesisRecord>, Option<String>, Option<i64>), ReadFailure> {
        let answer = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(RECORDS_PER_READ)
            .send()
            .await
            .map_err(classify)?;
        let read_at = SystemTime::now();
        let records = answer
            .records()
            .iter()
            .map(|r| KinesisRecord {
                shard_id: self.shard_id.clone(),
                sequence_number: r.sequence_number().to_owned(),
                arrived_at: r
                    .approximate_arrival_timestamp()
                    .and_then(|t| SystemTime::try_from(*t).ok())
                    .unwrap_or(read_at),
                data: Bytes::copy_from_slice(r.data().as_ref()),
            })
            .collect();
        Ok((
            records,
            answer.next_shard_iterator().map(str::to_owned),
            answer.millis_behind_latest(),
        ))
    }
}

/// Sorts a `GetRecords` failure into what the reader does about it.
fn classify(e: SdkError<GetRecordsError>) -> ReadFailure {
    match e.as_service_error() {
        Some(service) if service.is_expired_iterator_exception() => ReadFailure::Expired,
        Some(service) if service.is_provisioned_throughput_exceeded_exception() => {
            ReadFailure::Throttled
        }
        _ => ReadFailure::Other(DisplayErrorContext(e).to_string()),
    }
}

/// Sleeps `wait`; true when `stop` turned true meanwhile.
async fn sleep_or_stop(wait: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if wait.is_zero() {
        return *stop.borrow();
    }
    tokio::select! {
        () = tokio::time::sleep(wait) => false,
        _ = stop.wait_for(|stop| *stop) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_a_name_or_an_arn() {
        assert_eq!(
            StreamRef::parse("calls").map(|s| (s.name, s.region)),
            Ok(("calls".into(), None))
        );
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/twilio-events";
        let parsed = StreamRef::parse(arn).expect("an ARN");
        assert_eq!(parsed.name, "twilio-events");
        assert_eq!(parsed.region.as_deref(), Some("eu-west-1"));
        assert_eq!(parsed.describe(), arn);
        for bad in [
            "",
            "has space",
            "arn:aws:sqs:eu-west-1:1:queue",
            "arn:aws:kinesis:eu-west-1:1:stream/",
            "arn:aws:kinesis::1:stream/x",
        ] {
            assert!(StreamRef::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn an_expired_iterator_resumes_after_the_last_record_read() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(
            Position::Latest.renewed(Some("42"), t),
            Position::After("42".into())
        );
        assert_eq!(
            Position::TrimHorizon.renewed(Some("7"), t),
            Position::After("7".into())
        );
        // Nothing read yet: a `latest` iterator must not jump past what came since it was taken.
        assert_eq!(Position::Latest.renewed(None, t), Position::At(t));
        assert_eq!(
            Position::TrimHorizon.renewed(None, t),
            Position::TrimHorizon
        );
        assert_eq!(
            Position::After("9".into()).renewed(None, t),
            Position::After("9".into())
        );
    }
}
