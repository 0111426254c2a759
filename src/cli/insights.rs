//! The flags of the commands that read Twilio's Voice Insights REST API instead of receiving
//! deliveries: `callwatch call`, `callwatch annotate` and `callwatch poll` (their
//! `--insights-api-base` is `auth.rs`'s, which `listen --since` takes too). Values the
//! API description limits to a set (`--answered-by`, `--quality-issues`...) are checked here,
//! before anything is sent.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::listen::parse_age;
use super::{ApiAuthArgs, InsightsBaseArgs, OutputArgs, UsageError};
use crate::output::OutputMode;
use crate::session::ViewOptions;
use crate::twilio::insights_api::{
    ANSWERED_BY, AnnotationUpdate, CONNECTIVITY_ISSUES, QUALITY_ISSUES, check_call_sid, check_enum,
};

/// `callwatch call`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch call CA0123456789abcdef0123456789abcdef\n  \
callwatch call CA0123456789abcdef0123456789abcdef --json | jq '.metrics | length'\n\n\
Needs Voice Insights Advanced Features on the account, and credentials (TWILIO_ACCOUNT_SID and\n\
TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET).")]
pub struct CallArgs {
    /// The call's SID (CA…).
    #[arg(value_name = "CALLSID")]
    pub call_sid: String,
    /// Print one JSON object: summary, events (all of them), metrics (all samples), annotation.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiAuthArgs,
    #[command(flatten)]
    pub insights: InsightsBaseArgs,
}

/// `callwatch call`, checked.
pub struct CallSettings {
    /// A call SID.
    pub call_sid: String,
    /// `--json`.
    pub json: bool,
    /// The credentials flags.
    pub api: ApiAuthArgs,
    /// `--insights-api-base`.
    pub insights_api_base: String,
}

impl CallArgs {
    /// Checks the call SID.
    pub fn check(self) -> Result<CallSettings, UsageError> {
        check_call_sid(&self.call_sid).map_err(UsageError)?;
        Ok(CallSettings {
            call_sid: self.call_sid,
            json: self.json,
            api: self.api,
            insights_api_base: self.insights.insights_api_base,
        })
    }
}

/// `callwatch annotate`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch annotate CA0123456789abcdef0123456789abcdef --quality-issues echo,latency --score 2\n  \
callwatch annotate CA0123456789abcdef0123456789abcdef --answered-by machine --spam true \\\n    \
--comment 'voicemail, no agent' --incident https://tickets.example/123\n\n\
Every value is checked against Twilio's API description before anything is sent. The fields\n\
given replace the call's saved ones; fields not given are left out of the request.")]
pub struct AnnotateArgs {
    /// The call's SID (CA…).
    #[arg(value_name = "CALLSID")]
    pub call_sid: String,
    /// Who answered: unknown_answered_by, human or machine.
    #[arg(long, value_name = "WHO")]
    pub answered_by: Option<String>,
    /// unknown_connectivity_issue, no_connectivity_issue, invalid_number, caller_id,
    /// dropped_call or number_reachability.
    #[arg(long, value_name = "ISSUE")]
    pub connectivity_issue: Option<String>,
    /// Comma-separated: no_quality_issue, low_volume, choppy_robotic, echo, dtmf, latency, owa,
    /// static_noise (or unknown_quality_issue).
    #[arg(long, value_name = "A,B")]
    pub quality_issues: Option<String>,
    /// Whether the call was spam: true or false.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub spam: Option<bool>,
    /// The call experience, 1 (bad) to 5 (excellent).
    #[arg(long, value_name = "1-5", value_parser = parse_score)]
    pub score: Option<u8>,
    /// A comment, at most 100 characters (Twilio does not treat it as personal data: put none
    /// in it).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// A reference to an incident, e.g. a ticket URL.
    #[arg(long, value_name = "TEXT")]
    pub incident: Option<String>,
    /// Print the saved annotation as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiAuthArgs,
    #[command(flatten)]
    pub insights: InsightsBaseArgs,
}

