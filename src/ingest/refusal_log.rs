//! How many refused requests get a log line of their own: at most [`REFUSALS_LOGGED`] per
//! [`REFUSAL_LOG_WINDOW`], the rest counted and the count logged with the next one, so that a
//! flood of anonymous requests writes a few lines a minute, not one per request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many refused requests are logged one by one per [`REFUSAL_LOG_WINDOW`]; the
/// rest are counted and the count is logged with the next one logged. A flood of anonymous
/// requests then writes a few lines a minute, not one per request.
pub(crate) const REFUSALS_LOGGED: u32 = 10;

/// See [`REFUSALS_LOGGED`].
pub(crate) const REFUSAL_LOG_WINDOW: Duration = Duration::from_secs(60);

/// Whether a refused request gets its own log line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LogTurn {
    /// Log it, after saying how many went unlogged since the last one logged.
    Detailed { unlogged_before: u64 },
    /// Only count it.
    Counted,
}

/// The budget of log lines for refused requests.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    state: Mutex<RefusalLogState>,
}

#[derive(Debug, Default)]
struct RefusalLogState {
    window_start: Option<Instant>,
    logged: u32,
    unlogged: u64,
}

impl RefusalLog {
    pub(crate) fn admit(&self, now: Instant) -> LogTurn {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st
            .window_start
            .is_none_or(|start| now.duration_since(start) >= REFUSAL_LOG_WINDOW)
        {
            st.window_start = Some(now);
            st.logged = 0;
        }
        if st.logged < REFUSALS_LOGGED {
            st.logged += 1;
            LogTurn::Detailed {
                unlogged_before: std::mem::take(&mut st.unlogged),
            }
        } else {
            st.unlogged += 1;
            LogTurn::Counted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_refusals_is_logged_a_few_lines_a_minute() {
        let log = RefusalLog::default();
        let t0 = Instant::now();
        let turns: Vec<LogTurn> = (0..1000).map(|_| log.admit(t0)).collect();
        let detailed = turns.iter().filter(|t| **t != LogTurn::Counted).count();
        assert_eq!(detailed, REFUSALS_LOGGED as usize);
        // The next window logs again, first saying how many went unlogged.
        assert_eq!(
            log.admit(t0 + REFUSAL_LOG_WINDOW),
            LogTurn::Detailed {
                unlogged_before: 1000 - u64::from(REFUSALS_LOGGED)
            }
        );
        assert_eq!(
            log.admit(t0 + REFUSAL_LOG_WINDOW),
            LogTurn::Detailed { unlogged_before: 0 }
        );
    }
}
