//! A fake Twilio Events v1 API for integration tests: a hyper server on `127.0.0.1:0` that
//! keeps sinks and subscriptions in memory and holds clients to Twilio's published API
//! description.
//!
//! What makes it strict rather than merely convenient:
//! - the operations, their required and allowed parameters, parameter types and enums are read
//!   at start-up from `assets/twilio/twilio_events_v1.json`, not retyped here; a missing
//!   required parameter, an unknown one, a repeated scalar or a value of the wrong type is a
//!   400 in Twilio's error shape;
//! - HTTP Basic auth is checked (Account SID + Auth Token, or a registered API key);
//! - POST bodies must be `application/x-www-form-urlencoded`;
//! - lists are cut into small pages (3 items unless changed) linked by absolute
//!   `meta.next_page_url`s with a `PageToken`, so every client has to follow them;
//! - `POST /v1/Sinks/{Sid}/Test` really POSTs a signed test event to the sink's destination
//!   (unless [`FakeEventsApi::set_deliver_test_events`] plays a tunnel that is down),
//!   and `Validate` accepts only that event's `test_id` (and makes the sink active); for a
//!   Kinesis sink it writes the test event (one CloudEvent) into the sink's stream when
//!   [`FakeEventsApi::set_kinesis`] gave it a Kinesis (kinesalite) to write to, as Twilio would
//!   through the sink's role.
//!
//! Every request is recorded (method, path, query, form, status answered; never the password)
//! for assertions, and [`FakeEventsApi::fail_next`] makes the next requests fail with 503/429.

#![allow(dead_code)] // Each test binary uses a different part of the fake.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use callwatch::twilio::signature::{Algorithm, sign_json_delivery};

pub use super::openapi::RecordedRequest;
use super::openapi::{ReceivedRequest, Spec, decode_basic, decode_pairs, page_json, sid};

/// The API description the fake enforces.
const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/twilio/twilio_events_v1.json"
);
/// The body Twilio sends for a sink test; `data.test_id`, `id` and `time` are replaced.
const TEST_EVENT_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/twilio/fixtures/test-event.json"
);
/// Items per list page unless [`FakeEventsApi::set_max_page_size`] says otherwise: small, so
/// that lists in tests span several pages.
const DEFAULT_MAX_PAGE_SIZE: usize = 3;
/// Twilio allows at most this many sinks per account (error 91003).
const MAX_SINKS: usize = 100;
/// Twilio waits at most 5 s for a sink's answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// A running fake. Dropping it stops the server.
pub struct FakeEventsApi {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// A sink as the fake stores it.
#[derive(Debug, Clone)]
pub struct FakeSink {
    pub sid: String,
    pub description: String,
    pub sink_type: String,
    pub status: String,
    pub sink_configuration: Value,
    pub date_created: String,
    pub date_updated: String,
    /// The `test_id` of the last test event sent to this sink.
    pub last_test_id: Option<String>,
}

impl FakeSink {
    pub fn destination(&self) -> Option<&str> {
        self.sink_configuration.get("destination")?.as_str()
    }
}

/// A subscription as the fake stores it.
#[derive(Debug, Clone)]
pub struct FakeSubscription {
    pub sid: String,
    pub sink_sid: String,
    pub description: String,
    /// `(type, schema_version)` as requested; `None` means "latest".
    pub types: Vec<(String, Option<u64>)>,
    pub date_created: String,
    pub date_updated: String,
}

/// An event type in the fake's catalogue.
#[derive(Debug, Clone)]
pub struct FakeEventType {
    pub event_type: String,
    pub schema_id: String,
    pub description: String,
    pub status: String,
    /// The latest schema version, used when a subscription asks for none.
    pub latest_schema_version: u64,
}

/// A test event the fake POSTed to a sink, and how the sink answered.
#[derive(Debug, Clone)]
pub struct TestDelivery {
    pub sink_sid: String,
    pub test_id: String,
    /// The URL requested: destination + `bodySHA256`.
    pub url: String,
    pub signature: String,
    pub body: Vec<u8>,
    /// The sink's HTTP status, or why there was none.
    pub outcome: Result<u16, String>,
}

/// Which error body shape the fake answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// `{code, message, more_info, status}`.
    Classic,
    /// RFC 9457: `{type, title, status, code, detail, instance}`.
    Problem,
}

struct Shared {
    account_sid: String,
    auth_token: String,
    base_url: String,
    spec: Spec,
    test_event_template: Value,
    /// Sends test events to sinks.
    http: reqwest::Client,
    /// `std::sync::Mutex`: held only for short, non-async sections.
    state: Mutex<State>,
}

struct State {
    api_keys: Vec<(String, String)>,
    sinks: Vec<FakeSink>,
    subscriptions: Vec<FakeSubscription>,
    event_types: Vec<FakeEventType>,
    requests: Vec<RecordedRequest>,
    /// Statuses (and Retry-After seconds) the next requests fail with, before auth.
    injected_failures: VecDeque<(u16, Option<u64>)>,
    max_page_size: usize,
    error_shape: ErrorShape,
    sid_counter: u64,
    test_deliveries: Vec<TestDelivery>,
    /// False: Sink Tests answer `submitted` but nothing is sent (a tunnel that is down).
    deliver_test_events: bool,
    /// Where the test events of Kinesis sinks are written; `None`: nowhere (a role Twilio
    /// cannot assume).
    kinesis: Option<aws_sdk_kinesis::Client>,
    /// True: Validate refuses every test_id (a test event Twilio no longer accepts).
    refuse_validation: bool,
}