/// `callwatch annotate`, checked.
pub struct AnnotateSettings {
    /// A call SID.
    pub call_sid: String,
    /// What to send; not empty.
    pub update: AnnotationUpdate,
    /// `--json`.
    pub json: bool,
    /// The credentials flags.
    pub api: ApiAuthArgs,
    /// `--insights-api-base`.
    pub insights_api_base: String,
}

/// Twilio's limit on `Comment`.
const MAX_COMMENT_CHARS: usize = 100;

impl AnnotateArgs {
    /// Checks every value against the API description; a bad one names the allowed values.
    pub fn check(self) -> Result<AnnotateSettings, UsageError> {
        check_call_sid(&self.call_sid).map_err(UsageError)?;
        let update = check_annotation(AnnotationUpdate {
            answered_by: self.answered_by,
            connectivity_issue: self.connectivity_issue,
            quality_issues: self.quality_issues.map(|list| {
                list.split(',')
                    .map(|item| item.trim().to_owned())
                    .filter(|item| !item.is_empty())
                    .collect()
            }),
            spam: self.spam,
            call_score: self.score,
            comment: self.comment,
            incident: self.incident,
        })?;
        Ok(AnnotateSettings {
            call_sid: self.call_sid,
            update,
            json: self.json,
            api: self.api,
            insights_api_base: self.insights.insights_api_base,
        })
    }
}

/// Checks the fields of an annotation against the API description (the TUI's form uses it
/// too); the error names the field and the allowed values.
pub fn check_annotation(update: AnnotationUpdate) -> Result<AnnotationUpdate, UsageError> {
    if update.is_empty() {
        return Err(UsageError(
            "nothing to annotate: give at least one of --answered-by, --connectivity-issue, \
             --quality-issues, --spam, --score, --comment, --incident"
                .into(),
        ));
    }
    if let Some(value) = &update.answered_by {
        check_enum("--answered-by", value, ANSWERED_BY).map_err(UsageError)?;
    }
    if let Some(value) = &update.connectivity_issue {
        check_enum("--connectivity-issue", value, CONNECTIVITY_ISSUES).map_err(UsageError)?;
    }
    if let Some(items) = &update.quality_issues {
        if items.is_empty() {
            return Err(UsageError(format!(
                "--quality-issues is empty: give one or more of {}, separated by commas",
                QUALITY_ISSUES.join(", ")
            )));
        }
        for item in items {
            check_enum("--quality-issues", item, QUALITY_ISSUES).map_err(UsageError)?;
        }
    }
    if let Some(score) = update.call_score {
        parse_score(&score.to_string()).map_err(|e| UsageError(format!("--score: {e}")))?;
    }
    if let Some(comment) = &update.comment
        && comment.chars().count() > MAX_COMMENT_CHARS
    {
        return Err(UsageError(format!(
            "--comment has {} characters: Twilio keeps at most {MAX_COMMENT_CHARS}",
            comment.chars().count()
        )));
    }
    Ok(update)
}

/// `true` or `false`, as the API takes them.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("`{other}` is not allowed: use true or false")),
    }
}

/// A call score, 1 to 5.
fn parse_score(s: &str) -> Result<u8, String> {
    match s.trim().parse::<u8>() {
        Ok(n @ 1..=5) => Ok(n),
        _ => Err(format!("`{s}` is not allowed: use 1, 2, 3, 4 or 5")),
    }
}

