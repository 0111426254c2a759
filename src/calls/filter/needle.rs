//! The text a term searches for, lowercased once when the expression is read, and the
//! case-insensitive comparisons with a call's values that allocate nothing for ASCII text.
//! Its byte pairs let a call's [`SearchText`](crate::calls::search::SearchText) signature
//! settle most calls before any of their strings is read.

use crate::calls::search::{BytePairs, lowercase};

/// A search text, lowercased once at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Needle {
    pub(super) lower: Box<str>,
    /// `lower` is ASCII: compare bytes, ignoring ASCII case, without allocating.
    ascii: bool,
    /// `lower` is all digits: numbers are searched too (bare words only).
    pub(super) digits: bool,
    /// The byte pairs of `lower`, checked against a [`SearchText`](crate::calls::search::SearchText)'s before reading its text.
    pub(super) pairs: BytePairs,
}

impl Needle {
    pub(super) fn new(text: &str) -> Self {
        let lower = lowercase(text);
        Self {
            ascii: lower.is_ascii(),
            digits: !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()),
            pairs: BytePairs::of(&lower),
            lower: lower.into_boxed_str(),
        }
    }

    /// `hay` (an enum's wire value) equals (`exact`) or contains the needle, ignoring case.
    pub(super) fn matches(&self, hay: &str, exact: bool) -> bool {
        if exact {
            self.equals(hay)
        } else {
            self.within(hay)
        }
    }

    /// `hay` (an enum's wire value) equals the needle, ignoring case.
    fn equals(&self, hay: &str) -> bool {
        if self.ascii {
            hay.eq_ignore_ascii_case(&self.lower)
        } else {
            hay.chars()
                .flat_map(char::to_lowercase)
                .eq(self.lower.chars())
        }
    }

    /// `hay` (an enum's wire value) contains the needle, ignoring case.
    pub(super) fn within(&self, hay: &str) -> bool {
        if self.ascii {
            ascii_contains(hay.as_bytes(), self.lower.as_bytes())
        } else if hay.is_ascii() {
            // A needle with non-ASCII letters cannot occur in ASCII text.
            false
        } else {
            lowercase(hay).contains(&*self.lower)
        }
    }

    /// The decimal form of `n` contains the needle.
    pub(super) fn within_number(&self, n: i64) -> bool {
        let mut buf = [0u8; 20];
        ascii_contains(decimal(n, &mut buf), self.lower.as_bytes())
    }
}

/// `needle` (lowercase ASCII) occurs in `hay`, ignoring ASCII case.
fn ascii_contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    let upper = first.to_ascii_uppercase();
    (0..=hay.len() - needle.len()).any(|i| {
        let b = hay[i];
        (b == first || b == upper) && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest)
    })
}

/// Writes `n` in decimal into `buf` (20 bytes hold any i64) and returns the digits.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::json;

    use super::super::tests::parse;
    use super::*;
    use crate::calls::search::{NumField, code};
    use crate::calls::store::CallStore;
    use crate::twilio::cloudevent::{SummaryEvent, SummaryKind};
    use crate::twilio::summary::{CallState, CallSummary};

    #[test]
    fn text_search_helpers() {
        assert!(ascii_contains(b"Vodafone UK", b"fone u"));
        assert!(ascii_contains(b"abc", b""));
        assert!(!ascii_contains(b"ab", b"abc"));
        assert!(ascii_contains(b"xxAB", b"ab"));
        let mut buf = [0u8; 20];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(486, &mut buf), b"486");
        assert_eq!(decimal(-17, &mut buf), b"-17");
        assert_eq!(decimal(i64::MIN, &mut buf), b"-9223372036854775808");
    }

    #[test]
    fn search_text_signature_never_says_no_wrongly() {
        let summary: CallSummary = serde_json::from_value(json!({
            "call_sid": "CA11",
            "call_state": "busy",
            "from": {"caller": "+1415", "carrier": "AT&T"},
            "to": {"callee": "client:Bob", "carrier": "Telefónica"},
            "tags": ["High_Jitter", "silence"],
            "duration": 7,
        }))
        .expect("summary");
        let search = crate::calls::search::SearchText::of(
            &crate::twilio::summary_core::SummaryCore::from(&summary),
        );
        // Every piece of every text field, in any case, may be contained.
        for text in [
            "CA11",
            "at&t",
            "AT",
            "TELEFÓ",
            "nica",
            "+1415",
            "Client:BOB",
            "jitter",
            "ence",
            "a",
            "",
        ] {
            assert!(search.may_contain(&Needle::new(text).pairs), "{text}");
        }
        // Text it lacks mostly is not: these pairs happen to be absent.
        for text in ["vodafone", "xyzzy"] {
            assert!(!search.may_contain(&Needle::new(text).pairs), "{text}");
        }
        assert_eq!(search.codes[0], code(CallState::KNOWN, &CallState::Busy));
        assert_eq!(search.number(NumField::Duration), Some(7));
        assert_eq!(search.number(NumField::Pdd), None);
        // A final sigma lowercases the same way in needles and signatures.
        let greek: CallSummary =
            serde_json::from_value(json!({"from": {"carrier": "ΟΔΟΣ"}})).expect("summary");
        let record = |summary: CallSummary| {
            let mut store = CallStore::new();
            let event = SummaryEvent::new("EZ1".into(), SummaryKind::Complete, None, &summary);
            store.apply(&event, SystemTime::UNIX_EPOCH);
            store.iter().next().cloned().expect("record")
        };
        let greek = record(greek);
        assert!(parse("carrier=οδοσ").matches(&greek));
        assert!(parse("carrier~ΔΟΣ").matches(&greek));
    }
}
