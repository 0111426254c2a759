//! Aggregates for the stats view: calls by state, top carriers, who hung up, Q.850 causes, SIP
//! responses, PDD percentiles, average duration, answer-seizure ratio, calls per minute, and
//! the calls' live quality by band.
//! Computed from the store on demand (the stats view recomputes at most once a second).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::calls::quality::{self, Band};
use crate::calls::store::CallRecord;

/// Minutes the calls-per-minute sparkline covers.
pub const SPARKLINE_MINUTES: usize = 30;

/// What the stats view shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallStats {
    /// Calls counted.
    pub calls: usize,
    /// (state, count), most first.
    pub by_state: Vec<(String, u64)>,
    /// (carrier, count) over both sides, most first, at most 8.
    pub top_carriers: Vec<(String, u64)>,
    /// (caller / callee / unknown, count).
    pub hangup: Vec<(String, u64)>,
    /// (Q.850 cause, count), most first, causes other than 0.
    pub q850: Vec<(i64, u64)>,
    /// (SIP response, count), most first, responses other than 0.
    pub sip: Vec<(i64, u64)>,
    /// Post-dial delay percentiles in ms: p50, p90, p99 (None without data).
    pub pdd_ms: Option<(i64, i64, i64)>,
    /// Average duration in seconds of calls that have one.
    pub avg_duration_s: Option<f64>,
    /// Completed calls / calls in a final state (answer-seizure ratio).
    pub asr: Option<f64>,
    /// Calls first seen in each of the last [`SPARKLINE_MINUTES`] minutes, oldest first.
    pub per_minute: Vec<u64>,
    /// Calls by quality band of their latest live figures ([`crate::calls::quality::band`]),
    /// in [`Band::ALL`] order: good, fair, poor, no data.
    pub quality: [u64; 4],
    /// Calls with figures whose band came from their MOS (the rest: from jitter and loss).
    pub judged_by_mos: u64,
    /// Calls whose latest jitter is over the threshold.
    pub poor_jitter: u64,
    /// Calls whose latest loss is over the threshold.
    pub poor_loss: u64,
}

impl CallStats {
    /// Computes the stats of `records`, with `now` ending the sparkline.
    pub fn compute<'a>(records: impl Iterator<Item = &'a CallRecord>, now: SystemTime) -> Self {
        let mut stats = CallStats {
            per_minute: vec![0; SPARKLINE_MINUTES],
            ..Self::default()
        };
        let mut by_state: HashMap<&str, u64> = HashMap::new();
        let mut carriers: HashMap<&str, u64> = HashMap::new();
        let mut hangup: HashMap<&str, u64> = HashMap::new();
        let mut q850: HashMap<i64, u64> = HashMap::new();
        let mut sip: HashMap<i64, u64> = HashMap::new();
        let mut pdds: Vec<i64> = Vec::new();
        let (mut dur_sum, mut dur_n) = (0i64, 0u64);
        let (mut answered, mut finals) = (0u64, 0u64);
        let now_min = minutes(now);
        for r in records {
            stats.calls += 1;
            let s = &r.summary;
            let state = s.call_state.as_str();
            *by_state
                .entry(if state.is_empty() { "unknown" } else { state })
                .or_default() += 1;
            for carrier in [&s.from.carrier, &s.to.carrier] {
                if !carrier.is_empty() {
                    *carriers.entry(carrier).or_default() += 1;
                }
            }
            let by = match s.properties.disconnected_by.as_str() {
                "caller" => "caller",
                "callee" => "callee",
                _ => "unknown",
            };
            *hangup.entry(by).or_default() += 1;
            if s.properties.q850_cause != 0 {
                *q850.entry(s.properties.q850_cause).or_default() += 1;
            }
            if s.properties.last_sip_response_num != 0 {
                *sip.entry(s.properties.last_sip_response_num).or_default() += 1;
            }
            if let Some(pdd) = s.properties.pdd_ms.filter(|p| *p > 0) {
                pdds.push(pdd);
            }
            if let Some(d) = s.duration {
                dur_sum += d;
                dur_n += 1;
            }
            if s.call_state.is_final() {
                finals += 1;
                if state == "completed" {
                    answered += 1;
                }
            }
            let figures = quality::of_record(r);
            let band = figures.map_or(Band::NoData, quality::band);
            if let Some(i) = Band::ALL.iter().position(|b| *b == band) {
                stats.quality[i] += 1;
            }
            if let Some(q) = figures {
                stats.judged_by_mos += u64::from(q.mos.is_some());
                stats.poor_jitter +=
                    u64::from(q.jitter_ms.map(quality::jitter_band) == Some(Band::Poor));
                stats.poor_loss +=
                    u64::from(q.loss_pct.map(quality::loss_band) == Some(Band::Poor));
            }
            let age = now_min.saturating_sub(minutes(r.first_seen));
            if let Ok(age) = usize::try_from(age)
                && age < SPARKLINE_MINUTES
            {
                stats.per_minute[SPARKLINE_MINUTES - 1 - age] += 1;
            }
        }
        stats.by_state = most_first(
            by_state
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        );
        stats.top_carriers = most_first(
            carriers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        );
        stats.top_carriers.truncate(8);
        stats.hangup = most_first(hangup.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        stats.q850 = most_first(q850.into_iter().collect());
        stats.sip = most_first(sip.into_iter().collect());
        if !pdds.is_empty() {
            pdds.sort_unstable();
            stats.pdd_ms = Some((
                percentile(&pdds, 50),
                percentile(&pdds, 90),
                percentile(&pdds, 99),
            ));
        }
        if dur_n > 0 {
            stats.avg_duration_s = Some(dur_sum as f64 / dur_n as f64);
        }
        if finals > 0 {
            stats.asr = Some(answered as f64 / finals as f64);
        }
        stats
    }
}

