//! The filter language of the TUI's `/` line and of `--filter EXPR` in every output mode: terms
//! like `state=fail`, `carrier~voda`, `pdd>3s`, `jitter>30ms`, `live` or bare words, joined by
//! `and`, `or`, `!` and parentheses. [`Filter::parse`] reads an expression once; [`Filter::matches`] then tests a call
//! without allocating, so re-filtering 100,000 calls fits the 30 ms budget of docs/architecture.md.
//!
//! Grammar (`!` binds tightest, then `and`, then `or`; two terms side by side mean `and`):
//!
//! ```text
//! expr    = and ( "or" and )*
//! and     = unary ( "and"? unary )*
//! unary   = ( "!" | "not" )* primary
//! primary = "(" expr ")" | field op value | word
//! op      = "=" | "!=" | "~" | "!~" | ">" | ">=" | "<" | "<="
//! ```
//!
//! A word is searched for in every field, except `live`, `warning` and `error` unquoted: those
//! test the call (in progress, has an active SDK warning, had an SDK error).
//!
//! The live quality fields (`mos`, `jitter`, `loss`, `rtt`) compare the latest value by the
//! samples' own timestamps, as decimals; a call without [`LiveState`](crate::calls::live::LiveState)
//! costs them one `None` check.
//!
//! How the work is shared out, each step using only the ones above it:
//!
//! - `lexer`: the expression's characters → tokens (words, quoted words, operators); the
//!   deliveries view's filter ([`crate::tui::delivery_filter`]) reads with it too.
//! - `needle`: a search text lowercased once, and the allocation-free comparisons with it.
//! - `fields`: the field names, aliases and help, and how each field's values are read.
//! - `matcher`: the expression tree and its compiled tests, run against every call.
//! - `compile`: one term (`field op value`, or a bare word) → its test, or an error.
//! - `parser`: tokens → tree, by recursive descent over the grammar above.
//! - here: [`Filter`] and [`FilterError`], all that the rest of the crate sees.

mod compile;
mod fields;
pub(crate) mod lexer;
mod matcher;
mod needle;
mod parser;

use std::fmt;

use self::matcher::Node;
use crate::calls::store::CallRecord;

/// A parsed filter expression: what the user typed, and the tree that [`Filter::matches`]
/// walks. The empty expression matches every call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    text: String,
    root: Node,
}

/// Why an expression could not be read: where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// Offset in characters (not bytes) from the start of the expression; equal to the length
    /// of the expression when the problem is at its end.
    pub position: usize,
    /// What is wrong, with the column (1-based) and what to write instead.
    pub message: String,
}

impl FilterError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }

    /// The expression on one line and a caret under the error position on the next, both
    /// indented by two spaces, for a terminal:
    ///
    /// ```text
    ///   carier=x
    ///   ^
    /// ```
    pub fn pointer(&self, text: &str) -> String {
        let shown: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("  {shown}\n  {}^", " ".repeat(self.position))
    }
}

impl Filter {
    /// Every field, with a one-line help for the help overlay, in the order the help lists them.
    pub const FIELDS: &'static [(&'static str, &'static str)] = fields::FIELDS;