impl FakeEventsApi {
    /// Starts a fake for one account on `127.0.0.1:0`.
    pub async fn start(account_sid: &str, auth_token: &str) -> Self {
        let spec_text =
            std::fs::read_to_string(SPEC_PATH).expect("read the Events API description");
        let spec =
            Spec::parse(&serde_json::from_str(&spec_text).expect("the API description is JSON"));
        assert!(
            spec.has("CreateSink"),
            "the API description lists CreateSink"
        );
        let test_event_template: Value = serde_json::from_str(
            &std::fs::read_to_string(TEST_EVENT_PATH).expect("read the test-event fixture"),
        )
        .expect("the test-event fixture is JSON");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            base_url: format!("http://{addr}"),
            spec,
            test_event_template,
            // No proxy: reqwest would take the machine's `HTTP_PROXY`, even for loopback.
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(DELIVERY_TIMEOUT)
                .build()
                .expect("build the delivery client"),
            state: Mutex::new(State {
                api_keys: Vec::new(),
                sinks: Vec::new(),
                subscriptions: Vec::new(),
                event_types: default_event_types(),
                requests: Vec::new(),
                injected_failures: VecDeque::new(),
                max_page_size: DEFAULT_MAX_PAGE_SIZE,
                error_shape: ErrorShape::Classic,
                sid_counter: 0,
                test_deliveries: Vec::new(),
                deliver_test_events: true,
                kinesis: None,
                refuse_validation: false,
            }),
        });
        let server_shared = Arc::clone(&shared);
        let server = super::openapi::serve(listener, move |request| {
            Arc::clone(&server_shared).handle(request)
        });
        Self { shared, server }
    }

    /// `http://127.0.0.1:<port>`, for `--api-base`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn account_sid(&self) -> &str {
        &self.shared.account_sid
    }

    /// Lets `api_key` / `api_secret` authenticate for this account.
    pub fn add_api_key(&self, api_key: &str, api_secret: &str) {
        self.shared
            .state()
            .api_keys
            .push((api_key.to_owned(), api_secret.to_owned()));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.state().requests.clear();
    }

    pub fn sinks(&self) -> Vec<FakeSink> {
        self.shared.state().sinks.clone()
    }

    pub fn subscriptions(&self) -> Vec<FakeSubscription> {
        self.shared.state().subscriptions.clone()
    }

    /// The `test_id` of the most recent test event sent to any sink.
    pub fn last_test_id(&self) -> Option<String> {
        self.shared
            .state()
            .test_deliveries
            .last()
            .map(|d| d.test_id.clone())
    }

    /// Test events sent so far (with the sink's answer once it came).
    pub fn test_deliveries(&self) -> Vec<TestDelivery> {
        self.shared.state().test_deliveries.clone()
    }

    /// Waits until `count` test deliveries have an outcome, or `timeout` passes.
    pub async fn wait_for_test_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<TestDelivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let deliveries = self.test_deliveries();
            let done = deliveries
                .iter()
                .filter(|d| d.outcome != Err(PENDING.to_owned()))
                .count();
            if done >= count || tokio::time::Instant::now() >= deadline {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The next `count` requests answer `status` (503, 429, ...) before anything else is checked.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.fail_next_with_retry_after(count, status, None);
    }

    /// Like [`fail_next`](Self::fail_next), with a `Retry-After: seconds` header.
    pub fn fail_next_with_retry_after(&self, count: usize, status: u16, retry_after: Option<u64>) {
        let mut state = self.shared.state();
        for _ in 0..count {
            state.injected_failures.push_back((status, retry_after));
        }
    }

    /// Whether `POST /v1/Sinks/{Sid}/Test` really sends the test event (true unless changed);
    /// false plays a tunnel that does not reach the sink.
    pub fn set_deliver_test_events(&self, deliver: bool) {
        self.shared.state().deliver_test_events = deliver;
    }

    /// Writes the test events of Kinesis sinks with this client (a kinesalite's), into the
    /// stream the sink's ARN names. Without it they are recorded but written nowhere.
    pub fn set_kinesis(&self, client: aws_sdk_kinesis::Client) {
        self.shared.state().kinesis = Some(client);
    }

    /// Whether `POST /v1/Sinks/{Sid}/Validate` refuses every test_id, the right one too.
    pub fn set_refuse_validation(&self, refuse: bool) {
        self.shared.state().refuse_validation = refuse;
    }

    /// Items per list page at most (the client's `PageSize` is honoured below this).
    pub fn set_max_page_size(&self, size: usize) {
        self.shared.state().max_page_size = size.max(1);
    }

    /// Answers errors in the classic or the RFC 9457 shape.
    pub fn set_error_shape(&self, shape: ErrorShape) {
        self.shared.state().error_shape = shape;
    }

    /// Adds a sink directly (as if created earlier), returning its SID.
    pub fn insert_webhook_sink(
        &self,
        destination: &str,
        description: &str,
        status: &str,
    ) -> String {
        let mut state = self.shared.state();
        let sid = state.next_sid("DG");
        let now = now_iso();
        state.sinks.push(FakeSink {
            sid: sid.clone(),
            description: description.to_owned(),
            sink_type: "webhook".to_owned(),
            status: status.to_owned(),
            sink_configuration: json!({"destination": destination, "method": "POST", "batch_events": false}),
            date_created: now.clone(),
            date_updated: now,
            last_test_id: None,
        });
        sid
    }

    /// Adds a subscription directly, returning its SID.
    pub fn insert_subscription(&self, sink_sid: &str, description: &str, types: &[&str]) -> String {
        let mut state = self.shared.state();
        let sid = state.next_sid("DF");
        let now = now_iso();
        state.subscriptions.push(FakeSubscription {
            sid: sid.clone(),
            sink_sid: sink_sid.to_owned(),
            description: description.to_owned(),
            types: types.iter().map(|t| ((*t).to_owned(), None)).collect(),
            date_created: now.clone(),
            date_updated: now,
        });
        sid
    }

    /// Changes a sink's status (e.g. to `initialized`, to provoke error 91100).
    pub fn set_sink_status(&self, sid: &str, status: &str) {
        if let Some(sink) = self.shared.state().sinks.iter_mut().find(|s| s.sid == sid) {
            sink.status = status.to_owned();
        }
    }

    /// The event types the fake offers.
    pub fn event_types(&self) -> Vec<FakeEventType> {
        self.shared.state().event_types.clone()
    }
}

