//! The TUI's state and its one `update` step. Keys become [`Action`]s, deliveries arrive as
//! [`Delivery`]s; both change the state only here. Drawing reads `&App` and nothing else.

use std::sync::Arc;
use std::time::SystemTime;

use crate::ingest::{Delivery, ListenerStats};
use crate::session::Session;
use crate::tui::HeaderInfo;
use crate::tui::keys::Action;

/// The whole state of the screen.
#[derive(Debug)]
pub struct App {
    /// Calls, deliveries and test events.
    pub session: Session,
    /// Listener counters (accepted, rejected, dropped, last delivery).
    pub stats: Arc<ListenerStats>,
    /// Static facts for the header (addresses, URL source, sink).
    pub header: HeaderInfo,
    /// The selected call, by SID; `None` follows the newest call.
    pub selected: Option<String>,
    /// Rows the table showed last time (for paging); set by the draw step's layout.
    pub page_rows: usize,
    /// "Now", for ages shown on screen; advanced by [`Action`]-free ticks so tests can pin it.
    pub now: SystemTime,
    /// Set when the user asked to leave.
    pub should_quit: bool,
    /// True when something changed since the last frame.
    pub dirty: bool,
}

impl App {
    /// A fresh app.
    pub fn new(stats: Arc<ListenerStats>, header: HeaderInfo) -> Self {
        Self {
            session: Session::new(),
            stats,
            header,
            selected: None,
            page_rows: 10,
            now: SystemTime::now(),
            should_quit: false,
            dirty: true,
        }
    }

    /// Applies a delivery from the listener.
    pub fn on_delivery(&mut self, delivery: Delivery) {
        self.session.ingest(delivery, |_, _| {});
        self.dirty = true;
    }

    /// Moves the clock (once a second, for the "last delivery" age).
    pub fn on_tick(&mut self, now: SystemTime) {
        self.now = now;
        self.dirty = true;
    }

    /// The index of the selected row in newest-first order.
    pub fn selected_index(&self) -> usize {
        match &self.selected {
            None => 0,
            Some(sid) => self
                .session
                .store
                .newest_first()
                .position(|r| r.call_sid() == sid)
                .unwrap_or(0),
        }
    }

    /// The one state-change step for user actions.
    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        let len = self.session.store.len();
        if len == 0 && action != Action::Quit {
            return;
        }
        let current = self.selected_index();
        let last = len.saturating_sub(1);
        let page = self.page_rows.max(1);
        let target = match action {
            Action::Quit => {
                self.should_quit = true;
                return;
            }
            Action::Up => current.saturating_sub(1),
            Action::Down => (current + 1).min(last),
            Action::PageUp => current.saturating_sub(page),
            Action::PageDown => (current + page).min(last),
            Action::First => {
                self.selected = None;
                return;
            }
            Action::Last => last,
        };
        self.select_index(target);
    }

    /// Selects the row at `index`; row 0 means "follow the newest".
    fn select_index(&mut self, index: usize) {
        self.selected = if index == 0 {
            None
        } else {
            self.session
                .store
                .newest_first()
                .nth(index)
                .map(|r| r.call_sid().to_owned())
        };
    }
}
