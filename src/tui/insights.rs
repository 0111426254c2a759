//! What the screen knows from Twilio's Voice Insights REST API, with credentials: each opened
//! call's fetch (its summary, events and samples, fetched once on open, again on `r`), the
//! annotations read or saved, and the one-line annotation form `a` opens. The app asks for
//! fetches and saves ([`InsightsState::take_requests`]); the TUI loop runs them and hands the
//! answers back, so the state still changes only in the app's update steps.

use std::collections::HashMap;
use std::time::SystemTime;

use ratatui::text::{Line, Span};

use crate::tui::theme::Theme;
use crate::twilio::insights_api::{
    ANSWERED_BY, AnnotationUpdate, CONNECTIVITY_ISSUES, CallInDepth, InsightsClient,
    QUALITY_ISSUES, fetch_call, what_to_do,
};
use crate::twilio::summary::Annotation;

/// How far one call's fetch got.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch {
    /// Asked for, not answered yet.
    Pending,
    /// Answered at `at` with this many events and samples.
    Done {
        /// When.
        at: SystemTime,
        /// Events fetched.
        events: usize,
        /// Samples fetched.
        metrics: usize,
    },
    /// Failed: the error and what to do.
    Failed(String),
}

/// Work for the TUI loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Fetch a call in depth.
    Fetch(String),
    /// Save an annotation.
    Save(String, AnnotationUpdate),
}

/// An answer of the API, for [`crate::tui::app::App::on_api_answer`].
#[derive(Debug)]
pub enum Answer {
    /// A call fetched in depth, or why not.
    Fetched(String, Result<Box<CallInDepth>, String>),
    /// An annotation saved (as Twilio now has it), or why not.
    Saved(String, Result<Box<Annotation>, String>),
}

/// Runs `request` on its own task; the answer goes to `answers`.
pub fn spawn(
    client: InsightsClient,
    request: Request,
    answers: tokio::sync::mpsc::UnboundedSender<Answer>,
) {
    let explain = |e: crate::twilio::rest::ApiError| match what_to_do(&e) {
        Some(advice) => format!("{advice} ({e})"),
        None => e.to_string(),
    };
    tokio::spawn(async move {
        let answer = match request {
            Request::Fetch(sid) => {
                let result = fetch_call(&client, &sid)
                    .await
                    .map(Box::new)
                    .map_err(explain);
                Answer::Fetched(sid, result)
            }
            Request::Save(sid, update) => {
                let result = client
                    .update_annotation(&sid, &update)
                    .await
                    .map(Box::new)
                    .map_err(explain);
                Answer::Saved(sid, result)
            }
        };
        let _ = answers.send(answer);
    });
}

/// The Insights side of the screen. Present only with credentials.
#[derive(Debug)]
pub struct InsightsState {
    /// The client the TUI loop uses.
    pub client: InsightsClient,
    /// Each call's fetch, by call SID.
    pub fetches: HashMap<String, Fetch>,
    /// Events and samples of each call already merged into the store, so a refresh adds only
    /// the new ones.
    pub merged: HashMap<String, (usize, usize)>,
    /// Annotations read or saved, by call SID.
    pub annotations: HashMap<String, Annotation>,
    /// The annotation form: the call and the line typed.
    pub form: Option<(String, tui_input::Input)>,
    /// Why the form's last Enter was refused.
    pub form_error: Option<String>,
    /// Work asked for since the loop last looked.
    requests: Vec<Request>,
}

impl InsightsState {
    /// A state with nothing fetched.
    pub fn new(client: InsightsClient) -> Self {
        Self {
            client,
            fetches: HashMap::new(),
            merged: HashMap::new(),
            annotations: HashMap::new(),
            form: None,
            form_error: None,
            requests: Vec::new(),
        }
    }

    /// Asks for `call_sid` to be fetched: on open only the first time, always with `force`.
    pub fn fetch(&mut self, call_sid: &str, force: bool) {
        if !force && self.fetches.contains_key(call_sid) {
            return;
        }
        self.fetches.insert(call_sid.to_owned(), Fetch::Pending);
        self.requests.push(Request::Fetch(call_sid.to_owned()));
    }

    /// The work asked for since the last call.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }

    /// Opens the form for `call_sid`, holding its saved annotation when there is one.
    pub fn open_form(&mut self, call_sid: &str) {
        let text = self
            .annotations
            .get(call_sid)
            .map(form_text)
            .unwrap_or_default();
        self.form = Some((call_sid.to_owned(), tui_input::Input::new(text)));
        self.form_error = None;
    }

    /// Enter in the form: the line read and checked, then saved (the form closes), or the
    /// error shown under it.
    pub fn submit_form(&mut self) {
        let Some((call_sid, input)) = &self.form else {
            return;
        };
        match parse_form(input.value()) {
            Ok(update) => {
                self.requests.push(Request::Save(call_sid.clone(), update));
                self.form = None;
                self.form_error = None;
            }
            Err(e) => self.form_error = Some(e),
        }
    }

    /// True when the call has an annotation.
    pub fn is_annotated(&self, call_sid: &str) -> bool {
        self.annotations.contains_key(call_sid)
    }

