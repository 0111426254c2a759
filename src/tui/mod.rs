//! The live terminal UI (ratatui + crossterm).
//!
//! One loop selects over three sources: deliveries from the listener, key presses (read on a
//! thread of their own), and a one-second tick. Each becomes a change in [`app::App::update`]
//! or [`app::App::on_delivery`]; the screen is redrawn only when something changed, at most
//! [`MAX_FPS`] times a second. The terminal is restored on quit, on panic and on SIGINT, SIGTERM
//! and SIGHUP.

pub mod actions;
pub mod app;
pub mod call_text;
pub mod columns;
pub mod delivery_filter;
pub mod insights;
pub mod keys;
pub mod picker;
mod poll_status;
pub mod problems;
pub mod rows;
pub mod simulation;
pub mod theme;
pub mod ui;
pub mod wrap;

pub use poll_status::PollStatus;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::{mpsc, watch};

use crate::ingest::{Delivery, ListenerStats};
use crate::session::ViewOptions;
use app::App;

/// The most frames drawn per second.
pub const MAX_FPS: u32 = 30;

/// Facts the header shows that do not change while running.
#[derive(Debug, Clone, Default)]
pub struct HeaderInfo {
    /// The address actually bound.
    pub listen_addr: String,
    /// The public URL (or how it is derived).
    pub public_url: String,
    /// Where the public URL came from (`--public-url`, `demo`, `ngrok agent API`...).
    pub url_source: String,
    /// A note in the title (e.g. "demo: simulated Twilio, token callwatch-demo-token").
    pub mode_note: Option<String>,
    /// False with `NO_COLOR` or `--color never`.
    pub color: bool,
    /// Emit OSC 8 hyperlinks (off in tests and for terminals that print them raw).
    pub hyperlinks: bool,
    /// Status answered to refused signatures (the header warns when it is a 4xx).
    pub reject_status: u16,
    /// The sink `setup` connected, with its subscription and test result (`None` elsewhere).
    pub sink: Option<SinkInfo>,
    /// Twilio Debugger alerts about the sink, when they are polled (`listen`, `setup`); the
    /// app syncs them into its session on every tick.
    pub alerts: Option<crate::alerts::AlertFeed>,
    /// `--forward-to`: the forwarder's counters and recent outcomes.
    pub forward: Option<std::sync::Arc<crate::ingest::forward::ForwardState>>,
    /// The auth token resent deliveries are signed with (`listen`, `setup`, `demo`).
    pub resign_key: Option<actions::ResignKey>,
    /// `demo`: marked when the simulated Twilio stops (`--duration` elapsed).
    pub simulation_end: Option<Arc<simulation::SimulationEnd>>,
    /// `poll`: when the Voice Insights API was last polled, and the last error.
    pub poll: Option<std::sync::Arc<PollStatus>>,
    /// With credentials: the Voice Insights API, for the details (`r`) and annotations (`a`).
    pub insights: Option<crate::twilio::insights_api::InsightsClient>,
}

/// The [`HeaderInfo::url_source`] of `callwatch kinesis`: the header names the stream instead
/// of a listening address and public URL.
pub const KINESIS_SOURCE: &str = "kinesis";

/// What `callwatch setup` connected, for the header line under the addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkInfo {
    /// The sink's SID (`DG…`).
    pub sink_sid: String,
    /// The subscription delivering call summaries to it (`DF…`).
    pub subscription_sid: Option<String>,
    /// The Sink Test in a few words ("test verified, Validate: valid").
    pub test_result: String,
    /// True when the test event arrived and verified.
    pub test_passed: bool,
}