fn minutes(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 60)
}

/// Sorted by count, most first; ties by key so the order is stable.
fn most_first<K: Ord>(mut v: Vec<(K, u64)>) -> Vec<(K, u64)> {
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::store::CallStore;
    use crate::twilio::cloudevent::{SummaryEvent, SummaryKind};
    use std::time::Duration;

    fn add(store: &mut CallStore, sid: &str, data: serde_json::Value, at: SystemTime) {
        let mut summary: crate::twilio::summary::CallSummary =
            serde_json::from_value(data).expect("summary");
        summary.call_sid = sid.into();
        let ev = SummaryEvent::new(format!("EZ{sid}"), SummaryKind::Complete, None, &summary);
        store.apply(&ev, at);
    }

    #[test]
    fn counts_percentiles_and_ratio() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut store = CallStore::new();
        let completed = serde_json::json!({"call_state": "completed", "duration": 60,
            "from": {"carrier": "AT&T"}, "to": {"carrier": "Vodafone"},
            "properties": {"q850_cause": 16, "last_sip_response_num": 200, "pdd_ms": 1000, "disconnected_by": "callee"}});
        let busy = serde_json::json!({"call_state": "busy", "duration": 2,
            "from": {"carrier": "AT&T"}, "properties": {"q850_cause": 17, "last_sip_response_num": 486, "pdd_ms": 3000}});
        add(&mut store, "CA1", completed.clone(), now);
        add(&mut store, "CA2", completed, now - Duration::from_secs(120));
        add(&mut store, "CA3", busy, now - Duration::from_secs(3600));
        let s = CallStats::compute(store.iter(), now);
        assert_eq!(s.calls, 3);
        assert_eq!(
            s.by_state,
            [("completed".to_owned(), 2), ("busy".to_owned(), 1)]
        );
        assert_eq!(s.top_carriers[0], ("AT&T".to_owned(), 3));
        assert_eq!(s.q850, [(16, 2), (17, 1)]);
        assert_eq!(s.sip, [(200, 2), (486, 1)]);
        assert_eq!(s.pdd_ms, Some((1000, 3000, 3000)));
        assert_eq!(s.avg_duration_s, Some(122.0 / 3.0));
        assert_eq!(s.asr, Some(2.0 / 3.0));
        assert_eq!(s.per_minute[SPARKLINE_MINUTES - 1], 1);
        assert_eq!(s.per_minute[SPARKLINE_MINUTES - 3], 1);
        assert_eq!(
            s.per_minute.iter().sum::<u64>(),
            2,
            "the hour-old call is outside the window"
        );
        assert_eq!(
            s.hangup,
            [("callee".to_owned(), 2), ("unknown".to_owned(), 1)]
        );
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), 50);
        assert_eq!(percentile(&v, 99), 99);
        assert_eq!(percentile(&[7], 90), 7);
    }
}