impl Drop for FakeEventsApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The outcome a test delivery has until the sink answers.
const PENDING: &str = "pending";
/// The outcome of a test delivery when the fake is set not to deliver.
const NOT_SENT: &str = "not sent (set_deliver_test_events(false))";

/// An answer before it becomes a hyper response.
struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
    /// A test event to POST once the answer is decided.
    test_event: Option<TestDelivery>,
    /// A test event to write into a Kinesis stream once the answer is decided: the writer and
    /// the delivery (its `url` is the stream's ARN).
    kinesis_event: Option<(aws_sdk_kinesis::Client, TestDelivery)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: Vec::new(),
            test_event: None,
            kinesis_event: None,
        }
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            headers: Vec::new(),
            test_event: None,
            kinesis_event: None,
        }
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide every later assertion behind a poison error.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let user_agent = header(hyper::header::USER_AGENT);
        let basic_auth = header(AUTHORIZATION).and_then(|h| decode_basic(&h));
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let is_form = content_type.as_deref().is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim() == "application/x-www-form-urlencoded")
        });
        let incoming = ReceivedRequest {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: decode_pairs(parts.uri.query().unwrap_or("")),
            form: if is_form {
                decode_pairs(&String::from_utf8_lossy(&body))
            } else {
                Vec::new()
            },
            body_len: body.len(),
            content_type: content_type.clone(),
            basic_auth,
        };
        let reply = self.answer(&incoming);
        {
            let mut state = self.state();
            state.requests.push(RecordedRequest {
                method: incoming.method.to_string(),
                path: incoming.path.clone(),
                query: incoming.query.clone(),
                form: incoming.form.clone(),
                content_type,
                username: incoming.basic_auth.as_ref().map(|(user, _)| user.clone()),
                user_agent,
                status: reply.status,
            });
        }
        if let Some(delivery) = reply.test_event.clone() {
            let shared = Arc::clone(&self);
            tokio::spawn(async move { shared.deliver_test_event(delivery).await });
        }
        if let Some((client, delivery)) = reply.kinesis_event.clone() {
            let shared = Arc::clone(&self);
            tokio::spawn(async move { shared.write_kinesis_test_event(client, delivery).await });
        }
        let mut response = Response::builder().status(reply.status);
        for (name, value) in &reply.headers {
            response = response.header(*name, value);
        }
        let body = match &reply.body {
            Some(body) => {
                response = response.header(CONTENT_TYPE, "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        response.body(Full::new(body)).expect("a valid response")
    }

    /// Decides the answer; runs under no lock except the short ones it takes.
    fn answer(&self, request: &ReceivedRequest) -> Reply {
        let mut state = self.state();
        if let Some((status, retry_after)) = state.injected_failures.pop_front() {
            let mut reply = state.error(
                status,
                injected_code(status),
                "Injected failure (fake Events API)",
                &request.path,
            );
            if let Some(seconds) = retry_after {
                reply.headers.push(("Retry-After", seconds.to_string()));
            }
            return reply;
        }
        if !self.authorized(&state, request.basic_auth.as_ref()) {
            let mut reply = state.error(401, 20003, "Authenticate", &request.path);
            reply
                .headers
                .push(("WWW-Authenticate", "Basic realm=\"Twilio API\"".to_owned()));
            return reply;
        }
        let Some((operation, path_params)) = self.spec.route(&request.method, &request.path) else {
            return if self.spec.path_exists(&request.path) {
                state.error(405, 20004, "Method not allowed", &request.path)
            } else {
                let resource = request.path.strip_prefix("/v1").unwrap_or(&request.path);
                state.error(
                    404,
                    20404,
                    &format!("The requested resource {resource} was not found"),
                    &request.path,
                )
            };
        };
        if let Err(message) = operation.check(request) {
            return state.error(400, 20001, &message, &request.path);
        }
        let params = Params {
            path: path_params,
            query: &request.query,
            form: &request.form,
        };
        self.dispatch(&mut state, &operation.id, &params, &request.path)
    }

    fn authorized(&self, state: &State, auth: Option<&(String, String)>) -> bool {
        let Some((user, password)) = auth else {
            return false;
        };
        (user == &self.account_sid && password == &self.auth_token)
            || state
                .api_keys
                .iter()
                .any(|(key, secret)| key == user && secret == password)
    }

    fn dispatch(
        &self,
        state: &mut State,
        operation: &str,
        params: &Params<'_>,
        path: &str,
    ) -> Reply {
        let base = &self.base_url;
        match operation {
            "ListSink" => {
                let in_use = params.query("InUse").map(|v| v == "true");
                let status = params.query("Status");
                let items: Vec<Value> = state
                    .sinks
                    .iter()
                    .filter(|sink| {
                        let used = state.subscriptions.iter().any(|s| s.sink_sid == sink.sid);
                        in_use.is_none_or(|want| want == used)
                            && status.is_none_or(|want| want == sink.status)
                    })
                    .map(|sink| sink_json(base, sink))
                    .collect();
                state.page(base, path, params.query, "sinks", items)
            }
            "FetchSink" => match state.sink(params.path("Sid")) {
                Some(sink) => Reply::json(200, sink_json(base, sink)),
                None => state.not_found(path),
            },
            "CreateSink" => {
                if state.sinks.len() >= MAX_SINKS {
                    return state.error(400, 91003, "Maximum number of Sinks reached", path);
                }
                let sink_type = params.form("SinkType").unwrap_or_default().to_owned();
                let configuration = match parse_sink_configuration(
                    &sink_type,
                    params.form("SinkConfiguration").unwrap_or_default(),
                ) {
                    Ok(configuration) => configuration,
                    Err(message) => return state.error(400, 20001, &message, path),
                };
                let sid = state.next_sid("DG");
                let now = now_iso();
                let sink = FakeSink {
                    sid,
                    description: params.form("Description").unwrap_or_default().to_owned(),
                    // "The status of Webhook Sinks will be `active` by default."
                    status: if sink_type == "webhook" {
                        "active"
                    } else {
                        "initialized"
                    }
                    .to_owned(),
                    sink_type,
                    sink_configuration: configuration,
                    date_created: now.clone(),
                    date_updated: now,
                    last_test_id: None,
                };
                let body = sink_json(base, &sink);
                state.sinks.push(sink);
                Reply::json(201, body)
            }
            "UpdateSink" => {
                let description = params.form("Description").unwrap_or_default().to_owned();
                match state.sinks.iter_mut().find(|s| s.sid == params.path("Sid")) {
                    Some(sink) => {
                        sink.description = description;
                        sink.date_updated = now_iso();
                        Reply::json(200, sink_json(base, sink))
                    }
                    None => state.not_found(path),
                }
            }
            "DeleteSink" => {
                let before = state.sinks.len();
                state.sinks.retain(|s| s.sid != params.path("Sid"));
                if state.sinks.len() == before {
                    state.not_found(path)
                } else {
                    Reply::no_content()
                }
            }
            "CreateSinkTest" => {
                let test_id = uuid_like();
                let body_template = self.test_event_body(&test_id);
                let Some(sink) = state.sinks.iter_mut().find(|s| s.sid == params.path("Sid"))
                else {
                    return state.not_found(path);
                };
                if sink.sink_type == "kinesis" {
                    sink.last_test_id = Some(test_id.clone());
                    let arn = sink
                        .sink_configuration
                        .get("arn")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    // Twilio writes one CloudEvent per record, not an array.
                    let event: Value =
                        serde_json::from_slice(&body_template).expect("the body is JSON");
                    let delivery = TestDelivery {
                        sink_sid: sink.sid.clone(),
                        test_id,
                        url: arn,
                        signature: String::new(),
                        body: serde_json::to_vec(&event[0]).expect("JSON serializes"),
                        outcome: Err(PENDING.to_owned()),
                    };
                    let mut reply = Reply::json(201, json!({"result": "submitted"}));
                    match state.kinesis.clone().filter(|_| state.deliver_test_events) {
                        Some(client) => {
                            state.test_deliveries.push(delivery.clone());
                            reply.kinesis_event = Some((client, delivery));
                        }
                        None => state.test_deliveries.push(TestDelivery {
                            outcome: Err(NOT_SENT.to_owned()),
                            ..delivery
                        }),
                    }
                    return reply;
                }
                let Some(destination) = sink.destination().map(str::to_owned) else {
                    return state.error(
                        400,
                        20001,
                        "Only webhook sinks can be tested by this fake",
                        path,
                    );
                };
                sink.last_test_id = Some(test_id.clone());
                let (url, signature) = sign_json_delivery(
                    self.auth_token.as_bytes(),
                    &destination,
                    &body_template,
                    Algorithm::HmacSha1,
                );
                let delivery = TestDelivery {
                    sink_sid: sink.sid.clone(),
                    test_id,
                    url,
                    signature,
                    body: body_template,
                    outcome: Err(PENDING.to_owned()),
                };
                let mut reply = Reply::json(201, json!({"result": "submitted"}));
                if state.deliver_test_events {
                    state.test_deliveries.push(delivery.clone());
                    reply.test_event = Some(delivery);
                } else {
                    state.test_deliveries.push(TestDelivery {
                        outcome: Err(NOT_SENT.to_owned()),
                        ..delivery
                    });
                }
                reply
            }
            "CreateSinkValidate" => {
                let test_id = params.form("TestId").unwrap_or_default();
                match state
                    .sink(params.path("Sid"))
                    .map(|s| s.last_test_id.clone())
                {
                    None => state.not_found(path),
                    Some(Some(expected)) if expected == test_id && !state.refuse_validation => {
                        // A validated sink is active: Twilio delivers to it and subscribes it.
                        if let Some(sink) =
                            state.sinks.iter_mut().find(|s| s.sid == params.path("Sid"))
                        {
                            sink.status = "active".to_owned();
                        }
                        Reply::json(201, json!({"result": "valid"}))
                    }
                    Some(_) => state.error(
                        400,
                        20001,
                        "TestId does not match the most recent test event sent to this Sink",
                        path,
                    ),
                }
            }
            "ListSubscription" => {
                let sink_sid = params.query("SinkSid");
                let items: Vec<Value> = state
                    .subscriptions
                    .iter()
                    .filter(|s| sink_sid.is_none_or(|want| want == s.sink_sid))
                    .map(|s| subscription_json(base, &self.account_sid, s))
                    .collect();
                state.page(base, path, params.query, "subscriptions", items)
            }
            "FetchSubscription" => match state
                .subscriptions
                .iter()
                .find(|s| s.sid == params.path("Sid"))
            {
                Some(s) => Reply::json(200, subscription_json(base, &self.account_sid, s)),
                None => state.not_found(path),
            },
            "CreateSubscription" => self.create_subscription(state, params, path),
            "UpdateSubscription" => {
                let description = params.form("Description").map(str::to_owned);
                match state
                    .subscriptions
                    .iter_mut()
                    .find(|s| s.sid == params.path("Sid"))
                {
                    Some(s) => {
                        if let Some(description) = description {
                            s.description = description;
                        }
                        s.date_updated = now_iso();
                        Reply::json(200, subscription_json(base, &self.account_sid, s))
                    }
                    None => state.not_found(path),
                }
            }
            "DeleteSubscription" => {
                let before = state.subscriptions.len();
                state.subscriptions.retain(|s| s.sid != params.path("Sid"));
                if state.subscriptions.len() == before {
                    state.not_found(path)
                } else {
                    Reply::no_content()
                }
            }
            "ListSubscribedEvent" => {
                let Some(subscription) = state
                    .subscriptions
                    .iter()
                    .find(|s| s.sid == params.path("SubscriptionSid"))
                    .cloned()
                else {
                    return state.not_found(path);
                };
                let items: Vec<Value> = subscription
                    .types
                    .iter()
                    .map(|(event_type, version)| {
                        let latest = state
                            .event_types
                            .iter()
                            .find(|t| &t.event_type == event_type)
                            .map_or(1, |t| t.latest_schema_version);
                        json!({
                            "account_sid": self.account_sid,
                            "type": event_type,
                            "schema_version": version.unwrap_or(latest),
                            "subscription_sid": subscription.sid,
                            "url": format!("{base}/v1/Subscriptions/{}/SubscribedEvents/{event_type}", subscription.sid),
                        })
                    })
                    .collect();
                state.page(base, path, params.query, "types", items)
            }
            "CreateSubscribedEvent" => self.create_subscribed_event(state, params, path),
            "DeleteSubscribedEvent" => {
                let event_type = params.path("Type");
                match state
                    .subscriptions
                    .iter_mut()
                    .find(|s| s.sid == params.path("SubscriptionSid"))
                {
                    Some(subscription) => {
                        let before = subscription.types.len();
                        subscription.types.retain(|(t, _)| t != event_type);
                        if subscription.types.len() == before {
                            state.not_found(path)
                        } else {
                            Reply::no_content()
                        }
                    }
                    None => state.not_found(path),
                }
            }
            "ListEventType" => {
                let schema_id = params.query("SchemaId");
                let items: Vec<Value> = state
                    .event_types
                    .iter()
                    .filter(|t| schema_id.is_none_or(|want| want == t.schema_id))
                    .map(|t| event_type_json(base, t))
                    .collect();
                state.page(base, path, params.query, "types", items)
            }
            "FetchSchema" => {
                let id = params.path("Id");
                match state.latest_version(id) {
                    Some(latest) => Reply::json(200, schema_json(base, id, latest)),
                    None => state.not_found(path),
                }
            }
            "ListSchemaVersion" => {
                let id = params.path("Id").to_owned();
                let Some(latest) = state.latest_version(&id) else {
                    return state.not_found(path);
                };
                let items: Vec<Value> = (1..=latest)
                    .map(|version| schema_version_json(base, &id, version))
                    .collect();
                state.page(base, path, params.query, "schema_versions", items)
            }
            "FetchSchemaVersion" => {
                let id = params.path("Id");
                let version = params.path("SchemaVersion").parse::<u64>().ok();
                match (state.latest_version(id), version) {
                    (Some(latest), Some(v)) if (1..=latest).contains(&v) => {
                        Reply::json(200, schema_version_json(base, id, v))
                    }
                    _ => state.not_found(path),
                }
            }
            "FetchEventType" => match state
                .event_types
                .iter()
                .find(|t| t.event_type == params.path("Type"))
            {
                Some(t) => Reply::json(200, event_type_json(base, t)),
                None => state.not_found(path),
            },
            other => state.error(
                501,
                20001,
                &format!("{other} is not implemented by the fake Events API"),
                path,
            ),
        }
    }

    /// `POST /v1/Subscriptions/{SubscriptionSid}/SubscribedEvents`: `Type` must be offered and
    /// not subscribed yet; `SchemaVersion` is optional ("otherwise the latest").
    fn create_subscribed_event(&self, state: &mut State, params: &Params<'_>, path: &str) -> Reply {
        let event_type = params.form("Type").unwrap_or_default().to_owned();
        let version = match params.form("SchemaVersion").map(str::parse::<u64>) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(_)) => {
                return state.error(400, 20001, "SchemaVersion must be an integer", path);
            }
        };
        let Some(latest) = state
            .event_types
            .iter()
            .find(|t| t.event_type == event_type)
            .map(|t| t.latest_schema_version)
        else {
            return state.error(
                400,
                91104,
                &format!("Event type not found: {event_type}"),
                path,
            );
        };
        let subscription_sid = params.path("SubscriptionSid").to_owned();
        let Some(subscription) = state
            .subscriptions
            .iter_mut()
            .find(|s| s.sid == subscription_sid)
        else {
            return state.not_found(path);
        };
        if subscription.types.iter().any(|(t, _)| *t == event_type) {
            return state.error(
                400,
                91101,
                &format!("Duplicated event type: {event_type}"),
                path,
            );
        }
        subscription.types.push((event_type.clone(), version));
        subscription.date_updated = now_iso();
        Reply::json(
            201,
            json!({
                "account_sid": self.account_sid,
                "type": event_type,
                "schema_version": version.unwrap_or(latest),
                "subscription_sid": subscription_sid,
                "url": format!("{}/v1/Subscriptions/{subscription_sid}/SubscribedEvents/{event_type}", self.base_url),
            }),
        )
    }

    fn create_subscription(&self, state: &mut State, params: &Params<'_>, path: &str) -> Reply {
        let sink_sid = params.form("SinkSid").unwrap_or_default();
        let description = params
            .form("Description")
            .unwrap_or_default()
            .trim()
            .to_owned();
        let Some(sink) = state.sink(sink_sid) else {
            return state.error(
                404,
                20404,
                &format!("The requested resource /Sinks/{sink_sid} was not found"),
                path,
            );
        };
        if sink.status != "active" {
            return state.error(400, 91100, "Sink is not in an active state", path);
        }
        if description.is_empty() {
            return state.error(400, 91101, "Description must not be empty", path);
        }
        let mut types: Vec<(String, Option<u64>)> = Vec::new();
        for raw in params.form_all("Types") {
            let parsed: Value = match serde_json::from_str(raw) {
                Ok(value) => value,
                Err(_) => {
                    return state.error(
                        400,
                        20001,
                        &format!("Types must be JSON objects, got {raw:?}"),
                        path,
                    );
                }
            };
            let Some(object) = parsed.as_object() else {
                return state.error(
                    400,
                    20001,
                    &format!("Types must be JSON objects, got {raw:?}"),
                    path,
                );
            };
            if let Some(unknown) = object
                .keys()
                .find(|k| *k != "type" && *k != "schema_version")
            {
                return state.error(
                    400,
                    20001,
                    &format!("Unknown field {unknown:?} in Types"),
                    path,
                );
            }
            let Some(event_type) = object.get("type").and_then(Value::as_str) else {
                return state.error(
                    400,
                    20001,
                    &format!("Types element without a \"type\": {raw:?}"),
                    path,
                );
            };
            let version = match object.get("schema_version") {
                None => None,
                Some(v) => match v.as_u64() {
                    Some(n) => Some(n),
                    None => {
                        return state.error(400, 20001, "schema_version must be an integer", path);
                    }
                },
            };
            if !state.event_types.iter().any(|t| t.event_type == event_type) {
                return state.error(
                    400,
                    91104,
                    &format!("Event type not found: {event_type}"),
                    path,
                );
            }
            if types.iter().any(|(t, _)| t == event_type) {
                return state.error(
                    400,
                    91101,
                    &format!("Duplicated event type: {event_type}"),
                    path,
                );
            }
            types.push((event_type.to_owned(), version));
        }
        let sid = state.next_sid("DF");
        let now = now_iso();
        let subscription = FakeSubscription {
            sid,
            sink_sid: sink_sid.to_owned(),
            description,
            types,
            date_created: now.clone(),
            date_updated: now,
        };
        let body = subscription_json(&self.base_url, &self.account_sid, &subscription);
        state.subscriptions.push(subscription);
        Reply::json(201, body)
    }

    /// The fixture's test event with a fresh `test_id`, the account SID as `id` (as Twilio
    /// sends it) and the current time.
    fn test_event_body(&self, test_id: &str) -> Vec<u8> {
        let mut events = self.test_event_template.clone();
        if let Some(event) = events.get_mut(0).and_then(Value::as_object_mut) {
            event.insert("id".to_owned(), json!(self.account_sid));
            event.insert("time".to_owned(), json!(now_iso_millis()));
            event.insert("data".to_owned(), json!({"test_id": test_id}));
        }
        serde_json::to_vec(&events).expect("JSON serializes")
    }

    /// PutRecord of a Kinesis sink's test event into the stream its ARN names.
    async fn write_kinesis_test_event(
        &self,
        client: aws_sdk_kinesis::Client,
        delivery: TestDelivery,
    ) {
        let stream = delivery
            .url
            .rsplit_once(":stream/")
            .map(|(_, name)| name.to_owned())
            .unwrap_or_default();
        let outcome = client
            .put_record()
            .stream_name(stream)
            .partition_key(&self.account_sid)
            .data(aws_sdk_kinesis::primitives::Blob::new(
                delivery.body.clone(),
            ))
            .send()
            .await
            .map(|_| 200)
            .map_err(|e| aws_sdk_kinesis::error::DisplayErrorContext(e).to_string());
        let mut state = self.state();
        if let Some(recorded) = state
            .test_deliveries
            .iter_mut()
            .find(|d| d.test_id == delivery.test_id)
        {
            recorded.outcome = outcome;
        }
    }

    async fn deliver_test_event(&self, delivery: TestDelivery) {
        let outcome = self
            .http
            .post(&delivery.url)
            .header(CONTENT_TYPE, "application/json")
            .header("X-Twilio-Signature", &delivery.signature)
            .body(delivery.body.clone())
            .send()
            .await
            .map(|response| response.status().as_u16())
            .map_err(|e| e.to_string());
        let mut state = self.state();
        if let Some(recorded) = state
            .test_deliveries
            .iter_mut()
            .find(|d| d.test_id == delivery.test_id)
        {
            recorded.outcome = outcome;
        }
    }
}

