//! The parsed expression: a tree of `and`, `or`, `!` and terms, each term compiled into a
//! [`Test`] that decides a call by the codes, numbers and signature of its
//! [`SearchText`](crate::calls::search::SearchText) before reading any string. Also writes the
//! tree back as text for [`Filter::canonical`](super::Filter::canonical).

use std::fmt::Write as _;

use super::fields::{Field, QualityField, TextField};
use super::lexer::{CmpOp, Keyword, ends_word};
use super::needle::Needle;
use crate::calls::live::LiveState;
use crate::calls::search::{NumField, UNKNOWN_CODE, code};
use crate::calls::store::CallRecord;
use crate::twilio::cloudevent::SummaryKind;
use crate::twilio::summary::CallState;

/// The parsed expression.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) enum Node {
    /// The blank expression.
    #[default]
    All,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Term(Term),
}

impl Node {
    pub(super) fn matches(&self, record: &CallRecord) -> bool {
        match self {
            Self::All => true,
            Self::And(items) => items.iter().all(|n| n.matches(record)),
            Self::Or(items) => items.iter().any(|n| n.matches(record)),
            Self::Not(inner) => !inner.matches(record),
            Self::Term(term) => term.test.matches(record) != term.negate,
        }
    }

    pub(super) fn write_canonical(&self, out: &mut String) {
        let group = |out: &mut String, items: &[Node], joiner: &str| {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                item.write_canonical(out);
            }
            out.push(')');
        };
        match self {
            Self::All => {}
            Self::And(items) => group(out, items, " and "),
            Self::Or(items) => group(out, items, " or "),
            Self::Not(inner) => {
                out.push('!');
                inner.write_canonical(out);
            }
            Self::Term(term) => term.write_canonical(out),
        }
    }
}

/// One term: how it was written (for [`Filter::canonical`](super::Filter::canonical)) and
/// what it tests.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Term {
    /// `None` for a bare word.
    pub(super) field: Option<Field>,
    pub(super) op: CmpOp,
    /// The value as typed (unquoted).
    pub(super) value: String,
    pub(super) test: Test,
    /// `!=` and `!~`: the test, negated.
    pub(super) negate: bool,
}

impl Term {
    fn write_canonical(&self, out: &mut String) {
        let Some(field) = self.field else {
            // `live`, `warning` and `error` alone test the field: as words, they are quoted.
            if Field::alone(&self.value).is_some() {
                write_quoted(out, &self.value);
            } else {
                write_value(out, &self.value);
            }
            return;
        };
        out.push_str(field.name());
        match &self.test {
            // `live`, `warning`, `error` alone.
            Test::Live { want: true, .. } | Test::AnyWarning | Test::AnyError
                if self.value.is_empty() => {}
            Test::Live { want, .. } => {
                let _ = write!(out, "{}{want}", self.op.as_str());
            }
            Test::Number { value, .. } | Test::ErrorCode { value, .. } => {
                let _ = write!(out, "{}{value}", self.op.as_str());
            }
            Test::Quality { value, .. } => {
                let _ = write!(out, "{}{value}", self.op.as_str());
            }
            _ => {
                out.push_str(self.op.as_str());
                write_value(out, &self.value);
            }
        }
    }
}

/// Writes a value, quoted when it would not read back as one word.
fn write_value(out: &mut String, value: &str) {
    let plain = !value.is_empty() && !value.chars().any(ends_word) && Keyword::of(value).is_none();
    if plain {
        out.push_str(value);
    } else {
        write_quoted(out, value);
    }
}

