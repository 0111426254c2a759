//! The one keymap: every key the TUI handles, the [`Action`] it becomes in each [`Context`],
//! and the words the help overlay and the hint bar show for it. Handling, help and hints are
//! all generated from [`BINDINGS`], so they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask the app to do. The app state changes only in
/// [`super::app::App::update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave callwatch.
    Quit,
    /// Select the row above (or scroll up in a detail view).
    Up,
    /// Select the row below (or scroll down).
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// Select the first row (in the calls view: the newest call, and follow new ones).
    First,
    /// Select the last row.
    Last,
    /// Open the selected call or delivery.
    Open,
    /// Close the open detail, overlay, or clear the filter.
    Close,
    /// Next view: calls → deliveries → stats.
    NextView,
    /// Previous view.
    PrevView,
    /// Type a filter expression.
    StartFilter,
    /// Sort by the next column.
    CycleSort,
    /// Reverse the sort direction.
    ReverseSort,
    /// Freeze the table (receiving goes on) or unfreeze it.
    ToggleFreeze,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Mask phone numbers and IP addresses, or show them.
    ToggleMask,
    /// Write the calls shown (filtered) to CSV and JSON files.
    Export,
}

/// Where a key press is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The calls table.
    Calls,
    /// The deliveries table.
    Deliveries,
    /// The stats view.
    Stats,
    /// A call's or a delivery's details.
    Details,
    /// The help overlay.
    Help,
}

/// One binding of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The key.
    pub code: KeyCode,
    /// Modifiers that must be held (exactly; SHIFT is ignored for characters).
    pub modifiers: KeyModifiers,
    /// What it does.
    pub action: Action,
    /// Where it works.
    pub contexts: &'static [Context],
    /// How the help shows the key.
    pub key_label: &'static str,
    /// What the help says it does.
    pub help: &'static str,
    /// The word shown in the one-line hint bar of its contexts (empty: not shown there).
    pub hint: &'static str,
}

use Context::{Calls, Deliveries, Details, Help, Stats};

const ALL: &[Context] = &[Calls, Deliveries, Stats, Details, Help];
const TABLES: &[Context] = &[Calls, Deliveries];
const SCROLLING: &[Context] = &[Calls, Deliveries, Details, Help];
const VIEWS: &[Context] = &[Calls, Deliveries, Stats];
const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

#[allow(clippy::too_many_arguments)]
const fn bind(
    code: KeyCode,
    modifiers: KeyModifiers,
    action: Action,
    contexts: &'static [Context],
    key_label: &'static str,
    help: &'static str,
    hint: &'static str,
) -> Binding {
    Binding {
        code,
        modifiers,
        action,
        contexts,
        key_label,
        help,
        hint,
    }
}

/// The keymap. Earlier bindings win when a key is bound in several contexts.
pub const BINDINGS: &[Binding] = &[
    bind(
        KeyCode::Char('q'),
        NONE,
        Action::Quit,
        ALL,
        "q",
        "quit",
        "quit",
    ),
    bind(
        KeyCode::Char('c'),
        CTRL,
        Action::Quit,
        ALL,
        "Ctrl-C",
        "quit",
        "",
    ),
    bind(
        KeyCode::Char('?'),
        NONE,
        Action::ToggleHelp,
        ALL,
        "?",
        "help",
        "help",
    ),
    bind(
        KeyCode::Tab,
        NONE,
        Action::NextView,
        VIEWS,
        "Tab",
        "next view",
        "views",
    ),
    bind(
        KeyCode::BackTab,
        NONE,
        Action::PrevView,
        VIEWS,
        "Shift-Tab",
        "previous view",
        "",
    ),
    bind(
        KeyCode::Enter,
        NONE,
        Action::Open,
        TABLES,
        "Enter",
        "open",
        "open",
    ),
    bind(
        KeyCode::Esc,
        NONE,
        Action::Close,
        ALL,
        "Esc",
        "close / clear filter",
        "close",
    ),
    bind(KeyCode::Up, NONE, Action::Up, SCROLLING, "↑ k", "up", ""),
    bind(
        KeyCode::Char('k'),
        NONE,
        Action::Up,
        SCROLLING,
        "k",
        "up",
        "",
    ),
    bind(
        KeyCode::Down,
        NONE,
        Action::Down,
        SCROLLING,
        "↓ j",
        "down",
        "",
    ),
    bind(
        KeyCode::Char('j'),
        NONE,
        Action::Down,
        SCROLLING,
        "j",
        "down",
        "",
    ),
    bind(
        KeyCode::PageUp,
        NONE,
        Action::PageUp,
        SCROLLING,
        "PgUp",
        "page up",
        "",
    ),
    bind(
        KeyCode::PageDown,
        NONE,
        Action::PageDown,
        SCROLLING,
        "PgDn",
        "page down",
        "",
    ),
    bind(
        KeyCode::Char('g'),
        NONE,
        Action::First,
        SCROLLING,
        "g",
        "top (newest, follow)",
        "",
    ),
    bind(
        KeyCode::Home,
        NONE,
        Action::First,
        SCROLLING,
        "Home",
        "top",
        "",
    ),
    bind(
        KeyCode::Char('G'),
        NONE,
        Action::Last,
        SCROLLING,
        "G",
        "bottom",
        "",
    ),
    bind(
        KeyCode::End,
        NONE,
        Action::Last,
        SCROLLING,
        "End",
        "bottom",
        "",
    ),
    bind(
        KeyCode::Char('/'),
        NONE,
        Action::StartFilter,
        &[Calls],
        "/",
        "filter",
        "filter",
    ),
    bind(
        KeyCode::Char('s'),
        NONE,
        Action::CycleSort,
        &[Calls],
        "s",
        "sort column",
        "sort",
    ),
    bind(
        KeyCode::Char('S'),
        NONE,
        Action::ReverseSort,
        &[Calls],
        "S",
        "reverse sort",
        "",
    ),
    bind(
        KeyCode::Char(' '),
        NONE,
        Action::ToggleFreeze,
        &[Calls],
        "Space",
        "freeze",
        "freeze",
    ),
    bind(
        KeyCode::Char('m'),
        NONE,
        Action::ToggleMask,
        ALL,
        "m",
        "mask numbers",
        "mask",
    ),
    bind(
        KeyCode::Char('e'),
        NONE,
        Action::Export,
        &[Calls],
        "e",
        "export CSV+JSON",
        "export",
    ),
];

