//! How often one shard is read. Kinesis allows 5 `GetRecords` calls per second per shard,
//! shared by every consumer of the stream; one callwatch takes at most two of them (every
//! 500 ms while it catches up, once a second once caught up), so that two viewers catching up
//! at once still leave a read for a third. A throughput error doubles the wait up to 10 s.

use std::time::Duration;

/// The wait between reads of a shard that is behind the tip of the stream.
pub const CATCHING_UP: Duration = Duration::from_millis(500);

/// The wait between reads of a shard that is caught up.
pub const CAUGHT_UP: Duration = Duration::from_secs(1);

/// The longest wait after throughput errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The reading pace of one shard.
#[derive(Debug, Default)]
pub struct Pace {
    /// Throughput errors in a row.
    throttled: u32,
}

impl Pace {
    /// A read came back: the wait before the next, from whether the shard is still behind.
    pub fn after_read(&mut self, records: usize, millis_behind: Option<i64>) -> Duration {
        self.throttled = 0;
        if records > 0 && millis_behind.unwrap_or(0) > 0 {
            CATCHING_UP
        } else {
            CAUGHT_UP
        }
    }

    /// Kinesis said the shard's read limit was exceeded: the wait before trying again (1 s,
    /// 2 s, 4 s, 8 s, then 10 s).
    pub fn after_throttle(&mut self) -> Duration {
        let wait = CAUGHT_UP.saturating_mul(1 << self.throttled.min(4));
        self.throttled = self.throttled.saturating_add(1);
        wait.min(MAX_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_behind_is_read_twice_a_second_and_a_caught_up_one_once() {
        let mut pace = Pace::default();
        assert_eq!(pace.after_read(100, Some(5_000)), CATCHING_UP);
        assert_eq!(pace.after_read(100, Some(0)), CAUGHT_UP);
        assert_eq!(pace.after_read(0, Some(5_000)), CAUGHT_UP);
        assert_eq!(pace.after_read(0, None), CAUGHT_UP);
    }

    #[test]
    fn throughput_errors_double_the_wait_up_to_ten_seconds_and_a_read_resets_it() {
        let mut pace = Pace::default();
        let waits: Vec<u64> = (0..7).map(|_| pace.after_throttle().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 10, 10, 10]);
        pace.after_read(1, Some(0));
        assert_eq!(pace.after_throttle(), Duration::from_secs(1));
    }
}
