//! The fields a term can name: their names and aliases, the help line and a working example
//! of each, the values an enum field knows, and how each field's values are read from a call.

use super::needle::Needle;
use crate::calls::live::LiveState;
use crate::calls::search::NumField;
use crate::calls::store::CallRecord;
use crate::twilio::cloudevent::SummaryKind;
use crate::twilio::summary::{CallState, CallType, Direction, DisconnectedBy};

/// Every field, with a one-line help for the help overlay, in the order the help lists them
/// (public as [`Filter::FIELDS`](super::Filter::FIELDS)).
pub(super) const FIELDS: &[(&str, &str)] = &[
    (
        "state",
        "call state: completed, busy, fail (failed), noanswer (no-answer), canceled, answered, ringing, undialed",
    ),
    (
        "type",
        "call type: carrier, sip, trunking, client, whatsapp",
    ),
    (
        "direction",
        "inbound, outbound_api, outbound_dial, trunking_originating, trunking_terminating",
    ),
    (
        "carrier",
        "either side's carrier (FROM or TO), e.g. carrier~vodafone",
    ),
    ("from", "caller: number, client:name or SIP URI"),
    ("to", "callee: number, client:name or SIP URI"),
    ("hangup", "who hung up: caller, callee, unknown"),
    ("q850", "Q.850 cause (number), e.g. q850=17"),
    ("sip", "last SIP response (number), e.g. sip>=500"),
    (
        "pdd",
        "post-dial delay in ms (number; 3s also works), e.g. pdd>3000",
    ),
    (
        "duration",
        "duration in seconds (number; 2m also works), e.g. duration<5",
    ),
    ("tag", "any quality tag, e.g. tag=high_jitter or tag~loss"),
    (
        "processing",
        "summary stage: live (no summary yet), partial, predicted (predicted-complete), complete",
    ),
    (
        "live",
        "answered and not ended (in progress): live, !live, live=true, live=false",
    ),
    (
        "mos",
        "latest live MOS (number, decimals work), e.g. mos<3.5",
    ),
    (
        "jitter",
        "latest live jitter in ms (number; 1s also works), e.g. jitter>30ms",
    ),
    (
        "loss",
        "latest live packet loss in % (number), e.g. loss>1%",
    ),
    (
        "rtt",
        "latest live round-trip time in ms (number; 1s also works), e.g. rtt>400ms",
    ),
    (
        "warning",
        "active SDK warning: warning (any), warning=high-jitter, warning~mos",
    ),
    (
        "error",
        "SDK error code (any error's): error (any), error=31005, error~text (message)",
    ),
];

/// A field compared as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextField {
    State,
    Type,
    Direction,
    Carrier,
    From,
    To,
    Hangup,
    Tag,
    Processing,
    /// The call's active SDK warnings (live events).
    Warning,
}

/// A live quality figure: its latest value by the samples' own timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QualityField {
    Mos,
    Jitter,
    Loss,
    Rtt,
}

/// A field name as written in an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Text(TextField),
    Num(NumField),
    /// A live quality figure, compared as a decimal number.
    Quality(QualityField),
    /// In progress (answered, not ended): true or false.
    Live,
    /// The codes (and, with `~`, the messages) of the call's SDK errors.
    Error,
}

