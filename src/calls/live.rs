//! What a call's live events have told so far ([`LiveState`]): its progress, its quality now
//! and at its worst, a bounded history of quality samples, a bounded timeline of progress and
//! Voice SDK events, and the SDK warnings still active and the errors raised.
//!
//! Live events are emitted within about 90 s of what they report and not in order, so every
//! "latest" here is the newest by the event's own timestamp, never the last to arrive.
//!
//! Bounds: a call keeps at most [`MAX_SAMPLES`] samples; when a new one would pass that, the
//! history is halved by merging neighbouring samples of the same edge and direction (keeping
//! the worst of each figure), so a call of hours still shows its whole course, at a coarser
//! step. The timeline keeps the first [`TIMELINE_HEAD`] events and the latest ones up to
//! [`MAX_TIMELINE`], counting the ones dropped between; errors are capped at [`MAX_ERRORS`],
//! warnings at [`MAX_WARNINGS`].

use compact_str::CompactString;

use crate::twilio::live::{Direction, EdgeKind, EventCore, LiveKind, MetricCore, SdkSignal};
use crate::twilio::summary::CallState;

/// The most quality samples a call keeps (see the module doc for how it stays under).
pub const MAX_SAMPLES: usize = 240;
/// The first time bucket when a sample history is made coarser: two samples' worth.
const FIRST_BUCKET_NS: i64 = 20_000_000_000;
/// The most timeline entries a call keeps.
pub const MAX_TIMELINE: usize = 64;
/// How many of the first timeline entries are always kept (the call's start).
pub const TIMELINE_HEAD: usize = 16;
/// The most SDK errors a call keeps (the first ones).
pub const MAX_ERRORS: usize = 8;
/// The most active SDK warnings a call keeps.
pub const MAX_WARNINGS: usize = 16;
/// The longest progress, event or warning name a call keeps, in bytes (longer ones are cut).
pub const MAX_NAME_BYTES: usize = 64;
/// The longest SDK error message a call keeps, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256;

/// A sample's figures in six bytes: jitter in tenths of a ms and RTT in ms (16 bits each, up
/// to 6.5 s and 65 s), and, in the last 16 bits, packet loss in tenths of a percent (10 bits)
/// with MOS in tenths (6 bits). Each has a "none" value. The latest and worst figures of a call
/// are kept exactly beside ([`LiveState::latest`], [`LiveState::worst`]); these are for its
/// course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Figures {
    jitter: u16,
    rtt: u16,
    loss_mos: u16,
}

const NO_WIDE: u16 = u16::MAX;
const NO_LOSS: u16 = 0x3ff;
const NO_MOS: u16 = 0x3f;

/// `v` scaled and rounded into `0..=max`, or `none`.
fn fixed(v: Option<f64>, scale: f64, max: u16, none: u16) -> u16 {
    match v {
        Some(v) if v.is_finite() && v >= 0.0 => (v * scale).round().min(f64::from(max)) as u16,
        _ => none,
    }
}

fn unfixed(n: u16, scale: f64, none: u16) -> Option<f64> {
    (n != none).then(|| f64::from(n) / scale)
}

impl Figures {
    fn new(jitter: Option<f64>, loss: Option<f64>, rtt: Option<f64>, mos: Option<f64>) -> Self {
        let loss = fixed(loss, 10.0, 1000, NO_LOSS);
        let mos = fixed(mos, 10.0, 50, NO_MOS);
        Self {
            jitter: fixed(jitter, 10.0, NO_WIDE - 1, NO_WIDE),
            rtt: fixed(rtt, 1.0, NO_WIDE - 1, NO_WIDE),
            loss_mos: loss << 6 | mos,
        }
    }

    fn loss(self) -> u16 {
        self.loss_mos >> 6
    }

    fn mos(self) -> u16 {
        self.loss_mos & NO_MOS
    }

