//! Voice Insights v1 REST client (`insights.twilio.com`): call summaries listed with filters,
//! one call's summary, events, 10-second metrics and annotation, and the annotation update.
//! Requests follow `assets/twilio/twilio_insights_v1.json`; transport, credentials, paging by
//! `meta.next_page_url` (refused when it points elsewhere) and Twilio's error bodies are
//! [`super::rest`]'s.
//!
//! Retries: every read is a GET and is retried as the shared policy says (429, 5xx, timeouts).
//! The annotation update is a POST that replaces the fields it names, so sending it twice
//! leaves the same annotation; it is still not retried after a 5xx or a timeout (only after a
//! 429 or a connection never made, as every POST here), because a colleague's edit made in
//! between would be overwritten by the repeat without anyone seeing it.
//!
//! [`what_to_do`] turns the errors people meet (Advanced Features off, wrong credentials, a
//! call of another account, 404, 429) into one sentence that says what to do.

use reqwest::Method;
use serde_json::Value;

use super::rest::{ApiError, ApiName, Credentials, RestClient, RetryPolicy};
use super::summary::{Annotation, CallSummary};

/// Where Twilio serves the Voice Insights v1 API.
pub const DEFAULT_INSIGHTS_API_BASE: &str = "https://insights.twilio.com";

/// The Insights API, for messages and paging.
const INSIGHTS_API: ApiName = ApiName {
    name: "the Voice Insights API",
    twilio_base: DEFAULT_INSIGHTS_API_BASE,
};

/// `AnsweredBy` of the annotation update (`annotation_enum_answered_by`).
pub const ANSWERED_BY: &[&str] = &["unknown_answered_by", "human", "machine"];
/// `ConnectivityIssue` of the annotation update (`annotation_enum_connectivity_issue`).
pub const CONNECTIVITY_ISSUES: &[&str] = &[
    "unknown_connectivity_issue",
    "no_connectivity_issue",
    "invalid_number",
    "caller_id",
    "dropped_call",
    "number_reachability",
];
/// The items of the comma-separated `QualityIssues` (`annotation_enum_quality_issues`).
pub const QUALITY_ISSUES: &[&str] = &[
    "unknown_quality_issue",
    "no_quality_issue",
    "low_volume",
    "choppy_robotic",
    "echo",
    "dtmf",
    "latency",
    "owa",
    "static_noise",
];
/// `CallState` of the summaries list (`call_summaries_enum_call_state`).
pub const CALL_STATES: &[&str] = &[
    "ringing",
    "completed",
    "busy",
    "fail",
    "noanswer",
    "canceled",
    "answered",
    "undialed",
];
/// `CallType` of the summaries list (`call_summaries_enum_call_type`).
pub const CALL_TYPES: &[&str] = &["carrier", "sip", "trunking", "client", "whatsapp"];
/// `Direction` of the summaries list (`call_summaries_enum_call_direction`).
pub const DIRECTIONS: &[&str] = &[
    "outbound_api",
    "outbound_dial",
    "inbound",
    "trunking_originating",
    "trunking_terminating",
];

/// The filters of `GET /v1/Voice/Summaries` callwatch uses. Multi-valued ones are sent
/// comma-separated, as the description's examples do (`CallType=sip,trunking`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryQuery {
    /// `StartTime`: `30m`, `4h`, `3d`, `1w` or an ISO 8601 time.
    pub start_time: Option<String>,
    /// `ProcessingState`: `completed`, `started`, `partial` or `all`.
    pub processing_state: Option<&'static str>,
    /// `CallState`, values of [`CALL_STATES`].
    pub call_states: Vec<String>,
    /// `CallType`, values of [`CALL_TYPES`].
    pub call_types: Vec<String>,
    /// `Direction`, values of [`DIRECTIONS`].
    pub directions: Vec<String>,
    /// `FromCarrier`.
    pub from_carrier: Option<String>,
    /// `ToCarrier`.
    pub to_carrier: Option<String>,
    /// `HasTag`.
    pub has_tag: Option<bool>,
}

