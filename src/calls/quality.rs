//! How good a call's audio is, by the thresholds a voice engineer would use: MOS under 3.5 is
//! poor and under 4.0 fair; jitter over 30 ms or packet loss over 1 % is poor. One place, so the
//! table's colours, its quality sort and the stats view's distribution always agree.

use crate::calls::live::Quality;
use crate::calls::store::CallRecord;

/// A MOS under this is poor (Voice Insights tags `low_mos` under it too).
pub const MOS_POOR: f64 = 3.5;
/// A MOS under this (and not poor) is fair; at or above it, good.
pub const MOS_FAIR: f64 = 4.0;
/// Jitter above this, in ms, is poor.
pub const JITTER_POOR_MS: f64 = 30.0;
/// Packet loss above this, in percent, is poor.
pub const LOSS_POOR_PCT: f64 = 1.0;

/// A quality band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    /// No figure known.
    NoData,
    /// Fine.
    Good,
    /// Noticeable (MOS 3.5 to 4.0).
    Fair,
    /// Bad: MOS under 3.5, jitter over 30 ms or loss over 1 %.
    Poor,
}

impl Band {
    /// Every band, best first, "no data" last (the order the stats view lists them).
    pub const ALL: [Band; 4] = [Band::Good, Band::Fair, Band::Poor, Band::NoData];

    /// `good`, `fair`, `poor`, `no data`.
    pub fn label(self) -> &'static str {
        match self {
            Band::NoData => "no data",
            Band::Good => "good",
            Band::Fair => "fair",
            Band::Poor => "poor",
        }
    }
}

/// The band of a MOS.
pub fn mos_band(mos: f64) -> Band {
    if mos < MOS_POOR {
        Band::Poor
    } else if mos < MOS_FAIR {
        Band::Fair
    } else {
        Band::Good
    }
}

/// The band of a jitter in ms.
pub fn jitter_band(jitter_ms: f64) -> Band {
    if jitter_ms > JITTER_POOR_MS {
        Band::Poor
    } else {
        Band::Good
    }
}

/// The band of a packet loss in percent.
pub fn loss_band(loss_pct: f64) -> Band {
    if loss_pct > LOSS_POOR_PCT {
        Band::Poor
    } else {
        Band::Good
    }
}

/// The band of a set of figures: by MOS when there is one, else the worse of jitter and loss.
pub fn band(q: &Quality) -> Band {
    if let Some(mos) = q.mos {
        return mos_band(mos);
    }
    let jitter = q.jitter_ms.map_or(Band::NoData, jitter_band);
    let loss = q.loss_pct.map_or(Band::NoData, loss_band);
    jitter.max(loss)
}

/// The figures a call's quality is judged by: its latest samples (live calls only).
pub fn of_record(record: &CallRecord) -> Option<&Quality> {
    record.live.as_deref().map(|l| &l.latest)
}

/// The band of a call (no data without live samples).
pub fn record_band(record: &CallRecord) -> Band {
    of_record(record).map_or(Band::NoData, band)
}

/// How bad a call sounds, for sorting: higher is worse, `None` without figures. Poor calls
/// rank above fair above good; within a band, a lower MOS, or (without MOS) jitter and loss
/// further past their thresholds, rank higher.
pub fn badness(q: &Quality) -> Option<i64> {
    let within = if let Some(mos) = q.mos {
        // MOS is at most ~4.5: 0 (perfect) to 500.
        ((5.0 - mos).max(0.0) * 100.0).round() as i64
    } else {
        let jitter = q.jitter_ms.map_or(0.0, |j| j / JITTER_POOR_MS);
        let loss = q.loss_pct.map_or(0.0, |l| l / LOSS_POOR_PCT);
        (jitter.max(loss) * 100.0).round().min(1e9) as i64
    };
    match band(q) {
        Band::NoData => None,
        b => Some(b as i64 * 1_000_000_000 + within),
    }
}

/// The short text of a call's quality for the table: `MOS 4.21`, else `12ms 0.5%` (either
/// half alone when only it is known), `""` without figures.
pub fn short_text(q: &Quality) -> String {
    if let Some(mos) = q.mos {
        return format!("MOS {mos:.2}");
    }
    let jitter = q.jitter_ms.map(|j| format!("{j:.0}ms"));
    let loss = q.loss_pct.map(loss_text);
    [jitter, loss]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A packet loss as `0.5%` (one decimal under 10 %, none above).
pub fn loss_text(loss_pct: f64) -> String {
    if loss_pct < 10.0 {
        format!("{loss_pct:.1}%")
    } else {
        format!("{loss_pct:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(mos: Option<f64>, jitter: Option<f64>, loss: Option<f64>) -> Quality {
        Quality {
            jitter_ms: jitter,
            loss_pct: loss,
            rtt_ms: None,
            mos,
        }
    }

    #[test]
    fn thresholds() {
        assert_eq!(mos_band(3.49), Band::Poor);
        assert_eq!(mos_band(3.5), Band::Fair);
        assert_eq!(mos_band(3.99), Band::Fair);
        assert_eq!(mos_band(4.0), Band::Good);
        assert_eq!(jitter_band(30.0), Band::Good);
        assert_eq!(jitter_band(30.1), Band::Poor);
        assert_eq!(loss_band(1.0), Band::Good);
        assert_eq!(loss_band(1.01), Band::Poor);
    }

    #[test]
    fn mos_decides_when_known_else_the_worse_of_jitter_and_loss() {
        assert_eq!(band(&q(Some(4.3), Some(80.0), Some(5.0))), Band::Good);
        assert_eq!(band(&q(None, Some(12.0), Some(2.0))), Band::Poor);
        assert_eq!(band(&q(None, Some(12.0), None)), Band::Good);
        assert_eq!(band(&q(None, None, None)), Band::NoData);
    }

    #[test]
    fn badness_orders_worst_highest() {
        let order = [
            q(None, None, None),
            q(Some(4.4), None, None),
            q(Some(4.1), None, None),
            q(Some(3.8), None, None),
            q(Some(3.4), None, None),
            q(Some(2.1), None, None),
        ];
        let ranks: Vec<Option<i64>> = order.iter().map(badness).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
        assert!(badness(&q(None, Some(90.0), None)) > badness(&q(None, Some(40.0), None)));
        assert!(badness(&q(None, Some(40.0), None)) > badness(&q(Some(3.9), None, None)));
    }

    #[test]
    fn short_texts() {
        assert_eq!(short_text(&q(Some(4.214), Some(3.0), None)), "MOS 4.21");
        assert_eq!(short_text(&q(None, Some(31.6), Some(0.26))), "32ms 0.3%");
        assert_eq!(short_text(&q(None, None, Some(12.4))), "12%");
        assert_eq!(short_text(&q(None, None, None)), "");
    }
}