    /// The lines the details show first: the fetch and the annotation.
    pub fn detail_lines(&self, call_sid: &str, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from("")];
        let fetch = match self.fetches.get(call_sid) {
            None | Some(Fetch::Pending) => {
                Span::styled("fetching from the Voice Insights API…", theme.dim())
            }
            Some(Fetch::Done {
                at,
                events,
                metrics,
            }) => Span::styled(
                format!(
                    "Voice Insights API: {events} events, {metrics} samples, fetched {} (r refreshes)",
                    crate::timestamp::clock(*at)
                ),
                theme.dim(),
            ),
            Some(Fetch::Failed(error)) => Span::styled(
                format!(
                    "⚠ Voice Insights API: {}",
                    crate::text::terminal_safe(error)
                ),
                theme.warning(),
            ),
        };
        lines.push(Line::from(fetch));
        let annotation = match self.annotations.get(call_sid) {
            Some(a) => format!(
                "annotation: {} (a edits)",
                crate::twilio::insights_api::annotation_text(a)
            ),
            None => "annotation: none (a annotates)".to_owned(),
        };
        lines.push(Line::from(annotation));
        lines
    }
}

/// The form's line for a saved annotation: `answered=human quality=echo,latency score=2 ...`.
pub fn form_text(a: &Annotation) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &a.answered_by {
        parts.push(format!("answered={v}"));
    }
    if let Some(v) = &a.connectivity_issue {
        parts.push(format!("connectivity={v}"));
    }
    if let Some(v) = a.quality_issues.as_ref().filter(|v| !v.is_empty()) {
        parts.push(format!("quality={}", v.join(",")));
    }
    if let Some(v) = a.spam {
        parts.push(format!("spam={v}"));
    }
    if let Some(v) = a.call_score {
        parts.push(format!("score={v}"));
    }
    if let Some(v) = &a.incident {
        parts.push(format!("incident={}", v.replace(' ', "_")));
    }
    if let Some(v) = &a.comment {
        parts.push(format!("comment={v}"));
    }
    crate::text::terminal_safe(&parts.join(" ")).into_owned()
}

/// What the form's line says, checked against the API description's values: `answered=`,
/// `connectivity=`, `quality=a,b`, `spam=true|false`, `score=1-5`, `incident=` (one word) and
/// `comment=` (the rest of the line, at most 100 characters).
pub fn parse_form(text: &str) -> Result<AnnotationUpdate, String> {
    let mut update = AnnotationUpdate::default();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (token, after) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some((key, value)) = token.split_once('=') else {
            return Err(format!(
                "`{token}`: write key=value (answered, connectivity, quality, spam, score, incident, comment)"
            ));
        };
        if key == "comment" {
            let comment = format!("{value} {after}").trim().to_owned();
            if comment.chars().count() > 100 {
                return Err("comment: Twilio keeps at most 100 characters".into());
            }
            update.comment = Some(comment);
            break;
        }
        let allowed = |values: &[&str]| {
            if values.contains(&value) {
                Ok(value.to_owned())
            } else {
                Err(format!("{key}={value}: use one of {}", values.join(", ")))
            }
        };
        match key {
            "answered" => update.answered_by = Some(allowed(ANSWERED_BY)?),
            "connectivity" => update.connectivity_issue = Some(allowed(CONNECTIVITY_ISSUES)?),
            "quality" => {
                let items: Vec<String> = value.split(',').map(str::to_owned).collect();
                if let Some(bad) = items.iter().find(|i| !QUALITY_ISSUES.contains(&i.as_str())) {
                    return Err(format!(
                        "quality={bad}: use some of {}",
                        QUALITY_ISSUES.join(", ")
                    ));
                }
                update.quality_issues = Some(items);
            }
            "spam" => {
                update.spam = Some(match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("spam={value}: use true or false")),
                })
            }
            "score" => {
                update.call_score = Some(match value.parse::<u8>() {
                    Ok(n @ 1..=5) => n,
                    _ => return Err(format!("score={value}: use 1, 2, 3, 4 or 5")),
                })
            }
            "incident" => update.incident = Some(value.to_owned()),
            other => {
                return Err(format!(
                    "`{other}` is not a field: answered, connectivity, quality, spam, score, incident, comment"
                ));
            }
        }
        rest = after.trim_start();
    }
    if update.is_empty() {
        return Err("nothing to save: e.g. quality=echo score=2".into());
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_line_reads_every_field_and_refuses_values_the_api_does_not_take() {
        let update =
            parse_form("answered=human quality=echo,latency score=2 spam=false comment=two words")
                .unwrap();
        assert_eq!(update.answered_by.as_deref(), Some("human"));
        assert_eq!(
            update.quality_issues,
            Some(vec!["echo".to_owned(), "latency".to_owned()])
        );
        assert_eq!(update.call_score, Some(2));
        assert_eq!(update.spam, Some(false));
        assert_eq!(update.comment.as_deref(), Some("two words"));
        for (bad, needle) in [
            ("answered=robot", "human"),
            ("quality=hiss", "static_noise"),
            ("score=9", "1, 2, 3"),
            ("spam=maybe", "true or false"),
            ("colour=red", "not a field"),
            ("", "nothing to save"),
        ] {
            let error = parse_form(bad).unwrap_err();
            assert!(error.contains(needle), "{bad}: {error}");
        }
    }

    #[test]
    fn a_saved_annotation_reads_back_through_the_form() {
        let saved = Annotation {
            answered_by: Some("machine".into()),
            quality_issues: Some(vec!["echo".into()]),
            call_score: Some(4),
            comment: Some("left a message".into()),
            ..Annotation::default()
        };
        let update = parse_form(&form_text(&saved)).unwrap();
        assert_eq!(update.answered_by.as_deref(), Some("machine"));
        assert_eq!(update.call_score, Some(4));
        assert_eq!(update.comment.as_deref(), Some("left a message"));
    }
}