    /// The worse of each figure: higher jitter, RTT and loss, lower MOS; a figure one side
    /// lacks is the other's.
    fn worst(self, other: Self) -> Self {
        let pick =
            |a: u16, b: u16, none: u16, worse: fn(u16, u16) -> u16| match (a == none, b == none) {
                (true, _) => b,
                (_, true) => a,
                _ => worse(a, b),
            };
        let loss = pick(self.loss(), other.loss(), NO_LOSS, u16::max);
        let mos = pick(self.mos(), other.mos(), NO_MOS, u16::min);
        Self {
            jitter: pick(self.jitter, other.jitter, NO_WIDE, u16::max),
            rtt: pick(self.rtt, other.rtt, NO_WIDE, u16::max),
            loss_mos: loss << 6 | mos,
        }
    }
}

/// One quality sample, small (16 bytes): a long call keeps hundreds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The sample's own timestamp, Unix nanoseconds (0 when it had none).
    pub time_ns: i64,
    /// Which edge.
    pub edge: EdgeKind,
    /// Which direction.
    pub direction: Direction,
    /// Jitter, RTT, loss and MOS, packed.
    figures: Figures,
}

impl Sample {
    /// Jitter in ms (to a tenth).
    pub fn jitter_ms(&self) -> Option<f64> {
        unfixed(self.figures.jitter, 10.0, NO_WIDE)
    }
    /// Packet loss in percent (to a tenth).
    pub fn loss_pct(&self) -> Option<f64> {
        unfixed(self.figures.loss(), 10.0, NO_LOSS)
    }
    /// Round-trip time in ms.
    pub fn rtt_ms(&self) -> Option<f64> {
        unfixed(self.figures.rtt, 1.0, NO_WIDE)
    }
    /// Mean opinion score (to a tenth).
    pub fn mos(&self) -> Option<f64> {
        unfixed(self.figures.mos(), 10.0, NO_MOS)
    }

    /// Merges `other` (of the same edge, direction and time bucket) into this one: the
    /// earlier time, the worst of each figure.
    fn absorb(&mut self, other: &Sample) {
        self.time_ns = self.time_ns.min(other.time_ns);
        self.figures = self.figures.worst(other.figures);
    }
}

/// Jitter, loss, RTT and MOS, each when known.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    /// Jitter in ms.
    pub jitter_ms: Option<f64>,
    /// Packet loss in percent.
    pub loss_pct: Option<f64>,
    /// Round-trip time in ms.
    pub rtt_ms: Option<f64>,
    /// Mean opinion score.
    pub mos: Option<f64>,
}

/// What a timeline entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A call-progress event (gateway); [`TimelineEntry::progress_state`] says the state its
    /// name maps to, if any.
    Progress,
    /// An SDK quality warning raised.
    WarningRaised,
    /// An SDK quality warning cleared.
    WarningCleared,
    /// An SDK error, with its code when given (and one that fits).
    Error(Option<i32>),
    /// Any other SDK event.
    Other,
}

/// One progress or SDK event in a call's timeline (40 bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// The event's own timestamp, Unix nanoseconds (0 when it had none).
    pub time_ns: i64,
    /// Gateway progress or SDK.
    pub sdk: bool,
    /// The name as it came.
    pub name: CompactString,
    /// What it says.
    pub signal: Signal,
}

impl TimelineEntry {
    /// The call state a progress entry's name maps to ([`crate::twilio::live::progress_state`]).
    pub fn progress_state(&self) -> Option<CallState> {
        match self.signal {
            Signal::Progress => crate::twilio::live::progress_state(&self.name),
            _ => None,
        }
    }
}

/// An SDK error seen on the call.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkErrorSeen {
    /// The code (31xxx), when given.
    pub code: Option<i64>,
    /// The SDK's message, when given.
    pub message: CompactString,
}

