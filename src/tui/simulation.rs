//! The end of `callwatch demo --duration`: when the simulated Twilio stops, the header says so,
//! and a call it left unfinished (ringing, or answered and not ended) says in its details that
//! no more events will come for it, rather than looking like a call still going on.

use std::sync::OnceLock;
use std::time::SystemTime;

use crate::calls::store::{CallRecord, CallStore};
use crate::tui::HeaderInfo;

/// Set once, when the simulated Twilio has stopped sending; shared by the demo command (which
/// marks it) and the screen (which reads it).
#[derive(Debug, Default)]
pub struct SimulationEnd(OnceLock<SystemTime>);

impl SimulationEnd {
    /// Records that the simulation stopped at `at` (the first call wins).
    pub fn mark(&self, at: SystemTime) {
        let _ = self.0.set(at);
    }

    /// When the simulation stopped, once it has.
    pub fn ended_at(&self) -> Option<SystemTime> {
        self.0.get().copied()
    }
}

/// The states a call cannot leave: the rest (`ringing`, `answered`, none yet) are unfinished.
const FINAL_STATES: [&str; 6] = [
    "completed",
    "busy",
    "fail",
    "noanswer",
    "canceled",
    "undialed",
];

/// The note in the header's title: its mode note, or once the simulation has ended, when it
/// ended and how many calls of `store` it left unfinished (short enough for 80 columns).
pub fn title_note(header: &HeaderInfo, store: &CallStore) -> Option<String> {
    let end = header.simulation_end.as_deref();
    let Some(at) = end.and_then(SimulationEnd::ended_at) else {
        return header.mode_note.clone();
    };
    let unfinished: usize = store
        .count_by_state()
        .iter()
        .filter(|(state, _)| !FINAL_STATES.contains(&state.as_str()))
        .map(|(_, n)| n)
        .sum();
    let clock = crate::timestamp::clock(at);
    Some(match unfinished {
        0 => format!("demo: simulation ended at {clock}"),
        1 => format!("demo: simulation ended at {clock}, 1 call left unfinished"),
        n => format!("demo: simulation ended at {clock}, {n} calls left unfinished"),
    })
}

/// The sentence a call's details open with when the simulation ended (at `ended_at`) before
/// the call did.
pub fn unfinished_note(ended_at: Option<SystemTime>, record: &CallRecord) -> Option<String> {
    let at = ended_at?;
    if record.summary.call_state.is_final() {
        return None;
    }
    let what = if record.in_progress() {
        "ended"
    } else {
        "was answered"
    };
    Some(format!(
        "The simulation ended at {} (demo --duration) before this call {what}: no more events \
         will come for it, so its state stays as the last event left it.",
        crate::timestamp::clock(at)
    ))
}
