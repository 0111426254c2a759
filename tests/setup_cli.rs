//! `callwatch setup` and the Debugger alerts, through the real binary, against the fake Events
//! and Monitor APIs (each holding requests to Twilio's published API description): setup end to
//! end, running it twice, `--cleanup`, a wrong token, a tunnel that does not reach the listener,
//! and Twilio's delivery failures shown once each; `setup --kinesis` against the fake and a
//! kinesalite stream the fake's Sink Test writes into.

#[path = "support/kinesalite.rs"]
mod kinesalite;
mod support;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use callwatch::twilio::cloudevent::{INSIGHTS_TYPES, LIVE_TYPES};
use support::fake_events_api::{FakeEventsApi, RecordedRequest};
use support::fake_monitor_api::{FakeMonitorApi, NewAlert};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "fake-auth-token-7f3a9c";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";
const API_SECRET: &str = "fake-api-secret-51be0d";
const CALL_SUMMARY_TYPES: [&str; 3] = [
    "com.twilio.voice.insights.call-summary.partial",
    "com.twilio.voice.insights.call-summary.predicted-complete",
    "com.twilio.voice.insights.call-summary.complete",
];
/// The schema versions the fake lists for the [`INSIGHTS_TYPES`]: `VoiceInsights.CallEvent` 3,
/// `VoiceInsights.CallMetric` 2, `VoiceInsights.CallSummary` 2.
const INSIGHTS_VERSIONS: [u64; 7] = [3, 3, 2, 2, 2, 2, 2];
/// Long enough for a loaded machine; the happy path takes well under a second.
const WAIT: Duration = Duration::from_secs(30);

/// Both fakes, for one account.
struct Twilio {
    events: FakeEventsApi,
    monitor: FakeMonitorApi,
}

impl Twilio {
    async fn start() -> Self {
        Self {
            events: FakeEventsApi::start(ACCOUNT_SID, AUTH_TOKEN).await,
            monitor: FakeMonitorApi::start(ACCOUNT_SID, AUTH_TOKEN).await,
        }
    }

    /// The Events API requests `method path`.
    fn requests_to(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.events
            .requests()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// Requests that create something: sinks, subscriptions, subscribed events.
    fn creations(&self) -> Vec<RecordedRequest> {
        self.events
            .requests()
            .into_iter()
            .filter(|r| {
                r.method == "POST"
                    && (r.path == "/v1/Sinks"
                        || r.path == "/v1/Subscriptions"
                        || r.path.ends_with("/SubscribedEvents"))
            })
            .collect()
    }
}

/// A running `callwatch`: its stdout lines as they come, its stderr collected.
struct Running {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    /// Reads stdout lines until one satisfies `want` (the line, parsed), or fails the test.
    async fn wait_for_line(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv()).await;
            match line {
                Ok(Some(line)) => {
                    self.seen.push(line.clone());
                    if let Ok(value) = serde_json::from_str::<Value>(&line)
                        && want(&value)
                    {
                        return value;
                    }
                }
                Ok(None) | Err(_) => panic!(
                    "no {what} line; stdout:\n{}\nstderr:\n{}",
                    self.seen.join("\n"),
                    self.stderr()
                ),
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Sends SIGTERM (as a user's Ctrl-C would end it) and returns the exit code and every
    /// stdout line.
    async fn terminate(mut self) -> (Option<i32>, Vec<String>, String) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("callwatch exits after SIGTERM")
            .expect("callwatch ran");
        self.finish(status.code()).await
    }

    /// Waits for the process to end on its own.
    async fn exit(mut self) -> (Option<i32>, Vec<String>, String) {
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("callwatch exits by itself")
            .expect("callwatch ran");
        self.finish(status.code()).await
    }

    async fn finish(mut self, code: Option<i32>) -> (Option<i32>, Vec<String>, String) {
        while let Ok(Some(line)) = tokio::time::timeout(WAIT, self.lines.recv()).await {
            self.seen.push(line);
        }
        // The stderr reader ends with the process.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stderr = self.stderr();
        for secret in [AUTH_TOKEN, API_SECRET, "wrong-token-0000"] {
            let printed = self.seen.iter().any(|l| l.contains(secret)) || stderr.contains(secret);
            assert!(
                !printed,
                "a secret was printed:\n{}\n{stderr}",
                self.seen.join("\n")
            );
        }
        (code, self.seen, stderr)
    }
}

/// A free port on loopback (the public URL must name it before the listener starts).
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    socket.local_addr().expect("local addr").port()
}

/// `callwatch ARGS` (sealed: no variable or config file of the machine's) with exactly `env`
/// as the Twilio environment, both fakes as API bases, and a one-second Debugger poll.
fn spawn(twilio: &Twilio, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::from(support::hermetic::callwatch());
    command
        .args(args)
        .env("CALLWATCH_EVENTS_API_BASE", twilio.events.base_url())
        .env("CALLWATCH_MONITOR_API_BASE", twilio.monitor.base_url())
        .env("CALLWATCH_ALERT_POLL_SECS", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("start callwatch");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr piped");
    let (tx, lines) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&stderr);
    tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stderr_pipe.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            if let Ok(mut text) = sink.lock() {
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        }
    });
    Running {
        child,
        lines,
        seen: Vec::new(),
        stderr,
    }
}

const ACCOUNT_ENV: [(&str, &str); 2] = [
    ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
    ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
];

