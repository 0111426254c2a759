#!/usr/bin/env python3
"""Turn a terminal capture (`tmux capture-pane -e -p`: text with ANSI SGR colour codes) into an
SVG picture of the screen, cell by cell. Python 3 standard library only.

    python3 scripts/ansi_to_svg.py --cols 120 --rows 40 --title "callwatch demo" < in.ans > out.svg

Understood: SGR 0 (reset), 1 bold, 2 dim, 3 italic, 4 underline, 7 reverse and their resets,
30-37/90-97/40-47/100-107, 38;5;N / 48;5;N, 38;2;R;G;B / 48;2;R;G;B, 39/49. Other escape
sequences (OSC hyperlinks, cursor moves) are dropped.
"""

import argparse
import re
import sys
import unicodedata
from html import escape

# A dark palette close to common terminal defaults (VS Code's integrated terminal).
PALETTE16 = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]
DEFAULT_FG = "#cccccc"
DEFAULT_BG = "#1e1e1e"
FONT_SIZE = 14
CELL_W = 8.4  # 0.6 em: the advance of common monospace fonts
CELL_H = 17
PAD = 12
TITLE_H = 28

# Light box-drawing characters, drawn as lines so that borders join across rows whatever the
# font: which of (left, right, up, down) each one reaches.
BOX = {
    "─": "lr", "│": "ud", "┌": "rd", "┐": "ld", "└": "ru", "┘": "lu",
    "├": "rud", "┤": "lud", "┬": "lrd", "┴": "lru", "┼": "lrud",
    "╭": "rd", "╮": "ld", "╰": "ru", "╯": "lu",
}

ESCAPE = re.compile(r"\x1b(?:\[([0-9;:?]*)([A-Za-z])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][A-Za-z0-9]|.)")


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return "#%02x%02x%02x" % (r, g, b)
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse)

    def apply(self, params):
        codes = [int(p) if p.isdigit() else 0 for p in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = PALETTE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = PALETTE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = PALETTE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#%02x%02x%02x" % tuple(min(255, v) for v in codes[i + 2:i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1

    def colors(self):
        fg, bg = self.fg or DEFAULT_FG, self.bg
        if self.reverse:
            fg, bg = (self.bg or DEFAULT_BG), (self.fg or DEFAULT_FG)
        return fg, bg


def width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text, cols, rows):
    """The screen as rows of cells: (char, style key), wide characters followed by None."""
    style = Style()
    screen = []
    for line in text.split("\n")[:rows]:
        cells = []
        pos = 0
        for m in ESCAPE.finditer(line):
            for ch in line[pos:m.start()]:
                if ch == "\r":
                    continue
                w = width(ch)
                if w == 0:
                    continue
                cells.append((ch, style.key(), style.colors()))
                if w == 2:
                    cells.append(None)
            if m.group(2) == "m":
                style.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            w = width(ch)
            if w == 0 or ch == "\r":
                continue
            cells.append((ch, style.key(), style.colors()))
            if w == 2:
                cells.append(None)
        screen.append(cells[:cols])
    while len(screen) < rows:
        screen.append([])
    return screen


def runs(cells):
    """Consecutive cells of one style: (start column, [(column, char)], key, colors, cells)."""
    out = []
    for col, cell in enumerate(cells):
        if cell is None:
            if out:
                out[-1][4] += 1
            continue
        ch, key, colors = cell
        if out and out[-1][2] == key and out[-1][0] + out[-1][4] == col:
            out[-1][1].append((col, ch))
            out[-1][4] += 1
        else:
            out.append([col, [(col, ch)], key, colors, 1])
    return out


def words(chars):
    """The non-blank stretches of a run, each with its first column and width in cells: drawn
    one by one, so that no renderer can collapse the spaces between them."""
    out = []
    for col, ch in chars:
        if ch == " " or ch in BOX:
            continue
        if out and out[-1][0] + out[-1][2] == col:
            out[-1][1] += ch
            out[-1][2] += width(ch)
        else:
            out.append([col, ch, width(ch)])
    return out


def render(screen, cols, rows, title):
    w = cols * CELL_W + 2 * PAD
    h = rows * CELL_H + 2 * PAD + TITLE_H
    o = []
    o.append(
        '<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" '
        'xml:space="preserve" role="img" aria-label="%s">' % (w, h, w, h, escape(title))
    )
    o.append(
        "<style>text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',"
        "'Liberation Mono',monospace;font-size:%dpx;white-space:pre}"
        ".b{font-weight:bold}.i{font-style:italic}.u{text-decoration:underline}"
        ".d{opacity:.6}</style>" % FONT_SIZE
    )
    o.append('<rect width="%g" height="%g" rx="8" fill="%s"/>' % (w, h, DEFAULT_BG))
    o.append('<rect width="%g" height="%d" rx="8" fill="#2d2d2d"/>' % (w, TITLE_H))
    o.append('<rect y="%d" width="%g" height="8" fill="#2d2d2d"/>' % (TITLE_H - 8, w))
    for i, color in enumerate(("#ff5f57", "#febc2e", "#28c840")):
        o.append('<circle cx="%d" cy="%g" r="6" fill="%s"/>' % (18 + i * 20, TITLE_H / 2, color))
    o.append(
        '<text x="%g" y="%g" fill="#9d9d9d" text-anchor="middle">%s</text>'
        % (w / 2, TITLE_H / 2 + 5, escape(title))
    )
    top = TITLE_H + PAD
    for r, cells in enumerate(screen):
        y = top + r * CELL_H
        for col, chars, key, (fg, bg), count in runs(cells):
            if bg:
                o.append(
                    '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                    % (PAD + col * CELL_W, y, count * CELL_W, CELL_H, bg)
                )
            _, _, bold, dim, italic, underline, _ = key
            classes = " ".join(
                c for c, on in (("b", bold), ("d", dim), ("i", italic), ("u", underline)) if on
            )
            lines = []
            for c, ch in chars:
                cx, cy = PAD + (c + 0.5) * CELL_W, y + CELL_H / 2
                ends = {
                    "l": (cx - CELL_W / 2, cy),
                    "r": (cx + CELL_W / 2, cy),
                    "u": (cx, y),
                    "d": (cx, y + CELL_H),
                }
                for side in BOX.get(ch, ""):
                    ex, ey = ends[side]
                    lines.append("M%.1f %.1fL%.1f %.1f" % (cx, cy, ex, ey))
            if lines:
                o.append('<path d="%s" stroke="%s" stroke-width="1"/>' % ("".join(lines), fg))
            for start, text, cells_wide in words(chars):
                o.append(
                    '<text x="%.1f" y="%.1f" fill="%s"%s textLength="%.1f" '
                    'lengthAdjust="spacingAndGlyphs">%s</text>'
                    % (
                        PAD + start * CELL_W,
                        y + CELL_H - 4.5,
                        fg,
                        ' class="%s"' % classes if classes else "",
                        cells_wide * CELL_W,
                        escape(text, quote=False),
                    )
                )
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cols", type=int, default=120)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--title", default="callwatch")
    args = parser.parse_args()
    text = sys.stdin.read()
    sys.stdout.write(render(parse(text, args.cols, args.rows), args.cols, args.rows, args.title))


if __name__ == "__main__":
    main()