/// Everything the live events of one call told.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// The progress name of the newest progress event that counts, as it came.
    pub progress: Option<CompactString>,
    /// The state of the call's best summary, once one arrived: what
    /// [`crate::calls::store::settle`] weighs against [`Self::progress_state`].
    pub summary_state: Option<CallState>,
    /// The timestamp of the progress event behind `progress`.
    progress_ns: i64,
    /// When the call was answered (the answered event's timestamp), 0 when not known.
    pub answered_ns: i64,
    /// The earliest timestamp of any live event of the call.
    pub first_ns: i64,
    /// The latest value of each figure, by the samples' own timestamps.
    pub latest: Quality,
    /// The timestamp of each latest figure (jitter, loss, rtt, mos).
    latest_ns: [i64; 4],
    /// The worst of each figure so far: jitter, loss and RTT at their highest, MOS at its
    /// lowest.
    pub worst: Quality,
    /// Metric samples merged into this state (all of them, not only those kept).
    pub samples_merged: u32,
    /// Quality samples by timestamp, bounded ([`MAX_SAMPLES`]).
    pub samples: Vec<Sample>,
    /// The span of time one kept sample covers once the history was made coarser (0: every
    /// sample is kept as it came).
    pub bucket_ns: i64,
    /// Progress and SDK events by timestamp, bounded ([`MAX_TIMELINE`]).
    pub timeline: Vec<TimelineEntry>,
    /// Timeline entries dropped to stay under the bound.
    pub timeline_dropped: u32,
    /// SDK warnings raised and not yet cleared, in the order raised.
    pub warnings: Vec<CompactString>,
    /// SDK errors seen (the first [`MAX_ERRORS`]).
    pub errors: Vec<SdkErrorSeen>,
}

impl LiveState {
    /// The state of a call whose first live event arrives when its best summary says
    /// `summary_state` (`None`: no summary yet).
    pub fn after(summary_state: Option<CallState>) -> Self {
        Self {
            summary_state,
            ..Self::default()
        }
    }

    /// Takes a progress or SDK event with timestamp `time_ns`; gives the call state it
    /// reports, when it is a progress event whose name maps to one.
    pub fn apply_event(
        &mut self,
        kind: LiveKind,
        event: &EventCore,
        time_ns: i64,
    ) -> Option<CallState> {
        self.saw(time_ns);
        let sdk = kind == LiveKind::SdkEvent;
        let signal = if sdk {
            match event.sdk_signal() {
                SdkSignal::WarningRaised(name) => {
                    let name = kept(name, MAX_NAME_BYTES);
                    if !self.warnings.contains(&name) && self.warnings.len() < MAX_WARNINGS {
                        self.warnings.push(name);
                    }
                    Signal::WarningRaised
                }
                SdkSignal::WarningCleared(name) => {
                    let name = kept(name, MAX_NAME_BYTES);
                    self.warnings.retain(|w| *w != name);
                    Signal::WarningCleared
                }
                SdkSignal::Error(code, message) => {
                    if self.errors.len() < MAX_ERRORS {
                        self.errors.push(SdkErrorSeen {
                            code,
                            message: kept(message.unwrap_or_default(), MAX_MESSAGE_BYTES),
                        });
                    }
                    Signal::Error(code.and_then(|c| i32::try_from(c).ok()))
                }
                SdkSignal::Other => Signal::Other,
            }
        } else {
            Signal::Progress
        };
        self.note(TimelineEntry {
            time_ns,
            sdk,
            name: kept(&event.name, MAX_NAME_BYTES),
            signal: signal.clone(),
        });
        let state = match signal {
            Signal::Progress => event.progress_state()?,
            _ => return None,
        };
        if state == CallState::Answered && (self.answered_ns == 0 || time_ns < self.answered_ns) {
            self.answered_ns = time_ns;
        }
        // The progress that got furthest (ringing < answered < final); among equals, the
        // newest by timestamp.
        let current = self.progress_state().as_ref().map_or(0, stage);
        if self.progress.is_none()
            || stage(&state) > current
            || (stage(&state) == current && time_ns >= self.progress_ns)
        {
            self.progress = Some(kept(&event.name, MAX_NAME_BYTES));
            self.progress_ns = time_ns;
        }
        Some(state)
    }