/// Writes a value in quotes, escaping `"` and `\`.
fn write_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// What a term checks, compiled for speed.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
    /// Some value of a text field equals (`exact`) or contains one of the needles.
    Text {
        field: TextField,
        exact: bool,
        needles: Box<[Needle]>,
    },
    /// An enum field: `known` has bit `i` set when its `i`-th known value matches; values
    /// without a code are compared as text with the needles.
    Enum {
        field: TextField,
        known: u16,
        exact: bool,
        needles: Box<[Needle]>,
    },
    /// The field is present and compares as asked with `value`.
    Number {
        field: NumField,
        cmp: NumCmp,
        value: i64,
    },
    /// The call has the live figure, and its latest value compares as asked with `value`.
    Quality {
        field: QualityField,
        cmp: NumCmp,
        value: f64,
    },
    /// The call is in progress (`want`) or not: what [`CallRecord::in_progress`] says, read
    /// from the state's code (`answered`: the code of [`CallState::Answered`]) rather than
    /// from the summary, which is further away in memory.
    Live { want: bool, answered: u8 },
    /// The call has an active SDK warning.
    AnyWarning,
    /// The call had an SDK error.
    AnyError,
    /// One of the call's SDK error codes compares as asked with `value`.
    ErrorCode { cmp: NumCmp, value: i64 },
    /// One of the call's SDK error messages (or codes) contains the needle.
    ErrorText(Needle),
    /// The call's best summary is of a stage whose bit (in [`SummaryKind::ALL`] order) is set.
    Processing(u8),
    /// A bare word: any text field (or number, for digits) contains it.
    Anywhere {
        needle: Needle,
        /// By enum slot, the known values that contain the word (or that it is a friendly
        /// name for: `failed` → `fail`).
        known: [u16; 4],
        /// The stages whose names contain the word.
        stages: u8,
    },
}

impl Test {
    fn matches(&self, record: &CallRecord) -> bool {
        match self {
            Self::Text {
                field,
                exact,
                needles,
            } => needles.iter().any(|n| field.has(record, n, *exact)),
            Self::Enum {
                field,
                known,
                exact,
                needles,
            } => {
                let slot = field.slot().unwrap_or_default();
                match record.search.codes[slot] {
                    UNKNOWN_CODE => needles.iter().any(|n| field.has(record, n, *exact)),
                    code => known >> code & 1 == 1,
                }
            }
            Self::Number { field, cmp, value } => field
                .value(record)
                .is_some_and(|have| cmp.holds(have, *value)),
            Self::Quality { field, cmp, value } => record
                .live
                .as_deref()
                .and_then(|live| field.latest(live))
                .is_some_and(|have| cmp.holds(have, *value)),
            Self::Live { want, answered } => (record.search.codes[0] == *answered) == *want,
            Self::AnyWarning => record.live.as_deref().is_some_and(LiveState::has_warning),
            Self::AnyError => record
                .live
                .as_deref()
                .is_some_and(|live| !live.errors.is_empty()),
            Self::ErrorCode { cmp, value } => record.live.as_deref().is_some_and(|live| {
                live.errors
                    .iter()
                    .filter_map(|e| e.code)
                    .any(|code| cmp.holds(code, *value))
            }),
            Self::ErrorText(needle) => record
                .live
                .as_deref()
                .is_some_and(|live| error_contains(live, needle)),
            Self::Processing(stages) => stages >> stage_index(record.kind()) & 1 == 1,
            Self::Anywhere {
                needle,
                known,
                stages,
            } => anywhere(record, needle, known, *stages),
        }
    }
}

/// Some SDK error's message, or code (for digits), contains the needle.
fn error_contains(live: &LiveState, needle: &Needle) -> bool {
    live.errors.iter().any(|e| {
        needle.within(&e.message)
            || (needle.digits && e.code.is_some_and(|c| needle.within_number(c)))
    })
}

