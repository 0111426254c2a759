//! The one way text is fitted to a width on screen: word by word, measured in display cells
//! (a wide character takes two), continuation lines indented under the first (a hanging
//! indent), a word split only when it is wider than a whole line. Messages, hints, errors,
//! the help overlay and a call's details all wrap through here, so none is cut at the edge.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// The display width of `c` (controls, which the sanitiser has escaped before, count 0).
fn cells(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The display width of `s`.
pub fn width(s: &str) -> usize {
    s.chars().map(cells).sum()
}

/// `text` in lines of at most `width` cells; lines after the first start with `indent`
/// spaces. Never empty: an empty text is one empty line.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    wrap_line(&Line::raw(text.to_owned()), width, indent)
        .into_iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

/// [`wrap`] for styled text: each piece keeps its style; the indent is unstyled.
pub fn wrap_line(line: &Line<'_>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    // Fewer than 8 cells left for words would make a column of fragments: indent less.
    let indent = indent.min(width.saturating_sub(8));
    let chars: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut out: Vec<Vec<(char, Style)>> = Vec::new();
    let mut current: Vec<(char, Style)> = Vec::new();
    let mut current_width = 0;
    let mut i = 0;
    // Spaces at the start of the text are kept (they are its own indent).
    while i < chars.len() {
        let start = i;
        let space = chars[i].0 == ' ';
        while i < chars.len() && (chars[i].0 == ' ') == space {
            i += 1;
        }
        let token = &chars[start..i];
        let token_width: usize = token.iter().map(|&(c, _)| cells(c)).sum();
        let at_line_start = current.iter().all(|&(c, _)| c == ' ');
        if space {
            if !at_line_start || out.is_empty() {
                current.extend_from_slice(token);
                current_width += token_width;
            }
            continue;
        }
        if current_width + token_width > width && !at_line_start {
            // The spaces before the word stay on the line that ends.
            while current.last().is_some_and(|&(c, _)| c == ' ') {
                current.pop();
            }
            out.push(std::mem::take(&mut current));
            current = vec![(' ', Style::default()); indent];
            current_width = indent;
        }
        for &(c, style) in token {
            let w = cells(c);
            if current_width + w > width && current_width > indent {
                out.push(std::mem::take(&mut current));
                current = vec![(' ', Style::default()); indent];
                current_width = indent;
            }
            current.push((c, style));
            current_width += w;
        }
    }
    while current.len() > indent && current.last().is_some_and(|&(c, _)| c == ' ') {
        current.pop();
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out.into_iter().map(spans_of).collect()
}

/// Every line of `lines` wrapped to `width`, each continuation indented under the text of its
/// line (its leading spaces) plus `extra` cells.
pub fn wrap_lines(lines: &[Line<'_>], width: usize, extra: usize) -> Vec<Line<'static>> {
    lines
        .iter()
        .flat_map(|line| {
            let leading = line
                .spans
                .iter()
                .flat_map(|s| s.content.chars())
                .take_while(|&c| c == ' ')
                .count();
            wrap_line(line, width, leading + extra)
        })
        .collect()
}

/// `text` cut into lines of exactly `width` cells (the last shorter), every character kept,
/// spaces included: for text to be selected and copied by hand, where a word-wrap would drop
/// the spaces it breaks at.
pub fn wrap_exact(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut out = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = cells(c);
        if used + w > width {
            out.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(c);
        used += w;
    }
    out.push(current);
    out
}

/// `items` side by side, `gap` cells apart, in lines of at most `width` cells: an item that
/// does not fit on the line starts the next one, `indent` cells in, and is split (by
/// [`wrap_line`]) only when it is wider than a line.
pub fn pack(items: &[Line<'_>], width: usize, gap: usize, indent: usize) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for item in items {
        let item_width = item.width();
        let owned: Vec<Span<'static>> = item
            .spans
            .iter()
            .map(|s| Span::styled(s.content.to_string(), item.style.patch(s.style)))
            .collect();
        if !current.is_empty() && used + gap + item_width <= width {
            current.push(Span::raw(" ".repeat(gap)));
            current.extend(owned);
            used += gap + item_width;
            continue;
        }
        if !current.is_empty() {
            out.push(Line::from(std::mem::take(&mut current)));
        }
        let lead = if out.is_empty() { 0 } else { indent };
        if lead + item_width <= width {
            current.push(Span::raw(" ".repeat(lead)));
            current.extend(owned);
            used = lead + item_width;
        } else {
            let mut lines = wrap_line(&Line::from(owned), width.saturating_sub(lead), indent);
            for l in &mut lines {
                l.spans.insert(0, Span::raw(" ".repeat(lead)));
            }
            used = lines.last().map_or(0, Line::width);
            current = lines.pop().map(|l| l.spans).unwrap_or_default();
            out.extend(lines);
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(Line::from(current));
    }
    out
}

/// Characters with their styles back into spans, one per run of the same style.
fn spans_of(chars: Vec<(char, Style)>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for (c, s) in chars {
        if style.is_some_and(|st| st != s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(s);
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stay_whole_and_continuations_hang() {
        let text =
            "  From  +12069274401  carrier T-Mobile USA  Seattle Washington US San Francisco";
        let lines = wrap(text, 40, 8);
        assert_eq!(
            lines,
            [
                "  From  +12069274401  carrier T-Mobile",
                "        USA  Seattle Washington US San",
                "        Francisco",
            ]
        );
        for l in &lines {
            assert!(width(l) <= 40, "{l:?}");
        }
    }

    #[test]
    fn a_word_wider_than_a_line_is_split_and_nothing_is_lost() {
        let url = "https://abc123.ngrok.app/events?bodySHA256=0123456789abcdef0123456789";
        let lines = wrap(&format!("exported to {url}"), 30, 2);
        assert!(lines.iter().all(|l| width(l) <= 30), "{lines:?}");
        let joined: String = lines.iter().map(|l| l.trim_start()).collect();
        assert_eq!(joined, format!("exported to{url}"));
        assert_eq!(lines[0], "exported to");
    }

    #[test]
    fn wide_characters_count_two_cells() {
        let lines = wrap("東京 東京 東京", 9, 0);
        assert_eq!(lines, ["東京 東京", "東京"]);
    }

    #[test]
    fn styles_survive_wrapping() {
        let bold = Style::new().bold();
        let line = Line::from(vec![Span::styled("key ", bold), Span::raw("one two three")]);
        let lines = wrap_line(&line, 12, 2);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].spans[0].style, bold);
        assert_eq!(lines[0].spans[0].content, "key ");
        assert_eq!(lines[0].spans[1].content, "one two");
        assert_eq!(lines[1].to_string(), "  three");
    }

    #[test]
    fn packed_items_move_to_the_next_line_whole() {
        let items = [
            Line::raw("PDD 778 / 8013 ms"),
            Line::raw("average duration 42 s"),
            Line::raw("answer-seizure ratio 53%"),
        ];
        let text: Vec<String> = pack(&items, 50, 3, 1)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "PDD 778 / 8013 ms   average duration 42 s",
                " answer-seizure ratio 53%"
            ]
        );
        let narrow: Vec<String> = pack(&items, 12, 3, 1)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(narrow.iter().all(|l| width(l) <= 12), "{narrow:?}");
    }

    #[test]
    fn exact_wrapping_keeps_every_character() {
        let text = "printf '%s' '[1, 2]' | callwatch verify 東京";
        let lines = wrap_exact(text, 7);
        assert!(lines.iter().all(|l| width(l) <= 7), "{lines:?}");
        assert_eq!(lines.concat(), text);
        assert_eq!(lines[0], "printf ");
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(wrap("", 10, 2), [""]);
        assert_eq!(
            wrap_lines(&[Line::raw(""), Line::raw("ab")], 10, 2).len(),
            2
        );
    }
}
