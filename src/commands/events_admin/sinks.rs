//! `callwatch sinks list | create | delete | test | validate`: the webhook sinks Twilio delivers
//! events to, and the test event that checks one end to end.

use anyhow::Context as _;
use serde::Serialize;

use super::{Deleted, events_client, or_dash, print_json, print_text, shorten};
use crate::cli::{KinesisSettings, SinksCommand, SinksSettings, UsageError};
use crate::kinesis::{StartAt, StreamRef};
use crate::output::OutputMode;
use crate::session::ViewOptions;
use crate::text::TextTable;
use crate::twilio::api::EventsClient;
use crate::twilio::api::Sink;
use crate::twilio::url::display_url;

/// Runs `callwatch sinks ...`.
pub async fn run_sinks(settings: SinksSettings) -> anyhow::Result<()> {
    let client = events_client(settings.api)?;
    let json = settings.json;
    match settings.command {
        SinksCommand::List => {
            let sinks = client.list_sinks().await.context("could not list sinks")?;
            if json {
                return print_json(&sinks);
            }
            if sinks.is_empty() {
                return print_text(
                    "No sinks. Create one with `callwatch sinks create --public-url URL`.\n",
                );
            }
            print_text(&sinks_table(&sinks))
        }
        SinksCommand::Create {
            public_url,
            kinesis,
            role_arn,
            external_id,
            description,
            test,
            region,
            endpoint_url,
            test_timeout,
        } => {
            let (sink, public_url) = match (kinesis, role_arn, external_id, public_url) {
                (Some(arn), Some(role_arn), Some(external_id), _) if test => {
                    let stream = StreamRef::parse(&arn).map_err(UsageError)?;
                    let view = KinesisSettings {
                        region: region.or_else(|| stream.region.clone()),
                        stream,
                        endpoint_url,
                        from: StartAt::Latest,
                        duration: None,
                        record: None,
                        view: ViewOptions::default(),
                        output: OutputMode::Compact,
                        color: false,
                    };
                    let tested = create_and_test_kinesis_sink(
                        &client,
                        &view,
                        [&arn, &role_arn, &external_id],
                        &description,
                        std::time::Duration::from_secs(test_timeout),
                    )
                    .await?;
                    if json {
                        return print_json(&tested);
                    }
                    return print_text(&format!(
                        "Created sink {sid} (kinesis) → {arn}\n\
                         Test event {test_id} read back from the stream; Validate: {result}\n\
                         Next: callwatch subscriptions create --sink {sid}\n",
                        sid = tested.sink.sid,
                        test_id = tested.test_id,
                        result = tested.validate,
                    ));
                }
                (Some(arn), Some(role_arn), Some(external_id), _) => {
                    let sink = client
                        .create_kinesis_sink(&arn, &role_arn, &external_id, &description)
                        .await
                        .with_context(|| format!("could not create a Kinesis sink for {arn}"))?;
                    if json {
                        return print_json(&sink);
                    }
                    return print_text(&format!(
                        "Created sink {sid} (kinesis, {status}) → {arn}\n\
                         Twilio activates it once its test event is validated (`--test` or \
                         `callwatch setup --kinesis` do all of this):\n  \
                         callwatch sinks test {sid}\n  \
                         callwatch kinesis {arn} --from trim-horizon   # shows the test_id\n  \
                         callwatch sinks validate {sid} --test-id TEST_ID\n  \
                         callwatch subscriptions create --sink {sid}\n",
                        sid = sink.sid,
                        status = or_dash(sink.status.as_deref()),
                    ));
                }
                (_, _, _, Some(public_url)) => {
                    let sink = client
                        .create_sink(&public_url, &description, false)
                        .await
                        .with_context(|| {
                            format!("could not create a sink for {}", display_url(&public_url))
                        })?;
                    (sink, public_url)
                }
                // clap requires --public-url or --kinesis with its role and external ID.
                _ => anyhow::bail!("sinks create needs --public-url URL or --kinesis ARN"),
            };
            if json {
                return print_json(&sink);
            }
            print_text(&format!(
                "Created sink {sid} ({kind}, {status}) → {destination}\n\
                 Next: callwatch subscriptions create --sink {sid}\n",
                sid = sink.sid,
                kind = or_dash(sink.sink_type.as_deref()),
                status = or_dash(sink.status.as_deref()),
                destination = display_url(sink.destination().unwrap_or(&public_url)),
            ))
        }
        SinksCommand::Delete { sid } => {
            client
                .delete_sink(&sid)
                .await
                .with_context(|| format!("could not delete sink {sid}"))?;
            if json {
                return print_json(&Deleted { sid, deleted: true });
            }
            print_text(&format!("Deleted sink {sid}\n"))
        }
        SinksCommand::Test { sid } => {
            let sink = client
                .fetch_sink(&sid)
                .await
                .with_context(|| format!("could not find sink {sid}"))?;
            let result = client
                .test_sink(&sid)
                .await
                .with_context(|| format!("could not start a test of sink {sid}"))?;
            if json {
                return print_json(&SinkResult { sid, result });
            }
            let destination = display_url(sink.destination().unwrap_or("the sink's destination"));
            if sink.sink_type.as_deref() == Some("kinesis") {
                return print_text(&format!(
                    "Test of sink {sid}: {result}\n\
                     Twilio will write a com.twilio.eventstreams.test-event to the stream {destination}.\n\
                     `callwatch kinesis {destination} --from trim-horizon` shows its test_id; confirm it with\n  \
                     callwatch sinks validate {sid} --test-id TEST_ID\n"
                ));
            }
            print_text(&format!(
                "Test of sink {sid}: {result}\n\
                 Twilio will POST a signed com.twilio.eventstreams.test-event to {destination}.\n\
                 `callwatch listen` there shows its test_id; confirm it with\n  \
                 callwatch sinks validate {sid} --test-id TEST_ID\n"
            ))
        }
        SinksCommand::Validate { sid, test_id } => {
            let result = client
                .validate_sink(&sid, &test_id)
                .await
                .with_context(|| format!("could not validate sink {sid}"))?;
            if json {
                return print_json(&SinkResult { sid, result });
            }
            print_text(&format!("Validation of sink {sid}: {result}\n"))
        }
    }
}