/// A bare word: the enum fields and stage by their codes, the numbers (for digits), then,
/// if the signature allows, the text fields: call SID, carriers, caller, callee, tags; last,
/// for calls with live state, the active SDK warnings and the SDK errors.
fn anywhere(record: &CallRecord, needle: &Needle, known: &[u16; 4], stages: u8) -> bool {
    let search = &record.search;
    let enums = [
        TextField::State,
        TextField::Type,
        TextField::Direction,
        TextField::Hangup,
    ];
    let s = &record.summary;
    enums.into_iter().zip(known).any(|(field, known)| {
        match search.codes[field.slot().unwrap_or_default()] {
            UNKNOWN_CODE => needle.within(field.enum_value(record)),
            code => known >> code & 1 == 1,
        }
    }) || (stages != 0 && stages >> stage_index(record.kind()) & 1 == 1)
        || (needle.digits
            && [
                NumField::Q850,
                NumField::Sip,
                NumField::Pdd,
                NumField::Duration,
            ]
            .into_iter()
            .filter_map(|f| search.number(f))
            .any(|n| needle.within_number(n)))
        || (search.may_contain(&needle.pairs)
            && [
                s.call_sid.as_str(),
                s.from.carrier.as_str(),
                s.to.carrier.as_str(),
                s.from.caller.as_str(),
                s.to.callee.as_str(),
            ]
            .into_iter()
            .chain(s.tags.iter().map(String::as_str))
            .any(|t| needle.within(t)))
        || record.live.as_deref().is_some_and(|live| {
            live.warnings.iter().any(|w| needle.within(w)) || error_contains(live, needle)
        })
}

impl Test {
    /// The test of `live` (`want` true) or `!live`.
    pub(super) fn live(want: bool) -> Self {
        Self::Live {
            want,
            answered: code(CallState::KNOWN, &CallState::Answered),
        }
    }
}

/// The position of `kind` in [`SummaryKind::ALL`]; `live` (no summary yet) after them.
pub(super) fn stage_index(kind: Option<SummaryKind>) -> u8 {
    kind.map_or(LIVE_STAGE, |kind| code(&SummaryKind::ALL, &kind))
}

/// The stage bit of a call with no summary yet.
const LIVE_STAGE: u8 = 3;

/// The bits (in code order) of an enum field's known values whose names pass `test`.
pub(super) fn known_where(field: TextField, test: impl Fn(&str) -> bool) -> u16 {
    field
        .known_names()
        .iter()
        .enumerate()
        .filter(|(_, name)| test(name))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// The bits (in [`SummaryKind::ALL`] order) of the stages whose names pass `test`.
pub(super) fn stages_where(test: impl Fn(&str) -> bool) -> u8 {
    SummaryKind::ALL
        .iter()
        .enumerate()
        .filter(|(_, kind)| test(kind.processing_name()))
        .fold(0, |bits, (i, _)| bits | 1 << i)
        | if test("live") { 1 << LIVE_STAGE } else { 0 }
}

/// A numeric comparison; `!=` is a negated `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumCmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl NumCmp {
    fn holds<T: PartialOrd>(self, have: T, want: T) -> bool {
        match self {
            Self::Eq => have == want,
            Self::Lt => have < want,
            Self::Le => have <= want,
            Self::Gt => have > want,
            Self::Ge => have >= want,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{parse, record};
    use crate::calls::search::{NumField, UNKNOWN_CODE};
    use crate::twilio::cloudevent::SummaryKind;

    #[test]
    fn unknown_and_absent_enum_values_match_as_text() {
        let odd = record(
            SummaryKind::Partial,
            json!({"call_sid": "CA9", "call_state": "Exploded", "call_type": "fax",
                   "properties": {"direction": "sideways"}}),
        );
        let cases: &[(&str, bool)] = &[
            ("state=exploded", true),
            ("state~PLOD", true),
            ("state!=exploded", false),
            ("state=fail", false),
            ("type=fax", true),
            ("type=carrier", false),
            ("direction~side", true),
            ("exploded", true),
            ("sideways", true),
            // No disconnected_by at all: absent counts as unknown.
            ("hangup=unknown", true),
            ("hangup=caller", false),
            ("pdd>0", false),
            ("pdd<0", false),
            ("duration=0", false),
            ("q850=0", true),
        ];
        for &(text, want) in cases {
            assert_eq!(parse(text).matches(&odd), want, "{text}");
        }
        let search = &odd.search;
        assert_eq!(search.codes, [UNKNOWN_CODE; 4]);
        assert_eq!(search.number(NumField::Pdd), None);
        assert_eq!(search.number(NumField::Q850), Some(0));
    }
}
