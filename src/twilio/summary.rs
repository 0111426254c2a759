//! The typed Voice Insights `CallSummary` (docs/events.md, "The call summary"), read leniently:
//! every field is optional, `null` means "absent", unknown enum values and unknown keys are kept,
//! so a summary serializes back to what came in.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// Deserializes `T`, treating a JSON `null` as `T::default()`.
///
/// Use together with `#[serde(default)]` so that a missing key is the default too.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Deserializes an optional string leniently: a string is kept, anything else (null, a number,
/// an object…) is consumed and gives `None`.
pub(crate) fn lenient_opt_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientStr)
}

/// Like [`lenient_opt_string`] but absent and non-string values give `""`.
pub(crate) fn lenient_string<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient_opt_string(deserializer)?.unwrap_or_default())
}

/// Deserializes a list of strings leniently: non-string items are dropped, and anything that is
/// not a list (null included) gives an empty list.
pub(crate) fn lenient_string_vec<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientStrVec)
}

/// Deserializes an optional integer leniently: integers are kept, floats with no fractional part
/// and decimal strings are converted, anything else (null, `"abc"`, `1.5`, objects…) gives `None`.
pub(crate) fn lenient_opt_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientI64)
}

/// Like [`lenient_opt_i64`] but absent and unusable values give `0`.
pub(crate) fn lenient_i64<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient_opt_i64(deserializer)?.unwrap_or_default())
}

/// Deserializes an optional float leniently: numbers are kept, decimal strings are parsed,
/// anything else gives `None`.
pub(crate) fn lenient_opt_f64<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientF64)
}

/// [`lenient_opt_f64`] as a seed, for hand-written map visitors.
struct LenientF64Seed;

impl<'de> de::DeserializeSeed<'de> for LenientF64Seed {
    type Value = Option<f64>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        lenient_opt_f64(deserializer)
    }
}

/// Consumes the rest of a sequence without looking at it.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consumes the rest of a map without looking at it.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods of a lenient visitor for the input shapes it does not care
/// about (`unit` covers null/none, `some` unwraps an option), each returning `$fallback`.
macro_rules! lenient_fallbacks {
    ($fallback:expr; ) => {};
    ($fallback:expr; unit $(, $rest:ident)*) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; bool $(, $rest:ident)*) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; seq $(, $rest:ident)*) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok($fallback)
        }
        lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; map $(, $rest:ident)*) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map)?;
            Ok($fallback)
        }
        lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; str $(, $rest:ident)*) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; numbers $(, $rest:ident)*) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        lenient_fallbacks!($fallback; $($rest),*);
    };
}

/// Implements `Deserialize` for a struct of summary fields: each listed key is read into its
/// field (through the lenient function named after `=`, if any), a missing key leaves the
/// field's default, and every other key is kept in the struct's `extra` map.
///
/// This is what `#[serde(default)]` with a `#[serde(flatten)] extra` field does, without its
/// cost: serde's flatten first reads the whole object, nested objects included, into an
/// intermediate tree of owned values and then reads the fields out of that tree (reading a
/// 2 kB delivery into a `CallSummary` took 7.2 µs with it, 6.5 µs without).
///
/// Ending the invocation with `skip_unknown_keys` skips the other keys instead (the struct has
/// no `extra`): that reads a few fields of a large object without allocating for the rest.
/// `Type as "struct Name"` names the struct in error messages as `Name` would be.
macro_rules! deserialize_keeping_unknown_keys {
    ($ty:ident $(as $name:literal)? { $($field:ident : $field_ty:ty $(= $with:ident)?),* $(,)? } $($skip:ident)?) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $ty;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(deserialize_keeping_unknown_keys!(@name $ty $(as $name)?))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut out = $ty::default();
                        while let Some($crate::twilio::summary::ObjectKey(key)) = map.next_key()? {
                            match key.as_ref() {
                                $(stringify!($field) => {
                                    out.$field =
                                        deserialize_keeping_unknown_keys!(@value map, $field_ty $(, $with)?);
                                })*
                                _ => deserialize_keeping_unknown_keys!(@unknown map, out, key $($skip)?),
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(V)
            }
        }
    };
    (@name $ty:ident) => {
        concat!("struct ", stringify!($ty))
    };
    (@name $ty:ident as $name:literal) => {
        $name
    };
    (@unknown $map:ident, $out:ident, $key:ident) => {{
        let value: ::serde_json::Value = $map.next_value()?;
        $out.extra.insert($key.into_owned(), value);
    }};
    (@unknown $map:ident, $out:ident, $key:ident skip_unknown_keys) => {{
        $map.next_value::<::serde::de::IgnoredAny>()?;
    }};
    (@value $map:ident, $field_ty:ty) => {
        $map.next_value::<$field_ty>()?
    };
    (@value $map:ident, $field_ty:ty, $with:ident) => {{
        struct With;
        impl<'de> ::serde::de::DeserializeSeed<'de> for With {
            type Value = $field_ty;

            fn deserialize<D: ::serde::Deserializer<'de>>(self, d: D) -> Result<$field_ty, D::Error> {
                $with(d)
            }
        }
        $map.next_value_seed(With)?
    }};
}