    /// Takes a quality sample with timestamp `time_ns`.
    pub fn apply_metric(&mut self, metric: &MetricCore, time_ns: i64) {
        self.saw(time_ns);
        self.samples_merged = self.samples_merged.saturating_add(1);
        for r in metric.readings() {
            let values = [r.jitter_ms, r.loss_pct, r.rtt_ms, r.mos];
            let latest = [
                &mut self.latest.jitter_ms,
                &mut self.latest.loss_pct,
                &mut self.latest.rtt_ms,
                &mut self.latest.mos,
            ];
            for (i, (slot, value)) in latest.into_iter().zip(values).enumerate() {
                if let Some(v) = value
                    && (slot.is_none() || time_ns >= self.latest_ns[i])
                {
                    *slot = Some(v);
                    self.latest_ns[i] = time_ns;
                }
            }
            let worst = &mut self.worst;
            worse(&mut worst.jitter_ms, r.jitter_ms, f64::max);
            worse(&mut worst.loss_pct, r.loss_pct, f64::max);
            worse(&mut worst.rtt_ms, r.rtt_ms, f64::max);
            worse(&mut worst.mos, r.mos, f64::min);
            let sample = Sample {
                time_ns,
                edge: r.edge,
                direction: r.direction,
                figures: Figures::new(r.jitter_ms, r.loss_pct, r.rtt_ms, r.mos),
            };
            self.keep(sample);
        }
    }

    /// The state the progress name reports ([`crate::twilio::live::progress_state`]).
    pub fn progress_state(&self) -> Option<CallState> {
        self.progress
            .as_deref()
            .and_then(crate::twilio::live::progress_state)
    }

    /// True when an SDK warning is active.
    pub fn has_warning(&self) -> bool {
        !self.warnings.is_empty()
    }

    /// Notes the earliest timestamp seen.
    fn saw(&mut self, time_ns: i64) {
        if time_ns != 0 && (self.first_ns == 0 || time_ns < self.first_ns) {
            self.first_ns = time_ns;
        }
    }

    /// Adds a timeline entry in timestamp order, dropping the oldest entry after the head when
    /// the timeline is full.
    fn note(&mut self, entry: TimelineEntry) {
        let at = self
            .timeline
            .partition_point(|e| e.time_ns <= entry.time_ns);
        self.timeline.insert(at, entry);
        if self.timeline.len() > MAX_TIMELINE {
            self.timeline.remove(TIMELINE_HEAD);
            self.timeline_dropped = self.timeline_dropped.saturating_add(1);
        }
    }

    /// Keeps a sample in the history: merged into the sample of its edge and direction in the
    /// same time bucket once the history is coarse, else inserted in timestamp order (making
    /// the history coarser first when it is full).
    fn keep(&mut self, sample: Sample) {
        if self.absorbed(&sample) {
            return;
        }
        if self.samples.len() >= MAX_SAMPLES {
            self.coarsen();
            if self.absorbed(&sample) {
                return;
            }
        }
        let at = self
            .samples
            .partition_point(|s| s.time_ns <= sample.time_ns);
        self.samples.insert(at, sample);
    }

    /// Merges `sample` into the kept sample of the same edge, direction and time bucket, if
    /// the history is bucketed and has one.
    fn absorbed(&mut self, sample: &Sample) -> bool {
        if self.bucket_ns == 0 {
            return false;
        }
        let start = sample.time_ns.div_euclid(self.bucket_ns) * self.bucket_ns;
        let from = self.samples.partition_point(|s| s.time_ns < start);
        let to = self
            .samples
            .partition_point(|s| s.time_ns < start.saturating_add(self.bucket_ns));
        let same = |s: &&mut Sample| s.edge == sample.edge && s.direction == sample.direction;
        match self.samples[from..to].iter_mut().find(same) {
            Some(kept) => {
                kept.absorb(sample);
                true
            }
            None => false,
        }
    }

