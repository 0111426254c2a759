//! Provisioning rules for Event Streams: which existing webhook sink (or Kinesis sink, for
//! `setup --kinesis`) and subscription are reused, when new ones are created, and what each
//! failure means. Each step answers with a typed outcome and records what it created in a
//! [`Created`] ledger; printing is the caller's (`callwatch setup`), so running twice creates
//! nothing and `--cleanup` undoes only this run.

use std::borrow::Cow;

use super::api::{ApiError, EventsClient, Sink};
use super::cloudevent::{CALL_SUMMARY_TYPES, INSIGHTS_TYPES, LIVE_TYPES};
use super::url::display_url;

/// An event type and the schema version to subscribe it at (`None`: Twilio's latest).
pub type TypeVersion = (String, Option<u32>);

/// What provisioning created in Twilio, so a run can delete it again, and only it. Each step
/// records a resource as soon as Twilio confirms it: a run interrupted half-way (its future
/// dropped between two calls) still knows what it made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Created {
    /// The sink's SID, when this run created it.
    pub sink: Option<String>,
    /// The subscription's SID, when this run created it.
    pub subscription: Option<String>,
    /// Event types added to a subscription that existed: `(subscription SID, type)`.
    pub subscribed_events: Vec<(String, String)>,
}

impl Created {
    /// True when this run created nothing.
    pub fn is_empty(&self) -> bool {
        self.sink.is_none() && self.subscription.is_none() && self.subscribed_events.is_empty()
    }
}

/// How [`find_or_create_sink`] came by the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkOutcome {
    /// A webhook sink POSTing to the destination existed (an active one preferred).
    Found {
        sid: String,
        /// Twilio's `status`, when it sent one.
        status: Option<String>,
        /// It batches events (callwatch reads batches too).
        batches: bool,
    },
    /// None existed: this one was created (and recorded in [`Created::sink`]).
    Created {
        sid: String,
        /// Twilio's `status`, when it sent one.
        status: Option<String>,
        /// Sinks to the same destination passed over because they deliver with GET.
        skipped_get_sinks: usize,
    },
}

impl SinkOutcome {
    /// The sink's SID, found or created.
    pub fn sid(&self) -> &str {
        match self {
            Self::Found { sid, .. } | Self::Created { sid, .. } => sid,
        }
    }
}

/// How [`ensure_subscription`] came by a subscription sending every wanted type to the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionOutcome {
    /// One already sent every type.
    Found { sid: String },
    /// One sent some of them: the missing types were added to it (and recorded in
    /// [`Created::subscribed_events`]).
    Completed {
        sid: String,
        /// The types added, in the order asked for.
        added: Vec<String>,
    },
    /// None sent any: this one was created (and recorded in [`Created::subscription`]).
    Created { sid: String },
}

impl SubscriptionOutcome {
    /// The subscription's SID, found, completed or created.
    pub fn sid(&self) -> &str {
        match self {
            Self::Found { sid } | Self::Completed { sid, .. } | Self::Created { sid } => sid,
        }
    }
}

/// Which provisioning step Twilio refused or could not be asked, with its answer. `Display`
/// says what failed and Twilio's answer; [`ProvisionError::hint`] says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// `GET /v1/Sinks` failed.
    #[error("could not list the account's sinks: {api}")]
    ListSinks { api: ApiError },
    /// `POST /v1/Sinks` failed (91003: the account has 100 sinks).
    #[error("could not create a sink for {}: {api}", display_url(.destination))]
    CreateSink {
        /// The destination as given (shown with its password masked).
        destination: String,
        /// Sinks to the destination passed over because they deliver with GET.
        skipped_get_sinks: usize,
        api: ApiError,
    },
    /// Listing the sink's subscriptions, or the types of one of them, failed.
    #[error("could not list the subscriptions of {sink_sid}: {api}")]
    ListSubscriptions { sink_sid: String, api: ApiError },
    /// Adding a missing type to a subscription that sent some of them failed. Types added
    /// before it are in [`Created::subscribed_events`].
    #[error("could not add {event_type} to {subscription_sid}: {api}")]
    AddSubscribedEvent {
        subscription_sid: String,
        event_type: String,
        /// Every type the subscription lacked, in the order asked for.
        missing: Vec<String>,
        api: ApiError,
    },
    /// `POST /v1/Subscriptions` failed (91100: the sink is not active; 91104: the account
    /// does not offer the types).
    #[error("could not subscribe {sink_sid} to {}: {api}", TypesName(.types))]
    CreateSubscription {
        sink_sid: String,
        types: Vec<String>,
        api: ApiError,
    },
}