/// `callwatch poll`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
callwatch poll                           # the last hour of calls, refreshed every 30 s\n  \
callwatch poll --since 4h --filter 'state=fail'\n  \
callwatch poll --output ndjson --duration 60 | jq 'select(.type==\"call\")'\n\n\
No listener, no sink, no tunnel: only credentials (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or\n\
TWILIO_API_KEY and TWILIO_API_SECRET) and Voice Insights Advanced Features on the account.\n\
Terms of --filter the API can apply (state=, type=, direction=, tag) are sent to it; the whole\n\
filter still runs here. On a 429 the interval doubles until Twilio answers again.")]
pub struct PollArgs {
    /// How far back to start: 30m, 1h, 4h, 2d (at most 30 days).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_age)]
    pub since: Duration,
    /// Seconds between two polls (at least 5).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..))]
    pub interval: u64,
    /// Stop polling after this many seconds (line outputs exit then; the TUI stays until q).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Append every poll's changed summaries to this file as deliveries (one JSON line
    /// each), for `callwatch replay` and `callwatch export`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub api: ApiAuthArgs,
    #[command(flatten)]
    pub insights: InsightsBaseArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `callwatch poll`, checked.
pub struct PollSettings {
    /// `--since`.
    pub since: Duration,
    /// `--interval`.
    pub interval: Duration,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--record`.
    pub record: Option<PathBuf>,
    /// The credentials flags.
    pub api: ApiAuthArgs,
    /// `--insights-api-base`.
    pub insights_api_base: String,
    /// `--filter`, `--mask`, `--mouse`.
    pub view: ViewOptions,
    /// The `--filter` text, for the terms the API can apply.
    pub filter_text: Option<String>,
    /// The output asked for, or the default for this stdout.
    pub output: OutputMode,
    /// Whether the TUI uses colour.
    pub color: bool,
}

/// The longest `--since` the API keeps summaries for.
const MAX_SINCE: Duration = Duration::from_secs(30 * 86_400);

impl PollArgs {
    /// Checks the flags together.
    pub fn check(self) -> Result<PollSettings, UsageError> {
        if self.since > MAX_SINCE {
            return Err(UsageError(
                "--since is too far back: Voice Insights keeps call summaries for 30 days".into(),
            ));
        }
        let duration = match self.duration {
            None => None,
            Some(secs) if secs.is_finite() && secs > 0.0 && secs < 1e9 => {
                Some(Duration::from_secs_f64(secs))
            }
            Some(_) => {
                return Err(UsageError(
                    "--duration must be a positive number of seconds".into(),
                ));
            }
        };
        Ok(PollSettings {
            since: self.since,
            interval: Duration::from_secs(self.interval),
            duration,
            record: self.record,
            view: self.output.view_options()?,
            filter_text: self.output.filter.clone(),
            output: self.output.mode(),
            color: self.output.color_enabled(),
            api: self.api,
            insights_api_base: self.insights.insights_api_base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_bad_annotation_value_is_refused_naming_the_allowed_ones() {
        let base = || AnnotationUpdate {
            comment: Some("ok".into()),
            ..AnnotationUpdate::default()
        };
        for (update, needle) in [
            (
                AnnotationUpdate {
                    answered_by: Some("robot".into()),
                    ..base()
                },
                "unknown_answered_by, human, machine",
            ),
            (
                AnnotationUpdate {
                    connectivity_issue: Some("bad_line".into()),
                    ..base()
                },
                "dropped_call",
            ),
            (
                AnnotationUpdate {
                    quality_issues: Some(vec!["echo".into(), "hiss".into()]),
                    ..base()
                },
                "static_noise",
            ),
            (
                AnnotationUpdate {
                    comment: Some("x".repeat(101)),
                    ..base()
                },
                "at most 100",
            ),
            (AnnotationUpdate::default(), "nothing to annotate"),
        ] {
            let error = check_annotation(update).unwrap_err().0;
            assert!(error.contains(needle), "{error}");
        }
        assert!(check_annotation(base()).is_ok());
    }

    #[test]
    fn scores_and_booleans_take_only_the_apis_values() {
        assert_eq!(parse_score("5"), Ok(5));
        assert!(parse_score("0").is_err());
        assert!(parse_score("6").is_err());
        assert_eq!(parse_bool("false"), Ok(false));
        assert!(parse_bool("yes").is_err());
    }
}
