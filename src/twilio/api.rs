//! Events v1 REST client: sinks, subscriptions and event types on `events.twilio.com`.
//!
//! Every request is named exactly as Twilio's OpenAPI description
//! (`assets/twilio/twilio_events_v1.json`) names it: form-encoded PascalCase parameters, object
//! parameters as JSON strings, array parameters as repeated keys. Transport, credentials,
//! retries, paging and Twilio's error bodies are [`super::rest`]'s, shared with the Monitor API.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::rest::{ApiError, CredentialKind, Credentials, RetryPolicy, TwilioError};
use super::rest::{ApiName, RestClient};

/// Where Twilio serves the Events v1 API.
pub const DEFAULT_API_BASE: &str = "https://events.twilio.com";

/// The Events API, for messages and paging.
const EVENTS_API: ApiName = ApiName {
    name: "the Events API",
    twilio_base: DEFAULT_API_BASE,
};

/// A sink: where Twilio delivers events (`events.v1.sink`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sink {
    /// `DG` + 32 hex digits.
    pub sid: String,
    pub description: Option<String>,
    /// `webhook`, `kinesis`, `segment` or `email`.
    pub sink_type: Option<String>,
    /// `initialized`, `validating`, `active` or `failed`.
    pub status: Option<String>,
    /// For webhooks `{destination, method, batch_events}`; other sink types differ.
    #[serde(default)]
    pub sink_configuration: Value,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub url: Option<String>,
    pub links: Option<Value>,
    /// Fields this version does not model, kept so `--json` shows all Twilio sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Sink {
    /// The webhook URL Twilio POSTs to, for webhook sinks.
    pub fn destination(&self) -> Option<&str> {
        let config = &self.sink_configuration;
        config
            .get("destination")
            .or_else(|| config.get("arn"))?
            .as_str()
    }

    /// Twilio delivers only to active sinks (and subscribes only them, error 91100).
    pub fn is_active(&self) -> bool {
        self.status.as_deref() == Some("active")
    }
}

