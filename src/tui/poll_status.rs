//! What `callwatch poll` tells the header while it runs: when the last poll of the Voice
//! Insights API succeeded, and the error of the last one while polls fail (with the sentence
//! that says what to do). Shared between the poll loop and the screen.

use std::sync::Mutex;
use std::time::SystemTime;

/// The state of the polls, updated by the poll loop and read by the header on each frame.
#[derive(Debug, Default)]
pub struct PollStatus {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// When the last successful poll was made.
    last_success: Option<SystemTime>,
    /// The error of the last poll, while polls fail.
    error: Option<String>,
}

impl PollStatus {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A poll succeeded at `at`: the error is cleared.
    pub fn succeeded(&self, at: SystemTime) {
        let mut inner = self.lock();
        inner.last_success = Some(at);
        inner.error = None;
    }

    /// A poll failed with `error` (already explained).
    pub fn failed(&self, error: String) {
        self.lock().error = Some(error);
    }

    /// When the last successful poll was made.
    pub fn last_success(&self) -> Option<SystemTime> {
        self.lock().last_success
    }

    /// The error of the last poll, while polls fail.
    pub fn error(&self) -> Option<String> {
        self.lock().error.clone()
    }
}
