//! Fuzzes what a verified delivery goes through: `parse_delivery` on any bytes, then for every
//! call summary the pack of its `data` and its round trip, and the merge into the call store.
//! Nothing may panic; the core the listener reads must be what the full summary says, whenever
//! the full summary can be read (fields outside the core are read only when a call is opened).

#![no_main]

use std::time::SystemTime;

use callwatch::calls::packed::PackedSummary;
use callwatch::twilio::summary_core::SummaryCore;
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
        let core = &summary_event.summary;
        let packed = PackedSummary::pack_json(summary_event.data.as_bytes());
        assert_eq!(
            packed.unpack_json().as_deref(),
            Some(summary_event.data.as_bytes()),
            "a pack unpacks to the text it was made of"
        );
        // What the details show when the full summary cannot be read: the core, whole.
        assert_eq!(&SummaryCore::from(&core.to_summary()), core);
        if let Ok(full) = summary_event.full_summary() {
            assert_eq!(
                &SummaryCore::from(&full),
                core,
                "the details view shows what the table shows"
            );
        }
        let (id, _) = store.apply(summary_event, SystemTime::UNIX_EPOCH);
        assert!(
            store.by_id(id).is_some(),
            "the call just merged is in the store"
        );
    }
    assert!(store.len() <= 4);
});
