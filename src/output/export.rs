//! Exporting calls: one row per call with the table's columns, as CSV (RFC 4180 quoting) or
//! JSON. Used by `callwatch export FILE` and by the TUI's `e` key, so both write the same rows.
//!
//! Exports go to files and to stdout, which may be a terminal, and are read with `cat` and
//! `less`: JSON has DEL, C1 and bidi controls escaped as `\uXXXX` (the same values to a JSON
//! reader); CSV has no escape of its own for them, so its fields keep their line breaks (quoted,
//! as RFC 4180 allows) and show every other control character as the screen does (`\x1b`,
//! `\r`, `\u202e`, see [`crate::text`]). No call field holds one legitimately.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::calls::store::CallRecord;
use crate::output::mask;
use crate::timestamp::rfc3339;
use crate::twilio::codes::{q850_meaning, sip_phrase};

/// One call, flattened to the table's columns. Codes that are absent (0 on the wire) are
/// `None`: empty in CSV, `null` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRow {
    /// When the call was last updated, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The call SID.
    pub call_sid: String,
    /// `inbound`, `outbound_api`, ...
    pub direction: String,
    /// The caller.
    pub from: String,
    /// The callee.
    pub to: String,
    /// `carrier`, `sip`, `client`, ...
    pub call_type: String,
    /// `completed`, `busy`, `no-answer`, ...
    pub call_state: String,
    /// `partial`, `predicted-complete` or `complete`: the summary the row shows.
    pub processing: String,
    /// Seconds.
    pub duration: Option<i64>,
    /// The caller's carrier.
    pub from_carrier: String,
    /// The callee's carrier.
    pub to_carrier: String,
    /// Who hung up (`caller`, `callee`, ...).
    pub disconnected_by: String,
    /// The Q.850 cause.
    pub q850_cause: Option<i64>,
    /// What the Q.850 cause means, when known.
    pub q850_meaning: String,
    /// The last SIP response code.
    pub sip: Option<i64>,
    /// The SIP response's reason phrase, when known.
    pub sip_phrase: String,
    /// Voice Insights tags.
    pub tags: Vec<String>,
    /// Answered and not ended (live events).
    pub in_progress: bool,
    /// The latest MOS, by the samples' timestamps.
    pub mos: Option<f64>,
    /// The latest jitter, ms.
    pub jitter_ms: Option<f64>,
    /// The latest packet loss, %.
    pub loss_pct: Option<f64>,
    /// The latest round-trip time, ms.
    pub rtt_ms: Option<f64>,
    /// The lowest MOS so far.
    pub mos_min: Option<f64>,
    /// The highest jitter so far, ms.
    pub jitter_max: Option<f64>,
    /// The highest packet loss so far, %.
    pub loss_max: Option<f64>,
}

/// The CSV header, in column order (the [`CallRow`] field names).
pub const CSV_COLUMNS: [&str; 25] = [
    "time",
    "call_sid",
    "direction",
    "from",
    "to",
    "call_type",
    "call_state",
    "processing",
    "duration",
    "from_carrier",
    "to_carrier",
    "disconnected_by",
    "q850_cause",
    "q850_meaning",
    "sip",
    "sip_phrase",
    "tags",
    "in_progress",
    "mos",
    "jitter_ms",
    "loss_pct",
    "rtt_ms",
    "mos_min",
    "jitter_max",
    "loss_max",
];

