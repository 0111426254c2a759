//! The provisioning rules of `callwatch setup` (`twilio::provision`) against the fake Events API,
//! which holds every request to Twilio's published description: which sink is reused, when one
//! is created, error 91003, and a subscription found, completed or created, with what each run
//! records for `--cleanup`.

mod support;

use callwatch::twilio::api::{Credentials, EventsClient, RetryPolicy};
use callwatch::twilio::cloudevent::{CALL_SUMMARY_TYPES, INSIGHTS_TYPES, LIVE_TYPES};
use callwatch::twilio::provision::{
    Created, ProvisionError, SinkOutcome, SubscriptionOutcome, ensure_subscription,
    find_or_create_sink, listed_schema_versions,
};
use support::fake_events_api::FakeEventsApi;

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "fake-auth-token-7f3a9c";
const DESTINATION: &str = "https://tunnel.example/events";

async fn fake() -> (FakeEventsApi, EventsClient) {
    let fake = FakeEventsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let client = EventsClient::new(
        &fake.base_url(),
        Credentials::from_auth_token(ACCOUNT_SID, AUTH_TOKEN),
    )
    .expect("a client for the fake")
    .with_retry_policy(RetryPolicy::none());
    (fake, client)
}

/// `types` with no schema version chosen (Twilio's latest).
fn unversioned(types: &[&str]) -> Vec<(String, Option<u32>)> {
    types.iter().map(|t| ((*t).to_owned(), None)).collect()
}

fn owned(types: &[&str]) -> Vec<String> {
    types.iter().map(|t| (*t).to_owned()).collect()
}

/// Requests that create something: sinks, subscriptions, subscribed events.
fn creations(fake: &FakeEventsApi) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && (r.path == "/v1/Sinks"
                    || r.path == "/v1/Subscriptions"
                    || r.path.ends_with("/SubscribedEvents"))
        })
        .map(|r| r.path)
        .collect()
}

/// A webhook sink that delivers with GET, created the way a person would, through the API.
async fn create_get_sink(fake: &FakeEventsApi, destination: &str) {
    let configuration = serde_json::json!({
        "destination": destination,
        "method": "GET",
        "batch_events": false,
    });
    // Loopback, so no proxy from the environment (`.ci/run`'s second run sets one).
    let status = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
        .post(format!("{}/v1/Sinks", fake.base_url()))
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .form(&[
            ("Description", "made by hand".to_owned()),
            ("SinkType", "webhook".to_owned()),
            ("SinkConfiguration", configuration.to_string()),
        ])
        .send()
        .await
        .expect("the fake answers")
        .status();
    assert_eq!(status.as_u16(), 201, "the fake created the GET sink");
}

#[tokio::test]
async fn an_active_post_sink_to_the_destination_is_found_not_created() {
    let (fake, client) = fake().await;
    let failed = fake.insert_webhook_sink(DESTINATION, "older", "active");
    fake.set_sink_status(&failed, "failed");
    fake.insert_webhook_sink("https://elsewhere.example/events", "other", "active");
    let active = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    let mut created = Created::default();

    let outcome = find_or_create_sink(&client, DESTINATION, "callwatch sink", &mut created)
        .await
        .expect("found");

    assert_eq!(
        outcome,
        SinkOutcome::Found {
            sid: active,
            status: Some("active".to_owned()),
            batches: false,
        }
    );
    assert!(created.is_empty(), "{created:?}");
    assert!(creations(&fake).is_empty());
}

#[tokio::test]
async fn get_sinks_are_skipped_and_a_post_sink_is_created_and_recorded() {
    let (fake, client) = fake().await;
    create_get_sink(&fake, DESTINATION).await;
    fake.clear_requests();
    let mut created = Created::default();

    let outcome = find_or_create_sink(&client, DESTINATION, "callwatch sink", &mut created)
        .await
        .expect("created");

    let SinkOutcome::Created {
        sid,
        status,
        skipped_get_sinks,
    } = &outcome
    else {
        panic!("expected a created sink, got {outcome:?}");
    };
    assert_eq!(*skipped_get_sinks, 1);
    assert_eq!(status.as_deref(), Some("active"));
    assert_eq!(created.sink.as_deref(), Some(sid.as_str()));
    let made = fake
        .sinks()
        .into_iter()
        .find(|s| &s.sid == sid)
        .expect("the sink is in the fake");
    assert_eq!(made.destination(), Some(DESTINATION));
    assert_eq!(made.sink_configuration["method"], "POST");
    assert_eq!(made.description, "callwatch sink");
    assert_eq!(creations(&fake), ["/v1/Sinks"]);
}

