//! The four live Call Insights types (docs/events.md, "Live events"): call progress and Voice
//! SDK events (`VoiceInsights.CallEvent`) and 10-second quality samples
//! (`VoiceInsights.CallMetric`), read leniently as the summaries are: unknown keys and enum
//! values kept, nulls and missing objects tolerated.
//!
//! Beside the models, what callwatch reads of them: a progress name in the summaries' call-state
//! vocabulary ([`progress_state`]), an SDK event's warning or error ([`CallEvent::sdk_signal`]),
//! and one quality reading per edge of a sample ([`CallMetric::readings`]).

use serde::Serialize;
use serde_json::{Map, Value};

use compact_str::CompactString;

use super::edge::{MinMaxAvg, StreamMetrics};
use super::lenient::{
    deserialize_keeping_unknown_keys, lenient_compact_string, lenient_opt_f64, lenient_opt_i64,
    lenient_opt_string, lenient_string, null_as_default, open_enum,
};
use super::summary::CallState;
/// CloudEvent `type` of call progress seen by Twilio's media gateways (`VoiceInsights.CallEvent`).
pub const GATEWAY_EVENT_TYPE: &str = "com.twilio.voice.insights.call-event.gateway";
/// CloudEvent `type` of a Voice SDK event: errors, quality warnings raised and cleared
/// (`VoiceInsights.CallEvent`).
pub const SDK_EVENT_TYPE: &str = "com.twilio.voice.insights.call-event.sdk";
/// CloudEvent `type` of a media gateway's 10-second quality sample (`VoiceInsights.CallMetric`).
pub const GATEWAY_METRICS_TYPE: &str = "com.twilio.voice.insights.call-metrics.gateway";
/// CloudEvent `type` of a Voice SDK 10-second quality sample (`VoiceInsights.CallMetric`).
pub const SDK_METRICS_TYPE: &str = "com.twilio.voice.insights.call-metrics.sdk";

/// Which live type an event is, from its CloudEvent `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LiveKind {
    /// `call-event.gateway`: call progress seen by Twilio's media gateways.
    GatewayEvent,
    /// `call-event.sdk`: a Voice SDK event (error, warning raised or cleared, feedback…).
    SdkEvent,
    /// `call-metrics.gateway`: a media gateway's 10-second quality sample.
    GatewayMetrics,
    /// `call-metrics.sdk`: the Voice SDK's 10-second quality sample.
    SdkMetrics,
}

impl LiveKind {
    /// All four, events first.
    pub const ALL: [Self; 4] = [
        Self::GatewayEvent,
        Self::SdkEvent,
        Self::GatewayMetrics,
        Self::SdkMetrics,
    ];

    /// The kind for a CloudEvent `type`, or `None` when it is not a live type.
    pub fn from_event_type(t: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.event_type() == t)
    }

    /// The full CloudEvent `type`.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::GatewayEvent => GATEWAY_EVENT_TYPE,
            Self::SdkEvent => SDK_EVENT_TYPE,
            Self::GatewayMetrics => GATEWAY_METRICS_TYPE,
            Self::SdkMetrics => SDK_METRICS_TYPE,
        }
    }

    /// True for the two quality-sample types (their `data` is a `CallMetric`).
    pub fn is_metrics(self) -> bool {
        matches!(self, Self::GatewayMetrics | Self::SdkMetrics)
    }

    /// A short label: `progress`, `sdk-event`, `metrics` or `sdk-metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Self::GatewayEvent => "progress",
            Self::SdkEvent => "sdk-event",
            Self::GatewayMetrics => "metrics",
            Self::SdkMetrics => "sdk-metrics",
        }
    }
}

open_enum! {
    /// `level` of a call event (REST `event_enum_level`).
    pub enum EventLevel {
        /// No level given.
        Unknown => "UNKNOWN",
        /// Debugging detail.
        Debug => "DEBUG",
        /// Information.
        Info => "INFO",
        /// A warning (SDK quality warnings).
        Warning => "WARNING",
        /// An error (SDK errors).
        Error => "ERROR",
    }
}

open_enum! {
    /// `direction` of a quality sample; `sdk_edge` samples are always `both`.
    pub enum MetricDirection {
        /// Not known.
        Unknown => "unknown",
        /// Media received by Twilio.
        Inbound => "inbound",
        /// Media sent by Twilio.
        Outbound => "outbound",
        /// Both directions (SDK).
        Both => "both",
    }
}

