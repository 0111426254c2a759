//! A fake Twilio Voice Insights v1 API for integration tests (and `examples/fake_insights.rs`,
//! to run callwatch against by hand): call summaries, events, metrics and annotations on
//! `127.0.0.1:0`, held to `assets/twilio/twilio_insights_v1.json`.
//!
//! It refuses what the description does not allow: an unknown method or path is a 404, an
//! unknown or mistyped parameter a 400, and so is a value outside the enums the description
//! gives (`ProcessingState`, `Edge`, the annotation's `AnsweredBy`, `ConnectivityIssue`, each
//! item of `QualityIssues`, and each comma-separated item of `CallState`, `CallType` and
//! `Direction`, whose enums are the response schemas'). Basic auth is checked. Summaries,
//! events and metrics are the description's example objects with the fields a test sets;
//! lists come in pages of 3 linked by `meta.next_page_url`. Every request is recorded.

#![allow(dead_code)] // Each test binary uses a different part of the fake.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use hyper::{Request, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::openapi::{
    ReceivedRequest, RecordedRequest, Spec, classic_error, decode_basic, decode_pairs, page_json,
    sid,
};

/// The API description the fake enforces.
const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/twilio/twilio_insights_v1.json"
);
/// Items per list page unless changed: small, so that clients must follow `next_page_url`.
const DEFAULT_MAX_PAGE_SIZE: usize = 3;

/// A call as a test describes it; the rest of its summary is the description's example.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// When the call started.
    pub start: SystemTime,
    /// `completed`, `fail`, `busy`...
    pub call_state: String,
    /// `complete` or `partial`.
    pub processing_state: String,
    /// `carrier`, `sip`, `client`...
    pub call_type: String,
    /// `inbound`, `outbound_api`...
    pub direction: String,
    pub from_carrier: String,
    pub to_carrier: String,
    pub tags: Vec<String>,
}

impl Default for NewCall {
    fn default() -> Self {
        Self {
            start: SystemTime::now() - Duration::from_secs(600),
            call_state: "completed".into(),
            processing_state: "complete".into(),
            call_type: "carrier".into(),
            direction: "inbound".into(),
            from_carrier: "T-Mobile USA, Inc.".into(),
            to_carrier: "AT&T Wireless".into(),
            tags: Vec::new(),
        }
    }
}

/// A running fake. Dropping it stops the server.
pub struct FakeInsightsApi {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    base_url: String,
    spec: Spec,
    /// The raw description, for enums and examples.
    description: Value,
    state: Mutex<State>,
}

struct State {
    /// `(start, summary)`, in insertion order.
    calls: Vec<(SystemTime, Value)>,
    events: HashMap<String, Vec<Value>>,
    metrics: HashMap<String, Vec<Value>>,
    annotations: HashMap<String, Value>,
    /// Answers to give before any other, in order: `(status, code, message)`.
    failures: VecDeque<(u16, u32, String)>,
    requests: Vec<RecordedRequest>,
    max_page_size: usize,
    sid_counter: u64,
}

impl FakeInsightsApi {
    /// Starts a fake for one account on `127.0.0.1:0`.
    pub async fn start(account_sid: &str, auth_token: &str) -> Self {
        Self::start_on("127.0.0.1:0", account_sid, auth_token).await
    }