impl ProvisionError {
    /// Twilio's answer (or why there was none).
    pub fn api_error(&self) -> &ApiError {
        match self {
            Self::ListSinks { api }
            | Self::CreateSink { api, .. }
            | Self::ListSubscriptions { api, .. }
            | Self::AddSubscribedEvent { api, .. }
            | Self::CreateSubscription { api, .. } => api,
        }
    }

    /// What to do when Twilio refused the step. A 401 and an unreachable API say what to check
    /// in the [`ApiError`] itself and where the caller got the address.
    pub fn hint(&self) -> Cow<'static, str> {
        let code = self.api_error().twilio_code();
        match self {
            Self::ListSinks { .. } => {
                "check the credentials (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN or an API key)"
                    .into()
            }
            Self::CreateSink { .. } if code == Some(91003) => {
                "the account has 100 sinks already: delete unused ones (callwatch sinks list)"
                    .into()
            }
            Self::CreateSink { destination, .. } if destination.starts_with("arn:") => {
                "check the stream ARN, the role ARN, the external ID and the credentials".into()
            }
            Self::CreateSink { .. } => "check the public URL and the credentials".into(),
            Self::ListSubscriptions { .. } => "check the credentials".into(),
            Self::AddSubscribedEvent { .. } => {
                "add it by hand, or delete the subscription and run setup again".into()
            }
            Self::CreateSubscription { sink_sid, .. } if code == Some(91100) => format!(
                "the sink is not active: delete it (callwatch sinks delete {sink_sid}) and run \
                 setup again"
            )
            .into(),
            Self::CreateSubscription { types, .. } if code == Some(91104) => {
                if is_group(types, &CALL_SUMMARY_TYPES) {
                    "the account does not offer call-summary events: Voice Insights Advanced \
                     Features must be on"
                        .into()
                } else if types.iter().all(|t| INSIGHTS_TYPES.contains(&t.as_str())) {
                    "the account does not offer Call Insights events: Voice Insights Advanced \
                     Features must be on"
                        .into()
                } else {
                    "the account does not offer one of these event types".into()
                }
            }
            Self::CreateSubscription { .. } => "check the credentials".into(),
        }
    }
}

/// The types of a subscription as a person reads them: "call summaries" for the
/// [`CALL_SUMMARY_TYPES`], "the seven Call Insights types" for the [`INSIGHTS_TYPES`], "the four
/// live Call Insights types" for the [`LIVE_TYPES`], in any order; the types themselves
/// otherwise.
pub struct TypesName<'a>(pub &'a [String]);

impl std::fmt::Display for TypesName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if is_group(self.0, &CALL_SUMMARY_TYPES) {
            f.write_str("call summaries")
        } else if is_group(self.0, &INSIGHTS_TYPES) {
            f.write_str("the seven Call Insights types")
        } else if is_group(self.0, &LIVE_TYPES) {
            f.write_str("the four live Call Insights types")
        } else {
            f.write_str(&self.0.join(", "))
        }
    }
}

/// `types` are exactly the `group`, in any order.
fn is_group(types: &[String], group: &[&str]) -> bool {
    types.len() == group.len() && group.iter().all(|t| types.iter().any(|have| have == t))
}

/// The schema version Twilio lists for each of `types`: the `latest_version` of the schema
/// `GET /v1/Types` names for it (`GET /v1/Schemas/{Id}`, once per schema). A type Twilio does
/// not list, or a schema without a published version, gets `None`: Twilio then picks the
/// latest itself (and answers 91104 for a type it does not offer).
///
/// Calls `GET /v1/Types` (every page), then `GET /v1/Schemas/{Id}` for each schema of `types`.
pub async fn listed_schema_versions(
    client: &EventsClient,
    types: &[String],
) -> Result<Vec<TypeVersion>, ApiError> {
    let listed = client.list_types().await?;
    let schema_of = |event_type: &str| {
        listed
            .iter()
            .find(|t| t.event_type == event_type)
            .and_then(|t| t.schema_id.clone())
            .filter(|id| !id.trim().is_empty())
    };
    let mut latest: Vec<(String, Option<u32>)> = Vec::new();
    for event_type in types {
        let Some(id) = schema_of(event_type) else {
            continue;
        };
        if latest.iter().any(|(known, _)| *known == id) {
            continue;
        }
        let schema = client.fetch_schema(&id).await?;
        latest.push((id, schema.latest_version.filter(|v| *v > 0)));
    }
    Ok(types
        .iter()
        .map(|event_type| {
            let version = schema_of(event_type).and_then(|id| {
                latest
                    .iter()
                    .find(|(known, _)| *known == id)
                    .and_then(|(_, v)| *v)
            });
            (event_type.clone(), version)
        })
        .collect())
}

