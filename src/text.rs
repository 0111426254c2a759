//! Text from the network or a file, made safe to write to a terminal. Anyone who can reach the
//! listener, or hand over a recording, chooses the bytes of call SIDs, carriers, paths and
//! headers; a terminal acts on some of them (OSC 52 sets the clipboard, OSC 0 the title, CSI
//! clears the screen, bidi overrides reorder what is shown). Every writer to a terminal passes
//! such text through [`terminal_safe`] (or [`terminal_safe_lines`]); JSON lines through
//! [`json_safe`].
//!
//! What is escaped, and how it reads:
//!
//! | characters                                   | shown as                    |
//! |----------------------------------------------|-----------------------------|
//! | tab, line feed, carriage return              | `\t`, `\n`, `\r`            |
//! | the other C0 controls (U+0000–U+001F), DEL   | `\x1b`, `\x7f` (two hex)    |
//! | C1 controls (U+0080–U+009F)                  | `\u009b` (four hex, as JSON)|
//! | bidi controls: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 | `\u202e` |
//!
//! A backslash is left as it is: the escaped forms are for reading, not for reading back, and
//! leaving it makes escaping idempotent (escaped text escapes to itself), so a string escaped
//! twice on its way to the screen does not show doubled backslashes. Everything else, `é`, `€`,
//! emoji, passes unchanged, and text with nothing to escape is returned borrowed.
//!
//! Also the text tools more than one module needs: [`edit_distance`] for "did you mean" and
//! [`TextTable`] for the tables commands print.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that must never reach a terminal raw: a C0 control, DEL, a C1
/// control or a bidi control.
pub fn is_hostile(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'
            | '\x7f'..='\u{9f}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `s` with every hostile character escaped, line breaks included: for one-line cells and
/// messages.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    escape(s, |_| false, push_terminal_escape)
}

/// Escapes `s` in place, as [`terminal_safe`] does.
pub fn make_terminal_safe(s: &mut String) {
    if let Cow::Owned(escaped) = terminal_safe(s) {
        *s = escaped;
    }
}

/// `s` with every hostile character escaped but `\n`, which stays a line break: for multi-line
/// text (a pretty-printed body, a table printed by a subcommand).
pub fn terminal_safe_lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n', push_terminal_escape)
}

/// Serialized JSON with DEL, the C1 and the bidi controls escaped as `\uXXXX`. serde_json
/// already escapes C0 controls inside strings but writes these raw; outside strings JSON is
/// ASCII, so every one found is inside a string, where `\uXXXX` means the same character. C0
/// characters are left alone: serde_json writes them only as whitespace between tokens.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    escape(json, |c| c < '\x20', push_json_escape)
}

