//! `callwatch sinks | subscriptions | types` through the real binary against the fake Events
//! API, which holds every request to Twilio's published API description.

mod support;

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use support::fake_events_api::{ErrorShape, FakeEventsApi, RecordedRequest};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "fake-auth-token-7f3a9c";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";
const API_SECRET: &str = "fake-api-secret-51be0d";
const CALL_SUMMARY_TYPES: [&str; 3] = [
    "com.twilio.voice.insights.call-summary.partial",
    "com.twilio.voice.insights.call-summary.predicted-complete",
    "com.twilio.voice.insights.call-summary.complete",
];

/// What a run of the binary printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    fn assert_success(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `callwatch ARGS` against `fake` with account credentials in the environment.
async fn callwatch(fake: &FakeEventsApi, args: &[&str]) -> Run {
    let base = fake.base_url();
    let mut with_base: Vec<&str> = args.to_vec();
    with_base.extend(["--api-base", base.as_str()]);
    run_callwatch(
        &with_base,
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        ],
    )
    .await
}

/// Runs `callwatch ARGS` with exactly `env` as Twilio/callwatch environment (nothing inherited
/// from the developer's shell or config file: see `support::hermetic`), and checks no secret
/// leaked into the output.
async fn run_callwatch(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::from(support::hermetic::callwatch());
    command.args(args).envs(env.iter().copied());
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("callwatch finished within 60 s")
        .expect("callwatch ran");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for secret in [AUTH_TOKEN, API_SECRET, "wrong-secret"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret was printed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

async fn fake() -> FakeEventsApi {
    FakeEventsApi::start(ACCOUNT_SID, AUTH_TOKEN).await
}

fn requests_to(fake: &FakeEventsApi, method: &str, path: &str) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// Data lines of a table (the header dropped).
fn table_rows(stdout: &str) -> Vec<&str> {
    stdout.lines().skip(1).filter(|l| !l.is_empty()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_list_follows_every_page_into_one_table() {
    let fake = fake().await;
    let mut sids = Vec::new();
    for i in 0..7 {
        sids.push(fake.insert_webhook_sink(
            &format!("https://example{i}.ngrok.app/events"),
            "callwatch sink",
            "active",
        ));
    }

    let run = callwatch(&fake, &["sinks", "list"]).await;
    run.assert_success();

    let header = run.stdout.lines().next().unwrap();
    for column in [
        "SID",
        "STATUS",
        "TYPE",
        "DESTINATION",
        "DESCRIPTION",
        "CREATED",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let rows = table_rows(&run.stdout);
    assert_eq!(rows.len(), 7, "{}", run.stdout);
    for (sid, row) in sids.iter().zip(&rows) {
        assert!(row.starts_with(sid.as_str()), "{row}");
        assert!(row.contains("active") && row.contains("webhook"), "{row}");
    }
    assert!(rows[6].contains("https://example6.ngrok.app/events"));
    // Columns line up: every destination starts at the header's DESTINATION column.
    let column = header.find("DESTINATION").unwrap();
    assert!(
        rows.iter().all(|r| r[column..].starts_with("https://")),
        "{}",
        run.stdout
    );

    // Three pages of at most three: the first with PageSize, the others as next_page_url said.
    let pages = requests_to(&fake, "GET", "/v1/Sinks");
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].query_value("PageSize"), Some("100"));
    assert_eq!(pages[0].query_value("PageToken"), None);
    assert_eq!(pages[1].query_value("PageToken"), Some("PT3"));
    assert_eq!(pages[2].query_value("PageToken"), Some("PT6"));
    assert!(pages.iter().all(|p| p.status == 200));
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_list_json_is_an_array_of_the_api_objects() {
    let fake = fake().await;
    for i in 0..5 {
        fake.insert_webhook_sink(
            &format!("https://h{i}.example.com/e"),
            "callwatch sink",
            "active",
        );
    }

    let run = callwatch(&fake, &["sinks", "list", "--json"]).await;
    run.assert_success();

    let sinks = run.json();
    let sinks = sinks.as_array().expect("an array");
    assert_eq!(sinks.len(), 5);
    assert_eq!(
        sinks[4]["sink_configuration"]["destination"],
        "https://h4.example.com/e"
    );
    assert_eq!(sinks[0]["status"], "active");
    assert_eq!(sinks[0]["sink_type"], "webhook");
    assert!(sinks[0]["sid"].as_str().unwrap().starts_with("DG"));
    assert!(
        sinks[0]["links"]["sink_test"]
            .as_str()
            .unwrap()
            .ends_with("/Test")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_lists_say_so() {
    let fake = fake().await;
    let run = callwatch(&fake, &["sinks", "list"]).await;
    run.assert_success();
    assert!(run.stdout.starts_with("No sinks."), "{}", run.stdout);
    let run = callwatch(&fake, &["sinks", "list", "--json"]).await;
    assert_eq!(run.json(), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_sends_the_parameters_the_api_description_names() {
    let fake = fake().await;

    let run = callwatch(
        &fake,
        &[
            "sinks",
            "create",
            "--public-url",
            "https://abc.ngrok.app/events?x=1&y=2",
        ],
    )
    .await;
    run.assert_success();

    let sinks = fake.sinks();
    assert_eq!(sinks.len(), 1);
    assert_eq!(sinks[0].status, "active");
    assert!(
        run.stdout
            .contains(&format!("Created sink {}", sinks[0].sid)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("subscriptions create --sink {}", sinks[0].sid))
    );

    let posts = requests_to(&fake, "POST", "/v1/Sinks");
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post.status, 201);
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(post.username.as_deref(), Some(ACCOUNT_SID));
    assert!(
        post.user_agent
            .as_deref()
            .unwrap_or("")
            .starts_with("callwatch/")
    );
    let names: Vec<&str> = post.form.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Description", "SinkType", "SinkConfiguration"]);
    assert_eq!(post.form_value("Description"), Some("callwatch sink"));
    assert_eq!(post.form_value("SinkType"), Some("webhook"));
    let configuration: Value =
        serde_json::from_str(post.form_value("SinkConfiguration").unwrap()).unwrap();
    assert_eq!(
        configuration,
        serde_json::json!({
            "destination": "https://abc.ngrok.app/events?x=1&y=2",
            "method": "POST",
            "batch_events": false,
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_json_and_description() {
    let fake = fake().await;
    let run = callwatch(
        &fake,
        &[
            "sinks",
            "create",
            "--public-url",
            "https://x.example.com/e",
            "--description",
            "team sink",
            "--json",
        ],
    )
    .await;
    run.assert_success();
    let sink = run.json();
    assert_eq!(sink["description"], "team sink");
    assert_eq!(sink["sid"].as_str(), Some(fake.sinks()[0].sid.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_kinesis_sends_the_stream_the_role_and_the_external_id() {
    let fake = fake().await;
    let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events";
    let role = "arn:aws:iam::123456789012:role/twilio-events";
    let run = callwatch(
        &fake,
        &[
            "sinks",
            "create",
            "--kinesis",
            arn,
            "--role-arn",
            role,
            "--external-id",
            "5f1c9d0e",
        ],
    )
    .await;
    run.assert_success();
    let sinks = fake.sinks();
    assert_eq!(sinks.len(), 1);
    assert_eq!(sinks[0].sink_type, "kinesis");
    // Twilio creates a Kinesis sink `initialized`: the output says how it becomes active.
    assert_eq!(sinks[0].status, "initialized");
    for next in [
        format!(
            "Created sink {} (kinesis, initialized) → {arn}",
            sinks[0].sid
        ),
        format!("callwatch sinks test {}", sinks[0].sid),
        format!("callwatch kinesis {arn} --from trim-horizon"),
        format!(
            "callwatch sinks validate {} --test-id TEST_ID",
            sinks[0].sid
        ),
    ] {
        assert!(run.stdout.contains(&next), "{next:?} not in {}", run.stdout);
    }
    let posts = requests_to(&fake, "POST", "/v1/Sinks");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].status, 201);
    assert_eq!(posts[0].form_value("SinkType"), Some("kinesis"));
    let configuration: Value =
        serde_json::from_str(posts[0].form_value("SinkConfiguration").unwrap()).unwrap();
    assert_eq!(
        configuration,
        serde_json::json!({"arn": arn, "role_arn": role, "external_id": "5f1c9d0e"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_kinesis_needs_an_arn_a_role_and_an_external_id() {
    let fake = fake().await;
    let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events";
    for (args, says) in [
        (vec!["--kinesis", arn], "--role-arn"),
        (
            vec![
                "--kinesis",
                "twilio-events",
                "--role-arn",
                "arn:aws:iam::1:role/r",
                "--external-id",
                "x",
            ],
            "is a stream name",
        ),
        (
            vec![
                "--kinesis",
                arn,
                "--role-arn",
                "role/r",
                "--external-id",
                "x",
            ],
            "is not an IAM role ARN",
        ),
        (
            vec!["--kinesis", arn, "--public-url", "https://x.example.com/e"],
            "cannot be used with",
        ),
    ] {
        let mut argv = vec!["sinks", "create"];
        argv.extend(args.iter().copied());
        let run = callwatch(&fake, &argv).await;
        assert_eq!(run.code, Some(2), "{argv:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{argv:?}: {}", run.stderr);
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_refuses_a_url_that_is_not_one() {
    let fake = fake().await;
    let run = callwatch(
        &fake,
        &["sinks", "create", "--public-url", "abc.ngrok.app/events"],
    )
    .await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("--public-url"), "{}", run.stderr);
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_create_shows_a_refused_url_with_its_password_masked() {
    let fake = fake().await;
    let run = callwatch(
        &fake,
        &[
            "sinks",
            "create",
            "--public-url",
            "https://u:secret@abc.ngrok.app/events#top",
        ],
    )
    .await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("invalid value 'https://u:•••@abc.ngrok.app/events#top'"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("it has a fragment"), "{}", run.stderr);
    assert!(!run.stderr.contains("secret"), "{}", run.stderr);
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_delete_deletes_and_a_missing_sink_shows_twilios_error() {
    let fake = fake().await;
    let sid = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");

    let run = callwatch(&fake, &["sinks", "delete", &sid]).await;
    run.assert_success();
    assert_eq!(run.stdout.trim(), format!("Deleted sink {sid}"));
    assert!(fake.sinks().is_empty());

    let run = callwatch(&fake, &["sinks", "delete", &sid]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(&format!(
            "Twilio error 20404: The requested resource /Sinks/{sid} was not found — https://www.twilio.com/docs/errors/20404"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("HTTP 404"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("could not delete sink {sid}")),
        "{}",
        run.stderr
    );
    // A 404 is an answer, not a reason to try again.
    assert_eq!(
        requests_to(&fake, "DELETE", &format!("/v1/Sinks/{sid}")).len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_in_the_rfc_9457_shape_read_the_same() {
    let fake = fake().await;
    fake.set_error_shape(ErrorShape::Problem);
    let run = callwatch(
        &fake,
        &[
            "subscriptions",
            "delete",
            "DF00000000000000000000000000000000",
        ],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(
            "Twilio error 20404: The requested resource /Subscriptions/DF00000000000000000000000000000000 was not found — https://www.twilio.com/docs/errors/20404"
        ),
        "{}",
        run.stderr
    );
}

/// A sink endpoint: every request's full URI, signature header and body.
struct Receiver {
    url: String,
    received: mpsc::UnboundedReceiver<(String, Option<String>, Bytes)>,
}

async fn start_receiver() -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/twilio/events", listener.local_addr().unwrap());
    let (sender, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let sender = sender.clone();
                    async move {
                        let uri = request.uri().to_string();
                        let signature = request
                            .headers()
                            .get("X-Twilio-Signature")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let _ = sender.send((uri, signature, body));
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Receiver { url, received }
}

#[tokio::test(flavor = "multi_thread")]
async fn sinks_test_makes_twilio_send_a_signed_test_event_that_validates() {
    let fake = fake().await;
    let mut receiver = start_receiver().await;
    let sid = fake.insert_webhook_sink(&receiver.url, "callwatch sink", "active");

    let run = callwatch(&fake, &["sinks", "test", &sid]).await;
    run.assert_success();
    assert!(
        run.stdout
            .contains(&format!("Test of sink {sid}: submitted")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&receiver.url), "{}", run.stdout);
    let test_post = &requests_to(&fake, "POST", &format!("/v1/Sinks/{sid}/Test"))[0];
    assert!(test_post.form.is_empty(), "Test takes no parameters");

    let (uri, signature, body) =
        tokio::time::timeout(Duration::from_secs(10), receiver.received.recv())
            .await
            .expect("the test event arrived")
            .unwrap();

    // The body is the fixture's shape with a fresh test_id.
    let events: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(events[0]["type"], "com.twilio.eventstreams.test-event");
    assert_eq!(events[0]["id"], ACCOUNT_SID);
    let test_id = events[0]["data"]["test_id"].as_str().unwrap().to_owned();
    assert_eq!(Some(test_id.clone()), fake.last_test_id());
    assert_eq!(test_id.len(), 36);

    // Signed as Twilio signs: bodySHA256 in the URL, HMAC-SHA1 of the full URL with the token.
    let body_hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let full_url = format!("{}?bodySHA256={body_hash}", receiver.url);
    assert!(full_url.ends_with(&uri), "{uri}");
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(AUTH_TOKEN.as_bytes()).unwrap();
    mac.update(full_url.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(signature.as_deref(), Some(expected.as_str()));
    let secrets = callwatch::twilio::signature::Secrets {
        auth_token: AUTH_TOKEN.to_owned(),
        shared_key_secret: None,
    };
    let verdict = callwatch::twilio::signature::verify_json_delivery(
        &secrets,
        &full_url,
        signature.as_deref(),
        None,
        &body,
    );
    assert!(verdict.is_valid(), "{verdict:?}");
    let deliveries = fake
        .wait_for_test_deliveries(1, Duration::from_secs(5))
        .await;
    assert_eq!(deliveries[0].outcome, Ok(200));

    let run = callwatch(
        &fake,
        &["sinks", "validate", &sid, "--test-id", "not-the-test-id"],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Twilio error 20001"), "{}", run.stderr);

    let run = callwatch(
        &fake,
        &["sinks", "validate", &sid, "--test-id", &test_id, "--json"],
    )
    .await;
    run.assert_success();
    assert_eq!(
        run.json(),
        serde_json::json!({"sid": sid, "result": "valid"})
    );
    let validate = requests_to(&fake, "POST", &format!("/v1/Sinks/{sid}/Validate"));
    assert_eq!(validate[1].form, [("TestId".to_owned(), test_id)]);
}

/// The `Types` values of a `POST /v1/Subscriptions`, each read as the JSON it is.
fn types_sent(post: &RecordedRequest) -> Vec<Value> {
    post.form_values("Types")
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_create_defaults_to_the_seven_insights_types_at_their_listed_versions() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");

    let run = callwatch(&fake, &["subscriptions", "create", "--sink", &sink]).await;
    run.assert_success();

    let subscriptions = fake.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].sink_sid, sink);
    assert!(run.stdout.contains(&format!(
        "Created subscription {} → sink {sink}",
        subscriptions[0].sid
    )));
    let post = &requests_to(&fake, "POST", "/v1/Subscriptions")[0];
    assert_eq!(post.status, 201);
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(post.form_value("SinkSid"), Some(sink.as_str()));
    assert_eq!(
        post.form_value("Description"),
        Some("callwatch call insights")
    );
    // `Types` is repeated, each a JSON string with the latest version of the type's schema as
    // `GET /v1/Types` and `GET /v1/Schemas/{Id}` list it.
    let insights = [
        ("com.twilio.voice.insights.call-event.gateway", 3),
        ("com.twilio.voice.insights.call-event.sdk", 3),
        ("com.twilio.voice.insights.call-metrics.gateway", 2),
        ("com.twilio.voice.insights.call-metrics.sdk", 2),
        (CALL_SUMMARY_TYPES[0], 2),
        (CALL_SUMMARY_TYPES[1], 2),
        (CALL_SUMMARY_TYPES[2], 2),
    ];
    let expected: Vec<Value> = insights
        .iter()
        .map(|(t, v)| serde_json::json!({"type": t, "schema_version": v}))
        .collect();
    assert_eq!(types_sent(post), expected);
    for (t, v) in insights {
        assert!(
            run.stdout.contains(&format!("  {t} (v{v})\n")),
            "{}",
            run.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_create_types_summaries_subscribes_to_the_three_summaries() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");

    let run = callwatch(
        &fake,
        &[
            "subscriptions",
            "create",
            "--sink",
            &sink,
            "--types",
            "summaries",
        ],
    )
    .await;
    run.assert_success();

    let post = &requests_to(&fake, "POST", "/v1/Subscriptions")[0];
    let expected: Vec<Value> = CALL_SUMMARY_TYPES
        .iter()
        .map(|t| serde_json::json!({"type": t, "schema_version": 2}))
        .collect();
    assert_eq!(types_sent(post), expected);
    assert_eq!(fake.subscriptions()[0].types.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_create_mixes_groups_and_names_separated_by_commas_or_spaces() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");

    let run = callwatch(
        &fake,
        &[
            "subscriptions",
            "create",
            "--sink",
            &sink,
            "--types",
            "call-metrics.sdk,summaries",
            "com.twilio.eventstreams.test-event live",
        ],
    )
    .await;
    run.assert_success();

    let post = &requests_to(&fake, "POST", "/v1/Subscriptions")[0];
    let sent: Vec<(String, u64)> = types_sent(post)
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap_or_default().to_owned(),
                t["schema_version"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("com.twilio.voice.insights.call-metrics.sdk", 2),
        (CALL_SUMMARY_TYPES[0], 2),
        (CALL_SUMMARY_TYPES[1], 2),
        (CALL_SUMMARY_TYPES[2], 2),
        ("com.twilio.eventstreams.test-event", 1),
        ("com.twilio.voice.insights.call-event.gateway", 3),
        ("com.twilio.voice.insights.call-event.sdk", 3),
        ("com.twilio.voice.insights.call-metrics.gateway", 2),
    ]
    .iter()
    .map(|(t, v)| ((*t).to_owned(), *v))
    .collect();
    assert_eq!(sent, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_create_with_an_unknown_group_is_a_usage_error() {
    let fake = fake().await;

    let run = callwatch(
        &fake,
        &[
            "subscriptions",
            "create",
            "--sink",
            "DG1",
            "--types",
            "insight",
        ],
    )
    .await;

    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--types: unknown event type or group 'insight' (did you mean 'insights'?)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Groups: insights (the seven Call Insights types, the default), summaries (the three call summaries), live (the four live types)"),
        "{}",
        run.stderr
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_listed_versions_cannot_be_read_twilio_chooses_and_stderr_says_so() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");
    // `GET /v1/Types` answers 400, which is not retried.
    fake.fail_next(1, 400);

    let run = callwatch(
        &fake,
        &[
            "subscriptions",
            "create",
            "--sink",
            &sink,
            "--types",
            "live",
        ],
    )
    .await;
    run.assert_success();

    assert!(
        run.stderr
            .contains("could not read the schema versions Twilio lists ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("letting Twilio choose the latest"),
        "{}",
        run.stderr
    );
    let post = &requests_to(&fake, "POST", "/v1/Subscriptions")[0];
    let expected: Vec<Value> = [
        "com.twilio.voice.insights.call-event.gateway",
        "com.twilio.voice.insights.call-event.sdk",
        "com.twilio.voice.insights.call-metrics.gateway",
        "com.twilio.voice.insights.call-metrics.sdk",
    ]
    .iter()
    .map(|t| serde_json::json!({"type": t}))
    .collect();
    assert_eq!(types_sent(post), expected);
    assert!(
        run.stdout.contains("call-event.gateway (latest)"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_create_with_chosen_types_and_schema_version() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");

    let run = callwatch(
        &fake,
        &[
            "subscriptions",
            "create",
            "--sink",
            &sink,
            "--types",
            "com.twilio.voice.insights.call-summary.complete,com.twilio.eventstreams.test-event",
            "--schema-version",
            "2",
            "--description",
            "two types",
            "--json",
        ],
    )
    .await;
    run.assert_success();
    assert_eq!(run.json()["sink_sid"], sink.as_str());

    let post = &requests_to(&fake, "POST", "/v1/Subscriptions")[0];
    assert_eq!(
        post.form_values("Types"),
        [
            r#"{"type":"com.twilio.voice.insights.call-summary.complete","schema_version":2}"#,
            r#"{"type":"com.twilio.eventstreams.test-event","schema_version":2}"#,
        ]
    );
    assert_eq!(post.form_value("Description"), Some("two types"));
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribing_an_inactive_sink_shows_error_91100() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "initialized");

    let run = callwatch(&fake, &["subscriptions", "create", "--sink", &sink]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(
            "Twilio error 91100: Sink is not in an active state — https://www.twilio.com/docs/errors/91100"
        ),
        "{}",
        run.stderr
    );
    assert!(fake.subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_list_pages_filters_by_sink_and_shows_types() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");
    let other = fake.insert_webhook_sink("https://b.example.com/e", "callwatch sink", "active");
    let mut mine = Vec::new();
    for i in 0..4 {
        mine.push(fake.insert_subscription(&sink, &format!("sub {i}"), &CALL_SUMMARY_TYPES));
    }
    let theirs = fake.insert_subscription(&other, "other", &["com.twilio.messaging.message.sent"]);

    let run = callwatch(&fake, &["subscriptions", "list"]).await;
    run.assert_success();
    let rows = table_rows(&run.stdout);
    assert_eq!(rows.len(), 5, "{}", run.stdout);
    assert!(
        rows[0].contains(
            "call-summary.partial v2, call-summary.predicted-complete v2, call-summary.complete v2"
        ),
        "{}",
        rows[0]
    );
    assert!(
        rows[4].starts_with(&theirs) && rows[4].contains("com.twilio.messaging.message.sent"),
        "{}",
        rows[4]
    );

    fake.clear_requests();
    let run = callwatch(&fake, &["subscriptions", "list", "--sink", &sink, "--json"]).await;
    run.assert_success();
    let listed: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, mine);
    let pages = requests_to(&fake, "GET", "/v1/Subscriptions");
    assert_eq!(pages.len(), 2, "four subscriptions at three a page");
    assert!(
        pages
            .iter()
            .all(|p| p.query_value("SinkSid") == Some(sink.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_delete_deletes() {
    let fake = fake().await;
    let sink = fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");
    let sid = fake.insert_subscription(&sink, "sub", &CALL_SUMMARY_TYPES);

    let run = callwatch(&fake, &["subscriptions", "delete", &sid, "--json"]).await;
    run.assert_success();
    assert_eq!(run.json(), serde_json::json!({"sid": sid, "deleted": true}));
    assert!(fake.subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn types_lists_every_page_and_filters() {
    let fake = fake().await;
    let offered = fake.event_types().len();

    let run = callwatch(&fake, &["types"]).await;
    run.assert_success();
    assert_eq!(table_rows(&run.stdout).len(), offered);
    assert!(
        requests_to(&fake, "GET", "/v1/Types").len() > 1,
        "the catalogue spans pages"
    );

    let run = callwatch(&fake, &["types", "call-summary"]).await;
    run.assert_success();
    let rows = table_rows(&run.stdout);
    assert_eq!(rows.len(), 3, "{}", run.stdout);
    assert!(rows.iter().all(|r| r.contains("VoiceInsights.CallSummary")));

    let run = callwatch(&fake, &["types", "messaging.messagestatus", "--json"]).await;
    run.assert_success();
    let types = run.json();
    assert_eq!(types.as_array().unwrap().len(), 3);
    assert_eq!(types[0]["schema_id"], "Messaging.MessageStatus");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_name_the_variables_and_send_nothing() {
    let fake = fake().await;
    let base = fake.base_url();
    let run = run_callwatch(&["sinks", "list", "--api-base", &base], &[]).await;
    // A usage error, as `listen` without a token is: no log pointer, exit 2.
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stderr.contains("details in"), "{}", run.stderr);
    for name in [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
    ] {
        assert!(run.stderr.contains(name), "{}", run.stderr);
    }

    let run = run_callwatch(
        &["types", "--api-base", &base],
        &[("TWILIO_ACCOUNT_SID", ACCOUNT_SID)],
    )
    .await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not"),
        "{}",
        run.stderr
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_and_secret_authenticate_and_a_wrong_secret_gets_a_hint() {
    let fake = fake().await;
    fake.add_api_key(API_KEY, API_SECRET);
    fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");
    let base = fake.base_url();

    // The base URL from the environment this time.
    let run = run_callwatch(
        &["sinks", "list"],
        &[
            ("CALLWATCH_EVENTS_API_BASE", base.as_str()),
            ("TWILIO_API_KEY", API_KEY),
            ("TWILIO_API_SECRET", API_SECRET),
        ],
    )
    .await;
    run.assert_success();
    assert_eq!(table_rows(&run.stdout).len(), 1);
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.username.as_deref() == Some(API_KEY))
    );

    let run = run_callwatch(
        &[
            "sinks",
            "list",
            "--api-base",
            &base,
            "--api-key",
            API_KEY,
            "--api-secret",
            "wrong-secret",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("Twilio error 20003: Authenticate"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(
        run.stderr.contains("TWILIO_API_KEY and TWILIO_API_SECRET"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_auth_token_hint_names_the_account_variables() {
    let fake = fake().await;
    let base = fake.base_url();
    let run = run_callwatch(
        &["types", "--api-base", &base],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", "wrong-secret"),
        ],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Twilio error 20003"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_is_retried_after_503_and_succeeds() {
    let fake = fake().await;
    fake.insert_webhook_sink("https://a.example.com/e", "callwatch sink", "active");
    fake.fail_next(2, 503);

    let run = callwatch(&fake, &["sinks", "list", "--json"]).await;
    run.assert_success();
    assert_eq!(run.json().as_array().unwrap().len(), 1);
    let statuses: Vec<u16> = requests_to(&fake, "GET", "/v1/Sinks")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_gives_up_after_three_retries() {
    let fake = fake().await;
    fake.fail_next(10, 503);
    let run = callwatch(&fake, &["sinks", "list"]).await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Twilio error 20503"), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 503"), "{}", run.stderr);
    assert_eq!(requests_to(&fake, "GET", "/v1/Sinks").len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_is_not_repeated_after_503_but_is_after_429() {
    let fake = fake().await;
    fake.fail_next(1, 503);
    let run = callwatch(
        &fake,
        &["sinks", "create", "--public-url", "https://a.example.com/e"],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Twilio error 20503"), "{}", run.stderr);
    assert_eq!(
        requests_to(&fake, "POST", "/v1/Sinks").len(),
        1,
        "a 503 create may have happened"
    );
    assert!(fake.sinks().is_empty());

    fake.clear_requests();
    fake.fail_next_with_retry_after(1, 429, Some(1));
    let run = callwatch(
        &fake,
        &["sinks", "create", "--public-url", "https://a.example.com/e"],
    )
    .await;
    run.assert_success();
    let statuses: Vec<u16> = requests_to(&fake, "POST", "/v1/Sinks")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 201]);
    assert_eq!(fake.sinks().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_do_not_show_in_help_even_when_set() {
    let run = run_callwatch(
        &["sinks", "list", "--help"],
        &[
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
            ("TWILIO_API_SECRET", API_SECRET),
        ],
    )
    .await;
    run.assert_success();
    assert!(run.stdout.contains("TWILIO_AUTH_TOKEN"), "{}", run.stdout);
    let run = run_callwatch(&["subscriptions", "--help"], &[]).await;
    run.assert_success();
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("callwatch subscriptions create --sink"),
        "{}",
        run.stdout
    );
}

/// Guards the guard: the fake really enforces the API description, so the passing tests above
/// mean the client's requests match it.
#[tokio::test(flavor = "multi_thread")]
async fn the_fake_rejects_requests_the_api_description_does_not_allow() {
    let fake = fake().await;
    let http = support::hermetic::http_client();
    let base = fake.base_url();
    let post = |path: &str, form: &[(&str, &str)]| {
        http.post(format!("{base}{path}"))
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .form(form)
            .send()
    };
    let configuration =
        r#"{"destination":"https://a.example.com/e","method":"POST","batch_events":false}"#;

    // (path, form, what the 400 says)
    let cases = [
        (
            "/v1/Sinks",
            vec![("Description", "d"), ("SinkConfiguration", configuration)],
            "Missing required parameter SinkType",
        ),
        (
            "/v1/Sinks",
            vec![
                ("Description", "d"),
                ("SinkType", "webhook"),
                ("SinkConfiguration", configuration),
                ("Extra", "1"),
            ],
            "Unknown parameter Extra",
        ),
        (
            "/v1/Sinks",
            vec![
                ("Description", "d"),
                ("SinkType", "carrier-pigeon"),
                ("SinkConfiguration", configuration),
            ],
            "SinkType must be one of",
        ),
        (
            "/v1/Sinks",
            vec![
                ("Description", "d"),
                ("Description", "e"),
                ("SinkType", "webhook"),
                ("SinkConfiguration", configuration),
            ],
            "may be given only once",
        ),
        (
            "/v1/Subscriptions",
            vec![
                ("Description", "d"),
                ("SinkSid", "DG00000000000000000000000000000000"),
            ],
            "Missing required parameter Types",
        ),
        (
            "/v1/Sinks/DG00000000000000000000000000000000/Validate",
            vec![],
            "Missing required parameter TestId",
        ),
    ];
    for (path, form, message) in cases {
        let response = post(path, &form).await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], 20001);
        assert_eq!(body["status"], 400);
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{body}"
        );
        assert_eq!(
            body["more_info"],
            "https://www.twilio.com/docs/errors/20001"
        );
    }

    let response = http
        .post(format!("{base}/v1/Sinks"))
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .json(&serde_json::json!({"Description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "JSON bodies are not form-encoded");

    let response = http
        .get(format!("{base}/v1/Sinks?PageSize=0"))
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        400,
        "PageSize is 1..=1000 in the description"
    );

    let response = http.get(format!("{base}/v1/Sinks")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 20003);
    assert!(fake.sinks().is_empty());
}
