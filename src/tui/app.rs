//! The TUI's state and its one `update` step. Keys become [`Action`]s, deliveries arrive as
//! [`Delivery`]s; both change the state only here. Drawing reads `&App` and nothing else.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::calls::filter::{Filter, FilterError};
use crate::calls::stats::CallStats;
use crate::calls::store::{CallId, CallRecord};
use crate::ingest::{Delivery, ListenerStats};
use crate::session::Session;
use crate::tui::HeaderInfo;
pub use crate::tui::columns::SortColumn;
use crate::tui::delivery_filter::DeliveryFilter;
use crate::tui::keys::{Action, Context};
use crate::tui::problems::{Problem, ProblemKind};

/// The three views `Tab` cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The calls table.
    Calls,
    /// Every request to the events path.
    Deliveries,
    /// Aggregates and trends.
    Stats,
}

/// What is open on top of a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// One call's details.
    CallDetails {
        /// Which call.
        id: CallId,
        /// Lines scrolled.
        scroll: u16,
    },
    /// One delivery's details.
    DeliveryDetails {
        /// Which delivery, by arrival number.
        seq: u64,
        /// Lines scrolled.
        scroll: u16,
    },
    /// The key list.
    Help {
        /// Lines scrolled.
        scroll: u16,
    },
    /// Text copied (a command, a URL), shown to copy by hand when OSC 52 does not reach the
    /// clipboard.
    Copied {
        /// What it is and where it went.
        title: String,
        /// The text, as copied.
        text: String,
        /// Lines scrolled.
        scroll: u16,
    },
    /// The column picker (`c`).
    ColumnPicker(crate::tui::picker::ColumnPicker),
}

/// The resend prompt: the URL a delivery is to be sent to, typed in a line editor.
#[derive(Debug, Clone, Default)]
pub struct ResendPrompt {
    /// Which delivery, by arrival number.
    pub seq: u64,
    /// The URL typed so far and the cursor.
    pub input: tui_input::Input,
    /// Why the last Enter was refused.
    pub error: Option<String>,
}

/// The filter line while it is being typed: a line editor (`tui_input`), with the filters
/// applied in this run a step of ↑ or ↓ away.
#[derive(Debug, Clone, Default)]
pub struct FilterEditor {
    /// The text typed so far and the cursor.
    pub input: tui_input::Input,
    /// Why the last Enter was refused (the previous filter stays).
    pub error: Option<String>,
    /// The entry of [`App::filter_history`] shown (`None`: the text typed).
    pub history_pos: Option<usize>,
    /// The text typed before ↑ showed the history, given back by ↓.
    pub draft: String,
}

impl FilterEditor {
    /// An editor holding `text`, the cursor at its end.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            input: tui_input::Input::new(text.into()),
            ..Self::default()
        }
    }

    /// The text typed so far.
    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.input.cursor()
    }

    /// Replaces the text, the cursor at its end.
    fn set_text(&mut self, text: String) {
        self.input = tui_input::Input::new(text);
    }
}

/// How many filters [`App::filter_history`] keeps.
pub const FILTER_HISTORY_MAX: usize = 50;

/// A frozen calls table: the rows stay as they were while receiving goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    /// Store generation when frozen.
    pub generation: u64,
    /// Events merged when frozen, to count what arrived since.
    pub events_at_freeze: u64,
}

/// A short message in the hint bar (export paths, errors), with when it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// True for an error.
    pub is_error: bool,
}

/// The text of the open call's details, kept while the call does not change.
#[derive(Debug, Clone)]
pub struct DetailsCache {
    /// The call, its `update_seq`, and whether numbers were masked.
    pub key: (CallId, u64, bool),
    /// The rendered lines.
    pub lines: Vec<ratatui::text::Line<'static>>,
    /// Whether the demo's simulation had ended (its note is among the lines).
    pub simulation_ended: bool,
}

/// Views with more calls than this filter and sort all their rows at most twice a second.
const LARGE_STORE: usize = 20_000;

/// Calls changed since the last frame that are always placed one by one rather than by
/// filtering and sorting every row again (a sixteenth of the store, when more).
const INCREMENTAL_MAX: usize = 1_024;

/// The whole state of the screen.
#[derive(Debug)]
pub struct App {
    /// Calls, deliveries and test events.
    pub session: Session,
    /// Listener counters (accepted, rejected, dropped, last delivery).
    pub stats: Arc<ListenerStats>,
    /// Static facts for the header (addresses, URL source, sink).
    pub header: HeaderInfo,
    /// The view shown.
    pub view: View,
    /// What is open on top of it.
    pub overlay: Option<Overlay>,
    /// The filter in force.
    pub filter: Option<Filter>,
    /// The filter line, while typing.
    pub editor: Option<FilterEditor>,
    /// The filters applied with Enter in this run, newest first, each once.
    pub filter_history: Vec<String>,
    /// Sort column and direction (descending = true shows the largest first).
    pub sort: (SortColumn, bool),
    /// Set while the calls table is frozen.
    pub frozen: Option<Frozen>,
    /// The calls table's columns, in display order (`--columns`, the config file, `c`).
    pub columns: Vec<crate::tui::columns::Column>,
    /// Wide mode (`w`): fewer columns, whole values.
    pub wide: bool,
    /// The calls table's columns as last drawn (the run loop sets them): what `s` and the
    /// mouse read of what is on screen.
    pub placed_columns: Vec<crate::tui::columns::Placed>,
    /// The config file the column picker saves to (`None`: nowhere to save).
    pub config_path: Option<std::path::PathBuf>,
    /// Mask phone numbers and IP addresses.
    pub mask: bool,
    /// The calls table's rows: filtered and sorted call slots.
    pub rows: Vec<CallId>,
    /// Store generation the rows were computed at (None: must recompute).
    rows_generation: Option<u64>,
    /// The store's count of evicted calls when the rows were computed.
    rows_evicted: u64,
    /// When the rows were last computed.
    rows_computed_at: Option<Instant>,
    /// The selected call; `None` follows the first row (the newest call by default).
    pub selected: Option<CallId>,
    /// The selected delivery by arrival number; `None` follows the newest.
    pub selected_delivery: Option<u64>,
    /// Aggregates for the stats view, with the store generation they were computed at.
    pub call_stats: Option<(u64, CallStats)>,
    /// The open call's details, rendered for the call as it stood at `key`.
    pub details_cache: Option<DetailsCache>,
    /// When [`Self::call_stats`] was last computed.
    stats_computed_at: Option<Instant>,
    /// Rows a page holds (set from the terminal height by the run loop).
    pub page_rows: usize,
    /// "Now", for ages on screen; moved by ticks so tests can pin it.
    pub now: SystemTime,
    /// A message for the hint bar.
    pub notice: Option<Notice>,
    /// Directory exports are written to.
    pub export_dir: std::path::PathBuf,
    /// The resend prompt, while a URL is typed.
    pub resend_prompt: Option<ResendPrompt>,
    /// Text for the clipboard: the run loop writes it as OSC 52 after the next frame.
    pub clipboard: Option<String>,
    /// Resends asked for: the run loop starts them off the UI thread and hands back each
    /// outcome to [`Self::on_resend_outcome`].
    pub resends: Vec<crate::tui::actions::ResendRequest>,
    /// The terminal may be asked to set the clipboard (OSC 52).
    pub osc52: bool,
    /// Set when the user asked to leave.
    pub should_quit: bool,
    /// True when something changed since the last frame.
    pub dirty: bool,
    /// The deliveries view's own filter (`/` in that view).
    pub delivery_filter: Option<DeliveryFilter>,
    /// The deliveries filters applied in this run, newest first, each once.
    pub delivery_filter_history: Vec<String>,
    /// The header problem picked after `!` (an index into [`Self::problems`]); `None` when
    /// keys go to the view.
    pub problem_focus: Option<usize>,
    /// The kinds of problem `x` dismissed: hidden from the header until `!` lists them; a kind
    /// not among them shows again.
    pub dismissed_problems: Vec<ProblemKind>,
    /// The problems the header shows this frame ([`Self::shown_problems`]), listed once by
    /// [`Self::prepare_frame`]: the layout and the header both read them.
    frame_problems: Vec<Problem>,
    /// With credentials: what the Voice Insights API told about calls, and the annotation
    /// form.
    pub insights: Option<crate::tui::insights::InsightsState>,
}