    /// Starts a fake on `addr` (`examples/fake_insights.rs` picks its port).
    pub async fn start_on(addr: &str, account_sid: &str, auth_token: &str) -> Self {
        let spec_text =
            std::fs::read_to_string(SPEC_PATH).expect("read the Insights API description");
        let description: Value =
            serde_json::from_str(&spec_text).expect("the API description is JSON");
        let spec = Spec::parse(&description);
        for id in [
            "ListCallSummaries",
            "FetchSummary",
            "ListEvent",
            "ListMetric",
            "FetchAnnotation",
            "UpdateAnnotation",
        ] {
            assert!(spec.has(id), "the API description has {id}");
        }
        let listener = TcpListener::bind(addr).await.expect("bind the fake");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            base_url: format!("http://{addr}"),
            spec,
            description,
            state: Mutex::new(State {
                calls: Vec::new(),
                events: HashMap::new(),
                metrics: HashMap::new(),
                annotations: HashMap::new(),
                failures: VecDeque::new(),
                requests: Vec::new(),
                max_page_size: DEFAULT_MAX_PAGE_SIZE,
                sid_counter: 0,
            }),
        });
        let server_shared = Arc::clone(&shared);
        let server = super::openapi::serve(listener, move |request| {
            let shared = Arc::clone(&server_shared);
            async move { shared.handle(request).await }
        });
        Self { shared, server }
    }

    /// `http://127.0.0.1:<port>`, for `--insights-api-base`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Adds a call (its summary is the description's example with `call`'s fields) and
    /// returns its SID.
    pub fn add_call(&self, call: NewCall) -> String {
        let mut state = self.shared.state();
        state.sid_counter += 1;
        let call_sid = sid("CA", state.sid_counter);
        let mut summary = self.shared.example_summary();
        let start = gmt(call.start);
        let end = gmt(call.start + Duration::from_secs(20));
        summary["call_sid"] = json!(call_sid);
        summary["account_sid"] = json!(self.shared.account_sid);
        summary["created_time"] = json!(start);
        summary["start_time"] = json!(start);
        summary["end_time"] = json!(end);
        summary["call_state"] = json!(call.call_state);
        summary["processing_state"] = json!(call.processing_state);
        summary["call_type"] = json!(call.call_type);
        summary["from"]["carrier"] = json!(call.from_carrier);
        summary["to"]["carrier"] = json!(call.to_carrier);
        summary["tags"] = json!(call.tags);
        summary["properties"]["direction"] = json!(call.direction);
        summary["url"] = json!(format!(
            "{}/v1/Voice/{call_sid}/Summary",
            self.shared.base_url
        ));
        state.calls.push((call.start, summary));
        call_sid
    }

    /// Changes a call's summary in place (a partial that became complete, a new state).
    pub fn update_call(&self, call_sid: &str, change: impl FnOnce(&mut Value)) {
        let mut state = self.shared.state();
        if let Some((_, summary)) = state
            .calls
            .iter_mut()
            .find(|(_, s)| s["call_sid"] == call_sid)
        {
            change(summary);
        }
    }

    /// Gives the call `n` events: the description's example, one second apart.
    pub fn add_events(&self, call_sid: &str, n: usize) {
        let example = self
            .shared
            .example_item("/v1/Voice/{CallSid}/Events", "events");
        let mut state = self.shared.state();
        let events = state.events.entry(call_sid.to_owned()).or_default();
        for i in 0..n {
            let mut event = example.clone();
            event["call_sid"] = json!(call_sid);
            event["account_sid"] = json!(self.shared.account_sid);
            event["timestamp"] = json!(format!("2026-12-06T00:00:{:02}Z", i % 60));
            event["name"] = json!(if i == 0 { "ringing" } else { "error" });
            events.push(event);
        }
    }

    /// Gives the call `n` 10-second samples: the description's example, with MOS going down.
    pub fn add_metrics(&self, call_sid: &str, n: usize) {
        let example = self
            .shared
            .example_item("/v1/Voice/{CallSid}/Metrics", "metrics");
        let mut state = self.shared.state();
        let metrics = state.metrics.entry(call_sid.to_owned()).or_default();
        for i in 0..n {
            let mut metric = example.clone();
            metric["call_sid"] = json!(call_sid);
            metric["account_sid"] = json!(self.shared.account_sid);
            metric["timestamp"] = json!(format!(
                "2026-12-06T00:{:02}:{:02}Z",
                (i * 10) / 60 % 60,
                (i * 10) % 60
            ));
            metric["sdk_edge"]["interval"]["mos"]["value"] = json!(4.4 - 0.1 * i as f64);
            metrics.push(metric);
        }
    }

    /// The next `count` requests are answered `status` with a Twilio error body.
    pub fn fail_next(&self, count: usize, status: u16, code: u32, message: &str) {
        let mut state = self.shared.state();
        for _ in 0..count {
            state.failures.push_back((status, code, message.to_owned()));
        }
    }

    /// The annotation saved for a call.
    pub fn annotation(&self, call_sid: &str) -> Option<Value> {
        self.shared.state().annotations.get(call_sid).cloned()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// Items per list page at most.
    pub fn set_max_page_size(&self, size: usize) {
        self.shared.state().max_page_size = size.max(1);
    }
}