/// One row per record, in the order given; with `mask`, phone numbers and addresses are
/// masked as on screen.
pub fn call_rows<'a>(
    records: impl IntoIterator<Item = &'a CallRecord>,
    mask: bool,
) -> Vec<CallRow> {
    let hide = |text: &str| {
        if mask {
            mask::mask(text)
        } else {
            text.to_owned()
        }
    };
    records
        .into_iter()
        .map(|record| {
            let s = &record.summary;
            let p = &s.properties;
            let code = |n: i64| (n != 0).then_some(n);
            let live = record.live.as_deref();
            let latest = live.map(|l| l.latest).unwrap_or_default();
            let worst = live.map(|l| l.worst).unwrap_or_default();
            let round = |v: Option<f64>| v.map(crate::output::two_decimals);
            CallRow {
                time: rfc3339(record.updated_at),
                call_sid: s.call_sid.clone(),
                direction: p.direction.as_str().to_owned(),
                from: hide(&s.from.caller),
                to: hide(&s.to.callee),
                call_type: s.call_type.as_str().to_owned(),
                call_state: s.call_state.as_str().to_owned(),
                processing: record.processing_name().to_owned(),
                duration: s.duration,
                from_carrier: s.from.carrier.to_string(),
                to_carrier: s.to.carrier.to_string(),
                disconnected_by: p.disconnected_by.as_str().to_owned(),
                q850_cause: code(p.q850_cause),
                q850_meaning: q850_meaning(p.q850_cause).unwrap_or_default().to_owned(),
                sip: code(p.last_sip_response_num),
                sip_phrase: sip_phrase(p.last_sip_response_num)
                    .unwrap_or_default()
                    .to_owned(),
                tags: s.tags.clone(),
                in_progress: record.in_progress(),
                mos: round(latest.mos),
                jitter_ms: round(latest.jitter_ms),
                loss_pct: round(latest.loss_pct),
                rtt_ms: round(latest.rtt_ms),
                mos_min: round(worst.mos),
                jitter_max: round(worst.jitter_ms),
                loss_max: round(worst.loss_pct),
            }
        })
        .collect()
}

/// Writes `rows` as CSV: a header line, then one line per row. Fields holding a comma, a
/// quote or a line break are quoted, with quotes doubled (RFC 4180); other control characters
/// are escaped; tags are joined with `,`.
pub fn write_csv<W: Write + ?Sized>(out: &mut W, rows: &[CallRow]) -> std::io::Result<()> {
    write_record(out, CSV_COLUMNS.iter().copied())?;
    for row in rows {
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let tags = row.tags.join(",");
        let duration = number(row.duration);
        let q850 = number(row.q850_cause);
        let sip = number(row.sip);
        // Written as the JSON export writes them (`40.0`), so both read back the same.
        let figure = |v: Option<f64>| {
            v.and_then(serde_json::Number::from_f64)
                .map(|n| n.to_string())
                .unwrap_or_default()
        };
        let figures = [
            row.mos,
            row.jitter_ms,
            row.loss_pct,
            row.rtt_ms,
            row.mos_min,
            row.jitter_max,
            row.loss_max,
        ]
        .map(figure);
        let in_progress = row.in_progress.to_string();
        write_record(
            out,
            [
                row.time.as_str(),
                &row.call_sid,
                &row.direction,
                &row.from,
                &row.to,
                &row.call_type,
                &row.call_state,
                &row.processing,
                &duration,
                &row.from_carrier,
                &row.to_carrier,
                &row.disconnected_by,
                &q850,
                &row.q850_meaning,
                &sip,
                &row.sip_phrase,
                &tags,
                &in_progress,
                &figures[0],
                &figures[1],
                &figures[2],
                &figures[3],
                &figures[4],
                &figures[5],
                &figures[6],
            ],
        )?;
    }
    out.flush()
}

