//! One call, opened with Enter: both endpoints, the call's properties with what the codes mean,
//! every media edge with codecs, loss, jitter and latency, the tags explained, the history of
//! its events, and the raw summary as JSON, all escaped (see [`crate::text`]). A well-formed
//! call SID is a terminal hyperlink (OSC 8) to the call in Twilio Console.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::calls::store::CallId;
use crate::tui::app::App;
pub use crate::tui::call_text::{LinkableSid, lines};
use crate::tui::theme::Theme;

/// Draws the details of call `id`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, id: CallId, scroll: u16) {
    let theme = Theme::new(app.header.color);
    let Some(record) = app.session.store.by_id(id) else {
        return;
    };
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        " call details — Esc closes, ↑↓ PgUp PgDn scroll ",
        theme.title(),
    ));
    // Unpacking the summary and pretty-printing its JSON is done once per change of the call
    // (in `App::prepare_frame`), not once per frame.
    let text = match &app.details_cache {
        Some(cache) if cache.key == (id, record.update_seq, app.mask) => cache.lines.clone(),
        _ => lines(record, &theme, app.mask),
    };
    // Wrapped here, word by word, each continuation under the text of its line and six
    // cells in (past a label such as `From  `), never at column 0.
    let width = usize::from(area.width.saturating_sub(2));
    let text = crate::tui::wrap::wrap_lines(&text, width, 6);
    let scroll = super::last_page(scroll, text.len(), area);
    frame.render_widget(Paragraph::new(text).block(block).scroll((scroll, 0)), area);
}

/// Where the call SID stands on screen when call details are open and scrolled to the top,
/// and the SID: `(x, y, sid)`. The run loop writes [`LinkableSid::osc8`] over it after each
/// frame, straight to the terminal: escape sequences inside ratatui's cells would throw its
/// width accounting off. `None` when the SID is not a well-formed call SID.
pub fn hyperlink_target(app: &App, screen: Rect) -> Option<(u16, u16, LinkableSid)> {
    let Some(crate::tui::app::Overlay::CallDetails { id, scroll: 0 }) = &app.overlay else {
        return None;
    };
    if !app.header.hyperlinks
        || screen.width < super::MIN_WIDTH
        || screen.height < super::MIN_HEIGHT
    {
        return None;
    }
    let record = app.session.store.by_id(*id)?;
    let sid = LinkableSid::new(&record.summary.call_sid)?;
    let areas = super::areas(screen, app);
    let popup = areas.body.union(areas.header);
    // Inside the border, after "Call ".
    Some((popup.x + 1 + 5, popup.y + 1, sid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::store::CallStore;
    use crate::twilio::cloudevent::{DeliveredEvent, parse_delivery};

    fn text_of(body: &[u8]) -> String {
        let events = parse_delivery(body).expect("accepted");
        let DeliveredEvent::CallSummary(event) = &events[0] else {
            panic!("a summary")
        };
        let mut store = CallStore::new();
        store.apply(event, std::time::SystemTime::UNIX_EPOCH);
        let record = store.iter().next().expect("one call");
        crate::tui::ui::plain_text(&lines(record, &Theme::new(false), false))
    }

    #[test]
    fn an_unreadable_summary_shows_the_table_fields_and_says_why() {
        let text = text_of(
            br#"[{"type":"com.twilio.voice.insights.call-summary.complete","id":"EZ1",
            "data":{"call_sid":"CA3","call_state":"busy","from":{"carrier":"Voda"},"sip_edge":5}}]"#,
        );
        assert!(
            text.contains("the rest of this summary cannot be read (invalid type: integer `5`, expected struct Edge"),
            "{text}"
        );
        assert!(text.contains("Call CA3  busy"), "{text}");
        assert!(text.contains("carrier Voda"), "{text}");
    }

    #[test]
    fn a_readable_summary_has_no_warning() {
        let text = text_of(
            br#"[{"type":"com.twilio.voice.insights.call-summary.complete","id":"EZ1",
            "data":{"call_sid":"CA3","call_state":"busy","sip_edge":{"properties":{"edge_location":"ashburn"}}}}]"#,
        );
        assert!(!text.contains("cannot be read"), "{text}");
        assert!(text.contains("ashburn"), "{text}");
    }
}