/// An SDK error (`sdk_edge.error`), e.g. 31600 "Call failed due to network issues."
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SdkError {
    /// The Voice SDK error code (31xxx, 53xxx).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Its message as the SDK gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    SdkError {
        code: Option<i64> = lenient_opt_i64,
        message: Option<String> = lenient_opt_string,
    }
}

/// One edge of a call event (`carrier_edge`, `client_edge`, `sip_edge`, `sdk_edge`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventEdge {
    /// Region, IPs, `edge_location`; for the SDK: client name, location, SDK and browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// The SDK's error (SDK events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<SdkError>,
    /// The user's feedback (SDK events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Value>,
    /// The metric behind a warning: `{"threshold": …, "values": […]}` (SDK events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<Value>,
    /// The ICE candidate pair (SDK events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_candidate_pair: Option<Value>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    EventEdge {
        metadata: Option<Map<String, Value>>,
        error: Option<SdkError>,
        feedback: Option<Value>,
        metric: Option<Value>,
        ice_candidate_pair: Option<Value>,
    }
}

/// `VoiceInsights.CallEvent`: the `data` of `call-event.gateway` and `call-event.sdk`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallEvent {
    /// When it happened (RFC 3339, raw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// `CA…`.
    pub call_sid: String,
    /// `AC…`.
    pub account_sid: String,
    /// Which edge reported it: `carrier_edge`, `sdk_edge`… (the docs' examples also show
    /// locations such as `ashburn`): any string.
    pub edge: String,
    /// What happened: `call.ringing`, `answered`, `high-jitter`, `error`…, as it came.
    pub name: String,
    /// The family: `call`, `connection`, `network-quality-warning-raised`…
    pub group: String,
    /// UNKNOWN / DEBUG / INFO / WARNING / ERROR.
    pub level: EventLevel,
    /// Carrier gateway details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_edge: Option<Box<EventEdge>>,
    /// Client gateway details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_edge: Option<Box<EventEdge>>,
    /// SIP gateway details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_edge: Option<Box<EventEdge>>,
    /// Voice SDK details: error, feedback, warning metric, ICE pair, client metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_edge: Option<Box<EventEdge>>,
    /// Keys this build does not know (e.g. v3's wrap-up `duration_in_seconds`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    CallEvent {
        timestamp: Option<String> = lenient_opt_string,
        call_sid: String = lenient_string,
        account_sid: String = lenient_string,
        edge: String = lenient_string,
        name: String = lenient_string,
        group: String = lenient_string,
        level: EventLevel,
        carrier_edge: Option<Box<EventEdge>>,
        client_edge: Option<Box<EventEdge>>,
        sip_edge: Option<Box<EventEdge>>,
        sdk_edge: Option<Box<EventEdge>>,
    }
}

/// What an SDK event says about the call.
#[derive(Debug, Clone, PartialEq)]
pub enum SdkSignal<'a> {
    /// A quality warning raised (`…-warning-raised`): its name.
    WarningRaised(&'a str),
    /// A quality warning cleared (`…-warning-cleared`): its name.
    WarningCleared(&'a str),
    /// An error, with its code and message when given.
    Error(Option<i64>, Option<&'a str>),
    /// Anything else (feedback, ICE, a name this build does not know): kept in the timeline.
    Other,
}

impl CallEvent {
    /// The call state a progress event reports ([`progress_state`] of its name).
    pub fn progress_state(&self) -> Option<CallState> {
        progress_state(&self.name)
    }

    /// What this event says as an SDK event: a warning raised or cleared (by its group,
    /// `…-warning-raised` / `…-warning-cleared`, or a name ending so), an error (an
    /// `sdk_edge.error`, or level ERROR), or nothing of the kind.
    pub fn sdk_signal(&self) -> SdkSignal<'_> {
        let error = self.sdk_edge.as_ref().and_then(|e| e.error.as_ref());
        sdk_signal(
            &self.name,
            &self.group,
            &self.level,
            error.map(|e| (e.code, e.message.as_deref())),
        )
    }
}

/// What an SDK event with this name, group, level and `sdk_edge.error` says.
fn sdk_signal<'a>(
    name: &'a str,
    group: &str,
    level: &EventLevel,
    error: Option<(Option<i64>, Option<&'a str>)>,
) -> SdkSignal<'a> {
    if let Some((code, message)) = error {
        return SdkSignal::Error(code, message);
    }
    let group = group.to_ascii_lowercase();
    let lower = name.to_ascii_lowercase();
    if group.ends_with("warning-raised") || lower.ends_with("warning-raised") {
        SdkSignal::WarningRaised(name)
    } else if group.ends_with("warning-cleared") || lower.ends_with("warning-cleared") {
        SdkSignal::WarningCleared(name)
    } else if *level == EventLevel::Error {
        SdkSignal::Error(None, None)
    } else {
        SdkSignal::Other
    }
}