/// What the account's sinks offer for a destination.
#[derive(Debug, PartialEq)]
enum SinkChoice<'a> {
    /// The webhook sink to reuse: one that POSTs there, an active one first.
    Reuse(&'a Sink),
    /// None POSTs there; this many deliver there with GET, which callwatch does not accept.
    None { get_sinks: usize },
}

/// The rule for reusing a sink: a webhook to exactly `destination` whose method is POST (or
/// unset, Twilio's default), an active one before any other.
fn choose_sink<'a>(sinks: &'a [Sink], destination: &str) -> SinkChoice<'a> {
    let to_destination: Vec<&Sink> = sinks
        .iter()
        .filter(|s| s.sink_type.as_deref() == Some("webhook"))
        .filter(|s| s.destination() == Some(destination))
        .collect();
    let posts = |s: &&&Sink| {
        s.sink_configuration
            .get("method")
            .and_then(|m| m.as_str())
            .is_none_or(|m| m.eq_ignore_ascii_case("POST"))
    };
    let chosen = to_destination
        .iter()
        .filter(posts)
        .find(|s| s.is_active())
        .or_else(|| to_destination.iter().find(posts));
    match chosen {
        Some(sink) => SinkChoice::Reuse(sink),
        None => SinkChoice::None {
            get_sinks: to_destination.len(),
        },
    }
}

/// The webhook sink that POSTs to `destination`: an existing one (active first), otherwise a
/// new one described as `description`, not batching, recorded in `created`.
///
/// Calls `GET /v1/Sinks`, then `POST /v1/Sinks` only when none fits.
pub async fn find_or_create_sink(
    client: &EventsClient,
    destination: &str,
    description: &str,
    created: &mut Created,
) -> Result<SinkOutcome, ProvisionError> {
    let sinks = client
        .list_sinks()
        .await
        .map_err(|api| ProvisionError::ListSinks { api })?;
    let skipped_get_sinks = match choose_sink(&sinks, destination) {
        SinkChoice::Reuse(sink) => {
            return Ok(SinkOutcome::Found {
                sid: sink.sid.clone(),
                status: sink.status.clone(),
                batches: sink.sink_configuration.get("batch_events")
                    == Some(&serde_json::Value::Bool(true)),
            });
        }
        SinkChoice::None { get_sinks } => get_sinks,
    };
    match client.create_sink(destination, description, false).await {
        Ok(sink) => {
            created.sink = Some(sink.sid.clone());
            Ok(SinkOutcome::Created {
                sid: sink.sid,
                status: sink.status,
                skipped_get_sinks,
            })
        }
        Err(api) => Err(ProvisionError::CreateSink {
            destination: destination.to_owned(),
            skipped_get_sinks,
            api,
        }),
    }
}

/// A Kinesis sink's configuration: the stream, the IAM role Twilio assumes, its external ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisTarget {
    /// The stream's ARN.
    pub arn: String,
    /// The role Twilio assumes to write to it.
    pub role_arn: String,
    /// The external ID the role's trust policy asks for.
    pub external_id: String,
}

/// The rule for reusing a Kinesis sink: one writing to exactly this stream through exactly
/// this role and external ID (a sink's configuration cannot be changed), an active one first.
fn choose_kinesis_sink<'a>(sinks: &'a [Sink], target: &KinesisTarget) -> Option<&'a Sink> {
    let field = |sink: &Sink, name: &str| {
        sink.sink_configuration
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let matching: Vec<&Sink> = sinks
        .iter()
        .filter(|s| s.sink_type.as_deref() == Some("kinesis"))
        .filter(|s| field(s, "arn").as_deref() == Some(target.arn.as_str()))
        .filter(|s| field(s, "role_arn").as_deref() == Some(target.role_arn.as_str()))
        // Twilio may leave the external ID out of what it shows: absent is no mismatch.
        .filter(|s| field(s, "external_id").is_none_or(|id| id == target.external_id))
        .collect();
    matching
        .iter()
        .find(|s| s.is_active())
        .or_else(|| matching.first())
        .copied()
}