/// `callwatch setup --public-url http://127.0.0.1:PORT/events --port PORT --output ndjson …`.
/// Waits until the callwatch of `run` accepts connections on `port`. Alerts a test adds after
/// this are generated after the run started, which is when callwatch shows alerts from: added
/// before it, in the second before the run started, they would rightly be left out.
async fn listening(port: u16, run: &Running) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "callwatch never listened on {port}: {}",
            run.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn setup(twilio: &Twilio, port: u16, extra: &[&str], env: &[(&str, &str)]) -> Running {
    let url = public_url(port);
    let port = port.to_string();
    let mut args = vec![
        "setup",
        "--public-url",
        &url,
        "--port",
        &port,
        "--output",
        "ndjson",
    ];
    if !extra.contains(&"--test-timeout") {
        args.extend(["--test-timeout", "20"]);
    }
    args.extend_from_slice(extra);
    spawn(twilio, &args, env)
}

fn public_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/events")
}

fn is_type(line: &Value, kind: &str) -> bool {
    line["type"] == kind
}

/// Runs setup until its test event has been shown, then ends it with SIGTERM.
async fn setup_until_verified(
    twilio: &Twilio,
    port: u16,
    extra: &[&str],
) -> (Value, Vec<String>, String) {
    let mut run = setup(twilio, port, extra, &ACCOUNT_ENV);
    let done = run.wait_for_line("setup", |l| is_type(l, "setup")).await;
    run.wait_for_line("test_event", |l| is_type(l, "test_event"))
        .await;
    let (code, lines, stderr) = run.terminate().await;
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    (done, lines, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_creates_the_sink_and_subscription_verifies_the_test_event_and_monitors() {
    let twilio = Twilio::start().await;
    let port = free_port();
    let url = public_url(port);

    let mut run = setup(&twilio, port, &[], &ACCOUNT_ENV);
    let listening = run
        .wait_for_line("listening", |l| is_type(l, "listening"))
        .await;
    assert_eq!(listening["addr"], format!("127.0.0.1:{port}"));
    assert_eq!(listening["public_url"], url);
    let done = run.wait_for_line("setup", |l| is_type(l, "setup")).await;
    // The monitor shows the test delivery it received during setup, then keeps running.
    let delivery = run
        .wait_for_line("delivery", |l| is_type(l, "delivery"))
        .await;
    assert_eq!(delivery["verdict"], "ok");
    assert_eq!(delivery["status"], 200);
    let test_event = run
        .wait_for_line("test_event", |l| is_type(l, "test_event"))
        .await;
    assert!(
        run.child.try_wait().expect("poll").is_none(),
        "still monitoring"
    );
    let (code, lines, stderr) = run.terminate().await;
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    assert_eq!(
        lines[0],
        serde_json::to_string(&listening).unwrap(),
        "listening comes first"
    );

    // The sink: a webhook POSTing one event per request to the public URL.
    let sinks = twilio.events.sinks();
    assert_eq!(sinks.len(), 1);
    let sink = &sinks[0];
    assert_eq!(sink.destination(), Some(url.as_str()));
    assert_eq!(sink.description, "callwatch sink");
    assert_eq!(
        sink.sink_configuration,
        serde_json::json!({"destination": url, "method": "POST", "batch_events": false})
    );
    let created = twilio.requests_to("POST", "/v1/Sinks");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].form_value("SinkType"), Some("webhook"));

    // The subscription: the seven Call Insights types, each at the schema version Twilio
    // lists for it, to that sink.
    let subscriptions = twilio.events.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].sink_sid, sink.sid);
    let expected: Vec<(String, Option<u64>)> = INSIGHTS_TYPES
        .iter()
        .zip(INSIGHTS_VERSIONS)
        .map(|(t, v)| ((*t).to_owned(), Some(v)))
        .collect();
    assert_eq!(subscriptions[0].types, expected);
    let subscribe = twilio.requests_to("POST", "/v1/Subscriptions");
    assert_eq!(subscribe.len(), 1);
    assert_eq!(subscribe[0].form_value("SinkSid"), Some(sink.sid.as_str()));
    assert_eq!(
        subscribe[0].form_value("Description"),
        Some("callwatch call insights")
    );
    let sent: Vec<Value> = subscribe[0]
        .form_values("Types")
        .iter()
        .map(|t| serde_json::from_str(t).expect("each Types value is JSON"))
        .collect();
    let expected: Vec<Value> = INSIGHTS_TYPES
        .iter()
        .zip(INSIGHTS_VERSIONS)
        .map(|(t, v)| serde_json::json!({"type": t, "schema_version": v}))
        .collect();
    assert_eq!(sent, expected);

    // The Sink Test: Twilio's signed event reached the listener, which answered 200.
    let tests = twilio.requests_to("POST", &format!("/v1/Sinks/{}/Test", sink.sid));
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0].status, 201);
    let deliveries = twilio.events.test_deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, Ok(200));
    let test_id = deliveries[0].test_id.clone();
    assert_eq!(test_event["test_id"], test_id.as_str());

    // Validate, with that event's test_id.
    let validates = twilio.requests_to("POST", &format!("/v1/Sinks/{}/Validate", sink.sid));
    assert_eq!(validates.len(), 1);
    assert_eq!(validates[0].form_value("TestId"), Some(test_id.as_str()));
    assert_eq!(validates[0].status, 201);

    // Every request went where the API description says, with the account's credentials.
    for request in twilio.events.requests() {
        assert!(request.status < 400, "{request:?}");
        assert_eq!(request.username.as_deref(), Some(ACCOUNT_SID));
    }

    assert_eq!(done["sink_sid"], sink.sid.as_str());
    assert_eq!(done["subscription_sid"], subscriptions[0].sid.as_str());
    assert_eq!(done["test_id"], test_id.as_str());
    assert_eq!(done["verified"], true);
    assert_eq!(done["validate"], "valid");
    assert_eq!(done["created"].as_array().map(Vec::len), Some(2));

    for step in [
        format!("✓ listening on 127.0.0.1:{port} for {url}"),
        format!("✓ created sink {}", sink.sid),
        format!(
            "✓ created subscription {} sending the seven Call Insights types to it \
             (call-event.gateway v3, call-event.sdk v3, call-metrics.gateway v2, \
             call-metrics.sdk v2, call-summary.partial v2, call-summary.predicted-complete v2, \
             call-summary.complete v2)",
            subscriptions[0].sid
        ),
        "✓ asked Twilio for a Sink Test (result: submitted)".to_owned(),
        format!("✓ test event {test_id} arrived and its signature verified"),
        "✓ sent Validate with its test_id (result: valid)".to_owned(),
    ] {
        assert!(stderr.contains(&step), "missing {step:?} in:\n{stderr}");
    }
    assert!(!stderr.contains('✗'), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn running_setup_twice_creates_nothing_new() {
    let twilio = Twilio::start().await;
    let port = free_port();
    let (first, _, _) = setup_until_verified(&twilio, port, &[]).await;
    assert_eq!(twilio.creations().len(), 2);
    twilio.events.clear_requests();

    let (second, _, stderr) = setup_until_verified(&twilio, port, &[]).await;

    let creations = twilio.creations();
    assert!(creations.is_empty(), "{creations:#?}\n{stderr}");
    assert_eq!(twilio.events.sinks().len(), 1);
    assert_eq!(twilio.events.subscriptions().len(), 1);
    assert_eq!(second["sink_sid"], first["sink_sid"]);
    assert_eq!(second["subscription_sid"], first["subscription_sid"]);
    assert_eq!(second["created"], serde_json::json!([]));
    assert_eq!(second["verified"], true);
    let sink = first["sink_sid"].as_str().unwrap_or_default();
    assert!(stderr.contains(&format!("✓ found sink {sink}")), "{stderr}");
    assert!(stderr.contains("✓ found subscription"), "{stderr}");
    // The test still runs every time: it is what proves the tunnel works today.
    assert_eq!(
        twilio
            .requests_to("POST", &format!("/v1/Sinks/{sink}/Validate"))
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_lacking_types_is_completed_not_duplicated() {
    let twilio = Twilio::start().await;
    let port = free_port();
    let sink = twilio
        .events
        .insert_webhook_sink(&public_url(port), "mine", "active");
    let subscription =
        twilio
            .events
            .insert_subscription(&sink, "only complete", &[CALL_SUMMARY_TYPES[2]]);

    let (done, _, stderr) = setup_until_verified(&twilio, port, &["--cleanup"]).await;

    assert_eq!(done["subscription_sid"], subscription.as_str());
    let added = twilio.requests_to(
        "POST",
        &format!("/v1/Subscriptions/{subscription}/SubscribedEvents"),
    );
    let added: Vec<&str> = added.iter().filter_map(|r| r.form_value("Type")).collect();
    let lacking: Vec<&str> = INSIGHTS_TYPES
        .into_iter()
        .filter(|t| *t != CALL_SUMMARY_TYPES[2])
        .collect();
    assert_eq!(added, lacking, "{stderr}");
    assert!(twilio.requests_to("POST", "/v1/Subscriptions").is_empty());
    // --cleanup takes back only the six types it added; the sink and subscription were there.
    let subscriptions = twilio.events.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].types.len(), 1, "{stderr}");
    assert_eq!(twilio.events.sinks().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_summaries_subscription_is_completed_with_the_four_live_types() {
    let twilio = Twilio::start().await;
    let port = free_port();
    let sink = twilio
        .events
        .insert_webhook_sink(&public_url(port), "mine", "active");
    let subscription =
        twilio
            .events
            .insert_subscription(&sink, "callwatch call summaries", &CALL_SUMMARY_TYPES);

    let (done, _, stderr) = setup_until_verified(&twilio, port, &[]).await;

    assert_eq!(done["subscription_sid"], subscription.as_str());
    assert!(twilio.requests_to("POST", "/v1/Subscriptions").is_empty());
    // Each live type added at the version Twilio lists for its schema.
    let added: Vec<(String, String)> = twilio
        .requests_to(
            "POST",
            &format!("/v1/Subscriptions/{subscription}/SubscribedEvents"),
        )
        .iter()
        .map(|r| {
            (
                r.form_value("Type").unwrap_or_default().to_owned(),
                r.form_value("SchemaVersion").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = LIVE_TYPES
        .iter()
        .zip(["3", "3", "2", "2"])
        .map(|(t, v)| ((*t).to_owned(), v.to_owned()))
        .collect();
    assert_eq!(added, expected, "{stderr}");
    let subscriptions = twilio.events.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    let types: Vec<&str> = subscriptions[0]
        .types
        .iter()
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(types, [&CALL_SUMMARY_TYPES[..], &LIVE_TYPES[..]].concat());
    let made: Vec<String> = LIVE_TYPES
        .iter()
        .map(|t| format!("{subscription}/{t}"))
        .collect();
    assert_eq!(done["created"], serde_json::json!(made));
    // The outcome says what the subscription lacked and what it sends now.
    for line in [
        format!(
            "· subscription {subscription} lacks {}; adding them",
            LIVE_TYPES.join(", ")
        ),
        format!(
            "✓ subscription {subscription} now sends the seven Call Insights types (added \
             call-event.gateway v3, call-event.sdk v3, call-metrics.gateway v2, \
             call-metrics.sdk v2)"
        ),
    ] {
        assert!(stderr.contains(&line), "missing {line:?} in:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_with_types_summaries_subscribes_to_the_three_summaries_only() {
    let twilio = Twilio::start().await;
    let port = free_port();

    let (_, _, stderr) = setup_until_verified(&twilio, port, &["--types", "summaries"]).await;

    let subscriptions = twilio.events.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    let expected: Vec<(String, Option<u64>)> = CALL_SUMMARY_TYPES
        .iter()
        .map(|t| ((*t).to_owned(), Some(2)))
        .collect();
    assert_eq!(subscriptions[0].types, expected, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "✓ created subscription {} sending call summaries to it",
            subscriptions[0].sid
        )),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_types_word_is_a_usage_error_before_anything_is_asked() {
    let twilio = Twilio::start().await;
    let port = free_port();

    let run = setup(&twilio, port, &["--types", "live,summary"], &ACCOUNT_ENV);
    let (code, _, stderr) = run.exit().await;

    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr
            .contains("--types: unknown event type or group 'summary' (did you mean 'summaries'?)"),
        "{stderr}"
    );
    assert!(stderr.contains("Groups: insights"), "{stderr}");
    assert!(twilio.events.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_deletes_what_this_run_created_subscription_first() {
    let twilio = Twilio::start().await;
    let other_sink =
        twilio
            .events
            .insert_webhook_sink("https://other.example.com/events", "theirs", "active");
    let other_subscription =
        twilio
            .events
            .insert_subscription(&other_sink, "theirs", &CALL_SUMMARY_TYPES);
    let port = free_port();

    let (done, _, stderr) = setup_until_verified(&twilio, port, &["--cleanup"]).await;

    let sink = done["sink_sid"].as_str().unwrap_or_default();
    let subscription = done["subscription_sid"].as_str().unwrap_or_default();
    let deletes: Vec<String> = twilio
        .events
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        [
            format!("/v1/Subscriptions/{subscription}"),
            format!("/v1/Sinks/{sink}")
        ],
        "{stderr}"
    );
    let sinks: Vec<String> = twilio.events.sinks().into_iter().map(|s| s.sid).collect();
    assert_eq!(sinks, [other_sink]);
    let subscriptions: Vec<String> = twilio
        .events
        .subscriptions()
        .into_iter()
        .map(|s| s.sid)
        .collect();
    assert_eq!(subscriptions, [other_subscription]);
    assert!(
        stderr.contains(&format!("✓ deleted subscription {subscription}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("✓ deleted sink {sink}")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_keeps_a_sink_that_existed_before() {
    let twilio = Twilio::start().await;
    let port = free_port();
    let sink = twilio
        .events
        .insert_webhook_sink(&public_url(port), "mine", "active");

    let (done, _, stderr) = setup_until_verified(&twilio, port, &["--cleanup"]).await;

    assert_eq!(done["sink_sid"], sink.as_str());
    let subscription = done["subscription_sid"].as_str().unwrap_or_default();
    let deletes: Vec<String> = twilio
        .events
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        [format!("/v1/Subscriptions/{subscription}")],
        "{stderr}"
    );
    assert_eq!(twilio.events.sinks().len(), 1);
    assert!(twilio.events.subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_auth_token_fails_the_test_with_the_signature_diagnosis() {
    let twilio = Twilio::start().await;
    twilio.events.add_api_key(API_KEY, API_SECRET);
    twilio.monitor.add_api_key(API_KEY, API_SECRET);
    let port = free_port();
    let env = [
        ("TWILIO_API_KEY", API_KEY),
        ("TWILIO_API_SECRET", API_SECRET),
        ("TWILIO_AUTH_TOKEN", "wrong-token-0000"),
    ];

    let (code, lines, stderr) = setup(&twilio, port, &[], &env).exit().await;

    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    let sink = &twilio.events.sinks()[0].sid;
    assert!(
        stderr.contains("✗ the test event arrived but was refused: 403 bad_signature"),
        "{stderr}"
    );
    // The diagnosis says which check failed and what to change, with a signature prefix only.
    assert!(
        stderr.contains("signature matches no URL variant"),
        "{stderr}"
    );
    assert!(stderr.contains("auth token"), "{stderr}");
    assert!(!stderr.contains("error:"), "said once, as a ✗: {stderr}");
    assert!(
        twilio
            .requests_to("POST", &format!("/v1/Sinks/{sink}/Validate"))
            .is_empty()
    );
    assert_eq!(twilio.events.test_deliveries()[0].outcome, Ok(403));
    // Nothing is monitored: only the listening line was written.
    assert_eq!(lines.len(), 1, "{lines:?}");
    // What was created stays (no --cleanup), and the user is told so.
    assert!(
        stderr.contains("running setup again reuses them"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_test_event_in_time_names_the_url_and_the_port_to_forward() {
    let twilio = Twilio::start().await;
    twilio.events.set_deliver_test_events(false);
    let port = free_port();
    let url = public_url(port);

    let started = std::time::Instant::now();
    let (code, _, stderr) = setup(
        &twilio,
        port,
        &["--test-timeout", "2", "--cleanup"],
        &ACCOUNT_ENV,
    )
    .exit()
    .await;

    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let expected = format!(
        "✗ no test event in 2 s: Twilio could not reach {url}; check that the tunnel forwards \
         to 127.0.0.1:{port}"
    );
    assert!(stderr.contains(&expected), "{stderr}");
    // Not a terminal: the wait is announced once instead of counted down.
    assert!(
        stderr.contains("waiting up to 2 s for Twilio's signed test event"),
        "{stderr}"
    );
    // --cleanup also runs when setup fails.
    assert!(twilio.events.sinks().is_empty(), "{stderr}");
    assert!(twilio.events.subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_going_monitors_without_a_test_event() {
    let twilio = Twilio::start().await;
    twilio.events.set_deliver_test_events(false);
    let port = free_port();

    let mut run = setup(
        &twilio,
        port,
        &["--test-timeout", "1", "--keep-going"],
        &ACCOUNT_ENV,
    );
    let done = run.wait_for_line("setup", |l| is_type(l, "setup")).await;
    let (code, _, stderr) = run.terminate().await;

    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(done["verified"], false);
    assert_eq!(done["test_id"], Value::Null);
    assert!(stderr.contains("✗ no test event in 1 s"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_key_without_the_auth_token_is_a_usage_error_that_says_why() {
    let twilio = Twilio::start().await;
    let env = [
        ("TWILIO_API_KEY", API_KEY),
        ("TWILIO_API_SECRET", API_SECRET),
    ];

    let (code, _, stderr) = setup(&twilio, free_port(), &[], &env).exit().await;

    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("Twilio signs every delivery with it"),
        "{stderr}"
    );
    assert!(twilio.events.requests().is_empty());
}

/// Reads `alert` lines until `count` distinct SIDs have come, then checks no SID came twice.
async fn alert_sids(run: &mut Running, count: usize) -> Vec<String> {
    let mut sids: Vec<String> = Vec::new();
    while sids.len() < count {
        let line = run.wait_for_line("alert", |l| is_type(l, "alert")).await;
        let sid = line["sid"].as_str().unwrap_or_default().to_owned();
        assert!(!sids.contains(&sid), "alert {sid} repeated");
        sids.push(sid);
    }
    sids
}

/// Waits until the fake Monitor API has answered `count` more list requests.
async fn polls(twilio: &Twilio, count: usize) {
    let first_pages = |t: &Twilio| {
        t.monitor
            .requests()
            .iter()
            .filter(|r| r.query_value("PageToken").is_none())
            .count()
    };
    let target = first_pages(twilio) + count;
    let deadline = tokio::time::Instant::now() + WAIT;
    while first_pages(twilio) < target {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no poll of the Monitor API"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn debugger_alerts_about_the_sink_are_ndjson_lines_never_repeated() {
    let twilio = Twilio::start().await;
    twilio.monitor.set_max_page_size(1);
    let port = free_port();
    let url = public_url(port);
    let sink = twilio.events.insert_webhook_sink(&url, "mine", "active");
    twilio
        .events
        .insert_subscription(&sink, "mine", &CALL_SUMMARY_TYPES);
    let mut run = setup(&twilio, port, &[], &ACCOUNT_ENV);
    listening(port, &run).await;
    let timeout = twilio.monitor.add_alert(NewAlert {
        error_code: "91308".into(),
        resource_sid: Some(sink.clone()),
        alert_text: format!("sinkSid={sink}&errorCode=91308&message=Timeout"),
        ..NewAlert::default()
    });
    let refused = twilio.monitor.add_alert(NewAlert {
        error_code: "91307".into(),
        request_url: Some(format!("{url}?bodySHA256=abc")),
        alert_text: "Connection refused".into(),
        log_level: Some("warning".into()),
        ..NewAlert::default()
    });
    // Not shown: another sink, another error, an alert from before the run.
    twilio.monitor.add_alert(NewAlert {
        error_code: "91308".into(),
        resource_sid: Some("DGffffffffffffffffffffffffffffffff".into()),
        request_url: Some("https://elsewhere.example.com/events".into()),
        ..NewAlert::default()
    });
    twilio.monitor.add_alert(NewAlert {
        error_code: "11200".into(),
        resource_sid: Some(sink.clone()),
        ..NewAlert::default()
    });
    twilio.monitor.add_alert(NewAlert {
        error_code: "91306".into(),
        resource_sid: Some(sink.clone()),
        generated: Some(SystemTime::now() - Duration::from_secs(3600)),
        ..NewAlert::default()
    });

    let mut sids = alert_sids(&mut run, 2).await;
    sids.sort();
    let mut expected = vec![timeout.clone(), refused];
    expected.sort();
    assert_eq!(sids, expected);
    // A failure Twilio reports later is shown once it is polled, and nothing is repeated.
    polls(&twilio, 2).await;
    let later = twilio.monitor.add_alert(NewAlert {
        error_code: "91306".into(),
        resource_sid: Some(sink.clone()),
        alert_text: "HTTP 502".into(),
        ..NewAlert::default()
    });
    let line = run.wait_for_line("alert", |l| is_type(l, "alert")).await;
    assert_eq!(line["sid"], later.as_str());
    assert_eq!(line["error_code"], "91306");
    assert_eq!(line["alert_text"], "HTTP 502");
    assert!(
        line["date_generated"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );
    polls(&twilio, 3).await;
    let (code, lines, stderr) = run.terminate().await;
    assert_eq!(code, Some(0), "{stderr}");

    let alert_lines: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| is_type(l, "alert"))
        .collect();
    assert_eq!(alert_lines.len(), 3, "{lines:#?}");
    let timeout_line = alert_lines.iter().find(|l| l["sid"] == timeout.as_str());
    let timeout_line = timeout_line.expect("the timeout alert");
    assert_eq!(timeout_line["error_code"], "91308");
    assert_eq!(
        timeout_line["alert_text"],
        format!("sinkSid={sink}&errorCode=91308&message=Timeout")
    );

    // Every poll: GET /v1/Alerts with a StartDate in the format the description gives,
    // following next_page_url (one alert per page here), with the account's credentials.
    let requests = twilio.monitor.requests();
    assert!(requests.len() >= 5, "{requests:#?}");
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("GET", "/v1/Alerts")
        );
        assert_eq!(request.status, 200, "{request:?}");
        assert_eq!(request.username.as_deref(), Some(ACCOUNT_SID));
        let start = request.query_value("StartDate").unwrap_or_default();
        assert_eq!(start.len(), 20, "{start}");
        assert!(
            start.ends_with('Z') && start.as_bytes()[10] == b'T',
            "{start}"
        );
    }
    assert!(
        requests
            .iter()
            .any(|r| r.query_value("PageToken").is_some())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_with_credentials_shows_alerts_about_its_url() {
    let twilio = Twilio::start().await;
    let port = free_port();
    let url = public_url(port);
    let sink = twilio.events.insert_webhook_sink(&url, "mine", "active");
    let port_text = port.to_string();
    let mut run = spawn(
        &twilio,
        &[
            "listen",
            "--public-url",
            &url,
            "--port",
            &port_text,
            "--output",
            "compact",
        ],
        &ACCOUNT_ENV,
    );
    // listen shows the alerts generated since it started: this one comes once it listens.
    listening(port, &run).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    // Named only by the sink SID: listen finds its sink by destination to match it.
    let by_sid = twilio.monitor.add_alert(NewAlert {
        error_code: "91308".into(),
        resource_sid: Some(sink),
        alert_text: "Timeout".into(),
        ..NewAlert::default()
    });
    let (code, lines, stderr) = {
        loop {
            match tokio::time::timeout_at(deadline, run.lines.recv()).await {
                Ok(Some(line)) => {
                    let done = line.contains("!! Twilio could not deliver");
                    run.seen.push(line);
                    if done {
                        break;
                    }
                }
                _ => panic!("no alert line: {:?}\n{}", run.seen, run.stderr()),
            }
        }
        run.terminate().await
    };
    assert_eq!(code, Some(0), "{stderr}");
    let alert = lines
        .iter()
        .find(|l| l.contains("!! Twilio could not deliver"))
        .expect("an alert line");
    assert!(alert.contains("91308 timeout  Timeout"), "{alert}");
    assert!(twilio.requests_to("GET", "/v1/Sinks").len() == 1);
    assert!(!by_sid.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_without_an_account_sid_says_once_that_alerts_are_off() {
    let twilio = Twilio::start().await;
    let port = free_port().to_string();
    let mut run = spawn(
        &twilio,
        &[
            "listen",
            "--public-url",
            "https://abc.ngrok.app/events",
            "--port",
            &port,
            "--output",
            "compact",
        ],
        &[("TWILIO_AUTH_TOKEN", AUTH_TOKEN)],
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(line)) = tokio::time::timeout_at(deadline, run.lines.recv()).await {
        run.seen.push(line);
    }
    let (code, lines, stderr) = run.terminate().await;
    assert_eq!(code, Some(0), "{stderr}");
    let off: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("-- Twilio Debugger alerts off: set TWILIO_ACCOUNT_SID"))
        .collect();
    assert_eq!(off.len(), 1, "{lines:?}");
    assert!(twilio.monitor.requests().is_empty());
}

/// Not a check: serves both fakes until killed, to try `setup` by hand as a newcomer would.
/// It prints the variables to export, then every request it receives; ten seconds after the
/// first sink appears, it reports a 91308 timeout for it in the Debugger.
///
/// ```text
/// cargo test --test setup_cli -- --ignored --nocapture serve_fake_twilio
/// ```
#[tokio::test(flavor = "multi_thread")]
#[ignore = "serves the fake Twilio APIs until killed, for trying setup by hand"]
async fn serve_fake_twilio_for_trying_setup_by_hand() {
    let twilio = Twilio::start().await;
    println!("export TWILIO_ACCOUNT_SID={ACCOUNT_SID} TWILIO_AUTH_TOKEN={AUTH_TOKEN}");
    println!(
        "export CALLWATCH_EVENTS_API_BASE={} CALLWATCH_MONITOR_API_BASE={} CALLWATCH_ALERT_POLL_SECS=5",
        twilio.events.base_url(),
        twilio.monitor.base_url()
    );
    let (mut events_seen, mut monitor_seen) = (0, 0);
    let mut alert_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let events = twilio.events.requests();
        for r in &events[events_seen..] {
            println!(
                "events  {} {} {:?} {:?} -> {}",
                r.method, r.path, r.query, r.form, r.status
            );
        }
        events_seen = events.len();
        let monitor = twilio.monitor.requests();
        for r in &monitor[monitor_seen..] {
            println!(
                "monitor {} {} {:?} -> {}",
                r.method, r.path, r.query, r.status
            );
        }
        monitor_seen = monitor.len();
        let first_sink = twilio.events.sinks().into_iter().next();
        match (first_sink, alert_at) {
            (Some(_), None) => {
                alert_at = Some(tokio::time::Instant::now() + Duration::from_secs(10));
            }
            (Some(sink), Some(at)) if tokio::time::Instant::now() >= at => {
                let sid = twilio.monitor.add_alert(NewAlert {
                    error_code: "91308".into(),
                    resource_sid: Some(sink.sid.clone()),
                    alert_text: format!("sinkSid={}&errorCode=91308&message=Timeout", sink.sid),
                    ..NewAlert::default()
                });
                println!("debugger: added alert {sid} (91308) for {}", sink.sid);
                alert_at = Some(at + Duration::from_secs(3600));
            }
            _ => {}
        }
    }
}

// ----- setup --kinesis -----------------------------------------------------------------------

const STREAM: &str = "twilio-events";
const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/twilio-writes-events";
const EXTERNAL_ID: &str = "callwatch-ext-1";

/// `callwatch setup --kinesis STREAM_ARN ... --output ndjson` against `kinesis`.
fn setup_kinesis(twilio: &Twilio, kinesis: &kinesalite::Kinesalite, extra: &[&str]) -> Running {
    let mut args = vec![
        "setup",
        "--kinesis",
        STREAM_ARN,
        "--role-arn",
        ROLE_ARN,
        "--external-id",
        EXTERNAL_ID,
        "--endpoint-url",
        &kinesis.endpoint,
        "--output",
        "ndjson",
    ];
    if !extra.contains(&"--test-timeout") {
        args.extend(["--test-timeout", "20"]);
    }
    args.extend_from_slice(extra);
    let mut env: Vec<(&str, &str)> = ACCOUNT_ENV.to_vec();
    env.extend_from_slice(kinesalite::CHILD_ENV);
    spawn(twilio, &args, &env)
}

/// The fake writes Kinesis sinks' test events into `kinesis`; the stream exists.
async fn kinesis_twilio() -> (Twilio, kinesalite::Kinesalite) {
    let twilio = Twilio::start().await;
    let kinesis = kinesalite::Kinesalite::start();
    kinesis.create_stream(STREAM, 2).await;
    twilio.events.set_kinesis(kinesis.client.clone());
    (twilio, kinesis)
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_kinesis_creates_the_sink_reads_the_test_event_back_validates_subscribes_and_shows_the_stream()
 {
    let (twilio, kinesis) = kinesis_twilio().await;

    let mut run = setup_kinesis(&twilio, &kinesis, &[]);
    let done = run.wait_for_line("setup", |l| is_type(l, "setup")).await;
    let reading = run
        .wait_for_line("reading", |l| is_type(l, "reading"))
        .await;
    // Then the stream is shown as `callwatch kinesis` shows it: a call written now appears.
    let mut generator = callwatch::demo::generator::CallGenerator::new(7);
    let call = generator.next_call(None, time::OffsetDateTime::now_utc());
    for event in &call.events {
        let record = serde_json::to_vec(&event.event).expect("JSON");
        kinesis.put(STREAM, &call.call_sid, &record).await;
    }
    run.wait_for_line("the call written after setup", |l| {
        is_type(l, "call") && l["call_sid"] == call.call_sid.as_str()
    })
    .await;
    let (code, _, stderr) = run.terminate().await;
    assert_eq!(code, Some(0), "stderr:\n{stderr}");

    // The sink: Kinesis, configured with the stream, the role and the external ID.
    let sinks = twilio.events.sinks();
    assert_eq!(sinks.len(), 1, "{stderr}");
    let sink = &sinks[0];
    assert_eq!(sink.sink_type, "kinesis");
    assert_eq!(
        sink.sink_configuration,
        serde_json::json!({"arn": STREAM_ARN, "role_arn": ROLE_ARN, "external_id": EXTERNAL_ID})
    );
    assert_eq!(sink.status, "active", "validated");

    // The test event went through kinesalite and its test_id is what setup validated with.
    let deliveries = twilio.events.test_deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, Ok(200), "written into the stream");
    let test_id = deliveries[0].test_id.clone();
    assert_eq!(done["test_id"], test_id.as_str());
    assert_eq!(done["verified"], true);
    assert_eq!(done["validate"], "valid");
    assert_eq!(done["sink_sid"], sink.sid.as_str());
    assert_eq!(reading["stream"], STREAM_ARN);
    let validates = twilio.requests_to("POST", &format!("/v1/Sinks/{}/Validate", sink.sid));
    assert_eq!(validates.len(), 1);
    assert_eq!(validates[0].form_value("TestId"), Some(test_id.as_str()));
    assert_eq!(validates[0].status, 201);

    // The subscription: the seven Call Insights types at the listed versions, created after
    // Validate (Twilio subscribes only active sinks).
    let subscriptions = twilio.events.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].sink_sid, sink.sid);
    let expected: Vec<(String, Option<u64>)> = INSIGHTS_TYPES
        .iter()
        .zip(INSIGHTS_VERSIONS)
        .map(|(t, v)| ((*t).to_owned(), Some(v)))
        .collect();
    assert_eq!(subscriptions[0].types, expected);
    assert_eq!(done["subscription_sid"], subscriptions[0].sid.as_str());
    let order: Vec<String> = twilio
        .events
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    let position = |suffix: &str| order.iter().position(|p| p.ends_with(suffix));
    assert!(
        position("/Validate") < position("/v1/Subscriptions"),
        "{order:?}"
    );
    for line in [
        format!("✓ reading Kinesis stream {STREAM_ARN} (2 shards)"),
        format!(
            "✓ created Kinesis sink {} writing to {STREAM_ARN}",
            sink.sid
        ),
        format!("✓ test event {test_id} read back from the stream"),
        "✓ sent Validate with its test_id (result: valid)".to_owned(),
        format!("✓ created subscription {}", subscriptions[0].sid),
    ] {
        assert!(stderr.contains(&line), "no {line:?} in:\n{stderr}");
    }

    // Again: the sink and the subscription are found, nothing is created.
    twilio.events.clear_requests();
    let mut again = setup_kinesis(&twilio, &kinesis, &[]);
    let done = again.wait_for_line("setup", |l| is_type(l, "setup")).await;
    let (code, _, stderr) = again.terminate().await;
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    assert!(twilio.creations().is_empty(), "{:?}", twilio.creations());
    assert_eq!(done["sink_sid"], sink.sid.as_str());
    assert_eq!(done["validate"], "valid");
    assert!(
        stderr.contains(&format!("✓ found Kinesis sink {}", sink.sid)),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_kinesis_without_a_test_event_in_time_says_what_to_check_and_cleans_up() {
    let twilio = Twilio::start().await;
    let kinesis = kinesalite::Kinesalite::start();
    kinesis.create_stream(STREAM, 1).await;
    // No Kinesis for the fake: Twilio cannot write to the stream (a role it cannot assume).

    let (code, lines, stderr) =
        setup_kinesis(&twilio, &kinesis, &["--test-timeout", "2", "--cleanup"])
            .exit()
            .await;

    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    assert!(lines.is_empty(), "{lines:?}");
    assert!(
        stderr.contains(&format!(
            "✗ no test event in the stream in 2 s: Twilio could not write to {STREAM_ARN}; check \
             the role's trust policy (arn:aws:iam::177261743968:root with sts:ExternalId \
             {EXTERNAL_ID})"
        )),
        "{stderr}"
    );
    assert!(
        twilio.events.sinks().is_empty(),
        "--cleanup deleted it: {stderr}"
    );
    assert!(twilio.events.subscriptions().is_empty());
    assert!(twilio.requests_to("POST", "/v1/Subscriptions").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_kinesis_with_a_stream_that_does_not_exist_fails_before_asking_twilio() {
    let twilio = Twilio::start().await;
    let kinesis = kinesalite::Kinesalite::start();

    let (code, _, stderr) = setup_kinesis(&twilio, &kinesis, &[]).exit().await;

    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "✗ cannot list the shards of Kinesis stream {STREAM_ARN}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("check the stream ARN and region (--region)"),
        "{stderr}"
    );
    assert!(twilio.events.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_kinesis_with_validate_refused_says_to_run_it_again_and_subscribes_nothing() {
    let (twilio, kinesis) = kinesis_twilio().await;
    twilio.events.set_refuse_validation(true);

    let (code, _, stderr) = setup_kinesis(&twilio, &kinesis, &[]).exit().await;

    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    let sink = &twilio.events.sinks()[0];
    assert_eq!(sink.status, "initialized");
    assert!(
        stderr.contains(&format!("✗ Twilio refused to validate {}", sink.sid)),
        "{stderr}"
    );
    assert!(
        stderr.contains("run setup again for a fresh test event"),
        "{stderr}"
    );
    assert!(twilio.requests_to("POST", "/v1/Subscriptions").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_kinesis_wants_an_arn_and_no_public_url() {
    let twilio = Twilio::start().await;
    for (argv, said) in [
        (
            vec![
                "setup",
                "--kinesis",
                STREAM,
                "--role-arn",
                ROLE_ARN,
                "--external-id",
                "x",
            ],
            "Twilio needs the stream's ARN",
        ),
        (
            vec!["setup", "--kinesis", STREAM_ARN, "--role-arn", ROLE_ARN],
            "--external-id",
        ),
        (
            vec![
                "setup",
                "--kinesis",
                STREAM_ARN,
                "--role-arn",
                ROLE_ARN,
                "--external-id",
                "x",
                "--public-url",
                "https://example.com/events",
            ],
            "cannot be used with",
        ),
        (
            vec![
                "setup",
                "--kinesis",
                STREAM_ARN,
                "--role-arn",
                "role",
                "--external-id",
                "x",
            ],
            "is not an IAM role ARN",
        ),
    ] {
        let (code, _, stderr) = spawn(&twilio, &argv, &ACCOUNT_ENV).exit().await;
        assert_eq!(code, Some(2), "{argv:?}: {stderr}");
        assert!(stderr.contains(said), "{argv:?}: {stderr}");
    }
    assert!(twilio.events.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_kinesis_test_creates_tests_reads_back_and_validates_the_sink() {
    let (twilio, kinesis) = kinesis_twilio().await;
    let mut env: Vec<(&str, &str)> = ACCOUNT_ENV.to_vec();
    env.extend_from_slice(kinesalite::CHILD_ENV);
    let args = [
        "sinks",
        "create",
        "--kinesis",
        STREAM_ARN,
        "--role-arn",
        ROLE_ARN,
        "--external-id",
        EXTERNAL_ID,
        "--test",
        "--endpoint-url",
        &kinesis.endpoint,
        "--test-timeout",
        "20",
    ];

    let (code, lines, stderr) = spawn(&twilio, &args, &env).exit().await;

    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    let sinks = twilio.events.sinks();
    assert_eq!(sinks.len(), 1);
    assert_eq!(sinks[0].status, "active", "validated");
    let test_id = twilio.events.last_test_id().expect("a Sink Test");
    let validates = twilio.requests_to("POST", &format!("/v1/Sinks/{}/Validate", sinks[0].sid));
    assert_eq!(validates.len(), 1);
    assert_eq!(validates[0].form_value("TestId"), Some(test_id.as_str()));
    assert_eq!(
        lines,
        [
            format!("Created sink {} (kinesis) → {STREAM_ARN}", sinks[0].sid),
            format!("Test event {test_id} read back from the stream; Validate: valid"),
            format!(
                "Next: callwatch subscriptions create --sink {}",
                sinks[0].sid
            ),
        ]
    );

    // Nothing arrives (the fake no longer writes to the stream): a clear error, exit 1.
    let twilio = Twilio::start().await;
    let mut args = args.to_vec();
    let last = args.len() - 1;
    args[last] = "1";
    let (code, _, stderr) = spawn(&twilio, &args, &env).exit().await;
    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("no test event in the stream in 1 s"),
        "{stderr}"
    );
    assert!(stderr.contains("callwatch sinks delete DG"), "{stderr}");
}