impl Field {
    /// The field for a name (any case): the names of [`FIELDS`] and, for people who
    /// also read the ndjson lines, the ndjson names.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        use {NumField as N, TextField as T};
        let field = match name.to_ascii_lowercase().as_str() {
            "state" | "call_state" => Self::Text(T::State),
            "type" | "call_type" => Self::Text(T::Type),
            "direction" => Self::Text(T::Direction),
            "carrier" => Self::Text(T::Carrier),
            "from" | "from_caller" | "caller" => Self::Text(T::From),
            "to" | "to_callee" | "callee" => Self::Text(T::To),
            "hangup" | "disconnected_by" => Self::Text(T::Hangup),
            "tag" | "tags" => Self::Text(T::Tag),
            "processing" | "processing_state" => Self::Text(T::Processing),
            "q850" | "q850_cause" => Self::Num(N::Q850),
            "sip" | "last_sip_response_num" => Self::Num(N::Sip),
            "pdd" | "pdd_ms" => Self::Num(N::Pdd),
            "duration" => Self::Num(N::Duration),
            "live" | "in_progress" => Self::Live,
            "mos" => Self::Quality(QualityField::Mos),
            "jitter" | "jitter_ms" => Self::Quality(QualityField::Jitter),
            "loss" | "loss_pct" | "packet_loss" => Self::Quality(QualityField::Loss),
            "rtt" | "rtt_ms" => Self::Quality(QualityField::Rtt),
            "warning" | "warnings" => Self::Text(T::Warning),
            "error" | "errors" | "error_code" => Self::Error,
            _ => return None,
        };
        Some(field)
    }

    /// The name in [`FIELDS`].
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Text(TextField::State) => "state",
            Self::Text(TextField::Type) => "type",
            Self::Text(TextField::Direction) => "direction",
            Self::Text(TextField::Carrier) => "carrier",
            Self::Text(TextField::From) => "from",
            Self::Text(TextField::To) => "to",
            Self::Text(TextField::Hangup) => "hangup",
            Self::Text(TextField::Tag) => "tag",
            Self::Text(TextField::Processing) => "processing",
            Self::Num(NumField::Q850) => "q850",
            Self::Num(NumField::Sip) => "sip",
            Self::Num(NumField::Pdd) => "pdd",
            Self::Num(NumField::Duration) => "duration",
            Self::Live => "live",
            Self::Quality(QualityField::Mos) => "mos",
            Self::Quality(QualityField::Jitter) => "jitter",
            Self::Quality(QualityField::Loss) => "loss",
            Self::Quality(QualityField::Rtt) => "rtt",
            Self::Text(TextField::Warning) => "warning",
            Self::Error => "error",
        }
    }

    /// A term that works, for error messages.
    pub(super) fn example(self) -> &'static str {
        match self {
            Self::Text(TextField::State) => "state=fail",
            Self::Text(TextField::Type) => "type=sip",
            Self::Text(TextField::Direction) => "direction=inbound",
            Self::Text(TextField::Carrier) => "carrier~vodafone",
            Self::Text(TextField::From) => "from~+1415",
            Self::Text(TextField::To) => "to~+44",
            Self::Text(TextField::Hangup) => "hangup=caller",
            Self::Text(TextField::Tag) => "tag=high_jitter",
            Self::Text(TextField::Processing) => "processing=complete",
            Self::Num(NumField::Q850) => "q850=16",
            Self::Num(NumField::Sip) => "sip>=500",
            Self::Num(NumField::Pdd) => "pdd>3000",
            Self::Num(NumField::Duration) => "duration>60",
            Self::Live => "live=true",
            Self::Quality(QualityField::Mos) => "mos<3.5",
            Self::Quality(QualityField::Jitter) => "jitter>30ms",
            Self::Quality(QualityField::Loss) => "loss>1%",
            Self::Quality(QualityField::Rtt) => "rtt>400ms",
            Self::Text(TextField::Warning) => "warning=high-jitter",
            Self::Error => "error=31005",
        }
    }

    /// The field a word stands for when written alone, unquoted: `live`, `warning` and
    /// `error` test whether the call is in progress, has an active warning, has an error.
    pub(super) fn alone(word: &str) -> Option<Self> {
        match Self::from_name(word)? {
            field @ (Self::Live | Self::Text(TextField::Warning) | Self::Error) => Some(field),
            _ => None,
        }
    }
}

impl TextField {
    /// The slot in [`SearchText`](crate::calls::search::SearchText)'s codes of an enum field.
    pub(super) fn slot(self) -> Option<usize> {
        match self {
            Self::State => Some(0),
            Self::Type => Some(1),
            Self::Direction => Some(2),
            Self::Hangup => Some(3),
            _ => None,
        }
    }