impl Drop for FakeInsightsApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first summary of the description's `readWithCarrier` example.
    fn example_summary(&self) -> Value {
        self.description["paths"]["/v1/Voice/Summaries"]["get"]["responses"]["200"]["content"]
            ["application/json"]["examples"]["readWithCarrier"]["value"]["call_summaries"][0]
            .clone()
    }

    /// The first item of the `read` example of the list at `path`.
    fn example_item(&self, path: &str, key: &str) -> Value {
        self.description["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            ["examples"]["read"]["value"][key][0]
            .clone()
    }

    /// The values of the enum schema `name` of the description.
    fn enum_values(&self, name: &str) -> Vec<String> {
        self.description["components"]["schemas"][name]["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let content_type = header(CONTENT_TYPE);
        let form = if content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        {
            decode_pairs(&String::from_utf8_lossy(&body))
        } else {
            Vec::new()
        };
        let incoming = ReceivedRequest {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: decode_pairs(parts.uri.query().unwrap_or("")),
            form,
            body_len: body.len(),
            content_type,
            basic_auth: header(AUTHORIZATION).and_then(|h| decode_basic(&h)),
        };
        let (status, answer) = self.answer(&incoming);
        self.state().requests.push(RecordedRequest {
            method: incoming.method.to_string(),
            path: incoming.path.clone(),
            query: incoming.query.clone(),
            form: incoming.form.clone(),
            content_type: incoming.content_type.clone(),
            username: incoming.basic_auth.as_ref().map(|(user, _)| user.clone()),
            user_agent: header(USER_AGENT),
            status,
        });
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(answer.to_string())))
            .expect("a valid response")
    }

    fn answer(&self, request: &ReceivedRequest) -> (u16, Value) {
        let mut state = self.state();
        if !request.basic_auth.as_ref().is_some_and(|(user, password)| {
            user == &self.account_sid && password == &self.auth_token
        }) {
            return (401, classic_error(401, 20003, "Authenticate"));
        }
        if let Some((status, code, message)) = state.failures.pop_front() {
            return (status, classic_error(status, code, &message));
        }
        let Some((operation, path_params)) = self.spec.route(&request.method, &request.path) else {
            let resource = request.path.strip_prefix("/v1").unwrap_or(&request.path);
            let message = format!("The requested resource {resource} was not found");
            return (404, classic_error(404, 20404, &message));
        };
        if let Err(message) = operation
            .check(request)
            .and_then(|()| self.check_lists(request))
        {
            return (400, classic_error(400, 20001, &message));
        }
        let path_param = |name: &str| {
            path_params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let not_found = |sid: &str| {
            (
                404,
                classic_error(
                    404,
                    20404,
                    &format!("The requested resource /Voice/{sid} was not found"),
                ),
            )
        };
        let page = |state: &State, key: &str, items: Vec<Value>| match page_json(
            &self.base_url,
            &request.path,
            &request.query,
            key,
            items,
            state.max_page_size,
        ) {
            Ok(page) => (200, page),
            Err(message) => (400, classic_error(400, 20001, &message)),
        };
        match operation.id.as_str() {
            "ListCallSummaries" => match self.summaries(&state, &request.query) {
                Ok(items) => page(&state, "call_summaries", items),
                Err(message) => (400, classic_error(400, 20001, &message)),
            },
            "FetchSummary" => {
                let sid = path_param("CallSid");
                match state.calls.iter().find(|(_, s)| s["call_sid"] == sid) {
                    Some((_, summary)) => {
                        let mut summary = summary.clone();
                        if let Some(a) = state.annotations.get(&sid) {
                            summary["annotation"] = a.clone();
                        }
                        (200, summary)
                    }
                    None => not_found(&sid),
                }
            }
            "ListEvent" | "ListMetric" => {
                let sid = path_param("CallSid");
                if !state.calls.iter().any(|(_, s)| s["call_sid"] == sid) {
                    return not_found(&sid);
                }
                let (key, items) = if operation.id == "ListEvent" {
                    ("events", state.events.get(&sid))
                } else {
                    ("metrics", state.metrics.get(&sid))
                };
                let items = items.cloned().unwrap_or_default();
                page(&state, key, items)
            }
            "FetchAnnotation" => {
                let sid = path_param("CallSid");
                match state.annotations.get(&sid) {
                    Some(a) => (200, a.clone()),
                    None => not_found(&format!("{sid}/Annotation")),
                }
            }
            "UpdateAnnotation" => {
                let sid = path_param("CallSid");
                if !state.calls.iter().any(|(_, s)| s["call_sid"] == sid) {
                    return not_found(&sid);
                }
                let form = |name: &str| {
                    request
                        .form
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.clone())
                };
                // A full update: the fields given replace the saved ones.
                let annotation = json!({
                    "account_sid": self.account_sid,
                    "call_sid": sid,
                    "answered_by": form("AnsweredBy"),
                    "connectivity_issue": form("ConnectivityIssue"),
                    "quality_issues": form("QualityIssues")
                        .map(|q| q.split(',').map(str::to_owned).collect::<Vec<_>>()),
                    "spam": form("Spam").map(|s| s == "true"),
                    "call_score": form("CallScore").and_then(|s| s.parse::<i64>().ok()),
                    "comment": form("Comment"),
                    "incident": form("Incident"),
                    "url": format!("{}/v1/Voice/{sid}/Annotation", self.base_url),
                });
                state.annotations.insert(sid, annotation.clone());
                (200, annotation)
            }
            other => (
                501,
                classic_error(
                    501,
                    20001,
                    &format!("{other} is not implemented by the fake Insights API"),
                ),
            ),
        }
    }

    /// The checks the description states in prose or in response schemas: comma lists of
    /// enum values, the score's range, the comment's length.
    fn check_lists(&self, request: &ReceivedRequest) -> Result<(), String> {
        let lists = [
            (
                "CallState",
                "call_summaries_enum_call_state",
                &request.query,
            ),
            ("CallType", "call_summaries_enum_call_type", &request.query),
            (
                "Direction",
                "call_summaries_enum_call_direction",
                &request.query,
            ),
            (
                "QualityIssues",
                "annotation_enum_quality_issues",
                &request.form,
            ),
        ];
        for (name, schema, params) in lists {
            let allowed = self.enum_values(schema);
            assert!(!allowed.is_empty(), "{schema} has values");
            for (_, value) in params.iter().filter(|(n, _)| n == name) {
                for item in value.split(',') {
                    if !allowed.iter().any(|a| a == item) {
                        return Err(format!("{name} must be among {allowed:?}, got {item:?}"));
                    }
                }
            }
        }
        for (name, value) in &request.form {
            if name == "CallScore" && !matches!(value.parse::<i64>(), Ok(1..=5)) {
                return Err(format!("CallScore must be 1 to 5, got {value:?}"));
            }
            if name == "Comment" && value.chars().count() > 100 {
                return Err("Comment has a maximum of 100 characters".into());
            }
        }
        Ok(())
    }

    /// The summaries the list filters select, newest first.
    fn summaries(&self, state: &State, query: &[(String, String)]) -> Result<Vec<Value>, String> {
        let find = |name: &str| {
            query
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let start = match find("StartTime") {
            None => SystemTime::now() - Duration::from_secs(4 * 3600),
            Some(text) => parse_start(text).ok_or_else(|| {
                format!("StartTime must be like 30m, 4h, 3d, 1w or ISO 8601, got {text:?}")
            })?,
        };
        let list = |name: &str| find(name).map(|v| v.split(',').collect::<Vec<_>>());
        let (states, types, directions) = (list("CallState"), list("CallType"), list("Direction"));
        let has_tag = find("HasTag").map(|v| v == "true");
        let processing = find("ProcessingState").unwrap_or("completed");
        let mut selected: Vec<&(SystemTime, Value)> = state
            .calls
            .iter()
            .filter(|(at, _)| *at >= start)
            .filter(|(_, s)| match processing {
                "all" => true,
                "completed" => s["processing_state"] == "complete",
                "partial" | "started" => s["processing_state"] == "partial",
                _ => false,
            })
            .filter(|(_, s)| in_list(&states, &s["call_state"]))
            .filter(|(_, s)| in_list(&types, &s["call_type"]))
            .filter(|(_, s)| in_list(&directions, &s["properties"]["direction"]))
            .filter(|(_, s)| find("FromCarrier").is_none_or(|c| s["from"]["carrier"] == c))
            .filter(|(_, s)| find("ToCarrier").is_none_or(|c| s["to"]["carrier"] == c))
            .filter(|(_, s)| {
                has_tag
                    .is_none_or(|want| s["tags"].as_array().is_some_and(|t| !t.is_empty()) == want)
            })
            .collect();
        selected.sort_by_key(|c| std::cmp::Reverse(c.0));
        Ok(selected.into_iter().map(|(_, s)| s.clone()).collect())
    }
}

fn in_list(list: &Option<Vec<&str>>, value: &Value) -> bool {
    list.as_ref()
        .is_none_or(|l| value.as_str().is_some_and(|v| l.contains(&v)))
}

/// `30m`, `4h`, `3d`, `1w` before now, or an ISO 8601 time.
fn parse_start(text: &str) -> Option<SystemTime> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    let (number, unit) = text.split_at(split);
    let unit_secs = match unit {
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        "w" => Some(7 * 86_400),
        _ => None,
    };
    if let (Ok(n), Some(secs)) = (number.parse::<u64>(), unit_secs) {
        return Some(SystemTime::now() - Duration::from_secs(n * secs));
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(Into::into)
}

/// `YYYY-MM-DDThh:mm:ssZ`.
fn gmt(t: SystemTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from(t)
        .format(&format)
        .expect("a formattable date")
}