pub(crate) use deserialize_keeping_unknown_keys;

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct ObjectKey<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for ObjectKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectKey<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ObjectKey(std::borrow::Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ObjectKey(std::borrow::Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ObjectKey(std::borrow::Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Visitor behind [`lenient_opt_string`].
struct LenientStr;

impl<'de> Visitor<'de> for LenientStr {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    lenient_fallbacks!(None; unit, bool, seq, map, numbers);
}

/// Visitor behind [`lenient_string_vec`].
struct LenientStrVec;

impl<'de> Visitor<'de> for LenientStrVec {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(item) = seq.next_element_seed(LenientStrSeed)? {
            out.extend(item);
        }
        Ok(out)
    }

    lenient_fallbacks!(Vec::new(); unit, bool, map, str, numbers);
}

/// [`lenient_opt_string`] as a seed, for hand-written sequence visitors.
pub(crate) struct LenientStrSeed;

impl<'de> de::DeserializeSeed<'de> for LenientStrSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        lenient_opt_string(deserializer)
    }
}

/// Like [`lenient_string`], into a [`compact_str::CompactString`] (no heap block for up to 24
/// bytes).
pub(crate) fn lenient_compact_string<'de, D>(
    deserializer: D,
) -> Result<compact_str::CompactString, D::Error>
where
    D: Deserializer<'de>,
{
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = compact_str::CompactString;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.into())
        }

        lenient_fallbacks!(compact_str::CompactString::default(); unit, bool, seq, map, numbers);
    }
    deserializer.deserialize_any(V)
}

/// Visitor behind [`lenient_opt_i64`].
struct LenientI64;

impl<'de> Visitor<'de> for LenientI64 {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Only whole numbers well inside the i64 range convert exactly.
        const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
        if v.fract() == 0.0 && v.abs() <= LIMIT {
            Ok(Some(v as i64))
        } else {
            Ok(None)
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<i64>().ok())
    }

    lenient_fallbacks!(None; unit, bool, seq, map);
}

/// Visitor behind [`lenient_opt_f64`].
struct LenientF64;

impl<'de> Visitor<'de> for LenientF64 {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
    }

    lenient_fallbacks!(None; unit, bool, seq, map);
}

/// Defines an "open" string enum: the known wire values as variants plus `Other(String)` for
/// anything else. `Default` is `Other("")`, meaning "absent"; it (de)serializes as the wire string,
/// and reading `null` or a non-string gives the default.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this build does not know, kept verbatim; `Other("")` means absent.
            Other(String),
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The wire string (for `Other`, the string it carries).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }

            /// The variant for a wire string; unknown strings become `Other`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }

            /// True for the default `Other("")`: the value was absent, null or not a string.
            pub fn is_absent(&self) -> bool {
                matches!(self, Self::Other(s) if s.is_empty())
            }

            /// True when the value is not one of the known variants (and not absent).
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Other(s) if !s.is_empty())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_wire(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from_wire(&s) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        Ok($name::from_wire(v))
                    }

                    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                        Ok($name::from(v))
                    }

                    lenient_fallbacks!($name::default(); unit, bool, seq, map, numbers);
                }
                deserializer.deserialize_any(V)
            }
        }
    };
}

open_enum! {
    /// `call_type`: what kind of call was summarized.
    pub enum CallType {
        /// A PSTN call.
        Carrier => "carrier",
        /// A SIP Interface / `<Dial><Sip>` call.
        Sip => "sip",
        /// An Elastic SIP Trunking call.
        Trunking => "trunking",
        /// A Voice SDK (client) call.
        Client => "client",
        /// A WhatsApp voice call.
        WhatsApp => "whatsapp",
    }
}

open_enum! {
    /// `call_state`: how far the call got.
    pub enum CallState {
        /// Still ringing (early partial summaries).
        Ringing => "ringing",
        /// Answered and ended normally.
        Completed => "completed",
        /// The callee was busy.
        Busy => "busy",
        /// The call failed (bad number, network…).
        Fail => "fail",
        /// Nobody answered.
        NoAnswer => "noanswer",
        /// The caller hung up before an answer.
        Canceled => "canceled",
        /// Answered and still in progress.
        Answered => "answered",
        /// Never dialed.
        Undialed => "undialed",
    }
}