    /// The wire names of an enum field's known values, in code order.
    pub(super) fn known_names(self) -> Vec<&'static str> {
        fn names<T>(
            known: &'static [T],
            name: fn(&'static T) -> &'static str,
        ) -> Vec<&'static str> {
            known.iter().map(name).collect()
        }
        match self {
            Self::State => names(CallState::KNOWN, CallState::as_str),
            Self::Type => names(CallType::KNOWN, CallType::as_str),
            Self::Direction => names(Direction::KNOWN, Direction::as_str),
            Self::Hangup => names(DisconnectedBy::KNOWN, DisconnectedBy::as_str),
            _ => Vec::new(),
        }
    }

    /// An enum field's value as the summary has it (for values without a code).
    pub(super) fn enum_value(self, record: &CallRecord) -> &str {
        let s = &record.summary;
        match self {
            Self::State => s.call_state.as_str(),
            Self::Type => s.call_type.as_str(),
            Self::Direction => s.properties.direction.as_str(),
            Self::Hangup => s.properties.disconnected_by.as_str(),
            _ => "",
        }
    }

    /// True when some value of the field in `record` equals (`exact`) or contains the
    /// needle, ignoring case (`carrier` has two values, `tag` any number).
    pub(super) fn has(self, record: &CallRecord, needle: &Needle, exact: bool) -> bool {
        let s = &record.summary;
        // The signature first: most calls are settled without reading their strings.
        let text = |hay: &str| needle.matches(hay, exact);
        match self {
            Self::Carrier => {
                record.search.may_contain(&needle.pairs)
                    && (text(&s.from.carrier) || text(&s.to.carrier))
            }
            Self::From => record.search.may_contain(&needle.pairs) && text(&s.from.caller),
            Self::To => record.search.may_contain(&needle.pairs) && text(&s.to.callee),
            Self::Tag => record.search.may_contain(&needle.pairs) && s.tags.iter().any(|t| text(t)),
            Self::Processing => text(record.processing_name()),
            Self::Warning => record
                .live
                .as_deref()
                .is_some_and(|live| live.warnings.iter().any(|w| text(w))),
            Self::State | Self::Type | Self::Direction | Self::Hangup => {
                text(self.enum_value(record))
            }
        }
    }

    /// Fields whose values are wire enum names, where `-` may be typed for `_`.
    pub(super) fn is_enum(self) -> bool {
        self.slot().is_some()
    }
}

impl NumField {
    pub(super) fn value(self, record: &CallRecord) -> Option<i64> {
        record.search.number(self)
    }

    /// Unit suffixes a value may carry, with what they multiply by.
    pub(super) fn units(self) -> &'static [(&'static str, i64)] {
        match self {
            Self::Pdd => &[("ms", 1), ("s", 1000)],
            Self::Duration => &[("s", 1), ("min", 60), ("m", 60), ("h", 3600)],
            Self::Q850 | Self::Sip => &[],
        }
    }
}

impl QualityField {
    /// The latest value of the figure, when a sample gave one.
    pub(super) fn latest(self, live: &LiveState) -> Option<f64> {
        let q = &live.latest;
        match self {
            Self::Mos => q.mos,
            Self::Jitter => q.jitter_ms,
            Self::Loss => q.loss_pct,
            Self::Rtt => q.rtt_ms,
        }
    }

    /// Unit suffixes a value may carry, with what they multiply by.
    pub(super) fn units(self) -> &'static [(&'static str, f64)] {
        match self {
            Self::Jitter | Self::Rtt => &[("ms", 1.0), ("s", 1000.0)],
            Self::Loss => &[("%", 1.0)],
            Self::Mos => &[],
        }
    }
}

/// The truth value a `live=` value names (`true`, `yes`, `1`, `on` and their opposites).
pub(super) fn truth(lower: &str) -> Option<bool> {
    match lower {
        "true" | "yes" | "y" | "1" | "on" => Some(true),
        "false" | "no" | "n" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// The call state a friendly spelling stands for (`failed` → `fail`).
pub(super) fn state_alias(lower: &str) -> Option<&'static str> {
    match lower {
        "failed" | "failure" => Some("fail"),
        "no-answer" | "no_answer" => Some("noanswer"),
        "cancelled" => Some("canceled"),
        _ => None,
    }
}

/// The stage a `processing=` value names: `Some(None)` for `live` (no summary yet).
pub(super) fn processing_kind(lower: &str) -> Option<Option<SummaryKind>> {
    match lower {
        "partial" => Some(Some(SummaryKind::Partial)),
        "predicted" | "predicted-complete" | "predicted_complete" | "predictedcomplete" => {
            Some(Some(SummaryKind::PredictedComplete))
        }
        "complete" | "completed" => Some(Some(SummaryKind::Complete)),
        "live" => Some(None),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::parse;
    use super::*;

    #[test]
    fn every_listed_field_is_accepted_and_named_back() {
        assert_eq!(FIELDS.len(), 20);
        for (name, help) in FIELDS {
            let field = Field::from_name(name).unwrap_or_else(|| panic!("{name} not accepted"));
            assert_eq!(field.name(), *name);
            assert!(!help.is_empty());
            // The example every message offers parses.
            parse(field.example());
            let upper = name.to_ascii_uppercase();
            assert_eq!(Field::from_name(&upper), Some(field));
        }
    }
}
