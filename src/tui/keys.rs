//! The one keymap: every key the TUI handles, the [`Action`] it becomes in each [`Context`],
//! and the words the help overlay and the hint bar show for it. Handling, help and hints are
//! all generated from [`BINDINGS`], so they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub use tui_input::InputRequest;

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
    /// Copy the call's SID, or the delivery as a `curl` command (OSC 52, and shown).
    Copy,
    /// Copy the delivery as a `callwatch verify` command.
    CopyVerify,
    /// Resend the delivery to a URL typed in a prompt, re-signed for it.
    Resend,
    /// From a delivery to its call; from a call to its deliveries.
    Jump,
    /// Show and copy the call's Twilio Console URL.
    ConsoleUrl,
    /// Wide mode: fewer columns, whole values.
    ToggleWide,
    /// Open the column picker.
    OpenColumnPicker,
    /// Column picker: show or hide the column under the cursor.
    PickerToggle,
    /// Column picker: move the column under the cursor up.
    PickerMoveUp,
    /// Column picker: move the column under the cursor down.
    PickerMoveDown,
    /// Fetch the open call from the Voice Insights API again.
    Refresh,
    /// Annotate the selected or open call (Voice Insights API).
    Annotate,
    /// Filter line: edit the text (insert, delete, move the cursor).
    FilterEdit(InputRequest),
    /// Filter line: apply the text typed (Enter).
    FilterApply,
    /// Filter line: close it and clear the filter (Esc).
    FilterCancel,
    /// Filter line: the filter applied before the one shown (↑).
    FilterHistoryOlder,
    /// Filter line: the filter applied after the one shown, then the text typed (↓).
    FilterHistoryNewer,
    /// Pick one of the header's problems (↑↓), to open its deliveries with Enter.
    FocusProblems,
    /// Hide the header's problems until a new kind arrives.
    DismissProblems,
    /// Open the deliveries view filtered to the picked problem's deliveries.
    OpenProblem,
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
    /// A call's details (or text copied, shown to select by hand).
    Details,
    /// A delivery's details.
    DeliveryDetails,
    /// The help overlay.
    Help,
    /// Picking one of the header's problems (after `!`).
    Problems,
    /// The column picker.
    Picker,
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

use Context::{Calls, Deliveries, DeliveryDetails, Details, Help, Picker, Problems, Stats};