impl State {
    /// The latest version of the schema `id`, when a listed type uses it (Twilio publishes
    /// versions 1 to the latest).
    fn latest_version(&self, id: &str) -> Option<u64> {
        self.event_types
            .iter()
            .filter(|t| t.schema_id == id)
            .map(|t| t.latest_schema_version)
            .max()
    }

    fn sink(&self, sid: &str) -> Option<&FakeSink> {
        self.sinks.iter().find(|s| s.sid == sid)
    }

    /// `prefix` + 32 hex digits, distinct for each call, stable from run to run.
    fn next_sid(&mut self, prefix: &str) -> String {
        self.sid_counter += 1;
        sid(prefix, self.sid_counter)
    }

    fn not_found(&self, path: &str) -> Reply {
        let resource = path.strip_prefix("/v1").unwrap_or(path);
        self.error(
            404,
            20404,
            &format!("The requested resource {resource} was not found"),
            path,
        )
    }

    /// An error answer in Twilio's shape.
    fn error(&self, status: u16, code: u32, message: &str, path: &str) -> Reply {
        let more_info = format!("https://www.twilio.com/docs/errors/{code}");
        let body = match self.error_shape {
            ErrorShape::Classic => json!({
                "code": code,
                "message": message,
                "more_info": more_info,
                "status": status,
            }),
            ErrorShape::Problem => json!({
                "type": more_info,
                "title": StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error"),
                "status": status,
                "code": code,
                "detail": message,
                "instance": path,
            }),
        };
        Reply::json(status, body)
    }

