//! What filters read of every call, kept beside its record: the byte pairs of its text, its
//! enum values as small codes and its numbers ([`SearchText`]). The store builds it whenever a
//! call's summary changes; the filter ([`super::filter`]) reads only it for most terms.

use crate::twilio::summary::{CallState, CallType, Direction, DisconnectedBy};
use crate::twilio::summary_core::SummaryCore;

/// What filters read of every call, in one small block beside the record: a signature of the
/// byte pairs of its text (call SID, carriers, caller, callee, tags, lowercased), its enum
/// values as small codes, and its numbers.
///
/// Why: filtering 100,000 calls is bound by memory, not by comparisons. Reading the summary's
/// scattered strings for every call took ~100 ms for a bare word. With this, `state=fail`
/// compares a code, and `carrier~voda` first checks that the call's text has every byte pair
/// of `voda`: only the few calls that do (about 6% in the demo's mix) have their strings read.
/// [`crate::calls::store::CallStore`] rebuilds it whenever a call's summary changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchText {
    /// Every byte pair of the call's lowercased text fields.
    pairs: BytePairs,
    /// q850, sip, pdd, duration, by [`NumField`].
    numbers: [i64; 4],
    /// Bit `i` set: `numbers[i]` is present.
    present: u8,
    /// State, type, direction, hang-up side (by `TextField::slot` in the filter): the index in the enum's
    /// `KNOWN`, or [`UNKNOWN_CODE`] for a value this build does not know (or an absent one).
    pub(super) codes: [u8; 4],
}

/// The code of an enum value that is not one of the known ones.
pub(super) const UNKNOWN_CODE: u8 = u8::MAX;

/// The index of `value` in `known`, as a code.
pub(super) fn code<T: PartialEq>(known: &[T], value: &T) -> u8 {
    known
        .iter()
        .position(|k| k == value)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(UNKNOWN_CODE)
}

impl SearchText {
    /// What filters read of `summary`.
    pub fn of(summary: &SummaryCore) -> Self {
        let p = &summary.properties;
        let mut pairs = BytePairs::default();
        let texts = [
            summary.call_sid.as_str(),
            &summary.from.carrier,
            &summary.to.carrier,
            &summary.from.caller,
            &summary.to.callee,
        ];
        for text in texts
            .into_iter()
            .chain(summary.tags.iter().map(String::as_str))
        {
            pairs.add_lowercase(text);
        }
        let numbers = [
            Some(p.q850_cause),
            Some(p.last_sip_response_num),
            p.pdd_ms,
            summary.duration,
        ];
        let present = numbers
            .iter()
            .enumerate()
            .fold(0, |bits, (i, n)| bits | u8::from(n.is_some()) << i);
        Self {
            pairs,
            numbers: numbers.map(Option::unwrap_or_default),
            present,
            codes: [
                code(CallState::KNOWN, &summary.call_state),
                code(CallType::KNOWN, &summary.call_type),
                code(Direction::KNOWN, &p.direction),
                code(DisconnectedBy::KNOWN, &p.disconnected_by),
            ],
        }
    }

    pub(super) fn number(&self, field: NumField) -> Option<i64> {
        let i = field as usize;
        (self.present >> i & 1 == 1).then_some(self.numbers[i])
    }

    /// The call's text fields may contain a needle with these byte pairs; false means none does.
    pub(super) fn may_contain(&self, needle: &BytePairs) -> bool {
        self.pairs.covers(needle)
    }
}

/// `text` lowercased character by character, the one way needles, signatures and non-ASCII
/// comparisons all lowercase (so that they agree, even on a final sigma).
pub(super) fn lowercase(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// A 256-bit set of hashed adjacent byte pairs: if a needle has a pair the text lacks, the
/// text cannot contain the needle. About a third of the bits are set for a typical call, so
/// a needle of four letters lets only a few percent of the calls that lack it through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct BytePairs([u64; 4]);

impl BytePairs {
    pub(super) fn of(lower: &str) -> Self {
        let mut set = Self::default();
        set.add_bytes(lower.bytes());
        set
    }

    /// Adds the pairs of one text, lowercased (without allocating for ASCII text).
    fn add_lowercase(&mut self, text: &str) {
        if text.is_ascii() {
            self.add_bytes(text.bytes().map(|b| b.to_ascii_lowercase()));
        } else {
            self.add_bytes(lowercase(text).bytes());
        }
    }

    fn add_bytes(&mut self, mut bytes: impl Iterator<Item = u8>) {
        let Some(mut previous) = bytes.next() else {
            return;
        };
        for b in bytes {
            // The top 8 bits of a multiplicative hash of the pair: 0..=255.
            let bit =
                usize::from((u16::from(previous) << 8 | u16::from(b)).wrapping_mul(0x9e37) >> 8);
            self.0[bit >> 6] |= 1 << (bit & 63);
            previous = b;
        }
    }

    /// Every pair of `other` is in `self`.
    fn covers(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .all(|(have, want)| have & want == *want)
    }
}

/// A number the filter compares (`q850>=16`); the order of [`SearchText`]'s numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumField {
    Q850,
    Sip,
    Pdd,
    Duration,
}