impl SummaryQuery {
    /// The query parameters, in the description's names.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        let mut add = |name, values: &[String]| {
            if !values.is_empty() {
                params.push((name, values.join(",")));
            }
        };
        add("CallState", &self.call_states);
        add("CallType", &self.call_types);
        add("Direction", &self.directions);
        if let Some(carrier) = &self.from_carrier {
            params.push(("FromCarrier", carrier.clone()));
        }
        if let Some(carrier) = &self.to_carrier {
            params.push(("ToCarrier", carrier.clone()));
        }
        if let Some(has_tag) = self.has_tag {
            params.push(("HasTag", has_tag.to_string()));
        }
        if let Some(start) = &self.start_time {
            params.push(("StartTime", start.clone()));
        }
        if let Some(state) = self.processing_state {
            params.push(("ProcessingState", state.to_owned()));
        }
        params
    }
}

/// The fields of an annotation update; `None` leaves a field out of the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotationUpdate {
    /// One of [`ANSWERED_BY`].
    pub answered_by: Option<String>,
    /// One of [`CONNECTIVITY_ISSUES`].
    pub connectivity_issue: Option<String>,
    /// Items of [`QUALITY_ISSUES`].
    pub quality_issues: Option<Vec<String>>,
    /// Marked as spam or not.
    pub spam: Option<bool>,
    /// 1 (bad) to 5 (excellent).
    pub call_score: Option<u8>,
    /// At most 100 characters, no personal data (Twilio's rule).
    pub comment: Option<String>,
    /// A link or reference to an incident.
    pub incident: Option<String>,
}

impl AnnotationUpdate {
    /// True when no field is set: nothing to send.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The form fields, in the description's names.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        if let Some(v) = &self.answered_by {
            form.push(("AnsweredBy", v.clone()));
        }
        if let Some(v) = &self.connectivity_issue {
            form.push(("ConnectivityIssue", v.clone()));
        }
        if let Some(v) = &self.quality_issues {
            form.push(("QualityIssues", v.join(",")));
        }
        if let Some(v) = self.spam {
            form.push(("Spam", v.to_string()));
        }
        if let Some(v) = self.call_score {
            form.push(("CallScore", v.to_string()));
        }
        if let Some(v) = &self.comment {
            form.push(("Comment", v.clone()));
        }
        if let Some(v) = &self.incident {
            form.push(("Incident", v.clone()));
        }
        form
    }
}

/// A client for Voice Insights v1. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InsightsClient {
    rest: RestClient,
}

