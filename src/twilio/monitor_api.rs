//! Monitor v1 REST client: the Debugger's alerts on `monitor.twilio.com`, where Event Streams
//! reports the deliveries it could not make (errors 91300–91308, docs/signatures.md, "Retries and
//! what an answer means"). Requests follow `assets/twilio/twilio_monitor_v1.json`; transport and
//! paging are [`super::rest`]'s.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rest::{ApiError, ApiName, Credentials, RestClient, RetryPolicy};

/// Where Twilio serves the Monitor v1 API.
pub const DEFAULT_MONITOR_API_BASE: &str = "https://monitor.twilio.com";

/// The Monitor API, for messages and paging.
const MONITOR_API: ApiName = ApiName {
    name: "the Monitor API",
    twilio_base: DEFAULT_MONITOR_API_BASE,
};

/// One Debugger alert (`monitor.v1.alert`, as the list returns it). Every field is nullable in
/// the API description, so every field is optional here.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Alert {
    /// `NO` + 32 hex digits.
    pub sid: Option<String>,
    pub account_sid: Option<String>,
    /// Twilio's text; for Event Streams it names the sink and the failure.
    pub alert_text: Option<String>,
    pub api_version: Option<String>,
    pub date_created: Option<String>,
    /// When the condition happened (may precede `date_created`: Twilio buffers alerts).
    pub date_generated: Option<String>,
    pub date_updated: Option<String>,
    /// A string in the API, e.g. `"91308"`.
    pub error_code: Option<String>,
    /// `error`, `warning`, `notice` or `debug`.
    pub log_level: Option<String>,
    /// The Error Dictionary page of the code.
    pub more_info: Option<String>,
    pub request_method: Option<String>,
    /// For a request Twilio made to a server (a sink delivery): the URL it requested.
    pub request_url: Option<String>,
    /// The resource the alert is about (for Event Streams, the sink).
    pub resource_sid: Option<String>,
    pub service_sid: Option<String>,
    pub url: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Alert {
    /// The error code as a number, when it is one.
    pub fn code(&self) -> Option<u32> {
        self.error_code.as_deref()?.trim().parse().ok()
    }
}

/// A client for Monitor v1. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MonitorClient {
    rest: RestClient,
}

impl MonitorClient {
    /// A client for the API at `base_url` (normally [`DEFAULT_MONITOR_API_BASE`]).
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, ApiError> {
        Ok(Self {
            rest: RestClient::new(MONITOR_API, base_url, credentials)?,
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

    /// `GET /v1/Alerts?StartDate=…`, every page: the alerts generated at or after `start`
    /// (whole seconds; the API takes no finer time).
    pub async fn list_alerts_since(&self, start: SystemTime) -> Result<Vec<Alert>, ApiError> {
        // `YYYY-MM-DDThh:mm:ssZ` in GMT, the format the API description gives.
        let filters = [("StartDate", crate::timestamp::rfc3339_seconds(start.into()))];
        self.rest
            .list_all(&["v1", "Alerts"], &filters, "alerts")
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_descriptions_example_alert_reads() {
        let alert: Alert = serde_json::from_str(
            r#"{"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","alert_text":"alert_text","api_version":"2010-04-01","date_created":"2015-07-30T20:00:00Z","date_generated":"2015-07-30T20:00:00Z","date_updated":"2015-07-30T20:00:00Z","error_code":"91308","log_level":"error","more_info":"more_info","request_method":"GET","request_url":"http://www.example.com","resource_sid":"DGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","sid":"NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","url":"https://monitor.twilio.com/v1/Alerts/NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","service_sid":null,"request_variables":"x"}"#,
        )
        .unwrap();
        assert_eq!(alert.code(), Some(91308));
        assert_eq!(
            alert.resource_sid.as_deref(),
            Some("DGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        );
        assert_eq!(
            alert.extra.get("request_variables"),
            Some(&Value::from("x"))
        );
    }
}