/// The Kinesis sink writing to `target`: an existing one (active first), otherwise a new one
/// described as `description`, recorded in `created`. A new sink is `initialized`: Twilio
/// subscribes it only once its test event is validated.
///
/// Calls `GET /v1/Sinks`, then `POST /v1/Sinks` only when none fits.
pub async fn find_or_create_kinesis_sink(
    client: &EventsClient,
    target: &KinesisTarget,
    description: &str,
    created: &mut Created,
) -> Result<SinkOutcome, ProvisionError> {
    let sinks = client
        .list_sinks()
        .await
        .map_err(|api| ProvisionError::ListSinks { api })?;
    if let Some(sink) = choose_kinesis_sink(&sinks, target) {
        return Ok(SinkOutcome::Found {
            sid: sink.sid.clone(),
            status: sink.status.clone(),
            batches: false,
        });
    }
    match client
        .create_kinesis_sink(
            &target.arn,
            &target.role_arn,
            &target.external_id,
            description,
        )
        .await
    {
        Ok(sink) => {
            created.sink = Some(sink.sid.clone());
            Ok(SinkOutcome::Created {
                sid: sink.sid,
                status: sink.status,
                skipped_get_sinks: 0,
            })
        }
        Err(api) => Err(ProvisionError::CreateSink {
            destination: target.arn.clone(),
            skipped_get_sinks: 0,
            api,
        }),
    }
}

