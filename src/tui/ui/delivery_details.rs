//! One delivery, opened from the deliveries view: the request line, the headers (the signature
//! shortened, Authorization never shown), the body pretty-printed (or raw with the position of
//! the JSON error), and the verdict explained with the signature diagnosis.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::ingest::{Delivery, DeliveryVerdict};
use crate::tui::app::App;
use crate::tui::ui::theme::Theme;

/// Draws the details of delivery `seq`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, seq: u64, scroll: u16) {
    let theme = Theme::new(app.header.color);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" delivery #{seq} — Esc closes, ↑↓ scroll "),
        theme.title(),
    ));
    let lines = match app.session.deliveries.iter().find(|d| d.seq == seq) {
        Some(d) => {
            let mut lines = lines(d, &theme, app.mask);
            if let Some(forward) = &app.header.forward {
                let mut text = super::deliveries_table::forward_text(forward, d);
                if let Some(crate::ingest::forward::ForwardStatus::Failed { error, .. }) =
                    forward.status_of(d.seq)
                {
                    text.push_str(&format!(": {}", crate::text::terminal_safe(&error)));
                }
                if !text.is_empty() {
                    let target = crate::text::terminal_safe(&forward.target).into_owned();
                    lines.insert(0, Line::raw(format!("forwarded to {target} {text}")));
                }
            }
            lines
        }
        None => vec![Line::raw(
            "This delivery is no longer in the last 1,000 kept.",
        )],
    };
    let width = usize::from(area.width.saturating_sub(2));
    let lines = crate::tui::wrap::wrap_lines(&lines, width, 4);
    let scroll = super::last_page(scroll, lines.len(), area);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

/// The text of a delivery's details, escaped: the path, headers and body are the sender's
/// bytes, signed or not.
pub fn lines(d: &Delivery, theme: &Theme, mask: bool) -> Vec<Line<'static>> {
    let mut out = lines_as_received(d, theme, mask);
    super::escape_controls(&mut out);
    out
}

fn lines_as_received(d: &Delivery, theme: &Theme, mask: bool) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let query = if d.query.is_empty() {
        String::new()
    } else {
        format!("?{}", d.query)
    };
    // A Kinesis record has no request line: its shard and sequence number instead.
    let first = match d.path.split_once('/') {
        Some((shard, sequence)) if d.method == crate::ingest::KINESIS_METHOD => {
            format!(
                "Kinesis record: {shard}, sequence {sequence} (IAM-authenticated, no signature)"
            )
        }
        _ => format!("{} {}{} HTTP/1.1", d.method, d.path, query),
    };
    out.push(Line::from(Span::styled(first, theme.title())));
    out.push(Line::raw(format!(
        "received {}  answered {}  in {}",
        crate::timestamp::rfc3339(d.received_at),
        d.status,
        crate::tui::ui::deliveries_table::human_duration(d.handling)
    )));
    out.push(Line::raw(""));

    out.push(section("Verdict", theme));
    let style = if d.verdict.is_accepted() {
        theme.good()
    } else {
        theme.warning()
    };
    out.push(Line::from(vec![
        Span::styled(d.verdict.as_str().to_owned(), style),
        Span::raw(format!(
            " — {}",
            if d.method == crate::ingest::KINESIS_METHOD && d.verdict.is_accepted() {
                // No signature to verify: IAM let callwatch read the stream.
                match d.verdict {
                    crate::ingest::DeliveryVerdict::Ok => "read from the stream; events applied.",
                    _ => "read from the stream; every event in it was seen before.",
                }
                .to_owned()
            } else {
                explain(&d.verdict)
            }
        )),
    ]));
    if let Some(diag) = &d.diagnosis {
        out.push(Line::from(vec![
            Span::styled("likely cause: ", theme.warning()),
            Span::raw(diag.hint.clone()),
        ]));
        out.push(Line::raw(format!("check failed: {}", diag.reason)));
        if let Some(sig) = &diag.received_signature {
            out.push(Line::raw(format!("signature received: {sig}")));
        }
        if let Some(seen) = &diag.seen_url {
            out.push(Line::raw(format!(
                "the request shows the public URL {seen}"
            )));
        }
        if !diag.tried_urls.is_empty() {
            out.push(Line::raw("URLs tried (the signature each would need):"));
            for t in &diag.tried_urls {
                let prefix = crate::ingest::diagnosis::signature_prefix(&t.expected_signature);
                out.push(Line::raw(format!("  {prefix}…  {}", t.url)));
            }
        }
    } else if let Some(url) = &d.signed_url
        && d.verdict.is_accepted()
    {
        out.push(Line::raw(format!(
            "verified against {}",
            crate::twilio::url::display_url(url)
        )));
    }
    out.push(Line::raw(""));

    out.push(section("Headers", theme));
    for (name, value) in &d.headers {
        let value = if name.eq_ignore_ascii_case("x-twilio-signature") {
            format!("{}…", crate::ingest::diagnosis::signature_prefix(value))
        } else {
            value.to_owned()
        };
        out.push(Line::from(vec![
            Span::styled(format!("{name}: "), theme.dim()),
            Span::raw(value),
        ]));
    }
    out.push(Line::raw(""));

    if d.body_clipped() {
        // A refused request keeps only a prefix of its body (ingest::REFUSED_BODY_KEPT).
        out.push(section(
            &format!(
                "Body ({} bytes; the first {} kept, as for every refused request)",
                d.body_len,
                d.body.len()
            ),
            theme,
        ));
        let raw = String::from_utf8_lossy(&d.body);
        out.extend(raw.lines().take(200).map(|l| Line::raw(l.to_owned())));
        return out;
    }
    out.push(section(&format!("Body ({} bytes)", d.body_len), theme));
    if d.body.is_empty() {
        out.push(Line::raw(match d.verdict {
            _ if d.body_len == 0 => "(empty)",
            DeliveryVerdict::WrongPath => "(not read: not the events path)",
            DeliveryVerdict::MethodNotAllowed => "(not read: not a POST)",
            _ => "(not read: too large)",
        }));
        return out;
    }
    match serde_json::from_slice::<serde_json::Value>(&d.body) {
        Ok(value) => {
            let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
            let pretty = if mask {
                crate::output::mask::mask(&pretty)
            } else {
                pretty
            };
            out.extend(pretty.lines().map(|l| Line::raw(l.to_owned())));
        }
        Err(e) => {
            out.push(Line::styled(
                format!(
                    "not valid JSON: {e} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
                theme.warning(),
            ));
            let raw = String::from_utf8_lossy(&d.body);
            for (i, l) in raw.lines().enumerate().take(200) {
                out.push(Line::raw(l.to_owned()));
                if i + 1 == e.line() {
                    let col = e.column().saturating_sub(1);
                    out.push(Line::styled(
                        format!("{}^", " ".repeat(col.min(400))),
                        theme.warning(),
                    ));
                }
            }
        }
    }
    out
}