    /// One page of `items` as Twilio pages lists (see [`page_json`]).
    fn page(
        &self,
        base: &str,
        path: &str,
        query: &[(String, String)],
        key: &str,
        items: Vec<Value>,
    ) -> Reply {
        match page_json(base, path, query, key, items, self.max_page_size) {
            Ok(body) => Reply::json(200, body),
            Err(message) => self.error(400, 20001, &message, path),
        }
    }
}

/// Path, query and form parameters of a routed request.
struct Params<'a> {
    path: Vec<(String, String)>,
    query: &'a [(String, String)],
    form: &'a [(String, String)],
}

impl Params<'_> {
    fn path(&self, name: &str) -> &str {
        self.path
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn form(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn form_all(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// `SinkConfiguration` must be a JSON object; for webhooks with a destination URL, a method and
/// a boolean `batch_events`, which is what Twilio's sink docs list.
fn parse_sink_configuration(sink_type: &str, raw: &str) -> Result<Value, String> {
    let configuration: Value = serde_json::from_str(raw)
        .map_err(|_| format!("SinkConfiguration must be a JSON object, got {raw:?}"))?;
    let Some(object) = configuration.as_object() else {
        return Err(format!(
            "SinkConfiguration must be a JSON object, got {raw:?}"
        ));
    };
    if sink_type == "webhook" {
        let destination = object
            .get("destination")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !(destination.starts_with("https://") || destination.starts_with("http://")) {
            return Err(format!(
                "SinkConfiguration.destination must be a URL, got {destination:?}"
            ));
        }
        if !matches!(
            object.get("method").and_then(Value::as_str),
            Some("POST" | "GET")
        ) {
            return Err("SinkConfiguration.method must be POST or GET".to_owned());
        }
        if !object.get("batch_events").is_some_and(Value::is_boolean) {
            return Err("SinkConfiguration.batch_events must be true or false".to_owned());
        }
        if let Some(unknown) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "destination" | "method" | "batch_events"))
        {
            return Err(format!("Unknown field {unknown:?} in SinkConfiguration"));
        }
    }
    // A Kinesis sink: the stream, the role Twilio assumes and its external ID (the OpenAPI
    // description's example configuration).
    if sink_type == "kinesis" {
        for (field, prefix) in [
            ("arn", "arn:aws:kinesis:"),
            ("role_arn", "arn:aws:iam::"),
            ("external_id", ""),
        ] {
            let value = object
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default();
            if value.is_empty() || !value.starts_with(prefix) {
                return Err(format!(
                    "SinkConfiguration.{field} is missing or invalid, got {value:?}"
                ));
            }
        }
        if let Some(unknown) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "arn" | "role_arn" | "external_id"))
        {
            return Err(format!("Unknown field {unknown:?} in SinkConfiguration"));
        }
    }
    Ok(configuration)
}

