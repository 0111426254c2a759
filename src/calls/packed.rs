//! The full summary of every call, packed: its JSON text as it arrived, LZ4-compressed against
//! a dictionary of summaries, so that 100,000 calls fit in memory beside their
//! [`SummaryCore`](crate::twilio::summary_core::SummaryCore)s. Unpacked only when one call is
//! opened.

/// The full summary, packed: its JSON text as it arrived, LZ4-compressed against
/// [`dictionary`]. About 500 bytes for a typical summary of 1.9 kB, in ~3 µs; deflate took
/// ~100 µs for 780 bytes, and packing runs for every event the store applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedSummary(Box<[u8]>);

impl PackedSummary {
    /// Packs the JSON text of a summary (an event's `data`).
    pub fn pack_json(json: &[u8]) -> Self {
        Self(
            lz4_flex::block::compress_prepend_size_with_dict(json, dictionary()).into_boxed_slice(),
        )
    }

    /// The JSON text packed; `None` only if the bytes were damaged, which cannot happen short
    /// of a bug.
    pub fn unpack_json(&self) -> Option<Vec<u8>> {
        lz4_flex::block::decompress_size_prepended_with_dict(&self.0, dictionary()).ok()
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an empty pack (never produced by [`Self::pack_json`]).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What packed summaries are compressed against: the JSON of a few summaries as Twilio
/// writes them, so that a summary's keys, nulls and usual values are
/// found in it and cost a few bytes each. It is built the same way in every run (the demo
/// generator is deterministic); packs live only in memory, never on disk.
fn dictionary() -> &'static [u8] {
    static DICTIONARY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DICTIONARY.get_or_init(|| {
        // LZ4 looks back at most 64 KiB; past ~8 KiB the gain is small and each pack hashes
        // more of the dictionary.
        const SIZE: usize = 8 * 1024;
        let mut generator = crate::demo::generator::CallGenerator::new(99);
        let start = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let mut dictionary = Vec::with_capacity(2 * SIZE);
        for i in 0..64 {
            if dictionary.len() >= SIZE {
                break;
            }
            let call = generator.next_call(None, start + time::Duration::minutes(i));
            // The final summary of each call: every edge and metric it will ever have.
            let Some(last) = call.events.last() else {
                continue;
            };
            // `data` as Twilio writes it, which is what gets packed.
            if let Some(data) = last.event.get("data")
                && let Ok(json) = serde_json::to_vec(data)
            {
                dictionary.extend_from_slice(&json);
            }
        }
        // Matches closest to the end of the dictionary are the cheapest to encode.
        let keep = dictionary.len().min(SIZE);
        dictionary.split_off(dictionary.len() - keep)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::summary_core::SummaryCore;

    #[test]
    fn pack_round_trips_and_shrinks() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/twilio/fixtures/predicted-complete.json"
        ))
        .expect("fixture");
        let events = crate::twilio::cloudevent::parse_delivery(&data).expect("parse");
        let crate::twilio::cloudevent::DeliveredEvent::CallSummary(e) = &events[0] else {
            panic!("not a summary")
        };
        let full = e.full_summary().expect("full summary");
        let packed = PackedSummary::pack_json(e.data.as_bytes());
        assert_eq!(packed.unpack_json().as_deref(), Some(e.data.as_bytes()));
        let compact_len = serde_json::to_vec(&full).expect("json").len();
        assert!(
            packed.len() * 2 < compact_len,
            "{} vs {compact_len}",
            packed.len()
        );
        let core = &e.summary;
        assert_eq!(core, &SummaryCore::from(&full));
        assert_eq!(core.call_sid, "CA00000000000000000000000000000000");
        assert_eq!(core.from.carrier, "MEGA:CORP");
        assert_eq!(core.properties.direction.as_str(), "outbound_api");
    }
}