fn section(title: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(title.to_owned(), theme.title()))
}

/// One sentence on what a verdict means.
pub fn explain(verdict: &DeliveryVerdict) -> String {
    match verdict {
        DeliveryVerdict::Ok => "signature and body hash verified; events applied.".into(),
        DeliveryVerdict::Duplicate => {
            "verified, but every event in it had arrived before (Twilio delivers at least once).".into()
        }
        DeliveryVerdict::TooOld => {
            "verified, but its events are older than --max-event-age: answered 2xx, not applied (a captured delivery sent again?).".into()
        }
        DeliveryVerdict::BadSignature => {
            "X-Twilio-Signature matches no variant of the public URL with this auth token.".into()
        }
        DeliveryVerdict::BadBodyHash => {
            "the body does not match the bodySHA256 in the URL, or the URL carries none.".into()
        }
        DeliveryVerdict::MissingSignature => "no X-Twilio-Signature header.".into(),
        DeliveryVerdict::Malformed(why) => format!("verified, but not an array of CloudEvents: {why}."),
        DeliveryVerdict::TooLarge => "the body is larger than 1 MiB; refused while reading.".into(),
        DeliveryVerdict::MethodNotAllowed => "only POST is accepted on the events path.".into(),
        DeliveryVerdict::WrongPath => {
            "a POST to another path than the events path (the path of the public URL): answered 404 without reading it."
                .into()
        }
        DeliveryVerdict::NotRecorded => {
            "verified, but it could not be written to the --record file: answered 503 so that Twilio retries it."
                .into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: &Delivery) -> String {
        crate::tui::ui::plain_text(&lines(d, &Theme::new(false), false))
    }

    #[test]
    fn an_unread_body_says_why_it_was_not_read() {
        let mut d = Delivery::accepted(1, std::time::SystemTime::UNIX_EPOCH, Vec::new());
        d.body_len = 2048;
        for (verdict, why) in [
            (
                DeliveryVerdict::WrongPath,
                "(not read: not the events path)",
            ),
            (DeliveryVerdict::MethodNotAllowed, "(not read: not a POST)"),
            (DeliveryVerdict::TooLarge, "(not read: too large)"),
        ] {
            d.verdict = verdict;
            let text = text(&d);
            assert!(
                text.contains(&format!("Body (2048 bytes)\n{why}")),
                "{text}"
            );
        }
        d.body_len = 0;
        assert!(text(&d).contains("Body (0 bytes)\n(empty)"));
    }

    #[test]
    fn a_refused_body_says_only_its_prefix_was_kept() {
        let mut d = Delivery::accepted(1, std::time::SystemTime::UNIX_EPOCH, Vec::new());
        d.verdict = DeliveryVerdict::MissingSignature;
        d.status = 403;
        d.body = bytes::Bytes::from(vec![b'{'; 2 << 20]);
        d.body_len = d.body.len();
        d.shrink_refused();
        let text = text(&d);
        assert!(
            text.contains(&format!(
                "Body ({} bytes; the first {} kept, as for every refused request)",
                2 << 20,
                crate::ingest::REFUSED_BODY_KEPT
            )),
            "{text}"
        );
        assert!(
            !text.contains("not valid JSON"),
            "a prefix is not judged as JSON"
        );
    }
}