fn sink_json(base: &str, sink: &FakeSink) -> Value {
    let url = format!("{base}/v1/Sinks/{}", sink.sid);
    json!({
        "status": sink.status,
        "sink_configuration": sink.sink_configuration,
        "description": sink.description,
        "sid": sink.sid,
        "date_created": sink.date_created,
        "sink_type": sink.sink_type,
        "date_updated": sink.date_updated,
        "url": url,
        "links": {
            "sink_test": format!("{url}/Test"),
            "sink_validate": format!("{url}/Validate"),
        },
    })
}

fn subscription_json(base: &str, account_sid: &str, subscription: &FakeSubscription) -> Value {
    let url = format!("{base}/v1/Subscriptions/{}", subscription.sid);
    json!({
        "account_sid": account_sid,
        "date_created": subscription.date_created,
        "date_updated": subscription.date_updated,
        "sid": subscription.sid,
        "sink_sid": subscription.sink_sid,
        "description": subscription.description,
        "url": url,
        "links": {"subscribed_events": format!("{url}/SubscribedEvents")},
        "receive_events_from_subaccounts": false,
    })
}

fn event_type_json(base: &str, event_type: &FakeEventType) -> Value {
    json!({
        "date_created": "2020-08-13T13:28:20Z",
        "date_updated": "2020-08-13T13:28:20Z",
        "type": event_type.event_type,
        "schema_id": event_type.schema_id,
        "public": true,
        "status": event_type.status,
        "documentation_url": null,
        "description": event_type.description,
        "url": format!("{base}/v1/Types/{}", event_type.event_type),
        "links": {"schema": format!("{base}/v1/Schemas/{}/Versions", event_type.schema_id)},
    })
}