/// The call state a call-progress name reports, in the summaries' vocabulary: compared
/// case-insensitively, after any prefix up to a dot (`call.ringing`), with `_` read as `-`.
/// `initiated`/`ringing` → ringing; `answered`/`in-progress` → answered; `completed`, `busy`,
/// `no-answer`, `failed`, `canceled` → the final states. Any other name: `None` (it is kept in the
/// call's timeline and changes nothing).
pub fn progress_state(name: &str) -> Option<CallState> {
    let bare = name.rsplit('.').next().unwrap_or(name).trim();
    let bare = bare.to_ascii_lowercase().replace('_', "-");
    Some(match bare.as_str() {
        "initiated" | "ringing" | "queued" => CallState::Ringing,
        "answered" | "in-progress" | "inprogress" => CallState::Answered,
        "completed" => CallState::Completed,
        "busy" => CallState::Busy,
        "no-answer" | "noanswer" => CallState::NoAnswer,
        "failed" | "fail" => CallState::Fail,
        "canceled" | "cancelled" => CallState::Canceled,
        _ => return None,
    })
}

/// One edge of a quality sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricEdge {
    /// RTP payload type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<i64>,
    /// Codec name, e.g. `pcmu`, `opus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_name: Option<String>,
    /// The sample's 10 seconds: jitter, loss, RTT, MOS, audio levels, packets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<StreamMetrics>,
    /// Totals since the call began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative: Option<StreamMetrics>,
    /// Region and media IPs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    MetricEdge {
        codec: Option<i64> = lenient_opt_i64,
        codec_name: Option<String> = lenient_opt_string,
        interval: Option<StreamMetrics>,
        cumulative: Option<StreamMetrics>,
        metadata: Option<Map<String, Value>>,
    }
}

/// `VoiceInsights.CallMetric`: the `data` of `call-metrics.gateway` and `call-metrics.sdk`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallMetric {
    /// The end of the 10 seconds it covers (RFC 3339, raw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// `CA…`.
    pub call_sid: String,
    /// `AC…`.
    pub account_sid: String,
    /// Which edge the sample is from (`unknown_edge` in the docs' example): any string.
    pub edge: String,
    /// inbound / outbound / both / unknown.
    pub direction: MetricDirection,
    /// Carrier gateway figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_edge: Option<Box<MetricEdge>>,
    /// Client gateway figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_edge: Option<Box<MetricEdge>>,
    /// SIP gateway figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_edge: Option<Box<MetricEdge>>,
    /// Voice SDK figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_edge: Option<Box<MetricEdge>>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    CallMetric {
        timestamp: Option<String> = lenient_opt_string,
        call_sid: String = lenient_string,
        account_sid: String = lenient_string,
        edge: String = lenient_string,
        direction: MetricDirection,
        carrier_edge: Option<Box<MetricEdge>>,
        client_edge: Option<Box<MetricEdge>>,
        sip_edge: Option<Box<MetricEdge>>,
        sdk_edge: Option<Box<MetricEdge>>,
    }
}

/// Which edge a reading is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub enum EdgeKind {
    /// Twilio's gateway towards the carrier.
    Carrier,
    /// Twilio's gateway towards a SIP endpoint.
    Sip,
    /// Twilio's gateway towards a Voice SDK client.
    Client,
    /// The Voice SDK itself.
    Sdk,
    /// Not said.
    #[default]
    Unknown,
}

impl EdgeKind {
    /// `carrier`, `sip`, `client`, `sdk` or `unknown`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Carrier => "carrier",
            Self::Sip => "sip",
            Self::Client => "client",
            Self::Sdk => "sdk",
            Self::Unknown => "unknown",
        }
    }
}