fn write_record<'a, W: Write + ?Sized>(
    out: &mut W,
    fields: impl IntoIterator<Item = &'a str>,
) -> std::io::Result<()> {
    for (i, field) in fields.into_iter().enumerate() {
        let field = crate::text::terminal_safe_lines(field);
        if i > 0 {
            out.write_all(b",")?;
        }
        if field.contains([',', '"', '\n']) {
            out.write_all(b"\"")?;
            out.write_all(field.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

/// Writes `rows` as a JSON array, one row object per line.
pub fn write_json<W: Write + ?Sized>(out: &mut W, rows: &[CallRow]) -> std::io::Result<()> {
    out.write_all(b"[")?;
    for (i, row) in rows.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        let line = serde_json::to_string(row)?;
        out.write_all(crate::text::json_safe(&line).as_bytes())?;
    }
    out.write_all(b"\n]\n")?;
    out.flush()
}

/// Writes `records` to a CSV file and a JSON file (the TUI's `e` key).
pub fn write_files(
    records: &[&CallRecord],
    csv: &Path,
    json: &Path,
    mask: bool,
) -> anyhow::Result<()> {
    let rows = call_rows(records.iter().copied(), mask);
    write_file(csv, |out| write_csv(out, &rows))?;
    write_file(json, |out| write_json(out, &rows))
}

/// Creates `path` and writes it through a buffer.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| {
        format!(
            "cannot create {} (does its directory exist, and may callwatch write there?)",
            path.display()
        )
    })?;
    let mut out = std::io::BufWriter::new(file);
    write(&mut out).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CallRow {
        CallRow {
            time: "2026-06-10T06:02:54.377Z".into(),
            call_sid: "CA1".into(),
            direction: "inbound".into(),
            from: "+14155550100".into(),
            to: "client:Ann \"the boss\", desk".into(),
            call_type: "carrier".into(),
            call_state: "completed".into(),
            processing: "complete".into(),
            duration: Some(42),
            from_carrier: "AT&T Wireless".into(),
            to_carrier: "line one\nline two".into(),
            disconnected_by: "caller".into(),
            q850_cause: Some(16),
            q850_meaning: "Normal call clearing".into(),
            sip: None,
            sip_phrase: String::new(),
            tags: vec!["silence".into(), "high_jitter".into()],
            in_progress: false,
            mos: Some(4.1),
            jitter_ms: Some(12.5),
            loss_pct: None,
            rtt_ms: None,
            mos_min: Some(3.2),
            jitter_max: Some(40.0),
            loss_max: None,
        }
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = Vec::new();
        write_csv(&mut out, &[row()]).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let (header, body) = text.split_once('\n').expect("two parts");
        assert_eq!(header, CSV_COLUMNS.join(","));
        assert_eq!(
            body,
            "2026-06-10T06:02:54.377Z,CA1,inbound,+14155550100,\"client:Ann \"\"the boss\"\", desk\",\
             carrier,completed,complete,42,AT&T Wireless,\"line one\nline two\",caller,16,\
             Normal call clearing,,,\"silence,high_jitter\",false,4.1,12.5,,,3.2,40.0,\n"
        );
    }

    #[test]
    fn exports_carry_no_control_character_a_terminal_would_act_on() {
        let mut hostile = row();
        hostile.call_sid = "\x1b]52;c;aGk=\x07".into();
        hostile.from_carrier = "Voda\x1b[2J\u{9b}\u{202e}\x7f\r".into();
        let mut csv = Vec::new();
        write_csv(&mut csv, std::slice::from_ref(&hostile)).expect("write");
        let csv = String::from_utf8(csv).expect("utf-8");
        assert!(csv.contains(",\\x1b]52;c;aGk=\\x07,"), "{csv}");
        assert!(
            csv.contains(",Voda\\x1b[2J\\u009b\\u202e\\x7f\\r,"),
            "{csv}"
        );
        let mut json = Vec::new();
        write_json(&mut json, std::slice::from_ref(&hostile)).expect("write");
        let text = String::from_utf8(json).expect("utf-8");
        assert!(
            !text
                .chars()
                .any(|c| crate::text::is_hostile(c) && c != '\n'),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(back[0]["from_carrier"], hostile.from_carrier.as_str());
        assert_eq!(back[0]["call_sid"], hostile.call_sid.as_str());
    }

    #[test]
    fn csv_of_nothing_is_the_header() {
        let mut out = Vec::new();
        write_csv(&mut out, &[]).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            format!("{}\n", CSV_COLUMNS.join(","))
        );
    }

    #[test]
    fn json_rows_carry_the_same_fields_as_the_csv_header() {
        let mut out = Vec::new();
        write_json(&mut out, &[row(), row()]).expect("write");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        let rows = v.as_array().expect("array");
        assert_eq!(rows.len(), 2);
        let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
        assert_eq!(keys, CSV_COLUMNS);
        assert_eq!(rows[0]["sip"], serde_json::Value::Null);
        assert_eq!(
            rows[0]["tags"],
            serde_json::json!(["silence", "high_jitter"])
        );
    }
}