impl App {
    /// A fresh app.
    pub fn new(stats: Arc<ListenerStats>, header: HeaderInfo) -> Self {
        Self {
            session: Session::new(),
            stats,
            header,
            view: View::Calls,
            overlay: None,
            filter: None,
            editor: None,
            filter_history: Vec::new(),
            sort: (SortColumn::Started, true),
            frozen: None,
            columns: crate::tui::columns::default_columns(),
            wide: false,
            placed_columns: Vec::new(),
            config_path: None,
            mask: false,
            rows: Vec::new(),
            rows_generation: None,
            rows_evicted: 0,
            rows_computed_at: None,
            selected: None,
            selected_delivery: None,
            call_stats: None,
            stats_computed_at: None,
            details_cache: None,
            page_rows: 10,
            now: SystemTime::now(),
            notice: None,
            export_dir: std::path::PathBuf::from("."),
            resend_prompt: None,
            clipboard: None,
            resends: Vec::new(),
            osc52: false,
            should_quit: false,
            dirty: true,
            delivery_filter: None,
            delivery_filter_history: Vec::new(),
            problem_focus: None,
            dismissed_problems: Vec::new(),
            frame_problems: Vec::new(),
            insights: None,
        }
        .with_insights()
    }

    /// Sets up [`Self::insights`] when the header carries a client.
    fn with_insights(mut self) -> Self {
        self.insights = self
            .header
            .insights
            .clone()
            .map(crate::tui::insights::InsightsState::new);
        self
    }

    /// Takes in an answer of the Voice Insights API: a fetched call's summary, events and
    /// samples are merged into the store as if delivered (a refresh merges only the events
    /// and samples not merged yet), and annotations are kept for the details and the table.
    pub fn on_api_answer(&mut self, answer: crate::tui::insights::Answer) {
        use crate::tui::insights::{Answer, Fetch};
        let Some(state) = &mut self.insights else {
            return;
        };
        self.dirty = true;
        self.details_cache = None;
        let mut deliveries = Vec::new();
        match answer {
            Answer::Fetched(sid, Err(error)) => {
                state.fetches.insert(sid, Fetch::Failed(error));
            }
            Answer::Fetched(sid, Ok(call)) => {
                let (events_done, metrics_done) = state.merged.get(&sid).copied().unwrap_or((0, 0));
                let new_events = call.events.get(events_done..).unwrap_or_default();
                let new_metrics = call.metrics.get(metrics_done..).unwrap_or_default();
                let seq = self.session.deliveries.back().map_or(0, |d| d.seq) + 1;
                let now = SystemTime::now();
                deliveries.push(crate::ingest::polled::summaries_delivery(
                    seq,
                    now,
                    std::slice::from_ref(&call.summary),
                ));
                if !new_events.is_empty() || !new_metrics.is_empty() {
                    deliveries.push(crate::ingest::polled::call_delivery(
                        seq + 1,
                        now,
                        &sid,
                        new_events,
                        new_metrics,
                        (events_done, metrics_done),
                    ));
                }
                state
                    .merged
                    .insert(sid.clone(), (call.events.len(), call.metrics.len()));
                if let Some(annotation) = call.annotation {
                    state.annotations.insert(sid.clone(), annotation);
                }
                state.fetches.insert(
                    sid,
                    Fetch::Done {
                        at: now,
                        events: call.events.len(),
                        metrics: call.metrics.len(),
                    },
                );
            }
            Answer::Saved(sid, Ok(annotation)) => {
                state.annotations.insert(sid.clone(), *annotation);
                self.notice = Some(Notice {
                    text: format!("annotation saved for {sid}"),
                    is_error: false,
                });
            }
            Answer::Saved(sid, Err(error)) => {
                self.notice = Some(Notice {
                    text: format!("annotation for {sid} not saved: {error}"),
                    is_error: true,
                });
            }
        }
        for delivery in deliveries {
            self.on_delivery(delivery);
        }
    }

    /// The SID of the call the details show, or else of the selected row.
    fn current_call_sid(&self) -> Option<String> {
        let id = match self.overlay {
            Some(Overlay::CallDetails { id, .. }) => Some(id),
            Some(_) => None,
            None if self.view == View::Calls => self.rows.get(self.selected_index()).copied(),
            None => None,
        }?;
        self.session
            .store
            .by_id(id)
            .map(|r| r.call_sid().to_owned())
    }

    /// A key while the annotation form is open: the filter line's editing keys.
    fn on_form_key(&mut self, action: Action) {
        let Some(state) = &mut self.insights else {
            return;
        };
        self.dirty = true;
        match action {
            Action::FilterApply => state.submit_form(),
            Action::FilterCancel => {
                state.form = None;
                state.form_error = None;
            }
            Action::FilterEdit(request) => {
                if let Some((_, input)) = &mut state.form {
                    input.handle(request);
                }
            }
            Action::Quit => self.should_quit = true,
            _ => {}
        }
    }

    /// Every problem there is now, most urgent first ([`crate::tui::problems::list`]).
    pub fn problems(&self) -> Vec<Problem> {
        crate::tui::problems::list(&self.session, &self.stats, &self.header, self.now)
    }

    /// The problems the header shows: while one is being picked (`!`), all of them; otherwise
    /// those of a kind `x` has not dismissed.
    pub fn shown_problems(&self) -> &[Problem] {
        &self.frame_problems
    }

    /// Lists the problems the header shows, for this frame.
    fn list_shown_problems(&mut self) {
        let mut problems = self.problems();
        if self.problem_focus.is_none() {
            problems.retain(|p| !self.dismissed_problems.contains(&p.kind));
        }
        self.frame_problems = problems;
    }

