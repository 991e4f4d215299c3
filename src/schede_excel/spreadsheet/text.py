"""How text wraps in a cell, measured with the real metrics of the workbooks' font.

XlsxWriter cannot autofit rows, so the writer sets every row height itself. The widths are
Carlito's (`calibri_widths.json`, made by `tests/fontmetrics.py`), which are Calibri's: the
font of the generated workbooks in Excel, and its metric twin in LibreOffice.
"""

from __future__ import annotations

import json
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
    regular, heavy, upm, fallback, _ = _table()
    widths = heavy if bold else regular
    wide = upm  # a character the table lacks (CJK, emoji): a full em
    return sum(widths.get(ord(c), wide if ord(c) > 0x2FFF else fallback) for c in text) * size / upm


def wrap(text: str, width_points: float, size: float = 11, *, bold: bool = False) -> list[str]:
    """The lines `text` wraps to in a cell `width_points` wide, breaking at spaces as the spreadsheets do."""
    room = max(width_points - CELL_PADDING, size)
    lines: list[str] = []
    space = text_width(" ", size, bold=bold)
    for paragraph in (text or "").split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = text_width(word, size, bold=bold)
            if line and used + space + w > room:
                lines.append(line)
                line, used = "", 0.0
            if not line and w > room:  # a word longer than the cell breaks where it must
                while word and text_width(word, size, bold=bold) > room:
                    cut = len(word)
                    while cut > 1 and text_width(word[:cut], size, bold=bold) > room:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                w = text_width(word, size, bold=bold)
            line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines


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