    /// The syntax in short, for the help overlay: (what to type, what it does).
    pub const SYNTAX: &'static [(&'static str, &'static str)] = &[
        ("field=value", "equals, ignoring case (!= for not equal)"),
        (
            "field~text",
            "contains text, ignoring case (!~ for does not contain)",
        ),
        ("field>N  field<N", "compares numbers (also >= and <=)"),
        ("word", "any field contains word"),
        (
            "live  warning  error",
            "alone: in progress / has an active SDK warning / had an SDK error",
        ),
        (
            "jitter>30ms  loss>1%",
            "live figures compare their latest value (mos, jitter, loss, rtt)",
        ),
        ("a b   a and b", "both"),
        ("a or b", "either"),
        ("!a   not a", "not"),
        ("( )", "grouping: ! binds tightest, then and, then or"),
        (
            "\"...\"",
            "quotes a value with spaces or symbols: carrier=\"AT&T Wireless\"",
        ),
    ];

    /// Reads an expression. Blank text gives the filter that matches every call.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let root = parser::parse(text)?;
        Ok(Self {
            text: text.to_owned(),
            root,
        })
    }

    /// True when the call matches. Allocates nothing, except when both a search text and the
    /// field it is compared with contain non-ASCII letters.
    pub fn matches(&self, record: &CallRecord) -> bool {
        self.root.matches(record)
    }

    /// The expression as it was typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True for the blank expression, which matches every call.
    pub fn is_match_all(&self) -> bool {
        self.root == Node::All
    }

    /// The expression as it is evaluated: every `and`/`or` group in parentheses, field
    /// aliases replaced by field names, numbers in their base unit (`pdd>3s` → `pdd>3000`).
    /// Shows a user how their expression was read.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.root.write_canonical(&mut out);
        out
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::json;

    use super::*;
    use crate::calls::store::CallStore;
    use crate::twilio::cloudevent::{LiveEvent, SummaryEvent, SummaryKind};
    use crate::twilio::live::{LiveData, LiveKind};
    use crate::twilio::summary::CallSummary;

    /// A call record as the store makes it from one event.
    pub(super) fn record(kind: SummaryKind, data: serde_json::Value) -> CallRecord {
        let summary: CallSummary = serde_json::from_value(data).expect("test summary");
        let event = SummaryEvent::new(
            "EZ0001".into(),
            kind,
            Some("2026-01-01T00:00:00Z".into()),
            &summary,
        );
        let mut store = CallStore::new();
        store.apply(&event, SystemTime::UNIX_EPOCH);
        store.iter().next().cloned().expect("one record")
    }

    /// Four calls that differ in every field, by name.
    fn calls() -> Vec<(&'static str, CallRecord)> {
        vec![
            (
                "busy",
                record(
                    SummaryKind::Complete,
                    json!({
                        "call_sid": "CA11", "call_state": "busy", "call_type": "carrier",
                        "duration": 5,
                        "from": {"caller": "+14155550100", "carrier": "AT&T Wireless"},
                        "to": {"callee": "+442071234567", "carrier": "Vodafone UK"},
                        "tags": [],
                        "properties": {"direction": "outbound_api", "disconnected_by": "callee",
                                       "q850_cause": 17, "last_sip_response_num": 486,
                                       "pdd_ms": 2400}
                    }),
                ),
            ),
            (
                "fail",
                record(
                    SummaryKind::Partial,
                    json!({
                        "call_sid": "CA22", "call_state": "fail", "call_type": "sip",
                        "duration": 0,
                        "from": {"caller": "sip:alice@example.com", "carrier": ""},
                        "to": {"callee": "+4930123456", "carrier": "Deutsche Telekom"},
                        "tags": ["high_pdd"],
                        "properties": {"direction": "inbound",
                                       "disconnected_by": "unknown_disconnected_by",
                                       "q850_cause": 1, "last_sip_response_num": 404}
                    }),
                ),
            ),
            (
                "done",
                record(
                    SummaryKind::PredictedComplete,
                    json!({
                        "call_sid": "CA33", "call_state": "completed", "call_type": "client",
                        "duration": 184,
                        "from": {"caller": "client:bob"},
                        "to": {"callee": "+15105550199", "carrier": "T-Mobile USA, Inc."},
                        "tags": ["high_jitter", "silence"],
                        "properties": {"direction": "outbound_dial", "disconnected_by": "caller",
                                       "q850_cause": 16, "last_sip_response_num": 200,
                                       "pdd_ms": 1200}
                    }),
                ),
            ),
            (
                "noans",
                record(
                    SummaryKind::Complete,
                    json!({
                        "call_sid": "CA44", "call_state": "noanswer", "call_type": "carrier",
                        "duration": 30,
                        "from": {"caller": "+34911234567", "carrier": "Telefónica Móviles"},
                        "to": {"callee": "+14155550123", "carrier": "Twilio"},
                        "tags": ["high_pdd"],
                        "properties": {"direction": "inbound", "q850_cause": 19,
                                       "last_sip_response_num": 480, "pdd_ms": 9000}
                    }),
                ),
            ),
        ]
    }

    pub(super) fn parse(text: &str) -> Filter {
        Filter::parse(text).unwrap_or_else(|e| panic!("{text:?} did not parse: {e}"))
    }

    #[test]
    fn matches_each_field_operator_and_alias() {
        const ALL: &[&str] = &["busy", "fail", "done", "noans"];
        let cases: &[(&str, &[&str])] = &[
            // state, with friendly spellings
            ("state=busy", &["busy"]),
            ("state=BUSY", &["busy"]),
            ("state=fail", &["fail"]),
            ("state=failed", &["fail"]),
            ("state=no-answer", &["noans"]),
            ("state=noanswer", &["noans"]),
            ("state!=completed", &["busy", "fail", "noans"]),
            ("state~ANS", &["noans"]),
            ("state!~o", &["busy", "fail"]),
            ("call_state=busy", &["busy"]),
            ("state = busy", &["busy"]),
            ("state==busy", &["busy"]),
            // type, direction
            ("type=sip", &["fail"]),
            ("type=carrier", &["busy", "noans"]),
            ("type~cli", &["done"]),
            ("direction=inbound", &["fail", "noans"]),
            ("direction=outbound-api", &["busy"]),
            ("direction~outbound", &["busy", "done"]),
            // carrier: either side
            ("carrier=\"AT&T Wireless\"", &["busy"]),
            ("carrier=\"vodafone uk\"", &["busy"]),
            ("carrier~voda", &["busy"]),
            ("carrier~TELEFÓNICA", &["noans"]),
            ("carrier=\"telefónica móviles\"", &["noans"]),
            ("carrier!=twilio", &["busy", "fail", "done"]),
            ("carrier=\"\"", &["fail", "done"]),
            // from, to
            ("from=+14155550100", &["busy"]),
            ("from~ALICE", &["fail"]),
            ("from=client:bob", &["done"]),
            ("to~+44", &["busy"]),
            ("to_callee=+4930123456", &["fail"]),
            // hangup
            ("hangup=caller", &["done"]),
            ("hangup=callee", &["busy"]),
            ("hangup=unknown", &["fail", "noans"]),
            ("disconnected_by=unknown_disconnected_by", &["fail"]),
            // numbers
            ("q850=17", &["busy"]),
            ("q850>16", &["busy", "noans"]),
            ("q850<=16", &["fail", "done"]),
            ("q850>=17", &["busy", "noans"]),
            ("q850<17", &["fail", "done"]),
            ("q850!=16", &["busy", "fail", "noans"]),
            ("sip=486", &["busy"]),
            ("sip>=400", &["busy", "fail", "noans"]),
            ("sip<300", &["done"]),
            ("pdd>3000", &["noans"]),
            ("pdd<3000", &["busy", "done"]),
            ("pdd>3s", &["noans"]),
            ("pdd>=2.4s", &["busy", "noans"]),
            ("pdd!=1200", &["busy", "fail", "noans"]),
            ("duration>60", &["done"]),
            ("duration=0", &["fail"]),
            ("duration>=1m", &["done"]),
            ("duration<30s", &["busy", "fail"]),
            ("duration>-1", ALL),
            // tag
            ("tag=high_jitter", &["done"]),
            ("tag=HIGH_JITTER", &["done"]),
            ("tag~pdd", &["fail", "noans"]),
            ("tag!=high_pdd", &["busy", "done"]),
            // processing
            ("processing=complete", &["busy", "noans"]),
            ("processing=predicted", &["done"]),
            ("processing=predicted-complete", &["done"]),
            ("processing=partial", &["fail"]),
            ("processing!=complete", &["fail", "done"]),
            ("processing~pred", &["done"]),
            // bare words
            ("busy", &["busy"]),
            ("BUSY", &["busy"]),
            ("vodafone", &["busy"]),
            ("jitter", &["done"]),
            ("failed", &["fail"]),
            ("486", &["busy"]),
            ("alice", &["fail"]),
            ("ca33", &["done"]),
            ("predicted", &["done"]),
            ("\"vodafone uk\"", &["busy"]),
            ("móviles", &["noans"]),
            ("nothing-like-this", &[]),
            // A word never spans two fields.
            ("bob+1510", &[]),
            // combinations
            ("", ALL),
            ("   ", ALL),
            ("state=busy or state=fail", &["busy", "fail"]),
            ("state=fail carrier~telekom", &["fail"]),
            ("state=fail and carrier~voda", &[]),
            ("STATE=busy OR State=fail", &["busy", "fail"]),
            ("!state=completed", &["busy", "fail", "noans"]),
            ("not state=completed", &["busy", "fail", "noans"]),
            ("!!state=busy", &["busy"]),
            ("!(state=busy or state=fail)", &["done", "noans"]),
            ("!state=busy or state=fail", &["fail", "done", "noans"]),
            ("state=busy or state=fail and tag=high_jitter", &["busy"]),
            ("(state=busy or state=fail) and tag~pdd", &["fail"]),
            (
                "state=completed or type=sip and direction=inbound",
                &["fail", "done"],
            ),
            (
                "type=carrier && !tag~pdd || hangup=caller",
                &["busy", "done"],
            ),
        ];
        let calls = calls();
        for &(text, want) in cases {
            let filter = parse(text);
            let got: Vec<&str> = calls
                .iter()
                .filter(|(_, r)| filter.matches(r))
                .map(|(name, _)| *name)
                .collect();
            assert_eq!(got, want, "{text:?} read as {:?}", filter.canonical());
        }
    }

    /// A call made of live events (`kind`, data without `call_sid`, second), after an optional
    /// partial summary with state `summary`.
    fn live_record(
        sid: &str,
        summary: Option<&str>,
        events: &[(LiveKind, serde_json::Value, i64)],
    ) -> CallRecord {
        let mut store = CallStore::new();
        if let Some(state) = summary {
            let summary: CallSummary =
                serde_json::from_value(json!({"call_sid": sid, "call_state": state}))
                    .expect("summary");
            let event = SummaryEvent::new(
                "EZ0".into(),
                SummaryKind::Partial,
                Some("2026-01-01T00:00:00Z".into()),
                &summary,
            );
            store.apply(&event, SystemTime::UNIX_EPOCH);
        }
        for (i, (kind, data, at)) in events.iter().enumerate() {
            let mut data = data.clone();
            data["call_sid"] = json!(sid);
            let event = LiveEvent {
                id: format!("EZ{i}"),
                kind: *kind,
                time: Some(format!("2026-01-01T00:{:02}:{:02}Z", at / 60, at % 60)),
                dataschema: None,
                data: LiveData::from_json(*kind, &data.to_string()).expect("live data"),
            };
            store.apply_live(&event, SystemTime::UNIX_EPOCH);
        }
        store.get(sid).cloned().expect("the call")
    }

    /// Five calls for the live fields: one with only a summary, two in progress (one good
    /// now, one bad with warnings and an error), one ended, one only ringing.
    fn live_calls() -> Vec<(&'static str, CallRecord)> {
        use LiveKind::{GatewayEvent as Progress, GatewayMetrics as Metric, SdkEvent as Sdk};
        let progress = |name: &str| json!({"name": name, "group": "call"});
        let sample = |jitter: f64, loss: f64, rtt: f64, mos: f64| {
            json!({"direction": "inbound", "carrier_edge": {"interval": {
                "jitter": {"value": jitter}, "packets_loss_percentage": loss,
                "rtt": {"value": rtt}, "mos": {"value": mos}}}})
        };
        let warning = |name: &str, what: &str| json!({"name": name, "group": format!("network-quality-warning-{what}")});
        let error = |error: serde_json::Value| json!({"name": "error", "level": "ERROR", "sdk_edge": {"error": error}});
        vec![
            (
                "summ",
                record(
                    SummaryKind::Complete,
                    json!({"call_sid": "CA01", "call_state": "completed",
                           "tags": ["high_jitter"]}),
                ),
            ),
            (
                "good",
                live_record(
                    "CA02",
                    Some("ringing"),
                    &[
                        (Progress, progress("answered"), 1),
                        // Bad at first, good now: the latest sample counts.
                        (Metric, sample(40.0, 2.5, 500.0, 3.2), 10),
                        (Metric, sample(12.0, 0.4, 80.0, 4.3), 20),
                    ],
                ),
            ),
            (
                "bad",
                live_record(
                    "CA03",
                    None,
                    &[
                        (Progress, progress("answered"), 1),
                        (Metric, sample(45.5, 1.5, 450.0, 3.1), 20),
                        // Arrives last but is older: not the latest.
                        (Metric, sample(5.0, 0.0, 20.0, 4.4), 10),
                        (Sdk, warning("high-jitter", "raised"), 21),
                        (Sdk, warning("high-rtt", "raised"), 22),
                        (Sdk, warning("low-mos", "raised"), 23),
                        (Sdk, warning("high-rtt", "cleared"), 24),
                        (
                            Sdk,
                            error(json!({"code": 31005, "message": "Connection error"})),
                            25,
                        ),
                    ],
                ),
            ),
            (
                "ended",
                live_record(
                    "CA04",
                    None,
                    &[
                        (Progress, progress("answered"), 1),
                        (
                            Metric,
                            json!({"direction": "inbound",
                                   "carrier_edge": {"interval": {"jitter": {"value": 31.0}}}}),
                            10,
                        ),
                        (Sdk, error(json!({"message": "ICE gathering failed"})), 11),
                        (Progress, progress("completed"), 30),
                    ],
                ),
            ),
            (
                "ring",
                live_record("CA05", None, &[(Progress, progress("ringing"), 1)]),
            ),
        ]
    }

    #[test]
    fn live_fields_match_the_latest_figures_warnings_and_errors() {
        const ALL: &[&str] = &["summ", "good", "bad", "ended", "ring"];
        let cases: &[(&str, &[&str])] = &[
            // mos: the latest sample's, decimals; calls without one never match.
            ("mos<3.5", &["bad"]),
            ("mos<=3.1", &["bad"]),
            ("mos>=4.3", &["good"]),
            ("mos=3.1", &["bad"]),
            ("mos>0", &["good", "bad"]),
            ("mos<100", &["good", "bad"]),
            // `!=` is "not equal to": like pdd!=N, calls without the figure pass.
            ("mos!=3.1", &["summ", "good", "ended", "ring"]),
            // jitter: ms by default, `ms` and `s` units.
            ("jitter>30ms", &["bad", "ended"]),
            ("jitter>30", &["bad", "ended"]),
            ("jitter>=31", &["bad", "ended"]),
            ("jitter>31", &["bad"]),
            ("jitter>45.4", &["bad"]),
            ("jitter>0.04s", &["bad"]),
            ("jitter=0.0455s", &["bad"]),
            ("jitter<=12ms", &["good"]),
            ("JITTER_MS<20", &["good"]),
            // loss: percent, `%` optional.
            ("loss>1%", &["bad"]),
            ("loss>1", &["bad"]),
            ("loss>0.3%", &["good", "bad"]),
            ("loss<1%", &["good"]),
            ("loss>=0", &["good", "bad"]),
            // rtt
            ("rtt>400ms", &["bad"]),
            ("rtt>0.4s", &["bad"]),
            ("rtt<100", &["good"]),
            ("rtt_ms>=80", &["good", "bad"]),
            // live: in progress (answered, not ended)
            ("live", &["good", "bad"]),
            ("LIVE", &["good", "bad"]),
            ("live=true", &["good", "bad"]),
            ("live=yes", &["good", "bad"]),
            ("in_progress=1", &["good", "bad"]),
            ("live=false", &["summ", "ended", "ring"]),
            ("live=no", &["summ", "ended", "ring"]),
            ("live!=true", &["summ", "ended", "ring"]),
            ("!live", &["summ", "ended", "ring"]),
            ("not live", &["summ", "ended", "ring"]),
            // Quoted, it is a word: the `live` stage (no summary yet).
            ("\"live\"", &["bad", "ended", "ring"]),
            ("processing=live", &["bad", "ended", "ring"]),
            // warning: active SDK warnings (high-rtt was cleared)
            ("warning", &["bad"]),
            ("!warning", &["summ", "good", "ended", "ring"]),
            ("warning=high-jitter", &["bad"]),
            ("warning=HIGH-JITTER", &["bad"]),
            ("warning=high_jitter", &["bad"]),
            ("warning=high-rtt", &[]),
            ("warning=high", &[]),
            ("warning~mos", &["bad"]),
            ("warning~high_jit", &["bad"]),
            ("warning!=low-mos", &["summ", "good", "ended", "ring"]),
            ("warning!~jitter", &["summ", "good", "ended", "ring"]),
            ("warnings=low-mos", &["bad"]),
            // Warnings are not tags.
            ("tag~jitter", &["summ"]),
            // error: SDK error codes; `~` searches the messages too
            ("error", &["bad", "ended"]),
            ("!error", &["summ", "good", "ring"]),
            ("error=31005", &["bad"]),
            ("error=31000", &[]),
            ("error>=31000 error<32000", &["bad"]),
            ("error!=31005", &["summ", "good", "ended", "ring"]),
            ("error~connection", &["bad"]),
            ("error~ICE", &["ended"]),
            ("error~310", &["bad"]),
            ("error!~ice", &["summ", "good", "bad", "ring"]),
            // bare words: warnings and errors are searched too
            ("jitter", &["summ", "bad"]),
            ("low-mos", &["bad"]),
            ("gathering", &["ended"]),
            ("31005", &["bad"]),
            ("\"error\"", &["bad"]),
            ("\"warning\"", &[]),
            // combinations
            ("live and (mos<3.5 or warning)", &["bad"]),
            ("jitter>30ms !live", &["ended"]),
            ("live or error", &["good", "bad", "ended"]),
            ("", ALL),
        ];
        let calls = live_calls();
        for &(text, want) in cases {
            let filter = parse(text);
            let got: Vec<&str> = calls
                .iter()
                .filter(|(_, r)| filter.matches(r))
                .map(|(name, _)| *name)
                .collect();
            assert_eq!(got, want, "{text:?} read as {:?}", filter.canonical());
        }
        // The calls are what the cases take them for.
        let live = |name: &str| {
            let (_, record) = calls.iter().find(|(n, _)| *n == name).expect("call");
            record.live.as_deref()
        };
        assert!(live("summ").is_none());
        assert_eq!(live("bad").map(|l| l.worst.mos), Some(Some(3.1)));
        assert_eq!(live("good").map(|l| l.worst.jitter_ms), Some(Some(40.0)));
        assert_eq!(live("ring").map(|l| l.latest), Some(Default::default()));
        // `live` is what the record says of itself.
        for (name, record) in &calls {
            assert_eq!(
                parse("live").matches(record),
                record.in_progress(),
                "{name}"
            );
        }
    }

    #[test]
    fn pointer_puts_the_caret_under_the_error() {
        let err = Filter::parse("state=busy carier=x").expect_err("bad field");
        assert_eq!(
            err.pointer("state=busy carier=x"),
            "  state=busy carier=x\n             ^"
        );
        let err = Filter::parse("a and").expect_err("dangling");
        assert_eq!(err.pointer("a and"), "  a and\n    ^");
        let err = Filter::parse("\tfoo=1").expect_err("bad field");
        assert_eq!(err.pointer("\tfoo=1"), "   foo=1\n   ^");
    }

    #[test]
    fn filter_sees_the_merged_summary() {
        let event = |id: &str, kind, carrier: &str| {
            SummaryEvent::new(
                id.into(),
                kind,
                Some("2026-01-01T00:00:00Z".into()),
                &serde_json::from_value(json!({
                    "call_sid": "CA1", "call_state": "ringing", "from": {"carrier": carrier}
                }))
                .expect("summary"),
            )
        };
        let mut store = CallStore::new();
        store.apply(
            &event("EZ1", SummaryKind::Partial, "Old Telecom"),
            SystemTime::now(),
        );
        store.apply(
            &event("EZ2", SummaryKind::Complete, "New Mobile"),
            SystemTime::now(),
        );
        // A late partial loses the merge and must not bring its text back.
        store.apply(
            &event("EZ3", SummaryKind::Partial, "Old Telecom"),
            SystemTime::now(),
        );
        let record = store.get("CA1").expect("call");
        assert!(parse("carrier~new processing=complete").matches(record));
        assert!(!parse("carrier~old").matches(record));
        assert!(!parse("telecom").matches(record));
    }

    #[test]
    fn filter_is_cheap_to_share() {
        fn send_sync_clone<T: Send + Sync + Clone + fmt::Debug>() {}
        send_sync_clone::<Filter>();
        let f = parse("state=busy");
        assert_eq!(f.clone(), f);
        assert_eq!(f.to_string(), "state=busy");
    }
}
