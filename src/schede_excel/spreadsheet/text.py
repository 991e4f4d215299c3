"""How text wraps in a cell, measured with the real metrics of the workbooks' font.

XlsxWriter cannot autofit rows, so the writer sets every row height itself. The widths are
Carlito's (`calibri_widths.json`, made by `tests/fontmetrics.py`), which are Calibri's: the
font of the generated workbooks in Excel, and its metric twin in LibreOffice.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

POINTS_PER_PIXEL = 0.75
MAX_DIGIT_PIXELS = 7  # Calibri 11: the width unit of Excel's columns
CELL_PADDING = 4.5  # points a cell keeps free of text, both sides together (3 pixels each)
MAX_ROW_HEIGHT = 409.0  # Excel's limit, in points


@lru_cache(maxsize=1)
def _table() -> tuple[dict[int, int], dict[int, int], int, int, float]:
    data = json.loads(resources.files(__package__).joinpath("calibri_widths.json").read_text(encoding="utf-8"))
    codes = [cp for first, last in data["ranges"] for cp in range(first, last + 1)]
    regular, bold = dict(zip(codes, data["regular"])), dict(zip(codes, data["bold"]))
    return regular, bold, data["units_per_em"], regular[ord("n")], data["line_units"] / data["units_per_em"]


def column_points(width_chars: float) -> float:
    """A column's width in points, from its width in characters as XlsxWriter and Excel give it."""
    pixels = int(width_chars * MAX_DIGIT_PIXELS + 0.5) + 5 if width_chars >= 1 else int(width_chars * 12 + 0.5)
    return pixels * POINTS_PER_PIXEL


def text_width(text: str, size: float = 11, *, bold: bool = False) -> float:
    """The advance width of `text` in points."""
    return _units(text, bold) * size / _table()[2]


@lru_cache(maxsize=65536)
def _units(text: str, bold: bool) -> int:
    """The advance width of `text` in font units: the same words come back on every sheet."""
    regular, heavy, upm, fallback, _ = _table()
    widths = heavy if bold else regular
    wide = upm  # a character the table lacks (CJK, emoji): a full em
    return sum(widths.get(ord(c), wide if ord(c) > 0x2FFF else fallback) for c in text)


def line_starts(text: str, width_points: float, size: float = 11, *, bold: bool = False) -> list[int]:
    """Where each line of `text` starts (offsets into it) in a cell `width_points` wide.

    A line breaks before the word that would overflow it, the spaces before that word staying at
    the end of the line; a word longer than the cell breaks where it must; a line break starts a
    new line. Offsets, not copies, so that a text can be cut exactly where its lines end.
    """
    text = text or ""
    if len(text) <= 2000:  # the plan's texts, measured again for every sheet that shows them
        return list(_remembered_starts(text, width_points, size, bold))
    return _line_starts(text, width_points, size, bold)


@lru_cache(maxsize=8192)
def _remembered_starts(text: str, width_points: float, size: float, bold: bool) -> tuple[int, ...]:
    return tuple(_line_starts(text, width_points, size, bold))


def _line_starts(text: str, width_points: float, size: float, bold: bool) -> list[int]:
    upm = _table()[2]
    room = max(width_points - CELL_PADDING, size)
    starts = [0]
    offset = 0
    for paragraph in text.split("\n"):
        if offset:
            starts.append(offset)
        used = 0.0
        position = 0
        for match in _WORDS.finditer(paragraph):
            gap = _units(paragraph[position:match.start()], bold) * size / upm
            word_start, word = offset + match.start(), match.group()
            units = _units(word, bold)
            width = units * size / upm
            if used and used + gap + width > room:
                starts.append(word_start)
                used, gap = 0.0, 0.0
            while width > room and len(word) > 1:  # a word longer than the cell breaks where it must
                cut, head = _longest_fitting(word, room, size, bold)
                word_start += cut
                word = word[cut:]
                starts.append(word_start)
                used, gap = 0.0, 0.0
                units -= head
                width = units * size / upm
            used += gap + width
            position = match.end()
        offset += len(paragraph) + 1
    return starts


def _longest_fitting(word: str, room: float, size: float, bold: bool) -> tuple[int, int]:
    """How many characters of `word` fit in `room` (at least one), and their width in font units.

    One pass over the word: a 40,000-character word pasted in a description is measured in
    milliseconds, where trying every shorter cut took minutes.
    """
    regular, heavy, upm, fallback, _ = _table()
    widths = heavy if bold else regular
    used = cut = 0
    for c in word[:-1]:
        code = ord(c)
        step = widths.get(code, upm if code > 0x2FFF else fallback)
        if (used + step) * size / upm > room:
            break
        used += step
        cut += 1
    if cut == 0:
        return 1, _units(word[0], bold)
    return cut, used


_WORDS = re.compile(r"[^ ]+")


def wrap(text: str, width_points: float, size: float = 11, *, bold: bool = False) -> list[str]:
    """The lines `text` wraps to in a cell `width_points` wide, breaking at spaces as the spreadsheets do."""
    text = text or ""
    starts = line_starts(text, width_points, size, bold=bold)
    return [text[a:b].rstrip(" \n") for a, b in zip(starts, starts[1:] + [len(text)])]


def line_height(size: float = 11) -> float:
    """The height of one line of text in points: the font's Windows ascent plus descent, as Excel spaces it.

    LibreOffice spaces Carlito a little tighter, so rows sized for Excel show every line in both.
    """
    return size * _table()[4]


ROW_PADDING = 1.6  # points: Excel's single row of 11-point Calibri is 15 = one line + this
MIN_ROW_HEIGHT = 15.0  # Excel's default row


def text_height(text: str, width_points: float, size: float = 11, *, bold: bool = False, minimum_lines: int = 1) -> float:
    """The row height that shows all of `text` in a cell `width_points` wide, in whole pixels (0.75 pt)."""
    lines = max(minimum_lines, len(wrap(text, width_points, size, bold=bold)))
    points = max(MIN_ROW_HEIGHT, lines * line_height(size) + ROW_PADDING)
    return -(-(points - 0.05) // POINTS_PER_PIXEL) * POINTS_PER_PIXEL  # 15.03 is Excel's 15


# The heuristic the writer used before it measured text: kept for the plan workbook's column helps.
LINE_HEIGHT = 15.0  # points per line of 11-point text


def estimate_lines(text: str, width_chars: float, *, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width_chars` wide."""
    return max(1, len(wrap(text, column_points(width_chars), bold=bold)))