/// A subscription sending every one of `types` to the sink `sink_sid`. One that already sends
/// them all is used as it is; otherwise the one lacking the fewest (but sending at least one)
/// is completed type by type; otherwise a new one described as `description` is created.
/// `types` are `(event type, schema version)`, the version given for each type added or
/// created (`None`: Twilio's latest; [`listed_schema_versions`] finds the listed ones). What is
/// added or created is recorded in `created` as Twilio confirms it.
///
/// Calls `GET /v1/Subscriptions?SinkSid=`, `GET .../SubscribedEvents` for each of the sink's
/// subscriptions until one sends every type, then either `POST .../SubscribedEvents` per
/// missing type or `POST /v1/Subscriptions`.
pub async fn ensure_subscription(
    client: &EventsClient,
    sink_sid: &str,
    types: &[TypeVersion],
    description: &str,
    created: &mut Created,
) -> Result<SubscriptionOutcome, ProvisionError> {
    let listing = |api| ProvisionError::ListSubscriptions {
        sink_sid: sink_sid.to_owned(),
        api,
    };
    let subscriptions = client
        .list_subscriptions(Some(sink_sid))
        .await
        .map_err(listing)?;
    // The subscription lacking the fewest types, and those types.
    let mut partial: Option<(String, Vec<&TypeVersion>)> = None;
    for subscription in subscriptions
        .iter()
        .filter(|s| s.sink_sid.as_deref().is_none_or(|sid| sid == sink_sid))
    {
        let sent = client
            .list_subscribed_events(&subscription.sid)
            .await
            .map_err(listing)?;
        let missing: Vec<&TypeVersion> = types
            .iter()
            .filter(|(t, _)| !sent.iter().any(|e| e.event_type == *t))
            .collect();
        if missing.is_empty() {
            return Ok(SubscriptionOutcome::Found {
                sid: subscription.sid.clone(),
            });
        }
        let better = partial
            .as_ref()
            .is_none_or(|(_, m)| missing.len() < m.len());
        if missing.len() < types.len() && better {
            partial = Some((subscription.sid.clone(), missing));
        }
    }
    if let Some((sid, missing)) = partial {
        let names = || missing.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
        for (event_type, version) in &missing {
            if let Err(api) = client
                .create_subscribed_event(&sid, event_type, *version)
                .await
            {
                return Err(ProvisionError::AddSubscribedEvent {
                    subscription_sid: sid,
                    event_type: event_type.clone(),
                    missing: names(),
                    api,
                });
            }
            created
                .subscribed_events
                .push((sid.clone(), event_type.clone()));
        }
        return Ok(SubscriptionOutcome::Completed {
            added: names(),
            sid,
        });
    }
    match client
        .create_subscription(sink_sid, description, types)
        .await
    {
        Ok(subscription) => {
            created.subscription = Some(subscription.sid.clone());
            Ok(SubscriptionOutcome::Created {
                sid: subscription.sid,
            })
        }
        Err(api) => Err(ProvisionError::CreateSubscription {
            sink_sid: sink_sid.to_owned(),
            types: types.iter().map(|(t, _)| t.clone()).collect(),
            api,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESTINATION: &str = "https://tunnel.example/events";

    fn sink(sid: &str, destination: &str, method: &str, status: &str) -> Sink {
        serde_json::from_value(serde_json::json!({
            "sid": sid,
            "sink_type": "webhook",
            "status": status,
            "sink_configuration": {"destination": destination, "method": method, "batch_events": false},
        }))
        .unwrap()
    }

    #[test]
    fn an_active_post_sink_to_the_destination_is_reused_before_an_inactive_one() {
        let sinks = [
            sink("DG1", DESTINATION, "POST", "failed"),
            sink("DG2", "https://other.example/events", "POST", "active"),
            sink("DG3", DESTINATION, "post", "active"),
        ];
        assert_eq!(
            choose_sink(&sinks, DESTINATION),
            SinkChoice::Reuse(&sinks[2])
        );
        assert_eq!(
            choose_sink(&sinks[..2], DESTINATION),
            SinkChoice::Reuse(&sinks[0])
        );
    }

    #[test]
    fn get_sinks_to_the_destination_are_counted_not_reused() {
        let sinks = [
            sink("DG1", DESTINATION, "GET", "active"),
            sink("DG2", DESTINATION, "GET", "failed"),
            sink("DG3", "https://other.example/events", "GET", "active"),
        ];
        assert_eq!(
            choose_sink(&sinks, DESTINATION),
            SinkChoice::None { get_sinks: 2 }
        );
        assert_eq!(
            choose_sink(&[], DESTINATION),
            SinkChoice::None { get_sinks: 0 }
        );
    }

    fn kinesis_sink(
        sid: &str,
        arn: &str,
        role: &str,
        external_id: Option<&str>,
        status: &str,
    ) -> Sink {
        let mut config = serde_json::json!({"arn": arn, "role_arn": role});
        if let Some(id) = external_id {
            config["external_id"] = serde_json::json!(id);
        }
        serde_json::from_value(serde_json::json!({
            "sid": sid,
            "sink_type": "kinesis",
            "status": status,
            "sink_configuration": config,
        }))
        .unwrap()
    }

    #[test]
    fn a_kinesis_sink_is_reused_only_for_the_same_stream_role_and_external_id() {
        const ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/calls";
        const ROLE: &str = "arn:aws:iam::123456789012:role/twilio";
        let target = KinesisTarget {
            arn: ARN.into(),
            role_arn: ROLE.into(),
            external_id: "ext-1".into(),
        };
        let sinks = [
            kinesis_sink("DG1", ARN, ROLE, Some("ext-1"), "initialized"),
            kinesis_sink("DG2", ARN, ROLE, Some("other"), "active"),
            kinesis_sink(
                "DG3",
                ARN,
                "arn:aws:iam::123456789012:role/x",
                Some("ext-1"),
                "active",
            ),
            sink("DG4", ARN, "POST", "active"),
            kinesis_sink("DG5", ARN, ROLE, None, "active"),
        ];
        assert_eq!(
            choose_kinesis_sink(&sinks, &target).map(|s| s.sid.as_str()),
            Some("DG5")
        );
        assert_eq!(
            choose_kinesis_sink(&sinks[..4], &target).map(|s| s.sid.as_str()),
            Some("DG1")
        );
        assert_eq!(choose_kinesis_sink(&sinks[1..4], &target), None);
    }

    #[test]
    fn groups_are_named_as_such_and_other_sets_by_their_types() {
        let owned = |types: &[&str]| types.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        let mut insights = owned(&INSIGHTS_TYPES);
        insights.reverse();
        assert_eq!(
            TypesName(&insights).to_string(),
            "the seven Call Insights types"
        );
        assert_eq!(
            TypesName(&owned(&LIVE_TYPES)).to_string(),
            "the four live Call Insights types"
        );
        assert_eq!(
            TypesName(&insights[..2]).to_string(),
            "com.twilio.voice.insights.call-summary.complete, \
             com.twilio.voice.insights.call-summary.predicted-complete"
        );
    }

    #[test]
    fn call_summary_types_are_named_as_such_in_any_order() {
        let mut types: Vec<String> = CALL_SUMMARY_TYPES.iter().map(|t| (*t).to_owned()).collect();
        types.reverse();
        assert_eq!(TypesName(&types).to_string(), "call summaries");
        assert_eq!(
            TypesName(&types[..1]).to_string(),
            "com.twilio.voice.insights.call-summary.complete"
        );
    }
}