/// A subscription: which event types go to which sink (`events.v1.subscription`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// `DF` + 32 hex digits.
    pub sid: String,
    pub account_sid: Option<String>,
    pub sink_sid: Option<String>,
    pub description: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub url: Option<String>,
    pub links: Option<Value>,
    /// Fields this version does not model (e.g. `receive_events_from_subaccounts`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One event type of a subscription (`events.v1.subscription.subscribed_event`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscribedEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    /// The schema version delivered; Twilio's default is 0 ("latest" when created without one).
    #[serde(default)]
    pub schema_version: Option<u32>,
    pub subscription_sid: Option<String>,
    pub account_sid: Option<String>,
    pub url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An event type Twilio offers (`events.v1.event_type`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventType {
    #[serde(rename = "type")]
    pub event_type: String,
    /// E.g. `VoiceInsights.CallSummary`.
    pub schema_id: Option<String>,
    pub description: Option<String>,
    /// `available`, `deprecated`, `restricted` or `discontinued`.
    pub status: Option<String>,
    pub documentation_url: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub url: Option<String>,
    pub links: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A versioned schema of event types (`events.v1.schema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// E.g. `VoiceInsights.CallEvent`.
    pub id: Option<String>,
    /// The latest version published (Twilio's default is 0 when it has none).
    #[serde(default)]
    pub latest_version: Option<u32>,
    pub latest_version_date_created: Option<String>,
    pub url: Option<String>,
    pub links: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `{"result": ...}` answer of Sink Test and Sink Validate.
#[derive(Debug, Deserialize)]
struct ResultBody {
    result: Option<String>,
}

/// The `SinkConfiguration` parameter of a webhook sink: a JSON string, keys as Twilio names them.
pub fn webhook_sink_configuration(destination: &str, batch_events: bool) -> String {
    serde_json::json!({
        "destination": destination,
        "method": "POST",
        "batch_events": batch_events,
    })
    .to_string()
}

/// One `Types` parameter of a subscription: `{"type": ..., "schema_version": ...}` as a JSON
/// string, `schema_version` left out when not chosen (Twilio then uses the latest).
pub fn subscription_type_param(event_type: &str, schema_version: Option<u32>) -> String {
    let mut object = Map::new();
    object.insert("type".to_owned(), Value::from(event_type));
    if let Some(version) = schema_version {
        object.insert("schema_version".to_owned(), Value::from(version));
    }
    Value::Object(object).to_string()
}

/// A client for Events v1. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct EventsClient {
    rest: RestClient,
}

impl EventsClient {
    /// A client for the API at `base_url` (normally [`DEFAULT_API_BASE`]; a path prefix is kept).
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, ApiError> {
        Ok(Self {
            rest: RestClient::new(EVENTS_API, base_url, credentials)?,
        })
    }

    /// Replaces the retry policy (tests use [`RetryPolicy::none`]).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.rest = self.rest.with_retry_policy(retry);
        self
    }

    /// The `PageSize` sent with the first request of each list (clamped to 1..=1000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.rest = self.rest.with_page_size(page_size);
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.rest.base_url()
    }

    /// Who is calling.
    pub fn credentials(&self) -> &Credentials {
        self.rest.credentials()
    }

    /// `GET /v1/Sinks`, every page.
    pub async fn list_sinks(&self) -> Result<Vec<Sink>, ApiError> {
        self.rest.list_all(&["v1", "Sinks"], &[], "sinks").await
    }

    /// `GET /v1/Sinks/{Sid}`.
    pub async fn fetch_sink(&self, sid: &str) -> Result<Sink, ApiError> {
        let url = self.rest.endpoint(&["v1", "Sinks", sid]);
        self.rest.call(Method::GET, url, None).await
    }

    /// `POST /v1/Sinks`: a webhook sink that POSTs to `destination`. `description` must not
    /// contain personal data (Twilio's words).
    pub async fn create_sink(
        &self,
        destination: &str,
        description: &str,
        batch_events: bool,
    ) -> Result<Sink, ApiError> {
        let form = [
            ("Description", description.to_owned()),
            ("SinkType", "webhook".to_owned()),
            (
                "SinkConfiguration",
                webhook_sink_configuration(destination, batch_events),
            ),
        ];
        let url = self.rest.endpoint(&["v1", "Sinks"]);
        self.rest.call(Method::POST, url, Some(&form)).await
    }

    /// `POST /v1/Sinks`: a Kinesis sink writing to the stream `arn` through the IAM role
    /// `role_arn`, assumed with `external_id`. Twilio creates it `initialized`: it becomes active
    /// once its test event, read from the stream, is validated.
    pub async fn create_kinesis_sink(
        &self,
        arn: &str,
        role_arn: &str,
        external_id: &str,
        description: &str,
    ) -> Result<Sink, ApiError> {
        let configuration = serde_json::json!({
            "arn": arn,
            "role_arn": role_arn,
            "external_id": external_id,
        });
        let form = [
            ("Description", description.to_owned()),
            ("SinkType", "kinesis".to_owned()),
            ("SinkConfiguration", configuration.to_string()),
        ];
        let url = self.rest.endpoint(&["v1", "Sinks"]);
        self.rest.call(Method::POST, url, Some(&form)).await
    }

    /// `DELETE /v1/Sinks/{Sid}`.
    pub async fn delete_sink(&self, sid: &str) -> Result<(), ApiError> {
        self.rest
            .delete(self.rest.endpoint(&["v1", "Sinks", sid]))
            .await
    }

    /// `POST /v1/Sinks/{Sid}/Test`: Twilio sends a signed `com.twilio.eventstreams.test-event`
    /// to the sink. Returns Twilio's `result` (`submitted`).
    pub async fn test_sink(&self, sid: &str) -> Result<String, ApiError> {
        let url = self.rest.endpoint(&["v1", "Sinks", sid, "Test"]);
        let answer: ResultBody = self.rest.call(Method::POST, url, None).await?;
        Ok(answer.result.unwrap_or_default())
    }

    /// `POST /v1/Sinks/{Sid}/Validate` with the `test_id` of the received test event. Returns
    /// Twilio's `result` (`valid`).
    pub async fn validate_sink(&self, sid: &str, test_id: &str) -> Result<String, ApiError> {
        let url = self.rest.endpoint(&["v1", "Sinks", sid, "Validate"]);
        let form = [("TestId", test_id.to_owned())];
        let answer: ResultBody = self.rest.call(Method::POST, url, Some(&form)).await?;
        Ok(answer.result.unwrap_or_default())
    }

    /// `GET /v1/Subscriptions`, every page, optionally only those of one sink.
    pub async fn list_subscriptions(
        &self,
        sink_sid: Option<&str>,
    ) -> Result<Vec<Subscription>, ApiError> {
        let filter: Vec<(&str, String)> = sink_sid
            .map(|sid| ("SinkSid", sid.to_owned()))
            .into_iter()
            .collect();
        self.rest
            .list_all(&["v1", "Subscriptions"], &filter, "subscriptions")
            .await
    }

    /// `POST /v1/Subscriptions`: `types` are `(event type, schema version)`; a `None` version
    /// lets Twilio pick the latest.
    pub async fn create_subscription(
        &self,
        sink_sid: &str,
        description: &str,
        types: &[(String, Option<u32>)],
    ) -> Result<Subscription, ApiError> {
        let mut form = vec![
            ("Description", description.to_owned()),
            ("SinkSid", sink_sid.to_owned()),
        ];
        form.extend(
            types.iter().map(|(event_type, version)| {
                ("Types", subscription_type_param(event_type, *version))
            }),
        );
        let url = self.rest.endpoint(&["v1", "Subscriptions"]);
        self.rest.call(Method::POST, url, Some(&form)).await
    }

    /// `DELETE /v1/Subscriptions/{Sid}`.
    pub async fn delete_subscription(&self, sid: &str) -> Result<(), ApiError> {
        self.rest
            .delete(self.rest.endpoint(&["v1", "Subscriptions", sid]))
            .await
    }

    /// `GET /v1/Subscriptions/{SubscriptionSid}/SubscribedEvents`, every page.
    pub async fn list_subscribed_events(
        &self,
        subscription_sid: &str,
    ) -> Result<Vec<SubscribedEvent>, ApiError> {
        // The list key is `types`, not `subscribed_events` (see the API description).
        self.rest
            .list_all(
                &["v1", "Subscriptions", subscription_sid, "SubscribedEvents"],
                &[],
                "types",
            )
            .await
    }

    /// `POST /v1/Subscriptions/{SubscriptionSid}/SubscribedEvents`: adds one event type to a
    /// subscription; a `None` version lets Twilio pick the latest.
    pub async fn create_subscribed_event(
        &self,
        subscription_sid: &str,
        event_type: &str,
        schema_version: Option<u32>,
    ) -> Result<SubscribedEvent, ApiError> {
        let mut form = vec![("Type", event_type.to_owned())];
        if let Some(version) = schema_version {
            form.push(("SchemaVersion", version.to_string()));
        }
        let url =
            self.rest
                .endpoint(&["v1", "Subscriptions", subscription_sid, "SubscribedEvents"]);
        self.rest.call(Method::POST, url, Some(&form)).await
    }

    /// `DELETE /v1/Subscriptions/{SubscriptionSid}/SubscribedEvents/{Type}`.
    pub async fn delete_subscribed_event(
        &self,
        subscription_sid: &str,
        event_type: &str,
    ) -> Result<(), ApiError> {
        let url = self.rest.endpoint(&[
            "v1",
            "Subscriptions",
            subscription_sid,
            "SubscribedEvents",
            event_type,
        ]);
        self.rest.delete(url).await
    }

    /// `GET /v1/Types`, every page.
    pub async fn list_types(&self) -> Result<Vec<EventType>, ApiError> {
        self.rest.list_all(&["v1", "Types"], &[], "types").await
    }

    /// `GET /v1/Schemas/{Id}`: the schema with its latest version.
    pub async fn fetch_schema(&self, id: &str) -> Result<Schema, ApiError> {
        let url = self.rest.endpoint(&["v1", "Schemas", id]);
        self.rest.call(Method::GET, url, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_parameters_are_json_strings_named_as_twilio_names_them() {
        assert_eq!(
            webhook_sink_configuration("https://example.com/events", false),
            r#"{"destination":"https://example.com/events","method":"POST","batch_events":false}"#
        );
        assert_eq!(
            subscription_type_param("com.twilio.voice.insights.call-summary.complete", Some(2)),
            r#"{"type":"com.twilio.voice.insights.call-summary.complete","schema_version":2}"#
        );
        assert_eq!(
            subscription_type_param("com.twilio.voice.insights.call-summary.partial", None),
            r#"{"type":"com.twilio.voice.insights.call-summary.partial"}"#
        );
    }

    #[test]
    fn unknown_fields_are_kept_and_destination_is_read() {
        let sink: Sink = serde_json::from_str(
            r#"{"status":"active","sink_configuration":{"destination":"http://example.org/webhook","method":"POST","batch_events":true},"description":"A webhook Sink","sid":"DGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac","date_created":"2015-07-30T21:00:00Z","sink_type":"webhook","date_updated":"2015-07-30T21:00:00Z","url":"https://events.twilio.com/v1/Sinks/DGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac","links":{},"brand_new_field":7}"#,
        )
        .unwrap();
        assert_eq!(sink.destination(), Some("http://example.org/webhook"));
        assert!(sink.is_active());
        assert_eq!(sink.extra.get("brand_new_field"), Some(&Value::from(7)));
        let again = serde_json::to_value(&sink).unwrap();
        assert_eq!(again["brand_new_field"], 7);
    }
}