    /// Doubles the time bucket (from [`FIRST_BUCKET_NS`]) until the history fits in three
    /// quarters of [`MAX_SAMPLES`]: samples of one edge and direction in one bucket become one,
    /// so the whole course of the call stays, at an even, coarser step.
    fn coarsen(&mut self) {
        while self.samples.len() > MAX_SAMPLES * 3 / 4 {
            self.bucket_ns = (self.bucket_ns.saturating_mul(2)).max(FIRST_BUCKET_NS);
            let bucket = self.bucket_ns;
            let mut merged: Vec<Sample> = Vec::with_capacity(MAX_SAMPLES);
            for s in self.samples.drain(..) {
                let start = s.time_ns.div_euclid(bucket);
                // Samples are in timestamp order: a bucket's samples are at the end of `merged`.
                let kept = merged
                    .iter_mut()
                    .rev()
                    .take_while(|m| m.time_ns.div_euclid(bucket) == start)
                    .find(|m| m.edge == s.edge && m.direction == s.direction);
                match kept {
                    Some(kept) => kept.absorb(&s),
                    None => merged.push(s),
                }
            }
            self.samples = merged;
        }
    }
}

/// How far a state says the call got: absent < unknown < ringing < answered < final.
pub fn stage(state: &CallState) -> u8 {
    match state {
        s if s.is_absent() => 0,
        CallState::Ringing => 2,
        CallState::Answered => 3,
        s if s.is_final() => 4,
        _ => 1,
    }
}

/// `text` as a call keeps it: cut to `max` bytes by [`crate::text::clip`], which says how much
/// was cut.
fn kept(text: &str, max: usize) -> CompactString {
    if text.len() <= max {
        return text.into();
    }
    let mut text = text.to_owned();
    crate::text::clip(&mut text, max);
    text.into()
}