impl InsightsClient {
    /// A client for the API at `base_url` (normally [`DEFAULT_INSIGHTS_API_BASE`]).
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, ApiError> {
        Ok(Self {
            rest: RestClient::new(INSIGHTS_API, base_url, credentials)?.with_page_size(1000),
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.rest = self.rest.with_retry_policy(retry);
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.rest.base_url()
    }

    /// `GET /v1/Voice/Summaries` with `query`, every page.
    pub async fn list_summaries(&self, query: &SummaryQuery) -> Result<Vec<CallSummary>, ApiError> {
        self.rest
            .list_all(
                &["v1", "Voice", "Summaries"],
                &query.params(),
                "call_summaries",
            )
            .await
    }

    /// `GET /v1/Voice/{CallSid}/Summary`: the call's summary as Twilio has it now.
    pub async fn summary(&self, call_sid: &str) -> Result<CallSummary, ApiError> {
        let url = self.rest.endpoint(&["v1", "Voice", call_sid, "Summary"]);
        self.rest.call(Method::GET, url, None).await
    }

    /// `GET /v1/Voice/{CallSid}/Events`, every page, as Twilio sent them (the shape of a
    /// `call-event.*` delivery's data).
    pub async fn events(&self, call_sid: &str) -> Result<Vec<Value>, ApiError> {
        self.rest
            .list_all(&["v1", "Voice", call_sid, "Events"], &[], "events")
            .await
    }

    /// `GET /v1/Voice/{CallSid}/Metrics`, every page: the call's 10-second samples.
    pub async fn metrics(&self, call_sid: &str) -> Result<Vec<Value>, ApiError> {
        self.rest
            .list_all(&["v1", "Voice", call_sid, "Metrics"], &[], "metrics")
            .await
    }

    /// `GET /v1/Voice/{CallSid}/Annotation`.
    pub async fn annotation(&self, call_sid: &str) -> Result<Annotation, ApiError> {
        let url = self.rest.endpoint(&["v1", "Voice", call_sid, "Annotation"]);
        self.rest.call(Method::GET, url, None).await
    }

    /// `POST /v1/Voice/{CallSid}/Annotation` with the fields of `update`; Twilio answers with
    /// the annotation as it now stands.
    pub async fn update_annotation(
        &self,
        call_sid: &str,
        update: &AnnotationUpdate,
    ) -> Result<Annotation, ApiError> {
        let url = self.rest.endpoint(&["v1", "Voice", call_sid, "Annotation"]);
        let form = update.form();
        self.rest.call(Method::POST, url, Some(&form)).await
    }
}

/// Everything the API has about one call.
#[derive(Debug, Clone)]
pub struct CallInDepth {
    /// The summary.
    pub summary: CallSummary,
    /// Every event, every page.
    pub events: Vec<Value>,
    /// Every 10-second sample, every page.
    pub metrics: Vec<Value>,
    /// The annotation; `None` when Twilio has none (404).
    pub annotation: Option<Annotation>,
}

/// Fetches the call's summary, events, metrics and annotation (at once).
pub async fn fetch_call(client: &InsightsClient, call_sid: &str) -> Result<CallInDepth, ApiError> {
    let (summary, events, metrics, annotation) = tokio::join!(
        client.summary(call_sid),
        client.events(call_sid),
        client.metrics(call_sid),
        client.annotation(call_sid),
    );
    let annotation = match annotation {
        Ok(annotation) => Some(annotation),
        // A call nobody annotated: the summary's 404 (no such call) is the one to report.
        Err(e) if e.http_status() == Some(404) => None,
        Err(e) => return Err(e),
    };
    Ok(CallInDepth {
        summary: summary?,
        events: events?,
        metrics: metrics?,
        annotation,
    })
}

/// An annotation on one line: `human · echo, latency · score 2 · spam · "comment"`.
pub fn annotation_text(a: &Annotation) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &a.answered_by {
        parts.push(format!("answered by {v}"));
    }
    if let Some(v) = &a.connectivity_issue {
        parts.push(v.clone());
    }
    if let Some(v) = a.quality_issues.as_ref().filter(|v| !v.is_empty()) {
        parts.push(v.join(", "));
    }
    if let Some(v) = a.call_score {
        parts.push(format!("score {v}"));
    }
    match a.spam {
        Some(true) => parts.push("spam".into()),
        Some(false) => parts.push("not spam".into()),
        None => {}
    }
    if let Some(v) = &a.comment {
        parts.push(format!("{v:?}"));
    }
    if let Some(v) = &a.incident {
        parts.push(format!("incident {v}"));
    }
    if parts.is_empty() {
        return "(empty)".into();
    }
    crate::text::terminal_safe(&parts.join(" · ")).into_owned()
}

/// One sentence saying what to do about an error of the Insights API, for the errors people
/// meet: Voice Insights Advanced Features off (403), credentials refused (401), no such call
/// on this account (404), rate limited (429). `None` for anything else.
pub fn what_to_do(error: &ApiError) -> Option<&'static str> {
    match error.http_status()? {
        401 => Some(
            "Twilio refused the credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or \
             TWILIO_API_KEY and TWILIO_API_SECRET); an Auth Token only works with the SID of its \
             own account, so a subaccount's SID needs that subaccount's token.",
        ),
        403 => Some(
            "Voice Insights Advanced Features are not enabled on this account: turn them on in \
             the Twilio Console (Voice > Settings > Voice Insights Advanced Features), then try \
             again.",
        ),
        404 => Some(
            "Twilio has no Voice Insights data for that call on this account: check the call SID \
             (CA…), wait a few minutes if the call just ended, and use the subaccount's own \
             credentials if the call belongs to a subaccount.",
        ),
        429 => Some(
            "Twilio is rate limiting this account's Insights requests: wait a minute, or poll \
             less often with a longer --interval (callwatch poll backs off by itself).",
        ),
        _ => None,
    }
}

/// Checks that `sid` is a call SID (`CA` + 32 hex digits); the error says what it is instead.
pub fn check_call_sid(sid: &str) -> Result<(), String> {
    let hex = sid.len() == 34 && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if sid.starts_with("CA") && hex {
        return Ok(());
    }
    if hex && sid.starts_with("AC") {
        return Err(format!(
            "{sid} is an account SID (perhaps a subaccount's), not a call SID: give the call's \
             SID, CA followed by 32 hex digits"
        ));
    }
    Err(format!(
        "`{}` is not a call SID: a call SID is CA followed by 32 hex digits",
        crate::text::terminal_safe(sid)
    ))
}

