//! The one pass over a delivery body's bytes: serde visitors that read each CloudEvent's
//! envelope and, knowing its `type` by then, its `data` straight into what callwatch keeps (a
//! summary's core and text, a test id, nothing for other types), whether `data` is an object
//! or a JSON-encoded string of one. [`parse_delivery`] is the entry point.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::super::summary::LenientStrSeed;
use super::LiveEvent;
use super::{DeliveredEvent, DeliveryParseError, SummaryEvent, SummaryKind, TEST_EVENT_TYPE};
use crate::twilio::live::{LiveData, LiveKind};
use crate::twilio::summary_core::SummaryCore;

/// Where a `data` value goes, decided by the `type` seen before it in the same object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A call-summary type: read a `CallSummary`.
    Summary,
    /// A live Call Insights type: read a `CallEvent` or `CallMetric`.
    Live(LiveKind),
    /// The test-event type: read `test_id`.
    Test,
    /// Any other type: skip `data` without building anything.
    Skip,
    /// No `type` yet (it comes after `data`): keep `data` as a `Value` and decide later.
    Unknown,
}

impl Target {
    /// The target for a known CloudEvent `type`.
    fn for_type(event_type: &str) -> Self {
        if SummaryKind::from_event_type(event_type).is_some() {
            Self::Summary
        } else if let Some(kind) = LiveKind::from_event_type(event_type) {
            Self::Live(kind)
        } else if event_type == TEST_EVENT_TYPE {
            Self::Test
        } else {
            Self::Skip
        }
    }
}

/// A call summary as the listener reads it: the fields the table needs, and the whole text.
struct SummaryData {
    core: SummaryCore,
    json: Box<str>,
}

/// An event's `data`, read according to its `Target`.
enum Data {
    /// Absent or `null`.
    Missing,
    /// A call summary's core and text, from an object or an encoded string.
    Summary(Box<SummaryData>),
    /// A live event's data.
    Live(LiveData),
    /// A test event's `test_id`.
    TestId(String),
    /// Unusable for its event type; the problem, for `BadData`.
    Problem(String),
    /// Skipped (not a type we read).
    Skipped,
    /// Read before the `type` was known.
    Raw(Value),
}

/// The CloudEvent attributes we use; the others are skipped without allocating.
struct Envelope {
    id: String,
    event_type: String,
    time: Option<String>,
    dataschema: Option<String>,
    data: Data,
}

/// CloudEvent attribute names we look at.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Key {
    Id,
    Type,
    Time,
    Dataschema,
    Data,
    #[serde(other)]
    Other,
}

/// Reads one CloudEvent object.
struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudEvent object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut id = None;
        let mut event_type: Option<String> = None;
        let mut time = None;
        let mut dataschema = None;
        let mut data = Data::Missing;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Id => id = map.next_value_seed(LenientStrSeed)?,
                Key::Time => time = map.next_value_seed(LenientStrSeed)?,
                Key::Dataschema => dataschema = map.next_value_seed(LenientStrSeed)?,
                Key::Type => {
                    let value = map.next_value_seed(LenientStrSeed)?;
                    // The first `type` wins, so `data` is always read for the final type.
                    if event_type.is_none() {
                        event_type = Some(value.unwrap_or_default());
                    }
                }
                Key::Data => {
                    let target = event_type
                        .as_deref()
                        .map_or(Target::Unknown, Target::for_type);
                    data = map.next_value_seed(DataSeed(target))?;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Envelope {
            id: id.unwrap_or_default(),
            event_type: event_type.unwrap_or_default(),
            time,
            dataschema,
            data,
        })
    }
}

/// Reads `data` for a `Target`.
struct DataSeed(Target);

