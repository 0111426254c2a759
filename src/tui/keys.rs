//! The one keymap: every key the TUI handles, the [`Action`] it becomes, and the words the
//! help overlay and hint bar show for it. Handling and help are generated from this table, so
//! they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key (or the world) can ask the app to do. The app state changes only in
/// [`super::app::App::update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave callwatch.
    Quit,
    /// Select the row above.
    Up,
    /// Select the row below.
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// Select the newest call and follow new ones.
    First,
    /// Select the oldest call.
    Last,
}

/// One binding of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The key.
    pub code: KeyCode,
    /// Modifiers that must be held (exactly).
    pub modifiers: KeyModifiers,
    /// What it does.
    pub action: Action,
    /// How the help shows the key.
    pub key_label: &'static str,
    /// What the help says it does.
    pub help: &'static str,
    /// Shown in the one-line hint bar.
    pub in_hint_bar: bool,
}

const fn bind(
    code: KeyCode,
    modifiers: KeyModifiers,
    action: Action,
    key_label: &'static str,
    help: &'static str,
    in_hint_bar: bool,
) -> Binding {
    Binding {
        code,
        modifiers,
        action,
        key_label,
        help,
        in_hint_bar,
    }
}

const NONE: KeyModifiers = KeyModifiers::NONE;

/// The keymap.
pub const BINDINGS: &[Binding] = &[
    bind(KeyCode::Char('q'), NONE, Action::Quit, "q", "quit", true),
    bind(KeyCode::Char('c'), KeyModifiers::CONTROL, Action::Quit, "Ctrl-C", "quit", false),
    bind(KeyCode::Up, NONE, Action::Up, "↑/k", "previous call", true),
    bind(KeyCode::Char('k'), NONE, Action::Up, "k", "previous call", false),
    bind(KeyCode::Down, NONE, Action::Down, "↓/j", "next call", true),
    bind(KeyCode::Char('j'), NONE, Action::Down, "j", "next call", false),
    bind(KeyCode::PageUp, NONE, Action::PageUp, "PgUp", "page up", false),
    bind(KeyCode::PageDown, NONE, Action::PageDown, "PgDn", "page down", true),
    bind(KeyCode::Char('g'), NONE, Action::First, "g", "newest call, follow new ones", true),
    bind(KeyCode::Home, NONE, Action::First, "Home", "newest call, follow new ones", false),
    bind(KeyCode::Char('G'), NONE, Action::Last, "G", "oldest call", true),
    bind(KeyCode::Char('G'), KeyModifiers::SHIFT, Action::Last, "G", "oldest call", false),
    bind(KeyCode::End, NONE, Action::Last, "End", "oldest call", false),
];

/// The action bound to a key press, if any.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| b.code == key.code && b.modifiers == key.modifiers)
        .map(|b| b.action)
}

/// The hint bar text: `key label` pairs of the bindings marked for it.
pub fn hint_bar() -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.in_hint_bar)
        .map(|b| (b.key_label, b.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(
                    !(a.code == b.code && a.modifiers == b.modifiers),
                    "{:?}+{:?} bound twice",
                    a.code,
                    a.modifiers
                );
            }
        }
    }

    #[test]
    fn keys_map_to_actions() {
        let key = |c, m| KeyEvent::new(c, m);
        assert_eq!(action_for(key(KeyCode::Char('q'), NONE)), Some(Action::Quit));
        assert_eq!(
            action_for(key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(action_for(key(KeyCode::Char('j'), NONE)), Some(Action::Down));
        assert_eq!(action_for(key(KeyCode::Char('x'), NONE)), None);
    }
}