/// Checks that `value` is one of `allowed`; the error names the flag and the allowed values.
pub fn check_enum(flag: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{flag} `{}` is not allowed: use one of {}",
            crate::text::terminal_safe(value),
            allowed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description() -> Value {
        let text = include_str!("../../assets/twilio/twilio_insights_v1.json");
        serde_json::from_str(text).unwrap()
    }

    fn enum_of(spec: &Value, schema: &str) -> Vec<String> {
        spec["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} has an enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_enums_are_the_api_descriptions() {
        let spec = description();
        for (schema, ours) in [
            ("annotation_enum_answered_by", ANSWERED_BY),
            ("annotation_enum_connectivity_issue", CONNECTIVITY_ISSUES),
            ("annotation_enum_quality_issues", QUALITY_ISSUES),
            ("call_summaries_enum_call_state", CALL_STATES),
            ("call_summaries_enum_call_type", CALL_TYPES),
            ("call_summaries_enum_call_direction", DIRECTIONS),
        ] {
            assert_eq!(enum_of(&spec, schema), ours, "{schema}");
        }
        let processing = enum_of(&spec, "call_summaries_enum_processing_state_request");
        assert!(processing.contains(&"all".to_owned()), "{processing:?}");
    }

    #[test]
    fn the_api_descriptions_example_summary_and_annotation_read() {
        let spec = description();
        let list = &spec["paths"]["/v1/Voice/Summaries"]["get"]["responses"]["200"]["content"]["application/json"]
            ["examples"]["readWithCarrier"]["value"];
        let summaries: Vec<CallSummary> =
            serde_json::from_value(list["call_summaries"].clone()).unwrap();
        assert_eq!(summaries[0].call_sid, "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_eq!(summaries[0].to.carrier, "AT&T Wireless");
        let annotation = &spec["paths"]["/v1/Voice/{CallSid}/Annotation"]["get"]["responses"]["200"]
            ["content"]["application/json"]["examples"]["fetch"]["value"];
        let annotation: Annotation = serde_json::from_value(annotation.clone()).unwrap();
        assert_eq!(annotation.call_score, Some(2));
        assert_eq!(
            annotation.quality_issues.as_deref(),
            Some(&["low_volume".to_owned()][..])
        );
    }

    #[test]
    fn call_sids_are_checked_and_account_sids_named() {
        assert!(check_call_sid("CA0123456789abcdef0123456789abcdef").is_ok());
        let account = check_call_sid("AC0123456789abcdef0123456789abcdef").unwrap_err();
        assert!(account.contains("account SID"), "{account}");
        assert!(check_call_sid("CA12").is_err());
        assert!(check_call_sid("CA0123456789abcdef0123456789abcdeg").is_err());
    }

    #[test]
    fn a_bad_enum_value_names_the_allowed_ones() {
        let error = check_enum("--answered-by", "robot", ANSWERED_BY).unwrap_err();
        assert_eq!(
            error,
            "--answered-by `robot` is not allowed: use one of unknown_answered_by, human, machine"
        );
        assert!(check_enum("--answered-by", "human", ANSWERED_BY).is_ok());
    }

    #[test]
    fn queries_and_updates_use_the_descriptions_names() {
        let query = SummaryQuery {
            start_time: Some("1h".into()),
            processing_state: Some("all"),
            call_states: vec!["fail".into(), "busy".into()],
            has_tag: Some(true),
            ..SummaryQuery::default()
        };
        assert_eq!(
            query.params(),
            vec![
                ("CallState", "fail,busy".to_owned()),
                ("HasTag", "true".to_owned()),
                ("StartTime", "1h".to_owned()),
                ("ProcessingState", "all".to_owned()),
            ]
        );
        let update = AnnotationUpdate {
            quality_issues: Some(vec!["echo".into(), "latency".into()]),
            call_score: Some(3),
            ..AnnotationUpdate::default()
        };
        assert_eq!(
            update.form(),
            vec![
                ("QualityIssues", "echo,latency".to_owned()),
                ("CallScore", "3".to_owned()),
            ]
        );
        assert!(AnnotationUpdate::default().is_empty());
    }
}