/// Escapes the hostile characters of `s` that `keep` does not keep, each with `push`; borrows
/// `s` when there is nothing to escape.
fn escape(s: &str, keep: fn(char) -> bool, push: fn(&mut String, char)) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    // Bytes of `s` before `copied` are in `out` already (escaped or as they were).
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = find_hostile(s, at) {
        // `found` is on a character boundary: the bytes looked for lead a character.
        let c = s[found..].chars().next().unwrap_or('\0');
        at = found + c.len_utf8();
        if keep(c) {
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(s.len() + 16));
        out.push_str(&s[copied..found]);
        push(out, c);
        copied = at;
    }
    match out {
        None => Cow::Borrowed(s),
        Some(mut out) => {
            out.push_str(&s[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The byte offset of the first hostile character at or after `from`, by looking at bytes
/// only: the ASCII controls, and the lead bytes of the two- and three-byte encodings of the
/// others (`C2 80..9F`, `D8 9C`, `E2 80 8E/8F/AA..AE`, `E2 81 A6..A9`). In valid UTF-8 these
/// lead bytes never appear inside another character.
fn find_hostile(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = from;
    while i < b.len() {
        let hit = match b[i] {
            0x00..=0x1f | 0x7f => true,
            0xc2 => matches!(b.get(i + 1), Some(0x80..=0x9f)),
            0xd8 => b.get(i + 1) == Some(&0x9c),
            0xe2 => matches!(
                (b.get(i + 1), b.get(i + 2)),
                (Some(0x80), Some(0x8e | 0x8f | 0xaa..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
            ),
            _ => false,
        };
        if hit {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn push_terminal_escape(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\0'..='\x1f' | '\x7f' => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        _ => push_json_escape(out, c),
    }
}

fn push_json_escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{:04x}", u32::from(c));
}

/// Levenshtein distance, by characters: how far a misspelt filter field or config key is
/// from each known one, for "did you mean".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A plain-text table for the terminal: left-aligned columns two spaces apart, widths from the
/// widest cell (in characters), line ends trimmed. What `sinks list`, `subscriptions list` and
/// `config show` print.
pub struct TextTable<const N: usize> {
    header: [&'static str; N],
    rows: Vec<[String; N]>,
}

impl<const N: usize> TextTable<N> {
    /// A table with this header line and no rows yet.
    pub fn new(header: [&'static str; N]) -> Self {
        Self {
            header,
            rows: Vec::new(),
        }
    }

    /// Adds a row below the others.
    pub fn row(&mut self, cells: [String; N]) {
        self.rows.push(cells);
    }

    /// The header and the rows, one line each, every line ending in `\n`.
    pub fn render(&self) -> String {
        let mut widths = self.header.map(|h| h.chars().count());
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let header = self.header.map(str::to_owned);
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
                line.push_str(cell);
                if i + 1 < N {
                    let pad = width - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Escapes, in place, what a terminal would act on in the text of ratatui `lines`; spans with
/// nothing to escape are left as they are.
pub fn escape_lines(lines: &mut [ratatui::text::Line<'_>]) {
    for span in lines.iter_mut().flat_map(|line| line.spans.iter_mut()) {
        let escaped = match terminal_safe(&span.content) {
            std::borrow::Cow::Owned(escaped) => escaped,
            std::borrow::Cow::Borrowed(_) => continue,
        };
        span.content = escaped.into();
    }
}

/// Cuts `text` to at most `max` bytes (on a character boundary) and says how much was cut:
/// `…[+N bytes]`. Text within `max` is left as it is.
pub fn clip(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut_bytes = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("…[+{cut_bytes} bytes]"));
    text.shrink_to_fit();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_a_character_boundary_and_says_how_much() {
        let mut short = "abc".to_owned();
        clip(&mut short, 3);
        assert_eq!(short, "abc", "within the limit: unchanged");
        let mut long = "ééé".to_owned(); // 6 bytes
        clip(&mut long, 3);
        assert_eq!(long, "é…[+4 bytes]", "never half a character");
    }
    use proptest::prelude::*;

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("carier", "carrier"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("états", "etats"), 1);
    }

    #[test]
    fn escape_sequences_are_shown_never_emitted() {
        let cases = [
            // OSC 52: set the clipboard.
            ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),
            // OSC 0: set the window title.
            ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
            // OSC 8: a hyperlink.
            (
                "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
                "\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\",
            ),
            // CSI: clear the screen.
            ("\x1b[2J", "\\x1b[2J"),
            // DCS, ended by ST.
            ("\x1bPq#0\x1b\\", "\\x1bPq#0\\x1b\\"),
            // The one-byte C1 CSI, and the other C1 ends.
            ("\u{9b}2J", "\\u009b2J"),
            ("a\u{80}b\u{9f}c", "a\\u0080b\\u009fc"),
            // Bidi: an override that reorders the rest of the line, and each of the others.
            ("Vodafone\u{202e}gnp.exe", "Vodafone\\u202egnp.exe"),
            (
                "\u{61c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{2066}\u{2067}\u{2068}\u{2069}",
                "\\u061c\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069",
            ),
            // Line breaks, tabs, NUL, BEL, DEL.
            ("a\tb\nc\r\n", "a\\tb\\nc\\r\\n"),
            ("\0\x07\x7f", "\\x00\\x07\\x7f"),
        ];
        for (raw, shown) in cases {
            assert_eq!(terminal_safe(raw), shown, "{raw:?}");
            assert!(!terminal_safe(raw).chars().any(is_hostile), "{raw:?}");
        }
    }

    #[test]
    fn plain_text_is_unchanged_and_borrowed() {
        for text in [
            "",
            "CA0123456789abcdef0123456789abcdef",
            "Vodafone UK → Telefónica",
            "€ 12, naïve café, 日本, 🙂📞",
            r"a \x1b that was already escaped, C:\path",
            // Neighbours of the escaped ranges.
            "\u{a0}\u{ff}\u{200d}\u{2029}\u{2070}\u{061b}\u{061d}",
        ] {
            assert!(
                matches!(terminal_safe(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
            assert!(matches!(terminal_safe_lines(text), Cow::Borrowed(_)));
            assert!(matches!(json_safe(text), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn multi_line_text_keeps_its_line_breaks_only() {
        assert_eq!(
            terminal_safe_lines("{\n  \"a\": \"\x1b[2J\u{202e}\"\r\n}"),
            "{\n  \"a\": \"\\x1b[2J\\u202e\"\\r\n}"
        );
    }

    #[test]
    fn json_lines_escape_what_serde_json_writes_raw() {
        let line = serde_json::to_string(&serde_json::json!({
            "call_sid": "\x1b]52;c;aGk=\x07",
            "carrier": "A\u{9b}2J\u{202e}\x7f é",
        }))
        .expect("json");
        let safe = json_safe(&line);
        assert_eq!(
            safe,
            r#"{"call_sid":"\u001b]52;c;aGk=\u0007","carrier":"A\u009b2J\u202e\u007f é"}"#
        );
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back["carrier"], "A\u{9b}2J\u{202e}\x7f é");
    }

    /// Text mixing escape sequences, lone controls of every kind and ordinary characters.
    fn hostile_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            "[\\x00-\\x1f\\x7f-\\u{9f}]".prop_map(String::from),
            "[\\u{61c}\\u{200e}\\u{200f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]",
            Just("\x1b]52;c;aGk=\x07".to_owned()),
            Just("\x1b[2J".to_owned()),
            "[a-zé€🙂\\\\ ]{0,4}",
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn nothing_hostile_gets_through(s in hostile_text()) {
            let safe = terminal_safe(&s);
            prop_assert!(!safe.chars().any(is_hostile), "{:?}", safe);
            prop_assert_eq!(matches!(safe, Cow::Borrowed(_)), !s.chars().any(is_hostile));
            // Escaping is idempotent: escaped text has nothing left to escape.
            prop_assert!(matches!(terminal_safe(&safe), Cow::Borrowed(_)));
            let lines = terminal_safe_lines(&s);
            prop_assert!(!lines.chars().any(|c| is_hostile(c) && c != '\n'));
            prop_assert_eq!(lines.split('\n').count(), s.split('\n').count());
        }

        #[test]
        fn json_lines_mean_the_same_and_carry_nothing_hostile(s in hostile_text()) {
            let line = serde_json::to_string(&serde_json::json!({"s": s})).expect("json");
            let safe = json_safe(&line);
            prop_assert!(!safe.chars().any(is_hostile), "{:?}", safe);
            let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
            prop_assert_eq!(back["s"].as_str(), Some(s.as_str()));
        }

        #[test]
        fn the_byte_scan_agrees_with_the_character_test(s in hostile_text()) {
            let by_chars = s.char_indices().find(|&(_, c)| is_hostile(c)).map(|(i, _)| i);
            prop_assert_eq!(find_hostile(&s, 0), by_chars);
        }
    }
}
