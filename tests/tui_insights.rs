//! The TUI's side of the Voice Insights API, driven through the app's keys and answers as the
//! run loop drives them: opening a call asks for it once, `r` asks again, a fetched call's
//! samples reach the live model once however often it is refreshed, `a` opens the form, a bad
//! value is refused before any request, a saved annotation marks the call.

use std::sync::Arc;
use std::time::SystemTime;

use callwatch::ingest::ListenerStats;
use callwatch::ingest::polled::summaries_delivery;
use callwatch::tui::HeaderInfo;
use callwatch::tui::app::{App, Overlay};
use callwatch::tui::insights::{Answer, Request};
use callwatch::twilio::insights_api::{CallInDepth, InsightsClient};
use callwatch::twilio::rest::Credentials;
use callwatch::twilio::summary::{Annotation, CallSummary};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

const SID: &str = "CA0123456789abcdef0123456789abcdef";

fn app() -> App {
    let client = InsightsClient::new(
        "http://127.0.0.1:9",
        Credentials::from_auth_token("AC0123456789abcdef0123456789abcdef", "t"),
    )
    .unwrap();
    let header = HeaderInfo {
        insights: Some(client),
        ..HeaderInfo::default()
    };
    let mut app = App::new(Arc::new(ListenerStats::default()), header);
    let summary = CallSummary {
        call_sid: SID.into(),
        ..CallSummary::default()
    };
    app.on_delivery(summaries_delivery(1, SystemTime::now(), &[summary]));
    app.prepare_frame();
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn typed(app: &mut App, text: &str) {
    text.chars().for_each(|c| key(app, KeyCode::Char(c)));
}

fn requests(app: &mut App) -> Vec<Request> {
    app.insights.as_mut().unwrap().take_requests()
}

fn fetched(samples: usize) -> Answer {
    let metrics = (0..samples)
        .map(|i| {
            json!({"timestamp": format!("2026-12-06T00:00:{:02}Z", i * 10), "call_sid": SID,
                "account_sid": "AC0", "edge": "sdk_edge", "direction": "both",
                "sdk_edge": {"interval": {"mos": {"value": 4.0}, "jitter": {"value": 5}}}})
        })
        .collect();
    Answer::Fetched(
        SID.into(),
        Ok(Box::new(CallInDepth {
            summary: CallSummary {
                call_sid: SID.into(),
                ..CallSummary::default()
            },
            events: Vec::new(),
            metrics,
            annotation: None,
        })),
    )
}

fn samples(app: &App) -> usize {
    let record = app.session.store.get(SID).expect("the call");
    record
        .live
        .as_ref()
        .map_or(0, |l| l.samples_merged as usize)
}

#[test]
fn details_fetch_once_on_open_and_again_on_r_without_doubling_samples() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::CallDetails { .. })));
    assert_eq!(requests(&mut app), vec![Request::Fetch(SID.into())]);
    app.on_api_answer(fetched(3));
    assert_eq!(samples(&app), 3);
    app.prepare_frame();
    let text: String = app
        .details_cache
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    assert!(
        text.contains("Voice Insights API: 0 events, 3 samples"),
        "{text}"
    );

    // Closing and opening again does not fetch again; r does.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Enter);
    assert!(requests(&mut app).is_empty());
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(requests(&mut app), vec![Request::Fetch(SID.into())]);
    app.on_api_answer(fetched(4));
    assert_eq!(samples(&app), 4, "only the new sample is merged");
}

#[test]
fn the_annotation_form_refuses_bad_values_and_a_saved_one_marks_the_call() {
    let mut app = app();
    key(&mut app, KeyCode::Char('a'));
    assert!(app.insights.as_ref().unwrap().form.is_some());
    typed(&mut app, "score=9");
    key(&mut app, KeyCode::Enter);
    let state = app.insights.as_ref().unwrap();
    assert!(state.form.is_some(), "the form stays open");
    assert!(
        state
            .form_error
            .as_deref()
            .is_some_and(|e| e.contains("1, 2, 3")),
        "{:?}",
        state.form_error
    );
    assert!(requests(&mut app).is_empty(), "nothing sent");

    for _ in 0..7 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "quality=echo score=2");
    key(&mut app, KeyCode::Enter);
    let sent = requests(&mut app);
    let [Request::Save(sid, update)] = sent.as_slice() else {
        panic!("one save: {sent:?}")
    };
    assert_eq!(sid, SID);
    assert_eq!(update.call_score, Some(2));
    assert!(!app.insights.as_ref().unwrap().is_annotated(SID));
    app.on_api_answer(Answer::Saved(
        SID.into(),
        Ok(Box::new(Annotation {
            quality_issues: Some(vec!["echo".into()]),
            call_score: Some(2),
            ..Annotation::default()
        })),
    ));
    assert!(app.insights.as_ref().unwrap().is_annotated(SID));
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("annotation saved")),
        "{:?}",
        app.notice
    );
}

#[test]
fn a_listed_summary_with_an_annotation_marks_the_call() {
    let mut app = app();
    let other = "CAffffffffffffffffffffffffffffffff";
    let annotated = CallSummary {
        call_sid: other.into(),
        annotation: Some(Annotation {
            call_score: Some(1),
            ..Annotation::default()
        }),
        ..CallSummary::default()
    };
    app.on_delivery(summaries_delivery(2, SystemTime::now(), &[annotated]));
    let state = app.insights.as_ref().unwrap();
    assert!(state.is_annotated(other));
    assert!(!state.is_annotated(SID));
}

/// The screen as text, drawn at `w`×`h`.
fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| callwatch::tui::ui::draw(f, app))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buffer[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_poll_header_says_where_calls_come_from_and_when_the_last_poll_was() {
    let status = Arc::new(callwatch::tui::PollStatus::default());
    let header = HeaderInfo {
        listen_addr: "nothing (polling, no tunnel)".into(),
        public_url: "https://insights.twilio.com/v1/Voice/Summaries every 30s".into(),
        url_source: "Voice Insights API".into(),
        poll: Some(Arc::clone(&status)),
        ..HeaderInfo::default()
    };
    let mut app = App::new(Arc::new(ListenerStats::default()), header);
    app.prepare_frame();
    let before = screen(&app, 120, 24);
    assert!(
        before.contains("polling https://insights.twilio.com/v1/Voice/Summaries every 30s"),
        "{before}"
    );
    assert!(before.contains("last poll not yet"), "{before}");
    assert!(!before.contains("public URL"), "{before}");

    status.succeeded(app.now - std::time::Duration::from_secs(12));
    let after = screen(&app, 120, 24);
    assert!(after.contains("last poll 12s ago"), "{after}");

    status.failed("Twilio answered 429: too many requests; polling slows down".into());
    // As the run loop does before each frame: the header's problems are listed once a frame.
    app.prepare_frame();
    let failing = screen(&app, 120, 24);
    assert!(
        failing.contains("⚠ polling the Voice Insights API fails — Twilio answered 429"),
        "{failing}"
    );
}