/// The quality figures of one edge of one sample; each absent when the sample has none.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    /// Which edge.
    pub edge: EdgeKind,
    /// Which direction (the sample's).
    pub direction: Direction,
    /// Jitter in ms.
    pub jitter_ms: Option<f64>,
    /// Packet loss in percent of the interval's packets.
    pub loss_pct: Option<f64>,
    /// Round-trip time in ms.
    pub rtt_ms: Option<f64>,
    /// Mean opinion score, 1 to ~4.5.
    pub mos: Option<f64>,
}

/// A sample's direction, small: what the store keeps per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Direction {
    /// Media received by Twilio.
    Inbound,
    /// Media sent by Twilio.
    Outbound,
    /// Both (SDK).
    Both,
    /// Not said.
    #[default]
    Unknown,
}

impl Direction {
    /// `inbound`, `outbound`, `both` or `unknown`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Both => "both",
            Self::Unknown => "unknown",
        }
    }
}

impl From<&MetricDirection> for Direction {
    fn from(d: &MetricDirection) -> Self {
        match d {
            MetricDirection::Inbound => Self::Inbound,
            MetricDirection::Outbound => Self::Outbound,
            MetricDirection::Both => Self::Both,
            _ => Self::Unknown,
        }
    }
}

impl CallMetric {
    /// One reading per edge that carries an `interval` with at least one figure, in the order
    /// carrier, sip, client, sdk.
    pub fn readings(&self) -> Vec<Reading> {
        let direction = Direction::from(&self.direction);
        [
            (EdgeKind::Carrier, &self.carrier_edge),
            (EdgeKind::Sip, &self.sip_edge),
            (EdgeKind::Client, &self.client_edge),
            (EdgeKind::Sdk, &self.sdk_edge),
        ]
        .into_iter()
        .filter_map(|(edge, e)| {
            let i = e.as_deref()?.interval.as_ref()?;
            reading(
                edge,
                direction,
                [i.jitter, i.rtt, i.mos],
                i.packets_loss_percentage,
                i.packets_lost,
                i.packets_received,
            )
        })
        .collect()
    }
}

/// The reading of one edge's interval (jitter, RTT, MOS statistics, and the loss as given or
/// its packets), or `None` when it has no figure at all.
fn reading(
    edge: EdgeKind,
    direction: Direction,
    [jitter, rtt, mos]: [Option<MinMaxAvg>; 3],
    loss_given: Option<f64>,
    lost: Option<i64>,
    received: Option<i64>,
) -> Option<Reading> {
    let reading = Reading {
        edge,
        direction,
        jitter_ms: jitter.and_then(figure),
        loss_pct: loss_pct(loss_given, lost, received),
        rtt_ms: rtt.and_then(figure),
        mos: mos.and_then(figure),
    };
    let any = reading.jitter_ms.is_some()
        || reading.loss_pct.is_some()
        || reading.rtt_ms.is_some()
        || reading.mos.is_some();
    any.then_some(reading)
}

/// The figure of a statistic for its interval: its `value`, else its `avg`, else its `max`;
/// only a finite, non-negative number counts.
fn figure(stat: MinMaxAvg) -> Option<f64> {
    [stat.value, stat.avg, stat.max]
        .into_iter()
        .flatten()
        .find(|v| v.is_finite() && *v >= 0.0)
}

/// The interval's packet loss in percent: `packets_loss_percentage` when given, else derived
/// from the interval's packets lost and received; `None` when neither tells.
fn loss_pct(given: Option<f64>, lost: Option<i64>, received: Option<i64>) -> Option<f64> {
    if let Some(pct) = given {
        return (pct.is_finite() && (0.0..=100.0).contains(&pct)).then_some(pct);
    }
    let lost = lost?;
    let received = received?;
    let total = lost.checked_add(received)?;
    (lost >= 0 && received >= 0 && total > 0).then(|| lost as f64 * 100.0 / total as f64)
}

