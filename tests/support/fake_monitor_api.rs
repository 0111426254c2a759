//! A fake Twilio Monitor v1 API for integration tests: the Debugger's alerts on `127.0.0.1:0`,
//! held to `assets/twilio/twilio_monitor_v1.json` as the fake Events API is to its description:
//! operations and their query parameters are read from the file (an unknown or mistyped one is
//! a 400), Basic auth is checked, `StartDate`/`EndDate` must have one of the two formats the
//! description gives and filter on `date_generated`, lists come in pages of 3 linked by
//! `meta.next_page_url`, and errors have Twilio's shape. Every request is recorded.

#![allow(dead_code)] // Each test binary uses a different part of the fake.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

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
    "/assets/twilio/twilio_monitor_v1.json"
);
/// Items per list page unless changed: small, so that clients must follow `next_page_url`.
const DEFAULT_MAX_PAGE_SIZE: usize = 3;

/// A running fake. Dropping it stops the server.
pub struct FakeMonitorApi {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// An alert as the fake stores it; [`FakeMonitorApi::add_alert`] fills the rest.
#[derive(Debug, Clone, Default)]
pub struct NewAlert {
    /// E.g. `"91308"`.
    pub error_code: String,
    /// The sink SID, for Event Streams alerts.
    pub resource_sid: Option<String>,
    /// The URL Twilio requested.
    pub request_url: Option<String>,
    pub alert_text: String,
    /// `error` unless set.
    pub log_level: Option<String>,
    /// When the condition happened.
    pub generated: Option<SystemTime>,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    base_url: String,
    spec: Spec,
    state: Mutex<State>,
}

struct State {
    api_keys: Vec<(String, String)>,
    /// `(date_generated, alert JSON)`, in insertion order.
    alerts: Vec<(SystemTime, Value)>,
    requests: Vec<RecordedRequest>,
    max_page_size: usize,
    sid_counter: u64,
}

impl FakeMonitorApi {
    /// Starts a fake for one account on `127.0.0.1:0`.
    pub async fn start(account_sid: &str, auth_token: &str) -> Self {
        let spec_text =
            std::fs::read_to_string(SPEC_PATH).expect("read the Monitor API description");
        let spec =
            Spec::parse(&serde_json::from_str(&spec_text).expect("the API description is JSON"));
        assert!(spec.has("ListAlert"), "the API description lists ListAlert");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            base_url: format!("http://{addr}"),
            spec,
            state: Mutex::new(State {
                api_keys: Vec::new(),
                alerts: Vec::new(),
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

    /// `http://127.0.0.1:<port>`, for `--monitor-api-base`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Lets `api_key` / `api_secret` authenticate for this account.
    pub fn add_api_key(&self, api_key: &str, api_secret: &str) {
        self.shared
            .state()
            .api_keys
            .push((api_key.to_owned(), api_secret.to_owned()));
    }

    /// Adds an alert (generated now unless said otherwise) and returns its SID (`NO…`).
    pub fn add_alert(&self, alert: NewAlert) -> String {
        let mut state = self.shared.state();
        state.sid_counter += 1;
        let sid = sid("NO", state.sid_counter);
        let generated = alert.generated.unwrap_or_else(SystemTime::now);
        let code = alert.error_code.clone();
        let body = json!({
            "account_sid": self.shared.account_sid,
            "alert_text": alert.alert_text,
            "api_version": null,
            "date_created": gmt(SystemTime::now()),
            "date_generated": gmt(generated),
            "date_updated": gmt(SystemTime::now()),
            "error_code": code,
            "log_level": alert.log_level.unwrap_or_else(|| "error".to_owned()),
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "request_method": alert.request_url.as_ref().map(|_| "POST"),
            "request_url": alert.request_url,
            "resource_sid": alert.resource_sid,
            "sid": sid,
            "url": format!("{}/v1/Alerts/{sid}", self.shared.base_url),
            "service_sid": null,
        });
        state.alerts.push((generated, body));
        sid
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

impl Drop for FakeMonitorApi {
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
        let incoming = ReceivedRequest {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: decode_pairs(parts.uri.query().unwrap_or("")),
            form: Vec::new(),
            body_len: body.len(),
            content_type: header(CONTENT_TYPE),
            basic_auth: header(AUTHORIZATION).and_then(|h| decode_basic(&h)),
        };
        let (status, answer) = self.answer(&incoming);
        self.state().requests.push(RecordedRequest {
            method: incoming.method.to_string(),
            path: incoming.path.clone(),
            query: incoming.query.clone(),
            form: Vec::new(),
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
        let state = self.state();
        let authorized = request.basic_auth.as_ref().is_some_and(|(user, password)| {
            (user == &self.account_sid && password == &self.auth_token)
                || state
                    .api_keys
                    .iter()
                    .any(|(key, secret)| key == user && secret == password)
        });
        if !authorized {
            return (401, classic_error(401, 20003, "Authenticate"));
        }
        let Some((operation, path_params)) = self.spec.route(&request.method, &request.path) else {
            let resource = request.path.strip_prefix("/v1").unwrap_or(&request.path);
            let message = format!("The requested resource {resource} was not found");
            return (404, classic_error(404, 20404, &message));
        };
        if let Err(message) = operation.check(request) {
            return (400, classic_error(400, 20001, &message));
        }
        match operation.id.as_str() {
            "ListAlert" => {
                let bound = |name: &str| match request.query.iter().find(|(n, _)| n == name) {
                    None => Ok(None),
                    Some((_, value)) => parse_gmt(value).map(Some).ok_or_else(|| {
                        format!("{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, got {value:?}")
                    }),
                };
                let (start, end) = match (bound("StartDate"), bound("EndDate")) {
                    (Ok(start), Ok(end)) => (start, end),
                    (Err(message), _) | (_, Err(message)) => {
                        return (400, classic_error(400, 20001, &message));
                    }
                };
                let level = request
                    .query
                    .iter()
                    .find(|(n, _)| n == "LogLevel")
                    .map(|(_, v)| v.clone());
                let mut alerts: Vec<&(SystemTime, Value)> = state
                    .alerts
                    .iter()
                    .filter(|(at, _)| start.is_none_or(|s| whole_seconds(*at) >= s))
                    .filter(|(at, _)| end.is_none_or(|e| whole_seconds(*at) <= e))
                    .filter(|(_, a)| level.as_ref().is_none_or(|l| a["log_level"] == **l))
                    .collect();
                // The Debugger lists the newest first.
                alerts.sort_by_key(|a| std::cmp::Reverse(a.0));
                let items = alerts.into_iter().map(|(_, a)| a.clone()).collect();
                let base = &self.base_url;
                match page_json(
                    base,
                    &request.path,
                    &request.query,
                    "alerts",
                    items,
                    state.max_page_size,
                ) {
                    Ok(page) => (200, page),
                    Err(message) => (400, classic_error(400, 20001, &message)),
                }
            }
            "FetchAlert" => {
                let sid = path_params
                    .iter()
                    .find(|(n, _)| n == "Sid")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default();
                match state.alerts.iter().find(|(_, a)| a["sid"] == sid) {
                    Some((_, alert)) => (200, alert.clone()),
                    None => (
                        404,
                        classic_error(
                            404,
                            20404,
                            &format!("The requested resource /Alerts/{sid} was not found"),
                        ),
                    ),
                }
            }
            other => (
                501,
                classic_error(
                    501,
                    20001,
                    &format!("{other} is not implemented by the fake Monitor API"),
                ),
            ),
        }
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`.
fn gmt(t: SystemTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from(t)
        .format(&format)
        .expect("a formattable date")
}

/// The two formats the description allows: `YYYY-MM-DD` (midnight) or `YYYY-MM-DDThh:mm:ssZ`.
fn parse_gmt(value: &str) -> Option<SystemTime> {
    let full = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(t) = time::PrimitiveDateTime::parse(value, &full) {
        return Some(t.assume_utc().into());
    }
    time::Date::parse(value, &day)
        .ok()
        .map(|d| d.midnight().assume_utc().into())
}

/// Twilio compares dates to the second.
fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}