impl CallState {
    /// True for the states a call cannot leave: completed, busy, fail, noanswer, canceled,
    /// undialed.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Busy
                | Self::Fail
                | Self::NoAnswer
                | Self::Canceled
                | Self::Undialed
        )
    }
}

open_enum! {
    /// `processing_state`: whether Twilio has finished assembling the summary.
    pub enum ProcessingState {
        /// Final.
        Complete => "complete",
        /// Still being assembled; `processing_version` increments with each update.
        Partial => "partial",
    }
}

open_enum! {
    /// `properties.direction`: the call direction from Twilio's point of view.
    pub enum Direction {
        /// Inbound to Twilio.
        Inbound => "inbound",
        /// Outbound, created through the REST API.
        OutboundApi => "outbound_api",
        /// Outbound, created by `<Dial>`.
        OutboundDial => "outbound_dial",
        /// Trunking, originating from the customer's PBX.
        TrunkingOriginating => "trunking_originating",
        /// Trunking, terminating to the customer's PBX.
        TrunkingTerminating => "trunking_terminating",
    }
}

open_enum! {
    /// `properties.disconnected_by`: which side sent the BYE.
    pub enum DisconnectedBy {
        /// The calling party hung up.
        Caller => "caller",
        /// The called party hung up.
        Callee => "callee",
        /// Not known (e.g. unanswered calls).
        UnknownDisconnectedBy => "unknown_disconnected_by",
    }
}

open_enum! {
    /// `from.connection` / `to.connection`: the kind of line of a party.
    pub enum Connection {
        /// A mobile number.
        Mobile => "mobile",
        /// A landline number.
        Landline => "landline",
        /// A VoIP number.
        Voip => "voip",
        /// A Twilio Voice SDK client.
        TwilioSdk => "twilio_sdk",
        /// A SIP Interface endpoint.
        SipInterface => "sip_interface",
        /// The PSTN, line type unknown.
        Pstn => "pstn",
        /// A SIP trunk.
        SipTrunk => "sip_trunk",
    }
}

/// A Voice Insights call summary: the `data` of a `com.twilio.voice.insights.call-summary.*`
/// event, or one item of the REST `call_summaries` list (docs/events.md, "Top-level fields").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallSummary {
    /// `CA…` SID of the call.
    pub call_sid: String,
    /// `AC…` SID of the account that owns the call.
    pub account_sid: String,
    /// SID of the parent call, `""` when none.
    pub parent_call_sid: String,
    /// Parent account SID for calls placed by subaccounts, `""` when none.
    pub parent_account_sid: String,
    /// Kind of call.
    pub call_type: CallType,
    /// How far the call got.
    pub call_state: CallState,
    /// Answering-machine-detection result (`human`, `machine_start`…), raw.
    pub answered_by: Option<String>,
    /// Whether the summary is final.
    pub processing_state: ProcessingState,
    /// Increments while the summary is partial.
    pub processing_version: Option<i64>,
    /// When the call was created (RFC 3339, raw).
    pub created_time: Option<String>,
    /// When the call started (RFC 3339, raw).
    pub start_time: Option<String>,
    /// When the call ended (RFC 3339, raw).
    pub end_time: Option<String>,
    /// Seconds from initiation to end.
    pub duration: Option<i64>,
    /// Seconds from answer to end.
    pub connect_duration: Option<i64>,
    /// The calling party.
    pub from: Endpoint,
    /// The called party.
    pub to: Endpoint,
    /// Twilio media gateway of a PSTN call.
    pub carrier_edge: Option<Box<Edge>>,
    /// Twilio media gateway of a client call.
    pub client_edge: Option<Box<Edge>>,
    /// The Voice SDK side of a client call.
    pub sdk_edge: Option<Box<Edge>>,
    /// Twilio media gateway of a SIP Interface or trunking call.
    pub sip_edge: Option<Box<Edge>>,
    /// Quality tags (`high_jitter`, `silence`…); open-ended. Non-string items are dropped.
    pub tags: Vec<String>,
    /// Call-flow details such as `conference_participant`.
    pub attributes: Option<Map<String, Value>>,
    /// Edge-agnostic call-level details.
    pub properties: Properties,
    /// Trusted-communications details (verified caller, branded call…), raw.
    pub trust: Option<Value>,
    /// Annotation added through the API, usually absent in events.
    pub annotation: Option<Annotation>,
    /// REST resource URL (REST only).
    pub url: Option<String>,
    /// Keys this build does not know, kept so they serialize back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    CallSummary {
        call_sid: String = lenient_string,
        account_sid: String = lenient_string,
        parent_call_sid: String = lenient_string,
        parent_account_sid: String = lenient_string,
        call_type: CallType,
        call_state: CallState,
        answered_by: Option<String> = lenient_opt_string,
        processing_state: ProcessingState,
        processing_version: Option<i64> = lenient_opt_i64,
        created_time: Option<String> = lenient_opt_string,
        start_time: Option<String> = lenient_opt_string,
        end_time: Option<String> = lenient_opt_string,
        duration: Option<i64> = lenient_opt_i64,
        connect_duration: Option<i64> = lenient_opt_i64,
        from: Endpoint = null_as_default,
        to: Endpoint = null_as_default,
        carrier_edge: Option<Box<Edge>>,
        client_edge: Option<Box<Edge>>,
        sdk_edge: Option<Box<Edge>>,
        sip_edge: Option<Box<Edge>>,
        tags: Vec<String> = lenient_string_vec,
        attributes: Option<Map<String, Value>>,
        properties: Properties = null_as_default,
        trust: Option<Value>,
        annotation: Option<Annotation>,
        url: Option<String> = lenient_opt_string,
    }
}