const ALL: &[Context] = &[
    Calls,
    Deliveries,
    Stats,
    Details,
    DeliveryDetails,
    Help,
    Problems,
    Picker,
];
const TABLES: &[Context] = &[Calls, Deliveries];
const SCROLLING: &[Context] = &[
    Calls,
    Deliveries,
    Details,
    DeliveryDetails,
    Help,
    Problems,
    Picker,
];
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
        TABLES,
        "/",
        "filter (each table its own)",
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
    bind(
        KeyCode::Char('w'),
        NONE,
        Action::ToggleWide,
        &[Calls],
        "w",
        "wide columns: whole values",
        "wide",
    ),
    bind(
        KeyCode::Char('c'),
        NONE,
        Action::OpenColumnPicker,
        &[Calls],
        "c",
        "choose and order columns",
        "columns",
    ),
    bind(
        KeyCode::Char(' '),
        NONE,
        Action::PickerToggle,
        &[Picker],
        "Space",
        "show / hide the column",
        "toggle",
    ),
    bind(
        KeyCode::Char('K'),
        NONE,
        Action::PickerMoveUp,
        &[Picker],
        "K",
        "move the column up",
        "",
    ),
    bind(
        KeyCode::Char('J'),
        NONE,
        Action::PickerMoveDown,
        &[Picker],
        "J",
        "move the column down",
        "",
    ),
    bind(
        KeyCode::Enter,
        NONE,
        Action::Close,
        &[Picker],
        "Enter",
        "done (saves the columns)",
        "done",
    ),
    bind(
        KeyCode::Char('a'),
        NONE,
        Action::Annotate,
        &[Calls, Details],
        "a",
        "annotate the call",
        "annotate",
    ),
    bind(
        KeyCode::Char('r'),
        NONE,
        Action::Refresh,
        &[Details],
        "r",
        "fetch the call again",
        "refresh",
    ),
    // The header's problems: `!` picks one, Enter opens its deliveries, `x` hides them all.
    bind(
        KeyCode::Char('!'),
        NONE,
        Action::FocusProblems,
        VIEWS,
        "!",
        "pick a problem of the header",
        "",
    ),
    bind(
        KeyCode::Enter,
        NONE,
        Action::OpenProblem,
        &[Problems],
        "Enter",
        "open the problem's deliveries",
        "deliveries",
    ),
    bind(
        KeyCode::Char('x'),
        NONE,
        Action::DismissProblems,
        VIEWS,
        "x",
        "hide problems until new kind",
        "",
    ),
    bind(
        KeyCode::Char('x'),
        NONE,
        Action::DismissProblems,
        &[Problems],
        "x",
        "hide problems until new kind",
        "dismiss",
    ),
    bind(
        KeyCode::Char('y'),
        NONE,
        Action::Copy,
        &[Calls, Deliveries, Details, DeliveryDetails],
        "y",
        "copy SID / delivery as curl",
        "copy",
    ),
    bind(
        KeyCode::Char('v'),
        NONE,
        Action::CopyVerify,
        &[Deliveries, DeliveryDetails],
        "v",
        "copy as `callwatch verify`",
        "",
    ),
    bind(
        KeyCode::Char('R'),
        NONE,
        Action::Resend,
        &[Deliveries, DeliveryDetails],
        "R",
        "resend to a URL (re-signed)",
        "resend",
    ),
    bind(
        KeyCode::Char('J'),
        NONE,
        Action::Jump,
        &[Calls, Deliveries, Details, DeliveryDetails],
        "J",
        "jump: call ↔ its deliveries",
        "jump",
    ),
    bind(
        KeyCode::Char('O'),
        NONE,
        Action::ConsoleUrl,
        &[Calls, Details],
        "O",
        "copy the Twilio Console URL",
        "",
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

/// One key of the filter line, the readline keys: what it asks for and how the help says it.
#[derive(Debug, Clone, Copy)]
pub struct FilterKey {
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
}

const ALT: KeyModifiers = KeyModifiers::ALT;

const fn fkey(
    code: KeyCode,
    modifiers: KeyModifiers,
    action: Action,
    key_label: &'static str,
    help: &'static str,
) -> FilterKey {
    FilterKey {
        code,
        modifiers,
        action,
        key_label,
        help,
    }
}

/// The keys of the filter line while it is open (typed characters insert themselves). Keys
/// with the same help are listed together in the help overlay.
pub const FILTER_KEYS: &[FilterKey] = &[
    fkey(
        KeyCode::Enter,
        NONE,
        Action::FilterApply,
        "Enter",
        "apply the filter",
    ),
    fkey(
        KeyCode::Esc,
        NONE,
        Action::FilterCancel,
        "Esc",
        "close and clear the filter",
    ),
    fkey(KeyCode::Char('c'), CTRL, Action::Quit, "Ctrl-C", "quit"),
    fkey(
        KeyCode::Up,
        NONE,
        Action::FilterHistoryOlder,
        "↑",
        "older filter (applied in this run)",
    ),
    fkey(
        KeyCode::Down,
        NONE,
        Action::FilterHistoryNewer,
        "↓",
        "newer filter, then the text typed",
    ),
    fkey(
        KeyCode::Left,
        NONE,
        Action::FilterEdit(InputRequest::GoToPrevChar),
        "←",
        "character left",
    ),
    fkey(
        KeyCode::Char('b'),
        CTRL,
        Action::FilterEdit(InputRequest::GoToPrevChar),
        "Ctrl-B",
        "character left",
    ),
    fkey(
        KeyCode::Right,
        NONE,
        Action::FilterEdit(InputRequest::GoToNextChar),
        "→",
        "character right",
    ),
    fkey(
        KeyCode::Char('f'),
        CTRL,
        Action::FilterEdit(InputRequest::GoToNextChar),
        "Ctrl-F",
        "character right",
    ),
    fkey(
        KeyCode::Char('b'),
        ALT,
        Action::FilterEdit(InputRequest::GoToPrevWord),
        "Alt-B",
        "word left",
    ),
    fkey(
        KeyCode::Left,
        CTRL,
        Action::FilterEdit(InputRequest::GoToPrevWord),
        "Ctrl-←",
        "word left",
    ),
    fkey(
        KeyCode::Left,
        ALT,
        Action::FilterEdit(InputRequest::GoToPrevWord),
        "Alt-←",
        "word left",
    ),
    fkey(
        KeyCode::Char('f'),
        ALT,
        Action::FilterEdit(InputRequest::GoToNextWord),
        "Alt-F",
        "word right",
    ),
    fkey(
        KeyCode::Right,
        CTRL,
        Action::FilterEdit(InputRequest::GoToNextWord),
        "Ctrl-→",
        "word right",
    ),
    fkey(
        KeyCode::Right,
        ALT,
        Action::FilterEdit(InputRequest::GoToNextWord),
        "Alt-→",
        "word right",
    ),
    fkey(
        KeyCode::Char('a'),
        CTRL,
        Action::FilterEdit(InputRequest::GoToStart),
        "Ctrl-A",
        "start of line",
    ),
    fkey(
        KeyCode::Home,
        NONE,
        Action::FilterEdit(InputRequest::GoToStart),
        "Home",
        "start of line",
    ),
    fkey(
        KeyCode::Char('e'),
        CTRL,
        Action::FilterEdit(InputRequest::GoToEnd),
        "Ctrl-E",
        "end of line",
    ),
    fkey(
        KeyCode::End,
        NONE,
        Action::FilterEdit(InputRequest::GoToEnd),
        "End",
        "end of line",
    ),
    fkey(
        KeyCode::Backspace,
        NONE,
        Action::FilterEdit(InputRequest::DeletePrevChar),
        "Backspace",
        "delete character left",
    ),
    fkey(
        KeyCode::Char('h'),
        CTRL,
        Action::FilterEdit(InputRequest::DeletePrevChar),
        "Ctrl-H",
        "delete character left",
    ),
    fkey(
        KeyCode::Delete,
        NONE,
        Action::FilterEdit(InputRequest::DeleteNextChar),
        "Delete",
        "delete character at cursor",
    ),
    fkey(
        KeyCode::Char('d'),
        CTRL,
        Action::FilterEdit(InputRequest::DeleteNextChar),
        "Ctrl-D",
        "delete character at cursor",
    ),
    fkey(
        KeyCode::Char('w'),
        CTRL,
        Action::FilterEdit(InputRequest::DeletePrevWord),
        "Ctrl-W",
        "delete word left",
    ),
    fkey(
        KeyCode::Backspace,
        ALT,
        Action::FilterEdit(InputRequest::DeletePrevWord),
        "Alt-Backspace",
        "delete word left",
    ),
    fkey(
        KeyCode::Char('d'),
        ALT,
        Action::FilterEdit(InputRequest::DeleteNextWord),
        "Alt-D",
        "delete word right",
    ),
    fkey(
        KeyCode::Char('u'),
        CTRL,
        Action::FilterEdit(InputRequest::DeleteFromStart),
        "Ctrl-U",
        "delete to start of line",
    ),
    fkey(
        KeyCode::Char('k'),
        CTRL,
        Action::FilterEdit(InputRequest::DeleteTillEnd),
        "Ctrl-K",
        "delete to end of line",
    ),
    fkey(
        KeyCode::Char('y'),
        CTRL,
        Action::FilterEdit(InputRequest::Yank),
        "Ctrl-Y",
        "paste what was deleted",
    ),
];

/// The action a key press asks for while the filter line is open: a key of [`FILTER_KEYS`],
/// or a typed character (with or without Shift) to insert; other keys do nothing.
pub fn filter_action_for(key: KeyEvent) -> Option<Action> {
    let modifiers = if matches!(key.code, KeyCode::Char(_)) {
        key.modifiers - KeyModifiers::SHIFT
    } else {
        key.modifiers
    };
    if let Some(k) = FILTER_KEYS
        .iter()
        .find(|k| k.code == key.code && k.modifiers == modifiers)
    {
        return Some(k.action);
    }
    match key.code {
        // AltGr arrives as Ctrl+Alt on some terminals: the character it makes is typed.
        KeyCode::Char(c) if modifiers.is_empty() || modifiers == CTRL | ALT => {
            Some(Action::FilterEdit(InputRequest::InsertChar(c)))
        }
        _ => None,
    }
}

/// The help overlay's lines for the filter line: each distinct help once, with its keys.
pub fn filter_help_lines() -> Vec<(String, &'static str)> {
    let mut lines: Vec<(String, &'static str)> = Vec::new();
    for k in FILTER_KEYS {
        if let Some(line) = lines.iter_mut().find(|(_, help)| *help == k.help) {
            line.0.push_str(", ");
            line.0.push_str(k.key_label);
        } else {
            lines.push((k.key_label.to_owned(), k.help));
        }
    }
    lines
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
    // Moving through rows works in every list and overlay: said once, short enough for 80
    // columns.
    if contexts == SCROLLING {
        return "everywhere but stats".into();
    }
    contexts
        .iter()
        .map(|c| match c {
            Calls => "calls",
            Deliveries => "deliveries",
            Stats => "stats",
            Details => "call details",
            DeliveryDetails => "delivery details",
            Help => "help",
            Problems => "problems",
            Picker => "column picker",
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
        assert_eq!(
            action_for(key(KeyCode::Char('/'), NONE), Deliveries),
            Some(Action::StartFilter)
        );
        assert_eq!(action_for(key(KeyCode::Char('/'), NONE), Stats), None);
        assert_eq!(
            action_for(key(KeyCode::Char('!'), KeyModifiers::SHIFT), Calls),
            Some(Action::FocusProblems)
        );
        assert_eq!(
            action_for(key(KeyCode::Enter, NONE), Problems),
            Some(Action::OpenProblem)
        );
        assert_eq!(
            action_for(key(KeyCode::Enter, NONE), Calls),
            Some(Action::Open)
        );
        assert_eq!(
            action_for(key(KeyCode::Char('x'), NONE), Problems),
            Some(Action::DismissProblems)
        );
        assert_eq!(
            action_for(key(KeyCode::Up, NONE), Problems),
            Some(Action::Up)
        );
        assert_eq!(
            action_for(key(KeyCode::Char('G'), KeyModifiers::SHIFT), Calls),
            Some(Action::Last)
        );
        assert_eq!(
            action_for(key(KeyCode::Char('x'), NONE), Calls),
            Some(Action::DismissProblems)
        );
        assert_eq!(action_for(key(KeyCode::Char('z'), NONE), Calls), None);
    }

    #[test]
    fn filter_line_keys_are_edits_not_characters() {
        let key = |c, m| filter_action_for(KeyEvent::new(c, m));
        let edit = |r| Some(Action::FilterEdit(r));
        assert_eq!(
            key(KeyCode::Char('u'), CTRL),
            edit(InputRequest::DeleteFromStart)
        );
        assert_eq!(
            key(KeyCode::Char('k'), CTRL),
            edit(InputRequest::DeleteTillEnd)
        );
        assert_eq!(
            key(KeyCode::Char('w'), CTRL),
            edit(InputRequest::DeletePrevWord)
        );
        assert_eq!(key(KeyCode::Char('a'), CTRL), edit(InputRequest::GoToStart));
        assert_eq!(key(KeyCode::Char('e'), CTRL), edit(InputRequest::GoToEnd));
        assert_eq!(
            key(KeyCode::Char('b'), ALT),
            edit(InputRequest::GoToPrevWord)
        );
        assert_eq!(
            key(KeyCode::Char('f'), ALT),
            edit(InputRequest::GoToNextWord)
        );
        assert_eq!(key(KeyCode::Left, CTRL), edit(InputRequest::GoToPrevWord));
        assert_eq!(key(KeyCode::Right, CTRL), edit(InputRequest::GoToNextWord));
        assert_eq!(key(KeyCode::Up, NONE), Some(Action::FilterHistoryOlder));
        assert_eq!(key(KeyCode::Down, NONE), Some(Action::FilterHistoryNewer));
        assert_eq!(key(KeyCode::Enter, NONE), Some(Action::FilterApply));
        assert_eq!(key(KeyCode::Esc, NONE), Some(Action::FilterCancel));
        assert_eq!(key(KeyCode::Char('c'), CTRL), Some(Action::Quit));
        // Keys of the table are characters here.
        assert_eq!(
            key(KeyCode::Char('q'), NONE),
            edit(InputRequest::InsertChar('q'))
        );
        assert_eq!(
            key(KeyCode::Char('G'), KeyModifiers::SHIFT),
            edit(InputRequest::InsertChar('G'))
        );
        assert_eq!(key(KeyCode::Char('x'), CTRL), None);
        assert_eq!(key(KeyCode::Tab, NONE), None);
        for (i, a) in FILTER_KEYS.iter().enumerate() {
            for b in &FILTER_KEYS[i + 1..] {
                assert!(
                    !(a.code == b.code && a.modifiers == b.modifiers),
                    "{:?}+{:?} bound twice",
                    a.code,
                    a.modifiers
                );
            }
        }
        let help = filter_help_lines();
        let word_left = help.iter().find(|l| l.1 == "word left").expect("word left");
        assert_eq!(word_left.0, "Alt-B, Ctrl-←, Alt-←");
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
        assert!(hint_bar(Deliveries).iter().any(|(k, _)| *k == "/"));
        assert!(!hint_bar(Stats).iter().any(|(k, _)| *k == "/"));
        let dismiss = lines
            .iter()
            .find(|l| l.1.starts_with("hide problems"))
            .expect("x");
        assert_eq!(dismiss.0, "x", "two bindings, one line of help");
    }
}