/// The action a key press asks for in `context`, if any.
pub fn action_for(key: KeyEvent, context: Context) -> Option<Action> {
    // Terminals report `G` with or without SHIFT; characters carry their case already.
    let modifiers = if matches!(key.code, KeyCode::Char(_)) {
        key.modifiers - KeyModifiers::SHIFT
    } else {
        key.modifiers
    };
    BINDINGS
        .iter()
        .find(|b| b.code == key.code && b.modifiers == modifiers && b.contexts.contains(&context))
        .map(|b| b.action)
}

/// The hint bar of one context: `(key, help)` pairs.
pub fn hint_bar(context: Context) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| !b.hint.is_empty() && b.contexts.contains(&context))
        .map(|b| (b.key_label, b.hint))
        .collect()
}

/// The help overlay's lines: each distinct action once, with every key that triggers it.
pub fn help_lines() -> Vec<(String, &'static str, String)> {
    let mut lines: Vec<(String, &'static str, String)> = Vec::new();
    for b in BINDINGS {
        let label = key_name(b);
        if let Some(line) = lines.iter_mut().find(|(_, help, _)| *help == b.help) {
            if !line.0.split(", ").any(|k| k == label) {
                line.0.push_str(", ");
                line.0.push_str(&label);
            }
        } else {
            lines.push((label, b.help, contexts_label(b.contexts)));
        }
    }
    lines
}

fn key_name(b: &Binding) -> String {
    b.key_label
        .split(' ')
        .next()
        .unwrap_or(b.key_label)
        .to_owned()
}

fn contexts_label(contexts: &[Context]) -> String {
    if contexts == ALL {
        return "everywhere".into();
    }
    contexts
        .iter()
        .map(|c| match c {
            Calls => "calls",
            Deliveries => "deliveries",
            Stats => "stats",
            Details => "details",
            Help => "help",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                let shared = a.contexts.iter().any(|c| b.contexts.contains(c));
                assert!(
                    !(a.code == b.code && a.modifiers == b.modifiers && shared),
                    "{:?}+{:?} bound twice",
                    a.code,
                    a.modifiers
                );
            }
        }
    }

    #[test]
    fn keys_map_to_actions_by_context() {
        let key = |c, m| KeyEvent::new(c, m);
        assert_eq!(
            action_for(key(KeyCode::Char('q'), NONE), Calls),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(key(KeyCode::Char('c'), CTRL), Details),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(key(KeyCode::Char('/'), NONE), Calls),
            Some(Action::StartFilter)
        );
        assert_eq!(action_for(key(KeyCode::Char('/'), NONE), Deliveries), None);
        assert_eq!(
            action_for(key(KeyCode::Char('G'), KeyModifiers::SHIFT), Calls),
            Some(Action::Last)
        );
        assert_eq!(action_for(key(KeyCode::Char('x'), NONE), Calls), None);
    }

    #[test]
    fn help_lists_every_action_once() {
        let lines = help_lines();
        let quit = lines.iter().find(|l| l.1 == "quit").expect("quit");
        assert_eq!(quit.0, "q, Ctrl-C");
        let helps: Vec<&str> = lines.iter().map(|l| l.1).collect();
        let mut dedup = helps.clone();
        dedup.dedup();
        assert_eq!(helps.len(), dedup.len());
        assert!(hint_bar(Calls).iter().any(|(k, _)| *k == "/"));
        assert!(!hint_bar(Deliveries).iter().any(|(k, _)| *k == "/"));
    }
}