impl CallSummary {
    /// Reads a summary from the JSON text of an event's `data` (as kept on arrival), or says
    /// why it cannot be read.
    pub fn from_json(json: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(json).map_err(|e| e.to_string())
    }

    /// The edges present in this summary, labelled `"carrier"`, `"sip"`, `"client"`, `"sdk"`
    /// (in that order).
    pub fn edges(&self) -> Vec<(&'static str, &Edge)> {
        [
            ("carrier", &self.carrier_edge),
            ("sip", &self.sip_edge),
            ("client", &self.client_edge),
            ("sdk", &self.sdk_edge),
        ]
        .into_iter()
        .filter_map(|(name, edge)| edge.as_deref().map(|e| (name, e)))
        .collect()
    }
}

/// One party of the call: `from` or `to` (docs/events.md, "`from` and `to`").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Endpoint {
    /// Caller ID of the calling party.
    pub caller: String,
    /// Dialed destination.
    pub callee: String,
    /// Serving carrier.
    pub carrier: String,
    /// E.164 country code plus three digits.
    pub number_prefix: String,
    /// City from lat/long or IP address.
    pub city: String,
    /// Two-letter ISO country code.
    pub country_code: String,
    /// State / region, e.g. "California".
    pub country_subdivision: String,
    /// Public IP of a client user.
    pub ip_address: String,
    /// Kind of line.
    pub connection: Connection,
    /// Lat/long of the number prefix.
    pub location: Option<Location>,
    /// SDK details for client parties, raw.
    pub sdk: Option<Value>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Endpoint {
        caller: String = lenient_string,
        callee: String = lenient_string,
        carrier: String = lenient_string,
        number_prefix: String = lenient_string,
        city: String = lenient_string,
        country_code: String = lenient_string,
        country_subdivision: String = lenient_string,
        ip_address: String = lenient_string,
        connection: Connection,
        location: Option<Location>,
        sdk: Option<Value>,
    }
}

/// A latitude/longitude pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    /// Latitude in degrees.
    #[serde(deserialize_with = "null_as_default")]
    pub lat: f64,
    /// Longitude in degrees.
    #[serde(deserialize_with = "null_as_default")]
    pub lon: f64,
}

/// Edge-agnostic call-level `properties` (docs/events.md, "`properties`").
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Properties {
    /// Call direction.
    pub direction: Direction,
    /// Which side hung up.
    pub disconnected_by: DisconnectedBy,
    /// Last SIP final response code; 0 when unknown.
    pub last_sip_response_num: i64,
    /// Post-dial delay in ms.
    pub pdd_ms: Option<i64>,
    /// Q.850 cause; 0 when unknown.
    pub q850_cause: i64,
    /// Ms between call creation and start (v2).
    pub queue_time: Option<i64>,
    /// v1 event: route id.
    pub route_id: String,
    /// v1 event: media region (`us1`, `unknown_realm`…).
    pub media_region: String,
    /// v1 event: signaling region.
    pub signaling_region: String,
    /// v1 event: selected region.
    pub selected_region: String,
    /// v1 event: region.
    pub region: String,
    /// v1 event: Twilio media IP.
    pub twilio_media_ip: String,
    /// v1 event: Twilio signaling IP.
    pub twilio_signaling_ip: String,
    /// v1 event: external media IP.
    pub external_media_ip: String,
    /// v1 event: external signaling IP.
    pub external_signaling_ip: String,
    /// v1 event: SIP Call-ID.
    pub sip_call_id: String,
    /// v1 event: SIP User-Agent.
    pub user_agent: String,
    /// v1 event: trunk SID.
    pub trunk_sid: String,
    /// v1 event: settings object, raw.
    pub settings: Option<Value>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Properties {
        direction: Direction,
        disconnected_by: DisconnectedBy,
        last_sip_response_num: i64 = lenient_i64,
        pdd_ms: Option<i64> = lenient_opt_i64,
        q850_cause: i64 = lenient_i64,
        queue_time: Option<i64> = lenient_opt_i64,
        route_id: String = lenient_string,
        media_region: String = lenient_string,
        signaling_region: String = lenient_string,
        selected_region: String = lenient_string,
        region: String = lenient_string,
        twilio_media_ip: String = lenient_string,
        twilio_signaling_ip: String = lenient_string,
        external_media_ip: String = lenient_string,
        external_signaling_ip: String = lenient_string,
        sip_call_id: String = lenient_string,
        user_agent: String = lenient_string,
        trunk_sid: String = lenient_string,
        settings: Option<Value>,
    }
}

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