/// What the listener reads of a call event's `data`: the fields callwatch uses; every other
/// key is skipped without allocating (the delivery's raw body is what `--record` keeps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventCore {
    /// When it happened (RFC 3339, raw).
    pub timestamp: Option<String>,
    /// `CA…`.
    pub call_sid: String,
    /// What happened, as it came.
    pub name: CompactString,
    /// The family (`call`, `network-quality-warning-raised`…).
    pub group: CompactString,
    /// UNKNOWN / DEBUG / INFO / WARNING / ERROR.
    pub level: EventLevel,
    /// `sdk_edge`, for its error.
    pub sdk_edge: SdkEdgeCore,
}

/// `sdk_edge` of a call event, as far as callwatch reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SdkEdgeCore {
    /// The SDK's error.
    pub error: Option<ErrorCore>,
}

/// `sdk_edge.error`, as far as callwatch reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorCore {
    /// The code (31xxx).
    pub code: Option<i64>,
    /// The SDK's message.
    pub message: Option<String>,
}

deserialize_keeping_unknown_keys! {
    ErrorCore as "struct SdkError" {
        code: Option<i64> = lenient_opt_i64,
        message: Option<String> = lenient_opt_string,
    } skip_unknown_keys
}

deserialize_keeping_unknown_keys! {
    SdkEdgeCore as "struct EventEdge" {
        error: Option<ErrorCore>,
    } skip_unknown_keys
}

deserialize_keeping_unknown_keys! {
    EventCore as "struct CallEvent" {
        timestamp: Option<String> = lenient_opt_string,
        call_sid: String = lenient_string,
        name: CompactString = lenient_compact_string,
        group: CompactString = lenient_compact_string,
        level: EventLevel,
        sdk_edge: SdkEdgeCore = null_as_default,
    } skip_unknown_keys
}

impl EventCore {
    /// The call state a progress event reports ([`progress_state`] of its name).
    pub fn progress_state(&self) -> Option<CallState> {
        progress_state(&self.name)
    }

    /// What this event says as an SDK event ([`CallEvent::sdk_signal`]).
    pub fn sdk_signal(&self) -> SdkSignal<'_> {
        let error = self.sdk_edge.error.as_ref();
        sdk_signal(
            &self.name,
            &self.group,
            &self.level,
            error.map(|e| (e.code, e.message.as_deref())),
        )
    }
}

/// What the listener reads of a quality sample's `data`: the figures of each edge's interval;
/// every other key is skipped without allocating.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricCore {
    /// The end of the 10 seconds it covers (RFC 3339, raw).
    pub timestamp: Option<String>,
    /// `CA…`.
    pub call_sid: String,
    /// inbound / outbound / both / unknown.
    pub direction: MetricDirection,
    /// Carrier gateway.
    pub carrier_edge: MetricEdgeCore,
    /// Client gateway.
    pub client_edge: MetricEdgeCore,
    /// SIP gateway.
    pub sip_edge: MetricEdgeCore,
    /// Voice SDK.
    pub sdk_edge: MetricEdgeCore,
}

/// One edge of a sample, as far as callwatch reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricEdgeCore {
    /// The sample's 10 seconds.
    pub interval: Option<IntervalCore>,
}

/// An edge's interval, as far as callwatch reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IntervalCore {
    /// Packets received.
    pub packets_received: Option<i64>,
    /// Packets lost.
    pub packets_lost: Option<i64>,
    /// Loss in percent, when given.
    pub packets_loss_percentage: Option<f64>,
    /// Jitter, ms.
    pub jitter: Option<MinMaxAvg>,
    /// Round-trip time, ms.
    pub rtt: Option<MinMaxAvg>,
    /// Mean opinion score.
    pub mos: Option<MinMaxAvg>,
}

deserialize_keeping_unknown_keys! {
    IntervalCore as "struct StreamMetrics" {
        packets_received: Option<i64> = lenient_opt_i64,
        packets_lost: Option<i64> = lenient_opt_i64,
        packets_loss_percentage: Option<f64> = lenient_opt_f64,
        jitter: Option<MinMaxAvg>,
        rtt: Option<MinMaxAvg>,
        mos: Option<MinMaxAvg>,
    } skip_unknown_keys
}

deserialize_keeping_unknown_keys! {
    MetricEdgeCore as "struct MetricEdge" {
        interval: Option<IntervalCore>,
    } skip_unknown_keys
}