    /// The deliveries the deliveries view lists, newest first: those its filter lets through.
    pub fn shown_deliveries(&self) -> impl Iterator<Item = &Delivery> + '_ {
        let filter = self.delivery_filter.as_ref();
        self.session
            .deliveries
            .iter()
            .rev()
            .filter(move |d| filter.is_none_or(|f| f.matches(d)))
    }

    /// Shows the deliveries view filtered by `expr` (blank: all deliveries): what Enter on a
    /// header problem does, and a call's "jump to its deliveries" (`sid=CA…`). A bad expression
    /// changes nothing and says why in the hint bar.
    pub fn show_deliveries_filtered(&mut self, expr: &str) -> Result<(), FilterError> {
        let filter = DeliveryFilter::parse(expr).inspect_err(|e| {
            self.notice = Some(Notice {
                text: format!("deliveries filter `{expr}`: {e}"),
                is_error: true,
            });
        })?;
        let text = filter.text().to_owned();
        if text.is_empty() {
            self.delivery_filter = None;
        } else {
            remember(&mut self.delivery_filter_history, &text);
            self.delivery_filter = Some(filter);
        }
        self.view = View::Deliveries;
        self.overlay = None;
        self.editor = None;
        self.problem_focus = None;
        self.selected_delivery = None;
        self.dirty = true;
        Ok(())
    }

    /// Enter on a picked problem: its deliveries, or a notice saying there are none to list.
    fn open_problem(&mut self) {
        let problems = self.problems();
        let Some(problem) = self
            .problem_focus
            .and_then(|i| problems.get(i.min(problems.len().saturating_sub(1))))
        else {
            self.problem_focus = None;
            return;
        };
        match (problem.deliveries_filter(), problem.kind) {
            (Some(expr), _) => {
                // The filters are written here, so they parse (a unit test checks each).
                let _ = self.show_deliveries_filtered(expr);
            }
            // The deliveries view lists the Debugger's alerts under its table.
            (None, ProblemKind::DebuggerAlerts) => {
                let _ = self.show_deliveries_filtered("");
            }
            (None, _) => {
                self.notice = Some(Notice {
                    text: "no delivery of the log is about this problem: the line says it all"
                        .into(),
                    is_error: false,
                });
            }
        }
    }

    /// `x`: hides every problem shown now, until a problem of another kind arrives.
    fn dismiss_problems(&mut self) {
        for problem in self.problems() {
            if !self.dismissed_problems.contains(&problem.kind) {
                self.dismissed_problems.push(problem.kind);
            }
        }
        self.problem_focus = None;
    }

    /// Where keys are interpreted now.
    pub fn context(&self) -> Context {
        match (&self.overlay, self.view) {
            (Some(Overlay::Help { .. }), _) => Context::Help,
            (Some(Overlay::ColumnPicker(_)), _) => Context::Picker,
            (Some(Overlay::DeliveryDetails { .. }), _) => Context::DeliveryDetails,
            (Some(_), _) => Context::Details,
            (None, _) if self.problem_focus.is_some() => Context::Problems,
            (None, View::Calls) => Context::Calls,
            (None, View::Deliveries) => Context::Deliveries,
            (None, View::Stats) => Context::Stats,
        }
    }

    /// Applies a delivery from the listener.
    pub fn on_delivery(&mut self, delivery: Delivery) {
        // Summaries listed by the Voice Insights API may carry a person's annotation: the
        // table marks those calls too. (Read only for those: they are few, deliveries many.)
        if let Some(state) = &mut self.insights
            && delivery.path == crate::ingest::polled::SUMMARIES_PATH
        {
            for event in &delivery.events {
                if let crate::twilio::cloudevent::DeliveredEvent::CallSummary(summary) = event
                    && let Ok(full) = summary.full_summary()
                    && let Some(annotation) = full.annotation
                {
                    state.annotations.insert(full.call_sid, annotation);
                }
            }
        }
        let evicted = self.session.store.evicted();
        self.session.ingest(delivery, |_, _| {});
        if self.session.store.evicted() != evicted {
            self.let_go_of_evicted_calls();
        }
        self.dirty = true;
    }

    /// After `--max-calls` evicted calls: a selection on one of them follows the first row
    /// again, and their details close with a notice. Rows still holding their ids are
    /// harmless (an evicted id resolves to nothing) and go at the next recompute, which the
    /// store's new generation asks for.
    fn let_go_of_evicted_calls(&mut self) {
        let store = &self.session.store;
        if self.selected.is_some_and(|id| store.by_id(id).is_none()) {
            self.selected = None;
        }
        if let Some(Overlay::CallDetails { id, .. }) = self.overlay
            && store.by_id(id).is_none()
        {
            self.overlay = None;
            self.notice = Some(Notice {
                text: "the call shown was evicted (--max-calls keeps the newest calls)".into(),
                is_error: false,
            });
        }
    }

    /// Moves the clock (once a second, for the "last delivery" age) and takes in the Debugger
    /// alerts polled since the last tick.
    pub fn on_tick(&mut self, now: SystemTime) {
        self.now = now;
        if let Some(feed) = &self.header.alerts {
            self.session.alerts.sync(feed);
        }
        self.dirty = true;
    }

    /// Brings derived state (table rows, stats) up to date before a frame. When few calls
    /// changed since the last frame, only those are placed again in the rows
    /// ([`crate::tui::rows::update`]); when many did, large stores are filtered and re-sorted
    /// at most twice a second so that a burst of deliveries does not cost a sort per frame.
    pub fn prepare_frame(&mut self) {
        self.list_shown_problems();
        let generation = self.session.store.generation();
        let stale = self.rows_generation != Some(generation);
        let throttled = self.session.store.len() > LARGE_STORE
            && self
                .rows_computed_at
                .is_some_and(|t| t.elapsed() < Duration::from_millis(500));
        if self.rows_generation.is_none()
            || (stale && self.frozen.is_none() && !self.update_rows() && !throttled)
        {
            self.recompute_rows();
        }
        if let Some(Overlay::CallDetails { id, .. }) = self.overlay {
            let record = self.session.store.by_id(id);
            let key = record.map(|r| (id, r.update_seq, self.mask));
            let ended_at = self
                .header
                .simulation_end
                .as_ref()
                .and_then(|end| end.ended_at());
            let ended = ended_at.is_some();
            if let (Some(record), Some(key)) = (record, key)
                && self
                    .details_cache
                    .as_ref()
                    .is_none_or(|c| c.key != key || c.simulation_ended != ended)
            {
                let theme = crate::tui::theme::Theme::new(self.header.color);
                let mut lines = crate::tui::call_text::lines(record, &theme, self.mask);
                if let Some(note) = crate::tui::simulation::unfinished_note(ended_at, record) {
                    let at = 1.min(lines.len());
                    let note = ratatui::text::Line::styled(note, theme.warning());
                    lines.insert(at, note);
                }
                if let Some(state) = &self.insights {
                    // After the call's first two lines: the first holds the SID's hyperlink.
                    let at = lines.len().min(2);
                    let head = state.detail_lines(record.call_sid(), &theme);
                    lines.splice(at..at, head);
                }
                self.details_cache = Some(DetailsCache {
                    key,
                    lines,
                    simulation_ended: ended,
                });
            }
        } else {
            self.details_cache = None;
        }
        if self.view == View::Stats {
            // Aggregating every call is the costliest thing on screen: at most once a second
            // while deliveries keep coming, at once when the filter changed (stats cleared).
            let stale = match &self.call_stats {
                None => true,
                Some((g, _)) => {
                    *g != generation
                        && self
                            .stats_computed_at
                            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
                }
            };
            if stale {
                self.stats_computed_at = Some(Instant::now());
                let store = &self.session.store;
                let records = self.rows.iter().filter_map(|&id| store.by_id(id));
                self.call_stats = Some((generation, CallStats::compute(records, self.now)));
            }
        }
    }

    /// Recomputes the calls table's rows from the store, the filter and the sort.
    pub fn recompute_rows(&mut self) {
        let store = &self.session.store;
        crate::tui::rows::compute(store, self.filter.as_ref(), self.sort, &mut self.rows);
        self.rows_generation = Some(store.generation());
        self.rows_evicted = store.evicted();
        self.rows_computed_at = Some(Instant::now());
    }

    /// Brings the rows up to date with the calls updated since they were computed, without
    /// filtering and sorting every call again; false (rows untouched) when so many calls
    /// changed that [`Self::recompute_rows`] is the cheaper way.
    fn update_rows(&mut self) -> bool {
        let Some(since) = self.rows_generation else {
            return false;
        };
        let store = &self.session.store;
        let max_changed = INCREMENTAL_MAX.max(store.len() / 16);
        let updated = crate::tui::rows::update(
            store,
            self.filter.as_ref(),
            self.sort,
            &mut self.rows,
            since,
            self.rows_evicted,
            max_changed,
        );
        if updated {
            self.rows_generation = Some(store.generation());
            self.rows_evicted = store.evicted();
        }
        updated
    }

    /// Index of the selected call in [`Self::rows`].
    pub fn selected_index(&self) -> usize {
        self.selected
            .and_then(|id| self.rows.iter().position(|&r| r == id))
            .unwrap_or(0)
    }

    /// Index of the selected delivery, counted from the newest.
    pub fn selected_delivery_index(&self) -> usize {
        self.selected_delivery
            .and_then(|seq| self.shown_deliveries().position(|d| d.seq == seq))
            .unwrap_or(0)
    }

    /// Calls that changed since the table was frozen.
    pub fn new_since_freeze(&self) -> u64 {
        self.frozen.as_ref().map_or(0, |f| {
            self.session
                .store
                .events_seen()
                .saturating_sub(f.events_at_freeze)
        })
    }

    /// Handles one key press: the filter line takes typing while it is open. Keys become
    /// actions in [`crate::tui::keys`]; [`Self::update`] applies them.
    pub fn on_key(&mut self, key: ratatui::crossterm::event::KeyEvent) {
        if self.resend_prompt.is_some() {
            if let Some(action) = crate::tui::keys::filter_action_for(key) {
                self.update_resend_prompt(action);
            }
            return;
        }
        if self.insights.as_ref().is_some_and(|s| s.form.is_some()) {
            if let Some(action) = crate::tui::keys::filter_action_for(key) {
                self.on_form_key(action);
            }
            return;
        }
        let action = if self.editor.is_some() {
            crate::tui::keys::filter_action_for(key)
        } else {
            crate::tui::keys::action_for(key, self.context())
        };
        if let Some(action) = action {
            self.update(action);
        }
    }

    /// Applies an action of the filter line (nothing when it is not open).
    fn update_filter_line(&mut self, action: Action) {
        match action {
            Action::FilterApply => return self.apply_filter_text(),
            Action::FilterCancel => {
                if self.editor.take().is_some() {
                    if self.view == View::Deliveries {
                        self.set_delivery_filter(None);
                    } else {
                        self.set_filter(None);
                    }
                }
                return;
            }
            _ => {}
        }
        let history = if self.view == View::Deliveries {
            &self.delivery_filter_history
        } else {
            &self.filter_history
        };
        let Some(editor) = &mut self.editor else {
            return;
        };
        match action {
            Action::FilterEdit(request) => {
                let changed = editor.input.handle(request).is_some_and(|c| c.value);
                // Typing over an entry of the history makes it the text typed.
                if changed {
                    editor.history_pos = None;
                }
            }
            Action::FilterHistoryOlder => {
                // The next older entry that differs from the text shown (the line opens with
                // the filter in force, which is usually the newest entry).
                let from = editor.history_pos.map_or(0, |p| p + 1);
                let shown = editor.text().trim();
                if let Some(i) = (from..history.len()).find(|&i| history[i] != shown) {
                    if editor.history_pos.is_none() {
                        editor.draft = editor.text().to_owned();
                    }
                    editor.history_pos = Some(i);
                    editor.set_text(history[i].clone());
                }
            }
            Action::FilterHistoryNewer => {
                let Some(pos) = editor.history_pos else {
                    return;
                };
                let shown = editor.text().trim();
                match (0..pos).rev().find(|&i| history[i] != shown) {
                    Some(i) => {
                        editor.history_pos = Some(i);
                        editor.set_text(history[i].clone());
                    }
                    None => {
                        editor.history_pos = None;
                        let draft = std::mem::take(&mut editor.draft);
                        editor.set_text(draft);
                    }
                }
            }
            _ => {}
        }
    }

    /// Puts an applied filter at the front of the history, once, keeping the newest
    /// [`FILTER_HISTORY_MAX`].
    fn remember_filter(&mut self, text: &str) {
        remember(&mut self.filter_history, text);
    }

    /// Replaces the deliveries view's filter; the selection follows the newest again.
    pub fn set_delivery_filter(&mut self, filter: Option<DeliveryFilter>) {
        self.delivery_filter = filter;
        self.selected_delivery = None;
        self.dirty = true;
    }

    /// Parses the typed filter; on error keeps the previous filter and shows why.
    fn apply_filter_text(&mut self) {
        let Some(editor) = &mut self.editor else {
            return;
        };
        let text = editor.text().trim().to_owned();
        if self.view == View::Deliveries {
            if text.is_empty() {
                self.editor = None;
                self.set_delivery_filter(None);
                return;
            }
            match DeliveryFilter::parse(&text) {
                Ok(filter) => {
                    self.editor = None;
                    remember(&mut self.delivery_filter_history, &text);
                    self.set_delivery_filter(Some(filter));
                }
                Err(e) => editor.error = Some(e.to_string()),
            }
            return;
        }
        if text.is_empty() {
            self.editor = None;
            self.set_filter(None);
            return;
        }
        match Filter::parse(&text) {
            Ok(filter) => {
                self.editor = None;
                self.remember_filter(&text);
                self.set_filter(Some(filter));
            }
            Err(e) => editor.error = Some(e.to_string()),
        }
    }

    /// Replaces the filter and recomputes the rows.
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        self.filter = filter;
        self.selected = None;
        self.rows_generation = None;
        self.call_stats = None;
        self.dirty = true;
    }

    /// The one state-change step for user actions.
    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        match action {
            Action::Quit => self.should_quit = true,
            Action::ToggleHelp => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help { .. }) => None,
                    _ => Some(Overlay::Help { scroll: 0 }),
                }
            }
            Action::Close if matches!(self.overlay, Some(Overlay::ColumnPicker(_))) => {
                self.close_column_picker();
            }
            Action::Close => {
                if self.overlay.is_some() {
                    self.overlay = None;
                } else if self.problem_focus.is_some() {
                    self.problem_focus = None;
                } else if self.filter.is_some() && self.view == View::Calls {
                    self.set_filter(None);
                } else if self.delivery_filter.is_some() && self.view == View::Deliveries {
                    self.set_delivery_filter(None);
                }
            }
            Action::FocusProblems => {
                if !self.problems().is_empty() {
                    self.problem_focus = Some(0);
                }
            }
            Action::DismissProblems => self.dismiss_problems(),
            Action::OpenProblem => self.open_problem(),
            Action::NextView | Action::PrevView => {
                let views = [View::Calls, View::Deliveries, View::Stats];
                let i = views.iter().position(|v| *v == self.view).unwrap_or(0);
                let step = if action == Action::NextView {
                    1
                } else {
                    views.len() - 1
                };
                self.view = views[(i + step) % views.len()];
            }
            Action::StartFilter => {
                let text = if self.view == View::Deliveries {
                    self.delivery_filter.as_ref().map(|f| f.text().to_owned())
                } else {
                    self.filter.as_ref().map(|f| f.text().to_owned())
                }
                .unwrap_or_default();
                self.editor = Some(FilterEditor::new(text));
            }
            Action::CycleSort => {
                // Only through the columns on screen, so that the arrow is always seen.
                let on_screen: Vec<crate::tui::columns::Column> = if self.placed_columns.is_empty()
                {
                    self.columns.clone()
                } else {
                    self.placed_columns.iter().map(|p| p.column).collect()
                };
                let next = crate::tui::columns::next_sort(self.sort.0, &on_screen);
                // Time sorts newest first; the others start with the largest / last value too,
                // which puts long calls and high causes on top.
                self.sort = (next, true);
                self.rows_generation = None;
            }
            Action::ReverseSort => {
                self.sort.1 = !self.sort.1;
                self.rows_generation = None;
            }
            Action::ToggleFreeze => {
                self.frozen = match self.frozen {
                    Some(_) => {
                        self.rows_generation = None;
                        None
                    }
                    None => Some(Frozen {
                        generation: self.session.store.generation(),
                        events_at_freeze: self.session.store.events_seen(),
                    }),
                }
            }
            Action::ToggleMask => self.mask = !self.mask,
            Action::ToggleWide => self.wide = !self.wide,
            Action::OpenColumnPicker => {
                self.overlay = Some(Overlay::ColumnPicker(
                    crate::tui::picker::ColumnPicker::new(&self.columns),
                ));
            }
            Action::PickerToggle | Action::PickerMoveUp | Action::PickerMoveDown => {
                if let Some(Overlay::ColumnPicker(picker)) = &mut self.overlay {
                    match action {
                        Action::PickerToggle => picker.toggle(),
                        Action::PickerMoveUp => picker.move_item(-1),
                        _ => picker.move_item(1),
                    }
                    let shown = picker.shown();
                    self.set_columns(shown);
                }
            }
            Action::Export => self.export(),
            Action::Open => self.open(),
            Action::Refresh => {
                if let (Some(sid), Some(Overlay::CallDetails { .. })) =
                    (self.current_call_sid(), &self.overlay)
                    && let Some(state) = &mut self.insights
                {
                    state.fetch(&sid, true);
                }
            }
            Action::Annotate => match (self.current_call_sid(), &mut self.insights) {
                (Some(sid), Some(state)) => state.open_form(&sid),
                (_, None) => {
                    self.notice = Some(Notice {
                        text: "annotations need credentials (TWILIO_ACCOUNT_SID and \
                               TWILIO_AUTH_TOKEN, or an API key)"
                            .into(),
                        is_error: true,
                    })
                }
                (None, Some(_)) => {}
            },
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::First
            | Action::Last => self.move_selection(action),
            Action::Copy => self.copy(),
            Action::CopyVerify => self.copy_verify(),
            Action::Resend => self.open_resend_prompt(),
            Action::Jump => self.jump(),
            Action::ConsoleUrl => self.console_url(),
            Action::FilterEdit(_)
            | Action::FilterApply
            | Action::FilterCancel
            | Action::FilterHistoryOlder
            | Action::FilterHistoryNewer => self.update_filter_line(action),
        }
    }

    fn open(&mut self) {
        match self.view {
            View::Calls => {
                let index = self.selected_index();
                if let Some(&id) = self.rows.get(index)
                    && let Some(record) = self.session.store.by_id(id)
                {
                    if let Some(state) = &mut self.insights {
                        state.fetch(record.call_sid(), false);
                    }
                    self.overlay = Some(Overlay::CallDetails { id, scroll: 0 });
                }
            }
            View::Deliveries => {
                let index = self.selected_delivery_index();
                let seq = self.shown_deliveries().nth(index).map(|d| d.seq);
                if let Some(seq) = seq {
                    self.overlay = Some(Overlay::DeliveryDetails { seq, scroll: 0 });
                }
            }
            View::Stats => {}
        }
    }

    /// Shows `columns`, in order. A column not shown cannot show the order with its arrow:
    /// then the calls are sorted by the next column shown.
    pub fn set_columns(&mut self, columns: Vec<crate::tui::columns::Column>) {
        self.columns = columns;
        let sorted = crate::tui::columns::sorted_column(self.sort.0);
        if !self.columns.contains(&sorted) {
            self.sort = (
                crate::tui::columns::next_sort(self.sort.0, &self.columns),
                true,
            );
            self.rows_generation = None;
        }
        self.dirty = true;
    }

    /// Closes the column picker, saving the columns in the config file when they changed.
    fn close_column_picker(&mut self) {
        let Some(Overlay::ColumnPicker(picker)) = self.overlay.take() else {
            return;
        };
        if picker.opened_with == self.columns {
            return;
        }
        let text = crate::tui::columns::columns_text(&self.columns);
        self.notice = Some(match &self.config_path {
            None => Notice {
                text: format!("columns not saved (no config file): --columns {text}"),
                is_error: false,
            },
            Some(path) => match crate::config::file::save_value(path, "columns", &text) {
                Ok(()) => Notice {
                    text: format!("columns saved in {}", path.display()),
                    is_error: false,
                },
                Err(e) => Notice {
                    text: format!("columns not saved: {e}"),
                    is_error: true,
                },
            },
        });
    }

    fn move_selection(&mut self, action: Action) {
        let page = self.page_rows.max(1);
        if let Some(Overlay::ColumnPicker(picker)) = &mut self.overlay {
            match action {
                Action::Up => picker.move_cursor(-1),
                Action::Down => picker.move_cursor(1),
                Action::PageUp | Action::First => picker.move_cursor(isize::MIN / 2),
                Action::PageDown | Action::Last => picker.move_cursor(isize::MAX / 2),
                _ => {}
            }
            return;
        }
        if let Some(overlay) = &mut self.overlay {
            let scroll = match overlay {
                Overlay::CallDetails { scroll, .. }
                | Overlay::DeliveryDetails { scroll, .. }
                | Overlay::Help { scroll }
                | Overlay::Copied { scroll, .. } => scroll,
                Overlay::ColumnPicker(_) => return,
            };
            let page = u16::try_from(page).unwrap_or(u16::MAX);
            *scroll = match action {
                Action::Up => scroll.saturating_sub(1),
                Action::Down => scroll.saturating_add(1),
                Action::PageUp => scroll.saturating_sub(page),
                Action::PageDown => scroll.saturating_add(page),
                Action::First => 0,
                Action::Last => u16::MAX / 2,
                _ => *scroll,
            };
            return;
        }
        if let Some(picked) = self.problem_focus {
            let last = self.problems().len().saturating_sub(1);
            self.problem_focus = Some(match action {
                Action::Up => picked.saturating_sub(1),
                Action::Down => (picked + 1).min(last),
                Action::First | Action::PageUp => 0,
                Action::Last | Action::PageDown => last,
                _ => picked,
            });
            return;
        }
        let (current, len) = match self.view {
            View::Calls => (self.selected_index(), self.rows.len()),
            View::Deliveries => (
                self.selected_delivery_index(),
                self.shown_deliveries().count(),
            ),
            View::Stats => return,
        };
        if len == 0 {
            return;
        }
        let last = len - 1;
        let target = match action {
            Action::Up => current.saturating_sub(1),
            Action::Down => (current + 1).min(last),
            Action::PageUp => current.saturating_sub(page),
            Action::PageDown => (current + page).min(last),
            Action::First => 0,
            Action::Last => last,
            _ => current,
        };
        match self.view {
            // Row 0 means "follow the first row" (the newest call by default).
            View::Calls => {
                self.selected = if target == 0 {
                    None
                } else {
                    self.rows.get(target).copied()
                }
            }
            View::Deliveries => {
                let seq = if target == 0 {
                    None
                } else {
                    self.shown_deliveries().nth(target).map(|d| d.seq)
                };
                self.selected_delivery = seq;
            }
            View::Stats => {}
        }
    }

    /// Handles a mouse event (with `--mouse`): a click selects a row or, on the column
    /// titles, sorts by that column; the wheel scrolls. `body` is where the view is drawn.
    pub fn on_mouse(
        &mut self,
        mouse: ratatui::crossterm::event::MouseEvent,
        body: ratatui::layout::Rect,
    ) {
        use ratatui::crossterm::event::{MouseButton, MouseEventKind};
        match mouse.kind {
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::ScrollUp => self.update(Action::Up),
            MouseEventKind::Down(MouseButton::Left) if self.overlay.is_none() => {
                if mouse.row < body.y || mouse.row >= body.bottom() {
                    return;
                }
                self.dirty = true;
                let rows_on_screen = match self.view {
                    View::Calls => crate::tui::columns::rows_on_screen(body),
                    _ => usize::from(body.height.saturating_sub(1)),
                };
                if mouse.row == body.y {
                    if self.view == View::Calls
                        && let Some(col) = crate::tui::columns::column_at(
                            &self.placed_columns,
                            mouse.column - body.x,
                        )
                        && let Some(sort) = crate::tui::columns::sort_for_column(col)
                    {
                        self.sort = if self.sort.0 == sort {
                            (sort, !self.sort.1)
                        } else {
                            (sort, true)
                        };
                        self.rows_generation = None;
                    }
                    return;
                }
                let clicked = usize::from(mouse.row - body.y - 1);
                if clicked >= rows_on_screen {
                    // The status line under the calls table.
                    return;
                }
                match self.view {
                    View::Calls => {
                        let offset = self
                            .selected_index()
                            .saturating_sub(rows_on_screen.saturating_sub(1));
                        let index = offset + clicked;
                        if index < self.rows.len() {
                            self.selected = if index == 0 {
                                None
                            } else {
                                Some(self.rows[index])
                            };
                        }
                    }
                    View::Deliveries => {
                        let offset = self
                            .selected_delivery_index()
                            .saturating_sub(rows_on_screen.saturating_sub(1));
                        let index = offset + clicked;
                        let seq = self.shown_deliveries().nth(index).map(|d| d.seq);
                        self.selected_delivery = seq;
                    }
                    View::Stats => {}
                }
            }
            _ => {}
        }
    }

    /// The delivery keys act on: the one open, else the one selected in the deliveries view.
    pub fn delivery_in_focus(&self) -> Option<&Delivery> {
        let log = &self.session.deliveries;
        match (&self.overlay, self.view) {
            (Some(Overlay::DeliveryDetails { seq, .. }), _) => log.iter().find(|d| d.seq == *seq),
            (None, View::Deliveries) => log.iter().rev().nth(self.selected_delivery_index()),
            _ => None,
        }
    }

    /// The call keys act on: the one open, else the one selected in the calls view.
    pub fn call_in_focus(&self) -> Option<&CallRecord> {
        let store = &self.session.store;
        match (&self.overlay, self.view) {
            (Some(Overlay::CallDetails { id, .. }), _) => store.by_id(*id),
            (None, View::Calls) => store.by_id(*self.rows.get(self.selected_index())?),
            _ => None,
        }
    }

    fn say(&mut self, text: impl Into<String>, is_error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error,
        });
    }

    /// Puts `text` on the clipboard (OSC 52, when the terminal may be asked) and shows it in a
    /// box to copy by hand, titled with `what` it is.
    fn copy_and_show(&mut self, what: &str, text: String) {
        let title = if self.osc52 {
            format!("{what}: copied with OSC 52 (or select it below)")
        } else {
            format!("{what}: select it to copy (no OSC 52 here)")
        };
        if self.osc52 {
            self.clipboard = Some(text.clone());
        }
        self.overlay = Some(Overlay::Copied {
            title,
            text,
            scroll: 0,
        });
    }

    /// `y`: the call's SID, the delivery as `curl`, or the text shown copied again.
    fn copy(&mut self) {
        if let Some(Overlay::Copied { text, .. }) = &self.overlay {
            if self.osc52 {
                self.clipboard = Some(text.clone());
            }
            return;
        }
        if let Some(record) = self.call_in_focus() {
            let sid = record.summary.call_sid.clone();
            if self.osc52 {
                let shown = crate::text::terminal_safe(&sid).into_owned();
                self.clipboard = Some(sid);
                self.say(format!("copied {shown} to the clipboard (OSC 52)"), false);
            } else {
                self.copy_and_show("call SID", sid);
            }
            return;
        }
        let Some(d) = self.delivery_in_focus() else {
            return self.say("y copies the selected call's SID or delivery", true);
        };
        match crate::tui::actions::curl_command(d) {
            Ok(cmd) => self.copy_and_show("curl command", cmd),
            Err(why) => self.say(format!("not copied: {why}"), true),
        }
    }

    /// `v`: the delivery as a `callwatch verify` command.
    fn copy_verify(&mut self) {
        let Some(d) = self.delivery_in_focus() else {
            return self.say("v copies a delivery (Tab to the deliveries view)", true);
        };
        match crate::tui::actions::verify_command(d) {
            Ok(cmd) => self.copy_and_show("verify command", cmd),
            Err(why) => self.say(format!("not copied: {why}"), true),
        }
    }

    /// `O`: the call's page in Twilio Console, copied and shown.
    fn console_url(&mut self) {
        let Some(record) = self.call_in_focus() else {
            return self.say("O shows the selected call's Console URL", true);
        };
        match crate::tui::call_text::LinkableSid::new(&record.summary.call_sid) {
            Some(sid) => self.copy_and_show("Twilio Console", sid.console_url()),
            None => self.say(
                "this call's SID is not a Twilio call SID: no Console page",
                true,
            ),
        }
    }

    /// `R`: opens the prompt for the URL to resend the delivery in focus to.
    fn open_resend_prompt(&mut self) {
        let Some(seq) = self.delivery_in_focus().map(|d| d.seq) else {
            return self.say("r resends a delivery (Tab to the deliveries view)", true);
        };
        if self.header.resign_key.is_none() {
            return self.say("no auth token here to sign a resend with", true);
        }
        self.resend_prompt = Some(ResendPrompt {
            seq,
            ..ResendPrompt::default()
        });
    }

    /// A key of the resend prompt: editing, Enter (send), Esc (close).
    fn update_resend_prompt(&mut self, action: Action) {
        self.dirty = true;
        match action {
            Action::Quit => self.should_quit = true,
            Action::FilterCancel => self.resend_prompt = None,
            Action::FilterEdit(request) => {
                if let Some(prompt) = &mut self.resend_prompt {
                    prompt.input.handle(request);
                }
            }
            Action::FilterApply => {
                let Some(prompt) = &self.resend_prompt else {
                    return;
                };
                let seq = prompt.seq;
                let url = prompt.input.value().to_owned();
                let log = &self.session.deliveries;
                let request = match log.iter().find(|d| d.seq == seq) {
                    Some(d) => crate::tui::actions::ResendRequest::new(d, &url),
                    None => Err(format!("delivery #{seq} is no longer kept")),
                };
                match request {
                    Ok(request) => {
                        let shown = crate::twilio::url::display_url(&request.url).into_owned();
                        self.resends.push(request);
                        self.resend_prompt = None;
                        self.say(format!("resending #{seq} to {shown}…"), false);
                    }
                    Err(why) => {
                        if let Some(prompt) = &mut self.resend_prompt {
                            prompt.error = Some(why);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A resend finished (the run loop calls this): its outcome in the hint bar.
    pub fn on_resend_outcome(&mut self, outcome: Result<String, String>) {
        match outcome {
            Ok(text) => self.say(text, false),
            Err(text) => self.say(text, true),
        }
        self.dirty = true;
    }

    /// `J`: from a delivery to its call, from a call to its deliveries.
    fn jump(&mut self) {
        if let Some(record) = self.call_in_focus() {
            let sid = record.summary.call_sid.clone();
            return self.jump_to_deliveries_of_call(&sid);
        }
        let Some(d) = self.delivery_in_focus() else {
            return;
        };
        let seq = d.seq;
        let Some(sid) = call_sid_of_delivery(d) else {
            return self.say(format!("delivery #{seq} carries no call event"), true);
        };
        self.jump_to_call(&sid);
    }

    /// Shows call `sid` selected in the calls view, clearing a filter that hides it.
    pub fn jump_to_call(&mut self, sid: &str) {
        let Some(id) = self.session.store.id_of(sid) else {
            let shown = crate::text::terminal_safe(sid).into_owned();
            return self.say(format!("{shown} is not in the table (evicted?)"), true);
        };
        let hidden = match (&self.filter, self.session.store.by_id(id)) {
            (Some(filter), Some(record)) => !filter.matches(record),
            _ => false,
        };
        if hidden {
            self.set_filter(None);
        }
        self.view = View::Calls;
        self.overlay = None;
        self.selected = Some(id);
    }

    /// Shows the deliveries view filtered to call `sid` (`sid=CA…`, as typed with `/`) with the
    /// newest of them selected, and says how many there are.
    pub fn jump_to_deliveries_of_call(&mut self, sid: &str) {
        let log = &self.session.deliveries;
        let count = log.iter().filter(|d| delivery_is_of_call(d, sid)).count();
        let newest = log.iter().rev().find(|d| delivery_is_of_call(d, sid));
        let shown = crate::text::terminal_safe(sid).into_owned();
        let Some(newest) = newest.map(|d| d.seq) else {
            return self.say(format!("no delivery of {shown} is kept"), true);
        };
        if self
            .show_deliveries_filtered(&format!("sid={sid}"))
            .is_err()
        {
            return;
        }
        self.selected_delivery = Some(newest);
        self.say(
            format!("{count} deliveries of {shown} (filter sid={shown}; J goes back)"),
            false,
        );
    }

    /// Writes the calls shown (filtered, in table order) to CSV and JSON files.
    fn export(&mut self) {
        let store = &self.session.store;
        let records: Vec<&CallRecord> =
            self.rows.iter().filter_map(|&id| store.by_id(id)).collect();
        let stamp = crate::timestamp::rfc3339(self.now).replace([':', '.'], "-");
        let base = self.export_dir.join(format!("callwatch-export-{stamp}"));
        let csv = base.with_extension("csv");
        let json = base.with_extension("json");
        let result = crate::output::export::write_files(&records, &csv, &json, self.mask);
        self.notice = Some(match result {
            Ok(()) => Notice {
                text: format!(
                    "exported {} calls to {} and {}",
                    records.len(),
                    csv.display(),
                    json.display()
                ),
                is_error: false,
            },
            Err(e) => Notice {
                text: format!("export failed: {e:#}"),
                is_error: true,
            },
        });
    }
}

/// Puts an applied filter at the front of a history, once, keeping the newest
/// [`FILTER_HISTORY_MAX`].
fn remember(history: &mut Vec<String>, text: &str) {
    history.retain(|t| t != text);
    history.insert(0, text.to_owned());
    history.truncate(FILTER_HISTORY_MAX);
}

/// True when delivery `d` is about call `call_sid` (one of the SIDs noted in
/// [`Delivery::call_sids`]): what the deliveries filter's `sid=` matches too.
pub fn delivery_is_of_call(d: &Delivery, call_sid: &str) -> bool {
    d.call_sids.iter().any(|s| s.eq_ignore_ascii_case(call_sid))
}

/// The call delivery `d` is about (the first one it names).
pub fn call_sid_of_delivery(d: &Delivery) -> Option<String> {
    d.call_sids.first().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn app() -> App {
        App::new(Arc::new(ListenerStats::default()), HeaderInfo::default())
    }

    fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
        app.on_key(KeyEvent::new(code, modifiers));
    }

    fn typed(app: &mut App, s: &str) {
        for c in s.chars() {
            press(app, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    fn ctrl(app: &mut App, c: char) {
        press(app, KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    fn alt(app: &mut App, c: char) {
        press(app, KeyCode::Char(c), KeyModifiers::ALT);
    }

    /// The editor's text with `|` at the cursor.
    fn line(app: &App) -> String {
        let editor = app.editor.as_ref().expect("filter line open");
        let mut s: String = editor.text().chars().take(editor.cursor()).collect();
        s.push('|');
        s.extend(editor.text().chars().skip(editor.cursor()));
        s
    }

    fn editing(text: &str) -> App {
        let mut app = app();
        typed(&mut app, "/");
        typed(&mut app, text);
        app
    }

    #[test]
    fn ctrl_u_deletes_to_the_start_and_inserts_nothing() {
        let mut app = editing("carrier~voda state=fail");
        press(&mut app, KeyCode::Left, KeyModifiers::NONE);
        press(&mut app, KeyCode::Left, KeyModifiers::NONE);
        ctrl(&mut app, 'u');
        assert_eq!(line(&app), "|il");
        ctrl(&mut app, 'u');
        assert_eq!(
            line(&app),
            "|il",
            "nothing before the cursor: nothing to delete"
        );
    }

    #[test]
    fn ctrl_k_deletes_to_the_end() {
        let mut app = editing("state=fail and sip>=500");
        alt(&mut app, 'b');
        alt(&mut app, 'b');
        ctrl(&mut app, 'k');
        assert_eq!(line(&app), "state=fail and |");
    }

    #[test]
    fn ctrl_w_deletes_the_previous_word() {
        let mut app = editing("state=fail carrier~voda");
        ctrl(&mut app, 'w');
        assert_eq!(line(&app), "state=fail carrier~|");
        ctrl(&mut app, 'w');
        assert_eq!(line(&app), "state=fail |");
        // Ctrl-Y gives back what was cut, consecutive cuts together (as readline does).
        ctrl(&mut app, 'y');
        assert_eq!(line(&app), "state=fail carrier~voda|");
    }

    #[test]
    fn words_and_line_ends_move_the_cursor() {
        let mut app = editing("state=fail carrier~voda");
        alt(&mut app, 'b');
        assert_eq!(line(&app), "state=fail carrier~|voda");
        alt(&mut app, 'b');
        assert_eq!(line(&app), "state=fail |carrier~voda");
        press(&mut app, KeyCode::Left, KeyModifiers::CONTROL);
        assert_eq!(line(&app), "state=|fail carrier~voda");
        alt(&mut app, 'f');
        assert_eq!(line(&app), "state=fail |carrier~voda");
        press(&mut app, KeyCode::Right, KeyModifiers::CONTROL);
        assert_eq!(line(&app), "state=fail carrier~|voda");
        ctrl(&mut app, 'a');
        assert_eq!(line(&app), "|state=fail carrier~voda");
        ctrl(&mut app, 'e');
        assert_eq!(line(&app), "state=fail carrier~voda|");
        press(&mut app, KeyCode::Home, KeyModifiers::NONE);
        press(&mut app, KeyCode::Right, KeyModifiers::NONE);
        assert_eq!(line(&app), "s|tate=fail carrier~voda");
        press(&mut app, KeyCode::Delete, KeyModifiers::NONE);
        ctrl(&mut app, 'd');
        press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(line(&app), "|te=fail carrier~voda");
        press(&mut app, KeyCode::End, KeyModifiers::NONE);
        assert_eq!(line(&app), "te=fail carrier~voda|");
    }

    #[test]
    fn unbound_control_keys_insert_nothing_and_shift_types_capitals() {
        let mut app = editing("ab");
        ctrl(&mut app, 'x');
        press(&mut app, KeyCode::Char('C'), KeyModifiers::SHIFT);
        press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(line(&app), "abC|");
        assert!(!app.should_quit);
        ctrl(&mut app, 'c');
        assert!(app.should_quit, "Ctrl-C still quits while typing");
    }

    fn apply(app: &mut App, text: &str) {
        typed(app, "/");
        ctrl(app, 'u');
        typed(app, text);
        press(app, KeyCode::Enter, KeyModifiers::NONE);
        assert!(app.editor.is_none(), "{text} applies");
    }

    #[test]
    fn history_cycles_through_applied_filters_and_restores_the_draft() {
        let mut app = app();
        apply(&mut app, "state=fail");
        apply(&mut app, "sip>=500");
        apply(&mut app, "state=fail");
        // A refused filter is not remembered.
        typed(&mut app, "/");
        ctrl(&mut app, 'u');
        typed(&mut app, "(");
        press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
        press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(app.filter_history, ["state=fail", "sip>=500"]);

        // The line opens empty (Esc cleared the filter); ↑ brings the last one.
        typed(&mut app, "/");
        typed(&mut app, "car");
        press(&mut app, KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(line(&app), "state=fail|");
        press(&mut app, KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(line(&app), "sip>=500|");
        press(&mut app, KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(line(&app), "sip>=500|", "the oldest stays");
        press(&mut app, KeyCode::Down, KeyModifiers::NONE);
        assert_eq!(line(&app), "state=fail|");
        press(&mut app, KeyCode::Down, KeyModifiers::NONE);
        assert_eq!(line(&app), "car|", "the text typed comes back");
        press(&mut app, KeyCode::Down, KeyModifiers::NONE);
        assert_eq!(line(&app), "car|");
    }

    #[test]
    fn up_skips_the_filter_in_force_the_line_opens_with() {
        let mut app = app();
        apply(&mut app, "state=fail");
        apply(&mut app, "sip>=500");
        typed(&mut app, "/");
        assert_eq!(line(&app), "sip>=500|");
        press(&mut app, KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(line(&app), "state=fail|");
        press(&mut app, KeyCode::Down, KeyModifiers::NONE);
        assert_eq!(line(&app), "sip>=500|");
    }

    #[test]
    fn history_is_bounded() {
        let mut app = app();
        for i in 0..FILTER_HISTORY_MAX + 5 {
            apply(&mut app, &format!("duration>{i}"));
        }
        assert_eq!(app.filter_history.len(), FILTER_HISTORY_MAX);
        assert_eq!(
            app.filter_history[0],
            format!("duration>{}", FILTER_HISTORY_MAX + 4)
        );
    }
}
