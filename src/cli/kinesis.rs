//! The flags of `callwatch kinesis`, and the [`KinesisSettings`] they become once checked
//! ([`KinesisArgs::check`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{OutputArgs, UsageError};
use crate::kinesis::{StartAt, StreamRef};
use crate::output::OutputMode;
use crate::session::ViewOptions;

/// `callwatch kinesis`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "IAM setup, in three lines (README: \"Many viewers: Kinesis\"):\n  \
1. A role Twilio assumes: trust arn:aws:iam::177261743968:root + sts:ExternalId, PutRecord(s)\n  \
2. callwatch setup --kinesis STREAM_ARN --role-arn ROLE_ARN --external-id ID\n  \
3. Each viewer: kinesis:ListShards/GetShardIterator/GetRecords, AWS credentials as usual\n\n\
Examples:\n  \
callwatch kinesis twilio-events --region eu-west-1\n  \
callwatch kinesis arn:aws:kinesis:eu-west-1:123456789012:stream/twilio-events --from trim-horizon\n  \
callwatch kinesis twilio-events --from 2026-12-06T08:00:00Z --output ndjson | jq 'select(.type==\"call\")'\n\n\
Records are authenticated by IAM, not by a Twilio signature. Any number of viewers may read the\n\
same stream; each takes at most 2 of the 5 reads/s a shard allows (1/s once caught up)."
)]
pub struct KinesisArgs {
    /// The Kinesis data stream the Twilio sink writes to: its name or ARN.
    #[arg(value_name = "STREAM")]
    pub stream: String,
    /// AWS region [default: the region of an ARN, else AWS_REGION or the profile's].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Kinesis endpoint instead of AWS's (a VPC endpoint, a local Kinesis in tests).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Where to start: latest (only new records), trim-horizon (everything the stream keeps,
    /// 24 h by default) or an RFC 3339 time (2026-12-06T08:00:00Z).
    #[arg(long, value_name = "WHERE", default_value = "latest", value_parser = parse_from)]
    pub from: StartAt,
    /// Stop after this many seconds (line outputs then exit) [default: run until q or Ctrl-C].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub duration: Option<f64>,
    /// Append every record (as a delivery line) to this file, for `replay` and `export`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Keep at most this many calls; the oldest finished calls are evicted first.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_calls: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What `kinesis` runs with: its flags, checked and typed.
pub struct KinesisSettings {
    /// The stream.
    pub stream: StreamRef,
    /// `--region`, else the ARN's.
    pub region: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--from`.
    pub from: StartAt,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--record`.
    pub record: Option<PathBuf>,
    /// What every output shows from the start, `--max-calls` included.
    pub view: ViewOptions,
    /// The output asked for, or the default for this stdout.
    pub output: OutputMode,
    /// Whether the TUI uses colour.
    pub color: bool,
}

impl KinesisArgs {
    /// Checks the flags of `kinesis` and turns them into [`KinesisSettings`].
    pub fn check(self) -> Result<KinesisSettings, UsageError> {
        let stream = StreamRef::parse(&self.stream).map_err(UsageError)?;
        if let Some(url) = &self.endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(UsageError(format!(
                "--endpoint-url `{url}` must be an http:// or https:// URL"
            )));
        }
        if let StartAt::Time(t) = self.from
            && t > std::time::SystemTime::now()
        {
            return Err(UsageError(format!(
                "--from {} is in the future: give a past time, latest or trim-horizon",
                self.from.describe()
            )));
        }
        let region = self.region.or_else(|| stream.region.clone());
        Ok(KinesisSettings {
            stream,
            region,
            endpoint_url: self.endpoint_url,
            from: self.from,
            duration: self.duration.map(Duration::from_secs_f64),
            record: self.record,
            view: ViewOptions {
                max_calls: self.max_calls,
                ..self.output.view_options()?
            },
            output: self.output.mode(),
            color: self.output.color_enabled(),
        })
    }
}

fn parse_from(s: &str) -> Result<StartAt, String> {
    match s {
        "latest" => Ok(StartAt::Latest),
        "trim-horizon" => Ok(StartAt::TrimHorizon),
        _ => crate::timestamp::parse_rfc3339(s)
            .map(|t| StartAt::Time(t.into()))
            .map_err(|_| {
                format!(
                    "`{s}` is not latest, trim-horizon or an RFC 3339 time (2026-12-06T08:00:00Z)"
                )
            }),
    }
}

fn parse_secs(s: &str) -> Result<f64, String> {
    let secs: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if secs.is_finite() && secs > 0.0 && secs < 1e9 {
        Ok(secs)
    } else {
        Err("the duration must be a number of seconds above 0".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_takes_the_two_words_and_a_time() {
        assert_eq!(parse_from("latest"), Ok(StartAt::Latest));
        assert_eq!(parse_from("trim-horizon"), Ok(StartAt::TrimHorizon));
        let t = parse_from("2026-12-06T08:00:00Z").expect("a time");
        let StartAt::Time(t) = t else {
            panic!("not a time: {t:?}")
        };
        assert_eq!(crate::timestamp::rfc3339(t), "2026-12-06T08:00:00.000Z");
        assert!(parse_from("yesterday").is_err());
        assert!(parse_from("TRIM_HORIZON").is_err());
    }
}