#[tokio::test]
async fn an_account_with_100_sinks_is_error_91003_with_what_to_do() {
    let (fake, client) = fake().await;
    fake.set_max_page_size(100);
    for n in 0..100 {
        fake.insert_webhook_sink(&format!("https://old{n}.example/events"), "old", "active");
    }
    let mut created = Created::default();

    let error = find_or_create_sink(
        &client,
        "https://user:secret@tunnel.example/events",
        "callwatch sink",
        &mut created,
    )
    .await
    .expect_err("Twilio refuses a 101st sink");

    assert!(
        matches!(
            error,
            ProvisionError::CreateSink {
                skipped_get_sinks: 0,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.api_error().twilio_code(), Some(91003));
    assert_eq!(
        error.hint(),
        "the account has 100 sinks already: delete unused ones (callwatch sinks list)"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("could not create a sink for https://user:•••@tunnel.example/events: "),
        "{message}"
    );
    assert!(created.is_empty(), "{created:?}");
    assert_eq!(fake.sinks().len(), 100);
}

#[tokio::test]
async fn a_subscription_sending_every_type_is_found_not_touched() {
    let (fake, client) = fake().await;
    let sink = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    let other_sink = fake.insert_webhook_sink("https://elsewhere.example/events", "x", "active");
    fake.insert_subscription(&other_sink, "theirs", &CALL_SUMMARY_TYPES);
    fake.insert_subscription(&sink, "partial", &CALL_SUMMARY_TYPES[..1]);
    let complete = fake.insert_subscription(&sink, "mine", &CALL_SUMMARY_TYPES);
    let mut created = Created::default();

    let outcome = ensure_subscription(
        &client,
        &sink,
        &unversioned(&CALL_SUMMARY_TYPES),
        "callwatch call summaries",
        &mut created,
    )
    .await
    .expect("found");

    assert_eq!(outcome, SubscriptionOutcome::Found { sid: complete });
    assert!(created.is_empty(), "{created:?}");
    assert!(creations(&fake).is_empty());
}

#[tokio::test]
async fn the_subscription_lacking_fewest_types_is_completed_and_what_was_added_recorded() {
    let (fake, client) = fake().await;
    let sink = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    fake.insert_subscription(&sink, "one type", &CALL_SUMMARY_TYPES[2..]);
    let two = fake.insert_subscription(&sink, "two types", &CALL_SUMMARY_TYPES[1..]);
    let mut created = Created::default();

    let outcome = ensure_subscription(
        &client,
        &sink,
        &unversioned(&CALL_SUMMARY_TYPES),
        "callwatch call summaries",
        &mut created,
    )
    .await
    .expect("completed");

    assert_eq!(
        outcome,
        SubscriptionOutcome::Completed {
            sid: two.clone(),
            added: vec![CALL_SUMMARY_TYPES[0].to_owned()],
        }
    );
    assert_eq!(
        created,
        Created {
            subscribed_events: vec![(two.clone(), CALL_SUMMARY_TYPES[0].to_owned())],
            ..Created::default()
        }
    );
    let subscription = fake
        .subscriptions()
        .into_iter()
        .find(|s| s.sid == two)
        .expect("still there");
    assert_eq!(subscription.types.len(), 3, "{subscription:?}");
    assert_eq!(
        creations(&fake),
        [format!("/v1/Subscriptions/{two}/SubscribedEvents")]
    );
}

#[tokio::test]
async fn without_a_subscription_one_is_created_with_every_type_and_recorded() {
    let (fake, client) = fake().await;
    let sink = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    let mut created = Created::default();

    let outcome = ensure_subscription(
        &client,
        &sink,
        &unversioned(&CALL_SUMMARY_TYPES),
        "callwatch call summaries",
        &mut created,
    )
    .await
    .expect("created");

    let SubscriptionOutcome::Created { sid } = &outcome else {
        panic!("expected a created subscription, got {outcome:?}");
    };
    assert_eq!(created.subscription.as_deref(), Some(sid.as_str()));
    let subscriptions = fake.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].sink_sid, sink);
    assert_eq!(subscriptions[0].description, "callwatch call summaries");
    let types: Vec<&str> = subscriptions[0]
        .types
        .iter()
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(types, CALL_SUMMARY_TYPES);
    assert_eq!(creations(&fake), ["/v1/Subscriptions"]);
}