deserialize_keeping_unknown_keys! {
    MetricCore as "struct CallMetric" {
        timestamp: Option<String> = lenient_opt_string,
        call_sid: String = lenient_string,
        direction: MetricDirection,
        carrier_edge: MetricEdgeCore = null_as_default,
        client_edge: MetricEdgeCore = null_as_default,
        sip_edge: MetricEdgeCore = null_as_default,
        sdk_edge: MetricEdgeCore = null_as_default,
    } skip_unknown_keys
}

impl MetricCore {
    /// One reading per edge whose interval has a figure ([`CallMetric::readings`]).
    pub fn readings(&self) -> Vec<Reading> {
        let direction = Direction::from(&self.direction);
        [
            (EdgeKind::Carrier, &self.carrier_edge),
            (EdgeKind::Sip, &self.sip_edge),
            (EdgeKind::Client, &self.client_edge),
            (EdgeKind::Sdk, &self.sdk_edge),
        ]
        .into_iter()
        .filter_map(|(edge, e)| {
            let i = e.interval?;
            reading(
                edge,
                direction,
                [i.jitter, i.rtt, i.mos],
                i.packets_loss_percentage,
                i.packets_lost,
                i.packets_received,
            )
        })
        .collect()
    }
}

/// The `data` of a live event, as the listener reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveData {
    /// A progress or SDK event.
    Event(Box<EventCore>),
    /// A quality sample.
    Metric(Box<MetricCore>),
}

impl LiveData {
    /// Reads `data` (the JSON text of an object) for `kind`.
    pub fn from_json(kind: LiveKind, json: &str) -> Result<Self, serde_json::Error> {
        Ok(if kind.is_metrics() {
            Self::Metric(Box::new(serde_json::from_str(json)?))
        } else {
            Self::Event(Box::new(serde_json::from_str(json)?))
        })
    }

    /// The call it is about.
    pub fn call_sid(&self) -> &str {
        match self {
            Self::Event(e) => &e.call_sid,
            Self::Metric(m) => &m.call_sid,
        }
    }

