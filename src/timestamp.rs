//! How times are written and read: RFC 3339 in UTC on the wire, in recordings and in the ndjson
//! lines, and the local `HH:MM:SS` of the screen. One owner, so that every place that writes a
//! time writes it the same way.

use std::sync::OnceLock;
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

static LOCAL_OFFSET: OnceLock<UtcOffset> = OnceLock::new();

/// Records the local UTC offset. Must be called before other threads start: reading the
/// offset is refused by the `time` crate once a process has several threads.
pub fn init_local_offset() {
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let _ = LOCAL_OFFSET.set(offset);
}

/// `HH:MM:SS` in local time (UTC if the offset could not be read).
pub fn clock(t: SystemTime) -> String {
    let offset = LOCAL_OFFSET.get().copied().unwrap_or(UtcOffset::UTC);
    let t = OffsetDateTime::from(t).to_offset(offset);
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// RFC 3339 UTC with milliseconds, like Twilio's own timestamps: `2026-06-10T06:02:54.377Z`.
pub fn rfc3339(t: SystemTime) -> String {
    rfc3339_millis(OffsetDateTime::from(t))
}

/// `2026-06-10T06:02:54.377Z`: UTC with milliseconds, as CloudEvent `time` carries it.
pub fn rfc3339_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `2020-07-23T22:56:28Z`: UTC to the second, as summaries carry `start_time`/`end_time` and
/// the Monitor API takes `StartDate`.
pub fn rfc3339_seconds(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Unix nanoseconds as RFC 3339 with as many fraction digits as they need (`None` out of
/// range).
pub fn rfc3339_of_unix_nanos(nanos: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).ok()?;
    t.format(&Rfc3339).ok()
}

/// Reads an RFC 3339 time, any offset and precision.
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text, &Rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_writes_utc_with_milliseconds() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(1_781_071_374_377_999_999);
        assert_eq!(rfc3339(t), "2026-06-10T06:02:54.377Z");
        let t = time::macros::datetime!(2026-06-10 08:02:54.377 +02:00);
        assert_eq!(rfc3339_millis(t), "2026-06-10T06:02:54.377Z");
        assert_eq!(rfc3339_seconds(t), "2026-06-10T06:02:54Z");
    }

    #[test]
    fn monitor_api_start_dates_are_whole_seconds_in_gmt() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_781_074_974_377);
        assert_eq!(rfc3339_seconds(t.into()), "2026-06-10T07:02:54Z");
    }

    #[test]
    fn written_times_read_back() {
        let nanos = 1_781_071_374_377_000_001;
        let text = rfc3339_of_unix_nanos(nanos).expect("in range");
        assert_eq!(text, "2026-06-10T06:02:54.377000001Z");
        let back = parse_rfc3339(&text).expect("parses");
        assert_eq!(back.unix_timestamp_nanos(), i128::from(nanos));
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
