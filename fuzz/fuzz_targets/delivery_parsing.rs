//! Fuzzes what a verified delivery goes through: `parse_delivery` on any bytes, then for every
//! call summary the compact core, the deflated pack and its round trip, and the merge into the
//! call store. Nothing may panic; a packed summary must unpack to the same core.

#![no_main]

use std::time::SystemTime;

use callwatch::calls::core::{PackedSummary, SummaryCore};
use callwatch::calls::store::CallStore;
use callwatch::twilio::cloudevent::{DeliveredEvent, parse_delivery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(events) = parse_delivery(body) else {
        return;
    };
    let mut store = CallStore::with_max_calls(Some(4));
    for event in &events {
        let DeliveredEvent::CallSummary(summary_event) = event else {
            continue;
        };
        let summary = &summary_event.summary;
        let core = SummaryCore::from(summary);
        let packed = PackedSummary::pack(summary);
        let unpacked = packed
            .unpack()
            .expect("a summary callwatch packed unpacks again");
        assert_eq!(
            SummaryCore::from(&unpacked),
            core,
            "the details view shows what the table shows"
        );
        // Packing is deterministic: the unpacked summary packs to the same bytes.
        assert_eq!(PackedSummary::pack(&unpacked), packed);
        let (id, _) = store.apply(summary_event, SystemTime::UNIX_EPOCH);
        assert!(
            store.by_id(id).is_some(),
            "the call just merged is in the store"
        );
    }
    assert!(store.len() <= 4);
});