    /// Its own `timestamp`, raw.
    pub fn timestamp(&self) -> Option<&str> {
        match self {
            Self::Event(e) => e.timestamp.as_deref(),
            Self::Metric(m) => m.timestamp.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> CallEvent {
        serde_json::from_value(v).expect("call event")
    }

    fn metric(v: Value) -> CallMetric {
        serde_json::from_value(v).expect("call metric")
    }

    #[test]
    fn kinds_round_trip() {
        for kind in LiveKind::ALL {
            assert_eq!(LiveKind::from_event_type(kind.event_type()), Some(kind));
        }
        assert_eq!(
            LiveKind::from_event_type("com.twilio.voice.insights.call-summary.complete"),
            None
        );
        assert!(LiveKind::SdkMetrics.is_metrics());
        assert!(!LiveKind::SdkEvent.is_metrics());
    }

    #[test]
    fn progress_names_map_to_the_summary_vocabulary() {
        let cases = [
            ("initiated", Some(CallState::Ringing)),
            ("call.ringing", Some(CallState::Ringing)),
            ("CALL.RINGING", Some(CallState::Ringing)),
            ("answered", Some(CallState::Answered)),
            ("call.in-progress", Some(CallState::Answered)),
            ("in_progress", Some(CallState::Answered)),
            ("Completed", Some(CallState::Completed)),
            ("call.busy", Some(CallState::Busy)),
            ("no-answer", Some(CallState::NoAnswer)),
            ("call.no_answer", Some(CallState::NoAnswer)),
            ("failed", Some(CallState::Fail)),
            ("canceled", Some(CallState::Canceled)),
            ("call.connected", None),
            ("", None),
            ("sip.trying", None),
        ];
        for (name, want) in cases {
            assert_eq!(progress_state(name), want, "{name}");
        }
    }

    /// The docs' gateway event example (insights-live.md §1.1), whole: nothing lost.
    #[test]
    fn the_docs_call_event_example_reads_without_loss() {
        let v = json!({"timestamp": "2021-05-24T14:15:22Z", "call_sid": "CAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "account_sid": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "edge": "ashburn", "name": "call.connected",
            "group": "call", "level": "UNKNOWN",
            "carrier_edge": {"metadata": {"region": "us1", "twilio_ip": "172.0.0.130", "external_ip": "172.0.0.130", "edge_location": "ashburn"}},
            "client_edge": {"metadata": {"region": "us1"}},
            "sip_edge": {"metadata": {"region": "us1"}},
            "sdk_edge": {"error": {"code": 31600, "message": "Call failed due to network issues."},
                "feedback": {"score": 1, "reason": "excellent_audio"},
                "metric": {"threshold": 0.5, "values": [0.1]},
                "ice_candidate_pair": {"remote": {"type": "host", "protocol": "udp"}, "local": {"type": "host"}},
                "metadata": {"client_name": "MyVoiceApp", "location": {"lat": 20.95, "lon": -157.23},
                    "city": "San Francisco", "country_code": "US", "country_subdivision": "CA",
                    "ip_address": "172.0.0.130",
                    "sdk": {"type": "Voice", "version": "2.0.0", "platform": "iOS", "region": "us1",
                        "selected_region": "us1", "browser": {"name": "Chrome", "major": "89"}}}},
            "duration_in_seconds": 12});
        let e = event(v.clone());
        assert_eq!(e.edge, "ashburn");
        assert_eq!(e.level, EventLevel::Unknown);
        assert_eq!(
            e.sdk_signal(),
            SdkSignal::Error(Some(31600), Some("Call failed due to network issues."))
        );
        assert_eq!(serde_json::to_value(&e).expect("json"), v);
    }

    #[test]
    fn the_rest_sdk_event_example_is_an_error() {
        let e = event(
            json!({"edge": "sdk_edge", "name": "error", "group": "connection",
            "level": "ERROR", "sdk_edge": {"error": {"code": 31600}}, "call_sid": "CA1"}),
        );
        assert_eq!(e.sdk_signal(), SdkSignal::Error(Some(31600), None));
        let bare = event(json!({"name": "error", "level": "ERROR", "call_sid": "CA1"}));
        assert_eq!(bare.sdk_signal(), SdkSignal::Error(None, None));
    }

    #[test]
    fn warnings_raised_and_cleared_by_group() {
        let raised =
            event(json!({"name": "high-jitter", "group": "network-quality-warning-raised"}));
        assert_eq!(raised.sdk_signal(), SdkSignal::WarningRaised("high-jitter"));
        let cleared = event(
            json!({"name": "constant-audio-input-level", "group": "audio-level-warning-cleared"}),
        );
        assert_eq!(
            cleared.sdk_signal(),
            SdkSignal::WarningCleared("constant-audio-input-level")
        );
        let other =
            event(json!({"name": "feedback-received", "group": "feedback", "level": "INFO"}));
        assert_eq!(other.sdk_signal(), SdkSignal::Other);
    }

    #[test]
    fn hostile_and_missing_parts_are_tolerated() {
        let e = event(
            json!({"call_sid": 5, "name": null, "level": "LOUD", "sdk_edge": null,
            "carrier_edge": {"metadata": null, "error": {"code": "31005", "message": 7}}}),
        );
        assert_eq!(e.call_sid, "");
        assert_eq!(e.level, EventLevel::Other("LOUD".into()));
        let m =
            metric(json!({"direction": 3, "sdk_edge": {"interval": null}, "carrier_edge": null}));
        assert!(m.readings().is_empty());
        assert_eq!(m.direction, MetricDirection::default());
    }

    /// The docs' gateway sample (insights-live.md §1.2): loss given, jitter from `value`.
    #[test]
    fn the_docs_metric_example_reads_without_loss() {
        let v = json!({"timestamp": "2023-10-05T14:48:00.000Z", "call_sid": "CAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "account_sid": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "edge": "unknown_edge", "direction": "inbound",
            "carrier_edge": {"interval": {"codec": 0, "codec_name": "pcmu", "packets_received": 0, "packets_sent": 0,
                "packets_lost": 0, "packets_loss_percentage": 0.0,
                "jitter": {"min": 0.0, "max": 10.0, "avg": 5.0, "value": 3.0},
                "rtt": {"min": 0.0, "max": 10.0, "avg": 5.0, "value": 3.0},
                "mos": {"min": 0.0, "max": 10.0, "avg": 5.0, "value": 3.0},
                "audio_in": {"min": 0.0, "max": 10.0, "avg": 5.0, "value": 3.0},
                "audio_out": {"min": 0.0, "max": 10.0, "avg": 5.0, "value": 3.0},
                "latency": {"min": 0.0, "max": 10.0, "avg": 5.0, "value": 3.0},
                "bytes_received": 0, "bytes_sent": 0,
                "packet_delay_variation": {"d50": 20, "d70": 30, "d90": 40}},
                "metadata": {"region": "us1", "twilio_ip": "172.0.0.130"}}});
        let m = metric(v.clone());
        let readings = m.readings();
        assert_eq!(readings.len(), 1);
        let r = readings[0];
        assert_eq!(
            (r.edge, r.direction),
            (EdgeKind::Carrier, Direction::Inbound)
        );
        assert_eq!(
            (r.jitter_ms, r.loss_pct, r.rtt_ms, r.mos),
            (Some(3.0), Some(0.0), Some(3.0), Some(3.0))
        );
        assert_eq!(serde_json::to_value(&m).expect("json"), v);
    }

    /// The REST SDK sample: no loss percentage, so it comes from the interval's packets.
    #[test]
    fn loss_is_derived_from_packets_when_not_given() {
        let m = metric(
            json!({"edge": "sdk_edge", "direction": "both", "timestamp": "2019-10-07T22:32:06Z",
            "sdk_edge": {"interval": {"mos": {"value": 4.39}, "rtt": {"value": 81}, "jitter": {"value": 9},
                "audio_in": {"value": 81}, "audio_out": {"value": 5237}, "packets_lost": 2, "packets_received": 48},
                "cumulative": {"bytes_sent": 329425, "packets_lost": 0, "packets_sent": 3934,
                    "bytes_received": 547788, "packets_received": 3900}},
            "carrier_edge": null}),
        );
        let r = m.readings()[0];
        assert_eq!(r.edge, EdgeKind::Sdk);
        assert_eq!(r.direction, Direction::Both);
        assert_eq!(r.mos, Some(4.39));
        assert_eq!(r.rtt_ms, Some(81.0));
        assert_eq!(r.jitter_ms, Some(9.0));
        assert_eq!(r.loss_pct, Some(4.0));
        let none = metric(json!({"sdk_edge": {"interval": {"jitter": 4}}}));
        assert_eq!(
            none.readings()[0].loss_pct,
            None,
            "no packets: no loss figure"
        );
        let silent =
            metric(json!({"sdk_edge": {"interval": {"packets_lost": 0, "packets_received": 0}}}));
        assert!(silent.readings().is_empty(), "0 of 0 packets says nothing");
    }

    /// What the listener reads of every example equals what the full models say.
    #[test]
    fn the_cores_read_what_the_full_models_read() {
        let metrics = [
            json!({"direction": "inbound", "carrier_edge": {"interval": {"jitter": {"value": 3.0},
                "packets_loss_percentage": 0.5, "audio_in": {"value": 1}}, "metadata": {"x": 1}}}),
            json!({"direction": "both", "sdk_edge": {"interval": {"mos": {"value": 4.39}, "rtt": 81,
                "packets_lost": 2, "packets_received": 48}, "cumulative": {"packets_lost": 9}}}),
            json!({"sip_edge": null, "client_edge": {"interval": {"jitter": "x"}}}),
        ];
        for v in metrics {
            let full = metric(v.clone());
            let core: MetricCore = serde_json::from_value(v).expect("core");
            assert_eq!(core.readings(), full.readings());
        }
        let events = [
            json!({"name": "high-jitter", "group": "network-quality-warning-raised", "level": "WARNING"}),
            json!({"name": "error", "level": "ERROR", "sdk_edge": {"error": {"code": 31005, "message": "m"}, "metadata": {}}}),
            json!({"name": "call.ringing", "group": "call", "carrier_edge": {"metadata": {"region": "us1"}}}),
        ];
        for v in events {
            let full = event(v.clone());
            let core: EventCore = serde_json::from_value(v).expect("core");
            assert_eq!(core.sdk_signal(), full.sdk_signal());
            assert_eq!(core.progress_state(), full.progress_state());
        }
    }

    #[test]
    fn impossible_figures_are_not_read() {
        let m = metric(
            json!({"sip_edge": {"interval": {"jitter": -3, "packets_loss_percentage": 250.0,
            "mos": {"value": "NaN", "avg": 4.1}}}}),
        );
        let r = m.readings()[0];
        assert_eq!((r.jitter_ms, r.loss_pct, r.mos), (None, None, Some(4.1)));
    }
}