/// Runs the TUI until the user quits or SIGINT, SIGTERM or SIGHUP arrives. Sends `true` on `stop` when leaving.
pub async fn run(
    rx: mpsc::Receiver<Delivery>,
    stats: Arc<ListenerStats>,
    header: HeaderInfo,
    options: ViewOptions,
    stop: watch::Sender<bool>,
) -> anyhow::Result<()> {
    let mut terminal = ratatui::try_init().context("starting the terminal UI")?;
    if options.mouse {
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::event::EnableMouseCapture
        );
    }
    let resign_key = header.resign_key.clone();
    let mut app = App::new(stats, header);
    app.osc52 = actions::osc52_allowed(std::env::var("TERM").ok().as_deref());
    // Resends run off the UI thread; each outcome comes back here.
    let (resent_tx, mut resent_rx) = mpsc::unbounded_channel();
    app.session.store.set_max_calls(options.max_calls);
    app.mask = options.mask;
    app.set_filter(options.filter);
    if let Some(columns) = options.columns {
        app.set_columns(columns);
    }
    // The picker saves to the file this run reads (or would read, at the default place).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    app.config_path = crate::config::resolve::locate(&args).map(|(path, _)| path);
    let mut notice_since: Option<Instant> = None;

    let (key_tx, mut key_rx) = mpsc::unbounded_channel();
    let reader_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader_flag = Arc::clone(&reader_stop);
    std::thread::spawn(move || {
        while !reader_flag.load(std::sync::atomic::Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if key_tx.send(ev).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                },
                Ok(false) => {}
                Err(_) => break,
            }
        }
    });

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let frame_gap = Duration::from_secs(1) / MAX_FPS;
    let mut last_frame = Instant::now() - frame_gap;
    let mut redraw_at = tokio::time::interval(frame_gap);
    let term = crate::shutdown::shutdown_signal();
    tokio::pin!(term);
    // Whoever stops the run (a signal caught by the monitor, setup, the end of a replay) stops
    // the screen too, so the terminal is restored before the listener drains.
    let mut stopping = stop.subscribe();

    let mut listener_open = true;
    let mut feed = crate::ingest::DeliveryFeed::new(rx);
    // Answers of the Voice Insights API (details, annotations), back into the app.
    let (api_tx, mut api_rx) = mpsc::unbounded_channel::<insights::Answer>();
    let result: anyhow::Result<()> = loop {
        if app.notice.is_some() {
            let since = *notice_since.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(8) {
                app.notice = None;
                notice_since = None;
                app.dirty = true;
            }
        }
        if app.dirty && last_frame.elapsed() >= frame_gap {
            let size = terminal.size().context("reading the terminal size")?;
            app.page_rows = ui::table_rows(
                ratatui::layout::Rect::new(0, 0, size.width, size.height),
                &app,
            );
            app.prepare_frame();
            if let Err(e) = terminal.draw(|f| ui::draw(f, &app)) {
                break Err(e).context("drawing the screen");
            }
            // What `s` and the mouse read of the calls table just drawn.
            let body = ui::areas(
                ratatui::layout::Rect::new(0, 0, size.width, size.height),
                &app,
            )
            .body;
            app.placed_columns = ui::calls_table::layout(&app, body);
            let screen = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            if let Some((x, y, sid)) = ui::call_details::hyperlink_target(&app, screen) {
                use ratatui::crossterm::{cursor, style::Print};
                let _ = ratatui::crossterm::execute!(
                    std::io::stdout(),
                    cursor::SavePosition,
                    cursor::MoveTo(x, y),
                    Print(sid.osc8()),
                    cursor::RestorePosition
                );
            }
            if let Some(text) = app.clipboard.take() {
                // Base64 inside: nothing of the text reaches the terminal raw.
                use ratatui::crossterm::style::Print;
                let _ =
                    ratatui::crossterm::execute!(std::io::stdout(), Print(actions::osc52(&text)));
            }
            app.dirty = false;
            last_frame = Instant::now();
        }
        for request in app.resends.drain(..) {
            let Some(key) = resign_key.clone() else { break };
            let tx = resent_tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(actions::resend(request, key).await);
            });
        }
        if app.should_quit {
            break Ok(());
        }
        if let Some(state) = &mut app.insights {
            for request in state.take_requests() {
                insights::spawn(state.client.clone(), request, api_tx.clone());
            }
        }
        tokio::select! {
            Some(answer) = api_rx.recv() => app.on_api_answer(answer),
            // A burst costs one frame: it comes as one batch.
            batch = feed.next_batch(), if listener_open => match batch {
                Some(batch) => batch.into_iter().for_each(|d| app.on_delivery(d)),
                // The listener stopped; keep the table until the user quits.
                None => listener_open = false,
            },
            Some(ev) = key_rx.recv() => match ev {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    app.notice = None;
                    notice_since = None;
                    app.on_key(key);
                }
                Event::Mouse(mouse) if options.mouse => {
                    if let Ok(size) = terminal.size() {
                        let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
                        app.on_mouse(mouse, ui::areas(area, &app).body);
                    }
                }
                Event::Resize(_, _) => app.dirty = true,
                _ => {}
            },
            Some(outcome) = resent_rx.recv() => {
                app.on_resend_outcome(outcome);
                notice_since = None;
            }
            _ = tick.tick() => app.on_tick(SystemTime::now()),
            _ = redraw_at.tick(), if app.dirty => {}
            () = &mut term => break Ok(()),
            _ = stopping.wait_for(|stop| *stop) => break Ok(()),
        }
    };
    reader_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if options.mouse {
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::event::DisableMouseCapture
        );
    }
    ratatui::restore();
    let _ = stop.send(true);
    result
}