/// What `sinks create --kinesis --test` did: the sink, the test event read back, Validate's
/// answer.
#[derive(Serialize)]
struct TestedSink {
    sink: Sink,
    test_id: String,
    validate: String,
}

/// `sinks create --kinesis ARN --test`: the stream read first (so a wrong ARN, region or AWS
/// permission fails before the sink is created), the sink created, Sink Test, the test event
/// read back from the stream, Validate with its test_id.
async fn create_and_test_kinesis_sink(
    client: &EventsClient,
    view: &KinesisSettings,
    [arn, role_arn, external_id]: [&str; 3],
    description: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<TestedSink> {
    use crate::commands::setup_kinesis::{no_test_event, start_reading, wait_for_test_event};
    let (mut records, reader, _shards, stop) =
        start_reading(view).await.map_err(anyhow::Error::msg)?;
    let result = async {
        let sink = client
            .create_kinesis_sink(arn, role_arn, external_id, description)
            .await
            .with_context(|| format!("could not create a Kinesis sink for {arn}"))?;
        let sid = sink.sid.clone();
        client.test_sink(&sid).await.with_context(|| {
            format!("could not start a Sink Test of {sid}: `callwatch sinks test {sid}` retries it")
        })?;
        let Some(test_id) = wait_for_test_event(&mut records, timeout).await else {
            anyhow::bail!(
                "{} (sink {sid} was created; `callwatch sinks delete {sid}` removes it)",
                no_test_event(timeout.as_secs(), arn, external_id)
            );
        };
        let validate = client
            .validate_sink(&sid, &test_id)
            .await
            .with_context(|| {
                format!(
                    "Twilio refused to validate {sid} with test event {test_id}: `callwatch sinks \
                 test {sid}` sends a fresh one to validate"
                )
            })?;
        Ok(TestedSink {
            sink,
            test_id,
            validate,
        })
    }
    .await;
    let _ = stop.send(true);
    reader.abort();
    result
}

/// The `--json` answer of a test or validate.
#[derive(Serialize)]
struct SinkResult {
    sid: String,
    result: String,
}

fn sinks_table(sinks: &[Sink]) -> String {
    let mut table = TextTable::new([
        "SID",
        "STATUS",
        "TYPE",
        "DESTINATION",
        "DESCRIPTION",
        "CREATED",
    ]);
    for sink in sinks {
        table.row([
            sink.sid.clone(),
            or_dash(sink.status.as_deref()),
            or_dash(sink.sink_type.as_deref()),
            or_dash(sink.destination().map(display_url).as_deref()),
            shorten(sink.description.as_deref(), 40),
            or_dash(sink.date_created.as_deref()),
        ]);
    }
    table.render()
}