/// A call annotation (docs/events.md, "Annotation"); usually absent in events.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Annotation {
    /// Account SID.
    pub account_sid: Option<String>,
    /// Call SID.
    pub call_sid: Option<String>,
    /// `unknown_answered_by`, `human` or `machine`.
    pub answered_by: Option<String>,
    /// `invalid_number`, `dropped_call`…
    pub connectivity_issue: Option<String>,
    /// `choppy_robotic`, `echo`…
    pub quality_issues: Option<Vec<String>>,
    /// Marked as spam.
    pub spam: Option<bool>,
    /// Score 1–5.
    pub call_score: Option<i64>,
    /// Free-text comment.
    pub comment: Option<String>,
    /// Incident reference.
    pub incident: Option<String>,
    /// Resource URL.
    pub url: Option<String>,
    /// Keys this build does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

deserialize_keeping_unknown_keys! {
    Annotation {
        account_sid: Option<String> = lenient_opt_string,
        call_sid: Option<String> = lenient_opt_string,
        answered_by: Option<String> = lenient_opt_string,
        connectivity_issue: Option<String> = lenient_opt_string,
        quality_issues: Option<Vec<String>>,
        spam: Option<bool>,
        call_score: Option<i64> = lenient_opt_i64,
        comment: Option<String> = lenient_opt_string,
        incident: Option<String> = lenient_opt_string,
        url: Option<String> = lenient_opt_string,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `data` of the webhook-quickstart predicted-complete example, decoded.
    fn v1_event_data() -> Value {
        json!({
            "call_sid": "CA00000000000000000000000000000000",
            "account_sid": "AC00000000000000000000000000000000",
            "parent_call_sid": "", "parent_account_sid": "",
            "start_time": "2020-07-23T22:56:28Z", "end_time": "2020-07-23T22:56:33Z",
            "duration": 0, "connect_duration": 0,
            "call_type": "client", "call_state": "canceled",
            "from": {"caller": "+55555555", "callee": "", "carrier": "MEGA:CORP",
                     "connection": "landline", "number_prefix": "5555",
                     "location": {"lat": 0.0, "lon": -0.0}, "city": "", "country_code": "US",
                     "country_subdivision": "", "ip_address": "", "sdk": null},
            "to": {"caller": "", "callee": "client:SOMECLIENT", "carrier": "",
                   "connection": "twilio_sdk", "number_prefix": "", "location": null, "city": "",
                   "country_code": "", "country_subdivision": "", "ip_address": "", "sdk": null},
            "processing_state": "partial", "processing_version": 1,
            "sip_edge": null, "carrier_edge": null, "sdk_edge": null, "client_edge": null,
            "tags": [], "attributes": null,
            "properties": {"q850_cause": 0, "last_sip_response_num": 0, "pdd_ms": 0,
                           "route_id": "", "media_region": "unknown_realm",
                           "signaling_region": "unknown_realm", "twilio_media_ip": "",
                           "twilio_signaling_ip": "", "external_media_ip": "",
                           "external_signaling_ip": "", "sip_call_id": "", "user_agent": "",
                           "selected_region": "unknown_realm", "region": "unknown_realm",
                           "trunk_sid": "", "disconnected_by": "unknown_disconnected_by",
                           "direction": "outbound_api", "settings": null}
        })
    }

    fn read(v: Value) -> CallSummary {
        match CallSummary::deserialize(v) {
            Ok(s) => s,
            Err(e) => panic!("summary did not parse: {e}"),
        }
    }

    fn round_trip(s: &CallSummary) -> CallSummary {
        let text = serde_json::to_string(s).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn open_enum_wire_names() {
        for v in CallType::KNOWN {
            assert_eq!(&CallType::from_wire(v.as_str()), v);
        }
        for v in CallState::KNOWN {
            assert_eq!(&CallState::from_wire(v.as_str()), v);
        }
        for v in ProcessingState::KNOWN {
            assert_eq!(&ProcessingState::from_wire(v.as_str()), v);
        }
        for v in Direction::KNOWN {
            assert_eq!(&Direction::from_wire(v.as_str()), v);
        }
        for v in DisconnectedBy::KNOWN {
            assert_eq!(&DisconnectedBy::from_wire(v.as_str()), v);
        }
        for v in Connection::KNOWN {
            assert_eq!(&Connection::from_wire(v.as_str()), v);
        }
        assert_eq!(CallType::KNOWN.len(), 5);
        assert_eq!(CallState::KNOWN.len(), 8);
        assert_eq!(Direction::KNOWN.len(), 5);
        assert_eq!(Connection::KNOWN.len(), 7);
        assert_eq!(CallState::NoAnswer.as_str(), "noanswer");
        assert_eq!(Direction::OutboundApi.as_str(), "outbound_api");
        assert_eq!(
            DisconnectedBy::UnknownDisconnectedBy.as_str(),
            "unknown_disconnected_by"
        );
        assert_eq!(Connection::TwilioSdk.to_string(), "twilio_sdk");
        assert_eq!(CallType::from("whatsapp"), CallType::WhatsApp);
        assert_eq!(
            CallType::from(String::from("fax")),
            CallType::Other("fax".into())
        );
    }

    #[test]
    fn open_enum_default_and_unknown() {
        let absent = CallState::default();
        assert_eq!(absent, CallState::Other(String::new()));
        assert!(absent.is_absent() && !absent.is_unknown());
        assert_eq!(absent.as_str(), "");
        let odd = CallState::from_wire("exploded");
        assert!(odd.is_unknown() && !odd.is_absent());
        assert_eq!(odd.to_string(), "exploded");
        assert_eq!(serde_json::to_value(&odd).unwrap(), json!("exploded"));
        assert!(!CallState::Completed.is_absent());
    }

    #[test]
    fn open_enum_deserialize_is_lenient() {
        let cases = [
            (json!("busy"), CallState::Busy),
            (json!("exploded"), CallState::Other("exploded".into())),
            (json!(""), CallState::default()),
            (json!(null), CallState::default()),
            (json!(3), CallState::default()),
            (json!(true), CallState::default()),
            (json!([1, "busy"]), CallState::default()),
            (json!({"state": "busy"}), CallState::default()),
        ];
        for (input, want) in cases {
            assert_eq!(
                CallState::deserialize(input.clone()).unwrap(),
                want,
                "{input}"
            );
            // Also from text, through serde_json's streaming deserializer.
            let got: CallState = serde_json::from_str(&input.to_string()).unwrap();
            assert_eq!(got, want, "{input} from text");
        }
        // Inside a struct, a non-string value is consumed completely and parsing continues.
        let s = read(json!({"call_state": {"a": [1, 2]}, "call_sid": "CA1"}));
        assert!(s.call_state.is_absent());
        assert_eq!(s.call_sid, "CA1");
    }

    #[test]
    fn call_state_is_final() {
        use CallState::*;
        for s in [Completed, Busy, Fail, NoAnswer, Canceled, Undialed] {
            assert!(s.is_final(), "{s}");
        }
        for s in [
            Ringing,
            Answered,
            Other("exploded".into()),
            CallState::default(),
        ] {
            assert!(!s.is_final(), "{s}");
        }
    }

    #[test]
    fn reads_v1_event_data() {
        let s = read(v1_event_data());
        assert_eq!(s.call_sid, "CA00000000000000000000000000000000");
        assert_eq!(s.account_sid, "AC00000000000000000000000000000000");
        assert_eq!(s.parent_call_sid, "");
        assert_eq!(s.call_type, CallType::Client);
        assert_eq!(s.call_state, CallState::Canceled);
        assert_eq!(s.processing_state, ProcessingState::Partial);
        assert_eq!(s.processing_version, Some(1));
        assert_eq!(s.start_time.as_deref(), Some("2020-07-23T22:56:28Z"));
        assert_eq!(s.created_time, None);
        assert_eq!(s.duration, Some(0));
        assert_eq!(s.from.caller, "+55555555");
        assert_eq!(s.from.carrier, "MEGA:CORP");
        assert_eq!(s.from.connection, Connection::Landline);
        assert_eq!(s.from.location, Some(Location { lat: 0.0, lon: 0.0 }));
        assert_eq!(s.to.callee, "client:SOMECLIENT");
        assert_eq!(s.to.connection, Connection::TwilioSdk);
        assert_eq!(s.to.location, None);
        assert_eq!(s.to.sdk, None);
        assert!(s.edges().is_empty());
        assert!(s.tags.is_empty());
        assert_eq!(s.attributes, None);
        assert_eq!(s.properties.direction, Direction::OutboundApi);
        assert_eq!(
            s.properties.disconnected_by,
            DisconnectedBy::UnknownDisconnectedBy
        );
        assert_eq!(s.properties.q850_cause, 0);
        assert_eq!(s.properties.last_sip_response_num, 0);
        assert_eq!(s.properties.pdd_ms, Some(0));
        assert_eq!(s.properties.queue_time, None);
        assert_eq!(s.properties.media_region, "unknown_realm");
        assert_eq!(s.properties.region, "unknown_realm");
        assert_eq!(s.properties.settings, None);
        assert!(s.properties.extra.is_empty());
        assert!(s.extra.is_empty());
        assert!(s.from.extra.is_empty());
        assert_eq!(round_trip(&s), s);
    }

    #[test]
    fn nulls_everywhere_are_defaults() {
        let mut data = Map::new();
        for key in [
            "call_sid",
            "account_sid",
            "parent_call_sid",
            "parent_account_sid",
            "call_type",
            "call_state",
            "answered_by",
            "processing_state",
            "processing_version",
            "created_time",
            "start_time",
            "end_time",
            "duration",
            "connect_duration",
            "from",
            "to",
            "carrier_edge",
            "client_edge",
            "sdk_edge",
            "sip_edge",
            "tags",
            "attributes",
            "properties",
            "trust",
            "annotation",
            "url",
        ] {
            data.insert(key.to_owned(), Value::Null);
        }
        let s = read(Value::Object(data));
        assert_eq!(s, CallSummary::default());
        assert!(
            s.extra.is_empty(),
            "known keys must not land in extra: {:?}",
            s.extra
        );

        let nested = read(json!({
            "from": {"caller": null, "connection": null, "location": null, "sdk": null},
            "properties": {"direction": null, "last_sip_response_num": null, "q850_cause": null,
                           "pdd_ms": null, "route_id": null, "settings": null},
            "carrier_edge": {"properties": null, "metrics": {"inbound": null,
                "outbound": {"codec": null, "jitter": null, "packets_loss_percentage": null}}},
            "annotation": {"spam": null, "quality_issues": null}
        }));
        assert_eq!(nested.from, Endpoint::default());
        assert_eq!(nested.properties, Properties::default());
        let edge = nested.carrier_edge.as_ref().unwrap();
        assert_eq!(edge.properties, None);
        let metrics = edge.metrics.as_ref().unwrap();
        assert_eq!(metrics.inbound, None);
        assert_eq!(metrics.outbound, Some(StreamMetrics::default()));
        assert_eq!(nested.annotation, Some(Annotation::default()));
        assert_eq!(round_trip(&nested), nested);
    }

    #[test]
    fn empty_object_and_default_round_trip() {
        assert_eq!(read(json!({})), CallSummary::default());
        let d = CallSummary::default();
        assert_eq!(round_trip(&d), d);
    }

    #[test]
    fn keys_read_from_text_behave_as_from_values() {
        // From bytes, keys are borrowed from the input unless they hold escapes; both must
        // land in the same place, and a key this build knows must never end up in `extra`.
        let text = r#"{"call_sid": "CA1", "c\u0061ll_state": "busy", "n\u00e9w": 1,
            "annotation": {"comment": "hi", "colour": "red"},
            "from": {"carrier": "Voda", "carrier_id": 7}}"#;
        let s: CallSummary = serde_json::from_str(text).unwrap();
        assert_eq!(s.call_sid, "CA1");
        assert_eq!(s.call_state, CallState::Busy);
        assert_eq!(s.extra.get("n\u{e9}w"), Some(&json!(1)));
        assert_eq!(s.extra.len(), 1);
        let annotation = s.annotation.as_ref().unwrap();
        assert_eq!(annotation.comment.as_deref(), Some("hi"));
        assert_eq!(annotation.extra.get("colour"), Some(&json!("red")));
        assert_eq!(s.from.carrier, "Voda");
        assert_eq!(s.from.extra.get("carrier_id"), Some(&json!(7)));
        let again: CallSummary = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        // Not an object where one is required: an error naming the struct, as before.
        let err = serde_json::from_str::<CallSummary>(r#"{"from": "somewhere"}"#).unwrap_err();
        assert!(err.to_string().contains("struct Endpoint"), "{err}");
    }

    #[test]
    fn unknown_values_and_keys_are_kept() {
        let mut data = v1_event_data();
        data["call_state"] = json!("exploded");
        data["brand_new"] = json!({"x": [1, 2]});
        data["from"]["hologram"] = json!(true);
        data["properties"]["direction"] = json!("sideways");
        data["properties"]["edge_location"] = json!("ashburn");
        data["sdk_edge"] = json!({
            "properties": {"direction": "outbound", "settings": {"dscp": true}},
            "events": {"levels": {}, "groups": {}, "errors": {}, "feedback": {}},
            "metrics": {
                "inbound": {"audio_out": {"max": 1, "avg": 0.5}, "mos": {"avg": 4.3, "min": 4.1},
                            "rtt": {"max": 120, "avg": 80}},
                "outbound": {"codec_name": "opus"},
                "summary": {"n": 1}
            }
        });
        let s = read(data);
        assert_eq!(s.call_state, CallState::Other("exploded".into()));
        assert_eq!(s.extra.get("brand_new"), Some(&json!({"x": [1, 2]})));
        assert_eq!(s.from.extra.get("hologram"), Some(&json!(true)));
        assert_eq!(s.properties.direction, Direction::Other("sideways".into()));
        assert_eq!(
            s.properties.extra.get("edge_location"),
            Some(&json!("ashburn"))
        );
        let sdk = s.sdk_edge.as_ref().unwrap();
        assert!(sdk.extra.contains_key("events"));
        assert_eq!(sdk.property_str("direction"), Some("outbound"));
        let m = sdk.metrics.as_ref().unwrap();
        assert!(m.extra.contains_key("summary"));
        let inbound = m.inbound.as_ref().unwrap();
        assert!(inbound.extra.contains_key("audio_out"));
        assert_eq!(inbound.mos.unwrap().avg, Some(4.3));
        assert_eq!(inbound.mos.unwrap().min, Some(4.1));
        assert_eq!(inbound.rtt.unwrap().max, Some(120.0));
        assert_eq!(
            s.edges().iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            ["sdk"]
        );

        let out = serde_json::to_value(&s).unwrap();
        assert_eq!(out["call_state"], json!("exploded"));
        assert_eq!(out["brand_new"], json!({"x": [1, 2]}));
        assert_eq!(out["from"]["hologram"], json!(true));
        assert_eq!(out["properties"]["direction"], json!("sideways"));
        assert_eq!(out["properties"]["edge_location"], json!("ashburn"));
        assert_eq!(out["sdk_edge"]["events"]["feedback"], json!({}));
        assert_eq!(
            out["sdk_edge"]["metrics"]["inbound"]["audio_out"]["avg"],
            json!(0.5)
        );
        assert_eq!(round_trip(&s), s);
    }

    #[test]
    fn lenient_scalars() {
        let s = read(json!({
            "call_sid": 12,
            "duration": "12",
            "connect_duration": 11.0,
            "processing_version": 1.5,
            "answered_by": false,
            "tags": ["high_jitter", 3, null, "silence"],
            "properties": {"q850_cause": "16", "last_sip_response_num": "abc", "pdd_ms": 18446744073709551615u64},
            "client_edge": {"metrics": {"inbound": {"jitter": 2, "latency": "fast",
                                                     "packets_loss_percentage": "1.5",
                                                     "mos": {"avg": "4.2", "max": null}}}}
        }));
        assert_eq!(s.call_sid, "");
        assert_eq!(s.duration, Some(12));
        assert_eq!(s.connect_duration, Some(11));
        assert_eq!(s.processing_version, None);
        assert_eq!(s.answered_by, None);
        assert_eq!(s.tags, ["high_jitter", "silence"]);
        assert_eq!(s.properties.q850_cause, 16);
        assert_eq!(s.properties.last_sip_response_num, 0);
        assert_eq!(s.properties.pdd_ms, None);
        let inbound = s
            .client_edge
            .as_ref()
            .unwrap()
            .metrics
            .as_ref()
            .unwrap()
            .inbound
            .clone()
            .unwrap();
        assert_eq!(
            inbound.jitter,
            Some(MinMaxAvg {
                value: Some(2.0),
                ..MinMaxAvg::default()
            })
        );
        assert_eq!(inbound.latency, Some(MinMaxAvg::default()));
        assert_eq!(inbound.packets_loss_percentage, Some(1.5));
        assert_eq!(inbound.mos.unwrap().avg, Some(4.2));
        assert_eq!(read(json!({"tags": "silence"})).tags, Vec::<String>::new());
        assert_eq!(round_trip(&s), s);
    }

    #[test]
    fn edges_in_fixed_order() {
        let s =
            read(json!({"sdk_edge": {}, "carrier_edge": {}, "client_edge": null, "sip_edge": {}}));
        let names: Vec<_> = s.edges().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["carrier", "sip", "sdk"]);
    }

    #[test]
    fn wrong_structure_is_an_error() {
        assert!(CallSummary::deserialize(json!({"carrier_edge": "nope"})).is_err());
        assert!(CallSummary::deserialize(json!({"from": [1]})).is_err());
        assert!(CallSummary::deserialize(json!([1])).is_err());
    }
}