/// `GET /v1/Schemas/{Id}` as the API description's example shows it.
fn schema_json(base: &str, id: &str, latest: u64) -> Value {
    json!({
        "id": id,
        "url": format!("{base}/v1/Schemas/{id}"),
        "latest_version_date_created": "2023-03-21T11:40:52Z",
        "latest_version": latest,
        "links": {"versions": format!("{base}/v1/Schemas/{id}/Versions")},
    })
}

/// One version of a schema, as `GET /v1/Schemas/{Id}/Versions[/{SchemaVersion}]` shows it.
fn schema_version_json(base: &str, id: &str, version: u64) -> Value {
    json!({
        "id": id,
        "schema_version": version,
        "public": true,
        "date_created": "2021-05-24T14:15:22Z",
        "url": format!("{base}/v1/Schemas/{id}/Versions/{version}"),
        "raw": format!("https://events-schemas.twilio.com/{id}/{version}"),
    })
}

/// Enough of Twilio's catalogue to page through and to subscribe to the seven Call Insights
/// types, with their schemas' latest versions as Twilio publishes them
/// (`VoiceInsights.CallEvent` 3, `VoiceInsights.CallMetric` 2, `VoiceInsights.CallSummary` 2).
fn default_event_types() -> Vec<FakeEventType> {
    let t = |event_type: &str, schema_id: &str, description: &str, latest: u64| FakeEventType {
        event_type: event_type.to_owned(),
        schema_id: schema_id.to_owned(),
        description: description.to_owned(),
        status: "available".to_owned(),
        latest_schema_version: latest,
    };
    vec![
        t(
            "com.twilio.eventstreams.test-event",
            "EventStreams.TestSink",
            "Event Streams test event",
            1,
        ),
        t(
            "com.twilio.messaging.message.delivered",
            "Messaging.MessageStatus",
            "Messaging- delivered message",
            5,
        ),
        t(
            "com.twilio.messaging.message.failed",
            "Messaging.MessageStatus",
            "Messaging- failed message",
            5,
        ),
        t(
            "com.twilio.messaging.message.sent",
            "Messaging.MessageStatus",
            "Messaging- sent message",
            5,
        ),
        t(
            "com.twilio.voice.insights.call-event.gateway",
            "VoiceInsights.CallEvent",
            "Voice Insights call event, gateway",
            3,
        ),
        t(
            "com.twilio.voice.insights.call-event.sdk",
            "VoiceInsights.CallEvent",
            "Voice Insights call event, Voice SDK",
            3,
        ),
        t(
            "com.twilio.voice.insights.call-metrics.gateway",
            "VoiceInsights.CallMetric",
            "Voice Insights call metrics, gateway",
            2,
        ),
        t(
            "com.twilio.voice.insights.call-metrics.sdk",
            "VoiceInsights.CallMetric",
            "Voice Insights call metrics, Voice SDK",
            2,
        ),
        t(
            "com.twilio.voice.insights.call-summary.complete",
            "VoiceInsights.CallSummary",
            "Voice Insights call summary, complete",
            2,
        ),
        t(
            "com.twilio.voice.insights.call-summary.partial",
            "VoiceInsights.CallSummary",
            "Voice Insights call summary, partial",
            2,
        ),
        t(
            "com.twilio.voice.insights.call-summary.predicted-complete",
            "VoiceInsights.CallSummary",
            "Voice Insights call summary, predicted complete",
            2,
        ),
        t(
            "com.twilio.voice.status-callback.call.completed",
            "Voice.StatusCallback",
            "Voice status callback: call completed",
            1,
        ),
    ]
}

/// The code the fake puts in an injected failure's body.
fn injected_code(status: u16) -> u32 {
    match status {
        429 => 20429,
        503 => 20503,
        _ => 20500,
    }
}

fn now_iso() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .expect("a formattable date")
}

fn now_iso_millis() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .expect("a formattable date")
}

/// A fresh random `xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx`, like Twilio's test ids.
fn uuid_like() -> String {
    let random = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    let bits = (u128::from(random()) << 64) | u128::from(random());
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}
