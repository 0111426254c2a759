//! The edges of a call summary (`carrier_edge`, `sip_edge`, `client_edge`, `sdk_edge`) and
//! their media metrics per direction, read leniently like the rest of the summary.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::{
    LenientF64Seed, deserialize_keeping_unknown_keys, lenient_fallbacks, lenient_opt_f64,
    lenient_opt_i64, lenient_opt_string,
};

/// One edge (`carrier_edge`, `sip_edge`, `client_edge`, `sdk_edge`; docs/events.md, "Edges").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Edge {
    /// Edge properties (regions, IPs, `edge_location`, media `direction`…); the keys vary.
    pub properties: Option<Map<String, Value>>,
    /// Media metrics per direction.
    pub metrics: Option<EdgeMetrics>,
    /// Keys this build does not know (e.g. `sdk_edge.events`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Edge {
        properties: Option<Map<String, Value>>,
        metrics: Option<EdgeMetrics>,
    }
}

impl Edge {
    /// A string edge property such as `"edge_location"` or `"media_region"`.
    pub fn property_str(&self, key: &str) -> Option<&str> {
        self.properties.as_ref()?.get(key)?.as_str()
    }
}

/// `metrics` of an edge; either direction may be absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EdgeMetrics {
    /// Media received by Twilio at this edge.
    pub inbound: Option<StreamMetrics>,
    /// Media sent by Twilio at this edge.
    pub outbound: Option<StreamMetrics>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    EdgeMetrics {
        inbound: Option<StreamMetrics>,
        outbound: Option<StreamMetrics>,
    }
}

/// Metrics of one media stream direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamMetrics {
    /// RTP payload type.
    pub codec: Option<i64>,
    /// Codec name, e.g. `pcmu`.
    pub codec_name: Option<String>,
    /// Packets received (inbound).
    pub packets_received: Option<i64>,
    /// Packets sent (outbound).
    pub packets_sent: Option<i64>,
    /// Packets lost.
    pub packets_lost: Option<i64>,
    /// Packet loss in percent.
    pub packets_loss_percentage: Option<f64>,
    /// Jitter in ms.
    pub jitter: Option<MinMaxAvg>,
    /// Latency (unit unverified).
    pub latency: Option<MinMaxAvg>,
    /// Mean opinion score (SDK).
    pub mos: Option<MinMaxAvg>,
    /// Round-trip time in ms (SDK).
    pub rtt: Option<MinMaxAvg>,
    /// Keys this build does not know (e.g. SDK `audio_in`/`audio_out`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    StreamMetrics {
        codec: Option<i64> = lenient_opt_i64,
        codec_name: Option<String> = lenient_opt_string,
        packets_received: Option<i64> = lenient_opt_i64,
        packets_sent: Option<i64> = lenient_opt_i64,
        packets_lost: Option<i64> = lenient_opt_i64,
        packets_loss_percentage: Option<f64> = lenient_opt_f64,
        jitter: Option<MinMaxAvg>,
        latency: Option<MinMaxAvg>,
        mos: Option<MinMaxAvg>,
        rtt: Option<MinMaxAvg>,
    }
}

/// A `{max, avg, min, value}` statistic; any part may be absent. A bare number is read as
/// `value`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MinMaxAvg {
    /// Maximum.
    pub max: Option<f64>,
    /// Average.
    pub avg: Option<f64>,
    /// Minimum.
    pub min: Option<f64>,
    /// Single / latest value.
    pub value: Option<f64>,
}

impl<'de> Deserialize<'de> for MinMaxAvg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MinMaxAvg;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of max/avg/min/value numbers, or a number")
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(MinMaxAvg {
                    value: Some(v),
                    ..MinMaxAvg::default()
                })
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = MinMaxAvg::default();
                while let Some(key) = map.next_key::<MinMaxAvgKey>()? {
                    let slot = match key {
                        MinMaxAvgKey::Max => &mut out.max,
                        MinMaxAvgKey::Avg => &mut out.avg,
                        MinMaxAvgKey::Min => &mut out.min,
                        MinMaxAvgKey::Value => &mut out.value,
                        MinMaxAvgKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value_seed(LenientF64Seed)?;
                }
                Ok(out)
            }

            lenient_fallbacks!(MinMaxAvg::default(); unit, bool, seq, str);
        }
        deserializer.deserialize_any(V)
    }
}

/// Keys of a [`MinMaxAvg`] object.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum MinMaxAvgKey {
    Max,
    Avg,
    Min,
    Value,
    #[serde(other)]
    Other,
}