#[tokio::test]
async fn subscribing_an_inactive_sink_is_error_91100_naming_the_sink_to_delete() {
    let (fake, client) = fake().await;
    let sink = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    fake.set_sink_status(&sink, "initialized");
    let mut created = Created::default();

    let error = ensure_subscription(
        &client,
        &sink,
        &unversioned(&CALL_SUMMARY_TYPES),
        "callwatch call summaries",
        &mut created,
    )
    .await
    .expect_err("Twilio subscribes only active sinks");

    assert_eq!(error.api_error().twilio_code(), Some(91100), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("could not subscribe {sink} to call summaries: ")),
        "{error}"
    );
    assert!(
        error
            .hint()
            .contains(&format!("callwatch sinks delete {sink}")),
        "{}",
        error.hint()
    );
    assert!(created.is_empty(), "{created:?}");
}

#[tokio::test]
async fn each_type_gets_the_latest_version_of_the_schema_twilio_lists_for_it() {
    let (fake, client) = fake().await;
    let mut types = owned(&INSIGHTS_TYPES);
    types.push("com.twilio.example.not-offered".to_owned());

    let listed = listed_schema_versions(&client, &types)
        .await
        .expect("listed");

    // CallEvent v3, CallMetric v2, CallSummary v2 (the fake's catalogue); unlisted: none.
    let versions: Vec<Option<u32>> = listed.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        versions,
        [
            Some(3),
            Some(3),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            None
        ]
    );
    let names: Vec<&str> = listed.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, types);
    // One schema fetched once, however many types share it.
    let schemas: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/Schemas/"))
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(
        schemas,
        [
            "GET /v1/Schemas/VoiceInsights.CallEvent 200",
            "GET /v1/Schemas/VoiceInsights.CallMetric 200",
            "GET /v1/Schemas/VoiceInsights.CallSummary 200",
        ]
    );
    assert!(creations(&fake).is_empty());
}

#[tokio::test]
async fn a_summaries_subscription_is_completed_with_the_four_live_types_at_their_versions() {
    let (fake, client) = fake().await;
    let sink = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    let summaries =
        fake.insert_subscription(&sink, "callwatch call summaries", &CALL_SUMMARY_TYPES);
    let types = listed_schema_versions(&client, &owned(&INSIGHTS_TYPES))
        .await
        .expect("listed");
    let mut created = Created::default();

    let outcome = ensure_subscription(
        &client,
        &sink,
        &types,
        "callwatch call insights",
        &mut created,
    )
    .await
    .expect("completed");

    assert_eq!(
        outcome,
        SubscriptionOutcome::Completed {
            sid: summaries.clone(),
            added: owned(&LIVE_TYPES),
        }
    );
    let added: Vec<(String, String)> = LIVE_TYPES
        .iter()
        .map(|t| (summaries.clone(), (*t).to_owned()))
        .collect();
    assert_eq!(created.subscribed_events, added);
    // Each added at its schema's listed version; the summaries left as they were.
    let posted: Vec<(String, String)> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/SubscribedEvents"))
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
    assert_eq!(posted, expected);
    let subscription = fake
        .subscriptions()
        .into_iter()
        .find(|s| s.sid == summaries)
        .expect("still there");
    let sent: Vec<&str> = subscription.types.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(sent, [&CALL_SUMMARY_TYPES[..], &LIVE_TYPES[..]].concat());
    assert_eq!(fake.subscriptions().len(), 1);
}

#[tokio::test]
async fn a_new_subscription_names_each_type_with_its_listed_version() {
    let (fake, client) = fake().await;
    let sink = fake.insert_webhook_sink(DESTINATION, "mine", "active");
    let types = listed_schema_versions(&client, &owned(&INSIGHTS_TYPES))
        .await
        .expect("listed");
    let mut created = Created::default();

    ensure_subscription(
        &client,
        &sink,
        &types,
        "callwatch call insights",
        &mut created,
    )
    .await
    .expect("created");

    let subscriptions = fake.subscriptions();
    assert_eq!(subscriptions.len(), 1);
    let expected: Vec<(String, Option<u64>)> = INSIGHTS_TYPES
        .iter()
        .zip([3, 3, 2, 2, 2, 2, 2])
        .map(|(t, v)| ((*t).to_owned(), Some(v)))
        .collect();
    assert_eq!(subscriptions[0].types, expected);
}