/// Keeps in `slot` the worse of it and `value` (`pick` chooses: max or min).
fn worse(slot: &mut Option<f64>, value: Option<f64>, pick: fn(f64, f64) -> f64) {
    if let Some(v) = value {
        *slot = Some(slot.map_or(v, |w| pick(w, v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn progress(name: &str) -> EventCore {
        serde_json::from_value(json!({"call_sid": "CA1", "name": name, "group": "call"}))
            .expect("event")
    }

    fn sdk(name: &str, group: &str) -> EventCore {
        serde_json::from_value(json!({"call_sid": "CA1", "name": name, "group": group}))
            .expect("event")
    }

    fn metric(jitter: f64, loss: f64, mos: Option<f64>) -> MetricCore {
        let mut interval = json!({"jitter": {"value": jitter}, "packets_loss_percentage": loss});
        if let Some(mos) = mos {
            interval["mos"] = json!({"value": mos});
        }
        serde_json::from_value(json!({"call_sid": "CA1", "direction": "both",
            "sdk_edge": {"interval": interval}}))
        .expect("metric")
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn the_newest_sample_by_timestamp_is_latest_whatever_the_arrival_order() {
        let mut live = LiveState::default();
        live.apply_metric(&metric(12.0, 0.5, Some(4.2)), 30 * S);
        live.apply_metric(&metric(80.0, 6.0, Some(2.9)), 10 * S); // late
        live.apply_metric(&metric(20.0, 0.0, None), 20 * S);
        assert_eq!(live.latest.jitter_ms, Some(12.0));
        assert_eq!(live.latest.loss_pct, Some(0.5));
        assert_eq!(live.latest.mos, Some(4.2));
        assert_eq!(live.worst.jitter_ms, Some(80.0));
        assert_eq!(live.worst.loss_pct, Some(6.0));
        assert_eq!(live.worst.mos, Some(2.9));
        assert_eq!(live.samples_merged, 3);
        let times: Vec<i64> = live.samples.iter().map(|s| s.time_ns).collect();
        assert_eq!(times, [10 * S, 20 * S, 30 * S], "kept in timestamp order");
    }

    #[test]
    fn a_figure_the_newest_sample_lacks_stays_from_an_older_one() {
        let mut live = LiveState::default();
        live.apply_metric(&metric(5.0, 0.0, Some(4.3)), 10 * S);
        live.apply_metric(&metric(7.0, 0.1, None), 20 * S);
        assert_eq!(live.latest.mos, Some(4.3));
        assert_eq!(live.latest.jitter_ms, Some(7.0));
    }

    #[test]
    fn the_sample_history_is_bounded_and_keeps_the_worst() {
        let mut live = LiveState::default();
        // Six hours of samples every 10 s, with one spike early on.
        for i in 0..2160_i64 {
            let jitter = if i == 7 { 250.0 } else { 4.0 };
            live.apply_metric(&metric(jitter, 0.0, Some(4.4)), i * 10 * S);
        }
        assert!(live.samples.len() <= MAX_SAMPLES, "{}", live.samples.len());
        assert!(live.samples.len() >= MAX_SAMPLES / 2);
        assert_eq!(live.samples_merged, 2160);
        assert!(
            live.samples.iter().any(|s| s.jitter_ms() == Some(250.0)),
            "the spike survives merging"
        );
        assert!(
            live.samples
                .windows(2)
                .all(|w| w[0].time_ns <= w[1].time_ns)
        );
        assert!(live.bucket_ns >= 20 * S);
        let last = live.samples.last().map_or(0, |s| s.time_ns);
        assert!(
            last > 2159 * 10 * S - live.bucket_ns,
            "the end is shown: {last}"
        );
        assert_eq!(
            live.samples.first().map(|s| s.time_ns),
            Some(0),
            "the start is shown"
        );
        // Evenly: no gap between kept samples wider than two buckets.
        assert!(
            live.samples
                .windows(2)
                .all(|w| w[1].time_ns - w[0].time_ns <= 2 * live.bucket_ns)
        );
    }

    #[test]
    fn progress_final_states_are_never_displaced() {
        let mut live = LiveState::default();
        assert_eq!(
            live.apply_event(LiveKind::GatewayEvent, &progress("ringing"), S),
            Some(CallState::Ringing)
        );
        live.apply_event(LiveKind::GatewayEvent, &progress("call.completed"), 60 * S);
        live.apply_event(LiveKind::GatewayEvent, &progress("answered"), 5 * S); // late
        assert_eq!(live.progress.as_deref(), Some("call.completed"));
        assert_eq!(live.progress_state(), Some(CallState::Completed));
        assert_eq!(live.answered_ns, 5 * S);
        // Even one with a later timestamp.
        live.apply_event(LiveKind::GatewayEvent, &progress("ringing"), 90 * S);
        assert_eq!(live.progress_state(), Some(CallState::Completed));
        assert_eq!(live.timeline.len(), 4);
        assert_eq!(
            live.timeline[1].name, "answered",
            "timeline in timestamp order"
        );
    }

    #[test]
    fn unknown_progress_names_are_kept_and_change_nothing() {
        let mut live = LiveState::default();
        live.apply_event(LiveKind::GatewayEvent, &progress("ringing"), S);
        assert_eq!(
            live.apply_event(LiveKind::GatewayEvent, &progress("call.connected"), 2 * S),
            None
        );
        assert_eq!(live.progress.as_deref(), Some("ringing"));
        assert_eq!(live.timeline[1].signal, Signal::Progress);
        assert_eq!(live.timeline[1].progress_state(), None);
        assert_eq!(live.timeline[0].progress_state(), Some(CallState::Ringing));
    }

    #[test]
    fn warnings_are_active_until_cleared_and_errors_are_kept() {
        let mut live = LiveState::default();
        live.apply_event(
            LiveKind::SdkEvent,
            &sdk("high-jitter", "network-quality-warning-raised"),
            S,
        );
        live.apply_event(
            LiveKind::SdkEvent,
            &sdk("low-mos", "network-quality-warning-raised"),
            2 * S,
        );
        live.apply_event(
            LiveKind::SdkEvent,
            &sdk("high-jitter", "network-quality-warning-raised"),
            3 * S,
        );
        assert_eq!(live.warnings, ["high-jitter", "low-mos"]);
        live.apply_event(
            LiveKind::SdkEvent,
            &sdk("high-jitter", "network-quality-warning-cleared"),
            4 * S,
        );
        assert_eq!(live.warnings, ["low-mos"]);
        let error: EventCore = serde_json::from_value(json!({"name": "error", "level": "ERROR",
            "sdk_edge": {"error": {"code": 31005, "message": "Connection error"}}}))
        .expect("event");
        live.apply_event(LiveKind::SdkEvent, &error, 5 * S);
        assert_eq!(
            live.errors,
            [SdkErrorSeen {
                code: Some(31005),
                message: "Connection error".into()
            }]
        );
        // An SDK event never reports progress, even with a progress-like name.
        assert_eq!(
            live.apply_event(LiveKind::SdkEvent, &sdk("ringing", "connection"), 6 * S),
            None
        );
        assert_eq!(live.progress, None);
    }

    #[test]
    fn long_names_and_messages_are_cut_and_a_long_warning_still_clears() {
        let mut live = LiveState::default();
        let long = "w".repeat(5_000);
        live.apply_event(
            LiveKind::SdkEvent,
            &sdk(&long, "network-quality-warning-raised"),
            S,
        );
        assert_eq!(live.warnings.len(), 1);
        assert!(
            live.warnings[0].len() < MAX_NAME_BYTES + 20,
            "{}",
            live.warnings[0].len()
        );
        assert!(
            live.warnings[0].ends_with("…[+4936 bytes]"),
            "{}",
            live.warnings[0]
        );
        assert!(live.timeline[0].name.len() < MAX_NAME_BYTES + 20);
        live.apply_event(
            LiveKind::SdkEvent,
            &sdk(&long, "network-quality-warning-cleared"),
            2 * S,
        );
        assert!(
            live.warnings.is_empty(),
            "the cut name is cleared by the same long name"
        );
        let error: EventCore = serde_json::from_value(json!({"name": "error",
            "sdk_edge": {"error": {"code": 31000, "message": "m".repeat(10_000)}}}))
        .expect("event");
        live.apply_event(LiveKind::SdkEvent, &error, 3 * S);
        assert!(live.errors[0].message.len() < MAX_MESSAGE_BYTES + 20);
        live.apply_event(
            LiveKind::GatewayEvent,
            &progress(&format!("call.{long}")),
            4 * S,
        );
        assert_eq!(live.progress, None, "an unknown name is not progress");
    }

    #[test]
    fn the_timeline_is_bounded_and_keeps_its_head() {
        let mut live = LiveState::default();
        for i in 0..500_i64 {
            live.apply_event(LiveKind::SdkEvent, &sdk(&format!("e{i}"), "x"), i * S);
        }
        assert_eq!(live.timeline.len(), MAX_TIMELINE);
        assert_eq!(live.timeline_dropped, 500 - MAX_TIMELINE as u32);
        assert_eq!(live.timeline[0].name, "e0");
        assert_eq!(
            live.timeline[TIMELINE_HEAD - 1].name,
            format!("e{}", TIMELINE_HEAD - 1)
        );
        assert_eq!(live.timeline.last().map(|e| e.name.as_str()), Some("e499"));
    }

    #[test]
    fn samples_are_small() {
        assert!(
            std::mem::size_of::<Sample>() <= 24,
            "{}",
            std::mem::size_of::<Sample>()
        );
    }
}