impl<'de> de::DeserializeSeed<'de> for DataSeed {
    type Value = Data;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Data, D::Error> {
        match self.0 {
            Target::Skip => {
                deserializer.deserialize_ignored_any(IgnoredAny)?;
                Ok(Data::Skipped)
            }
            Target::Unknown => Ok(match Value::deserialize(deserializer)? {
                Value::Null => Data::Missing,
                value => Data::Raw(value),
            }),
            // The text is kept as it is (it is what gets packed) and only the core is read.
            Target::Summary => {
                let raw = <&'de RawValue>::deserialize(deserializer)?;
                Ok(summary_from_text(raw.get()))
            }
            Target::Live(kind) => {
                let raw = <&'de RawValue>::deserialize(deserializer)?;
                Ok(live_from_text(kind, raw.get()))
            }
            Target::Test => deserializer.deserialize_any(TestDataVisitor),
        }
    }
}

/// Reads `data` straight into a test id (target `Test`).
struct TestDataVisitor;

impl TestDataVisitor {
    /// `data` is a JSON value that is not an object or a string.
    fn not_object(found: &str) -> Data {
        Data::Problem(format!("is not an object (found {found})"))
    }
}

impl<'de> Visitor<'de> for TestDataVisitor {
    type Value = Data;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or a JSON-encoded object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Data, A::Error> {
        let data = TestData::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(test_data_outcome(test_id_from(data.test_id)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
        Ok(test_data_outcome(test_id_from_str(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Missing)
    }

    fn visit_none<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Missing)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Data, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Data, E> {
        Ok(Self::not_object("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Data, E> {
        Ok(Self::not_object("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Data, E> {
        Ok(Self::not_object("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Data, E> {
        Ok(Self::not_object("a number"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::not_object("an array"))
    }
}

/// The only part of a test event's `data` we read.
#[derive(Deserialize)]
struct TestData {
    #[serde(default)]
    test_id: Option<Value>,
}

/// A test-id result as `Data`.
fn test_data_outcome(result: Result<String, String>) -> Data {
    match result {
        Ok(test_id) => Data::TestId(test_id),
        Err(problem) => Data::Problem(problem),
    }
}

/// One array element: an envelope, or a marker that it was not an object.
enum Item {
    Event(Envelope),
    NotObject,
}

/// Reads one array element.
struct ItemSeed;

impl<'de> de::DeserializeSeed<'de> for ItemSeed {
    type Value = Item;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudEvent object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
        EnvelopeVisitor.visit_map(map).map(Item::Event)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Item::NotObject)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::NotObject)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Item, E> {
        Ok(Item::NotObject)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Item, E> {
        Ok(Item::NotObject)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Item, E> {
        Ok(Item::NotObject)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Item, E> {
        Ok(Item::NotObject)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Item, E> {
        Ok(Item::NotObject)
    }
}

/// The whole body, shaped but not yet typed.
enum Body {
    Many(Vec<Item>),
    One(Envelope),
    Neither(&'static str),
}

/// Reads the whole body.
struct BodySeed;

impl<'de> de::DeserializeSeed<'de> for BodySeed {
    type Value = Body;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Body, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudEvents or a CloudEvent object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
        // Deliveries currently hold one event; do not trust size hints beyond a small cap.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            items.push(item);
        }
        Ok(Body::Many(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Body, A::Error> {
        EnvelopeVisitor.visit_map(map).map(Body::One)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Body, E> {
        Ok(Body::Neither("null"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Body, E> {
        Ok(Body::Neither("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Body, E> {
        Ok(Body::Neither("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Body, E> {
        Ok(Body::Neither("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Body, E> {
        Ok(Body::Neither("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Body, E> {
        Ok(Body::Neither("a string"))
    }
}

/// Parses a raw delivery body: a JSON array of CloudEvents (a bare object is accepted too). `data`
/// may be a JSON object or a JSON-encoded string of one. Call-summary events need an object data
/// with a non-empty call_sid (else BadData); test events need data.test_id (string; else BadData);
/// any other type is passed on as Other. Missing `id`/`type` are empty strings.
///
/// When `type` comes before `data` (as in every Twilio example), a summary's `data` is taken as
/// its text and only its core is read from it ([`SummaryCore`]); a test event's `data` is read
/// as it streams by; otherwise `data` is buffered as a `Value` first. A summary's problems are
/// found while reading that text, so any error from the stream itself means the body is not
/// JSON.
pub fn parse_delivery(body: &[u8]) -> Result<Vec<DeliveredEvent>, DeliveryParseError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = de::DeserializeSeed::deserialize(BodySeed, &mut de)
        .and_then(|body| de.end().map(|()| body));
    let body = match parsed {
        Ok(body) => body,
        Err(err) => {
            let (message, line, column) = split_position(&err);
            return Err(DeliveryParseError::NotJson {
                message,
                line,
                column,
            });
        }
    };
    match body {
        Body::Neither(found) => Err(DeliveryParseError::NotEvents { found }),
        Body::One(envelope) => Ok(vec![type_event(0, envelope)?]),
        Body::Many(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Item::Event(envelope) => type_event(index, envelope),
                Item::NotObject => Err(DeliveryParseError::EventNotObject { index }),
            })
            .collect(),
    }
}

/// serde_json's message without its " at line L column C" suffix, and L and C.
fn split_position(err: &serde_json::Error) -> (String, usize, usize) {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    (message, line, column)
}

/// Types one envelope found at `index`.
fn type_event(index: usize, envelope: Envelope) -> Result<DeliveredEvent, DeliveryParseError> {
    let Envelope {
        id,
        event_type,
        time,
        dataschema,
        data,
    } = envelope;
    let bad = |problem: String| DeliveryParseError::BadData {
        index,
        event_type: event_type.clone(),
        problem,
    };

    match Target::for_type(&event_type) {
        Target::Summary => {
            let SummaryData { core, json } = match data {
                Data::Summary(summary) => *summary,
                Data::Raw(value) => data_from_value(value, summary_from_object).map_err(bad)?,
                other => return Err(bad(other_problem(other))),
            };
            if core.call_sid.is_empty() {
                return Err(bad("has no call_sid".to_owned()));
            }
            // `for_type` said Summary, so the kind is known.
            let kind = SummaryKind::from_event_type(&event_type).unwrap_or(SummaryKind::Partial);
            Ok(DeliveredEvent::CallSummary(SummaryEvent {
                id,
                kind,
                time,
                dataschema,
                summary: core,
                data: json,
            }))
        }
        Target::Live(kind) => {
            let data = match data {
                Data::Live(live) => live,
                Data::Raw(value) => {
                    data_from_value(value, |object| live_from_object(kind, object)).map_err(bad)?
                }
                other => return Err(bad(other_problem(other))),
            };
            if data.call_sid().is_empty() {
                return Err(bad("has no call_sid".to_owned()));
            }
            Ok(DeliveredEvent::Live(Box::new(LiveEvent {
                id,
                kind,
                time,
                dataschema,
                data,
            })))
        }
        Target::Test => {
            let test_id = match data {
                Data::TestId(test_id) => test_id,
                Data::Raw(value) => test_id_from_value(value).map_err(bad)?,
                other => return Err(bad(other_problem(other))),
            };
            Ok(DeliveredEvent::TestEvent { id, test_id, time })
        }
        Target::Skip | Target::Unknown => Ok(DeliveredEvent::Other {
            id,
            event_type,
            time,
        }),
    }
}

/// The problem for a `data` that did not yield what its type needs.
fn other_problem(data: Data) -> String {
    match data {
        Data::Missing => "is missing".to_owned(),
        Data::Problem(problem) => problem,
        // Not reachable: `data` is read for the first `type`, which is the event's type.
        Data::Summary(_) | Data::Live(_) | Data::TestId(_) | Data::Skipped | Data::Raw(_) => {
            "was read for another event type".to_owned()
        }
    }
}

/// Describes a JSON value's kind for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks that an encoded `data` string holds a JSON object before parsing it.
fn encoded_object(s: &str) -> Result<&str, String> {
    let trimmed = s.trim_start_matches([' ', '\t', '\n', '\r']);
    if trimmed.starts_with('{') {
        Ok(trimmed)
    } else if trimmed.is_empty() {
        Err("is an empty string".to_owned())
    } else {
        Err("is a string that does not hold a JSON object".to_owned())
    }
}

/// Reads a `data` from its JSON text as found in the body, with `read` for the text of an
/// object: an object, a JSON-encoded string holding one, `null` (missing), or something
/// unusable (the problem, for `BadData`).
fn data_from_text<T>(
    text: &str,
    read: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    let not_object = |found: &str| Err(format!("is not an object (found {found})"));
    match text.as_bytes().first() {
        Some(b'{') => read(text).map(Some),
        Some(b'"') => match serde_json::from_str::<String>(text) {
            Ok(encoded) => read(encoded_object(&encoded)?).map(Some),
            Err(e) => Err(format!("is a string that is not valid JSON: {e}")),
        },
        Some(b'n') => Ok(None),
        Some(b't' | b'f') => not_object("a boolean"),
        Some(b'[') => not_object("an array"),
        _ => not_object("a number"),
    }
}

/// Reads a `data` buffered as a `Value` (read before the event's `type` was known) with
/// `read` for the text of an object.
fn data_from_value<T>(data: Value, read: impl Fn(&str) -> Result<T, String>) -> Result<T, String> {
    match data {
        Value::Object(_) => read(&data.to_string()),
        Value::String(s) => read(encoded_object(&s)?),
        Value::Null => Err("is missing".to_owned()),
        other => Err(format!("is not an object (found {})", kind_of(&other))),
    }
}

/// Reads a call summary's `data` from its JSON text as found in the body.
fn summary_from_text(text: &str) -> Data {
    match data_from_text(text, summary_from_object) {
        Ok(Some(summary)) => Data::Summary(Box::new(summary)),
        Ok(None) => Data::Missing,
        Err(problem) => Data::Problem(problem),
    }
}

/// Reads a live event's `data` from its JSON text as found in the body.
fn live_from_text(kind: LiveKind, text: &str) -> Data {
    match data_from_text(text, |object| live_from_object(kind, object)) {
        Ok(Some(live)) => Data::Live(live),
        Ok(None) => Data::Missing,
        Err(problem) => Data::Problem(problem),
    }
}

/// Reads a live event's `data` from the text of a JSON object.
fn live_from_object(kind: LiveKind, text: &str) -> Result<LiveData, String> {
    LiveData::from_json(kind, text).map_err(|e| {
        let (message, _, _) = split_position(&e);
        match e.classify() {
            serde_json::error::Category::Data => format!("is not a {}: {message}", kind.label()),
            _ => format!("is a string that is not valid JSON: {e}"),
        }
    })
}

/// Reads the core of a summary from the text of a JSON object.
fn summary_from_object(text: &str) -> Result<SummaryData, String> {
    match serde_json::from_str::<SummaryCore>(text) {
        Ok(core) => Ok(SummaryData {
            core,
            json: text.into(),
        }),
        Err(e) => {
            let (message, _, _) = split_position(&e);
            Err(match e.classify() {
                serde_json::error::Category::Data => format!("is not a call summary: {message}"),
                _ => format!("is a string that is not valid JSON: {e}"),
            })
        }
    }
}

/// Checks a test event's `test_id`.
fn test_id_from(test_id: Option<Value>) -> Result<String, String> {
    match test_id {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err("has no test_id".to_owned()),
        Some(other) => Err(format!(
            "test_id is not a string (found {})",
            kind_of(&other)
        )),
    }
}

/// Reads `test_id` from a JSON-encoded test-event `data` string.
fn test_id_from_str(s: &str) -> Result<String, String> {
    let data: TestData = serde_json::from_str(encoded_object(s)?)
        .map_err(|e| format!("is a string that is not valid JSON: {e}"))?;
    test_id_from(data.test_id)
}

/// Reads `test_id` from a test event's `data` buffered as a `Value`.
fn test_id_from_value(data: Value) -> Result<String, String> {
    match data {
        Value::Object(mut map) => test_id_from(map.remove("test_id")),
        Value::String(s) => test_id_from_str(&s),
        Value::Null => Err("is missing".to_owned()),
        other => Err(format!("is not an object (found {})", kind_of(&other))),
    }
}
